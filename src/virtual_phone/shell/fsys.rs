//! What the shell itself sees of the phone's file system: every path goes through [`Storage::locate`], and
//! nothing outside the storage directory is ever opened (symbolic links inside it are not followed).

use super::super::Phone;
use super::super::storage::{Location, Storage};
use std::fs;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

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

/// `path` made absolute against `cwd` with `.`, `..` and repeated slashes resolved lexically (mksh's
/// `simplify_path`, how it keeps `$PWD`).
pub(super) fn normalize(cwd: &[u8], path: &[u8]) -> Vec<u8> {
    let mut parts: Vec<&[u8]> = Vec::new();
    let iter: Box<dyn Iterator<Item = &[u8]>> = if path.first() == Some(&b'/') {
        Box::new(path.split(|&b| b == b'/'))
    } else {
        Box::new(cwd.split(|&b| b == b'/').chain(path.split(|&b| b == b'/')))
    };
    for part in iter {
        match part {
            b"" | b"." => {}
            b".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    let mut out = Vec::new();
    for p in parts {
        out.push(b'/');
        out.extend_from_slice(p);
    }
    if out.is_empty() {
        out.push(b'/');
    }
    out
}

/// The error the phone gives the shell user for a path outside the shared storage.
pub(super) fn outside_error(cwd: &[u8], path: &[u8]) -> io::Error {
    let abs = normalize(cwd, path);
    let first = abs[1..].split(|&b| b == b'/').next().unwrap_or_default();
    if ANDROID_ROOT.iter().any(|n| n.as_bytes() == first) {
        io::Error::from_raw_os_error(libc::EACCES)
    } else {
        io::Error::from_raw_os_error(libc::ENOENT)
    }
}

/// True when no directory between the storage root and `host` is a symbolic link.
pub(super) fn no_symlinked_parent(storage: &Storage, host: &Path) -> bool {
    let Ok(rel) = host.strip_prefix(storage.root()) else { return false };
    let mut at = storage.root().to_path_buf();
    let mut parts = rel.components().peekable();
    while let Some(part) = parts.next() {
        at.push(part);
        if parts.peek().is_some() && fs::symlink_metadata(&at).is_ok_and(|m| m.file_type().is_symlink()) {
            return false;
        }
    }
    true
}

/// What `lstat` tells about a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Stat {
    /// A directory.
    pub dir: bool,
    /// A regular file.
    pub file: bool,
    /// A symbolic link.
    pub symlink: bool,
    /// Size in bytes.
    pub len: u64,
    /// Modification time: seconds and nanoseconds.
    pub mtime: (i64, i64),
    /// Device and inode.
    pub id: (u64, u64),
}

/// `lstat(path)` on the phone. Like the kernel, it walks the path: every name before the last must be a
/// directory (`a.jpg/../b.jpg` fails although it simplifies to `b.jpg`).
pub(super) fn lstat(phone: &Phone, cwd: &[u8], path: &[u8]) -> io::Result<Stat> {
    let mut prefix = if path.first() == Some(&b'/') { b"/".to_vec() } else { Vec::new() };
    let parts: Vec<&[u8]> = path.split(|&b| b == b'/').filter(|p| !p.is_empty()).collect();
    for part in parts.iter().take(parts.len().saturating_sub(1)) {
        prefix.extend_from_slice(part);
        if *part != b"." && *part != b".." && !lstat_one(phone, cwd, &prefix)?.dir {
            return Err(io::Error::from_raw_os_error(libc::ENOTDIR));
        }
        prefix.push(b'/');
    }
    lstat_one(phone, cwd, path)
}

fn lstat_one(phone: &Phone, cwd: &[u8], path: &[u8]) -> io::Result<Stat> {
    match phone.storage.locate(cwd, path) {
        Location::Storage(host) => {
            if !no_symlinked_parent(&phone.storage, &host) {
                return Err(io::Error::from_raw_os_error(libc::EACCES));
            }
            let m = fs::symlink_metadata(&host)?;
            if path.ends_with(b"/") && !m.is_dir() {
                return Err(io::Error::from_raw_os_error(libc::ENOTDIR));
            }
            Ok(Stat {
                dir: m.is_dir(),
                file: m.is_file(),
                symlink: m.file_type().is_symlink(),
                len: m.len(),
                mtime: (m.mtime(), m.mtime_nsec()),
                id: (m.dev(), m.ino()),
            })
        }
        Location::Above(_) => {
            Ok(Stat { dir: true, file: false, symlink: false, len: 4096, mtime: (0, 0), id: (0, above_ino(cwd, path)) })
        }
        Location::Outside => Err(outside_error(cwd, path)),
    }
}

fn above_ino(cwd: &[u8], path: &[u8]) -> u64 {
    normalize(cwd, path).iter().fold(1u64, |h, &b| h.wrapping_mul(31).wrapping_add(u64::from(b)))
}

/// The names in a directory (without `.` and `..`), unsorted.
pub(super) fn list_dir(phone: &Phone, cwd: &[u8], path: &[u8]) -> io::Result<Vec<Vec<u8>>> {
    if !lstat(phone, cwd, path)?.dir {
        return Err(io::Error::from_raw_os_error(libc::ENOTDIR));
    }
    match phone.storage.locate(cwd, path) {
        Location::Storage(host) => {
            if !no_symlinked_parent(&phone.storage, &host) || fs::symlink_metadata(&host)?.file_type().is_symlink() {
                return Err(io::Error::from_raw_os_error(libc::EACCES));
            }
            let mut names = Vec::new();
            for entry in fs::read_dir(&host)? {
                names.push(entry?.file_name().as_bytes().to_vec());
            }
            Ok(names)
        }
        Location::Above(entries) => Ok(entries.iter().map(|e| e.as_bytes().to_vec()).collect()),
        Location::Outside => Err(outside_error(cwd, path)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalize_resolves_dots_like_mksh_simplify_path() {
        assert_eq!(normalize(b"/", b"/usr//bin/../lib/"), b"/usr/lib");
        assert_eq!(normalize(b"/sdcard/DCIM", b".."), b"/sdcard");
        assert_eq!(normalize(b"/", b"../.."), b"/");
        assert_eq!(normalize(b"/sdcard", b"./a/./b"), b"/sdcard/a/b");
    }

    #[test]
    fn outside_paths_are_denied_under_android_directories_and_missing_elsewhere() {
        assert_eq!(outside_error(b"/", b"/data/local/tmp").raw_os_error(), Some(libc::EACCES));
        assert_eq!(outside_error(b"/", b"/nonexistent").raw_os_error(), Some(libc::ENOENT));
    }
}
