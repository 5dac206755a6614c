//! The backup manifest and its journal: what a backup folder holds, in a form a person (and a later phonebak)
//! can read.
//!
//! # Files
//!
//! Everything phonebak keeps for itself lives in `<dest>/.phonebak/`, beside the plain files a person browses:
//!
//! - `manifest-<serial>.json`: the manifest of one phone (format below). Written atomically: a temp file in
//!   the same folder, fsync, rename over the old one, fsync of the folder. A crash leaves the old or the new
//!   manifest, never half of one.
//! - `journal-<serial>.jsonl`: an append-only journal, one JSON object a line. `{"event":"started", ...}` is
//!   written before a file is pulled, `{"event":"finished", "file": ENTRY}` once it is verified, dated and
//!   renamed into place. Loading the manifest replays the `finished` lines it does not list yet (a run that
//!   stopped between two manifest writes); the journal is emptied each time the manifest is written. A torn
//!   last line is ignored.
//! - `tmp/`: files being pulled. Never visible beside finished files; emptied at the start of each run.
//!
//! # Manifest format (version 1)
//!
//! ```json
//! {
//!   "format": "phonebak-manifest",
//!   "version": 1,
//!   "serial": "R58N1234",
//!   "model": "Pixel 7",
//!   "files": [
//!     {
//!       "phone_path": "/storage/emulated/0/DCIM/Camera/IMG_1.jpg",
//!       "local_path": "Pixel 7 (R58N1234)/DCIM/Camera/IMG_1.jpg",
//!       "size": 2483921,
//!       "mtime": 1700000000,
//!       "sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
//!       "backed_up_at": 1700001234
//!     }
//!   ]
//! }
//! ```
//!
//! - `phone_path` and `local_path` are byte strings (phone names need not be UTF-8). A name that is valid UTF-8
//!   is stored as a JSON string; any other is stored as `{"hex": "<two lowercase hex digits per byte>"}`.
//! - `local_path` is relative to the backup folder (`<dest>`), `/`-separated. A manifest whose local path is
//!   absolute, has an empty, `.` or `..` component, or resolves (through symbolic links) outside the backup
//!   folder is refused when loaded.
//! - `mtime` and `backed_up_at` are seconds since 1970 (UTC); `mtime` is the phone's modification time, also
//!   set on the local file. `sha256` is lowercase hex, of the bytes on disk, checked against the phone's own
//!   `sha256sum`.
//! - The same phone path may appear more than once: when a photo changed on the phone, the old copy is kept
//!   and the new one is saved beside it (`IMG_1 (2).jpg`).

use super::BackupError;
use crate::vault::Vault;
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The manifest's `format` field.
pub const FORMAT_NAME: &str = "phonebak-manifest";
/// The manifest format version this phonebak writes and reads.
pub const FORMAT_VERSION: u32 = 1;
/// The folder inside the backup folder that holds phonebak's own files.
pub const STATE_DIR: &str = ".phonebak";

/// A byte string stored as a JSON string when it is UTF-8, else as `{"hex": "..."}`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Bytes(pub Vec<u8>);

#[derive(Serialize, Deserialize)]
#[serde(untagged)]
enum BytesRepr {
    Text(String),
    Raw { hex: String },
}

impl Serialize for Bytes {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match std::str::from_utf8(&self.0) {
            Ok(text) => BytesRepr::Text(text.to_string()).serialize(s),
            Err(_) => BytesRepr::Raw { hex: hex(&self.0) }.serialize(s),
        }
    }
}

impl<'de> Deserialize<'de> for Bytes {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match BytesRepr::deserialize(d)? {
            BytesRepr::Text(text) => Ok(Self(text.into_bytes())),
            BytesRepr::Raw { hex } => {
                unhex(&hex).map(Self).ok_or_else(|| serde::de::Error::custom(format!("bad hex string {hex:?}")))
            }
        }
    }
}

/// Lowercase hex of `bytes`.
#[must_use]
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(out, "{b:02x}");
    }
    out
}

/// The bytes of lowercase or uppercase hex `text`; `None` when it is not hex.
#[must_use]
pub fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len()).step_by(2).map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok()).collect()
}

