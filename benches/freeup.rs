//! How much does a free-up cost? 10,000 backed-up photos freed from a phone on the usb2 link model, through
//! Debian's real adb server: round trips per removed file (goal <= 0.05: batched checks, batched `rm`, one
//! gallery update per folder) and the total time beside the time the phone takes just to hash the same files.
//!
//! Run with `cargo bench --bench freeup` (needs Debian's adb). `PHONEBAK_BENCH_PHOTOS` changes the number of
//! photos (default 10,000, 60 kB each: the size does not change the round trips, only the hashing).

#[path = "../tests/it/util.rs"]
#[allow(dead_code)]
mod util;

use phonebak::backup::{self, CancelToken, Manifest, NoProgress};
use phonebak::device::{Adb, AdbSearch, Device};
use phonebak::freeup;
use phonebak::scan::{ScanOptions, scan};
use phonebak::virtual_phone::{Config, LinkModel, StatsSnapshot, StorageSource, VirtualPhone};
use std::time::Instant;

const SERIAL: &str = "FREEBENCH1";

fn device(server: &util::AdbServer, phone: &VirtualPhone) -> Device {
    let binary = AdbSearch::from_env().find().expect("adb on PATH");
    Adb::new(binary, server.port).device(&phone.addr().to_string()).expect("device")
}

fn phone(storage: &std::path::Path, link: LinkModel) -> VirtualPhone {
    VirtualPhone::start(Config {
        serial: SERIAL.into(),
        storage: StorageSource::Dir(storage.to_path_buf()),
        link,
        ..Config::default()
    })
    .expect("start the virtual phone")
}

/// Shell commands and sync requests (QUIT left out: a closing session sends it) between two snapshots.
fn round_trips(before: &StatsSnapshot, after: &StatsSnapshot) -> u64 {
    let requests =
        |s: &StatsSnapshot| s.sync_requests.iter().filter(|(id, _)| *id != "QUIT").map(|(_, n)| n).sum::<u64>();
    (after.shell_commands - before.shell_commands) + (requests(after) - requests(before))
}

fn main() {
    let photos: u64 = std::env::var("PHONEBAK_BENCH_PHOTOS").ok().and_then(|v| v.parse().ok()).unwrap_or(10_000);
    println!(
        "free-up of {photos} backed-up photos ({:.0} MB) on the usb2 link model (Debian adb 29.0.6, through its server)",
        (photos * 60_000) as f64 / 1e6
    );
    for disposal in [freeup::Disposal::Permanent, freeup::Disposal::Trash] {
        run(photos, disposal);
    }
}

fn run(photos: u64, disposal: freeup::Disposal) {
    let storage = tempfile::tempdir().expect("phone storage");
    let camera = storage.path().join("DCIM/Camera");
    for i in 0..photos {
        let name = format!("IMG_2024{:04}_{:06}.jpg", i / 100 + 101, i);
        util::write_file(&camera.join(name), &util::noise(60_000, i + 1), 1_700_000_000 + i);
    }
    let bytes = photos * 60_000;
    let server = util::AdbServer::start();

    // The backup, on a fast link (it is not what is measured).
    let fast = phone(storage.path(), LinkModel::Unlimited);
    server.connect(&fast, "device");
    let fast_device = device(&server, &fast);
    let dest = tempfile::tempdir().expect("backup folder");
    let gallery = scan(&fast_device, &ScanOptions::default(), &|_| {}, &CancelToken::new()).expect("scan");
    let manifest = Manifest::load_or_new(dest.path(), SERIAL, "Bench").expect("manifest");
    let plan = backup::plan(&gallery.files().cloned().collect::<Vec<_>>(), dest.path(), &manifest);
    let report = backup::execute(&plan, &fast_device, &NoProgress, &CancelToken::new()).expect("backup");
    assert_eq!(report.copied.len() as u64, photos);
    drop(fast_device);
    let _ = server.adb(&["disconnect", &fast.addr().to_string()]);
    let _ = fast.stop();

    let slow = phone(storage.path(), LinkModel::Usb2);
    server.connect(&slow, "device");
    let device = device(&server, &slow);
    let _ = bytes;
    println!("{disposal:?} (Android 14):");

    // The phone alone hashing the same files: one `sha256sum` over the folder.
    let before = slow.stats();
    let start = Instant::now();
    let out = device.shell(b"sha256sum /storage/emulated/0/DCIM/Camera/* | wc -l").expect("sha256sum");
    let hash_secs = start.elapsed().as_secs_f64();
    let hashed: u64 = String::from_utf8_lossy(&out.stdout).trim().parse().unwrap_or(0);
    assert_eq!(hashed, photos, "{}", String::from_utf8_lossy(&out.stdout));
    println!(
        "  the phone hashing them (one sha256sum): {hash_secs:.2} s, {} round trip",
        round_trips(&before, &slow.stats())
    );

    let cancel = CancelToken::new();
    let s0 = slow.stats();
    let t0 = Instant::now();
    let gallery = scan(&device, &ScanOptions::default(), &|_| {}, &cancel).expect("scan");
    let s1 = slow.stats();
    let t1 = Instant::now();
    let files = freeup::choose(gallery.files(), None, &[], 1_800_000_000);
    let manifest = Manifest::load(dest.path(), SERIAL).expect("manifest").expect("a manifest");
    let proof = freeup::prove(&device, dest.path(), &manifest, None, &files, &cancel).expect("prove");
    assert_eq!(proof.proven.len() as u64, photos, "{:?}", proof.kept.first());
    let s2 = slow.stats();
    let t2 = Instant::now();
    let removal = freeup::remove(&device, dest.path(), SERIAL, None, 34, &proof, disposal, &cancel).expect("remove");
    let s3 = slow.stats();
    let t3 = Instant::now();
    assert_eq!(removal.removed.len() as u64, photos);
    assert!(removal.gallery_problem.is_none(), "{:?}", removal.gallery_problem);
    let left = std::fs::read_dir(&camera).expect("camera").flatten();
    let left = left.filter(|e| !e.file_name().to_string_lossy().starts_with(".trashed-")).count();
    assert_eq!(left, 0, "files left on the phone");

    let removed = removal.removed.len() as u64;
    let line = |what: &str, secs: f64, trips: u64| {
        println!(
            "  {what:<44} {secs:>7.2} s {trips:>6} round trips  {:.4} per removed file",
            trips as f64 / removed as f64
        );
    };
    line("scan of the gallery", (t1 - t0).as_secs_f64(), round_trips(&s0, &s1));
    line("proof (backup copies re-hashed, phone sha256sum)", (t2 - t1).as_secs_f64(), round_trips(&s1, &s2));
    line(
        if disposal == freeup::Disposal::Trash {
            "removal (rows, journal, content update)"
        } else {
            "removal (journal, rm, gallery)"
        },
        (t3 - t2).as_secs_f64(),
        round_trips(&s2, &s3),
    );
    let total = (t3 - t0).as_secs_f64();
    let trips = round_trips(&s0, &s3);
    println!(
        "  total: {total:.2} s, {trips} round trips = {:.4} per removed file (goal <= 0.05: {}); {:.2}x the phone's \
         own hashing time",
        trips as f64 / removed as f64,
        if trips as f64 / removed as f64 <= 0.05 { "met" } else { "NOT met" },
        total / hash_secs
    );
}
