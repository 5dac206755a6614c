//! `phonebak verify`: re-hashes every file a backup folder's manifests list, so that a person can tell whether
//! the copy is still good (a failing disk, a stray edit) long after the phone's originals are gone. Needs no
//! phone.

use super::common::{human_bytes, json_path, lossy, print_json, stdout_ok};
use crate::backup::manifest::{self, Manifest, ManifestEntry};
use anyhow::{Context, bail};
use serde_json::json;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Options of `phonebak verify`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The backup folder (the one given to `phonebak backup --to`).
    #[arg(value_name = "DIR")]
    dir: PathBuf,
    /// Print JSON lines (each problem, then a summary) instead of text.
    #[arg(long)]
    json: bool,
}

/// The serials of the manifests of an encrypted backup folder (each decrypted to read its serial).
fn encrypted_serials(dir: &Path, vault: &crate::vault::Vault) -> anyhow::Result<Vec<String>> {
    let mut serials = Vec::new();
    for path in crate::vault::manifest_files(dir) {
        let bytes = std::fs::read(&path).with_context(|| format!("Could not read {}", path.display()))?;
        let parsed: Manifest = serde_json::from_slice(&vault.unseal(&bytes, &path)?).with_context(|| {
            format!("The manifest cannot be read; restore it from a good copy. Manifest: {}", path.display())
        })?;
        serials.push(parsed.serial);
    }
    Ok(serials)
}

/// What one file's check found.
enum Finding {
    Ok,
    Missing,
    Corrupt(String),
}

/// The manifests in `dir/.phonebak/`, each loaded (and checked) by its serial.
fn manifests(dir: &Path, vault: Option<&crate::vault::Vault>) -> anyhow::Result<Vec<Manifest>> {
    let state = manifest::state_dir(dir);
    if let Some(vault) = vault {
        let mut out = Vec::new();
        for serial in encrypted_serials(dir, vault)? {
            out.extend(Manifest::load_in(dir, &serial, Some(vault))?);
        }
        if out.is_empty() {
            bail!("The encrypted backup in {} holds no manifest yet.", dir.display());
        }
        return Ok(out);
    }
    let entries = std::fs::read_dir(&state).with_context(|| {
        format!(
            "No phonebak backup here: could not open {}. Give the folder you backed up into with \
             `phonebak backup --to`",
            state.display()
        )
    })?;
    let mut paths: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            p.extension().is_some_and(|e| e == "json")
                && p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with("manifest-"))
        })
        .collect();
    paths.sort();
    let mut out = Vec::new();
    for path in paths {
        let text = std::fs::read(&path).with_context(|| format!("Could not read the manifest {}", path.display()))?;
        let parsed: Manifest = serde_json::from_slice(&text).with_context(|| {
            format!("The manifest cannot be read; restore it from a good copy. Manifest: {}", path.display())
        })?;
        // Loading by serial checks the format, refuses paths outside the folder and replays the journal.
        let loaded = Manifest::load(dir, &parsed.serial)?.unwrap_or(parsed);
        out.push(loaded);
    }
    if out.is_empty() {
        bail!(
            "No phonebak backup here: {} holds no manifest. Give the folder you backed up into with `phonebak \
             backup --to`",
            state.display()
        );
    }
    Ok(out)
}

fn check(dir: &Path, entry: &ManifestEntry, vault: Option<&crate::vault::Vault>) -> Finding {
    match manifest::check_copy(dir, entry, vault) {
        manifest::CopyState::Good => Finding::Ok,
        manifest::CopyState::Missing => Finding::Missing,
        manifest::CopyState::Damaged(why) => Finding::Corrupt(why),
    }
}

/// The device and inode numbers of `path`, which hard links share.
fn inode_of(path: &Path) -> Option<(u64, u64)> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt as _;
        std::fs::metadata(path).ok().map(|m| (m.dev(), m.ino()))
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        None
    }
}

/// Runs `phonebak verify`.
pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let vault = super::common::open_folder(&args.dir, false)?;
    let manifests = manifests(&args.dir, vault.as_deref())?;
    let (mut ok, mut missing, mut corrupt, mut bytes) = (0u64, 0u64, 0u64, 0u64);
    // Files of the same content stored once on disk (hard links): each is read once, and counted.
    let mut good_inodes: std::collections::HashMap<(u64, u64), String> = std::collections::HashMap::new();
    let (mut stored_once, mut stored_once_bytes) = (0u64, 0u64);
    let mut out = std::io::stdout().lock();
    for m in &manifests {
        for entry in &m.files {
            let local = lossy(&entry.local_path.0);
            let inode = inode_of(&manifest::file_path_in(&args.dir, &entry.local_path.0, vault.as_deref()));
            if let Some(inode) = inode
                && good_inodes.get(&inode) == Some(&entry.sha256)
            {
                ok += 1;
                bytes += entry.size;
                stored_once += 1;
                stored_once_bytes += entry.size;
                continue;
            }
            let (kind, why) = match check(&args.dir, entry, vault.as_deref()) {
                Finding::Ok => {
                    ok += 1;
                    bytes += entry.size;
                    if let Some(inode) = inode {
                        good_inodes.insert(inode, entry.sha256.clone());
                    }
                    continue;
                }
                Finding::Missing => {
                    missing += 1;
                    ("missing", "the file is gone from the backup folder".to_string())
                }
                Finding::Corrupt(why) => {
                    corrupt += 1;
                    ("corrupt", why)
                }
            };
            tracing::warn!(kind, path = %local, why, "verify found a bad file");
            if args.json {
                stdout_ok(print_json(&json!({
                    "event": kind,
                    "local_path": json_path(&entry.local_path.0),
                    "phone_path": json_path(&entry.phone_path.0),
                    "reason": why,
                })))?;
            } else {
                stdout_ok(writeln!(out, "{kind}: {local}: {why}"))?;
            }
        }
    }
    let bad = missing + corrupt;
    tracing::info!(dir = %args.dir.display(), ok, missing, corrupt, "verified the backup");
    if args.json {
        stdout_ok(print_json(&json!({
            "event": "summary",
            "checked_files": ok + bad,
            "ok_files": ok,
            "ok_bytes": bytes,
            "missing_files": missing,
            "corrupt_files": corrupt,
            "stored_once_files": stored_once,
            "stored_once_bytes": stored_once_bytes,
        })))?;
    } else {
        if stored_once > 0 {
            stdout_ok(writeln!(
                out,
                "{stored_once} files ({}) have the same content as another file of the backup and are stored once \
                 on disk (hard links); that content was checked once for them.",
                human_bytes(stored_once_bytes)
            ))?;
        }
        stdout_ok(writeln!(
            out,
            "Checked {} files: {ok} good ({}), {missing} missing, {corrupt} corrupt.{}",
            ok + bad,
            human_bytes(bytes),
            if bad > 0 {
                " These copies cannot be trusted: replace them from another copy of the backup, or back the phone \
                 up into a new folder while it still has the originals."
            } else {
                ""
            }
        ))?;
    }
    stdout_ok(out.flush())?;
    Ok(if bad > 0 { ExitCode::from(3) } else { ExitCode::SUCCESS })
}
