//! The grid's days come from when photos were taken, in local time: EXIF dates arriving with thumbnails move
//! photos to their day without losing the selection or moving what is on screen. Driven with `egui_kittest` by
//! role and label (day headers are buttons `Select YYYY-MM-DD`, tiles are list box options named by file).

use super::*;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use jiff::tz::TimeZone;

type State = (PhotoGrid, Textures);

fn utc(text: &str) -> i64 {
    text.parse::<jiff::Timestamp>().expect("a timestamp").as_second()
}

fn key(name: &str) -> ThumbKey {
    ThumbKey { path: format!("/sdcard/DCIM/Camera/{name}").into_bytes(), size: 1000, mtime: 0 }
}

/// A photo whose file is dated `mtime` (and taken then, as far as the grid knows yet).
fn item(name: &str, mtime: i64) -> GridItem {
    GridItem {
        key: key(name),
        name: name.to_string(),
        size: 1000,
        mtime,
        taken: mtime,
        video: false,
        group: 0,
        badge: Badge::None,
    }
}

fn harness(items: Vec<GridItem>, size: (f32, f32)) -> Harness<'static, State> {
    let mut grid = PhotoGrid::default();
    grid.set_items(items);
    Harness::builder().with_size(egui::vec2(size.0, size.1)).build_ui_state(
        |ui, state: &mut State| {
            state.0.show(ui, &mut state.1);
        },
        (grid, Textures::new(64)),
    )
}

/// The day headers drawn, top first.
fn headers(harness: &Harness<'_, State>) -> Vec<String> {
    harness
        .query_all_by_role(egui::Role::Button)
        .filter_map(|n| n.accesskit_node().label())
        .filter(|l| l.contains("elect "))
        .collect()
}

fn names(items: impl IntoIterator<Item = impl std::borrow::Borrow<GridItem>>) -> Vec<String> {
    items.into_iter().map(|i| i.borrow().name.clone()).collect()
}

fn index_of(grid: &PhotoGrid, name: &str) -> usize {
    grid.items().iter().position(|i| i.name == name).unwrap_or_else(|| panic!("no {name}"))
}

/// Six photos copied onto a phone on 2024-11-02, a minute apart (`IMG_0` the newest).
fn copied_on_one_day() -> Vec<GridItem> {
    (0..6).map(|n| item(&format!("IMG_{n}.jpg"), utc("2024-11-02T10:30:00Z") - n * 60)).collect()
}

#[test]
fn a_photo_moves_to_the_day_its_exif_says_and_keeps_its_selection_and_click_anchor() {
    crate::human::set_thread_time_zone(Some(TimeZone::UTC));
    let mut harness = harness(copied_on_one_day(), (700.0, 500.0));
    harness.run();
    assert_eq!(headers(&harness), ["Select 2024-11-02"]);
    harness.get_by_role_and_label(egui::Role::ListBoxOption, "IMG_1.jpg").click();
    harness.run();
    harness.get_by_role_and_label(egui::Role::ListBoxOption, "IMG_3.jpg").click_modifiers(egui::Modifiers::COMMAND);
    harness.run();
    assert_eq!(names(harness.state().0.selected_items()), ["IMG_1.jpg", "IMG_3.jpg"]);

    harness.state_mut().0.set_taken([(key("IMG_3.jpg"), utc("2021-03-04T10:15:00Z"))]);
    harness.run();
    let grid = &harness.state().0;
    assert_eq!(grid.day_of(index_of(grid, "IMG_3.jpg")), Some("2021-03-04"));
    assert_eq!(names(grid.items()).last().map(String::as_str), Some("IMG_3.jpg"), "the oldest photo now");
    assert_eq!(names(grid.selected_items()), ["IMG_1.jpg", "IMG_3.jpg"], "the same photos stay selected");
    // Its own day, all of it selected; the copy day keeps the others.
    assert_eq!(headers(&harness), ["Select 2024-11-02", "Unselect 2021-03-04"]);

    // The last clicked photo is still IMG_3 (by key, though its index changed): shift-click runs from it.
    harness.get_by_role_and_label(egui::Role::ListBoxOption, "IMG_4.jpg").click_modifiers(egui::Modifiers::SHIFT);
    harness.run();
    assert_eq!(names(harness.state().0.selected_items()), ["IMG_4.jpg", "IMG_5.jpg", "IMG_3.jpg"]);
}

#[test]
fn dates_that_change_nothing_change_nothing() {
    crate::human::set_thread_time_zone(Some(TimeZone::UTC));
    let mut harness = harness(copied_on_one_day(), (700.0, 500.0));
    harness.run();
    let _ = harness.state_mut().0.take_wanted();
    let before = names(harness.state().0.items());
    // Already its time, and a photo the grid does not show.
    let same = harness.state().0.items()[2].taken;
    harness.state_mut().0.set_taken([(key("IMG_2.jpg"), same), (key("elsewhere.jpg"), 5)]);
    harness.run();
    assert_eq!(names(harness.state().0.items()), before);
    assert!(harness.state_mut().0.take_wanted().is_none(), "nothing to ask the thumbnail service again");
    harness.state_mut().0.set_taken([(key("IMG_0.jpg"), utc("2020-01-01T12:00:00Z"))]);
    harness.run();
    assert!(harness.state_mut().0.take_wanted().is_some(), "a move asks for what is on screen again");
}

