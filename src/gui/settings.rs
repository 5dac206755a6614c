//! The Settings screen: the backup folder, what "new" means, the thumbnail cache's size.

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
    /// Back to where the user was.
    Close,
}

/// Draws the Settings screen.
pub fn settings_ui(
    ui: &mut egui::Ui,
    settings: &mut Settings,
    default_folder: Option<&Path>,
    cache_used: Option<u64>,
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
    command
}
