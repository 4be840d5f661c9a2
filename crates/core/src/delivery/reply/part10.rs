//! A structural check of a DICOM Part-10 file before dicom-rs reads it.
//!
//! dicom-rs reserves (and zero-fills) each element's declared length before reading its value, so
//! a few bytes claiming a 4 GiB element would make it allocate 4 GiB. This walk reads the file as
//! dicom-rs will (File Meta group, then the data set in Explicit VR Little Endian) and refuses it
//! unless every declared length fits in what is left of the file and of its enclosing item or
//! sequence. It accepts a strict subset of well-formed files: known VRs only; undefined lengths
//! only on sequences, items and encapsulated Pixel Data; binary values (US, FD, AT...) a whole
//! number of values long; delimiters of zero length; a Basic Offset Table of whole 32-bit words;
//! sequences nested at most [`MAX_DEPTH`] deep; no trailing bytes.
//! Whatever it accepts, dicom-rs then reads with allocations bounded by the input's size.

use super::ReplyError;

/// The deepest nesting of sequences read (a photo's object nests 2 deep).
pub(super) const MAX_DEPTH: usize = 16;

/// An undefined length (PS3.5 §7.1.1).
const UNDEFINED: u32 = 0xFFFF_FFFF;

/// VRs whose explicit-VR header has a 16-bit length (PS3.5 Table 7.1-2), as dicom-rs reads them.
const SHORT_VRS: [&[u8; 2]; 21] = [
    b"AE", b"AS", b"AT", b"CS", b"DA", b"DS", b"DT", b"FL", b"FD", b"IS", b"LO", b"LT", b"PN",
    b"SH", b"SL", b"SS", b"ST", b"TM", b"UI", b"UL", b"US",
];
/// The other VRs dicom-rs knows: 2 reserved bytes, then a 32-bit length (PS3.5 Table 7.1-1).
pub(super) const LONG_VRS: [&[u8; 2]; 13] = [
    b"OB", b"OD", b"OF", b"OL", b"OV", b"OW", b"SQ", b"SV", b"UC", b"UN", b"UR", b"UT", b"UV",
];

/// The size of one value of a binary VR (PS3.5 Table 6.2-1), 1 for the others: a value's
/// length must be a multiple of it.
fn value_size(vr: &[u8; 2]) -> u32 {
    match vr {
        b"US" | b"SS" | b"OW" => 2,
        b"AT" | b"UL" | b"SL" | b"FL" | b"OF" | b"OL" => 4,
        b"FD" | b"OD" | b"SV" | b"UV" | b"OV" => 8,
        _ => 1,
    }
}

/// Transfer syntaxes whose pixel data is encapsulated and whose data set is Explicit VR Little
/// Endian, not deflated (PS3.5 §A.4, PS3.6 Table A-1): still-image codecs only.
const ENCAPSULATED: [&str; 20] = [
    "1.2.840.10008.1.2.4.50",  // JPEG Baseline (Process 1)
    "1.2.840.10008.1.2.4.51",  // JPEG Extended (Process 2 & 4)
    "1.2.840.10008.1.2.4.57",  // JPEG Lossless
    "1.2.840.10008.1.2.4.70",  // JPEG Lossless SV1
    "1.2.840.10008.1.2.4.80",  // JPEG-LS Lossless
    "1.2.840.10008.1.2.4.81",  // JPEG-LS Near-Lossless
    "1.2.840.10008.1.2.4.90",  // JPEG 2000 Lossless
    "1.2.840.10008.1.2.4.91",  // JPEG 2000
    "1.2.840.10008.1.2.4.92",  // JPEG 2000 Part 2 Multi-component Lossless
    "1.2.840.10008.1.2.4.93",  // JPEG 2000 Part 2 Multi-component
    "1.2.840.10008.1.2.4.110", // JPEG XL Lossless
    "1.2.840.10008.1.2.4.111", // JPEG XL JPEG Recompression
    "1.2.840.10008.1.2.4.112", // JPEG XL
    "1.2.840.10008.1.2.4.201", // HTJ2K Lossless
    "1.2.840.10008.1.2.4.202", // HTJ2K Lossless RPCL
    "1.2.840.10008.1.2.4.203", // HTJ2K
    "1.2.840.10008.1.2.5",     // RLE Lossless
    "1.2.840.10008.1.2.8.1",   // Deflated Image Frame Compression
    "1.2.840.10008.1.2.1.98",  // Encapsulated Uncompressed Explicit VR Little Endian
    // Explicit VR Little Endian is walked too, to tell native from absent pixel data.
    "1.2.840.10008.1.2.1",
];
/// Transfer syntaxes that cannot carry encapsulated pixel data: Implicit VR Little Endian,
/// Explicit VR Big Endian (retired), Deflated Explicit VR Little Endian.
const NATIVE_ONLY: [&str; 3] = [
    "1.2.840.10008.1.2",
    "1.2.840.10008.1.2.2",
    "1.2.840.10008.1.2.1.99",
];

