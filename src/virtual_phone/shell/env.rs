//! The environment `adb shell` commands get on Android 14 (adbd's, from init's `/init.environ.rc`, plus what
//! adbd and mksh set for the shell user). A parameter not named here is unset, and expands to nothing, as
//! mksh expands any unset parameter.

/// `(name, value)` of each variable set in the phone's shell.
const ENVIRONMENT: [(&str, &str); 16] = [
    ("ANDROID_ART_ROOT", "/apex/com.android.art"),
    ("ANDROID_ASSETS", "/system/app"),
    ("ANDROID_DATA", "/data"),
    ("ANDROID_I18N_ROOT", "/apex/com.android.i18n"),
    ("ANDROID_ROOT", "/system"),
    ("ANDROID_STORAGE", "/storage"),
    ("ANDROID_TZDATA_ROOT", "/apex/com.android.tzdata"),
    ("ASEC_MOUNTPOINT", "/mnt/asec"),
    ("DOWNLOAD_CACHE", "/data/cache"),
    ("EXTERNAL_STORAGE", "/sdcard"),
    ("HOME", "/"),
    ("LOGNAME", "shell"),
    (
        "PATH",
        "/product/bin:/apex/com.android.runtime/bin:/apex/com.android.art/bin:/system_ext/bin:/system/bin:\
         /system/xbin:/odm/bin:/vendor/bin:/vendor/xbin",
    ),
    ("SHELL", "/bin/sh"),
    ("TMPDIR", "/data/local/tmp"),
    ("USER", "shell"),
];

/// The value of variable `name` in the phone's shell, or `None` when it is unset.
pub(super) fn lookup(name: &[u8]) -> Option<&'static [u8]> {
    ENVIRONMENT.iter().find(|(n, _)| n.as_bytes() == name).map(|(_, v)| v.as_bytes())
}
