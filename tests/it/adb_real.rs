//! The virtual phone against Debian's real `adb` (29.0.6), through its adb server, and through
//! `adb_client`'s `ADBServer` API: it must be accepted and behave as a device does.

use crate::util::{
    AdbServer, gone_soon, mtime_of, noise, phone_with_dir, said, set_mtime, text, tree_root, write_file,
};
use phonebak::virtual_phone::{AuthMode, Config, Fault, LinkModel, PullPoint};
use std::time::{Duration, Instant};

#[test]
fn real_adb_lists_the_phone_as_a_device_with_its_model() {
    let adb = AdbServer::start();
    let (_dir, phone) = phone_with_dir(Config { model: "Galaxy S23".into(), ..Config::default() });
    adb.connect(&phone, "device");
    let out = text(&adb.adb(&["devices", "-l"]).stdout);
    let line = out.lines().find(|l| l.starts_with(&phone.addr().to_string())).expect("listed");
    assert!(line.contains(" device ") && line.contains("model:Galaxy_S23"), "{line}");
    let features = text(&adb.on(&phone, &["features"]).stdout);
    // adb 29 shows the features it knows itself (sendrecv_v2 came with adb 30; the raw protocol test checks it).
    for feature in ["shell_v2", "cmd", "stat_v2", "ls_v2", "fixed_push_mkdir"] {
        assert!(features.lines().any(|f| f == feature), "feature {feature} missing from {features:?}");
    }
    assert_eq!(text(&adb.on(&phone, &["get-serialno"]).stdout).trim(), phone.addr().to_string());
}

#[test]
fn shell_exit_codes_and_stderr_reach_real_adb() {
    let adb = AdbServer::start();
    let (_dir, phone) = phone_with_dir(Config::default());
    adb.connect(&phone, "device");
    assert_eq!(adb.on(&phone, &["shell", "true"]).status.code(), Some(0));
    assert_eq!(adb.on(&phone, &["shell", "false"]).status.code(), Some(1));
    let missing = adb.on(&phone, &["shell", "ls /sdcard/nope"]);
    assert_eq!(missing.status.code(), Some(1));
    assert_eq!(text(&missing.stderr), "ls: /sdcard/nope: No such file or directory\n");
    assert!(missing.stdout.is_empty());
    let unknown = adb.on(&phone, &["shell", "frobnicate"]);
    assert_eq!(unknown.status.code(), Some(127));
    assert_eq!(text(&unknown.stderr), "/system/bin/sh: frobnicate: inaccessible or not found\n");
    let prop = adb.on(&phone, &["shell", "getprop ro.serialno"]);
    assert_eq!(text(&prop.stdout), "VIRT0001\n");
}

#[test]
fn adb_ls_lists_folders_through_sync() {
    let adb = AdbServer::start();
    let (dir, phone) = phone_with_dir(Config::default());
    write_file(&dir.path().join("DCIM/Camera/IMG_1.jpg"), b"12345", 1_600_000_000);
    adb.connect(&phone, "device");
    let out = text(&adb.on(&phone, &["ls", "/sdcard/DCIM/Camera"]).stdout);
    assert!(
        out.lines().any(|l| l == "000081b4 00000005 5f5e1000 IMG_1.jpg" || l.ends_with(" 00000005 5f5e1000 IMG_1.jpg")),
        "{out}"
    );
    assert!(out.lines().any(|l| l.ends_with(" .")) && out.lines().any(|l| l.ends_with(" ..")), "{out}");
}

#[test]
fn pull_a_keeps_bytes_and_mtimes() {
    let adb = AdbServer::start();
    let (dir, phone) = phone_with_dir(Config::default());
    let files = [
        ("DCIM/Camera/IMG_20200101_120000.jpg", 3_000_000usize),
        ("DCIM/Camera/a b'c.jpg", 70_000),
        ("DCIM/x/empty", 0),
    ];
    for (i, (name, len)) in files.iter().enumerate() {
        write_file(&dir.path().join(name), &noise(*len, i as u64), 1_500_000_000 + i as u64 * 1000);
    }
    adb.connect(&phone, "device");
    let dest = tempfile::tempdir().expect("dest");
    let out = adb.on(&phone, &["pull", "-a", "/sdcard/DCIM", dest.path().to_str().expect("utf8")]);
    assert!(out.status.success(), "{}", said(&out));
    for (i, (name, len)) in files.iter().enumerate() {
        let local = dest.path().join(name);
        assert!(std::fs::read(&local).expect("pulled") == noise(*len, i as u64), "content differs");
        assert_eq!(mtime_of(&local), 1_500_000_000 + i as u64 * 1000, "{name}");
    }
}

