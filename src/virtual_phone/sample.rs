//! The sample gallery. PLACEHOLDER during development: helper B replaces this file.

use super::media_store::MediaStore;
use super::storage::Storage;

/// What sample gallery to generate.
#[derive(Debug, Clone)]
pub struct SampleOptions {
    /// About how many photos.
    pub photos: usize,
    /// Seed for every choice.
    pub seed: u64,
    /// Include one video larger than 4 GiB.
    pub huge_video: bool,
}

/// Generates the sample gallery into the storage and indexes it in the media store.
pub fn generate(storage: &Storage, _media: &MediaStore, _options: &SampleOptions) -> std::io::Result<()> {
    standard_folders(storage)
}

/// Creates the folders every Android phone has (DCIM, Pictures, Download, ...).
pub fn standard_folders(storage: &Storage) -> std::io::Result<()> {
    for dir in ["DCIM", "Pictures", "Download", "Movies", "Music", "Documents", "Android"] {
        std::fs::create_dir_all(storage.root().join(dir))?;
    }
    Ok(())
}
