use super::*;
use crate::contacts::{Account, Name, read_contacts};
use std::fmt::Write as _;
use std::process::Command;

fn typed(value: &str, kind: i64, label: Option<&str>, primary: bool) -> Typed {
    Typed { value: value.to_string(), kind, label: label.map(str::to_string), primary }
}

/// Contacts with every field, and values that break naive writers.
fn hostile_contacts() -> Vec<Contact> {
    let mut from_phone = read_contacts(&crate::contacts::tests::hostile_phone(), 34).expect("contacts").contacts;
    let long_note = format!("{}\nend", "Ünïcödé, ; \\ = ".repeat(334));
    from_phone.push(Contact {
        raw_contact_id: None,
        contact_id: None,
        account: Some(Account { name: "local".into(), kind: "vnd.sec.contact.phone".into() }),
        starred: false,
        name: Name {
            display: Some("דוד כהן 😀".into()),
            prefix: Some("Dr.".into()),
            given: Some("דוד, Jr".into()),
            middle: Some("\\back\\slash".into()),
            family: Some("כהן".into()),
            suffix: Some("III".into()),
            phonetic_given: Some("Da-vid".into()),
            phonetic_middle: None,
            phonetic_family: Some("Ko;hen".into()),
        },
        phones: vec![
            typed("+972 50-000-0000", kind::PHONE_WORK_MOBILE, None, true),
            typed("03 555 0000", kind::PHONE_FAX_HOME, None, false),
            typed("*31#", kind::CUSTOM, Some("Sat\"phone, deck; 2"), false),
            typed("112", kind::PHONE_OTHER, None, false),
        ],
        emails: vec![
            typed("david+tag@example.org", kind::WORK, None, false),
            typed("d@example.net", kind::CUSTOM, Some("Old 📧"), false),
        ],
        addresses: vec![Address {
            kind: kind::WORK,
            label: None,
            formatted: None,
            street: Some("Rehov Herzl 1\nFloor 3, Door \"B\"".into()),
            pobox: Some("PO 12".into()),
            neighborhood: Some("Neve Tzedek".into()),
            city: Some("תל אביב".into()),
            region: Some("Center; Dan".into()),
            postcode: Some("6100000".into()),
            country: Some("Israel".into()),
        }],
        organizations: vec![
            Organization {
                company: Some("Acme, Inc.".into()),
                title: Some("CTO; founder".into()),
                department: Some("R&D".into()),
            },
            Organization { company: Some("Second".into()), title: Some("Advisor".into()), department: None },
        ],
        notes: vec![long_note, "second note".into()],
        events: vec![
            typed("--05-17", kind::EVENT_BIRTHDAY, None, false),
            typed("2010-06-01", kind::EVENT_ANNIVERSARY, None, false),
        ],
        websites: vec![typed("https://example.org/?a=1,2;b", kind::CUSTOM, Some("Journal"), false)],
        nicknames: vec!["Dudu".into(), "D, the second".into()],
        photo: Some((0u8..=255).cycle().take(3000).collect()),
    });
    from_phone
}

/// The contacts as a vCard keeps them: what belongs to the phone (ids, account, star) and the formatted
/// address (Android rebuilds it) are not in the card.
fn as_in_vcard(contacts: &[Contact]) -> Vec<Contact> {
    contacts
        .iter()
        .map(|c| {
            let mut c = c.clone();
            c.raw_contact_id = None;
            c.contact_id = None;
            c.account = None;
            c.starred = false;
            c.name.display = Some(c.shown_name());
            for a in &mut c.addresses {
                a.formatted = None;
            }
            // A parameter value cannot hold a double quote in vCard 3.0: labels lose theirs.
            for p in c.phones.iter_mut().chain(c.emails.iter_mut()) {
                p.label = p.label.as_ref().map(|l| l.replace('"', ""));
            }
            c
        })
        .collect()
}

#[test]
fn hostile_contacts_round_trip_through_our_writer_and_reader() {
    let contacts = hostile_contacts();
    let text = write_vcards(&contacts);
    let back = read_vcards(text.as_bytes()).expect("cards");
    assert_eq!(back, as_in_vcard(&contacts));
}

