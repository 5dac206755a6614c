//! The device layer: the only code in phonebak that speaks ADB.
//!
//! phonebak talks to phones through the user's adb server (the program every Android tool shares), so a phone
//! that works with `adb` works with phonebak, over USB or Wi-Fi, and the two never fight over the USB device.
//! [`Adb`] finds the adb program, starts its server when needed and lists phones with what the user should
//! do about each ([`DeviceEntry::guidance`]); [`Device`] runs shell commands with their real exit codes and
//! moves files with the v2 file service (64-bit sizes, the pushed file's own mode and mtime).
//!
//! The crate `adb_client` (3.2.3) covers part of this but loses shell exit codes, has 32-bit sizes and times,
//! pushes every file as mode 0777 dated "now", cannot parse a `no permissions` device line, and runs `adb
//! start-server` for the default port before each request; so the smart-socket protocol is spoken here
//! directly (it is small: see `wire.rs`). Phone paths are byte strings end to end, because file names on a
//! phone need not be UTF-8; every file name that goes into a shell command goes through [`quote`].

mod error;
mod info;
mod list;
mod locate;
mod shell;
mod sync;
pub mod usb;
mod wifi;
mod wire;

pub use error::{Cancelled, DeviceError};
pub use info::{DeviceInfo, StorageSpace};
pub use list::{DeviceEntry, DeviceState, parse_devices_long, udev_guidance};
pub use locate::{AdbSearch, install_help, usual_places};
pub use shell::{ShellOutput, command_line, parse_sha256sum, quote};
pub use sync::{DirEntry, FileStat, PushAnswer, SyncSession, SyncVersions};
pub use usb::UsbPhone;
pub use wifi::{
    Battery, MdnsService, PAIR_UNSUPPORTED, Pairing, WIFI_PORT, WifiError, parse_battery, parse_mdns_services,
    parse_wlan_address, switch_to_wifi,
};

use std::ffi::OsString;
use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;
use wire::{Conn, OpenError};

/// The found adb program and the port of the adb server phonebak uses.
#[derive(Debug, Clone)]
pub struct Adb {
    binary: PathBuf,
    port: u16,
    server_env: Vec<(OsString, OsString)>,
}

/// How `adb connect` went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TcpConnect {
    /// Connected now.
    Connected,
    /// It was already connected.
    AlreadyConnected,
    /// The phone is reached but has not allowed this computer yet: it is listed as `unauthorized`.
    NeedsAuthorization,
}

impl Adb {
    /// The adb server's usual port.
    pub const DEFAULT_PORT: u16 = 5037;

    /// Finds adb (see [`AdbSearch`]) and uses the server port from `ANDROID_ADB_SERVER_PORT`, else 5037.
    pub fn find() -> Result<Self, DeviceError> {
        let binary = AdbSearch::from_env().find()?;
        let port = std::env::var("ANDROID_ADB_SERVER_PORT")
            .ok()
            .and_then(|p| p.trim().parse().ok())
            .unwrap_or(Self::DEFAULT_PORT);
        Ok(Self::new(binary, port))
    }

    /// Uses this adb program and server port.
    #[must_use]
    pub fn new(binary: PathBuf, port: u16) -> Self {
        Self { binary, port, server_env: Vec::new() }
    }

    /// Sets an environment variable for the adb server phonebak starts (for example a private `HOME`).
    #[must_use]
    pub fn with_server_env(mut self, key: impl Into<OsString>, value: impl Into<OsString>) -> Self {
        self.server_env.push((key.into(), value.into()));
        self
    }

    /// The adb program.
    #[must_use]
    pub fn binary(&self) -> &Path {
        &self.binary
    }

    /// The server port.
    #[must_use]
    pub fn port(&self) -> u16 {
        self.port
    }

    fn server_addr(&self) -> SocketAddr {
        SocketAddr::from((Ipv4Addr::LOCALHOST, self.port))
    }

