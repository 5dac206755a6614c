//! What the commands share: choosing the phone, printing plans, progress and JSON lines, and the log file.
//! Sizes and dates for people come from `crate::human`.

use crate::backup::manifest::Bytes;
use crate::device::{Adb, Device};
pub use crate::human::{date, human_bytes, parse_date};
use crate::progress::{CancelToken, Progress, ProgressState};
use anyhow::{Context, bail};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::json;
use std::cell::Cell;
use std::fmt::Write as _;
use std::fs::File;
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A cancel token that the first Ctrl-C sets (the engine stops after its current block; `kept` says what
/// stays, as "finished files are kept"); a second Ctrl-C exits at once. Either way the next run cleans up: the
/// manifest is written atomically and temp files are thrown away.
pub fn cancel_on_ctrl_c(kept: &'static str) -> anyhow::Result<CancelToken> {
    let cancel = CancelToken::new();
    let token = cancel.clone();
    ctrlc::set_handler(move || {
        if token.is_cancelled() {
            std::process::exit(130);
        }
        eprintln!("\nStopping after the current block (Ctrl-C again to stop at once); {kept}.");
        token.cancel();
    })
    .context("Could not install the Ctrl-C handler")?;
    Ok(cancel)
}

/// The password of an encrypted backup: `PHONEBAK_PASSWORD` when set (for scripts), else asked on the
/// terminal without echo. With `new`, asked twice, and a short one gets a hint.
pub fn password(new: bool) -> anyhow::Result<crate::vault::SecretString> {
    if let Some(p) = std::env::var_os("PHONEBAK_PASSWORD").filter(|p| !p.is_empty()) {
        let p = p.into_string().map_err(|_| anyhow::anyhow!("PHONEBAK_PASSWORD is not valid UTF-8"))?;
        return Ok(crate::vault::SecretString::from(p));
    }
    let first = rpassword::prompt_password(if new {
        "Choose a password for the encrypted backup: "
    } else {
        "Password of the encrypted backup: "
    })
    .context("Could not read the password (set PHONEBAK_PASSWORD when there is no terminal)")?;
    if first.is_empty() {
        bail!("The password is empty.");
    }
    if new {
        if let Some(hint) = crate::vault::strength_hint(&first) {
            eprintln!("{hint}");
        }
        let again = rpassword::prompt_password("Type it again: ").context("Could not read the password")?;
        if again != first {
            bail!("The two passwords differ; nothing was written. Run the command again.");
        }
    }
    Ok(crate::vault::SecretString::from(first))
}

/// Opens the backup folder `dest` for a run: its key when it is encrypted (asking the password), a new key
/// when `encrypt` asks for one and the folder has no backup yet, nothing for a plain backup.
pub fn open_folder(dest: &std::path::Path, encrypt: bool) -> anyhow::Result<Option<Arc<crate::vault::Vault>>> {
    if crate::vault::is_encrypted(dest) {
        return Ok(Some(Arc::new(crate::vault::Vault::open(dest, &password(false)?)?)));
    }
    if !encrypt {
        return Ok(None);
    }
    if crate::vault::holds_plain_backup(dest) {
        bail!(
            "{} already holds a plain (unencrypted) backup. Choose an empty folder for an encrypted backup.",
            dest.display()
        );
    }
    Ok(Some(Arc::new(crate::vault::Vault::create(dest, &password(true)?)?)))
}

/// Finds adb and picks the phone to work with: `serial` when given, else the only ready phone. With no ready
/// phone the error lists every phone with what to do; with several it names them all.
pub fn pick_device(serial: Option<&str>) -> anyhow::Result<Device> {
    let adb = Adb::find()?;
    if let Some(serial) = serial {
        tracing::info!(serial, "using the phone given with --device");
        return Ok(adb.device(serial)?);
    }
    let listed = adb.devices()?;
    let ready: Vec<&str> = listed.iter().filter(|d| d.state.is_ready()).map(|d| d.serial.as_str()).collect();
    match ready.as_slice() {
        [one] => {
            tracing::info!(serial = one, "using the only ready phone");
            Ok(adb.device(one)?)
        }
        [] => {
            let mut why = String::from("No phone is ready.");
            for entry in &listed {
                let _ = write!(why, "\n  {} ({}): {}", entry.serial, entry.state.as_str(), entry.guidance());
            }
            for usb in adb.unlisted_usb_phones(&listed) {
                let _ = write!(why, "\n  {} (on USB, not seen by adb): {}", usb.display_name(), usb.guidance());
            }
            if listed.is_empty() {
                why.push_str(
                    " Connect the phone with a USB cable, unlock it and turn on USB debugging (run `phonebak \
                     devices` for the steps).",
                );
            }
            bail!(why)
        }
        many => bail!("{} phones are ready ({}): choose one with --device SERIAL.", many.len(), many.join(", ")),
    }
}

/// A phone or local path as text for people (bytes that are not UTF-8 shown as `�`).
#[must_use]
pub fn lossy(path: &[u8]) -> String {
    String::from_utf8_lossy(path).into_owned()
}

/// A path for JSON: a string when it is UTF-8, else `{"hex": ...}` (as in the manifest).
#[must_use]
pub fn json_path(path: &[u8]) -> serde_json::Value {
    serde_json::to_value(Bytes(path.to_vec())).unwrap_or(serde_json::Value::Null)
}

/// Prints one JSON object on a line of stdout.
pub fn print_json(value: &serde_json::Value) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    serde_json::to_writer(&mut out, value)?;
    out.write_all(b"\n")?;
    out.flush()
}

