//! Runs parsed lines: and-or lists, pipelines (one thread per command, connected by OS pipes), redirections
//! and command dispatch (mksh built-ins, then `content`/`am`, toybox's `printf`, then toybox).

use super::super::Phone;
use super::super::storage::{Location, strerror};
use super::super::{battery, media_store, net};
use super::builtins::{self, Kind, SH};
use super::parse::{AndOr, Conn, Line, Pipeline, RedirKind, Simple};
use super::{Ctx, Io, expand, fsys, toybox};
use std::cell::RefCell;
use std::io::{self, Read, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;

/// The shell's own state.
#[derive(Clone)]
pub(super) struct Shell<'p> {
    /// The phone.
    pub phone: &'p Phone,
    /// `$PWD` (logical, as mksh keeps it).
    pub cwd: Vec<u8>,
    /// `$OLDPWD`, for `cd -`.
    pub oldpwd: Option<Vec<u8>>,
    /// `$?`.
    pub status: i32,
}

/// Why a command ends the shell (or the pipeline stage running it) early.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Stop {
    /// `exit`, or an error in a special built-in: the shell exits with this status.
    Exit(i32),
    /// Something the virtual phone does not implement was needed (the message is printed): the script stops.
    Unsupported,
}

/// Status when a write to the host failed (as if killed by SIGPIPE).
pub(super) const SIGPIPE_STATUS: i32 = 141;

/// Status of a script refused for an unsupported construct.
pub(super) const UNSUPPORTED_STATUS: i32 = 2;

/// Writes `/system/bin/sh: PART: PART...` and a newline.
pub(super) fn say(w: &mut dyn Write, parts: &[&[u8]]) {
    let mut line = SH.to_vec();
    for p in parts {
        line.extend_from_slice(b": ");
        line.extend_from_slice(p);
    }
    line.push(b'\n');
    let _ = w.write_all(&line);
}

/// A writer that remembers that it failed (the host closed the stream).
pub(super) struct Tracked<'w> {
    inner: &'w mut dyn Write,
    /// A write or flush failed.
    pub broken: bool,
}

impl<'w> Tracked<'w> {
    pub(super) fn new(inner: &'w mut dyn Write) -> Self {
        Self { inner, broken: false }
    }
}

impl Write for Tracked<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.broken {
            return Err(io::Error::from(io::ErrorKind::BrokenPipe));
        }
        self.inner.write(buf).inspect_err(|_| self.broken = true)
    }

    fn flush(&mut self) -> io::Result<()> {
        if self.broken {
            return Err(io::Error::from(io::ErrorKind::BrokenPipe));
        }
        self.inner.flush().inspect_err(|_| self.broken = true)
    }
}

/// Runs one line. `Err` ends the script with that status.
pub(super) fn run_line(sh: &mut Shell<'_>, line: &Line, out: &mut Tracked<'_>, err: &mut dyn Write) -> Result<(), i32> {
    for item in line {
        run_and_or(sh, item, out, err)?;
    }
    Ok(())
}

fn run_and_or(sh: &mut Shell<'_>, item: &AndOr, out: &mut Tracked<'_>, err: &mut dyn Write) -> Result<(), i32> {
    run_pipeline(sh, &item.first, out, err)?;
    for (conn, p) in &item.rest {
        let go = match conn {
            Conn::And => sh.status == 0,
            Conn::Or => sh.status != 0,
        };
        if go {
            run_pipeline(sh, p, out, err)?;
        }
    }
    Ok(())
}

fn stop_status(stop: Stop) -> i32 {
    match stop {
        Stop::Exit(code) => code,
        Stop::Unsupported => UNSUPPORTED_STATUS,
    }
}

