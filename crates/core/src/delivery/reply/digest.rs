//! Is the frame read back exactly the one sent? Decided from the sent frame's SHA-256 digest and
//! length, so the sender may drop the frame's bytes once it has them.

use ring::digest::{digest, SHA256};

/// The SHA-256 digest of a frame, for [`received_matches`].
pub fn frame_digest(frame: &[u8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    out.copy_from_slice(digest(&SHA256, frame).as_ref());
    out
}

/// Whether `received` (a frame read back, e.g. by [`super::encapsulated_frame`]) is exactly the
/// frame whose digest and length were `sent_digest` and `sent_len`: the same bytes, or, when
/// `sent_len` is odd, the same bytes followed by one `0x00` pad byte (DICOM fragments are even
/// length, PS3.5 §A.4). Any other difference, a non-zero pad or a pad after an even length, is a
/// mismatch.
pub fn received_matches(sent_digest: &[u8; 32], sent_len: usize, received: &[u8]) -> bool {
    if received.len() == sent_len {
        return frame_digest(received) == *sent_digest;
    }
    match received.split_last() {
        Some((&0, unpadded)) if unpadded.len() == sent_len && sent_len % 2 == 1 => {
            frame_digest(unpadded) == *sent_digest
        }
        _ => false,
    }
}
