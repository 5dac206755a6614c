//! Video thumbnails: a frame of the video, made from as few of its bytes as the container allows.
//!
//! MP4/MOV/3GP (ISO base media files, what phones record): the top-level boxes say where the `moov` index is,
//! after `ftyp` at the start or after the media data at the end; the index says where the video track's first
//! keyframe lies, how long the video is and how big its picture is shown. Only those ranges are read: the head,
//! the index (one `tail -c` when it is at the end), the keyframe. Other containers (Matroska/WebM) get their
//! first [`STREAM_BYTES`], which hold their header and first keyframe. [`VideoJob`] asks for the ranges step by
//! step, so that a worker reads those of a screenful of videos in one shell command per step.
//!
//! The bytes read are laid at their offsets in a sparse temporary file as long as the video (the rest reads as
//! zeros and is never decoded), and the `ffmpeg` program (Debian's) decodes the first keyframe from that file,
//! scaled down, turned as the track's display matrix says. Without `ffmpeg`, or for a video it cannot read, the
//! tile keeps its "Video" placeholder, with the length when the index gave it.

use super::{Marks, ThumbError};
use image::RgbaImage;
use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// How much of a Matroska/WebM (or unknown) video is read: its header, tracks and first cluster.
pub const STREAM_BYTES: u64 = 1536 * 1024;
/// Most bytes read from the phone for one video's frame (index and keyframe); beyond, the placeholder stays.
pub const MAX_FETCH: u64 = 4 << 20;
/// Largest index (`moov`) read; a two-hour video's is a few MB.
const MAX_INDEX: u64 = 3 << 20;
/// Longest an `ffmpeg` run may take before it is stopped.
const FFMPEG_TIMEOUT: Duration = Duration::from_secs(20);

/// A byte range of a file: `(offset, len)`.
pub type Span = (u64, u64);

/// What a [`VideoJob`] wants next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// These ranges of the file.
    Read(Vec<Span>),
    /// Everything needed is here: [`VideoJob::decode`].
    Decode,
    /// No frame can be made from a part of this file (too large an index, a keyframe beyond
    /// [`MAX_FETCH`], a damaged container): the placeholder.
    GiveUp,
}

/// What the index of an MP4 says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Index {
    /// The video's length in milliseconds.
    pub duration_ms: Option<u64>,
    /// Where the video track's first keyframe lies.
    pub keyframe: Option<Span>,
    /// The picture's size as shown (after the track's rotation).
    pub dimensions: Option<(u32, u32)>,
    /// A fragmented MP4 (`mvex`): its samples are in fragments after the index, not in its sample table.
    pub fragmented: bool,
}

/// The ranges needed to make a frame of one video, gathered step by step.
#[derive(Debug)]
pub struct VideoJob {
    size: u64,
    chunks: Vec<(u64, Vec<u8>)>,
    fetched: u64,
    index: Option<Index>,
    /// A Matroska/WebM or unknown container: decoded from its first bytes alone.
    stream: bool,
}

impl VideoJob {
    /// A job for a video of `size` bytes.
    #[must_use]
    pub fn new(size: u64) -> Self {
        Self { size, chunks: Vec::new(), fetched: 0, index: None, stream: false }
    }

    /// Takes the bytes read at `offset` (what a [`Step::Read`] asked for).
    pub fn add(&mut self, offset: u64, bytes: Vec<u8>) {
        self.fetched += bytes.len() as u64;
        if !bytes.is_empty() {
            self.chunks.push((offset, bytes));
        }
    }

    /// Bytes taken so far.
    #[must_use]
    pub fn fetched(&self) -> u64 {
        self.fetched
    }

    /// What the index said, once read.
    #[must_use]
    pub fn index(&self) -> Option<Index> {
        self.index
    }

    /// The marks of this video's tile: its length when known (an MP4's index, a Matroska/WebM's `Info`).
    #[must_use]
    pub fn marks(&self) -> Marks {
        let matroska = || self.chunks.iter().find(|(at, _)| *at == 0).and_then(|(_, head)| matroska_duration(head));
        Marks { duration_ms: self.index.and_then(|i| i.duration_ms).or_else(matroska), motion: false }
    }

