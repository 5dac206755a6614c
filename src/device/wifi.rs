//! A phone over Wi-Fi, and its battery.
//!
//! "Use this phone over Wi-Fi" does what `adb tcpip 5555` + `adb connect` do, with the phone on the cable:
//! read the phone's Wi-Fi address (`ip -f inet addr show wlan0`), ask adbd to listen on TCP (the `tcpip:PORT`
//! service: adbd answers `restarting in TCP mode port: PORT` and restarts, so the USB connection drops for a
//! moment), then `adb connect ADDRESS:PORT` until the phone answers. Android 11's wireless debugging needs a
//! pairing code instead (`host:pair:CODE:HOST:PORT`, adb 30 and newer); an older adb server refuses it, and
//! [`Adb::pair`] says what to install. The battery comes from `dumpsys battery`.

use super::{Adb, Device, DeviceError, TcpConnect};
use std::net::Ipv4Addr;
use std::time::{Duration, Instant};

/// The port adbd listens on over Wi-Fi (what `adb tcpip` is usually given).
pub const WIFI_PORT: u16 = 5555;

/// The phone's battery as `dumpsys battery` reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Battery {
    /// Charge in percent (level / scale).
    pub percent: u8,
    /// Plugged in (AC, USB or wireless) or charging.
    pub charging: bool,
}

impl Battery {
    /// Below this charge a phone that is not charging is not backed up automatically.
    pub const LOW_PERCENT: u8 = 15;

    /// Low and not charging: an automatic backup would drain it.
    #[must_use]
    pub fn too_low_for_automatic(self) -> bool {
        self.percent < Self::LOW_PERCENT && !self.charging
    }
}

/// Reads `dumpsys battery`'s output; `None` when it does not say the level.
#[must_use]
pub fn parse_battery(text: &str) -> Option<Battery> {
    let mut level = None;
    let mut scale = 100u32;
    let mut plugged = None;
    let mut status = None;
    for line in text.lines() {
        let Some((key, value)) = line.trim().split_once(':') else { continue };
        let value = value.trim();
        match key.trim() {
            "level" => level = value.parse::<u32>().ok(),
            "scale" => scale = value.parse::<u32>().ok().filter(|s| *s > 0).unwrap_or(100),
            "AC powered" | "USB powered" | "Wireless powered" | "Dock powered" => {
                plugged = Some(plugged.unwrap_or(false) || value == "true");
            }
            "status" => status = value.parse::<u32>().ok(),
            _ => {}
        }
    }
    let level = level?;
    let percent = u8::try_from((level.saturating_mul(100) / scale).min(100)).unwrap_or(100);
    // Plugged in to a power source is what counts (`dumpsys battery unplug` clears the sources and leaves
    // `status` as it was, and apps go by the sources); only without them, BatteryManager's 2 = charging,
    // 5 = full.
    let charging = plugged.unwrap_or(matches!(status, Some(2 | 5)));
    Some(Battery { percent, charging })
}

/// Reads the IPv4 address from `ip -f inet addr show wlan0` (`inet 192.168.1.23/24 brd ... scope global
/// wlan0`); `None` when there is none (Wi-Fi off).
#[must_use]
pub fn parse_wlan_address(text: &str) -> Option<Ipv4Addr> {
    text.lines().find_map(|line| {
        let rest = line.trim_start().strip_prefix("inet ")?;
        let addr = rest.split(['/', ' ']).next()?;
        addr.parse::<Ipv4Addr>().ok().filter(|a| !a.is_unspecified())
    })
}

impl Device {
    /// The phone's battery (`dumpsys battery`); `None` when the phone does not say.
    pub fn battery(&self) -> Result<Option<Battery>, DeviceError> {
        let out = self.shell(b"dumpsys battery")?;
        Ok(parse_battery(&out.stdout_text()))
    }

    /// The phone's Wi-Fi address; `None` when Wi-Fi is off or it has no address.
    pub fn wifi_address(&self) -> Result<Option<Ipv4Addr>, DeviceError> {
        let out = self.shell(b"ip -f inet addr show wlan0")?;
        Ok(parse_wlan_address(&out.stdout_text()))
    }

    /// Asks adbd to listen on TCP `port` (the `tcpip:PORT` service). adbd restarts: this phone's connection
    /// drops for a moment and comes back, now also reachable over the network.
    pub fn listen_on_tcp(&self, port: u16) -> Result<(), DeviceError> {
        let mut conn = self.transport()?;
        conn.request(format!("tcpip:{port}").as_bytes())?;
        let answer = String::from_utf8_lossy(&conn.read_to_end_lossy()).trim().to_string();
        if answer.starts_with("restarting in TCP mode") {
            Ok(())
        } else {
            Err(DeviceError::Refused {
                request: format!("tcpip:{port}"),
                message: if answer.is_empty() { "the phone did not answer".to_string() } else { answer },
            })
        }
    }
}

