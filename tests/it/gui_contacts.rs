//! The app's contacts (issue 13) driven with `egui_kittest` against the real adb server and virtual phones: the
//! phone screen's data-type choice counts a `--sample` phone's 20 hostile contacts; a backup with Contacts
//! ticked writes the vCard beside the photos; the Restore screen lists the 20; three ticked and put back onto
//! an empty phone add exactly those three (read back from the phone's contacts provider by the engine), and a
//! second put-back adds none; a phone that refuses its contacts says so on the phone screen; a backup into an
//! encrypted folder keeps the contacts there, sealed, and the Restore screen lists its 20.

use crate::gui::{adb_of, app_harness_with, open_phone, step_until};
use crate::util::{AdbServer, device_of, phone_with_dir};
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use phonebak::gui::egui::Role;
use phonebak::gui::{AdbSource, App, Count, Options};
use phonebak::virtual_phone::sample::SampleOptions;
use phonebak::virtual_phone::{Config, DeniedProvider, Fault, StorageSource, VirtualPhone};
use std::time::Duration;

fn sample_phone(model: &str, serial: &str, faults: Vec<Fault>) -> VirtualPhone {
    VirtualPhone::start(Config {
        storage: StorageSource::Sample(SampleOptions { photos: 3, seed: 7, ..SampleOptions::default() }),
        model: model.to_string(),
        serial: serial.to_string(),
        faults,
        ..Config::default()
    })
    .expect("start the virtual phone")
}

/// The app on `server`'s phones. The sample's hostile names hold emoji, which egui's bundled test fonts cannot
/// draw (the window uses the system's fonts): a box is drawn for them instead of failing the test.
fn app(server: &AdbServer) -> Harness<'static, App> {
    let harness = app_harness_with(Options::with_adb(AdbSource::Fixed(adb_of(server))));
    harness.ctx.set_missing_glyph_policy(phonebak::gui::egui::MissingGlyphPolicy::Tofu);
    harness
}

/// Waits until the open phone's contacts are counted (or refused).
fn wait_for_count(harness: &mut Harness<'_, App>) -> Count {
    step_until(harness, Duration::from_secs(30), "the contacts to be counted", |h| {
        h.state().backup_view().is_some_and(|v| v.data.extras.iter().all(|c| c.count != Count::Reading))
    });
    harness.run_steps(2);
    harness.state().backup_view().expect("phone screen").data.extras[0].count.clone()
}

fn ticked(harness: &Harness<'_, App>, label: &str) -> bool {
    harness.get_by_role_and_label(Role::CheckBox, label).accesskit_node().toggled()
        == Some(phonebak::gui::egui::accesskit::Toggled::True)
}

/// The names of the contacts on a phone, read by the engine through its contacts provider.
fn names_on(server: &AdbServer, phone: &VirtualPhone) -> Vec<String> {
    let device = device_of(server, phone);
    let sdk = device.info().expect("info").sdk;
    let book = phonebak::contacts::read_contacts(&device, sdk).expect("contacts");
    let mut names: Vec<String> = book.contacts.iter().map(phonebak::contacts::Contact::shown_name).collect();
    names.sort();
    names
}

