//! `phonebak wifi`: use a phone over Wi-Fi. `on` switches a phone on the cable to Wi-Fi (as `adb tcpip 5555`
//! and `adb connect` do) and remembers it, so the automatic backup connects it again when it is around;
//! `pair` pairs with Android 11's wireless debugging; `list` and `forget` manage the remembered phones.

use super::common::{pick_device, stdout_ok};
use crate::device::{self, Adb, Pairing};
use crate::settings::{Settings, WifiPhone};
use anyhow::{Context as _, bail};
use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

/// Options of `phonebak wifi`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: WifiCommand,
}

#[derive(Debug, clap::Subcommand)]
enum WifiCommand {
    /// Switch a phone connected by USB to Wi-Fi and remember it (the automatic backup then reaches it without
    /// the cable, on the same network).
    On {
        /// The phone (its adb serial); needed when several are connected.
        #[arg(long, value_name = "SERIAL")]
        device: Option<String>,
    },
    /// Pair with a phone's wireless debugging (Android 11 and newer: Settings > Developer options > Wireless
    /// debugging > Pair device with pairing code). Needs adb from platform-tools 30 or newer.
    Pair {
        /// The address the pairing screen shows (HOST:PORT).
        address: String,
        /// The six-digit code the pairing screen shows (asked for when left out).
        code: Option<String>,
    },
    /// List the phones remembered for Wi-Fi, and the phones with wireless debugging the adb server sees on
    /// the network (where it looks: adb 30 and newer).
    List,
    /// Forget a phone remembered for Wi-Fi (by its serial, model or address) and disconnect it.
    Forget {
        /// Its serial, model or HOST:PORT.
        phone: String,
    },
}

fn settings_file() -> anyhow::Result<std::path::PathBuf> {
    crate::settings::settings_path().context("No settings folder: set HOME (or XDG_CONFIG_HOME)")
}

/// Runs `phonebak wifi ...`.
pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let out = &mut std::io::stdout();
    match &args.command {
        WifiCommand::On { device } => {
            let path = settings_file()?;
            // Checked first: a damaged settings file is not written over, and nothing is switched.
            let mut settings = Settings::load_checked(&path)?;
            let adb = Adb::find()?;
            let phone = pick_device(device.as_deref())?;
            let info = phone.info()?;
            let address = device::switch_to_wifi(&adb, &phone, Duration::from_secs(15))?;
            settings.remember_wifi(WifiPhone {
                phone_serial: info.serial.clone(),
                model: info.model.clone(),
                address: address.clone(),
            });
            settings.save(&path).with_context(|| format!("Could not save the settings in {}", path.display()))?;
            stdout_ok(writeln!(
                out,
                "{} is connected over Wi-Fi at {address}: you can unplug the cable. phonebak connects it again \
                 when it is on this network (until the phone restarts; then connect it by USB and run this again).",
                info.model
            ))?;
            Ok(ExitCode::SUCCESS)
        }
        WifiCommand::Pair { address, code } => {
            let code = if let Some(code) = code {
                code.clone()
            } else {
                stdout_ok(write!(out, "Pairing code: ").and_then(|()| out.flush()))?;
                let mut line = String::new();
                std::io::stdin().read_line(&mut line).context("Could not read the pairing code")?;
                line.trim().to_string()
            };
            if code.is_empty() || !code.chars().all(|c| c.is_ascii_alphanumeric()) {
                bail!("The pairing code is the six digits the phone shows under \"Pair device with pairing code\".");
            }
            match Adb::find()?.pair(address, &code)? {
                Pairing::Paired(said) => {
                    stdout_ok(writeln!(
                        out,
                        "{said}. Now connect it with the address shown under \"Wireless debugging\" (IP address & \
                         Port): adb connect HOST:PORT."
                    ))?;
                    Ok(ExitCode::SUCCESS)
                }
                Pairing::Unsupported { guidance } => bail!(guidance),
            }
        }
        WifiCommand::List => {
            let settings = Settings::load_checked(&settings_file()?)?;
            if settings.wifi.is_empty() {
                stdout_ok(writeln!(out, "No phone is remembered for Wi-Fi."))?;
            }
            for phone in &settings.wifi {
                stdout_ok(writeln!(out, "{} ({}) at {}", phone.model, phone.phone_serial, phone.address))?;
            }
            match Adb::find().and_then(|adb| adb.mdns_services()) {
                Ok(Some(found)) if found.is_empty() => {
                    stdout_ok(writeln!(out, "No phone with wireless debugging is seen on this network."))?;
                }
                Ok(Some(found)) => {
                    stdout_ok(writeln!(out, "On this network (wireless debugging):"))?;
                    for service in found {
                        let what = if service.is_pairing() { "waiting for a pairing code" } else { "ready to connect" };
                        stdout_ok(writeln!(out, "  {} at {}: {what}", service.name, service.address))?;
                    }
                }
                Ok(None) => stdout_ok(writeln!(
                    out,
                    "This adb does not look for phones on the network (wireless debugging needs platform-tools 30 \
                     or newer)."
                ))?,
                Err(e) => tracing::debug!("no mDNS list: {e}"),
            }
            Ok(ExitCode::SUCCESS)
        }
        WifiCommand::Forget { phone } => {
            let path = settings_file()?;
            let mut settings = Settings::load_checked(&path)?;
            let Some(found) = settings
                .wifi
                .iter()
                .find(|w| w.phone_serial == *phone || w.address == *phone || w.model == *phone)
                .cloned()
            else {
                bail!("No phone remembered for Wi-Fi is called {phone} (see `phonebak wifi list`).");
            };
            settings.wifi.retain(|w| w != &found);
            settings.save(&path).with_context(|| format!("Could not save the settings in {}", path.display()))?;
            // Disconnecting a phone that is away is fine.
            let _ = Adb::find().map(|adb| adb.disconnect(&found.address));
            stdout_ok(writeln!(out, "{} ({}) is no longer used over Wi-Fi.", found.model, found.address))?;
            Ok(ExitCode::SUCCESS)
        }
    }
}
