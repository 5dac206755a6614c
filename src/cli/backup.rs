//! `phonebak backup`: scan, choose, plan, then copy with the engine, showing progress as a bar on a terminal
//! or as JSON lines for scripts. Ctrl-C asks the engine to stop through its cancel token, so an interrupted
//! backup keeps every verified file and the next run continues.

use super::common::{
    cancel_on_ctrl_c, human_bytes, json_path, lossy, parse_date, pick_device, print_json, print_plan, stdout_ok,
    with_progress,
};
use super::folders::scan_gallery;
use crate::backup::{self, BackupPlan, BackupReport, Manifest};
use crate::scan::{self, MediaFile};
use anyhow::bail;
use serde_json::json;
use std::fmt::Write as _;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

/// Options of `phonebak backup`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The backup folder (made if missing). The phone's files go to `DIR/<Model> (<serial>)/`.
    #[arg(long, value_name = "DIR")]
    to: PathBuf,
    /// The phone to back up (its serial in `phonebak devices`); needed only when several are ready.
    #[arg(long, value_name = "SERIAL")]
    device: Option<String>,
    /// Back up only this folder: its name in `phonebak folders` ("Camera") or its path ("DCIM/Camera").
    /// Repeatable.
    #[arg(long, value_name = "NAME")]
    folder: Vec<String>,
    /// Back up only files modified on or after this day (YYYY-MM-DD, UTC).
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    since: Option<i64>,
    /// Encrypt the backup with a password (asked, or `PHONEBAK_PASSWORD`). Only for an empty or encrypted folder;
    /// later runs into an encrypted folder stay encrypted and ask for the password, with or without this.
    #[arg(long)]
    encrypt: bool,
    /// What to back up, comma-separated: `photos` (the gallery's photos and videos), `contacts` (a vCard
    /// and the provider's rows in `<Model> (<serial>)/Contacts/`), `messages` (SMS, MMS text and the call log
    /// as JSON and HTML pages in `<Model> (<serial>)/Messages/`), `whatsapp` (every file of `WhatsApp`'s
    /// folders: its encrypted chat backups and media, beside the photos, as on the phone).
    #[arg(long, value_name = "WHAT", value_delimiter = ',', default_value = "photos")]
    what: Vec<What>,
    /// Print what would be copied, and copy nothing.
    #[arg(long)]
    dry_run: bool,
    /// Print JSON lines (the plan, progress events, the report) instead of text.
    #[arg(long)]
    json: bool,
}

/// A kind of data `phonebak backup --what` backs up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum What {
    /// The gallery's photos and videos.
    Photos,
    /// The phone's contacts.
    Contacts,
    /// The phone's text messages and call log.
    Messages,
    /// `WhatsApp`'s (and `WhatsApp` Business') folders, every file.
    Whatsapp,
}

/// The files of the chosen folders (all the gallery's when none is chosen), modified on or after `since`.
fn choose(gallery: &scan::Gallery, folders: &[String], since: Option<i64>) -> anyhow::Result<Vec<MediaFile>> {
    let mut files: Vec<MediaFile> = if folders.is_empty() {
        gallery.files().cloned().collect()
    } else {
        let mut chosen = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for name in folders {
            let Some(folder) = gallery.folder(name) else {
                let known: Vec<&str> = gallery.folders.iter().map(|f| f.name.as_str()).collect();
                bail!(
                    "The phone has no gallery folder named {name:?}. Use a name or path from `phonebak folders`; \
                     the folders are: {}",
                    if known.is_empty() { "(none)".to_string() } else { known.join(", ") }
                );
            };
            if seen.insert(folder.path.clone()) {
                chosen.extend(folder.files.iter().cloned());
            }
        }
        chosen
    };
    if let Some(since) = since {
        files.retain(|f| f.mtime >= since);
    }
    Ok(files)
}

fn plan_json(plan: &BackupPlan) -> serde_json::Value {
    let files: Vec<_> = plan
        .new
        .iter()
        .map(|p| (p, "new"))
        .chain(plan.changed.iter().map(|p| (p, "changed")))
        .map(|(p, status)| {
            json!({
                "status": status,
                "phone_path": json_path(&p.file.path),
                "local_path": json_path(&p.local_path),
                "size": p.file.size,
                "mtime": p.file.mtime,
            })
        })
        .collect();
    let skipped: Vec<_> =
        plan.skipped.iter().map(|s| json!({ "phone_path": json_path(&s.file.path), "reason": s.reason })).collect();
    let t = &plan.totals;
    json!({
        "event": "plan",
        "dest": plan.dest.to_string_lossy(),
        "device_folder": plan.device_folder,
        "new_files": t.new_files,
        "changed_files": t.changed_files,
        "files_to_copy": t.files_to_copy,
        "bytes_to_copy": t.bytes_to_copy,
        "unchanged_files": t.unchanged_files,
        "unchanged_bytes": t.unchanged_bytes,
        "files": files,
        "skipped": skipped,
    })
}

