//! The desktop app (eframe/egui). `phonebak` with no arguments opens it.
//!
//! As in rerun's viewer, [`eframe::App::logic`] drains what background threads report and carries out the
//! commands the screens asked for; [`eframe::App::ui`] only draws. Background work runs on named threads that
//! talk to the app over bounded channels and call `request_repaint` after each message, so the window never
//! waits on a phone.
//!
//! What exists so far: the Connect screen, fed by a thread that watches adb's phone list, and the demo phone
//! (a virtual phone with a sample gallery, started in-process and connected to the adb server).

mod connect;
mod gallery;

pub use connect::{ConnectCommand, ConnectView, NO_PHONE_STEPS, connect_ui};
pub use gallery::{GalleryCommand, GalleryView, gallery_ui};

use crate::device::{Adb, DeviceEntry, UsbPhone};
use crate::progress::CancelToken;
use crate::virtual_phone::sample::SampleOptions;
use crate::virtual_phone::{Config, LinkModel, StorageSource, VirtualPhone};
pub use eframe::egui;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::time::Duration;

/// How often the phone list is read again.
const WATCH_INTERVAL: Duration = Duration::from_secs(1);

/// What background threads report.
enum Event {
    /// A fresh look at adb's phones.
    Devices(Result<(Vec<DeviceEntry>, Vec<UsbPhone>), String>),
    /// The demo phone started (kept running while the app runs) or could not.
    Demo(Result<VirtualPhone, String>),
    /// The gallery scan of the open phone is at this folder.
    ScanAt(String),
    /// The gallery scan of the open phone ended.
    Scanned(Result<crate::scan::Gallery, String>),
}

/// Which screen shows.
enum Screen {
    Connect,
    Gallery(GalleryView),
}

/// Which adb server the app talks to.
#[derive(Debug, Clone)]
pub enum AdbSource {
    /// Find adb each time it is needed (it may be installed while the app runs), on the usual server port.
    Find,
    /// This one (tests use a private server).
    Fixed(Adb),
}

impl AdbSource {
    fn get(&self) -> Result<Adb, String> {
        match self {
            Self::Find => Adb::find().map_err(|e| e.to_string()),
            Self::Fixed(adb) => Ok(adb.clone()),
        }
    }
}

/// The app's state.
pub struct App {
    ctx: egui::Context,
    adb: AdbSource,
    events_tx: SyncSender<Event>,
    events: Receiver<Event>,
    stop: Arc<AtomicBool>,
    connect: ConnectView,
    pending: Option<ConnectCommand>,
    back: bool,
    demo: Option<VirtualPhone>,
    screen: Screen,
    /// Stops the running gallery scan.
    scan_cancel: CancelToken,
}

impl App {
    /// Starts the app's background threads; `ctx` is the context they wake.
    ///
    /// # Errors
    /// When a thread cannot be started.
    pub fn new(ctx: egui::Context, adb: AdbSource) -> std::io::Result<Self> {
        let (events_tx, events) = sync_channel(16);
        let stop = Arc::new(AtomicBool::new(false));
        let connect = ConnectView::default();
        let app = Self {
            ctx,
            adb,
            events_tx,
            events,
            stop,
            connect,
            pending: None,
            back: false,
            demo: None,
            screen: Screen::Connect,
            scan_cancel: CancelToken::new(),
        };
        app.watch_devices()?;
        Ok(app)
    }

    /// What the Connect screen shows now.
    #[must_use]
    pub fn connect_view(&self) -> &ConnectView {
        &self.connect
    }

    /// The open phone's gallery, when its screen shows.
    #[must_use]
    pub fn gallery_view(&self) -> Option<&GalleryView> {
        match &self.screen {
            Screen::Gallery(view) => Some(view),
            Screen::Connect => None,
        }
    }

    /// The demo phone, once started.
    #[must_use]
    pub fn demo_phone(&self) -> Option<&VirtualPhone> {
        self.demo.as_ref()
    }

