//! The restore engine (`phonebak::restore`) against virtual phones through Debian's real adb server: a backup
//! made of one phone restored onto an empty one gives the same tree, bytes, mtimes and gallery rows (Android 14,
//! 10 and 9); a second restore skips everything; a different file in the way is kept; a damaged backup copy is
//! never restored; a tampered manifest is refused before anything is written; a full phone, a cancel and cable
//! pulls leave only whole, verified files and no temp file once the restore is run again.

use crate::util::{
    AdbServer, HOSTILE_NAMES, device_of, mtime_of, noise, phone_with_dir, replug, text, tree, write_file,
};
use phonebak::backup::{self, CancelToken, Manifest, NoProgress, Progress, ProgressState};
use phonebak::device::Device;
use phonebak::restore::{self, RestoreError, RestoreReport, Selection};
use phonebak::scan::{MediaFile, MediaKind};
use phonebak::virtual_phone::media_store::MEDIA_TYPE_IMAGE;
use phonebak::virtual_phone::{AndroidVersion, Config, Fault, PullPoint, VirtualPhone};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Every file under a phone's storage directory, as the scan would give it.
fn scan(storage: &Path) -> Vec<MediaFile> {
    tree(storage)
        .into_iter()
        .map(|(rel, (content, mtime))| {
            let mut path = b"/storage/emulated/0/".to_vec();
            path.extend_from_slice(&rel);
            MediaFile { path, size: content.len() as u64, mtime: mtime as i64, kind: MediaKind::Photo }
        })
        .collect()
}

fn host(rel: &[u8]) -> PathBuf {
    PathBuf::from(std::ffi::OsStr::from_bytes(rel))
}

/// Photos with hostile names, a screenshot and a video in a few folders.
fn gallery(storage: &Path) {
    for (i, name) in HOSTILE_NAMES.iter().enumerate() {
        let rel = Path::new("DCIM/Camera").join(host(name));
        write_file(&storage.join(rel), &noise(20_000 + i * 7919, i as u64), 1_600_000_000 + i as u64 * 3_601);
    }
    write_file(&storage.join("DCIM/Camera/IMG_20240501_101010.jpg"), &noise(900_000, 77), 1_714_558_210);
    write_file(&storage.join("Pictures/Screenshots/shot.png"), &noise(300_000, 99), 1_234_567_890);
    write_file(&storage.join("Movies/clip.mp4"), &noise(2_500_000, 5), 1_650_000_000);
}

/// A backup of `storage` made with the engine from `device`.
fn back_up(storage: &Path, device: &Device) -> tempfile::TempDir {
    let dest = tempfile::tempdir().expect("backup folder");
    let info = device.info().expect("info");
    let manifest = Manifest::load_or_new(dest.path(), &info.serial, &info.model).expect("manifest");
    let plan = backup::plan(&scan(storage), dest.path(), &manifest);
    let report = backup::execute(&plan, device, &NoProgress, &CancelToken::new()).expect("backup");
    assert!(report.failed.is_empty(), "{:?}", report.failed);
    dest
}

/// One restore the way the CLI does it: open, choose the backup, select, plan, execute.
fn restore_with(
    backup: &Path,
    device: &Device,
    selection: &Selection,
    progress: &dyn Progress,
    cancel: &CancelToken,
) -> Result<RestoreReport, RestoreError> {
    let opened = restore::open_backup(backup)?;
    let info = device.info()?;
    let phone = opened.phone(None, Some(&info.serial))?;
    let selected = restore::select(backup, phone, selection)?;
    let plan = restore::plan(backup, &phone.serial, selected, device, progress, cancel)?;
    restore::execute(&plan, device, progress, cancel)
}

fn restore_all(backup: &Path, device: &Device) -> Result<RestoreReport, RestoreError> {
    restore_with(backup, device, &Selection::default(), &NoProgress, &CancelToken::new())
}

/// A source phone with a gallery, backed up, and an empty target phone on the same adb server.
struct Setup {
    server: AdbServer,
    source: tempfile::TempDir,
    _source_phone: VirtualPhone,
    backup: tempfile::TempDir,
    target: tempfile::TempDir,
    target_phone: VirtualPhone,
}

