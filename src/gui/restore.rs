//! The Restore screen: a backup folder (chosen with the system's dialog, remembered), the phones it holds,
//! their photos in the same grid as the Backup screen (thumbnails read from the backup on this computer), and
//! Restore all / Restore selected to a connected phone, with progress, Cancel and a summary; on the right, the
//! phone's contacts when the backup holds them (`contacts.rs`), its messages (which only the phone's SMS app
//! may put back: the screen says so and opens the readable copy) and `WhatsApp`'s files (put back where
//! `WhatsApp` looks for them on the chosen phone, then the steps to take in `WhatsApp`).

use super::contacts::{ContactList, ContactsCommand, PhoneContacts, contacts_ui};
use super::grid::{Badge, GridCommand, GridItem, PhotoGrid, Textures};
use super::job::{Job, Outcome, job_ui, outcome_ui};
use crate::backup::manifest::file_path_in;
use crate::human::human_bytes;
use crate::restore::Backup;
use crate::scan::MediaKind;
use crate::scan::folder_names;
use crate::thumbnails::{ThumbKey, local_key_path};
use eframe::egui;
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::path::PathBuf;

/// A folder of the backed-up phone: its path on the phone, its name as the Backup screen gives it, photos,
/// videos and bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupFolder {
    /// Its path on the phone.
    pub path: String,
    /// Its name for people ("Camera", "Camera (DCIM)").
    pub name: String,
    /// How many photos.
    pub photos: usize,
    /// How many videos.
    pub videos: usize,
    /// Their bytes.
    pub bytes: u64,
}

/// A phone that can be restored to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RestoreTarget {
    /// The serial adb knows it by.
    pub serial: String,
    /// Its model ("Pixel 7"), or adb's name for it until it has said.
    pub name: String,
    /// Its own serial (`ro.serialno`, which backups are filed under), once it has said.
    pub phone_serial: Option<String>,
    /// Free bytes in its shared storage, once it has said.
    pub free: Option<u64>,
}

impl RestoreTarget {
    /// "Pixel 7 · serial 2A091FDH · 52.1 GB free": two phones of the same model differ.
    #[must_use]
    pub fn label(&self) -> String {
        let mut text = format!("{} · serial {}", self.name, self.phone_serial.as_deref().unwrap_or(&self.serial));
        if let Some(free) = self.free {
            let _ = write!(text, " · {} free", human_bytes(free));
        }
        text
    }
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
    /// Phones ready to restore to.
    pub targets: Vec<RestoreTarget>,
    /// The phone chosen to restore to (adb's serial).
    pub target: Option<String>,
    /// Restoring onto another phone than the backup's waits for a yes (`Some(what)`).
    pub confirm_other: Option<RestorePart>,
    /// The typed folder, when the folder dialog could not open.
    pub folder_entry: Option<super::FolderEntry>,
    /// The running restore.
    pub job: Option<Job>,
    /// How the last restore ended.
    pub outcome: Option<Outcome>,
    /// The contacts each phone's folder of the backup holds.
    pub contact_files: Vec<PhoneContacts>,
    /// The contacts of the phone shown, with their ticks.
    pub contacts: Option<ContactList>,
    /// The messages the backup holds of the phone shown.
    pub messages: Option<MessagesInBackup>,
    /// `WhatsApp`'s files the backup holds of the phone shown.
    pub whatsapp: Option<WhatsAppInBackup>,
}

/// What a restore puts back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RestorePart {
    /// Every photo and video (and no `WhatsApp` file but its media, as `phonebak restore` does by default).
    All,
    /// The photos selected in the grid.
    Selected,
    /// `WhatsApp`'s files, into the folder `WhatsApp` uses on the chosen phone.
    WhatsApp,
}

/// The messages a backup holds of a phone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MessagesInBackup {
    /// Their readable page (`<phone>/Messages/index.html`).
    Page(PathBuf),
    /// They are kept encrypted in an encrypted backup folder.
    Encrypted,
}

