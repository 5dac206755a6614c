//! Thumbnails from a virtual phone through the real adb server: the heads of a screenful of photos in one shell
//! command, embedded EXIF thumbnails upright, and hostile or missing files handled.

use crate::util::{AdbServer, HOSTILE_NAMES, device_of, noise, phone_with_dir, write_file};
use phonebak::backup::CancelToken;
use phonebak::scan::{ScanOptions, scan};
use phonebak::thumbnails::{self, HEAD_BYTES, PictureKind, ThumbKey, ThumbResult, Thumbnail, ThumbnailService};
use phonebak::virtual_phone::sample::SampleOptions;
use phonebak::virtual_phone::{Config, StorageSource, VirtualPhone};
use std::os::unix::ffi::OsStrExt;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

#[test]
fn a_screenful_of_sample_photos_is_read_in_one_command_and_gives_upright_thumbnails() {
    let server = AdbServer::start();
    let phone = VirtualPhone::start(Config {
        storage: StorageSource::Sample(SampleOptions { photos: 60, seed: 21, huge_video: false }),
        ..Config::default()
    })
    .expect("sample phone");
    server.connect(&phone, "device");
    let device = device_of(&server, &phone);
    let gallery = scan(&device, &ScanOptions::default(), &|_| {}, &CancelToken::new()).expect("scan");
    let camera = gallery.folder("DCIM/Camera").expect("camera");
    let photos: Vec<_> = camera.files.iter().filter(|f| f.path.ends_with(b".jpg")).take(48).collect();
    let paths: Vec<&[u8]> = photos.iter().map(|f| f.path.as_slice()).collect();
    let before = phone.stats();
    let heads = thumbnails::read_heads(&device, &paths, HEAD_BYTES).expect("heads");
    let after = phone.stats();
    assert_eq!(after.shell_commands - before.shell_commands, 1, "one command for the screenful");
    let read = after.bytes_to_host - before.bytes_to_host;
    assert!(read < 48 * (HEAD_BYTES as u64 + 4096), "read {read} bytes: more than the heads");
    let (mut embedded, mut portrait) = (0, 0);
    for (file, head) in photos.iter().zip(&heads) {
        let head = head.as_ref().expect("a readable photo");
        assert_eq!(head.len() as u64, file.size.min(HEAD_BYTES as u64));
        let Some(thumb) = thumbnails::from_head(head) else { continue };
        embedded += 1;
        // The sample's pictures are landscape; EXIF orientations 6 and 8 make them portrait.
        let o = thumbnails::orientation(head);
        assert_eq!(thumb.height() > thumb.width(), o == 6 || o == 8, "orientation {o}: {:?}", thumb.dimensions());
        portrait += usize::from(thumb.height() > thumb.width());
    }
    assert!(embedded >= photos.len() / 2, "only {embedded} of {} photos had an embedded thumbnail", photos.len());
    assert!(portrait > 0, "no rotated photo among {embedded}");
    // A photo without an embedded thumbnail is decoded whole, downscaled.
    let without = photos.iter().zip(&heads).find(|(_, h)| h.as_deref().and_then(thumbnails::from_head).is_none());
    if let Some((file, _)) = without {
        let mut bytes = Vec::new();
        device.pull(&file.path, &mut bytes, &mut |_| Ok(())).expect("pull");
        let Thumbnail::Image(thumb) = thumbnails::from_file(&file.path, &bytes).expect("thumbnail") else {
            panic!("a placeholder for a JPEG")
        };
        assert!(thumb.width().max(thumb.height()) == thumbnails::THUMB_SIZE, "{:?}", thumb.dimensions());
    }
}