fn setup(target: Config) -> Setup {
    let server = AdbServer::start();
    let (source, source_phone) = phone_with_dir(Config::default());
    gallery(source.path());
    server.connect(&source_phone, "device");
    let backup = back_up(source.path(), &device_of(&server, &source_phone));
    let (target, target_phone) =
        phone_with_dir(Config { serial: "VIRT0002".into(), model: "Pixel 8".into(), ..target });
    server.connect(&target_phone, "device");
    Setup { server, source, _source_phone: source_phone, backup, target, target_phone }
}

/// Whether the phone holds no restore temp file (within 5 s: the phone removes a cut push's partial file once
/// it notices the host has gone).
fn no_temp_files(root: &Path) -> bool {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        if tree(root).keys().all(|rel| !String::from_utf8_lossy(rel).contains(".phonebak-restore-")) {
            return true;
        }
        if Instant::now() > deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_backup_restored_to_an_empty_phone_gives_the_same_tree_mtimes_and_gallery_rows_on_android_14_10_and_9() {
    for (release, sdk) in [(14, 34), (10, 29), (9, 28)] {
        let s = setup(Config { android: AndroidVersion { release, sdk }, ..Config::default() });
        let device = device_of(&s.server, &s.target_phone);
        let report = restore_all(s.backup.path(), &device).expect("restore");
        assert!(report.failed.is_empty(), "Android {release}: {:?}", report.failed);
        assert_eq!(report.restored.len(), HOSTILE_NAMES.len() + 3, "Android {release}");
        assert!(report.restored.iter().all(|r| !r.renamed()), "Android {release}");
        assert!(tree(s.target.path()) == tree(s.source.path()), "Android {release}: the trees differ");
        // Every restored file is in the gallery's index; visible photos as images.
        // Every restored file is in the gallery's index, except names that are not UTF-8, which Android's Java
        // side cannot name (reported as not indexed where the phone says so).
        let media = &s.target_phone.phone().media;
        for r in report.restored.iter().filter(|r| std::str::from_utf8(&r.phone_path).is_ok()) {
            let row = media.row_for_path(&r.phone_path);
            assert!(row.is_some(), "Android {release}: not indexed: {}", String::from_utf8_lossy(&r.phone_path));
        }
        for n in &report.not_indexed {
            assert!(std::str::from_utf8(&n.phone_path).is_err(), "Android {release}: not indexed: {n:?}");
        }
        let photo = media.row_for_path(b"/storage/emulated/0/DCIM/Camera/IMG_20240501_101010.jpg").expect("row");
        assert_eq!(photo.media_type, MEDIA_TYPE_IMAGE, "Android {release}");
        assert_eq!(photo.date_modified, 1_714_558_210, "Android {release}: the gallery sees the photo's date");
        let temp_rows =
            media.rows().into_iter().filter(|r| String::from_utf8_lossy(&r.data).contains(".phonebak-restore-"));
        assert_eq!(temp_rows.count(), 0, "Android {release}: the index kept rows of temp files");
        assert!(no_temp_files(s.target.path()));
    }
}

#[test]
fn a_second_restore_skips_every_file_and_pushes_nothing() {
    let s = setup(Config::default());
    let device = device_of(&s.server, &s.target_phone);
    restore_all(s.backup.path(), &device).expect("first restore");
    let before = s.target_phone.stats();
    let report = restore_all(s.backup.path(), &device).expect("second restore");
    let after = s.target_phone.stats();
    assert!(report.restored.is_empty(), "{:?}", report.restored);
    assert_eq!(report.already_there, HOSTILE_NAMES.len() as u64 + 3);
    assert_eq!(report.bytes_pushed, 0);
    let pushes = |st: &phonebak::virtual_phone::StatsSnapshot| {
        st.sync_requests.get("SEND").copied().unwrap_or(0) + st.sync_requests.get("SND2").copied().unwrap_or(0)
    };
    assert_eq!(pushes(&after), pushes(&before), "a push was sent");
    assert!(tree(s.target.path()) == tree(s.source.path()));
}

#[test]
fn a_different_file_with_the_same_name_is_kept_and_the_restored_one_gets_a_free_name() {
    let s = setup(Config::default());
    let mine = s.target.path().join("DCIM/Camera/IMG_20240501_101010.jpg");
    // Same size, other content: only the checksum tells them apart.
    write_file(&mine, &noise(900_000, 1234), 1_700_000_000);
    write_file(&s.target.path().join("Movies/clip (2).mp4"), b"taken too", 1_700_000_000);
    write_file(&s.target.path().join("Movies/clip.mp4"), b"someone else's clip", 1_700_000_000);
    let device = device_of(&s.server, &s.target_phone);
    let report = restore_all(s.backup.path(), &device).expect("restore");
    assert!(report.failed.is_empty(), "{:?}", report.failed);
    assert_eq!(std::fs::read(&mine).expect("kept"), noise(900_000, 1234), "the phone's own photo was overwritten");
    assert_eq!(std::fs::read(s.target.path().join("Movies/clip.mp4")).expect("kept"), b"someone else's clip");
    let renamed: Vec<String> =
        report.restored.iter().filter(|r| r.renamed()).map(|r| String::from_utf8_lossy(&r.phone_path).into()).collect();
    assert_eq!(
        renamed,
        ["/storage/emulated/0/DCIM/Camera/IMG_20240501_101010 (2).jpg", "/storage/emulated/0/Movies/clip (3).mp4"]
    );
    let restored = s.target.path().join("DCIM/Camera/IMG_20240501_101010 (2).jpg");
    assert_eq!(std::fs::read(&restored).expect("restored"), noise(900_000, 77));
    assert_eq!(mtime_of(&restored), 1_714_558_210);
    assert_eq!(std::fs::read(s.target.path().join("Movies/clip (3).mp4")).expect("restored"), noise(2_500_000, 5));
}

#[test]
fn a_bit_flipped_in_the_backup_is_named_and_never_restored() {
    let s = setup(Config::default());
    let local = s.backup.path().join("Pixel 7 (VIRT0001)/Movies/clip.mp4");
    let mut bytes = std::fs::read(&local).expect("read");
    bytes[1_000_000] ^= 0x10;
    std::fs::write(&local, &bytes).expect("flip");
    let device = device_of(&s.server, &s.target_phone);
    let report = restore_all(s.backup.path(), &device).expect("restore");
    assert_eq!(report.failed.len(), 1, "{:?}", report.failed);
    assert_eq!(report.failed[0].phone_path, b"/storage/emulated/0/Movies/clip.mp4");
    assert!(report.failed[0].reason.contains("damaged"), "{}", report.failed[0].reason);
    assert!(!s.target.path().join("Movies/clip.mp4").exists(), "a damaged copy reached the phone");
    assert!(no_temp_files(s.target.path()), "the damaged copy's temp file was left on the phone");
    assert_eq!(report.restored.len(), HOSTILE_NAMES.len() + 2, "the other files are restored");
}

fn tamper(backup: &Path, edit: impl Fn(&mut serde_json::Value)) {
    let path = Manifest::path(backup, "VIRT0001");
    let mut json: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).expect("read")).expect("json");
    edit(&mut json);
    std::fs::write(&path, serde_json::to_vec_pretty(&json).expect("json")).expect("write");
}

