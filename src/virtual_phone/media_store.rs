//! The media store: the index behind the phone's gallery, and the `content` and `am` commands that reach it.
//!
//! A phone's gallery shows what `MediaProvider` has indexed, not what is on disk. A file pushed over ADB is
//! invisible until something asks the media scanner to look at it, and a file deleted over ADB stays in the
//! index until its path is scanned again. phonebak has to get both right after a restore, so the virtual phone
//! keeps such an index and changes it only when asked, the ways a real phone is asked:
//! `content call --uri content://media --method scan_file --arg PATH` (Android 11+; Android 10's `MediaProvider`
//! reads the path from a Uri extra that `content` cannot send, and Android 9 and older have no such method),
//! `--method scan_volume --arg external_primary`, and the `MEDIA_SCANNER_SCAN_FILE` broadcast (every release).
//!
//! The rules follow AOSP's `MediaProvider` (`ModernMediaScanner`, `FileUtils.computeValuesFromData`,
//! `SQLiteQueryBuilder`): every file gets a row in the `files` table; files in hidden folders (a name starting
//! with `.`, or a `.nomedia` inside) or with hidden names get `media_type` 0 and so never reach the image and
//! video collections; `.pending-<expiry>-NAME` and `.trashed-<expiry>-NAME` files are rows with `is_pending` or
//! `is_trashed` set, which queries leave out unless they name the row by id; `datetaken` comes from EXIF
//! `DateTimeOriginal`, exact with `OffsetTimeOriginal`, otherwise only when the file's mtime is within a day of
//! it (so a restored photo whose mtime was not put back has no `datetaken` on Android 10+).
//!
//! Queries understand a subset of SQL (comparisons, `LIKE`, `IS [NOT] NULL`, `AND`, `OR`, `NOT`, parentheses,
//! string and integer literals). Anything else is refused loudly, on stderr, the way `content` reports provider
//! errors, with a message that says the virtual phone does not model it.

use super::Phone;
use super::storage::{Location, PRIMARY_ROOT, Storage};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::ffi::OsStr;
use std::fmt::Write as _;
use std::fs;
use std::io::{self, BufReader, Read, Seek, SeekFrom, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::sync::{Mutex, MutexGuard, PoisonError};

/// `media_type` of files that are not media (and of media in hidden places).
pub const MEDIA_TYPE_NONE: i64 = 0;
/// `media_type` of images.
pub const MEDIA_TYPE_IMAGE: i64 = 1;
/// `media_type` of audio.
pub const MEDIA_TYPE_AUDIO: i64 = 2;
/// `media_type` of videos.
pub const MEDIA_TYPE_VIDEO: i64 = 3;
/// `media_type` of documents (Android 11+).
pub const MEDIA_TYPE_DOCUMENT: i64 = 6;

/// The volume name `MediaProvider` gives the primary shared storage (Android 10+).
pub const VOLUME_EXTERNAL_PRIMARY: &str = "external_primary";

/// One row of the media store's `files` table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaRow {
    /// `_id`: increasing, never reused.
    pub id: i64,
    /// `_data`: the file's path, `/storage/emulated/0/...` (raw bytes; shown as UTF-8, invalid bytes replaced).
    pub data: Vec<u8>,
    /// `_display_name`: the file name (without the `.pending-`/`.trashed-` prefix).
    pub display_name: String,
    /// `title`: the display name without its extension.
    pub title: String,
    /// `relative_path`: the folder below the volume root with a trailing `/` (`DCIM/Camera/`), or `/` (Android 10+).
    pub relative_path: String,
    /// `bucket_display_name`: the folder's name (NULL for files at the root).
    pub bucket_display_name: Option<String>,
    /// `bucket_id`: Java's `String.hashCode()` of the lower-cased folder path.
    pub bucket_id: i64,
    /// `date_added`, seconds.
    pub date_added: i64,
    /// `date_modified`: the file's mtime, seconds.
    pub date_modified: i64,
    /// `datetaken`, milliseconds.
    pub date_taken: Option<i64>,
    /// `_size`, bytes.
    pub size: u64,
    /// `mime_type`, from the file's extension.
    pub mime_type: String,
    /// `width` in pixels as stored (before EXIF rotation).
    pub width: Option<u32>,
    /// `height` in pixels as stored.
    pub height: Option<u32>,
    /// `orientation`: degrees clockwise (0, 90, 180, 270).
    pub orientation: Option<i64>,
    /// `media_type` (files table): `MEDIA_TYPE_*`.
    pub media_type: i64,
    /// `duration`, milliseconds (videos and audio).
    pub duration: Option<i64>,
    /// `is_pending` (Android 10+).
    pub is_pending: bool,
    /// `is_trashed` (Android 11+).
    pub is_trashed: bool,
    /// `date_expires`, seconds, for pending and trashed rows (Android 11+).
    pub date_expires: Option<i64>,
    /// `volume_name` (Android 10+).
    pub volume_name: String,
}

/// EXIF `DateTimeOriginal`: the camera's local wall-clock time, and `OffsetTimeOriginal` when the file has it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExifTime {
    /// The wall-clock time read as if it were UTC, seconds since the epoch.
    pub local_secs: i64,
    /// The offset from UTC in seconds, from `OffsetTimeOriginal`.
    pub offset_secs: Option<i64>,
}

/// What the scanner learns from a file's content and metadata; the store derives the row's columns from it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MediaFacts {
    /// Length in bytes.
    pub size: u64,
    /// Modification time, seconds since the epoch.
    pub mtime: i64,
    /// Pixel width as stored.
    pub width: Option<u32>,
    /// Pixel height as stored.
    pub height: Option<u32>,
    /// EXIF Orientation (1-8).
    pub exif_orientation: Option<u16>,
    /// EXIF `DateTimeOriginal` (+ offset).
    pub exif_time: Option<ExifTime>,
    /// Video or audio duration in milliseconds.
    pub duration_ms: Option<i64>,
    /// A video's creation time (MP4 `mvhd`), milliseconds since the epoch.
    pub video_creation_ms: Option<i64>,
}

/// The phone's media store. Shared by every connection; all methods take `&self`.
pub struct MediaStore {
    pub(crate) sdk: u32,
    inner: Mutex<Inner>,
    /// Fault: `content update` from the shell is refused with a `SecurityException` (a phone whose media
    /// provider does not let the shell write, as some makers' builds do).
    shell_writes_refused: std::sync::atomic::AtomicBool,
}

#[derive(Default)]
struct Inner {
    next_id: i64,
    rows: BTreeMap<i64, MediaRow>,
    by_path: HashMap<Vec<u8>, i64>,
}

impl std::fmt::Debug for MediaStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MediaStore")
            .field("sdk", &self.sdk)
            .field("rows", &self.lock().rows.len())
            .finish_non_exhaustive()
    }
}

/// How the scanner treats a path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Visibility {
    /// Never indexed: a `.nomedia` file, a folder Android never scans (`Android/data`), or outside the storage.
    Skip,
    /// Indexed with `media_type` 0.
    Hidden,
    /// Indexed as what it is.
    Normal,
}

impl MediaStore {
    /// An empty media store for this API level.
    #[must_use]
    pub fn new(sdk: u32) -> Self {
        Self {
            sdk,
            inner: Mutex::new(Inner { next_id: 1, ..Inner::default() }),
            shell_writes_refused: std::sync::atomic::AtomicBool::new(false),
        }
    }

    /// Fault: from now on (`true`) the shell's `content update` is refused with a `SecurityException`.
    pub fn refuse_shell_writes(&self, refused: bool) {
        self.shell_writes_refused.store(refused, std::sync::atomic::Ordering::SeqCst);
    }

