#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::json;
use wardcam_core::device::{
    Complexity, KioskHold, KioskPinning, LockScreen, PasscodeDecision, PasscodePolicy,
    PasscodeStatus, PinAnswer, Platform, PlatformRelease, ReleaseAction, ReleaseContext,
    ReleaseNotice,
};

use crate::answers::{
    encode_secret, lock_screen_report, pin_from, release_from, store_from, AnswerResponse,
    LockScreenResponse,
};
use crate::{check_alias, BackgroundWake, Error, StoreAnswer};

fn lock(v: serde_json::Value) -> LockScreenResponse {
    serde_json::from_value(v).unwrap()
}

fn answer(v: serde_json::Value) -> AnswerResponse {
    serde_json::from_value(v).unwrap()
}

/// The native lock-screen answers, mapped and then judged by core under the default policy and
/// a policy that needs a medium passcode.
#[test]
fn lock_screen_answers_map_to_core_reports() {
    let medium = PasscodePolicy {
        min_complexity: Complexity::Medium,
        ..PasscodePolicy::DEFAULT
    };
    #[rustfmt::skip]
    let table = [
        // native answer                                           platform           screen               complexity             default                 medium
        (json!({"deviceSecure": true,  "complexity": "high"}),   Platform::Android, LockScreen::Secure,   Some(Complexity::High),   PasscodeDecision::Secure,     PasscodeDecision::Secure),
        (json!({"deviceSecure": true,  "complexity": "low"}),    Platform::Android, LockScreen::Secure,   Some(Complexity::Low),    PasscodeDecision::Secure,     PasscodeDecision::TooSimple),
        (json!({"deviceSecure": true,  "complexity": "none"}),   Platform::Android, LockScreen::Secure,   Some(Complexity::None),   PasscodeDecision::NoPasscode, PasscodeDecision::NoPasscode),
        (json!({"deviceSecure": false, "complexity": "none"}),   Platform::Android, LockScreen::Insecure, Some(Complexity::None),   PasscodeDecision::NoPasscode, PasscodeDecision::NoPasscode),
        (json!({"deviceSecure": true,  "complexity": null}),     Platform::Android, LockScreen::Secure,   None,                     PasscodeDecision::Secure,     PasscodeDecision::ComplexityUnknown),
        (json!({"deviceSecure": true,  "complexity": "extreme"}),Platform::Android, LockScreen::Secure,   None,                     PasscodeDecision::Secure,     PasscodeDecision::ComplexityUnknown),
        (json!({"deviceSecure": null}),                          Platform::Android, LockScreen::Unknown,  None,                     PasscodeDecision::Unknown,    PasscodeDecision::Unknown),
        (json!({}),                                              Platform::Ios,     LockScreen::Unknown,  None,                     PasscodeDecision::Unknown,    PasscodeDecision::Unknown),
        (json!({"deviceSecure": true}),                          Platform::Ios,     LockScreen::Secure,   None,                     PasscodeDecision::Secure,     PasscodeDecision::ComplexityUnknown),
        (json!({"deviceSecure": false}),                         Platform::Ios,     LockScreen::Insecure, None,                     PasscodeDecision::NoPasscode, PasscodeDecision::NoPasscode),
    ];
    for (raw, platform, screen, complexity, default, strict) in table {
        let report = lock_screen_report(platform, lock(raw.clone()));
        assert_eq!(report.platform, platform);
        assert_eq!(report.lock_screen, screen, "{raw}");
        assert_eq!(report.complexity, complexity, "{raw}");
        // A phone never says it is a development machine.
        assert!(!report.development_platform);
        let decide = |p: &PasscodePolicy| PasscodeStatus::decide(report, p).decision();
        assert_eq!(decide(&PasscodePolicy::DEFAULT), default, "{raw}");
        assert_eq!(decide(&medium), strict, "{raw}");
    }
}

/// A bridge failure is "cannot say", which core blocks on a phone.
#[test]
fn no_answer_is_an_unknown_lock_screen() {
    let report = lock_screen_report(Platform::Android, LockScreenResponse::default());
    assert_eq!(report.lock_screen, LockScreen::Unknown);
    let status = PasscodeStatus::decide(report, &PasscodePolicy::DEFAULT);
    assert!(!status.allows_unlock());
}

