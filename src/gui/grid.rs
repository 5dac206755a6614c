//! The photo grid shared by the Backup and Restore screens: photos grouped by the local day they were taken
//! (their EXIF date once their thumbnail brings it, their file's date until then), newest first, in a scroll
//! area that lays out only the rows on screen (10,000 photos scroll as smoothly as 100), with selection by
//! click, ctrl-click, shift-click, by day and by folder, badges, and a large preview.
//!
//! The grid draws and keeps its selection; it does not make thumbnails. After each frame it knows which photos
//! are on screen and which come next ([`PhotoGrid::take_wanted`]); the app asks the thumbnail service for
//! those, and puts what comes back in a [`Textures`] cache, which keeps a bounded number of textures and
//! evicts the ones used least recently (egui's own image loaders never evict, and must not see 12 MP photos).
//! Thumbnails bring the photos' EXIF dates: [`PhotoGrid::set_taken`] moves those photos to their day, keeping
//! the selection and the photo at the top of the screen where they were.

use crate::human::{date, date_time, human_bytes};
use crate::thumbnails::{Marks, ThumbKey, Thumbnail};
use eframe::egui::{self, Color32, Rect, Role, Sense, Vec2, WidgetInfo};
use std::collections::{HashMap, HashSet};
use std::ops::Range;

/// Side of a grid cell, in points.
const CELL: f32 = 112.0;
/// Space between cells.
const GAP: f32 = 6.0;
/// Height of a day's header row.
const HEADER: f32 = 30.0;

/// What a photo's corner says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Badge {
    /// Nothing (the Restore screen, or no backup folder chosen).
    None,
    /// Not in the backup folder yet.
    New,
    /// In the backup folder, but changed on the phone since.
    Changed,
    /// In the backup folder, the same size and date.
    BackedUp,
}

/// One photo or video in the grid.
#[derive(Debug, Clone, PartialEq)]
pub struct GridItem {
    /// Which picture (its path on the phone, or on this computer for a backup).
    pub key: ThumbKey,
    /// Its file name, for people.
    pub name: String,
    /// Size in bytes.
    pub size: u64,
    /// Modification time, seconds since the epoch.
    pub mtime: i64,
    /// When it was taken, seconds since the epoch: its file's date ([`GridItem::mtime`]) until its thumbnail
    /// brings its EXIF date ([`PhotoGrid::set_taken`]). The grid's days and order come from this.
    pub taken: i64,
    /// A video (drawn with a mark).
    pub video: bool,
    /// The folder it is in (an index the screen knows), for "select the folder".
    pub group: usize,
    /// What its corner says.
    pub badge: Badge,
}

/// A day's photos: `items[start..end]`.
#[derive(Debug, Clone)]
struct Day {
    label: String,
    start: usize,
    end: usize,
}

/// A run of one day's photos in a row: `items[start..end]` from `x` points; `first` when the day starts here
/// (its date is drawn above it).
#[derive(Debug, Clone, Copy)]
struct Segment {
    day: usize,
    start: usize,
    end: usize,
    x: f32,
    first: bool,
}

/// Extra space between two days in a row.
const DAY_GAP: f32 = 18.0;

/// One laid-out row: where it starts, whether it has a band of dates above its photos, and its runs.
#[derive(Debug, Clone)]
struct Row {
    y: f32,
    dated: bool,
    segments: Vec<Segment>,
}

impl Row {
    fn height(&self) -> f32 {
        CELL + GAP + if self.dated { HEADER } else { 0.0 }
    }

    fn items(&self) -> Range<usize> {
        let start = self.segments.first().map_or(0, |s| s.start);
        let end = self.segments.last().map_or(0, |s| s.end);
        start..end
    }
}

