//! How long does the gallery scan take on a big gallery? A sample gallery of 10,000 camera photos on the usb2
//! link model (goal: at most 1 s), through Debian's real adb server, with the round trips it cost.
//!
//! Run with `cargo bench --bench scan` (needs Debian's adb). `PHONEBAK_BENCH_PHOTOS` changes the number of
//! photos.

#[path = "../tests/it/util.rs"]
#[allow(dead_code)]
mod util;

use phonebak::device::{Adb, AdbSearch};
use phonebak::scan::{CancelToken, ScanOptions, scan};
use phonebak::virtual_phone::sample::SampleOptions;
use phonebak::virtual_phone::{Config, LinkModel, StorageSource, VirtualPhone};
use std::time::Instant;

fn main() {
    let photos: usize = std::env::var("PHONEBAK_BENCH_PHOTOS").ok().and_then(|v| v.parse().ok()).unwrap_or(10_000);
    println!("gallery scan of a {photos}-photo sample gallery (Debian adb 29.0.6, through its server)");
    println!(
        "{:<10} {:>8} {:>8} {:>8} {:>10} {:>12} {:>12} {:>10}",
        "link", "run", "seconds", "goal", "folders", "photos+videos", "round trips", "per file"
    );
    for link in [LinkModel::Unlimited, LinkModel::Usb2] {
        let made = Instant::now();
        let phone = VirtualPhone::start(Config {
            storage: StorageSource::Sample(SampleOptions { photos, seed: 3, ..SampleOptions::default() }),
            link,
            ..Config::default()
        })
        .expect("start the virtual phone");
        let made_secs = made.elapsed().as_secs_f64();
        let server = util::AdbServer::start();
        server.connect(&phone, "device");
        let binary = AdbSearch::from_env().find().expect("adb on PATH");
        let device = Adb::new(binary, server.port).device(&phone.addr().to_string()).expect("device");
        for run in ["first", "second"] {
            let before = phone.stats();
            let start = Instant::now();
            let gallery = scan(&device, &ScanOptions::default(), &|_| {}, &CancelToken::new()).expect("scan");
            let secs = start.elapsed().as_secs_f64();
            let after = phone.stats();
            // QUIT is left out: a closing session sends it, and the phone counts it whenever it reads it.
            let count = |s: &phonebak::virtual_phone::StatsSnapshot| -> u64 {
                s.sync_requests.iter().filter(|(id, _)| *id != "QUIT").map(|(_, n)| n).sum()
            };
            let requests = count(&after) - count(&before);
            let files = gallery.photos() + gallery.videos();
            println!(
                "{:<10} {:>8} {:>8.3} {:>8} {:>10} {:>12} {:>12} {:>10.4}",
                format!("{link:?}").to_lowercase(),
                run,
                secs,
                if link == LinkModel::Usb2 { "<= 1.0" } else { "" },
                gallery.stats.folders_listed,
                files,
                requests,
                requests as f64 / files.max(1) as f64,
            );
        }
        println!("           (the sample gallery took {made_secs:.1} s to generate)");
    }
}
