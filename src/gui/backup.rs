//! The Backup screen: what to back up (`datatypes.rs`) and the phone's gallery folders on the left (counts,
//! sizes, dates, a checkbox each), the photos of the ticked folders in the grid, the backup folder and the Back
//! up button on top, and while a backup runs its progress with Cancel. It only draws and keeps its ticks and
//! selection; the app does the work.

use super::grid::{Badge, GridCommand, GridItem, PhotoGrid, Textures};
use super::job::{Job, Outcome, job_ui, outcome_ui};
use crate::backup::Manifest;
use crate::human::{date, human_bytes};
use crate::scan::{Folder, MediaFile, MediaKind};
use crate::settings::NewMeans;
use crate::thumbnails::ThumbKey;
use eframe::egui;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::PathBuf;

/// What the backup folder already holds of this phone: each phone path's newest version (size, mtime).
#[derive(Debug, Clone, Default)]
pub struct BackedUp {
    /// Newest version of each phone path.
    pub files: HashMap<Vec<u8>, (u64, i64)>,
    /// The newest modification time backed up.
    pub newest: Option<i64>,
}

impl BackedUp {
    /// What a manifest says.
    #[must_use]
    pub fn of(manifest: &Manifest) -> Self {
        let mut files = HashMap::new();
        for f in &manifest.files {
            files.insert(f.phone_path.0.clone(), (f.size, f.mtime));
        }
        Self { newest: manifest.files.iter().map(|f| f.mtime).max(), files }
    }

    /// The badge of a phone file.
    #[must_use]
    pub fn badge(&self, path: &[u8], size: u64, mtime: i64) -> Badge {
        match self.files.get(path) {
            None => Badge::New,
            Some(&(s, m)) if s == size && m == mtime => Badge::BackedUp,
            Some(_) => Badge::Changed,
        }
    }
}

/// What the Backup screen shows.
#[derive(Debug, Default)]
#[allow(clippy::struct_excessive_bools)] // Independent facts the screen shows, not a state machine.
pub struct BackupView {
    /// The phone's name.
    pub phone: String,
    /// The serial adb knows it by.
    pub serial: String,
    /// Its own serial (`ro.serialno`), which backups are filed under; empty until the scan has read it.
    pub phone_serial: String,
    /// The scan is running; what it is at.
    pub scanning: Option<String>,
    /// Why the scan failed.
    pub error: Option<String>,
    /// The folders, in the scan's order, each with whether it is ticked.
    pub folders: Vec<(Folder, bool)>,
    /// The photos of the ticked folders.
    pub grid: PhotoGrid,
    /// The backup folder.
    pub dest: Option<PathBuf>,
    /// What the backup folder holds of this phone, once read.
    pub backed_up: Option<BackedUp>,
    /// Why the backup folder could not be read.
    pub dest_error: Option<String>,
    /// Free bytes on the backup folder's disk, once read.
    pub dest_free: Option<u64>,
    /// The typed folder, when the folder dialog could not open.
    pub folder_entry: Option<super::FolderEntry>,
    /// "Back up this phone automatically when it connects" (`None`: not offered).
    pub automatic: Option<bool>,
    /// What turning it on or off did.
    pub automatic_note: Option<String>,
    /// Why turning it on or off failed.
    pub automatic_error: Option<String>,
    /// The automatic backup agent's progress, while it copies this phone.
    pub agent_job: Option<String>,
    /// "Use this phone over Wi-Fi", and how switching went.
    pub wifi: WifiOffer,
    /// What "new" means.
    pub new_means: NewMeans,
    /// The backup folder is encrypted.
    pub encrypted: bool,
    /// It is encrypted and its password has not been given yet.
    pub locked: bool,
    /// Whether "Remember the password on this computer" put the password in the desktop's keyring (what it
    /// did, or why not: a note, the folder is open either way).
    pub keyring_note: Option<Result<String, String>>,
    /// The backup folder holds no backup yet (encryption can be chosen).
    pub fresh: bool,
    /// "Encrypt this backup with a password" is ticked (for a fresh folder).
    pub encrypt_new: bool,
    /// The running backup.
    pub job: Option<Job>,
    /// How the last backup ended.
    pub outcome: Option<Outcome>,
    /// What to back up: photos and videos, contacts... each with its count and tick.
    pub data: super::datatypes::DataChoice,
}

