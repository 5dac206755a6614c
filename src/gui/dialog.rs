//! The system's folder dialog (rfd: the XDG desktop portal, or zenity when there is no portal), and knowing
//! when it could not open at all. rfd returns "no folder" both when the person cancels and when no dialog
//! could be shown; it says which only in its log records (through the `log` crate). The app installs
//! [`LogBridge`] as the `log` crate's logger: it passes every record on to phonebak's log (tracing) and, on the
//! thread that opens a dialog, keeps rfd's errors so that a dialog that never opened is told apart from a
//! cancel.

use std::cell::RefCell;
use std::path::{Path, PathBuf};

thread_local! {
    /// rfd's errors on this thread while a dialog is open (`None` when no dialog is open here).
    static DIALOG_ERRORS: RefCell<Option<Vec<String>>> = const { RefCell::new(None) };
}

/// Passes the `log` crate's records (rfd's, among others) on to tracing, and keeps dialog errors.
struct LogBridge;

impl log::Log for LogBridge {
    fn enabled(&self, metadata: &log::Metadata<'_>) -> bool {
        metadata.level() <= log::Level::Warn
    }

    fn log(&self, record: &log::Record<'_>) {
        if !self.enabled(record.metadata()) {
            return;
        }
        let text = record.args().to_string();
        if record.level() == log::Level::Error {
            tracing::error!(target: "phonebak::dialog", "{}: {text}", record.target());
            DIALOG_ERRORS.with(|errors| {
                if let Some(errors) = errors.borrow_mut().as_mut() {
                    errors.push(text);
                }
            });
        } else {
            tracing::warn!(target: "phonebak::dialog", "{}: {text}", record.target());
        }
    }

    fn flush(&self) {}
}

static BRIDGE: LogBridge = LogBridge;

/// Makes [`LogBridge`] the `log` crate's logger (once; if another logger was set first, dialog failures look
/// like cancels, as before).
fn install_bridge() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        if log::set_logger(&BRIDGE).is_ok() {
            log::set_max_level(log::LevelFilter::Warn);
        }
    });
}

/// Opens the system's folder dialog and waits for it: `Ok(Some(folder))` when one was chosen, `Ok(None)` when
/// the person cancelled, `Err(why)` when no dialog could be shown (no portal and no zenity, D-Bus errors).
///
/// # Errors
/// Why no dialog could open, in one line for people.
pub fn pick_folder(title: &str, start: Option<&Path>) -> Result<Option<PathBuf>, String> {
    install_bridge();
    let mut dialog = rfd::FileDialog::new().set_title(title);
    if let Some(start) = start.filter(|s| s.is_dir()) {
        dialog = dialog.set_directory(start);
    }
    DIALOG_ERRORS.with(|errors| *errors.borrow_mut() = Some(Vec::new()));
    let picked = dialog.pick_folder();
    let errors = DIALOG_ERRORS.with(|errors| errors.borrow_mut().take()).unwrap_or_default();
    match (picked, errors.last()) {
        (Some(folder), _) => Ok(Some(folder)),
        (None, None) => Ok(None),
        (None, Some(last)) => Err(format!(
            "The folder dialog could not open: this desktop has neither a file chooser portal \
             (xdg-desktop-portal) nor zenity ({last}). Type or paste the folder below instead."
        )),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_dialog_that_cannot_open_is_an_error_not_a_cancel() {
        let zenity = std::env::var_os("PATH")
            .is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join("zenity").is_file()));
        if zenity || std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some() {
            eprintln!("skipped: zenity or a D-Bus session is here, so a real dialog could open");
            return;
        }
        let why = super::pick_folder("Choose a folder", None).expect_err("no dialog can open here");
        assert!(why.starts_with("The folder dialog could not open"), "{why}");
        assert!(why.contains("zenity"), "{why}");
    }
}
