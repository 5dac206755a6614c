//! Reading the start of many phone files in one round trip.

use crate::device::{Device, DeviceError, command_line};

/// How much of each photo is read for its embedded thumbnail: an EXIF block (APP1) is at most 64 KiB.
pub const HEAD_BYTES: usize = 64 * 1024;

/// Longest command sent at once (the adb server takes requests of up to 64 KiB).
const MAX_COMMAND_BYTES: usize = 48 * 1024;

/// Reads the first `limit` bytes of each of `paths` with as few shell commands as fit (one for a screenful):
/// `head -c LIMIT -- PATH; echo MARK$?` for each, so each file's bytes end at a marker no photo holds and its
/// exit status says whether it could be read. `None` for a file that is gone or unreadable.
///
/// # Errors
/// When the phone cannot be reached.
pub fn read_heads(device: &Device, paths: &[&[u8]], limit: usize) -> Result<Vec<Option<Vec<u8>>>, DeviceError> {
    let wanted: Vec<(&[u8], usize)> = paths.iter().map(|&p| (p, limit)).collect();
    read_prefixes(device, &wanted)
}

/// Like [`read_heads`] with a length for each file: the first `len` bytes of each `(path, len)` (a HEIC's head up
/// to the end of its thumbnail item).
///
/// # Errors
/// When the phone cannot be reached.
pub fn read_prefixes(device: &Device, wanted: &[(&[u8], usize)]) -> Result<Vec<Option<Vec<u8>>>, DeviceError> {
    let spans: Vec<(&[u8], u64, u64, u64)> = wanted.iter().map(|&(p, len)| (p, 0, len as u64, u64::MAX)).collect();
    read_ranges(device, &spans)
}

/// Like [`read_heads`] for any range: `len` bytes at `offset` of each `(path, offset, len, file size)`, all in as
/// few commands as fit. The start of a file is read with `head -c`, its end with `tail -c` (which seeks), a
/// range between with `tail -c +OFFSET | head -c LEN`. `None` for a file that is gone, unreadable or shorter
/// than the range (a range at the start may be cut by the file's end, as with `head`).
///
/// # Errors
/// When the phone cannot be reached.
pub fn read_ranges(device: &Device, wanted: &[(&[u8], u64, u64, u64)]) -> Result<Vec<Option<Vec<u8>>>, DeviceError> {
    let mark = marker();
    let mut out = Vec::with_capacity(wanted.len());
    let mut at = 0;
    while at < wanted.len() {
        let mut line = Vec::new();
        let mut end = at;
        while end < wanted.len() {
            let (path, offset, len, size) = wanted[end];
            let count = len.to_string();
            let mut part = if offset == 0 {
                command_line(&[&b"head"[..], b"-c", count.as_bytes(), b"--", path])
            } else if offset.checked_add(len) == Some(size) {
                command_line(&[&b"tail"[..], b"-c", count.as_bytes(), b"--", path])
            } else {
                // `tail -c +N` starts at byte N, counted from 1. The pipeline's status is head's: the length
                // read says whether the file was there.
                let from = format!("+{}", offset.saturating_add(1));
                let mut line = command_line(&[&b"tail"[..], b"-c", from.as_bytes(), b"--", path]);
                line.extend_from_slice(b" 2>/dev/null | ");
                line.extend_from_slice(&command_line(&[&b"head"[..], b"-c", count.as_bytes()]));
                line
            };
            part.extend_from_slice(b" 2>/dev/null; echo ");
            part.extend_from_slice(mark.as_bytes());
            part.extend_from_slice(b"$?");
            if end > at && line.len() + 2 + part.len() > MAX_COMMAND_BYTES {
                break;
            }
            if !line.is_empty() {
                line.extend_from_slice(b"; ");
            }
            line.extend_from_slice(&part);
            end += 1;
        }
        let stdout = device.shell(&line)?.stdout;
        let files = split_marked(&stdout, mark.as_bytes(), end - at);
        out.extend(
            files
                .into_iter()
                .zip(&wanted[at..end])
                .map(|(bytes, &(_, offset, len, _))| bytes.filter(|b| offset == 0 || b.len() as u64 == len)),
        );
        at = end;
    }
    Ok(out)
}

/// A marker made fresh for each call, so that no file can hold it by design.
fn marker() -> String {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    let mut x = (nanos as u64) ^ u64::from(std::process::id()).rotate_left(32) ^ 0x9e37_79b9_7f4a_7c15;
    let mut words = [0u64; 2];
    for w in &mut words {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        *w = x;
    }
    format!("@PHONEBAK-{:016x}{:016x}@", words[0], words[1])
}

/// Splits `stdout` into `count` files: each file's bytes, then `MARK`, its exit status and a newline.
fn split_marked(stdout: &[u8], mark: &[u8], count: usize) -> Vec<Option<Vec<u8>>> {
    let mut out = Vec::with_capacity(count);
    let mut rest = stdout;
    for _ in 0..count {
        let Some(at) = rest.windows(mark.len()).position(|w| w == mark) else {
            out.push(None);
            continue;
        };
        let data = &rest[..at];
        let after = &rest[at + mark.len()..];
        let line_end = after.iter().position(|&b| b == b'\n').unwrap_or(after.len());
        let ok = &after[..line_end] == b"0";
        out.push(ok.then(|| data.to_vec()));
        rest = after.get(line_end + 1..).unwrap_or_default();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marked_output_splits_into_files_and_failures() {
        let out = b"\xff\xd8abc@M@0\n@M@1\nxyz\n@M@0\n";
        let files = split_marked(out, b"@M@", 3);
        assert_eq!(files, vec![Some(b"\xff\xd8abc".to_vec()), None, Some(b"xyz\n".to_vec())]);
        assert_eq!(split_marked(b"cut sho", b"@M@", 2), vec![None, None]);
    }

    #[test]
    fn markers_differ_between_calls() {
        let a = marker();
        std::thread::sleep(std::time::Duration::from_millis(1));
        assert_ne!(a, marker());
        assert!(a.starts_with("@PHONEBAK-") && a.len() == 43, "{a}");
    }
}