    /// Starts the thread that reads adb's phone list every second.
    fn watch_devices(&self) -> std::io::Result<()> {
        let (tx, ctx, stop) = (self.events_tx.clone(), self.ctx.clone(), Arc::clone(&self.stop));
        let source = self.adb.clone();
        std::thread::Builder::new().name("device-watch".to_string()).spawn(move || {
            while !stop.load(Ordering::SeqCst) {
                let seen = source.get().and_then(|adb| {
                    let listed = adb.devices().map_err(|e| e.to_string())?;
                    let unlisted = adb.unlisted_usb_phones(&listed);
                    Ok((listed, unlisted))
                });
                // A full channel means the app is behind: this look is dropped, the next one comes.
                let _ = tx.try_send(Event::Devices(seen));
                ctx.request_repaint();
                std::thread::sleep(WATCH_INTERVAL);
            }
        })?;
        Ok(())
    }

    /// Starts the demo phone on a thread: a sample gallery of 200 photos on the USB 3 link model, connected to
    /// the adb server so that it shows up like a phone on Wi-Fi.
    fn start_demo(&mut self) {
        self.connect.demo_starting = true;
        self.connect.demo_error = None;
        let (tx, ctx, source) = (self.events_tx.clone(), self.ctx.clone(), self.adb.clone());
        let spawned = std::thread::Builder::new().name("demo-phone".to_string()).spawn(move || {
            let started = start_demo_phone(&source);
            let _ = tx.send(Event::Demo(started));
            ctx.request_repaint();
        });
        if let Err(e) = spawned {
            self.connect.demo_starting = false;
            self.connect.demo_error = Some(format!("Could not start the demo phone: {e}"));
        }
    }

    /// Opens a ready phone: its gallery screen, and a thread that scans it.
    fn open(&mut self, serial: String) {
        let name = self
            .connect
            .phones
            .iter()
            .find(|p| p.serial == serial)
            .map_or_else(|| serial.clone(), DeviceEntry::display_name);
        self.scan_cancel.cancel();
        self.scan_cancel = CancelToken::new();
        self.screen =
            Screen::Gallery(GalleryView { phone: name, scanning: Some(String::new()), ..GalleryView::default() });
        let (tx, ctx, source, cancel) =
            (self.events_tx.clone(), self.ctx.clone(), self.adb.clone(), self.scan_cancel.clone());
        let spawned = std::thread::Builder::new().name("gallery-scan".to_string()).spawn(move || {
            let progress = |p: crate::scan::ScanProgress<'_>| {
                let at = format!("{} folders read, {} photos and videos", p.folders_listed, p.media_found);
                // Progress may be dropped when the app is behind; the result never is.
                if tx.try_send(Event::ScanAt(at)).is_ok() {
                    ctx.request_repaint();
                }
            };
            let scanned =
                source.get().and_then(|adb| adb.device(&serial).map_err(|e| e.to_string())).and_then(|device| {
                    crate::scan::scan(&device, &crate::scan::ScanOptions::default(), &progress, &cancel)
                        .map_err(|e| e.to_string())
                });
            if !cancel.is_cancelled() {
                let _ = tx.send(Event::Scanned(scanned));
                ctx.request_repaint();
            }
        });
        if let Err(e) = spawned
            && let Screen::Gallery(view) = &mut self.screen
        {
            view.scanning = None;
            view.error = Some(format!("Could not start reading the phone: {e}"));
        }
    }

    /// Takes what background threads reported and carries out the screens' commands. No drawing.
    pub fn logic(&mut self) {
        while let Ok(event) = self.events.try_recv() {
            match event {
                Event::Devices(Ok((phones, unlisted))) => {
                    self.connect.adb_problem = None;
                    self.connect.listed = true;
                    self.connect.phones = phones;
                    self.connect.unlisted = unlisted;
                }
                Event::Devices(Err(problem)) => {
                    self.connect.adb_problem = Some(problem);
                    self.connect.listed = true;
                }
                Event::ScanAt(at) => {
                    if let Screen::Gallery(view) = &mut self.screen
                        && view.scanning.is_some()
                    {
                        view.scanning = Some(at);
                    }
                }
                Event::Scanned(result) => {
                    if let Screen::Gallery(view) = &mut self.screen {
                        view.scanning = None;
                        match result {
                            Ok(gallery) => view.folders = gallery.folders.into_iter().map(|f| (f, true)).collect(),
                            Err(e) => view.error = Some(e),
                        }
                    }
                }
                Event::Demo(result) => {
                    self.connect.demo_starting = false;
                    match result {
                        Ok(phone) => {
                            self.connect.demo_running = true;
                            self.demo = Some(phone);
                        }
                        Err(e) => self.connect.demo_error = Some(e),
                    }
                }
            }
        }
        match self.pending.take() {
            Some(ConnectCommand::TryDemo) if self.demo.is_none() && !self.connect.demo_starting => self.start_demo(),
            Some(ConnectCommand::Copy(text)) => self.ctx.copy_text(text),
            Some(ConnectCommand::Open(serial)) => self.open(serial),
            _ => {}
        }
        if std::mem::take(&mut self.back) {
            self.scan_cancel.cancel();
            self.screen = Screen::Connect;
        }
    }

    /// Draws the app.
    pub fn draw(&mut self, ui: &mut egui::Ui) {
        egui::CentralPanel::default().show(ui, |ui| {
            egui::ScrollArea::vertical().show(ui, |ui| match &mut self.screen {
                Screen::Connect => {
                    if let Some(command) = connect_ui(ui, &self.connect) {
                        self.pending = Some(command);
                        ui.ctx().request_repaint();
                    }
                }
                Screen::Gallery(view) => {
                    if gallery_ui(ui, view) == Some(GalleryCommand::Back) {
                        self.back = true;
                        ui.ctx().request_repaint();
                    }
                }
            });
        });
    }
}

