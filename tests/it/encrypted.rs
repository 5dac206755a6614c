//! Password-encrypted backups with the real binary, through a private real adb server: a sample gallery (with
//! the shared real photos when present and the hostile names) backed up encrypted and restored onto an empty
//! phone; the folder shows no names; Debian's `age` opens the key with the password and a photo with the key;
//! a wrong password writes nothing; damaged files are named and the rest still restores; a cable pull resumes.

use crate::util::{AdbServer, phone_with_dir, said, tree};
use phonebak::virtual_phone::sample::SampleOptions;
use phonebak::virtual_phone::{Config, Fault, PullPoint, StorageSource, VirtualPhone};
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

const PASSWORD: &str = "correct horse battery staple";

/// Runs the real `phonebak ARGS...` against `server` with `password` in `PHONEBAK_PASSWORD`.
fn phonebak(server: &AdbServer, password: &str, args: &[&OsStr]) -> Output {
    let data = tempfile::tempdir().expect("data dir");
    Command::new(env!("CARGO_BIN_EXE_phonebak"))
        .args(args)
        .env("ANDROID_ADB_SERVER_PORT", server.port.to_string())
        .env("XDG_DATA_HOME", data.path())
        .env("PHONEBAK_PASSWORD", password)
        .env_remove("ANDROID_SERIAL")
        .stdin(Stdio::null())
        .output()
        .expect("run phonebak")
}

fn os(s: &str) -> &OsStr {
    OsStr::new(s)
}

fn backup(server: &AdbServer, phone: &VirtualPhone, dest: &Path, password: &str, encrypt: bool) -> Output {
    let serial = phone.addr().to_string();
    let mut args = vec![os("backup"), os("--device"), os(&serial), os("--to"), dest.as_os_str()];
    if encrypt {
        args.push(os("--encrypt"));
    }
    phonebak(server, password, &args)
}

fn restore(server: &AdbServer, phone: &VirtualPhone, from: &Path, password: &str) -> Output {
    let serial = phone.addr().to_string();
    phonebak(server, password, &[os("restore"), os("--device"), os(&serial), os("--from"), from.as_os_str()])
}

/// Every file below `root`, relative, as text.
fn names(root: &Path) -> Vec<String> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).expect("read dir").flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                out.push(path.strip_prefix(root).expect("inside").to_string_lossy().into_owned());
            }
        }
    }
    let mut out = Vec::new();
    walk(root, root, &mut out);
    out.sort();
    out
}

/// A name phonebak gives an encrypted file: 32 hex digits (`.age` or `.journal`), in a folder of its first two.
fn is_hashed(name: &str) -> bool {
    let stem = name.rsplit('/').next().unwrap_or(name);
    let (hash, ext) = stem.split_once('.').unwrap_or((stem, ""));
    hash.len() == 32 && hash.bytes().all(|b| b.is_ascii_hexdigit()) && (ext == "age" || ext == "journal")
}

fn sample_phone(server: &AdbServer, photos: usize) -> VirtualPhone {
    let phone = VirtualPhone::start(Config {
        storage: StorageSource::Sample(SampleOptions { photos, seed: 21, huge_video: false }),
        ..Config::default()
    })
    .expect("sample phone");
    server.connect(&phone, "device");
    phone
}

fn empty_phone(server: &AdbServer) -> (tempfile::TempDir, VirtualPhone) {
    let (dir, phone) =
        phone_with_dir(Config { serial: "VIRT0002".into(), model: "Pixel 8".into(), ..Config::default() });
    server.connect(&phone, "device");
    (dir, phone)
}

/// The content and modification time the source phone serves at `rel` (below its storage).
fn served(server: &AdbServer, phone: &VirtualPhone, rel: &[u8]) -> (Vec<u8>, u64) {
    let device = crate::util::device_of(server, phone);
    let mut path = b"/storage/emulated/0/".to_vec();
    path.extend_from_slice(rel);
    let mut content = Vec::new();
    device
        .pull(&path, &mut content, &mut |_| Ok(()))
        .unwrap_or_else(|e| panic!("{}: {e}", String::from_utf8_lossy(rel)));
    let mut session = device.sync().expect("sync");
    let stat = session.stat(&path).expect("stat").expect("on the phone");
    (content, stat.mtime as u64)
}

