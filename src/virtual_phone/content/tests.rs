//! The contacts and SMS providers through `content`, as the shell runs it (the media provider's tests are in
//! `media_store.rs`).

use super::super::{AndroidVersion, Battery, Phone, Props, Stats, media_store::MediaStore, storage::Storage};
use super::sql::Value;
use super::{Contact, ContactsStore, DataItem, Sms, SmsStore, content_command, mime};

fn new_phone(release: u32, sdk: u32) -> (tempfile::TempDir, Phone) {
    let dir = tempfile::tempdir().expect("temp dir");
    let android = AndroidVersion { release, sdk };
    let phone = Phone {
        storage: Storage::new(dir.path(), 1 << 30).expect("storage"),
        media: MediaStore::new(sdk),
        contacts: ContactsStore::default(),
        sms: SmsStore::default(),
        calls: super::CallLogStore::default(),
        props: Props::new("Pixel 7", "VIRT0001", android),
        android,
        stats: Stats::default(),
        battery: Battery::default(),
        wlan0: None,
    };
    (dir, phone)
}

/// Runs `content ARGS` (already split as the shell splits them): (stdout, stderr, exit code).
fn content(phone: &Phone, args: &[&str]) -> (String, String, i32) {
    let args: Vec<Vec<u8>> = args.iter().map(|a| a.as_bytes().to_vec()).collect();
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = content_command(phone, &args, &mut out, &mut err);
    (String::from_utf8(out).expect("utf-8"), String::from_utf8(err).expect("utf-8"), code)
}

const DATA: &str = "content://com.android.contacts/data";
const RAW: &str = "content://com.android.contacts/raw_contacts";

fn hostile_contact() -> Contact {
    Contact {
        account: Some(("me@gmail.com".to_string(), "com.google".to_string())),
        starred: true,
        items: vec![
            DataItem::text(mime::NAME, &[Some("Smith, Jr. = Bob 😀"), Some("Bob"), Some("Smith, Jr.")]),
            DataItem {
                mimetype: mime::PHONE,
                values: vec![(1, Value::Text("+1 555, 0100".into())), (2, Value::Int(2))],
            },
            DataItem::text(mime::NOTE, &[Some("one\nRow: 3 _id=9, data1=x\nمرحبا")]),
            DataItem { mimetype: mime::PHOTO, values: vec![(15, Value::Blob(vec![0xff, 0xd8, 0xff, 0xd9]))] },
        ],
    }
}

#[test]
fn contacts_data_query_prints_hostile_values_raw_blobs_as_blob_and_nulls_as_null() {
    let (_dir, phone) = new_phone(14, 34);
    phone.contacts.add(&hostile_contact());
    let (out, err, code) = content(
        &phone,
        &["query", "--uri", DATA, "--projection", "_id:raw_contact_id:mimetype:data1:data2:data15", "--sort", "_id"],
    );
    assert_eq!((err.as_str(), code), ("", 0));
    assert_eq!(
        out,
        "Row: 0 _id=1, raw_contact_id=1, mimetype=vnd.android.cursor.item/name, data1=Smith, Jr. = Bob 😀, data2=Bob, data15=NULL\n\
         Row: 1 _id=2, raw_contact_id=1, mimetype=vnd.android.cursor.item/phone_v2, data1=+1 555, 0100, data2=2, data15=NULL\n\
         Row: 2 _id=3, raw_contact_id=1, mimetype=vnd.android.cursor.item/note, data1=one\nRow: 3 _id=9, data1=x\nمرحبا, data2=NULL, data15=NULL\n\
         Row: 3 _id=4, raw_contact_id=1, mimetype=vnd.android.cursor.item/photo, data1=NULL, data2=NULL, data15=BLOB\n"
    );
    // The same rows through Phone.CONTENT_URI, and the raw contact with the name its data gives it.
    let (out, _, _) = content(&phone, &["query", "--uri", &format!("{DATA}/phones"), "--projection", "data1"]);
    assert_eq!(out, "Row: 0 data1=+1 555, 0100\n");
    let (out, _, _) = content(
        &phone,
        &["query", "--uri", RAW, "--projection", "_id:account_type:display_name:display_name_source:deleted:starred"],
    );
    assert_eq!(
        out,
        "Row: 0 _id=1, account_type=com.google, display_name=Smith, Jr. = Bob 😀, display_name_source=40, deleted=0, starred=1\n"
    );
}

