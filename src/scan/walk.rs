//! The walk over the phone's storage: one listing per folder, on one file service session.

use super::{
    CancelToken, Folder, Gallery, HiddenFolder, HiddenReason, MediaFile, MediaKind, STORAGE_ROOT, ScanError,
    ScanProgress, ScanStats, Source, UnreadableFolder, relative_to_root,
};
use crate::device::{Device, DeviceError, DirEntry, SyncSession};
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::time::Instant;

/// What to scan.
#[derive(Debug, Clone)]
pub struct ScanOptions {
    /// The folder to walk: the shared storage (`/storage/emulated/0`) unless a test or a caller wants less.
    pub root: Vec<u8>,
    /// How deep below the root to go; deeper folders are reported as unreadable. Guards against absurd trees.
    pub max_depth: usize,
}

impl Default for ScanOptions {
    fn default() -> Self {
        Self { root: STORAGE_ROOT.to_vec(), max_depth: 48 }
    }
}

/// Folders below the storage root that hold app data, never photos the user took or kept: never listed.
const NEVER_WALKED: &[&[u8]] = &[b"Android/data", b"Android/obb"];

/// A folder waiting to be listed, with what the walker knows about it (`T`).
pub(crate) struct Pending<T> {
    /// Its path on the phone.
    pub path: Vec<u8>,
    /// How many folders below the walk's root.
    pub depth: usize,
    /// What the walker carries along (the gallery: why an ancestor hides it).
    pub extra: T,
}

/// What listing one folder gave.
pub(crate) enum Listing {
    /// Its entries.
    Entries(Vec<DirEntry>),
    /// It vanished (or became a file) since its parent was listed, or never was there.
    Gone,
    /// The phone refused it; the message says why.
    Refused(String),
}

/// Walks folders breadth first on one file service session, one `LIST`/`LIS2` per folder: lists each folder of
/// the queue (starting with `roots`) and hands its listing to `visit`, which queues the subfolders it wants
/// listed. Stops with [`ScanError::Cancelled`] when `cancel` is set, with the device error when the link fails,
/// and with whatever `visit` returns as an error.
pub(crate) fn walk<T>(
    device: &Device,
    roots: Vec<Pending<T>>,
    cancel: &CancelToken,
    mut visit: impl FnMut(Pending<T>, Listing, &mut VecDeque<Pending<T>>) -> Result<(), ScanError>,
) -> Result<(), ScanError> {
    let mut session = device.sync()?;
    let mut queue = VecDeque::from(roots);
    while let Some(dir) = queue.pop_front() {
        if cancel.is_cancelled() {
            return Err(ScanError::Cancelled);
        }
        let listing = match list(device, &mut session, &dir.path) {
            Ok(entries) => Listing::Entries(entries),
            Err(Skip::Gone) => Listing::Gone,
            Err(Skip::Refused(message)) => Listing::Refused(message),
            Err(Skip::Fatal(e)) => return Err(e.into()),
        };
        visit(dir, listing, &mut queue)?;
    }
    Ok(())
}

/// What the walk has gathered so far.
#[derive(Default)]
struct Found {
    folders: Vec<(Vec<u8>, Vec<MediaFile>)>,
    hidden: BTreeMap<(Vec<u8>, HiddenKey), Vec<MediaFile>>,
    unreadable: Vec<UnreadableFolder>,
    media: usize,
}

/// A sortable stand-in for [`HiddenReason`].
type HiddenKey = u8;

fn key_of(reason: HiddenReason) -> HiddenKey {
    match reason {
        HiddenReason::NoMedia => 0,
        HiddenReason::HiddenFolder => 1,
        HiddenReason::Thumbnails => 2,
        HiddenReason::Trashed => 3,
        HiddenReason::Pending => 4,
        HiddenReason::HiddenFile => 5,
    }
}

fn reason_of(key: HiddenKey) -> HiddenReason {
    match key {
        0 => HiddenReason::NoMedia,
        1 => HiddenReason::HiddenFolder,
        2 => HiddenReason::Thumbnails,
        3 => HiddenReason::Trashed,
        4 => HiddenReason::Pending,
        _ => HiddenReason::HiddenFile,
    }
}