/// One backed-up file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestEntry {
    /// Its path on the phone.
    pub phone_path: Bytes,
    /// Its path in the backup folder, relative and `/`-separated.
    pub local_path: Bytes,
    /// Size in bytes.
    pub size: u64,
    /// The phone's modification time (seconds since 1970), also set on the local copy.
    pub mtime: i64,
    /// SHA-256 of the content, lowercase hex, the same on the phone and on disk.
    pub sha256: String,
    /// When it was backed up (seconds since 1970).
    pub backed_up_at: i64,
}

/// The manifest of one phone's backup in one backup folder (see the module docs for the format).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// Always [`FORMAT_NAME`].
    pub format: String,
    /// The format version ([`FORMAT_VERSION`]).
    pub version: u32,
    /// The phone's own serial.
    pub serial: String,
    /// The phone's model.
    pub model: String,
    /// Every backed-up file, in the order they were recorded.
    pub files: Vec<ManifestEntry>,
}

#[derive(Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
enum JournalLine {
    Started { phone_path: Bytes, at: i64 },
    Finished { file: ManifestEntry },
}

/// A serial or model made safe as part of a file name: `/`, `\`, control characters and `:*?"<>|` become `_`.
#[must_use]
pub fn file_name_safe(text: &str) -> String {
    let cleaned: String =
        text.chars().map(|c| if c.is_control() || "/\\:*?\"<>|".contains(c) { '_' } else { c }).collect();
    let trimmed = cleaned.trim().trim_matches('.');
    if trimmed.is_empty() { "phone".to_string() } else { trimmed.to_string() }
}

/// The state folder `<dest>/.phonebak`.
#[must_use]
pub fn state_dir(dest: &Path) -> PathBuf {
    dest.join(STATE_DIR)
}

/// The folder for files being pulled, `<dest>/.phonebak/tmp`.
#[must_use]
pub fn tmp_dir(dest: &Path) -> PathBuf {
    state_dir(dest).join("tmp")
}

/// Turns a manifest's local path (bytes, `/`-separated) into a path on this computer.
#[cfg(unix)]
#[must_use]
pub fn local_path_of(rel: &[u8]) -> PathBuf {
    use std::os::unix::ffi::OsStrExt;
    PathBuf::from(std::ffi::OsStr::from_bytes(rel))
}

/// Turns a manifest's local path (bytes, `/`-separated) into a path on this computer.
#[cfg(not(unix))]
#[must_use]
pub fn local_path_of(rel: &[u8]) -> PathBuf {
    PathBuf::from(String::from_utf8_lossy(rel).into_owned())
}

/// Where the file with the manifest's local path `rel` is on disk in the backup folder `dest`: at that path in a
/// plain backup, under its hashed name in one encrypted with `vault`.
#[must_use]
pub fn file_path_in(dest: &Path, rel: &[u8], vault: Option<&Vault>) -> PathBuf {
    match vault {
        Some(v) => dest.join(v.object_path(rel)),
        None => dest.join(local_path_of(rel)),
    }
}

/// Opens the copy with the manifest's local path `rel` for reading its plaintext (decrypted as it is read in a
/// backup encrypted with `vault`; a damaged part fails with `InvalidData` when reached).
pub fn open_copy(dest: &Path, rel: &[u8], vault: Option<&Vault>) -> std::io::Result<Box<dyn std::io::Read + Send>> {
    let path = file_path_in(dest, rel, vault);
    let file = File::open(&path)?;
    match vault {
        None => Ok(Box::new(file)),
        Some(v) => {
            let reader = v
                .decrypt(BufReader::with_capacity(256 * 1024, file), &path)
                .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e.to_string()))?;
            Ok(Box::new(reader))
        }
    }
}

/// What re-hashing a backed-up copy found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CopyState {
    /// Its size and SHA-256 are the manifest's.
    Good,
    /// It is not there.
    Missing,
    /// It differs, or cannot be read or decrypted (why, for people).
    Damaged(String),
}