fn run_pipeline(sh: &mut Shell<'_>, p: &Pipeline, out: &mut Tracked<'_>, err: &mut dyn Write) -> Result<(), i32> {
    let status = if let [cmd] = p.cmds.as_slice() {
        let mut stdin = io::empty();
        let r = run_simple(sh, cmd, &mut stdin, out, err);
        if out.broken {
            return Err(SIGPIPE_STATUS);
        }
        r.map_err(stop_status)?
    } else {
        let (status, stop) = run_stages(sh, &p.cmds, out, err);
        if out.broken {
            return Err(SIGPIPE_STATUS);
        }
        if stop {
            return Err(UNSUPPORTED_STATUS);
        }
        status
    };
    sh.status = if p.negate { i32::from(status == 0) } else { status };
    Ok(())
}

enum Chunk {
    Out(Vec<u8>),
    Err(Vec<u8>),
}

/// A pipeline stage's writer to the shell's stdout or stderr, through the pump on the shell's thread.
struct ChanWriter<'b> {
    tx: mpsc::SyncSender<Chunk>,
    stderr: bool,
    broken: &'b AtomicBool,
}

impl Write for ChanWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if !self.stderr && self.broken.load(Ordering::Relaxed) {
            return Err(io::Error::from(io::ErrorKind::BrokenPipe));
        }
        let chunk = if self.stderr { Chunk::Err(buf.to_vec()) } else { Chunk::Out(buf.to_vec()) };
        self.tx.send(chunk).map_err(|_| io::Error::from(io::ErrorKind::BrokenPipe))?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Runs a pipeline of two or more commands, each in its own thread (a subshell, as in mksh): returns the last
/// command's status and whether the script must stop (an unsupported construct).
fn run_stages(sh: &Shell<'_>, cmds: &[Simple], out: &mut Tracked<'_>, err: &mut dyn Write) -> (i32, bool) {
    let broken = AtomicBool::new(false);
    let (tx, rx) = mpsc::sync_channel::<Chunk>(16);
    let mut results = Vec::new();
    std::thread::scope(|scope| {
        let mut handles = Vec::new();
        let mut next_stdin: Option<io::PipeReader> = None;
        for (i, cmd) in cmds.iter().enumerate() {
            let last = i + 1 == cmds.len();
            let stdin = next_stdin.take();
            let pipe_out = if last {
                None
            } else {
                match io::pipe() {
                    Ok((r, w)) => {
                        next_stdin = Some(r);
                        Some(w)
                    }
                    Err(e) => {
                        say(err, &[b"can't create pipe", strerror(&e).as_bytes()]);
                        break;
                    }
                }
            };
            let mut stage = sh.clone();
            let tx_out = tx.clone();
            let tx_err = tx.clone();
            let broken = &broken;
            handles.push(scope.spawn(move || {
                let mut stdin: Box<dyn Read> = match stdin {
                    Some(r) => Box::new(r),
                    None => Box::new(io::empty()),
                };
                let mut stdout: Box<dyn Write> = match pipe_out {
                    Some(w) => Box::new(w),
                    None => Box::new(io::BufWriter::with_capacity(
                        64 * 1024,
                        ChanWriter { tx: tx_out, stderr: false, broken },
                    )),
                };
                let mut stderr = ChanWriter { tx: tx_err, stderr: true, broken };
                let r = run_simple(&mut stage, cmd, &mut *stdin, &mut *stdout, &mut stderr);
                let _ = stdout.flush();
                r
            }));
        }
        drop(tx);
        // Pump the last command's output and every command's errors to the shell's streams.
        for chunk in rx {
            match chunk {
                Chunk::Out(bytes) => {
                    if !broken.load(Ordering::Relaxed) && out.write_all(&bytes).is_err() {
                        broken.store(true, Ordering::Relaxed);
                    }
                }
                Chunk::Err(bytes) => {
                    let _ = err.write_all(&bytes);
                }
            }
        }
        for h in handles {
            results.push(h.join().unwrap_or(Err(Stop::Exit(1))));
        }
    });
    if broken.load(Ordering::Relaxed) {
        out.broken = true;
    }
    let stop = results.contains(&Err(Stop::Unsupported));
    let status = results.last().map_or(1, |r| match r {
        Ok(s) => *s,
        Err(stop) => stop_status(*stop),
    });
    (status, stop)
}

