//! What a backup run will do, worked out from the scan and the manifest without touching the phone.

use super::manifest::{Manifest, file_path_in, unsafe_reason};
use crate::scan::MediaFile;
use std::collections::HashSet;
use std::fmt;
use std::path::{Path, PathBuf};

/// The prefixes under which a phone's shared storage is reached; the rest of the path is kept in the backup.
pub(crate) const STORAGE_PREFIXES: &[&[u8]] =
    &[b"/storage/emulated/0/", b"/sdcard/", b"/storage/self/primary/", b"/mnt/sdcard/", b"/mnt/user/0/primary/"];

/// The storage-relative part of a phone path (`/storage/emulated/0/DCIM/a.jpg` → `DCIM/a.jpg`). A path
/// elsewhere (an SD card, `/storage/1234-ABCD/...`) keeps its whole path below the root. `None` when the
/// path has an empty, `.` or `..` component and so cannot be placed safely.
#[must_use]
pub fn storage_relative(phone_path: &[u8]) -> Option<Vec<u8>> {
    let rest = STORAGE_PREFIXES
        .iter()
        .find_map(|p| phone_path.strip_prefix(*p))
        .unwrap_or_else(|| phone_path.strip_prefix(b"/").unwrap_or(phone_path));
    let parts: Vec<&[u8]> = rest.split(|&b| b == b'/').filter(|p| !p.is_empty()).collect();
    if parts.is_empty() || parts.iter().any(|p| *p == b"." || *p == b"..") {
        return None;
    }
    Some(parts.join(&b'/'))
}

/// One file to copy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedFile {
    /// The file on the phone, as scanned.
    pub file: MediaFile,
    /// Where it goes, relative to the backup folder (`/`-separated bytes).
    pub local_path: Vec<u8>,
    /// For a changed file: the local path of the newest version already backed up, which is kept.
    pub previous: Option<Vec<u8>>,
}

/// A file the plan leaves out, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkippedFile {
    /// The file on the phone.
    pub file: MediaFile,
    /// Why it is skipped.
    pub reason: String,
}

/// Counts and sizes of a plan.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PlanTotals {
    /// New files to copy.
    pub new_files: u64,
    /// Changed files to copy (their old version is kept).
    pub changed_files: u64,
    /// Files to copy in all.
    pub files_to_copy: u64,
    /// Bytes to copy in all.
    pub bytes_to_copy: u64,
    /// Files already backed up, skipped.
    pub unchanged_files: u64,
    /// Their bytes.
    pub unchanged_bytes: u64,
}

/// What a backup run will do. Print it (`Display`) for a dry run; give it to [`super::execute`] to do it.
#[derive(Debug, Clone)]
pub struct BackupPlan {
    /// The backup folder.
    pub dest: PathBuf,
    /// The phone's folder in it, `<Model> (<serial>)`.
    pub device_folder: String,
    /// Files not backed up before.
    pub new: Vec<PlannedFile>,
    /// Files whose size or mtime changed since their last backup.
    pub changed: Vec<PlannedFile>,
    /// Files already backed up with the same size and mtime.
    pub unchanged: Vec<MediaFile>,
    /// Files that cannot be backed up (a path that cannot be placed safely).
    pub skipped: Vec<SkippedFile>,
    /// Counts and sizes.
    pub totals: PlanTotals,
    /// The manifest the plan was made against; [`super::execute`] adds to it.
    pub manifest: Manifest,
    /// The backup folder's key, when it is encrypted.
    pub vault: Option<std::sync::Arc<crate::vault::Vault>>,
}

impl BackupPlan {
    /// The files to copy, new ones first.
    pub fn to_copy(&self) -> impl Iterator<Item = &PlannedFile> {
        self.new.iter().chain(&self.changed)
    }
}

