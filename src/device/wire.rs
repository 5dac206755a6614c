//! The adb server's smart-socket protocol (AOSP `SERVICES.TXT`): a request is four hex digits of length and
//! the request; the server answers `OKAY`, or `FAIL` with a hex-length message. Host queries then send one
//! hex-length payload; after `host:transport:SERIAL` the socket carries the phone's service as raw bytes.
//!
//! `adb_client` has the same code, but its transport is crate-private and its `ADBServer` runs `adb
//! start-server` (without the port) before every request, so phonebak keeps these few functions itself.

use super::error::DeviceError;
use std::io::{self, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

/// The longest request the four hex digits can announce.
pub const MAX_REQUEST: usize = 0xffff;

/// How long connecting to the local adb server may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// One connection to the adb server. Reads are buffered (sync headers are 8 bytes); writes go straight out.
#[derive(Debug)]
pub struct Conn {
    reader: BufReader<TcpStream>,
}

/// Why a connection could not be opened.
pub enum OpenError {
    /// Nothing listens on the port: the server is not running.
    NotRunning(io::Error),
    /// Any other failure.
    Other(io::Error),
}

impl Conn {
    /// Connects to the server at `addr`, with `timeout` on every later read and write.
    pub fn open(addr: SocketAddr, timeout: Option<Duration>) -> Result<Self, OpenError> {
        let stream = TcpStream::connect_timeout(&addr, CONNECT_TIMEOUT).map_err(|e| match e.kind() {
            io::ErrorKind::ConnectionRefused => OpenError::NotRunning(e),
            _ => OpenError::Other(e),
        })?;
        let setup = |s: &TcpStream| -> io::Result<()> {
            s.set_nodelay(true)?;
            s.set_read_timeout(timeout)?;
            s.set_write_timeout(timeout)
        };
        setup(&stream).map_err(OpenError::Other)?;
        Ok(Self { reader: BufReader::with_capacity(256 * 1024, stream) })
    }

    /// Sends one request and reads the server's `OKAY`; a `FAIL` becomes an error carrying its message.
    pub fn request(&mut self, request: &[u8]) -> Result<(), DeviceError> {
        if request.len() > MAX_REQUEST {
            return Err(DeviceError::BadCommand {
                why: format!("it is {} bytes long, and adb takes at most {MAX_REQUEST}", request.len()),
            });
        }
        let mut framed = format!("{:04x}", request.len()).into_bytes();
        framed.extend_from_slice(request);
        self.write_all(&framed)?;
        let mut status = [0u8; 4];
        self.read_exact(&mut status)?;
        match &status {
            b"OKAY" => Ok(()),
            b"FAIL" => {
                let message = self.read_hex_payload()?;
                Err(refused(request, &String::from_utf8_lossy(&message)))
            }
            other => Err(DeviceError::Protocol {
                what: format!("the server answered {:?} instead of OKAY or FAIL", String::from_utf8_lossy(other)),
            }),
        }
    }

    /// Reads a payload announced by four hex digits.
    pub fn read_hex_payload(&mut self) -> Result<Vec<u8>, DeviceError> {
        let mut hex = [0u8; 4];
        self.read_exact(&mut hex)?;
        let len = std::str::from_utf8(&hex)
            .ok()
            .and_then(|h| usize::from_str_radix(h, 16).ok())
            .ok_or_else(|| DeviceError::Protocol { what: format!("bad length {:?}", String::from_utf8_lossy(&hex)) })?;
        let mut body = vec![0u8; len];
        self.read_exact(&mut body)?;
        Ok(body)
    }

    /// Reads exactly `buf.len()` bytes; the end of the stream or a broken link is `ConnectionLost`.
    pub fn read_exact(&mut self, buf: &mut [u8]) -> Result<(), DeviceError> {
        self.reader.read_exact(buf).map_err(lost)
    }

    /// Writes all of `bytes`.
    pub fn write_all(&mut self, bytes: &[u8]) -> Result<(), DeviceError> {
        self.reader.get_mut().write_all(bytes).map_err(lost)
    }

    /// Reads until the other end closes (a service's whole answer); a broken link ends it too.
    pub fn read_to_end_lossy(&mut self) -> Vec<u8> {
        let mut all = Vec::new();
        let _ = self.reader.read_to_end(&mut all);
        all
    }

    /// A handle that closes this connection from another thread (a blocked read then returns an error).
    pub fn closer(&self) -> io::Result<TcpStream> {
        self.reader.get_ref().try_clone()
    }

    /// Changes the read timeout (a short one lets a failed push's reason be read after the link broke).
    pub fn set_read_timeout(&self, timeout: Option<Duration>) {
        let _ = self.reader.get_ref().set_read_timeout(timeout);
    }
}

/// An I/O error on the server connection: the link to the phone is gone.
pub fn lost(source: io::Error) -> DeviceError {
    let source = if source.kind() == io::ErrorKind::UnexpectedEof {
        io::Error::new(io::ErrorKind::UnexpectedEof, "the phone closed the connection")
    } else {
        source
    };
    DeviceError::ConnectionLost { source }
}

/// Turns a server `FAIL` into the error that tells the user what to do.
fn refused(request: &[u8], message: &str) -> DeviceError {
    let request = String::from_utf8_lossy(request);
    // The request after host:transport is the phone's service; its serial is in the transport request.
    let serial = request
        .strip_prefix("host:transport:")
        .or_else(|| request.strip_prefix("host-serial:").and_then(|r| r.rsplit_once(':').map(|(s, _)| s)))
        .unwrap_or("")
        .to_string();
    let lower = message.to_ascii_lowercase();
    if lower.contains("not found") && !serial.is_empty() {
        return DeviceError::NotConnected { serial };
    }
    // adb says "device unauthorized.\n...", "device offline", "device still authorizing", "device still connecting".
    let state = if lower.contains("unauthorized") {
        Some(super::DeviceState::Unauthorized)
    } else if lower.contains("authorizing") {
        Some(super::DeviceState::Authorizing)
    } else if lower.contains("offline") {
        Some(super::DeviceState::Offline)
    } else if lower.contains("still connecting") {
        Some(super::DeviceState::Connecting)
    } else {
        None
    };
    if let Some(state) = state {
        return DeviceError::NotReady { serial, state: state.as_str().to_string(), guidance: state.guidance(None) };
    }
    if lower.contains("no permissions") || lower.contains("insufficient permissions") {
        let state = super::DeviceState::NoPermissions(message.to_string());
        return DeviceError::NotReady { serial, state: "not accessible".to_string(), guidance: state.guidance(None) };
    }
    let mut shown: String = request.chars().take(80).collect();
    if shown.len() < request.len() {
        shown.push_str("...");
    }
    DeviceError::Refused { request: shown, message: message.trim().to_string() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_refusals_become_errors_with_guidance() {
        let e = refused(b"host:transport:ABC", "device 'ABC' not found");
        assert!(matches!(&e, DeviceError::NotConnected { serial } if serial == "ABC"), "{e:?}");
        let e = refused(
            b"host:transport:ABC",
            "device unauthorized.\nThis adb server's $ADB_VENDOR_KEYS is not set\nTry 'adb kill-server' if that \
             seems wrong.\nOtherwise check for a confirmation dialog on your device.",
        );
        assert!(matches!(&e, DeviceError::NotReady { state, .. } if state == "unauthorized"), "{e:?}");
        assert!(e.to_string().contains("tap Allow"), "{e}");
        let e = refused(b"host-serial:127.0.0.1:5555:features", "device offline");
        assert!(
            matches!(&e, DeviceError::NotReady { state, serial, .. } if state == "offline" && serial == "127.0.0.1:5555"),
            "{e:?}"
        );
        let e = refused(b"host:transport:ABC", "device still authorizing");
        assert!(matches!(&e, DeviceError::NotReady { state, .. } if state == "authorizing"), "{e:?}");
        let e = refused(b"shell,v2,raw:ls", "closed");
        assert!(matches!(&e, DeviceError::Refused { .. }), "{e:?}");
    }
}
