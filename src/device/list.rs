//! The adb server's device list (`host:devices-l`), each phone's state, and what the user should do.
//!
//! `adb_client`'s parser for this list is a regular expression that rejects the `no permissions (...)` state
//! (it has spaces) and states it does not know, failing the whole list; a phone that needs a udev rule is
//! exactly the one whose guidance matters, so the list is parsed here.

/// A phone's state as the adb server reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeviceState {
    /// Ready to use.
    Device,
    /// The phone has not allowed this computer yet ("Allow USB debugging?").
    Unauthorized,
    /// The phone is checking this computer's key.
    Authorizing,
    /// Connected, but not answering.
    Offline,
    /// This computer's user may not open the phone's USB device (Linux udev rules); adb's text.
    NoPermissions(String),
    /// adb is still connecting.
    Connecting,
    /// Any other state (`bootloader`, `recovery`, `sideload`, `rescue`, `host`, `detached`...).
    Other(String),
}

impl DeviceState {
    /// Parses adb's state text.
    #[must_use]
    pub fn parse(text: &str) -> Self {
        match text.trim() {
            "device" => Self::Device,
            "unauthorized" => Self::Unauthorized,
            "authorizing" => Self::Authorizing,
            "offline" => Self::Offline,
            "connecting" => Self::Connecting,
            t if t.starts_with("no permissions") || t == "noperm" => Self::NoPermissions(t.to_string()),
            t => Self::Other(t.to_string()),
        }
    }

    /// The state's short name (`device`, `unauthorized`, `no permissions`...).
    #[must_use]
    pub fn as_str(&self) -> &str {
        match self {
            Self::Device => "device",
            Self::Unauthorized => "unauthorized",
            Self::Authorizing => "authorizing",
            Self::Offline => "offline",
            Self::NoPermissions(_) => "no permissions",
            Self::Connecting => "connecting",
            Self::Other(state) => state,
        }
    }

    /// Whether the phone can be used now.
    #[must_use]
    pub fn is_ready(&self) -> bool {
        *self == Self::Device
    }

    /// What the user should do to make the phone usable (empty when it is ready). `vendor_id` is the USB
    /// vendor id, when known, for the udev rule.
    #[must_use]
    pub fn guidance(&self, vendor_id: Option<u16>) -> String {
        match self {
            Self::Device => String::new(),
            Self::Unauthorized => "Unlock the phone and tap Allow on the \"Allow USB debugging?\" message, ticking \
                \"Always allow from this computer\". If no message shows, unplug the cable and plug it in again \
                (for Wi-Fi, reconnect); if it still does not show, turn USB debugging off and on in Developer \
                options."
                .to_string(),
            Self::Authorizing => {
                "The phone is checking this computer's key: unlock it and tap Allow if it asks.".to_string()
            }
            Self::Offline => "The phone is connected but not answering. Unlock it, then unplug the cable and plug \
                it in again (for Wi-Fi, reconnect). If it stays offline, restart the adb server with \
                `adb kill-server`."
                .to_string(),
            Self::NoPermissions(_) => udev_guidance(vendor_id),
            Self::Connecting => {
                "adb is still connecting to the phone: wait a moment. If it stays, unplug and replug the cable."
                    .to_string()
            }
            Self::Other(state) => format!(
                "The phone is in \"{state}\" mode, not running Android normally. Restart it into Android, unlock \
                 it, and connect again."
            ),
        }
    }
}

/// Where phonebak's Debian package installs its udev rule (`packaging/70-phonebak-android.rules`).
pub const PACKAGE_UDEV_RULE: &str = "/usr/lib/udev/rules.d/70-phonebak-android.rules";

/// What lets this computer's user open the phone: first phonebak's package, whose udev rule covers every
/// Android phone; then, for phonebak run from source, the rule to add by hand, with the steps to install it.
#[must_use]
pub fn udev_guidance(vendor_id: Option<u16>) -> String {
    let vendor = vendor_id.map_or_else(|| "VENDOR".to_string(), |v| format!("{v:04x}"));
    let find = if vendor_id.is_none() {
        " (VENDOR is the first half of the phone's ID in `lsusb`, such as 18d1 in 18d1:4ee7)"
    } else {
        ""
    };
    format!(
        "This computer's user is not allowed to open the phone's USB connection. Installing phonebak's package \
         (`sudo apt install ./phonebak_*.deb`, made by scripts/package) installs a udev rule that covers every \
         Android phone ({PACKAGE_UDEV_RULE}); then unplug and replug the phone.\n\
         Running phonebak from source? Add a udev rule{find}:\n  \
         echo 'SUBSYSTEM==\"usb\", ATTR{{idVendor}}==\"{vendor}\", MODE=\"0660\", GROUP=\"plugdev\"' | sudo tee \
         /etc/udev/rules.d/51-android.rules\n  sudo udevadm control --reload-rules\nMake sure you are in the \
         plugdev group (sudo usermod -aG plugdev $USER, then log out and in again), then unplug and replug the \
         phone. On Debian and Ubuntu, `sudo apt-get install android-sdk-platform-tools-common` installs rules for \
         most phones."
    )
}

