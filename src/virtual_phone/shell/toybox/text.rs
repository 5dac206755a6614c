//! Commands that rearrange text: `sort` and `tr` (toybox's sort.c and tr.c, as Android's toybox builds them:
//! `char` is unsigned on arm64, the C locale's character classes, `qsort` with a whole-line fallback).

use super::files::{Input, loopfiles};
use super::{for_chunks, fsys};
use crate::virtual_phone::shell::{Ctx, Io};
use std::cmp::Ordering;

/// C's `isspace` in the C locale.
fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

// Sort flags (one bit each; `BB` is "ignore trailing blanks", set by `b` after a key's comma or globally).
const N: u32 = 1;
const R: u32 = 1 << 1;
const I: u32 = 1 << 2;
const F: u32 = 1 << 3;
const D: u32 = 1 << 4;
const CHECK_QUIET: u32 = 1 << 5;
const M: u32 = 1 << 6;
const B: u32 = 1 << 7;
const V: u32 = 1 << 8;
const X: u32 = 1 << 9;
const G: u32 = 1 << 10;
const BB: u32 = 1 << 11;

/// The flag a key may carry for option letter `c` (toybox refuses the others there: `u`, `c`, `s`, `z` and the
/// options with arguments).
fn key_flag(c: u8) -> Option<u32> {
    Some(match c {
        b'n' => N,
        b'r' => R,
        b'i' => I,
        b'f' => F,
        b'd' => D,
        b'C' => CHECK_QUIET,
        b'M' => M,
        b'b' => B,
        b'V' => V,
        b'x' => X,
        _ => return None,
    })
}

/// `-k START[,END]`: start word, start character, end word, end character; and the key's own flags.
#[derive(Debug, Clone, Default)]
struct SortKey {
    range: [i64; 4],
    flags: u32,
}

/// C's `strtol(text, &end, 10)`: the value (saturating) and how many bytes it took (0: no number).
fn strtol(text: &[u8]) -> (i64, usize) {
    let mut at = 0;
    while text.get(at).copied().is_some_and(is_space) {
        at += 1;
    }
    let negative = match text.get(at) {
        Some(b'-') => {
            at += 1;
            true
        }
        Some(b'+') => {
            at += 1;
            false
        }
        _ => false,
    };
    let digits_at = at;
    let mut value: i64 = 0;
    while let Some(d) = text.get(at).filter(|b| b.is_ascii_digit()) {
        value = value.saturating_mul(10).saturating_add(i64::from(d - b'0'));
        at += 1;
    }
    if at == digits_at {
        return (0, 0);
    }
    (if negative { -value } else { value }, at)
}

/// Parses one `-k` argument as sort.c does; `None` is "Unknown key option.".
fn parse_key(arg: &[u8]) -> Option<SortKey> {
    let mut key = SortKey::default();
    let mut idx = 0;
    let mut at = 0;
    while at < arg.len() {
        let (value, used) = strtol(&arg[at..]);
        key.range[2 * idx] = value;
        at += used;
        if arg.get(at) == Some(&b'.') {
            let (value, used) = strtol(&arg[at + 1..]);
            key.range[2 * idx + 1] = value;
            at += 1 + used;
        }
        while let Some(&c) = arg.get(at) {
            if c == b',' && idx == 0 {
                idx += 1;
                at += 1;
                break;
            }
            let mut flag = key_flag(c)?;
            if idx > 0 && flag == B {
                flag = BB;
            }
            key.flags |= flag;
            at += 1;
        }
    }
    Some(key)
}

/// Length of the field at the start of `s` (with its leading blanks, or up to and past the separator `t`).
fn skip_key(s: &[u8], t: Option<u8>) -> usize {
    let mut end = 0;
    if t.is_none() {
        while s.get(end).copied().is_some_and(is_space) {
            end += 1;
        }
    }
    while let Some(&c) = s.get(end) {
        match t {
            Some(t) if c == t => {
                end += 1;
                break;
            }
            None if is_space(c) => break,
            _ => {}
        }
        end += 1;
    }
    end
}

