//! Carrying out a [`BackupPlan`]: pull, hash, verify against the phone in batches, date, fsync, rename, record.

use super::manifest::{self, Bytes, Journal, ManifestEntry, hex, local_path_of, sync_dir, tmp_dir};
use super::plan::{BackupPlan, PlannedFile, free_name};
use super::{BackupError, CancelToken, Phase, Progress, ProgressState};
use crate::device::{Cancelled, Device, DeviceError, SyncSession, command_line, parse_sha256sum};
use sha2::{Digest, Sha256};
use std::collections::HashSet;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::time::{Duration, Instant, UNIX_EPOCH};

/// Longest `sha256sum` command sent at once (the adb server takes requests of up to 64 KiB).
const MAX_COMMAND_BYTES: usize = 48 * 1024;
/// Most files checked by one `sha256sum` command.
const MAX_BATCH_FILES: usize = 200;
/// Most bytes pulled before they are checked (what an interruption can cost).
const MAX_BATCH_BYTES: u64 = 256 << 20;
/// The manifest is rewritten after this many newly recorded files (the journal covers the ones between).
const SAVE_EVERY_FILES: u64 = 200;
/// Least time between two byte-progress updates.
const PROGRESS_INTERVAL: Duration = Duration::from_millis(50);

/// A file that could not be backed up. It is not in the manifest and not in the backup folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailedFile {
    /// Its path on the phone.
    pub phone_path: Vec<u8>,
    /// What went wrong, for a person.
    pub reason: String,
}

/// What a backup run did.
#[derive(Debug, Clone, Default)]
pub struct BackupReport {
    /// Files copied, verified and recorded in this run.
    pub copied: Vec<ManifestEntry>,
    /// Bytes of those files.
    pub bytes_copied: u64,
    /// Bytes received from the phone (more than `bytes_copied` when a file was pulled twice).
    pub bytes_pulled: u64,
    /// Files skipped because they were already backed up.
    pub unchanged_files: u64,
    /// Files that could not be backed up; the run went on without them.
    pub failed: Vec<FailedFile>,
    /// How long the run took.
    pub elapsed: Duration,
}

/// A file pulled into the temp folder, not yet checked.
struct Pulled<'p> {
    planned: &'p PlannedFile,
    tmp: PathBuf,
    sha256: String,
    size: u64,
    expected_size: u64,
    mtime: i64,
}

/// A `Write` that hashes what goes through it.
struct HashingWriter<W: Write> {
    inner: W,
    hasher: Sha256,
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// Why one file's pull did not give a copy.
enum PullFailure {
    /// The file alone failed (gone, unreadable): report it and go on.
    File(String),
    /// The whole run must stop.
    Stop(BackupError),
}

struct Run<'a> {
    plan: &'a BackupPlan,
    device: &'a Device,
    progress: &'a dyn Progress,
    cancel: &'a CancelToken,
    session: Option<SyncSession>,
    manifest: manifest::Manifest,
    taken: HashSet<Vec<u8>>,
    journal: Journal,
    report: BackupReport,
    unsaved: u64,
    tmp_dir: PathBuf,
    tmp_counter: u64,
    started: Instant,
    last_update: Instant,
    current: Option<Vec<u8>>,
    phase: Phase,
}

/// Copies what `plan` lists from `device` into the backup folder, verifying each file against the phone's
/// `sha256sum`. Files already recorded are never pulled again, so a run with nothing new sends no request to
/// the phone. A file that fails (gone from the phone, unreadable, checksum mismatch twice) is reported in
/// [`BackupReport::failed`] and never recorded; a cancel, a lost connection or a disk error stops the run
/// with an error, after recording every file verified so far and removing the unverified copies.
pub fn execute(
    plan: &BackupPlan,
    device: &Device,
    progress: &dyn Progress,
    cancel: &CancelToken,
) -> Result<BackupReport, BackupError> {
    let dest = plan.dest.as_path();
    let tmp = tmp_dir(dest);
    // Leftovers of an interrupted run: never valid, never listed.
    match std::fs::remove_dir_all(&tmp) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(BackupError::disk("remove the temporary files of the last run", &tmp, e)),
    }
    std::fs::create_dir_all(&tmp).map_err(|e| BackupError::disk("create the folder", &tmp, e))?;
    let journal_path = manifest::Manifest::journal_path(dest, &plan.manifest.serial);
    let manifest_path = manifest::Manifest::path(dest, &plan.manifest.serial);
    // Persist what the journal replayed, and create the manifest on a first run.
    let journal_has_lines = std::fs::metadata(&journal_path).is_ok_and(|m| m.len() > 0);
    if journal_has_lines || !manifest_path.exists() {
        plan.manifest.save(dest)?;
    }
    let now = Instant::now();
    let mut run = Run {
        plan,
        device,
        progress,
        cancel,
        session: None,
        manifest: plan.manifest.clone(),
        taken: plan.manifest.files.iter().map(|f| f.local_path.0.clone()).collect(),
        journal: Journal::open(dest, &plan.manifest.serial)?,
        report: BackupReport { unchanged_files: plan.totals.unchanged_files, ..BackupReport::default() },
        unsaved: 0,
        tmp_dir: tmp,
        tmp_counter: 0,
        started: now,
        last_update: now,
        current: None,
        phase: Phase::Starting,
    };
    for p in plan.to_copy() {
        run.taken.insert(p.local_path.clone());
    }
    run.notify(true);
    let result = run.copy_all();
    run.finish(result)
}

