//! The media provider (`content://media/...`): `content query`, `delete`, `update` (`is_trashed`, Android 11+'s
//! trash) and `call` (`scan_file`, `scan_volume`) over the media store's rows (`super::super::media_store`),
//! with `MediaProvider`'s answers and error texts per Android release.

use super::super::Phone;
use super::super::media_store::{
    MEDIA_TYPE_AUDIO, MEDIA_TYPE_IMAGE, MEDIA_TYPE_VIDEO, MediaRow, VOLUME_EXTERNAL_PRIMARY, split_parent, unix_now,
};
use super::super::storage::Location;
use super::sql::{self, Affinity, Col, Row, Schema, SortOrder, SqlError, Value, parse_selection, parse_sort};
use super::{Request, not_modelled, stack_frames};
use std::io::Write;

/// The media provider's authority.
pub(super) const AUTHORITY: &str = "media";

/// Serves one `content` request for `content://media/...`.
pub(super) fn run(phone: &Phone, request: &Request, stdout: &mut dyn Write, stderr: &mut dyn Write) -> i32 {
    let uri = request.uri.as_str();
    match request.op.as_str() {
        "query" => content_query(phone, uri, request, stdout, stderr),
        "delete" => content_delete(phone, uri, request, stderr),
        "update" => content_update(phone, uri, request, stderr),
        "call" => content_call(phone, uri, request, stdout, stderr),
        op => not_modelled(stderr, &format!("`content {op}`")),
    }
}

fn provider_error(stderr: &mut dyn Write, op: &str, class: &str, message: &str) -> i32 {
    super::provider_error(stderr, AUTHORITY, op, class, message)
}

fn sqlite_error(stderr: &mut dyn Write, op: &str, message: &str, sql: &str) -> i32 {
    super::sqlite_error(stderr, AUTHORITY, op, message, sql)
}

/// A media table's columns for one release, as a selection sees them.
struct MediaSchema {
    table: Table,
    sdk: u32,
}

impl Schema for MediaSchema {
    fn column(&self, name: &str) -> Option<Col> {
        find_column(name, self.table, self.sdk).map(|c| Col { name: c.name, affinity: c.affinity })
    }
}

impl Row for MediaRow {
    fn value(&self, column: &str) -> Value {
        column_value(self, column)
    }
}

/// Which collection a URI names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Table {
    Images,
    Video,
    Audio,
    Files,
}

impl Table {
    fn sql_name(self) -> &'static str {
        match self {
            Table::Images => "images",
            Table::Video => "video",
            Table::Audio => "audio",
            Table::Files => "files",
        }
    }

    fn path(self) -> &'static str {
        match self {
            Table::Images => "images/media",
            Table::Video => "video/media",
            Table::Audio => "audio/media",
            Table::Files => "file",
        }
    }

    fn contains(self, row: &MediaRow) -> bool {
        match self {
            Table::Images => row.media_type == MEDIA_TYPE_IMAGE,
            Table::Video => row.media_type == MEDIA_TYPE_VIDEO,
            Table::Audio => row.media_type == MEDIA_TYPE_AUDIO,
            Table::Files => true,
        }
    }
}

/// A column: name, affinity, first API level that has it, and whether only the files table has it.
struct Column {
    name: &'static str,
    affinity: Affinity,
    since_sdk: u32,
    files_only: bool,
}

const fn col(name: &'static str, affinity: Affinity, since_sdk: u32) -> Column {
    Column { name, affinity, since_sdk, files_only: false }
}

/// The modelled columns, in the order a query without `--projection` lists them.
const COLUMNS: [Column; 21] = [
    col("_id", Affinity::Integer, 0),
    col("_data", Affinity::Text, 0),
    col("_size", Affinity::Integer, 0),
    col("_display_name", Affinity::Text, 0),
    col("mime_type", Affinity::Text, 0),
    col("title", Affinity::Text, 0),
    col("date_added", Affinity::Integer, 0),
    col("date_modified", Affinity::Integer, 0),
    col("datetaken", Affinity::Integer, 0),
    col("width", Affinity::Integer, 0),
    col("height", Affinity::Integer, 0),
    col("orientation", Affinity::Integer, 0),
    col("duration", Affinity::Integer, 0),
    col("bucket_id", Affinity::Text, 0),
    col("bucket_display_name", Affinity::Text, 0),
    col("relative_path", Affinity::Text, 29),
    col("volume_name", Affinity::Text, 29),
    col("is_pending", Affinity::Integer, 29),
    col("is_trashed", Affinity::Integer, 30),
    col("date_expires", Affinity::Integer, 30),
    Column { name: "media_type", affinity: Affinity::Integer, since_sdk: 0, files_only: true },
];