/// "Use this phone over Wi-Fi" on a phone's screen.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum WifiOffer {
    /// Not offered (the phone is not read yet).
    #[default]
    Hidden,
    /// A phone on the cable: offered.
    Offered,
    /// Switching now.
    Switching,
    /// Switched (what to know).
    Switched(String),
    /// Could not switch (why, what to do).
    Failed(String),
    /// The phone is connected over the network already.
    OverNetwork,
}

impl BackupView {
    /// Photos, videos and bytes of the ticked folders.
    #[must_use]
    pub fn ticked(&self) -> (usize, usize, u64) {
        self.folders
            .iter()
            .filter(|(_, on)| *on)
            .fold((0, 0, 0), |(p, v, b), (f, _)| (p + f.photos, v + f.videos, b + f.bytes))
    }

    /// Puts the photos of the ticked folders in the grid (keeping the selection of those still shown).
    pub fn refresh_grid(&mut self) {
        let mut items = Vec::new();
        for (g, (folder, on)) in self.folders.iter().enumerate() {
            if !*on {
                continue;
            }
            for file in &folder.files {
                items.push(GridItem {
                    key: ThumbKey { path: file.path.clone(), size: file.size, mtime: file.mtime },
                    name: String::from_utf8_lossy(file.name()).into_owned(),
                    size: file.size,
                    mtime: file.mtime,
                    taken: file.mtime,
                    video: file.kind == MediaKind::Video,
                    group: g,
                    badge: Badge::None,
                });
            }
        }
        self.grid.set_items(items);
        self.refresh_badges();
    }

    /// Marks each photo new, changed or backed up, from what the backup folder holds.
    pub fn refresh_badges(&mut self) {
        let backed_up = self.backed_up.as_ref();
        self.grid.set_badges(|item| match backed_up {
            Some(b) => b.badge(&item.key.path, item.size, item.mtime),
            None => Badge::None,
        });
    }

    /// The photos the Back up button is about: the selected ones, or every one shown when none is selected.
    fn chosen(&self) -> Vec<&GridItem> {
        if self.grid.selected_count() > 0 {
            self.grid.selected_items().collect()
        } else {
            self.grid.items().iter().collect()
        }
    }

    /// Whether a chosen photo will be copied.
    fn copies(&self, item: &GridItem) -> bool {
        let Some(backed_up) = &self.backed_up else { return true };
        match self.new_means {
            NewMeans::NotYetBackedUp => item.badge != Badge::BackedUp,
            NewMeans::NewerThanLastBackup => {
                item.badge != Badge::BackedUp && backed_up.newest.is_none_or(|newest| item.mtime > newest)
            }
        }
    }

    /// Whether "Free up space…" is offered: the backup folder holds a backup of this phone (an encrypted
    /// one only once unlocked).
    #[must_use]
    pub fn offers_free_up(&self) -> bool {
        !self.locked && self.dest.is_some() && self.backed_up.as_ref().is_some_and(|b| !b.files.is_empty())
    }

    /// The files the backup copies: [`Self::to_back_up`], or none when "Photos and videos" is unticked.
    #[must_use]
    pub fn photos_to_copy(&self) -> Vec<MediaFile> {
        if self.data.photos { self.to_back_up() } else { Vec::new() }
    }

    /// Photos, videos and bytes of every folder the scan found (`None` while it runs or when it failed).
    #[must_use]
    pub fn gallery_totals(&self) -> Option<(usize, usize, u64)> {
        if self.scanning.is_some() || self.error.is_some() {
            return None;
        }
        Some(self.folders.iter().fold((0, 0, 0), |(p, v, b), (f, _)| (p + f.photos, v + f.videos, b + f.bytes)))
    }

