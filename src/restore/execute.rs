//! Carrying out a [`RestorePlan`]: push to a temp name while hashing the backup copy, verify the batch with the
//! phone's `sha256sum`, rename into place without replacing anything, then index in the gallery.

use super::plan::{MAX_COMMAND_BYTES, PlannedRestore, RestorePlan, command_chunks, free_name, phone_sha256};
use super::{RestoreError, STORAGE_ROOT, TEMP_PREFIX, TEMP_SUFFIX, batch_commands, join_path, split_path};
use crate::backup::FailedFile;
use crate::backup::manifest::{file_path_in, hex, open_copy};
use crate::device::{Cancelled, Device, DeviceError, PushAnswer, SyncSession, command_line};
use crate::progress::{CancelToken, Counts, Phase, Progress, ProgressState};
use sha2::{Digest, Sha256};
use std::collections::{BTreeSet, HashSet, VecDeque};
use std::io::{BufReader, Read};
use std::time::{Duration, Instant};

/// Most files pushed before they are checked and renamed.
const MAX_BATCH_FILES: usize = 200;
/// Most bytes pushed before they are checked: a batch is checked while the next one is pushed.
const MAX_BATCH_BYTES: u64 = 64 << 20;
/// The least a batch holds (unless the queue holds less).
const MIN_BATCH_BYTES: u64 = 1 << 20;
/// Free space kept on the phone beyond what the restore needs.
const FREE_MARGIN: u64 = 32 << 20;
/// From this many files to index in one folder, Android 11+ scans the folder once instead of file by file
/// (each `content` command starts a Java process on the phone, a fraction of a second each; a folder scan
/// walks the folder and skips the files it already knows).
const SCAN_FOLDER_FROM: usize = 8;
/// Starts the line that gives each indexing command's exit status.
const STATUS_MARK: &str = "@@phonebak-status:";
/// Least time between two byte-progress updates.
const PROGRESS_INTERVAL: Duration = Duration::from_millis(50);

/// A file put back on the phone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RestoredFile {
    /// Its path in the backup folder.
    pub local_path: Vec<u8>,
    /// Where it is now on the phone.
    pub phone_path: Vec<u8>,
    /// Where it wanted to go (differs from `phone_path` when a different file had the name).
    pub wanted: Vec<u8>,
    /// Its size.
    pub size: u64,
}

impl RestoredFile {
    /// Whether it got another name because a different file had its own.
    #[must_use]
    pub fn renamed(&self) -> bool {
        self.phone_path != self.wanted
    }
}

/// What a restore run did.
#[derive(Debug, Clone, Default)]
pub struct RestoreReport {
    /// Files restored, verified on the phone, in place.
    pub restored: Vec<RestoredFile>,
    /// Bytes of those files.
    pub bytes_restored: u64,
    /// Bytes sent to the phone (more than `bytes_restored` when a file was sent twice).
    pub bytes_pushed: u64,
    /// Files already on the phone with the same content, skipped.
    pub already_there: u64,
    /// Files that could not be restored (the run went on without them); the phone path is where it wanted to go.
    pub failed: Vec<FailedFile>,
    /// Files restored (or found already there) that this run added to the gallery's index.
    pub indexed: u64,
    /// Files the phone would not index, and what it said (they are on the phone; a reboot or the gallery's
    /// own rescan shows them).
    pub not_indexed: Vec<FailedFile>,
    /// Temp files of an earlier, interrupted run that were removed.
    pub stale_temps_removed: u64,
    /// How long the run took.
    pub elapsed: Duration,
}

/// A file waiting to be pushed.
#[derive(Clone, Copy)]
struct Queued<'p> {
    planned: &'p PlannedRestore,
    /// 0 for the first push, 1 for the retry after a checksum mismatch.
    attempt: u8,
    /// Wait for the phone's answer before the next file: its earlier push ended without an answer.
    alone: bool,
}

/// A file pushed to its temp name, not yet checked.
struct Pushed<'p> {
    item: Queued<'p>,
    tmp: Vec<u8>,
}

/// Why one file's push did not give a copy on the phone.
enum PushFailure {
    /// The file alone failed: report it and go on (its temp file, if any, is listed for removal).
    File(String),
    /// The whole run must stop.
    Stop(RestoreError),
    /// The session broke while sending it: the answers to the files sent before tell whether this file is at
    /// fault.
    Broken(DeviceError, Vec<u8>),
}

/// A reader that hashes what it reads.
struct HashingReader<R: Read> {
    inner: R,
    hasher: Sha256,
    read: u64,
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        self.read += n as u64;
        Ok(n)
    }
}

struct Run<'a> {
    plan: &'a RestorePlan,
    device: &'a Device,
    progress: &'a dyn Progress,
    cancel: &'a CancelToken,
    session: Option<SyncSession>,
    taken: std::collections::HashMap<Vec<u8>, HashSet<Vec<u8>>>,
    report: RestoreReport,
    /// Makes this run's temp names unique.
    tag: String,
    tmp_counter: u64,
    /// Temp files on the phone that may exist and are not in place: removed at the end of each batch and of
    /// the run.
    to_remove: BTreeSet<Vec<u8>>,
    /// Restored files whose indexing is settled (indexed or reported) by the check of their batch.
    batch_indexed: HashSet<Vec<u8>>,
    /// Folders a batch's check scanned whole while the next batch was arriving under temp names, and no check
    /// scanned since: scanned once more at the end.
    scanned_folders: BTreeSet<Vec<u8>>,
    started: Instant,
    last_update: Instant,
}

