//! Word expansion as mksh does it for the supported subset: `$?`, quote removal, brace expansion
//! (`{a,b}`, on by default in mksh) and pathname expansion (`*`, `?`, `[...]`) over the phone's storage.
//!
//! Follows mksh R59c's `eval.c` (`alt_expand`, `glob`, `globit`) and `misc.c` (`has_globbing`,
//! `do_gmatch`, `gmatch_cclass`): matches are sorted bytewise, a pattern that matches nothing stays as it
//! is, and names starting with `.` only match a pattern component that starts with `.`.

use super::super::Phone;
use super::fsys;
use super::parse::{Unit, Word};

/// A byte and whether it may act as a pattern character (it was not quoted).
type PChar = (u8, bool);

/// The word's bytes with `$?` expanded, marking unquoted ones.
fn chars(word: &Word, status: i32) -> Vec<PChar> {
    let mut out = Vec::with_capacity(word.units.len());
    for u in &word.units {
        match *u {
            Unit::Byte(b, quoted) => out.push((b, !quoted)),
            Unit::Status => out.extend(status.to_string().bytes().map(|b| (b, false))),
            Unit::Var(value, quoted) => out.extend(value.unwrap_or_default().iter().map(|&b| (b, !quoted))),
        }
    }
    out
}

fn debunk(p: &[PChar]) -> Vec<u8> {
    p.iter().map(|&(b, _)| b).collect()
}

/// A word with quotes removed and `$?` expanded, but no brace or pathname expansion (redirection targets).
pub(super) fn literal(word: &Word, status: i32) -> Vec<u8> {
    debunk(&chars(word, status))
}

/// Expands a command word into the fields it becomes.
pub(super) fn fields(phone: &Phone, cwd: &[u8], word: &Word, status: i32) -> Vec<Vec<u8>> {
    let cs = chars(word, status);
    // An unquoted word made only of expansions that expand to nothing is no field at all (`"$X"` is one).
    if cs.is_empty() && !word.units.is_empty() && word.units.iter().all(|u| matches!(u, Unit::Var(_, false))) {
        return Vec::new();
    }
    let mut out = Vec::new();
    if cs.contains(&(b'{', true)) {
        alt_expand(phone, cwd, cs, 0, &mut out);
    } else {
        glob_or_literal(phone, cwd, &cs, &mut out);
    }
    out
}

/// mksh's `alt_expand`: expands the first `{...,...}` at or after `from`, recursively.
fn alt_expand(phone: &Phone, cwd: &[u8], s: Vec<PChar>, from: usize, out: &mut Vec<Vec<u8>>) {
    let Some(open) = s[from..].iter().position(|&c| c == (b'{', true)).map(|i| i + from) else {
        glob_or_literal(phone, cwd, &s, out);
        return;
    };
    let mut depth = 1usize;
    let mut comma = false;
    let mut close = None;
    for (i, &c) in s.iter().enumerate().skip(open + 1) {
        match c {
            (b'{', true) => depth += 1,
            (b'}', true) => {
                depth -= 1;
                if depth == 0 {
                    close = Some(i);
                    break;
                }
            }
            (b',', true) if depth == 1 => comma = true,
            _ => {}
        }
    }
    let Some(close) = close else {
        glob_or_literal(phone, cwd, &s, out);
        return;
    };
    if !comma {
        alt_expand(phone, cwd, s, close + 1, out);
        return;
    }
    let mut depth = 0usize;
    let mut field_start = open + 1;
    for i in open + 1..=close {
        let c = s[i];
        let split = match c {
            (b'{', true) => {
                depth += 1;
                false
            }
            (b'}', true) if depth == 0 => true,
            (b'}', true) => {
                depth -= 1;
                false
            }
            (b',', true) => depth == 0,
            _ => false,
        };
        if split {
            let mut news = s[..open].to_vec();
            news.extend_from_slice(&s[field_start..i]);
            news.extend_from_slice(&s[close + 1..]);
            // mksh resumes the search at the start of the alternative (nested braces expand too).
            alt_expand(phone, cwd, news, open, out);
            field_start = i + 1;
        }
    }
}