/// The grid's contents and selection.
#[derive(Debug, Default)]
pub struct PhotoGrid {
    items: Vec<GridItem>,
    days: Vec<Day>,
    selected: Vec<bool>,
    selected_count: usize,
    anchor: Option<usize>,
    /// The photo shown large, if any.
    preview: Option<usize>,
    /// Photos on screen in the last frame, and the ones worth preparing next, nearest first.
    wanted: Vec<usize>,
    wanted_changed: bool,
    /// The range of items on screen, to notice scrolling.
    visible: Range<usize>,
    /// Scroll to this item in the next frame.
    scroll_to: Option<usize>,
    /// How far the grid is scrolled.
    offset: f32,
    /// The width and height of the last frame's grid (0 before the first).
    width: f32,
    view_height: f32,
    /// Taken times learnt from thumbnails, kept for photos shown again later (another folder ticked).
    known_taken: HashMap<ThumbKey, i64>,
    /// After new dates moved photos: a photo that was on screen, and how far below the top of the view its tile
    /// was; the next frame scrolls so that it is there again.
    pending_anchor: Option<(ThumbKey, f32)>,
}

/// Newest first; the same time in path order.
fn newest_first(a: &GridItem, b: &GridItem) -> std::cmp::Ordering {
    b.taken.cmp(&a.taken).then_with(|| a.key.path.cmp(&b.key.path))
}

/// The days of `items` (sorted newest first), by local date.
fn days_of(items: &[GridItem]) -> Vec<Day> {
    let mut days: Vec<Day> = Vec::new();
    for (n, item) in items.iter().enumerate() {
        let label = date(item.taken);
        match days.last_mut() {
            Some(day) if day.label == label => day.end = n + 1,
            _ => days.push(Day { label, start: n, end: n + 1 }),
        }
    }
    days
}

/// When a photo was taken, for people, with its file's date when that differs:
/// `Taken 2021-03-04 10:15 · file dated 2024-11-02`, or just `2024-05-31 14:03` when they agree.
#[must_use]
pub fn when(taken: i64, mtime: i64) -> String {
    let (at, file) = (date_time(taken), date_time(mtime));
    if at == file {
        at
    } else if date(taken) == date(mtime) {
        format!("Taken {at} · file dated {file}")
    } else {
        format!("Taken {at} · file dated {}", date(mtime))
    }
}

/// What the user asked for in the grid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GridCommand {
    /// Show this photo large (an index into [`PhotoGrid::items`]).
    Preview(usize),
    /// The preview closed.
    ClosePreview,
}

impl PhotoGrid {
    /// Replaces the photos (any order; shown newest first). The selection of photos still present is kept, and
    /// so are the taken times thumbnails brought for them before.
    pub fn set_items(&mut self, mut items: Vec<GridItem>) {
        let kept: HashSet<ThumbKey> = self.selected_items().map(|i| i.key.clone()).collect();
        for item in &mut items {
            if let Some(&taken) = self.known_taken.get(&item.key) {
                item.taken = taken;
            }
        }
        items.sort_by(newest_first);
        self.selected = items.iter().map(|i| kept.contains(&i.key)).collect();
        self.selected_count = self.selected.iter().filter(|s| **s).count();
        self.days = days_of(&items);
        self.items = items;
        self.pending_anchor = None;
        self.anchor = None;
        self.preview = None;
        self.visible = 0..0;
        self.wanted_changed = true;
    }

    /// The photos, newest first.
    #[must_use]
    pub fn items(&self) -> &[GridItem] {
        &self.items
    }

    /// The day (`2024-05-31`, local) photo `n` is shown under.
    #[must_use]
    pub fn day_of(&self, n: usize) -> Option<&str> {
        let d = self.days.partition_point(|d| d.end <= n);
        self.days.get(d).filter(|d| d.start <= n).map(|d| d.label.as_str())
    }

