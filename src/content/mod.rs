//! Android's `content query`, read so that every value survives (engine layer, under contacts and messages).
//!
//! The `content` tool (AOSP `frameworks/base/cmds/content/.../Content.java`) prints each row as one line,
//! `Row: N name=value, name=value`, with no escaping at all: a value may hold `, `, `=`, newlines, or a whole
//! forged `Row: 3 _id=9, data1=` line. `NULL` stands for SQL NULL (and for the four letters `NULL`), `BLOB`
//! for any blob, integers through `getLong` (`getInt` before Android 10), and zero rows print `No result
//! found.`. Errors go to stderr (`Error while accessing provider:AUTHORITY` and a Java stack trace) with exit
//! code 0; bad arguments print the usage and `[ERROR] ...` on stdout.
//!
//! So a table is read in steps whose output can be split with certainty:
//!
//! 1. **The row ids**: `--projection _id --sort "_id ASC"`. Every line is `Row: k _id=DIGITS`, nothing else
//!    can appear, so the ids (and how many rows there are) are certain.
//! 2. **Integer columns together**: `_id:a:b:c`. Their values are digits, `-` or `NULL`, never `, `, so the
//!    line splits on `, NAME=` in the order asked; anything else is refused as malformed.
//! 3. **One query per free-text column**, `--projection _id:COLUMN`, sorted by `_id`. With the ids known, the
//!    output must be exactly the concatenation of `Row: k _id=ID_k, COLUMN=` + value + `\n` for k = 0, 1, ...
//!    Row k's value ends where the separator of row k+1 begins: `\nRow: k+1 _id=ID_k+1, COLUMN=`. The true
//!    separator is always there; when the rest of the output holds it exactly once, that is the one. When a
//!    value holds a forged copy (it appears more than once), row k alone is asked again with `--where _id=ID`:
//!    a one-row answer is its prefix, the whole value, and the final newline, with nothing to split. Either
//!    way every boundary is proven, never guessed. Ids that differ from step 1 mean the table changed while
//!    it was read: [`ContentError::Changed`].
//! 4. **`NULL` or the text "NULL"**: when a column printed `NULL`, one more query,
//!    `--projection _id --where "COLUMN IS NULL"`, says which rows are really NULL.
//!
//! Blobs print as `BLOB`; a caller that needs one's bytes asks for `hex(COLUMN) AS NAME` (see the contacts
//! photo), which the providers' projection maps let through as an aliased expression.
//!
//! Commands go through [`Runner`] so that the parsing is tested against exact `Content.java` output without a
//! phone.

use crate::device::{Device, DeviceError, ShellOutput, command_line};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// Runs one shell command on the phone (a [`Device`], or a test's fake).
pub trait Runner {
    /// Runs `command` with the phone's shell and returns what it printed.
    fn run(&self, command: &[u8]) -> Result<ShellOutput, DeviceError>;
}

impl Runner for Device {
    fn run(&self, command: &[u8]) -> Result<ShellOutput, DeviceError> {
        self.shell(command)
    }
}

/// One cell of a provider's row, as `content query` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Value {
    /// SQL NULL.
    Null,
    /// An integer column (asked for as one).
    Integer(i64),
    /// Text (any free-text column, whatever its SQL type: a provider's column may hold both).
    Text(String),
}

impl Value {
    /// The text, when the cell holds text.
    #[must_use]
    pub fn as_text(&self) -> Option<&str> {
        match self {
            Value::Text(t) => Some(t),
            _ => None,
        }
    }

    /// The integer: an integer cell, or text that is one.
    #[must_use]
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Value::Integer(i) => Some(*i),
            Value::Text(t) => t.trim().parse().ok(),
            Value::Null => None,
        }
    }
}

/// A provider's row: its `_id` and the columns that were read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Row {
    /// The row's `_id`.
    pub id: i64,
    /// Column name → value, for every column asked for.
    pub values: BTreeMap<String, Value>,
}

impl Row {
    /// The value of `column`, `Null` when it was not read.
    #[must_use]
    pub fn get(&self, column: &str) -> &Value {
        self.values.get(column).unwrap_or(&Value::Null)
    }

    /// Non-empty text of `column`.
    #[must_use]
    pub fn text(&self, column: &str) -> Option<&str> {
        self.get(column).as_text().filter(|t| !t.is_empty())
    }

    /// `column` as an integer.
    #[must_use]
    pub fn int(&self, column: &str) -> Option<i64> {
        self.get(column).as_i64()
    }
}

