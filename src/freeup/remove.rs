//! Removing proven files from the phone, one of two ways ([`Disposal`]):
//!
//! - to the phone's trash (Android 11+, the default there): per batch, one `content query` finds each file's
//!   media row `_id` (selected by `_data`, every name an SQL string literal with its quotes doubled, inside
//!   shell quoting); a journal line per file with a row; then one command sets `is_trashed=1` on those rows
//!   (`content update ... --where "_id IN (...)"`, and `MediaProvider` renames each file to
//!   `.trashed-<expiry>-NAME` in its folder, kept 30 days, out of every gallery) and checks with `test -e` that
//!   each file left its name. A file with no media row (or a name the media store cannot hold) cannot go to
//!   the trash: it is kept with that reason. A provider that refuses the shell stops the run
//!   ([`FreeUpError::TrashRefused`]) before anything more is touched, so the person can choose permanent removal.
//! - permanently: a journal line per file in the backup folder first (made durable), then `rm` (every name
//!   quoted, many per command, each with its own exit status), then the phone's gallery is told (Android 11+:
//!   `content call ... scan_file` on each folder, which drops the rows of files that are gone; older: the
//!   `MEDIA_SCANNER_SCAN_FILE` broadcast for each file), so no grey ghost stays in the gallery.
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
/// Marks each `test -e`'s exit status after a trash update.
const EXISTS_MARK: &str = "@@phonebak-exists:";

/// Where the removed files go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Disposal {
    /// Into the phone's trash (Android 11+): hidden from every gallery, kept 30 days, then deleted by the phone.
    Trash,
    /// Deleted at once.
    #[default]
    Permanent,
}

/// Whether the phone's media store has a trash the shell can use: Android 11 (API 30) and later.
#[must_use]
pub fn has_trash(sdk: u32) -> bool {
    sdk >= 30
}

/// What a removal did.
#[derive(Debug, Default)]
pub struct Removal {
    /// Where the removed files went.
    pub disposal: Disposal,
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
        /// Into the phone's trash (not deleted at once). Lines written before the trash existed have none.
        #[serde(default)]
        trash: bool,
    },
    /// The phone said it is gone (from its name: in the trash when `trash`).
    Removed {
        /// The phone path.
        phone_path: manifest::Bytes,
        /// When.
        at: i64,
        /// Moved into the phone's trash.
        #[serde(default)]
        trash: bool,
    },
}

