//! The phone's gallery folders, the left side of the Backup screen: each with its photos, videos, size, dates
//! and a checkbox, and what the ticked ones add up to. It only draws and keeps its ticks.

use crate::human::{date, human_bytes};
use crate::scan::Folder;
use eframe::egui;

/// What the gallery side shows.
#[derive(Debug, Clone, Default)]
pub struct GalleryView {
    /// The phone's name.
    pub phone: String,
    /// The scan is running; what it is at.
    pub scanning: Option<String>,
    /// Why the scan failed.
    pub error: Option<String>,
    /// The folders, in the scan's order, each with whether it is ticked.
    pub folders: Vec<(Folder, bool)>,
}

impl GalleryView {
    /// Photos, videos and bytes of the ticked folders.
    #[must_use]
    pub fn ticked(&self) -> (usize, usize, u64) {
        self.folders
            .iter()
            .filter(|(_, on)| *on)
            .fold((0, 0, 0), |(p, v, b), (f, _)| (p + f.photos, v + f.videos, b + f.bytes))
    }
}

/// What the user asked for on the gallery side.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GalleryCommand {
    /// Back to the Connect screen.
    Back,
}

/// Draws the phone's folders with their checkboxes and the total of the ticked ones.
pub fn gallery_ui(ui: &mut egui::Ui, view: &mut GalleryView) -> Option<GalleryCommand> {
    let mut command = None;
    ui.horizontal(|ui| {
        if ui.button("Back to phones").clicked() {
            command = Some(GalleryCommand::Back);
        }
        ui.heading(&view.phone);
    });
    ui.add_space(6.0);
    if let Some(at) = &view.scanning {
        ui.horizontal(|ui| {
            ui.spinner();
            ui.label(format!("Reading the phone's gallery… {at}"));
        });
    }
    if let Some(error) = &view.error {
        ui.colored_label(ui.visuals().error_fg_color, error);
    }
    if view.scanning.is_none() && view.error.is_none() && view.folders.is_empty() {
        ui.label("The phone has no photos or videos.");
    }
    for (folder, on) in &mut view.folders {
        let counts = match (folder.photos, folder.videos) {
            (p, 0) => format!("{p} photos"),
            (0, v) => format!("{v} videos"),
            (p, v) => format!("{p} photos, {v} videos"),
        };
        let dates = if date(folder.oldest) == date(folder.newest) {
            date(folder.newest)
        } else {
            format!("{} – {}", date(folder.oldest), date(folder.newest))
        };
        ui.checkbox(on, format!("{}: {counts}, {}, {dates}", folder.name, human_bytes(folder.bytes)));
    }
    if !view.folders.is_empty() {
        ui.separator();
        let (photos, videos, bytes) = view.ticked();
        ui.label(format!("Chosen: {photos} photos and {videos} videos, {}", human_bytes(bytes)));
    }
    command
}
