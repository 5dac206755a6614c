//! The app's first run and one-click path, driven with `egui_kittest` against the real adb server and virtual
//! phones: a default backup folder that works without any dialog, a folder dialog that cannot open (the reason
//! and a text field instead), a backup larger than the disk's free space refused up front, and two phones of
//! the same model on the Restore screen.

use crate::gui::{adb_of, app_harness_with, open_phone, step_until};
use crate::util::{AdbServer, noise, phone_with_dir, tmpfs_or_skip, tree, write_file};
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use phonebak::gui::egui::{self, Role};
use phonebak::gui::{AdbSource, App, Options, Screen};
use phonebak::virtual_phone::{Config, LinkModel, VirtualPhone};
use std::path::Path;
use std::time::Duration;

/// A phone of `model`/`serial` with `n` small camera JPEGs.
fn phone_with_photos(model: &str, serial: &str, n: u64) -> (tempfile::TempDir, VirtualPhone) {
    let (dir, phone) = phone_with_dir(Config {
        model: model.to_string(),
        serial: serial.to_string(),
        link: LinkModel::Unlimited,
        ..Config::default()
    });
    for i in 0..n {
        let image = image::RgbImage::from_fn(64, 48, |x, y| image::Rgb([(x * 3) as u8, (y * 5) as u8, (i * 50) as u8]));
        let mut jpeg = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 85).encode_image(&image).expect("jpeg");
        write_file(&dir.path().join(format!("DCIM/Camera/IMG_{i}.jpg")), &jpeg, 1_706_000_000 + i * 86_400);
    }
    (dir, phone)
}

/// The label of the first widget of `role` whose label starts with `prefix`.
fn label_starting(harness: &Harness<'_, App>, role: Role, prefix: &str) -> Option<String> {
    harness.query_all_by_role(role).filter_map(|n| n.accesskit_node().label()).find(|l| l.starts_with(prefix))
}

/// Types `text` into the text field labelled `label`, replacing what it holds.
fn type_into(harness: &mut Harness<'_, App>, label: &str, text: &str) {
    let field = harness.get_by_role_and_label(Role::TextInput, label);
    field.focus();
    harness.run_steps(1);
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    harness.run_steps(1);
    harness.get_by_role_and_label(Role::TextInput, label).type_text(text);
    harness.run_steps(2);
}

#[test]
fn the_default_backup_folder_is_shown_with_its_free_space_and_back_up_works_without_any_dialog() {
    let server = AdbServer::start();
    let adb = adb_of(&server);
    let (_storage, phone) = phone_with_photos("First Phone", "FIRST001", 3);
    server.connect(&phone, "device");
    let home = tempfile::tempdir().expect("home");
    let default = home.path().join("Pictures").join("Phone backups");
    let settings = home.path().join("settings.json");
    let mut harness = app_harness_with(Options {
        default_backup_folder: Some(default.clone()),
        settings_path: Some(settings.clone()),
        ..Options::with_adb(AdbSource::Fixed(adb))
    });
    open_phone(&mut harness, "First Phone");
    step_until(&mut harness, Duration::from_secs(10), "the folder's free space", |h| {
        h.state().backup_view().is_some_and(|v| v.dest_free.is_some())
    });
    assert!(harness.query_by_label(&default.display().to_string()).is_some(), "the default folder is not shown");
    let free = phonebak::human::human_bytes(harness.state().backup_view().and_then(|v| v.dest_free).expect("free"));
    assert!(harness.query_by_label(&format!("({free} free)")).is_some(), "no free space shown");
    assert!(harness.query_by_role_and_label(Role::Button, "Change…").is_some());
    assert!(!default.exists(), "the default folder is made only when a backup goes into it");
    harness.get_by_role_and_label(Role::Button, "Back up").click();
    step_until(&mut harness, Duration::from_secs(60), "the backup", |h| {
        h.state().backup_view().is_some_and(|v| v.outcome.is_some())
    });
    let outcome = harness.state().backup_view().and_then(|v| v.outcome.clone()).expect("outcome");
    assert!(!outcome.failed && outcome.headline.starts_with("Backed up 3 files"), "{outcome:?}");
    assert_eq!(tree(&default.join("First Phone (FIRST001)")).len(), 3, "the photos are in the default folder");
    assert!(!settings.exists(), "nothing was chosen, so nothing needed remembering");
}