    /// `len` bytes at `offset`, when they were read.
    fn bytes(&self, offset: u64, len: u64) -> Option<&[u8]> {
        self.chunks.iter().find_map(|(at, bytes)| {
            let start = usize::try_from(offset.checked_sub(*at)?).ok()?;
            let end = start.checked_add(usize::try_from(len).ok()?)?;
            bytes.get(start..end)
        })
    }

    /// What is needed next.
    pub fn step(&mut self) -> Step {
        let step = self.next_step();
        match &step {
            Step::Read(spans) if self.fetched + spans.iter().map(|s| s.1).sum::<u64>() > MAX_FETCH => Step::GiveUp,
            _ => step,
        }
    }

    fn next_step(&mut self) -> Step {
        if self.stream {
            let want = self.size.min(STREAM_BYTES);
            return if self.bytes(0, want).is_some() { Step::Decode } else { Step::Read(vec![(0, want)]) };
        }
        let Some(first) = self.bytes(0, 8) else {
            return Step::Read(vec![(0, self.size.min(super::HEAD_BYTES as u64))]);
        };
        if !matches!(&first[4..8], b"ftyp" | b"moov" | b"mdat" | b"free" | b"wide" | b"skip") {
            // Not an ISO media file: Matroska/WebM, AVI... its head holds what a decoder needs first.
            self.stream = true;
            return self.next_step();
        }
        if let Some(index) = self.index {
            return match index.keyframe {
                Some((at, len)) if self.bytes(at, len).is_some() => Step::Decode,
                Some((at, len)) if at.checked_add(len).is_some_and(|end| end <= self.size) => {
                    Step::Read(vec![(at, len)])
                }
                // A fragmented MP4 has its first fragment right after its index: its first bytes, as for a stream.
                None if index.fragmented => {
                    self.stream = true;
                    self.next_step()
                }
                // No video samples (a sound recording, an empty or damaged table).
                _ => Step::GiveUp,
            };
        }
        // The top-level boxes, as far as they were read, up to `moov`.
        let mut at = 0u64;
        while at < self.size {
            let Some(header) = self.bytes(at, 8.min(self.size - at)) else {
                let rest = self.size - at;
                // Past the media data: the index is (nearly always) the last box, read to the end at once.
                return Step::Read(vec![if rest <= MAX_INDEX { (at, rest) } else { (at, 16.min(rest)) }]);
            };
            if header.len() < 8 {
                return Step::GiveUp;
            }
            let kind: [u8; 4] = [header[4], header[5], header[6], header[7]];
            let mut len = u64::from(u32::from_be_bytes([header[0], header[1], header[2], header[3]]));
            if len == 1 {
                let Some(large) = self.bytes(at + 8, 8) else { return Step::Read(vec![(at, 16)]) };
                len = u64::from_be_bytes(large.try_into().unwrap_or_default());
            } else if len == 0 {
                len = self.size - at;
            }
            if len < 8 || at.checked_add(len).is_none_or(|end| end > self.size) {
                return Step::GiveUp;
            }
            if &kind == b"moov" {
                if len > MAX_INDEX {
                    return Step::GiveUp;
                }
                let Some(moov) = self.bytes(at, len) else { return Step::Read(vec![(at, len)]) };
                let index = parse_moov(&moov[8..]);
                self.index = Some(index);
                return self.next_step();
            }
            at += len;
        }
        Step::GiveUp
    }

