//! The shell against outputs captured from mksh R59c (built from `MirBSD`'s tag `mksh-R59c`, run with
//! argv[0] `/system/bin/sh`) and, for `printf`, toybox 0.8.9.

use super::run;
use crate::virtual_phone::{Config, StorageSource, VirtualPhone};
use std::fs;

struct Fixture {
    _dir: tempfile::TempDir,
    vp: VirtualPhone,
}

impl Fixture {
    fn new() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let vp =
            VirtualPhone::start(Config { storage: StorageSource::Dir(dir.path().to_path_buf()), ..Default::default() })
                .expect("virtual phone");
        Self { _dir: dir, vp }
    }

    fn root(&self) -> std::path::PathBuf {
        self.vp.phone().storage.root().to_path_buf()
    }

    fn file(&self, rel: &str, content: &[u8]) {
        let p = self.root().join(rel);
        fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        fs::write(p, content).expect("write");
    }

    /// (stdout, stderr, status)
    fn sh(&self, script: &str) -> (String, String, i32) {
        let (o, e, s) = self.sh_bytes(script.as_bytes());
        (String::from_utf8_lossy(&o).into_owned(), String::from_utf8_lossy(&e).into_owned(), s)
    }

    fn sh_bytes(&self, script: &[u8]) -> (Vec<u8>, Vec<u8>, i32) {
        let mut out = Vec::new();
        let mut err = Vec::new();
        let status = run(self.vp.phone(), script, &mut out, &mut err);
        (out, err, status)
    }
}

fn ok(out: &str) -> (String, String, i32) {
    (out.to_string(), String::new(), 0)
}

#[test]
fn unknown_command_is_inaccessible_or_not_found_127() {
    let f = Fixture::new();
    assert_eq!(f.sh("nosuch"), (String::new(), "/system/bin/sh: nosuch: inaccessible or not found\n".into(), 127));
    assert_eq!(
        f.sh("nosuch; echo $?"),
        ("127\n".into(), "/system/bin/sh: nosuch: inaccessible or not found\n".into(), 0)
    );
}

#[test]
fn echo_options_and_escapes_match_mksh() {
    let f = Fixture::new();
    assert_eq!(f.sh("echo -n a"), ok("a"));
    assert_eq!(f.sh(r"echo -e 'a\nb'"), ok("a\nb\n"));
    assert_eq!(f.sh(r"echo 'a\nb\tc\\d'"), ok("a\nb\tc\\d\n"));
    assert_eq!(f.sh("echo -- a"), ok("-- a\n"));
    assert_eq!(f.sh(r"echo -E 'a\n'"), ok("a\\n\n"));
    assert_eq!(f.sh(r"echo 'x\cy'; echo z"), ok("xyz\n"));
    assert_eq!(f.sh(r"echo 'a\0101b\101c'"), ok("aAb\\101c\n"));
    assert_eq!(f.sh("echo -x a"), ok("-x a\n"));
    assert_eq!(f.sh("echo -en a -n"), ok("a -n"));
    assert_eq!(f.sh("echo"), ok("\n"));
    assert_eq!(f.sh("echo -"), ok("-\n"));
}

