//! The commands called directly (not through the shell): phone-only answers (`getprop`, `id`, `df`,
//! `realpath`), the places outside the storage, generated and huge files, and a host that goes away.

use super::lookup;
use crate::virtual_phone::media_store::MediaStore;
use crate::virtual_phone::shell::{Ctx, Io};
use crate::virtual_phone::storage::{Storage, SyntheticContent};
use crate::virtual_phone::{AndroidVersion, Phone, Props, Stats};
use std::io::{self, Write};
use std::path::Path;
use std::sync::Arc;

const ANDROID: AndroidVersion = AndroidVersion { release: 14, sdk: 34 };

fn phone(dir: &Path) -> Phone {
    Phone {
        storage: Storage::new(dir, 128 << 30).expect("storage"),
        media: MediaStore::new(ANDROID.sdk),
        contacts: crate::virtual_phone::content::ContactsStore::default(),
        sms: crate::virtual_phone::content::SmsStore::default(),
        calls: crate::virtual_phone::content::CallLogStore::default(),
        props: Props::new("Pixel 7", "VIRT0001", ANDROID),
        android: ANDROID,
        stats: Stats::default(),
        battery: crate::virtual_phone::Battery::default(),
        wlan0: None,
    }
}

/// Runs `argv` on the phone: (stdout, stderr, status).
fn run_with(phone: &Phone, argv: &[&[u8]], stdin: &[u8], stdout: &mut dyn Write) -> (Vec<u8>, i32) {
    let command = lookup(argv[0]).expect("a toybox command");
    let argv: Vec<Vec<u8>> = argv.iter().map(|a| a.to_vec()).collect();
    let mut ctx = Ctx { phone, cwd: b"/".to_vec(), last_status: 0 };
    let mut input = stdin;
    let mut err = Vec::new();
    let status = command(&mut ctx, &argv, &mut Io { stdin: &mut input, stdout, stderr: &mut err });
    (err, status)
}

fn run(phone: &Phone, argv: &[&[u8]]) -> (String, String, i32) {
    let mut out = Vec::new();
    let (err, status) = run_with(phone, argv, b"", &mut out);
    (String::from_utf8_lossy(&out).into_owned(), String::from_utf8_lossy(&err).into_owned(), status)
}

#[test]
fn getprop_prints_one_value_or_every_property_in_brackets() {
    let dir = tempfile::tempdir().expect("temp dir");
    let p = phone(dir.path());
    assert_eq!(run(&p, &[b"getprop", b"ro.product.model"]), ("Pixel 7\n".into(), String::new(), 0));
    assert_eq!(run(&p, &[b"getprop", b"no.such.prop"]), ("\n".into(), String::new(), 0));
    assert_eq!(run(&p, &[b"getprop", b"no.such.prop", b"fallback"]).0, "fallback\n");
    let (all, _, status) = run(&p, &[b"getprop"]);
    assert_eq!(status, 0);
    assert!(all.contains("[ro.build.version.sdk]: [34]\n"), "{all}");
    let keys: Vec<&str> = all.lines().map(|l| l.split("]: [").next().unwrap_or("")).collect();
    let mut sorted = keys.clone();
    sorted.sort_unstable();
    assert_eq!(keys, sorted);
}

#[test]
fn id_answers_as_the_shell_user() {
    let dir = tempfile::tempdir().expect("temp dir");
    let p = phone(dir.path());
    let expected = "uid=2000(shell) gid=2000(shell) groups=2000(shell),1004(input),1007(log),1011(adb),\
                    1015(sdcard_rw),1028(sdcard_r),1078(ext_data_rw),1079(ext_obb_rw),3001(net_bt_admin),\
                    3002(net_bt),3003(inet),3006(net_bw_stats),3009(readproc),3011(uhid),3012(readtracefs) \
                    context=u:r:shell:s0\n";
    assert_eq!(run(&p, &[b"id"]), (expected.into(), String::new(), 0));
    assert_eq!(run(&p, &[b"id", b"-u"]).0, "2000\n");
    assert_eq!(run(&p, &[b"id", b"-un"]).0, "shell\n");
    assert_eq!(run(&p, &[b"id", b"-Z"]).0, "u:r:shell:s0\n");
    assert!(run(&p, &[b"id", b"-G"]).0.starts_with("2000 1004 1007 "));
    assert_eq!(run(&p, &[b"whoami"]).0, "shell\n");
    assert_eq!(run(&p, &[b"id", b"-ug"]).1, "id: No 'g' with 'u' (see \"id --help\")\n");
    assert_eq!(run(&p, &[b"id", b"nosuchuser"]), (String::new(), "id: not integer: nosuchuser\n".into(), 1));
}

