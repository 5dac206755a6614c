//! The thumbnail pool: a few named worker threads making thumbnails of a phone's photos, most urgent first,
//! with a disk cache so that reconnecting shows the grid at once.
//!
//! The GUI asks for what it shows ([`ThumbnailService::request`], with a priority: the distance from the
//! viewport), withdraws what scrolled away ([`ThumbnailService::retain`]), and drains finished thumbnails from
//! a bounded channel; the `wake` callback given at start (egui's `request_repaint`) is called after each is
//! sent, never while a lock is held. Workers take the most urgent requests in groups, so the heads of a
//! screenful of photos come in one shell command. Each thumbnail comes with when the photo was taken (EXIF, read
//! from the same head or file), and the disk cache keeps that too.

use super::heif::{self, FromHead};
use super::video::{Step, VideoJob};
use super::{
    HEAD_BYTES, Marks, Taken, ThumbError, Thumbnail, encode, from_file, from_head, read_prefixes, read_ranges, taken,
};
use crate::device::Device;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;

/// Most photos a worker takes at once (their heads come in one command).
const GROUP: usize = 24;
/// How far back a photo without an embedded thumbnail goes in the queue: its whole file costs as much cable time
/// as the heads of dozens of photos, so the heads of the screenful (and the next rows) come first.
const WHOLE_LATER: i64 = 64;
/// Longest start of a HEIC read for its thumbnail item (beyond it, the whole file is read: its thumbnail is at
/// its end, after the photo).
const MAX_HEIF_PREFIX: u64 = 512 * 1024;
/// Finished thumbnails waiting for the GUI to take them.
const RESULTS: usize = 256;

/// Which picture: a phone file as the scan saw it (a changed file is another picture).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ThumbKey {
    /// The phone path.
    pub path: Vec<u8>,
    /// Its size.
    pub size: u64,
    /// Its modification time.
    pub mtime: i64,
}

/// A finished thumbnail, or why there is none, with when the photo was taken.
#[derive(Debug)]
pub struct ThumbResult {
    /// Which picture.
    pub key: ThumbKey,
    /// Its thumbnail, or why there is none.
    pub thumb: Result<Thumbnail, ThumbError>,
    /// When it was taken, when its EXIF says (JPEGs, HEIC; `None` for videos, PNGs and photos without a date).
    pub taken: Option<Taken>,
    /// What its tile shows beside the picture (a video's length, a motion photo's mark).
    pub marks: Marks,
}

/// What a cached thumbnail's JPEG comment starts with; the rest is [`Taken::to_line`] or `none`, then a newline
/// and [`Marks::to_words`].
const TAKEN_COMMENT: &[u8] = b"phonebak taken: ";

/// What the workers share.
struct Queue {
    /// Waiting requests by (priority, order of arrival).
    waiting: BTreeMap<(i64, u64), ThumbKey>,
    /// Where each waiting key is in `waiting`.
    index: HashMap<ThumbKey, (i64, u64)>,
    /// Keys known to need their whole file (no embedded thumbnail in their head).
    whole: std::collections::HashSet<ThumbKey>,
    next: u64,
    stop: bool,
}

impl Queue {
    /// Queues `key` (again) at `priority`, later when it needs its whole file.
    fn push(&mut self, key: ThumbKey, priority: i64) {
        if let Some(old) = self.index.remove(&key) {
            self.waiting.remove(&old);
        }
        let later = if self.whole.contains(&key) { WHOLE_LATER } else { 0 };
        let slot = (priority.saturating_add(later), self.next);
        self.next += 1;
        self.waiting.insert(slot, key.clone());
        self.index.insert(key, slot);
    }
}

/// What a worker takes at once.
enum Work {
    /// Photos whose heads are read together (with their priorities).
    Heads(Vec<(ThumbKey, i64)>),
    /// One photo whose whole file is needed.
    Whole(ThumbKey),
}

struct Shared {
    queue: Mutex<Queue>,
    ready: Condvar,
}

fn lock(m: &Mutex<Queue>) -> MutexGuard<'_, Queue> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A pool of thumbnail workers for one phone.
pub struct ThumbnailService {
    shared: Arc<Shared>,
    results: Receiver<ThumbResult>,
    workers: Vec<JoinHandle<()>>,
}

