//! Free up space into the phone's trash (issue 12): the real binary against virtual phones through the real adb
//! server. On Android 11+ the proven photos go to the media store's trash (`content update ... is_trashed`):
//! renamed `.trashed-<expiry>-NAME` in their folders, gone from the gallery, journaled as trashed;
//! `--permanent` removes them; a phone whose media provider refuses the shell removes nothing and says to add
//! `--permanent`. Android 10 and 9 have no trash: the removal is permanent and the output says so.

use crate::freeup::names_in;
use crate::util::{AdbServer, event, json_lines, noise, phone_with_dir, phonebak, said, text, write_file};
use phonebak::freeup::{self, FreedLine};
use phonebak::virtual_phone::{AndroidVersion, Config, Fault, VirtualPhone};
use std::path::Path;

/// Photo names a camera app would never make, but a person or another app can.
const HOSTILE: [&str; 3] = ["it's $(rm -rf x); \"q\".jpg", "back\\slash `id` 100% *.jpg", "two\nlines.jpg"];

/// A phone of this Android release with `names` in DCIM/Camera, each known to the gallery (scanned, as the
/// camera app would have told it), backed up by the real binary into the returned folder.
fn backed_up_phone(
    server: &AdbServer,
    release: &str,
    serial: &str,
    names: &[&str],
) -> (tempfile::TempDir, VirtualPhone, tempfile::TempDir) {
    let android = AndroidVersion::parse(release).expect("release");
    let (storage, phone) =
        phone_with_dir(Config { model: "Pixel".into(), serial: serial.into(), android, ..Config::default() });
    let camera = storage.path().join("DCIM/Camera");
    for (i, name) in names.iter().enumerate() {
        write_file(&camera.join(name), &noise(20_000, i as u64 + 1), 1_600_000_000 + i as u64);
    }
    // The media scanner looks at the folder (as after the camera app's inserts).
    phone.phone().media.scan_volume(&phone.phone().storage);
    server.connect(&phone, "device");
    let dest = tempfile::tempdir().expect("backup folder");
    let out = phonebak(server, &["backup", "--to", dest.path().to_str().expect("utf8")]);
    assert!(out.status.success(), "{}", said(&out));
    (storage, phone, dest)
}

/// The `_data` of every row the gallery's collections (images and videos) list.
fn gallery_rows(server: &AdbServer, phone: &VirtualPhone) -> String {
    let mut rows = String::new();
    for uri in ["content://media/external/images/media", "content://media/external/video/media"] {
        let out = server.on(phone, &["shell", &format!("content query --uri {uri} --projection _data")]);
        rows.push_str(&text(&out.stdout));
    }
    rows
}

/// The journal's lines.
fn journal_lines(dest: &Path, serial: &str) -> Vec<FreedLine> {
    let journal = std::fs::read(freeup::journal_path(dest, serial, None)).unwrap_or_default();
    journal.split(|&b| b == b'\n').filter_map(|line| serde_json::from_slice(line).ok()).collect()
}

