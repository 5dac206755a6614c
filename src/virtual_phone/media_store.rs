//! The media store. PLACEHOLDER during development: helper B replaces this file.

use super::Phone;
use super::storage::Storage;
use std::io::Write;

/// The phone's media store.
#[derive(Debug)]
pub struct MediaStore {
    _sdk: u32,
}

impl MediaStore {
    /// An empty media store for this API level.
    #[must_use]
    pub fn new(sdk: u32) -> Self {
        Self { _sdk: sdk }
    }

    /// Indexes every file of the volume.
    pub fn scan_volume(&self, _storage: &Storage) {}
}

/// `content ARGS...` (args exclude the command name).
pub fn content_command(_phone: &Phone, _args: &[Vec<u8>], _stdout: &mut dyn Write, _stderr: &mut dyn Write) -> i32 {
    1
}

/// `am ARGS...` (args exclude the command name).
pub fn am_command(_phone: &Phone, _args: &[Vec<u8>], _stdout: &mut dyn Write, _stderr: &mut dyn Write) -> i32 {
    1
}
