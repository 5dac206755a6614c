//! Whole documents kept beside the photos (the contacts' vCard and rows today), in a plain or an encrypted
//! backup folder.
//!
//! A document is named by its place in the backup, relative to the backup folder
//! (`Pixel 7 (R58)/Contacts/contacts.vcf`). In a plain folder it is that file. In an encrypted folder it is
//! sealed to the folder's identity and stored under the keyed hash of that place, as the photos are
//! ([`Vault::object_path`]), so the folder shows neither the names nor the numbers of anybody's contacts.
//!
//! Every write is whole: a temporary file in the same folder, made durable, renamed over the old one, and the
//! folder made durable, so a pulled cable or a full disk leaves the old document or the new one, never half of
//! one.

use crate::vault::Vault;
use std::io::Write as _;
use std::path::{Path, PathBuf};

/// Why a document could not be read or written.
#[derive(Debug, thiserror::Error)]
#[error("Could not {what} {} ({source}). Check that the backup disk is connected, writable and not full.", path.display())]
pub struct DocumentError {
    what: &'static str,
    path: PathBuf,
    source: std::io::Error,
}

fn fail(what: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> DocumentError + use<> {
    let path = path.to_path_buf();
    move |source| DocumentError { what, path, source }
}

/// The documents of one backup folder.
#[derive(Clone, Copy)]
pub struct Documents<'a> {
    root: &'a Path,
    vault: Option<&'a Vault>,
}

impl std::fmt::Debug for Documents<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Documents").field("root", &self.root).field("encrypted", &self.vault.is_some()).finish()
    }
}

impl<'a> Documents<'a> {
    /// The documents of the backup folder `root`, encrypted with `vault` when the folder is an encrypted one.
    #[must_use]
    pub fn new(root: &'a Path, vault: Option<&'a Vault>) -> Self {
        Self { root, vault }
    }

    /// Whether the folder is an encrypted one.
    #[must_use]
    pub fn encrypted(&self) -> bool {
        self.vault.is_some()
    }

    /// The file that holds the document `place`.
    #[must_use]
    pub fn file(&self, place: &str) -> PathBuf {
        match self.vault {
            None => self.root.join(place),
            Some(vault) => self.root.join(vault.object_path(place.as_bytes())),
        }
    }

    /// How to name the document `place` to a person: its path, with "(encrypted)" in an encrypted folder.
    #[must_use]
    pub fn shown(&self, place: &str) -> String {
        let path = self.root.join(place);
        if self.encrypted() { format!("{} (encrypted)", path.display()) } else { path.display().to_string() }
    }

    /// Whether the document `place` exists.
    #[must_use]
    pub fn exists(&self, place: &str) -> bool {
        self.file(place).is_file()
    }

    /// The content of the document `place`, `None` when there is none.
    ///
    /// # Errors
    /// It cannot be read, or (encrypted) it is damaged.
    pub fn read(&self, place: &str) -> Result<Option<Vec<u8>>, DocumentError> {
        let file = self.file(place);
        let bytes = match std::fs::read(&file) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(fail("read", &self.root.join(place))(e)),
        };
        match self.vault {
            None => Ok(Some(bytes)),
            Some(vault) => vault.unseal(&bytes, &file).map(Some).map_err(|e| {
                fail("decrypt", &self.root.join(place))(std::io::Error::new(std::io::ErrorKind::InvalidData, e))
            }),
        }
    }

    /// Writes `bytes` as the document `place`, whole (see the module's text).
    ///
    /// # Errors
    /// The folder or the file cannot be written.
    pub fn write(&self, place: &str, bytes: &[u8]) -> Result<(), DocumentError> {
        let file = self.file(place);
        let shown = self.root.join(place);
        let dir = file.parent().unwrap_or(self.root);
        std::fs::create_dir_all(dir).map_err(fail("create the folder of", &shown))?;
        let sealed;
        let content = match self.vault {
            None => bytes,
            Some(vault) => {
                sealed = vault.seal(bytes).map_err(fail("encrypt", &shown))?;
                sealed.as_slice()
            }
        };
        let mut tmp = tempfile::Builder::new()
            .prefix(".phonebak-")
            .suffix(".tmp")
            .tempfile_in(dir)
            .map_err(fail("write", &shown))?;
        tmp.write_all(content).and_then(|()| tmp.as_file().sync_all()).map_err(fail("write", &shown))?;
        tmp.persist(&file).map_err(|e| fail("write", &shown)(e.error))?;
        std::fs::File::open(dir).and_then(|d| d.sync_all()).map_err(fail("make durable the folder of", &shown))
    }

    /// Renames the document `from` to `to` (replacing `to`).
    ///
    /// # Errors
    /// The rename fails.
    pub fn rename(&self, from: &str, to: &str) -> Result<(), DocumentError> {
        let target = self.file(to);
        if let Some(dir) = target.parent() {
            std::fs::create_dir_all(dir).map_err(fail("create the folder of", &self.root.join(to)))?;
        }
        std::fs::rename(self.file(from), &target).map_err(fail("keep the previous version as", &self.root.join(to)))
    }
}

