//! The gallery scan (`phonebak::scan`) against virtual phones through Debian's real adb server: the folders,
//! counts, sizes and dates equal what the phone's storage holds; what the gallery hides is reported as hidden;
//! hostile names come back byte for byte; and one listing per folder, however many files.

use crate::util::{AdbServer, phone_with_dir, write_file};
use phonebak::device::{Adb, AdbSearch, Device};
use phonebak::scan::{CancelToken, Gallery, HiddenReason, MediaKind, STORAGE_ROOT, ScanError, ScanOptions, scan};
use phonebak::virtual_phone::sample::SampleOptions;
use phonebak::virtual_phone::{Config, StatsSnapshot, StorageSource, VirtualPhone};
use std::cell::Cell;
use std::collections::{BTreeMap, BTreeSet};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

fn device_of(server: &AdbServer, phone: &VirtualPhone) -> Device {
    let binary = AdbSearch::from_env().find().expect("adb on PATH (install Debian's adb package)");
    Adb::new(binary, server.port).device(&phone.addr().to_string()).expect("device")
}

fn sample_phone(photos: usize) -> (AdbServer, VirtualPhone, Device) {
    let server = AdbServer::start();
    let phone = VirtualPhone::start(Config {
        storage: StorageSource::Sample(SampleOptions { photos, seed: 11, ..SampleOptions::default() }),
        ..Config::default()
    })
    .expect("start the virtual phone");
    server.connect(&phone, "device");
    let device = device_of(&server, &phone);
    (server, phone, device)
}

fn scan_all(device: &Device) -> Gallery {
    scan(device, &ScanOptions::default(), &|_| {}, &CancelToken::new()).expect("scan")
}

fn listings(stats: &StatsSnapshot) -> u64 {
    ["LIST", "LIS2"].iter().map(|id| stats.sync_requests.get(*id).copied().unwrap_or(0)).sum()
}

/// File service requests other than `QUIT` (which a closing session sends, counted whenever the phone reads it).
fn requests(stats: &StatsSnapshot) -> u64 {
    stats.sync_requests.iter().filter(|(id, _)| *id != "QUIT").map(|(_, n)| n).sum()
}

/// What one folder of the gallery should show, worked out on the host.
#[derive(Debug, Default, PartialEq, Eq)]
struct Expected {
    photos: usize,
    videos: usize,
    bytes: u64,
    oldest: i64,
    newest: i64,
    /// Paths below the storage root, byte for byte.
    files: BTreeSet<Vec<u8>>,
}

/// The phone's storage seen from the host: visible media per folder, hidden media per (folder, reason), and
/// the number of folders a walk lists (every folder but `Android/data` and `Android/obb` and what is below).
struct HostView {
    shown: BTreeMap<Vec<u8>, Expected>,
    hidden: BTreeMap<(Vec<u8>, &'static str), (usize, u64)>,
    folders: usize,
}

fn host_view(root: &Path) -> HostView {
    let mut view = HostView { shown: BTreeMap::new(), hidden: BTreeMap::new(), folders: 0 };
    walk_host(root, b"", None, &mut view);
    view
}

fn is_media(name: &[u8]) -> Option<MediaKind> {
    let ext = name.rsplit(|&b| b == b'.').next().filter(|_| name.contains(&b'.'))?.to_ascii_lowercase();
    match ext.as_slice() {
        b"jpg" | b"jpeg" | b"png" | b"heic" | b"heif" | b"webp" | b"gif" | b"dng" | b"bmp" | b"avif" => {
            Some(MediaKind::Photo)
        }
        b"mp4" | b"3gp" | b"mkv" | b"webm" | b"mov" | b"m4v" | b"avi" | b"ts" => Some(MediaKind::Video),
        _ => None,
    }
}

fn walk_host(dir: &Path, rel: &[u8], hidden: Option<&'static str>, view: &mut HostView) {
    if rel == b"Android/data" || rel == b"Android/obb" {
        return;
    }
    view.folders += 1;
    let entries: Vec<_> = std::fs::read_dir(dir).expect("read dir").map(|e| e.expect("entry")).collect();
    let hidden = hidden.or_else(|| entries.iter().any(|e| e.file_name() == ".nomedia").then_some("nomedia"));
    for entry in entries {
        let name = entry.file_name().as_bytes().to_vec();
        let child = if rel.is_empty() { name.clone() } else { [rel, b"/", &name].concat() };
        let meta = entry.path().symlink_metadata().expect("metadata");
        if meta.is_dir() {
            let child_hidden = hidden.or_else(|| {
                name.starts_with(b".").then_some(if name == b".thumbnails" { "thumbnails" } else { "hidden folder" })
            });
            walk_host(&entry.path(), &child, child_hidden, view);
            continue;
        }
        let Some(kind) = is_media(&name).filter(|_| meta.is_file()) else { continue };
        let reason = hidden.or_else(|| {
            if name.starts_with(b".trashed-") {
                Some("trashed")
            } else if name.starts_with(b".pending-") {
                Some("pending")
            } else {
                name.starts_with(b".").then_some("hidden file")
            }
        });
        if let Some(reason) = reason {
            let slot = view.hidden.entry((rel.to_vec(), reason)).or_default();
            slot.0 += 1;
            slot.1 += meta.len();
            continue;
        }
        let folder = view.shown.entry(rel.to_vec()).or_insert_with(|| Expected {
            oldest: i64::MAX,
            newest: i64::MIN,
            ..Expected::default()
        });
        match kind {
            MediaKind::Photo => folder.photos += 1,
            MediaKind::Video => folder.videos += 1,
            MediaKind::Other => unreachable!("MediaKind::from_name never gives Other"),
        }
        folder.bytes += meta.len();
        folder.oldest = folder.oldest.min(meta.mtime());
        folder.newest = folder.newest.max(meta.mtime());
        folder.files.insert(child);
    }
}

fn reason_name(reason: HiddenReason) -> &'static str {
    match reason {
        HiddenReason::NoMedia => "nomedia",
        HiddenReason::HiddenFolder => "hidden folder",
        HiddenReason::Thumbnails => "thumbnails",
        HiddenReason::Trashed => "trashed",
        HiddenReason::Pending => "pending",
        HiddenReason::HiddenFile => "hidden file",
    }
}

