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

/// Draws the Settings screen.
pub fn settings_ui(
    ui: &mut egui::Ui,
    settings: &mut Settings,
    default_folder: Option<&Path>,
    cache_used: Option<u64>,
    pair: &mut PairForm,
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
    if let Some(c) = automatic_ui(ui, settings) {
        command = Some(c);
    }
    ui.add_space(8.0);
    if let Some(c) = wifi_ui(ui, settings, pair) {
        command = Some(c);
    }
    command
}

/// The phones backed up automatically, each with "Stop".
fn automatic_ui(ui: &mut egui::Ui, settings: &Settings) -> Option<SettingsCommand> {
    let mut command = None;
    ui.label(egui::RichText::new("Automatic backup").strong());
    if settings.automatic.is_empty() {
        ui.weak(
            "No phone is backed up automatically. Tick \"Back up this phone automatically when it connects\" on a \
             phone's screen.",
        );
    }
    for auto in &settings.automatic {
        ui.horizontal(|ui| {
            let folders = if auto.folders.is_empty() { "all folders".to_string() } else { auto.folders.join(", ") };
            ui.label(format!(
                "{} ({}): {folders}, into {}",
                auto.model,
                auto.phone_serial,
                auto.backup_folder.display()
            ));
            if ui.button(format!("Stop backing up {} automatically", auto.model)).clicked() {
                command = Some(SettingsCommand::StopAutomatic(auto.phone_serial.clone()));
            }
        });
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
