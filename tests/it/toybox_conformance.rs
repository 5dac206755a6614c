//! The virtual phone's toybox against the real one: every command line runs (a) on a virtual phone that serves
//! a tree of hostile names, and (b) in Debian's toybox 0.8.9 under mksh started as `/system/bin/sh`, on the same
//! tree; standard output, standard error and the exit status must be identical once host paths are mapped back
//! to phone paths. Commands that change the tree run on two fresh, identical copies and the resulting trees are
//! compared too.
//!
//! Left out of the byte comparison, with the reason:
//! - `id`, `whoami`, `getprop`: the phone answers as the shell user and from its own properties (unit-tested
//!   in the library against Android's formats).
//! - `df`: its numbers are the host's on one side and the phone's on the other, so only the format is compared
//!   (`df_prints_toybox_columns_with_the_phone_numbers`).
//! - `ls -b` and `cat -v` on bytes >= 0x80: Debian's x86 toybox sees `char` as signed and prints
//!   `\37777777777`-style escapes where Android's arm64 toybox prints `\377`; the phone follows Android.
//! - `stat %m`/`%C`, `ls -Z`: mount points and security contexts are the phone's, not the host's.

use phonebak::virtual_phone::{Config, StorageSource, VirtualPhone};
use std::ffi::OsStr;
use std::fs::{self, File, FileTimes};
use std::io::Write;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::symlink;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Where the test tree sits on the phone.
const PHONE_TREE: &str = "/sdcard/t";

/// Runs one command line in the virtual phone's shell: (stdout, stderr, exit status).
///
/// The single place that talks to the phone, so that it can later go through a real adb server instead.
fn run_on_phone(phone: &VirtualPhone, command: &[u8]) -> (Vec<u8>, Vec<u8>, i32) {
    let mut out = Vec::new();
    let mut err = Vec::new();
    let status = phonebak::virtual_phone::shell::run(phone.phone(), command, &mut out, &mut err);
    (out, err, status)
}

/// Debian's toybox with one symbolic link per applet, run under mksh as Android runs it.
struct RealToybox {
    bin: tempfile::TempDir,
}

impl RealToybox {
    fn new() -> Self {
        let bin = tempfile::tempdir().expect("bin dir");
        let toybox = Path::new("/usr/bin/toybox");
        assert!(toybox.exists(), "toybox is missing: apt-get install -y toybox mksh");
        let list = Command::new(toybox).output().expect("toybox");
        for applet in String::from_utf8_lossy(&list.stdout).split_whitespace() {
            symlink(toybox, bin.path().join(applet)).expect("applet link");
        }
        Self { bin }
    }

    /// Runs `command` with `mksh -c` (argv[0] `/system/bin/sh`): (stdout, stderr, exit status).
    fn run(&self, command: &[u8]) -> (Vec<u8>, Vec<u8>, i32) {
        let out = Command::new("/usr/bin/mksh")
            .arg0("/system/bin/sh")
            .arg("-c")
            .arg(OsStr::from_bytes(command))
            .env_clear()
            .env("PATH", self.bin.path())
            .env("TZ", "UTC")
            .env("LANG", "C.UTF-8")
            .env("HOME", "/")
            .current_dir("/")
            .stdin(Stdio::null())
            .output()
            .expect("run mksh (apt-get install -y mksh)");
        (out.stdout, out.stderr, out.status.code().unwrap_or(-1))
    }
}

/// Replaces every occurrence of `from` by `to`.
fn replace(data: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    if from.is_empty() {
        return data.to_vec();
    }
    let mut out = Vec::with_capacity(data.len());
    let mut i = 0;
    while i < data.len() {
        if data[i..].starts_with(from) {
            out.extend_from_slice(to);
            i += from.len();
        } else {
            out.push(data[i]);
            i += 1;
        }
    }
    out
}

/// The hostile names every directory listing and hash must survive.
fn hostile_names() -> Vec<Vec<u8>> {
    let mut long = vec![b'L'; 251];
    long.extend_from_slice(b".jpg");
    vec![
        b"it's \"quoted\".jpg".to_vec(),
        b"$(touch x).jpg".to_vec(),
        b"`id`.png".to_vec(),
        b"with space.mp4".to_vec(),
        b"new\nline.jpg".to_vec(),
        b"-leading.jpg".to_vec(),
        long,
        "😀 smile.jpg".as_bytes().to_vec(),
        b"back\\slash.jpg".to_vec(),
        b"[brackets]*?.jpg".to_vec(),
        b".hidden.jpg".to_vec(),
        b"UPPER.JPG".to_vec(),
        b"tab\there.jpg".to_vec(),
    ]
}