impl FreedLine {
    /// The line written before phone file `file`, proven by `entry`, is removed (into the trash when `trash`).
    fn removing(file: &MediaFile, entry: &ManifestEntry, at: i64, trash: bool) -> Self {
        Self::Removing {
            phone_path: manifest::Bytes(file.path.clone()),
            local_path: entry.local_path.clone(),
            sha256: entry.sha256.clone(),
            size: entry.size,
            mtime: entry.mtime,
            at,
            trash,
        }
    }
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

/// Removes the proven files of `proof` from the phone, to its trash or permanently (`disposal`), journaled in
/// the backup folder `dest` (phone `serial`, Android SDK `sdk`), and tells the gallery. A batch's journal
/// lines are durable before the phone is touched: a backup folder that cannot be written (gone, read-only,
/// full) stops the run before anything is removed.
///
/// # Errors
/// The journal cannot be written, the phone went away, or a cancel; what was removed before is journaled.
/// [`FreeUpError::TrashRefused`] when the trash was chosen and the phone has none or refuses the shell (with
/// what was trashed before).
#[allow(clippy::too_many_arguments, reason = "the phone, the backup folder, what to remove and how, each needed")]
pub fn remove(
    device: &Device,
    dest: &Path,
    serial: &str,
    vault: Option<&Vault>,
    sdk: u32,
    proof: &Proof,
    disposal: Disposal,
    cancel: &CancelToken,
) -> Result<Removal, FreeUpError> {
    if disposal == Disposal::Trash && !has_trash(sdk) {
        return Err(FreeUpError::TrashRefused {
            said: format!("its media store has a trash from Android 11 (API 30) on; this phone has API {sdk}"),
            so_far: Box::default(),
        });
    }
    // One writer at a time in the backup folder: a backup or the agent copying into it waits for this.
    let what = format!("{}: free-up of {serial}", crate::backup::lock::role());
    let _lock = crate::backup::lock::lock(dest, &what).map_err(FreeUpError::Locked)?;
    let path = journal_path(dest, serial, vault);
    let mut removal = Removal { disposal, ..Removal::default() };
    if disposal == Disposal::Trash {
        let mut rest = proof.proven.as_slice();
        while !rest.is_empty() {
            if cancel.is_cancelled() {
                return Err(FreeUpError::Cancelled);
            }
            let (batch, after) = rest.split_at(trash_batch_len(rest));
            rest = after;
            trash_batch(device, &path, vault, batch, &mut removal)?;
        }
        return Ok(removal);
    }
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
        let removing: Vec<FreedLine> = batch.iter().map(|(f, e)| FreedLine::removing(f, e, at, false)).collect();
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
                    removed_lines.push(FreedLine::Removed {
                        phone_path: manifest::Bytes(file.path.clone()),
                        at: now(),
                        trash: false,
                    });
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

/// The media store's files collection, where every photo and video has its row.
const FILES_URI: &str = "content://media/external/file";

/// How many of `files` fit in one trash batch: the query's SQL literals and the update's `test -e`s each
/// under [`super::MAX_COMMAND_BYTES`], at most [`super::MAX_BATCH_FILES`].
fn trash_batch_len(files: &[(MediaFile, ManifestEntry)]) -> usize {
    let (mut query, mut update, mut n) = (256, 256, 0);
    for (file, _) in files.iter().take(super::MAX_BATCH_FILES) {
        // A literal inside the shell's quotes: each `'` is doubled for SQL, then each becomes `'\''`.
        let literal = file.path.len() + 8 * file.path.iter().filter(|&&b| b == b'\'').map(|_| 1).sum::<usize>() + 8;
        let test = crate::device::quote(&file.path).len() + EXISTS_MARK.len() + 32;
        if n > 0 && (query + literal > super::MAX_COMMAND_BYTES || update + test > super::MAX_COMMAND_BYTES) {
            break;
        }
        query += literal;
        update += test;
        n += 1;
    }
    n.max(1)
}

/// `s` as an SQL string literal: in single quotes, each single quote doubled.
fn sql_literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// What the provider said on stderr, in one line: the exception and its message (no stack), or "".
fn provider_said(stderr: &[u8]) -> String {
    let text = String::from_utf8_lossy(stderr);
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("at ") && !l.starts_with("Error while accessing provider"))
        .collect();
    lines.first().map_or(String::new(), |l| (*l).to_string())
}

/// Moves one batch into the phone's trash: finds the rows, journals, sets `is_trashed`, checks.
fn trash_batch(
    device: &Device,
    journal_file: &Path,
    vault: Option<&Vault>,
    batch: &[(MediaFile, ManifestEntry)],
    removal: &mut Removal,
) -> Result<(), FreeUpError> {
    // 1. The media row of each file, selected by `_data` (a name the media store cannot hold has none).
    let mut named: Vec<(&MediaFile, &ManifestEntry, &str)> = Vec::new();
    for (file, entry) in batch {
        match std::str::from_utf8(&file.path) {
            Ok(text) => named.push((file, entry, text)),
            Err(_) => removal.failed.push((
                file.clone(),
                "its name is not valid UTF-8, so the phone's media store cannot name it for the trash; kept                  (permanent removal can remove it)"
                    .to_string(),
            )),
        }
    }
    if named.is_empty() {
        return Ok(());
    }
    let literals: Vec<String> = named.iter().map(|(_, _, p)| sql_literal(p)).collect();
    let selection = format!("_data IN ({})", literals.join(", "));
    let query = command_line(&[
        "content",
        "query",
        "--uri",
        FILES_URI,
        "--projection",
        "_id:_data",
        "--where",
        selection.as_str(),
    ]);
    let out = device.shell(&query)?;
    let said = provider_said(&out.stderr);
    if !said.is_empty() {
        return Err(FreeUpError::TrashRefused { said, so_far: Box::new(std::mem::take(removal)) });
    }
    let wanted: Vec<&str> = named.iter().map(|(_, _, p)| *p).collect();
    let ids = parse_id_rows(&out.stdout, &wanted);
    let mut with_row = Vec::new();
    for (file, entry, text) in named {
        match ids.get(text) {
            Some(&id) => with_row.push((file, entry, id)),
            None => removal.failed.push((
                file.clone(),
                "it has no row in the phone's gallery, so it cannot go to the phone's trash; kept (permanent \
                 removal can remove it)"
                    .to_string(),
            )),
        }
    }
    if with_row.is_empty() {
        return Ok(());
    }
    // 2. The journal, durable before the phone is touched.
    let at = now();
    let lines: Vec<FreedLine> = with_row.iter().map(|(f, e, _)| FreedLine::removing(f, e, at, true)).collect();
    journal(journal_file, vault, &lines)?;
    // 3. One command: the update, then whether each file still has its name.
    let id_list: Vec<String> = with_row.iter().map(|(_, _, id)| id.to_string()).collect();
    let where_ids = format!("_id IN ({})", id_list.join(","));
    let mut command = command_line(&[
        "content",
        "update",
        "--uri",
        FILES_URI,
        "--bind",
        "is_trashed:i:1",
        "--where",
        where_ids.as_str(),
    ]);
    for (file, _, _) in &with_row {
        command.extend_from_slice(b"; ");
        command.extend_from_slice(&command_line(&[&b"test"[..], b"-e", &file.path]));
        command.extend_from_slice(format!("; echo {EXISTS_MARK}$?").as_bytes());
    }
    let out = device.shell(&command)?;
    let said = provider_said(&out.stderr);
    let statuses: Vec<i32> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.trim_end().strip_prefix(EXISTS_MARK).and_then(|s| s.parse().ok()))
        .collect();
    let mut trashed_lines = Vec::new();
    let mut still_there = Vec::new();
    for (i, (file, entry, _)) in with_row.iter().enumerate() {
        match statuses.get(i) {
            // `test -e` fails: the file left its name, into the trash.
            Some(1) => {
                trashed_lines.push(FreedLine::Removed {
                    phone_path: manifest::Bytes(file.path.clone()),
                    at: now(),
                    trash: true,
                });
                removal.removed.push(((*file).clone(), (*entry).clone()));
            }
            Some(0) => still_there.push((*file).clone()),
            _ => {
                removal
                    .failed
                    .push(((*file).clone(), "the phone did not say whether it went to the trash".to_string()));
            }
        }
    }
    journal(journal_file, vault, &trashed_lines)?;
    if !still_there.is_empty() {
        if !said.is_empty() && trashed_lines.is_empty() {
            // Refused (or no trash): nothing of this batch moved. The person chooses what to do next.
            return Err(FreeUpError::TrashRefused { said, so_far: Box::new(std::mem::take(removal)) });
        }
        let why = if said.is_empty() {
            "the phone's media store did not move it to the trash".to_string()
        } else {
            format!("the phone's media store did not move it to the trash ({said})")
        };
        removal.failed.extend(still_there.into_iter().map(|f| (f, why.clone())));
    }
    Ok(())
}

