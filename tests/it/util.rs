//! Test helpers: a private adb server per test, and virtual phones to connect to it.

use phonebak::virtual_phone::{Config, VirtualPhone};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

/// A free TCP port on 127.0.0.1 for an adb server, below the kernel's ephemeral range (32768 and up on Linux)
/// and outside adb's emulator range. Asking the kernel for port 0 would race: the port is free when handed out,
/// but a virtual phone of another test (which binds port 0) could get the same one before the adb server
/// binds it. Ports are handed out once per test process, each checked free.
pub fn free_port() -> u16 {
    use std::sync::atomic::{AtomicU16, Ordering};
    // Start at a point that differs between processes, so two test binaries running at once rarely meet.
    static NEXT: AtomicU16 = AtomicU16::new(0);
    let _ =
        NEXT.compare_exchange(0, 20_000 + (std::process::id() % 500) as u16 * 20, Ordering::SeqCst, Ordering::SeqCst);
    loop {
        let port = NEXT.fetch_add(1, Ordering::SeqCst);
        assert!(port < 32_000, "no free port left below the ephemeral range");
        if TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
}

/// Debian's real `adb` with a server of its own on a private port (and a private HOME for its key), so tests
/// run in parallel without seeing each other's devices.
pub struct AdbServer {
    pub port: u16,
    home: tempfile::TempDir,
}

impl AdbServer {
    pub fn start() -> Self {
        let home = tempfile::tempdir().expect("adb home");
        let server = Self { port: free_port(), home };
        let out = server.adb(&["start-server"]);
        assert!(out.status.success(), "adb start-server failed: {}", String::from_utf8_lossy(&out.stderr));
        server
    }

    /// Runs `adb -P PORT ARGS...`.
    pub fn adb(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("run adb (install Debian's adb package)")
    }

    /// The `adb -P PORT ARGS...` command, to run in a custom way.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new("adb");
        cmd.env("HOME", self.home.path())
            .env_remove("ANDROID_SERIAL")
            .env_remove("ADB_SERVER_SOCKET")
            .arg("-P")
            .arg(self.port.to_string())
            .args(args);
        cmd
    }

    /// `adb -s SERIAL ARGS...` for the phone at `addr`.
    pub fn on(&self, phone: &VirtualPhone, args: &[&str]) -> Output {
        let serial = phone.addr().to_string();
        let mut all = vec!["-s", serial.as_str()];
        all.extend_from_slice(args);
        self.adb(&all)
    }

    /// Connects the phone and waits until `adb devices` lists it in `state`. A phone `adb devices` does not list
    /// at all a few seconds after `adb connect` said "connected" (the server dropped the new transport while it
    /// still cleaned up an earlier one of the same address, after a cable pull) is connected again, as a person
    /// would run `adb connect` again.
    pub fn connect(&self, phone: &VirtualPhone, state: &str) {
        let addr = phone.addr().to_string();
        for attempt in 0..3 {
            let out = self.adb(&["connect", &addr]);
            assert!(
                String::from_utf8_lossy(&out.stdout).contains("connected to"),
                "adb connect {addr}: {}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
            let start = Instant::now();
            loop {
                let now = self.state_of(phone);
                if now.as_deref() == Some(state) {
                    return;
                }
                if now.is_none() && start.elapsed() > Duration::from_secs(3) && attempt < 2 {
                    break;
                }
                assert!(
                    start.elapsed() < Duration::from_secs(10),
                    "phone never reached state {state:?}; last seen {now:?}"
                );
                std::thread::sleep(Duration::from_millis(50));
            }
        }
    }

    /// The state `adb devices` shows for the phone, if listed.
    pub fn state_of(&self, phone: &VirtualPhone) -> Option<String> {
        let out = self.adb(&["devices"]);
        let addr = phone.addr().to_string();
        String::from_utf8_lossy(&out.stdout).lines().find_map(|line| {
            let mut cols = line.split('\t');
            (cols.next() == Some(addr.as_str())).then(|| cols.next().unwrap_or("").to_string())
        })
    }

    pub fn wait_for_state(&self, phone: &VirtualPhone, state: &str, limit: Duration) {
        let start = Instant::now();
        loop {
            let now = self.state_of(phone);
            if now.as_deref() == Some(state) {
                return;
            }
            assert!(start.elapsed() < limit, "phone never reached state {state:?}; last seen {now:?}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for AdbServer {
    fn drop(&mut self) {
        let _ = self.adb(&["kill-server"]);
    }
}

/// A virtual phone serving a fresh temp directory, with the given config otherwise.
pub fn phone_with_dir(config: Config) -> (tempfile::TempDir, VirtualPhone) {
    let dir = tempfile::tempdir().expect("storage dir");
    let phone = VirtualPhone::start(Config {
        storage: phonebak::virtual_phone::StorageSource::Dir(dir.path().to_path_buf()),
        ..config
    })
    .expect("start virtual phone");
    (dir, phone)
}

/// Writes a file with the given content and modification time (seconds since the epoch).
pub fn write_file(path: &Path, content: &[u8], mtime: u64) {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).expect("mkdir");
    }
    std::fs::write(path, content).expect("write");
    set_mtime(path, mtime);
}

pub fn set_mtime(path: &Path, mtime: u64) {
    let file = std::fs::File::options().write(true).open(path).expect("open");
    file.set_modified(std::time::UNIX_EPOCH + Duration::from_secs(mtime)).expect("set mtime");
}

pub fn mtime_of(path: &Path) -> u64 {
    std::fs::metadata(path)
        .and_then(|m| m.modified())
        .expect("mtime")
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after epoch")
        .as_secs()
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Deterministic, incompressible-looking bytes.
pub fn noise(len: usize, seed: u64) -> Vec<u8> {
    let mut state = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 24) as u8
        })
        .collect()
}