fn set_mtime(path: &Path, secs: u64, atime: SystemTime) {
    let file = File::open(path).expect("open for times");
    let times = FileTimes::new().set_modified(UNIX_EPOCH + Duration::from_secs(secs)).set_accessed(atime);
    file.set_times(times).expect("set times");
}

/// Builds the tree under `base/t` (deterministic: the same names, contents and times every time).
fn build_tree(base: &Path) -> PathBuf {
    let root = base.join("t");
    // Recent access times, later than every mtime: reading a file then leaves them alone (relatime).
    let atime = SystemTime::now();
    let mut stamp = 1_600_000_000u64;
    let mut next = || {
        stamp += 86_400 + 3_661;
        stamp
    };
    let dirs = ["DCIM", "DCIM/Camera", "Pictures", "Pictures/sub", "sizes", "names", "bytes", "empty", "texts"];
    for d in dirs {
        fs::create_dir_all(root.join(d)).expect("mkdir");
    }
    let write = |rel: &Path, content: &[u8]| {
        let mut f = File::create(root.join(rel)).expect("create");
        f.write_all(content).expect("write");
    };
    let mut files: Vec<(PathBuf, Vec<u8>)> = Vec::new();
    for (i, size) in [0usize, 1, 100, 1000, 4096, 65_537, 1_500_000].into_iter().enumerate() {
        let content: Vec<u8> = (0..size).map(|j| ((j * 31 + i * 7) % 251) as u8).collect();
        files.push((PathBuf::from(format!("sizes/f{size}")), content));
    }
    for n in 1..=3 {
        files.push((PathBuf::from(format!("DCIM/Camera/IMG_000{n}.jpg")), vec![b'J'; n * 700]));
    }
    files.push((PathBuf::from("DCIM/Camera/VID_0001.MP4"), vec![b'V'; 5000]));
    files.push((PathBuf::from("Pictures/sub/deep.png"), b"\x89PNG\r\n".to_vec()));
    files.push((PathBuf::from("texts/lines.txt"), b"one\ntwo words\n\tthree\x01\nfour\n\nsix\nseven\n".to_vec()));
    files.push((PathBuf::from("texts/noeol.txt"), b"no newline at end".to_vec()));
    files.push((PathBuf::from("texts/utf8.txt"), "héllo wörld 😀\nçà\n".as_bytes().to_vec()));
    for (i, name) in hostile_names().into_iter().enumerate() {
        let mut rel = b"names/".to_vec();
        rel.extend_from_slice(&name);
        files.push((PathBuf::from(OsStr::from_bytes(&rel)), format!("content {i}\n").into_bytes()));
    }
    files.push((PathBuf::from(OsStr::from_bytes(b"bytes/bad\xff\xfe.jpg")), b"latin1".to_vec()));
    for (rel, content) in &files {
        write(rel, content);
        set_mtime(&root.join(rel), next(), atime);
    }
    // Directories last (children first), after their content stopped changing.
    let mut all_dirs: Vec<&str> = dirs.to_vec();
    all_dirs.sort_by_key(|d| std::cmp::Reverse(d.len()));
    for d in all_dirs {
        set_mtime(&root.join(d), next(), atime);
    }
    set_mtime(&root, next(), atime);
    set_mtime(base, next(), atime);
    root
}

/// One compared command: the line (with `@T` for the tree) and where the tree is on the phone.
struct Case {
    line: Vec<u8>,
    phone_tree: &'static str,
}

fn case(line: impl AsRef<[u8]>) -> Case {
    Case { line: line.as_ref().to_vec(), phone_tree: PHONE_TREE }
}

/// Runs a case on both sides and returns a description of the difference, if any.
fn compare(phone: &VirtualPhone, real: &RealToybox, host_tree: &Path, c: &Case) -> Option<String> {
    let host_tree_bytes = host_tree.as_os_str().as_bytes();
    let phone_line = replace(&c.line, b"@T", c.phone_tree.as_bytes());
    let host_line = replace(&c.line, b"@T", host_tree_bytes);
    let on_phone = run_on_phone(phone, &phone_line);
    let (out, err, status) = real.run(&host_line);
    let unhost = |data: &[u8]| {
        let data = replace(data, host_tree_bytes, c.phone_tree.as_bytes());
        replace(&data, real.bin.path().as_os_str().as_bytes(), b"/system/bin")
    };
    let expected = (unhost(&out), unhost(&err), status);
    println!("compared: {}", String::from_utf8_lossy(&phone_line).escape_debug());
    (on_phone != expected).then(|| {
        format!(
            "command {:?}\n  phone:  status {} stdout {:?} stderr {:?}\n  toybox: status {} stdout {:?} stderr {:?}",
            String::from_utf8_lossy(&phone_line),
            on_phone.2,
            String::from_utf8_lossy(&on_phone.0),
            String::from_utf8_lossy(&on_phone.1),
            expected.2,
            String::from_utf8_lossy(&expected.0),
            String::from_utf8_lossy(&expected.1),
        )
    })
}

