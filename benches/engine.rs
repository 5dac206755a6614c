//! The engine against `adb` on the same virtual phone, on the usb2 link model (37 MB/s each way, 0.25 ms per
//! turnaround), side by side in one run:
//!
//! 1. first backup of at least 1 GiB of camera photos vs `adb pull -a` of the same folder (goal ≥ 1.0×; the
//!    engine also checks every file with the phone's `sha256sum`, fsyncs and writes a manifest);
//! 2. a re-run with nothing new on 10,000 photos: scan + plan + execute (goal ≤ 2 s, 0 bytes pulled);
//! 3. listing (the gallery scan) of a 10,000-photo sample gallery (goal ≤ 1 s);
//! 4. restore of the backup of (1) onto an empty phone vs `adb push` of the same folder (goal ≥ 1.0×; the
//!    restore also checks every file on the phone, renames without overwriting and indexes the gallery);
//! 5. round trips (link turnarounds, sync requests, shell commands) per file for each;
//! 6. in (1), the same backup into a password-encrypted folder (age) beside the plain one (goal ≥ 0.95× the
//!    plain backup's throughput).
//!
//! Run with `cargo bench --bench engine` (needs Debian's adb). `PHONEBAK_BENCH_ROUNDS` (default 2) repeats
//! (1) and (4); the best round of each is compared. `PHONEBAK_BENCH_ONLY=backup` runs (1) alone, `=small` (1b)
//! alone, `=restore` (4) alone.

#[path = "../tests/it/util.rs"]
#[allow(dead_code)]
mod util;

#[path = "common/restore.rs"]
mod restore_bench;

use phonebak::backup::{self, CancelToken, Manifest, NoProgress};
use phonebak::device::{Adb, AdbSearch, Device};
use phonebak::scan::{MediaFile, ScanOptions, scan};
use phonebak::virtual_phone::sample::SampleOptions;
use phonebak::virtual_phone::{Config, LinkModel, StatsSnapshot, StorageSource, VirtualPhone};
use restore_bench::Measured;
use std::time::Instant;

fn device(server: &util::AdbServer, phone: &VirtualPhone) -> Device {
    let binary = AdbSearch::from_env().find().expect("adb on PATH");
    Adb::new(binary, server.port).device(&phone.addr().to_string()).expect("device")
}

fn camera_files(device: &Device) -> Vec<MediaFile> {
    let gallery = scan(device, &ScanOptions::default(), &|_| {}, &CancelToken::new()).expect("scan");
    gallery.folder("DCIM/Camera").expect("a camera folder").files.clone()
}

fn row(what: &str, m: &Measured, goal: &str) {
    println!(
        "{:<34} {:>6} {:>9.1} {:>8.2} {:>8.1} {:>9.2} {:>9.2} {:>9.2}  {goal}",
        what,
        m.files,
        m.bytes as f64 / 1e6,
        m.secs,
        m.mbps(),
        m.host_waits as f64 / m.files as f64,
        m.sync_requests as f64 / m.files as f64,
        m.shell_commands as f64 / m.files as f64,
    );
}

fn header() {
    println!(
        "{:<34} {:>6} {:>9} {:>8} {:>8} {:>9} {:>9} {:>9}  goal",
        "", "files", "MB", "seconds", "MB/s", "waits/f", "sync/f", "shell/f"
    );
}

fn best(runs: &[Measured]) -> &Measured {
    runs.iter().min_by(|a, b| a.secs.total_cmp(&b.secs)).expect("a run")
}

/// (1) First backup of the camera folder vs `adb pull -a`, and encrypted, alternating, `rounds` times.
fn backup_vs_adb_pull(photos: usize, rounds: usize) -> (Vec<Measured>, Vec<Measured>, Vec<Measured>) {
    let server = util::AdbServer::start();
    let phone = VirtualPhone::start(Config {
        storage: StorageSource::Sample(SampleOptions { photos, seed: 5, huge_video: false }),
        link: LinkModel::Usb2,
        ..Config::default()
    })
    .expect("sample phone");
    server.connect(&phone, "device");
    let device = device(&server, &phone);
    let camera = camera_files(&device);
    let bytes: u64 = camera.iter().map(|f| f.size).sum();
    let files = camera.len() as u64;
    let (mut adb, mut ours, mut encrypted) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..rounds {
        // Into a real folder: adb unlinks its destination, so /dev/null would be replaced by a regular file.
        let into = tempfile::tempdir().expect("pull folder");
        let before = phone.stats();
        let start = Instant::now();
        let out = server.on(&phone, &["pull", "-a", "/sdcard/DCIM/Camera", into.path().to_str().expect("utf8")]);
        let secs = start.elapsed().as_secs_f64();
        assert!(out.status.success(), "{}", util::said(&out));
        adb.push(between(&before, &phone.stats(), secs, bytes, files));
        drop(into);

        let dest = tempfile::tempdir().expect("backup folder");
        let before = phone.stats();
        let start = Instant::now();
        let manifest = Manifest::load_or_new(dest.path(), "VIRT0001", "Pixel 7").expect("manifest");
        let plan = backup::plan(&camera, dest.path(), &manifest);
        let report = backup::execute(&plan, &device, &NoProgress, &CancelToken::new()).expect("backup");
        let secs = start.elapsed().as_secs_f64();
        assert!(report.failed.is_empty(), "{:?}", report.failed);
        assert_eq!(report.bytes_copied, bytes);
        ours.push(between(&before, &phone.stats(), secs, bytes, files));
        drop(dest);

        // Encrypted: the key is made first (scrypt takes a second by design), then the same backup is timed.
        let dest = tempfile::tempdir().expect("backup folder");
        let password = phonebak::vault::SecretString::from("bench password".to_string());
        let vault = std::sync::Arc::new(phonebak::vault::Vault::create(dest.path(), &password).expect("vault"));
        let before = phone.stats();
        let start = Instant::now();
        let manifest = Manifest::load_or_new_in(dest.path(), "VIRT0001", "Pixel 7", Some(&vault)).expect("manifest");
        let plan = backup::plan_in(&camera, dest.path(), &manifest, Some(vault));
        let report = backup::execute(&plan, &device, &NoProgress, &CancelToken::new()).expect("backup");
        let secs = start.elapsed().as_secs_f64();
        assert!(report.failed.is_empty(), "{:?}", report.failed);
        encrypted.push(between(&before, &phone.stats(), secs, bytes, files));
    }
    (adb, ours, encrypted)
}

