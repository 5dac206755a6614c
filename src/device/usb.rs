//! Phones on USB that adb does not list: plugged in, but with USB debugging off (or held by another program).
//!
//! On Linux the kernel publishes every USB device's descriptors in sysfs, readable by any user without opening
//! the device, so detection needs neither libusb nor permissions (libusb itself reads the same files). On
//! other systems this finds nothing and phonebak relies on adb's list alone.

use std::path::Path;

/// Where Linux lists USB devices.
const SYSFS_USB: &str = "/sys/bus/usb/devices";

/// USB vendor ids of Android phone makers (Google, Samsung, Motorola, LG, HTC, Sony, Huawei, Xiaomi,
/// `OnePlus`, OPPO/realme, vivo, ZTE, Lenovo, ASUS, HMD/Nokia, Meizu, Fairphone, Qualcomm, `MediaTek`, Sharp,
/// Kyocera, Acer, TCL/Alcatel, Essential).
const ANDROID_VENDORS: &[u16] = &[
    0x18d1, 0x04e8, 0x22b8, 0x1004, 0x0bb4, 0x0fce, 0x12d1, 0x2717, 0x2a70, 0x22d9, 0x2d95, 0x19d2, 0x17ef, 0x0b05,
    0x2e04, 0x2a45, 0x2ae5, 0x05c6, 0x0e8d, 0x04dd, 0x0482, 0x0502, 0x1bbb, 0x2e17,
];

/// A USB device that looks like an Android phone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsbPhone {
    /// USB vendor id.
    pub vendor_id: u16,
    /// USB product id.
    pub product_id: u16,
    /// The maker's name, as the device gives it.
    pub manufacturer: Option<String>,
    /// The product name, as the device gives it.
    pub product: Option<String>,
    /// The USB serial (adb lists USB phones by it).
    pub serial: Option<String>,
    /// The port path (`1-4`), as adb shows after `usb:`.
    pub port_path: String,
    /// Whether it offers an ADB interface (USB debugging is on).
    pub has_adb_interface: bool,
}

impl UsbPhone {
    /// A name to show.
    #[must_use]
    pub fn display_name(&self) -> String {
        match (&self.manufacturer, &self.product) {
            (Some(m), Some(p)) if !p.to_lowercase().contains(&m.to_lowercase()) => format!("{m} {p}"),
            (_, Some(p)) => p.clone(),
            (Some(m), None) => m.clone(),
            (None, None) => format!("USB device {:04x}:{:04x}", self.vendor_id, self.product_id),
        }
    }

    /// What the user should do so that adb sees the phone.
    #[must_use]
    pub fn guidance(&self) -> String {
        if self.has_adb_interface {
            "USB debugging is on, but adb does not see the phone. Close other programs that use adb (Android \
             Studio, another adb version), run `adb kill-server`, then unplug and replug the phone."
                .to_string()
        } else {
            "Turn on USB debugging: 1. On the phone open Settings > About phone and tap \"Build number\" seven \
             times (on Xiaomi phones: \"MIUI version\"). 2. Open Settings > System > Developer options and turn \
             on \"USB debugging\". 3. Unplug and replug the cable, unlock the phone and tap Allow when it asks \
             \"Allow USB debugging?\"."
                .to_string()
        }
    }
}

/// Android phones on USB that are not in `listed_serials` / `listed_ports` (those adb already shows).
#[must_use]
pub fn unlisted_phones(listed_serials: &[&str], listed_ports: &[&str]) -> Vec<UsbPhone> {
    scan_sysfs(Path::new(SYSFS_USB))
        .into_iter()
        .filter(|p| {
            !listed_ports.contains(&p.port_path.as_str())
                && !p.serial.as_deref().is_some_and(|s| listed_serials.contains(&s))
        })
        .collect()
}

/// The vendor id of the USB device at port path `port` (`1-4`), if the system says.
#[must_use]
pub fn vendor_of_port(port: &str) -> Option<u16> {
    if port.is_empty() || port.contains('/') || port.contains("..") {
        return None;
    }
    hex_attr(&Path::new(SYSFS_USB).join(port), "idVendor")
}

fn attr(dir: &Path, name: &str) -> Option<String> {
    let text = std::fs::read_to_string(dir.join(name)).ok()?;
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_string())
}

fn hex_attr(dir: &Path, name: &str) -> Option<u16> {
    u16::from_str_radix(&attr(dir, name)?, 16).ok()
}