/// Restores what `plan` lists onto `device` (the phone the plan was made on). Checks the phone's free space
/// first; removes temp files of an interrupted run; then pushes, verifies, renames and indexes batch by batch.
/// A file that fails (damaged in the backup, refused by the phone, checksum mismatch twice) is reported in
/// [`RestoreReport::failed`]; a cancel, a lost connection or a full phone stops the run with an error, every
/// file finished before kept in place and no temp file left where the phone can still be reached.
pub fn execute(
    plan: &RestorePlan,
    device: &Device,
    progress: &dyn Progress,
    cancel: &CancelToken,
) -> Result<RestoreReport, RestoreError> {
    let needed = plan.totals.bytes_to_push;
    if needed > 0
        && let Some(free) = plan.free_bytes
        && free < needed.saturating_add(FREE_MARGIN)
    {
        return Err(RestoreError::PhoneFull {
            needed: crate::progress::human_bytes(needed + FREE_MARGIN),
            free: crate::progress::human_bytes(free),
        });
    }
    let now = Instant::now();
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
    let mut run = Run {
        plan,
        device,
        progress,
        cancel,
        session: None,
        taken: plan.taken.clone(),
        report: RestoreReport { already_there: plan.totals.identical_files, ..RestoreReport::default() },
        tag: format!("{:08x}", nanos ^ std::process::id().rotate_left(16)),
        tmp_counter: 0,
        to_remove: plan.stale_temps.iter().cloned().collect(),
        batch_indexed: HashSet::new(),
        scanned_folders: BTreeSet::new(),
        started: now,
        last_update: now,
    };
    run.report.stale_temps_removed = plan.stale_temps.len() as u64;
    let result = run.remove_temps().and_then(|()| run.push_all()).and_then(|()| run.index());
    run.session = None;
    // A stop that left the phone reachable (a cancel, a full phone) cleans up after itself.
    if !matches!(result, Err(RestoreError::ConnectionLost { .. })) {
        let _ = run.remove_temps();
    }
    run.report.elapsed = run.started.elapsed();
    result?;
    run.notify(Phase::Finished, None, true);
    Ok(run.report)
}

impl<'a> Run<'a> {
    fn files_done(&self) -> u64 {
        self.report.restored.len() as u64
    }

    fn notify(&mut self, phase: Phase, current: Option<&[u8]>, force: bool) {
        let now = Instant::now();
        if !force && now.duration_since(self.last_update) < PROGRESS_INTERVAL {
            return;
        }
        self.last_update = now;
        let counts = Counts {
            files_done: self.files_done(),
            files_total: self.plan.totals.files_to_push,
            bytes_done: self.report.bytes_pushed,
            bytes_total: self.plan.totals.bytes_to_push,
        };
        self.progress.update(&ProgressState::measure(phase, counts, current, self.started));
    }

    fn fail(&mut self, wanted: &[u8], reason: String) {
        self.progress.file_failed(wanted, &reason);
        self.report.failed.push(FailedFile { phone_path: wanted.to_vec(), reason });
    }

    fn check_cancel(&self) -> Result<(), RestoreError> {
        if self.cancel.is_cancelled() {
            return Err(RestoreError::Cancelled { files_done: self.files_done() });
        }
        Ok(())
    }

    fn stop(&self, e: DeviceError) -> RestoreError {
        RestoreError::stop(e, self.files_done())
    }

    fn shell(&self, command: &[u8]) -> Result<crate::device::ShellOutput, RestoreError> {
        self.device.shell(command).map_err(|e| self.stop(e))
    }

    /// Removes the temp files listed in `to_remove` (`rm -f`, batched); they are forgotten only once removed.
    fn remove_temps(&mut self) -> Result<(), RestoreError> {
        let temps: Vec<Vec<u8>> = self.to_remove.iter().cloned().collect();
        let refs: Vec<&[u8]> = temps.iter().map(Vec::as_slice).collect();
        for chunk in command_chunks(&refs, |t| t) {
            let mut args: Vec<&[u8]> = vec![b"rm", b"-f", b"--"];
            args.extend(&chunk);
            self.shell(&command_line(&args))?;
            for t in chunk {
                self.to_remove.remove(t);
            }
        }
        Ok(())
    }