fn start_phone(base: &Path) -> VirtualPhone {
    VirtualPhone::start(Config { storage: StorageSource::Dir(base.to_path_buf()), ..Default::default() })
        .expect("start the virtual phone")
}

/// The command lines that only read the tree.
fn read_only_cases() -> Vec<Case> {
    let mut cases: Vec<Case> = [
        // ls
        "ls @T",
        "ls -a @T",
        "ls -A @T",
        "ls -1 @T/DCIM/Camera",
        "ls -l @T",
        "ls -la @T/DCIM",
        "ls -ln @T/sizes",
        "ls -lA @T/names",
        "ls -ld @T @T/DCIM",
        "ls -d @T/sizes/f0 @T/DCIM",
        "ls -R @T",
        "ls -lR @T/DCIM",
        "ls -lh @T/sizes",
        "ls -lS @T/sizes",
        "ls -t @T/sizes",
        "ls -rt @T/sizes",
        "ls -r @T",
        "ls -p @T",
        "ls -F @T @T/sizes",
        "ls -s @T/sizes",
        "ls -sh @T/sizes",
        "ls -i @T/sizes",
        "ls -lin @T/sizes",
        "ls -go @T/sizes",
        "ls -g @T/DCIM",
        "ls -o @T/DCIM",
        "ls -lc @T/sizes",
        "ls -lu @T/sizes",
        "ls --full-time @T/sizes",
        "ls -ll @T/DCIM/Camera",
        "ls -f @T/sizes/f1 @T/DCIM @T/sizes/f0",
        "ls -lf @T/sizes/f1 @T/sizes/f1000",
        "ls -lnf @T/sizes/f1 @T/sizes/f1000",
        "ls -m @T/sizes",
        "ls -C @T/sizes",
        "ls -x @T/sizes",
        "ls -C -w 30 @T/DCIM/Camera @T/sizes",
        "ls -q @T/names",
        "ls -N @T/names",
        "ls --color @T",
        "ls --color=auto @T",
        "ls @T/sizes/f0 @T/DCIM @T/sizes/f1",
        "ls @T/DCIM @T/Pictures",
        "ls -d @T/DCIM/",
        "ls @T/sizes/f1/",
        "ls @T/missing @T/sizes/f1",
        "ls @T/empty",
        "ls -la @T/empty",
        "ls @T/DCIM/../sizes",
        "ls -z",
        "ls --bogus @T",
        "ls -w",
        "ls -1 @T/bytes",
        "ls -l @T/bytes",
        "ls @T/names/-leading.jpg",
        "ls -- -x",
        "ls -b @T/names",
        "ls -lb @T/names",
        "ls -C @T/names",
        "ls -m @T/names",
        "ls -x @T/DCIM/Camera",
        "ls -ls @T/sizes",
        "ls -lh @T",
        "ls -a @T/empty/..",
        "ls @T/./DCIM/./Camera",
        "ls -lR @T",
        "find @T/names -name '*quoted*'",
        "find @T/names -name '*\\**'",
        "find @T/names -name '*[[:space:]]*'",
        "find @T/bytes",
        "find @T/names -iname '*.jpg' -type f -size -1k",
        "stat -c %n @T/bytes/*",
        "stat -c '%n' @T/DCIM/..",
        "wc @T/names/*",
        "head -n 1 @T/names/*",
        "wc -c < @T/sizes/f100",
        "md5sum < @T/sizes/f100",
        "head -c 5 < @T/texts/lines.txt",
        "cat @T/texts/lines.txt | wc -l",
        "ls @T | head -n 2",
        "find @T -type f | wc -l",
        "cat @T/sizes/f65537 | md5sum",
        "sha256sum @T/sizes/f1000 | head -c 20",
        "ls @T/missing 2>&1; echo status $?",
        "md5sum - < @T/sizes/f1",
        "ls /nonexistent",
        // stat
        "stat -c '%s %Y %n' @T/sizes/f0 @T/sizes/f1000 @T/sizes/f1500000",
        "stat -c '%a %F %n' @T @T/DCIM @T/sizes/f0 @T/sizes/f1",
        "stat -c '%y|%x|%z|%X|%Z|%u|%g|%U|%G|%A|%h|%i|%N|%b|%B|%o|%d|%D|%f|%t|%T' @T/sizes/f100",
        "stat -c '[%10s] [%-12n] [%05a] [%x] [%.8s] [%%] [%q]' @T/sizes/f100",
        "stat @T/sizes/f100 @T/DCIM",
        "stat -t @T/sizes/f4096",
        "stat @T/missing",
        "stat -c '%s %n' @T/names/*",
        "stat -c",
        "stat",
        "stat -c '%s %' @T/sizes/f1",
        // find
        "find @T",
        "find @T -type f",
        "find @T -type d",
        "find @T -name '*.jpg'",
        "find @T -iname '*.JPG'",
        "find @T -name 'f1*' -type f",
        "find @T -maxdepth 1",
        "find @T -maxdepth 0",
        "find @T -mindepth 2 -type d",
        "find @T -mindepth 3",
        "find @T -newer @T/sizes/f100",
        "find @T/names -print0",
        "find @T -size +1",
        "find @T -size -2c",
        "find @T -size 0",
        "find @T -empty",
        "find @T ! -type d -name 'f*'",
        "find @T -type f -o -name DCIM",
        "find @T \\( -name 'IMG*' -o -name 'deep*' \\) -print",
        "find @T -path '*Camera*'",
        "find @T -mtime +1000",
        "find @T -amin -600 -type f -name 'f*'",
        "find @T -printf '%p|%f|%s|%m|%M|%P\\n'",
        "find @T/DCIM @T/sizes -type f",
        "find @T -depth -type d",
        "find @T -name '*.jpg' -quit",
        "find @T -type x",
        "find @T -bogus",
        "find @T -name",
        "find @T/missing",
        "find @T -newer @T/missing",
        "find @T -not -type f",
        "find @T -type f -a -size +10",
        "find @T -prune",
        "find @T -name DCIM -prune -o -type f -print",
        // hashes
        "md5sum @T/sizes/f0 @T/sizes/f1 @T/sizes/f65537 @T/sizes/f1500000",
        "sha256sum @T/sizes/f1000",
        "sha1sum @T/sizes/f4096",
        "sha224sum @T/sizes/f100",
        "sha384sum @T/sizes/f100",
        "sha512sum @T/sizes/f65537",
        "md5sum -b @T/sizes/f100",
        "md5sum @T/names/*",
        "sha256sum @T/names/*",
        "md5sum @T/DCIM",
        "md5sum @T/missing @T/sizes/f1",
        "md5sum -s @T/sizes/f1",
        "md5sum -z",
        // head, cat, wc
        "head -c 10 @T/sizes/f1000",
        "head -c 5000 @T/sizes/f65537",
        "head -n 3 @T/texts/lines.txt",
        "head @T/texts/lines.txt",
        "head -n 2 @T/texts/lines.txt @T/texts/noeol.txt",
        "head -q -n 1 @T/texts/lines.txt @T/texts/noeol.txt",
        "head -v -n 1 @T/texts/lines.txt",
        "head -2 @T/texts/lines.txt",
        "head -c 0 @T/texts/lines.txt",
        "head -n 0 @T/texts/lines.txt",
        "head -c x @T/texts/lines.txt",
        "head -n",
        "head -c 3k @T/sizes/f65537",
        "head @T/missing @T/texts/noeol.txt",
        "head --bytes=4 @T/texts/lines.txt",
        "cat @T/texts/lines.txt",
        "cat @T/sizes/f1500000",
        "cat -e @T/texts/lines.txt",
        "cat -t @T/texts/lines.txt",
        "cat -v @T/texts/lines.txt",
        "cat -A @T/texts/lines.txt",
        "cat @T/names/*",
        "wc -c @T/sizes/f0 @T/sizes/f1 @T/sizes/f1500000",
        "wc -c @T/sizes/f100",
        "wc -l @T/texts/lines.txt",
        "wc @T/texts/lines.txt",
        "wc @T/texts/lines.txt @T/texts/noeol.txt",
        "wc -lw @T/texts/noeol.txt",
        "wc -m @T/texts/utf8.txt",
        "wc -mc @T/texts/utf8.txt",
        "wc @T/DCIM",
        "wc @T/missing",
        // names
        "basename /a/b/",
        "basename @T/DCIM/Camera/IMG_0001.jpg .jpg",
        "basename -a a/b c/d/ /",
        "basename -s .jpg a.jpg b.jpg .jpg",
        "basename a b c",
        "basename",
        "dirname /a/b/ c a/b /x /",
        "dirname",
    ]
    .into_iter()
    .map(case)
    .collect();
    for name in hostile_names() {
        // Names quoted for the shell: single quotes, with ' written as '\''.
        let quoted = replace(&name, b"'", b"'\\''");
        let mut line = b"ls -l @T/names/'".to_vec();
        line.extend_from_slice(&quoted);
        line.push(b'\'');
        cases.push(case(&line));
        let mut line = b"md5sum -- @T/names/'".to_vec();
        line.extend_from_slice(&quoted);
        line.extend_from_slice(b"' @T/names/'");
        line.extend_from_slice(&quoted);
        line.push(b'\'');
        cases.push(case(&line));
        let mut line = b"stat -c '%s %a %n' @T/names/'".to_vec();
        line.extend_from_slice(&quoted);
        line.push(b'\'');
        cases.push(case(&line));
    }
    cases
}

