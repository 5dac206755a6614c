//! Free up space, after the removal: "put them back" (`restore --freed-on`), duplicates on the phone
//! (`free-up --duplicates`), and files of the same content stored once in the backup folder. The real binary
//! against virtual phones through the real adb server.

use crate::util::{AdbServer, mtime_of, noise, phone_with_dir, phonebak, said, text, write_file};
use phonebak::virtual_phone::{AndroidVersion, Config};

/// Tells the gallery about `paths` (below the storage root) as a camera app would.
fn tell_gallery(server: &AdbServer, phone: &phonebak::virtual_phone::VirtualPhone, paths: &[&str]) {
    for path in paths {
        let encoded: String = path
            .bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() || b == b'.' || b == b'/' {
                    (b as char).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect();
        let uri = format!("file:///storage/emulated/0/{encoded}");
        let action = "android.intent.action.MEDIA_SCANNER_SCAN_FILE";
        let told = server.on(phone, &["shell", "am", "broadcast", "-a", action, "-d", &uri]);
        assert!(told.status.success(), "{}", said(&told));
    }
}

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
        tell_gallery(&server, &phone, &names);
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
