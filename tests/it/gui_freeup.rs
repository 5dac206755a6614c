//! The app's free-up screen (issue 12) driven with `egui_kittest`, against the real adb server and a virtual
//! phone backed up by the real binary, then one photo edited on the phone and one taken after the backup:
//! the screen's counts and bytes, the kept list with its reasons, the Remove button following the ticks, the
//! confirmation naming the backup folder, Cancel removing nothing, Remove removing exactly the ticked photos,
//! and the report.

use crate::gui::{adb_of, app_harness_with, open_phone, phone_with_photos, step_until, tiles, type_password};
use crate::util::{AdbServer, phonebak, said, write_file};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use phonebak::gui::egui::{self, Role};
use phonebak::gui::{AdbSource, App, Options, Screen};
use phonebak::human::human_bytes;
use phonebak::virtual_phone::VirtualPhone;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The photos `phone_with_photos` makes: `IMG_2024020{i}_120000.jpg`.
fn photo(i: u32) -> String {
    format!("IMG_2024020{i}_120000.jpg")
}

/// A phone of four photos backed up by `phonebak backup`, then photo 1 edited on the phone and a fifth taken;
/// its free-up screen open in the app, proven.
struct FreeUpScreen {
    _server: AdbServer,
    _phone: VirtualPhone,
    storage: tempfile::TempDir,
    dest: tempfile::TempDir,
    harness: Harness<'static, App>,
}

impl FreeUpScreen {
    fn camera(&self) -> PathBuf {
        self.storage.path().join("DCIM/Camera")
    }

    /// The bytes of these photos on the phone.
    fn bytes(&self, photos: &[u32]) -> u64 {
        photos.iter().map(|&i| std::fs::metadata(self.camera().join(photo(i))).expect("on the phone").len()).sum()
    }

    fn shows(&self, text: &str) -> bool {
        self.harness.query_all_by_label_contains(text).next().is_some()
    }

    fn click(&mut self, label: &str) {
        self.harness.get_by_role_and_label(Role::Button, label).click();
        self.harness.run_steps(3);
    }
}

/// The names in the phone's camera folder (not those in the phone's trash, `.trashed-<expiry>-NAME`).
fn on_phone(camera: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(camera)
        .expect("camera folder")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|name| !name.starts_with(".trashed-"))
        .collect();
    names.sort();
    names
}

fn free_up_screen() -> FreeUpScreen {
    let server = AdbServer::start();
    let (storage, phone) = phone_with_photos("Free Phone", "FREEAPP1", 4);
    server.connect(&phone, "device");
    crate::util::index_folder(&server, &phone, "DCIM/Camera");
    let dest = tempfile::tempdir().expect("backup folder");
    let out = phonebak(&server, &["backup", "--to", dest.path().to_str().expect("utf8")]);
    assert!(out.status.success(), "{}", said(&out));
    // After the backup: photo 1 edited on the phone (still a JPEG, longer and dated later), a new photo taken.
    let camera = storage.path().join("DCIM/Camera");
    let mut edited = std::fs::read(camera.join(photo(1))).expect("photo 1");
    edited.extend_from_slice(b"edited");
    write_file(&camera.join(photo(1)), &edited, 1_707_000_000);
    let mut new = std::fs::read(camera.join(photo(2))).expect("photo 2");
    new.extend_from_slice(b"new");
    write_file(&camera.join("IMG_20240301_120000.jpg"), &new, 1_709_000_000);

    let adb = adb_of(&server);
    let mut harness = app_harness_with(Options::with_adb(AdbSource::Fixed(adb)));
    open_phone(&mut harness, "Free Phone");
    harness.run_steps(2);
    assert!(harness.query_by_role_and_label(Role::Button, "Free up space…").is_none(), "offered with no backup folder");
    let empty = tempfile::tempdir().expect("a folder without a backup");
    harness.state_mut().set_backup_folder(empty.path().to_path_buf());
    step_until(&mut harness, Duration::from_secs(10), "the empty folder to be read", |h| {
        h.state().backup_view().is_some_and(|v| v.backed_up.is_some())
    });
    harness.run_steps(2);
    assert!(
        harness.query_by_role_and_label(Role::Button, "Free up space…").is_none(),
        "offered for a folder that holds no backup of this phone"
    );

    harness.state_mut().set_backup_folder(dest.path().to_path_buf());
    step_until(&mut harness, Duration::from_secs(10), "the backup folder to be read", |h| {
        h.state().backup_view().is_some_and(|v| v.backed_up.as_ref().is_some_and(|b| !b.files.is_empty()))
    });
    harness.run_steps(2);
    harness.get_by_role_and_label(Role::Button, "Free up space…").click();
    harness.run_steps(2);
    assert_eq!(harness.state().screen(), Screen::FreeUp);
    step_until(&mut harness, Duration::from_secs(30), "the proof", |h| {
        h.state().freeup_view().is_some_and(|v| v.proved || v.error.is_some())
    });
    let error = harness.state().freeup_view().and_then(|v| v.error.clone());
    assert!(error.is_none(), "{error:?}");
    harness.run_steps(3);
    FreeUpScreen { _server: server, _phone: phone, storage, dest, harness }
}