/// (1b) The same with many small files (WhatsApp-sized, 150 kB): what each file costs beyond its bytes.
fn small_files_vs_adb_pull(count: u64) -> (Measured, Measured) {
    let server = util::AdbServer::start();
    let (dir, phone) = util::phone_with_dir(Config { link: LinkModel::Usb2, ..Config::default() });
    for i in 0..count {
        let path = dir.path().join(format!("DCIM/Camera/IMG_{i:05}.jpg"));
        util::write_file(&path, &util::noise(150_000, i), 1_600_000_000 + i * 60);
    }
    server.connect(&phone, "device");
    let device = device(&server, &phone);
    let camera = camera_files(&device);
    let bytes: u64 = camera.iter().map(|f| f.size).sum();
    let into = tempfile::tempdir().expect("pull folder");
    let before = phone.stats();
    let start = Instant::now();
    let out = server.on(&phone, &["pull", "-a", "/sdcard/DCIM/Camera", into.path().to_str().expect("utf8")]);
    let secs = start.elapsed().as_secs_f64();
    assert!(out.status.success(), "{}", util::said(&out));
    let adb = between(&before, &phone.stats(), secs, bytes, count);
    let dest = tempfile::tempdir().expect("backup folder");
    let before = phone.stats();
    let start = Instant::now();
    let manifest = Manifest::load_or_new(dest.path(), "VIRT0001", "Pixel 7").expect("manifest");
    let plan = backup::plan(&camera, dest.path(), &manifest);
    let report = backup::execute(&plan, &device, &NoProgress, &CancelToken::new()).expect("backup");
    let secs = start.elapsed().as_secs_f64();
    assert_eq!(report.copied.len() as u64, count);
    (adb, between(&before, &phone.stats(), secs, bytes, count))
}

fn between(before: &StatsSnapshot, after: &StatsSnapshot, secs: f64, bytes: u64, files: u64) -> Measured {
    Measured::between(before, after, secs, bytes, files)
}

/// (2) A real first backup of 10,000 small photos over usb2, then the timed re-run with nothing new.
fn rerun_on_10000() -> (Measured, Measured, u64) {
    let server = util::AdbServer::start();
    let (dir, phone) = util::phone_with_dir(Config { link: LinkModel::Usb2, ..Config::default() });
    for i in 0..10_000u64 {
        let folder = if i % 10 == 0 { "Pictures/Screenshots" } else { "DCIM/Camera" };
        let path = dir.path().join(format!("{folder}/IMG_{i:05}.jpg"));
        util::write_file(&path, &util::noise(2048, i), 1_600_000_000 + i * 60);
    }
    server.connect(&phone, "device");
    let device = device(&server, &phone);
    let dest = tempfile::tempdir().expect("backup folder");
    let run = || {
        let before = phone.stats();
        let start = Instant::now();
        let gallery = scan(&device, &ScanOptions::default(), &|_| {}, &CancelToken::new()).expect("scan");
        let files: Vec<MediaFile> = gallery.files().cloned().collect();
        let manifest = Manifest::load_or_new(dest.path(), "VIRT0001", "Pixel 7").expect("manifest");
        let plan = backup::plan(&files, dest.path(), &manifest);
        let report = backup::execute(&plan, &device, &NoProgress, &CancelToken::new()).expect("backup");
        let secs = start.elapsed().as_secs_f64();
        assert!(report.failed.is_empty());
        (between(&before, &phone.stats(), secs, report.bytes_copied, files.len() as u64), report.bytes_pulled)
    };
    let (first, _) = run();
    assert_eq!(first.files, 10_000);
    let (again, pulled) = run();
    (first, again, pulled)
}

