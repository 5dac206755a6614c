//! Commands that read files: `cat`, `head`, `wc` and the `*sum` hashes (toybox 0.8.9's cat.c, head.c, wc.c,
//! md5sum.c). Files stream in chunks; nothing is read whole.

use super::args::{self, Parsed};
use super::fsys;
use super::{Res, Tool, for_chunks};
use crate::virtual_phone::shell::{Ctx, Io};
use std::io::{self, Read};

/// Something `loopfiles` hands a command: standard input (`-`) or an opened file.
pub(super) enum Input<'a, 'b> {
    Stdin(&'a mut (dyn Read + 'b)),
    File(fsys::Opened),
}

impl Read for Input<'_, '_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Self::Stdin(r) => r.read(buf),
            Self::File(f) => f.read(buf),
        }
    }
}

/// toybox's `loopfiles`: each name opened in turn (`-` and no names mean standard input); names that do not
/// open are reported and skipped.
pub(super) fn loopfiles(
    ctx: &Ctx<'_>,
    names: &[Vec<u8>],
    stdin: &mut dyn Read,
    t: &mut Tool<'_>,
    mut each: impl FnMut(&mut Tool<'_>, &mut Input<'_, '_>, &[u8]) -> Res,
) -> Res {
    if names.is_empty() {
        return each(t, &mut Input::Stdin(stdin), b"-");
    }
    for name in names {
        if name == b"-" {
            each(t, &mut Input::Stdin(&mut *stdin), name)?;
            continue;
        }
        match fsys::open_read(ctx, name) {
            Ok(file) => each(t, &mut Input::File(file), name)?,
            Err(e) => t.perror(name, &e),
        }
    }
    Ok(())
}

/// `cat [-etuv] [FILE...]`.
pub(crate) fn cat(ctx: &mut Ctx<'_>, argv: &[Vec<u8>], io: &mut Io<'_>) -> i32 {
    let Io { stdin, stdout, stderr } = io;
    super::run(argv, &mut **stdout, &mut **stderr, |t| {
        let p = t.parse("uvte", argv)?;
        let (v, tt, e) = (p.has(b'v'), p.has(b't'), p.has(b'e'));
        let plain = !(v || tt || e);
        loopfiles(ctx, &p.args, stdin, t, |t, input, name| {
            let result = for_chunks(input, |chunk| {
                if plain {
                    return t.out(chunk);
                }
                let mut out = Vec::with_capacity(chunk.len() * 2);
                for &byte in chunk {
                    let mut c = byte;
                    if c > 126 && v {
                        if c > 127 {
                            out.extend_from_slice(b"M-");
                            c -= 128;
                        }
                        if c == 127 {
                            out.extend_from_slice(b"^?");
                            continue;
                        }
                    }
                    if c < 32 {
                        if c == 10 {
                            if e {
                                out.push(b'$');
                            }
                        } else if (c == 9 && tt) || (c != 9 && v) {
                            out.push(b'^');
                            out.push(c + b'@');
                            continue;
                        }
                    }
                    out.push(c);
                }
                t.out(&out)
            });
            match result {
                Ok(r) => r,
                Err(err) => {
                    t.perror(name, &err);
                    Ok(())
                }
            }
        })
    })
}

/// `head [-n NUM] [-c NUM] [-qv] [FILE...]`.
pub(crate) fn head(ctx: &mut Ctx<'_>, argv: &[Vec<u8>], io: &mut Io<'_>) -> i32 {
    let Io { stdin, stdout, stderr } = io;
    super::run(argv, &mut **stdout, &mut **stderr, |t| {
        let mut p = t.parse("?n(lines)#<0=10c(bytes)#<0qv[-nc]", argv)?;
        let mut lines = p.number(b'n');
        if let Some(first) = p.args.first()
            && first.first() == Some(&b'-')
            && first.len() > 1
        {
            lines = args::atolx(&first[1..]).map_err(|e| t.arg_error(&e))?;
            p.args.remove(0);
        }
        let bytes_mode = p.has(b'c');
        let headers = (p.args.len() > 1 && !p.has(b'q')) || p.has(b'v');
        let mut file_no = 0;
        let names = p.args.clone();
        loopfiles(ctx, &names, stdin, t, |t, input, name| {
            if headers {
                if file_no > 0 {
                    t.out(b"\n")?;
                }
                let mut h = b"==> ".to_vec();
                h.extend_from_slice(name);
                h.extend_from_slice(b" <==\n");
                t.out(&h)?;
            }
            file_no += 1;
            let mut left_bytes = if bytes_mode { p.number(b'c') } else { 0 };
            let mut left_lines = lines;
            let mut buf = vec![0u8; 4096];
            while if bytes_mode { left_bytes > 0 } else { left_lines > 0 } {
                let len = match input.read(&mut buf) {
                    Ok(0) => break,
                    Ok(n) => n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(e) => {
                        t.perror(name, &e);
                        break;
                    }
                };
                let take = if bytes_mode {
                    let take = (left_bytes as u64).min(len as u64) as usize;
                    left_bytes -= take as i64;
                    take
                } else {
                    let mut i = 0;
                    while i < len {
                        i += 1;
                        if buf[i - 1] == b'\n' {
                            left_lines -= 1;
                            if left_lines == 0 {
                                break;
                            }
                        }
                    }
                    i
                };
                t.out(&buf[..take])?;
            }
            Ok(())
        })
    })
}

/// `tail [-n|c NUMBER] [-f|F] [-s SECONDS] [FILE...]` (toybox 0.8.9's tail.c): `-c N`/`-n N` the last N bytes or
/// lines, `+N` from the Nth on (0 and +0 mean the whole file, as in toybox), the old `-N`; several files each
/// under a `==> NAME <==` header. From the end of a regular file it seeks, as toybox's `try_lseek`, so the end
/// of a large video costs only its bytes. `-f`/`-F` print as without them: the phone's shell never waits for a
/// file to grow.
pub(crate) fn tail(ctx: &mut Ctx<'_>, argv: &[Vec<u8>], io: &mut Io<'_>) -> i32 {
    let Io { stdin, stdout, stderr } = io;
    super::run(argv, &mut **stdout, &mut **stderr, |t| {
        let mut p = t.parse("?fFs:c(bytes)-n(lines)-[-cn][-fF]", argv)?;
        let bytes = p.number(b'c');
        let mut lines = p.number(b'n');
        if !p.has(b'n') && !p.has(b'c') {
            match p.args.first() {
                // The old `tail -42`.
                Some(first) if first.first() == Some(&b'-') && first.len() > 1 => {
                    lines = args::atolx(first).map_err(|e| t.arg_error(&e))?;
                    p.args.remove(0);
                }
                _ => lines = -10,
            }
        }
        let names = p.args.clone();
        let headers = names.len() > 1;
        let mut file_no = 0;
        loopfiles(ctx, &names, stdin, t, |t, input, name| {
            if headers {
                if file_no > 0 {
                    t.out(b"\n")?;
                }
                file_no += 1;
                let mut h = b"==> ".to_vec();
                h.extend_from_slice(name);
                h.extend_from_slice(b" <==\n");
                t.out(&h)?;
            }
            let result = if bytes < 0 || lines < 0 {
                tail_end(t, input, bytes.unsigned_abs(), lines.unsigned_abs(), bytes < 0)
            } else {
                tail_from(t, input, bytes, lines)
            };
            // toybox's tail stops quietly at a read error (a directory reads as nothing).
            result.unwrap_or(Ok(()))
        })
    })
}

/// The last `bytes` bytes (`in_bytes`) or `lines` lines of `input`: from a regular file by seeking back, from a
/// pipe by reading it all.
fn tail_end(t: &mut Tool<'_>, input: &mut Input<'_, '_>, bytes: u64, lines: u64, in_bytes: bool) -> io::Result<Res> {
    use std::io::{Seek, SeekFrom};
    if let Input::File(fsys::Opened::File(file)) = input
        && let Ok(len) = file.len()
    {
        let start = if in_bytes { len.saturating_sub(bytes) } else { line_start_from_end(file, len, lines)? };
        file.seek(SeekFrom::Start(start))?;
        return for_chunks(file, |chunk| t.out(chunk));
    }
    let mut all = Vec::new();
    input.read_to_end(&mut all)?;
    let len = all.len() as u64;
    let start =
        if in_bytes { len.saturating_sub(bytes) } else { line_start_from_end(&mut io::Cursor::new(&all), len, lines)? };
    Ok(t.out(&all[usize::try_from(start).unwrap_or(0)..]))
}

/// Where the last `lines` lines of a file of `len` bytes start (a last line without its newline counts).
fn line_start_from_end<R: Read + std::io::Seek>(file: &mut R, len: u64, lines: u64) -> io::Result<u64> {
    use std::io::SeekFrom;
    if lines == 0 {
        return Ok(len);
    }
    // The file's last byte ends the last line whether or not it is a newline.
    let mut end = len.saturating_sub(1);
    let mut seen = 0;
    let mut buf = vec![0u8; 4096];
    while end > 0 {
        let from = end.saturating_sub(buf.len() as u64);
        let n = usize::try_from(end - from).unwrap_or(0);
        file.seek(SeekFrom::Start(from))?;
        file.read_exact(&mut buf[..n])?;
        for i in (0..n).rev() {
            if buf[i] == b'\n' {
                seen += 1;
                if seen == lines {
                    return Ok(from + i as u64 + 1);
                }
            }
        }
        end = from;
    }
    Ok(0)
}

/// Everything from byte `bytes` or line `lines` on (counted from 1; 0 or 1 is the whole input).
fn tail_from(t: &mut Tool<'_>, input: &mut Input<'_, '_>, mut bytes: i64, mut lines: i64) -> io::Result<Res> {
    for_chunks(input, |chunk| {
        let mut offset = 0;
        while (bytes > 1 || lines > 1) && offset < chunk.len() {
            bytes -= 1;
            if chunk[offset] == b'\n' {
                lines -= 1;
            }
            offset += 1;
        }
        if offset < chunk.len() { t.out(&chunk[offset..]) } else { Ok(()) }
    })
}

/// `wc [-lwcm] [FILE...]`.
pub(crate) fn wc(ctx: &mut Ctx<'_>, argv: &[Vec<u8>], io: &mut Io<'_>) -> i32 {
    let Io { stdin, stdout, stderr } = io;
    super::run(argv, &mut **stdout, &mut **stderr, |t| {
        let mut p = t.parse("mcwl", argv)?;
        if p.flags == 0 {
            p.flags = p.bit(b'l') | p.bit(b'w') | p.bit(b'c');
        }
        let flags = p.flags;
        let optc = p.args.len();
        let single_flag = flags & flags.wrapping_sub(1) == 0;
        let space = if !(optc == 0 && single_flag) && optc != 1 { 7 } else { 0 };
        let mut totals = [0u64; 4];
        let show = |t: &mut Tool<'_>, lengths: &[u64; 4], name: &[u8]| -> Res {
            let mut line = Vec::new();
            let mut first = true;
            for (i, n) in lengths.iter().enumerate() {
                if flags & (1 << i) != 0 {
                    let field = if first { format!("{n:>space$}") } else { format!(" {n:>space$}") };
                    line.extend_from_slice(field.as_bytes());
                    first = false;
                }
            }
            if optc > 0 {
                line.push(b' ');
                line.extend_from_slice(name);
            }
            line.push(b'\n');
            t.out(&line)
        };
        let names = p.args.clone();
        let only_bytes = flags == p.bit(b'c');
        let count_chars = p.has(b'm');
        loopfiles(ctx, &names, stdin, t, |t, input, name| {
            let mut lengths = [0u64; 4];
            let fast = match input {
                Input::File(f) if only_bytes => f.file_len().filter(|&n| n > 0),
                _ => None,
            };
            if let Some(n) = fast {
                lengths[2] = n;
            } else {
                let mut in_word = false;
                let mut pending: Vec<u8> = Vec::new();
                let result = for_chunks(input, |chunk| {
                    for &b in chunk {
                        if b == b'\n' {
                            lengths[0] += 1;
                        }
                        lengths[2] += 1;
                        if !count_chars {
                            let space = b" \t\n\x0b\x0c\r".contains(&b);
                            if space {
                                in_word = false;
                            } else if !in_word {
                                lengths[1] += 1;
                                in_word = true;
                            }
                        }
                    }
                    if count_chars {
                        pending.extend_from_slice(chunk);
                        let mut i = 0;
                        while i < pending.len() {
                            let need = match pending[i] {
                                0..=0x7f => 1,
                                0xc2..=0xdf => 2,
                                0xe0..=0xef => 3,
                                0xf0..=0xf4 => 4,
                                _ => {
                                    i += 1;
                                    continue;
                                }
                            };
                            if i + need > pending.len() {
                                break;
                            }
                            match std::str::from_utf8(&pending[i..i + need]).ok().and_then(|s| s.chars().next()) {
                                Some(c) => {
                                    lengths[3] += 1;
                                    if c.is_whitespace() {
                                        in_word = false;
                                    } else if !in_word {
                                        lengths[1] += 1;
                                        in_word = true;
                                    }
                                    i += need;
                                }
                                None => i += 1,
                            }
                        }
                        pending.drain(..i);
                    }
                    Ok(())
                });
                match result {
                    Ok(r) => r?,
                    Err(e) => t.perror(name, &e),
                }
            }
            for (total, n) in totals.iter_mut().zip(lengths) {
                *total += n;
            }
            show(t, &lengths, name)
        })?;
        if optc > 1 {
            show(t, &totals, b"total")?;
        }
        Ok(())
    })
}