/// One phone in the adb server's list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceEntry {
    /// The serial adb knows the phone by (`127.0.0.1:5555` for a phone on Wi-Fi/TCP).
    pub serial: String,
    /// Its state.
    pub state: DeviceState,
    /// The USB port path (`1-4` on Linux), for phones on USB.
    pub usb_path: Option<String>,
    /// `ro.product.name`, once the phone has said it.
    pub product: Option<String>,
    /// `ro.product.model` with spaces as underscores, once the phone has said it.
    pub model: Option<String>,
    /// `ro.product.device`, once the phone has said it.
    pub device: Option<String>,
    /// The adb server's transport id.
    pub transport_id: Option<u64>,
    /// The USB vendor id, found for phones without permission (for the udev rule).
    pub usb_vendor_id: Option<u16>,
}

impl DeviceEntry {
    /// What the user should do before phonebak can use this phone; empty when it is ready.
    #[must_use]
    pub fn guidance(&self) -> String {
        self.state.guidance(self.usb_vendor_id)
    }

    /// A name to show: the model when known, else the serial.
    #[must_use]
    pub fn display_name(&self) -> String {
        self.model.as_ref().map_or_else(|| self.serial.clone(), |m| m.replace('_', " "))
    }
}

const KEYS: [&str; 4] = [" usb:", " product:", " model:", " device:"];

/// Parses the text of `host:devices-l` (`adb devices -l` without its header).
#[must_use]
pub fn parse_devices_long(text: &str) -> Vec<DeviceEntry> {
    text.lines().filter_map(parse_line).collect()
}

