//! Phones on USB that adb does not list: plugged in, but with USB debugging off (or held by another program).
//!
//! Devices are enumerated with rusb (libusb) on every system: vendor and product ids and the interface classes
//! come from descriptors libusb reads without opening the device. The maker, product and serial strings need
//! the device opened, which an unprivileged user often may not do; on Linux the kernel publishes them in sysfs,
//! readable by anyone, so sysfs fills them in (and finds the phones when libusb cannot run at all).

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
    let from_libusb = scan_rusb().unwrap_or_else(|e| {
        tracing::debug!("libusb could not list USB devices: {e}");
        Vec::new()
    });
    let from_sysfs = if cfg!(target_os = "linux") { scan_sysfs(Path::new(SYSFS_USB)) } else { Vec::new() };
    merge(from_libusb, from_sysfs)
        .into_iter()
        .filter(|p| {
            !listed_ports.contains(&p.port_path.as_str())
                && !p.serial.as_deref().is_some_and(|s| listed_serials.contains(&s))
        })
        .collect()
}

/// Whether a device with these ids and interfaces `(class, subclass, protocol, label)` looks like an Android
/// phone: `Some(true)` with an ADB interface (class 0xff, subclass 0x42, protocol 0x01), `Some(false)` for a
/// phone maker's device with a file-transfer (MTP/PTP) interface, `None` otherwise.
fn classify(vendor_id: u16, interfaces: &[(u8, u8, u8, &str)]) -> Option<bool> {
    let has_adb = interfaces.iter().any(|&(c, s, p, _)| (c, s, p) == (0xff, 0x42, 0x01));
    let has_transfer = interfaces.iter().any(|&(c, _, _, label)| c == 0x06 || (c == 0xff && label.contains("MTP")));
    if has_adb {
        Some(true)
    } else if ANDROID_VENDORS.contains(&vendor_id) && has_transfer {
        Some(false)
    } else {
        None
    }
}

/// Lists the phones libusb sees. Strings are read only where the device can be opened.
///
/// # Errors
/// When libusb cannot start or list devices (no USB subsystem, a sandbox).
pub fn scan_rusb() -> Result<Vec<UsbPhone>, rusb::Error> {
    use rusb::UsbContext as _;
    use std::time::Duration;
    // A context of our own: rusb's global one panics where libusb cannot start (no USB bus, a sandbox).
    let context = rusb::Context::new()?;
    let mut phones = Vec::new();
    for device in context.devices()?.iter() {
        let Ok(desc) = device.device_descriptor() else { continue };
        let mut interfaces = Vec::new();
        if let Ok(config) = device.active_config_descriptor().or_else(|_| device.config_descriptor(0)) {
            for interface in config.interfaces() {
                for alt in interface.descriptors() {
                    interfaces.push((alt.class_code(), alt.sub_class_code(), alt.protocol_code(), ""));
                }
            }
        }
        // An MTP interface is vendor-specific (0xff) and known by its label, which needs the device opened:
        // for a phone maker's device, take any vendor-specific interface as file transfer.
        let maker = ANDROID_VENDORS.contains(&desc.vendor_id());
        let labelled: Vec<(u8, u8, u8, &str)> =
            interfaces.iter().map(|&(c, s, p, _)| (c, s, p, if maker && c == 0xff { "MTP" } else { "" })).collect();
        let Some(has_adb_interface) = classify(desc.vendor_id(), &labelled) else { continue };
        let ports = device.port_numbers().unwrap_or_default();
        let port_path = if ports.is_empty() {
            format!("{}", device.bus_number())
        } else {
            let ports: Vec<String> = ports.iter().map(u8::to_string).collect();
            format!("{}-{}", device.bus_number(), ports.join("."))
        };
        let (mut manufacturer, mut product, mut serial) = (None, None, None);
        if let Ok(handle) = device.open() {
            let timeout = Duration::from_millis(200);
            if let Ok(language) = handle.read_languages(timeout).map(|l| l.first().copied())
                && let Some(language) = language
            {
                manufacturer = handle.read_manufacturer_string(language, &desc, timeout).ok();
                product = handle.read_product_string(language, &desc, timeout).ok();
                serial = handle.read_serial_number_string(language, &desc, timeout).ok();
            }
        }
        phones.push(UsbPhone {
            vendor_id: desc.vendor_id(),
            product_id: desc.product_id(),
            manufacturer,
            product,
            serial,
            port_path,
            has_adb_interface,
        });
    }
    phones.sort_by(|a, b| a.port_path.cmp(&b.port_path));
    Ok(phones)
}

