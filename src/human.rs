//! Sizes and dates for people: `1.5 MB`, `2024-05-31`. Dates are in the computer's local time zone (jiff reads
//! it from `TZ`, `/etc/localtime` and `/usr/share/zoneinfo`), so that a day is the day people lived it; a phone's
//! times stay plain seconds since 1970 everywhere else (the manifest, the CLI's `--json`).
//!
//! A thread can show another zone ([`set_thread_time_zone`], [`with_time_zone`]): the tests pin one, so that
//! what they read on screen does not depend on the machine's zone, without touching other tests' threads.

use jiff::Timestamp;
use jiff::civil::DateTime;
use jiff::tz::TimeZone;
use std::cell::RefCell;

thread_local! {
    /// This thread's zone instead of the system's, when set.
    static THREAD_ZONE: RefCell<Option<TimeZone>> = const { RefCell::new(None) };
}

/// Makes dates on this thread use `zone` (`None`: the computer's zone again). Returns the zone set before.
#[allow(clippy::must_use_candidate)] // Callers may set a zone without caring which was set before.
pub fn set_thread_time_zone(zone: Option<TimeZone>) -> Option<TimeZone> {
    THREAD_ZONE.with(|z| z.replace(zone))
}

/// Runs `f` with dates on this thread in `zone`, then puts back the zone set before (also when `f` panics).
pub fn with_time_zone<T>(zone: TimeZone, f: impl FnOnce() -> T) -> T {
    struct Restore(Option<TimeZone>);
    impl Drop for Restore {
        fn drop(&mut self) {
            set_thread_time_zone(self.0.take());
        }
    }
    let _restore = Restore(set_thread_time_zone(Some(zone)));
    f()
}

/// The zone dates are shown in on this thread: its own when set, else the computer's (UTC when the computer
/// does not say; jiff caches the system's zone and looks again every few minutes).
#[must_use]
pub fn time_zone() -> TimeZone {
    THREAD_ZONE.with(|z| z.borrow().clone()).unwrap_or_else(TimeZone::system)
}

/// A time (seconds since 1970) on this thread's local clock; a time beyond the years ±9999 is shown as the
/// first or last second jiff can hold.
fn local(secs: i64) -> DateTime {
    let at = Timestamp::from_second(secs).unwrap_or(if secs < 0 { Timestamp::MIN } else { Timestamp::MAX });
    time_zone().to_datetime(at)
}

/// The time (seconds since 1970) a local clock reading stands for in this thread's zone (a reading in a DST
/// gap or fold resolved as most software does: jiff's "compatible"). `None` beyond the years ±9999.
#[must_use]
pub fn local_to_secs(clock: DateTime) -> Option<i64> {
    time_zone().to_timestamp(clock).ok().map(Timestamp::as_second)
}