    /// Takes when photos were taken (seconds since the epoch, from their thumbnails' EXIF): those whose time
    /// changed move to their day and place. The selection, the last clicked photo and the preview stay on the
    /// same photos, and the next frame scrolls so that a photo that was on screen (one whose date did not change
    /// when there is one) is at the same height again. Nothing happens when no time changed.
    pub fn set_taken(&mut self, updates: impl IntoIterator<Item = (ThumbKey, i64)>) {
        let mut fresh: HashMap<ThumbKey, i64> = HashMap::new();
        for (key, taken) in updates {
            if self.known_taken.get(&key) != Some(&taken) {
                self.known_taken.insert(key.clone(), taken);
                fresh.insert(key, taken);
            }
        }
        if fresh.is_empty() {
            return;
        }
        let moved: HashSet<usize> = (0..self.items.len())
            .filter(|&n| fresh.get(&self.items[n].key).is_some_and(|&t| t != self.items[n].taken))
            .collect();
        if moved.is_empty() {
            return;
        }
        if self.pending_anchor.is_none() {
            self.pending_anchor = self.screen_anchor(&moved);
        }
        for &n in &moved {
            if let Some(&taken) = fresh.get(&self.items[n].key) {
                self.items[n].taken = taken;
            }
        }
        // Re-sort by a permutation, so that everything that points at photos by index can follow them.
        let mut order: Vec<usize> = (0..self.items.len()).collect();
        order.sort_by(|&a, &b| newest_first(&self.items[a], &self.items[b]));
        let mut new_of_old = vec![0; order.len()];
        for (new, &old) in order.iter().enumerate() {
            new_of_old[old] = new;
        }
        let mut old_items: Vec<Option<GridItem>> = std::mem::take(&mut self.items).into_iter().map(Some).collect();
        self.items = order.iter().filter_map(|&old| old_items[old].take()).collect();
        self.selected = order.iter().map(|&old| self.selected[old]).collect();
        let follow = |n: &mut Option<usize>| *n = n.and_then(|old| new_of_old.get(old).copied());
        follow(&mut self.anchor);
        follow(&mut self.preview);
        follow(&mut self.scroll_to);
        self.wanted = self.wanted.iter().filter_map(|&old| new_of_old.get(old).copied()).collect();
        self.days = days_of(&self.items);
        // What is on screen is worked out again in the next frame.
        self.visible = 0..0;
    }

    /// The photo to keep in place when photos move, and how far below the top of the view its tile is: the first
    /// photo on screen whose date does not change; when all of them change, the first photo on screen (unless the
    /// grid is at its top, where it stays).
    fn screen_anchor(&self, moved: &HashSet<usize>) -> Option<(ThumbKey, f32)> {
        if self.width <= 0.0 {
            return None;
        }
        let (rows, _) = self.layout(self.width);
        let (top, bottom) = (self.offset, self.offset + self.view_height);
        let first = rows.partition_point(|r| r.y + r.height() <= top);
        let on_screen = rows.iter().skip(first).take_while(|r| r.y < bottom).flat_map(|row| {
            let tile_y = row.y + if row.dated { HEADER } else { 0.0 };
            row.items().map(move |n| (n, tile_y))
        });
        let mut first_seen = None;
        for (n, tile_y) in on_screen {
            if !moved.contains(&n) {
                return Some((self.items[n].key.clone(), tile_y - top));
            }
            first_seen.get_or_insert((n, tile_y));
        }
        let (n, tile_y) = first_seen.filter(|_| top > 0.0)?;
        Some((self.items[n].key.clone(), tile_y - top))
    }

    /// Changes the badges (after a backup, or when the backup folder changes).
    pub fn set_badges(&mut self, badge: impl Fn(&GridItem) -> Badge) {
        for item in &mut self.items {
            item.badge = badge(item);
        }
    }

    /// How many photos are selected.
    #[must_use]
    pub fn selected_count(&self) -> usize {
        self.selected_count
    }

    /// The selected photos, newest first.
    pub fn selected_items(&self) -> impl Iterator<Item = &GridItem> {
        self.items.iter().zip(&self.selected).filter(|(_, s)| **s).map(|(i, _)| i)
    }

    /// Whether photo `n` is selected.
    #[must_use]
    pub fn is_selected(&self, n: usize) -> bool {
        self.selected.get(n).copied().unwrap_or(false)
    }

    fn set(&mut self, n: usize, on: bool) {
        if let Some(slot) = self.selected.get_mut(n)
            && *slot != on
        {
            *slot = on;
            if on {
                self.selected_count += 1;
            } else {
                self.selected_count -= 1;
            }
        }
    }

    /// Selects the photos `which` says (the others keep their selection).
    pub fn select_where(&mut self, which: impl Fn(&GridItem) -> bool) {
        for n in 0..self.items.len() {
            if which(&self.items[n]) {
                self.set(n, true);
            }
        }
    }

    /// Selects or unselects every photo.
    pub fn select_all(&mut self, on: bool) {
        self.selected.iter_mut().for_each(|s| *s = on);
        self.selected_count = if on { self.items.len() } else { 0 };
    }