pub use crate::logbook::log_dir;

/// Writes each log line to the log file and, with `-v`, to stderr.
#[derive(Clone)]
struct Tee {
    file: Option<Arc<Mutex<File>>>,
    terminal: bool,
}

impl Write for Tee {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        crate::logbook::record(&String::from_utf8_lossy(buf));
        if let Some(file) = &self.file
            && let Ok(mut file) = file.lock()
        {
            // A log line that cannot be written must not stop a backup.
            let _ = file.write_all(buf);
        }
        if self.terminal {
            let _ = std::io::stderr().write_all(buf);
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Tee {
    type Writer = Tee;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

/// Starts logging: to `phonebak.log` in [`log_dir`] (info and up; debug with `-vv`), and to stderr with `-v`.
/// A log folder that cannot be made only loses the file; the command still runs.
pub fn init_logging(verbose: u8) {
    let file = log_dir().and_then(|dir| {
        std::fs::create_dir_all(&dir).ok()?;
        File::options().create(true).append(true).open(dir.join("phonebak.log")).ok()
    });
    let level = if verbose >= 2 { tracing::Level::DEBUG } else { tracing::Level::INFO };
    let writer = Tee { file: file.map(|f| Arc::new(Mutex::new(f))), terminal: verbose > 0 };
    let _ = tracing_subscriber::fmt().with_max_level(level).with_ansi(false).with_writer(writer).try_init();
}

/// Whether an error is a closed stdout (`phonebak folders | head`), which is not a failure.
#[must_use]
pub fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain()
        .any(|e| e.downcast_ref::<std::io::Error>().is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe))
}

/// Adds the path to an I/O error on stdout, keeping the kind for [`is_broken_pipe`].
pub fn stdout_ok(result: std::io::Result<()>) -> anyhow::Result<()> {
    result.context("Could not write the output")
}

/// Prints a plan: one JSON line with `--json`, else the text.
pub fn print_plan(
    json: bool,
    as_json: impl FnOnce() -> serde_json::Value,
    as_text: impl FnOnce() -> String,
) -> anyhow::Result<()> {
    if json {
        return stdout_ok(print_json(&as_json()));
    }
    let mut out = std::io::stdout().lock();
    stdout_ok(out.write_all(as_text().as_bytes()).and_then(|()| out.flush()))
}

/// Runs `work` showing its progress: a bar on a terminal (sized `total_bytes`), JSON lines with `--json`.
pub fn with_progress<T>(json: bool, total_bytes: u64, work: impl FnOnce(&Shown) -> T) -> T {
    use std::io::IsTerminal as _;
    let bar = (!json && std::io::stderr().is_terminal()).then(|| progress_bar(total_bytes));
    let shown = Shown { bar, json, last_json: Cell::new(None) };
    let result = work(&shown);
    if let Some(bar) = &shown.bar {
        bar.finish_and_clear();
    }
    result
}

/// How often `--json` prints a progress line.
const JSON_PROGRESS_INTERVAL: Duration = Duration::from_millis(500);

/// Shows the engine's progress: a bar on a terminal, JSON lines with `--json`, else nothing.
pub struct Shown {
    /// The bar, on a terminal.
    pub bar: Option<ProgressBar>,
    /// Whether to print JSON lines.
    pub json: bool,
    /// When the last JSON progress line was printed.
    pub last_json: Cell<Option<Instant>>,
}

impl Progress for Shown {
    fn update(&self, s: &ProgressState) {
        if let Some(bar) = &self.bar {
            bar.set_length(s.bytes_total);
            bar.set_position(s.bytes_done.min(s.bytes_total));
            let current = s.current_file.as_deref().map(lossy).unwrap_or_default();
            let name = current.rsplit('/').next().unwrap_or_default();
            bar.set_message(format!("{}/{} files  {name}", s.files_done, s.files_total));
        }
        if self.json {
            let now = Instant::now();
            let due = self.last_json.get().is_none_or(|last| now.duration_since(last) >= JSON_PROGRESS_INTERVAL);
            if due || s.phase == crate::progress::Phase::Finished {
                self.last_json.set(Some(now));
                // A closed stdout shows up again, and is handled, when the report is printed.
                let _ = print_json(&json!({
                    "event": "progress",
                    "phase": format!("{:?}", s.phase).to_lowercase(),
                    "files_done": s.files_done,
                    "files_total": s.files_total,
                    "bytes_done": s.bytes_done,
                    "bytes_total": s.bytes_total,
                    "current_file": s.current_file.as_deref().map(json_path),
                    "bytes_per_sec": s.bytes_per_sec,
                    "eta_secs": s.eta.map(|d| d.as_secs()),
                }));
            }
        }
    }

