//! Free up space on the phone (engine layer): which photos and videos are proven safe in a backup folder, so
//! that removing them from the phone loses nothing.
//!
//! A phone file is proven, at the moment of the run, only when all of these hold:
//! 1. the backup's manifest lists that phone path with its size, date and SHA-256 (and the manifest passes its
//!    checks: a manifest with an entry that could not have been written by a backup refuses the whole run);
//! 2. the backup copy on disk re-hashes to that SHA-256 now (an encrypted copy is decrypted to hash it);
//! 3. the phone's file still has that size and date, and the phone's own `sha256sum` of it, taken in the same
//!    run, equals it.
//!
//! Anything else is kept on the phone and reported with its reason. [`remove`] then moves the proven files to
//! the phone's trash (Android 11+) or removes them permanently (journal first, then the phone, then the gallery).

use crate::backup::manifest::{self, CopyState, Manifest, ManifestEntry};
use crate::device::{Device, DeviceError, command_line, parse_sha256sum};
use crate::progress::CancelToken;
use crate::scan::MediaFile;
use crate::vault::Vault;
use std::path::Path;

mod duplicates;
mod putback;
mod remove;
pub use duplicates::{Duplicates, duplicates};
pub use putback::{Freed, days, freed, freed_on};
pub use remove::{Disposal, FreedLine, Removal, has_trash, journal_path, remove};

/// Longest `sha256sum` command sent at once (the adb server takes requests of up to 64 KiB).
const MAX_COMMAND_BYTES: usize = 48 * 1024;
/// Most files hashed by one `sha256sum` command.
const MAX_BATCH_FILES: usize = 500;

/// Why a photo stays on the phone.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "reason", rename_all = "kebab-case")]
pub enum Kept {
    /// The backup does not list it.
    NotBackedUp,
    /// The phone's file is not the one backed up (its size or date differ, or its content).
    ChangedOnPhone {
        /// What differs, for people.
        what: String,
    },
    /// The backup copy is not on disk.
    BackupCopyMissing,
    /// The backup copy does not re-hash to what the manifest recorded.
    BackupCopyDamaged {
        /// Why, for people.
        why: String,
    },
    /// The phone could not hash it.
    PhoneCannotHash,
}

impl Kept {
    /// For people.
    #[must_use]
    pub fn describe(&self) -> String {
        match self {
            Self::NotBackedUp => "not in the backup".to_string(),
            Self::ChangedOnPhone { what } => format!("changed on the phone since the backup ({what})"),
            Self::BackupCopyMissing => "its copy is missing from the backup folder".to_string(),
            Self::BackupCopyDamaged { why } => format!("its copy in the backup folder is damaged ({why})"),
            Self::PhoneCannotHash => "the phone could not check it (sha256sum)".to_string(),
        }
    }
}

/// What a run proved.
#[derive(Debug, Default)]
pub struct Proof {
    /// The phone files proven safe in the backup, each with the manifest entry that proves it.
    pub proven: Vec<(MediaFile, ManifestEntry)>,
    /// The phone files kept, with why.
    pub kept: Vec<(MediaFile, Kept)>,
}

impl Proof {
    /// Bytes the proven files take on the phone.
    #[must_use]
    pub fn proven_bytes(&self) -> u64 {
        self.proven.iter().map(|(f, _)| f.size).sum()
    }
}

