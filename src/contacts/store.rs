//! Contacts in the backup folder: `<Model> (<serial>)/Contacts/contacts.vcf` (vCard 3.0, for people and other
//! programs) beside `contacts.json` (every raw row the provider gave, for a faithful restore). A new backup
//! whose contacts differ keeps the previous pair as a dated version (`contacts-2026-12-05.vcf` and `.json`);
//! one with the same contacts writes nothing. Each file is written whole to a temporary name, made durable and
//! renamed, so a pulled cable or a full disk never leaves half a vCard. In an encrypted backup folder both are
//! sealed and stored under hashed names, as the photos are ([`crate::backup::documents`]).

use super::{AddressBook, vcard};
use crate::backup::documents::Documents;
use std::path::{Path, PathBuf};

pub use crate::backup::documents::DocumentError as SaveError;

/// The folder of the contacts inside a phone's folder of the backup.
pub const FOLDER: &str = "Contacts";

/// What saving did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Saved {
    /// How many contacts the vCard holds.
    pub contacts: usize,
    /// The vCard (its place in the backup folder: in an encrypted folder it is stored under a hashed name).
    pub vcard: PathBuf,
    /// The same contacts were there already: nothing was written.
    pub unchanged: bool,
    /// Where the previous vCard went (its dated name), when the contacts changed.
    pub previous: Option<PathBuf>,
}

/// The place of a document of the contacts: `<phone folder>/Contacts/<name>`.
fn place(device_folder: &str, name: &str) -> String {
    if device_folder.is_empty() { format!("{FOLDER}/{name}") } else { format!("{device_folder}/{FOLDER}/{name}") }
}

/// The place of the vCard of the phone whose folder (relative to the backup folder) is `device_folder`.
#[must_use]
pub fn vcard_place(device_folder: &str) -> String {
    place(device_folder, "contacts.vcf")
}

/// A name for the version of `day` (`contacts-DAY`, then `contacts-DAY-2`...) that neither the vCard nor the
/// JSON has yet.
fn dated_stem(docs: &Documents<'_>, device_folder: &str, day: &str) -> String {
    let mut n = 1;
    loop {
        let stem = if n == 1 { format!("contacts-{day}") } else { format!("contacts-{day}-{n}") };
        if !docs.exists(&place(device_folder, &format!("{stem}.vcf")))
            && !docs.exists(&place(device_folder, &format!("{stem}.json")))
        {
            return stem;
        }
        n += 1;
    }
}

/// Saves `book` into `phone_folder` (the phone's folder of a plain backup, made if missing). `day`
/// (`YYYY-MM-DD`) names the previous version when the contacts changed.
///
/// # Errors
/// The folder or a file cannot be written.
pub fn save(phone_folder: &Path, book: &AddressBook, day: &str) -> Result<Saved, SaveError> {
    save_in(&Documents::new(phone_folder, None), "", book, day)
}

/// Saves `book` among the documents `docs` of a backup folder (plain or encrypted), in the phone's folder
/// `device_folder` (relative to the backup folder). `day` (`YYYY-MM-DD`) names the previous version when the
/// contacts changed.
///
/// # Errors
/// A file cannot be read, decrypted or written.
pub fn save_in(docs: &Documents<'_>, device_folder: &str, book: &AddressBook, day: &str) -> Result<Saved, SaveError> {
    let vcf = place(device_folder, "contacts.vcf");
    let json_place = place(device_folder, "contacts.json");
    let text = vcard::write_vcards(&book.contacts);
    let rows = serde_json::json!({ "raw_contacts": book.raw_contacts, "data": book.data });
    let json = serde_json::to_vec_pretty(&rows).expect("a JSON value always serialises");
    let shown = |place: &str| PathBuf::from(docs.shown(place).trim_end_matches(" (encrypted)"));
    let saved = |unchanged, previous| Saved { contacts: book.contacts.len(), vcard: shown(&vcf), unchanged, previous };
    let old_vcf = docs.read(&vcf)?;
    let old_json = docs.read(&json_place)?;
    if old_vcf.as_deref() == Some(text.as_bytes()) && old_json.as_deref() == Some(json.as_slice()) {
        return Ok(saved(true, None));
    }
    let mut previous = None;
    if old_vcf.is_some() || old_json.is_some() {
        let stem = dated_stem(docs, device_folder, day);
        if old_vcf.is_some() {
            let to = place(device_folder, &format!("{stem}.vcf"));
            docs.rename(&vcf, &to)?;
            previous = Some(shown(&to));
        }
        if old_json.is_some() {
            docs.rename(&json_place, &place(device_folder, &format!("{stem}.json")))?;
        }
    }
    docs.write(&json_place, &json)?;
    docs.write(&vcf, text.as_bytes())?;
    Ok(saved(false, previous))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contacts::{Contact, Name};

    fn book(names: &[&str]) -> AddressBook {
        let contacts = names
            .iter()
            .map(|n| Contact {
                name: Name { display: Some((*n).to_string()), given: Some((*n).to_string()), ..Name::default() },
                ..Contact::default()
            })
            .collect();
        AddressBook { contacts, ..AddressBook::default() }
    }

    #[test]
    fn the_same_contacts_write_nothing_and_changed_ones_keep_the_previous_version_by_day() {
        let dir = tempfile::tempdir().expect("temp dir");
        let first = save(dir.path(), &book(&["Ann"]), "2026-12-01").expect("save");
        assert!(!first.unchanged && first.previous.is_none());
        let text = std::fs::read_to_string(&first.vcard).expect("vcard");
        assert!(text.contains("FN:Ann\r\n"), "{text}");
        let again = save(dir.path(), &book(&["Ann"]), "2026-12-02").expect("save");
        assert!(again.unchanged);
        let changed = save(dir.path(), &book(&["Ann", "Bob"]), "2026-12-03").expect("save");
        let kept = changed.previous.expect("the previous version kept");
        assert!(kept.ends_with("Contacts/contacts-2026-12-03.vcf"), "{}", kept.display());
        assert_eq!(std::fs::read_to_string(&kept).expect("old"), text);
        assert!(dir.path().join("Contacts/contacts-2026-12-03.json").is_file());
        let twice = save(dir.path(), &book(&["Bob"]), "2026-12-03").expect("save");
        assert!(twice.previous.expect("kept").ends_with("Contacts/contacts-2026-12-03-2.vcf"));
        let names: Vec<String> = std::fs::read_dir(dir.path().join("Contacts"))
            .expect("folder")
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with(".phonebak-"))
            .collect();
        assert!(names.is_empty(), "temporary files left: {names:?}");
    }
}
