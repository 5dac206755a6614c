//! The call log (`content://call_log/calls`, AOSP `ContactsProvider`'s `CallLogProvider`), in memory, per phone.
//!
//! `CallLogProvider` is guarded by `READ_CALL_LOG` (reads) and `WRITE_CALL_LOG`. Whether the shell holds it
//! depends on the release: AOSP's `packages/Shell/AndroidManifest.xml` does not list it up to Android 11 (and a
//! Samsung Android 12 refuses it, pure-python-adb issue #103), while Android 15's lists `READ_CALL_LOG` and
//! `WRITE_CALL_LOG` among the "standard permissions granted to the shell". Releases 12 to 14 are modelled as
//! refusing (not checked against a phone). A refusal comes from the activity manager when `content` asks it
//! for the provider (`getContentProviderExternal`): `Permission Denial: opening provider
//! com.android.providers.contacts.CallLogProvider from (null) (pid=N, uid=2000) requires
//! android.permission.READ_CALL_LOG or android.permission.WRITE_CALL_LOG`, on stderr, exit code 0. The fault
//! `deny:calls` refuses on every release.
//!
//! Queries: `calls` and `calls/ID`, the columns below (a subset of `CallLog.Calls`, in the provider's order),
//! `--where`, `--sort` (default `date DESC`). Writes are not modelled (refused loudly).

use super::super::Phone;
use super::sql::{Affinity, Col, Value};
use super::{Request, TableQuery, not_modelled, provider_error};
use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, PoisonError};

/// The call log's authority.
pub(super) const AUTHORITY: &str = "call_log";

/// The first SDK level whose shell holds `READ_CALL_LOG` (Android 15; see the module documentation).
pub const SHELL_READS_CALL_LOG_FROM_SDK: u32 = 35;

/// `Calls.INCOMING_TYPE`.
pub const INCOMING: i64 = 1;
/// `Calls.OUTGOING_TYPE`.
pub const OUTGOING: i64 = 2;
/// `Calls.MISSED_TYPE`.
pub const MISSED: i64 = 3;

/// A call to add to the log.
#[derive(Debug, Clone)]
pub struct Call {
    /// The other party's number (empty for a withheld number).
    pub number: String,
    /// When it started, milliseconds since 1970.
    pub date_ms: i64,
    /// How long it lasted, seconds.
    pub duration_s: i64,
    /// [`INCOMING`], [`OUTGOING`], [`MISSED`]...
    pub kind: i64,
    /// The contact's name cached at the time of the call.
    pub name: Option<String>,
}

/// The phone's call log. Shared by every connection; all methods take `&self`.
#[derive(Debug, Default)]
pub struct CallLogStore {
    calls: Mutex<Vec<Call>>,
    denied: AtomicBool,
}

impl CallLogStore {
    /// Fault `deny:calls`: the shell does not hold `READ_CALL_LOG`, whatever the release.
    pub fn deny(&self, denied: bool) {
        self.denied.store(denied, Ordering::SeqCst);
    }

    /// Adds a call; returns its `_id`.
    pub fn add(&self, call: Call) -> i64 {
        let mut calls = self.calls.lock().unwrap_or_else(PoisonError::into_inner);
        calls.push(call);
        calls.len() as i64
    }

    /// Every call, in `_id` order.
    #[must_use]
    pub fn calls(&self) -> Vec<Call> {
        self.calls.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }
}

const fn int(name: &'static str) -> Col {
    Col { name, affinity: Affinity::Integer }
}

const fn text(name: &'static str) -> Col {
    Col { name, affinity: Affinity::Text }
}

/// The `calls` columns modelled, in `CallLogProvider`'s projection order.
const COLUMNS: [Col; 18] = [
    int("_id"),
    text("number"),
    int("presentation"),
    text("post_dial_digits"),
    text("via_number"),
    int("date"),
    int("duration"),
    int("type"),
    int("features"),
    int("subscription_id"),
    int("new"),
    text("name"),
    int("numbertype"),
    text("numberlabel"),
    text("countryiso"),
    int("is_read"),
    text("geocoded_location"),
    int("last_modified"),
];