/// Where a thumbnail of `key` from phone `serial` is cached below `dir`. (Version 3 of the names: a cached
/// thumbnail carries when its photo was taken and its marks; the older ones, which do not, are never looked up
/// again and pruned in time.)
#[must_use]
pub fn cache_path(dir: &std::path::Path, serial: &str, key: &ThumbKey) -> PathBuf {
    let mut hasher = Sha256::new();
    hasher.update(b"phonebak thumbnail v3\0");
    hasher.update(serial.as_bytes());
    hasher.update([0]);
    hasher.update(&key.path);
    hasher.update(key.size.to_le_bytes());
    hasher.update(key.mtime.to_le_bytes());
    let name = crate::backup::manifest::hex(&hasher.finalize()[..16]);
    dir.join(&name[..2]).join(format!("{name}.jpg"))
}

/// Bytes the disk cache below `dir` holds.
#[must_use]
pub fn cache_size(dir: &std::path::Path) -> u64 {
    let Ok(buckets) = std::fs::read_dir(dir) else { return 0 };
    buckets
        .flatten()
        .filter_map(|bucket| std::fs::read_dir(bucket.path()).ok())
        .flat_map(std::iter::Iterator::flatten)
        .filter_map(|entry| entry.metadata().ok())
        .filter(std::fs::Metadata::is_file)
        .map(|m| m.len())
        .sum()
}

/// Keeps the disk cache under `max_bytes`: removes the thumbnails used least recently (by modification time,
/// which a cache hit refreshes) until the rest fits. Returns the bytes removed.
#[allow(clippy::must_use_candidate)] // Callers may prune without caring how much went.
pub fn prune_cache(dir: &std::path::Path, max_bytes: u64) -> u64 {
    let mut files = Vec::new();
    let Ok(buckets) = std::fs::read_dir(dir) else { return 0 };
    for bucket in buckets.flatten() {
        let Ok(entries) = std::fs::read_dir(bucket.path()) else { continue };
        for entry in entries.flatten() {
            if let Ok(meta) = entry.metadata()
                && meta.is_file()
            {
                files.push((meta.modified().unwrap_or(std::time::UNIX_EPOCH), meta.len(), entry.path()));
            }
        }
    }
    let mut total: u64 = files.iter().map(|f| f.1).sum();
    files.sort();
    let mut removed = 0;
    for (_, len, path) in files {
        if total <= max_bytes {
            break;
        }
        if std::fs::remove_file(&path).is_ok() {
            total -= len;
            removed += len;
        }
    }
    removed
}

impl ThumbnailService {
    /// Starts `workers` threads making thumbnails of `device`'s photos (filed under `serial` in the disk cache
    /// `cache_dir`, when given). `wake` is called after each thumbnail is ready to take.
    ///
    /// # Errors
    /// When a thread cannot be started.
    pub fn start(
        device: &Device,
        serial: &str,
        cache_dir: Option<&std::path::Path>,
        workers: usize,
        wake: &Arc<dyn Fn() + Send + Sync>,
    ) -> std::io::Result<Self> {
        Self::start_from(Some(device), serial, cache_dir, workers, wake, None)
    }

    /// Starts `workers` threads making thumbnails of photos on this computer (a backup folder): the keys'
    /// paths are local paths. They are filed under `label` in the disk cache `cache_dir`, when given.
    ///
    /// # Errors
    /// When a thread cannot be started.
    pub fn start_local(
        label: &str,
        cache_dir: Option<&std::path::Path>,
        workers: usize,
        wake: &Arc<dyn Fn() + Send + Sync>,
    ) -> std::io::Result<Self> {
        Self::start_from(None, label, cache_dir, workers, wake, None)
    }

    /// Like [`ThumbnailService::start_local`] for the files of a backup encrypted with `vault`: each is
    /// decrypted as it is read, and nothing is cached on disk (thumbnails stay in memory).
    ///
    /// # Errors
    /// When a thread cannot be started.
    pub fn start_encrypted(
        vault: &Arc<crate::vault::Vault>,
        workers: usize,
        wake: &Arc<dyn Fn() + Send + Sync>,
    ) -> std::io::Result<Self> {
        Self::start_from(None, "encrypted", None, workers, wake, Some(vault))
    }

    fn start_from(
        device: Option<&Device>,
        serial: &str,
        cache_dir: Option<&std::path::Path>,
        workers: usize,
        wake: &Arc<dyn Fn() + Send + Sync>,
        vault: Option<&Arc<crate::vault::Vault>>,
    ) -> std::io::Result<Self> {
        let shared = Arc::new(Shared {
            queue: Mutex::new(Queue {
                waiting: BTreeMap::new(),
                index: HashMap::new(),
                whole: std::collections::HashSet::new(),
                next: 0,
                stop: false,
            }),
            ready: Condvar::new(),
        });
        let (tx, results) = sync_channel(RESULTS);
        let mut handles = Vec::new();
        for n in 0..workers.max(1) {
            let worker = Worker {
                shared: Arc::clone(&shared),
                device: device.cloned(),
                vault: vault.cloned(),
                serial: serial.to_string(),
                cache_dir: cache_dir.map(std::path::Path::to_path_buf),
                tx: tx.clone(),
                wake: Arc::clone(wake),
            };
            handles.push(std::thread::Builder::new().name(format!("thumbnails-{n}")).spawn(move || worker.run())?);
        }
        Ok(Self { shared, results, workers: handles })
    }

