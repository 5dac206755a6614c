//! `phonebak devices/folders/backup/verify` as a person or a script runs them: the real binary against virtual
//! phones through a private real adb server.

use crate::util::{
    AdbServer, HOSTILE_NAMES, event, json_lines, mtime_of, noise, phone_with_dir, said, text, write_file,
};
use phonebak::virtual_phone::{AuthMode, Config, LinkModel, VirtualPhone};
use std::collections::BTreeSet;
use std::ffi::OsStr;
use std::io::{BufRead, BufReader};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

const DEVICE_FOLDER: &str = "Pixel 7 (VIRT0001)";
/// The screenshot's mtime (2009); the camera photos are from 2020 on.
const SHOT_MTIME: u64 = 1_234_567_890;

/// Runs `phonebak ARGS... [--to DEST]` against the private adb server, with logs in a throwaway data dir.
fn run(server: &AdbServer, args: &[&str], dest: Option<&Path>) -> Output {
    let mut all: Vec<&std::ffi::OsStr> = args.iter().map(std::ffi::OsStr::new).collect();
    if let Some(dest) = dest {
        all.extend([std::ffi::OsStr::new("--to"), dest.as_os_str()]);
    }
    crate::util::phonebak(server, &all)
}

/// A file put on the phone: its path below the storage, content and mtime.
type TreeFile = (PathBuf, Vec<u8>, u64);

/// The camera photos with hostile names (the `.jpg` ones: `-rf` is no photo) and one screenshot, as
/// (path below the storage, content, mtime).
fn gallery_tree(storage: &Path) -> Vec<TreeFile> {
    let mut files = Vec::new();
    for (i, name) in HOSTILE_NAMES.iter().enumerate().filter(|(_, n)| n.ends_with(b".jpg")) {
        let rel = Path::new("DCIM/Camera").join(OsStr::from_bytes(name));
        let content = noise(20_000 + i * 7919, i as u64);
        let mtime = 1_600_000_000 + i as u64 * 86_461;
        write_file(&storage.join(&rel), &content, mtime);
        files.push((rel, content, mtime));
    }
    let rel = PathBuf::from("Pictures/Screenshots/shot.png");
    write_file(&storage.join(&rel), &noise(300_000, 99), SHOT_MTIME);
    files.push((rel, noise(300_000, 99), SHOT_MTIME));
    files
}

fn camera_count() -> usize {
    HOSTILE_NAMES.iter().filter(|n| n.ends_with(b".jpg")).count()
}

fn ready_phone(server: &AdbServer, serial: &str) -> (tempfile::TempDir, VirtualPhone, Vec<TreeFile>) {
    let (dir, phone) = phone_with_dir(Config { serial: serial.to_string(), ..Config::default() });
    let files = gallery_tree(dir.path());
    server.connect(&phone, "device");
    (dir, phone, files)
}

/// Every file below `dir`, relative, skipping `.phonebak`.
fn files_under(dir: &Path) -> BTreeSet<PathBuf> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeSet<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else { return };
        for entry in entries.flatten() {
            if entry.file_name() == ".phonebak" {
                continue;
            }
            if entry.file_type().expect("type").is_dir() {
                walk(root, &entry.path(), out);
            } else {
                out.insert(entry.path().strip_prefix(root).expect("inside").to_path_buf());
            }
        }
    }
    let mut out = BTreeSet::new();
    walk(dir, dir, &mut out);
    out
}

#[test]
fn devices_lists_a_ready_phone_and_tells_how_to_allow_a_rejected_one() {
    let server = AdbServer::start();
    let (_dir, ready, _) = ready_phone(&server, "VIRT0001");
    let (_dir2, rejected) = phone_with_dir(Config { auth: AuthMode::Rejected, ..Config::default() });
    let _ = server.adb(&["connect", &rejected.addr().to_string()]);
    server.wait_for_state(&rejected, "unauthorized", Duration::from_secs(10));

    let out = run(&server, &["devices"], None);
    assert_eq!(out.status.code(), Some(0), "{}", said(&out));
    let listing = text(&out.stdout);
    assert!(listing.contains(&format!("{}\tdevice", ready.addr())), "{listing}");
    assert!(listing.contains(&format!("{}\tunauthorized", rejected.addr())), "{listing}");
    assert!(listing.contains("tap Allow"), "{listing}");

    let out = run(&server, &["devices", "--json"], None);
    assert_eq!(out.status.code(), Some(0), "{}", said(&out));
    let lines = json_lines(&out);
    let devices = lines[0]["devices"].as_array().expect("devices");
    let of = |addr: String| devices.iter().find(|d| d["serial"] == addr.as_str()).expect("listed").clone();
    assert_eq!(of(ready.addr().to_string())["ready"], true);
    let unauthorized = of(rejected.addr().to_string());
    assert_eq!(unauthorized["state"], "unauthorized");
    assert!(unauthorized["guidance"].as_str().is_some_and(|g| g.contains("Always allow")), "{unauthorized}");
}

