//! phonebak: back up the photos and videos of an Android phone over ADB, and restore them.
//!
//! Layers, bottom up (see ARCHITECTURE.md): `device` (the only code that speaks ADB), then the engine
//! (`scan`, `backup`), then the command line in `cli`. `virtual_phone` stands apart: a stand-alone adbd for
//! the tests, the benchmarks and the demo, which the rest reaches only through ADB.

pub mod agent;
pub mod backup;
pub mod cli;
pub mod contacts;
pub mod content;
pub mod device;
pub mod freeup;
pub mod gui;
pub mod human;
pub mod logbook;
pub mod messages;
pub mod progress;
pub mod restore;
pub mod scan;
pub mod secrets;
pub mod settings;
pub mod thumbnails;
pub mod vault;
pub mod virtual_phone;
pub mod whatsapp;