#[test]
fn the_free_up_screen_counts_the_proven_photos_lists_the_kept_ones_with_reasons_and_unticking_changes_the_remove_button()
 {
    let mut screen = free_up_screen();
    let all = screen.bytes(&[0, 2, 3]);
    let headline =
        format!("3 photos and videos ({}) are safe in the backup and can be removed from the phone", human_bytes(all));
    assert!(screen.shows(&headline), "no {headline:?}");
    // The grid: exactly the proven photos, all ticked.
    let mut shown = tiles(&screen.harness);
    shown.sort();
    assert_eq!(shown, [photo(0), photo(2), photo(3)]);
    assert_eq!(screen.harness.state().freeup_view().expect("free-up").grid.selected_count(), 3);

    // The kept ones, with why, once the list is opened.
    assert!(screen.shows("2 are kept on the phone"));
    assert!(!screen.shows("not in the backup"), "the kept list is open from the start");
    screen.harness.get_by_label_contains("2 are kept on the phone").click();
    screen.harness.run_steps(3);
    assert!(screen.shows(&format!("DCIM/Camera/{}: changed on the phone since the backup", photo(1))));
    assert!(screen.shows("DCIM/Camera/IMG_20240301_120000.jpg: not in the backup"));

    // The main button follows the ticks.
    let remove_all = format!("Remove 3 photos from the phone ({})", human_bytes(all));
    assert!(screen.harness.query_by_role_and_label(Role::Button, &remove_all).is_some(), "no {remove_all:?}");
    screen.harness.get_by_role_and_label(Role::ListBoxOption, &photo(3)).click_modifiers(egui::Modifiers::COMMAND);
    screen.harness.run_steps(3);
    let two = screen.bytes(&[0, 2]);
    let remove_two = format!("Remove 2 photos from the phone ({})", human_bytes(two));
    assert!(screen.harness.query_by_role_and_label(Role::Button, &remove_two).is_some(), "no {remove_two:?}");

    // The confirmation says how many, from which phone, and that they stay in the backup folder; Cancel
    // removes nothing.
    screen.click(&remove_two);
    let asked = format!(
        "2 photos and videos ({}) will be removed from Free Phone. They stay in the backup folder {}.",
        human_bytes(two),
        screen.dest.path().display()
    );
    assert!(screen.shows(&asked), "no {asked:?}");
    let before = on_phone(&screen.camera());
    screen.click("Cancel");
    assert!(!screen.shows(&asked), "the confirmation stayed open");
    std::thread::sleep(Duration::from_millis(300));
    screen.harness.run_steps(3);
    assert_eq!(on_phone(&screen.camera()), before, "Cancel removed something");
    assert_eq!(before.len(), 5);
    assert!(screen.harness.state().freeup_view().is_some_and(|v| v.report.is_none() && !v.removing));
}