    /// Selects every photo of folder `group` (or unselects them all when they all are).
    pub fn toggle_group(&mut self, group: usize) {
        let members: Vec<usize> = (0..self.items.len()).filter(|&n| self.items[n].group == group).collect();
        let on = !members.iter().all(|&n| self.selected[n]);
        for n in members {
            self.set(n, on);
        }
    }

    /// Selects every photo of day `day` (or unselects them all when they all are).
    fn toggle_day(&mut self, day: usize) {
        let Some(range) = self.days.get(day).map(|d| d.start..d.end) else { return };
        let on = !range.clone().all(|n| self.selected[n]);
        for n in range {
            self.set(n, on);
        }
    }

    /// What a click on photo `n` does, with the keyboard's modifiers: alone it selects only that photo;
    /// with ctrl (cmd on a Mac) it adds or removes it; with shift it selects the run from the last clicked one.
    pub fn click(&mut self, n: usize, modifiers: egui::Modifiers) {
        if n >= self.items.len() {
            return;
        }
        if modifiers.shift
            && let Some(anchor) = self.anchor
        {
            if !modifiers.command {
                self.select_all(false);
            }
            for m in anchor.min(n)..=anchor.max(n) {
                self.set(m, true);
            }
            return;
        }
        if modifiers.command {
            let on = !self.selected[n];
            self.set(n, on);
        } else {
            self.select_all(false);
            self.set(n, true);
        }
        self.anchor = Some(n);
    }

    /// The photo shown large.
    #[must_use]
    pub fn preview(&self) -> Option<&GridItem> {
        self.preview.and_then(|n| self.items.get(n))
    }

    /// Shows photo `n` large (`None` closes the preview).
    pub fn set_preview(&mut self, n: Option<usize>) {
        self.preview = n.filter(|&n| n < self.items.len());
        if let Some(n) = self.preview {
            self.scroll_to = Some(n);
        }
    }

    /// Asks for the thumbnails on screen again in the next frame (the grid is shown again).
    pub fn refresh_wanted(&mut self) {
        self.visible = 0..0;
        self.wanted_changed = true;
    }

    /// The photos to make thumbnails for, nearest to the screen first, when that changed since the last call.
    pub fn take_wanted(&mut self) -> Option<Vec<&GridItem>> {
        if !std::mem::take(&mut self.wanted_changed) {
            return None;
        }
        Some(self.wanted.iter().filter_map(|&n| self.items.get(n)).collect())
    }

    /// Packs the days into rows `width` points wide, newest first: days with few photos share a row, a day
    /// that does not fit in what is left of a row starts the next one, and a day with more photos than a row
    /// holds goes on over full rows.
    fn layout(&self, width: f32) -> (Vec<Row>, f32) {
        let step = CELL + GAP;
        let fits = |x: f32| (((width - x + GAP) / step).floor() as usize).max(1);
        let mut rows: Vec<Row> = Vec::with_capacity(self.items.len() / fits(0.0) + 1);
        let mut row = Row { y: 0.0, dated: false, segments: Vec::new() };
        let mut x = 0.0;
        let mut y = 0.0;
        let flush = |row: &mut Row, y: &mut f32, rows: &mut Vec<Row>| {
            let done = std::mem::replace(row, Row { y: 0.0, dated: false, segments: Vec::new() });
            if !done.segments.is_empty() {
                let height = done.height();
                rows.push(Row { y: *y, ..done });
                *y += height;
            }
        };
        for (d, day) in self.days.iter().enumerate() {
            let len = day.end - day.start;
            if x > 0.0 {
                if fits(x + DAY_GAP) < len {
                    flush(&mut row, &mut y, &mut rows);
                    x = 0.0;
                } else {
                    x += DAY_GAP;
                }
            }
            let mut start = day.start;
            let mut first = true;
            while start < day.end {
                let end = (start + fits(x)).min(day.end);
                row.dated |= first;
                row.segments.push(Segment { day: d, start, end, x, first });
                x += (end - start) as f32 * step;
                start = end;
                first = false;
                if start < day.end || x + step > width + GAP {
                    flush(&mut row, &mut y, &mut rows);
                    x = 0.0;
                }
            }
        }
        flush(&mut row, &mut y, &mut rows);
        (rows, y)
    }

