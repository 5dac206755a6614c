//! mksh R59c's built-in utilities as Android builds it (`echo`, `test`/`[`, `cd`, `pwd`, `exit`, `command`,
//! `whence`, `cat`, `true`, `false`, `:`), and toybox's `printf` (Android's mksh has no printf built-in).
//!
//! Messages follow mksh's `bi_errorf` format: `/system/bin/sh: NAME: message`.

use super::exec::{Shell, Stop, say};
use super::{Io, fsys, toybox};
use std::io::Read;

/// `argv0` is the shell's name in its messages.
pub(super) const SH: &[u8] = b"/system/bin/sh";

/// How mksh treats a built-in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    /// A POSIX special built-in: an error in it ends the shell.
    Special,
    /// A regular built-in.
    Regular,
    /// A built-in that gives way to the external utility when called with options (`cat`, `realpath`).
    Low,
}

/// Every built-in of Android's mksh R59c, with its kind.
pub(super) fn kind(name: &[u8]) -> Option<Kind> {
    const SPECIAL: [&str; 15] = [
        ".", ":", "break", "continue", "eval", "exec", "exit", "export", "readonly", "return", "set", "shift", "times",
        "trap", "unset",
    ];
    const REGULAR: [&str; 32] = [
        "[", "alias", "builtin", "cd", "chdir", "command", "echo", "false", "fc", "getopts", "jobs", "kill", "let",
        "print", "pwd", "read", "rename", "source", "suspend", "test", "true", "typeset", "ulimit", "umask", "unalias",
        "wait", "whence", "bg", "fg", "bind", "sleep", "global",
    ];
    let name = std::str::from_utf8(name).ok()?;
    if SPECIAL.contains(&name) {
        Some(Kind::Special)
    } else if name == "cat" || name == "realpath" {
        Some(Kind::Low)
    } else if REGULAR.contains(&name) && name != "global" {
        Some(Kind::Regular)
    } else {
        None
    }
}

/// A built-in's implementation.
pub(super) type BuiltinFn = fn(&mut Shell<'_>, &[Vec<u8>], &mut Io<'_>) -> Result<i32, Stop>;

/// The implemented built-ins.
pub(super) fn implementation(name: &[u8]) -> Option<BuiltinFn> {
    Some(match name {
        b"echo" => echo,
        b"test" | b"[" => test,
        b"true" | b":" => |_, _, _| Ok(0),
        b"false" => |_, _, _| Ok(1),
        b"cd" | b"chdir" => cd,
        b"pwd" => pwd,
        b"exit" => exit,
        b"whence" => whence,
        b"cat" => cat,
        b"realpath" => realpath_builtin,
        _ => return None,
    })
}

/// mksh's default aliases.
pub(super) const ALIASES: [(&str, &str); 11] = [
    ("autoload", "\\\\builtin typeset -fu"),
    ("functions", "\\\\builtin typeset -f"),
    ("hash", "\\\\builtin alias -t"),
    ("history", "\\\\builtin fc -l"),
    ("integer", "\\\\builtin typeset -i"),
    ("local", "\\\\builtin typeset"),
    ("login", "\\\\builtin exec login"),
    ("nameref", "\\\\builtin typeset -n"),
    ("nohup", "nohup "),
    ("r", "\\\\builtin fc -e -"),
    ("type", "\\\\builtin whence -v"),
];

const KEYWORDS: [&str; 20] = [
    "if", "then", "else", "elif", "fi", "case", "esac", "for", "select", "while", "until", "do", "done", "in",
    "function", "time", "{", "}", "!", "[[",
];

/// The phone's external utilities outside toybox.
const EXTRA_EXTERNALS: [&str; 6] = ["content", "am", "dumpsys", "ip", "printf", "sh"];

/// True when `/system/bin/NAME` exists on the virtual phone.
pub(super) fn is_external(name: &[u8]) -> bool {
    EXTRA_EXTERNALS.iter().any(|e| e.as_bytes() == name) || toybox::lookup(name).is_some()
}

/// Parses mksh-style options (`ksh_getopt`): returns the index of the first operand, or the bad option.
fn getopt(argv: &[Vec<u8>], allowed: &[u8], mut seen: impl FnMut(u8)) -> Result<usize, u8> {
    let mut i = 1;
    while let Some(arg) = argv.get(i) {
        if arg.as_slice() == b"--" {
            return Ok(i + 1);
        }
        if arg.len() < 2 || arg[0] != b'-' {
            break;
        }
        for &c in &arg[1..] {
            if !allowed.contains(&c) {
                return Err(c);
            }
            seen(c);
        }
        i += 1;
    }
    Ok(i)
}

fn bi_error(io: &mut Io<'_>, name: &[u8], msg: &[&[u8]]) {
    let mut line = SH.to_vec();
    line.extend_from_slice(b": ");
    line.extend_from_slice(name);
    for part in msg {
        line.extend_from_slice(b": ");
        line.extend_from_slice(part);
    }
    line.push(b'\n');
    let _ = io.stderr.write_all(&line);
}

fn unknown_option(io: &mut Io<'_>, name: &[u8], c: u8) {
    bi_error(io, name, &[&[b'-', c], b"unknown option"]);
}

// ---------------------------------------------------------------------------------------------------------
// echo

