//! The MMS provider (`content://mms/...`, AOSP `TelephonyProvider`'s `MmsProvider`), over the MMS the
//! [`SmsStore`](super::SmsStore) holds.
//!
//! - `content query` on `mms` (and the boxes `mms/inbox`, `mms/sent`, `mms/drafts`, `mms/outbox`, `mms/ID`,
//!   `mms/BOX/ID`): the `pdu` table's columns (a subset, in `MmsSmsDatabaseHelper`'s order). Dates are in
//!   **seconds**, as MMS keeps them (SMS keep milliseconds). The shell is not the default SMS app, so
//!   `ProviderUtil.isAccessRestricted` gives it the `pdu_restricted` view: sent and received messages only,
//!   no WAP push notifications. Default order `date DESC`.
//! - `mms/part`, `mms/part/ID` and `mms/ID/part`: the `part` table (`mid` the message, `seq`, `ct` the content
//!   type, `text` the text of `text/plain` and SMIL parts; pictures live in files named by `_data`). Default
//!   order `seq`.
//! - `mms/ID/addr`: the `addr` table (`type` 137 from, 151 to, 130 cc; `insert-address-token` stands for the
//!   phone's own number on messages it sent). `MmsProvider` sets no projection map there, so an expression
//!   passes to `SQLite`: `hex(address) AS address_hex` is modelled (hex of the UTF-8 text, `''` for NULL).
//! - A URI `MmsProvider` does not match gives a null cursor, which `content` prints as `No result found.`.
//! - Writes from the shell do nothing (the `WRITE_SMS` app-op, as for SMS); `deny:sms` refuses reads with
//!   `READ_SMS`, the permission `MmsProvider` shares with `SmsProvider`.

use super::super::Phone;
use super::sql::{Affinity, Col, Value};
use super::{Request, TableQuery, not_modelled, permission_denial};
use std::fmt::Write as _;
use std::io::Write;

const CLASS: &str = "com.android.providers.telephony.MmsProvider";

/// `Mms.MESSAGE_BOX_INBOX`.
pub const BOX_INBOX: i64 = 1;
/// `Mms.MESSAGE_BOX_SENT`.
pub const BOX_SENT: i64 = 2;
/// `PduHeaders.FROM`.
pub const ADDR_FROM: i64 = 137;
/// `PduHeaders.TO`.
pub const ADDR_TO: i64 = 151;
/// The address an MMS the phone sent has as its sender (`PduPersister`'s placeholder for the own number).
pub const OWN_ADDRESS_TOKEN: &str = "insert-address-token";
/// The phone's own number on the MMS it received.
const OWN_NUMBER: &str = "+15555550123";

/// One part of an MMS.
#[derive(Debug, Clone)]
pub struct MmsPart {
    /// Its content type (`text/plain`, `image/jpeg`, `application/smil`).
    pub content_type: String,
    /// Its text, for text and SMIL parts.
    pub text: Option<String>,
    /// Its name (`cl`, the content location), for attachments.
    pub name: Option<String>,
}

/// An MMS to add to the phone.
#[derive(Debug, Clone)]
pub struct Mms {
    /// [`BOX_INBOX`] or [`BOX_SENT`].
    pub msg_box: i64,
    /// The other parties' numbers: the sender of a received MMS, the recipients of a sent one.
    pub others: Vec<String>,
    /// When it was received or sent, **seconds** since 1970.
    pub date_s: i64,
    /// Read.
    pub read: bool,
    /// The subject, if any.
    pub subject: Option<String>,
    /// Its parts, in order.
    pub parts: Vec<MmsPart>,
}

#[derive(Debug, Clone)]
pub(super) struct StoredMms {
    pub(super) id: i64,
    pub(super) thread_id: i64,
    pub(super) mms: Mms,
}

const fn int(name: &'static str) -> Col {
    Col { name, affinity: Affinity::Integer }
}

const fn text(name: &'static str) -> Col {
    Col { name, affinity: Affinity::Text }
}

/// The `pdu` table's columns modelled here, in `MmsSmsDatabaseHelper`'s order.
const PDU_COLUMNS: [Col; 20] = [
    int("_id"),
    int("thread_id"),
    int("date"),
    int("date_sent"),
    int("msg_box"),
    int("read"),
    text("m_id"),
    text("sub"),
    int("sub_cs"),
    text("ct_t"),
    text("m_cls"),
    int("m_type"),
    int("v"),
    int("m_size"),
    int("pri"),
    int("locked"),
    int("sub_id"),
    int("seen"),
    text("creator"),
    int("text_only"),
];

/// The `part` table's columns.
const PART_COLUMNS: [Col; 14] = [
    int("_id"),
    int("mid"),
    int("seq"),
    text("ct"),
    text("name"),
    int("chset"),
    text("cd"),
    text("fn"),
    text("cid"),
    text("cl"),
    int("ctt_s"),
    text("ctt_t"),
    text("_data"),
    text("text"),
];

/// The `addr` table's columns.
const ADDR_COLUMNS: [Col; 6] =
    [int("_id"), int("msg_id"), int("contact_id"), text("address"), int("type"), int("charset")];

