//! The contacts provider (`content://com.android.contacts/...`, AOSP `ContactsProvider2`): raw contacts and
//! their data rows, in memory, per phone.
//!
//! - `raw_contacts[/ID]`, `data[/ID]` (also `data/phones`, `data/emails`, `data/postals`, the `CONTENT_URI`s
//!   of `Phone`, `Email` and `StructuredPostal`) and `contacts[/ID]` answer `content query` with projection,
//!   `--where` and `--sort`; an unknown column in `--projection` is `Invalid column X` (the strict
//!   `SQLiteQueryBuilder`). The columns are a subset of the real views', in their order.
//! - `content insert` on `raw_contacts` (`account_name`/`account_type`: both or neither) and on `data`
//!   (`raw_contact_id` and `mimetype` required) prints nothing, as `content` drops the new row's Uri: a caller
//!   learns the new `_id` by querying back (`--sort "_id DESC"` or by a column it set, e.g. `sourceid`).
//! - `content delete` of raw contacts removes those of the local account (no account) with their data, and
//!   only marks the others `deleted=1` (`dirty=1`) for their sync adapter, as `ContactsProvider2` does for a
//!   caller that is not a sync adapter; `data` rows are removed.
//! - `display_name` follows `DisplayNameSources`: structured name, else nickname, else organisation, else
//!   phone number, else email. Every raw contact is its own contact (no aggregation of equal names).
//! - Photos are `data15` blobs of `vnd.android.cursor.item/photo` rows, which `content query` prints as `BLOB`
//!   (and the shell cannot insert: `--bind` has no blob type).
//! - The `deny:contacts` fault takes `READ_CONTACTS` and `WRITE_CONTACTS` from the shell:
//!   `Permission Denial: reading|writing com.android.providers.contacts.ContactsProvider2 uri ...`.
//!
//! Not modelled (refused loudly): `content update`, other paths, `name` splitting (`data1` is not split into
//! given/family names; given/family names make `data1`), phone number normalisation (`data4`).

use super::super::Phone;
use super::sql::{Affinity, Col, Value};
use super::{Request, TableQuery, not_modelled, permission_denial, provider_error, sqlite_error};
use std::collections::BTreeMap;
use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

/// The contacts provider's authority.
pub(super) const AUTHORITY: &str = "com.android.contacts";
const CLASS: &str = "com.android.providers.contacts.ContactsProvider2";

/// The `mimetype`s of the data kinds (`ContactsContract.CommonDataKinds`).
pub mod mime {
    /// `StructuredName`: data1 display name, data2 given, data3 family, data4 prefix, data5 middle, data6 suffix.
    pub const NAME: &str = "vnd.android.cursor.item/name";
    /// `Phone`: data1 number, data2 type (1 home, 2 mobile, 3 work, 7 other), data3 label.
    pub const PHONE: &str = "vnd.android.cursor.item/phone_v2";
    /// `Email`: data1 address, data2 type (1 home, 2 work, 3 other), data3 label.
    pub const EMAIL: &str = "vnd.android.cursor.item/email_v2";
    /// `StructuredPostal`: data1 formatted address, data2 type, data4 street, data7 city, data8 region,
    /// data9 postcode, data10 country.
    pub const POSTAL: &str = "vnd.android.cursor.item/postal-address_v2";
    /// `Organization`: data1 company, data4 title.
    pub const ORGANIZATION: &str = "vnd.android.cursor.item/organization";
    /// `Note`: data1 the note.
    pub const NOTE: &str = "vnd.android.cursor.item/note";
    /// `Event`: data1 the date, data2 type (3 birthday).
    pub const EVENT: &str = "vnd.android.cursor.item/contact_event";
    /// `Website`: data1 the URL, data2 type.
    pub const WEBSITE: &str = "vnd.android.cursor.item/website";
    /// `Nickname`: data1 the nickname.
    pub const NICKNAME: &str = "vnd.android.cursor.item/nickname";
    /// `Photo`: data15 the thumbnail (a JPEG blob).
    pub const PHOTO: &str = "vnd.android.cursor.item/photo";
}

/// `DisplayNameSources`.
const SOURCE_UNDEFINED: i64 = 0;
const SOURCE_EMAIL: i64 = 10;
const SOURCE_PHONE: i64 = 20;
const SOURCE_ORGANIZATION: i64 = 30;
const SOURCE_NICKNAME: i64 = 35;
const SOURCE_STRUCTURED_NAME: i64 = 40;

/// One data row to add: its mimetype and values for data1..data15 (index 1..=15).
#[derive(Debug, Clone)]
pub struct DataItem {
    /// One of [`mime`].
    pub mimetype: &'static str,
    /// (N, value) for dataN.
    pub values: Vec<(usize, Value)>,
}

