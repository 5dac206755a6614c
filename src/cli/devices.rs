//! `phonebak devices`: every phone adb knows, in every state, with the step that makes it usable, plus the
//! phones on USB that adb cannot see at all (USB debugging off), which are the ones people most often miss.

use super::common::{print_json, stdout_ok};
use crate::device::Adb;
use serde_json::json;
use std::fmt::Write as _;
use std::io::Write;
use std::process::ExitCode;

/// Options of `phonebak devices`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Print one JSON object instead of text.
    #[arg(long)]
    json: bool,
}

/// Runs `phonebak devices`.
pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let adb = Adb::find()?;
    let listed = adb.devices()?;
    let unlisted = adb.unlisted_usb_phones(&listed);
    tracing::info!(listed = listed.len(), unlisted = unlisted.len(), "listed phones");
    if args.json {
        let devices: Vec<_> = listed
            .iter()
            .map(|d| {
                json!({
                    "serial": d.serial,
                    "state": d.state.as_str(),
                    "ready": d.state.is_ready(),
                    "model": d.model.as_ref().map(|m| m.replace('_', " ")),
                    "product": d.product,
                    "usb_path": d.usb_path,
                    "guidance": d.guidance(),
                })
            })
            .collect();
        let usb: Vec<_> = unlisted
            .iter()
            .map(|u| {
                json!({
                    "name": u.display_name(),
                    "vendor_id": format!("{:04x}", u.vendor_id),
                    "product_id": format!("{:04x}", u.product_id),
                    "serial": u.serial,
                    "port_path": u.port_path,
                    "guidance": u.guidance(),
                })
            })
            .collect();
        stdout_ok(print_json(&json!({ "devices": devices, "unlisted_usb": usb })))?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut out = std::io::stdout().lock();
    let mut text = String::new();
    if listed.is_empty() && unlisted.is_empty() {
        text.push_str(
            "No phone found. Connect the phone with a USB cable, unlock it and turn on USB debugging: on the \
             phone open Settings > About phone and tap \"Build number\" seven times, then Settings > System > \
             Developer options > \"USB debugging\".\n",
        );
    }
    for d in &listed {
        let _ = writeln!(text, "{}\t{}\t{}", d.serial, d.state.as_str(), d.display_name());
        let guidance = d.guidance();
        if !guidance.is_empty() {
            for line in guidance.lines() {
                let _ = writeln!(text, "    {line}");
            }
        }
    }
    for u in &unlisted {
        let serial = u.serial.as_deref().unwrap_or("?");
        let _ = writeln!(text, "{serial}\tnot seen by adb (USB {})\t{}", u.port_path, u.display_name());
        let _ = writeln!(text, "    {}", u.guidance());
    }
    stdout_ok(out.write_all(text.as_bytes()).and_then(|()| out.flush()))?;
    Ok(ExitCode::SUCCESS)
}