fn compare_all(cases: &[Case]) {
    let base = tempfile::tempdir().expect("temp dir");
    let tree = build_tree(base.path());
    let phone = start_phone(base.path());
    let real = RealToybox::new();
    let differences: Vec<String> = cases.iter().filter_map(|c| compare(&phone, &real, &tree, c)).collect();
    println!("{} commands compared, {} differ", cases.len(), differences.len());
    assert!(
        differences.is_empty(),
        "{} of {} commands differ:\n{}",
        differences.len(),
        cases.len(),
        differences.join("\n")
    );
}

#[test]
fn read_only_commands_answer_as_real_toybox_does() {
    compare_all(&read_only_cases());
}

/// mksh (Debian's and Android's alike) has no `cat` or `sleep` of its own: these run toybox's, errors included.
/// (`realpath`, on the other hand, is a mksh built-in on both, so toybox's is not compared.)
#[test]
fn cat_and_sleep_reach_toybox_through_the_shell() {
    // Android's mksh (upstream R59c) has a built-in `cat` that runs when no option is given; Debian's mksh
    // package lacks it, so plain `cat` cannot be compared here (the shell's unit tests pin the built-in's
    // output, captured from R59c). With an option, both shells run toybox's `cat`.
    let cases: Vec<Case> = [
        "cat -u @T/texts/lines.txt @T/missing @T/texts/noeol.txt",
        "cat -u @T/DCIM",
        "sleep 0",
        "sleep x",
        "sleep 1q",
        "sleep 0.01 0",
    ]
    .into_iter()
    .map(case)
    .collect();
    compare_all(&cases);
}