#[test]
fn release_answers_map_to_core() {
    let key: Vec<u8> = (0u8..32).collect();
    let text = encode_secret(&key.clone().try_into().unwrap());
    assert!(
        !text.contains(['+', '/', '=']),
        "URL-safe, unpadded: {}",
        *text
    );
    let PlatformRelease::Released(bytes) =
        release_from(answer(json!({"answer": "released", "secret": *text})))
    else {
        panic!("not released")
    };
    assert_eq!(*bytes, key);
    // Padded and standard-alphabet-free text from either side decodes the same.
    let padded = format!("{}=", *text);
    let PlatformRelease::Released(bytes) =
        release_from(answer(json!({"answer": "released", "secret": padded})))
    else {
        panic!("not released")
    };
    assert_eq!(*bytes, key);

    for (word, expected) in [
        ("cancelled", "Cancelled"),
        ("refused", "Refused"),
        ("lockedOut", "LockedOut"),
        ("unavailable", "Unavailable"),
        ("missing", "Missing"),
        ("somethingNew", "Unavailable"),
        ("stored", "Unavailable"),
    ] {
        let got = release_from(answer(json!({ "answer": word })));
        assert_eq!(format!("{got:?}"), expected, "{word}");
    }
}

/// A "released" without a usable key reaches core with no bytes, and core refuses it.
#[test]
fn a_released_answer_without_a_usable_key_is_unusable() {
    let context = ReleaseContext {
        vault_exists: true,
        pin_fallback: true,
    };
    let long = "A".repeat(200);
    for raw in [
        json!({"answer": "released"}),
        json!({"answer": "released", "secret": null}),
        json!({"answer": "released", "secret": "not base64!"}),
        json!({"answer": "released", "secret": "AAAA"}),
        json!({"answer": "released", "secret": long}),
    ] {
        let action = ReleaseAction::decide(release_from(answer(raw.clone())), context);
        assert_eq!(action.notice(), Some(ReleaseNotice::KeyUnusable), "{raw}");
        assert!(
            matches!(action, ReleaseAction::FallBackToPin { .. }),
            "{raw}"
        );
    }
}

#[test]
fn store_and_lock_task_answers_map() {
    for (word, expected) in [
        ("stored", StoreAnswer::Stored),
        ("cancelled", StoreAnswer::Cancelled),
        ("refused", StoreAnswer::Refused),
        ("lockedOut", StoreAnswer::LockedOut),
        ("unavailable", StoreAnswer::Unavailable),
        ("released", StoreAnswer::Unavailable),
        ("what", StoreAnswer::Unavailable),
    ] {
        assert_eq!(
            store_from(&answer(json!({ "answer": word }))),
            expected,
            "{word}"
        );
    }
    for (word, expected, hold) in [
        ("locked", PinAnswer::Locked, KioskHold::Platform),
        (
            "pinningRequested",
            PinAnswer::PinningRequested,
            KioskHold::AskedUser,
        ),
        ("refused", PinAnswer::Refused, KioskHold::InAppOnly),
        ("unavailable", PinAnswer::Unavailable, KioskHold::InAppOnly),
        ("stopped", PinAnswer::Unavailable, KioskHold::InAppOnly),
    ] {
        let got = pin_from(&answer(json!({ "answer": word })));
        assert_eq!(got, expected, "{word}");
        assert_eq!(KioskPinning::decide(Platform::Android, got).hold, hold);
    }
}

#[test]
fn key_names_are_checked() {
    for good in ["vault", "wardcam.vault-1", "A_b.c", &"x".repeat(64)] {
        assert_eq!(check_alias(good), Ok(()), "{good}");
    }
    for bad in [
        "",
        ".hidden",
        "../vault",
        "a/b",
        "a b",
        "vault\n",
        "é",
        &"x".repeat(65),
    ] {
        assert_eq!(check_alias(bad), Err(Error::BadAlias), "{bad:?}");
    }
}

#[test]
fn errors_have_stable_codes() {
    assert_eq!(Error::NotRegistered.code(), "device.not_registered");
    assert_eq!(Error::BadAlias.code(), "device.bad_alias");
    let bridge = Error::Bridge { detail: "x".into() };
    assert_eq!(bridge.code(), "device.bridge");
}

#[test]
fn a_background_wake_reports_once() {
    let (tx, rx) = std::sync::mpsc::channel();
    BackgroundWake::new(move |ok| tx.send(ok).unwrap()).done(true);
    assert_eq!(rx.try_recv(), Ok(true));
    assert!(rx.try_recv().is_err());
}

