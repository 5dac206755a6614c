//! Thumbnails from a virtual phone through the real adb server: the heads of a screenful of photos in one shell
//! command, embedded EXIF thumbnails upright, and hostile or missing files handled.

use crate::util::{AdbServer, HOSTILE_NAMES, device_of, noise, phone_with_dir, write_file};
use phonebak::backup::CancelToken;
use phonebak::scan::{ScanOptions, scan};
use phonebak::thumbnails::{self, HEAD_BYTES, Thumbnail};
use phonebak::virtual_phone::sample::SampleOptions;
use phonebak::virtual_phone::{Config, StorageSource, VirtualPhone};
use std::os::unix::ffi::OsStrExt;

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