#[test]
fn contacts_insert_prints_nothing_and_the_caller_finds_the_new_id_by_querying_back() {
    for (release, sdk) in [(9, 28), (10, 29), (14, 34)] {
        let (_dir, phone) = new_phone(release, sdk);
        phone.contacts.add(&hostile_contact());
        let insert = ["insert", "--uri", RAW, "--bind", "account_type:s:com.google", "--bind", "account_name:s:a@b.c"];
        assert_eq!(content(&phone, &insert), (String::new(), String::new(), 0), "Android {release}");
        let (out, _, _) =
            content(&phone, &["query", "--uri", RAW, "--projection", "_id", "--sort", "_id DESC LIMIT 1"]);
        assert_eq!(out, "Row: 0 _id=2\n", "Android {release}");
        // Android 11+ splits a binding at unescaped colons; before, the value is all after the second colon.
        let number = if sdk >= 30 { "data1:s:+49 30 1234\\:5" } else { "data1:s:+49 30 1234:5" };
        for binds in [
            ["raw_contact_id:i:2", "mimetype:s:vnd.android.cursor.item/phone_v2", number, "data2:i:2"],
            ["raw_contact_id:i:2", "mimetype:s:vnd.android.cursor.item/name", "data2:s:Ann", "data3:s:Lee"],
        ] {
            let mut args = vec!["insert", "--uri", DATA];
            for b in &binds {
                args.extend(["--bind", b]);
            }
            assert_eq!(content(&phone, &args), (String::new(), String::new(), 0), "Android {release}");
        }
        let (out, err, _) = content(
            &phone,
            &[
                "query",
                "--uri",
                DATA,
                "--projection",
                "mimetype:data1:data2",
                "--where",
                "raw_contact_id=2",
                "--sort",
                "_id",
            ],
        );
        assert_eq!(err, "");
        assert_eq!(
            out,
            "Row: 0 mimetype=vnd.android.cursor.item/phone_v2, data1=+49 30 1234:5, data2=2\n\
             Row: 1 mimetype=vnd.android.cursor.item/name, data1=Ann Lee, data2=Ann\n",
            "Android {release}"
        );
        let (out, _, _) = content(
            &phone,
            &[
                "query",
                "--uri",
                "content://com.android.contacts/contacts",
                "--projection",
                "display_name:has_phone_number",
            ],
        );
        assert_eq!(
            out,
            "Row: 0 display_name=Smith, Jr. = Bob 😀, has_phone_number=1\nRow: 1 display_name=Ann Lee, has_phone_number=1\n"
        );
    }
}

#[test]
fn contacts_inserts_without_their_required_values_fail_as_contacts_provider2_says() {
    let (_dir, phone) = new_phone(14, 34);
    let (out, err, code) = content(&phone, &["insert", "--uri", RAW, "--bind", "account_type:s:com.google"]);
    assert_eq!((out.as_str(), code), ("", 0));
    assert!(
        err.starts_with(
            "Error while accessing provider:com.android.contacts\njava.lang.IllegalArgumentException: Must specify both or \
             neither of ACCOUNT_NAME and ACCOUNT_TYPE; URI: content://com.android.contacts/raw_contacts, calling user: \
             android.uid.shell:2000, calling package:com.android.shell\n\tat android.os.Parcel"
        ),
        "{err}"
    );
    let (_, err, _) = content(&phone, &["insert", "--uri", DATA, "--bind", "mimetype:s:vnd.android.cursor.item/note"]);
    assert!(err.contains("java.lang.IllegalArgumentException: raw_contact_id is required; URI: "), "{err}");
    content(&phone, &["insert", "--uri", RAW]);
    let (_, err, _) = content(&phone, &["insert", "--uri", DATA, "--bind", "raw_contact_id:i:1"]);
    assert!(err.contains("java.lang.IllegalArgumentException: mimetype is required; URI: "), "{err}");
    let (out, _, _) = content(&phone, &["insert", "--uri", DATA, "--bind", "raw_contact_id:i:x"]);
    assert!(out.ends_with("[ERROR] For input string: \"x\"\n"), "{out}");
    let (_, err, _) = content(&phone, &["query", "--uri", RAW, "--projection", "_id:nickname"]);
    assert!(err.contains("java.lang.IllegalArgumentException: Invalid column nickname\n"), "{err}");
    assert_eq!(phone.contacts.count(), 1);
}

