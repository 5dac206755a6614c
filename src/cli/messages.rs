//! `phonebak backup --what messages` (the SMS, the MMS text and the call log into `<Model> (<serial>)/Messages/`)
//! and `phonebak restore --what messages`, which explains why Android does not let it write messages back.

use super::common::{print_json, stdout_ok};
use crate::backup::{self, Manifest};
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

/// Saves the phone's messages and call log into its folder of the backup; false when the messages could not be
/// (the phone refused, or the folder is encrypted). A refused call log is said, and does not fail the backup:
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
    if vault.is_some() {
        return refuse(format!(
            "{} is an encrypted backup folder, and phonebak does not yet save messages into one (it would not \
             write them there unencrypted). Back them up into a folder that is not encrypted, on a disk you keep \
             safe.",
            opts.to.display()
        ));
    }
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
                    "the phone ({android}) does not give USB debugging the call log permission (READ_CALL_LOG):                      Android 15's shell has it, earlier releases mostly do not, so this phone's call log cannot be                      read over USB. The messages are saved. Android said: {detail}"
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
    let manifest = Manifest::load_or_new_in(opts.to, &info.serial, &info.model, None)?;
    let folder_name = manifest.device_folder();
    let phone_folder = opts.to.join(&folder_name);
    let what = format!("{}: messages of {}", backup::lock::role(), info.serial);
    let saved = {
        let _lock = backup::lock::lock(opts.to, &what)?;
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
        messages::store::save(&phone_folder, &folder_name, &read, calls.as_deref(), &names, &crate::human::date(now))?
    };
    for note in &saved.notes {
        say(opts.json, &json!({ "event": "messages_note", "note": note }), note)?;
    }
    if opts.json {
        stdout_ok(print_json(&json!({
            "event": "messages", "messages": saved.messages, "conversations": saved.conversations,
            "only_in_backup": saved.only_in_backup, "calls": saved.calls, "files_written": saved.files_written,
            "unchanged": saved.unchanged(), "folder": saved.folder.to_string_lossy(),
        })))?;
    } else {
        let mut text = format!(
            "Saved {} messages in {} conversations to {}",
            saved.messages,
            saved.conversations,
            saved.folder.display()
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
        let _ = write!(
            text,
            ". Open {} in a browser to read them.",
            saved.folder.join(messages::store::INDEX_HTML).display()
        );
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
