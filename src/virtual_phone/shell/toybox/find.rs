//! `find`, ported from toybox 0.8.9's toys/posix/find.c: the same expression machine (`!`, `-o`, `( )`,
//! tests evaluated in order), the same traversal order (the directory's own order) and the same messages.
//! Not modelled: `-exec`/`-execdir`/`-ok`/`-okdir`, `-user`/`-group`, `-perm`, `-context`, `-samefile`
//! (they answer "bad arg").

use super::args::atolx;
use super::fsys::{self, Meta, Ts};
use super::{Res, Stop, Tool, group_name, mode_string, posix_basename, quoted, time, user_name};
use crate::virtual_phone::shell::{Ctx, Io};
use std::collections::HashMap;
use std::io;

/// `find [-HL] [DIR...] [<options>]`.
pub(crate) fn find(ctx: &mut Ctx<'_>, argv: &[Vec<u8>], io: &mut Io<'_>) -> i32 {
    super::run(argv, &mut *io.stdout, &mut *io.stderr, |t| main(ctx, argv, t))
}

struct Node {
    name: Vec<u8>,
    path: Vec<u8>,
    meta: Result<Meta, io::Error>,
    depth: usize,
    parent_dev: Option<u64>,
}

struct Find<'c, 'p> {
    ctx: &'c Ctx<'p>,
    filter: Vec<Vec<u8>>,
    /// Reference times of `-newer` arguments, by filter index.
    newer: HashMap<usize, Ts>,
    now: i64,
    depth_first: bool,
    xdev: bool,
    start: Vec<u8>,
    quit: bool,
}

fn main(ctx: &Ctx<'_>, argv: &[Vec<u8>], t: &mut Tool<'_>) -> Res {
    let p = t.parse("?^HL[-HL]", argv)?;
    let words = p.args;
    let len = words.iter().position(|a| a.first().is_some_and(|c| b"-!(".contains(c))).unwrap_or(words.len());
    let paths: Vec<Vec<u8>> = if len == 0 { vec![b".".to_vec()] } else { words[..len].to_vec() };
    let mut f = Find {
        ctx,
        filter: words[len..].to_vec(),
        newer: HashMap::new(),
        now: time::now().sec,
        depth_first: false,
        xdev: false,
        start: Vec::new(),
        quit: false,
    };
    f.eval(t, None)?;
    for path in paths {
        if f.quit {
            break;
        }
        let meta = fsys::stat(ctx, &path);
        let node = Node { name: path.clone(), path, meta, depth: 0, parent_dev: None };
        f.visit(t, &node, &mut Vec::new())?;
    }
    Ok(())
}

/// `fnmatch(pattern, name, flags)` with `FNM_PATHNAME` when `pathname`, byte by byte (the C locale).
pub(crate) fn fnmatch(pattern: &[u8], name: &[u8], pathname: bool) -> bool {
    let (mut p, mut n) = (0usize, 0usize);
    let mut backtrack: Option<(usize, usize)> = None;
    loop {
        if p < pattern.len() {
            match pattern[p] {
                b'*' => {
                    while pattern.get(p) == Some(&b'*') {
                        p += 1;
                    }
                    backtrack = Some((p, n));
                    continue;
                }
                b'?' if n < name.len() && !(pathname && name[n] == b'/') => {
                    p += 1;
                    n += 1;
                    continue;
                }
                b'[' if n < name.len() && !(pathname && name[n] == b'/') => {
                    if let Some((matched, next)) = bracket(pattern, p, name[n]) {
                        if matched {
                            p = next;
                            n += 1;
                            continue;
                        }
                    } else if name[n] == b'[' {
                        p += 1;
                        n += 1;
                        continue;
                    }
                }
                b'\\' if p + 1 < pattern.len() && name.get(n) == Some(&pattern[p + 1]) => {
                    p += 2;
                    n += 1;
                    continue;
                }
                c if !b"?[\\".contains(&c) && name.get(n) == Some(&c) => {
                    p += 1;
                    n += 1;
                    continue;
                }
                _ => {}
            }
        } else if n == name.len() {
            return true;
        }
        // Mismatch: let the last star eat one more character (never a slash with FNM_PATHNAME).
        match backtrack {
            Some((bp, bn)) if bn < name.len() && !(pathname && name[bn] == b'/') => {
                backtrack = Some((bp, bn + 1));
                p = bp;
                n = bn + 1;
            }
            _ => return false,
        }
    }
}

