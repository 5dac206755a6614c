//! The sample gallery: a deterministic phone's worth of photos, videos and awkward files.
//!
//! Tests, benchmarks and the demo need a phone with thousands of camera photos, and they need it in seconds
//! and without tens of gigabytes of disk. So each camera photo is a sparse file of its full size whose bytes are
//! generated on demand ([`SyntheticContent`]): a header of its own (SOI, then an APP1 EXIF segment built here by
//! hand with the photo's date, orientation, camera and, on most photos, an IFD1 thumbnail) followed by the
//! body of one of a few real 12-megapixel JPEGs that are encoded once per process and shared. Every photo is a
//! valid, decodable JPEG whose EXIF date equals its mtime, and no two photos have the same bytes. Videos are
//! sparse too: a real `ftyp`/`moov`/`mdat` structure around generated payload, optionally larger than 4 GiB.
//!
//! Around the camera roll the generator lays out what real phones carry and what a backup tool trips over:
//! screenshots (real PNGs), `WhatsApp` media (with the `.nomedia` `WhatsApp` puts in `Sent/`), downloads, a private
//! folder with `.nomedia`, trashed and pending files, `DCIM/.thumbnails`, names with quotes, `$(...)`,
//! backticks, newlines, leading dashes, 255 bytes, invalid UTF-8 and emoji, and, when present, the real photos
//! of the shared fixtures (including broken ones and a HEIC). Every file Android would index gets its media
//! store row, computed with the media store's own rules; `photos` counts only the camera photos.
//!
//! The base images cost a few seconds to encode in a debug build (the `image` crate's encoder is generic, so it
//! is compiled unoptimised into this crate), so their JPEGs are also cached in
//! `$TMPDIR/phonebak-sample-cache/`; a missing or implausible cache file is simply made again.

use super::content::sms::{TYPE_INBOX, TYPE_SENT};
use super::content::sql::Value;
use super::content::{Call, CallLogStore, Contact, ContactsStore, DataItem, Mms, MmsPart, Sms, SmsStore};
use super::content::{calls, mms};
use super::media_store::{ExifTime, MP4_EPOCH_OFFSET, MediaFacts, MediaStore, civil_from_unix, days_from_civil};
use super::storage::{Storage, SyntheticContent};
use std::collections::HashSet;
use std::ffi::OsStr;
use std::fs::{self, File, FileTimes, OpenOptions};
use std::io::{self, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// What sample gallery to generate.
#[derive(Debug, Clone)]
pub struct SampleOptions {
    /// How many camera photos (`DCIM/Camera/IMG_*.jpg`); the other folders add a fixed, small number of files.
    pub photos: usize,
    /// Seed for every choice.
    pub seed: u64,
    /// Include one video larger than 4 GiB.
    pub huge_video: bool,
}

impl Default for SampleOptions {
    fn default() -> Self {
        Self { photos: 200, seed: 1, huge_video: false }
    }
}

/// Creates the folders every Android phone has (DCIM, Pictures, Download, ...).
pub fn standard_folders(storage: &Storage) -> io::Result<()> {
    for dir in [
        "Alarms",
        "Android/data",
        "Android/media",
        "Android/obb",
        "Audiobooks",
        "DCIM",
        "Documents",
        "Download",
        "Movies",
        "Music",
        "Notifications",
        "Pictures",
        "Podcasts",
        "Recordings",
        "Ringtones",
    ] {
        make_dirs(&storage.root().join(dir))?;
    }
    Ok(())
}

/// Generates the sample gallery into the storage and indexes it in the media store.
pub fn generate(storage: &Storage, media: &MediaStore, options: &SampleOptions) -> io::Result<()> {
    standard_folders(storage)?;
    let mut g = Generator { storage, media, rng: Rng::new(options.seed), bases: bases(), names: HashSet::new() };
    g.camera_roll(options.photos)?;
    g.hostile_names()?;
    g.camera_videos(options.huge_video)?;
    g.screenshots()?;
    g.whatsapp()?;
    g.downloads()?;
    g.hidden_pending_and_trashed()?;
    g.fixtures(&fixtures_dir())?;
    Ok(())
}

/// Where the shared real-photo fixtures are: `$PHONEBAK_FIXTURES`, else `../shared/fixtures/photos` beside the crate.
#[must_use]
pub fn fixtures_dir() -> PathBuf {
    std::env::var_os("PHONEBAK_FIXTURES")
        .map_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/fixtures/photos")), PathBuf::from)
}

// ---------------------------------------------------------------------------------------------------------
// Randomness and time.

/// `SplitMix64`: small, fast, and the same on every platform.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Self(seed ^ 0x005e_ed0f_b4c4_u64.rotate_left(17))
    }

    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        mix(self.0)
    }

    /// A number in `0..n` (n > 0).
    fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }

    /// True with probability `percent` / 100.
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// 2019-01-01T00:00:00Z: the camera roll spans six years from here.
const ROLL_START: i64 = 1_546_300_800;
const ROLL_DAYS: u64 = 6 * 365 + 1;

fn ymd_hms(t: i64) -> (String, String) {
    let (year, month, day, hour, minute, second) = civil_from_unix(t);
    (format!("{year:04}{month:02}{day:02}"), format!("{hour:02}{minute:02}{second:02}"))
}

/// The EXIF form of a time: `YYYY:MM:DD HH:MM:SS`.
fn exif_datetime(t: i64) -> String {
    let (year, month, day, hour, minute, second) = civil_from_unix(t);
    format!("{year:04}:{month:02}:{day:02} {hour:02}:{minute:02}:{second:02}")
}

fn system_time(t: i64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(t.max(0) as u64)
}

// ---------------------------------------------------------------------------------------------------------
// Generated content.

/// One piece of a generated file.
enum Part {
    /// These (possibly shared) bytes.
    Bytes(Arc<[u8]>),
    /// `len` bytes of the shared noise block, starting at `start` in it (wrapping).
    Noise { start: usize, len: u64 },
}

impl Part {
    fn len(&self) -> u64 {
        match self {
            Part::Bytes(b) => b.len() as u64,
            Part::Noise { len, .. } => *len,
        }
    }
}

/// A file's bytes as a sequence of parts.
struct Composite {
    parts: Vec<(u64, Part)>,
    len: u64,
}

impl Composite {
    fn new(parts: Vec<Part>) -> Self {
        let mut at = 0;
        let parts = parts
            .into_iter()
            .map(|p| {
                let start = at;
                at += p.len();
                (start, p)
            })
            .collect();
        Self { parts, len: at }
    }
}

impl SyntheticContent for Composite {
    fn len(&self) -> u64 {
        self.len
    }

    fn read_at(&self, offset: u64, buf: &mut [u8]) -> usize {
        let mut done = 0;
        let idx = self.parts.partition_point(|(start, _)| *start <= offset).saturating_sub(1);
        for (start, part) in &self.parts[idx..] {
            if done == buf.len() {
                break;
            }
            let pos = offset + done as u64;
            let end = start + part.len();
            if pos >= end {
                continue;
            }
            let within = pos - start;
            let want = (buf.len() - done).min((end - pos) as usize);
            let out = &mut buf[done..done + want];
            match part {
                Part::Bytes(b) => out.copy_from_slice(&b[within as usize..within as usize + want]),
                Part::Noise { start: ns, .. } => fill_noise(out, (*ns as u64 + within) % NOISE_LEN as u64),
            }
            done += want;
        }
        done
    }
}

/// Length of the shared noise block: a bit over 1 MiB, so repeats do not line up with power-of-two chunks.
const NOISE_LEN: usize = (1 << 20) + 4093;

fn noise_block() -> &'static [u8] {
    static NOISE: OnceLock<Vec<u8>> = OnceLock::new();
    NOISE.get_or_init(|| {
        let mut rng = Rng::new(0x0b5e_55ed);
        let mut out = Vec::with_capacity(NOISE_LEN + 8);
        while out.len() < NOISE_LEN {
            out.extend_from_slice(&rng.next_u64().to_le_bytes());
        }
        out.truncate(NOISE_LEN);
        out
    })
}

fn fill_noise(out: &mut [u8], mut at: u64) {
    let block = noise_block();
    let mut done = 0;
    while done < out.len() {
        let i = at as usize;
        let n = (out.len() - done).min(NOISE_LEN - i);
        out[done..done + n].copy_from_slice(&block[i..i + n]);
        done += n;
        at = 0;
    }
}

// ---------------------------------------------------------------------------------------------------------
// Base images.

/// A real JPEG, shared by many generated photos.
struct Base {
    width: u32,
    height: u32,
    /// The JPEG after SOI and its `APPn` segments (DQT, SOF, DHT, SOS, scan data, EOI).
    body: Arc<[u8]>,
    /// A 160x120 JPEG of the same picture, for EXIF thumbnails.
    thumb: Arc<[u8]>,
}

