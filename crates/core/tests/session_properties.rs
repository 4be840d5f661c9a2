//! Property tests over random event sequences: whatever a clinician (or a bug in the UI) sends,
//! the session never lets a photo in without consent for that patient and use, never mixes
//! patients, never acts while locked, never lets the patient out of kiosk mode without the
//! clinician, hands every photo to shred on withdrawal, and never changes when it refuses.

#![allow(clippy::unwrap_used)]

use proptest::prelude::*;
use wardcam_core::consent::ConsentDigest;
use wardcam_core::session::*;

const IDLE_MS: u64 = 10_000;
const PATIENTS: [PatientRef; 2] = [PatientRef(1), PatientRef(2)];

fn purpose() -> impl Strategy<Value = Purpose> {
    prop::sample::select(Purpose::ALL.to_vec())
}

fn unlock_method() -> impl Strategy<Value = UnlockMethod> {
    prop_oneof![
        Just(UnlockMethod::Development),
        Just(UnlockMethod::DeviceCredential),
        Just(UnlockMethod::ClinicianPin),
    ]
}

fn event() -> impl Strategy<Value = Event> {
    let patient = prop::sample::select(PATIENTS.to_vec());
    prop_oneof![
        2 => unlock_method().prop_map(Event::Unlock),
        1 => prop_oneof![Just(LockReason::User), Just(LockReason::Idle), Just(LockReason::Background)]
            .prop_map(Event::Lock),
        3 => patient.clone().prop_map(Event::ConfirmPatient),
        1 => Just(Event::EndPatient),
        3 => (0u64..4, patient.clone(), prop::collection::vec(purpose(), 0..3)).prop_map(|(id, patient, ps)| {
            Event::RecordConsent(Consent {
                id: ConsentRef(id),
                patient,
                purposes: ps.into_iter().collect(),
                digest: ConsentDigest([id as u8; 32]),
            })
        }),
        1 => Just(Event::DeclineConsent),
        2 => Just(Event::HandToPatient),
        2 => unlock_method().prop_map(Event::HandBack),
        1 => Just(Event::WithdrawConsent),
        3 => Just(Event::StartCapture),
        6 => (0u64..6, patient, purpose()).prop_map(|(id, patient, intended_use)| {
            Event::PhotoTaken(Photo { id: PhotoRef(id), patient, intended_use })
        }),
        1 => (0u64..6).prop_map(|id| Event::DiscardPhoto(PhotoRef(id))),
        2 => Just(Event::Review),
        2 => Just(Event::Queue),
    ]
}

/// Milliseconds between steps: mostly quick taps, sometimes long enough to idle out.
fn gap() -> impl Strategy<Value = u64> {
    prop_oneof![8 => 0u64..3_000, 1 => IDLE_MS..3 * IDLE_MS]
}

