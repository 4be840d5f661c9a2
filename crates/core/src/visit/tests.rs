#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::sync::Arc;

use zeroize::Zeroizing;

use super::testing::{self, candidate, verbal, FixedSpace, TestClock, BAND};
use super::*;
use crate::consent::{ConsentForm, Decision, Method, Point, Signature};
use crate::intake::{Rect, Redaction};
use crate::patient::{PatientError, Verification};
use crate::review::{Label, Laterality};
use crate::session::{LockReason, Purpose, SessionPolicy, State, UnlockMethod};
use crate::vault::danger::MemoryKeyStore;
use crate::vault::{ItemKind, Timestamp, Vault};
use crate::Error;

const ARM: &str = "14975008"; // Forearm structure (paired)

struct Fixture {
    _dir: tempfile::TempDir,
    keys: MemoryKeyStore,
    path: std::path::PathBuf,
    clock: Arc<TestClock>,
    ward: Ward,
}

fn policy() -> SessionPolicy {
    SessionPolicy {
        idle_timeout_ms: 60_000,
        allow_development_unlock: true,
    }
}

fn ward_on(path: &Path, keys: &MemoryKeyStore, clock: Arc<TestClock>, space: Option<u64>) -> Ward {
    let ward = Ward::with(policy(), clock, Arc::new(FixedSpace(space)));
    let vault = Vault::open_or_create(path, keys).unwrap();
    ward.attach_vault(Arc::new(vault)).unwrap();
    ward
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vault");
    let keys = MemoryKeyStore::new();
    let clock = Arc::new(TestClock::default());
    let ward = ward_on(&path, &keys, clock.clone(), None);
    ward.unlock(UnlockMethod::Development).unwrap();
    // The clinician's name comes with the PIN, and every consent record names the clinician.
    ward.set_pin(&pin("482916"), "Dr A Jones", None).unwrap();
    Fixture {
        _dir: dir,
        keys,
        path,
        clock,
        ward,
    }
}

impl Fixture {
    /// The app restarted: a new ward over the same vault, locked.
    fn restart(&mut self) {
        self.ward = ward_on(&self.path, &self.keys, self.clock.clone(), None);
    }

    fn vault(&self) -> Arc<Vault> {
        self.ward.vault().unwrap()
    }

    /// The kinds of the items in the vault, but for the clinician PIN every fixture sets and the
    /// audit key the audit trail seals at the first open.
    fn kinds(&self) -> Vec<ItemKind> {
        let mut k: Vec<ItemKind> = self
            .vault()
            .list()
            .unwrap()
            .iter()
            .map(|m| m.kind)
            .filter(|k| !matches!(k, ItemKind::ClinicianPin | ItemKind::AuditKey))
            .collect();
        k.sort_by_key(|k| k.as_str());
        k
    }
}

/// A second patient, by NHS number typed twice (no name needed to consent).
fn other() -> Candidate {
    Candidate::new(
        crate::patient::WristbandData::manual_entry(
            crate::patient::NhsNumber::parse("4010232137").unwrap(),
        ),
        Verification::not_configured(),
        None,
        false,
    )
}

fn signed() -> ConsentForm {
    let stroke = (0..20)
        .map(|i| Point {
            x: 20 + i * 13,
            y: if i % 2 == 0 { 30 } else { 70 },
            t: i * 16,
        })
        .collect();
    ConsentForm {
        method: Method::Signature {
            signature: Signature {
                width: 300,
                height: 100,
                strokes: vec![stroke],
            },
        },
        ..verbal()
    }
}

fn jpeg() -> Vec<u8> {
    testing::jpeg(0)
}

fn arm() -> Label {
    Label::new(ARM, Laterality::Left, "graze").unwrap()
}

fn code<T: std::fmt::Debug>(r: Result<T, Error>) -> &'static str {
    r.unwrap_err().code()
}

/// Identified, confirmed and consented verbally, camera open.
fn consented(f: &Fixture) {
    f.ward.identify(candidate(BAND)).unwrap();
    f.ward.confirm().unwrap();
    f.ward.record_consent(verbal()).unwrap();
    f.ward.start_capture().unwrap();
}

fn pin(s: &str) -> Zeroizing<String> {
    Zeroizing::new(s.to_owned())
}

// ---- manifests --------------------------------------------------------------------------------

#[test]
fn a_manifest_round_trips_and_other_versions_and_kinds_are_refused() {
    let f = fixture();
    consented(&f);
    let photo = f.ward.capture(&jpeg(), Purpose::Care).unwrap();
    let vault = f.vault();
    let item = vault
        .list()
        .unwrap()
        .into_iter()
        .find(|m| m.kind == ItemKind::Manifest)
        .unwrap()
        .id;
    let manifest = read_manifest(&vault, item).unwrap();
    assert_eq!(manifest.photo_id, photo.id);
    assert_eq!(manifest.state, LocalState::Captured);
    assert_eq!(
        manifest.patient.band.nhs_number.as_deref(),
        Some("9434765919")
    );
    assert_eq!(manifest.patient.raw_band.as_deref(), Some(BAND));
    assert_eq!(manifest.patient.identified_by, IdentifiedBy::BandText);
    assert_eq!(manifest.intended_use, Purpose::Care);
    let bytes = encode(&manifest).unwrap();
    assert!(decode::<PhotoManifest>(&bytes).unwrap() == manifest);

    let mut value: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    value["version"] = (MANIFEST_VERSION + 1).into();
    let newer = serde_json::to_vec(&value).unwrap();
    assert_eq!(
        decode::<PhotoManifest>(&newer).unwrap_err(),
        VisitError::ManifestVersion {
            version: MANIFEST_VERSION + 1
        }
    );
    assert!(matches!(
        decode::<VisitRecord>(&bytes).unwrap_err(),
        VisitError::ManifestInvalid { .. }
    ));
    value["version"] = 1.into();
    value["body"].as_object_mut().unwrap().remove("consent");
    assert!(matches!(
        decode::<PhotoManifest>(&serde_json::to_vec(&value).unwrap()).unwrap_err(),
        VisitError::ManifestInvalid { .. }
    ));
    assert!(decode::<PhotoManifest>(b"not json").is_err());
}