/// What went wrong reading a provider. Each message names the phone's Android version: what the shell may read
/// differs between releases and makers.
#[derive(Debug, thiserror::Error)]
pub enum ContentError {
    /// The provider refused the shell user (`java.lang.SecurityException: Permission Denial`).
    #[error(
        "The phone ({android}) does not let phonebak read {uri}: Android refused the permission ({detail}). \
         On some phones the maker removes this right from USB debugging; on Xiaomi phones turn on \"USB debugging \
         (Security settings)\" in Developer options and try again. The rest of the backup is not affected."
    )]
    PermissionDenied {
        /// The content URI.
        uri: String,
        /// Android's version, for the person ("Android 14 (SDK 34)").
        android: String,
        /// The exception's line.
        detail: String,
    },

    /// No provider answers this URI on this phone.
    #[error(
        "The phone ({android}) has no provider for {uri} ({detail}). This Android version or maker does not \
         offer it over USB, so phonebak cannot read it from this phone."
    )]
    UnknownUri {
        /// The content URI.
        uri: String,
        /// Android's version.
        android: String,
        /// The exception's line.
        detail: String,
    },

    /// Any other exception from the provider (an unknown column, a bad selection...).
    #[error(
        "The phone ({android}) could not answer a query on {uri}: {detail}. Please report this with your phone's \
         model: phonebak asked for something this Android version does not have."
    )]
    Provider {
        /// The content URI.
        uri: String,
        /// Android's version.
        android: String,
        /// The exception's line, or what the phone printed.
        detail: String,
    },

    /// The phone has no `content` command (very old or stripped-down Android).
    #[error(
        "The phone ({android}) has no `content` command, which phonebak needs to read contacts and messages. \
         The phone said: {detail}"
    )]
    NoContentCommand {
        /// Android's version.
        android: String,
        /// What the shell said.
        detail: String,
    },

    /// The output does not follow `Content.java`'s format.
    #[error(
        "The phone ({android}) answered a query on {uri} in a form phonebak does not understand ({detail}). Please \
         report this with your phone's model."
    )]
    Malformed {
        /// The content URI.
        uri: String,
        /// Android's version.
        android: String,
        /// What did not match.
        detail: String,
    },

    /// Rows appeared or went while phonebak read the table.
    #[error(
        "The rows of {uri} changed while phonebak read them (something on the phone ({android}) was syncing or \
         editing). Try again in a minute."
    )]
    Changed {
        /// The content URI.
        uri: String,
        /// Android's version.
        android: String,
    },

    /// The phone could not be reached.
    #[error(transparent)]
    Device(#[from] DeviceError),
}

impl ContentError {
    /// Whether this is the phone refusing the data (as opposed to a failure of phonebak or the link).
    #[must_use]
    pub fn is_refusal(&self) -> bool {
        matches!(self, ContentError::PermissionDenied { .. } | ContentError::UnknownUri { .. })
    }
}

/// A person's name for an Android SDK level: "Android 14 (SDK 34)"; "Android (SDK unknown)" for 0.
#[must_use]
pub fn android_name(sdk: u32) -> String {
    let release = match sdk {
        0 => return "Android, SDK unknown".to_string(),
        1..=4 => "1.x",
        5..=7 => "2.0-2.1",
        8 => "2.2",
        9 | 10 => "2.3",
        11..=13 => "3.x",
        14 | 15 => "4.0",
        16 => "4.1",
        17 => "4.2",
        18 => "4.3",
        19 | 20 => "4.4",
        21 => "5.0",
        22 => "5.1",
        23 => "6",
        24 => "7.0",
        25 => "7.1",
        26 => "8.0",
        27 => "8.1",
        28 => "9",
        29 => "10",
        30 => "11",
        31 => "12",
        32 => "12L",
        33 => "13",
        34 => "14",
        35 => "15",
        36 => "16",
        _ => return format!("Android, SDK {sdk}"),
    };
    format!("Android {release}, SDK {sdk}")
}

/// Reads one provider URI with `content query`, proving every row boundary (see the module documentation).
pub struct Provider<'a> {
    runner: &'a dyn Runner,
    sdk: u32,
}

impl<'a> Provider<'a> {
    /// Queries through `runner` on a phone of SDK level `sdk` (used in messages only).
    #[must_use]
    pub fn new(runner: &'a dyn Runner, sdk: u32) -> Self {
        Self { runner, sdk }
    }

    /// The phone's Android version as people name it (see [`android_name`]).
    #[must_use]
    pub fn android(&self) -> String {
        android_name(self.sdk)
    }

