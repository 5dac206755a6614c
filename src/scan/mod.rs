//! The gallery scan: which photos and videos a phone holds, folder by folder.
//!
//! A phone's gallery is not one folder: the camera writes to `DCIM/Camera`, screenshots land in
//! `Pictures/Screenshots`, messengers keep their media under `Android/media/<app>/` (or at the top of the storage
//! on phones before Android 11), and any app may make a folder of its own. So the scan walks the whole shared
//! storage (never `Android/data` or `Android/obb`, which hold app data, not photos) and keeps every folder that
//! holds a photo or a video.
//!
//! What the phone's own gallery hides (a folder with a `.nomedia` file, a hidden folder such as
//! `DCIM/.thumbnails`, files in the bin (`.trashed-*`) or still being written (`.pending-*`)) is not listed
//! with the gallery, but it is reported in [`Gallery::hidden`] with its count and size: shown as hidden, never
//! silently dropped.
//!
//! Speed: the number of round trips grows with the number of folders, never with the number of files. Every
//! folder is listed with one `LIST`/`LIS2` request on one file service session, and a listing carries each
//! file's size and modification time, so no file is asked about on its own. The walk itself ([`walk`]) is
//! generic: [`crate::whatsapp`] lists every file of `WhatsApp`'s folders with it.

mod walk;

pub(crate) use walk::{Listing, Pending, file_hidden, join, walk};
pub use walk::{ScanOptions, folder_names, scan};

use std::time::Duration;

/// Where phonebak reads the phone's shared storage (the same place as `/sdcard`).
pub const STORAGE_ROOT: &[u8] = b"/storage/emulated/0";

/// What kind of media a file is, by its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum MediaKind {
    /// A still photo (JPEG, HEIC, PNG, WebP, DNG, GIF...).
    Photo,
    /// A video (MP4, 3GP, MKV, `WebM`, MOV...).
    Video,
    /// Any other file, backed up as it is: an app's own backup, a voice note, a document, a sticker (see
    /// [`crate::whatsapp`]). The gallery scan never lists one; [`MediaKind::from_name`] never gives it.
    Other,
}

/// File name extensions of photos, lower case.
const PHOTO_EXTENSIONS: &[&[u8]] =
    &[b"jpg", b"jpeg", b"png", b"heic", b"heif", b"webp", b"gif", b"dng", b"bmp", b"avif"];
/// File name extensions of videos, lower case.
const VIDEO_EXTENSIONS: &[&[u8]] = &[b"mp4", b"3gp", b"mkv", b"webm", b"mov", b"m4v", b"avi", b"ts"];

impl MediaKind {
    /// The kind of a file by its name's extension (case-insensitive); `None` for anything else.
    #[must_use]
    pub fn from_name(name: &[u8]) -> Option<Self> {
        let dot = name.iter().rposition(|&b| b == b'.')?;
        let ext = name[dot + 1..].to_ascii_lowercase();
        if PHOTO_EXTENSIONS.contains(&ext.as_slice()) {
            Some(Self::Photo)
        } else if VIDEO_EXTENSIONS.contains(&ext.as_slice()) {
            Some(Self::Video)
        } else {
            None
        }
    }
}

/// One photo or video on the phone (or, for [`crate::whatsapp`], any file: then its kind is
/// [`MediaKind::Other`] unless its name says photo or video).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaFile {
    /// Its path on the phone, under `/storage/emulated/0` (bytes: names need not be UTF-8).
    pub path: Vec<u8>,
    /// Size in bytes.
    pub size: u64,
    /// Modification time, seconds since the epoch.
    pub mtime: i64,
    /// Photo or video (or another file, listed by [`crate::whatsapp`]).
    pub kind: MediaKind,
}

impl MediaFile {
    /// The path below the storage root (`DCIM/Camera/IMG_1.jpg`), as a backup lays its files out.
    #[must_use]
    pub fn relative_path(&self) -> &[u8] {
        relative_to_root(&self.path)
    }

    /// The file's name, the last part of its path.
    #[must_use]
    pub fn name(&self) -> &[u8] {
        self.path.rsplit(|&b| b == b'/').next().unwrap_or(&self.path)
    }
}

/// `path` without the storage root and the slash after it (the root itself gives an empty path).
pub(crate) fn relative_to_root(path: &[u8]) -> &[u8] {
    match path.strip_prefix(STORAGE_ROOT) {
        Some(rest) => rest.strip_prefix(b"/").unwrap_or(rest),
        None => path,
    }
}

