//! The backup engine (`phonebak::backup`) against virtual phones through Debian's real adb server: byte-exact
//! copies with hostile names and mtimes, incremental re-runs, changed files kept beside the old, corrupted
//! copies rejected, cancel and cable pulls that leave only verified files, and tampered manifests refused.

use crate::util::{AdbServer, HOSTILE_NAMES, mtime_of, noise, phone_with_dir, write_file};
use phonebak::backup::{
    self, BackupError, BackupReport, CancelToken, Manifest, NoProgress, Phase, Progress, ProgressState,
};
use phonebak::device::{Adb, AdbSearch, Device};
use phonebak::scan::{MediaFile, MediaKind};
use phonebak::virtual_phone::{Config, Fault, PullPoint, VirtualPhone};
use std::collections::BTreeSet;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

const DEVICE_FOLDER: &str = "Pixel 7 (VIRT0001)";

fn adb_for(server: &AdbServer) -> Adb {
    let binary = AdbSearch::from_env().find().expect("adb on PATH (install Debian's adb package)");
    Adb::new(binary, server.port)
}

fn ready() -> (AdbServer, tempfile::TempDir, VirtualPhone, Device) {
    let server = AdbServer::start();
    let (dir, phone) = phone_with_dir(Config::default());
    server.connect(&phone, "device");
    let device = adb_for(&server).device(&phone.addr().to_string()).expect("device");
    (server, dir, phone, device)
}

/// Stands in for the gallery scan: every file under the phone's storage directory.
fn scan(storage: &Path) -> Vec<MediaFile> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<MediaFile>) {
        let mut entries: Vec<_> = std::fs::read_dir(dir).expect("read dir").flatten().collect();
        entries.sort_by_key(std::fs::DirEntry::file_name);
        for entry in entries {
            let path = entry.path();
            if entry.file_type().expect("type").is_dir() {
                walk(root, &path, out);
            } else {
                let rel = path.strip_prefix(root).expect("inside");
                let mut phone = b"/storage/emulated/0/".to_vec();
                phone.extend_from_slice(rel.as_os_str().as_bytes());
                let meta = entry.metadata().expect("meta");
                out.push(MediaFile {
                    path: phone,
                    size: meta.len(),
                    mtime: mtime_of(&path) as i64,
                    kind: MediaKind::Photo,
                });
            }
        }
    }
    let mut out = Vec::new();
    walk(storage, storage, &mut out);
    out
}

/// One backup run the way the CLI does it: info, manifest, plan, execute.
fn run(
    dest: &Path,
    device: &Device,
    storage: &Path,
    progress: &dyn Progress,
    cancel: &CancelToken,
) -> Result<BackupReport, BackupError> {
    let info = device.info().expect("info");
    let manifest = Manifest::load_or_new(dest, &info.serial, &info.model)?;
    let plan = backup::plan(&scan(storage), dest, &manifest);
    backup::execute(&plan, device, progress, cancel)
}

fn run_ok(dest: &Path, device: &Device, storage: &Path) -> BackupReport {
    run(dest, device, storage, &NoProgress, &CancelToken::new()).expect("backup")
}

fn host(rel: &[u8]) -> PathBuf {
    PathBuf::from(std::ffi::OsStr::from_bytes(rel))
}

/// Every file in the backup folder outside `.phonebak`, relative.
fn visible_files(dest: &Path) -> BTreeSet<Vec<u8>> {
    crate::util::tree(dest).into_keys().collect()
}

/// Checks that the manifest on disk lists exactly the visible files, each complete, with its sha256 and mtime.
fn assert_manifest_matches_disk(dest: &Path) -> Manifest {
    let manifest = Manifest::load(dest, "VIRT0001").expect("load").expect("a manifest");
    let listed: BTreeSet<Vec<u8>> = manifest.files.iter().map(|f| f.local_path.0.clone()).collect();
    assert_eq!(listed, visible_files(dest), "the manifest and the backup folder disagree");
    for f in &manifest.files {
        let path = dest.join(host(&f.local_path.0));
        let bytes = std::fs::read(&path).expect("read backed-up file");
        assert_eq!(bytes.len() as u64, f.size);
        assert_eq!(backup::manifest::hex(&sha2_of(&bytes)), f.sha256, "{}", path.display());
        assert_eq!(mtime_of(&path) as i64, f.mtime, "{}", path.display());
    }
    let tmp = dest.join(".phonebak/tmp");
    assert!(!tmp.exists() || std::fs::read_dir(&tmp).expect("tmp").next().is_none(), "temp files left");
    manifest
}

