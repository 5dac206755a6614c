//! `phonebak contacts export` (issue 13): the real binary reads a `--sample` virtual phone's address book
//! through the real adb server and writes a vCard that an independent parser (Python's `vobject`) reads back
//! with the hostile values intact; a phone that refuses the shell its contacts gives a clear message and exit
//! code 3.

use crate::util::{AdbServer, phonebak, said, text};
use phonebak::virtual_phone::sample::SampleOptions;
use phonebak::virtual_phone::{AndroidVersion, Config, DeniedProvider, Fault, StorageSource, VirtualPhone};

fn sample_phone(release: &str, faults: Vec<Fault>) -> VirtualPhone {
    VirtualPhone::start(Config {
        storage: StorageSource::Sample(SampleOptions { photos: 3, seed: 7, ..SampleOptions::default() }),
        android: AndroidVersion::parse(release).expect("android"),
        faults,
        ..Config::default()
    })
    .expect("start the virtual phone")
}

/// A Python with the `vobject` module (Debian's python3-vobject, installed by scripts/setup).
fn python_with_vobject() -> &'static str {
    ["python3", "/usr/bin/python3"]
        .into_iter()
        .find(|p| {
            std::process::Command::new(p).args(["-c", "import vobject"]).output().is_ok_and(|o| o.status.success())
        })
        .expect("no python3 with the vobject module: install python3-vobject (scripts/setup does)")
}

/// Each card's FN, telephone numbers and notes, as vobject reads them.
const DUMP: &str = r"
import sys, json, vobject
out = []
for card in vobject.readComponents(open(sys.argv[1], encoding='utf-8', newline='').read()):
    c = card.contents
    out.append({'fn': card.fn.value, 'tel': [t.value for t in c.get('tel', [])],
                'note': [n.value for n in c.get('note', [])], 'email': [e.value for e in c.get('email', [])]})
print(json.dumps(out))
";

#[test]
fn contacts_export_writes_every_sample_contact_to_a_vcard_a_standard_parser_reads_with_hostile_values_intact() {
    for release in ["14", "10", "9"] {
        let server = AdbServer::start();
        let phone = sample_phone(release, Vec::new());
        server.connect(&phone, "device");
        let dir = tempfile::tempdir().expect("temp dir");
        let file = dir.path().join("contacts.vcf");
        let out = phonebak(&server, &["contacts", "export", "-o", file.to_str().expect("utf8")]);
        assert!(out.status.success(), "Android {release}: {}", said(&out));
        assert!(text(&out.stdout).contains("Wrote 20 contacts to"), "{}", said(&out));
        let read = std::process::Command::new(python_with_vobject()).arg("-c").arg(DUMP).arg(&file).output();
        let read = read.expect("python runs");
        assert!(read.status.success(), "vobject: {}", text(&read.stderr));
        let cards: Vec<serde_json::Value> = serde_json::from_slice(&read.stdout).expect("json");
        assert_eq!(cards.len(), 20, "Android {release}");
        let card =
            |name: &str| cards.iter().find(|c| c["fn"] == name).unwrap_or_else(|| panic!("no card {name}: {cards:?}"));
        let anna = card("Anna Schmidt");
        assert_eq!(anna["tel"], serde_json::json!(["+49 151 23456789", "+49 30 1234567"]));
        assert_eq!(anna["note"], serde_json::json!(["Met at the conference, key=value, other=thing"]));
        let bob = card("Bob O'Brien");
        assert_eq!(
            bob["note"],
            serde_json::json!(["Line one\nRow: 3 _id=99, mimetype=vnd.android.cursor.item/name\nline three"]),
            "a note forging a row of `content query` survives"
        );
        assert!(cards.iter().any(|c| c["fn"] == "محمد العلي"), "right-to-left names survive");
        let longest = cards.iter().flat_map(|c| c["note"].as_array().cloned().unwrap_or_default());
        let longest = longest.filter_map(|n| n.as_str().map(str::len)).max().unwrap_or(0);
        assert!(longest >= 5_000, "the 5,000-character note is whole: {longest}");
    }
}

