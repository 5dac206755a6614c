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
fn the_demo_phone_button_starts_a_virtual_phone_that_shows_up_ready() {
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
}
