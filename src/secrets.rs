//! "Remember the password on this computer": an encrypted backup folder's password kept in the desktop's
//! Secret Service (GNOME Keyring, `KWallet`, `KeePassXC`: the freedesktop `org.freedesktop.secrets` API over the
//! session D-Bus), so the automatic backup can open the folder without asking.
//!
//! Each password is an item of the default collection (the login keyring) with the attributes
//! `application=phonebak`, `folder=<the folder's canonical path>` and `vault=<a hash of the folder's key
//! file>`: a different encrypted folder later made at the same path is never opened with an old password.
//! Nothing here waits for a person: a call that does not answer within [`PATIENCE`] (each D-Bus call, and the
//! whole) is an error, and a locked keyring is reported, never unlocked with a prompt, except where a person
//! asked to remember ([`remember`]). A remembered password that no longer opens the folder counts as none
//! ([`open`]).

use crate::vault::SecretString;
use age::secrecy::ExposeSecret as _;
use sha2::{Digest as _, Sha256};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How long a call to the Secret Service may take, unless a [`Keyring`] says otherwise.
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
    #[error(
        "The desktop's keyring did not answer within {after_secs} seconds: it may be waiting for you to unlock it, \
         or be stuck (logging out and in again restarts it)."
    )]
    TimedOut {
        /// How long it was given.
        after_secs: u64,
    },
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
            secret_service::Error::ZbusFdo(ref z) if is_absent(&z.to_string()) => Self::Unavailable(e.to_string()),
            other => Self::Failed(other.to_string()),
        }
    }
}

impl From<zbus::Error> for SecretsError {
    fn from(e: zbus::Error) -> Self {
        match e {
            zbus::Error::Address(_) => Self::Unavailable(e.to_string()),
            zbus::Error::InputOutput(ref io)
                if matches!(io.kind(), std::io::ErrorKind::NotFound | std::io::ErrorKind::ConnectionRefused) =>
            {
                Self::Unavailable(e.to_string())
            }
            other if is_absent(&other.to_string()) => Self::Unavailable(other.to_string()),
            other => Self::Failed(other.to_string()),
        }
    }
}

/// Whether a D-Bus error means nobody serves the Secret Service (or there is no session bus).
fn is_absent(message: &str) -> bool {
    ["ServiceUnknown", "NameHasNoOwner", "No such file", "Connection refused", "DBUS_SESSION_BUS_ADDRESS"]
        .iter()
        .any(|m| message.contains(m))
}

/// The attributes that name folder `dir`'s password: its canonical path, and a hash of its key file (the first
/// copy that can be read), which differs for every encrypted folder ever made there.
fn attributes_of(dir: &Path) -> Result<(String, String), SecretsError> {
    let not_encrypted = |why: String| SecretsError::NotEncrypted { folder: dir.to_path_buf(), why };
    let canonical = dir.canonicalize().map_err(|e| not_encrypted(e.to_string()))?;
    let state = canonical.join(crate::backup::manifest::STATE_DIR);
    let mut problems = Vec::new();
    for name in crate::vault::KEY_FILES {
        match std::fs::read(state.join(name)) {
            Ok(key) => {
                let vault = crate::backup::manifest::hex(&Sha256::digest(&key)[..16]);
                return Ok((canonical.to_string_lossy().into_owned(), vault));
            }
            Err(e) => problems.push(format!("{name}: {e}")),
        }
    }
    Err(not_encrypted(problems.join("; ")))
}

/// The desktop's keyring as phonebak reaches it: the Secret Service on a D-Bus bus, and how long a call may
/// take. [`remember`], [`recall`] and [`forget`] use the session's; tests point one at a private bus.
#[derive(Debug, Clone)]
pub struct Keyring {
    /// The bus (`None`: the session bus of `DBUS_SESSION_BUS_ADDRESS`).
    address: Option<String>,
    /// How long a call may take.
    patience: Duration,
}

impl Keyring {
    /// The Secret Service of this desktop session.
    #[must_use]
    pub fn session() -> Self {
        Self { address: None, patience: PATIENCE }
    }

    /// The Secret Service on the D-Bus bus at `address` (a D-Bus address such as `unix:path=/run/...`).
    #[must_use]
    pub fn at(address: &str) -> Self {
        Self { address: Some(address.to_string()), patience: PATIENCE }
    }

    /// The same keyring, giving up on a call after `patience` (the default is [`PATIENCE`]).
    #[must_use]
    pub fn with_patience(self, patience: Duration) -> Self {
        Self { patience, ..self }
    }

    /// Runs `work` with a Secret Service connection on a thread of its own, giving up after the patience (the
    /// thread then ends with the connection's own method timeout, or with the process).
    fn with_service<T: Send + 'static>(
        &self,
        work: impl FnOnce(&secret_service::blocking::SecretService<'_>) -> Result<T, SecretsError> + Send + 'static,
    ) -> Result<T, SecretsError> {
        let (address, patience) = (self.address.clone(), self.patience);
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        std::thread::Builder::new()
            .name("keyring".to_string())
            .spawn(move || {
                let result = connect(address.as_deref(), patience).and_then(|service| work(&service));
                let _ = tx.send(result);
            })
            .map_err(|e| SecretsError::Failed(e.to_string()))?;
        rx.recv_timeout(patience).unwrap_or(Err(SecretsError::TimedOut { after_secs: patience.as_secs().max(1) }))
    }

