//! `phonebak restore` as a person or a script runs it: the real binary, a sample gallery backed up from one
//! virtual phone and restored onto an empty one, through a private real adb server.

use crate::util::{AdbServer, event, json_lines, mtime_of, phone_with_dir, phonebak, said, text};
use phonebak::backup::Manifest;
use phonebak::virtual_phone::media_store::MediaRow;
use phonebak::virtual_phone::sample::SampleOptions;
use phonebak::virtual_phone::storage::Location;
use phonebak::virtual_phone::{Config, StorageSource, VirtualPhone};
use std::ffi::OsStr;
use std::io::Read;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::process::Output;

fn os(s: &str) -> &OsStr {
    OsStr::new(s)
}

/// The columns of a gallery row that come from the file (not the ids and times of indexing).
fn row_facts(row: &MediaRow) -> impl PartialEq + std::fmt::Debug {
    (
        row.display_name.clone(),
        row.relative_path.clone(),
        row.mime_type.clone(),
        row.media_type,
        row.size,
        row.date_modified,
        row.date_taken,
        (row.width, row.height, row.orientation, row.duration),
        row.bucket_display_name.clone(),
    )
}

/// A sample gallery phone backed up with the real binary into a temp folder, and an empty phone beside it.
struct Setup {
    server: AdbServer,
    source: VirtualPhone,
    backup: tempfile::TempDir,
    target: tempfile::TempDir,
    target_phone: VirtualPhone,
}

fn setup() -> Setup {
    let server = AdbServer::start();
    let source = VirtualPhone::start(Config {
        storage: StorageSource::Sample(SampleOptions { photos: 24, seed: 11, huge_video: false }),
        ..Config::default()
    })
    .expect("sample phone");
    server.connect(&source, "device");
    let backup = tempfile::tempdir().expect("backup folder");
    let serial = source.addr().to_string();
    let out = phonebak(&server, &[os("backup"), os("--device"), os(&serial), os("--to"), backup.path().as_os_str()]);
    assert_eq!(out.status.code(), Some(0), "{}", said(&out));
    let (target, target_phone) =
        phone_with_dir(Config { serial: "VIRT0002".into(), model: "Pixel 8".into(), ..Config::default() });
    server.connect(&target_phone, "device");
    Setup { server, source, backup, target, target_phone }
}

fn restore(s: &Setup, extra: &[&str]) -> Output {
    let serial = s.target_phone.addr().to_string();
    let mut args = vec![os("restore"), os("--device"), os(&serial), os("--from"), s.backup.path().as_os_str()];
    args.extend(extra.iter().map(|a| os(a)));
    phonebak(&s.server, &args)
}

fn manifest(s: &Setup) -> Manifest {
    Manifest::load(s.backup.path(), "VIRT0001").expect("manifest").expect("a backup")
}

fn phone_file(root: &Path, phone_path: &[u8]) -> std::path::PathBuf {
    let rel = phone_path.strip_prefix(b"/storage/emulated/0/").expect("below the storage");
    root.join(OsStr::from_bytes(rel))
}

