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
    /// Remember an encrypted backup folder's password in the desktop's keyring (Secret Service), so the agent
    /// can back up into it. The password is asked for on the terminal (or read from the first line of stdin when
    /// it is not a terminal, or taken from `PHONEBAK_PASSWORD`) and checked first.
    RememberPassword {
        /// The encrypted backup folder.
        #[arg(long, value_name = "DIR")]
        folder: std::path::PathBuf,
    },
    /// Forget the password remembered for an encrypted backup folder.
    ForgetPassword {
        /// The encrypted backup folder.
        #[arg(long, value_name = "DIR")]
        folder: std::path::PathBuf,
    },
}

/// Runs `phonebak agent ...`.
pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    match &args.command {
        Some(AgentCommand::Status { json }) => {
            show_status(&args.runtime_dir.clone().unwrap_or_else(status::runtime_dir), *json)
        }
        Some(AgentCommand::RememberPassword { folder }) => {
            if !crate::vault::is_encrypted(folder) {
                anyhow::bail!(
                    "{} is not an encrypted backup folder: there is no password to remember.",
                    folder.display()
                );
            }
            let password = password_to_remember()?;
            crate::vault::Vault::open(folder, &password)
                .with_context(|| format!("Nothing was remembered for {}", folder.display()))?;
            crate::secrets::remember(folder, &password)?;
            stdout_ok(writeln!(
                std::io::stdout(),
                "The password of {} is remembered in this desktop's keyring: the automatic backup can open it.",
                folder.display()
            ))?;
            Ok(ExitCode::SUCCESS)
        }
        Some(AgentCommand::ForgetPassword { folder }) => {
            let said = if crate::secrets::forget(folder)? {
                format!("The password of {} is forgotten.", folder.display())
            } else {
                format!("No password was remembered for {}.", folder.display())
            };
            stdout_ok(writeln!(std::io::stdout(), "{said}"))?;
            Ok(ExitCode::SUCCESS)
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
            one_malloc_arena();
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

/// The password for `remember-password`: `PHONEBAK_PASSWORD`, else the first line of stdin when it is not a
/// terminal (a script, or a password manager piping it in), else asked on the terminal without echo.
fn password_to_remember() -> anyhow::Result<crate::vault::SecretString> {
    use std::io::{BufRead as _, IsTerminal as _};
    let stdin = std::io::stdin();
    if std::env::var_os("PHONEBAK_PASSWORD").is_some_and(|p| !p.is_empty()) || stdin.is_terminal() {
        return super::common::password(false);
    }
    let mut line = String::new();
    stdin.lock().read_line(&mut line).context("Could not read the password from stdin")?;
    let end = line.trim_end_matches(['\n', '\r']).len();
    line.truncate(end);
    if line.is_empty() {
        anyhow::bail!("The password is empty (the first line of stdin).");
    }
    Ok(crate::vault::SecretString::from(line))
}

/// The agent runs for days and gives each connected phone a thread. glibc's allocator gives threads their own
/// arenas, which keep what a phone's scan freed: measured, the agent grew from 14.8 to about 20 MB over 40
/// connections of a 2,000-photo phone, and stayed flat (13.7 MB) with one arena. So the agent starts itself
/// again with `MALLOC_ARENA_MAX=1` (once: the variable set means it was done, or the person chose a value).
#[cfg(target_os = "linux")]
fn one_malloc_arena() {
    use std::os::unix::process::CommandExt as _;
    if std::env::var_os("MALLOC_ARENA_MAX").is_some() {
        return;
    }
    let Ok(program) = std::env::current_exe() else { return };
    let error =
        std::process::Command::new(program).args(std::env::args_os().skip(1)).env("MALLOC_ARENA_MAX", "1").exec();
    // Only returns when it could not start: carry on as this process.
    tracing::warn!("could not restart the agent with one malloc arena: {error}");
}

#[cfg(not(target_os = "linux"))]
fn one_malloc_arena() {}

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