fn glob_or_literal(phone: &Phone, cwd: &[u8], s: &[PChar], out: &mut Vec<Vec<u8>>) {
    if s.iter().any(|&(b, m)| m && matches!(b, b'*' | b'?' | b'[')) {
        let start = out.len();
        globit(phone, cwd, Vec::new(), Some(s), out, false);
        if out.len() == start {
            out.push(debunk(s));
        } else {
            out[start..].sort();
        }
    } else {
        out.push(debunk(s));
    }
}

/// mksh's `globit`: `xp` is the path built so far, `sp` the rest of the pattern (`None` at its end).
fn globit(phone: &Phone, cwd: &[u8], mut xp: Vec<u8>, sp: Option<&[PChar]>, out: &mut Vec<Vec<u8>>, check: bool) {
    let Some(mut sp) = sp else {
        if check && fsys::lstat(phone, cwd, &xp).is_err() {
            return;
        }
        out.push(xp);
        return;
    };
    if !xp.is_empty() {
        xp.push(b'/');
    }
    while let Some((&(b'/', _), rest)) = sp.split_first() {
        xp.push(b'/');
        sp = rest;
    }
    let (comp, next) = match sp.iter().position(|&(b, _)| b == b'/') {
        Some(i) => (&sp[..i], Some(&sp[i + 1..])),
        None => (sp, None),
    };
    if !has_globbing(comp) {
        xp.extend(comp.iter().map(|&(b, _)| b));
        globit(phone, cwd, xp, next, out, check);
        return;
    }
    let dir: &[u8] = if xp.is_empty() { b"." } else { &xp };
    let Ok(names) = fsys::list_dir(phone, cwd, dir) else { return };
    for name in names {
        if name.first() == Some(&b'.') && comp.first().map(|c| c.0) != Some(b'.') {
            continue;
        }
        if !gmatch(&name, comp) {
            continue;
        }
        let mut path = xp.clone();
        path.extend_from_slice(&name);
        globit(phone, cwd, path, next, out, next.is_some());
    }
}

/// mksh's `has_globbing`: the component holds `*`, `?` or a complete `[...]`.
#[allow(clippy::many_single_char_names, reason = "mirrors mksh's has_globbing")]
fn has_globbing(p: &[PChar]) -> bool {
    let mut saw = false;
    let mut i = 0;
    while i < p.len() {
        let (c, m) = p[i];
        i += 1;
        if !m {
            continue;
        }
        match c {
            b'*' | b'?' => saw = true,
            b'[' => {
                let mut j = i;
                if p.get(j) == Some(&(b'!', true)) {
                    j += 1;
                }
                if p.get(j) == Some(&(b']', true)) {
                    j += 1;
                }
                while j < p.len() {
                    let (c, m) = p[j];
                    j += 1;
                    if !m {
                        continue;
                    }
                    if c == b']' {
                        i = j;
                        saw = true;
                        break;
                    }
                    if c == b'[' && matches!(p.get(j), Some((b'.' | b'=' | b':', _))) {
                        let sub = p[j].0;
                        j += 1;
                        let mut closed = false;
                        while j < p.len() {
                            let c = p[j].0;
                            j += 1;
                            if c == sub && p.get(j) == Some(&(b']', true)) {
                                j += 1;
                                closed = true;
                                break;
                            }
                        }
                        if !closed {
                            break;
                        }
                    }
                }
            }
            _ => {}
        }
    }
    saw
}

/// mksh's `do_gmatch` (without the `@(...)` family, which the parser refuses).
pub(super) fn gmatch(s: &[u8], p: &[PChar]) -> bool {
    let mut si = 0;
    let mut pi = 0;
    while pi < p.len() {
        let (pc, magic) = p[pi];
        pi += 1;
        let sc = s.get(si).copied();
        si += 1;
        if !magic {
            if sc != Some(pc) {
                return false;
            }
            continue;
        }
        match pc {
            b'[' => {
                let Some(sc) = sc else { return false };
                match cclass(&p[pi..], sc) {
                    Some(used) => pi += used,
                    None => return false,
                }
            }
            b'?' => {
                if sc.is_none() {
                    return false;
                }
            }
            b'*' => {
                while p.get(pi) == Some(&(b'*', true)) {
                    pi += 1;
                }
                if pi == p.len() {
                    return true;
                }
                let rest = &p[pi..];
                return (si - 1..=s.len()).any(|start| gmatch(&s[start..], rest));
            }
            _ => {
                if sc != Some(pc) {
                    return false;
                }
            }
        }
    }
    si == s.len()
}

