//! The Connect screen, driven with `egui_kittest`: widgets are found by role and accessible label.

use super::*;
use crate::device::parse_devices_long;
use eframe::egui::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use std::path::PathBuf;

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

/// The screen's dates are shown in UTC on this test's thread.
fn backup_view(folders: Vec<(crate::scan::Folder, bool)>) -> BackupView {
    crate::human::set_thread_time_zone(Some(jiff::tz::TimeZone::UTC));
    let mut view = BackupView { phone: "Pixel 7".into(), folders, ..BackupView::default() };
    view.refresh_grid();
    view
}

fn backup_harness(view: BackupView) -> Harness<'static, (BackupView, Textures, Option<BackupCommand>)> {
    Harness::builder().with_size(egui::vec2(1000.0, 700.0)).build_ui_state(
        |ui, state: &mut (BackupView, Textures, Option<BackupCommand>)| {
            if let Some(c) = backup_ui(ui, &mut state.0, &mut state.1) {
                state.2 = Some(c);
            }
        },
        (view, Textures::new(50), None),
    )
}

#[test]
fn the_backup_screen_lists_folders_with_counts_sizes_and_dates_and_totals_the_ticked_ones() {
    let view = backup_view(vec![
        (folder("Camera", 312, 4, 1_200_000_000), true),
        (folder("Screenshots", 40, 0, 30_000_000), true),
    ]);
    let mut harness = backup_harness(view);
    harness.run();
    assert!(shows(&harness, "Camera: 312 photos, 4 videos, 1.2 GB, 2023-11-14 – 2024-03-09"));
    assert!(shows(&harness, "Chosen: 352 photos and 4 videos, 1.2 GB"));
    harness
        .get_by_role_and_label(Role::CheckBox, "Camera: 312 photos, 4 videos, 1.2 GB, 2023-11-14 – 2024-03-09")
        .click();
    harness.run();
    assert!(shows(&harness, "Chosen: 40 photos and 0 videos, 30.0 MB"), "unticking Camera did not change the total");
    assert_eq!(harness.state().2, Some(BackupCommand::FoldersChanged));
    harness.get_by_role_and_label(Role::Button, "Back to phones").click();
    harness.run();
    assert_eq!(harness.state().2, Some(BackupCommand::Back));
}

/// A folder holding `n` photos, one a day (or several a day when `per_day` > 1), newest last.
fn folder_of(name: &str, n: usize, per_day: usize) -> crate::scan::Folder {
    let files: Vec<crate::scan::MediaFile> = (0..n)
        .map(|i| crate::scan::MediaFile {
            path: format!("/storage/emulated/0/DCIM/{name}/IMG_{i:04}.jpg").into_bytes(),
            size: 1000 + i as u64,
            mtime: 1_700_000_000 + (i / per_day) as i64 * 86_400 + (i % per_day) as i64 * 60,
            kind: crate::scan::MediaKind::Photo,
        })
        .collect();
    crate::scan::Folder {
        path: format!("/storage/emulated/0/DCIM/{name}").into_bytes(),
        name: name.to_string(),
        source: crate::scan::Source::Camera,
        photos: n,
        videos: 0,
        bytes: files.iter().map(|f| f.size).sum(),
        oldest: files.first().map_or(0, |f| f.mtime),
        newest: files.last().map_or(0, |f| f.mtime),
        files,
    }
}

fn selected_names(grid: &PhotoGrid) -> Vec<String> {
    grid.selected_items().map(|i| i.name.clone()).collect()
}

#[test]
fn click_selects_one_ctrl_click_adds_and_removes_shift_click_selects_a_run() {
    let mut view = backup_view(vec![(folder_of("Camera", 10, 1), true)]);
    let grid = &mut view.grid;
    // Newest first: item 0 is IMG_0009.
    assert_eq!(grid.items()[0].name, "IMG_0009.jpg");
    grid.click(2, egui::Modifiers::NONE);
    assert_eq!(selected_names(grid), ["IMG_0007.jpg"]);
    grid.click(4, egui::Modifiers::COMMAND);
    grid.click(5, egui::Modifiers::COMMAND);
    assert_eq!(selected_names(grid), ["IMG_0007.jpg", "IMG_0005.jpg", "IMG_0004.jpg"]);
    grid.click(4, egui::Modifiers::COMMAND);
    assert_eq!(selected_names(grid), ["IMG_0007.jpg", "IMG_0004.jpg"], "ctrl-click again removes");
    grid.click(1, egui::Modifiers::NONE);
    grid.click(3, egui::Modifiers::SHIFT);
    assert_eq!(selected_names(grid), ["IMG_0008.jpg", "IMG_0007.jpg", "IMG_0006.jpg"], "shift-click: the run");
    grid.click(0, egui::Modifiers::NONE);
    assert_eq!(grid.selected_count(), 1, "a plain click starts over");
    grid.toggle_group(0);
    assert_eq!(grid.selected_count(), 10, "the whole folder");
    grid.toggle_group(0);
    assert_eq!(grid.selected_count(), 0, "and unselected again");
}

#[test]
fn the_grid_groups_photos_by_day_and_a_day_button_selects_that_day() {
    let view = backup_view(vec![(folder_of("Camera", 9, 3), true)]);
    let mut harness = backup_harness(view);
    harness.run();
    // Three days of three photos; the newest day first.
    assert!(shows(&harness, "2023-11-16"), "no day header");
    assert_eq!(harness.query_all_by_role(Role::ListBoxOption).count(), 9, "nine photo tiles");
    harness.get_by_role_and_label(Role::Button, "Select 2023-11-15").click();
    harness.run();
    assert_eq!(selected_names(&harness.state().0.grid), ["IMG_0005.jpg", "IMG_0004.jpg", "IMG_0003.jpg"]);
    assert!(harness.query_by_role_and_label(Role::Button, "Unselect 2023-11-15").is_some());
    assert!(shows(&harness, "Selected: 3 photos"), "the summary counts the selection");
    // Tiles are selectable by role and file name; ctrl-click adds one.
    harness.get_by_role_and_label(Role::ListBoxOption, "IMG_0008.jpg").click_modifiers(egui::Modifiers::COMMAND);
    harness.run();
    assert_eq!(harness.state().0.grid.selected_count(), 4);
}

#[test]
fn only_the_rows_on_screen_are_laid_out_for_ten_thousand_photos() {
    let view = backup_view(vec![(folder_of("Camera", 10_000, 20), true)]);
    let mut harness = backup_harness(view);
    harness.run();
    let tiles = harness.query_all_by_role(Role::ListBoxOption).count();
    assert!(tiles > 0 && tiles < 200, "{tiles} tiles laid out of 10,000");
    let wanted = harness.state_mut().0.grid.take_wanted().expect("the grid asks for thumbnails");
    assert!(wanted.len() >= tiles && wanted.len() < 1000, "{} thumbnails wanted", wanted.len());
    assert_eq!(wanted[0].name, "IMG_9999.jpg", "the newest photo, on screen, comes first");
}

