//! The virtual phone's transport and sync service at the byte level, with a minimal ADB client of the
//! test's own: what adb 29 never exercises (`sendrecv_v2`, LIS2 sizes over 4 GiB, flow control, several
//! concurrent streams).

use crate::util::{noise, phone_with_dir, set_mtime, write_file};
use phonebak::virtual_phone::Config;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

const CNXN: u32 = u32::from_le_bytes(*b"CNXN");
const OPEN: u32 = u32::from_le_bytes(*b"OPEN");
const OKAY: u32 = u32::from_le_bytes(*b"OKAY");
const WRTE: u32 = u32::from_le_bytes(*b"WRTE");
const CLSE: u32 = u32::from_le_bytes(*b"CLSE");

struct Client {
    tcp: TcpStream,
    banner: String,
    max_payload: u32,
}

#[derive(Debug)]
struct Msg {
    cmd: u32,
    arg0: u32,
    arg1: u32,
    data: Vec<u8>,
}

impl Client {
    fn connect(addr: std::net::SocketAddr) -> Self {
        let tcp = TcpStream::connect(addr).expect("connect");
        tcp.set_read_timeout(Some(Duration::from_secs(10))).expect("timeout");
        let mut c = Self { tcp, banner: String::new(), max_payload: 0 };
        c.send(CNXN, 0x0100_0001, 256 * 1024, b"host::features=shell_v2,cmd,stat_v2,ls_v2,sendrecv_v2\0");
        let m = c.recv();
        assert_eq!(m.cmd, CNXN, "expected CNXN, got {m:?}");
        c.banner = String::from_utf8_lossy(&m.data).into_owned();
        c.max_payload = m.arg1;
        c
    }

    fn send(&mut self, cmd: u32, arg0: u32, arg1: u32, data: &[u8]) {
        let sum = data.iter().map(|&b| u32::from(b)).sum::<u32>();
        let mut out = Vec::new();
        for w in [cmd, arg0, arg1, data.len() as u32, sum, cmd ^ 0xffff_ffff] {
            out.extend_from_slice(&w.to_le_bytes());
        }
        out.extend_from_slice(data);
        self.tcp.write_all(&out).expect("send");
    }

    fn recv(&mut self) -> Msg {
        let mut h = [0u8; 24];
        self.tcp.read_exact(&mut h).expect("header");
        let w = |i: usize| u32::from_le_bytes(h[i * 4..i * 4 + 4].try_into().expect("4 bytes"));
        let mut data = vec![0; w(3) as usize];
        self.tcp.read_exact(&mut data).expect("payload");
        assert_eq!(w(5), w(0) ^ 0xffff_ffff, "magic");
        assert_eq!(w(4), data.iter().map(|&b| u32::from(b)).sum::<u32>(), "checksum");
        Msg { cmd: w(0), arg0: w(1), arg1: w(2), data }
    }

    /// Opens a stream; returns the phone's id for it.
    fn open(&mut self, local: u32, service: &str) -> u32 {
        self.send(OPEN, local, 0, format!("{service}\0").as_bytes());
        let m = self.recv();
        assert_eq!((m.cmd, m.arg1), (OKAY, local), "open {service}: {m:?}");
        m.arg0
    }

    /// Reads a stream to its end, acknowledging every WRTE.
    fn read_stream(&mut self, local: u32) -> Vec<u8> {
        let mut out = Vec::new();
        loop {
            let m = self.recv();
            assert_eq!(m.arg1, local);
            match m.cmd {
                WRTE => {
                    out.extend_from_slice(&m.data);
                    self.send(OKAY, local, m.arg0, b"");
                }
                CLSE => return out,
                other => panic!("unexpected {other:#x}"),
            }
        }
    }
}

/// Sync requests over one stream, with the replies read back exactly.
struct Sync<'a> {
    c: &'a mut Client,
    local: u32,
    remote: u32,
    inbox: Vec<u8>,
}

impl<'a> Sync<'a> {
    fn open(c: &'a mut Client, local: u32) -> Self {
        let remote = c.open(local, "sync:");
        Self { c, local, remote, inbox: Vec::new() }
    }