#[test]
fn a_manifest_written_by_version_1_still_reads() {
    // A version-1 record (as an older release sealed it) reads as the current version with
    // nothing due and nothing sent.
    let f = fixture();
    consented(&f);
    f.ward.capture(&jpeg(), Purpose::Care).unwrap();
    let vault = f.vault();
    let item = vault
        .list()
        .unwrap()
        .into_iter()
        .find(|m| m.kind == ItemKind::Manifest)
        .unwrap()
        .id;
    let raw = vault.unseal(item).unwrap();
    let mut value: serde_json::Value = serde_json::from_slice(&raw).unwrap();
    assert_eq!(value["format"], "wardcam.photo-manifest");
    assert_eq!(value["version"], MANIFEST_VERSION);
    let current = decode::<PhotoManifest>(&raw).unwrap();
    // Version 1's shape: no re-check or hold fields in the identity, no delivery record.
    value["version"] = 1.into();
    assert!(value["body"]
        .as_object_mut()
        .unwrap()
        .remove("delivery")
        .is_some());
    let patient = value["body"]["patient"].as_object_mut().unwrap();
    for field in ["recheck_due", "recheck", "hold"] {
        assert!(patient.remove(field).is_some(), "{field} is written");
    }
    let old = decode::<PhotoManifest>(&serde_json::to_vec(&value).unwrap()).unwrap();
    assert_eq!(old, current);
    assert_eq!(old.patient.delivery_gate(), DeliveryGate::Ready);
}

// ---- transactions -----------------------------------------------------------------------------

#[test]
fn nothing_needing_the_vault_happens_before_it_is_open() {
    let ward = Ward::with(
        policy(),
        Arc::new(TestClock::default()),
        Arc::new(FixedSpace(None)),
    );
    ward.unlock(UnlockMethod::Development).unwrap();
    ward.identify(candidate(BAND)).unwrap();
    assert_eq!(code(ward.confirm()), "vault.opening");
    assert_eq!(ward.view().unwrap().state, State::Unlocked);
    assert!(!ward.pin_status().unwrap().ready);
}

#[test]
fn a_blocked_patient_cannot_be_confirmed() {
    let f = fixture();
    let mut c = candidate(BAND);
    c.verification = Verification::from_outcome(Err(PatientError::RecordAmbiguous));
    c = Candidate::new(c.band, c.verification, Some(BAND), false);
    f.ward.identify(c).unwrap();
    assert_eq!(code(f.ward.confirm()), "patient.record_ambiguous");
    assert_eq!(f.ward.view().unwrap().state, State::Unlocked);
    assert!(f.kinds().is_empty(), "nothing sealed: {:?}", f.kinds());
}

#[test]
fn locking_forgets_the_candidate_and_hides_the_patient() {
    let f = fixture();
    f.ward.identify(candidate(BAND)).unwrap();
    f.ward.lock_now(LockReason::User).unwrap();
    f.ward.unlock(UnlockMethod::Development).unwrap();
    assert!(f.ward.candidate().unwrap().is_none());
    assert_eq!(code(f.ward.confirm()), "session.no_patient");
    f.ward.identify(candidate(BAND)).unwrap();
    f.ward.confirm().unwrap();
    f.ward.lock_now(LockReason::Idle).unwrap();
    assert!(f.ward.current_patient().unwrap().is_none());
    assert!(f.ward.photos().unwrap().is_empty());
    assert!(f.ward.outbox().unwrap().is_empty());
    assert_eq!(code(f.ward.identify(other())), "session.locked");
    f.ward.unlock(UnlockMethod::Development).unwrap();
    assert!(f.ward.current_patient().unwrap().is_some());
}

#[test]
fn idle_time_locks_and_clears_the_candidate() {
    let f = fixture();
    f.ward.identify(candidate(BAND)).unwrap();
    f.clock.advance(60_001);
    assert_eq!(f.ward.view().unwrap().state, State::Locked);
    f.ward.unlock(UnlockMethod::Development).unwrap();
    assert!(f.ward.candidate().unwrap().is_none());
}

#[test]
fn capture_is_refused_before_consent_and_outside_the_consent() {
    let f = fixture();
    f.ward.identify(candidate(BAND)).unwrap();
    f.ward.confirm().unwrap();
    assert_eq!(
        code(f.ward.capture(&jpeg(), Purpose::Care)),
        "session.consent_required"
    );
    f.ward.record_consent(verbal()).unwrap();
    assert_eq!(
        code(f.ward.capture(&jpeg(), Purpose::Care)),
        "session.not_capturing"
    );
    f.ward.start_capture().unwrap();
    assert_eq!(
        code(f.ward.capture(&jpeg(), Purpose::Teaching)),
        "session.purpose_not_covered"
    );
    // Only the visit and its consent are in the vault: nothing of the refused photos.
    assert_eq!(f.kinds(), vec![ItemKind::Consent, ItemKind::Visit]);
}

#[test]
fn a_full_phone_refuses_before_anything_is_written() {
    let f = fixture();
    consented(&f);
    let before = f.kinds();
    let full = Ward::with(
        policy(),
        f.clock.clone(),
        Arc::new(FixedSpace(Some(10 * 1024 * 1024))),
    );
    drop(full);
    // The same vault behind a ward that sees a full disk.
    let ward = Ward::with(policy(), f.clock.clone(), Arc::new(FixedSpace(Some(1024))));
    ward.attach_vault(f.vault()).unwrap();
    ward.unlock(UnlockMethod::Development).unwrap();
    ward.start_capture().unwrap();
    let err = ward.capture(&jpeg(), Purpose::Care).unwrap_err();
    assert_eq!(err.code(), "visit.storage_full");
    assert_eq!(
        err.to_string(),
        "Phone storage is full: send or delete photos first."
    );
    assert_eq!(f.kinds(), before);
}

