//! The phone screen's "what to back up" choice, as `FoneLab`'s "select data type" step: **Photos and videos**
//! (counted by the gallery scan the screen does anyway) and each other kind of data the phone holds, with its
//! count and a checkbox.
//!
//! Every kind beyond the gallery is one [`Extra`]: a function that counts it on the phone (run on a named
//! thread when the phone is opened) and one that saves it into the phone's folder of the backup (run on the
//! backup job's thread after the photos). Messages and `WhatsApp` become one more entry in [`EXTRAS`] each.

use super::backup::count;
use crate::device::{Device, DeviceInfo};
use crate::human::human_bytes;
use eframe::egui;
use std::path::Path;

/// A kind of data beyond the gallery's photos and videos.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ExtraKind {
    /// The phone's contacts (a vCard and the provider's rows in `<Model> (<serial>)/Contacts/`).
    Contacts,
}

/// What the phone holds of a kind: how many items, and their bytes when they can be told.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counted {
    /// How many items (contacts, messages, files).
    pub items: usize,
    /// Their bytes, when the kind has a size worth showing.
    pub bytes: Option<u64>,
}

/// One kind of data beyond the gallery: its name and how it is counted and saved.
pub struct Extra {
    /// Which kind.
    pub kind: ExtraKind,
    /// Its name on the screen ("Contacts").
    pub name: &'static str,
    /// One item, for counts ("contact").
    pub item: &'static str,
    /// The name of the thread that counts it.
    pub thread: &'static str,
    /// Ticked by default (once counted, when the phone has some).
    pub ticked: bool,
    /// Counts it on the phone; `Err` is the sentence the screen shows ("Contacts: the phone refused (…)").
    pub count: fn(&Device, &DeviceInfo) -> Result<Counted, String>,
    /// Saves it into backup folder `dest` (`vault`: the folder is encrypted); `Ok` and `Err` are the report's
    /// sentences ("Saved 20 contacts.", "Contacts not saved: …").
    pub save: fn(&Device, &DeviceInfo, &Path, Option<&crate::vault::Vault>) -> Result<String, String>,
}

impl std::fmt::Debug for Extra {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Extra").field("kind", &self.kind).field("name", &self.name).finish_non_exhaustive()
    }
}

/// Every kind of data beyond the gallery, in the order the screen lists them.
pub static EXTRAS: &[Extra] = &[Extra {
    kind: ExtraKind::Contacts,
    name: "Contacts",
    item: "contact",
    thread: "count-contacts",
    // Contacts are what people miss most when a phone is lost, they take a few kilobytes, and reading them
    // changes nothing on the phone: ticked unless the phone has none or refuses.
    ticked: true,
    count: count_contacts,
    save: save_contacts,
}];

/// The entry of `kind`.
#[must_use]
pub fn extra(kind: ExtraKind) -> Option<&'static Extra> {
    EXTRAS.iter().find(|e| e.kind == kind)
}

/// "the phone refused (…)" for a refusal, else "could not be read (…)".
fn why_not(e: &crate::contacts::ContactsError) -> String {
    match e {
        crate::contacts::ContactsError::Content(c) if c.is_refusal() => format!("the phone refused ({c})"),
        crate::contacts::ContactsError::Content(c) => format!("could not be read ({c})"),
    }
}

fn count_contacts(device: &Device, info: &DeviceInfo) -> Result<Counted, String> {
    crate::contacts::read_contacts(device, info.sdk)
        .map(|book| Counted { items: book.contacts.len(), bytes: None })
        .map_err(|e| format!("Contacts: {}", why_not(&e)))
}

fn save_contacts(
    device: &Device,
    info: &DeviceInfo,
    dest: &Path,
    vault: Option<&crate::vault::Vault>,
) -> Result<String, String> {
    let book = crate::contacts::read_contacts(device, info.sdk)
        .map_err(|e| format!("Contacts not saved: they {}.", why_not(&e)))?;
    for note in &book.notes {
        tracing::warn!("{note}");
    }
    if book.contacts.is_empty() {
        return Ok("The phone has no contacts to save.".to_string());
    }
    if vault.is_some() {
        return Err(format!(
            "Contacts not saved: {} is an encrypted backup folder, and phonebak does not yet keep contacts in one. \
             Export them with `phonebak contacts export -o FILE.vcf` and keep that file somewhere safe.",
            dest.display()
        ));
    }
    let not_saved = |e: String| format!("Contacts not saved: {e}");
    let manifest = crate::backup::Manifest::load_or_new_in(dest, &info.serial, &info.model, None)
        .map_err(|e| not_saved(e.to_string()))?;
    let phone_folder = dest.join(manifest.device_folder());
    let what = format!("{}: contacts of {}", crate::backup::lock::role(), info.serial);
    let saved = {
        let _lock = crate::backup::lock::lock(dest, &what).map_err(|e| not_saved(e.to_string()))?;
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
        crate::contacts::store::save(&phone_folder, &book, &crate::human::date(now))
            .map_err(|e| not_saved(e.to_string()))?
    };
    let mut text = format!("Saved {}", count(saved.contacts, "contact"));
    if saved.unchanged {
        text.push_str(" (unchanged since the last backup)");
    } else if saved.previous.is_some() {
        text.push_str(" (the previous version is kept beside them)");
    }
    text.push('.');
    Ok(text)
}