#[test]
fn a_manifest_naming_a_place_outside_the_phone_storage_or_the_backup_is_refused_and_nothing_is_written() {
    let s = setup(Config::default());
    let device = device_of(&s.server, &s.target_phone);
    let cases: [(&str, &str, &str); 4] = [
        ("phone_path", "/data/local/tmp/evil.jpg", "outside the phone's shared storage"),
        ("phone_path", "/storage/emulated/0/DCIM/../../../data/x.jpg", "outside the phone's shared storage"),
        ("local_path", "../../etc/passwd", "outside the backup folder"),
        ("local_path", "/etc/passwd", "outside the backup folder"),
    ];
    for (field, value, said) in cases {
        let pristine = std::fs::read(Manifest::path(s.backup.path(), "VIRT0001")).expect("read");
        tamper(s.backup.path(), |json| json["files"][1][field] = serde_json::Value::from(value));
        let err = restore_all(s.backup.path(), &device).expect_err("refused");
        assert!(err.to_string().contains(said), "{field}={value}: {err}");
        assert!(err.to_string().contains("tampered"), "{err}");
        assert!(tree(s.target.path()).is_empty(), "{field}={value}: something was written");
        std::fs::write(Manifest::path(s.backup.path(), "VIRT0001"), pristine).expect("restore the manifest");
    }
}

