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
///
/// The rate is the link's effective rate with the device always ready to send, as measured on real phones.
/// Time the wire sat idle because the host was busy (acknowledging, writing to its disk) is credited back up
/// to [`IDLE_CREDIT`], as a real link's raw speed above its effective one would absorb it; the turnaround
/// latency is never credited: an answer never arrives sooner than that after the question.
#[derive(Debug)]
pub struct Pacer {
    bytes_per_sec: Option<u64>,
    /// When the wire is next free.
    free_at: Instant,
}

/// How much idle wire time a send may make up for.
pub const IDLE_CREDIT: Duration = Duration::from_millis(4);

impl Pacer {
    /// A pacer for one direction of `link`.
    #[must_use]
    pub fn new(link: LinkModel) -> Self {
        Self { bytes_per_sec: link.bytes_per_sec(), free_at: Instant::now() }
    }

    /// Waits until `bytes` have crossed the wire at the link's speed, and at least `latency` has passed.
    pub fn pace(&mut self, bytes: usize, latency: Duration) {
        let now = Instant::now();
        let ready_at = now + latency;
        let done_at = match self.bytes_per_sec {
            Some(rate) => {
                let start = self.free_at.max(now.checked_sub(IDLE_CREDIT).unwrap_or(now));
                self.free_at = start + Duration::from_nanos(bytes as u64 * 1_000_000_000 / rate);
                self.free_at.max(ready_at)
            }
            None => ready_at,
        };
        // Sleep only when ahead by a useful amount: the clock keeps the average exact.
        let ahead = done_at.saturating_duration_since(Instant::now());
        if ahead > Duration::from_micros(50) {
            std::thread::sleep(ahead);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usb2_pacing_moves_37_mb_per_second_and_charges_latency() {
        let mut pacer = Pacer::new(LinkModel::Usb2);
        let start = Instant::now();
        for _ in 0..10 {
            pacer.pace(370_000, Duration::ZERO);
        }
        let took = start.elapsed();
        assert!(took >= Duration::from_millis(96) && took < Duration::from_millis(130), "{took:?}");
        let start = Instant::now();
        for _ in 0..20 {
            pacer.pace(10, LinkModel::Usb2.turnaround());
        }
        assert!(start.elapsed() >= Duration::from_millis(5), "{:?}", start.elapsed());
    }
}