    /// Remembers `password` for the encrypted folder `dir` (replacing one remembered before for that path). The
    /// caller has checked that it opens the folder. May show the keyring's own unlock prompt: a person asked.
    ///
    /// # Errors
    /// Not an encrypted folder, no keyring, a locked one the person did not unlock, or one that refused.
    pub fn remember(&self, dir: &Path, password: &SecretString) -> Result<(), SecretsError> {
        let (folder, vault) = attributes_of(dir)?;
        let secret = password.expose_secret().as_bytes().to_vec();
        self.with_service(move |service| {
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

    /// The password remembered for the encrypted folder `dir` and its present key, if any (never prompts). One
    /// remembered for another encrypted folder once made at the same path is not returned.
    ///
    /// # Errors
    /// Not an encrypted folder, no keyring, a locked one, or one that refused.
    pub fn recall(&self, dir: &Path) -> Result<Option<SecretString>, SecretsError> {
        let (folder, vault) = attributes_of(dir)?;
        self.with_service(move |service| {
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
            let text =
                String::from_utf8(secret).map_err(|_| SecretsError::Failed("the password is not text".into()))?;
            Ok(Some(SecretString::from(text)))
        })
    }

    /// The encrypted folder `dir` opened with its remembered password; `None` when none is remembered or the
    /// remembered one no longer opens it (never prompts; scrypt takes about a second).
    ///
    /// # Errors
    /// As [`Keyring::recall`], and a folder whose key files are damaged.
    pub fn open(&self, dir: &Path) -> Result<Option<crate::vault::Vault>, SecretsError> {
        let Some(password) = self.recall(dir)? else { return Ok(None) };
        match crate::vault::Vault::open(dir, &password) {
            Ok(vault) => Ok(Some(vault)),
            Err(crate::vault::VaultError::WrongPassword { .. }) => Ok(None),
            Err(e) => Err(SecretsError::NotEncrypted { folder: dir.to_path_buf(), why: e.to_string() }),
        }
    }

    /// Forgets the password remembered for folder `dir` (whichever key it was for); true when there was one.
    ///
    /// # Errors
    /// No keyring, a locked one, or one that refused.
    pub fn forget(&self, dir: &Path) -> Result<bool, SecretsError> {
        let folder = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf()).to_string_lossy().into_owned();
        self.with_service(move |service| {
            let found =
                service.search_items(HashMap::from([("application", "phonebak"), ("folder", folder.as_str())]))?;
            if !found.locked.is_empty() {
                return Err(SecretsError::Locked("the password is in a locked keyring".to_string()));
            }
            for item in &found.unlocked {
                item.delete()?;
            }
            Ok(!found.unlocked.is_empty())
        })
    }
}

/// A Secret Service session (Diffie-Hellman: the password never crosses the bus in the clear) on the bus at
/// `address`, or the session bus; each D-Bus call given up soon after `patience`, so that the thread ends.
fn connect(
    address: Option<&str>,
    patience: Duration,
) -> Result<secret_service::blocking::SecretService<'static>, SecretsError> {
    let builder = match address {
        Some(address) => zbus::blocking::connection::Builder::address(address)?,
        None => zbus::blocking::connection::Builder::session()?,
    };
    // A second more than the caller waits: the caller's limit is the one that is reported.
    let connection = builder.method_timeout(patience + Duration::from_secs(1)).build()?;
    Ok(secret_service::blocking::SecretService::connect_with_existing(secret_service::EncryptionType::Dh, connection)?)
}

/// Remembers `password` for the encrypted folder `dir` in this desktop's keyring ([`Keyring::remember`]).
///
/// # Errors
/// Not an encrypted folder, no keyring, a locked one the person did not unlock, or one that refused.
pub fn remember(dir: &Path, password: &SecretString) -> Result<(), SecretsError> {
    Keyring::session().remember(dir, password)
}

/// The password remembered in this desktop's keyring for the encrypted folder `dir` ([`Keyring::recall`]).
///
/// # Errors
/// Not an encrypted folder, no keyring, a locked one, or one that refused.
pub fn recall(dir: &Path) -> Result<Option<SecretString>, SecretsError> {
    Keyring::session().recall(dir)
}

/// The encrypted folder `dir` opened with the password remembered in this desktop's keyring, or `None`
/// ([`Keyring::open`]).
///
/// # Errors
/// As [`recall`], and a folder whose key files are damaged.
pub fn open(dir: &Path) -> Result<Option<crate::vault::Vault>, SecretsError> {
    Keyring::session().open(dir)
}

/// Forgets the password remembered in this desktop's keyring for folder `dir`; true when there was one.
///
/// # Errors
/// No keyring, a locked one, or one that refused.
pub fn forget(dir: &Path) -> Result<bool, SecretsError> {
    Keyring::session().forget(dir)
}
