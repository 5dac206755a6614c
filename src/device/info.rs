//! What a phone is: maker, model, Android release, serial and storage space, read with one shell command.

/// A phone's identity and storage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceInfo {
    /// `ro.product.manufacturer` ("Google", "samsung").
    pub manufacturer: String,
    /// `ro.product.model` ("Pixel 7").
    pub model: String,
    /// `ro.build.version.release` ("14", "8.1.0").
    pub android_release: String,
    /// `ro.build.version.sdk` (34); 0 when the phone did not say.
    pub sdk: u32,
    /// The phone's own serial (`ro.serialno`), or adb's serial when the phone hides it. Stable across USB
    /// and Wi-Fi, so backups are filed under it.
    pub serial: String,
    /// The serial adb knows the phone by (for Wi-Fi phones, its address).
    pub adb_serial: String,
    /// Shared storage size and free space, when `df` answered.
    pub storage: Option<StorageSpace>,
}

/// Size and free space of the phone's shared storage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StorageSpace {
    /// Total bytes.
    pub total_bytes: u64,
    /// Bytes available to apps (and so to phonebak).
    pub free_bytes: u64,
}

/// The command [`parse_info`] reads: five properties, one per line, then `df -k` of the shared storage.
pub(crate) const INFO_COMMAND: &[u8] = b"getprop ro.product.manufacturer; getprop ro.product.model; \
    getprop ro.build.version.release; getprop ro.build.version.sdk; getprop ro.serialno; \
    df -k /storage/emulated/0 2>/dev/null || df -k /sdcard";

/// Parses the output of [`INFO_COMMAND`].
#[must_use]
pub(crate) fn parse_info(stdout: &str, adb_serial: &str) -> DeviceInfo {
    let mut lines = stdout.lines();
    let mut next = || lines.next().unwrap_or("").trim().to_string();
    let (manufacturer, model, android_release, sdk, serial) = (next(), next(), next(), next(), next());
    let rest: Vec<&str> = stdout.lines().skip(5).collect();
    DeviceInfo {
        manufacturer,
        model,
        android_release,
        sdk: sdk.parse().unwrap_or(0),
        serial: if serial.is_empty() || serial == "unknown" { adb_serial.to_string() } else { serial },
        adb_serial: adb_serial.to_string(),
        storage: parse_df(&rest),
    }
}

/// Reads `df -k` output: the last line naming a filesystem, its 1K-blocks and available columns.
fn parse_df(lines: &[&str]) -> Option<StorageSpace> {
    lines.iter().rev().find_map(|line| {
        let cols: Vec<&str> = line.split_whitespace().collect();
        if cols.len() < 6 || cols[0] == "Filesystem" {
            return None;
        }
        let total: u64 = cols[1].parse().ok()?;
        let free: u64 = cols[3].parse().ok()?;
        Some(StorageSpace { total_bytes: total.saturating_mul(1024), free_bytes: free.saturating_mul(1024) })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn info_output_parses_into_fields_and_storage_bytes() {
        let out = "Google\nPixel 7\n14\n34\n2A111FDH200ABC\n\
                   Filesystem     1K-blocks     Used Available Use% Mounted on\n\
                   /dev/fuse      115249236 20490124  94759112  18% /storage/emulated\n";
        let info = parse_info(out, "127.0.0.1:5555");
        assert_eq!(info.manufacturer, "Google");
        assert_eq!(info.model, "Pixel 7");
        assert_eq!((info.android_release.as_str(), info.sdk), ("14", 34));
        assert_eq!(info.serial, "2A111FDH200ABC");
        assert_eq!(info.adb_serial, "127.0.0.1:5555");
        assert_eq!(info.storage, Some(StorageSpace { total_bytes: 115_249_236 * 1024, free_bytes: 94_759_112 * 1024 }));
    }

    #[test]
    fn a_hidden_serial_and_missing_df_fall_back() {
        let info = parse_info("samsung\nSM-G991B\n8.1.0\n27\n\n", "R58M123");
        assert_eq!(info.serial, "R58M123");
        assert_eq!(info.storage, None);
        assert_eq!(info.android_release, "8.1.0");
    }
}