/// The hash a `*sum` command computes.
enum Hasher {
    Md5(md5::Md5),
    Sha1(Sha1),
    Sha224(sha2::Sha224),
    Sha256(sha2::Sha256),
    Sha384(sha2::Sha384),
    Sha512(sha2::Sha512),
}

impl Hasher {
    fn new(name: &[u8]) -> Option<Self> {
        use sha2::Digest;
        Some(match name {
            b"md5sum" => Self::Md5(md5::Md5::new()),
            b"sha1sum" => Self::Sha1(Sha1::new()),
            b"sha224sum" => Self::Sha224(sha2::Sha224::new()),
            b"sha256sum" => Self::Sha256(sha2::Sha256::new()),
            b"sha384sum" => Self::Sha384(sha2::Sha384::new()),
            b"sha512sum" => Self::Sha512(sha2::Sha512::new()),
            _ => return None,
        })
    }

    fn update(&mut self, data: &[u8]) {
        use sha2::Digest;
        match self {
            Self::Md5(h) => h.update(data),
            Self::Sha1(h) => h.update(data),
            Self::Sha224(h) => h.update(data),
            Self::Sha256(h) => h.update(data),
            Self::Sha384(h) => h.update(data),
            Self::Sha512(h) => h.update(data),
        }
    }

