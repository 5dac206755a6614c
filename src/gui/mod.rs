//! The desktop app (eframe/egui). `phonebak` with no arguments opens it.
//!
//! As in rerun's viewer, [`eframe::App::logic`] drains what background threads report and carries out the
//! commands the screens asked for; [`eframe::App::ui`] only draws. Background work runs on named threads
//! (`device-watch`, `demo-phone`, `gallery-scan`, `count-contacts`, `count-messages`,
//! `count-whatsapp`, `backup-folder`, `folder-dialog`, `backup`,
//! `open-backup`, `restore`, `contacts-import`, `preview`, `freeup-prove`, `freeup-remove`, `thumbnails-N`) that
//! talk to the app over bounded channels and call `request_repaint` after each message, so the window never
//! waits on a phone or a disk.
//!
//! Screens: Connect (phones and what to do with each), Backup (what to back up: photos and videos, contacts,
//! messages, `WhatsApp`; the phone's folders and photos, Back up), Restore (a backup's photos, Restore all /
//! selected; its contacts, Put back; its messages, Open; `WhatsApp`'s files, Put back), Free up space (what the phone can lose because it is safe in the backup folder, and removing it),
//! Settings, and the log.

mod backup;
mod connect;
mod contacts;
mod datatypes;
mod dialog;
mod freeup;
mod grid;
mod job;
mod password;
mod restore;
mod settings;

pub use crate::settings::{NewMeans, Settings, default_backup_folder, settings_path, thumbnail_cache_dir};
pub use backup::{BackedUp, BackupCommand, BackupView, backup_ui};
pub use connect::{ConnectCommand, ConnectView, NO_PHONE_STEPS, connect_ui};
pub use contacts::{ContactList, ContactRow, ContactsCommand, PhoneContacts, contact_label, contacts_ui};
pub use datatypes::{
    Count, Counted, DataChoice, EXTRAS, Extra, ExtraChoice, ExtraKind, Save, add_files, data_choice_ui,
};
pub use freeup::{Confirm, FreeUpCommand, FreeUpFailure, FreeUpReport, FreeUpView, Proved, freeup_ui};
pub use grid::{Badge, GridCommand, GridItem, PhotoGrid, Shown, Textures};
pub use job::{Job, Outcome};
pub use password::{PasswordCommand, PasswordFor, PasswordPrompt, password_ui};
pub use restore::{
    MESSAGES_NOT_RESTORED, MessagesInBackup, RestoreCommand, RestorePart, RestoreTarget, RestoreView, WhatsAppInBackup,
    messages_ui, restore_ui, whatsapp_ui,
};
pub use settings::{AutomaticChoices, PairForm, SettingsCommand, settings_ui};

use crate::backup::{BackupReport, Manifest};
use crate::device::{Adb, DeviceEntry, DeviceInfo, UsbPhone};
use crate::progress::{CancelToken, Progress, ProgressState};
use crate::restore::{Backup, RestoreReport, Selection};
use crate::thumbnails::{PictureKind, ThumbKey, ThumbnailService};
use crate::virtual_phone::sample::SampleOptions;
use crate::virtual_phone::{Config, LinkModel, StorageSource, VirtualPhone};
pub use eframe::egui;
use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::time::Duration;

/// How often the phone list is read again.
const WATCH_INTERVAL: Duration = Duration::from_secs(1);
/// Thumbnail worker threads ("about two decoder threads").
const THUMBNAIL_WORKERS: usize = 2;
/// Thumbnails kept as textures.
const TEXTURES: usize = 600;
/// Longest side of a preview, in pixels.
const PREVIEW_SIZE: u32 = 1600;
/// Largest file pulled whole for a preview.
const PREVIEW_MAX_BYTES: u64 = 256 << 20;

/// Which job a progress report is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum JobKind {
    Backup,
    Restore,
}

/// A folder dialog's purpose.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Purpose {
    BackupFolder,
    RestoreFrom,
}

/// What background threads report.
enum Event {
    /// A fresh look at adb's phones.
    Devices(Result<(Vec<DeviceEntry>, Vec<UsbPhone>), String>),
    /// The demo phone started (kept running while the app runs) or could not.
    Demo(Result<VirtualPhone, String>),
    /// The gallery scan of the open phone is at this folder.
    ScanAt(String),
    /// The gallery scan of the open phone ended (with the phone's own serial, which backups are filed under).
    Scanned(Result<(crate::scan::Gallery, String), String>),
    /// What the backup folder holds of the open phone.
    BackedUp { dest: PathBuf, result: Result<FolderState, String> },
    /// An encrypted backup's key was opened or made (or why not).
    /// With "Remember the password on this computer" ticked: whether the keyring took it (or why not).
    Unlocked {
        purpose: PasswordFor,
        result: Result<Arc<crate::vault::Vault>, String>,
        remembered: Option<Result<(), String>>,
    },
    /// The folder dialog closed (with a folder, or cancelled), or could not open (why).
    FolderChosen(Purpose, Result<Option<PathBuf>, String>),
    /// A typed folder was checked: ready (with its disk's free space), or why not.
    FolderChecked(Purpose, Result<(PathBuf, Option<u64>), String>),
    /// What each ready phone is, by adb's serial (asked once per phone).
    PhoneFacts(String, Result<DeviceInfo, String>),
    /// What the automatic backup agent is doing (`None`: it does not run).
    Agent(Option<crate::agent::status::AgentStatus>),
    /// Turning automatic backup on or off finished (or why not).
    AutomaticSet(Result<String, String>),
    /// The open phone was switched to Wi-Fi (adb's serial on the cable, the phone remembered), or why not.
    WifiSwitched(String, Result<crate::settings::WifiPhone, String>),
    /// Pairing with wireless debugging ended: what adb said, or why not.
    Paired(Result<String, String>),
    /// A backup or restore moved on.
    Progress(JobKind, ProgressState),
    /// What the open phone (adb's serial) holds of a kind of data beyond the gallery, or why it is not told.
    Counted { serial: String, kind: ExtraKind, result: Result<Counted, String> },
    /// A backup ended: the photos (`None`: none were asked for), and each other kind saved (what the report
    /// says of it).
    BackupDone {
        result: Option<Result<BackupReport, String>>,
        extras: Vec<Result<String, String>>,
        folder: PathBuf,
        cancelled: bool,
    },
    /// The contacts a backup folder holds, by phone.
    ContactsFound(PathBuf, Vec<PhoneContacts>),
    /// Putting back the contacts of a phone's folder of the backup ended: what was done, or why not.
    ContactsPutBack(String, Result<crate::contacts::import::Imported, String>),
    /// A backup folder was read for the Restore screen.
    BackupOpened(PathBuf, Result<Backup, String>),
    /// A restore ended.
    RestoreDone {
        /// The restore's report, or why it failed.
        result: Result<RestoreReport, String>,
        /// It was cancelled.
        cancelled: bool,
        /// `WhatsApp`'s files were put back: a line for each folder they went to other than their own.
        whatsapp: Option<Vec<String>>,
    },
    /// A preview is ready.
    Preview(ThumbKey, Result<crate::thumbnails::Preview, String>),
    /// The thumbnail cache's size on disk.
    CacheSize(u64),
    /// Reading and proving for the free-up screen is at this.
    FreeUpAt(String),
    /// The free-up proof of the phone (adb's serial) ended.
    FreeUpProved(String, Result<Proved, String>),
    /// The free-up removal from the phone (adb's serial) ended.
    FreeUpRemoved(String, Result<crate::freeup::Removal, freeup::FreeUpFailure>),
    /// "Put them back" on the free-up screen ended (the phone's adb serial).
    FreeUpPutBack(String, Result<crate::restore::RestoreReport, String>),
}

/// What a backup folder is, for the Backup screen.
#[derive(Debug, Clone, Default)]
pub struct FolderState {
    /// What it holds of the open phone (`None` while it is encrypted and locked).
    pub backed_up: Option<BackedUp>,
    /// It is encrypted.
    pub encrypted: bool,
    /// It holds no backup yet.
    pub fresh: bool,
    /// Free bytes on its disk, when they can be told.
    pub free: Option<u64>,
}

/// A folder typed or pasted by the person, offered when the folder dialog could not open.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FolderEntry {
    /// Why the dialog could not open.
    pub problem: String,
    /// What is typed.
    pub text: String,
    /// Why the folder typed last was refused.
    pub error: Option<String>,
    /// It is being checked.
    pub checking: bool,
}

/// Draws a [`FolderEntry`]: the dialog's problem, the text field and "Use this folder"; true when the folder
/// typed should be checked.
pub fn folder_entry_ui(ui: &mut egui::Ui, entry: &mut FolderEntry, label: &str) -> bool {
    let mut submit = false;
    ui.colored_label(ui.visuals().warn_fg_color, &entry.problem);
    ui.horizontal(|ui| {
        let label = ui.label(label);
        let field = ui
            .add(
                egui::TextEdit::singleline(&mut entry.text)
                    .desired_width(420.0)
                    .hint_text("/home/you/Pictures/Phone backups"),
            )
            .labelled_by(label.id);
        let enter = field.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
        let button = ui.add_enabled(!entry.checking, egui::Button::new("Use this folder"));
        submit = (button.clicked() || enter) && !entry.checking;
    });
    if let Some(error) = &entry.error {
        ui.colored_label(ui.visuals().error_fg_color, error);
    }
    submit
}

/// Which screen shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screen {
    /// The phones.
    Connect,
    /// The open phone's photos.
    Backup,
    /// A backup's photos.
    Restore,
    /// What can be removed from the open phone, and removing it.
    FreeUp,
    /// Settings.
    Settings,
    /// The log.
    Log,
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

    fn device(&self, serial: &str) -> Result<crate::device::Device, String> {
        self.get()?.device(serial).map_err(|e| e.to_string())
    }
}

/// Where the app keeps things, and which adb it uses.
#[derive(Debug, Clone)]
pub struct Options {
    /// The adb server.
    pub adb: AdbSource,
    /// The settings file (`None`: nothing is remembered).
    pub settings_path: Option<PathBuf>,
    /// The thumbnail cache (`None`: no cache).
    pub cache_dir: Option<PathBuf>,
    /// Start the demo phone at once and open it when it is ready.
    pub demo: bool,
    /// How many camera photos the demo phone has.
    pub demo_photos: usize,
    /// The backup folder used until one is chosen (`None`: none until one is chosen).
    pub default_backup_folder: Option<PathBuf>,
    /// The automatic backup agent's places (`None`: the app does not offer automatic backup).
    pub agent: Option<AgentPlaces>,
    /// Where "Remember the password on this computer" keeps it: the desktop's keyring (tests: a private one).
    pub keyring: crate::secrets::Keyring,
}

/// Where the automatic backup agent lives, for the app that turns it on.
#[derive(Debug, Clone)]
pub struct AgentPlaces {
    /// Its runtime folder (lock and status socket).
    pub runtime_dir: PathBuf,
    /// Its autostart entry.
    pub autostart: PathBuf,
    /// The program that runs it (`phonebak`).
    pub program: PathBuf,
}

impl AgentPlaces {
    /// The user's: `$XDG_RUNTIME_DIR/phonebak`, `~/.config/autostart/phonebak-agent.desktop`, this program.
    #[must_use]
    pub fn user() -> Option<Self> {
        Some(Self {
            runtime_dir: crate::agent::status::runtime_dir(),
            autostart: crate::agent::autostart::autostart_path()?,
            program: std::env::current_exe().ok()?,
        })
    }
}

