//! HEIC/HEIF and AVIF pictures, through the system's libheif (`libheif-rs` 0.19 over libheif 1.14+).
//!
//! A HEIF file is a `ftyp` box, a `meta` box (the item list, their properties and where each item's bytes are:
//! `iloc`) and the coded data (`mdat`). Phones write the `meta` box first and often a small thumbnail item
//! (an iPhone: 320×240, about 20 KB, right after `meta`), so a thumbnail usually needs only the start of the
//! file: [`thumb_from_head`] reads what the head says and asks for a longer head only when the thumbnail's bytes
//! lie further on. libheif applies the `irot`/`imir`/`clap` transforms when it decodes, so every picture comes
//! out upright; the EXIF orientation inside a HEIF file is not applied on top (HEIF says the item properties
//! rule, and phones write both the same way).
//!
//! Every call into libheif runs under `catch_unwind` and turns any failure into a [`ThumbError`]: a damaged
//! file gives a placeholder, never a dead worker.

use super::{THUMB_SIZE, Taken, ThumbError, taken_of, upright};
use image::{DynamicImage, RgbaImage};
use libheif_rs::{ColorSpace, HeifContext, ImageHandle, ItemId, LibHeif, RgbChroma};

/// Largest file this decodes from memory (a HEIF photo of more is not one a phone takes).
const MAX_FILE: u64 = 512 << 20;

/// What the start of a HEIF file gives for its thumbnail.
#[derive(Debug, PartialEq)]
pub enum FromHead {
    /// The thumbnail, upright, and when the photo was taken (its EXIF item, when that is in the head too).
    Image(RgbaImage, Option<Taken>),
    /// The thumbnail item's bytes end at this offset, beyond the head: read the file up to there.
    Needs(u64),
    /// No thumbnail item (or one this cannot place): the whole file is needed.
    Whole,
}

fn bad(e: impl std::fmt::Display) -> ThumbError {
    ThumbError::Undecodable(e.to_string())
}

/// Runs `f`, turning a panic in it into an error.
fn guarded<T>(f: impl FnOnce() -> Result<T, ThumbError>) -> Result<T, ThumbError> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f))
        .unwrap_or_else(|_| Err(ThumbError::Undecodable("the HEIF decoder failed".to_string())))
}

/// Whether `bytes` start like a HEIF file (`ftyp` with a HEIF or AVIF brand).
#[must_use]
pub fn is_heif(bytes: &[u8]) -> bool {
    bytes.get(4..8) == Some(b"ftyp")
        && bytes.get(8..12).is_some_and(|brand| {
            matches!(
                brand,
                b"heic" | b"heix" | b"hevc" | b"hevx" | b"heim" | b"heis" | b"mif1" | b"msf1" | b"avif" | b"avis"
            )
        })
}

/// Decodes `handle` into an upright RGBA picture at most `max` pixels on its longest side.
///
/// libheif's own defaults (no decoding options): libheif 1.15 drops `irot`/`imir`/`clap` whenever options are
/// given, even the defaults it allocates itself (measured here: a portrait iPhone photo came out on its side).
fn decode_handle(lib: &LibHeif, handle: &ImageHandle, max: u32) -> Result<RgbaImage, ThumbError> {
    let image = lib.decode(handle, ColorSpace::Rgb(RgbChroma::Rgba), None).map_err(bad)?;
    let planes = image.planes();
    let plane = planes.interleaved.ok_or_else(|| bad("the decoder gave no RGBA picture"))?;
    let (width, height) = (plane.width, plane.height);
    let row = usize::try_from(width).map_err(bad)? * 4;
    let mut pixels = Vec::with_capacity(row * usize::try_from(height).map_err(bad)?);
    for line in plane.data.chunks(plane.stride).take(usize::try_from(height).map_err(bad)?) {
        pixels.extend_from_slice(line.get(..row).ok_or_else(|| bad("the decoded picture is cut short"))?);
    }
    let rgba = RgbaImage::from_raw(width, height, pixels).ok_or_else(|| bad("the decoded picture is cut short"))?;
    Ok(upright(DynamicImage::ImageRgba8(rgba), 1, max))
}