/// `sort` (Android's toybox has it), unset variables (they expand to nothing, a word made only of them is no
/// word at all) and a toybox command's own error (no shell prefix), against Debian's toybox under mksh.
#[test]
fn sort_unset_variables_and_toybox_errors_answer_as_real_toybox_under_mksh_does() {
    let cases: Vec<Case> = [
        "sort @T/texts/lines.txt",
        "sort -r @T/texts/lines.txt @T/texts/noeol.txt",
        "sort @T/missing @T/texts/noeol.txt",
        "sort -u @T/texts/lines.txt @T/texts/lines.txt",
        "printf '10\\n9\\n-1\\n2x\\nx\\n\\n09\\n' | sort -n",
        "printf '10\\n9\\n-1\\n9\\n' | sort -nr",
        "printf '10\\n9\\n-1\\n9\\n' | sort -nu",
        "printf 'b\\0a\\0c d\\0' | sort -z",
        "printf 'b\\0a\\0' | sort -zr | wc -c",
        "printf 'a 2\\nb 1\\nc 10\\nd  1\\n' | sort -k2n",
        "printf 'a 2\\nb 1\\nc 10\\n' | sort -k2,2 -r",
        "printf 'a 2 x\\nb 1 y\\nc 1 a\\n' | sort -k2,2n -k3",
        "printf 'a:2\\nb:1\\nc:3\\n' | sort -t: -k2",
        "printf 'a:2:x\\nb:1:z\\n' | sort -t : -k 3r",
        "printf 'ab\\nba\\naa\\n' | sort -k1.2",
        "printf 'x\\nx\\ny\\nX\\n' | sort -u",
        "printf 'B\\na\\nb\\nA\\n' | sort -f",
        "printf 'B\\na\\nb\\nA\\n' | sort -fu",
        "printf ' b\\na\\n  c\\n' | sort -b",
        "printf '1.10\\n1.9\\n1.2\\n' | sort -V",
        "printf '1f\\na\\n0x3\\n' | sort -x",
        "printf 'mar\\nJan\\nfeb\\nxyz\\n' | sort -M",
        "sort -c @T/texts/lines.txt",
        "printf 'a\\nb\\n' | sort -c; echo $?",
        "sort -C @T/texts/lines.txt; echo $?",
        "sort -k1q @T/texts/lines.txt",
        "sort -Q @T/texts/lines.txt",
        "echo \"a\" $UNSET b",
        "echo \"[$UNSET]\" x$UNSET y",
        "$UNSET echo hi",
        "echo \"$UNSET\" | wc -c",
        "ls @T/missing",
        "stat @T/missing; echo $?",
    ]
    .into_iter()
    .map(case)
    .collect();
    compare_all(&cases);
}

