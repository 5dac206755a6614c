//! The phone's shell: mksh's syntax and built-ins, and toybox's commands, answering byte for byte as a
//! real Android device does.
//!
//! The language is the subset of mksh R59c (Android's `/system/bin/sh`) that `adb shell` clients use:
//! quoting, `;`, `&&`, `||`, `|`, `!`, redirections of descriptors 0 to 2, `$?`, brace and pathname
//! expansion, and the built-ins `echo`, `test`/`[`, `cd`, `pwd`, `exit`, `command`, `whence`/`type`, `cat`,
//! `true`, `false` and `:`. Anything else (substitutions, variables, compound commands, functions,
//! here-documents, background jobs) is refused with a message naming it and status 2 before any of the script
//! runs, never answered with a guess. Syntax errors print mksh's messages after the lines before them ran.

mod builtins;
mod env;
mod exec;
mod expand;
mod fsys;
mod parse;
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
///
/// A write to `stdout` that fails (the host closed the stream) ends the script with status 141, as SIGPIPE
/// ends a real shell.
pub fn run(phone: &Phone, script: &[u8], stdout: &mut dyn Write, stderr: &mut dyn Write) -> i32 {
    Session::new(phone).run(script, stdout, stderr)
}

/// A shell that keeps its state (working directory, `$?`) from one command line to the next, as the
/// interactive `adb shell` does.
pub struct Session<'a> {
    sh: exec::Shell<'a>,
    exited: bool,
}

impl<'a> Session<'a> {
    /// A new shell in `/`, as `adb shell` starts.
    #[must_use]
    pub fn new(phone: &'a Phone) -> Self {
        Self { sh: exec::Shell { phone, cwd: b"/".to_vec(), oldpwd: None, status: 0 }, exited: false }
    }

    /// True once a line ended the shell (`exit`, or a fatal error).
    #[must_use]
    pub fn exited(&self) -> bool {
        self.exited
    }

    /// Runs one command line (or script) in this shell; returns its exit status.
    pub fn run(&mut self, script: &[u8], stdout: &mut dyn Write, stderr: &mut dyn Write) -> i32 {
        let (lines, error) = parse::parse_script(script);
        if let Some(parse::ParseError::Unsupported(what)) = &error {
            exec::say(stderr, &[what.as_bytes(), b"not supported by the virtual phone's shell"]);
            self.sh.status = exec::UNSUPPORTED_STATUS;
            return exec::UNSUPPORTED_STATUS;
        }
        let mut out = exec::Tracked::new(stdout);
        for line in &lines {
            if let Err(code) = exec::run_line(&mut self.sh, line, &mut out, stderr) {
                let _ = out.flush();
                self.exited = true;
                self.sh.status = code;
                return code;
            }
        }
        if let Some(parse::ParseError::Syntax(msg)) = &error {
            exec::say(stderr, &[msg]);
            let _ = out.flush();
            self.sh.status = 1;
            return 1;
        }
        if out.flush().is_err() {
            self.sh.status = exec::SIGPIPE_STATUS;
            return exec::SIGPIPE_STATUS;
        }
        self.sh.status
    }
}

#[cfg(test)]
mod tests;
