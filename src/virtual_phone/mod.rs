//! The virtual phone: an adbd that speaks the real ADB protocol on loopback.
//!
//! It serves a host directory (or a generated sample gallery) as the phone's shared storage, answers the
//! `shell:`, `shell,v2,raw:`, `exec:` and `sync:` services as a real Android device does, keeps a media
//! store that learns about files only when they are scanned, models the USB link's speed and latency, and
//! can be told to fail in the ways real phones and cables fail. Real `adb` accepts it as a device
//! (`adb connect 127.0.0.1:PORT`).
//!
//! It also has what an automatic backup asks a phone before it starts: a battery (`dumpsys battery`, set
//! from [`Config::battery`], [`VirtualPhone::set_battery`] or the shell's `dumpsys battery set`), and Wi-Fi.
//! The Wi-Fi address is a loopback address of its own, 127.A.B.C ([`VirtualPhone::wlan0_addr`], printed by
//! `ip addr`), because Linux lets any 127/8 address be bound: after `adb tcpip 5555` (adbd's `tcpip:`
//! service) every connection drops as adbd restarts, and the phone listens on that address too, so
//! `adb connect 127.A.B.C:5555` shows the same phone under a second serial, as a phone on the desk's Wi-Fi
//! does. Debian's adb 1.0.41 reconnects the original serial by itself about 10 s after the drop. A cable
//! pull cuts only the USB endpoint's connections; the Wi-Fi ones share its link model and counters.
//!
//! This module depends on nothing else in the crate: it stands for the phone, and the rest of phonebak
//! must talk to it only through ADB.

pub mod battery;
pub mod content;
mod fault;
mod link;
pub mod media_store;
pub mod net;
mod packet;
mod props;
pub mod sample;
mod server;
pub mod shell;
mod stats;
pub mod storage;
mod sync;

pub use battery::{Battery, BatterySetting};
pub use fault::{DeniedProvider, Fault, PullPoint, parse_bytes};
pub use link::LinkModel;
pub use props::{AndroidVersion, Props};
pub use stats::{Stats, StatsSnapshot};

use media_store::MediaStore;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use storage::Storage;

/// How the phone answers a host that connects: the "Allow USB debugging?" dialog.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMode {
    /// No authentication: the phone answers CNXN at once (`adb devices` shows `device`).
    None,
    /// The phone asks for the host's key and the user taps Allow after this delay; until then the host sees
    /// `unauthorized`.
    Prompt(Duration),
    /// The user never allows the host: it stays `unauthorized`.
    Rejected,
}

/// What the phone's storage holds when it starts.
#[derive(Debug, Clone)]
pub enum StorageSource {
    /// Serve this existing host directory as the shared storage (changes are made in it).
    Dir(PathBuf),
    /// Generate a deterministic sample gallery of about this many photos in a temporary directory.
    Sample(sample::SampleOptions),
    /// An empty storage in a temporary directory (a factory-reset phone), with the usual folders.
    Empty,
}

/// Everything a virtual phone is made of.
#[derive(Debug, Clone)]
pub struct Config {
    /// TCP port on 127.0.0.1 (0 picks a free one).
    pub port: u16,
    /// The storage's content.
    pub storage: StorageSource,
    /// The USB link it models.
    pub link: LinkModel,
    /// The Android release it reports and behaves as.
    pub android: AndroidVersion,
    /// `ro.product.model`.
    pub model: String,
    /// Its serial number (`ro.serialno`).
    pub serial: String,
    /// Seed for everything random: sample content, random fault points.
    pub seed: u64,
    /// How it answers a connecting host.
    pub auth: AuthMode,
    /// Faults present from the start.
    pub faults: Vec<Fault>,
    /// The storage size it reports.
    pub capacity_bytes: u64,
    /// The battery's charge and charger when it starts.
    pub battery: BatterySetting,
    /// Whether it is on Wi-Fi: `wlan0` has an address (see [`net::wlan0_address`]) that `adb tcpip` makes
    /// adbd listen on. Without, `wlan0` does not exist.
    pub wifi: bool,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            port: 0,
            storage: StorageSource::Empty,
            link: LinkModel::Unlimited,
            android: AndroidVersion { release: 14, sdk: 34 },
            model: "Pixel 7".to_string(),
            serial: "VIRT0001".to_string(),
            seed: 1,
            auth: AuthMode::None,
            faults: Vec::new(),
            capacity_bytes: 128 << 30,
            battery: BatterySetting::default(),
            wifi: true,
        }
    }
}

