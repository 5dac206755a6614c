//! Password-encrypted backup folders, in the open age format (engine side: no egui).
//!
//! A backup folder is encrypted or not from its first run on. An encrypted one holds:
//!
//! ```text
//! .phonebak/encrypted.json     says so (format name and version; nothing secret, nothing about the photos)
//! .phonebak/key-1.age          the folder's age identity (an X25519 secret key, `AGE-SECRET-KEY-1...`),
//! .phonebak/key-2.age            encrypted with the password (age's scrypt recipient), twice
//! .phonebak/<32 hex>.age       each phone's manifest, encrypted to the identity
//! .phonebak/<32 hex>.journal   each phone's journal of the run in progress: one encrypted record per line
//! <2 hex>/<32 hex>.age         each photo or video, encrypted to the identity
//! ```
//!
//! Names are keyed hashes (HMAC-SHA-256 with a key derived from the identity) of the file's place in the
//! backup, so the folder shows no file names, folders, dates or sizes beyond what the sizes of the encrypted
//! files imply. With the standard `age` tool and no phonebak: `age -d -o key.txt .phonebak/key-1.age` (asks
//! the password), then `age -d -i key.txt -o photo.jpg 3f/3f0a....age`; the manifest (`age -d -i key.txt
//! .phonebak/<hash>.age`) says which file is which photo.

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::str::FromStr;

pub use age::secrecy::SecretString;

/// The marker file's format name.
pub const FORMAT_NAME: &str = "phonebak-encrypted";
/// The marker file's format version.
pub const FORMAT_VERSION: u32 = 1;
/// The marker file, in the backup folder's `.phonebak`.
pub const MARKER: &str = "encrypted.json";
/// The two copies of the encrypted identity.
pub const KEY_FILES: [&str; 2] = ["key-1.age", "key-2.age"];

/// What can go wrong with an encrypted backup folder.
#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    /// The password does not open the folder's key.
    #[error("Wrong password for the encrypted backup in {dir}. Type the password this backup was made with.")]
    WrongPassword {
        /// The backup folder.
        dir: PathBuf,
    },
    /// Neither copy of the key can be read.
    #[error(
        "The key of the encrypted backup in {dir} is damaged in both copies ({detail}); without it the photos \
         cannot be decrypted."
    )]
    KeysDamaged {
        /// The backup folder.
        dir: PathBuf,
        /// What went wrong with each copy.
        detail: String,
    },
    /// An encrypted file is damaged or was changed.
    #[error("{path} is damaged or was changed: it cannot be decrypted ({detail})")]
    Damaged {
        /// The file.
        path: PathBuf,
        /// What age said.
        detail: String,
    },
    /// A disk error.
    #[error("Could not {action} {path}: {source}")]
    Disk {
        /// What was being done.
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
}

fn disk<'p>(action: &'static str, path: &'p Path) -> impl FnOnce(std::io::Error) -> VaultError + 'p {
    move |source| VaultError::Disk { action, path: path.to_path_buf(), source }
}

/// The marker file's content.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct Marker {
    format: String,
    version: u32,
    /// How to get the photos out with `age` alone.
    readme: String,
}

/// The opened key of an encrypted backup folder.
pub struct Vault {
    identity: age::x25519::Identity,
    recipient: age::x25519::Recipient,
    name_key: [u8; 32],
}

impl std::fmt::Debug for Vault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Vault").field("recipient", &self.recipient.to_string()).finish_non_exhaustive()
    }
}

/// The folder's `.phonebak`.
fn state_dir(dest: &Path) -> PathBuf {
    dest.join(crate::backup::manifest::STATE_DIR)
}

/// Whether the backup folder `dest` is encrypted.
#[must_use]
pub fn is_encrypted(dest: &Path) -> bool {
    state_dir(dest).join(MARKER).exists()
}

