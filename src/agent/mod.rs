//! The automatic backup agent (`phonebak agent`): runs in the background without a window and backs up each
//! phone marked "Back up automatically" (in the settings, [`crate::settings::AutomaticBackup`]) as soon as adb
//! lists it ready, by USB or over Wi-Fi, then checks it again every few minutes while it stays connected.
//!
//! It follows the adb server's phone list through `host:track-devices-l` (the server tells of every change;
//! nothing polls) and starts following again when the server goes away and comes back. Each ready phone gets
//! a thread (`agent-phone`) that reads what the phone is, and, when it is marked, runs the same engine as the
//! app and the command line: scan, plan against the manifest, copy and verify. A check finds new photos with
//! the listing alone (no hashing), so an idle check costs a few round trips. The backup folder's lock
//! ([`crate::backup::lock`]) keeps the app, the command line and the agent from writing into one folder at
//! once; one agent runs per user (a lock in the runtime folder). What it does is served on a socket
//! ([`status`]).

pub mod autostart;
mod notify;
pub mod status;

use crate::backup::{self, Manifest, lock};
use crate::device::{Adb, Device, DeviceEntry, DeviceInfo};
use crate::progress::{CancelToken, Progress, ProgressState};
use crate::settings::{AutomaticBackup, Settings, SettingsError};
use status::{PhoneState, Shared};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

/// How often a connected phone is checked for new photos.
pub const CHECK_EVERY: Duration = Duration::from_secs(300);

/// How often phones used over Wi-Fi that are not connected are looked for (longer after each miss).
pub const RECONNECT_EVERY: Duration = Duration::from_secs(120);

/// The longest wait between two looks for a Wi-Fi phone that stays away.
const RECONNECT_AT_MOST: Duration = Duration::from_secs(30 * 60);

/// The agent's places and pace.
#[derive(Debug, Clone)]
pub struct AgentOptions {
    /// The adb server to follow.
    pub adb: Adb,
    /// The settings file (which phones are backed up automatically).
    pub settings_path: PathBuf,
    /// Where the one-agent lock and the status socket live.
    pub runtime_dir: PathBuf,
    /// How often a connected phone is checked for new photos.
    pub check_every: Duration,
    /// How often the phones used over Wi-Fi are looked for when they are not connected.
    pub reconnect_every: Duration,
}