    fn write(&mut self, data: &[u8]) {
        for chunk in data.chunks(self.c.max_payload as usize) {
            self.c.send(WRTE, self.local, self.remote, chunk);
            loop {
                let m = self.c.recv();
                match m.cmd {
                    OKAY => break,
                    WRTE => {
                        self.inbox.extend_from_slice(&m.data);
                        self.c.send(OKAY, self.local, self.remote, b"");
                    }
                    other => panic!("unexpected {other:#x} while writing"),
                }
            }
        }
    }

    fn read(&mut self, n: usize) -> Vec<u8> {
        while self.inbox.len() < n {
            let m = self.c.recv();
            assert_eq!(m.cmd, WRTE, "expected data, got {m:?}");
            self.inbox.extend_from_slice(&m.data);
            self.c.send(OKAY, self.local, self.remote, b"");
        }
        self.inbox.drain(..n).collect()
    }

    fn request(&mut self, id: [u8; 4], path: &[u8]) {
        let mut r = id.to_vec();
        r.extend_from_slice(&(path.len() as u32).to_le_bytes());
        r.extend_from_slice(path);
        self.write(&r);
    }
}

fn u32_at(b: &[u8], i: usize) -> u32 {
    u32::from_le_bytes(b[i..i + 4].try_into().expect("4 bytes"))
}

fn u64_at(b: &[u8], i: usize) -> u64 {
    u64::from_le_bytes(b[i..i + 8].try_into().expect("8 bytes"))
}

#[test]
fn the_banner_names_the_product_and_every_feature_and_a_1_mib_payload() {
    let (_dir, phone) = phone_with_dir(Config::default());
    let c = Client::connect(phone.addr());
    assert_eq!(
        c.banner,
        "device::ro.product.name=pixel_7;ro.product.model=Pixel 7;ro.product.device=pixel_7;\
         features=shell_v2,cmd,stat_v2,ls_v2,fixed_push_mkdir,sendrecv_v2"
    );
    assert_eq!(c.max_payload, 1024 * 1024);
}

#[test]
fn v2_stat_and_list_report_sizes_over_4_gib_where_v1_truncates_as_adbd_does() {
    let (dir, phone) = phone_with_dir(Config::default());
    let size: u64 = (5 << 30) + 123;
    let path = dir.path().join("Movies/huge.mp4");
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    std::fs::File::create(&path).and_then(|f| f.set_len(size)).expect("sparse");
    set_mtime(&path, 1_700_000_000);
    let mut c = Client::connect(phone.addr());
    let mut s = Sync::open(&mut c, 1);
    s.request(*b"STA2", b"/sdcard/Movies/huge.mp4");
    let r = s.read(72);
    assert_eq!(&r[..4], b"STA2");
    assert_eq!(u32_at(&r, 4), 0, "error");
    assert_eq!(u64_at(&r, 40), size);
    assert_eq!(u64_at(&r, 56), 1_700_000_000);
    s.request(*b"STAT", b"/sdcard/Movies/huge.mp4");
    let r = s.read(16);
    assert_eq!(u32_at(&r, 8), size as u32, "v1 keeps the low 32 bits");
    s.request(*b"LIS2", b"/sdcard/Movies");
    let mut sizes = Vec::new();
    loop {
        let head = s.read(4);
        if head == b"DONE" {
            assert_eq!(s.read(72), vec![0; 72], "LIS2 ends with a full-size DONE");
            break;
        }
        assert_eq!(head, b"DNT2");
        let body = s.read(72);
        let name = s.read(u32_at(&body, 68) as usize);
        sizes.push((String::from_utf8_lossy(&name).into_owned(), u64_at(&body, 36)));
    }
    assert!(sizes.contains(&("huge.mp4".to_string(), size)), "{sizes:?}");
    s.request(*b"STA2", b"/sdcard/Movies/none");
    let r = s.read(72);
    assert_eq!(u32_at(&r, 4), 2, "ENOENT");
}