    /// Runs one `content query` and returns its stdout, or the error it printed.
    pub fn query(
        &self,
        uri: &str,
        projection: &[&str],
        selection: Option<&str>,
        sorted: bool,
    ) -> Result<String, ContentError> {
        let command = query_command(uri, projection, selection, sorted);
        let out = self.runner.run(&command)?;
        check_output(&out, uri, self.sdk)?;
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    fn malformed(&self, uri: &str, detail: impl Into<String>) -> ContentError {
        ContentError::Malformed { uri: uri.to_string(), android: self.android(), detail: detail.into() }
    }

    /// The `_id`s of the rows `selection` picks, ascending.
    pub fn ids(&self, uri: &str, selection: Option<&str>) -> Result<Vec<i64>, ContentError> {
        let out = self.query(uri, &["_id"], selection, true)?;
        let rows = parse_integer_rows(&out, &["_id"]).map_err(|d| self.malformed(uri, d))?;
        rows.into_iter()
            .map(|r| r.first().copied().flatten().ok_or_else(|| self.malformed(uri, "a row without an _id")))
            .collect()
    }

    /// Integer columns of the rows `ids` (from [`Provider::ids`] with the same selection), in one query.
    pub fn integers(
        &self,
        uri: &str,
        selection: Option<&str>,
        ids: &[i64],
        columns: &[&str],
    ) -> Result<Vec<Vec<Option<i64>>>, ContentError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut projection = vec!["_id"];
        projection.extend_from_slice(columns);
        let out = self.query(uri, &projection, selection, true)?;
        let rows = parse_integer_rows(&out, &projection).map_err(|d| self.malformed(uri, d))?;
        let got: Vec<Option<i64>> = rows.iter().map(|r| r.first().copied().flatten()).collect();
        if got.len() != ids.len() || got.iter().zip(ids).any(|(g, id)| *g != Some(*id)) {
            return Err(ContentError::Changed { uri: uri.to_string(), android: self.android() });
        }
        Ok(rows.into_iter().map(|mut r| r.split_off(1)).collect())
    }

    /// One free-text column of the rows `ids`, NULL told apart from the text "NULL".
    pub fn text_column(
        &self,
        uri: &str,
        selection: Option<&str>,
        ids: &[i64],
        column: &str,
    ) -> Result<Vec<Option<String>>, ContentError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let out = self.query(uri, &["_id", column], selection, true)?;
        let mut single = |k: usize| -> Result<String, ContentError> {
            let where_one = and(selection, &format!("_id={}", ids[k]));
            let one = self.query(uri, &["_id", column], Some(&where_one), true)?;
            match parse_single(&one, ids[k], column) {
                Ok(Some(v)) => Ok(v),
                Ok(None) => Err(ContentError::Changed { uri: uri.to_string(), android: self.android() }),
                Err(d) => Err(self.malformed(uri, d)),
            }
        };
        let printed = split_column(&out, ids, column, &mut single).map_err(|e| match e {
            SplitError::Content(e) => e,
            SplitError::Changed => ContentError::Changed { uri: uri.to_string(), android: self.android() },
            SplitError::Malformed(d) => self.malformed(uri, d),
        })?;
        if !printed.iter().any(|v| v == "NULL") {
            return Ok(printed.into_iter().map(Some).collect());
        }
        let nulls: BTreeSet<i64> =
            self.ids(uri, Some(&and(selection, &format!("{column} IS NULL"))))?.into_iter().collect();
        Ok(printed
            .into_iter()
            .zip(ids)
            .map(|(v, id)| if v == "NULL" && nulls.contains(id) { None } else { Some(v) })
            .collect())
    }

    /// A whole table: its ids, the integer columns and each text column, as [`Row`]s.
    pub fn table(
        &self,
        uri: &str,
        selection: Option<&str>,
        integer_columns: &[&str],
        text_columns: &[&str],
    ) -> Result<Vec<Row>, ContentError> {
        let ids = self.ids(uri, selection)?;
        let mut rows: Vec<Row> = ids.iter().map(|&id| Row { id, values: BTreeMap::new() }).collect();
        if ids.is_empty() {
            return Ok(rows);
        }
        if !integer_columns.is_empty() {
            for (row, ints) in rows.iter_mut().zip(self.integers(uri, selection, &ids, integer_columns)?) {
                for (col, v) in integer_columns.iter().zip(ints) {
                    row.values.insert((*col).to_string(), v.map_or(Value::Null, Value::Integer));
                }
            }
        }
        for col in text_columns {
            for (row, v) in rows.iter_mut().zip(self.text_column(uri, selection, &ids, col)?) {
                row.values.insert((*col).to_string(), v.map_or(Value::Null, Value::Text));
            }
        }
        Ok(rows)
    }
}