/// Why the agent cannot run.
#[derive(Debug, thiserror::Error)]
pub enum AgentError {
    /// Another agent runs for this user.
    #[error("phonebak's automatic backup already runs for this user ({0}).")]
    AlreadyRunning(String),
    /// The settings file is damaged.
    #[error(transparent)]
    Settings(#[from] SettingsError),
    /// Its runtime folder, lock or socket cannot be made.
    #[error("The automatic backup cannot start: could not {what} ({source}).")]
    Start {
        /// What failed.
        what: String,
        /// Why.
        source: std::io::Error,
    },
}

/// What the agent's threads share.
struct Agent {
    options: AgentOptions,
    shared: Shared,
    /// The phone threads, by adb's serial: each one's cancel token.
    phones: Mutex<HashMap<String, CancelToken>>,
    /// Which connection backs up each phone (by its own serial): a phone connected by USB and over Wi-Fi
    /// at once is backed up through one of them.
    owners: Mutex<HashMap<String, String>>,
    /// The serials adb lists as ready now.
    ready: Mutex<Vec<String>>,
    /// Encrypted backup folders opened with a remembered password (opening costs a second of scrypt).
    vaults: Mutex<HashMap<PathBuf, Arc<crate::vault::Vault>>>,
    notifier: notify::Notifier,
}

/// Runs the agent until `stop` is cancelled.
///
/// # Errors
/// When it cannot start: another agent runs, the settings file is damaged, or its runtime folder cannot be
/// made. Once running, problems with phones, the adb server or backup folders are logged and shown in the
/// status; they do not stop it.
pub fn run(options: AgentOptions, stop: &CancelToken) -> Result<(), AgentError> {
    let start = |what: &str| {
        let what = what.to_string();
        move |source| AgentError::Start { what, source }
    };
    std::fs::create_dir_all(&options.runtime_dir).map_err(start("make its runtime folder"))?;
    let _instance =
        lock::lock_at(&options.runtime_dir.join("agent.lock"), "phonebak's automatic backup").map_err(|e| match e {
            lock::LockError::Busy(holder) => {
                AgentError::AlreadyRunning(holder.map_or_else(|| "another process".to_string(), |h| h.to_string()))
            }
            lock::LockError::Io { source, .. } => AgentError::Start { what: "take its lock".to_string(), source },
        })?;
    // A damaged settings file stops the agent with its reason; it is never written over.
    Settings::load_checked(&options.settings_path)?;
    let shared = Shared::default();
    shared.change(|s| s.pid = std::process::id());
    status::serve(&options.runtime_dir, shared.clone()).map_err(start("open its status socket"))?;
    tracing::info!(settings = %options.settings_path.display(), "automatic backup agent started");
    let agent = Arc::new(Agent {
        options,
        shared,
        phones: Mutex::new(HashMap::new()),
        owners: Mutex::new(HashMap::new()),
        ready: Mutex::new(Vec::new()),
        vaults: Mutex::new(HashMap::new()),
        notifier: notify::Notifier::default(),
    });
    {
        let (agent, stop) = (Arc::clone(&agent), stop.clone());
        std::thread::Builder::new()
            .name("agent-wifi".to_string())
            .spawn(move || agent.reconnect_wifi_phones(&stop))
            .map_err(start("start its Wi-Fi thread"))?;
    }
    let mut wait = Duration::from_millis(200);
    let mut said_unreachable = false;
    while !stop.is_cancelled() {
        match agent.options.adb.track_devices() {
            Ok(tracker) => {
                if said_unreachable {
                    tracing::info!("the adb server is back");
                }
                said_unreachable = false;
                wait = Duration::from_millis(200);
                agent.follow(tracker, stop);
            }
            Err(e) => {
                if !said_unreachable {
                    tracing::warn!("cannot follow adb's phone list, trying again: {e}");
                    said_unreachable = true;
                }
                sleep_unless(stop, wait);
                wait = (wait * 2).min(Duration::from_secs(5));
            }
        }
    }
    agent.update(&[]);
    tracing::info!("automatic backup agent stopped");
    Ok(())
}

/// Sleeps `how_long`, waking early when `cancel` is cancelled; true when it was.
fn sleep_unless(cancel: &CancelToken, how_long: Duration) -> bool {
    let step = Duration::from_millis(100);
    let mut slept = Duration::ZERO;
    while slept < how_long {
        if cancel.is_cancelled() {
            return true;
        }
        std::thread::sleep(step.min(how_long.saturating_sub(slept)));
        slept += step;
    }
    cancel.is_cancelled()
}

impl Agent {
    /// Takes the server's lists until the server goes away or `stop` is cancelled.
    fn follow(self: &Arc<Self>, mut tracker: crate::device::DeviceTracker, stop: &CancelToken) {
        self.shared.change(|s| s.tracking = true);
        // A blocked read ends when `stop` is cancelled: a watcher closes the connection.
        let ended = Arc::new(AtomicBool::new(false));
        if let Ok(closer) = tracker.closer() {
            let (ended, stop) = (Arc::clone(&ended), stop.clone());
            let _ = std::thread::Builder::new().name("agent-stop".to_string()).spawn(move || {
                while !ended.load(Ordering::SeqCst) && !stop.is_cancelled() {
                    std::thread::sleep(Duration::from_millis(100));
                }
                let _ = closer.shutdown(std::net::Shutdown::Both);
            });
        }
        loop {
            match tracker.next_list() {
                Ok(list) => self.update(&list),
                Err(e) => {
                    if !stop.is_cancelled() {
                        tracing::warn!("the adb server's phone list ended ({e}); following it again");
                    }
                    break;
                }
            }
        }
        ended.store(true, Ordering::SeqCst);
        self.shared.change(|s| s.tracking = false);
        // Without a server, no phone is connected.
        self.update(&[]);
    }

    /// A new list: phones that are ready get a thread; the threads of phones gone are stopped.
    fn update(self: &Arc<Self>, list: &[DeviceEntry]) {
        let ready: Vec<&str> = list.iter().filter(|d| d.state.is_ready()).map(|d| d.serial.as_str()).collect();
        *self.ready.lock().unwrap_or_else(PoisonError::into_inner) = ready.iter().map(ToString::to_string).collect();
        let mut phones = self.phones.lock().unwrap_or_else(PoisonError::into_inner);
        phones.retain(|serial, cancel| {
            let keep = ready.contains(&serial.as_str());
            if !keep {
                tracing::info!(serial, "phone gone");
                cancel.cancel();
                self.notifier.forget(serial);
            }
            keep
        });
        self.shared.change(|s| s.phones.retain(|p| ready.contains(&p.adb_serial.as_str())));
        for serial in ready {
            if phones.contains_key(serial) {
                continue;
            }
            let cancel = CancelToken::new();
            phones.insert(serial.to_string(), cancel.clone());
            self.shared.change(|s| {
                s.phones.push(status::PhoneStatus { adb_serial: serial.to_string(), ..status::PhoneStatus::default() });
            });
            let (agent, serial) = (Arc::clone(self), serial.to_string());
            let spawned = std::thread::Builder::new().name("agent-phone".to_string()).spawn(move || {
                agent.watch_phone(&serial, &cancel);
            });
            if let Err(e) = spawned {
                tracing::error!("could not start a thread for a phone: {e}");
            }
        }
    }

