//! Video thumbnails from a virtual phone through the real adb server: a frame of each video from the few ranges
//! its container says are needed (the head, the `moov` index at the end, the first keyframe), the ranges of a
//! screenful of videos in one shell command per step, upright, with the video's length; damaged videos keep
//! their tile; the preview gets a large frame. Motion photos show their still with a mark and back up as one
//! file. The videos are made here by Debian's `ffmpeg` program.

use crate::util::{AdbServer, device_of, phone_with_dir, write_file};
use phonebak::backup::CancelToken;
use phonebak::scan::{ScanOptions, scan};
use phonebak::thumbnails::{ThumbKey, Thumbnail, ThumbnailService, VIDEO_PLACEHOLDER};
use phonebak::virtual_phone::Config;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

/// Red top-left, green top-right, blue bottom, a white stripe down the left edge: no turn or flip leaves it
/// unchanged.
fn upright_picture(width: u32, height: u32) -> image::RgbImage {
    image::RgbImage::from_fn(width, height, |x, y| match (x < width / 10, y >= height / 2, x < width / 2) {
        (true, _, _) => image::Rgb([255, 255, 255]),
        (_, true, _) => image::Rgb([0, 0, 255]),
        (_, _, true) => image::Rgb([255, 0, 0]),
        _ => image::Rgb([0, 255, 0]),
    })
}

/// Mean difference per channel between `got` and `want` scaled to its size.
fn difference(got: &image::RgbaImage, want: &image::RgbImage) -> f64 {
    let want = image::imageops::resize(want, got.width(), got.height(), image::imageops::FilterType::Triangle);
    let total: u64 = got
        .pixels()
        .zip(want.pixels())
        .map(|(a, b)| (0..3).map(|c| u64::from(a.0[c].abs_diff(b.0[c]))).sum::<u64>())
        .sum();
    total as f64 / (f64::from(got.width() * got.height()) * 3.0)
}

/// A video of `seconds` of `picture` with a loud sound track, written by `ffmpeg` to `out` (the container by
/// its extension), with extra output `options`.
fn make_video(out: &Path, picture: &image::RgbImage, seconds: u32, video: &[&str], options: &[&str]) {
    let png = out.with_extension("png");
    picture.save(&png).expect("picture");
    let status = Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-nostdin", "-y", "-loop", "1", "-framerate", "30", "-i"])
        .arg(&png)
        .args(["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000", "-t", &seconds.to_string()])
        .args(["-pix_fmt", "yuv420p", "-g", "30", "-b:a", "512k", "-ac", "2"])
        .args(video)
        .args(options)
        .arg(out)
        .status()
        .expect("ffmpeg runs (apt-get install ffmpeg)");
    assert!(status.success(), "ffmpeg made {}", out.display());
    std::fs::remove_file(png).expect("remove the picture");
}

const H264: &[&str] = &["-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac"];

