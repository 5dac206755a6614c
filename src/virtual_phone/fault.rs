//! Faults the virtual phone can be told to show, as given on the command line (`--fault SPEC`) or injected
//! into a running phone by a test.

use std::path::PathBuf;
use std::time::Duration;

/// One fault. Randomness in a fault comes from the phone's seed, so a run can be repeated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// The cable is pulled once `after_bytes` more bytes have crossed it (either way), or at a random point
    /// within `random_within` bytes. Every connection drops; for `offline` the phone refuses connections
    /// (as an unplugged phone does), then comes back and waits to be connected again.
    CablePull {
        /// When the cable goes.
        at: PullPoint,
        /// How long the phone stays away.
        offline: Duration,
    },
    /// Writes fail with "No space left on device" once this many more bytes have been written.
    StorageFull {
        /// Bytes still accepted.
        after_bytes: u64,
    },
    /// Every write fails with "Read-only file system".
    ReadOnly,
    /// This file (a phone path) is deleted just before the first attempt to read it.
    Vanish(PathBuf),
    /// Reading this file (a phone path) fails with "Permission denied".
    Unreadable(PathBuf),
    /// The phone speaks sync v1 only: no `stat_v2`, `ls_v2` or `sendrecv_v2` in its banner, and the v2
    /// requests fail.
    SyncV1Only,
    /// Every packet leaves the phone in TCP writes of at most this many bytes.
    TinyWrites(usize),
    /// The phone takes this long before each answer to the host.
    Slow(Duration),
    /// The media provider refuses the shell's `content update` (a `SecurityException`, "Permission Denial"),
    /// so the phone's trash cannot be used over ADB.
    MediaWriteRefused,
    /// The shell has lost a provider's permission (`deny:contacts`: `READ_CONTACTS` and `WRITE_CONTACTS`;
    /// `deny:sms`: `READ_SMS`; `deny:calls`: `READ_CALL_LOG`): the provider answers with a `SecurityException`,
    /// "Permission Denial".
    Deny(DeniedProvider),
}

/// A provider whose permission the shell can lose.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeniedProvider {
    /// `com.android.contacts`.
    Contacts,
    /// `sms` (and `mms`).
    Sms,
    /// `call_log`.
    Calls,
}

/// When a cable pull happens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PullPoint {
    /// After exactly this many more bytes.
    AfterBytes(u64),
    /// After a seeded random number of bytes below this bound.
    RandomWithin(u64),
}

const DEFAULT_OFFLINE: Duration = Duration::from_millis(1500);

impl std::str::FromStr for Fault {
    type Err = String;