/// Where one of the command's descriptors points.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Slot {
    /// The stdout the command inherited.
    Out,
    /// The stderr the command inherited.
    Err,
    /// `/dev/null`.
    Null,
    /// A file opened by a redirection.
    File(usize),
    /// The stdin the command inherited (only for descriptor 0).
    In,
    /// A file opened for reading (only for descriptor 0).
    Reader(usize),
}

/// Writes through a shared writer (so that `2>&1` makes both descriptors one stream).
struct Shared<'r, 'w>(&'r RefCell<&'w mut dyn Write>);

impl Write for Shared<'_, '_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.try_borrow_mut().map_err(|_| io::Error::from(io::ErrorKind::WouldBlock))?.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.0.try_borrow_mut().map_err(|_| io::Error::from(io::ErrorKind::WouldBlock))?.flush()
    }
}

/// Runs a simple command with the given inherited streams; returns its status.
pub(super) fn run_simple(
    sh: &mut Shell<'_>,
    cmd: &Simple,
    stdin: &mut dyn Read,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> Result<i32, Stop> {
    let mut argv: Vec<Vec<u8>> = Vec::new();
    for w in &cmd.words {
        argv.extend(expand::fields(sh.phone, &sh.cwd, w, sh.status));
    }
    let special = argv.first().and_then(|n| builtins::kind(n)) == Some(Kind::Special);

    let mut writers: Vec<Box<dyn Write + '_>> = Vec::new();
    let mut readers: Vec<Box<dyn Read + Send>> = Vec::new();
    let mut fds = [Slot::In, Slot::Out, Slot::Err];
    let phone = sh.phone;
    for r in &cmd.redirs {
        let target = expand::literal(&r.target, sh.status);
        let fd = usize::from(r.fd);
        let failure: Option<Vec<u8>> = match r.kind {
            RedirKind::Write | RedirKind::Append => match open_write(sh, &target, r.kind == RedirKind::Append) {
                Ok(Some(w)) => {
                    writers.push(w);
                    fds[fd] = Slot::File(writers.len() - 1);
                    None
                }
                Ok(None) => {
                    fds[fd] = Slot::Null;
                    None
                }
                Err(e) => Some([b"can't create ".as_slice(), &target, b": ", strerror(&e).as_bytes()].concat()),
            },
            RedirKind::Read => match builtins::open_read(sh, &target) {
                Ok(r) => {
                    readers.push(r);
                    fds[0] = Slot::Reader(readers.len() - 1);
                    None
                }
                Err(e) => Some([b"can't open ".as_slice(), &target, b": ", strerror(&e).as_bytes()].concat()),
            },
            RedirKind::Dup => match target.as_slice() {
                [d @ b'0'..=b'2'] => {
                    let src = fds[usize::from(d - b'0')];
                    let is_input = matches!(src, Slot::In | Slot::Reader(_));
                    if is_input != (fd == 0) {
                        let what = format!("redirection {}{}", String::from_utf8_lossy(&r.op), d - b'0');
                        return unsupported(&mut *stderr, &what);
                    }
                    fds[fd] = src;
                    None
                }
                b"-" => {
                    let what = format!("closing a descriptor ({}-)", String::from_utf8_lossy(&r.op));
                    return unsupported(&mut *stderr, &what);
                }
                [b'0'..=b'9'] => Some([r.op.as_slice(), &target, b" : bad file descriptor"].concat()),
                _ => Some([r.op.as_slice(), &target, b" : illegal file descriptor name"].concat()),
            },
        };
        if let Some(msg) = failure {
            let line = [SH, b": ", &msg, b"\n"].concat();
            let _ = match fds[2] {
                Slot::Out => stdout.write_all(&line),
                Slot::Err => stderr.write_all(&line),
                Slot::File(i) => writers[i].write_all(&line),
                _ => Ok(()),
            };
            return if special { Err(Stop::Exit(1)) } else { Ok(1) };
        }
    }
    if argv.is_empty() {
        return Ok(0);
    }

    let mut sink = io::sink();
    let mut cells: Vec<RefCell<&mut dyn Write>> =
        vec![RefCell::new(shorten(stdout)), RefCell::new(shorten(stderr)), RefCell::new(shorten(&mut sink))];
    for w in &mut writers {
        cells.push(RefCell::new(shorten(&mut **w)));
    }
    let cell = |slot: Slot| match slot {
        Slot::Out | Slot::In | Slot::Reader(_) => &cells[0],
        Slot::Err => &cells[1],
        Slot::Null => &cells[2],
        Slot::File(i) => &cells[3 + i],
    };
    let mut out = Shared(cell(fds[1]));
    let mut err = Shared(cell(fds[2]));
    let mut input: &mut dyn Read = match fds[0] {
        Slot::Reader(i) => &mut *readers[i],
        _ => stdin,
    };
    let mut io = Io { stdin: &mut input, stdout: &mut out, stderr: &mut err };
    let r = dispatch(sh, &argv, &mut io, phone);
    let _ = io.stdout.flush();
    r
}

/// Shortens a writer's trait-object lifetime to its borrow's.
fn shorten<'s>(w: &'s mut (dyn Write + '_)) -> &'s mut (dyn Write + 's) {
    w
}

fn unsupported(stderr: &mut dyn Write, what: &str) -> Result<i32, Stop> {
    say(stderr, &[what.as_bytes(), b"not supported by the virtual phone's shell"]);
    Err(Stop::Unsupported)
}

/// Opens a redirection's file for writing; `None` for `/dev/null`.
fn open_write<'p>(sh: &Shell<'p>, target: &[u8], append: bool) -> io::Result<Option<Box<dyn Write + 'p>>> {
    if crate::virtual_phone::storage::absolute_path(&sh.cwd, target) == b"/dev/null" {
        return Ok(None);
    }
    let storage = &sh.phone.storage;
    match storage.locate(&sh.cwd, target) {
        Location::Storage(host) => {
            if !storage.is_reachable(&host) {
                return Err(io::Error::from_raw_os_error(libc::EACCES));
            }
            let w = if append { storage.append(&host)? } else { storage.create(&host)? };
            Ok(Some(Box::new(w)))
        }
        Location::Above(_) => Err(io::Error::from_raw_os_error(libc::EISDIR)),
        Location::Outside => Err(crate::virtual_phone::storage::outside_error(&sh.cwd, target)),
    }
}