#[test]
fn heads_of_hostile_names_are_read_byte_exact_and_missing_files_give_none() {
    let server = AdbServer::start();
    let (dir, phone) = phone_with_dir(Config::default());
    let mut paths = Vec::new();
    let mut contents = Vec::new();
    for (i, name) in HOSTILE_NAMES.iter().enumerate() {
        let content = noise(1_000 + i * 40_000, i as u64);
        write_file(&dir.path().join("DCIM").join(std::ffi::OsStr::from_bytes(name)), &content, 1_650_000_000);
        let mut path = b"/storage/emulated/0/DCIM/".to_vec();
        path.extend_from_slice(name);
        paths.push(path);
        contents.push(content);
    }
    paths.insert(3, b"/storage/emulated/0/DCIM/gone.jpg".to_vec());
    server.connect(&phone, "device");
    let device = device_of(&server, &phone);
    let refs: Vec<&[u8]> = paths.iter().map(Vec::as_slice).collect();
    let heads = thumbnails::read_heads(&device, &refs, 65_536).expect("heads");
    assert_eq!(heads.len(), paths.len());
    assert_eq!(heads[3], None, "a missing file");
    let got: Vec<&Vec<u8>> =
        heads.iter().enumerate().filter(|(i, _)| *i != 3).map(|(_, h)| h.as_ref().expect("read")).collect();
    for (head, content) in got.into_iter().zip(&contents) {
        assert!(head.as_slice() == &content[..content.len().min(65_536)], "a head differs");
    }
    assert!(!dir.path().join("pwned").exists() && !dir.path().join("DCIM/pwned").exists(), "a name ran");
}

fn sample_phone(server: &AdbServer, photos: usize) -> VirtualPhone {
    let phone = VirtualPhone::start(Config {
        storage: StorageSource::Sample(SampleOptions { photos, seed: 33, huge_video: false }),
        ..Config::default()
    })
    .expect("sample phone");
    server.connect(&phone, "device");
    phone
}

fn keys_of(device: &phonebak::device::Device) -> Vec<ThumbKey> {
    let gallery = scan(device, &ScanOptions::default(), &|_| {}, &CancelToken::new()).expect("scan");
    let camera = gallery.folder("DCIM/Camera").expect("camera");
    camera.files.iter().map(|f| ThumbKey { path: f.path.clone(), size: f.size, mtime: f.mtime }).collect()
}

fn quiet() -> Arc<dyn Fn() + Send + Sync> {
    Arc::new(|| {})
}

/// When a JPEG was taken by its EXIF, worked out here independently of phonebak: `DateTimeOriginal` read as
/// UTC, less `OffsetTimeOriginal` when there is one.
pub(crate) fn exif_taken_utc(head: &[u8]) -> Option<i64> {
    let exif = exif::Reader::new().read_from_container(&mut std::io::Cursor::new(head)).ok()?;
    let ascii = |tag| match &exif.get_field(tag, exif::In::PRIMARY)?.value {
        exif::Value::Ascii(v) => v.first().and_then(|t| String::from_utf8(t.clone()).ok()),
        _ => None,
    };
    let text = ascii(exif::Tag::DateTimeOriginal)?;
    let num = |r: std::ops::Range<usize>| text.get(r)?.parse::<i8>().ok();
    let year = text.get(0..4)?.parse::<i16>().ok()?;
    let clock =
        jiff::civil::DateTime::new(year, num(5..7)?, num(8..10)?, num(11..13)?, num(14..16)?, num(17..19)?, 0).ok()?;
    let utc = jiff::tz::TimeZone::UTC.to_timestamp(clock).ok()?.as_second();
    let offset = ascii(exif::Tag::OffsetTimeOriginal).and_then(|o| {
        let minutes = o.get(1..3)?.parse::<i64>().ok()? * 60 + o.get(4..6)?.parse::<i64>().ok()?;
        Some(if o.starts_with('-') { -minutes } else { minutes })
    });
    Some(utc - offset.unwrap_or(0) * 60)
}

/// Every thumbnail says when its photo was taken, as its EXIF says (photos without an offset read on a UTC clock
/// here), a HEIC's from its EXIF item (kamadak-exif reads HEIF itself); videos say nothing. Most sample photos'
/// EXIF date is their file's date.
fn assert_taken_is_the_exif_date(device: &phonebak::device::Device, results: &[ThumbResult]) {
    let paths: Vec<&[u8]> = results.iter().map(|r| r.key.path.as_slice()).collect();
    let heads = thumbnails::read_heads(device, &paths, HEAD_BYTES).expect("heads");
    let mut dated = 0;
    for (r, head) in results.iter().zip(heads) {
        let name = String::from_utf8_lossy(&r.key.path).into_owned();
        let want = if matches!(PictureKind::of(&r.key.path), PictureKind::Jpeg | PictureKind::Heic) {
            head.as_deref().and_then(exif_taken_utc)
        } else {
            None
        };
        let got = r.taken.and_then(|t| phonebak::human::with_time_zone(jiff::tz::TimeZone::UTC, || t.seconds()));
        assert_eq!(got, want, "{name}: {:?}", r.taken);
        dated += usize::from(got == Some(r.key.mtime));
    }
    assert!(dated > 10, "only {dated} photos dated as their files");
}