    /// Parses `cable-pull:after=BYTES[,offline=MS]`, `cable-pull:random[=BYTES][,offline=MS]`,
    /// `storage-full:after=BYTES`, `read-only`, `vanish:PATH`, `unreadable:PATH`, `sync-v1`,
    /// `tiny-writes[:BYTES]`, `slow:MS`, `media-write-refused` and `deny:contacts|sms|calls`.
    fn from_str(spec: &str) -> Result<Self, String> {
        let (name, args) = spec.split_once(':').unwrap_or((spec, ""));
        let kv = |key: &str| -> Result<Option<u64>, String> {
            for part in args.split(',').filter(|p| !p.is_empty()) {
                let (k, v) = part.split_once('=').unwrap_or((part, ""));
                if k == key {
                    if v.is_empty() {
                        return Ok(Some(u64::MAX));
                    }
                    return parse_bytes(v).map(Some).ok_or_else(|| format!("{spec}: {v:?} is not a number"));
                }
            }
            Ok(None)
        };
        let path_arg = || -> Result<PathBuf, String> {
            if args.starts_with('/') {
                Ok(PathBuf::from(args))
            } else {
                Err(format!("{spec}: give an absolute phone path"))
            }
        };
        Ok(match name {
            "cable-pull" => {
                let offline = kv("offline")?.map_or(DEFAULT_OFFLINE, Duration::from_millis);
                let at = match (kv("after")?, kv("random")?) {
                    (Some(n), None) if n != u64::MAX => PullPoint::AfterBytes(n),
                    (None, Some(n)) => PullPoint::RandomWithin(if n == u64::MAX { 64 << 20 } else { n }),
                    _ => return Err(format!("{spec}: say after=BYTES or random[=BYTES]")),
                };
                Fault::CablePull { at, offline }
            }
            "storage-full" => match kv("after")? {
                Some(n) if n != u64::MAX => Fault::StorageFull { after_bytes: n },
                _ => return Err(format!("{spec}: say after=BYTES")),
            },
            "read-only" => Fault::ReadOnly,
            "vanish" => Fault::Vanish(path_arg()?),
            "unreadable" => Fault::Unreadable(path_arg()?),
            "sync-v1" => Fault::SyncV1Only,
            "tiny-writes" => Fault::TinyWrites(if args.is_empty() {
                7
            } else {
                parse_bytes(args).ok_or(format!("{spec}: bad size"))? as usize
            }),
            "media-write-refused" => Fault::MediaWriteRefused,
            "deny" => match args {
                "contacts" => Fault::Deny(DeniedProvider::Contacts),
                "sms" => Fault::Deny(DeniedProvider::Sms),
                "calls" => Fault::Deny(DeniedProvider::Calls),
                _ => return Err(format!("{spec}: say deny:contacts, deny:sms or deny:calls")),
            },
            "slow" => Fault::Slow(Duration::from_millis(args.parse().map_err(|_| format!("{spec}: say slow:MS"))?)),
            _ => {
                return Err(format!(
                    "unknown fault {name:?}: use cable-pull, storage-full, read-only, vanish, unreadable, sync-v1, tiny-writes, slow, \
                     media-write-refused or deny"
                ));
            }
        })
    }
}

/// Parses a byte count with an optional K, M or G suffix (powers of 1024).
#[must_use]
pub fn parse_bytes(text: &str) -> Option<u64> {
    let text = text.trim();
    let (digits, mult) = match text.as_bytes().last()? {
        b'K' | b'k' => (&text[..text.len() - 1], 1u64 << 10),
        b'M' | b'm' => (&text[..text.len() - 1], 1 << 20),
        b'G' | b'g' => (&text[..text.len() - 1], 1 << 30),
        _ => (text, 1),
    };
    digits.parse::<u64>().ok()?.checked_mul(mult)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fault_specs_parse_as_documented() {
        assert_eq!(
            "cable-pull:after=1M".parse(),
            Ok(Fault::CablePull { at: PullPoint::AfterBytes(1 << 20), offline: DEFAULT_OFFLINE })
        );
        assert_eq!(
            "cable-pull:random=1000,offline=10".parse(),
            Ok(Fault::CablePull { at: PullPoint::RandomWithin(1000), offline: Duration::from_millis(10) })
        );
        assert_eq!("storage-full:after=5".parse(), Ok(Fault::StorageFull { after_bytes: 5 }));
        assert_eq!("vanish:/sdcard/a.jpg".parse(), Ok(Fault::Vanish(PathBuf::from("/sdcard/a.jpg"))));
        assert_eq!("tiny-writes".parse(), Ok(Fault::TinyWrites(7)));
        assert_eq!("slow:20".parse(), Ok(Fault::Slow(Duration::from_millis(20))));
        assert_eq!("media-write-refused".parse(), Ok(Fault::MediaWriteRefused));
        assert_eq!("deny:contacts".parse(), Ok(Fault::Deny(DeniedProvider::Contacts)));
        assert_eq!("deny:sms".parse(), Ok(Fault::Deny(DeniedProvider::Sms)));
        assert_eq!("deny:calls".parse(), Ok(Fault::Deny(DeniedProvider::Calls)));
        assert!("deny:calendar".parse::<Fault>().is_err());
        assert!("cable-pull".parse::<Fault>().is_err());
        assert!("unreadable:relative".parse::<Fault>().is_err());
        assert!("melt".parse::<Fault>().is_err());
    }
}
