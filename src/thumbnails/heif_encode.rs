//! Making HEIC and AVIF test pictures with the system's libheif (the x265 and aom encoders Debian's libheif1
//! carries), for the tests and the benchmark; included with `#[path]` where needed, not part of the library.
//!
//! libheif-rs 0.19 has no safe call for a thumbnail item, and this crate forbids `unsafe`, so a file with a
//! thumbnail item comes from libheif's own `heif-enc -t` (Debian's `libheif-examples`). libheif 1.15's encoder
//! writes no `irot`/`imir` (its `image_orientation` option is ignored), so [`with_transforms`] adds them.

#![allow(dead_code)]

pub use libheif_rs::CompressionFormat as Codec;
use libheif_rs::{Channel, ColorSpace, EncoderQuality, HeifContext, Image, LibHeif, RgbChroma};

/// A HEIF file of `picture`, without a thumbnail item.
///
/// # Panics
/// When libheif cannot encode (no encoder for `codec`).
#[must_use]
pub fn encode(picture: &image::RgbImage, codec: Codec, quality: u8) -> Vec<u8> {
    let (width, height) = picture.dimensions();
    let lib = LibHeif::new();
    let mut image = Image::new(width, height, ColorSpace::Rgb(RgbChroma::Rgb)).expect("image");
    image.create_plane(Channel::Interleaved, width, height, 8).expect("plane");
    {
        let planes = image.planes_mut();
        let plane = planes.interleaved.expect("interleaved plane");
        let row = width as usize * 3;
        for (y, line) in picture.as_raw().chunks(row).enumerate() {
            plane.data[y * plane.stride..y * plane.stride + row].copy_from_slice(line);
        }
    }
    let mut encoder = lib.encoder_for_format(codec).expect("an encoder in libheif");
    encoder.set_quality(EncoderQuality::Lossy(quality)).expect("quality");
    let mut context = HeifContext::new().expect("context");
    context.encode_image(&image, &mut encoder, None).expect("encode");
    context.write_to_bytes().expect("write")
}

/// A HEIC file of `picture` with a thumbnail item of at most `thumbnail` pixels, made by libheif's `heif-enc`;
/// `None` when `heif-enc` is not installed.
///
/// # Panics
/// When `heif-enc` fails.
#[must_use]
pub fn encode_with_thumbnail(picture: &image::RgbImage, thumbnail: u32, quality: u8) -> Option<Vec<u8>> {
    let dir = tempfile::tempdir().expect("temporary folder");
    let png = dir.path().join("in.png");
    picture.save(&png).expect("png");
    let out = dir.path().join("out.heic");
    let status = std::process::Command::new("heif-enc")
        .args(["-q", &quality.to_string(), "-t", &thumbnail.to_string(), "-o"])
        .arg(&out)
        .arg(&png)
        .stdout(std::process::Stdio::null())
        .status()
        .ok()?;
    assert!(status.success(), "heif-enc failed");
    Some(std::fs::read(&out).expect("heif-enc output"))
}

/// A box: its type and body.
fn boxed(kind: &[u8], body: &[u8]) -> Vec<u8> {
    let mut out = u32::try_from(body.len() + 8).expect("box size").to_be_bytes().to_vec();
    out.extend_from_slice(kind);
    out.extend_from_slice(body);
    out
}

/// The boxes in `data` as (type, body) (32-bit sizes, as libheif writes).
fn boxes(data: &[u8]) -> Vec<([u8; 4], &[u8])> {
    let mut out = Vec::new();
    let mut at = 0;
    while at + 8 <= data.len() {
        let size = u32::from_be_bytes(data[at..at + 4].try_into().expect("4")) as usize;
        let size = if size == 0 { data.len() - at } else { size };
        out.push((data[at + 4..at + 8].try_into().expect("4"), &data[at + 8..at + size]));
        at += size;
    }
    out
}

fn number(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0, |v, &b| v << 8 | u64::from(b))
}

