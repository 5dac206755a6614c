//! ADB packets (AOSP `protocol.txt`): a 24-byte little-endian header and a payload.

use std::io::{self, Read};

/// `CNXN`: connect.
pub const A_CNXN: u32 = 0x4e58_4e43;
/// `AUTH`: authentication.
pub const A_AUTH: u32 = 0x4854_5541;
/// `OPEN`: open a stream to a service.
pub const A_OPEN: u32 = 0x4e45_504f;
/// `OKAY`: stream ready / write acknowledged.
pub const A_OKAY: u32 = 0x5941_4b4f;
/// `CLSE`: close a stream.
pub const A_CLSE: u32 = 0x4553_4c43;
/// `WRTE`: data on a stream.
pub const A_WRTE: u32 = 0x4554_5257;

/// Protocol version with optional checksums (adb 1.0.39+).
pub const A_VERSION: u32 = 0x0100_0001;
/// The largest payload this device accepts (and offers).
pub const MAX_PAYLOAD: u32 = 1024 * 1024;

/// AUTH arg0: a token to sign.
pub const AUTH_TOKEN: u32 = 1;
/// AUTH arg0: a signature of the token.
pub const AUTH_SIGNATURE: u32 = 2;
/// AUTH arg0: the host's public key.
pub const AUTH_RSAPUBLICKEY: u32 = 3;

/// One ADB message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Packet {
    /// Command (`A_*`).
    pub cmd: u32,
    /// First argument.
    pub arg0: u32,
    /// Second argument.
    pub arg1: u32,
    /// Payload.
    pub data: Vec<u8>,
}

impl Packet {
    /// A packet with a payload.
    #[must_use]
    pub fn new(cmd: u32, arg0: u32, arg1: u32, data: Vec<u8>) -> Self {
        Self { cmd, arg0, arg1, data }
    }

    /// Serializes header and payload, with the payload's byte sum as checksum.
    #[must_use]
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(24 + self.data.len());
        for word in
            [self.cmd, self.arg0, self.arg1, self.data.len() as u32, checksum(&self.data), self.cmd ^ 0xffff_ffff]
        {
            out.extend_from_slice(&word.to_le_bytes());
        }
        out.extend_from_slice(&self.data);
        out
    }

    /// Reads one packet; fails on a bad magic, an oversized payload or a wrong (non-zero) checksum.
    pub fn read_from(r: &mut impl Read) -> io::Result<Self> {
        let mut header = [0u8; 24];
        r.read_exact(&mut header)?;
        let word =
            |i: usize| u32::from_le_bytes([header[i * 4], header[i * 4 + 1], header[i * 4 + 2], header[i * 4 + 3]]);
        let (cmd, arg0, arg1, len, sum, magic) = (word(0), word(1), word(2), word(3), word(4), word(5));
        if magic != cmd ^ 0xffff_ffff {
            return Err(io::Error::new(io::ErrorKind::InvalidData, format!("bad ADB magic for command {cmd:#x}")));
        }
        if len > MAX_PAYLOAD {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("ADB payload of {len} bytes is over the limit"),
            ));
        }
        let mut data = vec![0u8; len as usize];
        r.read_exact(&mut data)?;
        if sum != 0 && sum != checksum(&data) {
            return Err(io::Error::new(io::ErrorKind::InvalidData, "ADB payload checksum mismatch"));
        }
        Ok(Self { cmd, arg0, arg1, data })
    }
}

/// The byte sum ADB uses as a checksum.
#[must_use]
pub fn checksum(data: &[u8]) -> u32 {
    data.iter().fold(0u32, |acc, &b| acc.wrapping_add(u32::from(b)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packets_round_trip_and_bad_checksums_are_refused() {
        let p = Packet::new(A_WRTE, 1, 2, b"hello".to_vec());
        let bytes = p.encode();
        assert_eq!(&bytes[0..4], b"WRTE");
        assert_eq!(Packet::read_from(&mut &bytes[..]).expect("decode"), p);
        let mut bad = bytes.clone();
        bad[24] ^= 1;
        assert!(Packet::read_from(&mut &bad[..]).is_err());
        let mut bad_magic = bytes;
        bad_magic[20] ^= 1;
        assert!(Packet::read_from(&mut &bad_magic[..]).is_err());
    }
}