/// The folder, relative to the backup folder `dest`, that holds the documents of phone `serial`
/// (`<Model> (<serial>)`, as its photos). In an encrypted folder a phone is known by its manifest only, so one
/// is saved when there is none yet: documents saved alone (contacts, messages) stay findable. Call it with the
/// folder's lock held.
fn device_folder(
    dest: &Path,
    serial: &str,
    model: &str,
    vault: Option<&Vault>,
) -> Result<String, crate::backup::BackupError> {
    let manifest = crate::backup::Manifest::load_or_new_in(dest, serial, model, vault)?;
    if vault.is_some() && !crate::backup::Manifest::path_in(dest, serial, vault).exists() {
        manifest.save_in(dest, vault)?;
    }
    Ok(manifest.device_folder())
}

/// Why a phone's documents could not be saved.
#[derive(Debug, thiserror::Error)]
pub enum PhoneDocumentsError {
    /// The folder is locked by another backup, or its manifest cannot be read or saved.
    #[error(transparent)]
    Backup(#[from] crate::backup::BackupError),
    /// A document cannot be read or written.
    #[error(transparent)]
    Document(#[from] DocumentError),
}

/// Saves documents of phone `serial` (`what`: "contacts", "messages", for the lock's holder line) into the
/// backup folder `dest`, with the folder's lock held: `save` gets the folder's documents, the phone's folder in
/// it (see [`device_folder`]) and today's date (`YYYY-MM-DD`, which names dated versions).
///
/// # Errors
/// The folder is locked by another backup, its manifest cannot be read or saved, or `save` fails.
pub fn save_for_phone<T>(
    dest: &Path,
    serial: &str,
    model: &str,
    vault: Option<&Vault>,
    what: &str,
    save: impl FnOnce(&Documents<'_>, &str, &str) -> Result<T, DocumentError>,
) -> Result<T, PhoneDocumentsError> {
    let holder = format!("{}: {what} of {serial}", crate::backup::lock::role());
    let _lock = crate::backup::lock::lock(dest, &holder).map_err(crate::backup::BackupError::from)?;
    let folder = device_folder(dest, serial, model, vault)?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
    Ok(save(&Documents::new(dest, vault), &folder, &crate::human::date(now))?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plain_document_is_the_file_of_its_place_and_is_written_whole() {
        let dir = tempfile::tempdir().expect("temp dir");
        let docs = Documents::new(dir.path(), None);
        assert_eq!(docs.read("P (1)/Contacts/contacts.vcf").expect("read"), None);
        docs.write("P (1)/Contacts/contacts.vcf", b"BEGIN:VCARD").expect("write");
        assert_eq!(std::fs::read(dir.path().join("P (1)/Contacts/contacts.vcf")).expect("file"), b"BEGIN:VCARD");
        docs.rename("P (1)/Contacts/contacts.vcf", "P (1)/Contacts/contacts-2026-12-06.vcf").expect("rename");
        assert!(!docs.exists("P (1)/Contacts/contacts.vcf"));
        assert_eq!(
            docs.read("P (1)/Contacts/contacts-2026-12-06.vcf").expect("read").as_deref(),
            Some(&b"BEGIN:VCARD"[..])
        );
        let left: Vec<_> = std::fs::read_dir(dir.path().join("P (1)/Contacts"))
            .expect("folder")
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().starts_with(".phonebak-"))
            .collect();
        assert!(left.is_empty(), "temporary files left: {left:?}");
    }

    #[test]
    fn an_encrypted_document_shows_neither_its_name_nor_its_content_and_reads_back() {
        let dir = tempfile::tempdir().expect("temp dir");
        let vault = Vault::create(dir.path(), &crate::vault::SecretString::from("correct horse battery".to_string()))
            .expect("vault");
        let docs = Documents::new(dir.path(), Some(&vault));
        let secret = "FN:Ann Secret\r\nTEL:+44 7700 900123\r\n";
        docs.write("P (1)/Contacts/contacts.vcf", secret.as_bytes()).expect("write");
        assert!(!dir.path().join("P (1)").exists(), "the phone's folder name is visible");
        let file = docs.file("P (1)/Contacts/contacts.vcf");
        let stored = std::fs::read(&file).expect("stored");
        assert!(!stored.windows(3).any(|w| w == b"Ann"), "the content is readable in the folder");
        assert!(file.extension().is_some_and(|e| e == "age"), "{}", file.display());
        assert_eq!(docs.read("P (1)/Contacts/contacts.vcf").expect("read").as_deref(), Some(secret.as_bytes()));
        let other = Vault::create(
            tempfile::tempdir().expect("temp dir").path(),
            &crate::vault::SecretString::from("another password".to_string()),
        )
        .expect("vault");
        let err = Documents::new(dir.path(), Some(&other)).read("P (1)/Contacts/contacts.vcf");
        assert_eq!(err.expect("no such document under another key"), None);
        std::fs::write(&file, b"garbage").expect("damage");
        let err = docs.read("P (1)/Contacts/contacts.vcf").expect_err("damaged");
        assert!(err.to_string().contains("Could not decrypt"), "{err}");
    }
}
