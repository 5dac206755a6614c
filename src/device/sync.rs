//! The phone's file service (`sync:`, AOSP `SYNC.TXT` and `file_sync_protocol.h`), v2 where the phone and
//! server offer it, v1 otherwise.
//!
//! `adb_client` speaks v1 only: its sizes and times are 32-bit (a 5 GiB video is listed as 1 GiB), its pushes
//! always get mode 0777 and the time of the push. Here `STA2`/`LIS2` give 64-bit sizes, and a push sends the
//! mode it is given and the file's own mtime in its `DONE`. One session carries many requests, so listing a
//! gallery costs one round trip per folder, not a connection per folder.

use super::error::{Cancelled, DeviceError, show};
use super::wire::Conn;
use std::io::{Read, Write};

/// Largest DATA block (`SYNC_DATA_MAX`).
const DATA_MAX: usize = 64 * 1024;
/// Longest path the service accepts.
const PATH_MAX: usize = 1024;

/// File type bits of a mode.
const S_IFMT: u32 = 0o170_000;
const S_IFDIR: u32 = 0o040_000;
const S_IFREG: u32 = 0o100_000;
const S_IFLNK: u32 = 0o120_000;

const ENOENT: u32 = 2;
const ENOTDIR: u32 = 20;

/// Which protocol versions the phone and the adb server both offer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SyncVersions {
    /// `STA2`/`LST2` (64-bit sizes and times).
    pub stat_v2: bool,
    /// `LIS2`.
    pub ls_v2: bool,
    /// `SND2`/`RCV2`.
    pub sendrecv_v2: bool,
}

/// What `stat` says about a path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileStat {
    /// Type and permission bits (`st_mode`).
    pub mode: u32,
    /// Size in bytes (exact with v2; v1 keeps only the low 32 bits).
    pub size: u64,
    /// Modification time, seconds since 1970.
    pub mtime: i64,
}

impl FileStat {
    /// Whether it is a folder.
    #[must_use]
    pub fn is_dir(&self) -> bool {
        self.mode & S_IFMT == S_IFDIR
    }

    /// Whether it is a regular file.
    #[must_use]
    pub fn is_file(&self) -> bool {
        self.mode & S_IFMT == S_IFREG
    }

    /// Whether it is a symbolic link (v1 `STAT` does not follow links).
    #[must_use]
    pub fn is_symlink(&self) -> bool {
        self.mode & S_IFMT == S_IFLNK
    }
}

/// One entry of a folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirEntry {
    /// The name, byte for byte (phone names need not be UTF-8).
    pub name: Vec<u8>,
    /// What `lstat` says about it.
    pub stat: FileStat,
}

/// An open `sync:` session with one phone. Requests run one after another; after an error in the middle of a
/// transfer (a cancel, a broken link) the session cannot be used again: open a new one.
#[derive(Debug)]
pub struct SyncSession {
    conn: Conn,
    versions: SyncVersions,
    broken: bool,
    /// A file asked for ahead ([`SyncSession::pull_then`]): the phone sends it after the one before, unasked.
    ahead: Option<Vec<u8>>,
    /// Files sent with [`SyncSession::send`] whose answer is not read yet, in the order sent.
    unanswered: Vec<Vec<u8>>,
}

/// The phone's answer to a file sent with [`SyncSession::send`].
#[derive(Debug)]
pub enum PushAnswer {
    /// The phone wrote the file whole and gave it its time.
    Written,
    /// The phone refused it and left nothing of it; the session ended there.
    Refused(DeviceError),
    /// No answer came: the session ended before it (the phone refused an earlier file, or the link was lost).
    /// Whether the phone has the file is not known; send it again on a new session.
    Unknown(DeviceError),
}

fn request_bytes(id: [u8; 4], arg: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(8 + arg.len());
    out.extend_from_slice(&id);
    out.extend_from_slice(&(arg.len() as u32).to_le_bytes());
    out.extend_from_slice(arg);
    out
}

