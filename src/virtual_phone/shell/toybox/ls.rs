//! `ls`, ported from toybox 0.8.9's toys/posix/ls.c (standard output is never a terminal over adb).

use super::args::Parsed;
use super::fsys::{self, Meta};
use super::{Res, Tool, group_name, human_readable, mode_string, time, user_name};
use crate::virtual_phone::shell::{Ctx, Io};
use std::fmt::Write as _;

const OPTS: &str = "(color):;(full-time)(show-control-chars)ZgoACFHLNRSabcdfhikl@mnpqrstuw#=80<0x1[-Cxm1][-Cxml][-Cxmo][-Cxmg][-cu][-ftS][-HL][-Nqb]";

/// `ls [-ACFHLRSZacdfhiklmnpqrstuwx1] [--color[=auto]] [FILE...]`.
pub(crate) fn ls(ctx: &mut Ctx<'_>, argv: &[Vec<u8>], io: &mut Io<'_>) -> i32 {
    super::run(argv, &mut *io.stdout, &mut *io.stderr, |t| main(ctx, argv, t))
}

struct Node {
    name: Vec<u8>,
    /// `dirtree_path`.
    path: Vec<u8>,
    meta: Meta,
    /// The stat failed: most fields print as `?`.
    zap: bool,
}

struct Ls<'c, 'p> {
    ctx: &'c Ctx<'p>,
    p: Parsed,
    level: i64,
    screen_width: usize,
    escmore: &'static [u8],
    nl_title: bool,
    /// The last measured entry widths (toybox keeps them between calls).
    len: [usize; 8],
    /// `ls -1f` (without a terminal, `ls -f`): names stream out as they are read.
    stream_f: bool,
}

fn main(ctx: &Ctx<'_>, argv: &[Vec<u8>], t: &mut Tool<'_>) -> Res {
    let mut p = t.parse(OPTS, argv)?;
    let mut level = p.number(b'l');
    if p.has_long("full-time") {
        p.set(b'l', true);
        level = 2;
    }
    // Not a tty.
    if !p.has(b'm') {
        p.set(b'1', true);
    }
    if p.long_value("color").is_some() {
        p.flags ^= p.long_bit("color");
    }
    if p.has(b'N') {
        p.set(b'b', false);
    }
    let screen_width = if p.has(b'w') { (p.number(b'w') + 2).max(2) as usize } else { 80 };
    let escmore: &'static [u8] = if p.has(b'b') { b" \\" } else { b"" };
    if p.has(b'd') {
        p.set(b'R', false);
    }
    let stream_f = p.flags == p.bit(b'1') | p.bit(b'f');
    let mut ls = Ls { ctx, p, level, screen_width, escmore, nl_title: false, len: [0; 8], stream_f };
    let names: Vec<Vec<u8>> = if ls.p.args.is_empty() { vec![b".".to_vec()] } else { ls.p.args.clone() };
    let mut top = Vec::new();
    for arg in names {
        match fsys::stat(ctx, &arg) {
            Ok(meta) => top.push(Node { name: arg.clone(), path: arg, meta, zap: false }),
            Err(e) => t.perror(&arg, &e),
        }
    }
    ls.list(t, None, top)
}

fn numlen(n: u64) -> usize {
    n.to_string().len()
}

/// toybox's wcwidth for a valid character (glibc's in a UTF-8 locale, near enough).
fn wcwidth(c: char) -> i32 {
    let u = c as u32;
    if u < 0x20 || (0x7f..0xa0).contains(&u) {
        return -1;
    }
    if (0x300..0x370).contains(&u) || (0x200b..0x2010).contains(&u) || (0xfe00..0xfe10).contains(&u) || u == 0xad {
        return 0;
    }
    let wide = (0x1100..0x1160).contains(&u)
        || (0x2e80..0xa4d0).contains(&u)
        || (0xac00..0xd7a4).contains(&u)
        || (0xf900..0xfb00).contains(&u)
        || (0xfe30..0xfe50).contains(&u)
        || (0xff00..0xff61).contains(&u)
        || (0xffe0..0xffe7).contains(&u)
        || (0x1f300..0x1f650).contains(&u)
        || (0x1f900..0x1fa00).contains(&u)
        || (0x20000..0x3fffe).contains(&u);
    if wide { 2 } else { 1 }
}

