//! The backup engine: plan what to copy from a phone, then copy it so that every file in the backup is
//! complete, verified against the phone's own `sha256sum`, dated like the original and listed in a manifest.
//!
//! Plan, then execute (as `rustic_core` does): [`plan`] compares the scan with the manifest and needs no phone,
//! so a dry run prints it and tests check it without copying; [`execute`] copies. A file is pulled into
//! `.phonebak/tmp/` while it is hashed, checked in batches (one `sha256sum` command for many files, so the
//! round trips do not grow with the number of files), dated, fsynced, renamed into place and only then
//! recorded. A cancel or a lost connection stops between two blocks of data; what was verified stays recorded,
//! what was not is thrown away, and the next run continues where this one stopped.
//!
//! The engine never knows who watches: progress goes through the [`Progress`] trait ([`NoProgress`] when
//! nobody does) and stopping through a [`CancelToken`].

pub mod documents;
mod execute;
pub mod folder;
pub mod lock;
pub mod manifest;
mod plan;

pub use execute::{BackupReport, FailedFile, execute};
pub use manifest::{Manifest, ManifestEntry};
pub use plan::{BackupPlan, PlanTotals, PlannedFile, SkippedFile, plan, plan_in, storage_relative};
pub(crate) use plan::{STORAGE_PREFIXES, with_suffix};

pub use crate::progress::{CancelToken, NoProgress, Phase, Progress, ProgressState};

use crate::device::DeviceError;
use std::path::{Path, PathBuf};

/// Anything that stops a backup. Each message says what happened and what to do; paths come last.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    /// The backup disk is full.
    #[error("Disk full at {}: free some space and run the backup again; finished files are kept.", path.display())]
    DiskFull {
        /// Where writing failed.
        path: PathBuf,
    },

    /// The backup disk has less free space than the photos to copy need: nothing was copied.
    #[error(
        "Not enough space on the backup disk: the {files} photos and videos to copy need {}, and {} has {} free. \
         Free some space or choose a folder on a larger disk; nothing was copied.",
        crate::human::human_bytes(*needed),
        path.display(),
        crate::human::human_bytes(*free)
    )]
    NotEnoughSpace {
        /// The backup folder.
        path: PathBuf,
        /// Files to copy.
        files: u64,
        /// Bytes the copy needs on the disk (the photos and a margin).
        needed: u64,
        /// Bytes free on the disk.
        free: u64,
    },

    /// Another backup writes into the same folder now.
    #[error(transparent)]
    Locked(#[from] lock::LockError),

    /// Reading or writing the backup folder failed.
    #[error(
        "Could not {action} ({source}). Check that the backup folder is writable and its disk is connected, \
         then run the backup again; finished files are kept. Path: {}",
        path.display()
    )]
    Disk {
        /// What was being done.
        action: &'static str,
        /// Where.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },

    /// The manifest lists a file outside the backup folder: it was edited or is not phonebak's.
    #[error(
        "The backup manifest lists a file outside the backup folder ({local_path:?}: {why}); it may have been \
         tampered with, so nothing was written. Restore the manifest from a good copy, or move it away to start \
         a fresh backup. Manifest: {}",
        manifest.display()
    )]
    ManifestUnsafe {
        /// The offending local path, shown lossily.
        local_path: String,
        /// What is wrong with it.
        why: String,
        /// The manifest file.
        manifest: PathBuf,
    },

    /// The manifest cannot be parsed.
    #[error(
        "The backup manifest cannot be read ({detail}). Restore it from a good copy, or move it away to start a \
         fresh backup (files already in the folder are kept and not overwritten). Manifest: {}",
        manifest.display()
    )]
    ManifestUnreadable {
        /// What is wrong.
        detail: String,
        /// The manifest file.
        manifest: PathBuf,
    },

    /// The manifest was written by a newer (or unknown) phonebak.
    #[error(
        "The backup manifest has format version {found}, which this phonebak does not know (it reads version \
         {}). Update phonebak, or back up into another folder. Manifest: {}",
        manifest::FORMAT_VERSION,
        manifest.display()
    )]
    ManifestVersion {
        /// The version found.
        found: u32,
        /// The manifest file.
        manifest: PathBuf,
    },

    /// The phone went away in the middle of the backup.
    #[error(
        "The connection to the phone was lost during the backup ({source}). Reconnect the phone (check the \
         cable, unlock it, allow USB debugging if asked) and run the backup again: the {files_done} files \
         finished are kept and will not be copied again."
    )]
    ConnectionLost {
        /// Files verified and recorded before the connection went.
        files_done: u64,
        /// What the device layer said.
        source: DeviceError,
    },

    /// The phone refused something the backup needs (other than single files, which are reported).
    #[error("The backup stopped: {source}")]
    Device {
        /// What the device layer said.
        source: DeviceError,
    },

    /// The phone cannot compute checksums, so copies cannot be verified.
    #[error(
        "The phone cannot check the copies: `sha256sum` failed ({detail}). phonebak needs Android 6 or later \
         (toybox sha256sum); update the phone or use another tool."
    )]
    NoChecksum {
        /// What the phone said.
        detail: String,
    },

    /// The backup folder is encrypted and no password was given.
    #[error(
        "The backup in {} is encrypted: give its password (phonebak asks for it, or reads PHONEBAK_PASSWORD).",
        dir.display()
    )]
    PasswordNeeded {
        /// The backup folder.
        dir: PathBuf,
    },

    /// The encrypted backup's key could not be opened, or an encrypted file is damaged.
    #[error(transparent)]
    Vault(#[from] crate::vault::VaultError),

    /// The user cancelled.
    #[error(
        "The backup was cancelled. The {files_done} files finished are kept; run the backup again to continue \
         where it stopped."
    )]
    Cancelled {
        /// Files verified and recorded before the cancel.
        files_done: u64,
    },
}

impl BackupError {
    /// The same error, counting `n` files done (for errors raised before the last files were recorded).
    #[must_use]
    pub fn with_files_done(self, n: u64) -> Self {
        match self {
            Self::ConnectionLost { source, .. } => Self::ConnectionLost { files_done: n, source },
            Self::Cancelled { .. } => Self::Cancelled { files_done: n },
            e => e,
        }
    }

    /// A disk error, or [`BackupError::DiskFull`] when the disk is full.
    #[must_use]
    pub fn disk(action: &'static str, path: &Path, source: std::io::Error) -> Self {
        if source.kind() == std::io::ErrorKind::StorageFull || source.raw_os_error() == Some(28) {
            Self::DiskFull { path: path.to_path_buf() }
        } else {
            Self::Disk { action, path: path.to_path_buf(), source }
        }
    }
}