#[test]
fn folders_json_gives_each_folder_with_counts_size_and_dates() {
    let server = AdbServer::start();
    let (_dir, _phone, files) = ready_phone(&server, "VIRT0001");
    let out = run(&server, &["folders", "--json"], None);
    assert_eq!(out.status.code(), Some(0), "{}", said(&out));
    let lines = json_lines(&out);
    assert_eq!(lines.len(), 1);
    let folders = lines[0]["folders"].as_array().expect("folders");
    let camera = folders.iter().find(|f| f["name"] == "Camera").expect("Camera folder");
    assert_eq!(camera["path"], "DCIM/Camera");
    assert_eq!(camera["photos"].as_u64(), Some(camera_count() as u64));
    assert_eq!(camera["videos"], 0);
    let camera_files: Vec<_> = files.iter().filter(|(rel, _, _)| rel.starts_with("DCIM/Camera")).collect();
    let bytes: usize = camera_files.iter().map(|(_, c, _)| c.len()).sum();
    assert_eq!(camera["bytes"].as_u64(), Some(bytes as u64));
    let oldest = camera_files.iter().map(|(_, _, m)| *m).min();
    let newest = camera_files.iter().map(|(_, _, m)| *m).max();
    assert_eq!(camera["oldest"].as_u64(), oldest);
    assert_eq!(camera["newest"].as_u64(), newest);
    let shots = folders.iter().find(|f| f["name"] == "Screenshots").expect("Screenshots folder");
    assert_eq!(shots["photos"], 1);
    assert_eq!(shots["bytes"], 300_000);
    assert_eq!(lines[0]["model"], "Pixel 7");
}

#[test]
fn backup_dry_run_prints_the_plan_and_copies_nothing() {
    let server = AdbServer::start();
    let (_dir, _phone, files) = ready_phone(&server, "VIRT0001");
    let dest = tempfile::tempdir().expect("dest");
    let target = dest.path().join("backup");
    let out = run(&server, &["backup", "--dry-run", "--json"], Some(&target));
    assert_eq!(out.status.code(), Some(0), "{}", said(&out));
    let lines = json_lines(&out);
    assert_eq!(lines.len(), 1, "a dry run prints only the plan");
    let plan = event(&lines, "plan");
    assert_eq!(plan["files_to_copy"].as_u64(), Some(files.len() as u64));
    assert_eq!(plan["files"].as_array().map(Vec::len), Some(files.len()));
    assert!(
        plan["files"]
            .as_array()
            .expect("files")
            .iter()
            .any(|f| f["local_path"] == format!("{DEVICE_FOLDER}/Pictures/Screenshots/shot.png").as_str()
                && f["status"] == "new"),
        "{plan}"
    );
    assert!(!target.exists(), "a dry run created the backup folder");

    let out = run(&server, &["backup", "--dry-run"], Some(&target));
    assert_eq!(out.status.code(), Some(0), "{}", said(&out));
    let printed = text(&out.stdout);
    assert!(printed.contains(&format!("To copy: {} files", files.len())), "{printed}");
    assert!(printed.contains("Pictures/Screenshots/shot.png"), "{printed}");
    assert!(!target.exists(), "a dry run created the backup folder");
}

#[test]
fn backup_copies_byte_exact_with_mtimes_and_a_second_run_copies_nothing() {
    let server = AdbServer::start();
    let (_dir, _phone, files) = ready_phone(&server, "VIRT0001");
    let dest = tempfile::tempdir().expect("dest");
    let out = run(&server, &["backup"], Some(dest.path()));
    assert_eq!(out.status.code(), Some(0), "{}", said(&out));
    assert!(text(&out.stdout).contains(&format!("Backed up {} files", files.len())), "{}", said(&out));
    for (rel, content, mtime) in &files {
        let local = dest.path().join(DEVICE_FOLDER).join(rel);
        let got = std::fs::read(&local).unwrap_or_else(|e| panic!("{}: {e}", local.display()));
        assert!(got == *content, "content differs: {}", local.display());
        assert_eq!(mtime_of(&local), *mtime, "{}", local.display());
    }
    assert_eq!(files_under(dest.path()).len(), files.len(), "only the gallery's files were written");

    let out = run(&server, &["backup", "--json"], Some(dest.path()));
    assert_eq!(out.status.code(), Some(0), "{}", said(&out));
    let lines = json_lines(&out);
    assert_eq!(event(&lines, "plan")["files_to_copy"], 0);
    let report = event(&lines, "report");
    assert_eq!(report["copied_files"], 0);
    assert_eq!(report["bytes_pulled"], 0);
    assert_eq!(report["unchanged_files"].as_u64(), Some(files.len() as u64));
}