/// Re-hashes the copy of `entry` in the backup folder `dest` (decrypting it with `vault` in an encrypted one)
/// and compares it with what the manifest recorded.
#[must_use]
pub fn check_copy(dest: &Path, entry: &ManifestEntry, vault: Option<&Vault>) -> CopyState {
    use sha2::{Digest as _, Sha256};
    use std::io::Read as _;
    let mut file = match open_copy(dest, &entry.local_path.0, vault) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return CopyState::Missing,
        Err(e) if e.kind() == std::io::ErrorKind::InvalidData => {
            return CopyState::Damaged(format!("cannot be decrypted ({e})"));
        }
        Err(e) => return CopyState::Damaged(format!("cannot be read ({e})")),
    };
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut size = 0u64;
    loop {
        match file.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                hasher.update(&buf[..n]);
                size += n as u64;
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) if vault.is_some() => return CopyState::Damaged(format!("cannot be decrypted ({e})")),
            Err(e) => return CopyState::Damaged(format!("cannot be read ({e})")),
        }
    }
    let sha = hex(&hasher.finalize());
    if size != entry.size {
        CopyState::Damaged(format!("size is {size} bytes, the backup recorded {}", entry.size))
    } else if sha != entry.sha256 {
        CopyState::Damaged(format!("content changed: sha256 {sha}, the backup recorded {}", entry.sha256))
    } else {
        CopyState::Good
    }
}

/// Why a relative local path is not safe, if it is not.
#[must_use]
pub fn unsafe_reason(rel: &[u8]) -> Option<&'static str> {
    if rel.is_empty() {
        return Some("it is empty");
    }
    if rel.first() == Some(&b'/') || rel.first() == Some(&b'\\') || rel.get(1) == Some(&b':') {
        return Some("it is absolute");
    }
    if rel.contains(&0) {
        return Some("it contains a NUL byte");
    }
    for part in rel.split(|&b| b == b'/') {
        match part {
            b"" => return Some("it has an empty component"),
            b"." => return Some("it has a `.` component"),
            b".." => return Some("it contains `..`"),
            _ if cfg!(windows) && part.contains(&b'\\') => return Some("it contains `\\`"),
            _ => {}
        }
    }
    None
}

fn now_secs() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}

fn disk<'p>(action: &'static str, path: &'p Path) -> impl FnOnce(std::io::Error) -> BackupError + 'p {
    move |source| BackupError::disk(action, path, source)
}

