//! Commands that change the storage: `mkdir`, `mv`, `rm`, `touch` (toybox 0.8.9's mkdir.c, cp.c, rm.c,
//! touch.c). Every change goes through the phone's storage, which refuses anything outside it.

use super::fsys::{self, Ts, errno};
use super::{Res, Tool, posix_basename, quoted, time};
use crate::virtual_phone::shell::{Ctx, Io};
use std::io;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// `mkdir [-vp] [-m MODE] [DIR...]`.
pub(crate) fn mkdir(ctx: &mut Ctx<'_>, argv: &[Vec<u8>], io: &mut Io<'_>) -> i32 {
    super::run(argv, &mut *io.stdout, &mut *io.stderr, |t| {
        let p = t.parse("<1Z:vp(parent)(parents)m:", argv)?;
        if let Some(mode) = p.value(b'm')
            && !valid_mode(mode)
        {
            let mut msg = b"bad mode ".to_vec();
            msg.extend_from_slice(&quoted(mode));
            return Err(t.fail(&msg));
        }
        for dir in &p.args {
            if let Err(e) = mkpath(ctx, t, dir, p.has(b'p'), p.has(b'v')) {
                t.perror_quoted(dir, &e);
            }
        }
        Ok(())
    })
}

/// Accepts what toybox's `string_to_mode` accepts: octal, or `[ugoa]*[-+=][rwxXst]*` clauses.
fn valid_mode(mode: &[u8]) -> bool {
    if mode.first().is_some_and(u8::is_ascii_digit) {
        return mode.iter().all(|b| (b'0'..=b'7').contains(b)) && mode.len() <= 4;
    }
    !mode.is_empty()
        && mode.split(|&b| b == b',').all(|clause| {
            let who = clause.iter().take_while(|b| b"ugoa".contains(b)).count();
            let rest = &clause[who..];
            !rest.is_empty() && rest.iter().all(|b| b"-+=rwxXstugo".contains(b)) && b"-+=".contains(&rest[0])
        })
}

fn mkdir_one(ctx: &Ctx<'_>, path: &[u8]) -> io::Result<()> {
    if fsys::lstat(ctx, path).is_ok() {
        return Err(errno(libc::EEXIST));
    }
    let host = fsys::writable(ctx, path)?;
    ctx.phone.storage.create_dir(&host)
}