    /// Starts the adb server on this port (`adb -P PORT start-server`); harmless when it already runs.
    pub fn start_server(&self) -> Result<(), DeviceError> {
        let mut cmd = Command::new(&self.binary);
        cmd.arg("-P").arg(self.port.to_string()).arg("start-server");
        cmd.env_remove("ADB_SERVER_SOCKET").stdin(Stdio::null());
        for (k, v) in &self.server_env {
            cmd.env(k, v);
        }
        let fail = |detail: String| DeviceError::ServerStart { binary: self.binary.clone(), port: self.port, detail };
        let out = cmd.output().map_err(|e| fail(format!("could not run adb ({e})")))?;
        if out.status.success() {
            Ok(())
        } else {
            let said = String::from_utf8_lossy(&out.stderr).trim().to_string();
            Err(fail(if said.is_empty() { format!("adb exited with {}", out.status) } else { said }))
        }
    }

    /// Stops the adb server on this port, if it runs.
    pub fn kill_server(&self) -> Result<(), DeviceError> {
        match Conn::open(self.server_addr(), Some(Duration::from_secs(10))) {
            Ok(mut conn) => conn.request(b"host:kill"),
            Err(OpenError::NotRunning(_)) => Ok(()),
            Err(OpenError::Other(source)) => Err(DeviceError::ServerUnreachable { port: self.port, source }),
        }
    }

    /// A connection to the server, starting the server first if nothing listens on the port.
    fn open(&self) -> Result<Conn, DeviceError> {
        let timeout = Some(Duration::from_secs(30));
        match Conn::open(self.server_addr(), timeout) {
            Ok(conn) => Ok(conn),
            Err(OpenError::NotRunning(_)) => {
                self.start_server()?;
                Conn::open(self.server_addr(), timeout).map_err(|e| match e {
                    OpenError::NotRunning(source) | OpenError::Other(source) => {
                        DeviceError::ServerUnreachable { port: self.port, source }
                    }
                })
            }
            Err(OpenError::Other(source)) => Err(DeviceError::ServerUnreachable { port: self.port, source }),
        }
    }

    /// Sends a host request and reads its answer.
    fn query(&self, request: &str) -> Result<Vec<u8>, DeviceError> {
        let mut conn = self.open()?;
        conn.request(request.as_bytes())?;
        conn.read_hex_payload()
    }

    /// The server's protocol version (41 for adb 1.0.41).
    pub fn server_version(&self) -> Result<u32, DeviceError> {
        let text = String::from_utf8_lossy(&self.query("host:version")?).into_owned();
        u32::from_str_radix(text.trim(), 16)
            .map_err(|_| DeviceError::Protocol { what: format!("server version {text:?}") })
    }

    /// The phones the adb server knows, in every state, each with its guidance.
    pub fn devices(&self) -> Result<Vec<DeviceEntry>, DeviceError> {
        let text = String::from_utf8_lossy(&self.query("host:devices-l")?).into_owned();
        let mut list = parse_devices_long(&text);
        for entry in &mut list {
            if let (DeviceState::NoPermissions(_), Some(port)) = (&entry.state, &entry.usb_path) {
                entry.usb_vendor_id = usb::vendor_of_port(port);
            }
        }
        Ok(list)
    }

    /// Follows the server's phone list (`host:track-devices-l`): the server sends the whole list at once and
    /// again each time a phone comes, goes or changes state, so nothing polls. The first list comes at once.
    pub fn track_devices(&self) -> Result<DeviceTracker, DeviceError> {
        let mut conn = match Conn::open(self.server_addr(), None) {
            Ok(conn) => conn,
            Err(OpenError::NotRunning(_)) => {
                self.start_server()?;
                Conn::open(self.server_addr(), None).map_err(|e| match e {
                    OpenError::NotRunning(source) | OpenError::Other(source) => {
                        DeviceError::ServerUnreachable { port: self.port, source }
                    }
                })?
            }
            Err(OpenError::Other(source)) => return Err(DeviceError::ServerUnreachable { port: self.port, source }),
        };
        conn.request(b"host:track-devices-l")?;
        Ok(DeviceTracker { conn })
    }