/// Finds and runs the command `argv[0]`.
fn dispatch(sh: &mut Shell<'_>, argv: &[Vec<u8>], io: &mut Io<'_>, phone: &Phone) -> Result<i32, Stop> {
    let name = argv[0].as_slice();
    if name.contains(&b'/') {
        return run_path(sh, argv, io);
    }
    match name {
        b"command" => return command(sh, argv, io, phone),
        b"builtin" => {
            let mut rest = &argv[1..];
            if rest.first().is_some_and(|a| a.as_slice() == b"--") {
                rest = &rest[1..];
            }
            let Some(inner) = rest.first() else { return Ok(0) };
            if builtins::kind(inner).is_none() {
                say(io.stderr, &[b"builtin", inner, b"not found"]);
                return Err(Stop::Exit(1));
            }
            return run_builtin(sh, rest, io);
        }
        _ => {}
    }
    match builtins::kind(name) {
        Some(Kind::Low) if has_options(argv) && builtins::is_external(name) => run_external(sh, argv, io, phone),
        Some(_) => run_builtin(sh, argv, io),
        None if builtins::is_external(name) => run_external(sh, argv, io, phone),
        None => {
            say(io.stderr, &[name, b"inaccessible or not found"]);
            Ok(127)
        }
    }
}

/// mksh gives way to the external utility when the first argument is an option (not `-` or `--`).
fn has_options(argv: &[Vec<u8>]) -> bool {
    argv.get(1).is_some_and(|a| a.len() > 1 && a[0] == b'-' && a.as_slice() != b"--")
}

