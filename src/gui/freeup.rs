//! The free-up screen ("Free up space…" on a phone's screen, when the backup folder holds its backup): a
//! `freeup-prove` thread reads the phone's gallery and proves which photos and videos are safe in the backup
//! ([`crate::freeup::prove`]), with a progress line and Cancel; the screen then says how many and how much can
//! be removed, lists the ones kept on the phone with their reasons, and shows the proven ones in the Backup
//! screen's grid, all ticked. **Remove N photos from the phone (X)** follows the selection and asks first (a
//! modal naming the phone and the backup folder they stay in); a `freeup-remove` thread runs
//! [`crate::freeup::remove`] with only the ticked files, and the report says what was removed, what was not
//! and why. The screen draws and keeps its selection; the work is started from [`App`].

use super::grid::{Badge, GridCommand, GridItem, PhotoGrid, Textures};
use super::{App, CancelToken, Event, Screen};
use crate::backup::Manifest;
use crate::backup::manifest::ManifestEntry;
use crate::freeup::{Disposal, Kept, Proof, Removal};
use crate::human::human_bytes;
use crate::scan::{MediaFile, MediaKind};
use crate::thumbnails::ThumbKey;
use eframe::egui;
use std::collections::HashSet;
use std::fmt::Write as _;
use std::path::PathBuf;

/// What the proving thread found: the proof, and the phone's model and Android SDK (for the removal).
#[derive(Debug)]
pub struct Proved {
    /// Which files are proven safe in the backup, and which are kept (why).
    pub proof: Proof,
    /// The phone's model ("Pixel 7").
    pub model: String,
    /// Its Android SDK level.
    pub sdk: u32,
}

/// What the confirmation shows (the count and bytes it asks about) and where they go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Confirm {
    /// How many files it removes.
    pub files: usize,
    /// Their bytes.
    pub bytes: u64,
    /// Into the phone's trash (the default where it has one) or deleted at once.
    pub disposal: Disposal,
}

/// Why a removal stopped, for the screen.
#[derive(Debug)]
pub struct FreeUpFailure {
    /// In words.
    pub said: String,
    /// The phone refused the shell its trash (permanent removal can be offered instead).
    pub trash_refused: bool,
    /// What was removed before it stopped.
    pub so_far: Option<Removal>,
}

/// How a removal ended, for people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FreeUpReport {
    /// "Removed 3 photos and videos (1.2 MB) from Pixel 7; they stay in /backup." or why it stopped.
    pub headline: String,
    /// It stopped on an error (shown in the error colour).
    pub failed: bool,
    /// The phone refused its trash: "Remove permanently instead" is offered.
    pub trash_refused: bool,
    /// Each file not removed, with what the phone said.
    pub not_removed: Vec<String>,
    /// The gallery could not be told (the files are gone; it catches up at its next scan).
    pub gallery_problem: Option<String>,
}

/// What the free-up screen shows.
#[derive(Debug, Default)]
pub struct FreeUpView {
    /// The phone's name (its model once the proof has read it).
    pub phone: String,
    /// The serial adb knows it by.
    pub serial: String,
    /// The backup folder.
    pub dest: PathBuf,
    /// Reading and proving runs; what it is at.
    pub proving: Option<String>,
    /// Why nothing could be proven (a [`crate::freeup::FreeUpError`] or a phone problem, in words).
    pub error: Option<String>,
    /// The proof has come.
    pub proved: bool,
    /// The files proven safe in the backup (all of them, whatever the filter shows).
    pub proven: Vec<(MediaFile, ManifestEntry)>,
    /// The files kept on the phone, with why.
    pub kept: Vec<(MediaFile, Kept)>,
    /// The proven files shown (those the filter keeps), ticked to be removed.
    pub grid: PhotoGrid,
    /// "Only older than N days" (`None`: all).
    pub older_than: Option<u64>,
    /// The days the filter's field holds (kept when the filter is off).
    pub older_than_days: u64,
    /// The phone's Android SDK level (for telling the gallery).
    pub sdk: u32,
    /// The confirmation is open.
    pub confirm: Option<Confirm>,
    /// The removal runs.
    pub removing: bool,
    /// How the removal ended.
    pub report: Option<FreeUpReport>,
    /// The phone paths removed (they leave the phone's screen too).
    pub removed: HashSet<Vec<u8>>,
    /// The backup copies of the files this screen removed ("Put them back" restores them).
    pub freed: Vec<Vec<u8>>,
    /// The extra copies among the proven files (the same content as another proven file, which stays).
    pub duplicates: HashSet<Vec<u8>>,
    /// Their bytes.
    pub duplicate_bytes: u64,
    /// "Put them back" runs.
    pub putting_back: bool,
    /// How "Put them back" ended, for people (an error: `Err`).
    pub put_back: Option<Result<String, String>>,
}