    fn hex(self) -> String {
        use sha2::Digest;
        let bytes: Vec<u8> = match self {
            Self::Md5(h) => h.finalize().to_vec(),
            Self::Sha1(h) => h.finish().to_vec(),
            Self::Sha224(h) => h.finalize().to_vec(),
            Self::Sha256(h) => h.finalize().to_vec(),
            Self::Sha384(h) => h.finalize().to_vec(),
            Self::Sha512(h) => h.finalize().to_vec(),
        };
        hex(&bytes)
    }
}

/// Lower-case hexadecimal digits of `bytes`.
pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes.iter().fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// Hashes a stream as toybox does: a read error ends the input silently (a directory hashes as empty).
fn hash_stream(name: &[u8], input: &mut dyn Read) -> String {
    let Some(mut hasher) = Hasher::new(name) else { return String::new() };
    let _ = for_chunks(input, |chunk| {
        hasher.update(chunk);
        Ok(())
    });
    hasher.hex()
}

/// `md5sum`/`sha1sum`/`sha224sum`/`sha256sum`/`sha384sum`/`sha512sum [-bcs] [FILE]...`.
pub(crate) fn hashsum(ctx: &mut Ctx<'_>, argv: &[Vec<u8>], io: &mut Io<'_>) -> i32 {
    let Io { stdin, stdout, stderr } = io;
    super::run(argv, &mut **stdout, &mut **stderr, |t| {
        let p = t.parse("bc(check)s(status)[!bc]", argv)?;
        let command = t.name.clone();
        if p.has(b'c') {
            return check(ctx, &p, &command, stdin, t);
        }
        if p.has(b's') {
            return Err(t.fail(b"-s only with -c"));
        }
        let brief = p.has(b'b');
        loopfiles(ctx, &p.args, stdin, t, |t, input, name| {
            let mut line = hash_stream(&command, input).into_bytes();
            if !brief {
                line.extend_from_slice(b"  ");
                line.extend_from_slice(name);
            }
            line.push(b'\n');
            t.out(&line)
        })
    })
}

