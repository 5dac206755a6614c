//! Finding the adb program: `PHONEBAK_ADB`, then `PATH`, then the Android SDK named by `ANDROID_HOME` or
//! `ANDROID_SDK_ROOT`, then the places installers put it. The search reads a snapshot of the environment
//! ([`AdbSearch`]) so that it can be tested without changing the process's environment.

use super::error::DeviceError;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

/// The environment the search looks at.
#[derive(Debug, Clone, Default)]
pub struct AdbSearch {
    /// `PHONEBAK_ADB`: the adb program to use, overriding everything else.
    pub phonebak_adb: Option<OsString>,
    /// `PATH`.
    pub path: Option<OsString>,
    /// `ANDROID_HOME`.
    pub android_home: Option<OsString>,
    /// `ANDROID_SDK_ROOT`.
    pub android_sdk_root: Option<OsString>,
    /// The places installers put adb, looked at last ([`usual_places`] for this system).
    pub usual_places: Vec<PathBuf>,
}

/// The adb program's file name on this system.
const ADB_NAME: &str = if cfg!(windows) { "adb.exe" } else { "adb" };

impl AdbSearch {
    /// The search as this process's environment sets it.
    #[must_use]
    pub fn from_env() -> Self {
        let var = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
        Self {
            phonebak_adb: var("PHONEBAK_ADB"),
            path: var("PATH"),
            android_home: var("ANDROID_HOME"),
            android_sdk_root: var("ANDROID_SDK_ROOT"),
            usual_places: usual_places(
                var("HOME").or_else(|| var("USERPROFILE")).map(PathBuf::from).as_deref(),
                var("LOCALAPPDATA").map(PathBuf::from).as_deref(),
            ),
        }
    }

    /// Every place looked at after `PHONEBAK_ADB`, in order.
    #[must_use]
    pub fn candidates(&self) -> Vec<PathBuf> {
        let mut places = Vec::new();
        if let Some(path) = &self.path {
            places.extend(std::env::split_paths(path).filter(|d| !d.as_os_str().is_empty()).map(|d| d.join(ADB_NAME)));
        }
        for sdk in [&self.android_home, &self.android_sdk_root].into_iter().flatten() {
            places.push(Path::new(sdk).join("platform-tools").join(ADB_NAME));
        }
        places.extend(self.usual_places.iter().cloned());
        places
    }

    /// Finds the adb program.
    pub fn find(&self) -> Result<PathBuf, DeviceError> {
        if let Some(explicit) = &self.phonebak_adb {
            let path = PathBuf::from(explicit);
            return if path.is_file() { Ok(path) } else { Err(DeviceError::AdbEnvMissing { path }) };
        }
        let candidates = self.candidates();
        if let Some(found) = candidates.iter().find(|p| is_program(p)) {
            return Ok(found.clone());
        }
        let searched = if candidates.is_empty() {
            "nowhere (PATH is empty)".to_string()
        } else {
            candidates.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")
        };
        Err(DeviceError::AdbNotFound { install: install_help().to_string(), searched })
    }
}

/// Where installers put adb on this system, given the home folder and (on Windows) `LOCALAPPDATA`.
#[must_use]
pub fn usual_places(home: Option<&Path>, local_app_data: Option<&Path>) -> Vec<PathBuf> {
    let mut places = Vec::new();
    if cfg!(target_os = "macos") {
        if let Some(home) = home {
            places.push(home.join("Library/Android/sdk/platform-tools").join(ADB_NAME));
        }
        places.push(PathBuf::from("/opt/homebrew/bin/adb"));
        places.push(PathBuf::from("/usr/local/bin/adb"));
    } else if cfg!(windows) {
        if let Some(local) = local_app_data {
            places.push(local.join("Android\\Sdk\\platform-tools").join(ADB_NAME));
        }
    } else {
        if let Some(home) = home {
            places.push(home.join("Android/Sdk/platform-tools").join(ADB_NAME));
        }
        places.push(PathBuf::from("/usr/lib/android-sdk/platform-tools/adb"));
        places.push(PathBuf::from("/usr/bin/adb"));
    }
    places
}

/// Whether `path` is a file this user can run.
fn is_program(path: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    }
    #[cfg(not(unix))]
    {
        path.is_file()
    }
}

/// How to install adb on this operating system.
#[must_use]
pub fn install_help() -> &'static str {
    if cfg!(target_os = "macos") {
        "Install it with Homebrew: brew install android-platform-tools (or download Android SDK Platform-Tools \
         from developer.android.com and set PHONEBAK_ADB to its adb)."
    } else if cfg!(windows) {
        "Install it with: winget install Google.PlatformTools (or download Android SDK Platform-Tools from \
         developer.android.com and set PHONEBAK_ADB to its adb.exe)."
    } else {
        "Install adb: sudo apt-get install adb (Debian, Ubuntu), sudo dnf install android-tools (Fedora), or \
         sudo pacman -S android-tools (Arch); or download Android SDK Platform-Tools from developer.android.com \
         and set PHONEBAK_ADB to its adb."
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sdk_folders_come_after_path_and_before_the_usual_places() {
        let search = AdbSearch {
            path: Some("/a:/b".into()),
            android_home: Some("/sdk".into()),
            usual_places: usual_places(Some(Path::new("/home/u")), None),
            ..AdbSearch::default()
        };
        let places = search.candidates();
        assert_eq!(places[0], PathBuf::from("/a").join(ADB_NAME));
        assert_eq!(places[1], PathBuf::from("/b").join(ADB_NAME));
        assert_eq!(places[2], PathBuf::from("/sdk/platform-tools").join(ADB_NAME));
        #[cfg(target_os = "linux")]
        assert!(places.contains(&PathBuf::from("/home/u/Android/Sdk/platform-tools/adb")));
    }

    #[test]
    fn an_adb_in_an_sdk_folder_is_found_when_path_has_none() {
        let sdk = tempfile::tempdir().expect("sdk");
        let adb = sdk.path().join("platform-tools").join(ADB_NAME);
        std::fs::create_dir_all(adb.parent().expect("parent")).expect("mkdir");
        std::fs::write(&adb, "#!/bin/sh\n").expect("write");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&adb, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        }
        let search = AdbSearch { android_sdk_root: Some(sdk.path().into()), ..AdbSearch::default() };
        assert_eq!(search.find().expect("found"), adb);
    }
}