#[test]
fn contacts_export_on_a_phone_that_refuses_the_shell_its_contacts_says_so_and_exits_3() {
    let server = AdbServer::start();
    let phone = sample_phone("14", vec![Fault::Deny(DeniedProvider::Contacts)]);
    server.connect(&phone, "device");
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("contacts.vcf");
    let out = phonebak(&server, &["contacts", "export", "-o", file.to_str().expect("utf8")]);
    assert_eq!(out.status.code(), Some(3), "{}", said(&out));
    let err = text(&out.stderr);
    assert!(err.contains("Android 14") && err.contains("Permission Denial"), "{err}");
    assert!(!file.exists(), "a vCard was written anyway");
}

#[test]
fn backup_what_contacts_saves_a_vcard_beside_the_photos_keeps_the_previous_version_when_they_change() {
    let server = AdbServer::start();
    let phone = sample_phone("14", Vec::new());
    server.connect(&phone, "device");
    let dest = tempfile::tempdir().expect("backup folder");
    let dest_arg = dest.path().to_str().expect("utf8");
    let out = phonebak(&server, &["backup", "--to", dest_arg, "--what", "photos,contacts", "--json"]);
    assert!(out.status.success(), "{}", said(&out));
    let lines = crate::util::json_lines(&out);
    assert!(crate::util::event(&lines, "report")["copied_files"].as_u64().unwrap_or(0) > 0, "{}", said(&out));
    let saved = crate::util::event(&lines, "contacts");
    assert_eq!((saved["contacts"].as_u64(), saved["unchanged"].as_bool()), (Some(20), Some(false)), "{saved}");
    let folder = dest.path().join("Pixel 7 (VIRT0001)/Contacts");
    let vcf = std::fs::read_to_string(folder.join("contacts.vcf")).expect("contacts.vcf");
    assert_eq!(vcf.matches("BEGIN:VCARD\r\n").count(), 20);
    let rows: serde_json::Value =
        serde_json::from_slice(&std::fs::read(folder.join("contacts.json")).expect("contacts.json")).expect("json");
    assert_eq!(rows["raw_contacts"].as_array().map(Vec::len), Some(20), "every raw row is kept");

    // Nothing changed: nothing is written.
    let out = phonebak(&server, &["backup", "--to", dest_arg, "--what", "contacts", "--json"]);
    assert!(out.status.success(), "{}", said(&out));
    let lines = crate::util::json_lines(&out);
    assert_eq!(crate::util::event(&lines, "contacts")["unchanged"].as_bool(), Some(true), "{}", said(&out));
    assert!(lines.iter().all(|l| l["event"] != "report"), "photos were backed up without being asked");

    // A new contact on the phone: the previous vCard stays, dated.
    for command in [
        "content insert --uri content://com.android.contacts/raw_contacts --bind account_name:n: --bind account_type:n:",
        "content insert --uri content://com.android.contacts/data --bind raw_contact_id:i:21 \
         --bind mimetype:s:vnd.android.cursor.item/name --bind data1:s:'Zoë New'",
    ] {
        let done = server.on(&phone, &["shell", command]);
        assert!(done.status.success() && done.stderr.is_empty(), "{}", said(&done));
    }
    let out = phonebak(&server, &["backup", "--to", dest_arg, "--what", "contacts"]);
    assert!(out.status.success(), "{}", said(&out));
    assert!(text(&out.stdout).contains("Saved 21 contacts to"), "{}", said(&out));
    let today = phonebak::human::date(
        i64::try_from(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("clock").as_secs())
            .expect("seconds"),
    );
    let previous = folder.join(format!("contacts-{today}.vcf"));
    assert_eq!(std::fs::read_to_string(&previous).ok().as_deref(), Some(vcf.as_str()), "the previous version");
    let now = std::fs::read_to_string(folder.join("contacts.vcf")).expect("contacts.vcf");
    assert!(now.contains("FN:Zoë New\r\n"), "{now}");
}

