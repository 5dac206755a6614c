//! toybox 0.8.9's commands. PLACEHOLDER during development: helper A2 replaces this file.

use super::CommandFn;

/// The toybox command called `name`, if the phone has it.
#[must_use]
pub fn lookup(_name: &[u8]) -> Option<CommandFn> {
    None
}
