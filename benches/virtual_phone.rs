//! Is the virtual phone ever the bottleneck? Real `adb pull` of 1 GiB from it, with the link unlimited (goal:
//! at least 300 MB/s on this machine) and with the usb2 model (goal: within 5% of 37 MB/s).
//!
//! Run with `cargo bench --bench virtual_phone` (needs Debian's adb). `PHONEBAK_BENCH_MIB` changes the size.

#[path = "../tests/it/util.rs"]
#[allow(dead_code)]
mod util;

use phonebak::virtual_phone::storage::SyntheticContent;
use phonebak::virtual_phone::{Config, LinkModel};
use std::sync::Arc;
use std::time::Instant;

/// Incompressible bytes made on demand, so a 1 GiB file needs no disk.
struct Noise(u64);

impl SyntheticContent for Noise {
    fn len(&self) -> u64 {
        self.0
    }

    fn read_at(&self, offset: u64, buf: &mut [u8]) -> usize {
        let n = buf.len().min(self.0.saturating_sub(offset) as usize);
        let mut pos = offset;
        let mut out = &mut buf[..n];
        while !out.is_empty() {
            let word = mix(pos / 8).to_le_bytes();
            let skip = (pos % 8) as usize;
            let take = (8 - skip).min(out.len());
            out[..take].copy_from_slice(&word[skip..skip + take]);
            out = &mut out[take..];
            pos += take as u64;
        }
        n
    }
}

fn mix(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

fn main() {
    let mib: u64 = std::env::var("PHONEBAK_BENCH_MIB").ok().and_then(|v| v.parse().ok()).unwrap_or(1024);
    let size = mib << 20;
    println!("adb pull of {mib} MiB from the virtual phone (Debian adb 29.0.6, through its server)");
    println!("{:<10} {:>10} {:>12} {:>10} {:>14}", "link", "seconds", "MB/s", "goal", "round trips");
    for link in [LinkModel::Unlimited, LinkModel::Usb2] {
        let adb = util::AdbServer::start();
        let (dir, phone) = util::phone_with_dir(Config { link, ..Config::default() });
        let path = dir.path().join("DCIM/big.mp4");
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::File::create(&path).and_then(|f| f.set_len(size)).expect("sparse file");
        let storage = &phone.phone().storage;
        storage.register_synthetic(&storage.root().join("DCIM/big.mp4"), Arc::new(Noise(size))).expect("register");
        adb.connect(&phone, "device");
        let before = phone.stats();
        let start = Instant::now();
        // Into a real file: adb unlinks its destination, so /dev/null would be replaced by a regular file.
        let dest = tempfile::tempdir().expect("dest");
        let local = dest.path().join("big.mp4");
        let out = adb.on(&phone, &["pull", "/sdcard/DCIM/big.mp4", local.to_str().expect("utf8")]);
        let secs = start.elapsed().as_secs_f64();
        assert!(out.status.success(), "{}", util::said(&out));
        let after = phone.stats();
        let mbps = size as f64 / secs / 1e6;
        let goal = match link {
            LinkModel::Unlimited => ">= 300",
            LinkModel::Usb2 => "35.2-37.0",
            LinkModel::Usb3 => "",
        };
        println!(
            "{:<10} {:>10.2} {:>12.1} {:>10} {:>14}",
            format!("{link:?}").to_lowercase(),
            secs,
            mbps,
            goal,
            after.host_waits - before.host_waits
        );
    }
}