/// `(a) AND (b)`, or `b` alone.
fn and(selection: Option<&str>, term: &str) -> String {
    match selection {
        Some(s) => format!("({s}) AND ({term})"),
        None => term.to_string(),
    }
}

/// The shell command for one query, every argument quoted.
#[must_use]
pub fn query_command(uri: &str, projection: &[&str], selection: Option<&str>, sorted: bool) -> Vec<u8> {
    let projection = projection.join(":");
    let mut args: Vec<&str> = vec!["content", "query", "--uri", uri, "--projection", &projection];
    if let Some(s) = selection {
        args.extend_from_slice(&["--where", s]);
    }
    if sorted {
        args.extend_from_slice(&["--sort", "_id ASC"]);
    }
    command_line(&args)
}

/// Turns what `content` printed besides rows into an error: a refusal, an unknown URI, another exception,
/// usage text, or a missing `content` command.
pub fn check_output(out: &ShellOutput, uri: &str, sdk: u32) -> Result<(), ContentError> {
    let android = android_name(sdk);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let looks_like_rows = stdout.starts_with("Row: 0 ") || stdout.trim_end() == "No result found.";
    if out.exit_code == 126 || out.exit_code == 127 {
        let said = if stderr.trim().is_empty() { stdout.trim() } else { stderr.trim() };
        return Err(ContentError::NoContentCommand { android, detail: said.to_string() });
    }
    if stdout.starts_with("usage:") || (!looks_like_rows && stdout.contains("[ERROR] ")) {
        let detail = stdout
            .lines()
            .find_map(|l| l.strip_prefix("[ERROR] "))
            .unwrap_or("the content command printed its usage")
            .to_string();
        return Err(ContentError::Provider { uri: uri.to_string(), android, detail });
    }
    let exception = stderr
        .lines()
        .map(str::trim)
        .find(|l| {
            (l.contains("Exception") || l.contains("Error:")) && !l.starts_with("at ") && !l.starts_with("Error while")
        })
        .map(str::to_string);
    let accessing = stderr.contains("Error while accessing provider");
    if !accessing && exception.is_none() {
        if looks_like_rows || (stdout.is_empty() && stderr.trim().is_empty()) {
            return Ok(());
        }
        let detail = if stderr.trim().is_empty() { first_line(&stdout) } else { first_line(&stderr) };
        return Err(ContentError::Malformed { uri: uri.to_string(), android, detail });
    }
    let detail = exception.unwrap_or_else(|| first_line(&stderr));
    let uri = uri.to_string();
    if detail.contains("SecurityException") || detail.contains("Permission Denial") {
        Err(ContentError::PermissionDenied { uri, android, detail })
    } else if detail.contains("Unknown URL")
        || detail.contains("Unknown URI")
        || detail.contains("Unknown uri")
        || detail.contains("Could not find provider")
    {
        Err(ContentError::UnknownUri { uri, android, detail })
    } else {
        Err(ContentError::Provider { uri, android, detail })
    }
}

fn first_line(text: &str) -> String {
    let line = text.lines().map(str::trim).find(|l| !l.is_empty()).unwrap_or("(nothing)");
    line.chars().take(300).collect()
}

/// Parses rows whose every column is an integer or `NULL`: `Row: k c0=v, c1=v`, in `columns`' order.
pub fn parse_integer_rows(stdout: &str, columns: &[&str]) -> Result<Vec<Vec<Option<i64>>>, String> {
    if stdout.trim_end() == "No result found." || stdout.is_empty() {
        return Ok(Vec::new());
    }
    let body = stdout.strip_suffix('\n').ok_or("the output does not end with a newline")?;
    let mut rows = Vec::new();
    for (k, line) in body.split('\n').enumerate() {
        let mut rest = line
            .strip_prefix(&format!("Row: {k} "))
            .ok_or_else(|| format!("row {k} does not start with `Row: {k} `: {}", clip(line)))?;
        let mut values = Vec::with_capacity(columns.len());
        for (i, col) in columns.iter().enumerate() {
            let prefix = if i == 0 { format!("{col}=") } else { format!(", {col}=") };
            rest = rest.strip_prefix(&prefix).ok_or_else(|| format!("row {k} lacks column {col}: {}", clip(line)))?;
            let end = rest.find(", ").unwrap_or(rest.len());
            let (value, after) = rest.split_at(end);
            let parsed = if value == "NULL" {
                None
            } else {
                Some(value.parse().map_err(|_| format!("{col} is not an integer in row {k}: {}", clip(value)))?)
            };
            values.push(parsed);
            rest = after;
        }
        if !rest.is_empty() {
            return Err(format!("row {k} has more columns than asked: {}", clip(line)));
        }
        rows.push(values);
    }
    Ok(rows)
}

