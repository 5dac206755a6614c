//! The phone's shared storage: where a phone path lands on the host, and what a file there reads as.
//!
//! Every path a client sends (over sync or in a shell command) is resolved here, lexically, against the
//! three names Android gives the primary volume (`/storage/emulated/0`, `/sdcard`, `/storage/self/primary`).
//! Nothing outside the storage directory is ever opened: `..` cannot climb out, other absolute paths are
//! refused, and symbolic links are never followed.
//!
//! Sample galleries hold thousands of multi-megabyte photos. Their files exist on disk as sparse files of
//! the right size (so `ls`, `stat`, `find`, `mv`, `rm` and `touch` work on real files), while their bytes are
//! generated on demand by a [`SyntheticContent`] registered under the file's inode. Renaming keeps the inode
//! and so the content; any write, truncation or removal through this module forgets it.

use std::collections::{HashMap, HashSet};
use std::ffi::{OsStr, OsString};
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};

/// The names under which Android shows the primary shared storage, longest first.
pub const STORAGE_MOUNTS: [&str; 3] = ["/storage/emulated/0", "/storage/self/primary", "/sdcard"];

/// The name the phone itself uses for the storage root (what `realpath /sdcard` prints on Android 11+).
pub const PRIMARY_ROOT: &str = "/storage/emulated/0";

/// Bytes whose content is made on demand rather than stored.
pub trait SyntheticContent: Send + Sync {
    /// Total length in bytes; equals the sparse file's length on disk.
    fn len(&self) -> u64;
    /// True when there are no bytes at all.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Fills `buf` with the bytes at `offset`, returning how many were written (0 at the end).
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> usize;
}

/// Where a phone path points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// Inside the shared storage: the host path it maps to.
    Storage(PathBuf),
    /// One of the directories above the storage root (`/`, `/storage`, `/storage/emulated`, `/storage/self`),
    /// which the phone shows but which hold nothing but the way down.
    Above(&'static [&'static str]),
    /// Anywhere else on the phone (`/data`, `/system`, ...): the shell user may not go there.
    Outside,
}

/// The directories above the storage root, with the entries each shows.
const ABOVE: [(&str, &[&str]); 5] = [
    ("/", &["sdcard", "storage"]),
    ("/storage", &["emulated", "self"]),
    ("/storage/emulated", &["0"]),
    ("/storage/self", &["primary"]),
    ("/sdcard/..", &[]),
];

/// The phone's shared storage, backed by a host directory.
pub struct Storage {
    root: PathBuf,
    synthetic: RwLock<HashMap<(u64, u64), Arc<dyn SyntheticContent>>>,
    read_only: AtomicBool,
    /// Bytes that may still be written before writes fail with "No space left on device".
    write_budget: Mutex<Option<u64>>,
    written: AtomicU64,
    capacity_bytes: u64,
    unreadable: Mutex<HashSet<PathBuf>>,
    vanishing: Mutex<HashSet<PathBuf>>,
}

impl std::fmt::Debug for Storage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Storage").field("root", &self.root).finish_non_exhaustive()
    }
}

impl Storage {
    /// Serves `root` (which must exist) as the phone's shared storage of `capacity_bytes`.
    pub fn new(root: &Path, capacity_bytes: u64) -> io::Result<Self> {
        let root = fs::canonicalize(root)?;
        if !root.is_dir() {
            return Err(io::Error::new(io::ErrorKind::NotADirectory, "storage root is not a directory"));
        }
        Ok(Self {
            root,
            synthetic: RwLock::default(),
            read_only: AtomicBool::new(false),
            write_budget: Mutex::new(None),
            written: AtomicU64::new(0),
            capacity_bytes,
            unreadable: Mutex::default(),
            vanishing: Mutex::default(),
        })
    }

    /// The host directory that holds the storage.
    #[must_use]
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The size the phone reports for its storage.
    #[must_use]
    pub fn capacity_bytes(&self) -> u64 {
        self.capacity_bytes
    }

    /// Bytes written to the storage through this module since it started.
    #[must_use]
    pub fn bytes_written(&self) -> u64 {
        self.written.load(Ordering::Relaxed)
    }

