//! The device status: each field against what the ward did, the fail-closed rule while locked,
//! and the managed feedback map (its keys, and no patient identifier in any value).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use serde_json::json;
use zeroize::Zeroizing;

use super::testing::{candidate, jpeg, verbal, BAND};
use super::*;
use crate::audit::Event;
use crate::auth::KeyGate;
use crate::device::{
    LockScreen, LockScreenReport, PasscodeDecision, PasscodePolicy, PasscodeStatus, Platform,
};
use crate::policy::{Policy, Source};
use crate::review::{Label, Laterality};
use crate::session::{LockReason, Millis, Purpose, SessionPolicy, UnlockMethod};
use crate::vault::danger::MemoryKeyStore;
use crate::vault::{Timestamp, Vault};

const HOUR_MS: u64 = 3_600_000;

/// The session (and so since-boot) clock moves only when told; the wall clock can be wound on
/// separately, as a user could.
#[derive(Debug, Default)]
struct TestClock {
    session: AtomicU64,
    wall_offset: AtomicU64,
}

impl TestClock {
    fn advance(&self, ms: u64) {
        self.session.fetch_add(ms, Ordering::SeqCst);
    }
    fn wind_wall(&self, ms: u64) {
        self.wall_offset.fetch_add(ms, Ordering::SeqCst);
    }
}

impl Clock for TestClock {
    fn session(&self) -> Millis {
        Millis(self.session.load(Ordering::SeqCst))
    }
    fn wall(&self) -> Timestamp {
        Timestamp(
            1_790_000_000_000
                + self.session.load(Ordering::SeqCst)
                + self.wall_offset.load(Ordering::SeqCst),
        )
    }
}

fn session_policy() -> SessionPolicy {
    SessionPolicy {
        // Long enough that moving the clock by days does not idle the session out.
        idle_timeout_ms: 400 * 24 * HOUR_MS,
        allow_development_unlock: true,
    }
}

fn trust_policy() -> Policy {
    let p: Policy = serde_json::from_value(json!({
        "version": 7,
        "trust": {"name": "Example Hospitals NHS Foundation Trust", "ods_code": "RX1"},
    }))
    .unwrap();
    p.check().unwrap();
    p
}

struct Fixture {
    dir: tempfile::TempDir,
    clock: Arc<TestClock>,
    ward: Ward,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let keys = MemoryKeyStore::new();
    let clock = Arc::new(TestClock::default());
    let ward = Ward::with(session_policy(), clock.clone(), Arc::new(FileSystemStorage))
        .under_policy(&trust_policy(), "1.4.2")
        .unwrap()
        .policy_came_from(Source::Managed);
    let vault = Vault::open_or_create(&dir.path().join("vault"), &keys).unwrap();
    ward.attach_vault(Arc::new(vault)).unwrap();
    ward.unlock(UnlockMethod::Development).unwrap();
    ward.set_pin(&Zeroizing::new("482916".to_owned()), "Dr A Jones", None)
        .unwrap();
    Fixture { dir, clock, ward }
}

fn facts(f: &Fixture) -> StatusFacts {
    StatusFacts {
        app_version: "1.4.2".into(),
        passcode: None,
        now: f.clock.wall(),
    }
}

fn status(f: &Fixture) -> DeviceStatus {
    f.ward.device_status(&facts(f)).unwrap()
}

/// Identified, consented, `n` labelled photos taken (not yet queued).
fn take(f: &Fixture, n: u64) -> Vec<PhotoId> {
    f.ward.identify(candidate(BAND)).unwrap();
    f.ward.confirm().unwrap();
    f.ward.record_consent(verbal()).unwrap();
    f.ward.start_capture().unwrap();
    (0..n)
        .map(|i| {
            let p = f.ward.capture(&jpeg(i), Purpose::Care).unwrap();
            f.ward
                .label(p.id, Label::new("14975008", Laterality::Left, "").unwrap())
                .unwrap();
            p.id
        })
        .collect()
}

fn queue_of(f: &Fixture) -> QueueDepth {
    status(f).queue.expect("unlocked: the queue is reported")
}