#[cfg(desktop)]
#[test]
fn desktop_answers_as_a_development_machine() {
    use tauri::async_runtime::block_on;
    let d = crate::desktop::Device::<tauri::Wry>::development();
    let report = d.lock_screen();
    assert_eq!(
        report,
        wardcam_core::device::LockScreenReport::development(Platform::Desktop)
    );
    assert!(PasscodeStatus::decide(report, &PasscodePolicy::DEFAULT).allows_unlock());

    // No platform release: the PIN gate is used, as today.
    let answer = block_on(d.release_key("vault", "Unlock")).unwrap();
    let action = ReleaseAction::decide(
        answer,
        ReleaseContext {
            vault_exists: true,
            pin_fallback: true,
        },
    );
    assert!(matches!(
        action,
        ReleaseAction::FallBackToPin {
            notice: ReleaseNotice::PlatformUnavailable,
            re_enrol: false
        }
    ));
    assert_eq!(
        block_on(d.store_key("vault", &[0; 32], "Keep")).unwrap(),
        StoreAnswer::Unavailable
    );
    assert_eq!(
        block_on(d.release_key("../x", "r")).unwrap_err(),
        Error::BadAlias
    );
    block_on(d.forget_key("vault")).unwrap();

    let pin = block_on(d.start_lock_task());
    assert_eq!(pin, PinAnswer::Unavailable);
    let kiosk = KioskPinning::decide(Platform::Desktop, pin);
    assert_eq!((kiosk.hold, kiosk.notice), (KioskHold::InAppOnly, None));
    block_on(d.stop_lock_task());

    d.exclude_from_backup(std::path::Path::new("/tmp")).unwrap();
    d.protect_until_first_unlock(std::path::Path::new("/tmp"))
        .unwrap();
    d.on_background_wake(|wake| wake.done(true)).unwrap();
}

/// Rust, Kotlin and Swift agree on the commands, the answer words, the event and the entry points.
#[test]
fn native_names_agree() {
    let kotlin = include_str!("../android/src/main/java/DevicePlugin.kt");
    let worker = include_str!("../android/src/main/java/DeliveryWakeWorker.kt");
    let swift = include_str!("../ios/Sources/DevicePlugin.swift");
    let gradle = include_str!("../android/build.gradle.kts");
    let build_rs = include_str!("../build.rs");
    for command in [
        "lockScreen",
        "storeKey",
        "releaseKey",
        "forgetKey",
        "lockTask",
        "excludeFromBackup",
        "protectUntilFirstUnlock",
        "backgroundWakeDone",
    ] {
        assert!(
            kotlin.contains(&format!("@Command\n    fun {command}(invoke: Invoke)")),
            "Kotlin {command}"
        );
        assert!(
            swift.contains(&format!("@objc public func {command}(_ invoke: Invoke)")),
            "Swift {command}"
        );
    }
    for word in [
        "released",
        "stored",
        "forgotten",
        "cancelled",
        "refused",
        "unavailable",
        "missing",
        "locked",
        "stopped",
    ] {
        let quoted = format!("\"{word}\"");
        assert!(kotlin.contains(&quoted), "Kotlin answers {word}");
        assert!(swift.contains(&quoted), "Swift answers {word}");
    }
    // Only Android has screen pinning, and only BiometricPrompt reports a lock-out (iOS falls
    // back to the passcode by itself).
    assert!(kotlin.contains("\"pinningRequested\""));
    assert!(kotlin.contains("\"lockedOut\""));
    for field in [
        "\"deviceSecure\"",
        "\"complexity\"",
        "\"answer\"",
        "\"secret\"",
    ] {
        assert!(kotlin.contains(field), "Kotlin {field}");
        assert!(swift.contains(field), "Swift {field}");
    }
    let event = format!("\"{}\"", crate::BACKGROUND_WAKE);
    assert!(kotlin.contains(&format!("BACKGROUND_WAKE = {event}")));
    assert!(swift.contains(&format!("backgroundWake = {event}")));
    assert!(worker.contains("DevicePlugin.live"));
    // PLUGIN_IDENTIFIER and ios_plugin_binding! in mobile.rs.
    assert!(kotlin.contains("package org.wardcam.device\n"));
    assert!(worker.contains("package org.wardcam.device\n"));
    assert!(gradle.contains("namespace = \"org.wardcam.device\""));
    assert!(kotlin.contains("class DevicePlugin("));
    assert!(swift.contains("@_cdecl(\"init_plugin_wardcam_device\")"));
    // The background task identifier build.rs declares is the one Swift registers.
    assert!(build_rs.contains("const DELIVERY_TASK: &str = \"org.wardcam.app.delivery\";"));
    assert!(swift.contains("deliveryTaskId = \"org.wardcam.app.delivery\""));
    // Delivery while locked: the folder a background wake reads gets the after-first-unlock
    // class on iOS (the app's default, Complete, is unreadable on a locked iPhone).
    assert!(
        swift.contains("FileProtectionType.completeUntilFirstUserAuthentication"),
        "Swift protectUntilFirstUnlock"
    );
}
