//! Thumbnails of a phone's photos, made the cheap way first (engine side: no egui).
//!
//! Most camera JPEGs carry a small JPEG of themselves in their EXIF block (IFD1, about 160×120), within the first
//! 64 KiB of the file. [`read_heads`] reads the start of many photos with one shell command, and
//! [`from_head`] turns such a head into an upright thumbnail without touching the rest of the file. Only when a
//! photo has no embedded thumbnail is the whole file needed: [`from_file`] decodes a JPEG downscaled in the
//! decoder (the DCT scales to 1/2, 1/4 or 1/8 on decode, so a 12 MP photo never exists at full size in memory),
//! and a PNG (screenshots) decoded and scaled. HEIC/HEIF and AVIF photos go through libheif ([`heif`]): their
//! own thumbnail item, usually within the same head, else the primary image decoded and scaled. Videos ([`video`])
//! get a frame decoded by the `ffmpeg` program from the few ranges their container says are needed, and their
//! length; a video without a frame (and a HEIC libheif cannot read) gets a [`Thumbnail::Placeholder`] saying what
//! it is. EXIF orientation is applied to every thumbnail, embedded or decoded. The same head says when a JPEG
//! was taken ([`taken`]: EXIF `DateTimeOriginal`), which the grid groups by.

pub mod dng;
mod heads;
pub mod heif;
pub mod motion;
mod service;
pub mod video;

pub use heads::{HEAD_BYTES, read_heads, read_prefixes, read_ranges};
pub use service::{
    ThumbKey, ThumbResult, ThumbnailService, cache_path, cache_size, prune_cache, read_local, video_preview,
};

use jiff::civil::DateTime;

use image::{DynamicImage, RgbaImage, metadata::Orientation};
use std::io::Cursor;

/// The longest side of a thumbnail, in pixels.
pub const THUMB_SIZE: u32 = 256;

/// A thumbnail, or what to show instead.
#[derive(Debug, Clone, PartialEq)]
pub enum Thumbnail {
    /// An upright image, at most [`THUMB_SIZE`] on its longest side.
    Image(RgbaImage),
    /// No picture can be made here (a HEIC photo, a video): show the kind.
    Placeholder {
        /// What the file is, for people ("HEIC photo", "Video").
        kind: &'static str,
    },
}

/// What a tile shows beside its picture: a video's length, a motion photo's mark.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Marks {
    /// A video's length in milliseconds, when its container says.
    pub duration_ms: Option<u64>,
    /// A motion photo (a still with a short video inside the same file).
    pub motion: bool,
}

impl Marks {
    /// The words for the disk cache: `duration=4500 motion`, empty for none.
    #[must_use]
    pub fn to_words(self) -> String {
        let mut words = Vec::new();
        if let Some(ms) = self.duration_ms {
            words.push(format!("duration={ms}"));
        }
        if self.motion {
            words.push("motion".to_string());
        }
        words.join(" ")
    }

    /// The reverse of [`Marks::to_words`] (unknown words are skipped).
    #[must_use]
    pub fn from_words(text: &str) -> Self {
        let mut marks = Self::default();
        for word in text.split_ascii_whitespace() {
            if let Some(ms) = word.strip_prefix("duration=") {
                marks.duration_ms = ms.parse().ok();
            } else if word == "motion" {
                marks.motion = true;
            }
        }
        marks
    }

    /// A video's length for a tile: `0:07`, `12:34`, `1:02:03`.
    #[must_use]
    pub fn duration_text(self) -> Option<String> {
        // To the nearest second, as galleries show it; a clip under half a second shows 0:01.
        let secs = ((self.duration_ms? + 500) / 1000).max(1);
        let (h, m, s) = (secs / 3600, secs / 60 % 60, secs % 60);
        Some(if h > 0 { format!("{h}:{m:02}:{s:02}") } else { format!("{m}:{s:02}") })
    }
}

/// Why a thumbnail could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ThumbError {
    /// The file is not a picture this build can read, or it is damaged.
    #[error("cannot read this picture ({0})")]
    Undecodable(String),
    /// The program or library that reads this kind of file is missing (`ffmpeg` for videos).
    #[error("{0}")]
    NoDecoder(String),
}

/// What a file is, from its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PictureKind {
    /// A JPEG photo.
    Jpeg,
    /// A PNG (screenshots).
    Png,
    /// Another still format `image` reads (WebP, GIF, BMP...): decoded whole.
    OtherImage,
    /// A HEIC/HEIF or AVIF photo (decoded with libheif).
    Heic,
    /// A DNG or another TIFF-based RAW photo (shown from the preview it carries).
    Raw,
    /// A video.
    Video,
}

