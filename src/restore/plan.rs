//! What a restore will do on this phone: which files are already there, which names are taken, what is left
//! over from an interrupted run. One listing per target folder and one `sha256sum` per batch of same-size
//! files, so the round trips grow with folders, not files.

use super::select::Selected;
use super::{RestoreError, TEMP_PREFIX, is_temp_name, join_path, split_path};
use crate::backup::manifest::file_path_in;
use crate::device::{Device, DeviceError, command_line, parse_sha256sum, quote};
use crate::progress::{CancelToken, Phase, Progress, ProgressState};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::path::{Path, PathBuf};

/// Longest command sent at once (the adb server takes requests of up to 64 KiB).
pub(crate) const MAX_COMMAND_BYTES: usize = 48 * 1024;

/// A file to push.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedRestore {
    /// What was chosen, and where it wanted to go.
    pub selected: Selected,
    /// Where it goes: `selected.target`, or a free name beside it when a different file has that name.
    pub target: Vec<u8>,
}

impl PlannedRestore {
    /// Whether it gets another name than its own because a different file is in the way.
    #[must_use]
    pub fn renamed(&self) -> bool {
        self.target != self.selected.target
    }
}

/// Counts and sizes of a restore plan.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RestoreTotals {
    /// Files to push.
    pub files_to_push: u64,
    /// Their bytes.
    pub bytes_to_push: u64,
    /// Of those, files that get a free name because a different file has theirs.
    pub renamed: u64,
    /// Files already on the phone with the same content, skipped.
    pub identical_files: u64,
    /// Their bytes.
    pub identical_bytes: u64,
    /// Files that cannot be restored (missing from the backup folder, a file in the way of their folder).
    pub unavailable: u64,
}

/// What a restore will do. Print it (`Display`) for a dry run; give it to [`super::execute`] to do it.
#[derive(Debug, Clone)]
pub struct RestorePlan {
    /// The key of an encrypted backup.
    pub vault: Option<std::sync::Arc<crate::vault::Vault>>,
    /// The backup folder.
    pub backup_dir: PathBuf,
    /// The phone the backup was made of.
    pub source_serial: String,
    /// Files to push, sorted by target.
    pub to_push: Vec<PlannedRestore>,
    /// Files already on the phone with the same content.
    pub identical: Vec<Selected>,
    /// Files that cannot be restored, and why.
    pub unavailable: Vec<(Selected, String)>,
    /// Temp files of an interrupted restore found in the target folders; removed first.
    pub stale_temps: Vec<Vec<u8>>,
    /// Names present in each target folder (and the ones this plan gives out).
    pub(crate) taken: HashMap<Vec<u8>, HashSet<Vec<u8>>>,
    /// Counts and sizes.
    pub totals: RestoreTotals,
    /// The phone's free space when planned, if it said.
    pub free_bytes: Option<u64>,
    /// The phone's SDK level (decides how restored files reach its gallery); 0 when unknown.
    pub sdk: u32,
}

/// What is at a target path.
enum Found {
    Nothing,
    SameSize,
    Other,
}

/// Looks at the phone and works out what restoring `selected` (from [`super::select`]) will do. Reads the
/// backup folder only to check that each copy is there.
pub fn plan(
    backup_dir: &Path,
    source_serial: &str,
    selected: Vec<Selected>,
    device: &Device,
    progress: &dyn Progress,
    cancel: &CancelToken,
) -> Result<RestorePlan, RestoreError> {
    plan_in(backup_dir, None, source_serial, selected, device, progress, cancel)
}