fn check_path(path: &[u8], extra: usize) -> Result<(), DeviceError> {
    if path.contains(&0) {
        return Err(DeviceError::BadPath { why: "it contains a NUL byte", path: show(path) });
    }
    if path.len() + extra > PATH_MAX {
        return Err(DeviceError::BadPath { why: "it is longer than 1024 bytes", path: show(path) });
    }
    if path.is_empty() {
        return Err(DeviceError::BadPath { why: "it is empty", path: String::new() });
    }
    Ok(())
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    let mut word = [0u8; 4];
    word.copy_from_slice(&b[at..at + 4]);
    u32::from_le_bytes(word)
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    let mut word = [0u8; 8];
    word.copy_from_slice(&b[at..at + 8]);
    u64::from_le_bytes(word)
}

/// Reads the v2 stat body (after the 4-byte id): error, dev, ino, mode, nlink, uid, gid, size, atime,
/// mtime, ctime — 68 bytes. Returns the errno and the stat.
fn parse_stat_v2(body: &[u8]) -> (u32, FileStat) {
    let error = u32_at(body, 0);
    let mode = u32_at(body, 20);
    let size = u64_at(body, 36);
    let mtime = u64_at(body, 52) as i64;
    (error, FileStat { mode, size, mtime })
}

/// A text for an errno the file service reported.
fn errno_text(code: u32) -> String {
    match code {
        1 => "Operation not permitted".to_string(),
        2 => "No such file or directory".to_string(),
        5 => "I/O error".to_string(),
        13 => "Permission denied".to_string(),
        20 => "Not a directory".to_string(),
        28 => "No space left on device".to_string(),
        30 => "Read-only file system".to_string(),
        other => format!("error {other}"),
    }
}

impl SyncSession {
    /// Starts a session on a connection already switched to the phone.
    pub(crate) fn start(mut conn: Conn, versions: SyncVersions) -> Result<Self, DeviceError> {
        conn.request(b"sync:")?;
        Ok(Self { conn, versions, broken: false, ahead: None, unanswered: Vec::new() })
    }

    /// The protocol versions in use.
    #[must_use]
    pub fn versions(&self) -> SyncVersions {
        self.versions
    }

    fn usable(&self) -> Result<(), DeviceError> {
        if self.broken {
            return Err(DeviceError::ConnectionLost {
                source: std::io::Error::other("an earlier transfer on this session stopped half-way"),
            });
        }
        Ok(())
    }

    /// Runs `f`; an error leaves the session unusable (its position in the stream is unknown).
    fn guard<T>(&mut self, f: impl FnOnce(&mut Self) -> Result<T, DeviceError>) -> Result<T, DeviceError> {
        self.usable()?;
        let result = f(self);
        if let Err(e) = &result
            && !matches!(e, DeviceError::BadPath { .. } | DeviceError::TimeOutOfRange { .. })
        {
            self.broken = true;
        }
        result
    }

    /// Reads a `FAIL` message body (after its id).
    fn read_fail(&mut self) -> Result<String, DeviceError> {
        let mut len = [0u8; 4];
        self.conn.read_exact(&mut len)?;
        let len = u32::from_le_bytes(len) as usize;
        if len > 64 * 1024 {
            return Err(DeviceError::Protocol { what: format!("a failure message of {len} bytes") });
        }
        let mut msg = vec![0u8; len];
        self.conn.read_exact(&mut msg)?;
        Ok(String::from_utf8_lossy(&msg).into_owned())
    }

    /// Settles a file asked for ahead before another request: `true` when it is `wanted` (its answer comes
    /// next); any other is received and dropped, so that the next answer is the next request's.
    fn take_ahead(&mut self, wanted: Option<&[u8]>) -> Result<bool, DeviceError> {
        match self.ahead.take() {
            None => Ok(false),
            Some(ahead) if Some(ahead.as_slice()) == wanted => Ok(true),
            Some(ahead) => {
                self.receive(&ahead, &mut std::io::sink(), &mut |_| Ok(()))?;
                Ok(false)
            }
        }
    }

