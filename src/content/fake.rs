//! A fake phone for the tests: providers whose `content query` prints exactly as AOSP's `Content.java` does
//! (`Row: N name=value, ...`, `NULL`, `BLOB`, `No result found.`, errors on stderr with exit code 0).

use super::Runner;
use crate::device::{DeviceError, ShellOutput};
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// A cell in a fake provider's table.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Null,
    Int(i64),
    Text(String),
    Blob(Vec<u8>),
}

/// A fake phone's providers, by URI.
#[derive(Default)]
pub struct FakePhone {
    pub tables: BTreeMap<String, Vec<BTreeMap<String, Cell>>>,
    /// URI → stderr printed instead of rows (as `Content.java` prints a provider's exception).
    pub failures: BTreeMap<String, String>,
    /// Expressions the provider refuses in a projection (as a strict projection map would).
    pub strict_projection: bool,
    pub calls: RefCell<Vec<Vec<String>>>,
}

impl FakePhone {
    pub fn add_row(&mut self, uri: &str, cells: &[(&str, Cell)]) {
        let row = cells.iter().map(|(k, v)| ((*k).to_string(), v.clone())).collect();
        self.tables.entry(uri.to_string()).or_default().push(row);
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02X}");
        s
    })
}

/// Splits a command line made by `command_line` back into its arguments.
pub fn unquote(line: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(line);
    let mut args = Vec::new();
    let mut cur = String::new();
    let mut chars = text.chars().peekable();
    let mut in_quote = false;
    let mut started = false;
    while let Some(c) = chars.next() {
        if in_quote {
            if c == '\'' {
                in_quote = false;
            } else {
                cur.push(c);
            }
        } else if c == '\'' {
            in_quote = true;
            started = true;
        } else if c == '\\' {
            if let Some(n) = chars.next() {
                cur.push(n);
            }
        } else if c == ' ' {
            if started {
                args.push(std::mem::take(&mut cur));
                started = false;
            }
        } else {
            cur.push(c);
            started = true;
        }
    }
    if started {
        args.push(cur);
    }
    args
}

fn matches(row: &BTreeMap<String, Cell>, selection: &str) -> bool {
    let s = selection.trim();
    let s = if s.starts_with('(') && s.ends_with(')') && balanced(&s[1..s.len() - 1]) { &s[1..s.len() - 1] } else { s };
    let terms = split_and(s);
    if terms.len() > 1 {
        return terms.iter().all(|t| matches(row, t));
    }
    let get = |col: &str| row.get(col.trim()).cloned().unwrap_or(Cell::Null);
    if let Some(col) = s.strip_suffix(" IS NOT NULL") {
        return get(col) != Cell::Null;
    }
    if let Some(col) = s.strip_suffix(" IS NULL") {
        return get(col) == Cell::Null;
    }
    let Some((col, value)) = s.split_once('=') else { panic!("fake phone: selection {s}") };
    match (get(col), value.trim()) {
        (Cell::Int(i), v) => v.parse() == Ok(i),
        (Cell::Text(t), v) => v.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')) == Some(t.as_str()),
        _ => false,
    }
}

fn balanced(s: &str) -> bool {
    let mut depth = 0i32;
    for c in s.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            _ => {}
        }
        if depth < 0 {
            return false;
        }
    }
    depth == 0
}

fn split_and(s: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let mut depth = 0;
    let mut cur = String::new();
    let mut i = 0;
    let bytes = s.as_bytes();
    while i < s.len() {
        let c = bytes[i] as char;
        if c == '(' {
            depth += 1;
        } else if c == ')' {
            depth -= 1;
        }
        if depth == 0 && s[i..].starts_with(" AND ") {
            parts.push(std::mem::take(&mut cur));
            i += 5;
            continue;
        }
        let ch = s[i..].chars().next().unwrap_or(' ');
        cur.push(ch);
        i += ch.len_utf8();
    }
    parts.push(cur);
    parts
}

impl Runner for FakePhone {
    fn run(&self, command: &[u8]) -> Result<ShellOutput, DeviceError> {
        let args = unquote(command);
        self.calls.borrow_mut().push(args.clone());
        let mut out = ShellOutput::default();
        assert_eq!(&args[..2], ["content", "query"], "fake phone: only content query");
        let mut uri = String::new();
        let mut projection: Vec<String> = Vec::new();
        let mut selection = None;
        let mut sorted = false;
        let mut i = 2;
        while i + 1 < args.len() {
            match args[i].as_str() {
                "--uri" => uri.clone_from(&args[i + 1]),
                "--projection" => projection = args[i + 1].split(':').map(|s| s.trim().to_string()).collect(),
                "--where" => selection = Some(args[i + 1].clone()),
                "--sort" => sorted = args[i + 1] == "_id ASC",
                other => panic!("fake phone: argument {other}"),
            }
            i += 2;
        }
        let authority = uri.trim_start_matches("content://").split('/').next().unwrap_or("").to_string();
        if let Some(stderr) = self.failures.get(&uri) {
            out.stderr = format!("Error while accessing provider:{authority}\n{stderr}\n").into_bytes();
            return Ok(out);
        }
        let Some(table) = self.tables.get(&uri) else {
            out.stderr = format!(
                "Error while accessing provider:{authority}\njava.lang.IllegalArgumentException: Unknown URL {uri}\n\
                 \tat android.content.ContentResolver.query(ContentResolver.java:1234)\n"
            )
            .into_bytes();
            return Ok(out);
        };
        let mut rows: Vec<&BTreeMap<String, Cell>> =
            table.iter().filter(|r| selection.as_deref().is_none_or(|s| matches(r, s))).collect();
        if sorted {
            rows.sort_by_key(|r| match r.get("_id") {
                Some(Cell::Int(i)) => *i,
                _ => 0,
            });
        }
        for col in &projection {
            if col.contains('(') && self.strict_projection {
                out.stderr = format!(
                    "Error while accessing provider:{authority}\njava.lang.IllegalArgumentException: Invalid column {col}\n"
                )
                .into_bytes();
                return Ok(out);
            }
        }
        if rows.is_empty() {
            out.stdout = b"No result found.\n".to_vec();
            return Ok(out);
        }
        let mut text = String::new();
        for (k, row) in rows.iter().enumerate() {
            write!(text, "Row: {k} ").unwrap();
            for (i, col) in projection.iter().enumerate() {
                if i > 0 {
                    text.push_str(", ");
                }
                let (name, cell) = if let Some((expr, alias)) = col.split_once(" AS ") {
                    let inner = expr.trim_start_matches("hex(").trim_end_matches(')');
                    let cell = match row.get(inner) {
                        Some(Cell::Blob(b)) => Cell::Text(hex(b)),
                        Some(Cell::Text(t)) => Cell::Text(hex(t.as_bytes())),
                        _ => Cell::Null,
                    };
                    (alias.to_string(), cell)
                } else {
                    (col.clone(), row.get(col).cloned().unwrap_or(Cell::Null))
                };
                let shown = match cell {
                    Cell::Null => "NULL".to_string(),
                    Cell::Int(i) => i.to_string(),
                    Cell::Text(t) => t,
                    Cell::Blob(_) => "BLOB".to_string(),
                };
                write!(text, "{name}={shown}").unwrap();
            }
            text.push('\n');
        }
        out.stdout = text.into_bytes();
        Ok(out)
    }
}