/// Reads the USB devices under a sysfs-like folder and keeps the ones that look like Android phones: those
/// with an ADB interface (class 0xff, subclass 0x42, protocol 0x01), and those of a phone maker that show a
/// file-transfer (MTP/PTP) interface.
#[must_use]
pub fn scan_sysfs(root: &Path) -> Vec<UsbPhone> {
    let Ok(entries) = std::fs::read_dir(root) else { return Vec::new() };
    let mut phones = Vec::new();
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        // Devices are "BUS-PORT[.PORT...]"; interfaces have a ':' and root hubs start with "usb".
        if name.contains(':') || name.starts_with("usb") {
            continue;
        }
        let dir = entry.path();
        let (Some(vendor_id), Some(product_id)) = (hex_attr(&dir, "idVendor"), hex_attr(&dir, "idProduct")) else {
            continue;
        };
        let mut has_adb = false;
        let mut has_transfer = false;
        if let Ok(children) = std::fs::read_dir(&dir) {
            for child in children.flatten() {
                let child_name = child.file_name().to_string_lossy().into_owned();
                if !child_name.starts_with(&format!("{name}:")) {
                    continue;
                }
                let iface = child.path();
                let class = (
                    hex_attr(&iface, "bInterfaceClass"),
                    hex_attr(&iface, "bInterfaceSubClass"),
                    hex_attr(&iface, "bInterfaceProtocol"),
                );
                has_adb |= class == (Some(0xff), Some(0x42), Some(0x01));
                let label = attr(&iface, "interface").unwrap_or_default();
                has_transfer |= class.0 == Some(0x06) || (class.0 == Some(0xff) && label.contains("MTP"));
            }
        }
        if has_adb || (ANDROID_VENDORS.contains(&vendor_id) && has_transfer) {
            phones.push(UsbPhone {
                vendor_id,
                product_id,
                manufacturer: attr(&dir, "manufacturer"),
                product: attr(&dir, "product"),
                serial: attr(&dir, "serial"),
                port_path: name,
                has_adb_interface: has_adb,
            });
        }
    }
    phones.sort_by(|a, b| a.port_path.cmp(&b.port_path));
    phones
}

#[cfg(test)]
mod tests {
    use super::*;

    fn device(root: &Path, port: &str, ids: (&str, &str), attrs: &[(&str, &str)], ifaces: &[(&str, &str, &str, &str)]) {
        let dir = root.join(port);
        std::fs::create_dir_all(&dir).expect("mkdir");
        std::fs::write(dir.join("idVendor"), format!("{}\n", ids.0)).expect("write");
        std::fs::write(dir.join("idProduct"), format!("{}\n", ids.1)).expect("write");
        for (k, v) in attrs {
            std::fs::write(dir.join(k), format!("{v}\n")).expect("write");
        }
        for (i, (class, sub, proto, label)) in ifaces.iter().enumerate() {
            let iface = dir.join(format!("{port}:1.{i}"));
            std::fs::create_dir_all(&iface).expect("mkdir");
            std::fs::write(iface.join("bInterfaceClass"), class).expect("write");
            std::fs::write(iface.join("bInterfaceSubClass"), sub).expect("write");
            std::fs::write(iface.join("bInterfaceProtocol"), proto).expect("write");
            if !label.is_empty() {
                std::fs::write(iface.join("interface"), label).expect("write");
            }
        }
    }

    #[test]
    fn phones_are_told_apart_from_other_usb_devices() {
        let root = tempfile::tempdir().expect("root");
        let r = root.path();
        // USB debugging on: an ADB interface, whatever the vendor.
        device(
            r,
            "1-1",
            ("1234", "0001"),
            &[("product", "Odd Phone"), ("serial", "ODD1")],
            &[("ff", "42", "01", "ADB Interface")],
        );
        // A Pixel in file-transfer mode with debugging off: an MTP interface.
        device(
            r,
            "1-2",
            ("18d1", "4ee1"),
            &[("manufacturer", "Google"), ("product", "Pixel 7"), ("serial", "PX1")],
            &[("ff", "ff", "00", "MTP")],
        );
        // A Lenovo keyboard: a phone maker's vendor id, but no phone interface.
        device(r, "1-3", ("17ef", "6047"), &[("product", "ThinkPad Keyboard")], &[("03", "01", "01", "")]);
        // A Samsung SSD: mass storage.
        device(r, "2-1", ("04e8", "4001"), &[("product", "Portable SSD T7")], &[("08", "06", "50", "")]);
        let phones = scan_sysfs(r);
        let ports: Vec<&str> = phones.iter().map(|p| p.port_path.as_str()).collect();
        assert_eq!(ports, ["1-1", "1-2"]);
        assert!(phones[0].has_adb_interface && !phones[1].has_adb_interface);
        assert_eq!(phones[1].display_name(), "Google Pixel 7");
        assert!(phones[1].guidance().contains("Build number"), "{}", phones[1].guidance());
        assert!(phones[0].guidance().contains("adb kill-server"));
    }

    #[test]
    fn a_missing_sysfs_gives_no_phones() {
        assert!(scan_sysfs(Path::new("/nonexistent/phonebak")).is_empty());
    }
}
