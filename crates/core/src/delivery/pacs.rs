//! The trust's PACS, spoken to by DICOMweb over the pinned [`crate::endpoint::Endpoint`]:
//! STOW-RS to store a photo's DICOM object, WADO-RS to read its copy back. Every answer is sorted here into what the
//! outbox does next ([`Outcome`]): go on, wait and retry, or hold the photo for a person.
//!
//! How PS3.18's answers are read (STOW-RS, `POST {base}/studies`):
//! - **200**: stored, unless the reply's Failed SOP Sequence names the photo.
//! - **202**: some stored, some not: the photo's own entry decides.
//! - **409**: none stored; the Failed SOP Sequence's reason decides (an unreadable 409 holds).
//! - Failure reasons: `A7xx` (out of resources) and `0110` (processing failure) wait and retry;
//!   `0111` (already stored) counts as stored, since the read-back proves it; anything else (SOP
//!   class or transfer syntax refused, data set does not match, cannot understand) holds.
//! - **400, 413, 415, 422** and other 4xx about this request hold the photo; **401, 403, 404,
//!   405** are this device's settings (the same for every photo) and wait, with the words for IT;
//!   **429, 5xx**, a stall or a reset wait, honouring `Retry-After`.
//! - Trust failures (certificate, pin, protocol), a redirect and a malformed reply wait too:
//!   nothing was sent, nothing is shredded, and the Outbox says "tell IT".

use zeroize::Zeroizing;

use super::outcome::{self, problem, Destination, Dicomweb, Outcome};
use super::reply::{self, parse_multipart, parse_stow_reply, ReplyError};
use crate::visit::{SentFile, SentRecord};

/// The largest STOW-RS reply read (Orthanc's is well under 1 KiB per instance).
const MAX_STOW_REPLY: usize = 1 << 20;
/// Room for the multipart framing around a read-back frame.
const READ_BACK_SLACK: usize = 64 * 1024;
/// Room for the framing and for attributes a server adds to an instance read back.
const INSTANCE_SLACK: usize = 1 << 20;

/// A hex SHA-256 as bytes, if it is one.
fn hex_digest(hex: &str) -> Option<[u8; 32]> {
    hex::decode(hex).ok()?.try_into().ok()
}

/// Whether `copy`, an instance read back, holds the frame `sent` names: the very file sent (its
/// digest), or another file (a server may rewrite the header) whose frame is that frame.
fn instance_matches(sent: &SentRecord, file: &SentFile, copy: &[u8]) -> bool {
    let len = usize::try_from(file.len).unwrap_or(usize::MAX);
    if copy.len() == len && hex_digest(&file.sha256).is_some_and(|d| reply::frame_digest(copy) == d)
    {
        return true;
    }
    reply::encapsulated_frame(copy).is_ok_and(|frame| frame_matches(sent, &frame))
}

/// Whether `received` is the frame `sent` names (allowing DICOM's pad byte).
fn frame_matches(sent: &SentRecord, received: &[u8]) -> bool {
    let len = usize::try_from(sent.frame_len).unwrap_or(usize::MAX);
    hex_digest(&sent.frame_sha256).is_some_and(|d| reply::received_matches(&d, len, received))
}

/// A DICOMweb server (the PACS) reached through the pinned endpoint client.
pub type Pacs = Destination<Dicomweb>;

fn reply_problem<T>(e: ReplyError) -> Outcome<T> {
    unreadable(e.code(), e)
}

fn unreadable<T>(code: &str, detail: impl std::fmt::Display) -> Outcome<T> {
    outcome::unreadable("hospital image server", code, detail)
}

/// Words for a DICOM failure reason (PS3.4 Annex GG / PS3.18 Table 10.5.3-1), never quoting the
/// server.
fn failure_words(reason: u16) -> &'static str {
    match reason {
        0xA700..=0xA7FF => "the server is out of space or resources",
        0xA900..=0xA9FF => "the server says the file does not match its type",
        0xC000..=0xCFFF => "the server could not understand the file",
        0x0110 => "the server failed while processing it",
        0x0122 => "the server does not accept this kind of image",
        0x0124 => "WardCam is not authorised to store images there",
        _ => "the server refused it",
    }
}

/// What a failure reason for the photo means for it.
fn failure_outcome<T>(reason: u16, status: u16) -> Outcome<T> {
    let words = failure_words(reason);
    match reason {
        0xA700..=0xA7FF | 0x0110 => Outcome::Retry {
            problem: problem(
                "delivery.server_busy",
                format_args!("The hospital image server could not store this photo now ({words}, reason {reason:04X}). WardCam will try again."),
            ),
            after: None,
            server_wide: reason != 0x0110,
        },
        _ => Outcome::Hold(problem(
            "delivery.server_refused",
            format_args!("The hospital image server refused this photo ({words}; HTTP {status}, reason {reason:04X}). It was kept on the phone: tell IT, then send it again."),
        )),
    }
}

