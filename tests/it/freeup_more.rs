//! Free up space, after the removal: "put them back" (`restore --freed-on`), duplicates on the phone
//! (`free-up --duplicates`), and files of the same content stored once in the backup folder. The real binary
//! against virtual phones through the real adb server.

use crate::util::{AdbServer, mtime_of, noise, phone_with_dir, phonebak, said, text, write_file};
use phonebak::virtual_phone::{AndroidVersion, Config};

/// The `_data` column of every row of the phone's media store that a gallery shows.
fn gallery_rows(server: &AdbServer, phone: &phonebak::virtual_phone::VirtualPhone) -> String {
    let mut rows = String::new();
    for table in ["images", "video"] {
        let uri = format!("content query --uri content://media/external/{table}/media --projection _data");
        rows.push_str(&text(&server.on(phone, &["shell", &uri]).stdout));
    }
    rows
}

#[test]
fn put_them_back_restores_exactly_what_a_free_up_removed_with_their_dates_and_gallery_rows_on_android_14_and_9() {
    for release in ["14", "9"] {
        let android = AndroidVersion::parse(release).expect("release");
        let server = AdbServer::start();
        let serial = format!("PUTBACK{release}");
        let (storage, phone) =
            phone_with_dir(Config { model: "Pixel".into(), serial: serial.clone(), android, ..Config::default() });
        let names =
            ["DCIM/Camera/a.jpg", "DCIM/Camera/b $(x) 'q'.jpg", "Pictures/Screenshots/s.png", "DCIM/Camera/kept.jpg"];
        for (i, name) in names.iter().enumerate() {
            write_file(&storage.path().join(name), &noise(20_000, i as u64 + 1), 1_600_000_000 + 1000 * i as u64);
        }
        server.connect(&phone, "device");
        crate::util::tell_gallery(&server, &phone, &names);
        let dest = tempfile::tempdir().expect("backup folder");
        let dest_arg = dest.path().to_str().expect("utf8");
        let out = phonebak(&server, &["backup", "--to", dest_arg]);
        assert!(out.status.success(), "{}", said(&out));
        // Nothing freed yet: put back says so, and which free-ups it knows (none).
        let out = phonebak(&server, &["restore", "--from", dest_arg, "--freed-on", "last"]);
        assert_eq!(out.status.code(), Some(1), "{}", said(&out));
        assert!(said(&out).contains("no free-up of this phone is recorded"), "{}", said(&out));

        // The person deletes one photo by hand, then frees up the rest but one folder.
        std::fs::remove_file(storage.path().join("DCIM/Camera/kept.jpg")).expect("delete by hand");
        let out =
            phonebak(&server, &["free-up", "--from", dest_arg, "--yes", "--only", "DCIM/**", "--only", "Pictures/**"]);
        assert!(out.status.success(), "{}", said(&out));
        for name in &names[..3] {
            assert!(!storage.path().join(name).exists(), "Android {release}: {name} still there: {}", said(&out));
        }
        assert!(!gallery_rows(&server, &phone).contains("a.jpg"), "Android {release}");

        // Another day's free-up is not there: the message lists the day there is.
        let today = phonebak::human::date(
            i64::try_from(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("clock").as_secs())
                .expect("seconds"),
        );
        let out = phonebak(&server, &["restore", "--from", dest_arg, "--freed-on", "2001-01-01"]);
        assert_eq!(out.status.code(), Some(1), "{}", said(&out));
        assert!(said(&out).contains(&format!("{today} (3 photos and videos")), "{}", said(&out));

        let out = phonebak(&server, &["restore", "--from", dest_arg, "--freed-on", &today, "--json"]);
        assert!(out.status.success(), "Android {release}: {}", said(&out));
        let lines = crate::util::json_lines(&out);
        assert_eq!(crate::util::event(&lines, "report")["restored_files"].as_u64(), Some(3), "{}", said(&out));
        for (i, name) in names[..3].iter().enumerate() {
            let path = storage.path().join(name);
            assert_eq!(std::fs::read(&path).ok(), Some(noise(20_000, i as u64 + 1)), "Android {release}: {name}");
            assert_eq!(mtime_of(&path), 1_600_000_000 + 1000 * i as u64, "Android {release}: {name}'s date");
        }
        // The photo deleted by hand is not brought back by "put them back".
        assert!(!storage.path().join("DCIM/Camera/kept.jpg").exists(), "Android {release}");
        let rows = gallery_rows(&server, &phone);
        for name in &names[..3] {
            assert!(rows.contains(&format!("/storage/emulated/0/{name}")), "Android {release}: {name} not in {rows}");
        }
        // Again: all already on the phone, nothing copied twice.
        let out = phonebak(&server, &["restore", "--from", dest_arg, "--freed-on", "last", "--json"]);
        assert!(out.status.success(), "{}", said(&out));
        let lines = crate::util::json_lines(&out);
        assert_eq!(crate::util::event(&lines, "report")["already_on_phone"].as_u64(), Some(3), "{}", said(&out));
    }
}