impl DataItem {
    /// A data row of `mimetype` with text values for data1, data2, ... in order (`None` leaves one NULL).
    #[must_use]
    pub fn text(mimetype: &'static str, values: &[Option<&str>]) -> Self {
        let values =
            values.iter().enumerate().filter_map(|(i, v)| v.map(|v| (i + 1, Value::Text(v.to_string())))).collect();
        Self { mimetype, values }
    }
}

/// A contact to add to the address book (one raw contact and its data rows).
#[derive(Debug, Clone, Default)]
pub struct Contact {
    /// (`account_name`, `account_type`); `None` is the phone's local account.
    pub account: Option<(String, String)>,
    /// Starred ("favourite").
    pub starred: bool,
    /// Its data rows.
    pub items: Vec<DataItem>,
}

#[derive(Debug, Clone)]
struct RawContact {
    id: i64,
    contact_id: i64,
    account_name: Option<String>,
    account_type: Option<String>,
    sourceid: Option<String>,
    version: i64,
    dirty: bool,
    deleted: bool,
    starred: bool,
}

#[derive(Debug, Clone)]
struct DataRow {
    id: i64,
    raw_contact_id: i64,
    mimetype: String,
    is_primary: i64,
    is_super_primary: i64,
    data_version: i64,
    data: [Value; 15],
}

#[derive(Debug, Default)]
struct Inner {
    next_raw: i64,
    next_data: i64,
    next_contact: i64,
    raw: BTreeMap<i64, RawContact>,
    data: BTreeMap<i64, DataRow>,
}

/// The phone's address book. Shared by every connection; all methods take `&self`.
#[derive(Debug, Default)]
pub struct ContactsStore {
    inner: Mutex<Inner>,
    denied: AtomicBool,
}

impl ContactsStore {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Fault `deny:contacts`: the shell no longer holds `READ_CONTACTS` and `WRITE_CONTACTS`.
    pub fn deny(&self, denied: bool) {
        self.denied.store(denied, Ordering::SeqCst);
    }

    /// Adds a contact; returns its raw contact's `_id`.
    pub fn add(&self, contact: &Contact) -> i64 {
        let mut inner = self.lock();
        let (name, kind) = contact.account.clone().unzip();
        let id = inner.insert_raw(name, kind, None, contact.starred);
        for item in &contact.items {
            let mut data: [Value; 15] = Default::default();
            for (n, v) in &item.values {
                if (1..=15).contains(n) {
                    data[n - 1] = text_affinity(v.clone());
                }
            }
            inner.insert_data(id, item.mimetype.to_string(), data);
        }
        id
    }

    /// How many raw contacts are not deleted.
    #[must_use]
    pub fn count(&self) -> usize {
        self.lock().raw.values().filter(|r| !r.deleted).count()
    }
}

/// data1..data15 are TEXT columns: `SQLite` stores a bound number as its text.
fn text_affinity(v: Value) -> Value {
    match v {
        Value::Int(n) => Value::Text(n.to_string()),
        other => other,
    }
}

impl Inner {
    fn insert_raw(
        &mut self,
        name: Option<String>,
        kind: Option<String>,
        sourceid: Option<String>,
        starred: bool,
    ) -> i64 {
        self.next_raw += 1;
        self.next_contact += 1;
        let id = self.next_raw;
        let raw = RawContact {
            id,
            contact_id: self.next_contact,
            account_name: name,
            account_type: kind,
            sourceid,
            version: 1,
            dirty: true,
            deleted: false,
            starred,
        };
        self.raw.insert(id, raw);
        id
    }

    fn insert_data(&mut self, raw_contact_id: i64, mimetype: String, mut data: [Value; 15]) -> i64 {
        if mimetype == mime::NAME && data[0] == Value::Null {
            // The provider builds the display name from its parts (prefix, given, middle, family, suffix).
            let parts: Vec<String> = [3, 1, 4, 2, 5]
                .iter()
                .filter_map(|&i| match &data[i] {
                    Value::Text(t) if !t.is_empty() => Some(t.clone()),
                    _ => None,
                })
                .collect();
            if !parts.is_empty() {
                data[0] = Value::Text(parts.join(" "));
            }
        }
        self.next_data += 1;
        let id = self.next_data;
        let row = DataRow { id, raw_contact_id, mimetype, is_primary: 0, is_super_primary: 0, data_version: 0, data };
        self.data.insert(id, row);
        if let Some(raw) = self.raw.get_mut(&raw_contact_id) {
            raw.version += 1;
            raw.dirty = true;
        }
        id
    }