/// Adds ` (2)`, ` (3)`... before the extension of the last component: `DCIM/IMG_1.jpg` → `DCIM/IMG_1 (2).jpg`.
pub(crate) fn with_suffix(rel: &[u8], n: u32) -> Vec<u8> {
    let slash = rel.iter().rposition(|&b| b == b'/').map_or(0, |i| i + 1);
    let (dir, name) = rel.split_at(slash);
    // A leading dot is part of the stem (`.hidden`), not an extension.
    let dot = name.iter().rposition(|&b| b == b'.').filter(|&i| i > 0).unwrap_or(name.len());
    let mut out = dir.to_vec();
    out.extend_from_slice(&name[..dot]);
    out.extend_from_slice(format!(" ({n})").as_bytes());
    out.extend_from_slice(&name[dot..]);
    out
}

/// The first of `rel`, `rel (2)`, `rel (3)`... that is neither taken nor on disk.
pub(crate) fn free_name(
    dest: &Path,
    rel: &[u8],
    taken: &HashSet<Vec<u8>>,
    vault: Option<&crate::vault::Vault>,
) -> Vec<u8> {
    let free = |candidate: &[u8]| {
        !taken.contains(candidate) && std::fs::symlink_metadata(file_path_in(dest, candidate, vault)).is_err()
    };
    if free(rel) {
        return rel.to_vec();
    }
    let mut n = 2;
    loop {
        let candidate = with_suffix(rel, n);
        if free(&candidate) {
            return candidate;
        }
        n += 1;
    }
}

/// Works out what to copy: every scanned file not yet in `manifest` with the same path, size and mtime. A file
/// whose size or mtime changed gets a new name beside its old copy, which is kept. Never names a local path
/// that the manifest lists or that exists on disk.
#[must_use]
pub fn plan(files: &[MediaFile], dest: &Path, manifest: &Manifest) -> BackupPlan {
    plan_in(files, dest, manifest, None)
}

/// Like [`plan`], for a backup folder encrypted with `vault` (its files are stored under hashed names).
#[must_use]
pub fn plan_in(
    files: &[MediaFile],
    dest: &Path,
    manifest: &Manifest,
    vault: Option<std::sync::Arc<crate::vault::Vault>>,
) -> BackupPlan {
    let device_folder = manifest.device_folder();
    let index = manifest.by_phone_path();
    let mut taken: HashSet<Vec<u8>> = manifest.files.iter().map(|f| f.local_path.0.clone()).collect();
    let mut out = BackupPlan {
        dest: dest.to_path_buf(),
        device_folder: device_folder.clone(),
        new: Vec::new(),
        changed: Vec::new(),
        unchanged: Vec::new(),
        skipped: Vec::new(),
        totals: PlanTotals::default(),
        manifest: manifest.clone(),
        vault,
    };
    let mut seen: HashSet<&[u8]> = HashSet::new();
    for file in files {
        if !seen.insert(&file.path) {
            continue;
        }
        let versions = index.get(file.path.as_slice());
        if let Some(versions) = versions
            && versions.iter().any(|v| v.size == file.size && v.mtime == file.mtime)
        {
            out.totals.unchanged_files += 1;
            out.totals.unchanged_bytes += file.size;
            out.unchanged.push(file.clone());
            continue;
        }
        let Some(rel) = storage_relative(&file.path) else {
            out.skipped.push(SkippedFile {
                file: file.clone(),
                reason: "its path has an empty, `.` or `..` part and cannot be placed in the backup".to_string(),
            });
            continue;
        };
        let mut wanted = device_folder.as_bytes().to_vec();
        wanted.push(b'/');
        wanted.extend_from_slice(&rel);
        if let Some(why) = unsafe_reason(&wanted) {
            out.skipped.push(SkippedFile { file: file.clone(), reason: format!("its backup path is unsafe: {why}") });
            continue;
        }
        let local_path = free_name(dest, &wanted, &taken, out.vault.as_deref());
        taken.insert(local_path.clone());
        let previous = versions.and_then(|v| v.last()).map(|v| v.local_path.0.clone());
        out.totals.files_to_copy += 1;
        out.totals.bytes_to_copy += file.size;
        let planned = PlannedFile { file: file.clone(), local_path, previous };
        if planned.previous.is_some() {
            out.totals.changed_files += 1;
            out.changed.push(planned);
        } else {
            out.totals.new_files += 1;
            out.new.push(planned);
        }
    }
    out
}