/// The shared base images: four 12-megapixel-class camera pictures of different detail (about 1.3, 2.2, 3.4 and
/// 4.5 MB compressed) and a `WhatsApp`-sized one. Made once per process, on two threads, and kept in a cache file in
/// the temporary directory so that later processes (each test binary) skip the encoding.
fn bases() -> &'static [Base] {
    static BASES: OnceLock<Vec<Base>> = OnceLock::new();
    BASES.get_or_init(|| {
        // (width, height, noise mask, JPEG quality, scene seed)
        let specs: [BaseSpec; 5] = [
            (4000, 3000, 0x0F, 80, 1),
            (4000, 3000, 0x0F, 88, 2),
            (4032, 3024, 0x17, 85, 3),
            (4000, 3000, 0x1F, 86, 4),
            (1600, 1200, 0x0F, 75, 5),
        ];
        let mut made: Vec<Option<Base>> = std::thread::scope(|scope| {
            let odd = std::thread::Builder::new()
                .name("sample-bases".to_string())
                .spawn_scoped(scope, || specs.iter().skip(1).step_by(2).map(|&s| make_base(s)).collect::<Vec<_>>());
            let even: Vec<Base> = specs.iter().step_by(2).map(|&s| make_base(s)).collect();
            let odd = odd.ok().and_then(|h| h.join().ok()).unwrap_or_default();
            let mut even = even.into_iter();
            let mut odd = odd.into_iter();
            (0..specs.len()).map(|i| if i % 2 == 0 { even.next() } else { odd.next() }).collect()
        });
        specs.iter().zip(made.iter_mut()).map(|(&spec, base)| base.take().unwrap_or_else(|| make_base(spec))).collect()
    })
}

/// (width, height, noise mask, JPEG quality, scene seed) of a base image.
type BaseSpec = (u32, u32, u8, u8, u32);

/// Bump when `scene` or the specs change, so stale cache files are not used.
const BASE_CACHE_VERSION: u32 = 1;

fn base_cache_path((width, height, mask, quality, seed): BaseSpec) -> PathBuf {
    std::env::temp_dir()
        .join("phonebak-sample-cache")
        .join(format!("base-v{BASE_CACHE_VERSION}-{width}x{height}-m{mask}-q{quality}-s{seed}.jpg"))
}

/// A cached base JPEG, if the cache holds a plausible one (right dimensions, SOI ... EOI).
fn cached_base_jpeg(spec: BaseSpec) -> Option<Vec<u8>> {
    let bytes = fs::read(base_cache_path(spec)).ok()?;
    let dims = super::media_store::image_dimensions(&bytes[..bytes.len().min(64 * 1024)])?;
    (bytes.starts_with(&[0xFF, 0xD8]) && bytes.ends_with(&[0xFF, 0xD9]) && dims == (spec.0, spec.1)).then_some(bytes)
}

fn store_cached_base_jpeg(spec: BaseSpec, jpeg: &[u8]) {
    let path = base_cache_path(spec);
    let Some(dir) = path.parent() else { return };
    let temp = dir.join(format!(".{}.{}", std::process::id(), spec.4));
    let written = fs::create_dir_all(dir).and_then(|()| fs::write(&temp, jpeg)).and_then(|()| fs::rename(&temp, &path));
    if written.is_err() {
        let _ = fs::remove_file(&temp);
    }
}

/// Renders a landscape (sky, sun, hills, a lake; colours change in bands of 32 rows) with per-pixel noise: each
/// byte gets `rand & mask` added.
///
/// Rows are assembled with slice copies and the noise is added eight bytes at a time, which keeps a debug build
/// (where this crate's own loops run unoptimised) fast.
fn scene(width: u32, height: u32, mask: u8, seed: u32) -> Vec<u8> {
    let (w, h) = (width as usize, height as usize);
    let ceiling = i32::from(255 - mask);
    let phase = seed as f32 * 1.7;
    let horizon: Vec<usize> = (0..w)
        .map(|x| {
            let fx = x as f32 / w as f32;
            ((0.55 + 0.08 * (fx * 7.0 + phase).sin() + 0.04 * (fx * 23.0 + phase * 2.0).sin()) * h as f32) as usize
        })
        .collect();
    let lake = h * 82 / 100;
    let (sun_x, sun_y, sun_r) = ((w as f32 * (0.2 + 0.15 * seed as f32)) as i64, (h / 5) as i64, (h / 12) as i64);
    let pixel = |c: [i32; 3]| c.map(|v| v.clamp(0, ceiling) as u8);
    let mut px = vec![0u8; w * h * 3];
    let mut row = vec![0u8; w * 3];
    let mut band = usize::MAX;
    for y in 0..h {
        let t = (y * 255 / h) as i32;
        if y / 32 != band || y == lake || horizon.contains(&y) {
            band = y / 32;
            let sky = pixel([60 + t / 3, 120 + t / 3, 230 - t / 5]);
            let grass = pixel([40 + t / 6, 110 + t / 4, 30 + t / 8]);
            let water = pixel([30 + t / 8, 70 + t / 6, 140 + t / 5]);
            for (x, out) in row.chunks_exact_mut(3).enumerate() {
                out.copy_from_slice(if y >= lake {
                    &water
                } else if y >= horizon[x] {
                    &grass
                } else {
                    &sky
                });
            }
        }
        let line = &mut px[y * w * 3..(y + 1) * w * 3];
        line.copy_from_slice(&row);
        let dy = y as i64 - sun_y;
        if dy.abs() < sun_r {
            let half = ((sun_r * sun_r - dy * dy) as f64).sqrt() as i64;
            let sun = pixel([255, 236, 160]);
            for x in (sun_x - half).max(0)..(sun_x + half).min(w as i64) {
                if y < horizon[x as usize] {
                    line[x as usize * 3..x as usize * 3 + 3].copy_from_slice(&sun);
                }
            }
        }
    }
    let mask = u64::from_le_bytes([mask; 8]);
    let mut rng = Rng::new(u64::from(seed));
    for word in px.chunks_exact_mut(8) {
        let mut bytes = [0u8; 8];
        bytes.copy_from_slice(word);
        // No byte overflows: every byte is at most 255 - mask before the noise is added.
        let sum = u64::from_le_bytes(bytes).wrapping_add(rng.next_u64() & mask);
        word.copy_from_slice(&sum.to_le_bytes());
    }
    px
}

fn make_base(spec: BaseSpec) -> Base {
    let (width, height, mask, quality, seed) = spec;
    let jpeg = cached_base_jpeg(spec).unwrap_or_else(|| {
        let jpeg = encode_jpeg(&scene(width, height, mask, seed), width, height, quality);
        store_cached_base_jpeg(spec, &jpeg);
        jpeg
    });
    // The thumbnail is the same scene drawn small.
    let thumb = encode_jpeg(&scene(160, 120, mask, seed), 160, 120, 80);
    let body_start = after_app_segments(&jpeg);
    Base { width, height, body: Arc::from(&jpeg[body_start..]), thumb: Arc::from(thumb) }
}

pub(super) fn encode_jpeg(px: &[u8], width: u32, height: u32, quality: u8) -> Vec<u8> {
    let mut out = Vec::new();
    // Encoding into memory fails only on a buffer/size mismatch, which `scene` rules out; an empty result would
    // make every photo invalid, which the unit tests catch.
    let _ = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, quality).encode(
        px,
        width,
        height,
        image::ExtendedColorType::Rgb8,
    );
    out
}

/// The offset after SOI and any `APPn` segments of a JPEG.
pub(super) fn after_app_segments(jpeg: &[u8]) -> usize {
    let mut pos = 2;
    while pos + 4 <= jpeg.len() && jpeg[pos] == 0xFF && (0xE0..=0xEF).contains(&jpeg[pos + 1]) {
        pos += 2 + usize::from(u16::from_be_bytes([jpeg[pos + 2], jpeg[pos + 3]]));
    }
    pos.min(jpeg.len())
}

// ---------------------------------------------------------------------------------------------------------
// EXIF.

const TYPE_ASCII: u16 = 2;
const TYPE_SHORT: u16 = 3;
const TYPE_LONG: u16 = 4;
const TYPE_RATIONAL: u16 = 5;
const TYPE_UNDEFINED: u16 = 7;

/// One IFD entry, value little-endian encoded.
struct Entry {
    tag: u16,
    kind: u16,
    count: u32,
    data: Vec<u8>,
}

fn ascii(tag: u16, s: &str) -> Entry {
    let mut data = s.as_bytes().to_vec();
    data.push(0);
    Entry { tag, kind: TYPE_ASCII, count: data.len() as u32, data }
}

fn short(tag: u16, v: u16) -> Entry {
    Entry { tag, kind: TYPE_SHORT, count: 1, data: v.to_le_bytes().to_vec() }
}

fn long(tag: u16, v: u32) -> Entry {
    Entry { tag, kind: TYPE_LONG, count: 1, data: v.to_le_bytes().to_vec() }
}