impl PictureKind {
    /// The kind of the file named `name` (by its extension, as the gallery does).
    #[must_use]
    pub fn of(name: &[u8]) -> Self {
        let ext = name.rsplit(|&b| b == b'.').next().unwrap_or_default().to_ascii_lowercase();
        match ext.as_slice() {
            b"jpg" | b"jpeg" | b"jpe" => Self::Jpeg,
            b"png" => Self::Png,
            b"heic" | b"heif" | b"avif" => Self::Heic,
            b"dng" | b"nef" | b"nrw" | b"arw" | b"cr2" | b"orf" | b"rw2" | b"pef" | b"srw" => Self::Raw,
            b"mp4" | b"3gp" | b"mkv" | b"webm" | b"mov" | b"m4v" => Self::Video,
            _ => Self::OtherImage,
        }
    }

    /// What a file of this kind shows until (or when no) picture is made of it: videos a "Video" tile.
    #[must_use]
    pub fn placeholder(self) -> Option<Thumbnail> {
        match self {
            Self::Video => Some(VIDEO_PLACEHOLDER),
            _ => None,
        }
    }
}

/// The EXIF block of a JPEG that starts with `head`, if it is there whole.
fn exif_of(head: &[u8]) -> Option<exif::Exif> {
    exif::Reader::new().read_from_container(&mut Cursor::new(head)).ok()
}

/// The EXIF orientation (1-8) of a JPEG that starts with `head`; 1 when it says nothing.
#[must_use]
pub fn orientation(head: &[u8]) -> u8 {
    exif_of(head).map_or(1, |e| orientation_of(&e))
}

fn orientation_of(exif: &exif::Exif) -> u8 {
    exif.get_field(exif::Tag::Orientation, exif::In::PRIMARY)
        .and_then(|f| f.value.get_uint(0))
        .and_then(|v| u8::try_from(v).ok())
        .filter(|v| (1..=8).contains(v))
        .unwrap_or(1)
}

/// When a photo was taken, as its EXIF says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Taken {
    /// An instant, seconds since 1970: `DateTimeOriginal` less its `OffsetTimeOriginal`.
    At(i64),
    /// The camera's clock without a zone (no `OffsetTimeOriginal`): read on the computer's local clock, so that
    /// its day is the one the camera wrote.
    Clock(DateTime),
}

impl Taken {
    /// Seconds since 1970; a [`Taken::Clock`] reading in this thread's zone ([`crate::human::time_zone`]).
    #[must_use]
    pub fn seconds(self) -> Option<i64> {
        match self {
            Self::At(secs) => Some(secs),
            Self::Clock(clock) => crate::human::local_to_secs(clock),
        }
    }

    /// A line for the disk cache: `at 1717171717` or `clock 2024-05-31T23:30:00`.
    #[must_use]
    pub fn to_line(self) -> String {
        match self {
            Self::At(secs) => format!("at {secs}"),
            Self::Clock(clock) => format!("clock {clock}"),
        }
    }

    /// The reverse of [`Taken::to_line`]; `None` for anything else.
    #[must_use]
    pub fn from_line(line: &str) -> Option<Self> {
        match line.split_once(' ')? {
            ("at", secs) => secs.parse().ok().map(Self::At),
            ("clock", clock) => clock.parse().ok().map(Self::Clock),
            _ => None,
        }
    }
}

/// When the JPEG that starts with `head` was taken: EXIF `DateTimeOriginal`, with `OffsetTimeOriginal` when
/// present. `None` without EXIF, without that tag, or for a blank or impossible date (`0000:00:00 00:00:00`).
#[must_use]
pub fn taken(head: &[u8]) -> Option<Taken> {
    taken_of(&exif_of(head)?)
}

