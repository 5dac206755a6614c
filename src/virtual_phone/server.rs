//! The ADB transport (AOSP `protocol.txt`): connections, authentication, streams and the services behind
//! them, with the link model and the transport faults applied to every byte.
//!
//! Threads: one accepts connections; one per connection reads the host's packets and dispatches them; each
//! open stream has a service thread (the shell or sync session) and a pump thread that moves the service's
//! output to the host in WRTE packets of up to the negotiated payload size, one in flight at a time, as
//! adbd does. Everything a phone sends goes through [`Conn::send`], where the link is paced and faults act.

use super::link::Pacer;
use super::packet::{
    A_AUTH, A_CLSE, A_CNXN, A_OKAY, A_OPEN, A_VERSION, A_WRTE, AUTH_RSAPUBLICKEY, AUTH_SIGNATURE, AUTH_TOKEN,
    MAX_PAYLOAD, Packet,
};
use super::storage::Location;
use super::{AuthMode, Config, DeniedProvider, Fault, LinkModel, Phone, PullPoint, shell, sync};
use std::collections::{HashMap, VecDeque};
use std::io::{self, BufReader, Read, Write};
use std::net::{Ipv4Addr, Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Features every modern adbd advertises; the v2 sync ones are dropped by the `sync-v1` fault.
const FEATURES: &str = "shell_v2,cmd,stat_v2,ls_v2,fixed_push_mkdir,sendrecv_v2";
const FEATURES_SYNC_V1: &str = "shell_v2,cmd,fixed_push_mkdir";

/// How long adbd is away when it restarts for `tcpip:`/`usb:` (init starts it again): the original endpoint
/// refuses connections meanwhile, as the USB gadget does while adbd is down.
const RESTART_OFFLINE: Duration = Duration::from_millis(300);

/// A listening virtual phone.
pub struct Server {
    addr: SocketAddr,
    shared: Arc<Shared>,
    accept: Option<JoinHandle<()>>,
}

/// What every connection of one phone shares: the phone, the cable and its faults.
struct Shared {
    phone: Arc<Phone>,
    link: LinkModel,
    auth: AuthMode,
    banner_name: String,
    banner_model: String,
    stop: AtomicBool,
    /// The cable, device to host and host to device.
    tx: Mutex<Pacer>,
    rx: Mutex<Pacer>,
    /// Set when the host sent something since the phone last spoke: the phone's next packet ends a wait.
    host_spoke: AtomicBool,
    faults: Mutex<TransportFaults>,
    /// Live connections, so that a cable pull (USB ones), a restart or a stop (all) can cut them; `true` for
    /// those over USB.
    conns: Mutex<HashMap<u64, (TcpStream, bool)>>,
    next_conn: AtomicU64,
    offline_until: Mutex<Option<Instant>>,
    /// The listening socket while the phone is plugged in; closed the moment the cable goes, so that nothing
    /// can connect to an unplugged phone, not even in the instant before the accept loop notices.
    listener: Mutex<Option<TcpListener>>,
    /// Keys the user allowed ("Always allow from this computer").
    allowed_keys: Mutex<Vec<Vec<u8>>>,
    rng: Mutex<u64>,
    /// adbd's TCP mode (`adb tcpip PORT`): the listener on the Wi-Fi address, while on.
    tcpip: Mutex<Option<TcpEndpoint>>,
}

/// adbd listening on the phone's Wi-Fi address after `tcpip:PORT`.
struct TcpEndpoint {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    accept: Option<JoinHandle<()>>,
}

impl TcpEndpoint {
    fn stop(mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(accept) = self.accept.take() {
            let _ = accept.join();
        }
    }
}

#[derive(Debug, Default)]
struct TransportFaults {
    /// Bytes left before the cable goes, and how long it stays out.
    pull: Option<(u64, Duration)>,
    sync_v1: bool,
    tiny_writes: Option<usize>,
    slow: Duration,
}

impl Server {
    /// Binds 127.0.0.1:`config.port` and starts accepting hosts.
    pub fn start(config: &Config, phone: Arc<Phone>) -> io::Result<Self> {
        let listener = TcpListener::bind(("127.0.0.1", config.port))?;
        let addr = listener.local_addr()?;
        let name = phone.props.get("ro.product.name").unwrap_or("phone").to_string();
        let shared = Arc::new(Shared {
            phone,
            link: config.link,
            auth: config.auth,
            banner_name: name,
            banner_model: config.model.clone(),
            stop: AtomicBool::new(false),
            tx: Mutex::new(Pacer::new(config.link)),
            rx: Mutex::new(Pacer::new(config.link)),
            host_spoke: AtomicBool::new(false),
            faults: Mutex::default(),
            conns: Mutex::default(),
            next_conn: AtomicU64::new(1),
            offline_until: Mutex::new(None),
            listener: Mutex::new(None),
            allowed_keys: Mutex::default(),
            rng: Mutex::new(config.seed ^ 0x9e37_79b9_7f4a_7c15),
            tcpip: Mutex::new(None),
        });
        let accept_shared = Arc::clone(&shared);
        let accept = std::thread::Builder::new()
            .name(format!("vphone-accept-{}", addr.port()))
            .spawn(move || accept_loop(&accept_shared, listener, addr))?;
        Ok(Self { addr, shared, accept: Some(accept) })
    }

    /// The listening address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Where adbd listens over Wi-Fi since `tcpip:PORT`, if it does.
    pub fn tcpip_addr(&self) -> Option<SocketAddr> {
        lock(&self.shared.tcpip).as_ref().map(|endpoint| endpoint.addr)
    }

    /// Applies a fault from now on.
    pub fn inject(&self, fault: Fault) {
        let storage = &self.shared.phone.storage;
        let host_path = |path: &std::path::Path| match storage.locate(b"/", path.as_os_str().as_encoded_bytes()) {
            Location::Storage(host) => Some(host),
            _ => None,
        };
        let mut faults = lock(&self.shared.faults);
        match fault {
            Fault::CablePull { at, offline } => {
                let bytes = match at {
                    PullPoint::AfterBytes(n) => n,
                    PullPoint::RandomWithin(bound) => 1 + self.shared.random() % bound.max(1),
                };
                faults.pull = Some((bytes, offline));
            }
            Fault::StorageFull { after_bytes } => storage.set_full_after(Some(after_bytes)),
            Fault::ReadOnly => storage.set_read_only(true),
            Fault::Vanish(path) => {
                if let Some(host) = host_path(&path) {
                    storage.make_vanishing(host);
                }
            }
            Fault::Unreadable(path) => {
                if let Some(host) = host_path(&path) {
                    storage.make_unreadable(host);
                }
            }
            Fault::SyncV1Only => faults.sync_v1 = true,
            Fault::TinyWrites(n) => faults.tiny_writes = Some(n.max(1)),
            Fault::Slow(d) => faults.slow = d,
            Fault::MediaWriteRefused => self.shared.phone.media.refuse_shell_writes(true),
            Fault::Deny(DeniedProvider::Contacts) => self.shared.phone.contacts.deny(true),
            Fault::Deny(DeniedProvider::Sms) => self.shared.phone.sms.deny(true),
            Fault::Deny(DeniedProvider::Calls) => self.shared.phone.calls.deny(true),
        }
    }

    /// Stops accepting and cuts every connection.
    pub fn stop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        let tcp = lock(&self.shared.tcpip).take();
        if let Some(endpoint) = tcp {
            endpoint.stop();
        }
        self.shared.cut_all();
        if let Some(accept) = self.accept.take() {
            let _ = accept.join();
        }
    }
}