/// The same photo three times on a phone (the camera's, the Sent copy of `WhatsApp`, a download) and one other.
const COPIES: [(&str, u64); 4] = [
    ("DCIM/Camera/IMG_20240501_101500.jpg", 1_714_558_500),
    ("Android/media/com.whatsapp/WhatsApp/Media/WhatsApp Images/Sent/IMG-20240501-WA0003.jpg", 1_714_560_000),
    ("Download/IMG_20240501_101500 (1).jpg", 1_714_600_000),
    ("Download/other 'x'.jpg", 1_714_000_000),
];

fn phone_with_copies(serial: &str) -> (AdbServer, tempfile::TempDir, phonebak::virtual_phone::VirtualPhone) {
    let server = AdbServer::start();
    let (storage, phone) = phone_with_dir(Config { model: "Pixel".into(), serial: serial.into(), ..Config::default() });
    for (i, (path, mtime)) in COPIES.iter().enumerate() {
        let content = if i < 3 { noise(50_000, 1) } else { noise(50_000, 2) };
        write_file(&storage.path().join(path), &content, *mtime);
    }
    server.connect(&phone, "device");
    let paths: Vec<&str> = COPIES.iter().map(|(p, _)| *p).collect();
    crate::util::tell_gallery(&server, &phone, &paths);
    (server, storage, phone)
}

#[test]
fn the_same_content_is_stored_once_in_the_backup_and_passes_verify_and_restores_each_name_with_its_date() {
    use std::os::unix::fs::MetadataExt as _;
    let (server, _storage, _phone) = phone_with_copies("DUPSTORE1");
    let dest = tempfile::tempdir().expect("backup folder");
    let dest_arg = dest.path().to_str().expect("utf8");
    let out = phonebak(&server, &["backup", "--to", dest_arg, "--json"]);
    assert!(out.status.success(), "{}", said(&out));
    let lines = crate::util::json_lines(&out);
    let report = crate::util::event(&lines, "report");
    assert_eq!((report["copied_files"].as_u64(), report["stored_once_files"].as_u64()), (Some(4), Some(2)), "{report}");
    let folder = dest.path().join("Pixel (DUPSTORE1)");
    let inode = |path: &str| std::fs::metadata(folder.join(path)).map(|m| (m.ino(), m.nlink())).expect("copy");
    assert_eq!(inode(COPIES[0].0), inode(COPIES[1].0));
    assert_eq!(inode(COPIES[0].0), inode(COPIES[2].0));
    assert_eq!(inode(COPIES[0].0).1, 3, "three names, one file");
    assert_ne!(inode(COPIES[3].0).0, inode(COPIES[0].0).0);

    let out = phonebak(&server, &["verify", dest_arg]);
    assert!(out.status.success(), "{}", said(&out));
    assert!(text(&out.stdout).contains("2 files (100.0 kB) have the same content"), "{}", said(&out));
    assert!(text(&out.stdout).contains("4 good"), "{}", said(&out));

    // A bit flipped in the one file on disk: every name of it is corrupt, none passes because another did.
    let shared = folder.join(COPIES[1].0);
    let mut bytes = std::fs::read(&shared).expect("copy");
    bytes[1000] ^= 4;
    let out = phonebak(&server, &["verify", dest_arg, "--json"]);
    assert!(out.status.success(), "{}", said(&out));
    std::fs::write(&shared, &bytes).expect("flip");
    let out = phonebak(&server, &["verify", dest_arg, "--json"]);
    assert_eq!(out.status.code(), Some(3), "{}", said(&out));
    let lines = crate::util::json_lines(&out);
    assert_eq!(crate::util::event(&lines, "summary")["corrupt_files"].as_u64(), Some(3), "{}", said(&out));
    bytes[1000] ^= 4;
    std::fs::write(&shared, &bytes).expect("unflip");

    // Onto an empty phone: each name comes back with its own date and content.
    let (empty, other) =
        phone_with_dir(Config { model: "Pixel 9".into(), serial: "DUPSTORE2".into(), ..Config::default() });
    let _ = std::fs::remove_dir_all(empty.path().join("DCIM"));
    server.connect(&other, "device");
    let to = other.addr().to_string();
    let out = phonebak(&server, &["restore", "--from", dest_arg, "--device", &to, "--backup-of", "DUPSTORE1"]);
    assert!(out.status.success(), "{}", said(&out));
    for (i, (path, mtime)) in COPIES.iter().enumerate() {
        let content = if i < 3 { noise(50_000, 1) } else { noise(50_000, 2) };
        let restored = empty.path().join(path);
        assert_eq!(std::fs::read(&restored).ok(), Some(content), "{path}");
        assert_eq!(mtime_of(&restored), *mtime, "{path}'s own date");
    }
}

