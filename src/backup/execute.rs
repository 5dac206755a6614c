//! Carrying out a [`BackupPlan`]: pull, hash, verify against the phone in batches, date, fsync, rename, record.

use super::manifest::{self, Bytes, Journal, ManifestEntry, file_path_in, hex, sync_dir, tmp_dir};
use super::plan::{BackupPlan, PlannedFile, free_name};
use super::{BackupError, CancelToken, Phase, Progress, ProgressState, folder, lock};
use crate::device::{Cancelled, Device, DeviceError, SyncSession, command_line, parse_sha256sum};
use crate::progress::Counts;
use sha2::{Digest, Sha256};
use std::collections::{BTreeSet, HashMap, HashSet, VecDeque};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::time::{Duration, Instant, UNIX_EPOCH};

/// Longest `sha256sum` command sent at once (the adb server takes requests of up to 64 KiB).
const MAX_COMMAND_BYTES: usize = 48 * 1024;
/// Most files checked by one `sha256sum` command.
const MAX_BATCH_FILES: usize = 200;
/// Most bytes pulled before they are checked: a batch is checked while the next one is pulled.
const MAX_BATCH_BYTES: u64 = 64 << 20;
/// The least a batch holds (unless the queue holds less).
const MIN_BATCH_BYTES: u64 = 1 << 20;
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
    /// Copied files whose content the backup folder already held (the same SHA-256, re-hashed good): stored
    /// once on disk, as a hard link to the other copy.
    pub stored_once: u64,
    /// Disk space that saved.
    pub bytes_stored_once: u64,
    /// How long the run took.
    pub elapsed: Duration,
}

/// A file pulled into the temp folder, not yet checked.
struct Pulled<'p> {
    planned: &'p PlannedFile,
    /// 0 for the first pull, 1 for the retry after a checksum mismatch.
    attempt: u8,
    tmp: PathBuf,
    sha256: String,
    size: u64,
    expected_size: u64,
    mtime: i64,
    /// The open temp file, dated but not yet fsynced (the checking worker does it, off the cable's path).
    file: Option<File>,
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

/// Where a pulled file's bytes go: to the temp file as they are, or encrypted.
enum Sink {
    Plain(BufWriter<File>),
    Encrypted(age::stream::StreamWriter<BufWriter<File>>),
}

