//! `WhatsApp`'s own files: its encrypted chat backups and its media, backed up and restored as plain files.
//!
//! `WhatsApp` keeps what a person would lose with a phone in shared storage, where the shell may read and write
//! it: `Databases/` (the nightly chat backup `msgstore.db.crypt14`, and dated ones
//! `msgstore-YYYY-MM-DD.1.db.crypt14`), `Backups/` (settings, stickers, wallpapers), and `Media/` (images, video,
//! voice notes in week folders, audio, documents, stickers, `.Statuses`, with `.nomedia` in `Sent/` and `Private/`).
//! Since Android 11 that is `Android/media/com.whatsapp/WhatsApp/`; before, `WhatsApp/` at the top of the storage
//! (`WhatsApp` Business: `com.whatsapp.w4b`, folder `WhatsApp Business`). Nothing under `Android/data` is used.
//!
//! So a `WhatsApp` backup is a file backup: [`list`] finds the folders present and lists every file below them
//! (hidden folders and `.nomedia` ones included, which the gallery leaves out) with the gallery scan's walk, one
//! listing per folder on one file service session. Its files are [`MediaFile`]s, so the photo engine's
//! [`crate::backup::plan_in`] and [`crate::backup::execute`] back them up unchanged (verified, incremental,
//! resumable, dates kept, stored once), into the same manifest as the photos. Files that are neither photos nor
//! videos have the kind [`MediaKind::Other`].
//!
//! Restoring puts them back where they were ([`choose_for_restore`] picks them out of a backup's files); on a new
//! phone, files from the old layout go to the one `WhatsApp` looks in on that phone's Android version. phonebak
//! never reads the chats: the `.crypt14`/`.crypt15` files are encrypted with a key kept in the app's private
//! storage, out of the shell's reach ([`NOT_DECRYPTED`]).

use crate::device::Device;
use crate::progress::CancelToken;
use crate::restore::Selected;
use crate::scan::{
    self, HiddenReason, Listing, MediaFile, MediaKind, Pending, STORAGE_ROOT, ScanError, ScanStats, UnreadableFolder,
};
use std::collections::HashMap;
use std::fmt;
use std::fmt::Write as _;
use std::time::Instant;

/// Which `WhatsApp`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum App {
    /// `WhatsApp` (`com.whatsapp`).
    WhatsApp,
    /// `WhatsApp` Business (`com.whatsapp.w4b`).
    Business,
}

impl App {
    /// Its package name.
    #[must_use]
    pub fn package(self) -> &'static str {
        match self {
            Self::WhatsApp => "com.whatsapp",
            Self::Business => "com.whatsapp.w4b",
        }
    }

    /// The name of its folder (and of the app, for people).
    #[must_use]
    pub fn folder(self) -> &'static str {
        match self {
            Self::WhatsApp => "WhatsApp",
            Self::Business => "WhatsApp Business",
        }
    }
}

/// Where an app's folder is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Layout {
    /// `Android/media/<package>/<folder>`: Android 11 and later.
    Media,
    /// `<folder>` at the top of the storage: Android 10 and earlier (and left there on phones updated since).
    Top,
}

/// One place where `WhatsApp` keeps its files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Root {
    /// Which app.
    pub app: App,
    /// Which layout.
    pub layout: Layout,
}

/// The first SDK level (Android 11) on which `WhatsApp` keeps its files in `Android/media`.
pub const MEDIA_LAYOUT_SDK: u32 = 30;

impl Root {
    /// Every place `WhatsApp` and `WhatsApp` Business keep their files.
    pub const ALL: [Root; 4] = [
        Root { app: App::WhatsApp, layout: Layout::Media },
        Root { app: App::Business, layout: Layout::Media },
        Root { app: App::WhatsApp, layout: Layout::Top },
        Root { app: App::Business, layout: Layout::Top },
    ];