impl Shared {
    fn random(&self) -> u64 {
        let mut state = lock(&self.rng);
        *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = *state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn cut_all(&self) {
        for (_, (conn, _)) in lock(&self.conns).drain() {
            let _ = conn.shutdown(Shutdown::Both);
        }
    }

    /// A pulled cable: the connections over USB drop, those over Wi-Fi stay.
    fn cut_usb(&self) {
        lock(&self.conns).retain(|_, (conn, usb)| {
            if *usb {
                let _ = conn.shutdown(Shutdown::Both);
            }
            !*usb
        });
    }

    /// Counts `len` bytes against a pending cable pull; returns how many of them make it through before the
    /// cable goes (fewer than `len` means it just went).
    fn cross_cable(&self, len: usize) -> usize {
        let mut faults = lock(&self.faults);
        let Some((left, offline)) = faults.pull else { return len };
        if (len as u64) < left {
            faults.pull = Some((left - len as u64, offline));
            return len;
        }
        faults.pull = None;
        drop(faults);
        *lock(&self.offline_until) = Some(Instant::now() + offline);
        *lock(&self.listener) = None;
        left as usize
    }

    /// adbd restarts (`tcpip:`/`usb:` set `service.adb.tcp.port` and init restarts it): every connection
    /// drops, the original endpoint is away for [`RESTART_OFFLINE`], and adbd comes back listening on TCP
    /// `tcp_port` of every address it has (the Wi-Fi one; `None` or no Wi-Fi: USB only).
    ///
    /// What the host sees (measured with Debian's adb 1.0.41): `adb tcpip` prints the answer and returns at
    /// once; the original `127.0.0.1:PORT` serial turns `offline` within ~0.2 s and the adb server
    /// reconnects it by itself about 10 s later (10.3-10.7 s measured), with no `adb connect`; after
    /// `usb:` the Wi-Fi serial stays `offline` (refused) until `adb disconnect`.
    fn restart_adbd(self: &Arc<Self>, tcp_port: Option<u16>) {
        {
            // Closed before anyone can see it gone, so that no connection gets in after `tcpip_addr` says none.
            let mut tcpip = lock(&self.tcpip);
            if let Some(endpoint) = tcpip.take() {
                endpoint.stop();
            }
        }
        *lock(&self.offline_until) = Some(Instant::now() + RESTART_OFFLINE);
        *lock(&self.listener) = None;
        self.cut_all();
        let (Some(port), Some(ip)) = (tcp_port, self.phone.wlan0) else { return };
        if let Err(e) = self.listen_tcp(ip, port) {
            tracing_warn(&format!("adbd could not listen on {ip}:{port}: {e}"));
        }
    }

    fn listen_tcp(self: &Arc<Self>, ip: Ipv4Addr, port: u16) -> io::Result<()> {
        let listener = TcpListener::bind((ip, port))?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let stop = Arc::new(AtomicBool::new(false));
        let (shared, flag) = (Arc::clone(self), Arc::clone(&stop));
        let accept = std::thread::Builder::new()
            .name(format!("vphone-tcpip-{port}"))
            .spawn(move || tcp_accept_loop(&shared, &listener, &flag))?;
        *lock(&self.tcpip) = Some(TcpEndpoint { addr, stop, accept: Some(accept) });
        Ok(())
    }

    fn features(&self) -> &'static str {
        if lock(&self.faults).sync_v1 { FEATURES_SYNC_V1 } else { FEATURES }
    }

