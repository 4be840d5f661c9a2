#![allow(clippy::unwrap_used, clippy::expect_used)]

use wardcam_core::consent::{Point, Signature};
use wardcam_core::patient::{NhsNumber, Verification, WristbandData};
use wardcam_core::session::{LockReason, Photo, PhotoRef, Purpose, SessionPolicy, State};
use wardcam_core::vault::danger::MemoryKeyStore;

use super::*;
use crate::state::Identified;

fn vault() -> (tempfile::TempDir, Vault) {
    let dir = tempfile::tempdir().unwrap();
    let vault = Vault::create(&dir.path().join("vault"), &MemoryKeyStore::new()).unwrap();
    (dir, vault)
}

fn pin(s: &str) -> Zeroizing<String> {
    Zeroizing::new(s.to_owned())
}

fn code<T: std::fmt::Debug>(r: Result<T, CommandError>) -> &'static str {
    r.unwrap_err().code()
}

fn pin_items(vault: &Vault) -> Vec<ItemId> {
    vault
        .list()
        .unwrap()
        .into_iter()
        .filter(|m| m.kind == ItemKind::ClinicianPin)
        .map(|m| m.id)
        .collect()
}

/// A name written across a 300×100 pad: a zigzag of 20 points.
fn signature() -> Signature {
    let stroke = (0..20)
        .map(|i| Point {
            x: 20 + i * 13,
            y: if i % 2 == 0 { 30 } else { 70 },
            t: i * 16,
        })
        .collect();
    Signature {
        width: 300,
        height: 100,
        strokes: vec![stroke],
    }
}

fn form(method: Method) -> ConsentForm {
    ConsentForm {
        decision: Decision::Permit,
        purposes: [Purpose::Care, Purpose::Teaching].into_iter().collect(),
        consented_by: ConsentedBy::Patient,
        method,
        text_version: ConsentText::default_text().unwrap().version,
    }
}

fn named_band() -> WristbandData {
    let mut band = WristbandData::manual_entry(NhsNumber::parse("9434765919").unwrap());
    band.family_name = Some("SMITH".into());
    band.given_name = Some("JOHN".into());
    band
}

/// The patient consents to care and teaching by signature.
fn signed_form() -> ConsentForm {
    form(Method::Signature {
        signature: signature(),
    })
}

fn ctx(text: &ConsentText) -> RecordContext<'_> {
    RecordContext {
        id: ConsentId::from_random_bytes([7; 16]),
        patient: ConsentPatient::new(&named_band(), "SMITH", "JOHN", None).unwrap(),
        clinician: Clinician {
            name: "Dr A Jones".into(),
            identifier: None,
        },
        organization: None,
        text,
        recorded_at: Timestamp(1_790_000_000_000),
    }
}

#[test]
fn a_wrong_pin_is_refused_and_the_count_survives_a_restart() {
    let (_dir, vault) = vault();
    let mut book = PinBook::default();
    book.set(&vault, &pin("246810"), "  Dr A Jones ").unwrap();
    assert_eq!(book.clinician().as_deref(), Some("Dr A Jones"));
    assert_eq!(
        code(book.attempt(&vault, &pin("111111"), Millis(0))),
        "auth.wrong_pin"
    );
    // A new book (the app restarted) reads the sealed count: the wrong attempt was not forgotten.
    let mut restarted = PinBook::default();
    restarted.load(&vault).unwrap();
    assert_eq!(restarted.status(false).failures, 1);
    assert!(restarted.status(false).set);
    restarted
        .attempt(&vault, &pin("246810"), Millis(0))
        .unwrap();
    assert_eq!(restarted.status(false).failures, 0);
    // Every save replaced the previous item: one PIN item, never two.
    assert_eq!(pin_items(&vault).len(), 1);
}

#[test]
fn the_pin_itself_is_never_sealed() {
    let (_dir, vault) = vault();
    let mut book = PinBook::default();
    book.set(&vault, &pin("975313"), "Dr A Jones").unwrap();
    let items = pin_items(&vault);
    let bytes = vault.unseal(items[0]).unwrap();
    let text = String::from_utf8_lossy(&bytes);
    assert!(!text.contains("975313"), "PIN stored in the clear");
    assert!(text.contains("Dr A Jones"));
}

