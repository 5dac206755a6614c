//! DNG (and other TIFF-based RAW) thumbnails from the previews the file carries, never from the raw data.
//!
//! A DNG is a TIFF: IFD0 and its `SubIFDs` (tag 0x014A) hold the raw image and one or more previews: Android's
//! `DngCreator` writes an uncompressed 8-bit RGB thumbnail in IFD0; Adobe's converter and cameras a JPEG
//! (compression 7, or 6 with `JPEGInterchangeFormat`) in IFD0 or a `SubIFD`. [`thumb_from_head`] reads the IFDs in the head,
//! picks the smallest preview that still covers a tile (the largest for the preview view), and either decodes
//! it from the head or says how long a prefix holds it ([`FromHead::Needs`]), so that a 25 MB raw never comes
//! over for a tile. IFD0's `Orientation` is applied.

use super::heif::FromHead;
use super::{THUMB_SIZE, ThumbError, taken, upright};
use image::RgbaImage;

/// Longest prefix read for a preview; beyond, the "RAW photo" placeholder (the raw itself is never read).
pub const MAX_PREFIX: u64 = 2 << 20;
/// Most IFDs followed (a loop in a damaged file's chain ends here).
const MAX_IFDS: usize = 16;

/// What a RAW photo no preview can be made of shows.
pub const RAW_PLACEHOLDER: super::Thumbnail = super::Thumbnail::Placeholder { kind: "RAW photo" };

/// Whether `bytes` start like a TIFF (either byte order).
#[must_use]
pub fn is_tiff(bytes: &[u8]) -> bool {
    bytes.starts_with(b"II*\0") || bytes.starts_with(b"MM\0*")
}

/// A preview the file carries.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Preview {
    /// Its size, when its IFD says.
    size: Option<(u32, u32)>,
    /// Where its bytes lie: one range for a JPEG; the strips of an uncompressed one.
    ranges: Vec<(u64, u64)>,
    /// A JPEG (else 8-bit RGB, `size` wide and high).
    jpeg: bool,
}

impl Preview {
    fn end(&self) -> u64 {
        self.ranges.iter().map(|&(at, len)| at.saturating_add(len)).max().unwrap_or(u64::MAX)
    }

    fn long_side(&self) -> u32 {
        self.size.map_or(0, |(w, h)| w.max(h))
    }
}

/// An IFD's entries: (tag, values).
type Entries = Vec<(u16, Vec<u32>)>;

/// A TIFF's byte order.
#[derive(Clone, Copy)]
struct Tiff<'a> {
    data: &'a [u8],
    little: bool,
}

impl Tiff<'_> {
    fn u16(self, at: usize) -> Option<u16> {
        let b = self.data.get(at..at.checked_add(2)?)?;
        Some(if self.little { u16::from_le_bytes([b[0], b[1]]) } else { u16::from_be_bytes([b[0], b[1]]) })
    }

    fn u32(self, at: usize) -> Option<u32> {
        let b: [u8; 4] = self.data.get(at..at.checked_add(4)?)?.try_into().ok()?;
        Some(if self.little { u32::from_le_bytes(b) } else { u32::from_be_bytes(b) })
    }

    /// The values of an entry at `entry` (SHORT, LONG or IFD type), at most 4096 of them.
    fn values(self, entry: usize) -> Option<Vec<u32>> {
        let kind = self.u16(entry + 2)?;
        let count = usize::try_from(self.u32(entry + 4)?).ok()?.min(4096);
        let width = match kind {
            3 => 2,
            4 | 13 => 4,
            _ => return None,
        };
        let at = if count * width <= 4 { entry + 8 } else { usize::try_from(self.u32(entry + 8)?).ok()? };
        (0..count)
            .map(|i| if width == 2 { self.u16(at + 2 * i).map(u32::from) } else { self.u32(at + 4 * i) })
            .collect()
    }

    /// The entries of the IFD at `at`: tag → values, and the next IFD's offset.
    fn ifd(self, at: usize) -> Option<(Entries, u32)> {
        let count = usize::from(self.u16(at)?);
        let mut entries = Vec::with_capacity(count);
        for i in 0..count {
            let entry = at + 2 + 12 * i;
            let tag = self.u16(entry)?;
            if let Some(values) = self.values(entry) {
                entries.push((tag, values));
            }
        }
        let next = self.u32(at + 2 + 12 * count).unwrap_or(0);
        Some((entries, next))
    }
}