#[test]
fn scan_of_the_sample_gallery_matches_the_phones_storage_folder_by_folder() {
    let (_server, phone, device) = sample_phone(60);
    let gallery = scan_all(&device);
    let view = host_view(phone.phone().storage.root());

    let got: BTreeMap<Vec<u8>, Expected> = gallery
        .folders
        .iter()
        .map(|f| {
            let expected = Expected {
                photos: f.photos,
                videos: f.videos,
                bytes: f.bytes,
                oldest: f.oldest,
                newest: f.newest,
                files: f.files.iter().map(|m| m.relative_path().to_vec()).collect(),
            };
            (f.relative_path().to_vec(), expected)
        })
        .collect();
    assert_eq!(got.keys().collect::<Vec<_>>(), view.shown.keys().collect::<Vec<_>>(), "folder list");
    assert_eq!(got, view.shown);
    for folder in &gallery.folders {
        assert!(folder.path.starts_with(STORAGE_ROOT), "{}", folder.relative_path_lossy());
        assert!(folder.files.windows(2).all(|w| w[0].mtime >= w[1].mtime), "{} not newest first", folder.name);
        assert_eq!(folder.photos + folder.videos, folder.files.len());
    }

    let camera = gallery.folder("Camera").expect("a Camera folder");
    assert_eq!(camera.relative_path(), b"DCIM/Camera");
    assert!(camera.photos >= 60 && camera.videos == 4, "{} photos, {} videos", camera.photos, camera.videos);
    assert_eq!(gallery.folder("Screenshots").map(|f| (f.photos, f.videos)), Some((6, 0)));
    assert_eq!(gallery.folder("WhatsApp Images").map(|f| f.photos), Some(6));
    assert_eq!(gallery.folder("WhatsApp Video").map(|f| f.videos), Some(2));
    assert_eq!(gallery.folder("Movies").map(|f| f.videos), Some(1));
    let download = gallery.folder("Download").expect("Download");
    let names: BTreeSet<&[u8]> = download.files.iter().map(phonebak::scan::MediaFile::name).collect();
    assert_eq!(names, BTreeSet::from([&b"meme.png"[..], b"wallpaper.jpg"]), "only photos from Download");
    assert!(gallery.files().all(|f| !f.relative_path().starts_with(b"Android/data")));
}