    /// Pushes every planned file, batch after batch. While batch k+1 is being pushed, a worker checks batch k
    /// with the phone's `sha256sum` and renames its good copies into place, so the checks cost no time on the
    /// cable. A copy that does not match is pushed once more in a later batch, then reported.
    fn push_all(&mut self) -> Result<(), RestoreError> {
        let mut queue: VecDeque<Queued<'a>> =
            self.plan.to_push.iter().map(|planned| Queued { planned, attempt: 0, alone: false }).collect();
        let mut collisions: Vec<Pushed<'a>> = Vec::new();
        let device = self.device;
        // The folders this restore fills with many files: each batch's check scans them whole.
        let mut per_folder: std::collections::HashMap<&[u8], usize> = std::collections::HashMap::new();
        for planned in &self.plan.to_push {
            *per_folder.entry(split_path(&planned.target).0).or_default() += 1;
        }
        let busy: &HashSet<Vec<u8>> = &per_folder
            .into_iter()
            .filter(|&(_, n)| n >= SCAN_FOLDER_FROM)
            .map(|(folder, _)| folder.to_vec())
            .collect();
        let result = std::thread::scope(|scope| -> Result<(), RestoreError> {
            let mut in_flight: Option<(Vec<Pushed<'a>>, std::thread::ScopedJoinHandle<'_, Checked>)> = None;
            loop {
                let batch = next_batch(&mut queue);
                if batch.is_empty() && in_flight.is_none() {
                    return Ok(());
                }
                let mut pushed = Vec::with_capacity(batch.len());
                // Whether files went to the phone while the previous batch's check ran.
                let pushing = !batch.is_empty();
                let stopped = self.push_batch(batch, &mut pushed, &mut queue).err();
                // The previous batch's check is done by now, or soon: take its results before going on.
                if let Some((batch, handle)) = in_flight.take() {
                    let checked = handle.join().unwrap_or_else(|_| {
                        Err(RestoreError::NoChecksum { detail: "the checking thread failed".to_string() })
                    });
                    self.settle(batch, checked, pushing, &mut queue, &mut collisions)?;
                }
                if let Some(e) = stopped {
                    // The batch settled above may have placed files since the error was made.
                    return Err(e.with_files_done(self.files_done()));
                }
                if pushed.is_empty() {
                    continue;
                }
                // A cancel stops before another batch is checked; what is checked stays.
                self.check_cancel()?;
                let items: Vec<(Vec<u8>, Vec<u8>, String)> = pushed
                    .iter()
                    .map(|p| {
                        (p.tmp.clone(), p.item.planned.target.clone(), p.item.planned.selected.entry.sha256.clone())
                    })
                    .collect();
                self.notify(Phase::Verifying, None, true);
                let sdk = self.plan.sdk;
                let handle = std::thread::Builder::new()
                    .name("restore-check".to_string())
                    .spawn_scoped(scope, move || check_and_place(device, &items, sdk, busy))
                    .map_err(|e| RestoreError::NoChecksum { detail: format!("could not start a thread: {e}") })?;
                in_flight = Some((pushed, handle));
            }
        });
        result?;
        self.retry_collisions(collisions)
    }

    /// Pushes `batch` one file after the other without waiting for each answer, then reads the answers: the
    /// files the phone wrote go to `pushed`. A file the phone refused is reported; files sent after it (the
    /// phone ends the session at a refusal) go back on `queue`, to be pushed alone.
    fn push_batch(
        &mut self,
        batch: Vec<Queued<'a>>,
        pushed: &mut Vec<Pushed<'a>>,
        queue: &mut VecDeque<Queued<'a>>,
    ) -> Result<(), RestoreError> {
        let mut sent: Vec<Pushed<'a>> = Vec::new();
        for item in batch {
            self.check_cancel()?;
            if item.alone {
                self.confirm(&mut sent, pushed, queue, None)?;
            }
            match self.push(item) {
                Ok(p) => sent.push(p),
                Err(PushFailure::File(reason)) => self.fail(&item.planned.selected.target, reason),
                Err(PushFailure::Stop(e)) => return Err(e),
                Err(PushFailure::Broken(e, tmp)) => {
                    let (refused_before, own) = self.confirm(&mut sent, pushed, queue, Some(&tmp))?;
                    self.session = None;
                    match own {
                        Some(PushAnswer::Refused(refused)) => self.refused(item, refused)?,
                        _ if refused_before && !item.alone => queue.push_back(Queued { alone: true, ..item }),
                        _ => self.push_error(item, e)?,
                    }
                }
            }
            let unanswered = self.session.as_ref().map_or(0, SyncSession::unanswered);
            if item.alone || unanswered >= SyncSession::MAX_UNANSWERED {
                self.confirm(&mut sent, pushed, queue, None)?;
            }
        }
        self.confirm(&mut sent, pushed, queue, None)?;
        Ok(())
    }

