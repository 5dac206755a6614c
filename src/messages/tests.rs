use super::html::{conversation_page, escape, safe_file_stem};
use super::numbers::{Names, same_number};
use super::store::{conversations, merge_calls, merge_messages, save};
use super::*;
use crate::contacts::{Contact, Name, Typed};
use crate::content::Value;

fn row(id: i64, values: &[(&str, Value)]) -> Row {
    Row { id, values: values.iter().map(|(k, v)| ((*k).to_string(), v.clone())).collect() }
}

fn sms(id: i64, address: &str, date_ms: i64, box_type: i64, body: &str) -> Message {
    sms_message(row(
        id,
        &[
            ("address", Value::Text(address.to_string())),
            ("date", Value::Integer(date_ms)),
            ("type", Value::Integer(box_type)),
            ("read", Value::Integer(1)),
            ("body", Value::Text(body.to_string())),
        ],
    ))
}

fn contact(name: &str, phones: &[&str]) -> Contact {
    Contact {
        name: Name { display: Some(name.to_string()), ..Name::default() },
        phones: phones
            .iter()
            .map(|p| Typed { value: (*p).to_string(), kind: 2, label: None, primary: false })
            .collect(),
        ..Contact::default()
    }
}

#[test]
fn a_message_gone_from_the_phone_stays_in_the_merge_marked_and_a_phone_id_change_does_not_duplicate() {
    let earlier = vec![sms(1, "+1", 1000, 1, "kept"), sms(2, "+1", 2000, 2, "deleted on the phone")];
    // The phone was reset: the same message has a new _id; one message is gone, one is new.
    let phone = vec![sms(7, "+1", 1000, 1, "kept"), sms(8, "+1", 3000, 1, "new")];
    let merged = merge_messages(earlier, &phone);
    let bodies: Vec<(&str, bool)> = merged.iter().map(|m| (m.body.as_str(), m.only_in_backup)).collect();
    assert_eq!(bodies, [("kept", false), ("deleted on the phone", true), ("new", false)]);
    assert_eq!(merged[0].row.id, 7, "the phone's current row wins");
    // Merging again with the same phone changes nothing; the message comes back: no longer marked.
    assert_eq!(merge_messages(merged.clone(), &phone), merged);
    let back = vec![sms(7, "+1", 1000, 1, "kept"), sms(9, "+1", 2000, 2, "deleted on the phone"), phone[1].clone()];
    assert!(merge_messages(merged, &back).iter().all(|m| !m.only_in_backup));
}

#[test]
fn two_identical_messages_are_both_kept_and_a_body_that_differs_is_another_message() {
    let twice = vec![sms(1, "+1", 1000, 1, "ok"), sms(2, "+1", 1000, 1, "ok")];
    let merged = merge_messages(twice.clone(), &twice[..1]);
    assert_eq!(merged.len(), 2, "one copy is on the phone, the other only in the backup");
    assert_eq!(merged.iter().filter(|m| m.only_in_backup).count(), 1);
    let edited = merge_messages(vec![sms(1, "+1", 1000, 1, "ok")], &[sms(1, "+1", 1000, 1, "ok!")]);
    assert_eq!(edited.len(), 2);
}

#[test]
fn calls_merge_by_number_date_type_and_duration() {
    let call = |date_ms, number: &str| Call {
        number: number.to_string(),
        date_ms,
        duration_s: 5,
        kind: 1,
        name: None,
        only_in_backup: false,
        row: row(date_ms, &[]),
    };
    let merged = merge_calls(vec![call(1, "+1"), call(2, "+2")], &[call(2, "+2"), call(3, "+3")]);
    let got: Vec<(i64, bool)> = merged.iter().map(|c| (c.date_ms, c.only_in_backup)).collect();
    assert_eq!(got, [(1, true), (2, false), (3, false)]);
}

