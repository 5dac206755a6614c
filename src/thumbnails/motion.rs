//! Motion photos: a still photo with a short video appended in the same file (Google's `MVIMG_*.jpg` and
//! `PXL_*.MP.jpg`, Samsung's, other makers' following Google's format). They are shown and backed up as the
//! single file they are; the tile gets a "Motion" mark.
//!
//! What says a file is one: its name (Google's cameras), else its XMP, in the head: Google's first format
//! (`GCamera:MicroVideo="1"`), its second (`GCamera:MotionPhoto="1"`, or the Android motion photo format's
//! `Camera:MotionPhoto` with a `Container:Directory` item whose `Item:Semantic` is `MotionPhoto`), which
//! Samsung's recent phones write too. Older Samsung phones say it only in the trailer at the end of the file
//! (`MotionPhoto_Data`), seen when the whole file is read.

/// Whether a file named `name` (a path or a file name) whose first bytes are `head` is a motion photo.
#[must_use]
pub fn is_motion_photo(name: &[u8], head: &[u8]) -> bool {
    by_name(name) || says_so(head)
}

/// Google's camera names: `MVIMG_*.jpg`, `*.MP.jpg` (`PXL_20231114_103000123.MP.jpg`).
fn by_name(name: &[u8]) -> bool {
    let file = name.rsplit(|&b| b == b'/').next().unwrap_or_default().to_ascii_lowercase();
    let jpeg = file.ends_with(b".jpg") || file.ends_with(b".jpeg");
    jpeg && (file.starts_with(b"mvimg_") || file.ends_with(b".mp.jpg") || file.ends_with(b".mp.jpeg"))
}

/// Whether `bytes` hold one of the markers of a motion photo.
fn says_so(bytes: &[u8]) -> bool {
    const MARKERS: &[&[u8]] = &[
        b"MicroVideo=\"1\"",
        b"MotionPhoto=\"1\"",
        b"MotionPhoto>1<",
        b"Semantic=\"MotionPhoto\"",
        b"MotionPhoto_Data",
    ];
    // One pass: every marker starts with `M` or `S` (a whole photo of several MB is searched).
    bytes
        .iter()
        .enumerate()
        .filter(|&(_, &b)| b == b'M' || b == b'S')
        .any(|(at, _)| MARKERS.iter().any(|marker| bytes[at..].starts_with(marker)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn google_names_and_the_markers_of_each_format_say_motion_photo() {
        assert!(is_motion_photo(b"/sdcard/DCIM/Camera/MVIMG_20190101_101010.jpg", b""));
        assert!(is_motion_photo(b"PXL_20231114_103000123.MP.jpg", b""));
        assert!(is_motion_photo(b"pxl_20231114_103000123.mp.JPEG", b""));
        assert!(!is_motion_photo(b"/sdcard/DCIM/Camera/IMG_20190101_101010.jpg", b"\xff\xd8\xff\xe1"));
        assert!(!is_motion_photo(b"MVIMG_1.mp4", b""), "a video is not a motion photo");
        assert!(!is_motion_photo(b"/sdcard/MVIMG_dir/IMG_1.jpg", b""), "only the file's own name counts");
        for xmp in [
            &br#"<rdf:Description GCamera:MicroVideo="1" GCamera:MicroVideoOffset="123456"/>"#[..],
            br#"<rdf:Description GCamera:MotionPhoto="1" GCamera:MotionPhotoVersion="1"/>"#,
            br"<Camera:MotionPhoto>1</Camera:MotionPhoto>",
            br#"<Container:Item Item:Mime="video/mp4" Item:Semantic="MotionPhoto" Item:Length="4242"/>"#,
            b"...SEFH...MotionPhoto_Data\x00\x00ftypmp42",
        ] {
            let mut head = b"\xff\xd8\xff\xe1\x00\x10http://ns.adobe.com/xap/1.0/\x00".to_vec();
            head.extend_from_slice(xmp);
            assert!(is_motion_photo(b"20231114_103000.jpg", &head), "{}", String::from_utf8_lossy(xmp));
        }
        assert!(!is_motion_photo(b"a.jpg", br#"GCamera:MotionPhoto="0""#), "a motion photo turned off");
    }
}
