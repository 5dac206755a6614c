//! `phonebak backup --what messages` (the SMS, the MMS text and the call log into `<Model> (<serial>)/Messages/`)
//! (sealed under hashed names in an encrypted backup folder), `phonebak restore --what messages`, which explains why
//! Android does not let it write messages back, and `phonebak messages export`, which writes a backup's pages
//! (encrypted or not) as readable files.

use super::common::{print_json, stdout_ok};
use crate::backup::documents::Documents;
use crate::device::{Device, DeviceInfo};
use crate::messages::{self, numbers::Names};
use serde_json::json;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;

/// How `backup --what messages` runs.
pub struct Options<'a> {
    /// The backup folder.
    pub to: &'a Path,
    /// JSON lines instead of text.
    pub json: bool,
    /// Count, write nothing.
    pub dry_run: bool,
}

fn say(json: bool, event: &serde_json::Value, text: &str) -> anyhow::Result<()> {
    if json {
        stdout_ok(print_json(event))
    } else {
        eprintln!("phonebak: {text}");
        Ok(())
    }
}

/// Saves the phone's messages and call log into its folder of the backup (sealed, in an encrypted one); false
/// when the phone refused the messages. A refused call log is said, and does not fail the backup:
/// most Android releases keep it from USB debugging.
///
/// # Errors
/// The link to the phone or the backup disk failed.
pub fn backup_messages(
    opts: &Options<'_>,
    device: &Device,
    info: &DeviceInfo,
    vault: Option<&crate::vault::Vault>,
) -> anyhow::Result<bool> {
    let refuse = |why: String| -> anyhow::Result<bool> {
        say(
            opts.json,
            &json!({ "event": "messages_not_saved", "reason": why }),
            &format!("messages not saved: {why}"),
        )?;
        Ok(false)
    };
    let read = match messages::read_messages(device, info.sdk) {
        Ok(read) => read,
        Err(e @ messages::MessagesError::Content(crate::content::ContentError::Device(_))) => return Err(e.into()),
        Err(e) => return refuse(e.to_string()),
    };
    for note in &read.notes {
        say(opts.json, &json!({ "event": "messages_note", "note": note }), note)?;
    }
    let calls = match messages::read_calls(device, info.sdk) {
        Ok(calls) => Some(calls),
        Err(e @ crate::content::ContentError::Device(_)) => return Err(e.into()),
        Err(e) => {
            let reason = match &e {
                crate::content::ContentError::PermissionDenied { android, detail, .. } => format!(
                    "the phone ({android}) does not give USB debugging the call log permission (READ_CALL_LOG): \
                     Android 15's shell has it, earlier releases mostly do not, so this phone's call log cannot be \
                     read over USB. The messages are saved. Android said: {detail}"
                ),
                other => other.to_string(),
            };
            let why = format!("the call log was not saved: {reason}");
            say(opts.json, &json!({ "event": "calls_not_saved", "reason": reason }), &why)?;
            None
        }
    };
    let names = match crate::contacts::read_contacts(device, info.sdk) {
        Ok(book) => Names::new(&book.contacts),
        Err(e) => {
            let note = format!("conversations are named by number, since the contacts could not be read: {e}");
            say(opts.json, &json!({ "event": "messages_note", "note": note }), &note)?;
            Names::default()
        }
    };
    if opts.dry_run {
        let conversations = messages::store::conversations(&read.messages, &names).len();
        let calls_n = calls.as_ref().map(Vec::len);
        if opts.json {
            stdout_ok(print_json(&json!({
                "event": "messages_plan", "messages": read.messages.len(), "conversations": conversations,
                "calls": calls_n,
            })))?;
        } else {
            let mut text = format!("Would save {} messages in {conversations} conversations", read.messages.len());
            if let Some(n) = calls_n {
                let _ = write!(text, " and {n} calls");
            }
            stdout_ok(writeln!(std::io::stdout(), "{text}."))?;
        }
        return Ok(true);
    }
    let saved = crate::backup::documents::save_for_phone(
        opts.to,
        &info.serial,
        &info.model,
        vault,
        "messages",
        |docs, folder, day| messages::store::save_in(docs, folder, folder, &read, calls.as_deref(), &names, day),
    )?;
    for note in &saved.notes {
        say(opts.json, &json!({ "event": "messages_note", "note": note }), note)?;
    }
    if opts.json {
        stdout_ok(print_json(&json!({
            "event": "messages", "messages": saved.messages, "conversations": saved.conversations,
            "only_in_backup": saved.only_in_backup, "calls": saved.calls, "files_written": saved.files_written,
            "unchanged": saved.unchanged(), "folder": saved.folder.to_string_lossy(), "encrypted": saved.encrypted,
        })))?;
    } else {
        let mut text = format!(
            "Saved {} messages in {} conversations to {}{}",
            saved.messages,
            saved.conversations,
            saved.folder.display(),
            if saved.encrypted { " (encrypted)" } else { "" }
        );
        if saved.only_in_backup > 0 {
            let _ = write!(
                text,
                " ({} of them are no longer on the phone, kept from earlier backups)",
                saved.only_in_backup
            );
        }
        if let Some(n) = saved.calls {
            let _ = write!(text, ", and {n} calls");
        }
        if saved.unchanged() {
            text.push_str(" (unchanged since the last backup)");
        }
        if saved.encrypted {
            let _ = write!(text, ". {}", export_hint(opts.to));
        } else {
            let _ = write!(
                text,
                ". Open {} in a browser to read them.",
                saved.folder.join(messages::store::INDEX_HTML).display()
            );
        }
        stdout_ok(writeln!(std::io::stdout(), "{text}"))?;
    }
    Ok(true)
}

