//! The `sync:` service (AOSP `SYNC.TXT`, `file_sync_protocol.h`, `daemon/file_sync_service.cpp`): file
//! transfer and listing, v1 and v2, with adbd's own replies, failure texts and edge cases (v1 sizes and
//! times truncated to 32 bits, a failed push removing its partial file, the pushed mtime applied).

use super::Phone;
use super::storage::{Location, Storage, strerror};
use std::fs;
use std::io::{self, Read, Write};
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::time::{Duration, UNIX_EPOCH};

const fn id(tag: [u8; 4]) -> u32 {
    u32::from_le_bytes(tag)
}

const ID_LSTAT_V1: u32 = id(*b"STAT");
const ID_STAT_V2: u32 = id(*b"STA2");
const ID_LSTAT_V2: u32 = id(*b"LST2");
const ID_LIST_V1: u32 = id(*b"LIST");
const ID_LIST_V2: u32 = id(*b"LIS2");
const ID_DENT_V1: u32 = id(*b"DENT");
const ID_DENT_V2: u32 = id(*b"DNT2");
const ID_SEND_V1: u32 = id(*b"SEND");
const ID_SEND_V2: u32 = id(*b"SND2");
const ID_RECV_V1: u32 = id(*b"RECV");
const ID_RECV_V2: u32 = id(*b"RCV2");
const ID_DONE: u32 = id(*b"DONE");
const ID_DATA: u32 = id(*b"DATA");
const ID_OKAY: u32 = id(*b"OKAY");
const ID_FAIL: u32 = id(*b"FAIL");
const ID_QUIT: u32 = id(*b"QUIT");

/// Largest DATA block (`SYNC_DATA_MAX`).
pub const SYNC_DATA_MAX: usize = 64 * 1024;

/// What went wrong with a file operation, as errno and text.
struct Errno {
    code: u32,
    text: &'static str,
}

impl From<&io::Error> for Errno {
    fn from(e: &io::Error) -> Self {
        let code = e.raw_os_error().unwrap_or_else(|| match e.kind() {
            io::ErrorKind::NotFound => libc::ENOENT,
            io::ErrorKind::PermissionDenied => libc::EACCES,
            io::ErrorKind::StorageFull => libc::ENOSPC,
            io::ErrorKind::ReadOnlyFilesystem => libc::EROFS,
            io::ErrorKind::IsADirectory => libc::EISDIR,
            io::ErrorKind::NotADirectory => libc::ENOTDIR,
            _ => libc::EIO,
        });
        Self { code: code as u32, text: strerror(e) }
    }
}

/// Serves one sync session until QUIT, a failure that ends it, or the host going away.
pub fn serve(phone: &Phone, input: &mut impl Read, output: &mut impl Write, v2: bool) -> io::Result<()> {
    let mut buffer = vec![0u8; SYNC_DATA_MAX];
    loop {
        let mut header = [0u8; 8];
        if input.read_exact(&mut header).is_err() {
            return Ok(());
        }
        let (req, len) = (word(&header, 0), word(&header, 4) as usize);
        if len > 1024 {
            return send_fail(output, "path too long");
        }
        let mut path = vec![0u8; len];
        if input.read_exact(&mut path).is_err() {
            return send_fail(output, "filename read failure");
        }
        phone.stats.sync_request(&String::from_utf8_lossy(&header[..4]));
        let keep_going = match req {
            ID_LSTAT_V1 => lstat_v1(&phone.storage, &path, output)?,
            ID_STAT_V2 | ID_LSTAT_V2 if v2 => stat_v2(&phone.storage, req, &path, output)?,
            ID_LIST_V1 => list(&phone.storage, &path, output, false)?,
            ID_LIST_V2 if v2 => list(&phone.storage, &path, output, true)?,
            ID_SEND_V1 => send_v1(&phone.storage, &path, input, output, &mut buffer)?,
            ID_SEND_V2 if v2 => send_v2(&phone.storage, &path, input, output, &mut buffer)?,
            ID_RECV_V1 => recv(&phone.storage, &path, output, &mut buffer)?,
            ID_RECV_V2 if v2 => {
                let mut setup = [0u8; 8];
                input.read_exact(&mut setup)?;
                let flags = word(&setup, 4);
                if flags == 0 {
                    recv(&phone.storage, &path, output, &mut buffer)?
                } else {
                    send_fail(output, &format!("unknown flags: {flags}"))?;
                    false
                }
            }
            ID_QUIT => false,
            other => {
                send_fail(output, &format!("unknown command {other:08x}"))?;
                false
            }
        };
        if !keep_going {
            return Ok(());
        }
    }
}