fn plan_text(plan: &BackupPlan, list_files: bool) -> String {
    let t = &plan.totals;
    let mut text = format!(
        "To copy: {} files, {} ({} new, {} changed on the phone); already backed up: {} files, {}.\n",
        t.files_to_copy,
        human_bytes(t.bytes_to_copy),
        t.new_files,
        t.changed_files,
        t.unchanged_files,
        human_bytes(t.unchanged_bytes)
    );
    if list_files {
        for p in &plan.new {
            let _ = writeln!(text, "  new      {}  ({})", lossy(&p.local_path), human_bytes(p.file.size));
        }
        for p in &plan.changed {
            let _ = writeln!(text, "  changed  {}  ({})", lossy(&p.local_path), human_bytes(p.file.size));
        }
    }
    for s in &plan.skipped {
        let _ = writeln!(text, "  skipped  {}: {}", lossy(&s.file.path), s.reason);
    }
    text
}

fn report_json(report: &BackupReport) -> serde_json::Value {
    let failed: Vec<_> =
        report.failed.iter().map(|f| json!({ "phone_path": json_path(&f.phone_path), "reason": f.reason })).collect();
    json!({
        "event": "report",
        "copied_files": report.copied.len(),
        "bytes_copied": report.bytes_copied,
        "bytes_pulled": report.bytes_pulled,
        "unchanged_files": report.unchanged_files,
        "stored_once_files": report.stored_once,
        "stored_once_bytes": report.bytes_stored_once,
        "failed": failed,
        "elapsed_secs": report.elapsed.as_secs_f64(),
    })
}

/// Runs `phonebak backup`: the photos, then the contacts, as `--what` asks. Exit code 3 when a part could
/// not be backed up whole (the other parts are done).
pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let cancel = cancel_on_ctrl_c("finished files are kept")?;
    let device = pick_device(args.device.as_deref())?;
    let info = device.info()?;
    tracing::info!(serial = info.serial, model = info.model, dest = %args.to.display(), "backup started");
    let vault = super::common::open_folder(&args.to, args.encrypt && !args.dry_run)?;
    let mut whole = true;
    if args.what.contains(&What::Photos) || args.what.contains(&What::Whatsapp) {
        whole &= backup_photos(args, &device, &info, vault.clone(), &cancel)?;
    }
    if args.what.contains(&What::Contacts) {
        whole &= backup_contacts(args, &device, &info, vault.as_deref())?;
    }
    if args.what.contains(&What::Messages) {
        let opts = super::messages::Options { to: &args.to, json: args.json, dry_run: args.dry_run };
        whole &= super::messages::backup_messages(&opts, &device, &info, vault.as_deref())?;
    }
    Ok(if whole { ExitCode::SUCCESS } else { ExitCode::from(3) })
}

/// Saves the phone's contacts into its folder of the backup; false when they could not be.
fn backup_contacts(
    args: &Args,
    device: &crate::device::Device,
    info: &crate::device::DeviceInfo,
    vault: Option<&crate::vault::Vault>,
) -> anyhow::Result<bool> {
    let refuse = |why: String| -> anyhow::Result<bool> {
        if args.json {
            stdout_ok(print_json(&json!({ "event": "contacts_not_saved", "reason": why })))?;
        } else {
            eprintln!("phonebak: contacts not saved: {why}");
        }
        Ok(false)
    };
    let book = match crate::contacts::read_contacts(device, info.sdk) {
        Ok(book) => book,
        Err(e) => return refuse(e.to_string()),
    };
    for note in &book.notes {
        eprintln!("phonebak: {note}");
    }
    if args.dry_run {
        if args.json {
            stdout_ok(print_json(&json!({ "event": "contacts_plan", "contacts": book.contacts.len() })))?;
        } else {
            stdout_ok(writeln!(std::io::stdout(), "Would save {} contacts.", book.contacts.len()))?;
        }
        return Ok(true);
    }
    let saved = crate::backup::documents::save_for_phone(
        &args.to,
        &info.serial,
        &info.model,
        vault,
        "contacts",
        |docs, folder, day| crate::contacts::store::save_in(docs, folder, &book, day),
    )?;
    if args.json {
        stdout_ok(print_json(&json!({
            "event": "contacts", "contacts": saved.contacts, "vcard": saved.vcard.to_string_lossy(),
            "unchanged": saved.unchanged, "previous": saved.previous.as_ref().map(|p| p.to_string_lossy()),
        })))?;
    } else {
        let mut text = format!(
            "Saved {} contacts to {}{}",
            saved.contacts,
            saved.vcard.display(),
            if vault.is_some() { " (encrypted)" } else { "" }
        );
        if saved.unchanged {
            text.push_str(" (unchanged since the last backup)");
        }
        if let Some(previous) = &saved.previous {
            let _ = write!(text, "; the previous version is {}", previous.display());
        }
        stdout_ok(writeln!(std::io::stdout(), "{text}."))?;
    }
    Ok(true)
}