#[allow(clippy::unnecessary_wraps, reason = "a BuiltinFn")]
fn echo(_sh: &mut Shell<'_>, argv: &[Vec<u8>], io: &mut Io<'_>) -> Result<i32, Stop> {
    let mut exp = true;
    let mut nl = true;
    let mut i = 1;
    // mksh: only arguments made of -E, -e and -n letters are options; `echo -nq` prints `-nq`.
    while let Some(arg) = argv.get(i) {
        if arg.len() < 2 || arg[0] != b'-' || !arg[1..].iter().all(|c| matches!(c, b'E' | b'e' | b'n')) {
            break;
        }
        for &c in &arg[1..] {
            match c {
                b'E' => exp = false,
                b'e' => exp = true,
                _ => nl = false,
            }
        }
        i += 1;
    }
    let mut out = Vec::new();
    for (n, arg) in argv[i..].iter().enumerate() {
        if n > 0 {
            out.push(b' ');
        }
        if exp {
            echo_escapes(arg, &mut out, &mut nl);
        } else {
            out.extend_from_slice(arg);
        }
    }
    if nl {
        out.push(b'\n');
    }
    Ok(i32::from(io.stdout.write_all(&out).and_then(|()| io.stdout.flush()).is_err()))
}

/// mksh's `unbksl(false, ...)` as `print`/`echo` use it.
#[allow(clippy::many_single_char_names, reason = "mirrors mksh's unbksl")]
fn echo_escapes(s: &[u8], out: &mut Vec<u8>, nl: &mut bool) {
    let mut i = 0;
    while i < s.len() {
        let c = s[i];
        i += 1;
        if c != b'\\' {
            out.push(c);
            continue;
        }
        let Some(&fc) = s.get(i) else {
            out.push(b'\\');
            continue;
        };
        i += 1;
        let simple = match fc {
            b'a' => Some(7),
            b'b' => Some(8),
            b'E' | b'e' => Some(27),
            b'f' => Some(12),
            b'n' => Some(b'\n'),
            b'r' => Some(b'\r'),
            b't' => Some(b'\t'),
            b'v' => Some(11),
            b'\\' => Some(b'\\'),
            _ => None,
        };
        if let Some(b) = simple {
            out.push(b);
            continue;
        }
        match fc {
            b'c' => *nl = false,
            b'0' => {
                let mut wc: u32 = 0;
                for _ in 0..3 {
                    match s.get(i) {
                        Some(&d @ b'0'..=b'7') => {
                            wc = (wc << 3) + u32::from(d - b'0');
                            i += 1;
                        }
                        _ => break,
                    }
                }
                if wc > 0xFF {
                    // mksh takes values above a byte for a character (minus its UCS marker 0x100).
                    utf_wctomb(wc - 0x100, out);
                } else {
                    out.push(wc as u8);
                }
            }
            b'x' | b'u' | b'U' => {
                let max = match fc {
                    b'x' => 2,
                    b'u' => 4,
                    _ => 8,
                };
                let mut wc: u32 = 0;
                let mut n = 0;
                while n < max {
                    match s.get(i).and_then(|d| char::from(*d).to_digit(16)) {
                        Some(d) => {
                            wc = (wc << 4) | d;
                            i += 1;
                            n += 1;
                        }
                        None => break,
                    }
                }
                if n == 0 {
                    out.push(b'\\');
                    i -= 1;
                } else if fc == b'x' {
                    out.push(wc as u8);
                } else {
                    utf_wctomb(wc, out);
                }
            }
            _ => {
                // Unknown escape: the backslash stays and the character is read again.
                out.push(b'\\');
                i -= 1;
            }
        }
    }
}

/// mksh's `utf_wctomb`: BMP only, anything above U+FFFD becomes U+FFFD.
fn utf_wctomb(wc: u32, out: &mut Vec<u8>) {
    let wc = if wc > 0xFFFD { 0xFFFD } else { wc };
    if wc < 0x80 {
        out.push(wc as u8);
    } else if wc < 0x800 {
        out.push(0xC0 | (wc >> 6) as u8);
        out.push(0x80 | (wc & 0x3F) as u8);
    } else {
        out.push(0xE0 | (wc >> 12) as u8);
        out.push(0x80 | ((wc >> 6) & 0x3F) as u8);
        out.push(0x80 | (wc & 0x3F) as u8);
    }
}

// ---------------------------------------------------------------------------------------------------------
// test / [

const UNARY: [&[u8]; 25] = [
    b"-a", b"-b", b"-c", b"-d", b"-e", b"-f", b"-G", b"-g", b"-H", b"-h", b"-k", b"-L", b"-n", b"-O", b"-o", b"-p",
    b"-r", b"-S", b"-s", b"-t", b"-u", b"-v", b"-w", b"-x", b"-z",
];
const BINARY: [&[u8]; 14] =
    [b"=", b"==", b"!=", b"<", b">", b"-eq", b"-ne", b"-gt", b"-ge", b"-lt", b"-le", b"-ef", b"-nt", b"-ot"];

struct Test<'a, 's, 'i> {
    sh: &'a Shell<'s>,
    io: &'a mut Io<'i>,
    name: &'a [u8],
    args: &'a [Vec<u8>],
    pos: usize,
    error: bool,
    unsupported: bool,
}

fn test(sh: &mut Shell<'_>, argv: &[Vec<u8>], io: &mut Io<'_>) -> Result<i32, Stop> {
    let name = argv[0].as_slice();
    let mut operands = &argv[1..];
    if name == b"[" {
        match operands.split_last() {
            Some((last, rest)) if last.as_slice() == b"]" => operands = rest,
            _ => {
                bi_error(io, name, &[b"missing ]"]);
                return Ok(2);
            }
        }
    }
    let mut t = Test { sh, io, name, args: operands, pos: 0, error: false, unsupported: false };
    let rv = t.posix();
    if t.unsupported {
        return Err(Stop::Unsupported);
    }
    if t.error {
        return Ok(2);
    }
    Ok(i32::from(!rv))
}