    /// Decodes the first keyframe from the bytes read, at most `max` pixels on the longest side, upright.
    ///
    /// # Errors
    /// When `ffmpeg` is missing or cannot make a picture of these bytes.
    pub fn decode(&self, max: u32) -> Result<RgbaImage, ThumbError> {
        let bad = |what: &str, e: &dyn std::fmt::Display| ThumbError::Undecodable(format!("{what}: {e}"));
        let file =
            tempfile::Builder::new().prefix("phonebak-video-").tempfile().map_err(|e| bad("temporary file", &e))?;
        // A stream is cut where its read bytes end (the decoder then flushes its first picture); an MP4 keeps its
        // length, for its index's offsets.
        let len = if self.stream {
            self.chunks.iter().map(|(at, b)| at + b.len() as u64).max().unwrap_or(0)
        } else {
            self.size
        };
        file.as_file().set_len(len).map_err(|e| bad("temporary file", &e))?;
        for (at, bytes) in &self.chunks {
            std::os::unix::fs::FileExt::write_all_at(file.as_file(), bytes, *at)
                .map_err(|e| bad("temporary file", &e))?;
        }
        first_frame(file.path(), max)
    }
}

/// The first keyframe of the video file at `path`, decoded by `ffmpeg`, at most `max` pixels on its longest side,
/// turned as its container says.
///
/// # Errors
/// When `ffmpeg` is missing or makes no picture.
pub fn first_frame(path: &std::path::Path, max: u32) -> Result<RgbaImage, ThumbError> {
    let scale = format!("scale=w='min({max},iw)':h='min({max},ih)':force_original_aspect_ratio=decrease");
    let mut command = Command::new(ffmpeg_program());
    command
        .args(["-hide_banner", "-loglevel", "fatal", "-nostdin", "-threads", "1"])
        .args(["-skip_frame", "nokey", "-an", "-sn", "-dn", "-i"])
        .arg(path)
        .args(["-frames:v", "1", "-vf", &scale, "-f", "image2pipe", "-c:v", "ppm", "pipe:1"]);
    let out = run(&mut command)?;
    parse_ppm(&out).ok_or_else(|| ThumbError::Undecodable("ffmpeg made no picture of this video".to_string()))
}

/// The `ffmpeg` program: `PHONEBAK_FFMPEG`, else `ffmpeg` on the PATH.
fn ffmpeg_program() -> std::ffi::OsString {
    std::env::var_os("PHONEBAK_FFMPEG").unwrap_or_else(|| "ffmpeg".into())
}

/// Runs `command`, its standard output taken whole; stopped after [`FFMPEG_TIMEOUT`].
fn run(command: &mut Command) -> Result<Vec<u8>, ThumbError> {
    let mut child = command.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::null()).spawn().map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            ThumbError::NoDecoder("pictures of videos need ffmpeg: sudo apt install ffmpeg".to_string())
        } else {
            ThumbError::Undecodable(format!("ffmpeg did not start: {e}"))
        }
    })?;
    let mut stdout = child.stdout.take().ok_or_else(|| ThumbError::Undecodable("ffmpeg's output".to_string()))?;
    let reader = std::thread::Builder::new()
        .name("ffmpeg-output".to_string())
        .spawn(move || {
            let mut out = Vec::new();
            let _ = stdout.read_to_end(&mut out);
            out
        })
        .map_err(|e| ThumbError::Undecodable(e.to_string()))?;
    let started = Instant::now();
    loop {
        match child.try_wait() {
            Ok(Some(_)) => break,
            Ok(None) if started.elapsed() < FFMPEG_TIMEOUT => std::thread::sleep(Duration::from_millis(5)),
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                break;
            }
        }
    }
    // The status is not looked at: ffmpeg complains of the zeros after the keyframe, and only the picture counts.
    reader.join().map_err(|_| ThumbError::Undecodable("ffmpeg's output".to_string()))
}

/// A binary PPM (P6, 8 bits) as an RGBA image.
fn parse_ppm(bytes: &[u8]) -> Option<RgbaImage> {
    let mut fields = Vec::new();
    let mut at = 0;
    while fields.len() < 4 {
        while bytes.get(at)?.is_ascii_whitespace() {
            at += 1;
        }
        let start = at;
        while !bytes.get(at)?.is_ascii_whitespace() {
            at += 1;
        }
        fields.push(std::str::from_utf8(&bytes[start..at]).ok()?);
    }
    let data = bytes.get(at + 1..)?;
    let (width, height): (u32, u32) = (fields[1].parse().ok()?, fields[2].parse().ok()?);
    if fields[0] != "P6" || fields[3] != "255" || width == 0 || height == 0 {
        return None;
    }
    let rgb = data.get(..(width as usize).checked_mul(height as usize)?.checked_mul(3)?)?;
    let rgb = image::RgbImage::from_raw(width, height, rgb.to_vec())?;
    Some(image::DynamicImage::ImageRgb8(rgb).into_rgba8())
}