/// `WhatsApp`'s files a backup holds of a phone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WhatsAppInBackup {
    /// How many and their bytes.
    pub summary: crate::whatsapp::Summary,
    /// After they were put back: a line for each folder they went to other than their own (empty when none).
    pub done: Option<Vec<String>>,
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
        let mut folders: BTreeMap<String, (usize, usize, u64)> = BTreeMap::new();
        let mut items = Vec::new();
        self.local_paths.clear();
        let mut whatsapp = crate::whatsapp::Summary::default();
        for &i in newest.values() {
            let entry = &phone.manifest.files[i];
            let phone_path = String::from_utf8_lossy(&entry.phone_path.0).into_owned();
            let (dir, name) = phone_path.rsplit_once('/').unwrap_or(("", &phone_path));
            if crate::whatsapp::Root::of(&entry.phone_path.0).is_some() {
                whatsapp.files += 1;
                whatsapp.bytes += entry.size;
                // WhatsApp's databases and backups are not pictures: they are put back with WhatsApp's files.
                if MediaKind::from_name(name.as_bytes()).is_none() {
                    continue;
                }
            }
            let group = folders.len();
            let video = MediaKind::from_name(name.as_bytes()) == Some(MediaKind::Video);
            let slot = folders.entry(dir.to_string()).or_insert((0, 0, 0));
            if video {
                slot.1 += 1;
            } else {
                slot.0 += 1;
            }
            slot.2 += entry.size;
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
                    video,
                    group,
                    badge: Badge::None,
                },
            ));
        }
        let index: HashMap<String, usize> = folders.keys().enumerate().map(|(g, d)| (d.clone(), g)).collect();
        for (dir, item) in &mut items {
            item.group = index.get(dir.as_str()).copied().unwrap_or(0);
        }
        let paths: Vec<&[u8]> = folders.keys().map(String::as_bytes).collect();
        let names = folder_names(&paths);
        self.folders = folders
            .into_iter()
            .zip(names)
            .map(|((path, (photos, videos, bytes)), name)| BackupFolder { path, name, photos, videos, bytes })
            .collect();
        self.grid.set_items(items.into_iter().map(|(_, item)| item).collect());
        if self.whatsapp.as_ref().is_none_or(|w| w.summary != whatsapp) {
            self.whatsapp = (whatsapp.files > 0).then_some(WhatsAppInBackup { summary: whatsapp, done: None });
        }
        let docs = crate::backup::documents::Documents::new(&backup.dir, backup.vault.as_deref());
        let place = format!(
            "{}/{}/{}",
            phone.manifest.device_folder(),
            crate::messages::store::FOLDER,
            crate::messages::store::INDEX_HTML
        );
        self.messages = docs.exists(&place).then(|| {
            if docs.encrypted() { MessagesInBackup::Encrypted } else { MessagesInBackup::Page(docs.file(&place)) }
        });
        self.pick_contacts();
    }

    /// Takes the contacts found in the backup folder, and shows those of the phone shown.
    pub fn set_contact_files(&mut self, found: Vec<PhoneContacts>) {
        self.contact_files = found;
        self.contacts = None;
        self.pick_contacts();
    }

    /// Shows the contacts of the phone shown (or, when the backup holds no photos of any phone, the contacts
    /// of its first phone); keeps the ticks when it is the same phone.
    fn pick_contacts(&mut self) {
        let serial = self.backup.as_ref().and_then(|b| b.phones.get(self.phone)).map(|p| p.serial.as_str());
        let found = match serial {
            Some(serial) => self.contact_files.iter().find(|c| c.of(serial)),
            None => self.contact_files.first(),
        };
        match found {
            Some(found) if self.contacts.as_ref().is_some_and(|c| c.folder == found.folder) => {}
            Some(found) => self.contacts = Some(ContactList::of(found)),
            None => self.contacts = None,
        }
    }

    /// Keeps the chosen target while it is connected; with none chosen, picks the phone the shown backup came
    /// from (the same `ro.serialno`) when it is connected, else none: restoring is never aimed at a phone
    /// by chance.
    pub fn keep_or_default_target(&mut self) {
        if self.target.as_ref().is_some_and(|t| !self.targets.iter().any(|x| &x.serial == t)) {
            self.target = None;
            self.confirm_other = None;
        }
        if self.target.is_none()
            && let Some(source) = self.backup.as_ref().and_then(|b| b.phones.get(self.phone))
        {
            self.target = self
                .targets
                .iter()
                .find(|t| t.phone_serial.as_deref() == Some(source.serial.as_str()))
                .map(|t| t.serial.clone());
        }
    }

    /// The chosen target.
    #[must_use]
    pub fn target(&self) -> Option<&RestoreTarget> {
        self.target.as_ref().and_then(|t| self.targets.iter().find(|x| &x.serial == t))
    }

    /// Whether the chosen target is not the phone the shown backup came from (or has not said which it is).
    #[must_use]
    pub fn target_is_another_phone(&self) -> bool {
        let source = self.backup.as_ref().and_then(|b| b.phones.get(self.phone)).map(|p| p.serial.as_str());
        self.target().is_some_and(|t| t.phone_serial.as_deref() != source || source.is_none())
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
    /// Open this typed backup folder (once checked).
    UseTypedFolder(String),
    /// Yes, restore onto the other phone.
    ConfirmOther,
    /// No, do not restore onto the other phone.
    CancelOther,
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
    /// Add the ticked contacts to the chosen phone.
    PutBackContacts,
    /// Open the backup's messages page in the browser.
    OpenMessages(PathBuf),
    /// Put `WhatsApp`'s files back on the chosen phone.
    PutBackWhatsApp,
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
        if let Some(entry) = &mut view.folder_entry
            && super::folder_entry_ui(ui, entry, "Restore from this folder:")
        {
            command = Some(RestoreCommand::UseTypedFolder(entry.text.clone()));
        }
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
            targets_ui(ui, &view.targets, &mut view.target);
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
        } else if view.contacts.is_some() {
            // A backup folder holding contacts and no photos: the contacts can still go back.
            targets_ui(ui, &view.targets, &mut view.target);
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
                    let counts = match (folder.photos, folder.videos) {
                        (p, 0) => super::backup::count(p, "photo"),
                        (0, v) => super::backup::count(v, "video"),
                        (p, v) => format!("{}, {}", super::backup::count(p, "photo"), super::backup::count(v, "video")),
                    };
                    ui.label(format!("{}: {counts}, {}", folder.name, human_bytes(folder.bytes)))
                        .on_hover_text(folder.path.as_str());
                    if ui.small_button(format!("Select all in {}", folder.name)).clicked() {
                        select = Some(g);
                    }
                }
                if let Some(g) = select {
                    view.grid.toggle_group(g);
                }
            });
        });
    }
    if view.contacts.is_some() || view.messages.is_some() || view.whatsapp.is_some() {
        let target = view.target.as_ref().and_then(|t| view.targets.iter().find(|x| &x.serial == t));
        let target = target.map(|t| t.name.clone());
        let free = view.job.is_none();
        egui::Panel::right("restore-contacts").resizable(true).default_size(300.0).show(ui, |ui| {
            if let Some(messages) = &view.messages
                && let Some(c) = messages_ui(ui, messages)
            {
                command = Some(c);
            }
            if let Some(whatsapp) = &view.whatsapp
                && let Some(c) = whatsapp_ui(ui, whatsapp, target.as_deref(), free)
            {
                command = Some(c);
            }
            if let Some(list) = &mut view.contacts
                && contacts_ui(ui, list, target.as_deref()) == Some(ContactsCommand::PutBack)
            {
                command = Some(RestoreCommand::PutBackContacts);
            }
        });
    }
    if let Some(c) = confirm_other_ui(ui.ctx(), view) {
        command = Some(c);
    }
    egui::CentralPanel::default().show(ui, |ui| match view.grid.show(ui, textures) {
        Some(GridCommand::Preview(n)) => command = Some(RestoreCommand::Preview(n)),
        Some(GridCommand::ClosePreview) => command = Some(RestoreCommand::ClosePreview),
        None => {}
    });
    command
}