impl Options {
    /// The app as a user runs it: the usual adb, settings and cache in the user's folders.
    #[must_use]
    pub fn user() -> Self {
        Self {
            adb: AdbSource::Find,
            settings_path: settings_path(),
            cache_dir: thumbnail_cache_dir(),
            demo: false,
            demo_photos: 200,
            default_backup_folder: default_backup_folder(),
            agent: AgentPlaces::user(),
            keyring: crate::secrets::Keyring::session(),
        }
    }

    /// This adb, remembering nothing and caching nothing (tests).
    #[must_use]
    pub fn with_adb(adb: AdbSource) -> Self {
        Self {
            adb,
            settings_path: None,
            cache_dir: None,
            demo: false,
            demo_photos: 200,
            default_backup_folder: None,
            agent: None,
            keyring: crate::secrets::Keyring::session(),
        }
    }
}

/// A large view of one photo.
struct PreviewView {
    key: ThumbKey,
    name: String,
    size: u64,
    mtime: i64,
    taken: i64,
    texture: Option<egui::TextureHandle>,
    kind: Option<&'static str>,
    dimensions: Option<(u32, u32)>,
    error: Option<String>,
}

/// The app's state.
pub struct App {
    ctx: egui::Context,
    options: Options,
    settings: Settings,
    events_tx: SyncSender<Event>,
    events: Receiver<Event>,
    stop: Arc<AtomicBool>,
    connect: ConnectView,
    pending: Vec<Command>,
    demo: Option<VirtualPhone>,
    screen: Screen,
    /// Where Settings, the log and Restore go back to.
    return_to: Screen,
    backup: Option<BackupView>,
    restore: RestoreView,
    /// Stops the running gallery scan.
    scan_cancel: CancelToken,
    phone_thumbs: Option<ThumbnailService>,
    backup_thumbs: Option<ThumbnailService>,
    textures: Textures,
    preview: Option<PreviewView>,
    /// Stops the running backup or restore.
    job_cancel: CancelToken,
    /// The window's close was asked for while a job runs.
    confirm_close: bool,
    /// Close the window when the job has stopped.
    close_when_done: bool,
    /// A folder dialog is open.
    dialog_open: bool,
    cache_used: Option<u64>,
    /// Open this phone as soon as adb lists it ready (the demo phone with `--demo`).
    open_when_ready: Option<String>,
    /// The opened keys of encrypted backup folders (kept in memory while the app runs).
    vaults: HashMap<PathBuf, Arc<crate::vault::Vault>>,
    /// The password dialog.
    password: Option<PasswordPrompt>,
    /// The Settings screen's pairing with wireless debugging.
    pair: settings::PairForm,
    /// What turning automatic backup on or off on the Settings screen said.
    automatic_said: Option<Result<String, String>>,
    /// The typed backup folder on the Settings screen, when the dialog could not open there.
    settings_entry: Option<FolderEntry>,
    /// What each ready phone is, by adb's serial (asked once per phone).
    phone_facts: HashMap<String, Option<DeviceInfo>>,
    /// Why the settings file could not be read (then nothing is saved over it).
    settings_problem: Option<String>,
    /// What the automatic backup agent does, when it runs.
    agent: Option<crate::agent::status::AgentStatus>,
    /// The open phone's free-up screen.
    freeup: Option<FreeUpView>,
    /// Stops the free-up proof.
    freeup_cancel: CancelToken,
}

/// Everything a screen can ask for, carried out in [`App::logic`].
#[derive(Debug, Clone, PartialEq, Eq)]
enum Command {
    Connect(ConnectCommand),
    Backup(BackupCommand),
    Restore(RestoreCommand),
    FreeUp(FreeUpCommand),
    Settings(SettingsCommand),
    Show(Screen),
    ClosePreview,
    KeepRunning,
    StopAndClose,
    Password(PasswordCommand),
}

impl App {
    /// Starts the app's background threads; `ctx` is the context they wake.
    ///
    /// # Errors
    /// When a thread cannot be started.
    pub fn new(ctx: egui::Context, options: Options) -> std::io::Result<Self> {
        let (events_tx, events) = sync_channel(64);
        // A damaged settings file is left as it is (the person may want to repair it): defaults, never saved.
        let (settings, settings_problem) = match options.settings_path.as_deref().map(Settings::load_checked) {
            Some(Ok(settings)) => (settings, None),
            Some(Err(e)) => {
                tracing::error!("{e}");
                (Settings::default(), Some(e.to_string()))
            }
            None => (Settings::default(), None),
        };
        let restore = RestoreView { folder: settings.restore_folder.clone(), ..RestoreView::default() };
        let app = Self {
            ctx,
            options,
            settings,
            events_tx,
            events,
            stop: Arc::new(AtomicBool::new(false)),
            connect: ConnectView::default(),
            pending: Vec::new(),
            demo: None,
            screen: Screen::Connect,
            return_to: Screen::Connect,
            backup: None,
            restore,
            scan_cancel: CancelToken::new(),
            phone_thumbs: None,
            backup_thumbs: None,
            textures: Textures::new(TEXTURES),
            preview: None,
            job_cancel: CancelToken::new(),
            confirm_close: false,
            close_when_done: false,
            dialog_open: false,
            cache_used: None,
            open_when_ready: None,
            vaults: HashMap::new(),
            password: None,
            pair: settings::PairForm::default(),
            automatic_said: None,
            settings_entry: None,
            phone_facts: HashMap::new(),
            settings_problem,
            agent: None,
            freeup: None,
            freeup_cancel: CancelToken::new(),
        };
        app.watch_devices()?;
        app.prune_cache(None);
        let mut app = app;
        if app.options.demo {
            app.pending.push(Command::Connect(ConnectCommand::TryDemo));
        }
        Ok(app)
    }

    /// What the Connect screen shows now.
    #[must_use]
    pub fn connect_view(&self) -> &ConnectView {
        &self.connect
    }

    /// The open phone's Backup screen, once a phone is open.
    #[must_use]
    pub fn backup_view(&self) -> Option<&BackupView> {
        self.backup.as_ref()
    }

    /// The Restore screen's state.
    #[must_use]
    pub fn restore_view(&self) -> &RestoreView {
        &self.restore
    }

    /// The free-up screen, while it is open.
    #[must_use]
    pub fn freeup_view(&self) -> Option<&FreeUpView> {
        self.freeup.as_ref()
    }

    /// The screen shown.
    #[must_use]
    pub fn screen(&self) -> Screen {
        self.screen
    }

    /// The settings in use.
    #[must_use]
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The thumbnails held as textures.
    #[must_use]
    pub fn textures(&self) -> &Textures {
        &self.textures
    }

    /// The demo phone, once started.
    #[must_use]
    pub fn demo_phone(&self) -> Option<&VirtualPhone> {
        self.demo.as_ref()
    }

    /// Whether a backup or restore runs.
    #[must_use]
    pub fn job_running(&self) -> bool {
        self.backup.as_ref().is_some_and(|b| b.job.is_some())
            || self.restore.job.is_some()
            || self.freeup.as_ref().is_some_and(|f| f.removing || f.putting_back)
            || self.restore.contacts.as_ref().is_some_and(|c| c.putting_back)
    }

    /// The backup folder: the one chosen, else the default.
    #[must_use]
    pub fn backup_folder(&self) -> Option<PathBuf> {
        self.settings.backup_folder.clone().or_else(|| self.options.default_backup_folder.clone())
    }

    /// The backup folder, when it holds a backup already: what the Restore screen opens when no folder to
    /// restore from was chosen yet (a person who just backed up finds that backup there).
    fn backup_folder_with_a_backup(&self) -> Option<PathBuf> {
        let dir = self.backup_folder()?;
        (crate::vault::is_encrypted(&dir) || crate::backup::manifest::state_dir(&dir).is_dir()).then_some(dir)
    }

    /// Uses `dir` as the backup folder (what the folder dialog does; remembered).
    pub fn set_backup_folder(&mut self, dir: PathBuf) {
        self.settings.backup_folder = Some(dir);
        self.save_settings();
        self.check_backup_folder();
    }

    /// Opens `dir` on the Restore screen (what its folder dialog does; remembered).
    pub fn open_restore_folder(&mut self, dir: PathBuf) {
        self.settings.restore_folder = Some(dir.clone());
        self.save_settings();
        self.restore.folder = Some(dir.clone());
        self.restore.error = None;
        self.restore.outcome = None;
        let vault = self.vaults.get(&dir).cloned();
        self.restore.locked = vault.is_none() && crate::vault::is_encrypted(&dir);
        self.restore.set_contact_files(Vec::new());
        self.restore.messages = None;
        self.restore.whatsapp = None;
        if self.restore.locked {
            self.restore.backup = None;
            self.restore.folders.clear();
            self.restore.grid.set_items(Vec::new());
            self.password = Some(PasswordPrompt::new(PasswordFor::Unlock { dir, restore: true }));
            return;
        }
        self.restore.opening = true;
        let tx = self.events_tx.clone();
        let ctx = self.ctx.clone();
        Self::spawn("open-backup", move || {
            let plain = vault.is_none();
            let opened = crate::restore::open_backup_in(&dir, vault).map_err(|e| e.to_string());
            // An encrypted folder's contacts are found through its phones' manifests.
            let contacts = match &opened {
                _ if plain => contacts::find_in(&dir),
                Ok(backup) => contacts::find_in_encrypted(backup),
                Err(_) => Vec::new(),
            };
            let _ = tx.send(Event::BackupOpened(dir.clone(), opened));
            let _ = tx.send(Event::ContactsFound(dir, contacts));
            ctx.request_repaint();
        });
    }

    fn save_settings(&self) {
        if let Some(problem) = &self.settings_problem {
            tracing::warn!("the settings are not saved: {problem}");
            return;
        }
        if let Some(path) = &self.options.settings_path
            && let Err(e) = self.settings.save(path)
        {
            tracing::warn!(path = %path.display(), "could not save the settings: {e}");
        }
    }

    /// Starts a named background thread; a failure to start shows in the log (the app goes on).
    fn spawn(name: &str, work: impl FnOnce() + Send + 'static) {
        if let Err(e) = std::thread::Builder::new().name(name.to_string()).spawn(work) {
            tracing::error!("could not start the {name} thread: {e}");
        }
    }