/// Scans the phone's gallery: walks the storage folder by folder on one file service session, one listing per
/// folder, and sorts what it finds into the folders the gallery shows and what it hides.
///
/// `progress` is called after each folder; `cancel` is checked before each folder.
pub fn scan(
    device: &Device,
    options: &ScanOptions,
    progress: &dyn Fn(ScanProgress<'_>),
    cancel: &CancelToken,
) -> Result<Gallery, ScanError> {
    let start = Instant::now();
    let root = canonical_root(&options.root);
    let mut found = Found::default();
    let mut stats = ScanStats::default();
    let roots = vec![Pending { path: root, depth: 0, extra: None }];
    walk(device, roots, cancel, |dir, listing, queue| {
        let entries = match listing {
            Listing::Entries(entries) => entries,
            Listing::Gone if dir.depth > 0 => return Ok(()),
            Listing::Refused(message) if dir.depth > 0 => {
                found.unreadable.push(UnreadableFolder { path: dir.path, message });
                return Ok(());
            }
            Listing::Gone => {
                return Err(ScanError::StorageUnreadable {
                    path: String::from_utf8_lossy(&dir.path).into_owned(),
                    message: "No such file or directory".to_string(),
                });
            }
            Listing::Refused(message) => {
                return Err(ScanError::StorageUnreadable {
                    path: String::from_utf8_lossy(&dir.path).into_owned(),
                    message,
                });
            }
        };
        stats.folders_listed += 1;
        stats.entries_seen += entries.len();
        sort_listing(&dir, entries, options, queue, &mut found);
        progress(ScanProgress {
            folders_listed: stats.folders_listed,
            folders_queued: queue.len(),
            media_found: found.media,
            current: &dir.path,
        });
        Ok(())
    })?;
    stats.elapsed = start.elapsed();
    Ok(gallery(found, stats))
}

/// Why a folder could not be listed.
enum Skip {
    /// It vanished (or became a file) since its parent was listed.
    Gone,
    /// The phone refused it; the message says why.
    Refused(String),
    /// The link or the server failed: the scan cannot go on.
    Fatal(DeviceError),
}

/// Lists a folder; a refusal may leave the session unusable, so a fresh one replaces it then.
fn list(device: &Device, session: &mut SyncSession, path: &[u8]) -> Result<Vec<DirEntry>, Skip> {
    match session.list(path) {
        Ok(entries) => Ok(entries),
        Err(DeviceError::NoSuchFile { .. } | DeviceError::NotADirectory { .. }) => Err(Skip::Gone),
        Err(DeviceError::BadPath { why, .. }) => Err(Skip::Refused(format!("the path cannot be asked for: {why}"))),
        Err(DeviceError::Remote { message, .. }) => {
            *session = device.sync().map_err(Skip::Fatal)?;
            Err(Skip::Refused(message))
        }
        Err(e) => Err(Skip::Fatal(e)),
    }
}

/// Sorts one folder's listing: subfolders into the queue, photos and videos into the gallery or the hidden.
fn sort_listing(
    dir: &Pending<Option<HiddenReason>>,
    entries: Vec<DirEntry>,
    options: &ScanOptions,
    queue: &mut VecDeque<Pending<Option<HiddenReason>>>,
    found: &mut Found,
) {
    let folder_hidden =
        dir.extra.or_else(|| entries.iter().any(|e| e.name == b".nomedia").then_some(HiddenReason::NoMedia));
    let mut shown = Vec::new();
    for entry in entries {
        let path = join(&dir.path, &entry.name);
        if entry.stat.is_dir() {
            if NEVER_WALKED.iter().any(|n| relative_to_root(&path).eq_ignore_ascii_case(n)) {
                continue;
            }
            if dir.depth + 1 > options.max_depth {
                found.unreadable.push(UnreadableFolder {
                    path,
                    message: format!("more than {} folders deep; not scanned", options.max_depth),
                });
                continue;
            }
            let hidden = folder_hidden.or_else(|| {
                entry.name.starts_with(b".").then_some(if entry.name.eq_ignore_ascii_case(b".thumbnails") {
                    HiddenReason::Thumbnails
                } else {
                    HiddenReason::HiddenFolder
                })
            });
            queue.push_back(Pending { path, depth: dir.depth + 1, extra: hidden });
            continue;
        }
        if !entry.stat.is_file() {
            continue;
        }
        let Some(kind) = MediaKind::from_name(&entry.name) else { continue };
        found.media += 1;
        let file = MediaFile { path, size: entry.stat.size, mtime: entry.stat.mtime, kind };
        let reason = folder_hidden.or_else(|| file_hidden(&entry.name));
        match reason {
            Some(reason) => found.hidden.entry((dir.path.clone(), key_of(reason))).or_default().push(file),
            None => shown.push(file),
        }
    }
    if !shown.is_empty() {
        found.folders.push((dir.path.clone(), shown));
    }
}

/// Why the gallery hides a file by its own name, if it does.
pub(crate) fn file_hidden(name: &[u8]) -> Option<HiddenReason> {
    if name.starts_with(b".trashed-") {
        Some(HiddenReason::Trashed)
    } else if name.starts_with(b".pending-") {
        Some(HiddenReason::Pending)
    } else if name.starts_with(b".") {
        Some(HiddenReason::HiddenFile)
    } else {
        None
    }
}

pub(crate) fn join(dir: &[u8], name: &[u8]) -> Vec<u8> {
    let mut path = Vec::with_capacity(dir.len() + 1 + name.len());
    path.extend_from_slice(dir);
    if !dir.ends_with(b"/") {
        path.push(b'/');
    }
    path.extend_from_slice(name);
    path
}

/// The root without a trailing slash, with the storage's other names (`/sdcard`, `/storage/self/primary`)
/// turned into `/storage/emulated/0`, so paths in the gallery always start the same way.
fn canonical_root(root: &[u8]) -> Vec<u8> {
    let trimmed = root.strip_suffix(b"/").filter(|r| !r.is_empty()).unwrap_or(root);
    for alias in [&b"/sdcard"[..], b"/storage/self/primary"] {
        if let Some(rest) = trimmed.strip_prefix(alias)
            && (rest.is_empty() || rest.starts_with(b"/"))
        {
            return [STORAGE_ROOT, rest].concat();
        }
    }
    trimmed.to_vec()
}

/// The last part of a path, as text.
fn last_part(path: &[u8]) -> String {
    let name = path.rsplit(|&b| b == b'/').find(|p| !p.is_empty()).unwrap_or(path);
    String::from_utf8_lossy(name).into_owned()
}

/// The names people see for these phone folders, in the same order: each folder's own name ("Camera"),
/// "Internal storage" for the storage's root, and the parent folder in brackets where two have the same name
/// ("Camera (DCIM)", "Camera (App)"). The Backup and Restore screens both name folders this way.
#[must_use]
pub fn folder_names(paths: &[&[u8]]) -> Vec<String> {
    let mut names: Vec<String> = paths
        .iter()
        .map(|path| {
            if relative_to_root(path).is_empty() || *path == STORAGE_ROOT {
                "Internal storage".to_string()
            } else {
                last_part(path)
            }
        })
        .collect();
    let mut uses: HashMap<String, usize> = HashMap::new();
    for name in &names {
        *uses.entry(name.clone()).or_default() += 1;
    }
    for (name, path) in names.iter_mut().zip(paths) {
        if uses.get(name.as_str()).is_some_and(|&n| n > 1) {
            let relative = relative_to_root(path);
            let parent = relative.iter().rposition(|&b| b == b'/').map_or(&[][..], |at| &relative[..at]);
            *name = format!("{name} ({})", String::from_utf8_lossy(parent));
        }
    }
    names
}

fn newest_first(files: &mut [MediaFile]) {
    files.sort_by(|a, b| b.mtime.cmp(&a.mtime).then_with(|| a.path.cmp(&b.path)));
}

/// Puts the walk's findings in the gallery's order, with display names.
fn gallery(found: Found, stats: ScanStats) -> Gallery {
    let mut folders: Vec<Folder> = found
        .folders
        .into_iter()
        .map(|(path, mut files)| {
            newest_first(&mut files);
            let relative = relative_to_root(&path);
            Folder {
                source: Source::of(relative),
                name: String::new(),
                photos: files.iter().filter(|f| f.kind == MediaKind::Photo).count(),
                videos: files.iter().filter(|f| f.kind == MediaKind::Video).count(),
                bytes: files.iter().map(|f| f.size).sum(),
                oldest: files.iter().map(|f| f.mtime).min().unwrap_or_default(),
                newest: files.iter().map(|f| f.mtime).max().unwrap_or_default(),
                path,
                files,
            }
        })
        .collect();
    folders.sort_by(|a, b| a.source.cmp(&b.source).then_with(|| a.path.cmp(&b.path)));
    let names = folder_names(&folders.iter().map(|f| f.path.as_slice()).collect::<Vec<_>>());
    for (folder, name) in folders.iter_mut().zip(names) {
        folder.name = name;
    }
    let hidden = found
        .hidden
        .into_iter()
        .map(|((path, key), mut files)| {
            newest_first(&mut files);
            HiddenFolder {
                name: if relative_to_root(&path).is_empty() {
                    "Internal storage".to_string()
                } else {
                    last_part(&path)
                },
                reason: reason_of(key),
                count: files.len(),
                bytes: files.iter().map(|f| f.size).sum(),
                path,
                files,
            }
        })
        .collect();
    Gallery { folders, hidden, unreadable: found.unreadable, stats }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trashed_pending_and_dot_files_are_hidden_by_name() {
        assert_eq!(file_hidden(b".trashed-1700000000-IMG_1.jpg"), Some(HiddenReason::Trashed));
        assert_eq!(file_hidden(b".pending-1700000000-IMG_1.jpg"), Some(HiddenReason::Pending));
        assert_eq!(file_hidden(b".secret.jpg"), Some(HiddenReason::HiddenFile));
        assert_eq!(file_hidden(b"IMG_1.jpg"), None);
    }

    #[test]
    fn media_kind_is_told_by_extension_whatever_its_case() {
        assert_eq!(MediaKind::from_name(b"IMG_1.JPG"), Some(MediaKind::Photo));
        assert_eq!(MediaKind::from_name(b"a.HeIc"), Some(MediaKind::Photo));
        assert_eq!(MediaKind::from_name(b"clip.Mp4"), Some(MediaKind::Video));
        assert_eq!(MediaKind::from_name(b"x.ts"), Some(MediaKind::Video));
        assert_eq!(MediaKind::from_name(b"receipt.pdf"), None);
        assert_eq!(MediaKind::from_name(b"jpg"), None);
        assert_eq!(MediaKind::from_name(b"\xff\xfe.jpg"), Some(MediaKind::Photo));
    }

    #[test]
    fn storage_aliases_become_the_storage_root() {
        assert_eq!(canonical_root(b"/sdcard/"), STORAGE_ROOT);
        assert_eq!(canonical_root(b"/sdcard/DCIM"), b"/storage/emulated/0/DCIM");
        assert_eq!(canonical_root(b"/storage/self/primary"), STORAGE_ROOT);
        assert_eq!(canonical_root(b"/sdcardx"), b"/sdcardx");
    }

    #[test]
    fn sources_follow_the_folder_a_path_is_in() {
        assert_eq!(Source::of(b"DCIM/Camera"), Source::Camera);
        assert_eq!(Source::of(b"Android/media/com.whatsapp/WhatsApp/Media/WhatsApp Images"), Source::WhatsApp);
        assert_eq!(Source::of(b"WhatsApp/Media/WhatsApp Images"), Source::WhatsApp);
        assert_eq!(Source::of(b"Telegram/Telegram Images"), Source::Telegram);
        assert_eq!(Source::of(b"DCIMx"), Source::Other);
        assert_eq!(Source::of(b""), Source::Other);
    }

    #[test]
    fn folders_of_the_same_name_get_their_parent_in_brackets() {
        let file = |path: &[u8]| MediaFile { path: path.to_vec(), size: 1, mtime: 5, kind: MediaKind::Photo };
        let found = Found {
            folders: vec![
                (b"/storage/emulated/0/DCIM/Camera".to_vec(), vec![file(b"/storage/emulated/0/DCIM/Camera/a.jpg")]),
                (b"/storage/emulated/0/App/Camera".to_vec(), vec![file(b"/storage/emulated/0/App/Camera/b.jpg")]),
                (b"/storage/emulated/0".to_vec(), vec![file(b"/storage/emulated/0/c.jpg")]),
            ],
            ..Found::default()
        };
        let g = gallery(found, ScanStats::default());
        let names: Vec<&str> = g.folders.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["Camera (DCIM)", "Internal storage", "Camera (App)"]);
        assert_eq!(g.folder("DCIM/Camera").map(|f| f.photos), Some(1));
    }
}
