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
pub(crate) fn difference(got: &RgbaImage, want: &RgbImage) -> f64 {
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
fn screenshots_are_scaled_and_unreadable_heic_and_video_get_a_placeholder() {
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

/// A JPEG whose EXIF holds `DateTimeOriginal` = `date` (`YYYY:MM:DD HH:MM:SS`) and, when given,
/// `OffsetTimeOriginal` = `offset` (`+09:00`), with `thumb` embedded in IFD1 when given.
pub(crate) fn dated_photo(date: &str, offset: Option<&str>, thumb: Option<&[u8]>) -> Vec<u8> {
    let ascii = |text: &str| {
        let mut bytes = text.as_bytes().to_vec();
        bytes.push(0);
        bytes
    };
    let mut fields = vec![(0x9003u16, ascii(date))];
    if let Some(offset) = offset {
        fields.push((0x9011, ascii(offset)));
    }
    let ifd0_at = 8u32;
    let ifd0_len = 2 + 12 + 4;
    let exif_at = ifd0_at + ifd0_len;
    let exif_len = 2 + 12 * fields.len() as u32 + 4;
    let data_len: u32 = fields.iter().map(|(_, d)| d.len().div_ceil(2) as u32 * 2).sum();
    let ifd1_at = exif_at + exif_len + data_len;
    let thumb_at = ifd1_at + 2 + 2 * 12 + 4;
    let mut tiff = b"II\x2a\x00\x08\x00\x00\x00".to_vec();
    tiff.extend(ifd(&[(0x8769, 4, exif_at)], if thumb.is_some() { ifd1_at } else { 0 }));
    tiff.extend_from_slice(&(fields.len() as u16).to_le_bytes());
    let mut data_at = exif_at + exif_len;
    let mut values = Vec::new();
    for (tag, bytes) in &fields {
        tiff.extend_from_slice(&tag.to_le_bytes());
        tiff.extend_from_slice(&2u16.to_le_bytes());
        tiff.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
        tiff.extend_from_slice(&data_at.to_le_bytes());
        values.extend_from_slice(bytes);
        if bytes.len() % 2 == 1 {
            values.push(0);
        }
        data_at += bytes.len().div_ceil(2) as u32 * 2;
    }
    tiff.extend_from_slice(&0u32.to_le_bytes());
    tiff.extend(values);
    if let Some(thumb) = thumb {
        tiff.extend(ifd(&[(0x0201, 4, thumb_at), (0x0202, 4, thumb.len() as u32)], 0));
        tiff.extend_from_slice(thumb);
    }
    let body = jpeg(&upright_picture(64, 48));
    let mut out = vec![0xFF, 0xD8, 0xFF, 0xE1];
    out.extend_from_slice(&((2 + 6 + tiff.len()) as u16).to_be_bytes());
    out.extend_from_slice(b"Exif\0\0");
    out.extend_from_slice(&tiff);
    out.extend_from_slice(&body[2..]);
    out
}

fn utc(text: &str) -> i64 {
    text.parse::<jiff::Timestamp>().expect("a timestamp").as_second()
}

#[test]
fn the_taken_time_with_an_offset_is_an_instant_whatever_the_local_zone() {
    let photo = dated_photo("2021:03:04 10:15:00", Some("+09:00"), None);
    assert_eq!(taken(&photo), Some(Taken::At(utc("2021-03-04T01:15:00Z"))));
    let west = dated_photo("2021:03:04 10:15:00", Some("-05:30"), None);
    assert_eq!(taken(&west).and_then(Taken::seconds), Some(utc("2021-03-04T15:45:00Z")));
    let local = crate::human::with_time_zone(jiff::tz::TimeZone::fixed(jiff::tz::offset(-8)), || {
        taken(&photo).and_then(Taken::seconds)
    });
    assert_eq!(local, Some(utc("2021-03-04T01:15:00Z")), "the computer's zone does not move an instant");
}

#[test]
fn the_taken_time_without_an_offset_is_read_on_the_local_clock() {
    let photo = dated_photo("2021:03:04 23:30:00", None, None);
    let clock = jiff::civil::date(2021, 3, 4).at(23, 30, 0, 0);
    assert_eq!(taken(&photo), Some(Taken::Clock(clock)));
    let in_zone = |hours: i8| {
        crate::human::with_time_zone(jiff::tz::TimeZone::fixed(jiff::tz::offset(hours)), || {
            let secs = taken(&photo).and_then(Taken::seconds).expect("a time");
            (secs, crate::human::date_time(secs))
        })
    };
    assert_eq!(in_zone(0), (utc("2021-03-04T23:30:00Z"), "2021-03-04 23:30".to_string()));
    // Nine hours east, the same clock reading is an earlier instant, and the day shown is still the camera's.
    assert_eq!(in_zone(9), (utc("2021-03-04T14:30:00Z"), "2021-03-04 23:30".to_string()));
}

#[test]
fn a_blank_zero_or_impossible_taken_date_gives_none() {
    for bad in
        ["0000:00:00 00:00:00", "                   ", "2021:13:04 10:15:00", "2021:02:30 10:15:00", "2021-03-04"]
    {
        assert_eq!(taken(&dated_photo(bad, None, None)), None, "{bad:?}");
    }
    // A bad offset is no offset: the clock reading stays.
    let unsigned = dated_photo("2021:03:04 10:15:00", Some("09:00"), None);
    assert_eq!(taken(&unsigned), Some(Taken::Clock(jiff::civil::date(2021, 3, 4).at(10, 15, 0, 0))));
    assert_eq!(taken(&photo(&upright_picture(32, 24), 1, None)), None, "EXIF without a date");
    assert_eq!(taken(b"\xff\xd8\xff\xd9"), None, "no EXIF at all");
}

#[test]
fn the_taken_time_is_read_from_a_head_cut_at_64_kib() {
    let thumb = jpeg(&upright_picture(40, 30));
    let mut photo = dated_photo("2019:07:01 08:00:00", Some("+02:00"), Some(&thumb));
    photo.extend(std::iter::repeat_n(0u8, 200_000));
    let head = &photo[..HEAD_BYTES];
    assert!(from_head(head).is_some(), "the embedded thumbnail");
    assert_eq!(taken(head), Some(Taken::At(utc("2019-07-01T06:00:00Z"))));
}

#[test]
fn taken_times_round_trip_through_their_cache_line() {
    for t in [Taken::At(-5), Taken::At(1_614_852_900), Taken::Clock(jiff::civil::date(2021, 3, 4).at(10, 15, 7, 0))] {
        assert_eq!(Taken::from_line(&t.to_line()), Some(t), "{}", t.to_line());
    }
    assert_eq!(Taken::from_line("at soon"), None);
    assert_eq!(Taken::from_line("later 5"), None);
}

#[test]
fn the_pool_reports_when_each_photo_was_taken_and_its_disk_cache_keeps_it() {
    let dir = tempfile::tempdir().expect("photos");
    let thumb = jpeg(&upright_picture(40, 30));
    let files = [
        (
            "embedded.jpg",
            dated_photo("2021:03:04 10:15:00", Some("+01:00"), Some(&thumb)),
            Some(Taken::At(utc("2021-03-04T09:15:00Z"))),
        ),
        (
            "whole.jpg",
            dated_photo("2020:01:02 03:04:05", None, None),
            Some(Taken::Clock(jiff::civil::date(2020, 1, 2).at(3, 4, 5, 0))),
        ),
        ("undated.jpg", photo(&upright_picture(32, 24), 1, None), None),
    ];
    let mut keys = Vec::new();
    for (name, bytes, _) in &files {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).expect("write");
        keys.push(ThumbKey { path: local_key_path(&path), size: bytes.len() as u64, mtime: 1 });
    }
    let cache = tempfile::tempdir().expect("cache");
    let wake: std::sync::Arc<dyn Fn() + Send + Sync> = std::sync::Arc::new(|| {});
    for round in ["made", "cached"] {
        let service = ThumbnailService::start_local("L", Some(cache.path()), 1, &wake).expect("start");
        service.request_many(keys.iter().cloned().map(|k| (k, 0)));
        let mut got = std::collections::HashMap::new();
        while got.len() < keys.len() {
            let r = service.next_finished(std::time::Duration::from_secs(20)).expect("a thumbnail");
            assert!(matches!(r.thumb, Ok(Thumbnail::Image(_))), "{round}: {:?}", r.thumb);
            got.insert(r.key, r.taken);
        }
        for ((name, _, want), key) in files.iter().zip(&keys) {
            assert_eq!(got.get(key), Some(want), "{round}: {name}");
        }
        if round == "made" {
            // The second round must come from the cache: the photos are gone.
            for key in &keys {
                std::fs::remove_file(local_path(&key.path)).expect("remove");
            }
        }
    }
}

#[path = "heif_encode.rs"]
pub(crate) mod heif_encode;

fn image_of(thumb: Thumbnail) -> RgbaImage {
    match thumb {
        Thumbnail::Image(image) => image,
        Thumbnail::Placeholder { kind } => panic!("a placeholder ({kind}) instead of a picture"),
    }
}

#[test]
fn the_shared_iphone_heic_gives_an_upright_portrait_thumbnail_from_its_first_64_kib() {
    let Some(dir) = fixtures() else {
        eprintln!("skipped: the shared fixtures are not beside the project");
        return;
    };
    let bytes = std::fs::read(dir.join("mobile/iphone_13_pro_max.HEIC")).expect("fixture");
    // Its `iloc` places the 320x240 thumbnail item (item 50) right after `meta`, 20815 bytes at 3765.
    let locations = heif::item_locations(&bytes[..HEAD_BYTES]).expect("iloc in the head");
    let thumb_item = locations.iter().find(|l| l.item == 50).expect("item 50");
    assert_eq!(thumb_item.extents, Some(vec![(3765, 20815)]));
    let heif::FromHead::Image(thumb, taken) = heif::thumb_from_head(&bytes[..HEAD_BYTES], bytes.len() as u64) else {
        panic!("no thumbnail from the head")
    };
    // Its EXIF item (also in the head) says 2022:02:16 12:55:41 at +01:00.
    let want = Some(Taken::At(
        jiff::civil::date(2022, 2, 16)
            .at(11, 55, 41, 0)
            .to_zoned(jiff::tz::TimeZone::UTC)
            .expect("utc")
            .timestamp()
            .as_second(),
    ));
    assert_eq!(taken, want);
    assert_eq!(heif::taken(&bytes), want);
    // Stored 4032x3024 with `irot`: shown portrait, 3:4.
    assert_eq!(thumb.dimensions(), (192, 256));
    let whole = image_of(from_file(b"IMG_0001.HEIC", &bytes).expect("thumbnail"));
    assert_eq!(whole.dimensions(), (192, 256));
    let big = preview(b"IMG_0001.HEIC", &bytes, 1024).expect("preview");
    assert_eq!(big.dimensions, Some((3024, 4032)));
    let big = image_of(big.picture);
    assert_eq!(big.dimensions(), (768, 1024));
    // The thumbnail item shows what the primary image shows (the same way up).
    let primary = DynamicImage::ImageRgba8(big).into_rgb8();
    let diff = difference(&thumb, &primary);
    assert!(diff < 12.0, "the thumbnail item differs from the photo (difference {diff:.1})");
    let turned = DynamicImage::ImageRgb8(primary).rotate180().into_rgb8();
    assert!(difference(&thumb, &turned) > diff + 10.0, "the comparison cannot tell a turned picture");
}

/// Where the `meta` box of a HEIF file ends (the head a phone's file would give, before any picture data).
fn meta_end(file: &[u8]) -> usize {
    let mut at = 0;
    loop {
        let size = u32::from_be_bytes(file[at..at + 4].try_into().expect("box")) as usize;
        at += size;
        if &file[at - size + 4..at - size + 8] == b"meta" {
            return at;
        }
    }
}

#[test]
fn a_generated_heic_with_a_thumbnail_item_at_its_end_asks_for_that_much_and_decodes_it() {
    let upright = upright_picture(640, 480);
    let Some(file) = heif_encode::encode_with_thumbnail(&upright, 160, 60) else {
        eprintln!("skipped: heif-enc (libheif-examples) is not installed");
        return;
    };
    let head = &file[..meta_end(&file)];
    let heif::FromHead::Needs(end) = heif::thumb_from_head(head, file.len() as u64) else {
        panic!("heif-enc writes the thumbnail after the photo: the head should not hold it")
    };
    assert_eq!(end, file.len() as u64, "the thumbnail item ends the file");
    let heif::FromHead::Image(thumb, _) = heif::thumb_from_head(&file[..end as usize], file.len() as u64) else {
        panic!("no thumbnail from the start up to its end")
    };
    assert_eq!(thumb.dimensions(), (160, 120), "the thumbnail item itself");
    let diff = difference(&thumb, &upright);
    assert!(diff < 12.0, "difference {diff:.1}");
    let thumb = image_of(from_file(b"x.heic", &file).expect("thumbnail"));
    assert_eq!(thumb.dimensions(), (160, 120), "the whole file uses the thumbnail item too");
}

/// The `irot`/`imir` properties that show a picture stored as for EXIF orientation `o` upright (HEIF applies them
/// in the order listed; `irot` turns anticlockwise; `imir` mode 0 swaps top and bottom, 1 left and right, as
/// the amended HEIF standard and libheif read it).
pub(crate) fn heif_transforms(o: u8) -> Vec<(&'static [u8; 4], u8)> {
    match o {
        2 => vec![(b"imir", 1)],
        3 => vec![(b"irot", 2)],
        4 => vec![(b"imir", 0)],
        5 => vec![(b"irot", 3), (b"imir", 1)],
        6 => vec![(b"irot", 3)],
        7 => vec![(b"irot", 1), (b"imir", 1)],
        8 => vec![(b"irot", 1)],
        _ => vec![],
    }
}

#[test]
fn every_irot_and_imir_gives_an_upright_thumbnail_and_preview() {
    let upright = upright_picture(640, 480);
    for o in 1..=8 {
        let stored = stored_for(&upright, o);
        let props = heif_transforms(o);
        // Without a thumbnail item: the whole file, its primary image turned by libheif.
        let file = heif_encode::with_transforms(&heif_encode::encode(&stored, heif_encode::Codec::Hevc, 60), &props);
        let head = &file[..file.len().min(HEAD_BYTES)];
        assert_eq!(heif::thumb_from_head(head, file.len() as u64), heif::FromHead::Whole, "orientation {o}");
        let thumb = image_of(from_file(b"IMG_1.heic", &file).expect("thumbnail"));
        assert_eq!(thumb.dimensions(), (256, 192), "orientation {o}");
        let diff = difference(&thumb, &upright);
        assert!(diff < 12.0, "orientation {o}: the photo is not upright (difference {diff:.1})");
        let big = preview(b"IMG_1.heic", &file, 2048).expect("preview");
        assert_eq!(big.dimensions, Some((640, 480)), "orientation {o}");
        // With a thumbnail item (after the photo, as heif-enc writes it): turned here.
        let Some(file) = heif_encode::encode_with_thumbnail(&stored, 160, 60) else {
            eprintln!("skipped the thumbnail items: heif-enc (libheif-examples) is not installed");
            continue;
        };
        let file = heif_encode::with_transforms(&file, &props);
        let heif::FromHead::Needs(end) = heif::thumb_from_head(&file[..meta_end(&file)], file.len() as u64) else {
            panic!("orientation {o}: the thumbnail item is not after the head")
        };
        let heif::FromHead::Image(thumb, _) = heif::thumb_from_head(&file[..end as usize], file.len() as u64) else {
            panic!("orientation {o}: no thumbnail from the start up to its end")
        };
        assert_eq!(thumb.dimensions(), (160, 120), "orientation {o}");
        let diff = difference(&thumb, &upright);
        assert!(diff < 12.0, "orientation {o}: the thumbnail item is not upright (difference {diff:.1})");
    }
}

#[test]
fn an_avif_decodes_upright_too() {
    let upright = upright_picture(640, 480);
    let file = heif_encode::with_transforms(
        &heif_encode::encode(&stored_for(&upright, 6), heif_encode::Codec::Av1, 60),
        &heif_transforms(6),
    );
    let thumb = image_of(from_file(b"photo.avif", &file).expect("thumbnail"));
    assert_eq!(thumb.dimensions(), (256, 192));
    let diff = difference(&thumb, &upright);
    assert!(diff < 12.0, "difference {diff:.1}");
}

#[test]
fn a_cut_or_damaged_heic_gives_a_placeholder_and_never_panics() {
    let placeholder = Thumbnail::Placeholder { kind: "HEIC photo" };
    let file = heif_encode::encode(&upright_picture(320, 240), heif_encode::Codec::Hevc, 60);
    for cut in [0, 12, 40, file.len() / 3, file.len() - 1] {
        let part = &file[..cut];
        assert_eq!(from_file(b"a.heic", part).expect("no error"), placeholder, "cut at {cut}");
        assert_eq!(heif::thumb_from_head(part, file.len() as u64), heif::FromHead::Whole, "cut at {cut}");
        let shown = preview(b"a.heic", part, 512).expect("no error");
        assert_eq!((shown.picture, shown.dimensions), (placeholder.clone(), None));
    }
    // Noise over its item data, and a `meta` box whose sizes lie.
    let mut noisy = file.clone();
    for (i, b) in noisy.iter_mut().enumerate().skip(file.len() / 2) {
        *b ^= (i * 7) as u8;
    }
    let _ = from_file(b"a.heic", &noisy).expect("no error");
    let mut lying = file.clone();
    if let Some(at) = lying.windows(4).position(|w| w == b"iloc") {
        lying[at - 4..at].copy_from_slice(&u32::MAX.to_be_bytes());
    }
    let _ = from_file(b"a.heic", &lying).expect("no error");
    let _ = heif::thumb_from_head(&lying, u64::MAX);
    assert_eq!(heif::item_locations(b"\0\0\0\x10meta"), None);
    // A JPEG saved under a .heic name is still read as the JPEG it is.
    let jpeg_named_heic = jpeg(&upright_picture(64, 48));
    assert!(matches!(from_file(b"b.heic", &jpeg_named_heic).expect("thumbnail"), Thumbnail::Image(_)));
}