    /// Draws the grid in the space left in `ui`; returns what the user asked for.
    pub fn show(&mut self, ui: &mut egui::Ui, textures: &mut Textures) -> Option<GridCommand> {
        textures.next_frame();
        let mut command = None;
        if self.items.is_empty() {
            return None;
        }
        let width = (ui.available_width() - 16.0).max(CELL);
        let columns = (((width + GAP) / (CELL + GAP)).floor() as usize).max(1);
        let (rows, height) = self.layout(width);
        self.width = width;
        self.view_height = ui.available_height();
        let mut scroll = egui::ScrollArea::vertical().auto_shrink([false, false]);
        if let Some((key, below_top)) = self.pending_anchor.take()
            && let Some(n) = self.items.iter().position(|i| i.key == key)
            && let Some(row) = rows.get(rows.partition_point(|r| r.items().end <= n))
        {
            // The anchored photo's tile is as far below the top of the view as before the photos moved.
            let tile_y = row.y + if row.dated { HEADER } else { 0.0 };
            self.offset = (tile_y - below_top).max(0.0);
            scroll = scroll.vertical_scroll_offset(self.offset);
        }
        if let Some(n) = self.scroll_to.take()
            && let Some(row) = rows.iter().find(|r| r.items().contains(&n))
        {
            let view = ui.available_height();
            if row.y < self.offset || row.y + row.height() > self.offset + view {
                scroll = scroll.vertical_scroll_offset((row.y - view / 3.0).max(0.0));
            }
        }
        let output = scroll.show_viewport(ui, |ui, viewport| {
            ui.set_min_height(height);
            ui.set_min_width(ui.available_width());
            let origin = ui.max_rect().min;
            let first = rows.partition_point(|r| r.y + r.height() < viewport.min.y);
            let mut on_screen = Range { start: usize::MAX, end: 0 };
            for row in rows.iter().skip(first).take_while(|r| r.y <= viewport.max.y) {
                let band = if row.dated { HEADER } else { 0.0 };
                for segment in &row.segments {
                    let left = origin + Vec2::new(segment.x, row.y);
                    if segment.first {
                        let width = (segment.end - segment.start) as f32 * (CELL + GAP) - GAP;
                        let rect = Rect::from_min_size(left, Vec2::new(width.max(CELL), HEADER));
                        if self.header(ui, rect, segment.day) {
                            self.toggle_day(segment.day);
                        }
                    }
                    on_screen.start = on_screen.start.min(segment.start);
                    on_screen.end = on_screen.end.max(segment.end);
                    for n in segment.start..segment.end {
                        let x = (n - segment.start) as f32 * (CELL + GAP);
                        let rect = Rect::from_min_size(left + Vec2::new(x, band), Vec2::splat(CELL));
                        if let Some(c) = self.tile(ui, rect, n, textures) {
                            command = Some(c);
                        }
                    }
                }
            }
            if on_screen.start > on_screen.end {
                on_screen = 0..0;
            }
            on_screen
        });
        self.offset = output.state.clamped_offset().y;
        let on_screen = output.inner;
        if on_screen != self.visible {
            // What is on screen first, then a screenful below and above (scrolling goes on the way it went).
            let len = on_screen.len().max(columns * 4);
            let below = on_screen.end..(on_screen.end + len).min(self.items.len());
            let above = on_screen.start.saturating_sub(len)..on_screen.start;
            self.wanted = on_screen.clone().chain(below).chain(above.rev()).collect();
            self.visible = on_screen;
            self.wanted_changed = true;
            ui.ctx().request_repaint();
        }
        if let Some(c) = self.keys(ui) {
            command = Some(c);
        }
        command
    }

