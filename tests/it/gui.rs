//! The desktop app's state and screens driven with `egui_kittest` (widgets found by role and label), against
//! the real adb server and virtual phones: the demo phone flow from the Connect screen to a verified backup of
//! three chosen photos, Restore all onto an empty phone, and Cancel in the middle of a backup.

use crate::util::{AdbServer, device_of, phone_with_dir, tree, write_file};
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use phonebak::backup::Manifest;
use phonebak::device::{Adb, AdbSearch};
use phonebak::gui::egui::{self, Role};
use phonebak::gui::{AdbSource, App, Options, Screen};
use phonebak::virtual_phone::{Config, LinkModel};
use sha2::{Digest, Sha256};
use std::path::Path;
use std::time::{Duration, Instant};

/// Steps the app until `done` says so (a spinner never lets it settle), or fails after `limit`.
pub fn step_until(
    harness: &mut Harness<'_, App>,
    limit: Duration,
    what: &str,
    done: impl Fn(&Harness<'_, App>) -> bool,
) {
    let deadline = Instant::now() + limit;
    while !done(harness) {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        harness.step();
        std::thread::sleep(Duration::from_millis(20));
    }
}

pub fn adb_of(server: &AdbServer) -> Adb {
    Adb::new(AdbSearch::from_env().find().expect("adb on PATH"), server.port)
}

fn app_harness(adb: &Adb) -> Harness<'static, App> {
    app_harness_with(Options::with_adb(AdbSource::Fixed(adb.clone())))
}

/// The app with these options, in a 1100×760 window.
pub fn app_harness_with(options: Options) -> Harness<'static, App> {
    let app = App::new(egui::Context::default(), options).expect("app");
    Harness::builder().with_size(egui::vec2(1100.0, 760.0)).build_ui_state(
        |ui, app: &mut App| {
            app.logic(ui.ctx());
            app.draw(ui);
        },
        app,
    )
}

/// The labels of the photo tiles drawn whole in the window now, top left first.
pub(crate) fn tiles(harness: &Harness<'_, App>) -> Vec<String> {
    harness
        .query_all_by_role(Role::ListBoxOption)
        .filter(|n| n.rect().max.y <= 760.0)
        .filter_map(|n| n.accesskit_node().label())
        .collect()
}

/// Opens the phone `serial` from the Connect screen and waits for its folders.
pub fn open_phone(harness: &mut Harness<'_, App>, name: &str) {
    step_until(harness, Duration::from_secs(20), "the phone to be ready", |h| {
        h.query_all_by_label_contains(name).next().is_some() && h.query_by_label_contains("Ready.").is_some()
    });
    harness.get_by_role_and_label(Role::Button, "Back up this phone").click();
    step_until(harness, Duration::from_secs(30), "the gallery folders", |h| {
        h.state().backup_view().is_some_and(|g| g.scanning.is_none() && !g.folders.is_empty())
    });
    let view = harness.state().backup_view().expect("the backup screen");
    assert!(view.error.is_none(), "{:?}", view.error);
}

