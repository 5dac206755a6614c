//! `phonebak backup --what whatsapp` and `phonebak restore --what whatsapp` (issue 13): the real binary backs
//! up every file of `WhatsApp`'s and `WhatsApp` Business' folders (chat backups, a `.nomedia` folder, a hidden
//! folder, a voice note, a document with a hostile name) byte-exact with their dates, into the same manifest as
//! the photos, and puts them back on an empty phone where its `WhatsApp` will look: the same folder on Android
//! 14, `Android/media/...` for a backup of an Android 9 phone's `WhatsApp/`. Virtual phones on a real adb server.

use crate::util::{AdbServer, event, json_lines, mtime_of, noise, phone_with_dir, phonebak, said, text, write_file};
use phonebak::backup::Manifest;
use phonebak::virtual_phone::{AndroidVersion, Config, VirtualPhone};
use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::process::Output;

const MEDIA: &str = "Android/media/com.whatsapp/WhatsApp";
const MEDIA_BUSINESS: &str = "Android/media/com.whatsapp.w4b/WhatsApp Business";

/// A document name that breaks careless shell code: quotes, a command substitution, a newline, spaces.
const HOSTILE: &[u8] = b"it's \"my\" $(touch pwned) `id`\nnew  line  .pdf";

/// The files `WhatsApp` and `WhatsApp` Business keep, below their folders `wa` and `business`: path below the
/// storage → (content, mtime). Photos in `Sent/` (with its `.nomedia`) and `.Statuses` are hidden from the
/// gallery; the rest is no photo at all.
fn whatsapp_files(wa: &str, business: &str) -> BTreeMap<Vec<u8>, (Vec<u8>, u64)> {
    let mut files = BTreeMap::new();
    let mut add = |path: Vec<u8>, content: Vec<u8>, mtime: u64| {
        files.insert(path, (content, mtime));
    };
    let p = |root: &str, rest: &str| format!("{root}/{rest}").into_bytes();
    add(p(wa, "Databases/msgstore.db.crypt14"), noise(70_000, 1), 1_764_460_800);
    add(p(wa, "Databases/msgstore-2026-11-29.1.db.crypt14"), noise(65_000, 2), 1_764_374_400);
    add(p(wa, "Backups/chatsettingsbackup.db.crypt14"), noise(900, 3), 1_764_460_801);
    add(p(wa, "Media/WhatsApp Images/IMG-20261130-WA0001.jpg"), noise(5_000, 4), 1_764_500_000);
    add(p(wa, "Media/WhatsApp Images/Sent/.nomedia"), Vec::new(), 1_700_000_000);
    add(p(wa, "Media/WhatsApp Images/Sent/IMG-20261130-WA0002.jpg"), noise(4_000, 5), 1_764_500_100);
    add(p(wa, "Media/WhatsApp Voice Notes/202648/PTT-20261130-WA0003.opus"), noise(12_345, 6), 1_764_500_200);
    add(p(wa, "Media/.Statuses/8c1d0f.jpg"), noise(3_000, 7), 1_764_500_300);
    let mut document = p(wa, "Media/WhatsApp Documents/");
    document.extend_from_slice(HOSTILE);
    add(document, noise(2_222, 8), 1_764_500_400);
    add(p(business, "Databases/msgstore.db.crypt14"), noise(30_000, 9), 1_764_460_900);
    add(p(business, "Media/WhatsApp Business Audio/AUD-20261130-WA0001.m4a"), noise(8_000, 10), 1_764_500_500);
    files
}

fn host(root: &Path, rel: &[u8]) -> PathBuf {
    root.join(OsStr::from_bytes(rel))
}

/// Writes `files` into a phone's storage folder, with their dates.
fn put(root: &Path, files: &BTreeMap<Vec<u8>, (Vec<u8>, u64)>) {
    for (rel, (content, mtime)) in files {
        write_file(&host(root, rel), content, *mtime);
    }
}

fn phone(release: &str, serial: &str) -> (tempfile::TempDir, VirtualPhone) {
    phone_with_dir(Config {
        android: AndroidVersion::parse(release).expect("android"),
        serial: serial.into(),
        model: format!("Phone {serial}"),
        ..Config::default()
    })
}

fn run(server: &AdbServer, phone: &VirtualPhone, args: &[&str], dir: &Path, dir_flag: &str) -> Output {
    let serial = phone.addr().to_string();
    let mut all: Vec<&OsStr> = args.iter().map(OsStr::new).collect();
    all.extend([OsStr::new("--device"), OsStr::new(&serial), OsStr::new(dir_flag), dir.as_os_str()]);
    phonebak(server, &all)
}

