//! Restore vs `adb push` of the same tree onto the same virtual phone on the usb2 link model.

use crate::util;
use phonebak::backup::{self, CancelToken, Manifest, NoProgress};
use phonebak::device::{Adb, AdbSearch, Device};
use phonebak::restore::{self, Selection};
use phonebak::scan::{ScanOptions, scan};
use phonebak::virtual_phone::sample::SampleOptions;
use phonebak::virtual_phone::{Config, LinkModel, StatsSnapshot, StorageSource, VirtualPhone};
use std::path::Path;
use std::time::Instant;

fn device(server: &util::AdbServer, phone: &VirtualPhone) -> Device {
    let binary = AdbSearch::from_env().find().expect("adb on PATH");
    Adb::new(binary, server.port).device(&phone.addr().to_string()).expect("device")
}

fn empty(dir: &Path) {
    for entry in std::fs::read_dir(dir).expect("read").flatten() {
        let _ = std::fs::remove_dir_all(entry.path()).or_else(|_| std::fs::remove_file(entry.path()));
    }
}

/// Notes when the gallery indexing starts.
#[derive(Default)]
struct PhaseClock {
    indexing: std::cell::Cell<Option<Instant>>,
}

impl phonebak::progress::Progress for PhaseClock {
    fn update(&self, state: &phonebak::progress::ProgressState) {
        if state.phase == phonebak::progress::Phase::Indexing && self.indexing.get().is_none() {
            self.indexing.set(Some(Instant::now()));
        }
    }
}

/// One measured run: seconds, bytes, turnarounds and sync requests.
pub struct Measured {
    pub secs: f64,
    pub bytes: u64,
    pub files: u64,
    pub host_waits: u64,
    pub shell_commands: u64,
    pub sync_requests: u64,
}

impl Measured {
    pub fn between(before: &StatsSnapshot, after: &StatsSnapshot, secs: f64, bytes: u64, files: u64) -> Self {
        let requests =
            |s: &StatsSnapshot| s.sync_requests.iter().filter(|(id, _)| *id != "QUIT").map(|(_, n)| n).sum::<u64>();
        Self {
            secs,
            bytes,
            files,
            host_waits: after.host_waits - before.host_waits,
            shell_commands: after.shell_commands - before.shell_commands,
            sync_requests: requests(after) - requests(before),
        }
    }

    pub fn mbps(&self) -> f64 {
        self.bytes as f64 / self.secs / 1e6
    }
}

/// Backs up `photos` sample photos (DCIM/Camera) from a fast phone, then restores them onto an empty usb2 phone
/// with `adb push` and with phonebak, `rounds` times each (alternating). Returns (adb push, restore) per round.
pub fn restore_vs_adb_push(photos: usize, rounds: usize) -> Vec<(Measured, Measured)> {
    let server = util::AdbServer::start();
    let source = VirtualPhone::start(Config {
        storage: StorageSource::Sample(SampleOptions { photos, seed: 5, huge_video: false }),
        ..Config::default()
    })
    .expect("sample phone");
    server.connect(&source, "device");
    let source_device = device(&server, &source);
    let gallery = scan(&source_device, &ScanOptions::default(), &|_| {}, &CancelToken::new()).expect("scan");
    let camera = gallery.folder("DCIM/Camera").expect("a camera folder");
    let dest = tempfile::tempdir().expect("backup folder");
    let info = source_device.info().expect("info");
    let manifest = Manifest::load_or_new(dest.path(), &info.serial, &info.model).expect("manifest");
    let plan = backup::plan(&camera.files, dest.path(), &manifest);
    backup::execute(&plan, &source_device, &NoProgress, &CancelToken::new()).expect("backup");
    let local_camera = dest.path().join(&plan.device_folder).join("DCIM/Camera");
    let files = camera.files.len() as u64;
    let bytes: u64 = camera.files.iter().map(|f| f.size).sum();

    let (target_dir, target) =
        util::phone_with_dir(Config { serial: "VIRT0002".into(), link: LinkModel::Usb2, ..Config::default() });
    server.connect(&target, "device");
    let target_device = device(&server, &target);
    let selection = Selection { patterns: vec!["DCIM/Camera".into()], ..Selection::default() };
    let mut out = Vec::new();
    for _ in 0..rounds {
        empty(target_dir.path());
        std::fs::create_dir_all(target_dir.path().join("DCIM")).expect("mkdir");
        let before = target.stats();
        let start = Instant::now();
        let pushed = server.on(&target, &["push", local_camera.to_str().expect("utf8"), "/sdcard/DCIM/"]);
        let secs = start.elapsed().as_secs_f64();
        assert!(pushed.status.success(), "{}", util::said(&pushed));
        let adb = Measured::between(&before, &target.stats(), secs, bytes, files);

        empty(target_dir.path());
        let before = target.stats();
        let start = Instant::now();
        let opened = restore::open_backup(dest.path()).expect("open");
        let phone = opened.phone(None, None).expect("the backup");
        let selected = restore::select(dest.path(), phone, &selection).expect("select");
        let plan =
            restore::plan(dest.path(), &phone.serial, selected, &target_device, &NoProgress, &CancelToken::new())
                .expect("plan");
        let planned = start.elapsed().as_secs_f64();
        let phases = PhaseClock::default();
        let report = restore::execute(&plan, &target_device, &phases, &CancelToken::new()).expect("restore");
        if let Some(at) = phases.indexing.get() {
            eprintln!("  (restore: gallery indexing took {:.3} s)", at.elapsed().as_secs_f64());
        }
        eprintln!(
            "  (restore: {planned:.3} s to open the backup and plan, {:.3} s to copy, check and index)",
            start.elapsed().as_secs_f64() - planned
        );
        let secs = start.elapsed().as_secs_f64();
        assert!(report.failed.is_empty(), "{:?}", report.failed);
        assert_eq!(report.restored.len() as u64, files);
        let ours = Measured::between(&before, &target.stats(), secs, report.bytes_restored, files);
        out.push((adb, ours));
    }
    out
}