fn sent_record() -> SentRecord {
    SentRecord {
        server: "https://pacs/dicom-web/".into(),
        study_uid: "2.25.1".into(),
        series_uid: "2.25.2".into(),
        sop_uid: "2.25.3".into(),
        frame_sha256: "00".repeat(32),
        frame_len: 1,
        file: None,
        at: Timestamp(0),
    }
}

#[test]
fn queue_depth_follows_capture_queue_and_delivery() {
    let f = fixture();
    assert_eq!(queue_of(&f), QueueDepth::default());
    let photos = take(&f, 2);
    assert_eq!(
        queue_of(&f),
        QueueDepth {
            total: 2,
            captured: 2,
            ..QueueDepth::default()
        }
    );
    f.ward.review().unwrap();
    f.ward.queue().unwrap();
    assert_eq!(
        queue_of(&f),
        QueueDepth {
            total: 2,
            queued: 2,
            ..QueueDepth::default()
        }
    );

    let job = f
        .ward
        .begin_delivery(photos[0], "https://pacs/dicom-web/")
        .unwrap();
    assert!(matches!(job, Some(DeliveryJob::Send { .. })), "{job:?}");
    assert_eq!(
        queue_of(&f),
        QueueDepth {
            total: 2,
            queued: 1,
            sending: 1,
            ..QueueDepth::default()
        }
    );
    f.ward
        .delivery_acknowledged(photos[0], sent_record())
        .unwrap();
    assert_eq!(
        queue_of(&f),
        QueueDepth {
            total: 2,
            queued: 1,
            uploaded: 1,
            ..QueueDepth::default()
        }
    );
    assert_eq!(status(&f).last_delivery_at, None, "nothing delivered yet");

    assert!(f.ward.delivery_verified(photos[0]).unwrap());
    let after = status(&f);
    assert_eq!(
        after.queue,
        Some(QueueDepth {
            total: 1,
            queued: 1,
            ..QueueDepth::default()
        })
    );
    // The deletion receipt's time, and no other.
    let shredded: Vec<Timestamp> = f
        .ward
        .receipts()
        .unwrap()
        .into_iter()
        .filter_map(|r| match r {
            ReceiptRecord::Deletion { shredded_at, .. } => Some(shredded_at),
            _ => None,
        })
        .collect();
    assert_eq!(shredded.len(), 1);
    assert_eq!(after.last_delivery_at, Some(shredded[0]));

    f.ward
        .delivery_hold(
            photos[1],
            Problem {
                code: "delivery.refused".into(),
                message: "words".into(),
            },
        )
        .unwrap();
    assert_eq!(
        queue_of(&f),
        QueueDepth {
            total: 1,
            held: 1,
            ..QueueDepth::default()
        }
    );
}

#[test]
fn the_oldest_photos_age_moves_with_the_trusted_clock_not_the_wall_clock() {
    let f = fixture();
    assert_eq!(status(&f).oldest_undelivered_age_ms, None, "nothing waits");
    take(&f, 1);
    // A retention pass (the shell runs one at unlock) notes the photo: its age counts from here.
    f.ward.retention().unwrap();
    assert_eq!(status(&f).oldest_undelivered_age_ms, Some(0));

    f.clock.advance(3 * HOUR_MS);
    assert_eq!(status(&f).oldest_undelivered_age_ms, Some(3 * HOUR_MS));
    // A second photo, seen later, is younger: the oldest is still the first.
    f.ward.capture(&jpeg(9), Purpose::Care).unwrap();
    f.ward.retention().unwrap();
    f.clock.advance(HOUR_MS);
    assert_eq!(status(&f).oldest_undelivered_age_ms, Some(4 * HOUR_MS));

    // Winding the wall clock a year ahead ages nothing.
    f.clock.wind_wall(365 * 24 * HOUR_MS);
    assert_eq!(status(&f).oldest_undelivered_age_ms, Some(4 * HOUR_MS));
    // Reading the status makes no pass: nothing is sealed, so it reads the same again.
    assert_eq!(status(&f).oldest_undelivered_age_ms, Some(4 * HOUR_MS));
}