#[test]
fn badges_say_new_changed_or_backed_up_and_back_up_copies_only_what_is_new() {
    let mut view = backup_view(vec![(folder_of("Camera", 4, 1), true)]);
    let files = &view.folders[0].0.files;
    let mut backed_up = BackedUp::default();
    backed_up.files.insert(files[0].path.clone(), (files[0].size, files[0].mtime));
    backed_up.files.insert(files[1].path.clone(), (files[1].size + 1, files[1].mtime));
    backed_up.newest = Some(files[1].mtime);
    view.backed_up = Some(backed_up);
    view.dest = Some(PathBuf::from("/backup"));
    view.refresh_badges();
    let badge = |v: &BackupView, name: &str| v.grid.items().iter().find(|i| i.name == name).map(|i| i.badge);
    assert_eq!(badge(&view, "IMG_0000.jpg"), Some(Badge::BackedUp));
    assert_eq!(badge(&view, "IMG_0001.jpg"), Some(Badge::Changed));
    assert_eq!(badge(&view, "IMG_0003.jpg"), Some(Badge::New));
    assert_eq!(view.summary(), "4 photos, 4.0 kB, 3 new");
    let names = |v: &BackupView| {
        let mut n: Vec<String> =
            v.to_back_up().iter().map(|f| String::from_utf8_lossy(f.name()).into_owned()).collect();
        n.sort();
        n
    };
    assert_eq!(names(&view), ["IMG_0001.jpg", "IMG_0002.jpg", "IMG_0003.jpg"]);
    view.new_means = NewMeans::NewerThanLastBackup;
    assert_eq!(names(&view), ["IMG_0002.jpg", "IMG_0003.jpg"], "only photos newer than the last backup");
    view.grid.click(0, egui::Modifiers::NONE);
    assert_eq!(names(&view), ["IMG_0003.jpg"], "a selection narrows it");
}

#[test]
fn the_texture_cache_keeps_at_most_its_capacity_and_evicts_the_least_recently_drawn() {
    let ctx = egui::Context::default();
    let mut textures = Textures::new(3);
    let key = |n: u8| crate::thumbnails::ThumbKey { path: vec![n], size: 1, mtime: 1 };
    let image = || Ok(crate::thumbnails::Thumbnail::Image(image::RgbaImage::new(4, 4)));
    for n in 0..3 {
        textures.next_frame();
        textures.insert(&ctx, key(n), image());
    }
    textures.next_frame();
    assert!(textures.get(&key(0)).is_some(), "0 drawn again: now the most recent");
    textures.next_frame();
    textures.insert(&ctx, key(3), image());
    assert_eq!(textures.len(), 3);
    assert!(!textures.contains(&key(1)), "1, drawn longest ago, goes");
    assert!(textures.contains(&key(0)) && textures.contains(&key(2)) && textures.contains(&key(3)));
    assert_eq!(textures.uploaded(), 4);
}

#[test]
fn settings_survive_a_restart_and_a_damaged_file_gives_the_defaults() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("phonebak").join("settings.json");
    assert_eq!(Settings::load(&path), Settings::default());
    let settings = Settings {
        backup_folder: Some(PathBuf::from("/media/usb/Photos")),
        new_means: NewMeans::NewerThanLastBackup,
        thumbnail_cache_mb: 120,
        ..Settings::default()
    };
    settings.save(&path).expect("save");
    assert_eq!(Settings::load(&path), settings);
    std::fs::write(&path, b"{ not json").expect("damage");
    assert_eq!(Settings::load(&path), Settings::default());
}

#[test]
fn a_running_backup_shows_progress_and_a_cancel_button() {
    let mut view = backup_view(vec![(folder_of("Camera", 3, 1), true)]);
    view.job = Some(Job {
        doing: "Backing up",
        state: Some(crate::progress::ProgressState {
            phase: crate::progress::Phase::Pulling,
            files_done: 1,
            files_total: 3,
            bytes_done: 2_000_000,
            bytes_total: 6_000_000,
            current_file: Some(b"/storage/emulated/0/DCIM/Camera/IMG_0001.jpg".to_vec()),
            bytes_per_sec: 1_000_000.0,
            eta: Some(std::time::Duration::from_secs(4)),
        }),
        cancelling: false,
    });
    let mut harness = backup_harness(view);
    harness.run_steps(3);
    assert!(shows(&harness, "Copying from the phone: 1 of 3 files, 2.0 MB of 6.0 MB, 1.0 MB/s, about 4 s left"));
    assert!(shows(&harness, "DCIM/Camera/IMG_0001.jpg"));
    harness.get_by_role_and_label(Role::Button, "Cancel").click();
    harness.run_steps(2);
    assert_eq!(harness.state().2, Some(BackupCommand::Cancel));
}

/// A grid of the pictures `files` (name, bytes), all of one day, thumbnails made by the engine as for a phone.
fn snapshot_grid(name: &str, files: &[(String, Vec<u8>)]) {
    crate::human::set_thread_time_zone(Some(jiff::tz::TimeZone::UTC));
    let mut grid = PhotoGrid::default();
    let mut pending = Vec::new();
    let items = files
        .iter()
        .enumerate()
        .map(|(n, (file, bytes))| {
            let key =
                crate::thumbnails::ThumbKey { path: file.clone().into_bytes(), size: bytes.len() as u64, mtime: 0 };
            let head = &bytes[..bytes.len().min(crate::thumbnails::HEAD_BYTES)];
            let thumb = crate::thumbnails::from_head(head)
                .map(crate::thumbnails::Thumbnail::Image)
                .ok_or(())
                .or_else(|()| crate::thumbnails::from_file(file.as_bytes(), bytes).map_err(|_| ()))
                .expect("a thumbnail");
            let video = crate::thumbnails::PictureKind::of(file.as_bytes()) == crate::thumbnails::PictureKind::Video;
            let marks = crate::thumbnails::Marks {
                // The length as the workers find it: the job's index (MP4) or its head (Matroska).
                duration_ms: video
                    .then(|| {
                        let mut job = crate::thumbnails::video::VideoJob::new(bytes.len() as u64);
                        job.add(0, bytes.clone());
                        let _ = job.step();
                        job.marks().duration_ms
                    })
                    .flatten(),
                motion: crate::thumbnails::motion::is_motion_photo(file.as_bytes(), bytes),
            };
            pending.push((key.clone(), thumb, marks));
            GridItem {
                key,
                name: file.clone(),
                size: bytes.len() as u64,
                mtime: 1_700_000_000 + n as i64 * 60,
                taken: 1_700_000_000 + n as i64 * 60,
                video,
                group: 0,
                badge: if n % 2 == 0 { Badge::New } else { Badge::BackedUp },
            }
        })
        .collect();
    grid.set_items(items);
    grid.click(1, egui::Modifiers::NONE);
    let mut harness = Harness::builder().with_size(egui::vec2(620.0, 560.0)).build_ui_state(
        |ui,
         state: &mut (
            PhotoGrid,
            Textures,
            Vec<(crate::thumbnails::ThumbKey, crate::thumbnails::Thumbnail, crate::thumbnails::Marks)>,
        )| {
            for (key, thumb, marks) in state.2.drain(..) {
                state.1.insert_marked(ui.ctx(), key, Ok(thumb), marks);
            }
            state.0.show(ui, &mut state.1);
        },
        (grid, Textures::new(64), pending),
    );
    harness.run();
    harness.snapshot(name);
}

/// JPEGs of one upright picture stored with each EXIF orientation 1-8, in landscape and portrait, as cameras
/// write them (no embedded thumbnail: decoded from the whole file).
fn generated_orientation_photos() -> Vec<(String, Vec<u8>)> {
    use crate::thumbnails::tests::{photo, stored_for, upright_picture};
    let mut files = Vec::new();
    for (shape, (w, h)) in [("landscape", (320, 240)), ("portrait", (240, 320))] {
        let upright = upright_picture(w, h);
        for o in 1..=8u8 {
            files.push((format!("{shape}_{o}.jpg"), photo(&stored_for(&upright, o), o, None)));
        }
    }
    files
}

#[test]
fn snapshot_the_grid_shows_photos_of_every_exif_orientation_upright() {
    // Every tile shows the same picture: white stripe left, red top left, green top right, blue bottom.
    snapshot_grid("grid_generated_orientations", &generated_orientation_photos());
}