/// Unticks every folder but `keep` by clicking their checkboxes.
fn tick_only(harness: &mut Harness<'_, App>, keep: &str) {
    let others: Vec<String> = harness
        .state()
        .backup_view()
        .expect("backup screen")
        .folders
        .iter()
        .filter(|(f, on)| *on && f.name != keep)
        .map(|(f, _)| format!("{}: ", f.name))
        .collect();
    for prefix in others {
        // The folder list is below the data-type choice in a scrolled panel: a box out of view takes no click.
        harness
            .query_all_by_role(Role::CheckBox)
            .find(|n| n.accesskit_node().label().is_some_and(|l| l.starts_with(&prefix)))
            .unwrap_or_else(|| panic!("no checkbox {prefix}"))
            .scroll_to_me();
        harness.run_steps(2);
        harness
            .query_all_by_role(Role::CheckBox)
            .find(|n| n.accesskit_node().label().is_some_and(|l| l.starts_with(&prefix)))
            .expect("the checkbox")
            .click();
        harness.run_steps(2);
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    phonebak::backup::manifest::hex(&Sha256::digest(bytes))
}

/// The photos of a backup tree: its contacts and messages (`<phone>/Contacts/`, `<phone>/Messages/`, checked in
/// `gui_contacts` and `gui_datatypes`) left out.
fn photos_of(
    tree: std::collections::BTreeMap<Vec<u8>, (Vec<u8>, u64)>,
) -> std::collections::BTreeMap<Vec<u8>, (Vec<u8>, u64)> {
    let outside = |path: &[u8], folder: &[u8]| {
        let inner: Vec<u8> = [b"/".as_slice(), folder, b"/"].concat();
        !path.starts_with(&inner[1..]) && !path.windows(inner.len()).any(|w| w == inner.as_slice())
    };
    tree.into_iter().filter(|(path, _)| outside(path, b"Contacts") && outside(path, b"Messages")).collect()
}

/// Every manifest entry of `serial` in `dest` is on disk with its recorded size and hash, and nothing else
/// (but the contacts and messages) is in the phone's backup folder.
fn assert_backup_consistent(dest: &Path, serial: &str) -> Manifest {
    let manifest = Manifest::load(dest, serial).expect("manifest readable").expect("a manifest");
    for entry in &manifest.files {
        let path = dest.join(phonebak::backup::manifest::local_path_of(&entry.local_path.0));
        let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert_eq!(bytes.len() as u64, entry.size, "{}", path.display());
        assert_eq!(sha256_hex(&bytes), entry.sha256, "{} differs from its manifest entry", path.display());
    }
    let on_disk = photos_of(tree(dest)).len();
    assert_eq!(on_disk, manifest.files.len(), "files on disk that the manifest does not list, or the other way");
    manifest
}

#[test]
fn the_demo_phone_flow_backs_up_exactly_the_three_chosen_photos_and_restore_all_puts_them_on_an_empty_phone() {
    let server = AdbServer::start();
    let adb = adb_of(&server);
    let mut harness = app_harness(&adb);
    // The demo phone's contacts, listed on the Restore screen, have Arabic names and emoji, which egui's bundled
    // test fonts cannot draw (the window uses the system's fonts): a box is drawn for them.
    harness.ctx.set_missing_glyph_policy(egui::MissingGlyphPolicy::Tofu);
    step_until(&mut harness, Duration::from_secs(10), "the phone list", |h| {
        h.query_by_label_contains("No phone found.").is_some()
    });
    harness.get_by_role_and_label(Role::Button, "Try the demo phone").click();
    step_until(&mut harness, Duration::from_secs(60), "the demo phone to be ready", |h| {
        h.query_all_by_label_contains("Demo Phone").next().is_some() && h.query_by_label_contains("Ready.").is_some()
    });
    assert!(harness.query_by_role_and_label(Role::Button, "Try the demo phone").is_none(), "a second demo offered");
    let demo_serial = harness.state().demo_phone().expect("the demo phone runs").addr().to_string();
    let entry = adb.devices().expect("devices").into_iter().find(|d| d.serial == demo_serial).expect("adb lists it");
    assert!(entry.state.is_ready(), "{entry:?}");

    // Open it, keep only the Camera folder ticked, select three photos.
    open_phone(&mut harness, "Demo Phone");
    let camera = harness.state().backup_view().and_then(|v| v.folders.iter().find(|(f, _)| f.name == "Camera"));
    assert!(camera.is_some_and(|(f, on)| f.photos >= 200 && *on), "the Camera folder, ticked");
    tick_only(&mut harness, "Camera");
    harness.run_steps(2);
    let shown = tiles(&harness);
    assert!(shown.len() >= 3, "photo tiles: {shown:?}");
    assert!(shown.iter().all(|n| n.starts_with("IMG_")), "only Camera photos: {shown:?}");
    let chosen = [shown[0].clone(), shown[1].clone(), shown[2].clone()];
    harness.get_by_role_and_label(Role::ListBoxOption, &chosen[0]).click();
    harness.run_steps(2);
    for name in &chosen[1..] {
        harness.get_by_role_and_label(Role::ListBoxOption, name).click_modifiers(egui::Modifiers::COMMAND);
        harness.run_steps(2);
    }
    assert_eq!(harness.state().backup_view().expect("view").grid.selected_count(), 3);

    // The backup folder, as the folder dialog would give it; then Back up.
    let dest = tempfile::tempdir().expect("backup folder");
    harness.state_mut().set_backup_folder(dest.path().to_path_buf());
    step_until(&mut harness, Duration::from_secs(10), "the backup folder to be read", |h| {
        h.state().backup_view().is_some_and(|v| v.backed_up.is_some())
    });
    harness.run_steps(2);
    assert!(harness.query_by_label_contains("Selected: 3 photos").is_some(), "the summary counts the selection");
    harness.get_by_role_and_label(Role::Button, "Back up").click();
    step_until(&mut harness, Duration::from_secs(60), "the backup to finish", |h| {
        h.state().backup_view().is_some_and(|v| v.outcome.is_some())
    });
    let outcome = harness.state().backup_view().and_then(|v| v.outcome.clone()).expect("outcome");
    assert!(!outcome.failed && outcome.headline.starts_with("Backed up 3 files"), "{outcome:?}");
    // The demo phone's 20 contacts and its messages, ticked by default, went with the photos.
    assert!(outcome.headline.contains(" Saved 20 contacts. "), "{outcome:?}");
    assert!(outcome.headline.contains(" Saved 43 messages in 6 conversations"), "{outcome:?}");
    harness.run_steps(2);
    assert!(harness.query_by_role_and_label(Role::Button, "Open folder").is_some());

    // Exactly those three, verified against the phone, and now badged as backed up.
    let manifest = assert_backup_consistent(dest.path(), "DEMO0001");
    let mut backed: Vec<String> = manifest
        .files
        .iter()
        .map(|f| String::from_utf8_lossy(f.phone_path.0.rsplit(|&b| b == b'/').next().unwrap_or_default()).into_owned())
        .collect();
    backed.sort();
    let mut wanted = chosen.to_vec();
    wanted.sort();
    assert_eq!(backed, wanted);
    let demo = device_of(&server, harness.state().demo_phone().expect("demo"));
    for entry in &manifest.files {
        let mut on_phone = Vec::new();
        demo.pull(&entry.phone_path.0, &mut on_phone, &mut |_| Ok(())).expect("pull");
        assert_eq!(sha256_hex(&on_phone), entry.sha256, "the copy matches the phone");
    }
    step_until(&mut harness, Duration::from_secs(10), "the badges", |h| {
        h.state()
            .backup_view()
            .is_some_and(|v| v.grid.items().iter().filter(|i| i.badge == phonebak::gui::Badge::BackedUp).count() == 3)
    });

    // A large preview: Enter opens the last clicked photo with its size in pixels, arrows move, Esc closes.
    harness.get_by_role_and_label(Role::ListBoxOption, &shown[0]).click();
    harness.run_steps(2);
    harness.key_press(egui::Key::Enter);
    step_until(&mut harness, Duration::from_secs(20), "the preview", |h| {
        h.query_by_label_contains(" pixels").is_some() && h.query_by_role_and_label(Role::Label, &shown[0]).is_some()
    });
    harness.key_press(egui::Key::ArrowRight);
    step_until(&mut harness, Duration::from_secs(20), "the next photo's preview", |h| {
        h.query_by_role_and_label(Role::Label, &shown[1]).is_some() && h.query_by_label_contains(" pixels").is_some()
    });
    harness.key_press(egui::Key::Escape);
    harness.run_steps(2);
    assert!(harness.query_by_label_contains(" pixels").is_none(), "Esc did not close the preview");

    // Restore all onto an empty phone.
    let (empty_dir, empty) = phone_with_dir(Config {
        model: "Empty Phone".to_string(),
        serial: "EMPTY001".to_string(),
        link: LinkModel::Unlimited,
        ..Config::default()
    });
    server.connect(&empty, "device");
    harness.get_by_role_and_label(Role::Button, "Restore a backup…").click();
    harness.run_steps(2);
    assert_eq!(harness.state().screen(), Screen::Restore);
    // No folder to restore from was chosen: the screen opens the one just backed up into.
    assert_eq!(harness.state().restore_view().folder.as_deref(), Some(dest.path()), "the backup just made");
    step_until(&mut harness, Duration::from_secs(10), "the backup's photos", |h| {
        h.state().restore_view().grid.items().len() == 3 && h.query_by_label_contains("Empty Phone").is_some()
    });
    // The phone the backup came from is chosen for the person; they pick the empty phone instead and are
    // asked to confirm a restore onto another phone than the backup's.
    step_until(&mut harness, Duration::from_secs(10), "the phones to say who they are", |h| {
        h.query_all_by_label_contains("serial EMPTY001").next().is_some()
            && h.state().restore_view().target.as_deref() == Some(demo_serial.as_str())
    });
    harness
        .query_all_by_role(Role::RadioButton)
        .find(|n| n.accesskit_node().label().is_some_and(|l| l.starts_with("Empty Phone · serial EMPTY001")))
        .expect("the empty phone as a target")
        .click();
    harness.run_steps(2);
    assert_eq!(harness.state().restore_view().target.as_deref(), Some(empty.addr().to_string().as_str()));
    harness.get_by_role_and_label(Role::Button, "Restore all").click();
    harness.run_steps(4);
    harness.get_by_role_and_label(Role::Button, "Restore onto Empty Phone").click();
    step_until(&mut harness, Duration::from_secs(60), "the restore to finish", |h| {
        h.state().restore_view().outcome.is_some()
    });
    let outcome = harness.state().restore_view().outcome.clone().expect("outcome");
    assert!(!outcome.failed && outcome.headline.starts_with("Restored 3 files"), "{outcome:?}");
    let backup_tree = photos_of(tree(&dest.path().join("Demo Phone (DEMO0001)")));
    assert_eq!(tree(empty_dir.path()), backup_tree, "the empty phone now holds the three photos, dated");
}

/// A phone with 30 photos of 2 MiB on the USB 2 model, open in the app with a backup of all of them running
/// into `dest` (at least 4 MiB copied).
fn backup_running(
    server: &AdbServer,
    dest: &Path,
) -> (tempfile::TempDir, phonebak::virtual_phone::VirtualPhone, Harness<'static, App>) {
    let adb = adb_of(server);
    let (dir, phone) = phone_with_dir(Config {
        model: "Slow Phone".to_string(),
        serial: "SLOW0001".to_string(),
        link: LinkModel::Usb2,
        ..Config::default()
    });
    for n in 0..30u64 {
        let content = crate::util::noise(2 << 20, n);
        let name = format!("DCIM/Camera/IMG_2024010{}_{n:06}.jpg", n % 9 + 1);
        write_file(&dir.path().join(name), &content, 1_704_000_000 + n * 3600);
    }
    server.connect(&phone, "device");
    let mut harness = app_harness(&adb);
    open_phone(&mut harness, "Slow Phone");
    harness.state_mut().set_backup_folder(dest.to_path_buf());
    step_until(&mut harness, Duration::from_secs(10), "the backup folder to be read", |h| {
        h.state().backup_view().is_some_and(|v| v.backed_up.is_some())
    });
    harness.run_steps(2);
    assert!(harness.query_by_label_contains("30 photos, 62.9 MB, 30 new").is_some(), "nothing selected: all of them");
    harness.get_by_role_and_label(Role::Button, "Back up").click();
    step_until(&mut harness, Duration::from_secs(30), "some progress", |h| {
        h.state()
            .backup_view()
            .and_then(|v| v.job.as_ref())
            .and_then(|j| j.state.as_ref())
            .is_some_and(|s| s.bytes_done >= 4 << 20)
    });
    (dir, phone, harness)
}

#[test]
fn cancel_stops_a_backup_and_leaves_it_consistent_and_the_next_back_up_finishes_it() {
    let server = AdbServer::start();
    let dest = tempfile::tempdir().expect("backup folder");
    let (dir, _phone, mut harness) = backup_running(&server, dest.path());
    harness.get_by_role_and_label(Role::Button, "Cancel").click();
    step_until(&mut harness, Duration::from_secs(30), "the backup to stop", |h| {
        h.state().backup_view().is_some_and(|v| v.outcome.is_some())
    });
    let outcome = harness.state().backup_view().and_then(|v| v.outcome.clone()).expect("outcome");
    assert!(outcome.headline.starts_with("Backup stopped."), "{outcome:?}");
    let manifest = assert_backup_consistent(dest.path(), "SLOW0001");
    assert!(manifest.files.len() < 30, "stopped part way: {} files recorded", manifest.files.len());

    // Back up again: the rest, and the backup is whole.
    step_until(&mut harness, Duration::from_secs(10), "the badges", |h| {
        h.state().backup_view().is_some_and(|v| {
            v.grid.items().iter().filter(|i| i.badge == phonebak::gui::Badge::BackedUp).count() == manifest.files.len()
        })
    });
    harness.run_steps(2);
    harness.get_by_role_and_label(Role::Button, "Back up").click();
    step_until(&mut harness, Duration::from_secs(60), "the second backup", |h| {
        h.state()
            .backup_view()
            .is_some_and(|v| v.job.is_none() && v.outcome.as_ref().is_some_and(|o| o.headline.starts_with("Backed up")))
    });
    let manifest = assert_backup_consistent(dest.path(), "SLOW0001");
    assert_eq!(manifest.files.len(), 30);
    assert_eq!(tree(&dest.path().join("Slow Phone (SLOW0001)")), tree(dir.path()));
}

/// The share of `region`'s pixels that differ from its most common colour (the background), and how many
/// distinct colours it has.
fn busyness(shot: &image::RgbImage, region: (u32, u32, u32, u32)) -> (f64, usize) {
    let (x0, y0, x1, y1) = region;
    let mut counts: std::collections::HashMap<[u8; 3], u64> = std::collections::HashMap::new();
    for y in y0..y1.min(shot.height()) {
        for x in x0..x1.min(shot.width()) {
            *counts.entry(shot.get_pixel(x, y).0).or_default() += 1;
        }
    }
    let total: u64 = counts.values().sum();
    let background = counts.values().copied().max().unwrap_or(0);
    ((total - background) as f64 / total.max(1) as f64, counts.len())
}

#[test]
fn the_real_binary_under_xvfb_opens_the_demo_phone_and_draws_its_photo_grid() {
    use std::process::Stdio;
    let server = AdbServer::start();
    let screen = crate::util::VirtualDisplay::start().expect("Xvfb (install the xvfb package; scripts/test does)");
    let home = tempfile::tempdir().expect("home");
    let mut app = screen.start_app(&server, home.path(), &["--demo"], Stdio::piped()).expect("phonebak");
    let deadline = Instant::now() + Duration::from_secs(90);
    let mut last = (0.0, 0);
    let drawn = loop {
        std::thread::sleep(Duration::from_secs(1));
        if let Ok(Some(status)) = app.try_wait() {
            let mut err = String::new();
            let _ = std::io::Read::read_to_string(&mut app.stderr.take().expect("stderr"), &mut err);
            panic!("phonebak exited ({status}) before drawing the grid: {err}");
        }
        if let Some(image) = screen.screenshot() {
            // The grid: right of the folder list, below the top bar, inside the 1100×760 window.
            last = busyness(&image, (440, 120, 1080, 740));
            if last.0 > 0.3 && last.1 > 256 {
                image.save(home.path().join("shot.png")).expect("save");
                break true;
            }
        }
        if Instant::now() > deadline {
            break false;
        }
    };
    let _ = app.kill();
    let _ = app.wait();
    drop(screen);
    assert!(
        drawn,
        "no photo grid on the screen after 90 s: {:.0}% of the grid area differs from the background, {} colours",
        last.0 * 100.0,
        last.1
    );
}

/// The commands the app sent to its window in the last frame.
fn window_commands(harness: &Harness<'_, App>) -> Vec<egui::ViewportCommand> {
    harness.output().viewport_output.get(&egui::ViewportId::ROOT).map(|v| v.commands.clone()).unwrap_or_default()
}

#[test]
fn closing_the_window_during_a_backup_asks_first_then_stops_it_cleanly_and_closes() {
    let server = AdbServer::start();
    let dest = tempfile::tempdir().expect("backup folder");
    let (_dir, _phone, mut harness) = backup_running(&server, dest.path());
    // The window's close button.
    harness.input_mut().viewports.entry(egui::ViewportId::ROOT).or_default().events.push(egui::ViewportEvent::Close);
    harness.step();
    assert!(window_commands(&harness).contains(&egui::ViewportCommand::CancelClose), "the close was not held back");
    harness.input_mut().viewports.entry(egui::ViewportId::ROOT).or_default().events.clear();
    harness.step();
    assert!(harness.query_by_label_contains("Stop it and close phonebak?").is_some(), "no question asked");
    harness.get_by_role_and_label(Role::Button, "Keep copying").click();
    harness.step();
    harness.step();
    assert!(harness.query_by_label_contains("Stop it and close phonebak?").is_none());
    assert!(harness.state().job_running(), "Keep copying stopped the backup");

    harness.input_mut().viewports.entry(egui::ViewportId::ROOT).or_default().events.push(egui::ViewportEvent::Close);
    harness.step();
    harness.input_mut().viewports.entry(egui::ViewportId::ROOT).or_default().events.clear();
    harness.step();
    harness.get_by_role_and_label(Role::Button, "Stop and close").click();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        harness.step();
        if window_commands(&harness).contains(&egui::ViewportCommand::Close) {
            break;
        }
        assert!(Instant::now() < deadline, "the window never closed");
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(!harness.state().job_running(), "closed while the backup still ran");
    let manifest = assert_backup_consistent(dest.path(), "SLOW0001");
    assert!(manifest.files.len() < 30, "{} files: the backup was not stopped", manifest.files.len());
}

/// A phone with `n` small real JPEGs in its camera folder.
pub fn phone_with_photos(
    model: &str,
    serial: &str,
    n: u64,
) -> (tempfile::TempDir, phonebak::virtual_phone::VirtualPhone) {
    let (dir, phone) =
        phone_with_dir(Config { model: model.to_string(), serial: serial.to_string(), ..Config::default() });
    for i in 0..n {
        let image = image::RgbImage::from_fn(96, 64, |x, y| image::Rgb([(x * 2) as u8, (y * 3) as u8, (i * 40) as u8]));
        let mut jpeg = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 85).encode_image(&image).expect("jpeg");
        write_file(
            &dir.path().join(format!("DCIM/Camera/IMG_2024020{i}_120000.jpg")),
            &jpeg,
            1_706_000_000 + i * 86_400,
        );
    }
    (dir, phone)
}