#[test]
fn the_sample_gallery_backs_up_byte_exact_and_restored_to_an_empty_phone_has_the_same_files_dates_and_rows() {
    let s = setup();
    let dry = restore(&s, &["--dry-run"]);
    assert_eq!(dry.status.code(), Some(0), "{}", said(&dry));
    let files = manifest(&s).files;
    assert!(text(&dry.stdout).contains(&format!("To restore: {} files", files.len())), "{}", said(&dry));
    assert!(std::fs::read_dir(s.target.path()).expect("read").next().is_none(), "a dry run wrote to the phone");

    let out = restore(&s, &["--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", said(&out));
    let lines = json_lines(&out);
    let report = event(&lines, "report");
    assert_eq!(report["restored_files"].as_u64(), Some(files.len() as u64), "{report}");
    assert_eq!(report["failed"].as_array().map(Vec::len), Some(0), "{report}");
    let source_media = &s.source.phone().media;
    let target_media = &s.target_phone.phone().media;
    let mut compared = 0;
    let storage = &s.source.phone().storage;
    for f in &files {
        let local = s.backup.path().join(OsStr::from_bytes(&f.local_path.0));
        // The backup holds what the sample phone serves, dated as the phone dates it.
        let Location::Storage(host) = storage.locate(b"/", &f.phone_path.0) else { panic!("not in the storage") };
        let mut original = Vec::new();
        storage.open_read(&host).and_then(|mut r| r.read_to_end(&mut original)).expect("read the phone's file");
        assert!(std::fs::read(&local).expect("backup copy") == original, "{} differs", local.display());
        assert_eq!(mtime_of(&local), mtime_of(&host), "{}", local.display());
        let on_phone = phone_file(s.target.path(), &f.phone_path.0);
        let restored = std::fs::read(&on_phone).unwrap_or_else(|e| panic!("{}: {e}", on_phone.display()));
        assert!(restored == std::fs::read(&local).expect("backup copy"), "{} differs", on_phone.display());
        assert_eq!(mtime_of(&on_phone) as i64, f.mtime, "{}", on_phone.display());
        if let Some(original) = source_media.row_for_path(&f.phone_path.0) {
            let row = target_media.row_for_path(&f.phone_path.0);
            let row = row.unwrap_or_else(|| panic!("not in the gallery: {}", on_phone.display()));
            assert_eq!(row_facts(&row), row_facts(&original), "{}", on_phone.display());
            compared += 1;
        }
    }
    assert!(compared >= 24, "only {compared} gallery rows compared");
    // The real camera photos (../shared/fixtures/photos, when present) are in the sample: every one backed up.
    let fixtures = phonebak::virtual_phone::sample::fixtures_dir();
    if fixtures.is_dir() {
        let backed_up: std::collections::HashSet<&str> = files.iter().map(|f| f.sha256.as_str()).collect();
        let mut count = 0;
        for dir in ["orientation", "mobile", "invalid"] {
            for entry in std::fs::read_dir(fixtures.join(dir)).expect("fixtures").flatten() {
                use sha2::Digest;
                let digest =
                    phonebak::backup::manifest::hex(&sha2::Sha256::digest(std::fs::read(entry.path()).expect("read")));
                assert!(backed_up.contains(digest.as_str()), "fixture not backed up: {}", entry.path().display());
                count += 1;
            }
        }
        assert!(count >= 10, "only {count} fixtures");
    } else {
        eprintln!("skipped the fixture check: {} is absent", fixtures.display());
    }
    assert!(
        files.iter().any(|f| f.phone_path.0.windows(2).any(|w| w == b"$("))
            && files.iter().any(|f| std::str::from_utf8(&f.phone_path.0).is_err()),
        "the sample's hostile names are not in the backup"
    );

    let again = restore(&s, &[]);
    assert_eq!(again.status.code(), Some(0), "{}", said(&again));
    assert!(text(&again.stdout).contains("Restored 0 files"), "{}", said(&again));
    assert!(text(&again.stdout).contains(&format!("{} already on the phone", files.len())), "{}", said(&again));
}

#[test]
fn a_flipped_bit_is_named_by_verify_and_skipped_by_restore_with_exit_3() {
    let s = setup();
    let files = manifest(&s).files;
    let victim = files.iter().find(|f| f.size > 1000).expect("a photo");
    let local = s.backup.path().join(OsStr::from_bytes(&victim.local_path.0));
    let mut bytes = std::fs::read(&local).expect("read");
    bytes[500] ^= 1;
    std::fs::write(&local, &bytes).expect("flip");
    let verify = phonebak(&s.server, &[os("verify"), s.backup.path().as_os_str()]);
    assert_eq!(verify.status.code(), Some(3), "{}", said(&verify));
    let name = String::from_utf8_lossy(&victim.local_path.0).into_owned();
    assert!(said(&verify).contains(&name), "{}", said(&verify));
    let out = restore(&s, &[]);
    assert_eq!(out.status.code(), Some(3), "{}", said(&out));
    assert!(said(&out).contains("damaged"), "{}", said(&out));
    assert!(!phone_file(s.target.path(), &victim.phone_path.0).exists(), "the damaged copy was restored");
}

#[test]
fn a_tampered_manifest_is_refused_with_exit_1_and_nothing_reaches_the_phone() {
    let s = setup();
    let path = Manifest::path(s.backup.path(), "VIRT0001");
    let mut json: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).expect("read")).expect("json");
    json["files"][0]["phone_path"] = serde_json::Value::from("/storage/emulated/0/../../../data/system/x");
    std::fs::write(&path, serde_json::to_vec(&json).expect("json")).expect("write");
    let out = restore(&s, &[]);
    assert_eq!(out.status.code(), Some(1), "{}", said(&out));
    assert!(said(&out).contains("tampered"), "{}", said(&out));
    assert!(std::fs::read_dir(s.target.path()).expect("read").next().is_none(), "something was written");
}

#[test]
fn restore_from_a_folder_without_a_backup_says_which_folder_to_choose() {
    let server = AdbServer::start();
    let empty = tempfile::tempdir().expect("dir");
    let out = phonebak(&server, &[os("restore"), os("--from"), empty.path().as_os_str()]);
    assert_eq!(out.status.code(), Some(1), "{}", said(&out));
    assert!(said(&out).contains("no phonebak backup in this folder"), "{}", said(&out));
}
