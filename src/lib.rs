//! phonebak: back up the photos and videos of an Android phone over ADB, and restore them.
//!
//! Layers, bottom up (see ARCHITECTURE.md): `virtual_phone` (a stand-alone adbd for tests and the demo),
//! then the command line in `cli`.

pub mod cli;
pub mod device;
pub mod virtual_phone;