#[test]
fn outside_paths_are_refused_without_touching_the_host() {
    let dir = tempfile::tempdir().expect("temp dir");
    let p = phone(dir.path());
    let denied = |cmd: &str, path: &str| format!("{cmd}: {path}: Permission denied\n");
    assert_eq!(run(&p, &[b"ls", b"/data"]), (String::new(), denied("ls", "/data"), 1));
    assert_eq!(run(&p, &[b"cat", b"/data/local/tmp/x"]).1, denied("cat", "/data/local/tmp/x"));
    assert_eq!(run(&p, &[b"md5sum", b"/system/build.prop"]).1, denied("md5sum", "/system/build.prop"));
    assert_eq!(run(&p, &[b"stat", b"-c", b"%s", b"/etc/passwd"]).1, "stat: '/etc/passwd': Permission denied\n");
    assert_eq!(run(&p, &[b"find", b"/proc"]).1, "find: '/proc': Permission denied\n");
    assert_eq!(run(&p, &[b"mkdir", b"-p", b"/data/evil"]).1, "mkdir: '/data/evil': Permission denied\n");
    assert_eq!(run(&p, &[b"touch", b"/data/evil"]).1, "touch: '/data/evil': Permission denied\n");
    assert_eq!(run(&p, &[b"rm", b"-rf", b"/data"]).1, denied("rm", "/data"));
    assert_eq!(run(&p, &[b"ls", b"/nonexistent"]).1, "ls: /nonexistent: No such file or directory\n");
    assert_eq!(run(&p, &[b"ls", b"/sdcard/../../etc"]).1, denied("ls", "/sdcard/../../etc"));
    assert!(!Path::new("/data/evil").exists());
}

#[test]
fn directories_above_the_storage_list_their_fixed_entries() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::create_dir(dir.path().join("DCIM")).expect("mkdir");
    let p = phone(dir.path());
    assert_eq!(run(&p, &[b"ls", b"/"]).0, "sdcard\nstorage\n");
    assert_eq!(run(&p, &[b"ls", b"/storage"]).0, "emulated\nself\n");
    assert_eq!(run(&p, &[b"ls", b"/storage/emulated"]).0, "0\n");
    assert_eq!(run(&p, &[b"ls", b"/storage/emulated/0"]).0, "DCIM\n");
    assert_eq!(
        run(&p, &[b"find", b"/storage/self"]).0,
        "/storage/self\n/storage/self/primary\n/storage/self/primary/DCIM\n"
    );
    let (out, _, status) = run(&p, &[b"ls", b"-ld", b"/storage"]);
    assert_eq!(status, 0);
    assert!(out.starts_with("drwx--x--x 4 root root 4096 1970-01-01 00:00 /storage"), "{out}");
    assert_eq!(run(&p, &[b"rm", b"-r", b"/storage/emulated"]).1, "rm: 0: Permission denied\n");
    std::os::unix::fs::symlink("/etc/passwd", dir.path().join("link")).expect("symlink");
    assert!(run(&p, &[b"ls", b"-l", b"/sdcard/link"]).0.ends_with(" /sdcard/link -> /etc/passwd\n"));
    assert_eq!(run(&p, &[b"cat", b"/sdcard/link"]).2, 1);
}