#[test]
fn hidden_trashed_pending_and_nomedia_files_are_reported_as_hidden_not_listed() {
    let (_server, phone, device) = sample_phone(20);
    let gallery = scan_all(&device);
    let view = host_view(phone.phone().storage.root());
    let got: BTreeMap<(Vec<u8>, &'static str), (usize, u64)> = gallery
        .hidden
        .iter()
        .map(|h| ((h.relative_path().to_vec(), reason_name(h.reason)), (h.count, h.bytes)))
        .collect();
    assert_eq!(got, view.hidden);

    let hidden = |rel: &[u8], reason: HiddenReason| {
        gallery.hidden.iter().find(|h| h.relative_path() == rel && h.reason == reason).map(|h| h.count)
    };
    assert_eq!(hidden(b"Pictures/Private", HiddenReason::NoMedia), Some(2));
    assert_eq!(
        hidden(b"Android/media/com.whatsapp/WhatsApp/Media/WhatsApp Images/Sent", HiddenReason::NoMedia),
        Some(3)
    );
    assert_eq!(hidden(b"Android/media/com.whatsapp/WhatsApp/Media/.Statuses", HiddenReason::HiddenFolder), Some(1));
    assert_eq!(hidden(b"DCIM/.thumbnails", HiddenReason::Thumbnails), Some(3));
    assert_eq!(hidden(b"DCIM/Camera", HiddenReason::Trashed), Some(2));
    assert_eq!(hidden(b"DCIM/Camera", HiddenReason::Pending), Some(1));
    for h in &gallery.hidden {
        assert_eq!(h.files.len(), h.count);
        assert_eq!(h.files.iter().map(|f| f.size).sum::<u64>(), h.bytes);
        assert!(h.bytes > 0, "{} {:?}", h.name, h.reason);
    }

    let shown: BTreeSet<&[u8]> = gallery.files().map(|f| f.path.as_slice()).collect();
    for file in gallery.hidden_files() {
        assert!(
            !shown.contains(file.path.as_slice()),
            "{} is both shown and hidden",
            String::from_utf8_lossy(&file.path)
        );
    }
    assert!(gallery.folder("Private").is_none() && gallery.folder(".thumbnails").is_none());
    assert!(gallery.files().all(|f| !f.name().starts_with(b".")));
}

#[test]
fn hostile_names_are_listed_byte_for_byte() {
    let (_server, phone, device) = sample_phone(5);
    let gallery = scan_all(&device);
    let hostile = gallery.folder("Hostile").expect("Pictures/Hostile");
    let got: BTreeSet<Vec<u8>> = hostile.files.iter().map(|f| f.name().to_vec()).collect();
    let on_disk: BTreeSet<Vec<u8>> = std::fs::read_dir(phone.phone().storage.root().join("Pictures/Hostile"))
        .expect("read dir")
        .map(|e| e.expect("entry").file_name().as_bytes().to_vec())
        .collect();
    assert_eq!(got, on_disk);
    for name in [&b"new\nline.jpg"[..], b"caf\xe9 latin-1.jpg", b"$(touch pwned).jpg", b"-rf.jpg", b"glob*?[x].jpg"] {
        assert!(got.contains(name), "{} missing", String::from_utf8_lossy(name));
    }
    let camera = gallery.folder("DCIM/Camera").expect("camera");
    assert!(camera.files.iter().any(|f| f.name() == "IMG_20230707_150000 🎆.jpg".as_bytes()));
    assert!(camera.files.iter().any(|f| f.name() == b"IMG_20230705_130000'.jpg"));
}

#[test]
fn listings_grow_with_folders_not_files() {
    let (_server, phone, device) = sample_phone(300);
    let view = host_view(phone.phone().storage.root());
    let before = phone.stats();
    let gallery = scan_all(&device);
    let after = phone.stats();
    let listed = listings(&after) - listings(&before);
    assert_eq!(gallery.stats.folders_listed, view.folders);
    assert_eq!(listed, view.folders as u64, "one listing per folder");
    assert_eq!(requests(&after) - requests(&before), listed, "no request other than listings");
    assert_eq!(after.shell_commands, before.shell_commands, "no shell command");
    let sessions = |s: &StatsSnapshot| s.streams.get("sync").copied().unwrap_or(0);
    assert_eq!(sessions(&after) - sessions(&before), 1, "one file service session");
    assert!(gallery.photos() > 300);
}

#[test]
fn legacy_whatsapp_telegram_and_any_folder_with_photos_are_found_but_never_app_data() {
    let server = AdbServer::start();
    let (dir, phone) = phone_with_dir(Config::default());
    let root = dir.path();
    write_file(&root.join("WhatsApp/Media/WhatsApp Images/IMG-20200101-WA0001.jpg"), b"wa", 1_577_900_000);
    write_file(&root.join("Telegram/Telegram Video/clip.MP4"), b"tg video", 1_600_000_000);
    write_file(&root.join("Snapseed/edit.JPEG"), b"edited", 1_650_000_000);
    write_file(&root.join("Snapseed/readme.txt"), b"not media", 1_650_000_000);
    write_file(&root.join("photo at the top.heic"), b"top", 1_660_000_000);
    write_file(&root.join("Android/data/com.app/cache/cached.jpg"), b"app data", 1_660_000_000);
    write_file(&root.join("Android/obb/com.game/main.jpg"), b"app data", 1_660_000_000);
    write_file(&root.join("Android/media/org.telegram.messenger/Telegram/Telegram Images/t.webp"), b"t", 1_700_000_000);
    server.connect(&phone, "device");
    let device = device_of(&server, &phone);
    let gallery = scan_all(&device);
    let folders: BTreeMap<String, (usize, usize, u64)> =
        gallery.folders.iter().map(|f| (f.relative_path_lossy(), (f.photos, f.videos, f.bytes))).collect();
    assert_eq!(
        folders,
        BTreeMap::from([
            (String::new(), (1, 0, 3)),
            ("Android/media/org.telegram.messenger/Telegram/Telegram Images".to_string(), (1, 0, 1)),
            ("Snapseed".to_string(), (1, 0, 6)),
            ("Telegram/Telegram Video".to_string(), (0, 1, 8)),
            ("WhatsApp/Media/WhatsApp Images".to_string(), (1, 0, 2)),
        ])
    );
    assert_eq!(gallery.folder("Internal storage").map(|f| f.newest), Some(1_660_000_000));
    assert_eq!(gallery.folder("WhatsApp Images").map(|f| f.source), Some(phonebak::scan::Source::WhatsApp));
    assert!(gallery.hidden.is_empty() && gallery.unreadable.is_empty());
}

#[test]
fn a_cancelled_scan_stops_and_progress_counts_each_folder() {
    let (_server, _phone, device) = sample_phone(5);
    let cancel = CancelToken::new();
    let calls = Cell::new(0);
    let progress = |p: phonebak::scan::ScanProgress<'_>| {
        calls.set(calls.get() + 1);
        assert_eq!(p.folders_listed, calls.get());
        if p.folders_listed == 3 {
            cancel.cancel();
        }
    };
    let err = scan(&device, &ScanOptions::default(), &progress, &cancel).expect_err("cancelled");
    assert!(matches!(err, ScanError::Cancelled), "{err}");
    assert_eq!(calls.get(), 3);
}