fn collect(service: &ThumbnailService, count: usize) -> Vec<ThumbResult> {
    let mut got = Vec::new();
    while got.len() < count {
        let Some(result) = service.next_finished(Duration::from_secs(30)) else {
            panic!("only {} of {count} thumbnails", got.len())
        };
        got.push(result);
    }
    got
}

#[test]
fn the_pool_serves_the_most_urgent_first_and_the_disk_cache_after_reconnecting() {
    let server = AdbServer::start();
    let phone = sample_phone(&server, 40);
    let device = device_of(&server, &phone);
    let keys: Vec<ThumbKey> = keys_of(&device).into_iter().take(40).collect();
    let cache = tempfile::tempdir().expect("cache");
    let wakes = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&wakes);
    let wake: Arc<dyn Fn() + Send + Sync> = Arc::new(move || {
        counter.fetch_add(1, Ordering::SeqCst);
    });
    let service = ThumbnailService::start(&device, "VIRT0001", Some(cache.path()), 1, &wake).expect("start");
    // The last keys are the most urgent (they are on screen).
    service.request_many(keys.iter().cloned().enumerate().map(|(i, k)| (k, -(i as i64))));
    let got = collect(&service, keys.len());
    // The most urgent group's heads come in first; its photos without an embedded thumbnail (their whole file
    // is needed) may come after the heads of the next rows.
    let urgent: std::collections::HashSet<&ThumbKey> = keys.iter().rev().take(24).collect();
    let leading = got.iter().take_while(|r| urgent.contains(&r.key)).count();
    let whole: usize = got.iter().filter(|r| urgent.contains(&r.key)).skip(leading).count();
    assert!(leading >= 18, "only {leading} of the first arrivals were the most urgent ones");
    assert_eq!(leading + whole, 24, "an urgent thumbnail went missing");
    assert_taken_is_the_exif_date(&device, &got);
    for ThumbResult { key, thumb, .. } in &got {
        match thumb {
            Ok(Thumbnail::Image(image)) => assert!(image.width().max(image.height()) <= thumbnails::THUMB_SIZE),
            Ok(Thumbnail::Placeholder { kind }) => {
                assert!(PictureKind::of(&key.path).placeholder().is_some(), "{kind} for a picture we can decode");
            }
            Err(e) => panic!("{}: {e}", String::from_utf8_lossy(&key.path)),
        }
    }
    // The worker wakes the GUI just after each send.
    let deadline = std::time::Instant::now() + Duration::from_secs(2);
    while wakes.load(Ordering::SeqCst) < keys.len() && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    assert!(wakes.load(Ordering::SeqCst) >= keys.len(), "the GUI was not woken for each thumbnail");
    drop(service);

    // Reconnecting: a new pool with the same cache shows the grid without asking the phone anything.
    let before = phone.stats();
    let service = ThumbnailService::start(&device, "VIRT0001", Some(cache.path()), 2, &quiet()).expect("start");
    service.request_many(keys.iter().cloned().map(|k| (k, 0)));
    let again = collect(&service, keys.len());
    let after = phone.stats();
    let images = again.iter().filter(|r| matches!(r.thumb, Ok(Thumbnail::Image(_)))).count();
    assert_taken_is_the_exif_date(&device, &again);
    let placeholders = keys.iter().filter(|k| PictureKind::of(&k.path).placeholder().is_some()).count();
    assert_eq!(images + placeholders, keys.len());
    assert_eq!(after.bytes_to_host - before.bytes_to_host, 0, "the cached thumbnails were read from the phone again");
}

