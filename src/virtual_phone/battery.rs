//! The battery as Android's `BatteryService` reports it, and `dumpsys`, the tool that asks it.
//!
//! A phone has two battery states, as `BatteryService` keeps them: what the hardware reports (set from Rust
//! or the config, as if the phone charged or was unplugged), and, once the shell overrode a value
//! (`dumpsys battery set ...` or `unplug`), a copy the shell edits and the system believes until
//! `dumpsys battery reset`. The text follows `BatteryService.dumpInternal` and `Shell.onCommand` in AOSP
//! `frameworks/base/services/core/java/com/android/server/BatteryService.java`; notably `unplug` only turns
//! the power sources off and leaves `status` as it was (a real phone keeps saying `status: 2` until the
//! charger driver reports otherwise), so "plugged in" is read from the `... powered:` lines.

use std::io::Write;
use std::str::FromStr;
use std::sync::{Mutex, PoisonError};

/// `BatteryManager.BATTERY_STATUS_CHARGING`.
pub const STATUS_CHARGING: i32 = 2;
/// `BatteryManager.BATTERY_STATUS_DISCHARGING`.
pub const STATUS_DISCHARGING: i32 = 3;
/// `BatteryManager.BATTERY_STATUS_FULL`.
pub const STATUS_FULL: i32 = 5;

/// The battery a phone starts with: its charge and whether it is charging over USB.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatterySetting {
    /// Charge in percent (0 to 100).
    pub level: u8,
    /// Plugged in over USB and charging (at 100 %: full).
    pub charging: bool,
}

impl Default for BatterySetting {
    fn default() -> Self {
        Self { level: 87, charging: true }
    }
}

impl FromStr for BatterySetting {
    type Err = String;

    /// `LEVEL[,charging|discharging]`: `87`, `10,discharging`.
    fn from_str(text: &str) -> Result<Self, String> {
        let (level, state) = text.split_once(',').unwrap_or((text, "charging"));
        let level: u8 = level
            .trim()
            .parse()
            .ok()
            .filter(|l| *l <= 100)
            .ok_or_else(|| format!("battery level {level:?} is not a percentage from 0 to 100"))?;
        let charging = match state.trim() {
            "charging" => true,
            "discharging" => false,
            other => return Err(format!("battery state {other:?}: use charging or discharging")),
        };
        Ok(Self { level, charging })
    }
}

/// One reading of the battery (`HealthInfo`, the fields `dumpsys battery` prints).
#[derive(Debug, Clone, PartialEq, Eq)]
#[allow(clippy::struct_excessive_bools, reason = "Android's HealthInfo has a flag per charger")]
struct HealthInfo {
    ac: bool,
    usb: bool,
    wireless: bool,
    dock: bool,
    max_current_ua: i64,
    max_voltage_uv: i64,
    counter_uah: i64,
    status: i32,
    health: i32,
    present: bool,
    level: i64,
    voltage_mv: i64,
    temperature: i64,
}

/// A typical phone battery's design capacity, for the charge counter.
const CAPACITY_UAH: i64 = 4_355_000;

impl HealthInfo {
    fn from_setting(setting: BatterySetting) -> Self {
        let level = i64::from(setting.level.min(100));
        let status = match (setting.charging, level) {
            (true, 100) => STATUS_FULL,
            (true, _) => STATUS_CHARGING,
            (false, _) => STATUS_DISCHARGING,
        };
        Self {
            ac: false,
            usb: setting.charging,
            wireless: false,
            dock: false,
            max_current_ua: if setting.charging { 500_000 } else { 0 },
            max_voltage_uv: if setting.charging { 5_000_000 } else { 0 },
            counter_uah: CAPACITY_UAH * level / 100,
            status,
            health: 2,
            present: true,
            level,
            voltage_mv: 3_500 + 7 * level,
            temperature: if setting.charging { 290 } else { 265 },
        }
    }
}

#[derive(Debug)]
struct State {
    /// What the hardware reports.
    real: HealthInfo,
    /// The shell's override (`mUpdatesStopped`), while there is one.
    shown: Option<HealthInfo>,
}

