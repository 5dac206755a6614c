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