    /// Starts the thread that reads adb's phone list every second.
    fn watch_devices(&self) -> std::io::Result<()> {
        let (tx, ctx, stop) = (self.events_tx.clone(), self.ctx.clone(), Arc::clone(&self.stop));
        let source = self.options.adb.clone();
        let runtime = self.options.agent.as_ref().map(|a| a.runtime_dir.clone());
        std::thread::Builder::new().name("device-watch".to_string()).spawn(move || {
            while !stop.load(Ordering::SeqCst) {
                if let Some(runtime) = &runtime {
                    let _ = tx.try_send(Event::Agent(crate::agent::status::query(runtime)));
                }
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

    /// Keeps the thumbnail cache within its size (`limit`, or the setting), then reports its size.
    fn prune_cache(&self, limit: Option<u64>) {
        let Some(dir) = self.options.cache_dir.clone() else { return };
        let limit = limit.unwrap_or(self.settings.thumbnail_cache_mb.saturating_mul(1_000_000));
        let (tx, ctx) = (self.events_tx.clone(), self.ctx.clone());
        Self::spawn("cache-prune", move || {
            crate::thumbnails::prune_cache(&dir, limit);
            let _ = tx.send(Event::CacheSize(crate::thumbnails::cache_size(&dir)));
            ctx.request_repaint();
        });
    }

    /// Starts the demo phone on a thread: a sample gallery (200 photos unless asked) on the USB 3 link model, connected to
    /// the adb server so that it shows up like a phone on Wi-Fi.
    fn start_demo(&mut self) {
        self.connect.demo_starting = true;
        self.connect.demo_error = None;
        let (tx, ctx, source) = (self.events_tx.clone(), self.ctx.clone(), self.options.adb.clone());
        let photos = self.options.demo_photos;
        Self::spawn("demo-phone", move || {
            let started = start_demo_phone(&source, photos);
            let _ = tx.send(Event::Demo(started));
            ctx.request_repaint();
        });
    }

    fn wake(&self) -> Arc<dyn Fn() + Send + Sync> {
        let ctx = self.ctx.clone();
        Arc::new(move || ctx.request_repaint())
    }

    /// Opens a ready phone: its Backup screen, a thread that scans it, and its thumbnail workers.
    fn open(&mut self, serial: String) {
        let name = self
            .connect
            .phones
            .iter()
            .find(|p| p.serial == serial)
            .map_or_else(|| serial.clone(), DeviceEntry::display_name);
        self.scan_cancel.cancel();
        self.scan_cancel = CancelToken::new();
        self.drop_thumbnails(true);
        self.textures.clear();
        self.backup = Some(BackupView {
            phone: name,
            serial: serial.clone(),
            scanning: Some(String::new()),
            dest: self.backup_folder(),
            new_means: self.settings.new_means,
            ..BackupView::default()
        });
        self.screen = Screen::Backup;
        let (tx, ctx, source, cancel) =
            (self.events_tx.clone(), self.ctx.clone(), self.options.adb.clone(), self.scan_cancel.clone());
        Self::spawn("gallery-scan", move || {
            let progress = |p: crate::scan::ScanProgress<'_>| {
                let at = format!("{} folders read, {} photos and videos", p.folders_listed, p.media_found);
                // Progress may be dropped when the app is behind; the result never is.
                if tx.try_send(Event::ScanAt(at)).is_ok() {
                    ctx.request_repaint();
                }
            };
            let scanned = source.device(&serial).and_then(|device| {
                let info = device.info().map_err(|e| e.to_string())?;
                let gallery = crate::scan::scan(&device, &crate::scan::ScanOptions::default(), &progress, &cancel)
                    .map_err(|e| e.to_string())?;
                Ok((gallery, info.serial))
            });
            if !cancel.is_cancelled() {
                let _ = tx.send(Event::Scanned(scanned));
                ctx.request_repaint();
            }
        });
        self.count_extras();
    }

    /// Counts each kind of data beyond the gallery on the open phone, each on its own thread.
    fn count_extras(&self) {
        let Some(view) = &self.backup else { return };
        for extra in EXTRAS {
            let (tx, ctx, source) = (self.events_tx.clone(), self.ctx.clone(), self.options.adb.clone());
            let serial = view.serial.clone();
            Self::spawn(extra.thread, move || {
                let result = source.device(&serial).and_then(|device| {
                    let info = device.info().map_err(|e| format!("{}: {e}", extra.name))?;
                    (extra.count)(&device, &info)
                });
                let _ = tx.send(Event::Counted { serial, kind: extra.kind, result });
                ctx.request_repaint();
            });
        }
    }

    /// Starts the thumbnail workers of the open phone (filed in the cache under its own serial).
    fn start_phone_thumbnails(&mut self) {
        let Some(view) = &self.backup else { return };
        let started = self.options.adb.device(&view.serial).and_then(|device| {
            ThumbnailService::start(
                &device,
                &view.phone_serial,
                self.options.cache_dir.as_deref(),
                THUMBNAIL_WORKERS,
                &self.wake(),
            )
            .map_err(|e| e.to_string())
        });
        match started {
            Ok(service) => self.phone_thumbs = Some(service),
            Err(e) => tracing::warn!("no thumbnails for {}: {e}", view.serial),
        }
    }

    /// Stops thumbnail workers (on a thread: a worker may be in the middle of a phone command).
    fn drop_thumbnails(&mut self, phone: bool) {
        let service = if phone { self.phone_thumbs.take() } else { self.backup_thumbs.take() };
        if let Some(service) = service {
            Self::spawn("thumbnails-stop", move || drop(service));
        }
    }

    /// Reads what the backup folder holds of the open phone (for the badges), on a thread.
    fn check_backup_folder(&mut self) {
        let folder = self.backup_folder();
        let Some(view) = &mut self.backup else { return };
        if view.dest != folder {
            view.keyring_note = None;
        }
        view.dest = folder;
        view.dest_error = None;
        let Some(dest) = view.dest.clone() else { return };
        if view.phone_serial.is_empty() {
            // Read once the scan has told the phone's own serial.
            return;
        }
        let serial = view.phone_serial.clone();
        let vault = self.vaults.get(&dest).cloned();
        let (tx, ctx) = (self.events_tx.clone(), self.ctx.clone());
        Self::spawn("backup-folder", move || {
            let encrypted = crate::vault::is_encrypted(&dest);
            let fresh = !encrypted && !crate::vault::holds_plain_backup(&dest);
            let free = crate::backup::folder::free_space(&dest);
            let result = if encrypted && vault.is_none() {
                Ok(FolderState { backed_up: None, encrypted, fresh, free })
            } else {
                match Manifest::load_in(&dest, &serial, vault.as_deref()) {
                    Ok(Some(manifest)) => {
                        Ok(FolderState { backed_up: Some(BackedUp::of(&manifest)), encrypted, fresh, free })
                    }
                    Ok(None) => Ok(FolderState { backed_up: Some(BackedUp::default()), encrypted, fresh, free }),
                    Err(e) => Err(e.to_string()),
                }
            };
            let _ = tx.send(Event::BackedUp { dest, result });
            ctx.request_repaint();
        });
    }

    /// Opens the system's folder dialog on a thread (it blocks until closed).
    fn choose_folder(&mut self, purpose: Purpose) {
        if self.dialog_open {
            return;
        }
        self.dialog_open = true;
        let start = match purpose {
            Purpose::BackupFolder => self.backup_folder(),
            Purpose::RestoreFrom => self.settings.restore_folder.clone().or_else(|| self.backup_folder()),
        };
        let (tx, ctx) = (self.events_tx.clone(), self.ctx.clone());
        Self::spawn("folder-dialog", move || {
            let title = match purpose {
                Purpose::BackupFolder => "Choose the backup folder",
                Purpose::RestoreFrom => "Choose a backup folder to restore from",
            };
            // The folder itself may not exist yet (the default): the dialog opens at the nearest one that does.
            let start = start.as_deref().and_then(|s| s.ancestors().find(|p| p.is_dir()).map(Path::to_path_buf));
            let picked = dialog::pick_folder(title, start.as_deref());
            let _ = tx.send(Event::FolderChosen(purpose, picked));
            ctx.request_repaint();
        });
    }

    /// Checks a typed folder on a thread: for backups it must be (or become) a writable folder off the phone,
    /// for restores an existing folder.
    fn check_typed_folder(&mut self, purpose: Purpose, text: String) {
        let entry = match purpose {
            Purpose::BackupFolder if self.screen == Screen::Settings => self.settings_entry.as_mut(),
            Purpose::BackupFolder => self.backup.as_mut().and_then(|v| v.folder_entry.as_mut()),
            Purpose::RestoreFrom => self.restore.folder_entry.as_mut(),
        };
        if let Some(entry) = entry {
            entry.checking = true;
            entry.error = None;
        }
        let (tx, ctx) = (self.events_tx.clone(), self.ctx.clone());
        Self::spawn("check-folder", move || {
            let result = match purpose {
                Purpose::BackupFolder => crate::backup::folder::prepare(&text).map_err(|e| e.to_string()),
                Purpose::RestoreFrom => existing_folder(&text).map(|dir| (dir, None)),
            };
            let _ = tx.send(Event::FolderChecked(purpose, result));
            ctx.request_repaint();
        });
    }

    /// Marks the open phone "Back up automatically when it connects" (its ticked folders, into the backup
    /// folder) or unmarks it. The first phone marked writes the agent's autostart entry and starts the agent;
    /// the last one unmarked removes the entry.
    fn set_automatic(&mut self, on: bool) {
        let (Some(places), Some(view)) = (self.options.agent.clone(), &mut self.backup) else { return };
        let (Some(dest), false) = (view.dest.clone(), view.phone_serial.is_empty()) else { return };
        let serial = view.phone_serial.clone();
        self.settings.automatic.retain(|a| a.phone_serial != serial);
        if on {
            let all = view.folders.iter().all(|(_, ticked)| *ticked);
            let folders = if all {
                Vec::new()
            } else {
                view.folders.iter().filter(|(_, t)| *t).map(|(f, _)| f.name.clone()).collect()
            };
            self.settings.automatic.push(crate::settings::AutomaticBackup {
                phone_serial: serial,
                model: view.phone.clone(),
                backup_folder: dest.clone(),
                folders,
            });
        }
        view.automatic = Some(on);
        view.automatic_note = None;
        view.automatic_error = None;
        self.save_settings();
        let last_off = self.settings.automatic.is_empty();
        let settings_path = self.options.settings_path.clone();
        let port = self.options.adb.get().ok().map(|a| a.port());
        let (tx, ctx) = (self.events_tx.clone(), self.ctx.clone());
        Self::spawn("automatic", move || {
            let result = if on {
                turn_automatic_on(&places, &dest, settings_path.as_deref(), port)
            } else if last_off {
                crate::agent::autostart::remove_at(&places.autostart)
                    .map(|()| {
                        "No phone is backed up automatically now; the agent no longer starts at login.".to_string()
                    })
                    .map_err(|e| format!("Could not remove {} ({e}).", places.autostart.display()))
            } else {
                Ok("This phone is no longer backed up automatically.".to_string())
            };
            let _ = tx.send(Event::AutomaticSet(result));
            ctx.request_repaint();
        });
    }

    /// Switches the open phone from the cable to Wi-Fi, on a thread (adbd restarts: a few seconds).
    fn use_wifi(&mut self) {
        let Some(view) = &mut self.backup else { return };
        if view.wifi != backup::WifiOffer::Offered && !matches!(view.wifi, backup::WifiOffer::Failed(_)) {
            return;
        }
        view.wifi = backup::WifiOffer::Switching;
        let (serial, model, phone_serial) = (view.serial.clone(), view.phone.clone(), view.phone_serial.clone());
        let (tx, ctx, source) = (self.events_tx.clone(), self.ctx.clone(), self.options.adb.clone());
        Self::spawn("wifi", move || {
            let result = source.get().and_then(|adb| {
                let device = adb.device(&serial).map_err(|e| e.to_string())?;
                let address =
                    crate::device::switch_to_wifi(&adb, &device, Duration::from_secs(15)).map_err(|e| e.to_string())?;
                Ok(crate::settings::WifiPhone { phone_serial, model, address })
            });
            let _ = tx.send(Event::WifiSwitched(serial, result));
            ctx.request_repaint();
        });
    }

    /// Pairs with a phone's wireless debugging, on a thread.
    fn pair(&mut self) {
        if self.pair.busy {
            return;
        }
        let (address, code) = (self.pair.address.trim().to_string(), self.pair.code.trim().to_string());
        if address.is_empty() || code.is_empty() {
            self.pair.said = Some(Err(
                "Type the address and the six-digit code the phone shows under \"Pair device with pairing code\"."
                    .to_string(),
            ));
            return;
        }
        self.pair.busy = true;
        self.pair.said = None;
        let (tx, ctx, source) = (self.events_tx.clone(), self.ctx.clone(), self.options.adb.clone());
        Self::spawn("pair", move || {
            let result = source.get().and_then(|adb| match adb.pair(&address, &code) {
                Ok(crate::device::Pairing::Paired(said)) => Ok(format!(
                    "{said}. Now connect it with the address under \"Wireless debugging\" (IP address & Port)."
                )),
                Ok(crate::device::Pairing::Unsupported { guidance }) => Err(guidance),
                Err(e) => Err(e.to_string()),
            });
            let _ = tx.send(Event::Paired(result));
            ctx.request_repaint();
        });
    }

    /// Backs up a connected phone automatically (from the Settings screen): all its folders, into the backup
    /// folder; writes the autostart entry and starts the agent as the phone's own screen does.
    fn start_automatic(&mut self, phone_serial: String, model: String) {
        let (Some(places), Some(dest)) = (self.options.agent.clone(), self.backup_folder()) else { return };
        self.settings.automatic.retain(|a| a.phone_serial != phone_serial);
        if let Some(view) = self.backup.as_mut().filter(|v| v.phone_serial == phone_serial) {
            view.automatic = Some(true);
        }
        self.settings.automatic.push(crate::settings::AutomaticBackup {
            phone_serial,
            model,
            backup_folder: dest.clone(),
            folders: Vec::new(),
        });
        self.save_settings();
        self.automatic_said = None;
        let settings_path = self.options.settings_path.clone();
        let port = self.options.adb.get().ok().map(|a| a.port());
        let (tx, ctx) = (self.events_tx.clone(), self.ctx.clone());
        Self::spawn("automatic", move || {
            let result = turn_automatic_on(&places, &dest, settings_path.as_deref(), port);
            let _ = tx.send(Event::AutomaticSet(result));
            ctx.request_repaint();
        });
    }

    /// Stops backing up a phone automatically (from the Settings screen); the last one off removes the agent's
    /// autostart entry.
    fn stop_automatic(&mut self, phone_serial: &str) {
        self.settings.automatic.retain(|a| a.phone_serial != phone_serial);
        self.save_settings();
        if let Some(view) = self.backup.as_mut().filter(|v| v.phone_serial == phone_serial) {
            view.automatic = Some(false);
        }
        if let (true, Some(places)) = (self.settings.automatic.is_empty(), self.options.agent.clone()) {
            // Off the UI thread, as turning it on is.
            Self::spawn("automatic", move || {
                if let Err(e) = crate::agent::autostart::remove_at(&places.autostart) {
                    tracing::warn!("could not remove {}: {e}", places.autostart.display());
                }
            });
        }
    }

    /// Asks each ready phone not asked yet what it is (its own serial, model, free space), on threads.
    fn ask_phone_facts(&mut self) {
        let ready: Vec<String> =
            self.connect.phones.iter().filter(|p| p.state.is_ready()).map(|p| p.serial.clone()).collect();
        self.phone_facts.retain(|serial, _| ready.contains(serial));
        for serial in ready {
            if self.phone_facts.contains_key(&serial) {
                continue;
            }
            self.phone_facts.insert(serial.clone(), None);
            let (tx, ctx, source) = (self.events_tx.clone(), self.ctx.clone(), self.options.adb.clone());
            Self::spawn("phone-facts", move || {
                let facts = source.device(&serial).and_then(|d| d.info().map_err(|e| e.to_string()));
                let _ = tx.send(Event::PhoneFacts(serial, facts));
                ctx.request_repaint();
            });
        }
    }

    /// The Restore screen's target phones, from adb's ready phones and what each said it is.
    fn refresh_restore_targets(&mut self) {
        self.restore.targets = self
            .connect
            .phones
            .iter()
            .filter(|p| p.state.is_ready())
            .map(|p| {
                let facts = self.phone_facts.get(&p.serial).and_then(Option::as_ref);
                RestoreTarget {
                    serial: p.serial.clone(),
                    name: facts.map_or_else(|| p.display_name(), |f| f.model.clone()),
                    phone_serial: facts.map(|f| f.serial.clone()),
                    free: facts.and_then(|f| f.storage).map(|s| s.free_bytes),
                }
            })
            .collect();
        self.restore.keep_or_default_target();
    }

    /// Starts backing up the new photos the Backup screen is about.
    fn start_backup(&mut self) {
        let Some(view) = &mut self.backup else { return };
        let (Some(dest), None) = (view.dest.clone(), &view.job) else { return };
        let files = view.photos_to_copy();
        let extras = view.data.extras_to_save();
        if files.is_empty() && extras.is_empty() {
            return;
        }
        let vault = self.vaults.get(&dest).cloned();
        if vault.is_none() && (view.encrypted || (view.encrypt_new && view.fresh)) {
            // The password first: to open the folder's key, or to make one.
            let purpose = if view.encrypted {
                PasswordFor::Unlock { dir: dest, restore: false }
            } else {
                PasswordFor::Create { dir: dest }
            };
            self.password = Some(PasswordPrompt::new(purpose));
            return;
        }
        view.outcome = None;
        view.job = Some(Job { doing: "Backing up", state: None, cancelling: false });
        self.job_cancel = CancelToken::new();
        let serial = view.serial.clone();
        let (tx, ctx, source, cancel) =
            (self.events_tx.clone(), self.ctx.clone(), self.options.adb.clone(), self.job_cancel.clone());
        let kinds = extras.len();
        tracing::info!(serial, files = files.len(), kinds, dest = %dest.display(), "backup started from the app");
        Self::spawn("backup", move || {
            let progress = ChannelProgress { tx: tx.clone(), ctx: ctx.clone(), kind: JobKind::Backup };
            let mut folder = dest.clone();
            let phone = source.device(&serial).and_then(|device| {
                let info = device.info().map_err(|e| e.to_string())?;
                Ok((device, info))
            });
            let (result, extras) = match phone {
                Ok((device, info)) => {
                    // The kinds saved as files join the photos' plan first (one manifest, each path once).
                    let mut files = files;
                    let mut said: Vec<Option<Result<String, String>>> = vec![None; extras.len()];
                    for (n, extra) in extras.iter().enumerate() {
                        if let datatypes::Save::WithPhotos(list) = extra.save {
                            let (more, sentence) = list(&device, &cancel);
                            datatypes::add_files(&mut files, more);
                            said[n] = Some(sentence);
                        }
                    }
                    let photos = (!files.is_empty() && !cancel.is_cancelled()).then(|| {
                        let manifest = Manifest::load_or_new_in(&dest, &info.serial, &info.model, vault.as_deref())
                            .map_err(|e| e.to_string())?;
                        let plan = crate::backup::plan_in(&files, &dest, &manifest, vault.clone());
                        if vault.is_none() {
                            folder = dest.join(&plan.device_folder);
                        }
                        crate::backup::execute(&plan, &device, &progress, &cancel).map_err(|e| e.to_string())
                    });
                    // The other kinds after the photos, into the same phone folder; not after Cancel.
                    let saved: Vec<Result<String, String>> = if cancel.is_cancelled() {
                        Vec::new()
                    } else {
                        extras
                            .iter()
                            .zip(said)
                            .filter_map(|(extra, said)| match extra.save {
                                datatypes::Save::After(save) => Some(save(&device, &info, &dest, vault.as_deref())),
                                datatypes::Save::WithPhotos(_) => said,
                            })
                            .collect()
                    };
                    if vault.is_none()
                        && files.is_empty()
                        && let Ok(manifest) = Manifest::load_or_new_in(&dest, &info.serial, &info.model, None)
                    {
                        folder = dest.join(manifest.device_folder());
                    }
                    (photos, saved)
                }
                Err(e) => (Some(Err(e)), Vec::new()),
            };
            let _ = tx.send(Event::BackupDone { result, extras, folder, cancelled: cancel.is_cancelled() });
            ctx.request_repaint();
        });
    }

    /// Starts restoring the open backup to the chosen phone: all its photos and videos, the selected ones, or
    /// `WhatsApp`'s files (into the folder `WhatsApp` uses on that phone), as `phonebak restore --what photos` and
    /// `--what whatsapp` choose them.
    fn start_restore(&mut self, part: RestorePart) {
        let view = &mut self.restore;
        let (Some(backup), Some(target), None) = (&view.backup, view.target.clone(), &view.job) else { return };
        let Some(phone) = backup.phones.get(view.phone).cloned() else { return };
        let dir = backup.dir.clone();
        let vault = backup.vault.clone();
        let selection = if part == RestorePart::Selected {
            Selection { local_paths: Some(view.selected_local_paths().into_iter().collect()), ..Selection::default() }
        } else {
            Selection::default()
        };
        let parts = crate::whatsapp::RestoreParts {
            photos: part != RestorePart::WhatsApp,
            whatsapp: part == RestorePart::WhatsApp,
        };
        if parts.whatsapp
            && let Some(w) = &mut view.whatsapp
        {
            w.done = None;
        }
        view.outcome = None;
        let doing = if parts.whatsapp { "Putting back WhatsApp's files" } else { "Restoring" };
        view.job = Some(Job { doing, state: None, cancelling: false });
        self.job_cancel = CancelToken::new();
        let (tx, ctx, source, cancel) =
            (self.events_tx.clone(), self.ctx.clone(), self.options.adb.clone(), self.job_cancel.clone());
        tracing::info!(from = %dir.display(), to = target, ?part, "restore started from the app");
        Self::spawn("restore", move || {
            let progress = ChannelProgress { tx: tx.clone(), ctx: ctx.clone(), kind: JobKind::Restore };
            let mut moved = None;
            let result = source.device(&target).and_then(|device| {
                let info = device.info().map_err(|e| e.to_string())?;
                let selected = crate::restore::select(&dir, &phone, &selection).map_err(|e| e.to_string())?;
                // WhatsApp's databases go back only when asked for, and then where WhatsApp looks on this phone.
                let choice = crate::whatsapp::choose_for_restore(selected, parts, info.sdk);
                if parts.whatsapp && choice.whatsapp_files == 0 {
                    return Err(format!("The backup of {} holds no WhatsApp files.", phone.serial));
                }
                let lines = choice.moved_text(info.sdk);
                let plan =
                    crate::restore::plan_in(&dir, vault, &phone.serial, choice.selected, &device, &progress, &cancel)
                        .map_err(|e| e.to_string())?;
                let report = crate::restore::execute(&plan, &device, &progress, &cancel).map_err(|e| e.to_string())?;
                if parts.whatsapp {
                    moved = Some(lines);
                }
                Ok(report)
            });
            let _ = tx.send(Event::RestoreDone { result, cancelled: cancel.is_cancelled(), whatsapp: moved });
            ctx.request_repaint();
        });
    }

    /// Adds the ticked contacts of the Restore screen to the chosen phone, on a thread.
    fn put_back_contacts(&mut self) {
        let Some(target) = self.restore.target.clone() else { return };
        let Some(list) = self.restore.contacts.as_mut().filter(|l| !l.putting_back) else { return };
        let contacts = list.ticked_contacts();
        if contacts.is_empty() {
            return;
        }
        list.putting_back = true;
        list.said = None;
        let folder = list.folder.clone();
        let (tx, ctx, source) = (self.events_tx.clone(), self.ctx.clone(), self.options.adb.clone());
        tracing::info!(to = target, contacts = contacts.len(), "contacts put back from the app");
        Self::spawn("contacts-import", move || {
            let result = source.device(&target).and_then(|device| {
                let info = device.info().map_err(|e| e.to_string())?;
                crate::contacts::import::import(&device, info.sdk, &contacts).map_err(|e| match e {
                    crate::contacts::ContactsError::Content(c) if c.is_refusal() => {
                        format!("Contacts not put back: the phone refused ({c})")
                    }
                    e @ crate::contacts::ContactsError::Content(_) => format!("Contacts not put back: {e}"),
                })
            });
            let _ = tx.send(Event::ContactsPutBack(folder, result));
            ctx.request_repaint();
        });
    }

    /// Shows photo `n` of the grid on screen large, loading it on a thread.
    fn open_preview(&mut self, n: usize) {
        let (item, phone) = match self.screen {
            Screen::Backup => match self.backup.as_ref().and_then(|b| b.grid.items().get(n).map(|i| (i, b))) {
                Some((item, view)) => (item.clone(), Some(view.serial.clone())),
                None => return,
            },
            Screen::Restore => match self.restore.grid.items().get(n) {
                Some(item) => (item.clone(), None),
                None => return,
            },
            Screen::FreeUp => match self.freeup.as_ref().and_then(|f| f.grid.items().get(n).map(|i| (i, f))) {
                Some((item, view)) => (item.clone(), Some(view.serial.clone())),
                None => return,
            },
            _ => return,
        };
        let vault = self.restore.backup.as_ref().and_then(|b| b.vault.clone()).filter(|_| phone.is_none());
        if self.preview.as_ref().is_some_and(|p| p.key == item.key) {
            return;
        }
        self.preview = Some(PreviewView {
            key: item.key.clone(),
            name: item.name.clone(),
            size: item.size,
            mtime: item.mtime,
            taken: item.taken,
            texture: None,
            // A video whose file name says so gets a frame; one of an encrypted backup (its file's name says
            // nothing) keeps its placeholder.
            kind: PictureKind::of(&item.key.path)
                .placeholder()
                .map_or_else(|| PictureKind::of(item.name.as_bytes()).placeholder(), |_| None)
                .and_then(|p| match p {
                    crate::thumbnails::Thumbnail::Placeholder { kind } => Some(kind),
                    crate::thumbnails::Thumbnail::Image(_) => None,
                }),
            dimensions: None,
            error: None,
        });
        if self.preview.as_ref().is_some_and(|p| p.kind.is_some()) {
            return;
        }
        let (tx, ctx, source) = (self.events_tx.clone(), self.ctx.clone(), self.options.adb.clone());
        Self::spawn("preview", move || {
            let key = item.key;
            if PictureKind::of(&key.path) == PictureKind::Video {
                let result = match phone {
                    Some(serial) => source
                        .device(&serial)
                        .map(|device| crate::thumbnails::video_preview(Some(&device), None, &key, PREVIEW_SIZE)),
                    None => Ok(crate::thumbnails::video_preview(None, vault.as_deref(), &key, PREVIEW_SIZE)),
                };
                let _ = tx.send(Event::Preview(key, result));
                ctx.request_repaint();
                return;
            }
            let bytes = if item.size > PREVIEW_MAX_BYTES {
                Err("This file is too large to preview.".to_string())
            } else if let Some(serial) = phone {
                source.device(&serial).and_then(|device| {
                    let mut bytes = Vec::with_capacity(usize::try_from(item.size).unwrap_or(0));
                    device.pull(&key.path, &mut bytes, &mut |_| Ok(())).map_err(|e| e.to_string())?;
                    Ok(bytes)
                })
            } else {
                crate::thumbnails::read_local(&key.path, vault.as_deref()).map_err(|e| e.to_string())
            };
            let result = bytes.and_then(|bytes| {
                crate::thumbnails::preview(item.name.as_bytes(), &bytes, PREVIEW_SIZE).map_err(|e| e.to_string())
            });
            let _ = tx.send(Event::Preview(key, result));
            ctx.request_repaint();
        });
    }

    /// Takes what background threads reported and carries out the screens' commands. No drawing. `ctx` is the
    /// context the window runs (the one given to [`App::new`] in the app; a test harness may bring its own).
    pub fn logic(&mut self, ctx: &egui::Context) {
        if self.ctx != *ctx {
            self.ctx = ctx.clone();
        }
        while let Ok(event) = self.events.try_recv() {
            self.handle(event);
        }
        for command in std::mem::take(&mut self.pending) {
            self.carry_out(command);
        }
        self.feed_thumbnails();
        self.watch_close();
    }

    /// Thumbnails: takes the finished ones (their photos' EXIF dates go to their grid, once a frame), asks for
    /// what the grid on screen wants.
    fn feed_thumbnails(&mut self) {
        let (mut phone_taken, mut backup_taken) = (Vec::new(), Vec::new());
        for (service, taken) in [(&self.phone_thumbs, &mut phone_taken), (&self.backup_thumbs, &mut backup_taken)] {
            for result in service.iter().flat_map(ThumbnailService::finished) {
                // A date without a zone is read on this thread's clock (the computer's zone).
                if let Some(secs) = result.taken.and_then(crate::thumbnails::Taken::seconds) {
                    taken.push((result.key.clone(), secs));
                }
                self.textures.insert_marked(&self.ctx, result.key, result.thumb, result.marks);
            }
        }
        if let Some(preview) = self.preview.as_mut()
            && let Some((_, secs)) = phone_taken.iter().chain(&backup_taken).find(|(k, _)| *k == preview.key)
        {
            preview.taken = *secs;
        }
        if !phone_taken.is_empty()
            && let Some(freeup) = self.freeup.as_mut()
        {
            freeup.grid.set_taken(phone_taken.clone());
        }
        if !phone_taken.is_empty()
            && let Some(backup) = self.backup.as_mut()
        {
            backup.grid.set_taken(phone_taken);
        }
        if !backup_taken.is_empty() {
            self.restore.grid.set_taken(backup_taken);
        }
        let (grid, service) = match self.screen {
            Screen::Backup => (self.backup.as_mut().map(|b| &mut b.grid), self.phone_thumbs.as_ref()),
            Screen::Restore => (Some(&mut self.restore.grid), self.backup_thumbs.as_ref()),
            Screen::FreeUp => (self.freeup.as_mut().map(|f| &mut f.grid), self.phone_thumbs.as_ref()),
            _ => (None, None),
        };
        let (Some(grid), Some(service)) = (grid, service) else { return };
        let Some(wanted) = grid.take_wanted() else { return };
        let keys: HashSet<&ThumbKey> = wanted.iter().map(|i| &i.key).collect();
        service.retain(|k| keys.contains(k));
        // Videos of an encrypted backup get their placeholder by name (their file's name says nothing, so the
        // workers would not know them); the others get a frame.
        for item in &wanted {
            if !self.textures.contains(&item.key)
                && PictureKind::of(&item.key.path) != PictureKind::Video
                && let Some(placeholder) = PictureKind::of(item.name.as_bytes()).placeholder()
            {
                self.textures.insert(&self.ctx, item.key.clone(), Ok(placeholder));
            }
        }
        let textures = &self.textures;
        service.request_many(
            wanted
                .iter()
                .filter(|i| !textures.contains(&i.key))
                .enumerate()
                .map(|(n, i)| (i.key.clone(), i64::try_from(n).unwrap_or(i64::MAX))),
        );
    }

    /// Closing the window while a job runs asks first; a confirmed close waits for the job to stop cleanly.
    fn watch_close(&mut self) {
        if self.ctx.input(|i| i.viewport().close_requested()) && self.job_running() && !self.close_when_done {
            self.ctx.send_viewport_cmd(egui::ViewportCommand::CancelClose);
            self.confirm_close = true;
        }
    }

    fn handle(&mut self, event: Event) {
        match event {
            Event::Devices(Ok((phones, unlisted))) => {
                self.connect.adb_problem = None;
                self.connect.listed = true;
                self.connect.phones = phones;
                self.connect.unlisted = unlisted;
                self.ask_phone_facts();
                self.refresh_restore_targets();
                if let Some(serial) = self.open_when_ready.take() {
                    if self.restore.targets.iter().any(|t| t.serial == serial) {
                        self.open(serial);
                    } else {
                        self.open_when_ready = Some(serial);
                    }
                }
            }
            Event::Devices(Err(problem)) => {
                self.connect.adb_problem = Some(problem);
                self.connect.listed = true;
            }
            Event::ScanAt(at) => {
                if let Some(view) = &mut self.backup
                    && view.scanning.is_some()
                {
                    view.scanning = Some(at);
                }
            }
            Event::Scanned(result) => {
                if let Some(view) = &mut self.backup {
                    view.scanning = None;
                    match result {
                        Ok((gallery, phone_serial)) => {
                            view.folders = gallery.folders.into_iter().map(|f| (f, true)).collect();
                            view.automatic = self
                                .options
                                .agent
                                .as_ref()
                                .map(|_| self.settings.automatic.iter().any(|a| a.phone_serial == phone_serial));
                            // Wireless debugging's mDNS serials are over Wi-Fi already; a HOST:PORT one may be a
                            // phone reached through a forwarded port: switching finds out.
                            view.wifi = if view.serial.contains("._adb-tls-connect._tcp") {
                                backup::WifiOffer::OverNetwork
                            } else {
                                backup::WifiOffer::Offered
                            };
                            view.phone_serial = phone_serial;
                            view.refresh_grid();
                            self.start_phone_thumbnails();
                            self.check_backup_folder();
                        }
                        Err(e) => view.error = Some(e),
                    }
                }
            }
            Event::BackedUp { dest, result } => {
                if let Some(view) = &mut self.backup
                    && view.dest.as_ref() == Some(&dest)
                {
                    match result {
                        Ok(state) => {
                            view.locked = state.encrypted && state.backed_up.is_none();
                            view.encrypted = state.encrypted;
                            view.fresh = state.fresh;
                            view.dest_free = state.free;
                            view.backed_up = state.backed_up;
                            view.dest_error = None;
                        }
                        Err(e) => {
                            view.backed_up = None;
                            view.dest_error = Some(e);
                        }
                    }
                    view.refresh_badges();
                }
            }
            Event::FolderChosen(purpose, folder) => {
                self.dialog_open = false;
                match (purpose, folder) {
                    (Purpose::BackupFolder, Ok(Some(dir))) => self.set_backup_folder(dir),
                    (Purpose::RestoreFrom, Ok(Some(dir))) => self.open_restore_folder(dir),
                    (_, Ok(None)) => {}
                    (purpose, Err(problem)) => {
                        tracing::warn!("{problem}");
                        let entry = Some(FolderEntry { problem, ..FolderEntry::default() });
                        match purpose {
                            Purpose::BackupFolder if self.screen == Screen::Settings => self.settings_entry = entry,
                            Purpose::BackupFolder => {
                                if let Some(view) = &mut self.backup {
                                    view.folder_entry = entry;
                                }
                            }
                            Purpose::RestoreFrom => self.restore.folder_entry = entry,
                        }
                    }
                }
            }
            Event::FolderChecked(purpose, result) => {
                let entry = match purpose {
                    Purpose::BackupFolder if self.screen == Screen::Settings => self.settings_entry.as_mut(),
                    Purpose::BackupFolder => self.backup.as_mut().and_then(|v| v.folder_entry.as_mut()),
                    Purpose::RestoreFrom => self.restore.folder_entry.as_mut(),
                };
                match result {
                    Ok((dir, _free)) => match purpose {
                        Purpose::BackupFolder => {
                            self.settings_entry = None;
                            if let Some(view) = &mut self.backup {
                                view.folder_entry = None;
                            }
                            self.set_backup_folder(dir);
                        }
                        Purpose::RestoreFrom => {
                            self.restore.folder_entry = None;
                            self.open_restore_folder(dir);
                        }
                    },
                    Err(e) => {
                        if let Some(entry) = entry {
                            entry.checking = false;
                            entry.error = Some(e);
                        }
                    }
                }
            }
            Event::Agent(status) => {
                let copying = |s: &Option<crate::agent::status::AgentStatus>, serial: &str| {
                    s.as_ref()
                        .and_then(|s| s.phones.iter().find(|p| p.phone_serial.as_deref() == Some(serial)))
                        .filter(|p| p.state == crate::agent::status::PhoneState::BackingUp)
                        .cloned()
                };
                if let Some(view) = &mut self.backup {
                    let was = copying(&self.agent, &view.phone_serial).is_some();
                    let now = copying(&status, &view.phone_serial);
                    view.agent_job = now.map(|p| {
                        let mut text = "The automatic backup is copying this phone".to_string();
                        if let Some(progress) = p.progress {
                            let _ = write!(text, ": {progress}");
                        }
                        text
                    });
                    if was && view.agent_job.is_none() {
                        // It finished: the badges change.
                        self.check_backup_folder();
                    }
                }
                self.agent = status;
            }
            Event::WifiSwitched(serial, result) => {
                let said = match result {
                    Ok(phone) => {
                        let said = format!(
                            "{} is connected over Wi-Fi at {}: you can unplug the cable. phonebak connects it again \
                             when it is on this network, until the phone restarts.",
                            phone.model, phone.address
                        );
                        self.settings.remember_wifi(phone);
                        self.save_settings();
                        backup::WifiOffer::Switched(said)
                    }
                    Err(e) => backup::WifiOffer::Failed(e),
                };
                if let Some(view) = self.backup.as_mut().filter(|v| v.serial == serial) {
                    view.wifi = said;
                }
            }
            Event::Paired(result) => {
                self.pair.busy = false;
                self.pair.said = Some(result);
            }
            Event::AutomaticSet(result) => {
                if self.screen == Screen::Settings {
                    self.automatic_said = Some(result.clone());
                }
                if let Some(view) = &mut self.backup {
                    match result {
                        Ok(said) => {
                            view.automatic_note = Some(said);
                            view.automatic_error = None;
                        }
                        Err(e) => view.automatic_error = Some(e),
                    }
                }
            }
            Event::PhoneFacts(serial, facts) => {
                match facts {
                    Ok(info) => {
                        if let Some(slot) = self.phone_facts.get_mut(&serial) {
                            *slot = Some(info);
                        }
                    }
                    Err(e) => tracing::warn!(serial, "could not ask the phone what it is: {e}"),
                }
                self.refresh_restore_targets();
            }
            Event::Progress(kind, state) => {
                let job = match kind {
                    JobKind::Backup => self.backup.as_mut().and_then(|b| b.job.as_mut()),
                    JobKind::Restore => self.restore.job.as_mut(),
                };
                if let Some(job) = job {
                    job.state = Some(state);
                }
            }
            Event::Counted { serial, kind, result } => {
                if let Some(view) = self.backup.as_mut().filter(|v| v.serial == serial) {
                    view.data.set_count(kind, result);
                }
            }
            Event::BackupDone { result, extras, folder, cancelled } => {
                if let Some(view) = &mut self.backup {
                    view.job = None;
                    view.outcome = Some(backup_outcome(result, &extras, folder, cancelled));
                }
                self.check_backup_folder();
                self.job_ended();
            }
            Event::BackupOpened(dir, result) => {
                if self.restore.folder.as_ref() != Some(&dir) {
                    return;
                }
                self.restore.opening = false;
                match result {
                    Ok(backup) => {
                        // The backup of a phone that is connected, if there is one.
                        let connected: Vec<String> =
                            self.restore.targets.iter().filter_map(|t| t.phone_serial.clone()).collect();
                        let first = backup.phones.iter().position(|p| connected.contains(&p.serial)).unwrap_or(0);
                        self.restore.backup = Some(backup);
                        self.restore.show_phone(first);
                        self.restore.target = None;
                        self.restore.keep_or_default_target();
                        self.drop_thumbnails(false);
                        let vault = self.restore.backup.as_ref().and_then(|b| b.vault.clone());
                        let started = match vault {
                            // Thumbnails of an encrypted backup stay in memory.
                            Some(vault) => ThumbnailService::start_encrypted(&vault, THUMBNAIL_WORKERS, &self.wake()),
                            None => ThumbnailService::start_local(
                                "backup",
                                self.options.cache_dir.as_deref(),
                                THUMBNAIL_WORKERS,
                                &self.wake(),
                            ),
                        };
                        match started {
                            Ok(service) => self.backup_thumbs = Some(service),
                            Err(e) => tracing::warn!("no thumbnails for the backup: {e}"),
                        }
                    }
                    Err(e) => {
                        self.restore.backup = None;
                        self.restore.folders.clear();
                        self.restore.grid.set_items(Vec::new());
                        self.restore.error = Some(e);
                    }
                }
            }
            Event::ContactsFound(dir, found) => {
                if self.restore.folder.as_ref() == Some(&dir) {
                    self.restore.set_contact_files(found);
                }
            }
            Event::ContactsPutBack(folder, result) => {
                if let Some(list) = self.restore.contacts.as_mut().filter(|l| l.folder == folder) {
                    list.putting_back = false;
                    list.said = Some(result.map(|done| contacts_said(&done)));
                }
                self.job_ended();
            }
            Event::RestoreDone { result, cancelled, whatsapp } => {
                self.restore.job = None;
                if let (Some(moved), Some(w), false) = (whatsapp, &mut self.restore.whatsapp, cancelled) {
                    w.done = Some(moved);
                }
                self.restore.outcome = Some(restore_outcome(result, cancelled));
                self.job_ended();
            }
            Event::Preview(key, result) => {
                if let Some(preview) = &mut self.preview
                    && preview.key == key
                {
                    match result {
                        Ok(p) => {
                            preview.dimensions = p.dimensions;
                            match p.picture {
                                crate::thumbnails::Thumbnail::Image(image) => {
                                    let size = [image.width() as usize, image.height() as usize];
                                    let color = egui::ColorImage::from_rgba_unmultiplied(size, image.as_raw());
                                    preview.texture =
                                        Some(self.ctx.load_texture("preview", color, egui::TextureOptions::LINEAR));
                                }
                                crate::thumbnails::Thumbnail::Placeholder { kind } => preview.kind = Some(kind),
                            }
                        }
                        Err(e) => preview.error = Some(e),
                    }
                }
            }
            Event::CacheSize(bytes) => self.cache_used = Some(bytes),
            Event::FreeUpAt(at) => {
                if let Some(view) = self.freeup.as_mut().filter(|v| v.proving.is_some()) {
                    view.proving = Some(at);
                }
            }
            Event::FreeUpProved(serial, result) => {
                if let Some(view) = self.freeup.as_mut().filter(|v| v.serial == serial && v.proving.is_some()) {
                    match result {
                        Ok(proved) => view.set_proof(proved),
                        Err(e) => {
                            view.proving = None;
                            view.error = Some(e);
                        }
                    }
                }
            }
            Event::FreeUpRemoved(serial, result) => {
                if let Some(view) = self.freeup.as_mut().filter(|v| v.serial == serial) {
                    view.set_removal(result);
                }
                self.job_ended();
            }
            Event::FreeUpPutBack(serial, result) => {
                if let Some(view) = self.freeup.as_mut().filter(|v| v.serial == serial) {
                    view.set_put_back(result);
                }
                self.job_ended();
            }
            Event::Unlocked { purpose, result, remembered } => match result {
                Ok(vault) => {
                    self.password = None;
                    if let (Some(said), Some(view)) = (remembered, &mut self.backup) {
                        view.keyring_note = Some(match said {
                            Ok(()) => Ok("The password is remembered on this computer (in the desktop's keyring): \
                                          the automatic backup can open this folder."
                                .to_string()),
                            Err(e) => Err(format!("The password was not remembered: {e}")),
                        });
                    }
                    match purpose {
                        PasswordFor::Unlock { dir, restore: true } => {
                            self.vaults.insert(dir.clone(), vault);
                            self.open_restore_folder(dir);
                        }
                        PasswordFor::Unlock { dir, restore: false } => {
                            self.vaults.insert(dir, vault);
                            self.check_backup_folder();
                        }
                        PasswordFor::Create { dir } => {
                            self.vaults.insert(dir, vault);
                            if let Some(view) = &mut self.backup {
                                view.encrypted = true;
                                view.fresh = false;
                            }
                            self.start_backup();
                            self.check_backup_folder();
                        }
                    }
                }
                Err(e) => {
                    if let Some(prompt) = &mut self.password {
                        prompt.busy = false;
                        prompt.error = Some(e);
                    }
                }
            },
            Event::Demo(result) => {
                self.connect.demo_starting = false;
                match result {
                    Ok(phone) => {
                        self.connect.demo_running = true;
                        if self.options.demo {
                            self.open_when_ready = Some(phone.addr().to_string());
                        }
                        self.demo = Some(phone);
                    }
                    Err(e) => self.connect.demo_error = Some(e),
                }
            }
        }
    }

    fn job_ended(&mut self) {
        if self.close_when_done {
            self.ctx.send_viewport_cmd(egui::ViewportCommand::Close);
        }
    }

    fn carry_out(&mut self, command: Command) {
        match command {
            Command::Connect(ConnectCommand::TryDemo) if self.demo.is_none() && !self.connect.demo_starting => {
                self.start_demo();
            }
            Command::Connect(ConnectCommand::Copy(text)) => self.ctx.copy_text(text),
            Command::Connect(ConnectCommand::Open(serial)) => self.open(serial),
            Command::Connect(_) => {}
            Command::Backup(c) => self.carry_out_backup(c),
            Command::Restore(c) => self.carry_out_restore(&c),
            Command::FreeUp(c) => self.carry_out_freeup(c),
            Command::Settings(c) => match c {
                SettingsCommand::Changed => {
                    self.save_settings();
                    if let Some(view) = &mut self.backup {
                        view.new_means = self.settings.new_means;
                    }
                }
                SettingsCommand::ChooseBackupFolder => self.choose_folder(Purpose::BackupFolder),
                SettingsCommand::UseTypedFolder(text) => self.check_typed_folder(Purpose::BackupFolder, text),
                SettingsCommand::ClearCache => self.prune_cache(Some(0)),
                SettingsCommand::StopAutomatic(phone_serial) => self.stop_automatic(&phone_serial),
                SettingsCommand::StartAutomatic(phone_serial, model) => self.start_automatic(phone_serial, model),
                SettingsCommand::ForgetWifi(phone_serial) => {
                    let gone: Vec<String> = self
                        .settings
                        .wifi
                        .iter()
                        .filter(|w| w.phone_serial == phone_serial)
                        .map(|w| w.address.clone())
                        .collect();
                    self.settings.wifi.retain(|w| w.phone_serial != phone_serial);
                    self.save_settings();
                    let source = self.options.adb.clone();
                    Self::spawn("wifi-forget", move || {
                        if let Ok(adb) = source.get() {
                            for address in gone {
                                let _ = adb.disconnect(&address);
                            }
                        }
                    });
                }
                SettingsCommand::Pair => self.pair(),
                SettingsCommand::Close => self.screen = self.return_to,
            },
            Command::Show(screen) => {
                if matches!(self.screen, Screen::Connect | Screen::Backup) {
                    self.return_to = self.screen;
                }
                if screen == Screen::Restore
                    && self.restore.backup.is_none()
                    && !self.restore.opening
                    && let Some(dir) = self.restore.folder.clone().or_else(|| self.backup_folder_with_a_backup())
                {
                    self.open_restore_folder(dir);
                }
                if screen == Screen::Settings {
                    self.prune_cache(None);
                }
                self.preview = None;
                self.screen = screen;
                self.mark_grid_wanted();
            }
            Command::ClosePreview => self.preview = None,
            Command::KeepRunning => self.confirm_close = false,
            Command::Password(PasswordCommand::Cancel) => self.password = None,
            Command::Password(PasswordCommand::Submit) => self.submit_password(),
            Command::StopAndClose => {
                self.confirm_close = false;
                self.close_when_done = true;
                self.job_cancel.cancel();
                self.set_cancelling();
                if !self.job_running() {
                    self.ctx.send_viewport_cmd(egui::ViewportCommand::Close);
                }
            }
        }
    }

    /// Opens (or makes) the key with the typed password, on a thread (scrypt takes about a second).
    fn submit_password(&mut self) {
        let Some(prompt) = &mut self.password else { return };
        if prompt.busy {
            return;
        }
        prompt.busy = true;
        prompt.error = None;
        let password = crate::vault::SecretString::from(std::mem::take(&mut prompt.first));
        prompt.second.clear();
        let purpose = prompt.purpose.clone();
        let remember = prompt.remember.then(|| self.options.keyring.clone());
        let (tx, ctx) = (self.events_tx.clone(), self.ctx.clone());
        Self::spawn("vault", move || {
            let (PasswordFor::Unlock { dir, .. } | PasswordFor::Create { dir }) = &purpose;
            let result = match &purpose {
                PasswordFor::Unlock { .. } => crate::vault::Vault::open(dir, &password),
                PasswordFor::Create { .. } => crate::vault::Vault::create(dir, &password),
            };
            let result = result.map(Arc::new).map_err(|e| e.to_string());
            // Only a password that opened the folder is remembered.
            let remembered = remember
                .filter(|_| result.is_ok())
                .map(|keyring| keyring.remember(dir, &password).map_err(|e| e.to_string()));
            let _ = tx.send(Event::Unlocked { purpose, result, remembered });
            ctx.request_repaint();
        });
    }

    /// The grid shown asks for its thumbnails again (after coming back to it).
    fn mark_grid_wanted(&mut self) {
        if let Some(view) = &mut self.backup {
            view.grid.refresh_wanted();
        }
        self.restore.grid.refresh_wanted();
        if let Some(view) = &mut self.freeup {
            view.grid.refresh_wanted();
        }
    }

    fn set_cancelling(&mut self) {
        if let Some(job) = self.backup.as_mut().and_then(|b| b.job.as_mut()) {
            job.cancelling = true;
        }
        if let Some(job) = self.restore.job.as_mut() {
            job.cancelling = true;
        }
    }

    fn carry_out_backup(&mut self, command: BackupCommand) {
        match command {
            BackupCommand::Back => {
                if self.job_running() {
                    return;
                }
                self.scan_cancel.cancel();
                self.drop_thumbnails(true);
                self.backup = None;
                self.preview = None;
                self.screen = Screen::Connect;
            }
            BackupCommand::ChooseFolder => self.choose_folder(Purpose::BackupFolder),
            BackupCommand::SetAutomatic(on) => self.set_automatic(on),
            BackupCommand::UseWifi => self.use_wifi(),
            BackupCommand::UseTypedFolder(text) => self.check_typed_folder(Purpose::BackupFolder, text),
            BackupCommand::DataChanged => {}
            BackupCommand::FoldersChanged => {
                if let Some(view) = &mut self.backup {
                    view.refresh_grid();
                }
            }
            BackupCommand::BackUp => self.start_backup(),
            BackupCommand::FreeUp => self.start_freeup(),
            BackupCommand::Cancel => {
                self.job_cancel.cancel();
                self.set_cancelling();
            }
            BackupCommand::OpenFolder(path) => open_in_file_manager(&path),
            BackupCommand::Preview(n) => self.open_preview(n),
            BackupCommand::ClosePreview => self.preview = None,
            BackupCommand::Settings => self.carry_out(Command::Show(Screen::Settings)),
            BackupCommand::Log => self.carry_out(Command::Show(Screen::Log)),
            BackupCommand::Restore => self.carry_out(Command::Show(Screen::Restore)),
            BackupCommand::Unlock => {
                if let Some(dir) = self.backup.as_ref().and_then(|v| v.dest.clone()) {
                    self.password = Some(PasswordPrompt::new(PasswordFor::Unlock { dir, restore: false }));
                }
            }
        }
    }

    fn carry_out_restore(&mut self, command: &RestoreCommand) {
        match command {
            RestoreCommand::Back => {
                self.preview = None;
                self.screen = self.return_to;
                self.mark_grid_wanted();
            }
            RestoreCommand::ChooseFolder => self.choose_folder(Purpose::RestoreFrom),
            RestoreCommand::UseTypedFolder(text) => self.check_typed_folder(Purpose::RestoreFrom, text.clone()),
            RestoreCommand::ShowPhone(n) => {
                self.restore.show_phone(*n);
                self.restore.target = None;
                self.restore.keep_or_default_target();
            }
            RestoreCommand::RestoreAll | RestoreCommand::RestoreSelected | RestoreCommand::PutBackWhatsApp => {
                let part = match command {
                    RestoreCommand::RestoreSelected => RestorePart::Selected,
                    RestoreCommand::PutBackWhatsApp => RestorePart::WhatsApp,
                    _ => RestorePart::All,
                };
                if self.restore.target_is_another_phone() {
                    // Another phone than the backup's: it asks first, naming both.
                    self.restore.confirm_other = Some(part);
                } else {
                    self.start_restore(part);
                }
            }
            RestoreCommand::ConfirmOther => {
                if let Some(part) = self.restore.confirm_other.take() {
                    self.start_restore(part);
                }
            }
            RestoreCommand::OpenMessages(page) => open_in_file_manager(page),
            RestoreCommand::CancelOther => self.restore.confirm_other = None,
            RestoreCommand::Cancel => {
                self.job_cancel.cancel();
                self.set_cancelling();
            }
            RestoreCommand::Preview(n) => self.open_preview(*n),
            RestoreCommand::ClosePreview => self.preview = None,
            RestoreCommand::PutBackContacts => self.put_back_contacts(),
            RestoreCommand::Unlock => {
                if let Some(dir) = self.restore.folder.clone() {
                    self.password = Some(PasswordPrompt::new(PasswordFor::Unlock { dir, restore: true }));
                }
            }
        }
    }

    /// Draws the app.
    pub fn draw(&mut self, ui: &mut egui::Ui) {
        let mut commands = Vec::new();
        match self.screen {
            Screen::Connect => {
                egui::Panel::top("connect-top").show(ui, |ui| {
                    ui.horizontal(|ui| {
                        ui.heading("phonebak");
                        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                            if ui.button("Show log").clicked() {
                                commands.push(Command::Show(Screen::Log));
                            }
                            if ui.button("Settings").clicked() {
                                commands.push(Command::Show(Screen::Settings));
                            }
                            if ui.button("Restore a backup…").clicked() {
                                commands.push(Command::Show(Screen::Restore));
                            }
                        });
                    });
                });
                egui::CentralPanel::default().show(ui, |ui| {
                    if let Some(problem) = &self.settings_problem {
                        ui.colored_label(ui.visuals().warn_fg_color, problem);
                    }
                    egui::ScrollArea::vertical().show(ui, |ui| {
                        if let Some(command) = connect_ui(ui, &self.connect) {
                            commands.push(Command::Connect(command));
                        }
                    });
                });
            }
            Screen::Backup => {
                if let Some(view) = &mut self.backup
                    && let Some(command) = backup_ui(ui, view, &mut self.textures)
                {
                    commands.push(Command::Backup(command));
                }
            }
            Screen::Restore => {
                if let Some(command) = restore_ui(ui, &mut self.restore, &mut self.textures) {
                    commands.push(Command::Restore(command));
                }
            }
            Screen::FreeUp => {
                if let Some(view) = &mut self.freeup
                    && let Some(command) = freeup_ui(ui, view, &mut self.textures)
                {
                    commands.push(Command::FreeUp(command));
                }
            }
            Screen::Settings => {
                let choices = settings::AutomaticChoices {
                    connected: if self.options.agent.is_some() {
                        let mut connected: Vec<(String, String)> = self
                            .phone_facts
                            .values()
                            .flatten()
                            .map(|info| (info.serial.clone(), info.model.clone()))
                            .collect();
                        connected.sort();
                        connected.dedup();
                        connected
                    } else {
                        Vec::new()
                    },
                    said: self.automatic_said.clone(),
                    folder: self.backup_folder(),
                };
                egui::CentralPanel::default().show(ui, |ui| {
                    let default = self.options.default_backup_folder.as_deref();
                    if let Some(command) =
                        settings_ui(ui, &mut self.settings, default, self.cache_used, &mut self.pair, &choices)
                    {
                        commands.push(Command::Settings(command));
                    }
                    if let Some(entry) = &mut self.settings_entry
                        && folder_entry_ui(ui, entry, "Back up into this folder:")
                    {
                        commands.push(Command::Settings(SettingsCommand::UseTypedFolder(entry.text.clone())));
                    }
                });
            }
            Screen::Log => {
                egui::CentralPanel::default().show(ui, |ui| {
                    if log_ui(ui) {
                        commands.push(Command::Show(self.return_to));
                    }
                });
            }
        }
        if let Some(preview) = &self.preview
            && preview_ui(ui.ctx(), preview)
        {
            commands.push(Command::ClosePreview);
        }
        if let Some(prompt) = &mut self.password
            && let Some(command) = password_ui(ui.ctx(), prompt)
        {
            commands.push(Command::Password(command));
        }
        if self.confirm_close {
            commands.extend(confirm_close_ui(ui.ctx()));
        }
        if !commands.is_empty() {
            self.pending.extend(commands);
            ui.ctx().request_repaint();
        }
    }
}

/// The log view; true when Close was clicked.
fn log_ui(ui: &mut egui::Ui) -> bool {
    let mut close = false;
    let lines = crate::logbook::recent();
    ui.horizontal(|ui| {
        if ui.button("Close log").clicked() {
            close = true;
        }
        ui.heading("Log");
        if ui.button("Copy the log").clicked() {
            ui.ctx().copy_text(lines.join("\n"));
        }
    });
    if let Some(dir) = crate::logbook::log_dir() {
        ui.weak(format!("The whole log is in {}", dir.join("phonebak.log").display()));
    }
    egui::ScrollArea::vertical().stick_to_bottom(true).auto_shrink([false, false]).show(ui, |ui| {
        if lines.is_empty() {
            ui.weak("Nothing logged yet.");
        }
        for line in &lines {
            ui.monospace(line);
        }
    });
    close
}

/// The large preview; true when it should close.
fn preview_ui(ctx: &egui::Context, preview: &PreviewView) -> bool {
    let mut close = false;
    let response = egui::Modal::new(egui::Id::unique("phonebak-preview")).show(ctx, |ui| {
        let screen = ctx.content_rect().size();
        let room = egui::vec2(screen.x * 0.85, screen.y * 0.75);
        match (&preview.texture, preview.kind, &preview.error) {
            (Some(texture), _, _) => {
                let size = texture.size_vec2();
                let scale = (room.x / size.x).min(room.y / size.y).min(1.0);
                ui.add(egui::Image::new((texture.id(), size * scale)));
            }
            (None, Some(kind), _) => {
                ui.label(format!("{kind}: no picture of it can be shown."));
            }
            (None, None, Some(e)) => {
                ui.colored_label(ui.visuals().error_fg_color, format!("Cannot show this picture: {e}"));
            }
            (None, None, None) => {
                ui.horizontal(|ui| {
                    ui.spinner();
                    ui.label("Loading…");
                });
            }
        }
        ui.label(egui::RichText::new(&preview.name).strong());
        let mut details =
            format!("{}, {}", grid::when(preview.taken, preview.mtime), crate::human::human_bytes(preview.size));
        if let Some((w, h)) = preview.dimensions {
            let _ = write!(details, ", {w} × {h} pixels");
        }
        ui.label(details);
        ui.horizontal(|ui| {
            if ui.button("Close").clicked() {
                close = true;
            }
            ui.weak("Left and Right arrow keys: previous and next photo. Esc closes.");
        });
    });
    close || response.should_close()
}

/// Asks whether to stop a running job and close.
fn confirm_close_ui(ctx: &egui::Context) -> Vec<Command> {
    let mut commands = Vec::new();
    egui::Modal::new(egui::Id::unique("phonebak-confirm-close")).show(ctx, |ui| {
        ui.heading("A copy is running");
        ui.label(
            "Stop it and close phonebak? Every file verified so far is kept, and the next run goes on from there.",
        );
        ui.horizontal(|ui| {
            if ui.button("Keep copying").clicked() {
                commands.push(Command::KeepRunning);
            }
            if ui.button("Stop and close").clicked() {
                commands.push(Command::StopAndClose);
            }
        });
    });
    commands
}

/// How a backup ended, for people: the photos' report (`None`: none were asked for), then a sentence for each
/// other kind saved (those that could not be saved make the outcome a failure, shown in the error colour).
fn backup_outcome(
    result: Option<Result<BackupReport, String>>,
    extras: &[Result<String, String>],
    folder: PathBuf,
    cancelled: bool,
) -> Outcome {
    let mut outcome = match result {
        Some(result) => photos_outcome(result, folder, cancelled),
        None => Outcome { headline: String::new(), failed: false, lines: Vec::new(), folder: Some(folder) },
    };
    for said in extras {
        let (Ok(text) | Err(text)) = said;
        if !outcome.headline.is_empty() {
            outcome.headline.push(' ');
        }
        outcome.headline.push_str(text);
        outcome.failed |= said.is_err();
    }
    outcome
}

/// "Added 18 contacts; 2 were already on the phone."
fn contacts_said(done: &crate::contacts::import::Imported) -> String {
    let mut text = format!("Added {}", backup::count(done.added, "contact"));
    match done.skipped {
        0 => {}
        1 => text.push_str("; 1 was already on the phone"),
        n => {
            let _ = write!(text, "; {n} were already on the phone");
        }
    }
    text.push('.');
    for note in &done.notes {
        let _ = write!(text, " {note}");
    }
    text
}

/// How the photos' part of a backup ended, for people.
fn photos_outcome(result: Result<BackupReport, String>, folder: PathBuf, cancelled: bool) -> Outcome {
    match result {
        Ok(report) => {
            let mut headline = format!(
                "Backed up {} files ({}) in {:.0} s; {} were already backed up.",
                report.copied.len(),
                crate::human::human_bytes(report.bytes_copied),
                report.elapsed.as_secs_f64(),
                report.unchanged_files
            );
            if !report.failed.is_empty() {
                let _ = write!(
                    headline,
                    " {} could not be copied (listed below; Back up again to retry them).",
                    report.failed.len()
                );
            }
            let lines = report
                .failed
                .iter()
                .map(|f| format!("{}: {}", String::from_utf8_lossy(&f.phone_path), f.reason))
                .collect();
            Outcome { headline, failed: !report.failed.is_empty(), lines, folder: Some(folder) }
        }
        Err(_) if cancelled => Outcome {
            headline: "Backup stopped. Every file copied and verified so far is kept; Back up again to go on."
                .to_string(),
            failed: false,
            lines: Vec::new(),
            folder: Some(folder),
        },
        Err(e) => {
            Outcome { headline: format!("The backup stopped: {e}"), failed: true, lines: Vec::new(), folder: None }
        }
    }
}

/// How a restore ended, for people.
fn restore_outcome(result: Result<RestoreReport, String>, cancelled: bool) -> Outcome {
    match result {
        Ok(report) => {
            let renamed: Vec<_> = report.restored.iter().filter(|f| f.renamed()).collect();
            let mut headline = format!(
                "Restored {} files ({}); {} already on the phone, skipped",
                report.restored.len(),
                crate::human::human_bytes(report.bytes_restored),
                report.already_there
            );
            if !renamed.is_empty() {
                let _ = write!(headline, "; {} renamed because a different file had the name", renamed.len());
            }
            headline.push('.');
            let mut lines: Vec<String> = renamed
                .iter()
                .map(|f| {
                    format!(
                        "Renamed: {} is now {}",
                        String::from_utf8_lossy(&f.wanted),
                        String::from_utf8_lossy(&f.phone_path)
                    )
                })
                .collect();
            lines.extend(
                report
                    .failed
                    .iter()
                    .map(|f| format!("Failed: {}: {}", String::from_utf8_lossy(&f.phone_path), f.reason)),
            );
            lines.extend(
                report.not_indexed.iter().map(|f| {
                    format!("Not in the gallery yet: {}: {}", String::from_utf8_lossy(&f.phone_path), f.reason)
                }),
            );
            Outcome { headline, failed: !report.failed.is_empty(), lines, folder: None }
        }
        Err(_) if cancelled => Outcome {
            headline: "Restore stopped. The files restored so far are on the phone; Restore again to go on."
                .to_string(),
            failed: false,
            lines: Vec::new(),
            folder: None,
        },
        Err(e) => {
            Outcome { headline: format!("The restore stopped: {e}"), failed: true, lines: Vec::new(), folder: None }
        }
    }
}

/// Makes the backup folder, writes the agent's autostart entry and starts the agent when it does not run.
fn turn_automatic_on(
    places: &AgentPlaces,
    dest: &Path,
    settings_path: Option<&Path>,
    adb_port: Option<u16>,
) -> Result<String, String> {
    crate::backup::folder::prepare(&dest.to_string_lossy()).map_err(|e| e.to_string())?;
    let program = places.program.to_string_lossy().into_owned();
    crate::agent::autostart::install_at(&places.autostart, &program)
        .map_err(|e| format!("Could not write {} ({e}).", places.autostart.display()))?;
    if crate::agent::status::query(&places.runtime_dir).is_none() {
        let mut agent = std::process::Command::new(&places.program);
        agent.arg("agent").arg("--runtime-dir").arg(&places.runtime_dir);
        if let Some(path) = settings_path {
            agent.arg("--settings").arg(path);
        }
        if let Some(port) = adb_port {
            agent.env("ANDROID_ADB_SERVER_PORT", port.to_string());
        }
        agent
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null());
        let mut child = agent.spawn().map_err(|e| format!("Could not start the automatic backup ({e})."))?;
        // Reaped on a thread when it ends, so that no zombie is left while the app runs.
        let _ = std::thread::Builder::new().name("agent-reaper".to_string()).spawn(move || child.wait());
    }
    Ok(format!(
        "This phone is backed up automatically into {} whenever it connects, also when phonebak is closed.",
        dest.display()
    ))
}

