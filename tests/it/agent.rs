//! The automatic backup agent: the real `phonebak agent` binary, the real adb server and virtual phones. A
//! marked phone is backed up as soon as adb lists it, new photos on the next check, an unmarked phone never;
//! a SIGKILL mid-copy, a restarted adb server, two phones at once, a second backup into the same folder, a
//! missing backup disk, a damaged settings file and a second agent.

use crate::util::{AdbServer, noise, phone_with_dir, said, text, tree, write_file};
use phonebak::agent::status::{self, AgentStatus, PhoneState, PhoneStatus};
use phonebak::settings::{AutomaticBackup, Settings, WifiPhone};
use phonebak::virtual_phone::{Config, Fault, LinkModel, PullPoint, VirtualPhone};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A private home for one agent: its settings, runtime folder and log.
struct AgentHome {
    dir: tempfile::TempDir,
}

impl AgentHome {
    fn new() -> Self {
        Self { dir: tempfile::tempdir().expect("home") }
    }

    fn settings_path(&self) -> PathBuf {
        self.dir.path().join("config/phonebak/settings.json")
    }

    fn runtime(&self) -> PathBuf {
        self.dir.path().join("run/phonebak")
    }

    /// Marks phones (serial, model, folder) "Back up automatically".
    fn mark(&self, phones: &[(&str, &str, &Path)]) {
        let settings = Settings {
            automatic: phones
                .iter()
                .map(|(serial, model, folder)| AutomaticBackup {
                    phone_serial: (*serial).to_string(),
                    model: (*model).to_string(),
                    backup_folder: folder.to_path_buf(),
                    folders: Vec::new(),
                })
                .collect(),
            ..Settings::default()
        };
        settings.save(&self.settings_path()).expect("settings");
    }

    /// `phonebak ARGS` with this home and `server`.
    fn command(&self, server: &AdbServer, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_phonebak"));
        cmd.args(args)
            .env("HOME", self.dir.path())
            .env("XDG_CONFIG_HOME", self.dir.path().join("config"))
            .env("XDG_DATA_HOME", self.dir.path().join("data"))
            .env("XDG_RUNTIME_DIR", self.dir.path().join("run"))
            .env("ANDROID_ADB_SERVER_PORT", server.port.to_string())
            .env_remove("ANDROID_SERIAL")
            .env_remove("DBUS_SESSION_BUS_ADDRESS");
        cmd
    }

    /// Starts `phonebak agent --check-every 1` and waits until it answers on its socket.
    fn start(&self, server: &AdbServer) -> Agent {
        self.start_with(server, &[])
    }

    /// Starts `phonebak agent --check-every 1 MORE...` and waits until it answers on its socket.
    fn start_with(&self, server: &AdbServer, more: &[&str]) -> Agent {
        let mut args = vec!["agent", "--check-every", "1"];
        args.extend_from_slice(more);
        let child =
            self.command(server, &args).stdout(Stdio::null()).stderr(Stdio::piped()).spawn().expect("start the agent");
        let mut agent = Agent { child, runtime: self.runtime() };
        agent.wait_for("the agent to answer", Duration::from_secs(10), |s| s.tracking);
        agent
    }
}

/// A running agent, killed when dropped.
struct Agent {
    child: Child,
    runtime: PathBuf,
}

impl Agent {
    fn status(&self) -> Option<AgentStatus> {
        status::query(&self.runtime)
    }

