//! toybox's option parser (lib/args.c), ported so that every command accepts and refuses exactly what toybox
//! 0.8.9 does, with the same messages.
//!
//! A command describes its options with toybox's own option string (`"<1c:(format)fLt"`); the parser returns
//! the flags seen, the option arguments and the remaining arguments, or the message toybox prints.

/// Why parsing stopped: the text toybox prints after `NAME: `, and whether it adds ` (see "NAME --help")`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArgError {
    /// The message.
    pub msg: Vec<u8>,
    /// `help_exit` (true) or `error_exit` (false).
    pub help: bool,
}

impl ArgError {
    fn help(msg: impl Into<Vec<u8>>) -> Self {
        Self { msg: msg.into(), help: true }
    }

    fn plain(msg: impl Into<Vec<u8>>) -> Self {
        Self { msg: msg.into(), help: false }
    }
}

#[derive(Debug, Default, Clone)]
struct Opt {
    /// The option character, -1 for a bare long option.
    c: i32,
    /// `|` required, `^` stop early, ` ` separate argument, `;` optional collated argument.
    flags: u8,
    /// Bits to disable, enable, exclude.
    dex: [u64; 3],
    /// Argument type (`:` `*` `#` `-` `.` `@` `%`), 0 for none.
    kind: u8,
    low: Option<i64>,
    high: Option<i64>,
    default: i64,
}

#[derive(Debug, Clone)]
struct LongOpt {
    name: Vec<u8>,
    opt: usize,
}

/// What a command line said.
#[derive(Debug, Clone, Default)]
pub struct Parsed {
    /// Bit `i` set when option `i` (counted from the right of the option string) was given.
    pub flags: u64,
    opts: Vec<Opt>,
    longs: Vec<LongOpt>,
    /// Arguments per option (all of them for `*`, the last one for `:`).
    values: Vec<Vec<Vec<u8>>>,
    numbers: Vec<i64>,
    /// The arguments that are not options.
    pub args: Vec<Vec<u8>>,
}

impl Parsed {
    fn index_of(&self, c: u8) -> Option<usize> {
        self.opts.iter().position(|o| o.c == i32::from(c))
    }

    fn index_of_long(&self, name: &str) -> Option<usize> {
        self.longs.iter().find(|l| l.name == name.as_bytes()).map(|l| l.opt)
    }

    /// The bit of option `c` (0 when the command has no such option).
    #[must_use]
    pub fn bit(&self, c: u8) -> u64 {
        self.index_of(c).map_or(0, |i| 1 << i)
    }

    /// Was `-c` given (and not switched off by a later option)?
    #[must_use]
    pub fn has(&self, c: u8) -> bool {
        self.flags & self.bit(c) != 0
    }

    /// Was the long option `--name` given?
    #[must_use]
    pub fn has_long(&self, name: &str) -> bool {
        self.index_of_long(name).is_some_and(|i| self.flags & (1 << i) != 0)
    }

    /// The bit of the long option `--name`.
    #[must_use]
    pub fn long_bit(&self, name: &str) -> u64 {
        self.index_of_long(name).map_or(0, |i| 1 << i)
    }

    /// Sets or clears option `c`, as commands do to imply options.
    pub fn set(&mut self, c: u8, on: bool) {
        let bit = self.bit(c);
        if on {
            self.flags |= bit;
        } else {
            self.flags &= !bit;
        }
    }

    /// The (last) argument of `-c`.
    #[must_use]
    pub fn value(&self, c: u8) -> Option<&[u8]> {
        self.index_of(c).and_then(|i| self.values[i].last()).map(Vec::as_slice)
    }

    /// The (last) argument of `--name`.
    #[must_use]
    pub fn long_value(&self, name: &str) -> Option<&[u8]> {
        self.index_of_long(name).and_then(|i| self.values[i].last()).map(Vec::as_slice)
    }

    /// Every argument of `-c`, in order.
    #[must_use]
    pub fn values(&self, c: u8) -> &[Vec<u8>] {
        self.index_of(c).map_or(&[], |i| self.values[i].as_slice())
    }

    /// The number given to `-c` (its default when not given), or the count of a `@` option.
    #[must_use]
    pub fn number(&self, c: u8) -> i64 {
        self.index_of(c).map_or(0, |i| self.numbers[i])
    }
}

