//! Messages in the backup folder: `<Model> (<serial>)/Messages/` holds `messages.json` (every message with every
//! column the providers gave, lossless), a page per conversation (`Anna Schmidt.html`), `index.html`, and the
//! call log as `calls.json` and `calls.html`.
//!
//! A backup app must never lose messages: a message in the previous backup that is no longer on the phone
//! (deleted there, or gone with an old phone's reset) stays in the new files, marked `only_in_backup`. Messages
//! are matched across backups by [`Message::key`] (kind, addresses, date, box, body), not by the phone's `_id`,
//! which a reset or a restore by the SMS app changes; calls by [`Call::key`]. Each file is written whole to a
//! temporary name, made durable and renamed, and only when its bytes differ: a backup where nothing changed
//! writes nothing. A previous `messages.json` that cannot be read is kept aside under a dated name, never
//! overwritten.

use super::html::{self, GENERATOR, IndexEntry};
use super::numbers::Names;
use super::{Call, Message, Messages};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::io::Write as _;
use std::path::{Path, PathBuf};

/// The folder of the messages inside a phone's folder of the backup.
pub const FOLDER: &str = "Messages";
/// The lossless copy of the messages.
pub const MESSAGES_JSON: &str = "messages.json";
/// The lossless copy of the call log.
pub const CALLS_JSON: &str = "calls.json";
/// The conversations' index page.
pub const INDEX_HTML: &str = "index.html";
/// The call log's page.
pub const CALLS_HTML: &str = "calls.html";

const MESSAGES_FORMAT: &str = "phonebak-messages/1";
const CALLS_FORMAT: &str = "phonebak-calls/1";

#[derive(Debug, Serialize, Deserialize)]
struct MessagesFile {
    format: String,
    messages: Vec<Message>,
}

#[derive(Debug, Serialize, Deserialize)]
struct CallsFile {
    format: String,
    calls: Vec<Call>,
}

/// What saving did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Saved {
    /// The folder (`.../Messages`).
    pub folder: PathBuf,
    /// Messages in the backup now.
    pub messages: usize,
    /// Of them, those no longer on the phone (kept from earlier backups).
    pub only_in_backup: usize,
    /// Conversations (pages).
    pub conversations: usize,
    /// Calls in the backup now, when the call log was read or an earlier backup had one.
    pub calls: Option<usize>,
    /// Files written (0: nothing had changed).
    pub files_written: usize,
    /// What the person should know (a previous file kept aside...).
    pub notes: Vec<String>,
}

impl Saved {
    /// Nothing was written: the backup already held all of it.
    #[must_use]
    pub fn unchanged(&self) -> bool {
        self.files_written == 0
    }
}

/// Why the messages could not be saved.
#[derive(Debug, thiserror::Error)]
#[error("Could not {what} {} ({source}). Check that the backup disk is connected, writable and not full.", path.display())]
pub struct SaveError {
    what: &'static str,
    path: PathBuf,
    source: std::io::Error,
}

fn fail(what: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> SaveError + use<> {
    let path = path.to_path_buf();
    move |source| SaveError { what, path, source }
}

/// Writes `bytes` to `path` through a temporary file in the same folder, made durable before the rename.
fn write_whole(path: &Path, bytes: &[u8]) -> Result<(), SaveError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut tmp =
        tempfile::Builder::new().prefix(".phonebak-").suffix(".tmp").tempfile_in(dir).map_err(fail("write", path))?;
    tmp.write_all(bytes).and_then(|()| tmp.as_file().sync_all()).map_err(fail("write", path))?;
    tmp.persist(path).map_err(|e| fail("write", path)(e.error))?;
    Ok(())
}

/// Merges what the phone holds with an earlier backup's list: every item on the phone, then every earlier item
/// the phone no longer has (as many copies as the backup had beyond the phone's), marked with `gone`; sorted
/// by `order`.
fn merge<T: Clone, K: Ord>(
    previous: Vec<T>,
    phone: &[T],
    key: impl Fn(&T) -> K,
    gone: impl Fn(&mut T, bool),
    order: impl Fn(&T, &T) -> std::cmp::Ordering,
) -> Vec<T> {
    let mut on_phone: BTreeMap<K, usize> = BTreeMap::new();
    for item in phone {
        *on_phone.entry(key(item)).or_default() += 1;
    }
    let mut out: Vec<T> = phone
        .iter()
        .cloned()
        .map(|mut item| {
            gone(&mut item, false);
            item
        })
        .collect();
    for mut item in previous {
        match on_phone.get_mut(&key(&item)) {
            Some(n) if *n > 0 => *n -= 1,
            _ => {
                gone(&mut item, true);
                out.push(item);
            }
        }
    }
    out.sort_by(order);
    out
}