    /// Waits until the status satisfies `done`; fails after `limit` with the last status seen.
    fn wait_for(&mut self, what: &str, limit: Duration, done: impl Fn(&AgentStatus) -> bool) -> AgentStatus {
        let deadline = Instant::now() + limit;
        let mut last = None;
        loop {
            if let Ok(Some(exit)) = self.child.try_wait() {
                let mut err = String::new();
                let _ = std::io::Read::read_to_string(&mut self.child.stderr.take().expect("stderr"), &mut err);
                panic!("the agent exited ({exit}) while waiting for {what}: {err}");
            }
            if let Some(status) = self.status() {
                if done(&status) {
                    return status;
                }
                last = Some(status);
            }
            assert!(Instant::now() < deadline, "timed out waiting for {what}; last status: {last:#?}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Agent {
    fn drop(&mut self) {
        self.kill();
    }
}

/// The status of the phone whose own serial is `serial`.
fn phone<'a>(status: &'a AgentStatus, serial: &str) -> Option<&'a PhoneStatus> {
    status.phones.iter().find(|p| p.phone_serial.as_deref() == Some(serial))
}

/// A phone with `n` photos of `size` bytes in DCIM/Camera.
fn phone_with(model: &str, serial: &str, n: u64, size: usize, link: LinkModel) -> (tempfile::TempDir, VirtualPhone) {
    let (dir, phone) =
        phone_with_dir(Config { model: model.to_string(), serial: serial.to_string(), link, ..Config::default() });
    for i in 0..n {
        let path = dir.path().join(format!("DCIM/Camera/IMG_{serial}_{i:03}.jpg"));
        write_file(&path, &noise(size, i + 1), 1_700_000_000 + i * 3600);
    }
    (dir, phone)
}

/// The backup of `serial` in `dest` holds exactly the phone's files, byte for byte and dated, and no temp file.
fn assert_backed_up(dest: &Path, model: &str, serial: &str, storage: &Path) {
    assert_eq!(tree(&dest.join(format!("{model} ({serial})"))), tree(storage), "the backup differs from the phone");
    let tmp = dest.join(".phonebak/tmp");
    let leftovers = std::fs::read_dir(&tmp).map_or(0, Iterator::count);
    assert_eq!(leftovers, 0, "temp files left in {}", tmp.display());
    let manifest = phonebak::backup::Manifest::load(dest, serial).expect("manifest").expect("a manifest");
    assert_eq!(manifest.files.len(), tree(storage).len(), "the manifest does not list every file");
}

#[test]
fn a_marked_phone_is_backed_up_within_two_seconds_then_its_new_photos_and_an_unmarked_phone_never() {
    let server = AdbServer::start();
    let home = AgentHome::new();
    let dest = tempfile::tempdir().expect("backup folder");
    home.mark(&[("AUTO0001", "Pixel 7", dest.path())]);
    let mut agent = home.start(&server);
    let (storage, marked) = phone_with("Pixel 7", "AUTO0001", 12, 1_000_000, LinkModel::Usb2);
    server.connect(&marked, "device");
    let listed = Instant::now();
    agent.wait_for("the backup to start", Duration::from_secs(10), |s| {
        phone(s, "AUTO0001").is_some_and(|p| p.state == PhoneState::BackingUp || p.runs > 0)
    });
    let started = listed.elapsed();
    assert!(started < Duration::from_secs(2), "the backup started {started:?} after adb listed the phone");
    let done = agent.wait_for("the backup to finish", Duration::from_secs(60), |s| {
        phone(s, "AUTO0001").is_some_and(|p| p.runs == 1)
    });
    let last = phone(&done, "AUTO0001").and_then(|p| p.last.clone()).unwrap_or_default();
    assert!(last.starts_with("12 photos and videos"), "{last}");
    assert_backed_up(dest.path(), "Pixel 7", "AUTO0001", storage.path());

    // Two new photos while it stays connected: the next check copies those two only.
    for i in 100..102u64 {
        write_file(&storage.path().join(format!("DCIM/Camera/IMG_new_{i}.jpg")), &noise(50_000, i), 1_710_000_000 + i);
    }
    let done = agent
        .wait_for("the new photos", Duration::from_secs(30), |s| phone(s, "AUTO0001").is_some_and(|p| p.runs == 2));
    let last = phone(&done, "AUTO0001").and_then(|p| p.last.clone()).unwrap_or_default();
    assert!(last.starts_with("2 photos and videos"), "only the new ones: {last}");
    assert_backed_up(dest.path(), "Pixel 7", "AUTO0001", storage.path());

    // A phone nobody marked is left alone.
    let (_other_storage, unmarked) = phone_with("Galaxy S23", "OTHER001", 3, 10_000, LinkModel::Unlimited);
    server.connect(&unmarked, "device");
    agent.wait_for("the unmarked phone to be looked at", Duration::from_secs(10), |s| {
        phone(s, "OTHER001").is_some_and(|p| p.state == PhoneState::NotAutomatic)
    });
    std::thread::sleep(Duration::from_secs(2));
    let entries: Vec<_> = std::fs::read_dir(dest.path()).expect("read").flatten().map(|e| e.file_name()).collect();
    assert!(!entries.iter().any(|n| n.to_string_lossy().contains("OTHER001")), "{entries:?}");

    // `phonebak agent status` says it in words.
    let out = home.command(&server, &["agent", "status"]).output().expect("status");
    assert!(out.status.success(), "{}", said(&out));
    let shown = text(&out.stdout);
    assert!(shown.contains("Pixel 7 (AUTO0001): backed up") && shown.contains("2 photos and videos"), "{shown}");
    assert!(shown.contains("Galaxy S23 (OTHER001): not backed up automatically"), "{shown}");
}

#[test]
fn an_agent_killed_mid_copy_leaves_no_half_file_and_the_next_one_takes_over_the_lock_and_completes() {
    let server = AdbServer::start();
    let home = AgentHome::new();
    let dest = tempfile::tempdir().expect("backup folder");
    home.mark(&[("KILL0001", "Pixel 8", dest.path())]);
    let (storage, phone_) = phone_with("Pixel 8", "KILL0001", 20, 2_000_000, LinkModel::Usb2);
    server.connect(&phone_, "device");
    let mut agent = home.start(&server);
    agent.wait_for("a few files copied", Duration::from_secs(30), |s| {
        phone(s, "KILL0001").and_then(|p| p.progress.as_ref()).is_some_and(|p| p.files_done >= 2)
    });
    let pid = agent.child.id();
    // SIGKILL: no chance to clean up.
    agent.kill();
    let lock = std::fs::read_to_string(dest.path().join(".phonebak/lock")).expect("lock file");
    assert!(lock.contains(&format!("\"pid\":{pid}")), "the dead agent's lock: {lock}");
    assert!(lock.contains("phonebak's automatic backup"), "{lock}");
    let mut again = home.start(&server);
    again.wait_for("the next run to complete", Duration::from_secs(60), |s| {
        phone(s, "KILL0001").is_some_and(|p| p.runs == 1)
    });
    assert_backed_up(dest.path(), "Pixel 8", "KILL0001", storage.path());
}

#[test]
fn the_agent_carries_on_when_the_adb_server_is_killed_and_backs_up_two_phones_each_into_its_folder() {
    let server = AdbServer::start();
    let home = AgentHome::new();
    let (first_dest, second_dest) = (tempfile::tempdir().expect("one"), tempfile::tempdir().expect("two"));
    home.mark(&[("TWO00001", "Pixel 6", first_dest.path()), ("TWO00002", "Pixel 6a", second_dest.path())]);
    let mut agent = home.start(&server);
    let out = server.adb(&["kill-server"]);
    assert!(out.status.success(), "{}", said(&out));
    // The agent starts following again once a server runs (it may start one itself).
    let (first_storage, first) = phone_with("Pixel 6", "TWO00001", 4, 100_000, LinkModel::Unlimited);
    let (second_storage, second) = phone_with("Pixel 6a", "TWO00002", 5, 100_000, LinkModel::Unlimited);
    server.connect(&first, "device");
    server.connect(&second, "device");
    agent.wait_for("both phones backed up", Duration::from_secs(60), |s| {
        phone(s, "TWO00001").is_some_and(|p| p.runs == 1) && phone(s, "TWO00002").is_some_and(|p| p.runs == 1)
    });
    assert_backed_up(first_dest.path(), "Pixel 6", "TWO00001", first_storage.path());
    assert_backed_up(second_dest.path(), "Pixel 6a", "TWO00002", second_storage.path());
    assert!(
        !first_dest.path().join("Pixel 6a (TWO00002)").exists()
            && !second_dest.path().join("Pixel 6 (TWO00001)").exists()
    );
}

#[test]
fn a_backup_from_the_command_line_while_the_agent_copies_the_same_phone_is_refused_by_the_folder_lock() {
    let server = AdbServer::start();
    let home = AgentHome::new();
    let dest = tempfile::tempdir().expect("backup folder");
    home.mark(&[("LOCK0001", "Pixel 7", dest.path())]);
    let (storage, phone_) = phone_with("Pixel 7", "LOCK0001", 20, 2_000_000, LinkModel::Usb2);
    server.connect(&phone_, "device");
    let mut agent = home.start(&server);
    agent.wait_for("the agent copying", Duration::from_secs(30), |s| {
        phone(s, "LOCK0001").is_some_and(|p| p.state == PhoneState::BackingUp)
    });
    let out = home
        .command(&server, &["backup", "--to", dest.path().to_str().expect("utf8")])
        .output()
        .expect("phonebak backup");
    assert_eq!(out.status.code(), Some(1), "{}", said(&out));
    assert!(
        said(&out).contains("Another backup is writing into this folder: phonebak's automatic backup"),
        "{}",
        said(&out)
    );
    agent.wait_for("the agent's backup to finish", Duration::from_secs(60), |s| {
        phone(s, "LOCK0001").is_some_and(|p| p.runs == 1)
    });
    assert_backed_up(dest.path(), "Pixel 7", "LOCK0001", storage.path());
}

#[test]
fn a_missing_backup_disk_is_reported_and_nothing_is_written_anywhere_else() {
    let server = AdbServer::start();
    let home = AgentHome::new();
    let mount = tempfile::tempdir().expect("where the disk would be");
    let missing = mount.path().join("usb-disk/Photos");
    home.mark(&[("GONE0001", "Pixel 7", &missing)]);
    let mut agent = home.start(&server);
    let (_storage, phone_) = phone_with("Pixel 7", "GONE0001", 2, 10_000, LinkModel::Unlimited);
    server.connect(&phone_, "device");
    let status = agent.wait_for("the problem to be told", Duration::from_secs(10), |s| {
        phone(s, "GONE0001").is_some_and(|p| p.state == PhoneState::Failed)
    });
    let last = phone(&status, "GONE0001").and_then(|p| p.last.clone()).unwrap_or_default();
    assert!(last.contains("is not there") && last.contains("Connect its disk"), "{last}");
    assert!(!mount.path().join("usb-disk").exists(), "the missing folder was made");
}

#[test]
fn a_damaged_settings_file_stops_the_agent_with_a_clear_error_and_is_left_as_it_is_and_one_agent_runs_per_user() {
    let server = AdbServer::start();
    let home = AgentHome::new();
    let path = home.settings_path();
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    std::fs::write(&path, b"{ \"automatic\": [ oops").expect("damage");
    let out = home.command(&server, &["agent"]).output().expect("agent");
    assert_eq!(out.status.code(), Some(1), "{}", said(&out));
    assert!(said(&out).contains("cannot be read") && said(&out).contains("settings.json"), "{}", said(&out));
    assert_eq!(std::fs::read(&path).expect("still there"), b"{ \"automatic\": [ oops", "the file was changed");

    home.mark(&[]);
    let _agent = home.start(&server);
    let out = home.command(&server, &["agent"]).output().expect("a second agent");
    assert_eq!(out.status.code(), Some(1), "{}", said(&out));
    assert!(said(&out).contains("already runs for this user"), "{}", said(&out));
}

#[test]
fn install_autostart_writes_a_valid_entry_in_the_private_home_that_starts_the_agent_and_remove_takes_it_away() {
    let server = AdbServer::start();
    let home = AgentHome::new();
    let entry = home.dir.path().join("config/autostart/phonebak-agent.desktop");
    let out = home.command(&server, &["agent", "--install-autostart"]).output().expect("install");
    assert!(out.status.success(), "{}", said(&out));
    let text = std::fs::read_to_string(&entry).expect("the entry");
    let exec = text.lines().find_map(|l| l.strip_prefix("Exec=")).expect("Exec");
    assert!(exec.ends_with(" agent") && exec.contains("phonebak"), "{exec}");
    match Command::new("desktop-file-validate").arg(&entry).output() {
        Ok(check) => assert!(check.status.success(), "desktop-file-validate: {}", said(&check)),
        Err(_) => eprintln!("desktop-file-validate is not installed: the entry's syntax is not checked"),
    }
    let out = home.command(&server, &["agent", "--remove-autostart"]).output().expect("remove");
    assert!(out.status.success(), "{}", said(&out));
    assert!(!entry.exists(), "the entry is still there");
}

#[test]
fn the_app_turns_automatic_backup_on_and_off_and_shows_the_agents_progress_instead_of_a_second_back_up() {
    use crate::gui::{adb_of, app_harness_with, open_phone, step_until};
    use egui_kittest::kittest::{NodeT, Queryable};
    use phonebak::gui::egui::Role;
    use phonebak::gui::{AdbSource, AgentPlaces, Options};
    let server = AdbServer::start();
    let home = AgentHome::new();
    let dest = home.dir.path().join("Pictures/Phone backups");
    let (storage, phone_) = phone_with("Auto Phone", "APP00001", 25, 2_000_000, LinkModel::Usb2);
    server.connect(&phone_, "device");
    let autostart = home.dir.path().join("config/autostart/phonebak-agent.desktop");
    let mut harness = app_harness_with(Options {
        settings_path: Some(home.settings_path()),
        default_backup_folder: Some(dest.clone()),
        agent: Some(AgentPlaces {
            runtime_dir: home.runtime(),
            autostart: autostart.clone(),
            program: PathBuf::from(env!("CARGO_BIN_EXE_phonebak")),
        }),
        ..Options::with_adb(AdbSource::Fixed(adb_of(&server)))
    });
    open_phone(&mut harness, "Auto Phone");
    step_until(&mut harness, Duration::from_secs(10), "the folder's free space", |h| {
        h.state().backup_view().is_some_and(|v| v.dest_free.is_some())
    });
    harness.run_steps(2);
    let label = "Back up this phone automatically when it connects (the ticked folders, into this folder)";
    harness.get_by_role_and_label(Role::CheckBox, label).click();
    // The agent starts and copies; the app shows its progress where Back up was.
    step_until(&mut harness, Duration::from_secs(20), "the agent's progress in the app", |h| {
        h.state().backup_view().is_some_and(|v| v.agent_job.is_some())
            && h.query_by_label_contains("The automatic backup is copying this phone").is_some()
    });
    assert!(
        harness.get_by_role_and_label(Role::Button, "Back up").accesskit_node().is_disabled(),
        "a second Back up is offered while the agent copies"
    );
    let settings = Settings::load_checked(&home.settings_path()).expect("settings");
    assert_eq!(settings.automatic.len(), 1);
    assert_eq!(
        (settings.automatic[0].phone_serial.as_str(), settings.automatic[0].backup_folder.as_path()),
        ("APP00001", dest.as_path())
    );
    let entry = std::fs::read_to_string(&autostart).expect("the autostart entry");
    assert!(entry.contains(&format!("Exec={} agent", env!("CARGO_BIN_EXE_phonebak"))), "{entry}");
    step_until(&mut harness, Duration::from_secs(60), "the agent to finish", |h| {
        h.state().backup_view().is_some_and(|v| v.agent_job.is_none())
            && status::query(&home.runtime()).is_some_and(|s| phone(&s, "APP00001").is_some_and(|p| p.runs == 1))
    });
    assert_backed_up(&dest, "Auto Phone", "APP00001", storage.path());
    // Off again: the last phone unmarked takes the autostart entry away (after the screen settles: the
    // agent's line just went away above the checkbox).
    harness.run_steps(3);
    harness.get_by_role_and_label(Role::CheckBox, label).click();
    step_until(&mut harness, Duration::from_secs(10), "the entry to go", |_| !autostart.exists());
    assert!(Settings::load_checked(&home.settings_path()).expect("settings").automatic.is_empty());
    let pid = status::query(&home.runtime()).expect("the agent runs").pid;
    let _ = Command::new("kill").arg(pid.to_string()).output();
}

/// A private D-Bus session bus (`dbus-daemon --session`) and a `dbus-monitor` on it recording the calls to
/// the notification service; both gone when dropped.
struct PrivateBus {
    address: String,
    daemon: Child,
    monitor: Child,
    out: PathBuf,
    _dir: tempfile::TempDir,
}

impl PrivateBus {
    fn start() -> Result<Self, String> {
        use std::io::BufRead;
        let mut daemon = Command::new("dbus-daemon")
            .args(["--session", "--nofork", "--print-address=1"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("dbus-daemon cannot run ({e}); install the dbus-daemon package"))?;
        let mut address = String::new();
        std::io::BufReader::new(daemon.stdout.take().expect("stdout"))
            .read_line(&mut address)
            .map_err(|e| e.to_string())?;
        let address = address.trim().to_string();
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let out = dir.path().join("monitor.txt");
        let monitor = Command::new("dbus-monitor")
            .args([
                "--address",
                &address,
                "type='method_call',interface='org.freedesktop.Notifications',member='Notify'",
            ])
            .stdout(std::fs::File::create(&out).map_err(|e| e.to_string())?)
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("dbus-monitor cannot run ({e}); install the dbus-bin package"))?;
        // The monitor is listening once it has said so on the bus.
        std::thread::sleep(Duration::from_millis(500));
        Ok(Self { address, daemon, monitor, out, _dir: dir })
    }

