//! The phone's text messages and call log (engine layer): read over ADB from Android's telephony and call log
//! providers, kept in the backup as lossless JSON and readable HTML.
//!
//! The shell user holds `READ_SMS` (AOSP's Shell manifest), so `content query` reads `content://sms`
//! (`SmsProvider`) and `content://mms` (`MmsProvider`, which shares the permission), through
//! [`crate::content::Provider`], which proves every row boundary: bodies with `, `, `=`, newlines or a forged
//! `Row:` line survive. What the shell sees and cannot do:
//!
//! - **MMS**: the shell is not the default SMS app, so `MmsProvider` gives it the `pdu_restricted` view (sent
//!   and received messages, no WAP push notifications). An MMS is a `pdu` row (its `date` in **seconds**,
//!   unlike SMS's milliseconds), its parts in `content://mms/part` (`mid` the message; the text of a
//!   `text/plain` part in `text`) and its addresses in `content://mms/ID/addr` (`type` 137 from, 151 to, 130
//!   cc; `insert-address-token` is the phone's own number), one query per message (the address asked as
//!   `hex(address)`, so nothing needs proving), since `MmsProvider` has no URI for every address. Pictures, audio and video of an MMS are files in the provider's private
//!   storage (`_data`), which `content read` would need the provider to open for the shell: they are listed by
//!   name, not saved. A phone that refuses MMS gives the SMS and a note.
//! - **Writing back**: Android lets only the default SMS app write messages (the `WRITE_SMS` app-op; the shell's
//!   inserts are silently dropped), so messages cannot be restored by phonebak; the HTML pages are the way back.
//! - **Call log**: `content://call_log/calls` needs `READ_CALL_LOG`, which AOSP's Shell manifest lists only in
//!   recent releases (Android 15's; not 10's or 11's). A refusal is reported as such, never a silent gap.
//!
//! [`read_messages`] and [`read_calls`] read; [`count`] is the cheap count for the app ("Messages: N in M
//! conversations"); [`store`] merges with the previous backup (a message deleted from the phone stays in the
//! backup) and writes the files; [`html`] renders pages; [`numbers`] matches addresses to contacts.

pub mod html;
pub mod numbers;
pub mod store;

use crate::content::{ContentError, Provider, Row, Runner, Value, parse_integer_rows};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// `Telephony.Sms.CONTENT_URI`.
pub const SMS_URI: &str = "content://sms";
/// `Telephony.Mms.CONTENT_URI`.
pub const MMS_URI: &str = "content://mms";
/// Every MMS part (`MmsProvider`'s `MMS_ALL_PART`).
pub const MMS_PART_URI: &str = "content://mms/part";
/// `CallLog.Calls.CONTENT_URI`.
pub const CALLS_URI: &str = "content://call_log/calls";

/// `sms` columns read as integers.
pub const SMS_INTEGER_COLUMNS: &[&str] = &[
    "thread_id",
    "person",
    "date",
    "date_sent",
    "protocol",
    "read",
    "status",
    "type",
    "reply_path_present",
    "locked",
    "sub_id",
    "error_code",
    "seen",
];
/// `sms` columns read as text.
pub const SMS_TEXT_COLUMNS: &[&str] = &["address", "subject", "body", "service_center", "creator"];
/// `pdu` columns read as integers (`date` and `date_sent` in seconds).
pub const MMS_INTEGER_COLUMNS: &[&str] =
    &["thread_id", "date", "date_sent", "msg_box", "read", "m_type", "sub_cs", "m_size", "locked", "sub_id", "seen"];