/// Why nothing can be proven.
#[derive(Debug, thiserror::Error)]
pub enum FreeUpError {
    /// An entry of the manifest could not have been written by a backup: the manifest is not trusted at all.
    #[error(
        "The backup's manifest {} fails its checks ({why}), so nothing is removed from the phone. Run `phonebak \
         verify` on the backup folder, and back the phone up again into a fresh folder.",
        manifest.display()
    )]
    ManifestRefused {
        /// The manifest file.
        manifest: std::path::PathBuf,
        /// The entry and what is wrong with it.
        why: String,
    },
    /// Talking to the phone failed.
    #[error(transparent)]
    Device(#[from] DeviceError),
    /// The phone's trash was chosen, and the phone has none or its media store refuses the shell.
    #[error(
        "The phone's trash cannot be used from the shell ({said}); nothing more was moved to it. Choose \
         permanent removal instead (`phonebak free-up --permanent`)."
    )]
    TrashRefused {
        /// What the phone said, in one line.
        said: String,
        /// What was moved to the trash (or kept) before, in this run.
        so_far: Box<Removal>,
    },
    /// The run was cancelled.
    #[error("Stopped; what was removed before is written in the backup folder's free-up journal.")]
    Cancelled,
    /// The backup folder's lock cannot be taken (another backup writes into it, or it cannot be written).
    #[error("{0} Nothing was removed from the phone.")]
    Locked(crate::backup::lock::LockError),
    /// The backup folder cannot be written: nothing more is removed.
    #[error(
        "Could not write the free-up journal {} ({source}): nothing more was removed from the phone. Check \
         that the backup disk is connected and writable.",
        path.display()
    )]
    Journal {
        /// The journal file.
        path: std::path::PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

/// Checks every entry of `manifest` for what a backup writes: a phone path in the shared storage with no `.`
/// or `..` component, a lowercase hex SHA-256, a safe local path. The first bad entry refuses the run.
///
/// # Errors
/// [`FreeUpError::ManifestRefused`] naming the entry.
pub fn check_manifest(manifest: &Manifest, manifest_path: &Path) -> Result<(), FreeUpError> {
    let refuse = |entry: &ManifestEntry, what: &str| FreeUpError::ManifestRefused {
        manifest: manifest_path.to_path_buf(),
        why: format!("the entry for {} {what}", String::from_utf8_lossy(&entry.phone_path.0)),
    };
    for entry in &manifest.files {
        let path = &entry.phone_path.0;
        let inside = path.strip_prefix(crate::scan::STORAGE_ROOT).is_some_and(|rest| rest.first() == Some(&b'/'));
        if !inside {
            return Err(refuse(entry, "is not in the phone's shared storage"));
        }
        if path.contains(&0) || path.split(|&b| b == b'/').skip(1).any(|c| c.is_empty() || c == b"." || c == b"..") {
            return Err(refuse(entry, "is not a plain path"));
        }
        if entry.sha256.len() != 64 || !entry.sha256.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
            return Err(refuse(entry, "has no valid SHA-256"));
        }
        if let Some(why) = manifest::unsafe_reason(&entry.local_path.0) {
            return Err(refuse(entry, &format!("has a local path that is not safe ({why})")));
        }
    }
    Ok(())
}

/// Proves which of `files` (the phone's files as a scan listed them just now) are safe in the backup folder
/// `dest` with `manifest` (the phone's, loaded with `vault` when encrypted): re-hashes their copies on disk and
/// asks the phone's `sha256sum` for the same files, in batches.
///
/// # Errors
/// A manifest that fails [`check_manifest`], a phone that went away, or a cancel.
pub fn prove(
    device: &Device,
    dest: &Path,
    manifest: &Manifest,
    vault: Option<&Vault>,
    files: &[MediaFile],
    cancel: &CancelToken,
) -> Result<Proof, FreeUpError> {
    check_manifest(manifest, &Manifest::path_in(dest, &manifest.serial, vault))?;
    let by_path = manifest.by_phone_path();
    let mut proof = Proof::default();
    // 1 and 2: listed with the phone file's size and date, and the copy on disk is good.
    let mut on_disk: Vec<(MediaFile, ManifestEntry)> = Vec::new();
    for file in files {
        if cancel.is_cancelled() {
            return Err(FreeUpError::Cancelled);
        }
        let Some(versions) = by_path.get(file.path.as_slice()) else {
            proof.kept.push((file.clone(), Kept::NotBackedUp));
            continue;
        };
        let Some(entry) = versions.iter().rev().find(|e| e.size == file.size && e.mtime == file.mtime) else {
            let last = versions.last().map_or(String::new(), |e| {
                format!(
                    "{} bytes dated {} now, {} bytes dated {} in the backup",
                    file.size,
                    crate::human::date_time(file.mtime),
                    e.size,
                    crate::human::date_time(e.mtime)
                )
            });
            proof.kept.push((file.clone(), Kept::ChangedOnPhone { what: last }));
            continue;
        };
        match manifest::check_copy(dest, entry, vault) {
            CopyState::Good => on_disk.push((file.clone(), (*entry).clone())),
            CopyState::Missing => proof.kept.push((file.clone(), Kept::BackupCopyMissing)),
            CopyState::Damaged(why) => proof.kept.push((file.clone(), Kept::BackupCopyDamaged { why })),
        }
    }
    // 3: the phone's own checksum of the same file, now.
    let mut rest = on_disk.as_slice();
    while !rest.is_empty() {
        if cancel.is_cancelled() {
            return Err(FreeUpError::Cancelled);
        }
        let take = batch_len(rest, 0);
        let (batch, after) = rest.split_at(take);
        rest = after;
        let paths: Vec<&[u8]> = batch.iter().map(|(f, _)| f.path.as_slice()).collect();
        let mut args: Vec<&[u8]> = vec![b"sha256sum", b"--"];
        args.extend(&paths);
        let out = device.shell(&command_line(&args))?;
        let sums = parse_sha256sum(&out.stdout, &paths);
        for ((file, entry), sum) in batch.iter().zip(sums) {
            match sum {
                Some(sum) if sum == entry.sha256 => proof.proven.push((file.clone(), entry.clone())),
                Some(sum) => proof.kept.push((
                    file.clone(),
                    Kept::ChangedOnPhone {
                        what: format!("its content's SHA-256 is {sum}, the backup's {}", entry.sha256),
                    },
                )),
                None => proof.kept.push((file.clone(), Kept::PhoneCannotHash)),
            }
        }
    }
    Ok(proof)
}

