//! What an automatic backup asks a phone before it starts, through Debian's real `adb` (1.0.41): the
//! battery (`dumpsys battery`), the Wi-Fi address (`ip`), and adbd's TCP mode (`adb tcpip`), which puts the
//! same phone on "Wi-Fi" under a second serial.

use crate::util::{AdbServer, phone_with_dir, replug, said, text, write_file};
use phonebak::virtual_phone::{BatterySetting, Config, VirtualPhone};
use std::time::{Duration, Instant};

/// `adb -s SERIAL shell COMMAND`'s standard output, the command required to succeed.
fn shell(adb: &AdbServer, serial: &str, command: &str) -> String {
    let out = adb.adb(&["-s", serial, "shell", command]);
    assert!(out.status.success(), "{command}: {}", said(&out));
    text(&out.stdout)
}

/// `adb tcpip 5555` on the phone, then `adb connect` to its Wi-Fi address: returns that serial.
fn go_wireless(adb: &AdbServer, phone: &VirtualPhone) -> String {
    let out = adb.on(phone, &["tcpip", "5555"]);
    assert!(out.status.success(), "{}", said(&out));
    assert_eq!(text(&out.stdout), "restarting in TCP mode port: 5555\n");
    let wifi = format!("{}:5555", phone.wlan0_addr().expect("on Wi-Fi"));
    let deadline = Instant::now() + Duration::from_secs(10);
    while !text(&adb.adb(&["connect", &wifi]).stdout).contains("connected to") {
        assert!(Instant::now() < deadline, "adb connect {wifi} never succeeded");
        std::thread::sleep(Duration::from_millis(100));
    }
    wait_for(adb, &wifi, "device", Duration::from_secs(10));
    wifi
}

