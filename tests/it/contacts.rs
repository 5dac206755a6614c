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