fn column_available(c: &Column, table: Table, sdk: u32) -> bool {
    if sdk < c.since_sdk || (c.files_only && table != Table::Files) {
        return false;
    }
    // Images gained `duration` with MediaColumns.DURATION in Android 11.
    !(c.name == "duration" && table == Table::Images && sdk < 30)
}

fn find_column(name: &str, table: Table, sdk: u32) -> Option<&'static Column> {
    COLUMNS.iter().find(|c| c.name.eq_ignore_ascii_case(name) && column_available(c, table, sdk))
}

fn opt_int<T: Into<i64>>(v: Option<T>) -> Value {
    v.map_or(Value::Null, |v| Value::Int(v.into()))
}

fn column_value(row: &MediaRow, name: &str) -> Value {
    match name {
        "_id" => Value::Int(row.id),
        "_data" => Value::Text(String::from_utf8_lossy(&row.data).into_owned()),
        "_size" => Value::Int(row.size as i64),
        "_display_name" => Value::Text(row.display_name.clone()),
        "mime_type" => Value::Text(row.mime_type.clone()),
        "title" => Value::Text(row.title.clone()),
        "date_added" => Value::Int(row.date_added),
        "date_modified" => Value::Int(row.date_modified),
        "datetaken" => opt_int(row.date_taken),
        "width" => opt_int(row.width),
        "height" => opt_int(row.height),
        "orientation" => opt_int(row.orientation),
        "duration" => opt_int(row.duration),
        // The files table declares bucket_id TEXT: Java's int hash, stored as text.
        "bucket_id" => Value::Text(row.bucket_id.to_string()),
        "bucket_display_name" => row.bucket_display_name.clone().map_or(Value::Null, Value::Text),
        "relative_path" => Value::Text(row.relative_path.clone()),
        "volume_name" => Value::Text(row.volume_name.clone()),
        "is_pending" => Value::Int(i64::from(row.is_pending)),
        "is_trashed" => Value::Int(i64::from(row.is_trashed)),
        "date_expires" => opt_int(row.date_expires),
        "media_type" => Value::Int(row.media_type),
        _ => Value::Null,
    }
}

/// A parsed `content://media/...` URI.
#[derive(Debug, Clone, PartialEq, Eq)]
struct MediaUri {
    volume: String,
    table: Table,
    id: Option<i64>,
}

