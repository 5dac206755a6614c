//! The phone's network: its Wi-Fi address, and iproute2's `ip` (Android ships it in `/system/bin`), which is
//! how a host learns that address (`ip -f inet addr show wlan0`) before `adb tcpip`.
//!
//! The Wi-Fi address is a loopback address 127.A.B.C: Linux lets any address of 127/8 be bound, so adbd's
//! TCP mode can listen there and a real `adb connect 127.A.B.C:5555` reaches the same phone, without a
//! network. Each phone of a process gets its own address, and processes start at different places.

use std::io::Write;
use std::net::Ipv4Addr;
use std::sync::atomic::{AtomicU32, Ordering};

/// `wlan0`'s interface index (a real phone's is in this range: the cellular interfaces come first).
const WLAN0_INDEX: u32 = 30;

/// A Wi-Fi address for a new phone: 127.A.B.C with A from 1 to 254 (never in 127.0/16, so never 127.0.0.1)
/// and C from 1 to 254. Successive phones of one process get successive addresses, so they never share one;
/// where the run starts depends on the process id and the serial, so two processes rarely meet.
#[must_use]
pub fn wlan0_address(serial: &str) -> Ipv4Addr {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    const SPACE: u64 = 254 * 256 * 254;
    let counter = u64::from(NEXT.fetch_add(1, Ordering::Relaxed));
    // FNV-1a over the process id and the serial.
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in std::process::id().to_le_bytes().into_iter().chain(serial.bytes()) {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    let x = (hash % SPACE + counter) % SPACE;
    let c = x % 254;
    let b = (x / 254) % 256;
    let a = x / 254 / 256;
    // Each part is below 256 by construction.
    let part = |v: u64| u8::try_from(v).unwrap_or(u8::MAX);
    Ipv4Addr::new(127, part(a + 1), part(b), part(c + 1))
}

/// Which addresses `ip addr` shows (`-f`, `-4`, `-6`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Family {
    All,
    Inet,
    Inet6,
    Link,
}

/// One of the phone's interfaces as `ip addr` prints it.
struct Interface {
    index: u32,
    name: &'static str,
    header: &'static str,
    link: String,
    inet: String,
    inet6: String,
}

fn interfaces(wlan0: Option<Ipv4Addr>) -> Vec<Interface> {
    let mut list = vec![Interface {
        index: 1,
        name: "lo",
        header: "<LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN group default qlen 1000",
        link: "link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00".into(),
        inet: "inet 127.0.0.1/8 scope host lo".into(),
        inet6: "inet6 ::1/128 scope host ".into(),
    }];
    if let Some(addr) = wlan0 {
        let [_, a, b, c] = addr.octets();
        // A locally administered MAC (as Android's randomised ones are), and its EUI-64 link-local address.
        list.push(Interface {
            index: WLAN0_INDEX,
            name: "wlan0",
            header: "<BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc mq state UP group default qlen 3000",
            link: format!("link/ether 02:50:42:{a:02x}:{b:02x}:{c:02x} brd ff:ff:ff:ff:ff:ff"),
            inet: format!("inet {addr}/8 brd 127.255.255.255 scope global wlan0"),
            inet6: format!("inet6 fe80::50:42ff:fe{a:02x}:{b:02x}{c:02x}/64 scope link "),
        });
    }
    list
}

fn print_interface(text: &mut String, iface: &Interface, family: Family) {
    use std::fmt::Write as _;
    let _ = writeln!(text, "{}: {}: {}", iface.index, iface.name, iface.header);
    if matches!(family, Family::All | Family::Link) {
        let _ = writeln!(text, "    {}", iface.link);
    }
    for (shown, line) in [(Family::Inet, &iface.inet), (Family::Inet6, &iface.inet6)] {
        if family == Family::All || family == shown {
            let _ = writeln!(text, "    {line}\n       valid_lft forever preferred_lft forever");
        }
    }
}

/// True when `word` is a non-empty prefix of `full` (iproute2's `matches`).
fn matches(word: &str, full: &str) -> bool {
    !word.is_empty() && full.starts_with(word)
}