impl<'a> Run<'a> {
    fn notify(&mut self, force: bool) {
        let now = Instant::now();
        if !force && now.duration_since(self.last_update) < PROGRESS_INTERVAL {
            return;
        }
        self.last_update = now;
        let secs = self.started.elapsed().as_secs_f64();
        let bytes_done = self.report.bytes_pulled;
        let bytes_total = self.plan.totals.bytes_to_copy.max(bytes_done);
        let bytes_per_sec = if secs > 0.0 { bytes_done as f64 / secs } else { 0.0 };
        let eta = (bytes_per_sec > 0.0 && bytes_done > 0)
            .then(|| Duration::from_secs_f64((bytes_total - bytes_done) as f64 / bytes_per_sec));
        self.progress.update(&ProgressState {
            phase: self.phase,
            files_done: self.report.copied.len() as u64,
            files_total: self.plan.totals.files_to_copy,
            bytes_done,
            bytes_total,
            current_file: self.current.clone(),
            bytes_per_sec,
            eta,
        });
    }

    fn fail(&mut self, phone_path: &[u8], reason: String) {
        self.progress.file_failed(phone_path, &reason);
        self.report.failed.push(FailedFile { phone_path: phone_path.to_vec(), reason });
    }

    /// Maps a device error that stops the run.
    fn stop_error(&self, e: DeviceError) -> BackupError {
        let files_done = self.report.copied.len() as u64;
        match e {
            DeviceError::Cancelled => BackupError::Cancelled { files_done },
            e if e.is_connection_lost() => BackupError::ConnectionLost { files_done, source: e },
            DeviceError::Protocol { .. } | DeviceError::ServerUnreachable { .. } | DeviceError::Refused { .. } => {
                BackupError::ConnectionLost { files_done, source: e }
            }
            e => BackupError::Device { source: e },
        }
    }

    fn check_cancel(&self) -> Result<(), BackupError> {
        if self.cancel.is_cancelled() {
            return Err(BackupError::Cancelled { files_done: self.report.copied.len() as u64 });
        }
        Ok(())
    }

    fn copy_all(&mut self) -> Result<(), BackupError> {
        let files: Vec<&'a PlannedFile> = self.plan.to_copy().collect();
        let mut at = 0;
        while at < files.len() {
            // A batch: as many files as fit in one sha256sum command and the batch limits.
            let mut len = b"'sha256sum' '--'".len();
            let mut bytes = 0u64;
            let mut end = at;
            while end < files.len() {
                let add = crate::device::quote(&files[end].file.path).len() + 1;
                if end > at
                    && (len + add > MAX_COMMAND_BYTES
                        || end - at >= MAX_BATCH_FILES
                        || bytes + files[end].file.size > MAX_BATCH_BYTES)
                {
                    break;
                }
                len += add;
                bytes += files[end].file.size;
                end += 1;
            }
            self.batch(&files[at..end])?;
            at = end;
            if self.unsaved >= SAVE_EVERY_FILES {
                self.save()?;
            }
        }
        Ok(())
    }

    fn save(&mut self) -> Result<(), BackupError> {
        self.journal.sync()?;
        self.manifest.save(&self.plan.dest)?;
        self.unsaved = 0;
        Ok(())
    }

