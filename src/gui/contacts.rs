//! The Restore screen's contacts: the backup's `Contacts/contacts.vcf` (or `contacts.json`; in an encrypted
//! folder, the sealed vCard read with the folder's key) of the phone shown,
//! one line per contact (name, first number or email) with a checkbox, All / None, and "Put back N contacts",
//! which adds the ticked ones to the chosen phone (those it has already are skipped). It only draws and keeps
//! the ticks; the app reads the files and imports on threads.

use crate::contacts::Contact;
use eframe::egui;
use std::path::{Path, PathBuf};

/// The contacts kept for one phone in a backup folder.
#[derive(Debug, Clone)]
pub struct PhoneContacts {
    /// The phone's folder in the backup ("Pixel 7 (2A091FDH)").
    pub folder: String,
    /// The file read.
    pub file: PathBuf,
    /// Its contacts, or why they could not be read.
    pub contacts: Result<Vec<Contact>, String>,
}

impl PhoneContacts {
    /// Whether these are the contacts of the phone whose own serial is `serial`.
    #[must_use]
    pub fn of(&self, serial: &str) -> bool {
        self.folder.ends_with(&format!("({serial})"))
    }
}

/// The raw rows of `contacts.json`.
#[derive(serde::Deserialize)]
struct Rows {
    raw_contacts: Vec<crate::content::Row>,
    data: Vec<crate::content::Row>,
}

/// Reads a contacts file of the backup: the vCard, or the provider's rows when only they are there.
fn read_file(file: &Path) -> Result<Vec<Contact>, String> {
    let bytes = std::fs::read(file).map_err(|e| format!("Could not read {} ({e}).", file.display()))?;
    if file.extension().is_some_and(|x| x == "json") {
        let rows: Rows = serde_json::from_slice(&bytes).map_err(|e| format!("{} is damaged ({e}).", file.display()))?;
        Ok(crate::contacts::assemble(&rows.raw_contacts, &rows.data))
    } else {
        crate::contacts::vcard::read_vcards(&bytes).map_err(|e| format!("{} is damaged ({e}).", file.display()))
    }
}

/// The contacts each phone's folder of backup folder `dir` holds (`<phone>/Contacts/contacts.vcf`, else
/// `contacts.json`), by folder name.
#[must_use]
pub fn find_in(dir: &Path) -> Vec<PhoneContacts> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    let mut found: Vec<PhoneContacts> = entries
        .flatten()
        .filter_map(|entry| {
            let folder = entry.path().join(crate::contacts::store::FOLDER);
            let file = ["contacts.vcf", "contacts.json"].into_iter().map(|n| folder.join(n)).find(|f| f.is_file())?;
            Some(PhoneContacts {
                folder: entry.file_name().to_string_lossy().into_owned(),
                contacts: read_file(&file),
                file,
            })
        })
        .collect();
    found.sort_by(|a, b| a.folder.cmp(&b.folder));
    found
}

/// The contacts an encrypted backup folder (opened with its key) holds, by phone: each phone's vCard, read
/// through the folder's documents.
#[must_use]
pub fn find_in_encrypted(backup: &crate::restore::Backup) -> Vec<PhoneContacts> {
    let docs = crate::backup::documents::Documents::new(&backup.dir, backup.vault.as_deref());
    let mut found: Vec<PhoneContacts> = backup
        .phones
        .iter()
        .filter_map(|phone| {
            let folder = phone.manifest.device_folder();
            let place = crate::contacts::store::vcard_place(&folder);
            let contacts = match docs.read(&place) {
                Ok(None) => return None,
                Ok(Some(bytes)) => crate::contacts::vcard::read_vcards(&bytes)
                    .map_err(|e| format!("{} is damaged ({e}).", docs.shown(&place))),
                Err(e) => Err(e.to_string()),
            };
            Some(PhoneContacts { folder, file: backup.dir.join(&place), contacts })
        })
        .collect();
    found.sort_by(|a, b| a.folder.cmp(&b.folder));
    found
}

/// One contact of the list.
#[derive(Debug, Clone)]
pub struct ContactRow {
    /// The contact.
    pub contact: Contact,
    /// "Anna Schmidt: +49 151 23456789": its checkbox's label.
    pub label: String,
    /// Ticked.
    pub ticked: bool,
}