impl Test<'_, '_, '_> {
    fn is(&self, i: usize, tok: &[u8]) -> bool {
        self.args.get(i).is_some_and(|a| a.as_slice() == tok)
    }

    /// The POSIX special cases for 0 to 4 arguments, then the general parser (mksh's `c_test`).
    fn posix(&mut self) -> bool {
        let n = self.args.len();
        let mut invert = false;
        let mut start = 0;
        let mut left = n;
        loop {
            match left {
                0 => return invert,
                1 => return self.eval_unary(b"-n", start) != invert,
                2 => {
                    if self.is(start, b"!") {
                        invert = !invert;
                        start += 1;
                        left -= 1;
                        continue;
                    }
                    if UNARY.contains(&self.args[start].as_slice()) {
                        let op = self.args[start].clone();
                        return self.eval_unary(&op, start + 1) != invert;
                    }
                    break;
                }
                3 => {
                    let op = self.args[start + 1].as_slice();
                    if BINARY.contains(&op) {
                        let op = op.to_vec();
                        return self.eval_binary(&op, start, start + 2) != invert;
                    }
                    if op == b"-a" || op == b"-o" {
                        let a = !self.args[start].is_empty();
                        let b = !self.args[start + 2].is_empty();
                        return (if op == b"-a" { a && b } else { a || b }) != invert;
                    }
                    if self.is(start, b"!") {
                        invert = !invert;
                        start += 1;
                        left -= 1;
                        continue;
                    }
                    if self.is(start, b"(") && self.is(start + 2, b")") {
                        return self.eval_unary(b"-n", start + 1) != invert;
                    }
                    break;
                }
                4 => {
                    if self.is(start, b"!") {
                        invert = !invert;
                        start += 1;
                        left -= 1;
                        continue;
                    }
                    if self.is(start, b"(") && self.is(start + 3, b")") {
                        start += 1;
                        left = 2;
                        continue;
                    }
                    break;
                }
                _ => break,
            }
        }
        // mksh restarts the general parser from the first argument (inversions above are not kept).
        self.pos = 0;
        let rv = self.oexpr(true);
        if !self.error && self.pos < self.args.len() {
            self.fail(0, b"unexpected operator/operand");
        }
        rv
    }

    fn fail(&mut self, ofs: isize, msg: &[u8]) {
        if self.error || self.unsupported {
            return;
        }
        self.error = true;
        let at = self.pos.checked_add_signed(ofs).and_then(|i| self.args.get(i)).cloned();
        match at {
            Some(op) => bi_error(self.io, self.name, &[&op, msg]),
            None => bi_error(self.io, self.name, &[msg]),
        }
    }

    fn accept(&mut self, tok: &[u8]) -> bool {
        if self.is(self.pos, tok) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn oexpr(&mut self, eval: bool) -> bool {
        let rv = self.aexpr(eval);
        if !self.error && self.accept(b"-o") {
            return self.oexpr(eval && !rv) || rv;
        }
        rv
    }

    fn aexpr(&mut self, eval: bool) -> bool {
        let rv = self.nexpr(eval);
        if !self.error && self.accept(b"-a") {
            return self.aexpr(eval && rv) && rv;
        }
        rv
    }

    fn nexpr(&mut self, eval: bool) -> bool {
        if !self.error && self.accept(b"!") {
            return !self.nexpr(eval);
        }
        self.primary(eval)
    }

    fn primary(&mut self, eval: bool) -> bool {
        if self.error {
            return false;
        }
        if self.accept(b"(") {
            let rv = self.oexpr(eval);
            if self.error {
                return false;
            }
            if !self.accept(b")") {
                self.fail(0, b"missing )");
                return false;
            }
            return rv;
        }
        let next_is_binop = self.args.get(self.pos + 1).is_some_and(|a| BINARY.contains(&a.as_slice()));
        if self.pos + 1 < self.args.len()
            && !next_is_binop
            && let Some(op) = self.args.get(self.pos).filter(|a| UNARY.contains(&a.as_slice())).cloned()
        {
            self.pos += 1;
            if self.pos >= self.args.len() {
                self.fail(-1, b"missing argument");
                return false;
            }
            let at = self.pos;
            self.pos += 1;
            return eval && self.eval_unary(&op, at);
        }
        if self.pos >= self.args.len() {
            self.fail(0, b"expression expected");
            return false;
        }
        let lhs = self.pos;
        self.pos += 1;
        if let Some(op) = self.args.get(self.pos).filter(|a| BINARY.contains(&a.as_slice())).cloned() {
            self.pos += 1;
            if self.pos >= self.args.len() {
                self.fail(-1, b"missing second argument");
                return false;
            }
            let rhs = self.pos;
            self.pos += 1;
            return eval && self.eval_binary(&op, lhs, rhs);
        }
        eval && self.eval_unary(b"-n", lhs)
    }

    fn unsupported(&mut self, what: &str) {
        if !self.unsupported {
            self.unsupported = true;
            say_unsupported(self.io, what);
        }
    }

    fn eval_unary(&mut self, op: &[u8], at: usize) -> bool {
        let s = self.args[at].clone();
        let st = || fsys::lstat(self.sh.phone, &self.sh.cwd, &s);
        match op {
            b"-n" => !s.is_empty(),
            b"-z" => s.is_empty(),
            // The shell user may read and write whatever it can see in the shared storage.
            b"-a" | b"-e" | b"-r" | b"-w" => st().is_ok(),
            b"-f" => st().is_ok_and(|m| m.file),
            b"-d" => st().is_ok_and(|m| m.dir),
            b"-s" => st().is_ok_and(|m| m.len > 0),
            b"-h" | b"-L" => st().is_ok_and(|m| m.symlink),
            b"-x" => st().is_ok_and(|m| m.dir),
            b"-b" | b"-c" | b"-p" | b"-S" | b"-u" | b"-g" | b"-k" | b"-H" | b"-O" | b"-G" => false,
            b"-t" => {
                if !s.iter().all(u8::is_ascii_digit) || s.is_empty() {
                    self.error = true;
                }
                false
            }
            _ => {
                self.unsupported(&format!("test {}", String::from_utf8_lossy(op)));
                false
            }
        }
    }

    fn eval_binary(&mut self, op: &[u8], lhs: usize, rhs: usize) -> bool {
        let (a, b) = (self.args[lhs].clone(), self.args[rhs].clone());
        match op {
            b"=" | b"==" => a == b,
            b"!=" => a != b,
            b"<" => a < b,
            b">" => a > b,
            b"-eq" | b"-ne" | b"-gt" | b"-ge" | b"-lt" | b"-le" => {
                let (Some(x), Some(y)) = (self.number(&a), self.number(&b)) else {
                    return true;
                };
                match op {
                    b"-eq" => x == y,
                    b"-ne" => x != y,
                    b"-gt" => x > y,
                    b"-ge" => x >= y,
                    b"-lt" => x < y,
                    _ => x <= y,
                }
            }
            _ => {
                let sa = fsys::lstat(self.sh.phone, &self.sh.cwd, &a);
                let sb = fsys::lstat(self.sh.phone, &self.sh.cwd, &b);
                match op {
                    b"-nt" => sa.as_ref().is_ok_and(|x| sb.as_ref().map_or(true, |y| x.mtime > y.mtime)),
                    b"-ot" => sb.as_ref().is_ok_and(|y| sa.as_ref().map_or(true, |x| x.mtime < y.mtime)),
                    _ => matches!((sa, sb), (Ok(x), Ok(y)) if x.id == y.id),
                }
            }
        }
    }

    /// mksh evaluates `-eq` operands as arithmetic expressions with 32-bit integers; only plain decimal
    /// numbers are supported here.
    fn number(&mut self, s: &[u8]) -> Option<i32> {
        let t = s.trim_ascii();
        if t.is_empty() {
            return Some(0);
        }
        let (neg, digits) = match t[0] {
            b'-' => (true, &t[1..]),
            b'+' => (false, &t[1..]),
            _ => (false, t),
        };
        if !digits.is_empty() && digits.iter().all(u8::is_ascii_digit) {
            let v = digits.iter().fold(0u32, |v, &d| v.wrapping_mul(10).wrapping_add(u32::from(d - b'0')));
            let v = v as i32;
            return Some(if neg { v.wrapping_neg() } else { v });
        }
        if !neg
            && t[0].is_ascii_digit()
            && !t.contains(&b'#')
            && t.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'_')
        {
            let mut line = SH.to_vec();
            line.extend_from_slice(b": ");
            line.extend_from_slice(s);
            line.extend_from_slice(b": bad number '");
            line.extend_from_slice(t);
            line.extend_from_slice(b"'\n");
            let _ = self.io.stderr.write_all(&line);
            self.error = true;
            return None;
        }
        self.unsupported("arithmetic expression in test");
        None
    }
}

