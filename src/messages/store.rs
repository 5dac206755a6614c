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
//!
//! In an encrypted backup folder every one of these files is sealed and stored under the keyed hash of its place
//! ([`crate::backup::documents`]), a page's name included, so the folder cannot be listed by name: the pages
//! written last are named in a small document, [`PAGES_JSON`], which is how a later backup finds the stale ones
//! in either kind of folder. `phonebak messages export` ([`export`]) writes the readable files back out.

use super::html::{self, GENERATOR, IndexEntry};
use super::numbers::Names;
use super::{Call, Message, Messages};
use crate::backup::documents::Documents;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
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
    /// The folder (`.../Messages`); in an encrypted backup folder, its place (its files are stored under hashed
    /// names).
    pub folder: PathBuf,
    /// Whether the backup folder is an encrypted one.
    pub encrypted: bool,
    /// Messages in the backup now.
    pub messages: usize,
    /// Of them, those no longer on the phone (kept from earlier backups).
    pub only_in_backup: usize,
    /// Conversations (pages).
    pub conversations: usize,
    /// Calls in the backup now, when the call log was read or an earlier backup had one.
    pub calls: Option<usize>,
    /// Files written or removed (0: nothing had changed).
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

/// Why the messages could not be saved or exported.
pub use crate::backup::documents::DocumentError as SaveError;

/// The small document that names the conversation pages phonebak wrote last, so that a later backup finds the
/// pages no conversation has any more: an encrypted folder cannot be listed by name.
pub const PAGES_JSON: &str = "pages.json";
const PAGES_FORMAT: &str = "phonebak-message-pages/1";

#[derive(Debug, Default, Serialize, Deserialize)]
struct PagesFile {
    format: String,
    pages: Vec<String>,
}

/// The messages' documents of one phone: places relative to the backup folder.
struct Folder<'d, 'a> {
    docs: &'d Documents<'a>,
    /// `<phone folder>/Messages`, or `Messages` when the documents' root is the phone's folder.
    dir: String,
}

impl Folder<'_, '_> {
    fn place(&self, name: &str) -> String {
        format!("{}/{name}", self.dir)
    }

    /// The folder as a person sees it (a place, in an encrypted folder).
    fn shown(&self) -> PathBuf {
        PathBuf::from(self.docs.shown(&self.dir).trim_end_matches(" (encrypted)"))
    }

    /// The plain folder on disk (`None` in an encrypted backup folder, whose names are hashed).
    fn plain_dir(&self) -> Option<PathBuf> {
        (!self.docs.encrypted()).then(|| self.docs.file(&self.dir))
    }

    /// Writes `bytes` as `name` unless the document already holds exactly them; true when it wrote.
    fn put(&self, name: &str, bytes: &[u8]) -> Result<bool, SaveError> {
        let place = self.place(name);
        if matches!(self.docs.read(&place), Ok(Some(old)) if old == bytes) {
            return Ok(false);
        }
        self.docs.write(&place, bytes)?;
        Ok(true)
    }

    /// A name for `stem-DAY.json` (then `-2`...) that no document has yet.
    fn dated(&self, stem: &str, day: &str) -> String {
        let mut n = 1;
        loop {
            let name = if n == 1 { format!("{stem}-{day}.json") } else { format!("{stem}-{day}-{n}.json") };
            if !self.docs.exists(&self.place(&name)) {
                return name;
            }
            n += 1;
        }
    }

    /// The earlier backup's list in `name` (none when there is none). One that cannot be read (not JSON,
    /// another format, or a sealed file that no longer decrypts) is moved aside to a dated name, and a note
    /// says so.
    fn load<T: serde::de::DeserializeOwned>(
        &self,
        name: &str,
        format: &str,
        stem: &str,
        day: &str,
        notes: &mut Vec<String>,
    ) -> Result<Option<T>, SaveError> {
        let place = self.place(name);
        let parsed = match self.docs.read(&place) {
            Ok(None) => return Ok(None),
            Ok(Some(bytes)) => parse::<T>(&bytes, format),
            Err(e) if is_damaged(&e) => None,
            Err(e) => return Err(e),
        };
        if let Some(value) = parsed {
            return Ok(Some(value));
        }
        let aside = self.dated(stem, day);
        self.docs.rename(&place, &self.place(&aside))?;
        notes.push(format!(
            "{} could not be read as phonebak's {format}; it was kept as {} and a new one written.",
            self.docs.shown(&place),
            self.docs.shown(&self.place(&aside))
        ));
        Ok(None)
    }