    /// Reads the phone's answers to the files in `sent` (and to `current`, whose push broke, when one came);
    /// written files move to `pushed`. Returns whether the phone refused one of `sent` (so ended the session),
    /// and the answer about `current`.
    fn confirm(
        &mut self,
        sent: &mut Vec<Pushed<'a>>,
        pushed: &mut Vec<Pushed<'a>>,
        queue: &mut VecDeque<Queued<'a>>,
        current: Option<&[u8]>,
    ) -> Result<(bool, Option<PushAnswer>), RestoreError> {
        let Some(session) = self.session.as_mut() else {
            // No session: nothing was sent on one that is still open.
            return Ok((false, None));
        };
        let answers = session.answers();
        let mut waiting: std::collections::HashMap<Vec<u8>, Pushed<'a>> =
            sent.drain(..).map(|p| (p.tmp.clone(), p)).collect();
        let (mut refused_before, mut own, mut stop) = (false, None, None);
        for (tmp, answer) in answers {
            let Some(p) = waiting.remove(&tmp) else {
                // Else a file sent whose copy in the backup turned out damaged: already reported.
                if current == Some(tmp.as_slice()) {
                    own = Some(answer);
                }
                continue;
            };
            match answer {
                PushAnswer::Written => pushed.push(p),
                PushAnswer::Refused(e) => {
                    self.session = None;
                    refused_before = true;
                    if let Err(e) = self.refused(p.item, e) {
                        stop.get_or_insert(e);
                    }
                }
                PushAnswer::Unknown(e) => {
                    self.session = None;
                    if p.item.alone && !refused_before {
                        // Sent alone and still no answer: the link is gone.
                        stop.get_or_insert(self.stop(e));
                    } else {
                        queue.push_back(Queued { alone: true, ..p.item });
                    }
                }
            }
        }
        // A file sent whose answer did not come back at all (cannot happen: each has one).
        for (_, p) in waiting {
            queue.push_back(Queued { alone: true, ..p.item });
        }
        match stop {
            Some(e) => Err(e),
            None => Ok((refused_before, own)),
        }
    }

    /// Reports a file the phone refused; a full phone stops the run.
    fn refused(&mut self, item: Queued<'a>, e: DeviceError) -> Result<(), RestoreError> {
        match e {
            DeviceError::Remote { message, path, .. } if message.contains("No space left on device") => {
                Err(RestoreError::PhoneFilledUp { files_done: self.files_done(), message, path })
            }
            DeviceError::Remote { message, .. } => {
                self.fail(&item.planned.selected.target, format!("the phone refused it ({message})"));
                Ok(())
            }
            e => self.push_error(item, e),
        }
    }

    /// Reports a file whose push failed with `e`, or stops the run when `e` is not the file's alone.
    fn push_error(&mut self, item: Queued<'a>, e: DeviceError) -> Result<(), RestoreError> {
        let target = &item.planned.selected.target;
        match e {
            DeviceError::Cancelled => Err(RestoreError::Cancelled { files_done: self.files_done() }),
            DeviceError::Local { source, .. } => {
                let local = file_path_in(
                    &self.plan.backup_dir,
                    &item.planned.selected.entry.local_path.0,
                    self.plan.vault.as_deref(),
                );
                self.fail(target, format!("its copy in the backup cannot be read ({source}): {}", local.display()));
                Ok(())
            }
            e @ DeviceError::Remote { .. } => self.refused(item, e),
            e => Err(self.stop(e)),
        }
    }

    /// Takes a checked batch's results: placed files are recorded, mismatches queued again or reported,
    /// files whose name was taken meanwhile kept for a second try.
    fn settle(
        &mut self,
        batch: Vec<Pushed<'a>>,
        checked: Checked,
        pushing: bool,
        queue: &mut VecDeque<Queued<'a>>,
        collisions: &mut Vec<Pushed<'a>>,
    ) -> Result<(), RestoreError> {
        let (outcomes, indexing) = checked.map_err(|e| match e {
            RestoreError::ConnectionLost { source, .. } | RestoreError::Device { source } => self.stop(source),
            e => e,
        })?;
        if let Some(indexing) = indexing {
            self.take_indexing(indexing, pushing);
        }
        for (p, outcome) in batch.into_iter().zip(outcomes) {
            match outcome {
                Outcome::Placed => {
                    let target = p.item.planned.target.clone();
                    self.placed(&p, target);
                }
                Outcome::Mismatch if p.item.attempt == 0 => queue.push_back(Queued { attempt: 1, ..p.item }),
                Outcome::Mismatch => self.fail(
                    &p.item.planned.selected.target,
                    "the copy on the phone did not match the backup's checksum, twice (the connection or the \
                     phone's storage corrupts data); it was not kept. Run the restore again later"
                        .to_string(),
                ),
                Outcome::Collision => collisions.push(p),
            }
        }
        self.notify(Phase::Pushing, None, true);
        Ok(())
    }

    /// Records a file renamed into place at `target`.
    fn placed(&mut self, p: &Pushed<'a>, target: Vec<u8>) {
        self.to_remove.remove(&p.tmp);
        let entry = &p.item.planned.selected.entry;
        self.report.bytes_restored += entry.size;
        self.report.restored.push(RestoredFile {
            local_path: entry.local_path.0.clone(),
            phone_path: target,
            wanted: p.item.planned.selected.target.clone(),
            size: entry.size,
        });
    }

    /// Verified files whose name another file took since the plan: look at the folder again and move each to
    /// a free name, once.
    fn retry_collisions(&mut self, collisions: Vec<Pushed<'a>>) -> Result<(), RestoreError> {
        for p in collisions {
            self.check_cancel()?;
            let (folder, name) = split_path(&p.item.planned.target);
            let listing = self.session()?.list(folder).map_err(|e| self.stop(e))?;
            let taken = self.taken.entry(folder.to_vec()).or_default();
            taken.extend(listing.into_iter().map(|e| e.name));
            let fresh = free_name(name, taken);
            taken.insert(fresh.clone());
            let fresh = join_path(folder, &fresh);
            let outcomes = move_into_place(self.device, &[(p.tmp.clone(), fresh.clone())]).map_err(|e| self.stop(e))?;
            if outcomes.first() == Some(&Outcome::Placed) {
                self.placed(&p, fresh);
            } else {
                self.fail(
                    &p.item.planned.selected.target,
                    "another file kept taking its name on the phone while restoring; run the restore again".to_string(),
                );
            }
        }
        Ok(())
    }