/// Prints the virtual phone's message for something its shell does not implement.
pub(super) fn say_unsupported(io: &mut Io<'_>, what: &str) {
    say(io.stderr, &[what.as_bytes(), b"not supported by the virtual phone's shell"]);
}

// ---------------------------------------------------------------------------------------------------------
// cd, pwd

/// `$HOME` for the shell user (bionic gives `AID_SHELL` the home directory `/`).
const HOME: &[u8] = b"/";

#[allow(clippy::unnecessary_wraps, reason = "a BuiltinFn")]
fn cd(sh: &mut Shell<'_>, argv: &[Vec<u8>], io: &mut Io<'_>) -> Result<i32, Stop> {
    let mut physical = false;
    let first = match getopt(argv, b"eLP", |c| match c {
        b'P' => physical = true,
        b'L' => physical = false,
        _ => {}
    }) {
        Ok(i) => i,
        Err(c) => {
            unknown_option(io, &argv[0], c);
            return Ok(2);
        }
    };
    let (dir, print) = match &argv[first..] {
        [] => (HOME.to_vec(), false),
        [d] if d.as_slice() == b"-" => {
            let Some(old) = &sh.oldpwd else {
                bi_error(io, &argv[0], &[b"no OLDPWD"]);
                return Ok(2);
            };
            (old.clone(), true)
        }
        [d] => (d.clone(), false),
        [old, new] => {
            let Some(at) = sh.cwd.windows(old.len().max(1)).position(|w| w == old.as_slice()) else {
                bi_error(io, &argv[0], &[b"bad substitution"]);
                return Ok(2);
            };
            let mut d = sh.cwd[..at].to_vec();
            d.extend_from_slice(new);
            d.extend_from_slice(&sh.cwd[at + old.len()..]);
            (d, true)
        }
        _ => {
            bi_error(io, &argv[0], &[b"too many arguments"]);
            return Ok(2);
        }
    };
    let target = crate::virtual_phone::storage::absolute_path(&sh.cwd, &dir);
    let err = match fsys::lstat(sh.phone, b"/", &target) {
        Ok(st) if st.dir => None,
        Ok(_) => Some(std::io::Error::from_raw_os_error(libc::ENOTDIR)),
        Err(e) => Some(e),
    };
    if let Some(e) = err {
        bi_error(io, &argv[0], &[&target, super::super::storage::strerror(&e).as_bytes()]);
        return Ok(2);
    }
    let new = if physical { realpath(sh, &target) } else { target };
    sh.oldpwd = Some(std::mem::replace(&mut sh.cwd, new));
    if print {
        let mut line = sh.cwd.clone();
        line.push(b'\n');
        let _ = io.stdout.write_all(&line);
    }
    Ok(0)
}

/// The physical path of an existing directory: the storage under its primary name.
fn realpath(sh: &Shell<'_>, path: &[u8]) -> Vec<u8> {
    match sh.phone.storage.locate(&sh.cwd, path) {
        super::super::storage::Location::Storage(host) => sh
            .phone
            .storage
            .phone_path(&host)
            .unwrap_or_else(|| crate::virtual_phone::storage::absolute_path(&sh.cwd, path)),
        _ => crate::virtual_phone::storage::absolute_path(&sh.cwd, path),
    }
}