    /// Asks for a thumbnail; lower `priority` comes first (0 for what is on screen). Asking again for a waiting
    /// key changes its priority.
    pub fn request(&self, key: ThumbKey, priority: i64) {
        self.request_many(std::iter::once((key, priority)));
    }

    /// Asks for many thumbnails at once (a frame's visible rows): workers see them all before choosing.
    pub fn request_many(&self, requests: impl IntoIterator<Item = (ThumbKey, i64)>) {
        let mut q = lock(&self.shared.queue);
        for (key, priority) in requests {
            q.push(key, priority);
        }
        drop(q);
        self.shared.ready.notify_all();
    }

    /// Withdraws every waiting request `keep` says no to (rows scrolled away). Work already started finishes.
    pub fn retain(&self, keep: impl Fn(&ThumbKey) -> bool) {
        let mut q = lock(&self.shared.queue);
        let gone: Vec<ThumbKey> = q.index.keys().filter(|k| !keep(k)).cloned().collect();
        for key in gone {
            if let Some(slot) = q.index.remove(&key) {
                q.waiting.remove(&slot);
            }
        }
    }

    /// How many requests wait.
    #[must_use]
    pub fn waiting(&self) -> usize {
        lock(&self.shared.queue).waiting.len()
    }

    /// The thumbnails finished since the last call, without waiting.
    #[must_use]
    pub fn finished(&self) -> Vec<ThumbResult> {
        self.results.try_iter().collect()
    }

    /// Waits up to `timeout` for the next finished thumbnail.
    #[must_use]
    pub fn next_finished(&self, timeout: std::time::Duration) -> Option<ThumbResult> {
        self.results.recv_timeout(timeout).ok()
    }
}

impl Drop for ThumbnailService {
    fn drop(&mut self) {
        lock(&self.shared.queue).stop = true;
        self.shared.ready.notify_all();
        // Let workers blocked on a full channel go: nobody takes results any more.
        while self.results.try_recv().is_ok() {}
        for handle in self.workers.drain(..) {
            while !handle.is_finished() {
                while self.results.try_recv().is_ok() {}
                std::thread::sleep(std::time::Duration::from_millis(2));
            }
            let _ = handle.join();
        }
    }
}

struct Worker {
    shared: Arc<Shared>,
    /// The phone, or `None` for files on this computer.
    device: Option<Device>,
    /// The key of an encrypted backup whose files these are.
    vault: Option<Arc<crate::vault::Vault>>,
    serial: String,
    cache_dir: Option<PathBuf>,
    tx: SyncSender<ThumbResult>,
    wake: Arc<dyn Fn() + Send + Sync>,
}

impl Worker {
    /// Takes the most urgent work: a whole file when it comes first, else up to [`GROUP`] heads (whole-file
    /// photos among them are left for later). `None` when stopping.
    fn take(&self) -> Option<Work> {
        let mut q = lock(&self.shared.queue);
        loop {
            if q.stop {
                return None;
            }
            if let Some((&slot, first)) = q.waiting.first_key_value() {
                if q.whole.contains(first) {
                    let key = first.clone();
                    q.waiting.remove(&slot);
                    q.index.remove(&key);
                    return Some(Work::Whole(key));
                }
                let slots: Vec<(i64, u64)> =
                    q.waiting.iter().filter(|(_, k)| !q.whole.contains(*k)).take(GROUP).map(|(s, _)| *s).collect();
                let mut group = Vec::with_capacity(slots.len());
                for slot in slots {
                    if let Some(key) = q.waiting.remove(&slot) {
                        q.index.remove(&key);
                        group.push((key, slot.0));
                    }
                }
                return Some(Work::Heads(group));
            }
            q = self.shared.ready.wait(q).unwrap_or_else(PoisonError::into_inner);
        }
    }

    /// Puts photos without an embedded thumbnail back in the queue, behind the heads of nearby rows.
    fn later(&self, keys: Vec<(ThumbKey, i64)>) {
        let mut q = lock(&self.shared.queue);
        for (key, priority) in keys {
            q.whole.insert(key.clone());
            q.push(key, priority);
        }
        drop(q);
        self.shared.ready.notify_all();
    }