    fn file_failed(&self, phone_path: &[u8], reason: &str) {
        tracing::warn!(path = %lossy(phone_path), reason, "file failed");
        if self.json {
            let _ =
                print_json(&json!({ "event": "file_failed", "phone_path": json_path(phone_path), "reason": reason }));
        } else if let Some(bar) = &self.bar {
            bar.println(format!("Failed: {}: {reason}", lossy(phone_path)));
        } else {
            eprintln!("Failed: {}: {reason}", lossy(phone_path));
        }
    }
}

pub fn progress_bar(total_bytes: u64) -> ProgressBar {
    let bar = ProgressBar::new(total_bytes);
    if let Ok(style) = ProgressStyle::with_template(
        "{bar:30} {decimal_bytes}/{decimal_total_bytes} {decimal_bytes_per_sec} ETA {eta}  {wide_msg}",
    ) {
        bar.set_style(style);
    }
    bar
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_round_trip_through_day_counts() {
        crate::human::with_time_zone(jiff::tz::TimeZone::UTC, || {
            assert_eq!(parse_date("1970-01-01"), Ok(0));
            assert_eq!(parse_date("2024-02-29").map(date), Ok("2024-02-29".to_string()));
            assert_eq!(date(1_700_000_000), "2023-11-14");
            assert_eq!(date(-1), "1969-12-31");
        });
    }

    #[test]
    fn impossible_or_malformed_dates_are_refused() {
        for bad in ["2023-02-29", "2024-13-01", "2024-1-01", "yesterday", "2024-01-01-01", "2024-00-10"] {
            assert!(parse_date(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn sizes_use_decimal_units() {
        assert_eq!(human_bytes(999), "999 B");
        assert_eq!(human_bytes(1_500_000), "1.5 MB");
    }
}