#[test]
fn bad_bytes_are_refused_and_leave_nothing() {
    let f = fixture();
    consented(&f);
    let before = f.kinds();
    assert!(f
        .ward
        .capture(b"not an image", Purpose::Care)
        .unwrap_err()
        .code()
        .starts_with("intake."));
    let mut cut = jpeg();
    cut.truncate(cut.len() / 2);
    assert!(f.ward.capture(&cut, Purpose::Care).is_err());
    assert_eq!(f.kinds(), before);
    assert!(f.ward.photos().unwrap().is_empty());
}

#[test]
fn label_queue_and_the_rules_around_them() {
    let f = fixture();
    consented(&f);
    let p = f.ward.capture(&jpeg(), Purpose::Care).unwrap();
    assert_eq!(p.state, LocalState::Captured);
    f.ward.review().unwrap();
    assert_eq!(code(f.ward.queue()), "review.label_missing");
    let labelled = f.ward.label(p.id, arm()).unwrap();
    assert_eq!(labelled.body_site.unwrap().code, ARM);
    assert_eq!(labelled.version, 2);
    f.ward.queue().unwrap();
    let queued = f.ward.photos().unwrap();
    assert_eq!(queued[0].state, LocalState::Queued);
    // A queued photo's label cannot change, nor can it be deleted as a draft.
    assert_eq!(code(f.ward.label(p.id, arm())), "visit.photo_queued");
    assert_eq!(code(f.ward.discard(p.id)), "visit.photo_queued");
    // Exactly one manifest per photo: the old revisions were shredded.
    assert_eq!(
        f.kinds()
            .iter()
            .filter(|k| **k == ItemKind::Manifest)
            .count(),
        1
    );
    assert_eq!(
        code(f.ward.label(PhotoId([9; 16]), arm())),
        "visit.unknown_photo"
    );
}

#[test]
fn discarding_shreds_the_photo_whole() {
    let f = fixture();
    consented(&f);
    let p = f.ward.capture(&jpeg(), Purpose::Care).unwrap();
    assert_eq!(f.kinds().len(), 5); // consent, visit, manifest, photo, thumbnail
    f.ward.discard(p.id).unwrap();
    assert_eq!(f.kinds(), vec![ItemKind::Consent, ItemKind::Visit]);
    assert!(f.ward.photos().unwrap().is_empty());
    assert_eq!(code(f.ward.thumbnail(p.id)), "visit.unknown_photo");
}

#[test]
fn redaction_keeps_the_photo_id_and_the_queue_and_is_refused_while_locked_or_in_kiosk() {
    let f = fixture();
    consented(&f);
    let p = f.ward.capture(&jpeg(), Purpose::Care).unwrap();
    f.ward.review().unwrap();
    f.ward.label(p.id, arm()).unwrap();
    f.ward.queue().unwrap();
    let cover = Redaction {
        crop: None,
        fills: vec![Rect {
            x: 0.0,
            y: 0.0,
            width: 0.5,
            height: 0.5,
        }],
    };
    let before = f.ward.outbox().unwrap()[0].clone();
    let after = f.ward.redact(p.id, &cover).unwrap();
    assert_eq!(after.id, p.id);
    assert_eq!(after.state, LocalState::Queued);
    assert!(after.redacted);
    assert!(after.version > before.version);
    assert_eq!(
        f.kinds().len(),
        5,
        "the original's items are gone: {:?}",
        f.kinds()
    );
    let m = read_manifest(
        &f.vault(),
        f.vault()
            .list()
            .unwrap()
            .into_iter()
            .find(|m| m.kind == ItemKind::Manifest)
            .unwrap()
            .id,
    )
    .unwrap();
    assert_eq!(m.redactions.len(), 1);
    assert_ne!(m.redactions[0].replaced, m.image);

    f.ward.lock_now(LockReason::User).unwrap();
    assert_eq!(code(f.ward.redact(p.id, &cover)), "session.locked");
    assert_eq!(code(f.ward.thumbnail(p.id)), "session.locked");
}

#[test]
fn kiosk_mode_refuses_the_clinicians_commands() {
    let f = fixture();
    f.ward.identify(candidate(BAND)).unwrap();
    f.ward.confirm().unwrap();
    f.ward.hand_to_patient().unwrap();
    assert_eq!(code(f.ward.start_capture()), "session.kiosk_active");
    assert_eq!(
        code(
            f.ward
                .set_pin(&pin("739164"), "Patient", Some(&pin("482916")))
        ),
        "session.kiosk_active"
    );
    assert!(f.ward.outbox().unwrap().is_empty());
    assert_eq!(code(f.ward.consent_fhir()), "session.kiosk_active");
    f.ward.record_consent(signed()).unwrap();
    assert_eq!(
        code(f.ward.hand_back(Some(&pin("000000")))),
        "auth.wrong_pin"
    );
    assert!(f.ward.view().unwrap().kiosk);
    f.ward.hand_back(Some(&pin("482916"))).unwrap();
    assert!(!f.ward.view().unwrap().kiosk);
    assert_eq!(
        f.kinds(),
        vec![ItemKind::Consent, ItemKind::Signature, ItemKind::Visit]
    );
    let fhir = f.ward.consent_fhir().unwrap().unwrap();
    assert_eq!(fhir["status"], "active");
    // The signed consent's FHIR form validates against the R4 definitions (the FHIR test server's
    // validator, as every resource the record receives is checked).
    crate::delivery::fhir::server_tests::assert_resources_valid_r4(&[&fhir]);
}

