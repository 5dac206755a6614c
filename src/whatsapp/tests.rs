use super::*;
use crate::backup::ManifestEntry;
use crate::backup::manifest::Bytes;

fn selected(phone_path: &str) -> Selected {
    let target = crate::restore::phone_target(phone_path.as_bytes()).expect("a storage path");
    Selected {
        entry: ManifestEntry {
            phone_path: Bytes(phone_path.as_bytes().to_vec()),
            local_path: Bytes(format!("P/{phone_path}").into_bytes()),
            size: 1,
            mtime: 1,
            sha256: String::new(),
            backed_up_at: 0,
        },
        target,
    }
}

fn targets(choice: &RestoreChoice) -> Vec<String> {
    choice.selected.iter().map(|s| String::from_utf8_lossy(&s.target).into_owned()).collect()
}

#[test]
fn the_four_folders_are_where_whatsapp_keeps_them() {
    let paths: Vec<String> = Root::ALL.iter().map(|r| r.relative()).collect();
    assert_eq!(
        paths,
        [
            "Android/media/com.whatsapp/WhatsApp",
            "Android/media/com.whatsapp.w4b/WhatsApp Business",
            "WhatsApp",
            "WhatsApp Business"
        ]
    );
    assert_eq!(Root::ALL[0].path(), b"/storage/emulated/0/Android/media/com.whatsapp/WhatsApp");
}

#[test]
fn a_path_is_placed_in_its_root_whatever_the_case_and_never_in_a_lookalike() {
    let media = Root { app: App::WhatsApp, layout: Layout::Media };
    let business_top = Root { app: App::Business, layout: Layout::Top };
    assert_eq!(
        Root::of(b"/storage/emulated/0/Android/media/com.whatsapp/WhatsApp/Databases/msgstore.db.crypt14"),
        Some((media, &b"Databases/msgstore.db.crypt14"[..]))
    );
    assert_eq!(Root::of(b"WhatsApp Business/Media/a.opus"), Some((business_top, &b"Media/a.opus"[..])));
    assert_eq!(Root::of(b"whatsapp/Databases/x").map(|(r, _)| r.app), Some(App::WhatsApp));
    assert_eq!(
        Root::of(b"/storage/emulated/0/WhatsApp").map(|(r, rest)| (r.layout, rest.len())),
        Some((Layout::Top, 0))
    );
    assert_eq!(
        Root::of(b"Android/media/com.whatsapp.w4b/WhatsApp Business/Backups/x").map(|(r, _)| r.app),
        Some(App::Business)
    );
    for other in [
        &b"WhatsAppX/a"[..],
        b"DCIM/WhatsApp/a.jpg",
        b"Android/media/com.whatsapp/Other/a",
        b"Android/media/com.whatsapp.w4b/WhatsApp/a",
        b"Android/data/com.whatsapp/files/a",
        b"",
    ] {
        assert_eq!(Root::of(other), None, "{}", String::from_utf8_lossy(other));
    }
}

#[test]
fn files_from_the_old_folder_go_where_the_new_phones_whatsapp_looks() {
    let old = b"/storage/emulated/0/WhatsApp/Databases/msgstore.db.crypt14";
    assert_eq!(
        restore_target(old, 34).as_deref(),
        Some(&b"/storage/emulated/0/Android/media/com.whatsapp/WhatsApp/Databases/msgstore.db.crypt14"[..])
    );
    assert_eq!(restore_target(old, 29), None, "Android 10 keeps the old folder");
    assert_eq!(restore_target(old, 0), None, "an unknown version changes nothing");
    let new = b"/storage/emulated/0/Android/media/com.whatsapp.w4b/WhatsApp Business/Media/x.pdf";
    assert_eq!(restore_target(new, 30), None);
    assert_eq!(restore_target(new, 28).as_deref(), Some(&b"/storage/emulated/0/WhatsApp Business/Media/x.pdf"[..]));
    assert_eq!(restore_target(b"/storage/emulated/0/DCIM/a.jpg", 34), None);
}

