//! Removing proven files from the phone: a journal line per file in the backup folder first (made durable),
//! then `rm` (every name quoted, many per command, each with its own exit status), then the phone's gallery is
//! told (Android 11+: `content call ... scan_file` on each folder, which drops the rows of files that are gone;
//! older: the `MEDIA_SCANNER_SCAN_FILE` broadcast for each file), so no grey ghost stays in the gallery.
//!
//! The journal (`.phonebak/freed-<serial>.jsonl`; in an encrypted folder, encrypted records under a hashed
//! name) says, for each file, `removing` before the `rm` and `removed` after: a run cut by a pulled cable
//! leaves every removed file with its line, and "put them back" knows what a free-up took away.

use super::{FreeUpError, Proof};
use crate::backup::manifest::{self, ManifestEntry};
use crate::device::{Device, command_line};
use crate::progress::CancelToken;
use crate::scan::MediaFile;
use crate::vault::Vault;
use std::io::Write as _;
use std::path::{Path, PathBuf};

/// Marks each `rm`'s exit status in the output.
const STATUS_MARK: &str = "@@phonebak-rm:";

/// What a removal did.
#[derive(Debug, Default)]
pub struct Removal {
    /// Removed from the phone (each still in the backup).
    pub removed: Vec<(MediaFile, ManifestEntry)>,
    /// Not removed, with what the phone said.
    pub failed: Vec<(MediaFile, String)>,
    /// When the gallery could not be told (the files are gone; the gallery catches up at its next scan).
    pub gallery_problem: Option<String>,
}

impl Removal {
    /// Bytes freed on the phone.
    #[must_use]
    pub fn bytes(&self) -> u64 {
        self.removed.iter().map(|(f, _)| f.size).sum()
    }
}

/// One line of the free-up journal.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum FreedLine {
    /// About to remove this file from the phone (its proof).
    Removing {
        /// The phone path.
        phone_path: manifest::Bytes,
        /// Its copy in the backup folder.
        local_path: manifest::Bytes,
        /// The SHA-256 both ends had.
        sha256: String,
        /// Size in bytes.
        size: u64,
        /// Its date.
        mtime: i64,
        /// When (seconds since 1970).
        at: i64,
    },
    /// The phone said it is gone.
    Removed {
        /// The phone path.
        phone_path: manifest::Bytes,
        /// When.
        at: i64,
    },
}

/// The free-up journal of phone `serial` in `dest`.
#[must_use]
pub fn journal_path(dest: &Path, serial: &str, vault: Option<&Vault>) -> PathBuf {
    let name = match vault {
        Some(v) => v.journal_name(serial).replace(".journal", ".freed"),
        None => format!("freed-{}.jsonl", manifest::file_name_safe(serial)),
    };
    manifest::state_dir(dest).join(name)
}