fn sha2_of(bytes: &[u8]) -> Vec<u8> {
    use sha2::Digest;
    sha2::Sha256::digest(bytes).to_vec()
}

fn recv_requests(phone: &VirtualPhone) -> u64 {
    let stats = phone.stats();
    stats.sync_requests.get("RECV").copied().unwrap_or(0) + stats.sync_requests.get("RCV2").copied().unwrap_or(0)
}

fn hostile_tree(storage: &Path) -> Vec<(PathBuf, Vec<u8>, u64)> {
    let mut files = Vec::new();
    for (i, name) in HOSTILE_NAMES.iter().enumerate() {
        let rel = Path::new("DCIM/Camera").join(host(name));
        let content = noise(10_000 + i * 7919, i as u64);
        let mtime = 1_600_000_000 + i as u64 * 3_601;
        write_file(&storage.join(&rel), &content, mtime);
        files.push((rel, content, mtime));
    }
    let rel = PathBuf::from("Pictures/Screenshots/deep/shot.png");
    write_file(&storage.join(&rel), &noise(300_000, 99), 1_234_567_890);
    files.push((rel, noise(300_000, 99), 1_234_567_890));
    let rel = PathBuf::from("DCIM/empty.jpg");
    write_file(&storage.join(&rel), b"", 1_500_000_000);
    files.push((rel, Vec::new(), 1_500_000_000));
    files
}

fn assert_nothing_ran(root: &Path) {
    for entry in std::fs::read_dir(root).expect("read dir").flatten() {
        assert_ne!(entry.file_name().to_string_lossy(), "pwned", "a file name ran as a command");
        if entry.file_type().is_ok_and(|t| t.is_dir()) {
            assert_nothing_ran(&entry.path());
        }
    }
}

#[test]
fn hostile_names_back_up_byte_exact_with_mtimes_to_the_second() {
    let (_server, storage, _phone, device) = ready();
    let files = hostile_tree(storage.path());
    let dest = tempfile::tempdir().expect("dest");
    let report = run_ok(dest.path(), &device, storage.path());
    assert!(report.failed.is_empty(), "{:?}", report.failed);
    assert_eq!(report.copied.len(), files.len());
    for (rel, content, mtime) in &files {
        let local = dest.path().join(DEVICE_FOLDER).join(rel);
        let got = std::fs::read(&local).unwrap_or_else(|e| panic!("{}: {e}", local.display()));
        assert!(got == *content, "content differs: {}", local.display());
        assert_eq!(mtime_of(&local), *mtime, "{}", local.display());
    }
    let manifest = assert_manifest_matches_disk(dest.path());
    assert_eq!(manifest.files.len(), files.len());
    assert_eq!(manifest.model, "Pixel 7");
    let raw = std::fs::read_to_string(Manifest::path(dest.path(), "VIRT0001")).expect("manifest is UTF-8 JSON");
    assert!(raw.contains("\"hex\""), "a non-UTF-8 name is stored as hex");
    assert_nothing_ran(storage.path());
    assert_nothing_ran(dest.path());
}

#[test]
fn a_rerun_with_nothing_new_pulls_nothing() {
    let (_server, storage, phone, device) = ready();
    hostile_tree(storage.path());
    let dest = tempfile::tempdir().expect("dest");
    run_ok(dest.path(), &device, storage.path());
    let before = phone.stats();
    let recv_before = recv_requests(&phone);
    let report = run_ok(dest.path(), &device, storage.path());
    let after = phone.stats();
    assert!(report.copied.is_empty() && report.failed.is_empty(), "{report:?}");
    assert_eq!(report.bytes_pulled, 0);
    assert_eq!(report.unchanged_files, HOSTILE_NAMES.len() as u64 + 2);
    assert_eq!(recv_requests(&phone), recv_before, "no file was requested");
    // Only the `info` command (getprop and df) crossed the link.
    let sent = after.bytes_to_host - before.bytes_to_host;
    assert!(sent < 4096, "{sent} bytes came from the phone on a run with nothing new");
    assert_manifest_matches_disk(dest.path());
}

