//! `phonebak agent`: the automatic backup agent in the foreground of its process (the desktop's autostart
//! starts it at login once a phone is marked "Back up automatically"), and `phonebak agent status`, which asks
//! the running agent what it is doing.

use super::common::{print_json, stdout_ok};
use crate::agent::{self, AgentOptions, status};
use crate::device::Adb;
use anyhow::Context as _;
use std::fmt::Write as _;
use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

/// Options of `phonebak agent`.
#[derive(Debug, clap::Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct Args {
    /// How often a connected phone is checked for new photos, in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = agent::CHECK_EVERY.as_secs())]
    check_every: u64,
    /// How often phones used over Wi-Fi are looked for when they are not connected, in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = agent::RECONNECT_EVERY.as_secs(), hide = true)]
    reconnect_every: u64,
    /// Start the agent at every login (writes ~/.config/autostart/phonebak-agent.desktop), then exit. The app
    /// does this when a phone is marked "Back up automatically".
    #[arg(long, conflicts_with = "remove_autostart")]
    install_autostart: bool,
    /// Do not start the agent at login any more (removes the autostart entry), then exit.
    #[arg(long)]
    remove_autostart: bool,
    /// The settings file to follow (default: ~/.config/phonebak/settings.json).
    #[arg(long, value_name = "FILE", hide = true)]
    settings: Option<std::path::PathBuf>,
    /// Where the one-agent lock and the status socket go (default: `$XDG_RUNTIME_DIR/phonebak`).
    #[arg(long, value_name = "DIR", hide = true)]
    runtime_dir: Option<std::path::PathBuf>,
    #[command(subcommand)]
    command: Option<AgentCommand>,
}

#[derive(Debug, clap::Subcommand)]
enum AgentCommand {
    /// Show what the running agent is doing with each connected phone.
    Status {
        /// Print one JSON object instead of text.
        #[arg(long)]
        json: bool,
    },
}

/// Runs `phonebak agent ...`.
pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    match &args.command {
        Some(AgentCommand::Status { json }) => {
            show_status(&args.runtime_dir.clone().unwrap_or_else(status::runtime_dir), *json)
        }
        None if args.install_autostart => {
            let path = agent::autostart::install().context("Could not write the autostart entry")?;
            stdout_ok(writeln!(std::io::stdout(), "The automatic backup now starts at login ({}).", path.display()))?;
            Ok(ExitCode::SUCCESS)
        }
        None if args.remove_autostart => {
            let path = agent::autostart::remove().context("Could not remove the autostart entry")?;
            stdout_ok(writeln!(
                std::io::stdout(),
                "The automatic backup no longer starts at login ({} removed).",
                path.display()
            ))?;
            Ok(ExitCode::SUCCESS)
        }
        None => {
            let stop = super::common::cancel_on_ctrl_c("the backups finished so far are kept")?;
            let options = AgentOptions {
                adb: Adb::find()?,
                settings_path: match &args.settings {
                    Some(path) => path.clone(),
                    None => {
                        crate::settings::settings_path().context("No settings folder: set HOME (or XDG_CONFIG_HOME)")?
                    }
                },
                runtime_dir: args.runtime_dir.clone().unwrap_or_else(status::runtime_dir),
                check_every: Duration::from_secs(args.check_every.max(1)),
                reconnect_every: Duration::from_secs(args.reconnect_every.max(1)),
            };
            agent::run(options, &stop)?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn show_status(runtime_dir: &std::path::Path, json: bool) -> anyhow::Result<ExitCode> {
    let Some(status) = status::query(runtime_dir) else {
        if json {
            stdout_ok(print_json(&serde_json::json!({ "running": false })))?;
        } else {
            stdout_ok(writeln!(std::io::stdout(), "The automatic backup agent is not running."))?;
        }
        return Ok(ExitCode::from(1));
    };
    if json {
        let mut value = serde_json::to_value(&status)?;
        value["running"] = serde_json::Value::Bool(true);
        stdout_ok(print_json(&value))?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut text = format!("The automatic backup agent runs (process {}).\n", status.pid);
    if !status.tracking {
        text.push_str("It is waiting for the adb server.\n");
    }
    if status.phones.is_empty() {
        text.push_str("No phone is connected.\n");
    }
    for phone in &status.phones {
        let name = match (&phone.model, &phone.phone_serial) {
            (Some(model), Some(serial)) => format!("{model} ({serial})"),
            _ => phone.adb_serial.clone(),
        };
        let _ = write!(text, "{name}: {}", phone.state.describe());
        if let Some(p) = &phone.progress {
            let _ = write!(text, ", {p}");
        }
        if let Some(folder) = &phone.backup_folder {
            let _ = write!(text, ", into {}", folder.display());
        }
        text.push('\n');
        if let Some(last) = &phone.last {
            let _ = writeln!(text, "  {last}");
        }
    }
    stdout_ok(write!(std::io::stdout(), "{text}"))?;
    Ok(ExitCode::SUCCESS)
}