#[test]
fn an_encrypted_backup_shows_no_names_and_restores_byte_exact_with_dates_onto_an_empty_phone() {
    let server = AdbServer::start();
    let phone = sample_phone(&server, 16);
    let dest = tempfile::tempdir().expect("backup folder");
    let out = backup(&server, &phone, dest.path(), PASSWORD, true);
    assert_eq!(out.status.code(), Some(0), "{}", said(&out));
    assert!(said(&out).contains("(encrypted)"), "{}", said(&out));

    // Nothing in the folder names a photo, a folder, a phone or a date.
    let files = names(dest.path());
    assert!(files.len() > 16, "{files:?}");
    for name in &files {
        // The lock file is empty once the backup is over (while one runs it says "a backup" and by whom).
        let known = [".phonebak/encrypted.json", ".phonebak/key-1.age", ".phonebak/key-2.age", ".phonebak/lock"];
        assert!(known.contains(&name.as_str()) || is_hashed(name), "{name} reveals something");
    }
    assert_eq!(
        std::fs::read(dest.path().join(".phonebak/lock")).expect("lock").len(),
        0,
        "the lock file says something"
    );
    let marker = std::fs::read_to_string(dest.path().join(".phonebak/encrypted.json")).expect("marker");
    assert!(!marker.contains("VIRT") && !marker.contains("Pixel"), "{marker}");

    // A second run copies nothing new and asks for the same password.
    let again = backup(&server, &phone, dest.path(), PASSWORD, false);
    assert_eq!(again.status.code(), Some(0), "{}", said(&again));
    assert!(said(&again).contains("Backed up 0 files"), "{}", said(&again));
    let verify = phonebak(&server, PASSWORD, &[os("verify"), dest.path().as_os_str()]);
    assert_eq!(verify.status.code(), Some(0), "{}", said(&verify));

    let (target, target_phone) = empty_phone(&server);
    let out = restore(&server, &target_phone, dest.path(), PASSWORD);
    assert_eq!(out.status.code(), Some(0), "{}", said(&out));
    let restored = tree(target.path());
    for (path, (content, mtime)) in &restored {
        let (want, want_mtime) = served(&server, &phone, path);
        assert!(*content == want, "{} differs", String::from_utf8_lossy(path));
        assert_eq!(*mtime, want_mtime, "{}", String::from_utf8_lossy(path));
    }
    assert!(restored.len() >= 16, "{} files restored", restored.len());
}

/// Decrypts `file` with Debian's `age` and the password, typed on a terminal (age reads it from /dev/tty).
fn age_with_password(file: &Path, out: &Path, password: &str) -> Output {
    let command = format!("age -d -o '{}' '{}'", out.display(), file.display());
    let mut child = Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("script (bsdutils) and age (install the age package; scripts/test does)");
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().expect("stdin");
        std::thread::sleep(Duration::from_millis(300));
        stdin.write_all(format!("{password}\n").as_bytes()).expect("type the password");
        std::thread::sleep(Duration::from_millis(300));
    }
    child.wait_with_output().expect("age")
}