/// Parses `argv` (without the command name) as toybox parses it for an option string.
pub fn parse(optstring: &str, argv: &[Vec<u8>]) -> Result<Parsed, ArgError> {
    let spec = optstring.as_bytes();
    let mut minargs = 0usize;
    let mut maxargs = usize::MAX;
    let mut stopearly = 0u32;
    let mut noerror = false;
    let mut pos = 0;
    while let Some(&c) = spec.get(pos) {
        match c {
            b'^' => stopearly += 1,
            b'<' => {
                pos += 1;
                minargs = usize::from(spec.get(pos).copied().unwrap_or(b'0').saturating_sub(b'0'));
            }
            b'>' => {
                pos += 1;
                maxargs = usize::from(spec.get(pos).copied().unwrap_or(b'0').saturating_sub(b'0'));
            }
            b'?' => noerror = true,
            b'&' | b'0' => {}
            _ => break,
        }
        pos += 1;
    }
    if pos >= spec.len() {
        noerror = true;
    }

    // Options in definition order first; toybox numbers them from the right, so reverse afterwards.
    let mut defined: Vec<Opt> = Vec::new();
    let mut longs_def: Vec<(Vec<u8>, usize)> = Vec::new();
    let mut current: Option<usize> = None;
    while pos < spec.len() && spec[pos] != b'[' {
        let c = spec[pos];
        let idx = if let Some(i) = current {
            i
        } else {
            defined.push(Opt::default());
            current = Some(defined.len() - 1);
            defined.len() - 1
        };
        if c == b'(' && defined[idx].c != -1 {
            let end = spec[pos + 1..].iter().position(|&b| b == b')').map_or(spec.len(), |e| pos + 1 + e);
            longs_def.push((spec[pos + 1..end].to_vec(), idx));
            if defined[idx].c == 0 {
                defined[idx].c = -1;
            }
            pos = end + 1;
            continue;
        } else if b":*#@.-%".contains(&c) {
            defined[idx].kind = c;
        } else if let Some(bit) = b"|^ ;".iter().position(|&b| b == c) {
            defined[idx].flags |= 1 << bit;
        } else if let Some(which) = b"<>=".iter().position(|&b| b == c) {
            // strtol: optional sign and digits, base 10.
            let start = pos + 1;
            let mut end = start;
            if matches!(spec.get(end), Some(b'-' | b'+')) {
                end += 1;
            }
            let digits_start = end;
            while spec.get(end).is_some_and(u8::is_ascii_digit) {
                end += 1;
            }
            if end > digits_start {
                let value = std::str::from_utf8(&spec[start..end]).ok().and_then(|s| s.parse::<i64>().ok());
                match which {
                    0 => defined[idx].low = value,
                    1 => defined[idx].high = value,
                    _ => defined[idx].default = value.unwrap_or(0),
                }
                pos = end;
            } else {
                pos = start;
            }
            continue;
        } else if defined[idx].c != 0 {
            current = None;
            continue;
        } else {
            defined[idx].c = i32::from(c & 127);
        }
        pos += 1;
    }
    let count = defined.len();
    // Reverse: index 0 is the rightmost option (bit 0).
    let mut opts: Vec<Opt> = defined.into_iter().rev().collect();
    let longs: Vec<LongOpt> =
        longs_def.into_iter().rev().map(|(name, i)| LongOpt { name, opt: count - 1 - i }).collect();
    let mut requires = 0u64;
    for (i, o) in opts.iter_mut().enumerate() {
        o.dex[1] = 1 << i;
        if o.flags & 1 != 0 {
            requires |= 1 << i;
        }
    }
    // Groups.
    while pos < spec.len() {
        // spec[pos] == '['
        let which = match spec.get(pos + 1) {
            Some(b'-') => 0,
            Some(b'+') => 1,
            _ => 2,
        };
        pos += 2;
        let mut bits = 0u64;
        while pos < spec.len() && spec[pos] != b']' {
            if let Some(i) = opts.iter().position(|o| o.c == i32::from(spec[pos])) {
                bits |= 1 << i;
            }
            pos += 1;
        }
        for (i, o) in opts.iter_mut().enumerate() {
            if bits & (1 << i) != 0 {
                o.dex[which] |= bits & !(1 << i);
            }
        }
        pos += 1;
    }

    let mut parsed = Parsed {
        flags: 0,
        values: vec![Vec::new(); opts.len()],
        numbers: opts.iter().map(|o| o.default).collect(),
        opts,
        longs,
        args: Vec::new(),
    };
    let mut excludes = 0u64;
    let mut at = 0;
    while at < argv.len() {
        let arg = &argv[at];
        let mut consumed_next = false;
        let is_option = stopearly <= 1 && arg.first() == Some(&b'-') && arg.len() > 1;
        if !is_option {
            if stopearly > 0 {
                stopearly += 1;
            }
            parsed.args.push(arg.clone());
            at += 1;
            continue;
        }
        if arg[1] == b'-' {
            let body = &arg[2..];
            if body.is_empty() {
                stopearly += 2;
                at += 1;
                continue;
            }
            let mut candidates: Vec<usize> = Vec::new();
            let mut exact = None;
            for (li, lo) in parsed.longs.iter().enumerate() {
                let mut ii = 0;
                while ii < lo.name.len() && body.get(ii) == Some(&lo.name[ii]) {
                    ii += 1;
                }
                let next = body.get(ii).copied();
                if next.is_none() || (next == Some(b'=') && parsed.opts[lo.opt].kind != b'@') {
                    if ii == lo.name.len() {
                        exact = Some(li);
                        candidates.clear();
                        break;
                    }
                    candidates.push(li);
                }
            }
            let chosen = if let Some(li) = exact {
                Some(li)
            } else if candidates.len() > 1 {
                let names: Vec<Vec<u8>> =
                    candidates.iter().rev().map(|&li| parsed.longs[li].name.clone()).collect::<Vec<_>>();
                let mut msg = b"bad --".to_vec();
                msg.extend_from_slice(body);
                msg.extend_from_slice(b" (");
                msg.extend_from_slice(&names.join(&b' '));
                msg.push(b')');
                return Err(ArgError::plain(msg));
            } else {
                candidates.first().copied()
            };
            let Some(li) = chosen else {
                if noerror {
                    parsed.args.push(arg.clone());
                    at += 1;
                    continue;
                }
                let mut msg = b"Unknown option '".to_vec();
                msg.extend_from_slice(body);
                msg.push(b'\'');
                return Err(ArgError::help(msg));
            };
            let oi = parsed.longs[li].opt;
            let rest = body.iter().position(|&b| b == b'=').map_or(&[][..], |p| &body[p..]);
            got_flag(&mut parsed, &mut excludes, &mut stopearly, oi, rest, true, argv, at, &mut consumed_next)?;
            at += 1 + usize::from(consumed_next);
            continue;
        }
        // -abc
        let saved = parsed.flags;
        let mut rest: &[u8] = &arg[1..];
        while let Some(&c) = rest.first() {
            let found =
                parsed.opts.iter().position(|o| o.c == i32::from(c) && (rest.len() == 1 || (o.flags & (4 | 8)) != 4));
            let Some(oi) = found else {
                if noerror {
                    parsed.flags = saved;
                    parsed.args.push(arg.clone());
                    break;
                }
                let mut msg = b"Unknown option '".to_vec();
                msg.extend_from_slice(rest);
                msg.push(b'\'');
                return Err(ArgError::help(msg));
            };
            let taken = got_flag(
                &mut parsed,
                &mut excludes,
                &mut stopearly,
                oi,
                &rest[1..],
                false,
                argv,
                at,
                &mut consumed_next,
            )?;
            rest = if taken { &[] } else { &rest[1..] };
        }
        at += 1 + usize::from(consumed_next);
    }

    if parsed.args.len() < minargs {
        let s = if minargs > 1 { "s" } else { "" };
        return Err(ArgError::help(format!("Need{} {minargs} argument{s}", if minargs > 1 { "" } else { "s" })));
    }
    if parsed.args.len() > maxargs {
        let s = if maxargs == 1 { "" } else { "s" };
        return Err(ArgError::help(format!("Max {maxargs} argument{s}")));
    }
    if requires != 0 && parsed.flags & requires == 0 {
        let needs: String = parsed.opts.iter().filter(|o| o.flags & 1 != 0).map(|o| o.c as u8 as char).collect();
        let one_of = if needs.len() > 1 { "one of " } else { "" };
        return Err(ArgError::help(format!("Needs {one_of}-{needs}")));
    }
    Ok(parsed)
}