#[test]
fn push_then_read_back_gives_the_same_bytes_and_mtime() {
    let adb = AdbServer::start();
    let (dir, phone) = phone_with_dir(Config::default());
    adb.connect(&phone, "device");
    let local = tempfile::tempdir().expect("local");
    let src = local.path().join("photo.jpg");
    let content = noise(2_500_000, 7);
    write_file(&src, &content, 1_400_000_000);
    let out = adb.on(&phone, &["push", src.to_str().expect("utf8"), "/sdcard/Pictures/New Folder/photo.jpg"]);
    assert!(out.status.success(), "{}", said(&out));
    let on_phone = dir.path().join("Pictures/New Folder/photo.jpg");
    assert!(std::fs::read(&on_phone).expect("pushed") == content, "content differs");
    assert_eq!(mtime_of(&on_phone), 1_400_000_000);
    let back = local.path().join("back.jpg");
    let out = adb.on(&phone, &["pull", "/sdcard/Pictures/New Folder/photo.jpg", back.to_str().expect("utf8")]);
    assert!(out.status.success(), "{}", said(&out));
    assert!(std::fs::read(&back).expect("pulled") == content, "content differs");
    let cat = adb.on(&phone, &["exec-out", "cat '/sdcard/Pictures/New Folder/photo.jpg'"]);
    assert_eq!(cat.stdout.len(), content.len());
    assert!(cat.stdout == content, "exec-out cat differs");
}

#[test]
fn files_over_4_gib_keep_their_full_size() {
    let adb = AdbServer::start();
    let (dir, phone) = phone_with_dir(Config::default());
    let size: u64 = (4 << 30) + 4096 + 17;
    let path = dir.path().join("Movies/huge.mp4");
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    std::fs::File::create(&path).and_then(|f| f.set_len(size)).expect("sparse file");
    set_mtime(&path, 1_650_000_000);
    adb.connect(&phone, "device");
    let out = adb.on(&phone, &["shell", "stat -c %s /sdcard/Movies/huge.mp4"]);
    assert_eq!(text(&out.stdout).trim(), size.to_string());
    // adb pull asks STA2 for the size and counts the bytes it receives. (Never pull to /dev/null: adb
    // unlinks its destination and creates a regular file there.)
    let dest = tempfile::tempdir().expect("dest");
    let local = dest.path().join("huge.mp4");
    let out = adb.on(&phone, &["pull", "-a", "/sdcard/Movies/huge.mp4", local.to_str().expect("utf8")]);
    assert!(out.status.success(), "{}", said(&out));
    assert!(text(&out.stdout).contains(&format!("({size} bytes")), "{}", text(&out.stdout));
    assert_eq!(std::fs::metadata(&local).expect("pulled").len(), size);
    assert_eq!(mtime_of(&local), 1_650_000_000);
}