    fn session(&mut self) -> Result<&mut SyncSession, RestoreError> {
        let session = match self.session.take() {
            Some(session) => session,
            None => self.device.sync().map_err(|e| self.stop(e))?,
        };
        Ok(self.session.insert(session))
    }

    /// Pushes one backup copy to a new temp name beside its target, checking the copy against the manifest as
    /// it is read.
    fn push(&mut self, item: Queued<'a>) -> Result<Pushed<'a>, PushFailure> {
        let planned = item.planned;
        let entry = &planned.selected.entry;
        let vault = self.plan.vault.as_deref();
        let local = file_path_in(&self.plan.backup_dir, &entry.local_path.0, vault);
        let file = match std::fs::symlink_metadata(&local) {
            Ok(m) if m.is_file() => open_copy(&self.plan.backup_dir, &entry.local_path.0, vault),
            Ok(_) => return Err(PushFailure::File("its copy in the backup is not a regular file".to_string())),
            Err(e) => Err(e),
        }
        .map_err(|e| PushFailure::File(format!("its copy in the backup cannot be read ({e}): {}", local.display())))?;
        self.tmp_counter += 1;
        let mut name = TEMP_PREFIX.to_vec();
        name.extend_from_slice(format!("{}-{}", self.tag, self.tmp_counter).as_bytes());
        name.extend_from_slice(TEMP_SUFFIX);
        let tmp = join_path(split_path(&planned.target).0, &name);
        // Listed before the first byte goes: whatever happens next, it is removed unless it is moved into place.
        self.to_remove.insert(tmp.clone());
        let mut reader =
            HashingReader { inner: BufReader::with_capacity(256 * 1024, file), hasher: Sha256::new(), read: 0 };
        self.notify(Phase::Pushing, Some(&planned.target), true);
        let base = self.report.bytes_pushed;
        let (cancel, progress, started) = (self.cancel, self.progress, self.started);
        let (files_done, files_total, bytes_total) =
            (self.files_done(), self.plan.totals.files_to_push, self.plan.totals.bytes_to_push);
        let current = planned.target.clone();
        let mut last = Instant::now();
        let mut seen = 0u64;
        let result = {
            let session = self.session().map_err(PushFailure::Stop)?;
            session.send(&mut reader, &tmp, 0o660, entry.mtime, &mut |n| {
                seen = n;
                if cancel.is_cancelled() {
                    return Err(Cancelled);
                }
                if last.elapsed() >= PROGRESS_INTERVAL {
                    last = Instant::now();
                    let counts = Counts { files_done, files_total, bytes_done: base + n, bytes_total };
                    progress.update(&ProgressState::measure(Phase::Pushing, counts, Some(&current), started));
                }
                Ok(())
            })
        };
        self.report.bytes_pushed = base + seen;
        if let Err(e) = result {
            // The phone removes a file whose push failed; the session is done for.
            return Err(match e {
                e @ (DeviceError::BadPath { .. } | DeviceError::TimeOutOfRange { .. }) => {
                    PushFailure::File(e.to_string())
                }
                e => PushFailure::Broken(e, tmp),
            });
        }
        let sha256 = hex(&reader.hasher.finalize());
        if reader.read != entry.size || sha256 != entry.sha256 {
            return Err(PushFailure::File(
                "its copy in the backup is damaged (its checksum differs from the manifest's), so it was not \
                 restored; run `phonebak verify` on the backup folder, and back the phone up again if it still has \
                 the photo"
                    .to_string(),
            ));
        }
        Ok(Pushed { item, tmp })
    }

    /// Asks the phone's media store to index the restored files and the ones found already there but missing
    /// from it.
    fn index(&mut self) -> Result<(), RestoreError> {
        let mut paths: Vec<Vec<u8>> = self
            .report
            .restored
            .iter()
            .map(|r| r.phone_path.clone())
            .filter(|p| !self.batch_indexed.contains(p))
            .collect();
        if !self.plan.identical.is_empty() {
            let indexed = self.indexed_paths()?;
            paths.extend(self.plan.identical.iter().map(|s| s.target.clone()).filter(|t| !indexed.contains(t)));
        }
        if paths.is_empty() && self.scanned_folders.is_empty() {
            return Ok(());
        }
        self.check_cancel()?;
        self.notify(Phase::Indexing, None, true);
        let units = final_scan_units(paths, &self.scanned_folders, self.plan.sdk);
        let indexing = scan(self.device, units, self.plan.sdk, Some(self.cancel)).map_err(|e| self.stop(e))?;
        self.take_indexing(indexing, false);
        Ok(())
    }

    /// Adds what a scan found to the report. A folder scanned while files were `pushing` may hold rows of their
    /// temp files: it is scanned again later (by a later batch's check, or at the end).
    fn take_indexing(&mut self, indexing: Indexing, pushing: bool) {
        self.report.indexed += indexing.indexed.len() as u64;
        self.batch_indexed.extend(indexing.indexed);
        for failed in indexing.not_indexed {
            self.batch_indexed.insert(failed.phone_path.clone());
            self.report.not_indexed.push(failed);
        }
        for folder in indexing.folders {
            if pushing {
                self.scanned_folders.insert(folder);
            } else {
                self.scanned_folders.remove(&folder);
            }
        }
    }

    /// The `_data` paths the media store lists (one `content query` for the whole volume).
    fn indexed_paths(&self) -> Result<HashSet<Vec<u8>>, RestoreError> {
        let out = self.shell(b"content query --uri content://media/external/file --projection _data")?;
        let mut paths = HashSet::new();
        for line in out.stdout.split(|&b| b == b'\n') {
            if !line.starts_with(b"Row: ") {
                continue;
            }
            let Some(at) = line.windows(7).position(|w| w == b" _data=") else { continue };
            let path = &line[at + 7..];
            if path.starts_with(STORAGE_ROOT) {
                paths.insert(path.to_vec());
            } else if let Some(rest) = path.strip_prefix(b"/sdcard") {
                let mut p = STORAGE_ROOT.to_vec();
                p.extend_from_slice(rest);
                paths.insert(p);
            }
        }
        Ok(paths)
    }
}

/// What the check of one pushed file found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    /// Verified and renamed into place.
    Placed,
    /// The phone's checksum differs: push it again.
    Mismatch,
    /// Verified, but a file took its name since the plan: still at its temp name.
    Collision,
}

