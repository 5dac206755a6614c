//! The file system as a command on the phone sees it: the shared storage (host files), the fixed directories
//! above it, and everything else, which the shell user may not see.

use crate::virtual_phone::shell::Ctx;
use crate::virtual_phone::storage::{self, Location};
use std::fs;
use std::io::{self, Read};
use std::os::unix::fs::MetadataExt;
use std::path::PathBuf;

/// A time stamp.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub(crate) struct Ts {
    pub sec: i64,
    pub nsec: i64,
}

/// What `lstat` says about a file.
#[derive(Debug, Clone, Default)]
pub(crate) struct Meta {
    pub mode: u32,
    pub nlink: u64,
    pub uid: u32,
    pub gid: u32,
    pub size: u64,
    /// 512-byte blocks.
    pub blocks: u64,
    pub ino: u64,
    pub dev: u64,
    pub rdev: u64,
    pub blksize: u64,
    pub atime: Ts,
    pub mtime: Ts,
    pub ctime: Ts,
}

impl Meta {
    pub fn is_dir(&self) -> bool {
        self.mode & 0o170_000 == 0o040_000
    }

    pub fn is_file(&self) -> bool {
        self.mode & 0o170_000 == 0o100_000
    }

    pub fn is_symlink(&self) -> bool {
        self.mode & 0o170_000 == 0o120_000
    }

    fn from_host(m: &fs::Metadata) -> Self {
        Self {
            mode: m.mode(),
            nlink: m.nlink(),
            uid: m.uid(),
            gid: m.gid(),
            size: m.size(),
            blocks: m.blocks(),
            ino: m.ino(),
            dev: m.dev(),
            rdev: m.rdev(),
            blksize: m.blksize(),
            atime: Ts { sec: m.atime(), nsec: m.atime_nsec() },
            mtime: Ts { sec: m.mtime(), nsec: m.mtime_nsec() },
            ctime: Ts { sec: m.ctime(), nsec: m.ctime_nsec() },
        }
    }

    fn above(entries: &[&str]) -> Self {
        let root = entries.contains(&"sdcard");
        Self {
            mode: if root { 0o040_755 } else { 0o040_711 },
            nlink: 2 + entries.len() as u64,
            size: 4096,
            blocks: 8,
            ino: 2 + entries.len() as u64,
            dev: 0x13,
            blksize: 4096,
            ..Self::default()
        }
    }
}

/// Where a path leads.
#[derive(Debug, Clone)]
pub(crate) enum Place {
    Host(PathBuf),
    Above(&'static [&'static str]),
    Outside,
}

/// An `io::Error` for this errno.
pub(crate) fn errno(code: i32) -> io::Error {
    io::Error::from_raw_os_error(code)
}

/// The C library's message for an error.
pub(crate) fn strerror(err: &io::Error) -> &'static str {
    storage::strerror(err)
}

/// Resolves a path as the kernel would for the shell user.
pub(crate) fn place(ctx: &Ctx<'_>, path: &[u8]) -> Place {
    match ctx.phone.storage.locate(&ctx.cwd, path) {
        Location::Storage(host) => Place::Host(host),
        Location::Above(entries) => Place::Above(entries),
        Location::Outside => Place::Outside,
    }
}

/// `lstat(path)`.
pub(crate) fn lstat(ctx: &Ctx<'_>, path: &[u8]) -> io::Result<Meta> {
    if path.is_empty() {
        return Err(errno(libc::ENOENT));
    }
    let meta = match place(ctx, path) {
        Place::Host(host) => Meta::from_host(&fs::symlink_metadata(host)?),
        Place::Above(entries) => Meta::above(entries),
        Place::Outside => return Err(crate::virtual_phone::storage::outside_error(&ctx.cwd, path)),
    };
    let trailing = path.ends_with(b"/") || path.ends_with(b"/.") || path.ends_with(b"/..") || path == b"..";
    if trailing && !meta.is_dir() {
        return Err(errno(libc::ENOTDIR));
    }
    Ok(meta)
}

/// `stat(path)`: the storage has no symbolic links the phone would follow, so as `lstat`.
pub(crate) fn stat(ctx: &Ctx<'_>, path: &[u8]) -> io::Result<Meta> {
    lstat(ctx, path)
}

/// The names in a directory, in the order the kernel returns them, without `.` and `..`.
pub(crate) fn list_dir(ctx: &Ctx<'_>, path: &[u8]) -> io::Result<Vec<Vec<u8>>> {
    match place(ctx, path) {
        Place::Host(host) => {
            let meta = fs::symlink_metadata(&host)?;
            if !meta.is_dir() {
                return Err(errno(libc::ENOTDIR));
            }
            let mut names = Vec::new();
            for entry in fs::read_dir(&host)? {
                names.push(std::os::unix::ffi::OsStrExt::as_bytes(entry?.file_name().as_os_str()).to_vec());
            }
            Ok(names)
        }
        Place::Above(entries) => Ok(entries.iter().map(|e| e.as_bytes().to_vec()).collect()),
        Place::Outside => Err(crate::virtual_phone::storage::outside_error(&ctx.cwd, path)),
    }
}

/// The target of a symbolic link in the storage (read, never followed).
pub(crate) fn read_link(ctx: &Ctx<'_>, path: &[u8]) -> Option<Vec<u8>> {
    match place(ctx, path) {
        Place::Host(host) => fs::read_link(host).ok().map(|t| t.into_os_string().into_encoded_bytes()),
        Place::Above(_) | Place::Outside => None,
    }
}

/// An opened file: its content, or a directory (whose reads fail with EISDIR as on Linux).
pub(crate) enum Opened {
    File(storage::StorageReader),
    Dir,
}

impl Read for Opened {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Self::File(f) => f.read(buf),
            Self::Dir => Err(errno(libc::EISDIR)),
        }
    }
}

impl Opened {
    /// The size `fstat` reports, for a regular file.
    pub fn file_len(&self) -> Option<u64> {
        match self {
            Self::File(f) => f.len().ok(),
            Self::Dir => None,
        }
    }
}

/// `open(path, O_RDONLY)`.
pub(crate) fn open_read(ctx: &Ctx<'_>, path: &[u8]) -> io::Result<Opened> {
    let meta = lstat(ctx, path)?;
    if meta.is_dir() {
        return Ok(Opened::Dir);
    }
    match place(ctx, path) {
        Place::Host(host) => Ok(Opened::File(ctx.phone.storage.open_read(&host)?)),
        Place::Above(_) => Ok(Opened::Dir),
        Place::Outside => Err(crate::virtual_phone::storage::outside_error(&ctx.cwd, path)),
    }
}

/// The host path to change, or the error the kernel gives the shell user for changing this place.
pub(crate) fn writable(ctx: &Ctx<'_>, path: &[u8]) -> io::Result<PathBuf> {
    if path.is_empty() {
        return Err(errno(libc::ENOENT));
    }
    match place(ctx, path) {
        Place::Host(host) if host != ctx.phone.storage.root() => Ok(host),
        Place::Host(_) | Place::Above(_) | Place::Outside => Err(errno(libc::EACCES)),
    }
}

/// Joins a directory path and a name as toybox's `dirtree_path` does (one trailing slash of the parent dropped).
pub(crate) fn join(parent: &[u8], name: &[u8]) -> Vec<u8> {
    let mut path = parent.to_vec();
    if path.is_empty() {
        return name.to_vec();
    }
    if path.last() == Some(&b'/') {
        path.pop();
    }
    path.push(b'/');
    path.extend_from_slice(name);
    path
}
