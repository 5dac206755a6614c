//! The desktop app's state and screens driven with `egui_kittest`, against the real adb server: the demo phone
//! flow from the Connect screen.

use crate::util::AdbServer;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use phonebak::device::{Adb, AdbSearch};
use phonebak::gui::egui::Role;
use phonebak::gui::{AdbSource, App};
use std::time::{Duration, Instant};

/// Steps the app until `done` says so (a spinner never lets it settle), or fails after `limit`.
fn step_until(harness: &mut Harness<'_, App>, limit: Duration, what: &str, done: impl Fn(&Harness<'_, App>) -> bool) {
    let deadline = Instant::now() + limit;
    while !done(harness) {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        harness.step();
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn the_demo_phone_button_starts_a_virtual_phone_that_shows_up_ready_and_opens_to_its_gallery_folders() {
    let server = AdbServer::start();
    let binary = AdbSearch::from_env().find().expect("adb on PATH");
    let adb = Adb::new(binary, server.port);
    let app = App::new(phonebak::gui::egui::Context::default(), AdbSource::Fixed(adb.clone())).expect("app");
    let mut harness = Harness::new_ui_state(
        |ui, app: &mut App| {
            app.logic();
            app.draw(ui);
        },
        app,
    );
    step_until(&mut harness, Duration::from_secs(10), "the phone list", |h| {
        h.query_by_label_contains("No phone found.").is_some()
    });
    harness.get_by_role_and_label(Role::Button, "Try the demo phone").click();
    step_until(&mut harness, Duration::from_secs(60), "the demo phone to be ready", |h| {
        h.query_all_by_label_contains("Demo Phone").next().is_some() && h.query_by_label_contains("Ready.").is_some()
    });
    assert!(harness.query_by_role_and_label(Role::Button, "Try the demo phone").is_none(), "a second demo offered");
    let phone = harness.state().demo_phone().expect("the demo phone runs");
    let listed = adb.devices().expect("devices");
    let entry = listed.iter().find(|d| d.serial == phone.addr().to_string()).expect("adb lists the demo phone");
    assert!(entry.state.is_ready(), "{entry:?}");

    // Open it: its gallery folders come from a scan on a background thread, all ticked.
    harness.get_by_role_and_label(Role::Button, "Back up this phone").click();
    step_until(&mut harness, Duration::from_secs(30), "the gallery folders", |h| {
        h.state().gallery_view().is_some_and(|g| g.scanning.is_none() && !g.folders.is_empty())
    });
    let gallery = harness.state().gallery_view().expect("the gallery screen");
    assert!(gallery.error.is_none(), "{:?}", gallery.error);
    let camera = gallery.folders.iter().find(|(f, _)| f.name == "Camera").expect("a Camera folder");
    assert!(camera.0.photos >= 200 && camera.1, "{} photos, ticked {}", camera.0.photos, camera.1);
    let (photos, _, _) = gallery.ticked();
    assert!(photos >= camera.0.photos);
    assert!(harness.query_all_by_label_contains("Camera: ").next().is_some(), "no Camera checkbox drawn");
    harness.get_by_role_and_label(Role::Button, "Back to phones").click();
    step_until(&mut harness, Duration::from_secs(5), "the Connect screen", |h| h.state().gallery_view().is_none());
}