/// `pdu` columns read as text.
pub const MMS_TEXT_COLUMNS: &[&str] = &["m_id", "sub", "ct_t", "creator"];
/// `part` columns read as integers.
pub const PART_INTEGER_COLUMNS: &[&str] = &["mid", "seq", "chset"];
/// `part` columns read as text.
pub const PART_TEXT_COLUMNS: &[&str] = &["ct", "name", "cl", "text"];
/// `addr` columns read as integers.
pub const ADDR_INTEGER_COLUMNS: &[&str] = &["msg_id", "type", "charset"];
/// `addr` columns read as text.
pub const ADDR_TEXT_COLUMNS: &[&str] = &["address"];
/// `calls` columns read as integers.
pub const CALL_INTEGER_COLUMNS: &[&str] =
    &["date", "duration", "type", "presentation", "features", "new", "is_read", "numbertype", "subscription_id"];
/// `calls` columns read as text.
pub const CALL_TEXT_COLUMNS: &[&str] = &["number", "name", "numberlabel", "countryiso", "geocoded_location"];

/// `Sms.MESSAGE_TYPE_INBOX` and `Mms.MESSAGE_BOX_INBOX`: the only box of received messages.
pub const BOX_INBOX: i64 = 1;
/// `PduHeaders.FROM`.
const ADDR_FROM: i64 = 137;
/// The placeholder `PduPersister` stores for the phone's own number.
const OWN_ADDRESS_TOKEN: &str = "insert-address-token";

/// SMS or MMS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// A text message.
    Sms,
    /// A multimedia message (its text kept, its media listed).
    Mms,
}

/// One message as the backup keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    /// SMS or MMS.
    pub kind: Kind,
    /// The other parties: the SMS's `address`; an MMS's sender (received) or recipients (sent).
    pub addresses: Vec<String>,
    /// When it was received or sent, milliseconds since 1970 (an MMS's seconds times 1000).
    pub date_ms: i64,
    /// The box: 1 received, 2 sent, 3 draft, 4 outbox, 5 failed, 6 queued (`type` of an SMS, `msg_box` of an
    /// MMS).
    pub box_type: i64,
    /// Whether it was read.
    pub read: bool,
    /// The text: an SMS's body, an MMS's `text/plain` parts one after the other.
    pub body: String,
    /// An MMS's subject.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// An MMS's other parts, not saved (`image/jpeg IMG_1.jpg`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<String>,
    /// The message was in an earlier backup and is no longer on the phone.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub only_in_backup: bool,
    /// The provider's row as read (`sms`, or the MMS's `pdu` row), every column.
    pub row: Row,
    /// An MMS's `part` rows.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parts: Vec<Row>,
    /// An MMS's `addr` rows.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub addrs: Vec<Row>,
}

impl Message {
    /// Whether the phone received it (else the phone's owner wrote it).
    #[must_use]
    pub fn received(&self) -> bool {
        self.box_type == BOX_INBOX
    }

    /// What identifies a message across backups, whatever its `_id` on the phone: (kind, addresses, date,
    /// box, body).
    #[must_use]
    pub fn key(&self) -> (Kind, Vec<String>, i64, i64, String) {
        (self.kind, self.addresses.clone(), self.date_ms, self.box_type, self.body.clone())
    }
}

/// One call of the call log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Call {
    /// The other party's number (empty when withheld).
    pub number: String,
    /// When it started, milliseconds since 1970.
    pub date_ms: i64,
    /// How long it lasted, seconds.
    pub duration_s: i64,
    /// `Calls.TYPE`: 1 incoming, 2 outgoing, 3 missed, 4 voicemail, 5 rejected, 6 blocked.
    pub kind: i64,
    /// The name Android cached for the number at the time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The call was in an earlier backup and is no longer in the phone's log.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub only_in_backup: bool,
    /// The provider's row as read.
    pub row: Row,
}

impl Call {
    /// What identifies a call across backups: (number, date, type, duration).
    #[must_use]
    pub fn key(&self) -> (String, i64, i64, i64) {
        (self.number.clone(), self.date_ms, self.kind, self.duration_s)
    }
}

/// What [`read_messages`] found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Messages {
    /// Every SMS and MMS, oldest first.
    pub messages: Vec<Message>,
    /// What could not be read, for the person (MMS a phone would not give...).
    pub notes: Vec<String>,
    /// Whether the MMS were read. When not, the MMS of an earlier backup are kept as they were, not taken for
    /// deleted from the phone.
    pub mms_read: bool,
}