#[test]
fn every_line_is_crlf_ended_and_at_most_75_octets_and_unfolds_to_the_original() {
    let text = write_vcards(&hostile_contacts());
    assert!(text.ends_with("END:VCARD\r\n"));
    assert!(!text.replace("\r\n", "").contains('\n'), "no bare LF");
    for line in text.split("\r\n") {
        assert!(line.len() <= MAX_LINE_OCTETS, "{} octets: {line}", line.len());
    }
    assert!(text.contains("\r\n PHOTO") || text.contains("PHOTO;ENCODING=b;TYPE=JPEG:"));
}

#[test]
fn folding_never_splits_a_utf8_character() {
    for pad in 0..6 {
        for ch in ["é", "ש", "😀", "👨‍👩‍👧"] {
            let line = format!("NOTE:{}{}", "a".repeat(66 + pad), ch.repeat(40));
            let mut out = String::new();
            fold_into(&line, &mut out);
            let parts: Vec<&str> = out.trim_end_matches("\r\n").split("\r\n").collect();
            assert!(parts.len() > 1);
            for (i, part) in parts.iter().enumerate() {
                assert!(part.len() <= MAX_LINE_OCTETS, "{pad} {ch}: {} octets", part.len());
                assert!(part.len() >= MAX_LINE_OCTETS - 3 || i + 1 == parts.len(), "folds as late as it can");
                if i > 0 {
                    assert!(part.starts_with(' '));
                }
            }
            let unfolded: String = parts.iter().enumerate().map(|(i, p)| if i == 0 { *p } else { &p[1..] }).collect();
            assert_eq!(unfolded, line);
        }
    }
}

/// A Python with the `vobject` module (Debian's python3-vobject, installed by scripts/setup).
fn python_with_vobject() -> String {
    for candidate in ["python3", "/usr/bin/python3"] {
        let ok = Command::new(candidate).args(["-c", "import vobject"]).output().is_ok_and(|o| o.status.success());
        if ok {
            return candidate.to_string();
        }
    }
    panic!("no python3 with the vobject module: install python3-vobject (scripts/setup does)");
}

const DUMP: &str = r"
import sys, json, vobject
def vals(card, name):
    return card.contents.get(name, [])
out = []
for card in vobject.readComponents(open(sys.argv[1], encoding='utf-8', newline='').read()):
    n = card.n.value
    adrs = []
    for a in vals(card, 'adr'):
        v = a.value
        adrs.append([[v.box, v.extended, v.street, v.city, v.region, v.code, v.country], a.params.get('TYPE', [])])
    out.append({
        'fn': card.fn.value,
        'n': [n.family, n.given, n.additional, n.prefix, n.suffix],
        'nickname': [x.value for x in vals(card, 'nickname')],
        'org': [x.value for x in vals(card, 'org')],
        'title': [x.value for x in vals(card, 'title')],
        'tel': [[x.value, x.params.get('TYPE', [])] for x in vals(card, 'tel')],
        'email': [[x.value, x.params.get('TYPE', [])] for x in vals(card, 'email')],
        'adr': adrs,
        'note': [x.value for x in vals(card, 'note')],
        'bday': [x.value for x in vals(card, 'bday')],
        'anniversary': [x.value for x in vals(card, 'x-anniversary')],
        'url': [[x.value, x.params.get('TYPE', [])] for x in vals(card, 'url')],
        'phonetic': [x.value for x in vals(card, 'x-phonetic-first-name') + vals(card, 'x-phonetic-last-name')],
        'photo': [x.value.hex() for x in vals(card, 'photo')],
    })
print(json.dumps(out))
";

