#![allow(clippy::unwrap_used)]

use super::*;

const P1: PatientRef = PatientRef(1);
const P2: PatientRef = PatientRef(2);

fn policy() -> SessionPolicy {
    SessionPolicy {
        idle_timeout_ms: 10_000,
        allow_development_unlock: true,
    }
}

fn consent(patient: PatientRef, purposes: &[Purpose]) -> Consent {
    Consent {
        id: ConsentRef(patient.0 + 100),
        patient,
        purposes: purposes.iter().copied().collect(),
        digest: crate::consent::ConsentDigest([patient.0 as u8; 32]),
    }
}

fn photo(id: u64, patient: PatientRef, intended_use: Purpose) -> Photo {
    Photo {
        id: PhotoRef(id),
        patient,
        intended_use,
    }
}

/// A session unlocked with patient P1 confirmed and consented for care, at t = 0.
fn consented() -> Session {
    let mut s = Session::new(policy(), Millis(0));
    s.apply(Event::Unlock(UnlockMethod::Development), Millis(0))
        .unwrap();
    s.apply(Event::ConfirmPatient(P1), Millis(0)).unwrap();
    s.apply(
        Event::RecordConsent(consent(P1, &[Purpose::Care])),
        Millis(0),
    )
    .unwrap();
    s
}

#[test]
fn happy_path_walks_every_state() {
    let mut s = Session::new(policy(), Millis(0));
    assert_eq!(s.state(), State::Locked);
    let steps: [(Event, State); 7] = [
        (Event::Unlock(UnlockMethod::Development), State::Unlocked),
        (Event::ConfirmPatient(P1), State::PatientConfirmed),
        (
            Event::RecordConsent(consent(P1, &[Purpose::Care])),
            State::Consented,
        ),
        (Event::StartCapture, State::Capturing),
        (
            Event::PhotoTaken(photo(7, P1, Purpose::Care)),
            State::Capturing,
        ),
        (Event::Review, State::Reviewing),
        (Event::Queue, State::Queued),
    ];
    for (event, expected) in steps {
        s.apply(event, Millis(1)).unwrap();
        assert_eq!(s.state(), expected, "after {event:?}");
    }
    let view = s.view();
    assert_eq!(view.queued_photos, 1);
    assert_eq!(view.pending_photos, 0);
    s.apply(Event::EndPatient, Millis(2)).unwrap();
    assert_eq!(s.state(), State::Unlocked);
    assert_eq!(s.patient(), None);
}

#[test]
fn capture_before_consent_is_refused_by_core() {
    let mut s = Session::new(policy(), Millis(0));
    s.apply(Event::Unlock(UnlockMethod::Development), Millis(0))
        .unwrap();
    assert_eq!(
        s.apply(Event::StartCapture, Millis(0)),
        Err(SessionError::NoPatient)
    );
    s.apply(Event::ConfirmPatient(P1), Millis(0)).unwrap();
    assert_eq!(
        s.apply(Event::StartCapture, Millis(0)),
        Err(SessionError::ConsentRequired)
    );
    assert_eq!(
        s.apply(Event::PhotoTaken(photo(1, P1, Purpose::Care)), Millis(0)),
        Err(SessionError::ConsentRequired)
    );
    assert_eq!(s.state(), State::PatientConfirmed);
    assert!(!s.view().screens.contains(&Screen::Capture));
}

#[test]
fn another_patients_photo_or_consent_is_refused() {
    let mut s = consented();
    s.apply(Event::StartCapture, Millis(0)).unwrap();
    assert_eq!(
        s.apply(Event::PhotoTaken(photo(1, P2, Purpose::Care)), Millis(0)),
        Err(SessionError::WrongPatient)
    );
    assert!(s.pending_photos().is_empty());
    assert_eq!(
        s.apply(Event::ConfirmPatient(P2), Millis(0)),
        Err(SessionError::PatientInSession)
    );
    let mut fresh = Session::new(policy(), Millis(0));
    fresh
        .apply(Event::Unlock(UnlockMethod::Development), Millis(0))
        .unwrap();
    fresh.apply(Event::ConfirmPatient(P1), Millis(0)).unwrap();
    assert_eq!(
        fresh.apply(
            Event::RecordConsent(consent(P2, &[Purpose::Care])),
            Millis(0)
        ),
        Err(SessionError::WrongPatient)
    );
}

