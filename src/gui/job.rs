//! A running backup or restore as the window shows it (progress, speed, time left, the current file, Cancel),
//! and how it ended (a summary, the files that failed, a button opening the folder).

use crate::human::human_bytes;
use crate::progress::{Phase, ProgressState};
use eframe::egui;
use std::fmt::Write as _;
use std::path::PathBuf;

/// A backup or restore running on a background thread.
#[derive(Debug, Clone)]
pub struct Job {
    /// "Backing up", "Restoring".
    pub doing: &'static str,
    /// The latest progress, once there is some.
    pub state: Option<ProgressState>,
    /// Cancel was pressed; the work is finishing the file at hand.
    pub cancelling: bool,
}

/// How a backup or restore ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// One line: what was done, or why it stopped.
    pub headline: String,
    /// It stopped on an error (shown in the error colour).
    pub failed: bool,
    /// Details: files that failed, files skipped or renamed.
    pub lines: Vec<String>,
    /// The folder an "Open folder" button opens.
    pub folder: Option<PathBuf>,
}

/// What the outcome's buttons ask for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OutcomeCommand {
    /// Open this folder in the file manager.
    Open(PathBuf),
}

fn phase_text(phase: Phase) -> &'static str {
    match phase {
        Phase::Starting => "Starting",
        Phase::Checking => "Checking what the phone holds",
        Phase::Pulling => "Copying from the phone",
        Phase::Pushing => "Copying to the phone",
        Phase::Verifying => "Verifying",
        Phase::Indexing => "Adding to the phone's gallery",
        Phase::Finished => "Finishing",
    }
}

/// "1 min 05 s", "12 s".
fn duration_text(d: std::time::Duration) -> String {
    let secs = d.as_secs();
    if secs >= 3600 {
        format!("{} h {:02} min", secs / 3600, secs % 3600 / 60)
    } else if secs >= 60 {
        format!("{} min {:02} s", secs / 60, secs % 60)
    } else {
        format!("{secs} s")
    }
}

/// Draws a running job; true when Cancel was clicked.
pub fn job_ui(ui: &mut egui::Ui, job: &Job) -> bool {
    let mut cancel = false;
    ui.separator();
    match &job.state {
        None => {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label(format!("{}…", job.doing));
            });
        }
        Some(state) => {
            let fraction = if state.bytes_total > 0 { state.bytes_done as f32 / state.bytes_total as f32 } else { 0.0 };
            ui.add(egui::ProgressBar::new(fraction).show_percentage().animate(true));
            let mut line = format!(
                "{}: {} of {} files, {} of {}",
                phase_text(state.phase),
                state.files_done,
                state.files_total,
                human_bytes(state.bytes_done),
                human_bytes(state.bytes_total)
            );
            if state.bytes_per_sec > 0.0 {
                let _ = write!(line, ", {}/s", human_bytes(state.bytes_per_sec as u64));
            }
            if let Some(eta) = state.eta {
                let _ = write!(line, ", about {} left", duration_text(eta));
            }
            ui.label(line);
            if let Some(file) = &state.current_file {
                ui.weak(String::from_utf8_lossy(file).into_owned());
            }
        }
    }
    ui.horizontal(|ui| {
        if job.cancelling {
            ui.spinner();
            ui.label("Stopping after the file at hand; everything verified so far is kept…");
        } else if ui.button("Cancel").clicked() {
            cancel = true;
        }
    });
    cancel
}

/// Draws how a job ended.
pub fn outcome_ui(ui: &mut egui::Ui, outcome: &Outcome) -> Option<OutcomeCommand> {
    let mut command = None;
    ui.separator();
    // The headline wraps: a backup of several kinds says a sentence for each (photos, contacts, messages...).
    let headline = if outcome.failed {
        egui::RichText::new(&outcome.headline).color(ui.visuals().error_fg_color)
    } else {
        egui::RichText::new(&outcome.headline).strong()
    };
    ui.add(egui::Label::new(headline).wrap());
    if let Some(folder) = &outcome.folder
        && ui.button("Open folder").clicked()
    {
        command = Some(OutcomeCommand::Open(folder.clone()));
    }
    if !outcome.lines.is_empty() {
        egui::ScrollArea::vertical().id_salt("outcome-lines").max_height(120.0).show(ui, |ui| {
            for line in &outcome.lines {
                ui.label(line);
            }
        });
    }
    command
}