    /// Its path below the storage root (`Android/media/com.whatsapp/WhatsApp`, `WhatsApp`).
    #[must_use]
    pub fn relative(self) -> String {
        match self.layout {
            Layout::Media => format!("Android/media/{}/{}", self.app.package(), self.app.folder()),
            Layout::Top => self.app.folder().to_string(),
        }
    }

    /// Its path on the phone (`/storage/emulated/0/...`).
    #[must_use]
    pub fn path(self) -> Vec<u8> {
        [STORAGE_ROOT, b"/", self.relative().as_bytes()].concat()
    }

    /// The folder of the same app that `WhatsApp` uses on a phone with this SDK level.
    #[must_use]
    pub fn for_sdk(self, sdk: u32) -> Self {
        let layout = if sdk >= MEDIA_LAYOUT_SDK { Layout::Media } else { Layout::Top };
        Self { app: self.app, layout }
    }

    /// The root a phone path (`/storage/emulated/0/...`, or a path below the storage root) is in, and the rest
    /// of the path after it (empty for the root itself). Names are compared without regard to ASCII case, as the
    /// shared storage does.
    #[must_use]
    pub fn of(phone_path: &[u8]) -> Option<(Self, &[u8])> {
        let relative = scan::relative_to_root(phone_path);
        Self::ALL.into_iter().find_map(|root| {
            let prefix = root.relative();
            let prefix = prefix.as_bytes();
            let head = relative.get(..prefix.len())?;
            if !head.eq_ignore_ascii_case(prefix) {
                return None;
            }
            match &relative[prefix.len()..] {
                [] => Some((root, &[][..])),
                [b'/', rest @ ..] => Some((root, rest)),
                _ => None,
            }
        })
    }
}

impl fmt::Display for Root {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/", self.relative())
    }
}

/// The line phonebak prints when it backs `WhatsApp` up: what it copies, and what it cannot do.
pub const NOT_DECRYPTED: &str = "phonebak copies WhatsApp's own encrypted backup files (and its media) as they are; \
     it cannot read or decrypt the chats: crypt14/crypt15 backups are encrypted with a key kept in WhatsApp's \
     private storage on the phone.";

/// What a person does after the files are back on the new phone, in order.
pub const RESTORE_STEPS: &[&str] = &[
    "Install WhatsApp (or WhatsApp Business) from the Play Store, but do not open it before the files are restored.",
    "Open it and verify the same phone number as on the old phone.",
    "When it offers to restore the backup it found on the phone, tap Restore, then Next once the chats are back.",
];

/// [`RESTORE_STEPS`] as numbered lines under a heading, as the CLI prints them and the app shows them.
#[must_use]
pub fn restore_steps_text() -> String {
    let mut text = String::from("To get the chats back on this phone:\n");
    for (n, step) in RESTORE_STEPS.iter().enumerate() {
        let _ = writeln!(text, "  {}. {step}", n + 1);
    }
    text
}

/// One of `WhatsApp`'s folders found on a phone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundRoot {
    /// Which one.
    pub root: Root,
    /// How many files it holds (at any depth).
    pub files: usize,
    /// Their size in bytes.
    pub bytes: u64,
}

/// `WhatsApp`'s files on a phone.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WhatsAppFiles {
    /// The folders present, in [`Root::ALL`]'s order.
    pub roots: Vec<FoundRoot>,
    /// Every file below them, by path.
    pub files: Vec<MediaFile>,
    /// Folders the phone would not list (their files are not in [`Self::files`]).
    pub unreadable: Vec<UnreadableFolder>,
    /// What the listing cost.
    pub stats: ScanStats,
}

/// How much of `WhatsApp` a phone holds, as the app and the CLI show it (`WhatsApp: 1204 files, 2.3 GB`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Summary {
    /// Files.
    pub files: usize,
    /// Their size in bytes.
    pub bytes: u64,
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let unit = if self.files == 1 { "file" } else { "files" };
        write!(f, "WhatsApp: {} {unit}, {}", self.files, crate::human::human_bytes(self.bytes))
    }
}

