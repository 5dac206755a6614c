//! Free up space, the proof (issue 12's first part): the real engine against a virtual phone through the real
//! adb server, after a backup by the real binary. Only photos whose backup copy re-hashes right and whose
//! phone file is unchanged (size, date and the phone's own `sha256sum`) are proven; every other one is kept
//! with its reason; a manifest with a tampered entry refuses the whole run.

use crate::util::{AdbServer, device_of, noise, phone_with_dir, phonebak, said, write_file};
use phonebak::backup::manifest::{Bytes, Manifest};
use phonebak::freeup::{self, FreeUpError, Kept};
use phonebak::progress::CancelToken;
use phonebak::scan::{ScanOptions, scan};
use phonebak::virtual_phone::Config;

#[test]
fn only_photos_proven_on_both_ends_are_offered_and_every_other_one_is_kept_with_its_reason() {
    let server = AdbServer::start();
    let (storage, phone) =
        phone_with_dir(Config { model: "Pixel 7".into(), serial: "FREE0001".into(), ..Config::default() });
    let camera = storage.path().join("DCIM/Camera");
    let names = ["same.jpg", "it's $(rm -rf x); \"q\".jpg", "changed.jpg", "sneaky.jpg", "flipped.jpg", "gone.jpg"];
    for (i, name) in names.iter().enumerate() {
        write_file(&camera.join(name), &noise(40_000, i as u64 + 1), 1_700_000_000 + i as u64);
    }
    server.connect(&phone, "device");
    let dest = tempfile::tempdir().expect("backup folder");
    let out = phonebak(&server, &["backup", "--to", dest.path().to_str().expect("utf8")]);
    assert!(out.status.success(), "{}", said(&out));

    // After the backup: a photo edited on the phone (new size and date), one changed behind its size and
    // date, a bit flipped in one backup copy, one copy deleted from the backup, and a new photo.
    write_file(&camera.join("changed.jpg"), &noise(41_000, 99), 1_710_000_000);
    let mut sneaky = noise(40_000, 4);
    sneaky[100] ^= 1;
    write_file(&camera.join("sneaky.jpg"), &sneaky, 1_700_000_003);
    let copies = dest.path().join("Pixel 7 (FREE0001)/DCIM/Camera");
    let mut flipped = std::fs::read(copies.join("flipped.jpg")).expect("copy");
    flipped[20_000] ^= 0x10;
    std::fs::write(copies.join("flipped.jpg"), flipped).expect("flip");
    std::fs::remove_file(copies.join("gone.jpg")).expect("remove the copy");
    write_file(&camera.join("new.jpg"), &noise(1000, 7), 1_720_000_000);

    let device = device_of(&server, &phone);
    let gallery = scan(&device, &ScanOptions::default(), &|_| {}, &CancelToken::new()).expect("scan");
    let files = freeup::choose(gallery.files(), None, &[], 1_730_000_000);
    let manifest = Manifest::load(dest.path(), "FREE0001").expect("manifest").expect("a manifest");
    let proof = freeup::prove(&device, dest.path(), &manifest, None, &files, &CancelToken::new()).expect("proof");

    let name = |f: &phonebak::scan::MediaFile| String::from_utf8_lossy(f.name()).into_owned();
    let mut proven: Vec<String> = proof.proven.iter().map(|(f, _)| name(f)).collect();
    proven.sort();
    assert_eq!(proven, ["it's $(rm -rf x); \"q\".jpg", "same.jpg"]);
    assert_eq!(proof.proven_bytes(), 80_000);
    let kept: std::collections::HashMap<String, Kept> = proof.kept.iter().map(|(f, k)| (name(f), k.clone())).collect();
    assert_eq!(kept.len(), 5, "{kept:#?}");
    assert!(matches!(&kept["changed.jpg"], Kept::ChangedOnPhone { what } if what.contains("41000 bytes")), "{kept:#?}");
    assert!(matches!(&kept["sneaky.jpg"], Kept::ChangedOnPhone { what } if what.contains("SHA-256")), "{kept:#?}");
    assert!(
        matches!(&kept["flipped.jpg"], Kept::BackupCopyDamaged { why } if why.contains("content changed")),
        "{kept:#?}"
    );
    assert_eq!(kept["gone.jpg"], Kept::BackupCopyMissing);
    assert_eq!(kept["new.jpg"], Kept::NotBackedUp);
    assert!(kept["flipped.jpg"].describe().contains("damaged"));

    // One entry that no backup writes (a path outside the shared storage): nothing is proven at all.
    let mut tampered = manifest.clone();
    if let Some(first) = tampered.files.first_mut() {
        first.phone_path = Bytes(b"/data/media/0/../../system/build.prop".to_vec());
    }
    let refused = freeup::prove(&device, dest.path(), &tampered, None, &files, &CancelToken::new());
    assert!(matches!(refused, Err(FreeUpError::ManifestRefused { .. })), "{refused:?}");
    let shown = refused.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(shown.contains("nothing is removed from the phone") && shown.contains("build.prop"), "{shown}");
}