/// What went wrong reading messages.
#[derive(Debug, thiserror::Error)]
pub enum MessagesError {
    /// The SMS provider refused, is missing, or answered in an unknown form.
    #[error("Could not read the messages: {0}")]
    Content(ContentError),
}

impl From<ContentError> for MessagesError {
    fn from(e: ContentError) -> Self {
        Self::Content(e)
    }
}

impl MessagesError {
    /// Whether the phone refused (as opposed to a failure of the link or of phonebak).
    #[must_use]
    pub fn is_refusal(&self) -> bool {
        matches!(self, MessagesError::Content(e) if e.is_refusal())
    }
}

fn text(row: &Row, column: &str) -> Option<String> {
    row.text(column).map(str::to_string)
}

/// Reads every SMS, and the MMS where the phone lets the shell read them (see the module documentation).
/// `sdk` is the phone's SDK level, named in messages.
///
/// # Errors
/// The SMS provider refused or failed, or the link failed.
pub fn read_messages(runner: &dyn Runner, sdk: u32) -> Result<Messages, MessagesError> {
    let provider = Provider::new(runner, sdk);
    let rows = provider.table(SMS_URI, None, SMS_INTEGER_COLUMNS, SMS_TEXT_COLUMNS)?;
    let mut messages: Vec<Message> = rows.into_iter().map(sms_message).collect();
    let mut notes = Vec::new();
    let mut mms_read = false;
    match read_mms(&provider) {
        Ok(mms) => {
            messages.extend(mms);
            mms_read = true;
        }
        Err(e @ ContentError::Device(_)) => return Err(e.into()),
        Err(e) => notes.push(format!("MMS were not read (the SMS were): {e}")),
    }
    messages.sort_by_cached_key(|m| (m.date_ms, m.key()));
    Ok(Messages { messages, notes, mms_read })
}

fn sms_message(row: Row) -> Message {
    Message {
        kind: Kind::Sms,
        addresses: text(&row, "address").into_iter().collect(),
        date_ms: row.int("date").unwrap_or(0),
        box_type: row.int("type").unwrap_or(0),
        read: row.int("read").unwrap_or(0) != 0,
        body: row.get("body").as_text().unwrap_or_default().to_string(),
        subject: text(&row, "subject"),
        attachments: Vec::new(),
        only_in_backup: false,
        row,
        parts: Vec::new(),
        addrs: Vec::new(),
    }
}

/// The MMS: their `pdu` rows, parts and addresses.
fn read_mms(provider: &Provider<'_>) -> Result<Vec<Message>, ContentError> {
    let pdus = provider.table(MMS_URI, None, MMS_INTEGER_COLUMNS, MMS_TEXT_COLUMNS)?;
    if pdus.is_empty() {
        return Ok(Vec::new());
    }
    let mut parts: BTreeMap<i64, Vec<Row>> = BTreeMap::new();
    for part in provider.table(MMS_PART_URI, None, PART_INTEGER_COLUMNS, PART_TEXT_COLUMNS)? {
        if let Some(mid) = part.int("mid") {
            parts.entry(mid).or_default().push(part);
        }
    }
    let mut out = Vec::with_capacity(pdus.len());
    let mut hex_works = true;
    for pdu in pdus {
        let uri = format!("{MMS_URI}/{}/addr", pdu.id);
        let mut addrs = None;
        if hex_works {
            match addresses_in_one_query(provider, &uri) {
                Ok(rows) => addrs = Some(rows),
                Err(ContentError::Provider { .. } | ContentError::Malformed { .. }) => hex_works = false,
                Err(e) => return Err(e),
            }
        }
        let addrs = match addrs {
            Some(rows) => rows,
            None => provider.table(&uri, None, ADDR_INTEGER_COLUMNS, ADDR_TEXT_COLUMNS)?,
        };
        let mut my_parts = parts.remove(&pdu.id).unwrap_or_default();
        my_parts.sort_by_key(|p| (p.int("seq").unwrap_or(0), p.id));
        out.push(mms_message(pdu, my_parts, addrs));
    }
    Ok(out)
}