/// What the Restore screen says of the backup's messages.
pub const MESSAGES_NOT_RESTORED: &str = "Android lets only the phone's default SMS app put messages back, so \
     phonebak cannot restore them onto a phone.";

/// The backup's messages: why they cannot go back, and Open the messages (or, encrypted, how to get them out).
pub fn messages_ui(ui: &mut egui::Ui, messages: &MessagesInBackup) -> Option<RestoreCommand> {
    let mut command = None;
    ui.label(egui::RichText::new("Messages").strong());
    ui.label(MESSAGES_NOT_RESTORED);
    match messages {
        MessagesInBackup::Page(page) => {
            ui.label("They are in the backup, readable in any browser.");
            if ui.button("Open the messages").on_hover_text(page.display().to_string()).clicked() {
                command = Some(RestoreCommand::OpenMessages(page.clone()));
            }
        }
        MessagesInBackup::Encrypted => {
            ui.label(
                "They are kept encrypted in this backup folder, where a browser cannot open them. For a copy you \
                 can read, run `phonebak messages export --from <this backup folder> -o <a folder>` in a terminal \
                 (it asks this folder's password); keep that copy somewhere safe.",
            );
        }
    }
    ui.separator();
    command
}

/// `WhatsApp`'s files in the backup: their count and size and "Put back `WhatsApp`'s files" (`free`: no restore
/// runs); once put back, where they went and the steps to take in `WhatsApp`.
pub fn whatsapp_ui(
    ui: &mut egui::Ui,
    whatsapp: &WhatsAppInBackup,
    target: Option<&str>,
    free: bool,
) -> Option<RestoreCommand> {
    let mut command = None;
    ui.label(egui::RichText::new("WhatsApp").strong());
    ui.label(whatsapp.summary.to_string());
    let ready = target.is_some() && free;
    if ui.add_enabled(ready, egui::Button::new("Put back WhatsApp's files")).clicked() {
        command = Some(RestoreCommand::PutBackWhatsApp);
    }
    match target {
        Some(name) => ui.weak(format!(
            "onto {name}, into the folder WhatsApp looks in there; files it has already are skipped. Do it \
             before WhatsApp is opened on it."
        )),
        None => ui.weak("Choose the phone to put them on (Restore to, above)."),
    };
    if let Some(moved) = &whatsapp.done {
        for line in moved {
            ui.label(line);
        }
        ui.label(egui::RichText::new(crate::whatsapp::restore_steps_text()).strong());
    }
    ui.add(egui::Label::new(egui::RichText::new(crate::whatsapp::NOT_DECRYPTED).small().weak()).wrap());
    ui.separator();
    command
}