#[test]
fn a_changed_file_is_saved_beside_the_old_one_which_is_kept() {
    let (_server, storage, _phone, device) = ready();
    write_file(&storage.path().join("DCIM/Camera/IMG_1.jpg"), b"first version", 1_600_000_000);
    write_file(&storage.path().join("DCIM/Camera/IMG_2.jpg"), b"stays", 1_600_000_000);
    let dest = tempfile::tempdir().expect("dest");
    run_ok(dest.path(), &device, storage.path());
    write_file(&storage.path().join("DCIM/Camera/IMG_1.jpg"), b"second, edited version", 1_700_000_000);

    let info = device.info().expect("info");
    let manifest = Manifest::load_or_new(dest.path(), &info.serial, &info.model).expect("manifest");
    let plan = backup::plan(&scan(storage.path()), dest.path(), &manifest);
    assert_eq!((plan.new.len(), plan.changed.len(), plan.unchanged.len()), (0, 1, 1), "{plan}");

    let report = backup::execute(&plan, &device, &NoProgress, &CancelToken::new()).expect("backup");
    assert_eq!(report.copied.len(), 1);
    let folder = dest.path().join(DEVICE_FOLDER).join("DCIM/Camera");
    assert_eq!(std::fs::read(folder.join("IMG_1.jpg")).expect("old"), b"first version");
    assert_eq!(mtime_of(&folder.join("IMG_1.jpg")), 1_600_000_000);
    assert_eq!(std::fs::read(folder.join("IMG_1 (2).jpg")).expect("new"), b"second, edited version");
    assert_eq!(mtime_of(&folder.join("IMG_1 (2).jpg")), 1_700_000_000);
    let manifest = assert_manifest_matches_disk(dest.path());
    assert_eq!(manifest.versions_of(b"/storage/emulated/0/DCIM/Camera/IMG_1.jpg").count(), 2);
    // And a third run finds both versions and does nothing.
    assert!(run_ok(dest.path(), &device, storage.path()).copied.is_empty());
}

/// Rewrites one phone file each time the engine asks the phone for checksums, so the copy never matches.
struct Tamper {
    file: PathBuf,
    round: Mutex<u64>,
}

impl Progress for Tamper {
    fn update(&self, state: &ProgressState) {
        if state.phase == Phase::Verifying {
            let mut round = self.round.lock().expect("lock");
            *round += 1;
            std::fs::write(&self.file, noise(5_000, 1000 + *round)).expect("tamper");
        }
    }
}

#[test]
fn a_copy_that_differs_from_the_phone_is_retried_then_reported_and_never_recorded() {
    let (_server, storage, _phone, device) = ready();
    write_file(&storage.path().join("DCIM/good.jpg"), &noise(4_000, 1), 1_600_000_000);
    write_file(&storage.path().join("DCIM/bad.jpg"), &noise(4_000, 2), 1_600_000_000);
    let dest = tempfile::tempdir().expect("dest");
    let tamper = Tamper { file: storage.path().join("DCIM/bad.jpg"), round: Mutex::new(0) };
    let report = run(dest.path(), &device, storage.path(), &tamper, &CancelToken::new()).expect("backup");
    assert_eq!(*tamper.round.lock().expect("lock"), 2, "checked, retried and checked again");
    assert_eq!(report.failed.len(), 1, "{report:?}");
    assert_eq!(report.failed[0].phone_path, b"/storage/emulated/0/DCIM/bad.jpg");
    assert!(report.failed[0].reason.contains("checksum"), "{}", report.failed[0].reason);
    assert_eq!(report.copied.len(), 1);
    let manifest = assert_manifest_matches_disk(dest.path());
    assert_eq!(manifest.files.len(), 1);
    assert!(!dest.path().join(DEVICE_FOLDER).join("DCIM/bad.jpg").exists());
    // Once the file holds still, the next run backs it up.
    let report = run_ok(dest.path(), &device, storage.path());
    assert_eq!(report.copied.len(), 1);
    assert_eq!(assert_manifest_matches_disk(dest.path()).files.len(), 2);
}

/// Cancels once `after` files are done.
struct CancelAfter {
    after: u64,
    token: CancelToken,
}

impl Progress for CancelAfter {
    fn update(&self, state: &ProgressState) {
        if state.files_done >= self.after && state.phase == Phase::Pulling {
            self.token.cancel();
        }
    }
}

#[test]
fn cancel_mid_run_keeps_only_verified_files_and_the_next_run_finishes() {
    let (_server, storage, phone, device) = ready();
    // More files than one checksum batch holds, so some are verified before the cancel.
    for i in 0..230 {
        write_file(&storage.path().join(format!("DCIM/Camera/IMG_{i:04}.jpg")), &noise(1_000, i), 1_600_000_000 + i);
    }
    let dest = tempfile::tempdir().expect("dest");
    let token = CancelToken::new();
    let watcher = CancelAfter { after: 1, token: token.clone() };
    let err = run(dest.path(), &device, storage.path(), &watcher, &token).expect_err("cancelled");
    let BackupError::Cancelled { files_done } = err else { panic!("{err:?}") };
    assert!(files_done > 0 && files_done < 230, "{files_done}");
    assert!(err.to_string().contains("run the backup again"), "{err}");
    let manifest = assert_manifest_matches_disk(dest.path());
    assert_eq!(manifest.files.len() as u64, files_done);

    let recv_before = recv_requests(&phone);
    let report = run_ok(dest.path(), &device, storage.path());
    assert_eq!(report.copied.len() as u64, 230 - files_done, "finished files are not pulled again");
    assert_eq!(recv_requests(&phone) - recv_before, 230 - files_done);
    assert_eq!(assert_manifest_matches_disk(dest.path()).files.len(), 230);
}