fn rational(tag: u16, num: u32, den: u32) -> Entry {
    let mut data = num.to_le_bytes().to_vec();
    data.extend_from_slice(&den.to_le_bytes());
    Entry { tag, kind: TYPE_RATIONAL, count: 1, data }
}

fn ifd_len(entries: &[Entry]) -> usize {
    2 + 12 * entries.len()
        + 4
        + entries.iter().filter(|e| e.data.len() > 4).map(|e| e.data.len().div_ceil(2) * 2).sum::<usize>()
}

/// Appends an IFD that starts at TIFF offset `at` (= `out.len()` relative to the TIFF header).
fn write_ifd(out: &mut Vec<u8>, at: usize, entries: &[Entry], next: u32) {
    let mut data_at = at + 2 + 12 * entries.len() + 4;
    let mut data = Vec::new();
    out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
    for e in entries {
        out.extend_from_slice(&e.tag.to_le_bytes());
        out.extend_from_slice(&e.kind.to_le_bytes());
        out.extend_from_slice(&e.count.to_le_bytes());
        if e.data.len() <= 4 {
            let mut inline = [0u8; 4];
            inline[..e.data.len()].copy_from_slice(&e.data);
            out.extend_from_slice(&inline);
        } else {
            out.extend_from_slice(&(data_at as u32).to_le_bytes());
            data.extend_from_slice(&e.data);
            if e.data.len() % 2 == 1 {
                data.push(0);
            }
            data_at += e.data.len().div_ceil(2) * 2;
        }
    }
    out.extend_from_slice(&next.to_le_bytes());
    out.extend_from_slice(&data);
}

/// What a camera writes into a photo's EXIF.
pub(super) struct PhotoExif<'a> {
    pub(super) time: i64,
    pub(super) orientation: u16,
    pub(super) make: &'a str,
    pub(super) model: &'a str,
    pub(super) width: u32,
    pub(super) height: u32,
    /// Writes `OffsetTimeOriginal` (`+00:00`; the phone's clock is UTC).
    pub(super) with_offset: bool,
}

/// SOI + APP1 `Exif` up to (not including) the IFD1 thumbnail of `thumb_len` bytes, which must follow.
pub(super) fn exif_header(info: &PhotoExif<'_>, thumb_len: Option<usize>) -> Vec<u8> {
    let date = exif_datetime(info.time);
    let ifd0_entries = |exif_at: u32| {
        vec![
            ascii(0x010F, info.make),
            ascii(0x0110, info.model),
            short(0x0112, info.orientation),
            rational(0x011A, 72, 1),
            rational(0x011B, 72, 1),
            short(0x0128, 2),
            ascii(0x0132, &date),
            long(0x8769, exif_at),
        ]
    };
    let mut exif_entries = vec![
        Entry { tag: 0x9000, kind: TYPE_UNDEFINED, count: 4, data: b"0232".to_vec() },
        ascii(0x9003, &date),
        ascii(0x9004, &date),
    ];
    if info.with_offset {
        exif_entries.push(ascii(0x9010, "+00:00"));
        exif_entries.push(ascii(0x9011, "+00:00"));
    }
    exif_entries.push(long(0xA002, info.width));
    exif_entries.push(long(0xA003, info.height));
    let ifd1_entries = |thumb_at: u32, len: u32| {
        vec![
            short(0x0103, 6),
            rational(0x011A, 72, 1),
            rational(0x011B, 72, 1),
            short(0x0128, 2),
            long(0x0201, thumb_at),
            long(0x0202, len),
        ]
    };
    let ifd0_at = 8;
    let exif_at = ifd0_at + ifd_len(&ifd0_entries(0));
    let ifd1_at = exif_at + ifd_len(&exif_entries);
    let thumb_at = ifd1_at + thumb_len.map_or(0, |_| ifd_len(&ifd1_entries(0, 0)));
    let mut tiff = b"II\x2a\x00\x08\x00\x00\x00".to_vec();
    let next = if thumb_len.is_some() { ifd1_at as u32 } else { 0 };
    write_ifd(&mut tiff, ifd0_at, &ifd0_entries(exif_at as u32), next);
    write_ifd(&mut tiff, exif_at, &exif_entries, 0);
    if let Some(len) = thumb_len {
        write_ifd(&mut tiff, ifd1_at, &ifd1_entries(thumb_at as u32, len as u32), 0);
    }
    let app1_len = 2 + 6 + tiff.len() + thumb_len.unwrap_or(0);
    let mut out = vec![0xFF, 0xD8, 0xFF, 0xE1];
    out.extend_from_slice(&(app1_len as u16).to_be_bytes());
    out.extend_from_slice(b"Exif\0\0");
    out.extend_from_slice(&tiff);
    out
}

// ---------------------------------------------------------------------------------------------------------
// MP4.

fn mp4_box(kind: [u8; 4], body: &[u8]) -> Vec<u8> {
    let mut out = ((body.len() + 8) as u32).to_be_bytes().to_vec();
    out.extend_from_slice(&kind);
    out.extend_from_slice(body);
    out
}

fn full_box(kind: [u8; 4], version_flags: u32, body: &[u8]) -> Vec<u8> {
    let mut b = version_flags.to_be_bytes().to_vec();
    b.extend_from_slice(body);
    mp4_box(kind, &b)
}

const MATRIX: [u32; 9] = [0x0001_0000, 0, 0, 0, 0x0001_0000, 0, 0, 0, 0x4000_0000];

fn be(values: &[u32]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_be_bytes()).collect()
}

/// `ftyp` + `moov` + the `mdat` header (64-bit when the payload needs it) of a video of `payload` bytes.
fn mp4_header(width: u32, height: u32, duration_ms: u32, created: i64, payload: u64) -> Vec<u8> {
    let created = (created + MP4_EPOCH_OFFSET) as u32;
    let mut mvhd = be(&[created, created, 1000, duration_ms, 0x0001_0000]);
    mvhd.extend_from_slice(&0x0100u16.to_be_bytes());
    mvhd.extend_from_slice(&[0; 10]);
    mvhd.extend_from_slice(&be(&MATRIX));
    mvhd.extend_from_slice(&[0; 24]);
    mvhd.extend_from_slice(&2u32.to_be_bytes());
    let mut tkhd = be(&[created, created, 1, 0, duration_ms, 0, 0]);
    tkhd.extend_from_slice(&[0; 8]);
    tkhd.extend_from_slice(&be(&MATRIX));
    tkhd.extend_from_slice(&be(&[width << 16, height << 16]));
    let mut media_header = be(&[created, created, 1000, duration_ms]);
    media_header.extend_from_slice(&[0x55, 0xC4, 0, 0]);
    let mut hdlr = be(&[0]);
    hdlr.extend_from_slice(b"vide");
    hdlr.extend_from_slice(&[0; 12]);
    hdlr.extend_from_slice(b"VideoHandle\0");
    let dref = full_box(*b"dref", 0, &[&be(&[1])[..], &full_box(*b"url ", 1, &[])].concat());
    let stbl = [
        full_box(*b"stsd", 0, &be(&[0])),
        full_box(*b"stts", 0, &be(&[0])),
        full_box(*b"stsc", 0, &be(&[0])),
        full_box(*b"stsz", 0, &be(&[0, 0])),
        full_box(*b"co64", 0, &be(&[0])),
    ]
    .concat();
    let minf = [full_box(*b"vmhd", 1, &[0; 8]), mp4_box(*b"dinf", &dref), mp4_box(*b"stbl", &stbl)].concat();
    let mdia = [full_box(*b"mdhd", 0, &media_header), full_box(*b"hdlr", 0, &hdlr), mp4_box(*b"minf", &minf)].concat();
    let trak = [full_box(*b"tkhd", 3, &tkhd), mp4_box(*b"mdia", &mdia)].concat();
    let moov = [full_box(*b"mvhd", 0, &mvhd), mp4_box(*b"trak", &trak)].concat();
    let mut out = mp4_box(*b"ftyp", b"isom\0\0\x02\0isomiso2avc1mp41");
    out.extend_from_slice(&mp4_box(*b"moov", &moov));
    if payload + 8 > u64::from(u32::MAX) {
        out.extend_from_slice(&1u32.to_be_bytes());
        out.extend_from_slice(b"mdat");
        out.extend_from_slice(&(payload + 16).to_be_bytes());
    } else {
        out.extend_from_slice(&((payload + 8) as u32).to_be_bytes());
        out.extend_from_slice(b"mdat");
    }
    out
}

// ---------------------------------------------------------------------------------------------------------
// PNG and small real files.

