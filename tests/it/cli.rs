//! The `phonebak` binary itself: `phonebak virtual-phone` as a person or a script runs it.

use crate::util::{AdbServer, text};
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

#[test]
fn virtual_phone_command_prints_its_address_serves_adb_and_reports_counters_on_ctrl_c() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_phonebak"))
        .args(["virtual-phone", "--link", "unlimited", "--model", "Moto G", "--serial", "CLI42", "--android", "9"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start phonebak");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let ready: serde_json::Value =
        serde_json::from_str(&lines.next().expect("a ready line").expect("read")).expect("JSON");
    assert_eq!(ready["event"], "ready");
    assert_eq!(ready["serial"], "CLI42");
    let addr = ready["addr"].as_str().expect("addr").to_string();
    let adb = AdbServer::start();
    let out = adb.adb(&["connect", &addr]);
    assert!(text(&out.stdout).contains("connected to"), "{}", text(&out.stdout));
    std::thread::sleep(Duration::from_millis(300));
    let devices = text(&adb.adb(&["devices", "-l"]).stdout);
    assert!(devices.contains("model:Moto_G"), "{devices}");
    let release = adb.adb(&["-s", &addr, "shell", "getprop ro.build.version.release"]);
    assert_eq!(text(&release.stdout), "9\n");
    let status = Command::new("kill").args(["-INT", &child.id().to_string()]).status().expect("kill");
    assert!(status.success());
    let stopped: serde_json::Value =
        serde_json::from_str(&lines.next().expect("a stopped line").expect("read")).expect("JSON");
    assert_eq!(stopped["event"], "stopped");
    assert!(stopped["stats"]["shell_commands"].as_u64() >= Some(1), "{stopped}");
    assert!(stopped["stats"]["bytes_to_host"].as_u64() > Some(0), "{stopped}");
    assert!(child.wait().expect("exit").success());
}

#[test]
fn a_bad_fault_spec_is_a_usage_error_that_names_the_choices() {
    let out = Command::new(env!("CARGO_BIN_EXE_phonebak"))
        .args(["virtual-phone", "--fault", "melt"])
        .output()
        .expect("run phonebak");
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("cable-pull"), "{}", text(&out.stderr));
}

#[test]
fn virtual_phone_command_takes_the_battery_and_no_wifi() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_phonebak"))
        .args(["virtual-phone", "--link", "unlimited", "--battery", "10,discharging", "--no-wifi"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start phonebak");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let ready: serde_json::Value =
        serde_json::from_str(&lines.next().expect("a ready line").expect("read")).expect("JSON");
    assert_eq!(ready["wlan0"], serde_json::Value::Null, "{ready}");
    let addr = ready["addr"].as_str().expect("addr").to_string();
    let adb = AdbServer::start();
    assert!(text(&adb.adb(&["connect", &addr]).stdout).contains("connected to"));
    std::thread::sleep(Duration::from_millis(300));
    let battery = text(&adb.adb(&["-s", &addr, "shell", "dumpsys battery"]).stdout);
    assert!(battery.contains("  level: 10\n") && battery.contains("  USB powered: false\n"), "{battery}");
    let ip = adb.adb(&["-s", &addr, "shell", "ip -f inet addr show wlan0"]);
    assert_eq!(text(&ip.stderr), "Device \"wlan0\" does not exist.\n");
    let _ = Command::new("kill").args(["-INT", &child.id().to_string()]).status();
    let _ = child.wait();
}

#[test]
fn a_bad_battery_is_a_usage_error() {
    let out = Command::new(env!("CARGO_BIN_EXE_phonebak"))
        .args(["virtual-phone", "--battery", "120"])
        .output()
        .expect("run phonebak");
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("0 to 100"), "{}", text(&out.stderr));
}