/// What the phone holds of a kind, as the screen knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Count {
    /// Being read.
    Reading,
    /// Read.
    Counted(Counted),
    /// The phone refused, or it could not be read: the sentence to show.
    Refused(String),
}

/// One line of the choice beyond the gallery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExtraChoice {
    /// Which kind.
    pub kind: ExtraKind,
    /// Ticked: the backup saves it.
    pub ticked: bool,
    /// What the phone holds of it.
    pub count: Count,
    /// The person ticked or unticked it (a count arriving later leaves their choice alone).
    pub touched: bool,
}

/// The data-type choice of the phone screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataChoice {
    /// "Photos and videos" is ticked.
    pub photos: bool,
    /// The other kinds, in [`EXTRAS`] order.
    pub extras: Vec<ExtraChoice>,
}

impl Default for DataChoice {
    fn default() -> Self {
        Self {
            photos: true,
            extras: EXTRAS
                .iter()
                .map(|e| ExtraChoice { kind: e.kind, ticked: e.ticked, count: Count::Reading, touched: false })
                .collect(),
        }
    }
}

impl DataChoice {
    /// Takes a count: a kind the phone has none of, or refuses, is unticked (unless the person chose).
    pub fn set_count(&mut self, kind: ExtraKind, result: Result<Counted, String>) {
        let Some(choice) = self.extras.iter_mut().find(|c| c.kind == kind) else { return };
        match result {
            Ok(counted) => {
                if counted.items == 0 && !choice.touched {
                    choice.ticked = false;
                }
                choice.count = Count::Counted(counted);
            }
            Err(why) => {
                choice.ticked = false;
                choice.count = Count::Refused(why);
            }
        }
    }

    /// The kinds beyond the gallery the backup saves.
    #[must_use]
    pub fn extras_to_save(&self) -> Vec<&'static Extra> {
        self.extras
            .iter()
            .filter(|c| c.ticked && !matches!(c.count, Count::Refused(_)))
            .filter_map(|c| extra(c.kind))
            .collect()
    }
}

/// The label of a kind's checkbox: "Contacts: 20", "Contacts: counting…".
#[must_use]
pub fn extra_label(extra: &Extra, state: &Count) -> String {
    match state {
        Count::Reading => format!("{}: counting…", extra.name),
        Count::Counted(Counted { items, bytes: None }) => format!("{}: {items}", extra.name),
        Count::Counted(Counted { items, bytes: Some(b) }) => {
            format!("{}: {}, {}", extra.name, count(*items, extra.item), human_bytes(*b))
        }
        Count::Refused(_) => extra.name.to_string(),
    }
}

/// Draws the choice: "Photos and videos" with the gallery's totals (`None` while the scan runs), then each
/// other kind with its count or why it cannot be read. `encrypted`: the backup folder is encrypted (kinds that
/// cannot be kept there say so). True when a tick changed.
pub fn data_choice_ui(
    ui: &mut egui::Ui,
    choice: &mut DataChoice,
    gallery: Option<(usize, usize, u64)>,
    encrypted: bool,
) -> bool {
    let mut changed = false;
    ui.label(egui::RichText::new("What to back up").strong());
    let photos = match gallery {
        Some((p, v, b)) => {
            format!("Photos and videos: {}, {}, {}", count(p, "photo"), count(v, "video"), human_bytes(b))
        }
        None => "Photos and videos: reading…".to_string(),
    };
    changed |= ui.checkbox(&mut choice.photos, photos).changed();
    for c in &mut choice.extras {
        let Some(extra) = extra(c.kind) else { continue };
        // "counting…" without a spinner: a count may take a while, and the screen need not repaint for it.
        let refused = matches!(c.count, Count::Refused(_));
        let label = extra_label(extra, &c.count);
        if ui.add_enabled(!refused, egui::Checkbox::new(&mut c.ticked, label)).changed() {
            c.touched = true;
            changed = true;
        }
        if let Count::Refused(why) = &c.count {
            ui.colored_label(ui.visuals().warn_fg_color, why);
        } else if encrypted && c.ticked {
            ui.weak(format!(
                "{} are not kept in an encrypted backup folder yet: the backup says so and copies the rest.",
                extra.name
            ));
        }
    }
    changed
}