    pub(crate) fn shell_writes_refused(&self) -> bool {
        self.shell_writes_refused.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// The API level whose rules the store follows.
    #[must_use]
    pub fn sdk(&self) -> u32 {
        self.sdk
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Every row, by `_id`, including hidden (`media_type` 0), pending and trashed ones.
    #[must_use]
    pub fn rows(&self) -> Vec<MediaRow> {
        self.lock().rows.values().cloned().collect()
    }

    /// The rows a gallery shows: images and videos that are neither pending nor trashed.
    #[must_use]
    pub fn visible_rows(&self) -> Vec<MediaRow> {
        self.lock().rows.values().filter(|r| is_visible(r)).cloned().collect()
    }

    /// The row of this phone path (any of the storage's names), if it has one.
    #[must_use]
    pub fn row_for_path(&self, phone_path: &[u8]) -> Option<MediaRow> {
        let canonical = canonical_phone_path(phone_path)?;
        let inner = self.lock();
        inner.by_path.get(&canonical).and_then(|id| inner.rows.get(id)).cloned()
    }

    /// Adds (or updates) the row of the file at `phone_path` from facts the caller already knows, as the scanner
    /// would from the file. Path-derived columns (names, buckets, hidden, pending, trashed) and Android's rules
    /// for `datetaken` and `orientation` are applied here. Returns the row's `_id`, or `None` when Android would
    /// not index this path (outside the storage, a `.nomedia` file, `Android/data`, ...).
    pub fn insert_row(&self, storage: &Storage, phone_path: &[u8], facts: &MediaFacts, date_added: i64) -> Option<i64> {
        let Location::Storage(host) = storage.locate(b"/", phone_path) else { return None };
        let data = storage.phone_path(&host)?;
        match visibility(storage, &host, self.sdk) {
            Visibility::Skip => None,
            vis => Some(self.upsert(self.build_row(&data, facts, vis == Visibility::Hidden, date_added)).id),
        }
    }

    /// Scans one path as `scan_file` does: a file gets its row added or refreshed, a folder is scanned
    /// recursively, and a path that no longer exists (or that Android would not index) loses its rows.
    /// Returns the first row scanned.
    pub fn scan_file(&self, storage: &Storage, phone_path: &[u8]) -> Option<MediaRow> {
        let Location::Storage(host) = storage.locate(b"/", phone_path) else { return None };
        let data = storage.phone_path(&host)?;
        let now = unix_now();
        match fs::symlink_metadata(&host) {
            Ok(meta) if meta.is_dir() => {
                let mut seen = HashSet::new();
                let mut first = None;
                if visibility_of_dir(storage, &host, self.sdk) != Visibility::Skip {
                    self.scan_tree(storage, &host, now, &mut seen, &mut first);
                }
                self.remove_under(&data, &seen);
                first
            }
            Ok(meta) if meta.is_file() => {
                let row = self.scan_one(storage, &host, &data, &meta, now);
                if row.is_none() {
                    self.remove_path(&data);
                }
                row
            }
            _ => {
                self.remove_path(&data);
                self.remove_under(&data, &HashSet::new());
                None
            }
        }
    }

    /// Indexes every file of the volume and drops the rows of files that are gone.
    pub fn scan_volume(&self, storage: &Storage) {
        let mut seen = HashSet::new();
        let mut first = None;
        self.scan_tree(storage, storage.root(), unix_now(), &mut seen, &mut first);
        let mut inner = self.lock();
        let gone: Vec<i64> = inner.rows.values().filter(|r| !seen.contains(&r.data)).map(|r| r.id).collect();
        for id in gone {
            if let Some(row) = inner.rows.remove(&id) {
                inner.by_path.remove(&row.data);
            }
        }
    }

    /// Reads what the scanner reads from a file: size, mtime, dimensions (image header), EXIF date and
    /// orientation, or an MP4's duration, size and creation time.
    pub fn read_facts(storage: &Storage, host: &Path) -> io::Result<MediaFacts> {
        let meta = fs::symlink_metadata(host)?;
        let mut facts = MediaFacts { size: meta.len(), mtime: meta.mtime(), ..MediaFacts::default() };
        let mime = mime_for_name(host.file_name().map_or(&[][..], OsStr::as_bytes));
        if mime.starts_with("image/") {
            read_image_facts(storage, host, &mut facts);
        } else if mime.starts_with("video/")
            && (mime.contains("mp4") || mime.contains("3gpp") || mime.contains("quicktime"))
            && let Ok(mut reader) = storage.open_read(host)
            && let Some(info) = read_mp4_info(&mut reader)
        {
            facts.width = info.width;
            facts.height = info.height;
            facts.duration_ms = info.duration_ms;
            facts.video_creation_ms = info.creation_ms;
        }
        Ok(facts)
    }

    fn scan_tree(
        &self,
        storage: &Storage,
        dir: &Path,
        now: i64,
        seen: &mut HashSet<Vec<u8>>,
        first: &mut Option<MediaRow>,
    ) {
        let Ok(entries) = fs::read_dir(dir) else { return };
        let mut entries: Vec<_> = entries.filter_map(Result::ok).collect();
        entries.sort_by_key(fs::DirEntry::file_name);
        for entry in entries {
            let path = entry.path();
            let Ok(meta) = fs::symlink_metadata(&path) else { continue };
            if meta.is_dir() {
                if visibility_of_dir(storage, &path, self.sdk) != Visibility::Skip {
                    self.scan_tree(storage, &path, now, seen, first);
                }
            } else if meta.is_file() {
                let Some(data) = storage.phone_path(&path) else { continue };
                // As Android's ModernMediaScanner does in a folder walk: a file whose row already has its size
                // and modification time is not read again.
                if let Some(row) = self.unchanged_row(&data, &meta) {
                    seen.insert(row.data.clone());
                    if first.is_none() {
                        *first = Some(row);
                    }
                    continue;
                }
                if let Some(row) = self.scan_one(storage, &path, &data, &meta, now) {
                    seen.insert(row.data.clone());
                    if first.is_none() {
                        *first = Some(row);
                    }
                }
            }
        }
    }

    /// The row of `data` when it already has the size and modification time of `meta`.
    fn unchanged_row(&self, data: &[u8], meta: &fs::Metadata) -> Option<MediaRow> {
        let inner = self.lock();
        let row = inner.by_path.get(data).and_then(|id| inner.rows.get(id))?;
        (row.size == meta.len() && row.date_modified == meta.mtime()).then(|| row.clone())
    }

    fn scan_one(&self, storage: &Storage, host: &Path, data: &[u8], meta: &fs::Metadata, now: i64) -> Option<MediaRow> {
        let vis = visibility(storage, host, self.sdk);
        if vis == Visibility::Skip || !meta.is_file() {
            return None;
        }
        let facts = Self::read_facts(storage, host).unwrap_or(MediaFacts {
            size: meta.len(),
            mtime: meta.mtime(),
            ..MediaFacts::default()
        });
        Some(self.upsert(self.build_row(data, &facts, vis == Visibility::Hidden, now)))
    }

    fn build_row(&self, data: &[u8], facts: &MediaFacts, hidden: bool, date_added: i64) -> MediaRow {
        let sdk = self.sdk;
        let (dir, file_name) = split_parent(data);
        let mut display_name = String::from_utf8_lossy(file_name).into_owned();
        let (mut is_pending, mut is_trashed, mut date_expires) = (false, false, None);
        if let Some((kind, expires, rest)) = parse_expires_name(&display_name)
            && ((kind == "pending" && sdk >= 29) || (kind == "trashed" && sdk >= 30))
        {
            is_pending = kind == "pending";
            is_trashed = kind == "trashed";
            date_expires = Some(expires);
            display_name = rest;
        }
        let hidden = hidden || (file_name.first() == Some(&b'.') && !is_pending && !is_trashed);
        let mime = mime_for_name(file_name);
        let media_type = if hidden { MEDIA_TYPE_NONE } else { media_type_for_mime(mime, sdk) };
        let rel = relative_path(data);
        let bucket_display_name =
            if rel == "/" { None } else { Some(String::from_utf8_lossy(split_parent(dir).1).into_owned()) };
        let bucket_id = i64::from(java_string_hash(&String::from_utf8_lossy(dir).to_lowercase()));
        let title = match display_name.rfind('.') {
            Some(dot) if dot > 0 => display_name[..dot].to_string(),
            _ => display_name.clone(),
        };
        let is_image = mime.starts_with("image/");
        let is_video = mime.starts_with("video/");
        let date_taken = if is_image {
            date_taken_for_image(facts, sdk)
        } else if is_video {
            facts.video_creation_ms.or(if sdk < 29 { Some(facts.mtime * 1000) } else { None })
        } else {
            None
        };
        let orientation = if is_image {
            match facts.exif_orientation {
                Some(o) => orientation_degrees(o),
                None if sdk < 29 => Some(0),
                None => None,
            }
        } else if is_video && facts.width.is_some() {
            Some(0)
        } else {
            None
        };
        MediaRow {
            id: 0,
            data: data.to_vec(),
            display_name,
            title,
            relative_path: rel,
            bucket_display_name,
            bucket_id,
            date_added,
            date_modified: facts.mtime,
            date_taken,
            size: facts.size,
            mime_type: mime.to_string(),
            width: facts.width,
            height: facts.height,
            orientation,
            media_type,
            duration: facts.duration_ms,
            is_pending,
            is_trashed,
            date_expires,
            volume_name: VOLUME_EXTERNAL_PRIMARY.to_string(),
        }
    }

    /// Inserts `row` under a new `_id`, or updates the row of the same path keeping its `_id` and `date_added`.
    fn upsert(&self, mut row: MediaRow) -> MediaRow {
        let mut inner = self.lock();
        if let Some(&id) = inner.by_path.get(&row.data)
            && let Some(old) = inner.rows.get(&id)
        {
            row.id = id;
            row.date_added = old.date_added;
            inner.rows.insert(id, row.clone());
            return row;
        }
        row.id = inner.next_id;
        inner.next_id += 1;
        inner.by_path.insert(row.data.clone(), row.id);
        inner.rows.insert(row.id, row.clone());
        row
    }

    fn remove_path(&self, data: &[u8]) {
        let mut inner = self.lock();
        if let Some(id) = inner.by_path.remove(data) {
            inner.rows.remove(&id);
        }
    }

    /// Drops the rows of files below folder `data` that are not in `keep`.
    fn remove_under(&self, data: &[u8], keep: &HashSet<Vec<u8>>) {
        let mut prefix = data.to_vec();
        if prefix.last() != Some(&b'/') {
            prefix.push(b'/');
        }
        let mut inner = self.lock();
        let gone: Vec<Vec<u8>> =
            inner.by_path.keys().filter(|p| p.starts_with(&prefix) && !keep.contains(*p)).cloned().collect();
        for path in gone {
            if let Some(id) = inner.by_path.remove(&path) {
                inner.rows.remove(&id);
            }
        }
    }

    /// The row `id` now names the file at `data` (renamed on disk by the caller), trashed or not; its `_id`
    /// and every other column stay.
    pub(crate) fn move_row(&self, id: i64, data: Vec<u8>, is_trashed: bool, date_expires: Option<i64>) {
        let mut inner = self.lock();
        let Some(mut row) = inner.rows.remove(&id) else { return };
        inner.by_path.remove(&row.data);
        row.data = data;
        row.is_trashed = is_trashed;
        row.date_expires = date_expires;
        inner.by_path.insert(row.data.clone(), id);
        inner.rows.insert(id, row);
    }

    pub(crate) fn remove_ids(&self, ids: &[i64]) -> Vec<MediaRow> {
        let mut inner = self.lock();
        let mut removed = Vec::new();
        for id in ids {
            if let Some(row) = inner.rows.remove(id) {
                inner.by_path.remove(&row.data);
                removed.push(row);
            }
        }
        removed
    }
}

fn is_visible(row: &MediaRow) -> bool {
    (row.media_type == MEDIA_TYPE_IMAGE || row.media_type == MEDIA_TYPE_VIDEO) && !row.is_pending && !row.is_trashed
}

pub(crate) fn unix_now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}

/// `/sdcard/x` and `/storage/self/primary/x` become `/storage/emulated/0/x` (lexically, `.` and `..` applied).
fn canonical_phone_path(phone_path: &[u8]) -> Option<Vec<u8>> {
    let mut parts: Vec<&[u8]> = Vec::new();
    for part in phone_path.split(|&b| b == b'/') {
        match part {
            b"" | b"." => {}
            b".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    for mount in super::storage::STORAGE_MOUNTS {
        let mount_parts: Vec<&[u8]> = mount.as_bytes().split(|&b| b == b'/').filter(|p| !p.is_empty()).collect();
        if parts.len() >= mount_parts.len() && parts[..mount_parts.len()] == mount_parts[..] {
            let mut out = PRIMARY_ROOT.as_bytes().to_vec();
            for part in &parts[mount_parts.len()..] {
                out.push(b'/');
                out.extend_from_slice(part);
            }
            return Some(out);
        }
    }
    None
}

/// Splits `/a/b/c` into (`/a/b`, `c`).
pub(crate) fn split_parent(path: &[u8]) -> (&[u8], &[u8]) {
    match path.iter().rposition(|&b| b == b'/') {
        Some(i) => (&path[..i], &path[i + 1..]),
        None => (&[][..], path),
    }
}

/// `relative_path` of a file: its folder below the volume root, with a trailing slash; `/` at the root.
fn relative_path(data: &[u8]) -> String {
    let root = PRIMARY_ROOT.as_bytes();
    let (dir, _) = split_parent(data);
    let rel = dir.strip_prefix(root).unwrap_or(dir);
    let rel = rel.strip_prefix(b"/").unwrap_or(rel);
    if rel.is_empty() { "/".to_string() } else { format!("{}/", String::from_utf8_lossy(rel)) }
}

/// Parses `.pending-<expires>-NAME` / `.trashed-<expires>-NAME` (case-insensitive, as Android's pattern).
fn parse_expires_name(name: &str) -> Option<(&'static str, i64, String)> {
    let lower = name.to_ascii_lowercase();
    let (kind, rest) = if lower.starts_with(".pending-") {
        ("pending", &name[9..])
    } else if lower.starts_with(".trashed-") {
        ("trashed", &name[9..])
    } else {
        return None;
    };
    let dash = rest.find('-')?;
    let digits = &rest[..dash];
    let display = &rest[dash + 1..];
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) || display.is_empty() {
        return None;
    }
    Some((kind, digits.parse().ok()?, display.to_string()))
}

/// Java's `String.hashCode()` (over UTF-16 code units), which Android uses for `bucket_id`.
fn java_string_hash(s: &str) -> i32 {
    s.encode_utf16().fold(0i32, |h, c| h.wrapping_mul(31).wrapping_add(i32::from(c)))
}

/// The standard folders a `.nomedia` cannot hide on Android 11+.
const DEFAULT_FOLDERS: [&str; 13] = [
    "Music",
    "Podcasts",
    "Ringtones",
    "Alarms",
    "Notifications",
    "Pictures",
    "Movies",
    "Download",
    "DCIM",
    "Documents",
    "Audiobooks",
    "Recordings",
    "Screenshots",
];

/// The path of `host` below the storage root, as bytes without a leading slash.
fn rel_bytes<'a>(storage: &Storage, host: &'a Path) -> Option<&'a [u8]> {
    host.strip_prefix(storage.root()).ok().map(|p| p.as_os_str().as_bytes())
}