/// Whether a folder dialog can open here (zenity on the PATH, or a D-Bus session with a portal).
fn a_dialog_could_open() -> Option<String> {
    if std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some() {
        return Some("a D-Bus session is running (an XDG portal may open a real dialog)".to_string());
    }
    let zenity = std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join("zenity").is_file()));
    zenity.then(|| "zenity is installed (it would open a real dialog)".to_string())
}

#[test]
fn a_folder_dialog_that_cannot_open_says_why_and_offers_a_checked_text_field_on_both_screens() {
    if let Some(why) = a_dialog_could_open() {
        eprintln!("skipped: {why}");
        return;
    }
    let server = AdbServer::start();
    let adb = adb_of(&server);
    let (_storage, phone) = phone_with_photos("Typed Phone", "TYPED001", 2);
    server.connect(&phone, "device");
    let home = tempfile::tempdir().expect("home");
    let settings = home.path().join("settings.json");
    let mut harness = app_harness_with(Options {
        default_backup_folder: Some(home.path().join("Pictures/Phone backups")),
        settings_path: Some(settings.clone()),
        ..Options::with_adb(AdbSource::Fixed(adb.clone()))
    });
    open_phone(&mut harness, "Typed Phone");
    // The free space comes in (and moves the button) once the folder has been looked at.
    step_until(&mut harness, Duration::from_secs(10), "the folder's free space", |h| {
        h.state().backup_view().is_some_and(|v| v.dest_free.is_some())
    });
    harness.run_steps(2);
    harness.get_by_role_and_label(Role::Button, "Change…").click();
    step_until(&mut harness, Duration::from_secs(30), "the dialog's failure to be told", |h| {
        h.query_by_label_contains("The folder dialog could not open").is_some()
    });
    let field = "Back up into this folder:";
    assert!(harness.query_by_role_and_label(Role::TextInput, field).is_some(), "no text field");
    // Refused, each with its reason.
    let a_file = home.path().join("notes.txt");
    std::fs::write(&a_file, b"not a folder").expect("file");
    let cases = [
        ("backups".to_string(), "Give the whole path"),
        (a_file.display().to_string(), "is a file, not a folder"),
        (a_file.join("below").display().to_string(), "cannot be made"),
        ("/run/user/1000/gvfs/mtp:host=Google_Pixel_7/Internal shared storage".to_string(), "on the phone itself"),
    ];
    for (typed, reason) in cases {
        type_into(&mut harness, field, &typed);
        harness.get_by_role_and_label(Role::Button, "Use this folder").click();
        step_until(&mut harness, Duration::from_secs(10), reason, |h| h.query_by_label_contains(reason).is_some());
        let view = harness.state().backup_view().expect("backup screen");
        assert_ne!(view.dest.as_deref(), Some(Path::new(&typed)), "{typed} was accepted");
    }
    // A good one is made, accepted and remembered.
    let good = home.path().join("Backups/Phone");
    type_into(&mut harness, field, &good.display().to_string());
    harness.get_by_role_and_label(Role::Button, "Use this folder").click();
    step_until(&mut harness, Duration::from_secs(10), "the typed folder to be used", |h| {
        h.state().backup_view().is_some_and(|v| v.dest.as_deref() == Some(good.as_path()) && v.dest_free.is_some())
    });
    assert!(good.is_dir(), "the folder was not made");
    assert!(harness.query_by_role_and_label(Role::TextInput, field).is_none(), "the field stays after success");
    let saved = std::fs::read_to_string(&settings).expect("settings saved");
    assert!(saved.contains(&good.display().to_string()), "{saved}");
    // The Restore screen's folder: the same, for a folder that must exist.
    harness.get_by_role_and_label(Role::Button, "Restore a backup…").click();
    harness.run_steps(2);
    assert_eq!(harness.state().screen(), Screen::Restore);
    harness.get_by_role_and_label(Role::Button, "Choose a backup folder…").click();
    step_until(&mut harness, Duration::from_secs(30), "the dialog's failure on the Restore screen", |h| {
        h.query_by_label_contains("The folder dialog could not open").is_some()
    });
    let field = "Restore from this folder:";
    type_into(&mut harness, field, &home.path().join("missing").display().to_string());
    harness.get_by_role_and_label(Role::Button, "Use this folder").click();
    step_until(&mut harness, Duration::from_secs(10), "a missing folder refused", |h| {
        h.query_by_label_contains("is not a folder on this computer").is_some()
    });
    type_into(&mut harness, field, &good.display().to_string());
    harness.get_by_role_and_label(Role::Button, "Use this folder").click();
    step_until(&mut harness, Duration::from_secs(10), "the typed backup folder to open", |h| {
        h.state().restore_view().folder.as_deref() == Some(good.as_path()) && !h.state().restore_view().opening
    });
    assert!(harness.query_by_role_and_label(Role::TextInput, field).is_none());
}

