//! What phonebak remembers between runs (the backup folder, what "new" means, the thumbnail cache's size, the
//! phones backed up automatically), kept as a small JSON file in the user's config folder. The app's Settings
//! screen changes it; the automatic backup agent reads it.

use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// Which photos a backup copies when only new ones are asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum NewMeans {
    /// Every chosen photo the backup folder does not hold yet (or holds an older version of).
    #[default]
    NotYetBackedUp,
    /// Only photos newer than the newest one already backed up: photos that were deleted from the backup
    /// folder on purpose are not copied again.
    NewerThanLastBackup,
}

impl NewMeans {
    /// For people.
    #[must_use]
    pub fn describe(self) -> &'static str {
        match self {
            Self::NotYetBackedUp => "Every photo not yet in the backup folder",
            Self::NewerThanLastBackup => "Only photos taken after the newest one already backed up",
        }
    }
}

/// The app's settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// Where backups go (the last folder chosen).
    pub backup_folder: Option<PathBuf>,
    /// The backup folder last opened on the Restore screen.
    pub restore_folder: Option<PathBuf>,
    /// What "new" means for the Back up button.
    pub new_means: NewMeans,
    /// Largest size of the thumbnail cache on disk, in MB.
    pub thumbnail_cache_mb: u64,
    /// The phones backed up automatically when they connect (by the agent, `phonebak agent`).
    pub automatic: Vec<AutomaticBackup>,
    /// The phones used over Wi-Fi: the agent connects them again when it starts and every few minutes.
    pub wifi: Vec<WifiPhone>,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            backup_folder: None,
            restore_folder: None,
            new_means: NewMeans::default(),
            thumbnail_cache_mb: 500,
            automatic: Vec::new(),
            wifi: Vec::new(),
        }
    }
}

/// A phone backed up by itself when it connects: which phone, which of its folders, into which folder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AutomaticBackup {
    /// The phone's own serial (`ro.serialno`): the same phone by USB and over Wi-Fi.
    pub phone_serial: String,
    /// Its model, for people.
    pub model: String,
    /// The backup folder.
    pub backup_folder: PathBuf,
    /// Its gallery folders to back up, by name or path as `phonebak folders` shows them; empty: all of them.
    #[serde(default)]
    pub folders: Vec<String>,
}

/// A phone switched to Wi-Fi ("Use this phone over Wi-Fi"), to connect again when it is around.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WifiPhone {
    /// The phone's own serial (`ro.serialno`).
    pub phone_serial: String,
    /// Its model, for people.
    pub model: String,
    /// Where adb reaches it: `HOST:PORT`.
    pub address: String,
}

impl Settings {
    /// Remembers a phone's Wi-Fi address (replacing an older one of the same phone).
    pub fn remember_wifi(&mut self, phone: WifiPhone) {
        self.wifi.retain(|w| w.phone_serial != phone.phone_serial);
        self.wifi.push(phone);
    }
}

/// The settings file cannot be used.
#[derive(Debug, thiserror::Error)]
#[error(
    "The settings file {} cannot be read ({detail}). Fix it or move it away (phonebak then starts from the \
     defaults); it was left as it is.",
    path.display()
)]
pub struct SettingsError {
    /// The file.
    pub path: PathBuf,
    /// What is wrong.
    pub detail: String,
}

/// A folder from the environment variable `key`, if set and not empty.
fn env_dir(key: &str) -> Option<PathBuf> {
    std::env::var_os(key).filter(|v| !v.is_empty()).map(PathBuf::from)
}

/// `sub` below the user's folder for this kind of file: `%<windows>%` on Windows, else `$<xdg>` or `~/<home>`.
fn user_dir(windows: &str, xdg: &str, home: &str, sub: &[&str]) -> Option<PathBuf> {
    let base = if cfg!(windows) {
        env_dir(windows)?
    } else {
        env_dir(xdg).or_else(|| env_dir("HOME").map(|h| h.join(home)))?
    };
    Some(sub.iter().fold(base, |dir, part| dir.join(part)))
}

/// Where the settings file lives: `$XDG_CONFIG_HOME/phonebak/settings.json` (`~/.config/...`), or
/// `%APPDATA%\phonebak\settings.json` on Windows.
#[must_use]
pub fn settings_path() -> Option<PathBuf> {
    user_dir("APPDATA", "XDG_CONFIG_HOME", ".config", &["phonebak", "settings.json"])
}

/// Where thumbnails are cached: `$XDG_CACHE_HOME/phonebak/thumbnails` (`~/.cache/...`), or
/// `%LOCALAPPDATA%\phonebak\thumbnails` on Windows.
#[must_use]
pub fn thumbnail_cache_dir() -> Option<PathBuf> {
    user_dir("LOCALAPPDATA", "XDG_CACHE_HOME", ".cache", &["phonebak", "thumbnails"])
}

