//! `phonebak free-up`: removes from the phone the photos and videos proven safe in a backup folder (see
//! [`crate::freeup`] for exactly what is checked), after saying how many and how much, and keeps every other
//! one with its reason. On Android 11+ they go to the phone's trash (kept 30 days) unless `--permanent` is
//! given; older phones have no trash, so they are removed permanently, and the output says so.

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
    /// Remove them permanently instead of moving them to the phone's trash (where they are kept 30 days; the
    /// trash exists on Android 11 and later, so older phones always remove permanently).
    #[arg(long)]
    permanent: bool,
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
    let disposal = if args.permanent || !freeup::has_trash(info.sdk) {
        freeup::Disposal::Permanent
    } else {
        freeup::Disposal::Trash
    };
    let no_trash = (!freeup::has_trash(info.sdk)).then(|| {
        format!(
            "{} (Android {}) has no trash: photos and videos are removed from it permanently.",
            info.model, info.android_release
        )
    });
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
        if let Some(note) = &no_trash {
            stdout_ok(writeln!(out, "{note}"))?;
        }
    }
    if args.dry_run || proof.proven.is_empty() {
        if args.json {
            stdout_ok(print_json(&json!({
                "event": "summary", "dry_run": args.dry_run, "removable": proof.proven.len(),
                "removable_bytes": proof.proven_bytes(), "kept": proof.kept.len(), "removed": 0,
                "duplicates": extras, "duplicate_bytes": extra_bytes,
                "disposal": disposal, "phone_has_trash": no_trash.is_none(),
            })))?;
        }
        return Ok(ExitCode::SUCCESS);
    }
    if !args.yes {
        if !std::io::stdin().is_terminal() {
            bail!("Add --yes to remove them without being asked (or --dry-run to only look); nothing was removed.");
        }
        let (n, bytes) = (proof.proven.len(), human_bytes(proof.proven_bytes()));
        let question = match disposal {
            freeup::Disposal::Trash => format!(
                "Move {n} photos and videos ({bytes}) on {} to the phone's trash (kept 30 days)? They stay in {}.",
                info.model,
                args.from.display()
            ),
            freeup::Disposal::Permanent => format!(
                "Remove {n} photos and videos ({bytes}) from {} permanently? They stay in {}.",
                info.model,
                args.from.display()
            ),
        };
        if !ask(&question)? {
            stdout_ok(writeln!(out, "Nothing was removed."))?;
            return Ok(ExitCode::SUCCESS);
        }
    }
    let remove = |proof: &freeup::Proof, disposal| {
        freeup::remove(&device, &args.from, &info.serial, vault.as_deref(), info.sdk, proof, disposal, &cancel)
    };
    let mut trashed_before = Vec::new();
    let removal = match remove(&proof, disposal) {
        Err(freeup::FreeUpError::TrashRefused { said, so_far }) => {
            let moved = if so_far.removed.is_empty() {
                "nothing was moved to it".to_string()
            } else {
                format!("{} were moved to it before", so_far.removed.len())
            };
            let refused = format!("The phone's trash cannot be used from the shell ({said}); {moved}.");
            if !std::io::stdin().is_terminal() {
                bail!("{refused} Add --permanent to remove them permanently; nothing else was removed.");
            }
            eprintln!("{refused}");
            let trashed: std::collections::HashSet<&[u8]> =
                so_far.removed.iter().map(|(f, _)| f.path.as_slice()).collect();
            let left: Vec<_> =
                proof.proven.iter().filter(|(f, _)| !trashed.contains(f.path.as_slice())).cloned().collect();
            let question = format!(
                "Remove the {} photos and videos left ({}) from {} permanently instead? They stay in {}.",
                left.len(),
                human_bytes(left.iter().map(|(f, _)| f.size).sum()),
                info.model,
                args.from.display()
            );
            if !ask(&question)? {
                stdout_ok(writeln!(out, "Nothing more was removed."))?;
                return Ok(ExitCode::SUCCESS);
            }
            trashed_before = so_far.removed;
            remove(&freeup::Proof { proven: left, kept: Vec::new() }, freeup::Disposal::Permanent)?
        }
        other => other?,
    };
    report(out, args, &info.model, &proof, &removal, &trashed_before)?;
    Ok(if removal.failed.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(3) })
}

/// Asks a yes/no question on the terminal (stderr); `true` for yes.
fn ask(question: &str) -> anyhow::Result<bool> {
    eprint!("{question} [y/N] ");
    let mut answer = String::new();
    std::io::stdin().read_line(&mut answer).context("Could not read the answer")?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes"))
}

/// Prints what a removal did (`trashed_before`: moved to the trash before the phone refused it).
fn report(
    out: &mut std::io::Stdout,
    args: &Args,
    model: &str,
    proof: &freeup::Proof,
    removal: &freeup::Removal,
    trashed_before: &[(crate::scan::MediaFile, crate::backup::manifest::ManifestEntry)],
) -> anyhow::Result<()> {
    let trash = removal.disposal == freeup::Disposal::Trash;
    if args.json {
        for (file, _) in trashed_before {
            stdout_ok(print_json(&json!({
                "event": "removed", "path": json_path(&file.path), "size": file.size, "disposal": "trash",
            })))?;
        }
        for (file, _) in &removal.removed {
            stdout_ok(print_json(&json!({
                "event": "removed", "path": json_path(&file.path), "size": file.size, "disposal": removal.disposal,
            })))?;
        }
        for (file, why) in &removal.failed {
            stdout_ok(print_json(&json!({ "event": "not_removed", "path": json_path(&file.path), "why": why })))?;
        }
        stdout_ok(print_json(&json!({
            "event": "summary", "dry_run": false, "disposal": removal.disposal,
            "removed": removal.removed.len() + trashed_before.len(),
            "removed_bytes": removal.bytes() + trashed_before.iter().map(|(f, _)| f.size).sum::<u64>(),
            "trashed": if trash { removal.removed.len() } else { 0 } + trashed_before.len(),
            "not_removed": removal.failed.len(), "kept": proof.kept.len(), "gallery_problem": removal.gallery_problem,
        })))?;
        return Ok(());
    }
    let what = if trash { "not moved to the trash" } else { "not removed" };
    for (file, why) in &removal.failed {
        stdout_ok(writeln!(out, "{what}: {} ({why})", lossy(&file.path)))?;
    }
    if !trashed_before.is_empty() {
        stdout_ok(writeln!(
            out,
            "Moved {} photos and videos to the phone's trash (kept 30 days) before it was refused.",
            trashed_before.len()
        ))?;
    }
    let (n, bytes, dest) = (removal.removed.len(), human_bytes(removal.bytes()), args.from.display());
    if trash {
        stdout_ok(writeln!(
            out,
            "Moved {n} photos and videos ({bytes}) on {model} to the phone's trash (kept 30 days, then deleted by \
             the phone); they stay in {dest}."
        ))?;
    } else {
        stdout_ok(writeln!(
            out,
            "Removed {n} photos and videos ({bytes}) permanently from {model}; they stay in {dest}."
        ))?;
    }
    if let Some(problem) = &removal.gallery_problem {
        stdout_ok(writeln!(out, "The phone's gallery may show them until it rescans: {problem}"))?;
    }
    Ok(())
}
