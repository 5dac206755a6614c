//! The phone's address book (engine layer): read over ADB from Android's contacts provider, written as vCard.
//!
//! Android keeps contacts in `ContactsContract`: a *raw contact* per account (`raw_contacts`: account name and
//! type, `deleted`, `starred`...) and its *data rows* (`data`: a `mimetype` and the generic columns
//! `data1`..`data15`, whose meaning depends on the mimetype — `vnd.android.cursor.item/name` holds the given
//! name in `data2`, `.../phone_v2` the number in `data1` and its type in `data2`...). The shell user may read
//! both (`READ_CONTACTS` in AOSP's Shell manifest) with `content query`, read here through
//! [`crate::content::Provider`], which proves every row boundary, so commas, `=`, newlines and forged `Row:`
//! lines in names and notes survive.
//!
//! [`read_contacts`] returns an [`AddressBook`]: every raw row as the provider gave it (for a faithful restore
//! with `content insert`), and a [`Contact`] per raw contact (what the vCard shows). One card per *raw*
//! contact: a person linked across two accounts gives two cards, each with its account, which is what a
//! restore into one account needs; `contact_id` says which ones Android shows as one person.
//!
//! The photo: `content query` prints a blob as `BLOB`, and `content read` cannot help (it calls the provider's
//! `openFile`, which `ContactsProvider2` does not implement: it serves photos through `openAssetFile` only).
//! So the thumbnail in `data15` is asked for as `hex(data15) AS data15_hex`, an aliased expression the data
//! projection map lets through, and decoded here. That is the photo Android keeps in the database (up to
//! 96x96 on most phones, the one shown in lists); the large display photo lives in the provider's private
//! photo store, which nothing reachable from the shell reads. A phone whose provider refuses the expression
//! gives the contacts without photos and a note saying so.

pub mod import;
pub mod store;
pub mod vcard;

use crate::content::{ContentError, Provider, Row, Runner, Value};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// `ContactsContract.RawContacts.CONTENT_URI`.
pub const RAW_CONTACTS_URI: &str = "content://com.android.contacts/raw_contacts";
/// `ContactsContract.Data.CONTENT_URI`.
pub const DATA_URI: &str = "content://com.android.contacts/data";

/// `raw_contacts` columns read as integers.
pub const RAW_INTEGER_COLUMNS: &[&str] = &["contact_id", "starred", "send_to_voicemail", "version"];
/// `raw_contacts` columns read as text.
pub const RAW_TEXT_COLUMNS: &[&str] =
    &["account_name", "account_type", "data_set", "sourceid", "display_name", "custom_ringtone"];
/// `data` columns read as integers.
pub const DATA_INTEGER_COLUMNS: &[&str] = &["raw_contact_id", "is_primary", "is_super_primary"];
/// `data` columns read as text: the mimetype and the generic columns (`data15` is the photo's blob on photo
/// rows, read apart as hex).
pub const DATA_TEXT_COLUMNS: &[&str] = &[
    "mimetype", "data1", "data2", "data3", "data4", "data5", "data6", "data7", "data8", "data9", "data10", "data11",
    "data12", "data13", "data14",
];

/// Mimetypes of the data rows phonebak understands (`ContactsContract.CommonDataKinds`).
pub mod mimetype {
    /// `StructuredName`.
    pub const NAME: &str = "vnd.android.cursor.item/name";
    /// `Phone`.
    pub const PHONE: &str = "vnd.android.cursor.item/phone_v2";
    /// `Email`.
    pub const EMAIL: &str = "vnd.android.cursor.item/email_v2";
    /// `StructuredPostal`.
    pub const POSTAL: &str = "vnd.android.cursor.item/postal-address_v2";
    /// `Organization`.
    pub const ORGANIZATION: &str = "vnd.android.cursor.item/organization";
    /// `Note`.
    pub const NOTE: &str = "vnd.android.cursor.item/note";
    /// `Event` (birthday, anniversary).
    pub const EVENT: &str = "vnd.android.cursor.item/contact_event";
    /// `Website`.
    pub const WEBSITE: &str = "vnd.android.cursor.item/website";
    /// `Nickname`.
    pub const NICKNAME: &str = "vnd.android.cursor.item/nickname";
    /// `Photo`.
    pub const PHOTO: &str = "vnd.android.cursor.item/photo";
}