pub fn tree_root(dir: &tempfile::TempDir) -> PathBuf {
    std::fs::canonicalize(dir.path()).expect("canonical")
}

/// Everything a command printed, stdout then stderr (adb prints some errors on either).
pub fn said(out: &Output) -> String {
    text(&out.stdout) + &text(&out.stderr)
}

/// Waits (up to 5 s) for a path to disappear: adbd removes a failed push's partial file only once the host
/// has finished sending, which can be just after the host reported the failure.
pub fn gone_soon(path: &Path) -> bool {
    let start = Instant::now();
    while path.exists() {
        if start.elapsed() > Duration::from_secs(5) {
            return false;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    true
}

/// File names a phone can hold that break careless tools: quotes, command substitutions, a newline, leading
/// dashes, bytes that are not UTF-8, tabs and runs of spaces, emoji, shell operators, a backslash.
pub const HOSTILE_NAMES: &[&[u8]] = &[
    b"it's a 'quote'.jpg",
    b"$(touch pwned).jpg",
    b"`touch pwned`.jpg",
    b"line\nbreak.jpg",
    b"-rf",
    b"--help.jpg",
    b"\xff\xfe not utf8 \xc3.jpg",
    b"  spaces  and\ttab .jpg",
    b"\xf0\x9f\x93\xb7 emoji \xf0\x9f\x8e\x89.jpg",
    b"semi;colon|pipe&amp>redir<in*star?.jpg",
    b"back\\slash \"double\".jpg",
];

/// Every file under `root` (phonebak's own `.phonebak` folder left out): path relative to `root` → (content,
/// mtime). Compares a phone's storage with a backup, or two phones.
pub fn tree(root: &Path) -> std::collections::BTreeMap<Vec<u8>, (Vec<u8>, u64)> {
    use std::os::unix::ffi::OsStrExt;
    fn walk(root: &Path, dir: &Path, out: &mut std::collections::BTreeMap<Vec<u8>, (Vec<u8>, u64)>) {
        for entry in std::fs::read_dir(dir).expect("read dir").flatten() {
            let path = entry.path();
            if entry.file_name() == ".phonebak" {
                continue;
            }
            if entry.file_type().expect("type").is_dir() {
                walk(root, &path, out);
            } else {
                // A file the phone is removing right now (a cut push's partial file) may vanish: skip it.
                let read =
                    std::fs::read(&path).and_then(|content| Ok((content, std::fs::metadata(&path)?.modified()?)));
                match read {
                    Ok((content, modified)) => {
                        let rel = path.strip_prefix(root).expect("inside").as_os_str().as_bytes().to_vec();
                        let mtime = modified.duration_since(std::time::UNIX_EPOCH).expect("after 1970").as_secs();
                        out.insert(rel, (content, mtime));
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => panic!("{}: {e}", path.display()),
                }
            }
        }
    }
    let mut out = std::collections::BTreeMap::new();
    walk(root, root, &mut out);
    out
}

/// The device layer's handle on a phone connected to `server`.
pub fn device_of(server: &AdbServer, phone: &VirtualPhone) -> phonebak::device::Device {
    let binary = phonebak::device::AdbSearch::from_env().find().expect("adb on PATH (install Debian's adb package)");
    phonebak::device::Adb::new(binary, server.port).device(&phone.addr().to_string()).expect("device")
}

/// Plugs a phone back in after a cable pull: waits until it answers, then disconnects and connects it (the adb
/// server keeps a restarted TCP phone offline until then).
pub fn replug(server: &AdbServer, phone: &VirtualPhone) -> phonebak::device::Device {
    let deadline = Instant::now() + Duration::from_secs(15);
    let addr = phone.addr().to_string();
    let _ = server.adb(&["disconnect", &addr]);
    // The phone may still be going down when first reached: connect until it answers.
    while !text(&server.adb(&["connect", &addr]).stdout).contains("connected to") {
        assert!(Instant::now() < deadline, "the phone never came back");
        std::thread::sleep(Duration::from_millis(50));
    }
    server.wait_for_state(phone, "device", Duration::from_secs(10));
    device_of(server, phone)
}

/// Runs the real `phonebak ARGS...` against `server`, with its log in a throwaway data folder.
pub fn phonebak<S: AsRef<std::ffi::OsStr>>(server: &AdbServer, args: &[S]) -> Output {
    let data = tempfile::tempdir().expect("data dir");
    Command::new(env!("CARGO_BIN_EXE_phonebak"))
        .args(args)
        .env("ANDROID_ADB_SERVER_PORT", server.port.to_string())
        .env("XDG_DATA_HOME", data.path())
        .env_remove("ANDROID_SERIAL")
        // Text output and --since/--until are in local time: the tests' dates are UTC.
        .env("TZ", "UTC")
        .output()
        .expect("run phonebak")
}

/// The password the tests' encrypted backup folders are made with.
pub const PASSWORD: &str = "correct horse battery staple";

/// Like [`phonebak`], with [`PASSWORD`] in `PHONEBAK_PASSWORD` (an encrypted folder asks for it) and no
/// terminal to ask on.
pub fn phonebak_with_password<S: AsRef<std::ffi::OsStr>>(server: &AdbServer, args: &[S]) -> Output {
    let data = tempfile::tempdir().expect("data dir");
    Command::new(env!("CARGO_BIN_EXE_phonebak"))
        .args(args)
        .env("ANDROID_ADB_SERVER_PORT", server.port.to_string())
        .env("XDG_DATA_HOME", data.path())
        .env("PHONEBAK_PASSWORD", PASSWORD)
        .env_remove("ANDROID_SERIAL")
        .env("TZ", "UTC")
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run phonebak")
}

/// The JSON lines a `--json` command printed.
pub fn json_lines(out: &Output) -> Vec<serde_json::Value> {
    text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}\n{}", said(out))))
        .collect()
}

/// The first JSON line whose `event` is `name`.
pub fn event<'a>(lines: &'a [serde_json::Value], name: &str) -> &'a serde_json::Value {
    lines.iter().find(|l| l["event"] == name).unwrap_or_else(|| panic!("no {name} event in {lines:?}"))
}

