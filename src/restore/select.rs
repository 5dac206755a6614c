//! Reading a backup folder and choosing what to restore, without a phone.

use super::{RestoreError, STORAGE_ROOT};
use crate::backup::{Manifest, ManifestEntry, manifest};
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

/// One phone's backup in a backup folder.
#[derive(Debug, Clone)]
pub struct BackupPhone {
    /// The phone's serial.
    pub serial: String,
    /// Its model.
    pub model: String,
    /// Its manifest (checked: every local path is inside the backup folder).
    pub manifest: Manifest,
    /// Bytes of the newest version of each file.
    pub bytes: u64,
    /// Number of files (the newest version of each phone path).
    pub files: usize,
}

/// A backup folder and the phones it holds.
#[derive(Debug, Clone)]
pub struct Backup {
    /// The key of an encrypted backup (`None` for a plain one).
    pub vault: Option<std::sync::Arc<crate::vault::Vault>>,
    /// The folder.
    pub dir: PathBuf,
    /// The phones backed up in it, by serial.
    pub phones: Vec<BackupPhone>,
}

/// Reads the backup folder `dir`: every phone's manifest in `dir/.phonebak/`. Refuses a manifest that names a
/// file outside the folder, and a folder without any backup.
pub fn open_backup(dir: &Path) -> Result<Backup, RestoreError> {
    open_backup_in(dir, None)
}

/// Like [`open_backup`], for a backup folder encrypted with `vault` (`None`: a plain one; an encrypted one
/// then asks for its password).
pub fn open_backup_in(dir: &Path, vault: Option<std::sync::Arc<crate::vault::Vault>>) -> Result<Backup, RestoreError> {
    #[derive(serde::Deserialize)]
    struct Head {
        serial: String,
    }
    if let Some(v) = &vault {
        let mut serials = Vec::new();
        for path in crate::vault::manifest_files(dir) {
            let bytes =
                std::fs::read(&path).map_err(|e| crate::backup::BackupError::disk("read the manifest", &path, e))?;
            let plain = v.unseal(&bytes, &path).map_err(|e| crate::backup::BackupError::ManifestUnreadable {
                detail: e.to_string(),
                manifest: path.clone(),
            })?;
            let head: Head = serde_json::from_slice(&plain).map_err(|e| {
                crate::backup::BackupError::ManifestUnreadable { detail: e.to_string(), manifest: path.clone() }
            })?;
            serials.push(head.serial);
        }
        return phones_of(dir, serials, vault);
    }
    if crate::vault::is_encrypted(dir) {
        return Err(crate::backup::BackupError::PasswordNeeded { dir: dir.to_path_buf() }.into());
    }
    let state = manifest::state_dir(dir);
    let entries = match std::fs::read_dir(&state) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(RestoreError::NoBackup { dir: dir.to_path_buf() });
        }
        Err(e) => return Err(crate::backup::BackupError::disk("read the backup folder", &state, e).into()),
    };
    let mut serials = Vec::new();
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if !(name.starts_with("manifest-") && name.ends_with(".json")) {
            continue;
        }
        let path = entry.path();
        let text = std::fs::read(&path).map_err(|e| crate::backup::BackupError::disk("read the manifest", &path, e))?;
        let head: Head = serde_json::from_slice(&text).map_err(|e| crate::backup::BackupError::ManifestUnreadable {
            detail: e.to_string(),
            manifest: path.clone(),
        })?;
        serials.push(head.serial);
    }
    phones_of(dir, serials, None)
}

/// The backed-up phones with these serials (each manifest loaded and checked).
fn phones_of(
    dir: &Path,
    mut serials: Vec<String>,
    vault: Option<std::sync::Arc<crate::vault::Vault>>,
) -> Result<Backup, RestoreError> {
    serials.sort();
    serials.dedup();
    let mut phones = Vec::new();
    for serial in serials {
        let Some(manifest) = Manifest::load_in(dir, &serial, vault.as_deref())? else { continue };
        let newest = newest_versions(&manifest);
        phones.push(BackupPhone {
            serial: manifest.serial.clone(),
            model: manifest.model.clone(),
            bytes: newest.iter().map(|e| e.size).sum(),
            files: newest.len(),
            manifest,
        });
    }
    if phones.is_empty() {
        return Err(RestoreError::NoBackup { dir: dir.to_path_buf() });
    }
    Ok(Backup { dir: dir.to_path_buf(), phones, vault })
}