/// The backup's copy of each phone path below the storage, from the manifest.
fn backed_up(backup: &Path, serial: &str) -> BTreeMap<Vec<u8>, PathBuf> {
    let manifest = Manifest::load(backup, serial).expect("manifest").expect("a backup");
    manifest
        .files
        .iter()
        .map(|f| {
            let rel = f.phone_path.0.strip_prefix(b"/storage/emulated/0/").expect("below the storage").to_vec();
            (rel, backup.join(OsStr::from_bytes(&f.local_path.0)))
        })
        .collect()
}

/// Asserts that every file is at `root/<its path, with `from` replaced by `to`>` with its content and date.
fn assert_files_at(root: &Path, files: &BTreeMap<Vec<u8>, (Vec<u8>, u64)>, from: &str, to: &str) {
    for (rel, (content, mtime)) in files {
        let mut moved = to.as_bytes().to_vec();
        moved.extend_from_slice(rel.strip_prefix(from.as_bytes()).expect("in the folder"));
        let path = host(root, &moved);
        let read = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(&read == content, "{} differs", path.display());
        assert_eq!(mtime_of(&path), *mtime, "{}", path.display());
    }
}

#[test]
fn whatsapp_folders_back_up_byte_exact_beside_the_photos_once_and_restore_onto_an_empty_phone_with_dates() {
    let server = AdbServer::start();
    let (source_dir, source) = phone("14", "WA140001");
    server.connect(&source, "device");
    let wa = whatsapp_files(MEDIA, MEDIA_BUSINESS);
    put(source_dir.path(), &wa);
    let camera = b"DCIM/Camera/IMG_20261130_101010.jpg".to_vec();
    write_file(&host(source_dir.path(), &camera), &noise(9_000, 11), 1_764_400_000);
    let trashed = format!("{MEDIA}/Media/WhatsApp Images/.trashed-1770000000-IMG-old.jpg");
    write_file(&host(source_dir.path(), trashed.as_bytes()), b"in the bin", 1_764_000_000);
    let backup = tempfile::tempdir().expect("backup folder");

    // A photo backup first: the WhatsApp photo the gallery shows is in it.
    let photos = run(&server, &source, &["backup", "--json"], backup.path(), "--to");
    assert_eq!(photos.status.code(), Some(0), "{}", said(&photos));
    let first = event(&json_lines(&photos), "report")["copied_files"].as_u64();
    assert_eq!(first, Some(2), "the camera photo and the shown WhatsApp image: {}", said(&photos));

    let out = run(&server, &source, &["backup", "--what", "photos,whatsapp"], backup.path(), "--to");
    assert_eq!(out.status.code(), Some(0), "{}", said(&out));
    assert!(text(&out.stdout).contains("WhatsApp: 11 files,"), "{}", said(&out));
    assert!(text(&out.stdout).contains("cannot read or decrypt the chats"), "{}", said(&out));
    assert!(
        text(&out.stdout).contains("Backed up 10 files") && text(&out.stdout).contains("2 already backed up"),
        "the photo already backed up is not copied again: {}",
        said(&out)
    );
    let copies = backed_up(backup.path(), "WA140001");
    assert_eq!(copies.len(), 12, "one manifest for the photo and the 11 WhatsApp files: {copies:?}");
    for (rel, (content, mtime)) in &wa {
        let copy = copies.get(rel).unwrap_or_else(|| panic!("not backed up: {}", text(rel)));
        assert!(copy.ends_with(OsStr::from_bytes(rel)), "the backup mirrors the phone: {}", copy.display());
        assert!(&std::fs::read(copy).expect("copy") == content, "{} differs", copy.display());
        assert_eq!(mtime_of(copy), *mtime, "{}", copy.display());
    }
    assert!(!copies.contains_key(trashed.as_bytes()), "a file in the bin is left out");
    assert!(!source_dir.path().join("pwned").exists() && !backup.path().join("pwned").exists());

    let again = run(&server, &source, &["backup", "--what", "photos,whatsapp", "--json"], backup.path(), "--to");
    assert_eq!(again.status.code(), Some(0), "{}", said(&again));
    let report = event(&json_lines(&again), "report").clone();
    assert_eq!(report["copied_files"].as_u64(), Some(0), "a second run copies nothing: {report}");
    assert_eq!(report["unchanged_files"].as_u64(), Some(12), "{report}");

    // WhatsApp onto an empty Android 14 phone: its files where they were, and not the camera photo.
    let (target_dir, target) = phone("14", "WA140002");
    server.connect(&target, "device");
    let restored = run(&server, &target, &["restore", "--what", "whatsapp"], backup.path(), "--from");
    assert_eq!(restored.status.code(), Some(0), "{}", said(&restored));
    assert_files_at(target_dir.path(), &wa, "", "");
    assert!(!host(target_dir.path(), &camera).exists(), "--what whatsapp restores no photo of the camera");
    assert!(!host(target_dir.path(), trashed.as_bytes()).exists());
    let said_restore = text(&restored.stdout);
    assert!(said_restore.contains("Restored 11 files"), "{said_restore}");
    assert!(said_restore.contains("1. Install WhatsApp") && said_restore.contains("tap Restore"), "{said_restore}");
    assert!(!target_dir.path().join("pwned").exists());

    // Photos alone (the default) restore what a photo backup holds: no chat backup.
    let (photos_dir, photos_phone) = phone("14", "WA140003");
    server.connect(&photos_phone, "device");
    let only_photos = run(&server, &photos_phone, &["restore", "--backup-of", "WA140001"], backup.path(), "--from");
    assert_eq!(only_photos.status.code(), Some(0), "{}", said(&only_photos));
    assert!(host(photos_dir.path(), &camera).exists());
    let shown = format!("{MEDIA}/Media/WhatsApp Images/IMG-20261130-WA0001.jpg");
    assert!(host(photos_dir.path(), shown.as_bytes()).exists(), "WhatsApp's photos are photos, as before");
    let crypt = format!("{MEDIA}/Databases/msgstore.db.crypt14");
    assert!(!host(photos_dir.path(), crypt.as_bytes()).exists(), "a photo restore puts back no chat backup");
    assert!(!text(&only_photos.stdout).contains("Install WhatsApp"), "{}", said(&only_photos));
}

