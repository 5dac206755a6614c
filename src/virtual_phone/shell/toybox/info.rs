//! Commands that report: `stat`, `df`, `id`, `whoami`, `getprop`, `basename`, `dirname`, `realpath`, `sleep`.

use super::fsys::{self, Meta, Place};
use super::{Res, Tool, group_name, human_readable, mode_string, posix_basename, posix_dirname, quoted, time};
use super::{args, user_name};
use crate::virtual_phone::shell::{Ctx, Io};
use std::fmt::Write as _;

/// A value for a C printf conversion.
enum Val<'a> {
    Signed(i64),
    Unsigned(u64),
    Str(&'a [u8]),
}

/// Formats `value` as C's printf does for `%<spec><conv>` (`spec` is the flags, width and precision).
fn cformat(spec: &[u8], conv: u8, value: &Val<'_>) -> Vec<u8> {
    let flags_len = spec.iter().take_while(|b| b"-0+ #'".contains(b)).count();
    let flags = &spec[..flags_len];
    let rest = &spec[flags_len..];
    let (width, precision) = match rest.iter().position(|&b| b == b'.') {
        Some(dot) => (&rest[..dot], Some(&rest[dot + 1..])),
        None => (rest, None),
    };
    let number = |d: &[u8]| std::str::from_utf8(d).ok().and_then(|s| s.parse::<usize>().ok()).unwrap_or(0);
    let width = number(width);
    let precision = precision.map(number);
    let left = flags.contains(&b'-');
    let (mut body, sign): (Vec<u8>, &[u8]) = match value {
        Val::Str(s) => {
            let mut s = s.to_vec();
            if let Some(p) = precision {
                s.truncate(p);
            }
            (s, b"")
        }
        Val::Signed(_) | Val::Unsigned(_) => {
            let (neg, magnitude) = match *value {
                Val::Signed(v) if conv == b'd' => (v < 0, v.unsigned_abs()),
                Val::Signed(v) => (false, v as u64),
                Val::Unsigned(v) => (false, v),
                Val::Str(_) => (false, 0),
            };
            let mut digits = match conv {
                b'o' => format!("{magnitude:o}"),
                b'x' => format!("{magnitude:x}"),
                b'X' => format!("{magnitude:X}"),
                _ => magnitude.to_string(),
            }
            .into_bytes();
            if let Some(p) = precision {
                if p == 0 && magnitude == 0 {
                    digits.clear();
                }
                while digits.len() < p {
                    digits.insert(0, b'0');
                }
            }
            if flags.contains(&b'#') {
                if conv == b'o' && digits.first() != Some(&b'0') {
                    digits.insert(0, b'0');
                } else if conv == b'x' && magnitude != 0 {
                    digits.splice(0..0, *b"0x");
                }
            }
            let sign: &[u8] = if neg {
                b"-"
            } else if conv == b'd' && flags.contains(&b'+') {
                b"+"
            } else if conv == b'd' && flags.contains(&b' ') {
                b" "
            } else {
                b""
            };
            (digits, sign)
        }
    };
    let zero = flags.contains(&b'0') && !left && precision.is_none() && !matches!(value, Val::Str(_));
    let len = body.len() + sign.len();
    let mut out = Vec::with_capacity(width.max(len));
    if len >= width {
        out.extend_from_slice(sign);
        out.append(&mut body);
    } else if left {
        out.extend_from_slice(sign);
        out.append(&mut body);
        out.resize(width, b' ');
    } else if zero {
        out.extend_from_slice(sign);
        out.resize(width - body.len(), b'0');
        out.append(&mut body);
    } else {
        out.resize(width - len, b' ');
        out.extend_from_slice(sign);
        out.append(&mut body);
    }
    out
}