#[test]
fn a_storage_that_is_not_there_says_so() {
    let (_server, _phone, device) = sample_phone(1);
    let options = ScanOptions { root: b"/storage/nothing-here".to_vec(), ..ScanOptions::default() };
    let err = scan(&device, &options, &|_| {}, &CancelToken::new()).expect_err("no such folder");
    assert!(matches!(err, ScanError::StorageUnreadable { .. }), "{err}");
    assert!(err.to_string().contains("/storage/nothing-here"), "{err}");
}

#[test]
fn folders_deeper_than_the_limit_are_reported_unreadable_and_sdcard_paths_come_back_as_storage_paths() {
    let server = AdbServer::start();
    let (dir, phone) = phone_with_dir(Config::default());
    write_file(&dir.path().join("Pictures/a.jpg"), b"a", 1_600_000_000);
    write_file(&dir.path().join("Pictures/Deep/Deeper/b.jpg"), b"b", 1_600_000_000);
    server.connect(&phone, "device");
    let device = device_of(&server, &phone);
    let options = ScanOptions { root: b"/sdcard/".to_vec(), max_depth: 2 };
    let gallery = scan(&device, &options, &|_| {}, &CancelToken::new()).expect("scan");
    let paths: Vec<&[u8]> = gallery.files().map(|f| f.path.as_slice()).collect();
    assert_eq!(paths, [&b"/storage/emulated/0/Pictures/a.jpg"[..]]);
    let unreadable: Vec<&[u8]> = gallery.unreadable.iter().map(|u| u.path.as_slice()).collect();
    assert_eq!(unreadable, [&b"/storage/emulated/0/Pictures/Deep/Deeper"[..]]);
    assert!(gallery.unreadable[0].message.contains("deep"), "{}", gallery.unreadable[0].message);
}