#[test]
fn snapshot_the_grid_shows_the_real_orientation_fixtures_upright() {
    let Some(dir) = crate::thumbnails::tests::fixtures() else {
        eprintln!("skipped: the shared fixtures are not beside the project");
        return;
    };
    let mut files = Vec::new();
    for shape in ["landscape", "portrait"] {
        for o in 1..=8 {
            let name = format!("{shape}_{o}.jpg");
            files.push((name.clone(), std::fs::read(dir.join("orientation").join(&name)).expect("fixture")));
        }
    }
    snapshot_grid("grid_orientation_fixtures", &files);
}

#[test]
fn snapshot_the_grid_shows_heic_avif_videos_raw_and_motion_photos_as_pictures_upright() {
    use crate::thumbnails::tests::heif_encode::{self, Codec};
    use crate::thumbnails::tests::{stored_for, upright_picture};
    use crate::thumbnails::video::tests::make_video;
    let dir = tempfile::tempdir().expect("dir");
    let upright = upright_picture(320, 240);
    let portrait = upright_picture(240, 320);
    let h264: &[&str] = &["-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac"];
    let mut turned = make_video(dir.path(), "turned.mp4", &stored_for(&portrait, 6), 2, h264, &[]);
    crate::thumbnails::video::tests::turn_a_quarter(&mut turned);
    let files = vec![
        ("IMG_0001.heic".to_string(), heif_encode::encode(&upright, Codec::Hevc, 60)),
        (
            "IMG_0002.heic".to_string(),
            heif_encode::with_transforms(
                &heif_encode::encode(&stored_for(&portrait, 6), Codec::Hevc, 60),
                &crate::thumbnails::tests::heif_transforms(6),
            ),
        ),
        ("IMG_0003.avif".to_string(), heif_encode::encode(&upright, Codec::Av1, 60)),
        ("VID_0004.mp4".to_string(), make_video(dir.path(), "VID_0004.mp4", &upright, 7, h264, &[])),
        ("VID_0005.mp4".to_string(), turned),
        (
            "RAW_0007.dng".to_string(),
            crate::thumbnails::dng::tests::dng_writer::dng(&stored_for(&upright, 6), 6, 100_000, true).0,
        ),
        ("PXL_20231114_103000123.MP.jpg".to_string(), {
            let mut jpeg = Vec::new();
            image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 90).encode_image(&upright).expect("jpeg");
            jpeg.extend_from_slice(&make_video(dir.path(), "motion.mp4", &upright, 1, h264, &[]));
            jpeg
        }),
        (
            "VID_0006.webm".to_string(),
            make_video(
                dir.path(),
                "VID_0006.webm",
                &upright,
                2,
                &["-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8", "-c:a", "libopus"],
                &[],
            ),
        ),
    ];
    // Every tile shows the same picture upright (white stripe left, red top left, green top right, blue bottom);
    // the videos with their length, the motion photo with its mark.
    snapshot_grid("grid_heic_avif_videos_raw_motion", &files);
}

#[test]
fn the_log_view_shows_what_was_logged_and_closes() {
    let _turn = crate::logbook::TEST_TURN.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    crate::logbook::record("2026-11-24T03:00:00Z  INFO phonebak: backup finished copied=3 unique-marker-41\n");
    let mut harness = Harness::new_ui_state(
        |ui, closed: &mut bool| {
            if log_ui(ui) {
                *closed = true;
            }
        },
        false,
    );
    harness.run_steps(2);
    assert!(shows(&harness, "unique-marker-41"), "the logged line is not shown");
    harness.get_by_role_and_label(Role::Button, "Close log").click();
    harness.run_steps(2);
    assert!(*harness.state());
}

#[test]
fn settings_change_what_new_means_and_ask_for_the_folder_dialog() {
    let mut harness = Harness::new_ui_state(
        |ui, state: &mut (Settings, Vec<SettingsCommand>)| {
            if let Some(c) = settings_ui(
                ui,
                &mut state.0,
                None,
                Some(12_000_000),
                &mut PairForm::default(),
                &AutomaticChoices::default(),
            ) {
                state.1.push(c);
            }
        },
        (Settings::default(), Vec::new()),
    );
    harness.run();
    assert!(shows(&harness, "(not chosen yet)"));
    assert!(shows(&harness, "In use: 12.0 MB"));
    harness.get_by_role_and_label(Role::RadioButton, NewMeans::NewerThanLastBackup.describe()).click();
    harness.run();
    assert_eq!(harness.state().0.new_means, NewMeans::NewerThanLastBackup);
    harness.get_by_role_and_label(Role::Button, "Change…").click();
    harness.run();
    harness.get_by_role_and_label(Role::Button, "Empty the thumbnail cache").click();
    harness.run();
    assert_eq!(
        harness.state().1,
        [SettingsCommand::Changed, SettingsCommand::ChooseBackupFolder, SettingsCommand::ClearCache]
    );
}

#[test]
fn settings_turn_automatic_backup_on_and_off_list_wifi_phones_with_forget_and_pairing_takes_the_typed_address() {
    let settings = Settings {
        automatic: vec![crate::settings::AutomaticBackup {
            phone_serial: "1A2B3C".into(),
            model: "Pixel 7".into(),
            backup_folder: PathBuf::from("/media/usb/Photos"),
            folders: vec!["Camera".into(), "Screenshots".into()],
        }],
        wifi: vec![crate::settings::WifiPhone {
            phone_serial: "9Z8Y7X".into(),
            model: "Galaxy S23".into(),
            address: "192.168.1.23:5555".into(),
        }],
        ..Settings::default()
    };
    let choices = AutomaticChoices {
        connected: vec![("1A2B3C".into(), "Pixel 7".into()), ("5E6F7G".into(), "Pixel 8".into())],
        said: None,
        folder: Some(PathBuf::from("/media/usb/Photos")),
    };
    let mut harness = Harness::new_ui_state(
        move |ui, state: &mut (Settings, PairForm, Vec<SettingsCommand>)| {
            if let Some(c) = settings_ui(ui, &mut state.0, None, None, &mut state.1, &choices) {
                state.2.push(c);
            }
        },
        (settings, PairForm::default(), Vec::new()),
    );
    harness.run();
    assert!(shows(&harness, "Camera, Screenshots, into /media/usb/Photos"));
    assert!(shows(&harness, "Galaxy S23 (9Z8Y7X) at 192.168.1.23:5555"));
    // A marked phone is ticked once (not again as a connected phone); a connected one can be turned on.
    let marked = "Back up Pixel 7 (1A2B3C) automatically when it connects";
    assert_eq!(harness.query_all_by_label(marked).count(), 1);
    harness.get_by_role_and_label(Role::CheckBox, "Back up Pixel 8 (5E6F7G) automatically when it connects").click();
    harness.run();
    harness.get_by_role_and_label(Role::CheckBox, marked).click();
    harness.run();
    harness.get_by_role_and_label(Role::Button, "Forget Galaxy S23").click();
    harness.run();
    harness.state_mut().1.address = "192.168.1.23:37099".into();
    harness.state_mut().1.code = "482913".into();
    harness.run();
    harness.get_by_role_and_label(Role::Button, "Pair").click();
    harness.run();
    assert_eq!(
        harness.state().2,
        [
            SettingsCommand::StartAutomatic("5E6F7G".into(), "Pixel 8".into()),
            SettingsCommand::StopAutomatic("1A2B3C".into()),
            SettingsCommand::ForgetWifi("9Z8Y7X".into()),
            SettingsCommand::Pair
        ]
    );
    // What adb said is shown, a refusal as an error.
    harness.state_mut().1.said = Some(Err(crate::device::PAIR_UNSUPPORTED.to_string()));
    harness.run();
    assert!(shows(&harness, crate::device::PAIR_UNSUPPORTED));
}