/// Android's type codes (`CommonDataKinds.*.TYPE_*`) that the vCard maps.
pub mod kind {
    /// `TYPE_CUSTOM` for every kind: the label says what it is.
    pub const CUSTOM: i64 = 0;
    /// `Phone.TYPE_HOME`, `Email.TYPE_HOME`, `StructuredPostal.TYPE_HOME`.
    pub const HOME: i64 = 1;
    /// `Phone.TYPE_MOBILE`; `Email.TYPE_WORK` and `StructuredPostal.TYPE_WORK` are 2 too.
    pub const PHONE_MOBILE: i64 = 2;
    /// `Phone.TYPE_WORK`.
    pub const PHONE_WORK: i64 = 3;
    /// `Phone.TYPE_FAX_WORK`.
    pub const PHONE_FAX_WORK: i64 = 4;
    /// `Phone.TYPE_FAX_HOME`.
    pub const PHONE_FAX_HOME: i64 = 5;
    /// `Phone.TYPE_PAGER`.
    pub const PHONE_PAGER: i64 = 6;
    /// `Phone.TYPE_OTHER`.
    pub const PHONE_OTHER: i64 = 7;
    /// `Phone.TYPE_CAR`.
    pub const PHONE_CAR: i64 = 9;
    /// `Phone.TYPE_MAIN`.
    pub const PHONE_MAIN: i64 = 12;
    /// `Phone.TYPE_ISDN`.
    pub const PHONE_ISDN: i64 = 11;
    /// `Phone.TYPE_WORK_MOBILE`.
    pub const PHONE_WORK_MOBILE: i64 = 17;
    /// `Phone.TYPE_MMS`.
    pub const PHONE_MMS: i64 = 20;
    /// `Email.TYPE_WORK`, `StructuredPostal.TYPE_WORK`.
    pub const WORK: i64 = 2;
    /// `Email.TYPE_OTHER`, `StructuredPostal.TYPE_OTHER`.
    pub const OTHER: i64 = 3;
    /// `Email.TYPE_MOBILE`.
    pub const EMAIL_MOBILE: i64 = 4;
    /// `Event.TYPE_ANNIVERSARY`.
    pub const EVENT_ANNIVERSARY: i64 = 1;
    /// `Event.TYPE_OTHER`.
    pub const EVENT_OTHER: i64 = 2;
    /// `Event.TYPE_BIRTHDAY`.
    pub const EVENT_BIRTHDAY: i64 = 3;
}

/// The account a raw contact belongs to (`account_type` "com.google", name "someone@gmail.com"); phone-only
/// contacts have none (or a maker's local account).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    /// `account_name`.
    pub name: String,
    /// `account_type`.
    pub kind: String,
}

/// A structured name (`StructuredName`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Name {
    /// `data1`, the name as shown.
    pub display: Option<String>,
    /// `data4`.
    pub prefix: Option<String>,
    /// `data2`.
    pub given: Option<String>,
    /// `data5`.
    pub middle: Option<String>,
    /// `data3`.
    pub family: Option<String>,
    /// `data6`.
    pub suffix: Option<String>,
    /// `data7`.
    pub phonetic_given: Option<String>,
    /// `data8`.
    pub phonetic_middle: Option<String>,
    /// `data9`.
    pub phonetic_family: Option<String>,
}