/// The alias of the one projection expression modelled: `hex(address) AS address_hex`.
const ADDRESS_HEX: &str = "address_hex";

/// The `addr` columns and the `address_hex` expression's alias.
const ADDR_COLUMNS_HEX: [Col; 7] =
    [int("_id"), int("msg_id"), int("contact_id"), text("address"), int("type"), int("charset"), text(ADDRESS_HEX)];

/// Whether a projection item is `hex(address) AS address_hex` (any case, any spacing).
fn is_address_hex(item: &str) -> bool {
    let words: Vec<String> = item.split_whitespace().map(str::to_ascii_lowercase).collect();
    words == ["hex(address)", "as", ADDRESS_HEX]
}

fn pdu_row(m: &StoredMms) -> Vec<Value> {
    let inbox = m.mms.msg_box == BOX_INBOX;
    let text_only = m.mms.parts.iter().all(|p| p.content_type == "text/plain" || p.content_type == "application/smil");
    let size: usize = m.mms.parts.iter().map(|p| p.text.as_ref().map_or(12_345, String::len)).sum();
    vec![
        Value::Int(m.id),
        Value::Int(m.thread_id),
        Value::Int(m.mms.date_s),
        Value::Int(if inbox { m.mms.date_s - 3 } else { 0 }),
        Value::Int(m.mms.msg_box),
        Value::Int(i64::from(m.mms.read)),
        Value::Text(format!("mms{:08x}", m.id * 7919)),
        m.mms.subject.clone().map_or(Value::Null, Value::Text),
        if m.mms.subject.is_some() { Value::Int(106) } else { Value::Null },
        Value::Text("application/vnd.wap.multipart.related".to_string()),
        Value::Text("personal".to_string()),
        // m_type: MESSAGE_TYPE_RETRIEVE_CONF (132) received, MESSAGE_TYPE_SEND_REQ (128) sent.
        Value::Int(if inbox { 132 } else { 128 }),
        Value::Int(18),
        Value::Int(size as i64),
        Value::Int(129),
        Value::Int(0),
        Value::Int(1),
        Value::Int(1),
        Value::Text("com.google.android.apps.messaging".to_string()),
        Value::Int(i64::from(text_only)),
    ]
}

/// Every part row: (message `_id`, values), numbered across messages in `_id` order.
fn part_rows(all: &[StoredMms]) -> Vec<(i64, Vec<Value>)> {
    let mut id = 0;
    let mut rows = Vec::new();
    for m in all {
        for (seq, part) in m.mms.parts.iter().enumerate() {
            id += 1;
            let textual = part.text.is_some();
            rows.push((
                m.id,
                vec![
                    Value::Int(id),
                    Value::Int(m.id),
                    Value::Int(if part.content_type == "application/smil" { -1 } else { seq as i64 }),
                    Value::Text(part.content_type.clone()),
                    part.name.clone().map_or(Value::Null, Value::Text),
                    if textual { Value::Int(106) } else { Value::Null },
                    Value::Null,
                    Value::Null,
                    Value::Text(format!("<part{id}>")),
                    part.name.clone().map_or(Value::Null, Value::Text),
                    Value::Null,
                    Value::Null,
                    if textual {
                        Value::Null
                    } else {
                        Value::Text(format!("/data/user_de/0/com.android.providers.telephony/app_parts/PART_{id}"))
                    },
                    part.text.clone().map_or(Value::Null, Value::Text),
                ],
            ));
        }
    }
    rows
}

/// Every address row: (message `_id`, values).
fn addr_rows(all: &[StoredMms]) -> Vec<(i64, Vec<Value>)> {
    let mut id = 0;
    let mut rows = Vec::new();
    let mut push = |msg: i64, address: &str, kind: i64| {
        id += 1;
        rows.push((
            msg,
            vec![
                Value::Int(id),
                Value::Int(msg),
                Value::Null,
                Value::Text(address.to_string()),
                Value::Int(kind),
                Value::Int(106),
            ],
        ));
    };
    for m in all {
        if m.mms.msg_box == BOX_INBOX {
            for from in m.mms.others.iter().take(1) {
                push(m.id, from, ADDR_FROM);
            }
            push(m.id, OWN_NUMBER, ADDR_TO);
            for other in m.mms.others.iter().skip(1) {
                push(m.id, other, ADDR_TO);
            }
        } else {
            push(m.id, OWN_ADDRESS_TOKEN, ADDR_FROM);
            for to in &m.mms.others {
                push(m.id, to, ADDR_TO);
            }
        }
    }
    rows
}

fn box_kind(name: &str) -> Option<i64> {
    match name {
        "inbox" => Some(1),
        "sent" => Some(2),
        "drafts" => Some(3),
        "outbox" => Some(4),
        _ => None,
    }
}

/// What a URI names: messages (box, id), parts (message, id), a message's addresses, or nothing.
enum Table {
    Pdu(Option<i64>, Option<i64>),
    Part(Option<i64>, Option<i64>),
    Addr(i64),
    Unmatched,
}