/// `stat [-tfL] [-c FORMAT] FILE...`.
pub(crate) fn stat(ctx: &mut Ctx<'_>, argv: &[Vec<u8>], io: &mut Io<'_>) -> i32 {
    super::run(argv, &mut *io.stdout, &mut *io.stderr, |t| {
        let p = t.parse("<1c:(format)fLt", argv)?;
        let fs = p.has(b'f');
        let format: Vec<u8> = if let Some(f) = p.value(b'c') {
            f.to_vec()
        } else if p.has(b't') {
            if fs {
                b"%n %i %l %t %s %S %b %f %a %c %d".to_vec()
            } else {
                b"%n %s %b %f %u %g %D %i %h %t %T %X %Y %Z %o".to_vec()
            }
        } else if fs {
            b"  File: \"%n\"\n    ID: %i Namelen: %l    Type: %T\nBlock Size: %s    Fundamental block size: %S\nBlocks: Total: %b\tFree: %f\tAvailable: %a\nInodes: Total: %c\tFree: %d".to_vec()
        } else {
            b"  File: %N\n  Size: %s\t Blocks: %b\t IO Blocks: %B\t %F\nDevice: %Dh/%dd\t Inode: %i\t Links: %h\t Device type: %t,%T\nAccess: (%04a/%A)\tUid: (%5u/%8U)\tGid: (%5g/%8G)\nAccess: %x\nModify: %y\nChange: %z".to_vec()
        };
        for file in &p.args {
            let meta = match fsys::lstat(ctx, file) {
                Ok(meta) => meta,
                Err(e) => {
                    t.perror_quoted(file, &e);
                    continue;
                }
            };
            let mut out = Vec::new();
            let mut i = 0;
            while i < format.len() {
                let c = format[i];
                if c != b'%' || i + 1 == format.len() {
                    out.push(c);
                    i += 1;
                    continue;
                }
                if format[i + 1] == b'%' {
                    out.push(b'%');
                    i += 2;
                    continue;
                }
                let start = i;
                i += 1;
                while format.get(i).is_some_and(|b| b"0'#-+ ".contains(b)) {
                    i += 1;
                }
                while format.get(i).is_some_and(u8::is_ascii_digit) {
                    i += 1;
                }
                if format.get(i) == Some(&b'.') {
                    i += 1;
                }
                while format.get(i).is_some_and(u8::is_ascii_digit) {
                    i += 1;
                }
                let spec = &format[start + 1..i];
                let Some(&conv) = format.get(i).filter(|_| i - start <= 99) else {
                    t.out(&out)?;
                    let mut msg = b"bad ".to_vec();
                    msg.extend_from_slice(&format[start..]);
                    return Err(t.fail(&msg));
                };
                if conv == b'n' {
                    out.extend_from_slice(&cformat(spec, b's', &Val::Str(file)));
                } else if fs {
                    out.extend_from_slice(&statfs_field(ctx, spec, conv));
                } else {
                    out.extend_from_slice(&stat_field(file, &meta, spec, conv));
                }
                i += 1;
            }
            out.push(b'\n');
            t.out(&out)?;
        }
        Ok(())
    })
}

fn stat_field(file: &[u8], m: &Meta, spec: &[u8], conv: u8) -> Vec<u8> {
    let u = |v: u64| cformat(spec, b'u', &Val::Unsigned(v));
    let s = |v: &[u8]| cformat(spec, b's', &Val::Str(v));
    let signed_u = |v: i64| cformat(spec, b'u', &Val::Unsigned(v as u64));
    match conv {
        b'a' => cformat(spec, b'o', &Val::Unsigned(u64::from(m.mode & 0o7777))),
        b'A' => s(&mode_string(m.mode)),
        b'b' => u(m.blocks),
        b'B' => cformat(spec, b'd', &Val::Signed(512)),
        b'C' => s(b"u:object_r:fuse:s0"),
        b'd' => cformat(spec, b'd', &Val::Signed(m.dev as i64)),
        b'D' => cformat(spec, b'x', &Val::Unsigned(m.dev)),
        b'f' => cformat(spec, b'x', &Val::Unsigned(u64::from(m.mode))),
        b'F' => {
            let name: &[u8] = match m.mode & 0o170_000 {
                0o020_000 => b"character device",
                0o040_000 => b"directory",
                0o060_000 => b"block device",
                0o100_000 if m.size == 0 => b"regular empty file",
                0o100_000 => b"regular file",
                0o120_000 => b"symbolic link",
                0o140_000 => b"socket",
                _ => b"FIFO (named pipe)",
            };
            s(name)
        }
        b'g' => u(u64::from(m.gid)),
        b'G' => s(group_name(m.gid).as_bytes()),
        b'h' => u(m.nlink),
        b'i' => u(m.ino),
        b'm' => s(if m.dev == 0x13 { b"/" } else { b"/storage/emulated" }),
        b'N' => file.to_vec(),
        b'o' => u(m.blksize),
        b's' => u(m.size),
        b't' => cformat(spec, b'x', &Val::Unsigned(u64::from(libc::major(m.rdev)))),
        b'T' => cformat(spec, b'x', &Val::Unsigned(u64::from(libc::minor(m.rdev)))),
        b'u' => u(u64::from(m.uid)),
        b'U' => s(user_name(m.uid).as_bytes()),
        b'x' => s(time::iso(m.atime).as_bytes()),
        b'X' => signed_u(m.atime.sec),
        b'y' => s(time::iso(m.mtime).as_bytes()),
        b'Y' => signed_u(m.mtime.sec),
        b'z' => s(time::iso(m.ctime).as_bytes()),
        b'Z' => signed_u(m.ctime.sec),
        _ => b"?".to_vec(),
    }
}

