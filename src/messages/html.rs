//! The readable copy of the messages: one HTML page per conversation, an index, and the call log, for a person
//! to open in any browser. Everything from the phone is escaped ([`escape`]): a body holding `<script>` shows as
//! text. Pages are self-contained (inline style, no script, no link outside the folder) and carry
//! [`GENERATOR`], so phonebak knows which pages in the folder are its own.

use super::{Call, Kind, Message};
use std::fmt::Write as _;

/// The `<meta name="generator">` of every page phonebak writes.
pub const GENERATOR: &str = r#"<meta name="generator" content="phonebak">"#;

/// Text made safe for HTML text and attribute values: `&`, `<`, `>`, `"` and `'` escaped.
#[must_use]
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A file name that is safe as a path part on Linux, macOS and Windows: the characters those refuse (`/ \ : *
/// ? " < > |` and control characters) become `_`, leading and trailing spaces and dots go, Windows' reserved
/// device names get a `_` after them (before any extension), and the name is cut to 120 bytes at a character boundary. Empty names
/// become "Unknown".
#[must_use]
pub fn safe_file_stem(name: &str) -> String {
    let mut out: String =
        name.chars()
            .map(|c| {
                if matches!(c, '/' | '\\' | ':' | '*' | '?' | '"' | '<' | '>' | '|') || c.is_control() {
                    '_'
                } else {
                    c
                }
            })
            .collect();
    let trimmed = out.trim_matches(|c: char| c == ' ' || c == '.').to_string();
    out = trimmed;
    if out.len() > 120 {
        let mut end = 120;
        while !out.is_char_boundary(end) {
            end -= 1;
        }
        out.truncate(end);
        out = out.trim_end_matches([' ', '.']).to_string();
    }
    if out.is_empty() {
        return "Unknown".to_string();
    }
    let upper = out.to_ascii_uppercase();
    let base = upper.split('.').next().unwrap_or("");
    let reserved = ["CON", "PRN", "AUX", "NUL"].contains(&base)
        || ((base.starts_with("COM") || base.starts_with("LPT"))
            && base.len() == 4
            && base.as_bytes()[3].is_ascii_digit());
    if reserved {
        // Windows reserves the name before the first dot too: `COM1.txt` is the device.
        out.insert(base.len(), '_');
    }
    out
}

/// A local date and time for people (`2024-05-31 14:03`).
fn when(date_ms: i64) -> String {
    crate::human::date_time(date_ms.div_euclid(1000))
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;max-width:46em;margin:1em auto;padding:0 1em;\
color:#222;background:#fafafa}h1{font-size:1.4em}.m{margin:.6em 0;padding:.5em .8em;border-radius:.8em;\
max-width:80%;white-space:pre-wrap;overflow-wrap:anywhere}.in{background:#e9e9eb}.out{background:#d8ecff;\
margin-left:auto}.meta{font-size:.8em;color:#666;white-space:normal}.gone{border:1px dashed #999}\
table{border-collapse:collapse}td,th{padding:.3em .8em;text-align:left;border-bottom:1px solid #ddd}";

fn head(title: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html>\n<head>\n<meta charset=\"utf-8\">\n{GENERATOR}\n<meta name=\"viewport\" \
         content=\"width=device-width\">\n<title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n",
        escape(title)
    )
}

/// The page of one conversation: its title and every message, oldest first; received messages on the left,
/// sent ones on the right, with their dates.
#[must_use]
pub fn conversation_page(title: &str, messages: &[&Message]) -> String {
    let mut page = head(title);
    let _ = writeln!(page, "<p><a href=\"index.html\">All conversations</a></p>\n<h1>{}</h1>", escape(title));
    for m in messages {
        let class = if m.received() { "in" } else { "out" };
        let gone = if m.only_in_backup { " gone" } else { "" };
        let _ = write!(page, "<div class=\"m {class}{gone}\">");
        if let Some(subject) = &m.subject {
            let _ = writeln!(page, "<b>{}</b>", escape(subject));
        }
        page.push_str(&escape(&m.body));
        let mut meta = vec![when(m.date_ms)];
        if m.kind == Kind::Mms {
            meta.push("MMS".to_string());
        }
        if !m.received() {
            meta.push(match m.box_type {
                2 => "sent".to_string(),
                3 => "draft".to_string(),
                4 => "outbox".to_string(),
                5 => "failed".to_string(),
                6 => "queued".to_string(),
                other => format!("box {other}"),
            });
        }
        if m.addresses.len() > 1 && m.received() {
            meta.push(format!("from {}", m.addresses.join(", ")));
        }
        if m.only_in_backup {
            meta.push("no longer on the phone".to_string());
        }
        for a in &m.attachments {
            meta.push(format!("attachment not saved: {a}"));
        }
        let _ = writeln!(page, "<div class=\"meta\">{}</div></div>", escape(&meta.join(" · ")));
    }
    page.push_str("</body>\n</html>\n");
    page
}

/// One line of the index: a conversation's title, its page's file name, how many messages, and the last one's
/// date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexEntry {
    /// The title (contact names or addresses).
    pub title: String,
    /// The page's file name (`Anna Schmidt.html`).
    pub file: String,
    /// How many messages.
    pub count: usize,
    /// The last message's date, milliseconds.
    pub last_ms: i64,
}