#[test]
fn the_phone_screen_counts_20_contacts_a_backup_saves_them_and_three_put_back_onto_an_empty_phone_add_just_those() {
    let server = AdbServer::start();
    let phone = sample_phone("Contact Phone", "CONTACT1", Vec::new());
    server.connect(&phone, "device");
    let mut harness = app(&server);
    open_phone(&mut harness, "Contact Phone");

    // The data-type choice: the gallery's totals and the 20 contacts, both ticked.
    assert_eq!(wait_for_count(&mut harness), Count::Counted(phonebak::gui::Counted::items(20)));
    assert!(ticked(&harness, "Contacts: 20"), "Contacts are not ticked by default");
    let photos = harness
        .query_all_by_role(Role::CheckBox)
        .filter_map(|n| n.accesskit_node().label())
        .find(|l| l.starts_with("Photos and videos: "))
        .expect("a Photos and videos checkbox");
    assert!(ticked(&harness, &photos), "{photos}: not ticked");

    // A backup with Contacts ticked: the photos, and the vCard in the same phone folder.
    let dest = tempfile::tempdir().expect("backup folder");
    harness.state_mut().set_backup_folder(dest.path().to_path_buf());
    step_until(&mut harness, Duration::from_secs(10), "the backup folder to be read", |h| {
        h.state().backup_view().is_some_and(|v| v.backed_up.is_some())
    });
    harness.run_steps(2);
    harness.get_by_role_and_label(Role::Button, "Back up").click();
    step_until(&mut harness, Duration::from_secs(60), "the backup to finish", |h| {
        h.state().backup_view().is_some_and(|v| v.outcome.is_some())
    });
    let outcome = harness.state().backup_view().and_then(|v| v.outcome.clone()).expect("outcome");
    assert!(!outcome.failed && outcome.headline.starts_with("Backed up "), "{outcome:?}");
    assert!(outcome.headline.contains(" Saved 20 contacts. "), "{outcome:?}");
    let vcf = dest.path().join("Contact Phone (CONTACT1)/Contacts/contacts.vcf");
    let saved = phonebak::contacts::vcard::read_vcards(&std::fs::read(&vcf).expect("the vCard")).expect("vCard");
    assert_eq!(saved.len(), 20);
    assert!(dest.path().join("Contact Phone (CONTACT1)/Contacts/contacts.json").is_file());

    // An empty phone to put them on; the Restore screen on the backup folder lists the 20.
    let (_empty_dir, empty) =
        phone_with_dir(Config { model: "Empty Phone".into(), serial: "EMPTY001".into(), ..Config::default() });
    server.connect(&empty, "device");
    assert!(names_on(&server, &empty).is_empty(), "the empty phone has contacts");
    harness.state_mut().open_restore_folder(dest.path().to_path_buf());
    harness.get_by_role_and_label(Role::Button, "Restore a backup…").click();
    step_until(&mut harness, Duration::from_secs(20), "the backup's contacts and the empty phone", |h| {
        h.state().restore_view().contacts.is_some()
            && h.state().restore_view().targets.iter().any(|t| t.phone_serial.as_deref() == Some("EMPTY001"))
    });
    harness.run_steps(2);
    assert!(harness.query_by_label_contains("Contacts in the backup (20)").is_some());
    let list = harness.state().restore_view().contacts.clone().expect("list");
    assert_eq!(list.rows.len(), 20);
    assert_eq!(list.ticked(), 20, "all ticked at first");
    assert!(harness.query_by_role_and_label(Role::Button, "Put back 20 contacts").is_some());

    // The empty phone as the target, None, then three contacts ticked (with labels no other contact has).
    harness
        .query_all_by_role(Role::RadioButton)
        .find(|n| n.accesskit_node().label().is_some_and(|l| l.starts_with("Empty Phone · serial EMPTY001")))
        .expect("the empty phone as a target")
        .click();
    harness.run_steps(2);
    harness.get_by_role_and_label(Role::Button, "None").click();
    harness.run_steps(2);
    let unique: Vec<&phonebak::gui::ContactRow> =
        list.rows.iter().filter(|r| list.rows.iter().filter(|o| o.label == r.label).count() == 1).collect();
    assert!(unique.len() >= 3, "labels: {:?}", list.rows.iter().map(|r| &r.label).collect::<Vec<_>>());
    let chosen = [unique[0], unique[1], unique[2]];
    for row in chosen {
        harness.get_by_role_and_label(Role::CheckBox, &row.label).click();
        harness.run_steps(2);
    }
    harness.get_by_role_and_label(Role::Button, "Put back 3 contacts").click();
    step_until(&mut harness, Duration::from_secs(60), "the contacts to be put back", |h| {
        h.state().restore_view().contacts.as_ref().is_some_and(|c| c.said.is_some())
    });
    let said = harness.state().restore_view().contacts.as_ref().and_then(|c| c.said.clone());
    assert_eq!(said, Some(Ok("Added 3 contacts.".to_string())));
    let mut wanted: Vec<String> = chosen.iter().map(|r| r.contact.shown_name()).collect();
    wanted.sort();
    assert_eq!(names_on(&server, &empty), wanted, "the phone holds exactly the three ticked contacts");
    harness.run_steps(2);
    assert!(harness.query_by_label_contains("Added 3 contacts.").is_some(), "the report is not shown");

    // Again: the phone has them, none is added.
    harness.get_by_role_and_label(Role::Button, "Put back 3 contacts").click();
    harness.run_steps(2);
    step_until(&mut harness, Duration::from_secs(60), "the second put-back", |h| {
        h.state().restore_view().contacts.as_ref().is_some_and(|c| c.said.is_some() && !c.putting_back)
    });
    let said = harness.state().restore_view().contacts.as_ref().and_then(|c| c.said.clone());
    assert_eq!(said, Some(Ok("Added 0 contacts; 3 were already on the phone.".to_string())));
    assert_eq!(names_on(&server, &empty), wanted, "a second put-back changed the phone's contacts");
}