#[test]
fn a_phone_without_room_is_refused_before_anything_is_written() {
    let s = setup(Config { capacity_bytes: 40 << 20, ..Config::default() });
    write_file(&s.target.path().join("Download/big.bin"), &vec![0u8; 12 << 20], 1_600_000_000);
    let device = device_of(&s.server, &s.target_phone);
    let err = restore_all(s.backup.path(), &device).expect_err("no room");
    assert!(matches!(err, RestoreError::PhoneFull { .. }), "{err:?}");
    assert!(err.to_string().contains("Free some space on the phone"), "{err}");
    assert_eq!(tree(s.target.path()).len(), 1, "something was written");
}

#[test]
fn a_phone_that_fills_up_mid_restore_stops_with_a_clear_error_keeps_whole_files_and_leaves_no_temp() {
    let s = setup(Config::default());
    s.target_phone.inject(Fault::StorageFull { after_bytes: 1_500_000 });
    let device = device_of(&s.server, &s.target_phone);
    let err = restore_all(s.backup.path(), &device).expect_err("full");
    assert!(matches!(err, RestoreError::PhoneFilledUp { .. }), "{err:?}");
    assert!(err.to_string().contains("Free some space on the phone"), "{err}");
    assert!(no_temp_files(s.target.path()), "temp files left on the phone");
    let source = tree(s.source.path());
    for (rel, file) in tree(s.target.path()) {
        assert!(source.get(&rel) == Some(&file), "{} is not a whole, restored file", String::from_utf8_lossy(&rel));
    }
}

struct CancelAfter {
    bytes: u64,
    token: CancelToken,
}

impl Progress for CancelAfter {
    fn update(&self, state: &ProgressState) {
        if state.bytes_done >= self.bytes {
            self.token.cancel();
        }
    }
}

#[test]
fn a_cancelled_restore_keeps_whole_files_only_in_the_gallery_already_and_the_next_run_finishes_it() {
    let s = setup(Config::default());
    let device = device_of(&s.server, &s.target_phone);
    let token = CancelToken::new();
    let cancel = CancelAfter { bytes: 1_000_000, token: token.clone() };
    let err = restore_with(s.backup.path(), &device, &Selection::default(), &cancel, &token).expect_err("cancelled");
    assert!(matches!(err, RestoreError::Cancelled { .. }), "{err:?}");
    assert!(no_temp_files(s.target.path()), "a cancelled restore left temp files");
    let source = tree(s.source.path());
    let partial = tree(s.target.path());
    assert!(partial.len() < source.len(), "the cancel came too late to test anything");
    assert!(!partial.is_empty(), "the first batch, checked while the second was on the cable, was not kept");
    // Each batch's check indexes the files it placed: what the cancel kept is in the gallery already.
    let media = &s.target_phone.phone().media;
    for (rel, file) in &partial {
        assert!(source.get(rel) == Some(file), "{} is not whole", String::from_utf8_lossy(rel));
        let mut path = b"/storage/emulated/0/".to_vec();
        path.extend_from_slice(rel);
        if std::str::from_utf8(rel).is_ok() {
            assert!(media.row_for_path(&path).is_some(), "not in the gallery: {}", String::from_utf8_lossy(rel));
        }
    }
    let report = restore_all(s.backup.path(), &device).expect("second run");
    assert!(report.failed.is_empty());
    assert!(tree(s.target.path()) == source);
}