#[test]
fn debians_age_opens_the_key_with_the_password_and_a_photo_with_the_key() {
    let server = AdbServer::start();
    let phone = sample_phone(&server, 3);
    let dest = tempfile::tempdir().expect("backup folder");
    let out = backup(&server, &phone, dest.path(), PASSWORD, true);
    assert_eq!(out.status.code(), Some(0), "{}", said(&out));
    let work = tempfile::tempdir().expect("work");
    let key = work.path().join("key.txt");
    let opened = age_with_password(&dest.path().join(".phonebak/key-1.age"), &key, PASSWORD);
    assert!(opened.status.success(), "age could not open the key: {}", said(&opened));
    let key_text = std::fs::read_to_string(&key).expect("key");
    assert!(key_text.trim().starts_with("AGE-SECRET-KEY-1"), "{key_text}");

    // The manifest, then a photo it names, with the key alone.
    let manifest_file = std::fs::read_dir(dest.path().join(".phonebak"))
        .expect("state")
        .flatten()
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|e| e == "age") && !p.ends_with("key-1.age") && !p.ends_with("key-2.age"))
        .expect("an encrypted manifest");
    let manifest_out = work.path().join("manifest.json");
    let age = |input: &Path, output: &Path| {
        let out = Command::new("age")
            .args([os("-d"), os("-i"), key.as_os_str(), os("-o"), output.as_os_str(), input.as_os_str()])
            .output()
            .expect("age");
        assert!(out.status.success(), "age -d -i: {}", said(&out));
    };
    age(&manifest_file, &manifest_out);
    let manifest: phonebak::backup::Manifest =
        serde_json::from_slice(&std::fs::read(&manifest_out).expect("manifest")).expect("manifest JSON");
    assert_eq!(manifest.format, "phonebak-manifest");
    let mut checked = 0;
    for entry in manifest.files.iter().take(3) {
        let hashed = std::fs::read_dir(dest.path())
            .expect("dest")
            .flatten()
            .filter(|e| e.file_name() != ".phonebak")
            .flat_map(|d| std::fs::read_dir(d.path()).into_iter().flatten().flatten())
            .map(|e| e.path())
            .collect::<Vec<PathBuf>>();
        // The manifest does not say which hashed file is which (the name is keyed): decrypt each and match.
        let (want, _) =
            served(&server, &phone, entry.phone_path.0.strip_prefix(b"/storage/emulated/0/").expect("storage"));
        let found = hashed.iter().any(|h| {
            let plain = work.path().join("plain");
            age(h, &plain);
            std::fs::read(&plain).expect("plain") == want
        });
        assert!(found, "no encrypted file decrypts to {}", String::from_utf8_lossy(&entry.phone_path.0));
        checked += 1;
    }
    assert!(checked > 0);
}

#[test]
fn a_wrong_password_is_refused_and_nothing_is_written() {
    let server = AdbServer::start();
    let phone = sample_phone(&server, 3);
    let dest = tempfile::tempdir().expect("backup folder");
    assert_eq!(backup(&server, &phone, dest.path(), PASSWORD, true).status.code(), Some(0));
    let before = tree(dest.path());
    let before_names = names(dest.path());
    let out = backup(&server, &phone, dest.path(), "not the password", false);
    assert_eq!(out.status.code(), Some(1), "{}", said(&out));
    assert!(said(&out).contains("Wrong password"), "{}", said(&out));
    assert_eq!(names(dest.path()), before_names, "a file appeared or went");
    assert!(tree(dest.path()) == before, "the backup changed");
    let (target, target_phone) = empty_phone(&server);
    let out = restore(&server, &target_phone, dest.path(), "not the password");
    assert_eq!(out.status.code(), Some(1), "{}", said(&out));
    assert!(said(&out).contains("Wrong password"), "{}", said(&out));
    assert!(tree(target.path()).is_empty(), "something reached the phone");
    let plain = tempfile::tempdir().expect("plain");
    assert_eq!(backup(&server, &phone, plain.path(), PASSWORD, false).status.code(), Some(0));
    let out = backup(&server, &phone, plain.path(), PASSWORD, true);
    assert_eq!(out.status.code(), Some(1), "{}", said(&out));
    assert!(said(&out).contains("already holds a plain"), "{}", said(&out));
}

