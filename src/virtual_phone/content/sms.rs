//! The SMS provider (`content://sms/...`, AOSP `TelephonyProvider`'s `SmsProvider`), in memory, per phone.
//!
//! - `content query` on `sms`, `sms/inbox`, `sms/sent`, `sms/draft`, `sms/outbox` (the `type` 1..4 boxes) and
//!   `sms/ID` with the `sms` table's columns in its order, projection, `--where` and `--sort` (default order
//!   `date DESC`, as `Sms.DEFAULT_SORT_ORDER`). The shell sees the `sms_restricted` view: sent and received
//!   messages only (`ProviderUtil.isAccessRestricted`: full access is for system, phone and the default SMS app).
//! - Writes from the shell do nothing and say nothing. `SmsProvider` has no write permission; writes are
//!   guarded by the `WRITE_SMS` app-op, whose default is `MODE_IGNORED` for every app but the default SMS app,
//!   so `ContentProvider.Transport` answers an insert with `rejectInsert` (a dummy `.../0` Uri, which
//!   `content insert` drops) and a delete or update with 0 rows. `content` prints nothing and nothing changes.
//! - The `deny:sms` fault takes `READ_SMS` from the shell: `Permission Denial: reading
//!   com.android.providers.telephony.SmsProvider uri ... requires android.permission.READ_SMS, or
//!   grantUriPermission()`.
//!
//! MMS (`content://mms/...`, `MmsProvider`, the same `READ_SMS`) is served by `mms.rs` from the messages held
//! here: SMS and MMS share the conversation threads, as in `MmsSmsDatabaseHelper`. Not modelled (refused
//! loudly): `mms-sms` conversations.

use super::super::Phone;
use super::mms::{Mms, StoredMms};
use super::sql::{Affinity, Col, Value};
use super::{Request, TableQuery, not_modelled, permission_denial};
use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

/// The SMS provider's authority.
pub(super) const AUTHORITY: &str = "sms";
/// The MMS provider's authority (served by `mms.rs`).
pub(super) const MMS_AUTHORITY: &str = "mms";
const CLASS: &str = "com.android.providers.telephony.SmsProvider";

/// `Sms.MESSAGE_TYPE_INBOX`.
pub const TYPE_INBOX: i64 = 1;
/// `Sms.MESSAGE_TYPE_SENT`.
pub const TYPE_SENT: i64 = 2;

/// A message to add to the phone.
#[derive(Debug, Clone)]
pub struct Sms {
    /// The other party's number.
    pub address: String,
    /// When it was received or sent, milliseconds since 1970.
    pub date_ms: i64,
    /// When the sender sent it (0 for messages this phone sent), milliseconds.
    pub date_sent_ms: i64,
    /// [`TYPE_INBOX`] or [`TYPE_SENT`].
    pub kind: i64,
    /// Read.
    pub read: bool,
    /// The text.
    pub body: String,
}

#[derive(Debug, Clone)]
struct Stored {
    id: i64,
    thread_id: i64,
    sms: Sms,
}

#[derive(Debug, Default)]
pub(super) struct Inner {
    messages: Vec<Stored>,
    threads: Vec<String>,
    /// Ids of SMS an SMS app deleted (never reused, as `SQLite`'s `AUTOINCREMENT` does not).
    next_id: i64,
    /// The MMS, in `_id` order.
    pub(super) mms: Vec<StoredMms>,
}

impl Inner {
    /// The thread of a conversation with `recipients` (`Threads.getOrCreateThreadId`: one thread per set of
    /// recipients).
    fn thread_for(&mut self, recipients: &str) -> i64 {
        if let Some(i) = self.threads.iter().position(|a| *a == recipients) {
            i as i64 + 1
        } else {
            self.threads.push(recipients.to_string());
            self.threads.len() as i64
        }
    }
}

/// The phone's SMS messages. Shared by every connection; all methods take `&self`.
#[derive(Debug, Default)]
pub struct SmsStore {
    inner: Mutex<Inner>,
    denied: AtomicBool,
}

impl SmsStore {
    pub(super) fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Whether the shell has lost `READ_SMS` (fault `deny:sms`).
    pub(super) fn denied(&self) -> bool {
        self.denied.load(Ordering::SeqCst)
    }

    /// Fault `deny:sms`: the shell no longer holds `READ_SMS`.
    pub fn deny(&self, denied: bool) {
        self.denied.store(denied, Ordering::SeqCst);
    }

    /// Adds a message (as the phone's SMS app would); returns its `_id`. Messages with the same address share
    /// a thread.
    pub fn add(&self, sms: Sms) -> i64 {
        let mut inner = self.lock();
        let thread_id = inner.thread_for(&sms.address);
        inner.next_id += 1;
        let id = inner.next_id;
        inner.messages.push(Stored { id, thread_id, sms });
        id
    }

    /// Adds an MMS (as the phone's SMS app would); returns its `_id`. Its thread is the one of its other
    /// parties, shared with their SMS.
    pub fn add_mms(&self, mms: Mms) -> i64 {
        let mut inner = self.lock();
        let thread_id = inner.thread_for(&mms.others.join(" "));
        let id = inner.mms.len() as i64 + 1;
        inner.mms.push(StoredMms { id, thread_id, mms });
        id
    }