    fn sync_v1_only(&self) -> bool {
        lock(&self.faults).sync_v1
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

fn accept_loop(shared: &Arc<Shared>, listener: TcpListener, addr: SocketAddr) {
    if listener.set_nonblocking(true).is_err() {
        return;
    }
    *lock(&shared.listener) = Some(listener);
    while !shared.stop.load(Ordering::SeqCst) {
        // A pulled cable: the phone is gone (connections refused) until it comes back.
        let offline = *lock(&shared.offline_until);
        if let Some(until) = offline {
            shared.cut_usb();
            *lock(&shared.listener) = None;
            if Instant::now() < until {
                std::thread::sleep(Duration::from_millis(5));
                continue;
            }
            *lock(&shared.offline_until) = None;
        }
        let accepted = {
            let mut guard = lock(&shared.listener);
            if guard.is_none() {
                match TcpListener::bind(addr) {
                    Ok(l) if l.set_nonblocking(true).is_ok() => *guard = Some(l),
                    _ => {
                        drop(guard);
                        std::thread::sleep(Duration::from_millis(20));
                        continue;
                    }
                }
            }
            match guard.as_ref() {
                Some(l) => l.accept(),
                None => continue,
            }
        };
        match accepted {
            Ok((stream, _)) => spawn_connection(shared, stream, true),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => std::thread::sleep(Duration::from_millis(2)),
            Err(_) => std::thread::sleep(Duration::from_millis(20)),
        }
    }
}

/// adbd's TCP endpoint: the same phone behind it, so its connections share the storage, the counters and
/// the faults of the original endpoint.
fn tcp_accept_loop(shared: &Arc<Shared>, listener: &TcpListener, stop: &AtomicBool) {
    while !stop.load(Ordering::SeqCst) && !shared.stop.load(Ordering::SeqCst) {
        match listener.accept() {
            Ok((stream, _)) => spawn_connection(shared, stream, false),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => std::thread::sleep(Duration::from_millis(2)),
            Err(_) => std::thread::sleep(Duration::from_millis(20)),
        }
    }
}

fn spawn_connection(shared: &Arc<Shared>, stream: TcpStream, usb: bool) {
    let _ = stream.set_nonblocking(false);
    let id = shared.next_conn.fetch_add(1, Ordering::Relaxed);
    let conn_shared = Arc::clone(shared);
    let spawned = std::thread::Builder::new()
        .name(format!("vphone-conn-{id}"))
        .spawn(move || serve_connection(&conn_shared, id, stream, usb));
    if spawned.is_err() {
        tracing_warn("could not start a connection thread");
    }
}

fn tracing_warn(msg: &str) {
    eprintln!("virtual phone: {msg}");
}

/// One host connection's sending side.
struct Conn {
    shared: Arc<Shared>,
    writer: Mutex<TcpStream>,
    max_payload: AtomicU32,
    online: AtomicBool,
    closed: AtomicBool,
    /// Over the USB endpoint (the cable's faults apply), not adbd's TCP one.
    usb: bool,
}

impl Conn {
    /// Sends one packet over the (modelled) cable.
    fn send(&self, packet: &Packet) -> io::Result<()> {
        let bytes = packet.encode();
        let shared = &self.shared;
        let mut writer = lock(&self.writer);
        if self.closed.load(Ordering::SeqCst) {
            return Err(io::Error::from(io::ErrorKind::BrokenPipe));
        }
        let mut extra = Duration::ZERO;
        if shared.host_spoke.swap(false, Ordering::SeqCst) {
            extra = shared.link.turnaround() + lock(&shared.faults).slow;
            shared.phone.stats.host_waited();
        }
        lock(&shared.tx).pace(bytes.len(), extra);
        let through = if self.usb { shared.cross_cable(bytes.len()) } else { bytes.len() };
        let tiny = lock(&shared.faults).tiny_writes;
        let result = match tiny {
            Some(n) => bytes[..through].chunks(n).try_for_each(|c| writer.write_all(c).and_then(|()| writer.flush())),
            None => writer.write_all(&bytes[..through]),
        };
        if through < bytes.len() {
            self.closed.store(true, Ordering::SeqCst);
            shared.cut_usb();
            return Err(io::Error::new(io::ErrorKind::ConnectionReset, "cable pulled"));
        }
        if result.is_err() {
            self.closed.store(true, Ordering::SeqCst);
        }
        result?;
        shared.phone.stats.sent(bytes.len() as u64);
        Ok(())
    }

    fn max_payload(&self) -> usize {
        self.max_payload.load(Ordering::Relaxed) as usize
    }

    fn send_cnxn(&self) -> io::Result<()> {
        let banner = format!(
            "device::ro.product.name={};ro.product.model={};ro.product.device={};features={}",
            self.shared.banner_name,
            self.shared.banner_model,
            self.shared.banner_name,
            self.shared.features()
        );
        self.online.store(true, Ordering::SeqCst);
        self.send(&Packet::new(A_CNXN, A_VERSION, MAX_PAYLOAD, banner.into_bytes()))
    }
}

/// The open streams of one connection, by the phone's id for them.
type Streams = Arc<Mutex<HashMap<u32, StreamEntry>>>;

/// The host's side of one stream, as the connection's reader thread sees it.
struct StreamEntry {
    input: Arc<Pipe<Vec<u8>>>,
    output: Arc<OutputQueue>,
    acks: mpsc::Sender<()>,
}

fn serve_connection(shared: &Arc<Shared>, id: u64, stream: TcpStream, usb: bool) {
    let _ = stream.set_nodelay(true);
    let Ok(write_half) = stream.try_clone() else { return };
    let Ok(registered) = stream.try_clone() else { return };
    lock(&shared.conns).insert(id, (registered, usb));
    shared.phone.stats.connected();
    let conn = Arc::new(Conn {
        shared: Arc::clone(shared),
        writer: Mutex::new(write_half),
        max_payload: AtomicU32::new(MAX_PAYLOAD),
        online: AtomicBool::new(false),
        closed: AtomicBool::new(false),
        usb,
    });
    let streams: Streams = Arc::default();
    let mut next_local = 1u32;
    let mut reader = BufReader::with_capacity(256 * 1024, stream);
    let mut token = [0u8; 20];
    while let Ok(packet) = Packet::read_from(&mut reader) {
        let len = 24 + packet.data.len();
        lock(&shared.rx).pace(len, Duration::ZERO);
        if usb && shared.cross_cable(len) < len {
            break;
        }
        shared.phone.stats.received(len as u64);
        shared.host_spoke.store(true, Ordering::SeqCst);
        let ok = match packet.cmd {
            A_CNXN => {
                conn.max_payload.store(packet.arg1.clamp(4096, MAX_PAYLOAD), Ordering::Relaxed);
                match shared.auth {
                    AuthMode::None => conn.send_cnxn().is_ok(),
                    AuthMode::Prompt(_) | AuthMode::Rejected => {
                        fill_token(shared, &mut token);
                        conn.send(&Packet::new(A_AUTH, AUTH_TOKEN, 0, token.to_vec())).is_ok()
                    }
                }
            }
            A_AUTH => handle_auth(&conn, &packet, &mut token),
            A_OPEN if conn.online.load(Ordering::SeqCst) => {
                open_stream(&conn, &packet, &streams, &mut next_local);
                true
            }
            A_OKAY => {
                if let Some(entry) = lock(&streams).get(&packet.arg1) {
                    let _ = entry.acks.send(());
                }
                true
            }
            A_WRTE => {
                if let Some(entry) = lock(&streams).get(&packet.arg1) {
                    entry.input.push(packet.data);
                }
                true
            }
            A_CLSE => {
                let removed = lock(&streams).remove(&packet.arg1);
                if let Some(entry) = removed {
                    entry.input.close();
                    entry.output.host_closed();
                }
                true
            }
            // Anything else before the user allowed the host, or unknown, is ignored as adbd does.
            _ => true,
        };
        if !ok {
            break;
        }
    }
    conn.closed.store(true, Ordering::SeqCst);
    for (_, entry) in lock(&streams).drain() {
        entry.input.close();
        entry.output.host_closed();
    }
    if let Some((s, _)) = lock(&shared.conns).remove(&id) {
        let _ = s.shutdown(Shutdown::Both);
    }
}

fn fill_token(shared: &Shared, token: &mut [u8; 20]) {
    for chunk in token.chunks_mut(8) {
        let r = shared.random().to_le_bytes();
        chunk.copy_from_slice(&r[..chunk.len()]);
    }
}

/// The "Allow USB debugging?" dialog. Signatures are not checked against keys: a host whose key the user
/// allowed before is let in, as a phone that remembers "Always allow from this computer" does.
fn handle_auth(conn: &Arc<Conn>, packet: &Packet, token: &mut [u8; 20]) -> bool {
    let shared = &conn.shared;
    match (packet.arg0, shared.auth) {
        (AUTH_SIGNATURE, AuthMode::Prompt(_)) if !lock(&shared.allowed_keys).is_empty() => conn.send_cnxn().is_ok(),
        (AUTH_SIGNATURE, _) => {
            fill_token(shared, token);
            conn.send(&Packet::new(A_AUTH, AUTH_TOKEN, 0, token.to_vec())).is_ok()
        }
        (AUTH_RSAPUBLICKEY, AuthMode::Prompt(delay)) => {
            let key = packet.data.clone();
            let conn = Arc::clone(conn);
            let spawned = std::thread::Builder::new().name("vphone-auth-prompt".to_string()).spawn(move || {
                std::thread::sleep(delay);
                if !conn.closed.load(Ordering::SeqCst) {
                    lock(&conn.shared.allowed_keys).push(key);
                    let _ = conn.send_cnxn();
                }
            });
            spawned.is_ok()
        }
        _ => true,
    }
}

/// The services a stream can be opened to.
enum Service {
    /// `shell:` / `exec:` (v1: raw bytes, stderr mixed in, no exit code) or `shell,v2:` (shell protocol).
    Shell { command: Vec<u8>, v2: bool },
    /// `sync:`.
    Sync,
    /// `tcpip:PORT` (`Some`, the port as adbd's `sscanf("%d")` reads it) or `usb:` (`None`): adbd restarts.
    Restart(Option<i32>),
}

/// C's `sscanf(text, "%d")`: blanks, a sign and at least one digit; `None` when nothing matches.
fn scan_int(text: &[u8]) -> Option<i32> {
    let text = text.strip_suffix(b"\0").unwrap_or(text);
    let start = text.iter().position(|b| !b.is_ascii_whitespace())?;
    let text = &text[start..];
    let (negative, digits) = match text.first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let len = digits.iter().take_while(|b| b.is_ascii_digit()).count();
    if len == 0 {
        return None;
    }
    let magnitude = digits[..len].iter().fold(0i64, |n, d| (n * 10 + i64::from(d - b'0')).min(1 << 40));
    let value = if negative { -magnitude } else { magnitude };
    Some(i32::try_from(value).unwrap_or(if negative { i32::MIN } else { i32::MAX }))
}

fn parse_service(name: &[u8]) -> Option<(Service, &'static str)> {
    let name = name.strip_suffix(b"\0").unwrap_or(name);
    if let Some(cmd) = name.strip_prefix(b"exec:") {
        return Some((Service::Shell { command: cmd.to_vec(), v2: false }, "exec"));
    }
    if name == b"sync:" {
        return Some((Service::Sync, "sync"));
    }
    if let Some(port) = name.strip_prefix(b"tcpip:") {
        return Some((Service::Restart(Some(scan_int(port)?)), "tcpip"));
    }
    if name.starts_with(b"usb:") {
        return Some((Service::Restart(None), "usb"));
    }
    let rest = name.strip_prefix(b"shell")?;
    let colon = rest.iter().position(|&b| b == b':')?;
    let (args, cmd) = (&rest[..colon], &rest[colon + 1..]);
    let mut v2 = false;
    for arg in args.split(|&b| b == b',').filter(|a| !a.is_empty()) {
        match arg {
            b"v2" => v2 = true,
            b"raw" | b"pty" => {}
            a if a.starts_with(b"TERM=") => {}
            _ => return None,
        }
    }
    Some((Service::Shell { command: cmd.to_vec(), v2 }, if v2 { "shell,v2" } else { "shell" }))
}

fn open_stream(conn: &Arc<Conn>, packet: &Packet, streams: &Streams, next_local: &mut u32) {
    let remote_id = packet.arg0;
    let Some((service, label)) = parse_service(&packet.data) else {
        let name = String::from_utf8_lossy(&packet.data).trim_end_matches('\0').to_string();
        conn.shared.phone.stats.stream(&format!("refused:{}", name.split(':').next().unwrap_or("")));
        let _ = conn.send(&Packet::new(A_CLSE, 0, remote_id, Vec::new()));
        return;
    };
    conn.shared.phone.stats.stream(label);
    let local_id = *next_local;
    *next_local = next_local.wrapping_add(1).max(1);
    let input = Arc::new(Pipe::default());
    let output = Arc::new(OutputQueue::new(conn.max_payload() * 2));
    let (ack_tx, ack_rx) = mpsc::channel();
    if conn.send(&Packet::new(A_OKAY, local_id, remote_id, Vec::new())).is_err() {
        return;
    }
    lock(streams)
        .insert(local_id, StreamEntry { input: Arc::clone(&input), output: Arc::clone(&output), acks: ack_tx });
    let pump_conn = Arc::clone(conn);
    let pump_output = Arc::clone(&output);
    let pump_streams = Arc::clone(streams);
    let pump = std::thread::Builder::new().name(format!("vphone-pump-{local_id}")).spawn(move || {
        pump(&pump_conn, &pump_output, &ack_rx, local_id, remote_id);
        pump_output.mark_delivered();
        lock(&pump_streams).remove(&local_id);
    });
    if pump.is_err() {
        return;
    }
    let io = StreamIo { input, conn: Arc::clone(conn), local_id, remote_id, pending: Vec::new(), pos: 0 };
    let service_conn = Arc::clone(conn);
    let _ = std::thread::Builder::new().name(format!("vphone-{label}-{local_id}")).spawn(move || {
        run_service(&service_conn, service, io, &output);
        output.finish();
    });
}

fn run_service(conn: &Arc<Conn>, service: Service, mut io: StreamIo, output: &Arc<OutputQueue>) {
    let phone = &conn.shared.phone;
    match service {
        Service::Sync => {
            let mut out = QueueWriter(Arc::clone(output));
            let v2 = !conn.shared.sync_v1_only();
            let _ = sync::serve(phone, &mut io, &mut out, v2);
        }
        Service::Restart(port) => restart_service(conn, port, output),
        Service::Shell { command, v2: false } => {
            let mut out = QueueWriter(Arc::clone(output));
            let mut err = QueueWriter(Arc::clone(output));
            if command.is_empty() {
                interactive(phone, &mut io, &mut out, &mut err);
            } else {
                phone.stats.shell_command();
                shell::run(phone, &command, &mut out, &mut err);
            }
        }
        Service::Shell { command, v2: true } => {
            let mut out = io::BufWriter::with_capacity(
                conn.max_payload().saturating_sub(5).max(1),
                ShellPacketWriter { id: 1, queue: Arc::clone(output) },
            );
            let mut err = io::BufWriter::with_capacity(
                conn.max_payload().saturating_sub(5).max(1),
                ShellPacketWriter { id: 2, queue: Arc::clone(output) },
            );
            let status = if command.is_empty() {
                let mut stdin = ShellStdin { io: &mut io, pending: VecDeque::new() };
                interactive(phone, &mut stdin, &mut out, &mut err)
            } else {
                phone.stats.shell_command();
                shell::run(phone, &command, &mut out, &mut err)
            };
            if out.flush().is_ok() && err.flush().is_ok() {
                let _ = output.write_all(&shell_packet(3, &[(status & 0xff) as u8]));
            }
        }
    }
}

/// adbd's `restart_tcp_service`/`restart_usb_service` (AOSP `daemon/restart_service.cpp`): the answer, then
/// the restart once the answer has left, as init restarts adbd after it wrote it.
fn restart_service(conn: &Arc<Conn>, port: Option<i32>, output: &Arc<OutputQueue>) {
    let (answer, tcp_port) = match port {
        Some(port) if port <= 0 => (format!("invalid port {port}\n"), None),
        Some(port) => (format!("restarting in TCP mode port: {port}\n"), Some(u16::try_from(port).ok())),
        None => ("restarting in USB mode\n".to_string(), Some(None)),
    };
    if output.write_all(answer.as_bytes()).is_err() {
        return;
    }
    let Some(tcp_port) = tcp_port else { return };
    let shared = Arc::clone(&conn.shared);
    let output = Arc::clone(output);
    let spawned = std::thread::Builder::new().name("vphone-adbd-restart".to_string()).spawn(move || {
        // The answer and the stream's close are written to the host before adbd goes.
        output.wait_delivered(Duration::from_secs(5));
        std::thread::sleep(Duration::from_millis(20));
        shared.restart_adbd(tcp_port);
    });
    if spawned.is_err() {
        tracing_warn("could not restart adbd");
    }
}

/// A shell without a command: runs each line the host sends in one shell session (so `cd` and `$?` carry
/// over), until the host closes its input or a line exits.
fn interactive(phone: &Phone, input: &mut dyn Read, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    let mut session = shell::Session::new(phone);
    let mut status = 0;
    let mut line = Vec::new();
    let mut byte = [0u8; 1];
    loop {
        let complete = match input.read(&mut byte) {
            Ok(1) if byte[0] != b'\n' => {
                line.push(byte[0]);
                continue;
            }
            Ok(1) => true,
            _ => false,
        };
        if complete || !line.is_empty() {
            phone.stats.shell_command();
            status = session.run(&line, out, err);
            let _ = out.flush();
            line.clear();
        }
        if !complete || session.exited() {
            return status;
        }
    }
}

/// Moves a stream's output to the host: one WRTE in flight, each as large as what is queued allows.
fn pump(conn: &Arc<Conn>, output: &OutputQueue, acks: &mpsc::Receiver<()>, local_id: u32, remote_id: u32) {
    loop {
        let Some(chunk) = output.take(conn.max_payload()) else { return };
        if chunk.is_empty() {
            // The service finished and everything it wrote has been sent.
            let _ = conn.send(&Packet::new(A_CLSE, local_id, remote_id, Vec::new()));
            return;
        }
        if conn.send(&Packet::new(A_WRTE, local_id, remote_id, chunk)).is_err() {
            output.host_closed();
            return;
        }
        if output.finished_and_empty() {
            let _ = conn.send(&Packet::new(A_CLSE, local_id, remote_id, Vec::new()));
            return;
        }
        if acks.recv().is_err() {
            output.host_closed();
            return;
        }
    }
}

/// The bytes a service has written and the pump has not yet sent: a bounded pipe, like adbd's socket.
struct OutputQueue {
    state: Mutex<OutputState>,
    cond: Condvar,
    capacity: usize,
}

#[derive(Default)]
struct OutputState {
    chunks: VecDeque<Vec<u8>>,
    len: usize,
    finished: bool,
    host_closed: bool,
    /// The pump is done: everything was sent and the stream closed, or the host went away.
    delivered: bool,
}

impl OutputQueue {
    fn new(capacity: usize) -> Self {
        Self { state: Mutex::default(), cond: Condvar::new(), capacity: capacity.max(4096) }
    }

    fn write_all(&self, mut data: &[u8]) -> io::Result<()> {
        let mut state = lock(&self.state);
        while !data.is_empty() {
            if state.host_closed {
                return Err(io::Error::from(io::ErrorKind::BrokenPipe));
            }
            let room = self.capacity.saturating_sub(state.len);
            if room == 0 {
                state = self.cond.wait(state).unwrap_or_else(PoisonError::into_inner);
                continue;
            }
            let n = room.min(data.len());
            state.chunks.push_back(data[..n].to_vec());
            state.len += n;
            data = &data[n..];
            self.cond.notify_all();
        }
        Ok(())
    }

    /// Waits for output; `None` when the host went away, an empty chunk when the service is done.
    fn take(&self, max: usize) -> Option<Vec<u8>> {
        let mut state = lock(&self.state);
        loop {
            if state.host_closed {
                return None;
            }
            if state.len > 0 {
                let mut out = Vec::new();
                while out.len() < max {
                    let Some(mut chunk) = state.chunks.pop_front() else { break };
                    let want = max - out.len();
                    if chunk.len() > want {
                        let rest = chunk.split_off(want);
                        state.chunks.push_front(rest);
                    }
                    if out.is_empty() {
                        out = chunk;
                    } else {
                        out.extend_from_slice(&chunk);
                    }
                }
                state.len -= out.len();
                self.cond.notify_all();
                return Some(out);
            }
            if state.finished {
                return Some(Vec::new());
            }
            state = self.cond.wait(state).unwrap_or_else(PoisonError::into_inner);
        }
    }

    fn finished_and_empty(&self) -> bool {
        let state = lock(&self.state);
        state.finished && state.len == 0
    }

    fn mark_delivered(&self) {
        lock(&self.state).delivered = true;
        self.cond.notify_all();
    }

    /// Waits (up to `limit`) until the pump is done with this stream.
    fn wait_delivered(&self, limit: Duration) {
        let deadline = Instant::now() + limit;
        let mut state = lock(&self.state);
        while !state.delivered {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return;
            }
            state = self.cond.wait_timeout(state, left).unwrap_or_else(PoisonError::into_inner).0;
        }
    }

    fn finish(&self) {
        lock(&self.state).finished = true;
        self.cond.notify_all();
    }

    fn host_closed(&self) {
        let mut state = lock(&self.state);
        state.host_closed = true;
        state.chunks.clear();
        state.len = 0;
        self.cond.notify_all();
    }
}

/// Writes raw bytes into a stream's output.
struct QueueWriter(Arc<OutputQueue>);

impl Write for QueueWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.write_all(buf)?;
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Writes shell-protocol packets (`id`, u32 length, data) into a stream's output.
struct ShellPacketWriter {
    id: u8,
    queue: Arc<OutputQueue>,
}

fn shell_packet(id: u8, data: &[u8]) -> Vec<u8> {
    let mut packet = Vec::with_capacity(5 + data.len());
    packet.push(id);
    packet.extend_from_slice(&(data.len() as u32).to_le_bytes());
    packet.extend_from_slice(data);
    packet
}

impl Write for ShellPacketWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if !buf.is_empty() {
            self.queue.write_all(&shell_packet(self.id, buf))?;
        }
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// A queue of chunks from the host, closed when the host closes the stream.
struct Pipe<T> {
    state: Mutex<(VecDeque<T>, bool)>,
    cond: Condvar,
}

impl<T> Default for Pipe<T> {
    fn default() -> Self {
        Self { state: Mutex::new((VecDeque::new(), false)), cond: Condvar::new() }
    }
}

impl<T> Pipe<T> {
    fn push(&self, item: T) {
        lock(&self.state).0.push_back(item);
        self.cond.notify_all();
    }