/// What the user asked for on the free-up screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FreeUpCommand {
    /// Back to the phone's screen (stops a running proof).
    Back,
    /// Stop reading and proving.
    Cancel,
    /// The "older than" filter changed.
    FilterChanged,
    /// Tick only the extra copies of duplicates.
    OnlyDuplicates,
    /// The trash was refused: ask again, for permanent removal.
    AskPermanent,
    /// Remove the ticked files: ask first.
    AskRemove,
    /// Yes, remove them.
    Remove,
    /// No, remove nothing.
    CancelRemove,
    /// The report was read: back to the phone's screen.
    Done,
    /// Restore what this screen removed.
    PutBack,
    /// Show a photo large.
    Preview(usize),
    /// The preview closed.
    ClosePreview,
}

/// "1 photo", "3 photos and videos": what a set of files is, for people.
fn what(files: usize, videos: bool) -> String {
    match (files, videos) {
        (1, false) => "1 photo".to_string(),
        (1, true) => "1 video".to_string(),
        (n, false) => format!("{n} photos"),
        (n, true) => format!("{n} photos and videos"),
    }
}

/// "1 photo or video", "3 photos and videos".
fn files_text(n: usize) -> String {
    if n == 1 { "1 photo or video".to_string() } else { format!("{n} photos and videos") }
}

/// Seconds since 1970, now.
fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

impl FreeUpView {
    /// A free-up of phone `serial` (named `phone`) against the backup folder `dest`, proving.
    #[must_use]
    pub fn new(phone: String, serial: String, dest: PathBuf) -> Self {
        Self { phone, serial, dest, proving: Some(String::new()), older_than_days: 30, ..Self::default() }
    }

    /// Takes the proof: every proven file in the grid, ticked.
    pub fn set_proof(&mut self, proved: Proved) {
        self.proving = None;
        self.proved = true;
        self.phone = proved.model;
        self.sdk = proved.sdk;
        self.proven = proved.proof.proven;
        self.kept = proved.proof.kept;
        let groups = crate::freeup::duplicates(&self.proven);
        self.duplicates = groups.iter().flat_map(|g| g.extras.iter().map(|(f, _)| f.path.clone())).collect();
        self.duplicate_bytes = groups.iter().map(crate::freeup::Duplicates::extra_bytes).sum();
        self.refresh_grid(now());
    }

    /// Ticks only the extra copies of duplicates (one copy of each stays on the phone, the one in DCIM first).
    pub fn tick_only_duplicates(&mut self) {
        self.grid.select_all(false);
        let duplicates = &self.duplicates;
        self.grid.select_where(|item| duplicates.contains(&item.key.path));
    }

    /// "37 duplicates (210 MB): the same photo or video under another name", when there are any.
    #[must_use]
    pub fn duplicates_line(&self) -> Option<String> {
        let n = self.duplicates.len();
        (n > 0).then(|| {
            format!(
                "{n} {} ({}): the same photo or video under another name on the phone (a WhatsApp copy, a download \
                 saved twice)",
                if n == 1 { "duplicate" } else { "duplicates" },
                human_bytes(self.duplicate_bytes)
            )
        })
    }

