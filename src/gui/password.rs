//! The password dialog of encrypted backups: asked once to open one, twice (with a strength hint) to start one.

use eframe::egui;
use std::path::PathBuf;

/// What the password is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PasswordFor {
    /// Open the encrypted backup in this folder (for the Backup screen, or the Restore screen).
    Unlock { dir: PathBuf, restore: bool },
    /// Start an encrypted backup in this folder, then back up.
    Create { dir: PathBuf },
}

/// The dialog's state.
#[derive(Debug, Clone)]
pub struct PasswordPrompt {
    /// What it is for.
    pub purpose: PasswordFor,
    /// The password typed.
    pub first: String,
    /// The second typing (when starting a backup).
    pub second: String,
    /// Why the last try failed.
    pub error: Option<String>,
    /// The key is being opened or made (scrypt takes about a second).
    pub busy: bool,
    /// "Remember the password on this computer" is ticked.
    pub remember: bool,
}

impl PasswordPrompt {
    /// A new dialog.
    #[must_use]
    pub fn new(purpose: PasswordFor) -> Self {
        Self { purpose, first: String::new(), second: String::new(), error: None, busy: false, remember: false }
    }
}

/// What the dialog asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PasswordCommand {
    /// Go on with this password.
    Submit,
    /// Close the dialog.
    Cancel,
}

/// The checkbox that keeps the password in the desktop's keyring.
pub const REMEMBER: &str = "Remember the password on this computer (for the automatic backup)";

/// Draws the dialog.
pub fn password_ui(ctx: &egui::Context, prompt: &mut PasswordPrompt) -> Option<PasswordCommand> {
    let mut command = None;
    let creating = matches!(prompt.purpose, PasswordFor::Create { .. });
    egui::Modal::new(egui::Id::unique("phonebak-password")).show(ctx, |ui| {
        ui.set_max_width(440.0);
        match &prompt.purpose {
            PasswordFor::Create { dir } => {
                ui.heading("Encrypt this backup");
                ui.label(format!(
                    "Everything phonebak writes to {} will be encrypted with this password. Without it the \
                     photos cannot be read, by anyone: keep it somewhere safe.",
                    dir.display()
                ));
            }
            PasswordFor::Unlock { dir, .. } => {
                ui.heading("This backup is encrypted");
                ui.label(format!("Type the password of the backup in {}.", dir.display()));
            }
        }
        ui.add_space(6.0);
        let label = ui.label("Password");
        let first = ui.add(egui::TextEdit::singleline(&mut prompt.first).password(true)).labelled_by(label.id);
        if !prompt.busy && prompt.first.is_empty() && !first.has_focus() && prompt.second.is_empty() {
            first.request_focus();
        }
        let mut enter = first.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
        if creating {
            if let Some(hint) = crate::vault::strength_hint(&prompt.first).filter(|_| !prompt.first.is_empty()) {
                ui.colored_label(ui.visuals().warn_fg_color, hint);
            }
            let label = ui.label("Type it again");
            let second = ui.add(egui::TextEdit::singleline(&mut prompt.second).password(true)).labelled_by(label.id);
            enter = second.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
            if !prompt.second.is_empty() && prompt.second != prompt.first {
                ui.colored_label(ui.visuals().warn_fg_color, "The two passwords differ.");
            }
        }
        // Offered for the backup folder, the one the automatic backup opens (not for a folder to restore from).
        if !matches!(prompt.purpose, PasswordFor::Unlock { restore: true, .. }) {
            ui.checkbox(&mut prompt.remember, REMEMBER);
        }
        if let Some(e) = &prompt.error {
            ui.colored_label(ui.visuals().error_fg_color, e);
        }
        let ready = !prompt.busy && !prompt.first.is_empty() && (!creating || prompt.second == prompt.first);
        ui.horizontal(|ui| {
            let text = if creating { "Encrypt and back up" } else { "Unlock" };
            if ui.add_enabled(ready, egui::Button::new(text)).clicked() || (ready && enter) {
                command = Some(PasswordCommand::Submit);
            }
            if ui.add_enabled(!prompt.busy, egui::Button::new("Cancel")).clicked() {
                command = Some(PasswordCommand::Cancel);
            }
            if prompt.busy {
                ui.spinner();
            }
        });
    });
    command
}