#[test]
fn ten_seeded_cable_pulls_during_a_restore_each_end_complete_and_verified_after_rerunning() {
    let s = setup(Config { seed: 20_261_123, ..Config::default() });
    let source = tree(s.source.path());
    let total: u64 = source.values().map(|(c, _)| c.len() as u64).sum();
    let mut device = device_of(&s.server, &s.target_phone);
    let mut cut = 0;
    for round in 0..10 {
        // Start each round from an empty phone, so every pull lands inside a restore.
        for entry in std::fs::read_dir(s.target.path()).expect("read").flatten() {
            std::fs::remove_dir_all(entry.path()).expect("empty the phone");
        }
        s.target_phone
            .inject(Fault::CablePull { at: PullPoint::RandomWithin(total), offline: Duration::from_millis(200) });
        match restore_all(s.backup.path(), &device) {
            Err(RestoreError::ConnectionLost { .. }) => {
                cut += 1;
                // What is in place is whole.
                for (rel, file) in tree(s.target.path()) {
                    let name = String::from_utf8_lossy(&rel).into_owned();
                    assert!(
                        source.get(&rel) == Some(&file) || name.contains(".phonebak-restore-"),
                        "round {round}: {name}"
                    );
                }
                device = replug(&s.server, &s.target_phone);
                let report = restore_all(s.backup.path(), &device).expect("the re-run");
                assert!(report.failed.is_empty(), "round {round}: {:?}", report.failed);
            }
            Ok(report) => assert!(report.failed.is_empty(), "round {round}: {:?}", report.failed),
            Err(e) => panic!("round {round}: {e}"),
        }
        assert!(tree(s.target.path()) == source, "round {round}: the restored tree differs");
        assert!(no_temp_files(s.target.path()), "round {round}: temp files left");
        let media = &s.target_phone.phone().media;
        for rel in source.keys() {
            let mut path = b"/storage/emulated/0/".to_vec();
            path.extend_from_slice(rel);
            let utf8 = std::str::from_utf8(rel).is_ok();
            assert!(!utf8 || media.row_for_path(&path).is_some(), "round {round}: not in the gallery: {}", text(rel));
        }
    }
    assert!(cut >= 8, "only {cut} of 10 pulls cut a restore");
}

#[test]
fn a_glob_restores_only_the_files_it_matches() {
    let s = setup(Config::default());
    let device = device_of(&s.server, &s.target_phone);
    let selection = Selection { patterns: vec!["Pictures/**".into(), "Movies/*.mp4".into()], ..Selection::default() };
    let report = restore_with(s.backup.path(), &device, &selection, &NoProgress, &CancelToken::new()).expect("restore");
    let got: Vec<Vec<u8>> = tree(s.target.path()).into_keys().collect();
    assert_eq!(got, vec![b"Movies/clip.mp4".to_vec(), b"Pictures/Screenshots/shot.png".to_vec()]);
    assert_eq!(report.restored.len(), 2);
}

#[test]
fn a_file_already_on_the_phone_but_missing_from_the_gallery_is_indexed_again() {
    let s = setup(Config::default());
    // As after a run cut between renaming a file into place and indexing it: the same bytes, no gallery row.
    let rel = "DCIM/Camera/IMG_20240501_101010.jpg";
    write_file(&s.target.path().join(rel), &noise(900_000, 77), 1_714_558_210);
    let photo = format!("/storage/emulated/0/{rel}");
    let media = &s.target_phone.phone().media;
    assert!(media.row_for_path(photo.as_bytes()).is_none());
    let device = device_of(&s.server, &s.target_phone);
    let selection = Selection { patterns: vec![rel.into()], ..Selection::default() };
    let report = restore_with(s.backup.path(), &device, &selection, &NoProgress, &CancelToken::new()).expect("restore");
    assert!(report.restored.is_empty(), "{:?}", report.restored);
    assert_eq!(report.already_there, 1);
    assert_eq!(report.indexed, 1);
    assert!(media.row_for_path(photo.as_bytes()).is_some(), "the photo is still missing from the gallery");
    // Once indexed, it is left alone.
    let report = restore_with(s.backup.path(), &device, &selection, &NoProgress, &CancelToken::new()).expect("again");
    assert_eq!(report.indexed, 0);
}

/// Flips a byte in every restore temp file on the phone when a batch is about to be checked, as a phone whose
/// storage or cable corrupts data would; `times` batches at most.
struct Corrupter {
    storage: PathBuf,
    times: std::sync::atomic::AtomicU32,
}

impl Progress for Corrupter {
    fn update(&self, state: &ProgressState) {
        use std::sync::atomic::Ordering;
        if state.phase != phonebak::backup::Phase::Verifying || self.times.load(Ordering::SeqCst) == 0 {
            return;
        }
        self.times.fetch_sub(1, Ordering::SeqCst);
        for rel in tree(&self.storage).into_keys() {
            if String::from_utf8_lossy(&rel).contains(".phonebak-restore-") {
                let path = self.storage.join(host(&rel));
                let mut bytes = std::fs::read(&path).expect("read");
                if let Some(b) = bytes.last_mut() {
                    *b ^= 0x40;
                    std::fs::write(&path, &bytes).expect("corrupt");
                }
            }
        }
    }
}

