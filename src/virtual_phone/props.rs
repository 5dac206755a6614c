//! The system properties the phone reports through `getprop` and in its connection banner.

use std::collections::BTreeMap;

/// An Android release the virtual phone can pretend to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AndroidVersion {
    /// `ro.build.version.release`, e.g. 14.
    pub release: u32,
    /// `ro.build.version.sdk`, e.g. 34.
    pub sdk: u32,
}

impl AndroidVersion {
    /// Parses a release number ("14", "8.1", "10") into the release and its API level.
    pub fn parse(text: &str) -> Result<Self, String> {
        let major: u32 = text
            .split('.')
            .next()
            .and_then(|m| m.parse().ok())
            .ok_or_else(|| format!("unknown Android version {text:?}: give a release number such as 14"))?;
        let minor_one = text.split('.').nth(1) == Some("1");
        let sdk = match major {
            8 if minor_one => 27,
            8 => 26,
            9 => 28,
            10 => 29,
            11 => 30,
            12 if text.contains('L') => 32,
            12 => 31,
            13 => 33,
            14 => 34,
            15 => 35,
            16 => 36,
            _ => return Err(format!("Android {text} is not modelled: use 8 to 16")),
        };
        Ok(Self { release: major, sdk })
    }
}

/// The phone's properties, sorted by name as `getprop` prints them.
#[derive(Debug, Clone)]
pub struct Props {
    map: BTreeMap<String, String>,
}

impl Props {
    /// The properties of a phone of this model, serial and Android release.
    #[must_use]
    pub fn new(model: &str, serial: &str, android: AndroidVersion) -> Self {
        let device = model.to_ascii_lowercase().replace(|c: char| !c.is_ascii_alphanumeric(), "_");
        let entries = [
            ("ro.product.manufacturer", "phonebak".to_string()),
            ("ro.product.brand", "phonebak".to_string()),
            ("ro.product.model", model.to_string()),
            ("ro.product.name", device.clone()),
            ("ro.product.device", device.clone()),
            ("ro.serialno", serial.to_string()),
            ("ro.build.version.release", android.release.to_string()),
            ("ro.build.version.sdk", android.sdk.to_string()),
            ("ro.build.type", "user".to_string()),
            ("ro.debuggable", "0".to_string()),
            ("ro.secure", "1".to_string()),
            ("ro.product.cpu.abi", "arm64-v8a".to_string()),
            ("persist.sys.timezone", "UTC".to_string()),
            ("sys.boot_completed", "1".to_string()),
            ("ro.build.characteristics", "default".to_string()),
            (
                "ro.build.fingerprint",
                format!("phonebak/{device}/{device}:{}/VP1A.{}/1:user/release-keys", android.release, android.sdk),
            ),
        ];
        Self { map: entries.into_iter().map(|(k, v)| (k.to_string(), v)).collect() }
    }

    /// One property's value; `None` when unset (getprop then prints an empty line).
    #[must_use]
    pub fn get(&self, key: &str) -> Option<&str> {
        self.map.get(key).map(String::as_str)
    }

    /// Every property, sorted by name.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.map.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }
}