    /// Shows the proven files the filter keeps (at `now`); those shown again keep their tick, newly shown
    /// ones are ticked.
    pub fn refresh_grid(&mut self, now: i64) {
        let before: HashSet<ThumbKey> = self.grid.items().iter().map(|i| i.key.clone()).collect();
        let shown = crate::freeup::choose(self.proven.iter().map(|(f, _)| f), self.older_than, &[], now);
        let items = shown
            .iter()
            .map(|file| GridItem {
                key: ThumbKey { path: file.path.clone(), size: file.size, mtime: file.mtime },
                name: String::from_utf8_lossy(file.name()).into_owned(),
                size: file.size,
                mtime: file.mtime,
                taken: file.mtime,
                video: file.kind == MediaKind::Video,
                group: 0,
                badge: Badge::BackedUp,
            })
            .collect();
        self.grid.set_items(items);
        self.grid.select_where(|item| !before.contains(&item.key));
    }

    /// The ticked proven files: what Remove removes.
    #[must_use]
    pub fn selected(&self) -> Vec<(MediaFile, ManifestEntry)> {
        let ticked: HashSet<&[u8]> = self.grid.selected_items().map(|i| i.key.path.as_slice()).collect();
        self.proven.iter().filter(|(f, _)| ticked.contains(f.path.as_slice())).cloned().collect()
    }

    /// How many files are ticked, their bytes, and whether a video is among them.
    #[must_use]
    pub fn ticked(&self) -> (usize, u64, bool) {
        self.grid.selected_items().fold((0, 0, false), |(n, b, v), i| (n + 1, b + i.size, v || i.video))
    }

    /// "3 photos and videos (1.2 MB) are safe in the backup and can be removed from the phone".
    #[must_use]
    pub fn headline(&self) -> String {
        let bytes: u64 = self.proven.iter().map(|(f, _)| f.size).sum();
        match self.proven.len() {
            0 => "Nothing on the phone is proven safe in the backup yet: back it up first.".to_string(),
            1 => format!(
                "1 photo or video ({}) is safe in the backup and can be removed from the phone",
                human_bytes(bytes)
            ),
            n => format!(
                "{n} photos and videos ({}) are safe in the backup and can be removed from the phone",
                human_bytes(bytes)
            ),
        }
    }

    /// "Remove 3 photos from the phone (1.2 MB)", for the ticked ones.
    #[must_use]
    pub fn remove_label(&self) -> String {
        let (n, bytes, videos) = self.ticked();
        format!("Remove {} from the phone ({})", what(n, videos), human_bytes(bytes))
    }

    /// "2 photos and videos (1.0 MB) will be removed from Pixel 7. They stay in the backup folder /backup."
    #[must_use]
    pub fn confirm_text(&self, confirm: &Confirm) -> String {
        format!(
            "{} photos and videos ({}) will be removed from {}. They stay in the backup folder {}. {}",
            confirm.files,
            human_bytes(confirm.bytes),
            self.phone,
            self.dest.display(),
            match confirm.disposal {
                Disposal::Trash => "They go to the phone's trash first, where the phone keeps them 30 days.",
                Disposal::Permanent => "They are deleted from the phone at once.",
            }
        )
    }

    /// The choice the confirmation starts with: the phone's trash where it has one.
    #[must_use]
    pub fn default_disposal(&self) -> Disposal {
        if crate::freeup::has_trash(self.sdk) { Disposal::Trash } else { Disposal::Permanent }
    }

