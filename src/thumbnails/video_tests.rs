//! Video thumbnails from files the `ffmpeg` program makes here: H.264 and HEVC MP4s with the index first and
//! last, a portrait phone video turned by its track matrix, `WebM`, a fragmented MP4, and damaged files.

use super::*;
use crate::thumbnails::tests::{difference, stored_for, upright_picture};
use std::path::Path;

/// Makes a video of `seconds` of the still `picture` (with a sound track, as phones record) with `ffmpeg`,
/// encoded with `codec` into `name` (its extension chooses the container), with extra output `options`.
pub(crate) fn make_video(
    dir: &Path,
    name: &str,
    picture: &image::RgbImage,
    seconds: u32,
    codec: &[&str],
    options: &[&str],
) -> Vec<u8> {
    let png = dir.join(format!("{name}.png"));
    picture.save(&png).expect("picture");
    let out = dir.join(name);
    let status = Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-nostdin", "-y", "-loop", "1", "-framerate", "30", "-i"])
        .arg(&png)
        .args([
            "-f",
            "lavfi",
            "-i",
            "sine=frequency=440:sample_rate=48000",
            "-t",
            &seconds.to_string(),
            "-pix_fmt",
            "yuv420p",
            "-g",
            "30",
        ])
        .args(codec)
        .args(options)
        .arg(&out)
        .status()
        .expect("ffmpeg runs (apt-get install ffmpeg)");
    assert!(status.success(), "ffmpeg made {name}");
    std::fs::read(&out).expect("video")
}

const H264: &[&str] = &["-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac"];
/// H.264 with a loud sound track (a still picture's video is small; phones' sound is interleaved with it).
const H264_LOUD: &[&str] = &["-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", "-b:a", "512k", "-ac", "2"];

/// The top-level boxes of an MP4: (type, offset).
fn top_level(file: &[u8]) -> Vec<([u8; 4], usize)> {
    let mut at = 0;
    let mut out = Vec::new();
    for (kind, body) in boxes(file) {
        out.push((kind, at));
        at = body.as_ptr() as usize - file.as_ptr() as usize + body.len();
    }
    out
}

/// Sets the display matrix of every track of an MP4 to a quarter turn clockwise, as Android writes a portrait
/// video (`setOrientationHint(90)`: a=0, b=1, c=-1, d=0).
pub(crate) fn turn_a_quarter(file: &mut [u8]) {
    let mut at = 0;
    while let Some(found) = file[at..].windows(4).position(|w| w == b"tkhd") {
        let body = at + found + 4;
        let matrix = body + if file[body] == 1 { 4 + 8 + 8 + 4 + 4 + 8 } else { 4 + 4 + 4 + 4 + 4 + 4 } + 16;
        for (i, v) in [0i32, 0x1_0000, 0, -0x1_0000, 0, 0, 0, 0, 0x4000_0000].into_iter().enumerate() {
            file[matrix + 4 * i..matrix + 4 * i + 4].copy_from_slice(&v.to_be_bytes());
        }
        at = body;
    }
}

/// The thumbnail of `file` made as for a phone: through [`frame`], the ranges asked for counted.
fn thumb_by_ranges(file: &[u8]) -> (RgbaImage, Option<Index>, u64) {
    let mut read = 0u64;
    let (image, index) = frame(file.len() as u64, crate::thumbnails::THUMB_SIZE, |spans| {
        read += spans.iter().map(|s| s.1).sum::<u64>();
        spans.iter().map(|&(at, len)| file.get(at as usize..(at + len) as usize).map(<[u8]>::to_vec)).collect()
    });
    (image.expect("a frame of the video"), index, read)
}

#[test]
fn an_mp4_with_its_index_last_or_first_gives_its_first_frame_from_a_few_ranges() {
    let dir = tempfile::tempdir().expect("dir");
    let upright = upright_picture(640, 360);
    for (name, options) in [("last.mp4", &[][..]), ("first.mp4", &["-movflags", "+faststart"][..])] {
        let file = make_video(dir.path(), name, &upright, 8, H264_LOUD, options);
        let boxes: Vec<[u8; 4]> = top_level(&file).into_iter().map(|(k, _)| k).collect();
        let moov = boxes.iter().position(|k| k == b"moov").expect("moov");
        let mdat = boxes.iter().position(|k| k == b"mdat").expect("mdat");
        assert_eq!(moov < mdat, name == "first.mp4", "{name}: {boxes:?}");
        let (thumb, index, read) = thumb_by_ranges(&file);
        assert_eq!((thumb.width(), thumb.height()), (256, 144), "{name}");
        let diff = difference(&thumb, &upright);
        assert!(diff < 14.0, "{name}: the frame is not the picture (difference {diff:.1})");
        let index = index.expect("an index");
        assert!(index.duration_ms.is_some_and(|ms| (7900..=8100).contains(&ms)), "{name}: {index:?}");
        assert_eq!(index.dimensions, Some((640, 360)));
        assert!(read < file.len() as u64 / 2, "{name}: read {read} of {} bytes", file.len());
    }
}

