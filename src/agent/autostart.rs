//! The desktop's autostart entry for the agent (`~/.config/autostart/phonebak-agent.desktop`, the XDG
//! Autostart specification): written when the first phone is marked "Back up automatically", removed with the
//! last one. Nothing starts at login otherwise.

use std::path::{Path, PathBuf};

/// The entry's file name.
pub const FILE_NAME: &str = "phonebak-agent.desktop";

/// Where the entry goes: `$XDG_CONFIG_HOME/autostart` (`~/.config/autostart`).
#[must_use]
pub fn autostart_path() -> Option<PathBuf> {
    let config = std::env::var_os("XDG_CONFIG_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").filter(|v| !v.is_empty()).map(|h| PathBuf::from(h).join(".config")))?;
    Some(config.join("autostart").join(FILE_NAME))
}

/// The program to start: `phonebak` when this is the installed one on the PATH, else this program's path.
#[must_use]
pub fn program() -> String {
    let exe = std::env::current_exe().ok();
    match exe {
        Some(exe) if exe == Path::new("/usr/bin/phonebak") => "phonebak".to_string(),
        Some(exe) => exe.to_string_lossy().into_owned(),
        None => "phonebak".to_string(),
    }
}

/// `arg` quoted for a desktop entry's `Exec` key where it needs it (the specification's rules: double quotes,
/// with `"`, `` ` ``, `$` and `\` escaped by a backslash; `%` doubled).
fn exec_arg(arg: &str) -> String {
    let arg = arg.replace('%', "%%");
    let plain = arg.chars().all(|c| c.is_ascii_alphanumeric() || "/-_.+,:@".contains(c));
    if plain {
        return arg;
    }
    let mut quoted = String::from("\"");
    for c in arg.chars() {
        if matches!(c, '"' | '`' | '$' | '\\') {
            quoted.push('\\');
        }
        quoted.push(c);
    }
    quoted.push('"');
    quoted
}

/// The entry's text for `program`.
#[must_use]
pub fn entry(program: &str) -> String {
    format!(
        "[Desktop Entry]\nType=Application\nName=phonebak automatic backup\nComment=Backs up the phones marked in \
         phonebak when they connect\nExec={} agent\nIcon=phonebak\nTerminal=false\nNoDisplay=true\n\
         X-GNOME-Autostart-enabled=true\n",
        exec_arg(program)
    )
}

/// Writes the autostart entry (whole, or not at all). Returns its path.
///
/// # Errors
/// No home folder, or the file cannot be written.
pub fn install() -> std::io::Result<PathBuf> {
    let path = autostart_path().ok_or_else(|| std::io::Error::other("no home folder (set HOME)"))?;
    install_at(&path, &program())?;
    Ok(path)
}

/// Writes an autostart entry starting `program agent` at `path` (whole, or not at all).
///
/// # Errors
/// When the file cannot be written.
pub fn install_at(path: &Path, program: &str) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let tmp = path.with_extension("desktop.part");
    std::fs::write(&tmp, entry(program))?;
    std::fs::rename(&tmp, path)
}

/// Removes the autostart entry if there is one. Returns its path.
///
/// # Errors
/// No home folder, or the file cannot be removed.
pub fn remove() -> std::io::Result<PathBuf> {
    let path = autostart_path().ok_or_else(|| std::io::Error::other("no home folder (set HOME)"))?;
    remove_at(&path)?;
    Ok(path)
}

/// Removes the autostart entry at `path` if it is there.
///
/// # Errors
/// When it cannot be removed.
pub fn remove_at(path: &Path) -> std::io::Result<()> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_autostart_entry_starts_the_agent_and_quotes_a_path_with_spaces() {
        let text = entry("/home/ana/my apps/phonebak");
        assert!(text.contains("Exec=\"/home/ana/my apps/phonebak\" agent\n"), "{text}");
        assert!(entry("phonebak").contains("Exec=phonebak agent\n"));
        assert!(entry("/opt/100%/pb").contains("Exec=\"/opt/100%%/pb\" agent"), "{}", entry("/opt/100%/pb"));
        for line in ["[Desktop Entry]", "Type=Application", "NoDisplay=true", "Terminal=false"] {
            assert!(text.lines().any(|l| l == line), "{line}");
        }
    }
}