fn statfs_field(ctx: &Ctx<'_>, spec: &[u8], conv: u8) -> Vec<u8> {
    let storage = &ctx.phone.storage;
    let total = storage.capacity_bytes() / 4096;
    let free = total.saturating_sub(storage.used_bytes() / 4096);
    let u = |v: u64| cformat(spec, b'u', &Val::Unsigned(v));
    match conv {
        b'a' | b'f' => u(free),
        b'b' => u(total),
        b'c' => u(7_208_960),
        b'd' => u(7_100_000),
        b'l' => cformat(spec, b'd', &Val::Signed(255)),
        b't' => cformat(spec, b'x', &Val::Unsigned(0x6573_5546)),
        b'T' => cformat(spec, b's', &Val::Str(b"fuse")),
        b'i' => cformat(spec, b's', &Val::Str(b"0000000000000000")),
        b's' | b'S' => cformat(spec, b'd', &Val::Signed(4096)),
        _ => cformat(spec, b's', &Val::Str(b"?")),
    }
}

/// One mounted file system as `df` shows it.
struct Mount {
    device: &'static str,
    dir: &'static str,
    kind: &'static str,
    /// Total, used and available bytes.
    total: u64,
    used: u64,
    avail: u64,
}

fn mounts(ctx: &Ctx<'_>) -> Vec<Mount> {
    let storage = &ctx.phone.storage;
    let total = storage.capacity_bytes() / 4096 * 4096;
    let used = storage.used_bytes().min(total);
    let fuse = ctx.phone.android.sdk >= 30;
    vec![
        Mount {
            device: "/dev/block/dm-4",
            dir: "/",
            kind: "ext4",
            total: 1_066_704_896,
            used: 1_063_530_496,
            avail: 0,
        },
        Mount {
            device: "tmpfs",
            dir: "/dev",
            kind: "tmpfs",
            total: 3_942_928_384,
            used: 2_138_112,
            avail: 3_940_790_272,
        },
        Mount { device: "/dev/block/dm-40", dir: "/data", kind: "f2fs", total, used, avail: total - used },
        Mount {
            device: if fuse { "/dev/fuse" } else { "/data/media" },
            dir: "/storage/emulated",
            kind: if fuse { "fuse" } else { "sdcardfs" },
            total,
            used,
            avail: total - used,
        },
    ]
}