    /// Takes how the removal ended: the report, and the removed files leave the grid.
    pub fn set_removal(&mut self, result: Result<Removal, FreeUpFailure>) {
        self.removing = false;
        let (removal, failure) = match result {
            Ok(removal) => (Some(removal), None),
            Err(mut failure) => (failure.so_far.take(), Some(failure)),
        };
        if let Some(removal) = &removal {
            self.removed.extend(removal.removed.iter().map(|(f, _)| f.path.clone()));
            self.freed.extend(removal.removed.iter().map(|(_, e)| e.local_path.0.clone()));
            let gone = &self.removed;
            self.proven.retain(|(f, _)| !gone.contains(&f.path));
            self.refresh_grid(now());
        }
        self.report = Some(match (failure, removal) {
            (None, Some(removal)) => self.report_of(&removal),
            (Some(failure), _) if failure.trash_refused => FreeUpReport {
                headline: format!(
                    "{} would not move them to its trash from the shell ({}), so nothing more was removed. \
                     Remove them permanently instead, or keep them.",
                    self.phone, failure.said
                ),
                failed: true,
                trash_refused: true,
                not_removed: Vec::new(),
                gallery_problem: None,
            },
            (failure, _) => FreeUpReport {
                headline: format!("The free-up stopped: {}", failure.map_or_else(String::new, |f| f.said)),
                failed: true,
                trash_refused: false,
                not_removed: Vec::new(),
                gallery_problem: None,
            },
        });
    }

    /// Takes how "Put them back" ended: the files are on the phone again.
    pub fn set_put_back(&mut self, result: Result<crate::restore::RestoreReport, String>) {
        self.putting_back = false;
        self.put_back = Some(result.and_then(|report| {
            let back = report.restored.len() + usize::try_from(report.already_there).unwrap_or(usize::MAX);
            let mut text = format!(
                "Put back {} on {} from the backup, with their dates; the phone's gallery shows them again.",
                files_text(back),
                self.phone
            );
            if !report.failed.is_empty() {
                let _ = write!(text, " {} could not be put back:", report.failed.len());
                for f in &report.failed {
                    let _ = write!(text, " {} ({});", String::from_utf8_lossy(&f.phone_path), f.reason);
                }
                return Err(text);
            }
            Ok(text)
        }));
        if matches!(self.put_back, Some(Ok(_))) {
            self.freed.clear();
            self.removed.clear();
        }
    }

    fn report_of(&self, removal: &Removal) -> FreeUpReport {
        let mut headline = match removal.disposal {
            Disposal::Permanent => format!(
                "Removed {} photos and videos ({}) from {}; they stay in {}.",
                removal.removed.len(),
                human_bytes(removal.bytes()),
                self.phone,
                self.dest.display()
            ),
            Disposal::Trash => format!(
                "Moved {} photos and videos ({}) on {} to its trash (the phone deletes them in 30 days); they stay \
                 in {}.",
                removal.removed.len(),
                human_bytes(removal.bytes()),
                self.phone,
                self.dest.display()
            ),
        };
        if !removal.failed.is_empty() {
            let _ = write!(headline, " {} could not be removed (listed below).", removal.failed.len());
        }
        FreeUpReport {
            headline,
            failed: !removal.failed.is_empty(),
            trash_refused: false,
            not_removed: removal
                .failed
                .iter()
                .map(|(f, why)| format!("Not removed: {}: {why}", String::from_utf8_lossy(&f.path)))
                .collect(),
            gallery_problem: removal.gallery_problem.clone(),
        }
    }
}

/// Draws the free-up screen.
pub fn freeup_ui(ui: &mut egui::Ui, view: &mut FreeUpView, textures: &mut Textures) -> Option<FreeUpCommand> {
    let mut command = None;
    egui::Panel::top("freeup-top").show(ui, |ui| {
        ui.add_space(4.0);
        ui.horizontal(|ui| {
            if ui.add_enabled(!view.removing, egui::Button::new("Back to the phone")).clicked() {
                command = Some(FreeUpCommand::Back);
            }
            ui.heading(format!("Free up space on {}", view.phone));
        });
        ui.horizontal(|ui| {
            ui.label("Backup folder:");
            ui.monospace(view.dest.display().to_string());
        });
        if let Some(at) = &view.proving {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label(if at.is_empty() { "Reading the phone's gallery…" } else { at.as_str() });
            });
            if ui.button("Cancel").clicked() {
                command = Some(FreeUpCommand::Cancel);
            }
        }
        if let Some(e) = &view.error {
            ui.colored_label(ui.visuals().error_fg_color, e);
        }
        if view.proved
            && let Some(c) = proof_ui(ui, view)
        {
            command = Some(c);
        }
        if let Some(c) = report_ui(ui, view) {
            command = Some(c);
        }
        ui.add_space(4.0);
    });
    let ctx = ui.ctx().clone();
    if let Some(c) = confirm_ui(&ctx, view) {
        command = Some(c);
    }
    egui::CentralPanel::default().show(ui, |ui| match view.grid.show(ui, textures) {
        Some(GridCommand::Preview(n)) => command = Some(FreeUpCommand::Preview(n)),
        Some(GridCommand::ClosePreview) => command = Some(FreeUpCommand::ClosePreview),
        None => {}
    });
    command
}

