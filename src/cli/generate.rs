//! `phonebak generate man|complete-bash|complete-zsh|complete-fish` (hidden): the man pages and the shell
//! completions, made from the command line's own definitions (clap), as ripgrep's `rg --generate` does. The
//! package build (`scripts/package`) runs it; people never need to.
//!
//! Without `--out-dir` the one file goes to stdout (for `man`, the page of `phonebak` itself). With it, every
//! file goes into that folder under the name its place on the system expects: `phonebak.1` and one
//! `phonebak-COMMAND.1` per command (the pages `phonebak.1` refers to), `phonebak.bash`, `_phonebak`,
//! `phonebak.fish`.

use anyhow::Context;
use clap::CommandFactory;
use clap_complete::Shell;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Options of `phonebak generate`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// What to generate.
    #[arg(value_enum)]
    what: What,
    /// Write the file(s) into this folder (made if missing) instead of printing to stdout.
    #[arg(long, value_name = "DIR")]
    out_dir: Option<PathBuf>,
}

/// The kinds of file `phonebak generate` makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum What {
    /// The man pages (roff): `phonebak.1`, and with `--out-dir` one per command.
    Man,
    /// Completions for bash (`/usr/share/bash-completion/completions/phonebak`).
    CompleteBash,
    /// Completions for zsh (`/usr/share/zsh/vendor-completions/_phonebak`).
    CompleteZsh,
    /// Completions for fish (`/usr/share/fish/vendor_completions.d/phonebak.fish`).
    CompleteFish,
}

/// Runs `phonebak generate`.
pub fn run(args: &Args) -> anyhow::Result<()> {
    // The pages and completions describe what people type: no `help` command (clap's `--help` stays), and
    // nothing hidden (this command): the completion generators would list hidden commands otherwise.
    let mut cmd = visible(&super::Cli::command().disable_help_subcommand(true));
    let shell = match args.what {
        What::Man => {
            if let Some(dir) = &args.out_dir {
                create_dir(dir)?;
                clap_mangen::generate_to(cmd, dir)
                    .with_context(|| format!("could not write the man pages into {}", dir.display()))?;
            } else {
                let mut out = std::io::stdout().lock();
                clap_mangen::Man::new(cmd).render(&mut out)?;
                out.flush()?;
            }
            return Ok(());
        }
        What::CompleteBash => Shell::Bash,
        What::CompleteZsh => Shell::Zsh,
        What::CompleteFish => Shell::Fish,
    };
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut cmd, "phonebak", &mut script);
    if let Some(dir) = &args.out_dir {
        create_dir(dir)?;
        let path = dir.join(completion_file_name(shell));
        std::fs::write(&path, &script).with_context(|| format!("could not write {}", path.display()))?;
    } else {
        let mut out = std::io::stdout().lock();
        out.write_all(&script)?;
        out.flush()?;
    }
    Ok(())
}

fn create_dir(dir: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("could not create {}", dir.display()))
}

/// The file name each shell looks for in its completions folder.
fn completion_file_name(shell: Shell) -> &'static str {
    match shell {
        Shell::Zsh => "_phonebak",
        Shell::Fish => "phonebak.fish",
        _ => "phonebak.bash",
    }
}

/// The command line as people see it: `phonebak` without its hidden commands and options. clap has no way
/// to remove one, so the top level is rebuilt from its visible parts (about, version, options, groups,
/// commands); no lower level hides anything (a test checks). The man page generator skips hidden ones itself,
/// the completion generators do not.
fn visible(cmd: &clap::Command) -> clap::Command {
    let mut rebuilt = clap::Command::new("phonebak")
        .version(env!("CARGO_PKG_VERSION"))
        .args(cmd.get_arguments().filter(|arg| !arg.is_hide_set()).cloned())
        .groups(cmd.get_groups().cloned())
        .subcommands(cmd.get_subcommands().filter(|sub| !sub.is_hide_set()).cloned())
        .disable_help_subcommand(cmd.is_disable_help_subcommand_set());
    if let Some(about) = cmd.get_about() {
        rebuilt = rebuilt.about(about.clone());
    }
    if let Some(about) = cmd.get_long_about() {
        rebuilt = rebuilt.long_about(about.clone());
    }
    rebuilt
}

#[cfg(test)]
mod tests {
    use super::*;

    fn visible_cli() -> clap::Command {
        let mut cmd = visible(&super::super::Cli::command().disable_help_subcommand(true));
        cmd.build();
        cmd
    }

    #[test]
    fn the_generate_command_is_hidden_from_help_man_pages_and_completions() {
        let mut full = super::super::Cli::command();
        full.build();
        assert!(full.find_subcommand("generate").is_some_and(clap::Command::is_hide_set));
        let cmd = visible_cli();
        assert!(cmd.find_subcommand("generate").is_none());
        for name in ["devices", "folders", "backup", "restore", "verify", "virtual-phone"] {
            let sub = cmd.find_subcommand(name).unwrap_or_else(|| panic!("{name} lost"));
            assert!(!sub.get_arguments().any(clap::Arg::is_hide_set), "{name} hides an option: filter it in visible()");
            assert!(!sub.has_subcommands(), "{name} has commands: filter hidden ones in visible()");
        }
        assert_eq!(cmd.get_version(), full.get_version());
        assert_eq!(cmd.get_arguments().count(), full.get_arguments().filter(|a| !a.is_hide_set()).count());
        let mut bash = Vec::new();
        clap_complete::generate(Shell::Bash, &mut cmd.clone(), "phonebak", &mut bash);
        let bash = String::from_utf8(bash).unwrap();
        assert!(bash.contains("--to") && bash.contains("virtual-phone"), "{bash}");
        assert!(!bash.contains("generate") && !bash.contains("complete-zsh"), "{bash}");
    }

    #[test]
    fn the_man_page_has_the_commands_and_their_options() {
        let dir = tempfile::tempdir().unwrap();
        run(&Args { what: What::Man, out_dir: Some(dir.path().to_path_buf()) }).unwrap();
        let main = std::fs::read_to_string(dir.path().join("phonebak.1")).unwrap();
        assert!(main.contains("\n.TH phonebak 1 "), "{main}");
        assert!(main.contains("phonebak\\-backup(1)") && main.contains("\\-\\-demo"), "{main}");
        let backup = std::fs::read_to_string(dir.path().join("phonebak-backup.1")).unwrap();
        assert!(backup.contains("\\-\\-encrypt"), "{backup}");
        assert!(!dir.path().join("phonebak-generate.1").exists());
    }
}
