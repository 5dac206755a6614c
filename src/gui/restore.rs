//! The Restore screen: a backup folder (chosen with the system's dialog, remembered), the phones it holds,
//! their photos in the same grid as the Backup screen (thumbnails read from the backup on this computer), and
//! Restore all / Restore selected to a connected phone, with progress, Cancel and a summary.

use super::grid::{Badge, GridCommand, GridItem, PhotoGrid, Textures};
use super::job::{Job, Outcome, job_ui, outcome_ui};
use crate::backup::manifest::file_path_in;
use crate::human::human_bytes;
use crate::restore::Backup;
use crate::scan::MediaKind;
use crate::thumbnails::{ThumbKey, local_key_path};
use eframe::egui;
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

/// A folder of the backed-up phone: its path on the phone, photos and bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupFolder {
    /// Its path on the phone.
    pub path: String,
    /// How many files.
    pub files: usize,
    /// Their bytes.
    pub bytes: u64,
}

/// What the Restore screen shows.
#[derive(Debug, Default)]
pub struct RestoreView {
    /// The backup folder.
    pub folder: Option<PathBuf>,
    /// It is being read.
    pub opening: bool,
    /// Why it could not be read.
    pub error: Option<String>,
    /// It is encrypted and its password has not been given yet.
    pub locked: bool,
    /// What it holds.
    pub backup: Option<Backup>,
    /// Which of its phones is shown.
    pub phone: usize,
    /// That phone's folders.
    pub folders: Vec<BackupFolder>,
    /// Its photos (newest version of each).
    pub grid: PhotoGrid,
    /// The backup's path (manifest `local_path`) of each grid photo, by the photo's key path.
    pub local_paths: HashMap<Vec<u8>, Vec<u8>>,
    /// Phones ready to restore to: (serial, name).
    pub targets: Vec<(String, String)>,
    /// The phone chosen to restore to.
    pub target: Option<String>,
    /// The running restore.
    pub job: Option<Job>,
    /// How the last restore ended.
    pub outcome: Option<Outcome>,
}

impl RestoreView {
    /// Shows phone `n` of the open backup in the grid.
    pub fn show_phone(&mut self, n: usize) {
        let Some(backup) = &self.backup else { return };
        let Some(phone) = backup.phones.get(n) else { return };
        self.phone = n;
        // The newest version of each phone path, as "Restore all" restores.
        let mut newest: HashMap<&[u8], usize> = HashMap::new();
        for (i, f) in phone.manifest.files.iter().enumerate() {
            newest.insert(&f.phone_path.0, i);
        }
        let mut folders: BTreeMap<String, (usize, u64)> = BTreeMap::new();
        let mut items = Vec::new();
        self.local_paths.clear();
        for &i in newest.values() {
            let entry = &phone.manifest.files[i];
            let phone_path = String::from_utf8_lossy(&entry.phone_path.0).into_owned();
            let (dir, name) = phone_path.rsplit_once('/').unwrap_or(("", &phone_path));
            let group = folders.len();
            let slot = folders.entry(dir.to_string()).or_insert((0, 0));
            slot.0 += 1;
            slot.1 += entry.size;
            let local = local_key_path(&file_path_in(&backup.dir, &entry.local_path.0, backup.vault.as_deref()));
            self.local_paths.insert(local.clone(), entry.local_path.0.clone());
            items.push((
                dir.to_string(),
                GridItem {
                    key: ThumbKey { path: local, size: entry.size, mtime: entry.mtime },
                    name: name.to_string(),
                    size: entry.size,
                    mtime: entry.mtime,
                    taken: entry.mtime,
                    video: MediaKind::from_name(name.as_bytes()) == Some(MediaKind::Video),
                    group,
                    badge: Badge::None,
                },
            ));
        }
        let index: HashMap<String, usize> = folders.keys().enumerate().map(|(g, d)| (d.clone(), g)).collect();
        for (dir, item) in &mut items {
            item.group = index.get(dir.as_str()).copied().unwrap_or(0);
        }
        self.folders = folders.into_iter().map(|(path, (files, bytes))| BackupFolder { path, files, bytes }).collect();
        self.grid.set_items(items.into_iter().map(|(_, item)| item).collect());
    }

    /// The backup paths of the selected photos.
    #[must_use]
    pub fn selected_local_paths(&self) -> Vec<Vec<u8>> {
        self.grid.selected_items().filter_map(|i| self.local_paths.get(&i.key.path).cloned()).collect()
    }
}