    /// The files the Back up button copies.
    #[must_use]
    pub fn to_back_up(&self) -> Vec<MediaFile> {
        self.chosen()
            .into_iter()
            .filter(|i| self.copies(i))
            .map(|i| MediaFile {
                path: i.key.path.clone(),
                size: i.size,
                mtime: i.mtime,
                kind: if i.video { MediaKind::Video } else { MediaKind::Photo },
            })
            .collect()
    }

    /// "312 photos, 1.2 GB, 40 new": what the Back up button is about.
    #[must_use]
    pub fn summary(&self) -> String {
        let chosen = self.chosen();
        let videos = chosen.iter().filter(|i| i.video).count();
        let photos = chosen.len() - videos;
        let bytes: u64 = chosen.iter().map(|i| i.size).sum();
        let mut text = String::new();
        if self.grid.selected_count() > 0 {
            text.push_str("Selected: ");
        }
        text.push_str(&count(photos, "photo"));
        if videos > 0 {
            let _ = write!(text, ", {}", count(videos, "video"));
        }
        let _ = write!(text, ", {}", human_bytes(bytes));
        if self.backed_up.is_some() {
            let new = chosen.iter().filter(|i| self.copies(i)).count();
            let _ = write!(text, ", {new} new");
        }
        text
    }
}

/// "1 photo", "2 photos".
pub(super) fn count(n: usize, what: &str) -> String {
    if n == 1 { format!("1 {what}") } else { format!("{n} {what}s") }
}

/// What the user asked for on the Backup screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BackupCommand {
    /// Back to the Connect screen.
    Back,
    /// Choose the backup folder with the system's folder dialog.
    ChooseFolder,
    /// Use this typed folder as the backup folder (once checked).
    UseTypedFolder(String),
    /// Back this phone up automatically when it connects (or not).
    SetAutomatic(bool),
    /// Switch this phone from the cable to Wi-Fi.
    UseWifi,
    /// A folder was ticked or unticked.
    FoldersChanged,
    /// A data type ("Photos and videos", "Contacts"...) was ticked or unticked.
    DataChanged,
    /// Copy the new photos.
    BackUp,
    /// Stop the running backup.
    Cancel,
    /// Open the backup folder in the file manager.
    OpenFolder(PathBuf),
    /// Show a photo large.
    Preview(usize),
    /// The preview closed.
    ClosePreview,
    /// The Settings screen.
    Settings,
    /// The log.
    Log,
    /// The Restore screen.
    Restore,
    /// Ask the password of the encrypted backup folder.
    Unlock,
    /// The free-up screen: what can be removed from the phone because it is safe in the backup folder.
    FreeUp,
}

