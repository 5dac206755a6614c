//! The backup folder on this computer, before anything is written to it: how much room its disk has, and
//! whether a folder a person typed can hold a backup (it exists or can be made, it is writable, and it is not
//! the phone itself seen through an MTP mount).

use std::path::{Path, PathBuf};

/// Room kept free on the backup disk beyond the photos themselves: the manifest, the journal, temporary files
/// and encryption's few bytes per 64 KiB, with some slack for the rest of the system.
pub const SPACE_MARGIN: u64 = 16 << 20;

/// What [`SPACE_MARGIN`] adds per byte copied: an encrypted copy is 16 bytes longer per 64 KiB, and the
/// filesystem rounds every file up to its blocks.
const SPACE_PER_MILLE: u64 = 2;

/// Why a folder cannot hold a backup, in words a person can act on.
#[derive(Debug, thiserror::Error)]
pub enum FolderProblem {
    /// Nothing was typed.
    #[error("Type or paste the path of a folder.")]
    Empty,
    /// A relative path: relative to what the person cannot know.
    #[error("Give the whole path of the folder, starting with / (for example /home/you/Pictures/Phone backups).")]
    Relative,
    /// The path names a file.
    #[error("{} is a file, not a folder. Choose a folder.", .0.display())]
    NotAFolder(PathBuf),
    /// The folder does not exist and cannot be made.
    #[error("{} does not exist and cannot be made ({source}). Check the path, or choose another folder.", path.display())]
    CannotCreate {
        /// The folder.
        path: PathBuf,
        /// Why not.
        source: std::io::Error,
    },
    /// phonebak may not write there.
    #[error("phonebak cannot write in {} ({source}). Choose a folder of yours, or change its permissions.", path.display())]
    NotWritable {
        /// The folder.
        path: PathBuf,
        /// Why not.
        source: std::io::Error,
    },
    /// The folder is on the phone (its MTP mount): a backup there would not leave the phone.
    #[error(
        "{} is on the phone itself (its MTP mount): a backup there would be lost with the phone. Choose a folder on \
         this computer or on an external disk.",
        .0.display()
    )]
    OnThePhone(PathBuf),
}

/// Free bytes for phonebak on the disk that holds `path` (or would hold it: the nearest folder above it that
/// exists), or `None` where that cannot be told.
#[must_use]
pub fn free_space(path: &Path) -> Option<u64> {
    let existing = path.ancestors().find(|p| p.is_dir())?;
    free_space_of(existing)
}

#[cfg(target_os = "linux")]
fn free_space_of(dir: &Path) -> Option<u64> {
    let stat = rustix::fs::statvfs(dir).ok()?;
    Some(stat.f_bavail.saturating_mul(stat.f_frsize))
}

#[cfg(not(target_os = "linux"))]
fn free_space_of(_dir: &Path) -> Option<u64> {
    None
}

/// The room a backup of `bytes` needs on its disk: the photos, a thousandth or two more, and [`SPACE_MARGIN`].
#[must_use]
pub fn space_needed(bytes: u64) -> u64 {
    bytes.saturating_add(bytes / 1000 * SPACE_PER_MILLE).saturating_add(SPACE_MARGIN)
}

/// Whether `path` is below a mount of an Android phone over MTP or PTP (GNOME's gvfs, jmtpfs, simple-mtpfs,
/// go-mtpfs, KDE's kio-fuse of an `mtp:` URL), as listed in `/proc/self/mountinfo` or named by gvfs.
#[must_use]
pub fn on_phone_mount(path: &Path) -> bool {
    let text = path.to_string_lossy();
    // gvfs shows each MTP/PTP device as a folder of its FUSE mount: /run/user/1000/gvfs/mtp:host=...
    if text.contains("/gvfs/mtp:") || text.contains("/gvfs/gphoto2:") {
        return true;
    }
    let Ok(mountinfo) = std::fs::read_to_string("/proc/self/mountinfo") else { return false };
    phone_mounts(&mountinfo).iter().any(|mount| path.starts_with(mount))
}

/// The mount points of phones in a `/proc/self/mountinfo` text: the filesystem type or source names MTP.
fn phone_mounts(mountinfo: &str) -> Vec<PathBuf> {
    let mut mounts = Vec::new();
    for line in mountinfo.lines() {
        // ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPEROPTIONS
        let fields: Vec<&str> = line.split(' ').collect();
        let (Some(mount_point), Some(dash)) = (fields.get(4), fields.iter().position(|f| *f == "-")) else {
            continue;
        };
        let fstype = fields.get(dash + 1).copied().unwrap_or_default().to_ascii_lowercase();
        let source = fields.get(dash + 2).copied().unwrap_or_default().to_ascii_lowercase();
        if fstype.contains("mtp") || source.contains("mtp") {
            mounts.push(PathBuf::from(unescape_mount_path(mount_point)));
        }
    }
    mounts
}

