use super::*;
use crate::content::fake::{Cell, FakePhone};

fn t(s: &str) -> Cell {
    Cell::Text(s.to_string())
}

fn raw(phone: &mut FakePhone, id: i64, account: Option<(&str, &str)>, deleted: i64) {
    let (name, kind) = account.map_or((Cell::Null, Cell::Null), |(n, k)| (t(n), t(k)));
    phone.add_row(
        RAW_CONTACTS_URI,
        &[
            ("_id", Cell::Int(id)),
            ("contact_id", Cell::Int(id + 100)),
            ("deleted", Cell::Int(deleted)),
            ("starred", Cell::Int(i64::from(id == 1))),
            ("account_name", name),
            ("account_type", kind),
            ("display_name", t("ignored when a name row exists")),
        ],
    );
}

fn data(phone: &mut FakePhone, id: i64, raw: i64, mime: &str, cells: &[(&str, Cell)]) {
    let mut row = vec![("_id", Cell::Int(id)), ("raw_contact_id", Cell::Int(raw)), ("mimetype", t(mime))];
    row.extend(cells.iter().cloned());
    phone.add_row(DATA_URI, &row);
}

/// A small address book with hostile values, a photo, a deleted contact and an unknown mimetype.
pub(crate) fn hostile_phone() -> FakePhone {
    let mut phone = FakePhone::default();
    raw(&mut phone, 1, Some(("ana@example.com", "com.google")), 0);
    raw(&mut phone, 2, None, 0);
    raw(&mut phone, 3, None, 1);
    let note = format!("Line one, with = and ;\nRow: 9 _id=12, data1=forged\n{}", "ש😀".repeat(2500));
    data(
        &mut phone,
        10,
        1,
        mimetype::NAME,
        &[("data1", t("Ana, \"Nana\" Pérez")), ("data2", t("Ana")), ("data3", t("Pérez; de la Cruz"))],
    );
    data(
        &mut phone,
        11,
        1,
        mimetype::PHONE,
        &[("data1", t("+34 600 000 000")), ("data2", t("2")), ("is_primary", Cell::Int(1))],
    );
    data(
        &mut phone,
        12,
        1,
        mimetype::PHONE,
        &[("data1", t("555,123")), ("data2", t("0")), ("data3", t("Boat, deck 2"))],
    );
    data(&mut phone, 13, 1, mimetype::EMAIL, &[("data1", t("ana@example.com")), ("data2", t("1"))]);
    data(&mut phone, 14, 1, mimetype::NOTE, &[("data1", t(&note))]);
    data(&mut phone, 15, 1, mimetype::EVENT, &[("data1", t("1985-04-12")), ("data2", t("3"))]);
    data(&mut phone, 16, 1, mimetype::WEBSITE, &[("data1", t("https://example.com/a,b;c")), ("data2", t("1"))]);
    data(&mut phone, 17, 1, mimetype::NICKNAME, &[("data1", t("Nana"))]);
    data(
        &mut phone,
        18,
        1,
        mimetype::POSTAL,
        &[
            ("data2", t("1")),
            ("data4", t("Calle Mayor 1, 2º")),
            ("data7", t("Madrid")),
            ("data9", t("28013")),
            ("data10", t("España")),
        ],
    );
    data(&mut phone, 19, 1, mimetype::ORGANIZATION, &[("data1", t("Acme; S.L.")), ("data4", t("Engineer"))]);
    data(
        &mut phone,
        20,
        1,
        mimetype::PHOTO,
        &[("data15", Cell::Blob(vec![0xFF, 0xD8, 0xFF, 0xE0, 0, 1, 2, 0xFF, 0xD9]))],
    );
    data(&mut phone, 21, 2, mimetype::NAME, &[("data1", t("NULL")), ("data2", t("NULL"))]);
    data(&mut phone, 22, 2, mimetype::PHONE, &[("data1", t("")), ("data2", t("7"))]);
    data(&mut phone, 23, 2, "vnd.com.whatsapp.profile", &[("data1", t("wa=1, x"))]);
    data(&mut phone, 24, 3, mimetype::NAME, &[("data1", t("Deleted Person"))]);
    phone
}