#[test]
fn guessing_is_stopped_by_the_limiter() {
    let (_dir, vault) = vault();
    let mut book = PinBook::default();
    book.set(&vault, &pin("246810"), "Dr A Jones").unwrap();
    for _ in 0..wardcam_core::auth::FREE_ATTEMPTS {
        assert_eq!(
            code(book.attempt(&vault, &pin("000001"), Millis(0))),
            "auth.wrong_pin"
        );
    }
    // Now even the right PIN must wait: it is not even checked.
    assert_eq!(
        code(book.attempt(&vault, &pin("246810"), Millis(1))),
        "auth.try_later"
    );
}

#[test]
fn weak_pins_and_missing_names_are_refused_and_nothing_is_sealed() {
    let (_dir, vault) = vault();
    let mut book = PinBook::default();
    assert_eq!(
        code(book.set(&vault, &pin("123456"), "Dr A Jones")),
        "auth.pin_too_simple"
    );
    assert_eq!(
        code(book.set(&vault, &pin("12"), "Dr A Jones")),
        "auth.pin_too_short"
    );
    assert_eq!(
        code(book.set(&vault, &pin("246810"), "   ")),
        "consent.clinician_missing"
    );
    assert!(pin_items(&vault).is_empty());
    assert_eq!(
        code(book.attempt(&vault, &pin("246810"), Millis(0))),
        "auth.pin_not_set"
    );
}

#[test]
fn a_signed_consent_seals_the_canonical_record_and_the_png() {
    let (_dir, vault) = vault();
    let text = ConsentText::default_text().unwrap();
    let sealed = seal_consent(&vault, signed_form(), ctx(&text)).unwrap();
    let record = vault.unseal(sealed.record_item).unwrap();
    assert_eq!(*record, sealed.record.canonical_bytes().unwrap());
    let png = vault.unseal(sealed.signature_item.unwrap()).unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    assert_eq!(
        vault.meta(sealed.record_item).unwrap().kind,
        ItemKind::Consent
    );
    let fields = vault.patient_fields(sealed.record_item).unwrap().unwrap();
    assert_eq!(fields.nhs_number.as_deref(), Some("9434765919"));
}

#[test]
fn an_empty_or_trivial_signature_seals_nothing() {
    let (_dir, vault) = vault();
    let text = ConsentText::default_text().unwrap();
    let empty = Signature {
        strokes: vec![],
        ..signature()
    };
    let dot = Signature {
        strokes: vec![vec![Point { x: 5, y: 5, t: 0 }; 12]],
        ..signature()
    };
    for (sig, expected) in [
        (empty, "consent.signature_empty"),
        (dot, "consent.signature_too_small"),
    ] {
        let r = seal_consent(
            &vault,
            form(Method::Signature { signature: sig }),
            ctx(&text),
        );
        assert_eq!(code(r), expected);
    }
    assert!(vault.list().unwrap().is_empty());
}

#[test]
fn verbal_consent_has_no_signature_item_and_care_is_required() {
    let (_dir, vault) = vault();
    let text = ConsentText::default_text().unwrap();
    let verbal = Method::Verbal {
        witness: "Nurse B".into(),
    };
    let sealed = seal_consent(&vault, form(verbal.clone()), ctx(&text)).unwrap();
    assert_eq!(sealed.signature_item, None);
    let mut teaching_only = form(verbal);
    teaching_only.purposes = [Purpose::Teaching].into_iter().collect();
    assert_eq!(
        code(seal_consent(&vault, teaching_only, ctx(&text))),
        "consent.care_required"
    );
    assert_eq!(vault.list().unwrap().len(), 1);
}

#[test]
fn the_event_binds_the_record_digest_and_a_refusal_declines() {
    let text = ConsentText::default_text().unwrap();
    let record = ConsentRecord::build(signed_form(), ctx(&text)).unwrap();
    let patient = wardcam_core::session::PatientRef(3);
    match consent_event(&record, ConsentRef(9), patient).unwrap() {
        Event::RecordConsent(c) => {
            assert_eq!(c.digest, record.sha256().unwrap());
            assert_eq!(c.patient, patient);
            assert_eq!(c.id, ConsentRef(9));
        }
        other => panic!("{other:?}"),
    }
    let declined: ConsentForm = DeclineForm {
        purposes: Purposes::NONE,
        consented_by: ConsentedBy::Patient,
        text_version: text.version.clone(),
    }
    .into();
    let refusal = ConsentRecord::build(declined, ctx(&text)).unwrap();
    assert_eq!(
        consent_event(&refusal, ConsentRef(10), patient).unwrap(),
        Event::DeclineConsent
    );
}

