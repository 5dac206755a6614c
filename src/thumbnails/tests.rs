//! Thumbnails from JPEGs made here with every EXIF orientation (and from the shared real fixtures when present).

use super::*;
use image::{Rgb, RgbImage};

/// An upright test picture no rotation or flip leaves unchanged: red top-left, green top-right, blue bottom,
/// white stripe down the left edge.
pub(crate) fn upright_picture(width: u32, height: u32) -> RgbImage {
    RgbImage::from_fn(width, height, |x, y| {
        if x < width / 10 {
            Rgb([255, 255, 255])
        } else if y >= height / 2 {
            Rgb([0, 0, 255])
        } else if x < width / 2 {
            Rgb([255, 0, 0])
        } else {
            Rgb([0, 255, 0])
        }
    })
}

/// The orientation that undoes `o` (6 and 8 are each other's inverse; the others undo themselves).
fn inverse(o: u8) -> u8 {
    match o {
        6 => 8,
        8 => 6,
        o => o,
    }
}

fn jpeg(image: &RgbImage) -> Vec<u8> {
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 92).encode_image(image).expect("encode");
    out
}

/// A little-endian TIFF IFD of SHORT/LONG entries `(tag, type, value)`, starting at `at`.
fn ifd(entries: &[(u16, u16, u32)], next: u32) -> Vec<u8> {
    let mut out = (entries.len() as u16).to_le_bytes().to_vec();
    for &(tag, kind, value) in entries {
        out.extend_from_slice(&tag.to_le_bytes());
        out.extend_from_slice(&kind.to_le_bytes());
        out.extend_from_slice(&1u32.to_le_bytes());
        out.extend_from_slice(&value.to_le_bytes());
    }
    out.extend_from_slice(&next.to_le_bytes());
    out
}

/// A JPEG of `stored` pixels whose EXIF says orientation `o`, with `thumb` embedded in IFD1 when given.
pub(crate) fn photo(stored: &RgbImage, o: u8, thumb: Option<&[u8]>) -> Vec<u8> {
    let ifd0_at = 8u32;
    let ifd0_len = 2 + 12 + 4;
    let ifd1_at = ifd0_at + ifd0_len;
    let ifd1_len = 2 + 2 * 12 + 4;
    let thumb_at = ifd1_at + ifd1_len;
    let mut tiff = b"II\x2a\x00\x08\x00\x00\x00".to_vec();
    tiff.extend(ifd(&[(0x0112, 3, u32::from(o))], if thumb.is_some() { ifd1_at } else { 0 }));
    if let Some(thumb) = thumb {
        tiff.extend(ifd(&[(0x0201, 4, thumb_at), (0x0202, 4, thumb.len() as u32)], 0));
        tiff.extend_from_slice(thumb);
    }
    let body = jpeg(stored);
    let mut out = vec![0xFF, 0xD8, 0xFF, 0xE1];
    out.extend_from_slice(&((2 + 6 + tiff.len()) as u16).to_be_bytes());
    out.extend_from_slice(b"Exif\0\0");
    out.extend_from_slice(&tiff);
    out.extend_from_slice(&body[2..]);
    out
}

/// Mean absolute difference per channel between `got` and `want` resized to `got`'s size.
fn difference(got: &RgbaImage, want: &RgbImage) -> f64 {
    let want = image::imageops::resize(want, got.width(), got.height(), image::imageops::FilterType::Triangle);
    let total: u64 = got
        .pixels()
        .zip(want.pixels())
        .map(|(a, b)| (0..3).map(|c| u64::from(a.0[c].abs_diff(b.0[c]))).sum::<u64>())
        .sum();
    total as f64 / (f64::from(got.width() * got.height()) * 3.0)
}

pub(crate) fn stored_for(upright: &RgbImage, o: u8) -> RgbImage {
    let mut stored = DynamicImage::ImageRgb8(upright.clone());
    stored.apply_orientation(Orientation::from_exif(inverse(o)).expect("orientation"));
    stored.into_rgb8()
}

#[test]
fn every_exif_orientation_gives_an_upright_thumbnail_from_the_whole_file() {
    let upright = upright_picture(640, 480);
    for o in 1..=8 {
        let file = photo(&stored_for(&upright, o), o, None);
        let Thumbnail::Image(thumb) = from_file(b"IMG_1.jpg", &file).expect("thumbnail") else { panic!("placeholder") };
        assert_eq!((thumb.width(), thumb.height()), (256, 192), "orientation {o}");
        let diff = difference(&thumb, &upright);
        assert!(diff < 12.0, "orientation {o}: the thumbnail is not upright (difference {diff:.1})");
    }
}