#[test]
fn photo_use_must_be_covered_by_consent() {
    let mut s = consented();
    s.apply(Event::StartCapture, Millis(0)).unwrap();
    assert_eq!(
        s.apply(
            Event::PhotoTaken(photo(1, P1, Purpose::Teaching)),
            Millis(0)
        ),
        Err(SessionError::PurposeNotCovered {
            purpose: Purpose::Teaching
        })
    );
    s.apply(Event::PhotoTaken(photo(1, P1, Purpose::Care)), Millis(0))
        .unwrap();
    let mut none = Session::new(policy(), Millis(0));
    none.apply(Event::Unlock(UnlockMethod::Development), Millis(0))
        .unwrap();
    none.apply(Event::ConfirmPatient(P1), Millis(0)).unwrap();
    assert_eq!(
        none.apply(Event::RecordConsent(consent(P1, &[])), Millis(0)),
        Err(SessionError::NoPurpose)
    );
}

#[test]
fn ending_a_patient_with_pending_photos_is_refused() {
    let mut s = consented();
    s.apply(Event::StartCapture, Millis(0)).unwrap();
    s.apply(Event::PhotoTaken(photo(1, P1, Purpose::Care)), Millis(0))
        .unwrap();
    assert_eq!(
        s.apply(Event::EndPatient, Millis(0)),
        Err(SessionError::PhotosNotQueued { count: 1 })
    );
    s.apply(Event::DiscardPhoto(PhotoRef(1)), Millis(0))
        .unwrap();
    s.apply(Event::EndPatient, Millis(0)).unwrap();
}

#[test]
fn discarding_the_last_photo_under_review_returns_to_the_camera() {
    let mut s = consented();
    s.apply(Event::StartCapture, Millis(0)).unwrap();
    assert_eq!(
        s.apply(Event::Review, Millis(0)),
        Err(SessionError::NoPhotos)
    );
    s.apply(Event::PhotoTaken(photo(1, P1, Purpose::Care)), Millis(0))
        .unwrap();
    assert_eq!(
        s.apply(Event::PhotoTaken(photo(1, P1, Purpose::Care)), Millis(0)),
        Err(SessionError::DuplicatePhoto)
    );
    s.apply(Event::Review, Millis(0)).unwrap();
    assert_eq!(
        s.apply(Event::DiscardPhoto(PhotoRef(9)), Millis(0)),
        Err(SessionError::UnknownPhoto)
    );
    s.apply(Event::DiscardPhoto(PhotoRef(1)), Millis(0))
        .unwrap();
    assert_eq!(s.state(), State::Capturing);
}

#[test]
fn idle_locks_from_any_state_and_unlock_resumes() {
    let mut s = consented();
    s.apply(Event::StartCapture, Millis(1_000)).unwrap();
    assert!(!s.check_idle(Millis(10_999)));
    assert!(s.check_idle(Millis(11_000)));
    assert_eq!(s.state(), State::Locked);
    assert_eq!(s.view().lock_reason, Some(LockReason::Idle));
    assert_eq!(s.view().screens, vec![Screen::Lock]);
    // A late event is refused even if the timer never fired.
    let mut late = consented();
    assert_eq!(
        late.apply(Event::StartCapture, Millis(60_000)),
        Err(SessionError::Locked)
    );
    s.apply(Event::Unlock(UnlockMethod::Development), Millis(12_000))
        .unwrap();
    assert_eq!(s.state(), State::Capturing);
    assert_eq!(s.patient(), Some(P1));
}

#[test]
fn touch_postpones_the_idle_lock_but_not_while_locked() {
    let mut s = consented();
    s.touch(Millis(9_000));
    assert!(!s.check_idle(Millis(18_000)));
    assert!(s.check_idle(Millis(19_000)));
    s.touch(Millis(19_500));
    assert_eq!(s.state(), State::Locked);
}

