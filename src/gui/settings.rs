//! The Settings screen: the backup folder, what "new" means, the thumbnail cache's size, the phones backed up
//! automatically, the phones used over Wi-Fi and pairing with wireless debugging.

use crate::settings::{NewMeans, Settings};
use eframe::egui;
use std::path::Path;

/// What the Settings screen asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SettingsCommand {
    /// The settings changed: save them.
    Changed,
    /// Choose the backup folder with the system's folder dialog.
    ChooseBackupFolder,
    /// Use this typed folder as the backup folder (once checked).
    UseTypedFolder(String),
    /// Empty the thumbnail cache.
    ClearCache,
    /// Stop backing up this phone (its own serial) automatically.
    StopAutomatic(String),
    /// Back up this connected phone (its own serial, its model) automatically: all its folders, into the
    /// backup folder.
    StartAutomatic(String, String),
    /// Stop using this phone (its own serial) over Wi-Fi.
    ForgetWifi(String),
    /// Pair with wireless debugging (the address and code typed in the [`PairForm`]).
    Pair,
    /// Back to where the user was.
    Close,
}

/// Pairing with Android 11's wireless debugging: what is typed, and what came of it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PairForm {
    /// `HOST:PORT` from the phone's pairing screen.
    pub address: String,
    /// The six-digit code.
    pub code: String,
    /// Pairing now.
    pub busy: bool,
    /// What adb said, or why it failed.
    pub said: Option<Result<String, String>>,
}

/// The Settings screen's automatic backup: the phones connected now (own serial, model), to turn it on for,
/// and what turning it on or off said.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AutomaticChoices {
    /// Phones connected now (`ro.serialno`, model).
    pub connected: Vec<(String, String)>,
    /// What the last change said, or why it failed.
    pub said: Option<Result<String, String>>,
    /// Where a phone turned on here is backed up (the backup folder), `None` when none is chosen.
    pub folder: Option<std::path::PathBuf>,
}

/// Draws the Settings screen.
pub fn settings_ui(
    ui: &mut egui::Ui,
    settings: &mut Settings,
    default_folder: Option<&Path>,
    cache_used: Option<u64>,
    pair: &mut PairForm,
    choices: &AutomaticChoices,
) -> Option<SettingsCommand> {
    let mut command = None;
    ui.horizontal(|ui| {
        if ui.button("Close settings").clicked() {
            command = Some(SettingsCommand::Close);
        }
        ui.heading("Settings");
    });
    ui.add_space(8.0);
    ui.label(egui::RichText::new("Backup folder").strong());
    ui.horizontal(|ui| {
        let shown = match (&settings.backup_folder, default_folder) {
            (Some(folder), _) => folder.display().to_string(),
            (None, Some(default)) => format!("{} (the default)", default.display()),
            (None, None) => "(not chosen yet)".to_string(),
        };
        ui.label(shown);
        if ui.button("Change…").clicked() {
            command = Some(SettingsCommand::ChooseBackupFolder);
        }
    });
    ui.add_space(8.0);
    ui.label(egui::RichText::new("Back up copies").strong());
    for means in [NewMeans::NotYetBackedUp, NewMeans::NewerThanLastBackup] {
        if ui.radio_value(&mut settings.new_means, means, means.describe()).changed() {
            command = Some(SettingsCommand::Changed);
        }
    }
    ui.add_space(8.0);
    ui.label(egui::RichText::new("Thumbnail cache").strong());
    let slider = egui::Slider::new(&mut settings.thumbnail_cache_mb, 50..=5000)
        .suffix(" MB")
        .logarithmic(true)
        .text("Largest size of the thumbnail cache");
    if ui.add(slider).changed() {
        command = Some(SettingsCommand::Changed);
    }
    if let Some(used) = cache_used {
        ui.horizontal(|ui| {
            ui.label(format!("In use: {}", crate::human::human_bytes(used)));
            if ui.button("Empty the thumbnail cache").clicked() {
                command = Some(SettingsCommand::ClearCache);
            }
        });
    }
    ui.add_space(8.0);
    if let Some(c) = automatic_ui(ui, settings, choices) {
        command = Some(c);
    }
    ui.add_space(8.0);
    if let Some(c) = wifi_ui(ui, settings, pair) {
        command = Some(c);
    }
    command
}