#[test]
fn a_copy_that_differs_on_the_phone_is_pushed_again_and_reported_if_it_stays_wrong() {
    let s = setup(Config::default());
    let device = device_of(&s.server, &s.target_phone);
    let selection = Selection { patterns: vec!["Movies".into(), "Pictures".into()], ..Selection::default() };
    let once = Corrupter { storage: s.target.path().to_path_buf(), times: 1.into() };
    let report = restore_with(s.backup.path(), &device, &selection, &once, &CancelToken::new()).expect("restore");
    assert!(report.failed.is_empty(), "{:?}", report.failed);
    assert_eq!(report.restored.len(), 2);
    assert!(report.bytes_pushed > report.bytes_restored, "nothing was pushed twice");
    assert_eq!(std::fs::read(s.target.path().join("Movies/clip.mp4")).expect("restored"), noise(2_500_000, 5));

    for entry in std::fs::read_dir(s.target.path()).expect("read").flatten() {
        std::fs::remove_dir_all(entry.path()).expect("empty the phone");
    }
    let always = Corrupter { storage: s.target.path().to_path_buf(), times: 100.into() };
    let report = restore_with(s.backup.path(), &device, &selection, &always, &CancelToken::new()).expect("restore");
    assert_eq!(report.failed.len(), 2, "{:?}", report.failed);
    assert!(report.failed[0].reason.contains("twice"), "{}", report.failed[0].reason);
    assert!(tree(s.target.path()).is_empty() || no_temp_files(s.target.path()));
    assert!(!s.target.path().join("Movies/clip.mp4").exists(), "a corrupt copy was put in place");
}

#[test]
fn a_file_the_phone_refuses_among_files_sent_without_waiting_fails_alone_and_the_files_after_it_are_restored() {
    let server = AdbServer::start();
    let (source, source_phone) = phone_with_dir(Config::default());
    // Small files, so that they all go in one batch, sent one after the other without waiting for answers.
    for (folder, count) in [("DCIM/A", 4), ("DCIM/B", 1), ("DCIM/C", 5)] {
        for n in 0..count {
            let name = format!("{folder}/IMG_{n}.jpg");
            write_file(&source.path().join(&name), &noise(30_000 + n * 1000, n as u64), 1_700_000_000 + n as u64);
        }
    }
    server.connect(&source_phone, "device");
    let backup = back_up(source.path(), &device_of(&server, &source_phone));
    let (target, target_phone) = phone_with_dir(Config { serial: "VIRT0002".into(), ..Config::default() });
    server.connect(&target_phone, "device");
    let device = device_of(&server, &target_phone);
    let opened = restore::open_backup(backup.path()).expect("open");
    let phone = opened.phone(None, Some("VIRT0001")).expect("the source phone");
    let selected = restore::select(backup.path(), phone, &Selection::default()).expect("select");
    let plan =
        restore::plan(backup.path(), &phone.serial, selected, &device, &NoProgress, &CancelToken::new()).expect("plan");
    assert_eq!(plan.to_push.len(), 10);
    // After the plan, a file appears where the restore needs the folder DCIM/B: the phone refuses to create
    // anything in it, and says so only in its answer to that file's DONE.
    write_file(&target.path().join("DCIM/B"), b"not a folder", 1_600_000_000);

    let report = restore::execute(&plan, &device, &NoProgress, &CancelToken::new()).expect("restore");

    assert_eq!(report.failed.len(), 1, "{:?}", report.failed);
    let failed = &report.failed[0];
    assert_eq!(failed.phone_path, b"/storage/emulated/0/DCIM/B/IMG_0.jpg".to_vec());
    assert!(
        failed.reason.starts_with("the phone refused it (") && failed.reason.contains("Not a directory"),
        "{}",
        failed.reason
    );
    assert_eq!(report.restored.len(), 9);
    let (source, restored) = (tree(source.path()), tree(target.path()));
    for (rel, file) in &source {
        if rel.starts_with(b"DCIM/B/") {
            continue;
        }
        assert!(restored.get(rel) == Some(file), "{} is not restored whole", String::from_utf8_lossy(rel));
    }
    assert_eq!(restored.get(&b"DCIM/B"[..]).map(|(c, _)| c.as_slice()), Some(&b"not a folder"[..]));
    assert!(no_temp_files(target.path()), "temp files left on the phone");
}