    /// Android phones on USB that adb does not list (USB debugging off); empty where USB devices cannot be
    /// seen. `listed` is what [`Adb::devices`] returned.
    #[must_use]
    pub fn unlisted_usb_phones(&self, listed: &[DeviceEntry]) -> Vec<UsbPhone> {
        let serials: Vec<&str> = listed.iter().map(|d| d.serial.as_str()).collect();
        let ports: Vec<&str> = listed.iter().filter_map(|d| d.usb_path.as_deref()).collect();
        usb::unlisted_phones(&serials, &ports)
    }

    /// Connects a phone on Wi-Fi/TCP (`adb connect HOST:PORT`).
    pub fn connect(&self, addr: &str) -> Result<TcpConnect, DeviceError> {
        let text = String::from_utf8_lossy(&self.query(&format!("host:connect:{addr}"))?).into_owned();
        if text.starts_with("already connected") {
            Ok(TcpConnect::AlreadyConnected)
        } else if text.starts_with("connected to") {
            Ok(TcpConnect::Connected)
        } else if text.contains("authenticate") {
            Ok(TcpConnect::NeedsAuthorization)
        } else {
            Err(DeviceError::Refused {
                request: format!("connect {addr}"),
                message: format!(
                    "{} (check that wireless debugging is on and the phone is on this network)",
                    text.trim()
                ),
            })
        }
    }

    /// Disconnects a phone on Wi-Fi/TCP (`adb disconnect HOST:PORT`).
    pub fn disconnect(&self, addr: &str) -> Result<(), DeviceError> {
        self.query(&format!("host:disconnect:{addr}")).map(|_| ())
    }

    /// A handle on the phone `serial`, which must be listed and ready.
    pub fn device(&self, serial: &str) -> Result<Device, DeviceError> {
        let entry = self
            .devices()?
            .into_iter()
            .find(|d| d.serial == serial)
            .ok_or_else(|| DeviceError::NotConnected { serial: serial.to_string() })?;
        if !entry.state.is_ready() {
            return Err(DeviceError::NotReady {
                serial: serial.to_string(),
                state: entry.state.as_str().to_string(),
                guidance: entry.guidance(),
            });
        }
        let features = String::from_utf8_lossy(&self.query(&format!("host-serial:{serial}:features"))?)
            .split(',')
            .map(|f| f.trim().to_string())
            .filter(|f| !f.is_empty())
            .collect();
        Ok(Device {
            server: self.server_addr(),
            port: self.port,
            serial: serial.to_string(),
            features,
            timeout: Some(Device::DEFAULT_TIMEOUT),
        })
    }
}

/// One ready phone. Cheap to clone and shareable between threads: every operation opens its own connection
/// to the adb server, so workers can run in parallel.
#[derive(Debug, Clone)]
pub struct Device {
    server: SocketAddr,
    port: u16,
    serial: String,
    features: Vec<String>,
    timeout: Option<Duration>,
}

impl Device {
    /// How long a read or write may wait before the phone is taken as gone.
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(120);

    /// The serial adb knows the phone by.
    #[must_use]
    pub fn serial(&self) -> &str {
        &self.serial
    }

    /// The features both the phone and the adb server support (`shell_v2`, `stat_v2`, ...).
    #[must_use]
    pub fn features(&self) -> &[String] {
        &self.features
    }

    /// Whether both the phone and the server support `feature`.
    #[must_use]
    pub fn has_feature(&self, feature: &str) -> bool {
        self.features.iter().any(|f| f == feature)
    }

    /// Changes how long a read or write may wait (`None`: forever).
    pub fn set_timeout(&mut self, timeout: Option<Duration>) {
        self.timeout = timeout;
    }

    /// A server connection switched to this phone.
    fn transport(&self) -> Result<Conn, DeviceError> {
        let mut conn = Conn::open(self.server, self.timeout).map_err(|e| match e {
            OpenError::NotRunning(source) | OpenError::Other(source) => {
                DeviceError::ServerUnreachable { port: self.port, source }
            }
        })?;
        conn.request(format!("host:transport:{}", self.serial).as_bytes())?;
        Ok(conn)
    }