impl Destination<Dicomweb> {
    /// Stores one DICOM Part-10 object by STOW-RS. `sop_uid` is its SOP Instance UID, looked for
    /// in the reply. `Done` means the server acknowledged it; the read-back still has to prove it.
    pub async fn store(&self, part10: Zeroizing<Vec<u8>>, sop_uid: &str) -> Outcome<()> {
        let boundary = match boundary() {
            Some(b) => b,
            None => {
                return Outcome::Retry {
                    problem: problem(
                        "delivery.random",
                        "WardCam could not prepare the upload (the system's random source failed). It will try again.",
                    ),
                    after: None,
                    server_wide: false,
                }
            }
        };
        let head = format!("--{boundary}\r\nContent-Type: application/dicom\r\n\r\n");
        let tail = format!("\r\n--{boundary}--\r\n");
        let mut body = Zeroizing::new(Vec::with_capacity(head.len() + part10.len() + tail.len()));
        body.extend_from_slice(head.as_bytes());
        body.extend_from_slice(&part10);
        body.extend_from_slice(tail.as_bytes());
        drop(part10);
        let content_type =
            format!("multipart/related; type=\"application/dicom\"; boundary={boundary}");
        let answer = match self
            .post(
                "studies",
                &content_type,
                "application/dicom+json",
                body,
                MAX_STOW_REPLY,
            )
            .await
        {
            Ok(answer) => answer,
            Err(wait) => return wait,
        };
        let status = answer.status;
        match status {
            200 | 202 | 409 => {}
            _ if (200..300).contains(&status) => {
                // 201/204: stored as far as HTTP goes; the read-back decides.
                return Outcome::Done(());
            }
            _ => {
                return Outcome::Hold(problem(
                    "delivery.server_refused",
                    format_args!("The hospital image server refused this photo (HTTP {status}). It was kept on the phone: tell IT, then send it again."),
                ))
            }
        }
        let parsed = match parse_stow_reply(&answer.body) {
            Ok(p) => p,
            Err(_) if status == 409 => {
                return Outcome::Hold(problem(
                    "delivery.server_refused",
                    "The hospital image server refused this photo (HTTP 409) without saying why. It was kept on the phone: tell IT, then send it again.",
                ))
            }
            Err(e) => return reply_problem(e),
        };
        if let Some((_, reason)) = parsed.failed.iter().find(|(uid, _)| uid == sop_uid) {
            // Already stored: the read-back will show whether it is the same photo.
            if *reason == 0x0111 {
                return Outcome::Done(());
            }
            return failure_outcome(*reason, status);
        }
        if status == 409 {
            // Refused, but not naming this photo: take the first reason given.
            let reason = parsed.failed.first().map_or(0xC000, |(_, r)| *r);
            return failure_outcome(reason, status);
        }
        if parsed.stored.iter().any(|uid| uid == sop_uid) {
            return Outcome::Done(());
        }
        // A 200 or 202 that neither stored nor refused this photo is not an answer.
        unreadable(
            "delivery.reply_silent",
            "it neither stored nor refused the photo",
        )
    }

    /// Reads back the server's copy of `sent` and says whether its frame is exactly the frame
    /// sent. When the whole file's digest was kept, the instance is fetched (WADO-RS, any transfer
    /// syntax, so as stored): a copy identical byte for byte is proved by its digest alone, and
    /// any other copy by its frame, parsed out of it. This costs the server less than extracting
    /// the frame itself (measured: 10 to 20 ms of CPU less per 4.5 MB photo for Orthanc and its
    /// TLS front). Records sealed before the file's digest was kept read back frame 1.
    pub async fn verify(&self, sent: &SentRecord) -> Outcome<bool> {
        let instance = format!(
            "studies/{}/series/{}/instances/{}",
            sent.study_uid, sent.series_uid, sent.sop_uid
        );
        match &sent.file {
            Some(file) => {
                // Room for attributes a server adds; a copy larger still cannot hold the frame.
                let len = usize::try_from(file.len).unwrap_or(usize::MAX);
                let accept = "multipart/related; type=\"application/dicom\"; transfer-syntax=*";
                self.read_one_part(
                    &instance,
                    accept,
                    len.saturating_add(INSTANCE_SLACK),
                    |copy| instance_matches(sent, file, copy),
                )
                .await
            }
            None => {
                // The first frame, as stored; one larger than sent plus framing is not it.
                let len = usize::try_from(sent.frame_len).unwrap_or(usize::MAX);
                let accept =
                    "multipart/related; type=\"application/octet-stream\"; transfer-syntax=*";
                let path = format!("{instance}/frames/1");
                self.read_one_part(
                    &path,
                    accept,
                    len.saturating_add(READ_BACK_SLACK),
                    |frame| frame_matches(sent, frame),
                )
                .await
            }
        }
    }

