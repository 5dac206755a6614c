//! What the shell itself sees of the phone's file system: every path goes through [`Storage::locate`], and
//! nothing outside the storage directory is ever opened (symbolic links inside it are not followed).

use super::super::Phone;
use super::super::storage::Location;
use std::fs;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;

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
            if !phone.storage.is_reachable(&host) {
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
        Location::Outside => Err(crate::virtual_phone::storage::outside_error(cwd, path)),
    }
}

fn above_ino(cwd: &[u8], path: &[u8]) -> u64 {
    crate::virtual_phone::storage::absolute_path(cwd, path)
        .iter()
        .fold(1u64, |h, &b| h.wrapping_mul(31).wrapping_add(u64::from(b)))
}

/// The names in a directory (without `.` and `..`), unsorted.
pub(super) fn list_dir(phone: &Phone, cwd: &[u8], path: &[u8]) -> io::Result<Vec<Vec<u8>>> {
    if !lstat(phone, cwd, path)?.dir {
        return Err(io::Error::from_raw_os_error(libc::ENOTDIR));
    }
    match phone.storage.locate(cwd, path) {
        Location::Storage(host) => {
            if !phone.storage.is_reachable(&host) || fs::symlink_metadata(&host)?.file_type().is_symlink() {
                return Err(io::Error::from_raw_os_error(libc::EACCES));
            }
            let mut names = Vec::new();
            for entry in fs::read_dir(&host)? {
                names.push(entry?.file_name().as_bytes().to_vec());
            }
            Ok(names)
        }
        Location::Above(entries) => Ok(entries.iter().map(|e| e.as_bytes().to_vec()).collect()),
        Location::Outside => Err(crate::virtual_phone::storage::outside_error(cwd, path)),
    }
}