#[test]
fn a_backup_larger_than_the_disks_free_space_is_refused_with_both_numbers_and_nothing_is_copied() {
    let Some(disk) = tmpfs_or_skip(24 << 20) else { return };
    let server = AdbServer::start();
    let adb = adb_of(&server);
    let (storage, phone) =
        phone_with_dir(Config { model: "Big Phone".into(), serial: "BIG00001".into(), ..Config::default() });
    for i in 0..12u64 {
        write_file(&storage.path().join(format!("DCIM/Camera/VID_{i}.mp4")), &noise(1_000_000, i), 1_700_000_000 + i);
    }
    server.connect(&phone, "device");
    let mut harness = app_harness_with(Options::with_adb(AdbSource::Fixed(adb)));
    open_phone(&mut harness, "Big Phone");
    harness.state_mut().set_backup_folder(disk.0.clone());
    step_until(&mut harness, Duration::from_secs(10), "the disk's free space", |h| {
        h.state().backup_view().is_some_and(|v| v.dest_free.is_some())
    });
    harness.get_by_role_and_label(Role::Button, "Back up").click();
    step_until(&mut harness, Duration::from_secs(30), "the refusal", |h| {
        h.state().backup_view().is_some_and(|v| v.outcome.is_some())
    });
    let outcome = harness.state().backup_view().and_then(|v| v.outcome.clone()).expect("outcome");
    assert!(outcome.failed, "{outcome:?}");
    assert!(outcome.headline.contains("Not enough space on the backup disk"), "{}", outcome.headline);
    assert!(outcome.headline.contains("need 28.8 MB"), "the space needed: {}", outcome.headline);
    assert!(outcome.headline.contains(" MB free"), "the space free: {}", outcome.headline);
    assert!(harness.query_by_label_contains("Not enough space on the backup disk").is_some(), "not on the screen");
    let written: Vec<_> = std::fs::read_dir(&disk.0).expect("read").flatten().map(|e| e.file_name()).collect();
    assert!(written.is_empty(), "something was written: {written:?}");
}