    /// The raw contact's display name and its source, as `DisplayNameSources` ranks them.
    fn display_name(&self, raw_contact_id: i64) -> (Value, i64) {
        let mut best = (Value::Null, SOURCE_UNDEFINED);
        for row in self.data.values().filter(|d| d.raw_contact_id == raw_contact_id) {
            let source = match row.mimetype.as_str() {
                mime::NAME => SOURCE_STRUCTURED_NAME,
                mime::NICKNAME => SOURCE_NICKNAME,
                mime::ORGANIZATION => SOURCE_ORGANIZATION,
                mime::PHONE => SOURCE_PHONE,
                mime::EMAIL => SOURCE_EMAIL,
                _ => continue,
            };
            if source > best.1 && matches!(&row.data[0], Value::Text(t) if !t.is_empty()) {
                best = (row.data[0].clone(), source);
            }
        }
        best
    }
}

const fn int(name: &'static str) -> Col {
    Col { name, affinity: Affinity::Integer }
}

const fn text(name: &'static str) -> Col {
    Col { name, affinity: Affinity::Text }
}

const RAW_CONTACTS: [Col; 15] = [
    int("_id"),
    int("contact_id"),
    text("account_name"),
    text("account_type"),
    text("data_set"),
    text("sourceid"),
    int("version"),
    int("dirty"),
    int("deleted"),
    text("display_name"),
    int("display_name_source"),
    int("starred"),
    int("pinned"),
    int("send_to_voicemail"),
    text("custom_ringtone"),
];

const DATA: [Col; 26] = [
    int("_id"),
    int("raw_contact_id"),
    int("contact_id"),
    text("mimetype"),
    int("is_primary"),
    int("is_super_primary"),
    int("data_version"),
    text("data1"),
    text("data2"),
    text("data3"),
    text("data4"),
    text("data5"),
    text("data6"),
    text("data7"),
    text("data8"),
    text("data9"),
    text("data10"),
    text("data11"),
    text("data12"),
    text("data13"),
    text("data14"),
    text("data15"),
    text("account_name"),
    text("account_type"),
    text("display_name"),
    int("starred"),
];

const CONTACTS: [Col; 8] = [
    int("_id"),
    int("name_raw_contact_id"),
    text("display_name"),
    int("display_name_source"),
    int("photo_id"),
    int("starred"),
    int("has_phone_number"),
    int("times_contacted"),
];

fn opt_text(v: Option<&String>) -> Value {
    v.map_or(Value::Null, |s| Value::Text(s.clone()))
}

/// Which table a URI names, with an optional `_id` and, for `data/phones` and friends, a mimetype.
enum Target {
    RawContacts(Option<i64>),
    Data(Option<i64>, Option<&'static str>),
    Contacts(Option<i64>),
}

fn parse_target(segments: &[&str]) -> Option<Target> {
    let id = |s: Option<&&str>| -> Option<Option<i64>> {
        match s {
            None => Some(None),
            Some(s) => s.parse().ok().map(Some),
        }
    };
    match segments {
        ["raw_contacts", rest @ ..] if rest.len() <= 1 => id(rest.first()).map(Target::RawContacts),
        ["contacts", rest @ ..] if rest.len() <= 1 => id(rest.first()).map(Target::Contacts),
        ["data", "phones", rest @ ..] if rest.len() <= 1 => {
            id(rest.first()).map(|i| Target::Data(i, Some(mime::PHONE)))
        }
        ["data", "emails", rest @ ..] if rest.len() <= 1 => {
            id(rest.first()).map(|i| Target::Data(i, Some(mime::EMAIL)))
        }
        ["data", "postals", rest @ ..] if rest.len() <= 1 => {
            id(rest.first()).map(|i| Target::Data(i, Some(mime::POSTAL)))
        }
        ["data", rest @ ..] if rest.len() <= 1 => id(rest.first()).map(|i| Target::Data(i, None)),
        _ => None,
    }
}

impl Target {
    fn table(&self) -> TableQuery<'static> {
        match self {
            Target::RawContacts(_) => {
                TableQuery { authority: AUTHORITY, sql_name: "raw_contacts", columns: &RAW_CONTACTS }
            }
            Target::Data(..) => TableQuery { authority: AUTHORITY, sql_name: "view_data", columns: &DATA },
            Target::Contacts(_) => TableQuery { authority: AUTHORITY, sql_name: "view_contacts", columns: &CONTACTS },
        }
    }

