//! DNG previews from DNGs written here as `DngCreator` and Adobe's converter lay them out: an uncompressed RGB
//! thumbnail in IFD0, the raw and a JPEG preview in `SubIFDs`; checked by `exiftool` when it is installed.

use super::*;
use crate::thumbnails::tests::{difference, stored_for, upright_picture};
use crate::thumbnails::{HEAD_BYTES, Thumbnail};

#[path = "dng_writer.rs"]
pub(crate) mod dng_writer;
use dng_writer::dng;

#[test]
fn a_dng_tile_comes_upright_from_its_preview_in_the_head_whatever_its_orientation() {
    let upright = upright_picture(1024, 768);
    for o in [1, 3, 6, 8] {
        let (file, _) = dng(&stored_for(&upright, o), o, 4_000_000, true);
        let head = &file[..HEAD_BYTES];
        // The 1/8 thumbnail (128 px) is too small for a tile; the JPEG preview is past the raw, beyond reach.
        let FromHead::Image(thumb, _) = thumb_from_head(head, file.len() as u64) else {
            panic!("orientation {o}: no picture from the head")
        };
        let diff = difference(&thumb, &upright);
        assert!(diff < 14.0, "orientation {o}: not upright (difference {diff:.1})");
        assert!(thumb.width() > thumb.height(), "orientation {o}: {:?}", thumb.dimensions());
    }
}

#[test]
fn a_dng_whose_preview_covers_a_tile_asks_for_a_prefix_up_to_it_and_never_for_the_raw() {
    let upright = upright_picture(1024, 768);
    let (first, _) = dng(&upright, 1, 4_000_000, false);
    let FromHead::Needs(end) = thumb_from_head(&first[..HEAD_BYTES], first.len() as u64) else {
        panic!("the JPEG preview (1024 px) lies before the raw: its end is needed")
    };
    assert!(end < 200_000, "{end}");
    let FromHead::Image(thumb, _) = thumb_from_head(&first[..end as usize], first.len() as u64) else {
        panic!("no picture from the prefix")
    };
    assert_eq!(thumb.dimensions(), (256, 192));
    assert!(difference(&thumb, &upright) < 12.0);
    // The large preview: from the JPEG preview, with its size.
    let (big, size) = from_file(&first, 1024).expect("preview");
    assert_eq!((big.dimensions(), size), ((1024, 768), Some((1024, 768))));
    let shown = crate::thumbnails::preview(b"IMG_1.dng", &stored_dng_rotated(), 2048).expect("preview");
    // Stored 768 wide and 1024 high, shown turned a quarter: as the upright picture.
    assert_eq!(shown.dimensions, Some((1024, 768)), "the size as shown, turned");
    let Thumbnail::Image(turned) = shown.picture else { panic!("a placeholder") };
    assert!(difference(&turned, &upright) < 12.0, "the preview is not upright");
}

fn stored_dng_rotated() -> Vec<u8> {
    dng(&stored_for(&upright_picture(1024, 768), 6), 6, 10_000, false).0
}

#[test]
fn damaged_or_foreign_tiffs_give_no_picture_and_never_panic() {
    let (file, _) = dng(&upright_picture(320, 240), 6, 50_000, false);
    for end in (0..4000).step_by(7) {
        let _ = thumb_from_head(&file[..end], file.len() as u64);
        let _ = from_file(&file[..end], 256);
    }
    let mut flipped = file.clone();
    for i in (0..3000).step_by(11) {
        flipped[i] ^= 0x5A;
        let _ = thumb_from_head(&flipped, flipped.len() as u64);
        let _ = from_file(&flipped, 256);
    }
    // An IFD chain that loops back on itself.
    let mut looped = b"II*\0\x08\0\0\0\x01\0\x00\x01\x03\0\x01\0\0\0\x10\0\0\0\x08\0\0\0".to_vec();
    looped.extend_from_slice(&[0; 16]);
    assert_eq!(thumb_from_head(&looped, looped.len() as u64), FromHead::Whole);
    assert!(from_file(b"not a tiff", 256).is_err());
    assert_eq!(
        crate::thumbnails::from_file(b"IMG_2.dng", b"II*\0garbage").expect("placeholder"),
        Thumbnail::Placeholder { kind: "RAW photo" }
    );
}

#[test]
fn exiftool_reads_the_generated_dng_as_a_dng_with_this_preview() {
    let Ok(out) = std::process::Command::new("exiftool").arg("-ver").output() else {
        eprintln!("skipped: exiftool is not installed (apt-get install libimage-exiftool-perl)");
        return;
    };
    assert!(out.status.success());
    let dir = tempfile::tempdir().expect("dir");
    let (file, preview) = dng(&upright_picture(640, 480), 6, 100_000, true);
    let path = dir.path().join("a.dng");
    std::fs::write(&path, &file).expect("write");
    let said = std::process::Command::new("exiftool")
        .args(["-s3", "-FileType", "-Orientation#"])
        .arg(&path)
        .output()
        .expect("exiftool");
    assert_eq!(String::from_utf8_lossy(&said.stdout), "DNG\n6\n", "{}", String::from_utf8_lossy(&said.stderr));
    let got =
        std::process::Command::new("exiftool").args(["-b", "-PreviewImage"]).arg(&path).output().expect("exiftool");
    assert!(got.stdout == preview, "exiftool finds another preview ({} bytes)", got.stdout.len());
}