#[test]
fn hand_over_needs_a_way_back() {
    let dir = tempfile::tempdir().unwrap();
    let keys = MemoryKeyStore::new();
    let strict = SessionPolicy {
        idle_timeout_ms: 60_000,
        allow_development_unlock: false,
    };
    let ward = Ward::with(
        strict,
        Arc::new(TestClock::default()),
        Arc::new(FixedSpace(None)),
    );
    ward.attach_vault(Arc::new(
        Vault::open_or_create(&dir.path().join("v"), &keys).unwrap(),
    ))
    .unwrap();
    assert_eq!(
        code(ward.unlock(UnlockMethod::Development)),
        "session.development_unlock_refused"
    );
    ward.unlock(UnlockMethod::ClinicianPin).unwrap();
    ward.identify(candidate(BAND)).unwrap();
    ward.confirm().unwrap();
    assert_eq!(code(ward.hand_to_patient()), "auth.pin_not_set");
    ward.set_pin(&pin("482916"), "Dr A Jones", None).unwrap();
    ward.hand_to_patient().unwrap();
    assert_eq!(
        code(ward.hand_back(None)),
        "session.development_unlock_refused"
    );
    assert!(ward.view().unwrap().kiosk);
}

#[test]
fn changing_the_pin_needs_the_old_one_and_the_count_survives_a_restart() {
    let mut f = fixture();
    assert_eq!(
        code(f.ward.set_pin(&pin("739164"), "Dr B", None)),
        "auth.old_pin_required"
    );
    assert_eq!(
        code(f.ward.set_pin(&pin("739164"), "Dr B", Some(&pin("111111")))),
        "auth.wrong_pin"
    );
    assert_eq!(f.ward.pin_status().unwrap().failures, 1);
    f.restart();
    f.ward.unlock(UnlockMethod::Development).unwrap();
    let status = f.ward.pin_status().unwrap();
    assert_eq!(status.failures, 1);
    assert_eq!(status.clinician.as_deref(), Some("Dr A Jones"));
    f.ward
        .set_pin(&pin("739164"), "Dr B Smith", Some(&pin("482916")))
        .unwrap();
    assert_eq!(
        f.ward.clinician_name().unwrap().as_deref(),
        Some("Dr B Smith")
    );
    let pins = f.vault().list().unwrap();
    let pins = pins.iter().filter(|m| m.kind == ItemKind::ClinicianPin);
    assert_eq!(pins.count(), 1, "the old PIN item was shredded");
    // The name is hidden while locked.
    f.ward.lock_now(LockReason::User).unwrap();
    assert_eq!(f.ward.pin_status().unwrap().clinician, None);
}

#[test]
fn a_refusal_outside_kiosk_ends_the_visit_and_keeps_the_record() {
    let f = fixture();
    f.ward.identify(candidate(BAND)).unwrap();
    f.ward.confirm().unwrap();
    let refusal = ConsentForm {
        decision: Decision::Refuse,
        method: Method::Declined,
        ..verbal()
    };
    let view = f.ward.record_consent(refusal).unwrap();
    assert_eq!(view.state, State::Unlocked);
    assert!(f.ward.current_patient().unwrap().is_none());
    // The refusal waits to reach the record with its visit.
    assert_eq!(f.kinds(), vec![ItemKind::Consent, ItemKind::Visit]);
}

#[test]
fn a_capture_whose_patient_changed_is_shredded() {
    let f = fixture();
    consented(&f);
    let (vault, ticket) = f.ward.capture_ticket_for_tests(Purpose::Care);
    // Meanwhile the consent is withdrawn and given again: a new consent.
    f.ward.withdraw(None).unwrap();
    f.ward.record_consent(verbal()).unwrap();
    f.ward.start_capture().unwrap();
    let before = f.kinds();
    let err = f
        .ward
        .capture_commit_for_tests(&vault, ticket, &jpeg())
        .unwrap_err();
    assert_eq!(err.code(), "visit.patient_changed");
    assert_eq!(f.kinds(), before, "the sealed photo was shredded");
}

// ---- withdrawal -------------------------------------------------------------------------------

#[test]
fn withdrawal_shreds_every_photo_of_the_consent_and_is_sealed() {
    let f = fixture();
    consented(&f);
    let a = f.ward.capture(&jpeg(), Purpose::Care).unwrap();
    let b = f.ward.capture(&jpeg(), Purpose::Care).unwrap();
    f.ward.review().unwrap();
    f.ward.label(a.id, arm()).unwrap();
    f.ward.label(b.id, arm()).unwrap();
    f.ward.queue().unwrap();
    let view = f.ward.withdraw(None).unwrap();
    assert_eq!(view.state, State::PatientConfirmed);
    assert!(f.ward.outbox().unwrap().is_empty());
    assert_eq!(
        f.kinds(),
        vec![ItemKind::Consent, ItemKind::Visit, ItemKind::Withdrawal]
    );
    let fhir = f.ward.consent_fhir().unwrap().unwrap();
    assert_eq!(fhir["status"], "inactive");
    assert_eq!(
        code(f.ward.withdraw(None)),
        "session.no_consent_to_withdraw"
    );
    assert_eq!(code(f.ward.start_capture()), "session.consent_required");
}

#[test]
fn withdrawal_reaches_an_ended_visit_from_the_outbox() {
    let f = fixture();
    consented(&f);
    let first = f.ward.capture(&jpeg(), Purpose::Care).unwrap();
    f.ward.review().unwrap();
    f.ward.label(first.id, arm()).unwrap();
    f.ward.queue().unwrap();
    f.ward.end_visit().unwrap();
    // A second patient's visit, open now.
    f.ward.identify(other()).unwrap();
    f.ward.confirm().unwrap();
    f.ward.record_consent(verbal()).unwrap();
    f.ward.start_capture().unwrap();
    let second = f.ward.capture(&jpeg(), Purpose::Care).unwrap();
    let outbox = f.ward.outbox().unwrap();
    assert_eq!(outbox.len(), 2);
    assert!(!outbox[0].current_visit && outbox[1].current_visit);
    assert_eq!(
        outbox[0].patient.nhs_number.as_deref(),
        Some("943 476 5919")
    );
    assert_eq!(outbox[0].patient.name.as_deref(), Some("SMITH, JOHN"));
    // Withdrawn from the outbox: only the first visit's photo goes; the open visit is untouched.
    f.ward.withdraw(Some(first.id)).unwrap();
    let left: Vec<PhotoId> = f.ward.outbox().unwrap().iter().map(|p| p.id).collect();
    assert_eq!(left, vec![second.id]);
    assert_eq!(f.ward.view().unwrap().state, State::Capturing);
    assert_eq!(code(f.ward.withdraw(Some(first.id))), "visit.unknown_photo");
}