/// An EBML variable-length number at the start of `data`: (value, its length); `keep_marker` for element IDs,
/// which are written with it. An all-ones size (unknown) is `u64::MAX`.
fn ebml_number(data: &[u8], keep_marker: bool) -> Option<(u64, usize)> {
    let first = *data.first()?;
    let len = first.leading_zeros() as usize + 1;
    if len > 8 {
        return None;
    }
    let bytes = data.get(..len)?;
    let mut value = u64::from(if keep_marker { first } else { first & 0xFFu8.checked_shr(len as u32).unwrap_or(0) });
    for &b in &bytes[1..] {
        value = value << 8 | u64::from(b);
    }
    let all_ones =
        bytes.iter().enumerate().all(|(i, &b)| if i == 0 { b | (0xFF << (8 - len)) == 0xFF } else { b == 0xFF });
    Some((if !keep_marker && all_ones { u64::MAX } else { value }, len))
}

/// The length of a Matroska/WebM video from its `Segment`'s `Info` (`Duration` × `TimestampScale`), when
/// `head` holds it.
fn matroska_duration(head: &[u8]) -> Option<u64> {
    const EBML: u64 = 0x1A45_DFA3;
    const SEGMENT: u64 = 0x1853_8067;
    const INFO: u64 = 0x1549_A966;
    const SCALE: u64 = 0x2A_D7B1;
    const DURATION: u64 = 0x4489;
    // Elements of `data`: (id, body), a body of unknown size running to the end.
    let elements = |data: &[u8]| -> Vec<(u64, std::ops::Range<usize>)> {
        let mut out = Vec::new();
        let mut at = 0;
        while let Some((id, id_len)) = data.get(at..).and_then(|d| ebml_number(d, true)) {
            let Some((size, size_len)) = data.get(at + id_len..).and_then(|d| ebml_number(d, false)) else { break };
            let start = at + id_len + size_len;
            let end =
                usize::try_from(size).ok().and_then(|s| start.checked_add(s)).map_or(data.len(), |e| e.min(data.len()));
            out.push((id, start..end));
            if end <= at {
                break;
            }
            at = end;
        }
        out
    };
    let top = elements(head);
    if top.first()?.0 != EBML {
        return None;
    }
    let segment = top.iter().find(|(id, _)| *id == SEGMENT)?.1.clone();
    let segment = &head[segment];
    let info = elements(segment).into_iter().find(|(id, _)| *id == INFO)?.1;
    let info = &segment[info];
    let fields = elements(info);
    let scale = fields.iter().find(|(id, _)| *id == SCALE).map_or(Some(1_000_000), |(_, r)| {
        info.get(r.clone()).filter(|b| b.len() <= 8).map(|b| b.iter().fold(0u64, |v, &x| v << 8 | u64::from(x)))
    })?;
    let duration = fields.iter().find(|(id, _)| *id == DURATION)?.1.clone();
    let ticks = match info.get(duration)? {
        b if b.len() == 4 => f64::from(f32::from_be_bytes(b.try_into().ok()?)),
        b if b.len() == 8 => f64::from_be_bytes(b.try_into().ok()?),
        _ => return None,
    };
    let ms = ticks * scale as f64 / 1e6;
    (ms.is_finite() && (0.0..1e12).contains(&ms)).then(|| ms.round() as u64)
}