/// Matches `c` against the bracket expression at `pattern[p]`: (matched, index after it), or None if unclosed.
fn bracket(pattern: &[u8], p: usize, c: u8) -> Option<(bool, usize)> {
    let mut i = p + 1;
    let negate = matches!(pattern.get(i), Some(b'!' | b'^'));
    if negate {
        i += 1;
    }
    let mut matched = false;
    let mut first = true;
    loop {
        let &b = pattern.get(i)?;
        if b == b']' && !first {
            break;
        }
        first = false;
        if b == b'[' && pattern.get(i + 1) == Some(&b':') {
            let end = pattern[i + 2..].windows(2).position(|w| w == b":]")? + i + 2;
            let class = &pattern[i + 2..end];
            let ok = match class {
                b"alpha" => c.is_ascii_alphabetic(),
                b"digit" => c.is_ascii_digit(),
                b"alnum" => c.is_ascii_alphanumeric(),
                b"upper" => c.is_ascii_uppercase(),
                b"lower" => c.is_ascii_lowercase(),
                b"space" => c.is_ascii_whitespace() || c == 0x0b,
                b"punct" => c.is_ascii_punctuation(),
                b"xdigit" => c.is_ascii_hexdigit(),
                b"print" => (0x20..0x7f).contains(&c),
                b"graph" => (0x21..0x7f).contains(&c),
                b"cntrl" => c < 0x20 || c == 0x7f,
                b"blank" => c == b' ' || c == b'\t',
                _ => false,
            };
            matched |= ok;
            i = end + 2;
            continue;
        }
        let (lo, mut next) = if b == b'\\' && i + 1 < pattern.len() { (pattern[i + 1], i + 2) } else { (b, i + 1) };
        let mut hi = lo;
        if pattern.get(next) == Some(&b'-') && pattern.get(next + 1).is_some_and(|&e| e != b']') {
            hi = pattern[next + 1];
            next += 2;
        }
        if (lo..=hi).contains(&c) {
            matched = true;
        }
        i = next;
    }
    Some((matched != negate, i + 1))
}

/// toybox's `compare_numsign`.
fn compare_numsign(t: &mut Tool<'_>, val: i64, units: i64, text: &[u8]) -> Res<bool> {
    let (sign, digits) = match text.first() {
        Some(&s @ (b'+' | b'-')) => (Some(s), &text[1..]),
        Some(c) if c.is_ascii_digit() => (None, text),
        _ => {
            let mut msg = text.to_vec();
            msg.extend_from_slice(b" not [+-]N");
            return Err(t.fail(&msg));
        }
    };
    let mut my = atolx(digits).map_err(|e| t.arg_error(&e))?;
    if units != 0 && digits.last().is_some_and(u8::is_ascii_digit) {
        my = my.wrapping_mul(units);
    }
    Ok(match sign {
        Some(b'+') => val > my,
        Some(_) => val < my,
        None => val == my,
    })
}

impl Find<'_, '_> {
    fn visit(&mut self, t: &mut Tool<'_>, node: &Node, ancestors: &mut Vec<(u64, u64)>) -> Res {
        let meta = match &node.meta {
            Ok(m) => m.clone(),
            Err(e) => {
                if node.depth == 0 || e.raw_os_error() != Some(libc::ENOENT) {
                    t.perror_quoted(&node.path, e);
                }
                return Ok(());
            }
        };
        if node.depth == 0 {
            self.start.clone_from(&node.name);
        }
        let mut recurse = !(self.xdev && node.parent_dev.is_some_and(|d| d != meta.dev));
        if meta.is_dir() {
            if ancestors.contains(&(meta.dev, meta.ino)) {
                let mut msg = quoted(&node.path);
                msg.extend_from_slice(b": loop detected");
                t.error(&msg);
                return Ok(());
            }
            if !self.depth_first {
                recurse = self.eval(t, Some(node))? && recurse;
            }
            if self.quit {
                return Ok(());
            }
            if recurse {
                let names = match fsys::list_dir(self.ctx, &node.path) {
                    Ok(names) => names,
                    Err(e) => {
                        t.perror(&node.path, &e);
                        return Ok(());
                    }
                };
                ancestors.push((meta.dev, meta.ino));
                for name in names {
                    let path = fsys::join(&node.path, &name);
                    let child_meta = fsys::lstat(self.ctx, &path);
                    let child =
                        Node { name, path, meta: child_meta, depth: node.depth + 1, parent_dev: Some(meta.dev) };
                    self.visit(t, &child, ancestors)?;
                    if self.quit {
                        break;
                    }
                }
                ancestors.pop();
            }
            if self.depth_first && !self.quit {
                self.eval(t, Some(node))?;
            }
            return Ok(());
        }
        self.eval(t, Some(node))?;
        Ok(())
    }

