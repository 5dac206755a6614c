//! What the agent is doing, for the app and `phonebak agent status`: a Unix socket in the user's runtime
//! folder; each connection gets one JSON line (the agent's [`AgentStatus`]) and is closed.

use serde::{Deserialize, Serialize};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

/// The agent's state, as its socket gives it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentStatus {
    /// The agent's process id.
    pub pid: u32,
    /// Whether it is following adb's phone list now (false while the adb server is away).
    pub tracking: bool,
    /// The phones adb lists as ready, and what the agent does with each.
    pub phones: Vec<PhoneStatus>,
}

/// One phone, as the agent sees it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhoneStatus {
    /// The serial adb knows it by.
    pub adb_serial: String,
    /// Its own serial (`ro.serialno`), once read.
    pub phone_serial: Option<String>,
    /// Its model, once read.
    pub model: Option<String>,
    /// What the agent does with it.
    pub state: PhoneState,
    /// The backup folder it goes into (a phone backed up automatically).
    pub backup_folder: Option<PathBuf>,
    /// The backup running now.
    pub progress: Option<Progress>,
    /// How the last automatic backup of this connection ended, for people.
    pub last: Option<String>,
    /// Backups finished during this connection.
    pub runs: u32,
}

/// What the agent does with a phone.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PhoneState {
    /// Reading what the phone is.
    #[default]
    Looking,
    /// Not marked "Back up automatically": left alone.
    NotAutomatic,
    /// Backing up now.
    BackingUp,
    /// Backed up; checked again every few minutes while connected.
    UpToDate,
    /// The last automatic backup could not run or failed (see `last`).
    Failed,
    /// Low on battery and not charging: backed up once it charges.
    LowBattery,
    /// The same phone is connected twice (by USB and over Wi-Fi): backed up through its other connection.
    OtherConnection,
}

impl PhoneState {
    /// For people.
    #[must_use]
    pub fn describe(self) -> &'static str {
        match self {
            Self::Looking => "looking at the phone",
            Self::NotAutomatic => "not backed up automatically",
            Self::BackingUp => "backing up",
            Self::UpToDate => "backed up",
            Self::Failed => "could not back up",
            Self::LowBattery => "waiting for the battery to charge",
            Self::OtherConnection => "backed up through its other connection",
        }
    }
}

/// A running backup's progress.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Progress {
    /// Files done.
    pub files_done: u64,
    /// Files in all.
    pub files_total: u64,
    /// Bytes done.
    pub bytes_done: u64,
    /// Bytes in all.
    pub bytes_total: u64,
}

impl std::fmt::Display for Progress {
    /// "3 of 12 files, 4.5 MB of 18.0 MB".
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} of {} files, {} of {}",
            self.files_done,
            self.files_total,
            crate::human::human_bytes(self.bytes_done),
            crate::human::human_bytes(self.bytes_total)
        )
    }
}

/// The agent's status, shared between its threads.
#[derive(Debug, Clone, Default)]
pub struct Shared(Arc<Mutex<AgentStatus>>);

impl Shared {
    /// A copy of the status now.
    #[must_use]
    pub fn snapshot(&self) -> AgentStatus {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// Changes the status.
    pub fn change<T>(&self, f: impl FnOnce(&mut AgentStatus) -> T) -> T {
        f(&mut self.0.lock().unwrap_or_else(PoisonError::into_inner))
    }

    /// Changes phone `adb_serial`'s entry, if it is listed.
    pub fn phone(&self, adb_serial: &str, f: impl FnOnce(&mut PhoneStatus)) {
        self.change(|s| {
            if let Some(p) = s.phones.iter_mut().find(|p| p.adb_serial == adb_serial) {
                f(p);
            }
        });
    }
}

/// The agent's files in the user's runtime folder: `$XDG_RUNTIME_DIR/phonebak`, else a private folder in the
/// system's temporary folder.
#[must_use]
pub fn runtime_dir() -> PathBuf {
    match std::env::var_os("XDG_RUNTIME_DIR").filter(|v| !v.is_empty()) {
        Some(dir) => PathBuf::from(dir).join("phonebak"),
        None => std::env::temp_dir().join(format!("phonebak-{}", user_id())),
    }
}

#[cfg(target_os = "linux")]
fn user_id() -> String {
    rustix::process::getuid().as_raw().to_string()
}

#[cfg(not(target_os = "linux"))]
fn user_id() -> String {
    std::env::var("USER").unwrap_or_default()
}

/// The socket in `runtime_dir`.
#[must_use]
pub fn socket_path(runtime_dir: &Path) -> PathBuf {
    runtime_dir.join("agent.sock")
}

/// Serves the status on the socket in `runtime_dir` until the process ends (a thread `agent-status`).
///
/// # Errors
/// When the socket cannot be made.
#[cfg(unix)]
pub fn serve(runtime_dir: &Path, shared: Shared) -> std::io::Result<()> {
    use std::os::unix::net::UnixListener;
    let path = socket_path(runtime_dir);
    // The caller holds the one-agent lock: a socket file left here is a dead agent's.
    let _ = std::fs::remove_file(&path);
    let listener = UnixListener::bind(&path)?;
    std::thread::Builder::new().name("agent-status".to_string()).spawn(move || {
        for stream in listener.incoming().flatten() {
            let _ = stream.set_write_timeout(Some(Duration::from_secs(2)));
            let mut line = serde_json::to_vec(&shared.snapshot()).unwrap_or_default();
            line.push(b'\n');
            let mut stream = stream;
            let _ = stream.write_all(&line);
        }
    })?;
    Ok(())
}

/// Asks the agent running for this user what it is doing; `None` when no agent answers.
#[cfg(unix)]
#[must_use]
pub fn query(runtime_dir: &Path) -> Option<AgentStatus> {
    let stream = std::os::unix::net::UnixStream::connect(socket_path(runtime_dir)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    let mut line = String::new();
    BufReader::new(stream).read_line(&mut line).ok()?;
    serde_json::from_str(line.trim()).ok()
}

/// Status over a socket is for Unix systems.
#[cfg(not(unix))]
pub fn serve(_runtime_dir: &Path, _shared: Shared) -> std::io::Result<()> {
    Ok(())
}

/// Status over a socket is for Unix systems.
#[cfg(not(unix))]
#[must_use]
pub fn query(_runtime_dir: &Path) -> Option<AgentStatus> {
    None
}