#[test]
fn photos_alone_restore_what_a_photo_backup_holds_and_no_chat_backup() {
    let all = vec![
        selected("/storage/emulated/0/DCIM/Camera/a.jpg"),
        selected("/storage/emulated/0/WhatsApp/Media/WhatsApp Images/IMG-1.jpg"),
        selected("/storage/emulated/0/WhatsApp/Databases/msgstore.db.crypt14"),
        selected("/storage/emulated/0/Download/notes.txt"),
    ];
    let photos = choose_for_restore(all.clone(), RestoreParts { photos: true, whatsapp: false }, 34);
    assert_eq!(
        targets(&photos),
        [
            "/storage/emulated/0/DCIM/Camera/a.jpg",
            "/storage/emulated/0/Download/notes.txt",
            "/storage/emulated/0/WhatsApp/Media/WhatsApp Images/IMG-1.jpg",
        ],
        "photos stay where they were, as before WhatsApp could be backed up"
    );
    assert_eq!((photos.whatsapp_files, photos.moved.len()), (0, 0));
    let whatsapp = choose_for_restore(all.clone(), RestoreParts { photos: false, whatsapp: true }, 34);
    assert_eq!(
        targets(&whatsapp),
        [
            "/storage/emulated/0/Android/media/com.whatsapp/WhatsApp/Databases/msgstore.db.crypt14",
            "/storage/emulated/0/Android/media/com.whatsapp/WhatsApp/Media/WhatsApp Images/IMG-1.jpg",
        ]
    );
    let top = Root { app: App::WhatsApp, layout: Layout::Top };
    let media = Root { app: App::WhatsApp, layout: Layout::Media };
    assert_eq!(whatsapp.moved, [Moved { from: top, to: media, files: 2 }]);
    assert!(
        whatsapp.moved_text(34)[0].contains("from WhatsApp/ (Android 10 or older)"),
        "{:?}",
        whatsapp.moved_text(34)
    );
    let both = choose_for_restore(all, RestoreParts { photos: true, whatsapp: true }, 34);
    assert_eq!(both.selected.len(), 4, "a WhatsApp photo is restored once, as WhatsApp's");
    assert_eq!(both.whatsapp_files, 2);
}

#[test]
fn a_file_in_both_folders_is_restored_once_from_the_folder_the_phone_uses() {
    let both = vec![
        selected("/storage/emulated/0/Android/media/com.whatsapp/WhatsApp/Databases/msgstore.db.crypt14"),
        selected("/storage/emulated/0/WhatsApp/Databases/msgstore.db.crypt14"),
    ];
    let choice = choose_for_restore(both, RestoreParts { photos: false, whatsapp: true }, 34);
    assert_eq!(choice.selected.len(), 1);
    assert_eq!(choice.selected[0].entry.phone_path.0, choice.selected[0].target, "the one already there wins");
    assert!(choice.moved.is_empty());
    assert_eq!(choice.whatsapp_files, 1);
}

#[test]
fn the_bin_files_being_written_and_restore_temps_are_left_out_and_nothing_else() {
    assert!(left_out(b".trashed-1700000000-msgstore.db.crypt14"));
    assert!(left_out(b".pending-1700000000-a.opus"));
    assert!(left_out(b".phonebak-restore-1a-2.tmp"));
    assert!(!left_out(b".nomedia"));
    assert!(!left_out(b"msgstore.db.crypt14"));
    assert!(!left_out(b".hidden.jpg"));
}

#[test]
fn the_summary_reads_as_the_app_shows_it() {
    let files = WhatsAppFiles {
        files: vec![
            MediaFile { path: b"/a".to_vec(), size: 1500, mtime: 0, kind: MediaKind::Other },
            MediaFile { path: b"/b".to_vec(), size: 500, mtime: 0, kind: MediaKind::Photo },
        ],
        ..WhatsAppFiles::default()
    };
    assert_eq!(files.summary(), Summary { files: 2, bytes: 2000 });
    assert!(files.summary().to_string().starts_with("WhatsApp: 2 files, "), "{}", files.summary());
    assert!(restore_steps_text().contains("1. Install WhatsApp"), "{}", restore_steps_text());
}