impl Backup {
    fn phone_list(&self) -> String {
        self.phones.iter().map(|p| format!("{} ({})", p.serial, p.model)).collect::<Vec<_>>().join(", ")
    }

    /// The backup to restore from: the phone `serial` when given; else the only one; else the one of the
    /// phone being restored to (`target_serial`), if the folder holds it.
    pub fn phone(&self, serial: Option<&str>, target_serial: Option<&str>) -> Result<&BackupPhone, RestoreError> {
        if let Some(serial) = serial {
            return self.phones.iter().find(|p| p.serial == serial).ok_or_else(|| RestoreError::NoSuchPhone {
                serial: serial.to_string(),
                dir: self.dir.clone(),
                phones: self.phone_list(),
            });
        }
        if let [only] = self.phones.as_slice() {
            return Ok(only);
        }
        target_serial
            .and_then(|t| self.phones.iter().find(|p| p.serial == t))
            .ok_or_else(|| RestoreError::WhichPhone { dir: self.dir.clone(), phones: self.phone_list() })
    }
}

/// The newest version of each phone path (the last recorded), in manifest order.
fn newest_versions(manifest: &Manifest) -> Vec<&ManifestEntry> {
    let mut last: HashMap<&[u8], usize> = HashMap::new();
    for (i, f) in manifest.files.iter().enumerate() {
        last.insert(&f.phone_path.0, i);
    }
    manifest
        .files
        .iter()
        .enumerate()
        .filter(|(i, f)| last.get(f.phone_path.0.as_slice()) == Some(i))
        .map(|(_, f)| f)
        .collect()
}

/// Which files to restore. Empty means all (the newest version of every file).
#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// Globs on the path below the phone's storage (`DCIM/Camera/*.jpg`, `Pictures/**`); a pattern without
    /// wildcards selects that file or everything in that folder (`DCIM/Camera`). Any match selects.
    pub patterns: Vec<String>,
    /// Only files modified at or after this time (seconds since 1970).
    pub since: Option<i64>,
    /// Only files modified before this time.
    pub until: Option<i64>,
    /// Exactly these files, by their path in the backup folder (any version); the other filters still apply.
    pub local_paths: Option<HashSet<Vec<u8>>>,
}

/// A file chosen for restoring, and where it goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selected {
    /// Its manifest entry.
    pub entry: ManifestEntry,
    /// Where it goes on the phone (`/storage/emulated/0/...`).
    pub target: Vec<u8>,
}

/// Where a backed-up phone path goes back on a phone: the same place below the shared storage
/// (`/storage/emulated/0/...`, `/sdcard/...`); a file from an SD card (`/storage/ABCD-1234/DCIM/...`) goes to
/// the same folders in the shared storage. Anything else, or a path with `.`, `..` or a NUL, is refused.
pub fn phone_target(phone_path: &[u8]) -> Result<Vec<u8>, &'static str> {
    let rest = if let Some(rest) = crate::backup::STORAGE_PREFIXES.iter().find_map(|p| phone_path.strip_prefix(*p)) {
        rest
    } else if let Some(after) = phone_path.strip_prefix(b"/storage/") {
        let slash = after.iter().position(|&b| b == b'/').ok_or("it is outside the phone's shared storage")?;
        let volume = &after[..slash];
        // An SD card volume is named by its id (`ABCD-1234`); `emulated` and `self` are other users' views.
        let sd_card = !volume.is_empty()
            && volume.iter().all(|b| b.is_ascii_hexdigit() || *b == b'-')
            && volume.iter().any(|&b| b != b'-');
        if !sd_card {
            return Err("it is outside the phone's shared storage");
        }
        &after[slash + 1..]
    } else {
        return Err("it is outside the phone's shared storage");
    };
    if rest.contains(&0) {
        return Err("it contains a NUL byte");
    }
    let parts: Vec<&[u8]> = rest.split(|&b| b == b'/').filter(|p| !p.is_empty()).collect();
    if parts.is_empty() {
        return Err("it names no file");
    }
    if parts.iter().any(|p| *p == b"." || *p == b"..") {
        return Err("it contains `.` or `..`");
    }
    let mut target = STORAGE_ROOT.to_vec();
    for part in parts {
        target.push(b'/');
        target.extend_from_slice(part);
    }
    Ok(target)
}

