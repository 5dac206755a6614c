//! `phonebak folders`: what a backup would take, folder by folder, and what the phone's gallery hides (so that
//! nothing seems lost: hidden files are summarized, with the reason the gallery hides them).

use super::common::{date, human_bytes, json_path, lossy, pick_device, print_json, stdout_ok};
use crate::device::Device;
use crate::scan::{self, Gallery, ScanOptions};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::json;
use std::fmt::Write as _;
use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use std::time::Duration;

/// Options of `phonebak folders`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The phone to read (its serial in `phonebak devices`); needed only when several are ready.
    #[arg(long, value_name = "SERIAL")]
    device: Option<String>,
    /// Print one JSON object instead of text.
    #[arg(long)]
    json: bool,
}

/// Scans the phone's gallery, with a spinner when stderr is a terminal.
pub fn scan_gallery(device: &Device, cancel: &scan::CancelToken, show: bool) -> anyhow::Result<Gallery> {
    let spinner = (show && std::io::stderr().is_terminal()).then(|| {
        let bar = ProgressBar::new_spinner();
        if let Ok(style) = ProgressStyle::with_template("{spinner} {msg}") {
            bar.set_style(style);
        }
        bar.enable_steady_tick(Duration::from_millis(120));
        bar
    });
    let progress = |p: scan::ScanProgress<'_>| {
        if let Some(bar) = &spinner {
            bar.set_message(format!(
                "Reading the phone's folders: {} listed, {} photos and videos found",
                p.folders_listed, p.media_found
            ));
        }
    };
    let result = scan::scan(device, &ScanOptions::default(), &progress, cancel);
    if let Some(bar) = spinner {
        bar.finish_and_clear();
    }
    let gallery = result?;
    tracing::info!(
        folders = gallery.folders.len(),
        hidden = gallery.hidden.len(),
        listed = gallery.stats.folders_listed,
        elapsed_ms = gallery.stats.elapsed.as_millis() as u64,
        "scanned the gallery"
    );
    Ok(gallery)
}

/// Runs `phonebak folders`.
pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let device = pick_device(args.device.as_deref())?;
    let info = device.info()?;
    let gallery = scan_gallery(&device, &scan::CancelToken::new(), !args.json)?;
    if args.json {
        let folders: Vec<_> = gallery
            .folders
            .iter()
            .map(|f| {
                json!({
                    "name": f.name,
                    "path": json_path(f.relative_path()),
                    "source": f.source,
                    "photos": f.photos,
                    "videos": f.videos,
                    "bytes": f.bytes,
                    "oldest": f.oldest,
                    "newest": f.newest,
                })
            })
            .collect();
        let hidden: Vec<_> = gallery
            .hidden
            .iter()
            .map(|h| {
                json!({
                    "name": h.name,
                    "path": json_path(h.relative_path()),
                    "reason": h.reason,
                    "why": h.reason.describe(),
                    "count": h.count,
                    "bytes": h.bytes,
                })
            })
            .collect();
        let unreadable: Vec<_> =
            gallery.unreadable.iter().map(|u| json!({ "path": json_path(&u.path), "message": u.message })).collect();
        stdout_ok(print_json(&json!({
            "serial": device.serial(),
            "model": info.model,
            "folders": folders,
            "hidden": hidden,
            "unreadable": unreadable,
            "photos": gallery.photos(),
            "videos": gallery.videos(),
            "bytes": gallery.bytes(),
        })))?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut text = format!(
        "{} ({}): {} photos, {} videos, {} in {} folders\n",
        info.model,
        device.serial(),
        gallery.photos(),
        gallery.videos(),
        human_bytes(gallery.bytes()),
        gallery.folders.len()
    );
    if !gallery.folders.is_empty() {
        let width = gallery.folders.iter().map(|f| f.name.chars().count()).max().unwrap_or(0).max(6);
        let _ = writeln!(
            text,
            "{:<width$}  {:>7}  {:>7}  {:>9}  {:<10}  {:<10}  path",
            "folder", "photos", "videos", "size", "oldest", "newest"
        );
        for f in &gallery.folders {
            let _ = writeln!(
                text,
                "{:<width$}  {:>7}  {:>7}  {:>9}  {:<10}  {:<10}  {}",
                f.name,
                f.photos,
                f.videos,
                human_bytes(f.bytes),
                date(f.oldest),
                date(f.newest),
                f.relative_path_lossy()
            );
        }
    }
    if !gallery.hidden.is_empty() {
        let count: usize = gallery.hidden.iter().map(|h| h.count).sum();
        let bytes: u64 = gallery.hidden.iter().map(|h| h.bytes).sum();
        let _ = writeln!(
            text,
            "Hidden from the phone's gallery (still on the phone, not backed up): {count} files, {} in {} folders",
            human_bytes(bytes),
            gallery.hidden.len()
        );
        for h in &gallery.hidden {
            let _ = writeln!(
                text,
                "  {}: {} files, {} ({})",
                lossy(h.relative_path()),
                h.count,
                human_bytes(h.bytes),
                h.reason.describe()
            );
        }
    }
    for u in &gallery.unreadable {
        let _ = writeln!(text, "Could not read {}: {}", lossy(&u.path), u.message);
    }
    let mut out = std::io::stdout().lock();
    stdout_ok(out.write_all(text.as_bytes()).and_then(|()| out.flush()))?;
    Ok(ExitCode::SUCCESS)
}