/// Fsyncs a folder so a rename in it is durable (a no-op where folders cannot be opened).
pub(crate) fn sync_dir(dir: &Path) -> Result<(), BackupError> {
    #[cfg(unix)]
    {
        File::open(dir).and_then(|f| f.sync_all()).map_err(disk("sync the folder", dir))?;
    }
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

impl Manifest {
    /// An empty manifest for a phone.
    #[must_use]
    pub fn new(serial: &str, model: &str) -> Self {
        Self {
            format: FORMAT_NAME.to_string(),
            version: FORMAT_VERSION,
            serial: serial.to_string(),
            model: model.to_string(),
            files: Vec::new(),
        }
    }

    /// Where the manifest of phone `serial` lives in the backup folder `dest`.
    #[must_use]
    pub fn path(dest: &Path, serial: &str) -> PathBuf {
        state_dir(dest).join(format!("manifest-{}.json", file_name_safe(serial)))
    }

    /// Where the journal of phone `serial` lives in the backup folder `dest`.
    #[must_use]
    pub fn journal_path(dest: &Path, serial: &str) -> PathBuf {
        state_dir(dest).join(format!("journal-{}.jsonl", file_name_safe(serial)))
    }

    /// Where the manifest of phone `serial` lives in `dest`, encrypted with `vault` or not.
    #[must_use]
    pub fn path_in(dest: &Path, serial: &str, vault: Option<&Vault>) -> PathBuf {
        match vault {
            Some(v) => state_dir(dest).join(v.manifest_name(serial)),
            None => Self::path(dest, serial),
        }
    }

    /// Where the journal of phone `serial` lives in `dest`, encrypted with `vault` or not.
    #[must_use]
    pub fn journal_path_in(dest: &Path, serial: &str, vault: Option<&Vault>) -> PathBuf {
        match vault {
            Some(v) => state_dir(dest).join(v.journal_name(serial)),
            None => Self::journal_path(dest, serial),
        }
    }

    /// The folder the phone's files go to, relative to the backup folder: `<Model> (<serial>)`.
    #[must_use]
    pub fn device_folder(&self) -> String {
        let model = if self.model.trim().is_empty() { "Phone" } else { self.model.as_str() };
        file_name_safe(&format!("{model} ({})", self.serial))
    }

    /// Loads the manifest of phone `serial` from `dest` (with the journal's finished files replayed), or
    /// `None` when there is none yet. Refuses a manifest that names a file outside the backup folder.
    pub fn load(dest: &Path, serial: &str) -> Result<Option<Self>, BackupError> {
        Self::load_in(dest, serial, None)
    }

    /// Like [`Manifest::load`], for a backup folder encrypted with `vault` (`None`: a plain one; an encrypted
    /// folder then asks for its password).
    pub fn load_in(dest: &Path, serial: &str, vault: Option<&Vault>) -> Result<Option<Self>, BackupError> {
        if vault.is_none() && crate::vault::is_encrypted(dest) {
            return Err(BackupError::PasswordNeeded { dir: dest.to_path_buf() });
        }
        let path = Self::path_in(dest, serial, vault);
        let text = match std::fs::read(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                // A first run that stopped before its first manifest write still has a journal.
                let mut manifest = Self::new(serial, "");
                manifest.replay_journal(dest, vault)?;
                return Ok((!manifest.files.is_empty()).then_some(manifest));
            }
            Err(e) => return Err(BackupError::disk("read the manifest", &path, e)),
        };
        let text = match vault {
            Some(v) => v
                .unseal(&text, &path)
                .map_err(|e| BackupError::ManifestUnreadable { detail: e.to_string(), manifest: path.clone() })?,
            None => text,
        };
        let mut manifest: Self = serde_json::from_slice(&text)
            .map_err(|e| BackupError::ManifestUnreadable { detail: e.to_string(), manifest: path.clone() })?;
        if manifest.format != FORMAT_NAME {
            return Err(BackupError::ManifestUnreadable {
                detail: format!("its format is {:?}, not {FORMAT_NAME:?}", manifest.format),
                manifest: path,
            });
        }
        if manifest.version != FORMAT_VERSION {
            return Err(BackupError::ManifestVersion { found: manifest.version, manifest: path });
        }
        if vault.is_some() {
            // Encrypted files are stored under hashed names: only the paths themselves need checking.
            if let Some(entry) = manifest.files.iter().find(|e| unsafe_reason(&e.local_path.0).is_some()) {
                return Err(BackupError::ManifestUnsafe {
                    local_path: String::from_utf8_lossy(&entry.local_path.0).into_owned(),
                    why: unsafe_reason(&entry.local_path.0).unwrap_or_default().to_string(),
                    manifest: path,
                });
            }
        } else {
            manifest.check_paths(dest, &path)?;
        }
        manifest.replay_journal(dest, vault)?;
        Ok(Some(manifest))
    }

    /// Loads the manifest of this phone, or starts an empty one.
    pub fn load_or_new(dest: &Path, serial: &str, model: &str) -> Result<Self, BackupError> {
        Self::load_or_new_in(dest, serial, model, None)
    }

    /// Like [`Manifest::load_or_new`], for a backup folder encrypted with `vault`.
    pub fn load_or_new_in(dest: &Path, serial: &str, model: &str, vault: Option<&Vault>) -> Result<Self, BackupError> {
        let mut manifest = Self::load_in(dest, serial, vault)?.unwrap_or_else(|| Self::new(serial, model));
        if manifest.model.is_empty() {
            manifest.model = model.to_string();
        }
        Ok(manifest)
    }

    /// Checks every local path: relative, no `..`, and not leading outside `dest` through a symbolic link.
    fn check_paths(&self, dest: &Path, manifest_path: &Path) -> Result<(), BackupError> {
        let refuse = |entry: &ManifestEntry, why: String| BackupError::ManifestUnsafe {
            local_path: String::from_utf8_lossy(&entry.local_path.0).into_owned(),
            why,
            manifest: manifest_path.to_path_buf(),
        };
        let root = dest.canonicalize().map_err(disk("open the backup folder", dest))?;
        let mut checked: HashSet<PathBuf> = HashSet::new();
        for entry in &self.files {
            if let Some(why) = unsafe_reason(&entry.local_path.0) {
                return Err(refuse(entry, why.to_string()));
            }
            // The deepest folder of the path that exists must resolve inside the backup folder.
            let full = dest.join(local_path_of(&entry.local_path.0));
            let mut dir = full.parent().map(Path::to_path_buf);
            while let Some(d) = dir {
                if checked.contains(&d) {
                    break;
                }
                if let Ok(real) = d.canonicalize() {
                    if !real.starts_with(&root) {
                        return Err(refuse(entry, "it leads outside the backup folder".to_string()));
                    }
                    checked.insert(d);
                    break;
                }
                dir = d.parent().map(Path::to_path_buf);
            }
            if let Ok(meta) = std::fs::symlink_metadata(&full)
                && meta.file_type().is_symlink()
            {
                return Err(refuse(entry, "it is a symbolic link".to_string()));
            }
        }
        Ok(())
    }

    /// Adds the journal's finished files that the manifest does not list yet and whose file is on disk.
    fn replay_journal(&mut self, dest: &Path, vault: Option<&Vault>) -> Result<(), BackupError> {
        let path = Self::journal_path_in(dest, &self.serial, vault);
        let file = match File::open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(BackupError::disk("read the journal", &path, e)),
        };
        let known: HashSet<Vec<u8>> = self.files.iter().map(|f| f.local_path.0.clone()).collect();
        let root = dest.canonicalize().map_err(disk("open the backup folder", dest))?;
        for line in BufReader::new(file).split(b'\n') {
            let line = line.map_err(disk("read the journal", &path))?;
            let line = match vault {
                // Each line of an encrypted journal is one encrypted record, in hex; a torn one does not open.
                Some(v) => match unhex(String::from_utf8_lossy(&line).trim()).and_then(|b| v.unseal(&b, &path).ok()) {
                    Some(plain) => plain,
                    None => continue,
                },
                None => line,
            };
            let Ok(JournalLine::Finished { file }) = serde_json::from_slice::<JournalLine>(&line) else {
                continue;
            };
            if known.contains(&file.local_path.0) || unsafe_reason(&file.local_path.0).is_some() {
                continue;
            }
            let full = file_path_in(dest, &file.local_path.0, vault);
            let inside = full.canonicalize().is_ok_and(|real| real.starts_with(&root));
            // An encrypted copy is its plaintext plus age's header and tags.
            let complete = std::fs::symlink_metadata(&full)
                .is_ok_and(|m| m.is_file() && if vault.is_some() { m.len() > file.size } else { m.len() == file.size });
            if inside && complete {
                self.files.push(file);
            }
        }
        Ok(())
    }

    /// Writes the manifest atomically into `dest/.phonebak/` and empties the journal (whose finished files
    /// it now lists).
    pub fn save(&self, dest: &Path) -> Result<(), BackupError> {
        self.save_in(dest, None)
    }

    /// Like [`Manifest::save`], encrypted with `vault` when given.
    pub fn save_in(&self, dest: &Path, vault: Option<&Vault>) -> Result<(), BackupError> {
        let dir = state_dir(dest);
        std::fs::create_dir_all(&dir).map_err(disk("create the folder", &dir))?;
        let path = Self::path_in(dest, &self.serial, vault);
        let mut text =
            serde_json::to_vec_pretty(self).map_err(|e| BackupError::disk("write the manifest", &path, e.into()))?;
        text.push(b'\n');
        if let Some(v) = vault {
            text = v.seal(&text).map_err(disk("encrypt the manifest", &path))?;
        }
        let mut tmp = tempfile::Builder::new()
            .prefix(".manifest-")
            .suffix(".tmp")
            .tempfile_in(&dir)
            .map_err(disk("create a temporary file", &dir))?;
        tmp.write_all(&text).map_err(disk("write the manifest", &path))?;
        tmp.as_file().sync_all().map_err(disk("write the manifest", &path))?;
        tmp.persist(&path).map_err(|e| BackupError::disk("replace the manifest", &path, e.error))?;
        sync_dir(&dir)?;
        let journal = Self::journal_path_in(dest, &self.serial, vault);
        match File::create(&journal) {
            Ok(f) => f.sync_all().map_err(disk("empty the journal", &journal))?,
            Err(e) => return Err(BackupError::disk("empty the journal", &journal, e)),
        }
        Ok(())
    }

    /// The entries for one phone path (a changed photo has several).
    pub fn versions_of<'a>(&'a self, phone_path: &'a [u8]) -> impl Iterator<Item = &'a ManifestEntry> + 'a {
        self.files.iter().filter(move |f| f.phone_path.0 == phone_path)
    }

    /// An index from phone path to entries, for planning many files.
    #[must_use]
    pub fn by_phone_path(&self) -> HashMap<&[u8], Vec<&ManifestEntry>> {
        let mut map: HashMap<&[u8], Vec<&ManifestEntry>> = HashMap::new();
        for f in &self.files {
            map.entry(f.phone_path.0.as_slice()).or_default().push(f);
        }
        map
    }
}