/// Why a URI cannot be served.
enum UriError {
    /// Not `content://media/...`: another provider, which the virtual phone does not model.
    OtherAuthority(String),
    /// `MediaProvider` would throw this (exception class, message).
    Provider(&'static str, String),
}

fn parse_media_uri(uri: &str, sdk: u32) -> Result<MediaUri, UriError> {
    let Some(rest) = uri.strip_prefix("content://") else {
        return Err(UriError::Provider("java.lang.IllegalArgumentException", format!("Unknown URL {uri}")));
    };
    let authority = rest.split('/').next().unwrap_or("");
    if authority != "media" {
        return Err(UriError::OtherAuthority(authority.to_string()));
    }
    let path = rest[authority.len()..].split(['?', '#']).next().unwrap_or("");
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let unknown =
        || UriError::Provider("java.lang.UnsupportedOperationException", format!("Unknown or unsupported URL: {uri}"));
    let Some(&volume) = segments.first() else { return Err(unknown()) };
    let volume_known = volume == "external" || volume == "internal" || (sdk >= 29 && volume == VOLUME_EXTERNAL_PRIMARY);
    let (table, id_at) = match segments.get(1..) {
        Some(["images", "media", ..]) => (Table::Images, 3),
        Some(["video", "media", ..]) => (Table::Video, 3),
        Some(["audio", "media", ..]) => (Table::Audio, 3),
        Some(["file", ..]) => (Table::Files, 2),
        _ => return Err(unknown()),
    };
    if !volume_known {
        return Err(if sdk >= 29 {
            UriError::Provider("java.lang.IllegalArgumentException", format!("Volume {volume} not found"))
        } else {
            unknown()
        });
    }
    let id = match segments.get(id_at..) {
        Some([]) | None => None,
        Some([id]) => Some(id.parse::<i64>().map_err(|_| unknown())?),
        Some(_) => return Err(unknown()),
    };
    Ok(MediaUri { volume: volume.to_string(), table, id })
}

/// Reports a selection/sort error as `MediaProvider` would for this API level.
fn report_sql_error(stderr: &mut dyn Write, op: &str, err: &SqlError, sdk: u32, sql: &str) -> i32 {
    match err {
        SqlError::UnknownColumn(name) if sdk >= 29 => {
            provider_error(stderr, op, "java.lang.IllegalArgumentException", &format!("Invalid token {name}"))
        }
        SqlError::UnknownColumn(name) => sqlite_error(stderr, op, &format!("no such column: {name}"), sql),
        SqlError::Syntax(msg) => sqlite_error(stderr, op, msg, sql),
        SqlError::Unsupported(what) => sqlite_error(
            stderr,
            op,
            &format!("the virtual phone does not model {what} in a selection or sort order (phonebak's virtual_phone)"),
            sql,
        ),
    }
}

/// Applies the `--extra` match options (`android:query-arg-match-pending`/`-trashed`): 1 include, 2 exclude,
/// 3 only.
fn match_option(parsed: &Request, key: &str, default: i64) -> i64 {
    parsed
        .extras
        .iter()
        .rev()
        .find(|(k, t, _)| k == key && (t.eq_ignore_ascii_case("i") || t.eq_ignore_ascii_case("l")))
        .and_then(|(_, _, v)| v.parse().ok())
        .unwrap_or(default)
}

fn flag_matches(flag: bool, option: i64) -> bool {
    match option {
        1 => true,
        3 => flag,
        _ => !flag,
    }
}

/// Parses a URI for `op`, reporting an error the way the phone would; `Err` holds the exit code.
fn resolve_uri(phone: &Phone, op: &str, uri: &str, stderr: &mut dyn Write) -> Result<MediaUri, i32> {
    match parse_media_uri(uri, phone.media.sdk) {
        Ok(u) => Ok(u),
        Err(UriError::OtherAuthority(a)) => Err(not_modelled(stderr, &format!("the content provider {a:?}"))),
        Err(UriError::Provider(class, message)) => Err(provider_error(stderr, op, class, &message)),
    }
}

/// The rows a query or delete on `uri` with `--where` sees, or the exit code of a reported error.
fn select_rows(
    phone: &Phone,
    op: &str,
    uri: &MediaUri,
    parsed: &Request,
    sql_head: &str,
    stderr: &mut dyn Write,
) -> Result<Vec<MediaRow>, i32> {
    let sdk = phone.media.sdk;
    let table = uri.table;
    let selection = match parsed.selection.as_deref() {
        Some(sql) => match parse_selection(sql, &MediaSchema { table, sdk }) {
            Ok(expr) => Some(expr),
            Err(err) => {
                let full = format!("{sql_head} FROM {} WHERE ({sql})", table.sql_name());
                return Err(report_sql_error(stderr, op, &err, sdk, &full));
            }
        },
        None => None,
    };
    let (default_pending, default_trashed) = if uri.id.is_some() { (1, 1) } else { (2, 2) };
    let match_pending = match_option(parsed, "android:query-arg-match-pending", default_pending);
    let match_trashed = match_option(parsed, "android:query-arg-match-trashed", default_trashed);
    if uri.volume == "internal" {
        return Ok(Vec::new());
    }
    Ok(phone
        .media
        .rows()
        .into_iter()
        .filter(|r| table.contains(r))
        .filter(|r| uri.id.is_none_or(|id| r.id == id))
        .filter(|r| sdk < 29 || flag_matches(r.is_pending, match_pending))
        .filter(|r| sdk < 30 || flag_matches(r.is_trashed, match_trashed))
        .filter(|r| selection.as_ref().is_none_or(|e| sql::eval(e, r) == Some(true)))
        .collect())
}

fn content_query(phone: &Phone, uri: &str, parsed: &Request, stdout: &mut dyn Write, stderr: &mut dyn Write) -> i32 {
    let sdk = phone.media.sdk;
    let uri = match resolve_uri(phone, "query", uri, stderr) {
        Ok(u) => u,
        Err(code) => return code,
    };
    let table = uri.table;
    // The projection is checked before the selection, as SQLiteQueryBuilder does.
    let columns: Vec<String> = match &parsed.projection {
        None => COLUMNS.iter().filter(|c| column_available(c, table, sdk)).map(|c| c.name.to_string()).collect(),
        Some(names) => {
            let mut out = Vec::new();
            for name in names {
                match find_column(name, table, sdk) {
                    Some(c) => out.push(c.name.to_string()),
                    None if sdk >= 29 => {
                        let message = format!("Invalid column {name}");
                        return provider_error(stderr, "query", "java.lang.IllegalArgumentException", &message);
                    }
                    None => {
                        let sql = format!("SELECT {} FROM {}", names.join(", "), table.sql_name());
                        return sqlite_error(stderr, "query", &format!("no such column: {name}"), &sql);
                    }
                }
            }
            out
        }
    };
    let head = format!("SELECT {}", columns.join(", "));
    let rows = match select_rows(phone, "query", &uri, parsed, &head, stderr) {
        Ok(r) => r,
        Err(code) => return code,
    };
    let order = match parsed.sort.as_deref() {
        Some(sql) => match parse_sort(sql, &MediaSchema { table, sdk }) {
            Ok(o) => o,
            Err(err) => {
                let full = format!("{head} FROM {} ORDER BY {sql}", table.sql_name());
                return report_sql_error(stderr, "query", &err, sdk, &full);
            }
        },
        None => SortOrder::default(),
    };
    let rows = sql::sort_rows(rows, &order, |a, b| a.id.cmp(&b.id));
    let names: Vec<&str> = columns.iter().map(String::as_str).collect();
    sql::print_rows(stdout, &names, rows.iter().map(|row| names.iter().map(|n| column_value(row, n)).collect()));
    0
}

fn content_delete(phone: &Phone, uri: &str, parsed: &Request, stderr: &mut dyn Write) -> i32 {
    let uri = match resolve_uri(phone, "delete", uri, stderr) {
        Ok(u) => u,
        Err(code) => return code,
    };
    let rows = match select_rows(phone, "delete", &uri, parsed, "DELETE", stderr) {
        Ok(r) => r,
        Err(code) => return code,
    };
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    // Deleting a media row deletes its file, as MediaProvider does.
    for row in phone.media.remove_ids(&ids) {
        if let Location::Storage(host) = phone.storage.locate(b"/", &row.data) {
            let _ = phone.storage.remove_file(&host);
        }
    }
    0
}

/// How long `MediaProvider` keeps a trashed file (`FileUtils.DEFAULT_DURATION_TRASHED`), seconds.
const TRASH_KEPT_SECS: i64 = 30 * 86_400;

/// `content update --uri URI --bind is_trashed:i:0|1 [--where ...]`, as Android 11+'s `MediaProvider` does it:
/// trashing renames the file to `.trashed-<date_expires>-<display name>` in its folder (`date_expires` = now +
/// 30 days) and keeps the row's `_id`; untrashing renames it back. `content update` prints nothing. On
/// Android 10 and 9 the column does not exist and the provider's exception is printed as for a query.
fn content_update(phone: &Phone, uri: &str, parsed: &Request, stderr: &mut dyn Write) -> i32 {
    let sdk = phone.media.sdk;
    let media_uri = match resolve_uri(phone, "update", uri, stderr) {
        Ok(u) => u,
        Err(code) => return code,
    };
    let table = media_uri.table;
    if parsed.binds.is_empty() {
        // ContentResolver: "Empty values".
        return provider_error(stderr, "update", "java.lang.IllegalArgumentException", "Empty values");
    }
    let mut trash = None;
    for (key, kind, value) in &parsed.binds {
        match find_column(key, table, sdk) {
            None if sdk >= 29 => {
                // SQLiteQueryBuilder's strict columns (Android 10+).
                let message = format!("Invalid column {key}");
                return provider_error(stderr, "update", "java.lang.IllegalArgumentException", &message);
            }
            None => {
                let sql = format!(
                    "UPDATE {} SET {key}=?{}",
                    table.sql_name(),
                    parsed.selection.as_deref().map(|w| format!(" WHERE {w}")).unwrap_or_default()
                );
                return sqlite_error(stderr, "update", &format!("no such column: {key}"), &sql);
            }
            Some(c) if c.name == "is_trashed" => {
                let number = if kind.eq_ignore_ascii_case("b") {
                    Some(i64::from(value == "true"))
                } else {
                    value.parse::<i64>().ok()
                };
                match number {
                    Some(n) => trash = Some(n != 0),
                    None => return not_modelled(stderr, &format!("is_trashed bound to {value:?}")),
                }
            }
            Some(c) => return not_modelled(stderr, &format!("`content update` of {}", c.name)),
        }
    }
    let Some(trash) = trash else { return 0 };
    if phone.media.shell_writes_refused() {
        let message = format!(
            "Permission Denial: writing com.android.providers.media.MediaProvider uri {uri} from pid=4242, \
             uid=2000 requires android.permission.WRITE_EXTERNAL_STORAGE, or grantUriPermission()"
        );
        return provider_error(stderr, "update", "java.lang.SecurityException", &message);
    }
    let rows = match select_rows(phone, "update", &media_uri, parsed, "UPDATE", stderr) {
        Ok(r) => r,
        Err(code) => return code,
    };
    let now = unix_now();
    for row in rows {
        if row.is_trashed == trash {
            continue;
        }
        let (dir, _) = split_parent(&row.data);
        let (name, expires) = if trash {
            let expires = now + TRASH_KEPT_SECS;
            (format!(".trashed-{expires}-{}", row.display_name), Some(expires))
        } else {
            (row.display_name.clone(), None)
        };
        let mut data = dir.to_vec();
        data.push(b'/');
        data.extend_from_slice(name.as_bytes());
        let (Location::Storage(from), Location::Storage(to)) =
            (phone.storage.locate(b"/", &row.data), phone.storage.locate(b"/", &data))
        else {
            continue;
        };
        if let Err(e) = phone.storage.rename(&from, &to) {
            // MediaProvider: "Failed to rename" when the file cannot be moved.
            let message = format!("Failed to rename {} ({e})", String::from_utf8_lossy(&row.data));
            return provider_error(stderr, "update", "java.lang.IllegalStateException", &message);
        }
        phone.media.move_row(row.id, data, trash, expires);
    }
    0
}

/// The content URI `scan_file` answers for a row.
fn row_uri(row: &MediaRow) -> String {
    let table = match row.media_type {
        MEDIA_TYPE_IMAGE => Table::Images,
        MEDIA_TYPE_VIDEO => Table::Video,
        MEDIA_TYPE_AUDIO => Table::Audio,
        _ => Table::Files,
    };
    format!("content://media/{VOLUME_EXTERNAL_PRIMARY}/{}/{}", table.path(), row.id)
}

fn content_call(phone: &Phone, uri: &str, parsed: &Request, stdout: &mut dyn Write, stderr: &mut dyn Write) -> i32 {
    let sdk = phone.media.sdk;
    let authority = uri.strip_prefix("content://").map(|r| r.split('/').next().unwrap_or(""));
    match authority {
        Some("media") => {}
        Some(other) => return not_modelled(stderr, &format!("the content provider {other:?}")),
        None => {
            return provider_error(stderr, "call", "java.lang.IllegalArgumentException", &format!("Unknown URL {uri}"));
        }
    }
    let method = parsed.method.as_deref().unwrap_or_default();
    // Android 9 and older have neither method; every release refuses a method it does not know.
    if sdk < 29 || (method != "scan_file" && method != "scan_volume") {
        let message = format!("Unsupported call: {method}");
        return provider_error(stderr, "call", "java.lang.UnsupportedOperationException", &message);
    }
    if sdk == 29 {
        // Android 10's MediaProvider reads the target from a Uri extra (EXTRA_STREAM) that `content call`
        // cannot send, and dereferences it unchecked.
        return provider_error(
            stderr,
            "call",
            "java.lang.NullPointerException",
            "Attempt to invoke virtual method 'java.lang.String android.net.Uri.getPath()' on a null object reference",
        );
    }
    if method == "scan_file" && parsed.arg.is_none() {
        // `new File((String) null)` in MediaProvider.
        let _ = write!(
            stderr,
            "Error while accessing provider:media\njava.lang.NullPointerException\n{}",
            stack_frames("call")
        );
        return 0;
    }
    let arg = parsed.arg.as_deref().unwrap_or_default();
    if method == "scan_volume" {
        if arg == VOLUME_EXTERNAL_PRIMARY {
            phone.media.scan_volume(&phone.storage);
        }
        // An unknown volume is only logged on the phone; the answer is the same empty bundle.
        let _ = writeln!(stdout, "Result: Bundle[{{}}]");
        return 0;
    }
    let result = if arg.starts_with('/') { phone.media.scan_file(&phone.storage, arg.as_bytes()) } else { None };
    let uri = result.as_ref().map_or_else(|| "null".to_string(), row_uri);
    let _ = writeln!(stdout, "Result: Bundle[{{android.intent.extra.STREAM={uri}}}]");
    0
}
