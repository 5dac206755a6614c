//! What does the automatic backup agent cost while it waits? The release `phonebak agent`, Debian's real adb
//! server and virtual phones:
//!
//! 1. CPU time of the agent over 10 idle minutes with two marked phones connected and backed up, at the
//!    default pace (a check of each phone every five minutes; goal: under 1 s);
//! 2. its resident memory then (goal: at most 30 MB);
//! 3. its resident memory after 200 connect/disconnect cycles of a marked phone with 2,000 photos (each
//!    connection scans it and finds nothing new), against after the first cycle (goal: at most 10 % growth).
//!
//! Run with `cargo bench --bench agent`. `PHONEBAK_BENCH_IDLE_SECS` (default 600) and
//! `PHONEBAK_BENCH_CYCLES` (default 200) shorten it for a try; the goals are for the defaults.

#[path = "../tests/it/util.rs"]
#[allow(dead_code)]
mod util;

use phonebak::agent::status::{self, AgentStatus, PhoneState};
use phonebak::settings::{AutomaticBackup, Settings};
use phonebak::virtual_phone::{Config, LinkModel, VirtualPhone};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// A phone with `n` small photos (2 KiB) in DCIM/Camera.
fn small_phone(model: &str, serial: &str, n: u64) -> (tempfile::TempDir, VirtualPhone) {
    let (dir, phone) = util::phone_with_dir(Config {
        model: model.to_string(),
        serial: serial.to_string(),
        link: LinkModel::Usb2,
        ..Config::default()
    });
    for i in 0..n {
        let path = dir.path().join(format!("DCIM/Camera/IMG_{serial}_{i:05}.jpg"));
        util::write_file(&path, &util::noise(2048, i + 1), 1_700_000_000 + i * 60);
    }
    (dir, phone)
}

/// The agent's CPU time so far (user + system), from /proc.
fn cpu_of(pid: u32) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("the agent's /proc stat");
    // After the command name in parentheses: state is field 3; utime and stime are fields 14 and 15.
    let fields: Vec<&str> = stat.rsplit_once(')').expect("stat").1.split_whitespace().collect();
    let ticks: u64 = fields[11].parse::<u64>().expect("utime") + fields[12].parse::<u64>().expect("stime");
    // /proc counts in USER_HZ (100 on Linux); `getconf CLK_TCK` says it.
    let per_second = Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse::<u64>().ok())
        .unwrap_or(100)
        .max(1);
    Duration::from_millis(ticks * 1000 / per_second)
}

