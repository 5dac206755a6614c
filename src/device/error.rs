//! The device layer's errors. Each message says what happened and what the user can do about it; paths and
//! serials come last.

use std::path::PathBuf;

/// Anything that can go wrong between phonebak and a phone.
#[derive(Debug, thiserror::Error)]
pub enum DeviceError {
    /// No adb program was found in any of the places searched.
    #[error("adb (Android Debug Bridge) was not found. {install} Looked in: {searched}")]
    AdbNotFound {
        /// How to install adb on this operating system.
        install: String,
        /// The places that were searched, for the curious.
        searched: String,
    },

    /// `PHONEBAK_ADB` names a file that is not there.
    #[error(
        "PHONEBAK_ADB is set, but there is no adb program at that path. Point it at the adb program \
         (for example /usr/bin/adb) or unset it: {}",
        path.display()
    )]
    AdbEnvMissing {
        /// The path `PHONEBAK_ADB` gave.
        path: PathBuf,
    },

    /// `adb start-server` failed, or the server did not come up.
    #[error(
        "Could not start the adb server on port {port}: {detail}. Try `adb kill-server` and run phonebak again; \
         if another program (Android Studio, another adb) uses the port, close it. adb: {}",
        binary.display()
    )]
    ServerStart {
        /// The adb program that was run.
        binary: PathBuf,
        /// The server port.
        port: u16,
        /// What adb said, or why it could not be run.
        detail: String,
    },

    /// The adb server's port could not be reached (after trying to start it).
    #[error(
        "Could not reach the adb server on 127.0.0.1:{port} ({source}). Run `adb start-server`, or \
         `adb kill-server` if it hangs, then try again."
    )]
    ServerUnreachable {
        /// The server port.
        port: u16,
        /// The connection error.
        source: std::io::Error,
    },

    /// No phone with this serial is listed by the adb server.
    #[error(
        "The phone is not connected (adb does not list it). Check the cable, unlock the phone and make sure \
         USB debugging is on; for a Wi-Fi phone, connect it again. Serial: {serial}"
    )]
    NotConnected {
        /// The serial asked for.
        serial: String,
    },

    /// The phone is listed, but not in a state that can be used (unauthorized, offline, ...).
    #[error("The phone is {state}. {guidance} Serial: {serial}")]
    NotReady {
        /// The phone's serial.
        serial: String,
        /// Its state as adb says it.
        state: String,
        /// What to do about it.
        guidance: String,
    },

    /// The adb server refused a request with a message of its own.
    #[error("The adb server refused \"{request}\": {message}. Reconnect the phone and try again.")]
    Refused {
        /// The request (service) that was refused.
        request: String,
        /// The server's reason.
        message: String,
    },

    /// The connection broke in the middle of an operation (cable pulled, phone rebooted, server killed).
    #[error(
        "The connection to the phone was lost ({source}). Check the cable and that the phone is unlocked, \
         then try again; finished work is kept."
    )]
    ConnectionLost {
        /// The underlying error.
        source: std::io::Error,
    },

    /// The phone or server sent something that does not follow the protocol.
    #[error(
        "The phone sent an answer phonebak does not understand ({what}). Reconnect the phone and try again; \
         if it keeps happening, restart the adb server with `adb kill-server`."
    )]
    Protocol {
        /// What was wrong.
        what: String,
    },

    /// The phone's file service reported a failure for a path.
    #[error("The phone could not {action}: {message}. Path: {path}")]
    Remote {
        /// What was being done ("read the file", "write the file", "list the folder").
        action: &'static str,
        /// The phone's message (an errno text such as "No space left on device").
        message: String,
        /// The phone path, shown lossily.
        path: String,
    },

    /// A path on the phone does not exist.
    #[error("The file or folder is not on the phone (moved or deleted?). Path: {path}")]
    NoSuchFile {
        /// The phone path, shown lossily.
        path: String,
    },

    /// A folder was expected but the path is something else.
    #[error("This is not a folder on the phone. Path: {path}")]
    NotADirectory {
        /// The phone path, shown lossily.
        path: String,
    },

    /// The phone path is too long for the file service (1024 bytes) or contains a NUL byte.
    #[error("This phone path cannot be used: {why}. Path: {path}")]
    BadPath {
        /// Why not.
        why: &'static str,
        /// The phone path, shown lossily.
        path: String,
    },

    /// A shell command cannot be sent (too long, or a NUL byte).
    #[error("This command cannot be sent to the phone: {why}. Split the work into smaller commands.")]
    BadCommand {
        /// Why not.
        why: String,
    },

    /// The phone's Android is older than the device layer supports.
    #[error(
        "This phone's Android is too old for phonebak (it lacks the `{feature}` feature of Android 7.0 and \
         later). Update the phone, or copy files with another tool. Serial: {serial}"
    )]
    Unsupported {
        /// The missing feature.
        feature: &'static str,
        /// The phone's serial.
        serial: String,
    },

    /// A file time that the file service cannot carry (before 1970 or after 2106).
    #[error("The file time {mtime} cannot be set on the phone (it must be between 1970 and 2106).")]
    TimeOutOfRange {
        /// The time, in seconds since 1970.
        mtime: i64,
    },

    /// Writing pulled data, or reading data to push, failed on this computer.
    #[error("Could not {action} on this computer: {source}")]
    Local {
        /// What was being done ("write the copy", "read the file to send").
        action: &'static str,
        /// The underlying error.
        source: std::io::Error,
    },

    /// The caller's progress hook asked to stop.
    #[error("Cancelled.")]
    Cancelled,
}

/// Returned by a progress hook to stop a transfer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Cancelled;

impl From<Cancelled> for DeviceError {
    fn from(_: Cancelled) -> Self {
        Self::Cancelled
    }
}

impl DeviceError {
    /// Whether the error means the link to the phone went away (retrying after reconnecting may succeed).
    #[must_use]
    pub fn is_connection_lost(&self) -> bool {
        matches!(self, Self::ConnectionLost { .. } | Self::NotConnected { .. } | Self::NotReady { .. })
    }

    /// Whether a run should stop as if the cable went: the connection is lost, or the link to the phone (the
    /// adb server, the protocol) broke in a way that reconnecting fixes.
    #[must_use]
    pub fn stops_the_link(&self) -> bool {
        self.is_connection_lost()
            || matches!(self, Self::Protocol { .. } | Self::ServerUnreachable { .. } | Self::Refused { .. })
    }
}

/// Shows a phone path (bytes) for a message.
pub(crate) fn show(path: &[u8]) -> String {
    String::from_utf8_lossy(path).into_owned()
}