    /// Pulls a batch, checks it with one command, retries mismatches once, and records the good copies.
    fn batch(&mut self, files: &[&'a PlannedFile]) -> Result<(), BackupError> {
        let mut pulled = Vec::with_capacity(files.len());
        for &planned in files {
            self.check_cancel()?;
            match self.pull(planned, planned.file.size, planned.file.mtime) {
                Ok(p) => pulled.push(p),
                Err(PullFailure::File(reason)) => self.fail(&planned.file.path, reason),
                Err(PullFailure::Stop(e)) => return Err(e),
            }
        }
        let retry = self.verify_and_record(pulled)?;
        if retry.is_empty() {
            return Ok(());
        }
        // Second chance: the phone's current size and time, a fresh copy, a fresh checksum.
        let mut again = Vec::new();
        for planned in retry {
            self.check_cancel()?;
            let stat = match self.session()?.stat(&planned.file.path) {
                Ok(stat) => stat,
                Err(e) => {
                    self.session = None;
                    return Err(self.stop_error(e));
                }
            };
            let Some(stat) = stat.filter(crate::device::FileStat::is_file) else {
                self.fail(&planned.file.path, "it is no longer on the phone".to_string());
                continue;
            };
            match self.pull(planned, stat.size, stat.mtime) {
                Ok(p) => again.push(p),
                Err(PullFailure::File(reason)) => self.fail(&planned.file.path, reason),
                Err(PullFailure::Stop(e)) => return Err(e),
            }
        }
        for planned in self.verify_and_record(again)? {
            self.fail(
                &planned.file.path,
                "the copy did not match the phone's checksum, twice (the file may be changing on the phone, or \
                 the connection corrupts data); it was not kept. Run the backup again later"
                    .to_string(),
            );
        }
        self.journal.sync()
    }

    fn session(&mut self) -> Result<&mut SyncSession, BackupError> {
        let session = match self.session.take() {
            Some(session) => session,
            None => self.device.sync().map_err(|e| self.stop_error(e))?,
        };
        Ok(self.session.insert(session))
    }

    /// Pulls one file into a new temp file while hashing it; dates and fsyncs the temp file.
    fn pull(&mut self, planned: &'a PlannedFile, size: u64, mtime: i64) -> Result<Pulled<'a>, PullFailure> {
        let path = &planned.file.path;
        self.journal.started(path).map_err(PullFailure::Stop)?;
        self.tmp_counter += 1;
        let tmp = self.tmp_dir.join(format!("{}.part", self.tmp_counter));
        let file = File::create(&tmp).map_err(|e| PullFailure::Stop(BackupError::disk("create a file", &tmp, e)))?;
        let mut out = HashingWriter { inner: BufWriter::with_capacity(256 * 1024, file), hasher: Sha256::new() };
        self.current = Some(path.clone());
        self.phase = Phase::Pulling;
        self.notify(true);
        let base = self.report.bytes_pulled;
        // The progress hook cannot borrow `self` (the session does): it gets copies of what it reports.
        let cancel = self.cancel;
        let progress = self.progress;
        let files_done = self.report.copied.len() as u64;
        let files_total = self.plan.totals.files_to_copy;
        let bytes_total = self.plan.totals.bytes_to_copy;
        let started = self.started;
        let current = path.clone();
        let mut last = Instant::now();
        let mut seen = 0u64;
        let result = {
            let session = self.session().map_err(PullFailure::Stop)?;
            session.pull(path, &mut out, &mut |n| {
                seen = n;
                if cancel.is_cancelled() {
                    return Err(Cancelled);
                }
                if last.elapsed() >= PROGRESS_INTERVAL {
                    last = Instant::now();
                    let done = base + n;
                    let secs = started.elapsed().as_secs_f64();
                    let speed = if secs > 0.0 { done as f64 / secs } else { 0.0 };
                    progress.update(&ProgressState {
                        phase: Phase::Pulling,
                        files_done,
                        files_total,
                        bytes_done: done,
                        bytes_total: bytes_total.max(done),
                        current_file: Some(current.clone()),
                        bytes_per_sec: speed,
                        eta: (speed > 0.0)
                            .then(|| Duration::from_secs_f64(bytes_total.saturating_sub(done) as f64 / speed)),
                    });
                }
                Ok(())
            })
        };
        self.report.bytes_pulled = base + seen;
        let received = match result {
            Ok(n) => n,
            Err(e) => {
                self.session = None;
                drop(out);
                let _ = std::fs::remove_file(&tmp);
                return Err(match e {
                    DeviceError::NoSuchFile { .. } => PullFailure::File("it is no longer on the phone".to_string()),
                    e @ (DeviceError::BadPath { .. } | DeviceError::NotADirectory { .. }) => {
                        PullFailure::File(e.to_string())
                    }
                    DeviceError::Remote { message, .. } => {
                        PullFailure::File(format!("the phone could not read it ({message})"))
                    }
                    DeviceError::Local { source, .. } => {
                        PullFailure::Stop(BackupError::disk("write the copy", &tmp, source))
                    }
                    e => PullFailure::Stop(self.stop_error(e)),
                });
            }
        };
        self.report.bytes_pulled = base + received;
        let sha256 = hex(&out.hasher.finalize_reset());
        let file = out.inner.into_inner().map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            PullFailure::Stop(BackupError::disk("write the copy", &tmp, e.into_error()))
        })?;
        let dated = set_mtime(&file, mtime).and_then(|()| file.sync_all());
        if let Err(e) = dated {
            let _ = std::fs::remove_file(&tmp);
            return Err(PullFailure::Stop(BackupError::disk("write the copy", &tmp, e)));
        }
        Ok(Pulled { planned, tmp, sha256, size: received, expected_size: size, mtime })
    }