/// `df [-HPkhi] [-t TYPE] [FILE...]`.
pub(crate) fn df(ctx: &mut Ctx<'_>, argv: &[Vec<u8>], io: &mut Io<'_>) -> i32 {
    super::run(argv, &mut *io.stdout, &mut *io.stderr, |t| {
        let p = t.parse("HPkhit*a[-HPh]", argv)?;
        let human = p.has(b'H') || p.has(b'h');
        let units: u64 = if human || p.has(b'i') {
            1
        } else if p.has(b'P') && !p.has(b'k') {
            512
        } else {
            1024
        };
        let all = mounts(ctx);
        let mut chosen: Vec<usize> = Vec::new();
        if p.args.is_empty() {
            chosen.extend(0..all.len());
        } else {
            for arg in &p.args {
                let idx = match fsys::place(ctx, arg) {
                    Place::Host(_) => match fsys::stat(ctx, arg) {
                        Ok(_) => 3,
                        Err(e) => {
                            t.perror_quoted(arg, &e);
                            continue;
                        }
                    },
                    Place::Outside if arg.starts_with(b"/data") => 2,
                    Place::Outside if arg.starts_with(b"/dev") => 1,
                    Place::Above(_) | Place::Outside => 0,
                };
                chosen.push(idx);
            }
        }
        let types = p.values(b't');
        let rows: Vec<[String; 6]> = chosen
            .iter()
            .map(|&i| &all[i])
            .filter(|m| types.is_empty() || types.iter().any(|ty| ty == m.kind.as_bytes()))
            .map(|m| {
                let [size, used, avail] = [m.total, m.used, m.avail].map(|v| {
                    let v = v / units;
                    if human { human_readable(v, p.has(b'H')) } else { v.to_string() }
                });
                let (u, a) = (m.used / units, m.avail / units);
                let percent = if u + a == 0 { 0 } else { (u * 100).div_ceil(u + a) };
                [m.device.to_string(), size, used, avail, format!("{percent}%"), m.dir.to_string()]
            })
            .collect();
        let mut header = ["Filesystem", "Size", "Used", "Avail", "Use%", "Mounted on"].map(str::to_string);
        if p.has(b'i') {
            for (slot, text) in header[1..5].iter_mut().zip(["Inodes", "IUsed", "IFree", "IUse%"]) {
                *slot = text.to_string();
            }
        } else if !human {
            header[1] = if units == 512 {
                "512-blocks"
            } else if p.has(b'P') {
                "1024-blocks"
            } else {
                "1K-blocks"
            }
            .to_string();
            header[3] = "Available".to_string();
            if p.has(b'P') {
                header[4] = "Capacity".to_string();
            }
        }
        let mut widths = [0usize; 6];
        for row in &rows {
            for (w, cell) in widths.iter_mut().zip(row).take(5) {
                *w = (*w).max(cell.len());
            }
        }
        widths[0] = widths[0].max(14 + usize::from(human));
        for (w, cell) in widths.iter_mut().zip(&header).take(5) {
            *w = (*w).max(cell.len());
        }
        let mut text = String::new();
        for row in std::iter::once(&header).chain(&rows) {
            let _ = write!(text, "{:<w$}", row[0], w = widths[0]);
            for (cell, w) in row[1..5].iter().zip(&widths[1..5]) {
                let _ = write!(text, " {cell:>w$}");
            }
            text.push(' ');
            text.push_str(&row[5]);
            text.push('\n');
        }
        t.outs(&text)
    })
}

const SHELL_GROUPS: [u32; 16] =
    [2000, 1004, 1007, 1011, 1015, 1028, 1078, 1079, 3001, 3002, 3003, 3006, 3009, 3011, 3012, 2000];

/// `id [-Gnru] [USER...]`: the shell user (uid 2000) and its groups.
pub(crate) fn id(_ctx: &mut Ctx<'_>, argv: &[Vec<u8>], io: &mut Io<'_>) -> i32 {
    super::run(argv, &mut *io.stdout, &mut *io.stderr, |t| {
        let p = t.parse(">1ZnGgru[!ZGgu]", argv)?;
        if p.args.is_empty() {
            show_id(t, &p, 2000, 2000, &SHELL_GROUPS[1..15])
        } else {
            for user in &p.args {
                let known = super::AIDS.iter().find(|(_, name)| name.as_bytes() == user.as_slice()).map(|(n, _)| *n);
                let uid = if let Some(uid) = known {
                    uid
                } else {
                    let n = args::atolx(user).map_err(|e| t.arg_error(&e))?;
                    if n < 0 {
                        return Err(t.fail(format!("{n} < 0").as_bytes()));
                    }
                    if n > i64::from(i32::MAX) {
                        return Err(t.fail(format!("{n} > {}", i32::MAX).as_bytes()));
                    }
                    let uid = n as u32;
                    if user_name(uid) == uid.to_string() {
                        let mut msg = b"no such user ".to_vec();
                        msg.extend_from_slice(&quoted(user));
                        return Err(t.fail(&msg));
                    }
                    uid
                };
                show_id(t, &p, uid, uid, &[])?;
            }
            Ok(())
        }
    })
}