/// The largest thumbnail item of `primary`, if it has one.
fn best_thumbnail(primary: &ImageHandle) -> Option<(ItemId, ImageHandle)> {
    let mut ids = vec![0; primary.number_of_thumbnails()];
    let n = primary.thumbnail_ids(&mut ids);
    ids.truncate(n);
    ids.into_iter()
        .filter_map(|id| primary.thumbnail(id).ok().map(|h| (id, h)))
        .max_by_key(|(_, h)| h.width().max(h.height()))
}

/// A picture of the HEIF file `bytes` at most `max` pixels on its longest side, upright, and the primary
/// image's full size as shown. With `thumbnail_item`, the file's own thumbnail item is used when it has one
/// (a grid tile); else the primary image is decoded and scaled.
///
/// # Errors
/// When libheif cannot read the file or decode the picture.
pub fn decode(bytes: &[u8], max: u32, thumbnail_item: bool) -> Result<(RgbaImage, (u32, u32)), ThumbError> {
    guarded(|| {
        let lib = LibHeif::new();
        let context = HeifContext::read_from_bytes(bytes).map_err(bad)?;
        let primary = context.primary_image_handle().map_err(bad)?;
        let size = (primary.width(), primary.height());
        if thumbnail_item
            && let Some((_, thumb)) = best_thumbnail(&primary)
            && let Ok(image) = decode_handle(&lib, &thumb, max)
        {
            return Ok((image, size));
        }
        Ok((decode_handle(&lib, &primary, max)?, size))
    })
}

/// The EXIF block of `primary` (its `Exif` item: a 4-byte offset, then the TIFF header at that offset).
fn exif_of_primary(primary: &ImageHandle) -> Option<exif::Exif> {
    let mut ids = [0; 4];
    let n = primary.metadata_block_ids(&mut ids, &b"Exif"[..]);
    let id = *ids.get(..n)?.first()?;
    // An EXIF block is at most 64 KiB; a file that says more lies (and libheif-rs would allocate it first).
    if primary.metadata_size(id) > 1 << 20 {
        return None;
    }
    let data = primary.metadata(id).ok()?;
    let offset = usize::try_from(u32::from_be_bytes(data.get(..4)?.try_into().ok()?)).ok()?;
    let tiff = data.get(offset.checked_add(4)?..)?;
    exif::Reader::new().read_raw(tiff.to_vec()).ok()
}

fn taken_of_primary(primary: &ImageHandle) -> Option<Taken> {
    taken_of(&exif_of_primary(primary)?)
}

/// When the photo in the HEIF file `bytes` was taken, as its EXIF item says.
#[must_use]
pub fn taken(bytes: &[u8]) -> Option<Taken> {
    guarded(|| {
        let context = HeifContext::read_from_bytes(bytes).map_err(bad)?;
        Ok(taken_of_primary(&context.primary_image_handle().map_err(bad)?))
    })
    .ok()
    .flatten()
}

/// The thumbnail of a HEIF file of `file_size` bytes from its first bytes `head` (the rest unread): decoded
/// from the head alone when the thumbnail item's bytes are in it (the rest of the file stands as zeros that
/// libheif never reads), else how much of the file it needs.
#[must_use]
pub fn thumb_from_head(head: &[u8], file_size: u64) -> FromHead {
    guarded(|| Ok(plan(head, file_size))).unwrap_or(FromHead::Whole)
}

fn plan(head: &[u8], file_size: u64) -> FromHead {
    let Some(size) =
        usize::try_from(file_size).ok().filter(|_| file_size <= MAX_FILE && head.len() as u64 <= file_size)
    else {
        return FromHead::Whole;
    };
    let Some(locations) = item_locations(head) else { return FromHead::Whole };
    let mut sparse = vec![0u8; size];
    sparse[..head.len()].copy_from_slice(head);
    let Ok(context) = HeifContext::read_from_bytes(&sparse) else { return FromHead::Whole };
    let Ok(primary) = context.primary_image_handle() else { return FromHead::Whole };
    let Some((id, thumb)) = best_thumbnail(&primary) else { return FromHead::Whole };
    // Only a thumbnail stored in the file's own bytes (not a grid of other items, nor in another file).
    let Some(extents) = locations.into_iter().find(|l| l.item == id).and_then(|l| l.extents) else {
        return FromHead::Whole;
    };
    let end = extents.iter().map(|&(offset, len)| offset.saturating_add(len)).max().unwrap_or(0);
    if end > file_size {
        return FromHead::Whole;
    }
    if end > head.len() as u64 {
        return FromHead::Needs(end);
    }
    match decode_handle(&LibHeif::new(), &thumb, THUMB_SIZE) {
        Ok(image) => FromHead::Image(image, taken_of_primary(&primary)),
        Err(_) => FromHead::Whole,
    }
}

