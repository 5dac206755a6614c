//! Android's `content` command: one parser for its arguments (as AOSP's `cmds/content/.../Content.java` reads
//! them), a [`Request`], and a provider per authority, each in its own file:
//!
//! - `media.rs` — `content://media/...`, the media store (query, delete, update `is_trashed`, call
//!   `scan_file`/`scan_volume`);
//! - `contacts.rs` — `content://com.android.contacts/...` (`raw_contacts`, data, contacts);
//! - `sms.rs` — `content://sms/...`;
//! - `mms.rs` — `content://mms/...` (messages, parts, addresses), over the SMS store's MMS;
//! - `calls.rs` — `content://call_log/calls`.
//!
//! `sql.rs` is what they share: the `--where`/`--sort` subset of SQL evaluated with `SQLite`'s rules, and the
//! `Row: N col=value, ...` printing. A new provider is a new file and one arm in [`content_command`].
//!
//! As on a phone, `content` exits 0 even when the provider fails: the provider's exception goes to stderr as
//! `Error while accessing provider:AUTHORITY` and a Java stack trace; argument errors print the usage and
//! `[ERROR] ...` on stdout. Only what the virtual phone does not model fails with exit code 1.

pub mod calls;
mod contacts;
mod media;
pub mod mms;
pub mod sms;
pub mod sql;

pub use calls::{Call, CallLogStore};
pub use contacts::{Contact, ContactsStore, DataItem, mime};
pub use mms::{Mms, MmsPart};
pub use sms::{Sms, SmsStore};

use super::Phone;
use sql::{Col, Row, Schema, SqlError, Value};
use std::io::Write;

/// The Java frames `e.printStackTrace()` shows under a provider exception, by the `content` subcommand.
/// (The insert frame's line numbers follow the others' release; they are not checked against a phone.)
fn stack_frames(op: &str) -> String {
    let (proxy, line, cmd, cmd_line) = match op {
        "query" => ("query", 472, "QueryCommand", 662),
        "delete" => ("delete", 544, "DeleteCommand", 596),
        "update" => ("update", 571, "UpdateCommand", 587),
        "insert" => ("insert", 513, "InsertCommand", 571),
        _ => ("call", 732, "CallCommand", 617),
    };
    format!(
        "\tat android.os.Parcel.createExceptionOrNull(Parcel.java:3034)\n\
         \tat android.os.Parcel.createException(Parcel.java:3018)\n\
         \tat android.os.Parcel.readException(Parcel.java:3001)\n\
         \tat android.database.DatabaseUtils.readExceptionFromParcel(DatabaseUtils.java:190)\n\
         \tat android.database.DatabaseUtils.readExceptionFromParcel(DatabaseUtils.java:142)\n\
         \tat android.content.ContentProviderProxy.{proxy}(ContentProviderNative.java:{line})\n\
         \tat com.android.commands.content.Content${cmd}.onExecute(Content.java:{cmd_line})\n\
         \tat com.android.commands.content.Content$Command.execute(Content.java:522)\n\
         \tat com.android.commands.content.Content.main(Content.java:735)\n\
         \tat com.android.internal.os.RuntimeInit.nativeFinishInit(Native Method)\n\
         \tat com.android.internal.os.RuntimeInit.main(RuntimeInit.java:359)\n"
    )
}

/// Prints a provider exception the way `content` does (stderr; `content` itself still exits 0).
fn provider_error(stderr: &mut dyn Write, authority: &str, op: &str, class: &str, message: &str) -> i32 {
    let _ = write!(stderr, "Error while accessing provider:{authority}\n{class}: {message}\n{}", stack_frames(op));
    0
}

/// A `SQLiteException` from the provider, with the statement it was compiling.
fn sqlite_error(stderr: &mut dyn Write, authority: &str, op: &str, message: &str, sql: &str) -> i32 {
    let message = format!("{message} (code 1 SQLITE_ERROR): , while compiling: {sql}");
    provider_error(stderr, authority, op, "android.database.sqlite.SQLiteException", &message)
}

/// The pid the phone's `content` process has in Permission Denial messages.
const CONTENT_PID: u32 = 4242;

/// `ContentProvider.Transport`'s refusal when the shell (uid 2000) lacks the provider's permission
/// (`enforceReadPermissionInner`/`enforceWritePermissionInner`): "Permission Denial: reading CLASS uri URI
/// from pid=N, uid=2000 requires PERMISSION, or `grantUriPermission()`".
fn permission_denial(
    stderr: &mut dyn Write,
    authority: &str,
    op: &str,
    class: &str,
    uri: &str,
    permission: &str,
) -> i32 {
    let verb = if op == "query" { "reading" } else { "writing" };
    let message = format!(
        "Permission Denial: {verb} {class} uri {uri} from pid={CONTENT_PID}, uid=2000 requires {permission}, or \
         grantUriPermission()"
    );
    provider_error(stderr, authority, op, "java.lang.SecurityException", &message)
}