#[test]
fn the_unlock_prompt_offers_to_remember_the_password_and_carries_the_choice() {
    let prompt = PasswordPrompt::new(PasswordFor::Unlock { dir: PathBuf::from("/media/usb/Photos"), restore: false });
    let mut harness = Harness::new_ui_state(
        |ui, state: &mut (PasswordPrompt, Vec<PasswordCommand>)| {
            if let Some(c) = password_ui(ui.ctx(), &mut state.0) {
                state.1.push(c);
            }
        },
        (prompt, Vec::new()),
    );
    harness.run_steps(4);
    assert!(!harness.state().0.remember, "remembering is the person's choice");
    harness.get_by_role_and_label(Role::CheckBox, password::REMEMBER).click();
    harness.run_steps(2);
    harness.get_by_role_and_label(Role::PasswordInput, "Password").type_text("the folder's password");
    harness.run_steps(2);
    harness.get_by_role_and_label(Role::Button, "Unlock").click();
    harness.run_steps(2);
    assert!(harness.state().0.remember);
    assert_eq!(harness.state().1, [PasswordCommand::Submit]);
}

#[test]
fn the_remember_checkbox_is_offered_for_the_backup_folder_and_a_new_one_not_for_a_folder_to_restore_from() {
    for (purpose, offered) in [
        (PasswordFor::Unlock { dir: PathBuf::from("/media/usb/Photos"), restore: false }, true),
        (PasswordFor::Create { dir: PathBuf::from("/media/usb/New") }, true),
        (PasswordFor::Unlock { dir: PathBuf::from("/media/usb/Photos"), restore: true }, false),
    ] {
        let mut harness = Harness::new_ui_state(
            |ui, prompt: &mut PasswordPrompt| {
                let _ = password_ui(ui.ctx(), prompt);
            },
            PasswordPrompt::new(purpose.clone()),
        );
        harness.run_steps(4);
        let shown = harness.query_by_role_and_label(Role::CheckBox, password::REMEMBER).is_some();
        assert_eq!(shown, offered, "{purpose:?}");
        if offered {
            harness.get_by_role_and_label(Role::CheckBox, password::REMEMBER).click();
            harness.run_steps(2);
            assert!(harness.state().remember, "{purpose:?}");
        }
    }
}

/// A proven phone file of `size` bytes in the camera folder, dated `mtime`, with its manifest entry.
fn proven_file(name: &str, size: u64, mtime: i64) -> (crate::scan::MediaFile, crate::backup::manifest::ManifestEntry) {
    use crate::backup::manifest::{Bytes, ManifestEntry};
    let file = camera_file(name, size, mtime);
    let entry = ManifestEntry {
        phone_path: Bytes(file.path.clone()),
        local_path: Bytes(format!("Pixel 7 (P7)/DCIM/Camera/{name}").into_bytes()),
        size,
        mtime,
        // Each photo its own content (the same content would make them duplicates).
        sha256: crate::backup::manifest::hex(&<sha2::Sha256 as sha2::Digest>::digest(name.as_bytes())),
        backed_up_at: mtime + 60,
    };
    (file, entry)
}

fn camera_file(name: &str, size: u64, mtime: i64) -> crate::scan::MediaFile {
    crate::scan::MediaFile {
        path: format!("/storage/emulated/0/DCIM/Camera/{name}").into_bytes(),
        size,
        mtime,
        kind: crate::scan::MediaKind::Photo,
    }
}

/// A free-up screen of phone "Pixel 7" against `/home/you/Phone backups`, proven: `proven` (name, size, date)
/// and two kept photos (one edited on the phone, one not backed up). Dates in UTC.
fn freeup_view(proven: &[(&str, u64, i64)]) -> FreeUpView {
    crate::human::set_thread_time_zone(Some(jiff::tz::TimeZone::UTC));
    let mut view = FreeUpView::new("P7".into(), "P7".into(), PathBuf::from("/home/you/Phone backups"));
    let kept = vec![
        (
            camera_file("IMG_edited.jpg", 2_000_000, 1_710_000_000),
            crate::freeup::Kept::ChangedOnPhone {
                what: "2000000 bytes dated 1710000000 now, 1900000 bytes dated 1700000000 in the backup".into(),
            },
        ),
        (camera_file("IMG_new.jpg", 1_000_000, 1_720_000_000), crate::freeup::Kept::NotBackedUp),
    ];
    let proven = proven.iter().map(|&(name, size, mtime)| proven_file(name, size, mtime)).collect();
    view.set_proof(Proved { proof: crate::freeup::Proof { proven, kept }, model: "Pixel 7".into(), sdk: 34 });
    view
}

type FreeUpState =
    (FreeUpView, Textures, Option<FreeUpCommand>, Vec<(crate::thumbnails::ThumbKey, crate::thumbnails::Thumbnail)>);

fn freeup_harness(view: FreeUpView) -> Harness<'static, FreeUpState> {
    Harness::builder().with_size(egui::vec2(900.0, 620.0)).build_ui_state(
        |ui, state: &mut FreeUpState| {
            for (key, thumb) in state.3.drain(..) {
                state.1.insert(ui.ctx(), key, Ok(thumb));
            }
            if let Some(c) = freeup_ui(ui, &mut state.0, &mut state.1) {
                state.2 = Some(c);
            }
        },
        (view, Textures::new(50), None, Vec::new()),
    )
}

#[test]
fn the_free_up_screen_says_what_can_go_and_its_remove_button_follows_the_ticks() {
    let view = freeup_view(&[("a.jpg", 1_000_000, 1_700_000_000), ("b.jpg", 500_000, 1_700_000_060)]);
    assert_eq!(view.grid.selected_count(), 2, "every proven photo ticked");
    let mut harness = freeup_harness(view);
    harness.run();
    assert!(shows(&harness, "2 photos and videos (1.5 MB) are safe in the backup and can be removed from the phone"));
    assert!(shows(&harness, "2 are kept on the phone"));
    harness.get_by_role_and_label(Role::Button, "Remove 2 photos from the phone (1.5 MB)").click();
    harness.run();
    assert_eq!(harness.state().2, Some(FreeUpCommand::AskRemove));
    harness.get_by_role_and_label(Role::ListBoxOption, "a.jpg").click_modifiers(egui::Modifiers::COMMAND);
    harness.run();
    assert!(harness.query_by_role_and_label(Role::Button, "Remove 1 photo from the phone (500.0 kB)").is_some());
    harness.get_by_role_and_label(Role::ListBoxOption, "b.jpg").click_modifiers(egui::Modifiers::COMMAND);
    harness.run();
    let none = harness.get_by_role_and_label(Role::Button, "Remove 0 photos from the phone (0 B)");
    assert!(egui_kittest::kittest::NodeT::accesskit_node(&none).is_disabled(), "Remove is offered with nothing ticked");
}