    /// Keyboard: ctrl+A selects all, Escape unselects (or closes the preview), Enter or Space opens the preview
    /// of the last clicked photo, arrows move in the preview.
    fn keys(&mut self, ui: &egui::Ui) -> Option<GridCommand> {
        if ui.ctx().egui_wants_keyboard_input() {
            return None;
        }
        let (all, escape, open, left, right) = ui.input(|i| {
            (
                i.modifiers.command && i.key_pressed(egui::Key::A),
                i.key_pressed(egui::Key::Escape),
                i.key_pressed(egui::Key::Enter) || i.key_pressed(egui::Key::Space),
                i.key_pressed(egui::Key::ArrowLeft),
                i.key_pressed(egui::Key::ArrowRight),
            )
        });
        if let Some(n) = self.preview {
            if escape {
                self.preview = None;
                return Some(GridCommand::ClosePreview);
            }
            let next = if right {
                Some(n + 1)
            } else if left {
                n.checked_sub(1)
            } else {
                None
            };
            if let Some(next) = next.filter(|&m| m < self.items.len()) {
                self.set_preview(Some(next));
                self.anchor = Some(next);
                return Some(GridCommand::Preview(next));
            }
            return None;
        }
        if all {
            self.select_all(true);
        } else if escape {
            self.select_all(false);
        } else if open && let Some(n) = self.anchor {
            self.set_preview(Some(n));
            return Some(GridCommand::Preview(n));
        }
        None
    }

    /// A day's date above its photos, with its count; clicking it selects the day (or unselects it when all
    /// of it is selected). True when it was clicked.
    fn header(&self, ui: &mut egui::Ui, rect: Rect, d: usize) -> bool {
        let day = &self.days[d];
        let all = (day.start..day.end).all(|n| self.selected[n]);
        let count = day.end - day.start;
        let action = if all { "Unselect" } else { "Select" };
        let response = ui.allocate_rect(rect.shrink2(Vec2::new(0.0, 4.0)), Sense::click());
        let label = format!("{action} {}", day.label);
        response.widget_info(|| WidgetInfo::labeled(Role::Button, true, &label));
        let visuals = ui.visuals();
        let color = if response.hovered() { visuals.strong_text_color() } else { visuals.text_color() };
        let text =
            if count > 1 && rect.width() > CELL { format!("{}  ·  {count}", day.label) } else { day.label.clone() };
        let painter = ui.painter_at(rect);
        let galley = painter.layout_no_wrap(text, egui::FontId::proportional(13.0), color);
        let at = rect.left_center() + Vec2::new(0.0, -galley.size().y / 2.0);
        if all {
            painter.rect_filled(
                Rect::from_min_size(at - Vec2::new(2.0, 1.0), galley.size() + Vec2::new(4.0, 2.0)),
                3.0,
                visuals.selection.bg_fill,
            );
        }
        painter.galley(at, galley, color);
        response.on_hover_text(format!("{action} the {count} photos of {}", day.label)).clicked()
    }