    /// One ready phone, until it goes: what it is, then (when marked) a backup now and a check every few
    /// minutes.
    fn watch_phone(&self, serial: &str, cancel: &CancelToken) {
        let Some((device, info)) = self.look_at(serial, cancel) else { return };
        self.shared.phone(serial, |p| {
            p.phone_serial = Some(info.serial.clone());
            p.model = Some(info.model.clone());
        });
        loop {
            let wait = match Settings::load_checked(&self.options.settings_path) {
                Ok(settings) => self.check(serial, &device, &info, &settings, cancel),
                Err(e) => {
                    self.failed(serial, "settings", &e.to_string());
                    self.options.check_every
                }
            };
            if sleep_unless(cancel, wait) {
                self.disown(&info.serial, serial);
                return;
            }
        }
    }

    /// The key of the encrypted folder `dest`, opened with the password remembered in the desktop's keyring
    /// (once; then kept). The error says why not, for people.
    fn open_vault(&self, dest: &std::path::Path) -> Result<Arc<crate::vault::Vault>, String> {
        if let Some(vault) = self.vaults.lock().unwrap_or_else(PoisonError::into_inner).get(dest) {
            return Ok(Arc::clone(vault));
        }
        let password = crate::secrets::recall(dest)
            .map_err(|e| e.to_string())?
            .ok_or_else(|| "no password is remembered for it".to_string())?;
        let vault = crate::vault::Vault::open(dest, &password).map(Arc::new).map_err(|e| match e {
            crate::vault::VaultError::WrongPassword { .. } => "the remembered password no longer opens it".to_string(),
            other => other.to_string(),
        })?;
        self.vaults.lock().unwrap_or_else(PoisonError::into_inner).insert(dest.to_path_buf(), Arc::clone(&vault));
        Ok(vault)
    }

    /// One check of a connected phone: back it up when it is marked and this connection is the one that backs
    /// it up. Returns how long to wait before the next check.
    fn check(
        &self,
        serial: &str,
        device: &Device,
        info: &DeviceInfo,
        settings: &Settings,
        cancel: &CancelToken,
    ) -> Duration {
        let Some(auto) = settings.automatic.iter().find(|a| a.phone_serial == info.serial) else {
            self.shared.phone(serial, |p| {
                p.state = PhoneState::NotAutomatic;
                p.backup_folder = None;
            });
            return self.options.check_every;
        };
        if let Err(other) = self.own(&info.serial, serial) {
            self.shared.phone(serial, |p| {
                p.state = PhoneState::OtherConnection;
                p.backup_folder = Some(auto.backup_folder.clone());
                p.last = Some(format!("Backed up through its other connection ({other})."));
            });
            // Take over soon when the other connection goes.
            return self.options.check_every.min(Duration::from_secs(2));
        }
        self.back_up(serial, device, info, auto, cancel);
        self.options.check_every
    }

    /// Makes connection `adb_serial` the one that backs up phone `phone_serial`, unless another connection of
    /// the same phone already is (its serial is the error).
    fn own(&self, phone_serial: &str, adb_serial: &str) -> Result<(), String> {
        let mut owners = self.owners.lock().unwrap_or_else(PoisonError::into_inner);
        let ready = self.ready.lock().unwrap_or_else(PoisonError::into_inner);
        match owners.get(phone_serial) {
            Some(owner) if owner != adb_serial && ready.contains(owner) => Err(owner.clone()),
            _ => {
                owners.insert(phone_serial.to_string(), adb_serial.to_string());
                Ok(())
            }
        }
    }

    /// Connection `adb_serial` went: phone `phone_serial` may be backed up through another one.
    fn disown(&self, phone_serial: &str, adb_serial: &str) {
        let mut owners = self.owners.lock().unwrap_or_else(PoisonError::into_inner);
        if owners.get(phone_serial).is_some_and(|o| o == adb_serial) {
            owners.remove(phone_serial);
        }
    }