/// Like [`plan`], from a backup folder encrypted with `vault`.
pub fn plan_in(
    backup_dir: &Path,
    vault: Option<std::sync::Arc<crate::vault::Vault>>,
    source_serial: &str,
    selected: Vec<Selected>,
    device: &Device,
    progress: &dyn Progress,
    cancel: &CancelToken,
) -> Result<RestorePlan, RestoreError> {
    let info = device.info().map_err(|e| RestoreError::stop(e, 0))?;
    let encrypted = vault.is_some();
    let mut out = RestorePlan {
        vault,
        backup_dir: backup_dir.to_path_buf(),
        source_serial: source_serial.to_string(),
        to_push: Vec::new(),
        identical: Vec::new(),
        unavailable: Vec::new(),
        stale_temps: Vec::new(),
        taken: HashMap::new(),
        totals: RestoreTotals::default(),
        free_bytes: info.storage.map(|s| s.free_bytes),
        sdk: info.sdk,
    };
    // The copies must be in the backup folder, whole.
    let mut wanted = Vec::with_capacity(selected.len());
    for s in selected {
        let local = file_path_in(backup_dir, &s.entry.local_path.0, out.vault.as_deref());
        match std::fs::symlink_metadata(&local) {
            // An encrypted copy is its plaintext plus age's header and tags.
            Ok(m) if m.is_file() && (m.len() == s.entry.size || (encrypted && m.len() > s.entry.size)) => {
                wanted.push(s);
            }
            Ok(m) if m.is_file() => {
                let why = format!(
                    "its copy in the backup has {} bytes, not {} as recorded: it is damaged (run `phonebak verify`)",
                    m.len(),
                    s.entry.size
                );
                out.unavailable.push((s, why));
            }
            Ok(_) => out.unavailable.push((s, "its copy in the backup is not a regular file".to_string())),
            Err(e) => out.unavailable.push((s, format!("its copy is missing from the backup folder ({e})"))),
        }
    }
    // One listing per target folder.
    let mut folders: BTreeMap<Vec<u8>, Vec<usize>> = BTreeMap::new();
    for (i, s) in wanted.iter().enumerate() {
        folders.entry(split_path(&s.target).0.to_vec()).or_default().push(i);
    }
    let mut found: Vec<Found> = (0..wanted.len()).map(|_| Found::Nothing).collect();
    let mut blocked: HashMap<usize, String> = HashMap::new();
    let mut session = device.sync().map_err(|e| RestoreError::stop(e, 0))?;
    let total_folders = folders.len() as u64;
    for (n, (folder, members)) in folders.iter().enumerate() {
        if cancel.is_cancelled() {
            return Err(RestoreError::Cancelled { files_done: 0 });
        }
        progress.update(&ProgressState {
            phase: Phase::Checking,
            files_done: n as u64,
            files_total: total_folders,
            bytes_done: 0,
            bytes_total: 0,
            current_file: Some(folder.clone()),
            bytes_per_sec: 0.0,
            eta: None,
        });
        let entries = match session.list(folder) {
            Ok(entries) => entries,
            Err(DeviceError::NoSuchFile { .. }) => Vec::new(),
            Err(e @ (DeviceError::NotADirectory { .. } | DeviceError::Remote { .. })) => {
                let why = format!("its folder cannot be used on the phone ({e})");
                for &i in members {
                    blocked.insert(i, why.clone());
                }
                // A failed request may end the session.
                session = device.sync().map_err(|e| RestoreError::stop(e, 0))?;
                continue;
            }
            Err(e) => return Err(RestoreError::stop(e, 0)),
        };
        let by_name: HashMap<&[u8], &crate::device::FileStat> =
            entries.iter().map(|e| (e.name.as_slice(), &e.stat)).collect();
        for &i in members {
            let s = &wanted[i];
            found[i] = match by_name.get(split_path(&s.target).1) {
                None => Found::Nothing,
                Some(st) if st.is_file() && st.size == s.entry.size => Found::SameSize,
                Some(_) => Found::Other,
            };
        }
        for e in &entries {
            if is_temp_name(&e.name) && e.stat.is_file() {
                out.stale_temps.push(join_path(folder, &e.name));
            }
        }
        out.taken.insert(folder.clone(), entries.into_iter().map(|e| e.name).collect());
    }
    drop(session);
    // Same name, same size: the phone's checksum tells whether it is the same photo.
    let candidates: Vec<usize> = (0..wanted.len()).filter(|&i| matches!(found[i], Found::SameSize)).collect();
    let mut identical: HashSet<usize> = HashSet::new();
    for chunk in command_chunks(&candidates, |i| wanted[i].target.as_slice()) {
        if cancel.is_cancelled() {
            return Err(RestoreError::Cancelled { files_done: 0 });
        }
        let paths: Vec<&[u8]> = chunk.iter().map(|&i| wanted[i].target.as_slice()).collect();
        let sums = phone_sha256(device, &paths)?;
        for (&i, sum) in chunk.iter().zip(sums) {
            if sum.as_deref() == Some(wanted[i].entry.sha256.as_str()) {
                identical.insert(i);
            }
        }
    }
    // Names: the file's own when free, else the first free `name (N).ext`.
    for (i, s) in wanted.into_iter().enumerate() {
        if let Some(why) = blocked.remove(&i) {
            out.unavailable.push((s, why));
            continue;
        }
        if identical.contains(&i) {
            out.totals.identical_files += 1;
            out.totals.identical_bytes += s.entry.size;
            out.identical.push(s);
            continue;
        }
        let (folder, name) = split_path(&s.target);
        let taken = out.taken.entry(folder.to_vec()).or_default();
        let name = free_name(name, taken);
        taken.insert(name.clone());
        let target = join_path(folder, &name);
        let planned = PlannedRestore { selected: s, target };
        out.totals.files_to_push += 1;
        out.totals.bytes_to_push += planned.selected.entry.size;
        out.totals.renamed += u64::from(planned.renamed());
        out.to_push.push(planned);
    }
    out.totals.unavailable = out.unavailable.len() as u64;
    Ok(out)
}