/// mksh's `realpath PATH`: exactly one operand; the last component need not exist.
#[allow(clippy::unnecessary_wraps, reason = "a BuiltinFn")]
fn realpath_builtin(sh: &mut Shell<'_>, argv: &[Vec<u8>], io: &mut Io<'_>) -> Result<i32, Stop> {
    let mut operands = &argv[1..];
    if operands.first().is_some_and(|a| a.as_slice() == b"--") {
        operands = &operands[1..];
    }
    let [path] = operands else {
        bi_error(io, &argv[0], &[b"syntax error"]);
        return Ok(1);
    };
    // The directory that must exist: the path itself with a trailing slash, else its parent.
    let trimmed = path.strip_suffix(b"/").filter(|t| !t.is_empty()).unwrap_or(path);
    let must_be_dir: Option<&[u8]> = if trimmed.len() < path.len() {
        Some(path)
    } else {
        match trimmed.iter().rposition(|&b| b == b'/') {
            Some(i) if i > 0 => Some(&trimmed[..i]),
            _ => None,
        }
    };
    let check = must_be_dir.map_or(Ok(()), |dir| {
        fsys::lstat(sh.phone, &sh.cwd, dir)
            .and_then(|st| if st.dir { Ok(()) } else { Err(std::io::Error::from_raw_os_error(libc::ENOTDIR)) })
    });
    if let Err(e) = check {
        bi_error(io, &argv[0], &[path, super::super::storage::strerror(&e).as_bytes()]);
        return Ok(e.raw_os_error().unwrap_or(1).clamp(1, 255));
    }
    let mut line = realpath(sh, path);
    line.push(b'\n');
    Ok(i32::from(io.stdout.write_all(&line).is_err()))
}

#[allow(clippy::unnecessary_wraps, reason = "a BuiltinFn")]
fn pwd(sh: &mut Shell<'_>, argv: &[Vec<u8>], io: &mut Io<'_>) -> Result<i32, Stop> {
    let mut physical = false;
    let first = match getopt(argv, b"LP", |c| physical = c == b'P') {
        Ok(i) => i,
        Err(c) => {
            unknown_option(io, &argv[0], c);
            return Ok(1);
        }
    };
    if argv.len() > first {
        bi_error(io, &argv[0], &[b"too many arguments"]);
        return Ok(1);
    }
    let mut line = if physical { realpath(sh, &sh.cwd.clone()) } else { sh.cwd.clone() };
    line.push(b'\n');
    Ok(i32::from(io.stdout.write_all(&line).is_err()))
}

// ---------------------------------------------------------------------------------------------------------
// exit

fn exit(sh: &mut Shell<'_>, argv: &[Vec<u8>], io: &mut Io<'_>) -> Result<i32, Stop> {
    match argv.get(1..).unwrap_or_default() {
        [] => Err(Stop::Exit(sh.status)),
        [n] => {
            if let Some(v) = getn(n) {
                Err(Stop::Exit(v & 0xff))
            } else {
                bi_error(io, &argv[0], &[b"bad number", n]);
                Err(Stop::Exit(1))
            }
        }
        _ => {
            bi_error(io, &argv[0], &[b"too many arguments"]);
            Err(Stop::Exit(1))
        }
    }
}

/// mksh's `getn`: optional blanks, a sign, decimal digits, within 32 bits.
fn getn(s: &[u8]) -> Option<i32> {
    let t = s.trim_ascii_start();
    let (neg, digits) = match t.first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut v: i64 = 0;
    for &d in digits {
        v = v * 10 + i64::from(d - b'0');
        if v > i64::from(i32::MAX) + 1 {
            return None;
        }
    }
    let v = if neg { -v } else { v };
    i32::try_from(v).ok()
}

// ---------------------------------------------------------------------------------------------------------
// command -v, whence

#[allow(clippy::unnecessary_wraps, reason = "a BuiltinFn")]
fn whence(sh: &mut Shell<'_>, argv: &[Vec<u8>], io: &mut Io<'_>) -> Result<i32, Stop> {
    let mut vflag = false;
    let mut pflag = false;
    let first = match getopt(argv, b"pv", |c| match c {
        b'v' => vflag = true,
        _ => pflag = true,
    }) {
        Ok(i) => i,
        Err(c) => {
            unknown_option(io, &argv[0], c);
            return Ok(1);
        }
    };
    Ok(do_whence(sh, &argv[first..], io, vflag, !pflag, false))
}

/// `command -v` / `command -V` (`vflag`): mksh's `do_whence`.
pub(super) fn command_v(sh: &Shell<'_>, names: &[Vec<u8>], io: &mut Io<'_>, vflag: bool) -> i32 {
    do_whence(sh, names, io, vflag, true, true)
}

fn do_whence(sh: &Shell<'_>, names: &[Vec<u8>], io: &mut Io<'_>, vflag: bool, all: bool, iscommand: bool) -> i32 {
    let _ = sh;
    let mut rv = 0;
    let mut out = Vec::new();
    for id in names {
        if !(vflag || rv == 0) {
            break;
        }
        let name = String::from_utf8_lossy(id);
        if all && KEYWORDS.contains(&name.as_ref()) {
            out.extend_from_slice(id);
            if vflag {
                out.extend_from_slice(b" is a reserved word");
            }
        } else if let Some((_, value)) = ALIASES.iter().find(|(a, _)| all && a.as_bytes() == id.as_slice()) {
            if !vflag && iscommand {
                out.extend_from_slice(b"alias ");
            }
            if vflag || iscommand {
                out.extend_from_slice(id);
            }
            if vflag {
                out.extend_from_slice(b" is an alias for ");
            } else if iscommand {
                out.push(b'=');
            }
            out.extend_from_slice(&quote_value(value.as_bytes()));
        } else if let Some(k) = kind(id).filter(|_| all && !id.contains(&b'/')) {
            out.extend_from_slice(id);
            if vflag {
                out.extend_from_slice(if k == Kind::Special {
                    b" is a special shell builtin"
                } else {
                    b" is a shell builtin"
                });
            }
        } else if let Some(path) = external_path(id) {
            if vflag {
                out.extend_from_slice(id);
                out.extend_from_slice(b" is a tracked alias for ");
            }
            out.extend_from_slice(&path);
        } else {
            if vflag {
                out.extend_from_slice(id);
                out.extend_from_slice(b" not found");
            }
            rv = 1;
        }
        if vflag || rv == 0 {
            out.push(b'\n');
        }
    }
    let _ = io.stdout.write_all(&out);
    rv
}

