//! The restore engine: put backed-up photos back on a phone, where they were, so that they show up in its
//! gallery again, without ever overwriting a file already there.
//!
//! Three steps, each testable alone:
//!
//! 1. [`open_backup`] reads a backup folder: the phones it holds and their manifests (refusing a manifest that
//!    names a file outside the folder). [`select`] picks the files to restore (all, or by glob, folder, date
//!    range or exact list) and works out where each goes on the phone. It needs no phone, and it refuses the
//!    whole selection, before anything is written, if one phone path leads outside the shared storage.
//! 2. [`plan`] looks at the phone: one listing per target folder, and one batched `sha256sum` for the files
//!    already there with the same size. A file already there with the same content is skipped; a different
//!    file with that name is kept and the restored one gets a free name (`IMG_1 (2).jpg`), reported.
//! 3. [`execute`] checks the phone's free space, then for each batch of files: pushes each one to a hidden
//!    temp name in its target folder (`.phonebak-restore-*.tmp`) with its date, hashing the backup copy as it
//!    is read (a copy damaged in the backup is never restored), asks the phone's `sha256sum` for the whole
//!    batch in one command, and renames the verified ones into place with `mv -n` (which never replaces a
//!    file). Finally it asks the media store to index them (`content call ... scan_file` or `scan_volume` on
//!    Android 11+, the `MEDIA_SCANNER_SCAN_FILE` broadcast before), also for files found already there but
//!    missing from the gallery, which is how a run cut off before indexing is finished by the next.
//!
//! A cable pull or a cancel leaves at most the temp files of one batch on the phone; the next run removes
//! them first. Nothing is ever written into the backup folder.

mod execute;
pub(crate) use execute::scan_command;
mod plan;
mod select;

pub use execute::{RestoreReport, RestoredFile, execute};
pub use plan::{PlannedRestore, RestorePlan, RestoreTotals, plan, plan_in};
pub use select::{Backup, BackupPhone, Selected, Selection, open_backup, open_backup_in, phone_target, select};

use crate::backup::BackupError;
use crate::device::DeviceError;
use std::path::PathBuf;

/// Where restored files go: the primary shared storage, as Android names it.
pub const STORAGE_ROOT: &[u8] = b"/storage/emulated/0";

/// The start of a temp file name on the phone; the end is [`TEMP_SUFFIX`].
pub const TEMP_PREFIX: &[u8] = b".phonebak-restore-";
/// The end of a temp file name on the phone.
pub const TEMP_SUFFIX: &[u8] = b".tmp";

/// Anything that stops a restore. Each message says what happened and what to do; paths come last.
#[derive(Debug, thiserror::Error)]
pub enum RestoreError {
    /// The folder holds no phonebak backup.
    #[error(
        "There is no phonebak backup in this folder (no .phonebak/manifest-*.json). Choose the folder you backed \
         up into (the one that holds the `<Model> (<serial>)` folder). Folder: {}",
        dir.display()
    )]
    NoBackup {
        /// The folder.
        dir: PathBuf,
    },

    /// The folder holds backups of several phones and none was chosen.
    #[error(
        "This folder holds backups of several phones: {phones}. Choose one with --backup-of SERIAL. Folder: {}",
        dir.display()
    )]
    WhichPhone {
        /// The folder.
        dir: PathBuf,
        /// The phones, as `serial (model)`, comma-separated.
        phones: String,
    },

    /// The chosen phone has no backup in the folder.
    #[error("This folder holds no backup of the phone {serial}; it holds: {phones}. Folder: {}", dir.display())]
    NoSuchPhone {
        /// The serial asked for.
        serial: String,
        /// The folder.
        dir: PathBuf,
        /// The phones it holds.
        phones: String,
    },

    /// A glob given to select files is not valid.
    #[error("The pattern {pattern:?} is not valid ({why}). Use * and ? and ** as in DCIM/Camera/*.jpg.")]
    BadPattern {
        /// The pattern.
        pattern: String,
        /// What is wrong.
        why: String,
    },

    /// The backup's manifest could not be read or is unsafe.
    #[error(transparent)]
    Backup(#[from] BackupError),

    /// A manifest names a phone path outside the phone's shared storage: nothing is written.
    #[error(
        "The backup manifest names a phone path outside the phone's shared storage ({phone_path:?}: {why}); it \
         may have been tampered with, so nothing was restored. Restore the manifest from a good copy. Manifest: {}",
        manifest.display()
    )]
    UnsafePhonePath {
        /// The phone path, shown lossily.
        phone_path: String,
        /// What is wrong with it.
        why: &'static str,
        /// The manifest file.
        manifest: PathBuf,
    },

    /// The phone has not enough free space for the files to restore.
    #[error(
        "The phone has {free} free, but the restore needs {needed}. Free some space on the phone (or choose fewer \
         photos) and try again; nothing was restored."
    )]
    PhoneFull {
        /// Bytes needed, for people.
        needed: String,
        /// Bytes free, for people.
        free: String,
    },

    /// The phone's storage filled up during the restore.
    #[error(
        "The phone's storage is full ({message}). Free some space on the phone and run the restore again: the \
         {files_done} files restored are kept and will be skipped. File: {path}"
    )]
    PhoneFilledUp {
        /// Files restored before.
        files_done: u64,
        /// What the phone said.
        message: String,
        /// The file being written, shown lossily.
        path: String,
    },

    /// The phone went away in the middle of the restore.
    #[error(
        "The connection to the phone was lost during the restore ({source}). Reconnect the phone (check the cable, \
         unlock it, allow USB debugging if asked) and run the restore again: the {files_done} files restored are \
         kept and will be skipped."
    )]
    ConnectionLost {
        /// Files restored before the connection went.
        files_done: u64,
        /// What the device layer said.
        source: DeviceError,
    },

    /// The phone refused something the restore needs (other than single files, which are reported).
    #[error("The restore stopped: {source}")]
    Device {
        /// What the device layer said.
        #[from]
        source: DeviceError,
    },

    /// The phone cannot compute checksums, so copies cannot be verified.
    #[error(
        "The phone cannot check the copies: `sha256sum` failed ({detail}). phonebak needs Android 6 or later \
         (toybox sha256sum); update the phone or use another tool."
    )]
    NoChecksum {
        /// What the phone said.
        detail: String,
    },

    /// The user cancelled.
    #[error(
        "The restore was cancelled. The {files_done} files restored are kept; run the restore again to finish it \
         (they will be skipped)."
    )]
    Cancelled {
        /// Files restored before the cancel.
        files_done: u64,
    },
}