/// Appends `lines` to the journal and makes them durable before returning.
fn journal(path: &Path, vault: Option<&Vault>, lines: &[FreedLine]) -> Result<(), FreeUpError> {
    let fail = |e: std::io::Error| FreeUpError::Journal { path: path.to_path_buf(), source: e };
    let mut text = Vec::new();
    for line in lines {
        let json = serde_json::to_vec(line).map_err(|e| fail(std::io::Error::other(e)))?;
        match vault {
            Some(v) => text.extend_from_slice(manifest::hex(&v.seal(&json).map_err(fail)?).as_bytes()),
            None => text.extend_from_slice(&json),
        }
        text.push(b'\n');
    }
    let mut file = std::fs::OpenOptions::new().create(true).append(true).open(path).map_err(fail)?;
    file.write_all(&text).map_err(fail)?;
    file.sync_all().map_err(fail)
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// Removes the proven files of `proof` from the phone, journaled in the backup folder `dest` (phone
/// `serial`, Android SDK `sdk`), and tells the gallery. A batch's journal lines are durable before its `rm`:
/// a backup folder that cannot be written (gone, read-only, full) stops the run before anything is removed.
///
/// # Errors
/// The journal cannot be written, the phone went away, or a cancel; what was removed before is journaled.
pub fn remove(
    device: &Device,
    dest: &Path,
    serial: &str,
    vault: Option<&Vault>,
    sdk: u32,
    proof: &Proof,
    cancel: &CancelToken,
) -> Result<Removal, FreeUpError> {
    // One writer at a time in the backup folder: a backup or the agent copying into it waits for this.
    let what = format!("{}: free-up of {serial}", crate::backup::lock::role());
    let _lock = crate::backup::lock::lock(dest, &what).map_err(FreeUpError::Locked)?;
    let path = journal_path(dest, serial, vault);
    let mut removal = Removal::default();
    let mut rest = proof.proven.as_slice();
    while !rest.is_empty() {
        if cancel.is_cancelled() {
            return Err(FreeUpError::Cancelled);
        }
        // `rm -- PATH 2>&1; echo MARK$?; ` per file.
        let take = super::batch_len(rest, STATUS_MARK.len() + 24);
        let (batch, after) = rest.split_at(take);
        rest = after;
        let at = now();
        let removing: Vec<FreedLine> = batch
            .iter()
            .map(|(f, e)| FreedLine::Removing {
                phone_path: manifest::Bytes(f.path.clone()),
                local_path: e.local_path.clone(),
                sha256: e.sha256.clone(),
                size: e.size,
                mtime: e.mtime,
                at,
            })
            .collect();
        journal(&path, vault, &removing)?;
        let mut command = Vec::new();
        for (file, _) in batch {
            if !command.is_empty() {
                command.extend_from_slice(b"; ");
            }
            command.extend_from_slice(&command_line(&[&b"rm"[..], b"--", &file.path]));
            command.extend_from_slice(format!(" 2>&1; echo {STATUS_MARK}$?").as_bytes());
        }
        let out = device.shell(&command)?;
        let statuses = parse_statuses(&out.stdout);
        let mut removed_lines = Vec::new();
        for (i, (file, entry)) in batch.iter().enumerate() {
            match statuses.get(i) {
                Some((0, _)) => {
                    removed_lines
                        .push(FreedLine::Removed { phone_path: manifest::Bytes(file.path.clone()), at: now() });
                    removal.removed.push((file.clone(), entry.clone()));
                }
                Some((_, said)) => removal.failed.push((file.clone(), said.clone())),
                None => removal.failed.push((file.clone(), "the phone did not say".to_string())),
            }
        }
        journal(&path, vault, &removed_lines)?;
    }
    removal.gallery_problem = tell_gallery(device, sdk, &removal.removed).err();
    Ok(removal)
}

/// Each `rm`'s exit status and what it printed, in order.
fn parse_statuses(out: &[u8]) -> Vec<(i32, String)> {
    let text = String::from_utf8_lossy(out);
    let mut said = String::new();
    let mut statuses = Vec::new();
    for line in text.split_inclusive('\n') {
        match line.trim_end().strip_prefix(STATUS_MARK).and_then(|s| s.parse::<i32>().ok()) {
            Some(status) => statuses.push((status, std::mem::take(&mut said).trim().to_string())),
            None => said.push_str(line),
        }
    }
    statuses
}

/// Tells the phone's media store that the files are gone: one `scan_file` per folder on Android 11+ (a
/// folder scan drops the rows of its missing files), the scan broadcast per file before.
fn tell_gallery(device: &Device, sdk: u32, removed: &[(MediaFile, ManifestEntry)]) -> Result<(), String> {
    // A folder scan on Android 11+ drops the rows of its missing files: one per folder. Before, each file.
    let mut paths: Vec<&[u8]> = removed
        .iter()
        .map(|(f, _)| if sdk >= 30 { crate::restore::split_path(&f.path).0 } else { f.path.as_slice() })
        .collect();
    paths.sort_unstable();
    paths.dedup();
    let parts: Vec<Vec<u8>> = paths.iter().map(|p| crate::restore::scan_command(p, sdk)).collect();
    for line in crate::restore::batch_commands(parts, super::MAX_COMMAND_BYTES) {
        let out = device.shell(&line).map_err(|e| e.to_string())?;
        let said = out.stderr_text();
        if said.contains("Error") || said.contains("Exception") {
            return Err(said.trim().to_string());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_rm_status_is_read_with_what_it_said() {
        let out = b"@@phonebak-rm:0\nrm: /sdcard/x: No such file or directory\n@@phonebak-rm:1\n@@phonebak-rm:0\n";
        assert_eq!(
            parse_statuses(out),
            vec![(0, String::new()), (1, "rm: /sdcard/x: No such file or directory".to_string()), (0, String::new())]
        );
    }
}