    /// The rows this URI shows, each as values in its table's column order.
    fn rows(&self, inner: &Inner) -> Vec<Vec<Value>> {
        match *self {
            Target::RawContacts(id) => inner
                .raw
                .values()
                .filter(|r| id.is_none_or(|id| r.id == id))
                .map(|r| {
                    let (name, source) = inner.display_name(r.id);
                    vec![
                        Value::Int(r.id),
                        Value::Int(r.contact_id),
                        opt_text(r.account_name.as_ref()),
                        opt_text(r.account_type.as_ref()),
                        Value::Null,
                        opt_text(r.sourceid.as_ref()),
                        Value::Int(r.version),
                        Value::Int(i64::from(r.dirty)),
                        Value::Int(i64::from(r.deleted)),
                        name,
                        Value::Int(source),
                        Value::Int(i64::from(r.starred)),
                        Value::Int(0),
                        Value::Int(0),
                        Value::Null,
                    ]
                })
                .collect(),
            Target::Data(id, kind) => inner
                .data
                .values()
                .filter(|d| id.is_none_or(|id| d.id == id) && kind.is_none_or(|k| d.mimetype == k))
                .filter_map(|d| {
                    let raw = inner.raw.get(&d.raw_contact_id)?;
                    let mut row = vec![
                        Value::Int(d.id),
                        Value::Int(d.raw_contact_id),
                        Value::Int(raw.contact_id),
                        Value::Text(d.mimetype.clone()),
                        Value::Int(d.is_primary),
                        Value::Int(d.is_super_primary),
                        Value::Int(d.data_version),
                    ];
                    row.extend(d.data.iter().cloned());
                    row.push(opt_text(raw.account_name.as_ref()));
                    row.push(opt_text(raw.account_type.as_ref()));
                    row.push(inner.display_name(raw.id).0);
                    row.push(Value::Int(i64::from(raw.starred)));
                    Some(row)
                })
                .collect(),
            Target::Contacts(id) => inner
                .raw
                .values()
                .filter(|r| !r.deleted && id.is_none_or(|id| r.contact_id == id))
                .map(|r| {
                    let (name, source) = inner.display_name(r.id);
                    let mine = || inner.data.values().filter(|d| d.raw_contact_id == r.id);
                    let photo = mine().find(|d| d.mimetype == mime::PHOTO).map_or(Value::Null, |d| Value::Int(d.id));
                    let has_phone = mine().any(|d| d.mimetype == mime::PHONE);
                    vec![
                        Value::Int(r.contact_id),
                        Value::Int(r.id),
                        name,
                        Value::Int(source),
                        photo,
                        Value::Int(i64::from(r.starred)),
                        Value::Int(i64::from(has_phone)),
                        Value::Int(0),
                    ]
                })
                .collect(),
        }
    }
}

/// `ContactsDatabaseHelper.exceptionMessage`: the message, then the URI and the caller (the shell).
fn exception_message(message: &str, uri: &str) -> String {
    format!("{message}; URI: {uri}, calling user: android.uid.shell:2000, calling package:com.android.shell")
}

/// Serves one `content` request for `content://com.android.contacts/...`.
pub(super) fn run(phone: &Phone, request: &Request, stdout: &mut dyn Write, stderr: &mut dyn Write) -> i32 {
    let store = &phone.contacts;
    let op = request.op.as_str();
    if !["query", "insert", "delete"].contains(&op) {
        return not_modelled(stderr, &format!("`content {op}` on the contacts provider"));
    }
    if store.denied.load(Ordering::SeqCst) {
        let permission =
            if op == "query" { "android.permission.READ_CONTACTS" } else { "android.permission.WRITE_CONTACTS" };
        return permission_denial(stderr, AUTHORITY, op, CLASS, &request.uri, permission);
    }
    let segments = request.segments();
    let Some(target) = parse_target(&segments) else {
        return not_modelled(stderr, &format!("the contacts URI {}", request.uri));
    };
    match op {
        "query" => {
            let rows = target.rows(&store.lock());
            target.table().query(request, rows, stdout, stderr)
        }
        "insert" => insert(store, &target, request, stderr),
        _ => delete(store, &target, request, stderr),
    }
}