/// The boxes inside `data`: `(type, body)`.
fn boxes(data: &[u8]) -> impl Iterator<Item = ([u8; 4], &[u8])> {
    let mut rest = data;
    std::iter::from_fn(move || {
        if rest.len() < 8 {
            return None;
        }
        let kind = [rest[4], rest[5], rest[6], rest[7]];
        let (len, header) = match u32::from_be_bytes([rest[0], rest[1], rest[2], rest[3]]) {
            0 => (rest.len(), 8),
            1 => (usize::try_from(u64::from_be_bytes(rest.get(8..16)?.try_into().ok()?)).ok()?, 16),
            n => (n as usize, 8),
        };
        if len < header || len > rest.len() {
            return None;
        }
        let body = &rest[header..len];
        rest = &rest[len..];
        Some((kind, body))
    })
}

/// The first box of type `kind` in `data`.
fn child(data: &[u8], kind: [u8; 4]) -> Option<&[u8]> {
    boxes(data).find(|(k, _)| *k == kind).map(|(_, body)| body)
}

fn be32(data: &[u8], at: usize) -> Option<u32> {
    data.get(at..at + 4).map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
}

fn be64(data: &[u8], at: usize) -> Option<u64> {
    data.get(at..at + 8).and_then(|b| b.try_into().ok()).map(u64::from_be_bytes)
}

/// A duration in a time scale, in milliseconds.
fn millis(duration: u64, timescale: u32) -> Option<u64> {
    (timescale > 0 && duration != u64::MAX && duration != u64::from(u32::MAX))
        .then(|| (u128::from(duration) * 1000 / u128::from(timescale)) as u64)
}

/// `(timescale, duration)` of a `mvhd` or `mdhd` body (version 0 or 1).
fn header_times(body: &[u8]) -> Option<(u32, u64)> {
    if body.first()? == &1 {
        Some((be32(body, 20)?, be64(body, 24)?))
    } else {
        Some((be32(body, 12)?, u64::from(be32(body, 16)?)))
    }
}

/// What the body of a `moov` box says: the length, and the first keyframe of its first video track.
#[must_use]
pub fn parse_moov(moov: &[u8]) -> Index {
    let movie = child(moov, *b"mvhd").and_then(header_times).and_then(|(scale, d)| millis(d, scale));
    let fragmented = child(moov, *b"mvex").is_some();
    let mut index = Index { duration_ms: movie, keyframe: None, dimensions: None, fragmented };
    for (kind, trak) in boxes(moov) {
        if &kind != b"trak" {
            continue;
        }
        let Some(mdia) = child(trak, *b"mdia") else { continue };
        if child(mdia, *b"hdlr").and_then(|h| h.get(8..12)) != Some(b"vide") {
            continue;
        }
        if index.duration_ms.is_none() {
            index.duration_ms = child(mdia, *b"mdhd").and_then(header_times).and_then(|(scale, d)| millis(d, scale));
        }
        index.dimensions = child(trak, *b"tkhd").and_then(shown_size);
        let stbl = child(mdia, *b"minf").and_then(|m| child(m, *b"stbl"));
        index.keyframe = stbl.and_then(first_keyframe);
        break;
    }
    index
}

/// The size a `tkhd` says the picture is shown at: its width and height, swapped when its matrix turns it a
/// quarter.
fn shown_size(tkhd: &[u8]) -> Option<(u32, u32)> {
    let at = if tkhd.first()? == &1 { 4 + 8 + 8 + 4 + 4 + 8 } else { 4 + 4 + 4 + 4 + 4 + 4 };
    let matrix = at + 8 + 2 + 2 + 2 + 2;
    let (a, b) = (be32(tkhd, matrix)? as i32, be32(tkhd, matrix + 4)? as i32);
    let (width, height) = (be32(tkhd, matrix + 36)? >> 16, be32(tkhd, matrix + 40)? >> 16);
    if width == 0 || height == 0 {
        return None;
    }
    Some(if a == 0 && b != 0 { (height, width) } else { (width, height) })
}