/// Percent-encodes a file name for an `href` (anything but unreserved ASCII).
fn href(file: &str) -> String {
    let mut out = String::new();
    for b in file.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// The index page: every conversation, most recent first, with its count and last date; and a link to the
/// call log when there is one.
#[must_use]
pub fn index_page(phone: &str, entries: &[IndexEntry], calls: bool) -> String {
    let title = format!("Messages of {phone}");
    let mut page = head(&title);
    let total: usize = entries.iter().map(|e| e.count).sum();
    let _ = writeln!(
        page,
        "<h1>{}</h1>\n<p>{total} messages in {} conversations.{}</p>\n<table>\n<tr><th>Conversation</th>\
         <th>Messages</th><th>Last</th></tr>",
        escape(&title),
        entries.len(),
        if calls { " <a href=\"calls.html\">Call log</a>" } else { "" }
    );
    let mut sorted: Vec<&IndexEntry> = entries.iter().collect();
    sorted.sort_by(|a, b| b.last_ms.cmp(&a.last_ms).then(a.title.cmp(&b.title)));
    for e in sorted {
        let _ = writeln!(
            page,
            "<tr><td><a href=\"{}\">{}</a></td><td>{}</td><td>{}</td></tr>",
            href(&e.file),
            escape(&e.title),
            e.count,
            escape(&when(e.last_ms))
        );
    }
    page.push_str("</table>\n</body>\n</html>\n");
    page
}

/// A call type for people.
fn call_kind(kind: i64) -> String {
    match kind {
        1 => "incoming".to_string(),
        2 => "outgoing".to_string(),
        3 => "missed".to_string(),
        4 => "voicemail".to_string(),
        5 => "rejected".to_string(),
        6 => "blocked".to_string(),
        7 => "answered elsewhere".to_string(),
        other => format!("type {other}"),
    }
}

/// The call log page, most recent first; `name_of` names a number from the address book.
#[must_use]
pub fn calls_page(phone: &str, calls: &[Call], name_of: &dyn Fn(&str) -> Option<String>) -> String {
    let title = format!("Call log of {phone}");
    let mut page = head(&title);
    let _ = writeln!(
        page,
        "<p><a href=\"index.html\">Messages</a></p>\n<h1>{}</h1>\n<p>{} calls.</p>\n<table>\n<tr><th>When</th>\
         <th>Who</th><th>Number</th><th>Type</th><th>Duration</th></tr>",
        escape(&title),
        calls.len()
    );
    for c in calls.iter().rev() {
        let number = if c.number.is_empty() { "withheld".to_string() } else { c.number.clone() };
        let who = name_of(&c.number).or_else(|| c.name.clone()).unwrap_or_default();
        let mut kind = call_kind(c.kind);
        if c.only_in_backup {
            kind.push_str(" (no longer on the phone)");
        }
        let _ = writeln!(
            page,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}:{:02}</td></tr>",
            escape(&when(c.date_ms)),
            escape(&who),
            escape(&number),
            escape(&kind),
            c.duration_s / 60,
            c.duration_s % 60
        );
    }
    page.push_str("</table>\n</body>\n</html>\n");
    page
}
