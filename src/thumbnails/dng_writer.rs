//! Writing DNGs for the tests, as `DngCreator` and Adobe's converter lay them out (an uncompressed RGB thumbnail
//! in IFD0, the raw and a JPEG preview in `SubIFDs`); included with `#[path]` where needed, not part of the
//! library.

#![allow(dead_code, clippy::many_single_char_names)]

/// A little-endian TIFF being laid out as cameras do: IFDs (and their longer values) in the first 4 KB, the
/// data blocks after them.
struct Writer {
    out: Vec<u8>,
    /// Where the next IFD or long value goes in the first 4 KB.
    ifds: usize,
}

/// An IFD entry: tag, type (3 SHORT, 4 LONG, 13 IFD, 1 BYTE, 2 ASCII), values.
type Entry = (u16, u16, Vec<u32>);

const IFD_AREA: usize = 4096;

impl Writer {
    fn new() -> Self {
        let mut out = vec![0; IFD_AREA];
        out[..4].copy_from_slice(b"II*\0");
        Self { out, ifds: 8 }
    }

    /// Appends `bytes` (word-aligned) after the IFDs and returns their offset.
    fn data(&mut self, bytes: &[u8]) -> u32 {
        if self.out.len() % 2 == 1 {
            self.out.push(0);
        }
        let at = self.out.len() as u32;
        self.out.extend_from_slice(bytes);
        at
    }

    /// Puts `bytes` in the IFD area; returns their offset.
    fn early(&mut self, bytes: &[u8]) -> u32 {
        self.ifds += self.ifds % 2;
        let at = self.ifds;
        assert!(at + bytes.len() <= IFD_AREA, "the IFD area is full");
        self.out[at..at + bytes.len()].copy_from_slice(bytes);
        self.ifds += bytes.len();
        at as u32
    }

    /// Writes an IFD of `entries` with next-IFD offset 0; returns its offset.
    fn ifd(&mut self, mut entries: Vec<Entry>) -> u32 {
        entries.sort_by_key(|e| e.0);
        let mut laid = Vec::new();
        for (tag, kind, values) in entries {
            let width = if kind == 3 {
                2
            } else if matches!(kind, 1 | 2) {
                1
            } else {
                4
            };
            let mut bytes = Vec::new();
            for v in &values {
                match width {
                    1 => bytes.push(*v as u8),
                    2 => bytes.extend_from_slice(&(*v as u16).to_le_bytes()),
                    _ => bytes.extend_from_slice(&v.to_le_bytes()),
                }
            }
            let field = if bytes.len() > 4 {
                self.early(&bytes).to_le_bytes().to_vec()
            } else {
                let mut b = bytes.clone();
                b.resize(4, 0);
                b
            };
            laid.push((tag, kind, values.len() as u32, field));
        }
        let mut ifd = (laid.len() as u16).to_le_bytes().to_vec();
        for (tag, kind, count, field) in laid {
            ifd.extend_from_slice(&tag.to_le_bytes());
            ifd.extend_from_slice(&kind.to_le_bytes());
            ifd.extend_from_slice(&count.to_le_bytes());
            ifd.extend_from_slice(&field);
        }
        ifd.extend_from_slice(&0u32.to_le_bytes());
        self.early(&ifd)
    }
}

fn jpeg(image: &image::RgbImage) -> Vec<u8> {
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90).encode_image(image).expect("jpeg");
    out
}

/// A DNG of a `stored` picture shown with orientation `o`: a 1/8 RGB thumbnail in IFD0 (as Android writes),
/// a raw of `raw_bytes` of noise and a full-size JPEG preview in `SubIFDs`, the preview after the raw when
/// `preview_last`. Returns the file and the preview's JPEG.
pub fn dng(stored: &image::RgbImage, o: u8, raw_bytes: usize, preview_last: bool) -> (Vec<u8>, Vec<u8>) {
    let (w, h) = stored.dimensions();
    let small = image::imageops::resize(stored, w / 8, h / 8, image::imageops::FilterType::Triangle);
    let preview = jpeg(stored);
    let raw: Vec<u8> = (0..raw_bytes).map(|i| (i * 7 + i / 13) as u8).collect();
    let mut t = Writer::new();
    let thumb_at = t.data(small.as_raw());
    let (raw_at, preview_at) = if preview_last {
        let r = t.data(&raw);
        (r, t.data(&preview))
    } else {
        let p = t.data(&preview);
        (t.data(&raw), p)
    };
    let raw_ifd = t.ifd(vec![
        (0x00FE, 4, vec![0]),
        (0x0100, 4, vec![w]),
        (0x0101, 4, vec![h]),
        (0x0102, 3, vec![16]),
        (0x0103, 3, vec![1]),
        (0x0106, 3, vec![32803]),
        (0x0111, 4, vec![raw_at]),
        (0x0115, 3, vec![1]),
        (0x0116, 4, vec![h]),
        (0x0117, 4, vec![raw_bytes as u32]),
        (0x828D, 3, vec![2, 2]),
        (0x828E, 1, vec![0, 1, 1, 2]),
    ]);
    let preview_ifd = t.ifd(vec![
        (0x00FE, 4, vec![1]),
        (0x0100, 4, vec![w]),
        (0x0101, 4, vec![h]),
        (0x0102, 3, vec![8, 8, 8]),
        (0x0103, 3, vec![7]),
        (0x0106, 3, vec![6]),
        (0x0111, 4, vec![preview_at]),
        (0x0115, 3, vec![3]),
        (0x0116, 4, vec![h]),
        (0x0117, 4, vec![preview.len() as u32]),
    ]);
    let ifd0 = t.ifd(vec![
        (0x00FE, 4, vec![1]),
        (0x0100, 4, vec![w / 8]),
        (0x0101, 4, vec![h / 8]),
        (0x0102, 3, vec![8, 8, 8]),
        (0x0103, 3, vec![1]),
        (0x0106, 3, vec![2]),
        (0x010F, 2, b"phonebak\0".iter().map(|&b| u32::from(b)).collect()),
        (0x0111, 4, vec![thumb_at]),
        (0x0112, 3, vec![u32::from(o)]),
        (0x0115, 3, vec![3]),
        (0x0116, 4, vec![h / 8]),
        (0x0117, 4, vec![small.as_raw().len() as u32]),
        (0x014A, 13, vec![raw_ifd, preview_ifd]),
        (0xC612, 1, vec![1, 4, 0, 0]),
        (0xC614, 2, b"phonebak test\0".iter().map(|&b| u32::from(b)).collect()),
    ]);
    t.out[4..8].copy_from_slice(&ifd0.to_le_bytes());
    (t.out, preview)
}
