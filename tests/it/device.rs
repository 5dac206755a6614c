//! The device layer (`phonebak::device`) against virtual phones through Debian's real adb server: device
//! states and guidance, real shell exit codes, hostile file names, files over 4 GiB, pushes that keep their
//! mtime, and finding adb.

use crate::util::{
    AdbServer, HOSTILE_NAMES, free_port, gone_soon, mtime_of, noise, phone_with_dir, set_mtime, text, write_file,
};
use phonebak::device::{Adb, AdbSearch, DeviceError, DeviceState, TcpConnect, command_line, install_help, quote};
use phonebak::virtual_phone::{AndroidVersion, AuthMode, Config, Fault, PullPoint, VirtualPhone};
use std::path::Path;
use std::time::{Duration, Instant};

/// The device layer's view of a test's private adb server, using the adb found on PATH.
fn adb_for(server: &AdbServer) -> Adb {
    let binary = AdbSearch::from_env().find().expect("adb on PATH (install Debian's adb package)");
    Adb::new(binary, server.port)
}

/// A ready phone: connected to a private server, and the device layer's handle on it.
fn ready(config: Config) -> (AdbServer, tempfile::TempDir, VirtualPhone, phonebak::device::Device) {
    let server = AdbServer::start();
    let (dir, phone) = phone_with_dir(config);
    server.connect(&phone, "device");
    let device = adb_for(&server).device(&phone.addr().to_string()).expect("device");
    (server, dir, phone, device)
}