/// (3) The gallery scan of a 10,000-photo sample gallery.
fn listing_10000() -> (f64, u64, u64, u64) {
    let server = util::AdbServer::start();
    let phone = VirtualPhone::start(Config {
        storage: StorageSource::Sample(SampleOptions { photos: 10_000, seed: 3, huge_video: false }),
        link: LinkModel::Usb2,
        ..Config::default()
    })
    .expect("sample phone");
    server.connect(&phone, "device");
    let device = device(&server, &phone);
    let _warm = scan(&device, &ScanOptions::default(), &|_| {}, &CancelToken::new()).expect("scan");
    let before = phone.stats();
    let start = Instant::now();
    let gallery = scan(&device, &ScanOptions::default(), &|_| {}, &CancelToken::new()).expect("scan");
    let secs = start.elapsed().as_secs_f64();
    let m = between(&before, &phone.stats(), secs, 0, 1);
    (secs, (gallery.photos() + gallery.videos()) as u64, m.sync_requests, m.host_waits)
}

fn main() {
    let rounds: usize = std::env::var("PHONEBAK_BENCH_ROUNDS").ok().and_then(|v| v.parse().ok()).unwrap_or(2);
    let adb_version = std::process::Command::new("adb")
        .arg("version")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).lines().next().unwrap_or_default().to_string())
        .unwrap_or_default();
    println!("phonebak engine vs adb on the virtual phone, usb2 link model (37 MB/s each way, 0.25 ms turnaround)");
    println!(
        "{adb_version}, through its server; {} CPUs here",
        std::thread::available_parallelism().map_or(0, std::num::NonZero::get)
    );
    // At least 1 GiB of camera photos: the sample camera folder averages ~3.4 MB a file.
    let photos = 320;
    let only = std::env::var("PHONEBAK_BENCH_ONLY").unwrap_or_default();
    if only == "small" {
        small_files(rounds);
        return;
    }
    if only == "restore" {
        restore(photos, rounds);
        return;
    }

    let (adb, ours, encrypted) = backup_vs_adb_pull(photos, rounds);
    println!("\n1. First backup of the camera folder (best of {rounds})");
    header();
    row("adb pull -a", best(&adb), "");
    row("phonebak backup (verified)", best(&ours), ">= 1.0x adb");
    row("phonebak backup, encrypted", best(&encrypted), ">= 0.95x plain");
    println!("   ratio {:.3}x adb pull (each round: {})", best(&ours).mbps() / best(&adb).mbps(), ratios(&adb, &ours));
    println!(
        "   encrypted: {:.3}x the plain backup (each round: {})",
        best(&encrypted).mbps() / best(&ours).mbps(),
        ratios(&ours, &encrypted)
    );
    assert!(best(&ours).bytes >= 1 << 30, "less than 1 GiB: raise the photo count");
    if std::env::var("PHONEBAK_BENCH_ONLY").is_ok_and(|v| v == "backup") {
        return;
    }

    small_files(rounds);

    let (first, again, pulled) = rerun_on_10000();
    println!("\n2. Re-run with nothing new on 10,000 photos (2 KiB each; the re-run's cost does not depend on size)");
    header();
    row("first backup (10,000 small files)", &first, "");
    println!(
        "   re-run: {:.3} s (goal <= 2 s), {pulled} bytes pulled, {} sync requests, {} shell commands",
        again.secs, again.sync_requests, again.shell_commands
    );

    let (secs, files, requests, waits) = listing_10000();
    println!(
        "\n3. Listing a 10,000-photo sample gallery: {secs:.3} s (goal <= 1 s), {files} photos and videos, {requests} sync requests, {waits} turnarounds"
    );

    restore(photos, rounds);
}

/// (1b), `rounds` times: the best of each is compared.
fn small_files(rounds: usize) {
    let (adb, ours): (Vec<Measured>, Vec<Measured>) = (0..rounds).map(|_| small_files_vs_adb_pull(2_000)).unzip();
    println!("\n1b. First backup of 2,000 files of 150 kB (best of {rounds})");
    header();
    row("adb pull -a", best(&adb), "");
    row("phonebak backup (verified)", best(&ours), ">= 1.0x adb");
    println!("   ratio {:.3}x adb pull (each round: {})", best(&ours).mbps() / best(&adb).mbps(), ratios(&adb, &ours));
}

/// (4): restore against `adb push`.
fn restore(photos: usize, rounds: usize) {
    let pairs = restore_bench::restore_vs_adb_push(photos, rounds);
    let (adb, ours): (Vec<Measured>, Vec<Measured>) = pairs.into_iter().unzip();
    println!("\n4. Restore of the camera folder onto an empty phone (best of {rounds})");
    header();
    row("adb push", best(&adb), "");
    row("phonebak restore (verified)", best(&ours), ">= 1.0x adb");
    println!("   ratio {:.3}x adb push (each round: {})", best(&ours).mbps() / best(&adb).mbps(), ratios(&adb, &ours));
}

fn ratios(adb: &[Measured], ours: &[Measured]) -> String {
    adb.iter().zip(ours).map(|(a, o)| format!("{:.3}", o.mbps() / a.mbps())).collect::<Vec<_>>().join(", ")
}