    /// Resolves `path` (absolute, or relative to `cwd`) the way the phone's kernel would, lexically.
    #[must_use]
    pub fn locate(&self, cwd: &[u8], path: &[u8]) -> Location {
        let parts = normalize(cwd, path);
        for mount in STORAGE_MOUNTS {
            let mount_parts: Vec<&[u8]> = mount.as_bytes().split(|&b| b == b'/').filter(|p| !p.is_empty()).collect();
            if parts.len() >= mount_parts.len() && parts[..mount_parts.len()] == mount_parts[..] {
                let mut host = self.root.clone();
                for part in &parts[mount_parts.len()..] {
                    host.push(OsStr::from_bytes(part));
                }
                return Location::Storage(host);
            }
        }
        let joined = join_abs(&parts);
        for (dir, entries) in ABOVE {
            if joined.as_bytes() == dir.as_bytes() {
                return Location::Above(entries);
            }
        }
        Location::Outside
    }

    /// Maps a host path inside the storage back to the phone's primary name for it.
    #[must_use]
    pub fn phone_path(&self, host: &Path) -> Option<Vec<u8>> {
        let rel = host.strip_prefix(&self.root).ok()?;
        let mut out = PRIMARY_ROOT.as_bytes().to_vec();
        for part in rel.components() {
            out.push(b'/');
            out.extend_from_slice(part.as_os_str().as_bytes());
        }
        Some(out)
    }