    /// One photo's cell.
    fn tile(&mut self, ui: &mut egui::Ui, rect: Rect, n: usize, textures: &mut Textures) -> Option<GridCommand> {
        let response = ui.allocate_rect(rect, Sense::click());
        let item = &self.items[n];
        let selected = self.selected[n];
        let label = item.name.clone();
        response.widget_info(|| WidgetInfo::selected(Role::ListBoxOption, true, selected, &label));
        if ui.is_rect_visible(rect) {
            let painter = ui.painter_at(rect);
            let visuals = ui.visuals();
            painter.rect_filled(rect, 4.0, visuals.faint_bg_color);
            let shown = textures.get_marked(&item.key);
            let marks = shown.as_ref().map(|(_, m)| *m).unwrap_or_default();
            match shown.map(|(s, _)| s) {
                Some(Shown::Texture(texture)) => {
                    let size = texture.size_vec2();
                    let scale = (CELL / size.x).min(CELL / size.y);
                    let image = Rect::from_center_size(rect.center(), size * scale);
                    painter.image(
                        texture.id(),
                        image,
                        Rect::from_min_max(egui::pos2(0.0, 0.0), egui::pos2(1.0, 1.0)),
                        Color32::WHITE,
                    );
                }
                Some(Shown::Kind(kind)) => {
                    painter.text(
                        rect.center(),
                        egui::Align2::CENTER_CENTER,
                        format!("{kind}\n{}", date(item.taken)),
                        egui::FontId::proportional(12.0),
                        visuals.text_color(),
                    );
                }
                Some(Shown::Failed(_)) => {
                    painter.text(
                        rect.center(),
                        egui::Align2::CENTER_CENTER,
                        "Cannot show\nthis picture",
                        egui::FontId::proportional(12.0),
                        visuals.weak_text_color(),
                    );
                }
                None => {
                    painter.text(
                        rect.center(),
                        egui::Align2::CENTER_CENTER,
                        shorten(&item.name, 16),
                        egui::FontId::proportional(11.0),
                        visuals.weak_text_color(),
                    );
                }
            }
            if item.video {
                // A play mark in the bottom left corner, and the video's length beside it.
                let at = rect.left_bottom() + Vec2::new(8.0, -20.0);
                painter.add(egui::Shape::convex_polygon(
                    vec![at, at + Vec2::new(0.0, 12.0), at + Vec2::new(10.0, 6.0)],
                    Color32::WHITE,
                    egui::Stroke::new(1.0, Color32::BLACK),
                ));
                if let Some(text) = marks.duration_text() {
                    corner_label(&painter, at + Vec2::new(16.0, -1.0), text);
                }
            } else if marks.motion {
                corner_label(&painter, rect.left_bottom() + Vec2::new(6.0, -21.0), "Motion".to_string());
            }
            let badge = match item.badge {
                Badge::None => None,
                Badge::New => Some(("New", Color32::from_rgb(30, 110, 220))),
                Badge::Changed => Some(("Changed", Color32::from_rgb(200, 120, 0))),
                Badge::BackedUp => Some(("Backed up", Color32::from_rgb(30, 150, 60))),
            };
            if let Some((text, color)) = badge {
                let galley = painter.layout_no_wrap(text.to_string(), egui::FontId::proportional(11.0), Color32::WHITE);
                let at = rect.right_top() + Vec2::new(-galley.size().x - 8.0, 4.0);
                painter.rect_filled(Rect::from_min_size(at, galley.size() + Vec2::new(6.0, 2.0)), 3.0, color);
                painter.galley(at + Vec2::new(3.0, 1.0), galley, Color32::WHITE);
            }
            if selected {
                let accent = visuals.selection.bg_fill;
                painter.rect_stroke(rect.shrink(1.5), 4.0, egui::Stroke::new(3.0, accent), egui::StrokeKind::Inside);
                let dot = rect.left_top() + Vec2::new(12.0, 12.0);
                painter.circle_filled(dot, 8.0, accent);
                let tick = egui::Stroke::new(2.0, Color32::WHITE);
                painter.line_segment([dot + Vec2::new(-4.0, 0.0), dot + Vec2::new(-1.0, 3.0)], tick);
                painter.line_segment([dot + Vec2::new(-1.0, 3.0), dot + Vec2::new(4.0, -3.0)], tick);
            } else if response.hovered() {
                painter.rect_stroke(rect, 4.0, visuals.widgets.hovered.bg_stroke, egui::StrokeKind::Inside);
            }
        }
        let response = response.on_hover_text(format!(
            "{}\n{}, {}",
            item.name,
            when(item.taken, item.mtime),
            human_bytes(item.size)
        ));
        if response.double_clicked() {
            self.anchor = Some(n);
            self.set_preview(Some(n));
            return Some(GridCommand::Preview(n));
        }
        if response.clicked() {
            // The modifiers held when the button went up (not those at the end of the frame).
            let modifiers = ui.input(|i| {
                i.events
                    .iter()
                    .rev()
                    .find_map(|e| match e {
                        egui::Event::PointerButton { pressed: false, modifiers, .. } => Some(*modifiers),
                        _ => None,
                    })
                    .unwrap_or(i.modifiers)
            });
            self.click(n, modifiers);
        }
        None
    }
}

/// `text` cut to `max` characters with an ellipsis.
fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        let mut short: String = text.chars().take(max.saturating_sub(1)).collect();
        short.push('…');
        short
    }
}