/// The part of line `s` that `key` compares, modified by `flags` (`-b`, `-d`, `-i`).
fn key_data<'a>(s: &'a [u8], key: &SortKey, flags: u32, t: Option<u8>) -> std::borrow::Cow<'a, [u8]> {
    if key.range == [1, 0, 0, 0] && flags & (B | D | I | BB) == 0 {
        return std::borrow::Cow::Borrowed(s);
    }
    let len = s.len();
    let (mut start, mut end) = (0usize, len);
    for j in 0..2usize {
        let mut k = key.range[2 * j];
        if k == 0 {
            end = len;
        } else {
            if k < 1 {
                end = 0;
                loop {
                    k += 1;
                    let h = skip_key(&s[end.min(len)..], t);
                    if h == 0 {
                        break;
                    }
                    end += h;
                }
            }
            if k < 1 {
                end = if j == 0 { len } else { 0 };
            } else {
                end = 0;
                let mut i = 1;
                while i < k + i64::try_from(j).unwrap_or(0) {
                    end += skip_key(&s[end.min(len)..], t);
                    i += 1;
                }
            }
        }
        if j == 0 {
            start = end;
        }
    }
    if t.is_some() && s.get(start).copied() == t {
        start += 1;
    }
    if flags & B != 0 || (t.is_none() && key.range[3] == 0) {
        while s.get(start).copied().is_some_and(is_space) {
            start += 1;
        }
    }
    if flags & BB != 0 {
        while end > start && s.get(end - 1).copied().is_some_and(is_space) {
            end -= 1;
        }
    }
    if key.range[3] > 0 {
        end = end.saturating_add(usize::try_from(key.range[3] - 1).unwrap_or(usize::MAX)).min(len);
    }
    if key.range[1] > 0 {
        start = start.saturating_add(usize::try_from(key.range[1] - 1).unwrap_or(usize::MAX)).min(len);
    }
    let end = end.max(start).min(len);
    let start = start.min(end);
    let mut data = s[start..end].to_vec();
    if flags & D != 0 {
        data.retain(|&c| is_space(c) || c.is_ascii_alphanumeric());
    }
    if flags & I != 0 {
        data.retain(|&c| (0x20..0x7f).contains(&c));
    }
    std::borrow::Cow::Owned(data)
}

/// C's `atoll`.
fn atoll(s: &[u8]) -> i64 {
    strtol(s).0
}

/// C's `strtol(s, NULL, 16)`.
fn strtol16(s: &[u8]) -> i64 {
    let mut at = 0;
    while s.get(at).copied().is_some_and(is_space) {
        at += 1;
    }
    let negative = s.get(at) == Some(&b'-');
    if matches!(s.get(at), Some(b'-' | b'+')) {
        at += 1;
    }
    if s.get(at) == Some(&b'0')
        && matches!(s.get(at + 1), Some(b'x' | b'X'))
        && s.get(at + 2).is_some_and(u8::is_ascii_hexdigit)
    {
        at += 2;
    }
    let mut value: i64 = 0;
    while let Some(d) = s.get(at).and_then(|&c| char::from(c).to_digit(16)) {
        value = value.saturating_mul(16).saturating_add(i64::from(d));
        at += 1;
    }
    if negative { -value } else { value }
}

/// C's `strtod`: the value, or `None` when no number starts `s` (after blanks).
fn strtod(s: &[u8]) -> Option<f64> {
    let text = String::from_utf8_lossy(s);
    let text = text.trim_start_matches([' ', '\t', '\n', '\x0b', '\x0c', '\r']);
    let lower = text.to_ascii_lowercase();
    let (sign, rest) = match lower.as_bytes().first() {
        Some(b'-') => (-1.0, &lower[1..]),
        Some(b'+') => (1.0, &lower[1..]),
        _ => (1.0, lower.as_str()),
    };
    if rest.starts_with("inf") {
        return Some(sign * f64::INFINITY);
    }
    if rest.starts_with("nan") {
        return Some(f64::NAN);
    }
    // The longest prefix that parses.
    let bytes = rest.as_bytes();
    let mut end = 0;
    let mut seen_digit = false;
    while end < bytes.len() && bytes[end].is_ascii_digit() {
        end += 1;
        seen_digit = true;
    }
    if end < bytes.len() && bytes[end] == b'.' {
        end += 1;
        while end < bytes.len() && bytes[end].is_ascii_digit() {
            end += 1;
            seen_digit = true;
        }
    }
    if !seen_digit {
        return None;
    }
    if end < bytes.len() && bytes[end] == b'e' {
        let mut e = end + 1;
        if e < bytes.len() && (bytes[e] == b'-' || bytes[e] == b'+') {
            e += 1;
        }
        if e < bytes.len() && bytes[e].is_ascii_digit() {
            while e < bytes.len() && bytes[e].is_ascii_digit() {
                e += 1;
            }
            end = e;
        }
    }
    rest[..end].parse::<f64>().ok().map(|v| sign * v)
}

