//! The backup folder's lock: one backup at a time writes into a folder, whoever runs it (the app, the
//! command line, the automatic backup agent), on this computer or another one sharing the folder.
//!
//! The lock is `.phonebak/lock`, held with `flock` while a backup runs: the kernel lets it go the moment its
//! process ends, however it ends (a crash or SIGKILL leaves no stale lock to clean up; the next backup simply
//! takes it over). The file says who holds it — process id, host, what it is doing, since when — as one JSON
//! line, so that a refused backup can tell the person who is busy.

use std::fs::File;
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

/// Who holds a backup folder's lock.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Holder {
    /// Its process id.
    pub pid: u32,
    /// The computer it runs on.
    pub host: String,
    /// What it is doing ("backup from the app", "automatic backup of Pixel 7").
    pub what: String,
    /// Since when, seconds since the epoch.
    pub since: i64,
}

impl std::fmt::Display for Holder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} (process {} on {}, since {})",
            self.what,
            self.pid,
            self.host,
            crate::human::date_time(self.since)
        )
    }
}

/// A held lock; let go when dropped.
#[derive(Debug)]
pub struct FolderLock {
    file: File,
    path: PathBuf,
}

impl FolderLock {
    /// The lock file.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for FolderLock {
    fn drop(&mut self) {
        // Says nobody holds it (the flock goes with the file).
        let _ = self.file.set_len(0);
    }
}

/// Why the lock was not taken.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// Another backup holds it.
    #[error("Another backup is writing into this folder: {}. Wait for it to finish, then try again.", .0.as_ref().map_or_else(|| "a phonebak that did not say who it is".to_string(), ToString::to_string))]
    Busy(Option<Holder>),
    /// The lock file cannot be made or locked.
    #[error("Could not lock the backup folder ({source}). Path: {}", path.display())]
    Io {
        /// The lock file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

/// Who this process is, for the lock file ("the app", "the command line", "the automatic backup").
static ROLE: std::sync::OnceLock<String> = std::sync::OnceLock::new();

/// Says who this process is, once, for the lock files it writes.
pub fn set_role(role: &str) {
    let _ = ROLE.set(role.to_string());
}

/// Who this process is ("phonebak" until [`set_role`] says).
#[must_use]
pub fn role() -> &'static str {
    ROLE.get().map_or("phonebak", String::as_str)
}

/// The lock file of backup folder `dest`.
#[must_use]
pub fn lock_path(dest: &Path) -> PathBuf {
    dest.join(".phonebak").join("lock")
}

/// This computer's name, for the lock file.
fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "this computer".to_string())
}

/// Who holds the lock of backup folder `dest` now, if anyone does (read without taking it).
#[must_use]
pub fn holder(dest: &Path) -> Option<Holder> {
    holder_at(&lock_path(dest))
}

/// Who holds the lock in file `path` now, if anyone does.
#[must_use]
pub fn holder_at(path: &Path) -> Option<Holder> {
    let file = File::options().read(true).write(true).open(path).ok()?;
    match try_lock(&file) {
        Ok(true) => {
            // Nobody held it; let it go again at once (the file is dropped with the lock).
            None
        }
        Ok(false) => read_holder(&file).or(Some(Holder {
            pid: 0,
            host: String::new(),
            what: "a phonebak that did not say who it is".to_string(),
            since: 0,
        })),
        Err(_) => None,
    }
}

/// Takes the lock of backup folder `dest` (making `.phonebak/` if needed) for `what`; refuses at once when
/// another process holds it.
///
/// # Errors
/// [`LockError::Busy`] with who holds it, or [`LockError::Io`].
pub fn lock(dest: &Path, what: &str) -> Result<FolderLock, LockError> {
    lock_at(&lock_path(dest), what)
}

/// Takes the lock held in file `path` (made with its folder if needed) for `what`; refuses at once when
/// another process holds it. The automatic backup agent keeps one instance per user this way.
///
/// # Errors
/// [`LockError::Busy`] with who holds it, or [`LockError::Io`].
pub fn lock_at(path: &Path, what: &str) -> Result<FolderLock, LockError> {
    let path = path.to_path_buf();
    let io = |source| LockError::Io { path: path.clone(), source };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(io)?;
    }
    let mut file = File::options().read(true).write(true).create(true).truncate(false).open(&path).map_err(io)?;
    if !try_lock(&file).map_err(io)? {
        return Err(LockError::Busy(read_holder(&file)));
    }
    let holder = Holder {
        pid: std::process::id(),
        host: host_name(),
        what: what.to_string(),
        since: std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64),
    };
    let mut line = serde_json::to_vec(&holder).map_err(|e| io(std::io::Error::other(e)))?;
    line.push(b'\n');
    file.set_len(0).map_err(io)?;
    file.rewind().map_err(io)?;
    file.write_all(&line).map_err(io)?;
    Ok(FolderLock { file, path })
}

fn read_holder(mut file: &File) -> Option<Holder> {
    let mut text = String::new();
    file.rewind().ok()?;
    file.read_to_string(&mut text).ok()?;
    serde_json::from_str(text.trim()).ok()
}

/// Takes an exclusive `flock` on `file` without waiting: true when taken, false when another open file
/// description holds it.
#[cfg(unix)]
fn try_lock(file: &File) -> std::io::Result<bool> {
    match rustix::fs::flock(file, rustix::fs::FlockOperation::NonBlockingLockExclusive) {
        Ok(()) => Ok(true),
        Err(e) if e == rustix::io::Errno::WOULDBLOCK => Ok(false),
        Err(e) => Err(e.into()),
    }
}

#[cfg(not(unix))]
fn try_lock(file: &File) -> std::io::Result<bool> {
    match file.try_lock() {
        Ok(()) => Ok(true),
        Err(std::fs::TryLockError::WouldBlock) => Ok(false),
        Err(std::fs::TryLockError::Error(e)) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_backup_into_the_same_folder_is_refused_with_who_holds_it_and_the_lock_goes_with_its_holder() {
        let dir = tempfile::tempdir().expect("temp");
        let first = lock(dir.path(), "backup from the app").expect("free");
        let err = lock(dir.path(), "automatic backup").expect_err("held");
        let LockError::Busy(Some(holder)) = &err else { panic!("{err:?}") };
        assert_eq!(holder.pid, std::process::id());
        assert_eq!(holder.what, "backup from the app");
        assert!(err.to_string().contains("Another backup is writing into this folder: backup from the app"), "{err}");
        assert_eq!(super::holder(dir.path()).map(|h| h.what), Some("backup from the app".to_string()));
        drop(first);
        assert_eq!(super::holder(dir.path()), None, "let go when dropped");
        let again = lock(dir.path(), "automatic backup").expect("free again");
        assert!(again.path().ends_with(".phonebak/lock"));
    }
}