#[test]
fn a_portrait_phone_video_turned_by_its_track_matrix_comes_out_upright() {
    let dir = tempfile::tempdir().expect("dir");
    let upright = upright_picture(360, 640);
    // Stored as the sensor sees it (landscape), shown turned a quarter clockwise, as EXIF orientation 6.
    let stored = stored_for(&upright, 6);
    for (name, codec) in [
        ("turned.mp4", H264),
        (
            "turned_hevc.mp4",
            &[
                "-c:v",
                "libx265",
                "-preset",
                "ultrafast",
                "-x265-params",
                "log-level=error",
                "-tag:v",
                "hvc1",
                "-c:a",
                "aac",
            ][..],
        ),
    ] {
        let mut file = make_video(dir.path(), name, &stored, 2, codec, &[]);
        turn_a_quarter(&mut file);
        let (thumb, index, _) = thumb_by_ranges(&file);
        assert_eq!((thumb.width(), thumb.height()), (144, 256), "{name}");
        let diff = difference(&thumb, &upright);
        assert!(diff < 14.0, "{name}: not upright (difference {diff:.1})");
        assert_eq!(index.and_then(|i| i.dimensions), Some((360, 640)), "{name}: the size as shown");
    }
}

#[test]
fn webm_and_fragmented_mp4_give_a_frame_from_their_first_bytes() {
    let dir = tempfile::tempdir().expect("dir");
    let upright = upright_picture(480, 360);
    let vp9 = ["-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8", "-c:a", "libopus"];
    let webm = make_video(dir.path(), "clip.webm", &upright, 2, &vp9, &[]);
    let fragmented = make_video(dir.path(), "frag.mp4", &upright, 2, H264, &["-movflags", "frag_keyframe+empty_moov"]);
    let length = matroska_duration(&webm[..crate::thumbnails::HEAD_BYTES.min(webm.len())]);
    assert!(length.is_some_and(|ms| ms.abs_diff(2000) < 100), "the WebM's length: {length:?}");
    for end in (0..200.min(webm.len())).step_by(3) {
        let _ = matroska_duration(&webm[..end]);
    }
    for (name, file) in [("clip.webm", webm), ("frag.mp4", fragmented)] {
        let (thumb, _, read) = thumb_by_ranges(&file);
        assert!(read <= STREAM_BYTES + crate::thumbnails::HEAD_BYTES as u64, "{name}: read {read}");
        let diff = difference(&thumb, &upright);
        assert!(diff < 14.0, "{name}: the frame is not the picture (difference {diff:.1})");
    }
}

#[test]
fn damaged_videos_give_no_frame_and_never_panic() {
    let dir = tempfile::tempdir().expect("dir");
    let file = make_video(dir.path(), "whole.mp4", &upright_picture(320, 240), 2, H264, &[]);
    let moov = top_level(&file).into_iter().find(|(k, _)| k == b"moov").expect("moov").1;
    let mut garbled = file.clone();
    for byte in &mut garbled[moov + 8..] {
        *byte = byte.wrapping_mul(31).wrapping_add(7);
    }
    let cut = &file[..moov + 100];
    for (what, bytes) in [
        ("index cut short", cut),
        ("index garbled", &garbled[..]),
        ("not a video", &b"hello, this is text"[..]),
        ("empty", &b""[..]),
    ] {
        let (image, _) = from_bytes(bytes, 256);
        assert!(image.is_err(), "{what}: a frame from nothing");
    }
    // Random boxes: every prefix and many byte flips of a real index parse without panicking.
    let body = &file[moov + 8..];
    for end in (0..body.len()).step_by(97) {
        let _ = parse_moov(&body[..end]);
    }
    let mut flipped = body.to_vec();
    for i in (0..flipped.len()).step_by(13) {
        flipped[i] ^= 0xA5;
        let _ = parse_moov(&flipped);
    }
}

#[test]
fn a_keyframe_past_the_budget_is_not_read() {
    // A video whose index puts its first keyframe 10 MB in: the job gives up rather than read it.
    let mut job = VideoJob::new(100 << 20);
    job.index = Some(Index {
        duration_ms: Some(1000),
        keyframe: Some((10 << 20, MAX_FETCH)),
        dimensions: None,
        fragmented: false,
    });
    job.add(0, b"\0\0\0\x18ftypisom".to_vec());
    assert_eq!(job.step(), Step::GiveUp);
    assert_eq!(job.marks().duration_ms, Some(1000), "the length is still shown");
}

#[test]
fn a_ppm_is_read_and_a_short_one_refused() {
    let ppm = b"P6\n2 1\n255\n\xff\x00\x00\x00\xff\x00";
    let image = parse_ppm(ppm).expect("ppm");
    assert_eq!(image.get_pixel(1, 0).0, [0, 255, 0, 255]);
    assert!(parse_ppm(&ppm[..ppm.len() - 1]).is_none());
    assert!(parse_ppm(b"P5\n2 1\n255\n\0\0").is_none());
}

#[test]
fn durations_read_as_people_write_them() {
    let at = |ms| Marks { duration_ms: Some(ms), motion: false }.duration_text();
    assert_eq!(at(7_250).as_deref(), Some("0:07"));
    assert_eq!(at(2_007).as_deref(), Some("0:02"));
    assert_eq!(at(300).as_deref(), Some("0:01"));
    assert_eq!(at(754_000).as_deref(), Some("12:34"));
    assert_eq!(at(3_723_000).as_deref(), Some("1:02:03"));
    assert_eq!(Marks::default().duration_text(), None);
}