/// A virtual X display (Xvfb) for running the real app, gone when dropped.
pub struct VirtualDisplay {
    /// `:N`, for `DISPLAY`.
    pub display: String,
    child: std::process::Child,
}

impl VirtualDisplay {
    /// Starts Xvfb on a free display (it picks one and writes its number), 1280×900.
    pub fn start() -> std::io::Result<Self> {
        use std::io::{BufRead, BufReader};
        let mut child = Command::new("Xvfb")
            .args(["-displayfd", "1", "-screen", "0", "1280x900x24", "-nolisten", "tcp"])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()?;
        let mut line = String::new();
        if let Some(out) = child.stdout.take() {
            BufReader::new(out).read_line(&mut line)?;
        }
        Ok(Self { display: format!(":{}", line.trim()), child })
    }

    /// The whole screen, taken with imagemagick's `import`, if it could be taken.
    #[must_use]
    pub fn screenshot(&self) -> Option<image::RgbImage> {
        let shot =
            Command::new("import").args(["-display", &self.display, "-window", "root", "png:-"]).output().ok()?;
        image::load_from_memory_with_format(&shot.stdout, image::ImageFormat::Png)
            .ok()
            .map(image::DynamicImage::into_rgb8)
    }

    /// Starts the real `phonebak ARGS...` on this display against `server`, with its data, settings and cache
    /// under `home`.
    pub fn start_app(
        &self,
        server: &AdbServer,
        home: &Path,
        args: &[&str],
        stderr: std::process::Stdio,
    ) -> std::io::Result<std::process::Child> {
        Command::new(env!("CARGO_BIN_EXE_phonebak"))
            .args(args)
            .env("DISPLAY", &self.display)
            .env_remove("WAYLAND_DISPLAY")
            .env("ANDROID_ADB_SERVER_PORT", server.port.to_string())
            .env("XDG_DATA_HOME", home.join("data"))
            .env("XDG_CONFIG_HOME", home.join("config"))
            .env("XDG_CACHE_HOME", home.join("cache"))
            .stdout(std::process::Stdio::null())
            .stderr(stderr)
            .spawn()
    }
}

