//! Reading what a DICOMweb server sends back: the STOW-RS reply after a photo is posted, and the
//! WADO-RS instance read back before the local copy is shredded.
//!
//! - [`parse_stow_reply`] reads a STOW-RS response body (`application/dicom+json`, PS3.18
//!   §10.5.3) into the SOP Instance UIDs the server says it stored, the ones it says failed (with
//!   their Failure Reason) and any Warning Reasons.
//! - [`parse_multipart`] splits a `multipart/related` WADO-RS body into its parts, borrowing each
//!   part's bytes from the body.
//! - [`encapsulated_frame`] takes the first frame's compressed bytes out of a DICOM Part-10
//!   instance with encapsulated pixel data.
//! - [`frame_digest`] and [`received_matches`] decide whether the frame read back is exactly the
//!   one sent (allowing the one zero pad byte DICOM adds to an odd-length fragment), from the sent
//!   frame's SHA-256 digest and length alone.
//!
//! Everything here is pure: no networking, no clock, no logging. Every input is untrusted: nothing
//! panics, nesting and item counts are bounded, and memory is never allocated in proportion to a
//! length the input claims, only to the input's own size. A [`ReplyError`] never carries any of
//! the reply's content (it may hold patient data).
//!
//! What this does not do: decide what a reply means for the photo (an empty 200, a 202 with
//! warnings, a frame that does not match): the caller decides. It does not decode pixels.

mod digest;
mod error;
mod frame;
mod multipart;
mod part10;
mod stow;
#[cfg(test)]
pub(crate) mod tests;

pub use digest::{frame_digest, received_matches};
pub use error::ReplyError;
pub use frame::encapsulated_frame;
pub use multipart::{parse_multipart, Part, MAX_BOUNDARY_LEN};
pub use stow::{parse_stow_reply, StowReply, MAX_ITEMS, MAX_STOW_REPLY_BYTES};

/// The fuzz targets' bodies (`fuzz/fuzz_targets/{stow_reply,wado_multipart,dicom_frame}.rs`), here
/// so that unit tests run them over random and mutated inputs too. Each panics only when an
/// invariant breaks.
#[doc(hidden)]
#[cfg(any(test, feature = "test-support"))]
pub mod fuzzing {
    use super::{
        encapsulated_frame, frame_digest, parse_multipart, parse_stow_reply, received_matches,
        MAX_ITEMS,
    };

    /// Reads `data` as a STOW-RS reply. Never panics; anything accepted is bounded by the input
    /// (no more than [`MAX_ITEMS`] entries per sequence, no UID longer than the input), parsing
    /// again gives the same answer, and so does parsing the reply written back plainly.
    pub fn stow_reply(data: &[u8]) {
        if let Ok(reply) = parse_stow_reply(data) {
            assert!(reply.stored.len() <= MAX_ITEMS, "too many stored UIDs");
            // Failed SOP Sequence and Other Failures Sequence, each bounded.
            assert!(reply.failed.len() <= 2 * MAX_ITEMS, "too many failures");
            assert!(
                reply.warnings.len() <= data.len(),
                "more warnings than input bytes"
            );
            let uids = reply
                .stored
                .iter()
                .chain(reply.failed.iter().map(|(uid, _)| uid));
            for uid in uids {
                assert!(uid.len() <= data.len(), "a UID longer than the reply");
            }
            assert!(
                parse_stow_reply(data) == Ok(reply.clone()),
                "parsing is not deterministic"
            );
            // What was read, written back as a plain reply (every failure in the Failed SOP
            // Sequence, every warning at the top level), reads back the same.
            if reply.failed.len() <= MAX_ITEMS {
                let canonical = canonical_stow_reply(&reply);
                assert!(
                    parse_stow_reply(canonical.as_bytes()) == Ok(reply),
                    "a reply written back reads differently"
                );
            }
        }
    }

    /// `reply` as a plain DICOM JSON STOW-RS reply.
    pub fn canonical_stow_reply(reply: &super::StowReply) -> String {
        use serde_json::json;
        let uid = |uid: &str| json!({"vr": "UI", "Value": [uid]});
        let stored: Vec<_> = reply
            .stored
            .iter()
            .map(|u| json!({"00081155": uid(u)}))
            .collect();
        let failed: Vec<_> = reply
            .failed
            .iter()
            .map(|(u, reason)| {
                let reason = json!({"vr": "US", "Value": [reason]});
                json!({"00081155": uid(u), "00081197": reason})
            })
            .collect();
        json!({
            "00081196": {"vr": "US", "Value": reply.warnings},
            "00081198": {"vr": "SQ", "Value": failed},
            "00081199": {"vr": "SQ", "Value": stored},
        })
        .to_string()
    }

    /// The first line of `data` (up to `\n`) is a Content-Type, the rest a body. The parts must
    /// be pieces of the body, in order, not overlapping, each content type inside its part's
    /// header block (before its body).
    pub fn wado_multipart(data: &[u8]) {
        let split = data.iter().position(|&b| b == b'\n').unwrap_or(data.len());
        let content_type = String::from_utf8_lossy(&data[..split]);
        let body = data.get(split + 1..).unwrap_or(&[]);
        let Ok(parts) = parse_multipart(&content_type, body) else {
            return;
        };
        assert!(!parts.is_empty(), "accepted with no parts");
        let base = body.as_ptr() as usize;
        let end = base + body.len();
        let mut last = base;
        for part in &parts {
            let start = part.body.as_ptr() as usize;
            assert!(
                start >= last && start + part.body.len() <= end,
                "a part is not inside the body, after the one before it"
            );
            if let Some(ct) = part.content_type {
                let at = ct.as_ptr() as usize;
                assert!(
                    at >= last && at + ct.len() <= start,
                    "a content type is not in its part's headers"
                );
            }
            last = start + part.body.len();
        }
    }

    /// Reads `data` as a Part-10 instance and takes its first frame: never panics, a frame is
    /// never longer than the input, and the frame matches itself (and, padded to even length, its
    /// unpadded self) by digest.
    pub fn dicom_frame(data: &[u8]) {
        if let Ok(frame) = encapsulated_frame(data) {
            assert!(frame.len() <= data.len(), "a frame longer than its file");
            digest_rules(&frame);
        }
    }

    /// [`received_matches`] accepts `x` against its own digest, refuses it with any one byte
    /// changed, and accepts a zero pad byte only after an odd length.
    pub fn digest_rules(x: &[u8]) {
        let d = frame_digest(x);
        assert!(
            received_matches(&d, x.len(), x),
            "a frame does not match itself"
        );
        if let Some(i) = x
            .len()
            .checked_sub(1)
            .map(|n| usize::from(x[n]) % x.len().max(1))
        {
            let mut flipped = x.to_vec();
            flipped[i] ^= 0x01;
            assert!(
                !received_matches(&d, x.len(), &flipped),
                "a changed byte still matches"
            );
        }
        let mut padded = x.to_vec();
        padded.push(0);
        assert_eq!(
            received_matches(&d, x.len(), &padded),
            x.len() % 2 == 1,
            "a pad byte was judged wrongly"
        );
        padded.pop();
        padded.push(1);
        assert!(
            !received_matches(&d, x.len(), &padded),
            "a non-zero pad byte matched"
        );
    }
}