/// An MMS's `addr` rows in one query: the address asked as `hex(address) AS address_hex`, so that every value
/// printed is digits, hex or `NULL` and the rows split with certainty (`MmsProvider` sets no projection map on
/// `addr`, so `SQLite` evaluates the expression). Three queries per MMS become one, and each `content` call
/// starts a Java process on the phone. `SQLite`'s `hex()` gives `''` for NULL: such an address (or a `NULL`) is dropped.
///
/// # Errors
/// A provider that refuses the expression answers [`ContentError::Provider`]; the caller then reads the
/// table column by column.
fn addresses_in_one_query(provider: &Provider<'_>, uri: &str) -> Result<Vec<Row>, ContentError> {
    const COLUMNS: [&str; 5] = ["_id", "msg_id", "type", "charset", "address_hex"];
    let out = provider.query(uri, &["_id", "msg_id", "type", "charset", "hex(address) AS address_hex"], None, true)?;
    let malformed =
        |detail: String| ContentError::Malformed { uri: uri.to_string(), android: provider.android(), detail };
    parse_hex_address_rows(&out, &COLUMNS).map_err(malformed)
}

/// Parses `Row: k _id=N, msg_id=N, type=N, charset=N, address_hex=HEX` lines (no value can hold `, `).
pub fn parse_hex_address_rows(out: &str, columns: &[&str]) -> Result<Vec<Row>, String> {
    if out.trim_end() == "No result found." || out.is_empty() {
        return Ok(Vec::new());
    }
    let body = out.strip_suffix('\n').ok_or("the output does not end with a newline")?;
    let mut rows = Vec::new();
    for (k, line) in body.split('\n').enumerate() {
        let rest = line.strip_prefix(&format!("Row: {k} ")).ok_or_else(|| format!("row {k}: {line:.80}"))?;
        let cells: Vec<&str> = rest.split(", ").collect();
        if cells.len() != columns.len() {
            return Err(format!("row {k} has {} columns: {line:.80}", cells.len()));
        }
        let mut row = Row { id: 0, values: BTreeMap::new() };
        for (cell, column) in cells.iter().zip(columns) {
            let value = cell
                .strip_prefix(column)
                .and_then(|c| c.strip_prefix('='))
                .ok_or_else(|| format!("row {k} lacks {column}: {line:.80}"))?;
            let value = if *column == "address_hex" {
                if value == "NULL" {
                    continue;
                }
                let bytes = decode_hex(value).ok_or_else(|| format!("row {k}: address_hex is not hex"))?;
                if bytes.is_empty() {
                    continue;
                }
                Value::Text(String::from_utf8_lossy(&bytes).into_owned())
            } else if value == "NULL" {
                Value::Null
            } else {
                Value::Integer(value.parse().map_err(|_| format!("row {k}: {column} is not an integer"))?)
            };
            if *column == "_id" {
                row.id = value.as_i64().ok_or_else(|| format!("row {k} has no _id"))?;
            } else {
                let name = if *column == "address_hex" { "address" } else { column };
                row.values.insert(name.to_string(), value);
            }
        }
        rows.push(row);
    }
    Ok(rows)
}

fn decode_hex(hex: &str) -> Option<Vec<u8>> {
    if !hex.len().is_multiple_of(2) {
        return None;
    }
    (0..hex.len()).step_by(2).map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok()).collect()
}