/// How many of `files` fit in one command of [`MAX_COMMAND_BYTES`] (at most [`MAX_BATCH_FILES`]), each taking
/// its quoted path and `extra` bytes more.
fn batch_len(files: &[(MediaFile, ManifestEntry)], extra: usize) -> usize {
    let mut len = b"'sha256sum' '--'".len();
    let mut n = 0;
    for (file, _) in files.iter().take(MAX_BATCH_FILES) {
        let add = crate::device::quote(&file.path).len() + 1 + extra;
        if n > 0 && len + add > MAX_COMMAND_BYTES {
            break;
        }
        len += add;
        n += 1;
    }
    n.max(1)
}

/// The phone files the person asked about: older than `older_than_days` (by their date) and matching one of
/// `only` (globs on the path below the storage root, like `DCIM/Camera/*`; none: all).
#[must_use]
pub fn choose<'a>(
    files: impl Iterator<Item = &'a MediaFile>,
    older_than_days: Option<u64>,
    only: &[glob::Pattern],
    now: i64,
) -> Vec<MediaFile> {
    let limit =
        older_than_days.map(|d| now.saturating_sub(i64::try_from(d.saturating_mul(86_400)).unwrap_or(i64::MAX)));
    let options = glob::MatchOptions { require_literal_separator: true, ..glob::MatchOptions::new() };
    files
        .filter(|f| limit.is_none_or(|l| f.mtime <= l))
        .filter(|f| {
            only.is_empty() || only.iter().any(|p| p.matches_with(&String::from_utf8_lossy(f.relative_path()), options))
        })
        .cloned()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backup::manifest::Bytes;

    fn entry(phone: &str, sha: &str) -> ManifestEntry {
        ManifestEntry {
            phone_path: Bytes(phone.as_bytes().to_vec()),
            local_path: Bytes(b"Pixel (1)/DCIM/a.jpg".to_vec()),
            size: 3,
            mtime: 1,
            sha256: sha.to_string(),
            backed_up_at: 2,
        }
    }

    #[test]
    fn a_manifest_entry_outside_the_shared_storage_or_without_a_real_hash_refuses_the_run() {
        let good = "ab".repeat(32);
        let mut manifest = Manifest::new("S1", "Pixel");
        manifest.files.push(entry("/storage/emulated/0/DCIM/a.jpg", &good));
        assert!(check_manifest(&manifest, Path::new("m.json")).is_ok());
        for (phone, sha) in [
            ("/data/data/com.android.providers.media/databases/external.db", good.as_str()),
            ("/storage/emulated/0/../../../data/x", good.as_str()),
            ("/storage/emulated/0/DCIM/./a.jpg", good.as_str()),
            ("/storage/emulated/0", good.as_str()),
            ("/storage/emulated/0/DCIM/a.jpg", "not a hash"),
            ("/storage/emulated/0/DCIM/a.jpg", &"AB".repeat(32)),
        ] {
            let mut tampered = manifest.clone();
            tampered.files.push(entry(phone, sha));
            let refused = check_manifest(&tampered, Path::new("m.json"));
            assert!(matches!(refused, Err(FreeUpError::ManifestRefused { .. })), "{phone} {sha}: {refused:?}");
        }
    }

    #[test]
    fn older_than_and_only_choose_the_files() {
        let file = |path: &str, mtime: i64| MediaFile {
            path: format!("/storage/emulated/0/{path}").into_bytes(),
            size: 1,
            mtime,
            kind: crate::scan::MediaKind::Photo,
        };
        let files =
            [file("DCIM/Camera/old.jpg", 0), file("DCIM/Camera/new.jpg", 100 * 86_400), file("Pictures/x.png", 0)];
        let now = 100 * 86_400;
        let chosen = choose(files.iter(), Some(30), &[glob::Pattern::new("DCIM/Camera/*").expect("glob")], now);
        assert_eq!(chosen, vec![files[0].clone()]);
        assert_eq!(choose(files.iter(), None, &[], now).len(), 3);
    }
}
