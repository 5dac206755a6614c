//! `phonebak free-up`: removes from the phone the photos and videos proven safe in a backup folder (see
//! [`crate::freeup`] for exactly what is checked), after saying how many and how much, and keeps every other
//! one with its reason.

use super::common::{human_bytes, json_path, lossy, pick_device, print_json, stdout_ok};
use crate::backup::manifest::Manifest;
use crate::freeup;
use anyhow::{Context as _, bail};
use serde_json::json;
use std::io::{IsTerminal as _, Write as _};
use std::path::PathBuf;
use std::process::ExitCode;

/// Options of `phonebak free-up`.
#[derive(Debug, clap::Args)]
#[allow(clippy::struct_excessive_bools, reason = "independent command-line switches")]
pub struct Args {
    /// The backup folder that holds the phone's backup.
    #[arg(long, value_name = "DIR")]
    from: PathBuf,
    /// The phone (its serial in `phonebak devices`); needed only when several are ready.
    #[arg(long, value_name = "SERIAL")]
    device: Option<String>,
    /// Only photos and videos dated at least this many days ago.
    #[arg(long, value_name = "DAYS")]
    older_than: Option<u64>,
    /// Only paths (below the phone's storage, like `DCIM/Camera/*`) matching this glob; may be repeated.
    #[arg(long, value_name = "GLOB")]
    only: Vec<String>,
    /// Only the extra copies of photos and videos the phone holds several times under other names (the Sent
    /// copies of `WhatsApp`, a download saved twice): one copy stays, the one in DCIM first. Every copy removed is
    /// proven safe in the backup like any other.
    #[arg(long)]
    duplicates: bool,
    /// Say what would be removed, and remove nothing.
    #[arg(long)]
    dry_run: bool,
    /// Remove without asking (for scripts).
    #[arg(long)]
    yes: bool,
    /// Print JSON lines (each file kept or removed, then a summary) instead of text.
    #[arg(long)]
    json: bool,
}

