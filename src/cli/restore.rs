//! `phonebak restore`: open a backup folder, choose what to restore, plan it against the phone, then push with
//! the engine, showing progress as a bar on a terminal or as JSON lines. Ctrl-C stops after the current block;
//! what was restored stays, and the next run skips it.

use super::common::{
    cancel_on_ctrl_c, human_bytes, json_path, lossy, parse_date, pick_device, print_json, print_plan, stdout_ok,
    with_progress,
};
use crate::restore::{self, RestorePlan, RestoreReport, Selection};
use anyhow::Context as _;
use serde_json::json;
use std::fmt::Write as _;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

/// Options of `phonebak restore`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The backup folder (the one given to `phonebak backup --to`).
    #[arg(long, value_name = "DIR")]
    from: PathBuf,
    /// The phone to restore to (its serial in `phonebak devices`); needed only when several are ready.
    #[arg(long, value_name = "SERIAL")]
    device: Option<String>,
    /// Which phone's backup to restore, when the folder holds several (default: the only one, or the backup
    /// of the phone restored to).
    #[arg(long, value_name = "SERIAL")]
    backup_of: Option<String>,
    /// Restore only files whose path below the phone's storage matches: a folder ("DCIM/Camera"), a file, or
    /// a glob ("DCIM/Camera/*.jpg", "Pictures/**"). Repeatable.
    #[arg(long, value_name = "GLOB")]
    only: Vec<String>,
    /// Restore only files modified on or after this day (YYYY-MM-DD, UTC).
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    since: Option<i64>,
    /// Restore only files modified before this day (YYYY-MM-DD, UTC).
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    until: Option<i64>,
    /// Put back exactly the photos and videos that `phonebak free-up` removed from the phone on this day
    /// (YYYY-MM-DD, or `last` for the latest free-up), as the backup folder's free-up journal lists them.
    #[arg(long, value_name = "DATE")]
    freed_on: Option<String>,
    /// What to restore, comma-separated: `photos` (the default: the backup's files outside `WhatsApp`'s
    /// folders, and the photos and videos in them), `contacts` (the backup's `Contacts/contacts.vcf`, added to
    /// the phone's own contacts; those it has already are skipped), `messages` (not possible: only the phone's
    /// SMS app may write them; says where the readable copy is), `whatsapp` (every file of `WhatsApp`'s
    /// folders, into the folder `WhatsApp` uses on this phone's Android version; before `WhatsApp` is set up).
    #[arg(long, value_name = "WHAT", value_delimiter = ',', default_value = "photos")]
    what: Vec<What>,
    /// Print what would be restored, and write nothing.
    #[arg(long)]
    dry_run: bool,
    /// Print JSON lines (the plan, progress events, the report) instead of text.
    #[arg(long)]
    json: bool,
}

/// A kind of data `phonebak restore --what` restores.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum What {
    /// The photos and videos.
    Photos,
    /// The contacts.
    Contacts,
    /// The messages (which Android does not let phonebak write).
    Messages,
    /// `WhatsApp`'s files.
    Whatsapp,
}

fn plan_json(plan: &RestorePlan) -> serde_json::Value {
    let files: Vec<_> = plan
        .to_push
        .iter()
        .map(|p| {
            json!({
                "local_path": json_path(&p.selected.entry.local_path.0),
                "phone_path": json_path(&p.target),
                "wanted": json_path(&p.selected.target),
                "renamed": p.renamed(),
                "size": p.selected.entry.size,
                "mtime": p.selected.entry.mtime,
            })
        })
        .collect();
    let unavailable: Vec<_> =
        plan.unavailable.iter().map(|(s, why)| json!({ "phone_path": json_path(&s.target), "reason": why })).collect();
    let t = &plan.totals;
    json!({
        "event": "plan",
        "from": plan.backup_dir.to_string_lossy(),
        "backup_of": plan.source_serial,
        "files_to_copy": t.files_to_push,
        "bytes_to_copy": t.bytes_to_push,
        "renamed": t.renamed,
        "already_on_phone": t.identical_files,
        "already_on_phone_bytes": t.identical_bytes,
        "phone_free_bytes": plan.free_bytes,
        "files": files,
        "unavailable": unavailable,
    })
}

