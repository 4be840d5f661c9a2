//! The first frame of a DICOM Part-10 instance with encapsulated pixel data, as WADO-RS
//! `.../instances/{uid}` with `transfer-syntax=*` returns it.

use dicom_core::value::C;
use dicom_core::DicomValue;
use dicom_dictionary_std::tags;
use dicom_object::file::ReadPreamble;
use dicom_object::{OpenFileOptions, ReadError};
use zeroize::{Zeroize, Zeroizing};

use super::part10::{self, PixelData};
use super::ReplyError;

/// The first frame's compressed bytes of a DICOM Part-10 instance with encapsulated pixel data,
/// fragments of frame 1 concatenated (pad bytes included: compare with
/// [`super::received_matches`]).
///
/// Frame 1 is found with the Basic Offset Table when it has entries (from its first offset up to
/// its second, or to the end with one entry); without one, a single frame (Number of Frames absent
/// or 1) is every fragment, and several frames with exactly one fragment each is the first
/// fragment.
///
/// The file is first checked structurally (every declared length fits in the file; sequences
/// nested at most 16 deep; see `part10.rs`), then read with dicom-rs. Read with or without the
/// 128-byte preamble. The fragments dicom-rs read are wiped once the frame is copied out; the
/// reader's own 8 KiB buffer and the rest of the object (patient module included) are freed
/// unwiped, and `part10` itself is the caller's to wipe.
///
/// Refused: not a Part-10 file ([`ReplyError::NotDicom`]); a damaged one
/// ([`ReplyError::DicomDamaged`]); a transfer syntax that is not a still-image encapsulated one
/// ([`ReplyError::UnsupportedTransferSyntax`]); native pixel data, or a transfer syntax that can
/// only carry native pixel data ([`ReplyError::NativePixelData`]); no Pixel Data
/// ([`ReplyError::NoPixelData`]); no fragments ([`ReplyError::NoFragments`]); an offset table
/// that does not point at fragments ([`ReplyError::BadOffsetTable`]); several frames that cannot
/// be told apart ([`ReplyError::FramesAmbiguous`]).
pub fn encapsulated_frame(part10: &[u8]) -> Result<Zeroizing<Vec<u8>>, ReplyError> {
    let layout = part10::check(part10)?;
    match layout.pixel_data {
        PixelData::Absent => return Err(ReplyError::NoPixelData),
        PixelData::Native => return Err(ReplyError::NativePixelData),
        PixelData::Encapsulated => {}
    }
    let preamble = if layout.preamble {
        ReadPreamble::Always
    } else {
        ReadPreamble::Never
    };
    let mut object = OpenFileOptions::new()
        .read_preamble(preamble)
        .from_reader(part10)
        .map_err(|e| match e {
            ReadError::ReadUnrecognizedTransferSyntax { .. }
            | ReadError::ReadUnsupportedTransferSyntax { .. }
            | ReadError::ReadUnsupportedTransferSyntaxWithSuggestion { .. } => {
                ReplyError::UnsupportedTransferSyntax
            }
            _ => ReplyError::DicomDamaged,
        })?;
    let frames = number_of_frames(&object)?;
    let pixel_data = object
        .take(tags::PIXEL_DATA)
        .ok_or(ReplyError::NoPixelData)?;
    let DicomValue::PixelSequence(sequence) = pixel_data.into_value() else {
        return Err(ReplyError::NativePixelData);
    };
    let (offsets, mut fragments) = sequence.into_parts();
    let frame = first_frame(&offsets, &fragments, frames);
    for fragment in fragments.iter_mut() {
        fragment.zeroize();
    }
    frame
}

/// Number of Frames (0028,0008): 1 when absent or empty; refused when unreadable or 0.
fn number_of_frames(object: &dicom_object::DefaultDicomObject) -> Result<u32, ReplyError> {
    let element = match object.element_opt(tags::NUMBER_OF_FRAMES) {
        Ok(Some(element)) => element,
        Ok(None) => return Ok(1),
        Err(_) => return Err(ReplyError::DicomDamaged),
    };
    if element.value().multiplicity() == 0 {
        return Ok(1);
    }
    match element.to_int::<u32>() {
        Ok(0) | Err(_) => Err(ReplyError::DicomDamaged),
        Ok(n) => Ok(n),
    }
}

/// Frame 1's fragments, concatenated into one buffer allocated once (no stray copies).
fn first_frame(
    offsets: &[u32],
    fragments: &C<Vec<u8>>,
    frames: u32,
) -> Result<Zeroizing<Vec<u8>>, ReplyError> {
    if fragments.is_empty() {
        return Err(ReplyError::NoFragments);
    }
    let range = if offsets.is_empty() {
        if frames == 1 {
            0..fragments.len()
        } else if usize::try_from(frames).ok() == Some(fragments.len()) {
            0..1
        } else {
            return Err(ReplyError::FramesAmbiguous);
        }
    } else {
        if frames > 1 && offsets.len() < 2 {
            return Err(ReplyError::BadOffsetTable);
        }
        // Offsets count from the first fragment's item tag; each item is an 8-byte header and
        // its value.
        let mut starts = Vec::with_capacity(fragments.len());
        let mut at = 0u64;
        for fragment in fragments.iter() {
            starts.push(at);
            at += 8 + fragment.len() as u64;
        }
        let index_of = |offset: u32| starts.iter().position(|&s| s == u64::from(offset));
        let first = index_of(offsets[0]).ok_or(ReplyError::BadOffsetTable)?;
        let end = match offsets.get(1) {
            Some(&next) => index_of(next).ok_or(ReplyError::BadOffsetTable)?,
            None => fragments.len(),
        };
        if end <= first {
            return Err(ReplyError::BadOffsetTable);
        }
        first..end
    };
    let pieces = &fragments[range];
    let total = pieces.iter().map(Vec::len).sum();
    let mut frame = Zeroizing::new(Vec::with_capacity(total));
    for piece in pieces {
        frame.extend_from_slice(piece);
    }
    Ok(frame)
}