/// Handles one option: `after` is what follows the option character (or `=value` for a long option).
/// Returns true when the rest of the current argument was used as this option's argument.
#[allow(clippy::too_many_arguments)]
fn got_flag(
    parsed: &mut Parsed,
    excludes: &mut u64,
    stopearly: &mut u32,
    oi: usize,
    after: &[u8],
    long: bool,
    argv: &[Vec<u8>],
    at: usize,
    consumed_next: &mut bool,
) -> Result<bool, ArgError> {
    let opt = parsed.opts[oi].clone();
    if parsed.flags & opt.dex[0] != 0 {
        for i in 0..parsed.opts.len() {
            if parsed.flags & opt.dex[0] & (1 << i) != 0 {
                parsed.values[i].clear();
            }
        }
        parsed.flags &= !opt.dex[0];
    }
    parsed.flags |= opt.dex[1];
    *excludes |= opt.dex[2];
    if opt.flags & 2 != 0 {
        *stopearly = 2;
    }
    if parsed.flags & *excludes != 0 {
        let other = (0..parsed.opts.len())
            .find(|&i| i != oi && parsed.flags & (1 << i) != 0 && parsed.flags & parsed.opts[i].dex[2] != 0);
        if let Some(i) = other {
            return Err(ArgError::help(format!(
                "No '{}' with '{}'",
                opt.c as u8 as char, parsed.opts[i].c as u8 as char
            )));
        }
    }
    if opt.kind == b'@' {
        parsed.numbers[oi] += 1;
        return Ok(false);
    }
    if !long && !after.is_empty() && opt.flags & 4 != 0 {
        parsed.values[oi].clear();
        return Ok(false);
    }
    if opt.kind == 0 || (after.is_empty() && opt.flags & 8 != 0) {
        parsed.values[oi].clear();
        return Ok(false);
    }
    let (value, used_rest) = if long && !after.is_empty() {
        (Some(after[1..].to_vec()), true)
    } else if after.is_empty() || long {
        *consumed_next = true;
        (argv.get(at + 1).cloned(), false)
    } else {
        (Some(after.to_vec()), true)
    };
    let Some(value) = value else {
        if opt.c != -1 {
            return Err(ArgError::help(format!("Missing argument to -{}", opt.c as u8 as char)));
        }
        let name = parsed.longs.iter().find(|l| l.opt == oi).map(|l| l.name.clone()).unwrap_or_default();
        let mut msg = b"Missing argument to --".to_vec();
        msg.extend_from_slice(&name);
        return Err(ArgError::help(msg));
    };
    match opt.kind {
        b'*' => parsed.values[oi].push(value),
        b'#' | b'-' => {
            let mut n = atolx(&value)?;
            if opt.kind == b'-' && !value.first().is_some_and(u8::is_ascii_punctuation) {
                n = -n;
            }
            if let Some(low) = opt.low
                && n < low
            {
                return Err(ArgError::help(format!("-{} < {low}", opt.c as u8 as char)));
            }
            if let Some(high) = opt.high
                && n > high
            {
                return Err(ArgError::help(format!("-{} > {high}", opt.c as u8 as char)));
            }
            parsed.numbers[oi] = n;
            parsed.values[oi] = vec![value];
        }
        _ => parsed.values[oi] = vec![value],
    }
    Ok(used_rest)
}