/// `restore --what messages`: says that Android lets only the default SMS app write messages, and where the
/// backup's readable copy is. Always false (exit code 3): nothing was restored.
///
/// # Errors
/// The output cannot be written.
pub fn restore_messages(from: &Path, json: bool) -> anyhow::Result<bool> {
    if crate::vault::is_encrypted(from) {
        let why = format!(
            "Android lets only the phone's default SMS app write messages, so phonebak cannot put them back on the \
             phone. {}",
            export_hint(from)
        );
        say(
            json,
            &json!({ "event": "messages_not_restored", "reason": why, "pages": [] }),
            &format!("messages not restored: {why}"),
        )?;
        return Ok(false);
    }
    let mut pages = Vec::new();
    if let Ok(entries) = std::fs::read_dir(from) {
        for entry in entries.flatten() {
            let index = entry.path().join(messages::store::FOLDER).join(messages::store::INDEX_HTML);
            if index.is_file() {
                pages.push(index);
            }
        }
    }
    pages.sort();
    let mut why = "Android lets only the phone's default SMS app write messages, so phonebak cannot put them back \
                   on the phone."
        .to_string();
    if pages.is_empty() {
        let _ = write!(
            why,
            " {} holds no messages either: back them up with `phonebak backup --what messages`.",
            from.display()
        );
    } else {
        let list: Vec<String> = pages.iter().map(|p| p.display().to_string()).collect();
        let _ = write!(
            why,
            " Your messages are in the backup, readable in any browser: {} (every message, with all its details, \
             is in messages.json beside it).",
            list.join(", ")
        );
    }
    let pages: Vec<String> = pages.iter().map(|p| p.to_string_lossy().into_owned()).collect();
    say(
        json,
        &json!({ "event": "messages_not_restored", "reason": why, "pages": pages }),
        &format!("messages not restored: {why}"),
    )?;
    Ok(false)
}

/// How to read the messages of the encrypted backup folder `from`.
fn export_hint(from: &Path) -> String {
    format!(
        "The backup folder {} is encrypted, so its pages cannot be opened as they are: `phonebak messages export \
         --from {} -o FOLDER` writes them, readable, into FOLDER (choose one on a disk you keep safe).",
        from.display(),
        String::from_utf8_lossy(&crate::device::quote(from.as_os_str().as_encoded_bytes()))
    )
}

/// Options of `phonebak messages`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, clap::Subcommand)]
enum Command {
    /// Write the messages of a backup folder (encrypted or not) as readable files: for each phone,
    /// `FOLDER/<Model> (<serial>)/index.html`, a page per conversation, the call log's page and the JSON copies.
    Export(ExportArgs),
}