/// The encrypted manifests in the backup folder `dest` (every `.age` file in `.phonebak` but the keys).
#[must_use]
pub fn manifest_files(dest: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(state_dir(dest))
        .map(|entries| {
            entries
                .flatten()
                .map(|e| e.path())
                .filter(|p| {
                    p.extension().is_some_and(|e| e == "age")
                        && p.file_name().is_some_and(|n| !KEY_FILES.iter().any(|k| n == *k))
                })
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

/// Whether `dest` holds a plain backup already (a manifest of phonebak's own, unencrypted).
#[must_use]
pub fn holds_plain_backup(dest: &Path) -> bool {
    std::fs::read_dir(state_dir(dest)).is_ok_and(|entries| {
        entries.flatten().any(|e| {
            let name = e.file_name();
            let name = name.to_string_lossy();
            (name.starts_with("manifest-") && name.ends_with(".json")) || name.starts_with("journal-")
        })
    })
}

/// A hint when `password` is easy to guess (short, or one kind of character); `None` when it looks strong.
#[must_use]
pub fn strength_hint(password: &str) -> Option<&'static str> {
    let chars = password.chars().count();
    let kinds = [
        password.chars().any(char::is_lowercase),
        password.chars().any(char::is_uppercase),
        password.chars().any(|c| c.is_ascii_digit()),
        password.chars().any(|c| !c.is_alphanumeric()),
    ]
    .iter()
    .filter(|k| **k)
    .count();
    if chars < 8 {
        Some("This password is very short and easy to guess: use 12 characters or more, several words are best.")
    } else if chars < 12 && kinds < 3 {
        Some("This password could be guessed: a longer one (12+ characters, or a few unrelated words) is safer.")
    } else {
        None
    }
}

/// Writes `bytes` to `path` whole or not at all, durably.
fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), VaultError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut tmp = tempfile::Builder::new()
        .prefix(".vault-")
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(disk("create a temporary file in", dir))?;
    tmp.write_all(bytes).map_err(disk("write", path))?;
    tmp.as_file().sync_all().map_err(disk("write", path))?;
    tmp.persist(path).map_err(|e| VaultError::Disk { action: "write", path: path.to_path_buf(), source: e.error })?;
    Ok(())
}

impl Vault {
    fn from_identity(identity: age::x25519::Identity) -> Self {
        use age::secrecy::ExposeSecret;
        let secret = identity.to_string();
        let mut hasher = Sha256::new();
        hasher.update(b"phonebak file names v1\0");
        hasher.update(secret.expose_secret().as_bytes());
        let name_key: [u8; 32] = hasher.finalize().into();
        let recipient = identity.to_public();
        Self { identity, recipient, name_key }
    }

    /// Makes `dest` an encrypted backup folder: a new identity, stored twice under `password`.
    pub fn create(dest: &Path, password: &SecretString) -> Result<Self, VaultError> {
        use age::secrecy::ExposeSecret;
        let dir = state_dir(dest);
        std::fs::create_dir_all(&dir).map_err(disk("create the folder", &dir))?;
        let vault = Self::from_identity(age::x25519::Identity::generate());
        let secret = vault.identity.to_string();
        for name in KEY_FILES {
            let encryptor = age::Encryptor::with_user_passphrase(password.clone());
            let mut out = Vec::new();
            let mut writer = encryptor.wrap_output(&mut out).map_err(disk("encrypt the key for", &dir))?;
            writer.write_all(secret.expose_secret().as_bytes()).map_err(disk("encrypt the key for", &dir))?;
            writer.write_all(b"\n").map_err(disk("encrypt the key for", &dir))?;
            writer.finish().map_err(disk("encrypt the key for", &dir))?;
            write_atomic(&dir.join(name), &out)?;
        }
        let marker = Marker {
            format: FORMAT_NAME.to_string(),
            version: FORMAT_VERSION,
            readme: "Encrypted with age (https://age-encryption.org). `age -d -o key.txt .phonebak/key-1.age` \
                     asks the password and writes the key; `age -d -i key.txt FILE.age` decrypts a photo or a \
                     manifest."
                .to_string(),
        };
        let text = serde_json::to_vec_pretty(&marker).map_err(|e| VaultError::Disk {
            action: "write",
            path: dir.join(MARKER),
            source: e.into(),
        })?;
        write_atomic(&dir.join(MARKER), &text)?;
        crate::backup::manifest::sync_dir(&dir).map_err(|e| VaultError::Disk {
            action: "write",
            path: dir.clone(),
            source: std::io::Error::other(e.to_string()),
        })?;
        Ok(vault)
    }