#[test]
fn duplicates_are_counted_and_tick_only_the_duplicates_ticks_the_extra_copies_not_the_dcim_one() {
    let mut view = FreeUpView::new("P7".into(), "P7".into(), PathBuf::from("/home/you/Phone backups"));
    let mut proven = vec![proven_file("IMG_1.jpg", 1_000_000, 1_700_000_000), proven_file("b.jpg", 10, 1_700_000_000)];
    let mut copy = proven_file("IMG_1.jpg", 1_000_000, 1_700_000_500);
    copy.0.path = b"/storage/emulated/0/Download/IMG_1 (1).jpg".to_vec();
    proven.push(copy);
    view.set_proof(Proved {
        proof: crate::freeup::Proof { proven, kept: Vec::new() },
        model: "Pixel 7".into(),
        sdk: 34,
    });
    let mut harness = freeup_harness(view);
    harness.run();
    assert!(shows(&harness, "1 duplicate (1.0 MB): the same photo or video under another name on the phone"));
    harness.get_by_role_and_label(Role::Button, "Tick only the duplicates").click();
    harness.run();
    assert_eq!(harness.state().2, Some(FreeUpCommand::OnlyDuplicates));
    harness.state_mut().0.tick_only_duplicates();
    harness.run();
    let ticked: Vec<Vec<u8>> = harness.state().0.grid.selected_items().map(|i| i.key.path.clone()).collect();
    assert_eq!(ticked, [b"/storage/emulated/0/Download/IMG_1 (1).jpg".to_vec()]);
    assert!(harness.query_by_role_and_label(Role::Button, "Remove 1 photo from the phone (1.0 MB)").is_some());
}

#[test]
fn the_confirmation_names_the_phone_and_the_backup_folder_they_stay_in_and_cancel_or_remove() {
    let mut view = freeup_view(&[("a.jpg", 1_000_000, 1_700_000_000), ("b.jpg", 500_000, 1_700_000_060)]);
    view.confirm = Some(Confirm { files: 2, bytes: 1_500_000, disposal: crate::freeup::Disposal::Permanent });
    let mut harness = freeup_harness(view);
    harness.run();
    assert!(shows(
        &harness,
        "2 photos and videos (1.5 MB) will be removed from Pixel 7. They stay in the backup folder /home/you/Phone \
         backups."
    ));
    harness.get_by_role_and_label(Role::Button, "Cancel").click();
    harness.run();
    assert_eq!(harness.state().2, Some(FreeUpCommand::CancelRemove));
    harness.get_by_role_and_label(Role::Button, "Remove").click();
    harness.run();
    assert_eq!(harness.state().2, Some(FreeUpCommand::Remove));
}

#[test]
fn on_android_11_and_later_the_confirmation_offers_the_phones_trash_first_and_a_refused_trash_offers_permanent() {
    let mut view = freeup_view(&[("a.jpg", 1_000_000, 1_700_000_000), ("b.jpg", 500_000, 1_700_000_060)]);
    assert_eq!(view.default_disposal(), crate::freeup::Disposal::Trash, "Android 14 has a trash");
    view.confirm = Some(Confirm { files: 2, bytes: 1_500_000, disposal: view.default_disposal() });
    let mut harness = freeup_harness(view);
    harness.run();
    assert!(shows(&harness, "They go to the phone's trash first, where the phone keeps them 30 days."));
    harness.get_by_label("Remove permanently").click();
    harness.run();
    let chosen = harness.state().0.confirm.as_ref().map(|c| c.disposal);
    assert_eq!(chosen, Some(crate::freeup::Disposal::Permanent));
    assert!(shows(&harness, "They are deleted from the phone at once."));

    // Android 10: no trash, no choice.
    let mut view = freeup_view(&[("a.jpg", 1_000_000, 1_700_000_000)]);
    view.sdk = 29;
    assert_eq!(view.default_disposal(), crate::freeup::Disposal::Permanent);
    view.confirm = Some(Confirm { files: 1, bytes: 1_000_000, disposal: view.default_disposal() });
    let mut harness = freeup_harness(view);
    harness.run();
    assert!(shows(&harness, "has no trash: they are removed permanently"));
    assert!(harness.query_by_label("Move to the phone's trash (kept 30 days)").is_none());

    // The phone refuses the shell its trash: said in words, with permanent removal offered.
    let mut view = freeup_view(&[("a.jpg", 1_000_000, 1_700_000_000)]);
    view.set_removal(Err(crate::gui::FreeUpFailure {
        said: "java.lang.SecurityException: Permission Denial".into(),
        trash_refused: true,
        so_far: None,
    }));
    let mut harness = freeup_harness(view);
    harness.run();
    assert!(shows(&harness, "Pixel 7 would not move them to its trash from the shell (java.lang.SecurityException"));
    harness.get_by_role_and_label(Role::Button, "Remove permanently instead…").click();
    harness.run();
    assert_eq!(harness.state().2, Some(FreeUpCommand::AskPermanent));
}

#[test]
fn the_report_says_what_was_removed_lists_what_was_not_with_why_and_the_gallery_problem() {
    let mut view = freeup_view(&[("a.jpg", 1_000_000, 1_700_000_000), ("b.jpg", 500_000, 1_700_000_060)]);
    let (a, b) = (view.proven[0].clone(), view.proven[1].clone());
    view.set_removal(Ok(crate::freeup::Removal {
        disposal: crate::freeup::Disposal::Permanent,
        removed: vec![a.clone()],
        failed: vec![(b.0.clone(), "rm: /storage/emulated/0/DCIM/Camera/b.jpg: Permission denied".into())],
        gallery_problem: Some("Error: the media provider is busy".into()),
    }));
    assert_eq!(view.grid.items().len(), 1, "the removed photo left the grid");
    assert!(view.removed.contains(&a.0.path));
    let mut harness = freeup_harness(view);
    harness.run();
    assert!(shows(
        &harness,
        "Removed 1 photos and videos (1.0 MB) from Pixel 7; they stay in /home/you/Phone backups. 1 could not be \
         removed"
    ));
    assert!(shows(&harness, "Not removed: /storage/emulated/0/DCIM/Camera/b.jpg: rm: "));
    assert!(shows(&harness, "Permission denied"));
    assert!(shows(&harness, "The phone's gallery may show them until it scans again: Error: the media provider"));
    harness.get_by_role_and_label(Role::Button, "Done").click();
    harness.run();
    assert_eq!(harness.state().2, Some(FreeUpCommand::Done));
}

#[test]
fn a_free_up_that_could_not_prove_or_remove_says_why_in_words() {
    let mut view = FreeUpView::new("Pixel 7".into(), "P7".into(), PathBuf::from("/backup"));
    view.proving = None;
    view.error = Some(
        crate::freeup::FreeUpError::ManifestRefused {
            manifest: PathBuf::from("/backup/.phonebak/manifest-P7.json"),
            why: "the entry for /data/x is not in the phone's shared storage".into(),
        }
        .to_string(),
    );
    let mut harness = freeup_harness(view);
    harness.run();
    assert!(shows(&harness, "fails its checks (the entry for /data/x"));
    assert!(shows(&harness, "nothing is removed from the phone"));
    assert!(harness.query_all_by_label_contains("Remove ").next().is_none(), "Remove offered without a proof");

    let mut view = freeup_view(&[("a.jpg", 1_000, 1_700_000_000)]);
    view.set_removal(Err(crate::gui::FreeUpFailure {
        said: crate::freeup::FreeUpError::Journal {
            path: PathBuf::from("/backup/.phonebak/freed-P7.jsonl"),
            source: std::io::Error::from(std::io::ErrorKind::ReadOnlyFilesystem),
        }
        .to_string(),
        trash_refused: false,
        so_far: None,
    }));
    let mut harness = freeup_harness(view);
    harness.run();
    assert!(shows(
        &harness,
        "The free-up stopped: Could not write the free-up journal /backup/.phonebak/freed-P7.jsonl"
    ));
    assert!(shows(&harness, "Check that the backup disk is connected and writable."));
}