// ---- recovery ---------------------------------------------------------------------------------

#[test]
fn a_restart_resumes_the_visit_and_lists_the_outbox_with_labels() {
    let mut f = fixture();
    consented(&f);
    let a = f.ward.capture(&jpeg(), Purpose::Care).unwrap();
    let b = f.ward.capture(&jpeg(), Purpose::Care).unwrap();
    f.ward.review().unwrap();
    f.ward.label(a.id, arm()).unwrap();
    f.restart();
    // Locked after a restart: nothing shown until unlock.
    assert_eq!(f.ward.view().unwrap().state, State::Locked);
    assert!(f.ward.outbox().unwrap().is_empty());
    assert!(f.ward.current_patient().unwrap().is_none());
    f.ward.unlock(UnlockMethod::Development).unwrap();
    let view = f.ward.view().unwrap();
    assert_eq!(view.state, State::Reviewing);
    assert_eq!(view.pending_photos, 2);
    let photos = f.ward.photos().unwrap();
    assert_eq!(
        photos.iter().map(|p| p.id).collect::<Vec<_>>(),
        vec![a.id, b.id]
    );
    assert_eq!(photos[0].body_site.unwrap().code, ARM);
    assert_eq!(photos[0].laterality, Some(Laterality::Left));
    assert!(photos[1].body_site.is_none());
    assert!(f.ward.thumbnail(a.id).unwrap().len() > 100);
    // The resumed visit goes on: label, queue, end, and the outbox still has both.
    f.ward.label(b.id, arm()).unwrap();
    f.ward.queue().unwrap();
    f.ward.end_visit().unwrap();
    f.restart();
    f.ward.unlock(UnlockMethod::Development).unwrap();
    assert_eq!(f.ward.view().unwrap().state, State::Unlocked);
    let outbox = f.ward.outbox().unwrap();
    assert_eq!(outbox.len(), 2);
    assert!(outbox
        .iter()
        .all(|p| p.state == LocalState::Queued && !p.current_visit));
    assert_eq!(f.ward.status().unwrap().recovery.unwrap().photos, 2);
}

#[test]
fn a_consent_recorded_before_a_restart_still_covers_the_visit() {
    let mut f = fixture();
    f.ward.identify(candidate(BAND)).unwrap();
    f.ward.confirm().unwrap();
    f.ward.record_consent(signed()).unwrap();
    f.restart();
    f.ward.unlock(UnlockMethod::Development).unwrap();
    assert_eq!(f.ward.view().unwrap().state, State::Consented);
    f.ward.start_capture().unwrap();
    f.ward.capture(&jpeg(), Purpose::Care).unwrap();
    assert_eq!(f.ward.consent_fhir().unwrap().unwrap()["status"], "active");
}

#[test]
fn recovery_keeps_the_newest_revision_and_shreds_leftovers() {
    let mut f = fixture();
    consented(&f);
    let p = f.ward.capture(&jpeg(), Purpose::Care).unwrap();
    let vault = f.vault();
    // A crash between sealing a new revision and shredding the old: two manifests.
    let item = vault
        .list()
        .unwrap()
        .into_iter()
        .find(|m| m.kind == ItemKind::Manifest)
        .unwrap()
        .id;
    let mut newer = read_manifest(&vault, item).unwrap();
    newer.revision += 1;
    newer.label = Some(LabelRecord::from(&arm()));
    vault
        .seal(
            ItemKind::Manifest,
            &encode(&newer).unwrap(),
            None,
            Timestamp(2),
        )
        .unwrap();
    // A crash after intake sealed a photo but before its manifest: items nothing names.
    vault
        .seal(ItemKind::Photo, &jpeg(), None, Timestamp(3))
        .unwrap();
    vault
        .seal(ItemKind::Thumbnail, b"thumb", None, Timestamp(3))
        .unwrap();
    f.restart();
    let report = f.ward.status().unwrap().recovery.unwrap();
    assert_eq!(report.stale_revisions, 1);
    assert_eq!(report.unreferenced_items_shredded, 2);
    assert!(report.resumed_visit);
    f.ward.unlock(UnlockMethod::Development).unwrap();
    let photos = f.ward.photos().unwrap();
    assert_eq!(photos.len(), 1);
    assert_eq!(photos[0].id, p.id);
    assert_eq!(photos[0].body_site.unwrap().code, ARM);
    assert_eq!(f.kinds().len(), 5);
}

#[test]
fn an_interrupted_withdrawal_is_finished_at_the_next_open() {
    let mut f = fixture();
    consented(&f);
    let p = f.ward.capture(&jpeg(), Purpose::Care).unwrap();
    let vault = f.vault();
    // The withdrawal was sealed, then the app died before shredding anything.
    let visit = read_visit(&vault);
    let link = visit.consent.clone().unwrap();
    let w = WithdrawalRecord {
        visit_id: visit.visit_id,
        consent_id: link.consent_id,
        consent_sha256: link.digest,
        withdrawn_at: Timestamp(5),
        clinician: None,
        photos: vec![p.id],
    };
    vault
        .seal(
            ItemKind::Withdrawal,
            &encode(&w).unwrap(),
            None,
            Timestamp(5),
        )
        .unwrap();
    f.restart();
    let report = f.ward.status().unwrap().recovery.unwrap();
    assert_eq!(report.withdrawn_photos_shredded, 1);
    f.ward.unlock(UnlockMethod::Development).unwrap();
    assert!(f.ward.outbox().unwrap().is_empty());
    assert_eq!(f.ward.view().unwrap().state, State::PatientConfirmed);
    assert_eq!(
        f.kinds(),
        vec![ItemKind::Consent, ItemKind::Visit, ItemKind::Withdrawal]
    );
    assert!(read_visit(&f.vault()).consent.is_none());
}