#[test]
fn contacts_delete_removes_local_contacts_and_marks_synced_ones_deleted() {
    let (_dir, phone) = new_phone(14, 34);
    let synced = phone.contacts.add(&hostile_contact());
    let local = phone.contacts.add(&Contact {
        account: None,
        starred: false,
        items: vec![DataItem::text(mime::PHONE, &[Some("+1 555 0199"), Some("2")])],
    });
    assert_eq!(content(&phone, &["delete", "--uri", RAW, "--where", &format!("_id IN ({synced}, {local})")]).2, 0);
    let (out, _, _) = content(&phone, &["query", "--uri", RAW, "--projection", "_id:deleted:dirty"]);
    assert_eq!(out, "Row: 0 _id=1, deleted=1, dirty=1\n");
    let (out, _, _) = content(&phone, &["query", "--uri", "content://com.android.contacts/contacts"]);
    assert_eq!(out, "No result found.\n");
    // Data rows go at once.
    content(&phone, &["delete", "--uri", DATA, "--where", "mimetype = 'vnd.android.cursor.item/photo'"]);
    let (out, _, _) =
        content(&phone, &["query", "--uri", DATA, "--projection", "mimetype", "--where", "data15 IS NOT NULL"]);
    assert_eq!(out, "No result found.\n");
}

#[test]
fn deny_contacts_is_a_permission_denial_for_reads_and_writes() {
    let (_dir, phone) = new_phone(14, 34);
    phone.contacts.add(&hostile_contact());
    phone.contacts.deny(true);
    let (out, err, code) = content(&phone, &["query", "--uri", DATA, "--projection", "data1"]);
    assert_eq!((out.as_str(), code), ("", 0));
    assert!(
        err.starts_with(
            "Error while accessing provider:com.android.contacts\njava.lang.SecurityException: Permission Denial: \
             reading com.android.providers.contacts.ContactsProvider2 uri content://com.android.contacts/data from \
             pid=4242, uid=2000 requires android.permission.READ_CONTACTS, or grantUriPermission()\n\tat "
        ),
        "{err}"
    );
    let (_, err, _) = content(&phone, &["insert", "--uri", RAW]);
    assert!(err.contains(" requires android.permission.WRITE_CONTACTS, or grantUriPermission()\n"), "{err}");
    assert!(err.contains("Permission Denial: writing com.android.providers.contacts.ContactsProvider2"), "{err}");
    assert_eq!(phone.contacts.count(), 1);
}

fn two_messages(phone: &Phone) {
    phone.sms.add(Sms {
        address: "+1 555 0100".into(),
        date_ms: 1_700_000_000_000,
        date_sent_ms: 1_699_999_998_000,
        kind: super::sms::TYPE_INBOX,
        read: true,
        body: "Hi, body=x\nRow: 5 _id=1".into(),
    });
    phone.sms.add(Sms {
        address: "+1 555 0100".into(),
        date_ms: 1_700_000_060_000,
        date_sent_ms: 0,
        kind: super::sms::TYPE_SENT,
        read: true,
        body: "ok 👍".into(),
    });
}

#[test]
fn sms_query_lists_the_boxes_newest_first_with_the_sms_tables_columns() {
    let (_dir, phone) = new_phone(14, 34);
    two_messages(&phone);
    let (out, err, _) =
        content(&phone, &["query", "--uri", "content://sms", "--projection", "_id:thread_id:address:date:type:body"]);
    assert_eq!(err, "");
    assert_eq!(
        out,
        "Row: 0 _id=2, thread_id=1, address=+1 555 0100, date=1700000060000, type=2, body=ok 👍\n\
         Row: 1 _id=1, thread_id=1, address=+1 555 0100, date=1700000000000, type=1, body=Hi, body=x\nRow: 5 _id=1\n"
    );
    let (out, _, _) = content(&phone, &["query", "--uri", "content://sms/inbox", "--projection", "_id"]);
    assert_eq!(out, "Row: 0 _id=1\n");
    let (out, _, _) =
        content(&phone, &["query", "--uri", "content://sms/sent", "--projection", "_id", "--where", "read=0"]);
    assert_eq!(out, "No result found.\n");
    let (out, _, _) = content(&phone, &["query", "--uri", "content://sms/1"]);
    assert!(
        out.starts_with("Row: 0 _id=1, thread_id=1, address=+1 555 0100, person=NULL, date=1700000000000, date_sent="),
        "{out}"
    );
    assert!(
        out.contains(
            ", service_center=+15555550100, locked=0, sub_id=1, error_code=0, creator=com.android.phone, seen=1\n"
        ),
        "{out}"
    );
}

#[test]
fn sms_writes_from_the_shell_are_ignored_silently_as_the_write_sms_app_op_makes_them() {
    let (_dir, phone) = new_phone(14, 34);
    two_messages(&phone);
    let insert = ["insert", "--uri", "content://sms/inbox", "--bind", "address:s:123", "--bind", "body:s:forged"];
    assert_eq!(content(&phone, &insert), (String::new(), String::new(), 0));
    assert_eq!(content(&phone, &["delete", "--uri", "content://sms"]), (String::new(), String::new(), 0));
    assert_eq!(phone.sms.count(), 2);
    // MMS share the app-op: an insert does nothing either.
    let insert = ["insert", "--uri", "content://mms/part", "--bind", "text:s:forged"];
    assert_eq!(content(&phone, &insert), (String::new(), String::new(), 0));
    assert_eq!(
        content(&phone, &["query", "--uri", "content://mms/part"]),
        ("No result found.\n".to_string(), String::new(), 0)
    );
}

