//! The virtual phone's contacts and SMS providers through Debian's real `adb` and its server, as phonebak
//! will read them: `adb shell content query ...` on a `--sample` phone.

use crate::util::{AdbServer, text};
use phonebak::virtual_phone::sample::SampleOptions;
use phonebak::virtual_phone::{AndroidVersion, Config, DeniedProvider, Fault, StorageSource, VirtualPhone};

fn sample_phone(faults: Vec<Fault>) -> VirtualPhone {
    VirtualPhone::start(Config {
        storage: StorageSource::Sample(SampleOptions { photos: 3, seed: 7, ..SampleOptions::default() }),
        android: AndroidVersion::parse("14").expect("android"),
        faults,
        ..Config::default()
    })
    .expect("start the virtual phone")
}

#[test]
fn adb_shell_content_query_reads_the_sample_address_book_and_messages_byte_for_byte() {
    let server = AdbServer::start();
    let phone = sample_phone(Vec::new());
    server.connect(&phone, "device");
    let out = server.on(
        &phone,
        &[
            "shell",
            "content query --uri content://com.android.contacts/data --projection raw_contact_id:mimetype:data1 \
             --where \"mimetype='vnd.android.cursor.item/note'\" --sort _id",
        ],
    );
    let rows = text(&out.stdout);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        rows.starts_with(
            "Row: 0 raw_contact_id=1, mimetype=vnd.android.cursor.item/note, data1=Met at the conference, key=value, \
             other=thing\nRow: 1 raw_contact_id=2, mimetype=vnd.android.cursor.item/note, data1=Line one\nRow: 3 \
             _id=99, mimetype=vnd.android.cursor.item/name\nline three\nRow: 2 raw_contact_id=3, "
        ),
        "{rows}"
    );
    assert!(rows.contains("data1=ملاحظة باللغة العربية\n"), "{rows}");
    // 27 of the 40 sample messages are received; a body's own "Row: 7" never starts a line.
    let out = server.on(&phone, &["shell", "content query --uri content://sms/inbox --projection _id:body"]);
    let rows = text(&out.stdout);
    assert_eq!(rows.lines().filter(|l| l.starts_with("Row: ")).count(), 27, "{rows}");
    assert!(rows.contains("body=Running late,\nsee you at 8, ok?\n"), "{rows}");
}

#[test]
fn a_phone_with_deny_contacts_answers_adb_with_a_permission_denial_on_stderr_and_exit_0() {
    let server = AdbServer::start();
    let phone = sample_phone(vec![Fault::Deny(DeniedProvider::Contacts)]);
    server.connect(&phone, "device");
    let out = server.on(&phone, &["shell", "content query --uri content://com.android.contacts/raw_contacts"]);
    assert!(out.status.success());
    assert_eq!(text(&out.stdout), "");
    assert!(
        text(&out.stderr).starts_with(
            "Error while accessing provider:com.android.contacts\njava.lang.SecurityException: Permission Denial: \
             reading com.android.providers.contacts.ContactsProvider2 uri content://com.android.contacts/raw_contacts"
        ),
        "{}",
        text(&out.stderr)
    );
}
