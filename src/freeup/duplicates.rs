//! Duplicates on the phone: the same content under several names (the Sent copies of `WhatsApp`, a download saved
//! twice, an edit exported over itself). Only proven files are grouped, so every copy of a group is safe in the
//! backup on its own; removing the extras keeps one copy on the phone, the one in `DCIM/` first.

use crate::backup::manifest::ManifestEntry;
use crate::scan::MediaFile;
use std::collections::HashMap;

/// Copies of one content on the phone.
#[derive(Debug, Clone)]
pub struct Duplicates {
    /// The copy that stays on the phone.
    pub keep: MediaFile,
    /// The other copies, each proven safe in the backup.
    pub extras: Vec<(MediaFile, ManifestEntry)>,
}

impl Duplicates {
    /// Bytes the extras take on the phone.
    #[must_use]
    pub fn extra_bytes(&self) -> u64 {
        self.extras.iter().map(|(f, _)| f.size).sum()
    }
}

/// Groups the proven files `proven` by content (their SHA-256, which the phone's own `sha256sum` confirmed);
/// each group of two or more keeps one copy: the one in the camera's `DCIM/` folder first, then the oldest, then
/// the first by path. Groups are ordered by the kept copy's path.
#[must_use]
pub fn duplicates(proven: &[(MediaFile, ManifestEntry)]) -> Vec<Duplicates> {
    let mut by_sha: HashMap<&str, Vec<&(MediaFile, ManifestEntry)>> = HashMap::new();
    for pair in proven {
        by_sha.entry(pair.1.sha256.as_str()).or_default().push(pair);
    }
    let mut groups: Vec<Duplicates> = by_sha
        .into_values()
        .filter(|copies| copies.len() > 1)
        .map(|mut copies| {
            copies.sort_by(|(a, _), (b, _)| {
                let in_dcim = |f: &MediaFile| !f.relative_path().starts_with(b"DCIM/");
                (in_dcim(a), a.mtime, &a.path).cmp(&(in_dcim(b), b.mtime, &b.path))
            });
            let keep = copies[0].0.clone();
            Duplicates { keep, extras: copies[1..].iter().map(|&p| p.clone()).collect() }
        })
        .collect();
    groups.sort_by(|a, b| a.keep.path.cmp(&b.keep.path));
    groups
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backup::manifest::Bytes;

    fn proven(path: &str, sha: char, mtime: i64) -> (MediaFile, ManifestEntry) {
        let path = format!("/storage/emulated/0/{path}");
        let file = MediaFile { path: path.clone().into_bytes(), size: 100, mtime, kind: crate::scan::MediaKind::Photo };
        let entry = ManifestEntry {
            phone_path: Bytes(path.clone().into_bytes()),
            local_path: Bytes(format!("P (1)/{path}").into_bytes()),
            size: 100,
            mtime,
            sha256: sha.to_string().repeat(64),
            backed_up_at: 0,
        };
        (file, entry)
    }

    #[test]
    fn each_content_keeps_its_dcim_copy_then_its_oldest_and_the_others_are_extras() {
        let files = [
            proven("Android/media/com.whatsapp/WhatsApp/Media/WhatsApp Images/Sent/IMG-1.jpg", 'a', 5),
            proven("DCIM/Camera/IMG_1.jpg", 'a', 10),
            proven("Download/IMG_1 (1).jpg", 'a', 3),
            proven("Download/x.jpg", 'b', 9),
            proven("Download/x (1).jpg", 'b', 2),
            proven("Pictures/alone.jpg", 'c', 1),
        ];
        let groups = duplicates(&files);
        assert_eq!(groups.len(), 2);
        let name = |f: &MediaFile| String::from_utf8_lossy(f.relative_path()).into_owned();
        assert_eq!(name(&groups[0].keep), "DCIM/Camera/IMG_1.jpg");
        let extras: Vec<String> = groups[0].extras.iter().map(|(f, _)| name(f)).collect();
        assert_eq!(
            extras,
            ["Download/IMG_1 (1).jpg", "Android/media/com.whatsapp/WhatsApp/Media/WhatsApp Images/Sent/IMG-1.jpg"]
        );
        assert_eq!(groups[0].extra_bytes(), 200);
        assert_eq!(name(&groups[1].keep), "Download/x (1).jpg", "no DCIM copy: the oldest stays");
    }
}
