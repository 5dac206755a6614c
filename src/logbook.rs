//! The most recent log lines, kept in memory for the app's "Show log" view (the log file keeps them all).

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::{Mutex, PoisonError};

/// Where phonebak keeps its logs: `$XDG_DATA_HOME/phonebak/logs`, else `~/.local/share/phonebak/logs`
/// (`%LOCALAPPDATA%\phonebak\logs` on Windows).
#[must_use]
pub fn log_dir() -> Option<PathBuf> {
    let nonempty = |key: &str| std::env::var_os(key).filter(|v| !v.is_empty()).map(PathBuf::from);
    let base = if cfg!(windows) {
        nonempty("LOCALAPPDATA")?
    } else {
        nonempty("XDG_DATA_HOME").or_else(|| nonempty("HOME").map(|h| h.join(".local/share")))?
    };
    Some(base.join("phonebak").join("logs"))
}

/// Lines kept.
const KEPT: usize = 2000;

static LINES: Mutex<VecDeque<String>> = Mutex::new(VecDeque::new());

/// Keeps the lines of `text` (a formatted log record), dropping the oldest beyond [`KEPT`].
pub fn record(text: &str) {
    let mut lines = LINES.lock().unwrap_or_else(PoisonError::into_inner);
    for line in text.lines().filter(|l| !l.is_empty()) {
        if lines.len() == KEPT {
            lines.pop_front();
        }
        lines.push_back(line.to_string());
    }
}

/// The kept lines, oldest first.
#[must_use]
pub fn recent() -> Vec<String> {
    LINES.lock().unwrap_or_else(PoisonError::into_inner).iter().cloned().collect()
}

/// Tests that fill the one log in memory take turns.
#[cfg(test)]
pub(crate) static TEST_TURN: Mutex<()> = Mutex::new(());

#[cfg(test)]
mod tests {
    #[test]
    fn the_log_keeps_the_newest_lines_in_order() {
        let _turn = super::TEST_TURN.lock().unwrap_or_else(super::PoisonError::into_inner);
        for n in 0..super::KEPT + 5 {
            super::record(&format!("line {n}\n"));
        }
        let lines = super::recent();
        assert_eq!(lines.len(), super::KEPT);
        assert_eq!(lines.first().map(String::as_str), Some("line 5"));
        assert_eq!(lines.last().map(String::as_str), Some(format!("line {}", super::KEPT + 4).as_str()));
    }
}