/// `tail`, which the thumbnails use to read a range of a video (`tail -c N` its index at the end, `tail -c +N |
/// head -c LEN` a keyframe), against Debian's toybox under mksh.
#[test]
fn tail_answers_as_real_toybox_under_mksh_does() {
    let cases: Vec<Case> = [
        "tail @T/texts/lines.txt",
        "tail -n 2 @T/texts/lines.txt",
        "tail -n +3 @T/texts/lines.txt",
        "tail -n 1 @T/texts/noeol.txt",
        "tail -n 0 @T/texts/lines.txt",
        "tail -n +0 @T/texts/lines.txt",
        "tail -3 @T/texts/lines.txt",
        "tail -c 5 @T/texts/lines.txt",
        "tail -c +5 @T/texts/lines.txt",
        "tail -c +1 @T/texts/noeol.txt",
        "tail -c 0 @T/texts/noeol.txt",
        "tail -c +0 @T/texts/noeol.txt",
        "tail -c 100000 @T/texts/noeol.txt",
        "tail -c +100000 @T/texts/noeol.txt",
        "tail -c 1000 -- @T/sizes/f1500000 | md5sum",
        "tail -c +65000 @T/sizes/f65537 | wc -c",
        "tail -c +60001 -- @T/sizes/f65537 | head -c 7 | md5sum",
        "tail -c 3 @T/texts/lines.txt @T/missing @T/texts/noeol.txt; echo $?",
        "tail -n 1 @T/texts/lines.txt @T/texts/noeol.txt",
        "printf 'a\\nb\\nc\\n' | tail -n 2",
        "printf 'abcdef' | tail -c 2",
        "printf 'a\\nb\\nc' | tail -n +2",
        "printf 'abc' | tail -c 2 -",
        "tail @T/missing; echo $?",
        "tail -x @T/texts/lines.txt; echo $?",
        "tail -c x @T/texts/lines.txt; echo $?",
        "tail -c 2 @T/DCIM; echo $?",
    ]
    .into_iter()
    .map(case)
    .collect();
    compare_all(&cases);
}

/// A file's state as the comparison sees it.
#[derive(Debug, PartialEq, Eq)]
struct Entry {
    path: Vec<u8>,
    dir: bool,
    size: u64,
    content: Vec<u8>,
    /// The modification time when set explicitly (older than a day), None when "now".
    mtime: Option<i64>,
}

fn snapshot(root: &Path) -> Vec<Entry> {
    use std::os::unix::fs::MetadataExt;
    let mut out = Vec::new();
    let recent = SystemTime::now().duration_since(UNIX_EPOCH).expect("clock").as_secs() as i64 - 86_400;
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(&dir).expect("read dir") {
            let path = entry.expect("entry").path();
            let meta = fs::symlink_metadata(&path).expect("metadata");
            let rel = path.strip_prefix(root).expect("inside").as_os_str().as_bytes().to_vec();
            let content =
                if meta.is_file() && meta.len() < 100_000 { fs::read(&path).expect("read") } else { Vec::new() };
            out.push(Entry {
                path: rel,
                dir: meta.is_dir(),
                size: if meta.is_dir() { 0 } else { meta.len() },
                content,
                mtime: (meta.mtime() < recent).then_some(meta.mtime()),
            });
            if meta.is_dir() {
                stack.push(path);
            }
        }
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    out
}