#[test]
fn withdrawn_requests_are_not_made() {
    let server = AdbServer::start();
    let phone = sample_phone(&server, 120);
    let device = device_of(&server, &phone);
    let keys = keys_of(&device);
    assert!(keys.len() > 100);
    let service = ThumbnailService::start(&device, "VIRT0001", None, 1, &quiet()).expect("start");
    service.request_many(keys.iter().cloned().map(|k| (k, 1)));
    // Scrolled away: only the first ten rows stay wanted.
    let wanted: std::collections::HashSet<ThumbKey> = keys.iter().take(10).cloned().collect();
    service.retain(|k| wanted.contains(k));
    assert!(service.waiting() <= 10);
    let mut got = Vec::new();
    while let Some(result) = service.next_finished(Duration::from_secs(3)) {
        got.push(result.key);
    }
    // At most the group a worker had already taken, plus what was still wanted.
    assert!(got.len() <= 24 + 10, "{} thumbnails made after withdrawing", got.len());
    assert!(got.len() < keys.len());
}

#[path = "../../src/thumbnails/heif_encode.rs"]
mod heif_encode;

/// A picture no turn or flip leaves unchanged, with detail enough to make a file of some size.
fn textured(width: u32, height: u32) -> image::RgbImage {
    image::RgbImage::from_fn(width, height, |x, y| {
        let top = y < height / 2;
        let left = x < width / 2;
        let base = if top && left {
            [220, 40, 40]
        } else if top {
            [40, 200, 40]
        } else {
            [40, 40, 220]
        };
        let grain = ((x * 7 + y * 13) % 31) as u8;
        image::Rgb(base.map(|c: u8| c.saturating_add(grain)))
    })
}

#[test]
fn heic_photos_on_the_phone_show_as_pictures_and_the_iphone_one_from_its_head_alone() {
    let server = AdbServer::start();
    let (dir, phone) = phone_with_dir(Config::default());
    let camera = dir.path().join("DCIM/Camera");
    let iphone =
        std::fs::read(phonebak::virtual_phone::sample::fixtures_dir().join("mobile/iphone_13_pro_max.HEIC")).ok();
    if let Some(bytes) = &iphone {
        write_file(&camera.join("IMG_0001.HEIC"), bytes, 1_650_000_000);
        // Cut inside its thumbnail item's data: a placeholder, and the worker lives on.
        write_file(&camera.join("IMG_0002.HEIC"), &bytes[..12_000], 1_650_000_001);
    }
    let picture = textured(1600, 1200);
    let with_thumb = heif_encode::encode_with_thumbnail(&picture, 240, 60);
    if let Some(bytes) = &with_thumb {
        write_file(&camera.join("with_thumbnail.heic"), bytes, 1_650_000_002);
    }
    write_file(
        &camera.join("without_thumbnail.heic"),
        &heif_encode::encode(&picture, heif_encode::Codec::Hevc, 60),
        1_650_000_003,
    );
    write_file(&camera.join("noise.heic"), &noise(50_000, 9), 1_650_000_004);
    server.connect(&phone, "device");
    let device = device_of(&server, &phone);
    let keys = keys_of(&device);
    let key = |name: &str| keys.iter().find(|k| k.path.ends_with(name.as_bytes())).cloned();
    let service = ThumbnailService::start(&device, "VIRT0001", None, 1, &quiet()).expect("start");

    if let Some(key) = key("IMG_0001.HEIC") {
        let before = phone.stats();
        service.request(key.clone(), 0);
        let got = collect(&service, 1);
        let after = phone.stats();
        let Ok(Thumbnail::Image(image)) = &got[0].thumb else { panic!("{:?}", got[0].thumb) };
        assert_eq!(image.dimensions(), (192, 256), "upright portrait, as the iPhone shows it");
        let taken = got[0].taken.and_then(|t| phonebak::human::with_time_zone(jiff::tz::TimeZone::UTC, || t.seconds()));
        let bytes = iphone.as_deref().unwrap_or_default();
        assert_eq!(taken, exif_taken_utc(&bytes[..HEAD_BYTES]), "the date of its EXIF item");
        assert!(taken.is_some());
        let read = after.bytes_to_host - before.bytes_to_host;
        eprintln!("iPhone HEIC ({} bytes): thumbnail from {read} bytes read from the phone", key.size);
        assert!(read <= (HEAD_BYTES + 4096) as u64, "read {read} bytes: more than the head");
        assert_eq!(after.shell_commands - before.shell_commands, 1, "one command");
    } else {
        eprintln!("skipped the iPhone photo: the shared fixtures are not beside the project");
    }

    let rest: Vec<ThumbKey> = ["IMG_0002.HEIC", "with_thumbnail.heic", "without_thumbnail.heic", "noise.heic"]
        .into_iter()
        .filter_map(key)
        .collect();
    service.request_many(rest.iter().cloned().map(|k| (k, 0)));
    let got = collect(&service, rest.len());
    for result in got {
        let name = String::from_utf8_lossy(&result.key.path).into_owned();
        match (name.rsplit('/').next().unwrap_or_default(), &result.thumb) {
            ("with_thumbnail.heic", Ok(Thumbnail::Image(image))) => {
                assert_eq!(image.dimensions(), (240, 180), "{name}: its thumbnail item");
            }
            ("without_thumbnail.heic", Ok(Thumbnail::Image(image))) => {
                assert_eq!(image.dimensions(), (256, 192), "{name}: its photo scaled");
            }
            ("IMG_0002.HEIC" | "noise.heic", Ok(Thumbnail::Placeholder { kind })) => assert_eq!(*kind, "HEIC photo"),
            (_, other) => panic!("{name}: {other:?}"),
        }
    }
    assert!(with_thumb.is_some() || rest.len() == 3, "heif-enc missing");
}

