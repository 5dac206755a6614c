//! What the app remembers between runs (the backup folder, what "new" means, the thumbnail cache's size), kept
//! as a small JSON file in the user's config folder, and the Settings screen that changes it.

use eframe::egui;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// Which photos a backup copies when only new ones are asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum NewMeans {
    /// Every chosen photo the backup folder does not hold yet (or holds an older version of).
    #[default]
    NotYetBackedUp,
    /// Only photos newer than the newest one already backed up: photos that were deleted from the backup
    /// folder on purpose are not copied again.
    NewerThanLastBackup,
}

impl NewMeans {
    /// For people.
    #[must_use]
    pub fn describe(self) -> &'static str {
        match self {
            Self::NotYetBackedUp => "Every photo not yet in the backup folder",
            Self::NewerThanLastBackup => "Only photos taken after the newest one already backed up",
        }
    }
}

/// The app's settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// Where backups go (the last folder chosen).
    pub backup_folder: Option<PathBuf>,
    /// The backup folder last opened on the Restore screen.
    pub restore_folder: Option<PathBuf>,
    /// What "new" means for the Back up button.
    pub new_means: NewMeans,
    /// Largest size of the thumbnail cache on disk, in MB.
    pub thumbnail_cache_mb: u64,
}

impl Default for Settings {
    fn default() -> Self {
        Self { backup_folder: None, restore_folder: None, new_means: NewMeans::default(), thumbnail_cache_mb: 500 }
    }
}

/// A folder from the environment variable `key`, if set and not empty.
fn env_dir(key: &str) -> Option<PathBuf> {
    std::env::var_os(key).filter(|v| !v.is_empty()).map(PathBuf::from)
}

/// `sub` below the user's folder for this kind of file: `%<windows>%` on Windows, else `$<xdg>` or `~/<home>`.
fn user_dir(windows: &str, xdg: &str, home: &str, sub: &[&str]) -> Option<PathBuf> {
    let base = if cfg!(windows) {
        env_dir(windows)?
    } else {
        env_dir(xdg).or_else(|| env_dir("HOME").map(|h| h.join(home)))?
    };
    Some(sub.iter().fold(base, |dir, part| dir.join(part)))
}

/// Where the settings file lives: `$XDG_CONFIG_HOME/phonebak/settings.json` (`~/.config/...`), or
/// `%APPDATA%\phonebak\settings.json` on Windows.
#[must_use]
pub fn settings_path() -> Option<PathBuf> {
    user_dir("APPDATA", "XDG_CONFIG_HOME", ".config", &["phonebak", "settings.json"])
}

/// Where thumbnails are cached: `$XDG_CACHE_HOME/phonebak/thumbnails` (`~/.cache/...`), or
/// `%LOCALAPPDATA%\phonebak\thumbnails` on Windows.
#[must_use]
pub fn thumbnail_cache_dir() -> Option<PathBuf> {
    user_dir("LOCALAPPDATA", "XDG_CACHE_HOME", ".cache", &["phonebak", "thumbnails"])
}

impl Settings {
    /// Reads the settings at `path`; the defaults when there are none or they cannot be read (a damaged file
    /// is logged and replaced on the next save).
    #[must_use]
    pub fn load(path: &Path) -> Self {
        match std::fs::read(path) {
            Ok(bytes) => serde_json::from_slice(&bytes).unwrap_or_else(|e| {
                tracing::warn!(path = %path.display(), "the settings file cannot be read ({e}); using the defaults");
                Self::default()
            }),
            Err(_) => Self::default(),
        }
    }

    /// Writes the settings to `path`, whole or not at all (a temp file renamed over it).
    ///
    /// # Errors
    /// When the folder cannot be made or the file written.
    pub fn save(&self, path: &Path) -> std::io::Result<()> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let tmp = path.with_extension("json.part");
        let text = serde_json::to_vec_pretty(self).map_err(std::io::Error::other)?;
        std::fs::write(&tmp, text)?;
        std::fs::rename(&tmp, path)
    }
}

/// What the Settings screen asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SettingsCommand {
    /// The settings changed: save them.
    Changed,
    /// Choose the backup folder with the system's folder dialog.
    ChooseBackupFolder,
    /// Empty the thumbnail cache.
    ClearCache,
    /// Back to where the user was.
    Close,
}

/// Draws the Settings screen.
pub fn settings_ui(ui: &mut egui::Ui, settings: &mut Settings, cache_used: Option<u64>) -> Option<SettingsCommand> {
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
        let shown =
            settings.backup_folder.as_ref().map_or_else(|| "(not chosen yet)".to_string(), |p| p.display().to_string());
        ui.label(shown);
        if ui.button("Choose…").clicked() {
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