/// toybox's `atolx`: a C integer (decimal, 0x hex, 0 octal) with an optional unit suffix
/// (`c` 1, `w` 2, `b` 512, `k` `m` `g` `t` `p` `e` powers of 1024, or of 1000 followed by `d`).
pub fn atolx(text: &[u8]) -> Result<i64, ArgError> {
    let not_integer = || {
        let mut msg = b"not integer: ".to_vec();
        msg.extend_from_slice(text);
        ArgError::plain(msg)
    };
    let (value, used) = strtoll(text).ok_or_else(|| {
        let mut msg = text.to_vec();
        msg.extend_from_slice(b": Numerical result out of range");
        ArgError::plain(msg)
    })?;
    let mut value = value;
    let mut c = used;
    if used > 0
        && let Some(&s) = text.get(c)
        && let Some(idx) = b"cwbkmgtpe".iter().position(|&u| u == s.to_ascii_lowercase())
    {
        let shift = idx as i64 - 2;
        c += 1;
        if shift == -1 {
            value = value.wrapping_mul(2);
        } else if shift == 0 {
            value = value.wrapping_mul(512);
        } else if shift > 0 {
            if text.get(c).is_some_and(|b| b.eq_ignore_ascii_case(&b'd')) {
                c += 1;
                for _ in 0..shift {
                    value = value.wrapping_mul(1000);
                }
            } else {
                value = value.wrapping_mul(1 << (shift * 10));
            }
        }
    }
    while text.get(c).is_some_and(u8::is_ascii_whitespace) {
        c += 1;
    }
    if used == 0 || c != text.len() {
        return Err(not_integer());
    }
    Ok(value)
}