#[test]
fn an_android_9_whatsapp_backup_lands_where_whatsapp_looks_on_android_14() {
    let server = AdbServer::start();
    let (source_dir, source) = phone("9", "WA090001");
    server.connect(&source, "device");
    let wa = whatsapp_files("WhatsApp", "WhatsApp Business");
    put(source_dir.path(), &wa);
    let backup = tempfile::tempdir().expect("backup folder");
    let out = run(&server, &source, &["backup", "--what", "whatsapp"], backup.path(), "--to");
    assert_eq!(out.status.code(), Some(0), "{}", said(&out));
    let copies = backed_up(backup.path(), "WA090001");
    assert_eq!(copies.keys().collect::<Vec<_>>(), wa.keys().collect::<Vec<_>>(), "only WhatsApp, every file");
    for (rel, (content, mtime)) in &wa {
        let copy = &copies[rel];
        assert!(&std::fs::read(copy).expect("copy") == content, "{} differs", copy.display());
        assert_eq!(mtime_of(copy), *mtime, "{}", copy.display());
    }

    let (target_dir, target) = phone("14", "WA140009");
    server.connect(&target, "device");
    let restored = run(&server, &target, &["restore", "--what", "whatsapp"], backup.path(), "--from");
    assert_eq!(restored.status.code(), Some(0), "{}", said(&restored));
    let business: BTreeMap<_, _> =
        wa.iter().filter(|(k, _)| k.starts_with(b"WhatsApp Business/")).map(|(k, v)| (k.clone(), v.clone())).collect();
    let plain: BTreeMap<_, _> = wa.into_iter().filter(|(k, _)| !business.contains_key(k)).collect();
    assert_files_at(target_dir.path(), &plain, "WhatsApp", MEDIA);
    assert_files_at(target_dir.path(), &business, "WhatsApp Business", MEDIA_BUSINESS);
    assert!(!target_dir.path().join("WhatsApp").exists(), "nothing in the folder Android 14's WhatsApp ignores");
    assert!(!target_dir.path().join("WhatsApp Business").exists());
    let said_restore = text(&restored.stdout);
    assert!(
        said_restore.contains(
            "9 WhatsApp files backed up from WhatsApp/ (Android 10 or older) go to Android/media/com.whatsapp/WhatsApp/"
        ),
        "the report says where they went: {said_restore}"
    );
    assert!(said_restore.contains("WhatsApp Business files backed up from WhatsApp Business/"), "{said_restore}");
}