/// The month `%b` reads at the start of `s` (0-11), as `strptime` does in the C locale.
fn month(s: &[u8]) -> Option<i32> {
    const MONTHS: [&str; 12] = [
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
    ];
    let mut at = 0;
    while s.get(at).copied().is_some_and(is_space) {
        at += 1;
    }
    let rest = s[at..].to_ascii_lowercase();
    MONTHS
        .iter()
        .position(|m| rest.starts_with(m.as_bytes()) || rest.starts_with(&m.as_bytes()[..3]))
        .and_then(|i| i32::try_from(i).ok())
}

fn sign(o: Ordering) -> i64 {
    match o {
        Ordering::Less => -1,
        Ordering::Equal => 0,
        Ordering::Greater => 1,
    }
}

/// `compare_values`.
fn compare_values(flags: u32, x: &[u8], y: &[u8]) -> i64 {
    if flags & G != 0 {
        let (dx, dy) = (strtod(x), strtod(y));
        let (Some(dx), Some(dy)) = (dx, dy) else {
            return match (dx, dy) {
                (None, None) => 0,
                (None, Some(_)) => -1,
                _ => 1,
            };
        };
        if dx.is_nan() {
            return if dy.is_nan() { 0 } else { -1 };
        }
        if dy.is_nan() {
            return 1;
        }
        return dx.partial_cmp(&dy).map_or(0, sign);
    }
    if flags & M != 0 {
        return match (month(x), month(y)) {
            (None, None) => 0,
            (None, Some(_)) => -1,
            (Some(_), None) => 1,
            (Some(a), Some(b)) => i64::from(a - b),
        };
    }
    if flags & X != 0 {
        return sign(strtol16(x).cmp(&strtol16(y)));
    }
    if flags & V != 0 {
        return version_compare(x, y);
    }
    if flags & N != 0 {
        return sign(atoll(x).cmp(&atoll(y)));
    }
    if flags & F != 0 {
        return sign(x.to_ascii_lowercase().cmp(&y.to_ascii_lowercase()));
    }
    sign(x.cmp(y))
}

/// `-V`: version numbers (`name-1.234-rc6.5b.tgz`), as sort.c compares them.
fn version_compare(x: &[u8], y: &[u8]) -> i64 {
    let (mut i, mut j) = (0usize, 0usize);
    let at = |s: &[u8], k: usize| s.get(k).copied().unwrap_or(0);
    while at(x, i) != 0 && at(y, j) != 0 {
        while at(x, i) != 0 && at(x, i) == at(y, j) {
            i += 1;
            j += 1;
        }
        if at(x, i).is_ascii_digit() && at(y, j).is_ascii_digit() {
            let (xx, ux) = strtol(&x[i..]);
            let (yy, uy) = strtol(&y[j..]);
            i += ux;
            j += uy;
            if xx != yy {
                return sign(xx.cmp(&yy));
            }
        } else {
            let xc = if at(x, i) != 0 { at(x, i) } else { at(x, i.wrapping_sub(1)) };
            let yc = if at(y, j) != 0 { at(y, j) } else { at(y, j.wrapping_sub(1)) };
            if xc != yc {
                let rest = &y[j.min(y.len())..];
                return if xc < yc && !rest.starts_with(b"-rc") && !rest.starts_with(b"-pre") { -1 } else { 1 };
            }
        }
    }
    if at(x, i) != 0 { i64::from(at(y, j) != 0) } else { -1 }
}

/// What `sort` was asked.
struct SortRun {
    flags: u32,
    keys: Vec<SortKey>,
    separator: Option<u8>,
    stable: bool,
}