/// The `_id` of each of `wanted` in `content query --projection _id:_data` output. Values are printed raw
/// (a name may hold a newline, a comma or `Row: `), so a row is read only as one of the wanted paths followed
/// by the end of its line and the next row's header (or the end): the longest such path wins. A row that
/// cannot be read this way ends the reading; its files then have no `_id` and are kept.
fn parse_id_rows<'a>(out: &[u8], wanted: &[&'a str]) -> std::collections::HashMap<&'a str, i64> {
    let mut ids = std::collections::HashMap::new();
    let mut pos = 0;
    for n in 0usize.. {
        let rest = &out[pos..];
        let head = format!("Row: {n} _id=");
        let Some(after) = rest.strip_prefix(head.as_bytes()) else { break };
        let digits = after.iter().take_while(|b| b.is_ascii_digit()).count();
        let Some(id) = std::str::from_utf8(&after[..digits]).ok().and_then(|d| d.parse::<i64>().ok()) else { break };
        let Some(data) = after[digits..].strip_prefix(b", _data=") else { break };
        let next = format!("Row: {} _id=", n + 1);
        let found = wanted
            .iter()
            .filter(|p| {
                data.strip_prefix(p.as_bytes())
                    .and_then(|r| r.strip_prefix(b"\n"))
                    .is_some_and(|r| r.is_empty() || r.starts_with(next.as_bytes()))
            })
            .max_by_key(|p| p.len());
        let Some(path) = found else { break };
        ids.insert(*path, id);
        pos += head.len() + digits + b", _data=".len() + path.len() + 1;
    }
    ids
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

    #[test]
    fn journal_lines_written_before_the_trash_read_as_permanent_removals() {
        let old = br#"{"event":"removing","phone_path":"/storage/emulated/0/DCIM/a.jpg","local_path":"P/DCIM/a.jpg","sha256":"ab","size":3,"mtime":1,"at":2}"#;
        let line: FreedLine = serde_json::from_slice(old).expect("an old line");
        assert!(matches!(line, FreedLine::Removing { trash: false, .. }), "{line:?}");
        let old = br#"{"event":"removed","phone_path":"/storage/emulated/0/DCIM/a.jpg","at":2}"#;
        let line: FreedLine = serde_json::from_slice(old).expect("an old line");
        assert!(matches!(line, FreedLine::Removed { trash: false, .. }), "{line:?}");
    }

    #[test]
    fn row_ids_are_read_only_for_wanted_paths_even_when_a_name_holds_a_newline_and_a_row_header() {
        let a = "/storage/emulated/0/DCIM/a\nRow: 1 _id=9, _data=/storage/emulated/0/DCIM/b.jpg";
        let b = "/storage/emulated/0/DCIM/b.jpg";
        let out = format!("Row: 0 _id=4, _data={a}\nRow: 1 _id=5, _data={b}\n");
        let ids = parse_id_rows(out.as_bytes(), &[a, b]);
        assert_eq!((ids.get(a), ids.get(b)), (Some(&4), Some(&5)));
        assert!(parse_id_rows(b"No result found.\n", &[a]).is_empty());
        // A row for a path nobody asked for ends the reading: no guess.
        let out = format!("Row: 0 _id=4, _data=/elsewhere\nRow: 1 _id=5, _data={b}\n");
        assert!(parse_id_rows(out.as_bytes(), &[b]).is_empty());
    }

    #[test]
    fn sql_literals_double_single_quotes_and_the_provider_line_is_the_exception() {
        assert_eq!(sql_literal("it's \"q\" $x\\"), "'it''s \"q\" $x\\'");
        let stderr = b"Error while accessing provider:media\njava.lang.SecurityException: Permission Denial: no\n\tat a.b(C.java:1)\n";
        assert_eq!(provider_said(stderr), "java.lang.SecurityException: Permission Denial: no");
        assert_eq!(provider_said(b""), "");
    }
}