/// mountinfo writes a space, tab, newline and backslash in a path as `\040`, `\011`, `\012`, `\134`.
fn unescape_mount_path(field: &str) -> String {
    let bytes = field.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\\'
            && let Some(code) = bytes.get(i + 1..i + 4).and_then(|d| std::str::from_utf8(d).ok())
            && let Ok(value) = u8::from_str_radix(code, 8)
        {
            out.push(value);
            i += 4;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Makes `text` (a folder a person typed or pasted; `~/` is their home) ready to hold a backup: checks it is
/// a whole path, not on the phone, a folder or one that can be made (it is made), and writable (a temporary
/// file is written and removed). Returns the folder and its disk's free bytes, when they can be told.
///
/// # Errors
/// The [`FolderProblem`] to show.
pub fn prepare(text: &str) -> Result<(PathBuf, Option<u64>), FolderProblem> {
    let text = text.trim();
    if text.is_empty() {
        return Err(FolderProblem::Empty);
    }
    let path = match text.strip_prefix("~/").or_else(|| (text == "~").then_some("")) {
        Some(rest) => match std::env::var_os("HOME").filter(|h| !h.is_empty()) {
            Some(home) => PathBuf::from(home).join(rest),
            None => return Err(FolderProblem::Relative),
        },
        None => PathBuf::from(text),
    };
    if !path.is_absolute() {
        return Err(FolderProblem::Relative);
    }
    if on_phone_mount(&path) {
        return Err(FolderProblem::OnThePhone(path));
    }
    if path.exists() && !path.is_dir() {
        return Err(FolderProblem::NotAFolder(path));
    }
    std::fs::create_dir_all(&path).map_err(|source| FolderProblem::CannotCreate { path: path.clone(), source })?;
    tempfile::Builder::new()
        .prefix(".phonebak-write-test")
        .tempfile_in(&path)
        .map_err(|source| FolderProblem::NotWritable { path: path.clone(), source })?;
    let free = free_space(&path);
    Ok((path, free))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_typed_folder_that_does_not_exist_is_made_and_its_free_space_told() {
        let dir = tempfile::tempdir().expect("temp");
        let wanted = dir.path().join("Pictures").join("Phone backups");
        let (path, free) = prepare(&format!("  {}  ", wanted.display())).expect("accepted");
        assert_eq!(path, wanted);
        assert!(path.is_dir());
        assert!(free.is_some_and(|f| f > 0), "{free:?}");
        assert_eq!(std::fs::read_dir(&path).expect("read").count(), 0, "the write test left a file");
    }

    #[test]
    fn relative_empty_file_and_unwritable_paths_are_refused_with_the_reason() {
        assert!(matches!(prepare("   "), Err(FolderProblem::Empty)));
        assert!(matches!(prepare("backups"), Err(FolderProblem::Relative)));
        let dir = tempfile::tempdir().expect("temp");
        let file = dir.path().join("a.txt");
        std::fs::write(&file, b"x").expect("write");
        let err = prepare(file.to_str().expect("utf8")).expect_err("a file");
        assert!(matches!(err, FolderProblem::NotAFolder(_)), "{err:?}");
        assert!(err.to_string().contains("is a file, not a folder"), "{err}");
        let below_file = file.join("sub");
        let err = prepare(below_file.to_str().expect("utf8")).expect_err("below a file");
        assert!(matches!(err, FolderProblem::CannotCreate { .. }), "{err:?}");
        assert!(err.to_string().contains("cannot be made"), "{err}");
        // /proc is not writable even for root.
        let err = prepare("/proc/phonebak-backups").expect_err("/proc");
        assert!(matches!(err, FolderProblem::CannotCreate { .. } | FolderProblem::NotWritable { .. }), "{err:?}");
    }

    #[test]
    fn a_folder_on_the_phones_mtp_mount_is_refused() {
        let err = prepare("/run/user/1000/gvfs/mtp:host=Google_Pixel_7_2A091FDH/Internal shared storage/x")
            .expect_err("gvfs mtp");
        assert!(matches!(err, FolderProblem::OnThePhone(_)), "{err:?}");
        assert!(err.to_string().contains("on the phone itself"), "{err}");
        let mountinfo = "36 35 98:0 / /mnt rw - ext4 /dev/sda1 rw\n\
                         50 30 0:45 / /home/me/My\\040Phone rw,nosuid - fuse.jmtpfs jmtpfs rw,user_id=1000\n\
                         51 30 0:46 / /media/p rw - fuse.simple-mtpfs simple-mtpfs rw\n";
        assert_eq!(phone_mounts(mountinfo), vec![PathBuf::from("/home/me/My Phone"), PathBuf::from("/media/p")]);
    }

    #[test]
    fn the_space_a_backup_needs_adds_a_margin_to_its_bytes() {
        assert_eq!(space_needed(0), SPACE_MARGIN);
        assert_eq!(space_needed(1_000_000_000), 1_000_000_000 + 2_000_000 + SPACE_MARGIN);
        assert_eq!(space_needed(u64::MAX), u64::MAX);
    }
}