#[test]
fn remove_takes_exactly_the_ticked_photos_off_the_phone_keeps_them_in_the_backup_and_the_report_says_so() {
    let mut screen = free_up_screen();
    // Untick photo 0; remove photos 2 and 3.
    screen.harness.get_by_role_and_label(Role::ListBoxOption, &photo(0)).click_modifiers(egui::Modifiers::COMMAND);
    screen.harness.run_steps(3);
    let two = screen.bytes(&[2, 3]);
    screen.click(&format!("Remove 2 photos from the phone ({})", human_bytes(two)));
    // Android 14 has a trash, offered first; this removal is permanent.
    screen.harness.get_by_label("Remove permanently").click();
    screen.harness.run_steps(3);
    screen.click("Remove");
    step_until(&mut screen.harness, Duration::from_secs(30), "the removal", |h| {
        h.state().freeup_view().is_some_and(|v| v.report.is_some())
    });
    screen.harness.run_steps(3);
    let report = screen.harness.state().freeup_view().and_then(|v| v.report.clone()).expect("a report");
    let said = format!(
        "Removed 2 photos and videos ({}) from Free Phone; they stay in {}.",
        human_bytes(two),
        screen.dest.path().display()
    );
    assert_eq!(report.headline, said);
    assert!(!report.failed && report.not_removed.is_empty() && report.gallery_problem.is_none(), "{report:?}");
    assert!(screen.shows(&said), "the report is not on the screen");

    // Off the phone: exactly those two; the unticked, the edited and the new one are still there.
    assert_eq!(on_phone(&screen.camera()), [photo(0), photo(1), "IMG_20240301_120000.jpg".to_string()]);
    // Still in the backup.
    let copies = screen.dest.path().join("Free Phone (FREEAPP1)/DCIM/Camera");
    for i in [2, 3] {
        assert!(copies.join(photo(i)).is_file(), "{} left the backup", photo(i));
    }
    // Done: the phone's screen no longer shows them.
    screen.click("Done");
    assert_eq!(screen.harness.state().screen(), Screen::Backup);
    let mut left: Vec<String> = screen
        .harness
        .state()
        .backup_view()
        .expect("the phone's screen")
        .grid
        .items()
        .iter()
        .map(|i| i.name.clone())
        .collect();
    left.sort();
    assert_eq!(left, [photo(0), photo(1), "IMG_20240301_120000.jpg".to_string()]);
}

#[test]
fn an_encrypted_backup_folder_offers_free_up_once_unlocked_and_removes_the_proven_photos() {
    let server = AdbServer::start();
    let (storage, phone) = phone_with_photos("Locked Phone", "FREEENC1", 3);
    server.connect(&phone, "device");
    crate::util::index_folder(&server, &phone, "DCIM/Camera");
    let adb = adb_of(&server);
    let mut harness = app_harness_with(Options::with_adb(AdbSource::Fixed(adb.clone())));
    open_phone(&mut harness, "Locked Phone");
    let dest = tempfile::tempdir().expect("backup folder");
    harness.state_mut().set_backup_folder(dest.path().to_path_buf());
    step_until(&mut harness, Duration::from_secs(10), "the backup folder to be read", |h| {
        h.state().backup_view().is_some_and(|v| v.backed_up.is_some() && v.fresh)
    });
    harness.run_steps(2);
    harness.get_by_role_and_label(Role::CheckBox, "Encrypt this backup with a password").click();
    harness.run_steps(2);
    harness.get_by_role_and_label(Role::Button, "Back up").click();
    harness.run_steps(3);
    let password = "a long enough password";
    type_password(&mut harness, "Password", password);
    type_password(&mut harness, "Type it again", password);
    harness.get_by_role_and_label(Role::Button, "Encrypt and back up").click();
    step_until(&mut harness, Duration::from_secs(60), "the encrypted backup", |h| {
        h.state()
            .backup_view()
            .is_some_and(|v| v.outcome.as_ref().is_some_and(|o| o.headline.starts_with("Backed up 3")))
    });
    assert!(phonebak::vault::is_encrypted(dest.path()));

    // Started again, the app does not hold the key: the folder is locked and nothing is offered.
    drop(harness);
    let mut harness = app_harness_with(Options::with_adb(AdbSource::Fixed(adb)));
    open_phone(&mut harness, "Locked Phone");
    harness.state_mut().set_backup_folder(dest.path().to_path_buf());
    step_until(&mut harness, Duration::from_secs(10), "the locked folder", |h| {
        h.state().backup_view().is_some_and(|v| v.locked)
    });
    harness.run_steps(2);
    assert!(harness.query_by_role_and_label(Role::Button, "Free up space…").is_none(), "offered while locked");
    harness.get_by_role_and_label(Role::Button, "Unlock…").click();
    harness.run_steps(3);
    type_password(&mut harness, "Password", password);
    harness.get_by_role_and_label(Role::Button, "Unlock").click();
    step_until(&mut harness, Duration::from_secs(20), "Free up space… once unlocked", |h| {
        h.query_by_role_and_label(Role::Button, "Free up space…").is_some()
    });
    harness.get_by_role_and_label(Role::Button, "Free up space…").click();
    step_until(&mut harness, Duration::from_secs(30), "the proof", |h| {
        h.state().freeup_view().is_some_and(|v| v.proved || v.error.is_some())
    });
    let error = harness.state().freeup_view().and_then(|v| v.error.clone());
    assert!(error.is_none(), "{error:?}");
    harness.run_steps(3);
    let camera = storage.path().join("DCIM/Camera");
    let bytes: u64 = (0..3).map(|i| std::fs::metadata(camera.join(photo(i))).expect("photo").len()).sum();
    let remove = format!("Remove 3 photos from the phone ({})", human_bytes(bytes));
    harness.get_by_role_and_label(Role::Button, &remove).click();
    harness.run_steps(3);
    harness.get_by_role_and_label(Role::Button, "Remove").click();
    step_until(&mut harness, Duration::from_secs(30), "the removal", |h| {
        h.state().freeup_view().is_some_and(|v| v.report.is_some())
    });
    let report = harness.state().freeup_view().and_then(|v| v.report.clone()).expect("a report");
    // The default on Android 14: the phone's trash.
    assert!(report.headline.starts_with("Moved 3 photos and videos"), "{report:?}");
    assert!(on_phone(&camera).is_empty(), "left on the phone: {:?}", on_phone(&camera));
    let trashed = std::fs::read_dir(&camera).expect("camera").flatten();
    assert_eq!(trashed.filter(|e| e.file_name().to_string_lossy().starts_with(".trashed-")).count(), 3);
    // The journal is in the encrypted folder under its hashed name: no photo's name shows.
    assert!(
        crate::util::tree(dest.path()).keys().all(|p| !String::from_utf8_lossy(p).contains("IMG_")),
        "a photo's name shows in the encrypted folder"
    );
}