/// The phones backed up automatically and the phones connected now, each with "Back up ... automatically when
/// it connects" (ticked for the ones that are).
fn automatic_ui(ui: &mut egui::Ui, settings: &Settings, choices: &AutomaticChoices) -> Option<SettingsCommand> {
    let mut command = None;
    ui.label(egui::RichText::new("Automatic backup").strong());
    if settings.automatic.is_empty() && choices.connected.is_empty() {
        ui.weak("No phone is backed up automatically. Connect a phone to choose it here or on its screen.");
    }
    for auto in &settings.automatic {
        let folders = if auto.folders.is_empty() { "all folders".to_string() } else { auto.folders.join(", ") };
        let mut on = true;
        let text = format!("Back up {} ({}) automatically when it connects", auto.model, auto.phone_serial);
        if ui.checkbox(&mut on, text).changed() {
            command = Some(SettingsCommand::StopAutomatic(auto.phone_serial.clone()));
        }
        ui.weak(format!("    {folders}, into {}", auto.backup_folder.display()));
    }
    for (serial, model) in &choices.connected {
        if settings.automatic.iter().any(|a| &a.phone_serial == serial) {
            continue;
        }
        let mut on = false;
        let text = format!("Back up {model} ({serial}) automatically when it connects");
        let offered = choices.folder.is_some();
        if ui.add_enabled(offered, egui::Checkbox::new(&mut on, text)).changed() {
            command = Some(SettingsCommand::StartAutomatic(serial.clone(), model.clone()));
        }
        match &choices.folder {
            Some(folder) => ui.weak(format!("    all folders, into {}", folder.display())),
            None => ui.weak("    choose a backup folder first"),
        };
    }
    match &choices.said {
        Some(Ok(said)) => {
            ui.label(said);
        }
        Some(Err(why)) => {
            ui.colored_label(ui.visuals().error_fg_color, why);
        }
        None => {}
    }
    command
}

/// The phones used over Wi-Fi, each with "Forget", and pairing with wireless debugging.
fn wifi_ui(ui: &mut egui::Ui, settings: &Settings, pair: &mut PairForm) -> Option<SettingsCommand> {
    let mut command = None;
    ui.label(egui::RichText::new("Phones over Wi-Fi").strong());
    if settings.wifi.is_empty() {
        ui.weak("None yet: open a phone connected by USB and choose \"Use this phone over Wi-Fi\".");
    }
    for phone in &settings.wifi {
        ui.horizontal(|ui| {
            ui.label(format!("{} ({}) at {}", phone.model, phone.phone_serial, phone.address));
            if ui.button(format!("Forget {}", phone.model)).clicked() {
                command = Some(SettingsCommand::ForgetWifi(phone.phone_serial.clone()));
            }
        });
    }
    ui.add_space(4.0);
    ui.label("Android 11 and newer without a cable: on the phone, Developer options > Wireless debugging > Pair device with pairing code.");
    ui.horizontal(|ui| {
        ui.label("Address (IP address & Port):");
        ui.add(egui::TextEdit::singleline(&mut pair.address).desired_width(160.0).hint_text("192.168.1.23:37099"));
        ui.label("Code:");
        ui.add(egui::TextEdit::singleline(&mut pair.code).desired_width(80.0).hint_text("123456"));
        if ui.add_enabled(!pair.busy, egui::Button::new("Pair")).clicked() {
            command = Some(SettingsCommand::Pair);
        }
        if pair.busy {
            ui.spinner();
        }
    });
    match &pair.said {
        Some(Ok(said)) => {
            ui.label(said);
        }
        Some(Err(why)) => {
            ui.colored_label(ui.visuals().error_fg_color, why);
        }
        None => {}
    }
    command
}