/// A batch's outcomes, one per file, and the indexing of the files placed (`None` when the scan could not
/// run: they are indexed at the end), or why the check could not run.
type Checked = Result<(Vec<Outcome>, Option<Indexing>), RestoreError>;

/// What the phone's media store said about restored files.
#[derive(Debug, Default)]
struct Indexing {
    /// Files indexed.
    indexed: Vec<Vec<u8>>,
    /// Files the phone would not index, and what it said.
    not_indexed: Vec<FailedFile>,
    /// Folders scanned whole (Android 11+).
    folders: Vec<Vec<u8>>,
}

/// Takes the next batch off the queue: up to [`MAX_BATCH_FILES`] files and [`MAX_BATCH_BYTES`] bytes, and at
/// most a quarter of what is left (at least [`MIN_BATCH_BYTES`]), so that the last batches are small: the
/// check of the very last one is the only one nothing hides.
fn next_batch<'p>(queue: &mut VecDeque<Queued<'p>>) -> Vec<Queued<'p>> {
    let left: u64 = queue.iter().map(|q| q.planned.selected.entry.size).sum();
    let limit = (left / 4).clamp(MIN_BATCH_BYTES, MAX_BATCH_BYTES);
    let mut batch = Vec::new();
    let mut bytes = 0u64;
    while let Some(&item) = queue.front() {
        let size = item.planned.selected.entry.size;
        if !batch.is_empty() && (batch.len() >= MAX_BATCH_FILES || bytes + size > limit) {
            break;
        }
        bytes += size;
        batch.push(item);
        queue.pop_front();
    }
    batch
}

/// Checks pushed temp files `(tmp, target, sha256)` with the phone's `sha256sum`, renames the good ones into
/// place and has the phone's media store index them (runs on a worker thread, over its own connections, so
/// that the gallery shows restored photos while the next batch is on the cable).
fn check_and_place(
    device: &Device,
    items: &[(Vec<u8>, Vec<u8>, String)],
    sdk: u32,
    busy: &HashSet<Vec<u8>>,
) -> Checked {
    let indices: Vec<usize> = (0..items.len()).collect();
    let mut sums = Vec::with_capacity(items.len());
    for chunk in command_chunks(&indices, |i| items[i].0.as_slice()) {
        let paths: Vec<&[u8]> = chunk.iter().map(|&i| items[i].0.as_slice()).collect();
        sums.extend(phone_sha256(device, &paths)?);
    }
    let good: Vec<usize> = (0..items.len()).filter(|&i| sums[i].as_deref() == Some(items[i].2.as_str())).collect();
    let renames: Vec<(Vec<u8>, Vec<u8>)> = good.iter().map(|&i| (items[i].0.clone(), items[i].1.clone())).collect();
    let placed = move_into_place(device, &renames).map_err(|e| RestoreError::stop(e, 0))?;
    let mut outcomes = vec![Outcome::Mismatch; items.len()];
    for (&i, outcome) in good.iter().zip(placed) {
        outcomes[i] = outcome;
    }
    let placed: Vec<Vec<u8>> =
        (0..items.len()).filter(|&i| outcomes[i] == Outcome::Placed).map(|i| items[i].1.clone()).collect();
    // A scan that fails leaves these files to the scan at the end, which reports the failure.
    let indexing = if placed.is_empty() { None } else { scan(device, scan_units(placed, sdk, busy), sdk, None).ok() };
    Ok((outcomes, indexing))
}