#[test]
fn an_independent_parser_reads_every_field_of_hostile_contacts() {
    let contacts = hostile_contacts();
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("contacts.vcf");
    std::fs::write(&file, write_vcards(&contacts)).expect("write");
    let out = Command::new(python_with_vobject()).arg("-c").arg(DUMP).arg(&file).output().expect("python runs");
    assert!(out.status.success(), "vobject failed: {}", String::from_utf8_lossy(&out.stderr));
    let cards: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let cards = cards.as_array().expect("a list");
    assert_eq!(cards.len(), contacts.len());

    let ana = &cards[0];
    let c = &contacts[0];
    assert_eq!(ana["fn"], "Ana, \"Nana\" Pérez");
    assert_eq!(ana["n"], serde_json::json!(["Pérez; de la Cruz", "Ana", "", "", ""]));
    assert_eq!(ana["tel"], serde_json::json!([["+34 600 000 000", ["CELL", "PREF"]], ["555,123", ["Boat, deck 2"]]]));
    assert_eq!(ana["email"], serde_json::json!([["ana@example.com", ["INTERNET", "HOME"]]]));
    assert_eq!(ana["note"][0], c.notes[0].as_str(), "the 5,000-character note with a forged row survives");
    assert_eq!(ana["bday"], serde_json::json!(["1985-04-12"]));
    assert_eq!(ana["url"], serde_json::json!([["https://example.com/a,b;c", ["HOMEPAGE"]]]));
    assert_eq!(ana["nickname"], serde_json::json!(["Nana"]));
    assert_eq!(ana["org"], serde_json::json!([["Acme; S.L."]]));
    assert_eq!(ana["title"], serde_json::json!(["Engineer"]));
    assert_eq!(
        ana["adr"],
        serde_json::json!([[["", "", "Calle Mayor 1, 2º", "Madrid", "", "28013", "España"], ["HOME"]]])
    );
    assert_eq!(ana["photo"], serde_json::json!(["ffd8ffe0000102ffd9"]));

    assert_eq!(cards[1]["fn"], "NULL");

    let david = &cards[2];
    let d = &contacts[2];
    assert_eq!(david["fn"], "דוד כהן 😀");
    assert_eq!(david["n"], serde_json::json!(["כהן", "דוד, Jr", "\\back\\slash", "Dr.", "III"]));
    assert_eq!(david["phonetic"], serde_json::json!(["Da-vid", "Ko;hen"]));
    assert_eq!(
        david["tel"],
        serde_json::json!([
            ["+972 50-000-0000", ["WORK", "CELL", "PREF"]],
            ["03 555 0000", ["HOME", "FAX"]],
            ["*31#", ["Satphone, deck; 2"]],
            ["112", ["VOICE"]]
        ])
    );
    assert_eq!(
        david["email"],
        serde_json::json!([["david+tag@example.org", ["INTERNET", "WORK"]], ["d@example.net", ["INTERNET", "Old 📧"]]])
    );
    assert_eq!(
        david["adr"],
        serde_json::json!([[
            [
                "PO 12",
                "Neve Tzedek",
                "Rehov Herzl 1\nFloor 3, Door \"B\"",
                "תל אביב",
                "Center; Dan",
                "6100000",
                "Israel"
            ],
            ["WORK"]
        ]])
    );
    assert_eq!(david["org"], serde_json::json!([["Acme, Inc.", "R&D"], ["Second"]]));
    assert_eq!(david["title"], serde_json::json!(["CTO; founder", "Advisor"]));
    assert_eq!(david["note"], serde_json::json!([d.notes[0], "second note"]));
    assert_eq!(david["nickname"], serde_json::json!(["Dudu", "D, the second"]));
    assert_eq!(david["bday"], serde_json::json!(["--05-17"]));
    assert_eq!(david["anniversary"], serde_json::json!(["2010-06-01"]));
    assert_eq!(david["url"], serde_json::json!([["https://example.org/?a=1,2;b", ["Journal"]]]));
    let photo = d.photo.as_ref().expect("photo").iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    });
    assert_eq!(david["photo"], serde_json::json!([photo]));
}