#[test]
fn an_unreadable_record_stops_recovery_from_shredding_anything_unnamed() {
    let mut f = fixture();
    consented(&f);
    f.ward.capture(&jpeg(), Purpose::Care).unwrap();
    let vault = f.vault();
    vault
        .seal(
            ItemKind::Manifest,
            b"{\"format\":\"wardcam.photo-manifest\",\"version\":9,\"body\":{}}",
            None,
            Timestamp(9),
        )
        .unwrap();
    vault
        .seal(ItemKind::Photo, &jpeg(), None, Timestamp(9))
        .unwrap();
    let before = f.kinds().len();
    f.restart();
    let report = f.ward.status().unwrap().recovery.unwrap();
    assert_eq!(report.unreadable_records, 1);
    assert_eq!(report.unreferenced_items_shredded, 0);
    assert_eq!(f.kinds().len(), before);
}

#[test]
fn an_ended_visit_with_nothing_left_is_shredded_and_one_with_a_consent_kept() {
    let f = fixture();
    f.ward.identify(candidate(BAND)).unwrap();
    f.ward.confirm().unwrap();
    f.ward.end_visit().unwrap();
    assert!(f.kinds().is_empty(), "{:?}", f.kinds());
    consented(&f);
    f.ward.end_visit().unwrap();
    assert_eq!(f.kinds(), vec![ItemKind::Consent, ItemKind::Visit]);
}

fn read_visit(vault: &Vault) -> VisitRecord {
    let item = vault
        .list()
        .unwrap()
        .into_iter()
        .find(|m| m.kind == ItemKind::Visit)
        .unwrap()
        .id;
    decode(&vault.unseal(item).unwrap()).unwrap()
}

#[test]
fn handles_are_exact_in_javascript() {
    // The session view carries the patient handle to the WebView, whose numbers are doubles.
    for _ in 0..64 {
        let v = VisitId::random().unwrap();
        assert!(v.handle() < 1 << 53);
        assert_eq!(v.handle(), VisitId(v.0).handle());
    }
}

// ---- The record check: overrides, re-checks, holds (issue 12) ---------------------------------

mod record_check {
    use proptest::prelude::*;
    use serde_json::json;

    use super::*;
    use crate::patient::testing::Canned;
    use crate::patient::{parse_scan, OverrideReason, PatientPolicy, RecordPolicy};

    /// The record for BAND's NHS number, born on `birth_date`.
    fn record(birth_date: &str) -> Canned {
        Canned(Ok(json!({
            "resourceType": "Bundle",
            "type": "searchset",
            "entry": [{"resource": {
                "resourceType": "Patient",
                "identifier": [{"system": "https://fhir.nhs.uk/Id/nhs-number", "value": "9434765919"}],
                "name": [{"family": "Smith", "given": ["John"]}],
                "birthDate": birth_date,
            }}],
        })))
    }

    fn matching() -> Canned {
        record("1980-01-18")
    }

    fn conflicting() -> Canned {
        record("1981-01-18")
    }

    fn empty() -> Canned {
        Canned(Ok(
            json!({"resourceType": "Bundle", "type": "searchset", "entry": []}),
        ))
    }

    fn with(outcome: Result<crate::patient::RecordCheck, PatientError>) -> Candidate {
        Candidate::new(
            parse_scan(BAND, &PatientPolicy::default()).unwrap(),
            Verification::from_outcome(outcome),
            Some(BAND),
            true,
        )
    }

    fn run<F: std::future::Future>(f: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(f)
    }

    /// Confirms `c`, records consent and takes one photo.
    fn photo_of(f: &Fixture, c: Candidate) -> PhotoId {
        f.ward.identify(c).unwrap();
        f.ward.confirm().unwrap();
        f.ward.record_consent(verbal()).unwrap();
        f.ward.start_capture().unwrap();
        f.ward.capture(&jpeg(), Purpose::Care).unwrap().id
    }

    fn manifests(f: &Fixture) -> Vec<PhotoManifest> {
        let vault = f.vault();
        vault
            .list()
            .unwrap()
            .iter()
            .filter(|m| m.kind == ItemKind::Manifest)
            .map(|m| read_manifest(&vault, m.id).unwrap())
            .collect()
    }

    #[test]
    fn a_missing_record_blocks_until_an_override_is_recorded_and_sealed_with_every_photo() {
        let mut f = fixture();
        f.ward
            .identify(with(Ok(crate::patient::RecordCheck::NotFound)))
            .unwrap();
        let offers = |w: &Ward| w.offers(&w.candidate().unwrap().unwrap()).unwrap();
        assert_eq!(
            offers(&f.ward),
            CandidateOffers {
                confirm: false,
                override_: true
            }
        );
        assert_eq!(code(f.ward.confirm()), "patient.record_not_found");
        assert_eq!(
            code(
                f.ward
                    .override_record_check(OverrideReason::NewAdmissionNotRegistered, " ")
            ),
            "patient.override_incomplete"
        );
        let c = f
            .ward
            .override_record_check(
                OverrideReason::NewAdmissionNotRegistered,
                "Admitted 20 minutes ago via ED",
            )
            .unwrap();
        assert_eq!(c.identity.override_.as_ref().unwrap().by, "Dr A Jones");
        assert_eq!(
            offers(&f.ward),
            CandidateOffers {
                confirm: true,
                override_: false
            }
        );
        f.ward.confirm().unwrap();
        f.ward.record_consent(verbal()).unwrap();
        f.ward.start_capture().unwrap();
        let id = f.ward.capture(&jpeg(), Purpose::Care).unwrap().id;

        let sealed = manifests(&f);
        assert_eq!(sealed.len(), 1);
        let o = sealed[0].patient.override_.clone().unwrap();
        assert_eq!(o.reason, OverrideReason::NewAdmissionNotRegistered);
        assert_eq!(o.detail, "Admitted 20 minutes ago via ED");
        assert_eq!(o.by, "Dr A Jones");
        assert_eq!(o.overrode.code, "patient.record_not_found");
        assert!(matches!(
            sealed[0].patient.verdict,
            Verdict::NeedsOverride { .. }
        ));

        // It outlives a restart, and the photo still waits for a re-check.
        f.restart();
        f.ward.unlock(UnlockMethod::Development).unwrap();
        let outbox = f.ward.outbox().unwrap();
        assert!(outbox[0].patient.overridden);
        assert_eq!(
            f.ward.delivery_gate(id).unwrap(),
            DeliveryGate::NeedsRecheck
        );
        // The record still has no such patient: the override stands and the photo may go.
        let done = run(recheck_due_visits(&f.ward, Some(&empty()))).unwrap();
        assert_eq!(done.len(), 1);
        assert_eq!(done[0].1, RecheckOutcome::OverrideStands);
        assert_eq!(f.ward.delivery_gate(id).unwrap(), DeliveryGate::Ready);
    }

