//! `phonebak contacts export`: the phone's contacts as one vCard 3.0 file, for people who just want a `.vcf`.

use super::common::pick_device;
use crate::contacts::{ContactsError, read_contacts, vcard};
use anyhow::Context;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

/// Options of `phonebak contacts`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, clap::Subcommand)]
enum Command {
    /// Write the phone's contacts to a vCard file (vCard 3.0, UTF-8, photos inline).
    Export(ExportArgs),
    /// Add the contacts of a vCard file (from another phone, Google Contacts, a backup) to the phone's own
    /// contacts; those already on the phone (same name, numbers and emails) are skipped.
    Import(ImportArgs),
}

/// Options of `phonebak contacts import`.
#[derive(Debug, clap::Args)]
struct ImportArgs {
    /// The phone (its serial in `phonebak devices`); needed only when several are ready.
    #[arg(long, value_name = "SERIAL")]
    device: Option<String>,
    /// The vCard file (2.1, 3.0 or 4.0).
    #[arg(value_name = "FILE.vcf")]
    file: PathBuf,
}

/// Options of `phonebak contacts export`.
#[derive(Debug, clap::Args)]
struct ExportArgs {
    /// The phone's adb serial (needed when several phones are connected).
    #[arg(long, value_name = "SERIAL")]
    device: Option<String>,
    /// The vCard file to write (replaced if it exists).
    #[arg(short, long, value_name = "FILE.vcf")]
    output: PathBuf,
}

/// Runs `phonebak contacts ...`. Exit code 3 when the phone refuses the contacts.
pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    match &args.command {
        Command::Export(export) => run_export(export),
        Command::Import(import) => {
            let bytes = std::fs::read(&import.file)
                .with_context(|| format!("Could not read the vCard file {}", import.file.display()))?;
            let contacts = vcard::read_vcards(&bytes)?;
            let device = pick_device(import.device.as_deref())?;
            Ok(if put_on_phone(&device, &contacts)? { ExitCode::SUCCESS } else { ExitCode::from(3) })
        }
    }
}

/// Adds `contacts` to the phone and says how many were added and skipped; false when the phone refused.
pub(super) fn put_on_phone(
    device: &crate::device::Device,
    contacts: &[crate::contacts::Contact],
) -> anyhow::Result<bool> {
    let info = device.info()?;
    match crate::contacts::import::import(device, info.sdk, contacts) {
        Ok(done) => {
            for note in &done.notes {
                eprintln!("phonebak: {note}");
            }
            println!(
                "Added {} contacts to {}; {} were on it already and were skipped.",
                done.added, info.model, done.skipped
            );
            Ok(true)
        }
        Err(ContactsError::Content(e)) if e.is_refusal() => {
            eprintln!("phonebak: contacts not restored: {e}");
            Ok(false)
        }
        Err(e) => Err(e.into()),
    }
}

fn run_export(args: &ExportArgs) -> anyhow::Result<ExitCode> {
    let device = pick_device(args.device.as_deref())?;
    let info = device.info()?;
    let book = match read_contacts(&device, info.sdk) {
        Ok(book) => book,
        Err(ContactsError::Content(e)) if e.is_refusal() => {
            eprintln!("phonebak: {e}");
            return Ok(ExitCode::from(3));
        }
        Err(e) => return Err(e.into()),
    };
    let text = vcard::write_vcards(&book.contacts);
    let dir = match args.output.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let mut tmp = tempfile::NamedTempFile::new_in(&dir).with_context(|| {
        format!("Could not write into the folder; check that it exists and is writable: {}", dir.display())
    })?;
    tmp.write_all(text.as_bytes())
        .and_then(|()| tmp.as_file().sync_all())
        .with_context(|| format!("Could not write the vCard (is the disk full?): {}", args.output.display()))?;
    tmp.persist(&args.output).with_context(|| format!("Could not write the vCard file: {}", args.output.display()))?;
    for note in &book.notes {
        eprintln!("phonebak: {note}");
    }
    println!("Wrote {} contacts to {}", book.contacts.len(), args.output.display());
    Ok(ExitCode::SUCCESS)
}
