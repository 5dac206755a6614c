//! The backup engine and CLI when things go wrong: ten seeded cable pulls, a file over 4 GiB, a full backup
//! disk, and phones that are not ready (unauthorized, offline, none at all).

use crate::util::{
    AdbServer, HOSTILE_NAMES, device_of, mtime_of, noise, phone_with_dir, phonebak, replug, said, text, tmpfs_or_skip,
    tree, write_file,
};
use phonebak::backup::{self, BackupError, CancelToken, Manifest, NoProgress};
use phonebak::device::Device;
use phonebak::restore::{self, Selection};
use phonebak::scan::{MediaFile, MediaKind};
use phonebak::virtual_phone::{AuthMode, Config, Fault, PullPoint};
use sha2::Digest;
use std::collections::BTreeMap;
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

/// The phone's files as the scan gives them.
fn scan(storage: &Path) -> Vec<MediaFile> {
    let mut files = Vec::new();
    for (rel, (content, mtime)) in tree(storage) {
        let mut path = b"/storage/emulated/0/".to_vec();
        path.extend_from_slice(&rel);
        files.push(MediaFile { path, size: content.len() as u64, mtime: mtime as i64, kind: MediaKind::Photo });
    }
    files
}

fn back_up(dest: &Path, device: &Device, files: &[MediaFile]) -> Result<backup::BackupReport, BackupError> {
    let manifest = Manifest::load_or_new(dest, "VIRT0001", "Pixel 7")?;
    let plan = backup::plan(files, dest, &manifest);
    backup::execute(&plan, device, &NoProgress, &CancelToken::new())
}

/// Checks that a backup folder holds exactly what its manifest lists, each file whole (size, sha256, mtime),
/// and no temp file.
fn assert_consistent(dest: &Path) -> usize {
    let Some(manifest) = Manifest::load(dest, "VIRT0001").expect("load") else { return 0 };
    let on_disk = tree(dest);
    assert_eq!(on_disk.len(), manifest.files.len(), "the manifest and the backup folder disagree");
    for f in &manifest.files {
        let (content, mtime) = on_disk.get(&f.local_path.0).expect("listed file on disk");
        assert_eq!(content.len() as u64, f.size);
        assert_eq!(backup::manifest::hex(&sha2::Sha256::digest(content)), f.sha256);
        assert_eq!(*mtime as i64, f.mtime);
    }
    let tmp = dest.join(".phonebak/tmp");
    assert!(!tmp.exists() || std::fs::read_dir(&tmp).expect("tmp").next().is_none(), "temp files left");
    manifest.files.len()
}

#[test]
fn ten_seeded_cable_pulls_during_a_backup_each_end_complete_and_verified_after_rerunning() {
    let server = AdbServer::start();
    let (storage, phone) = phone_with_dir(Config { seed: 4_242, ..Config::default() });
    for (i, size) in [200_000usize, 900_000, 3_000_000, 450_000, 1_700_000, 60_000].into_iter().enumerate() {
        write_file(
            &storage.path().join(format!("DCIM/Camera/IMG_{i}.jpg")),
            &noise(size, i as u64),
            1_650_000_000 + i as u64,
        );
    }
    write_file(
        &storage.path().join("DCIM/Camera").join(std::ffi::OsStr::from_bytes(HOSTILE_NAMES[0])),
        &noise(70_000, 9),
        1_640_000_000,
    );
    let phone_before = tree(storage.path());
    let files = scan(storage.path());
    let total: u64 = files.iter().map(|f| f.size).sum();
    server.connect(&phone, "device");
    let mut device = device_of(&server, &phone);
    let mut cut = 0;
    for round in 0..10 {
        let dest = tempfile::tempdir().expect("backup folder");
        phone.inject(Fault::CablePull { at: PullPoint::RandomWithin(total), offline: Duration::from_millis(200) });
        match back_up(dest.path(), &device, &files) {
            Err(BackupError::ConnectionLost { files_done, .. }) => {
                cut += 1;
                assert_eq!(assert_consistent(dest.path()) as u64, files_done, "round {round}");
                device = replug(&server, &phone);
                let report = back_up(dest.path(), &device, &files).expect("the re-run");
                assert!(report.failed.is_empty(), "round {round}: {:?}", report.failed);
            }
            Ok(report) => assert!(report.failed.is_empty(), "round {round}: {:?}", report.failed),
            Err(e) => panic!("round {round}: {e}"),
        }
        assert_eq!(assert_consistent(dest.path()), files.len(), "round {round}");
        let backed_up: BTreeMap<Vec<u8>, (Vec<u8>, u64)> = tree(&dest.path().join("Pixel 7 (VIRT0001)"));
        assert!(backed_up == phone_before, "round {round}: the backup differs from the phone");
        assert!(tree(storage.path()) == phone_before, "round {round}: the backup changed the phone");
    }
    assert!(cut >= 8, "only {cut} of 10 pulls cut a backup");
}