#[test]
fn html_escaping_shows_markup_from_a_message_as_text() {
    assert_eq!(
        escape(r#"<script>alert("x")</script> & 'q'"#),
        "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;q&#39;"
    );
    let m = sms(1, "+1", 0, 1, "<script>alert(1)</script>\nRow: 3 _id=9");
    let page = conversation_page("<b>Eve</b>", &[&m]);
    assert!(!page.contains("<script>") && !page.contains("<b>Eve"), "{page}");
    assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;\nRow: 3 _id=9"), "{page}");
    assert!(page.contains("<title>&lt;b&gt;Eve&lt;/b&gt;</title>"), "{page}");
}

#[test]
fn numbers_match_loosely_as_android_compares_them() {
    assert!(same_number("+49 151 23456789", "+4915123456789"), "separators ignored");
    assert!(same_number("+49 151 23456789", "0151 23456789"), "trunk prefix for the country code");
    assert!(same_number("+33 6 12 34 56 78", "0033612345678"), "00 for +");
    assert!(same_number("+1 (415) 555-0134", "415-555-0134"), "national number without the country code");
    assert!(!same_number("+49 151 23456789", "+49 30 1234567"));
    assert!(!same_number("+1 415 555 0199", "+1 415 555 0134"));
    assert!(same_number("72345", "72345") && !same_number("72345", "172345"), "short codes must be equal");
    assert!(same_number("Google", "GOOGLE") && !same_number("Google", "Googl"));
    assert!(!same_number("", "+1"));
    let names = Names::new(&[contact("Anna Schmidt", &["+49 151 23456789"]), contact("Bob", &["+1 (415) 555-0134"])]);
    assert_eq!(names.name_of("+4915123456789"), Some("Anna Schmidt"));
    assert_eq!(names.title(&["+14155550134".to_string(), "72345".to_string()]), "Bob, 72345");
    assert_eq!(names.title(&[]), "Unknown sender");
}

#[test]
fn page_file_names_are_safe_everywhere_and_unique_case_insensitively() {
    assert_eq!(safe_file_stem("Anna Schmidt"), "Anna Schmidt");
    assert_eq!(safe_file_stem("a/b\\c:d*e?f\"g<h>i|j\nk"), "a_b_c_d_e_f_g_h_i_j_k");
    assert_eq!(safe_file_stem("../.."), "_");
    assert_eq!(safe_file_stem(" . "), "Unknown");
    assert_eq!(safe_file_stem("CON"), "CON_");
    assert_eq!(safe_file_stem("com1.txt"), "com1_.txt");
    assert_eq!(safe_file_stem("محمد العلي"), "محمد العلي");
    let long = "é".repeat(100);
    let cut = safe_file_stem(&long);
    assert!(cut.len() <= 120 && cut.chars().all(|c| c == 'é'), "{cut}");

    let messages = [sms(1, "A/B", 0, 1, "x"), sms(2, "a_b", 0, 1, "y"), sms(3, "index", 0, 1, "z")];
    let groups = conversations(&messages, &Names::default());
    let files: Vec<&str> = groups.iter().map(|(_, f, _)| f.as_str()).collect();
    assert_eq!(files, ["A_B.html", "a_b (2).html", "index (2).html"]);
}

#[test]
fn an_mms_takes_its_text_parts_its_sender_or_recipients_and_lists_its_media() {
    let pdu = |msg_box| {
        row(
            5,
            &[
                ("msg_box", Value::Integer(msg_box)),
                ("date", Value::Integer(1_700_000_000)),
                ("read", Value::Integer(1)),
            ],
        )
    };
    let part = |id, ct: &str, text: Option<&str>, cl: Option<&str>| {
        row(
            id,
            &[
                ("mid", Value::Integer(5)),
                ("seq", Value::Integer(id)),
                ("ct", Value::Text(ct.to_string())),
                ("text", text.map_or(Value::Null, |t| Value::Text(t.to_string()))),
                ("cl", cl.map_or(Value::Null, |t| Value::Text(t.to_string()))),
            ],
        )
    };
    let addr = |id, address: &str, kind| {
        row(id, &[("address", Value::Text(address.to_string())), ("type", Value::Integer(kind))])
    };
    let parts = vec![
        part(0, "application/smil", Some("<smil/>"), None),
        part(1, "image/jpeg", None, Some("IMG_1.jpg")),
        part(2, "text/plain", Some("hello"), None),
    ];
    let received = mms_message(pdu(1), parts.clone(), vec![addr(1, "+49 1", 137), addr(2, "+1 me", 151)]);
    assert_eq!((received.addresses.clone(), received.body.as_str()), (vec!["+49 1".to_string()], "hello"));
    assert_eq!(received.date_ms, 1_700_000_000_000, "MMS dates are seconds");
    assert_eq!(received.attachments, ["image/jpeg IMG_1.jpg"]);
    let sent = mms_message(
        pdu(2),
        parts,
        vec![addr(1, "insert-address-token", 137), addr(2, "+49 1", 151), addr(3, "+33 2", 151)],
    );
    assert_eq!(sent.addresses, ["+49 1", "+33 2"]);
    assert!(!sent.received());
}

#[test]
fn saving_twice_writes_nothing_the_second_time_and_keeps_a_message_deleted_from_the_phone() {
    let dir = tempfile::tempdir().expect("temp dir");
    let names = Names::new(&[contact("Anna", &["+49 151 23456789"])]);
    let first = Messages {
        messages: vec![sms(1, "+4915123456789", 1000, 1, "<i>hi</i>"), sms(2, "72345", 2000, 1, "code")],
        notes: Vec::new(),
        mms_read: true,
    };
    let saved = save(dir.path(), "Pixel (X)", &first, None, &names, "2026-12-06").expect("save");
    assert_eq!((saved.messages, saved.conversations, saved.only_in_backup), (2, 2, 0));
    let folder = dir.path().join("Messages");
    let anna = std::fs::read_to_string(folder.join("Anna.html")).expect("Anna's page");
    assert!(anna.contains("&lt;i&gt;hi&lt;/i&gt;"), "{anna}");
    assert!(folder.join("72345.html").is_file() && folder.join("index.html").is_file());
    let again = save(dir.path(), "Pixel (X)", &first, None, &names, "2026-12-06").expect("save");
    assert!(again.unchanged(), "{again:?}");

    let later = Messages { messages: vec![first.messages[1].clone()], notes: Vec::new(), mms_read: true };
    let saved = save(dir.path(), "Pixel (X)", &later, None, &names, "2026-12-07").expect("save");
    assert_eq!((saved.messages, saved.only_in_backup), (2, 1));
    let anna = std::fs::read_to_string(folder.join("Anna.html")).expect("Anna's page");
    assert!(anna.contains("no longer on the phone"), "{anna}");

    // Without the contact, the conversation is named by number and Anna's old page goes.
    let saved = save(dir.path(), "Pixel (X)", &later, None, &Names::default(), "2026-12-07").expect("save");
    assert_eq!(saved.conversations, 2);
    assert!(!folder.join("Anna.html").exists() && folder.join("+4915123456789.html").is_file());
    let leftovers: Vec<String> = std::fs::read_dir(&folder)
        .expect("folder")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".phonebak-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn an_unreadable_previous_file_is_kept_aside_not_overwritten() {
    let dir = tempfile::tempdir().expect("temp dir");
    let folder = dir.path().join("Messages");
    std::fs::create_dir_all(&folder).expect("mkdir");
    std::fs::write(folder.join("messages.json"), b"{ not json").expect("write");
    let read = Messages { messages: vec![sms(1, "+1", 1, 1, "x")], notes: Vec::new(), mms_read: true };
    let saved = save(dir.path(), "P", &read, None, &Names::default(), "2026-12-06").expect("save");
    assert_eq!(std::fs::read(folder.join("messages-unreadable-2026-12-06.json")).expect("kept"), b"{ not json");
    assert_eq!(saved.notes.len(), 1, "{:?}", saved.notes);
}

#[test]
fn mms_addresses_asked_as_hex_decode_to_their_text_and_a_null_address_is_dropped() {
    let columns = ["_id", "msg_id", "type", "charset", "address_hex"];
    // "+49 1" and "Åsa " in UTF-8 hex; '' is SQLite's hex(NULL).
    let out = "Row: 0 _id=4, msg_id=2, type=137, charset=106, address_hex=2B3G\n";
    assert!(parse_hex_address_rows(out, &columns).is_err(), "not hex");
    let out = "Row: 0 _id=4, msg_id=2, type=137, charset=106, address_hex=2B34, x=1\n";
    assert!(parse_hex_address_rows(out, &columns).is_err(), "a column more than asked");
    let out = "Row: 0 _id=4, msg_id=2, type=137, charset=106, address_hex=2B34392031\n\
               Row: 1 _id=5, msg_id=2, type=151, charset=NULL, address_hex=C385736120\n\
               Row: 2 _id=6, msg_id=2, type=151, charset=106, address_hex=\n";
    let rows = parse_hex_address_rows(out, &columns).expect("rows");
    assert_eq!(rows.len(), 3);
    assert_eq!((rows[0].id, rows[0].text("address"), rows[0].int("type")), (4, Some("+49 1"), Some(137)));
    assert_eq!(rows[1].text("address"), Some("Åsa "));
    assert_eq!(rows[1].get("charset"), &Value::Null);
    assert_eq!(rows[2].text("address"), None);
    assert_eq!(parse_hex_address_rows("No result found.\n", &columns).expect("none"), Vec::new());
}

/// A fake phone with one hostile SMS and one received MMS (a caption and a picture).
fn fake_phone(strict: bool) -> crate::content::fake::FakePhone {
    use crate::content::fake::Cell;
    let mut phone = crate::content::fake::FakePhone { strict_projection: strict, ..Default::default() };
    phone.add_row(
        SMS_URI,
        &[
            ("_id", Cell::Int(1)),
            ("thread_id", Cell::Int(1)),
            ("address", Cell::Text("+49 151 23456789".into())),
            ("date", Cell::Int(1_700_000_000_123)),
            ("type", Cell::Int(1)),
            ("read", Cell::Int(1)),
            ("body", Cell::Text("a, b=c\nRow: 1 _id=2, body=forged".into())),
        ],
    );
    phone.add_row(
        MMS_URI,
        &[
            ("_id", Cell::Int(4)),
            ("thread_id", Cell::Int(1)),
            ("date", Cell::Int(1_700_000_100)),
            ("msg_box", Cell::Int(1)),
        ],
    );
    for (id, ct, text) in [(7, "image/png", None), (8, "text/plain", Some("caption <b>"))] {
        phone.add_row(
            MMS_PART_URI,
            &[
                ("_id", Cell::Int(id)),
                ("mid", Cell::Int(4)),
                ("seq", Cell::Int(id)),
                ("ct", Cell::Text(ct.into())),
                ("text", text.map_or(Cell::Null, |t: &str| Cell::Text(t.into()))),
            ],
        );
    }
    phone.add_row(
        "content://mms/4/addr",
        &[
            ("_id", Cell::Int(9)),
            ("msg_id", Cell::Int(4)),
            ("type", Cell::Int(137)),
            ("address", Cell::Text("+49 151 23456789".into())),
        ],
    );
    phone
}

#[test]
fn read_messages_gets_sms_and_mms_and_falls_back_when_the_provider_refuses_the_hex_expression() {
    for strict in [false, true] {
        let phone = fake_phone(strict);
        let read = read_messages(&phone, 34).expect("read");
        assert_eq!(read.messages.len(), 2, "strict {strict}");
        assert_eq!(read.messages[0].body, "a, b=c\nRow: 1 _id=2, body=forged");
        let mms = &read.messages[1];
        assert_eq!((mms.kind, mms.body.as_str(), mms.date_ms), (Kind::Mms, "caption <b>", 1_700_000_100_000));
        assert_eq!(mms.addresses, ["+49 151 23456789"], "strict {strict}");
        let addr_queries = phone.calls.borrow().iter().filter(|c| c.iter().any(|a| a.ends_with("/addr"))).count();
        assert_eq!(addr_queries, if strict { 4 } else { 1 }, "one hex query, else the refused one and three more");
    }
}

#[test]
fn a_phone_that_refuses_mms_gives_the_sms_and_a_note_and_one_that_refuses_sms_is_a_refusal() {
    let mut phone = fake_phone(false);
    let denial = "java.lang.SecurityException: Permission Denial: reading com.android.providers.telephony.MmsProvider";
    phone.failures.insert(MMS_URI.to_string(), denial.to_string());
    let read = read_messages(&phone, 29).expect("read");
    assert_eq!(read.messages.len(), 1);
    assert!(read.notes[0].contains("MMS were not read") && read.notes[0].contains("Android 10"), "{:?}", read.notes);
    let count = count(&phone, 29).expect("count");
    assert_eq!((count.messages, count.conversations, count.mms_counted), (1, 1, false));
    phone.failures.insert(SMS_URI.to_string(), denial.replace("Mms", "Sms"));
    let err = read_messages(&phone, 29).expect_err("refused");
    assert!(err.is_refusal() && err.to_string().contains("Android 10"), "{err}");
}

#[test]
fn mms_of_an_earlier_backup_are_not_taken_for_deleted_when_the_phone_would_not_give_mms_this_time() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut mms = sms(5, "+1", 500, 1, "an mms");
    mms.kind = Kind::Mms;
    let both = Messages { messages: vec![mms, sms(1, "+1", 1000, 1, "an sms")], notes: Vec::new(), mms_read: true };
    save(dir.path(), "P", &both, None, &Names::default(), "2026-12-06").expect("save");
    let sms_only = Messages { messages: vec![both.messages[1].clone()], notes: Vec::new(), mms_read: false };
    let saved = save(dir.path(), "P", &sms_only, None, &Names::default(), "2026-12-07").expect("save");
    assert_eq!((saved.messages, saved.only_in_backup), (2, 0));
    assert!(saved.unchanged(), "nothing changed: {saved:?}");
}

