//! Shell commands with real exit codes (the shell protocol of `shell,v2,raw:`), and quoting that keeps phone
//! file names data, never shell syntax.
//!
//! `adb_client`'s `shell_command` drops the exit packet, so a failed `sha256sum` would look like a success;
//! here stdout, stderr and the exit code arrive as the phone's shell sent them.

use super::error::DeviceError;
use super::wire::Conn;
use std::io::Write;

/// Shell protocol packet ids (`shell_protocol.h`).
const ID_STDOUT: u8 = 1;
const ID_STDERR: u8 = 2;
const ID_EXIT: u8 = 3;
const ID_CLOSE_STDIN: u8 = 4;

/// What a command printed and how it ended.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ShellOutput {
    /// Standard output, byte for byte.
    pub stdout: Vec<u8>,
    /// Standard error, byte for byte.
    pub stderr: Vec<u8>,
    /// The exit status (0 success, 127 command not found...).
    pub exit_code: i32,
}

impl ShellOutput {
    /// Whether the command exited with 0.
    #[must_use]
    pub fn success(&self) -> bool {
        self.exit_code == 0
    }

    /// Standard output as text (invalid UTF-8 replaced).
    #[must_use]
    pub fn stdout_text(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }

    /// Standard error as text (invalid UTF-8 replaced).
    #[must_use]
    pub fn stderr_text(&self) -> String {
        String::from_utf8_lossy(&self.stderr).into_owned()
    }
}

/// Quotes one argument for the phone's shell: the result is always a single word whose value is exactly
/// `arg`, whatever bytes it holds (quotes, `$(...)`, backticks, newlines, spaces, non-UTF-8).
///
/// Everything goes inside single quotes, where the shell interprets nothing; a single quote ends the quoted
/// part, adds an escaped quote and starts a new one (`'` becomes `'\''`). Quoting cannot stop a command from
/// reading an argument that starts with `-` as an option: pass `--` before file names, or give paths that
/// start with `/` or `./`.
#[must_use]
pub fn quote(arg: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(arg.len() + 2);
    out.push(b'\'');
    for &b in arg {
        if b == b'\'' {
            out.extend_from_slice(b"'\\''");
        } else {
            out.push(b);
        }
    }
    out.push(b'\'');
    out
}

/// Builds a command line from arguments, quoting each one (see [`quote`]).
#[must_use]
pub fn command_line<A: AsRef<[u8]>>(args: &[A]) -> Vec<u8> {
    let mut line = Vec::new();
    for (i, arg) in args.iter().enumerate() {
        if i > 0 {
            line.push(b' ');
        }
        line.extend_from_slice(&quote(arg.as_ref()));
    }
    line
}

/// Runs `command` on a connection already switched to the phone, streaming its output; returns its exit code.
pub(crate) fn run(
    conn: &mut Conn,
    command: &[u8],
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> Result<i32, DeviceError> {
    if command.contains(&0) {
        return Err(DeviceError::BadCommand { why: "it contains a NUL byte".to_string() });
    }
    let mut service = b"shell,v2,raw:".to_vec();
    service.extend_from_slice(command);
    conn.request(&service)?;
    // The command reads no input: say so, as adb does when its standard input ends.
    conn.write_all(&[ID_CLOSE_STDIN, 0, 0, 0, 0])?;
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let mut header = [0u8; 5];
        conn.read_exact(&mut header)?;
        let mut len = u32::from_le_bytes([header[1], header[2], header[3], header[4]]) as usize;
        if header[0] == ID_EXIT {
            if len != 1 {
                return Err(DeviceError::Protocol { what: format!("an exit packet of {len} bytes") });
            }
            let mut code = [0u8; 1];
            conn.read_exact(&mut code)?;
            return Ok(i32::from(code[0]));
        }
        while len > 0 {
            let n = len.min(buf.len());
            conn.read_exact(&mut buf[..n])?;
            let sink: Option<&mut dyn Write> = match header[0] {
                ID_STDOUT => Some(&mut *stdout),
                ID_STDERR => Some(&mut *stderr),
                _ => None,
            };
            if let Some(sink) = sink {
                sink.write_all(&buf[..n])
                    .map_err(|source| DeviceError::Local { action: "keep the command's output", source })?;
            }
            len -= n;
        }
    }
}