fn clip(text: &str) -> String {
    let short: String = text.chars().take(80).collect();
    if short.len() < text.len() { format!("{short}...") } else { short }
}

/// Why a column could not be split.
#[derive(Debug)]
pub enum SplitError {
    /// Asking a single row failed.
    Content(ContentError),
    /// The rows are not the ids expected.
    Changed,
    /// The output breaks the format.
    Malformed(String),
}

/// Splits the output of `--projection _id:COLUMN` (sorted by `_id`) for the known `ids` into the printed
/// values (`NULL` left as printed). `single(k)` gives row k's value from a one-row query; it is called only
/// when row k's end cannot be proven from this output alone.
pub fn split_column(
    stdout: &str,
    ids: &[i64],
    column: &str,
    single: &mut dyn FnMut(usize) -> Result<String, ContentError>,
) -> Result<Vec<String>, SplitError> {
    if ids.is_empty() {
        return if stdout.trim_end() == "No result found." || stdout.is_empty() {
            Ok(Vec::new())
        } else {
            Err(SplitError::Changed)
        };
    }
    let separator = |k: usize| format!("Row: {k} _id={}, {column}=", ids[k]);
    let first = separator(0);
    let Some(mut rest) = stdout.strip_prefix(first.as_str()) else {
        return Err(if stdout.starts_with("Row: 0 _id=") || stdout.trim_end() == "No result found." {
            SplitError::Changed
        } else {
            SplitError::Malformed(format!("the output does not start with `{first}`: {}", clip(stdout)))
        });
    };
    // Where each row's separator occurs in the output (the offset of its leading newline), found in one pass:
    // whether a separator is unique in the rest is then a binary search, not a scan of the rest, which made
    // splitting quadratic (10,000 SMS bodies took 11 s in a debug build).
    let mut seen_at: Vec<Vec<usize>> = vec![Vec::new(); ids.len()];
    for (p, _) in stdout.match_indices("\nRow: ") {
        let after = &stdout[p + 6..];
        let digits = after.bytes().take_while(u8::is_ascii_digit).count();
        let Ok(k) = after[..digits].parse::<usize>() else { continue };
        if k > 0 && k < ids.len() && stdout[p + 1..].starts_with(separator(k).as_str()) {
            seen_at[k].push(p);
        }
    }
    let mut values = Vec::with_capacity(ids.len());
    for k in 0..ids.len() {
        let value = if k + 1 == ids.len() {
            // The last row: its value runs to the final newline. A forged `Row: k+1` inside it cannot mislead,
            // since the row count is known.
            rest.strip_suffix('\n')
                .ok_or_else(|| SplitError::Malformed("the output does not end with a newline".to_string()))?
                .to_string()
        } else {
            let next = format!("\n{}", separator(k + 1));
            let offset = stdout.len() - rest.len();
            let all = &seen_at[k + 1];
            let found = &all[all.partition_point(|&p| p < offset)..];
            match found {
                [] => return Err(SplitError::Changed),
                [at] => rest[..at - offset].to_string(),
                _ => {
                    let value = single(k).map_err(SplitError::Content)?;
                    if !rest.starts_with(value.as_str()) || !rest[value.len()..].starts_with(next.as_str()) {
                        return Err(SplitError::Changed);
                    }
                    value
                }
            }
        };
        rest = &rest[value.len()..];
        if k + 1 < ids.len() {
            rest = &rest[1 + separator(k + 1).len()..];
        }
        values.push(value);
    }
    Ok(values)
}

/// The value of a one-row answer to `--projection _id:COLUMN --where _id=ID`; `None` when the row is gone.
pub fn parse_single(stdout: &str, id: i64, column: &str) -> Result<Option<String>, String> {
    if stdout.trim_end() == "No result found." {
        return Ok(None);
    }
    let prefix = format!("Row: 0 _id={id}, {column}=");
    let rest = stdout.strip_prefix(prefix.as_str()).ok_or_else(|| format!("expected `{prefix}`: {}", clip(stdout)))?;
    Ok(Some(rest.strip_suffix('\n').ok_or("the output does not end with a newline")?.to_string()))
}

#[cfg(test)]
pub(crate) mod fake;
#[cfg(test)]
mod tests;