/// A value with Android's type code and, for `TYPE_CUSTOM`, a label (phones, emails, websites, events).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Typed {
    /// The number, address, URL or date (`data1`).
    pub value: String,
    /// Android's `TYPE_*` code (`data2`); see [`kind`].
    pub kind: i64,
    /// The label of a custom type (`data3`).
    pub label: Option<String>,
    /// Whether it is the preferred one (`is_primary`).
    pub primary: bool,
}

/// A postal address (`StructuredPostal`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Address {
    /// `data2`: home 1, work 2, other 3, custom 0.
    pub kind: i64,
    /// `data3`.
    pub label: Option<String>,
    /// `data1`, the whole address as one text.
    pub formatted: Option<String>,
    /// `data4`.
    pub street: Option<String>,
    /// `data5`.
    pub pobox: Option<String>,
    /// `data6`.
    pub neighborhood: Option<String>,
    /// `data7`.
    pub city: Option<String>,
    /// `data8`.
    pub region: Option<String>,
    /// `data9`.
    pub postcode: Option<String>,
    /// `data10`.
    pub country: Option<String>,
}

/// Where someone works (`Organization`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Organization {
    /// `data1`.
    pub company: Option<String>,
    /// `data4`.
    pub title: Option<String>,
    /// `data5`.
    pub department: Option<String>,
}

/// One contact as people see it: what the vCard holds.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contact {
    /// The raw contact's `_id` on the phone (none for an imported vCard).
    pub raw_contact_id: Option<i64>,
    /// The aggregate contact it is shown as (`contact_id`).
    pub contact_id: Option<i64>,
    /// Its account.
    pub account: Option<Account>,
    /// Starred ("favourite").
    pub starred: bool,
    /// The structured name.
    pub name: Name,
    /// Phone numbers.
    pub phones: Vec<Typed>,
    /// Email addresses.
    pub emails: Vec<Typed>,
    /// Postal addresses.
    pub addresses: Vec<Address>,
    /// Organisations and titles.
    pub organizations: Vec<Organization>,
    /// Notes.
    pub notes: Vec<String>,
    /// Birthday, anniversary and other dates (`data1` as Android stores it: `1990-05-17`, or `--05-17`
    /// without a year).
    pub events: Vec<Typed>,
    /// Websites.
    pub websites: Vec<Typed>,
    /// Nicknames.
    pub nicknames: Vec<String>,
    /// The photo's bytes (a JPEG).
    pub photo: Option<Vec<u8>>,
}

impl Contact {
    /// The birthday, if one is recorded.
    #[must_use]
    pub fn birthday(&self) -> Option<&str> {
        self.events.iter().find(|e| e.kind == kind::EVENT_BIRTHDAY).map(|e| e.value.as_str())
    }

    /// The name to show: the display name, else given and family names, else the organisation, a nickname,
    /// a phone number or an email address; empty when the contact has none of these.
    #[must_use]
    pub fn shown_name(&self) -> String {
        if let Some(d) = self.name.display.as_deref().filter(|d| !d.trim().is_empty()) {
            return d.to_string();
        }
        let parts: Vec<&str> =
            [&self.name.prefix, &self.name.given, &self.name.middle, &self.name.family, &self.name.suffix]
                .iter()
                .filter_map(|p| p.as_deref())
                .filter(|p| !p.trim().is_empty())
                .collect();
        if !parts.is_empty() {
            return parts.join(" ");
        }
        self.organizations
            .iter()
            .find_map(|o| o.company.clone())
            .or_else(|| self.nicknames.first().cloned())
            .or_else(|| self.phones.first().map(|p| p.value.clone()))
            .or_else(|| self.emails.first().map(|e| e.value.clone()))
            .unwrap_or_default()
    }
}

/// Everything read from the phone's contacts provider.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AddressBook {
    /// Every raw contact not deleted, as the provider gave it ([`RAW_INTEGER_COLUMNS`], [`RAW_TEXT_COLUMNS`]).
    pub raw_contacts: Vec<Row>,
    /// Every data row of those raw contacts ([`DATA_INTEGER_COLUMNS`], [`DATA_TEXT_COLUMNS`], and `data15_hex`
    /// on photo rows), for a faithful restore.
    pub data: Vec<Row>,
    /// One contact per raw contact, in `_id` order.
    pub contacts: Vec<Contact>,
    /// What could not be read, for the person (photos a phone would not give...).
    pub notes: Vec<String>,
}