impl Drop for VirtualDisplay {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A small tmpfs, unmounted when dropped.
pub struct Tmpfs(pub PathBuf, #[allow(dead_code)] tempfile::TempDir);

impl Tmpfs {
    /// Mounts a tmpfs of `bytes` on a fresh temporary folder (root only; the reason when not possible).
    pub fn mount(bytes: u64) -> Result<Self, String> {
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={bytes}"), "tmpfs"])
            .arg(dir.path())
            .output()
            .map_err(|e| format!("cannot run mount: {e}"))?;
        if !out.status.success() {
            return Err(format!("mount -t tmpfs failed (not root?): {}", String::from_utf8_lossy(&out.stderr).trim()));
        }
        Ok(Self(dir.path().to_path_buf(), dir))
    }
}

/// A small tmpfs for a test, or `None` after printing why the test is skipped (not root, no mount).
pub fn tmpfs_or_skip(bytes: u64) -> Option<Tmpfs> {
    match Tmpfs::mount(bytes) {
        Ok(disk) => Some(disk),
        Err(why) => {
            eprintln!("skipped: {why}");
            None
        }
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).output();
    }
}

/// Has the phone's media store index the folder `rel` (below the storage root) as the camera app would have,
/// through `content call ... scan_file` (Android 11+): its photos get gallery rows.
pub fn index_folder(server: &AdbServer, phone: &VirtualPhone, rel: &str) {
    let path = format!("'/storage/emulated/0/{}'", rel.replace('\'', "'\\''"));
    let command = format!("content call --uri content://media --method scan_file --arg {path}");
    let out = server.on(phone, &["shell", &command]);
    assert!(out.status.success() && out.stderr.is_empty(), "{}", said(&out));
}

/// Tells the gallery about `paths` (below the storage root) as a camera app would.
pub fn tell_gallery(server: &AdbServer, phone: &VirtualPhone, paths: &[&str]) {
    for path in paths {
        let encoded: String = path
            .bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() || b == b'.' || b == b'/' {
                    (b as char).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect();
        let uri = format!("file:///storage/emulated/0/{encoded}");
        let action = "android.intent.action.MEDIA_SCANNER_SCAN_FILE";
        let told = server.on(phone, &["shell", "am", "broadcast", "-a", action, "-d", &uri]);
        assert!(told.status.success(), "{}", said(&told));
    }
}