fn allows(c: Option<&Consent>, patient: PatientRef, purpose: Purpose) -> bool {
    c.is_some_and(|c| c.patient == patient && c.purposes.contains(purpose))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2_000, ..ProptestConfig::default() })]

    #[test]
    fn session_invariants_hold(steps in prop::collection::vec((event(), gap()), 1..60), dev_allowed in any::<bool>()) {
        let policy = SessionPolicy { idle_timeout_ms: IDLE_MS, allow_development_unlock: dev_allowed };
        let mut s = Session::new(policy, Millis(0));
        let mut now = 0u64;
        let mut last_activity = 0u64;
        // An independent record of accepted consents, to check photos against.
        let mut model_consent: Option<Consent> = None;

        for (event, dt) in steps {
            now += dt;
            let idle_due = s.state() != State::Locked && now - last_activity >= IDLE_MS;
            // What the session looks like once any due idle lock has happened.
            let mut before = s.clone();
            before.check_idle(Millis(now));
            let before_view = before.view();
            let stage_before = before.state();

            let photos_before = before.photos();
            let result = s.apply(event, Millis(now));
            let view = s.view();

            if idle_due {
                prop_assert_eq!(stage_before, State::Locked, "idle lock due at {}ms", now);
            }
            match result {
                Err(_) => {
                    // A refusal changes nothing.
                    prop_assert_eq!(&view, &before_view);
                    prop_assert_eq!(s.pending_photos(), before.pending_photos());
                }
                Ok(()) => {
                    if !matches!(event, Event::Lock(_)) {
                        last_activity = now;
                    }
                    if stage_before == State::Locked {
                        prop_assert!(matches!(event, Event::Unlock(_) | Event::Lock(_)),
                            "{:?} accepted while locked", event);
                    } else if before_view.kiosk {
                        prop_assert!(matches!(event, Event::RecordConsent(_) | Event::DeclineConsent
                            | Event::HandBack(_) | Event::Lock(_)), "{:?} accepted in kiosk mode", event);
                    }
                    if before_view.kiosk && !view.kiosk {
                        // Only the clinician's re-authentication leaves kiosk mode.
                        prop_assert!(matches!(event, Event::HandBack(_) | Event::Unlock(_)));
                    }
                    match event {
                        Event::Unlock(UnlockMethod::Development) | Event::HandBack(UnlockMethod::Development) => {
                            prop_assert!(dev_allowed)
                        }
                        Event::RecordConsent(c) => model_consent = Some(c),
                        Event::EndPatient | Event::DeclineConsent => {
                            prop_assert!(before.consent().is_none() || matches!(event, Event::EndPatient));
                            model_consent = None;
                        }
                        Event::WithdrawConsent => {
                            model_consent = None;
                            prop_assert_eq!(s.state(), State::PatientConfirmed);
                            prop_assert!(s.photos().is_empty());
                            let mut shred = s.take_photos_to_shred();
                            let mut expected = photos_before.clone();
                            shred.sort_by_key(|p| p.0);
                            expected.sort_by_key(|p| p.0);
                            prop_assert_eq!(shred, expected, "withdrawal must yield every photo");
                        }
                        Event::PhotoTaken(p) => {
                            prop_assert_eq!(stage_before, State::Capturing);
                            prop_assert_eq!(Some(p.patient), before.patient());
                            prop_assert!(allows(model_consent.as_ref(), p.patient, p.intended_use),
                                "photo for {:?} accepted without covering consent", p.intended_use);
                        }
                        Event::ConfirmPatient(p) => {
                            prop_assert!(before.patient().is_none() || before.patient() == Some(p));
                        }
                        Event::Unlock(_) | Event::HandBack(_) if before_view.consent_declined => {
                            // A decline in kiosk mode ends the patient's session at hand-back.
                            prop_assert_eq!(s.state(), State::Unlocked);
                            prop_assert!(s.patient().is_none());
                        }
                        Event::Unlock(_) | Event::HandBack(_) => {
                            // Unlocking resumes the stage that was locked, with the same patient.
                            prop_assert_eq!(s.patient(), before.patient());
                            prop_assert_eq!(s.pending_photos(), before.pending_photos());
                            prop_assert!(!view.kiosk);
                        }
                        _ => {}
                    }
                }
            }

            // Invariants of every reachable state.
            let patient = s.patient();
            for p in s.pending_photos() {
                prop_assert_eq!(Some(p.patient), patient);
                prop_assert!(allows(s.consent(), p.patient, p.intended_use));
            }
            if let Some(c) = s.consent() {
                prop_assert_eq!(Some(c.patient), patient);
                prop_assert_eq!(Some(c), model_consent.as_ref());
            }
            match s.state() {
                State::Locked => prop_assert_eq!(&view.screens, &vec![Screen::Lock]),
                State::Unlocked => prop_assert!(patient.is_none()),
                State::PatientConfirmed => prop_assert!(patient.is_some() && s.consent().is_none()),
                State::Consented | State::Capturing | State::Reviewing | State::Queued => {
                    prop_assert!(s.consent().is_some());
                }
            }
            if s.state() == State::Reviewing {
                prop_assert!(!s.pending_photos().is_empty());
            }
            prop_assert!(view.screens.contains(&view.home));
            if view.kiosk && s.state() != State::Locked {
                prop_assert_eq!(&view.screens, &vec![Screen::Consent]);
            }
            if view.consent_declined {
                prop_assert!(view.kiosk && s.consent().is_none());
            }
            prop_assert_eq!(s.consent_digest(), model_consent.as_ref().map(|c| c.digest));
            if view.screens.contains(&Screen::Capture) {
                prop_assert!(s.consent().is_some(), "Capture reachable without consent");
            }
        }
    }
}