#[test]
fn only_older_than_shows_the_older_proven_photos_and_keeps_what_was_unticked() {
    let day = 86_400;
    let now = 1_800_000_000;
    let mut view = freeup_view(&[
        ("old.jpg", 10, now - 40 * day),
        ("older.jpg", 10, now - 90 * day),
        ("recent.jpg", 10, now - day),
    ]);
    view.grid
        .click(view.grid.items().iter().position(|i| i.name == "older.jpg").expect("older"), egui::Modifiers::COMMAND);
    view.older_than = Some(30);
    view.refresh_grid(now);
    let names = |v: &FreeUpView| {
        let mut n: Vec<(String, bool)> =
            v.grid.items().iter().enumerate().map(|(n, i)| (i.name.clone(), v.grid.is_selected(n))).collect();
        n.sort();
        n
    };
    assert_eq!(names(&view), [("old.jpg".to_string(), true), ("older.jpg".to_string(), false)]);
    view.older_than = None;
    view.refresh_grid(now);
    assert_eq!(
        names(&view),
        [("old.jpg".to_string(), true), ("older.jpg".to_string(), false), ("recent.jpg".to_string(), true)],
        "shown again: ticked; unticked before: still unticked"
    );
    let mut harness = freeup_harness(view);
    harness.run();
    harness.get_by_role_and_label(Role::CheckBox, "Only older than").click();
    harness.run();
    assert_eq!(harness.state().2, Some(FreeUpCommand::FilterChanged));
    assert_eq!(harness.state().0.older_than, Some(30));
}

#[test]
fn free_up_is_offered_only_for_a_backup_folder_that_holds_this_phone_and_is_unlocked() {
    let mut view = backup_view(vec![(folder_of("Camera", 2, 1), true)]);
    view.dest = Some(PathBuf::from("/backup"));
    let offered = |view: BackupView| {
        let mut harness = backup_harness(view);
        harness.run();
        harness.query_by_role_and_label(Role::Button, "Free up space…").is_some()
    };
    view.backed_up = Some(BackedUp::default());
    assert!(!view.offers_free_up(), "offered for a folder without this phone's backup");
    let file = &view.folders[0].0.files[0];
    let mut backed_up = BackedUp::default();
    backed_up.files.insert(file.path.clone(), (file.size, file.mtime));
    view.backed_up = Some(backed_up.clone());
    assert!(offered(view));
    let mut locked = backup_view(vec![(folder_of("Camera", 2, 1), true)]);
    locked.dest = Some(PathBuf::from("/backup"));
    locked.encrypted = true;
    locked.locked = true;
    assert!(!offered(locked), "offered for a locked encrypted folder");
    let mut clicked = backup_view(vec![(folder_of("Camera", 2, 1), true)]);
    clicked.dest = Some(PathBuf::from("/backup"));
    clicked.backed_up = Some(backed_up);
    let mut harness = backup_harness(clicked);
    harness.run();
    harness.get_by_role_and_label(Role::Button, "Free up space…").click();
    harness.run();
    assert_eq!(harness.state().2, Some(BackupCommand::FreeUp));
}

#[test]
fn snapshot_the_free_up_screen_shows_the_proven_photos_ticked_and_the_kept_ones_with_reasons() {
    let photos: Vec<(String, Vec<u8>)> = generated_orientation_photos().into_iter().take(6).collect();
    let files: Vec<(&str, u64, i64)> = photos
        .iter()
        .enumerate()
        .map(|(n, (name, bytes))| (name.as_str(), bytes.len() as u64, 1_700_000_000 + n as i64 * 60))
        .collect();
    let view = freeup_view(&files);
    let thumbs = view
        .grid
        .items()
        .iter()
        .map(|item| {
            let bytes = &photos.iter().find(|(n, _)| *n == item.name).expect("photo").1;
            (item.key.clone(), crate::thumbnails::from_file(item.name.as_bytes(), bytes).expect("a thumbnail"))
        })
        .collect();
    let mut harness = freeup_harness(view);
    harness.state_mut().3 = thumbs;
    harness.run();
    harness.get_by_label_contains("2 are kept on the phone").click();
    harness.run();
    harness.get_by_role_and_label(Role::ListBoxOption, "landscape_2.jpg").click_modifiers(egui::Modifiers::COMMAND);
    harness.run();
    assert!(shows(&harness, "IMG_new.jpg: not in the backup"));
    harness.snapshot("freeup_screen");
}

fn is_disabled<S>(harness: &Harness<'_, S>, role: Role, label: &str) -> bool {
    egui_kittest::kittest::NodeT::accesskit_node(&harness.get_by_role_and_label(role, label)).is_disabled()
}

fn is_ticked<S>(harness: &Harness<'_, S>, label: &str) -> bool {
    let node = harness.get_by_role_and_label(Role::CheckBox, label);
    egui_kittest::kittest::NodeT::accesskit_node(&node).toggled() == Some(eframe::egui::accesskit::Toggled::True)
}

#[test]
fn the_data_type_choice_shows_the_gallerys_totals_and_the_contacts_count_and_contacts_alone_can_be_backed_up() {
    let mut view = backup_view(vec![
        (folder("Camera", 312, 4, 1_200_000_000), true),
        (folder("Screenshots", 40, 0, 30_000_000), false),
    ]);
    view.dest = Some(PathBuf::from("/backup"));
    view.backed_up = Some(BackedUp::default());
    let mut harness = backup_harness(view);
    // While the contacts are read: counting, ticked (the job reads them anyway).
    harness.run_steps(3);
    assert!(shows(&harness, "Contacts: counting…"));
    assert!(is_ticked(&harness, "Contacts: counting…"));
    harness.state_mut().0.data.set_count(ExtraKind::Contacts, Ok(Counted::items(20)));
    harness.run();
    // Every folder the scan found, ticked or not.
    assert!(is_ticked(&harness, "Photos and videos: 352 photos, 4 videos, 1.2 GB"));
    assert!(is_ticked(&harness, "Contacts: 20"), "contacts are ticked by default");
    assert_eq!(
        harness.state().0.data.extras_to_save().iter().map(|e| e.kind).collect::<Vec<_>>(),
        [ExtraKind::Contacts, ExtraKind::Messages],
        "contacts and messages are ticked by default, WhatsApp is not"
    );

    // Photos unticked: the backup is about the contacts alone, and still offered.
    harness.get_by_role_and_label(Role::CheckBox, "Photos and videos: 352 photos, 4 videos, 1.2 GB").click();
    harness.run();
    assert_eq!(harness.state().2, Some(BackupCommand::DataChanged));
    assert!(harness.state().0.photos_to_copy().is_empty(), "photos copied with Photos and videos unticked");
    assert!(!is_disabled(&harness, Role::Button, "Back up"), "contacts alone cannot be backed up");
    harness.get_by_role_and_label(Role::CheckBox, "Contacts: 20").click();
    harness.run();
    harness.get_by_role_and_label(Role::CheckBox, "Messages: counting…").click();
    harness.run();
    assert!(harness.state().0.data.extras_to_save().is_empty());
    assert!(is_disabled(&harness, Role::Button, "Back up"), "Back up offered with nothing ticked");
    assert!(shows(&harness, "Everything chosen is backed up."));

    // A count arriving again leaves the person's choice alone.
    harness.state_mut().0.data.set_count(ExtraKind::Contacts, Ok(Counted::items(21)));
    harness.run();
    assert!(!is_ticked(&harness, "Contacts: 21"));
}