/// Types `text` into the password field labelled `label`.
pub(crate) fn type_password(harness: &mut Harness<'_, App>, label: &str, text: &str) {
    let field = harness.get_by_role_and_label(Role::PasswordInput, label);
    field.focus();
    field.type_text(text);
    harness.run_steps(2);
}

#[test]
fn an_encrypted_backup_from_the_app_asks_the_password_twice_and_its_restore_unlocks_with_it() {
    let server = AdbServer::start();
    let adb = adb_of(&server);
    let (source_dir, source) = phone_with_photos("Source Phone", "SRC00001", 4);
    server.connect(&source, "device");
    let mut harness = app_harness(&adb);
    open_phone(&mut harness, "Source Phone");
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
    type_password(&mut harness, "Password", "short");
    assert!(harness.query_by_label_contains("very short").is_some(), "no strength hint for a short password");
    let field = harness.get_by_role_and_label(Role::PasswordInput, "Password");
    field.focus();
    field.type_text(" but now much longer");
    harness.run_steps(2);
    type_password(&mut harness, "Type it again", "short but now much longer");
    harness.get_by_role_and_label(Role::Button, "Encrypt and back up").click();
    step_until(&mut harness, Duration::from_secs(60), "the encrypted backup", |h| {
        h.state()
            .backup_view()
            .is_some_and(|v| v.outcome.as_ref().is_some_and(|o| o.headline.starts_with("Backed up 4")))
    });
    assert!(phonebak::vault::is_encrypted(dest.path()));
    assert!(
        tree(dest.path()).keys().all(|p| !String::from_utf8_lossy(p).contains("IMG_")),
        "a photo's name shows in the encrypted folder"
    );

    // The app keeps the key while it runs; started again, it asks. Restore onto an empty phone: locked until
    // the right password.
    drop(harness);
    let mut harness = app_harness(&adb);
    let (empty_dir, empty) = phone_with_dir(Config {
        model: "Empty Phone".to_string(),
        serial: "EMPTY002".to_string(),
        ..Config::default()
    });
    server.connect(&empty, "device");
    step_until(&mut harness, Duration::from_secs(10), "the phone list", |h| {
        h.query_all_by_label_contains("Empty Phone").next().is_some()
    });
    harness.get_by_role_and_label(Role::Button, "Restore a backup…").click();
    harness.run_steps(2);
    harness.state_mut().open_restore_folder(dest.path().to_path_buf());
    harness.run_steps(3);
    type_password(&mut harness, "Password", "not it");
    harness.get_by_role_and_label(Role::Button, "Unlock").click();
    step_until(&mut harness, Duration::from_secs(20), "the wrong password to be refused", |h| {
        h.query_by_label_contains("Wrong password").is_some()
    });
    type_password(&mut harness, "Password", "short but now much longer");
    harness.get_by_role_and_label(Role::Button, "Unlock").click();
    step_until(&mut harness, Duration::from_secs(20), "the backup's photos", |h| {
        h.state().restore_view().grid.items().len() == 4 && h.query_by_label_contains("Empty Phone").is_some()
    });
    step_until(&mut harness, Duration::from_secs(20), "thumbnails decrypted on the fly", |h| {
        h.state().textures().uploaded() >= 4
    });
    step_until(&mut harness, Duration::from_secs(10), "the empty phone to say who it is", |h| {
        h.query_all_by_label_contains("serial EMPTY002").next().is_some()
    });
    assert!(
        harness.query_by_label_contains("Contacts are not kept in encrypted backup folders").is_none(),
        "the Restore screen still says an encrypted folder holds no contacts"
    );
    harness
        .query_all_by_role(Role::RadioButton)
        .find(|n| n.accesskit_node().label().is_some_and(|l| l.starts_with("Empty Phone · serial EMPTY002")))
        .expect("the empty phone as a target")
        .click();
    harness.run_steps(2);
    harness.get_by_role_and_label(Role::Button, "Restore all").click();
    harness.run_steps(4);
    harness.get_by_role_and_label(Role::Button, "Restore onto Empty Phone").click();
    step_until(&mut harness, Duration::from_secs(60), "the restore", |h| h.state().restore_view().outcome.is_some());
    let outcome = harness.state().restore_view().outcome.clone().expect("outcome");
    assert!(outcome.headline.starts_with("Restored 4 files"), "{outcome:?}");
    assert_eq!(tree(empty_dir.path()), tree(source_dir.path()), "the photos, byte-exact and dated");
}

