//! How the engine talks to whoever watches it: progress through the [`Progress`] trait, stopping through a
//! [`CancelToken`]. The scan, the backup and the restore all take these; the GUI and the CLI implement
//! [`Progress`] (forwarding to a channel or a progress bar) and hold a clone of the token.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// What a backup or a restore is doing now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Preparing (cleaning leftovers, reading the manifest).
    Starting,
    /// Reading what is already on the phone (restore).
    Checking,
    /// Copying a file from the phone (backup).
    Pulling,
    /// Copying a file to the phone (restore).
    Pushing,
    /// Asking the phone for the checksums of a batch of copied files.
    Verifying,
    /// Asking the phone to show restored files in its gallery (restore).
    Indexing,
    /// Done.
    Finished,
}

/// A snapshot of a backup's or a restore's progress.
#[derive(Debug, Clone, PartialEq)]
pub struct ProgressState {
    /// What is happening.
    pub phase: Phase,
    /// Files verified and recorded.
    pub files_done: u64,
    /// Files to copy in all.
    pub files_total: u64,
    /// Bytes copied in this run (a retried file counts again).
    pub bytes_done: u64,
    /// Bytes to copy in all.
    pub bytes_total: u64,
    /// The phone path being copied (from or to), if any.
    pub current_file: Option<Vec<u8>>,
    /// Average speed of this run so far, bytes per second.
    pub bytes_per_sec: f64,
    /// Estimated time left, once the speed is known.
    pub eta: Option<Duration>,
}

/// Where a copy stands, for [`ProgressState::measure`].
#[derive(Debug, Clone, Copy)]
pub struct Counts {
    /// Files finished.
    pub files_done: u64,
    /// Files in all.
    pub files_total: u64,
    /// Bytes copied so far.
    pub bytes_done: u64,
    /// Bytes in all.
    pub bytes_total: u64,
}

impl ProgressState {
    /// A snapshot with the speed and time left worked out from when the work `started`.
    #[must_use]
    pub fn measure(phase: Phase, counts: Counts, current_file: Option<&[u8]>, started: std::time::Instant) -> Self {
        let Counts { files_done, files_total, bytes_done, bytes_total } = counts;
        let secs = started.elapsed().as_secs_f64();
        let bytes_per_sec = if secs > 0.0 { bytes_done as f64 / secs } else { 0.0 };
        Self {
            phase,
            files_done,
            files_total,
            bytes_done,
            bytes_total: bytes_total.max(bytes_done),
            current_file: current_file.map(<[u8]>::to_vec),
            bytes_per_sec,
            eta: (bytes_per_sec > 0.0 && bytes_done > 0)
                .then(|| Duration::from_secs_f64(bytes_total.saturating_sub(bytes_done) as f64 / bytes_per_sec)),
        }
    }
}

/// Receives progress. Calls come from the thread running the work, often (every block of 64 KiB): keep
/// them cheap, for example by forwarding to a channel or updating a bar.
pub trait Progress {
    /// The progress changed.
    fn update(&self, state: &ProgressState);

    /// A file could not be copied (it is also in the report); the work goes on.
    fn file_failed(&self, _phone_path: &[u8], _reason: &str) {}
}

/// A [`Progress`] that ignores everything.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoProgress;

impl Progress for NoProgress {
    fn update(&self, _state: &ProgressState) {}
}

/// Asks a running scan, backup or restore to stop. Cheap to clone; every clone shares the same flag.
#[derive(Debug, Clone, Default)]
pub struct CancelToken(Arc<AtomicBool>);

impl CancelToken {
    /// A token not yet cancelled.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Asks the work to stop (a copy stops within one block of data, a scan before its next folder).
    pub fn cancel(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    /// Whether [`CancelToken::cancel`] was called.
    #[must_use]
    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

pub use crate::human::human_bytes;