#[test]
fn a_phone_that_refuses_its_contacts_shows_why_and_the_contacts_cannot_be_ticked() {
    let mut view = backup_view(vec![(folder("Camera", 3, 0, 3_000), true)]);
    let why = "Contacts: the phone refused (The phone (Android 14 (SDK 34)) does not let phonebak read \
               content://com.android.contacts/raw_contacts)";
    view.data.set_count(ExtraKind::Contacts, Err(why.to_string()));
    let mut harness = backup_harness(view);
    harness.run();
    assert!(shows(&harness, why), "the refusal is not shown");
    assert!(is_disabled(&harness, Role::CheckBox, "Contacts"), "a refused kind can be ticked");
    assert!(!is_ticked(&harness, "Contacts"));
    assert!(harness.state().0.data.extras_to_save().iter().all(|e| e.kind != ExtraKind::Contacts));
    // A phone with no contacts: unticked, nothing to save.
    let mut none = DataChoice::default();
    none.set_count(ExtraKind::Contacts, Ok(Counted::items(0)));
    assert!(none.extras_to_save().iter().all(|e| e.kind != ExtraKind::Contacts), "an empty address book is saved");
}

/// Three contacts as a backup's vCard gives them: one with a number, one with only an email, one with a
/// number and a name that spans lines.
fn three_contacts() -> PhoneContacts {
    let vcf = "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Anna Schmidt\r\nN:Schmidt;Anna;;;\r\nTEL;TYPE=CELL:+49 151 23456789\r\n\
               TEL;TYPE=WORK:+49 30 1234567\r\nEND:VCARD\r\n\
               BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Bob\r\nN:;Bob;;;\r\nEMAIL:bob@example.com\r\nEND:VCARD\r\n\
               BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Line\\none\r\nN:;Line;;;\r\nTEL:555\r\nEND:VCARD\r\n";
    let contacts = crate::contacts::vcard::read_vcards(vcf.as_bytes()).expect("vCard");
    PhoneContacts {
        folder: "Pixel 7 (2A091FDH)".to_string(),
        file: PathBuf::from("/backup/Pixel 7 (2A091FDH)/Contacts/contacts.vcf"),
        contacts: Ok(contacts),
    }
}

type ContactsState = (ContactList, Option<String>, Option<ContactsCommand>);

fn contacts_harness(list: ContactList, target: Option<&str>) -> Harness<'static, ContactsState> {
    Harness::builder().with_size(egui::vec2(400.0, 500.0)).build_ui_state(
        |ui, state: &mut ContactsState| {
            if let Some(c) = contacts_ui(ui, &mut state.0, state.1.as_deref()) {
                state.2 = Some(c);
            }
        },
        (list, target.map(str::to_string), None),
    )
}

#[test]
fn the_restore_screens_contacts_list_names_each_contact_with_its_first_number_and_the_button_follows_the_ticks() {
    let found = three_contacts();
    assert!(found.of("2A091FDH") && !found.of("091FDH2A"));
    let mut harness = contacts_harness(ContactList::of(&found), Some("Pixel 8"));
    harness.run();
    assert!(shows(&harness, "Contacts in the backup (3)"));
    // Name and first number, else the first email; one line each.
    for label in ["Anna Schmidt: +49 151 23456789", "Bob: bob@example.com", "Line one: 555"] {
        assert!(is_ticked(&harness, label), "{label}: not listed, or not ticked at first");
    }
    assert!(harness.query_by_role_and_label(Role::Button, "Put back 3 contacts").is_some());

    harness.get_by_role_and_label(Role::Button, "None").click();
    harness.run();
    assert!(is_disabled(&harness, Role::Button, "Put back 0 contacts"), "nothing ticked, the button is offered");
    harness.get_by_role_and_label(Role::CheckBox, "Bob: bob@example.com").click();
    harness.run();
    assert!(harness.query_by_role_and_label(Role::Button, "Put back 1 contact").is_some());
    assert_eq!(harness.state().0.ticked_contacts().len(), 1);
    assert_eq!(harness.state().0.ticked_contacts()[0].shown_name(), "Bob");
    harness.get_by_role_and_label(Role::Button, "Put back 1 contact").click();
    harness.run();
    assert_eq!(harness.state().2, Some(ContactsCommand::PutBack));

    harness.get_by_role_and_label(Role::Button, "All").click();
    harness.run();
    assert!(harness.query_by_role_and_label(Role::Button, "Put back 3 contacts").is_some());
    // The report, once done.
    harness.state_mut().0.said = Some(Ok("Added 2 contacts; 1 was already on the phone.".to_string()));
    harness.run();
    assert!(shows(&harness, "Added 2 contacts; 1 was already on the phone."));

    // No phone chosen: the button waits, and says what to do.
    let mut no_target = contacts_harness(ContactList::of(&found), None);
    no_target.run();
    assert!(is_disabled(&no_target, Role::Button, "Put back 3 contacts"));
    assert!(shows(&no_target, "Choose the phone to put them on"));
}

#[test]
fn the_restore_screen_shows_the_contacts_of_the_phone_shown_and_a_damaged_file_says_so() {
    let mut view = RestoreView::default();
    let mut other = three_contacts();
    other.folder = "Galaxy (R58M1)".to_string();
    other.contacts = Err("/backup/Galaxy (R58M1)/Contacts/contacts.vcf is damaged (no END:VCARD).".to_string());
    // No photos of any phone: the first phone's contacts.
    view.set_contact_files(vec![other, three_contacts()]);
    let list = view.contacts.as_ref().expect("a contacts list");
    assert_eq!(list.folder, "Galaxy (R58M1)");
    let mut harness = contacts_harness(list.clone(), Some("Pixel 8"));
    harness.run();
    assert!(shows(&harness, "is damaged (no END:VCARD)."));
    assert!(harness.query_by_role_and_label(Role::Button, "Put back 0 contacts").is_none(), "a button for nothing");
}

#[test]
fn an_encrypted_backup_folder_keeps_every_kind_and_says_no_kind_is_left_out() {
    let mut view = backup_view(vec![(folder("Camera", 3, 0, 3_000), true)]);
    view.encrypted = true;
    view.data.set_count(ExtraKind::Contacts, Ok(Counted::items(20)));
    view.data.set_count(ExtraKind::Messages, Ok(Counted { items: 57, bytes: None, groups: Some(6) }));
    view.data.set_count(ExtraKind::WhatsApp, Ok(Counted { items: 14, bytes: Some(3_200_000), groups: None }));
    let mut harness = backup_harness(view);
    harness.run();
    harness.get_by_role_and_label(Role::CheckBox, "WhatsApp: 14 files, 3.2 MB").click();
    harness.run();
    assert!(is_ticked(&harness, "Contacts: 20") && is_ticked(&harness, "Messages: 57 messages in 6 conversations"));
    assert!(is_ticked(&harness, "WhatsApp: 14 files, 3.2 MB"));
    assert!(!shows(&harness, "not kept"), "a kind said to be left out of an encrypted folder");
}