/// A screenshot-like PNG: flat bars of UI colour.
fn screenshot_png(rng: &mut Rng, width: u32, height: u32) -> Vec<u8> {
    let mut px = vec![0u8; (width * height * 3) as usize];
    let accent = [rng.below(200) as u8 + 30, rng.below(200) as u8 + 30, rng.below(200) as u8 + 30];
    for y in 0..height {
        let colour = match y * 12 / height {
            0 => [20, 20, 20],
            1 => accent,
            n if n % 2 == 0 => [250, 250, 250],
            _ => [235, 235, 240],
        };
        for x in 0..width {
            let i = ((y * width + x) * 3) as usize;
            let text = x > 24 && x < width / 2 && (y / 6) % 5 == 1 && (x / 7 + y) % 3 != 0;
            px[i..i + 3].copy_from_slice(if text { &[60, 60, 60] } else { &colour });
        }
    }
    let mut out = Vec::new();
    let _ = image::ImageEncoder::write_image(
        image::codecs::png::PngEncoder::new(&mut out),
        &px,
        width,
        height,
        image::ExtendedColorType::Rgb8,
    );
    out
}

const TINY_PDF: &[u8] =
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n\
3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n";

// ---------------------------------------------------------------------------------------------------------
// The generator.

/// Creates `dir` and its missing parents as rwxrwx--- (what shared storage shows), whatever the umask.
fn make_dirs(dir: &Path) -> io::Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    if let Some(parent) = dir.parent() {
        make_dirs(parent)?;
    }
    match fs::DirBuilder::new().mode(0o770).create(dir) {
        Err(e) if e.kind() != io::ErrorKind::AlreadyExists => return Err(e),
        _ => {}
    }
    fs::set_permissions(dir, fs::Permissions::from_mode(0o770))
}

fn set_mtime(file: &File, t: i64) -> io::Result<()> {
    file.set_times(FileTimes::new().set_modified(system_time(t)).set_accessed(system_time(t)))
}

/// Creates a file as rw-rw---- (what shared storage shows), whatever the umask.
fn create_file(host: &Path) -> io::Result<File> {
    let file = OpenOptions::new().write(true).create(true).truncate(true).mode(0o660).open(host)?;
    file.set_permissions(fs::Permissions::from_mode(0o660))?;
    Ok(file)
}

/// The camera model a photo of this time was taken with (the owner changed phones in 2021).
fn camera_for(t: i64) -> (&'static str, &'static str, bool) {
    if t < days_from_civil(2021, 3, 1) * 86_400 { ("Google", "Pixel 3a", false) } else { ("Google", "Pixel 7", true) }
}

struct Generator<'a> {
    storage: &'a Storage,
    media: &'a MediaStore,
    rng: Rng,
    bases: &'static [Base],
    /// Host paths already used.
    names: HashSet<PathBuf>,
}