#[test]
fn realpath_names_the_primary_storage() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::create_dir(dir.path().join("DCIM")).expect("mkdir");
    let p = phone(dir.path());
    assert_eq!(
        run(&p, &[b"realpath", b"/sdcard/DCIM/../DCIM", b"/storage/self/primary/new"]).0,
        "/storage/emulated/0/DCIM\n/storage/emulated/0/new\n"
    );
    assert_eq!(
        run(&p, &[b"realpath", b"/sdcard/missing/x"]).1,
        "realpath: /sdcard/missing/x: No such file or directory\n"
    );
    assert_eq!(run(&p, &[b"realpath", b"/storage/emulated/"]).0, "/storage/emulated\n");
    assert_eq!(run(&p, &[b"dirname", b"//x"]).0, "/\n");
}

#[test]
fn df_reports_the_phone_capacity_and_usage() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("photo.jpg"), vec![7u8; 10_000]).expect("write");
    let p = phone(dir.path());
    let used = p.storage.used_bytes() / 1024;
    let (out, err, status) = run(&p, &[b"df", b"/sdcard"]);
    assert_eq!((err.as_str(), status), ("", 0));
    let total = (128u64 << 30) / 1024;
    let avail = total - used;
    let percent = (used * 100).div_ceil(total);
    let expected = format!(
        "Filesystem     1K-blocks {:>w$} Available Use% Mounted on\n/dev/fuse      {total} {used:>w$} {avail:>9} {:>3}% /storage/emulated\n",
        "Used",
        percent,
        w = used.to_string().len().max(4)
    );
    assert_eq!(out, expected);
    let (out, _, _) = run(&p, &[b"df", b"-h", b"/sdcard/photo.jpg"]);
    assert!(out.starts_with("Filesystem      Size Used Avail Use% Mounted on\n/dev/fuse       128G "), "{out}");
    let (out, _, _) = run(&p, &[b"df", b"/data"]);
    assert!(out.lines().nth(1).is_some_and(|l| l.starts_with("/dev/block/dm-40 ") && l.ends_with(" /data")), "{out}");
}

/// Content generated on demand, far larger than memory would allow reading whole.
struct Pattern(u64);

impl SyntheticContent for Pattern {
    fn len(&self) -> u64 {
        self.0
    }

    fn read_at(&self, offset: u64, buf: &mut [u8]) -> usize {
        let n = buf.len().min(self.0.saturating_sub(offset) as usize);
        for (i, b) in buf[..n].iter_mut().enumerate() {
            *b = ((offset + i as u64) % 253) as u8;
        }
        n
    }
}

#[test]
fn generated_and_huge_files_are_sized_and_hashed_through_the_storage() {
    use sha2::Digest;
    let dir = tempfile::tempdir().expect("temp dir");
    let p = phone(dir.path());
    let big = dir.path().join("big.mp4");
    let five_gib = 5u64 << 30;
    std::fs::File::create(&big).and_then(|f| f.set_len(five_gib)).expect("sparse file");
    p.storage.register_synthetic(&big, Arc::new(Pattern(five_gib))).expect("register");
    assert_eq!(run(&p, &[b"stat", b"-c", b"%s", b"/sdcard/big.mp4"]).0, "5368709120\n");
    assert_eq!(run(&p, &[b"wc", b"-c", b"/sdcard/big.mp4"]).0, "5368709120 /sdcard/big.mp4\n");
    assert!(run(&p, &[b"ls", b"-l", b"/sdcard/big.mp4"]).0.contains(" 5368709120 "));
    assert_eq!(run(&p, &[b"head", b"-c", b"4", b"/sdcard/big.mp4"]).0.as_bytes(), &[0, 1, 2, 3]);

    let small = dir.path().join("gen.jpg");
    let size = 3_000_000;
    std::fs::File::create(&small).and_then(|f| f.set_len(size)).expect("sparse file");
    p.storage.register_synthetic(&small, Arc::new(Pattern(size))).expect("register");
    let mut content = vec![0u8; size as usize];
    Pattern(size).read_at(0, &mut content);
    let digest = super::files::hex(&sha2::Sha256::digest(&content));
    assert_eq!(run(&p, &[b"sha256sum", b"/sdcard/gen.jpg"]).0, format!("{digest}  /sdcard/gen.jpg\n"));
    let (out, _, _) = run(&p, &[b"md5sum", b"-b", b"/sdcard/gen.jpg"]);
    let md5 = super::files::hex(&md5::Md5::digest(&content));
    assert_eq!(out, format!("{md5}\n"));
}