/// What went wrong reading contacts.
#[derive(Debug, thiserror::Error)]
pub enum ContactsError {
    /// The contacts provider refused, is missing, or answered in an unknown form.
    #[error("Could not read the contacts: {0}")]
    Content(ContentError),
}

impl From<ContentError> for ContactsError {
    fn from(e: ContentError) -> Self {
        Self::Content(e)
    }
}

/// Reads the phone's contacts: the raw contacts not deleted, their data rows, and their photos (see the
/// module documentation). `sdk` is the phone's SDK level, named in error messages.
pub fn read_contacts(runner: &dyn Runner, sdk: u32) -> Result<AddressBook, ContactsError> {
    let provider = Provider::new(runner, sdk);
    let raw_contacts = provider.table(RAW_CONTACTS_URI, Some("deleted=0"), RAW_INTEGER_COLUMNS, RAW_TEXT_COLUMNS)?;
    let mut data = if raw_contacts.is_empty() {
        Vec::new()
    } else {
        provider.table(DATA_URI, None, DATA_INTEGER_COLUMNS, DATA_TEXT_COLUMNS)?
    };
    let live: std::collections::BTreeSet<i64> = raw_contacts.iter().map(|r| r.id).collect();
    data.retain(|row| row.int("raw_contact_id").is_some_and(|id| live.contains(&id)));
    let mut notes = Vec::new();
    if data.iter().any(|r| r.text("mimetype") == Some(mimetype::PHOTO)) {
        match read_photos(&provider) {
            Ok(photos) => {
                for row in &mut data {
                    if let Some(hex) = photos.get(&row.id) {
                        row.values.insert("data15_hex".to_string(), Value::Text(hex.clone()));
                    }
                }
            }
            Err(e @ ContentError::Device(_)) => return Err(e.into()),
            Err(e) => notes.push(format!("Contact photos were not read: {e}")),
        }
    }
    let contacts = assemble(&raw_contacts, &data);
    Ok(AddressBook { raw_contacts, data, contacts, notes })
}

/// The photo rows' `data15` as hex, by data `_id`: one query whose values are only hex digits.
fn read_photos(provider: &Provider<'_>) -> Result<BTreeMap<i64, String>, ContentError> {
    let selection = format!("mimetype='{}' AND data15 IS NOT NULL", mimetype::PHOTO);
    let out = provider.query(DATA_URI, &["_id", "hex(data15) AS data15_hex"], Some(&selection), true)?;
    parse_hex_rows(&out).map_err(|detail| ContentError::Malformed {
        uri: DATA_URI.to_string(),
        android: provider.android(),
        detail,
    })
}

/// Parses `Row: k _id=N, data15_hex=HEX` lines.
fn parse_hex_rows(out: &str) -> Result<BTreeMap<i64, String>, String> {
    let mut photos = BTreeMap::new();
    if out.trim_end() == "No result found." || out.is_empty() {
        return Ok(photos);
    }
    for (k, line) in out.lines().enumerate() {
        let rest = line.strip_prefix(&format!("Row: {k} _id=")).ok_or_else(|| format!("photo row {k}: {line:.80}"))?;
        let (id, hex) = rest.split_once(", data15_hex=").ok_or_else(|| format!("photo row {k}: {line:.80}"))?;
        let id: i64 = id.parse().map_err(|_| format!("photo row {k}: bad _id {id:.20}"))?;
        if hex != "NULL" {
            if !hex.len().is_multiple_of(2) || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(format!("photo row {k}: not hex"));
            }
            photos.insert(id, hex.to_string());
        }
    }
    Ok(photos)
}