fn row(id: i64, c: &Call) -> Vec<Value> {
    let withheld = c.number.is_empty();
    vec![
        Value::Int(id),
        Value::Text(c.number.clone()),
        // PRESENTATION_ALLOWED 1, PRESENTATION_RESTRICTED 2.
        Value::Int(if withheld { 2 } else { 1 }),
        Value::Text(String::new()),
        Value::Text(String::new()),
        Value::Int(c.date_ms),
        Value::Int(c.duration_s),
        Value::Int(c.kind),
        Value::Int(0),
        Value::Int(1),
        Value::Int(i64::from(c.kind == MISSED)),
        c.name.clone().map_or(Value::Null, Value::Text),
        if c.name.is_some() { Value::Int(2) } else { Value::Null },
        Value::Null,
        Value::Text("DE".to_string()),
        Value::Int(1),
        if withheld { Value::Null } else { Value::Text("Germany".to_string()) },
        Value::Int(c.date_ms + c.duration_s * 1000),
    ]
}

/// The activity manager's refusal to open the provider for the shell.
fn refuse(stderr: &mut dyn Write) -> i32 {
    let message = format!(
        "Permission Denial: opening provider com.android.providers.contacts.CallLogProvider from (null) \
         (pid={}, uid=2000) requires android.permission.READ_CALL_LOG or android.permission.WRITE_CALL_LOG",
        super::CONTENT_PID
    );
    let _ = write!(
        stderr,
        "Error while accessing provider:{AUTHORITY}\njava.lang.SecurityException: {message}\n\
         \tat android.os.Parcel.createExceptionOrNull(Parcel.java:3034)\n\
         \tat android.os.Parcel.createException(Parcel.java:3018)\n\
         \tat android.os.Parcel.readException(Parcel.java:3001)\n\
         \tat android.os.Parcel.readException(Parcel.java:2943)\n\
         \tat android.app.IActivityManager$Stub$Proxy.getContentProviderExternal(IActivityManager.java:6392)\n\
         \tat com.android.commands.content.Content$Command.execute(Content.java:519)\n\
         \tat com.android.commands.content.Content.main(Content.java:735)\n\
         \tat com.android.internal.os.RuntimeInit.nativeFinishInit(Native Method)\n\
         \tat com.android.internal.os.RuntimeInit.main(RuntimeInit.java:359)\n"
    );
    0
}

/// Serves one `content` request for `content://call_log/...`.
pub(super) fn run(phone: &Phone, request: &Request, stdout: &mut dyn Write, stderr: &mut dyn Write) -> i32 {
    let store = &phone.calls;
    if store.denied.load(Ordering::SeqCst) || phone.android.sdk < SHELL_READS_CALL_LOG_FROM_SDK {
        return refuse(stderr);
    }
    let op = request.op.as_str();
    if op != "query" {
        return not_modelled(stderr, &format!("`content {op}` on the call log"));
    }
    let segments = request.segments();
    let id: Option<i64> = match segments.as_slice() {
        ["calls"] => None,
        ["calls", id] if id.parse::<i64>().is_ok() => id.parse().ok(),
        _ => {
            let message = format!("Unknown URL {}", request.uri);
            return provider_error(stderr, AUTHORITY, op, "java.lang.IllegalArgumentException", &message);
        }
    };
    let calls = store.calls();
    let mut rows: Vec<(i64, &Call)> = (1..).zip(calls.iter()).filter(|(i, _)| id.is_none_or(|id| *i == id)).collect();
    // Calls.DEFAULT_SORT_ORDER: "date DESC".
    rows.sort_by(|a, b| b.1.date_ms.cmp(&a.1.date_ms).then(b.0.cmp(&a.0)));
    let table = TableQuery { authority: AUTHORITY, sql_name: "calls", columns: &COLUMNS };
    table.query(request, rows.into_iter().map(|(i, c)| row(i, c)).collect(), stdout, stderr)
}