#[test]
fn deny_sms_is_a_permission_denial_naming_read_sms() {
    let (_dir, phone) = new_phone(10, 29);
    two_messages(&phone);
    phone.sms.deny(true);
    let (out, err, _) = content(&phone, &["query", "--uri", "content://sms/inbox"]);
    assert_eq!(out, "");
    assert!(
        err.starts_with(
            "Error while accessing provider:sms\njava.lang.SecurityException: Permission Denial: reading \
             com.android.providers.telephony.SmsProvider uri content://sms/inbox from pid=4242, uid=2000 requires \
             android.permission.READ_SMS, or grantUriPermission()\n"
        ),
        "{err}"
    );
}

#[test]
fn the_sample_address_book_and_messages_are_hostile_and_the_same_for_a_seed() {
    let query = |phone: &Phone| {
        let data =
            content(phone, &["query", "--uri", DATA, "--projection", "raw_contact_id:mimetype:data1:data2:data15"]).0;
        let sms = content(phone, &["query", "--uri", "content://sms"]).0;
        (data, sms)
    };
    let (_d1, a) = new_phone(14, 34);
    crate::virtual_phone::sample::address_book(&a.contacts, 3);
    crate::virtual_phone::sample::messages(&a.sms, 3);
    let (_d2, b) = new_phone(14, 34);
    crate::virtual_phone::sample::address_book(&b.contacts, 3);
    crate::virtual_phone::sample::messages(&b.sms, 3);
    assert_eq!(query(&a), query(&b));
    assert_eq!((a.contacts.count(), a.sms.count()), (20, 40));
    let (data, sms) = query(&a);
    for hostile in ["Smith, Jr.", "emma=smith@", "\nRow: 3 ", "محمد", "דניאל", "😀", "data15=BLOB", ", data1=fake"]
    {
        assert!(data.contains(hostile), "{hostile}");
    }
    assert!(data.contains(&"abcdefghijklmnopqrstuvwxyz".repeat(192)));
    let (threads, _, _) = content(
        &a,
        &["query", "--uri", "content://sms", "--projection", "thread_id", "--sort", "thread_id DESC LIMIT 1"],
    );
    assert_eq!(threads, "Row: 0 thread_id=5\n");
    assert!(sms.contains("type=1") && sms.contains("type=2") && sms.contains("Running late,\nsee you"));
    // A contact with only a phone number is named by it.
    let (only, _, _) =
        content(&a, &["query", "--uri", RAW, "--projection", "display_name:display_name_source", "--where", "_id=20"]);
    assert_eq!(only, "Row: 0 display_name=+1 555 010 9999, display_name_source=20\n");
}

#[test]
fn the_shell_sees_sent_and_received_sms_only_and_the_call_log_from_android_15() {
    let (_dir, phone) = new_phone(14, 34);
    two_messages(&phone);
    phone.sms.add(Sms {
        address: "+1 555 0100".into(),
        date_ms: 1_700_000_120_000,
        date_sent_ms: 0,
        kind: 3,
        read: true,
        body: "a draft".into(),
    });
    let (out, _, _) = content(&phone, &["query", "--uri", "content://sms", "--projection", "_id"]);
    assert_eq!(out.lines().count(), 2, "the draft is not in the shell's sms_restricted view: {out}");
    assert_eq!(content(&phone, &["query", "--uri", "content://sms/draft"]).0, "No result found.\n");

    let call = super::Call { number: "+1 555 0100".into(), date_ms: 1, duration_s: 2, kind: 1, name: None };
    phone.calls.add(call.clone());
    let (out, err, code) = content(&phone, &["query", "--uri", "content://call_log/calls"]);
    assert_eq!((out.as_str(), code), ("", 0));
    assert!(err.contains("requires android.permission.READ_CALL_LOG or android.permission.WRITE_CALL_LOG"), "{err}");
    let (_dir, phone) = new_phone(15, 35);
    phone.calls.add(call);
    let (out, _, _) =
        content(&phone, &["query", "--uri", "content://call_log/calls", "--projection", "number:duration"]);
    assert_eq!(out, "Row: 0 number=+1 555 0100, duration=2\n");
    phone.calls.deny(true);
    assert!(content(&phone, &["query", "--uri", "content://call_log/calls"]).1.contains("Permission Denial"));
}