/// The append-only journal of a run.
pub(crate) struct Journal {
    file: File,
    path: PathBuf,
    vault: Option<Arc<Vault>>,
}

impl Journal {
    pub(crate) fn open(dest: &Path, serial: &str, vault: Option<Arc<Vault>>) -> Result<Self, BackupError> {
        let path = Manifest::journal_path_in(dest, serial, vault.as_deref());
        let file = OpenOptions::new().create(true).append(true).open(&path).map_err(disk("open the journal", &path))?;
        Ok(Self { file, path, vault })
    }

    fn append(&mut self, line: &JournalLine) -> Result<(), BackupError> {
        let mut text =
            serde_json::to_vec(line).map_err(|e| BackupError::disk("write the journal", &self.path, e.into()))?;
        if let Some(v) = &self.vault {
            text = hex(&v.seal(&text).map_err(disk("encrypt the journal", &self.path))?).into_bytes();
        }
        text.push(b'\n');
        self.file.write_all(&text).map_err(disk("write the journal", &self.path))
    }

    pub(crate) fn started(&mut self, phone_path: &[u8]) -> Result<(), BackupError> {
        self.append(&JournalLine::Started { phone_path: Bytes(phone_path.to_vec()), at: now_secs() })
    }

    pub(crate) fn finished(&mut self, entry: &ManifestEntry) -> Result<(), BackupError> {
        self.append(&JournalLine::Finished { file: entry.clone() })
    }