#[test]
fn the_messages_and_whatsapp_entries_show_their_counts_and_whatsapp_is_unticked_with_its_note() {
    let mut view = backup_view(vec![(folder("Camera", 3, 0, 3_000), true)]);
    view.dest = Some(PathBuf::from("/backup"));
    view.backed_up = Some(BackedUp::default());
    let mut harness = backup_harness(view);
    harness.run_steps(3);
    assert!(shows(&harness, "Messages: counting…") && shows(&harness, "WhatsApp: counting…"));
    assert!(is_ticked(&harness, "Messages: counting…"), "messages are ticked by default");
    assert!(!is_ticked(&harness, "WhatsApp: counting…"), "WhatsApp is ticked by default");
    harness.state_mut().0.data.set_count(ExtraKind::Messages, Ok(Counted { items: 57, bytes: None, groups: Some(6) }));
    let whatsapp = Counted { items: 14, bytes: Some(3_200_000), groups: None };
    harness.state_mut().0.data.set_count(ExtraKind::WhatsApp, Ok(whatsapp));
    harness.run();
    assert!(is_ticked(&harness, "Messages: 57 messages in 6 conversations"));
    assert!(!is_ticked(&harness, "WhatsApp: 14 files, 3.2 MB"));
    assert!(shows(&harness, crate::whatsapp::NOT_DECRYPTED), "the note on WhatsApp's encryption is not shown");
    harness.get_by_role_and_label(Role::CheckBox, "WhatsApp: 14 files, 3.2 MB").click();
    harness.run();
    let kinds: Vec<ExtraKind> = harness.state().0.data.extras_to_save().iter().map(|e| e.kind).collect();
    assert_eq!(kinds, [ExtraKind::Contacts, ExtraKind::Messages, ExtraKind::WhatsApp]);
    assert!(matches!(super::datatypes::extra(ExtraKind::WhatsApp).map(|e| e.save), Some(Save::WithPhotos(_))));

    // One message in one conversation, and a phone that refuses its messages: the refusal is its sentence.
    let mut one = DataChoice::default();
    one.set_count(ExtraKind::Messages, Ok(Counted { items: 1, bytes: None, groups: Some(1) }));
    let messages = super::datatypes::extra(ExtraKind::Messages).expect("the Messages entry");
    assert_eq!(super::datatypes::extra_label(messages, &one.extras[1].count), "Messages: 1 message in 1 conversation");
    let why = "Messages: the phone refused (The phone (Android 14 (SDK 34)) does not let phonebak read content://sms)";
    let mut view = backup_view(vec![(folder("Camera", 3, 0, 3_000), true)]);
    view.data.set_count(ExtraKind::Messages, Err(why.to_string()));
    let mut harness = backup_harness(view);
    harness.run();
    assert!(shows(&harness, why));
    assert!(is_disabled(&harness, Role::CheckBox, "Messages"));
}

#[test]
fn whatsapp_files_join_the_photos_once_each() {
    let file = |path: &str, size: u64| crate::scan::MediaFile {
        path: path.as_bytes().to_vec(),
        size,
        mtime: 1,
        kind: crate::scan::MediaKind::Photo,
    };
    let photo = "/sdcard/Android/media/com.whatsapp/WhatsApp/Media/WhatsApp Images/IMG-1.jpg";
    let mut files = vec![file("/sdcard/DCIM/Camera/a.jpg", 10), file(photo, 20)];
    let db = "/sdcard/Android/media/com.whatsapp/WhatsApp/Databases/msgstore.db.crypt14";
    add_files(&mut files, vec![file(photo, 20), file(db, 30)]);
    let paths: Vec<String> = files.iter().map(|f| String::from_utf8_lossy(&f.path).into_owned()).collect();
    assert_eq!(paths, ["/sdcard/DCIM/Camera/a.jpg", photo, db]);
}

type ExtrasState = (Option<MessagesInBackup>, Option<WhatsAppInBackup>, Option<RestoreCommand>);

fn restore_extras_harness(state: ExtrasState, target: Option<&'static str>) -> Harness<'static, ExtrasState> {
    Harness::builder().with_size(egui::vec2(420.0, 420.0)).build_ui_state(
        move |ui, state: &mut ExtrasState| {
            if let Some(m) = &state.0
                && let Some(c) = messages_ui(ui, m)
            {
                state.2 = Some(c);
            }
            if let Some(w) = &state.1
                && let Some(c) = whatsapp_ui(ui, w, target, true)
            {
                state.2 = Some(c);
            }
        },
        state,
    )
}

#[test]
fn the_restore_screen_says_only_the_sms_app_may_put_messages_back_and_opens_the_readable_copy() {
    let page = PathBuf::from("/backup/Pixel 7 (R58)/Messages/index.html");
    let mut harness = restore_extras_harness((Some(MessagesInBackup::Page(page.clone())), None, None), None);
    harness.run();
    assert!(shows(&harness, "Android lets only the phone's default SMS app put messages back"));
    harness.get_by_role_and_label(Role::Button, "Open the messages").click();
    harness.run();
    assert_eq!(harness.state().2, Some(RestoreCommand::OpenMessages(page)));

    let mut harness = restore_extras_harness((Some(MessagesInBackup::Encrypted), None, None), None);
    harness.run();
    assert!(shows(&harness, MESSAGES_NOT_RESTORED));
    assert!(shows(&harness, "kept encrypted in this backup folder"), "how to get them out is not said");
    assert!(harness.query_by_role_and_label(Role::Button, "Open the messages").is_none(), "a page that is not there");
}

#[test]
fn the_restore_screens_whatsapp_section_puts_the_files_back_then_shows_the_moves_and_the_steps() {
    let summary = crate::whatsapp::Summary { files: 14, bytes: 3_200_000 };
    let whatsapp = WhatsAppInBackup { summary, done: None };
    let mut harness = restore_extras_harness((None, Some(whatsapp.clone()), None), None);
    harness.run();
    assert!(shows(&harness, "WhatsApp: 14 files, 3.2 MB"));
    assert!(is_disabled(&harness, Role::Button, "Put back WhatsApp's files"), "offered with no phone chosen");
    assert!(!shows(&harness, "To get the chats back"), "steps before the files are back");

    let mut harness = restore_extras_harness((None, Some(whatsapp.clone()), None), Some("Pixel 8"));
    harness.run();
    harness.get_by_role_and_label(Role::Button, "Put back WhatsApp's files").click();
    harness.run();
    assert_eq!(harness.state().2, Some(RestoreCommand::PutBackWhatsApp));

    let moved =
        "14 WhatsApp files backed up from WhatsApp (Android 10 or older) go to Android/media/com.whatsapp/WhatsApp";
    let done = WhatsAppInBackup { summary, done: Some(vec![moved.to_string()]) };
    let mut harness = restore_extras_harness((Some(MessagesInBackup::Encrypted), Some(done), None), Some("Pixel 8"));
    harness.run();
    assert!(shows(&harness, moved));
    for step in crate::whatsapp::RESTORE_STEPS {
        assert!(shows(&harness, step), "step {step:?} is not shown");
    }
    harness.snapshot("restore_messages_and_whatsapp");
}

#[test]
fn snapshot_the_data_type_choice_and_the_restore_screens_contacts_list() {
    let mut choice = DataChoice::default();
    choice.set_count(ExtraKind::Contacts, Ok(Counted::items(20)));
    choice.set_count(ExtraKind::Messages, Ok(Counted { items: 57, bytes: None, groups: Some(6) }));
    choice.set_count(ExtraKind::WhatsApp, Ok(Counted { items: 14, bytes: Some(3_200_000), groups: None }));
    let mut list = ContactList::of(&three_contacts());
    list.rows[1].ticked = false;
    list.said = Some(Ok("Added 1 contact; 1 was already on the phone.".to_string()));
    let mut harness = Harness::builder().with_size(egui::vec2(760.0, 300.0)).build_ui_state(
        |ui, state: &mut (DataChoice, ContactList)| {
            ui.horizontal_top(|ui| {
                ui.vertical(|ui| {
                    ui.set_width(360.0);
                    data_choice_ui(ui, &mut state.0, Some((352, 4, 1_230_000_000)));
                });
                ui.separator();
                ui.vertical(|ui| {
                    ui.set_width(360.0);
                    contacts_ui(ui, &mut state.1, Some("Pixel 8"));
                });
            });
        },
        (choice, list),
    );
    harness.run();
    assert!(harness.query_by_role_and_label(Role::Button, "Put back 2 contacts").is_some());
    harness.snapshot("contacts_choice_and_list");
}