#[test]
fn a_damaged_photo_is_named_and_the_rest_restores_a_damaged_manifest_is_named_one_damaged_key_copy_is_survived() {
    let server = AdbServer::start();
    let phone = sample_phone(&server, 6);
    let dest = tempfile::tempdir().expect("backup folder");
    assert_eq!(backup(&server, &phone, dest.path(), PASSWORD, true).status.code(), Some(0));
    // One damaged key copy: the other opens the backup.
    let key1 = dest.path().join(".phonebak/key-1.age");
    let mut bytes = std::fs::read(&key1).expect("key");
    let n = bytes.len() - 3;
    bytes[n] ^= 0x10;
    std::fs::write(&key1, bytes).expect("damage the key");
    // A flipped byte in the biggest photo.
    let mut photos: Vec<PathBuf> =
        names(dest.path()).into_iter().filter(|n| !n.starts_with(".phonebak")).map(|n| dest.path().join(n)).collect();
    photos.sort_by_key(|p| std::fs::metadata(p).map_or(0, |m| m.len()));
    let victim = photos.last().expect("a photo").clone();
    let mut bytes = std::fs::read(&victim).expect("photo");
    let n = bytes.len() / 2;
    bytes[n] ^= 0x01;
    std::fs::write(&victim, bytes).expect("damage the photo");
    let verify = phonebak(&server, PASSWORD, &[os("verify"), dest.path().as_os_str()]);
    assert_eq!(verify.status.code(), Some(3), "{}", said(&verify));
    assert!(said(&verify).contains("cannot be decrypted") && said(&verify).contains("1 corrupt"), "{}", said(&verify));

    let (target, target_phone) = empty_phone(&server);
    let out = restore(&server, &target_phone, dest.path(), PASSWORD);
    assert_eq!(out.status.code(), Some(3), "some files failed: {}", said(&out));
    let restored = tree(target.path());
    assert_eq!(restored.len(), photos.len() - 1, "every other photo restores");
    assert!(
        restored.keys().all(|p| !String::from_utf8_lossy(p).contains(".phonebak-restore-")),
        "a partial file was left on the phone"
    );

    // A flipped byte in the manifest: named, nothing restored.
    let manifest_file = phonebak::vault::manifest_files(dest.path()).pop().expect("manifest");
    let mut bytes = std::fs::read(&manifest_file).expect("manifest");
    let n = bytes.len() - 20;
    bytes[n] ^= 0x01;
    std::fs::write(&manifest_file, bytes).expect("damage the manifest");
    let (target2, target_phone2) = empty_phone(&server);
    let out = restore(&server, &target_phone2, dest.path(), PASSWORD);
    assert_eq!(out.status.code(), Some(1), "{}", said(&out));
    let name = manifest_file.file_name().expect("name").to_string_lossy().into_owned();
    assert!(said(&out).contains(&name), "the manifest is not named: {}", said(&out));
    assert!(tree(target2.path()).is_empty());
}

#[test]
fn an_encrypted_backup_cut_by_a_cable_pull_resumes_and_completes() {
    let server = AdbServer::start();
    let phone = sample_phone(&server, 12);
    let dest = tempfile::tempdir().expect("backup folder");
    phone.inject(Fault::CablePull { at: PullPoint::AfterBytes(6 << 20), offline: Duration::from_millis(300) });
    let out = backup(&server, &phone, dest.path(), PASSWORD, true);
    assert_eq!(out.status.code(), Some(1), "the pull cut it: {}", said(&out));
    crate::util::replug(&server, &phone);
    let out = backup(&server, &phone, dest.path(), PASSWORD, true);
    assert_eq!(out.status.code(), Some(0), "{}", said(&out));
    let verify = phonebak(&server, PASSWORD, &[os("verify"), dest.path().as_os_str()]);
    assert_eq!(verify.status.code(), Some(0), "{}", said(&verify));
    let (target, target_phone) = empty_phone(&server);
    assert_eq!(restore(&server, &target_phone, dest.path(), PASSWORD).status.code(), Some(0));
    let restored = tree(target.path());
    assert!(restored.len() >= 12);
    for (path, (content, _)) in &restored {
        assert!(served(&server, &phone, path).0 == *content, "{}", String::from_utf8_lossy(path));
    }
}