    /// Opens the encrypted backup folder `dest` with `password`: the first key copy that decrypts wins.
    pub fn open(dest: &Path, password: &SecretString) -> Result<Self, VaultError> {
        let dir = state_dir(dest);
        let mut problems = Vec::new();
        let mut wrong_password = false;
        for name in KEY_FILES {
            let path = dir.join(name);
            let bytes = match std::fs::read(&path) {
                Ok(b) => b,
                Err(e) => {
                    problems.push(format!("{name}: {e}"));
                    continue;
                }
            };
            let identity = age::scrypt::Identity::new(password.clone());
            let opened = age::Decryptor::new_buffered(&bytes[..])
                .and_then(|d| d.decrypt(std::iter::once(&identity as &dyn age::Identity)))
                .map_err(|e| {
                    if matches!(e, age::DecryptError::DecryptionFailed | age::DecryptError::NoMatchingKeys) {
                        wrong_password = true;
                    }
                    e.to_string()
                })
                .and_then(|mut reader| {
                    let mut text = String::new();
                    reader.read_to_string(&mut text).map_err(|e| e.to_string())?;
                    age::x25519::Identity::from_str(text.trim()).map_err(ToString::to_string)
                });
            match opened {
                Ok(identity) => return Ok(Self::from_identity(identity)),
                Err(e) => problems.push(format!("{name}: {e}")),
            }
        }
        if wrong_password && problems.len() == KEY_FILES.len() {
            // Both copies refused the password the same way: it is the password, not the files.
            return Err(VaultError::WrongPassword { dir: dest.to_path_buf() });
        }
        Err(VaultError::KeysDamaged { dir: dest.to_path_buf(), detail: problems.join("; ") })
    }