#[test]
fn background_lock_keeps_the_first_reason() {
    let mut s = consented();
    s.apply(Event::Lock(LockReason::Background), Millis(0))
        .unwrap();
    s.apply(Event::Lock(LockReason::User), Millis(0)).unwrap();
    assert_eq!(s.view().lock_reason, Some(LockReason::Background));
    assert_eq!(
        s.apply(Event::ConfirmPatient(P2), Millis(0)),
        Err(SessionError::Locked)
    );
}

#[test]
fn development_unlock_is_refused_unless_policy_allows_it() {
    let mut s = Session::new(SessionPolicy::default(), Millis(0));
    assert_eq!(
        s.apply(Event::Unlock(UnlockMethod::Development), Millis(0)),
        Err(SessionError::DevelopmentUnlockRefused)
    );
    assert_eq!(s.state(), State::Locked);
    s.apply(Event::Unlock(UnlockMethod::DeviceCredential), Millis(0))
        .unwrap();
    assert_eq!(s.state(), State::Unlocked);
    assert_eq!(
        s.apply(Event::Unlock(UnlockMethod::DeviceCredential), Millis(0)),
        Err(SessionError::AlreadyUnlocked)
    );
}

#[test]
fn every_error_has_a_distinct_code_and_an_actionable_message() {
    let errors = [
        SessionError::Locked,
        SessionError::AlreadyUnlocked,
        SessionError::DevelopmentUnlockRefused,
        SessionError::NoPatient,
        SessionError::PatientInSession,
        SessionError::WrongPatient,
        SessionError::ConsentRequired,
        SessionError::ConsentAlreadyRecorded,
        SessionError::NoPurpose,
        SessionError::PurposeNotCovered {
            purpose: Purpose::Teaching,
        },
        SessionError::NotCapturing,
        SessionError::DuplicatePhoto,
        SessionError::NoPhotos,
        SessionError::NotReviewing,
        SessionError::UnknownPhoto,
        SessionError::PhotosNotQueued { count: 2 },
    ];
    let mut codes: Vec<&str> = errors.iter().map(|e| e.code()).collect();
    codes.sort_unstable();
    codes.dedup();
    assert_eq!(codes.len(), errors.len());
    for e in errors {
        assert!(e.code().starts_with("session."));
        let msg = e.to_string();
        assert!(msg.ends_with('.'), "{msg}");
        assert!(msg.len() > 20, "{msg}");
    }
    assert!(SessionError::PurposeNotCovered {
        purpose: Purpose::Teaching
    }
    .to_string()
    .contains("teaching"));
}

#[test]
fn view_serializes_for_the_ui() {
    let mut s = consented();
    s.apply(Event::StartCapture, Millis(0)).unwrap();
    let json = serde_json::to_value(s.view()).unwrap();
    assert_eq!(json["state"], "capturing");
    assert_eq!(json["home"], "capture");
    assert_eq!(json["consented_purposes"], serde_json::json!(["care"]));
    assert_eq!(json["lock_reason"], serde_json::Value::Null);
}

#[test]
fn check_new_patient_agrees_with_confirm_patient() {
    let mut s = Session::new(policy(), Millis(0));
    assert_eq!(s.check_new_patient(), Err(SessionError::Locked));
    s.apply(Event::Unlock(UnlockMethod::Development), Millis(1))
        .unwrap();
    assert_eq!(s.check_new_patient(), Ok(()));
    s.apply(Event::ConfirmPatient(PatientRef(1)), Millis(2))
        .unwrap();
    assert_eq!(s.check_new_patient(), Err(SessionError::PatientInSession));
    assert_eq!(
        s.apply(Event::ConfirmPatient(PatientRef(2)), Millis(3)),
        Err(SessionError::PatientInSession)
    );
    s.apply(Event::EndPatient, Millis(4)).unwrap();
    assert_eq!(s.check_new_patient(), Ok(()));
}

