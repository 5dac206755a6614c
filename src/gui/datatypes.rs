//! The phone screen's "what to back up" choice, as `FoneLab`'s "select data type" step: **Photos and videos**
//! (counted by the gallery scan the screen does anyway) and each other kind of data the phone holds, with its
//! count and a checkbox.
//!
//! Every kind beyond the gallery is one [`Extra`]: a function that counts it on the phone (run on a named
//! thread when the phone is opened) and one that saves it into the phone's folder of the backup (run on the
//! backup job's thread after the photos, or, for `WhatsApp`, one that lists files the photo engine copies with
//! the photos, in one plan and one manifest).

use super::backup::count;
use crate::device::{Device, DeviceInfo};
use crate::human::human_bytes;
use crate::progress::CancelToken;
use crate::scan::MediaFile;
use eframe::egui;
use std::fmt::Write as _;
use std::path::Path;

/// A kind of data beyond the gallery's photos and videos.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ExtraKind {
    /// The phone's contacts (a vCard and the provider's rows in `<Model> (<serial>)/Contacts/`).
    Contacts,
    /// The SMS, the MMS text and the call log (`<Model> (<serial>)/Messages/`).
    Messages,
    /// `WhatsApp`'s folders (its own encrypted chat backup and its media), copied with the photos.
    WhatsApp,
}

/// What the phone holds of a kind: how many items, and their bytes when they can be told.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counted {
    /// How many items (contacts, messages, files).
    pub items: usize,
    /// Their bytes, when the kind has a size worth showing.
    pub bytes: Option<u64>,
    /// In how many groups (conversations), when the kind has them.
    pub groups: Option<usize>,
}

impl Counted {
    /// `items` with neither a size nor groups.
    #[must_use]
    pub fn items(items: usize) -> Self {
        Self { items, bytes: None, groups: None }
    }
}

/// The report's sentence of a kind: what was saved, or why not.
pub type Said = Result<String, String>;

/// How a kind is saved.
#[derive(Clone, Copy)]
pub enum Save {
    /// On its own, after the photos, into backup folder `dest` (`vault`: the folder is encrypted); `Ok` and
    /// `Err` are the report's sentences ("Saved 20 contacts.", "Contacts not saved: …").
    After(fn(&Device, &DeviceInfo, &Path, Option<&crate::vault::Vault>) -> Said),
    /// As files the photo engine copies with the photos (one plan, one manifest): lists them on the phone, with
    /// the report's sentence about them.
    WithPhotos(fn(&Device, &CancelToken) -> (Vec<MediaFile>, Said)),
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
    /// How it is saved.
    pub save: Save,
    /// A small note shown under its checkbox, when there is something to know about it.
    pub note: Option<&'static str>,
}

impl std::fmt::Debug for Extra {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Extra").field("kind", &self.kind).field("name", &self.name).finish_non_exhaustive()
    }
}

/// Every kind of data beyond the gallery, in the order the screen lists them.
pub static EXTRAS: &[Extra] = &[
    Extra {
        kind: ExtraKind::Contacts,
        name: "Contacts",
        item: "contact",
        thread: "count-contacts",
        // Contacts are what people miss most when a phone is lost, they take a few kilobytes, and reading them
        // changes nothing on the phone: ticked unless the phone has none or refuses.
        ticked: true,
        count: count_contacts,
        save: Save::After(save_contacts),
        note: None,
    },
    Extra {
        kind: ExtraKind::Messages,
        name: "Messages",
        item: "message",
        thread: "count-messages",
        // Messages are text (kilobytes to a few megabytes), reading them changes nothing on the phone, and a
        // backup is the only copy a person can read once the phone is gone: ticked, as the contacts are, unless
        // the phone has none or refuses.
        ticked: true,
        count: count_messages,
        save: Save::After(save_messages),
        note: None,
    },
    Extra {
        kind: ExtraKind::WhatsApp,
        name: "WhatsApp",
        item: "file",
        thread: "count-whatsapp",
        // WhatsApp's media is often gigabytes (its photos and videos are in the gallery's folders already), and
        // its chat backup is of use only to WhatsApp itself: unticked, for the people who want it to tick.
        ticked: false,
        count: count_whatsapp,
        save: Save::WithPhotos(list_whatsapp),
        note: Some(crate::whatsapp::NOT_DECRYPTED),
    },
];

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
        .map(|book| Counted::items(book.contacts.len()))
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
    let not_saved = |e: String| format!("Contacts not saved: {e}");
    let saved = crate::backup::documents::save_for_phone(
        dest,
        &info.serial,
        &info.model,
        vault,
        "contacts",
        |docs, folder, day| crate::contacts::store::save_in(docs, folder, &book, day),
    )
    .map_err(|e| not_saved(e.to_string()))?;
    let mut text = format!("Saved {}", count(saved.contacts, "contact"));
    if saved.unchanged {
        text.push_str(" (unchanged since the last backup)");
    } else if saved.previous.is_some() {
        text.push_str(" (the previous version is kept beside them)");
    }
    text.push('.');
    Ok(text)
}

/// "the phone refused (…)" for a refusal, else "could not be read (…)", for the messages.
fn messages_why_not(e: &crate::messages::MessagesError) -> String {
    match e {
        crate::messages::MessagesError::Content(c) if c.is_refusal() => format!("the phone refused ({c})"),
        crate::messages::MessagesError::Content(c) => format!("could not be read ({c})"),
    }
}