fn parse_line(line: &str) -> Option<DeviceEntry> {
    let line = line.trim_end();
    if line.trim().is_empty() || line.starts_with("List of devices") || line.starts_with('*') {
        return None;
    }
    // The transport id is last, so that it can be found from the end whatever the other fields hold.
    let (line, transport_id) = match line.rsplit_once(" transport_id:") {
        Some((head, id)) if id.chars().all(|c| c.is_ascii_digit()) => (head, id.parse().ok()),
        _ => (line, None),
    };
    let (serial, rest) = if let Some(rest) = line.strip_prefix("(no serial number)") {
        ("(no serial number)", rest)
    } else {
        line.split_once(['\t', ' ']).unwrap_or((line, ""))
    };
    let rest = rest.trim_start();
    let first_key = KEYS.iter().filter_map(|k| rest.find(k)).min().unwrap_or(rest.len());
    let (state_text, mut fields) = if rest.starts_with("no permissions") {
        // "no permissions (...); see [http://developer.android.com/tools/device.html]"
        let end = rest.find(']').map_or(first_key, |i| i + 1);
        (&rest[..end], &rest[end..])
    } else {
        // The fields keep their leading space, which the keys start with.
        rest.split_at(rest.find(' ').unwrap_or(rest.len()))
    };
    let mut entry = DeviceEntry {
        serial: serial.to_string(),
        state: DeviceState::parse(state_text),
        usb_path: None,
        product: None,
        model: None,
        device: None,
        transport_id,
        usb_vendor_id: None,
    };
    // Older adb writes the USB path without "usb:"; anything before the first key is the path.
    let lead_end = KEYS.iter().filter_map(|k| fields.find(k)).min().unwrap_or(fields.len());
    let lead = fields[..lead_end].trim();
    if !lead.is_empty() {
        entry.usb_path = Some(lead.strip_prefix("usb:").unwrap_or(lead).to_string());
    }
    fields = &fields[lead_end..];
    while let Some(key) = KEYS.iter().find(|k| fields.starts_with(**k)) {
        let after = &fields[key.len()..];
        let end = KEYS.iter().filter_map(|k| after.find(k)).min().unwrap_or(after.len());
        let value = after[..end].trim().to_string();
        match *key {
            " usb:" => entry.usb_path = Some(value),
            " product:" => entry.product = Some(value),
            " model:" => entry.model = Some(value),
            _ => entry.device = Some(value),
        }
        fields = &after[end..];
    }
    Some(entry)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ready_usb_phone_parses_with_all_fields() {
        let list = parse_devices_long(
            "0123456789ABCDEF       device usb:1-4 product:panther model:Pixel_7 device:panther transport_id:3\n",
        );
        assert_eq!(
            list,
            vec![DeviceEntry {
                serial: "0123456789ABCDEF".into(),
                state: DeviceState::Device,
                usb_path: Some("1-4".into()),
                product: Some("panther".into()),
                model: Some("Pixel_7".into()),
                device: Some("panther".into()),
                transport_id: Some(3),
                usb_vendor_id: None,
            }]
        );
        assert_eq!(list[0].display_name(), "Pixel 7");
        assert!(list[0].guidance().is_empty());
    }

    #[test]
    fn a_no_permissions_line_keeps_its_serial_usb_path_and_udev_guidance() {
        let line = "R58M123ABC             no permissions (missing udev rules? user is in the plugdev group); see \
                    [http://developer.android.com/tools/device.html] usb:3-2 transport_id:7";
        let list = parse_devices_long(line);
        assert_eq!(list.len(), 1);
        let entry = &list[0];
        assert_eq!(entry.serial, "R58M123ABC");
        assert!(matches!(entry.state, DeviceState::NoPermissions(_)), "{:?}", entry.state);
        assert_eq!(entry.state.as_str(), "no permissions");
        assert_eq!(entry.usb_path.as_deref(), Some("3-2"));
        assert_eq!(entry.transport_id, Some(7));
        let with_vendor = DeviceEntry { usb_vendor_id: Some(0x04e8), ..entry.clone() };
        assert!(with_vendor.guidance().contains("ATTR{idVendor}==\"04e8\""), "{}", with_vendor.guidance());
        assert!(entry.guidance().contains("lsusb"), "{}", entry.guidance());
        // The package's rule comes first, the rule to add by hand second.
        let guidance = entry.guidance();
        let package = guidance.find(PACKAGE_UDEV_RULE).expect("the package's rule is named");
        assert!(package < guidance.find("/etc/udev/rules.d/").unwrap(), "{guidance}");
    }

    #[test]
    fn the_rule_the_guidance_names_is_the_one_the_package_installs() {
        let (dir, file) = PACKAGE_UDEV_RULE.rsplit_once('/').unwrap();
        let asset = format!("[\"packaging/{file}\", \"{}/\", \"644\"]", dir.trim_start_matches('/'));
        assert!(include_str!("../../Cargo.toml").contains(&asset), "Cargo.toml's deb assets lack {asset}");
        let rule = include_str!("../../packaging/70-phonebak-android.rules");
        assert!(rule.contains("ENV{ID_USB_INTERFACES}==\"*:ff4201:*\"") && rule.contains("TAG+=\"uaccess\""), "{rule}");
    }

    #[test]
    fn unauthorized_offline_and_tcp_lines_parse() {
        let text = "127.0.0.1:40001         unauthorized transport_id:1\n\
                    emulator-5554          offline transport_id:2\n\
                    192.168.1.20:5555      device product:m425 plus-a model:M425_PLUS_A device:m450a transport_id:9\n\
                    7a5158f05122195aa      device 1-5 product:gts model:SM_T813 device:gts210 transport_id:4\n\
                    ZY22 recovery usb:1-1 transport_id:5\n\
                    127.0.0.1:43947        offline product:pixel_7 model:Pixel_7 device:pixel_7 transport_id:1\n";
        let list = parse_devices_long(text);
        let states: Vec<&str> = list.iter().map(|e| e.state.as_str()).collect();
        assert_eq!(states, ["unauthorized", "offline", "device", "device", "recovery", "offline"]);
        assert!(list[0].guidance().contains("tap Allow"));
        assert!(list[0].guidance().contains("Always allow from this computer"));
        assert!(list[1].guidance().contains("unplug"));
        assert_eq!(list[2].product.as_deref(), Some("m425 plus-a"));
        assert_eq!(list[2].usb_path, None);
        assert_eq!(list[3].usb_path.as_deref(), Some("1-5"));
        assert!(list[4].guidance().contains("\"recovery\" mode"));
        assert_eq!(list[5].usb_path, None);
        assert_eq!(list[5].product.as_deref(), Some("pixel_7"));
        assert_eq!(list[5].model.as_deref(), Some("Pixel_7"));
    }

    #[test]
    fn an_empty_list_and_headers_give_no_entries() {
        assert!(parse_devices_long("").is_empty());
        assert!(parse_devices_long("List of devices attached\n\n").is_empty());
    }
}