impl SortRun {
    /// `compare_keys`.
    fn compare(&self, x: &[u8], y: &[u8]) -> i64 {
        let mut retval = 0;
        let mut flags = self.flags;
        for key in &self.keys {
            flags = if key.flags != 0 { key.flags } else { self.flags };
            let kx = key_data(x, key, flags, self.separator);
            let ky = key_data(y, key, flags, self.separator);
            retval = compare_values(flags, &kx, &ky);
            if retval != 0 {
                break;
            }
        }
        if retval == 0 && !self.stable {
            flags = self.flags;
            retval = sign(x.cmp(y));
        }
        if flags & R != 0 { -retval } else { retval }
    }
}

/// `sort [-runbCcdfiMsxVzg] [FILE...] [-k#[,#[x]] [-t X]] [-o FILE]`.
///
/// Its errors exit with 2 (toybox's `TOYFLAG_ARGFAIL(2)`), but for `-c`/`-C` finding the input unsorted (1).
pub(crate) fn sort(ctx: &mut Ctx<'_>, argv: &[Vec<u8>], io: &mut Io<'_>) -> i32 {
    let Io { stdin, stdout, stderr } = io;
    let mut unsorted = false;
    let status = super::run(argv, &mut **stdout, &mut **stderr, |t| {
        let p = match t.parse("gS:T:mo:k*t:xVbMCcszdfirun", argv) {
            Ok(p) => p,
            Err(stop) => {
                t.status = 2;
                return Err(stop);
            }
        };
        let mut flags = 0;
        for (c, f) in [
            (b'n', N),
            (b'r', R),
            (b'i', I),
            (b'f', F),
            (b'd', D),
            (b'M', M),
            (b'b', B),
            (b'V', V),
            (b'x', X),
            (b'g', G),
        ] {
            if p.has(c) {
                flags |= f;
            }
        }
        if p.has(b'b') {
            flags |= BB;
        }
        let unique = p.has(b'u');
        let (check, quiet) = (p.has(b'c') || p.has(b'C'), p.has(b'C'));
        let zero = p.has(b'z');
        let separator = p.value(b't').map(|s| s.first().copied().unwrap_or(0));
        let mut keys = Vec::new();
        for arg in p.values(b'k') {
            match parse_key(arg) {
                Some(key) => keys.push(key),
                None => return Err(t.fail(b"Unknown key option.")),
            }
        }
        if keys.is_empty() {
            keys.push(SortKey { range: [1, 0, 0, 0], flags: 0 });
        }
        let run = SortRun { flags, keys, separator, stable: unique || p.has(b's') };
        let delim = if zero { 0 } else { b'\n' };
        let mut lines: Vec<Vec<u8>> = Vec::new();
        let mut checked: Option<Vec<u8>> = None;
        let mut count = 0u32;
        let names = p.args.clone();
        loopfiles(ctx, &names, stdin, t, |t, input, name| {
            let mut data = Vec::new();
            if let Err(e) = read_all(input, &mut data) {
                t.perror(name, &e);
                return Ok(());
            }
            let mut pieces: Vec<&[u8]> = data.split(|&b| b == delim).collect();
            if data.last() == Some(&delim) || data.is_empty() {
                pieces.pop();
            }
            for piece in pieces {
                // A C string ends at its first NUL.
                let line = piece.split(|&b| b == 0).next().unwrap_or_default().to_vec();
                count += 1;
                if check {
                    if let Some(prev) = &checked
                        && run.compare(prev, &line) > -i64::from(unique)
                    {
                        unsorted = true;
                        if quiet {
                            t.status = 1;
                            return Err(super::Stop);
                        }
                        let mut msg = name.to_vec();
                        msg.extend_from_slice(format!(": Check line {count}").as_bytes());
                        return Err(t.fail(&msg));
                    }
                    checked = Some(line);
                } else {
                    lines.push(line);
                }
            }
            Ok(())
        })?;
        if check {
            return Ok(());
        }
        lines.sort_by(|a, b| run.compare(a, b).cmp(&0));
        if unique {
            lines.dedup_by(|later, kept| run.compare(kept, later) == 0);
        }
        let mut out = Vec::new();
        for line in &lines {
            out.extend_from_slice(line);
            out.push(delim);
        }
        match p.value(b'o') {
            Some(file) => {
                let written = fsys::writable(ctx, file).and_then(|host| {
                    let mut writer = ctx.phone.storage.create(&host)?;
                    std::io::Write::write_all(&mut writer, &out)
                });
                if let Err(e) = written {
                    t.perror(file, &e);
                }
                Ok(())
            }
            None => t.out(&out),
        }
    });
    if status == 1 && !unsorted { 2 } else { status }
}