fn run_builtin(sh: &mut Shell<'_>, argv: &[Vec<u8>], io: &mut Io<'_>) -> Result<i32, Stop> {
    if let Some(f) = builtins::implementation(&argv[0]) {
        f(sh, argv, io)
    } else if builtins::is_external(&argv[0]) {
        // mksh's own version (sleep, kill, ...) is not modelled: the phone's utility does the same work.
        let phone = sh.phone;
        run_external(sh, argv, io, phone)
    } else {
        let what = format!("built-in '{}'", String::from_utf8_lossy(&argv[0]));
        builtins::say_unsupported(io, &what);
        Err(Stop::Unsupported)
    }
}

fn run_external(sh: &mut Shell<'_>, argv: &[Vec<u8>], io: &mut Io<'_>, phone: &Phone) -> Result<i32, Stop> {
    let name = argv[0].rsplit(|&b| b == b'/').next().unwrap_or_default();
    match name {
        b"content" => Ok(super::super::content::content_command(phone, &argv[1..], io.stdout, io.stderr)),
        b"am" => Ok(media_store::am_command(phone, &argv[1..], io.stdout, io.stderr)),
        b"dumpsys" => Ok(battery::dumpsys_command(phone, &argv[1..], io.stdout, io.stderr)),
        b"ip" => Ok(net::ip_command(phone, &argv[1..], io.stdout, io.stderr)),
        b"printf" => builtins::printf(sh, argv, io),
        b"sh" => {
            builtins::say_unsupported(io, "running another shell");
            Err(Stop::Unsupported)
        }
        _ => {
            if let Some(f) = toybox::lookup(name) {
                let mut ctx = Ctx { phone, cwd: sh.cwd.clone(), last_status: sh.status };
                Ok(f(&mut ctx, argv, io))
            } else {
                say(io.stderr, &[&argv[0], b"inaccessible or not found"]);
                Ok(127)
            }
        }
    }
}

/// A command name with a slash: one of the phone's utilities by its path, or a file that cannot run.
fn run_path(sh: &mut Shell<'_>, argv: &[Vec<u8>], io: &mut Io<'_>) -> Result<i32, Stop> {
    let abs = crate::virtual_phone::storage::absolute_path(&sh.cwd, &argv[0]);
    if let Some(base) = builtins::system_bin_name(&abs)
        && builtins::is_external(base)
    {
        let phone = sh.phone;
        return run_external(sh, argv, io, phone);
    }
    match fsys::lstat(sh.phone, &sh.cwd, &argv[0]) {
        Ok(st) if st.dir => {
            say(io.stderr, &[&argv[0], b"can't execute", b"Is a directory"]);
            Ok(126)
        }
        Ok(_) if matches!(sh.phone.storage.locate(&sh.cwd, &argv[0]), Location::Storage(_)) => {
            // Shared storage is mounted noexec.
            say(io.stderr, &[&argv[0], b"can't execute", b"Permission denied"]);
            Ok(126)
        }
        _ => {
            say(io.stderr, &[&argv[0], b"inaccessible or not found"]);
            Ok(127)
        }
    }
}

/// `command [-pvV] [NAME [ARG...]]`.
fn command(sh: &mut Shell<'_>, argv: &[Vec<u8>], io: &mut Io<'_>, phone: &Phone) -> Result<i32, Stop> {
    let mut i = 1;
    let mut mode = None;
    while let Some(arg) = argv.get(i) {
        if arg.as_slice() == b"--" {
            i += 1;
            break;
        }
        if arg.len() < 2 || arg[0] != b'-' {
            break;
        }
        for &c in &arg[1..] {
            match c {
                b'p' => {}
                b'v' => mode = Some(false),
                b'V' => mode = Some(true),
                _ => {
                    say(io.stderr, &[b"command", &[b'-', c], b"unknown option"]);
                    return Ok(1);
                }
            }
        }
        i += 1;
    }
    let rest = &argv[i..];
    match mode {
        Some(vflag) => Ok(builtins::command_v(sh, rest, io, vflag)),
        None if rest.is_empty() => Ok(0),
        None => dispatch(sh, rest, io, phone),
    }
}