/// Decodes one UTF-8 character at the start of `s`: the character and its length.
fn utf8_char(s: &[u8]) -> Option<(char, usize)> {
    let n = match s.first()? {
        0..=0x7f => 1,
        0xc2..=0xdf => 2,
        0xe0..=0xef => 3,
        0xf0..=0xf4 => 4,
        _ => return None,
    };
    let c = std::str::from_utf8(s.get(..n)?).ok()?.chars().next()?;
    Some((c, n))
}

impl Ls<'_, '_> {
    fn flag(&self, c: u8) -> bool {
        self.p.has(c)
    }

    fn long_format(&self) -> bool {
        self.flag(b'l') || self.flag(b'o') || self.flag(b'n') || self.flag(b'g')
    }

    /// `crunch_qb`: how an unprintable character (or byte) shows.
    fn escape(&self, wc: u32, raw: &[u8], out: &mut Vec<u8>) -> usize {
        if self.flag(b'q') {
            out.push(b'?');
            return 1;
        }
        if !self.flag(b'b') {
            out.extend_from_slice(raw);
            return raw.len();
        }
        let start = out.len();
        let bytes: Vec<u8> = if wc < 256 { vec![wc as u8] } else { raw.to_vec() };
        for b in bytes {
            out.push(b'\\');
            if self.escmore.contains(&b) {
                out.push(b);
            } else if let Some(j) = b"\\\x07\x08\x1b\x0c\n\r\t\x0b".iter().position(|&e| e == b) {
                out.push(b"\\abefnrtv"[j]);
            } else {
                out.extend_from_slice(format!("{b:03o}").as_bytes());
            }
        }
        out.len() - start
    }

    /// `crunch_str`: the name as printed, and its width in columns.
    fn crunch(&self, name: &[u8]) -> (Vec<u8>, usize) {
        let mut out = Vec::with_capacity(name.len());
        let mut cols = 0;
        let mut i = 0;
        while i < name.len() {
            if let Some((c, n)) = utf8_char(&name[i..]) {
                let w = wcwidth(c);
                if w >= 0 && (c as u32 > 255 || !self.escmore.contains(&(c as u32 as u8))) {
                    out.extend_from_slice(&name[i..i + n]);
                    cols += w as usize;
                    i += n;
                    continue;
                }
                cols += self.escape(c as u32, &name[i..i + n], &mut out);
                i += n;
            } else {
                cols += self.escape(u32::from(name[i]), &name[i..=i], &mut out);
                i += 1;
            }
        }
        (out, cols)
    }

    /// A user or group name left-justified in `width` columns: names (not numbers) are cut to the width, as
    /// `draw_trim_esc` does (which only shows when `-f` skipped measuring).
    fn trimmed(text: &str, width: usize, number: bool) -> Vec<u8> {
        if number {
            return format!("{text:<width$}").into_bytes();
        }
        let mut out = Vec::new();
        let mut cols = 0;
        for c in text.chars() {
            let w = wcwidth(c).max(0) as usize;
            if cols + w > width {
                break;
            }
            cols += w;
            let mut buf = [0u8; 4];
            out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
        }
        out.resize(out.len() + width - cols, b' ');
        out
    }

    fn endtype(&self, meta: &Meta) -> Option<u8> {
        if (self.flag(b'F') || self.flag(b'p')) && meta.is_dir() {
            return Some(b'/');
        }
        if self.flag(b'F') {
            match meta.mode & 0o170_000 {
                0o120_000 => return Some(b'@'),
                0o100_000 if meta.mode & 0o111 != 0 => return Some(b'*'),
                0o010_000 => return Some(b'|'),
                0o140_000 => return Some(b'='),
                _ => {}
            }
        }
        None
    }

    fn with_h(&self, value: u64, units: u64) -> String {
        if self.flag(b'h') { human_readable(value.saturating_mul(units), false) } else { value.to_string() }
    }