/// A session unlocked with P1 confirmed and the phone handed to the patient.
fn in_kiosk() -> Session {
    let mut s = Session::new(policy(), Millis(0));
    s.apply(Event::Unlock(UnlockMethod::Development), Millis(0))
        .unwrap();
    s.apply(Event::ConfirmPatient(P1), Millis(0)).unwrap();
    s.apply(Event::HandToPatient, Millis(0)).unwrap();
    s
}

#[test]
fn kiosk_shows_only_consent_and_refuses_navigation() {
    let mut s = in_kiosk();
    let view = s.view();
    assert!(view.kiosk);
    assert_eq!(view.screens, vec![Screen::Consent]);
    assert_eq!(view.home, Screen::Consent);
    for event in [
        Event::EndPatient,
        Event::StartCapture,
        Event::Review,
        Event::Queue,
        Event::ConfirmPatient(P2),
        Event::HandToPatient,
        Event::WithdrawConsent,
        Event::Unlock(UnlockMethod::DeviceCredential),
        Event::DiscardPhoto(PhotoRef(1)),
        Event::PhotoTaken(photo(1, P1, Purpose::Care)),
    ] {
        assert_eq!(
            s.apply(event, Millis(1)),
            Err(SessionError::KioskActive),
            "{event:?}"
        );
    }
    // Consent is recorded, but the camera stays out of reach until the clinician takes the phone back.
    s.apply(
        Event::RecordConsent(consent(P1, &[Purpose::Care])),
        Millis(1),
    )
    .unwrap();
    assert_eq!(s.state(), State::Consented);
    assert_eq!(s.view().screens, vec![Screen::Consent]);
    assert_eq!(
        s.apply(Event::StartCapture, Millis(1)),
        Err(SessionError::KioskActive)
    );
    s.apply(Event::HandBack(UnlockMethod::ClinicianPin), Millis(2))
        .unwrap();
    assert!(!s.kiosk());
    assert_eq!(s.view().home, Screen::Capture);
    s.apply(Event::StartCapture, Millis(3)).unwrap();
    assert_eq!(
        s.apply(Event::HandBack(UnlockMethod::ClinicianPin), Millis(3)),
        Err(SessionError::NotInKiosk)
    );
}

#[test]
fn hand_back_needs_an_allowed_re_authentication() {
    let mut s = Session::new(SessionPolicy::default(), Millis(0));
    s.apply(Event::Unlock(UnlockMethod::DeviceCredential), Millis(0))
        .unwrap();
    assert_eq!(
        s.apply(Event::HandToPatient, Millis(0)),
        Err(SessionError::NoPatient)
    );
    s.apply(Event::ConfirmPatient(P1), Millis(0)).unwrap();
    s.apply(Event::HandToPatient, Millis(0)).unwrap();
    assert_eq!(
        s.apply(Event::HandBack(UnlockMethod::Development), Millis(0)),
        Err(SessionError::DevelopmentUnlockRefused)
    );
    assert!(s.kiosk());
    s.apply(Event::HandBack(UnlockMethod::DeviceCredential), Millis(0))
        .unwrap();
    assert!(!s.kiosk());
}

#[test]
fn unlock_after_an_idle_lock_leaves_kiosk() {
    let mut s = in_kiosk();
    assert!(s.check_idle(Millis(10_000)));
    assert_eq!(s.view().screens, vec![Screen::Lock]);
    assert_eq!(
        s.apply(Event::HandBack(UnlockMethod::ClinicianPin), Millis(10_001)),
        Err(SessionError::Locked)
    );
    s.apply(Event::Unlock(UnlockMethod::ClinicianPin), Millis(10_001))
        .unwrap();
    assert!(!s.kiosk());
    assert_eq!(s.state(), State::PatientConfirmed);
}