#[test]
fn free_up_on_android_14_moves_proven_photos_with_hostile_names_to_the_phones_trash_and_out_of_the_gallery() {
    let server = AdbServer::start();
    let mut names = vec!["a.jpg", "b.jpg"];
    names.extend(HOSTILE);
    let (storage, phone, dest) = backed_up_phone(&server, "14", "TRASH14", &names);
    let camera = storage.path().join("DCIM/Camera");
    // Proven, but the gallery never heard of it: it has no row to trash.
    write_file(&camera.join("unscanned.jpg"), &noise(5_000, 50), 1_600_000_100);
    let dest_arg = dest.path().to_str().expect("utf8");
    let out = phonebak(&server, &["backup", "--to", dest_arg]);
    assert!(out.status.success(), "{}", said(&out));

    let out = phonebak(&server, &["free-up", "--from", dest_arg, "--yes", "--json"]);
    // One file could not go to the trash: exit code 3.
    assert_eq!(out.status.code(), Some(3), "{}", said(&out));
    let lines = json_lines(&out);
    let summary = event(&lines, "summary");
    assert_eq!(summary["disposal"], "trash", "{summary}");
    assert_eq!((summary["trashed"].as_u64(), summary["not_removed"].as_u64()), (Some(5), Some(1)), "{summary}");
    let kept = event(&lines, "not_removed");
    assert!(kept["why"].as_str().unwrap_or_default().contains("no row in the phone's gallery"), "{kept}");

    // Each trashed photo is in its folder as `.trashed-<expiry>-NAME`; the unscanned one keeps its name.
    let left = names_in(&camera);
    assert!(left.contains(&"unscanned.jpg".to_string()), "{left:?}");
    for name in &names {
        assert!(!left.contains(&name.to_string()), "{name} still has its name: {left:?}");
        let in_trash = left.iter().any(|n| {
            n.strip_prefix(".trashed-").and_then(|r| r.split_once('-')).is_some_and(|(expiry, rest)| {
                rest == *name && expiry.parse::<i64>().is_ok_and(|e| e > 1_700_000_000 + 29 * 86_400)
            })
        });
        assert!(in_trash, "{name} is not in the trash: {left:?}");
    }
    // The gallery (the collections a gallery app queries) has no row for them.
    let rows = gallery_rows(&server, &phone);
    for name in &names {
        assert!(!rows.contains(&format!("Camera/{name}")), "{name} is still in the gallery: {rows}");
    }
    assert!(!rows.contains(".trashed-"), "{rows}");
    // The journal says, for each, trashed before and after.
    let journal = journal_lines(dest.path(), "TRASH14");
    for name in &names {
        let path = format!("/storage/emulated/0/DCIM/Camera/{name}").into_bytes();
        let trashed: Vec<bool> = journal
            .iter()
            .filter_map(|l| match l {
                FreedLine::Removing { phone_path, trash, .. } | FreedLine::Removed { phone_path, trash, .. }
                    if phone_path.0 == path =>
                {
                    Some(*trash)
                }
                _ => None,
            })
            .collect();
        assert_eq!(trashed, [true, true], "{name}: {journal:?}");
    }

    // A second run with --permanent removes what is left that is proven (the unscanned photo) for good.
    let out = phonebak(&server, &["free-up", "--from", dest_arg, "--yes", "--permanent"]);
    assert!(out.status.success(), "{}", said(&out));
    assert!(
        text(&out.stdout).contains("Removed 1 photos and videos (5.0 kB) permanently from Pixel"),
        "{}",
        said(&out)
    );
    assert!(!camera.join("unscanned.jpg").exists());
    assert_eq!(names_in(&camera).len(), names.len(), "only the trashed files are left");
}

#[test]
fn free_up_with_permanent_on_android_14_removes_the_files_and_leaves_nothing_in_the_trash() {
    let server = AdbServer::start();
    let mut names = vec!["a.jpg"];
    names.extend(HOSTILE);
    let (storage, phone, dest) = backed_up_phone(&server, "14", "PERM14", &names);
    let dest_arg = dest.path().to_str().expect("utf8");
    let out = phonebak(&server, &["free-up", "--from", dest_arg, "--yes", "--permanent"]);
    assert!(out.status.success(), "{}", said(&out));
    assert!(text(&out.stdout).contains("Removed 4 photos and videos (80.0 kB) permanently"), "{}", said(&out));
    assert!(names_in(&storage.path().join("DCIM/Camera")).is_empty());
    assert!(!gallery_rows(&server, &phone).contains("Camera/"), "{}", gallery_rows(&server, &phone));
    assert!(
        journal_lines(dest.path(), "PERM14")
            .iter()
            .all(|l| matches!(l, FreedLine::Removing { trash: false, .. } | FreedLine::Removed { trash: false, .. }))
    );
}