/// How `sha256sum` writes a name it has to escape (GNU style: a leading `\` on the line, `\\` and `\n`).
fn escaped(name: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(name.len());
    for &b in name {
        match b {
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            _ => out.push(b),
        }
    }
    out
}

/// Reads the output of `sha256sum -- PATH...` for `paths`, given in this order: one checksum (lowercase hex) per path, `None`
/// for a path it did not print (missing or unreadable). Names are matched byte for byte, not split on lines,
/// so names holding newlines are read right; GNU-style escaped lines are understood too.
#[must_use]
pub fn parse_sha256sum(stdout: &[u8], paths: &[&[u8]]) -> Vec<Option<String>> {
    let mut pos = 0;
    let mut sums = Vec::with_capacity(paths.len());
    for path in paths {
        let rest = &stdout[pos.min(stdout.len())..];
        let (rest, name) = match rest.strip_prefix(b"\\") {
            Some(r) => (r, escaped(path)),
            None => (rest, path.to_vec()),
        };
        let skipped = stdout.len() - pos.min(stdout.len()) - rest.len();
        let matched = rest.get(..64).filter(|h| h.iter().all(u8::is_ascii_hexdigit)).and_then(|hash| {
            let tail = rest.get(64..)?;
            let tail = tail.strip_prefix(b"  ").or_else(|| tail.strip_prefix(b" *"))?;
            let tail = tail.strip_prefix(name.as_slice())?;
            tail.strip_prefix(b"\n")?;
            Some((String::from_utf8_lossy(hash).to_ascii_lowercase(), skipped + 64 + 2 + name.len() + 1))
        });
        match matched {
            Some((hash, used)) => {
                pos += used;
                sums.push(Some(hash));
            }
            None => sums.push(None),
        }
    }
    sums
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_wraps_in_single_quotes_and_escapes_single_quotes() {
        assert_eq!(quote(b"plain"), b"'plain'");
        assert_eq!(quote(b""), b"''");
        assert_eq!(quote(b"it's"), b"'it'\\''s'");
        assert_eq!(quote(b"''"), b"''\\'''\\'''");
    }

    #[test]
    fn quoting_leaves_shell_syntax_and_odd_bytes_inside_the_quotes() {
        for name in [&b"$(touch pwned)"[..], b"`id`", b"a\nb", b"-rf", b"\xff\xfe.jpg", b"a b\tc", b"x;y|z&", b"\\"] {
            let q = quote(name);
            assert_eq!(q.first(), Some(&b'\''));
            assert_eq!(q.last(), Some(&b'\''));
            assert_eq!(&q[1..q.len() - 1], name, "no byte other than ' is changed");
        }
    }

    #[test]
    fn a_command_line_quotes_every_argument() {
        assert_eq!(
            command_line(&["stat", "-c", "%s %Y", "--", "/sdcard/a b"]),
            b"'stat' '-c' '%s %Y' '--' '/sdcard/a b'"
        );
    }

    const A: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    const B: &str = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

    #[test]
    fn sums_are_matched_by_exact_name_even_with_newlines_and_gaps() {
        let out = format!("{A}  /s/line\nbreak.jpg\n{B}  /s/b.jpg\n");
        let paths: [&[u8]; 3] = [b"/s/line\nbreak.jpg", b"/s/missing.jpg", b"/s/b.jpg"];
        let sums = parse_sha256sum(out.as_bytes(), &paths);
        assert_eq!(sums, vec![Some(A.to_string()), None, Some(B.to_string())]);
    }

    #[test]
    fn gnu_escaped_lines_are_understood() {
        let out = format!("\\{A}  /s/a\\nb\\\\c\n");
        let sums = parse_sha256sum(out.as_bytes(), &[b"/s/a\nb\\c"]);
        assert_eq!(sums, vec![Some(A.to_string())]);
    }

    #[test]
    fn a_name_that_only_starts_the_same_does_not_match() {
        let out = format!("{A}  /s/a.jpg.bak\n");
        assert_eq!(parse_sha256sum(out.as_bytes(), &[b"/s/a.jpg"]), vec![None]);
    }
}