#[test]
fn a_phone_that_refuses_its_contacts_shows_the_refusal_on_its_screen_and_the_backup_copies_the_photos() {
    let server = AdbServer::start();
    let phone = sample_phone("Denying Phone", "DENY0001", vec![Fault::Deny(DeniedProvider::Contacts)]);
    server.connect(&phone, "device");
    let mut harness = app(&server);
    open_phone(&mut harness, "Denying Phone");
    let Count::Refused(why) = wait_for_count(&mut harness) else { panic!("the refusal was not noticed") };
    assert!(why.starts_with("Contacts: the phone refused ("), "{why}");
    assert!(why.contains("Android"), "the refusal names the Android version: {why}");
    assert!(harness.query_by_label_contains(&why).is_some(), "the refusal is not on the screen");
    assert!(!ticked(&harness, "Contacts"), "refused contacts are ticked");

    let dest = tempfile::tempdir().expect("backup folder");
    harness.state_mut().set_backup_folder(dest.path().to_path_buf());
    step_until(&mut harness, Duration::from_secs(10), "the backup folder to be read", |h| {
        h.state().backup_view().is_some_and(|v| v.backed_up.is_some())
    });
    harness.run_steps(2);
    harness.get_by_role_and_label(Role::Button, "Back up").click();
    step_until(&mut harness, Duration::from_secs(60), "the backup to finish", |h| {
        h.state().backup_view().is_some_and(|v| v.outcome.is_some())
    });
    let outcome = harness.state().backup_view().and_then(|v| v.outcome.clone()).expect("outcome");
    assert!(!outcome.failed && outcome.headline.starts_with("Backed up "), "{outcome:?}");
    assert!(!dest.path().join("Denying Phone (DENY0001)/Contacts").exists(), "contacts saved from a refusing phone");
}

#[test]
fn a_backup_into_an_encrypted_folder_keeps_the_contacts_sealed_and_the_restore_screen_lists_the_20() {
    let server = AdbServer::start();
    let phone = sample_phone("Secret Phone", "SECRET01", Vec::new());
    server.connect(&phone, "device");
    let mut harness = app(&server);
    open_phone(&mut harness, "Secret Phone");
    wait_for_count(&mut harness);
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
    crate::gui::type_password(&mut harness, "Password", "a long enough password for this");
    crate::gui::type_password(&mut harness, "Type it again", "a long enough password for this");
    harness.get_by_role_and_label(Role::Button, "Encrypt and back up").click();
    step_until(&mut harness, Duration::from_secs(60), "the encrypted backup", |h| {
        h.state().backup_view().is_some_and(|v| v.outcome.is_some())
    });
    let outcome = harness.state().backup_view().and_then(|v| v.outcome.clone()).expect("outcome");
    assert!(outcome.headline.starts_with("Backed up "), "the photos: {outcome:?}");
    assert!(outcome.headline.contains("Saved 20 contacts."), "{outcome:?}");
    // The messages are sealed in the encrypted folder too.
    assert!(outcome.headline.contains("Saved 43 messages in 6 conversations"), "{outcome:?}");
    let names: Vec<String> =
        crate::util::tree(dest.path()).keys().map(|p| String::from_utf8_lossy(p).into_owned()).collect();
    assert!(
        names.iter().all(|n| !n.contains("contacts") && !n.contains("Messages") && !n.contains("Secret Phone")),
        "names in the encrypted folder: {names:?}"
    );

    // The Restore screen reads the sealed vCard with the folder's key (unlocked by the backup).
    harness.state_mut().open_restore_folder(dest.path().to_path_buf());
    harness.get_by_role_and_label(Role::Button, "Restore a backup…").click();
    step_until(&mut harness, Duration::from_secs(20), "the encrypted backup's contacts", |h| {
        h.state().restore_view().contacts.is_some()
    });
    harness.run_steps(2);
    let list = harness.state().restore_view().contacts.clone().expect("list");
    assert_eq!(list.error, None);
    assert_eq!(list.rows.len(), 20);
    assert!(harness.query_by_label_contains("Contacts in the backup (20)").is_some());
    assert!(harness.query_by_label_contains("Contacts are not kept").is_none(), "the old refusal is still shown");
}