    /// What `path` is, following symbolic links (with v2; v1 `STAT` does not follow them and has 32-bit sizes);
    /// `None` when nothing is there.
    pub fn stat(&mut self, path: &[u8]) -> Result<Option<FileStat>, DeviceError> {
        check_path(path, 0)?;
        self.guard(|s| {
            s.take_ahead(None)?;
            if s.versions.stat_v2 {
                s.conn.write_all(&request_bytes(*b"STA2", path))?;
                let mut reply = [0u8; 72];
                s.conn.read_exact(&mut reply)?;
                if &reply[..4] != b"STA2" {
                    return Err(DeviceError::Protocol { what: "STA2 answered with another record".to_string() });
                }
                let (error, stat) = parse_stat_v2(&reply[4..]);
                match error {
                    0 => Ok(Some(stat)),
                    ENOENT | ENOTDIR => Ok(None),
                    code => Err(DeviceError::Remote {
                        action: "look at the file",
                        message: errno_text(code),
                        path: show(path),
                    }),
                }
            } else {
                s.conn.write_all(&request_bytes(*b"STAT", path))?;
                let mut reply = [0u8; 16];
                s.conn.read_exact(&mut reply)?;
                if &reply[..4] != b"STAT" {
                    return Err(DeviceError::Protocol { what: "STAT answered with another record".to_string() });
                }
                let (mode, size, mtime) = (u32_at(&reply, 4), u32_at(&reply, 8), u32_at(&reply, 12));
                // v1 answers all zeros for any failure.
                Ok((mode != 0).then_some(FileStat { mode, size: u64::from(size), mtime: i64::from(mtime) }))
            }
        })
    }

    /// The entries of the folder `dir` (without `.` and `..`), in the phone's order, in one request.
    pub fn list(&mut self, dir: &[u8]) -> Result<Vec<DirEntry>, DeviceError> {
        check_path(dir, 0)?;
        let mut entries = Vec::new();
        let mut saw_dot = false;
        self.guard(|s| {
            s.take_ahead(None)?;
            let v2 = s.versions.ls_v2;
            s.conn.write_all(&request_bytes(if v2 { *b"LIS2" } else { *b"LIST" }, dir))?;
            loop {
                let mut id = [0u8; 4];
                s.conn.read_exact(&mut id)?;
                match (&id, v2) {
                    (b"DNT2", true) => {
                        let mut body = [0u8; 72];
                        s.conn.read_exact(&mut body)?;
                        let (error, stat) = parse_stat_v2(&body[..68]);
                        let name = s.read_name(u32_at(&body, 68))?;
                        saw_dot |= name == b".";
                        // An entry that vanished between readdir and lstat carries an errno: skip it.
                        if error == 0 && name != b"." && name != b".." {
                            entries.push(DirEntry { name, stat });
                        }
                    }
                    (b"DENT", false) => {
                        let mut body = [0u8; 16];
                        s.conn.read_exact(&mut body)?;
                        let stat = FileStat {
                            mode: u32_at(&body, 0),
                            size: u64::from(u32_at(&body, 4)),
                            mtime: i64::from(u32_at(&body, 8)),
                        };
                        let name = s.read_name(u32_at(&body, 12))?;
                        saw_dot |= name == b".";
                        if name != b"." && name != b".." {
                            entries.push(DirEntry { name, stat });
                        }
                    }
                    (b"DONE", _) => {
                        let mut rest = vec![0u8; if v2 { 72 } else { 16 }];
                        s.conn.read_exact(&mut rest)?;
                        return Ok(());
                    }
                    (b"FAIL", _) => {
                        let message = s.read_fail()?;
                        return Err(DeviceError::Remote { action: "list the folder", message, path: show(dir) });
                    }
                    _ => {
                        return Err(DeviceError::Protocol {
                            what: format!("{:?} in a folder listing", String::from_utf8_lossy(&id)),
                        });
                    }
                }
            }
        })?;
        if !saw_dot && entries.is_empty() {
            // A folder always lists "."; the service answers an empty list for one it cannot open.
            return match self.stat(dir)? {
                None => Err(DeviceError::NoSuchFile { path: show(dir) }),
                Some(st) if !st.is_dir() => Err(DeviceError::NotADirectory { path: show(dir) }),
                Some(_) => Err(DeviceError::Remote {
                    action: "list the folder",
                    message: "Permission denied".to_string(),
                    path: show(dir),
                }),
            };
        }
        Ok(entries)
    }