#[test]
fn a_server_vouching_for_the_time_ages_the_waiting_photo_by_the_gap_it_closes() {
    let f = fixture();
    take(&f, 1);
    f.ward.retention().unwrap();
    f.clock.advance(HOUR_MS);
    // The pass's floor starts at zero; a server says it is much later: the lag may have accrued
    // after the photo was seen, so its age does not jump (retention's lower bound).
    f.ward.vouch_time(Timestamp(1_790_000_000_000)).unwrap();
    let age = status(&f).oldest_undelivered_age_ms.unwrap();
    assert!(age <= HOUR_MS, "{age}");
    let sealed = f.ward.retention().unwrap();
    assert_eq!(sealed.purged, Vec::new());
    assert_eq!(status(&f).oldest_undelivered_age_ms, Some(age));
}

#[test]
fn the_chain_head_is_audit_status_head() {
    let f = fixture();
    let head = |s: &DeviceStatus| s.audit.clone().expect("unlocked: the head is reported");
    let before = head(&status(&f));
    let audit = f.ward.audit_status().unwrap().expect("the journal is open");
    assert_eq!(before.hash, audit.head.hash);
    assert_eq!(before.entries, audit.head.entries);
    assert_eq!(before.seq, audit.head.seq);
    assert!(before.intact);

    f.ward
        .audit_event(Event::Locked {
            reason: "user".into(),
        })
        .unwrap();
    let after = head(&status(&f));
    let audit = f.ward.audit_status().unwrap().unwrap();
    assert_ne!(after.hash, before.hash, "a new entry moves the head");
    assert_eq!(after.hash, audit.head.hash);
    assert_eq!(after.entries, audit.head.entries);
    assert_eq!(after.entries, before.entries + 1);
    assert_eq!(after.seq, audit.head.seq);
    assert_eq!(after.lost, audit.lost);

    let feedback = status(&f).feedback();
    assert_eq!(
        feedback.get("audit_head_sha256"),
        Some(&FeedbackValue::Text(audit.head.hash.clone()))
    );
    assert_eq!(
        feedback.get("audit_entries"),
        Some(&FeedbackValue::Number(audit.head.entries))
    );
}

#[test]
fn the_policy_app_version_and_passcode_are_reported() {
    let f = fixture();
    let s = status(&f);
    assert_eq!(s.app_version, "1.4.2");
    let p = s.policy.clone().unwrap();
    assert_eq!(p.version, 7);
    assert_eq!(p.ods_code, "RX1");
    assert_eq!(p.source, Some(Source::Managed));
    let canonical = trust_policy().canonical_json().unwrap();
    assert_eq!(
        p.sha256.as_deref(),
        Some(crate::policy::payload::sha256_hex(&canonical).as_str())
    );
    assert_eq!(s.passcode, None, "nothing reported yet");
    let fb = s.feedback();
    assert_eq!(fb["policy_version"], FeedbackValue::Number(7));
    assert_eq!(fb["policy_source"], FeedbackValue::Text("managed".into()));
    assert_eq!(fb["passcode"], FeedbackValue::Text("not_reported".into()));
    assert_eq!(fb["passcode_allows_unlock"], FeedbackValue::Flag(false));

    // The shell's fresh report is the one reported.
    let secure = PasscodeStatus::decide(
        LockScreenReport {
            platform: Platform::Ios,
            lock_screen: LockScreen::Secure,
            complexity: None,
            development_platform: false,
        },
        &PasscodePolicy::DEFAULT,
    );
    let s = f
        .ward
        .device_status(&StatusFacts {
            passcode: Some(secure),
            ..facts(&f)
        })
        .unwrap();
    assert_eq!(
        s.passcode.map(|p| p.decision()),
        Some(PasscodeDecision::Secure)
    );
    assert_eq!(
        s.feedback()["passcode"],
        FeedbackValue::Text("secure".into())
    );
    assert_eq!(
        s.feedback()["passcode_allows_unlock"],
        FeedbackValue::Flag(true)
    );

    // Without the shell's report, the ward's last decision.
    f.ward
        .report_lock_screen(LockScreenReport::development(Platform::Desktop))
        .unwrap();
    assert_eq!(
        status(&f).passcode.map(|p| p.decision()),
        Some(PasscodeDecision::DevelopmentPlatform)
    );

    // No policy: said explicitly, so a merge on the phone keeps no stale version.
    let bare = Ward::with(
        session_policy(),
        Arc::new(TestClock::default()),
        Arc::new(FileSystemStorage),
    );
    let s = bare.device_status(&facts(&f)).unwrap();
    assert_eq!(s.policy, None);
    assert_eq!(s.feedback()["policy_version"], FeedbackValue::Number(0));
    assert_eq!(
        s.feedback()["policy_source"],
        FeedbackValue::Text("none".into())
    );
}