#[test]
fn backup_folder_and_since_limit_what_is_copied() {
    let server = AdbServer::start();
    let (_dir, _phone, _files) = ready_phone(&server, "VIRT0001");
    let dest = tempfile::tempdir().expect("dest");
    let out = run(&server, &["backup", "--folder", "Camera", "--json"], Some(dest.path()));
    assert_eq!(out.status.code(), Some(0), "{}", said(&out));
    let lines = json_lines(&out);
    assert_eq!(event(&lines, "report")["copied_files"].as_u64(), Some(camera_count() as u64));
    let copied = files_under(dest.path());
    assert_eq!(copied.len(), camera_count());
    assert!(copied.iter().all(|p| p.starts_with(Path::new(DEVICE_FOLDER).join("DCIM/Camera"))), "{copied:?}");

    // The screenshot is from 2009: a later --since leaves it out, an earlier one takes it.
    let out = run(&server, &["backup", "--since", "2010-01-01", "--dry-run", "--json"], Some(dest.path()));
    assert_eq!(out.status.code(), Some(0), "{}", said(&out));
    assert_eq!(event(&json_lines(&out), "plan")["files_to_copy"], 0);
    let out = run(&server, &["backup", "--since", "2009-02-13", "--dry-run", "--json"], Some(dest.path()));
    assert_eq!(event(&json_lines(&out), "plan")["files_to_copy"], 1, "{}", said(&out));

    let out = run(&server, &["backup", "--folder", "Holidays", "--dry-run"], Some(dest.path()));
    assert_eq!(out.status.code(), Some(1), "{}", said(&out));
    assert!(text(&out.stderr).contains("\"Holidays\"") && text(&out.stderr).contains("Camera"), "{}", said(&out));
}

#[test]
fn verify_passes_then_names_a_flipped_bit_and_exits_3() {
    let server = AdbServer::start();
    let (_dir, _phone, _files) = ready_phone(&server, "VIRT0001");
    let dest = tempfile::tempdir().expect("dest");
    let out = run(&server, &["backup"], Some(dest.path()));
    assert_eq!(out.status.code(), Some(0), "{}", said(&out));
    let dest_arg = dest.path().to_str().expect("UTF-8 temp path");

    let out = run(&server, &["verify", dest_arg], None);
    assert_eq!(out.status.code(), Some(0), "{}", said(&out));
    assert!(text(&out.stdout).contains("0 missing, 0 corrupt"), "{}", said(&out));

    let victim = dest.path().join(DEVICE_FOLDER).join("Pictures/Screenshots/shot.png");
    let mut bytes = std::fs::read(&victim).expect("read");
    bytes[1234] ^= 0x10;
    std::fs::write(&victim, bytes).expect("write");
    let gone = dest.path().join(DEVICE_FOLDER).join("DCIM/Camera").join(OsStr::from_bytes(HOSTILE_NAMES[0]));
    std::fs::remove_file(&gone).expect("remove");

    let out = run(&server, &["verify", dest_arg], None);
    assert_eq!(out.status.code(), Some(3), "{}", said(&out));
    let printed = text(&out.stdout);
    assert!(printed.contains(&format!("corrupt: {DEVICE_FOLDER}/Pictures/Screenshots/shot.png")), "{printed}");
    assert!(printed.contains("missing: ") && printed.contains("it's a 'quote'.jpg"), "{printed}");

    let out = run(&server, &["verify", "--json", dest_arg], None);
    assert_eq!(out.status.code(), Some(3), "{}", said(&out));
    let lines = json_lines(&out);
    assert_eq!(event(&lines, "corrupt")["local_path"], format!("{DEVICE_FOLDER}/Pictures/Screenshots/shot.png"));
    assert_eq!(event(&lines, "summary")["corrupt_files"], 1);
    assert_eq!(event(&lines, "summary")["missing_files"], 1);
}

#[test]
fn verify_of_a_folder_without_a_backup_says_so_and_fails() {
    let server = AdbServer::start();
    let empty = tempfile::tempdir().expect("dir");
    let out = run(&server, &["verify", empty.path().to_str().expect("UTF-8")], None);
    assert_eq!(out.status.code(), Some(1), "{}", said(&out));
    assert!(text(&out.stderr).contains("No phonebak backup here"), "{}", said(&out));
}

