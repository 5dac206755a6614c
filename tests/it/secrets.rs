//! "Remember the password on this computer": the passwords of encrypted backup folders in a real Secret Service
//! (gnome-keyring-daemon) on a private D-Bus session, through `phonebak agent remember-password` /
//! `forget-password` and the library's `secrets::Keyring`, with `secret-tool` looking into the keyring.

use crate::util::{said, text};
use phonebak::secrets::{Keyring, SecretsError};
use phonebak::vault::{SecretString, Vault};
use std::io::Write as _;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// A private session bus that activates nothing by itself (no service folders), and, when asked, a real
/// Secret Service on it: gnome-keyring-daemon in the foreground with an unlocked login keyring in a temporary
/// home. Both are killed, and the home removed, when it is dropped (gnome-keyring-daemon does not leave when its
/// bus goes).
pub struct PrivateKeyring {
    address: String,
    bus: Child,
    keyring: Option<Child>,
    home: tempfile::TempDir,
}

impl PrivateKeyring {
    /// Just the bus: nobody serves the Secret Service on it.
    pub fn bus_only() -> Result<Self, String> {
        use std::io::BufRead;
        let home = tempfile::tempdir().map_err(|e| e.to_string())?;
        let config = home.path().join("bus.conf");
        std::fs::write(
            &config,
            format!(
                "<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN\" \
                 \"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n<busconfig><type>session</type>\
                 <listen>unix:dir={}</listen><auth>EXTERNAL</auth><policy context=\"default\">\
                 <allow send_destination=\"*\" eavesdrop=\"true\"/><allow eavesdrop=\"true\"/><allow own=\"*\"/>\
                 <allow receive_sender=\"*\"/></policy></busconfig>\n",
                home.path().display()
            ),
        )
        .map_err(|e| e.to_string())?;
        let mut bus = Command::new("dbus-daemon")
            .arg(format!("--config-file={}", config.display()))
            .args(["--nofork", "--print-address=1"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("dbus-daemon cannot run ({e}); install the dbus-daemon package"))?;
        let mut address = String::new();
        let read = bus.stdout.take().map(|out| std::io::BufReader::new(out).read_line(&mut address));
        let mut this = Self { address: address.trim().to_string(), bus, keyring: None, home };
        match read {
            Some(Ok(n)) if n > 0 => Ok(this),
            other => {
                this.address.clear();
                Err(format!("dbus-daemon printed no address ({other:?})"))
            }
        }
    }

    /// The bus with gnome-keyring-daemon's Secret Service on it, its login keyring made and unlocked.
    pub fn with_keyring() -> Result<Self, String> {
        let mut this = Self::bus_only()?;
        // The login keyring is made with (and unlocked by) the password on stdin; an empty one makes none.
        let mut daemon = this
            .command("gnome-keyring-daemon")
            .args(["--foreground", "--login"])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("gnome-keyring-daemon cannot run ({e}); install the gnome-keyring package"))?;
        let fed = daemon.stdin.take().map(|mut stdin| stdin.write_all(b"login password"));
        this.keyring = Some(daemon);
        if !matches!(fed, Some(Ok(()))) {
            return Err(format!("gnome-keyring-daemon did not take its password: {fed:?}"));
        }
        // Ready once its control socket is there; then `--start` asks that daemon (not a new one) for the
        // Secret Service.
        let control = this.home.path().join("run/keyring/control");
        let start = Instant::now();
        while !control.exists() {
            if start.elapsed() > Duration::from_secs(10) {
                return Err("gnome-keyring-daemon made no control socket within 10 s".to_string());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let out = this
            .command("gnome-keyring-daemon")
            .args(["--start", "--components=secrets"])
            .stdin(Stdio::null())
            .output()
            .map_err(|e| e.to_string())?;
        if !out.status.success() {
            return Err(format!("gnome-keyring-daemon --start: {}", said(&out)));
        }
        Ok(this)
    }

    /// The library's view of this keyring.
    pub fn keyring(&self) -> Keyring {
        Keyring::at(&self.address)
    }

    /// A command run with this bus and the keyring's home.
    pub fn command(&self, program: &str) -> Command {
        let run = self.home.path().join("run");
        let _ = std::fs::create_dir_all(&run);
        let mut cmd = Command::new(program);
        self.point(&mut cmd);
        cmd.env("HOME", self.home.path())
            .env("XDG_DATA_HOME", self.home.path().join("data"))
            .env("XDG_CONFIG_HOME", self.home.path().join("config"))
            .env("XDG_RUNTIME_DIR", run);
        cmd
    }

    /// Points `cmd` at this bus.
    pub fn point(&self, cmd: &mut Command) {
        cmd.env("DBUS_SESSION_BUS_ADDRESS", &self.address);
    }

    /// What `secret-tool lookup application phonebak folder FOLDER` finds.
    pub fn lookup(&self, folder: &Path) -> String {
        let canonical = folder.canonicalize().expect("canonical");
        let out = self
            .command("secret-tool")
            .args(["lookup", "application", "phonebak", "folder"])
            .arg(&canonical)
            .output()
            .expect("secret-tool (libsecret-tools)");
        text(&out.stdout)
    }

    /// The `vault` attribute of the password remembered for `folder` (from `secret-tool search`).
    fn vault_attribute(&self, folder: &Path) -> Option<String> {
        let canonical = folder.canonicalize().expect("canonical");
        let out = self
            .command("secret-tool")
            .args(["search", "--all", "application", "phonebak", "folder"])
            .arg(&canonical)
            .output()
            .expect("secret-tool (libsecret-tools)");
        said(&out).lines().find_map(|l| l.strip_prefix("attribute.vault = ").map(str::to_string))
    }

    /// Freezes the keyring daemon (SIGSTOP): it keeps its name on the bus and answers nothing.
    fn freeze(&self) {
        let pid = self.keyring.as_ref().expect("a keyring daemon").id();
        let status = Command::new("kill").args(["-STOP", &pid.to_string()]).status().expect("kill");
        assert!(status.success());
    }
}

impl Drop for PrivateKeyring {
    fn drop(&mut self) {
        for child in self.keyring.iter_mut().chain([&mut self.bus]) {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// A private keyring for a test, or `None` after printing why the test is skipped.
fn keyring_or_skip() -> Option<PrivateKeyring> {
    match PrivateKeyring::with_keyring() {
        Ok(keyring) => Some(keyring),
        Err(why) => {
            eprintln!("skipped: no private Secret Service ({why})");
            None
        }
    }
}

/// An encrypted backup folder made with `password`.
fn encrypted_folder(password: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("backup folder");
    Vault::create(dir.path(), &SecretString::from(password.to_string())).expect("an encrypted folder");
    dir
}

/// `phonebak agent SUBCOMMAND --folder DIR` on the keyring's bus, `stdin` piped in (not a terminal).
fn agent_cli(keyring: &PrivateKeyring, subcommand: &str, folder: &Path, stdin: &[u8]) -> Output {
    let mut child = keyring
        .command(env!("CARGO_BIN_EXE_phonebak"))
        .args(["agent", subcommand, "--folder"])
        .arg(folder)
        .env_remove("PHONEBAK_PASSWORD")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("phonebak");
    if let Some(mut input) = child.stdin.take() {
        // A command that refuses before reading its stdin closes it: what it said is what counts.
        let _ = input.write_all(stdin);
    }
    child.wait_with_output().expect("phonebak")
}

fn recalled(keyring: &Keyring, folder: &Path) -> Option<String> {
    use age::secrecy::ExposeSecret as _;
    keyring.recall(folder).expect("recall").map(|p| p.expose_secret().to_string())
}

#[test]
fn remember_password_reads_stdin_stores_only_a_password_that_opens_the_folder_and_forget_password_removes_it() {
    let Some(keyring) = keyring_or_skip() else { return };
    let password = "correct horse battery staple";
    let dest = encrypted_folder(password);

    // A wrong password is refused and nothing is stored.
    let out = agent_cli(&keyring, "remember-password", dest.path(), b"wrong password\n");
    assert_eq!(out.status.code(), Some(1), "{}", said(&out));
    assert!(said(&out).contains("Nothing was remembered") && said(&out).contains("password"), "{}", said(&out));
    assert_eq!(keyring.lookup(dest.path()), "", "a wrong password was stored");
    assert_eq!(recalled(&keyring.keyring(), dest.path()), None);

    // The right one, the first line of stdin, is stored for this folder.
    let out = agent_cli(&keyring, "remember-password", dest.path(), format!("{password}\n").as_bytes());
    assert!(out.status.success(), "{}", said(&out));
    assert!(text(&out.stdout).contains("is remembered in this desktop's keyring"), "{}", said(&out));
    assert_eq!(keyring.lookup(dest.path()), password);
    assert_eq!(recalled(&keyring.keyring(), dest.path()).as_deref(), Some(password));
    assert!(keyring.keyring().open(dest.path()).expect("open").is_some(), "the remembered password opens it");
    let other = encrypted_folder(password);
    assert_eq!(recalled(&keyring.keyring(), other.path()), None, "only for that folder");

    // Forgotten: gone, and forgetting again says there was nothing.
    let out = agent_cli(&keyring, "forget-password", dest.path(), b"");
    assert!(out.status.success() && text(&out.stdout).contains("is forgotten"), "{}", said(&out));
    assert_eq!(keyring.lookup(dest.path()), "");
    assert_eq!(recalled(&keyring.keyring(), dest.path()), None);
    let out = agent_cli(&keyring, "forget-password", dest.path(), b"");
    assert!(out.status.success() && text(&out.stdout).contains("No password was remembered"), "{}", said(&out));

    // A plain folder has no password to remember.
    let plain = tempfile::tempdir().expect("plain folder");
    let out = agent_cli(&keyring, "remember-password", plain.path(), format!("{password}\n").as_bytes());
    assert_eq!(out.status.code(), Some(1), "{}", said(&out));
    assert!(said(&out).contains("is not an encrypted backup folder"), "{}", said(&out));
}

#[test]
fn a_new_encrypted_folder_at_the_same_path_and_a_stale_password_count_as_nothing_remembered() {
    let Some(private) = keyring_or_skip() else { return };
    let keyring = private.keyring();
    let dest = encrypted_folder("the first folder's password");
    keyring.remember(dest.path(), &SecretString::from("the first folder's password".to_string())).expect("remember");
    assert_eq!(recalled(&keyring, dest.path()).as_deref(), Some("the first folder's password"));

    // Another encrypted folder made at the same path: the old password is still in the keyring, and not its.
    std::fs::remove_dir_all(dest.path().join(".phonebak")).expect("remove the first key");
    Vault::create(dest.path(), &SecretString::from("the second password".to_string())).expect("second folder");
    assert_eq!(private.lookup(dest.path()), "the first folder's password");
    assert_eq!(recalled(&keyring, dest.path()), None);
    assert!(keyring.open(dest.path()).expect("open").is_none());

    // Remembering the new one replaces the old.
    keyring.remember(dest.path(), &SecretString::from("the second password".to_string())).expect("remember");
    assert_eq!(private.lookup(dest.path()), "the second password");
    assert!(keyring.open(dest.path()).expect("open").is_some());

    // A remembered password that no longer opens the folder (changed behind phonebak's back) opens nothing,
    // and is no error.
    let vault = private.vault_attribute(dest.path()).expect("the vault attribute");
    let canonical = dest.path().canonicalize().expect("canonical");
    let mut store = private.command("secret-tool");
    store.args(["store", "--label=stale", "application", "phonebak", "folder"]).arg(&canonical).args(["vault", &vault]);
    let mut child = store.stdin(Stdio::piped()).spawn().expect("secret-tool store");
    child.stdin.take().expect("stdin").write_all(b"a stale password").expect("stdin");
    assert!(child.wait().expect("secret-tool").success());
    assert_eq!(recalled(&keyring, dest.path()).as_deref(), Some("a stale password"));
    assert!(keyring.open(dest.path()).expect("a stale password is no error").is_none());
}

#[test]
fn without_a_secret_service_the_keyring_is_unavailable_at_once_and_a_silent_one_is_given_up_in_time() {
    let dest = encrypted_folder("a password");
    let password = SecretString::from("a password".to_string());
    // No session bus at all, and a bus where nobody serves org.freedesktop.secrets.
    let nowhere = Keyring::at("unix:path=/nonexistent/phonebak-test-bus");
    let bare = PrivateKeyring::bus_only();
    let keyrings: Vec<Keyring> =
        [Some(nowhere), bare.as_ref().ok().map(PrivateKeyring::keyring)].into_iter().flatten().collect();
    for keyring in &keyrings {
        let start = Instant::now();
        let err = keyring.remember(dest.path(), &password).expect_err("nothing to remember into");
        assert!(matches!(err, SecretsError::Unavailable(_)), "{err:?}");
        assert!(err.to_string().starts_with("No keyring is available on this desktop"), "{err}");
        assert!(matches!(keyring.recall(dest.path()), Err(SecretsError::Unavailable(_))));
        assert!(start.elapsed() < Duration::from_secs(5), "took {:?}", start.elapsed());
    }
    if let Err(why) = bare {
        eprintln!("skipped the private bus: {why}");
    }

    // A Secret Service that owns its name and never answers.
    let Some(frozen) = keyring_or_skip() else { return };
    frozen.freeze();
    let start = Instant::now();
    let err = frozen.keyring().with_patience(Duration::from_secs(2)).recall(dest.path()).expect_err("no answer");
    assert!(matches!(err, SecretsError::TimedOut { after_secs: 2 }), "{err:?}");
    assert!(start.elapsed() < Duration::from_secs(4), "took {:?}", start.elapsed());
}

#[test]
fn remember_password_without_a_secret_service_says_so_plainly_and_fails() {
    let dest = encrypted_folder("another good password");
    let Ok(bare) = PrivateKeyring::bus_only() else { return eprintln!("skipped: dbus-daemon cannot run") };
    let out = agent_cli(&bare, "remember-password", dest.path(), b"another good password\n");
    assert_eq!(out.status.code(), Some(1), "{}", said(&out));
    assert!(said(&out).contains("No keyring is available on this desktop"), "{}", said(&out));
    assert!(said(&out).contains("the automatic backup will ask you to unlock the folder"), "{}", said(&out));
}

/// The app with `keyring` as the desktop's keyring, a phone open on the Backup screen and the encrypted
/// folder `dest` (made with `password`) chosen: it asks for the password.
fn app_unlocking(
    server: &crate::util::AdbServer,
    keyring: Keyring,
    dest: &Path,
    password: &str,
) -> egui_kittest::Harness<'static, phonebak::gui::App> {
    use crate::gui::{adb_of, app_harness_with, open_phone, step_until};
    use egui_kittest::kittest::Queryable as _;
    use phonebak::gui::egui::Role;
    use phonebak::gui::{AdbSource, Options};
    let mut harness = app_harness_with(Options { keyring, ..Options::with_adb(AdbSource::Fixed(adb_of(server))) });
    open_phone(&mut harness, "Keyring Phone");
    harness.state_mut().set_backup_folder(dest.to_path_buf());
    step_until(&mut harness, Duration::from_secs(10), "the locked folder", |h| h.query_by_label("Unlock…").is_some());
    harness.run_steps(2);
    harness.get_by_role_and_label(Role::Button, "Unlock…").click();
    harness.run_steps(3);
    harness
        .get_by_role_and_label(Role::CheckBox, "Remember the password on this computer (for the automatic backup)")
        .click();
    harness.run_steps(2);
    let field = harness.get_by_role_and_label(Role::PasswordInput, "Password");
    field.focus();
    field.type_text(password);
    harness.run_steps(2);
    harness.get_by_role_and_label(Role::Button, "Unlock").click();
    harness
}

#[test]
fn the_apps_remember_checkbox_stores_the_password_when_the_folder_opens_and_without_a_keyring_says_so() {
    use crate::gui::{phone_with_photos, step_until};
    use egui_kittest::kittest::Queryable as _;
    let Some(private) = keyring_or_skip() else { return };
    let server = crate::util::AdbServer::start();
    let (_storage, phone) = phone_with_photos("Keyring Phone", "KEYRING1", 2);
    server.connect(&phone, "device");
    let password = "the app's folder password";
    let dest = encrypted_folder(password);

    // No Secret Service on the bus: the folder opens all the same, and a note says why nothing was remembered.
    let bare = PrivateKeyring::bus_only().expect("a bare bus");
    let mut harness = app_unlocking(&server, bare.keyring(), dest.path(), password);
    step_until(&mut harness, Duration::from_secs(30), "the note", |h| {
        h.query_by_label_contains("The password was not remembered: No keyring is available").is_some()
    });
    step_until(&mut harness, Duration::from_secs(10), "the folder to open all the same", |h| {
        h.state().backup_view().is_some_and(|v| !v.locked && v.backed_up.is_some())
    });
    drop(harness);

    // With one: stored, tied to the folder, and said.
    let mut harness = app_unlocking(&server, private.keyring(), dest.path(), password);
    step_until(&mut harness, Duration::from_secs(30), "the note", |h| {
        h.query_by_label_contains("The password is remembered on this computer").is_some()
    });
    assert_eq!(private.lookup(dest.path()), password);
    assert!(private.keyring().open(dest.path()).expect("open").is_some());
}