fn word(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

fn send_fail(output: &mut impl Write, reason: &str) -> io::Result<()> {
    let mut msg = Vec::with_capacity(8 + reason.len());
    msg.extend_from_slice(&ID_FAIL.to_le_bytes());
    msg.extend_from_slice(&(reason.len() as u32).to_le_bytes());
    msg.extend_from_slice(reason.as_bytes());
    output.write_all(&msg)
}

/// Resolves a sync path. adbd gets paths straight from the host, so relative paths are relative to `/`.
fn resolve(storage: &Storage, path: &[u8]) -> Result<std::path::PathBuf, Errno> {
    match storage.locate(b"/", path) {
        Location::Storage(host) => Ok(host),
        Location::Above(_) | Location::Outside => Err(Errno { code: libc::EACCES as u32, text: "Permission denied" }),
    }
}

/// Metadata as `lstat` gives it, for a path inside the storage or one of the directories above it.
fn lstat(storage: &Storage, path: &[u8], follow: bool) -> Result<fs::Metadata, Errno> {
    if let Location::Above(_) = storage.locate(b"/", path) {
        return fs::metadata(storage.root()).map_err(|e| Errno::from(&e));
    }
    let host = resolve(storage, path)?;
    let meta = if follow { fs::metadata(&host) } else { fs::symlink_metadata(&host) };
    meta.map_err(|e| Errno::from(&e))
}

fn lstat_v1(storage: &Storage, path: &[u8], output: &mut impl Write) -> io::Result<bool> {
    let (mode, size, mtime) = match lstat(storage, path, false) {
        Ok(m) => (m.mode(), m.size() as u32, m.mtime() as u32),
        Err(_) => (0, 0, 0),
    };
    let mut msg = ID_LSTAT_V1.to_le_bytes().to_vec();
    for v in [mode, size, mtime] {
        msg.extend_from_slice(&v.to_le_bytes());
    }
    output.write_all(&msg)?;
    Ok(true)
}

/// The 68 bytes of a v2 stat after its id: error, dev, ino, mode, nlink, uid, gid, size, atime, mtime, ctime.
fn stat_v2_body(meta: Result<&fs::Metadata, &Errno>) -> Vec<u8> {
    let mut b = Vec::with_capacity(68);
    match meta {
        Ok(m) => {
            b.extend_from_slice(&0u32.to_le_bytes());
            b.extend_from_slice(&m.dev().to_le_bytes());
            b.extend_from_slice(&m.ino().to_le_bytes());
            b.extend_from_slice(&m.mode().to_le_bytes());
            b.extend_from_slice(&(m.nlink() as u32).to_le_bytes());
            b.extend_from_slice(&m.uid().to_le_bytes());
            b.extend_from_slice(&m.gid().to_le_bytes());
            b.extend_from_slice(&m.size().to_le_bytes());
            b.extend_from_slice(&m.atime().to_le_bytes());
            b.extend_from_slice(&m.mtime().to_le_bytes());
            b.extend_from_slice(&m.ctime().to_le_bytes());
        }
        Err(e) => {
            b.extend_from_slice(&e.code.to_le_bytes());
            b.resize(68, 0);
        }
    }
    b
}

fn stat_v2(storage: &Storage, req: u32, path: &[u8], output: &mut impl Write) -> io::Result<bool> {
    let meta = lstat(storage, path, req == ID_STAT_V2);
    let mut msg = req.to_le_bytes().to_vec();
    msg.extend(stat_v2_body(meta.as_ref()));
    output.write_all(&msg)?;
    Ok(true)
}

fn list(storage: &Storage, path: &[u8], output: &mut impl Write, v2: bool) -> io::Result<bool> {
    let mut batch = Vec::with_capacity(64 * 1024);
    let emit = |name: &[u8], meta: Result<fs::Metadata, Errno>, batch: &mut Vec<u8>| {
        if v2 {
            batch.extend_from_slice(&ID_DENT_V2.to_le_bytes());
            batch.extend(stat_v2_body(meta.as_ref()));
        } else {
            let Ok(m) = meta else { return };
            batch.extend_from_slice(&ID_DENT_V1.to_le_bytes());
            for v in [m.mode(), m.size() as u32, m.mtime() as u32] {
                batch.extend_from_slice(&v.to_le_bytes());
            }
        }
        batch.extend_from_slice(&(name.len() as u32).to_le_bytes());
        batch.extend_from_slice(name);
    };
    match storage.locate(b"/", path) {
        Location::Storage(host) => {
            if let Ok(entries) = fs::read_dir(&host) {
                emit(b".", fs::symlink_metadata(&host).map_err(|e| Errno::from(&e)), &mut batch);
                let parent = host.parent().filter(|_| host != storage.root()).unwrap_or(&host);
                emit(b"..", fs::symlink_metadata(parent).map_err(|e| Errno::from(&e)), &mut batch);
                for entry in entries.flatten() {
                    let name = entry.file_name();
                    emit(
                        name.as_encoded_bytes(),
                        fs::symlink_metadata(entry.path()).map_err(|e| Errno::from(&e)),
                        &mut batch,
                    );
                    if batch.len() >= 60 * 1024 {
                        output.write_all(&batch)?;
                        batch.clear();
                    }
                }
            }
        }
        Location::Above(children) => {
            for name in [".", ".."].iter().chain(children) {
                emit(name.as_bytes(), fs::metadata(storage.root()).map_err(|e| Errno::from(&e)), &mut batch);
            }
        }
        Location::Outside => {}
    }
    batch.extend_from_slice(&ID_DONE.to_le_bytes());
    batch.resize(batch.len() + if v2 { 72 } else { 16 }, 0);
    output.write_all(&batch)?;
    Ok(true)
}

fn recv(storage: &Storage, path: &[u8], output: &mut impl Write, buffer: &mut [u8]) -> io::Result<bool> {
    let opened = resolve(storage, path).and_then(|host| storage.open_read(&host).map_err(|e| Errno::from(&e)));
    let mut file = match opened {
        Ok(f) => f,
        Err(e) => {
            send_fail(output, &format!("open failed: {}", e.text))?;
            return Ok(false);
        }
    };
    let chunk = buffer.len() - 8;
    loop {
        let n = match file.read(&mut buffer[8..8 + chunk]) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) => {
                send_fail(output, &format!("read failed: {}", strerror(&e)))?;
                return Ok(false);
            }
        };
        buffer[..4].copy_from_slice(&ID_DATA.to_le_bytes());
        buffer[4..8].copy_from_slice(&(n as u32).to_le_bytes());
        output.write_all(&buffer[..8 + n])?;
    }
    let mut done = ID_DONE.to_le_bytes().to_vec();
    done.extend_from_slice(&0u32.to_le_bytes());
    output.write_all(&done)?;
    Ok(true)
}