/// Polls the device list until the phone is in `state`.
fn wait_for(adb: &Adb, serial: &str, state: &DeviceState, limit: Duration) -> phonebak::device::DeviceEntry {
    let start = Instant::now();
    loop {
        let list = adb.devices().expect("devices");
        if let Some(entry) = list.iter().find(|d| d.serial == serial && d.state == *state) {
            return entry.clone();
        }
        assert!(start.elapsed() < limit, "{serial} never became {state:?}: {list:?}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn host_name(name: &[u8]) -> &Path {
    use std::os::unix::ffi::OsStrExt;
    Path::new(std::ffi::OsStr::from_bytes(name))
}

/// Fails if a `pwned` file appeared anywhere under `root` or in the current directory.
fn assert_nothing_ran(root: &Path) {
    fn walk(dir: &Path) {
        for entry in std::fs::read_dir(dir).expect("read dir").flatten() {
            let name = entry.file_name();
            assert_ne!(name.to_string_lossy(), "pwned", "a file name ran as a command: {}", entry.path().display());
            if entry.file_type().is_ok_and(|t| t.is_dir()) {
                walk(&entry.path());
            }
        }
    }
    walk(root);
    assert!(!Path::new("pwned").exists(), "a file name ran as a command in the test's directory");
}

#[test]
fn devices_lists_a_ready_phone_with_its_model_and_no_guidance() {
    let server = AdbServer::start();
    let (_dir, phone) = phone_with_dir(Config { model: "Galaxy S23".into(), ..Config::default() });
    server.connect(&phone, "device");
    let adb = adb_for(&server);
    let list = adb.devices().expect("devices");
    let entry = list.iter().find(|d| d.serial == phone.addr().to_string()).expect("listed");
    assert_eq!(entry.state, DeviceState::Device);
    assert_eq!(entry.model.as_deref(), Some("Galaxy_S23"));
    assert_eq!(entry.display_name(), "Galaxy S23");
    assert!(entry.transport_id.is_some());
    assert_eq!(entry.usb_path, None, "a TCP phone has no USB port");
    assert!(entry.guidance().is_empty());
    assert!(adb.server_version().expect("version") >= 39);
}

#[test]
fn connect_brings_a_tcp_phone_to_the_device_state() {
    let server = AdbServer::start();
    let (_dir, phone) = phone_with_dir(Config::default());
    let adb = adb_for(&server);
    let serial = phone.addr().to_string();
    assert_eq!(adb.connect(&serial).expect("connect"), TcpConnect::Connected);
    wait_for(&adb, &serial, &DeviceState::Device, Duration::from_secs(10));
    assert_eq!(adb.connect(&serial).expect("connect again"), TcpConnect::AlreadyConnected);
    adb.disconnect(&serial).expect("disconnect");
    // The server drops the transport on its own threads after answering: the phone leaves the list soon after,
    // not necessarily before the next request (seen once in CI).
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while adb.devices().expect("devices").iter().any(|d| d.serial == serial) {
        assert!(std::time::Instant::now() < deadline, "{serial} still listed 5 s after the disconnect");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn connecting_to_nothing_says_what_to_check() {
    let server = AdbServer::start();
    let adb = adb_for(&server);
    let err = adb.connect(&format!("127.0.0.1:{}", free_port())).expect_err("nothing listens there");
    assert!(err.to_string().contains("wireless debugging"), "{err}");
}

#[test]
fn a_rejected_computer_is_listed_unauthorized_with_tap_allow_guidance() {
    let server = AdbServer::start();
    let (_dir, phone) = phone_with_dir(Config { auth: AuthMode::Rejected, ..Config::default() });
    let adb = adb_for(&server);
    let serial = phone.addr().to_string();
    let outcome = adb.connect(&serial).expect("connect");
    assert!(matches!(outcome, TcpConnect::NeedsAuthorization | TcpConnect::Connected), "{outcome:?}");
    let entry = wait_for(&adb, &serial, &DeviceState::Unauthorized, Duration::from_secs(5));
    assert!(entry.guidance().contains("tap Allow"), "{}", entry.guidance());
    assert!(entry.guidance().contains("Always allow from this computer"), "{}", entry.guidance());
    let err = adb.device(&serial).expect_err("an unauthorized phone cannot be used");
    assert!(matches!(err, DeviceError::NotReady { .. }), "{err:?}");
    assert!(err.to_string().contains("unauthorized") && err.to_string().contains("tap Allow"), "{err}");
}

#[test]
fn a_prompted_phone_is_unauthorized_until_allowed_then_ready() {
    let server = AdbServer::start();
    let (_dir, phone) =
        phone_with_dir(Config { auth: AuthMode::Prompt(Duration::from_millis(1500)), ..Config::default() });
    let adb = adb_for(&server);
    let serial = phone.addr().to_string();
    adb.connect(&serial).expect("connect");
    wait_for(&adb, &serial, &DeviceState::Unauthorized, Duration::from_secs(5));
    wait_for(&adb, &serial, &DeviceState::Device, Duration::from_secs(10));
    let device = adb.device(&serial).expect("ready after Allow");
    assert_eq!(device.shell(b"true").expect("shell").exit_code, 0);
}

#[test]
fn a_pulled_cable_shows_the_phone_offline_or_gone_with_guidance() {
    let (server, _dir, phone, device) = ready(Config::default());
    let adb = adb_for(&server);
    let serial = phone.addr().to_string();
    phone.inject(Fault::CablePull { at: PullPoint::AfterBytes(0), offline: Duration::from_secs(6) });
    // Any traffic trips the fault.
    let _ = device.shell(b"echo hi");
    let start = Instant::now();
    let entry = loop {
        let list = adb.devices().expect("devices");
        match list.iter().find(|d| d.serial == serial) {
            Some(e) if e.state != DeviceState::Device => break Some(e.clone()),
            None => break None,
            Some(_) => {}
        }
        assert!(start.elapsed() < Duration::from_secs(5), "still listed as a device: {list:?}");
        std::thread::sleep(Duration::from_millis(50));
    };
    if let Some(entry) = &entry {
        assert_eq!(entry.state, DeviceState::Offline, "{entry:?}");
        assert!(entry.guidance().contains("unplug"), "{}", entry.guidance());
    }
    let err = device.shell(b"true").expect_err("an unplugged phone cannot run commands");
    assert!(err.is_connection_lost(), "{err:?}");
    let err = adb.device(&serial).expect_err("an unplugged phone is not ready");
    assert!(matches!(err, DeviceError::NotReady { .. } | DeviceError::NotConnected { .. }), "{err:?}");
    assert!(err.to_string().contains("cable") || err.to_string().contains("unplug"), "{err}");
}

#[test]
fn shell_gives_real_exit_codes_and_keeps_stderr_apart() {
    let (_server, _dir, _phone, device) = ready(Config::default());
    assert!(device.has_feature("shell_v2"), "{:?}", device.features());
    let ok = device.shell(b"echo hello").expect("shell");
    assert_eq!((ok.exit_code, ok.stdout.as_slice(), ok.stderr.as_slice()), (0, &b"hello\n"[..], &b""[..]));
    assert_eq!(device.shell(b"false").expect("shell").exit_code, 1);
    assert_eq!(device.shell(b"exit 42").expect("shell").exit_code, 42);
    let unknown = device.shell(b"frobnicate").expect("shell");
    assert_eq!(unknown.exit_code, 127);
    assert_eq!(unknown.stderr_text(), "/system/bin/sh: frobnicate: inaccessible or not found\n");
    assert!(unknown.stdout.is_empty());
    let missing = device.shell(b"echo out; ls /sdcard/nope").expect("shell");
    assert_eq!(missing.exit_code, 1);
    assert_eq!(missing.stdout_text(), "out\n");
    assert_eq!(missing.stderr_text(), "ls: /sdcard/nope: No such file or directory\n");
}

#[test]
fn shell_output_larger_than_a_packet_arrives_whole() {
    let (_server, dir, _phone, device) = ready(Config::default());
    let content = noise(3 << 20, 21);
    write_file(&dir.path().join("Download/blob.bin"), &content, 1_500_000_000);
    let out = device.shell(b"cat /sdcard/Download/blob.bin").expect("shell");
    assert_eq!(out.exit_code, 0);
    assert!(out.stdout == content, "cat output differs ({} bytes)", out.stdout.len());
}

#[test]
fn info_reports_maker_model_android_serial_and_storage() {
    let (_server, _dir, phone, device) = ready(Config {
        model: "Galaxy S23".into(),
        serial: "R5CT123ABC".into(),
        android: AndroidVersion { release: 13, sdk: 33 },
        capacity_bytes: 64 << 30,
        ..Config::default()
    });
    let info = device.info().expect("info");
    assert_eq!(info.manufacturer, "phonebak");
    assert_eq!(info.model, "Galaxy S23");
    assert_eq!((info.android_release.as_str(), info.sdk), ("13", 33));
    assert_eq!(info.serial, "R5CT123ABC");
    assert_eq!(info.adb_serial, phone.addr().to_string());
    let storage = info.storage.expect("df answered");
    assert!(storage.total_bytes > 60 << 30 && storage.total_bytes <= 64 << 30, "{storage:?}");
    assert!(storage.free_bytes <= storage.total_bytes, "{storage:?}");
}

#[test]
fn hostile_names_round_trip_through_quote_and_the_shell_without_running() {
    let (_server, dir, _phone, device) = ready(Config::default());
    let folder = dir.path().join("DCIM/Hostile");
    for (i, name) in HOSTILE_NAMES.iter().enumerate() {
        write_file(&folder.join(host_name(name)), &noise(100 + i, i as u64), 1_500_000_000 + i as u64);
    }
    for (i, name) in HOSTILE_NAMES.iter().enumerate() {
        let mut path = b"/sdcard/DCIM/Hostile/".to_vec();
        path.extend_from_slice(name);
        // printf prints its argument exactly: the quoted word's value is the name, byte for byte.
        let mut cmd = b"printf %s ".to_vec();
        cmd.extend_from_slice(&quote(name));
        let echoed = device.shell(&cmd).expect("shell");
        assert_eq!(echoed.stdout, *name, "printf of {:?}", text(name));
        // The file itself, through a toybox command with `--` before the path.
        let out = device.shell_args(&[&b"stat"[..], b"-c", b"%s", b"--", &path]).expect("shell");
        assert_eq!(
            (out.exit_code, out.stdout_text()),
            (0, format!("{}\n", 100 + i)),
            "{:?} {}",
            text(name),
            out.stderr_text()
        );
        // A copy made by the phone's shell lands under the same name plus a suffix.
        let mut copy = path.clone();
        copy.extend_from_slice(b".copy");
        let mut cmd = b"cat -- ".to_vec();
        cmd.extend_from_slice(&quote(&path));
        cmd.extend_from_slice(b" > ");
        cmd.extend_from_slice(&quote(&copy));
        let out = device.shell(&cmd).expect("shell");
        assert_eq!(out.exit_code, 0, "{:?}: {}", text(name), out.stderr_text());
        let mut host_copy = name.to_vec();
        host_copy.extend_from_slice(b".copy");
        assert!(
            std::fs::read(folder.join(host_name(&host_copy))).expect("copy on the phone") == noise(100 + i, i as u64),
            "copy of {:?} differs",
            text(name)
        );
    }
    // A leading '-' name given as a relative path with ./ is not an option either.
    let out = device.shell(b"cd /sdcard/DCIM/Hostile && ls ./-rf").expect("shell");
    assert_eq!((out.exit_code, out.stdout_text()), (0, "./-rf\n".to_string()), "{}", out.stderr_text());
    assert_eq!(command_line(&[&b"ls"[..], b"--", b"$(touch pwned)"]), b"'ls' '--' '$(touch pwned)'".to_vec());
    assert_nothing_ran(dir.path());
}

#[test]
fn hostile_names_round_trip_through_sync_list_pull_and_push() {
    let (_server, dir, _phone, device) = ready(Config::default());
    let folder = dir.path().join("DCIM/Hostile");
    for (i, name) in HOSTILE_NAMES.iter().enumerate() {
        write_file(&folder.join(host_name(name)), &noise(1000 + i, i as u64), 1_600_000_000 + i as u64);
    }
    let mut sync = device.sync().expect("sync");
    let mut listed = sync.list(b"/sdcard/DCIM/Hostile").expect("list");
    listed.sort_by(|a, b| a.name.cmp(&b.name));
    let mut expected: Vec<&[u8]> = HOSTILE_NAMES.to_vec();
    expected.sort_unstable();
    assert_eq!(listed.iter().map(|e| e.name.as_slice()).collect::<Vec<_>>(), expected);
    for (i, name) in HOSTILE_NAMES.iter().enumerate() {
        let entry = listed.iter().find(|e| e.name == *name).expect("listed");
        assert_eq!((entry.stat.size, entry.stat.mtime), (1000 + i as u64, 1_600_000_000 + i as i64));
        assert!(entry.stat.is_file());
        let mut path = b"/sdcard/DCIM/Hostile/".to_vec();
        path.extend_from_slice(name);
        let mut pulled = Vec::new();
        let n = sync.pull(&path, &mut pulled, &mut |_| Ok(())).expect("pull");
        assert_eq!(n, 1000 + i as u64);
        assert!(pulled == noise(1000 + i, i as u64), "pulled {:?} differs", text(name));
        // Back to the phone under the same name in another folder, with its own mtime.
        let mut target = b"/sdcard/Pictures/Back/".to_vec();
        target.extend_from_slice(name);
        sync.push(&mut pulled.as_slice(), &target, 0o644, 1_400_000_000 + i as i64, &mut |_| Ok(())).expect("push");
        let back = dir.path().join("Pictures/Back").join(host_name(name));
        assert!(std::fs::read(&back).expect("pushed") == pulled, "pushed {:?} differs", text(name));
        assert_eq!(mtime_of(&back), 1_400_000_000 + i as u64);
    }
    drop(sync);
    assert_nothing_ran(dir.path());
}

#[test]
fn stat_and_list_give_the_exact_size_of_a_file_over_4_gib() {
    let (_server, dir, _phone, device) = ready(Config::default());
    assert!(device.sync_versions().stat_v2 && device.sync_versions().ls_v2, "{:?}", device.features());
    let size: u64 = (4 << 30) + 4096 + 17;
    let path = dir.path().join("Movies/huge.mp4");
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    std::fs::File::create(&path).and_then(|f| f.set_len(size)).expect("sparse file");
    set_mtime(&path, 4_000_000_000);
    let stat = device.stat(b"/sdcard/Movies/huge.mp4").expect("stat").expect("exists");
    assert_eq!((stat.size, stat.mtime), (size, 4_000_000_000));
    let list = device.list(b"/sdcard/Movies").expect("list");
    let entry = list.iter().find(|e| e.name == b"huge.mp4").expect("listed");
    assert_eq!(entry.stat.size, size);
}

#[test]
fn a_pull_streams_a_file_over_4_gib_whole() {
    let (_server, dir, _phone, device) = ready(Config::default());
    let size: u64 = (4 << 30) + 65_536 + 3;
    let path = dir.path().join("Movies/huge.mp4");
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    std::fs::File::create(&path).and_then(|f| f.set_len(size)).expect("sparse file");
    let mut last = 0;
    let n = device
        .pull(b"/sdcard/Movies/huge.mp4", &mut std::io::sink(), &mut |done| {
            last = done;
            Ok(())
        })
        .expect("pull");
    assert_eq!((n, last), (size, size));
}

#[test]
fn push_keeps_the_mtime_and_pull_gives_the_same_bytes() {
    let (_server, dir, _phone, device) = ready(Config::default());
    let content = noise(2_500_000, 7);
    let mut reports = Vec::new();
    let sent = device
        .push(&mut content.as_slice(), b"/sdcard/Pictures/New Folder/photo.jpg", 0o644, 1_400_000_123, &mut |n| {
            reports.push(n);
            Ok(())
        })
        .expect("push");
    assert_eq!(sent, content.len() as u64);
    assert_eq!(reports.last().copied(), Some(content.len() as u64));
    let on_phone = dir.path().join("Pictures/New Folder/photo.jpg");
    assert!(std::fs::read(&on_phone).expect("pushed") == content, "content differs");
    assert_eq!(mtime_of(&on_phone), 1_400_000_123);
    let stat = device.stat(b"/sdcard/Pictures/New Folder/photo.jpg").expect("stat").expect("exists");
    assert_eq!((stat.size, stat.mtime), (content.len() as u64, 1_400_000_123));
    let mut back = Vec::new();
    device.pull(b"/sdcard/Pictures/New Folder/photo.jpg", &mut back, &mut |_| Ok(())).expect("pull");
    assert!(back == content, "pulled content differs");
}

#[test]
fn a_sync_v1_only_phone_still_lists_stats_pulls_and_pushes() {
    let (_server, dir, _phone, device) = ready(Config { faults: vec![Fault::SyncV1Only], ..Config::default() });
    assert!(!device.sync_versions().stat_v2 && !device.sync_versions().ls_v2, "{:?}", device.features());
    write_file(&dir.path().join("DCIM/a.jpg"), &noise(200_000, 9), 1_500_000_000);
    let mut sync = device.sync().expect("sync");
    let stat = sync.stat(b"/sdcard/DCIM/a.jpg").expect("stat").expect("exists");
    assert_eq!((stat.size, stat.mtime), (200_000, 1_500_000_000));
    assert_eq!(sync.stat(b"/sdcard/DCIM/none.jpg").expect("stat"), None);
    let list = sync.list(b"/sdcard/DCIM").expect("list");
    assert_eq!(list.iter().map(|e| e.name.as_slice()).collect::<Vec<_>>(), [&b"a.jpg"[..]]);
    let mut pulled = Vec::new();
    sync.pull(b"/sdcard/DCIM/a.jpg", &mut pulled, &mut |_| Ok(())).expect("pull");
    assert!(pulled == noise(200_000, 9), "content differs");
    sync.push(&mut pulled.as_slice(), b"/sdcard/Download/b.jpg", 0o644, 1_300_000_000, &mut |_| Ok(())).expect("push");
    assert_eq!(mtime_of(&dir.path().join("Download/b.jpg")), 1_300_000_000);
}

#[test]
fn one_sync_session_answers_many_requests() {
    let (_server, dir, phone, device) = ready(Config::default());
    for i in 0..20 {
        write_file(&dir.path().join(format!("DCIM/F{i}/a.jpg")), b"x", 1_500_000_000);
    }
    let before = phone.stats().connections;
    let mut sync = device.sync().expect("sync");
    for i in 0..20 {
        let list = sync.list(format!("/sdcard/DCIM/F{i}").as_bytes()).expect("list");
        assert_eq!(list.len(), 1);
    }
    drop(sync);
    let stats = phone.stats();
    assert_eq!(stats.connections, before, "the adb server keeps one link to the phone");
    assert_eq!(stats.sync_requests.get("LIS2").copied().unwrap_or(0), 20, "{:?}", stats.sync_requests);
}

#[test]
fn files_asked_for_ahead_arrive_in_order_and_a_gone_one_fails_alone() {
    let (_server, dir, phone, device) = ready(Config::default());
    let files: Vec<Vec<u8>> = (0..5).map(|i| noise(50_000 + i * 1000, i as u64)).collect();
    for (i, bytes) in files.iter().enumerate() {
        write_file(&dir.path().join(format!("DCIM/{i}.jpg")), bytes, 1_500_000_000);
    }
    let path = |i: usize| format!("/sdcard/DCIM/{i}.jpg").into_bytes();
    let mut sync = device.sync().expect("sync");
    // Each pull asks for the next file too; each file's bytes are its own.
    for (i, want) in files.iter().enumerate() {
        let next = (i + 1 < files.len()).then(|| path(i + 1));
        let mut got = Vec::new();
        sync.pull_then(&path(i), next.as_deref(), &mut got, &mut |_| Ok(())).expect("pull");
        assert!(got == *want, "file {i} came with other bytes");
    }
    let recvs = |s: &phonebak::virtual_phone::StatsSnapshot| s.sync_requests.get("RCV2").copied().unwrap_or(0);
    assert_eq!(recvs(&phone.stats()), 5, "each file asked for once: {:?}", phone.stats().sync_requests);
    // A file asked for ahead but not pulled is received and dropped before the next request.
    let mut got = Vec::new();
    sync.pull_then(&path(0), Some(&path(1)), &mut got, &mut |_| Ok(())).expect("pull");
    assert_eq!(sync.stat(&path(2)).expect("stat").map(|s| s.size), Some(files[2].len() as u64));
    // A file gone by the time it is pulled fails alone: the one before it arrived whole.
    let mut got = Vec::new();
    sync.pull_then(&path(3), Some(b"/sdcard/DCIM/gone.jpg"), &mut got, &mut |_| Ok(())).expect("pull");
    assert!(got == files[3]);
    let err = sync.pull(b"/sdcard/DCIM/gone.jpg", &mut Vec::new(), &mut |_| Ok(())).expect_err("gone");
    assert!(matches!(err, DeviceError::NoSuchFile { .. }), "{err:?}");
}

#[test]
fn missing_paths_are_none_for_stat_and_an_error_for_list_and_pull() {
    let (_server, dir, _phone, device) = ready(Config::default());
    write_file(&dir.path().join("DCIM/a.jpg"), b"abc", 1_500_000_000);
    let mut sync = device.sync().expect("sync");
    assert_eq!(sync.stat(b"/sdcard/DCIM/none.jpg").expect("stat"), None);
    assert!(sync.stat(b"/sdcard/DCIM").expect("stat").expect("exists").is_dir());
    let err = sync.list(b"/sdcard/Nope").expect_err("no such folder");
    assert!(matches!(err, DeviceError::NoSuchFile { .. }), "{err:?}");
    let err = sync.list(b"/sdcard/DCIM/a.jpg").expect_err("a file is no folder");
    assert!(matches!(err, DeviceError::NotADirectory { .. }), "{err:?}");
    // An empty folder is not an error.
    std::fs::create_dir_all(dir.path().join("Empty")).expect("mkdir");
    assert!(sync.list(b"/sdcard/Empty").expect("list").is_empty());
    let err = sync.pull(b"/sdcard/DCIM/none.jpg", &mut Vec::new(), &mut |_| Ok(())).expect_err("no such file");
    assert!(err.to_string().contains("/sdcard/DCIM/none.jpg"), "{err}");
    // After a failed pull the phone ends the session; a new one works.
    let mut sync = device.sync().expect("sync again");
    assert_eq!(sync.stat(b"/sdcard/DCIM/a.jpg").expect("stat").map(|s| s.size), Some(3));
}

#[test]
fn a_cancelled_pull_stops_early_and_the_next_pull_works() {
    let (_server, dir, _phone, device) = ready(Config::default());
    let content = noise(4 << 20, 17);
    write_file(&dir.path().join("DCIM/big.bin"), &content, 1_500_000_000);
    let mut got = Vec::new();
    let err = device
        .pull(b"/sdcard/DCIM/big.bin", &mut got, &mut |done| {
            if done >= 1 << 20 { Err(phonebak::device::Cancelled) } else { Ok(()) }
        })
        .expect_err("cancelled");
    assert!(matches!(err, DeviceError::Cancelled), "{err:?}");
    assert!(got.len() < content.len());
    let mut whole = Vec::new();
    device.pull(b"/sdcard/DCIM/big.bin", &mut whole, &mut |_| Ok(())).expect("pull after cancel");
    assert!(whole == content, "content differs");
}

#[test]
fn a_push_into_a_full_phone_fails_with_the_phones_reason_and_leaves_no_file() {
    let (_server, dir, phone, device) = ready(Config::default());
    phone.inject(Fault::StorageFull { after_bytes: 100_000 });
    let content = noise(1_000_000, 1);
    let err = device
        .push(&mut content.as_slice(), b"/sdcard/Movies/v.mp4", 0o644, 1_500_000_000, &mut |_| Ok(()))
        .expect_err("the phone is full");
    assert!(err.to_string().contains("No space left on device"), "{err}");
    assert!(gone_soon(&dir.path().join("Movies/v.mp4")), "partial file left on the phone");
}

#[test]
fn a_cable_pull_during_a_pull_is_a_lost_connection() {
    let (_server, dir, phone, device) = ready(Config::default());
    write_file(&dir.path().join("DCIM/big.bin"), &noise(8 << 20, 3), 1_500_000_000);
    phone.inject(Fault::CablePull { at: PullPoint::AfterBytes(1 << 20), offline: Duration::from_millis(500) });
    let err = device.pull(b"/sdcard/DCIM/big.bin", &mut std::io::sink(), &mut |_| Ok(())).expect_err("cut");
    assert!(err.is_connection_lost(), "{err:?}");
    assert!(err.to_string().contains("Check the cable"), "{err}");
}

#[test]
fn an_unknown_serial_is_not_connected_with_cable_guidance() {
    let server = AdbServer::start();
    let adb = adb_for(&server);
    let err = adb.device("NOSUCHPHONE").expect_err("not connected");
    assert!(matches!(err, DeviceError::NotConnected { .. }), "{err:?}");
    assert!(err.to_string().contains("USB debugging") && err.to_string().contains("NOSUCHPHONE"), "{err}");
}

#[test]
fn the_device_layer_starts_an_adb_server_when_none_runs() {
    let home = tempfile::tempdir().expect("home");
    let binary = AdbSearch::from_env().find().expect("adb on PATH");
    let adb = Adb::new(binary, free_port()).with_server_env("HOME", home.path());
    let list = adb.devices().expect("devices after starting a server");
    assert!(list.is_empty(), "{list:?}");
    adb.kill_server().expect("kill");
}

#[test]
fn phonebak_adb_pointing_at_a_missing_file_is_named_in_the_error() {
    let search = AdbSearch {
        phonebak_adb: Some("/nonexistent/platform-tools/adb".into()),
        path: Some(std::env::var_os("PATH").unwrap_or_default()),
        ..AdbSearch::default()
    };
    let err = search.find().expect_err("no adb there");
    let said = err.to_string();
    assert!(said.contains("PHONEBAK_ADB") && said.contains("/nonexistent/platform-tools/adb"), "{said}");
}

#[test]
fn no_adb_anywhere_says_how_to_install_it() {
    let empty = tempfile::tempdir().expect("empty");
    let search = AdbSearch { path: Some(empty.path().into()), ..AdbSearch::default() };
    let err = search.find().expect_err("no adb");
    assert!(matches!(err, DeviceError::AdbNotFound { .. }), "{err:?}");
    let said = err.to_string();
    assert!(said.contains(install_help()), "{said}");
    if cfg!(target_os = "linux") {
        assert!(said.contains("sudo apt-get install adb"), "{said}");
    }
    let nothing = AdbSearch { path: Some("".into()), ..AdbSearch::default() };
    assert!(nothing.find().expect_err("no adb").to_string().contains("PATH is empty"));
}

#[test]
fn the_v2_send_and_receive_requests_keep_bytes_mode_and_mtime() {
    let (_server, dir, phone, device) = ready(Config::default());
    // adb 29 does not report sendrecv_v2 (it came with adb 30), but passes the requests to the phone.
    let all = phonebak::device::SyncVersions { stat_v2: true, ls_v2: true, sendrecv_v2: true };
    let mut sync = device.sync_with(all).expect("sync");
    let content = noise(300_000, 31);
    sync.push(&mut content.as_slice(), b"/sdcard/DCIM/v2.jpg", 0o600, 1_350_000_000, &mut |_| Ok(())).expect("push");
    let mut back = Vec::new();
    sync.pull(b"/sdcard/DCIM/v2.jpg", &mut back, &mut |_| Ok(())).expect("pull");
    drop(sync);
    assert!(back == content, "content differs");
    assert_eq!(mtime_of(&dir.path().join("DCIM/v2.jpg")), 1_350_000_000);
    let requests = phone.stats().sync_requests;
    assert!(requests.contains_key("SND2") && requests.contains_key("RCV2"), "{requests:?}");
}

#[test]
fn a_cancelled_push_leaves_no_partial_file_on_the_phone() {
    let (_server, dir, _phone, device) = ready(Config::default());
    let content = noise(4 << 20, 5);
    let err = device
        .push(&mut content.as_slice(), b"/sdcard/Movies/part.mp4", 0o644, 1_500_000_000, &mut |done| {
            if done >= 1 << 20 { Err(phonebak::device::Cancelled) } else { Ok(()) }
        })
        .expect_err("cancelled");
    assert!(matches!(err, DeviceError::Cancelled), "{err:?}");
    // The phone may still be writing what was in flight when the push stopped; once it sees the connection
    // close it removes the file. Absent twice, 300 ms apart, counts as removed for good.
    let partial = dir.path().join("Movies/part.mp4");
    let start = Instant::now();
    loop {
        if !partial.exists() {
            std::thread::sleep(Duration::from_millis(300));
            if !partial.exists() {
                break;
            }
        }
        assert!(start.elapsed() < Duration::from_secs(5), "partial file left on the phone");
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = device.shell(b"ls /sdcard/Movies").expect("shell");
    assert_eq!(out.stdout_text(), "", "{}", out.stderr_text());
}

#[test]
fn listing_a_folder_of_10000_files_is_one_request_and_fast_on_usb2() {
    let (_server, dir, phone, device) =
        ready(Config { link: phonebak::virtual_phone::LinkModel::Usb2, ..Config::default() });
    let folder = dir.path().join("DCIM/Camera");
    std::fs::create_dir_all(&folder).expect("mkdir");
    for i in 0..10_000 {
        std::fs::write(folder.join(format!("IMG_20240101_{i:06}.jpg")), b"").expect("write");
    }
    let start = Instant::now();
    let list = device.list(b"/sdcard/DCIM/Camera").expect("list");
    let took = start.elapsed();
    assert_eq!(list.len(), 10_000);
    assert_eq!(phone.stats().sync_requests.get("LIS2").copied(), Some(1));
    assert!(took < Duration::from_secs(1), "listing took {took:?}");
}
