//! Decision tables for the platform answers the device plugin can give: the app lock's key
//! release and the kiosk's lock task / Guided Access.

#![allow(clippy::unwrap_used)]

use zeroize::Zeroizing;

use super::*;

/// The action's shape without the key, for table comparisons.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    Unlock,
    SetUp,
    Stay(ReleaseNotice),
    Pin(ReleaseNotice, bool),
    Block(ReleaseNotice),
}

fn shape(action: &ReleaseAction) -> Shape {
    match action {
        ReleaseAction::Unlock(_) => Shape::Unlock,
        ReleaseAction::SetUp => Shape::SetUp,
        ReleaseAction::StayLocked(n) => Shape::Stay(*n),
        ReleaseAction::FallBackToPin { notice, re_enrol } => Shape::Pin(*notice, *re_enrol),
        ReleaseAction::Block(n) => Shape::Block(*n),
    }
}

#[derive(Debug, Clone, Copy)]
enum Answer {
    Key,
    ShortKey,
    Cancelled,
    Refused,
    LockedOut,
    Unavailable,
    Missing,
}

fn answer(a: Answer) -> PlatformRelease {
    match a {
        Answer::Key => PlatformRelease::Released(Zeroizing::new(vec![7u8; 32])),
        Answer::ShortKey => PlatformRelease::Released(Zeroizing::new(vec![7u8; 31])),
        Answer::Cancelled => PlatformRelease::Cancelled,
        Answer::Refused => PlatformRelease::Refused,
        Answer::LockedOut => PlatformRelease::LockedOut,
        Answer::Unavailable => PlatformRelease::Unavailable,
        Answer::Missing => PlatformRelease::Missing,
    }
}

/// Every answer in every context: (vault exists, PIN gate set up).
#[test]
fn key_release_decision_table() {
    use Answer as A;
    use ReleaseNotice as N;
    use Shape as S;
    #[rustfmt::skip]
    let table: [(Answer, bool, bool, Shape); 28] = [
        // answer        vault  pin    action
        (A::Key,         true,  true,  S::Unlock),
        (A::Key,         true,  false, S::Unlock),
        (A::Key,         false, true,  S::SetUp),
        (A::Key,         false, false, S::SetUp),
        (A::ShortKey,    true,  true,  S::Pin(N::KeyUnusable, true)),
        (A::ShortKey,    true,  false, S::Block(N::KeyUnusable)),
        (A::ShortKey,    false, true,  S::SetUp),
        (A::ShortKey,    false, false, S::SetUp),
        (A::Cancelled,   true,  true,  S::Stay(N::Cancelled)),
        (A::Cancelled,   true,  false, S::Stay(N::Cancelled)),
        (A::Cancelled,   false, true,  S::Stay(N::Cancelled)),
        (A::Cancelled,   false, false, S::Stay(N::Cancelled)),
        (A::Refused,     true,  true,  S::Stay(N::NotRecognised)),
        (A::Refused,     true,  false, S::Stay(N::NotRecognised)),
        (A::Refused,     false, true,  S::Stay(N::NotRecognised)),
        (A::Refused,     false, false, S::Stay(N::NotRecognised)),
        (A::LockedOut,   true,  true,  S::Stay(N::LockedOut)),
        (A::LockedOut,   true,  false, S::Stay(N::LockedOut)),
        (A::LockedOut,   false, true,  S::Stay(N::LockedOut)),
        (A::LockedOut,   false, false, S::Stay(N::LockedOut)),
        (A::Unavailable, true,  true,  S::Pin(N::PlatformUnavailable, false)),
        (A::Unavailable, true,  false, S::Block(N::PlatformUnavailable)),
        (A::Unavailable, false, true,  S::Pin(N::PlatformUnavailable, false)),
        (A::Unavailable, false, false, S::Block(N::PlatformUnavailable)),
        (A::Missing,     true,  true,  S::Pin(N::KeyReset, true)),
        (A::Missing,     true,  false, S::Block(N::KeyLost)),
        (A::Missing,     false, true,  S::SetUp),
        (A::Missing,     false, false, S::SetUp),
    ];
    for (a, vault_exists, pin_fallback, expected) in table {
        let context = ReleaseContext {
            vault_exists,
            pin_fallback,
        };
        let got = ReleaseAction::decide(answer(a), context);
        assert_eq!(shape(&got), expected, "{a:?} {context:?}");
        // Every action but unlocking and setting up tells the clinician why.
        assert_eq!(got.message().is_some(), got.notice().is_some());
        assert_eq!(
            got.notice().is_none(),
            matches!(expected, S::Unlock | S::SetUp)
        );
    }
}

#[test]
fn the_released_key_is_the_platforms_bytes() {
    let bytes: Vec<u8> = (0u8..32).collect();
    let context = ReleaseContext {
        vault_exists: true,
        pin_fallback: false,
    };
    let ReleaseAction::Unlock(key) = ReleaseAction::decide(
        PlatformRelease::Released(Zeroizing::new(bytes.clone())),
        context,
    ) else {
        panic!("not unlocked")
    };
    assert_eq!(key.expose().as_slice(), bytes.as_slice());
}

