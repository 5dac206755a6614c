//! "Remember the password on this computer": an encrypted backup folder's password kept in the desktop's
//! Secret Service (GNOME Keyring, `KWallet`, `KeePassXC`: the freedesktop `org.freedesktop.secrets` API over the
//! session D-Bus), so the automatic backup can open the folder without asking.
//!
//! Each password is an item of the default collection (the login keyring) with the attributes
//! `application=phonebak`, `folder=<the folder's canonical path>` and `vault=<a hash of the folder's key
//! file>`: a different encrypted folder later made at the same path is never opened with an old password.
//! Nothing here waits for a person: a call that does not answer within [`PATIENCE`] is an error, and a locked
//! keyring is reported, never unlocked with a prompt, except where a person asked to remember ([`remember`]).

use crate::vault::SecretString;
use age::secrecy::ExposeSecret as _;
use sha2::{Digest as _, Sha256};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How long a call to the Secret Service may take.
pub const PATIENCE: Duration = Duration::from_secs(15);

/// Why a password could not be remembered, found or forgotten.
#[derive(Debug, thiserror::Error)]
pub enum SecretsError {
    /// No Secret Service answers on the session bus (no D-Bus session, or no keyring daemon).
    #[error(
        "No keyring is available on this desktop (the Secret Service, e.g. GNOME Keyring or KWallet): the password \
         cannot be remembered, and the automatic backup will ask you to unlock the folder in phonebak. ({0})"
    )]
    Unavailable(String),
    /// The keyring is locked.
    #[error("The desktop's keyring is locked: unlock it (logging in unlocks it on most desktops) and try again. ({0})")]
    Locked(String),
    /// The keyring did not answer in time.
    #[error("The desktop's keyring did not answer within {} seconds.", PATIENCE.as_secs())]
    TimedOut,
    /// The folder is not an encrypted backup folder (its key cannot be read).
    #[error("{} is not an encrypted backup folder ({why}).", folder.display())]
    NotEncrypted {
        /// The folder.
        folder: PathBuf,
        /// Why its key cannot be read.
        why: String,
    },
    /// Anything else the keyring said.
    #[error("The desktop's keyring refused: {0}")]
    Failed(String),
}

impl From<secret_service::Error> for SecretsError {
    fn from(e: secret_service::Error) -> Self {
        match e {
            secret_service::Error::Unavailable => Self::Unavailable(e.to_string()),
            secret_service::Error::Locked | secret_service::Error::Prompt => Self::Locked(e.to_string()),
            secret_service::Error::Zbus(ref z) if is_absent(&z.to_string()) => Self::Unavailable(e.to_string()),
            other => Self::Failed(other.to_string()),
        }
    }
}

/// Whether a D-Bus error means nobody serves the Secret Service.
fn is_absent(message: &str) -> bool {
    ["ServiceUnknown", "NameHasNoOwner", "No such file", "Connection refused", "DBUS_SESSION_BUS_ADDRESS"]
        .iter()
        .any(|m| message.contains(m))
}

/// The attributes that name folder `dir`'s password: its canonical path and its key.
fn attributes_of(dir: &Path) -> Result<(String, String), SecretsError> {
    let canonical =
        dir.canonicalize().map_err(|e| SecretsError::NotEncrypted { folder: dir.to_path_buf(), why: e.to_string() })?;
    let key_file = canonical.join(crate::backup::manifest::STATE_DIR).join(crate::vault::KEY_FILES[0]);
    let key = std::fs::read(&key_file)
        .map_err(|e| SecretsError::NotEncrypted { folder: dir.to_path_buf(), why: e.to_string() })?;
    let vault = crate::backup::manifest::hex(&Sha256::digest(&key)[..16]);
    Ok((canonical.to_string_lossy().into_owned(), vault))
}

/// Runs `work` with a Secret Service connection on a thread of its own, giving up after [`PATIENCE`].
fn with_service<T: Send + 'static>(
    work: impl FnOnce(&secret_service::blocking::SecretService<'_>) -> Result<T, SecretsError> + Send + 'static,
) -> Result<T, SecretsError> {
    let (tx, rx) = std::sync::mpsc::sync_channel(1);
    std::thread::Builder::new()
        .name("keyring".to_string())
        .spawn(move || {
            let result = secret_service::blocking::SecretService::connect(secret_service::EncryptionType::Dh)
                .map_err(SecretsError::from)
                .and_then(|service| work(&service));
            let _ = tx.send(result);
        })
        .map_err(|e| SecretsError::Failed(e.to_string()))?;
    rx.recv_timeout(PATIENCE).unwrap_or(Err(SecretsError::TimedOut))
}

/// Remembers `password` for the encrypted folder `dir` (replacing one remembered before). The caller has
/// checked that it opens the folder. May show the keyring's own unlock prompt: a person asked for this.
///
/// # Errors
/// No keyring, a locked one the person did not unlock, or one that refused.
pub fn remember(dir: &Path, password: &SecretString) -> Result<(), SecretsError> {
    let (folder, vault) = attributes_of(dir)?;
    let secret = password.expose_secret().as_bytes().to_vec();
    with_service(move |service| {
        let collection = service.get_default_collection()?;
        collection.ensure_unlocked()?;
        let attributes = HashMap::from([("application", "phonebak"), ("folder", folder.as_str())]);
        // One password per folder: an older one (of another key at this path) goes.
        for item in collection.search_items(attributes.clone())? {
            item.delete()?;
        }
        let mut attributes = attributes;
        attributes.insert("vault", vault.as_str());
        let label = format!("phonebak: password of the encrypted backup folder {folder}");
        collection.create_item(&label, attributes, &secret, true, "text/plain")?;
        Ok(())
    })
}

/// The password remembered for the encrypted folder `dir`, if any (never prompts).
///
/// # Errors
/// No keyring, a locked one, or one that refused.
pub fn recall(dir: &Path) -> Result<Option<SecretString>, SecretsError> {
    let (folder, vault) = attributes_of(dir)?;
    with_service(move |service| {
        let attributes =
            HashMap::from([("application", "phonebak"), ("folder", folder.as_str()), ("vault", vault.as_str())]);
        let found = service.search_items(attributes)?;
        let Some(item) = found.unlocked.first() else {
            return if found.locked.is_empty() {
                Ok(None)
            } else {
                Err(SecretsError::Locked("the password is there, in a locked keyring".to_string()))
            };
        };
        let secret = item.get_secret()?;
        let text = String::from_utf8(secret).map_err(|_| SecretsError::Failed("the password is not text".into()))?;
        Ok(Some(SecretString::from(text)))
    })
}

/// Forgets the password remembered for folder `dir` (whichever key it was for); true when there was one.
///
/// # Errors
/// No keyring, a locked one, or one that refused.
pub fn forget(dir: &Path) -> Result<bool, SecretsError> {
    let folder = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf()).to_string_lossy().into_owned();
    with_service(move |service| {
        let found = service.search_items(HashMap::from([("application", "phonebak"), ("folder", folder.as_str())]))?;
        if !found.locked.is_empty() {
            return Err(SecretsError::Locked("the password is in a locked keyring".to_string()));
        }
        for item in &found.unlocked {
            item.delete()?;
        }
        Ok(!found.unlocked.is_empty())
    })
}