impl Generator<'_> {
    fn dir(&self, rel: &str) -> io::Result<PathBuf> {
        let dir = self.storage.root().join(rel);
        make_dirs(&dir)?;
        Ok(dir)
    }

    /// A random time in the camera roll's span, during the day.
    fn random_time(&mut self) -> i64 {
        ROLL_START + self.rng.below(ROLL_DAYS) as i64 * 86_400 + 7 * 3600 + self.rng.below(15 * 3600) as i64
    }

    /// `dir/PREFIXdate_time.EXT` (with `sep` between date and time), moving the time on until the name is free.
    fn timed_name(&mut self, dir: &Path, prefix: &str, sep: &str, ext: &str, mut t: i64) -> (PathBuf, i64) {
        loop {
            let (date, time) = ymd_hms(t);
            let host = dir.join(format!("{prefix}{date}{sep}{time}.{ext}"));
            if self.names.insert(host.clone()) {
                return (host, t);
            }
            t += 1;
        }
    }

    /// Writes a sparse file with generated content and the given mtime, and registers the content.
    fn write_synthetic(&mut self, host: &Path, parts: Vec<Part>, mtime: i64) -> io::Result<u64> {
        self.names.insert(host.to_path_buf());
        let content = Arc::new(Composite::new(parts));
        let len = content.len;
        let file = create_file(host)?;
        file.set_len(len)?;
        set_mtime(&file, mtime)?;
        drop(file);
        self.storage.register_synthetic(host, content)?;
        Ok(len)
    }

    /// Writes a real file with these bytes and mtime.
    fn write_real(&mut self, host: &Path, bytes: &[u8], mtime: i64) -> io::Result<()> {
        self.names.insert(host.to_path_buf());
        let mut file = create_file(host)?;
        file.write_all(bytes)?;
        set_mtime(&file, mtime)
    }

    fn index(&self, host: &Path, facts: &MediaFacts, date_added: i64) {
        if let Some(phone_path) = self.storage.phone_path(host) {
            self.media.insert_row(self.storage, &phone_path, facts, date_added);
        }
    }

    /// Indexes a real file by reading it, as the scanner would.
    fn index_by_reading(&self, host: &Path, date_added: i64) -> io::Result<()> {
        let facts = MediaStore::read_facts(self.storage, host)?;
        self.index(host, &facts, date_added);
        Ok(())
    }

    /// A camera photo at `host` taken at `t`: synthetic JPEG with EXIF, indexed.
    fn camera_photo(&mut self, host: &Path, t: i64, thumb_percent: u64) -> io::Result<()> {
        let base_index = match self.rng.below(100) {
            0..=24 => 0,
            25..=59 => 1,
            60..=84 => 2,
            _ => 3,
        };
        let base = &self.bases[base_index];
        let orientation = match self.rng.below(100) {
            0..=79 => 1,
            80..=91 => 6,
            92..=95 => 3,
            _ => 8,
        };
        let with_thumb = self.rng.chance(thumb_percent);
        let (make, model, with_offset) = camera_for(t);
        let info = PhotoExif { time: t, orientation, make, model, width: base.width, height: base.height, with_offset };
        let header = exif_header(&info, with_thumb.then_some(base.thumb.len()));
        let mut parts = vec![Part::Bytes(Arc::from(header))];
        if with_thumb {
            parts.push(Part::Bytes(Arc::clone(&base.thumb)));
        }
        parts.push(Part::Bytes(Arc::clone(&base.body)));
        // Many phones append a trailer after EOI (Samsung's SEFT, Google's motion photo data).
        if self.rng.chance(50) {
            parts
                .push(Part::Noise { start: self.rng.below(NOISE_LEN as u64) as usize, len: self.rng.below(256 << 10) });
        }
        let size = self.write_synthetic(host, parts, t)?;
        let facts = MediaFacts {
            size,
            mtime: t,
            width: Some(base.width),
            height: Some(base.height),
            exif_orientation: Some(orientation),
            exif_time: Some(ExifTime { local_secs: t, offset_secs: with_offset.then_some(0) }),
            ..MediaFacts::default()
        };
        self.index(host, &facts, t + 2);
        Ok(())
    }

    /// A JPEG without EXIF (as `WhatsApp` and browsers save them): synthetic, a comment makes it unique.
    fn plain_jpeg(&mut self, host: &Path, t: i64, note: &str) -> io::Result<()> {
        let base = &self.bases[4];
        let mut header = vec![0xFF, 0xD8, 0xFF, 0xFE];
        header.extend_from_slice(&((note.len() + 2) as u16).to_be_bytes());
        header.extend_from_slice(note.as_bytes());
        let parts = vec![Part::Bytes(Arc::from(header)), Part::Bytes(Arc::clone(&base.body))];
        let size = self.write_synthetic(host, parts, t)?;
        let facts =
            MediaFacts { size, mtime: t, width: Some(base.width), height: Some(base.height), ..MediaFacts::default() };
        self.index(host, &facts, t + 1);
        Ok(())
    }

    /// A synthetic MP4 of about `size` bytes.
    fn video(&mut self, host: &Path, t: i64, (width, height): (u32, u32), size: u64, bitrate: u64) -> io::Result<()> {
        let duration_ms = (size * 8 * 1000 / bitrate) as u32;
        let header = mp4_header(width, height, duration_ms, t, size);
        let start = self.rng.below(NOISE_LEN as u64) as usize;
        let parts = vec![Part::Bytes(Arc::from(header)), Part::Noise { start, len: size }];
        let total = self.write_synthetic(host, parts, t + i64::from(duration_ms / 1000))?;
        let facts = MediaFacts {
            size: total,
            mtime: t + i64::from(duration_ms / 1000),
            width: Some(width),
            height: Some(height),
            duration_ms: Some(i64::from(duration_ms)),
            video_creation_ms: Some(t * 1000),
            ..MediaFacts::default()
        };
        self.index(host, &facts, t + 2);
        Ok(())
    }

    fn camera_roll(&mut self, photos: usize) -> io::Result<()> {
        let dir = self.dir("DCIM/Camera")?;
        let mut times: Vec<i64> = (0..photos).map(|_| self.random_time()).collect();
        times.sort_unstable();
        for t in times {
            let (host, t) = self.timed_name(&dir, "IMG_", "_", "jpg", t);
            self.camera_photo(&host, t, 90)?;
        }
        Ok(())
    }

    fn hostile_names(&mut self) -> io::Result<()> {
        let dir = self.dir("Pictures/Hostile")?;
        let long = format!("IMG_{}.jpg", "x".repeat(255 - 8));
        let names: Vec<&[u8]> = vec![
            b"it's a \"quoted\" name.jpg",
            b"$(touch pwned).jpg",
            b"`touch pwned`.jpg",
            b"  spaces  everywhere  .jpg",
            b"new\nline.jpg",
            b"-rf.jpg",
            b"--help.jpg",
            long.as_bytes(),
            b"caf\xe9 latin-1.jpg",
            "🎉 party 🎂.jpg".as_bytes(),
            b"semi;colon & amp | pipe > out.jpg",
            b"back\\slash.jpg",
            b"glob*?[x].jpg",
            b"#hash %41 percent.jpg",
        ];
        for name in names {
            let t = self.random_time();
            self.camera_photo(&dir.join(OsStr::from_bytes(name)), t, 90)?;
        }
        let camera = self.dir("DCIM/Camera")?;
        for name in [
            "IMG_20230704_120000 (1).jpg",
            "IMG_20230705_130000'.jpg",
            "-IMG_20230706_140000.jpg",
            "IMG_20230707_150000 🎆.jpg",
        ] {
            let t = days_from_civil(2023, 7, 4) * 86_400 + 12 * 3600 + self.rng.below(4 * 86_400) as i64;
            self.camera_photo(&camera.join(name), t, 90)?;
        }
        Ok(())
    }

    fn camera_videos(&mut self, huge: bool) -> io::Result<()> {
        let dir = self.dir("DCIM/Camera")?;
        let specs: [((u32, u32), u64, u64); 4] = [
            ((1920, 1080), 9 << 20, 17_000_000),
            ((1920, 1080), 42 << 20, 17_000_000),
            ((3840, 2160), 120 << 20, 42_000_000),
            ((1280, 720), 3 << 20, 8_000_000),
        ];
        for (dims, size, bitrate) in specs {
            let t = self.random_time();
            let (host, t) = self.timed_name(&dir, "VID_", "_", "mp4", t);
            self.video(&host, t, dims, size, bitrate)?;
        }
        if huge {
            let t = days_from_civil(2024, 8, 17) * 86_400 + 18 * 3600;
            let (host, t) = self.timed_name(&dir, "VID_", "_", "mp4", t);
            self.video(&host, t, (3840, 2160), (4 << 30) + (300 << 20), 42_000_000)?;
        }
        let movies = self.dir("Movies")?;
        let t = self.random_time();
        self.video(&movies.join("Holiday edit.mp4"), t, (1920, 1080), 25 << 20, 12_000_000)
    }

    fn screenshots(&mut self) -> io::Result<()> {
        let dir = self.dir("Pictures/Screenshots")?;
        for _ in 0..6 {
            let t = self.random_time();
            let (host, t) = self.timed_name(&dir, "Screenshot_", "-", "png", t);
            let png = screenshot_png(&mut self.rng, 360, 780);
            self.write_real(&host, &png, t)?;
            self.index_by_reading(&host, t + 1)?;
        }
        Ok(())
    }

    fn whatsapp(&mut self) -> io::Result<()> {
        let root = "Android/media/com.whatsapp/WhatsApp/Media";
        let images = self.dir(&format!("{root}/WhatsApp Images"))?;
        let sent = self.dir(&format!("{root}/WhatsApp Images/Sent"))?;
        let video = self.dir(&format!("{root}/WhatsApp Video"))?;
        let statuses = self.dir(&format!("{root}/.Statuses"))?;
        // WhatsApp hides what you sent from the gallery.
        self.write_real(&sent.join(".nomedia"), b"", ROLL_START)?;
        for (dir, count) in [(&images, 6), (&sent, 3)] {
            for n in 1..=count {
                let t = self.random_time();
                let (date, _) = ymd_hms(t);
                let host = dir.join(format!("IMG-{date}-WA{n:04}.jpg"));
                let note = format!("WhatsApp {date} {n}");
                self.plain_jpeg(&host, t, &note)?;
            }
        }
        for n in 1..=2 {
            let t = self.random_time();
            let (date, _) = ymd_hms(t);
            self.video(&video.join(format!("VID-{date}-WA{n:04}.mp4")), t, (848, 480), (2 + n) << 20, 1_500_000)?;
        }
        let t = self.random_time();
        self.plain_jpeg(&statuses.join("b1946ac92492d2347c6235b4d2611184.jpg"), t, "status")?;
        Ok(())
    }

    fn downloads(&mut self) -> io::Result<()> {
        let dir = self.dir("Download")?;
        let t = self.random_time();
        self.write_real(&dir.join("receipt.pdf"), TINY_PDF, t)?;
        self.index_by_reading(&dir.join("receipt.pdf"), t)?;
        let t = self.random_time();
        self.write_real(&dir.join("notes.txt"), b"Things to back up: everything.\n", t)?;
        self.index_by_reading(&dir.join("notes.txt"), t)?;
        let t = self.random_time();
        self.plain_jpeg(&dir.join("wallpaper.jpg"), t, "wallpaper")?;
        let t = self.random_time();
        let png = screenshot_png(&mut self.rng, 200, 200);
        self.write_real(&dir.join("meme.png"), &png, t)?;
        self.index_by_reading(&dir.join("meme.png"), t)
    }

    fn hidden_pending_and_trashed(&mut self) -> io::Result<()> {
        let private = self.dir("Pictures/Private")?;
        self.write_real(&private.join(".nomedia"), b"", ROLL_START)?;
        for _ in 0..2 {
            let t = self.random_time();
            let (host, t) = self.timed_name(&private, "IMG_", "_", "jpg", t);
            self.camera_photo(&host, t, 90)?;
        }
        let camera = self.dir("DCIM/Camera")?;
        for (kind, days) in [("trashed", 30), ("trashed", 30), ("pending", 7)] {
            let t = self.random_time();
            let (date, time) = ymd_hms(t);
            let expires = t + days * 86_400;
            let host = camera.join(format!(".{kind}-{expires}-IMG_{date}_{time}.jpg"));
            self.camera_photo(&host, t, 90)?;
        }
        let thumbs = self.dir("DCIM/.thumbnails")?;
        for (n, base) in self.bases[..3].iter().enumerate() {
            let host = thumbs.join(format!("{}.jpg", 1000 + n));
            let thumb = Arc::clone(&base.thumb);
            self.write_real(&host, &thumb, ROLL_START)?;
            self.index_by_reading(&host, ROLL_START)?;
        }
        Ok(())
    }

    /// Copies the shared real photos, when present: phone photos and broken JPEGs into `DCIM/Camera` under
    /// camera names from their EXIF date (from 2018 for those without one), the orientation set into `Pictures/Orientation` under their own names.
    fn fixtures(&mut self, dir: &Path) -> io::Result<()> {
        if !dir.is_dir() {
            return Ok(());
        }
        let camera = self.dir("DCIM/Camera")?;
        let mut t = days_from_civil(2018, 4, 5) * 86_400 + 10 * 3600;
        for sub in ["mobile", "invalid"] {
            let mut files: Vec<PathBuf> = match fs::read_dir(dir.join(sub)) {
                Ok(entries) => entries.filter_map(Result::ok).map(|e| e.path()).filter(|p| p.is_file()).collect(),
                Err(_) => continue,
            };
            files.sort();
            for src in files {
                let ext = src.extension().map_or("jpg".to_string(), |e| e.to_string_lossy().to_ascii_lowercase());
                let bytes = fs::read(&src)?;
                // A camera names a photo by the time it was taken: the EXIF date when the file has one.
                let taken = exif_taken_secs(&bytes);
                let (host, at) = self.timed_name(&camera, "IMG_", "_", &ext, taken.unwrap_or(t));
                self.write_fixture(&bytes, &host, at)?;
                if taken.is_none() {
                    t = at + 86_400 + 3917;
                }
            }
        }
        let orientation = self.dir("Pictures/Orientation")?;
        let mut files: Vec<PathBuf> = match fs::read_dir(dir.join("orientation")) {
            Ok(entries) => entries.filter_map(Result::ok).map(|e| e.path()).filter(|p| p.is_file()).collect(),
            Err(_) => Vec::new(),
        };
        files.sort();
        for src in files {
            let Some(name) = src.file_name() else { continue };
            let host = orientation.join(name);
            self.copy_fixture(&src, &host, t)?;
            t += 60;
        }
        Ok(())
    }

    fn copy_fixture(&mut self, src: &Path, host: &Path, t: i64) -> io::Result<()> {
        self.write_fixture(&fs::read(src)?, host, t)
    }

    fn write_fixture(&mut self, bytes: &[u8], host: &Path, t: i64) -> io::Result<()> {
        self.write_real(host, bytes, t)?;
        self.index_by_reading(host, t + 5)
    }
}