    /// Deletes an SMS, as the default SMS app can (the shell cannot); false when there is no such message.
    pub fn remove(&self, id: i64) -> bool {
        let mut inner = self.lock();
        let before = inner.messages.len();
        inner.messages.retain(|m| m.id != id);
        inner.messages.len() != before
    }

    /// Every SMS the phone holds as (`_id`, `thread_id`, message), in `_id` order.
    #[must_use]
    pub fn messages(&self) -> Vec<(i64, i64, Sms)> {
        self.lock().messages.iter().map(|m| (m.id, m.thread_id, m.sms.clone())).collect()
    }

    /// Every MMS the phone holds, in `_id` order.
    #[must_use]
    pub fn mms(&self) -> Vec<Mms> {
        self.lock().mms.iter().map(|m| m.mms.clone()).collect()
    }

    /// How many messages the phone holds.
    #[must_use]
    pub fn count(&self) -> usize {
        self.lock().messages.len()
    }
}

const fn int(name: &'static str) -> Col {
    Col { name, affinity: Affinity::Integer }
}

const fn text(name: &'static str) -> Col {
    Col { name, affinity: Affinity::Text }
}

/// The `sms` table's columns, in `MmsSmsDatabaseHelper`'s order.
const COLUMNS: [Col; 19] = [
    int("_id"),
    int("thread_id"),
    text("address"),
    int("person"),
    int("date"),
    int("date_sent"),
    int("protocol"),
    int("read"),
    int("status"),
    int("type"),
    int("reply_path_present"),
    text("subject"),
    text("body"),
    text("service_center"),
    int("locked"),
    int("sub_id"),
    int("error_code"),
    text("creator"),
    int("seen"),
];

fn row(m: &Stored) -> Vec<Value> {
    let inbox = m.sms.kind == TYPE_INBOX;
    vec![
        Value::Int(m.id),
        Value::Int(m.thread_id),
        Value::Text(m.sms.address.clone()),
        Value::Null,
        Value::Int(m.sms.date_ms),
        Value::Int(m.sms.date_sent_ms),
        if inbox { Value::Int(0) } else { Value::Null },
        Value::Int(i64::from(m.sms.read)),
        Value::Int(-1),
        Value::Int(m.sms.kind),
        if inbox { Value::Int(0) } else { Value::Null },
        Value::Null,
        Value::Text(m.sms.body.clone()),
        if inbox { Value::Text("+15555550100".to_string()) } else { Value::Null },
        Value::Int(0),
        Value::Int(1),
        Value::Int(0),
        Value::Text(if inbox { "com.android.phone" } else { "com.google.android.apps.messaging" }.to_string()),
        Value::Int(1),
    ]
}

/// Serves one `content` request for `content://sms/...` (`content://mms/...` goes to `mms.rs`).
pub(super) fn run(phone: &Phone, request: &Request, stdout: &mut dyn Write, stderr: &mut dyn Write) -> i32 {
    if request.authority() == Some(MMS_AUTHORITY) {
        return super::mms::run(phone, request, stdout, stderr);
    }
    let store = &phone.sms;
    let op = request.op.as_str();
    match op {
        // The WRITE_SMS app-op is ignored for the shell: nothing happens, nothing is printed.
        "insert" | "update" | "delete" => return 0,
        "query" => {}
        _ => return not_modelled(stderr, &format!("`content {op}` on the SMS provider")),
    }
    if store.denied.load(Ordering::SeqCst) {
        return permission_denial(stderr, AUTHORITY, op, CLASS, &request.uri, "android.permission.READ_SMS");
    }
    let segments = request.segments();
    let (kind, id) = match segments.as_slice() {
        [] => (None, None),
        [box_name, rest @ ..] if rest.len() <= 1 && box_kind(box_name).is_some() => {
            match rest.first().map(|s| s.parse::<i64>()) {
                None => (box_kind(box_name), None),
                Some(Ok(id)) => (box_kind(box_name), Some(id)),
                Some(Err(_)) => return not_modelled(stderr, &format!("the SMS URI {}", request.uri)),
            }
        }
        [id] if id.parse::<i64>().is_ok() => (None, id.parse().ok()),
        _ => return not_modelled(stderr, &format!("the SMS URI {}", request.uri)),
    };
    let mut messages: Vec<Stored> = store
        .lock()
        .messages
        .iter()
        // The shell is not the default SMS app: `ProviderUtil.isAccessRestricted` gives it the `sms_restricted`
        // view, sent and received messages only (no drafts, outbox, failed or queued ones).
        .filter(|m| m.sms.kind == TYPE_INBOX || m.sms.kind == TYPE_SENT)
        .filter(|m| kind.is_none_or(|k| m.sms.kind == k) && id.is_none_or(|id| m.id == id))
        .cloned()
        .collect();
    // Without --sort, Sms.DEFAULT_SORT_ORDER: "date DESC" (a --sort keeps this order among equals).
    messages.sort_by(|a, b| b.sms.date_ms.cmp(&a.sms.date_ms).then(b.id.cmp(&a.id)));
    let table = TableQuery { authority: AUTHORITY, sql_name: "sms", columns: &COLUMNS };
    table.query(request, messages.iter().map(row).collect(), stdout, stderr)
}

fn box_kind(name: &str) -> Option<i64> {
    match name {
        "inbox" => Some(1),
        "sent" => Some(2),
        "draft" => Some(3),
        "outbox" => Some(4),
        _ => None,
    }
}