fn read_all(input: &mut Input<'_, '_>, data: &mut Vec<u8>) -> std::io::Result<()> {
    match for_chunks(input, |chunk| {
        data.extend_from_slice(chunk);
        Ok(())
    }) {
        Ok(_) => Ok(()),
        Err(e) => Err(e),
    }
}

/// toybox's `unescape`: the byte a backslash escape letter stands for, 0 for none.
pub(crate) fn unescape(c: u8) -> u8 {
    match c {
        b'\\' => b'\\',
        b'a' => 7,
        b'b' => 8,
        b'e' => 27,
        b'f' => 12,
        b'n' => b'\n',
        b'r' => b'\r',
        b't' => b'\t',
        b'v' => 11,
        _ => 0,
    }
}

/// `handle_escape_char`: `at` is just after the backslash; returns the byte and the index of the last byte
/// the escape used (the caller goes on after it).
fn escape_char(arg: &[u8], at: usize) -> (u8, usize) {
    let get = |i: usize| arg.get(i).copied().unwrap_or(0);
    let mut ptr = at;
    let mut length = 0;
    let mut base = 0u32;
    let mut count = 0u32;
    let mut result = 0u8;
    if get(ptr) == b'x' {
        ptr += 1;
        length += 1;
        base = 16;
    } else if get(ptr).is_ascii_digit() {
        base = 8;
    }
    while length < 3 && base != 0 {
        let mut num = u32::from(get(ptr).to_ascii_lowercase()).wrapping_sub(u32::from(b'0'));
        if num > 10 {
            num = num.wrapping_add(u32::from(b'0')).wrapping_sub(u32::from(b'a')).wrapping_add(10);
        }
        if num >= base {
            if base == 16 {
                length -= 1;
                if length == 0 {
                    result = b'\\';
                    ptr -= 1;
                }
            }
            break;
        }
        length += 1;
        count = count.wrapping_mul(base).wrapping_add(num);
        result = count.to_le_bytes()[0];
        ptr += 1;
    }
    if base != 0 {
        ptr -= 1;
    } else {
        result = unescape(get(ptr));
        if result == 0 {
            result = b'\\';
            ptr -= 1;
        }
    }
    (result, ptr)
}

/// C's `ispunct` and `iscntrl` in the C locale.
fn is_punct(c: u8) -> bool {
    c.is_ascii_punctuation()
}

/// `expand_set`: the bytes a `tr` set stands for; `until` limits how much of `arg` is read (`-t`).
fn expand_set(arg: &[u8], until: usize) -> Result<Vec<u8>, &'static str> {
    const CLASSES: [&[u8]; 10] = [
        b"[:alpha:]",
        b"[:alnum:]",
        b"[:digit:]",
        b"[:lower:]",
        b"[:upper:]",
        b"[:space:]",
        b"[:blank:]",
        b"[:punct:]",
        b"[:cntrl:]",
        b"[:xdigit:]",
    ];
    let get = |i: usize| arg.get(i).copied().unwrap_or(0);
    let mut set = Vec::new();
    let mut at = 0;
    while at < arg.len() && get(at) != 0 {
        if at >= until {
            break;
        }
        if get(at) == b'\\' {
            let (c, last) = escape_char(arg, at + 1);
            set.push(c);
            at = last + 1;
            continue;
        }
        if get(at + 1) == b'-' && get(at + 2) != 0 {
            let (j, k) = (get(at), get(at + 2));
            if j > k {
                return Err("reverse colating order");
            }
            set.extend(j..=k);
            at += 3;
            continue;
        }
        if get(at) == b'[' && get(at + 1) == b':' {
            let class = CLASSES.iter().position(|c| arg.len() >= at + 9 && arg[at..at + 9] == c[..9]);
            if let Some(class) = class {
                let (alpha, alnum, digit, lower, upper, space, blank, punct, cntrl, xdigit) = (
                    class == 0,
                    class == 1,
                    class == 2,
                    class == 3,
                    class == 4,
                    class == 5,
                    class == 6,
                    class == 7,
                    class == 8,
                    class == 9,
                );
                if alpha || upper || alnum {
                    set.extend(b'A'..=b'Z');
                }
                if alpha || lower || alnum {
                    set.extend(b'a'..=b'z');
                }
                if alnum || digit || xdigit {
                    set.extend(b'0'..=b'9');
                }
                if space || blank {
                    set.push(b'\t');
                    if space {
                        set.extend_from_slice(b"\n\x0c\r\x0b");
                    }
                    set.push(b' ');
                }
                if punct {
                    set.extend((0..=255u8).filter(|&c| is_punct(c)));
                }
                if cntrl {
                    set.extend((0..=255u8).filter(|&c| c < 0x20 || c == 0x7f));
                }
                if xdigit {
                    set.extend(b'A'..=b'F');
                    set.extend(b'a'..=b'f');
                    at += 10;
                    continue;
                }
                at += 9;
                continue;
            }
        }
        if get(at) == b'[' && get(at + 1) == b'=' {
            at += 2;
            if get(at) != 0 {
                set.push(get(at));
            }
            if get(at + 1) != b'=' || get(at + 2) != b']' {
                return Err("bad equiv class");
            }
            // As toybox: it goes on at the character, which is then read once more.
            continue;
        }
        set.push(get(at));
        at += 1;
    }
    Ok(set)
}