#[test]
fn a_phone_that_refuses_the_shell_its_trash_removes_nothing_says_to_add_permanent_and_permanent_works() {
    let server = AdbServer::start();
    let mut names = vec!["a.jpg"];
    names.extend(HOSTILE);
    let (storage, phone, dest) = backed_up_phone(&server, "14", "REFUSE14", &names);
    let camera = storage.path().join("DCIM/Camera");
    phone.inject(Fault::MediaWriteRefused);
    let dest_arg = dest.path().to_str().expect("utf8");
    let out = phonebak(&server, &["free-up", "--from", dest_arg, "--yes"]);
    assert_eq!(out.status.code(), Some(1), "{}", said(&out));
    let shown = said(&out);
    assert!(shown.contains("trash cannot be used from the shell"), "{shown}");
    assert!(shown.contains("Permission Denial"), "{shown}");
    assert!(shown.contains("--permanent"), "{shown}");
    let mut left = names_in(&camera);
    left.sort();
    let mut all: Vec<String> = names.iter().map(|n| (*n).to_string()).collect();
    all.sort();
    assert_eq!(left, all, "a file was touched");
    assert_eq!(gallery_rows(&server, &phone).matches("Row: ").count(), names.len());

    let out = phonebak(&server, &["free-up", "--from", dest_arg, "--yes", "--permanent"]);
    assert!(out.status.success(), "{}", said(&out));
    assert!(names_in(&camera).is_empty());
}

#[test]
fn free_up_on_android_10_and_9_removes_permanently_and_says_the_phone_has_no_trash() {
    for release in ["10", "9"] {
        let server = AdbServer::start();
        let serial = format!("NOTRASH{release}");
        let mut names = vec!["a.jpg"];
        names.extend(HOSTILE);
        let (storage, phone, dest) = backed_up_phone(&server, release, &serial, &names);
        let camera = storage.path().join("DCIM/Camera");
        assert_eq!(gallery_rows(&server, &phone).matches("Row: ").count(), names.len(), "Android {release}");
        let dest_arg = dest.path().to_str().expect("utf8");
        let out = phonebak(&server, &["free-up", "--from", dest_arg, "--yes"]);
        assert!(out.status.success(), "Android {release}: {}", said(&out));
        let shown = text(&out.stdout);
        assert!(shown.contains(&format!("Pixel (Android {release}) has no trash")), "{shown}");
        assert!(shown.contains("Removed 4 photos and videos (80.0 kB) permanently"), "{shown}");
        assert!(names_in(&camera).is_empty(), "Android {release}: {:?}", names_in(&camera));
        assert!(!gallery_rows(&server, &phone).contains("Camera/"), "Android {release}");
        let journal = journal_lines(dest.path(), &serial);
        assert_eq!(journal.len(), 2 * names.len(), "Android {release}");
        assert!(
            journal.iter().all(|l| matches!(
                l,
                FreedLine::Removing { trash: false, .. } | FreedLine::Removed { trash: false, .. }
            ))
        );
    }
}

#[test]
fn moving_hundreds_of_photos_to_the_trash_takes_a_few_shell_commands_per_batch() {
    use phonebak::progress::CancelToken;
    use phonebak::scan::{ScanOptions, scan};
    let server = AdbServer::start();
    let names: Vec<String> = (0..600).map(|i| format!("IMG_{i:04} 'x'.jpg")).collect();
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let (storage, phone, dest) = backed_up_phone(&server, "14", "MANY14", &refs);
    let device = crate::util::device_of(&server, &phone);
    let gallery = scan(&device, &ScanOptions::default(), &|_| {}, &CancelToken::new()).expect("scan");
    let files = freeup::choose(gallery.files(), None, &[], 1_800_000_000);
    let manifest =
        phonebak::backup::manifest::Manifest::load(dest.path(), "MANY14").expect("manifest").expect("a manifest");
    let proof = freeup::prove(&device, dest.path(), &manifest, None, &files, &CancelToken::new()).expect("proof");
    assert_eq!(proof.proven.len(), 600);
    let before = phone.stats().shell_commands;
    let removal =
        freeup::remove(&device, dest.path(), "MANY14", None, 34, &proof, freeup::Disposal::Trash, &CancelToken::new())
            .expect("trash");
    let commands = phone.stats().shell_commands - before;
    assert_eq!((removal.removed.len(), removal.failed.len()), (600, 0));
    // Two batches (of at most 500): a query and an update each.
    assert!((2..=30).contains(&commands), "{commands} shell commands for 600 photos (at most 0.05 per photo)");
    let left = names_in(&storage.path().join("DCIM/Camera"));
    assert!(left.iter().all(|n| n.starts_with(".trashed-")), "{left:?}");
    assert!(!gallery_rows(&server, &phone).contains("Camera/"));
}
