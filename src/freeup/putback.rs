//! "Put them back": what earlier free-ups removed from a phone, read from the backup folder's free-up journal,
//! so that a restore can bring exactly those photos back (with their dates, into the gallery).

use super::{FreeUpError, FreedLine, journal_path};
use crate::vault::Vault;
use std::collections::BTreeMap;
use std::path::Path;

/// A file an earlier free-up removed (or was removing when it was cut: a restore skips it if it is still there).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Freed {
    /// Where it was on the phone.
    pub phone_path: Vec<u8>,
    /// Its copy in the backup folder.
    pub local_path: Vec<u8>,
    /// Size in bytes.
    pub size: u64,
    /// When the free-up took it (seconds since 1970).
    pub at: i64,
}

/// Every file the free-ups of phone `serial` took from it, as the journal in `dest` says, oldest first (a file
/// freed, put back and freed again appears twice).
///
/// # Errors
/// [`FreeUpError::Journal`] when the journal cannot be read or a line of it cannot be understood.
pub fn freed(dest: &Path, serial: &str, vault: Option<&Vault>) -> Result<Vec<Freed>, FreeUpError> {
    let path = journal_path(dest, serial, vault);
    let fail = |e: std::io::Error| FreeUpError::Journal { path: path.clone(), source: e };
    let text = match std::fs::read(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(fail(e)),
    };
    let mut out = Vec::new();
    let lines: Vec<&[u8]> = text.split(|&b| b == b'\n').filter(|l| !l.is_empty()).collect();
    let last = lines.len().saturating_sub(1);
    for (i, line) in lines.into_iter().enumerate() {
        let json = match vault {
            Some(v) => {
                let sealed = std::str::from_utf8(line)
                    .ok()
                    .and_then(crate::backup::manifest::unhex)
                    .ok_or_else(|| fail(std::io::Error::other(format!("line {} is not a sealed record", i + 1))));
                match sealed.and_then(|s| v.unseal(&s, &path).map_err(|e| fail(std::io::Error::other(e)))) {
                    Ok(json) => json,
                    // The last line may be cut short by a pulled cable or a full disk: what it would have said
                    // was not done yet.
                    Err(_) if i == last => break,
                    Err(e) => return Err(e),
                }
            }
            None => line.to_vec(),
        };
        match serde_json::from_slice::<FreedLine>(&json) {
            Ok(FreedLine::Removing { phone_path, local_path, size, at, .. }) => {
                out.push(Freed { phone_path: phone_path.0, local_path: local_path.0, size, at });
            }
            Ok(FreedLine::Removed { .. }) => {}
            Err(_) if i == last => break,
            Err(e) => {
                return Err(fail(std::io::Error::other(format!("line {} is not a free-up record ({e})", i + 1))));
            }
        }
    }
    Ok(out)
}

/// The days (as [`crate::human::date`] writes them, in the local time zone) on which free-ups took files, with
/// how many files and bytes, oldest first.
#[must_use]
pub fn days(freed: &[Freed]) -> BTreeMap<String, (usize, u64)> {
    let mut days: BTreeMap<String, (usize, u64)> = BTreeMap::new();
    for f in freed {
        let day = days.entry(crate::human::date(f.at)).or_default();
        day.0 += 1;
        day.1 += f.size;
    }
    days
}

/// The files of `freed` taken on `day` (`YYYY-MM-DD`, local time; `last`: the day of the latest free-up).
#[must_use]
pub fn freed_on<'a>(freed: &'a [Freed], day: &str) -> Vec<&'a Freed> {
    let day = if day == "last" {
        match freed.iter().map(|f| f.at).max() {
            Some(at) => crate::human::date(at),
            None => return Vec::new(),
        }
    } else {
        day.to_string()
    };
    freed.iter().filter(|f| crate::human::date(f.at) == day).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backup::manifest::Bytes;

    fn removing(name: &str, at: i64) -> FreedLine {
        FreedLine::Removing {
            phone_path: Bytes(format!("/storage/emulated/0/DCIM/{name}").into_bytes()),
            local_path: Bytes(format!("P (1)/DCIM/{name}").into_bytes()),
            sha256: "ab".repeat(32),
            size: 10,
            mtime: 1,
            at,
            trash: false,
        }
    }

    fn write(dest: &Path, lines: &[FreedLine], tail: &[u8]) {
        let path = journal_path(dest, "S1", None);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("state dir");
        let mut text = Vec::new();
        for line in lines {
            text.extend(serde_json::to_vec(line).expect("json"));
            text.push(b'\n');
        }
        text.extend_from_slice(tail);
        std::fs::write(path, text).expect("journal");
    }

    #[test]
    fn the_journal_gives_each_freed_file_by_day_and_a_cut_last_line_is_ignored() {
        let dir = tempfile::tempdir().expect("tempdir");
        assert_eq!(freed(dir.path(), "S1", None).expect("no journal"), Vec::new());
        let day1 = crate::human::parse_date("2026-03-01").expect("date") + 3600;
        let day2 = crate::human::parse_date("2026-03-04").expect("date") + 7200;
        write(
            dir.path(),
            &[
                removing("a.jpg", day1),
                FreedLine::Removed {
                    phone_path: Bytes(b"/storage/emulated/0/DCIM/a.jpg".to_vec()),
                    at: day1,
                    trash: false,
                },
                removing("b.jpg", day2),
                removing("c.jpg", day2),
            ],
            b"{\"event\":\"remov",
        );
        let all = freed(dir.path(), "S1", None).expect("journal");
        assert_eq!(all.len(), 3);
        assert_eq!(all[0].local_path, b"P (1)/DCIM/a.jpg");
        let names =
            |v: Vec<&Freed>| v.iter().map(|f| String::from_utf8_lossy(&f.phone_path).into_owned()).collect::<Vec<_>>();
        assert_eq!(names(freed_on(&all, "2026-03-01")), vec!["/storage/emulated/0/DCIM/a.jpg"]);
        assert_eq!(freed_on(&all, "last").len(), 2);
        assert!(freed_on(&all, "2026-03-02").is_empty());
        let by_day = days(&all);
        assert_eq!(by_day.get("2026-03-04"), Some(&(2, 20)));
    }

    #[test]
    fn a_damaged_line_before_the_last_is_an_error_not_a_silent_gap() {
        let dir = tempfile::tempdir().expect("tempdir");
        write(dir.path(), &[removing("a.jpg", 5)], b"garbage\n");
        let path = journal_path(dir.path(), "S1", None);
        let mut text = std::fs::read(&path).expect("read");
        text.extend(serde_json::to_vec(&removing("b.jpg", 6)).expect("json"));
        text.push(b'\n');
        std::fs::write(&path, text).expect("write");
        assert!(matches!(freed(dir.path(), "S1", None), Err(FreeUpError::Journal { .. })));
    }
}