/// `*sum -c FILE...`: checks each `HASH  NAME` line.
fn check(ctx: &Ctx<'_>, p: &Parsed, command: &[u8], stdin: &mut dyn Read, t: &mut Tool<'_>) -> Res {
    let status = p.has(b's');
    for list in &p.args {
        let mut text = Vec::new();
        let read = if list == b"-" {
            stdin.read_to_end(&mut text).map(|_| ())
        } else {
            fsys::open_read(ctx, list).and_then(|mut f| f.read_to_end(&mut text).map(|_| ()))
        };
        if let Err(e) = read {
            t.perror(list, &e);
            continue;
        }
        let mut saw_line = false;
        let mut lines: Vec<&[u8]> = text.split(|&b| b == b'\n').collect();
        if text.last() == Some(&b'\n') || text.is_empty() {
            lines.pop();
        }
        for line in lines {
            let ws = |b: &u8| b" \t\n\x0b\x0c\r".contains(b);
            let hash_end = line.iter().position(ws).unwrap_or(line.len());
            let name_start = line[hash_end..].iter().position(|b| !ws(b)).map_or(line.len(), |i| hash_end + i);
            if hash_end == line.len() || hash_end == 0 || name_start == line.len() {
                let mut msg = b"bad line ".to_vec();
                msg.extend_from_slice(&line[..hash_end]);
                t.error(&msg);
                continue;
            }
            let name = &line[name_start..];
            saw_line = true;
            let actual = if name == b"-" {
                hash_stream(command, stdin)
            } else {
                match fsys::open_read(ctx, name) {
                    Ok(mut f) => hash_stream(command, &mut f),
                    Err(e) => {
                        t.perror(name, &e);
                        String::new()
                    }
                }
            };
            let ok = actual.eq_ignore_ascii_case(&String::from_utf8_lossy(&line[..hash_end]));
            if !ok {
                t.status = 1;
            }
            if !status {
                let mut out = name.to_vec();
                out.extend_from_slice(if ok { b": OK\n" } else { b": FAILED\n" });
                t.out(&out)?;
            }
        }
        if !saw_line {
            let mut msg = list.clone();
            msg.extend_from_slice(b": no lines");
            t.error(&msg);
        }
    }
    Ok(())
}