#[test]
fn quoting_passes_hostile_names_through_untouched() {
    let f = Fixture::new();
    assert_eq!(f.sh(r#"echo '$(rm -rf /)' '`id`' "a\"b" 'it'\''s' -n\ x"#), ok("$(rm -rf /) `id` a\"b it's -n x\n"));
    assert_eq!(f.sh("echo 'a\nb'"), ok("a\nb\n"));
    assert_eq!(f.sh("echo a\\\nb"), ok("ab\n"));
    assert_eq!(f.sh(r#"echo "a\qb\$x\`""#), ok("a\\qb$x`\n"));
    assert_eq!(f.sh("echo $ a$/ a$"), ok("$ a$/ a$\n"));
    assert_eq!(f.sh("echo a#b #c"), ok("a#b\n"));
    let (out, _, _) = f.sh_bytes(b"echo '\xff\xfe' \xf0\x9f\x98\x80");
    assert_eq!(out, b"\xff\xfe \xf0\x9f\x98\x80\n");
}

#[test]
fn status_and_lists_follow_mksh() {
    let f = Fixture::new();
    assert_eq!(f.sh("false; echo $? \"$?\" x$?y '$?'"), ok("1 1 x1y $?\n"));
    assert_eq!(f.sh("true && false || echo x $?"), ok("x 1\n"));
    assert_eq!(f.sh("false && echo no; echo $?"), ok("1\n"));
    assert_eq!(f.sh("! true; echo $?"), ok("1\n"));
    assert_eq!(f.sh("! false | false; echo $?"), ok("0\n"));
    assert_eq!(f.sh("false"), (String::new(), String::new(), 1));
    assert_eq!(f.sh("echo a &&\necho b"), ok("a\nb\n"));
    assert_eq!(f.sh("echo a;echo b;"), ok("a\nb\n"));
}

#[test]
fn pipelines_connect_commands_and_return_the_last_status() {
    let f = Fixture::new();
    f.file("a.txt", b"hello\n");
    assert_eq!(f.sh("false | true; echo $?"), ok("0\n"));
    assert_eq!(f.sh("true | false; echo $?"), ok("1\n"));
    assert_eq!(f.sh("echo piped | cat | cat"), ok("piped\n"));
    assert_eq!(f.sh("cat /sdcard/a.txt |\ncat"), ok("hello\n"));
    // Pipeline commands run in subshells.
    assert_eq!(f.sh("cd /sdcard | true; pwd"), ok("/\n"));
    assert_eq!(f.sh("echo a | exit 3; echo after $?"), ok("after 3\n"));
    let (out, err, status) = f.sh("nosuch | echo x");
    assert_eq!((out.as_str(), err.as_str(), status), ("x\n", "/system/bin/sh: nosuch: inaccessible or not found\n", 0));
}

#[test]
fn big_pipelines_stream_without_buffering_everything() {
    let f = Fixture::new();
    let big = vec![b'x'; 8 << 20];
    f.file("big.bin", &big);
    let (out, err, status) = f.sh_bytes(b"cat /sdcard/big.bin | cat | cat");
    assert_eq!((out.len(), err, status), (big.len(), Vec::new(), 0));
}

#[test]
fn syntax_errors_run_earlier_lines_and_use_mksh_messages() {
    let f = Fixture::new();
    assert_eq!(f.sh("echo a |"), (String::new(), "/system/bin/sh: syntax error: unexpected EOF\n".into(), 1));
    assert_eq!(f.sh("echo a\necho b |"), ("a\n".into(), "/system/bin/sh: syntax error: unexpected EOF\n".into(), 1));
    assert_eq!(f.sh("echo a; ;"), (String::new(), "/system/bin/sh: syntax error: unexpected ';'\n".into(), 1));
    assert_eq!(f.sh("echo 'abc"), (String::new(), "/system/bin/sh: no closing quote\n".into(), 1));
    assert_eq!(f.sh("echo a\n|cat"), ("a\n".into(), "/system/bin/sh: syntax error: unexpected '|'\n".into(), 1));
    assert_eq!(f.sh("echo a && || b"), (String::new(), "/system/bin/sh: syntax error: unexpected '||'\n".into(), 1));
    assert_eq!(f.sh("#only\n   \n"), ok(""));
}

#[test]
fn unsupported_constructs_fail_loudly_before_anything_runs() {
    let f = Fixture::new();
    for script in
        ["echo a; echo $(ls)", "echo `id`", "echo ${HOME}", "for f in *; do echo $f; done", "a=1 ls", "sleep 1 &"]
    {
        let (out, err, status) = f.sh(script);
        assert_eq!(out, "", "{script}");
        assert_eq!(status, 2, "{script}");
        assert!(err.starts_with("/system/bin/sh: ") && err.contains("not supported"), "{script}: {err}");
    }
    let (_, err, status) = f.sh("echo a; test -o posix; echo b");
    assert_eq!(status, 2);
    assert!(err.contains("test -o"), "{err}");
}

#[test]
fn exit_ends_the_script_with_mksh_statuses() {
    let f = Fixture::new();
    assert_eq!(f.sh("exit 3; echo no"), (String::new(), String::new(), 3));
    assert_eq!(f.sh("exit abc; echo no"), (String::new(), "/system/bin/sh: exit: bad number: abc\n".into(), 1));
    assert_eq!(f.sh("exit 256").2, 0);
    assert_eq!(f.sh("exit -1").2, 255);
    assert_eq!(f.sh("false; exit").2, 1);
    assert_eq!(f.sh("exit 1 2"), (String::new(), "/system/bin/sh: exit: too many arguments\n".into(), 1));
}

#[test]
fn cd_and_pwd_keep_a_logical_path() {
    let f = Fixture::new();
    fs::create_dir_all(f.root().join("DCIM/Camera")).expect("mkdir");
    f.file("file.txt", b"x");
    assert_eq!(f.sh("pwd; cd /sdcard/DCIM//Camera/..; pwd; cd -; cd"), ok("/\n/sdcard/DCIM\n/\n"));
    assert_eq!(f.sh("cd /sdcard; pwd -P"), ok("/storage/emulated/0\n"));
    assert_eq!(
        f.sh("cd /sdcard/nosuch; echo $?"),
        ("2\n".into(), "/system/bin/sh: cd: /sdcard/nosuch: No such file or directory\n".into(), 0)
    );
    assert_eq!(
        f.sh("cd /sdcard; cd file.txt"),
        (String::new(), "/system/bin/sh: cd: /sdcard/file.txt: Not a directory\n".into(), 2)
    );
    assert_eq!(f.sh("cd -"), (String::new(), "/system/bin/sh: cd: no OLDPWD\n".into(), 2));
    assert_eq!(
        f.sh("cd /sdcard/DCIM; cd DCIM Pictures"),
        (String::new(), "/system/bin/sh: cd: /sdcard/Pictures: No such file or directory\n".into(), 2)
    );
    assert_eq!(f.sh("pwd x; echo $?"), ("1\n".into(), "/system/bin/sh: pwd: too many arguments\n".into(), 0));
    assert_eq!(f.sh("pwd -x; echo $?"), ("1\n".into(), "/system/bin/sh: pwd: -x: unknown option\n".into(), 0));
    assert_eq!(f.sh("cd /data/data").2, 2);
}

#[test]
fn test_builtin_matches_mksh() {
    let f = Fixture::new();
    f.file("DCIM/a.jpg", b"data");
    f.file("empty", b"");
    let t = |s: &str| f.sh(&format!("{s}; echo $?"));
    assert_eq!(t("[ -e /sdcard/DCIM/a.jpg ]"), ok("0\n"));
    assert_eq!(t("[ -f /sdcard/DCIM ]"), ok("1\n"));
    assert_eq!(t("[ -d /sdcard/DCIM ]"), ok("0\n"));
    assert_eq!(t("test -s /sdcard/empty"), ok("1\n"));
    assert_eq!(t("test ! -e /sdcard/nosuch"), ok("0\n"));
    assert_eq!(t("test -e /sdcard -a -d /sdcard/DCIM"), ok("0\n"));
    assert_eq!(t("test \\( a = b \\) -o x"), ok("0\n"));
    assert_eq!(t("test"), ok("1\n"));
    assert_eq!(t("[ -e ]"), ok("0\n"));
    assert_eq!(t("[ \" 12 \" -eq 12 ]"), ok("0\n"));
    assert_eq!(t("[ -5 -lt 3 ]"), ok("0\n"));
    assert_eq!(t("[ 4294967296 -eq 0 ]"), ok("0\n"));
    assert_eq!(t("[ -z '' ] && [ -n x ]"), ok("0\n"));
    assert_eq!(f.sh("[ a"), (String::new(), "/system/bin/sh: [: missing ]\n".into(), 2));
    assert_eq!(t("[ 1x -eq 1 ]"), ("2\n".into(), "/system/bin/sh: 1x: bad number '1x'\n".into(), 0));
    assert_eq!(t("[ 1 -eq ]"), ("2\n".into(), "/system/bin/sh: [: -eq: missing second argument\n".into(), 0));
    assert_eq!(t("test a b c"), ("2\n".into(), "/system/bin/sh: test: b: unexpected operator/operand\n".into(), 0));
    assert_eq!(t("test x -q y"), ("2\n".into(), "/system/bin/sh: test: -q: unexpected operator/operand\n".into(), 0));
    assert_eq!(t("[ 1 -eq 1 ] x"), ("2\n".into(), "/system/bin/sh: [: missing ]\n".into(), 0));
}

#[test]
fn command_v_and_type_describe_builtins_and_toybox() {
    let f = Fixture::new();
    assert_eq!(f.sh("command -v echo cat ls nosuch; echo $?"), ok("echo\ncat\n/system/bin/ls\n1\n"));
    assert_eq!(f.sh("command -v nosuch ls; echo $?"), ok("1\n"));
    assert_eq!(f.sh("command -v type if exit"), ok("alias type='\\\\builtin whence -v'\nif\nexit\n"));
    assert_eq!(
        f.sh("command -V echo ls nosuch exit; echo $?"),
        ok(
            "echo is a shell builtin\nls is a tracked alias for /system/bin/ls\nnosuch not found\nexit is a special shell builtin\n1\n"
        )
    );
    assert_eq!(f.sh("type ls echo"), ok("ls is a tracked alias for /system/bin/ls\necho is a shell builtin\n"));
    assert_eq!(f.sh("command -v printf content"), ok("/system/bin/printf\n/system/bin/content\n"));
    assert_eq!(
        f.sh("command nosuch; echo $?"),
        ("127\n".into(), "/system/bin/sh: nosuch: inaccessible or not found\n".into(), 0)
    );
    assert_eq!(f.sh("command -x; echo $?"), ("1\n".into(), "/system/bin/sh: command: -x: unknown option\n".into(), 0));
    assert_eq!(f.sh("builtin echo hi; \\echo ho; e\"ch\"o hu"), ok("hi\nho\nhu\n"));
    f.file("DCIM/a.jpg", b"");
    let by_name = f.sh("ls /sdcard");
    assert!(by_name.0.contains("DCIM"), "{by_name:?}");
    assert_eq!(f.sh("/system/bin/ls /sdcard"), by_name);
}

#[test]
fn redirections_write_through_the_storage() {
    let f = Fixture::new();
    assert_eq!(f.sh("echo a > /sdcard/o; echo b >>/sdcard/o; cat /sdcard/o"), ok("a\nb\n"));
    assert_eq!(fs::read(f.root().join("o")).expect("o"), b"a\nb\n");
    assert_eq!(f.sh("cd /sdcard; echo c 1>o 2>/dev/null; cat < o"), ok("c\n"));
    assert_eq!(f.sh("echo a 1>&2"), (String::new(), "a\n".into(), 0));
    assert_eq!(
        f.sh("nosuch 2>&1"),
        ok("/system/bin/sh: nosuch: inaccessible or not found\n").0.as_str().pipe(|s| (
            s.to_string(),
            String::new(),
            127
        ))
    );
    assert_eq!(f.sh("echo a 2>&1 >/dev/null"), ok(""));
    assert_eq!(f.sh("echo a &>/dev/null; echo b"), ok("b\n"));
    assert_eq!(f.sh("> /sdcard/new; echo $?"), ok("0\n"));
    assert!(f.root().join("new").exists());
    assert_eq!(
        f.sh("echo a > /sdcard/nodir/x; echo $?"),
        ("1\n".into(), "/system/bin/sh: can't create /sdcard/nodir/x: No such file or directory\n".into(), 0)
    );
    assert_eq!(
        f.sh("cat </sdcard/nosuch 2>/dev/null; echo $?"),
        ("1\n".into(), "/system/bin/sh: can't open /sdcard/nosuch: No such file or directory\n".into(), 0)
    );
    assert_eq!(f.sh("cat 2>/dev/null </sdcard/nosuch; echo $?"), ok("1\n"));
    assert_eq!(f.sh("echo a >&3; echo $?"), ("1\n".into(), "/system/bin/sh: >&3 : bad file descriptor\n".into(), 0));
    assert_eq!(
        f.sh(": > /sdcard/nodir/x; echo after"),
        (String::new(), "/system/bin/sh: can't create /sdcard/nodir/x: No such file or directory\n".into(), 1)
    );
    assert_eq!(
        f.sh("echo x > /data/local/tmp/x").1,
        "/system/bin/sh: can't create /data/local/tmp/x: Permission denied\n"
    );
}

trait Pipe: Sized {
    fn pipe<T>(self, f: impl FnOnce(Self) -> T) -> T {
        f(self)
    }
}
impl Pipe for &str {}

#[test]
fn storage_faults_apply_to_redirections() {
    let f = Fixture::new();
    f.vp.phone().storage.set_read_only(true);
    assert_eq!(
        f.sh("echo a > /sdcard/x; echo $?"),
        ("1\n".into(), "/system/bin/sh: can't create /sdcard/x: Read-only file system\n".into(), 0)
    );
}

#[test]
fn globbing_sorts_matches_and_keeps_unmatched_patterns() {
    let f = Fixture::new();
    for name in
        ["a.jpg", "b.jpg", "c.png", ".hidden", "sp ace.jpg", "d1/x.jpg", "d2/y.jpg", "d2/sub/z", "q?.jpg", ".hid/h"]
    {
        f.file(name, b"");
    }
    let e = |s: &str| f.sh(&format!("cd /sdcard; echo {s}")).0;
    assert_eq!(e("*"), "a.jpg b.jpg c.png d1 d2 q?.jpg sp ace.jpg\n");
    assert_eq!(e("*.jpg"), "a.jpg b.jpg q?.jpg sp ace.jpg\n");
    assert_eq!(e(".*"), ".hid .hidden\n");
    assert_eq!(e("*.gif"), "*.gif\n");
    assert_eq!(e("*/"), "d1/ d2/\n");
    assert_eq!(e("*/*.jpg"), "d1/x.jpg d2/y.jpg\n");
    assert_eq!(e("\"*\".jpg"), "*.jpg\n");
    assert_eq!(e("[ab].jpg [!a]*.jpg [a-b]* [^a]*"), "a.jpg b.jpg b.jpg q?.jpg sp ace.jpg a.jpg b.jpg a.jpg\n");
    assert_eq!(e("?.jpg"), "a.jpg b.jpg\n");
    assert_eq!(e("d?/*"), "d1/x.jpg d2/sub d2/y.jpg\n");
    assert_eq!(e("nosuch/* a.jpg/* [a a]"), "nosuch/* a.jpg/* [a a]\n");
    assert_eq!(e("/sdcard/*.png ./*.png d2/../*.png"), "/sdcard/c.png ./c.png d2/../c.png\n");
    assert_eq!(e("q\\?.jpg q?.jpg"), "q?.jpg q?.jpg\n");
    assert_eq!(f.sh("echo /storage/emulated/0/c*").0, "/storage/emulated/0/c.png\n");
}

#[test]
fn brace_expansion_matches_mksh() {
    let f = Fixture::new();
    f.file("a.jpg", b"");
    f.file("c.png", b"");
    let e = |s: &str| f.sh(&format!("cd /sdcard; echo {s}")).0;
    assert_eq!(e("{a,b}.jpg {c,z}.png x{,y}"), "a.jpg b.jpg c.png z.png x xy\n");
    assert_eq!(e("{a,b {a} '{a,b}' {a}{b,c}"), "{a,b {a} {a,b} {a}b {a}c\n");
    assert_eq!(e("a{b,c{d,e}}f"), "abf acdf acef\n");
    assert_eq!(e("{,}"), " \n");
    assert_eq!(e("{*.jpg,c*}"), "a.jpg c.png\n");
}

#[test]
fn mksh_cat_builtin_reports_errors_with_the_shell_prefix() {
    let f = Fixture::new();
    f.file("a.txt", b"A\n");
    assert_eq!(
        f.sh("cat /sdcard/a.txt /sdcard/nosuch /sdcard/a.txt; echo $?"),
        ("A\nA\n1\n".into(), "/system/bin/sh: cat: /sdcard/nosuch: No such file or directory\n".into(), 0)
    );
    assert_eq!(f.sh("echo in | cat - "), ok("in\n"));
    // With options, mksh runs the external (toybox) cat, whose messages have no shell prefix.
    let (_, err, _) = f.sh("cat -v /sdcard/nosuch");
    assert!(err.starts_with("cat: /sdcard/nosuch: "), "{err}");
}

#[test]
fn realpath_builtin_resolves_to_the_primary_storage_name() {
    let f = Fixture::new();
    f.file("DCIM/a.jpg", b"");
    assert_eq!(f.sh("realpath /sdcard/DCIM/a.jpg"), ok("/storage/emulated/0/DCIM/a.jpg\n"));
    assert_eq!(f.sh("cd /sdcard/DCIM; realpath new.jpg"), ok("/storage/emulated/0/DCIM/new.jpg\n"));
    assert_eq!(
        f.sh("realpath /sdcard/nosuch/x; echo $?"),
        ("2\n".into(), "/system/bin/sh: realpath: /sdcard/nosuch/x: No such file or directory\n".into(), 0)
    );
    assert_eq!(f.sh("realpath a b; echo $?"), ("1\n".into(), "/system/bin/sh: realpath: syntax error\n".into(), 0));
}

#[test]
fn printf_matches_toybox() {
    let f = Fixture::new();
    assert_eq!(f.sh(r"printf '%s|%d|%x|%o|%c|%%\n' abc 42 255 8 xyz"), ok("abc|42|ff|10|x|%\n"));
    assert_eq!(f.sh(r"printf '%5s|%-5s|%05d|%.2s|%+d\n' a b 42 abcdef 3"), ok("    a|b    |00042|ab|+3\n"));
    assert_eq!(f.sh(r"printf '%s\n' a b c"), ok("a\nb\nc\n"));
    assert_eq!(f.sh(r"printf '%b\n' 'a\tb\c' z"), ok("a\tb"));
    assert_eq!(f.sh(r"printf '%d %d %i\n' 010 0x10 -0x10"), ok("8 16 -16\n"));
    assert_eq!(f.sh(r"printf '%x\n' -1"), ok("ffffffffffffffff\n"));
    assert_eq!(f.sh(r"printf '%d\n' x"), ("0\n".into(), "printf: bad %d x\n".into(), 1));
    assert_eq!(f.sh(r"printf '%s %d\n' a"), ok("a 0\n"));
    assert_eq!(f.sh(r"printf '%o %#o %#x\n' 8 8 255"), ok("10 010 0xff\n"));
    assert_eq!(f.sh("printf"), (String::new(), "printf: Needs 1 argument (see \"printf --help\")\n".into(), 1));
    let (out, _, _) = f.sh_bytes(br"printf '\q|\0101|\101|\x4g|\x41|\e|'");
    assert_eq!(out, b"\\q|\x081|A|\x04g|A|\x1b|");
}

#[test]
fn commands_with_a_path_cannot_run_from_storage() {
    let f = Fixture::new();
    f.file("run.sh", b"echo hi\n");
    assert_eq!(
        f.sh("/sdcard/run.sh; echo $?"),
        ("126\n".into(), "/system/bin/sh: /sdcard/run.sh: can't execute: Permission denied\n".into(), 0)
    );
    assert_eq!(
        f.sh("./nosuch; echo $?"),
        ("127\n".into(), "/system/bin/sh: ./nosuch: inaccessible or not found\n".into(), 0)
    );
}

#[test]
fn a_closed_stdout_ends_the_script() {
    struct Closed;
    impl std::io::Write for Closed {
        fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
            Err(std::io::Error::from(std::io::ErrorKind::BrokenPipe))
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let f = Fixture::new();
    f.file("big.bin", &vec![0u8; 1 << 20]);
    let mut err = Vec::new();
    let status = run(f.vp.phone(), b"echo a; echo b > /sdcard/after", &mut Closed, &mut err);
    assert_eq!(status, 141);
    assert!(!f.root().join("after").exists());
    let status = run(f.vp.phone(), b"cat /sdcard/big.bin | cat; echo b > /sdcard/after", &mut Closed, &mut err);
    assert_eq!(status, 141);
    assert!(!f.root().join("after").exists());
}

fn phone_with(config: Config) -> (tempfile::TempDir, VirtualPhone) {
    let dir = tempfile::tempdir().expect("temp dir");
    let vp = VirtualPhone::start(Config { storage: StorageSource::Dir(dir.path().to_path_buf()), ..config })
        .expect("virtual phone");
    (dir, vp)
}

fn sh_on(vp: &VirtualPhone, script: &str) -> (String, String, i32) {
    let mut out = Vec::new();
    let mut err = Vec::new();
    let status = run(vp.phone(), script.as_bytes(), &mut out, &mut err);
    (String::from_utf8_lossy(&out).into_owned(), String::from_utf8_lossy(&err).into_owned(), status)
}

#[test]
fn ip_inet_addr_show_wlan0_prints_iproute2s_three_lines() {
    let f = Fixture::new();
    let addr = f.vp.wlan0_addr().expect("on Wi-Fi");
    let expected = format!(
        "30: wlan0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc mq state UP group default qlen 3000\n    inet \
         {addr}/8 brd 127.255.255.255 scope global wlan0\n       valid_lft forever preferred_lft forever\n"
    );
    assert_eq!(f.sh("ip -f inet addr show wlan0"), ok(&expected));
    assert_eq!(f.sh("ip -4 addr show dev wlan0"), ok(&expected));
    assert_eq!(f.sh("ip -4 a s wlan0"), ok(&expected));
}

#[test]
fn ip_addr_lists_lo_then_wlan0_with_link_and_inet6_lines() {
    let f = Fixture::new();
    let (out, err, status) = f.sh("ip addr");
    assert_eq!((err.as_str(), status), ("", 0));
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN group default qlen 1000");
    assert_eq!(lines[1], "    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00");
    assert_eq!(lines[2], "    inet 127.0.0.1/8 scope host lo");
    assert_eq!(lines[4], "    inet6 ::1/128 scope host ");
    assert!(lines[6].starts_with("30: wlan0: "), "{out}");
    assert!(lines[7].starts_with("    link/ether 02:") && lines[7].ends_with(" brd ff:ff:ff:ff:ff:ff"), "{out}");
    assert!(lines[10].starts_with("    inet6 fe80::") && lines[10].ends_with("/64 scope link "), "{out}");
    assert_eq!(lines.len(), 12, "{out}");
    assert_eq!(f.sh("ip a"), (out.clone(), String::new(), 0));
    assert_eq!(f.sh("ip addr show wlan0").0, out.split_inclusive('\n').skip(6).collect::<String>());
}

#[test]
fn ip_answers_bad_arguments_as_iproute2_does() {
    let f = Fixture::new();
    assert_eq!(f.sh("ip addr show wlan9"), (String::new(), "Device \"wlan9\" does not exist.\n".into(), 1));
    assert_eq!(f.sh("ip frob"), (String::new(), "Object \"frob\" is unknown, try \"ip help\".\n".into(), 1));
    assert_eq!(
        f.sh("ip addr show dev"),
        (String::new(), "Command line is not complete. Try option \"help\"\n".into(), 255)
    );
    assert_eq!(f.sh("ip -z addr"), (String::new(), "Option \"-z\" is unknown, try \"ip -help\".\n".into(), 255));
    assert_eq!(f.sh("ip route").2, 2);
    assert_eq!(f.sh("command -v ip dumpsys"), ok("/system/bin/ip\n/system/bin/dumpsys\n"));
}

#[test]
fn without_wifi_wlan0_does_not_exist() {
    let (_dir, vp) = phone_with(Config { wifi: false, ..Config::default() });
    assert_eq!(vp.wlan0_addr(), None);
    assert_eq!(
        sh_on(&vp, "ip -f inet addr show wlan0"),
        (String::new(), "Device \"wlan0\" does not exist.\n".into(), 1)
    );
    let (out, _, status) = sh_on(&vp, "ip addr");
    assert_eq!(status, 0);
    assert!(out.starts_with("1: lo: ") && !out.contains("wlan0"), "{out}");
}

#[test]
fn dumpsys_battery_set_prints_nothing_and_shows_in_the_dump() {
    let f = Fixture::new();
    assert_eq!(f.sh("dumpsys battery set level 42 && dumpsys battery set usb 0 && dumpsys battery set ac 1"), ok(""));
    let (out, _, _) = f.sh("dumpsys battery");
    assert!(
        out.starts_with("Current Battery Service state:\n  (UPDATES STOPPED -- use 'reset' to restart)\n"),
        "{out}"
    );
    assert!(out.contains("  AC powered: true\n  USB powered: false\n") && out.contains("  level: 42\n"), "{out}");
    assert_eq!(f.sh("dumpsys battery set status 5; dumpsys battery get status"), ok("5\n"));
    assert_eq!(f.sh("dumpsys battery set level many"), ok("Bad value: many\n"));
    assert_eq!(f.sh("dumpsys battery reset; dumpsys battery get level"), ok("87\n"));
}

#[test]
fn dumpsys_of_an_unknown_service_says_it_cannot_find_it() {
    let f = Fixture::new();
    assert_eq!(f.sh("dumpsys wifi_p2p_nope"), (String::new(), "Can't find service: wifi_p2p_nope\n".into(), 0));
}