    /// Registers generated content for the (sparse) file at `host`, which must already have `content.len()` bytes.
    pub fn register_synthetic(&self, host: &Path, content: Arc<dyn SyntheticContent>) -> io::Result<()> {
        let meta = fs::symlink_metadata(host)?;
        if meta.len() != content.len() {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, "synthetic content length differs from the file"));
        }
        self.write_lock().insert((meta.dev(), meta.ino()), content);
        Ok(())
    }

    /// Opens a file for reading, through its generated content when it has one. Symbolic links are refused.
    pub fn open_read(&self, host: &Path) -> io::Result<StorageReader> {
        self.check_inside(host)?;
        if lock(&self.vanishing).remove(host) {
            self.remove_file(host)?;
        }
        if lock(&self.unreadable).contains(host) {
            return Err(io::Error::from(io::ErrorKind::PermissionDenied));
        }
        let file = OpenOptions::new().read(true).custom_flags(libc::O_NOFOLLOW).open(host)?;
        let meta = file.metadata()?;
        if meta.is_dir() {
            return Err(io::Error::from(io::ErrorKind::IsADirectory));
        }
        let synthetic = self.read_lock().get(&(meta.dev(), meta.ino())).cloned();
        Ok(match synthetic {
            Some(content) if content.len() == meta.len() => StorageReader::Synthetic { content, pos: 0 },
            _ => StorageReader::File(file),
        })
    }

    /// Creates (or truncates) a file for writing, as adbd and toybox do. Counts against the storage-full fault.
    pub fn create(&self, host: &Path) -> io::Result<StorageWriter<'_>> {
        self.check_writable(host)?;
        self.forget(host);
        let file = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o660)
            .custom_flags(libc::O_NOFOLLOW)
            .open(host)?;
        // Shared storage ignores the mode a client asks for: files are rw-rw---- as on a phone.
        file.set_permissions(std::os::unix::fs::PermissionsExt::from_mode(0o660))?;
        Ok(StorageWriter { storage: self, file })
    }

    /// Opens a file for appending (`>>`), creating it if missing. A file with generated content becomes a
    /// real one first, so that what it held stays in front of what is appended.
    pub fn append(&self, host: &Path) -> io::Result<StorageWriter<'_>> {
        self.check_writable(host)?;
        if let Ok(meta) = fs::symlink_metadata(host) {
            let synthetic = self.read_lock().get(&(meta.dev(), meta.ino())).cloned();
            if let Some(content) = synthetic.filter(|c| c.len() == meta.len()) {
                let mut file = OpenOptions::new().write(true).custom_flags(libc::O_NOFOLLOW).open(host)?;
                io::copy(&mut StorageReader::Synthetic { content, pos: 0 }, &mut file)?;
                self.forget(host);
            }
        }
        let file =
            OpenOptions::new().append(true).create(true).mode(0o660).custom_flags(libc::O_NOFOLLOW).open(host)?;
        Ok(StorageWriter { storage: self, file })
    }

    /// Creates a directory (not its parents).
    pub fn create_dir(&self, host: &Path) -> io::Result<()> {
        self.check_writable(host)?;
        std::fs::DirBuilder::new().mode(0o770).create(host)?;
        // As on a phone's shared storage, whatever the umask: rwxrwx---.
        fs::set_permissions(host, std::os::unix::fs::PermissionsExt::from_mode(0o770))
    }

    /// Removes a file.
    pub fn remove_file(&self, host: &Path) -> io::Result<()> {
        self.check_writable(host)?;
        self.forget(host);
        fs::remove_file(host)
    }

    /// Removes an empty directory.
    pub fn remove_dir(&self, host: &Path) -> io::Result<()> {
        self.check_writable(host)?;
        fs::remove_dir(host)
    }

    /// Renames a file or directory; the content (generated or not) moves with it.
    pub fn rename(&self, from: &Path, to: &Path) -> io::Result<()> {
        self.check_writable(from)?;
        self.check_writable(to)?;
        if fs::symlink_metadata(to).is_ok_and(|m| !m.is_dir()) {
            self.forget(to);
        }
        fs::rename(from, to)
    }

    /// Sets a file's modification time (and access time when given).
    pub fn set_times(
        &self,
        host: &Path,
        mtime: std::time::SystemTime,
        atime: Option<std::time::SystemTime>,
    ) -> io::Result<()> {
        self.check_writable(host)?;
        let file = OpenOptions::new().write(false).read(true).custom_flags(libc::O_NOFOLLOW).open(host)?;
        let mut times = fs::FileTimes::new().set_modified(mtime);
        if let Some(atime) = atime {
            times = times.set_accessed(atime);
        }
        file.set_times(times)
    }

    /// Fault: every write fails with "Read-only file system".
    pub fn set_read_only(&self, read_only: bool) {
        self.read_only.store(read_only, Ordering::Relaxed);
    }

    /// Fault: writes fail with "No space left on device" once `bytes` more have been written.
    pub fn set_full_after(&self, bytes: Option<u64>) {
        *lock(&self.write_budget) = bytes;
    }

    /// Fault: opening this file for reading fails with "Permission denied".
    pub fn make_unreadable(&self, host: PathBuf) {
        lock(&self.unreadable).insert(host);
    }

    /// Fault: this file is deleted just before the first attempt to read it.
    pub fn make_vanishing(&self, host: PathBuf) {
        lock(&self.vanishing).insert(host);
    }

    /// Total logical size of the files in the storage, as `df` counts it.
    #[must_use]
    pub fn used_bytes(&self) -> u64 {
        fn walk(dir: &Path) -> u64 {
            let Ok(entries) = fs::read_dir(dir) else { return 0 };
            entries
                .filter_map(Result::ok)
                .map(|e| match e.metadata() {
                    Ok(m) if m.is_dir() => 4096 + walk(&e.path()),
                    Ok(m) => m.len().div_ceil(4096) * 4096,
                    Err(_) => 0,
                })
                .sum()
        }
        walk(&self.root)
    }

    /// True when `host` is inside the storage and no directory between the root and it is a symbolic link.
    #[must_use]
    pub fn is_reachable(&self, host: &Path) -> bool {
        self.check_inside(host).is_ok()
    }

    /// Fails unless `host` is inside the storage and no component below the root is a symbolic link.
    fn check_inside(&self, host: &Path) -> io::Result<()> {
        let rel = host.strip_prefix(&self.root).map_err(|_| io::Error::from(io::ErrorKind::PermissionDenied))?;
        let mut at = self.root.clone();
        let mut parts = rel.components().peekable();
        while let Some(part) = parts.next() {
            at.push(part);
            if parts.peek().is_some() && fs::symlink_metadata(&at).is_ok_and(|m| m.file_type().is_symlink()) {
                return Err(io::Error::from(io::ErrorKind::PermissionDenied));
            }
        }
        Ok(())
    }

    fn check_writable(&self, host: &Path) -> io::Result<()> {
        self.check_inside(host)?;
        if host == self.root {
            return Err(io::Error::from(io::ErrorKind::PermissionDenied));
        }
        if self.read_only.load(Ordering::Relaxed) {
            return Err(io::Error::from(io::ErrorKind::ReadOnlyFilesystem));
        }
        Ok(())
    }

    fn forget(&self, host: &Path) {
        if let Ok(meta) = fs::symlink_metadata(host) {
            self.write_lock().remove(&(meta.dev(), meta.ino()));
        }
    }

    fn charge_write(&self, len: u64) -> io::Result<()> {
        let mut budget = lock(&self.write_budget);
        if let Some(left) = budget.as_mut() {
            if *left < len {
                *left = 0;
                return Err(io::Error::from(io::ErrorKind::StorageFull));
            }
            *left -= len;
        }
        self.written.fetch_add(len, Ordering::Relaxed);
        Ok(())
    }

    fn read_lock(&self) -> std::sync::RwLockReadGuard<'_, HashMap<(u64, u64), Arc<dyn SyntheticContent>>> {
        self.synthetic.read().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn write_lock(&self) -> std::sync::RwLockWriteGuard<'_, HashMap<(u64, u64), Arc<dyn SyntheticContent>>> {
        self.synthetic.write().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Reads a stored file: real bytes, or generated ones.