#[test]
fn two_phones_of_the_same_model_differ_on_the_restore_screen_and_another_phone_asks_first() {
    let server = AdbServer::start();
    let adb = adb_of(&server);
    let (source_dir, source) = phone_with_photos("Pixel 7", "AAAA1111", 3);
    let (other_dir, other) = phone_with_photos("Pixel 7", "BBBB2222", 0);
    server.connect(&source, "device");
    server.connect(&other, "device");
    // A backup of the first phone, made with the command line.
    let dest = tempfile::tempdir().expect("backup folder");
    let out = crate::util::phonebak(
        &server,
        &[
            "backup".as_ref(),
            "--device".as_ref(),
            source.addr().to_string().as_ref(),
            "--to".as_ref(),
            dest.path().as_os_str(),
        ],
    );
    assert!(out.status.success(), "{}", crate::util::said(&out));

    let mut harness = app_harness_with(Options::with_adb(AdbSource::Fixed(adb)));
    harness.get_by_role_and_label(Role::Button, "Restore a backup…").click();
    harness.run_steps(2);
    harness.state_mut().open_restore_folder(dest.path().to_path_buf());
    step_until(&mut harness, Duration::from_secs(20), "both phones with their serials and the backup", |h| {
        h.state().restore_view().grid.items().len() == 3
            && label_starting(h, Role::RadioButton, "Pixel 7 · serial AAAA1111 · ").is_some()
            && label_starting(h, Role::RadioButton, "Pixel 7 · serial BBBB2222 · ").is_some()
    });
    let first = label_starting(&harness, Role::RadioButton, "Pixel 7 · serial AAAA1111").expect("first");
    assert!(first.ends_with(" free"), "{first}");
    // The phone the backup came from is chosen; folders are named as on the Backup screen.
    assert_eq!(harness.state().restore_view().target.as_deref(), Some(source.addr().to_string().as_str()));
    assert!(label_starting_any(&harness, "Camera: 3 photos, "), "the folder is not named as on the Backup screen");
    assert!(harness.query_by_label_contains("/storage/emulated/0/DCIM/Camera:").is_none(), "a full phone path");

    // The other phone: asked first, naming both; Cancel restores nothing.
    let other_label = label_starting(&harness, Role::RadioButton, "Pixel 7 · serial BBBB2222").expect("other");
    harness.get_by_role_and_label(Role::RadioButton, &other_label).click();
    harness.run_steps(2);
    harness.get_by_role_and_label(Role::Button, "Restore all").click();
    harness.run_steps(4);
    assert!(harness.query_by_label_contains("This is the backup of Pixel 7 (serial AAAA1111)").is_some());
    assert!(harness.query_by_label_contains("onto Pixel 7 · serial BBBB2222").is_some());
    harness.get_by_role_and_label(Role::Button, "Cancel").click();
    harness.run_steps(3);
    assert!(harness.state().restore_view().job.is_none() && harness.state().restore_view().outcome.is_none());
    assert!(tree(other_dir.path()).is_empty(), "Cancel restored something");
    harness.get_by_role_and_label(Role::Button, "Restore all").click();
    harness.run_steps(4);
    harness.get_by_role_and_label(Role::Button, "Restore onto Pixel 7").click();
    step_until(&mut harness, Duration::from_secs(60), "the restore", |h| h.state().restore_view().outcome.is_some());
    let outcome = harness.state().restore_view().outcome.clone().expect("outcome");
    assert!(outcome.headline.starts_with("Restored 3 files"), "{outcome:?}");
    assert_eq!(tree(other_dir.path()), tree(source_dir.path()), "the other phone got the photos");

    // With the backup's own phone gone, nothing is chosen.
    drop(source);
    let _ = server.adb(&["disconnect"]);
    server.connect(&other, "device");
    harness.state_mut().open_restore_folder(dest.path().to_path_buf());
    step_until(&mut harness, Duration::from_secs(20), "one phone left", |h| {
        h.state().restore_view().targets.len() == 1 && !h.state().restore_view().opening
    });
    harness.run_steps(3);
    assert_eq!(harness.state().restore_view().target, None, "a phone was chosen for the person");
    assert!(harness.query_by_label("Choose the phone to restore to.").is_some());
    assert!(
        harness.get_by_role_and_label(Role::Button, "Restore all").accesskit_node().is_disabled(),
        "Restore all works with no phone chosen"
    );
}

fn label_starting_any(harness: &Harness<'_, App>, prefix: &str) -> bool {
    harness.query_all_by_label_contains(prefix).next().is_some()
}