#[test]
fn videos_on_the_phone_show_a_frame_from_a_few_ranges_with_their_length() {
    let server = AdbServer::start();
    let (dir, phone) = phone_with_dir(Config::default());
    let camera = dir.path().join("DCIM/Camera");
    std::fs::create_dir_all(&camera).expect("camera");
    let upright = upright_picture(640, 360);
    // Phones write the index last while recording; some apps move it first.
    make_video(&camera.join("VID_index_last.mp4"), &upright, 30, H264, &[]);
    make_video(&camera.join("VID_index_first.mp4"), &upright, 30, H264, &["-movflags", "+faststart"]);
    make_video(&camera.join("it's $(touch pwned) a clip.mp4"), &upright, 3, H264, &[]);
    make_video(
        &camera.join("clip.webm"),
        &upright,
        3,
        &["-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8", "-c:a", "libopus"],
        &[],
    );
    // A damaged one: the start of a real video, then noise.
    let mut broken = std::fs::read(camera.join("VID_index_last.mp4")).expect("video");
    for (i, byte) in broken.iter_mut().enumerate().skip(200) {
        *byte = (i as u8).wrapping_mul(73);
    }
    write_file(&camera.join("VID_broken.mp4"), &broken, 1_700_000_000);
    server.connect(&phone, "device");
    let device = device_of(&server, &phone);
    let gallery = scan(&device, &ScanOptions::default(), &|_| {}, &CancelToken::new()).expect("scan");
    let files = &gallery.folder("DCIM/Camera").expect("camera").files;
    assert_eq!(files.len(), 5);
    let keys: Vec<ThumbKey> =
        files.iter().map(|f| ThumbKey { path: f.path.clone(), size: f.size, mtime: f.mtime }).collect();
    let total: u64 = keys.iter().map(|k| k.size).sum();
    let cache = tempfile::tempdir().expect("cache");
    let quiet: Arc<dyn Fn() + Send + Sync> = Arc::new(|| {});
    let service = ThumbnailService::start(&device, "VIRT", Some(cache.path()), 1, &quiet).expect("start");
    let before = phone.stats();
    service.request_many(keys.iter().cloned().map(|k| (k, 0)));
    let mut results = Vec::new();
    while results.len() < keys.len() {
        results.push(service.next_finished(Duration::from_secs(60)).expect("a thumbnail"));
    }
    let after = phone.stats();
    for result in &results {
        let name = String::from_utf8_lossy(&result.key.path).into_owned();
        if name.ends_with("VID_broken.mp4") {
            assert_eq!(result.thumb.as_ref().ok(), Some(&VIDEO_PLACEHOLDER), "{name}");
            continue;
        }
        let Ok(Thumbnail::Image(thumb)) = &result.thumb else { panic!("{name}: {:?}", result.thumb) };
        assert_eq!((thumb.width(), thumb.height()), (256, 144), "{name}");
        let diff = difference(thumb, &upright);
        assert!(diff < 14.0, "{name}: not the picture, upright (difference {diff:.1})");
        let seconds = if name.contains("VID_index") { 30_000 } else { 3_000 };
        let length = result.marks.duration_ms.expect("a length");
        assert!(length.abs_diff(seconds) < 100, "{name}: {length} ms");
    }
    let read = after.bytes_to_host - before.bytes_to_host;
    assert!(read < total / 2, "read {read} of {total} bytes: more than the few ranges");
    // One command for the heads, one for each further step (the index at the end, the keyframes).
    let commands = after.shell_commands - before.shell_commands;
    assert!(commands <= 4, "{commands} shell commands for the screenful");
    assert!(!dir.path().join("pwned").exists() && !camera.join("pwned").exists(), "a name ran");
    drop(service);

    // Reconnecting: the frames, lengths and the damaged video's tile come from the disk cache.
    let service = ThumbnailService::start(&device, "VIRT", Some(cache.path()), 1, &quiet).expect("start");
    let before = phone.stats();
    service.request_many(keys.iter().cloned().map(|k| (k, 0)));
    for _ in 0..keys.len() {
        let result = service.next_finished(Duration::from_secs(30)).expect("a cached thumbnail");
        let name = String::from_utf8_lossy(&result.key.path).into_owned();
        assert_eq!(result.marks.duration_ms.is_some(), !name.ends_with("VID_broken.mp4"), "{name}");
    }
    assert_eq!(phone.stats().bytes_to_host, before.bytes_to_host, "the cached videos were read again");

    // The preview: a large frame, with the size the video is shown at.
    let last = keys.iter().find(|k| k.path.ends_with(b"VID_index_last.mp4")).expect("video");
    let preview = phonebak::thumbnails::video_preview(Some(&device), None, last, 1024);
    let Thumbnail::Image(frame) = &preview.picture else { panic!("no frame: {:?}", preview.picture) };
    assert_eq!((frame.width(), frame.height()), (640, 360), "not scaled up");
    assert_eq!(preview.dimensions, Some((640, 360)));
}

/// A motion photo as Google's cameras write it (format 2): a JPEG of `picture` whose XMP says
/// `Camera:MotionPhoto` with a `Container:Directory` naming the appended video, then the video.
fn google_motion_photo(picture: &image::RgbImage, video: &[u8]) -> Vec<u8> {
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 90).encode_image(picture).expect("jpeg");
    let xmp = format!(
        "http://ns.adobe.com/xap/1.0/\0<x:xmpmeta xmlns:x=\"adobe:ns:meta/\"><rdf:RDF \
         xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\"><rdf:Description \
         xmlns:Camera=\"http://ns.google.com/photos/1.0/camera/\" \
         xmlns:Container=\"http://ns.google.com/photos/1.0/container/\" \
         xmlns:Item=\"http://ns.google.com/photos/1.0/container/item/\" Camera:MotionPhoto=\"1\" \
         Camera:MotionPhotoVersion=\"1\" Camera:MotionPhotoPresentationTimestampUs=\"0\"><Container:Directory>\
         <rdf:Seq><rdf:li rdf:parseType=\"Resource\"><Container:Item Item:Mime=\"image/jpeg\" Item:Semantic=\"Primary\"/>\
         </rdf:li><rdf:li rdf:parseType=\"Resource\"><Container:Item Item:Mime=\"video/mp4\" \
         Item:Semantic=\"MotionPhoto\" Item:Length=\"{}\"/></rdf:li></rdf:Seq></Container:Directory>\
         </rdf:Description></rdf:RDF></x:xmpmeta>",
        video.len()
    );
    let mut out = jpeg[..2].to_vec();
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&u16::try_from(xmp.len() + 2).expect("short XMP").to_be_bytes());
    out.extend_from_slice(xmp.as_bytes());
    out.extend_from_slice(&jpeg[2..]);
    out.extend_from_slice(video);
    out
}