    fn send(&self, key: ThumbKey, thumb: Result<Thumbnail, ThumbError>, taken: Option<Taken>, marks: Marks) -> bool {
        let sent = self.tx.send(ThumbResult { key, thumb, taken, marks }).is_ok();
        (self.wake)();
        sent
    }

    fn run(self) {
        while let Some(work) = self.take() {
            let group = match work {
                Work::Whole(key) => {
                    let (result, taken, marks) = if let Some((thumb, taken, marks)) = self.cached(&key) {
                        (Ok(thumb), taken, marks)
                    } else {
                        let (result, taken, marks) = self.decode_whole_file(&key);
                        if let Ok(thumb) = &result {
                            self.store(&key, thumb, taken, marks);
                        }
                        (result, taken, marks)
                    };
                    if !self.send(key, result, taken, marks) {
                        return;
                    }
                    continue;
                }
                Work::Heads(group) => group,
            };
            let mut from_phone = Vec::new();
            for (key, priority) in group {
                match self.cached(&key) {
                    Some((thumb, taken, marks)) => {
                        if !self.send(key, Ok(thumb), taken, marks) {
                            return;
                        }
                    }
                    None => from_phone.push((key, priority)),
                }
            }
            if !self.make(from_phone) {
                return;
            }
        }
    }

    /// The cached thumbnail of `key` and when its photo was taken; a file without the comment saying when is
    /// not trusted (a miss).
    fn cached(&self, key: &ThumbKey) -> Option<(Thumbnail, Option<Taken>, Marks)> {
        let path = cache_path(self.cache_dir.as_deref()?, &self.serial, key);
        let bytes = std::fs::read(&path).ok()?;
        if let Some(placeholder) = cached_placeholder(&bytes) {
            return Some(placeholder);
        }
        let (taken, marks) = cached_taken(&bytes)?;
        // A hit counts as a use, for `prune_cache`.
        let _ =
            std::fs::File::options().write(true).open(&path).and_then(|f| f.set_modified(std::time::SystemTime::now()));
        let image = image::load_from_memory_with_format(&bytes, image::ImageFormat::Jpeg).ok()?;
        Some((Thumbnail::Image(image.into_rgba8()), taken, marks))
    }

    fn store(&self, key: &ThumbKey, thumb: &Thumbnail, taken: Option<Taken>, marks: Marks) {
        let Some(dir) = self.cache_dir.as_deref() else { return };
        let path = cache_path(dir, &self.serial, key);
        let bytes = match thumb {
            Thumbnail::Image(image) => {
                let Ok(bytes) = encode(image) else { return };
                with_taken_comment(&bytes, taken, marks)
            }
            Thumbnail::Placeholder { kind } => placeholder_record(kind, taken, marks),
        };
        if let Some(parent) = path.parent()
            && std::fs::create_dir_all(parent).is_ok()
        {
            // Written whole, then renamed: a reader never sees half a thumbnail.
            let tmp = path.with_extension("part");
            if std::fs::write(&tmp, bytes).is_ok() {
                let _ = std::fs::rename(&tmp, &path);
            }
        }
    }