/// The day (`YYYY-MM-DD`, UTC) of a time.
fn utc_day(secs: i64) -> String {
    jiff::Timestamp::from_second(secs).expect("a time").to_zoned(jiff::tz::TimeZone::UTC).date().to_string()
}

/// Each photo tile drawn with the day header right above it (the first tile of each day on a row; a day that
/// goes on over more rows has no header on its later rows): (file name, day).
fn tiles_under_headers(harness: &Harness<'_, App>) -> Vec<(String, String)> {
    let headers: Vec<(String, egui::Rect)> = harness
        .query_all_by_role(Role::Button)
        .filter_map(|n| {
            let label = n.accesskit_node().label()?;
            let day = label.strip_prefix("Select ").or_else(|| label.strip_prefix("Unselect "))?.to_string();
            Some((day, n.rect()))
        })
        .filter(|(day, _)| day.len() == 10 && day.as_bytes()[4] == b'-')
        .collect();
    harness
        .query_all_by_role(Role::ListBoxOption)
        .filter_map(|tile| {
            let rect = tile.rect();
            let (day, _) = headers.iter().find(|(_, h)| {
                h.min.x <= rect.center().x
                    && rect.center().x <= h.max.x.max(h.min.x + 112.0)
                    && h.max.y <= rect.min.y + 0.5
                    && rect.min.y - h.max.y < 10.0
            })?;
            Some((tile.accesskit_node().label()?, day.clone()))
        })
        .collect()
}