/// `name`, or the first of `name (2).ext`, `name (3).ext`... not in `taken`. Never one of phonebak's temp names.
pub(crate) fn free_name(name: &[u8], taken: &HashSet<Vec<u8>>) -> Vec<u8> {
    if !taken.contains(name) && !name.starts_with(TEMP_PREFIX) {
        return name.to_vec();
    }
    let mut n = 2;
    loop {
        let candidate = crate::backup::with_suffix(name, n);
        if !taken.contains(&candidate) {
            return candidate;
        }
        n += 1;
    }
}

/// Splits `items` into runs whose quoted paths fit in one command.
pub(crate) fn command_chunks<'a, T: Copy>(items: &[T], path: impl Fn(T) -> &'a [u8]) -> Vec<Vec<T>> {
    let mut chunks: Vec<Vec<T>> = Vec::new();
    let mut len = MAX_COMMAND_BYTES;
    for &item in items {
        let add = quote(path(item)).len() + 1;
        if len + add > MAX_COMMAND_BYTES {
            chunks.push(Vec::new());
            len = b"'sha256sum' '--'".len();
        }
        len += add;
        if let Some(last) = chunks.last_mut() {
            last.push(item);
        }
    }
    chunks
}

/// The phone's `sha256sum` of each path (one command), `None` for a path it could not read.
pub(crate) fn phone_sha256(device: &Device, paths: &[&[u8]]) -> Result<Vec<Option<String>>, RestoreError> {
    if paths.is_empty() {
        return Ok(Vec::new());
    }
    let mut args: Vec<&[u8]> = vec![b"sha256sum", b"--"];
    args.extend(paths);
    let out = device.shell(&command_line(&args)).map_err(|e| RestoreError::stop(e, 0))?;
    let sums = parse_sha256sum(&out.stdout, paths);
    if sums.iter().all(Option::is_none) && (out.exit_code == 127 || out.exit_code == 126) {
        return Err(RestoreError::NoChecksum { detail: out.stderr_text().trim().to_string() });
    }
    Ok(sums)
}

impl fmt::Display for RestorePlan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let t = &self.totals;
        writeln!(
            f,
            "Restore from {} (phone {}): {} files to copy ({} bytes, {} under a new name); {} already on the phone \
             ({} bytes); {} unavailable",
            self.backup_dir.display(),
            self.source_serial,
            t.files_to_push,
            t.bytes_to_push,
            t.renamed,
            t.identical_files,
            t.identical_bytes,
            t.unavailable
        )?;
        for p in &self.to_push {
            if p.renamed() {
                writeln!(
                    f,
                    "  copy     {}  (as {}: a different file has its name)",
                    String::from_utf8_lossy(&p.selected.target),
                    String::from_utf8_lossy(split_path(&p.target).1)
                )?;
            } else {
                writeln!(f, "  copy     {}", String::from_utf8_lossy(&p.target))?;
            }
        }
        for (s, why) in &self.unavailable {
            writeln!(f, "  skipped  {}: {why}", String::from_utf8_lossy(&s.target))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_taken_name_gets_the_first_free_number() {
        let taken: HashSet<Vec<u8>> = [b"a.jpg".to_vec(), b"a (2).jpg".to_vec()].into_iter().collect();
        assert_eq!(free_name(b"a.jpg", &taken), b"a (3).jpg");
        assert_eq!(free_name(b"b.jpg", &taken), b"b.jpg");
        assert_ne!(free_name(b".phonebak-restore-x.tmp", &HashSet::new()), b".phonebak-restore-x.tmp");
    }

    #[test]
    fn chunks_keep_each_command_under_the_limit() {
        let long = vec![b'a'; 20_000];
        let items = [0usize, 1, 2, 3];
        let chunks = command_chunks(&items, |_| long.as_slice());
        assert_eq!(chunks, vec![vec![0, 1], vec![2, 3]]);
        assert!(command_chunks(&[] as &[usize], |_| long.as_slice()).is_empty());
    }
}