/// Adds `WhatsApp`'s files (modified on or after `--since`) to `files`, once each; false when a folder of
/// theirs could not be read.
fn add_whatsapp(
    args: &Args,
    device: &crate::device::Device,
    cancel: &crate::progress::CancelToken,
    files: &mut Vec<MediaFile>,
) -> anyhow::Result<bool> {
    let found = crate::whatsapp::list(device, cancel)?;
    let summary = found.summary();
    if args.json {
        let roots: Vec<_> = found.roots.iter().map(|r| r.root.relative()).collect();
        let unreadable: Vec<_> =
            found.unreadable.iter().map(|u| json!({ "phone_path": json_path(&u.path), "reason": u.message })).collect();
        stdout_ok(print_json(&json!({
            "event": "whatsapp", "folders": roots, "files": summary.files, "bytes": summary.bytes,
            "unreadable": unreadable, "note": crate::whatsapp::NOT_DECRYPTED,
        })))?;
    } else {
        let mut text = if found.roots.is_empty() {
            "WhatsApp: no WhatsApp folder on this phone.\n".to_string()
        } else {
            let roots: Vec<_> = found.roots.iter().map(|r| r.root.to_string()).collect();
            format!("{summary} (in {}).\n", roots.join(", "))
        };
        for u in &found.unreadable {
            let _ = writeln!(text, "  not readable  {}: {}", lossy(&u.path), u.message);
        }
        let _ = writeln!(text, "{}", crate::whatsapp::NOT_DECRYPTED);
        stdout_ok(std::io::stdout().write_all(text.as_bytes()))?;
    }
    let known: std::collections::HashSet<Vec<u8>> = files.iter().map(|f| f.path.clone()).collect();
    files.extend(
        found.files.into_iter().filter(|f| !known.contains(&f.path) && args.since.is_none_or(|since| f.mtime >= since)),
    );
    Ok(found.unreadable.is_empty())
}

/// Backs up the gallery's photos and videos and `WhatsApp`'s files, as `--what` asks, in one run into the same
/// manifest; false when some could not be.
fn backup_photos(
    args: &Args,
    device: &crate::device::Device,
    info: &crate::device::DeviceInfo,
    vault: Option<std::sync::Arc<crate::vault::Vault>>,
    cancel: &crate::progress::CancelToken,
) -> anyhow::Result<bool> {
    let mut files = Vec::new();
    if args.what.contains(&What::Photos) {
        let gallery = scan_gallery(device, cancel, !args.json)?;
        files = choose(&gallery, &args.folder, args.since)?;
    }
    let mut whole = true;
    if args.what.contains(&What::Whatsapp) {
        whole &= add_whatsapp(args, device, cancel, &mut files)?;
    }
    let manifest = Manifest::load_or_new_in(&args.to, &info.serial, &info.model, vault.as_deref())?;
    let plan = backup::plan_in(&files, &args.to, &manifest, vault);
    tracing::info!(
        files = plan.totals.files_to_copy,
        bytes = plan.totals.bytes_to_copy,
        unchanged = plan.totals.unchanged_files,
        dry_run = args.dry_run,
        "planned"
    );
    print_plan(args.json, || plan_json(&plan), || plan_text(&plan, args.dry_run))?;
    if args.dry_run {
        return Ok(whole);
    }
    let report =
        with_progress(args.json, plan.totals.bytes_to_copy, |shown| backup::execute(&plan, device, shown, cancel))?;
    tracing::info!(
        copied = report.copied.len(),
        bytes = report.bytes_copied,
        failed = report.failed.len(),
        "backup finished"
    );
    if args.json {
        stdout_ok(print_json(&report_json(&report)))?;
    } else {
        let mut text = format!(
            "Backed up {} files ({}) in {:.1} s; {} already backed up. Backup folder: {}\n",
            report.copied.len(),
            human_bytes(report.bytes_copied),
            report.elapsed.as_secs_f64(),
            report.unchanged_files,
            if plan.vault.is_some() {
                format!("{} (encrypted)", plan.dest.display())
            } else {
                plan.dest.join(&plan.device_folder).display().to_string()
            }
        );
        if report.stored_once > 0 {
            let _ = writeln!(
                text,
                "{} of them ({}) have the same content as another file of the backup (a WhatsApp copy, a download \
                 saved twice): stored once on disk.",
                report.stored_once,
                human_bytes(report.bytes_stored_once)
            );
        }
        if !report.failed.is_empty() {
            let _ = writeln!(
                text,
                "{} files could not be backed up (run the backup again to retry them):",
                report.failed.len()
            );
            for f in &report.failed {
                let _ = writeln!(text, "  {}: {}", lossy(&f.phone_path), f.reason);
            }
        }
        let mut out = std::io::stdout().lock();
        stdout_ok(out.write_all(text.as_bytes()).and_then(|()| out.flush()))?;
    }
    Ok(whole && report.failed.is_empty())
}
