//! The command line: `phonebak <command>`. Each command is a thin layer over the library; errors are printed
//! with their causes and turned into exit codes (0 ok, 1 failed, 2 usage).

mod virtual_phone;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// Back up the photos and videos of an Android phone over ADB, and restore them.
#[derive(Debug, Parser)]
#[command(name = "phonebak", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run a virtual phone: an adbd on 127.0.0.1 that real `adb` can connect to, for tests and the demo.
    VirtualPhone(virtual_phone::Args),
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
    let result = match cli.command {
        Command::VirtualPhone(args) => virtual_phone::run(&args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("phonebak: {e:#}");
            ExitCode::from(1)
        }
    }
}
