//! The app's messages and `WhatsApp` (issue 13) driven with `egui_kittest` against the real adb server and
//! virtual phones: the phone screen counts a `--sample` phone's 43 messages in 6 conversations and its
//! `WhatsApp` files (unticked); a backup with both ticked writes the messages' pages and `WhatsApp`'s files
//! byte-exact with their dates, in the one manifest of the photos; the Restore screen says only the SMS app may
//! put messages back, puts `WhatsApp`'s files back on an empty phone and shows the steps, and its "Restore all"
//! puts back `WhatsApp`'s photos but not its chat backup.

use crate::gui::{adb_of, app_harness_with, open_phone, step_until};
use crate::util::{AdbServer, mtime_of, noise, phone_with_dir, write_file};
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use phonebak::backup::Manifest;
use phonebak::gui::egui::Role;
use phonebak::gui::{AdbSource, App, Count, Options};
use phonebak::virtual_phone::sample::SampleOptions;
use phonebak::virtual_phone::{Config, StorageSource, VirtualPhone};
use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::time::Duration;

const WHATSAPP: &str = "Android/media/com.whatsapp";
const CHAT_BACKUP: &str = "Android/media/com.whatsapp/WhatsApp/Databases/msgstore.db.crypt14";

/// The app on `server`'s phones (a box for the glyphs egui's test fonts lack, as in `gui_contacts`).
fn app(server: &AdbServer) -> Harness<'static, App> {
    let harness = app_harness_with(Options::with_adb(AdbSource::Fixed(adb_of(server))));
    harness.ctx.set_missing_glyph_policy(phonebak::gui::egui::MissingGlyphPolicy::Tofu);
    harness
}

fn ticked(harness: &Harness<'_, App>, label: &str) -> bool {
    harness.get_by_role_and_label(Role::CheckBox, label).accesskit_node().toggled()
        == Some(phonebak::gui::egui::accesskit::Toggled::True)
}

fn checkbox_starting(harness: &Harness<'_, App>, start: &str) -> String {
    harness
        .query_all_by_role(Role::CheckBox)
        .filter_map(|n| n.accesskit_node().label())
        .find(|l| l.starts_with(start))
        .unwrap_or_else(|| panic!("no checkbox starting {start:?}"))
}

/// Every file below `dir` of the phone's storage: path below the storage → (content as the phone serves it,
/// mtime). The sample's photos and videos are made on the fly, so their content is read through the storage.
fn files_below(phone: &VirtualPhone, dir: &str) -> BTreeMap<Vec<u8>, (Vec<u8>, u64)> {
    let storage = &phone.phone().storage;
    crate::util::tree(&storage.root().join(dir))
        .into_iter()
        .map(|(rel, (_, mtime))| {
            let mut path = format!("{dir}/").into_bytes();
            path.extend_from_slice(&rel);
            let mut content = Vec::new();
            storage
                .open_read(&on(storage.root(), &path))
                .and_then(|mut r| std::io::Read::read_to_end(&mut r, &mut content))
                .expect("read the phone's file");
            (path, (content, mtime))
        })
        .collect()
}

fn on(root: &Path, rel: &[u8]) -> std::path::PathBuf {
    root.join(OsStr::from_bytes(rel))
}

fn click_target(harness: &mut Harness<'_, App>, start: &str) {
    harness
        .query_all_by_role(Role::RadioButton)
        .find(|n| n.accesskit_node().label().is_some_and(|l| l.starts_with(start)))
        .unwrap_or_else(|| panic!("no target {start}"))
        .click();
    harness.run_steps(2);
}

/// Restores onto another phone (the app asks first), and waits for the outcome.
fn restore_onto(harness: &mut Harness<'_, App>, button: &str, model: &str) -> phonebak::gui::Outcome {
    let node = harness.get_by_role_and_label(Role::Button, button);
    assert!(!node.accesskit_node().is_disabled(), "{button} is not offered");
    node.click();
    harness.run_steps(4);
    harness.get_by_role_and_label(Role::Button, &format!("Restore onto {model}")).click();
    // The yes is carried out (and the last outcome cleared) before the wait starts.
    harness.run_steps(2);
    step_until(harness, Duration::from_secs(60), "the restore to finish", |h| {
        h.state().restore_view().job.is_none() && h.state().restore_view().outcome.is_some()
    });
    harness.run_steps(2);
    harness.state().restore_view().outcome.clone().expect("outcome")
}