#[test]
fn send_v2_and_recv_v2_round_trip_bytes_and_mtime() {
    let (dir, phone) = phone_with_dir(Config::default());
    let content = noise(300_000, 11);
    let mut c = Client::connect(phone.addr());
    let mut s = Sync::open(&mut c, 1);
    s.request(*b"SND2", b"/sdcard/DCIM/Camera/new.jpg");
    let mut setup = b"SND2".to_vec();
    setup.extend_from_slice(&0o100_644u32.to_le_bytes());
    setup.extend_from_slice(&0u32.to_le_bytes());
    let mut body = setup;
    for chunk in content.chunks(64 * 1024) {
        body.extend_from_slice(b"DATA");
        body.extend_from_slice(&(chunk.len() as u32).to_le_bytes());
        body.extend_from_slice(chunk);
    }
    body.extend_from_slice(b"DONE");
    body.extend_from_slice(&1_600_000_000u32.to_le_bytes());
    s.write(&body);
    assert_eq!(s.read(8), b"OKAY\0\0\0\0");
    let on_phone = dir.path().join("DCIM/Camera/new.jpg");
    assert!(std::fs::read(&on_phone).expect("written") == content, "pushed content differs");
    assert_eq!(crate::util::mtime_of(&on_phone), 1_600_000_000);
    s.request(*b"RCV2", b"/sdcard/DCIM/Camera/new.jpg");
    let mut setup = b"RCV2".to_vec();
    setup.extend_from_slice(&0u32.to_le_bytes());
    s.write(&setup);
    let mut got = Vec::new();
    loop {
        let head = s.read(8);
        let len = u32_at(&head, 4) as usize;
        match &head[..4] {
            b"DATA" => {
                assert!(len <= 64 * 1024);
                got.extend(s.read(len));
            }
            b"DONE" => break,
            other => panic!("unexpected {other:?}"),
        }
    }
    assert!(got == content, "content differs ({} bytes)", got.len());
    s.request(*b"RCV2", b"/sdcard/DCIM/Camera/none.jpg");
    let mut setup = b"RCV2".to_vec();
    setup.extend_from_slice(&0u32.to_le_bytes());
    s.write(&setup);
    let head = s.read(8);
    assert_eq!(&head[..4], b"FAIL");
    let msg = s.read(u32_at(&head, 4) as usize);
    assert_eq!(msg, b"open failed: No such file or directory");
}

#[test]
fn only_one_wrte_is_in_flight_until_the_host_acknowledges_it() {
    let (dir, phone) = phone_with_dir(Config::default());
    write_file(&dir.path().join("big.bin"), &noise(4 << 20, 1), 1_500_000_000);
    let mut c = Client::connect(phone.addr());
    c.open(1, "exec:cat /sdcard/big.bin");
    let first = c.recv();
    assert_eq!(first.cmd, WRTE);
    assert!(first.data.len() <= c.max_payload as usize);
    c.tcp.set_read_timeout(Some(Duration::from_millis(300))).expect("timeout");
    let mut probe = [0u8; 1];
    assert!(c.tcp.read(&mut probe).is_err(), "the phone sent more before the WRTE was acknowledged");
    c.tcp.set_read_timeout(Some(Duration::from_secs(10))).expect("timeout");
    c.send(OKAY, 1, first.arg0, b"");
    let mut all = first.data;
    all.extend(c.read_stream(1));
    assert!(all == noise(4 << 20, 1), "content differs ({} bytes)", all.len());
}

#[test]
fn several_streams_run_at_once_on_one_connection() {
    let (dir, phone) = phone_with_dir(Config::default());
    write_file(&dir.path().join("a.bin"), &noise(3 << 20, 2), 1_500_000_000);
    write_file(&dir.path().join("b.bin"), &noise(3 << 20, 3), 1_500_000_000);
    let mut c = Client::connect(phone.addr());
    c.open(1, "exec:cat /sdcard/a.bin");
    c.open(2, "exec:cat /sdcard/b.bin");
    let (mut a, mut b, mut open): (Vec<u8>, Vec<u8>, u32) = (Vec::new(), Vec::new(), 2);
    while open > 0 {
        let m = c.recv();
        match m.cmd {
            WRTE => {
                if m.arg1 == 1 {
                    a.extend(&m.data);
                } else {
                    b.extend(&m.data);
                }
                c.send(OKAY, m.arg1, m.arg0, b"");
            }
            CLSE => open -= 1,
            other => panic!("unexpected {other:#x}"),
        }
    }
    assert!(a == noise(3 << 20, 2), "stream 1 differs ({} bytes)", a.len());
    assert!(b == noise(3 << 20, 3), "stream 2 differs ({} bytes)", b.len());
}