#[test]
fn a_backup_whose_contacts_are_refused_still_backs_up_the_photos_and_exits_3() {
    let server = AdbServer::start();
    let phone = sample_phone("10", vec![Fault::Deny(DeniedProvider::Contacts)]);
    server.connect(&phone, "device");
    let dest = tempfile::tempdir().expect("backup folder");
    let out = phonebak(&server, &["backup", "--to", dest.path().to_str().expect("utf8"), "--what", "photos,contacts"]);
    assert_eq!(out.status.code(), Some(3), "{}", said(&out));
    assert!(text(&out.stdout).contains("Backed up "), "the photos were not backed up: {}", said(&out));
    let err = text(&out.stderr);
    assert!(
        err.contains("contacts not saved") && err.contains("Android 10") && err.contains("Permission Denial"),
        "{err}"
    );
    assert!(!dest.path().join("Pixel 7 (VIRT0001)/Contacts").exists());
}

/// What vobject reads from a vCard file, sorted by name, to compare address books.
fn cards_of(file: &std::path::Path) -> Vec<serde_json::Value> {
    let read = std::process::Command::new(python_with_vobject()).arg("-c").arg(DUMP).arg(file).output();
    let read = read.expect("python runs");
    assert!(read.status.success(), "vobject: {}", text(&read.stderr));
    let mut cards: Vec<serde_json::Value> = serde_json::from_slice(&read.stdout).expect("json");
    cards.sort_by_key(|c| c["fn"].as_str().unwrap_or_default().to_string());
    cards
}

#[test]
fn restore_what_contacts_onto_an_empty_phone_gives_the_same_contacts_and_a_second_restore_adds_none() {
    let server = AdbServer::start();
    let source = sample_phone("14", Vec::new());
    server.connect(&source, "device");
    let dest = tempfile::tempdir().expect("backup folder");
    let dest_arg = dest.path().to_str().expect("utf8");
    let out = phonebak(&server, &["backup", "--to", dest_arg, "--what", "contacts"]);
    assert!(out.status.success(), "{}", said(&out));

    for release in ["14", "9"] {
        let (_storage, empty) = crate::util::phone_with_dir(Config {
            serial: format!("EMPTY{release}"),
            android: AndroidVersion::parse(release).expect("android"),
            ..Config::default()
        });
        server.connect(&empty, "device");
        let to = empty.addr().to_string();
        let restore = ["restore", "--from", dest_arg, "--what", "contacts", "--device", &to];
        let out = phonebak(&server, &restore);
        assert!(out.status.success(), "Android {release}: {}", said(&out));
        assert!(text(&out.stdout).contains("Added 20 contacts to Pixel 7; 0 were on it already"), "{}", said(&out));
        let out = phonebak(&server, &restore);
        assert!(text(&out.stdout).contains("Added 0 contacts to Pixel 7; 20 were on it already"), "{}", said(&out));

        // What the phone now holds reads back as the backup's vCard, field for field.
        let dir = tempfile::tempdir().expect("temp dir");
        let again = dir.path().join("again.vcf");
        let out = phonebak(&server, &["contacts", "export", "--device", &to, "-o", again.to_str().expect("utf8")]);
        assert!(out.status.success(), "{}", said(&out));
        let original = cards_of(&dest.path().join("Pixel 7 (VIRT0001)/Contacts/contacts.vcf"));
        assert_eq!(cards_of(&again), original, "Android {release}");
    }
}