#[path = "../../src/thumbnails/dng_writer.rs"]
mod dng_writer;

#[test]
fn dng_photos_show_their_preview_read_from_a_prefix_and_never_their_raw() {
    let server = AdbServer::start();
    let (dir, phone) = phone_with_dir(Config::default());
    let upright = image::RgbImage::from_fn(1024, 768, |x, y| match (x < 102, y >= 384, x < 512) {
        (true, _, _) => image::Rgb([255, 255, 255]),
        (_, true, _) => image::Rgb([0, 0, 255]),
        (_, _, true) => image::Rgb([255, 0, 0]),
        _ => image::Rgb([0, 255, 0]),
    });
    // The JPEG preview before an 8 MB raw (Adobe's layout), and one after it, out of reach (only the small
    // RGB thumbnail of IFD0 can be used).
    let (before, _) = dng_writer::dng(&upright, 1, 8_000_000, false);
    let (after, _) = dng_writer::dng(&upright, 1, 8_000_000, true);
    write_file(&dir.path().join("DCIM/Camera/RAW_before.dng"), &before, 1_700_000_000);
    write_file(&dir.path().join("DCIM/Camera/RAW_after.dng"), &after, 1_700_000_100);
    server.connect(&phone, "device");
    let device = device_of(&server, &phone);
    let keys = keys_of(&device);
    assert_eq!(keys.len(), 2);
    let service = ThumbnailService::start(&device, "VIRT0001", None, 1, &quiet()).expect("start");
    let start = phone.stats();
    service.request_many(keys.iter().cloned().map(|k| (k, 0)));
    for result in collect(&service, 2) {
        let name = String::from_utf8_lossy(&result.key.path).into_owned();
        let Ok(Thumbnail::Image(thumb)) = &result.thumb else { panic!("{name}: {:?}", result.thumb) };
        // From the 1024 px JPEG preview: a full tile; from IFD0's 1/8 thumbnail: 128 px.
        let want = if name.ends_with("before.dng") { (256, 192) } else { (128, 96) };
        assert_eq!(thumb.dimensions(), want, "{name}");
        let corner = |x: u32, y: u32| thumb.get_pixel(x * thumb.width() / 8, y * thumb.height() / 8).0;
        assert!(corner(2, 1)[0] > 200 && corner(6, 1)[1] > 200 && corner(4, 6)[2] > 200, "{name}: not upright");
    }
    let read = phone.stats().bytes_to_host - start.bytes_to_host;
    assert!(read < 1_000_000, "read {read} bytes for two tiles: a raw came over");
}