/// SHA-1 (FIPS 180-4), for `sha1sum`.
struct Sha1 {
    state: [u32; 5],
    block: Vec<u8>,
    length: u64,
}

impl Sha1 {
    fn new() -> Self {
        Self { state: [0x6745_2301, 0xEFCD_AB89, 0x98BA_DCFE, 0x1032_5476, 0xC3D2_E1F0], block: Vec::new(), length: 0 }
    }

    fn update(&mut self, mut data: &[u8]) {
        self.length = self.length.wrapping_add(data.len() as u64);
        while !data.is_empty() {
            let take = (64 - self.block.len()).min(data.len());
            self.block.extend_from_slice(&data[..take]);
            data = &data[take..];
            if self.block.len() == 64 {
                let block = std::mem::take(&mut self.block);
                self.compress(&block);
            }
        }
    }

    /// One 64-byte block, with the standard's names for the working variables.
    #[allow(clippy::many_single_char_names)]
    fn compress(&mut self, block: &[u8]) {
        let mut w = [0u32; 80];
        for (i, word) in block.chunks_exact(4).enumerate() {
            w[i] = u32::from_be_bytes([word[0], word[1], word[2], word[3]]);
        }
        for i in 16..80 {
            w[i] = (w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16]).rotate_left(1);
        }
        let [mut a, mut b, mut c, mut d, mut e] = self.state;
        for (i, &wi) in w.iter().enumerate() {
            let (f, k) = match i {
                0..=19 => ((b & c) | (!b & d), 0x5A82_7999),
                20..=39 => (b ^ c ^ d, 0x6ED9_EBA1),
                40..=59 => ((b & c) | (b & d) | (c & d), 0x8F1B_BCDC),
                _ => (b ^ c ^ d, 0xCA62_C1D6),
            };
            let temp = a.rotate_left(5).wrapping_add(f).wrapping_add(e).wrapping_add(k).wrapping_add(wi);
            e = d;
            d = c;
            c = b.rotate_left(30);
            b = a;
            a = temp;
        }
        for (s, v) in self.state.iter_mut().zip([a, b, c, d, e]) {
            *s = s.wrapping_add(v);
        }
    }

    fn finish(mut self) -> [u8; 20] {
        let bits = self.length.wrapping_mul(8);
        self.update(&[0x80]);
        while self.block.len() != 56 {
            self.update(&[0]);
        }
        self.update(&bits.to_be_bytes());
        let mut out = [0u8; 20];
        for (chunk, s) in out.chunks_exact_mut(4).zip(self.state) {
            chunk.copy_from_slice(&s.to_be_bytes());
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha1_matches_the_standard_vectors() {
        let mut h = Sha1::new();
        h.update(b"abc");
        assert_eq!(hex(&h.finish()), "a9993e364706816aba3e25717850c26c9cd0d89d");
        let mut h = Sha1::new();
        h.update(&[b'a'; 1_000]);
        assert_eq!(hex(&h.finish()), "291e9a6c66994949b57ba5e650361e98fc36b1ba");
    }
}