fn taken_of(exif: &exif::Exif) -> Option<Taken> {
    let ascii = |tag| match &exif.get_field(tag, exif::In::PRIMARY)?.value {
        exif::Value::Ascii(values) => values.first().map(Vec::as_slice),
        _ => None,
    };
    let mut stamp = exif::DateTime::from_ascii(ascii(exif::Tag::DateTimeOriginal)?).ok()?;
    let clock = jiff::civil::DateTime::new(
        i16::try_from(stamp.year).ok()?,
        i8::try_from(stamp.month).ok()?,
        i8::try_from(stamp.day).ok()?,
        i8::try_from(stamp.hour).ok()?,
        i8::try_from(stamp.minute).ok()?,
        // A leap second (60) is the last second of its minute.
        i8::try_from(stamp.second.min(59)).ok()?,
        0,
    )
    .ok()?;
    if stamp.year == 0 {
        return None;
    }
    let offset = ascii(exif::Tag::OffsetTimeOriginal)
        .and_then(|text| stamp.parse_offset(text).ok().and(stamp.offset))
        .and_then(|minutes| jiff::tz::Offset::from_seconds(i32::from(minutes) * 60).ok());
    match offset {
        Some(offset) => offset.to_timestamp(clock).ok().map(|t| Taken::At(t.as_second())),
        None => Some(Taken::Clock(clock)),
    }
}

/// Turns `image` upright for EXIF orientation `orientation` and fits it in `max` pixels.
fn upright(mut image: DynamicImage, orientation: u8, max: u32) -> RgbaImage {
    if let Some(o) = Orientation::from_exif(orientation) {
        image.apply_orientation(o);
    }
    if image.width() > max || image.height() > max {
        image = image.thumbnail(max, max);
    }
    image.into_rgba8()
}

/// A path in a [`ThumbKey`] of a local file (the bytes of an `OsStr`) as a path.
#[must_use]
pub fn local_path(bytes: &[u8]) -> std::path::PathBuf {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        std::path::PathBuf::from(std::ffi::OsStr::from_bytes(bytes))
    }
    #[cfg(not(unix))]
    {
        std::path::PathBuf::from(String::from_utf8_lossy(bytes).into_owned())
    }
}

/// The bytes of a local path, for a [`ThumbKey`] (lossless on Unix).
#[must_use]
pub fn local_key_path(path: &std::path::Path) -> Vec<u8> {
    path.as_os_str().as_encoded_bytes().to_vec()
}

/// The thumbnail a JPEG carries in its EXIF block (IFD1), upright, if `head` (the start of the file) holds it
/// whole. `None` when there is none or it lies beyond `head`: then the file itself must be decoded.
#[must_use]
pub fn from_head(head: &[u8]) -> Option<RgbaImage> {
    let exif = exif_of(head)?;
    let field = |tag| exif.get_field(tag, exif::In::THUMBNAIL).and_then(|f| f.value.get_uint(0));
    let start = usize::try_from(field(exif::Tag::JPEGInterchangeFormat)?).ok()?;
    let len = usize::try_from(field(exif::Tag::JPEGInterchangeFormatLength)?).ok()?;
    let bytes = exif.buf().get(start..start.checked_add(len)?)?;
    let image = image::load_from_memory_with_format(bytes, image::ImageFormat::Jpeg).ok()?;
    Some(upright(image, orientation_of(&exif), THUMB_SIZE))
}

/// A thumbnail made from a whole file named `name`: JPEGs decoded downscaled on decode, HEIC/AVIF from their
/// thumbnail item (else their primary image scaled; a placeholder when libheif cannot read them), other images
/// decoded and scaled, videos a placeholder. EXIF orientation (HEIF: `irot`/`imir`) applied.
///
/// # Errors
/// When the picture is damaged or in a format this build cannot read.
pub fn from_file(name: &[u8], bytes: &[u8]) -> Result<Thumbnail, ThumbError> {
    from_file_sized(name, bytes, THUMB_SIZE)
}

/// Like [`from_file`], at most `max` pixels on the longest side (a preview).
///
/// # Errors
/// When the picture is damaged or in a format this build cannot read.
pub fn from_file_sized(name: &[u8], bytes: &[u8], max: u32) -> Result<Thumbnail, ThumbError> {
    let kind = PictureKind::of(name);
    if kind == PictureKind::Video {
        return Ok(video::from_bytes(bytes, max).0.map_or(VIDEO_PLACEHOLDER, Thumbnail::Image));
    }
    if heif_file(kind, bytes) {
        return Ok(
            heif::decode(bytes, max, max <= THUMB_SIZE).map_or(HEIC_PLACEHOLDER, |(image, _)| Thumbnail::Image(image))
        );
    }
    if raw_file(kind, bytes) {
        return Ok(dng::from_file(bytes, max).map_or(dng::RAW_PLACEHOLDER, |(image, _)| Thumbnail::Image(image)));
    }
    if kind == PictureKind::Jpeg || bytes.starts_with(&[0xFF, 0xD8]) {
        let orientation = orientation(&bytes[..bytes.len().min(HEAD_BYTES)]);
        return Ok(Thumbnail::Image(upright(decode_jpeg_scaled(bytes, max)?, orientation, max)));
    }
    let image = image::load_from_memory(bytes).map_err(|e| ThumbError::Undecodable(e.to_string()))?;
    Ok(Thumbnail::Image(upright(image, 1, max)))
}