/// The command lines that change the tree.
fn mutating_cases() -> Vec<Case> {
    [
        "mkdir @T/new",
        "mkdir @T/DCIM",
        "mkdir -p @T/a/b/c",
        "mkdir -p @T/DCIM",
        "mkdir @T/x/y",
        "mkdir -p @T/sizes/f1/x",
        "mkdir -v -p @T/v/w",
        "mkdir -m 700 @T/m",
        "mkdir '@T/$(touch x)dir' @T/'new\nline'",
        "mkdir @T/one @T/DCIM @T/two",
        "mkdir",
        "mkdir -z @T/q",
        "mv @T/sizes/f1 @T/moved",
        "mv @T/sizes/f1 @T/DCIM",
        "mv @T/sizes/f1 @T/sizes/f100 @T/DCIM/Camera",
        "mv @T/missing @T/x",
        "mv -n @T/sizes/f1 @T/sizes/f100",
        "mv -f @T/sizes/f1 @T/sizes/f100",
        "mv @T/sizes/f1 @T/sizes/f100 @T/notadir",
        "mv @T/DCIM @T/sizes/f1",
        "mv @T/empty @T/DCIM",
        "mv @T/DCIM/ @T/D2",
        "mv @T/Pictures @T/DCIM",
        "mv @T/names/-leading.jpg @T/names/'it'\\''s \"quoted\".jpg' @T/empty",
        "mv @T/sizes/f1",
        "mv -T @T/sizes/f1 @T/DCIM",
        "mv -t @T/DCIM @T/sizes/f1 @T/sizes/f0",
        "rm @T/sizes/f1",
        "rm @T/DCIM",
        "rm -r @T/DCIM",
        "rm -f @T/missing",
        "rm @T/missing",
        "rm -rf @T/names @T/missing",
        "rm -v @T/sizes/f1 @T/sizes/f0",
        "rm -rv @T/Pictures",
        "rm @T/empty @T/sizes/f1",
        "rm -r @T/empty",
        "rm",
        "rm -f",
        "rm @T/DCIM/..",
        "rm -r @T/names/'new\nline.jpg' @T/names/'$(touch x).jpg'",
        "touch @T/newfile",
        "touch -d '2020-01-02 03:04:05' @T/sizes/f1",
        "touch -d 2020-01-02T03:04:05Z @T/sizes/f1 @T/DCIM",
        "touch -t 202001020304.05 @T/sizes/f1",
        "touch -t 01020304 @T/sizes/f1",
        "touch -c @T/missing",
        "touch -m -d '2019-05-06 07:08:09' @T/sizes/f1",
        "touch -a -d '2019-05-06 07:08:09' @T/sizes/f1",
        "touch -d bad @T/sizes/f1",
        "touch -d @1600000000 @T/newfile2",
        "touch -d '@1600000000.5' @T/sizes/f1",
        "touch @T/missing/x",
        "touch -r @T/sizes/f100 @T/sizes/f1 @T/created",
        "touch -d 2020-01-02 -t 202001020304 @T/x",
        "touch",
        "touch -d '2021-03-04 05:06' @T/names/'new\nline.jpg' @T/names/'😀 smile.jpg'",
    ]
    .into_iter()
    .map(case)
    .collect()
}

#[test]
fn mutating_commands_answer_and_change_the_tree_as_real_toybox_does() {
    let real = RealToybox::new();
    let cases = mutating_cases();
    let mut differences = Vec::new();
    for c in &cases {
        let phone_base = tempfile::tempdir().expect("temp dir");
        let host_base = tempfile::tempdir().expect("temp dir");
        let phone_tree = build_tree(phone_base.path());
        let host_tree = build_tree(host_base.path());
        let phone = start_phone(phone_base.path());
        // The phone's side runs against its own copy; the comparison maps the host copy's path.
        let phone_line = replace(&c.line, b"@T", c.phone_tree.as_bytes());
        let on_phone = run_on_phone(&phone, &phone_line);
        let host_line = replace(&c.line, b"@T", host_tree.as_os_str().as_bytes());
        let (out, err, status) = real.run(&host_line);
        let unhost = |data: &[u8]| replace(data, host_tree.as_os_str().as_bytes(), c.phone_tree.as_bytes());
        let expected = (unhost(&out), unhost(&err), status);
        println!("compared: {}", String::from_utf8_lossy(&phone_line).escape_debug());
        if on_phone != expected {
            differences.push(format!(
                "command {:?}\n  phone:  {} {:?} {:?}\n  toybox: {} {:?} {:?}",
                String::from_utf8_lossy(&phone_line),
                on_phone.2,
                String::from_utf8_lossy(&on_phone.0),
                String::from_utf8_lossy(&on_phone.1),
                expected.2,
                String::from_utf8_lossy(&expected.0),
                String::from_utf8_lossy(&expected.1),
            ));
        }
        let (phone_after, host_after) = (snapshot(&phone_tree), snapshot(&host_tree));
        if phone_after != host_after {
            let only_phone: Vec<_> = phone_after.iter().filter(|e| !host_after.contains(e)).collect();
            let only_host: Vec<_> = host_after.iter().filter(|e| !phone_after.contains(e)).collect();
            differences.push(format!(
                "tree after {:?}\n  only on the phone: {only_phone:?}\n  only with toybox: {only_host:?}",
                String::from_utf8_lossy(&phone_line)
            ));
        }
    }
    println!("{} commands compared, {} differences", cases.len(), differences.len());
    assert!(differences.is_empty(), "{}", differences.join("\n"));
}