pub enum StorageReader {
    /// A file with real content on disk.
    File(File),
    /// A sparse file whose content is generated.
    Synthetic {
        /// The generator.
        content: Arc<dyn SyntheticContent>,
        /// The read position.
        pos: u64,
    },
}

impl StorageReader {
    /// The file's length in bytes.
    pub fn len(&self) -> io::Result<u64> {
        match self {
            Self::File(f) => Ok(f.metadata()?.len()),
            Self::Synthetic { content, .. } => Ok(content.len()),
        }
    }

    /// True when the file is empty.
    pub fn is_empty(&self) -> io::Result<bool> {
        Ok(self.len()? == 0)
    }
}

impl Read for StorageReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Self::File(f) => f.read(buf),
            Self::Synthetic { content, pos } => {
                let n = content.read_at(*pos, buf);
                *pos += n as u64;
                Ok(n)
            }
        }
    }
}

impl Seek for StorageReader {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        match self {
            Self::File(f) => f.seek(to),
            Self::Synthetic { content, pos } => {
                let new = match to {
                    SeekFrom::Start(n) => Some(n),
                    SeekFrom::End(d) => content.len().checked_add_signed(d),
                    SeekFrom::Current(d) => pos.checked_add_signed(d),
                };
                *pos = new.ok_or_else(|| io::Error::from(io::ErrorKind::InvalidInput))?;
                Ok(*pos)
            }
        }
    }
}

/// Writes a stored file, counting the bytes against the storage-full fault.
pub struct StorageWriter<'a> {
    storage: &'a Storage,
    file: File,
}

impl StorageWriter<'_> {
    /// The open file, to set its permissions or times once written.
    #[must_use]
    pub fn file(&self) -> &File {
        &self.file
    }
}

impl Write for StorageWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.storage.charge_write(buf.len() as u64)?;
        self.file.write_all(buf)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