    /// Reads back `path` as a multipart reply of at most `max_reply` bytes holding exactly one
    /// part (one instance or one frame was asked for), and says whether `matches` it.
    async fn read_one_part(
        &self,
        path: &str,
        accept: &str,
        max_reply: usize,
        matches: impl FnOnce(&[u8]) -> bool,
    ) -> Outcome<bool> {
        let answer = match self.fetch_copy(path, accept, max_reply, &[404]).await {
            Ok(answer) => answer,
            Err(outcome) => return outcome,
        };
        let Some(content_type) = answer.content_type.as_deref() else {
            return unreadable("delivery.reply_untyped", "no content type");
        };
        let parts = match parse_multipart(content_type, &answer.body) {
            Ok(parts) => parts,
            Err(e) => return reply_problem(e),
        };
        match parts.as_slice() {
            [part] => Outcome::Done(matches(part.body)),
            _ => Outcome::Done(false),
        }
    }
}

/// A multipart boundary that cannot plausibly occur in the body: 32 random hex digits.
fn boundary() -> Option<String> {
    use ring::rand::{SecureRandom, SystemRandom};
    let mut bytes = [0u8; 16];
    SystemRandom::new().fill(&mut bytes).ok()?;
    Some(format!("wardcam-{}", hex::encode(bytes)))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn failure_reasons_sort_into_retry_and_hold() {
        for reason in [0xA700u16, 0xA7FF] {
            assert!(matches!(
                failure_outcome::<()>(reason, 409),
                Outcome::Retry {
                    server_wide: true,
                    ..
                }
            ));
        }
        assert!(matches!(
            failure_outcome::<()>(0x0110, 202),
            Outcome::Retry {
                server_wide: false,
                ..
            }
        ));
        for reason in [0x0122u16, 0x0124, 0xA900, 0xC000, 0xC122, 0xFFFF, 0] {
            match failure_outcome::<()>(reason, 409) {
                Outcome::Hold(p) => {
                    assert_eq!(p.code, "delivery.server_refused");
                    assert!(
                        p.message.contains(&format!("{reason:04X}")),
                        "{}",
                        p.message
                    );
                }
                other => panic!("reason {reason:04X}: {other:?}"),
            }
        }
    }

    #[test]
    fn an_instance_read_back_matches_by_file_or_by_frame() {
        let built = crate::delivery::tests::built_for_tests();
        let part10 = &built.part10;
        let frame = &part10[built.frame.clone()];
        let sent = SentRecord {
            server: String::new(),
            study_uid: String::new(),
            series_uid: String::new(),
            sop_uid: String::new(),
            frame_sha256: hex::encode(reply::frame_digest(frame)),
            frame_len: frame.len() as u64,
            file: None,
            at: crate::vault::Timestamp(0),
        };
        let file = SentFile {
            sha256: hex::encode(reply::frame_digest(part10)),
            len: part10.len() as u64,
        };
        assert!(instance_matches(&sent, &file, part10));
        // The header rewritten by the server (a byte of the preamble), the frame the same.
        let mut rewritten = part10.clone();
        rewritten[0] ^= 0xFF;
        assert!(instance_matches(&sent, &file, &rewritten));
        // One byte of the frame changed: neither the file nor the frame matches.
        let mut damaged = part10.clone();
        damaged[built.frame.start + 100] ^= 0xFF;
        assert!(!instance_matches(&sent, &file, &damaged));
        // Not DICOM at all, or cut short.
        assert!(!instance_matches(&sent, &file, b"not dicom"));
        assert!(!instance_matches(&sent, &file, &part10[..part10.len() - 9]));
        // A wrong file digest kept (damaged record): the frame still decides.
        let wrong = SentFile {
            sha256: "00".repeat(32),
            len: file.len,
        };
        assert!(instance_matches(&sent, &wrong, part10));
    }

    #[test]
    fn boundaries_differ_and_are_token_characters() {
        let a = boundary().unwrap();
        let b = boundary().unwrap();
        assert_ne!(a, b);
        assert!(a.len() <= 70);
        assert!(a.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-'));
    }
}