#[test]
fn a_whatsapp_restore_never_overwrites_a_different_file_already_on_the_phone() {
    let server = AdbServer::start();
    let (source_dir, source) = phone("14", "WA140011");
    server.connect(&source, "device");
    let wa = whatsapp_files(MEDIA, MEDIA_BUSINESS);
    put(source_dir.path(), &wa);
    let backup = tempfile::tempdir().expect("backup folder");
    let out = run(&server, &source, &["backup", "--what", "whatsapp"], backup.path(), "--to");
    assert_eq!(out.status.code(), Some(0), "{}", said(&out));

    // The new phone's WhatsApp already made a backup of its own; one voice note is there already, the same.
    let (target_dir, target) = phone("14", "WA140012");
    server.connect(&target, "device");
    let crypt = format!("{MEDIA}/Databases/msgstore.db.crypt14");
    let theirs = noise(1_000, 99);
    write_file(&host(target_dir.path(), crypt.as_bytes()), &theirs, 1_764_999_999);
    let voice = format!("{MEDIA}/Media/WhatsApp Voice Notes/202648/PTT-20261130-WA0003.opus");
    let (voice_content, voice_mtime) = wa[voice.as_bytes()].clone();
    write_file(&host(target_dir.path(), voice.as_bytes()), &voice_content, voice_mtime);

    let restored = run(&server, &target, &["restore", "--what", "whatsapp", "--json"], backup.path(), "--from");
    assert_eq!(restored.status.code(), Some(0), "{}", said(&restored));
    let report = event(&json_lines(&restored), "report").clone();
    assert_eq!(report["already_on_phone"].as_u64(), Some(1), "the same voice note is skipped: {report}");
    assert_eq!(report["restored_files"].as_u64(), Some(10), "{report}");
    let renamed = report["renamed"].as_array().expect("renamed");
    assert_eq!(renamed.len(), 1, "{report}");
    assert_eq!(std::fs::read(host(target_dir.path(), crypt.as_bytes())).expect("theirs"), theirs, "kept as it was");
    let beside = renamed[0]["phone_path"].as_str().expect("path");
    let beside = host(target_dir.path(), beside.strip_prefix("/storage/emulated/0/").expect("storage").as_bytes());
    assert!(std::fs::read(&beside).expect("ours") == wa[crypt.as_bytes()].0, "{}", beside.display());
    let steps = event(&json_lines(&restored), "whatsapp_steps").clone();
    assert_eq!(steps["steps"].as_array().map(Vec::len), Some(3), "{steps}");
}

#[test]
fn an_encrypted_backup_folder_holds_whatsapp_too_and_restores_it_byte_exact() {
    let server = AdbServer::start();
    let (source_dir, source) = phone("14", "WA140021");
    server.connect(&source, "device");
    let wa = whatsapp_files(MEDIA, MEDIA_BUSINESS);
    put(source_dir.path(), &wa);
    let backup = tempfile::tempdir().expect("backup folder");
    let with_password = |phone: &VirtualPhone, args: &[&str], flag: &str| {
        let data = tempfile::tempdir().expect("data dir");
        let serial = phone.addr().to_string();
        std::process::Command::new(env!("CARGO_BIN_EXE_phonebak"))
            .args(args)
            .args(["--device", &serial, flag])
            .arg(backup.path())
            .env("ANDROID_ADB_SERVER_PORT", server.port.to_string())
            .env("XDG_DATA_HOME", data.path())
            .env("PHONEBAK_PASSWORD", "correct horse battery staple")
            .env_remove("ANDROID_SERIAL")
            .env("TZ", "UTC")
            .stdin(std::process::Stdio::null())
            .output()
            .expect("run phonebak")
    };
    let out = with_password(&source, &["backup", "--what", "whatsapp", "--encrypt"], "--to");
    assert_eq!(out.status.code(), Some(0), "{}", said(&out));
    assert!(text(&out.stdout).contains("Backed up 11 files"), "{}", said(&out));
    assert!(!backup.path().join("Phone WA140021 (WA140021)").exists(), "no names in an encrypted folder");

    let (target_dir, target) = phone("14", "WA140022");
    server.connect(&target, "device");
    let restored = with_password(&target, &["restore", "--what", "whatsapp"], "--from");
    assert_eq!(restored.status.code(), Some(0), "{}", said(&restored));
    assert_files_at(target_dir.path(), &wa, "", "");
}

#[test]
fn a_whatsapp_file_the_phone_refuses_gives_exit_code_3_and_the_rest_is_backed_up() {
    let server = AdbServer::start();
    let (source_dir, source) = phone("14", "WA140031");
    server.connect(&source, "device");
    let wa = whatsapp_files(MEDIA, MEDIA_BUSINESS);
    put(source_dir.path(), &wa);
    let crypt = format!("/storage/emulated/0/{MEDIA}/Databases/msgstore.db.crypt14");
    source.inject(phonebak::virtual_phone::Fault::Unreadable(crypt.clone().into()));
    let backup = tempfile::tempdir().expect("backup folder");
    let out = run(&server, &source, &["backup", "--what", "whatsapp"], backup.path(), "--to");
    assert_eq!(out.status.code(), Some(3), "{}", said(&out));
    assert!(said(&out).contains("msgstore.db.crypt14"), "the refused file is named: {}", said(&out));
    let copies = backed_up(backup.path(), "WA140031");
    assert_eq!(copies.len(), 10, "every other file is backed up: {copies:?}");
}
