//! Counters of what crossed the virtual cable, read by tests and benchmarks.

use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

/// Live counters, updated by every connection of one virtual phone.
#[derive(Debug, Default)]
pub struct Stats {
    bytes_to_host: AtomicU64,
    bytes_from_host: AtomicU64,
    packets_to_host: AtomicU64,
    packets_from_host: AtomicU64,
    host_waits: AtomicU64,
    connections: AtomicU64,
    shell_commands: AtomicU64,
    streams: Mutex<BTreeMap<String, u64>>,
    sync_requests: Mutex<BTreeMap<String, u64>>,
}

/// A copy of the counters at one moment.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct StatsSnapshot {
    /// Bytes the phone sent, ADB headers included.
    pub bytes_to_host: u64,
    /// Bytes the host sent, ADB headers included.
    pub bytes_from_host: u64,
    /// ADB packets the phone sent.
    pub packets_to_host: u64,
    /// ADB packets the host sent.
    pub packets_from_host: u64,
    /// Turnarounds: times the phone answered after the host had sent something, each charged the link latency.
    pub host_waits: u64,
    /// Host connections accepted (the adb server reconnects after a cable pull).
    pub connections: u64,
    /// Shell command lines run (one per `shell:`/`exec:` stream).
    pub shell_commands: u64,
    /// Streams opened, by service (`shell`, `shell,v2`, `exec`, `sync`, ...).
    pub streams: BTreeMap<String, u64>,
    /// Sync requests, by id (`STAT`, `LIST`, `RECV`, `SEND`, `STA2`, ...).
    pub sync_requests: BTreeMap<String, u64>,
}

impl Stats {
    /// The phone sent a packet of `bytes` bytes.
    pub fn sent(&self, bytes: u64) {
        self.bytes_to_host.fetch_add(bytes, Ordering::Relaxed);
        self.packets_to_host.fetch_add(1, Ordering::Relaxed);
    }

    /// The host sent a packet of `bytes` bytes.
    pub fn received(&self, bytes: u64) {
        self.bytes_from_host.fetch_add(bytes, Ordering::Relaxed);
        self.packets_from_host.fetch_add(1, Ordering::Relaxed);
    }

    /// The host waited for the phone once.
    pub fn host_waited(&self) {
        self.host_waits.fetch_add(1, Ordering::Relaxed);
    }

    /// A host connected.
    pub fn connected(&self) {
        self.connections.fetch_add(1, Ordering::Relaxed);
    }

    /// A shell command line ran.
    pub fn shell_command(&self) {
        self.shell_commands.fetch_add(1, Ordering::Relaxed);
    }

    /// A stream was opened to `service`.
    pub fn stream(&self, service: &str) {
        *lock(&self.streams).entry(service.to_string()).or_default() += 1;
    }

    /// A sync request `id` arrived.
    pub fn sync_request(&self, id: &str) {
        *lock(&self.sync_requests).entry(id.to_string()).or_default() += 1;
    }

    /// The counters now.
    #[must_use]
    pub fn snapshot(&self) -> StatsSnapshot {
        StatsSnapshot {
            bytes_to_host: self.bytes_to_host.load(Ordering::Relaxed),
            bytes_from_host: self.bytes_from_host.load(Ordering::Relaxed),
            packets_to_host: self.packets_to_host.load(Ordering::Relaxed),
            packets_from_host: self.packets_from_host.load(Ordering::Relaxed),
            host_waits: self.host_waits.load(Ordering::Relaxed),
            connections: self.connections.load(Ordering::Relaxed),
            shell_commands: self.shell_commands.load(Ordering::Relaxed),
            streams: lock(&self.streams).clone(),
            sync_requests: lock(&self.sync_requests).clone(),
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}