#[test]
fn free_up_removes_only_proven_photos_journals_each_and_leaves_no_gallery_row_on_android_14_10_and_9() {
    for release in ["14", "10", "9"] {
        let android = phonebak::virtual_phone::AndroidVersion::parse(release).expect("release");
        let server = AdbServer::start();
        let serial = format!("FREEUP{release}");
        let (storage, phone) =
            phone_with_dir(Config { model: "Pixel".into(), serial: serial.clone(), android, ..Config::default() });
        let camera = storage.path().join("DCIM/Camera");
        let names = ["a.jpg", "b $(x) 'q'.jpg", "c.jpg", "edited.jpg"];
        for (i, name) in names.iter().enumerate() {
            write_file(&camera.join(name), &noise(30_000, i as u64 + 10), 1_600_000_000 + i as u64);
        }
        server.connect(&phone, "device");
        // The gallery knows the photos (as the camera app would have told it), on every release.
        let paths: Vec<String> = names.iter().map(|name| format!("DCIM/Camera/{name}")).collect();
        crate::util::tell_gallery(&server, &phone, &paths.iter().map(String::as_str).collect::<Vec<_>>());
        let dest = tempfile::tempdir().expect("backup folder");
        let dest_arg = dest.path().to_str().expect("utf8");
        let out = phonebak(&server, &["backup", "--to", dest_arg]);
        assert!(out.status.success(), "{}", said(&out));
        write_file(&camera.join("edited.jpg"), &noise(31_000, 77), 1_650_000_000);
        write_file(&camera.join("new.jpg"), &noise(5_000, 78), 1_650_000_001);

        // A dry run removes nothing.
        let out = phonebak(&server, &["free-up", "--from", dest_arg, "--dry-run"]);
        assert!(out.status.success(), "{}", said(&out));
        assert!(crate::util::text(&out.stdout).contains("3 photos and videos (90.0 kB)"), "{}", said(&out));
        assert!(camera.join("a.jpg").exists());

        // Without a terminal and without --yes: refused, nothing removed.
        let out = phonebak(&server, &["free-up", "--from", dest_arg]);
        assert_eq!(out.status.code(), Some(1), "{}", said(&out));
        assert!(camera.join("a.jpg").exists());

        let out = phonebak(&server, &["free-up", "--from", dest_arg, "--yes", "--json", "--permanent"]);
        assert!(out.status.success(), "Android {release}: {}", said(&out));
        let lines = crate::util::json_lines(&out);
        let summary = crate::util::event(&lines, "summary");
        assert_eq!((summary["removed"].as_u64(), summary["kept"].as_u64()), (Some(3), Some(2)), "{summary}");
        let left = names_in(&camera);
        assert_eq!(left, ["edited.jpg", "new.jpg"], "Android {release}");
        // Each removed file has its journal lines, before and after.
        let journal = std::fs::read_to_string(freeup::journal_path(dest.path(), &serial, None)).expect("journal");
        for name in ["a.jpg", "b $(x) 'q'.jpg", "c.jpg"] {
            let lines = journal.lines().filter(|l| l.contains(&format!("/DCIM/Camera/{name}"))).count();
            assert_eq!(lines, 2, "Android {release}, {name}: {journal}");
        }
        // The gallery has no row for them, and still has the kept ones.
        let rows =
            server.on(&phone, &["shell", "content query --uri content://media/external/file --projection _data"]);
        let rows = crate::util::text(&rows.stdout);
        assert!(
            !rows.contains("/a.jpg") && !rows.contains("c.jpg") && !rows.contains("'q'.jpg"),
            "Android {release}: {rows}"
        );
        assert!(rows.contains("edited.jpg"), "Android {release}: {rows}");
        // A second run finds nothing more to remove and removes nothing twice.
        let out = phonebak(&server, &["free-up", "--from", dest_arg, "--yes", "--json", "--permanent"]);
        let lines = crate::util::json_lines(&out);
        assert_eq!(crate::util::event(&lines, "summary")["removed"].as_u64(), Some(0), "{}", said(&out));
    }
}