fn plan_text(plan: &RestorePlan, list_files: bool) -> String {
    let t = &plan.totals;
    let mut text = format!(
        "To restore: {} files, {}{}; already on the phone: {} files, {}.",
        t.files_to_push,
        human_bytes(t.bytes_to_push),
        if t.renamed > 0 {
            format!(" ({} under a new name: a different file has theirs)", t.renamed)
        } else {
            String::new()
        },
        t.identical_files,
        human_bytes(t.identical_bytes)
    );
    if let Some(free) = plan.free_bytes {
        let _ = write!(text, " The phone has {} free.", human_bytes(free));
    }
    text.push('\n');
    if list_files {
        for p in &plan.to_push {
            if p.renamed() {
                let _ = writeln!(text, "  restore  {}  (as {})", lossy(&p.selected.target), lossy(&p.target));
            } else {
                let _ = writeln!(text, "  restore  {}  ({})", lossy(&p.target), human_bytes(p.selected.entry.size));
            }
        }
    }
    for (s, why) in &plan.unavailable {
        let _ = writeln!(text, "  skipped  {}: {why}", lossy(&s.target));
    }
    text
}

fn report_json(report: &RestoreReport) -> serde_json::Value {
    let renamed: Vec<_> = report
        .restored
        .iter()
        .filter(|r| r.renamed())
        .map(|r| json!({ "wanted": json_path(&r.wanted), "phone_path": json_path(&r.phone_path) }))
        .collect();
    let failed: Vec<_> =
        report.failed.iter().map(|f| json!({ "phone_path": json_path(&f.phone_path), "reason": f.reason })).collect();
    let not_indexed: Vec<_> = report
        .not_indexed
        .iter()
        .map(|f| json!({ "phone_path": json_path(&f.phone_path), "reason": f.reason }))
        .collect();
    json!({
        "event": "report",
        "restored_files": report.restored.len(),
        "bytes_restored": report.bytes_restored,
        "bytes_pushed": report.bytes_pushed,
        "already_on_phone": report.already_there,
        "renamed": renamed,
        "failed": failed,
        "indexed": report.indexed,
        "not_indexed": not_indexed,
        "stale_temps_removed": report.stale_temps_removed,
        "elapsed_secs": report.elapsed.as_secs_f64(),
    })
}

fn report_text(report: &RestoreReport) -> String {
    let mut text = format!(
        "Restored {} files ({}) in {:.1} s; {} already on the phone were skipped.\n",
        report.restored.len(),
        human_bytes(report.bytes_restored),
        report.elapsed.as_secs_f64(),
        report.already_there
    );
    let renamed: Vec<_> = report.restored.iter().filter(|r| r.renamed()).collect();
    if !renamed.is_empty() {
        let _ = writeln!(text, "{} restored under a new name, because a different file had theirs:", renamed.len());
        for r in renamed {
            let _ = writeln!(text, "  {}  ->  {}", lossy(&r.wanted), lossy(&r.phone_path));
        }
    }
    if !report.failed.is_empty() {
        let _ = writeln!(text, "{} files could not be restored:", report.failed.len());
        for f in &report.failed {
            let _ = writeln!(text, "  {}: {}", lossy(&f.phone_path), f.reason);
        }
    }
    if !report.not_indexed.is_empty() {
        let _ = writeln!(
            text,
            "{} files are on the phone but its gallery may not show them until it rescans (a restart does it):",
            report.not_indexed.len()
        );
        for f in &report.not_indexed {
            let _ = writeln!(text, "  {}: {}", lossy(&f.phone_path), f.reason);
        }
    }
    text
}