impl Sink {
    /// Flushes (and for an encrypted copy writes the last chunk and its tag) and gives the file back.
    fn finish(self) -> std::io::Result<File> {
        let buffered = match self {
            Self::Plain(w) => w,
            Self::Encrypted(w) => w.finish()?,
        };
        buffered.into_inner().map_err(std::io::IntoInnerError::into_error)
    }
}

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            Self::Plain(w) => w.write(buf),
            Self::Encrypted(w) => w.write(buf),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            Self::Plain(w) => w.flush(),
            Self::Encrypted(w) => w.flush(),
        }
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
    /// For each content (SHA-256) the folder holds, the index in `manifest.files` of a copy of it.
    by_sha: HashMap<String, usize>,
    journal: Journal,
    report: BackupReport,
    unsaved: u64,
    /// Folders holding files renamed into place whose rename is not yet fsynced.
    dirty_dirs: BTreeSet<PathBuf>,
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
    let needed = folder::space_needed(plan.totals.bytes_to_copy);
    if plan.totals.files_to_copy > 0
        && let Some(free) = folder::free_space(dest)
        && free < needed
    {
        return Err(BackupError::NotEnoughSpace {
            path: dest.to_path_buf(),
            files: plan.totals.files_to_copy,
            needed,
            free,
        });
    }
    // One backup at a time writes into a folder (the app, the command line and the agent alike).
    // An encrypted folder's lock names no phone.
    let what = if plan.vault.is_some() {
        format!("{}: a backup", lock::role())
    } else {
        format!("{}: backup of {} ({})", lock::role(), plan.manifest.model, plan.manifest.serial)
    };
    let _lock = lock::lock(dest, &what)?;
    let tmp = tmp_dir(dest);
    // Leftovers of an interrupted run: never valid, never listed.
    match std::fs::remove_dir_all(&tmp) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(BackupError::disk("remove the temporary files of the last run", &tmp, e)),
    }
    std::fs::create_dir_all(&tmp).map_err(|e| BackupError::disk("create the folder", &tmp, e))?;
    let vault = plan.vault.as_deref();
    let journal_path = manifest::Manifest::journal_path_in(dest, &plan.manifest.serial, vault);
    let manifest_path = manifest::Manifest::path_in(dest, &plan.manifest.serial, vault);
    // Persist what the journal replayed, and create the manifest on a first run.
    let journal_has_lines = std::fs::metadata(&journal_path).is_ok_and(|m| m.len() > 0);
    if journal_has_lines || !manifest_path.exists() {
        plan.manifest.save_in(dest, vault)?;
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
        by_sha: plan.manifest.files.iter().enumerate().map(|(i, f)| (f.sha256.clone(), i)).collect(),
        journal: Journal::open(dest, &plan.manifest.serial, plan.vault.clone())?,
        report: BackupReport { unchanged_files: plan.totals.unchanged_files, ..BackupReport::default() },
        unsaved: 0,
        dirty_dirs: BTreeSet::new(),
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
        let counts = Counts {
            files_done: self.report.copied.len() as u64,
            files_total: self.plan.totals.files_to_copy,
            bytes_done: self.report.bytes_pulled,
            bytes_total: self.plan.totals.bytes_to_copy,
        };
        self.progress.update(&ProgressState::measure(self.phase, counts, self.current.as_deref(), self.started));
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
            e if e.stops_the_link() => BackupError::ConnectionLost { files_done, source: e },
            e => BackupError::Device { source: e },
        }
    }

    fn check_cancel(&self) -> Result<(), BackupError> {
        if self.cancel.is_cancelled() {
            return Err(BackupError::Cancelled { files_done: self.report.copied.len() as u64 });
        }
        Ok(())
    }

    /// Pulls every planned file, batch after batch. While batch k+1 is being pulled, a worker asks the phone
    /// for batch k's checksums (one `sha256sum` command), so the phone's hashing costs no time on the cable.
    /// Good copies are recorded; a copy that does not match is pulled once more in a later batch (with the
    /// phone's current size and date), then reported.
    fn copy_all(&mut self) -> Result<(), BackupError> {
        let mut queue: VecDeque<(&'a PlannedFile, u8)> = self.plan.to_copy().map(|p| (p, 0)).collect();
        let device = self.device;
        let result = std::thread::scope(|scope| -> Result<(), BackupError> {
            let mut in_flight: Option<(Vec<Pulled<'a>>, std::thread::ScopedJoinHandle<'_, Sums>)> = None;
            loop {
                let batch = next_batch(&mut queue);
                if batch.is_empty() && in_flight.is_none() {
                    return Ok(());
                }
                let mut pulled = Vec::with_capacity(batch.len());
                let mut stopped = None;
                for (n, &(planned, attempt)) in batch.iter().enumerate() {
                    // The next file (of this batch, or the first of the next) is asked for with this one (a retry
                    // asks the phone about its file first, so it is not asked for ahead).
                    let next = batch
                        .get(n + 1)
                        .or_else(|| if n + 1 == batch.len() { queue.front() } else { None })
                        .filter(|(_, a)| *a == 0)
                        .map(|(p, _)| p.file.path.as_slice());
                    match self.check_cancel().and_then(|()| self.pull_attempt(planned, attempt, next)) {
                        Ok(Some(p)) => pulled.push(p),
                        Ok(None) => {}
                        Err(e) => {
                            stopped = Some(e);
                            break;
                        }
                    }
                }
                if let Some((batch, handle)) = in_flight.take() {
                    let sums = handle.join().unwrap_or_else(|_| {
                        Err(BackupError::NoChecksum { detail: "the checking thread failed".to_string() })
                    });
                    let settled = self.settle(batch, sums, &mut queue);
                    if let Err(e) = settled {
                        remove_temps(&pulled);
                        return Err(e);
                    }
                }
                if let Some(e) = stopped {
                    remove_temps(&pulled);
                    // The batch settled above may have recorded files since the error was made.
                    return Err(e.with_files_done(self.report.copied.len() as u64));
                }
                if pulled.is_empty() {
                    continue;
                }
                // A cancel stops before another batch is checked; what is checked stays.
                if let Err(e) = self.check_cancel() {
                    remove_temps(&pulled);
                    return Err(e);
                }
                if self.unsaved >= SAVE_EVERY_FILES
                    && let Err(e) = self.save()
                {
                    remove_temps(&pulled);
                    return Err(e);
                }
                let paths: Vec<Vec<u8>> = pulled.iter().map(|p| p.planned.file.path.clone()).collect();
                let files: Vec<(PathBuf, File)> =
                    pulled.iter_mut().filter_map(|p| Some((p.tmp.clone(), p.file.take()?))).collect();
                self.phase = Phase::Verifying;
                self.current = None;
                self.notify(true);
                let spawned = std::thread::Builder::new()
                    .name("backup-check".to_string())
                    .spawn_scoped(scope, move || check_batch(device, &paths, files));
                match spawned {
                    Ok(handle) => in_flight = Some((pulled, handle)),
                    Err(e) => {
                        remove_temps(&pulled);
                        return Err(BackupError::NoChecksum { detail: format!("could not start a thread: {e}") });
                    }
                }
            }
        });
        self.sync_dirty()?;
        result
    }

    /// Pulls one file for its first or second attempt (the second asks the phone for its current size and date
    /// first). `None` when the file failed alone (reported).
    fn pull_attempt(
        &mut self,
        planned: &'a PlannedFile,
        attempt: u8,
        next: Option<&[u8]>,
    ) -> Result<Option<Pulled<'a>>, BackupError> {
        let (size, mtime) = if attempt == 0 {
            (planned.file.size, planned.file.mtime)
        } else {
            let stat = match self.session()?.stat(&planned.file.path) {
                Ok(stat) => stat,
                Err(e) => {
                    self.session = None;
                    return Err(self.stop_error(e));
                }
            };
            let Some(stat) = stat.filter(crate::device::FileStat::is_file) else {
                self.fail(&planned.file.path, "it is no longer on the phone".to_string());
                return Ok(None);
            };
            (stat.size, stat.mtime)
        };
        match self.pull(planned, size, mtime, next) {
            Ok(p) => Ok(Some(Pulled { attempt, ..p })),
            Err(PullFailure::File(reason)) => {
                self.fail(&planned.file.path, reason);
                Ok(None)
            }
            Err(PullFailure::Stop(e)) => Err(e),
        }
    }

    /// Takes a checked batch: records the copies that match the phone's checksum, queues the others again (or
    /// reports them after their second try). Temp files not recorded are removed.
    fn settle(
        &mut self,
        batch: Vec<Pulled<'a>>,
        sums: Sums,
        queue: &mut VecDeque<(&'a PlannedFile, u8)>,
    ) -> Result<(), BackupError> {
        let sums = match sums {
            Ok(sums) => sums,
            Err(e) => {
                remove_temps(&batch);
                return Err(match e {
                    BackupError::ConnectionLost { source, .. } | BackupError::Device { source } => {
                        self.stop_error(source)
                    }
                    e => e,
                });
            }
        };
        let mut batch = batch.into_iter();
        for (p, phone_sum) in batch.by_ref().zip(sums) {
            // A size other than expected means the file changed since: its mtime is unknown, so retry.
            if phone_sum.as_deref() == Some(p.sha256.as_str()) && p.size == p.expected_size {
                if let Err(e) = self.record(p) {
                    remove_temps(&batch.collect::<Vec<_>>());
                    return Err(e);
                }
            } else {
                let _ = std::fs::remove_file(&p.tmp);
                if p.attempt == 0 {
                    queue.push_back((p.planned, 1));
                } else {
                    self.fail(
                        &p.planned.file.path,
                        "the copy did not match the phone's checksum, twice (the file may be changing on the \
                         phone, or the connection corrupts data); it was not kept. Run the backup again later"
                            .to_string(),
                    );
                }
            }
        }
        self.phase = Phase::Pulling;
        self.notify(true);
        self.sync_dirty()
    }

    /// Makes the renames of recorded files durable (one fsync per folder), then the journal lines naming them.
    fn sync_dirty(&mut self) -> Result<(), BackupError> {
        for dir in std::mem::take(&mut self.dirty_dirs) {
            sync_dir(&dir)?;
        }
        self.journal.sync()
    }

    fn save(&mut self) -> Result<(), BackupError> {
        self.sync_dirty()?;
        self.manifest.save_in(&self.plan.dest, self.plan.vault.as_deref())?;
        self.unsaved = 0;
        Ok(())
    }

    fn session(&mut self) -> Result<&mut SyncSession, BackupError> {
        let session = match self.session.take() {
            Some(session) => session,
            None => self.device.sync().map_err(|e| self.stop_error(e))?,
        };
        Ok(self.session.insert(session))
    }

    /// Pulls one file into a new temp file while hashing it; dates and fsyncs the temp file. `next`, the file
    /// pulled after it, is asked for at once (the phone sends it as soon as this one is done).
    fn pull(
        &mut self,
        planned: &'a PlannedFile,
        size: u64,
        mtime: i64,
        next: Option<&[u8]>,
    ) -> Result<Pulled<'a>, PullFailure> {
        let path = &planned.file.path;
        self.journal.started(path).map_err(PullFailure::Stop)?;
        self.tmp_counter += 1;
        let tmp = self.tmp_dir.join(format!("{}.part", self.tmp_counter));
        let file = File::create(&tmp).map_err(|e| PullFailure::Stop(BackupError::disk("create a file", &tmp, e)))?;
        let buffered = BufWriter::with_capacity(256 * 1024, file);
        let sink = match &self.plan.vault {
            Some(vault) => match vault.encrypt(buffered) {
                Ok(writer) => Sink::Encrypted(writer),
                Err(e) => {
                    let _ = std::fs::remove_file(&tmp);
                    return Err(PullFailure::Stop(BackupError::disk("encrypt the copy", &tmp, e)));
                }
            },
            None => Sink::Plain(buffered),
        };
        // The hash is of the plaintext: the phone's checksum, and the manifest's, are of the photo itself.
        let mut out = HashingWriter { inner: sink, hasher: Sha256::new() };
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
            session.pull_then(path, next, &mut out, &mut |n| {
                seen = n;
                if cancel.is_cancelled() {
                    return Err(Cancelled);
                }
                if last.elapsed() >= PROGRESS_INTERVAL {
                    last = Instant::now();
                    let counts = Counts { files_done, files_total, bytes_done: base + n, bytes_total };
                    progress.update(&ProgressState::measure(Phase::Pulling, counts, Some(&current), started));
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
        let encrypted = matches!(out.inner, Sink::Encrypted(_));
        let file = out.inner.finish().map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            PullFailure::Stop(BackupError::disk("write the copy", &tmp, e))
        })?;
        // An encrypted copy shows no date: the manifest keeps it.
        if !encrypted && let Err(e) = set_mtime(&file, mtime) {
            let _ = std::fs::remove_file(&tmp);
            return Err(PullFailure::Stop(BackupError::disk("write the copy", &tmp, e)));
        }
        Ok(Pulled { planned, attempt: 0, tmp, sha256, size: received, expected_size: size, mtime, file: Some(file) })
    }

    /// Moves a verified copy into place and records it.
    fn record(&mut self, p: Pulled<'a>) -> Result<(), BackupError> {
        let dest = self.plan.dest.clone();
        let vault = self.plan.vault.as_deref();
        let mut local = p.planned.local_path.clone();
        let mut target = file_path_in(&dest, &local, vault);
        if std::fs::symlink_metadata(&target).is_ok() {
            // Something appeared there since the plan: never overwrite it.
            self.taken.remove(&local);
            local = free_name(&dest, &local, &self.taken, vault);
            self.taken.insert(local.clone());
            target = file_path_in(&dest, &local, vault);
        }
        let parent = target.parent().unwrap_or(&dest).to_path_buf();
        std::fs::create_dir_all(&parent).map_err(|e| BackupError::disk("create the folder", &parent, e))?;
        if self.store_once(&p, &target) {
            let _ = std::fs::remove_file(&p.tmp);
            self.report.stored_once += 1;
            self.report.bytes_stored_once += p.size;
        } else {
            std::fs::rename(&p.tmp, &target).map_err(|e| BackupError::disk("move the copy into place", &target, e))?;
        }
        // Its folder is fsynced once per batch, before the journal is (see `sync_dirty`).
        self.dirty_dirs.insert(parent);
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
        self.by_sha.entry(entry.sha256.clone()).or_insert(self.manifest.files.len());
        self.manifest.files.push(entry.clone());
        self.report.copied.push(entry);
        self.unsaved += 1;
        Ok(())
    }

    /// Stores the verified copy `p` at `target` as a hard link to a copy of the same content the folder already
    /// holds, when that copy re-hashes good now and the filesystem allows it (a damaged copy is never shared,
    /// and FAT/exFAT disks get the plain copy). The manifest keeps each file's own date: restore and free-up
    /// go by it, and a plain folder's two names show the first file's date.
    fn store_once(&self, p: &Pulled<'_>, target: &std::path::Path) -> bool {
        let Some(&i) = self.by_sha.get(&p.sha256) else { return false };
        let Some(existing) = self.manifest.files.get(i) else { return false };
        if p.size == 0 || existing.size != p.size {
            return false;
        }
        let vault = self.plan.vault.as_deref();
        if manifest::check_copy(&self.plan.dest, existing, vault) != manifest::CopyState::Good {
            return false;
        }
        let source = file_path_in(&self.plan.dest, &existing.local_path.0, vault);
        // A different date: a reflink (btrfs, XFS) shares the blocks and keeps each file's own date.
        if vault.is_none() && existing.mtime != p.mtime && reflink(&source, target, p.mtime) {
            return true;
        }
        std::fs::hard_link(&source, target).is_ok()
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

/// The phone's checksums of a batch, in order, or why they could not be had.
type Sums = Result<Vec<Option<String>>, BackupError>;

/// Removes the temp files of copies that will not be recorded.
fn remove_temps(pulled: &[Pulled<'_>]) {
    for p in pulled {
        let _ = std::fs::remove_file(&p.tmp);
    }
}

/// Takes the next batch off the queue: as many files as fit in one `sha256sum` command, up to
/// [`MAX_BATCH_FILES`] files and [`MAX_BATCH_BYTES`] bytes, and at most a quarter of what is left (at least
/// [`MIN_BATCH_BYTES`]), so that the last batches are small: the check of the very last one is the only one
/// nothing hides.
fn next_batch<'p>(queue: &mut VecDeque<(&'p PlannedFile, u8)>) -> Vec<(&'p PlannedFile, u8)> {
    let left: u64 = queue.iter().map(|(p, _)| p.file.size).sum();
    let limit = (left / 4).clamp(MIN_BATCH_BYTES, MAX_BATCH_BYTES);
    let mut batch = Vec::new();
    let mut len = b"'sha256sum' '--'".len();
    let mut bytes = 0u64;
    while let Some(&(planned, attempt)) = queue.front() {
        let add = crate::device::quote(&planned.file.path).len() + 1;
        let size = planned.file.size;
        if !batch.is_empty()
            && (len + add > MAX_COMMAND_BYTES || batch.len() >= MAX_BATCH_FILES || bytes + size > limit)
        {
            break;
        }
        len += add;
        bytes += size;
        batch.push((planned, attempt));
        queue.pop_front();
    }
    batch
}

/// The checking worker's job for one batch: makes the copies durable (fsync) and asks the phone for their
/// checksums.
fn check_batch(device: &Device, paths: &[Vec<u8>], files: Vec<(PathBuf, File)>) -> Sums {
    let sums = phone_sums(device, paths);
    make_durable(files)?;
    sums
}

/// Flushes the copies to the disk. On Linux one `syncfs` of their file system does it for the whole batch
/// (one journal commit instead of one per file); elsewhere each file is fsynced.
fn make_durable(files: Vec<(PathBuf, File)>) -> Result<(), BackupError> {
    #[cfg(target_os = "linux")]
    if let Some((tmp, file)) = files.first() {
        return rustix::fs::syncfs(file).map_err(|e| BackupError::disk("write the copy", tmp, e.into()));
    }
    for (tmp, file) in files {
        file.sync_all().map_err(|e| BackupError::disk("write the copy", &tmp, e))?;
    }
    Ok(())
}

/// Asks the phone for the checksums of `paths` with one `sha256sum` command.
fn phone_sums(device: &Device, paths: &[Vec<u8>]) -> Sums {
    let refs: Vec<&[u8]> = paths.iter().map(Vec::as_slice).collect();
    let mut args: Vec<&[u8]> = vec![b"sha256sum", b"--"];
    args.extend(&refs);
    let out = device.shell(&command_line(&args)).map_err(|source| BackupError::Device { source })?;
    let sums = parse_sha256sum(&out.stdout, &refs);
    if sums.iter().all(Option::is_none) && (out.exit_code == 127 || out.exit_code == 126) {
        return Err(BackupError::NoChecksum { detail: out.stderr_text().trim().to_string() });
    }
    Ok(sums)
}

fn set_mtime(file: &File, mtime: i64) -> std::io::Result<()> {
    let time = if mtime >= 0 {
        UNIX_EPOCH + Duration::from_secs(mtime as u64)
    } else {
        UNIX_EPOCH - Duration::from_secs(mtime.unsigned_abs())
    };
    file.set_modified(time)
}

/// Makes `target` a reflink of `source` (same blocks, its own inode) dated `mtime`, made durable; false (and
/// nothing left at `target`) where the filesystem cannot.
fn reflink(source: &std::path::Path, target: &std::path::Path, mtime: i64) -> bool {
    #[cfg(target_os = "linux")]
    {
        let made = (|| -> std::io::Result<()> {
            let from = File::open(source)?;
            let to = std::fs::OpenOptions::new().write(true).create_new(true).open(target)?;
            let cloned = rustix::fs::ioctl_ficlone(&to, &from).map_err(std::io::Error::from);
            if let Err(e) = cloned.and_then(|()| set_mtime(&to, mtime)).and_then(|()| to.sync_all()) {
                let _ = std::fs::remove_file(target);
                return Err(e);
            }
            Ok(())
        })();
        made.is_ok()
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = (source, target, mtime);
        false
    }
}