/// "Anna Schmidt: +49 151 23456789": the name and the first number, else the first email.
#[must_use]
pub fn contact_label(contact: &Contact) -> String {
    let mut name = contact.shown_name();
    if name.trim().is_empty() {
        name = "(no name)".to_string();
    }
    // One line: a name with a newline would break the list.
    let name = name.replace(['\n', '\r'], " ");
    match contact.phones.first().or_else(|| contact.emails.first()) {
        Some(first) if first.value != name => format!("{name}: {}", first.value.replace(['\n', '\r'], " ")),
        _ => name,
    }
}

/// The Restore screen's contacts of the phone shown.
#[derive(Debug, Clone, Default)]
pub struct ContactList {
    /// The phone's folder in the backup.
    pub folder: String,
    /// The contacts, each with its tick (all ticked at first).
    pub rows: Vec<ContactRow>,
    /// Why the file could not be read.
    pub error: Option<String>,
    /// The ticked ones are being put back.
    pub putting_back: bool,
    /// How the last put-back went: what was done, or why not.
    pub said: Option<Result<String, String>>,
}

impl ContactList {
    /// The list of `found`, every contact ticked.
    #[must_use]
    pub fn of(found: &PhoneContacts) -> Self {
        let (rows, error) = match &found.contacts {
            Ok(contacts) => (
                contacts
                    .iter()
                    .map(|c| ContactRow { label: contact_label(c), contact: c.clone(), ticked: true })
                    .collect(),
                None,
            ),
            Err(e) => (Vec::new(), Some(e.clone())),
        };
        Self { folder: found.folder.clone(), rows, error, putting_back: false, said: None }
    }

    /// How many are ticked.
    #[must_use]
    pub fn ticked(&self) -> usize {
        self.rows.iter().filter(|r| r.ticked).count()
    }

    /// The ticked contacts.
    #[must_use]
    pub fn ticked_contacts(&self) -> Vec<Contact> {
        self.rows.iter().filter(|r| r.ticked).map(|r| r.contact.clone()).collect()
    }

    /// "Put back 3 contacts".
    #[must_use]
    pub fn button_text(&self) -> String {
        format!("Put back {}", super::backup::count(self.ticked(), "contact"))
    }
}

/// What the contacts list asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContactsCommand {
    /// Add the ticked contacts to the chosen phone.
    PutBack,
}

/// Draws the contacts list; `target`: the phone they would go to (`None`: none chosen yet).
pub fn contacts_ui(ui: &mut egui::Ui, list: &mut ContactList, target: Option<&str>) -> Option<ContactsCommand> {
    let mut command = None;
    ui.label(egui::RichText::new(format!("Contacts in the backup ({})", list.rows.len())).strong());
    if let Some(e) = &list.error {
        ui.colored_label(ui.visuals().error_fg_color, e);
        return None;
    }
    ui.horizontal(|ui| {
        if ui.add_enabled(!list.putting_back, egui::Button::new("All")).clicked() {
            list.rows.iter_mut().for_each(|r| r.ticked = true);
        }
        if ui.add_enabled(!list.putting_back, egui::Button::new("None")).clicked() {
            list.rows.iter_mut().for_each(|r| r.ticked = false);
        }
    });
    let ready = target.is_some() && !list.putting_back && list.ticked() > 0;
    let button = ui.add_enabled(ready, egui::Button::new(list.button_text()));
    if button.clicked() {
        command = Some(ContactsCommand::PutBack);
    }
    match target {
        Some(name) => ui.weak(format!("onto {name}; contacts it has already are skipped, none is changed.")),
        None => ui.weak("Choose the phone to put them on (Restore to, above)."),
    };
    if list.putting_back {
        ui.horizontal(|ui| {
            ui.spinner();
            ui.label("Putting the contacts back…");
        });
    }
    match &list.said {
        Some(Ok(said)) => {
            ui.label(egui::RichText::new(said).strong());
        }
        Some(Err(why)) => {
            ui.colored_label(ui.visuals().error_fg_color, why);
        }
        None => {}
    }
    ui.separator();
    let enabled = !list.putting_back;
    egui::ScrollArea::vertical().id_salt("restore-contacts").show(ui, |ui| {
        for row in &mut list.rows {
            ui.add_enabled(enabled, egui::Checkbox::new(&mut row.ticked, row.label.as_str()));
        }
    });
    command
}