/// What the proof says: how many can be removed, the ones kept (why), the filter and the Remove button.
fn proof_ui(ui: &mut egui::Ui, view: &mut FreeUpView) -> Option<FreeUpCommand> {
    let mut command = None;
    ui.label(egui::RichText::new(view.headline()).strong());
    if !view.kept.is_empty() {
        let title = format!("{} are kept on the phone", view.kept.len());
        egui::CollapsingHeader::new(title).id_salt("freeup-kept").show(ui, |ui| {
            egui::ScrollArea::vertical().id_salt("freeup-kept-list").max_height(140.0).show(ui, |ui| {
                for (file, kept) in &view.kept {
                    ui.label(format!("{}: {}", String::from_utf8_lossy(&file.path), kept.describe()));
                }
            });
        });
    }
    if view.proven.is_empty() || view.report.is_some() {
        return None;
    }
    if let Some(line) = view.duplicates_line() {
        ui.horizontal(|ui| {
            ui.label(line);
            if ui.button("Tick only the duplicates").clicked() {
                command = Some(FreeUpCommand::OnlyDuplicates);
            }
        });
    }
    ui.horizontal(|ui| {
        let mut on = view.older_than.is_some();
        let changed_on = ui.checkbox(&mut on, "Only older than").changed();
        let days = ui.add(egui::DragValue::new(&mut view.older_than_days).range(1..=36_500).suffix(" days"));
        if changed_on || (on && days.changed()) {
            view.older_than = on.then_some(view.older_than_days);
            command = Some(FreeUpCommand::FilterChanged);
        }
    });
    ui.horizontal(|ui| {
        let (n, _, _) = view.ticked();
        let text = egui::RichText::new(view.remove_label()).size(18.0).strong();
        let ready = n > 0 && !view.removing && view.confirm.is_none();
        if ui.add_enabled(ready, egui::Button::new(text).min_size(egui::vec2(120.0, 32.0))).clicked() {
            command = Some(FreeUpCommand::AskRemove);
        }
        if n == 0 {
            ui.weak("Tick the photos to remove (ctrl-click adds or removes one).");
        } else {
            ui.weak("Ctrl-click a photo to untick or tick it.");
        }
    });
    if view.removing {
        ui.horizontal(|ui| {
            ui.spinner();
            ui.label("Removing from the phone (each file is written in the backup folder's journal first)…");
        });
    }
    command
}