    fn print(t: &mut Tool<'_>, node: &Node, end: u8) -> Res {
        let mut line = node.path.clone();
        line.push(end);
        t.out(&line)
    }

    /// `do_find`: `node` None is the first pass that checks the expression. Returns whether to descend.
    fn eval(&mut self, t: &mut Tool<'_>, node: Option<&Node>) -> Res<bool> {
        let new = node.and_then(|n| n.meta.as_ref().ok().map(|m| (n, m)));
        let mut recurse = true;
        let mut pcount: Vec<u8> = Vec::new();
        let mut print = 0;
        let mut not = false;
        let mut active = new.is_some();
        let mut test = active;
        let mut ss = 0;
        let filter = self.filter.clone();
        let bad = |t: &mut Tool<'_>, arg: &[u8]| {
            let mut msg = b"bad arg ".to_vec();
            msg.extend_from_slice(&quoted(arg));
            t.fail(&msg)
        };
        while ss < filter.len() {
            let s = &filter[ss];
            let check = active && test;
            if s.first() != Some(&b'-') {
                if s.len() != 1 {
                    return Err(bad(t, s));
                }
                match s[0] {
                    b'!' => {
                        if check {
                            not = !not;
                        }
                    }
                    b'(' => {
                        pcount.push(u8::from(not) + (u8::from(active) << 1));
                        if !check {
                            active = false;
                        }
                        not = false;
                    }
                    b')' => {
                        let Some(saved) = pcount.pop() else { return Err(bad(t, s)) };
                        active = (saved >> 1) & 1 != 0;
                        if active && saved & 1 != 0 {
                            test = !test;
                        }
                        not = false;
                    }
                    _ => return Err(bad(t, s)),
                }
                ss += 1;
                continue;
            }
            let name = &s[1..];
            match name {
                b"xdev" => self.xdev = true,
                b"delete" => {
                    self.depth_first = true;
                    if let Some((n, m)) = new
                        && check
                    {
                        test = self.delete(&n.path, m.is_dir());
                    }
                }
                b"depth" | b"d" => self.depth_first = true,
                b"o" | b"or" => {
                    if not {
                        return Err(bad(t, s));
                    }
                    if active {
                        if test {
                            active = false;
                        } else {
                            test = true;
                        }
                    }
                }
                b"not" => {
                    if check {
                        not = !not;
                    }
                    ss += 1;
                    continue;
                }
                b"true" => {
                    if check {
                        test = true;
                    }
                }
                b"false" | b"nouser" | b"nogroup" => {
                    if check {
                        test = false;
                    }
                }
                b"a" | b"and" | b"noleaf" => {
                    if not {
                        return Err(bad(t, s));
                    }
                }
                b"print" | b"print0" => {
                    print += 1;
                    if let Some((n, _)) = new
                        && check
                    {
                        Self::print(t, n, if name.len() == 6 { 0 } else { b'\n' })?;
                    }
                }
                b"empty" => {
                    if let Some((n, m)) = new
                        && check
                    {
                        if m.is_dir() {
                            if fsys::list_dir(self.ctx, &n.path).is_ok_and(|names| !names.is_empty()) {
                                test = false;
                            }
                        } else if !m.is_file() || m.size != 0 {
                            test = false;
                        }
                    }
                }
                b"prune" => {
                    if let Some((_, m)) = new
                        && check
                        && m.is_dir()
                        && !self.depth_first
                    {
                        recurse = false;
                    }
                }
                b"executable" => {
                    if let Some((_, m)) = new
                        && check
                        && m.mode & 0o111 == 0
                    {
                        test = false;
                    }
                }
                b"quit" => {
                    if check {
                        self.quit = true;
                        return Ok(false);
                    }
                }
                _ => {
                    ss += 1;
                    let arg = filter.get(ss);
                    let known =
                        self.with_arg(t, name, arg, new, check, &mut test, &mut recurse, not, ss, &mut print)?;
                    if !known {
                        return Err(bad(t, arg.map_or(&b"(null)"[..], Vec::as_slice)));
                    }
                    if new.is_none() && arg.is_none() {
                        let mut msg = quoted(s);
                        msg.extend_from_slice(b" needs 1 arg");
                        return Err(t.fail(&msg));
                    }
                }
            }
            if active && not {
                test = !test;
            }
            not = false;
            ss += 1;
        }
        if let Some((n, _)) = new
            && print == 0
            && test
        {
            Self::print(t, n, b'\n')?;
        }
        Ok(recurse)
    }

    /// The tests and actions that take an argument. Returns false for an unknown one.
    #[allow(clippy::too_many_arguments)]
    fn with_arg(
        &mut self,
        t: &mut Tool<'_>,
        name: &[u8],
        arg: Option<&Vec<u8>>,
        new: Option<(&Node, &Meta)>,
        check: bool,
        test: &mut bool,
        recurse: &mut bool,
        not: bool,
        index: usize,
        print: &mut i32,
    ) -> Res<bool> {
        let arg_bytes: &[u8] = arg.map_or(&[], Vec::as_slice);
        match name {
            b"name" | b"iname" | b"path" | b"ipath" | b"wholename" | b"iwholename" | b"lname" | b"ilname" => {
                let fold = name[0] == b'i';
                let kind = name[usize::from(fold)];
                if let Some((n, m)) = new
                    && check
                {
                    let subject: Vec<u8> = match kind {
                        b'l' => {
                            if !m.is_symlink() {
                                *test = false;
                                return Ok(true);
                            }
                            Vec::new()
                        }
                        b'n' => posix_basename(&n.name).to_vec(),
                        _ => n.path.clone(),
                    };
                    let (pattern, subject) = if fold {
                        (arg_bytes.to_ascii_lowercase(), subject.to_ascii_lowercase())
                    } else {
                        (arg_bytes.to_vec(), subject)
                    };
                    *test = fnmatch(&pattern, &subject, kind == b'n');
                }
            }
            b"type" => {
                if let Some((_, m)) = new
                    && check
                {
                    let kind = m.mode & 0o170_000;
                    let mut found = false;
                    for &c in arg_bytes {
                        if c == b',' {
                            continue;
                        }
                        let Some(i) = b"bcdlpfs".iter().position(|&x| x == c) else {
                            return Err(t.fail(format!("bad -type '{}'", c as char).as_bytes()));
                        };
                        let want = [0o060_000, 0o020_000, 0o040_000, 0o120_000, 0o010_000, 0o100_000, 0o140_000][i];
                        if kind == want {
                            found = true;
                            break;
                        }
                    }
                    *test = found;
                }
            }
            [c @ (b'a' | b'c' | b'm'), rest @ ..] if rest == b"time" || rest == b"min" => {
                if let Some((_, m)) = new
                    && check
                {
                    let stamp = match c {
                        b'a' => m.atime.sec,
                        b'c' => m.ctime.sec,
                        _ => m.mtime.sec,
                    };
                    let mut units = if rest == b"min" { 60 } else { 86_400 };
                    let mut amount = arg_bytes;
                    if let Some(&last) = amount.last()
                        && let Some(u) = b"dhms".iter().position(|&x| x == last.to_ascii_lowercase())
                    {
                        amount = &amount[..amount.len() - 1];
                        units = [86_400, 3600, 60, 1][u];
                    }
                    *test = compare_numsign(t, self.now - stamp, units, amount)?;
                }
            }
            b"size" => {
                if let Some((_, m)) = new
                    && check
                {
                    *test = compare_numsign(t, m.size as i64, 512, arg_bytes)?;
                }
            }
            b"links" => {
                if let Some((_, m)) = new
                    && check
                {
                    *test = compare_numsign(t, m.nlink as i64, 0, arg_bytes)?;
                }
            }
            b"inum" => {
                if let Some((_, m)) = new
                    && check
                {
                    *test = compare_numsign(t, m.ino as i64, 0, arg_bytes)?;
                }
            }
            b"mindepth" | b"maxdepth" => {
                if let Some((n, _)) = new
                    && check
                {
                    let d = atolx(arg_bytes).map_err(|e| t.arg_error(&e))?;
                    let i = n.depth as i64;
                    if name[1] == b'i' {
                        *test = i >= d;
                        if i == d && not {
                            *recurse = false;
                        }
                    } else {
                        *test = i <= d;
                        if i == d && !not {
                            *recurse = false;
                        }
                    }
                }
            }
            b"newer" | b"newermm" | b"newerma" | b"newermc" | b"neweram" | b"neweraa" | b"newerac" | b"newercm"
            | b"newerca" | b"newercc" => {
                let theirs = if name.len() == 7 { name[6] } else { b'm' };
                let ours = if name.len() == 7 { name[5] } else { b'm' };
                match new {
                    None => {
                        if arg.is_some() {
                            let meta = fsys::stat(self.ctx, arg_bytes).map_err(|e| {
                                let mut what = b"Can't stat ".to_vec();
                                what.extend_from_slice(arg_bytes);
                                t.perror(&what, &e);
                                Stop
                            })?;
                            let stamp = match theirs {
                                b'a' => meta.atime,
                                b'c' => meta.ctime,
                                _ => meta.mtime,
                            };
                            self.newer.insert(index, stamp);
                        }
                    }
                    Some((_, m)) => {
                        if check {
                            let mine = match ours {
                                b'a' => m.atime,
                                b'c' => m.ctime,
                                _ => m.mtime,
                            };
                            *test = self.newer.get(&index).is_some_and(|&theirs| mine > theirs);
                        }
                    }
                }
            }
            b"printf" => {
                *print += 1;
                if let Some((n, m)) = new
                    && check
                {
                    self.printf(t, arg_bytes, n, m)?;
                }
            }
            _ => return Ok(false),
        }
        Ok(true)
    }

    fn delete(&self, path: &[u8], dir: bool) -> bool {
        let Ok(host) = fsys::writable(self.ctx, path) else { return false };
        let storage = &self.ctx.phone.storage;
        if dir { storage.remove_dir(&host).is_ok() } else { storage.remove_file(&host).is_ok() }
    }

    fn printf(&self, t: &mut Tool<'_>, fmt: &[u8], node: &Node, meta: &Meta) -> Res {
        let mut out = Vec::new();
        let mut at = 0;
        while at < fmt.len() {
            let byte = fmt[at];
            if byte == b'\\' {
                if fmt.get(at + 1) == Some(&b'c') {
                    break;
                }
                let (value, used) = unescape(&fmt[at..]);
                out.extend_from_slice(&value);
                at += used;
                continue;
            }
            if byte != b'%' {
                out.push(byte);
                at += 1;
                continue;
            }
            if fmt.get(at + 1) == Some(&b'%') {
                out.push(b'%');
                at += 2;
                continue;
            }
            // Flags, width, precision.
            let start = at;
            at += 1;
            while fmt.get(at).is_some_and(|b| b"0'#-+ ".contains(b)) {
                at += 1;
            }
            while fmt.get(at).is_some_and(u8::is_ascii_digit) {
                at += 1;
            }
            if fmt.get(at) == Some(&b'.') {
                at += 1;
            }
            while fmt.get(at).is_some_and(u8::is_ascii_digit) {
                at += 1;
            }
            let spec = &fmt[start + 1..at];
            if at - start > 28 {
                let mut msg = b"bad ".to_vec();
                msg.extend_from_slice(&fmt[start..=at.min(fmt.len() - 1)]);
                return Err(t.fail(&msg));
            }
            let Some(&ch) = fmt.get(at) else {
                return Err(t.fail(b"bad -printf %"));
            };
            let (value, numeric): (Vec<u8>, bool) = match ch {
                b'i' => (meta.ino.to_string().into_bytes(), true),
                b's' => (meta.size.to_string().into_bytes(), true),
                b'G' => (meta.gid.to_string().into_bytes(), true),
                b'U' => (meta.uid.to_string().into_bytes(), true),
                b'm' => (format!("{:o}", meta.mode & 0o7777).into_bytes(), true),
                b'f' => (node.name.clone(), false),
                b'g' => (group_name(meta.gid).into_bytes(), false),
                b'u' => (user_name(meta.uid).into_bytes(), false),
                b'l' => (Vec::new(), false),
                b'M' => (mode_string(meta.mode).to_vec(), false),
                b'p' => (node.path.clone(), false),
                b'P' => {
                    let rest = node.path.get(self.start.len()..).unwrap_or(&[]);
                    let rest = rest.strip_prefix(b"/").unwrap_or(rest);
                    (rest.to_vec(), false)
                }
                b'T' => {
                    at += 1;
                    if fmt.get(at) != Some(&b'@') {
                        let mut msg = b"bad -printf %T: %T".to_vec();
                        msg.extend(fmt.get(at));
                        return Err(t.fail(&msg));
                    }
                    (format!("{}.{}", meta.mtime.sec, meta.mtime.nsec).into_bytes(), false)
                }
                b'Z' => (b"u:object_r:fuse:s0".to_vec(), false),
                other => {
                    let mut msg = b"bad -printf %".to_vec();
                    msg.push(other);
                    return Err(t.fail(&msg));
                }
            };
            out.extend_from_slice(&pad(spec, &value, numeric));
            at += 1;
        }
        t.out(&out)
    }
}

