//! toybox 0.8.9's commands, answering byte for byte as they do on an Android phone's shell.
//!
//! Every path a command is given is resolved through [`Storage::locate`](crate::virtual_phone::storage::Storage::locate):
//! the shared storage maps to the host directory, the directories above it show their fixed entries, and
//! anything else answers "Permission denied" as it would to the shell user (the host is never touched there).
//! Paths are printed exactly as given, as toybox does. Files are read through the storage (generated sample
//! content included) in chunks, so files of any size stream.

mod args;
mod files;
mod find;
mod fsys;
mod info;
mod ls;
mod modify;
mod text;
mod time;

use super::CommandFn;
use std::io::{self, Read, Write};
pub(crate) use text::unescape;

/// The toybox command called `name`, if the phone has it.
#[must_use]
pub fn lookup(name: &[u8]) -> Option<CommandFn> {
    let f: CommandFn = match name {
        b"ls" => ls::ls,
        b"stat" => info::stat,
        b"find" => find::find,
        b"md5sum" | b"sha1sum" | b"sha224sum" | b"sha256sum" | b"sha384sum" | b"sha512sum" => files::hashsum,
        b"head" => files::head,
        b"tail" => files::tail,
        b"cat" => files::cat,
        b"wc" => files::wc,
        b"mkdir" => modify::mkdir,
        b"mv" => modify::mv,
        b"rm" => modify::rm,
        b"touch" => modify::touch,
        b"sort" => text::sort,
        b"tr" => text::tr,
        b"df" => info::df,
        b"id" => info::id,
        b"whoami" => info::whoami,
        b"getprop" => info::getprop,
        b"basename" => info::basename,
        b"dirname" => info::dirname,
        b"realpath" => info::realpath,
        b"sleep" => info::sleep,
        b"true" => |_, _, _| 0,
        b"false" => |_, _, _| 1,
        _ => return None,
    };
    Some(f)
}

/// A command stopped early: the message (if any) is already written and the status set.
#[derive(Debug)]
pub(crate) struct Stop;

/// What a command's body returns.
pub(crate) type Res<T = ()> = Result<T, Stop>;

/// One running toybox command: its name, buffered standard output, standard error and exit status.
pub(crate) struct Tool<'a> {
    pub name: Vec<u8>,
    out: &'a mut dyn Write,
    err: &'a mut dyn Write,
    buf: Vec<u8>,
    pub status: i32,
}

const OUT_CHUNK: usize = 64 * 1024;

impl<'a> Tool<'a> {
    fn new(name: &[u8], out: &'a mut dyn Write, err: &'a mut dyn Write) -> Self {
        Self { name: name.to_vec(), out, err, buf: Vec::with_capacity(OUT_CHUNK), status: 0 }
    }

    /// Writes to standard output (buffered as stdio does); a failed write ends the command.
    pub fn out(&mut self, bytes: &[u8]) -> Res {
        self.buf.extend_from_slice(bytes);
        if self.buf.len() >= OUT_CHUNK { self.flush() } else { Ok(()) }
    }

    /// Writes formatted text to standard output.
    pub fn outs(&mut self, text: &str) -> Res {
        self.out(text.as_bytes())
    }

    /// Sends what is buffered.
    pub fn flush(&mut self) -> Res {
        if self.buf.is_empty() {
            return Ok(());
        }
        let result = self.out.write_all(&self.buf).and_then(|()| self.out.flush());
        self.buf.clear();
        result.map_err(|_| {
            self.status = 1;
            Stop
        })
    }

    /// `error_msg`: `NAME: MSG` on standard error, exit status 1 from now on.
    pub fn error(&mut self, msg: &[u8]) {
        let mut line = self.name.clone();
        line.extend_from_slice(b": ");
        line.extend_from_slice(msg);
        line.push(b'\n');
        let _ = self.err.write_all(&line);
        if self.status == 0 {
            self.status = 1;
        }
    }

    /// `perror_msg`: `NAME: WHAT: strerror`.
    pub fn perror(&mut self, what: &[u8], err: &io::Error) {
        let mut msg = what.to_vec();
        msg.extend_from_slice(b": ");
        msg.extend_from_slice(fsys::strerror(err).as_bytes());
        self.error(&msg);
    }

    /// `perror_msg("'%s'", what)`.
    pub fn perror_quoted(&mut self, what: &[u8], err: &io::Error) {
        self.perror(&quoted(what), err);
    }

    /// `error_exit`.
    pub fn fail(&mut self, msg: &[u8]) -> Stop {
        self.error(msg);
        Stop
    }

    /// `help_exit`: the message followed by the pointer to `--help`.
    pub fn fail_help(&mut self, msg: &[u8]) -> Stop {
        let mut full = msg.to_vec();
        full.extend_from_slice(b" (see \"");
        full.extend_from_slice(&self.name);
        full.extend_from_slice(b" --help\")");
        self.fail(&full)
    }