/// Serves one `content` request for `content://mms/...`.
pub(super) fn run(phone: &Phone, request: &Request, stdout: &mut dyn Write, stderr: &mut dyn Write) -> i32 {
    let store = &phone.sms;
    let op = request.op.as_str();
    match op {
        // The WRITE_SMS app-op is ignored for the shell: nothing happens, nothing is printed.
        "insert" | "update" | "delete" => return 0,
        "query" => {}
        _ => return not_modelled(stderr, &format!("`content {op}` on the MMS provider")),
    }
    if store.denied() {
        return permission_denial(
            stderr,
            super::sms::MMS_AUTHORITY,
            op,
            CLASS,
            &request.uri,
            "android.permission.READ_SMS",
        );
    }
    // The restricted view the shell gets: sent and received messages only.
    let all: Vec<StoredMms> =
        store.lock().mms.iter().filter(|m| m.mms.msg_box == BOX_INBOX || m.mms.msg_box == BOX_SENT).cloned().collect();
    let segments = request.segments();
    let number = |s: &str| s.parse::<i64>().ok();
    let table = match segments.as_slice() {
        [] => Table::Pdu(None, None),
        ["part"] => Table::Part(None, None),
        ["part", id] => number(id).map_or(Table::Unmatched, |id| Table::Part(None, Some(id))),
        [id, "part"] => number(id).map_or(Table::Unmatched, |id| Table::Part(Some(id), None)),
        [id, "addr"] => number(id).map_or(Table::Unmatched, Table::Addr),
        [b] if box_kind(b).is_some() => Table::Pdu(box_kind(b), None),
        [b, id] if box_kind(b).is_some() => number(id).map_or(Table::Unmatched, |id| Table::Pdu(box_kind(b), Some(id))),
        [id] => number(id).map_or(Table::Unmatched, |id| Table::Pdu(None, Some(id))),
        _ => Table::Unmatched,
    };
    match table {
        Table::Unmatched => {
            // MmsProvider.query returns null for a URI it does not match; Content.java prints this.
            let _ = writeln!(stdout, "No result found.");
            0
        }
        Table::Pdu(kind, id) => {
            let mut rows: Vec<&StoredMms> = all
                .iter()
                .filter(|m| kind.is_none_or(|k| m.mms.msg_box == k) && id.is_none_or(|id| m.id == id))
                .collect();
            rows.sort_by(|a, b| b.mms.date_s.cmp(&a.mms.date_s).then(b.id.cmp(&a.id)));
            let table =
                TableQuery { authority: super::sms::MMS_AUTHORITY, sql_name: "pdu_restricted", columns: &PDU_COLUMNS };
            table.query(request, rows.into_iter().map(pdu_row).collect(), stdout, stderr)
        }
        Table::Part(msg, id) => {
            let mut rows: Vec<(i64, Vec<Value>)> = part_rows(&all)
                .into_iter()
                .filter(|(m, v)| msg.is_none_or(|x| *m == x) && id.is_none_or(|x| v[0] == Value::Int(x)))
                .collect();
            // Part.SEQ, the default order.
            rows.sort_by_key(|(_, v)| if let Value::Int(s) = v[2] { s } else { 0 });
            let table = TableQuery { authority: super::sms::MMS_AUTHORITY, sql_name: "part", columns: &PART_COLUMNS };
            table.query(request, rows.into_iter().map(|(_, v)| v).collect(), stdout, stderr)
        }
        Table::Addr(msg) => {
            let rows: Vec<Vec<Value>> =
                addr_rows(&all).into_iter().filter(|(m, _)| *m == msg).map(|(_, v)| v).collect();
            // `MmsProvider` sets no projection map for `addr`, so SQLite evaluates an expression such as
            // `hex(address) AS address_hex` (hex of the UTF-8 text; '' for NULL). The one modelled here.
            let wants_hex = request.projection.as_ref().is_some_and(|p| p.iter().any(|c| is_address_hex(c)));
            if !wants_hex {
                let table =
                    TableQuery { authority: super::sms::MMS_AUTHORITY, sql_name: "addr", columns: &ADDR_COLUMNS };
                return table.query(request, rows, stdout, stderr);
            }
            let rows = rows
                .into_iter()
                .map(|mut v| {
                    let hex = match &v[3] {
                        Value::Text(t) => t.bytes().fold(String::new(), |mut h, b| {
                            let _ = write!(h, "{b:02X}");
                            h
                        }),
                        _ => String::new(),
                    };
                    v.push(Value::Text(hex));
                    v
                })
                .collect();
            let projection = request.projection.as_ref().map(|p| {
                p.iter().map(|c| if is_address_hex(c) { ADDRESS_HEX.to_string() } else { c.clone() }).collect()
            });
            let rewritten = Request {
                op: request.op.clone(),
                uri: request.uri.clone(),
                projection,
                selection: request.selection.clone(),
                sort: request.sort.clone(),
                ..Request::default()
            };
            let table =
                TableQuery { authority: super::sms::MMS_AUTHORITY, sql_name: "addr", columns: &ADDR_COLUMNS_HEX };
            table.query(&rewritten, rows, stdout, stderr)
        }
    }
}