#[test]
fn shell_v2_frames_stdout_stderr_and_the_exit_code() {
    let (_dir, phone) = phone_with_dir(Config::default());
    let mut c = Client::connect(phone.addr());
    c.open(1, "shell,v2,raw:ls /sdcard/missing");
    let raw = c.read_stream(1);
    let mut packets = Vec::new();
    let mut at = 0;
    while at < raw.len() {
        let len = u32_at(&raw, at + 1) as usize;
        packets.push((raw[at], raw[at + 5..at + 5 + len].to_vec()));
        at += 5 + len;
    }
    assert_eq!(packets, vec![(2, b"ls: /sdcard/missing: No such file or directory\n".to_vec()), (3, vec![1])]);
}

#[test]
fn unknown_services_are_refused_with_clse() {
    let (_dir, phone) = phone_with_dir(Config::default());
    let mut c = Client::connect(phone.addr());
    c.send(OPEN, 5, 0, b"reboot:\0");
    let m = c.recv();
    assert_eq!((m.cmd, m.arg0, m.arg1), (CLSE, 0, 5));
}

#[test]
fn tcpip_with_a_port_below_1_answers_invalid_port_and_keeps_the_connection() {
    let (_dir, phone) = phone_with_dir(Config::default());
    let mut c = Client::connect(phone.addr());
    c.open(1, "tcpip:0");
    assert_eq!(c.read_stream(1), b"invalid port 0\n");
    c.open(2, "shell,v2,raw:true");
    c.read_stream(2);
    assert_eq!(phone.tcpip_addr(), None);
    assert_eq!(phone.stats().streams.get("tcpip"), Some(&1));
}

#[test]
fn tcpip_without_a_number_is_refused_with_clse() {
    let (_dir, phone) = phone_with_dir(Config::default());
    let mut c = Client::connect(phone.addr());
    c.send(OPEN, 5, 0, b"tcpip:wifi\0");
    let m = c.recv();
    assert_eq!((m.cmd, m.arg0, m.arg1), (CLSE, 0, 5));
}

#[test]
fn tcpip_answers_then_drops_every_connection_and_listens_on_the_wifi_address() {
    let (_dir, phone) = phone_with_dir(Config::default());
    let wlan0 = phone.wlan0_addr().expect("on Wi-Fi by default");
    let mut c = Client::connect(phone.addr());
    c.open(1, "tcpip:5555");
    assert_eq!(c.read_stream(1), b"restarting in TCP mode port: 5555\n");
    // The connection drops: the next read sees the end (or a reset).
    let mut rest = Vec::new();
    assert!(matches!(c.tcp.read_to_end(&mut rest), Ok(0) | Err(_)), "connection still open");
    let wifi = std::net::SocketAddr::from((wlan0, 5555));
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while phone.tcpip_addr() != Some(wifi) {
        assert!(std::time::Instant::now() < deadline, "adbd never listened on {wifi}");
        std::thread::sleep(Duration::from_millis(20));
    }
    let mut w = Client::connect(wifi);
    assert!(w.banner.starts_with("device::"), "{}", w.banner);
    w.open(1, "usb:");
    assert_eq!(w.read_stream(1), b"restarting in USB mode\n");
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while phone.tcpip_addr().is_some() || TcpStream::connect(wifi).is_ok() {
        assert!(std::time::Instant::now() < deadline, "adbd still listens on {wifi} after usb:");
        std::thread::sleep(Duration::from_millis(20));
    }
    let back = std::time::Instant::now() + Duration::from_secs(5);
    let usb = loop {
        if let Ok(tcp) = TcpStream::connect(phone.addr()) {
            break tcp;
        }
        assert!(std::time::Instant::now() < back, "the original endpoint never came back");
        std::thread::sleep(Duration::from_millis(20));
    };
    drop(usb);
    assert_eq!(phone.stats().streams.get("usb"), Some(&1));
}