/// A short usage text, printed (to stdout, as `content` does) before an argument error.
const CONTENT_USAGE: &str = "usage: adb shell content [subcommand] [options]\n\
\n\
usage: adb shell content query --uri <URI> [--user <USER_ID>] [--projection <PROJECTION>] [--where <WHERE>] \
[--sort <SORT_ORDER>] [--extra <BINDING>...]\n\
usage: adb shell content delete --uri <URI> [--user <USER_ID>] [--where <WHERE>] [--extra <BINDING>...]\n\
usage: adb shell content call --uri <URI> --method <METHOD> [--arg <ARG>] [--extra <BINDING> ...]\n\
usage: adb shell content insert|update|read|write|gettype --uri <URI> ...\n\
\n";

fn usage_error(stdout: &mut dyn Write, message: &str) -> i32 {
    let _ = write!(stdout, "{CONTENT_USAGE}\n[ERROR] {message}\n");
    0
}

/// Loud failure for something real phones do but the virtual phone does not model.
fn not_modelled(stderr: &mut dyn Write, what: &str) -> i32 {
    let _ = writeln!(stderr, "Error: the virtual phone does not model {what} (phonebak's virtual_phone)");
    1
}

/// One `content` command, parsed: the subcommand and its options.
#[derive(Debug, Default)]
pub struct Request {
    /// `query`, `insert`, `update`, `delete`, `call`, ...
    pub op: String,
    /// `--uri`.
    pub uri: String,
    /// `--user`.
    pub user: Option<String>,
    /// `--projection a:b:c`, split at colons (spaces around them dropped).
    pub projection: Option<Vec<String>>,
    /// `--where`.
    pub selection: Option<String>,
    /// `--sort`.
    pub sort: Option<String>,
    /// `--method` (call).
    pub method: Option<String>,
    /// `--arg` (call).
    pub arg: Option<String>,
    /// Every `--extra` and `--bind` as (name, type, value), in order.
    pub extras: Vec<(String, String, String)>,
    /// The `--bind` values alone (insert's and update's values).
    pub binds: Vec<(String, String, String)>,
}

impl Request {
    /// The URI's authority (`media`, `com.android.contacts`, `sms`, ...), or `None` without `content://`.
    #[must_use]
    pub fn authority(&self) -> Option<&str> {
        self.uri.strip_prefix("content://").map(|r| r.split(['/', '?', '#']).next().unwrap_or(""))
    }

    /// The URI's path segments after the authority (query and fragment dropped).
    #[must_use]
    pub fn segments(&self) -> Vec<&str> {
        let rest = self.uri.strip_prefix("content://").unwrap_or(&self.uri);
        let path = rest.split(['?', '#']).next().unwrap_or("");
        path.split('/').skip(1).filter(|s| !s.is_empty()).collect()
    }

    /// The `--bind` values as `ContentValues` holds them: `s` text, `b` 1/0 (`Boolean.parseBoolean`), `i`/`l`
    /// integers, `n` NULL; `s` and `f`/`d` as their text (no provider modelled here stores floats).
    #[must_use]
    pub fn bind_values(&self) -> Vec<(String, Value)> {
        self.binds.iter().map(|(k, t, v)| (k.clone(), bind_value(t, v))).collect()
    }
}

fn bind_value(kind: &str, value: &str) -> Value {
    match kind.to_ascii_lowercase().as_str() {
        "b" => Value::Int(i64::from(value.eq_ignore_ascii_case("true"))),
        "i" | "l" => value.parse().map_or(Value::Null, Value::Int),
        "n" => Value::Null,
        _ => Value::Text(value.to_string()),
    }
}

/// Splits a binding at unescaped colons (a backslash escapes the next character), as Android 11+'s
/// `Content.java` does (`splitWithEscaping`).
fn split_with_escaping(arg: &str) -> Option<Vec<String>> {
    let mut out = vec![String::new()];
    let mut chars = arg.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.last_mut()?.push(chars.next()?),
            ':' => out.push(String::new()),
            c => out.last_mut()?.push(c),
        }
    }
    Some(out)
}

/// Splits a binding at its first two colons, the rest being the value as it is, as `Content.java` did up to
/// Android 10 (`indexOf(COLON)` twice).
fn split_at_two_colons(arg: &str) -> Option<Vec<String>> {
    let (key, rest) = arg.split_once(':')?;
    let (kind, value) = rest.split_once(':')?;
    Some(vec![key.to_string(), kind.to_string(), value.to_string()])
}