/// A typed folder to restore from: a whole path to a folder that exists.
fn existing_folder(text: &str) -> Result<PathBuf, String> {
    let text = text.trim();
    let path = match text.strip_prefix("~/") {
        Some(rest) => std::env::var_os("HOME").map_or_else(|| PathBuf::from(text), |h| PathBuf::from(h).join(rest)),
        None => PathBuf::from(text),
    };
    if text.is_empty() {
        Err("Type or paste the path of the backup folder.".to_string())
    } else if !path.is_absolute() {
        Err("Give the whole path of the backup folder, starting with /.".to_string())
    } else if !path.is_dir() {
        Err(format!("{} is not a folder on this computer. Check the path (is its disk connected?).", path.display()))
    } else {
        Ok(path)
    }
}

/// Forwards engine progress to the app (dropped when the app is behind: the next one comes).
struct ChannelProgress {
    tx: SyncSender<Event>,
    ctx: egui::Context,
    kind: JobKind,
}

impl Progress for ChannelProgress {
    fn update(&self, state: &ProgressState) {
        if self.tx.try_send(Event::Progress(self.kind, state.clone())).is_ok() {
            self.ctx.request_repaint();
        }
    }
}

/// Opens `path` in the system's file manager (without waiting for it).
fn open_in_file_manager(path: &Path) {
    let program = if cfg!(target_os = "macos") {
        "open"
    } else if cfg!(windows) {
        "explorer"
    } else {
        "xdg-open"
    };
    match std::process::Command::new(program).arg(path).spawn() {
        Ok(mut child) => {
            // Reaped on a thread so that no zombie is left.
            let _ = std::thread::Builder::new().name("file-manager".to_string()).spawn(move || child.wait());
        }
        Err(e) => tracing::warn!("could not open {} with {program}: {e}", path.display()),
    }
}