#[test]
fn photos_shown_again_keep_the_date_their_thumbnail_brought() {
    crate::human::set_thread_time_zone(Some(TimeZone::UTC));
    let mut grid = PhotoGrid::default();
    grid.set_items(copied_on_one_day());
    grid.set_taken([(key("IMG_0.jpg"), utc("2021-03-04T10:15:00Z"))]);
    // Another folder ticked: the screen builds its items again from the files' dates.
    grid.set_items(copied_on_one_day());
    assert_eq!(grid.day_of(index_of(&grid, "IMG_0.jpg")), Some("2021-03-04"));
    assert_eq!(grid.day_of(index_of(&grid, "IMG_1.jpg")), Some("2024-11-02"));
}

/// 200 photos, four a day: each day a row of its own in a 620-point window.
fn four_a_day() -> Vec<GridItem> {
    (0..200).map(|n| item(&format!("P{n:03}.jpg"), utc("2024-06-30T12:00:00Z") - (n / 4) * 86_400 - n % 4)).collect()
}

/// The top left tile drawn whole, and its top on screen.
fn top_tile(harness: &Harness<'_, State>) -> (String, f32) {
    harness
        .query_all_by_role(egui::Role::ListBoxOption)
        .filter(|n| n.rect().min.y >= 0.0)
        .map(|n| (n.accesskit_node().label().unwrap_or_default(), n.rect().min))
        .min_by(|a, b| a.1.y.total_cmp(&b.1.y).then_with(|| a.1.x.total_cmp(&b.1.x)))
        .map(|(name, at)| (name, at.y))
        .expect("a tile on screen")
}

#[test]
fn the_photo_at_the_top_of_the_screen_stays_in_place_when_photos_move_above_it() {
    crate::human::set_thread_time_zone(Some(TimeZone::UTC));
    let mut harness = harness(four_a_day(), (620.0, 560.0));
    harness.run();
    harness.state_mut().0.set_preview(Some(100));
    harness.run();
    let (name, top) = top_tile(&harness);
    assert!(name.as_str() > "P040.jpg", "scrolled down to the middle, at {name}");
    let was = index_of(&harness.state().0, &name);

    // The three oldest photos (far below the screen) turn out to be the newest: a new day above everything.
    let updates: Vec<(ThumbKey, i64)> =
        (197..200).map(|n| (key(&format!("P{n:03}.jpg")), utc("2025-01-01T09:00:00Z") + n)).collect();
    harness.state_mut().0.set_taken(updates);
    harness.run();
    let grid = &harness.state().0;
    assert_eq!(index_of(grid, &name), was + 3, "the photos above it did change");
    assert_eq!(grid.day_of(0), Some("2025-01-01"));
    assert_eq!(top_tile(&harness), (name.clone(), top), "{name} moved on screen");
    // Scrolling still goes where it is asked from there.
    harness.state_mut().0.set_preview(Some(0));
    harness.run();
    assert_eq!(top_tile(&harness).0, "P199.jpg", "the new day at the top");
}

#[test]
fn the_view_follows_the_top_photo_when_every_photo_on_screen_moves() {
    crate::human::set_thread_time_zone(Some(TimeZone::UTC));
    let mut harness = harness(four_a_day(), (620.0, 560.0));
    harness.run();
    harness.state_mut().0.set_preview(Some(100));
    harness.run();
    let (name, top) = top_tile(&harness);
    let on_screen: Vec<String> =
        harness.query_all_by_role(egui::Role::ListBoxOption).filter_map(|n| n.accesskit_node().label()).collect();
    // Every photo on screen was taken 400 days later than its file says: they all move to the top of the grid.
    let updates: Vec<(ThumbKey, i64)> = harness
        .state()
        .0
        .items()
        .iter()
        .filter(|i| on_screen.contains(&i.name))
        .map(|i| (i.key.clone(), i.taken + 400 * 86_400))
        .collect();
    harness.state_mut().0.set_taken(updates);
    harness.run();
    assert!(index_of(&harness.state().0, &name) < 40, "{name} moved to the top of the grid");
    assert_eq!(top_tile(&harness), (name.clone(), top), "{name} is no longer under the pointer");
}

#[test]
fn the_grid_shows_the_local_day_in_utc_plus_9() {
    // 2024-05-31 20:00 UTC is 2024-06-01 05:00 in Tokyo.
    let photos =
        || vec![item("evening.jpg", utc("2024-05-31T20:00:00Z")), item("noon.jpg", utc("2024-05-31T03:00:00Z"))];
    crate::human::set_thread_time_zone(Some(TimeZone::fixed(jiff::tz::offset(9))));
    let mut tokyo = harness(photos(), (700.0, 400.0));
    tokyo.run();
    assert_eq!(headers(&tokyo), ["Select 2024-06-01", "Select 2024-05-31"]);
    crate::human::set_thread_time_zone(Some(TimeZone::UTC));
    let mut london = harness(photos(), (700.0, 400.0));
    london.run();
    assert_eq!(headers(&london), ["Select 2024-05-31"], "both the same day in UTC");
}

#[test]
fn hover_text_says_when_a_photo_was_taken_and_its_file_date_when_that_differs() {
    crate::human::with_time_zone(TimeZone::UTC, || {
        let t = utc("2024-05-31T14:03:00Z");
        assert_eq!(when(t, t), "2024-05-31 14:03");
        assert_eq!(
            when(utc("2021-03-04T10:15:00Z"), utc("2024-11-02T08:00:00Z")),
            "Taken 2021-03-04 10:15 · file dated 2024-11-02"
        );
        assert_eq!(when(t - 3600, t), "Taken 2024-05-31 13:03 · file dated 2024-05-31 14:03");
    });
}