/// Runs `phonebak free-up`.
pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let only = args
        .only
        .iter()
        .map(|g| glob::Pattern::new(g).with_context(|| format!("--only {g:?} is not a valid glob")))
        .collect::<anyhow::Result<Vec<_>>>()?;
    if !args.from.is_dir() {
        bail!("The backup folder {} is not there: connect its disk; nothing was removed.", args.from.display());
    }
    let device = pick_device(args.device.as_deref())?;
    let info = device.info()?;
    let vault = super::common::open_folder(&args.from, false)?;
    let Some(manifest) = Manifest::load_in(&args.from, &info.serial, vault.as_deref())? else {
        bail!(
            "{} holds no backup of {} ({}): nothing can be removed from it.",
            args.from.display(),
            info.model,
            info.serial
        );
    };
    let cancel = super::common::cancel_on_ctrl_c("what was removed is written in the backup folder")?;
    let gallery = super::folders::scan_gallery(&device, &cancel, !args.json)?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
    let files = freeup::choose(gallery.files(), args.older_than, &only, now);
    let mut proof = freeup::prove(&device, &args.from, &manifest, vault.as_deref(), &files, &cancel)?;
    let groups = freeup::duplicates(&proof.proven);
    let extras: usize = groups.iter().map(|g| g.extras.len()).sum();
    let extra_bytes: u64 = groups.iter().map(freeup::Duplicates::extra_bytes).sum();
    if args.duplicates {
        proof.proven = groups.iter().flat_map(|g| g.extras.iter().cloned()).collect();
    }
    let out = &mut std::io::stdout();
    if args.json {
        for (file, kept) in &proof.kept {
            let mut line = serde_json::to_value(kept)?;
            line["event"] = json!("kept");
            line["path"] = json_path(&file.path);
            line["why"] = json!(kept.describe());
            stdout_ok(print_json(&line))?;
        }
        for group in &groups {
            let copies: Vec<serde_json::Value> = group.extras.iter().map(|(f, _)| json_path(&f.path)).collect();
            stdout_ok(print_json(&json!({
                "event": "duplicates", "keep": json_path(&group.keep.path), "extras": copies,
                "extra_bytes": group.extra_bytes(),
            })))?;
        }
    } else {
        for (file, kept) in &proof.kept {
            stdout_ok(writeln!(out, "kept: {} ({})", lossy(&file.path), kept.describe()))?;
        }
        if extras > 0 {
            for group in &groups {
                for (file, _) in &group.extras {
                    stdout_ok(writeln!(out, "duplicate: {} (same as {})", lossy(&file.path), lossy(&group.keep.path)))?;
                }
            }
            stdout_ok(writeln!(
                out,
                "{extras} duplicates ({}): the same photo or video under another name.{}",
                human_bytes(extra_bytes),
                if args.duplicates { "" } else { " `--duplicates` removes only those, keeping one copy of each." }
            ))?;
        }
        stdout_ok(writeln!(
            out,
            "{} {}photos and videos ({}) are in {} and proven the same on the phone and in the backup; {} are kept \
             on the phone.",
            proof.proven.len(),
            if args.duplicates { "extra copies of " } else { "" },
            human_bytes(proof.proven_bytes()),
            args.from.display(),
            proof.kept.len()
        ))?;
    }
    if args.dry_run || proof.proven.is_empty() {
        if args.json {
            stdout_ok(print_json(&json!({
                "event": "summary", "dry_run": args.dry_run, "removable": proof.proven.len(),
                "removable_bytes": proof.proven_bytes(), "kept": proof.kept.len(), "removed": 0,
                "duplicates": extras, "duplicate_bytes": extra_bytes,
            })))?;
        }
        return Ok(ExitCode::SUCCESS);
    }
    if !args.yes {
        if !std::io::stdin().is_terminal() {
            bail!("Add --yes to remove them without being asked (or --dry-run to only look); nothing was removed.");
        }
        eprint!(
            "Remove {} photos and videos ({}) from {}? They stay in {}. [y/N] ",
            proof.proven.len(),
            human_bytes(proof.proven_bytes()),
            info.model,
            args.from.display()
        );
        let mut answer = String::new();
        std::io::stdin().read_line(&mut answer).context("Could not read the answer")?;
        if !matches!(answer.trim(), "y" | "Y" | "yes") {
            stdout_ok(writeln!(out, "Nothing was removed."))?;
            return Ok(ExitCode::SUCCESS);
        }
    }
    let removal = freeup::remove(&device, &args.from, &info.serial, vault.as_deref(), info.sdk, &proof, &cancel)?;
    if args.json {
        for (file, _) in &removal.removed {
            stdout_ok(print_json(&json!({ "event": "removed", "path": json_path(&file.path), "size": file.size })))?;
        }
        for (file, why) in &removal.failed {
            stdout_ok(print_json(&json!({ "event": "not_removed", "path": json_path(&file.path), "why": why })))?;
        }
        stdout_ok(print_json(&json!({
            "event": "summary", "dry_run": false, "removed": removal.removed.len(), "removed_bytes": removal.bytes(),
            "not_removed": removal.failed.len(), "kept": proof.kept.len(), "gallery_problem": removal.gallery_problem,
        })))?;
    } else {
        for (file, why) in &removal.failed {
            stdout_ok(writeln!(out, "not removed: {} ({why})", lossy(&file.path)))?;
        }
        stdout_ok(writeln!(
            out,
            "Removed {} photos and videos ({}) from {}; they stay in {}.",
            removal.removed.len(),
            human_bytes(removal.bytes()),
            info.model,
            args.from.display()
        ))?;
        if let Some(problem) = &removal.gallery_problem {
            stdout_ok(writeln!(out, "The phone's gallery may show them until it rescans: {problem}"))?;
        }
    }
    Ok(if removal.failed.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(3) })
}