/// Which part of the phone a folder belongs to, for grouping and ordering folders as a person expects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
pub enum Source {
    /// `DCIM/...`: the camera.
    Camera,
    /// `Pictures/...`: screenshots and pictures saved by apps.
    Pictures,
    /// `Movies/...`.
    Movies,
    /// `WhatsApp`'s media (Android 11+ `Android/media/com.whatsapp/WhatsApp/Media`, or the older `WhatsApp/Media`).
    WhatsApp,
    /// Telegram's media (under `Android/media/org.telegram.messenger` or the older `Telegram`).
    Telegram,
    /// `Download/...`.
    Download,
    /// Any other folder.
    Other,
}

impl Source {
    /// The source of a folder, by its path below the storage root.
    #[must_use]
    pub fn of(relative: &[u8]) -> Self {
        let starts = |prefix: &[u8]| {
            relative.len() >= prefix.len()
                && relative[..prefix.len()].eq_ignore_ascii_case(prefix)
                && (relative.len() == prefix.len() || relative[prefix.len()] == b'/')
        };
        if starts(b"DCIM") {
            Self::Camera
        } else if starts(b"Pictures") {
            Self::Pictures
        } else if starts(b"Movies") {
            Self::Movies
        } else if starts(b"Android/media/com.whatsapp")
            || starts(b"Android/media/com.whatsapp.w4b")
            || starts(b"WhatsApp")
        {
            Self::WhatsApp
        } else if starts(b"Android/media/org.telegram.messenger") || starts(b"Telegram") {
            Self::Telegram
        } else if starts(b"Download") {
            Self::Download
        } else {
            Self::Other
        }
    }
}

/// A folder of the gallery: one phone folder that directly holds photos or videos the gallery shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Folder {
    /// Its path on the phone (`/storage/emulated/0/DCIM/Camera`).
    pub path: Vec<u8>,
    /// The name to show: the folder's own name ("Camera", "Screenshots", "`WhatsApp` Images"), with its parent
    /// folder in brackets when two gallery folders have the same name; "Internal storage" for the root.
    pub name: String,
    /// Which part of the phone it belongs to.
    pub source: Source,
    /// How many photos it holds.
    pub photos: usize,
    /// How many videos it holds.
    pub videos: usize,
    /// The size of all its photos and videos, in bytes.
    pub bytes: u64,
    /// The oldest modification time of its files, seconds since the epoch.
    pub oldest: i64,
    /// The newest modification time of its files, seconds since the epoch.
    pub newest: i64,
    /// Its photos and videos, newest first.
    pub files: Vec<MediaFile>,
}

impl Folder {
    /// The path below the storage root (`DCIM/Camera`; empty for the root).
    #[must_use]
    pub fn relative_path(&self) -> &[u8] {
        relative_to_root(&self.path)
    }

    /// The path below the storage root as text (invalid UTF-8 shown as `�`).
    #[must_use]
    pub fn relative_path_lossy(&self) -> String {
        String::from_utf8_lossy(self.relative_path()).into_owned()
    }

    /// How many photos and videos it holds.
    #[must_use]
    pub fn len(&self) -> usize {
        self.files.len()
    }

    /// Whether it holds nothing (never true for a folder of a [`Gallery`]).
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }
}

/// Why the phone's gallery does not show some photos or videos.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum HiddenReason {
    /// The folder, or one above it, holds a `.nomedia` file.
    NoMedia,
    /// The folder, or one above it, has a name starting with a dot (`.Statuses`, `.hidden`).
    HiddenFolder,
    /// Thumbnails the phone made (`DCIM/.thumbnails`): copies, not originals.
    Thumbnails,
    /// Files in the phone's bin (`.trashed-<expiry>-<name>`), deleted for good when they expire.
    Trashed,
    /// Files an app is still writing (`.pending-<expiry>-<name>`).
    Pending,
    /// Files whose own name starts with a dot.
    HiddenFile,
}

impl HiddenReason {
    /// A short explanation for people.
    #[must_use]
    pub fn describe(self) -> &'static str {
        match self {
            Self::NoMedia => "the folder has a .nomedia file, so the gallery does not show it",
            Self::HiddenFolder => "the folder's name starts with a dot, so the gallery does not show it",
            Self::Thumbnails => "thumbnails the phone made of other photos",
            Self::Trashed => "in the phone's bin (deleted, kept until they expire)",
            Self::Pending => "still being written by an app",
            Self::HiddenFile => "the file names start with a dot, so the gallery does not show them",
        }
    }
}