#[test]
fn a_google_contacts_export_is_read() {
    // As contacts.google.com exports (vCard 3.0, escaped colons in URLs, itemN labels, LF line ends).
    let sample = "BEGIN:VCARD\nVERSION:3.0\nFN:María José García\nN:García;María José;;;\nNICKNAME:Majo\n\
        EMAIL;TYPE=INTERNET;TYPE=HOME:majo@example.com\nEMAIL;TYPE=INTERNET;TYPE=WORK:mj.garcia@example.org\n\
        TEL;TYPE=CELL:+34 612 34 56 78\nTEL;TYPE=HOME:+34 915 55 01 02\nitem1.TEL:+34 600 11 22 33\n\
        item1.X-ABLabel:Casa de la playa\n\
        ADR;TYPE=HOME:;;Calle de Alcalá 100\\, 3º B;Madrid;Comunidad de Madrid;28009;España\n\
        ORG:Ejemplo S.A.\nTITLE:Directora de proyectos\nBDAY:1988-11-23\n\
        item2.URL:https\\://majo.example.com/blog\nitem2.X-ABLabel:_$!<HomePage>!$_\n\
        NOTE:Conocida en el congreso\\, 2019.\\nLlamar por la tarde.\nCATEGORIES:myContacts,Trabajo\nEND:VCARD\n";
    let cards = read_vcards(sample.as_bytes()).expect("cards");
    assert_eq!(cards.len(), 1);
    let c = &cards[0];
    assert_eq!(c.name.display.as_deref(), Some("María José García"));
    assert_eq!((c.name.family.as_deref(), c.name.given.as_deref()), (Some("García"), Some("María José")));
    assert_eq!(c.nicknames, ["Majo"]);
    assert_eq!(
        c.emails,
        [typed("majo@example.com", kind::HOME, None, false), typed("mj.garcia@example.org", kind::WORK, None, false)]
    );
    assert_eq!(
        c.phones,
        [
            typed("+34 612 34 56 78", kind::PHONE_MOBILE, None, false),
            typed("+34 915 55 01 02", kind::HOME, None, false),
            typed("+34 600 11 22 33", kind::CUSTOM, Some("Casa de la playa"), false),
        ]
    );
    assert_eq!(c.addresses[0].street.as_deref(), Some("Calle de Alcalá 100, 3º B"));
    assert_eq!(c.addresses[0].region.as_deref(), Some("Comunidad de Madrid"));
    assert_eq!(c.addresses[0].kind, kind::HOME);
    assert_eq!(
        c.organizations,
        [Organization {
            company: Some("Ejemplo S.A.".into()),
            title: Some("Directora de proyectos".into()),
            department: None
        }]
    );
    assert_eq!(c.birthday(), Some("1988-11-23"));
    assert_eq!(c.websites, [typed("https://majo.example.com/blog", kind::CUSTOM, Some("HomePage"), false)]);
    assert_eq!(c.notes, ["Conocida en el congreso, 2019.\nLlamar por la tarde."]);
}