/// The names in folder `dir`, sorted.
pub(crate) fn names_in(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("folder")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// The phone paths the free-up journal says were about to be removed.
fn journaled(dest: &std::path::Path, serial: &str) -> std::collections::HashSet<Vec<u8>> {
    let text = std::fs::read(freeup::journal_path(dest, serial, None)).unwrap_or_default();
    text.split(|&b| b == b'\n')
        .filter_map(|line| serde_json::from_slice::<freeup::FreedLine>(line).ok())
        .filter_map(|line| match line {
            freeup::FreedLine::Removing { phone_path, .. } => Some(phone_path.0),
            freeup::FreedLine::Removed { .. } => None,
        })
        .collect()
}

#[test]
fn a_cable_pulled_during_a_free_up_never_removes_a_file_without_its_journal_line_and_the_rerun_finishes() {
    use phonebak::virtual_phone::{Fault, PullPoint};
    let (mut cut, mut cut_in_trash_rounds) = (0, 0);
    for round in 0..10u64 {
        let server = AdbServer::start();
        let serial = format!("PULLFREE{round}");
        let (storage, phone) =
            phone_with_dir(Config { model: "Pixel".into(), serial: serial.clone(), seed: round, ..Config::default() });
        let camera = storage.path().join("DCIM/Camera");
        for i in 0..12u64 {
            write_file(&camera.join(format!("IMG_{i:02} 'x'.jpg")), &noise(8_000, i + 1), 1_600_000_000 + i);
        }
        server.connect(&phone, "device");
        // Odd rounds go to the phone's trash (its photos have gallery rows), even ones are removed permanently.
        let disposal = if round % 2 == 1 { freeup::Disposal::Trash } else { freeup::Disposal::Permanent };
        if disposal == freeup::Disposal::Trash {
            crate::util::index_folder(&server, &phone, "DCIM/Camera");
        }
        let dest = tempfile::tempdir().expect("backup folder");
        let out = phonebak(&server, &["backup", "--to", dest.path().to_str().expect("utf8")]);
        assert!(out.status.success(), "{}", said(&out));
        // Two photos not in the backup must survive whatever happens.
        write_file(&camera.join("new 1.jpg"), &noise(3_000, 90), 1_700_000_000);
        write_file(&camera.join("new 2.jpg"), &noise(3_000, 91), 1_700_000_001);
        let manifest = Manifest::load(dest.path(), &serial).expect("manifest").expect("a manifest");
        phone.inject(Fault::CablePull {
            at: PullPoint::RandomWithin(6_000),
            offline: std::time::Duration::from_millis(200),
        });
        let mut device = device_of(&server, &phone);
        let mut finished = false;
        for _attempt in 0..6 {
            let run = scan(&device, &ScanOptions::default(), &|_| {}, &CancelToken::new())
                .map_err(|e| e.to_string())
                .and_then(|gallery| {
                    let files = freeup::choose(gallery.files(), None, &[], 1_800_000_000);
                    let proof = freeup::prove(&device, dest.path(), &manifest, None, &files, &CancelToken::new())
                        .map_err(|e| e.to_string())?;
                    freeup::remove(&device, dest.path(), &serial, None, 34, &proof, disposal, &CancelToken::new())
                        .map_err(|e| e.to_string())
                });
            // Whatever happened: every photo gone from the phone has its journal line, and the new ones stay.
            let journal = journaled(dest.path(), &serial);
            for i in 0..12u64 {
                let name = format!("IMG_{i:02} 'x'.jpg");
                if !camera.join(&name).exists() {
                    let path = format!("/storage/emulated/0/DCIM/Camera/{name}").into_bytes();
                    assert!(journal.contains(&path), "round {round}: {name} removed without its journal line");
                }
            }
            assert!(camera.join("new 1.jpg").exists() && camera.join("new 2.jpg").exists(), "round {round}");
            if run.is_ok() {
                finished = true;
                break;
            }
            cut += 1;
            if disposal == freeup::Disposal::Trash {
                cut_in_trash_rounds += 1;
            }
            device = crate::util::replug(&server, &phone);
        }
        assert!(finished, "round {round}: the re-runs never finished");
        let (trashed, left): (Vec<String>, Vec<String>) =
            names_in(&camera).into_iter().partition(|n| n.starts_with(".trashed-"));
        assert_eq!(left, ["new 1.jpg", "new 2.jpg"], "round {round}");
        let in_trash = if disposal == freeup::Disposal::Trash { 12 } else { 0 };
        assert_eq!(trashed.len(), in_trash, "round {round} ({disposal:?}): {trashed:?}");
        // Each photo was removed once: one `Removing` line per photo at most per run that reached `rm`.
        assert_eq!(journaled(dest.path(), &serial).len(), 12, "round {round}");
    }
    assert!(cut >= 5, "only {cut} of 10 cable pulls cut a free-up: the test does not test much");
    assert!(cut_in_trash_rounds >= 2, "only {cut_in_trash_rounds} cable pulls cut a free-up to the trash");
}

#[test]
fn a_read_only_or_missing_backup_folder_removes_nothing() {
    let Some(disk) = crate::util::tmpfs_or_skip(64 << 20) else { return };
    let server = AdbServer::start();
    let (storage, phone) =
        phone_with_dir(Config { model: "Pixel".into(), serial: "ROFREE01".into(), ..Config::default() });
    let camera = storage.path().join("DCIM/Camera");
    for i in 0..3u64 {
        write_file(&camera.join(format!("IMG_{i}.jpg")), &noise(5_000, i + 1), 1_600_000_000 + i);
    }
    server.connect(&phone, "device");
    let dest = disk.0.join("Phone backups");
    let dest_arg = dest.to_str().expect("utf8");
    let out = phonebak(&server, &["backup", "--to", dest_arg]);
    assert!(out.status.success(), "{}", said(&out));
    // The disk turns read-only (a failing USB disk is remounted so by the kernel).
    let remount = std::process::Command::new("mount").args(["-o", "remount,ro"]).arg(&disk.0).output().expect("mount");
    assert!(remount.status.success(), "{}", said(&remount));
    let out = phonebak(&server, &["free-up", "--from", dest_arg, "--yes"]);
    assert_eq!(out.status.code(), Some(1), "{}", said(&out));
    assert!(said(&out).contains("removed from the phone"), "{}", said(&out));
    assert_eq!(std::fs::read_dir(&camera).expect("camera").count(), 3, "a photo was removed");
    // The disk is gone.
    let gone = disk.0.join("not plugged in");
    let out = phonebak(&server, &["free-up", "--from", gone.to_str().expect("utf8"), "--yes"]);
    assert_eq!(out.status.code(), Some(1), "{}", said(&out));
    assert!(said(&out).contains("is not there"), "{}", said(&out));
    assert_eq!(std::fs::read_dir(&camera).expect("camera").count(), 3, "a photo was removed");
}
