#![allow(clippy::unwrap_used, clippy::expect_used)]

use zeroize::Zeroizing;

use super::*;
use crate::session::Millis;

fn pin(s: &str) -> Zeroizing<String> {
    Zeroizing::new(s.to_owned())
}

#[test]
fn pin_policy_refuses_short_and_simple_pins_and_takes_passphrases() {
    // Six characters at least (full-width digits count as characters), 64 bytes at most.
    for bad in ["", "12345", "abcde", "１２３４５", &"x".repeat(65)] {
        assert_eq!(
            check_pin_policy(bad),
            Err(AuthError::PinTooShort { min: 6 }),
            "{bad}"
        );
    }
    for simple in ["aaaaaa", "zzzzzzzzzz"] {
        assert_eq!(
            check_pin_policy(simple),
            Err(AuthError::PinTooSimple),
            "{simple}"
        );
    }
    for ok in ["12a456", "correct horse", "Wd-ward7", "１２３４５６"] {
        check_pin_policy(ok).unwrap();
    }
    for simple in [
        "000000",
        "777777777",
        "123456",
        "345678",
        "987654",
        "890123",
        "210987",
    ] {
        assert_eq!(
            check_pin_policy(simple),
            Err(AuthError::PinTooSimple),
            "{simple}"
        );
    }
    for ok in ["482915", "112233", "1234567890124", "135790"] {
        check_pin_policy(ok).unwrap();
    }
}

#[test]
fn hash_round_trips_through_serde_and_refuses_wrong_pins() {
    let h = PinHash::create(&pin("482915")).unwrap();
    let json = serde_json::to_string(&h).unwrap();
    assert!(!json.contains("482915"));
    assert!(!format!("{h:?}").contains("482915"));
    let back: PinHash = serde_json::from_str(&json).unwrap();
    assert!(back.verify("482915").unwrap());
    assert!(!back.verify("482916").unwrap());
    assert!(!back.verify("").unwrap());
    // Salted: the same PIN hashes differently.
    assert_ne!(PinHash::create(&pin("482915")).unwrap(), h);
    assert_eq!(
        PinHash::create(&pin("111111")).unwrap_err(),
        AuthError::PinTooSimple
    );
}

#[test]
fn a_weakened_stored_hash_is_refused() {
    let h = PinHash::create(&pin("482915")).unwrap();
    let mut v = serde_json::to_value(&h).unwrap();
    v["iterations"] = 1.into();
    let weak: PinHash = serde_json::from_value(v).unwrap();
    assert_eq!(weak.verify("482915"), Err(AuthError::HashInvalid));
}

#[test]
fn wrong_attempts_are_delayed_doubling_then_disabled() {
    let h = PinHash::create(&pin("482915")).unwrap();
    let mut limiter = PinLimiter::new();
    let mut now = 1_000u64;
    // Free attempts.
    for remaining in [9, 8] {
        assert_eq!(
            limiter.attempt(&h, &pin("000001"), Millis(now)),
            Err(AuthError::WrongPin { remaining })
        );
    }
    // From the third wrong attempt on, each imposes a wait that doubles.
    let mut expected_wait = FIRST_DELAY_MS;
    for failures in FREE_ATTEMPTS..MAX_ATTEMPTS {
        assert_eq!(
            limiter.attempt(&h, &pin("000001"), Millis(now)),
            Err(AuthError::WrongPin {
                remaining: MAX_ATTEMPTS - failures
            })
        );
        // Even the right PIN is not checked during the wait.
        assert_eq!(
            limiter.attempt(&h, &pin("482915"), Millis(now + expected_wait - 1)),
            Err(AuthError::TryLater { wait_ms: 1 })
        );
        assert_eq!(limiter.failures(), failures);
        now += expected_wait;
        limiter.check(Millis(now)).unwrap();
        expected_wait *= 2;
    }
    assert_eq!(
        limiter.attempt(&h, &pin("000001"), Millis(now)),
        Err(AuthError::PinDisabled)
    );
    assert_eq!(
        limiter.attempt(&h, &pin("482915"), Millis(now + (1 << 40))),
        Err(AuthError::PinDisabled)
    );
    limiter.reset_after_full_unlock();
    limiter.attempt(&h, &pin("482915"), Millis(now)).unwrap();
}

#[test]
fn a_right_pin_resets_the_count() {
    let h = PinHash::create(&pin("482915")).unwrap();
    let mut limiter = PinLimiter::new();
    for _ in 0..2 {
        limiter.attempt(&h, &pin("999990"), Millis(0)).unwrap_err();
    }
    limiter.attempt(&h, &pin("482915"), Millis(0)).unwrap();
    assert_eq!(limiter.failures(), 0);
    // The limiter persists (the app seals it) and keeps its state across a restart.
    limiter.attempt(&h, &pin("999990"), Millis(0)).unwrap_err();
    let back: PinLimiter = serde_json::from_str(&serde_json::to_string(&limiter).unwrap()).unwrap();
    assert_eq!(back, limiter);
}

#[test]
fn errors_have_distinct_codes() {
    let errors = [
        AuthError::PinTooShort { min: 6 },
        AuthError::PinTooSimple,
        AuthError::WrongPin { remaining: 1 },
        AuthError::TryLater { wait_ms: 1500 },
        AuthError::PinDisabled,
        AuthError::HashInvalid,
        AuthError::Random,
    ];
    let mut codes: Vec<&str> = errors.iter().map(|e| e.code()).collect();
    codes.sort_unstable();
    codes.dedup();
    assert_eq!(codes.len(), errors.len());
    assert!(AuthError::TryLater { wait_ms: 1500 }
        .to_string()
        .contains("2 second"));
    for e in errors {
        assert_eq!(crate::Error::from(e).code(), e.code());
    }
}