/// The backup folder proposed the first time: the user's pictures folder + `Phone backups`. The pictures
/// folder is `XDG_PICTURES_DIR` (from the environment, or from `user-dirs.dirs` in the config folder, as
/// xdg-user-dirs writes it in the person's language), else `~/Pictures`.
#[must_use]
pub fn default_backup_folder() -> Option<PathBuf> {
    let home = env_dir("HOME")?;
    let config = env_dir("XDG_CONFIG_HOME").unwrap_or_else(|| home.join(".config"));
    let user_dirs = std::fs::read_to_string(config.join("user-dirs.dirs")).ok();
    Some(
        pictures_dir(&home, std::env::var("XDG_PICTURES_DIR").ok().as_deref(), user_dirs.as_deref())
            .join("Phone backups"),
    )
}

/// The pictures folder: `from_env` (`$XDG_PICTURES_DIR`), else the `XDG_PICTURES_DIR="$HOME/..."` line of a
/// `user-dirs.dirs` text, else `~/Pictures`. A value that is the home folder itself means "not set", as for
/// xdg-user-dirs.
fn pictures_dir(home: &Path, from_env: Option<&str>, user_dirs: Option<&str>) -> PathBuf {
    let expand = |value: &str| -> Option<PathBuf> {
        let value = value.trim().trim_matches('"');
        let path = match value.strip_prefix("$HOME") {
            Some(rest) => home.join(rest.trim_start_matches('/')),
            None if value.starts_with('/') => PathBuf::from(value),
            None => return None,
        };
        (path != home && path.as_os_str() != "/").then_some(path)
    };
    let from_file = || {
        user_dirs?.lines().find_map(|line| {
            let value = line.trim().strip_prefix("XDG_PICTURES_DIR=")?;
            expand(value)
        })
    };
    from_env.filter(|v| !v.is_empty()).and_then(expand).or_else(from_file).unwrap_or_else(|| home.join("Pictures"))
}

impl Settings {
    /// Reads the settings at `path`; the defaults when there are none or they cannot be read (a damaged file
    /// is logged; see [`Settings::load_checked`] for a reader that refuses it).
    #[must_use]
    pub fn load(path: &Path) -> Self {
        Self::load_checked(path).unwrap_or_else(|e| {
            tracing::warn!("{e}");
            Self::default()
        })
    }

    /// Reads the settings at `path`: the defaults when there is no file, an error when it cannot be read or
    /// parsed (so that nobody writes defaults over a file a person may want to repair).
    ///
    /// # Errors
    /// The file exists but cannot be read or is not valid settings.
    pub fn load_checked(path: &Path) -> Result<Self, SettingsError> {
        let error = |detail: String| SettingsError { path: path.to_path_buf(), detail };
        match std::fs::read(path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| error(e.to_string())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Self::default()),
            Err(e) => Err(error(e.to_string())),
        }
    }

    /// Writes the settings to `path`, whole or not at all (a temp file renamed over it).
    ///
    /// # Errors
    /// When the folder cannot be made or the file written.
    pub fn save(&self, path: &Path) -> std::io::Result<()> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let tmp = path.with_extension("json.part");
        let text = serde_json::to_vec_pretty(self).map_err(std::io::Error::other)?;
        std::fs::write(&tmp, text)?;
        std::fs::rename(&tmp, path)
    }
}

#[cfg(test)]
mod default_folder_tests {
    use super::pictures_dir;
    use std::path::{Path, PathBuf};

    #[test]
    fn the_default_backup_folder_is_in_the_pictures_folder_that_xdg_user_dirs_names() {
        let home = Path::new("/home/ana");
        let dirs = "# written by xdg-user-dirs-update\nXDG_DESKTOP_DIR=\"$HOME/Escritorio\"\n\
                    XDG_PICTURES_DIR=\"$HOME/Imágenes\"\n";
        assert_eq!(pictures_dir(home, None, Some(dirs)), PathBuf::from("/home/ana/Imágenes"));
        // The environment wins; an absolute path is taken as it is.
        assert_eq!(pictures_dir(home, Some("/data/photos"), Some(dirs)), PathBuf::from("/data/photos"));
        // No file, or the folder disabled (set to the home folder): ~/Pictures.
        assert_eq!(pictures_dir(home, None, None), PathBuf::from("/home/ana/Pictures"));
        assert_eq!(
            pictures_dir(home, None, Some("XDG_PICTURES_DIR=\"$HOME/\"\n")),
            PathBuf::from("/home/ana/Pictures")
        );
        assert_eq!(
            pictures_dir(home, Some(""), Some("XDG_MUSIC_DIR=\"$HOME/Music\"")),
            PathBuf::from("/home/ana/Pictures")
        );
    }
}