/// `tr [-cdst] SET1 [SET2]`.
pub(crate) fn tr(_ctx: &mut Ctx<'_>, argv: &[Vec<u8>], io: &mut Io<'_>) -> i32 {
    let Io { stdin, stdout, stderr } = io;
    super::run(argv, &mut **stdout, &mut **stderr, |t| {
        let p = t.parse("^<1>2Ccstd[+cC]", argv)?;
        let (delete, squeeze) = (p.has(b'd'), p.has(b's'));
        let set2_arg = p.args.get(1).cloned();
        let until = match (&set2_arg, p.has(b't')) {
            (Some(s2), true) => s2.iter().position(|&b| b == 0).unwrap_or(s2.len()),
            _ => usize::MAX,
        };
        let mut set1 = expand_set(&p.args[0], until).map_err(|msg| t.fail(msg.as_bytes()))?;
        if p.has(b'c') || p.has(b'C') {
            set1 = (0..=255u8).filter(|c| !set1.contains(c)).collect();
        }
        let set2 = match &set2_arg {
            Some(s2) if s2.is_empty() => return Err(t.fail(b"set2 can't be empty string")),
            Some(s2) => Some(expand_set(s2, usize::MAX).map_err(|msg| t.fail(msg.as_bytes()))?),
            None => None,
        };
        let mut map: [u16; 256] = std::array::from_fn(|i| u16::try_from(i).unwrap_or(0));
        if delete {
            for &c in &set1 {
                map[usize::from(c)] = u16::from(c) | 0x100;
            }
        }
        if squeeze {
            for &c in &set1 {
                map[usize::from(c)] |= 0x200;
            }
            for &c in set2.iter().flatten() {
                map[usize::from(c)] |= 0x200;
            }
        }
        if let (false, Some(set2)) = (delete, &set2) {
            let mut k = 0;
            for &c in &set1 {
                map[usize::from(c)] = (map[usize::from(c)] & 0xFF00) | u16::from(set2.get(k).copied().unwrap_or(0));
                if set2.get(k + 1).is_some_and(|&b| b != 0) {
                    k += 1;
                }
            }
        }
        let mut prev: Option<u16> = None;
        let mut out = Vec::new();
        let result = for_chunks(*stdin, |chunk| {
            out.clear();
            for &b in chunk {
                let ch = map[usize::from(b)];
                if delete && ch & 0x100 != 0 {
                    continue;
                }
                if squeeze && ch & 0x200 != 0 && prev == Some(ch) {
                    continue;
                }
                prev = Some(ch);
                out.push(ch.to_le_bytes()[0]);
            }
            t.out(&out)
        });
        match result {
            Ok(r) => r,
            Err(e) => {
                t.perror(b"-", &e);
                Ok(())
            }
        }
    })
}