    /// Parses the options as toybox does, reporting a refusal.
    pub fn parse(&mut self, optstring: &str, argv: &[Vec<u8>]) -> Res<args::Parsed> {
        args::parse(optstring, argv.get(1..).unwrap_or(&[])).map_err(|e| self.arg_error(&e))
    }

    /// Reports an option error.
    pub fn arg_error(&mut self, e: &args::ArgError) -> Stop {
        if e.help { self.fail_help(&e.msg) } else { self.fail(&e.msg) }
    }
}

/// `'WHAT'`.
pub(crate) fn quoted(what: &[u8]) -> Vec<u8> {
    let mut q = Vec::with_capacity(what.len() + 2);
    q.push(b'\'');
    q.extend_from_slice(what);
    q.push(b'\'');
    q
}

/// Runs a command body with its tool, returning the exit status.
pub(crate) fn run(
    argv: &[Vec<u8>],
    out: &mut dyn Write,
    err: &mut dyn Write,
    body: impl FnOnce(&mut Tool<'_>) -> Res,
) -> i32 {
    let name = argv.first().map_or(&b"toybox"[..], |n| n.rsplit(|&b| b == b'/').next().unwrap_or(n));
    let mut tool = Tool::new(name, out, err);
    let _ = body(&mut tool);
    let _ = tool.flush();
    tool.status
}

/// Reads all of a stream in chunks, handing each to `each`; a read error is returned.
pub(crate) fn for_chunks(reader: &mut dyn Read, mut each: impl FnMut(&[u8]) -> Res) -> Result<Res, io::Error> {
    let mut buf = vec![0u8; OUT_CHUNK];
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => return Ok(Ok(())),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if let Err(stop) = each(&buf[..n]) {
            return Ok(Err(stop));
        }
    }
}

/// The name Android's toybox prints for a user id (bionic's `getpwuid`).
#[must_use]
pub(crate) fn user_name(uid: u32) -> String {
    android_id_name(uid, false)
}

/// The name Android's toybox prints for a group id.
#[must_use]
pub(crate) fn group_name(gid: u32) -> String {
    android_id_name(gid, true)
}

const AIDS: &[(u32, &str)] = &[
    (0, "root"),
    (1000, "system"),
    (1001, "radio"),
    (1002, "bluetooth"),
    (1003, "graphics"),
    (1004, "input"),
    (1005, "audio"),
    (1006, "camera"),
    (1007, "log"),
    (1008, "compass"),
    (1009, "mount"),
    (1010, "wifi"),
    (1011, "adb"),
    (1012, "install"),
    (1013, "media"),
    (1014, "dhcp"),
    (1015, "sdcard_rw"),
    (1016, "vpn"),
    (1017, "keystore"),
    (1018, "usb"),
    (1019, "drm"),
    (1020, "mdnsr"),
    (1021, "gps"),
    (1023, "media_rw"),
    (1024, "mtp"),
    (1026, "drmrpc"),
    (1027, "nfc"),
    (1028, "sdcard_r"),
    (1029, "clat"),
    (1036, "logd"),
    (1041, "audioserver"),
    (1047, "cameraserver"),
    (1077, "external_storage"),
    (1078, "ext_data_rw"),
    (1079, "ext_obb_rw"),
    (2000, "shell"),
    (2001, "cache"),
    (2002, "diag"),
    (3001, "net_bt_admin"),
    (3002, "net_bt"),
    (3003, "inet"),
    (3004, "net_raw"),
    (3005, "net_admin"),
    (3006, "net_bw_stats"),
    (3007, "net_bw_acct"),
    (3009, "readproc"),
    (3010, "wakelock"),
    (3011, "uhid"),
    (3012, "readtracefs"),
    (9997, "everybody"),
    (9998, "misc"),
    (9999, "nobody"),
];

fn android_id_name(id: u32, group: bool) -> String {
    let user = id / 100_000;
    let app = id % 100_000;
    if user == 0
        && let Some((_, name)) = AIDS.iter().find(|(n, _)| *n == id)
    {
        return (*name).to_string();
    }
    match app {
        10_000..=19_999 => format!("u{user}_a{}", app - 10_000),
        20_000..=29_999 if group => format!("u{user}_a{}_cache", app - 20_000),
        30_000..=39_999 if group => format!("u{user}_a{}_ext", app - 30_000),
        40_000..=49_999 if group => format!("u{user}_a{}_ext_cache", app - 40_000),
        50_000..=59_999 if group => format!("all_a{}", app - 50_000),
        90_000..=99_999 => format!("u{user}_i{}", app - 90_000),
        _ if user > 0 && app < 10_000 => match AIDS.iter().find(|(n, _)| *n == app) {
            Some((_, name)) => format!("u{user}_{name}"),
            None => id.to_string(),
        },
        _ => id.to_string(),
    }
}