/// Whether folder `dir` is one Android 11+ never scans (`Android/data`, `Android/obb`, `.transforms`, ...).
fn is_unscannable_dir(rel: &[u8], sdk: u32) -> bool {
    if sdk < 30 {
        return false;
    }
    let lower = rel.to_ascii_lowercase();
    matches!(
        lower.as_slice(),
        b"android/data"
            | b"android/obb"
            | b"android/sandbox"
            | b".transforms"
            | b"movies/.thumbnails"
            | b"music/.thumbnails"
            | b"pictures/.thumbnails"
    )
}

/// Whether folder `dir` (path `rel` below the root) hides its media: a dot name, or a `.nomedia` file that
/// Android honours there.
fn is_hidden_dir(dir: &Path, rel: &[u8], sdk: u32) -> bool {
    let name = split_parent(rel).1;
    if name.first() == Some(&b'.') {
        return true;
    }
    if fs::symlink_metadata(dir.join(".nomedia")).is_err() {
        return false;
    }
    if sdk >= 30 {
        let top_level = !rel.contains(&b'/');
        let default = DEFAULT_FOLDERS.iter().any(|d| d.as_bytes().eq_ignore_ascii_case(name));
        if top_level && default {
            return false;
        }
        if rel.eq_ignore_ascii_case(b"DCIM/Camera") {
            return false;
        }
        let parent = split_parent(rel).0;
        let parent_is_default = DEFAULT_FOLDERS.iter().any(|d| d.as_bytes().eq_ignore_ascii_case(parent));
        if name.eq_ignore_ascii_case(b"Screenshots")
            && (parent.is_empty() || parent_is_default)
            && !parent.contains(&b'/')
        {
            return false;
        }
    }
    true
}

/// How the scanner treats folder `dir` itself and everything below it.
fn visibility_of_dir(storage: &Storage, dir: &Path, sdk: u32) -> Visibility {
    let Some(rel) = rel_bytes(storage, dir) else { return Visibility::Skip };
    let mut hidden = false;
    let mut at = Vec::new();
    for (i, part) in rel.split(|&b| b == b'/').filter(|p| !p.is_empty()).enumerate() {
        if i > 0 {
            at.push(b'/');
        }
        at.extend_from_slice(part);
        if is_unscannable_dir(&at, sdk) {
            return Visibility::Skip;
        }
        hidden = hidden || is_hidden_dir(&storage.root().join(OsStr::from_bytes(&at)), &at, sdk);
    }
    if hidden { Visibility::Hidden } else { Visibility::Normal }
}

/// How the scanner treats file `host`.
fn visibility(storage: &Storage, host: &Path, sdk: u32) -> Visibility {
    let Some(name) = host.file_name() else { return Visibility::Skip };
    if name.as_bytes() == b".nomedia" {
        return Visibility::Skip;
    }
    let Some(parent) = host.parent() else { return Visibility::Skip };
    if rel_bytes(storage, host).is_none() {
        return Visibility::Skip;
    }
    visibility_of_dir(storage, parent, sdk)
}

/// The MIME type Android's `MimeUtils` gives a file name (by extension).
#[must_use]
pub fn mime_for_name(name: &[u8]) -> &'static str {
    let ext = match name.iter().rposition(|&b| b == b'.') {
        Some(i) => name[i + 1..].to_ascii_lowercase(),
        None => return "application/octet-stream",
    };
    match ext.as_slice() {
        b"jpg" | b"jpeg" | b"jpe" => "image/jpeg",
        b"png" => "image/png",
        b"gif" => "image/gif",
        b"webp" => "image/webp",
        b"heic" => "image/heic",
        b"heif" => "image/heif",
        b"avif" => "image/avif",
        b"bmp" => "image/x-ms-bmp",
        b"dng" => "image/x-adobe-dng",
        b"mp4" | b"m4v" => "video/mp4",
        b"3gp" => "video/3gpp",
        b"mkv" => "video/x-matroska",
        b"webm" => "video/webm",
        b"mov" => "video/quicktime",
        b"mp3" => "audio/mpeg",
        b"m4a" => "audio/mp4",
        b"ogg" | b"oga" | b"opus" => "audio/ogg",
        b"wav" => "audio/x-wav",
        b"flac" => "audio/flac",
        b"amr" => "audio/amr",
        b"txt" => "text/plain",
        b"pdf" => "application/pdf",
        b"doc" => "application/msword",
        b"docx" => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        b"zip" => "application/zip",
        b"apk" => "application/vnd.android.package-archive",
        _ => "application/octet-stream",
    }
}

fn media_type_for_mime(mime: &str, sdk: u32) -> i64 {
    if mime.starts_with("image/") {
        MEDIA_TYPE_IMAGE
    } else if mime.starts_with("video/") {
        MEDIA_TYPE_VIDEO
    } else if mime.starts_with("audio/") {
        MEDIA_TYPE_AUDIO
    } else if sdk >= 30 && (mime.starts_with("text/") || mime == "application/pdf" || mime.contains("word")) {
        MEDIA_TYPE_DOCUMENT
    } else {
        MEDIA_TYPE_NONE
    }
}

/// EXIF Orientation to the degrees `MediaProvider` stores (mirrored variants map to their rotation).
fn orientation_degrees(exif: u16) -> Option<i64> {
    match exif {
        1 | 2 => Some(0),
        5 | 6 => Some(90),
        3 | 4 => Some(180),
        7 | 8 => Some(270),
        _ => None,
    }
}

