//! `phonebak virtual-phone`: serves a virtual phone until Ctrl-C.

use crate::virtual_phone::{
    AndroidVersion, AuthMode, BatterySetting, Config, Fault, LinkModel, StorageSource, VirtualPhone,
    sample::SampleOptions,
};
use anyhow::Context;
use std::path::PathBuf;
use std::time::Duration;

/// Options of `phonebak virtual-phone`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// TCP port on 127.0.0.1 (0 picks a free one). Avoid 5555-5585: adb takes those for emulators.
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Serve this directory as the phone's shared storage (changes are made in it).
    #[arg(long, conflicts_with = "sample")]
    storage: Option<PathBuf>,
    /// Generate a sample gallery of about N camera photos (in a temporary directory).
    #[arg(long, value_name = "N")]
    sample: Option<usize>,
    /// Include a video larger than 4 GiB in the sample gallery.
    #[arg(long, requires = "sample")]
    huge_video: bool,
    /// Seed for the sample gallery and for random faults.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// The USB link to model: usb2 (37 MB/s), usb3 (120 MB/s) or unlimited.
    #[arg(long, default_value = "usb2")]
    link: LinkModel,
    /// The Android release to behave as (8 to 16).
    #[arg(long, default_value = "14", value_parser = AndroidVersion::parse)]
    android: AndroidVersion,
    /// The phone's model name.
    #[arg(long, default_value = "Pixel 7")]
    model: String,
    /// The phone's serial number.
    #[arg(long, default_value = "VIRT0001")]
    serial: String,
    /// How the phone answers a new computer: none (already allowed), prompt:MS (the user taps Allow after
    /// MS milliseconds) or reject.
    #[arg(long, default_value = "none", value_parser = parse_auth)]
    auth: AuthMode,
    /// A fault to show: cable-pull:after=BYTES|random[=BYTES][,offline=MS], storage-full:after=BYTES,
    /// read-only, vanish:PATH, unreadable:PATH, sync-v1, tiny-writes[:BYTES], slow:MS, media-write-refused,
    /// deny:contacts, deny:sms, deny:calls (the shell lost `READ/WRITE_CONTACTS`, `READ_SMS` or
    /// `READ_CALL_LOG`). Repeatable.
    #[arg(long, value_name = "SPEC")]
    fault: Vec<Fault>,
    /// The battery: LEVEL[,charging|discharging], e.g. 87 (charging over USB) or 10,discharging.
    #[arg(long, default_value = "87", value_name = "LEVEL[,STATE]")]
    battery: BatterySetting,
    /// No Wi-Fi: `wlan0` does not exist, and `adb tcpip` leaves nothing to connect to.
    #[arg(long)]
    no_wifi: bool,
}

fn parse_auth(text: &str) -> Result<AuthMode, String> {
    match text {
        "none" => Ok(AuthMode::None),
        "reject" => Ok(AuthMode::Rejected),
        _ => text
            .strip_prefix("prompt:")
            .and_then(|ms| ms.parse().ok())
            .map(|ms| AuthMode::Prompt(Duration::from_millis(ms)))
            .ok_or_else(|| format!("unknown auth mode {text:?}: use none, prompt:MS or reject")),
    }
}

/// Starts the phone, prints a JSON line with its address, serves until Ctrl-C, then prints its counters.
pub fn run(args: &Args) -> anyhow::Result<()> {
    let storage = match (&args.storage, args.sample) {
        (Some(dir), _) => StorageSource::Dir(dir.clone()),
        (None, Some(photos)) => {
            StorageSource::Sample(SampleOptions { photos, seed: args.seed, huge_video: args.huge_video })
        }
        (None, None) => StorageSource::Empty,
    };
    let config = Config {
        port: args.port,
        storage,
        link: args.link,
        android: args.android,
        model: args.model.clone(),
        serial: args.serial.clone(),
        seed: args.seed,
        auth: args.auth,
        faults: args.fault.clone(),
        battery: args.battery,
        wifi: !args.no_wifi,
        ..Config::default()
    };
    let phone = VirtualPhone::start(config).context("could not start the virtual phone")?;
    let (stop_tx, stop_rx) = std::sync::mpsc::sync_channel(1);
    ctrlc::set_handler(move || {
        let _ = stop_tx.try_send(());
    })
    .context("could not install the Ctrl-C handler")?;
    let ready = serde_json::json!({
        "event": "ready",
        "addr": phone.addr().to_string(),
        "serial": phone.serial(),
        "model": args.model,
        "storage": phone.phone().storage.root(),
        "wlan0": phone.wlan0_addr().map(|ip| ip.to_string()),
        "connect": format!("adb connect {}", phone.addr()),
    });
    println!("{ready}");
    eprintln!(
        "Virtual phone \"{}\" ({}) is ready. Connect with:  adb connect {}   (Ctrl-C stops it)",
        args.model,
        args.serial,
        phone.addr()
    );
    let _ = stop_rx.recv();
    let stats = phone.stop();
    println!("{}", serde_json::json!({ "event": "stopped", "stats": stats }));
    Ok(())
}