#[test]
fn motion_photos_show_their_still_with_a_mark_and_back_up_as_the_one_file_they_are() {
    let server = AdbServer::start();
    let (dir, phone) = phone_with_dir(Config::default());
    let camera = dir.path().join("DCIM/Camera");
    std::fs::create_dir_all(&camera).expect("camera");
    let upright = upright_picture(640, 480);
    let clip = tempfile::tempdir().expect("clip");
    make_video(&clip.path().join("clip.mp4"), &upright, 2, H264, &[]);
    let video = std::fs::read(clip.path().join("clip.mp4")).expect("clip");
    let google = google_motion_photo(&upright, &video);
    // An older Samsung one: the still, then a trailer record naming the video (no XMP).
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 90).encode_image(&upright).expect("jpeg");
    let samsung = [&jpeg[..], b"\0\0\x30\x0a\x10\0\0\0MotionPhoto_Data", &video].concat();
    let plain = jpeg.clone();
    write_file(&camera.join("PXL_20231114_103000123.MP.jpg"), &google, 1_700_000_000);
    write_file(&camera.join("20231114_103500.jpg"), &samsung, 1_700_000_300);
    write_file(&camera.join("20231114_104000.jpg"), &plain, 1_700_000_600);
    server.connect(&phone, "device");
    let device = device_of(&server, &phone);
    let gallery = scan(&device, &ScanOptions::default(), &|_| {}, &CancelToken::new()).expect("scan");
    let files = &gallery.folder("DCIM/Camera").expect("camera").files;
    assert_eq!(files.len(), 3, "each motion photo is one file of the gallery");
    let keys: Vec<ThumbKey> =
        files.iter().map(|f| ThumbKey { path: f.path.clone(), size: f.size, mtime: f.mtime }).collect();
    let quiet: Arc<dyn Fn() + Send + Sync> = Arc::new(|| {});
    let service = ThumbnailService::start(&device, "VIRT", None, 1, &quiet).expect("start");
    service.request_many(keys.iter().cloned().map(|k| (k, 0)));
    for _ in 0..keys.len() {
        let result = service.next_finished(Duration::from_secs(60)).expect("a thumbnail");
        let name = String::from_utf8_lossy(&result.key.path).into_owned();
        let Ok(Thumbnail::Image(thumb)) = &result.thumb else { panic!("{name}: {:?}", result.thumb) };
        let diff = difference(thumb, &upright);
        assert!(diff < 12.0, "{name}: the still is not shown upright (difference {diff:.1})");
        assert_eq!(result.marks.motion, !name.ends_with("104000.jpg"), "{name}: the motion mark");
        assert_eq!(result.marks.duration_ms, None, "{name}");
    }
    drop(service);

    // The backup holds each as the one file it is, byte for byte.
    let dest = tempfile::tempdir().expect("dest");
    let out =
        crate::util::phonebak(&server, &[std::ffi::OsStr::new("backup"), "--to".as_ref(), dest.path().as_os_str()]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let folder = dest.path().join("Pixel 7 (VIRT0001)/DCIM/Camera");
    for (name, bytes) in
        [("PXL_20231114_103000123.MP.jpg", &google), ("20231114_103500.jpg", &samsung), ("20231114_104000.jpg", &plain)]
    {
        let got = std::fs::read(folder.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(got == *bytes, "{name}: the backup's copy differs");
    }
    let written: Vec<_> = std::fs::read_dir(&folder).expect("folder").flatten().map(|e| e.file_name()).collect();
    assert_eq!(written.len(), 3, "no file split off: {written:?}");
}