#[test]
fn an_android_2_1_export_with_quoted_printable_and_a_photo_is_read() {
    // As Android's own exporter writes vCard 2.1: QUOTED-PRINTABLE with CHARSET, soft line breaks, bare types,
    // X-ANDROID-CUSTOM nicknames, and a base64 photo block ended by an empty line.
    let photo = STANDARD.encode([0xFFu8, 0xD8, 0xFF, 0xE0, 0x00, 0x10, 0x4A, 0x46, 0x49, 0x46, 0xFF, 0xD9]);
    let sample = format!(
        "BEGIN:VCARD\r\nVERSION:2.1\r\n\
         N;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:=C3=96zt=C3=BCrk;Mehmet;;;\r\n\
         FN;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:Mehmet =C3=96zt=C3=BCrk\r\n\
         X-ANDROID-CUSTOM:vnd.android.cursor.item/nickname;Memo;1;;;;;;;;;;;;;\r\n\
         TEL;CELL;PREF:+90 555 123 45 67\r\nTEL;HOME:0212 555 12 34\r\nTEL;WORK;FAX:0212 555 99 99\r\n\
         EMAIL;HOME:mehmet@example.com\r\n\
         ADR;HOME;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:;;Bah=C3=A7e Sok. 5;=C4=B0stanbul;;34000;T=C3=BCrkiy=\r\ne\r\n\
         ORG;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:=C5=9Eirket A.=C5=9E.\r\n\
         NOTE;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:Birinci sat=C4=B1r=0D=0A=C4=B0kinci sat=C4=B1r, uzun bir =\r\nnot\r\n\
         BDAY:1979-02-03\r\n\
         PHOTO;ENCODING=BASE64;JPEG:{}\r\n {}\r\n\r\n\
         END:VCARD\r\n\
         BEGIN:VCARD\r\nVERSION:2.1\r\nN;CHARSET=ISO-8859-1;ENCODING=QUOTED-PRINTABLE:M=FCller;J=FCrgen;;;\r\nTEL:+49 30 1234\r\nEND:VCARD\r\n",
        &photo[..8],
        &photo[8..]
    );
    let cards = read_vcards(sample.as_bytes()).expect("cards");
    assert_eq!(cards.len(), 2);
    let c = &cards[0];
    assert_eq!(c.name.family.as_deref(), Some("Öztürk"));
    assert_eq!(c.name.display.as_deref(), Some("Mehmet Öztürk"));
    assert_eq!(c.nicknames, ["Memo"]);
    assert_eq!(
        c.phones,
        [
            typed("+90 555 123 45 67", kind::PHONE_MOBILE, None, true),
            typed("0212 555 12 34", kind::HOME, None, false),
            typed("0212 555 99 99", kind::PHONE_FAX_WORK, None, false),
        ]
    );
    assert_eq!(c.emails, [typed("mehmet@example.com", kind::HOME, None, false)]);
    assert_eq!(c.addresses[0].city.as_deref(), Some("İstanbul"));
    assert_eq!(c.addresses[0].country.as_deref(), Some("Türkiye"), "a soft line break joins the value");
    assert_eq!(c.organizations[0].company.as_deref(), Some("Şirket A.Ş."));
    assert_eq!(c.notes, ["Birinci satır\nİkinci satır, uzun bir not"]);
    assert_eq!(c.birthday(), Some("1979-02-03"));
    assert_eq!(
        c.photo.as_deref(),
        Some(&[0xFFu8, 0xD8, 0xFF, 0xE0, 0x00, 0x10, 0x4A, 0x46, 0x49, 0x46, 0xFF, 0xD9][..])
    );
    let latin = &cards[1];
    assert_eq!((latin.name.family.as_deref(), latin.name.given.as_deref()), (Some("Müller"), Some("Jürgen")));
    assert_eq!(latin.phones[0].kind, kind::PHONE_OTHER);
}

#[test]
fn a_vcard_4_export_with_data_uri_photo_and_tel_uri_is_read() {
    let sample = "BEGIN:VCARD\r\nVERSION:4.0\r\nFN:Jo Lee\r\nN:Lee;Jo;;;\r\nTEL;VALUE=uri;TYPE=cell:tel:+1-555-0100\r\n\
        BDAY:--0415\r\nANNIVERSARY:20100601\r\nPHOTO:data:image/jpeg;base64,/9j/2Q==\r\nEND:VCARD\r\n";
    let c = &read_vcards(sample.as_bytes()).expect("cards")[0];
    assert_eq!(c.phones, [typed("+1-555-0100", kind::PHONE_MOBILE, None, false)]);
    assert_eq!(c.birthday(), Some("--04-15"));
    assert_eq!(c.events[1], typed("2010-06-01", kind::EVENT_ANNIVERSARY, None, false));
    assert_eq!(c.photo.as_deref(), Some(&[0xFFu8, 0xD8, 0xFF, 0xD9][..]));
}

#[test]
fn a_file_without_cards_is_refused_with_a_clear_message() {
    let err = read_vcards(b"name,phone\nAna,123\n").expect_err("no cards");
    assert!(err.to_string().contains("no contact card"), "{err}");
    assert!(read_vcards(b"").is_err());
}