fn show_id(t: &mut Tool<'_>, p: &args::Parsed, uid: u32, gid: u32, groups: &[u32]) -> Res {
    let one = |id: u32, name: String| if p.has(b'n') { name } else { id.to_string() };
    if p.has(b'u') {
        return t.outs(&format!("{}\n", one(uid, user_name(uid))));
    }
    if p.has(b'g') {
        return t.outs(&format!("{}\n", one(gid, group_name(gid))));
    }
    if p.has(b'G') {
        let mut line = one(gid, group_name(gid));
        for &g in groups.iter().filter(|&&g| g != gid) {
            line.push(' ');
            line.push_str(&one(g, group_name(g)));
        }
        line.push('\n');
        return t.outs(&line);
    }
    let mut line = String::new();
    if !p.has(b'Z') {
        line =
            format!("uid={uid}({}) gid={gid}({}) groups={gid}({})", user_name(uid), group_name(gid), group_name(gid));
        for &g in groups.iter().filter(|&&g| g != gid) {
            let _ = write!(line, ",{g}({})", group_name(g));
        }
        line.push_str(" context=");
    }
    line.push_str("u:r:shell:s0\n");
    t.outs(&line)
}

/// `whoami`.
pub(crate) fn whoami(_ctx: &mut Ctx<'_>, argv: &[Vec<u8>], io: &mut Io<'_>) -> i32 {
    super::run(argv, &mut *io.stdout, &mut *io.stderr, |t| {
        t.parse(">0", argv)?;
        t.outs("shell\n")
    })
}

/// `getprop [NAME [DEFAULT]]` (Android's own, not toybox's): one value, or every property as `[name]: [value]`.
pub(crate) fn getprop(ctx: &mut Ctx<'_>, argv: &[Vec<u8>], io: &mut Io<'_>) -> i32 {
    super::run(argv, &mut *io.stdout, &mut *io.stderr, |t| match argv.get(1..).unwrap_or(&[]) {
        [] => {
            let mut text = String::new();
            for (key, value) in ctx.phone.props.iter() {
                let _ = writeln!(text, "[{key}]: [{value}]");
            }
            t.outs(&text)
        }
        [key, rest @ ..] => {
            let value = std::str::from_utf8(key).ok().and_then(|k| ctx.phone.props.get(k));
            let mut line = match (value, rest.first()) {
                (Some(v), _) => v.as_bytes().to_vec(),
                (None, Some(default)) => default.clone(),
                (None, None) => Vec::new(),
            };
            line.push(b'\n');
            t.out(&line)
        }
    })
}

/// `basename [-a] [-s SUFFIX] NAME... | NAME [SUFFIX]`.
pub(crate) fn basename(_ctx: &mut Ctx<'_>, argv: &[Vec<u8>], io: &mut Io<'_>) -> i32 {
    super::run(argv, &mut *io.stdout, &mut *io.stderr, |t| {
        let p = t.parse("^<1as:", argv)?;
        let mut names = p.args.clone();
        let mut suffix = p.value(b's').map(<[u8]>::to_vec);
        if !(p.has(b'a') || p.has(b's')) {
            if names.len() > 2 {
                return Err(t.fail(b"too many args"));
            }
            suffix = if names.len() == 2 { names.pop() } else { None };
        }
        for name in &names {
            let mut base = posix_basename(name).to_vec();
            if let Some(suffix) = suffix.as_deref()
                && !suffix.is_empty()
                && base.len() > suffix.len()
                && base.ends_with(suffix)
            {
                base.truncate(base.len() - suffix.len());
            }
            base.push(b'\n');
            t.out(&base)?;
        }
        Ok(())
    })
}

/// `dirname PATH...`.
pub(crate) fn dirname(_ctx: &mut Ctx<'_>, argv: &[Vec<u8>], io: &mut Io<'_>) -> i32 {
    super::run(argv, &mut *io.stdout, &mut *io.stderr, |t| {
        let p = t.parse("<1", argv)?;
        for name in &p.args {
            let mut line = posix_dirname(name).to_vec();
            line.push(b'\n');
            t.out(&line)?;
        }
        Ok(())
    })
}

