//! Fixtures shared by the visit's unit tests and its crash campaign.

#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use super::{Candidate, Clock, Storage};
use crate::consent::{ConsentForm, ConsentText, ConsentedBy, Decision, Method};
use crate::patient::{parse_scan, PatientPolicy, Verification};
use crate::session::Millis;
use crate::session::Purpose;
use crate::vault::Timestamp;

/// A clock the tests move: the session clock reads the counter, and each wall-clock reading is a
/// millisecond later than the last, so records made one after another are ordered.
#[derive(Debug, Default)]
pub(crate) struct TestClock(AtomicU64);

impl TestClock {
    /// Moves both clocks on by `ms`.
    pub(crate) fn advance(&self, ms: u64) {
        self.0.fetch_add(ms, Ordering::SeqCst);
    }
}

impl Clock for TestClock {
    fn session(&self) -> Millis {
        Millis(self.0.load(Ordering::SeqCst))
    }
    fn wall(&self) -> Timestamp {
        Timestamp(1_790_000_000_000 + self.0.fetch_add(1, Ordering::SeqCst))
    }
}

/// Free space as the tests set it (`None`: the platform cannot say).
#[derive(Debug)]
pub(crate) struct FixedSpace(pub(crate) Option<u64>);

impl Storage for FixedSpace {
    fn available(&self, _dir: &Path) -> Option<u64> {
        self.0
    }
}

/// A DCB1077 wristband: NHS number 943 476 5919, SMITH JOHN, born 18 January 1980.
pub(crate) const BAND: &str = "]d2801850000009434765919493SMITH/JOHN/19800118";

/// The patient on `band`, read as band text, with no record endpoint.
pub(crate) fn candidate(band: &str) -> Candidate {
    Candidate::new(
        parse_scan(band, &PatientPolicy::default()).unwrap(),
        Verification::not_configured(),
        Some(band),
        false,
    )
}

/// Verbal consent to care, before a witness.
pub(crate) fn verbal() -> ConsentForm {
    ConsentForm {
        decision: Decision::Permit,
        purposes: [Purpose::Care].into_iter().collect(),
        consented_by: ConsentedBy::Patient,
        method: Method::Verbal {
            witness: "Nurse B".into(),
        },
        text_version: ConsentText::default_text().unwrap().version,
    }
}

/// A small 64x48 JPEG whose pixels depend on `seed`.
pub(crate) fn jpeg(seed: u64) -> Vec<u8> {
    let (w, h) = (64u16, 48u16);
    let rgb: Vec<u8> = (0..usize::from(w) * usize::from(h) * 3)
        .map(|i| {
            ((i as u64)
                .wrapping_mul(37)
                .wrapping_add(seed.wrapping_mul(11))
                % 251) as u8
        })
        .collect();
    let mut out = Vec::new();
    jpeg_encoder::Encoder::new(&mut out, 85)
        .encode(&rgb, w, h, jpeg_encoder::ColorType::Rgb)
        .unwrap();
    out
}

/// The clinician's PIN the gated fixtures set.
pub(crate) const GATED_PIN: &str = "482916";

/// A ward behind the key gate as a release build runs it (no development unlock), its vault in
/// `vault_dir` with its key in `keys`, the outbound store in `vault_dir/outbound` with its delivery
/// key in `delivery`: locked, not yet set up.
pub(crate) fn gated_ward(
    vault_dir: &Path,
    keys: std::sync::Arc<dyn crate::vault::KeyStore>,
    delivery: std::sync::Arc<dyn crate::vault::KeyStore>,
    clock: std::sync::Arc<dyn Clock>,
    storage: std::sync::Arc<dyn Storage>,
) -> super::Ward {
    let ward = super::Ward::with(
        crate::session::SessionPolicy {
            idle_timeout_ms: 600_000,
            allow_development_unlock: false,
        },
        clock,
        storage,
    );
    ward.use_key_gate(vault_dir.to_path_buf(), crate::auth::KeyGate::new(keys))
        .unwrap();
    ward.use_outbound(vault_dir.join(super::OUTBOUND_DIR), delivery)
        .unwrap();
    ward
}

/// Unlocks `ward` with [`GATED_PIN`] (setting it up the first time), then takes `n` photos
/// (`jpeg(seed + i)`) of the band's patient under verbal consent, labels them forearm, left, and
/// queues them; the visit is ended if `end`. Returns the photos.
pub(crate) fn queue_photos(
    ward: &super::Ward,
    n: usize,
    seed: u64,
    end: bool,
) -> Vec<super::PhotoId> {
    use crate::review::{Label, Laterality};
    let pin = zeroize::Zeroizing::new(GATED_PIN.to_owned());
    if ward.gate_status().unwrap().set_up {
        ward.unlock_with_pin(&pin).unwrap();
    } else {
        ward.set_up(&pin, "Dr A Jones").unwrap();
    }
    ward.identify(candidate(BAND)).unwrap();
    ward.confirm().unwrap();
    ward.record_consent(verbal()).unwrap();
    ward.start_capture().unwrap();
    let mut photos = Vec::new();
    for i in 0..n as u64 {
        let p = ward.capture(&jpeg(seed + i), Purpose::Care).unwrap();
        ward.label(p.id, Label::new("14975008", Laterality::Left, "").unwrap())
            .unwrap();
        photos.push(p.id);
    }
    ward.review().unwrap();
    ward.queue().unwrap();
    if end {
        ward.end_visit().unwrap();
    }
    photos
}