    fn close(&self) {
        lock(&self.state).1 = true;
        self.cond.notify_all();
    }

    /// The next chunk, or `None` once closed and drained.
    fn pop(&self) -> Option<T> {
        let mut state = lock(&self.state);
        loop {
            if let Some(item) = state.0.pop_front() {
                return Some(item);
            }
            if state.1 {
                return None;
            }
            state = self.cond.wait(state).unwrap_or_else(PoisonError::into_inner);
        }
    }
}

/// What a service reads from the host; each chunk is acknowledged (OKAY) when taken, so the host may send
/// the next one.
struct StreamIo {
    input: Arc<Pipe<Vec<u8>>>,
    conn: Arc<Conn>,
    local_id: u32,
    remote_id: u32,
    pending: Vec<u8>,
    pos: usize,
}

impl Read for StreamIo {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.pos >= self.pending.len() {
            let Some(chunk) = self.input.pop() else { return Ok(0) };
            self.pending = chunk;
            self.pos = 0;
            self.conn.send(&Packet::new(A_OKAY, self.local_id, self.remote_id, Vec::new()))?;
        }
        let n = buf.len().min(self.pending.len() - self.pos);
        buf[..n].copy_from_slice(&self.pending[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

/// The stdin of a shell-protocol stream: the data of the host's id-0 packets, ending at id 4 (close stdin).
struct ShellStdin<'a> {
    io: &'a mut StreamIo,
    pending: VecDeque<u8>,
}

impl Read for ShellStdin<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.pending.is_empty() {
            let mut header = [0u8; 5];
            if self.io.read_exact(&mut header).is_err() {
                return Ok(0);
            }
            let len = u32::from_le_bytes([header[1], header[2], header[3], header[4]]) as usize;
            let mut data = vec![0u8; len];
            if self.io.read_exact(&mut data).is_err() {
                return Ok(0);
            }
            match header[0] {
                0 => self.pending.extend(data),
                4 => return Ok(0),
                _ => {}
            }
        }
        let n = buf.len().min(self.pending.len());
        for (slot, byte) in buf.iter_mut().zip(self.pending.drain(..n)) {
            *slot = byte;
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn services_are_recognised_by_their_real_names() {
        assert!(matches!(parse_service(b"shell:ls\0"), Some((Service::Shell { v2: false, .. }, "shell"))));
        assert!(matches!(parse_service(b"shell,v2,raw:ls"), Some((Service::Shell { v2: true, .. }, "shell,v2"))));
        assert!(matches!(parse_service(b"shell,v2,TERM=xterm,pty:"), Some((Service::Shell { v2: true, .. }, _))));
        assert!(matches!(parse_service(b"exec:cat /sdcard/a"), Some((Service::Shell { v2: false, .. }, "exec"))));
        assert!(matches!(parse_service(b"sync:\0"), Some((Service::Sync, "sync"))));
        assert!(matches!(parse_service(b"tcpip:5555\0"), Some((Service::Restart(Some(5555)), "tcpip"))));
        assert!(matches!(parse_service(b"tcpip: -3"), Some((Service::Restart(Some(-3)), "tcpip"))));
        assert!(matches!(parse_service(b"tcpip:5555abc"), Some((Service::Restart(Some(5555)), "tcpip"))));
        assert!(parse_service(b"tcpip:abc").is_none());
        assert!(matches!(parse_service(b"usb:"), Some((Service::Restart(None), "usb"))));
        assert!(parse_service(b"reboot:").is_none());
        assert!(parse_service(b"shell,bogus:ls").is_none());
    }

    #[test]
    fn output_queue_hands_out_at_most_the_payload_size_and_ends_empty() {
        let q = OutputQueue::new(8192);
        q.write_all(&[7u8; 5000]).expect("write");
        q.finish();
        assert_eq!(q.take(4096).map(|c| c.len()), Some(4096));
        assert_eq!(q.take(4096).map(|c| c.len()), Some(904));
        assert_eq!(q.take(4096), Some(Vec::new()));
    }
}