/// A compiled [`Selection::patterns`] entry.
enum Matcher {
    Glob(glob::Pattern),
    Prefix(String),
}

impl Matcher {
    fn new(pattern: &str) -> Result<Self, RestoreError> {
        let trimmed = pattern.trim_start_matches('/').trim_end_matches('/');
        if trimmed.contains(['*', '?', '[']) {
            glob::Pattern::new(trimmed)
                .map(Matcher::Glob)
                .map_err(|e| RestoreError::BadPattern { pattern: pattern.to_string(), why: e.msg.to_string() })
        } else {
            Ok(Matcher::Prefix(trimmed.to_string()))
        }
    }

    fn matches(&self, rel: &str) -> bool {
        match self {
            Matcher::Glob(g) => g.matches_with(
                rel,
                glob::MatchOptions {
                    case_sensitive: true,
                    require_literal_separator: true,
                    require_literal_leading_dot: false,
                },
            ),
            Matcher::Prefix(p) => {
                p.is_empty() || rel == p || (rel.starts_with(p.as_str()) && rel.as_bytes().get(p.len()) == Some(&b'/'))
            }
        }
    }
}

/// Chooses the files of `phone`'s backup to restore and where each goes, sorted by target. Checks every phone
/// path of the manifest first: one that leads outside the phone's shared storage refuses the whole restore.
pub fn select(backup_dir: &Path, phone: &BackupPhone, selection: &Selection) -> Result<Vec<Selected>, RestoreError> {
    let manifest_path = Manifest::path(backup_dir, &phone.serial);
    let mut targets = Vec::with_capacity(phone.manifest.files.len());
    for entry in &phone.manifest.files {
        let target = phone_target(&entry.phone_path.0).map_err(|why| RestoreError::UnsafePhonePath {
            phone_path: String::from_utf8_lossy(&entry.phone_path.0).into_owned(),
            why,
            manifest: manifest_path.clone(),
        })?;
        targets.push(target);
    }
    let matchers = selection.patterns.iter().map(|p| Matcher::new(p)).collect::<Result<Vec<_>, _>>()?;
    let candidates: Vec<usize> = if let Some(chosen) = &selection.local_paths {
        (0..phone.manifest.files.len()).filter(|&i| chosen.contains(&phone.manifest.files[i].local_path.0)).collect()
    } else {
        let mut last: HashMap<&[u8], usize> = HashMap::new();
        for (i, f) in phone.manifest.files.iter().enumerate() {
            last.insert(&f.phone_path.0, i);
        }
        let mut chosen: Vec<usize> = last.into_values().collect();
        chosen.sort_unstable();
        chosen
    };
    let root_len = STORAGE_ROOT.len() + 1;
    let mut out: Vec<Selected> = candidates
        .into_iter()
        .filter(|&i| {
            let entry = &phone.manifest.files[i];
            let rel = String::from_utf8_lossy(&targets[i][root_len..]);
            (matchers.is_empty() || matchers.iter().any(|m| m.matches(&rel)))
                && selection.since.is_none_or(|s| entry.mtime >= s)
                && selection.until.is_none_or(|u| entry.mtime < u)
        })
        .map(|i| Selected { entry: phone.manifest.files[i].clone(), target: targets[i].clone() })
        .collect();
    out.sort_by(|a, b| a.target.cmp(&b.target));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backup::manifest::Bytes;

    #[test]
    fn phone_paths_go_back_below_the_shared_storage_and_nowhere_else() {
        assert_eq!(
            phone_target(b"/storage/emulated/0/DCIM/a.jpg").as_deref(),
            Ok(&b"/storage/emulated/0/DCIM/a.jpg"[..])
        );
        assert_eq!(phone_target(b"/sdcard/DCIM//a.jpg").as_deref(), Ok(&b"/storage/emulated/0/DCIM/a.jpg"[..]));
        assert_eq!(
            phone_target(b"/storage/3A1F-0E12/DCIM/a.jpg").as_deref(),
            Ok(&b"/storage/emulated/0/DCIM/a.jpg"[..])
        );
        for bad in [
            &b"/data/data/com.x/a.jpg"[..],
            b"/storage/emulated/0/../../data/a",
            b"/sdcard/DCIM/./a.jpg",
            b"/storage/emulated/10/DCIM/a.jpg",
            b"/storage/self/../../system/a",
            b"DCIM/a.jpg",
            b"/sdcard/",
            b"/sdcard/a\0b",
        ] {
            assert!(phone_target(bad).is_err(), "{}", String::from_utf8_lossy(bad));
        }
    }

    fn entry(phone: &str, local: &str, mtime: i64) -> ManifestEntry {
        ManifestEntry {
            phone_path: Bytes(phone.as_bytes().to_vec()),
            local_path: Bytes(local.as_bytes().to_vec()),
            size: 1,
            mtime,
            sha256: String::new(),
            backed_up_at: 0,
        }
    }

    fn phone(files: Vec<ManifestEntry>) -> BackupPhone {
        let mut manifest = Manifest::new("S1", "Pixel");
        manifest.files = files;
        BackupPhone { serial: "S1".into(), model: "Pixel".into(), manifest, bytes: 0, files: 0 }
    }

    fn targets(sel: &[Selected]) -> Vec<String> {
        sel.iter().map(|s| String::from_utf8_lossy(&s.target).into_owned()).collect()
    }

    #[test]
    fn the_newest_version_of_each_file_is_chosen_and_filters_narrow_it() {
        let p = phone(vec![
            entry("/storage/emulated/0/DCIM/Camera/a.jpg", "P/DCIM/Camera/a.jpg", 100),
            entry("/storage/emulated/0/Pictures/Screenshots/s.png", "P/Pictures/Screenshots/s.png", 200),
            entry("/storage/emulated/0/DCIM/Camera/a.jpg", "P/DCIM/Camera/a (2).jpg", 300),
        ]);
        let dir = Path::new("/nonexistent");
        let all = select(dir, &p, &Selection::default()).expect("select");
        assert_eq!(all.len(), 2);
        assert_eq!(all[0].entry.local_path.0, b"P/DCIM/Camera/a (2).jpg");
        let camera = select(dir, &p, &Selection { patterns: vec!["DCIM/Camera".into()], ..Selection::default() });
        assert_eq!(targets(&camera.expect("select")), ["/storage/emulated/0/DCIM/Camera/a.jpg"]);
        let pngs = select(dir, &p, &Selection { patterns: vec!["**/*.png".into()], ..Selection::default() });
        assert_eq!(targets(&pngs.expect("select")), ["/storage/emulated/0/Pictures/Screenshots/s.png"]);
        let star = select(dir, &p, &Selection { patterns: vec!["*.png".into()], ..Selection::default() });
        assert!(star.expect("select").is_empty(), "* does not cross folders");
        let dated = select(dir, &p, &Selection { since: Some(150), until: Some(250), ..Selection::default() });
        assert_eq!(targets(&dated.expect("select")), ["/storage/emulated/0/Pictures/Screenshots/s.png"]);
        let old = Selection {
            local_paths: Some(std::iter::once(b"P/DCIM/Camera/a.jpg".to_vec()).collect()),
            ..Selection::default()
        };
        let old = select(dir, &p, &old).expect("select");
        assert_eq!(old[0].entry.mtime, 100, "an explicitly chosen old version is restored");
    }

    #[test]
    fn one_unsafe_phone_path_refuses_the_whole_selection() {
        let p = phone(vec![
            entry("/storage/emulated/0/DCIM/a.jpg", "P/DCIM/a.jpg", 1),
            entry("/data/local/tmp/evil", "P/DCIM/b.jpg", 1),
        ]);
        let only_a = Selection { patterns: vec!["DCIM/a.jpg".into()], ..Selection::default() };
        let err = select(Path::new("/x"), &p, &only_a).expect_err("refused");
        assert!(matches!(err, RestoreError::UnsafePhonePath { .. }), "{err:?}");
        assert!(err.to_string().contains("nothing was restored"), "{err}");
    }

    #[test]
    fn a_bad_glob_is_named() {
        let p = phone(vec![]);
        let err = select(Path::new("/x"), &p, &Selection { patterns: vec!["DCIM/[".into()], ..Selection::default() });
        assert!(matches!(err, Err(RestoreError::BadPattern { .. })));
    }
}