/// The Pixel Data (7FE0,0010) of the top-level data set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum PixelData {
    /// None.
    Absent,
    /// With a defined length: native (uncompressed) pixels.
    Native,
    /// With an undefined length: a sequence of fragments.
    Encapsulated,
}

/// What the check found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Layout {
    /// Whether the file has the 128-byte preamble before `DICM`.
    pub(super) preamble: bool,
    /// The top-level Pixel Data.
    pub(super) pixel_data: PixelData,
}

/// Checks `data` as a Part-10 file (see the module documentation).
pub(super) fn check(data: &[u8]) -> Result<Layout, ReplyError> {
    // dicom-rs looks for the magic after a preamble first.
    let (preamble, start) = if data.get(128..132) == Some(b"DICM".as_slice()) {
        (true, 132)
    } else if data.starts_with(b"DICM") {
        (false, 4)
    } else {
        return Err(ReplyError::NotDicom);
    };
    let mut walk = Walk {
        data,
        pos: start,
        pixel_data: PixelData::Absent,
    };
    let transfer_syntax = walk.meta()?;
    let transfer_syntax = trim_uid(transfer_syntax);
    if NATIVE_ONLY
        .iter()
        .any(|ts| ts.as_bytes() == transfer_syntax)
    {
        return Err(ReplyError::NativePixelData);
    }
    if !ENCAPSULATED
        .iter()
        .any(|ts| ts.as_bytes() == transfer_syntax)
    {
        return Err(ReplyError::UnsupportedTransferSyntax);
    }
    walk.elements(data.len(), false, 0)?;
    Ok(Layout {
        preamble,
        pixel_data: walk.pixel_data,
    })
}

/// A UID value without its trailing NUL or space padding.
fn trim_uid(uid: &[u8]) -> &[u8] {
    let end = uid
        .iter()
        .rposition(|&b| b != 0 && !b.is_ascii_whitespace())
        .map_or(0, |i| i + 1);
    &uid[..end]
}

/// A position in the file being checked.
struct Walk<'a> {
    data: &'a [u8],
    pos: usize,
    pixel_data: PixelData,
}