/// Where the phone keeps the external utility `id` (a name or an absolute path to it).
pub(super) fn external_path(id: &[u8]) -> Option<Vec<u8>> {
    if let Some(base) = system_bin_name(id) {
        return is_external(base).then(|| id.to_vec());
    }
    if id.contains(&b'/') || !is_external(id) {
        return None;
    }
    let mut path = b"/system/bin/".to_vec();
    path.extend_from_slice(id);
    Some(path)
}

/// `ls` for `/system/bin/ls` (or `/bin/ls`, `/system/xbin/...`), else `None`.
pub(super) fn system_bin_name(path: &[u8]) -> Option<&[u8]> {
    ["/system/bin/", "/bin/", "/system/xbin/", "/vendor/bin/"]
        .iter()
        .find_map(|dir| path.strip_prefix(dir.as_bytes()))
        .filter(|base| !base.is_empty() && !base.contains(&b'/'))
}

/// mksh's `print_value_quoted`: single quotes unless the value is made of safe characters.
fn quote_value(v: &[u8]) -> Vec<u8> {
    if !v.is_empty() && v.iter().all(|c| c.is_ascii_alphanumeric() || b"%+,-./:=@_".contains(c)) {
        return v.to_vec();
    }
    let mut out = vec![b'\''];
    for &c in v {
        if c == b'\'' {
            out.extend_from_slice(b"'\\''");
        } else {
            out.push(c);
        }
    }
    out.push(b'\'');
    out
}

// ---------------------------------------------------------------------------------------------------------
// cat

#[allow(clippy::unnecessary_wraps, reason = "a BuiltinFn")]
fn cat(sh: &mut Shell<'_>, argv: &[Vec<u8>], io: &mut Io<'_>) -> Result<i32, Stop> {
    let Ok(first) = getopt(argv, b"u", |_| {}) else {
        bi_error(io, &argv[0], &[b"syntax error"]);
        return Ok(1);
    };
    let files: Vec<&[u8]> =
        if argv.len() > first { argv[first..].iter().map(Vec::as_slice).collect() } else { vec![b"-".as_slice()] };
    let mut rv = 0;
    let mut buf = vec![0u8; 64 * 1024];
    for name in files {
        let mut file;
        let reader: &mut dyn Read = if name == b"-" {
            &mut *io.stdin
        } else {
            match open_read(sh, name) {
                Ok(r) => {
                    file = r;
                    &mut *file
                }
                Err(e) => {
                    bi_error(io, &argv[0], &[name, super::super::storage::strerror(&e).as_bytes()]);
                    rv = 1;
                    continue;
                }
            }
        };
        loop {
            let n = match reader.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    let shown: &[u8] = if name == b"-" { b"<stdin>" } else { name };
                    bi_error(io, &argv[0], &[shown, super::super::storage::strerror(&e).as_bytes()]);
                    rv = 1;
                    break;
                }
            };
            if let Err(e) = io.stdout.write_all(&buf[..n]) {
                if e.kind() == std::io::ErrorKind::BrokenPipe {
                    return Ok(141);
                }
                bi_error(io, &argv[0], &[b"<stdout>", super::super::storage::strerror(&e).as_bytes()]);
                return Ok(1);
            }
        }
    }
    Ok(rv)
}

/// Opens a phone path for reading, as the shell (and its `cat`) do.
pub(super) fn open_read(sh: &Shell<'_>, name: &[u8]) -> std::io::Result<Box<dyn Read + Send>> {
    use super::super::storage::Location;
    if crate::virtual_phone::storage::absolute_path(&sh.cwd, name) == b"/dev/null" {
        return Ok(Box::new(std::io::empty()));
    }
    match sh.phone.storage.locate(&sh.cwd, name) {
        Location::Storage(host) => {
            if !sh.phone.storage.is_reachable(&host) {
                return Err(std::io::Error::from_raw_os_error(libc::EACCES));
            }
            match sh.phone.storage.open_read(&host) {
                Ok(r) => Ok(Box::new(r)),
                // Opening a directory succeeds; reading it fails.
                Err(e) if e.kind() == std::io::ErrorKind::IsADirectory => Ok(Box::new(DirReader)),
                Err(e) => Err(e),
            }
        }
        Location::Above(_) => Ok(Box::new(DirReader)),
        Location::Outside => Err(crate::virtual_phone::storage::outside_error(&sh.cwd, name)),
    }
}

/// An open directory: every read fails with EISDIR.
struct DirReader;

impl Read for DirReader {
    fn read(&mut self, _: &mut [u8]) -> std::io::Result<usize> {
        Err(std::io::Error::from_raw_os_error(libc::EISDIR))
    }
}

// ---------------------------------------------------------------------------------------------------------
// printf (toybox 0.8.9)

