//! Dates as toybox prints and parses them. The phone's time zone is UTC.

use super::fsys::Ts;

/// Days since 1970-01-01 of a civil date.
pub(crate) fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date of a day count.
pub(crate) fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Broken-down UTC time: year, month, day, hour, minute, second.
pub(crate) fn broken_down(sec: i64) -> (i64, i64, i64, i64, i64, i64) {
    let days = sec.div_euclid(86_400);
    let rem = sec.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    (y, m, d, rem / 3600, rem % 3600 / 60, rem % 60)
}

/// `strftime("%F %H:%M")`.
pub(crate) fn ymd_hm(sec: i64) -> String {
    let (year, month, day, hour, min, _) = broken_down(sec);
    format!("{year:04}-{month:02}-{day:02} {hour:02}:{min:02}")
}

/// toybox's `format_iso_time`: `2024-01-02 03:04:05.123456789 +0000`.
pub(crate) fn iso(ts: Ts) -> String {
    let (year, month, day, hour, min, sec) = broken_down(ts.sec);
    format!("{year:04}-{month:02}-{day:02} {hour:02}:{min:02}:{sec:02}.{:09} +0000", ts.nsec)
}

/// The current time.
pub(crate) fn now() -> Ts {
    match std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH) {
        Ok(d) => Ts { sec: d.as_secs() as i64, nsec: i64::from(d.subsec_nanos()) },
        Err(_) => Ts::default(),
    }
}

/// A cursor over a date string, parsing as glibc's `strptime` does the fields toybox asks for.
struct Scan<'a> {
    s: &'a [u8],
    i: usize,
}

impl Scan<'_> {
    fn spaces(&mut self) {
        while self.s.get(self.i).is_some_and(u8::is_ascii_whitespace) {
            self.i += 1;
        }
    }

    /// A number of at most `digits` digits in `lo..=hi` (leading spaces allowed, as strptime does).
    fn num(&mut self, digits: usize, lo: i64, hi: i64) -> Option<i64> {
        self.spaces();
        let start = self.i;
        let mut v = 0i64;
        while self.i - start < digits && self.s.get(self.i).is_some_and(u8::is_ascii_digit) {
            v = v * 10 + i64::from(self.s[self.i] - b'0');
            self.i += 1;
        }
        (self.i > start && (lo..=hi).contains(&v)).then_some(v)
    }

    fn lit(&mut self, c: u8) -> Option<()> {
        if c == b' ' {
            self.spaces();
            return Some(());
        }
        (self.s.get(self.i) == Some(&c)).then(|| self.i += 1)
    }
}

#[derive(Clone, Copy)]
struct Tm {
    year: i64,
    mon: i64,
    mday: i64,
    hour: i64,
    min: i64,
    sec: i64,
}

/// Applies one strptime format; returns where parsing stopped.
fn strptime(text: &[u8], format: &str, tm: &mut Tm) -> Option<usize> {
    let mut scan = Scan { s: text, i: 0 };
    let f = format.as_bytes();
    let mut century: Option<i64> = None;
    let mut short_year: Option<i64> = None;
    let mut k = 0;
    while k < f.len() {
        if f[k] != b'%' {
            scan.lit(f[k])?;
            k += 1;
            continue;
        }
        k += 1;
        match f.get(k)? {
            b'Y' => tm.year = scan.num(4, 0, 9999)?,
            b'm' => tm.mon = scan.num(2, 1, 12)?,
            b'd' | b'e' => tm.mday = scan.num(2, 1, 31)?,
            b'H' => tm.hour = scan.num(2, 0, 23)?,
            b'M' => tm.min = scan.num(2, 0, 59)?,
            b'S' => tm.sec = scan.num(2, 0, 61)?,
            b'T' => {
                tm.hour = scan.num(2, 0, 23)?;
                scan.lit(b':')?;
                tm.min = scan.num(2, 0, 59)?;
                scan.lit(b':')?;
                tm.sec = scan.num(2, 0, 61)?;
            }
            b'y' => short_year = Some(scan.num(2, 0, 99)?),
            b'C' => century = Some(scan.num(2, 0, 99)?),
            _ => return None,
        }
        k += 1;
    }
    match (century, short_year) {
        (Some(cc), Some(yy)) => tm.year = cc * 100 + yy,
        (None, Some(yy)) => tm.year = if yy < 69 { 2000 + yy } else { 1900 + yy },
        (Some(cc), None) => tm.year = cc * 100,
        (None, None) => {}
    }
    Some(scan.i)
}