    /// Makes thumbnails of `keys` from their heads (one command for all): placeholders by name, embedded
    /// thumbnails; the photos without one go back in the queue for their whole file. Returns false when the GUI
    /// is gone.
    fn make(&self, keys: Vec<(ThumbKey, i64)>) -> bool {
        if keys.is_empty() {
            return true;
        }
        let wanted: Vec<(&[u8], usize)> = keys.iter().map(|(k, _)| (k.path.as_slice(), HEAD_BYTES)).collect();
        let heads = self.read_prefixes(&wanted);
        let mut whole = Vec::new();
        let mut longer = Vec::new();
        let mut videos = Vec::new();
        for ((key, priority), head) in keys.into_iter().zip(heads) {
            if super::PictureKind::of(&key.path) == super::PictureKind::Video {
                let mut job = VideoJob::new(key.size);
                if let Some(head) = head {
                    job.add(0, head);
                }
                videos.push((key, job));
                continue;
            }
            let Some(head) = head else {
                whole.push((key, priority));
                continue;
            };
            let marks = Marks { duration_ms: None, motion: super::motion::is_motion_photo(&key.path, &head) };
            let kind = super::PictureKind::of(&key.path);
            if super::raw_file(kind, &head) {
                match super::dng::thumb_from_head(&head, key.size) {
                    FromHead::Image(image, taken) => {
                        if !self.made(key, image, taken, marks) {
                            return false;
                        }
                    }
                    FromHead::Needs(end) => longer.push((key, priority, usize::try_from(end).unwrap_or(usize::MAX))),
                    // No preview within reach: the raw itself is never pulled for a tile.
                    FromHead::Whole => {
                        self.store(&key, &super::dng::RAW_PLACEHOLDER, taken(&head), marks);
                        if !self.send(key, Ok(super::dng::RAW_PLACEHOLDER), taken(&head), marks) {
                            return false;
                        }
                    }
                }
                continue;
            }
            if super::heif_file(kind, &head) {
                match heif::thumb_from_head(&head, key.size) {
                    FromHead::Image(image, taken) => {
                        if !self.made(key, image, taken, marks) {
                            return false;
                        }
                    }
                    FromHead::Needs(end) if end <= MAX_HEIF_PREFIX => {
                        longer.push((key, priority, usize::try_from(end).unwrap_or(usize::MAX)));
                    }
                    FromHead::Needs(_) | FromHead::Whole => whole.push((key, priority)),
                }
                continue;
            }
            match from_head(&head).map(|image| (image, taken(&head))) {
                Some((image, taken)) => {
                    if !self.made(key, image, taken, marks) {
                        return false;
                    }
                }
                None => whole.push((key, priority)),
            }
        }
        // HEIC photos whose thumbnail item lies past the head: their start up to its end, all in one command.
        if !longer.is_empty() {
            let wanted: Vec<(&[u8], usize)> = longer.iter().map(|(k, _, end)| (k.path.as_slice(), *end)).collect();
            let prefixes = self.read_prefixes(&wanted);
            for ((key, priority, _), prefix) in longer.into_iter().zip(prefixes) {
                let motion = prefix.as_deref().is_some_and(|p| super::motion::is_motion_photo(&key.path, p));
                let raw = prefix.as_deref().is_some_and(|p| super::raw_file(super::PictureKind::of(&key.path), p));
                let planned = prefix.map(|p| {
                    if raw { super::dng::thumb_from_head(&p, key.size) } else { heif::thumb_from_head(&p, key.size) }
                });
                if raw && !matches!(planned, Some(FromHead::Image(..))) {
                    let marks = Marks { duration_ms: None, motion };
                    if !self.send(key, Ok(super::dng::RAW_PLACEHOLDER), None, marks) {
                        return false;
                    }
                    continue;
                }
                match planned {
                    Some(FromHead::Image(image, taken)) => {
                        if !self.made(key, image, taken, Marks { duration_ms: None, motion }) {
                            return false;
                        }
                    }
                    _ => whole.push((key, priority)),
                }
            }
        }
        self.later(whole);
        self.videos(videos)
    }

    /// Makes thumbnails of videos from the few ranges their containers say are needed (the index, the first
    /// keyframe): each step's ranges of all of them in one command. Returns false when the GUI is gone.
    fn videos(&self, mut jobs: Vec<(ThumbKey, VideoJob)>) -> bool {
        let mut done = Vec::new();
        // Head, index, keyframe: three steps; a few more for odd layouts, then the rest give up.
        for _ in 0..6 {
            if jobs.is_empty() {
                break;
            }
            let mut wanted = Vec::new();
            let mut reading = Vec::new();
            for (key, mut job) in jobs {
                match job.step() {
                    Step::Read(spans) => {
                        wanted.extend(spans.iter().map(|&(at, len)| (key.path.clone(), at, len, key.size)));
                        reading.push((key, job, spans));
                    }
                    Step::Decode => done.push((key, Some(job))),
                    Step::GiveUp => done.push((key, None)),
                }
            }
            let spans: Vec<(&[u8], u64, u64, u64)> =
                wanted.iter().map(|(path, at, len, size)| (path.as_slice(), *at, *len, *size)).collect();
            let mut parts = self.read_ranges(&spans).into_iter();
            jobs = Vec::new();
            for (key, mut job, spans) in reading {
                let mut complete = true;
                for (&(at, _), part) in spans.iter().zip(parts.by_ref().take(spans.len())) {
                    match part {
                        Some(bytes) => job.add(at, bytes),
                        None => complete = false,
                    }
                }
                if complete {
                    jobs.push((key, job));
                } else {
                    done.push((key, None));
                }
            }
        }
        done.extend(jobs.into_iter().map(|(key, _)| (key, None)));
        for (key, job) in done {
            let marks = job.as_ref().map(VideoJob::marks).unwrap_or_default();
            let thumb = job.as_ref().map(|job| job.decode(super::THUMB_SIZE));
            let sent = match thumb {
                Some(Ok(image)) => self.made(key, image, None, marks),
                // Without ffmpeg nothing is kept: installing it brings the frames.
                Some(Err(ThumbError::NoDecoder(_))) => self.send(key, Ok(super::VIDEO_PLACEHOLDER), None, marks),
                // The file itself gives no frame: kept, so that it is not read again.
                _ => {
                    self.store(&key, &super::VIDEO_PLACEHOLDER, None, marks);
                    self.send(key, Ok(super::VIDEO_PLACEHOLDER), None, marks)
                }
            };
            if !sent {
                return false;
            }
        }
        true
    }