/// `datetaken` of an image, as `MediaProvider` computes it (`parseOptionalDateTaken` on Android 10+).
fn date_taken_for_image(facts: &MediaFacts, sdk: u32) -> Option<i64> {
    let Some(exif) = facts.exif_time else {
        return if sdk < 29 { Some(facts.mtime * 1000) } else { None };
    };
    let original_ms = exif.local_secs * 1000;
    if let Some(offset) = exif.offset_secs {
        return Some(original_ms - offset * 1000);
    }
    if sdk < 29 {
        return Some(original_ms);
    }
    let modified_ms = facts.mtime * 1000;
    let offset = modified_ms - original_ms;
    if modified_ms > 0 && offset.abs() < 24 * 3_600_000 {
        let zone = 15 * 60_000;
        let rounded = ((offset as f64 / zone as f64).round() as i64) * zone;
        return Some(original_ms + rounded);
    }
    None
}

/// Days since 1970-01-01 of a proleptic Gregorian date.
#[must_use]
pub fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date and time of a Unix timestamp in UTC: (year, month, day, hour, minute, second).
#[must_use]
pub fn civil_from_unix(secs: i64) -> (i64, u32, u32, u32, u32, u32) {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let z = days + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day, (rem / 3600) as u32, (rem % 3600 / 60) as u32, (rem % 60) as u32)
}

/// Reads dimensions (header only) and EXIF from an image file.
fn read_image_facts(storage: &Storage, host: &Path, facts: &mut MediaFacts) {
    const HEAD: u64 = 256 * 1024;
    const MAX_FULL: u64 = 64 * 1024 * 1024;
    let Ok(reader) = storage.open_read(host) else { return };
    let mut head = Vec::new();
    if reader.take(HEAD).read_to_end(&mut head).is_err() {
        return;
    }
    let mut dims = image_dimensions(&head);
    if dims.is_none() && facts.size > HEAD && facts.size <= MAX_FULL {
        let mut all = Vec::new();
        if let Ok(reader) = storage.open_read(host)
            && reader.take(MAX_FULL).read_to_end(&mut all).is_ok()
        {
            dims = image_dimensions(&all);
        }
    }
    if let Some((w, h)) = dims {
        facts.width = Some(w);
        facts.height = Some(h);
    }
    let Ok(reader) = storage.open_read(host) else { return };
    let Ok(exif) = exif::Reader::new().read_from_container(&mut BufReader::new(reader)) else { return };
    facts.exif_orientation =
        exif.get_field(exif::Tag::Orientation, exif::In::PRIMARY).and_then(|f| f.value.get_uint(0)).map(|v| v as u16);
    let ascii = |tag| match exif.get_field(tag, exif::In::PRIMARY).map(|f| &f.value) {
        Some(exif::Value::Ascii(v)) => v.first().cloned(),
        _ => None,
    };
    if let Some(dt) = ascii(exif::Tag::DateTimeOriginal).and_then(|b| exif::DateTime::from_ascii(&b).ok())
        && (1..=12).contains(&dt.month)
        && (1..=31).contains(&dt.day)
        && dt.hour < 24
        && dt.minute < 60
    {
        let days = days_from_civil(i64::from(dt.year), u32::from(dt.month), u32::from(dt.day));
        let local_secs = days * 86_400 + i64::from(dt.hour) * 3600 + i64::from(dt.minute) * 60 + i64::from(dt.second);
        let offset_secs = ascii(exif::Tag::OffsetTimeOriginal).and_then(|b| {
            let mut probe = exif::DateTime::from_ascii(b"2000:01:01 00:00:00").ok()?;
            probe.parse_offset(&b).ok()?;
            probe.offset.map(|m| i64::from(m) * 60)
        });
        facts.exif_time = Some(ExifTime { local_secs, offset_secs });
    }
}

/// An image's dimensions from its header, through the `image` crate.
pub(super) fn image_dimensions(bytes: &[u8]) -> Option<(u32, u32)> {
    image::ImageReader::new(io::Cursor::new(bytes)).with_guessed_format().ok()?.into_dimensions().ok()
}

/// What the scanner learns from an MP4/3GP/MOV file.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Mp4Info {
    /// Duration from `mvhd`, milliseconds.
    pub duration_ms: Option<i64>,
    /// Creation time from `mvhd`, milliseconds since the Unix epoch.
    pub creation_ms: Option<i64>,
    /// Width of the first visual track (`tkhd`).
    pub width: Option<u32>,
    /// Height of the first visual track.
    pub height: Option<u32>,
}

/// Seconds between 1904-01-01 (the MP4 epoch) and 1970-01-01.
pub const MP4_EPOCH_OFFSET: i64 = 2_082_844_800;

/// Walks the top-level boxes of an ISO media file and reads `moov`'s `mvhd` and `tkhd` boxes.
pub fn read_mp4_info<R: Read + Seek>(reader: &mut R) -> Option<Mp4Info> {
    let end = reader.seek(SeekFrom::End(0)).ok()?;
    let mut pos = 0u64;
    while pos + 8 <= end {
        reader.seek(SeekFrom::Start(pos)).ok()?;
        let mut header = [0u8; 16];
        reader.read_exact(&mut header[..8]).ok()?;
        let size32 = u32::from_be_bytes([header[0], header[1], header[2], header[3]]);
        let kind = [header[4], header[5], header[6], header[7]];
        let (size, header_len) = match size32 {
            0 => (end - pos, 8),
            1 => {
                reader.read_exact(&mut header[8..]).ok()?;
                (u64::from_be_bytes(header[8..16].try_into().ok()?), 16)
            }
            n => (u64::from(n), 8),
        };
        if size < header_len {
            return None;
        }
        if &kind == b"moov" {
            let body_len = (size - header_len).min(16 << 20);
            let mut body = vec![0; body_len as usize];
            reader.read_exact(&mut body).ok()?;
            let mut info = Mp4Info::default();
            parse_moov(&body, &mut info);
            return Some(info);
        }
        pos = pos.checked_add(size)?;
    }
    None
}

/// Iterates the boxes in `data`: (type, body).
fn boxes(data: &[u8]) -> impl Iterator<Item = ([u8; 4], &[u8])> {
    let mut pos = 0usize;
    std::iter::from_fn(move || {
        let header = data.get(pos..pos + 8)?;
        let size = u32::from_be_bytes([header[0], header[1], header[2], header[3]]) as usize;
        let kind = [header[4], header[5], header[6], header[7]];
        let (size, header_len) = if size == 1 {
            let large = data.get(pos + 8..pos + 16)?;
            (u64::from_be_bytes(large.try_into().ok()?) as usize, 16)
        } else if size == 0 {
            (data.len() - pos, 8)
        } else {
            (size, 8)
        };
        if size < header_len {
            return None;
        }
        let body = data.get(pos + header_len..pos.checked_add(size)?)?;
        pos += size;
        Some((kind, body))
    })
}

fn be_u32(data: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(data.get(at..at + 4)?.try_into().ok()?))
}

fn be_u64(data: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_be_bytes(data.get(at..at + 8)?.try_into().ok()?))
}

fn parse_moov(moov: &[u8], info: &mut Mp4Info) {
    for (kind, body) in boxes(moov) {
        match &kind {
            b"mvhd" => {
                let version = body.first().copied().unwrap_or(0);
                let (creation, timescale, duration) = if version == 1 {
                    (be_u64(body, 4), be_u32(body, 20), be_u64(body, 24))
                } else {
                    (be_u32(body, 4).map(u64::from), be_u32(body, 12), be_u32(body, 16).map(u64::from))
                };
                if let (Some(ts), Some(d)) = (timescale, duration)
                    && ts > 0
                {
                    info.duration_ms = Some((u128::from(d) * 1000 / u128::from(ts)) as i64);
                }
                if let Some(c) = creation.filter(|&c| c > 0) {
                    info.creation_ms = Some((c as i64 - MP4_EPOCH_OFFSET) * 1000);
                }
            }
            b"trak" if info.width.is_none() => {
                for (inner, tkhd) in boxes(body) {
                    if &inner != b"tkhd" {
                        continue;
                    }
                    let at = if tkhd.first() == Some(&1) { 88 } else { 76 };
                    let (Some(w), Some(h)) = (be_u32(tkhd, at), be_u32(tkhd, at + 4)) else { continue };
                    if w >> 16 > 0 && h >> 16 > 0 {
                        info.width = Some(w >> 16);
                        info.height = Some(h >> 16);
                    }
                }
            }
            _ => {}
        }
    }
}
// ---------------------------------------------------------------------------------------------------------
// The `am` command.

const ACTION_SCAN_FILE: &str = "android.intent.action.MEDIA_SCANNER_SCAN_FILE";

/// `Intent.FLAG_RECEIVER_FROM_SHELL`, which `am broadcast` adds.
const FLAG_RECEIVER_FROM_SHELL: u32 = 0x0040_0000;