/// Every key a status unlocked must carry (`docs/provisioning.md`, "Device status").
const ALWAYS: &[&str] = &[
    "status_at",
    "app_version",
    "locked",
    "policy_version",
    "policy_source",
    "policy_sha256",
    "trust_ods_code",
    "passcode",
    "passcode_allows_unlock",
    "audit_problem",
    "wipe_state",
    "wipe_source",
    "wipe_request",
    "wipe_started_at",
    "wipe_finished_at",
    "wipe_items",
];
const UNLOCKED_ONLY: &[&str] = &[
    "vault_status_at",
    "queue_total",
    "queue_captured",
    "queue_queued",
    "queue_sending",
    "queue_uploaded",
    "queue_held",
    "queue_withdrawn",
    "oldest_undelivered_age_s",
    "last_delivery_at",
    "audit_entries",
    "audit_head_seq",
    "audit_head_sha256",
    "audit_chain_intact",
    "audit_lost",
];

fn text_of(v: &FeedbackValue) -> String {
    match v {
        FeedbackValue::Text(t) => t.clone(),
        FeedbackValue::Number(n) => n.to_string(),
        FeedbackValue::Flag(b) => b.to_string(),
    }
}

#[test]
fn feedback_has_its_documented_keys_and_no_patient_identifier() {
    let f = fixture();
    let photos = take(&f, 2);
    f.ward.review().unwrap();
    f.ward.queue().unwrap();
    f.ward.retention().unwrap();
    f.ward
        .begin_delivery(photos[0], "https://pacs/dicom-web/")
        .unwrap();
    f.ward
        .delivery_acknowledged(photos[0], sent_record())
        .unwrap();
    assert!(f.ward.delivery_verified(photos[0]).unwrap());
    f.clock.advance(2 * HOUR_MS);

    let s = status(&f);
    let fb = s.feedback();
    let mut expected: Vec<&str> = ALWAYS.iter().chain(UNLOCKED_ONLY).copied().collect();
    expected.sort_unstable();
    let keys: Vec<&str> = fb.keys().copied().collect();
    assert_eq!(keys, expected);
    assert_eq!(fb["queue_total"], FeedbackValue::Number(1));
    assert_eq!(fb["queue_queued"], FeedbackValue::Number(1));
    assert_eq!(fb["oldest_undelivered_age_s"], FeedbackValue::Number(7_200));
    assert_eq!(
        fb["last_delivery_at"],
        FeedbackValue::Number(s.last_delivery_at.unwrap().0)
    );
    assert_eq!(fb["locked"], FeedbackValue::Flag(false));
    assert_eq!(fb["wipe_state"], FeedbackValue::Text("none".into()));

    // The patient on the band: NHS number 943 476 5919, SMITH JOHN, born 18 January 1980; and
    // the ids that would let the phone's records be joined to them.
    let m = f.ward.manifest(photos[1]).unwrap().unwrap();
    let forbidden = [
        "9434765919".to_owned(),
        "943 476 5919".to_owned(),
        "SMITH".to_owned(),
        "JOHN".to_owned(),
        "19800118".to_owned(),
        "1980-01-18".to_owned(),
        BAND.to_owned(),
        photos[0].to_string(),
        photos[1].to_string(),
        m.visit_id.to_string(),
        "Dr A Jones".to_owned(),
    ];
    let json = serde_json::to_string(&fb).unwrap();
    for value in fb.values().map(text_of) {
        for bad in &forbidden {
            assert!(
                !value.to_lowercase().contains(&bad.to_lowercase()),
                "{bad} in {value}"
            );
        }
    }
    for bad in &forbidden {
        assert!(!json.contains(bad.as_str()), "{bad} in {json}");
    }
    // Flat: every value a string, a number or a boolean.
    let parsed: serde_json::Map<String, serde_json::Value> = serde_json::from_str(&json).unwrap();
    assert!(parsed
        .values()
        .all(|v| v.is_string() || v.is_u64() || v.is_boolean()));
}

