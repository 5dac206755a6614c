//! The USB link model: bandwidth each way and a latency for every turnaround.

use std::time::{Duration, Instant};

/// A USB link's speed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkModel {
    /// USB 2.0 as adb sees it: 37 MB/s each way, 0.25 ms per turnaround.
    Usb2,
    /// USB 3.0: 120 MB/s each way, 0.1 ms per turnaround.
    Usb3,
    /// No limit but the machine's.
    Unlimited,
}

impl LinkModel {
    /// Bytes per second each way, or `None` for no limit.
    #[must_use]
    pub fn bytes_per_sec(self) -> Option<u64> {
        match self {
            Self::Usb2 => Some(37_000_000),
            Self::Usb3 => Some(120_000_000),
            Self::Unlimited => None,
        }
    }

    /// The time the host waits whenever it must hear from the device before it can go on.
    #[must_use]
    pub fn turnaround(self) -> Duration {
        match self {
            Self::Usb2 => Duration::from_micros(250),
            Self::Usb3 => Duration::from_micros(100),
            Self::Unlimited => Duration::ZERO,
        }
    }
}

impl std::str::FromStr for LinkModel {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "usb2" => Ok(Self::Usb2),
            "usb3" => Ok(Self::Usb3),
            "unlimited" => Ok(Self::Unlimited),
            _ => Err(format!("unknown link {s:?}: use usb2, usb3 or unlimited")),
        }
    }
}

/// One direction of the cable: a virtual clock that says when the next byte may leave.
#[derive(Debug)]
pub struct Pacer {
    bytes_per_sec: Option<u64>,
    /// When the wire is next free.
    free_at: Instant,
}

impl Pacer {
    /// A pacer for one direction of `link`.
    #[must_use]
    pub fn new(link: LinkModel) -> Self {
        Self { bytes_per_sec: link.bytes_per_sec(), free_at: Instant::now() }
    }

    /// Waits until `bytes` (sent after `extra` delay) have crossed the wire at the link's speed.
    pub fn pace(&mut self, bytes: usize, extra: Duration) {
        let Some(rate) = self.bytes_per_sec else {
            if !extra.is_zero() {
                std::thread::sleep(extra);
            }
            return;
        };
        let now = Instant::now();
        let start = self.free_at.max(now) + extra;
        self.free_at = start + Duration::from_nanos(bytes as u64 * 1_000_000_000 / rate);
        // Sleep only when ahead by a useful amount: the clock keeps the average exact.
        let ahead = self.free_at.saturating_duration_since(Instant::now());
        if ahead > Duration::from_micros(200) {
            std::thread::sleep(ahead);
        }
    }
}