    #[test]
    fn only_an_overridable_outcome_takes_an_override_and_a_trust_may_forbid_it() {
        let f = fixture();
        for outcome in [
            Ok(crate::patient::RecordCheck::Ambiguous { count: 2 }),
            Err(PatientError::RecordPinMismatch),
            Err(PatientError::RecordUnreachable),
            Err(PatientError::RecordMalformed),
        ] {
            f.ward.identify(with(outcome.clone())).unwrap();
            assert_eq!(
                code(
                    f.ward
                        .override_record_check(OverrideReason::RecordSystemDown, "downtime")
                ),
                "patient.override_not_allowed",
                "{outcome:?}"
            );
        }
        f.ward
            .set_record_policy(RecordPolicy {
                allow_unverified: false,
            })
            .unwrap();
        f.ward
            .identify(with(Err(PatientError::RecordUnavailable {
                status: Some(503),
            })))
            .unwrap();
        assert_eq!(
            code(
                f.ward
                    .override_record_check(OverrideReason::RecordSystemDown, "downtime")
            ),
            "patient.override_not_allowed"
        );
        f.ward
            .identify(with(Err(PatientError::RecordUnreachable)))
            .unwrap();
        let c = f.ward.candidate().unwrap().unwrap();
        assert_eq!(
            f.ward.offers(&c).unwrap(),
            CandidateOffers {
                confirm: false,
                override_: false
            }
        );
        assert_eq!(code(f.ward.confirm()), "patient.unverified_not_allowed");
        f.ward.identify(candidate(BAND)).unwrap();
        assert_eq!(code(f.ward.confirm()), "patient.unverified_not_allowed");
        assert!(f.kinds().is_empty(), "nothing sealed: {:?}", f.kinds());
    }

    #[test]
    fn an_override_needs_the_clinicians_name() {
        let dir = tempfile::tempdir().unwrap();
        let keys = MemoryKeyStore::new();
        let ward = ward_on(
            &dir.path().join("vault"),
            &keys,
            Arc::new(TestClock::default()),
            None,
        );
        ward.unlock(UnlockMethod::Development).unwrap();
        ward.identify(with(Ok(crate::patient::RecordCheck::NotFound)))
            .unwrap();
        assert_eq!(
            code(ward.override_record_check(OverrideReason::NewAdmissionNotRegistered, "new")),
            "patient.override_incomplete"
        );
    }

    /// The reset-the-connection attack: the record was out of reach at confirmation, so the band
    /// stood; the re-check before delivery finds the mismatch and holds the photo for good.
    #[test]
    fn an_unreachable_visit_is_checked_again_and_a_mismatch_holds_its_photos() {
        let mut f = fixture();
        let id = photo_of(&f, with(Err(PatientError::RecordUnreachable)));
        f.ward.review().unwrap();
        f.ward.label(id, arm()).unwrap();
        f.ward.queue().unwrap();
        assert_eq!(
            f.ward.delivery_gate(id).unwrap(),
            DeliveryGate::NeedsRecheck
        );
        assert_eq!(f.ward.rechecks_due().unwrap().len(), 1);

        // Still out of reach, or no endpoint at all: nothing changes, the photo waits.
        let still = Canned(Err(PatientError::RecordUnreachable));
        let done = run(recheck_due_visits(&f.ward, Some(&still))).unwrap();
        assert_eq!(done[0].1, RecheckOutcome::StillDue);
        assert!(run(recheck_due_visits::<Canned>(&f.ward, None))
            .unwrap()
            .is_empty());
        assert_eq!(
            f.ward.delivery_gate(id).unwrap(),
            DeliveryGate::NeedsRecheck
        );

        let done = run(recheck_due_visits(&f.ward, Some(&conflicting()))).unwrap();
        assert_eq!(done[0].1, RecheckOutcome::Held);
        // No more photos of a patient the record has blocked.
        f.ward.start_capture().unwrap();
        assert_eq!(
            code(f.ward.capture(&jpeg(), Purpose::Care)),
            "visit.held_in_open_visit"
        );
        let DeliveryGate::Held { reason } = f.ward.delivery_gate(id).unwrap() else {
            panic!("not held");
        };
        assert_eq!(reason.code, "patient.record_mismatch");
        // A later match cannot release it, and nothing is due any more.
        assert!(f.ward.rechecks_due().unwrap().is_empty());
        f.restart();
        f.ward.unlock(UnlockMethod::Development).unwrap();
        assert!(matches!(
            f.ward.outbox().unwrap()[0].identity,
            DeliveryGate::Held { .. }
        ));
        assert!(matches!(manifests(&f)[0].patient.hold, Some(Hold { .. })));
        // Discarding is the way out, once the visit is no longer open; the photo is shredded
        // whole, and no withdrawal of consent is recorded for it.
        assert_eq!(code(f.ward.discard_held(id)), "visit.held_in_open_visit");
        f.ward.end_visit().unwrap();
        f.ward.discard_held(id).unwrap();
        assert!(f.ward.outbox().unwrap().is_empty());
        assert!(!f.kinds().contains(&ItemKind::Withdrawal));
        assert!(!f.kinds().contains(&ItemKind::Manifest));
    }