impl Drop for App {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        self.scan_cancel.cancel();
        self.job_cancel.cancel();
        self.freeup_cancel.cancel();
        // The demo phone leaves adb's list with the app.
        if let (Some(phone), Ok(adb)) = (&self.demo, self.options.adb.get()) {
            let _ = adb.disconnect(&phone.addr().to_string());
        }
    }
}

impl eframe::App for App {
    fn logic(&mut self, ctx: &egui::Context, _frame: &mut eframe::Frame) {
        App::logic(self, ctx);
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        self.draw(ui);
    }
}

/// Starts a demo phone and connects adb to it.
fn start_demo_phone(source: &AdbSource, photos: usize) -> Result<VirtualPhone, String> {
    let phone = VirtualPhone::start(Config {
        storage: StorageSource::Sample(SampleOptions { photos, ..SampleOptions::default() }),
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
/// With `demo`, the demo phone (with that many camera photos) starts at once and opens.
///
/// # Errors
/// When no window can be opened (no display, no OpenGL).
pub fn run(demo: Option<usize>) -> anyhow::Result<()> {
    let mut viewport = egui::ViewportBuilder::default()
        .with_title("phonebak")
        .with_app_id("phonebak")
        .with_inner_size([1100.0, 760.0]);
    if let Some(icon) = icon() {
        viewport = viewport.with_icon(icon);
    }
    let options = eframe::NativeOptions { viewport, ..eframe::NativeOptions::default() };
    eframe::run_native(
        "phonebak",
        options,
        Box::new(|cc| {
            Ok(Box::new(App::new(
                cc.egui_ctx.clone(),
                Options { demo: demo.is_some(), demo_photos: demo.unwrap_or(200), ..Options::user() },
            )?) as Box<dyn eframe::App>)
        }),
    )
    .map_err(|e| anyhow::anyhow!("Could not open the phonebak window ({e}). Is a desktop session running?"))
}

#[cfg(test)]
mod tests;