/// What the IFDs in `head` say: the previews and IFD0's orientation.
fn previews(head: &[u8]) -> Option<(Vec<Preview>, u8)> {
    if !is_tiff(head) {
        return None;
    }
    let tiff = Tiff { data: head, little: head[0] == b'I' };
    let mut queue = vec![tiff.u32(4)?];
    let mut seen = Vec::new();
    let mut found = Vec::new();
    let mut orientation = 1;
    while let Some(at) = queue.pop() {
        if at == 0 || seen.contains(&at) || seen.len() >= MAX_IFDS {
            continue;
        }
        seen.push(at);
        let Some((entries, next)) = tiff.ifd(usize::try_from(at).ok()?) else { continue };
        let get = |tag: u16| entries.iter().find(|(t, _)| *t == tag).map(|(_, v)| v.as_slice());
        let one = |tag: u16| get(tag).and_then(|v| v.first().copied());
        if seen.len() == 1 {
            orientation = one(0x0112).and_then(|o| u8::try_from(o).ok()).filter(|o| (1..=8).contains(o)).unwrap_or(1);
        }
        queue.push(next);
        queue.extend(get(0x014A).unwrap_or_default().iter().copied());
        let size = one(0x0100).zip(one(0x0101));
        let compression = one(0x0103).unwrap_or(1);
        let photometric = one(0x0106).unwrap_or(2);
        let reduced = one(0x00FE).is_some_and(|t| t & 1 == 1);
        let bits = get(0x0102).unwrap_or(&[8]).to_vec();
        let strips = get(0x0111).unwrap_or_default().iter().map(|&o| u64::from(o));
        let counts = get(0x0117).unwrap_or_default().iter().map(|&c| u64::from(c));
        let strips: Vec<(u64, u64)> = strips.zip(counts).collect();
        if let (Some(at), Some(len)) = (one(0x0201), one(0x0202)) {
            found.push(Preview { size, ranges: vec![(u64::from(at), u64::from(len))], jpeg: true });
        } else if matches!(compression, 6 | 7)
            && (reduced || matches!(photometric, 2 | 6))
            && bits.iter().all(|&b| b == 8)
            && strips.len() == 1
        {
            // A JPEG preview; not the raw itself (lossless JPEG of a colour filter array, 12 to 16 bits).
            found.push(Preview { size, ranges: strips, jpeg: true });
        } else if compression == 1
            && photometric == 2
            && one(0x0115) == Some(3)
            && bits.iter().all(|&b| b == 8)
            && size.is_some()
            && !strips.is_empty()
        {
            found.push(Preview { size, ranges: strips, jpeg: false });
        }
    }
    Some((found, orientation))
}

/// The preview to show at `max` pixels: the smallest that covers it, else the largest.
fn choose(previews: &[Preview], max: u32, within: u64) -> Option<&Preview> {
    let fits: Vec<&Preview> = previews.iter().filter(|p| p.end() <= within).collect();
    fits.iter()
        .filter(|p| p.long_side() >= max)
        .min_by_key(|p| p.long_side())
        .or_else(|| fits.iter().max_by_key(|p| p.long_side()))
        .copied()
}

/// Decodes `preview` from `file` (which holds its bytes), upright for `orientation`, at most `max` pixels.
fn decode(file: &[u8], preview: &Preview, orientation: u8, max: u32) -> Result<RgbaImage, ThumbError> {
    let bad = |what: &str| ThumbError::Undecodable(format!("the RAW photo's preview {what}"));
    let mut bytes = Vec::new();
    for &(at, len) in &preview.ranges {
        let at = usize::try_from(at).map_err(|_| bad("lies beyond the file"))?;
        let end = at
            .checked_add(usize::try_from(len).map_err(|_| bad("is too large"))?)
            .ok_or_else(|| bad("is too large"))?;
        bytes.extend_from_slice(file.get(at..end).ok_or_else(|| bad("lies beyond the file"))?);
    }
    let image = if preview.jpeg {
        image::load_from_memory_with_format(&bytes, image::ImageFormat::Jpeg).map_err(|e| bad(&e.to_string()))?
    } else {
        let (w, h) = preview.size.ok_or_else(|| bad("has no size"))?;
        let need =
            (w as usize).checked_mul(h as usize).and_then(|n| n.checked_mul(3)).ok_or_else(|| bad("is too large"))?;
        bytes.truncate(need);
        image::DynamicImage::ImageRgb8(image::RgbImage::from_raw(w, h, bytes).ok_or_else(|| bad("is cut short"))?)
    };
    Ok(upright(image, orientation, max))
}

/// A tile of a DNG/TIFF RAW whose first bytes are `head` (of a file of `size` bytes): its preview when the head
/// holds it, how long a prefix does (at most [`MAX_PREFIX`]), or [`FromHead::Whole`] when it has none this can
/// read.
#[must_use]
pub fn thumb_from_head(head: &[u8], size: u64) -> FromHead {
    let Some((found, orientation)) = previews(head) else { return FromHead::Whole };
    let within = size.min(MAX_PREFIX);
    let Some(preview) = choose(&found, THUMB_SIZE, within) else { return FromHead::Whole };
    if preview.end() > head.len() as u64 {
        return FromHead::Needs(preview.end());
    }
    match decode(head, preview, orientation, THUMB_SIZE) {
        Ok(image) => FromHead::Image(image, taken(head)),
        Err(_) => FromHead::Whole,
    }
}

/// The picture of a whole DNG/TIFF RAW file, from its largest preview that covers `max` (else its largest),
/// with the size it is shown at (its preview's).
///
/// # Errors
/// When the file carries no preview this can read.
pub fn from_file(bytes: &[u8], max: u32) -> Result<(RgbaImage, Option<(u32, u32)>), ThumbError> {
    let (found, orientation) =
        previews(bytes).ok_or_else(|| ThumbError::Undecodable("not a TIFF-based RAW photo".to_string()))?;
    let preview = choose(&found, max, bytes.len() as u64)
        .ok_or_else(|| ThumbError::Undecodable("this RAW photo carries no preview".to_string()))?;
    let image = decode(bytes, preview, orientation, max)?;
    let size = preview.size.map(|(w, h)| if orientation >= 5 { (h, w) } else { (w, h) });
    Ok((image, size))
}

#[cfg(test)]
#[path = "dng_tests.rs"]
pub(crate) mod tests;