#[test]
fn put_them_back_after_a_free_up_restores_the_removed_photos_with_their_dates_and_the_phone_screen_shows_them() {
    let mut screen = free_up_screen();
    let dates: Vec<u64> = [0, 2, 3].iter().map(|&i| crate::util::mtime_of(&screen.camera().join(photo(i)))).collect();
    let contents: Vec<Vec<u8>> =
        [0, 2, 3].iter().map(|&i| std::fs::read(screen.camera().join(photo(i))).expect("photo")).collect();
    let all = screen.bytes(&[0, 2, 3]);
    screen.click(&format!("Remove 3 photos from the phone ({})", human_bytes(all)));
    screen.click("Remove");
    step_until(&mut screen.harness, Duration::from_secs(30), "the removal", |h| {
        h.state().freeup_view().is_some_and(|v| v.report.is_some())
    });
    screen.harness.run_steps(3);
    assert_eq!(on_phone(&screen.camera()), [photo(1), "IMG_20240301_120000.jpg".to_string()]);
    let in_trash = std::fs::read_dir(screen.camera()).expect("camera").flatten();
    let in_trash = in_trash.filter(|e| e.file_name().to_string_lossy().starts_with(".trashed-")).count();
    assert_eq!(in_trash, 3, "the default on Android 14 is the phone's trash");

    screen.click("Put them back (3 photos and videos)");
    step_until(&mut screen.harness, Duration::from_secs(30), "putting them back", |h| {
        h.state().freeup_view().is_some_and(|v| v.put_back.is_some())
    });
    screen.harness.run_steps(3);
    let said = screen.harness.state().freeup_view().and_then(|v| v.put_back.clone()).expect("an outcome");
    assert_eq!(
        said,
        Ok("Put back 3 photos and videos on Free Phone from the backup, with their dates; the phone's gallery shows \
            them again."
            .to_string())
    );
    assert!(screen.shows("Put back 3 photos and videos on Free Phone"));
    for (n, i) in [0, 2, 3].into_iter().enumerate() {
        let path = screen.camera().join(photo(i));
        assert_eq!(std::fs::read(&path).ok().as_ref(), Some(&contents[n]), "{}", photo(i));
        assert_eq!(crate::util::mtime_of(&path), dates[n], "{}'s date", photo(i));
    }
    assert!(
        screen.harness.query_by_role_and_label(Role::Button, "Put them back (3 photos and videos)").is_none(),
        "offered again once they are back"
    );
    // Back on the phone's screen, they are there.
    screen.click("Done");
    let mut shown: Vec<String> = screen
        .harness
        .state()
        .backup_view()
        .expect("the phone's screen")
        .grid
        .items()
        .iter()
        .map(|i| i.name.clone())
        .collect();
    shown.sort();
    assert_eq!(shown.len(), 5, "{shown:?}");
}