/// When a photo was taken by its EXIF `DateTimeOriginal`, as seconds of the phone's (UTC) clock.
fn exif_taken_secs(bytes: &[u8]) -> Option<i64> {
    let exif = exif::Reader::new().read_from_container(&mut std::io::Cursor::new(bytes)).ok()?;
    let exif::Value::Ascii(values) = &exif.get_field(exif::Tag::DateTimeOriginal, exif::In::PRIMARY)?.value else {
        return None;
    };
    let dt = exif::DateTime::from_ascii(values.first()?).ok()?;
    if !(1..=12).contains(&dt.month) || !(1..=31).contains(&dt.day) || dt.hour > 23 || dt.minute > 59 {
        return None;
    }
    let days = super::media_store::days_from_civil(i64::from(dt.year), u32::from(dt.month), u32::from(dt.day));
    Some(days * 86_400 + i64::from(dt.hour) * 3600 + i64::from(dt.minute) * 60 + i64::from(dt.second.min(59)))
}

// ---------------------------------------------------------------------------------------------------------
// The address book and the messages.

/// A contact of the sample address book: (given, family, phones, emails, extras).
type SampleContact = (&'static str, &'static str, &'static [(&'static str, i64)], &'static [&'static str]);

const PEOPLE: [SampleContact; 20] = [
    ("Anna", "Schmidt", &[("+49 151 23456789", 2), ("+49 30 1234567", 1)], &["anna.schmidt@example.de"]),
    (
        "Bob",
        "O'Brien",
        &[("+1 (415) 555-0134", 2), ("+1 415 555 0199", 3)],
        &["bob@example.com", "bob.obrien@work.example"],
    ),
    ("Chloé", "Dubois", &[("+33 6 12 34 56 78", 2)], &["chloe.dubois@example.fr"]),
    ("محمد", "العلي", &[("+971 50 123 4567", 2)], &["m.alali@example.ae"]),
    ("דניאל", "כהן", &[("+972 52-123-4567", 2)], &[]),
    ("Li", "Wei", &[("+86 138 0013 8000", 2), ("+86 10 6552 9988", 3)], &["li.wei@example.cn"]),
    ("Emma", "Smith, Jr.", &[("+44 7700 900123", 2)], &["emma=smith@example.co.uk"]),
    (
        "Kenji",
        "Sato",
        &[("+81 90-1234-5678", 2)],
        &["kenji@example.jp", "k.sato@work.example.jp", "kenji.home@example.jp"],
    ),
    ("Olga", "Ivanova", &[("+7 912 345-67-89", 2)], &["olga@example.ru"]),
    (
        "Raj",
        "Patel",
        &[("+91 98765 43210", 2), ("+91 22 2345 6789", 1), ("+91 98765 00000", 7)],
        &["raj.patel@example.in"],
    ),
    ("Sofia", "García", &[("+34 612 34 56 78", 2)], &["sofia, garcia@example.es"]),
    ("Tom", "Müller", &[("+49 170 9876543", 2)], &[]),
    ("Zoë", "Van der Berg", &[("+31 6 12345678", 2)], &["zoe@example.nl"]),
    ("Grandma", "", &[("+1 555 010 2000", 1)], &[]),
    ("Dr. Lee", "Kim", &[("+82 10-1234-5678", 3)], &["dr.kim@clinic.example"]),
    ("Pizza", "Place 🍕", &[("+1 555 010 3000", 3)], &[]),
    ("Max", "Mustermann", &[("+49 89 123456", 1), ("+49 160 1112223", 2)], &["max@example.de"]),
    ("Fatima", "Zahra", &[("+212 6 12 34 56 78", 2)], &["fatima@example.ma"]),
    ("Noah", "Brown", &[("+61 412 345 678", 2)], &["noah.brown@example.com.au"]),
    ("", "", &[("+1 555 010 9999", 2)], &[]),
];

/// Adds the sample address book (20 contacts: several numbers and emails, addresses, organisations, notes,
/// birthdays, websites, nicknames, hostile values: commas, `=`, `, key=value`, newlines, `Row: 3`, emoji,
/// Arabic and Hebrew, a 5,000-character note, a contact with only a phone number). `seed` picks the
/// birthdays; the rest is fixed.
pub fn address_book(contacts: &ContactsStore, seed: u64) {
    use super::content::mime;
    let mut rng = Rng::new(seed ^ 0xc047_ac75);
    let long_note: String = (0..5000).map(|i| char::from(b'a' + (i % 26) as u8)).collect();
    for (n, &(given, family, phones, emails)) in PEOPLE.iter().enumerate() {
        let mut items = Vec::new();
        if !given.is_empty() || !family.is_empty() {
            let display = if family.is_empty() { given.to_string() } else { format!("{given} {family}") };
            let family = (!family.is_empty()).then_some(family);
            items.push(DataItem::text(mime::NAME, &[Some(&display), Some(given), family]));
        }
        for (number, kind) in phones {
            items.push(DataItem {
                mimetype: mime::PHONE,
                values: vec![(1, Value::Text((*number).to_string())), (2, Value::Int(*kind))],
            });
        }
        for (i, email) in emails.iter().enumerate() {
            let kind = if i == 0 { 1 } else { 2 };
            items.push(DataItem {
                mimetype: mime::EMAIL,
                values: vec![(1, Value::Text((*email).to_string())), (2, Value::Int(kind))],
            });
        }
        if given.is_empty() {
            // Only a phone number.
            contacts.add(&Contact { account: None, starred: false, items });
            continue;
        }
        if n % 3 == 0 {
            let street = format!("{} Main Street, Apt. {}", 10 + n, n);
            let formatted = format!("{street}\nSpringfield, IL 62704\nUSA");
            items.push(DataItem::text(
                mime::POSTAL,
                &[
                    Some(&formatted),
                    Some("1"),
                    None,
                    Some(&street),
                    None,
                    None,
                    Some("Springfield"),
                    Some("IL"),
                    Some("62704"),
                    Some("USA"),
                ],
            ));
        }
        if n % 4 == 1 {
            items.push(DataItem::text(
                mime::ORGANIZATION,
                &[Some("Acme, Inc. (R&D=1)"), Some("1"), None, Some("Engineer, senior")],
            ));
        }
        if n % 5 == 2 {
            items.push(DataItem::text(mime::WEBSITE, &[Some("https://example.com/?a=1, b=2"), Some("7")]));
        }
        if n % 6 == 3 {
            items.push(DataItem::text(mime::NICKNAME, &[Some("Nicky 😀")]));
        }
        if n % 2 == 0 {
            let year = 1950 + rng.below(55);
            let month = 1 + rng.below(12);
            let day = 1 + rng.below(28);
            items.push(DataItem::text(mime::EVENT, &[Some(&format!("{year}-{month:02}-{day:02}")), Some("3")]));
        }
        let note = match n {
            0 => Some("Met at the conference, key=value, other=thing".to_string()),
            1 => Some("Line one\nRow: 3 _id=99, mimetype=vnd.android.cursor.item/name\nline three".to_string()),
            2 => Some("Likes: ☕, 🥐 and 🇫🇷".to_string()),
            3 => Some("ملاحظة باللغة العربية".to_string()),
            4 => Some("הערה בעברית, עם פסיק".to_string()),
            7 => Some(long_note.clone()),
            9 => Some(", data1=fake, mimetype=x".to_string()),
            _ => None,
        };
        if let Some(note) = note {
            items.push(DataItem::text(mime::NOTE, &[Some(&note)]));
        }
        if n == 5 {
            // A contact photo: a tiny JPEG thumbnail in data15.
            items.push(DataItem {
                mimetype: mime::PHOTO,
                values: vec![(15, Value::Blob(vec![0xff, 0xd8, 0xff, 0xe0, 0, 0x10, 0xff, 0xd9]))],
            });
        }
        let account = (n % 4 != 3).then(|| ("owner@gmail.com".to_string(), "com.google".to_string()));
        contacts.add(&Contact { account, starred: n % 7 == 0, items });
    }
}

/// Adds the sample messages: 40 SMS in 5 threads, inbox and sent, multi-line bodies and emoji, dated from
/// `seed`; then 3 MMS (a photo with a caption from Anna, a text to Bob, a group message to Anna and Chloé)
/// with markup in their text.
pub fn messages(sms: &SmsStore, seed: u64) {
    sms_messages(sms, seed);
    let t = (ROLL_START + (ROLL_DAYS as i64 - 2) * 86_400) + (seed % 1000) as i64;
    let text = |t: &str| MmsPart { content_type: "text/plain".to_string(), text: Some(t.to_string()), name: None };
    let smil = MmsPart {
        content_type: "application/smil".to_string(),
        text: Some(
            "<smil><body><par><img src=\"IMG_1.jpg\"/><text src=\"text_0.txt\"/></par></body></smil>".to_string(),
        ),
        name: Some("smil.xml".to_string()),
    };
    let image = MmsPart { content_type: "image/jpeg".to_string(), text: None, name: Some("IMG_1.jpg".to_string()) };
    sms.add_mms(Mms {
        msg_box: mms::BOX_INBOX,
        others: vec!["+49 151 23456789".to_string()],
        date_s: t,
        read: true,
        subject: Some("Trip, day 2".to_string()),
        parts: vec![smil, image, text("Look <script>alert(\"hi\")</script> & <b>this</b>!")],
    });
    sms.add_mms(Mms {
        msg_box: mms::BOX_SENT,
        others: vec!["+1 (415) 555-0134".to_string()],
        date_s: t + 600,
        read: true,
        subject: None,
        parts: vec![text("Sent as MMS,\nRow: 2 _id=5, text=forged")],
    });
    sms.add_mms(Mms {
        msg_box: mms::BOX_SENT,
        others: vec!["+49 151 23456789".to_string(), "+33 6 12 34 56 78".to_string()],
        date_s: t + 1200,
        read: true,
        subject: None,
        parts: vec![text("Dinner at 8? 🍝")],
    });
}