/// mksh's `gmatch_cclass`: matches `sc` against the bracket expression after `[`; returns how many pattern
/// characters it used (through the closing `]`) when it matches.
fn cclass(p: &[PChar], sc: u8) -> Option<usize> {
    let mut i = 0;
    let mut found = false;
    let mut negated = false;
    if p.first() == Some(&(b'!', true)) {
        i += 1;
        negated = true;
    }
    // An initial `]` is an ordinary character.
    let mut first = true;
    loop {
        let &(mut c, m) = p.get(i)?;
        i += 1;
        if m && c == b']' && !first {
            return (found != negated).then_some(i);
        }
        first = false;
        if m && c == b'[' && matches!(p.get(i), Some((b'.' | b'=' | b':', _))) {
            let sub = p[i].0;
            i += 1;
            let start = i;
            loop {
                let &(c, _) = p.get(i)?;
                i += 1;
                if c == sub && p.get(i) == Some(&(b']', true)) {
                    i += 1;
                    break;
                }
            }
            let name: Vec<u8> = p[start..i - 2].iter().map(|&(b, _)| b).collect();
            if sub == b':' {
                if class_matches(&name, sc) {
                    found = true;
                }
                continue;
            }
            c = if name.len() == 1 && name[0].is_ascii() { name[0] } else { 0 };
        }
        let range = p.get(i) == Some(&(b'-', true)) && p.get(i + 1) != Some(&(b']', true));
        if !range {
            if sc == c {
                found = true;
            }
            continue;
        }
        i += 1;
        let &(hi, _) = p.get(i)?;
        i += 1;
        if c <= sc && sc <= hi {
            found = true;
        }
    }
}

fn class_matches(name: &[u8], c: u8) -> bool {
    match name {
        b"alnum" => c.is_ascii_alphanumeric(),
        b"alpha" => c.is_ascii_alphabetic(),
        b"blank" => c == b' ' || c == b'\t',
        b"cntrl" => c.is_ascii_control(),
        b"digit" => c.is_ascii_digit(),
        b"graph" => c.is_ascii_graphic(),
        b"lower" => c.is_ascii_lowercase(),
        b"print" => c.is_ascii_graphic() || c == b' ',
        b"punct" => c.is_ascii_punctuation(),
        b"space" => matches!(c, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c),
        b"upper" => c.is_ascii_uppercase(),
        b"xdigit" => c.is_ascii_hexdigit(),
        b"ascii" => c.is_ascii(),
        b"word" => c.is_ascii_alphanumeric() || c == b'_',
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pat(s: &str) -> Vec<PChar> {
        s.bytes().map(|b| (b, true)).collect()
    }

    #[test]
    fn gmatch_handles_stars_questions_and_brackets_like_mksh() {
        assert!(gmatch(b"IMG_001.jpg", &pat("IMG_*.jpg")));
        assert!(gmatch(b"a.jpg", &pat("?.jpg")));
        assert!(!gmatch(b"ab.jpg", &pat("?.jpg")));
        assert!(gmatch(b"b.jpg", &pat("[!a]*")));
        assert!(!gmatch(b"b.jpg", &pat("[^a]*")), "mksh R59c does not negate with ^");
        assert!(gmatch(b"^x", &pat("[^a]*")));
        assert!(gmatch(b"c", &pat("[a-d]")));
        assert!(gmatch(b"-", &pat("[a-]")));
        assert!(gmatch(b"]", &pat("[]a]")));
        assert!(gmatch(b"7", &pat("[[:digit:]]")));
        assert!(!gmatch(b"*", &[(b'[', true), (b'a', true), (b']', true)]));
        assert!(gmatch(b"*x", &[(b'*', false), (b'*', true)]));
        assert!(!gmatch(b"ax", &[(b'*', false), (b'*', true)]));
    }

    #[test]
    fn has_globbing_needs_a_closed_bracket() {
        assert!(!has_globbing(&pat("[a")));
        assert!(has_globbing(&pat("[a]")));
        assert!(has_globbing(&pat("*")));
        assert!(!has_globbing(&[(b'*', false)]));
    }
}