    /// The text of every notification sent so far (summary and body strings, in order).
    fn notified(&self) -> String {
        std::fs::read_to_string(&self.out).unwrap_or_default()
    }
}

impl Drop for PrivateBus {
    fn drop(&mut self) {
        let _ = self.monitor.kill();
        let _ = self.monitor.wait();
        let _ = self.daemon.kill();
        let _ = self.daemon.wait();
    }
}

#[test]
fn notifications_on_a_private_session_bus_tell_a_backup_starting_and_ending_and_a_problem_once() {
    let bus = match PrivateBus::start() {
        Ok(bus) => bus,
        Err(why) => {
            eprintln!("skipped: {why}");
            return;
        }
    };
    let server = AdbServer::start();
    let home = AgentHome::new();
    let dest = tempfile::tempdir().expect("backup folder");
    let missing = home.dir.path().join("unplugged-disk/Photos");
    let low_dest = tempfile::tempdir().expect("backup folder");
    home.mark(&[
        ("NOTE0001", "Pixel 7", dest.path()),
        ("NOTE0002", "Pixel 5", &missing),
        ("NOTE0003", "Pixel 6", low_dest.path()),
    ]);
    let child = home
        .command(&server, &["agent", "--check-every", "1"])
        .env("DBUS_SESSION_BUS_ADDRESS", &bus.address)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("agent");
    let mut agent = Agent { child, runtime: home.runtime() };
    agent.wait_for("the agent to answer", Duration::from_secs(10), |s| s.tracking);
    let (_storage, first) = phone_with("Pixel 7", "NOTE0001", 3, 100_000, LinkModel::Unlimited);
    let (_other, second) = phone_with("Pixel 5", "NOTE0002", 1, 1000, LinkModel::Unlimited);
    let (_third, low) = phone_with("Pixel 6", "NOTE0003", 1, 1000, LinkModel::Unlimited);
    low.set_battery(9, false);
    server.connect(&first, "device");
    server.connect(&second, "device");
    server.connect(&low, "device");
    agent.wait_for("the backup and the problems", Duration::from_secs(30), |s| {
        phone(s, "NOTE0001").is_some_and(|p| p.runs == 1)
            && phone(s, "NOTE0002").is_some_and(|p| p.state == PhoneState::Failed)
            && phone(s, "NOTE0003").is_some_and(|p| p.state == PhoneState::LowBattery)
    });
    // Several checks go by with the disk still missing: the problem is told once.
    std::thread::sleep(Duration::from_secs(3));
    let said = bus.notified();
    assert!(said.contains("string \"Backing up 3 new photos and videos from Pixel 7\""), "{said}");
    assert!(said.contains("string \"Pixel 7 is backed up\""), "{said}");
    assert!(said.contains("string \"3 photos and videos, 300.0 kB backed up.\""), "{said}");
    assert_eq!(said.matches("string \"phonebak could not back up Pixel 5\"").count(), 1, "{said}");
    assert!(said.contains("is not there. Connect its disk"), "{said}");
    assert_eq!(said.matches("string \"Not backing up Pixel 6 now\"").count(), 1, "{said}");
    assert!(said.contains("Pixel 6 has 9 % battery and is not charging"), "{said}");
    assert!(said.contains("string \"phonebak\""), "the app name: {said}");
}

#[test]
fn a_phone_low_on_battery_and_not_charging_waits_and_is_backed_up_once_it_charges() {
    let server = AdbServer::start();
    let home = AgentHome::new();
    let dest = tempfile::tempdir().expect("backup folder");
    home.mark(&[("BATT0001", "Pixel 7", dest.path())]);
    let (storage, phone_) = phone_with("Pixel 7", "BATT0001", 3, 10_000, LinkModel::Unlimited);
    server.connect(&phone_, "device");
    // What Android's own shell offers to fake a battery: 9 %, unplugged.
    for args in [&["shell", "dumpsys", "battery", "set", "level", "9"][..], &["shell", "dumpsys", "battery", "unplug"]]
    {
        let out = server.on(&phone_, args);
        assert!(out.status.success(), "{args:?}: {}", said(&out));
    }
    let mut agent = home.start(&server);
    let status = agent.wait_for("the low battery to be seen", Duration::from_secs(10), |s| {
        phone(s, "BATT0001").is_some_and(|p| p.state == PhoneState::LowBattery)
    });
    let last = phone(&status, "BATT0001").and_then(|p| p.last.clone()).unwrap_or_default();
    assert!(last.contains("9 % battery and is not charging"), "{last}");
    std::thread::sleep(Duration::from_secs(2));
    assert!(!dest.path().join("Pixel 7 (BATT0001)").exists(), "a phone low on battery was backed up");
    // Plugged in again: the next check backs it up.
    let out = server.on(&phone_, &["shell", "dumpsys", "battery", "reset"]);
    assert!(out.status.success(), "{}", said(&out));
    agent.wait_for("the backup once it charges", Duration::from_secs(30), |s| {
        phone(s, "BATT0001").is_some_and(|p| p.runs == 1)
    });
    assert_backed_up(dest.path(), "Pixel 7", "BATT0001", storage.path());
}

#[test]
fn wifi_on_switches_the_phone_to_tcp_and_the_agent_connects_it_again_and_backs_it_up_once_over_both_links() {
    let server = AdbServer::start();
    let home = AgentHome::new();
    let dest = tempfile::tempdir().expect("backup folder");
    home.mark(&[("WIFI0001", "Pixel 7", dest.path())]);
    let (storage, phone_) = phone_with("Pixel 7", "WIFI0001", 6, 50_000, LinkModel::Unlimited);
    server.connect(&phone_, "device");
    let usb = phone_.addr().to_string();

    let out = home.command(&server, &["wifi", "on", "--device", &usb]).output().expect("phonebak wifi on");
    assert!(out.status.success(), "{}", said(&out));
    let shown = text(&out.stdout);
    let address = shown
        .split("is connected over Wi-Fi at ")
        .nth(1)
        .and_then(|rest| rest.split(':').next().map(|ip| format!("{ip}:5555")))
        .unwrap_or_else(|| panic!("no address in {shown:?}"));
    assert!(address.starts_with("127.") && address != "127.0.0.1:5555", "{address}");
    let settings = Settings::load_checked(&home.settings_path()).expect("settings");
    assert_eq!(
        settings.wifi,
        vec![WifiPhone { phone_serial: "WIFI0001".into(), model: "Pixel 7".into(), address: address.clone() }]
    );
    // One phone behind two adb serials.
    let out = server.adb(&["-s", &address, "shell", "getprop", "ro.serialno"]);
    assert_eq!(text(&out.stdout).trim(), "WIFI0001", "{}", said(&out));

    // Out of range: adb loses it. The agent looks for it and connects it again.
    let out = server.adb(&["disconnect", &address]);
    assert!(out.status.success(), "{}", said(&out));
    let mut agent = home.start_with(&server, &["--reconnect-every", "1"]);
    // The cable again too (adbd restarted when it switched; adb connects it again by itself after ~10 s).
    crate::util::replug(&server, &phone_);
    let status = agent.wait_for("both links, one backup", Duration::from_secs(30), |s| {
        let (over_usb, over_wifi) =
            (s.phones.iter().find(|p| p.adb_serial == usb), s.phones.iter().find(|p| p.adb_serial == address));
        over_usb.zip(over_wifi).is_some_and(|(a, b)| {
            let states = [a.state, b.state];
            states.contains(&PhoneState::OtherConnection) && a.runs + b.runs == 1
        })
    });
    assert!(status.phones.iter().all(|p| p.phone_serial.as_deref() == Some("WIFI0001")), "{status:#?}");
    assert_backed_up(dest.path(), "Pixel 7", "WIFI0001", storage.path());

    // The cable goes; new photos come over Wi-Fi only, and nothing is copied twice.
    let out = server.adb(&["disconnect", &usb]);
    assert!(out.status.success(), "{}", said(&out));
    for i in 0..2u64 {
        write_file(
            &storage.path().join(format!("DCIM/Camera/IMG_wifi_{i}.jpg")),
            &noise(20_000, i + 50),
            1_720_000_000,
        );
    }
    agent.wait_for("the new photos over Wi-Fi", Duration::from_secs(30), |s| {
        s.phones
            .iter()
            .any(|p| p.adb_serial == address && p.last.as_deref().is_some_and(|l| l.starts_with("2 photos and videos")))
    });
    assert_backed_up(dest.path(), "Pixel 7", "WIFI0001", storage.path());
}

#[test]
fn pairing_and_looking_for_phones_on_the_network_say_what_to_install_when_the_adb_server_cannot() {
    let server = AdbServer::start();
    let home = AgentHome::new();
    let version = text(&server.adb(&["version"]).stdout);
    let out = home.command(&server, &["wifi", "pair", "127.0.0.1:9", "123456"]).output().expect("phonebak wifi pair");
    assert_eq!(out.status.code(), Some(1), "{}", said(&out));
    // Debian's adb is 29.x (1.0.41): it has no pairing service. A newer adb tries and finds nothing there.
    let old = version.contains("Version 29.") || !version.contains("Version ");
    if old {
        assert!(said(&out).contains("platform-tools 30 or newer"), "{}", said(&out));
    } else {
        assert!(said(&out).contains("check the pairing code"), "{}", said(&out));
    }
    // The same adb cannot look for phones on the network either (mDNS through the server), and says so.
    let out = home.command(&server, &["wifi", "list"]).output().expect("phonebak wifi list");
    assert!(out.status.success(), "{}", said(&out));
    let shown = text(&out.stdout);
    assert!(shown.contains("No phone is remembered for Wi-Fi."), "{shown}");
    if old {
        assert!(shown.contains("does not look for phones on the network"), "{shown}");
    }
}

#[test]
fn a_cable_pull_during_an_automatic_backup_leaves_no_half_file_and_the_next_connection_completes_it() {
    let server = AdbServer::start();
    let home = AgentHome::new();
    let dest = tempfile::tempdir().expect("backup folder");
    home.mark(&[("PULL0001", "Pixel 7", dest.path())]);
    let (storage, phone_) = phone_with("Pixel 7", "PULL0001", 20, 2_000_000, LinkModel::Usb2);
    server.connect(&phone_, "device");
    let mut agent = home.start(&server);
    // The cable goes in the middle of the copy.
    agent.wait_for("a few files copied", Duration::from_secs(30), |s| {
        phone(s, "PULL0001").and_then(|p| p.progress.as_ref()).is_some_and(|p| p.files_done >= 2)
    });
    phone_.inject(Fault::CablePull { at: PullPoint::AfterBytes(1), offline: Duration::from_millis(500) });
    // As a person would: whenever adb does not list the phone as ready, the cable is plugged back in.
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        if status::query(&home.runtime()).is_some_and(|s| phone(&s, "PULL0001").is_some_and(|p| p.runs >= 1)) {
            break;
        }
        assert!(Instant::now() < deadline, "the backup never completed: {:#?}", status::query(&home.runtime()));
        if server.state_of(&phone_).as_deref() != Some("device") {
            crate::util::replug(&server, &phone_);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    // The cable did go in the middle: the phone was connected again, and the run that completed it copied only
    // what the first one had not.
    assert!(phone_.stats().connections >= 2, "the cable pull never happened");
    let done = status::query(&home.runtime()).expect("status");
    let last = phone(&done, "PULL0001").and_then(|p| p.last.clone()).unwrap_or_default();
    assert!(!last.starts_with("20 photos"), "the second connection copied everything again: {last}");
    drop(agent);
    assert_backed_up(dest.path(), "Pixel 7", "PULL0001", storage.path());
}

#[test]
fn the_apps_use_this_phone_over_wifi_switches_the_open_phone_and_remembers_it() {
    use crate::gui::{adb_of, app_harness_with, open_phone, step_until};
    use egui_kittest::kittest::Queryable;
    use phonebak::gui::egui::Role;
    use phonebak::gui::{AdbSource, Options};
    let server = AdbServer::start();
    let home = AgentHome::new();
    let (_storage, phone_) = phone_with("Wifi Phone", "APPWIFI1", 3, 10_000, LinkModel::Unlimited);
    server.connect(&phone_, "device");
    let mut harness = app_harness_with(Options {
        settings_path: Some(home.settings_path()),
        default_backup_folder: Some(home.dir.path().join("Pictures/Phone backups")),
        ..Options::with_adb(AdbSource::Fixed(adb_of(&server)))
    });
    open_phone(&mut harness, "Wifi Phone");
    step_until(&mut harness, Duration::from_secs(10), "the offer", |h| {
        h.query_by_label("Use this phone over Wi-Fi").is_some()
    });
    harness.run_steps(2);
    harness.get_by_role_and_label(Role::Button, "Use this phone over Wi-Fi").click();
    step_until(&mut harness, Duration::from_secs(30), "the phone over Wi-Fi", |h| {
        h.query_by_label_contains("is connected over Wi-Fi at 127.").is_some()
    });
    let settings = Settings::load_checked(&home.settings_path()).expect("settings");
    let [remembered] = &settings.wifi[..] else { panic!("not remembered: {:?}", settings.wifi) };
    assert_eq!((remembered.phone_serial.as_str(), remembered.model.as_str()), ("APPWIFI1", "Wifi Phone"));
    let out = server.adb(&["-s", &remembered.address, "shell", "getprop", "ro.serialno"]);
    assert_eq!(text(&out.stdout).trim(), "APPWIFI1", "{}", said(&out));
}

use crate::secrets::PrivateKeyring;

#[test]
fn a_remembered_password_lets_the_agent_back_up_into_an_encrypted_folder_and_a_wrong_one_is_never_stored() {
    let keyring = match PrivateKeyring::with_keyring() {
        Ok(keyring) => keyring,
        Err(why) => return eprintln!("skipped: no private Secret Service ({why})"),
    };
    let server = AdbServer::start();
    let home = AgentHome::new();
    let dest = tempfile::tempdir().expect("backup folder");
    let password = "correct horse battery staple";
    phonebak::vault::Vault::create(dest.path(), &phonebak::vault::SecretString::from(password.to_string()))
        .expect("an encrypted folder");
    home.mark(&[("VAULT001", "Pixel 7", dest.path())]);
    let (storage, phone_) = phone_with("Pixel 7", "VAULT001", 4, 20_000, LinkModel::Unlimited);
    server.connect(&phone_, "device");
    let mut cmd = home.command(&server, &["agent", "--check-every", "1"]);
    keyring.point(&mut cmd);
    let child = cmd.stdout(Stdio::null()).stderr(Stdio::piped()).spawn().expect("agent");
    let mut agent = Agent { child, runtime: home.runtime() };
    // No password remembered: the agent says what to do and copies nothing.
    let status = agent.wait_for("the locked folder to be told", Duration::from_secs(15), |s| {
        phone(s, "VAULT001").is_some_and(|p| p.state == PhoneState::Failed)
    });
    let last = phone(&status, "VAULT001").and_then(|p| p.last.clone()).unwrap_or_default();
    assert!(
        last.contains("Remember the password on this computer") && last.contains("no password is remembered"),
        "{last}"
    );

    let remember = |given: &str| {
        let mut cmd = home.command(&server, &["agent", "remember-password", "--folder"]);
        cmd.arg(dest.path()).env("PHONEBAK_PASSWORD", given);
        keyring.point(&mut cmd);
        cmd.output().expect("remember-password")
    };
    // A wrong password is refused and never stored.
    let out = remember("wrong password");
    assert_eq!(out.status.code(), Some(1), "{}", said(&out));
    assert!(said(&out).contains("password"), "{}", said(&out));
    assert_eq!(keyring.lookup(dest.path()), "", "a wrong password was stored");
    // The right one is stored, and the agent's next check opens the folder and backs up.
    let out = remember(password);
    assert!(out.status.success(), "{}", said(&out));
    assert!(text(&out.stdout).contains("is remembered in this desktop's keyring"), "{}", said(&out));
    assert_eq!(keyring.lookup(dest.path()), password);
    agent.wait_for("the encrypted backup", Duration::from_secs(30), |s| {
        phone(s, "VAULT001").is_some_and(|p| p.runs == 1)
    });
    let out = home
        .command(&server, &["verify"])
        .arg(dest.path())
        .env("PHONEBAK_PASSWORD", password)
        .output()
        .expect("verify");
    assert!(out.status.success(), "{}", said(&out));
    assert!(!dest.path().join("Pixel 7 (VAULT001)").exists(), "photos in the clear in an encrypted folder");
    let _ = storage;

    // Forgotten: gone from the keyring.
    let mut cmd = home.command(&server, &["agent", "forget-password", "--folder"]);
    cmd.arg(dest.path());
    keyring.point(&mut cmd);
    let out = cmd.output().expect("forget-password");
    assert!(out.status.success() && text(&out.stdout).contains("is forgotten"), "{}", said(&out));
    assert_eq!(keyring.lookup(dest.path()), "");
}

#[test]
fn without_a_secret_service_remembering_a_password_says_so_plainly() {
    let server = AdbServer::start();
    let home = AgentHome::new();
    let dest = tempfile::tempdir().expect("backup folder");
    let password = "another good password";
    phonebak::vault::Vault::create(dest.path(), &phonebak::vault::SecretString::from(password.to_string()))
        .expect("an encrypted folder");
    // A session bus with nothing on it, and no session bus at all.
    let bare = PrivateKeyring::bus_only();
    for bus in [bare.as_ref().ok(), None] {
        let mut cmd = home.command(&server, &["agent", "remember-password", "--folder"]);
        cmd.arg(dest.path()).env("PHONEBAK_PASSWORD", password);
        if let Some(bus) = bus {
            bus.point(&mut cmd);
        }
        let out = cmd.output().expect("remember-password");
        assert_eq!(out.status.code(), Some(1), "{}", said(&out));
        assert!(said(&out).contains("No keyring is available on this desktop"), "{}", said(&out));
    }
}