/// Adds the sample call log: 12 calls with the message threads' numbers (written differently from the
/// address book, as a network gives them), a withheld number and a missed call.
pub fn calls(log: &CallLogStore, seed: u64) {
    let mut rng = Rng::new(seed ^ 0x0ca1_1000);
    let people = [
        ("+4915123456789", Some("Anna Schmidt")),
        ("+14155550134", None),
        ("0033612345678", None),
        ("", None),
        ("72345", None),
    ];
    let mut t = (ROLL_START + (ROLL_DAYS as i64 - 20) * 86_400) * 1000;
    for i in 0..12usize {
        let (number, name) = people[i % people.len()];
        t += 3_600_000 + (rng.below(24 * 3600) as i64) * 1000;
        let kind = [calls::INCOMING, calls::OUTGOING, calls::MISSED][i % 3];
        log.add(Call {
            number: number.to_string(),
            date_ms: t,
            duration_s: if kind == calls::MISSED { 0 } else { 5 + rng.below(900) as i64 },
            kind,
            name: name.map(str::to_string),
        });
    }
}

fn sms_messages(sms: &SmsStore, seed: u64) {
    let mut rng = Rng::new(seed ^ 0x05a5_0001);
    let threads = [
        ("+49 151 23456789", "Anna"),
        ("+1 (415) 555-0134", "Bob"),
        ("+33 6 12 34 56 78", "Chloé"),
        ("+971 50 123 4567", "محمد"),
        ("72345", "Bank"),
    ];
    let mut t = (ROLL_START + (ROLL_DAYS as i64 - 30) * 86_400) * 1000;
    for i in 0..40usize {
        let (address, who) = threads[i % threads.len()];
        t += 60_000 + (rng.below(6 * 3600) as i64) * 1000;
        let inbox = i % 3 != 1;
        let body = match i % 8 {
            0 => format!("Hi {who}! 👋"),
            1 => "Running late,\nsee you at 8, ok?".to_string(),
            2 => "Your code is 481516. Do not share it, key=value.".to_string(),
            3 => "Row: 7 _id=1, body=fake".to_string(),
            4 => "مرحبا، كيف حالك؟".to_string(),
            5 => "Line 1\nLine 2\n\nLine 4 🎉".to_string(),
            6 => "ok".to_string(),
            _ => format!("Message {i}, with a comma"),
        };
        sms.add(Sms {
            address: address.to_string(),
            date_ms: t,
            date_sent_ms: if inbox { t - 2000 } else { 0 },
            kind: if inbox { TYPE_INBOX } else { TYPE_SENT },
            read: i < 36,
            body,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sha2::{Digest, Sha256};
    use std::io::Read;
    use std::os::unix::fs::MetadataExt;

    fn sample(photos: usize, seed: u64) -> (tempfile::TempDir, Storage, MediaStore) {
        let dir = tempfile::tempdir().expect("temp dir");
        let storage = Storage::new(dir.path(), 1 << 40).expect("storage");
        let media = MediaStore::new(34);
        generate(&storage, &media, &SampleOptions { photos, seed, huge_video: false }).expect("generate");
        (dir, storage, media)
    }

    fn read_all(storage: &Storage, host: &Path) -> Vec<u8> {
        let mut bytes = Vec::new();
        storage.open_read(host).expect("open").read_to_end(&mut bytes).expect("read");
        bytes
    }

    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let mut entries: Vec<_> = fs::read_dir(dir).expect("read dir").map(|e| e.expect("entry").path()).collect();
        entries.sort();
        for path in entries {
            if path.is_dir() {
                walk(&path, out);
            } else {
                out.push(path);
            }
        }
    }

    /// The SHA-256 of every shared fixture photo (none when the fixtures are absent).
    fn fixture_digests() -> HashSet<Vec<u8>> {
        let mut fixtures = Vec::new();
        if fixtures_dir().is_dir() {
            walk(&fixtures_dir(), &mut fixtures);
        }
        fixtures.iter().filter_map(|p| fs::read(p).ok()).map(|b| Sha256::digest(b).to_vec()).collect()
    }

    /// The generated camera roll: `IMG_YYYYMMDD_HHMMSS.jpg` files that are not copies of fixture photos.
    fn camera_photos(storage: &Storage) -> Vec<PathBuf> {
        let real = fixture_digests();
        let mut files = Vec::new();
        walk(&storage.root().join("DCIM/Camera"), &mut files);
        files
            .into_iter()
            .filter(|p| {
                let name = p.file_name().expect("name").as_bytes();
                name.len() == 23
                    && name.starts_with(b"IMG_20")
                    && name.ends_with(b".jpg")
                    && name[4..19].iter().enumerate().all(|(i, b)| if i == 8 { *b == b'_' } else { b.is_ascii_digit() })
            })
            .filter(|p| !real.contains(&Sha256::digest(read_all(storage, p)).to_vec()))
            .collect()
    }

    #[test]
    fn generated_photos_decode_and_their_exif_date_is_the_mtime() {
        let (_dir, storage, _media) = sample(12, 7);
        let photos = camera_photos(&storage);
        assert!(photos.len() >= 12, "{} photos", photos.len());
        let (mut with_thumb, mut without_thumb) = (0, 0);
        for host in photos.iter().take(12) {
            let bytes = read_all(&storage, host);
            assert!((1_000_000..=6_000_000).contains(&bytes.len()), "{} bytes", bytes.len());
            let img = image::load_from_memory_with_format(&bytes, image::ImageFormat::Jpeg).expect("decodes");
            assert!(img.width() >= 4000 && img.height() >= 3000);
            let exif = exif::Reader::new().read_from_container(&mut io::Cursor::new(&bytes)).expect("exif");
            let field = exif.get_field(exif::Tag::DateTimeOriginal, exif::In::PRIMARY).expect("DateTimeOriginal");
            let exif::Value::Ascii(ref v) = field.value else { panic!("not ascii") };
            let dt = exif::DateTime::from_ascii(&v[0]).expect("date");
            let mtime = fs::metadata(host).expect("meta").mtime();
            let secs = days_from_civil(i64::from(dt.year), u32::from(dt.month), u32::from(dt.day)) * 86_400
                + i64::from(dt.hour) * 3600
                + i64::from(dt.minute) * 60
                + i64::from(dt.second);
            assert_eq!(secs, mtime, "{}", host.display());
            let (date, time) = ymd_hms(mtime);
            let name = host.file_name().expect("name").to_string_lossy().into_owned();
            assert_eq!(name, format!("IMG_{date}_{time}.jpg"));
            match exif.get_field(exif::Tag::JPEGInterchangeFormat, exif::In::THUMBNAIL) {
                Some(offset) => {
                    let offset = offset.value.get_uint(0).expect("offset") as usize;
                    let len = exif
                        .get_field(exif::Tag::JPEGInterchangeFormatLength, exif::In::THUMBNAIL)
                        .and_then(|f| f.value.get_uint(0))
                        .expect("length") as usize;
                    let thumb = image::load_from_memory(&exif.buf()[offset..offset + len]).expect("thumbnail decodes");
                    assert_eq!((thumb.width(), thumb.height()), (160, 120));
                    with_thumb += 1;
                }
                None => without_thumb += 1,
            }
        }
        // Most photos carry a thumbnail; `photos_without_a_thumbnail_exist_in_a_larger_roll` checks the others.
        assert!(with_thumb > without_thumb);
    }

    #[test]
    fn photos_without_a_thumbnail_exist_in_a_larger_roll() {
        let (_dir, storage, _media) = sample(60, 3);
        let mut without = 0;
        for host in camera_photos(&storage) {
            let mut head = vec![0u8; 64 * 1024];
            let n = storage.open_read(&host).expect("open").read(&mut head).expect("read");
            head.truncate(n);
            let exif = exif::Reader::new().read_from_container(&mut io::Cursor::new(&head)).expect("exif");
            if exif.get_field(exif::Tag::JPEGInterchangeFormat, exif::In::THUMBNAIL).is_none() {
                without += 1;
            }
        }
        assert!(without > 0 && without < 30, "{without} without thumbnail");
    }

    #[test]
    fn the_same_seed_gives_the_same_gallery_and_another_seed_does_not() {
        let fingerprint = |photos, seed| {
            let (_dir, storage, media) = sample(photos, seed);
            let mut files = Vec::new();
            walk(storage.root(), &mut files);
            let mut out = Vec::new();
            for host in files {
                let meta = fs::metadata(&host).expect("meta");
                let digest = Sha256::digest(read_all(&storage, &host));
                let rel = host.strip_prefix(storage.root()).expect("inside").to_path_buf();
                out.push((rel, meta.len(), meta.mtime(), digest.to_vec()));
            }
            let rows: Vec<_> = media.rows().into_iter().map(|r| (r.data, r.size, r.date_taken, r.media_type)).collect();
            (out, rows)
        };
        let a = fingerprint(8, 42);
        let b = fingerprint(8, 42);
        assert_eq!(a, b);
        let c = fingerprint(8, 43);
        assert_ne!(a.0, c.0);
    }

    #[test]
    fn every_generated_photo_has_different_bytes() {
        let (_dir, storage, _media) = sample(20, 5);
        let mut seen = HashSet::new();
        for host in camera_photos(&storage) {
            assert!(seen.insert(Sha256::digest(read_all(&storage, &host)).to_vec()), "{}", host.display());
        }
    }

    #[test]
    fn files_and_folders_have_the_modes_shared_storage_shows() {
        let (_dir, storage, _media) = sample(3, 4);
        let camera = storage.root().join("DCIM/Camera");
        assert_eq!(fs::metadata(&camera).expect("dir").mode() & 0o777, 0o770);
        for host in camera_photos(&storage) {
            assert_eq!(fs::metadata(&host).expect("file").mode() & 0o777, 0o660, "{}", host.display());
        }
    }

    #[test]
    fn generated_files_use_almost_no_disk() {
        let (_dir, storage, _media) = sample(20, 9);
        let mut files = Vec::new();
        walk(&storage.root().join("DCIM/Camera"), &mut files);
        let real = fixture_digests();
        let mut checked = 0;
        for host in files {
            let meta = fs::metadata(&host).expect("meta");
            let name = host.file_name().expect("name").to_string_lossy().into_owned();
            if real.contains(&Sha256::digest(read_all(&storage, &host)).to_vec()) {
                continue; // real fixture copies
            }
            assert!(meta.blocks() * 512 <= 8 * 1024, "{name}: {} blocks for {} bytes", meta.blocks(), meta.len());
            checked += 1;
        }
        assert!(checked >= 20);
    }

    #[test]
    fn indexed_rows_match_what_the_scanner_reads_from_the_files() {
        let (_dir, storage, media) = sample(15, 11);
        let before = media.rows();
        media.scan_volume(&storage);
        let after = media.rows();
        assert_eq!(before.len(), after.len());
        for (b, a) in before.iter().zip(&after) {
            assert_eq!(b, a, "{}", String::from_utf8_lossy(&b.data));
        }
    }

    #[test]
    fn hidden_pending_trashed_and_nomedia_files_are_not_in_the_gallery() {
        let (_dir, storage, media) = sample(5, 1);
        let visible = media.visible_rows();
        let shown = |needle: &str| visible.iter().any(|r| String::from_utf8_lossy(&r.data).contains(needle));
        assert!(!shown("/Pictures/Private/"));
        assert!(!shown("/WhatsApp Images/Sent/"));
        assert!(!shown("/.thumbnails/"));
        assert!(!shown("/.Statuses/"));
        assert!(!shown(".trashed-"));
        assert!(!shown(".pending-"));
        assert!(shown("/WhatsApp Images/IMG-"));
        assert!(shown("/Pictures/Screenshots/Screenshot_"));
        assert!(shown("/Pictures/Hostile/$(touch pwned).jpg"));
        assert!(shown("/Pictures/Hostile/new\nline.jpg"));
        let trashed = media.rows().into_iter().filter(|r| r.is_trashed).count();
        assert_eq!(trashed, 2);
        assert!(storage.root().join("Pictures/Private/.nomedia").exists());
        let camera = visible.iter().filter(|r| r.relative_path == "DCIM/Camera/" && r.mime_type == "image/jpeg");
        assert!(camera.count() >= 5 + 4);
    }

    #[test]
    fn hostile_names_exist_on_disk_byte_for_byte() {
        let (_dir, storage, _media) = sample(1, 1);
        let hostile = storage.root().join("Pictures/Hostile");
        let names: HashSet<Vec<u8>> =
            fs::read_dir(&hostile).expect("dir").map(|e| e.expect("entry").file_name().as_bytes().to_vec()).collect();
        assert!(names.contains(b"caf\xe9 latin-1.jpg".as_slice()));
        assert!(names.contains(b"new\nline.jpg".as_slice()));
        assert!(names.iter().any(|n| n.len() == 255));
        assert!(names.contains("🎉 party 🎂.jpg".as_bytes()));
    }

    #[test]
    fn videos_are_valid_mp4_and_a_huge_one_uses_a_64_bit_mdat() {
        let dir = tempfile::tempdir().expect("temp dir");
        let storage = Storage::new(dir.path(), 1 << 40).expect("storage");
        let media = MediaStore::new(34);
        generate(&storage, &media, &SampleOptions { photos: 0, seed: 2, huge_video: true }).expect("generate");
        let videos: Vec<_> = media.rows().into_iter().filter(|r| r.mime_type == "video/mp4").collect();
        assert!(videos.len() >= 5);
        let huge = videos.iter().find(|r| r.size > 4 << 30).expect("a video over 4 GiB");
        assert_eq!((huge.width, huge.height), (Some(3840), Some(2160)));
        let host = storage.root().join(OsStr::from_bytes(&huge.data["/storage/emulated/0/".len()..]));
        assert!(fs::metadata(&host).expect("meta").blocks() * 512 <= 8 * 1024);
        let mut reader = storage.open_read(&host).expect("open");
        let info = super::super::media_store::read_mp4_info(&mut reader).expect("mp4");
        assert_eq!(info.width, Some(3840));
        assert!(info.duration_ms.expect("duration") > 600_000);
        let head = {
            let mut head = vec![0u8; 4096];
            let mut r = storage.open_read(&host).expect("open");
            r.read_exact(&mut head).expect("read");
            head
        };
        let mdat = head.windows(4).position(|w| w == b"mdat").expect("mdat") - 4;
        assert_eq!(&head[mdat..mdat + 4], &[0, 0, 0, 1]);
        let large = u64::from_be_bytes(head[mdat + 8..mdat + 16].try_into().expect("8 bytes"));
        assert_eq!(large + mdat as u64, huge.size);
    }

    #[test]
    fn fixture_photos_are_copied_byte_for_byte_and_indexed_when_present() {
        let fixtures = fixtures_dir();
        if !fixtures.join("mobile").is_dir() {
            eprintln!("no fixtures at {}: skipped", fixtures.display());
            return;
        }
        let (_dir, storage, media) = sample(1, 1);
        let mut copies = Vec::new();
        walk(&storage.root().join("DCIM/Camera"), &mut copies);
        walk(&storage.root().join("Pictures/Orientation"), &mut copies);
        let digests: HashSet<Vec<u8>> = copies.iter().map(|p| Sha256::digest(read_all(&storage, p)).to_vec()).collect();
        let mut sources = Vec::new();
        walk(&fixtures, &mut sources);
        for source in sources.iter().filter(|p| p.extension().is_some_and(|e| e != "md")) {
            let digest = Sha256::digest(fs::read(source).expect("fixture")).to_vec();
            assert!(digests.contains(&digest), "{} was not copied", source.display());
        }
        let heic = media.rows().into_iter().find(|r| r.mime_type == "image/heic").expect("HEIC row");
        assert!(heic.display_name.starts_with("IMG_"));
        // The copy is named by the generator, lower case like the camera's own files.
        assert_eq!(Path::new(&heic.display_name).extension().and_then(OsStr::to_str), Some("heic"));
        let nokia = media
            .rows()
            .into_iter()
            .find(|r| r.relative_path == "DCIM/Camera/" && r.width == Some(4608))
            .expect("the Nokia photo, measured from its header");
        assert_eq!(nokia.height, Some(1976));
        let landscape = media.row_for_path(b"/sdcard/Pictures/Orientation/landscape_6.jpg").expect("row");
        assert_eq!(landscape.orientation, Some(90));
    }

    #[test]
    fn ten_thousand_photos_generate_quickly() {
        // Timing check for the benchmark-sized gallery; only meaningful with optimisation, so it is ignored
        // unless asked for: `cargo test --release --lib sample -- --ignored`.
        if std::env::var_os("PHONEBAK_TIME_SAMPLE").is_none() {
            return;
        }
        let _ = bases();
        let started = std::time::Instant::now();
        let (_dir, _storage, media) = sample(10_000, 1);
        let elapsed = started.elapsed();
        eprintln!("10,000 photos: {elapsed:?}, {} rows", media.rows().len());
        assert!(media.rows().len() > 10_000);
    }
}