/// Draws the Backup screen.
pub fn backup_ui(ui: &mut egui::Ui, view: &mut BackupView, textures: &mut Textures) -> Option<BackupCommand> {
    let mut command = None;
    egui::Panel::top("backup-top").show(ui, |ui| {
        ui.add_space(4.0);
        ui.horizontal(|ui| {
            if ui.button("Back to phones").clicked() {
                command = Some(BackupCommand::Back);
            }
            ui.heading(&view.phone);
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                if ui.button("Show log").clicked() {
                    command = Some(BackupCommand::Log);
                }
                if ui.button("Settings").clicked() {
                    command = Some(BackupCommand::Settings);
                }
                if ui.button("Restore a backup…").clicked() {
                    command = Some(BackupCommand::Restore);
                }
            });
        });
        ui.horizontal(|ui| {
            ui.label("Backup folder:");
            match &view.dest {
                Some(dest) => {
                    ui.monospace(dest.display().to_string());
                    if let Some(free) = view.dest_free {
                        ui.label(format!("({} free)", human_bytes(free)));
                    }
                }
                None => {
                    ui.weak("not chosen yet");
                }
            }
            let running = view.job.is_some();
            let text = if view.dest.is_some() { "Change…" } else { "Choose backup folder…" };
            if ui.add_enabled(!running, egui::Button::new(text)).clicked() {
                command = Some(BackupCommand::ChooseFolder);
            }
        });
        if let Some(entry) = &mut view.folder_entry
            && super::folder_entry_ui(ui, entry, "Back up into this folder:")
        {
            command = Some(BackupCommand::UseTypedFolder(entry.text.clone()));
        }
        if let Some(e) = &view.dest_error {
            ui.colored_label(ui.visuals().error_fg_color, e);
        }
        if view.locked {
            ui.horizontal(|ui| {
                ui.label("This backup folder is encrypted.");
                if ui.button("Unlock…").clicked() {
                    command = Some(BackupCommand::Unlock);
                }
            });
        } else if view.encrypted {
            ui.weak("Encrypted backup (age); the password is needed to read it.");
        } else if view.fresh && view.dest.is_some() && view.job.is_none() {
            ui.checkbox(&mut view.encrypt_new, "Encrypt this backup with a password");
        }
        match &view.keyring_note {
            Some(Ok(note)) => {
                ui.weak(note);
            }
            Some(Err(e)) => {
                ui.colored_label(ui.visuals().warn_fg_color, e);
            }
            None => {}
        }
        let gallery_read = view.error.is_none() && !view.folders.is_empty();
        if view.scanning.is_none() && (gallery_read || !view.data.extras_to_save().is_empty()) {
            ui.horizontal(|ui| {
                if gallery_read && view.data.photos {
                    ui.label(view.summary());
                }
                let files = view.photos_to_copy();
                let extras = view.data.extras_to_save();
                let ready = view.dest.is_some()
                    && view.job.is_none()
                    && view.agent_job.is_none()
                    && (!files.is_empty() || !extras.is_empty())
                    && !view.locked;
                let text = egui::RichText::new("Back up").size(18.0).strong();
                let button = ui.add_enabled(ready, egui::Button::new(text).min_size(egui::vec2(120.0, 32.0)));
                if button.clicked() {
                    command = Some(BackupCommand::BackUp);
                }
                if let Some(agent) = &view.agent_job {
                    ui.spinner();
                    ui.label(agent);
                } else if view.dest.is_none() {
                    ui.weak("Choose a backup folder first.");
                } else if files.is_empty() && extras.is_empty() && view.job.is_none() {
                    ui.weak("Everything chosen is backed up.");
                }
                if view.offers_free_up() {
                    let free = view.job.is_none() && view.agent_job.is_none();
                    let button = ui.add_enabled(free, egui::Button::new("Free up space…"));
                    if button
                        .on_hover_text("Remove from the phone the photos that are safe in the backup folder")
                        .clicked()
                    {
                        command = Some(BackupCommand::FreeUp);
                    }
                }
            });
        }
        if let Some(mut on) = view.automatic
            && view.dest.is_some()
            && !view.locked
        {
            let text = "Back up this phone automatically when it connects (the ticked folders, into this folder)";
            if ui.checkbox(&mut on, text).changed() {
                command = Some(BackupCommand::SetAutomatic(on));
            }
            if on && view.encrypted && !matches!(view.keyring_note, Some(Ok(_))) {
                ui.weak(
                    "The folder is encrypted: the automatic backup can open it only with its password remembered on \
                     this computer (tick \"Remember the password\" when you unlock it, or run phonebak agent \
                     remember-password --folder DIR).",
                );
            }
            if let Some(note) = &view.automatic_note {
                ui.weak(note);
            }
            if let Some(e) = &view.automatic_error {
                ui.colored_label(ui.visuals().error_fg_color, e);
            }
        }
        if let Some(c) = wifi_ui(ui, &view.wifi) {
            command = Some(c);
        }
        if let Some(job) = &view.job
            && job_ui(ui, job)
        {
            command = Some(BackupCommand::Cancel);
        }
        if let Some(outcome) = &view.outcome
            && let Some(c) = outcome_ui(ui, outcome)
        {
            command = Some(match c {
                super::job::OutcomeCommand::Open(path) => BackupCommand::OpenFolder(path),
            });
        }
        ui.add_space(4.0);
    });
    egui::Panel::left("backup-folders").resizable(true).default_size(280.0).show(ui, |ui| {
        egui::ScrollArea::vertical().show(ui, |ui| {
            let gallery = view.gallery_totals();
            if super::datatypes::data_choice_ui(ui, &mut view.data, gallery) {
                command = Some(BackupCommand::DataChanged);
            }
            ui.separator();
            if let Some(c) = folders_ui(ui, view) {
                command = Some(c);
            }
        });
    });
    egui::CentralPanel::default().show(ui, |ui| {
        if let Some(at) = &view.scanning {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label(format!("Reading the phone's gallery… {at}"));
            });
        }
        if let Some(error) = &view.error {
            ui.colored_label(ui.visuals().error_fg_color, error);
        }
        if view.scanning.is_none() && view.error.is_none() && view.folders.is_empty() {
            ui.label("The phone has no photos or videos.");
        }
        if view.scanning.is_none() && !view.folders.is_empty() && view.grid.items().is_empty() {
            ui.label("Tick a folder on the left to see its photos.");
        }
        match view.grid.show(ui, textures) {
            Some(GridCommand::Preview(n)) => command = Some(BackupCommand::Preview(n)),
            Some(GridCommand::ClosePreview) => command = Some(BackupCommand::ClosePreview),
            None => {}
        }
    });
    command
}

