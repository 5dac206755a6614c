//! The sample gallery as a client sees it through real adb: real photos with their dates, in the media store,
//! and a pushed file that reaches the gallery only once scanned.

use crate::util::{AdbServer, mtime_of, said, text, write_file};
use phonebak::virtual_phone::sample::SampleOptions;
use phonebak::virtual_phone::{AndroidVersion, Config, StorageSource, VirtualPhone};

fn sample_phone(photos: usize, android: &str) -> VirtualPhone {
    VirtualPhone::start(Config {
        storage: StorageSource::Sample(SampleOptions { photos, seed: 5, ..SampleOptions::default() }),
        android: AndroidVersion::parse(android).expect("android"),
        ..Config::default()
    })
    .expect("start the virtual phone")
}

#[test]
fn sample_photos_pulled_over_adb_are_jpegs_dated_as_their_exif_says() {
    let adb = AdbServer::start();
    let phone = sample_phone(30, "14");
    adb.connect(&phone, "device");
    let listing = adb.on(&phone, &["shell", "ls /sdcard/DCIM/Camera | grep -c IMG_ ; ls /sdcard/DCIM/Camera"]);
    let names = text(&listing.stdout);
    let camera: Vec<&str> = names
        .lines()
        .filter(|n| n.starts_with("IMG_2") && std::path::Path::new(n).extension().is_some_and(|e| e == "jpg"))
        .collect();
    assert!(camera.len() >= 20, "{names}");
    let dest = tempfile::tempdir().expect("dest");
    let mut twelve_mp = 0;
    for name in camera.iter().take(8) {
        let out = adb
            .on(&phone, &["pull", "-a", &format!("/sdcard/DCIM/Camera/{name}"), dest.path().to_str().expect("utf8")]);
        assert!(out.status.success(), "{}", said(&out));
        let local = dest.path().join(name);
        let bytes = std::fs::read(&local).expect("pulled");
        let Ok((w, h)) = image::ImageReader::new(std::io::Cursor::new(&bytes))
            .with_guessed_format()
            .expect("format")
            .into_dimensions()
        else {
            continue; // one of the broken real-photo fixtures
        };
        if bytes.len() >= 1_000_000 && w * h >= 8_000_000 {
            twelve_mp += 1;
        }
        // IMG_YYYYMMDD_HHMMSS.jpg: the name, the EXIF date and the file's mtime (a UTC phone) agree.
        let stamp = name[4..19].replace('_', "");
        if let Some(taken) =
            exif::Reader::new().read_from_container(&mut std::io::Cursor::new(&bytes)).ok().and_then(|e| {
                e.get_field(exif::Tag::DateTimeOriginal, exif::In::PRIMARY).map(|f| f.display_value().to_string())
            })
        {
            assert_eq!(taken.replace(['-', ':', ' '], ""), stamp, "{name}: taken {taken}");
        }
        assert_eq!(utc_stamp(mtime_of(&local)), stamp, "{name}: mtime");
    }
    assert!(twelve_mp >= 3, "only {twelve_mp} of the pulled photos were 12 MP JPEGs of 1 MB or more");
}

#[test]
fn a_pushed_photo_reaches_the_media_store_only_when_scanned() {
    let adb = AdbServer::start();
    let phone = sample_phone(10, "14");
    adb.connect(&phone, "device");
    let query = |where_: &str| {
        let out = adb.on(&phone, &[
            "shell",
            &format!("content query --uri content://media/external/images/media --projection _display_name:relative_path --where \"{where_}\""),
        ]);
        text(&out.stdout)
    };
    let before = query("relative_path LIKE 'DCIM/Camera/%'");
    assert!(before.lines().filter(|l| l.starts_with("Row: ")).count() >= 10, "{before}");
    let local = tempfile::tempdir().expect("local");
    let src = local.path().join("restored.jpg");
    std::fs::copy(phonebak::virtual_phone::sample::fixtures_dir().join("orientation/landscape_1.jpg"), &src)
        .or_else(|_| std::fs::write(&src, b"not really a jpeg").map(|()| 0))
        .expect("a photo");
    write_file(&src, &std::fs::read(&src).expect("read"), 1_600_000_000);
    let out = adb.on(&phone, &["push", src.to_str().expect("utf8"), "/sdcard/Pictures/Restored/restored.jpg"]);
    assert!(out.status.success(), "{}", said(&out));
    assert_eq!(query("_display_name = 'restored.jpg'"), "No result found.\n");
    let scan = adb.on(&phone, &[
        "shell",
        "content call --uri content://media --method scan_file --arg /storage/emulated/0/Pictures/Restored/restored.jpg",
    ]);
    assert!(text(&scan.stdout).starts_with("Result: Bundle[{"), "{}", said(&scan));
    assert_eq!(
        query("_display_name = 'restored.jpg'"),
        "Row: 0 _display_name=restored.jpg, relative_path=Pictures/Restored/\n"
    );
    let rm = adb.on(&phone, &["shell", "rm /sdcard/Pictures/Restored/restored.jpg && content call --uri content://media --method scan_file --arg /storage/emulated/0/Pictures/Restored/restored.jpg"]);
    assert!(rm.status.success(), "{}", said(&rm));
    assert_eq!(query("_display_name = 'restored.jpg'"), "No result found.\n");
}

#[test]
fn android_9_scans_through_the_media_scanner_broadcast_not_content_call() {
    let adb = AdbServer::start();
    let phone = sample_phone(5, "9");
    adb.connect(&phone, "device");
    let local = tempfile::tempdir().expect("local");
    let src = local.path().join("old.jpg");
    write_file(&src, b"\xff\xd8\xff\xd9", 1_500_000_000);
    assert!(adb.on(&phone, &["push", src.to_str().expect("utf8"), "/sdcard/DCIM/old.jpg"]).status.success());
    let call = adb.on(
        &phone,
        &["shell", "content call --uri content://media --method scan_file --arg /storage/emulated/0/DCIM/old.jpg"],
    );
    assert!(!text(&call.stdout).starts_with("Result: Bundle[{android"), "{}", said(&call));
    let cast = adb.on(
        &phone,
        &[
            "shell",
            "am broadcast -a android.intent.action.MEDIA_SCANNER_SCAN_FILE -d file:///storage/emulated/0/DCIM/old.jpg",
        ],
    );
    assert_eq!(
        text(&cast.stdout),
        "Broadcasting: Intent { act=android.intent.action.MEDIA_SCANNER_SCAN_FILE dat=file:///storage/emulated/0/DCIM/old.jpg flg=0x400000 }\nBroadcast completed: result=0\n"
    );
    let rows = phone.phone().media.row_for_path(b"/sdcard/DCIM/old.jpg");
    assert!(rows.is_some(), "the broadcast did not scan the file");
}

/// YYYYMMDDHHMMSS of a time in seconds since the epoch, in UTC (the virtual phone's time zone).
fn utc_stamp(secs: u64) -> String {
    let rem = secs % 86_400;
    let day = phonebak::human::with_time_zone(jiff::tz::TimeZone::UTC, || phonebak::human::date(secs as i64));
    let day = day.replace('-', "");
    format!("{day}{:02}{:02}{:02}", rem / 3600, rem % 3600 / 60, rem % 60)
}