/// What a photo's cell shows.
#[derive(Clone)]
pub enum Shown {
    /// Its thumbnail.
    Texture(egui::TextureHandle),
    /// No picture for this kind of file ("Video", "HEIC photo").
    Kind(&'static str),
    /// The thumbnail could not be made (why).
    Failed(String),
}

/// A small white label on a dark rounded box, its top left corner at `at` (a video's length, "Motion").
fn corner_label(painter: &egui::Painter, at: egui::Pos2, text: String) {
    let galley = painter.layout_no_wrap(text, egui::FontId::proportional(11.0), Color32::WHITE);
    let back = Color32::from_rgba_unmultiplied(0, 0, 0, 160);
    painter.rect_filled(Rect::from_min_size(at, galley.size() + Vec2::new(6.0, 2.0)), 3.0, back);
    painter.galley(at + Vec2::new(3.0, 1.0), galley, Color32::WHITE);
}

/// Thumbnails uploaded as textures, at most `capacity` of them; the least recently drawn go first.
pub struct Textures {
    map: HashMap<ThumbKey, (Shown, u64, Marks)>,
    frame: u64,
    capacity: usize,
    /// Textures made in all (to see that eviction works).
    uploaded: u64,
}

impl Textures {
    /// A cache of at most `capacity` thumbnails.
    #[must_use]
    pub fn new(capacity: usize) -> Self {
        Self { map: HashMap::new(), frame: 0, capacity: capacity.max(1), uploaded: 0 }
    }

    pub(crate) fn next_frame(&mut self) {
        self.frame += 1;
    }

    /// What to show for `key`, marking it used in this frame.
    pub fn get(&mut self, key: &ThumbKey) -> Option<&Shown> {
        self.get_marked(key).map(|(shown, _)| shown)
    }

    /// What to show for `key` and its marks (a video's length, a motion photo), marking it used in this frame.
    pub fn get_marked(&mut self, key: &ThumbKey) -> Option<(&Shown, Marks)> {
        let frame = self.frame;
        self.map.get_mut(key).map(|(shown, used, marks)| {
            *used = frame;
            (&*shown, *marks)
        })
    }

    /// Whether `key` has something to show.
    #[must_use]
    pub fn contains(&self, key: &ThumbKey) -> bool {
        self.map.contains_key(key)
    }

    /// How many thumbnails are held.
    #[must_use]
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Whether none is held.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// Textures made since the start.
    #[must_use]
    pub fn uploaded(&self) -> u64 {
        self.uploaded
    }

    /// Drops every thumbnail (another phone or backup is shown).
    pub fn clear(&mut self) {
        self.map.clear();
    }

    /// Takes a finished thumbnail: uploads it as a texture, then evicts the least recently drawn ones beyond
    /// the capacity (never one drawn in this frame).
    pub fn insert(
        &mut self,
        ctx: &egui::Context,
        key: ThumbKey,
        result: Result<Thumbnail, crate::thumbnails::ThumbError>,
    ) {
        self.insert_marked(ctx, key, result, Marks::default());
    }

    /// Like [`Textures::insert`], with what the tile shows beside the picture.
    pub fn insert_marked(
        &mut self,
        ctx: &egui::Context,
        key: ThumbKey,
        result: Result<Thumbnail, crate::thumbnails::ThumbError>,
        marks: Marks,
    ) {
        let shown = match result {
            Ok(Thumbnail::Image(image)) => {
                let size = [image.width() as usize, image.height() as usize];
                let color = egui::ColorImage::from_rgba_unmultiplied(size, image.as_raw());
                self.uploaded += 1;
                Shown::Texture(ctx.load_texture(
                    format!("thumb-{}", self.uploaded),
                    color,
                    egui::TextureOptions::LINEAR,
                ))
            }
            Ok(Thumbnail::Placeholder { kind }) => Shown::Kind(kind),
            Err(e) => Shown::Failed(e.to_string()),
        };
        self.map.insert(key, (shown, self.frame, marks));
        if self.map.len() > self.capacity {
            let mut by_age: Vec<(u64, ThumbKey)> = self
                .map
                .iter()
                .filter(|(_, (_, used, _))| *used < self.frame)
                .map(|(k, (_, used, _))| (*used, k.clone()))
                .collect();
            by_age.sort_unstable_by_key(|(used, _)| *used);
            let excess = self.map.len() - self.capacity;
            for (_, key) in by_age.into_iter().take(excess) {
                self.map.remove(&key);
            }
        }
    }
}

#[cfg(test)]
mod tests;