/// Why a phone could not be switched to Wi-Fi.
#[derive(Debug, thiserror::Error)]
pub enum WifiError {
    /// The phone has no Wi-Fi address.
    #[error("The phone is not on Wi-Fi: turn Wi-Fi on (on the same network as this computer) and try again.")]
    NoWifi,
    /// adb could not reach the phone at its address.
    #[error(
        "The phone listens on Wi-Fi at {address}, but this computer cannot reach it ({why}). Check that both are \
         on the same network (guest networks and some routers keep devices apart)."
    )]
    Unreachable {
        /// `HOST:PORT`.
        address: String,
        /// What adb said.
        why: String,
    },
    /// Talking to the phone or the server failed.
    #[error(transparent)]
    Device(#[from] DeviceError),
}

/// Switches a phone connected by USB (or by another address) to Wi-Fi: reads its address, turns on adbd's TCP port, and connects
/// adb to it, trying for up to `patience` while adbd restarts. Returns `HOST:PORT` (the phone's adb serial
/// over Wi-Fi).
///
/// # Errors
/// [`WifiError::NoWifi`] when the phone has no Wi-Fi address; [`WifiError::Unreachable`] when adb cannot
/// connect to it in time; device errors otherwise.
pub fn switch_to_wifi(adb: &Adb, device: &Device, patience: Duration) -> Result<String, WifiError> {
    let ip = device.wifi_address()?.ok_or(WifiError::NoWifi)?;
    // Reached over Wi-Fi already (adb's serial is its Wi-Fi address): nothing to switch.
    if let Some((host, port)) = device.serial().rsplit_once(':')
        && host == ip.to_string()
    {
        return Ok(format!("{host}:{port}"));
    }
    let address = format!("{ip}:{WIFI_PORT}");
    device.listen_on_tcp(WIFI_PORT)?;
    let started = Instant::now();
    loop {
        match adb.connect(&address) {
            Ok(TcpConnect::Connected | TcpConnect::AlreadyConnected | TcpConnect::NeedsAuthorization) => {
                return Ok(address);
            }
            Err(e) if started.elapsed() >= patience => {
                return Err(WifiError::Unreachable { address, why: e.to_string() });
            }
            Err(_) => std::thread::sleep(Duration::from_millis(250)),
        }
    }
}

/// What pairing with wireless debugging gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pairing {
    /// Paired: the phone can now be connected at the address its "Wireless debugging" screen shows.
    Paired(String),
    /// The adb server does not know `host:pair` (Debian's adb 29 and older).
    Unsupported {
        /// What to install instead.
        guidance: String,
    },
}

/// The guidance when the adb in use cannot pair.
pub const PAIR_UNSUPPORTED: &str = "This adb is too old to pair with Android 11's wireless debugging (pairing \
    needs Android's platform-tools 30 or newer; Debian's adb package is version 29). Install the platform-tools \
    from developer.android.com/tools/releases/platform-tools and set PHONEBAK_ADB to its adb, or connect the \
    phone by USB once and choose \"Use this phone over Wi-Fi\".";

impl Adb {
    /// Pairs with a phone's wireless debugging (`adb pair HOST:PORT CODE`, through the server's
    /// `host:pair:CODE:HOST:PORT`).
    ///
    /// # Errors
    /// The server could not be reached, or the phone refused the code (the message says why).
    pub fn pair(&self, address: &str, code: &str) -> Result<Pairing, DeviceError> {
        let request = format!("host:pair:{code}:{address}");
        let mut conn = self.open()?;
        match conn.request(request.as_bytes()) {
            Ok(()) => {}
            Err(DeviceError::Refused { message, .. }) if message.contains("unknown host service") => {
                return Ok(Pairing::Unsupported { guidance: PAIR_UNSUPPORTED.to_string() });
            }
            Err(e) => return Err(e),
        }
        let said = String::from_utf8_lossy(&conn.read_hex_payload()?).trim().to_string();
        if said.starts_with("Successfully paired") {
            Ok(Pairing::Paired(said))
        } else {
            Err(DeviceError::Refused {
                request: format!("pair {address}"),
                message: format!(
                    "{said} (check the pairing code and address on the phone's Wireless debugging screen)"
                ),
            })
        }
    }
}

/// A phone's adb service found on the network by the adb server's mDNS browsing (wireless debugging).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MdnsService {
    /// Its instance name (`adb-<serial>-<random>`).
    pub name: String,
    /// Its kind: `_adb-tls-pairing._tcp` (waiting for a pairing code), `_adb-tls-connect._tcp` (paired, ready
    /// to connect) or `_adb._tcp`.
    pub kind: String,
    /// `HOST:PORT`.
    pub address: String,
}