/// Decodes `%XX` escapes as `Uri.decode` does (invalid escapes stay as they are).
fn percent_decode(s: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        if s[i] == b'%' && i + 2 < s.len() {
            let hex = std::str::from_utf8(&s[i + 1..i + 3]).ok().and_then(|h| u8::from_str_radix(h, 16).ok());
            if let Some(b) = hex {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(s[i]);
        i += 1;
    }
    out
}

/// `am ARGS...` (args exclude the command name). Only `am broadcast -a MEDIA_SCANNER_SCAN_FILE -d file:///...`
/// is modelled; it scans the file before answering (a real phone scans just after).
pub fn am_command(phone: &Phone, args: &[Vec<u8>], stdout: &mut dyn Write, stderr: &mut dyn Write) -> i32 {
    let fail = |stderr: &mut dyn Write, what: &str| {
        let _ = writeln!(
            stderr,
            "Error: the virtual phone does not model {what}; it models only \
             `am broadcast -a {ACTION_SCAN_FILE} -d file:///...` (phonebak's virtual_phone)"
        );
        255
    };
    let Some(sub) = args.first() else { return fail(stderr, "`am` without a command") };
    if sub.as_slice() != b"broadcast" {
        return fail(stderr, &format!("`am {}`", String::from_utf8_lossy(sub)));
    }
    let mut action = None;
    let mut data: Option<Vec<u8>> = None;
    let mut flags = FLAG_RECEIVER_FROM_SHELL;
    let mut i = 1;
    while i < args.len() {
        let opt = String::from_utf8_lossy(&args[i]).into_owned();
        let takes_value = matches!(opt.as_str(), "-a" | "-d" | "-f" | "--user");
        let value = if takes_value {
            i += 1;
            if let Some(v) = args.get(i) {
                v.clone()
            } else {
                let _ = writeln!(
                    stderr,
                    "Exception occurred while executing 'broadcast':\n\
                     java.lang.IllegalArgumentException: Argument expected after \"{opt}\""
                );
                return 255;
            }
        } else {
            Vec::new()
        };
        match opt.as_str() {
            "-a" => action = Some(String::from_utf8_lossy(&value).into_owned()),
            "-d" => data = Some(value),
            "-f" => {
                let text = String::from_utf8_lossy(&value).into_owned();
                let parsed = match text.strip_prefix("0x") {
                    Some(hex) => u32::from_str_radix(hex, 16).ok(),
                    None => text.parse().ok(),
                };
                let Some(f) = parsed else {
                    return fail(stderr, &format!("the flags {text:?}"));
                };
                flags |= f;
            }
            "--user" => {
                let user = String::from_utf8_lossy(&value).into_owned();
                if !["0", "current", "all", "-2"].contains(&user.as_str()) {
                    return fail(stderr, &format!("`--user {user}`"));
                }
            }
            "--include-stopped-packages" | "--receiver-foreground" | "--async" => {}
            other => return fail(stderr, &format!("the `am broadcast` option {other:?}")),
        }
        i += 1;
    }
    match action.as_deref() {
        Some(ACTION_SCAN_FILE) => {}
        Some(other) => return fail(stderr, &format!("broadcasting {other:?}")),
        None => return fail(stderr, "a broadcast without an action (-a)"),
    }
    let mut line = format!("Broadcasting: Intent {{ act={ACTION_SCAN_FILE}");
    let mut scan_path = None;
    if let Some(data) = &data {
        // Uri.parse: the path ends at '?' or '#'; Intent.toString shows the decoded scheme-specific part.
        let (scheme, ssp) = match data.iter().position(|&b| b == b':') {
            Some(i) => (&data[..i], &data[i + 1..]),
            None => (&b""[..], &data[..]),
        };
        let ssp_end = ssp.iter().position(|&b| b == b'#').unwrap_or(ssp.len());
        let shown = percent_decode(&ssp[..ssp_end]);
        line.push_str(" dat=");
        if !scheme.is_empty() {
            line.push_str(&String::from_utf8_lossy(scheme));
            line.push(':');
        }
        line.push_str(&String::from_utf8_lossy(&shown));
        if scheme.eq_ignore_ascii_case(b"file") {
            let raw_path = ssp.strip_prefix(b"//").map_or(ssp, |after| {
                after.iter().position(|&b| b == b'/').map_or(&after[after.len()..], |p| &after[p..])
            });
            let end = raw_path.iter().position(|&b| b == b'?' || b == b'#').unwrap_or(raw_path.len());
            // Java decodes the escapes as UTF-8 (invalid bytes become U+FFFD), as it does the command line.
            scan_path = Some(String::from_utf8_lossy(&percent_decode(&raw_path[..end])).into_owned().into_bytes());
        }
    }
    let _ = write!(line, " flg=0x{flags:x} }}");
    let _ = writeln!(stdout, "{line}");
    if let Some(path) = scan_path
        && path.first() == Some(&b'/')
    {
        phone.media.scan_file(&phone.storage, &path);
    }
    let _ = writeln!(stdout, "Broadcast completed: result=0");
    0
}

#[cfg(test)]
mod tests {
    use super::super::content::sql::like;
    use super::super::sample::{PhotoExif, after_app_segments, encode_jpeg, exif_header};
    use super::super::{AndroidVersion, Props, Stats};
    use super::*;

    const RELEASES: [(u32, u32); 4] = [(9, 28), (10, 29), (11, 30), (14, 34)];

    fn new_phone(sdk: u32) -> (tempfile::TempDir, Phone) {
        let dir = tempfile::tempdir().expect("temp dir");
        let storage = Storage::new(dir.path(), 1 << 30).expect("storage");
        let release = RELEASES.iter().find(|(_, s)| *s == sdk).map_or(14, |(r, _)| *r);
        let android = AndroidVersion { release, sdk };
        let phone = Phone {
            storage,
            media: MediaStore::new(sdk),
            contacts: crate::virtual_phone::content::ContactsStore::default(),
            sms: crate::virtual_phone::content::SmsStore::default(),
            calls: crate::virtual_phone::content::CallLogStore::default(),
            props: Props::new("Pixel 7", "VIRT0001", android),
            android,
            stats: Stats::default(),
            battery: crate::virtual_phone::Battery::default(),
            wlan0: None,
        };
        (dir, phone)
    }

    /// The signature of `content_command` and `am_command`.
    type Command = fn(&Phone, &[Vec<u8>], &mut dyn Write, &mut dyn Write) -> i32;

    /// Runs `content`/`am` with shell-split arguments; returns (stdout, stderr, exit code).
    fn run(command: Command, phone: &Phone, args: &[&str]) -> (String, String, i32) {
        let args: Vec<Vec<u8>> = args.iter().map(|a| a.as_bytes().to_vec()).collect();
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let code = command(phone, &args, &mut out, &mut err);
        (String::from_utf8_lossy(&out).into_owned(), String::from_utf8_lossy(&err).into_owned(), code)
    }

    fn content(phone: &Phone, args: &[&str]) -> (String, String, i32) {
        run(super::super::content::content_command, phone, args)
    }

    /// A small real JPEG with EXIF taken at `time` (UTC wall clock), Orientation `orientation`.
    fn jpeg_with_exif(time: i64, orientation: u16, with_offset: bool) -> Vec<u8> {
        let px: Vec<u8> = (0..64 * 48 * 3).map(|i| (i * 7 % 251) as u8).collect();
        let jpeg = encode_jpeg(&px, 64, 48, 80);
        let info = PhotoExif { time, orientation, make: "Test", model: "Cam", width: 64, height: 48, with_offset };
        let mut out = exif_header(&info, None);
        out.extend_from_slice(&jpeg[after_app_segments(&jpeg)..]);
        out
    }

    /// Writes a file at `rel` below the storage root with this mtime, as `adb push` + `touch` would.
    fn put(phone: &Phone, rel: &str, bytes: &[u8], mtime: i64) -> PathBuf {
        let host = phone.storage.root().join(rel);
        fs::create_dir_all(host.parent().expect("parent")).expect("mkdir");
        fs::write(&host, bytes).expect("write");
        let file = fs::File::options().write(true).open(&host).expect("open");
        let t = std::time::UNIX_EPOCH + std::time::Duration::from_secs(mtime as u64);
        file.set_times(fs::FileTimes::new().set_modified(t)).expect("touch");
        host
    }

    use std::path::PathBuf;

    const T: i64 = 1_700_000_000; // 2023-11-14 22:13:20 UTC

    #[test]
    fn a_pushed_file_is_unknown_until_scanned_and_a_deleted_one_leaves_when_scanned() {
        let (_dir, phone) = new_phone(34);
        let host = put(&phone, "DCIM/Camera/IMG_1.jpg", &jpeg_with_exif(T, 1, false), T);
        let uri = "content://media/external/images/media";
        assert_eq!(content(&phone, &["query", "--uri", uri]).0, "No result found.\n");
        let (out, err, code) = content(
            &phone,
            &["call", "--uri", "content://media", "--method", "scan_file", "--arg", "/sdcard/DCIM/Camera/IMG_1.jpg"],
        );
        assert_eq!(
            (out.as_str(), err.as_str(), code),
            ("Result: Bundle[{android.intent.extra.STREAM=content://media/external_primary/images/media/1}]\n", "", 0)
        );
        let (out, _, _) = content(&phone, &["query", "--uri", uri, "--projection", "_id:_data:_display_name"]);
        assert_eq!(out, "Row: 0 _id=1, _data=/storage/emulated/0/DCIM/Camera/IMG_1.jpg, _display_name=IMG_1.jpg\n");
        fs::remove_file(&host).expect("rm");
        // Still listed: nothing told the media store.
        assert!(content(&phone, &["query", "--uri", uri]).0.starts_with("Row: 0 "));
        let (out, _, _) = content(
            &phone,
            &[
                "call",
                "--uri",
                "content://media",
                "--method",
                "scan_file",
                "--arg",
                "/storage/emulated/0/DCIM/Camera/IMG_1.jpg",
            ],
        );
        assert_eq!(out, "Result: Bundle[{android.intent.extra.STREAM=null}]\n");
        assert_eq!(content(&phone, &["query", "--uri", uri]).0, "No result found.\n");
    }

    #[test]
    fn a_row_has_the_columns_android_derives_from_the_path_and_the_exif() {
        let (_dir, phone) = new_phone(34);
        put(&phone, "DCIM/Camera/IMG_2.jpg", &jpeg_with_exif(T, 6, false), T);
        let row = phone.media.scan_file(&phone.storage, b"/sdcard/DCIM/Camera/IMG_2.jpg").expect("row");
        assert_eq!(row.relative_path, "DCIM/Camera/");
        assert_eq!(row.bucket_display_name.as_deref(), Some("Camera"));
        // The well-known bucket id of DCIM/Camera on every Android phone.
        assert_eq!(row.bucket_id, -1_739_773_001);
        assert_eq!((row.width, row.height, row.orientation), (Some(64), Some(48), Some(90)));
        assert_eq!(row.date_taken, Some(T * 1000));
        assert_eq!(row.date_modified, T);
        assert_eq!((row.mime_type.as_str(), row.media_type, row.title.as_str()), ("image/jpeg", 1, "IMG_2"));
        assert_eq!(row.volume_name, "external_primary");
        let (out, _, _) = content(
            &phone,
            &[
                "query",
                "--uri",
                "content://media/external_primary/file",
                "--projection",
                "datetaken : orientation:media_type:bucket_display_name:is_trashed",
            ],
        );
        assert_eq!(
            out,
            format!(
                "Row: 0 datetaken={}, orientation=90, media_type=1, bucket_display_name=Camera, is_trashed=0\n",
                T * 1000
            )
        );
    }

    #[test]
    fn datetaken_needs_an_offset_or_an_mtime_within_a_day_on_android_10_and_later() {
        let (_dir, phone) = new_phone(34);
        // Camera clock two hours ahead of UTC, no offset tag: the mtime tells the zone.
        put(&phone, "DCIM/a.jpg", &jpeg_with_exif(T + 7200, 1, false), T);
        // mtime reset by a copy (push sets "now"): no datetaken.
        put(&phone, "DCIM/b.jpg", &jpeg_with_exif(T, 1, false), T + 90 * 86_400);
        // With OffsetTimeOriginal the mtime does not matter.
        put(&phone, "DCIM/c.jpg", &jpeg_with_exif(T, 1, true), T + 90 * 86_400);
        phone.media.scan_volume(&phone.storage);
        let taken =
            |name: &str| phone.media.row_for_path(format!("/sdcard/DCIM/{name}").as_bytes()).expect("row").date_taken;
        assert_eq!(taken("a.jpg"), Some(T * 1000));
        assert_eq!(taken("b.jpg"), None);
        assert_eq!(taken("c.jpg"), Some(T * 1000));
        let (_dir, old) = new_phone(28);
        put(&old, "DCIM/b.jpg", &jpeg_with_exif(T, 1, false), T + 90 * 86_400);
        old.media.scan_volume(&old.storage);
        assert_eq!(old.media.rows()[0].date_taken, Some(T * 1000));
    }

    #[test]
    fn nomedia_hidden_pending_and_trashed_files_stay_out_of_the_collections() {
        let (_dir, phone) = new_phone(34);
        let jpeg = jpeg_with_exif(T, 1, false);
        put(&phone, "Pictures/Private/.nomedia", b"", T);
        put(&phone, "Pictures/Private/secret.jpg", &jpeg, T);
        put(&phone, "Pictures/.hidden/x.jpg", &jpeg, T);
        put(&phone, "Pictures/.dotfile.jpg", &jpeg, T);
        put(&phone, "DCIM/Camera/.nomedia", b"", T);
        put(&phone, "DCIM/Camera/shown.jpg", &jpeg, T);
        put(&phone, "DCIM/Camera/.trashed-1800000000-gone.jpg", &jpeg, T);
        put(&phone, "DCIM/Camera/.pending-1800000000-half.jpg", &jpeg, T);
        put(&phone, "Android/data/com.app/cache.jpg", &jpeg, T);
        phone.media.scan_volume(&phone.storage);
        let uri = "content://media/external/images/media";
        let (out, _, _) = content(&phone, &["query", "--uri", uri, "--projection", "_display_name"]);
        assert_eq!(out, "Row: 0 _display_name=shown.jpg\n");
        let (out, _, _) = content(
            &phone,
            &[
                "query",
                "--uri",
                "content://media/external/file",
                "--projection",
                "_display_name:media_type",
                "--sort",
                "_display_name",
            ],
        );
        assert_eq!(
            out,
            "Row: 0 _display_name=.dotfile.jpg, media_type=0\nRow: 1 _display_name=secret.jpg, media_type=0\n\
             Row: 2 _display_name=shown.jpg, media_type=1\nRow: 3 _display_name=x.jpg, media_type=0\n"
        );
        let trashed = phone.media.rows().into_iter().find(|r| r.is_trashed).expect("trashed row");
        assert_eq!((trashed.display_name.as_str(), trashed.date_expires), ("gone.jpg", Some(1_800_000_000)));
        let (out, _, _) = content(
            &phone,
            &["query", "--uri", &format!("{uri}/{}", trashed.id), "--projection", "_display_name:is_trashed"],
        );
        assert_eq!(out, "Row: 0 _display_name=gone.jpg, is_trashed=1\n");
        let (out, _, _) = content(
            &phone,
            &[
                "query",
                "--uri",
                uri,
                "--projection",
                "_display_name",
                "--extra",
                "android\\:query-arg-match-pending:i:3",
            ],
        );
        assert_eq!(out, "Row: 0 _display_name=half.jpg\n");
        assert!(phone.media.row_for_path(b"/sdcard/Android/data/com.app/cache.jpg").is_none());
        assert_eq!(phone.media.visible_rows().len(), 1);
    }

    #[test]
    fn where_supports_comparisons_like_null_checks_and_boolean_logic() {
        let (_dir, phone) = new_phone(34);
        let jpeg = jpeg_with_exif(T, 1, false);
        for (i, name) in ["a.jpg", "b.JPG", "c.png", "it's.jpg"].iter().enumerate() {
            // c.png is not an image at all: no size, no date, no orientation.
            let bytes = if *name == "c.png" { &b"broken"[..] } else { &jpeg };
            put(&phone, &format!("DCIM/{name}"), bytes, T + i as i64);
        }
        phone.media.scan_volume(&phone.storage);
        let names = |selection: &str| {
            let (out, err, code) = content(
                &phone,
                &[
                    "query",
                    "--uri",
                    "content://media/external/file",
                    "--projection",
                    "_display_name",
                    "--where",
                    selection,
                ],
            );
            assert_eq!((err.as_str(), code), ("", 0), "{selection}");
            let out = if out == "No result found.\n" { String::new() } else { out };
            out.lines().map(|l| l.rsplit('=').next().unwrap_or_default().to_string()).collect::<Vec<_>>().join(",")
        };
        assert_eq!(names("_display_name='a.jpg'"), "a.jpg");
        assert_eq!(names("_display_name LIKE '%.jpg'"), "a.jpg,b.JPG,it's.jpg");
        assert_eq!(names("_display_name like '_.jp_' AND NOT date_modified = 1700000000"), "b.JPG");
        assert_eq!(names(&format!("date_modified >= {} OR _id == 1", T + 2)), "a.jpg,c.png,it's.jpg");
        assert_eq!(names("(date_modified < 1700000002) and (mime_type != 'image/jpeg')"), "");
        assert_eq!(names("_display_name = 'it''s.jpg'"), "it's.jpg");
        assert_eq!(names("datetaken IS NULL"), "c.png");
        assert_eq!(names("orientation IS NOT NULL AND _id <> 2 AND _id > '1'"), "it's.jpg");
        assert_eq!(names("_id = '3'"), "c.png");
        assert_eq!(names("bucket_display_name NOT LIKE 'dcim'"), "");
        assert_eq!(names("width = 64 and height=48 and relative_path = 'DCIM/'"), "a.jpg,b.JPG,it's.jpg");
        let (out, _, _) = content(
            &phone,
            &[
                "query",
                "--uri",
                "content://media/external/file",
                "--projection",
                "_id",
                "--sort",
                "date_modified DESC LIMIT 2",
            ],
        );
        assert_eq!(out, "Row: 0 _id=4\nRow: 1 _id=3\n");
    }

    #[test]
    fn unknown_columns_fail_the_way_each_release_reports_them() {
        let (_dir, phone14) = new_phone(34);
        let (_dir2, phone9) = new_phone(28);
        let uri = "content://media/external/images/media";
        let (out, err, code) = content(&phone14, &["query", "--uri", uri, "--projection", "_id:nope"]);
        assert_eq!((out.as_str(), code), ("", 0));
        assert!(err.starts_with(
            "Error while accessing provider:media\njava.lang.IllegalArgumentException: Invalid column nope\n\tat "
        ));
        let (_, err, _) = content(&phone14, &["query", "--uri", uri, "--where", "nope = 1"]);
        assert!(err.contains("java.lang.IllegalArgumentException: Invalid token nope\n"), "{err}");
        let (_, err, _) = content(&phone14, &["query", "--uri", uri, "--projection", "media_type"]);
        assert!(err.contains("Invalid column media_type"), "{err}");
        let (_, err, _) = content(&phone9, &["query", "--uri", uri, "--where", "nope = 1"]);
        assert!(err.contains("android.database.sqlite.SQLiteException: no such column: nope (code 1"), "{err}");
        let (_, err, _) = content(&phone9, &["query", "--uri", uri, "--projection", "relative_path"]);
        assert!(err.contains("no such column: relative_path"), "{err}");
        let (_, err, _) = content(&phone14, &["query", "--uri", "content://media/external/nothing"]);
        assert!(err.contains("UnsupportedOperationException: Unknown or unsupported URL"), "{err}");
        let (_, err, _) = content(&phone14, &["query", "--uri", "content://media/sdcard9/file"]);
        assert!(err.contains("IllegalArgumentException: Volume sdcard9 not found"), "{err}");
    }

    #[test]
    fn sql_the_virtual_phone_does_not_model_fails_loudly() {
        let (_dir, phone) = new_phone(34);
        let uri = "content://media/external/images/media";
        for selection in
            ["_id IN (SELECT _id FROM files)", "lower(_display_name) = 'a'", "_size + 1 > 2", "_id BETWEEN 1 AND 2"]
        {
            let (out, err, code) = content(&phone, &["query", "--uri", uri, "--where", selection]);
            assert_eq!((out.as_str(), code), ("", 0), "{selection}");
            assert!(err.starts_with("Error while accessing provider:media\nandroid.database.sqlite.SQLiteException: "));
            assert!(err.contains("the virtual phone does not model"), "{selection}: {err}");
        }
        let deep = format!("{}_id = 1{}", "(".repeat(5000), ")".repeat(5000));
        let (_, err, _) = content(&phone, &["query", "--uri", uri, "--where", &deep]);
        assert!(err.contains("nested parentheses"), "{err}");
        let long = vec!["_id = 1"; 20_000].join(" AND ");
        let (out, err, _) = content(&phone, &["query", "--uri", uri, "--where", &long]);
        assert_eq!((out.as_str(), err.as_str()), ("No result found.\n", ""));
        let (_, err, _) = content(&phone, &["query", "--uri", uri, "--where", "_id = = 1"]);
        assert!(err.contains("near \"=\": syntax error"), "{err}");
        let (_, err, _) = content(&phone, &["query", "--uri", uri, "--sort", "_id COLLATE NOCASE"]);
        assert!(err.contains("does not model COLLATE"), "{err}");
    }

    #[test]
    fn argument_errors_print_usage_on_stdout_as_content_does() {
        let (_dir, phone) = new_phone(34);
        let (out, err, code) = content(&phone, &["query"]);
        assert!(out.starts_with("usage: adb shell content"));
        assert!(out.ends_with("[ERROR] Content provider URI not specified. Did you specify --uri argument?\n"));
        assert_eq!((err.as_str(), code), ("", 0));
        let (out, _, _) = content(&phone, &["query", "--uri", "content://media/external/file", "--bogus", "1"]);
        assert!(out.ends_with("[ERROR] Unsupported argument: --bogus\n"));
        let (out, _, _) = content(&phone, &["frobnicate"]);
        assert!(out.ends_with("[ERROR] Unsupported operation: frobnicate\n"));
        let (out, _, _) = content(&phone, &["call", "--uri", "content://media", "--method"]);
        assert!(out.ends_with("[ERROR] No value for argument: --method\n"));
        let (_, err, code) = content(&phone, &["insert", "--uri", "content://media/external/file", "--bind", "a:s:b"]);
        assert_eq!(code, 1);
        assert!(err.contains("does not model `content insert`"));
    }

    #[test]
    fn scan_file_through_content_call_works_from_android_11_and_fails_before_as_real_phones_do() {
        for (release, sdk) in RELEASES {
            let (_dir, phone) = new_phone(sdk);
            put(&phone, "Download/x.png", b"not really a png", T);
            let args = ["call", "--uri", "content://media", "--method", "scan_file", "--arg", "/sdcard/Download/x.png"];
            let (out, err, code) = content(&phone, &args);
            assert_eq!(code, 0);
            match release {
                9 => assert!(err.contains("UnsupportedOperationException: Unsupported call: scan_file"), "{err}"),
                10 => assert!(err.contains("java.lang.NullPointerException"), "{err}"),
                _ => assert_eq!(
                    out,
                    "Result: Bundle[{android.intent.extra.STREAM=content://media/external_primary/images/media/1}]\n"
                ),
            }
            assert_eq!(phone.media.rows().len(), usize::from(release >= 11));
        }
    }

    #[test]
    fn scan_volume_indexes_new_files_and_forgets_deleted_ones() {
        let (_dir, phone) = new_phone(34);
        let a = put(&phone, "DCIM/a.jpg", &jpeg_with_exif(T, 1, false), T);
        put(&phone, "Music/song.mp3", b"ID3", T);
        put(&phone, "Documents/notes.txt", b"text", T);
        let args = ["call", "--uri", "content://media", "--method", "scan_volume", "--arg", "external_primary"];
        assert_eq!(content(&phone, &args).0, "Result: Bundle[{}]\n");
        let types: Vec<(String, i64)> =
            phone.media.rows().into_iter().map(|r| (r.display_name, r.media_type)).collect();
        assert_eq!(
            types,
            [
                ("a.jpg".to_string(), MEDIA_TYPE_IMAGE),
                ("notes.txt".to_string(), MEDIA_TYPE_DOCUMENT),
                ("song.mp3".to_string(), MEDIA_TYPE_AUDIO),
            ]
        );
        fs::remove_file(a).expect("rm");
        // An unknown volume is only logged: same answer, nothing scanned.
        let args = ["call", "--uri", "content://media", "--method", "scan_volume", "--arg", "external"];
        assert_eq!(content(&phone, &args).0, "Result: Bundle[{}]\n");
        assert_eq!(phone.media.rows().len(), 3);
        phone.media.scan_volume(&phone.storage);
        assert_eq!(phone.media.rows().len(), 2);
    }

    #[test]
    fn ids_grow_and_are_never_reused() {
        let (_dir, phone) = new_phone(34);
        let jpeg = jpeg_with_exif(T, 1, false);
        let a = put(&phone, "DCIM/a.jpg", &jpeg, T);
        let first = phone.media.scan_file(&phone.storage, b"/sdcard/DCIM/a.jpg").expect("row").id;
        // Rescanning keeps the id.
        assert_eq!(phone.media.scan_file(&phone.storage, b"/sdcard/DCIM/a.jpg").expect("row").id, first);
        fs::remove_file(&a).expect("rm");
        assert!(phone.media.scan_file(&phone.storage, b"/sdcard/DCIM/a.jpg").is_none());
        put(&phone, "DCIM/a.jpg", &jpeg, T);
        let again = phone.media.scan_file(&phone.storage, b"/sdcard/DCIM/a.jpg").expect("row").id;
        assert!(again > first);
    }

    #[test]
    fn scanning_a_folder_scans_what_is_below_and_drops_what_is_gone() {
        let (_dir, phone) = new_phone(34);
        let jpeg = jpeg_with_exif(T, 1, false);
        put(&phone, "Pictures/Trip/1.jpg", &jpeg, T);
        let two = put(&phone, "Pictures/Trip/2.jpg", &jpeg, T);
        let first = phone.media.scan_file(&phone.storage, b"/sdcard/Pictures/Trip").expect("row");
        assert_eq!(first.display_name, "1.jpg");
        assert_eq!(phone.media.rows().len(), 2);
        fs::remove_file(two).expect("rm");
        phone.media.scan_file(&phone.storage, b"/sdcard/Pictures/Trip/");
        assert_eq!(phone.media.rows().len(), 1);
        fs::remove_dir_all(phone.storage.root().join("Pictures/Trip")).expect("rm");
        assert!(phone.media.scan_file(&phone.storage, b"/sdcard/Pictures/Trip").is_none());
        assert!(phone.media.rows().is_empty());
    }

    #[test]
    fn a_folder_scan_reads_again_only_the_files_whose_size_or_time_changed_as_modern_media_scanner_does() {
        let (_dir, phone) = new_phone(34);
        let (upright, turned) = (jpeg_with_exif(T, 1, false), jpeg_with_exif(T, 6, false));
        assert_eq!(upright.len(), turned.len());
        put(&phone, "DCIM/Camera/1.jpg", &upright, T);
        phone.media.scan_file(&phone.storage, b"/sdcard/DCIM/Camera");
        let orientation =
            |phone: &Phone| phone.media.row_for_path(b"/sdcard/DCIM/Camera/1.jpg").expect("row").orientation;
        assert_eq!(orientation(&phone), Some(0));
        // Same size and time: the walk keeps the row as it is.
        put(&phone, "DCIM/Camera/1.jpg", &turned, T);
        phone.media.scan_file(&phone.storage, b"/sdcard/DCIM/Camera");
        assert_eq!(orientation(&phone), Some(0));
        // A new time: read again.
        put(&phone, "DCIM/Camera/1.jpg", &turned, T + 60);
        phone.media.scan_file(&phone.storage, b"/sdcard/DCIM/Camera");
        assert_eq!(orientation(&phone), Some(90));
    }

    #[test]
    fn paths_outside_the_storage_are_never_scanned() {
        let (_dir, phone) = new_phone(34);
        for path in ["/data/local/tmp/x.jpg", "/sdcard/../../etc/passwd", "relative.jpg"] {
            let args = ["call", "--uri", "content://media", "--method", "scan_file", "--arg", path];
            assert_eq!(content(&phone, &args).0, "Result: Bundle[{android.intent.extra.STREAM=null}]\n", "{path}");
        }
        assert!(phone.media.scan_file(&phone.storage, b"/etc").is_none());
        assert!(phone.media.rows().is_empty());
    }

    #[test]
    fn am_broadcast_of_media_scanner_scan_file_prints_the_intent_and_scans() {
        for (_, sdk) in RELEASES {
            let (_dir, phone) = new_phone(sdk);
            put(&phone, "DCIM/Camera/a b#1.jpg", &jpeg_with_exif(T, 1, false), T);
            let (out, err, code) = run(
                am_command,
                &phone,
                &[
                    "broadcast",
                    "-a",
                    "android.intent.action.MEDIA_SCANNER_SCAN_FILE",
                    "-d",
                    "file:///sdcard/DCIM/Camera/a%20b%231.jpg",
                ],
            );
            assert_eq!((err.as_str(), code), ("", 0));
            assert_eq!(
                out,
                "Broadcasting: Intent { act=android.intent.action.MEDIA_SCANNER_SCAN_FILE \
                 dat=file:///sdcard/DCIM/Camera/a b#1.jpg flg=0x400000 }\nBroadcast completed: result=0\n"
            );
            let row = phone.media.row_for_path(b"/storage/emulated/0/DCIM/Camera/a b#1.jpg").expect("scanned");
            assert_eq!(row.data, b"/storage/emulated/0/DCIM/Camera/a b#1.jpg");
        }
    }

    #[test]
    fn other_am_commands_fail_loudly() {
        let (_dir, phone) = new_phone(34);
        for args in [
            &["start", "-n", "com.android.camera/.Camera"][..],
            &["broadcast", "-a", "android.intent.action.BOOT_COMPLETED"],
            &["broadcast", "-a", "android.intent.action.MEDIA_SCANNER_SCAN_FILE", "--es", "k", "v"],
            &[],
        ] {
            let (out, err, code) = run(am_command, &phone, args);
            assert_eq!((out.as_str(), code), ("", 255), "{args:?}");
            assert!(err.contains("the virtual phone does not model"), "{args:?}: {err}");
        }
    }

    #[test]
    fn content_delete_removes_the_rows_and_their_files() {
        let (_dir, phone) = new_phone(34);
        let jpeg = jpeg_with_exif(T, 1, false);
        let a = put(&phone, "DCIM/a.jpg", &jpeg, T);
        let b = put(&phone, "DCIM/b.jpg", &jpeg, T);
        phone.media.scan_volume(&phone.storage);
        let (out, err, code) = content(
            &phone,
            &["delete", "--uri", "content://media/external/images/media", "--where", "_display_name = 'a.jpg'"],
        );
        assert_eq!((out.as_str(), err.as_str(), code), ("", "", 0));
        assert!(!a.exists() && b.exists());
        assert_eq!(phone.media.rows().len(), 1);
    }

    #[test]
    fn values_print_raw_with_null_and_rows_counted_from_zero() {
        let (_dir, phone) = new_phone(34);
        put(&phone, "Pictures/x, y=z\nw.png", b"garbage", T);
        put(&phone, "top.jpg", b"garbage", T);
        phone.media.scan_volume(&phone.storage);
        let (out, _, _) = content(
            &phone,
            &[
                "query",
                "--uri",
                "content://media/external/images/media",
                "--projection",
                "_display_name:width:bucket_display_name:relative_path",
            ],
        );
        assert_eq!(
            out,
            "Row: 0 _display_name=x, y=z\nw.png, width=NULL, bucket_display_name=Pictures, relative_path=Pictures/\n\
             Row: 1 _display_name=top.jpg, width=NULL, bucket_display_name=NULL, relative_path=/\n"
        );
    }

    #[test]
    fn like_matches_sqlite() {
        let l = |p: &str, t: &str| like(&p.chars().collect::<Vec<_>>(), &t.chars().collect::<Vec<_>>());
        assert!(l("%", ""));
        assert!(l("a%c", "abbbc"));
        assert!(l("A_C", "abc"));
        assert!(!l("a_c", "ac"));
        assert!(l("%.JPG", "img.jpg"));
        assert!(!l("%.jpg", "img.jpeg"));
    }

    #[test]
    fn civil_dates_round_trip() {
        for t in [0, 951_782_400, T, 4_102_444_799] {
            let (y, mo, d, h, mi, s) = civil_from_unix(t);
            let back = days_from_civil(y, mo, d) * 86_400 + i64::from(h * 3600 + mi * 60 + s);
            assert_eq!(back, t);
        }
        assert_eq!(civil_from_unix(T), (2023, 11, 14, 22, 13, 20));
    }

    #[test]
    fn content_update_is_trashed_moves_a_file_to_the_trash_keeping_its_id_and_back_on_android_11_and_later() {
        let (dir, phone) = new_phone(34);
        let jpeg = jpeg_with_exif(T, 1, false);
        put(&phone, "DCIM/Camera/it's $x.jpg", &jpeg, T);
        put(&phone, "DCIM/Camera/keep.jpg", &jpeg, T);
        let row = phone.media.scan_file(&phone.storage, b"/sdcard/DCIM/Camera/it's $x.jpg").expect("row");
        phone.media.scan_file(&phone.storage, b"/sdcard/DCIM/Camera/keep.jpg").expect("row");
        let images = "content://media/external/images/media";
        let before = unix_now();
        let (out, err, code) = content(
            &phone,
            &[
                "update",
                "--uri",
                "content://media/external/file",
                "--bind",
                "is_trashed:i:1",
                "--where",
                &format!("_id IN ({})", row.id),
            ],
        );
        // `content update` prints nothing on success.
        assert_eq!((out.as_str(), err.as_str(), code), ("", "", 0));
        let camera = dir.path().join("DCIM/Camera");
        let names: Vec<String> = fs::read_dir(&camera)
            .expect("camera")
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n != "keep.jpg")
            .collect();
        let [trashed] = names.as_slice() else { panic!("{names:?}") };
        let expires: i64 = trashed
            .strip_prefix(".trashed-")
            .and_then(|r| r.strip_suffix("-it's $x.jpg"))
            .and_then(|d| d.parse().ok())
            .expect("a .trashed-<expiry>- name");
        assert!((before + 30 * 86_400..=unix_now() + 30 * 86_400).contains(&expires), "{expires}");
        // The gallery no longer lists it; the row keeps its _id and says trashed until when.
        let (out, _, _) = content(&phone, &["query", "--uri", images, "--projection", "_display_name"]);
        assert_eq!(out, "Row: 0 _display_name=keep.jpg\n");
        let by_id = format!("{images}/{}", row.id);
        let (out, _, _) =
            content(&phone, &["query", "--uri", &by_id, "--projection", "_id:is_trashed:date_expires:_data"]);
        assert_eq!(
            out,
            format!(
                "Row: 0 _id={}, is_trashed=1, date_expires={expires}, _data=/storage/emulated/0/DCIM/Camera/{trashed}\n",
                row.id
            )
        );
        // is_trashed=0 puts it back under its name.
        let (out, err, _) = content(&phone, &["update", "--uri", &by_id, "--bind", "is_trashed:i:0"]);
        assert_eq!((out.as_str(), err.as_str()), ("", ""));
        assert!(camera.join("it's $x.jpg").exists());
        let (out, _, _) =
            content(&phone, &["query", "--uri", images, "--projection", "_id:_display_name", "--sort", "_id"]);
        assert_eq!(
            out,
            format!("Row: 0 _id={}, _display_name=it's $x.jpg\nRow: 1 _id=2, _display_name=keep.jpg\n", row.id)
        );
    }

    #[test]
    fn content_update_is_trashed_fails_on_android_10_and_9_and_when_the_shell_is_refused() {
        for sdk in [28, 29] {
            let (dir, phone) = new_phone(sdk);
            put(&phone, "DCIM/Camera/a.jpg", &jpeg_with_exif(T, 1, false), T);
            phone.media.scan_file(&phone.storage, b"/sdcard/DCIM/Camera/a.jpg").expect("row");
            let args = [
                "update",
                "--uri",
                "content://media/external/file",
                "--bind",
                "is_trashed:i:1",
                "--where",
                "_id IN (1)",
            ];
            let (out, err, code) = content(&phone, &args);
            assert_eq!((out.as_str(), code), ("", 0), "{sdk}");
            assert!(err.starts_with("Error while accessing provider:media\n"), "{sdk}: {err}");
            let expected = if sdk == 29 {
                "java.lang.IllegalArgumentException: Invalid column is_trashed\n"
            } else {
                "android.database.sqlite.SQLiteException: no such column: is_trashed (code 1 SQLITE_ERROR): , while \
                 compiling: UPDATE files SET is_trashed=? WHERE _id IN (1)\n"
            };
            assert!(err.contains(expected), "{sdk}: {err}");
            assert!(err.contains("Content$UpdateCommand.onExecute"), "{err}");
            assert!(dir.path().join("DCIM/Camera/a.jpg").exists());
        }
        let (dir, phone) = new_phone(34);
        put(&phone, "DCIM/Camera/a.jpg", &jpeg_with_exif(T, 1, false), T);
        phone.media.scan_file(&phone.storage, b"/sdcard/DCIM/Camera/a.jpg").expect("row");
        phone.media.refuse_shell_writes(true);
        let (out, err, code) =
            content(&phone, &["update", "--uri", "content://media/external/file/1", "--bind", "is_trashed:i:1"]);
        assert_eq!((out.as_str(), code), ("", 0));
        assert!(err.contains("java.lang.SecurityException: Permission Denial: writing "), "{err}");
        assert!(dir.path().join("DCIM/Camera/a.jpg").exists());
        assert_eq!(phone.media.visible_rows().len(), 1);
    }

    #[test]
    fn where_in_matches_any_listed_value() {
        let (_dir, phone) = new_phone(34);
        for name in ["a.jpg", "b.jpg", "c.jpg"] {
            put(&phone, &format!("DCIM/{name}"), &jpeg_with_exif(T, 1, false), T);
            phone.media.scan_file(&phone.storage, format!("/sdcard/DCIM/{name}").as_bytes()).expect("row");
        }
        let uri = "content://media/external/images/media";
        let query = |selection: &str| {
            content(&phone, &["query", "--uri", uri, "--projection", "_display_name", "--where", selection]).0
        };
        assert_eq!(query("_id IN (1, 3)"), "Row: 0 _display_name=a.jpg\nRow: 1 _display_name=c.jpg\n");
        assert_eq!(
            query("_data NOT IN ('/storage/emulated/0/DCIM/a.jpg', 'x''y')"),
            "Row: 0 _display_name=b.jpg\nRow: 1 _display_name=c.jpg\n"
        );
    }
}