    /// Stores and sends a thumbnail made from a head; false when the GUI is gone.
    fn made(&self, key: ThumbKey, image: image::RgbaImage, taken: Option<Taken>, marks: Marks) -> bool {
        let thumb = Thumbnail::Image(image);
        self.store(&key, &thumb, taken, marks);
        self.send(key, Ok(thumb), taken, marks)
    }

    /// The bytes of each `(path, offset, len, file size)`: from the phone in one command for all, or from this
    /// computer.
    fn read_ranges(&self, wanted: &[(&[u8], u64, u64, u64)]) -> Vec<Option<Vec<u8>>> {
        match &self.device {
            Some(device) => read_ranges(device, wanted).unwrap_or_else(|_| vec![None; wanted.len()]),
            None => wanted.iter().map(|&(p, at, len, _)| read_local_range(p, self.vault.as_deref(), at, len)).collect(),
        }
    }

    /// The first bytes of each `(path, len)`: from the phone in one command for all, or from this computer.
    fn read_prefixes(&self, wanted: &[(&[u8], usize)]) -> Vec<Option<Vec<u8>>> {
        match &self.device {
            Some(device) => read_prefixes(device, wanted).unwrap_or_else(|_| vec![None; wanted.len()]),
            None => wanted.iter().map(|&(p, len)| read_local_head(p, self.vault.as_deref(), len)).collect(),
        }
    }

    /// The thumbnail of a whole file, and when the photo was taken (from the same bytes, even when the picture
    /// itself cannot be decoded).
    fn decode_whole_file(&self, key: &ThumbKey) -> (Result<Thumbnail, ThumbError>, Option<Taken>, Marks) {
        let bytes = match &self.device {
            None => read_local(&key.path, self.vault.as_deref())
                .map_err(|e| ThumbError::Undecodable(format!("the file cannot be read: {e}"))),
            Some(device) => {
                let mut bytes = Vec::with_capacity(usize::try_from(key.size).unwrap_or(0).min(64 << 20));
                device
                    .pull(&key.path, &mut bytes, &mut |_| Ok(()))
                    .map(|_| bytes)
                    .map_err(|e| ThumbError::Undecodable(format!("the phone did not give the file: {e}")))
            }
        };
        match bytes {
            Ok(bytes) => {
                let marks = Marks { duration_ms: None, motion: super::motion::is_motion_photo(&key.path, &bytes) };
                (from_file(&key.path, &bytes), taken_from_file(&key.path, &bytes), marks)
            }
            Err(e) => (Err(e), None, Marks::default()),
        }
    }
}

/// When the photo in `bytes` (a whole file named `name`) was taken: JPEGs and HEIC/AVIF (videos: not yet).
fn taken_from_file(name: &[u8], bytes: &[u8]) -> Option<Taken> {
    if super::heif_file(super::PictureKind::of(name), bytes) {
        return heif::taken(bytes);
    }
    let jpeg = super::PictureKind::of(name) == super::PictureKind::Jpeg
        || bytes.starts_with(&[0xFF, 0xD8])
        || super::raw_file(super::PictureKind::of(name), bytes);
    if jpeg { taken(&bytes[..bytes.len().min(HEAD_BYTES)]) } else { None }
}

/// A cached thumbnail's JPEG with a comment (COM segment) right after its SOI saying when the photo was taken.
fn with_taken_comment(jpeg: &[u8], taken: Option<Taken>, marks: Marks) -> Vec<u8> {
    let line = taken.map_or_else(|| "none".to_string(), Taken::to_line);
    let mut text = TAKEN_COMMENT.to_vec();
    text.extend_from_slice(line.as_bytes());
    text.push(b'\n');
    text.extend_from_slice(marks.to_words().as_bytes());
    let len = u16::try_from(text.len() + 2).unwrap_or(u16::MAX);
    let mut out = Vec::with_capacity(jpeg.len() + text.len() + 4);
    out.extend_from_slice(jpeg.get(..2).unwrap_or_default());
    out.extend_from_slice(&[0xFF, 0xFE]);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(&text);
    out.extend_from_slice(jpeg.get(2..).unwrap_or_default());
    out
}

