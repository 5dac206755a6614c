//! Contacts in the backup folder: `<Model> (<serial>)/Contacts/contacts.vcf` (vCard 3.0, for people and other
//! programs) beside `contacts.json` (every raw row the provider gave, for a faithful restore). A new backup
//! whose contacts differ keeps the previous pair as a dated version (`contacts-2026-12-05.vcf` and `.json`);
//! one with the same contacts writes nothing. Each file is written whole to a temporary name, made durable and
//! renamed, so a pulled cable or a full disk never leaves half a vCard.

use super::{AddressBook, vcard};
use std::io::Write as _;
use std::path::{Path, PathBuf};

/// The folder of the contacts inside a phone's folder of the backup.
pub const FOLDER: &str = "Contacts";

/// What saving did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Saved {
    /// How many contacts the vCard holds.
    pub contacts: usize,
    /// The vCard.
    pub vcard: PathBuf,
    /// The same contacts were there already: nothing was written.
    pub unchanged: bool,
    /// Where the previous vCard went (its dated name), when the contacts changed.
    pub previous: Option<PathBuf>,
}

/// Why the contacts could not be saved.
#[derive(Debug, thiserror::Error)]
#[error("Could not {what} {} ({source}). Check that the backup disk is connected, writable and not full.", path.display())]
pub struct SaveError {
    what: &'static str,
    path: PathBuf,
    source: std::io::Error,
}

fn fail(what: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> SaveError + use<> {
    let path = path.to_path_buf();
    move |source| SaveError { what, path, source }
}

/// Writes `bytes` to `path` through a temporary file in the same folder, made durable before the rename.
fn write_whole(path: &Path, bytes: &[u8]) -> Result<(), SaveError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut tmp =
        tempfile::Builder::new().prefix(".phonebak-").suffix(".tmp").tempfile_in(dir).map_err(fail("write", path))?;
    tmp.write_all(bytes).and_then(|()| tmp.as_file().sync_all()).map_err(fail("write", path))?;
    tmp.persist(path).map_err(|e| fail("write", path)(e.error))?;
    Ok(())
}

/// A name in `dir` for the version of `day` (`contacts-DAY.vcf`, then `contacts-DAY-2.vcf`...) that neither
/// the vCard nor the JSON has yet.
fn dated_stem(dir: &Path, day: &str) -> String {
    let mut n = 1;
    loop {
        let stem = if n == 1 { format!("contacts-{day}") } else { format!("contacts-{day}-{n}") };
        if !dir.join(format!("{stem}.vcf")).exists() && !dir.join(format!("{stem}.json")).exists() {
            return stem;
        }
        n += 1;
    }
}

/// Saves `book` into `phone_folder` (the phone's folder of the backup, made if missing). `day` (`YYYY-MM-DD`)
/// names the previous version when the contacts changed.
///
/// # Errors
/// The folder or a file cannot be written.
pub fn save(phone_folder: &Path, book: &AddressBook, day: &str) -> Result<Saved, SaveError> {
    let dir = phone_folder.join(FOLDER);
    std::fs::create_dir_all(&dir).map_err(fail("create the folder", &dir))?;
    let vcf = dir.join("contacts.vcf");
    let json_path = dir.join("contacts.json");
    let text = vcard::write_vcards(&book.contacts);
    let rows = serde_json::json!({ "raw_contacts": book.raw_contacts, "data": book.data });
    let json = serde_json::to_vec_pretty(&rows).map_err(|e| fail("write", &json_path)(std::io::Error::other(e)))?;
    let saved = |unchanged, previous| Saved { contacts: book.contacts.len(), vcard: vcf.clone(), unchanged, previous };
    let old_vcf = std::fs::read(&vcf).ok();
    let old_json = std::fs::read(&json_path).ok();
    if old_vcf.as_deref() == Some(text.as_bytes()) && old_json.as_deref() == Some(json.as_slice()) {
        return Ok(saved(true, None));
    }
    let mut previous = None;
    if old_vcf.is_some() || old_json.is_some() {
        let stem = dated_stem(&dir, day);
        if old_vcf.is_some() {
            let to = dir.join(format!("{stem}.vcf"));
            std::fs::rename(&vcf, &to).map_err(fail("keep the previous version as", &to))?;
            previous = Some(to);
        }
        if old_json.is_some() {
            let to = dir.join(format!("{stem}.json"));
            std::fs::rename(&json_path, &to).map_err(fail("keep the previous version as", &to))?;
        }
    }
    write_whole(&json_path, &json)?;
    write_whole(&vcf, text.as_bytes())?;
    std::fs::File::open(&dir).and_then(|d| d.sync_all()).map_err(fail("make durable the folder", &dir))?;
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