impl MdnsService {
    /// A phone showing "Pair device with pairing code".
    #[must_use]
    pub fn is_pairing(&self) -> bool {
        self.kind.starts_with("_adb-tls-pairing")
    }
}

/// Reads the server's `host:mdns:services` answer: a line per service, `NAME\tKIND\tHOST:PORT`.
#[must_use]
pub fn parse_mdns_services(text: &str) -> Vec<MdnsService> {
    text.lines()
        .filter_map(|line| {
            let mut cols = line.split('\t').map(str::trim);
            let (name, kind, address) = (cols.next()?, cols.next()?, cols.next()?);
            (!name.is_empty() && kind.starts_with("_adb") && address.contains(':')).then(|| MdnsService {
                name: name.to_string(),
                kind: kind.to_string(),
                address: address.to_string(),
            })
        })
        .collect()
}

impl Adb {
    /// The phones' adb services the server found on the network by mDNS (`host:mdns:services`); `None` when
    /// the server does not browse (adb older than platform-tools 30, like Debian's 29).
    ///
    /// # Errors
    /// The server could not be reached.
    pub fn mdns_services(&self) -> Result<Option<Vec<MdnsService>>, DeviceError> {
        match self.query("host:mdns:services") {
            Ok(answer) => Ok(Some(parse_mdns_services(&String::from_utf8_lossy(&answer)))),
            Err(DeviceError::Refused { message, .. }) if message.contains("unknown host service") => Ok(None),
            Err(e) => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PIXEL_BATTERY: &str = "Current Battery Service state:\n  AC powered: false\n  USB powered: true\n  \
        Wireless powered: false\n  Max charging current: 500000\n  Max charging voltage: 5000000\n  Charge counter: \
        2810000\n  status: 2\n  health: 2\n  present: true\n  level: 87\n  scale: 100\n  voltage: 4200\n  \
        temperature: 250\n  technology: Li-ion\n";

    #[test]
    fn battery_level_and_charging_are_read_from_dumpsys() {
        assert_eq!(parse_battery(PIXEL_BATTERY), Some(Battery { percent: 87, charging: true }));
        let unplugged =
            PIXEL_BATTERY.replace("USB powered: true", "USB powered: false").replace("status: 2", "status: 3");
        let low = unplugged.replace("level: 87", "level: 9");
        assert_eq!(parse_battery(&low), Some(Battery { percent: 9, charging: false }));
        assert!(parse_battery(&low).is_some_and(Battery::too_low_for_automatic));
        assert!(!parse_battery(&unplugged).is_some_and(Battery::too_low_for_automatic));
        // Unplugged with `dumpsys battery unplug`: the status still says charging, the sources do not.
        let unplugged_status_kept = low.replace("status: 3", "status: 2");
        assert!(parse_battery(&unplugged_status_kept).is_some_and(Battery::too_low_for_automatic));
        // A phone that names no source: its status tells.
        let no_sources = low.lines().filter(|l| !l.contains("powered")).collect::<Vec<_>>().join("\n");
        assert!(parse_battery(&no_sources).is_some_and(Battery::too_low_for_automatic));
        assert!(
            !parse_battery(&no_sources.replace("status: 3", "status: 2")).is_some_and(Battery::too_low_for_automatic)
        );
        assert_eq!(parse_battery("Can't find service: battery\n"), None);
    }

    #[test]
    fn mdns_services_are_read_a_line_each() {
        let text = "adb-1A2B3C-x1y2z3\t_adb-tls-pairing._tcp\t192.168.1.23:37099\n\
                    adb-1A2B3C-x1y2z3\t_adb-tls-connect._tcp\t192.168.1.23:41235\nnonsense line\n";
        let found = parse_mdns_services(text);
        assert_eq!(found.len(), 2);
        assert!(found[0].is_pairing() && !found[1].is_pairing());
        assert_eq!(found[1].address, "192.168.1.23:41235");
    }

    #[test]
    fn the_wifi_address_is_read_from_ip_addr() {
        let text = "30: wlan0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc mq state UP group default qlen 3000\n    \
            inet 192.168.1.23/24 brd 192.168.1.255 scope global wlan0\n       valid_lft forever preferred_lft forever\n";
        assert_eq!(parse_wlan_address(text), Some(Ipv4Addr::new(192, 168, 1, 23)));
        assert_eq!(parse_wlan_address("Device \"wlan0\" does not exist.\n"), None);
        assert_eq!(parse_wlan_address(""), None);
    }
}