fn decode_hex(hex: &str) -> Option<Vec<u8>> {
    if !hex.len().is_multiple_of(2) {
        return None;
    }
    (0..hex.len()).step_by(2).map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok()).collect()
}

fn text(row: &Row, column: &str) -> Option<String> {
    row.text(column).map(str::to_string)
}

fn typed(row: &Row) -> Option<Typed> {
    Some(Typed {
        value: text(row, "data1")?,
        kind: row.int("data2").unwrap_or(kind::CUSTOM),
        label: text(row, "data3"),
        primary: row.int("is_primary").unwrap_or(0) != 0,
    })
}

/// Builds one [`Contact`] per raw contact from the rows (data rows grouped by `raw_contact_id`, in `_id`
/// order). Data rows of unknown mimetypes stay only in the raw rows.
#[must_use]
pub fn assemble(raw_contacts: &[Row], data: &[Row]) -> Vec<Contact> {
    let mut by_raw: BTreeMap<i64, Vec<&Row>> = BTreeMap::new();
    for row in data {
        if let Some(raw) = row.int("raw_contact_id") {
            by_raw.entry(raw).or_default().push(row);
        }
    }
    raw_contacts
        .iter()
        .map(|raw| {
            let mut contact = Contact {
                raw_contact_id: Some(raw.id),
                contact_id: raw.int("contact_id"),
                starred: raw.int("starred").unwrap_or(0) != 0,
                ..Contact::default()
            };
            if raw.text("account_name").is_some() || raw.text("account_type").is_some() {
                contact.account = Some(Account {
                    name: text(raw, "account_name").unwrap_or_default(),
                    kind: text(raw, "account_type").unwrap_or_default(),
                });
            }
            let mut rows = by_raw.remove(&raw.id).unwrap_or_default();
            rows.sort_by_key(|r| r.id);
            for row in rows {
                add_data_row(&mut contact, row);
            }
            if contact.name.display.is_none() {
                contact.name.display = text(raw, "display_name");
            }
            contact
        })
        .collect()
}

fn add_data_row(contact: &mut Contact, row: &Row) {
    match row.text("mimetype").unwrap_or("") {
        mimetype::NAME => {
            contact.name = Name {
                display: text(row, "data1"),
                given: text(row, "data2"),
                family: text(row, "data3"),
                prefix: text(row, "data4"),
                middle: text(row, "data5"),
                suffix: text(row, "data6"),
                phonetic_given: text(row, "data7"),
                phonetic_middle: text(row, "data8"),
                phonetic_family: text(row, "data9"),
            };
        }
        mimetype::PHONE => contact.phones.extend(typed(row)),
        mimetype::EMAIL => contact.emails.extend(typed(row)),
        mimetype::EVENT => contact.events.extend(typed(row)),
        mimetype::WEBSITE => contact.websites.extend(typed(row)),
        mimetype::NICKNAME => contact.nicknames.extend(text(row, "data1")),
        mimetype::NOTE => contact.notes.extend(text(row, "data1")),
        mimetype::ORGANIZATION => {
            let org =
                Organization { company: text(row, "data1"), title: text(row, "data4"), department: text(row, "data5") };
            if org != Organization::default() {
                contact.organizations.push(org);
            }
        }
        mimetype::POSTAL => contact.addresses.push(Address {
            kind: row.int("data2").unwrap_or(kind::CUSTOM),
            label: text(row, "data3"),
            formatted: text(row, "data1"),
            street: text(row, "data4"),
            pobox: text(row, "data5"),
            neighborhood: text(row, "data6"),
            city: text(row, "data7"),
            region: text(row, "data8"),
            postcode: text(row, "data9"),
            country: text(row, "data10"),
        }),
        mimetype::PHOTO if contact.photo.is_none() => {
            contact.photo = row.get("data15_hex").as_text().and_then(decode_hex).filter(|b| !b.is_empty());
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests;