/// toybox's `printf FORMAT [ARG...]`.
pub(super) fn printf(_sh: &mut Shell<'_>, argv: &[Vec<u8>], io: &mut Io<'_>) -> Result<i32, Stop> {
    let mut operands = &argv[1..];
    if operands.first().is_some_and(|a| a.as_slice() == b"--") {
        operands = &operands[1..];
    }
    let Some((format, mut rest)) = operands.split_first() else {
        let _ = io.stderr.write_all(b"printf: Needs 1 argument (see \"printf --help\")\n");
        return Ok(1);
    };
    let mut out = Vec::new();
    let mut bad = false;
    loop {
        let before = rest.len();
        let more = match printf_once(format, &mut rest, &mut out, io, &mut bad) {
            Ok(more) => more,
            Err(PrintfErr::Fatal) => {
                let _ = io.stdout.write_all(&out);
                return Ok(1);
            }
            Err(PrintfErr::Unsupported(what)) => {
                say_unsupported(io, &what);
                return Err(Stop::Unsupported);
            }
        };
        if io.stdout.write_all(&out).is_err() {
            return Ok(1);
        }
        out.clear();
        if !more || rest.is_empty() || rest.len() == before {
            break;
        }
    }
    Ok(i32::from(bad))
}

enum PrintfErr {
    /// toybox's `error_exit`: stop at once with status 1.
    Fatal,
    Unsupported(String),
}

fn next_arg<'a>(args: &mut &'a [Vec<u8>]) -> &'a [u8] {
    match args.split_first() {
        Some((a, rest)) => {
            *args = rest;
            a
        }
        None => b"",
    }
}

#[allow(clippy::many_single_char_names, reason = "mirrors toybox's printf")]
/// One pass over the format; `Ok(false)` when `\c` stopped all output.
fn printf_once(
    format: &[u8],
    args: &mut &[Vec<u8>],
    out: &mut Vec<u8>,
    io: &mut Io<'_>,
    bad: &mut bool,
) -> Result<bool, PrintfErr> {
    let mut f = 0;
    while f < format.len() {
        let c = format[f];
        if c == b'\\' {
            f += 1;
            match slash(format, &mut f, false) {
                Some(b) => out.push(b),
                None => return Ok(false),
            }
            continue;
        }
        if c != b'%' || format.get(f + 1) == Some(&b'%') {
            out.push(c);
            f += if c == b'%' { 2 } else { 1 };
            continue;
        }
        // A conversion: flags, width, precision, type.
        f += 1;
        let mut spec = Spec::default();
        while let Some(&fl) = format.get(f).filter(|c| b"-+ #0".contains(c)) {
            spec.flags.push(fl);
            f += 1;
        }
        spec.width = number_field(format, &mut f, args, io, bad);
        if format.get(f) == Some(&b'.') {
            f += 1;
            spec.precision = Some(number_field(format, &mut f, args, io, bad).unwrap_or(0));
        }
        let conv = format.get(f).copied().unwrap_or(0);
        if !b"diouxXfeEgGcsb".contains(&conv) || conv == 0 {
            let mut line = b"printf: bad %".to_vec();
            if conv != 0 {
                line.push(conv);
            }
            line.extend_from_slice(format!("@{f}\n").as_bytes());
            let _ = io.stdout.write_all(out);
            out.clear();
            let _ = io.stderr.write_all(&line);
            return Err(PrintfErr::Fatal);
        }
        f += 1;
        let arg = next_arg(args);
        match conv {
            b's' => spec.pad(out, &arg[..spec.precision.unwrap_or(arg.len()).min(arg.len())]),
            b'b' => {
                let mut s = Vec::new();
                let mut i = 0;
                let mut stop = false;
                while i < arg.len() {
                    if arg[i] == b'\\' {
                        i += 1;
                        let Some(b) = slash(arg, &mut i, true) else {
                            stop = true;
                            break;
                        };
                        s.push(b);
                    } else {
                        s.push(arg[i]);
                        i += 1;
                    }
                }
                let cut = spec.precision.unwrap_or(s.len()).min(s.len());
                spec.pad(out, &s[..cut]);
                if stop {
                    return Ok(false);
                }
            }
            b'c' => spec.pad(out, &[arg.first().copied().unwrap_or(0)]),
            b'f' | b'e' | b'E' | b'g' | b'G' => {
                return Err(PrintfErr::Unsupported(format!("printf %{}", conv as char)));
            }
            _ => {
                let (v, ok) = parse_int(arg);
                let text = int_text(&spec, conv, v);
                spec.pad_number(out, &text);
                if !ok {
                    let _ = io.stdout.write_all(out);
                    out.clear();
                    let mut line = b"printf: bad %".to_vec();
                    line.push(conv);
                    line.push(b' ');
                    line.extend_from_slice(arg);
                    line.push(b'\n');
                    let _ = io.stderr.write_all(&line);
                    *bad = true;
                }
            }
        }
    }
    Ok(true)
}

fn int_text(spec: &Spec, conv: u8, v: i64) -> Vec<u8> {
    if matches!(conv, b'd' | b'i') {
        let mut t = v.unsigned_abs().to_string().into_bytes();
        spec.zero_pad_digits(&mut t);
        let sign: &[u8] = if v < 0 {
            b"-"
        } else if spec.flags.contains(&b'+') {
            b"+"
        } else if spec.flags.contains(&b' ') {
            b" "
        } else {
            b""
        };
        return [sign, &t].concat();
    }
    let u = v as u64;
    let mut t = match conv {
        b'o' => format!("{u:o}"),
        b'x' => format!("{u:x}"),
        b'X' => format!("{u:X}"),
        _ => u.to_string(),
    }
    .into_bytes();
    spec.zero_pad_digits(&mut t);
    if spec.flags.contains(&b'#') && u != 0 {
        match conv {
            b'o' if t[0] != b'0' => t.insert(0, b'0'),
            b'x' => {
                t.splice(0..0, *b"0x");
            }
            b'X' => {
                t.splice(0..0, *b"0X");
            }
            _ => {}
        }
    }
    t
}

#[derive(Default)]
struct Spec {
    flags: Vec<u8>,
    width: Option<usize>,
    precision: Option<usize>,
}

