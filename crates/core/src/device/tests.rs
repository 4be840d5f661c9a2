#![allow(clippy::unwrap_used)]

use super::*;
use crate::session::{
    Event, LockReason, Millis, Session, SessionError, SessionPolicy, State, UnlockMethod,
};

use Complexity as C;
use LockScreen as L;
use PasscodeDecision as D;

const PLATFORMS: [Platform; 3] = [Platform::Android, Platform::Ios, Platform::Desktop];
const SCREENS: [LockScreen; 3] = [L::Secure, L::Insecure, L::Unknown];
const COMPLEXITIES: [Option<Complexity>; 5] = [
    None,
    Some(C::None),
    Some(C::Low),
    Some(C::Medium),
    Some(C::High),
];

fn report(
    platform: Platform,
    lock_screen: LockScreen,
    complexity: Option<Complexity>,
    development_platform: bool,
) -> LockScreenReport {
    LockScreenReport {
        platform,
        lock_screen,
        complexity,
        development_platform,
    }
}

fn decide(policy: &PasscodePolicy, r: LockScreenReport) -> PasscodeDecision {
    PasscodeStatus::decide(r, policy).decision()
}

/// The default policy's whole table: lock screen x reported complexity x development platform.
/// The platform never changes the decision (checked below), so rows name none.
#[test]
fn default_policy_decision_table() {
    let n = None;
    #[rustfmt::skip]
    let table: [(LockScreen, Option<Complexity>, bool, PasscodeDecision); 30] = [
        // lock screen   complexity      dev    decision
        (L::Secure,   n,              false, D::Secure),
        (L::Secure,   Some(C::None),  false, D::NoPasscode),
        (L::Secure,   Some(C::Low),   false, D::Secure),
        (L::Secure,   Some(C::Medium),false, D::Secure),
        (L::Secure,   Some(C::High),  false, D::Secure),
        (L::Secure,   n,              true,  D::Secure),
        (L::Secure,   Some(C::None),  true,  D::NoPasscode),
        (L::Secure,   Some(C::Low),   true,  D::Secure),
        (L::Secure,   Some(C::Medium),true,  D::Secure),
        (L::Secure,   Some(C::High),  true,  D::Secure),
        (L::Insecure, n,              false, D::NoPasscode),
        (L::Insecure, Some(C::None),  false, D::NoPasscode),
        (L::Insecure, Some(C::Low),   false, D::NoPasscode),
        (L::Insecure, Some(C::Medium),false, D::NoPasscode),
        (L::Insecure, Some(C::High),  false, D::NoPasscode),
        (L::Insecure, n,              true,  D::NoPasscode),
        (L::Insecure, Some(C::None),  true,  D::NoPasscode),
        (L::Insecure, Some(C::Low),   true,  D::NoPasscode),
        (L::Insecure, Some(C::Medium),true,  D::NoPasscode),
        (L::Insecure, Some(C::High),  true,  D::NoPasscode),
        (L::Unknown,  n,              false, D::Unknown),
        (L::Unknown,  Some(C::None),  false, D::NoPasscode),
        (L::Unknown,  Some(C::Low),   false, D::Unknown),
        (L::Unknown,  Some(C::Medium),false, D::Unknown),
        (L::Unknown,  Some(C::High),  false, D::Unknown),
        (L::Unknown,  n,              true,  D::DevelopmentPlatform),
        (L::Unknown,  Some(C::None),  true,  D::NoPasscode),
        (L::Unknown,  Some(C::Low),   true,  D::DevelopmentPlatform),
        (L::Unknown,  Some(C::Medium),true,  D::DevelopmentPlatform),
        (L::Unknown,  Some(C::High),  true,  D::DevelopmentPlatform),
    ];
    let policy = PasscodePolicy::default();
    for (screen, complexity, dev, expected) in table {
        for platform in PLATFORMS {
            let status = PasscodeStatus::decide(report(platform, screen, complexity, dev), &policy);
            assert_eq!(
                status.decision(),
                expected,
                "{platform:?} {screen:?} {complexity:?} dev={dev}"
            );
            assert_eq!(status.allows_unlock(), expected.allows_unlock());
            assert_eq!(status.required(), C::Low);
        }
    }
}

/// A trust that asks for a medium passcode: a phone that does not say how strong its passcode is
/// (an iPhone) is blocked rather than trusted.
#[test]
fn a_stricter_policy_needs_the_complexity_reported() {
    let policy = PasscodePolicy {
        min_complexity: C::Medium,
        allow_unknown_on_development_platform: false,
    };
    let secure = |c| decide(&policy, report(Platform::Android, L::Secure, c, false));
    assert_eq!(secure(Some(C::High)), D::Secure);
    assert_eq!(secure(Some(C::Medium)), D::Secure);
    assert_eq!(secure(Some(C::Low)), D::TooSimple);
    assert_eq!(secure(Some(C::None)), D::NoPasscode);
    assert_eq!(
        decide(&policy, report(Platform::Ios, L::Secure, None, false)),
        D::ComplexityUnknown
    );
    // Without the development excuse, the desktop build is blocked like any unknown phone.
    assert_eq!(
        decide(&policy, LockScreenReport::development(Platform::Desktop)),
        D::Unknown
    );
    assert_eq!(
        PasscodeStatus::decide(LockScreenReport::development(Platform::Desktop), &policy)
            .required(),
        C::Medium
    );
}