/// The folder list: a checkbox each (shows its photos in the grid) and a button selecting all of its photos.
fn folders_ui(ui: &mut egui::Ui, view: &mut BackupView) -> Option<BackupCommand> {
    let mut command = None;
    ui.label(egui::RichText::new("Folders on the phone").strong());
    let mut select = None;
    for (g, (folder, on)) in view.folders.iter_mut().enumerate() {
        let counts = match (folder.photos, folder.videos) {
            (p, 0) => count(p, "photo"),
            (0, v) => count(v, "video"),
            (p, v) => format!("{}, {}", count(p, "photo"), count(v, "video")),
        };
        let dates = if date(folder.oldest) == date(folder.newest) {
            date(folder.newest)
        } else {
            format!("{} – {}", date(folder.oldest), date(folder.newest))
        };
        ui.horizontal(|ui| {
            if ui.checkbox(on, format!("{}: {counts}, {}, {dates}", folder.name, human_bytes(folder.bytes))).changed() {
                command = Some(BackupCommand::FoldersChanged);
            }
        });
        if *on && ui.small_button(format!("Select all in {}", folder.name)).clicked() {
            select = Some(g);
        }
    }
    if let Some(g) = select {
        view.grid.toggle_group(g);
    }
    if !view.folders.is_empty() {
        ui.separator();
        let (photos, videos, bytes) = view.ticked();
        ui.label(format!("Chosen: {photos} photos and {videos} videos, {}", human_bytes(bytes)));
        ui.weak("Click a photo to select it; ctrl-click adds one, shift-click a run. Double-click shows it large.");
    }
    command
}

/// "Use this phone over Wi-Fi", or how switching went.
fn wifi_ui(ui: &mut egui::Ui, offer: &WifiOffer) -> Option<BackupCommand> {
    let mut command = None;
    match offer {
        WifiOffer::Hidden => {}
        WifiOffer::Offered => {
            ui.horizontal(|ui| {
                if ui.button("Use this phone over Wi-Fi").clicked() {
                    command = Some(BackupCommand::UseWifi);
                }
                ui.weak("(on the same network as this computer; then the cable can go)");
            });
        }
        WifiOffer::Switching => {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label("Switching the phone to Wi-Fi…");
            });
        }
        WifiOffer::Switched(said) => {
            ui.label(said);
        }
        WifiOffer::Failed(why) => {
            ui.colored_label(ui.visuals().error_fg_color, why);
        }
        WifiOffer::OverNetwork => {
            ui.weak("Connected over Wi-Fi.");
        }
    }
    command
}