/// What the comment of a cached thumbnail says: when the photo was taken (`None` for "no date") and its marks;
/// `None` when there is no such comment (a file this version did not write).
fn cached_taken(jpeg: &[u8]) -> Option<(Option<Taken>, Marks)> {
    let header = jpeg.get(..6)?;
    if header[..4] != [0xFF, 0xD8, 0xFF, 0xFE] {
        return None;
    }
    let len = usize::from(u16::from_be_bytes([header[4], header[5]]));
    let text = jpeg.get(6..(4 + len).max(6))?.strip_prefix(TAKEN_COMMENT)?;
    let (line, marks) = std::str::from_utf8(text).ok()?.split_once('\n')?;
    let marks = Marks::from_words(marks);
    if line == "none" { Some((None, marks)) } else { Taken::from_line(line).map(|t| (Some(t), marks)) }
}

/// What a cached placeholder (a video no frame can be made of, a RAW photo without a preview) starts with; then its kind, when it was taken and
/// its marks, a line each.
const PLACEHOLDER_RECORD: &[u8] = b"phonebak placeholder: ";

/// The cache's record of a placeholder.
fn placeholder_record(kind: &str, taken: Option<Taken>, marks: Marks) -> Vec<u8> {
    let taken = taken.map_or_else(|| "none".to_string(), Taken::to_line);
    [PLACEHOLDER_RECORD, format!("{kind}\n{taken}\n{}", marks.to_words()).as_bytes()].concat()
}

/// A placeholder the cache holds: `None` for anything else (a thumbnail, a record of an unknown kind).
fn cached_placeholder(bytes: &[u8]) -> Option<(Thumbnail, Option<Taken>, Marks)> {
    let text = std::str::from_utf8(bytes.strip_prefix(PLACEHOLDER_RECORD)?).ok()?;
    let mut lines = text.split('\n');
    let thumb = match lines.next()? {
        "Video" => super::VIDEO_PLACEHOLDER,
        "RAW photo" => super::dng::RAW_PLACEHOLDER,
        _ => return None,
    };
    let taken = match lines.next()? {
        "none" => None,
        line => Some(Taken::from_line(line)?),
    };
    Some((thumb, taken, Marks::from_words(lines.next().unwrap_or_default())))
}

/// A file on this computer, decrypted with `vault` when given.
fn open_local(path: &[u8], vault: Option<&crate::vault::Vault>) -> std::io::Result<Box<dyn std::io::Read>> {
    let local = super::local_path(path);
    let file = std::fs::File::open(&local)?;
    match vault {
        None => Ok(Box::new(file)),
        Some(v) => Ok(Box::new(
            v.decrypt(std::io::BufReader::new(file), &local)
                .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e.to_string()))?,
        )),
    }
}

/// The first `len` bytes of a file on this computer (of its plaintext, for an encrypted one).
fn read_local_head(path: &[u8], vault: Option<&crate::vault::Vault>, len: usize) -> Option<Vec<u8>> {
    use std::io::Read;
    let file = open_local(path, vault).ok()?;
    let mut head = Vec::with_capacity(len.min(HEAD_BYTES));
    file.take(len as u64).read_to_end(&mut head).ok()?;
    Some(head)
}

/// The preview of a video: a frame from the few ranges of it its container says are needed, read from
/// `device` (or from this computer when `None`, decrypted with `vault` when given), at most `max` pixels.
#[must_use]
pub fn video_preview(
    device: Option<&Device>,
    vault: Option<&crate::vault::Vault>,
    key: &ThumbKey,
    max: u32,
) -> super::Preview {
    let (picture, index) = super::video::frame(key.size, max, |spans| {
        let wanted: Vec<(&[u8], u64, u64, u64)> =
            spans.iter().map(|&(at, len)| (key.path.as_slice(), at, len, key.size)).collect();
        let parts = match device {
            Some(device) => read_ranges(device, &wanted).ok()?,
            None => wanted.iter().map(|&(p, at, len, _)| read_local_range(p, vault, at, len)).collect(),
        };
        parts.into_iter().collect()
    });
    super::Preview {
        picture: picture.map_or(super::VIDEO_PLACEHOLDER, Thumbnail::Image),
        dimensions: index.and_then(|i| i.dimensions),
    }
}