/// `file` (as libheif writes it: `ftyp`, `meta`, `mdat`) with `properties` (`irot`/`imir`, each with its one
/// byte) associated, in this order, to every image item that has a size (`ispe`): the primary and its
/// thumbnail. Shows how a phone's file says "turn this": libheif 1.15's encoder does not write them.
///
/// # Panics
/// When `file` is not laid out so.
#[must_use]
pub fn with_transforms(file: &[u8], properties: &[(&[u8; 4], u8)]) -> Vec<u8> {
    let top = boxes(file);
    let meta = top.iter().position(|b| &b.0 == b"meta").expect("meta");
    let meta_body = top[meta].1;
    let mut new_meta = meta_body[..4].to_vec();
    for (kind, body) in boxes(&meta_body[4..]) {
        if &kind != b"iprp" {
            new_meta.extend(boxed(&kind, body));
            continue;
        }
        let parts = boxes(body);
        let ipco = parts.iter().find(|b| &b.0 == b"ipco").expect("ipco").1;
        let existing = boxes(ipco);
        let ispe: Vec<usize> =
            existing.iter().enumerate().filter(|(_, b)| &b.0 == b"ispe").map(|(i, _)| i + 1).collect();
        let mut new_ipco = ipco.to_vec();
        let first_new = existing.len() + 1;
        for (kind, value) in properties {
            new_ipco.extend(boxed(*kind, &[*value]));
        }
        let ipma = parts.iter().find(|b| &b.0 == b"ipma").expect("ipma").1;
        let (version, flags) = (ipma[0], ipma[3]);
        let mut at = 4;
        let mut take = |n: usize| {
            let v = number(&ipma[at..at + n]);
            at += n;
            v
        };
        let count = take(4);
        let mut new_ipma = ipma[..8].to_vec();
        for _ in 0..count {
            let id = take(if version < 1 { 2 } else { 4 });
            let n = take(1) as usize;
            let wide = flags & 1 == 1;
            let assoc: Vec<u64> = (0..n).map(|_| take(if wide { 2 } else { 1 })).collect();
            let sized =
                assoc.iter().any(|a| ispe.contains(&((a & 0x7fff & if wide { 0x7fff } else { 0x7f }) as usize)));
            let mut all = assoc.clone();
            if sized {
                all.extend((0..properties.len()).map(|k| (first_new + k) as u64 | if wide { 0x8000 } else { 0x80 }));
            }
            new_ipma.extend_from_slice(&id.to_be_bytes()[if version < 1 { 6 } else { 4 }..]);
            new_ipma.push(u8::try_from(all.len()).expect("associations"));
            for a in all {
                new_ipma.extend_from_slice(&a.to_be_bytes()[if wide { 6 } else { 7 }..]);
            }
        }
        let mut new_iprp = boxed(b"ipco", &new_ipco);
        new_iprp.extend(boxed(b"ipma", &new_ipma));
        new_meta.extend(boxed(b"iprp", &new_iprp));
    }
    let grown = new_meta.len() as u64 - meta_body.len() as u64;
    // Everything after `meta` moves by `grown`: so do the item offsets in `iloc`.
    let mut patched = Vec::new();
    for (kind, body) in boxes(&new_meta[4..]) {
        if &kind != b"iloc" {
            patched.extend(boxed(&kind, body));
            continue;
        }
        let mut iloc = body.to_vec();
        let version = iloc[0];
        let (offset_size, length_size) = (usize::from(iloc[4] >> 4), usize::from(iloc[4] & 15));
        let base_size = usize::from(iloc[5] >> 4);
        let index_size = if version >= 1 { usize::from(iloc[5] & 15) } else { 0 };
        let mut at = 6;
        let count = if version < 2 { number(&iloc[at..at + 2]) } else { number(&iloc[at..at + 4]) };
        at += if version < 2 { 2 } else { 4 };
        let shift = |iloc: &mut Vec<u8>, at: usize, size: usize| {
            let v = number(&iloc[at..at + size]) + grown;
            iloc[at..at + size].copy_from_slice(&v.to_be_bytes()[8 - size..]);
        };
        for _ in 0..count {
            at += if version < 2 { 2 } else { 4 };
            let method = if version >= 1 {
                at += 2;
                number(&iloc[at - 2..at]) & 15
            } else {
                0
            };
            at += 2;
            let base_at = at;
            at += base_size;
            let extents = number(&iloc[at..at + 2]) as usize;
            at += 2;
            if method == 0 && base_size > 0 {
                shift(&mut iloc, base_at, base_size);
            }
            for _ in 0..extents {
                at += index_size;
                if method == 0 && base_size == 0 {
                    shift(&mut iloc, at, offset_size);
                }
                at += offset_size + length_size;
            }
        }
        patched.extend(boxed(b"iloc", &iloc));
    }
    let mut meta_out = new_meta[..4].to_vec();
    meta_out.extend(patched);
    let mut out = Vec::new();
    for (i, (kind, body)) in top.iter().enumerate() {
        out.extend(boxed(kind, if i == meta { &meta_out } else { body }));
    }
    out
}