/// Free bytes of the file system holding `path`, as `df -Pk` says (0 when it cannot tell).
fn free_bytes(path: &Path) -> u64 {
    let Ok(out) = Command::new("df").arg("-Pk").arg(path).output() else { return 0 };
    text(&out.stdout)
        .lines()
        .nth(1)
        .and_then(|line| line.split_whitespace().nth(3)?.parse::<u64>().ok())
        .map_or(0, |kib| kib * 1024)
}

#[test]
fn a_file_over_4_gib_backs_up_and_restores_whole() {
    let size: u64 = (4 << 30) + 4096 + 17;
    let scratch = std::env::temp_dir();
    if free_bytes(&scratch) < 3 * size + (1 << 30) {
        eprintln!(
            "skipped: {} has less than {} GiB free for a 4 GiB backup and restore",
            scratch.display(),
            (3 * size) >> 30
        );
        return;
    }
    let server = AdbServer::start();
    let (storage, phone) = phone_with_dir(Config::default());
    let path = storage.path().join("Movies/huge.mp4");
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    let mut file = std::fs::File::create(&path).expect("create");
    file.set_len(size).expect("sparse");
    // Marks at the start, across the 4 GiB boundary and at the very end, so a copy cut at 32 bits differs.
    for (at, mark) in [(0u64, &b"ftypisom"[..]), ((4 << 30) - 3, b"<4GiB>"), (size - 5, b"end!!")] {
        file.seek(SeekFrom::Start(at)).expect("seek");
        file.write_all(mark).expect("mark");
    }
    drop(file);
    crate::util::set_mtime(&path, 1_650_000_000);
    let expected = {
        let mut hasher = sha2::Sha256::new();
        let mut reader = std::io::BufReader::with_capacity(1 << 20, std::fs::File::open(&path).expect("open"));
        let mut buf = vec![0u8; 1 << 20];
        loop {
            let n = reader.read(&mut buf).expect("read");
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
        }
        backup::manifest::hex(&hasher.finalize())
    };
    server.connect(&phone, "device");
    let device = device_of(&server, &phone);
    let dest = tempfile::tempdir().expect("backup folder");
    let report = back_up(dest.path(), &device, &scan_sparse(storage.path())).expect("backup");
    assert!(report.failed.is_empty(), "{:?}", report.failed);
    let manifest = Manifest::load(dest.path(), "VIRT0001").expect("load").expect("manifest");
    assert_eq!(manifest.files[0].size, size);
    assert_eq!(manifest.files[0].sha256, expected);
    let local = dest.path().join("Pixel 7 (VIRT0001)/Movies/huge.mp4");
    assert_eq!(std::fs::metadata(&local).expect("backed up").len(), size);
    assert_eq!(mtime_of(&local), 1_650_000_000);
    drop(storage);

    let (target, target_phone) = phone_with_dir(Config { serial: "VIRT0002".into(), ..Config::default() });
    server.connect(&target_phone, "device");
    let target_device = device_of(&server, &target_phone);
    let opened = restore::open_backup(dest.path()).expect("open");
    let source = opened.phone(None, None).expect("the backup");
    let selected = restore::select(dest.path(), source, &Selection::default()).expect("select");
    let plan = restore::plan(dest.path(), &source.serial, selected, &target_device, &NoProgress, &CancelToken::new())
        .expect("plan");
    let report = restore::execute(&plan, &target_device, &NoProgress, &CancelToken::new()).expect("restore");
    assert!(report.failed.is_empty(), "{:?}", report.failed);
    let restored = target.path().join("Movies/huge.mp4");
    assert_eq!(std::fs::metadata(&restored).expect("restored").len(), size);
    assert_eq!(mtime_of(&restored), 1_650_000_000);
}