#[test]
fn declining_ends_the_patient_session() {
    // Outside kiosk: at once.
    let mut s = Session::new(policy(), Millis(0));
    s.apply(Event::Unlock(UnlockMethod::Development), Millis(0))
        .unwrap();
    assert_eq!(
        s.apply(Event::DeclineConsent, Millis(0)),
        Err(SessionError::NoPatient)
    );
    s.apply(Event::ConfirmPatient(P1), Millis(0)).unwrap();
    s.apply(Event::DeclineConsent, Millis(0)).unwrap();
    assert_eq!(s.state(), State::Unlocked);
    assert_eq!(s.patient(), None);
    // In kiosk: the consent screen stays ("hand the phone back") until hand-back.
    let mut k = in_kiosk();
    k.apply(Event::DeclineConsent, Millis(1)).unwrap();
    let view = k.view();
    assert!(view.kiosk && view.consent_declined);
    assert_eq!(view.screens, vec![Screen::Consent]);
    assert_eq!(
        k.apply(
            Event::RecordConsent(consent(P1, &[Purpose::Care])),
            Millis(1)
        ),
        Err(SessionError::ConsentDeclined)
    );
    assert_eq!(
        k.apply(Event::DeclineConsent, Millis(1)),
        Err(SessionError::ConsentDeclined)
    );
    k.apply(Event::HandBack(UnlockMethod::ClinicianPin), Millis(2))
        .unwrap();
    assert_eq!(k.state(), State::Unlocked);
    assert_eq!(k.patient(), None);
    assert!(!k.view().consent_declined);
    // A consented patient cannot "decline" afterwards: that is a withdrawal.
    let mut c = consented();
    assert_eq!(
        c.apply(Event::DeclineConsent, Millis(0)),
        Err(SessionError::ConsentAlreadyRecorded)
    );
}

#[test]
fn withdrawal_yields_every_photo_of_the_visit_to_shred() {
    let mut s = consented();
    assert_eq!(
        s.consent_digest(),
        Some(crate::consent::ConsentDigest([1; 32]))
    );
    s.apply(Event::StartCapture, Millis(0)).unwrap();
    s.apply(Event::PhotoTaken(photo(1, P1, Purpose::Care)), Millis(0))
        .unwrap();
    s.apply(Event::Review, Millis(0)).unwrap();
    s.apply(Event::Queue, Millis(0)).unwrap();
    s.apply(Event::StartCapture, Millis(0)).unwrap();
    s.apply(Event::PhotoTaken(photo(2, P1, Purpose::Care)), Millis(0))
        .unwrap();
    assert_eq!(s.photos(), vec![PhotoRef(2), PhotoRef(1)]);
    assert!(s.take_photos_to_shred().is_empty());
    s.apply(Event::WithdrawConsent, Millis(1)).unwrap();
    assert_eq!(s.state(), State::PatientConfirmed);
    assert_eq!(s.consent(), None);
    assert_eq!(s.consent_digest(), None);
    assert!(s.photos().is_empty());
    assert!(!s.view().screens.contains(&Screen::Capture));
    assert_eq!(
        s.apply(Event::StartCapture, Millis(1)),
        Err(SessionError::ConsentRequired)
    );
    let mut shred = s.take_photos_to_shred();
    shred.sort_by_key(|p| p.0);
    assert_eq!(shred, vec![PhotoRef(1), PhotoRef(2)]);
    assert!(s.take_photos_to_shred().is_empty(), "taken once");
    assert_eq!(
        s.apply(Event::WithdrawConsent, Millis(1)),
        Err(SessionError::NoConsentToWithdraw)
    );
    // Nothing pending any more, so the patient's session can end; or consent can be asked again.
    s.apply(
        Event::RecordConsent(consent(P1, &[Purpose::Care])),
        Millis(2),
    )
    .unwrap();
    assert_eq!(s.state(), State::Consented);
}

#[test]
fn new_session_errors_have_distinct_codes() {
    let errors = [
        SessionError::KioskActive,
        SessionError::NotInKiosk,
        SessionError::ConsentDeclined,
        SessionError::NoConsentToWithdraw,
    ];
    for e in errors {
        assert!(e.code().starts_with("session."));
        assert!(e.to_string().ends_with('.'));
        assert_eq!(errors.iter().filter(|o| o.code() == e.code()).count(), 1);
        assert_ne!(e.code(), SessionError::Locked.code());
    }
}
