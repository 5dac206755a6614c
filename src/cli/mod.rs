//! The command line: `phonebak <command>`. Each command is a thin layer over the library; errors are printed
//! with their causes and turned into exit codes (0 ok, 1 failed, 2 usage, 3 finished with some files failed).
//!
//! As in ripgrep, `main` returns an exit code rather than exiting from deep inside: a command returns
//! `anyhow::Result<ExitCode>`, its error is printed once here with its causes (`{:#}`), and a closed stdout
//! (`phonebak folders --json | head`) is not an error.

mod agent;
mod backup;
mod common;
mod contacts;
mod devices;
mod folders;
mod freeup;
mod generate;
mod messages;
mod restore;
mod verify;
mod virtual_phone;
mod wifi;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// Back up the photos and videos of an Android phone over ADB, and restore them.
#[derive(Debug, Parser)]
#[command(name = "phonebak", version, about)]
struct Cli {
    /// Also print the log on the terminal (-vv: more detail). The log is always written to
    /// ~/.local/share/phonebak/logs/phonebak.log.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    verbose: u8,
    /// Open the desktop app with the demo phone (a virtual phone with a sample gallery) started and open, to
    /// try phonebak without a phone.
    #[arg(long)]
    demo: bool,
    /// How many camera photos the demo phone has (with --demo).
    #[arg(long, value_name = "N", default_value_t = 200, requires = "demo")]
    demo_photos: usize,
    /// Without a command, the desktop app opens.
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// List the phones adb sees, each with its state and what to do to make it usable, and Android phones on
    /// USB that adb does not see.
    Devices(devices::Args),
    /// Show the phone's gallery folders with their photo and video counts, sizes and dates.
    Folders(folders::Args),
    /// Copy the phone's photos and videos into a folder, verified, with their dates; a re-run copies only
    /// what is new.
    Backup(backup::Args),
    /// Put backed-up photos and videos back on a phone, where they were, so its gallery shows them again; never
    /// overwrites a file already there.
    Restore(restore::Args),
    /// Remove from the phone the photos and videos proven safe in a backup folder (listed, the copy re-hashed,
    /// the phone's own checksum the same), to free up space; every other one stays.
    FreeUp(freeup::Args),
    /// Re-check every file of a backup folder against its manifest; name missing and corrupt files.
    Verify(verify::Args),
    /// The phone's contacts: `export -o FILE.vcf` writes them as a vCard.
    Contacts(contacts::Args),
    /// Messages of a backup folder: `export --from DIR -o FOLDER` writes them as readable pages (for an
    /// encrypted folder too).
    Messages(messages::Args),
    /// Back up the phones marked "Back up automatically" whenever they connect (runs in the background; the
    /// app starts it). `phonebak agent status` shows what it is doing.
    Agent(agent::Args),
    /// Use a phone over Wi-Fi: switch it from the cable (`on`), pair with wireless debugging (`pair`), and
    /// the phones remembered (`list`, `forget`).
    Wifi(wifi::Args),
    /// Run a virtual phone: an adbd on 127.0.0.1 that real `adb` can connect to, for tests and the demo.
    VirtualPhone(virtual_phone::Args),
    /// Print the man pages or shell completions (for packaging).
    #[command(hide = true)]
    Generate(generate::Args),
}

/// Entry point of the binary.
#[must_use]
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    // `generate` runs at packaging time: no log file in the builder's home.
    if !matches!(cli.command, Some(Command::Generate(_))) {
        common::init_logging(cli.verbose);
    }
    crate::backup::lock::set_role(match &cli.command {
        None => "the phonebak app",
        Some(Command::Agent(_)) => "phonebak's automatic backup",
        Some(_) => "phonebak's command line",
    });
    let result = match &cli.command {
        None => crate::gui::run(cli.demo.then_some(cli.demo_photos)).map(|()| ExitCode::SUCCESS),
        Some(Command::Agent(args)) => agent::run(args),
        Some(Command::Devices(args)) => devices::run(args),
        Some(Command::Folders(args)) => folders::run(args),
        Some(Command::Backup(args)) => backup::run(args),
        Some(Command::Restore(args)) => restore::run(args),
        Some(Command::Verify(args)) => verify::run(args),
        Some(Command::Contacts(args)) => contacts::run(args),
        Some(Command::Messages(args)) => messages::run(args),
        Some(Command::FreeUp(args)) => freeup::run(args),
        Some(Command::Wifi(args)) => wifi::run(args),
        Some(Command::VirtualPhone(args)) => virtual_phone::run(args).map(|()| ExitCode::SUCCESS),
        Some(Command::Generate(args)) => generate::run(args).map(|()| ExitCode::SUCCESS),
    };
    match result {
        Ok(code) => code,
        Err(e) if common::is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e:#}");
            eprintln!("phonebak: {e:#}");
            ExitCode::from(1)
        }
    }
}