    /// The conversation pages an earlier backup wrote: those its page list names, and in a plain folder also the
    /// `.html` files that carry [`GENERATOR`] (a backup made before the list existed).
    fn earlier_pages(&self) -> BTreeSet<String> {
        let mut pages: BTreeSet<String> = match self.docs.read(&self.place(PAGES_JSON)) {
            Ok(Some(bytes)) => parse::<PagesFile>(&bytes, PAGES_FORMAT).map(|f| f.pages).unwrap_or_default(),
            _ => Vec::new(),
        }
        .into_iter()
        .filter(|name| is_page_name(name))
        .collect();
        if let Some(dir) = self.plain_dir()
            && let Ok(entries) = std::fs::read_dir(&dir)
        {
            for entry in entries.flatten() {
                let name = entry.file_name().to_string_lossy().into_owned();
                if is_page_name(&name) && name != INDEX_HTML && name != CALLS_HTML {
                    pages.insert(name);
                }
            }
        }
        pages
    }

    /// Whether the document `name` is a page phonebak wrote.
    fn is_ours(&self, name: &str) -> bool {
        self.docs.read(&self.place(name)).ok().flatten().is_some_and(|b| written_by_us(&b))
    }
}

/// Whether a page carries [`GENERATOR`] near its start, as every page phonebak writes does.
fn written_by_us(page: &[u8]) -> bool {
    let head = &page[..page.len().min(400)];
    head.windows(GENERATOR.len()).any(|w| w == GENERATOR.as_bytes())
}

/// A conversation page's name: one `.html` file in the folder, no path.
fn is_page_name(name: &str) -> bool {
    !name.is_empty()
        && !name.contains(['/', '\\'])
        && name != "."
        && name != ".."
        && Path::new(name).extension().is_some_and(|e| e.eq_ignore_ascii_case("html"))
}

fn parse<T: serde::de::DeserializeOwned>(bytes: &[u8], format: &str) -> Option<T> {
    let v = serde_json::from_slice::<serde_json::Value>(bytes).ok()?;
    if v.get("format")?.as_str()? != format {
        return None;
    }
    serde_json::from_value(v).ok()
}

/// Whether `e` says the document's content is damaged (a sealed file that no longer decrypts), rather than
/// that the disk could not be read.
fn is_damaged(e: &SaveError) -> bool {
    std::error::Error::source(e)
        .and_then(|s| s.downcast_ref::<std::io::Error>())
        .is_some_and(|io| io.kind() == std::io::ErrorKind::InvalidData)
}

fn to_json<T: Serialize>(value: &T) -> Vec<u8> {
    let mut bytes = serde_json::to_vec_pretty(value).expect("messages, calls and names always serialise");
    bytes.push(b'\n');
    bytes
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

fn folder<'d, 'a>(docs: &'d Documents<'a>, device_folder: &str) -> Folder<'d, 'a> {
    let dir = if device_folder.is_empty() { FOLDER.to_string() } else { format!("{device_folder}/{FOLDER}") };
    Folder { docs, dir }
}

/// Saves the phone's messages (and its call log, when it was read) into `phone_folder` (the phone's folder of
/// a plain backup, made if missing), merged with what an earlier backup saved there. `phone` names the phone on
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
    save_in(&Documents::new(phone_folder, None), "", phone, read, calls, names, day)
}

/// Saves the phone's messages (and its call log, when it was read) among the documents `docs` of a backup
/// folder (plain or encrypted), in the phone's folder `device_folder` (relative to the backup folder), merged
/// with what an earlier backup saved there. `phone` names the phone on the pages; `names` names conversations;
/// `day` (`YYYY-MM-DD`) dates a file kept aside.
///
/// Pages of an earlier backup that no conversation has now (a contact renamed, numbers now named) are found
/// through [`PAGES_JSON`] (and, in a plain folder, by listing it) and removed when phonebak wrote them.
///
/// # Errors
/// A file cannot be read, decrypted or written.
pub fn save_in(
    docs: &Documents<'_>,
    device_folder: &str,
    phone: &str,
    read: &Messages,
    calls: Option<&[Call]>,
    names: &Names,
    day: &str,
) -> Result<Saved, SaveError> {
    let dir = folder(docs, device_folder);
    let mut notes = Vec::new();
    let previous: Option<MessagesFile> =
        dir.load(MESSAGES_JSON, MESSAGES_FORMAT, "messages-unreadable", day, &mut notes)?;
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
    let calls = match calls {
        Some(phone_calls) => {
            let previous: Option<CallsFile> =
                dir.load(CALLS_JSON, CALLS_FORMAT, "calls-unreadable", day, &mut notes)?;
            Some(merge_calls(previous.map(|f| f.calls).unwrap_or_default(), phone_calls))
        }
        None => None,
    };
    let earlier_pages = dir.earlier_pages();
    let mut written = 0;
    let file = MessagesFile { format: MESSAGES_FORMAT.to_string(), messages };
    written += usize::from(dir.put(MESSAGES_JSON, &to_json(&file))?);
    let messages = file.messages;
    let name_of = |number: &str| names.name_of(number).map(str::to_string);
    let calls_count = match calls {
        Some(calls) => {
            let file = CallsFile { format: CALLS_FORMAT.to_string(), calls };
            written += usize::from(dir.put(CALLS_JSON, &to_json(&file))?);
            written += usize::from(dir.put(CALLS_HTML, html::calls_page(phone, &file.calls, &name_of).as_bytes())?);
            Some(file.calls.len())
        }
        None => None,
    };
    let has_calls = calls_count.is_some() || docs.exists(&dir.place(CALLS_JSON));
    let groups = conversations(&messages, names);
    let mut pages: BTreeSet<String> = BTreeSet::new();
    let mut entries = Vec::with_capacity(groups.len());
    for (title, file, list) in &groups {
        written += usize::from(dir.put(file, html::conversation_page(title, list).as_bytes())?);
        pages.insert(file.clone());
        entries.push(IndexEntry {
            title: title.clone(),
            file: file.clone(),
            count: list.len(),
            last_ms: list.iter().map(|m| m.date_ms).max().unwrap_or(0),
        });
    }
    written += usize::from(dir.put(INDEX_HTML, html::index_page(phone, &entries, has_calls).as_bytes())?);
    written += remove_stale_pages(&dir, &earlier_pages, &pages, &mut notes)?;
    let calls = calls_count.or_else(|| {
        docs.read(&dir.place(CALLS_JSON))
            .ok()
            .flatten()
            .and_then(|b| parse::<CallsFile>(&b, CALLS_FORMAT))
            .map(|f| f.calls.len())
    });
    Ok(Saved {
        folder: dir.shown(),
        encrypted: docs.encrypted(),
        only_in_backup: messages.iter().filter(|m| m.only_in_backup).count(),
        messages: messages.len(),
        conversations: groups.len(),
        calls,
        files_written: written,
        notes,
    })
}