/// The phone's battery service.
#[derive(Debug)]
pub struct Battery {
    state: Mutex<State>,
}

impl Default for Battery {
    fn default() -> Self {
        Self::new(BatterySetting::default())
    }
}

impl Battery {
    /// A battery in this state.
    #[must_use]
    pub fn new(setting: BatterySetting) -> Self {
        Self { state: Mutex::new(State { real: HealthInfo::from_setting(setting), shown: None }) }
    }

    /// The hardware now reports this charge and charger (a shell override stays shown until `reset`, as on a
    /// real phone).
    pub fn set(&self, setting: BatterySetting) {
        self.lock().real = HealthInfo::from_setting(setting);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// `dumpsys battery` (or `-a`): the service's state.
    fn dump(&self, sdk: u32) -> String {
        use std::fmt::Write as _;
        let state = self.lock();
        let info = state.shown.as_ref().unwrap_or(&state.real);
        let mut text = String::from("Current Battery Service state:\n");
        if state.shown.is_some() {
            text.push_str("  (UPDATES STOPPED -- use 'reset' to restart)\n");
        }
        let mut line = |name: &str, value: &dyn std::fmt::Display| {
            let _ = writeln!(text, "  {name}: {value}");
        };
        line("AC powered", &info.ac);
        line("USB powered", &info.usb);
        line("Wireless powered", &info.wireless);
        // Docks came with Android 14's health HAL; the charging state and policy with Android 15's.
        if sdk >= 34 {
            line("Dock powered", &info.dock);
        }
        line("Max charging current", &info.max_current_ua);
        line("Max charging voltage", &info.max_voltage_uv);
        line("Charge counter", &info.counter_uah);
        line("status", &info.status);
        line("health", &info.health);
        line("present", &info.present);
        line("level", &info.level);
        line("scale", &100);
        line("voltage", &info.voltage_mv);
        line("temperature", &info.temperature);
        line("technology", &"Li-ion");
        if sdk >= 35 {
            line("Charging state", &1);
            line("Charging policy", &1);
        }
        text
    }

    /// `BatteryService.Shell.onCommand`: the reply (printed on stdout, as the service writes its errors into
    /// the dump) and whether it succeeded.
    fn command(&self, args: &[String]) -> (String, bool) {
        let mut args = args.iter().map(String::as_str);
        let Some(cmd) = args.next() else { return (String::new(), true) };
        let mut state = self.lock();
        match cmd {
            "unplug" => {
                let mut info = state.shown.take().unwrap_or_else(|| state.real.clone());
                info.ac = false;
                info.usb = false;
                info.wireless = false;
                info.dock = false;
                state.shown = Some(info);
                (String::new(), true)
            }
            "reset" => {
                state.shown = None;
                (String::new(), true)
            }
            "set" => {
                let args: Vec<&str> = args.filter(|a| !a.starts_with('-')).collect();
                let Some(key) = args.first() else { return ("No property specified\n".into(), false) };
                let Some(value) = args.get(1) else { return ("No value specified\n".into(), false) };
                // Java's Integer.parseInt: an optional sign and decimal digits, within i32.
                let Ok(number) = value.parse::<i32>() else { return (format!("Bad value: {value}\n"), false) };
                let mut info = state.shown.clone().unwrap_or_else(|| state.real.clone());
                match *key {
                    "present" => info.present = number != 0,
                    "ac" => info.ac = number != 0,
                    "usb" => info.usb = number != 0,
                    "wireless" => info.wireless = number != 0,
                    "dock" => info.dock = number != 0,
                    "status" => info.status = number,
                    "level" => info.level = i64::from(number),
                    "counter" => info.counter_uah = i64::from(number),
                    "temp" => info.temperature = i64::from(number),
                    "invalid" => {}
                    _ => return (format!("Unknown set option: {key}\n"), true),
                }
                state.shown = Some(info);
                (String::new(), true)
            }
            "get" => {
                let info = state.shown.as_ref().unwrap_or(&state.real);
                let value = match args.find(|a| !a.starts_with('-')) {
                    Some("present") => info.present.to_string(),
                    Some("ac") => info.ac.to_string(),
                    Some("usb") => info.usb.to_string(),
                    Some("wireless") => info.wireless.to_string(),
                    Some("dock") => info.dock.to_string(),
                    Some("status") => info.status.to_string(),
                    Some("level") => info.level.to_string(),
                    Some("counter") => info.counter_uah.to_string(),
                    Some("temp") => info.temperature.to_string(),
                    Some("invalid") => "0".to_string(),
                    Some(other) => format!("Unknown get option: {other}"),
                    None => return ("No property specified\n".into(), false),
                };
                (value + "\n", true)
            }
            other => (format!("Unknown command: {other}\n"), false),
        }
    }
}

/// `dumpsys [SERVICE [ARGS...]]`: the battery service, and `Can't find service` for any other (exit status 0,
/// as dumpsys does).
pub fn dumpsys_command(phone: &super::Phone, args: &[Vec<u8>], stdout: &mut dyn Write, stderr: &mut dyn Write) -> i32 {
    let args: Vec<String> = args.iter().map(|a| String::from_utf8_lossy(a).into_owned()).collect();
    let Some(service) = args.first() else {
        let _ = stderr.write_all(b"dumpsys: dumping every service is not supported by the virtual phone\n");
        return 2;
    };
    if service.starts_with('-') {
        let _ = stderr.write_all(b"dumpsys: options are not supported by the virtual phone\n");
        return 2;
    }
    if service != "battery" {
        let _ = writeln!(stderr, "Can't find service: {service}");
        return 0;
    }
    let rest = &args[1..];
    let text = if rest.is_empty() || rest[0] == "-a" {
        phone.battery.dump(phone.android.sdk)
    } else {
        phone.battery.command(rest).0
    };
    let _ = stdout.write_all(text.as_bytes()).and_then(|()| stdout.flush());
    0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_string()).collect()
    }

    #[test]
    fn a_battery_setting_reads_level_and_state() {
        assert_eq!("87".parse(), Ok(BatterySetting { level: 87, charging: true }));
        assert_eq!("10,discharging".parse(), Ok(BatterySetting { level: 10, charging: false }));
        assert!("101".parse::<BatterySetting>().is_err());
        assert!("50,sideways".parse::<BatterySetting>().is_err());
    }

    #[test]
    fn a_full_battery_on_the_charger_reports_status_full() {
        let battery = Battery::new(BatterySetting { level: 100, charging: true });
        assert!(battery.dump(34).contains("  status: 5\n"));
        battery.set(BatterySetting { level: 40, charging: false });
        let dump = battery.dump(34);
        assert!(dump.contains("  status: 3\n") && dump.contains("  USB powered: false\n"), "{dump}");
    }

    #[test]
    fn set_keeps_the_override_until_reset_even_when_the_hardware_changes() {
        let battery = Battery::default();
        assert_eq!(battery.command(&args(&["set", "level", "9"])), (String::new(), true));
        battery.set(BatterySetting { level: 50, charging: true });
        assert!(battery.dump(34).contains("  level: 9\n"));
        assert_eq!(battery.command(&args(&["reset"])), (String::new(), true));
        assert!(battery.dump(34).contains("  level: 50\n"));
    }

    #[test]
    fn set_refuses_bad_values_and_names_unknown_options() {
        let battery = Battery::default();
        assert_eq!(battery.command(&args(&["set", "level", "x"])), ("Bad value: x\n".into(), false));
        assert_eq!(battery.command(&args(&["set", "level"])), ("No value specified\n".into(), false));
        assert_eq!(battery.command(&args(&["set", "colour", "1"])), ("Unknown set option: colour\n".into(), true));
        assert!(!battery.dump(34).contains("UPDATES STOPPED"));
        assert_eq!(battery.command(&args(&["get", "level"])), ("87\n".into(), true));
    }
}