#[test]
fn contacts_import_reads_a_vcard_another_program_wrote() {
    let server = AdbServer::start();
    let (_storage, phone) = crate::util::phone_with_dir(Config::default());
    server.connect(&phone, "device");
    // As Google Contacts exports them: vCard 3.0, grouped labels, escaped commas.
    let google = "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Jane Roe\r\nN:Roe;Jane;;;\r\nEMAIL;TYPE=INTERNET;TYPE=WORK:jane@\
                  example.org\r\nTEL;TYPE=CELL:+44 7700 900123\r\nitem1.TEL:+44 20 7946 0000\r\nitem1.X-ABLabel:Boat\r\n\
                  ORG:Roe\\, Sons & Co;\r\nNOTE:Likes tea\\, not coffee\\nand biscuits\r\nEND:VCARD\r\nBEGIN:VCARD\r\n\
                  VERSION:3.0\r\nFN:Li Wei\r\nN:Li;Wei;;;\r\nTEL;TYPE=HOME:010-1234-5678\r\nEND:VCARD\r\n";
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("google.vcf");
    std::fs::write(&file, google).expect("write");
    let out = phonebak(&server, &["contacts", "import", file.to_str().expect("utf8")]);
    assert!(out.status.success(), "{}", said(&out));
    assert!(text(&out.stdout).contains("Added 2 contacts"), "{}", said(&out));
    let back = dir.path().join("back.vcf");
    let out = phonebak(&server, &["contacts", "export", "-o", back.to_str().expect("utf8")]);
    assert!(out.status.success(), "{}", said(&out));
    let cards = cards_of(&back);
    assert_eq!(cards.len(), 2);
    assert_eq!(cards[0]["fn"], "Jane Roe");
    assert_eq!(cards[0]["tel"], serde_json::json!(["+44 7700 900123", "+44 20 7946 0000"]));
    assert_eq!(cards[0]["email"], serde_json::json!(["jane@example.org"]));
    assert_eq!(cards[0]["note"], serde_json::json!(["Likes tea, not coffee\nand biscuits"]));
    assert_eq!(cards[1]["tel"], serde_json::json!(["010-1234-5678"]));
}

#[test]
fn contacts_in_an_encrypted_backup_are_sealed_show_no_name_and_restore_onto_an_empty_phone() {
    let server = AdbServer::start();
    let source = sample_phone("14", Vec::new());
    server.connect(&source, "device");
    let dest = tempfile::tempdir().expect("backup folder");
    let dest_arg = dest.path().to_str().expect("utf8");
    let from = source.addr().to_string();
    let out = crate::util::phonebak_with_password(
        &server,
        &["backup", "--to", dest_arg, "--device", &from, "--encrypt", "--what", "photos,contacts"],
    );
    assert!(out.status.success(), "{}", said(&out));
    assert!(
        text(&out.stdout).contains("Saved 20 contacts to") && text(&out.stdout).contains("(encrypted)"),
        "{}",
        said(&out)
    );

    // No file of the folder shows a contact's name or number, or the word Contacts in its path.
    for entry in walkdir(dest.path()) {
        let shown = entry.to_string_lossy().into_owned();
        assert!(!shown.contains("Contacts") && !shown.contains("Pixel 7"), "a name shows: {shown}");
        let bytes = std::fs::read(&entry).expect("read");
        for secret in [&b"Anna Schmidt"[..], b"23456789", b"BEGIN:VCARD"] {
            assert!(!bytes.windows(secret.len()).any(|w| w == secret), "{shown} holds {:?}", text(secret));
        }
    }

    // Backing up the same contacts again writes nothing.
    let out = crate::util::phonebak_with_password(
        &server,
        &["backup", "--to", dest_arg, "--device", &from, "--what", "contacts"],
    );
    assert!(text(&out.stdout).contains("unchanged since the last backup"), "{}", said(&out));

    let (_storage, empty) = crate::util::phone_with_dir(Config { serial: "EMPTYENC".into(), ..Config::default() });
    server.connect(&empty, "device");
    let to = empty.addr().to_string();
    let restore = ["restore", "--from", dest_arg, "--what", "contacts", "--device", &to];
    let out = crate::util::phonebak_with_password(&server, &restore);
    assert!(out.status.success(), "{}", said(&out));
    assert!(text(&out.stdout).contains("Added 20 contacts to Pixel 7; 0 were on it already"), "{}", said(&out));
    let dir = tempfile::tempdir().expect("temp dir");
    let before = dir.path().join("before.vcf");
    let again = dir.path().join("again.vcf");
    for (device, file) in [(&from, &before), (&to, &again)] {
        let out = phonebak(&server, &["contacts", "export", "--device", device, "-o", file.to_str().expect("utf8")]);
        assert!(out.status.success(), "{}", said(&out));
    }
    assert_eq!(cards_of(&again), cards_of(&before), "the restored contacts differ from the phone's");
}

/// Every file under `dir`.
fn walkdir(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).expect("read dir").flatten() {
            let path = entry.path();
            if path.is_dir() { stack.push(path) } else { files.push(path) }
        }
    }
    files
}