impl WhatsAppFiles {
    /// Files and bytes in all.
    #[must_use]
    pub fn summary(&self) -> Summary {
        Summary { files: self.files.len(), bytes: self.files.iter().map(|f| f.size).sum() }
    }
}

/// How deep below a root the listing goes; deeper folders are reported as unreadable.
const MAX_DEPTH: usize = 32;

/// Whether a file in `WhatsApp`'s folders is left out: one in the phone's bin (`.trashed-*`), one an app is
/// still writing (`.pending-*`), or a temp file of an interrupted phonebak restore.
fn left_out(name: &[u8]) -> bool {
    matches!(scan::file_hidden(name), Some(HiddenReason::Trashed | HiddenReason::Pending))
        || crate::restore::is_temp_name(name)
}

/// Finds `WhatsApp`'s folders on the phone and lists every file below them (regular files only; see
/// [`left_out`]), one listing per folder on one file service session. A phone without `WhatsApp` gives an
/// empty list, not an error.
pub fn list(device: &Device, cancel: &CancelToken) -> Result<WhatsAppFiles, ScanError> {
    let start = Instant::now();
    let mut out = WhatsAppFiles::default();
    let mut present = Vec::new();
    let roots = Root::ALL.into_iter().map(|root| Pending { path: root.path(), depth: 0, extra: root }).collect();
    scan::walk(device, roots, cancel, |dir, listing, queue| {
        let entries = match listing {
            Listing::Entries(entries) => entries,
            Listing::Gone => return Ok(()),
            Listing::Refused(message) => {
                out.unreadable.push(UnreadableFolder { path: dir.path, message });
                return Ok(());
            }
        };
        if dir.depth == 0 {
            present.push(dir.extra);
        }
        out.stats.folders_listed += 1;
        out.stats.entries_seen += entries.len();
        for entry in entries {
            let path = scan::join(&dir.path, &entry.name);
            if entry.stat.is_dir() {
                if dir.depth + 1 > MAX_DEPTH {
                    let message = format!("more than {MAX_DEPTH} folders deep; not listed");
                    out.unreadable.push(UnreadableFolder { path, message });
                } else {
                    queue.push_back(Pending { path, depth: dir.depth + 1, extra: dir.extra });
                }
                continue;
            }
            if !entry.stat.is_file() || left_out(&entry.name) {
                continue;
            }
            let kind = MediaKind::from_name(&entry.name).unwrap_or(MediaKind::Other);
            out.files.push(MediaFile { path, size: entry.stat.size, mtime: entry.stat.mtime, kind });
        }
        Ok(())
    })?;
    out.files.sort_by(|a, b| a.path.cmp(&b.path));
    out.roots = Root::ALL
        .into_iter()
        .filter(|root| present.contains(root))
        .map(|root| {
            let mine = out.files.iter().filter(|f| Root::of(&f.path).is_some_and(|(r, _)| r == root));
            let (files, bytes) = mine.fold((0, 0), |(n, b), f| (n + 1, b + f.size));
            FoundRoot { root, files, bytes }
        })
        .collect();
    out.stats.elapsed = start.elapsed();
    Ok(out)
}

/// Where a backed-up `WhatsApp` file goes on a phone with SDK level `sdk`: below the folder `WhatsApp` uses
/// there. `None` when it stays where it was: the phone uses the same layout, its SDK level is unknown (0), or
/// the path is not in a `WhatsApp` folder.
#[must_use]
pub fn restore_target(target: &[u8], sdk: u32) -> Option<Vec<u8>> {
    if sdk == 0 {
        return None;
    }
    let (root, rest) = Root::of(target)?;
    let wanted = root.for_sdk(sdk);
    if wanted == root {
        return None;
    }
    let mut path = wanted.path();
    if !rest.is_empty() {
        path.push(b'/');
        path.extend_from_slice(rest);
    }
    Some(path)
}