/// The phone's messages merged with an earlier backup's (see the module documentation), oldest first.
#[must_use]
pub fn merge_messages(previous: Vec<Message>, phone: &[Message]) -> Vec<Message> {
    merge(
        previous,
        phone,
        Message::key,
        |m, g| m.only_in_backup = g,
        |a, b| (a.date_ms, a.key()).cmp(&(b.date_ms, b.key())),
    )
}

/// The phone's call log merged with an earlier backup's, oldest first.
#[must_use]
pub fn merge_calls(previous: Vec<Call>, phone: &[Call]) -> Vec<Call> {
    merge(
        previous,
        phone,
        Call::key,
        |c, g| c.only_in_backup = g,
        |a, b| (a.date_ms, a.key()).cmp(&(b.date_ms, b.key())),
    )
}

/// Conversations: each title (contact names, else addresses) with its messages, and a page file name unique in
/// the folder (case-insensitively, as macOS and Windows compare names; `index` and `calls` are taken).
#[must_use]
pub fn conversations<'m>(messages: &'m [Message], names: &Names) -> Vec<(String, String, Vec<&'m Message>)> {
    let mut by_title: BTreeMap<String, Vec<&Message>> = BTreeMap::new();
    for m in messages {
        by_title.entry(names.title(&m.addresses)).or_default().push(m);
    }
    let mut taken: BTreeSet<String> = ["index.html", "calls.html"].iter().map(|s| (*s).to_string()).collect();
    by_title
        .into_iter()
        .map(|(title, list)| {
            let stem = html::safe_file_stem(&title);
            let mut file = format!("{stem}.html");
            let mut n = 2;
            while !taken.insert(file.to_lowercase()) {
                file = format!("{stem} ({n}).html");
                n += 1;
            }
            (title, file, list)
        })
        .collect()
}

/// A name in `dir` for `stem-DAY.json` (then `-2`...) that does not exist yet.
fn dated(dir: &Path, stem: &str, day: &str) -> PathBuf {
    let mut n = 1;
    loop {
        let name = if n == 1 { format!("{stem}-{day}.json") } else { format!("{stem}-{day}-{n}.json") };
        let path = dir.join(name);
        if !path.exists() {
            return path;
        }
        n += 1;
    }
}

/// The earlier backup's list in `path` (empty when there is none). One that cannot be read is moved aside to
/// a dated name, and a note says so.
fn load<T: serde::de::DeserializeOwned>(
    path: &Path,
    format: &str,
    stem: &str,
    day: &str,
    notes: &mut Vec<String>,
) -> Result<Option<T>, SaveError> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(fail("read", path)(e)),
    };
    let parsed: Option<(String, T)> = serde_json::from_slice::<serde_json::Value>(&bytes).ok().and_then(|v| {
        let f = v.get("format")?.as_str()?.to_string();
        Some((f, serde_json::from_value(v).ok()?))
    });
    match parsed {
        Some((f, value)) if f == format => Ok(Some(value)),
        _ => {
            let dir = path.parent().unwrap_or(Path::new("."));
            let aside = dated(dir, stem, day);
            std::fs::rename(path, &aside).map_err(fail("keep aside the unreadable", path))?;
            notes.push(format!(
                "{} could not be read as phonebak's {format}; it was kept as {} and a new one written.",
                path.display(),
                aside.display()
            ));
            Ok(None)
        }
    }
}

/// Writes `bytes` to `dir/name` unless the file already holds exactly them; true when it wrote.
fn put(dir: &Path, name: &str, bytes: &[u8]) -> Result<bool, SaveError> {
    let path = dir.join(name);
    if std::fs::read(&path).ok().as_deref() == Some(bytes) {
        return Ok(false);
    }
    write_whole(&path, bytes)?;
    Ok(true)
}

fn to_json<T: Serialize>(value: &T, path: &Path) -> Result<Vec<u8>, SaveError> {
    let mut bytes = serde_json::to_vec_pretty(value).map_err(|e| fail("write", path)(std::io::Error::other(e)))?;
    bytes.push(b'\n');
    Ok(bytes)
}