/// A host that reads `limit` bytes and then goes away.
struct Closing {
    written: usize,
    limit: usize,
    calls: usize,
}

impl Write for Closing {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.calls += 1;
        if self.written >= self.limit {
            return Err(io::Error::from(io::ErrorKind::BrokenPipe));
        }
        self.written += buf.len();
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[test]
fn a_host_that_stops_reading_ends_the_command() {
    let dir = tempfile::tempdir().expect("temp dir");
    let p = phone(dir.path());
    let big = dir.path().join("big.mp4");
    std::fs::File::create(&big).and_then(|f| f.set_len(1 << 40)).expect("sparse file");
    p.storage.register_synthetic(&big, Arc::new(Pattern(1 << 40))).expect("register");
    let mut host = Closing { written: 0, limit: 1 << 20, calls: 0 };
    let (_, status) = run_with(&p, &[b"cat", b"/sdcard/big.mp4"], b"", &mut host);
    assert_eq!(status, 1);
    assert!(host.calls < 64, "kept writing after the host went away: {} writes", host.calls);
    for dir_name in 0..50 {
        std::fs::create_dir(dir.path().join(format!("d{dir_name}"))).expect("mkdir");
    }
    let mut host = Closing { written: 0, limit: 0, calls: 0 };
    let (_, status) = run_with(&p, &[b"find", b"/sdcard"], b"", &mut host);
    assert_eq!(status, 1);
    assert_eq!(host.calls, 1);
}

#[test]
fn standard_input_feeds_the_readers() {
    let dir = tempfile::tempdir().expect("temp dir");
    let p = phone(dir.path());
    let mut out = Vec::new();
    let (_, status) = run_with(&p, &[b"md5sum"], b"abc", &mut out);
    assert_eq!((out.as_slice(), status), (&b"900150983cd24fb0d6963f7d28e17f72  -\n"[..], 0));
    let mut out = Vec::new();
    run_with(&p, &[b"wc", b"-l"], b"a\nb\nc", &mut out);
    assert_eq!(out, b"2\n");
    let mut out = Vec::new();
    run_with(&p, &[b"head", b"-n", b"1", b"-"], b"one\ntwo\n", &mut out);
    assert_eq!(out, b"one\n");
}

#[test]
fn hash_check_reports_each_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("a"), b"abc").expect("write");
    std::fs::write(
        dir.path().join("sums"),
        b"900150983cd24fb0d6963f7d28e17f72  /sdcard/a\n00000000000000000000000000000000  /sdcard/a\nbad\n",
    )
    .expect("write");
    let p = phone(dir.path());
    assert_eq!(
        run(&p, &[b"md5sum", b"-c", b"/sdcard/sums"]),
        ("/sdcard/a: OK\n/sdcard/a: FAILED\n".into(), "md5sum: bad line bad\n".into(), 1)
    );
    assert_eq!(run(&p, &[b"md5sum", b"-s", b"/sdcard/a"]).1, "md5sum: -s only with -c\n");
}

#[test]
fn unknown_options_are_refused_with_toybox_text() {
    let dir = tempfile::tempdir().expect("temp dir");
    let p = phone(dir.path());
    // head passes unknown options through (its `-NUM` form) and then finds no number.
    assert_eq!(run(&p, &[b"head", b"-y"]).1, "head: not integer: y\n");
    for name in ["ls", "stat", "wc", "md5sum", "sha256sum", "mkdir", "mv", "rm", "touch", "df", "cat"] {
        let (out, err, status) = run(&p, &[name.as_bytes(), b"-y", b"x", b"y"]);
        assert_eq!((out.as_str(), status), ("", 1), "{name}");
        assert_eq!(err, format!("{name}: Unknown option 'y' (see \"{name} --help\")\n"));
    }
}