#[test]
fn a_pulled_cable_drops_the_phone_which_comes_back_to_be_reconnected() {
    let adb = AdbServer::start();
    let (dir, phone) = phone_with_dir(Config::default());
    write_file(&dir.path().join("DCIM/big.bin"), &noise(8 << 20, 3), 1_500_000_000);
    adb.connect(&phone, "device");
    // Long enough that a loaded machine still sees the phone gone after adb gives up on the pull.
    phone.inject(Fault::CablePull { at: PullPoint::AfterBytes(1 << 20), offline: Duration::from_secs(5) });
    let dest = tempfile::tempdir().expect("dest");
    let target = dest.path().join("big.bin");
    let out = adb.on(&phone, &["pull", "/sdcard/DCIM/big.bin", target.to_str().expect("utf8")]);
    assert!(!out.status.success(), "pull should fail when the cable goes");
    // While unplugged the phone cannot be reached.
    assert!(std::net::TcpStream::connect(phone.addr()).is_err(), "phone still reachable while unplugged");
    assert_ne!(adb.state_of(&phone).as_deref(), Some("device"));
    let back = std::time::Instant::now() + Duration::from_secs(15);
    while std::net::TcpStream::connect(phone.addr()).is_err() {
        assert!(std::time::Instant::now() < back, "phone never came back");
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = adb.adb(&["disconnect", &phone.addr().to_string()]);
    adb.connect(&phone, "device");
    let out = adb.on(&phone, &["pull", "/sdcard/DCIM/big.bin", target.to_str().expect("utf8")]);
    assert!(out.status.success(), "{}", said(&out));
    assert!(std::fs::read(&target).expect("pulled") == noise(8 << 20, 3), "content differs");
    assert!(phone.stats().connections >= 2);
}

#[test]
fn storage_full_fails_a_push_and_leaves_no_partial_file() {
    let adb = AdbServer::start();
    let (dir, phone) = phone_with_dir(Config::default());
    adb.connect(&phone, "device");
    phone.inject(Fault::StorageFull { after_bytes: 100_000 });
    let local = tempfile::tempdir().expect("local");
    let src = local.path().join("v.mp4");
    write_file(&src, &noise(1_000_000, 1), 1_500_000_000);
    let out = adb.on(&phone, &["push", src.to_str().expect("utf8"), "/sdcard/Movies/v.mp4"]);
    assert!(!out.status.success(), "{}{}", text(&out.stdout), text(&out.stderr));
    assert!(said(&out).contains("No space left on device"), "{}", said(&out));
    assert!(gone_soon(&dir.path().join("Movies/v.mp4")), "partial file left on the phone");
}

#[test]
fn read_only_storage_refuses_pushes_with_the_kernel_error() {
    let adb = AdbServer::start();
    let (dir, phone) = phone_with_dir(Config { faults: vec![Fault::ReadOnly], ..Config::default() });
    std::fs::create_dir_all(dir.path().join("Download")).expect("mkdir");
    adb.connect(&phone, "device");
    let local = tempfile::tempdir().expect("local");
    let src = local.path().join("a.txt");
    write_file(&src, b"hello", 1_500_000_000);
    let out = adb.on(&phone, &["push", src.to_str().expect("utf8"), "/sdcard/Download/a.txt"]);
    assert!(!out.status.success(), "{}{}", text(&out.stdout), text(&out.stderr));
    assert!(said(&out).contains("Read-only file system"), "{}", said(&out));
    assert!(!dir.path().join("Download/a.txt").exists());
}

#[test]
fn vanishing_and_unreadable_files_fail_their_pull_with_errno_text() {
    let adb = AdbServer::start();
    let (dir, phone) = phone_with_dir(Config::default());
    write_file(&dir.path().join("DCIM/gone.jpg"), b"soon gone", 1_500_000_000);
    write_file(&dir.path().join("DCIM/locked.jpg"), b"locked", 1_500_000_000);
    phone.inject(Fault::Vanish("/sdcard/DCIM/gone.jpg".into()));
    phone.inject(Fault::Unreadable("/storage/emulated/0/DCIM/locked.jpg".into()));
    adb.connect(&phone, "device");
    let ls = text(&adb.on(&phone, &["ls", "/sdcard/DCIM"]).stdout);
    assert!(ls.contains("gone.jpg") && ls.contains("locked.jpg"), "{ls}");
    let dest = tempfile::tempdir().expect("dest");
    let out = adb.on(&phone, &["pull", "/sdcard/DCIM/gone.jpg", dest.path().to_str().expect("utf8")]);
    assert!(!out.status.success());
    assert!(said(&out).contains("No such file or directory"), "{}", said(&out));
    assert!(!dir.path().join("DCIM/gone.jpg").exists());
    let out = adb.on(&phone, &["pull", "/sdcard/DCIM/locked.jpg", dest.path().to_str().expect("utf8")]);
    assert!(!out.status.success());
    assert!(said(&out).contains("Permission denied"), "{}", said(&out));
}

#[test]
fn sync_v1_only_phones_drop_the_v2_features_and_still_transfer() {
    let adb = AdbServer::start();
    let (dir, phone) = phone_with_dir(Config { faults: vec![Fault::SyncV1Only], ..Config::default() });
    write_file(&dir.path().join("DCIM/a.jpg"), &noise(200_000, 9), 1_500_000_000);
    adb.connect(&phone, "device");
    let features = text(&adb.on(&phone, &["features"]).stdout);
    assert!(!features.contains("stat_v2") && !features.contains("ls_v2"), "{features}");
    let dest = tempfile::tempdir().expect("dest");
    let out = adb.on(&phone, &["pull", "-a", "/sdcard/DCIM/a.jpg", dest.path().to_str().expect("utf8")]);
    assert!(out.status.success(), "{}", said(&out));
    assert!(std::fs::read(dest.path().join("a.jpg")).expect("pulled") == noise(200_000, 9), "content differs");
    assert_eq!(mtime_of(&dest.path().join("a.jpg")), 1_500_000_000);
    let requests = phone.stats().sync_requests;
    assert!(!requests.contains_key("STA2") && !requests.contains_key("LST2"), "{requests:?}");
}

#[test]
fn tiny_tcp_writes_and_a_slow_phone_still_give_exact_bytes() {
    let adb = AdbServer::start();
    let (dir, phone) = phone_with_dir(Config {
        faults: vec![Fault::TinyWrites(7), Fault::Slow(Duration::from_millis(2))],
        ..Config::default()
    });
    write_file(&dir.path().join("DCIM/a.jpg"), &noise(300_000, 5), 1_500_000_000);
    adb.connect(&phone, "device");
    let dest = tempfile::tempdir().expect("dest");
    let start = Instant::now();
    let out = adb.on(&phone, &["pull", "/sdcard/DCIM/a.jpg", dest.path().to_str().expect("utf8")]);
    assert!(out.status.success(), "{}", said(&out));
    assert!(std::fs::read(dest.path().join("a.jpg")).expect("pulled") == noise(300_000, 5), "content differs");
    let stats = phone.stats();
    assert!(stats.host_waits >= 3, "{stats:?}");
    assert!(start.elapsed() >= Duration::from_millis(2 * 3), "slow fault had no effect");
}

#[test]
fn the_allow_usb_debugging_prompt_shows_unauthorized_until_tapped() {
    let adb = AdbServer::start();
    let (_dir, phone) =
        phone_with_dir(Config { auth: AuthMode::Prompt(Duration::from_millis(1500)), ..Config::default() });
    // adb 29 says "failed to authenticate" while the phone shows its dialog, and keeps the connection.
    let out = adb.adb(&["connect", &phone.addr().to_string()]);
    let said = text(&out.stdout);
    assert!(said.contains("connected") || said.contains("failed to authenticate"), "{said}");
    adb.wait_for_state(&phone, "unauthorized", Duration::from_secs(5));
    adb.wait_for_state(&phone, "device", Duration::from_secs(10));
    assert_eq!(adb.on(&phone, &["shell", "true"]).status.code(), Some(0));
}

#[test]
fn a_rejected_computer_stays_unauthorized() {
    let adb = AdbServer::start();
    let (_dir, phone) = phone_with_dir(Config { auth: AuthMode::Rejected, ..Config::default() });
    let _ = adb.adb(&["connect", &phone.addr().to_string()]);
    adb.wait_for_state(&phone, "unauthorized", Duration::from_secs(5));
    std::thread::sleep(Duration::from_secs(1));
    assert_eq!(adb.state_of(&phone).as_deref(), Some("unauthorized"));
    let out = adb.on(&phone, &["shell", "true"]);
    assert!(!out.status.success());
    assert!(said(&out).contains("unauthorized"), "{}", said(&out));
}

#[test]
fn the_usb2_link_model_limits_a_pull_to_about_37_mb_per_second() {
    let adb = AdbServer::start();
    let (dir, phone) = phone_with_dir(Config { link: LinkModel::Usb2, ..Config::default() });
    write_file(&dir.path().join("DCIM/a.bin"), &noise(8 << 20, 2), 1_500_000_000);
    adb.connect(&phone, "device");
    let dest = tempfile::tempdir().expect("dest");
    let start = Instant::now();
    let out = adb.on(&phone, &["pull", "/sdcard/DCIM/a.bin", dest.path().to_str().expect("utf8")]);
    assert!(out.status.success(), "{}", said(&out));
    // 8 MiB at 37 MB/s takes 227 ms; without the model it takes a few ms.
    assert!(start.elapsed() >= Duration::from_millis(220), "took only {:?}", start.elapsed());
}

#[test]
fn adb_client_through_the_adb_server_sees_the_phone_and_moves_files() {
    use adb_client::ADBDeviceExt;
    use adb_client::server::ADBServer;
    let adb = AdbServer::start();
    let (dir, phone) = phone_with_dir(Config::default());
    write_file(&dir.path().join("DCIM/Camera/IMG_2.jpg"), &noise(150_000, 4), 1_550_000_000);
    adb.connect(&phone, "device");
    let mut server = ADBServer::new(std::net::SocketAddrV4::new(std::net::Ipv4Addr::LOCALHOST, adb.port));
    let devices = server.devices().expect("devices");
    assert!(devices.iter().any(|d| d.identifier == phone.addr().to_string()), "{devices:?}");
    let mut device = server.get_device_by_name(&phone.addr().to_string()).expect("device");
    let mut out = Vec::new();
    device.shell_command(&"ls /sdcard/DCIM/Camera", Some(&mut out), None).expect("shell");
    assert_eq!(text(&out), "IMG_2.jpg\n");
    let stat = device.stat("/sdcard/DCIM/Camera/IMG_2.jpg").expect("stat");
    assert_eq!((stat.file_size, stat.mod_time), (150_000, 1_550_000_000));
    let mut pulled = Vec::new();
    device.pull(&"/sdcard/DCIM/Camera/IMG_2.jpg", &mut pulled).expect("pull");
    assert!(pulled == noise(150_000, 4), "pulled content differs");
    let content = noise(90_000, 8);
    device.push(&mut content.as_slice(), "/sdcard/Download/pushed.bin").expect("push");
    assert!(std::fs::read(tree_root(&dir).join("Download/pushed.bin")).expect("pushed") == content, "content differs");
    let names: Vec<String> =
        device.list("/sdcard/DCIM/Camera").expect("list").iter().map(|i| format!("{i:?}")).collect();
    assert!(names.iter().any(|n| n.contains("IMG_2.jpg")), "{names:?}");
}

#[test]
fn two_adb_servers_can_hold_the_same_phone_at_once() {
    let first = AdbServer::start();
    let second = AdbServer::start();
    let (dir, phone) = phone_with_dir(Config::default());
    write_file(&dir.path().join("DCIM/a.jpg"), &noise(500_000, 12), 1_500_000_000);
    first.connect(&phone, "device");
    second.connect(&phone, "device");
    let (d1, d2) = (tempfile::tempdir().expect("dest"), tempfile::tempdir().expect("dest"));
    let (out1, out2) = std::thread::scope(|s| {
        let a = s.spawn(|| first.on(&phone, &["pull", "/sdcard/DCIM/a.jpg", d1.path().to_str().expect("utf8")]));
        let b = second.on(&phone, &["pull", "/sdcard/DCIM/a.jpg", d2.path().to_str().expect("utf8")]);
        (a.join().expect("thread"), b)
    });
    assert!(out1.status.success() && out2.status.success(), "{}{}", said(&out1), said(&out2));
    for d in [&d1, &d2] {
        assert!(std::fs::read(d.path().join("a.jpg")).expect("pulled") == noise(500_000, 12), "content differs");
    }
    assert!(phone.stats().connections >= 2);
}

#[test]
fn a_seeded_random_cable_pull_cuts_a_transfer_within_its_bound() {
    let adb = AdbServer::start();
    let (dir, phone) = phone_with_dir(Config { seed: 77, ..Config::default() });
    write_file(&dir.path().join("DCIM/big.bin"), &noise(6 << 20, 6), 1_500_000_000);
    adb.connect(&phone, "device");
    let before = phone.stats().bytes_to_host;
    phone.inject(Fault::CablePull { at: PullPoint::RandomWithin(4 << 20), offline: Duration::from_millis(300) });
    let dest = tempfile::tempdir().expect("dest");
    let out = adb.on(&phone, &["pull", "/sdcard/DCIM/big.bin", dest.path().to_str().expect("utf8")]);
    assert!(!out.status.success(), "the pull should have been cut");
    let sent = phone.stats().bytes_to_host - before;
    assert!(sent < 4 << 20, "the cable went only after {sent} bytes");
    std::thread::sleep(Duration::from_millis(400));
    let _ = adb.adb(&["disconnect", &phone.addr().to_string()]);
    adb.connect(&phone, "device");
}

#[test]
fn adb_client_sees_faults_as_errors_and_works_again_after_reconnecting() {
    use adb_client::server::ADBServer;
    let adb = AdbServer::start();
    let (dir, phone) = phone_with_dir(Config::default());
    write_file(&dir.path().join("DCIM/big.bin"), &noise(4 << 20, 13), 1_500_000_000);
    adb.connect(&phone, "device");
    let mut server = ADBServer::new(std::net::SocketAddrV4::new(std::net::Ipv4Addr::LOCALHOST, adb.port));
    let serial = phone.addr().to_string();
    let mut device = server.get_device_by_name(&serial).expect("device");
    phone.inject(Fault::StorageFull { after_bytes: 1000 });
    let content = noise(200_000, 1);
    assert!(device.push(&mut content.as_slice(), "/sdcard/Download/x.bin").is_err(), "push into a full phone");
    assert!(gone_soon(&dir.path().join("Download/x.bin")), "partial file left on the phone");
    phone.inject(Fault::CablePull { at: PullPoint::AfterBytes(1 << 20), offline: Duration::from_millis(300) });
    let mut sink = Vec::new();
    assert!(device.pull(&"/sdcard/DCIM/big.bin", &mut sink).is_err(), "pull through a pulled cable");
    std::thread::sleep(Duration::from_millis(400));
    let _ = adb.adb(&["disconnect", &serial]);
    adb.connect(&phone, "device");
    let mut device = server.get_device_by_name(&serial).expect("device again");
    let mut pulled = Vec::new();
    device.pull(&"/sdcard/DCIM/big.bin", &mut pulled).expect("pull after reconnecting");
    assert!(pulled == noise(4 << 20, 13), "content differs");
}

#[test]
fn shell_lines_with_hostile_names_reach_the_phone_unchanged_through_adb() {
    use std::os::unix::ffi::OsStrExt;
    let adb = AdbServer::start();
    let (dir, phone) = phone_with_dir(Config::default());
    let names: [&[u8]; 7] = [
        b"it's \"quoted\".jpg",
        b"$(touch pwned).jpg",
        b"`id`.jpg",
        b"new\nline.jpg",
        b"-rf.jpg",
        b"caf\xe9.jpg",
        "\u{1f600} b.jpg".as_bytes(),
    ];
    for (i, name) in names.iter().enumerate() {
        write_file(
            &dir.path().join("DCIM").join(std::ffi::OsStr::from_bytes(name)),
            &noise(100 + i, i as u64),
            1_500_000_000,
        );
    }
    adb.connect(&phone, "device");
    let lines: [&[u8]; 5] = [
        b"ls -1 /sdcard/DCIM",
        b"stat -c '%s %Y %n' /sdcard/DCIM/* 2>&1; echo status=$?",
        b"sha256sum /sdcard/DCIM/'$(touch pwned).jpg' /sdcard/DCIM/-rf.jpg",
        b"find /sdcard/DCIM -type f -print0",
        b"md5sum /sdcard/DCIM/'it'\\''s \"quoted\".jpg' /sdcard/nothing",
    ];
    for line in lines {
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let status = phonebak::virtual_phone::shell::run(phone.phone(), line, &mut out, &mut err);
        let serial = phone.addr().to_string();
        let via_adb =
            adb.command(&["-s", &serial, "shell"]).arg(std::ffi::OsStr::from_bytes(line)).output().expect("adb");
        assert_eq!(via_adb.stdout, out, "stdout of {}", text(line));
        assert_eq!(via_adb.stderr, err, "stderr of {}", text(line));
        assert_eq!(via_adb.status.code(), Some(status), "status of {}", text(line));
    }
    assert!(!dir.path().join("pwned").exists() && !dir.path().join("DCIM/pwned").exists(), "a name ran as a command");
}

#[test]
fn a_shell_without_a_command_runs_stdin_line_by_line_in_one_session() {
    use std::io::Write as _;
    let adb = AdbServer::start();
    let (dir, phone) = phone_with_dir(Config::default());
    write_file(&dir.path().join("DCIM/a.jpg"), b"x", 1_500_000_000);
    adb.connect(&phone, "device");
    let serial = phone.addr().to_string();
    let mut child = adb
        .command(&["-s", &serial, "shell"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("adb shell");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(
            b"cd /sdcard/DCIM\nls\nfalse\necho $?\necho hi >> log.txt\necho again >> log.txt\nexit 3\necho never\n",
        )
        .expect("write");
    let out = child.wait_with_output().expect("wait");
    assert_eq!(text(&out.stdout), "a.jpg\n1\n");
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(std::fs::read(dir.path().join("DCIM/log.txt")).expect("log"), b"hi\nagain\n");
}

#[test]
fn adb_client_meets_each_storage_and_transport_fault_as_adb_does() {
    use adb_client::server::{ADBServer, DeviceState};
    let adb = AdbServer::start();
    let server_addr = std::net::SocketAddrV4::new(std::net::Ipv4Addr::LOCALHOST, adb.port);
    let mut server = ADBServer::new(server_addr);
    let content = noise(300_000, 21);
    let cases: [(Fault, bool); 6] = [
        (Fault::ReadOnly, false),
        (Fault::Vanish("/sdcard/DCIM/a.jpg".into()), false),
        (Fault::Unreadable("/sdcard/DCIM/a.jpg".into()), false),
        (Fault::SyncV1Only, true),
        (Fault::TinyWrites(7), true),
        (Fault::Slow(Duration::from_millis(2)), true),
    ];
    for (fault, pull_works) in cases {
        let (dir, phone) = phone_with_dir(Config { faults: vec![fault.clone()], ..Config::default() });
        write_file(&dir.path().join("DCIM/a.jpg"), &content, 1_500_000_000);
        adb.connect(&phone, "device");
        let mut device = server.get_device_by_name(&phone.addr().to_string()).expect("device");
        let mut pulled = Vec::new();
        let pull = device.pull(&"/sdcard/DCIM/a.jpg", &mut pulled);
        if pull_works {
            assert!(pull.is_ok() && pulled == content, "{fault:?}: pull failed or differs: {pull:?}");
        } else if fault != Fault::ReadOnly {
            assert!(pull.is_err() || pulled.is_empty(), "{fault:?}: pull should fail");
        }
        let push = device.push(&mut content.as_slice(), "/sdcard/Download/b.jpg");
        assert_eq!(push.is_ok(), fault != Fault::ReadOnly, "{fault:?}: push {push:?}");
    }
    let (_dir, phone) = phone_with_dir(Config { auth: AuthMode::Rejected, ..Config::default() });
    let _ = adb.adb(&["connect", &phone.addr().to_string()]);
    adb.wait_for_state(&phone, "unauthorized", Duration::from_secs(5));
    let devices = server.devices().expect("devices");
    let listed = devices.iter().find(|d| d.identifier == phone.addr().to_string()).expect("listed");
    assert_eq!(listed.state, DeviceState::Unauthorized);
}