/// C's `strtoll(text, &end, 0)`: the value and how many bytes it used (0 when none), or None on overflow.
pub fn strtoll(text: &[u8]) -> Option<(i64, usize)> {
    let mut i = 0;
    while text.get(i).is_some_and(|b| b" \t\n\r\x0b\x0c".contains(b)) {
        i += 1;
    }
    let negative = match text.get(i) {
        Some(b'-') => {
            i += 1;
            true
        }
        Some(b'+') => {
            i += 1;
            false
        }
        _ => false,
    };
    let (base, mut j) = if text.get(i) == Some(&b'0') && matches!(text.get(i + 1), Some(b'x' | b'X')) {
        if text.get(i + 2).is_some_and(u8::is_ascii_hexdigit) { (16, i + 2) } else { (8, i) }
    } else if text.get(i) == Some(&b'0') {
        (8, i)
    } else {
        (10, i)
    };
    let start = j;
    let mut value: i128 = 0;
    let mut overflow = false;
    while let Some(d) = text.get(j).and_then(|&b| (b as char).to_digit(base)) {
        value = value * i128::from(base) + i128::from(d);
        if value > i128::from(i64::MAX) + 1 {
            overflow = true;
            value = i128::from(i64::MAX) + 1;
        }
        j += 1;
    }
    if j == start {
        return Some((0, 0));
    }
    let value = if negative { -value } else { value };
    if overflow || value > i128::from(i64::MAX) || value < i128::from(i64::MIN) {
        return None;
    }
    Some((value as i64, j))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(words: &[&str]) -> Vec<Vec<u8>> {
        words.iter().map(|w| w.as_bytes().to_vec()).collect()
    }

    #[test]
    fn unknown_options_report_the_rest_of_the_word() {
        let err = parse("<1c:(format)fLt", &argv(&["-zq", "x"])).expect_err("unknown");
        assert_eq!(err, ArgError::help(b"Unknown option 'zq'".to_vec()));
        let err = parse("<1c:(format)fLt", &argv(&["--nope"])).expect_err("unknown");
        assert_eq!(err.msg, b"Unknown option 'nope'");
    }

    #[test]
    fn option_arguments_attach_or_follow_and_long_names_abbreviate() {
        let p = parse("<1c:(format)fLt", &argv(&["-c%s", "a", "--form", "%n", "b"])).expect("parse");
        assert_eq!(p.value(b'c'), Some(&b"%n"[..]));
        assert_eq!(p.args, argv(&["a", "b"]));
        let p = parse("?n(lines)#<0=10c(bytes)#<0qv[-nc]", &argv(&["-c", "5", "f"])).expect("parse");
        assert!(p.has(b'c') && !p.has(b'n'));
        assert_eq!(p.number(b'c'), 5);
        assert_eq!(p.number(b'n'), 10);
        let err = parse("?n(lines)#<0=10c(bytes)#<0qv[-nc]", &argv(&["-c"])).expect_err("missing");
        assert_eq!(err.msg, b"Missing argument to -c");
    }

    #[test]
    fn counts_exclusions_and_argument_limits_match_toybox() {
        let p = parse(
            "ZgoACFHLNRSabcdfhikl@mnpqrstuw#=80<0x1[-Cxm1][-Cxml][-Cxmo][-Cxmg][-cu][-ftS][-HL][-Nqb]",
            &argv(&["-ll"]),
        )
        .expect("parse");
        assert_eq!(p.number(b'l'), 2);
        assert_eq!(p.number(b'w'), 80);
        let err = parse("<1acd:fmr:t:h[!dtr]", &argv(&["-d", "x", "-t", "y", "f"])).expect_err("excl");
        assert_eq!(err.msg, b"No 't' with 'd'");
        assert_eq!(parse("<1", &[]).expect_err("need").msg, b"Needs 1 argument");
        assert_eq!(parse(">1nGgru", &argv(&["a", "b"])).expect_err("max").msg, b"Max 1 argument");
        assert_eq!(atolx(b"1k").expect("k"), 1024);
        assert_eq!(atolx(b"x").expect_err("bad").msg, b"not integer: x");
    }
}