    /// Asks the phone for the checksums of `pulled` in one command; records the copies that match and returns
    /// the files whose copy did not (their temp files removed).
    fn verify_and_record(&mut self, pulled: Vec<Pulled<'a>>) -> Result<Vec<&'a PlannedFile>, BackupError> {
        if pulled.is_empty() {
            return Ok(Vec::new());
        }
        self.check_cancel()?;
        self.phase = Phase::Verifying;
        self.current = None;
        self.notify(true);
        let paths: Vec<&[u8]> = pulled.iter().map(|p| p.planned.file.path.as_slice()).collect();
        let mut args: Vec<&[u8]> = vec![b"sha256sum", b"--"];
        args.extend(&paths);
        let out = match self.device.shell(&command_line(&args)) {
            Ok(out) => out,
            Err(e) => {
                for p in &pulled {
                    let _ = std::fs::remove_file(&p.tmp);
                }
                return Err(self.stop_error(e));
            }
        };
        let sums = parse_sha256sum(&out.stdout, &paths);
        if sums.iter().all(Option::is_none) && (out.exit_code == 127 || out.exit_code == 126) {
            for p in &pulled {
                let _ = std::fs::remove_file(&p.tmp);
            }
            return Err(BackupError::NoChecksum { detail: out.stderr_text().trim().to_string() });
        }
        let mut retry = Vec::new();
        for (p, phone_sum) in pulled.into_iter().zip(sums) {
            // A size other than the scan's means the file changed since: its mtime is unknown, so retry.
            if phone_sum.as_deref() == Some(p.sha256.as_str()) && p.size == p.expected_size {
                self.record(p)?;
            } else {
                let _ = std::fs::remove_file(&p.tmp);
                retry.push(p.planned);
            }
        }
        Ok(retry)
    }

    /// Moves a verified copy into place and records it.
    fn record(&mut self, p: Pulled<'a>) -> Result<(), BackupError> {
        let dest = self.plan.dest.clone();
        let mut local = p.planned.local_path.clone();
        let mut target = dest.join(local_path_of(&local));
        if std::fs::symlink_metadata(&target).is_ok() {
            // Something appeared there since the plan: never overwrite it.
            self.taken.remove(&local);
            local = free_name(&dest, &local, &self.taken);
            self.taken.insert(local.clone());
            target = dest.join(local_path_of(&local));
        }
        let parent = target.parent().unwrap_or(&dest).to_path_buf();
        std::fs::create_dir_all(&parent).map_err(|e| BackupError::disk("create the folder", &parent, e))?;
        std::fs::rename(&p.tmp, &target).map_err(|e| BackupError::disk("move the copy into place", &target, e))?;
        sync_dir(&parent)?;
        let entry = ManifestEntry {
            phone_path: Bytes(p.planned.file.path.clone()),
            local_path: Bytes(local),
            size: p.size,
            mtime: p.mtime,
            sha256: p.sha256,
            backed_up_at: manifest::timestamp(),
        };
        self.journal.finished(&entry)?;
        self.report.bytes_copied += entry.size;
        self.manifest.files.push(entry.clone());
        self.report.copied.push(entry);
        self.unsaved += 1;
        Ok(())
    }

    /// Ends the run: records what was verified, removes what was not, and reports.
    fn finish(mut self, result: Result<(), BackupError>) -> Result<BackupReport, BackupError> {
        self.session = None;
        let cleanup = std::fs::remove_dir_all(&self.tmp_dir);
        let saved = self.save();
        self.report.elapsed = self.started.elapsed();
        result?;
        saved?;
        cleanup.map_err(|e| BackupError::disk("remove the temporary files", &self.tmp_dir, e))?;
        self.phase = Phase::Finished;
        self.current = None;
        self.notify(true);
        Ok(self.report)
    }
}

fn set_mtime(file: &File, mtime: i64) -> std::io::Result<()> {
    let time = if mtime >= 0 {
        UNIX_EPOCH + Duration::from_secs(mtime as u64)
    } else {
        UNIX_EPOCH - Duration::from_secs(mtime.unsigned_abs())
    };
    file.set_modified(time)
}