/// toybox's `human_readable`: three significant digits and a unit (`1.2M`, `999K`, `12G`).
#[must_use]
pub(crate) fn human_readable(num: u64, si: bool) -> String {
    let divisor: u64 = if si { 1000 } else { 1024 };
    let mut num = num;
    let mut snap = 0u64;
    let mut unit = 0usize;
    while num.to_string().len() > 3 {
        snap = num;
        num = (num + divisor / 2) / divisor;
        unit += 1;
    }
    let mut s = num.to_string();
    if unit > 0 && s.len() == 1 {
        let whole = snap / divisor;
        let rest = snap - whole * divisor;
        let tenth = (rest * 100 + 50) / divisor / 10;
        s = format!("{whole}.{tenth}");
    }
    if unit > 0 {
        let u = b" kMGTPEZY"[unit.min(8)];
        s.push(if si { u as char } else { u.to_ascii_uppercase() as char });
    }
    s
}

/// toybox's `mode_to_string`: `drwxr-x---`.
#[must_use]
pub(crate) fn mode_string(mode: u32) -> [u8; 10] {
    let mut buf = [b'-'; 10];
    for i in 0..9 {
        let bit = mode & (1 << i) != 0;
        let c = i % 3;
        let d = i / 3;
        buf[9 - i] = if c == 0 && mode & (1 << (d + 9)) != 0 {
            let ch = b"tss"[d];
            if bit { ch } else { ch & !0x20 }
        } else if bit {
            b"xwr"[c]
        } else {
            b'-'
        };
    }
    buf[0] = match mode & 0o170_000 {
        0o040_000 => b'd',
        0o060_000 => b'b',
        0o020_000 => b'c',
        0o120_000 => b'l',
        0o010_000 => b'p',
        0o140_000 => b's',
        _ => b'-',
    };
    buf
}

/// POSIX `basename` (what toybox gets from libgen.h).
#[must_use]
pub(crate) fn posix_basename(path: &[u8]) -> &[u8] {
    if path.is_empty() {
        return b".";
    }
    let trimmed_len = path.iter().rposition(|&b| b != b'/').map_or(0, |p| p + 1);
    if trimmed_len == 0 {
        return b"/";
    }
    let trimmed = &path[..trimmed_len];
    let start = trimmed.iter().rposition(|&b| b == b'/').map_or(0, |p| p + 1);
    &trimmed[start..]
}

/// POSIX `dirname`.
#[must_use]
pub(crate) fn posix_dirname(path: &[u8]) -> &[u8] {
    let trimmed_len = path.iter().rposition(|&b| b != b'/').map_or(0, |p| p + 1);
    if trimmed_len == 0 {
        return if path.is_empty() { b"." } else { b"/" };
    }
    let Some(slash) = path[..trimmed_len].iter().rposition(|&b| b == b'/') else { return b"." };
    let end = path[..slash].iter().rposition(|&b| b != b'/').map_or(0, |p| p + 1);
    if end == 0 { b"/" } else { &path[..end] }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn android_ids_have_android_names() {
        assert_eq!(user_name(0), "root");
        assert_eq!(user_name(2000), "shell");
        assert_eq!(group_name(1015), "sdcard_rw");
        assert_eq!(group_name(9997), "everybody");
        assert_eq!(user_name(10_123), "u0_a123");
        assert_eq!(group_name(30_123), "u0_a123_ext");
        assert_eq!(user_name(1_010_005), "u10_a5");
        assert_eq!(user_name(4242), "4242");
    }

    #[test]
    fn human_readable_sizes_round_as_toybox() {
        assert_eq!(human_readable(0, false), "0");
        assert_eq!(human_readable(999, false), "999");
        assert_eq!(human_readable(1000, false), "0.9K");
        assert_eq!(human_readable(1536, false), "1.5K");
        assert_eq!(human_readable(128 << 30, false), "128G");
        assert_eq!(human_readable(10 << 20, false), "10M");
    }

    #[test]
    fn mode_strings_show_type_and_special_bits() {
        assert_eq!(&mode_string(0o040_770), b"drwxrwx---");
        assert_eq!(&mode_string(0o100_644), b"-rw-r--r--");
        assert_eq!(&mode_string(0o041_777), b"drwxrwxrwt");
        assert_eq!(&mode_string(0o104_644), b"-rwSr--r--");
    }

    #[test]
    fn posix_basename_and_dirname_handle_slashes() {
        assert_eq!(posix_basename(b"/a/b/"), b"b");
        assert_eq!(posix_basename(b"///"), b"/");
        assert_eq!(posix_basename(b""), b".");
        assert_eq!(posix_dirname(b"/a/b/"), b"/a");
        assert_eq!(posix_dirname(b"a"), b".");
        assert_eq!(posix_dirname(b"/a"), b"/");
        assert_eq!(posix_dirname(b"a//b"), b"a");
    }
}

#[cfg(test)]
mod command_tests;