impl RestoreError {
    /// The same error, counting `n` files done (for errors raised before the last files were placed).
    #[must_use]
    pub fn with_files_done(self, n: u64) -> Self {
        match self {
            Self::ConnectionLost { source, .. } => Self::ConnectionLost { files_done: n, source },
            Self::Cancelled { .. } => Self::Cancelled { files_done: n },
            Self::PhoneFilledUp { message, path, .. } => Self::PhoneFilledUp { files_done: n, message, path },
            e => e,
        }
    }

    /// Maps a device error that stops a run.
    pub(crate) fn stop(e: DeviceError, files_done: u64) -> Self {
        match e {
            DeviceError::Cancelled => Self::Cancelled { files_done },
            e if e.stops_the_link() => Self::ConnectionLost { files_done, source: e },
            e => Self::Device { source: e },
        }
    }
}

/// Whether `name` is one of phonebak's restore temp files.
#[must_use]
pub fn is_temp_name(name: &[u8]) -> bool {
    name.starts_with(TEMP_PREFIX) && name.ends_with(TEMP_SUFFIX) && name.len() > TEMP_PREFIX.len() + TEMP_SUFFIX.len()
}

/// Splits a phone path into its folder and its name (`/a/b/c.jpg` → `/a/b`, `c.jpg`).
pub(crate) fn split_path(path: &[u8]) -> (&[u8], &[u8]) {
    match path.iter().rposition(|&b| b == b'/') {
        Some(i) => (&path[..i], &path[i + 1..]),
        None => (b"", path),
    }
}

/// Joins a phone folder and a name.
pub(crate) fn join_path(dir: &[u8], name: &[u8]) -> Vec<u8> {
    let mut out = dir.to_vec();
    out.push(b'/');
    out.extend_from_slice(name);
    out
}

/// Joins shell commands with `; ` into as few command lines as fit in `max` bytes each.
pub(crate) fn batch_commands(parts: Vec<Vec<u8>>, max: usize) -> Vec<Vec<u8>> {
    let mut lines: Vec<Vec<u8>> = Vec::new();
    for part in parts {
        match lines.last_mut() {
            Some(line) if line.len() + 2 + part.len() <= max => {
                line.extend_from_slice(b"; ");
                line.extend_from_slice(&part);
            }
            _ => lines.push(part),
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temp_names_are_recognised_and_nothing_else() {
        assert!(is_temp_name(b".phonebak-restore-1a2b-7.tmp"));
        assert!(!is_temp_name(b".phonebak-restore-.tmp"));
        assert!(!is_temp_name(b"phonebak-restore-1.tmp"));
        assert!(!is_temp_name(b".phonebak-restore-1.jpg"));
    }

    #[test]
    fn commands_are_joined_up_to_the_limit() {
        let parts = vec![b"aaaa".to_vec(), b"bbbb".to_vec(), b"cccc".to_vec()];
        assert_eq!(batch_commands(parts.clone(), 10), vec![b"aaaa; bbbb".to_vec(), b"cccc".to_vec()]);
        assert_eq!(batch_commands(parts, 100), vec![b"aaaa; bbbb; cccc".to_vec()]);
    }

    #[test]
    fn paths_split_and_join() {
        assert_eq!(split_path(b"/s/DCIM/a.jpg"), (&b"/s/DCIM"[..], &b"a.jpg"[..]));
        assert_eq!(join_path(b"/s/DCIM", b"a.jpg"), b"/s/DCIM/a.jpg");
    }
}