/// The scan of a folder without reading the files (they may be huge and sparse).
fn scan_sparse(storage: &Path) -> Vec<MediaFile> {
    let mut files = Vec::new();
    let mut stack = vec![storage.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("read dir").flatten() {
            let meta = entry.metadata().expect("meta");
            if meta.is_dir() {
                stack.push(entry.path());
                continue;
            }
            let rel = entry.path().strip_prefix(storage).expect("inside").as_os_str().as_bytes().to_vec();
            let mut path = b"/storage/emulated/0/".to_vec();
            path.extend_from_slice(&rel);
            files.push(MediaFile {
                path,
                size: meta.len(),
                mtime: mtime_of(&entry.path()) as i64,
                kind: MediaKind::Video,
            });
        }
    }
    files
}

/// Fills the disk holding `dir` the first time the backup reports progress (another program writing to the
/// same disk while the backup runs).
struct FillsTheDisk {
    dir: PathBuf,
    filled: std::sync::atomic::AtomicBool,
}

impl backup::Progress for FillsTheDisk {
    fn update(&self, _state: &backup::ProgressState) {
        if self.filled.swap(true, std::sync::atomic::Ordering::SeqCst) {
            return;
        }
        let mut filler = std::fs::File::create(self.dir.join("filler")).expect("filler");
        let block = vec![0u8; 1 << 16];
        while filler.write_all(&block).is_ok() {}
    }
}

#[test]
fn a_backup_disk_that_fills_up_during_the_backup_stops_it_with_disk_full_and_keeps_the_previous_backup_intact() {
    let Some(disk) = tmpfs_or_skip(24 << 20) else { return };
    let server = AdbServer::start();
    let (storage, phone) = phone_with_dir(Config::default());
    for i in 0..3u64 {
        write_file(&storage.path().join(format!("DCIM/Camera/IMG_{i}.jpg")), &noise(1_000_000, i), 1_650_000_000 + i);
    }
    server.connect(&phone, "device");
    let device = device_of(&server, &phone);
    let first = back_up(&disk.0, &device, &scan(storage.path())).expect("the first backup fits");
    assert_eq!(first.copied.len(), 3);
    let before = tree(&disk.0);
    for i in 3..8u64 {
        write_file(&storage.path().join(format!("DCIM/Camera/IMG_{i}.jpg")), &noise(1_000_000, i), 1_650_000_000 + i);
    }
    // There is room for the five new photos when the backup starts; another program fills the disk meanwhile.
    let manifest = Manifest::load_or_new(&disk.0, "VIRT0001", "Pixel 7").expect("manifest");
    let plan = backup::plan(&scan(storage.path()), &disk.0, &manifest);
    let filler = FillsTheDisk { dir: disk.0.join("..filler"), filled: std::sync::atomic::AtomicBool::new(false) };
    std::fs::create_dir(&filler.dir).expect("filler folder");
    let err = backup::execute(&plan, &device, &filler, &CancelToken::new()).expect_err("the disk fills up");
    assert!(filler.filled.load(std::sync::atomic::Ordering::SeqCst), "the disk was not filled");
    assert!(matches!(err, BackupError::DiskFull { .. }), "{err:?}");
    let message = err.to_string();
    assert!(message.contains("Disk full at") && message.contains("free some space"), "{message}");
    std::fs::remove_dir_all(&filler.dir).expect("remove the filler");
    let count = assert_consistent(&disk.0);
    assert!(count >= 3, "the earlier backup lost files");
    let after = tree(&disk.0);
    for (rel, file) in &before {
        assert!(after.get(rel) == Some(file), "{} changed", String::from_utf8_lossy(rel));
    }
}