/// The state of one phone, shared by all its connections and services.
#[derive(Debug)]
pub struct Phone {
    /// The shared storage.
    pub storage: Storage,
    /// The media store (what the gallery shows).
    pub media: MediaStore,
    /// The address book (the contacts provider).
    pub contacts: content::ContactsStore,
    /// The SMS messages (the SMS provider).
    pub sms: content::SmsStore,
    /// The call log (the call log provider).
    pub calls: content::CallLogStore,
    /// System properties.
    pub props: Props,
    /// The Android release it behaves as.
    pub android: AndroidVersion,
    /// Traffic counters.
    pub stats: Stats,
    /// The battery service.
    pub battery: Battery,
    /// `wlan0`'s address, when on Wi-Fi.
    pub wlan0: Option<Ipv4Addr>,
}

/// A running virtual phone.
pub struct VirtualPhone {
    server: server::Server,
    phone: Arc<Phone>,
    serial: String,
    _temp: Option<tempfile::TempDir>,
}

impl VirtualPhone {
    /// Builds the phone's storage and starts serving on 127.0.0.1.
    pub fn start(config: Config) -> std::io::Result<Self> {
        let (root, temp) = match &config.storage {
            StorageSource::Dir(dir) => (dir.clone(), None),
            StorageSource::Sample(_) | StorageSource::Empty => {
                let temp = tempfile::Builder::new().prefix("phonebak-virtual-phone-").tempdir()?;
                (temp.path().to_path_buf(), Some(temp))
            }
        };
        let storage = Storage::new(&root, config.capacity_bytes)?;
        let media = MediaStore::new(config.android.sdk);
        let phone = Arc::new(Phone {
            storage,
            media,
            contacts: content::ContactsStore::default(),
            sms: content::SmsStore::default(),
            calls: content::CallLogStore::default(),
            props: Props::new(&config.model, &config.serial, config.android),
            android: config.android,
            stats: Stats::default(),
            battery: Battery::new(config.battery),
            wlan0: config.wifi.then(|| net::wlan0_address(&config.serial)),
        });
        match &config.storage {
            StorageSource::Sample(options) => {
                sample::generate(&phone.storage, &phone.media, options)?;
                sample::address_book(&phone.contacts, options.seed);
                sample::messages(&phone.sms, options.seed);
                sample::calls(&phone.calls, options.seed);
            }
            StorageSource::Empty => sample::standard_folders(&phone.storage)?,
            StorageSource::Dir(_) => phone.media.scan_volume(&phone.storage),
        }
        let server = server::Server::start(&config, Arc::clone(&phone))?;
        for fault in config.faults {
            server.inject(fault);
        }
        Ok(Self { server, phone, serial: config.serial, _temp: temp })
    }

    /// The address `adb connect` takes.
    #[must_use]
    pub fn addr(&self) -> SocketAddr {
        self.server.addr()
    }

    /// The serial the phone reports (`adb devices` lists it by address, `adb shell getprop ro.serialno` by this).
    #[must_use]
    pub fn serial(&self) -> &str {
        &self.serial
    }

    /// The traffic counters so far.
    #[must_use]
    pub fn stats(&self) -> StatsSnapshot {
        self.phone.stats.snapshot()
    }

    /// The phone's state, for tests that look behind the protocol (the storage directory, the media store).
    #[must_use]
    pub fn phone(&self) -> &Arc<Phone> {
        &self.phone
    }

    /// The phone's Wi-Fi address (`ip -f inet addr show wlan0` prints it), or `None` without Wi-Fi. After
    /// `adb tcpip PORT`, adbd listens on it: `adb connect ADDR:PORT`.
    #[must_use]
    pub fn wlan0_addr(&self) -> Option<Ipv4Addr> {
        self.phone.wlan0
    }

    /// Where adbd listens over Wi-Fi since `adb tcpip PORT` (`None` in USB mode, the start, or after `adb usb`).
    #[must_use]
    pub fn tcpip_addr(&self) -> Option<SocketAddr> {
        self.server.tcpip_addr()
    }

    /// The battery now reports `level` percent and, when `charging`, a USB charger (status charging, or full
    /// at 100); otherwise no charger and status discharging. A shell override (`dumpsys battery set ...`)
    /// stays shown until `dumpsys battery reset`, as on a real phone.
    pub fn set_battery(&self, level: u8, charging: bool) {
        self.phone.battery.set(BatterySetting { level: level.min(100), charging });
    }

    /// Makes the phone show `fault` from now on.
    pub fn inject(&self, fault: Fault) {
        self.server.inject(fault);
    }

    /// Stops serving: every connection drops and the port closes.
    #[must_use = "the counters are the phone's last report"]
    pub fn stop(mut self) -> StatsSnapshot {
        self.server.stop();
        self.phone.stats.snapshot()
    }
}

impl Drop for VirtualPhone {
    fn drop(&mut self) {
        self.server.stop();
    }
}
