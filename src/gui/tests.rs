//! The Connect screen, driven with `egui_kittest`: widgets are found by role and accessible label.

use super::*;
use crate::device::parse_devices_long;
use eframe::egui::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;

/// The screen, and the command it returned last.
struct Screen {
    view: ConnectView,
    command: Option<ConnectCommand>,
}

fn harness(view: ConnectView) -> Harness<'static, Screen> {
    Harness::new_ui_state(
        |ui, screen: &mut Screen| {
            if let Some(c) = connect_ui(ui, &screen.view) {
                screen.command = Some(c);
            }
        },
        Screen { view, command: None },
    )
}

fn listed(lines: &str) -> ConnectView {
    ConnectView { listed: true, phones: parse_devices_long(lines), ..ConnectView::default() }
}

fn shows<S>(harness: &Harness<'_, S>, text: &str) -> bool {
    harness.query_all_by_label_contains(text).next().is_some()
}

#[test]
fn each_phone_state_shows_the_step_that_makes_it_usable() {
    let cases = [
        ("R58M1\tunauthorized usb:1-4 transport_id:1", "tap Allow"),
        ("R58M2\toffline usb:1-5 transport_id:2", "unplug the cable and plug it in again"),
        (
            "R58M3\tno permissions (missing udev rules? user is in the plugdev group); see [http://developer.android.com/tools/device.html] usb:1-6",
            "udev rule",
        ),
        ("R58M4\tdevice usb:1-7 product:panther model:Pixel_7 device:panther transport_id:4", "Ready."),
        ("R58M5\trecovery usb:1-8", "Restart it into Android"),
    ];
    for (line, step) in cases {
        let mut harness = harness(listed(line));
        harness.run();
        assert!(shows(&harness, step), "{line}: no {step:?} on the screen");
    }
}

#[test]
fn a_phone_without_permission_offers_the_udev_rule_to_copy() {
    let mut harness =
        harness(listed("R58M3\tno permissions; see [http://developer.android.com/tools/device.html] usb:1-6"));
    harness.run();
    harness.get_by_role_and_label(Role::Button, "Copy the udev rule").click();
    harness.run();
    let Some(ConnectCommand::Copy(rule)) = &harness.state().command else { panic!("nothing to copy") };
    assert!(rule.contains("SUBSYSTEM==\"usb\""), "{rule}");
}

#[test]
fn no_phone_shows_how_to_turn_on_usb_debugging_and_adb_missing_how_to_install_it() {
    let mut none = harness(ConnectView { listed: true, ..ConnectView::default() });
    none.run();
    assert!(shows(&none, "No phone found."));
    assert!(shows(&none, "Build number"));
    let problem =
        crate::device::DeviceError::AdbNotFound { install: "sudo apt install adb".into(), searched: "PATH".into() };
    let mut missing =
        harness(ConnectView { adb_problem: Some(problem.to_string()), listed: true, ..ConnectView::default() });
    missing.run();
    assert!(shows(&missing, "sudo apt install adb"));
}

#[test]
fn the_demo_button_asks_for_the_demo_phone_and_a_starting_demo_shows_progress() {
    let mut idle = harness(ConnectView { listed: true, ..ConnectView::default() });
    idle.run();
    idle.get_by_role_and_label(Role::Button, "Try the demo phone").click();
    idle.run();
    assert_eq!(idle.state().command, Some(ConnectCommand::TryDemo));
    let mut starting = harness(ConnectView { listed: true, demo_starting: true, ..ConnectView::default() });
    // A spinner never settles: step instead of running to rest.
    starting.run_steps(3);
    assert!(shows(&starting, "Starting the demo phone"));
    assert!(starting.query_by_role_and_label(Role::Button, "Try the demo phone").is_none());
}

#[test]
fn the_window_icon_is_the_256_pixel_app_icon_and_the_desktop_entry_starts_phonebak() {
    let icon = icon().expect("assets/icon.png decodes");
    assert_eq!((icon.width, icon.height), (256, 256));
    assert_eq!(icon.rgba.len(), 256 * 256 * 4);
    let entry = include_str!("../../assets/phonebak.desktop");
    for line in ["[Desktop Entry]", "Type=Application", "Exec=phonebak", "Icon=phonebak", "Terminal=false"] {
        assert!(entry.lines().any(|l| l == line), "phonebak.desktop lacks {line}");
    }
}

fn folder(name: &str, photos: usize, videos: usize, bytes: u64) -> crate::scan::Folder {
    crate::scan::Folder {
        path: format!("/storage/emulated/0/DCIM/{name}").into_bytes(),
        name: name.to_string(),
        source: crate::scan::Source::Camera,
        photos,
        videos,
        bytes,
        oldest: 1_700_000_000,
        newest: 1_710_000_000,
        files: Vec::new(),
    }
}

#[test]
fn the_gallery_lists_folders_with_counts_sizes_and_dates_and_totals_the_ticked_ones() {
    let view = GalleryView {
        phone: "Pixel 7".into(),
        folders: vec![
            (folder("Camera", 312, 4, 1_200_000_000), true),
            (folder("Screenshots", 40, 0, 30_000_000), true),
        ],
        ..GalleryView::default()
    };
    let mut harness = Harness::new_ui_state(
        |ui, state: &mut (GalleryView, Option<GalleryCommand>)| {
            if let Some(c) = gallery_ui(ui, &mut state.0) {
                state.1 = Some(c);
            }
        },
        (view, None),
    );
    harness.run();
    assert!(shows(&harness, "Camera: 312 photos, 4 videos, 1.2 GB, 2023-11-14 – 2024-03-09"));
    assert!(shows(&harness, "Chosen: 352 photos and 4 videos, 1.2 GB"));
    harness
        .get_by_role_and_label(Role::CheckBox, "Camera: 312 photos, 4 videos, 1.2 GB, 2023-11-14 – 2024-03-09")
        .click();
    harness.run();
    assert!(shows(&harness, "Chosen: 40 photos and 0 videos, 30.0 MB"), "unticking Camera did not change the total");
    harness.get_by_role_and_label(Role::Button, "Back to phones").click();
    harness.run();
    assert_eq!(harness.state().1, Some(GalleryCommand::Back));
}