/// toybox's `xparsedate` (as `touch -d`/`-t` use it): `@UNIX[.FRAC]`, ISO dates and times, the touch
/// `[[CC]YY]MMDDhhmm[.ss]` digits, fractions of a second and `Z`/`+HH:MM` zones. None means "bad date".
pub(crate) fn parse_date(text: &[u8], now: i64) -> Option<Ts> {
    if text.first() == Some(&b'@') {
        let (sec, used) = super::args::strtoll(&text[1..])?;
        if used > 0 {
            let mut p = 1 + used;
            let mut nano = 0i64;
            if text.get(p) == Some(&b'.') {
                p += 1;
                for _ in 0..9 {
                    nano *= 10;
                    if let Some(d) = text.get(p).filter(|b| b.is_ascii_digit()) {
                        nano += i64::from(d - b'0');
                        p += 1;
                    }
                }
            }
            return (p == text.len()).then_some(Ts { sec, nsec: nano });
        }
    }
    let formats = [
        "%Y-%m-%d %T",
        "%Y-%m-%dT%T",
        "%H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%d",
        "%H:%M",
        "%m%d%H%M",
        "%y%m%d%H%M",
        "%C%y%m%d%H%M",
    ];
    let (year, mon, mday, _, _, _) = broken_down(now);
    for (i, format) in formats.iter().enumerate() {
        let mut tm = Tm { year, mon, mday, hour: 0, min: 0, sec: 0 };
        let Some(mut p) = strptime(text, format, &mut tm) else { continue };
        let mut nano = 0i64;
        if text.get(p) == Some(&b'.') {
            p += 1;
            // Formats without seconds take them after the dot.
            if i > 1 {
                let start = p;
                let mut secs = 0;
                while p - start < 2 && text.get(p).is_some_and(u8::is_ascii_digit) {
                    secs = secs * 10 + i64::from(text[p] - b'0');
                    p += 1;
                }
                if p > start {
                    tm.sec = secs;
                }
            }
            for _ in 0..9 {
                nano *= 10;
                if let Some(d) = text.get(p).filter(|b| b.is_ascii_digit()) {
                    nano += i64::from(d - b'0');
                    p += 1;
                }
            }
        }
        while text.get(p).is_some_and(u8::is_ascii_whitespace) {
            p += 1;
        }
        let mut offset = 0i64;
        if let Some(&sign) = text.get(p).filter(|c| b"Z+-".contains(c)) {
            p += 1;
            if sign != b'Z' {
                let mut scan = Scan { s: text, i: p };
                let Some(first_start) = Some(scan.i) else { continue };
                let Some(mut hh) = scan.num(9, 0, i64::MAX) else { continue };
                let digits = scan.i - first_start;
                let mut mm = 0;
                if digits > 2 {
                    mm = hh % 100;
                    hh /= 100;
                } else if scan.s.get(scan.i) == Some(&b':') {
                    scan.i += 1;
                    mm = scan.num(2, 0, 99).unwrap_or(0);
                }
                offset = (hh * 3600 + mm * 60) * if sign == b'+' { 1 } else { -1 };
                p = scan.i;
            }
        }
        while text.get(p).is_some_and(u8::is_ascii_whitespace) {
            p += 1;
        }
        if p != text.len() {
            continue;
        }
        if tm.sec > 60 || tm.mday < 1 || tm.mday > 31 {
            return None;
        }
        // mktime normalises days past the end of the month.
        let days = days_from_civil(tm.year, tm.mon, 1) + tm.mday - 1;
        let sec = days * 86_400 + tm.hour * 3600 + tm.min * 60 + tm.sec - offset;
        return Some(Ts { sec, nsec: nano });
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates_round_trip() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(civil_from_days(19_723), (2024, 1, 1));
        assert_eq!(ymd_hm(1_700_000_000), "2023-11-14 22:13");
        assert_eq!(iso(Ts { sec: -1, nsec: 5 }), "1969-12-31 23:59:59.000000005 +0000");
    }

    #[test]
    fn touch_dates_parse_like_xparsedate() {
        let now = 1_700_000_000;
        assert_eq!(parse_date(b"2024-01-02 03:04:05", now).map(|t| t.sec), Some(1_704_164_645));
        assert_eq!(parse_date(b"2024-01-02T03:04:05.5Z", now), Some(Ts { sec: 1_704_164_645, nsec: 500_000_000 }));
        assert_eq!(parse_date(b"@1234.5", now), Some(Ts { sec: 1234, nsec: 500_000_000 }));
        assert_eq!(parse_date(b"202401020304.05", now).map(|t| t.sec), Some(1_704_164_645));
        assert_eq!(parse_date(b"2401020304", now).map(|t| t.sec), Some(1_704_164_640));
        assert_eq!(parse_date(b"2024-01-02 03:04:05 +01:00", now).map(|t| t.sec), Some(1_704_164_645 - 3600));
        assert_eq!(parse_date(b"yesterday", now), None);
    }
}