/// Every file under `dir`, recursively.
fn files_under(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for entry in std::fs::read_dir(&d).expect("folder").flatten() {
            if entry.path().is_dir() {
                todo.push(entry.path());
            } else {
                out.push(entry.path());
            }
        }
    }
    out
}

#[test]
fn an_encrypted_folder_round_trips_the_messages_writes_nothing_the_second_time_and_removes_a_stale_page() {
    use super::store::{export, save_in};
    use crate::backup::documents::Documents;
    let dir = tempfile::tempdir().expect("temp dir");
    let vault = crate::vault::Vault::create(dir.path(), &crate::vault::SecretString::from("correct horse".to_string()))
        .expect("vault");
    let docs = Documents::new(dir.path(), Some(&vault));
    let names = Names::new(&[contact("Anna Geheim", &["+49 151 23456789"])]);
    let first = Messages {
        messages: vec![sms(1, "+4915123456789", 1000, 1, "secret rendezvous"), sms(2, "72345", 2000, 1, "code 991")],
        notes: Vec::new(),
        mms_read: true,
    };
    let saved = save_in(&docs, "Pixel (X)", "Pixel (X)", &first, None, &names, "2026-12-06").expect("save");
    assert!(saved.encrypted && saved.files_written > 0, "{saved:?}");
    assert_eq!((saved.messages, saved.conversations), (2, 2));
    for file in files_under(dir.path()) {
        let shown = file.to_string_lossy().into_owned();
        assert!(!shown.contains("Messages") && !shown.contains("Anna") && !shown.contains("Pixel"), "{shown}");
        let bytes = std::fs::read(&file).expect("read");
        for secret in [&b"rendezvous"[..], b"23456789", b"Anna"] {
            assert!(!bytes.windows(secret.len()).any(|w| w == secret), "{shown} shows {secret:?}");
        }
    }
    let page = docs.read("Pixel (X)/Messages/Anna Geheim.html").expect("read").expect("Anna's page");
    assert!(String::from_utf8_lossy(&page).contains("secret rendezvous"));

    let before: Vec<_> = files_under(dir.path())
        .into_iter()
        .map(|f| (f.clone(), std::fs::metadata(&f).and_then(|m| m.modified()).expect("mtime")))
        .collect();
    let again = save_in(&docs, "Pixel (X)", "Pixel (X)", &first, None, &names, "2026-12-06").expect("save");
    assert!(again.unchanged(), "{again:?}");
    let after: Vec<_> = files_under(dir.path())
        .into_iter()
        .map(|f| (f.clone(), std::fs::metadata(&f).and_then(|m| m.modified()).expect("mtime")))
        .collect();
    assert_eq!(before, after, "the second save touched files");

    // Without the contact the conversation is named by number: Anna's page goes, her messages stay.
    let later = Messages { messages: vec![first.messages[1].clone()], notes: Vec::new(), mms_read: true };
    let saved = save_in(&docs, "Pixel (X)", "Pixel (X)", &later, None, &Names::default(), "2026-12-07").expect("save");
    assert_eq!((saved.messages, saved.only_in_backup), (2, 1));
    assert!(!docs.exists("Pixel (X)/Messages/Anna Geheim.html"), "the stale page stayed");
    assert!(docs.exists("Pixel (X)/Messages/+4915123456789.html"));

    let out = tempfile::tempdir().expect("out");
    let done = export(&docs, "Pixel (X)", out.path()).expect("export").expect("messages");
    assert_eq!((done.messages, done.pages), (2, 2));
    let page = std::fs::read_to_string(out.path().join("+4915123456789.html")).expect("exported page");
    assert!(page.contains("secret rendezvous") && page.contains("no longer on the phone"), "{page}");
    assert!(out.path().join("index.html").is_file() && !out.path().join("Anna Geheim.html").exists());
}