/// Asks the phone's media store to scan each unit `(path, restored files it covers)`, in as few shell commands
/// as fit, and reads its answer for each.
fn scan(
    device: &Device,
    units: Vec<(Vec<u8>, Vec<Vec<u8>>)>,
    sdk: u32,
    cancel: Option<&CancelToken>,
) -> Result<Indexing, DeviceError> {
    let parts: Vec<Vec<u8>> = units
        .iter()
        .map(|(arg, _)| {
            let mut part = scan_command(arg, sdk);
            // After whatever the command printed, one status line per command.
            part.extend_from_slice(b" 2>&1; echo ");
            part.extend_from_slice(STATUS_MARK.as_bytes());
            part.extend_from_slice(b"$?");
            part
        })
        .collect();
    let mut output = Vec::new();
    for line in batch_commands(parts, MAX_COMMAND_BYTES / 2) {
        if cancel.is_some_and(CancelToken::is_cancelled) {
            return Err(DeviceError::Cancelled);
        }
        output.extend(device.shell(&line)?.stdout);
    }
    // The answer of unit k is the text after unit k-1's status line; its status starts piece k+1.
    let text = String::from_utf8_lossy(&output).into_owned();
    let pieces: Vec<&str> = text.split(STATUS_MARK).collect();
    let mut indexing = Indexing::default();
    for (k, (arg, covered)) in units.into_iter().enumerate() {
        let piece = pieces.get(k).copied().unwrap_or_default();
        let said = if k == 0 { piece } else { piece.split_once('\n').map_or("", |(_, rest)| rest) }.trim();
        let status = pieces.get(k + 1).and_then(|p| p.lines().next()).map(str::trim);
        if status == Some("0") && !said.contains("Exception") && !said.contains("STREAM=null") {
            if !covered.contains(&arg) {
                indexing.folders.push(arg);
            }
            indexing.indexed.extend(covered);
        } else {
            let reason =
                if said.is_empty() { format!("exit status {}", status.unwrap_or("unknown")) } else { said.to_string() };
            for path in covered {
                indexing.not_indexed.push(FailedFile { phone_path: path, reason: reason.clone() });
            }
        }
    }
    Ok(indexing)
}

/// Renames each `(tmp, target)` with `mv -n -T` (which never replaces a file), batched; says for each whether
/// it moved ([`Outcome::Placed`]) or found its target taken ([`Outcome::Collision`]).
fn move_into_place(device: &Device, renames: &[(Vec<u8>, Vec<u8>)]) -> Result<Vec<Outcome>, DeviceError> {
    let parts: Vec<Vec<u8>> = renames
        .iter()
        .map(|(tmp, target)| {
            let mut part = command_line(&[&b"mv"[..], b"-n", b"-T", b"--", tmp, target]);
            part.extend_from_slice(b"; ");
            part.extend_from_slice(&command_line(&[&b"test"[..], b"-e", tmp]));
            part.extend_from_slice(b"; echo $?");
            part
        })
        .collect();
    let mut answers: Vec<u8> = Vec::new();
    for line in batch_commands(parts, MAX_COMMAND_BYTES) {
        answers.extend(device.shell(&line)?.stdout);
    }
    let answers: Vec<&[u8]> = answers.split(|&b| b == b'\n').map(<[u8]>::trim_ascii).collect();
    let mut outcomes = Vec::with_capacity(renames.len());
    for (i, (tmp, _)) in renames.iter().enumerate() {
        // `test -e TMP` fails (1) once the temp file has been renamed away.
        let moved = match answers.get(i).copied() {
            Some(b"1") => true,
            Some(b"0") => false,
            _ => device.stat(tmp)?.is_none(),
        };
        outcomes.push(if moved { Outcome::Placed } else { Outcome::Collision });
    }
    Ok(outcomes)
}

/// What to ask the media scanner for, each with the restored files it covers: on Android 11+ a folder for the
/// folders with many files among `paths` or in `busy` (`scan_file` on a folder scans it whole), else each
/// file. Names that are not UTF-8 always go alone, so that the phone's answer for them is reported.
fn scan_units(paths: Vec<Vec<u8>>, sdk: u32, busy: &HashSet<Vec<u8>>) -> Vec<(Vec<u8>, Vec<Vec<u8>>)> {
    let mut by_folder: std::collections::BTreeMap<Vec<u8>, Vec<Vec<u8>>> = std::collections::BTreeMap::new();
    let mut units = Vec::new();
    for path in paths {
        if sdk >= 30 && std::str::from_utf8(&path).is_ok() {
            by_folder.entry(split_path(&path).0.to_vec()).or_default().push(path);
        } else {
            units.push((path.clone(), vec![path]));
        }
    }
    for (folder, files) in by_folder {
        if files.len() >= SCAN_FOLDER_FROM || busy.contains(&folder) {
            units.push((folder, files));
        } else {
            units.extend(files.into_iter().map(|f| (f.clone(), vec![f])));
        }
    }
    units
}