/// Saves the phone's messages (and its call log, when it was read) into `phone_folder` (the phone's folder of
/// the backup, made if missing), merged with what an earlier backup saved there. `phone` names the phone on
/// the pages; `names` names conversations; `day` (`YYYY-MM-DD`) dates a file kept aside.
///
/// # Errors
/// The folder or a file cannot be read or written.
pub fn save(
    phone_folder: &Path,
    phone: &str,
    read: &Messages,
    calls: Option<&[Call]>,
    names: &Names,
    day: &str,
) -> Result<Saved, SaveError> {
    let dir = phone_folder.join(FOLDER);
    std::fs::create_dir_all(&dir).map_err(fail("create the folder", &dir))?;
    let mut notes = Vec::new();
    let messages_path = dir.join(MESSAGES_JSON);
    let previous: Option<MessagesFile> = load(&messages_path, MESSAGES_FORMAT, "messages-unreadable", day, &mut notes)?;
    let mut previous = previous.map(|f| f.messages).unwrap_or_default();
    // MMS not read this time (refused, or a provider error) are not gone from the phone: keep them as they were.
    let unread_mms: Vec<Message> = if read.mms_read {
        Vec::new()
    } else {
        let (mms, sms) = previous.into_iter().partition(|m| m.kind == super::Kind::Mms);
        previous = sms;
        mms
    };
    let mut messages = merge_messages(previous, &read.messages);
    if !unread_mms.is_empty() {
        messages.extend(unread_mms);
        messages.sort_by_cached_key(|m| (m.date_ms, m.key()));
    }
    let calls_path = dir.join(CALLS_JSON);
    let calls = match calls {
        Some(phone_calls) => {
            let previous: Option<CallsFile> = load(&calls_path, CALLS_FORMAT, "calls-unreadable", day, &mut notes)?;
            Some(merge_calls(previous.map(|f| f.calls).unwrap_or_default(), phone_calls))
        }
        None => None,
    };
    let mut written = 0;
    let file = MessagesFile { format: MESSAGES_FORMAT.to_string(), messages };
    written += usize::from(put(&dir, MESSAGES_JSON, &to_json(&file, &messages_path)?)?);
    let messages = file.messages;
    let name_of = |number: &str| names.name_of(number).map(str::to_string);
    let calls_count = match calls {
        Some(calls) => {
            let file = CallsFile { format: CALLS_FORMAT.to_string(), calls };
            written += usize::from(put(&dir, CALLS_JSON, &to_json(&file, &calls_path)?)?);
            written += usize::from(put(&dir, CALLS_HTML, html::calls_page(phone, &file.calls, &name_of).as_bytes())?);
            Some(file.calls.len())
        }
        None => None,
    };
    let has_calls = calls_count.is_some() || calls_path.is_file();
    let groups = conversations(&messages, names);
    let mut pages: BTreeSet<String> = BTreeSet::new();
    let mut entries = Vec::with_capacity(groups.len());
    for (title, file, list) in &groups {
        written += usize::from(put(&dir, file, html::conversation_page(title, list).as_bytes())?);
        pages.insert(file.clone());
        entries.push(IndexEntry {
            title: title.clone(),
            file: file.clone(),
            count: list.len(),
            last_ms: list.iter().map(|m| m.date_ms).max().unwrap_or(0),
        });
    }
    written += usize::from(put(&dir, INDEX_HTML, html::index_page(phone, &entries, has_calls).as_bytes())?);
    pages.insert(INDEX_HTML.to_string());
    pages.insert(CALLS_HTML.to_string());
    written += remove_stale_pages(&dir, &pages)?;
    if written > 0 {
        std::fs::File::open(&dir).and_then(|d| d.sync_all()).map_err(fail("make durable the folder", &dir))?;
    }
    Ok(Saved {
        folder: dir,
        only_in_backup: messages.iter().filter(|m| m.only_in_backup).count(),
        messages: messages.len(),
        conversations: groups.len(),
        calls: calls_count.or_else(|| {
            std::fs::read(&calls_path)
                .ok()
                .and_then(|b| serde_json::from_slice::<CallsFile>(&b).ok())
                .map(|f| f.calls.len())
        }),
        files_written: written,
        notes,
    })
}

/// Removes the pages phonebak wrote earlier that no conversation has now (a contact renamed, numbers now
/// named): only `.html` files that carry [`GENERATOR`]. Returns how many went.
fn remove_stale_pages(dir: &Path, keep: &BTreeSet<String>) -> Result<usize, SaveError> {
    let mut removed = 0;
    for entry in std::fs::read_dir(dir).map_err(fail("read the folder", dir))?.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let html = Path::new(&name).extension().is_some_and(|e| e.eq_ignore_ascii_case("html"));
        if !html || keep.contains(&name) {
            continue;
        }
        let ours = std::fs::read(entry.path()).is_ok_and(|b| {
            let head = &b[..b.len().min(400)];
            head.windows(GENERATOR.len()).any(|w| w == GENERATOR.as_bytes())
        });
        if ours {
            std::fs::remove_file(entry.path()).map_err(fail("remove the old page", &entry.path()))?;
            removed += 1;
        }
    }
    Ok(removed)
}