#[test]
fn a_sealed_messages_file_that_no_longer_decrypts_is_kept_aside_and_a_new_one_written() {
    use crate::backup::documents::Documents;
    let dir = tempfile::tempdir().expect("temp dir");
    let vault = crate::vault::Vault::create(dir.path(), &crate::vault::SecretString::from("correct horse".to_string()))
        .expect("vault");
    let docs = Documents::new(dir.path(), Some(&vault));
    let read = Messages { messages: vec![sms(1, "+1", 1, 1, "x")], notes: Vec::new(), mms_read: true };
    let file = docs.file("P/Messages/messages.json");
    std::fs::create_dir_all(file.parent().expect("parent")).expect("mkdir");
    std::fs::write(&file, b"damaged").expect("write");
    let saved = super::store::save_in(&docs, "P", "P", &read, None, &Names::default(), "2026-12-06").expect("save");
    assert_eq!(saved.notes.len(), 1, "{:?}", saved.notes);
    assert_eq!(std::fs::read(docs.file("P/Messages/messages-unreadable-2026-12-06.json")).expect("kept"), b"damaged");
    assert_eq!(saved.messages, 1);
}

#[test]
fn a_plain_folder_from_before_the_page_list_still_loses_its_stale_pages_and_keeps_a_page_of_its_owner() {
    let dir = tempfile::tempdir().expect("temp dir");
    let folder = dir.path().join("Messages");
    std::fs::create_dir_all(&folder).expect("mkdir");
    let old_page = format!("<!DOCTYPE html>\n<html>\n<head>\n{}\n</head></html>", super::html::GENERATOR);
    std::fs::write(folder.join("Old Name.html"), old_page).expect("write");
    std::fs::write(folder.join("notes.html"), "<p>the owner's own page</p>").expect("write");
    let read = Messages { messages: vec![sms(1, "+1", 1, 1, "x")], notes: Vec::new(), mms_read: true };
    save(dir.path(), "P", &read, None, &Names::default(), "2026-12-06").expect("save");
    assert!(!folder.join("Old Name.html").exists(), "the stale page stayed");
    assert!(folder.join("notes.html").is_file() && folder.join("+1.html").is_file());
    let list: serde_json::Value =
        serde_json::from_slice(&std::fs::read(folder.join(super::store::PAGES_JSON)).expect("page list"))
            .expect("json");
    assert_eq!(list["pages"], serde_json::json!(["+1.html"]));
}