impl fmt::Display for BackupPlan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let t = &self.totals;
        writeln!(f, "Backup into {} / {}", self.dest.display(), self.device_folder)?;
        writeln!(
            f,
            "  {} files to copy ({} bytes): {} new, {} changed; {} already backed up ({} bytes); {} skipped",
            t.files_to_copy,
            t.bytes_to_copy,
            t.new_files,
            t.changed_files,
            t.unchanged_files,
            t.unchanged_bytes,
            self.skipped.len()
        )?;
        for p in &self.new {
            writeln!(f, "  new      {}  ({} bytes)", String::from_utf8_lossy(&p.local_path), p.file.size)?;
        }
        for p in &self.changed {
            writeln!(
                f,
                "  changed  {}  ({} bytes; keeps {})",
                String::from_utf8_lossy(&p.local_path),
                p.file.size,
                String::from_utf8_lossy(p.previous.as_deref().unwrap_or_default())
            )?;
        }
        for s in &self.skipped {
            writeln!(f, "  skipped  {}: {}", String::from_utf8_lossy(&s.file.path), s.reason)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backup::manifest::{Bytes, ManifestEntry};
    use crate::scan::MediaKind;

    fn media(path: &[u8], size: u64, mtime: i64) -> MediaFile {
        MediaFile { path: path.to_vec(), size, mtime, kind: MediaKind::Photo }
    }

    #[test]
    fn storage_prefixes_are_stripped_and_dot_dot_is_refused() {
        assert_eq!(storage_relative(b"/storage/emulated/0/DCIM/a.jpg").as_deref(), Some(&b"DCIM/a.jpg"[..]));
        assert_eq!(storage_relative(b"/sdcard/DCIM//a.jpg").as_deref(), Some(&b"DCIM/a.jpg"[..]));
        assert_eq!(
            storage_relative(b"/storage/ABCD-1234/DCIM/a.jpg").as_deref(),
            Some(&b"storage/ABCD-1234/DCIM/a.jpg"[..])
        );
        assert_eq!(storage_relative(b"/sdcard/../etc/passwd"), None);
    }

    #[test]
    fn suffixes_go_before_the_extension() {
        assert_eq!(with_suffix(b"D/IMG_1.jpg", 2), b"D/IMG_1 (2).jpg");
        assert_eq!(with_suffix(b"D/noext", 3), b"D/noext (3)");
        assert_eq!(with_suffix(b".hidden", 2), b".hidden (2)");
    }

    #[test]
    fn a_plan_sorts_files_into_new_unchanged_and_changed() {
        let dest = tempfile::tempdir().expect("dir");
        let mut manifest = Manifest::new("S1", "Pixel");
        for (path, size) in [(&b"/storage/emulated/0/DCIM/a.jpg"[..], 10), (b"/storage/emulated/0/DCIM/b.jpg", 20)] {
            manifest.files.push(ManifestEntry {
                phone_path: Bytes(path.to_vec()),
                local_path: Bytes(format!("Pixel (S1)/{}", String::from_utf8_lossy(&path[20..])).into_bytes()),
                size,
                mtime: 100,
                sha256: String::new(),
                backed_up_at: 0,
            });
        }
        let files = [
            media(b"/storage/emulated/0/DCIM/a.jpg", 10, 100),
            media(b"/storage/emulated/0/DCIM/b.jpg", 21, 101),
            media(b"/storage/emulated/0/DCIM/c.jpg", 5, 100),
        ];
        let p = plan(&files, dest.path(), &manifest);
        assert_eq!(p.unchanged.len(), 1);
        assert_eq!(p.new.len(), 1);
        assert_eq!(p.new[0].local_path, b"Pixel (S1)/DCIM/c.jpg");
        assert_eq!(p.changed.len(), 1);
        assert_eq!(p.changed[0].local_path, b"Pixel (S1)/DCIM/b (2).jpg");
        assert_eq!(p.changed[0].previous.as_deref(), Some(&b"Pixel (S1)/DCIM/b.jpg"[..]));
        assert_eq!(p.totals.bytes_to_copy, 26);
        assert_eq!(p.totals.files_to_copy, 2);
        assert!(p.to_string().contains("changed  Pixel (S1)/DCIM/b (2).jpg"));
    }
}