/// Splits `path` (made absolute against `cwd`) into components with `.` and `..` applied.
fn normalize<'a>(cwd: &'a [u8], path: &'a [u8]) -> Vec<&'a [u8]> {
    let mut parts: Vec<&[u8]> = Vec::new();
    let chain: Box<dyn Iterator<Item = &[u8]>> = if path.first() == Some(&b'/') {
        Box::new(path.split(|&b| b == b'/'))
    } else {
        Box::new(cwd.split(|&b| b == b'/').chain(path.split(|&b| b == b'/')))
    };
    for part in chain {
        match part {
            b"" | b"." => {}
            b".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    parts
}

fn join_abs(parts: &[&[u8]]) -> OsString {
    if parts.is_empty() {
        return OsString::from("/");
    }
    let mut out = Vec::new();
    for p in parts {
        out.push(b'/');
        out.extend_from_slice(p);
    }
    OsString::from_vec(out)
}

/// Top-level directories of an Android root file system: the shell user gets "Permission denied" under them
/// (it cannot see what they hold); any other name outside the storage does not exist.
const ANDROID_ROOT: [&str; 31] = [
    "acct",
    "apex",
    "bin",
    "bugreports",
    "cache",
    "config",
    "d",
    "data",
    "data_mirror",
    "debug_ramdisk",
    "dev",
    "etc",
    "init",
    "init.environ.rc",
    "linkerconfig",
    "lost+found",
    "metadata",
    "mnt",
    "odm",
    "odm_dlkm",
    "oem",
    "postinstall",
    "proc",
    "product",
    "second_stage_resources",
    "sys",
    "system",
    "system_dlkm",
    "system_ext",
    "vendor",
    "vendor_dlkm",
];

/// `path` made absolute against `cwd` with `.`, `..` and repeated slashes resolved lexically (as mksh keeps
/// `$PWD` and as this module resolves every path).
#[must_use]
pub fn absolute_path(cwd: &[u8], path: &[u8]) -> Vec<u8> {
    join_abs(&normalize(cwd, path)).into_vec()
}

/// The error the phone gives the shell user for a path outside the shared storage: "Permission denied" under
/// the real top-level directories of Android's root (`/data`, `/system`, ...), "No such file or directory"
/// for names the root does not have.
#[must_use]
pub fn outside_error(cwd: &[u8], path: &[u8]) -> io::Error {
    let parts = normalize(cwd, path);
    match parts.first() {
        Some(first) if ANDROID_ROOT.iter().any(|n| n.as_bytes() == *first) => {
            io::Error::from_raw_os_error(libc::EACCES)
        }
        _ => io::Error::from_raw_os_error(libc::ENOENT),
    }
}

/// The C library's text for an I/O error, as toybox prints it after a path.
#[must_use]
pub fn strerror(err: &io::Error) -> &'static str {
    use io::ErrorKind as K;
    if let Some(code) = err.raw_os_error() {
        match code {
            libc::ENOENT => return "No such file or directory",
            libc::EACCES => return "Permission denied",
            libc::EPERM => return "Operation not permitted",
            libc::EEXIST => return "File exists",
            libc::ENOTDIR => return "Not a directory",
            libc::EISDIR => return "Is a directory",
            libc::ENOSPC => return "No space left on device",
            libc::EROFS => return "Read-only file system",
            libc::ENOTEMPTY => return "Directory not empty",
            libc::ENAMETOOLONG => return "File name too long",
            libc::EXDEV => return "Invalid cross-device link",
            libc::EINVAL => return "Invalid argument",
            libc::ELOOP => return "Too many levels of symbolic links",
            libc::EIO => return "I/O error",
            _ => {}
        }
    }
    match err.kind() {
        K::NotFound => "No such file or directory",
        K::PermissionDenied => "Permission denied",
        K::AlreadyExists => "File exists",
        K::NotADirectory => "Not a directory",
        K::IsADirectory => "Is a directory",
        K::StorageFull => "No space left on device",
        K::ReadOnlyFilesystem => "Read-only file system",
        K::DirectoryNotEmpty => "Directory not empty",
        K::InvalidFilename => "File name too long",
        K::InvalidInput => "Invalid argument",
        _ => "I/O error",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn storage() -> (tempfile::TempDir, Storage) {
        let dir = tempfile::tempdir().expect("temp dir");
        let storage = Storage::new(dir.path(), 1 << 30).expect("storage");
        (dir, storage)
    }

    #[test]
    fn every_mount_name_and_dotdot_resolve_inside_the_storage() {
        let (_dir, s) = storage();
        let root = s.root().to_path_buf();
        assert_eq!(s.locate(b"/", b"/sdcard/DCIM"), Location::Storage(root.join("DCIM")));
        assert_eq!(s.locate(b"/", b"/storage/emulated/0/DCIM/"), Location::Storage(root.join("DCIM")));
        assert_eq!(s.locate(b"/sdcard", b"DCIM/../Pictures"), Location::Storage(root.join("Pictures")));
        assert_eq!(s.locate(b"/", b"/sdcard/../../sdcard/a"), Location::Storage(root.join("a")));
        assert_eq!(s.locate(b"/", b"/sdcard/.."), Location::Above(&["sdcard", "storage"]));
        assert_eq!(s.locate(b"/", b"/storage/emulated/0/../../../etc/passwd"), Location::Outside);
        assert_eq!(s.locate(b"/", b"/data/local/tmp"), Location::Outside);
        assert_eq!(s.locate(b"/", b"/"), Location::Above(&["sdcard", "storage"]));
    }

    #[test]
    fn absolute_paths_resolve_dots_like_mksh_simplify_path() {
        assert_eq!(absolute_path(b"/", b"/usr//bin/../lib/"), b"/usr/lib");
        assert_eq!(absolute_path(b"/sdcard/DCIM", b".."), b"/sdcard");
        assert_eq!(absolute_path(b"/", b"../.."), b"/");
        assert_eq!(absolute_path(b"/sdcard", b"./a/./b"), b"/sdcard/a/b");
    }

    #[test]
    fn outside_paths_are_denied_under_android_directories_and_missing_elsewhere() {
        assert_eq!(outside_error(b"/", b"/data/local/tmp").raw_os_error(), Some(libc::EACCES));
        assert_eq!(outside_error(b"/sdcard", b"../../../system").raw_os_error(), Some(libc::EACCES));
        assert_eq!(outside_error(b"/", b"/nonexistent").raw_os_error(), Some(libc::ENOENT));
    }

    #[test]
    fn synthetic_content_is_served_until_the_file_is_rewritten() {
        struct Ones;
        impl SyntheticContent for Ones {
            fn len(&self) -> u64 {
                10
            }
            fn read_at(&self, offset: u64, buf: &mut [u8]) -> usize {
                let n = buf.len().min((10 - offset.min(10)) as usize);
                buf[..n].fill(1);
                n
            }
        }
        let (_dir, s) = storage();
        let host = s.root().join("x.jpg");
        File::create(&host).and_then(|f| f.set_len(10)).expect("sparse file");
        s.register_synthetic(&host, Arc::new(Ones)).expect("register");
        let moved = s.root().join("y.jpg");
        s.rename(&host, &moved).expect("rename");
        let mut bytes = Vec::new();
        s.open_read(&moved).expect("open").read_to_end(&mut bytes).expect("read");
        assert_eq!(bytes, vec![1; 10]);
        s.create(&moved).expect("create").write_all(b"abc").expect("write");
        bytes.clear();
        s.open_read(&moved).expect("open").read_to_end(&mut bytes).expect("read");
        assert_eq!(bytes, b"abc");
    }

    #[test]
    fn appending_to_a_generated_file_keeps_its_content_in_front() {
        struct Twos;
        impl SyntheticContent for Twos {
            fn len(&self) -> u64 {
                4
            }
            fn read_at(&self, offset: u64, buf: &mut [u8]) -> usize {
                let n = buf.len().min((4 - offset.min(4)) as usize);
                buf[..n].fill(2);
                n
            }
        }
        let (_dir, s) = storage();
        let host = s.root().join("g.jpg");
        File::create(&host).and_then(|f| f.set_len(4)).expect("sparse file");
        s.register_synthetic(&host, Arc::new(Twos)).expect("register");
        s.append(&host).expect("append").write_all(b"!").expect("write");
        let mut bytes = Vec::new();
        s.open_read(&host).expect("open").read_to_end(&mut bytes).expect("read");
        assert_eq!(bytes, b"\x02\x02\x02\x02!");
    }

    #[test]
    fn symlinks_out_of_the_storage_are_not_followed() {
        let (_dir, s) = storage();
        let outside = tempfile::tempdir().expect("temp dir");
        fs::write(outside.path().join("secret"), b"secret").expect("write");
        std::os::unix::fs::symlink(outside.path(), s.root().join("link")).expect("symlink");
        std::os::unix::fs::symlink(outside.path().join("secret"), s.root().join("file")).expect("symlink");
        assert!(s.open_read(&s.root().join("link/secret")).is_err());
        assert!(s.open_read(&s.root().join("file")).is_err());
        assert!(s.create(&s.root().join("link/new")).is_err());
        assert!(!outside.path().join("new").exists());
    }

    #[test]
    fn storage_full_and_read_only_faults_fail_writes_with_the_kernel_errors() {
        let (_dir, s) = storage();
        s.set_full_after(Some(4));
        let mut w = s.create(&s.root().join("a")).expect("create");
        w.write_all(b"abcd").expect("within budget");
        let err = w.write_all(b"e").expect_err("over budget");
        assert_eq!(strerror(&err), "No space left on device");
        s.set_read_only(true);
        let err = s.create(&s.root().join("b")).err().expect("read-only");
        assert_eq!(strerror(&err), "Read-only file system");
    }
}