/// `ip [-4|-6|-f FAMILY] addr [show|list] [[dev] NAME]`, as iproute2 prints it. Other objects and options
/// that iproute2 has are refused as not modelled (status 2); unknown ones get iproute2's messages.
pub fn ip_command(phone: &super::Phone, args: &[Vec<u8>], stdout: &mut dyn Write, stderr: &mut dyn Write) -> i32 {
    let args: Vec<String> = args.iter().map(|a| String::from_utf8_lossy(a).into_owned()).collect();
    let mut fail = |msg: &str, status: i32| {
        let _ = writeln!(stderr, "{msg}");
        status
    };
    let unsupported = |what: &str| format!("ip: {what}: not supported by the virtual phone");
    let mut family = Family::All;
    let mut rest = args.iter().map(String::as_str).peekable();
    while let Some(opt) = rest.next_if(|a| a.starts_with('-') && a.len() > 1) {
        let opt = opt.trim_start_matches('-');
        match opt {
            "4" => family = Family::Inet,
            "6" => family = Family::Inet6,
            "0" => family = Family::Link,
            "f" | "family" => {
                let Some(name) = rest.next() else {
                    return fail("Command line is not complete. Try option \"help\"", 255);
                };
                family = match name {
                    "inet" => Family::Inet,
                    "inet6" => Family::Inet6,
                    "link" => Family::Link,
                    _ => return fail(&format!("Error: argument \"{name}\" is wrong: invalid protocol family"), 255),
                };
            }
            "s" | "stats" | "d" | "details" | "o" | "oneline" | "r" | "resolve" | "br" | "brief" | "j" | "json"
            | "p" | "pretty" | "c" | "color" | "t" | "timestamp" | "n" | "netns" | "a" | "all" | "h" | "human"
            | "V" | "Version" | "b" | "batch" | "force" | "rc" | "rcvbuf" | "l" | "loops" => {
                return fail(&unsupported(&format!("option -{opt}")), 2);
            }
            _ => return fail(&format!("Option \"-{opt}\" is unknown, try \"ip -help\"."), 255),
        }
    }
    let Some(object) = rest.next() else {
        return fail(&unsupported("the usage text"), 2);
    };
    if !matches(object, "address") {
        const OBJECTS: [&str; 16] = [
            "addrlabel",
            "link",
            "route",
            "rule",
            "neighbor",
            "neighbour",
            "ntable",
            "tunnel",
            "tuntap",
            "maddress",
            "mroute",
            "monitor",
            "netns",
            "netconf",
            "token",
            "help",
        ];
        if OBJECTS.iter().any(|o| matches(object, o)) {
            return fail(&unsupported(&format!("ip {object}")), 2);
        }
        return fail(&format!("Object \"{object}\" is unknown, try \"ip help\"."), 1);
    }
    let mut device: Option<&str> = None;
    if let Some(cmd) = rest.next_if(|a| ["show", "list", "lst"].iter().any(|full| matches(a, full))) {
        let _ = cmd;
    } else if let Some(cmd) = rest.peek()
        && ["add", "change", "replace", "delete", "flush", "save", "restore", "showdump", "help"]
            .iter()
            .any(|f| matches(cmd, f))
    {
        return fail(&unsupported(&format!("ip address {cmd}")), 2);
    }
    while let Some(arg) = rest.next() {
        let name = if arg == "dev" {
            let Some(name) = rest.next() else {
                return fail("Command line is not complete. Try option \"help\"", 255);
            };
            name
        } else if ["to", "scope", "label", "up", "permanent", "dynamic", "tentative", "type", "master", "vrf"]
            .contains(&arg)
        {
            return fail(&unsupported(&format!("ip address show {arg}")), 2);
        } else {
            arg
        };
        if device.is_some() {
            return fail(&format!("Error: either \"dev\" is duplicate, or \"{name}\" is a garbage."), 255);
        }
        device = Some(name);
    }
    let all = interfaces(phone.wlan0);
    let chosen: Vec<&Interface> = match device {
        Some(name) => match all.iter().find(|i| i.name == name) {
            Some(iface) => vec![iface],
            None => return fail(&format!("Device \"{name}\" does not exist."), 1),
        },
        None => all.iter().collect(),
    };
    let mut text = String::new();
    for iface in chosen {
        print_interface(&mut text, iface, family);
    }
    let _ = stdout.write_all(text.as_bytes()).and_then(|()| stdout.flush());
    0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wlan0_addresses_are_loopback_distinct_and_never_127_0_0_1() {
        let addrs: Vec<Ipv4Addr> = (0..2000).map(|_| wlan0_address("VIRT0001")).collect();
        let unique: std::collections::BTreeSet<_> = addrs.iter().collect();
        assert_eq!(unique.len(), addrs.len());
        for addr in addrs {
            let [first, a, _, c] = addr.octets();
            assert!(first == 127 && a != 0 && c != 0 && c != 255, "{addr}");
        }
    }
}