#[test]
fn messages_and_whatsapp_are_counted_backed_up_with_the_photos_and_whatsapp_is_put_back_onto_an_empty_phone() {
    let server = AdbServer::start();
    let phone = VirtualPhone::start(Config {
        storage: StorageSource::Sample(SampleOptions { photos: 3, seed: 7, ..SampleOptions::default() }),
        model: "Chat Phone".to_string(),
        serial: "CHAT0001".to_string(),
        ..Config::default()
    })
    .expect("start the virtual phone");
    let root = phone.phone().storage.root().to_path_buf();
    // The sample holds WhatsApp's media; its chat backup is added, as WhatsApp keeps one beside it.
    write_file(&root.join(CHAT_BACKUP), &noise(70_000, 1), 1_764_460_800);
    let whatsapp = files_below(&phone, WHATSAPP);
    assert!(whatsapp.len() > 2, "the sample has WhatsApp media: {:?}", whatsapp.keys());
    let summary = phonebak::whatsapp::Summary {
        files: whatsapp.len(),
        bytes: whatsapp.values().map(|(c, _)| c.len() as u64).sum(),
    };
    server.connect(&phone, "device");
    let mut harness = app(&server);
    open_phone(&mut harness, "Chat Phone");
    step_until(&mut harness, Duration::from_secs(30), "the data types to be counted", |h| {
        h.state().backup_view().is_some_and(|v| v.data.extras.iter().all(|c| c.count != Count::Reading))
    });
    harness.run_steps(2);

    // Messages ticked with the sample's counts; WhatsApp unticked with its files and bytes, and its note.
    let messages = checkbox_starting(&harness, "Messages: ");
    assert_eq!(messages, "Messages: 43 messages in 6 conversations");
    assert!(ticked(&harness, &messages), "Messages are not ticked by default");
    let wa_label = summary.to_string();
    assert_eq!(checkbox_starting(&harness, "WhatsApp: "), wa_label);
    assert!(!ticked(&harness, &wa_label), "WhatsApp is ticked by default");
    assert!(harness.query_by_label_contains(phonebak::whatsapp::NOT_DECRYPTED).is_some());
    harness.get_by_role_and_label(Role::CheckBox, &wa_label).click();
    harness.run_steps(2);

    let dest = tempfile::tempdir().expect("backup folder");
    harness.state_mut().set_backup_folder(dest.path().to_path_buf());
    step_until(&mut harness, Duration::from_secs(10), "the backup folder to be read", |h| {
        h.state().backup_view().is_some_and(|v| v.backed_up.is_some())
    });
    harness.run_steps(2);
    harness.get_by_role_and_label(Role::Button, "Back up").click();
    step_until(&mut harness, Duration::from_secs(90), "the backup to finish", |h| {
        h.state().backup_view().is_some_and(|v| v.outcome.is_some())
    });
    let outcome = harness.state().backup_view().and_then(|v| v.outcome.clone()).expect("outcome");
    assert!(!outcome.failed && outcome.headline.starts_with("Backed up "), "{outcome:?}");
    assert!(outcome.headline.contains("Saved 43 messages in 6 conversations"), "{outcome:?}");
    // Android 14's shell is refused the call log (READ_CALL_LOG): the report says so, and the messages are saved.
    assert!(outcome.headline.contains("The call log was not saved: "), "{outcome:?}");
    assert!(outcome.headline.contains(&format!("{summary}, backed up with the photos.")), "{outcome:?}");
    let phone_folder = dest.path().join("Chat Phone (CHAT0001)");
    assert!(phone_folder.join("Messages/index.html").is_file(), "no readable page of the messages");
    assert!(phone_folder.join("Messages/messages.json").is_file());

    // One manifest: each WhatsApp file once (its photos are in the gallery too), byte-exact with its date.
    let manifest = Manifest::load(dest.path(), "CHAT0001").expect("manifest").expect("a backup");
    let mut copies: BTreeMap<Vec<u8>, std::path::PathBuf> = BTreeMap::new();
    for f in &manifest.files {
        let rel = f.phone_path.0.strip_prefix(b"/storage/emulated/0/").expect("below the storage").to_vec();
        let earlier = copies.insert(rel, dest.path().join(OsStr::from_bytes(&f.local_path.0)));
        assert!(earlier.is_none(), "{} copied twice", String::from_utf8_lossy(&f.phone_path.0));
    }
    for (rel, (content, mtime)) in &whatsapp {
        let copy = copies.get(rel).unwrap_or_else(|| panic!("not backed up: {}", String::from_utf8_lossy(rel)));
        assert!(&std::fs::read(copy).expect("copy") == content, "{} differs", copy.display());
        assert_eq!(mtime_of(copy), *mtime, "{}", copy.display());
    }
    assert!(copies.keys().any(|k| k.starts_with(b"DCIM/")), "the camera's photos are in the same manifest");

    // Two empty phones; the Restore screen on the backup folder.
    let (wa_dir, wa_phone) =
        phone_with_dir(Config { model: "New Phone".into(), serial: "NEWPHONE".into(), ..Config::default() });
    server.connect(&wa_phone, "device");
    let (photo_dir, photo_phone) =
        phone_with_dir(Config { model: "Photo Phone".into(), serial: "PHOTO001".into(), ..Config::default() });
    server.connect(&photo_phone, "device");
    harness.state_mut().open_restore_folder(dest.path().to_path_buf());
    harness.get_by_role_and_label(Role::Button, "Restore a backup…").click();
    step_until(&mut harness, Duration::from_secs(20), "the backup and the empty phones", |h| {
        let view = h.state().restore_view();
        view.whatsapp.is_some()
            && ["NEWPHONE", "PHOTO001"]
                .iter()
                .all(|s| view.targets.iter().any(|t| t.phone_serial.as_deref() == Some(*s)))
    });
    harness.run_steps(2);
    assert!(harness.query_by_label_contains(phonebak::gui::MESSAGES_NOT_RESTORED).is_some());
    assert!(harness.query_by_role_and_label(Role::Button, "Open the messages").is_some());
    assert_eq!(
        harness.state().restore_view().messages,
        Some(phonebak::gui::MessagesInBackup::Page(phone_folder.join("Messages/index.html")))
    );
    assert!(harness.query_by_label_contains(&wa_label).is_some(), "the WhatsApp section's count");
    assert!(harness.query_by_label_contains("To get the chats back").is_none(), "steps before a put-back");

    // WhatsApp's files onto the new phone: each where it was (both are Android 14), then the steps.
    click_target(&mut harness, "New Phone · serial NEWPHONE");
    let outcome = restore_onto(&mut harness, "Put back WhatsApp's files", "New Phone");
    assert!(!outcome.failed, "{outcome:?}");
    for (rel, (content, mtime)) in &whatsapp {
        let path = on(wa_dir.path(), rel);
        let read = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(&read == content, "{} differs", path.display());
        assert_eq!(mtime_of(&path), *mtime, "{}", path.display());
    }
    let others: Vec<_> = crate::util::tree(wa_dir.path())
        .into_keys()
        .filter(|k| !k.starts_with(WHATSAPP.as_bytes()))
        .map(|k| String::from_utf8_lossy(&k).into_owned())
        .collect();
    assert!(others.is_empty(), "more than WhatsApp's files put back: {others:?}");
    for step in phonebak::whatsapp::RESTORE_STEPS {
        assert!(harness.query_by_label_contains(step).is_some(), "step {step:?} is not shown");
    }

    // "Restore all" onto the photo phone: WhatsApp's photos are photos, its chat backup is not put back.
    click_target(&mut harness, "Photo Phone · serial PHOTO001");
    let outcome = restore_onto(&mut harness, "Restore all", "Photo Phone");
    assert!(!outcome.failed, "{outcome:?}");
    let restored = crate::util::tree(photo_dir.path());
    assert!(restored.keys().any(|k| k.starts_with(b"DCIM/")), "the camera's photos are not back");
    assert!(
        restored.keys().any(|k| k.starts_with(WHATSAPP.as_bytes())),
        "WhatsApp's photos are photos and go back with them"
    );
    assert!(!restored.contains_key(CHAT_BACKUP.as_bytes()), "a photo restore put back WhatsApp's chat backup");
}