/// Joins what libusb and sysfs found, by port path: sysfs fills in the strings libusb could not read and adds
/// the devices libusb did not list.
fn merge(from_libusb: Vec<UsbPhone>, from_sysfs: Vec<UsbPhone>) -> Vec<UsbPhone> {
    let mut phones = from_libusb;
    for found in from_sysfs {
        if let Some(p) = phones.iter_mut().find(|p| p.port_path == found.port_path) {
            p.manufacturer = p.manufacturer.take().or(found.manufacturer);
            p.product = p.product.take().or(found.product);
            p.serial = p.serial.take().or(found.serial);
            p.has_adb_interface |= found.has_adb_interface;
        } else {
            phones.push(found);
        }
    }
    phones.sort_by(|a, b| a.port_path.cmp(&b.port_path));
    phones
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
        let mut interfaces: Vec<(u8, u8, u8, String)> = Vec::new();
        if let Ok(children) = std::fs::read_dir(&dir) {
            for child in children.flatten() {
                let child_name = child.file_name().to_string_lossy().into_owned();
                if !child_name.starts_with(&format!("{name}:")) {
                    continue;
                }
                let iface = child.path();
                let byte = |attr_name: &str| hex_attr(&iface, attr_name).and_then(|v| u8::try_from(v).ok());
                let (Some(class), Some(sub), Some(proto)) =
                    (byte("bInterfaceClass"), byte("bInterfaceSubClass"), byte("bInterfaceProtocol"))
                else {
                    continue;
                };
                interfaces.push((class, sub, proto, attr(&iface, "interface").unwrap_or_default()));
            }
        }
        let labelled: Vec<(u8, u8, u8, &str)> =
            interfaces.iter().map(|(c, s, p, l)| (*c, *s, *p, l.as_str())).collect();
        if let Some(has_adb) = classify(vendor_id, &labelled) {
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

    fn phone(port: &str, product: Option<&str>, adb: bool) -> UsbPhone {
        UsbPhone {
            vendor_id: 0x18d1,
            product_id: 0x4ee7,
            manufacturer: None,
            product: product.map(str::to_string),
            serial: None,
            port_path: port.to_string(),
            has_adb_interface: adb,
        }
    }

    #[test]
    fn sysfs_fills_in_what_libusb_could_not_read_and_adds_what_it_missed() {
        let merged =
            merge(vec![phone("1-2", None, false)], vec![phone("1-2", Some("Pixel 7"), true), phone("3-1", None, true)]);
        assert_eq!(merged.len(), 2);
        assert_eq!(merged[0].product.as_deref(), Some("Pixel 7"));
        assert!(merged[0].has_adb_interface);
        assert_eq!(merged[1].port_path, "3-1");
    }

    #[test]
    fn an_adb_interface_makes_a_phone_and_a_makers_file_transfer_interface_too() {
        assert_eq!(classify(0x1234, &[(0xff, 0x42, 0x01, "")]), Some(true));
        assert_eq!(classify(0x18d1, &[(0x06, 0x01, 0x01, "")]), Some(false));
        assert_eq!(classify(0x1234, &[(0x06, 0x01, 0x01, "")]), None, "a camera of another maker");
        assert_eq!(classify(0x17ef, &[(0x03, 0x01, 0x01, "")]), None, "a keyboard");
    }

    #[test]
    fn where_libusb_cannot_start_the_scan_says_so_instead_of_panicking() {
        // This machine (a container, like CI's) has no /dev/bus/usb; where it has one, the list is well formed.
        match scan_rusb() {
            Ok(phones) => assert!(phones.iter().all(|p| !p.port_path.is_empty())),
            Err(e) => assert!(!Path::new("/dev/bus/usb").exists(), "libusb failed with a USB bus present: {e}"),
        }
    }

    #[test]
    fn a_missing_sysfs_gives_no_phones() {
        assert!(scan_sysfs(Path::new("/nonexistent/phonebak")).is_empty());
    }
}