/// Applies a printf flags/width/precision spec to a value already formatted.
fn pad(spec: &[u8], value: &[u8], numeric: bool) -> Vec<u8> {
    let left = spec.contains(&b'-');
    let zero = numeric && !left && spec.first() == Some(&b'0');
    let body: Vec<u8> = spec.iter().copied().skip_while(|b| b"0'#-+ ".contains(b)).collect();
    let (width, precision) = match body.iter().position(|&b| b == b'.') {
        Some(dot) => (&body[..dot], Some(&body[dot + 1..])),
        None => (&body[..], None),
    };
    let width: usize = std::str::from_utf8(width).ok().and_then(|w| w.parse().ok()).unwrap_or(0);
    let mut value = value.to_vec();
    if let Some(prec) = precision
        && !numeric
    {
        let prec: usize = std::str::from_utf8(prec).ok().and_then(|w| w.parse().ok()).unwrap_or(0);
        value.truncate(prec);
    }
    if value.len() >= width {
        return value;
    }
    let fill = width - value.len();
    if left {
        value.extend(std::iter::repeat_n(b' ', fill));
        value
    } else {
        let mut out = vec![if zero { b'0' } else { b' ' }; fill];
        out.extend_from_slice(&value);
        out
    }
}

/// toybox's `unescape2` (not echo's flavour): one backslash escape, and how many bytes it used.
fn unescape(s: &[u8]) -> (Vec<u8>, usize) {
    let Some(&c) = s.get(1) else { return (b"\\".to_vec(), 1) };
    let digits = |from: usize, max: usize, radix: u32| {
        let mut v = 0u32;
        let mut k = 0;
        while k < max && s.get(from + k).and_then(|&b| (b as char).to_digit(radix)).is_some() {
            v = v * radix + (s[from + k] as char).to_digit(radix).unwrap_or(0);
            k += 1;
        }
        (v, k)
    };
    let encode = |v: u32| -> Vec<u8> {
        if v < 128 {
            vec![v as u8]
        } else {
            char::from_u32(v).map_or_else(|| vec![v as u8], |ch| ch.to_string().into_bytes())
        }
    };
    if c.is_ascii_digit() && c < b'8' {
        let (v, k) = digits(1, 3, 8);
        return (encode(v & 0xff), 1 + k);
    }
    for (prefix, max) in [(b'x', 2), (b'u', 4), (b'U', 6)] {
        if c == prefix {
            let (v, k) = digits(2, max, 16);
            if k > 0 {
                return (encode(v), 2 + k);
            }
        }
    }
    match b"\\abeEfnrtv'\"?0".iter().position(|&e| e == c) {
        Some(idx) => (vec![b"\\\x07\x08\x1b\x1b\x0c\n\r\t\x0b'\"?"[idx.min(12)]], 2),
        None => (b"\\".to_vec(), 1),
    }
}

#[cfg(test)]
mod tests {
    use super::fnmatch;

    #[test]
    fn fnmatch_handles_stars_classes_and_escapes() {
        assert!(fnmatch(b"*.jpg", b"a.jpg", true));
        assert!(!fnmatch(b"*.jpg", b"a.jpeg", true));
        assert!(fnmatch(b"IMG_????.*", b"IMG_0001.JPG", true));
        assert!(fnmatch(b"[!a]*", b"b", true));
        assert!(fnmatch(b"[[:digit:]]x", b"7x", true));
        assert!(fnmatch(b"\\*", b"*", true));
        assert!(!fnmatch(b"*", b"a/b", true));
        assert!(fnmatch(b"*", b"a/b", false));
        assert!(fnmatch(b"*$(touch x)*", b"a$(touch x)b", true));
        assert!(fnmatch(b"[", b"[", true));
    }
}