/// `len` bytes at `offset` of a file on this computer (of its plaintext, for an encrypted one: read through).
fn read_local_range(path: &[u8], vault: Option<&crate::vault::Vault>, offset: u64, len: u64) -> Option<Vec<u8>> {
    use std::io::{Read, Seek};
    let mut out = Vec::with_capacity(usize::try_from(len).ok()?.min(16 << 20));
    if vault.is_none() {
        let mut file = std::fs::File::open(super::local_path(path)).ok()?;
        file.seek(std::io::SeekFrom::Start(offset)).ok()?;
        file.take(len).read_to_end(&mut out).ok()?;
    } else {
        let mut reader = open_local(path, vault).ok()?;
        std::io::copy(&mut reader.by_ref().take(offset), &mut std::io::sink()).ok()?;
        reader.take(len).read_to_end(&mut out).ok()?;
    }
    (out.len() as u64 == len).then_some(out)
}

/// A whole file on this computer (its plaintext, for one of a backup encrypted with `vault`).
///
/// # Errors
/// When it cannot be read or decrypted.
pub fn read_local(path: &[u8], vault: Option<&crate::vault::Vault>) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let mut bytes = Vec::new();
    open_local(path, vault)?.read_to_end(&mut bytes)?;
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pruning_removes_the_least_recently_used_thumbnails_first() {
        let dir = tempfile::tempdir().expect("cache");
        let key = |n: u8| ThumbKey { path: vec![b'a', n], size: 1, mtime: 1 };
        for n in 0..4u8 {
            let path = cache_path(dir.path(), "S", &key(n));
            std::fs::create_dir_all(path.parent().expect("bucket")).expect("mkdir");
            std::fs::write(&path, vec![0u8; 1000]).expect("write");
            let at = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_700_000_000 + u64::from(n));
            std::fs::File::options().write(true).open(&path).and_then(|f| f.set_modified(at)).expect("date");
        }
        assert_eq!(prune_cache(dir.path(), 2500), 2000);
        let left: Vec<bool> = (0..4).map(|n| cache_path(dir.path(), "S", &key(n)).exists()).collect();
        assert_eq!(left, [false, false, true, true], "the oldest two go");
        assert_eq!(prune_cache(dir.path(), 2500), 0);
    }

    #[test]
    fn a_cached_thumbnail_keeps_when_its_photo_was_taken_and_its_marks_and_still_decodes() {
        let jpeg = encode(&image::RgbaImage::from_pixel(8, 6, image::Rgba([200, 10, 10, 255]))).expect("jpeg");
        let clock = jiff::civil::date(2021, 3, 4).at(10, 15, 0, 0);
        let video = Marks { duration_ms: Some(7_250), motion: false };
        let motion = Marks { duration_ms: None, motion: true };
        for (taken, marks) in
            [(Some(Taken::At(1_614_852_900)), motion), (Some(Taken::Clock(clock)), Marks::default()), (None, video)]
        {
            let cached = with_taken_comment(&jpeg, taken, marks);
            assert_eq!(cached_taken(&cached), Some((taken, marks)));
            let image = image::load_from_memory_with_format(&cached, image::ImageFormat::Jpeg).expect("decodes");
            assert_eq!((image.width(), image.height()), (8, 6));
        }
        assert_eq!(cached_taken(&jpeg), None, "a thumbnail without the comment is not trusted");
        assert_eq!(cached_taken(b"\xff\xd8\xff\xfe\x00"), None, "cut short");
        let record = placeholder_record("Video", None, video);
        assert_eq!(cached_placeholder(&record), Some((crate::thumbnails::VIDEO_PLACEHOLDER, None, video)));
        assert_eq!(cached_placeholder(&placeholder_record("Hologram", None, video)), None, "an unknown kind");
        assert_eq!(cached_placeholder(&jpeg), None);
    }

    #[test]
    fn cache_names_changed_with_the_dates_so_old_thumbnails_are_not_found() {
        let key = ThumbKey { path: b"/sdcard/DCIM/a.jpg".to_vec(), size: 1, mtime: 1 };
        let mut hasher = Sha256::new();
        hasher.update(b"S");
        hasher.update([0]);
        hasher.update(&key.path);
        hasher.update(key.size.to_le_bytes());
        hasher.update(key.mtime.to_le_bytes());
        let old = crate::backup::manifest::hex(&hasher.finalize()[..16]);
        let new = cache_path(std::path::Path::new("/c"), "S", &key);
        assert!(!new.to_string_lossy().contains(&old), "{} is the name of version 1", new.display());
    }
}