    #[test]
    fn a_match_on_the_recheck_upgrades_the_visit_to_verified() {
        let f = fixture();
        let id = photo_of(&f, with(Err(PatientError::RecordUnreachable)));
        assert!(!f.ward.photos().unwrap()[0].patient.verified);
        let done = run(recheck_due_visits(&f.ward, Some(&matching()))).unwrap();
        assert_eq!(done[0].1, RecheckOutcome::Verified);
        assert_eq!(f.ward.delivery_gate(id).unwrap(), DeliveryGate::Ready);
        assert!(f.ward.photos().unwrap()[0].patient.verified);
        assert!(f.ward.current_patient().unwrap().unwrap().is_verified());
        let m = &manifests(&f)[0];
        assert_eq!(m.patient.verdict, Verdict::Verified);
        assert!(m.patient.recheck.is_some());
    }

    #[test]
    fn a_visit_that_needs_no_recheck_is_deliverable_and_never_checked() {
        let f = fixture();
        // No record endpoint on this device: the band stands, nothing to check again.
        let id = photo_of(&f, candidate(BAND));
        assert_eq!(f.ward.delivery_gate(id).unwrap(), DeliveryGate::Ready);
        assert_eq!(code(f.ward.discard_held(id)), "visit.not_held");
        assert!(f.ward.rechecks_due().unwrap().is_empty());
    }

    /// Every outcome a re-check can have.
    fn recheck_outcomes() -> Vec<Verification> {
        let mut all: Vec<Verification> = PatientError::every_kind()
            .into_iter()
            .map(|e| Verification::from_outcome(Err(e)))
            .collect();
        all.push(Verification::from_outcome(Ok(
            crate::patient::RecordCheck::NotFound,
        )));
        all.push(Verification::from_outcome(Ok(
            crate::patient::RecordCheck::Ambiguous { count: 3 },
        )));
        all.push(Verification::not_configured());
        all
    }

    fn verified() -> Verification {
        Verification::from_outcome(Ok(crate::patient::RecordCheck::Match {
            record: crate::patient::RecordPatient {
                id: None,
                family_name: Some("SMITH".into()),
                given_names: vec!["JOHN".into()],
                birth_date: None,
            },
            compared: Default::default(),
        }))
    }

    proptest! {
        /// Whatever a visit was confirmed on and whatever re-checks follow, a photo is deliverable
        /// only once the record has vouched for the patient, or (for an override) has confirmed
        /// that the record is still missing; never while only "unreachable" answers came back.
        #[test]
        fn no_unverified_photo_is_deliverable_before_a_recheck_settles_it(
            first in 0usize..3,
            overridden in any::<bool>(),
            rechecks in proptest::collection::vec(0usize..64, 0..5),
        ) {
            let at_confirm = [
                Verification::from_outcome(Err(PatientError::RecordUnreachable)),
                Verification::from_outcome(Ok(crate::patient::RecordCheck::NotFound)),
                Verification::from_outcome(Err(PatientError::RecordUnavailable { status: None })),
            ][first].clone();
            let mut c = Candidate::new(
                parse_scan(BAND, &PatientPolicy::default()).unwrap(),
                at_confirm.clone(),
                Some(BAND),
                false,
            );
            let overridden = overridden && matches!(at_confirm, Verification::NeedsOverride { .. });
            if overridden {
                c.identity.override_ = Some(Override {
                    overrode: at_confirm.reason().unwrap().into(),
                    reason: OverrideReason::RecordSystemDown,
                    detail: "downtime".into(),
                    by: "Dr A".into(),
                    at: Timestamp(1),
                });
            }
            let mut identity = c.identity;
            // A needs-override visit without an override never reaches delivery at all.
            if !overridden && matches!(at_confirm, Verification::NeedsOverride { .. }) {
                let held = matches!(identity.delivery_gate(), DeliveryGate::Held { .. });
                prop_assert!(held);
                return Ok(());
            }
            prop_assert_eq!(identity.delivery_gate(), DeliveryGate::NeedsRecheck);
            let mut outcomes = recheck_outcomes();
            outcomes.push(verified());
            // The model: a visit waits until an answer settles it; a match or (for an override) a
            // still-missing record releases it; any other answer but "no answer" holds it for good.
            #[derive(Debug, PartialEq)]
            enum Model { Due, Ready, Held }
            let mut model = Model::Due;
            for (i, pick) in rechecks.iter().enumerate() {
                let v = &outcomes[pick % outcomes.len()];
                identity.apply_recheck(v, Timestamp(10 + i as u64));
                let no_answer = matches!(
                    v.reason(),
                    Some(PatientError::RecordUnreachable)
                        | Some(PatientError::RecordUnavailable { .. })
                );
                let releases = v.is_verified()
                    || (overridden && v.reason() == Some(&PatientError::RecordNotFound));
                model = match model {
                    Model::Held => Model::Held,
                    _ if releases => Model::Ready,
                    m if no_answer => m,
                    _ => Model::Held,
                };
            }
            let gate = identity.delivery_gate();
            match model {
                Model::Due => prop_assert_eq!(gate, DeliveryGate::NeedsRecheck),
                Model::Ready => prop_assert_eq!(gate, DeliveryGate::Ready),
                Model::Held => {
                    let held = matches!(gate, DeliveryGate::Held { .. });
                    prop_assert!(held, "{:?}", gate);
                }
            }
        }
    }
}