/// Where the first keyframe of a track lies, from its sample table (`stss`, `stsz`, `stsc`, `stco`/`co64`).
fn first_keyframe(stbl: &[u8]) -> Option<Span> {
    // The first sync sample (1-based); without `stss` every sample is one.
    let sample = match child(stbl, *b"stss") {
        Some(stss) => {
            if be32(stss, 4)? == 0 {
                return None;
            }
            be32(stss, 8)?
        }
        None => 1,
    };
    let sample = u64::from(sample.max(1));
    let stsz = child(stbl, *b"stsz")?;
    let (fixed, count) = (be32(stsz, 4)?, u64::from(be32(stsz, 8)?));
    if sample > count {
        return None;
    }
    let size_of = |n: u64| -> Option<u64> {
        if fixed != 0 {
            Some(u64::from(fixed))
        } else {
            be32(stsz, 12 + 4 * usize::try_from(n - 1).ok()?).map(u64::from)
        }
    };
    let chunks_of = child(stbl, *b"stsc")?;
    let runs = be32(chunks_of, 4)? as usize;
    let chunk_offset = |chunk: u64| -> Option<u64> {
        let i = usize::try_from(chunk - 1).ok()?;
        if let Some(stco) = child(stbl, *b"stco") {
            (u64::from(be32(stco, 4)?) >= chunk).then_some(())?;
            be32(stco, 8 + 4 * i).map(u64::from)
        } else {
            let co64 = child(stbl, *b"co64")?;
            (u64::from(be32(co64, 4)?) >= chunk).then_some(())?;
            be64(co64, 8 + 8 * i)
        }
    };
    // Walk the runs of chunks to the one holding `sample`.
    let mut first_sample = 1u64;
    for run in 0..runs {
        let entry = 8 + 12 * run;
        let (first_chunk, per_chunk) = (u64::from(be32(chunks_of, entry)?), u64::from(be32(chunks_of, entry + 4)?));
        let next_chunk = if run + 1 < runs { u64::from(be32(chunks_of, entry + 12)?) } else { u64::MAX };
        if first_chunk == 0 || per_chunk == 0 || next_chunk <= first_chunk {
            return None;
        }
        let chunks = next_chunk - first_chunk;
        let samples = chunks.saturating_mul(per_chunk);
        if sample < first_sample.saturating_add(samples) {
            let into = sample - first_sample;
            let chunk = first_chunk + into / per_chunk;
            let first_in_chunk = sample - into % per_chunk;
            let mut offset = chunk_offset(chunk)?;
            for n in first_in_chunk..sample {
                offset = offset.checked_add(size_of(n)?)?;
            }
            return Some((offset, size_of(sample)?));
        }
        first_sample = first_sample.saturating_add(samples);
    }
    None
}

/// A frame of a video read through `read` (which returns the bytes of each span asked for, or `None`), at
/// most `max` pixels: the picture (or why none) and what the index said.
pub fn frame(
    size: u64,
    max: u32,
    mut read: impl FnMut(&[Span]) -> Option<Vec<Vec<u8>>>,
) -> (Result<RgbaImage, ThumbError>, Option<Index>) {
    let mut job = VideoJob::new(size);
    for _ in 0..6 {
        match job.step() {
            Step::Read(spans) => match read(&spans) {
                Some(parts) => {
                    for (&(at, _), bytes) in spans.iter().zip(parts) {
                        job.add(at, bytes);
                    }
                }
                None => return (Err(ThumbError::Undecodable("the video could not be read".to_string())), job.index()),
            },
            Step::Decode => return (job.decode(max), job.index()),
            Step::GiveUp => break,
        }
    }
    (Err(ThumbError::Undecodable("no frame of this video can be read from a part of it".to_string())), job.index())
}

/// A frame of a whole video file held in memory (a backup's file, a test's).
pub fn from_bytes(bytes: &[u8], max: u32) -> (Result<RgbaImage, ThumbError>, Option<Index>) {
    frame(bytes.len() as u64, max, |spans| {
        spans
            .iter()
            .map(|&(at, len)| {
                let start = usize::try_from(at).ok()?;
                bytes.get(start..start.checked_add(usize::try_from(len).ok()?)?).map(<[u8]>::to_vec)
            })
            .collect()
    })
}

#[cfg(test)]
#[path = "video_tests.rs"]
pub(crate) mod tests;
