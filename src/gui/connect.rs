//! The Connect screen: every phone adb sees, in every state, with the one step that makes it usable; phones on
//! USB that adb does not see; and the demo phone for people without one. It only draws: what the user asks
//! for comes back as a [`ConnectCommand`].

use crate::device::{DeviceEntry, DeviceState, UsbPhone, udev_guidance};
use eframe::egui;

/// Steps for someone with no phone showing at all.
pub const NO_PHONE_STEPS: &str = "Connect the phone with a USB cable and unlock it. Then turn on USB debugging: on \
    the phone open Settings > About phone and tap \"Build number\" seven times (on Xiaomi phones: \"MIUI \
    version\"), then open Settings > System > Developer options and turn on \"USB debugging\". Tap Allow when \
    the phone asks \"Allow USB debugging?\".";

/// What the Connect screen shows.
#[derive(Debug, Clone, Default)]
pub struct ConnectView {
    /// adb could not be found or started: what to do.
    pub adb_problem: Option<String>,
    /// Whether the phone list has been read at least once.
    pub listed: bool,
    /// The phones adb lists.
    pub phones: Vec<DeviceEntry>,
    /// Phones on USB that adb does not list.
    pub unlisted: Vec<UsbPhone>,
    /// The demo phone is starting.
    pub demo_starting: bool,
    /// The demo phone runs (and is listed with the phones).
    pub demo_running: bool,
    /// Why the demo phone could not start.
    pub demo_error: Option<String>,
}

/// What the user asked for on the Connect screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConnectCommand {
    /// Start the demo phone.
    TryDemo,
    /// Copy this text (the udev rule) to the clipboard.
    Copy(String),
    /// Open this (ready) phone, by its adb serial.
    Open(String),
}

/// Draws the Connect screen.
pub fn connect_ui(ui: &mut egui::Ui, view: &ConnectView) -> Option<ConnectCommand> {
    let mut command = None;
    ui.heading("Connect your phone");
    ui.add_space(8.0);
    if let Some(problem) = &view.adb_problem {
        ui.label(egui::RichText::new("phonebak needs adb (Android Debug Bridge) to talk to the phone.").strong());
        ui.label(problem);
    } else if !view.listed {
        ui.horizontal(|ui| {
            ui.spinner();
            ui.label("Looking for phones…");
        });
    } else if view.phones.is_empty() && view.unlisted.is_empty() {
        ui.label(egui::RichText::new("No phone found.").strong());
        ui.label(NO_PHONE_STEPS);
    }
    for phone in &view.phones {
        ui.add_space(6.0);
        ui.group(|ui| {
            ui.label(egui::RichText::new(phone.display_name()).strong());
            ui.label(format!("{}: {}", phone.serial, state_text(&phone.state)));
            if phone.state.is_ready() {
                ui.label("Ready.");
                if ui.button("Back up this phone").clicked() {
                    command = Some(ConnectCommand::Open(phone.serial.clone()));
                }
            } else {
                ui.label(phone.guidance());
                if let DeviceState::NoPermissions(_) = phone.state {
                    let rule = udev_guidance(phone.usb_vendor_id);
                    if ui.button("Copy the udev rule").clicked() {
                        command = Some(ConnectCommand::Copy(rule));
                    }
                }
            }
        });
    }
    for usb in &view.unlisted {
        ui.add_space(6.0);
        ui.group(|ui| {
            ui.label(egui::RichText::new(usb.display_name()).strong());
            ui.label("On USB, but adb does not see it.");
            ui.label(usb.guidance());
        });
    }
    ui.add_space(16.0);
    ui.separator();
    if view.demo_running {
        ui.label("The demo phone is running: it is the \"Demo Phone\" above, with a sample gallery of 200 photos.");
    } else {
        ui.label("No phone at hand? The demo phone is a virtual Android phone with a sample gallery.");
        if view.demo_starting {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label("Starting the demo phone…");
            });
        } else if ui.button("Try the demo phone").clicked() {
            command = Some(ConnectCommand::TryDemo);
        }
    }
    if let Some(error) = &view.demo_error {
        ui.colored_label(ui.visuals().error_fg_color, error);
    }
    command
}

/// A state in words.
fn state_text(state: &DeviceState) -> &'static str {
    match state {
        DeviceState::Device => "connected",
        DeviceState::Unauthorized => "waiting for you to allow this computer",
        DeviceState::Authorizing => "checking this computer",
        DeviceState::Offline => "not answering",
        DeviceState::NoPermissions(_) => "this computer may not open it",
        DeviceState::Connecting => "connecting",
        DeviceState::Other(_) => "not running Android normally",
    }
}