/// `realpath [-emqz] FILE...`: the phone's canonical name (`/storage/emulated/0/...` for the shared storage).
pub(crate) fn realpath(ctx: &mut Ctx<'_>, argv: &[Vec<u8>], io: &mut Io<'_>) -> i32 {
    super::run(argv, &mut *io.stdout, &mut *io.stderr, |t| {
        let p = t.parse("<1(relative-base):R(relative-to):s(no-symlinks)LPemqz[-Ps][-LP][-me]", argv)?;
        let end = if p.has(b'z') { b'\0' } else { b'\n' };
        for arg in &p.args {
            match resolve(ctx, arg, p.has(b'e'), p.has(b'm')) {
                Ok(mut path) => {
                    path.push(end);
                    t.out(&path)?;
                }
                Err(e) => {
                    if p.has(b'q') {
                        t.status = 1;
                    } else {
                        t.perror(arg, &e);
                    }
                }
            }
        }
        Ok(())
    })
}

fn resolve(ctx: &Ctx<'_>, arg: &[u8], must_exist: bool, missing_ok: bool) -> std::io::Result<Vec<u8>> {
    let absolute: Vec<u8> = if arg.first() == Some(&b'/') { arg.to_vec() } else { fsys::join(&ctx.cwd, arg) };
    let mut parts: Vec<&[u8]> = Vec::new();
    for part in absolute.split(|&b| b == b'/') {
        match part {
            b"" | b"." => {}
            b".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    let joined = |parts: &[&[u8]]| -> Vec<u8> {
        if parts.is_empty() {
            return b"/".to_vec();
        }
        parts.iter().flat_map(|p| std::iter::once(b'/').chain(p.iter().copied())).collect()
    };
    if !missing_ok {
        for n in 1..=parts.len() {
            let last = n == parts.len();
            match fsys::stat(ctx, &joined(&parts[..n])) {
                Ok(meta) if !last && !meta.is_dir() => return Err(fsys::errno(libc::ENOTDIR)),
                Ok(_) => {}
                Err(e) if e.raw_os_error() == Some(libc::EACCES) => break,
                Err(e) if last && !must_exist && e.raw_os_error() == Some(libc::ENOENT) => {}
                Err(e) => return Err(e),
            }
        }
    }
    let path = joined(&parts);
    Ok(match fsys::place(ctx, &path) {
        Place::Host(host) => ctx.phone.storage.phone_path(&host).unwrap_or(path),
        Place::Above(_) | Place::Outside => path,
    })
}

/// `sleep DURATION...` (seconds, with an optional fraction and an `s`/`m`/`h`/`d` suffix).
pub(crate) fn sleep(_ctx: &mut Ctx<'_>, argv: &[Vec<u8>], io: &mut Io<'_>) -> i32 {
    super::run(argv, &mut *io.stdout, &mut *io.stderr, |t| {
        let p = t.parse("<1", argv)?;
        for arg in &p.args {
            let seconds = parse_duration(arg).map_err(|msg| t.fail(&msg))?;
            std::thread::sleep(std::time::Duration::from_secs_f64(seconds));
        }
        Ok(())
    })
}

fn parse_duration(arg: &[u8]) -> Result<f64, Vec<u8>> {
    if !arg.first().is_some_and(|&b| b == b'.' || b.is_ascii_digit()) {
        return Err([&b"Not a number '"[..], arg, b"'"].concat());
    }
    let digits = arg.iter().take_while(|b| b.is_ascii_digit() || **b == b'.').count();
    let number: f64 = std::str::from_utf8(&arg[..digits]).ok().and_then(|s| s.parse().ok()).unwrap_or(0.0);
    let suffix = &arg[digits..];
    let scale = match suffix {
        b"" | b"s" => 1.0,
        b"m" => 60.0,
        b"h" => 3600.0,
        b"d" => 86_400.0,
        _ => return Err([&b"Unknown suffix '"[..], suffix, b"'"].concat()),
    };
    Ok(number * scale)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cformat_pads_like_printf() {
        assert_eq!(cformat(b"04", b'o', &Val::Unsigned(0o770)), b"0770");
        assert_eq!(cformat(b"5", b'u', &Val::Unsigned(0)), b"    0");
        assert_eq!(cformat(b"-8", b's', &Val::Str(b"root")), b"root    ");
        assert_eq!(cformat(b".2", b's', &Val::Str(b"root")), b"ro");
        assert_eq!(cformat(b"#", b'x', &Val::Unsigned(255)), b"0xff");
        assert_eq!(cformat(b"+05", b'd', &Val::Signed(-3)), b"-0003");
    }
}