/// Checks toybox's df layout: a left-aligned first column at least `min_first` wide, right-aligned numeric
/// columns whose right edges line up with their headers, and the mount point last. Returns the rows' fields.
fn df_rows(text: &str, min_first: usize) -> Vec<Vec<String>> {
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines.len() >= 2, "df printed no rows: {text:?}");
    let header = lines[0];
    let mounted = header.find("Mounted on").expect("Mounted on column");
    let first_width = header[..mounted].find(' ').expect("first column");
    assert!(header[..first_width].trim_end() == "Filesystem");
    // Right edges of the header's numeric titles.
    let mut edges = Vec::new();
    let mut in_word = false;
    for (i, ch) in header[..mounted].char_indices() {
        if ch != ' ' {
            in_word = true;
        } else if in_word {
            edges.push(i);
            in_word = false;
        }
    }
    assert_eq!(edges.len(), 5, "header {header:?}");
    // The first column is left-aligned and padded to its longest name, at least `min_first`.
    let width = lines.iter().map(|l| l.split(' ').next().unwrap_or("").len()).max().unwrap_or(0).max(min_first);
    for line in &lines {
        let first = line.split(' ').next().unwrap_or("");
        assert!(line[first.len()..=width].bytes().all(|b| b == b' '), "first column not {width} wide: {line:?}");
    }
    lines
        .iter()
        .skip(1)
        .map(|line| {
            for &edge in &edges[1..] {
                assert!(line.as_bytes().get(edge) == Some(&b' '), "column edge {edge} misaligned in {line:?}");
                assert!(line.as_bytes()[edge - 1] != b' ', "column edge {edge} misaligned in {line:?}");
            }
            assert_eq!(&line[mounted - 1..mounted], " ");
            line.split_whitespace().map(str::to_string).collect()
        })
        .collect()
}

/// `df`'s numbers are the host's on one side and the phone's on the other: compare the layout only, and check
/// that the phone reports its own capacity and usage.
#[test]
fn df_prints_toybox_columns_with_the_phone_numbers() {
    let base = tempfile::tempdir().expect("temp dir");
    let tree = build_tree(base.path());
    let phone = start_phone(base.path());
    let real = RealToybox::new();
    let host_line = format!("df {}", tree.display());
    let (out, _, status) = real.run(host_line.as_bytes());
    assert_eq!(status, 0);
    let host_rows = df_rows(&String::from_utf8_lossy(&out), 14);
    let (out, err, status) = run_on_phone(&phone, b"df /sdcard/t");
    assert_eq!((status, err), (0, Vec::new()));
    let rows = df_rows(&String::from_utf8_lossy(&out), 14);
    assert_eq!(rows.len(), host_rows.len());
    let storage = &phone.phone().storage;
    let total = storage.capacity_bytes() / 1024;
    assert_eq!(rows[0][0], "/dev/fuse");
    assert_eq!(rows[0][1], total.to_string());
    assert_eq!(rows[0][2], (storage.used_bytes() / 1024).to_string());
    assert_eq!(rows[0][5], "/storage/emulated");
    let (out, _, _) = real.run(format!("df -h {}", tree.display()).as_bytes());
    df_rows(&String::from_utf8_lossy(&out), 15);
    let (out, _, status) = run_on_phone(&phone, b"df -h /sdcard");
    assert_eq!(status, 0);
    let rows = df_rows(&String::from_utf8_lossy(&out), 15);
    assert_eq!(rows[0][1], "128G");
    let (out, _, _) = run_on_phone(&phone, b"df");
    assert!(df_rows(&String::from_utf8_lossy(&out), 14).iter().any(|r| r[5] == "/storage/emulated"));
}