/// Waits until `adb devices` shows `serial` in `state`; returns how long it took.
fn wait_for(adb: &AdbServer, serial: &str, state: &str, limit: Duration) -> Duration {
    let start = Instant::now();
    loop {
        let list = text(&adb.adb(&["devices"]).stdout);
        if list.lines().any(|l| l == format!("{serial}\t{state}")) {
            return start.elapsed();
        }
        assert!(start.elapsed() < limit, "{serial} never became {state}: {list}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn dumpsys_battery_prints_androids_fields_through_real_adb() {
    let adb = AdbServer::start();
    let (_dir, phone) = phone_with_dir(Config::default());
    adb.connect(&phone, "device");
    let out = shell(&adb, &phone.addr().to_string(), "dumpsys battery");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.first(), Some(&"Current Battery Service state:"), "{out}");
    for line in [
        "  AC powered: false",
        "  USB powered: true",
        "  Wireless powered: false",
        "  status: 2",
        "  health: 2",
        "  present: true",
        "  level: 87",
        "  scale: 100",
        "  technology: Li-ion",
    ] {
        assert!(lines.contains(&line), "{line:?} missing from {out}");
    }
    for field in ["Max charging current: ", "Max charging voltage: ", "Charge counter: ", "voltage: ", "temperature: "]
    {
        assert!(lines.iter().any(|l| l.starts_with(&format!("  {field}"))), "{field} missing from {out}");
    }
    phone.set_battery(100, true);
    assert!(shell(&adb, &phone.addr().to_string(), "dumpsys battery").contains("  status: 5\n"));
}

#[test]
fn dumpsys_battery_set_and_unplug_override_the_battery_until_reset() {
    let adb = AdbServer::start();
    let (_dir, phone) = phone_with_dir(Config::default());
    adb.connect(&phone, "device");
    let serial = phone.addr().to_string();
    assert_eq!(shell(&adb, &serial, "dumpsys battery set level 9"), "");
    assert_eq!(shell(&adb, &serial, "dumpsys battery unplug"), "");
    let out = shell(&adb, &serial, "dumpsys battery");
    for line in [
        "  (UPDATES STOPPED -- use 'reset' to restart)",
        "  AC powered: false",
        "  USB powered: false",
        "  Wireless powered: false",
        "  level: 9",
    ] {
        assert!(out.lines().any(|l| l == line), "{line:?} missing from {out}");
    }
    assert_eq!(shell(&adb, &serial, "dumpsys battery reset"), "");
    let out = shell(&adb, &serial, "dumpsys battery");
    assert!(out.contains("  USB powered: true\n") && out.contains("  level: 87\n"), "{out}");
    assert!(!out.contains("UPDATES STOPPED"), "{out}");
}

#[test]
fn a_phone_configured_low_and_discharging_says_so() {
    let adb = AdbServer::start();
    let (_dir, phone) =
        phone_with_dir(Config { battery: BatterySetting { level: 10, charging: false }, ..Config::default() });
    adb.connect(&phone, "device");
    let out = shell(&adb, &phone.addr().to_string(), "dumpsys battery");
    for line in ["  USB powered: false", "  AC powered: false", "  status: 3", "  level: 10"] {
        assert!(out.lines().any(|l| l == line), "{line:?} missing from {out}");
    }
}

#[test]
fn ip_shows_the_wlan0_address_that_adb_tcpip_listens_on() {
    let adb = AdbServer::start();
    let (_dir, phone) = phone_with_dir(Config::default());
    adb.connect(&phone, "device");
    let wlan0 = phone.wlan0_addr().expect("on Wi-Fi by default");
    assert_ne!(wlan0, std::net::Ipv4Addr::LOCALHOST);
    let out = shell(&adb, &phone.addr().to_string(), "ip -f inet addr show wlan0");
    let inet = out.lines().find_map(|l| l.trim_start().strip_prefix("inet ")).expect("an inet line");
    let addr = inet.split('/').next().expect("address/prefix");
    assert_eq!(addr, wlan0.to_string(), "{out}");
    assert!(!out.contains("link/ether") && !out.contains("inet6"), "{out}");
}

#[test]
fn adb_tcpip_puts_the_same_phone_on_wifi_under_a_second_serial() {
    let adb = AdbServer::start();
    let (dir, phone) = phone_with_dir(Config { serial: "WIFI0042".into(), ..Config::default() });
    adb.connect(&phone, "device");
    let usb = phone.addr().to_string();
    let wifi = go_wireless(&adb, &phone);
    assert_eq!(shell(&adb, &wifi, "getprop ro.serialno"), "WIFI0042\n");
    // A file pushed over Wi-Fi is on the phone, and the USB serial (back after adbd's restart) sees it.
    let local = tempfile::tempdir().expect("local");
    let src = local.path().join("note.txt");
    write_file(&src, b"over the air", 1_600_000_000);
    let out = adb.adb(&["-s", &wifi, "push", src.to_str().expect("utf8"), "/sdcard/Download/note.txt"]);
    assert!(out.status.success(), "{}", said(&out));
    assert_eq!(std::fs::read(dir.path().join("Download/note.txt")).expect("pushed"), b"over the air");
    // adb would reconnect the USB serial by itself after about 10 s: do it now.
    let _ = replug(&adb, &phone);
    assert_eq!(shell(&adb, &usb, "getprop ro.serialno"), "WIFI0042\n");
    assert_eq!(shell(&adb, &usb, "cat /sdcard/Download/note.txt"), "over the air");
    // And the other way round.
    write_file(&local.path().join("b.txt"), b"by cable", 1_600_000_000);
    let out = adb.adb(&["-s", &usb, "push", local.path().join("b.txt").to_str().expect("utf8"), "/sdcard/b.txt"]);
    assert!(out.status.success(), "{}", said(&out));
    assert_eq!(shell(&adb, &wifi, "cat /sdcard/b.txt"), "by cable");
    assert!(phone.stats().streams.get("tcpip") == Some(&1), "{:?}", phone.stats().streams);
}

/// adb 1.0.41's server reconnects a dropped `adb connect` serial by itself, about 10 s later (measured
/// 10.3-10.7 s): a host that needs the USB serial at once after `adb tcpip` disconnects and connects it.
#[test]
fn after_adb_tcpip_the_adb_server_reconnects_the_original_serial_by_itself() {
    let adb = AdbServer::start();
    let (_dir, phone) = phone_with_dir(Config::default());
    adb.connect(&phone, "device");
    let usb = phone.addr().to_string();
    let _wifi = go_wireless(&adb, &phone);
    let waited = wait_for(&adb, &usb, "device", Duration::from_secs(30));
    assert_eq!(shell(&adb, &usb, "getprop ro.serialno"), "VIRT0001\n");
    eprintln!("the USB serial came back by itself after {waited:?} (plus the time to connect over Wi-Fi)");
}

#[test]
fn adb_usb_stops_listening_on_wifi() {
    let adb = AdbServer::start();
    let (_dir, phone) = phone_with_dir(Config::default());
    adb.connect(&phone, "device");
    let wifi = go_wireless(&adb, &phone);
    let out = adb.adb(&["-s", &wifi, "usb"]);
    assert_eq!(text(&out.stdout), "restarting in USB mode\n", "{}", said(&out));
    let deadline = Instant::now() + Duration::from_secs(5);
    while phone.tcpip_addr().is_some() {
        assert!(Instant::now() < deadline, "still listening on Wi-Fi");
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(std::net::TcpStream::connect(wifi.as_str()).is_err(), "{wifi} still accepts connections");
}