/// Photos and videos in one folder that the phone's gallery does not show, for one reason. They are still on
/// the phone: shown as hidden, not lost.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HiddenFolder {
    /// The folder's path on the phone.
    pub path: Vec<u8>,
    /// The folder's own name, as text.
    pub name: String,
    /// Why these files are hidden.
    pub reason: HiddenReason,
    /// How many photos and videos.
    pub count: usize,
    /// Their size in bytes.
    pub bytes: u64,
    /// The files, newest first.
    pub files: Vec<MediaFile>,
}

impl HiddenFolder {
    /// The path below the storage root.
    #[must_use]
    pub fn relative_path(&self) -> &[u8] {
        relative_to_root(&self.path)
    }
}

/// A folder the scan could not read (the phone refused it); what is inside it is not in the gallery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnreadableFolder {
    /// The folder's path on the phone.
    pub path: Vec<u8>,
    /// What the phone said.
    pub message: String,
}

/// What the scan cost.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ScanStats {
    /// Folders listed (one `LIST`/`LIS2` request each).
    pub folders_listed: usize,
    /// Entries (files and folders) the listings held.
    pub entries_seen: usize,
    /// Wall time of the scan.
    pub elapsed: Duration,
}

/// What a scan found: the gallery's folders, and what the gallery hides.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Gallery {
    /// The folders that hold photos or videos the gallery shows: camera first, then pictures, movies,
    /// messengers, downloads and the rest, each group by path.
    pub folders: Vec<Folder>,
    /// Photos and videos the gallery does not show, per folder and reason.
    pub hidden: Vec<HiddenFolder>,
    /// Folders the phone would not list.
    pub unreadable: Vec<UnreadableFolder>,
    /// What the scan cost.
    pub stats: ScanStats,
}

impl Gallery {
    /// Every photo and video the gallery shows, folder by folder.
    pub fn files(&self) -> impl Iterator<Item = &MediaFile> {
        self.folders.iter().flat_map(|f| f.files.iter())
    }

    /// Every hidden photo and video.
    pub fn hidden_files(&self) -> impl Iterator<Item = &MediaFile> {
        self.hidden.iter().flat_map(|f| f.files.iter())
    }

    /// The folder with this display name ("Camera"), or this path below the storage root ("DCIM/Camera"), or
    /// this full phone path.
    #[must_use]
    pub fn folder(&self, name: &str) -> Option<&Folder> {
        self.folders.iter().find(|f| f.name == name).or_else(|| {
            let wanted = name.trim_end_matches('/').as_bytes();
            self.folders.iter().find(|f| f.relative_path() == wanted || f.path == wanted)
        })
    }

    /// How many photos the gallery shows.
    #[must_use]
    pub fn photos(&self) -> usize {
        self.folders.iter().map(|f| f.photos).sum()
    }

    /// How many videos the gallery shows.
    #[must_use]
    pub fn videos(&self) -> usize {
        self.folders.iter().map(|f| f.videos).sum()
    }

    /// The size of everything the gallery shows, in bytes.
    #[must_use]
    pub fn bytes(&self) -> u64 {
        self.folders.iter().map(|f| f.bytes).sum()
    }
}

/// How far a scan has come, given to the progress callback after each folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScanProgress<'a> {
    /// Folders listed so far.
    pub folders_listed: usize,
    /// Folders found but not listed yet.
    pub folders_queued: usize,
    /// Photos and videos found so far (shown and hidden).
    pub media_found: usize,
    /// The folder just listed.
    pub current: &'a [u8],
}
pub use crate::progress::CancelToken;

/// Why a scan failed.
#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    /// The phone or the adb server failed (the message says what to do).
    #[error("Could not read the phone's folders: {0}")]
    Device(#[from] crate::device::DeviceError),
    /// The shared storage itself could not be listed.
    #[error(
        "The phone would not list its storage ({message}). Unlock the phone, make sure its storage is not in use \
         by another computer (USB mode \"File transfer\" is not needed, but the phone must be set up), then try \
         again. Folder: {path}"
    )]
    StorageUnreadable {
        /// The storage root as text.
        path: String,
        /// What the phone said.
        message: String,
    },
    /// The scan was cancelled.
    #[error("The scan was cancelled.")]
    Cancelled,
}