    fn context(node: &Node) -> &'static str {
        if node.meta.dev == 0x13 { "u:object_r:rootfs:s0" } else { "u:object_r:fuse:s0" }
    }

    fn entrylen(&mut self, node: &Node) {
        let meta = &node.meta;
        let mut l0 = self.crunch(&node.name).1;
        if self.endtype(meta).is_some() {
            l0 += 1;
        }
        if self.flag(b'm') {
            l0 += 1;
        }
        self.len[0] = l0;
        self.len[1] = if self.flag(b'i') { numlen(meta.ino) } else { 0 };
        if self.long_format() {
            self.len[2] = numlen(meta.nlink);
            self.len[3] = if self.flag(b'n') {
                numlen(u64::from(meta.uid))
            } else {
                self.crunch(user_name(meta.uid).as_bytes()).1
            };
            self.len[4] = if self.flag(b'n') {
                numlen(u64::from(meta.gid))
            } else {
                self.crunch(group_name(meta.gid).as_bytes()).1
            };
            let kind = meta.mode & 0o170_000;
            self.len[5] = if kind == 0o060_000 || kind == 0o020_000 {
                numlen(u64::from(libc::major(meta.rdev))) + 5
            } else {
                self.with_h(meta.size, 1).len()
            };
        }
        self.len[6] = if self.flag(b's') { self.with_h(meta.blocks, 1024).len() } else { 0 };
        self.len[7] = if self.flag(b'Z') { Self::context(node).len() } else { 0 };
    }

    /// `filter`: adjusts the times and blocks; says whether a directory entry is kept.
    fn filter(&self, node: &mut Node) -> bool {
        if self.flag(b'u') {
            node.meta.mtime = node.meta.atime;
        }
        if self.flag(b'c') {
            node.meta.mtime = node.meta.ctime;
        }
        node.meta.blocks >>= 1;
        if self.flag(b'a') || self.flag(b'f') {
            return true;
        }
        if !self.flag(b'A') && node.name.first() == Some(&b'.') {
            return false;
        }
        node.name != b"." && node.name != b".."
    }

    fn compare(&self, a: &Node, b: &Node) -> std::cmp::Ordering {
        use std::cmp::Ordering;
        let mut ret = Ordering::Equal;
        if self.flag(b'S') {
            ret = b.meta.size.cmp(&a.meta.size);
        }
        if self.flag(b't') {
            ret = b.meta.mtime.cmp(&a.meta.mtime);
        }
        if ret == Ordering::Equal {
            ret = a.name.cmp(&b.name);
        }
        if self.flag(b'r') { ret.reverse() } else { ret }
    }

    fn next_column(&self, ul: usize, dtlen: usize, columns: usize) -> (usize, usize) {
        if !self.flag(b'C') {
            return (ul, ul % columns.max(1));
        }
        let mut columns = columns.max(1);
        let mut ul = ul;
        let height = dtlen.div_ceil(columns).max(1);
        let mut extra = dtlen % height;
        if extra != 0 && ul >= extra * columns {
            ul -= extra * columns;
            columns -= 1;
        } else {
            extra = 0;
        }
        let xpos = ul % columns.max(1);
        (xpos * height + extra + ul / columns.max(1), xpos)
    }

    /// `listfiles`: `indir` None is the top of the tree (the command line's names).
    fn list(&mut self, t: &mut Tool<'_>, indir: Option<&Node>, entries: Vec<Node>) -> Res {
        let top = indir.is_none();
        let mut sort = entries;
        if top {
            // A single directory on the command line is listed as if it had been the current one.
            if sort.len() == 1 && sort[0].meta.is_dir() && !(self.flag(b'd') || self.flag(b'R')) {
                let Some(dir) = sort.pop() else { return Ok(()) };
                return self.list_dir(t, &dir, true);
            }
            for node in &mut sort {
                self.filter(node);
            }
            if self.stream_f {
                for node in &sort {
                    let mut line = node.name.clone();
                    line.push(b'\n');
                    t.out(&line)?;
                }
                return Ok(());
            }
        }
        let flag_f = self.flag(b'f');
        let mut totals = [0usize; 8];
        let mut totpad = 0;
        if !flag_f {
            sort.sort_by(|a, b| self.compare(a, b));
            let mut blocks = 0u64;
            for node in &sort {
                self.entrylen(node);
                for (total, len) in totals.iter_mut().zip(self.len) {
                    *total = (*total).max(len);
                }
                blocks += node.meta.blocks;
            }
            totpad = totals[1]
                + usize::from(totals[1] != 0)
                + totals[6]
                + usize::from(totals[6] != 0)
                + totals[7]
                + usize::from(totals[7] != 0);
            if (self.flag(b'h') || self.long_format() || self.flag(b's')) && !top {
                t.outs(&format!("total {}\n", self.with_h(blocks, 1024)))?;
            }
        }
        let dtlen = sort.len();
        let mut columns = 4096 / 4;
        let mut colsizes = vec![0usize; columns];
        if self.flag(b'C') || self.flag(b'x') {
            columns = columns.min(self.screen_width / 2).min(dtlen);
            while columns > 1 {
                let mut totlen = columns;
                colsizes[..columns].fill(0);
                let mut ul = 0;
                while ul < dtlen {
                    let (cc, c) = self.next_column(ul, dtlen, columns);
                    if cc >= dtlen {
                        break;
                    }
                    self.entrylen(&sort[cc]);
                    let mut l0 = self.len[0];
                    if c < columns - 1 {
                        l0 += totpad + 2;
                    }
                    self.len[0] = l0;
                    if l0 > colsizes[c] {
                        totlen += l0 - colsizes[c];
                        colsizes[c] = l0;
                        if totlen > self.screen_width {
                            break;
                        }
                    }
                    ul += 1;
                }
                if ul == dtlen {
                    break;
                }
                columns -= 1;
            }
        }
        let columns = columns.max(1);
        let mut width = 0usize;
        for ul in 0..dtlen {
            let lastlen = self.len[0];
            let (idx, curcol) = self.next_column(ul, dtlen, columns);
            let Some(node) = sort.get(idx) else { continue };
            if node.meta.is_dir() && top && !self.flag(b'd') {
                continue;
            }
            self.nl_title = true;
            self.entrylen(node);
            let mut line = Vec::new();
            if ul > 0 {
                let mm = self.flag(b'm');
                if mm {
                    line.push(b',');
                }
                if self.flag(b'C') || self.flag(b'x') {
                    if curcol == 0 {
                        line.push(b'\n');
                    } else {
                        let (_, prev) = self.next_column(ul - 1, dtlen, columns);
                        let pad = colsizes[prev] as i64 - lastlen as i64 - totpad as i64;
                        let pad = pad.unsigned_abs().max(1) as usize;
                        line.extend(std::iter::repeat_n(b' ', pad));
                    }
                } else if self.flag(b'1') || width + 1 + self.len[0] > self.screen_width {
                    line.push(b'\n');
                    width = 0;
                } else {
                    line.extend_from_slice(if mm { b" " } else { b"  " });
                    width += if mm { 1 } else { 2 };
                }
            }
            width += self.len[0];
            self.entry(node, &totals, &mut line);
            t.out(&line)?;
        }
        if width > 0 {
            t.out(b"\n")?;
        }
        if self.flag(b'd') {
            return Ok(());
        }
        for node in &sort {
            if !node.meta.is_dir() {
                continue;
            }
            if top || (self.flag(b'R') && node.name != b"." && node.name != b"..") {
                self.list_dir(t, node, false)?;
            }
        }
        Ok(())
    }

    fn entry(&self, node: &Node, totals: &[usize; 8], line: &mut Vec<u8>) {
        let meta = &node.meta;
        let zap = node.zap;
        if self.flag(b'i') {
            let ino = if zap { "?".to_string() } else { meta.ino.to_string() };
            line.extend_from_slice(format!("{ino:>w$} ", w = totals[1]).as_bytes());
        }
        if self.flag(b's') {
            let s = if zap { "?".to_string() } else { self.with_h(meta.blocks, 1024) };
            line.extend_from_slice(format!("{s:>w$} ", w = totals[6]).as_bytes());
        }
        if self.long_format() {
            let mut mode = mode_string(meta.mode);
            if zap {
                mode[1..].fill(b'?');
            }
            line.extend_from_slice(&mode);
            let nlink = if zap { "?".to_string() } else { meta.nlink.to_string() };
            line.extend_from_slice(format!("{nlink:>w$}", w = totals[2] + 1).as_bytes());
            if !self.flag(b'g') {
                line.push(b' ');
                let user = if zap {
                    "?".to_string()
                } else if self.flag(b'n') {
                    meta.uid.to_string()
                } else {
                    user_name(meta.uid)
                };
                line.extend_from_slice(&Self::trimmed(&user, totals[3], self.flag(b'n') || zap));
            }
            if !self.flag(b'o') {
                line.push(b' ');
                let group = if zap {
                    "?".to_string()
                } else if self.flag(b'n') {
                    meta.gid.to_string()
                } else {
                    group_name(meta.gid)
                };
                line.extend_from_slice(&Self::trimmed(&group, totals[4], self.flag(b'n') || zap));
            }
        }
        if self.flag(b'Z') {
            let context = Self::context(node);
            if self.flag(b'l') {
                line.push(b' ');
            }
            line.extend_from_slice(format!("{context:<w$} ", w = totals[7]).as_bytes());
        }
        if self.long_format() {
            let kind = meta.mode & 0o170_000;
            if !zap && (kind == 0o060_000 || kind == 0o020_000) {
                let major = libc::major(meta.rdev);
                let minor = libc::minor(meta.rdev);
                let w = totals[5].saturating_sub(4);
                line.extend_from_slice(format!("{major:>w$},{minor:>4}").as_bytes());
            } else {
                let size = if zap { "?".to_string() } else { self.with_h(meta.size, 1) };
                line.extend_from_slice(format!("{size:>w$}", w = totals[5] + 1).as_bytes());
            }
            let mut stamp = format!(" {}", time::ymd_hm(meta.mtime.sec));
            if self.level > 1 {
                let sec = meta.mtime.sec.rem_euclid(60);
                let _ = write!(stamp, ":{sec:02}.{:09} +0000", meta.mtime.nsec);
            }
            let w = if self.level > 1 { 30 } else { 17 };
            let stamp = if zap { "?".to_string() } else { stamp };
            line.extend_from_slice(format!("{stamp:>w$} ").as_bytes());
        }
        let color = if self.p.has_long("color") { color_from_mode(meta.mode) } else { 0 };
        if color != 0 {
            line.extend_from_slice(format!("\x1b[{};{}m", color >> 8, color & 255).as_bytes());
        }
        line.extend_from_slice(&self.crunch(&node.name).0);
        if color != 0 {
            line.extend_from_slice(b"\x1b[0m");
        }
        if self.long_format() && meta.is_symlink() {
            line.extend_from_slice(b" -> ");
            line.extend_from_slice(&fsys::read_link(self.ctx, &node.path).unwrap_or_default());
        }
        if let Some(et) = self.endtype(meta) {
            line.push(et);
        }
    }

    /// Lists a directory's content (with its `path:` title unless it is the only name given).
    fn list_dir(&mut self, t: &mut Tool<'_>, dir: &Node, single: bool) -> Res {
        let names = match fsys::list_dir(self.ctx, &dir.path) {
            Ok(names) => names,
            Err(e) => {
                t.perror(&dir.name, &e);
                return Ok(());
            }
        };
        let mut children = Vec::new();
        for name in [b".".to_vec(), b"..".to_vec()].into_iter().chain(names) {
            let path = fsys::join(&dir.path, &name);
            let (meta, zap) = match fsys::lstat(self.ctx, &path) {
                Ok(meta) => (meta, false),
                Err(_) => (Meta::default(), true),
            };
            let mut node = Node { name, path, meta, zap };
            if self.stream_f {
                let mut line = node.name.clone();
                line.push(b'\n');
                t.out(&line)?;
                continue;
            }
            if self.filter(&mut node) {
                children.push(node);
            }
        }
        if !single || self.flag(b'R') {
            if self.nl_title {
                t.out(b"\n")?;
            }
            self.nl_title = true;
            let mut title = dirtree_title(&dir.path);
            title.extend_from_slice(b":\n");
            t.out(&title)?;
        }
        self.list(t, Some(dir), children)
    }
}

/// `dirtree_path` of a node whose own name ends in `/`: the slash is dropped.
fn dirtree_title(path: &[u8]) -> Vec<u8> {
    let mut p = path.to_vec();
    if p.last() == Some(&b'/') {
        p.pop();
    }
    p
}

fn color_from_mode(mode: u32) -> u32 {
    match mode & 0o170_000 {
        0o040_000 => 256 + 34,
        0o120_000 => 256 + 36,
        0o060_000 | 0o020_000 => 256 + 33,
        0o100_000 if mode & 0o111 != 0 => 256 + 32,
        0o010_000 => 33,
        0o140_000 => 256 + 35,
        _ => 0,
    }
}
