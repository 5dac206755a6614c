//! One test binary for every end-to-end test (one link step instead of many).

mod adb_real;
mod agent;
mod backup;
mod backup_faults;
mod cli;
mod cli_backup;
mod cli_restore;
mod contacts;
mod device;
mod encrypted;
mod freeup;
mod freeup_more;
mod freeup_trash;
mod gui;
mod gui_first_run;
mod gui_freeup;
mod protocol;
mod restore;
mod sample_gallery;
mod scan;
mod secrets;
mod thumbnails;
mod toybox_conformance;
mod util;
mod vp_providers;
mod wifi_battery;