/// `tr` (Android's toybox has it; Debian's toybox does not, so it is pinned here from toybox's tr.c).
#[test]
fn tr_translates_deletes_squeezes_and_complements_as_toybox_does() {
    let dir = tempfile::tempdir().expect("temp dir");
    let p = phone(dir.path());
    let tr = |args: &[&[u8]], input: &[u8]| {
        let mut argv: Vec<&[u8]> = vec![b"tr"];
        argv.extend_from_slice(args);
        let mut out = Vec::new();
        let (err, status) = run_with(&p, &argv, input, &mut out);
        (String::from_utf8_lossy(&out).into_owned(), String::from_utf8_lossy(&err).into_owned(), status)
    };
    let ok = |s: &str| (s.to_string(), String::new(), 0);
    assert_eq!(tr(&[b"a-c", b"A-C"], b"abcd"), ok("ABCd"));
    assert_eq!(tr(&[b"[:lower:]", b"[:upper:]"], "h\u{e9}llo\n".as_bytes()), ok("H\u{e9}LLO\n"));
    assert_eq!(tr(&[b"-d", b"[:digit:]"], b"a1b2c3"), ok("abc"));
    assert_eq!(tr(&[b"-s", b" "], b"a   b  c"), ok("a b c"));
    assert_eq!(tr(&[b"-c", b"a-z\\n", b"_"], b"ab1C\n"), ok("ab__\n"));
    assert_eq!(tr(&[b"\\n", b","], b"a\nb\n"), ok("a,b,"));
    assert_eq!(tr(&[b"abc", b"xy"], b"abc"), ok("xyy"), "set2 is padded with its last byte");
    assert_eq!(tr(&[b"-t", b"abc", b"xy"], b"abc"), ok("xyc"), "-t truncates set1");
    assert_eq!(tr(&[b"\\101", b"x"], b"ABA"), ok("xBx"), "octal escape");
    assert_eq!(tr(&[b"\\x41", b"y"], b"ABA"), ok("yBy"), "hex escape");
    assert_eq!(tr(&[b"-ds", b"a", b"b"], b"aabbcc"), ok("bcc"));
    assert_eq!(tr(&[b"[:space:]", b"."], b"a b\tc\n"), ok("a.b.c."));
    assert_eq!(tr(&[b"z-a", b"x"], b"abc"), (String::new(), "tr: reverse colating order\n".into(), 1));
    assert_eq!(tr(&[b"a", b""], b"abc"), (String::new(), "tr: set2 can't be empty string\n".into(), 1));
    let (out, err, status) = tr(&[], b"abc");
    assert_eq!((out.as_str(), status), ("", 1));
    assert!(err.starts_with("tr: Needs 1 argument"), "{err}");
    let (_, err, status) = tr(&[b"a", b"b", b"c"], b"abc");
    assert_eq!(status, 1);
    assert!(err.starts_with("tr: Max 2 arguments"), "{err}");
}

/// The variables of the phone's shell environment expand to Android's values, others to nothing.
#[test]
fn the_shell_environment_holds_androids_variables() {
    let dir = tempfile::tempdir().expect("temp dir");
    let p = phone(dir.path());
    let mut out = Vec::new();
    let mut err = Vec::new();
    let status = crate::virtual_phone::shell::run(
        &p,
        b"echo $EXTERNAL_STORAGE \"$HOME\" $TMPDIR; echo $NOPE.",
        &mut out,
        &mut err,
    );
    assert_eq!((String::from_utf8_lossy(&out).as_ref(), status), ("/sdcard / /data/local/tmp\n.\n", 0), "{err:?}");
}