/// The backup copies of the files that free-ups took from phone `serial` on `day` (`last`: the latest).
fn freed_on(
    from: &std::path::Path,
    vault: Option<&crate::vault::Vault>,
    serial: &str,
    day: &str,
) -> anyhow::Result<std::collections::HashSet<Vec<u8>>> {
    if day != "last" {
        parse_date(day).map_err(anyhow::Error::msg)?;
    }
    let freed = crate::freeup::freed(from, serial, vault)?;
    let chosen = crate::freeup::freed_on(&freed, day);
    if chosen.is_empty() {
        let days = crate::freeup::days(&freed);
        let known = if days.is_empty() {
            "no free-up of this phone is recorded there".to_string()
        } else {
            let list: Vec<String> = days
                .iter()
                .map(|(d, (n, bytes))| format!("{d} ({n} photos and videos, {})", human_bytes(*bytes)))
                .collect();
            format!("free-ups recorded there: {}", list.join(", "))
        };
        anyhow::bail!("No free-up took photos from {serial} on {day} according to {}: {known}.", from.display());
    }
    Ok(chosen.into_iter().map(|f| f.local_path.clone()).collect())
}

/// Runs `phonebak restore`.
pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let mut whole = true;
    if args.what.contains(&What::Photos) || args.what.contains(&What::Whatsapp) {
        whole &= restore_photos(args)?;
    }
    if args.what.contains(&What::Contacts) {
        whole &= restore_contacts(args)?;
    }
    if args.what.contains(&What::Messages) {
        whole &= super::messages::restore_messages(&args.from, args.json)?;
    }
    Ok(if whole { ExitCode::SUCCESS } else { ExitCode::from(3) })
}

/// The backup's vCard of phone `backup_of` (or of the only phone whose contacts the folder holds).
fn contacts_file(from: &std::path::Path, backup_of: Option<&str>) -> anyhow::Result<std::path::PathBuf> {
    let mut found = Vec::new();
    for entry in
        std::fs::read_dir(from).with_context(|| format!("Could not read the backup folder {}", from.display()))?
    {
        let entry = entry?;
        let vcf = entry.path().join(crate::contacts::store::FOLDER).join("contacts.vcf");
        let name = entry.file_name().to_string_lossy().into_owned();
        if vcf.is_file() && backup_of.is_none_or(|s| name.ends_with(&format!("({s})"))) {
            found.push((name, vcf));
        }
    }
    match found.len() {
        1 => Ok(found.remove(0).1),
        0 => anyhow::bail!(
            "{} holds no contacts{}: back them up with `phonebak backup --what contacts`.",
            from.display(),
            backup_of.map(|s| format!(" of {s}")).unwrap_or_default()
        ),
        _ => {
            let names: Vec<String> = found.into_iter().map(|(n, _)| n).collect();
            anyhow::bail!(
                "{} holds the contacts of several phones ({}): choose one with --backup-of SERIAL.",
                from.display(),
                names.join(", ")
            )
        }
    }
}

/// The vCard of an encrypted backup folder (asks its password): the one of phone `--backup-of`, or of the only
/// phone the folder holds, or of the phone connected.
fn encrypted_contacts(args: &Args) -> anyhow::Result<(std::path::PathBuf, Vec<u8>)> {
    let vault = super::common::open_folder(&args.from, false)?;
    let backup = restore::open_backup_in(&args.from, vault.clone())?;
    let phone = match backup.phone(args.backup_of.as_deref(), None) {
        Ok(phone) => phone,
        Err(_) if args.backup_of.is_none() => {
            let device = pick_device(args.device.as_deref())?;
            backup.phone(None, Some(&device.info()?.serial))?
        }
        Err(e) => return Err(e.into()),
    };
    let docs = crate::backup::documents::Documents::new(&args.from, vault.as_deref());
    let place = crate::contacts::store::vcard_place(&phone.manifest.device_folder());
    match docs.read(&place)? {
        Some(bytes) => Ok((args.from.join(&place), bytes)),
        None => anyhow::bail!(
            "The encrypted backup {} holds no contacts of {} ({}): back them up with `phonebak backup --what \
             contacts`.",
            args.from.display(),
            phone.serial,
            phone.model
        ),
    }
}