#[test]
fn locked_it_reports_only_what_needs_no_vault_key() {
    let f = fixture();
    take(&f, 1);
    f.ward.lock_now(LockReason::User).unwrap();
    let s = status(&f);
    assert!(s.locked);
    assert_eq!(s.queue, None);
    assert_eq!(s.oldest_undelivered_age_ms, None);
    assert_eq!(s.last_delivery_at, None);
    assert_eq!(s.audit, None);
    // What needs no key is still there.
    assert_eq!(s.app_version, "1.4.2");
    assert_eq!(s.policy.as_ref().map(|p| p.version), Some(7));
    let fb = s.feedback();
    for key in UNLOCKED_ONLY {
        assert!(!fb.contains_key(key), "{key} reported while locked");
    }
    for key in ALWAYS {
        assert!(fb.contains_key(key), "{key} missing while locked");
    }
    assert_eq!(fb["locked"], FeedbackValue::Flag(true));

    f.ward.unlock(UnlockMethod::Development).unwrap();
    assert_eq!(status(&f).queue.map(|q| q.total), Some(1));
}

#[test]
fn behind_the_key_gate_a_locked_status_never_opens_the_vault() {
    let dir = tempfile::tempdir().unwrap();
    let keys = Arc::new(MemoryKeyStore::new());
    let clock = Arc::new(TestClock::default());
    let ward = Ward::with(session_policy(), clock.clone(), Arc::new(FileSystemStorage));
    let vault_dir = dir.path().join("vault");
    ward.use_key_gate(vault_dir.clone(), KeyGate::new(keys.clone()))
        .unwrap();
    ward.report_lock_screen(LockScreenReport::development(Platform::Desktop))
        .unwrap();
    ward.set_up(&Zeroizing::new("482916".to_owned()), "Dr A Jones")
        .unwrap();
    let facts = StatusFacts {
        app_version: "1.4.2".into(),
        passcode: None,
        now: clock.wall(),
    };
    assert!(ward.device_status(&facts).unwrap().queue.is_some());

    ward.lock_now(LockReason::User).unwrap();
    assert!(ward.vault().is_err(), "the lock shut the vault");
    let s = ward.device_status(&facts).unwrap();
    assert!(s.locked);
    assert_eq!(s.queue, None);
    assert_eq!(s.audit, None);
    assert!(ward.vault().is_err(), "the status did not open it");
    assert_eq!(
        s.passcode.map(|p| p.decision()),
        Some(PasscodeDecision::DevelopmentPlatform)
    );

    // The wipe record needs no key: a damaged one is said while locked, not taken for "none".
    std::fs::write(vault_dir.join(crate::wipe::RECORD_FILE), b"{not json").unwrap();
    let s = ward.device_status(&facts).unwrap();
    assert_eq!(s.wipe, None);
    assert!(s.wipe_problem.is_some());
    assert_eq!(
        s.feedback()["wipe_state"],
        FeedbackValue::Text("unreadable".into())
    );
}

#[test]
fn the_status_serializes_for_the_device_screen() {
    let f = fixture();
    take(&f, 1);
    let value = serde_json::to_value(status(&f)).unwrap();
    assert_eq!(value["app_version"], "1.4.2");
    assert_eq!(value["queue"]["captured"], 1);
    assert_eq!(value["policy"]["source"], "managed");
    assert_eq!(value["policy"]["version"], 7);
    assert!(value["audit"]["hash"].is_string());
    assert_eq!(value["locked"], false);
    assert!(value["wipe"].is_null());
    let _ = f.dir.path();
}