fn send_v1(
    storage: &Storage,
    spec: &[u8],
    input: &mut impl Read,
    output: &mut impl Write,
    buffer: &mut [u8],
) -> io::Result<bool> {
    let Some(comma) = spec.iter().rposition(|&b| b == b',') else {
        send_fail(output, "missing , in ID_SEND_V1")?;
        return Ok(false);
    };
    let Some(mode) = parse_mode(&spec[comma + 1..]) else {
        send_fail(output, "bad mode")?;
        return Ok(false);
    };
    send_file(storage, &spec[..comma], mode, input, output, buffer)
}

fn send_v2(
    storage: &Storage,
    path: &[u8],
    input: &mut impl Read,
    output: &mut impl Write,
    buffer: &mut [u8],
) -> io::Result<bool> {
    let mut setup = [0u8; 12];
    input.read_exact(&mut setup)?;
    let (mode, flags) = (word(&setup, 4), word(&setup, 8));
    if flags != 0 {
        send_fail(output, &format!("unknown flags: {flags}"))?;
        return Ok(false);
    }
    send_file(storage, path, mode, input, output, buffer)
}

/// `strtoul(text, nullptr, 0)`: decimal, `0x` hex or leading-zero octal.
fn parse_mode(text: &[u8]) -> Option<u32> {
    let text = std::str::from_utf8(text).ok()?.trim();
    let digits = text.trim_start_matches(['+']);
    if let Some(hex) = digits.strip_prefix("0x").or_else(|| digits.strip_prefix("0X")) {
        u32::from_str_radix(hex, 16).ok()
    } else if digits.len() > 1 && digits.starts_with('0') {
        u32::from_str_radix(&digits[1..], 8).ok()
    } else if digits.is_empty() {
        Some(0)
    } else {
        digits.parse().ok()
    }
}

const S_IFMT: u32 = 0o170_000;
const S_IFLNK: u32 = 0o120_000;