fn insert(store: &ContactsStore, target: &Target, request: &Request, stderr: &mut dyn Write) -> i32 {
    let values = request.bind_values();
    let get = |name: &str| values.iter().rev().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    let as_text = |v: Option<Value>| match v {
        Some(Value::Text(s)) => Some(s),
        Some(Value::Int(n)) => Some(n.to_string()),
        _ => None,
    };
    let (table, allowed): (&str, &[&str]) = match target {
        Target::RawContacts(None) => {
            ("raw_contacts", &["account_name", "account_type", "data_set", "sourceid", "starred", "pinned"])
        }
        Target::Data(None, None) => ("data", &[]),
        _ => return not_modelled(stderr, &format!("`content insert` on {}", request.uri)),
    };
    for (key, _) in &values {
        let known = if table == "data" {
            ["raw_contact_id", "mimetype", "is_primary", "is_super_primary"].contains(&key.as_str())
                || key.strip_prefix("data").and_then(|n| n.parse::<usize>().ok()).is_some_and(|n| (1..=15).contains(&n))
        } else {
            allowed.contains(&key.as_str())
        };
        if !known {
            let names: Vec<&str> = values.iter().map(|(k, _)| k.as_str()).collect();
            let marks = vec!["?"; names.len()].join(",");
            let sql = format!("INSERT INTO {table}({}) VALUES ({marks})", names.join(","));
            return sqlite_error(
                stderr,
                AUTHORITY,
                "insert",
                &format!("table {table} has no column named {key}"),
                &sql,
            );
        }
    }
    let mut inner = store.lock();
    if table == "raw_contacts" {
        let (name, kind) = (as_text(get("account_name")), as_text(get("account_type")));
        if name.is_some() != kind.is_some() {
            let message =
                exception_message("Must specify both or neither of ACCOUNT_NAME and ACCOUNT_TYPE", &request.uri);
            return provider_error(stderr, AUTHORITY, "insert", "java.lang.IllegalArgumentException", &message);
        }
        let starred = matches!(get("starred"), Some(Value::Int(n)) if n != 0);
        inner.insert_raw(name, kind, as_text(get("sourceid")), starred);
        return 0;
    }
    let Some(raw_contact_id) = as_text(get("raw_contact_id")).and_then(|s| s.parse::<i64>().ok()) else {
        let message = exception_message("raw_contact_id is required", &request.uri);
        return provider_error(stderr, AUTHORITY, "insert", "java.lang.IllegalArgumentException", &message);
    };
    let Some(mimetype) = as_text(get("mimetype")).filter(|m| !m.is_empty()) else {
        let message = exception_message("mimetype is required", &request.uri);
        return provider_error(stderr, AUTHORITY, "insert", "java.lang.IllegalArgumentException", &message);
    };
    if !inner.raw.contains_key(&raw_contact_id) {
        drop(inner);
        return not_modelled(stderr, &format!("a data row for the missing raw contact {raw_contact_id}"));
    }
    let mut data: [Value; 15] = Default::default();
    for (key, value) in &values {
        if let Some(n) = key.strip_prefix("data").and_then(|n| n.parse::<usize>().ok()) {
            data[n - 1] = text_affinity(value.clone());
        }
    }
    let id = inner.insert_data(raw_contact_id, mimetype, data);
    if let Some(row) = inner.data.get_mut(&id) {
        for (key, value) in &values {
            let flag = matches!(value, Value::Int(n) if *n != 0);
            match key.as_str() {
                "is_primary" => row.is_primary = i64::from(flag),
                "is_super_primary" => row.is_super_primary = i64::from(flag),
                _ => {}
            }
        }
    }
    0
}

fn delete(store: &ContactsStore, target: &Target, request: &Request, stderr: &mut dyn Write) -> i32 {
    let table = target.table();
    let rows = target.rows(&store.lock());
    let selected = match table.select(request, "delete", "DELETE", rows, stderr) {
        Ok(r) => r,
        Err(code) => return code,
    };
    let ids: Vec<i64> = selected
        .iter()
        .filter_map(|r| match super::sql::Row::value(r, "_id") {
            Value::Int(n) => Some(n),
            _ => None,
        })
        .collect();
    let mut inner = store.lock();
    let raw_ids: Vec<i64> = match target {
        Target::Data(..) => {
            for id in &ids {
                if let Some(row) = inner.data.remove(id)
                    && let Some(raw) = inner.raw.get_mut(&row.raw_contact_id)
                {
                    raw.version += 1;
                    raw.dirty = true;
                }
            }
            return 0;
        }
        Target::RawContacts(_) => ids,
        Target::Contacts(_) => inner.raw.values().filter(|r| ids.contains(&r.contact_id)).map(|r| r.id).collect(),
    };
    for id in raw_ids {
        let local = inner.raw.get(&id).is_some_and(|r| r.account_type.is_none());
        if local {
            inner.raw.remove(&id);
            inner.data.retain(|_, d| d.raw_contact_id != id);
        } else if let Some(raw) = inner.raw.get_mut(&id) {
            raw.deleted = true;
            raw.dirty = true;
            raw.version += 1;
        }
    }
    0
}