/// "Restore to:" and a radio button per ready phone.
fn targets_ui(ui: &mut egui::Ui, targets: &[RestoreTarget], chosen: &mut Option<String>) {
    ui.horizontal_wrapped(|ui| {
        ui.label("Restore to:");
        if targets.is_empty() {
            ui.weak("no phone is connected and ready (go back to connect one)");
        }
        for target in targets {
            ui.radio_value(chosen, Some(target.serial.clone()), target.label());
        }
    });
    if !targets.is_empty() && chosen.is_none() {
        ui.weak("Choose the phone to restore to.");
    }
}

/// Asks before restoring a phone's backup onto another phone, naming both.
fn confirm_other_ui(ctx: &egui::Context, view: &RestoreView) -> Option<RestoreCommand> {
    let part = view.confirm_other?;
    let source = view.backup.as_ref().and_then(|b| b.phones.get(view.phone))?;
    let target = view.target()?;
    let mut command = None;
    egui::Modal::new(egui::Id::unique("phonebak-restore-other-phone")).show(ctx, |ui| {
        ui.heading("Restore onto another phone?");
        ui.label(format!(
            "This is the backup of {} (serial {}). Restore its {} onto {}?",
            source.model,
            source.serial,
            if part == RestorePart::WhatsApp { "WhatsApp files" } else { "photos" },
            target.label()
        ));
        ui.horizontal(|ui| {
            if ui.button(format!("Restore onto {}", target.name)).clicked() {
                command = Some(RestoreCommand::ConfirmOther);
            }
            if ui.button("Cancel").clicked() {
                command = Some(RestoreCommand::CancelOther);
            }
        });
    });
    command
}