    /// Runs `command` with the phone's shell (`sh -c`), streaming its output; returns its exit code.
    /// Arguments built from data (file names) must be quoted with [`quote`].
    pub fn shell_to(&self, command: &[u8], stdout: &mut dyn Write, stderr: &mut dyn Write) -> Result<i32, DeviceError> {
        if !self.has_feature("shell_v2") {
            return Err(DeviceError::Unsupported { feature: "shell_v2", serial: self.serial.clone() });
        }
        let mut conn = self.transport()?;
        shell::run(&mut conn, command, stdout, stderr)
    }

    /// Runs `command` with the phone's shell and collects its output and exit code.
    pub fn shell(&self, command: &[u8]) -> Result<ShellOutput, DeviceError> {
        let mut out = ShellOutput::default();
        out.exit_code = self.shell_to(command, &mut out.stdout, &mut out.stderr)?;
        Ok(out)
    }

    /// Runs a command given as separate arguments, each quoted (see [`command_line`]).
    pub fn shell_args<A: AsRef<[u8]>>(&self, args: &[A]) -> Result<ShellOutput, DeviceError> {
        self.shell(&command_line(args))
    }

    /// The phone's maker, model, Android release, serial and storage space, in one command.
    pub fn info(&self) -> Result<DeviceInfo, DeviceError> {
        let out = self.shell(info::INFO_COMMAND)?;
        Ok(info::parse_info(&out.stdout_text(), &self.serial))
    }

    /// Which file service versions are used with this phone.
    #[must_use]
    pub fn sync_versions(&self) -> SyncVersions {
        SyncVersions {
            stat_v2: self.has_feature("stat_v2"),
            ls_v2: self.has_feature("ls_v2"),
            sendrecv_v2: self.has_feature("sendrecv_v2"),
        }
    }

    /// Opens a file service session, for many requests on one connection.
    pub fn sync(&self) -> Result<SyncSession, DeviceError> {
        SyncSession::start(self.transport()?, self.sync_versions())
    }

    /// Opens a file service session with chosen protocol versions. adb 29's server reports only the features
    /// it knows itself (not `sendrecv_v2`, which came with adb 30), though it passes every request through;
    /// this lets a caller that knows better (or a test) use what the phone supports.
    pub fn sync_with(&self, versions: SyncVersions) -> Result<SyncSession, DeviceError> {
        SyncSession::start(self.transport()?, versions)
    }

    /// What `path` is (see [`SyncSession::stat`]); `None` when nothing is there.
    pub fn stat(&self, path: &[u8]) -> Result<Option<FileStat>, DeviceError> {
        self.sync()?.stat(path)
    }

    /// The entries of the folder `dir` (see [`SyncSession::list`]).
    pub fn list(&self, dir: &[u8]) -> Result<Vec<DirEntry>, DeviceError> {
        self.sync()?.list(dir)
    }

    /// Copies a phone file into `out` (see [`SyncSession::pull`]).
    pub fn pull(
        &self,
        path: &[u8],
        out: &mut dyn Write,
        progress: &mut dyn FnMut(u64) -> Result<(), Cancelled>,
    ) -> Result<u64, DeviceError> {
        self.sync()?.pull(path, out, progress)
    }

    /// Writes a phone file with the given mode and mtime (see [`SyncSession::push`]).
    pub fn push(
        &self,
        data: &mut dyn Read,
        path: &[u8],
        mode: u32,
        mtime: i64,
        progress: &mut dyn FnMut(u64) -> Result<(), Cancelled>,
    ) -> Result<u64, DeviceError> {
        self.sync()?.push(data, path, mode, mtime, progress)
    }
}

/// The adb server's phone list as it changes ([`Adb::track_devices`]).
#[derive(Debug)]
pub struct DeviceTracker {
    conn: Conn,
}

impl DeviceTracker {
    /// Waits for the next list. An error means the server went away (it was stopped or restarted): track
    /// again.
    pub fn next_list(&mut self) -> Result<Vec<DeviceEntry>, DeviceError> {
        let text = String::from_utf8_lossy(&self.conn.read_hex_payload()?).into_owned();
        Ok(parse_devices_long(&text))
    }

    /// Something that ends a wait in [`DeviceTracker::next_list`] from another thread: call
    /// `shutdown(Shutdown::Both)` on it.
    pub fn closer(&self) -> std::io::Result<std::net::TcpStream> {
        self.conn.closer()
    }
}