impl Spec {
    fn pad(&self, out: &mut Vec<u8>, s: &[u8]) {
        let w = self.width.unwrap_or(0);
        let fill = w.saturating_sub(s.len());
        if self.flags.contains(&b'-') {
            out.extend_from_slice(s);
            out.resize(out.len() + fill, b' ');
        } else {
            out.resize(out.len() + fill, b' ');
            out.extend_from_slice(s);
        }
    }

    fn zero_pad_digits(&self, digits: &mut Vec<u8>) {
        if let Some(p) = self.precision
            && digits.len() < p
        {
            digits.splice(0..0, std::iter::repeat_n(b'0', p - digits.len()));
        }
    }

    fn pad_number(&self, out: &mut Vec<u8>, text: &[u8]) {
        let w = self.width.unwrap_or(0);
        if self.flags.contains(&b'0') && !self.flags.contains(&b'-') && self.precision.is_none() && text.len() < w {
            let sign = usize::from(text.first().is_some_and(|c| b"+- ".contains(c)));
            out.extend_from_slice(&text[..sign]);
            out.resize(out.len() + w - text.len(), b'0');
            out.extend_from_slice(&text[sign..]);
        } else {
            self.pad(out, text);
        }
    }
}

fn number_field(format: &[u8], f: &mut usize, args: &mut &[Vec<u8>], io: &mut Io<'_>, bad: &mut bool) -> Option<usize> {
    if format.get(*f) == Some(&b'*') {
        *f += 1;
        let arg = next_arg(args);
        let (v, ok) = parse_int(arg);
        if !ok {
            let mut line = b"printf: bad %* ".to_vec();
            line.extend_from_slice(arg);
            line.push(b'\n');
            let _ = io.stderr.write_all(&line);
            *bad = true;
        }
        return Some(usize::try_from(v).unwrap_or(0));
    }
    let start = *f;
    while format.get(*f).is_some_and(u8::is_ascii_digit) {
        *f += 1;
    }
    if *f == start {
        return None;
    }
    std::str::from_utf8(&format[start..*f]).ok().and_then(|s| s.parse().ok())
}

#[allow(clippy::many_single_char_names, reason = "mirrors C's strtoll")]
/// C's `strtoll(arg, &end, 0)` as toybox uses it: the value and whether the whole argument was a number.
fn parse_int(arg: &[u8]) -> (i64, bool) {
    if let [b'\'' | b'"', c, ..] = arg {
        return (i64::from(*c), true);
    }
    let t = arg.trim_ascii_start();
    if t.is_empty() {
        return (0, arg.is_empty());
    }
    let (neg, mut d) = match t[0] {
        b'-' => (true, &t[1..]),
        b'+' => (false, &t[1..]),
        _ => (false, t),
    };
    let radix = if d.len() > 1 && d[0] == b'0' && (d[1] | 0x20) == b'x' {
        d = &d[2..];
        16
    } else if d.first() == Some(&b'0') {
        8
    } else {
        10
    };
    let mut v: i128 = 0;
    let mut n = 0;
    for &c in d {
        let Some(x) = char::from(c).to_digit(radix) else { break };
        v = (v * i128::from(radix) + i128::from(x)).min(i128::from(u64::MAX) + 1);
        n += 1;
    }
    let v = if neg { -v } else { v };
    let clamped = v.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64;
    (clamped, n == d.len() && (n > 0 || radix == 8) && i128::from(clamped) == v)
}

/// toybox's `handle_slash`: the byte for the escape at `s[*i..]` (after the backslash), `None` for `\c`.
fn slash(s: &[u8], i: &mut usize, posix: bool) -> Option<u8> {
    let Some(&c) = s.get(*i) else { return Some(b'\\') };
    if c == b'c' {
        return None;
    }
    let (base, mut len) = if c == b'x' {
        *i += 1;
        (16, 2)
    } else if c.is_ascii_digit() {
        if posix && c == b'0' {
            *i += 1;
        }
        (8, 3)
    } else {
        (0, 0)
    };
    if base != 0 {
        let mut result: u32 = 0;
        let mut any = false;
        while len > 0 {
            let Some(d) = s.get(*i).and_then(|d| char::from(*d).to_digit(base)) else {
                if base == 16 && !any {
                    // "\xg": the backslash is printed and the x read again.
                    *i -= 1;
                    return Some(b'\\');
                }
                break;
            };
            result = result * base + d;
            any = true;
            *i += 1;
            len -= 1;
        }
        return Some(result as u8);
    }
    match toybox::unescape(c) {
        0 => Some(b'\\'),
        byte => {
            *i += 1;
            Some(byte)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn echo_escapes_match_mksh() {
        let mut out = Vec::new();
        let mut nl = true;
        echo_escapes(br"a\0101b\101c\x41\e\q\u20ac\U0001F600\", &mut out, &mut nl);
        assert_eq!(out, b"aAb\\101cA\x1b\\q\xe2\x82\xac\xef\xbf\xbd\\");
        assert!(nl);
        out.clear();
        echo_escapes(br"x\cy", &mut out, &mut nl);
        assert_eq!(out, b"xy");
        assert!(!nl);
    }

    #[test]
    fn getn_accepts_what_mksh_exit_accepts() {
        assert_eq!(getn(b" 3"), Some(3));
        assert_eq!(getn(b"+3"), Some(3));
        assert_eq!(getn(b"-1"), Some(-1));
        assert_eq!(getn(b"3x"), None);
        assert_eq!(getn(b""), None);
        assert_eq!(getn(b"99999999999"), None);
    }

    #[test]
    fn printf_integers_parse_like_strtoll_base_0() {
        assert_eq!(parse_int(b"010"), (8, true));
        assert_eq!(parse_int(b"0x10"), (16, true));
        assert_eq!(parse_int(b"-0x10"), (-16, true));
        assert_eq!(parse_int(b"'a"), (97, true));
        assert_eq!(parse_int(b"3x"), (3, false));
        assert_eq!(parse_int(b""), (0, true));
        assert_eq!(parse_int(b" 12"), (12, true));
    }
}