/// The scans at the end of a run: `paths` not indexed yet as [`scan_units`] groups them, and each folder in
/// `scanned` once more, whole, covering the paths in it (its last scan saw the temp files of the batch after;
/// scanning the folder again drops their rows and reads only what changed since).
fn final_scan_units(paths: Vec<Vec<u8>>, scanned: &BTreeSet<Vec<u8>>, sdk: u32) -> Vec<(Vec<u8>, Vec<Vec<u8>>)> {
    let mut in_folders: std::collections::BTreeMap<Vec<u8>, Vec<Vec<u8>>> =
        scanned.iter().map(|f| (f.clone(), Vec::new())).collect();
    let mut rest = Vec::new();
    for path in paths {
        match in_folders.get_mut(split_path(&path).0) {
            Some(covered) if std::str::from_utf8(&path).is_ok() => covered.push(path),
            _ => rest.push(path),
        }
    }
    let mut units = scan_units(rest, sdk, &HashSet::new());
    units.extend(in_folders);
    units
}

/// The command that asks the phone's media store to look at `path` again (a file: its row added, refreshed or,
/// when the file is gone, dropped; on Android 11+ a folder: scanned whole): `content call ... scan_file` on
/// Android 11+, the `MEDIA_SCANNER_SCAN_FILE` broadcast before.
pub(crate) fn scan_command(path: &[u8], sdk: u32) -> Vec<u8> {
    if sdk >= 30 {
        command_line(&[
            &b"content"[..],
            b"call",
            b"--uri",
            b"content://media",
            b"--method",
            b"scan_file",
            b"--arg",
            path,
        ])
    } else {
        let mut uri = b"file://".to_vec();
        uri.extend_from_slice(&percent_encode(path));
        command_line(&[&b"am"[..], b"broadcast", b"-a", b"android.intent.action.MEDIA_SCANNER_SCAN_FILE", b"-d", &uri])
    }
}

/// A path as the path of a `file://` URI: every byte but unreserved ones and `/` as `%XX`, so that `#`, `?`,
/// `%` and spaces stay part of the path when Android parses it.
fn percent_encode(path: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(path.len());
    for &b in path {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(b);
        } else {
            out.extend_from_slice(format!("%{b:02X}").as_bytes());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn android_11_scans_busy_folders_whole_and_older_phones_file_by_file() {
        let mut paths: Vec<Vec<u8>> = (0..8).map(|i| format!("/s/DCIM/Camera/{i}.jpg").into_bytes()).collect();
        paths.push(b"/s/Movies/a.mp4".to_vec());
        paths.push(b"/s/DCIM/Camera/\xff.jpg".to_vec());
        let units = scan_units(paths.clone(), 34, &HashSet::new());
        let args: Vec<&[u8]> = units.iter().map(|(arg, _)| arg.as_slice()).collect();
        assert_eq!(args, vec![&b"/s/DCIM/Camera/\xff.jpg"[..], b"/s/DCIM/Camera", b"/s/Movies/a.mp4"]);
        assert_eq!(units[1].1.len(), 8);
        assert_eq!(scan_units(paths, 29, &HashSet::new()).len(), 10);
    }

    #[test]
    fn a_batch_scans_a_folder_the_restore_fills_whole_even_for_one_of_its_files() {
        let busy: HashSet<Vec<u8>> = [b"/s/DCIM/Camera".to_vec()].into();
        let units = scan_units(vec![b"/s/DCIM/Camera/1.jpg".to_vec(), b"/s/Movies/a.mp4".to_vec()], 34, &busy);
        let args: Vec<&[u8]> = units.iter().map(|(arg, _)| arg.as_slice()).collect();
        assert_eq!(args, vec![&b"/s/DCIM/Camera"[..], b"/s/Movies/a.mp4"]);
        assert_eq!(scan_units(vec![b"/s/DCIM/Camera/1.jpg".to_vec()], 29, &busy)[0].0, b"/s/DCIM/Camera/1.jpg");
    }

    #[test]
    fn the_last_scan_covers_every_folder_a_batch_scanned_with_the_files_left_in_it() {
        let scanned: BTreeSet<Vec<u8>> = [b"/s/DCIM/Camera".to_vec(), b"/s/Pictures".to_vec()].into();
        let left = vec![b"/s/DCIM/Camera/late.jpg".to_vec(), b"/s/Movies/a.mp4".to_vec()];
        let units = final_scan_units(left, &scanned, 34);
        let expected: Vec<(Vec<u8>, Vec<Vec<u8>>)> = vec![
            (b"/s/Movies/a.mp4".to_vec(), vec![b"/s/Movies/a.mp4".to_vec()]),
            (b"/s/DCIM/Camera".to_vec(), vec![b"/s/DCIM/Camera/late.jpg".to_vec()]),
            (b"/s/Pictures".to_vec(), vec![]),
        ];
        assert_eq!(units, expected);
    }

    #[test]
    fn uri_paths_escape_what_android_would_read_as_syntax() {
        assert_eq!(percent_encode(b"/s/DCIM/a b#1?.jpg"), b"/s/DCIM/a%20b%231%3F.jpg");
        assert_eq!(percent_encode(b"/s/100%.jpg"), b"/s/100%25.jpg");
        assert_eq!(percent_encode("/s/é.jpg".as_bytes()), b"/s/%C3%A9.jpg");
    }
}