#[test]
fn a_withdrawn_consent_is_inactive_in_fhir() {
    let text = ConsentText::default_text().unwrap();
    let record = ConsentRecord::build(signed_form(), ctx(&text)).unwrap();
    let mut recorded = RecordedConsent {
        reference: ConsentRef(1),
        record,
        record_item: ItemId([1; 16]),
        signature_item: None,
        withdrawn_at: None,
    };
    let active = recorded.fhir().unwrap();
    assert_eq!(active["resourceType"], "Consent");
    assert_eq!(active["status"], "active");
    recorded.withdrawn_at = Some(Timestamp(1));
    assert_eq!(recorded.fhir().unwrap()["status"], "inactive");
}

fn unlocked() -> AppState {
    let state = AppState::new(SessionPolicy {
        idle_timeout_ms: 600_000,
        allow_development_unlock: true,
    });
    state
        .apply(Event::Unlock(UnlockMethod::Development))
        .unwrap();
    state
}

fn confirm(state: &AppState, band: WristbandData) {
    state
        .set_candidate(Identified {
            band,
            verification: Verification::not_configured(),
        })
        .unwrap();
    state.confirm_candidate().unwrap();
}

#[test]
fn the_consent_patient_comes_from_the_confirmed_patient_only_while_unlocked() {
    let state = unlocked();
    assert_eq!(code(state.consent_patient()), "session.no_patient");
    confirm(&state, named_band());
    let (reference, patient) = state.consent_patient().unwrap();
    assert_eq!(state.view().unwrap().patient, Some(reference));
    assert_eq!(patient.family_name(), "SMITH");
    assert_eq!(patient.nhs_number().unwrap().digits(), "9434765919");
    state.apply(Event::Lock(LockReason::User)).unwrap();
    assert_eq!(code(state.consent_patient()), "session.locked");
}

#[test]
fn a_typed_nhs_number_without_a_record_can_still_consent() {
    // Offline, a number typed twice has no name to show; the NHS number identifies the patient.
    let state = unlocked();
    confirm(
        &state,
        WristbandData::manual_entry(NhsNumber::parse("9434765919").unwrap()),
    );
    let (_, patient) = state.consent_patient().unwrap();
    assert_eq!(patient.family_name(), "");
    assert_eq!(
        patient.nhs_number().map(|n| n.digits()).as_deref(),
        Some("9434765919")
    );
}

#[test]
fn a_decline_handed_back_forgets_the_patient() {
    let state = unlocked();
    confirm(&state, named_band());
    state.apply(Event::HandToPatient).unwrap();
    assert_eq!(
        code(state.apply(Event::StartCapture)),
        "session.kiosk_active"
    );
    state.apply_forgetting_ended(Event::DeclineConsent).unwrap();
    // Still with the patient: the identifiers stay until the clinician takes the phone back.
    assert!(state.consent_patient().is_ok());
    let view = state
        .apply_forgetting_ended(Event::HandBack(UnlockMethod::ClinicianPin))
        .unwrap();
    assert_eq!(view.state, State::Unlocked);
    assert!(!view.kiosk);
    assert_eq!(state.current_patient().unwrap(), None);
    assert_eq!(code(state.consent_patient()), "session.no_patient");
}

#[test]
fn withdrawing_hands_over_every_photo_of_the_visit() {
    let state = unlocked();
    confirm(&state, named_band());
    let (patient, _) = state.consent_patient().unwrap();
    let text = ConsentText::default_text().unwrap();
    let record = ConsentRecord::build(
        form(Method::Verbal {
            witness: "Nurse B".into(),
        }),
        ctx(&text),
    )
    .unwrap();
    let event = consent_event(&record, ConsentRef(1), patient).unwrap();
    state.apply(event).unwrap();
    assert!(state.consent_in_force().unwrap().is_some());
    state.apply(Event::StartCapture).unwrap();
    for id in [PhotoRef(1), PhotoRef(2)] {
        state
            .apply(Event::PhotoTaken(Photo {
                id,
                patient,
                intended_use: Purpose::Care,
            }))
            .unwrap();
    }
    let (view, photos) = state.withdraw_consent().unwrap();
    assert_eq!(view.state, State::PatientConfirmed);
    assert_eq!(photos, vec![PhotoRef(1), PhotoRef(2)]);
    assert_eq!(state.consent_in_force().unwrap(), None);
    assert_eq!(
        code(state.withdraw_consent()),
        "session.no_consent_to_withdraw"
    );
}