#[test]
fn every_exif_orientation_gives_an_upright_thumbnail_from_the_embedded_one_in_the_head() {
    let upright = upright_picture(640, 480);
    for o in 1..=8 {
        let stored = stored_for(&upright, o);
        let small = image::imageops::resize(
            &stored,
            stored.width() / 4,
            stored.height() / 4,
            image::imageops::FilterType::Triangle,
        );
        let file = photo(&stored, o, Some(&jpeg(&small)));
        let head = &file[..file.len().min(HEAD_BYTES)];
        let thumb = from_head(head).expect("an embedded thumbnail");
        assert_eq!((thumb.width(), thumb.height()), (160, 120), "orientation {o}");
        let diff = difference(&thumb, &upright);
        assert!(diff < 12.0, "orientation {o}: the embedded thumbnail is not upright (difference {diff:.1})");
    }
}

#[test]
fn a_head_without_an_embedded_thumbnail_or_cut_before_its_end_gives_none() {
    let upright = upright_picture(320, 240);
    assert!(from_head(&photo(&upright, 1, None)).is_none());
    let small = jpeg(&image::imageops::resize(&upright, 80, 60, image::imageops::FilterType::Triangle));
    let file = photo(&upright, 1, Some(&small));
    assert!(from_head(&file[..40]).is_none(), "a head cut inside the EXIF block");
    assert!(from_head(b"not a jpeg at all").is_none());
}

#[test]
fn a_12_megapixel_jpeg_is_decoded_at_an_eighth_of_its_size() {
    let big = upright_picture(4000, 3000);
    let file = jpeg(&big);
    let decoded = decode_jpeg_scaled(&file, THUMB_SIZE).expect("decode");
    assert_eq!((decoded.width(), decoded.height()), (500, 375), "the decoder did not scale on decode");
    let Thumbnail::Image(thumb) = from_file(b"IMG.JPG", &file).expect("thumbnail") else { panic!("placeholder") };
    assert_eq!((thumb.width(), thumb.height()), (256, 192));
}

#[test]
fn screenshots_are_scaled_and_heic_and_video_get_a_placeholder() {
    let mut png = Vec::new();
    DynamicImage::ImageRgb8(upright_picture(1080, 2400))
        .write_to(&mut Cursor::new(&mut png), image::ImageFormat::Png)
        .expect("png");
    let Thumbnail::Image(thumb) = from_file(b"Screenshot_1.png", &png).expect("thumbnail") else { panic!() };
    assert_eq!((thumb.width(), thumb.height()), (115, 256));
    assert_eq!(
        from_file(b"IMG_1.HEIC", b"....ftypheic").expect("placeholder"),
        Thumbnail::Placeholder { kind: "HEIC photo" }
    );
    assert_eq!(from_file(b"VID_1.mp4", b"").expect("placeholder"), Thumbnail::Placeholder { kind: "Video" });
    assert!(from_file(b"broken.jpg", &jpeg(&upright_picture(64, 64))[..300]).is_err());
}

#[test]
fn a_thumbnail_survives_the_disk_cache_encoding() {
    let thumb = DynamicImage::ImageRgb8(upright_picture(256, 192)).into_rgba8();
    let bytes = encode(&thumb).expect("encode");
    let back = image::load_from_memory(&bytes).expect("decode").into_rgba8();
    assert_eq!(back.dimensions(), (256, 192));
    assert!(difference(&back, &upright_picture(256, 192)) < 6.0);
}

/// The shared real-photo fixtures, when present beside the project.
pub(crate) fn fixtures() -> Option<std::path::PathBuf> {
    let dir = crate::virtual_phone::sample::fixtures_dir();
    dir.is_dir().then_some(dir)
}

#[test]
fn the_real_orientation_fixtures_all_come_out_like_orientation_1() {
    let Some(dir) = fixtures() else {
        eprintln!("skipped: the shared fixtures are not beside the project");
        return;
    };
    for shape in ["landscape", "portrait"] {
        let thumb_of = |o: u32| {
            let bytes = std::fs::read(dir.join(format!("orientation/{shape}_{o}.jpg"))).expect("fixture");
            match from_file(b"x.jpg", &bytes).expect("thumbnail") {
                Thumbnail::Image(image) => image,
                Thumbnail::Placeholder { .. } => panic!("placeholder"),
            }
        };
        let reference = DynamicImage::ImageRgba8(thumb_of(1)).into_rgb8();
        for o in 2..=8 {
            let thumb = thumb_of(o);
            assert_eq!(thumb.dimensions(), reference.dimensions(), "{shape}_{o}");
            // Each fixture shows its orientation number in large digits (about 14-16 apart when upright);
            // a picture left unrotated or unflipped is 40-75 apart.
            let diff = difference(&thumb, &reference);
            assert!(diff < 25.0, "{shape}_{o} is not upright (difference {diff:.1})");
        }
    }
}

#[test]
fn damaged_real_photos_never_panic() {
    let Some(dir) = fixtures() else {
        eprintln!("skipped: the shared fixtures are not beside the project");
        return;
    };
    for entry in std::fs::read_dir(dir.join("invalid")).expect("fixtures").flatten() {
        let bytes = std::fs::read(entry.path()).expect("read");
        let _ = from_head(&bytes[..bytes.len().min(HEAD_BYTES)]);
        let _ = from_file(entry.file_name().as_encoded_bytes(), &bytes);
    }
}