#[test]
fn contacts_are_assembled_from_raw_contacts_and_data_rows_with_hostile_values_intact() {
    let phone = hostile_phone();
    let book = read_contacts(&phone, 34).expect("contacts");
    assert_eq!(book.contacts.len(), 2, "the deleted raw contact is left out");
    assert!(book.notes.is_empty(), "{:?}", book.notes);
    let ana = &book.contacts[0];
    assert_eq!(ana.raw_contact_id, Some(1));
    assert_eq!(ana.contact_id, Some(101));
    assert!(ana.starred);
    assert_eq!(ana.account, Some(Account { name: "ana@example.com".into(), kind: "com.google".into() }));
    assert_eq!(ana.name.display.as_deref(), Some("Ana, \"Nana\" Pérez"));
    assert_eq!(ana.name.family.as_deref(), Some("Pérez; de la Cruz"));
    assert_eq!(ana.phones.len(), 2);
    assert_eq!((ana.phones[0].kind, ana.phones[0].primary), (kind::PHONE_MOBILE, true));
    assert_eq!(ana.phones[1].value, "555,123");
    assert_eq!(ana.phones[1].label.as_deref(), Some("Boat, deck 2"));
    assert!(ana.notes[0].starts_with("Line one, with = and ;\nRow: 9 _id=12, data1=forged\nש😀"));
    assert_eq!(ana.notes[0].chars().count(), 51 + 5000);
    assert_eq!(ana.birthday(), Some("1985-04-12"));
    assert_eq!(ana.websites[0].value, "https://example.com/a,b;c");
    assert_eq!(ana.nicknames, ["Nana"]);
    assert_eq!(ana.addresses[0].street.as_deref(), Some("Calle Mayor 1, 2º"));
    assert_eq!(ana.addresses[0].country.as_deref(), Some("España"));
    assert_eq!(ana.organizations[0].company.as_deref(), Some("Acme; S.L."));
    assert_eq!(ana.organizations[0].title.as_deref(), Some("Engineer"));
    assert_eq!(ana.photo.as_deref(), Some(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 1, 2, 0xFF, 0xD9][..]));

    let second = &book.contacts[1];
    assert_eq!(second.name.display.as_deref(), Some("NULL"), "the text NULL is a name, not a missing one");
    assert_eq!(second.account, None);
    assert!(second.phones.is_empty(), "an empty number is no phone");
}

#[test]
fn every_raw_row_is_kept_for_a_faithful_restore() {
    let book = read_contacts(&hostile_phone(), 34).expect("contacts");
    assert_eq!(book.raw_contacts.iter().map(|r| r.id).collect::<Vec<_>>(), [1, 2]);
    assert_eq!(book.data.len(), 14, "data rows of live raw contacts, unknown mimetypes included");
    let whatsapp = book.data.iter().find(|r| r.id == 23).expect("row 23");
    assert_eq!(whatsapp.text("data1"), Some("wa=1, x"));
    assert_eq!(whatsapp.get("data2"), &Value::Null);
    let photo = book.data.iter().find(|r| r.id == 20).expect("photo row");
    assert_eq!(photo.text("data15_hex"), Some("FFD8FFE0000102FFD9"));
    let json = serde_json::to_string(&book).expect("json");
    let back: AddressBook = serde_json::from_str(&json).expect("read back");
    assert_eq!(back, book, "the rows survive JSON");
}

#[test]
fn a_provider_that_refuses_the_photo_expression_gives_contacts_without_photos_and_says_so() {
    let mut phone = hostile_phone();
    phone.strict_projection = true;
    let book = read_contacts(&phone, 30).expect("contacts");
    assert_eq!(book.contacts[0].photo, None);
    assert_eq!(book.notes.len(), 1);
    assert!(book.notes[0].contains("Invalid column") && book.notes[0].contains("Android 11"), "{}", book.notes[0]);
}

#[test]
fn permission_denial_on_contacts_is_a_clear_error_naming_android() {
    let mut phone = hostile_phone();
    phone.failures.insert(
        RAW_CONTACTS_URI.to_string(),
        "java.lang.SecurityException: Permission Denial: opening provider com.android.providers.contacts.ContactsProvider2 \
         from ProcessRecord{a 1:com.android.shell/2000} requires android.permission.READ_CONTACTS"
            .to_string(),
    );
    let err = read_contacts(&phone, 28).expect_err("refused");
    let message = err.to_string();
    assert!(message.contains("Android 9, SDK 28") && message.contains("Permission Denial"), "{message}");
    assert!(matches!(err, ContactsError::Content(ContentError::PermissionDenied { .. })));
}

#[test]
fn a_phone_without_contacts_reads_as_an_empty_address_book() {
    let mut phone = FakePhone::default();
    phone.tables.insert(RAW_CONTACTS_URI.to_string(), Vec::new());
    let book = read_contacts(&phone, 34).expect("empty");
    assert!(book.contacts.is_empty() && book.data.is_empty());
    assert_eq!(phone.calls.borrow().len(), 1, "no data query when there are no raw contacts");
}