/// Whether a file of `kind` starting with `bytes` goes to libheif: it starts like HEIF, or it is named so and
/// is not a JPEG (some phones save JPEGs under a `.heic` name).
fn heif_file(kind: PictureKind, bytes: &[u8]) -> bool {
    heif::is_heif(bytes) || (kind == PictureKind::Heic && !bytes.starts_with(&[0xFF, 0xD8]))
}

/// Whether a file of `kind` starting with `bytes` is shown from a TIFF-based RAW's preview.
fn raw_file(kind: PictureKind, bytes: &[u8]) -> bool {
    kind == PictureKind::Raw || (kind == PictureKind::OtherImage && dng::is_tiff(bytes))
}

/// What a video shows when no frame of it can be made.
pub const VIDEO_PLACEHOLDER: Thumbnail = Thumbnail::Placeholder { kind: "Video" };

/// What a HEIC/AVIF photo libheif cannot read shows.
const HEIC_PLACEHOLDER: Thumbnail = Thumbnail::Placeholder { kind: "HEIC photo" };

/// A large view of a photo, with its real size.
#[derive(Debug, Clone, PartialEq)]
pub struct Preview {
    /// The picture, upright, at most the size asked for (or a placeholder for videos and HEIC).
    pub picture: Thumbnail,
    /// The photo's full width and height as it is shown (upright), when its header says.
    pub dimensions: Option<(u32, u32)>,
}

/// The preview of a whole file named `name`: decoded downscaled to at most `max` pixels, with the photo's
/// full dimensions read from its header.
///
/// # Errors
/// When the picture is damaged or in a format this build cannot read.
pub fn preview(name: &[u8], bytes: &[u8], max: u32) -> Result<Preview, ThumbError> {
    if heif_file(PictureKind::of(name), bytes) {
        // The primary image scaled (not the small thumbnail item), and its size as shown.
        return Ok(match heif::decode(bytes, max, false) {
            Ok((image, size)) => Preview { picture: Thumbnail::Image(image), dimensions: Some(size) },
            Err(_) => Preview { picture: HEIC_PLACEHOLDER, dimensions: None },
        });
    }
    if raw_file(PictureKind::of(name), bytes) {
        return Ok(match dng::from_file(bytes, max) {
            Ok((image, size)) => Preview { picture: Thumbnail::Image(image), dimensions: size },
            Err(_) => Preview { picture: dng::RAW_PLACEHOLDER, dimensions: None },
        });
    }
    if PictureKind::of(name) == PictureKind::Video {
        let (picture, index) = video::from_bytes(bytes, max);
        return Ok(Preview {
            picture: picture.map_or(VIDEO_PLACEHOLDER, Thumbnail::Image),
            dimensions: index.and_then(|i| i.dimensions),
        });
    }
    let picture = from_file_sized(name, bytes, max)?;
    let dimensions = image::ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .ok()
        .and_then(|r| r.into_dimensions().ok())
        .map(|(w, h)| if orientation(&bytes[..bytes.len().min(HEAD_BYTES)]) >= 5 { (h, w) } else { (w, h) });
    Ok(Preview { picture, dimensions })
}

/// Decodes a JPEG at the smallest DCT scale (1/8, 1/4, 1/2 or 1) that still covers `max` pixels: with
/// libjpeg-turbo (through mozjpeg; its Huffman decoding is about 1.7 times as fast as jpeg-decoder's), or with
/// jpeg-decoder for what libjpeg will not turn into RGB (CMYK) or cannot read.
fn decode_jpeg_scaled(bytes: &[u8], max: u32) -> Result<DynamicImage, ThumbError> {
    decode_jpeg_turbo(bytes, max).map_or_else(|| decode_jpeg_pure(bytes, max), Ok)
}