impl Drop for App {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        self.scan_cancel.cancel();
        // The demo phone leaves adb's list with the app.
        if let (Some(phone), Ok(adb)) = (&self.demo, self.adb.get()) {
            let _ = adb.disconnect(&phone.addr().to_string());
        }
    }
}

impl eframe::App for App {
    fn logic(&mut self, _ctx: &egui::Context, _frame: &mut eframe::Frame) {
        App::logic(self);
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        self.draw(ui);
    }
}

/// Starts a demo phone and connects adb to it.
fn start_demo_phone(source: &AdbSource) -> Result<VirtualPhone, String> {
    let phone = VirtualPhone::start(Config {
        storage: StorageSource::Sample(SampleOptions { photos: 200, ..SampleOptions::default() }),
        link: LinkModel::Usb3,
        model: "Demo Phone".to_string(),
        serial: "DEMO0001".to_string(),
        ..Config::default()
    })
    .map_err(|e| format!("Could not start the demo phone: {e}"))?;
    let adb = source.get()?;
    adb.connect(&phone.addr().to_string()).map_err(|e| format!("adb could not connect to the demo phone: {e}"))?;
    Ok(phone)
}

/// The app's icon (`assets/icon.png`, drawn from `assets/icon.svg`).
const ICON_PNG: &[u8] = include_bytes!("../../assets/icon.png");

/// The window icon.
#[must_use]
pub fn icon() -> Option<egui::IconData> {
    let image = image::load_from_memory_with_format(ICON_PNG, image::ImageFormat::Png).ok()?.into_rgba8();
    let (width, height) = image.dimensions();
    Some(egui::IconData { rgba: image.into_raw(), width, height })
}

/// Opens the window and runs the app until it is closed.
///
/// # Errors
/// When no window can be opened (no display, no OpenGL).
pub fn run() -> anyhow::Result<()> {
    let mut viewport =
        egui::ViewportBuilder::default().with_title("phonebak").with_app_id("phonebak").with_inner_size([960.0, 680.0]);
    if let Some(icon) = icon() {
        viewport = viewport.with_icon(icon);
    }
    let options = eframe::NativeOptions { viewport, ..eframe::NativeOptions::default() };
    eframe::run_native(
        "phonebak",
        options,
        Box::new(|cc| Ok(Box::new(App::new(cc.egui_ctx.clone(), AdbSource::Find)?) as Box<dyn eframe::App>)),
    )
    .map_err(|e| anyhow::anyhow!("Could not open the phonebak window ({e}). Is a desktop session running?"))
}

#[cfg(test)]
mod tests;