/// toybox's `mkpathat` with `MKPATHAT_MKLAST`.
fn mkpath(ctx: &Ctx<'_>, t: &mut Tool<'_>, dir: &[u8], parents: bool, verbose: bool) -> io::Result<()> {
    if let Ok(meta) = fsys::stat(ctx, dir) {
        if !parents || !meta.is_dir() {
            return Err(errno(libc::EEXIST));
        }
        return Ok(());
    }
    let mut cuts: Vec<usize> = Vec::new();
    if parents {
        cuts.extend(dir.iter().enumerate().filter(|&(i, &b)| b == b'/' && i != 0).map(|(i, _)| i));
    }
    cuts.push(dir.len());
    for cut in cuts {
        let prefix = &dir[..cut];
        match mkdir_one(ctx, prefix) {
            Ok(()) => {
                if verbose {
                    let mut msg = b"created directory ".to_vec();
                    msg.extend_from_slice(&quoted(prefix));
                    let status = t.status;
                    t.error(&msg);
                    t.status = status;
                }
            }
            Err(e) if parents && e.raw_os_error() == Some(libc::EEXIST) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// `rm [-fiRrv] FILE...`.
pub(crate) fn rm(ctx: &mut Ctx<'_>, argv: &[Vec<u8>], io: &mut Io<'_>) -> i32 {
    super::run(argv, &mut *io.stdout, &mut *io.stderr, |t| {
        let p = t.parse("f(force)iRrv[-fi]", argv)?;
        if p.args.is_empty() && !p.has(b'f') {
            return Err(t.fail_help(b"Needs 1 argument"));
        }
        let opts = RmOpts { force: p.has(b'f'), recursive: p.has(b'r') || p.has(b'R'), verbose: p.has(b'v') };
        for arg in &p.args {
            if arg == b"/" {
                t.error(b"rm /. if you mean it");
                continue;
            }
            if posix_basename(arg) == b".." {
                let mut msg = b"bad path ".to_vec();
                msg.extend_from_slice(arg);
                t.error(&msg);
                continue;
            }
            if opts.force && fsys::lstat(ctx, arg).is_err_and(|e| e.raw_os_error() == Some(libc::ENOENT)) {
                continue;
            }
            match fsys::lstat(ctx, arg) {
                Ok(meta) => {
                    rm_node(ctx, t, &opts, arg, arg, meta.is_dir())?;
                }
                Err(e) => t.perror(arg, &e),
            }
        }
        Ok(())
    })
}

struct RmOpts {
    force: bool,
    recursive: bool,
    verbose: bool,
}

/// Removes one node (recursively); returns false when it (or something under it) stayed.
fn rm_node(ctx: &Ctx<'_>, t: &mut Tool<'_>, opts: &RmOpts, name: &[u8], path: &[u8], dir: bool) -> Res<bool> {
    if name == b"." || name == b".." {
        return Ok(true);
    }
    let mut child_failed = false;
    if dir && opts.recursive {
        let names = match fsys::list_dir(ctx, path) {
            Ok(names) => names,
            Err(e) => {
                t.perror(path, &e);
                return Ok(false);
            }
        };
        for child in names {
            let child_path = fsys::join(path, &child);
            match fsys::lstat(ctx, &child_path) {
                Ok(meta) => {
                    if !rm_node(ctx, t, opts, &child, &child_path, meta.is_dir())? {
                        child_failed = true;
                    }
                }
                Err(e) => {
                    t.perror(&child_path, &e);
                    child_failed = true;
                }
            }
        }
    }
    let result = if dir && !opts.recursive {
        Err(errno(libc::EISDIR))
    } else {
        fsys::writable(ctx, path).and_then(|host| {
            if dir { ctx.phone.storage.remove_dir(&host) } else { ctx.phone.storage.remove_file(&host) }
        })
    };
    match result {
        Ok(()) => {
            if opts.verbose {
                let mut line = if dir { b"rmdir '".to_vec() } else { b"rm '".to_vec() };
                line.extend_from_slice(path);
                line.extend_from_slice(b"'\n");
                t.out(&line)?;
            }
            Ok(true)
        }
        Err(e) => {
            if !dir || !child_failed {
                t.perror(name, &e);
            }
            Ok(false)
        }
    }
}

/// `mv [-fivnT] SOURCE... DEST` (renames within the storage; there is no other file system to copy across).
pub(crate) fn mv(ctx: &mut Ctx<'_>, argv: &[Vec<u8>], io: &mut Io<'_>) -> i32 {
    super::run(argv, &mut *io.stdout, &mut *io.stderr, |t| {
        let mut p = t.parse("<1v(verbose)nF(remove-destination)fit:T[-ni]", argv)?;
        let target = p.value(b't').map(<[u8]>::to_vec);
        let dest = match &target {
            Some(dir) => dir.clone(),
            None => p.args.pop().unwrap_or_default(),
        };
        let sources = p.args.clone();
        if sources.is_empty() {
            return Err(t.fail(b"Needs 2 arguments"));
        }
        let destdir = fsys::stat(ctx, &dest).is_ok_and(|m| m.is_dir());
        if !destdir && (sources.len() > 1 || target.is_some()) {
            let mut msg = quoted(&dest);
            msg.extend_from_slice(b" not directory");
            return Err(t.fail(&msg));
        }
        if p.has(b'T') {
            if sources.len() > 1 {
                return Err(t.fail_help(b"Max 2 arguments"));
            }
            if destdir {
                let mut msg = quoted(&dest);
                msg.extend_from_slice(b" is a directory");
                return Err(t.fail(&msg));
            }
        }
        for src in &sources {
            let trimmed_len = src.iter().rposition(|&b| b != b'/').map_or(1.min(src.len()), |i| i + 1);
            let stripped = &src[..trimmed_len];
            let shown: Vec<u8> = if trimmed_len < src.len() { [stripped, b"/"].concat() } else { src.clone() };
            let destname = if destdir {
                let base = stripped.rsplit(|&b| b == b'/').next().unwrap_or(stripped);
                let mut d = dest.clone();
                d.push(b'/');
                d.extend_from_slice(base);
                d
            } else {
                dest.clone()
            };
            if (!p.has(b'f') || p.has(b'n')) && p.has(b'n') && fsys::stat(ctx, &destname).is_ok() {
                continue;
            }
            let result = fsys::writable(ctx, stripped).and_then(|from| {
                fsys::lstat(ctx, stripped)?;
                let to = fsys::writable(ctx, &destname)?;
                ctx.phone.storage.rename(&from, &to)
            });
            if let Err(e) = result {
                let mut msg = b"bad ".to_vec();
                msg.extend_from_slice(&quoted(&shown));
                t.perror(&msg, &e);
            }
        }
        Ok(())
    })
}

fn system_time(ts: Ts) -> SystemTime {
    let nanos = Duration::from_nanos(ts.nsec.clamp(0, 999_999_999) as u64);
    if ts.sec >= 0 {
        UNIX_EPOCH + Duration::from_secs(ts.sec as u64) + nanos
    } else {
        UNIX_EPOCH - Duration::from_secs(ts.sec.unsigned_abs()) + nanos
    }
}

/// `touch [-amch] [-d DATE] [-t TIME] [-r FILE] FILE...`.
pub(crate) fn touch(ctx: &mut Ctx<'_>, argv: &[Vec<u8>], io: &mut Io<'_>) -> i32 {
    super::run(argv, &mut *io.stdout, &mut *io.stderr, |t| {
        let p = t.parse("<1acd:fmr:t:h[!dtr]", argv)?;
        let now = time::now();
        let mut stamps: [Option<Ts>; 2] = [None, None];
        if let Some(text) = p.value(b't').or_else(|| p.value(b'd')) {
            let Some(ts) = time::parse_date(text, now.sec) else {
                let mut msg = b"bad date ".to_vec();
                msg.extend_from_slice(text);
                return Err(t.fail(&msg));
            };
            stamps = [Some(ts), Some(ts)];
        }
        if let Some(reference) = p.value(b'r') {
            let meta = fsys::stat(ctx, reference).map_err(|e| {
                t.perror(reference, &e);
                super::Stop
            })?;
            stamps = [Some(meta.atime), Some(meta.mtime)];
        }
        let (only_a, only_m) = (p.has(b'a'), p.has(b'm'));
        // -a or -m alone changes that time only; both or neither change both.
        let (set_atime, set_mtime) = if only_a == only_m { (true, true) } else { (only_a, only_m) };
        let any_flags = p.flags != 0;
        for file in &p.args {
            if file == b"-" {
                continue;
            }
            let mut first = true;
            loop {
                match set_times(ctx, file, stamps, set_atime, set_mtime, now) {
                    Ok(()) => break,
                    Err(e) => {
                        if p.has(b'c') {
                            break;
                        }
                        if first && fsys::lstat(ctx, file).is_err() {
                            match fsys::writable(ctx, file).and_then(|host| ctx.phone.storage.create(&host).map(drop)) {
                                Ok(()) => {
                                    if any_flags {
                                        first = false;
                                        continue;
                                    }
                                    break;
                                }
                                Err(create_err) => t.perror_quoted(file, &create_err),
                            }
                        } else {
                            t.perror_quoted(file, &e);
                        }
                        break;
                    }
                }
            }
        }
        Ok(())
    })
}

fn set_times(
    ctx: &Ctx<'_>,
    file: &[u8],
    stamps: [Option<Ts>; 2],
    set_atime: bool,
    set_mtime: bool,
    now: Ts,
) -> io::Result<()> {
    let meta = fsys::lstat(ctx, file)?;
    let host = fsys::writable(ctx, file)?;
    let atime = stamps[0].unwrap_or(now);
    let mtime = if set_mtime { stamps[1].unwrap_or(now) } else { meta.mtime };
    ctx.phone.storage.set_times(&host, system_time(mtime), set_atime.then(|| system_time(atime)))
}
