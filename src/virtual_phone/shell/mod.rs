//! The phone's shell: mksh's syntax and built-ins, and toybox's commands, answering byte for byte as a
//! real Android device does.
//!
//! PLACEHOLDER during development: helper A1 replaces the body of `run` (parser, executor, built-ins).

pub mod toybox;

use super::Phone;
use std::io::{Read, Write};

/// What a running command sees of the shell.
pub struct Ctx<'a> {
    /// The phone.
    pub phone: &'a Phone,
    /// The working directory, a phone path (`/` when `adb shell` starts).
    pub cwd: Vec<u8>,
    /// `$?`.
    pub last_status: i32,
}

/// A command's standard streams.
pub struct Io<'a> {
    /// Standard input.
    pub stdin: &'a mut dyn Read,
    /// Standard output.
    pub stdout: &'a mut dyn Write,
    /// Standard error.
    pub stderr: &'a mut dyn Write,
}

/// A command: `argv[0]` is its name; returns the exit status.
pub type CommandFn = fn(&mut Ctx<'_>, &[Vec<u8>], &mut Io<'_>) -> i32;

/// Runs one `adb shell` command line and returns its exit status.
pub fn run(phone: &Phone, script: &[u8], stdout: &mut dyn Write, stderr: &mut dyn Write) -> i32 {
    let mut ctx = Ctx { phone, cwd: b"/".to_vec(), last_status: 0 };
    let argv: Vec<Vec<u8>> = script.split(|&b| b == b' ').filter(|a| !a.is_empty()).map(<[u8]>::to_vec).collect();
    let Some(name) = argv.first() else { return 0 };
    let mut stdin = std::io::empty();
    let mut io = Io { stdin: &mut stdin, stdout, stderr };
    match toybox::lookup(name) {
        Some(f) => f(&mut ctx, &argv, &mut io),
        None => {
            let _ = writeln!(io.stderr, "/system/bin/sh: {}: inaccessible or not found", String::from_utf8_lossy(name));
            127
        }
    }
}