#[test]
fn a_cable_pull_mid_backup_says_reconnect_and_the_next_run_completes() {
    let (server, storage, phone, device) = ready();
    let mut contents = Vec::new();
    for i in 0..6u64 {
        let content = noise(1 << 20, 50 + i);
        write_file(&storage.path().join(format!("DCIM/Camera/VID_{i}.mp4")), &content, 1_650_000_000 + i);
        contents.push(content);
    }
    let dest = tempfile::tempdir().expect("dest");
    let info = device.info().expect("info");
    let manifest = Manifest::load_or_new(dest.path(), &info.serial, &info.model).expect("manifest");
    let plan = backup::plan(&scan(storage.path()), dest.path(), &manifest);
    phone.inject(Fault::CablePull { at: PullPoint::AfterBytes(3_500_000), offline: Duration::from_millis(300) });
    let err = backup::execute(&plan, &device, &NoProgress, &CancelToken::new()).expect_err("the cable went");
    assert!(matches!(err, BackupError::ConnectionLost { .. }), "{err:?}");
    assert!(err.to_string().contains("Reconnect the phone"), "{err}");
    assert_manifest_matches_disk(dest.path());

    // Plug it back in: the adb server keeps a restarted TCP phone offline until it is connected again.
    std::thread::sleep(Duration::from_millis(400));
    let addr = phone.addr().to_string();
    let _ = server.adb(&["disconnect", &addr]);
    server.connect(&phone, "device");
    let device = adb_for(&server).device(&addr).expect("device again");
    let report = run_ok(dest.path(), &device, storage.path());
    assert!(report.failed.is_empty(), "{:?}", report.failed);
    let manifest = assert_manifest_matches_disk(dest.path());
    assert_eq!(manifest.files.len(), 6);
    for (i, content) in contents.iter().enumerate() {
        let local = dest.path().join(DEVICE_FOLDER).join(format!("DCIM/Camera/VID_{i}.mp4"));
        assert!(std::fs::read(&local).expect("read") == *content, "{}", local.display());
    }
}

fn tamper_manifest(dest: &Path, local_path: &str) {
    let path = Manifest::path(dest, "VIRT0001");
    let mut json: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).expect("read")).expect("json");
    json["files"][0]["local_path"] = serde_json::Value::String(local_path.to_string());
    std::fs::write(&path, serde_json::to_vec_pretty(&json).expect("json")).expect("write");
}

#[test]
fn a_tampered_manifest_leading_outside_the_backup_folder_is_refused_and_nothing_is_written() {
    let (_server, storage, _phone, device) = ready();
    write_file(&storage.path().join("DCIM/a.jpg"), b"photo", 1_600_000_000);
    let dest = tempfile::tempdir().expect("dest");
    run_ok(dest.path(), &device, storage.path());
    write_file(&storage.path().join("DCIM/b.jpg"), b"new photo", 1_600_000_000);
    let before = visible_files(dest.path());
    for evil in ["../escaped.jpg", "Pixel 7 (VIRT0001)/../../escaped.jpg", "/etc/passwd"] {
        tamper_manifest(dest.path(), evil);
        let err = run(dest.path(), &device, storage.path(), &NoProgress, &CancelToken::new()).expect_err("refused");
        assert!(matches!(err, BackupError::ManifestUnsafe { .. }), "{evil}: {err:?}");
        assert!(err.to_string().contains("tampered") && err.to_string().contains("nothing was written"), "{err}");
        assert_eq!(visible_files(dest.path()), before, "nothing is written");
    }
    // A folder swapped for a symbolic link to elsewhere is refused too.
    let outside = tempfile::tempdir().expect("outside");
    tamper_manifest(dest.path(), "link/a.jpg");
    std::os::unix::fs::symlink(outside.path(), dest.path().join("link")).expect("symlink");
    let err = run(dest.path(), &device, storage.path(), &NoProgress, &CancelToken::new()).expect_err("refused");
    assert!(matches!(err, BackupError::ManifestUnsafe { .. }), "{err:?}");
    assert!(std::fs::read_dir(outside.path()).expect("outside").next().is_none());
}