/// The report of a removal, with its buttons.
fn report_ui(ui: &mut egui::Ui, view: &FreeUpView) -> Option<FreeUpCommand> {
    let report = view.report.as_ref()?;
    let mut command = None;
    ui.separator();
    if report.failed && report.headline.starts_with("The free-up stopped") {
        ui.colored_label(ui.visuals().error_fg_color, &report.headline);
    } else {
        ui.label(egui::RichText::new(&report.headline).strong());
    }
    if !report.not_removed.is_empty() {
        egui::ScrollArea::vertical().id_salt("freeup-not-removed").max_height(120.0).show(ui, |ui| {
            for line in &report.not_removed {
                ui.colored_label(ui.visuals().warn_fg_color, line);
            }
        });
    }
    if let Some(problem) = &report.gallery_problem {
        ui.colored_label(
            ui.visuals().warn_fg_color,
            format!("The phone's gallery may show them until it scans again: {problem}"),
        );
    }
    ui.horizontal(|ui| {
        if ui.add_enabled(!view.putting_back, egui::Button::new("Done")).clicked() {
            command = Some(FreeUpCommand::Done);
        }
        if report.trash_refused && ui.button("Remove permanently instead…").clicked() {
            command = Some(FreeUpCommand::AskPermanent);
        }
        if !view.freed.is_empty() {
            let put_back = egui::Button::new(format!("Put them back ({})", files_text(view.freed.len())));
            if ui.add_enabled(!view.putting_back, put_back).clicked() {
                command = Some(FreeUpCommand::PutBack);
            }
        }
        if view.putting_back {
            ui.spinner();
            ui.label("Copying them back to the phone from the backup…");
        }
    });
    match &view.put_back {
        Some(Ok(text)) => {
            ui.label(text);
        }
        Some(Err(e)) => {
            ui.colored_label(ui.visuals().error_fg_color, e);
        }
        None => {}
    }
    command
}

/// Asks before removing, naming the phone and the backup folder the files stay in.
fn confirm_ui(ctx: &egui::Context, view: &mut FreeUpView) -> Option<FreeUpCommand> {
    let text = view.confirm_text(view.confirm.as_ref()?);
    let has_trash = crate::freeup::has_trash(view.sdk);
    let mut command = None;
    let modal = egui::Modal::new(egui::Id::unique("phonebak-freeup-confirm")).show(ctx, |ui| {
        ui.heading("Remove them from the phone?");
        ui.label(text);
        if let Some(confirm) = view.confirm.as_mut() {
            if has_trash {
                ui.radio_value(&mut confirm.disposal, Disposal::Trash, "Move to the phone's trash (kept 30 days)");
                ui.radio_value(&mut confirm.disposal, Disposal::Permanent, "Remove permanently");
            } else {
                ui.weak("This phone (Android 10 or older) has no trash: they are removed permanently.");
            }
        }
        ui.horizontal(|ui| {
            if ui.button("Cancel").clicked() {
                command = Some(FreeUpCommand::CancelRemove);
            }
            if ui.button("Remove").clicked() {
                command = Some(FreeUpCommand::Remove);
            }
        });
    });
    // Esc or a click beside it is a no.
    if command.is_none() && modal.should_close() {
        command = Some(FreeUpCommand::CancelRemove);
    }
    command
}