#[test]
fn a_malformed_since_date_is_a_usage_error() {
    let server = AdbServer::start();
    let dest = tempfile::tempdir().expect("dest");
    for bad in ["yesterday", "2024-02-30", "31/12/2024"] {
        let out = run(&server, &["backup", "--since", bad], Some(dest.path()));
        assert_eq!(out.status.code(), Some(2), "{bad}: {}", said(&out));
        assert!(text(&out.stderr).contains("YYYY-MM-DD"), "{}", said(&out));
    }
}

#[test]
fn two_ready_phones_need_device_and_the_error_names_both() {
    let server = AdbServer::start();
    let (_dir1, one, _) = ready_phone(&server, "VIRT0001");
    let (_dir2, two, _) = ready_phone(&server, "VIRT0002");
    let dest = tempfile::tempdir().expect("dest");
    let out = run(&server, &["backup"], Some(dest.path()));
    assert_eq!(out.status.code(), Some(1), "{}", said(&out));
    let err = text(&out.stderr);
    assert!(err.contains(&one.addr().to_string()) && err.contains(&two.addr().to_string()), "{err}");
    assert!(err.contains("--device"), "{err}");
    assert!(files_under(dest.path()).is_empty());

    let out = run(&server, &["backup", "--device", &two.addr().to_string(), "--dry-run", "--json"], Some(dest.path()));
    assert_eq!(out.status.code(), Some(0), "{}", said(&out));
    assert_eq!(event(&json_lines(&out), "plan")["device_folder"], "Pixel 7 (VIRT0002)");
}

#[test]
fn ctrl_c_stops_a_backup_that_keeps_only_whole_files_and_a_rerun_finishes_it() {
    let server = AdbServer::start();
    let (dir, phone) = phone_with_dir(Config { link: LinkModel::Usb2, ..Config::default() });
    // About 1.6 s of copying on the USB 2 model.
    let mut files = Vec::new();
    for i in 0..4u64 {
        let rel = PathBuf::from(format!("DCIM/Camera/VID_{i}.mp4"));
        let content = noise(15_000_000, i);
        write_file(&dir.path().join(&rel), &content, 1_700_000_000 + i);
        files.push((rel, content, 1_700_000_000 + i));
    }
    server.connect(&phone, "device");
    let dest = tempfile::tempdir().expect("dest");
    let data = tempfile::tempdir().expect("data dir");
    let child = Command::new(env!("CARGO_BIN_EXE_phonebak"))
        .args(["backup", "--json", "--to"])
        .arg(dest.path())
        .env("ANDROID_ADB_SERVER_PORT", server.port.to_string())
        .env("XDG_DATA_HOME", data.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start phonebak");
    // Ctrl-C once copying has begun (the first progress line comes from the copy itself).
    let mut child = child;
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let mut seen = Vec::new();
    for line in lines.by_ref() {
        let line = line.expect("read");
        let copying = line.contains("\"event\":\"progress\"");
        seen.push(line);
        if copying {
            break;
        }
    }
    let status = Command::new("kill").args(["-INT", &child.id().to_string()]).status().expect("kill");
    assert!(status.success());
    seen.extend(lines.map(|l| l.expect("read")));
    let out = child.wait_with_output().expect("wait");
    assert!(seen.iter().any(|l| l.contains("\"event\":\"plan\"")), "{seen:?}");
    assert_eq!(out.status.code(), Some(1), "{}", said(&out));
    assert!(text(&out.stderr).contains("cancelled"), "{}", said(&out));
    let kept = files_under(dest.path());
    assert!(kept.len() < files.len(), "the backup finished before Ctrl-C: {kept:?}");
    for rel in &kept {
        let (_, content, _) = files.iter().find(|(r, _, _)| Path::new(DEVICE_FOLDER).join(r) == *rel).expect("known");
        assert!(std::fs::read(dest.path().join(rel)).expect("read") == *content, "a partial file is visible: {rel:?}");
    }

    let out = run(&server, &["backup", "--json"], Some(dest.path()));
    assert_eq!(out.status.code(), Some(0), "{}", said(&out));
    let report = event(&json_lines(&out), "report").clone();
    assert_eq!(report["copied_files"].as_u64(), Some((files.len() - kept.len()) as u64), "{report}");
    for (rel, content, mtime) in &files {
        let local = dest.path().join(DEVICE_FOLDER).join(rel);
        assert!(std::fs::read(&local).expect("read") == *content, "{}", local.display());
        assert_eq!(mtime_of(&local), *mtime);
    }
    let out = run(&server, &["verify", dest.path().to_str().expect("UTF-8")], None);
    assert_eq!(out.status.code(), Some(0), "{}", said(&out));
}