/// Adds the backup's contacts to the phone; false when the phone refused.
fn restore_contacts(args: &Args) -> anyhow::Result<bool> {
    let (file, bytes) = if crate::vault::is_encrypted(&args.from) {
        encrypted_contacts(args)?
    } else {
        let file = contacts_file(&args.from, args.backup_of.as_deref())?;
        let bytes = std::fs::read(&file).with_context(|| format!("Could not read {}", file.display()))?;
        (file, bytes)
    };
    let contacts = crate::contacts::vcard::read_vcards(&bytes)?;
    if args.dry_run {
        stdout_ok(writeln!(
            std::io::stdout(),
            "Would add the {} contacts of {} that the phone does not have.",
            contacts.len(),
            file.display()
        ))?;
        return Ok(true);
    }
    let device = pick_device(args.device.as_deref())?;
    super::contacts::put_on_phone(&device, &contacts)
}

/// Restores the photos and videos; false when some could not be.
fn restore_photos(args: &Args) -> anyhow::Result<bool> {
    let cancel = cancel_on_ctrl_c("restored files are kept")?;
    // The backup is read (and checked) before the phone is touched.
    let vault = super::common::open_folder(&args.from, false)?;
    let backup = restore::open_backup_in(&args.from, vault.clone())?;
    let device = pick_device(args.device.as_deref())?;
    let info = device.info()?;
    let phone = backup.phone(args.backup_of.as_deref(), Some(&info.serial))?;
    let local_paths = match &args.freed_on {
        Some(day) => Some(freed_on(&args.from, vault.as_deref(), &phone.serial, day)?),
        None => None,
    };
    let selection = Selection { patterns: args.only.clone(), since: args.since, until: args.until, local_paths };
    let selected = restore::select(&args.from, phone, &selection)?;
    let parts = crate::whatsapp::RestoreParts {
        photos: args.what.contains(&What::Photos),
        whatsapp: args.what.contains(&What::Whatsapp),
    };
    let choice = crate::whatsapp::choose_for_restore(selected, parts, info.sdk);
    if parts.whatsapp && choice.whatsapp_files == 0 {
        let why = format!(
            "The backup of {} in {} holds no WhatsApp files{}: back them up with `phonebak backup --what whatsapp`.",
            phone.serial,
            args.from.display(),
            if args.only.is_empty() && args.since.is_none() && args.until.is_none() { "" } else { " that match" }
        );
        if !parts.photos {
            anyhow::bail!(why);
        }
        eprintln!("phonebak: {why}");
    }
    if args.json {
        if parts.whatsapp {
            let moved: Vec<_> = choice
                .moved
                .iter()
                .map(|m| json!({ "from": m.from.to_string(), "to": m.to.to_string(), "files": m.files }))
                .collect();
            stdout_ok(print_json(
                &json!({ "event": "whatsapp_plan", "files": choice.whatsapp_files, "moved": moved }),
            ))?;
        }
    } else {
        for line in choice.moved_text(info.sdk) {
            stdout_ok(writeln!(std::io::stdout(), "{line}"))?;
        }
    }
    let selected = choice.selected;
    tracing::info!(
        from = %args.from.display(),
        backup_of = phone.serial,
        to = info.serial,
        files = selected.len(),
        "restore started"
    );
    let plan =
        restore::plan_in(&args.from, vault, &phone.serial, selected, &device, &crate::progress::NoProgress, &cancel)?;
    print_plan(args.json, || plan_json(&plan), || plan_text(&plan, args.dry_run))?;
    if args.dry_run {
        return Ok(true);
    }
    let report =
        with_progress(args.json, plan.totals.bytes_to_push, |shown| restore::execute(&plan, &device, shown, &cancel))?;
    tracing::info!(
        restored = report.restored.len(),
        bytes = report.bytes_restored,
        failed = report.failed.len(),
        "restore finished"
    );
    if args.json {
        stdout_ok(print_json(&report_json(&report)))?;
    } else {
        let mut out = std::io::stdout().lock();
        stdout_ok(out.write_all(report_text(&report).as_bytes()).and_then(|()| out.flush()))?;
    }
    if choice.whatsapp_files > 0 {
        if args.json {
            stdout_ok(print_json(&json!({ "event": "whatsapp_steps", "steps": crate::whatsapp::RESTORE_STEPS })))?;
        } else {
            stdout_ok(std::io::stdout().write_all(crate::whatsapp::restore_steps_text().as_bytes()))?;
        }
    }
    let unavailable = !plan.unavailable.is_empty();
    Ok(report.failed.is_empty() && !unavailable)
}