/// Parses the options of `content OP ...` as `Content.java` does on Android SDK `sdk`; `Err` carries the
/// `[ERROR]` message.
pub fn parse_request(op: &str, args: &[String], sdk: u32) -> Result<Request, String> {
    let mut out = Request { op: op.to_string(), ..Request::default() };
    let mut uri = None;
    let mut i = 0;
    while i < args.len() {
        let flag = args[i].as_str();
        let mut value = || -> Result<String, String> {
            i += 1;
            match args.get(i) {
                Some(v) if !v.is_empty() && !v.starts_with("--") => Ok(v.clone()),
                _ => Err(format!("No value for argument: {flag}")),
            }
        };
        let allowed = match flag {
            "--uri" | "--user" => true,
            "--where" => op == "query" || op == "delete" || op == "update",
            "--sort" | "--projection" => op == "query",
            "--method" | "--arg" => op == "call",
            "--extra" | "--bind" => op != "read" && op != "write" && op != "gettype",
            _ => false,
        };
        if !allowed {
            return Err(format!("Unsupported argument: {flag}"));
        }
        match flag {
            "--uri" => uri = Some(value()?),
            "--user" => out.user = Some(value()?),
            "--where" => out.selection = Some(value()?),
            "--sort" => out.sort = Some(value()?),
            "--projection" => {
                let v = value()?;
                out.projection = Some(v.split(':').map(|s| s.trim().to_string()).collect());
            }
            "--method" => out.method = Some(value()?),
            "--arg" => out.arg = Some(value()?),
            _ => {
                let v = value()?;
                let parts = if sdk >= 30 {
                    split_with_escaping(&v).ok_or_else(|| "Invalid escaping".to_string())?
                } else {
                    split_at_two_colons(&v).unwrap_or_default()
                };
                let [key, kind, val] = &parts[..] else { return Err(format!("Binding not well formed: {v}")) };
                if !["b", "s", "i", "l", "f", "d", "n"].iter().any(|t| t.eq_ignore_ascii_case(kind)) {
                    return Err(format!("Unsupported type: {kind}"));
                }
                // Integer.parseInt / Long.parseLong throw NumberFormatException, an IllegalArgumentException.
                let bad_number = match kind.to_ascii_lowercase().as_str() {
                    "i" if sdk >= 30 => val.parse::<i32>().is_err(),
                    "i" | "l" => val.parse::<i64>().is_err(),
                    _ => false,
                };
                if bad_number {
                    return Err(format!("For input string: \"{val}\""));
                }
                if flag == "--bind" {
                    out.binds.push((key.clone(), kind.clone(), val.clone()));
                }
                out.extras.push((key.clone(), kind.clone(), val.clone()));
            }
        }
        i += 1;
    }
    let Some(uri) = uri else {
        return Err("Content provider URI not specified. Did you specify --uri argument?".to_string());
    };
    out.uri = uri;
    if op == "call" && out.method.is_none() {
        return Err("Content provider method not specified.".to_string());
    }
    Ok(out)
}

/// `content ARGS...` (args exclude the command name), as Android's `content` tool answers: the request goes
/// to the provider its URI's authority names.
pub fn content_command(phone: &Phone, args: &[Vec<u8>], stdout: &mut dyn Write, stderr: &mut dyn Write) -> i32 {
    let args: Vec<String> = args.iter().map(|a| String::from_utf8_lossy(a).into_owned()).collect();
    let Some(op) = args.first() else {
        return usage_error(stdout, "Unsupported operation: null");
    };
    let op = op.as_str();
    if !["insert", "delete", "update", "query", "call", "read", "write", "gettype"].contains(&op) {
        return usage_error(stdout, &format!("Unsupported operation: {op}"));
    }
    let request = match parse_request(op, &args[1..], phone.android.sdk) {
        Ok(p) => p,
        Err(message) => return usage_error(stdout, &message),
    };
    if let Some(user) = &request.user {
        match user.parse::<i32>() {
            Ok(0) => {}
            Ok(_) => return not_modelled(stderr, "users other than 0"),
            Err(_) => {
                let _ = writeln!(
                    stderr,
                    "Exception in thread \"main\" java.lang.NumberFormatException: For input string: \"{user}\""
                );
                return 1;
            }
        }
    }
    match request.authority() {
        None | Some(media::AUTHORITY) => media::run(phone, &request, stdout, stderr),
        Some(contacts::AUTHORITY) => contacts::run(phone, &request, stdout, stderr),
        Some(sms::AUTHORITY | sms::MMS_AUTHORITY) => sms::run(phone, &request, stdout, stderr),
        Some(calls::AUTHORITY) => calls::run(phone, &request, stdout, stderr),
        Some(other) => not_modelled(stderr, &format!("the content provider {other:?}")),
    }
}