#[test]
fn a_backup_larger_than_the_free_space_is_refused_before_anything_is_copied_with_both_numbers() {
    let Some(disk) = tmpfs_or_skip(24 << 20) else { return };
    let server = AdbServer::start();
    let (storage, phone) = phone_with_dir(Config::default());
    for i in 0..10u64 {
        write_file(&storage.path().join(format!("DCIM/Camera/IMG_{i}.jpg")), &noise(1_000_000, i), 1_650_000_000 + i);
    }
    server.connect(&phone, "device");
    let device = device_of(&server, &phone);
    let err = back_up(&disk.0, &device, &scan(storage.path())).expect_err("10 MB and the margin do not fit");
    let BackupError::NotEnoughSpace { files, needed, free, .. } = &err else { panic!("{err:?}") };
    assert_eq!(*files, 10);
    assert!(*needed > 10_000_000 && *free < *needed && *free > 20_000_000, "{needed} {free}");
    let message = err.to_string();
    let (needed_text, free_text) = (phonebak::human::human_bytes(*needed), phonebak::human::human_bytes(*free));
    assert!(
        message.contains(&format!("need {needed_text}")) && message.contains(&format!("has {free_text} free")),
        "{message}"
    );
    assert!(message.contains("nothing was copied"), "{message}");
    let written = || std::fs::read_dir(&disk.0).expect("read").flatten().map(|e| e.file_name()).collect::<Vec<_>>();
    assert!(written().is_empty(), "something was written: {:?}", written());
    // The command line says the same and exits 1.
    let out = backup_cli(&server, &disk.0);
    assert_eq!(out.status.code(), Some(1), "{}", said(&out));
    assert!(said(&out).contains("Not enough space on the backup disk"), "{}", said(&out));
    assert!(written().is_empty(), "the command line wrote something: {:?}", written());
}

fn backup_cli(server: &AdbServer, dest: &Path) -> Output {
    phonebak(server, &["backup".as_ref(), "--to".as_ref(), dest.as_os_str()])
}

#[test]
fn a_backup_to_a_phone_that_is_not_ready_says_what_to_do_and_writes_nothing() {
    let server = AdbServer::start();
    let dest = tempfile::tempdir().expect("backup folder");
    // No phone at all.
    let out = backup_cli(&server, dest.path());
    assert_eq!(out.status.code(), Some(1), "{}", said(&out));
    assert!(said(&out).contains("turn on USB debugging"), "{}", said(&out));
    // A phone whose "Allow USB debugging?" was refused.
    let (_storage, phone) = phone_with_dir(Config { auth: AuthMode::Rejected, ..Config::default() });
    let _ = server.adb(&["connect", &phone.addr().to_string()]);
    server.wait_for_state(&phone, "unauthorized", Duration::from_secs(10));
    let out = backup_cli(&server, dest.path());
    assert_eq!(out.status.code(), Some(1), "{}", said(&out));
    assert!(said(&out).contains("(unauthorized)") && said(&out).contains("tap Allow"), "{}", said(&out));
    drop(phone);
    let _ = server.adb(&["disconnect"]);
    // A phone that went away and came back: the adb server keeps it offline until it is connected again.
    let (storage, phone) = phone_with_dir(Config::default());
    write_file(&storage.path().join("DCIM/a.jpg"), &noise(3_000_000, 1), 1_650_000_000);
    server.connect(&phone, "device");
    phone.inject(Fault::CablePull { at: PullPoint::AfterBytes(1_000_000), offline: Duration::from_millis(300) });
    let pulled = server.on(&phone, &["pull", "/sdcard/DCIM/a.jpg", dest.path().join("x").to_str().expect("utf8")]);
    assert!(!pulled.status.success(), "the cable pull did not cut the pull");
    let _ = std::fs::remove_file(dest.path().join("x"));
    server.wait_for_state(&phone, "offline", Duration::from_secs(15));
    let out = backup_cli(&server, dest.path());
    assert_eq!(out.status.code(), Some(1), "{}", said(&out));
    assert!(said(&out).contains("(offline)") && said(&out).contains("plug it in again"), "{}", said(&out));
    assert!(std::fs::read_dir(dest.path()).expect("read").next().is_none(), "something was written");
}