/// A size for people: `1.5 MB` (decimal units, as phones and file managers show them).
#[must_use]
pub fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["kB", "MB", "GB", "TB", "PB"];
    if bytes < 1000 {
        return format!("{bytes} B");
    }
    let mut value = bytes as f64 / 1000.0;
    let mut unit = 0;
    while value >= 1000.0 && unit < UNITS.len() - 1 {
        value /= 1000.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

/// A time (seconds since 1970) as a local date, `2024-05-31`.
#[must_use]
pub fn date(secs: i64) -> String {
    let d = local(secs);
    format!("{:04}-{:02}-{:02}", d.year(), d.month(), d.day())
}

/// A time (seconds since 1970) as a local date and time, `2024-05-31 14:03`.
#[must_use]
pub fn date_time(secs: i64) -> String {
    let d = local(secs);
    format!("{:04}-{:02}-{:02} {:02}:{:02}", d.year(), d.month(), d.day(), d.hour(), d.minute())
}

/// Parses `YYYY-MM-DD` into the first second of that local day, for `--since` and `--until`.
pub fn parse_date(text: &str) -> Result<i64, String> {
    let bad = || format!("{text:?} is not a date: write it as YYYY-MM-DD, for example 2024-05-31");
    let mut parts = text.trim().split('-');
    let (Some(y), Some(m), Some(d), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
        return Err(bad());
    };
    if y.len() != 4 || m.len() != 2 || d.len() != 2 {
        return Err(bad());
    }
    let (Ok(year), Ok(month), Ok(day)) = (y.parse::<i16>(), m.parse::<i8>(), d.parse::<i8>()) else {
        return Err(bad());
    };
    let day = jiff::civil::Date::new(year, month, day).map_err(|_| bad())?;
    // Midnight; where a DST change skips midnight, the first moment after the gap (jiff's "compatible" choice).
    day.to_zoned(time_zone()).map(|z| z.timestamp().as_second()).map_err(|_| bad())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(text: &str) -> i64 {
        text.parse::<Timestamp>().expect("a timestamp").as_second()
    }

    fn plus_9() -> TimeZone {
        TimeZone::fixed(jiff::tz::offset(9))
    }

    /// Central Europe with its DST rule as a POSIX TZ string (no tzdata needed).
    fn central_europe() -> TimeZone {
        TimeZone::posix("CET-1CEST,M3.5.0,M10.5.0/3").expect("a POSIX zone")
    }

    #[test]
    fn an_evening_in_utc_is_the_next_morning_in_utc_plus_9() {
        let t = utc("2024-05-31T20:00:00Z");
        with_time_zone(TimeZone::UTC, || {
            assert_eq!(date(t), "2024-05-31");
            assert_eq!(date_time(t), "2024-05-31 20:00", "no \"UTC\" suffix any more");
        });
        with_time_zone(plus_9(), || {
            assert_eq!(date(t), "2024-06-01");
            assert_eq!(date_time(t), "2024-06-01 05:00");
        });
    }

    #[test]
    fn parse_date_gives_the_first_second_of_the_local_day() {
        with_time_zone(plus_9(), || {
            let start = parse_date("2024-06-01").expect("a date");
            assert_eq!(start, utc("2024-05-31T15:00:00Z"));
            assert_eq!(date(start), "2024-06-01");
            assert_eq!(date(start - 1), "2024-05-31", "the second before is the day before");
            assert_eq!(parse_date("2024-02-29").map(date), Ok("2024-02-29".to_string()));
            assert!(parse_date("2023-02-29").is_err());
        });
        with_time_zone(TimeZone::UTC, || assert_eq!(parse_date("1970-01-01"), Ok(0)));
    }

    #[test]
    fn dates_follow_daylight_saving_time() {
        with_time_zone(central_europe(), || {
            assert_eq!(date_time(utc("2024-01-15T22:30:00Z")), "2024-01-15 23:30", "winter: UTC+1");
            assert_eq!(date_time(utc("2024-07-15T22:30:00Z")), "2024-07-16 00:30", "summer: UTC+2, the next day");
            // The night the clocks go forward: 02:00 becomes 03:00.
            assert_eq!(date_time(utc("2024-03-31T00:59:00Z")), "2024-03-31 01:59");
            assert_eq!(date_time(utc("2024-03-31T01:00:00Z")), "2024-03-31 03:00");
            assert_eq!(parse_date("2024-07-16"), Ok(utc("2024-07-15T22:00:00Z")));
            let clock = jiff::civil::date(2024, 7, 16).at(0, 30, 0, 0);
            assert_eq!(local_to_secs(clock), Some(utc("2024-07-15T22:30:00Z")));
        });
        // Where DST starts at midnight, the day's first second is 01:00.
        let midnight_change = TimeZone::posix("<-03>3<-02>,M10.3.0/0,M2.3.0/0").expect("a POSIX zone");
        with_time_zone(midnight_change, || {
            let start = parse_date("2024-10-20").expect("a date");
            assert_eq!(date_time(start), "2024-10-20 01:00");
            assert_eq!(date(start - 1), "2024-10-19");
        });
    }

    #[test]
    fn a_thread_zone_stays_on_its_thread_and_is_put_back() {
        let t = utc("2024-05-31T20:00:00Z");
        set_thread_time_zone(Some(TimeZone::UTC));
        with_time_zone(plus_9(), || {
            assert_eq!(date(t), "2024-06-01");
            let other = std::thread::spawn(move || with_time_zone(TimeZone::UTC, || date(t)));
            assert_eq!(other.join().expect("thread"), "2024-05-31", "another thread's zone is its own");
            assert_eq!(date(t), "2024-06-01", "and does not change this one's");
        });
        assert_eq!(date(t), "2024-05-31", "the zone set before is back");
        assert_eq!(set_thread_time_zone(None), Some(TimeZone::UTC));
    }

    #[test]
    fn times_beyond_the_calendar_do_not_panic() {
        with_time_zone(TimeZone::UTC, || {
            assert!(date(i64::MAX).starts_with("9999-12-3"), "{}", date(i64::MAX));
            assert!(date(i64::MIN).starts_with("-9999-"), "{}", date(i64::MIN));
        });
    }
}