#[test]
fn free_up_duplicates_removes_only_the_extra_copies_and_keeps_the_one_in_dcim() {
    let (server, storage, _phone) = phone_with_copies("DUPFREE1");
    let dest = tempfile::tempdir().expect("backup folder");
    let dest_arg = dest.path().to_str().expect("utf8");
    let out = phonebak(&server, &["backup", "--to", dest_arg]);
    assert!(out.status.success(), "{}", said(&out));
    let out = phonebak(&server, &["free-up", "--from", dest_arg, "--dry-run"]);
    assert!(out.status.success(), "{}", said(&out));
    assert!(text(&out.stdout).contains("2 duplicates (100.0 kB)"), "{}", said(&out));
    assert!(text(&out.stdout).contains("4 photos and videos (200.0 kB) are in"), "{}", said(&out));

    let out = phonebak(&server, &["free-up", "--from", dest_arg, "--duplicates", "--yes", "--json"]);
    assert!(out.status.success(), "{}", said(&out));
    let lines = crate::util::json_lines(&out);
    assert_eq!(crate::util::event(&lines, "summary")["removed"].as_u64(), Some(2), "{}", said(&out));
    let there = |path: &str| storage.path().join(path).exists();
    assert!(there(COPIES[0].0), "the camera's copy stays");
    assert!(!there(COPIES[1].0) && !there(COPIES[2].0), "the extra copies are gone");
    assert!(there(COPIES[3].0), "a photo with no duplicate stays");
    // Nothing more to remove as duplicates.
    let out = phonebak(&server, &["free-up", "--from", dest_arg, "--duplicates", "--dry-run", "--json"]);
    let lines = crate::util::json_lines(&out);
    assert_eq!(crate::util::event(&lines, "summary")["removable"].as_u64(), Some(0), "{}", said(&out));
}

#[test]
fn in_an_encrypted_backup_the_same_content_is_stored_once_and_passes_verify() {
    let (server, _storage, _phone) = phone_with_copies("DUPVAULT1");
    let dest = tempfile::tempdir().expect("backup folder");
    let dest_arg = dest.path().to_str().expect("utf8");
    let run = |args: &[&str]| crate::util::phonebak_with_password(&server, args);
    let out = run(&["backup", "--to", dest_arg, "--encrypt", "--json"]);
    assert!(out.status.success(), "{}", said(&out));
    let lines = crate::util::json_lines(&out);
    assert_eq!(crate::util::event(&lines, "report")["stored_once_files"].as_u64(), Some(2), "{}", said(&out));
    let out = run(&["verify", dest_arg, "--json"]);
    assert!(out.status.success(), "{}", said(&out));
    let lines = crate::util::json_lines(&out);
    let summary = crate::util::event(&lines, "summary");
    assert_eq!((summary["ok_files"].as_u64(), summary["stored_once_files"].as_u64()), (Some(4), Some(2)), "{summary}");
}

#[test]
fn the_real_binary_refuses_a_whole_free_up_when_one_manifest_entry_was_tampered_with() {
    let server = AdbServer::start();
    let (storage, phone) =
        phone_with_dir(Config { model: "Pixel".into(), serial: "TAMPER01".into(), ..Config::default() });
    for i in 0..3u64 {
        write_file(&storage.path().join(format!("DCIM/Camera/IMG_{i}.jpg")), &noise(9_000, i + 1), 1_600_000_000 + i);
    }
    server.connect(&phone, "device");
    let dest = tempfile::tempdir().expect("backup folder");
    let dest_arg = dest.path().to_str().expect("utf8");
    let out = phonebak(&server, &["backup", "--to", dest_arg]);
    assert!(out.status.success(), "{}", said(&out));
    // One entry now points into the phone's system files (a manifest edited by hand or by something else).
    let manifest = phonebak::backup::manifest::Manifest::path(dest.path(), "TAMPER01");
    let text = std::fs::read_to_string(&manifest).expect("manifest");
    let tampered =
        text.replacen("/storage/emulated/0/DCIM/Camera/IMG_1.jpg", "/storage/emulated/0/../../../system/build.prop", 1);
    assert_ne!(text, tampered, "the manifest names the phone path as text");
    std::fs::write(&manifest, tampered).expect("tamper");
    let out = phonebak(&server, &["free-up", "--from", dest_arg, "--yes"]);
    assert_eq!(out.status.code(), Some(1), "{}", said(&out));
    assert!(said(&out).contains("fails its checks") && said(&out).contains("build.prop"), "{}", said(&out));
    assert_eq!(
        std::fs::read_dir(storage.path().join("DCIM/Camera")).expect("camera").count(),
        3,
        "a photo was removed"
    );
}