/// Which parts of a backup a restore puts back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RestoreParts {
    /// The photos and videos: every file outside `WhatsApp`'s folders, and the photos and videos inside them
    /// (which a photo backup holds too), each where it was.
    pub photos: bool,
    /// Every file in `WhatsApp`'s folders, in the folder `WhatsApp` uses on the target phone.
    pub whatsapp: bool,
}

/// `WhatsApp` files that go to another folder than they were backed up from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Moved {
    /// The folder they were in.
    pub from: Root,
    /// The folder they go to.
    pub to: Root,
    /// How many.
    pub files: usize,
}

/// What [`choose_for_restore`] chose.
#[derive(Debug, Clone, Default)]
pub struct RestoreChoice {
    /// The files to restore and where each goes, sorted by target: give them to [`crate::restore::plan_in`].
    pub selected: Vec<Selected>,
    /// How many of them are `WhatsApp`'s files (restored as `WhatsApp`'s).
    pub whatsapp_files: usize,
    /// `WhatsApp` files going to the folder the target phone's `WhatsApp` uses, per move.
    pub moved: Vec<Moved>,
}

impl RestoreChoice {
    /// Lines for people about the moves, one per move.
    #[must_use]
    pub fn moved_text(&self, sdk: u32) -> Vec<String> {
        self.moved
            .iter()
            .map(|m| {
                let (then, now) = match m.from.layout {
                    Layout::Top => ("Android 10 or older", "Android 11 and later"),
                    Layout::Media => ("Android 11 or later", "Android 10 and earlier"),
                };
                format!(
                    "{} {} files backed up from {} ({then}) go to {}: that is where {} looks for them on {now} \
                     (this phone's SDK level is {sdk}).",
                    m.files,
                    m.from.app.folder(),
                    m.from,
                    m.to,
                    m.from.app.folder()
                )
            })
            .collect()
    }
}

/// Picks the files of a backup's selection ([`crate::restore::select`]) that `parts` asks for, and sends
/// `WhatsApp`'s files to the folder `WhatsApp` uses on a phone with SDK level `sdk` (see [`restore_target`]).
/// When a backup holds the same file in both folders (a phone updated to Android 11 keeps the old one), the one
/// already in the right folder wins.
#[must_use]
pub fn choose_for_restore(selected: Vec<Selected>, parts: RestoreParts, sdk: u32) -> RestoreChoice {
    struct Pick {
        s: Selected,
        whatsapp: bool,
        moved: Option<(Root, Root)>,
    }
    let mut picks = Vec::new();
    for mut s in selected {
        let pick = match Root::of(&s.target) {
            None => parts.photos.then_some(Pick { s, whatsapp: false, moved: None }),
            Some((root, _)) if parts.whatsapp => {
                let moved = restore_target(&s.target, sdk).map(|target| {
                    s.target = target;
                    (root, root.for_sdk(sdk))
                });
                Some(Pick { s, whatsapp: true, moved })
            }
            Some(_) => {
                let name = s.entry.phone_path.0.rsplit(|&b| b == b'/').next().unwrap_or_default();
                (parts.photos && MediaKind::from_name(name).is_some()).then_some(Pick {
                    s,
                    whatsapp: false,
                    moved: None,
                })
            }
        };
        picks.extend(pick);
    }
    // One file per target: the one that was there already wins over one moved there.
    picks.sort_by(|a, b| a.s.target.cmp(&b.s.target).then(a.moved.is_some().cmp(&b.moved.is_some())));
    picks.dedup_by(|later, earlier| later.s.target == earlier.s.target);
    let mut moved: HashMap<(Root, Root), usize> = HashMap::new();
    let mut out = RestoreChoice::default();
    for pick in picks {
        out.whatsapp_files += usize::from(pick.whatsapp);
        if let Some(key) = pick.moved {
            *moved.entry(key).or_default() += 1;
        }
        out.selected.push(pick.s);
    }
    out.moved = moved.into_iter().map(|((from, to), files)| Moved { from, to, files }).collect();
    out.moved.sort_by_key(|m| (m.from, m.to));
    out
}

#[cfg(test)]
mod tests;