    /// Connects the phones used over Wi-Fi that adb does not list, now and every few minutes; a phone that
    /// stays away is looked for less and less often, and quietly.
    fn reconnect_wifi_phones(&self, stop: &CancelToken) {
        let mut misses: HashMap<String, (u32, std::time::Instant)> = HashMap::new();
        loop {
            let wifi = Settings::load_checked(&self.options.settings_path).map(|s| s.wifi).unwrap_or_default();
            let ready = self.ready.lock().unwrap_or_else(PoisonError::into_inner).clone();
            let now = std::time::Instant::now();
            for phone in wifi {
                if ready.contains(&phone.address) || stop.is_cancelled() {
                    misses.remove(&phone.address);
                    continue;
                }
                if misses.get(&phone.address).is_some_and(|(_, next)| *next > now) {
                    continue;
                }
                match self.options.adb.connect(&phone.address) {
                    Ok(_) => {
                        tracing::info!(address = phone.address, model = phone.model, "connected over Wi-Fi");
                        misses.remove(&phone.address);
                    }
                    Err(e) => {
                        let entry = misses.entry(phone.address.clone()).or_insert((0, now));
                        entry.0 = entry.0.saturating_add(1);
                        let wait = self
                            .options
                            .reconnect_every
                            .saturating_mul(1 << entry.0.min(8))
                            .min(RECONNECT_AT_MOST.max(self.options.reconnect_every));
                        entry.1 = now + wait;
                        tracing::debug!(
                            address = phone.address,
                            "Wi-Fi phone not reachable ({e}); next look in {wait:?}"
                        );
                    }
                }
            }
            if sleep_unless(stop, self.options.reconnect_every) {
                return;
            }
        }
    }

    /// The phone's device handle and what it is; `None` when it went away first.
    fn look_at(&self, serial: &str, cancel: &CancelToken) -> Option<(Device, DeviceInfo)> {
        let mut last = String::new();
        // A phone just listed may answer slowly at first.
        for _ in 0..10 {
            if cancel.is_cancelled() {
                return None;
            }
            match self.options.adb.device(serial).and_then(|d| d.info().map(|i| (d, i))) {
                Ok(found) => return Some(found),
                Err(e) => last = e.to_string(),
            }
            if sleep_unless(cancel, Duration::from_millis(300)) {
                return None;
            }
        }
        self.failed(serial, "unreadable", &format!("phonebak could not read what this phone is: {last}"));
        None
    }

    /// A backup that could not run or failed: in the status, and told once per connection for each kind of
    /// problem.
    fn failed(&self, serial: &str, kind: &str, why: &str) {
        tracing::warn!(serial, "automatic backup: {why}");
        let mut name = serial.to_string();
        self.shared.phone(serial, |p| {
            p.state = PhoneState::Failed;
            p.progress = None;
            p.last = Some(why.to_string());
            if let Some(model) = &p.model {
                name.clone_from(model);
            }
        });
        self.notifier.problem(serial, kind, &format!("phonebak could not back up {name}"), why);
    }