/// Where an item's bytes are, from `iloc`.
#[derive(Debug, PartialEq, Eq)]
pub struct ItemLocation {
    /// The item.
    pub item: ItemId,
    /// Its extents as (file offset, length), or `None` when they are not plain bytes of this file (in `idat`,
    /// another item, another file).
    pub extents: Option<Vec<(u64, u64)>>,
}

/// Reads a box header at `at` in `data`: (type, start of its body, end of the box).
fn box_at(data: &[u8], at: usize) -> Option<([u8; 4], usize, usize)> {
    let word = |i: usize| data.get(i..i + 4).map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]));
    let size = word(at)?;
    let kind: [u8; 4] = data.get(at + 4..at + 8)?.try_into().ok()?;
    let (body, end) = match size {
        1 => {
            let big = u64::from(word(at + 8)?) << 32 | u64::from(word(at + 12)?);
            (at + 16, at.checked_add(usize::try_from(big).ok()?)?)
        }
        0 => (at + 8, data.len()),
        n => (at + 8, at.checked_add(usize::try_from(n).ok()?)?),
    };
    (end >= body).then_some((kind, body, end))
}

/// The boxes within `data[from..to]`.
fn children(data: &[u8], from: usize, to: usize) -> impl Iterator<Item = ([u8; 4], usize, usize)> + '_ {
    let mut at = from;
    std::iter::from_fn(move || {
        if at + 8 > to {
            return None;
        }
        let found = box_at(data, at)?;
        at = found.2;
        Some(found)
    })
}

/// The item locations of the HEIF file that starts with `head`; `None` when its `meta` box is not whole there.
#[must_use]
pub fn item_locations(head: &[u8]) -> Option<Vec<ItemLocation>> {
    let (_, meta, meta_end) = children(head, 0, head.len()).find(|b| &b.0 == b"meta")?;
    if meta_end > head.len() {
        return None;
    }
    // `meta` is a full box: 4 bytes of version and flags before its children.
    let (_, iloc, iloc_end) = children(head, meta + 4, meta_end).find(|b| &b.0 == b"iloc")?;
    parse_iloc(head.get(iloc..iloc_end)?)
}

/// The body of an `iloc` box (ISO/IEC 14496-12 8.11.3).
fn parse_iloc(body: &[u8]) -> Option<Vec<ItemLocation>> {
    let mut at = 0usize;
    let mut take = |n: usize| -> Option<u64> {
        let bytes = body.get(at..at.checked_add(n)?)?;
        at += n;
        Some(bytes.iter().fold(0u64, |v, &b| v << 8 | u64::from(b)))
    };
    let version = take(1)?;
    take(3)?;
    let sizes = take(2)?;
    let (offset_size, length_size) = (((sizes >> 12) & 15) as usize, ((sizes >> 8) & 15) as usize);
    let base_size = ((sizes >> 4) & 15) as usize;
    let index_size = if version == 1 || version == 2 { (sizes & 15) as usize } else { 0 };
    let count = if version < 2 { take(2)? } else { take(4)? };
    let mut out = Vec::new();
    for _ in 0..count {
        let item = ItemId::try_from(if version < 2 { take(2)? } else { take(4)? }).ok()?;
        let method = if version == 1 || version == 2 { take(2)? & 15 } else { 0 };
        let reference = take(2)?;
        let base = take(base_size)?;
        let extent_count = take(2)?;
        let mut extents = Vec::new();
        for _ in 0..extent_count {
            take(index_size)?;
            let offset = take(offset_size)?;
            let len = take(length_size)?;
            extents.push((base.checked_add(offset)?, len));
        }
        let plain = method == 0 && reference == 0 && !extents.is_empty() && extents.iter().all(|e| e.1 > 0);
        out.push(ItemLocation { item, extents: plain.then_some(extents) });
    }
    Some(out)
}