/// libjpeg-turbo's scaled decode into RGB; `None` when it cannot (CMYK, an error it reports, or a file cut
/// short: libjpeg would only warn and fill the rest with grey, so such a file goes to jpeg-decoder, which says so).
fn decode_jpeg_turbo(bytes: &[u8], max: u32) -> Option<DynamicImage> {
    // A whole JPEG ends with the EOI marker (possibly followed by a trailer, such as a second, smaller image).
    let tail = &bytes[bytes.len().saturating_sub(1 << 16)..];
    if !tail.windows(2).any(|w| w == [0xFF, 0xD9]) {
        return None;
    }
    let mut decompress = mozjpeg::Decompress::new_mem(bytes).ok()?;
    if !matches!(
        decompress.color_space(),
        mozjpeg::ColorSpace::JCS_YCbCr | mozjpeg::ColorSpace::JCS_GRAYSCALE | mozjpeg::ColorSpace::JCS_RGB
    ) {
        return None;
    }
    let long = u32::try_from(decompress.width().max(decompress.height())).ok()?;
    // The smallest n/8 that keeps the long side at `max` or more (8/8 when the photo is small).
    let numerator = [1u8, 2, 4].into_iter().find(|&n| long * u32::from(n) / 8 >= max).unwrap_or(8);
    decompress.scale(numerator);
    let mut started = decompress.rgb().ok()?;
    let (width, height) = (u32::try_from(started.width()).ok()?, u32::try_from(started.height()).ok()?);
    let pixels: Vec<[u8; 3]> = started.read_scanlines().ok()?;
    started.finish().ok()?;
    let flat: Vec<u8> = pixels.into_iter().flatten().collect();
    image::RgbImage::from_raw(width, height, flat).map(DynamicImage::ImageRgb8)
}

/// jpeg-decoder's scaled decode (pure Rust; reads CMYK and 16-bit grey too).
fn decode_jpeg_pure(bytes: &[u8], max: u32) -> Result<DynamicImage, ThumbError> {
    let bad = |e: &dyn std::fmt::Display| ThumbError::Undecodable(e.to_string());
    let mut decoder = jpeg_decoder::Decoder::new(Cursor::new(bytes));
    decoder.read_info().map_err(|e| bad(&e))?;
    let thumb = u16::try_from(max).unwrap_or(u16::MAX);
    let (width, height) = decoder.scale(thumb, thumb).map_err(|e| bad(&e))?;
    let pixels = decoder.decode().map_err(|e| bad(&e))?;
    let info = decoder.info().ok_or_else(|| ThumbError::Undecodable("no image header".to_string()))?;
    let (width, height) = (u32::from(width), u32::from(height));
    let too_short = || ThumbError::Undecodable("the picture data is cut short".to_string());
    match info.pixel_format {
        jpeg_decoder::PixelFormat::RGB24 => {
            image::RgbImage::from_raw(width, height, pixels).map(DynamicImage::ImageRgb8).ok_or_else(too_short)
        }
        jpeg_decoder::PixelFormat::L8 => {
            image::GrayImage::from_raw(width, height, pixels).map(DynamicImage::ImageLuma8).ok_or_else(too_short)
        }
        jpeg_decoder::PixelFormat::L16 => {
            let wide: Vec<u16> = pixels.chunks_exact(2).map(|c| u16::from_be_bytes([c[0], c[1]])).collect();
            image::ImageBuffer::from_raw(width, height, wide).map(DynamicImage::ImageLuma16).ok_or_else(too_short)
        }
        jpeg_decoder::PixelFormat::CMYK32 => {
            let rgb: Vec<u8> = pixels
                .chunks_exact(4)
                .flat_map(|p| {
                    let k = u16::from(p[3]);
                    // Adobe's CMYK JPEGs are stored inverted: 255 is no ink.
                    [p[0], p[1], p[2]].map(|c| u8::try_from(u16::from(c) * k / 255).unwrap_or(u8::MAX))
                })
                .collect();
            image::RgbImage::from_raw(width, height, rgb).map(DynamicImage::ImageRgb8).ok_or_else(too_short)
        }
    }
}

/// Encodes a thumbnail as a JPEG for the disk cache (quality 85: about 10-20 KB for 256 px).
///
/// # Errors
/// When encoding fails (it does not for a valid image).
pub fn encode(image: &RgbaImage) -> Result<Vec<u8>, ThumbError> {
    let rgb = DynamicImage::ImageRgba8(image.clone()).into_rgb8();
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 85)
        .encode_image(&rgb)
        .map_err(|e| ThumbError::Undecodable(e.to_string()))?;
    Ok(out)
}

#[cfg(test)]
pub(crate) mod tests;