    fn read_name(&mut self, len: u32) -> Result<Vec<u8>, DeviceError> {
        let len = len as usize;
        if len > PATH_MAX * 4 {
            return Err(DeviceError::Protocol { what: format!("a file name of {len} bytes") });
        }
        let mut name = vec![0u8; len];
        self.conn.read_exact(&mut name)?;
        Ok(name)
    }

    /// Copies the phone file `path` into `out`, calling `progress` with the bytes copied so far after each
    /// block; `progress` returning `Err(Cancelled)` stops the copy. Returns the number of bytes copied.
    pub fn pull(
        &mut self,
        path: &[u8],
        out: &mut dyn Write,
        progress: &mut dyn FnMut(u64) -> Result<(), Cancelled>,
    ) -> Result<u64, DeviceError> {
        self.pull_then(path, None, out, progress)
    }

    /// Like [`SyncSession::pull`], and asks for `next` too, in the same write: the service reads requests in
    /// order from the stream, so it starts sending `next` as soon as `path` is done, without waiting for the
    /// computer to ask (the link's turnaround between two small files is not paid). The next `pull` or
    /// `pull_then` of `next` takes that answer; any other request first receives and drops it.
    pub fn pull_then(
        &mut self,
        path: &[u8],
        next: Option<&[u8]>,
        out: &mut dyn Write,
        progress: &mut dyn FnMut(u64) -> Result<(), Cancelled>,
    ) -> Result<u64, DeviceError> {
        check_path(path, 0)?;
        let next = next.filter(|n| check_path(n, 0).is_ok());
        self.guard(|s| {
            let mut req = Vec::new();
            if !s.take_ahead(Some(path))? {
                req = s.recv_request(path);
            }
            if let Some(next) = next {
                req.extend_from_slice(&s.recv_request(next));
                s.ahead = Some(next.to_vec());
            }
            if !req.is_empty() {
                s.conn.write_all(&req)?;
            }
            s.receive(path, out, progress)
        })
    }

    /// The request for the file `path`.
    fn recv_request(&self, path: &[u8]) -> Vec<u8> {
        if self.versions.sendrecv_v2 {
            let mut req = request_bytes(*b"RCV2", path);
            req.extend_from_slice(b"RCV2");
            req.extend_from_slice(&0u32.to_le_bytes());
            req
        } else {
            request_bytes(*b"RECV", path)
        }
    }

    /// Receives the answer to a request for `path` into `out`.
    fn receive(
        &mut self,
        path: &[u8],
        out: &mut dyn Write,
        progress: &mut dyn FnMut(u64) -> Result<(), Cancelled>,
    ) -> Result<u64, DeviceError> {
        {
            let s = self;
            let mut buf = vec![0u8; DATA_MAX];
            let mut total = 0u64;
            loop {
                let mut header = [0u8; 8];
                s.conn.read_exact(&mut header)?;
                let len = u32_at(&header, 4) as usize;
                match &header[..4] {
                    b"DATA" => {
                        if len > DATA_MAX {
                            return Err(DeviceError::Protocol { what: format!("a data block of {len} bytes") });
                        }
                        s.conn.read_exact(&mut buf[..len])?;
                        out.write_all(&buf[..len])
                            .map_err(|source| DeviceError::Local { action: "write the copy", source })?;
                        total += len as u64;
                        progress(total)?;
                    }
                    b"DONE" => return Ok(total),
                    b"FAIL" => {
                        let mut msg = vec![0u8; len.min(64 * 1024)];
                        s.conn.read_exact(&mut msg)?;
                        let message = String::from_utf8_lossy(&msg).into_owned();
                        // The service ends the session after a failure.
                        s.broken = true;
                        return Err(remote_failure("read the file", message, path));
                    }
                    other => {
                        return Err(DeviceError::Protocol {
                            what: format!("{:?} while receiving a file", String::from_utf8_lossy(other)),
                        });
                    }
                }
            }
        }
    }