/// Options of `phonebak messages export`.
#[derive(Debug, clap::Args)]
struct ExportArgs {
    /// The backup folder (an encrypted one asks its password, or takes `PHONEBAK_PASSWORD`).
    #[arg(long, value_name = "DIR")]
    from: std::path::PathBuf,
    /// Only the messages of this phone (its serial).
    #[arg(long, value_name = "SERIAL")]
    backup_of: Option<String>,
    /// The folder to write the readable files into (made if missing; files of the same names are replaced).
    /// It must not be inside the backup folder.
    #[arg(short, long, value_name = "FOLDER")]
    output: std::path::PathBuf,
}

/// Runs `phonebak messages ...`. Exit code 3 when the backup holds no messages.
///
/// # Errors
/// The backup cannot be read or decrypted, or the output folder cannot be written.
pub fn run(args: &Args) -> anyhow::Result<std::process::ExitCode> {
    let Command::Export(export) = &args.command;
    Ok(if run_export(export)? { std::process::ExitCode::SUCCESS } else { std::process::ExitCode::from(3) })
}

/// The phone folders (relative to `from`) that may hold messages: from the manifests in an encrypted folder, by
/// listing it in a plain one.
fn phone_folders(
    from: &Path,
    vault: Option<std::sync::Arc<crate::vault::Vault>>,
    backup_of: Option<&str>,
) -> anyhow::Result<Vec<String>> {
    let wanted = |serial_in_name: &str| backup_of.is_none_or(|s| serial_in_name.ends_with(&format!("({s})")));
    if vault.is_some() {
        let backup = crate::restore::open_backup_in(from, vault)?;
        return Ok(backup.phones.iter().map(|p| p.manifest.device_folder()).filter(|f| wanted(f)).collect());
    }
    let entries = std::fs::read_dir(from)
        .map_err(|e| anyhow::anyhow!("Could not read the backup folder {} ({e})", from.display()))?;
    let mut folders: Vec<String> = entries
        .flatten()
        .filter(|e| e.path().join(messages::store::FOLDER).join(messages::store::MESSAGES_JSON).is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|f| wanted(f))
        .collect();
    folders.sort();
    Ok(folders)
}

fn run_export(args: &ExportArgs) -> anyhow::Result<bool> {
    if let (Ok(from), Ok(out)) = (std::fs::canonicalize(&args.from), absolute_lexically(&args.output))
        && out.starts_with(&from)
    {
        anyhow::bail!(
            "{} is inside the backup folder {}: choose a folder outside it, so that the readable copy does not \
             become part of the backup.",
            args.output.display(),
            args.from.display()
        );
    }
    let vault = super::common::open_folder(&args.from, false)?;
    let docs = Documents::new(&args.from, vault.as_deref());
    let mut any = false;
    for device_folder in phone_folders(&args.from, vault.clone(), args.backup_of.as_deref())? {
        let out = args.output.join(&device_folder);
        let Some(done) = messages::store::export(&docs, &device_folder, &out)? else {
            continue;
        };
        any = true;
        stdout_ok(writeln!(
            std::io::stdout(),
            "Wrote {} messages in {} conversations of {device_folder}: open {} in a browser.",
            done.messages,
            done.pages,
            out.join(messages::store::INDEX_HTML).display()
        ))?;
    }
    if !any {
        eprintln!(
            "phonebak: {} holds no messages{}: back them up with `phonebak backup --what messages`.",
            args.from.display(),
            args.backup_of.as_ref().map(|s| format!(" of {s}")).unwrap_or_default()
        );
    }
    Ok(any)
}

/// `path` made absolute with its existing part resolved (symbolic links followed), its missing part as given.
fn absolute_lexically(path: &Path) -> std::io::Result<std::path::PathBuf> {
    let absolute = std::path::absolute(path)?;
    let mut existing = absolute.as_path();
    let mut rest = Vec::new();
    while !existing.exists() {
        let (Some(parent), Some(name)) = (existing.parent(), existing.file_name()) else {
            return Ok(absolute);
        };
        rest.push(name.to_os_string());
        existing = parent;
    }
    let mut resolved = std::fs::canonicalize(existing)?;
    resolved.extend(rest.iter().rev());
    Ok(resolved)
}