/// adbd's `send_impl` + `handle_send_file`: unlink, create (making parent folders), write, apply mtime; on
/// failure report, drain the host's data up to DONE and remove the partial file.
fn send_file(
    storage: &Storage,
    path: &[u8],
    mode: u32,
    input: &mut impl Read,
    output: &mut impl Write,
    buffer: &mut [u8],
) -> io::Result<bool> {
    if mode & S_IFMT == S_IFLNK {
        // Shared storage (FUSE) has no symbolic links.
        send_fail(output, "symlink failed: Operation not permitted")?;
        drain_after_fail(input, buffer);
        return Ok(false);
    }
    let host = match resolve(storage, path) {
        Ok(h) => h,
        Err(e) => {
            send_fail(output, &format!("couldn't create file: {}", e.text))?;
            drain_after_fail(input, buffer);
            return Ok(false);
        }
    };
    if fs::symlink_metadata(&host).is_ok_and(|m| m.is_file() || m.file_type().is_symlink()) {
        let _ = storage.remove_file(&host);
    }
    let created = match storage.create(&host) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            if let Err(e) = make_parents(storage, &host) {
                send_fail(output, &format!("secure_mkdirs failed: {}", strerror(&e)))?;
                fail_cleanup(storage, &host, input, buffer);
                return Ok(false);
            }
            storage.create(&host)
        }
        other => other,
    };
    let mut file = match created {
        Ok(f) => f,
        Err(e) => {
            send_fail(output, &format!("couldn't create file: {}", strerror(&e)))?;
            drain_after_fail(input, buffer);
            return Ok(false);
        }
    };
    let mtime = loop {
        let mut header = [0u8; 8];
        if input.read_exact(&mut header).is_err() {
            // The host went away mid-file (a pulled cable): adbd removes what it wrote.
            drop(file);
            let _ = storage.remove_file(&host);
            return Ok(false);
        }
        let (id, len) = (word(&header, 0), word(&header, 4) as usize);
        if id == ID_DONE {
            break len as u32;
        }
        if id != ID_DATA {
            send_fail(output, "invalid data message")?;
            drop(file);
            fail_cleanup(storage, &host, input, buffer);
            return Ok(false);
        }
        if len > buffer.len() {
            send_fail(output, "oversize data message")?;
            drop(file);
            fail_cleanup(storage, &host, input, buffer);
            return Ok(false);
        }
        if input.read_exact(&mut buffer[..len]).is_err() {
            drop(file);
            let _ = storage.remove_file(&host);
            return Ok(false);
        }
        if let Err(e) = file.write_all(&buffer[..len]) {
            send_fail(output, &format!("write failed: {}", strerror(&e)))?;
            drop(file);
            fail_cleanup(storage, &host, input, buffer);
            return Ok(false);
        }
    };
    drop(file);
    let when = UNIX_EPOCH + Duration::from_secs(u64::from(mtime));
    let _ = storage.set_times(&host, when, Some(when));
    let mut okay = ID_OKAY.to_le_bytes().to_vec();
    okay.extend_from_slice(&0u32.to_le_bytes());
    output.write_all(&okay)?;
    Ok(true)
}

fn make_parents(storage: &Storage, host: &Path) -> io::Result<()> {
    let Some(parent) = host.parent() else { return Ok(()) };
    let mut missing = Vec::new();
    let mut at = parent;
    while !at.exists() {
        missing.push(at);
        match at.parent() {
            Some(p) => at = p,
            None => break,
        }
    }
    for dir in missing.into_iter().rev() {
        match storage.create_dir(dir) {
            Err(e) if e.kind() != io::ErrorKind::AlreadyExists => return Err(e),
            _ => {}
        }
    }
    Ok(())
}

fn fail_cleanup(storage: &Storage, host: &Path, input: &mut impl Read, buffer: &mut [u8]) {
    drain_after_fail(input, buffer);
    let _ = storage.remove_file(host);
}

/// After a FAIL, adbd reads and drops DATA until DONE so that the host sees the failure.
fn drain_after_fail(input: &mut impl Read, buffer: &mut [u8]) {
    loop {
        let mut header = [0u8; 8];
        if input.read_exact(&mut header).is_err() {
            return;
        }
        let (id, len) = (word(&header, 0), word(&header, 4) as usize);
        if id != ID_DATA || len > buffer.len() || input.read_exact(&mut buffer[..len]).is_err() {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn send_modes_parse_like_strtoul_base_zero() {
        assert_eq!(parse_mode(b"33188"), Some(33188));
        assert_eq!(parse_mode(b"0644"), Some(0o644));
        assert_eq!(parse_mode(b"0x1a4"), Some(0x1a4));
        assert_eq!(parse_mode(b"zz"), None);
    }
}