impl<'a> Walk<'a> {
    /// The next `n` bytes, if they end at or before `limit`.
    fn take(&mut self, n: usize, limit: usize) -> Result<&'a [u8], ReplyError> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&end| end <= limit && end <= self.data.len())
            .ok_or(ReplyError::DicomDamaged)?;
        let bytes = &self.data[self.pos..end];
        self.pos = end;
        Ok(bytes)
    }

    fn u16(&mut self, limit: usize) -> Result<u16, ReplyError> {
        let b = self.take(2, limit)?;
        Ok(u16::from_le_bytes([b[0], b[1]]))
    }

    fn u32(&mut self, limit: usize) -> Result<u32, ReplyError> {
        let b = self.take(4, limit)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// The File Meta group as dicom-rs reads it: (0002,0000) with a 4-byte value, then elements
    /// until that many bytes are read. Returns the last Transfer Syntax UID value.
    fn meta(&mut self) -> Result<&'a [u8], ReplyError> {
        let limit = self.data.len();
        let (tag, _, len, _) = self.meta_header()?;
        if tag != (0x0002, 0x0000) || len != 4 {
            return Err(ReplyError::DicomDamaged);
        }
        let group_length = self.u32(limit)?;
        let mut read: u32 = 0;
        let mut transfer_syntax = None;
        while read < group_length {
            let (tag, _, len, header_size) = self.meta_header()?;
            if len == UNDEFINED {
                return Err(ReplyError::DicomDamaged);
            }
            let value = self.take(len as usize, limit)?;
            if tag == (0x0002, 0x0010) {
                transfer_syntax = Some(value);
            }
            read = read.saturating_add(header_size).saturating_add(len);
        }
        transfer_syntax.ok_or(ReplyError::DicomDamaged)
    }

    /// An explicit VR little endian header exactly as dicom-rs decodes one in the File Meta
    /// group: group FFFE has no VR; an unknown VR reads as UN. Returns the tag, the VR (if any),
    /// the length and the header's size.
    #[allow(clippy::type_complexity)]
    fn meta_header(&mut self) -> Result<((u16, u16), Option<[u8; 2]>, u32, u32), ReplyError> {
        let limit = self.data.len();
        let tag = (self.u16(limit)?, self.u16(limit)?);
        if tag.0 == 0xFFFE {
            return Ok((tag, None, self.u32(limit)?, 8));
        }
        let vr = self.take(2, limit)?;
        let vr = [vr[0], vr[1]];
        if SHORT_VRS.contains(&&vr) {
            Ok((tag, Some(vr), u32::from(self.u16(limit)?), 8))
        } else {
            self.take(2, limit)?;
            Ok((tag, Some(vr), self.u32(limit)?, 12))
        }
    }

    /// Data set elements up to `limit`; with `delimited`, an undefined-length item's elements up
    /// to its Item Delimitation Item (which must come before `limit`).
    fn elements(&mut self, limit: usize, delimited: bool, depth: usize) -> Result<(), ReplyError> {
        loop {
            if self.pos == limit {
                return if delimited {
                    Err(ReplyError::DicomDamaged)
                } else {
                    Ok(())
                };
            }
            let tag = (self.u16(limit)?, self.u16(limit)?);
            if tag.0 == 0xFFFE {
                let len = self.u32(limit)?;
                if delimited && tag.1 == 0xE00D && len == 0 {
                    return Ok(());
                }
                return Err(ReplyError::DicomDamaged);
            }
            let vr = self.take(2, limit)?;
            let vr = [vr[0], vr[1]];
            let len = if SHORT_VRS.contains(&&vr) {
                u32::from(self.u16(limit)?)
            } else if LONG_VRS.contains(&&vr) {
                self.take(2, limit)?;
                self.u32(limit)?
            } else {
                return Err(ReplyError::DicomDamaged);
            };
            let pixel_data = tag == (0x7FE0, 0x0010);
            if &vr == b"SQ" {
                if pixel_data || depth >= MAX_DEPTH {
                    return Err(ReplyError::DicomDamaged);
                }
                if len == UNDEFINED {
                    self.items(limit, true, depth + 1)?;
                } else {
                    let end = self.end_of(len, limit)?;
                    self.items(end, false, depth + 1)?;
                }
            } else if len == UNDEFINED {
                if !pixel_data || !(&vr == b"OB" || &vr == b"OW") {
                    return Err(ReplyError::DicomDamaged);
                }
                self.fragments(limit)?;
                if depth == 0 {
                    self.pixel_data = PixelData::Encapsulated;
                }
            } else {
                // dicom-rs reads binary numbers as whole values and would lose its place in the
                // file after a length that is not a whole number of them.
                if !len.is_multiple_of(value_size(&vr)) {
                    return Err(ReplyError::DicomDamaged);
                }
                self.take(len as usize, limit)?;
                if pixel_data && depth == 0 {
                    self.pixel_data = PixelData::Native;
                }
            }
        }
    }

    /// Where a value of defined length `len` starting here ends, if within `limit`.
    fn end_of(&self, len: u32, limit: usize) -> Result<usize, ReplyError> {
        self.pos
            .checked_add(len as usize)
            .filter(|&end| end <= limit)
            .ok_or(ReplyError::DicomDamaged)
    }

    /// A sequence's items up to `limit`; with `delimited`, up to its Sequence Delimitation Item.
    fn items(&mut self, limit: usize, delimited: bool, depth: usize) -> Result<(), ReplyError> {
        loop {
            if self.pos == limit && !delimited {
                return Ok(());
            }
            let tag = (self.u16(limit)?, self.u16(limit)?);
            let len = self.u32(limit)?;
            match tag {
                (0xFFFE, 0xE000) if len == UNDEFINED => self.elements(limit, true, depth)?,
                (0xFFFE, 0xE000) => {
                    let end = self.end_of(len, limit)?;
                    self.elements(end, false, depth)?;
                }
                (0xFFFE, 0xE0DD) if delimited && len == 0 => return Ok(()),
                _ => return Err(ReplyError::DicomDamaged),
            }
        }
    }

    /// Encapsulated Pixel Data's items (the Basic Offset Table, then fragments), each of defined
    /// length, up to the Sequence Delimitation Item.
    fn fragments(&mut self, limit: usize) -> Result<(), ReplyError> {
        let mut offset_table = true;
        loop {
            let tag = (self.u16(limit)?, self.u16(limit)?);
            let len = self.u32(limit)?;
            match tag {
                (0xFFFE, 0xE000) if len != UNDEFINED => {
                    // dicom-rs reads the offset table as whole 32-bit words.
                    if offset_table && !len.is_multiple_of(4) {
                        return Err(ReplyError::DicomDamaged);
                    }
                    offset_table = false;
                    self.take(len as usize, limit)?;
                }
                (0xFFFE, 0xE0DD) if len == 0 => return Ok(()),
                _ => return Err(ReplyError::DicomDamaged),
            }
        }
    }
}