/// The agent's resident memory in bytes, from /proc.
fn rss_of(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("the agent's /proc status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .expect("VmRSS")
        * 1024
}

fn wait_for(runtime: &Path, what: &str, limit: Duration, done: impl Fn(&AgentStatus) -> bool) {
    let deadline = Instant::now() + limit;
    loop {
        if status::query(runtime).is_some_and(|s| done(&s)) {
            return;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}: {:#?}", status::query(runtime));
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn up_to_date(s: &AgentStatus, adb_serial: &str) -> bool {
    s.phones.iter().any(|p| p.adb_serial == adb_serial && p.state == PhoneState::UpToDate)
}

fn mb(bytes: u64) -> f64 {
    bytes as f64 / 1_000_000.0
}

fn main() {
    let idle = Duration::from_secs(env_number("PHONEBAK_BENCH_IDLE_SECS", 600));
    let cycles = env_number("PHONEBAK_BENCH_CYCLES", 200);
    let server = util::AdbServer::start();
    let home = tempfile::tempdir().expect("home");
    let dests: Vec<tempfile::TempDir> = (0..3).map(|_| tempfile::tempdir().expect("backup folder")).collect();
    let phones = [("Pixel 7", "IDLE0001", 500), ("Pixel 6a", "IDLE0002", 500), ("Pixel 8", "CYCL0001", 2_000)];
    let settings = Settings {
        automatic: phones
            .iter()
            .zip(&dests)
            .map(|((model, serial, _), dest)| AutomaticBackup {
                phone_serial: (*serial).to_string(),
                model: (*model).to_string(),
                backup_folder: dest.path().to_path_buf(),
                folders: Vec::new(),
            })
            .collect(),
        ..Settings::default()
    };
    let settings_path = home.path().join("config/phonebak/settings.json");
    settings.save(&settings_path).expect("settings");
    let runtime = home.path().join("run/phonebak");
    let mut agent: Child = Command::new(env!("CARGO_BIN_EXE_phonebak"))
        .arg("agent")
        .env("HOME", home.path())
        .env("XDG_CONFIG_HOME", home.path().join("config"))
        .env("XDG_DATA_HOME", home.path().join("data"))
        .env("XDG_RUNTIME_DIR", home.path().join("run"))
        .env("ANDROID_ADB_SERVER_PORT", server.port.to_string())
        .env_remove("DBUS_SESSION_BUS_ADDRESS")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the agent");
    let pid = agent.id();
    wait_for(&runtime, "the agent", Duration::from_secs(10), |s| s.tracking);
    let started_rss = rss_of(pid);

    let built: Vec<(tempfile::TempDir, VirtualPhone)> =
        phones.iter().map(|(model, serial, n)| small_phone(model, serial, *n)).collect();
    let [(_, first), (_, second), (_, roaming)] = &built[..] else { unreachable!() };
    println!("automatic backup agent (release binary), Debian adb, usb2 link model, default pace (check every 5 min)");
    println!("agent resident memory at start: {:.1} MB", mb(started_rss));

    // 1 and 2: two phones connected and backed up, then idle.
    for phone in [first, second] {
        server.connect(phone, "device");
    }
    let (a, b) = (first.addr().to_string(), second.addr().to_string());
    wait_for(&runtime, "both phones backed up", Duration::from_secs(300), |s| up_to_date(s, &a) && up_to_date(s, &b));
    let (cpu_before, idle_started) = (cpu_of(pid), Instant::now());
    let rss_before_idle = rss_of(pid);
    std::thread::sleep(idle);
    let idle_cpu = cpu_of(pid).saturating_sub(cpu_before);
    let idle_rss = rss_of(pid);
    let status = status::query(&runtime).expect("status");
    assert!(up_to_date(&status, &a) && up_to_date(&status, &b), "the phones did not stay up to date: {status:#?}");
    let goal = |ok: bool| if ok { "met" } else { "MISSED" };
    println!(
        "1. idle {:.0} s with two phones connected: agent CPU {:.3} s (goal < 1 s over 600 s: {})",
        idle_started.elapsed().as_secs_f64(),
        idle_cpu.as_secs_f64(),
        goal(idle_cpu < Duration::from_secs(1) && idle >= Duration::from_secs(600))
    );
    println!(
        "2. resident memory idle: {:.1} MB (at the start of the idle time {:.1} MB; goal <= 30 MB: {})",
        mb(idle_rss),
        mb(rss_before_idle),
        goal(idle_rss <= 30_000_000)
    );

    // 3: connect/disconnect a 2,000-photo phone again and again.
    let c = roaming.addr().to_string();
    let started = Instant::now();
    let (mut after_first, mut after_ten) = (0, 0);
    for cycle in 1..=cycles {
        server.connect(roaming, "device");
        wait_for(&runtime, "the roaming phone checked", Duration::from_secs(300), |s| up_to_date(s, &c));
        let out = server.adb(&["disconnect", &c]);
        assert!(out.status.success(), "{}", util::said(&out));
        wait_for(&runtime, "the roaming phone gone", Duration::from_secs(30), |s| {
            !s.phones.iter().any(|p| p.adb_serial == c)
        });
        if cycle == 1 {
            after_first = rss_of(pid);
        }
        if cycle == 10 {
            after_ten = rss_of(pid);
        }
    }
    let after_all = rss_of(pid);
    let growth = after_all as f64 / after_first.max(1) as f64 - 1.0;
    println!(
        "3. {cycles} connect/disconnect cycles of a 2,000-photo phone ({:.1} s, {:.2} s each): resident memory \
         {:.1} MB after the first, {:.1} MB after 10, {:.1} MB after {cycles}: {:+.1} % (goal <= 10 %: {})",
        started.elapsed().as_secs_f64(),
        started.elapsed().as_secs_f64() / cycles.max(1) as f64,
        mb(after_first),
        mb(after_ten),
        mb(after_all),
        growth * 100.0,
        goal(growth <= 0.10 && cycles >= 200)
    );
    let _ = agent.kill();
    let _ = agent.wait();
}