/// A row of an in-memory table: its values in the table's column order.
pub struct TableRow<'a> {
    columns: &'a [Col],
    values: Vec<Value>,
}

impl Row for TableRow<'_> {
    fn value(&self, column: &str) -> Value {
        self.columns.iter().position(|c| c.name == column).map_or(Value::Null, |i| self.values[i].clone())
    }
}

/// How a provider built on [`SQLiteQueryBuilder`]'s strict projection maps reports errors.
pub struct TableQuery<'a> {
    /// The authority (for `Error while accessing provider:`).
    pub authority: &'a str,
    /// The table or view name in the SQL an error shows.
    pub sql_name: &'a str,
    /// Its columns, in the order a query without `--projection` lists them.
    pub columns: &'a [Col],
}

impl TableQuery<'_> {
    /// Reports a selection or sort error as the provider's `SQLiteDatabase` would.
    fn sql_error(&self, stderr: &mut dyn Write, op: &str, err: &SqlError, sql: &str) -> i32 {
        match err {
            SqlError::UnknownColumn(name) => {
                sqlite_error(stderr, self.authority, op, &format!("no such column: {name}"), sql)
            }
            SqlError::Syntax(msg) => sqlite_error(stderr, self.authority, op, msg, sql),
            SqlError::Unsupported(what) => sqlite_error(
                stderr,
                self.authority,
                op,
                &format!(
                    "the virtual phone does not model {what} in a selection or sort order (phonebak's virtual_phone)"
                ),
                sql,
            ),
        }
    }

    /// The rows (given as values in column order) that `--where` selects; `Err` holds the exit code of a
    /// reported error.
    pub fn select<'r>(
        &'r self,
        request: &Request,
        op: &str,
        sql_head: &str,
        rows: Vec<Vec<Value>>,
        stderr: &mut dyn Write,
    ) -> Result<Vec<TableRow<'r>>, i32> {
        let rows = rows.into_iter().map(|values| TableRow { columns: self.columns, values });
        let Some(sql) = request.selection.as_deref() else { return Ok(rows.collect()) };
        match sql::parse_selection(sql, &self.columns) {
            Ok(expr) => Ok(rows.filter(|r| sql::eval(&expr, r) == Some(true)).collect()),
            Err(err) => {
                let full = format!("{sql_head} FROM {} WHERE ({sql})", self.sql_name);
                Err(self.sql_error(stderr, op, &err, &full))
            }
        }
    }

    /// `content query` over these rows: projection (unknown columns: `Invalid column X`, as the strict
    /// `SQLiteQueryBuilder` says), `--where`, `--sort` (rows equal under it keep the order given), and the printed rows.
    pub fn query(
        &self,
        request: &Request,
        rows: Vec<Vec<Value>>,
        stdout: &mut dyn Write,
        stderr: &mut dyn Write,
    ) -> i32 {
        let columns: Vec<Col> = match &request.projection {
            None => self.columns.to_vec(),
            Some(names) => {
                let mut out = Vec::new();
                for name in names {
                    if let Some(c) = self.columns.column(name) {
                        out.push(c);
                    } else {
                        let class = "java.lang.IllegalArgumentException";
                        return provider_error(
                            stderr,
                            self.authority,
                            "query",
                            class,
                            &format!("Invalid column {name}"),
                        );
                    }
                }
                out
            }
        };
        let names: Vec<&str> = columns.iter().map(|c| c.name).collect();
        let head = format!("SELECT {}", names.join(", "));
        let rows = match self.select(request, "query", &head, rows, stderr) {
            Ok(r) => r,
            Err(code) => return code,
        };
        let order = match request.sort.as_deref() {
            Some(sql) => match sql::parse_sort(sql, &self.columns) {
                Ok(o) => o,
                Err(err) => {
                    let full = format!("{head} FROM {} ORDER BY {sql}", self.sql_name);
                    return self.sql_error(stderr, "query", &err, &full);
                }
            },
            None => sql::SortOrder::default(),
        };
        let rows = sql::sort_rows(rows, &order, |_, _| std::cmp::Ordering::Equal);
        sql::print_rows(stdout, &names, rows.iter().map(|r| names.iter().map(|n| r.value(n)).collect()));
        0
    }
}

#[cfg(test)]
mod tests;