/// Removes the pages of `earlier` that no conversation has now (`keep`, compared case-insensitively, as macOS
/// and Windows compare names) and that phonebak wrote, then records `keep` as the pages. The list first names
/// both, so that a backup cut short still finds the stale pages the next time. Returns how many documents were
/// written or removed.
fn remove_stale_pages(
    dir: &Folder<'_, '_>,
    earlier: &BTreeSet<String>,
    keep: &BTreeSet<String>,
    notes: &mut Vec<String>,
) -> Result<usize, SaveError> {
    let kept: BTreeSet<String> = keep.iter().map(|n| n.to_lowercase()).collect();
    let stale: Vec<&String> = earlier.iter().filter(|n| !kept.contains(&n.to_lowercase())).collect();
    let list = |pages: Vec<String>| to_json(&PagesFile { format: PAGES_FORMAT.to_string(), pages });
    let mut written = 0;
    if !stale.is_empty() {
        let both: BTreeSet<String> = keep.iter().chain(stale.iter().copied()).cloned().collect();
        written += usize::from(dir.put(PAGES_JSON, &list(both.into_iter().collect()))?);
        for name in stale {
            if !dir.is_ours(name) {
                continue;
            }
            let place = dir.place(name);
            match std::fs::remove_file(dir.docs.file(&place)) {
                Ok(()) => written += 1,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => notes.push(format!(
                    "The old page {} (no conversation has it now) could not be removed: {e}.",
                    dir.docs.shown(&place)
                )),
            }
        }
    }
    written += usize::from(dir.put(PAGES_JSON, &list(keep.iter().cloned().collect()))?);
    Ok(written)
}

/// What exporting a phone's messages did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exported {
    /// Messages in the backup's `messages.json`.
    pub messages: usize,
    /// Conversation pages written.
    pub pages: usize,
    /// Files written in all (the pages, the index, the call log's page, the JSON copies).
    pub files: usize,
}

/// Writes the messages of the phone whose folder is `device_folder` in the backup `docs` (plain or encrypted)
/// as plain, readable files into `out` (made if missing): `index.html`, a page per conversation, `calls.html`,
/// and the lossless `messages.json` and `calls.json`. `None` when the backup holds no messages of that phone.
///
/// # Errors
/// A document cannot be read or decrypted, or a file of `out` cannot be written.
pub fn export(docs: &Documents<'_>, device_folder: &str, out: &Path) -> Result<Option<Exported>, SaveError> {
    let dir = folder(docs, device_folder);
    let Some(json) = docs.read(&dir.place(MESSAGES_JSON))? else {
        return Ok(None);
    };
    let plain = Documents::new(out, None);
    let messages = parse::<MessagesFile>(&json, MESSAGES_FORMAT).map_or(0, |f| f.messages.len());
    plain.write(MESSAGES_JSON, &json)?;
    let mut files = 1;
    for name in [CALLS_JSON, INDEX_HTML, CALLS_HTML] {
        if let Some(bytes) = docs.read(&dir.place(name))? {
            plain.write(name, &bytes)?;
            files += 1;
        }
    }
    let mut pages = 0;
    for name in dir.earlier_pages() {
        if let Some(bytes) = docs.read(&dir.place(&name))?
            && written_by_us(&bytes)
        {
            plain.write(&name, &bytes)?;
            pages += 1;
        }
    }
    Ok(Some(Exported { messages, pages, files: files + pages }))
}