    /// Writes everything `data` gives to the phone file `path` (its folders are created), with permission
    /// bits `mode` (such as 0o644) and modification time `mtime` (seconds since 1970). `progress` is called
    /// with the bytes sent so far; `Err(Cancelled)` stops the push and the phone removes the partial file.
    /// Returns the number of bytes sent. On a phone, a failed push leaves no partial file behind.
    pub fn push(
        &mut self,
        data: &mut dyn Read,
        path: &[u8],
        mode: u32,
        mtime: i64,
        progress: &mut dyn FnMut(u64) -> Result<(), Cancelled>,
    ) -> Result<u64, DeviceError> {
        let earlier = self.answers();
        if let Some((_, PushAnswer::Refused(e) | PushAnswer::Unknown(e))) =
            earlier.into_iter().find(|(_, a)| !matches!(a, PushAnswer::Written))
        {
            return Err(e);
        }
        let sent = self.send(data, path, mode, mtime, progress);
        let answer = self.answers().pop().map(|(_, answer)| answer);
        match (sent, answer) {
            (Ok(total), Some(PushAnswer::Written)) => Ok(total),
            // The phone's refusal says more than the broken write that followed it (tried first).
            (_, Some(PushAnswer::Refused(e))) | (Err(e), _) | (Ok(_), Some(PushAnswer::Unknown(e))) => Err(e),
            (Ok(_), None) => Err(DeviceError::Protocol { what: "no answer to a file sent".to_string() }),
        }
    }

    /// Like [`SyncSession::push`] without waiting for the phone's answer: the next file can follow at once (the
    /// link's turnaround is not paid per file, as `adb push` of a folder does). The answers, in order, come
    /// from [`SyncSession::answers`], which must be read before the files are used and at least every
    /// [`SyncSession::MAX_UNANSWERED`] files. An error here is this file's, or says the session broke: then
    /// `answers` tells what became of the files sent before (and of this one, when its end was sent).
    pub fn send(
        &mut self,
        data: &mut dyn Read,
        path: &[u8],
        mode: u32,
        mtime: i64,
        progress: &mut dyn FnMut(u64) -> Result<(), Cancelled>,
    ) -> Result<u64, DeviceError> {
        let mtime = u32::try_from(mtime).map_err(|_| DeviceError::TimeOutOfRange { mtime })?;
        let mode = S_IFREG | (mode & 0o7777);
        let mut first = if self.versions.sendrecv_v2 {
            check_path(path, 0)?;
            let mut req = request_bytes(*b"SND2", path);
            req.extend_from_slice(b"SND2");
            req.extend_from_slice(&mode.to_le_bytes());
            req.extend_from_slice(&0u32.to_le_bytes());
            req
        } else {
            let mut arg = path.to_vec();
            arg.extend_from_slice(format!(",{mode}").as_bytes());
            check_path(path, arg.len() - path.len())?;
            request_bytes(*b"SEND", &arg)
        };
        self.guard(|s| {
            s.take_ahead(None)?;
            let mut total = 0u64;
            let mut buf = vec![0u8; 8 + DATA_MAX];
            loop {
                let n = read_full(data, &mut buf[8..])
                    .map_err(|source| DeviceError::Local { action: "read the file to send", source })?;
                if n == 0 {
                    break;
                }
                buf[..4].copy_from_slice(b"DATA");
                buf[4..8].copy_from_slice(&(n as u32).to_le_bytes());
                // The request goes out with the first block: one write, one packet to the phone.
                let sent = if first.is_empty() {
                    s.conn.write_all(&buf[..8 + n])
                } else {
                    first.extend_from_slice(&buf[..8 + n]);
                    let sent = s.conn.write_all(&first);
                    first.clear();
                    sent
                };
                if let Err(e) = sent {
                    // The phone may have refused the file (or an earlier one) and ended the session.
                    s.unanswered.push(path.to_vec());
                    return Err(e);
                }
                total += n as u64;
                progress(total)?;
            }
            first.extend_from_slice(b"DONE");
            first.extend_from_slice(&mtime.to_le_bytes());
            s.unanswered.push(path.to_vec());
            s.conn.write_all(&first)?;
            Ok(total)
        })
    }

    /// Most files [`SyncSession::send`] leaves unanswered before [`SyncSession::answers`] is read (the phone's
    /// answers wait in buffers meanwhile; `adb` reads its own at 128).
    pub const MAX_UNANSWERED: usize = 128;

    /// How many files sent have answers not read yet.
    #[must_use]
    pub fn unanswered(&self) -> usize {
        self.unanswered.len()
    }