#[test]
fn only_exactly_32_bytes_unlock() {
    let context = ReleaseContext {
        vault_exists: true,
        pin_fallback: true,
    };
    for len in [0usize, 1, 16, 31, 33, 64] {
        let got = ReleaseAction::decide(
            PlatformRelease::Released(Zeroizing::new(vec![1u8; len])),
            context,
        );
        assert_eq!(
            shape(&got),
            Shape::Pin(ReleaseNotice::KeyUnusable, true),
            "{len}"
        );
    }
}

/// A platform lock-out is never bypassed with the app's own PIN, whatever the context.
#[test]
fn a_lock_out_never_falls_back_to_the_pin() {
    for vault_exists in [false, true] {
        for pin_fallback in [false, true] {
            let got = ReleaseAction::decide(
                PlatformRelease::LockedOut,
                ReleaseContext {
                    vault_exists,
                    pin_fallback,
                },
            );
            assert!(matches!(
                got,
                ReleaseAction::StayLocked(ReleaseNotice::LockedOut)
            ));
        }
    }
}

#[test]
fn keys_never_show_in_debug_output() {
    let answer = PlatformRelease::Released(Zeroizing::new(vec![0xAB; 32]));
    assert_eq!(format!("{answer:?}"), "Released(<redacted>)");
    let action = ReleaseAction::decide(
        answer,
        ReleaseContext {
            vault_exists: true,
            pin_fallback: false,
        },
    );
    let shown = format!("{action:?}");
    assert_eq!(shown, "Unlock(<redacted>)");
    assert!(!shown.to_lowercase().contains("ab"));
}

#[test]
fn release_messages_say_what_happened_and_what_to_do() {
    let cases = [
        (
            ReleaseAction::StayLocked(ReleaseNotice::Cancelled),
            "Tap Unlock",
        ),
        (
            ReleaseAction::FallBackToPin {
                notice: ReleaseNotice::KeyReset,
                re_enrol: true,
            },
            "Enter your WardCam PIN",
        ),
        (
            ReleaseAction::Block(ReleaseNotice::PlatformUnavailable),
            "Set a screen lock",
        ),
        (ReleaseAction::Block(ReleaseNotice::KeyLost), "IT contact"),
    ];
    for (action, wanted) in cases {
        let text = action.message().unwrap();
        assert!(
            text.starts_with(action.notice().unwrap().message()),
            "{text}"
        );
        assert!(text.contains(wanted), "{text}");
    }
    assert_eq!(ReleaseAction::SetUp.message(), None);
}

#[test]
fn kiosk_pinning_decision_table() {
    use KioskHold as H;
    use KioskNotice as N;
    use PinAnswer as P;
    use Platform::{Android, Desktop, Ios};
    #[rustfmt::skip]
    let table: [(Platform, PinAnswer, KioskHold, Option<KioskNotice>); 12] = [
        (Android, P::Locked,           H::Platform,  None),
        (Android, P::PinningRequested, H::AskedUser, Some(N::ConfirmPinning)),
        (Android, P::Refused,          H::InAppOnly, Some(N::AndroidNotLocked)),
        (Android, P::Unavailable,      H::InAppOnly, Some(N::AndroidNotLocked)),
        (Ios,     P::Locked,           H::Platform,  None),
        (Ios,     P::PinningRequested, H::InAppOnly, Some(N::GuidedAccessRefused)),
        (Ios,     P::Refused,          H::InAppOnly, Some(N::GuidedAccessRefused)),
        (Ios,     P::Unavailable,      H::InAppOnly, Some(N::GuidedAccessRefused)),
        (Desktop, P::Locked,           H::Platform,  None),
        (Desktop, P::PinningRequested, H::InAppOnly, None),
        (Desktop, P::Refused,          H::InAppOnly, None),
        (Desktop, P::Unavailable,      H::InAppOnly, None),
    ];
    for (platform, answer, hold, notice) in table {
        let got = KioskPinning::decide(platform, answer);
        assert_eq!(
            (got.hold, got.notice),
            (hold, notice),
            "{platform:?} {answer:?}"
        );
        assert_eq!(got.message, notice.map(KioskNotice::message));
    }
}

/// When the platform does not hold, the clinician is told the in-app kiosk still does and to keep
/// the phone in sight.
#[test]
fn a_refusal_says_the_kiosk_still_holds_in_app() {
    for notice in [
        N::AndroidNotLocked,
        N::GuidedAccessRefused,
        N::ConfirmPinning,
    ] {
        let text = notice.message();
        assert!(text.contains("consent form until you unlock it"), "{text}");
        assert!(text.contains("phone in sight"), "{text}");
    }
}

use KioskNotice as N;

#[test]
fn answers_and_decisions_serialize_in_snake_case() {
    assert_eq!(
        serde_json::to_value(PinAnswer::PinningRequested).unwrap(),
        "pinning_requested"
    );
    assert_eq!(
        serde_json::to_value(KioskPinning::decide(Platform::Ios, PinAnswer::Refused)).unwrap(),
        serde_json::json!({
            "hold": "in_app_only",
            "notice": "guided_access_refused",
            "message": N::GuidedAccessRefused.message(),
        })
    );
    assert_eq!(
        serde_json::to_value(ReleaseNotice::NotRecognised).unwrap(),
        "not_recognised"
    );
}