/// One MMS from its rows: the text of its `text/plain` parts, its other parts by name, and the other parties
/// (the sender of a received message; the recipients of a sent one).
#[must_use]
pub fn mms_message(pdu: Row, parts: Vec<Row>, addrs: Vec<Row>) -> Message {
    let box_type = pdu.int("msg_box").unwrap_or(0);
    let received = box_type == BOX_INBOX;
    let mut addresses: Vec<String> = addrs
        .iter()
        .filter(|a| (a.int("type") == Some(ADDR_FROM)) == received)
        .filter_map(|a| text(a, "address"))
        .filter(|a| a != OWN_ADDRESS_TOKEN)
        .collect();
    if received {
        addresses.truncate(1);
    }
    let mut texts = Vec::new();
    let mut attachments = Vec::new();
    for part in &parts {
        let ct = part.text("ct").unwrap_or("");
        if ct.eq_ignore_ascii_case("text/plain") {
            texts.push(part.get("text").as_text().unwrap_or_default().to_string());
        } else if !ct.eq_ignore_ascii_case("application/smil") {
            let name = part.text("cl").or_else(|| part.text("name")).unwrap_or("");
            attachments.push(if name.is_empty() { ct.to_string() } else { format!("{ct} {name}") });
        }
    }
    Message {
        kind: Kind::Mms,
        addresses,
        date_ms: pdu.int("date").unwrap_or(0).saturating_mul(1000),
        box_type,
        read: pdu.int("read").unwrap_or(0) != 0,
        body: texts.join("\n"),
        subject: text(&pdu, "sub"),
        attachments,
        only_in_backup: false,
        row: pdu,
        parts,
        addrs,
    }
}

/// Reads the call log.
///
/// # Errors
/// The phone refused the shell `READ_CALL_LOG` ([`ContentError::is_refusal`]), the provider failed, or the
/// link failed.
pub fn read_calls(runner: &dyn Runner, sdk: u32) -> Result<Vec<Call>, ContentError> {
    let provider = Provider::new(runner, sdk);
    let rows = provider.table(CALLS_URI, None, CALL_INTEGER_COLUMNS, CALL_TEXT_COLUMNS)?;
    let mut calls: Vec<Call> = rows
        .into_iter()
        .map(|row| Call {
            number: row.get("number").as_text().unwrap_or_default().to_string(),
            date_ms: row.int("date").unwrap_or(0),
            duration_s: row.int("duration").unwrap_or(0),
            kind: row.int("type").unwrap_or(0),
            name: text(&row, "name"),
            only_in_backup: false,
            row,
        })
        .collect();
    calls.sort_by_cached_key(|c| (c.date_ms, c.key()));
    Ok(calls)
}

/// How many messages the phone holds, and in how many conversations.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Count {
    /// SMS and MMS.
    pub messages: usize,
    /// Conversation threads.
    pub conversations: usize,
    /// Whether the MMS were counted (false when the phone refused them).
    pub mms_counted: bool,
}

/// Counts the messages and conversations cheaply: one `_id:thread_id` query on SMS and one on MMS (both integer
/// columns, so nothing needs proving). A phone that refuses MMS gives the SMS count.
///
/// # Errors
/// The SMS provider refused or failed, or the link failed.
pub fn count(runner: &dyn Runner, sdk: u32) -> Result<Count, MessagesError> {
    let provider = Provider::new(runner, sdk);
    let threads = |uri: &str| -> Result<Vec<Option<i64>>, ContentError> {
        let out = provider.query(uri, &["_id", "thread_id"], None, false)?;
        let rows = parse_integer_rows(&out, &["_id", "thread_id"]).map_err(|detail| ContentError::Malformed {
            uri: uri.to_string(),
            android: provider.android(),
            detail,
        })?;
        Ok(rows.into_iter().map(|r| r.get(1).copied().flatten()).collect())
    };
    let mut all = threads(SMS_URI)?;
    let mms_counted = match threads(MMS_URI) {
        Ok(mms) => {
            all.extend(mms);
            true
        }
        Err(e @ ContentError::Device(_)) => return Err(e.into()),
        Err(_) => false,
    };
    let conversations: BTreeSet<i64> = all.iter().flatten().copied().collect();
    Ok(Count { messages: all.len(), conversations: conversations.len(), mms_counted })
}

#[cfg(test)]
mod tests;