impl App {
    /// Opens the free-up screen of the open phone against the backup folder, and proves on a thread.
    pub(super) fn start_freeup(&mut self) {
        let Some(view) = &self.backup else { return };
        let (Some(dest), false) = (view.dest.clone(), view.phone_serial.is_empty()) else { return };
        let vault = self.vaults.get(&dest).cloned();
        if view.locked || view.job.is_some() {
            return;
        }
        let serial = view.serial.clone();
        self.freeup = Some(FreeUpView::new(view.phone.clone(), serial.clone(), dest.clone()));
        self.preview = None;
        self.screen = Screen::FreeUp;
        self.freeup_cancel.cancel();
        self.freeup_cancel = CancelToken::new();
        let (tx, ctx, source, cancel) =
            (self.events_tx.clone(), self.ctx.clone(), self.options.adb.clone(), self.freeup_cancel.clone());
        tracing::info!(serial, dest = %dest.display(), "free-up proof started from the app");
        Self::spawn("freeup-prove", move || {
            let at = |text: String| {
                // Progress may be dropped when the app is behind; the result never is.
                if tx.try_send(Event::FreeUpAt(text)).is_ok() {
                    ctx.request_repaint();
                }
            };
            let proved = source.device(&serial).and_then(|device| {
                let info = device.info().map_err(|e| e.to_string())?;
                let manifest = Manifest::load_in(&dest, &info.serial, vault.as_deref())
                    .map_err(|e| e.to_string())?
                    .ok_or_else(|| {
                        format!(
                            "{} holds no backup of {} ({}): nothing can be removed from it.",
                            dest.display(),
                            info.model,
                            info.serial
                        )
                    })?;
                let progress = |p: crate::scan::ScanProgress<'_>| {
                    at(format!(
                        "Reading the phone's gallery… {} folders read, {} photos and videos",
                        p.folders_listed, p.media_found
                    ));
                };
                let gallery = crate::scan::scan(&device, &crate::scan::ScanOptions::default(), &progress, &cancel)
                    .map_err(|e| e.to_string())?;
                let files: Vec<MediaFile> = gallery.files().cloned().collect();
                at(format!(
                    "Checking {} photos and videos: re-reading each backup copy and asking the phone for its \
                     checksum…",
                    files.len()
                ));
                let proof = crate::freeup::prove(&device, &dest, &manifest, vault.as_deref(), &files, &cancel)
                    .map_err(|e| e.to_string())?;
                Ok(Proved { proof, model: info.model, sdk: info.sdk })
            });
            if !cancel.is_cancelled() {
                let _ = tx.send(Event::FreeUpProved(serial, proved));
                ctx.request_repaint();
            }
        });
    }

    /// Removes the ticked proven files on a thread.
    fn start_removal(&mut self) {
        let Some(view) = &mut self.freeup else { return };
        let Some(confirm) = view.confirm.take() else { return };
        let proven = view.selected();
        if proven.is_empty() || view.removing || confirm.files != proven.len() {
            return;
        }
        view.removing = true;
        view.report = None;
        self.job_cancel = CancelToken::new();
        let (serial, dest, sdk, disposal) = (view.serial.clone(), view.dest.clone(), view.sdk, confirm.disposal);
        let vault = self.vaults.get(&dest).cloned();
        let (tx, ctx, source, cancel) =
            (self.events_tx.clone(), self.ctx.clone(), self.options.adb.clone(), self.job_cancel.clone());
        tracing::info!(serial, files = proven.len(), dest = %dest.display(), "free-up removal started from the app");
        Self::spawn("freeup-remove", move || {
            let proof = Proof { proven, kept: Vec::new() };
            let failure = |said: String| FreeUpFailure { said, trash_refused: false, so_far: None };
            let result = source.device(&serial).map_err(failure).and_then(|device| {
                let info = device.info().map_err(|e| failure(e.to_string()))?;
                crate::freeup::remove(&device, &dest, &info.serial, vault.as_deref(), sdk, &proof, disposal, &cancel)
                    .map_err(|e| match e {
                        crate::freeup::FreeUpError::TrashRefused { said, so_far } => {
                            FreeUpFailure { said, trash_refused: true, so_far: Some(*so_far) }
                        }
                        e => failure(e.to_string()),
                    })
            });
            let _ = tx.send(Event::FreeUpRemoved(serial, result));
            ctx.request_repaint();
        });
    }

    /// Restores what the free-up screen removed, from the backup folder onto the same phone, on a thread.
    fn start_put_back(&mut self) {
        let Some(view) = &mut self.freeup else { return };
        if view.freed.is_empty() || view.putting_back || view.removing {
            return;
        }
        view.putting_back = true;
        view.put_back = None;
        let local_paths: HashSet<Vec<u8>> = view.freed.iter().cloned().collect();
        let (serial, dest) = (view.serial.clone(), view.dest.clone());
        let vault = self.vaults.get(&dest).cloned();
        self.job_cancel = CancelToken::new();
        let (tx, ctx, source, cancel) =
            (self.events_tx.clone(), self.ctx.clone(), self.options.adb.clone(), self.job_cancel.clone());
        tracing::info!(serial, files = local_paths.len(), "put them back started from the app");
        Self::spawn("freeup-putback", move || {
            let result = source.device(&serial).and_then(|device| {
                let info = device.info().map_err(|e| e.to_string())?;
                let backup = crate::restore::open_backup_in(&dest, vault.clone()).map_err(|e| e.to_string())?;
                let phone = backup.phone(Some(&info.serial), Some(&info.serial)).map_err(|e| e.to_string())?.clone();
                let selection = crate::restore::Selection { local_paths: Some(local_paths), ..Default::default() };
                let selected = crate::restore::select(&dest, &phone, &selection).map_err(|e| e.to_string())?;
                let none = crate::progress::NoProgress;
                let plan = crate::restore::plan_in(&dest, vault, &phone.serial, selected, &device, &none, &cancel)
                    .map_err(|e| e.to_string())?;
                crate::restore::execute(&plan, &device, &none, &cancel).map_err(|e| e.to_string())
            });
            let _ = tx.send(Event::FreeUpPutBack(serial, result));
            ctx.request_repaint();
        });
    }

    /// Back to the phone's screen; the files removed leave its list.
    fn close_freeup(&mut self) {
        self.freeup_cancel.cancel();
        self.preview = None;
        self.screen = Screen::Backup;
        if let Some(freeup) = self.freeup.take()
            && let Some(view) = &mut self.backup
        {
            if freeup.report.as_ref().is_some_and(|r| r.failed) {
                // What is left on the phone is not known for sure: read it again.
                let serial = view.serial.clone();
                self.open(serial);
                return;
            }
            if !freeup.removed.is_empty() {
                drop_removed(&mut view.folders, &freeup.removed);
                view.refresh_grid();
            }
        }
        self.mark_grid_wanted();
    }

    pub(super) fn carry_out_freeup(&mut self, command: FreeUpCommand) {
        match command {
            FreeUpCommand::PutBack => self.start_put_back(),
            FreeUpCommand::AskPermanent => {
                if let Some(view) = &mut self.freeup
                    && !view.removing
                {
                    let (files, bytes, _) = view.ticked();
                    if files > 0 {
                        view.report = None;
                        view.confirm = Some(Confirm { files, bytes, disposal: Disposal::Permanent });
                    }
                }
            }
            FreeUpCommand::OnlyDuplicates => {
                if let Some(view) = &mut self.freeup {
                    view.tick_only_duplicates();
                }
            }
            FreeUpCommand::Back | FreeUpCommand::Done => {
                if !self.freeup.as_ref().is_some_and(|v| v.removing || v.putting_back) {
                    self.close_freeup();
                }
            }
            // Proving only reads: stopping it leaves nothing behind.
            FreeUpCommand::Cancel => self.close_freeup(),
            FreeUpCommand::FilterChanged => {
                if let Some(view) = &mut self.freeup {
                    view.refresh_grid(now());
                }
            }
            FreeUpCommand::AskRemove => {
                if let Some(view) = &mut self.freeup
                    && !view.removing
                {
                    let (files, bytes, _) = view.ticked();
                    if files > 0 {
                        let disposal = view.default_disposal();
                        view.confirm = Some(Confirm { files, bytes, disposal });
                    }
                }
            }
            FreeUpCommand::CancelRemove => {
                if let Some(view) = &mut self.freeup {
                    view.confirm = None;
                }
            }
            FreeUpCommand::Remove => self.start_removal(),
            FreeUpCommand::Preview(n) => self.open_preview(n),
            FreeUpCommand::ClosePreview => self.preview = None,
        }
    }
}

/// Takes the removed files out of the phone's folders (their counts, bytes and dates follow; a folder left
/// empty goes).
fn drop_removed(folders: &mut Vec<(crate::scan::Folder, bool)>, removed: &HashSet<Vec<u8>>) {
    for (folder, _) in folders.iter_mut() {
        let before = folder.files.len();
        folder.files.retain(|f| !removed.contains(&f.path));
        if folder.files.len() != before {
            folder.videos = folder.files.iter().filter(|f| f.kind == MediaKind::Video).count();
            folder.photos = folder.files.len() - folder.videos;
            folder.bytes = folder.files.iter().map(|f| f.size).sum();
            folder.oldest = folder.files.iter().map(|f| f.mtime).min().unwrap_or(0);
            folder.newest = folder.files.iter().map(|f| f.mtime).max().unwrap_or(0);
        }
    }
    folders.retain(|(f, _)| !f.files.is_empty());
}