#[test]
fn photos_copied_onto_a_phone_land_on_the_day_their_exif_says_once_their_thumbnails_arrive() {
    // The grid's days are local: on this thread, UTC (the sample phone's clock).
    phonebak::human::set_thread_time_zone(Some(jiff::tz::TimeZone::UTC));
    let server = AdbServer::start();
    let adb = adb_of(&server);
    let phone = phonebak::virtual_phone::VirtualPhone::start(Config {
        storage: phonebak::virtual_phone::StorageSource::Sample(phonebak::virtual_phone::sample::SampleOptions {
            photos: 12,
            seed: 7,
            huge_video: false,
        }),
        model: "Copied Phone".to_string(),
        serial: "COPY0001".to_string(),
        ..Config::default()
    })
    .expect("sample phone");
    let storage = &phone.phone().storage;
    // Names this window's fonts cannot draw (an emoji) are the hostile-name tests' business, not this one's.
    std::fs::remove_dir_all(storage.root().join("Pictures/Hostile")).expect("no hostile names");
    // A transfer app copied the whole camera folder on 2025-03-01: every file is dated that day, a minute apart.
    let camera = storage.root().join("DCIM/Camera");
    let mut files: Vec<std::path::PathBuf> =
        std::fs::read_dir(&camera).expect("camera").map(|e| e.expect("entry").path()).collect();
    files.sort();
    let copy_day = 1_740_823_200; // 2025-03-01 10:00 UTC
    let mut expected = std::collections::HashMap::new();
    let mut heads = Vec::new();
    for (n, host) in files.iter().enumerate() {
        let mut head = Vec::new();
        std::io::Read::read_to_end(
            &mut std::io::Read::take(storage.open_read(host).expect("open"), phonebak::thumbnails::HEAD_BYTES as u64),
            &mut head,
        )
        .expect("head");
        let mtime = copy_day + n as u64 * 60;
        storage.set_times(host, std::time::UNIX_EPOCH + Duration::from_secs(mtime), None).expect("date the copy");
        let name = host.file_name().expect("name").to_string_lossy().into_owned();
        // JPEGs and HEICs are dated by their EXIF (a HEIC's EXIF item, read by kamadak-exif).
        let kind = phonebak::thumbnails::PictureKind::of(name.as_bytes());
        let dated = matches!(kind, phonebak::thumbnails::PictureKind::Jpeg | phonebak::thumbnails::PictureKind::Heic);
        let taken = if dated { crate::thumbnails::exif_taken_utc(&head) } else { None };
        expected.insert(name, taken.map_or_else(|| "2025-03-01".to_string(), utc_day));
        heads.push(head);
    }
    let moved = expected.values().filter(|d| *d != "2025-03-01").count();
    assert!(moved >= 12, "only {moved} photos have an EXIF day other than the copy's");
    // The shared real photos are in the sample's camera folder when they are beside the project.
    let mobile = phonebak::virtual_phone::sample::fixtures_dir().join("mobile");
    if let Ok(entries) = std::fs::read_dir(&mobile) {
        for fixture in entries.map(|e| e.expect("entry").path()).filter(|p| p.extension().is_some_and(|e| e == "jpg")) {
            let bytes = std::fs::read(&fixture).expect("fixture");
            let head = &bytes[..bytes.len().min(phonebak::thumbnails::HEAD_BYTES)];
            assert!(heads.iter().any(|h| h.as_slice() == head), "{} is not on the phone", fixture.display());
        }
    } else {
        eprintln!("the shared fixtures are not beside the project: only generated photos");
    }
    server.connect(&phone, "device");

    let app = App::new(egui::Context::default(), Options::with_adb(AdbSource::Fixed(adb.clone()))).expect("app");
    let mut harness = Harness::builder().with_size(egui::vec2(1600.0, 1400.0)).build_ui_state(
        |ui, app: &mut App| {
            app.logic(ui.ctx());
            app.draw(ui);
        },
        app,
    );
    open_phone(&mut harness, "Copied Phone");
    tick_only(&mut harness, "Camera");
    let wrong = |h: &Harness<'_, App>| -> Vec<String> {
        let grid = &h.state().backup_view().expect("the backup screen").grid;
        grid.items()
            .iter()
            .enumerate()
            .filter(|(n, i)| expected.get(&i.name).is_none_or(|day| grid.day_of(*n) != Some(day.as_str())))
            .map(|(n, i)| format!("{} under {:?}", i.name, grid.day_of(n)))
            .collect()
    };
    let deadline = Instant::now() + Duration::from_secs(90);
    while !wrong(&harness).is_empty() {
        assert!(Instant::now() < deadline, "not on their EXIF day: {:?}", wrong(&harness));
        harness.step();
        std::thread::sleep(Duration::from_millis(20));
    }
    harness.run_steps(3);
    // Every photo and video of the folder is in the grid (hidden ones, `.trashed-*` and `.pending-*`, are not).
    let mut shown: Vec<String> =
        harness.state().backup_view().expect("backup").grid.items().iter().map(|i| i.name.clone()).collect();
    let mut visible: Vec<String> = expected.keys().filter(|n| !n.starts_with('.')).cloned().collect();
    shown.sort();
    visible.sort();
    assert_eq!(shown, visible);
    // What is drawn says the same: each photo under its EXIF day's header.
    let drawn = tiles_under_headers(&harness);
    let days: std::collections::HashSet<&String> = expected.values().collect();
    assert!(drawn.len() >= days.len(), "{} tiles under headers for {} days: {drawn:?}", drawn.len(), days.len());
    for (name, day) in &drawn {
        assert_eq!(Some(day), expected.get(name), "{name} is drawn under {day}");
    }
}