    /// A keyed hash of `what`, 32 hex characters.
    fn hashed(&self, kind: &[u8], what: &[u8]) -> String {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.name_key).expect("HMAC takes any key length");
        mac.update(kind);
        mac.update(&[0]);
        mac.update(what);
        crate::backup::manifest::hex(&mac.finalize().into_bytes()[..16])
    }

    /// Where the file whose place in the backup is `local_path` is stored, relative to the folder:
    /// `3f/3f0a....age`.
    #[must_use]
    pub fn object_path(&self, local_path: &[u8]) -> PathBuf {
        let name = self.hashed(b"file", local_path);
        PathBuf::from(&name[..2]).join(format!("{name}.age"))
    }

    /// The manifest file of phone `serial`, in `.phonebak`.
    #[must_use]
    pub fn manifest_name(&self, serial: &str) -> String {
        format!("{}.age", self.hashed(b"manifest", serial.as_bytes()))
    }

    /// The journal file of phone `serial`, in `.phonebak`.
    #[must_use]
    pub fn journal_name(&self, serial: &str) -> String {
        format!("{}.journal", self.hashed(b"manifest", serial.as_bytes()))
    }

    /// A writer that encrypts what it is given into `output`; call `finish` on it at the end.
    pub fn encrypt<W: Write>(&self, output: W) -> std::io::Result<age::stream::StreamWriter<W>> {
        age::Encryptor::with_recipients(std::iter::once(&self.recipient as &dyn age::Recipient))
            .map_err(std::io::Error::other)?
            .wrap_output(output)
    }

    /// A reader of the plaintext of the age file `input` (`path` names it in errors). A damaged part fails
    /// when it is read; nothing of it is given out.
    pub fn decrypt<R: Read>(&self, input: R, path: &Path) -> Result<age::stream::StreamReader<R>, VaultError> {
        age::Decryptor::new(input)
            .and_then(|d| d.decrypt(std::iter::once(&self.identity as &dyn age::Identity)))
            .map_err(|e| VaultError::Damaged { path: path.to_path_buf(), detail: e.to_string() })
    }

    /// `plaintext` encrypted in memory.
    pub fn seal(&self, plaintext: &[u8]) -> std::io::Result<Vec<u8>> {
        let mut out = Vec::with_capacity(plaintext.len() + 256);
        let mut writer = self.encrypt(&mut out)?;
        writer.write_all(plaintext)?;
        writer.finish()?;
        Ok(out)
    }

    /// The plaintext of an age file held in memory (`path` names it in errors).
    pub fn unseal(&self, ciphertext: &[u8], path: &Path) -> Result<Vec<u8>, VaultError> {
        let mut reader = self.decrypt(ciphertext, path)?;
        let mut out = Vec::new();
        reader
            .read_to_end(&mut out)
            .map_err(|e| VaultError::Damaged { path: path.to_path_buf(), detail: e.to_string() })?;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn password(text: &str) -> SecretString {
        SecretString::from(text.to_string())
    }

    #[test]
    fn a_created_vault_opens_with_its_password_and_with_either_key_copy() {
        let dir = tempfile::tempdir().expect("dir");
        let made = Vault::create(dir.path(), &password("correct horse")).expect("create");
        assert!(is_encrypted(dir.path()));
        let sealed = made.seal(b"photo bytes").expect("seal");
        let opened = Vault::open(dir.path(), &password("correct horse")).expect("open");
        assert_eq!(opened.unseal(&sealed, Path::new("x")).expect("unseal"), b"photo bytes");
        assert_eq!(opened.object_path(b"P (1)/DCIM/a.jpg"), made.object_path(b"P (1)/DCIM/a.jpg"));
        // One damaged copy: the other opens it.
        let key1 = state_dir(dir.path()).join(KEY_FILES[0]);
        let mut bytes = std::fs::read(&key1).expect("key");
        let last = bytes.len() - 5;
        bytes[last] ^= 0x40;
        std::fs::write(&key1, bytes).expect("damage");
        let again = Vault::open(dir.path(), &password("correct horse")).expect("the second copy opens it");
        assert_eq!(again.unseal(&sealed, Path::new("x")).expect("unseal"), b"photo bytes");
    }

    #[test]
    fn a_wrong_password_is_named_as_such() {
        let dir = tempfile::tempdir().expect("dir");
        Vault::create(dir.path(), &password("right")).expect("create");
        let err = Vault::open(dir.path(), &password("wrong")).expect_err("refused");
        assert!(matches!(err, VaultError::WrongPassword { .. }), "{err:?}");
        assert!(err.to_string().contains("Wrong password"), "{err}");
    }

    #[test]
    fn names_reveal_nothing_and_differ_between_folders() {
        let a = tempfile::tempdir().expect("a");
        let b = tempfile::tempdir().expect("b");
        let va = Vault::create(a.path(), &password("p")).expect("a");
        let vb = Vault::create(b.path(), &password("p")).expect("b");
        let name = va.object_path(b"Pixel 7 (R58)/DCIM/Camera/IMG_20240101_120000.jpg");
        let text = name.to_string_lossy();
        assert!(!text.contains("IMG") && !text.contains("DCIM") && !text.contains("2024"), "{text}");
        assert_eq!(text.len(), 2 + 1 + 32 + 4, "{text}");
        assert_ne!(name, vb.object_path(b"Pixel 7 (R58)/DCIM/Camera/IMG_20240101_120000.jpg"));
        assert_ne!(va.manifest_name("R58"), va.manifest_name("R59"));
    }

    #[test]
    fn a_flipped_byte_in_an_encrypted_file_is_refused() {
        let dir = tempfile::tempdir().expect("dir");
        let vault = Vault::create(dir.path(), &password("p")).expect("create");
        let mut sealed = vault.seal(&vec![7u8; 200_000]).expect("seal");
        let middle = sealed.len() / 2;
        sealed[middle] ^= 1;
        let err = vault.unseal(&sealed, Path::new("3f/3f.age")).expect_err("damaged");
        assert!(err.to_string().contains("3f/3f.age is damaged"), "{err}");
    }
}