    /// One automatic backup of a marked phone: the new photos of its chosen folders, into its folder.
    fn back_up(&self, serial: &str, device: &Device, info: &DeviceInfo, auto: &AutomaticBackup, cancel: &CancelToken) {
        let dest = &auto.backup_folder;
        self.shared.phone(serial, |p| p.backup_folder = Some(dest.clone()));
        // A folder on a disk that is not plugged in is not made on the computer's own disk instead.
        if !dest.is_dir() {
            self.failed(
                serial,
                "folder missing",
                &format!(
                    "The backup folder {} is not there. Connect its disk (or choose another folder in phonebak); \
                     nothing was copied.",
                    dest.display()
                ),
            );
            return;
        }
        let vault = if crate::vault::is_encrypted(dest) {
            match self.open_vault(dest) {
                Ok(vault) => Some(vault),
                Err(why) => {
                    let said = format!(
                        "The backup folder {} is encrypted: unlock it in phonebak and tick \"Remember the password \
                         on this computer\" to back up this phone automatically ({why}).",
                        dest.display()
                    );
                    return self.failed(serial, "locked", &said);
                }
            }
        } else {
            None
        };
        let scanned = crate::scan::scan(device, &crate::scan::ScanOptions::default(), &|_| {}, cancel);
        let gallery = match scanned {
            Ok(gallery) => gallery,
            Err(e) => {
                if !cancel.is_cancelled() {
                    self.failed(serial, "scan", &format!("The phone's gallery could not be read: {e}"));
                }
                return;
            }
        };
        let files: Vec<crate::scan::MediaFile> = if auto.folders.is_empty() {
            gallery.files().cloned().collect()
        } else {
            auto.folders.iter().filter_map(|name| gallery.folder(name)).flat_map(|f| f.files.iter().cloned()).collect()
        };
        let manifest = match Manifest::load_or_new_in(dest, &info.serial, &info.model, vault.as_deref()) {
            Ok(manifest) => manifest,
            Err(e) => return self.failed(serial, "manifest", &e.to_string()),
        };
        let plan = backup::plan_in(&files, dest, &manifest, vault);
        if plan.totals.files_to_copy == 0 {
            self.shared.phone(serial, |p| {
                if p.state != PhoneState::UpToDate {
                    p.last = Some("Nothing new to back up.".to_string());
                }
                p.state = PhoneState::UpToDate;
                p.progress = None;
            });
            return;
        }
        // A phone low on battery and not charging is left alone; if the phone does not say, it is backed up.
        match device.battery() {
            Ok(Some(battery)) if battery.too_low_for_automatic() => {
                let why = format!(
                    "{} has {} % battery and is not charging: it will be backed up when it charges (or is above {} %).",
                    info.model,
                    battery.percent,
                    crate::device::Battery::LOW_PERCENT
                );
                tracing::info!(serial = info.serial, "{why}");
                self.shared.phone(serial, |p| {
                    p.state = PhoneState::LowBattery;
                    p.progress = None;
                    p.last = Some(why.clone());
                });
                self.notifier.problem(serial, "battery", &format!("Not backing up {} now", info.model), &why);
                return;
            }
            Ok(_) => {}
            Err(e) if cancel.is_cancelled() => return tracing::debug!("phone gone: {e}"),
            Err(e) => tracing::debug!(serial = info.serial, "no battery state: {e}"),
        }
        tracing::info!(
            serial = info.serial,
            files = plan.totals.files_to_copy,
            bytes = plan.totals.bytes_to_copy,
            dest = %dest.display(),
            "automatic backup started"
        );
        let (count, bytes) = (plan.totals.files_to_copy, crate::human::human_bytes(plan.totals.bytes_to_copy));
        self.notifier.tell(
            &format!("Backing up {count} new photos and videos from {}", info.model),
            &format!("{bytes} into {}", dest.display()),
        );
        self.shared.phone(serial, |p| {
            p.state = PhoneState::BackingUp;
            p.progress = Some(status::Progress {
                files_total: plan.totals.files_to_copy,
                bytes_total: plan.totals.bytes_to_copy,
                ..status::Progress::default()
            });
        });
        let progress = StatusProgress { shared: self.shared.clone(), serial: serial.to_string() };
        match backup::execute(&plan, device, &progress, cancel) {
            Ok(report) => {
                let said = if report.failed.is_empty() {
                    format!(
                        "{} photos and videos, {} backed up.",
                        report.copied.len(),
                        crate::human::human_bytes(report.bytes_copied)
                    )
                } else {
                    format!(
                        "{} photos and videos, {} backed up; {} could not be copied and will be tried again.",
                        report.copied.len(),
                        crate::human::human_bytes(report.bytes_copied),
                        report.failed.len()
                    )
                };
                tracing::info!(serial = info.serial, copied = report.copied.len(), "automatic backup finished");
                self.notifier.tell(&format!("{} is backed up", info.model), &said);
                self.shared.phone(serial, |p| {
                    p.state = PhoneState::UpToDate;
                    p.progress = None;
                    p.last = Some(said);
                    p.runs += 1;
                });
            }
            Err(e) if cancel.is_cancelled() => {
                tracing::info!(serial = info.serial, "automatic backup stopped: {e}");
            }
            Err(e) => {
                let kind = match &e {
                    backup::BackupError::DiskFull { .. } | backup::BackupError::NotEnoughSpace { .. } => "disk full",
                    backup::BackupError::Locked(_) => "busy",
                    _ => "backup",
                };
                self.failed(serial, kind, &e.to_string());
            }
        }
    }
}

/// Puts a backup's progress in the status.
struct StatusProgress {
    shared: Shared,
    serial: String,
}

impl Progress for StatusProgress {
    fn update(&self, state: &ProgressState) {
        self.shared.phone(&self.serial, |p| {
            p.progress = Some(status::Progress {
                files_done: state.files_done,
                files_total: state.files_total,
                bytes_done: state.bytes_done,
                bytes_total: state.bytes_total,
            });
        });
    }
}