    pub(crate) fn sync(&mut self) -> Result<(), BackupError> {
        self.file.sync_data().map_err(disk("write the journal", &self.path))
    }
}

pub(crate) fn timestamp() -> i64 {
    now_secs()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf8_names_are_strings_and_other_bytes_are_hex() {
        let json = serde_json::to_string(&Bytes(b"DCIM/a.jpg".to_vec())).expect("json");
        assert_eq!(json, "\"DCIM/a.jpg\"");
        let json = serde_json::to_string(&Bytes(b"\xff\xfe.jpg".to_vec())).expect("json");
        assert_eq!(json, r#"{"hex":"fffe2e6a7067"}"#);
        let back: Bytes = serde_json::from_str(&json).expect("parse");
        assert_eq!(back.0, b"\xff\xfe.jpg");
    }

    #[test]
    fn unsafe_local_paths_are_named() {
        assert!(unsafe_reason(b"Pixel (1)/DCIM/a.jpg").is_none());
        assert!(unsafe_reason(b"../x").is_some());
        assert!(unsafe_reason(b"a/../../x").is_some());
        assert!(unsafe_reason(b"/etc/passwd").is_some());
        assert!(unsafe_reason(b"a//b").is_some());
        assert!(unsafe_reason(b"").is_some());
    }

    #[test]
    fn device_folder_names_model_and_serial_without_slashes() {
        assert_eq!(Manifest::new("R58", "Pixel 7").device_folder(), "Pixel 7 (R58)");
        assert_eq!(Manifest::new("127.0.0.1:5555", "A/B").device_folder(), "A_B (127.0.0.1_5555)");
    }
}