/// What the user asked for on the Restore screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RestoreCommand {
    /// Back to where the user came from.
    Back,
    /// Choose the backup folder with the system's folder dialog.
    ChooseFolder,
    /// Show another phone of the backup.
    ShowPhone(usize),
    /// Restore every photo of the backup.
    RestoreAll,
    /// Restore the selected photos.
    RestoreSelected,
    /// Stop the running restore.
    Cancel,
    /// Show a photo large.
    Preview(usize),
    /// The preview closed.
    ClosePreview,
    /// Ask the password of the encrypted backup.
    Unlock,
}

/// Draws the Restore screen.
pub fn restore_ui(ui: &mut egui::Ui, view: &mut RestoreView, textures: &mut Textures) -> Option<RestoreCommand> {
    let mut command = None;
    egui::Panel::top("restore-top").show(ui, |ui| {
        ui.add_space(4.0);
        ui.horizontal(|ui| {
            if ui.button("Back").clicked() {
                command = Some(RestoreCommand::Back);
            }
            ui.heading("Restore a backup");
        });
        ui.horizontal(|ui| {
            ui.label("Backup folder:");
            match &view.folder {
                Some(dir) => ui.monospace(dir.display().to_string()),
                None => ui.weak("not chosen yet"),
            };
            if ui.add_enabled(view.job.is_none(), egui::Button::new("Choose a backup folder…")).clicked() {
                command = Some(RestoreCommand::ChooseFolder);
            }
        });
        if view.opening {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label("Reading the backup…");
            });
        }
        if let Some(e) = &view.error {
            ui.colored_label(ui.visuals().error_fg_color, e);
        }
        if view.locked {
            ui.horizontal(|ui| {
                ui.label("This backup is encrypted.");
                if ui.button("Unlock…").clicked() {
                    command = Some(RestoreCommand::Unlock);
                }
            });
        }
        if let Some(backup) = &view.backup {
            if backup.phones.len() > 1 {
                ui.horizontal(|ui| {
                    ui.label("Phones in this backup:");
                    for (n, p) in backup.phones.iter().enumerate() {
                        if ui.selectable_label(n == view.phone, format!("{} ({})", p.model, p.serial)).clicked() {
                            command = Some(RestoreCommand::ShowPhone(n));
                        }
                    }
                });
            }
            if let Some(phone) = backup.phones.get(view.phone) {
                ui.label(format!(
                    "Backup of {} ({}): {} files, {}",
                    phone.model,
                    phone.serial,
                    phone.files,
                    human_bytes(phone.bytes)
                ));
            }
            ui.horizontal(|ui| {
                ui.label("Restore to:");
                match view.targets.as_slice() {
                    [] => {
                        ui.weak("no phone is connected and ready (go back to connect one)");
                    }
                    targets => {
                        for (serial, name) in targets {
                            ui.radio_value(&mut view.target, Some(serial.clone()), name);
                        }
                    }
                }
            });
            let ready = view.target.is_some() && view.job.is_none();
            ui.horizontal(|ui| {
                let all = egui::RichText::new("Restore all").size(18.0).strong();
                if ui.add_enabled(ready, egui::Button::new(all).min_size(egui::vec2(120.0, 32.0))).clicked() {
                    command = Some(RestoreCommand::RestoreAll);
                }
                let selected = view.grid.selected_count();
                let text = format!("Restore selected ({selected})");
                if ui.add_enabled(ready && selected > 0, egui::Button::new(text)).clicked() {
                    command = Some(RestoreCommand::RestoreSelected);
                }
                ui.weak("Photos already on the phone are skipped; nothing on the phone is overwritten.");
            });
        }
        if let Some(job) = &view.job
            && job_ui(ui, job)
        {
            command = Some(RestoreCommand::Cancel);
        }
        if let Some(outcome) = &view.outcome {
            let _ = outcome_ui(ui, outcome);
        }
        ui.add_space(4.0);
    });
    if !view.folders.is_empty() {
        egui::Panel::left("restore-folders").resizable(true).default_size(260.0).show(ui, |ui| {
            egui::ScrollArea::vertical().show(ui, |ui| {
                ui.label(egui::RichText::new("Folders in the backup").strong());
                let mut select = None;
                for (g, folder) in view.folders.iter().enumerate() {
                    ui.label(format!("{}: {} files, {}", folder.path, folder.files, human_bytes(folder.bytes)));
                    if ui.small_button(format!("Select all in {}", folder.path)).clicked() {
                        select = Some(g);
                    }
                }
                if let Some(g) = select {
                    view.grid.toggle_group(g);
                }
            });
        });
    }
    egui::CentralPanel::default().show(ui, |ui| match view.grid.show(ui, textures) {
        Some(GridCommand::Preview(n)) => command = Some(RestoreCommand::Preview(n)),
        Some(GridCommand::ClosePreview) => command = Some(RestoreCommand::ClosePreview),
        None => {}
    });
    command
}