/// Every combination of report and policy: the rules the table above spells out for one policy,
/// stated once for all of them.
#[test]
fn every_report_under_every_policy_fails_closed() {
    for min in [C::None, C::Low, C::Medium, C::High] {
        for allow_dev in [false, true] {
            let policy = PasscodePolicy {
                min_complexity: min,
                allow_unknown_on_development_platform: allow_dev,
            };
            for screen in SCREENS {
                for complexity in COMPLEXITIES {
                    for dev in [false, true] {
                        let decisions: Vec<_> = PLATFORMS
                            .iter()
                            .map(|p| decide(&policy, report(*p, screen, complexity, dev)))
                            .collect();
                        let d = decisions[0];
                        let case = format!("{min:?} {allow_dev} {screen:?} {complexity:?} {dev}");
                        assert!(
                            decisions.iter().all(|x| *x == d),
                            "platform matters: {case}"
                        );
                        let allowed = d.allows_unlock();
                        let says_none = screen == L::Insecure || complexity == Some(C::None);
                        let strong_enough = min <= C::Low || complexity.is_some_and(|c| c >= min);
                        let expected = !says_none
                            && match screen {
                                L::Secure => strong_enough,
                                L::Unknown => dev && allow_dev,
                                L::Insecure => false,
                            };
                        assert_eq!(allowed, expected, "{case}: {d:?}");
                        // Only a development platform is ever excused from saying.
                        if d == D::DevelopmentPlatform {
                            assert!(dev && allow_dev && screen == L::Unknown, "{case}");
                        }
                    }
                }
            }
        }
    }
}

#[test]
fn the_status_serializes_for_the_ui() {
    let status = PasscodeStatus::decide(
        LockScreenReport::development(Platform::Desktop),
        &PasscodePolicy::default(),
    );
    assert_eq!(
        serde_json::to_value(status).unwrap(),
        serde_json::json!({
            "report": {
                "platform": "desktop",
                "lock_screen": "unknown",
                "complexity": null,
                "development_platform": true
            },
            "decision": "development_platform",
            "allowed": true,
            "required": "low"
        })
    );
}

// ---- the session refuses to unlock while the gate blocks --------------------------------------

fn session() -> Session {
    Session::new(
        SessionPolicy {
            idle_timeout_ms: 60_000,
            allow_development_unlock: true,
        },
        Millis(0),
    )
}

fn blocked() -> PasscodeStatus {
    PasscodeStatus::decide(
        report(Platform::Android, L::Unknown, None, false),
        &PasscodePolicy::default(),
    )
}

fn allowed() -> PasscodeStatus {
    PasscodeStatus::decide(
        report(Platform::Android, L::Secure, Some(C::Medium), false),
        &PasscodePolicy::default(),
    )
}

#[test]
fn a_blocking_report_refuses_every_unlock() {
    let mut s = session();
    s.report_passcode(blocked());
    for method in [
        UnlockMethod::DeviceCredential,
        UnlockMethod::Development,
        UnlockMethod::ClinicianPin,
    ] {
        assert_eq!(
            s.apply(Event::Unlock(method), Millis(1)),
            Err(SessionError::PasscodeRequired)
        );
        assert_eq!(s.state(), State::Locked);
    }
    assert_eq!(
        SessionError::PasscodeRequired.code(),
        "session.passcode_required"
    );
    // A passcode set meanwhile: the next report lets the clinician unlock.
    s.report_passcode(allowed());
    s.apply(Event::Unlock(UnlockMethod::Development), Millis(2))
        .unwrap();
    assert_eq!(s.state(), State::Unlocked);
    assert_eq!(s.passcode(), Some(allowed()));
}

#[test]
fn a_blocking_report_locks_an_unlocked_session_and_keeps_its_stage() {
    let mut s = session();
    s.report_passcode(allowed());
    s.apply(Event::Unlock(UnlockMethod::Development), Millis(0))
        .unwrap();
    s.apply(
        Event::ConfirmPatient(crate::session::PatientRef(7)),
        Millis(0),
    )
    .unwrap();
    s.report_passcode(blocked());
    assert_eq!(s.state(), State::Locked);
    assert_eq!(s.view().lock_reason, Some(LockReason::Background));
    assert_eq!(
        s.apply(Event::EndPatient, Millis(1)),
        Err(SessionError::Locked)
    );
    s.report_passcode(allowed());
    // Still locked: a good report does not unlock, the clinician does.
    assert_eq!(s.state(), State::Locked);
    s.apply(Event::Unlock(UnlockMethod::Development), Millis(2))
        .unwrap();
    assert_eq!(s.state(), State::PatientConfirmed);
}

#[test]
fn without_a_report_the_session_is_not_gated() {
    // Tests and tools have no lock screen; the shell always reports before serving a command.
    let mut s = session();
    assert_eq!(s.passcode(), None);
    s.apply(Event::Unlock(UnlockMethod::Development), Millis(0))
        .unwrap();
}

// ---- what the app's comings and goings mean -----------------------------------------------------

#[test]
fn leaving_the_screen_locks_and_coming_back_rechecks_the_passcode() {
    let table = [
        (AppEvent::Suspended, Some(LockReason::Background), false),
        (AppEvent::Minimised, Some(LockReason::Background), false),
        (AppEvent::Resumed, None, true),
        (AppEvent::FocusLost, None, false),
    ];
    for (event, lock, recheck) in table {
        assert_eq!(
            respond(event),
            AppResponse {
                lock,
                recheck_lock_screen: recheck
            },
            "{event:?}"
        );
    }
}
