//! The command line (placeholder while being written).
use std::process::ExitCode;

/// Entry point of the binary.
#[must_use]
pub fn main() -> ExitCode {
    ExitCode::SUCCESS
}