    /// Reads the phone's answers to the files sent and not answered yet, in the order sent. The service ends
    /// the session at the first refusal; the files after it are [`PushAnswer::Unknown`]. After the session
    /// broke (a failed write, a cancel), answers already on their way are still read, for half a second.
    pub fn answers(&mut self) -> Vec<(Vec<u8>, PushAnswer)> {
        let pending = std::mem::take(&mut self.unanswered);
        if pending.is_empty() {
            return Vec::new();
        }
        if self.broken {
            self.conn.set_read_timeout(Some(std::time::Duration::from_millis(500)));
        }
        let mut ended: Option<String> = None;
        let mut out = Vec::with_capacity(pending.len());
        for path in pending {
            let answer = if let Some(why) = &ended {
                PushAnswer::Unknown(DeviceError::ConnectionLost { source: std::io::Error::other(why.clone()) })
            } else {
                match self.read_answer(&path) {
                    Ok(()) => PushAnswer::Written,
                    Err(e) => {
                        self.broken = true;
                        if matches!(e, DeviceError::Remote { .. }) {
                            ended = Some(format!("the phone ended the session after refusing {}", show(&path)));
                            PushAnswer::Refused(e)
                        } else {
                            ended = Some(format!("no answer from the phone about an earlier file ({e})"));
                            PushAnswer::Unknown(e)
                        }
                    }
                }
            };
            out.push((path, answer));
        }
        out
    }

    /// Reads the answer to one file sent: `OKAY`, or `FAIL` and why.
    fn read_answer(&mut self, path: &[u8]) -> Result<(), DeviceError> {
        let mut reply = [0u8; 8];
        self.conn.read_exact(&mut reply)?;
        match &reply[..4] {
            b"OKAY" => Ok(()),
            b"FAIL" => {
                let len = u32_at(&reply, 4) as usize;
                let mut msg = vec![0u8; len.min(64 * 1024)];
                self.conn.read_exact(&mut msg)?;
                Err(remote_failure("write the file", String::from_utf8_lossy(&msg).into_owned(), path))
            }
            other => Err(DeviceError::Protocol {
                what: format!("{:?} after sending a file", String::from_utf8_lossy(other)),
            }),
        }
    }
}

/// A failure message from the service, as the right error.
fn remote_failure(action: &'static str, message: String, path: &[u8]) -> DeviceError {
    // adbd prefixes its messages ("secure_mkdirs failed: No such file or directory").
    if message.ends_with("No such file or directory") && action == "read the file" {
        return DeviceError::NoSuchFile { path: show(path) };
    }
    DeviceError::Remote { action, message, path: show(path) }
}

/// Reads until `buf` is full or the reader ends.
fn read_full(reader: &mut dyn Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

impl Drop for SyncSession {
    fn drop(&mut self) {
        if !self.broken {
            let _ = self.conn.write_all(b"QUIT\0\0\0\0");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_v2_stat_record_gives_64_bit_size_and_time() {
        let mut body = vec![0u8; 68];
        body[20..24].copy_from_slice(&0o100_644u32.to_le_bytes());
        body[36..44].copy_from_slice(&((5u64 << 30) + 3).to_le_bytes());
        body[52..60].copy_from_slice(&4_102_444_800i64.to_le_bytes());
        let (error, stat) = parse_stat_v2(&body);
        assert_eq!(error, 0);
        assert_eq!(stat, FileStat { mode: 0o100_644, size: (5 << 30) + 3, mtime: 4_102_444_800 });
        assert!(stat.is_file() && !stat.is_dir() && !stat.is_symlink());
    }

    #[test]
    fn paths_with_nul_or_over_1024_bytes_are_refused_before_sending() {
        assert!(matches!(check_path(b"/sdcard/a\0b", 0), Err(DeviceError::BadPath { .. })));
        assert!(matches!(check_path(&[b'a'; 1025], 0), Err(DeviceError::BadPath { .. })));
        assert!(check_path(&[b'a'; 1024], 0).is_ok());
        assert!(matches!(check_path(&[b'a'; 1020], 5), Err(DeviceError::BadPath { .. })));
    }
}