fn count_messages(device: &Device, info: &DeviceInfo) -> Result<Counted, String> {
    crate::messages::count(device, info.sdk)
        .map(|n| Counted { items: n.messages, bytes: None, groups: Some(n.conversations) })
        .map_err(|e| format!("Messages: {}", messages_why_not(&e)))
}

/// Saves the messages and the call log as `phonebak backup --what messages` does (the same store); a call log
/// the phone refuses is said, and does not make the messages fail.
fn save_messages(
    device: &Device,
    info: &DeviceInfo,
    dest: &Path,
    vault: Option<&crate::vault::Vault>,
) -> Result<String, String> {
    let read = crate::messages::read_messages(device, info.sdk)
        .map_err(|e| format!("Messages not saved: they {}.", messages_why_not(&e)))?;
    let mut notes: Vec<String> = read.notes.clone();
    // Most Android releases keep the call log from USB debugging: a refusal is said, and the messages are saved.
    let calls = match crate::messages::read_calls(device, info.sdk) {
        Ok(calls) => Some(calls),
        Err(e) => {
            notes.push(format!("The call log was not saved: {e}"));
            None
        }
    };
    // Conversations are named by the contacts when the phone gives them, else by number.
    let names = crate::contacts::read_contacts(device, info.sdk)
        .map(|book| crate::messages::numbers::Names::new(&book.contacts))
        .unwrap_or_default();
    let not_saved = |e: String| format!("Messages not saved: {e}");
    let saved = crate::backup::documents::save_for_phone(
        dest,
        &info.serial,
        &info.model,
        vault,
        "messages",
        |docs, folder, day| crate::messages::store::save_in(docs, folder, folder, &read, calls.as_deref(), &names, day),
    )
    .map_err(|e| not_saved(e.to_string()))?;
    let mut text =
        format!("Saved {} in {}", count(saved.messages, "message"), count(saved.conversations, "conversation"));
    if let Some(n) = saved.calls {
        let _ = write!(text, " and {}", count(n, "call"));
    }
    if saved.only_in_backup > 0 {
        let _ = write!(text, " ({} no longer on the phone, kept from earlier backups)", saved.only_in_backup);
    }
    if saved.unchanged() {
        text.push_str(" (unchanged since the last backup)");
    }
    text.push('.');
    notes.extend(saved.notes);
    for note in notes {
        let _ = write!(text, " {note}");
    }
    Ok(text)
}

fn count_whatsapp(device: &Device, _info: &DeviceInfo) -> Result<Counted, String> {
    let found =
        crate::whatsapp::list(device, &CancelToken::new()).map_err(|e| format!("WhatsApp: could not be read ({e})"))?;
    let summary = found.summary();
    Ok(Counted { items: summary.files, bytes: Some(summary.bytes), groups: None })
}

/// Lists `WhatsApp`'s files for the photo engine, as `phonebak backup --what whatsapp` does.
fn list_whatsapp(device: &Device, cancel: &CancelToken) -> (Vec<MediaFile>, Said) {
    let found = match crate::whatsapp::list(device, cancel) {
        Ok(found) => found,
        Err(e) => return (Vec::new(), Err(format!("WhatsApp not saved: its folders could not be read ({e})."))),
    };
    if found.roots.is_empty() {
        return (Vec::new(), Ok("WhatsApp: no WhatsApp folder on this phone.".to_string()));
    }
    let summary = found.summary();
    if found.unreadable.is_empty() {
        return (found.files, Ok(format!("{summary}, backed up with the photos.")));
    }
    let unreadable: Vec<String> =
        found.unreadable.iter().map(|u| format!("{} ({})", String::from_utf8_lossy(&u.path), u.message)).collect();
    let said = format!(
        "{summary}, backed up with the photos; the phone would not list {}: {}.",
        count(unreadable.len(), "folder"),
        unreadable.join(", ")
    );
    (found.files, Err(said))
}

/// Adds `more` to the photo engine's `files`, leaving out those already there (a `WhatsApp` photo in the
/// gallery is copied once).
pub fn add_files(files: &mut Vec<MediaFile>, more: Vec<MediaFile>) {
    let known: std::collections::HashSet<Vec<u8>> = files.iter().map(|f| f.path.clone()).collect();
    files.extend(more.into_iter().filter(|f| !known.contains(&f.path)));
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

/// The label of a kind's checkbox: "Contacts: 20", "Messages: 57 messages in 6 conversations", "`WhatsApp`: 14
/// files, 3.2 MB", "Contacts: counting…".
#[must_use]
pub fn extra_label(extra: &Extra, state: &Count) -> String {
    match state {
        Count::Reading => format!("{}: counting…", extra.name),
        Count::Counted(Counted { items, bytes: None, groups: None }) => format!("{}: {items}", extra.name),
        Count::Counted(Counted { items, bytes: Some(b), .. }) => {
            format!("{}: {}, {}", extra.name, count(*items, extra.item), human_bytes(*b))
        }
        Count::Counted(Counted { items, bytes: None, groups: Some(g) }) => {
            format!("{}: {} in {}", extra.name, count(*items, extra.item), count(*g, "conversation"))
        }
        Count::Refused(_) => extra.name.to_string(),
    }
}

/// Draws the choice: "Photos and videos" with the gallery's totals (`None` while the scan runs), then each
/// other kind with its count or why it cannot be read. True when a tick changed.
pub fn data_choice_ui(ui: &mut egui::Ui, choice: &mut DataChoice, gallery: Option<(usize, usize, u64)>) -> bool {
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
        }
        if let (Some(note), false) = (extra.note, refused) {
            ui.add(egui::Label::new(egui::RichText::new(note).small().weak()).wrap());
        }
    }
    changed
}
