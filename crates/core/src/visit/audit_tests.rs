//! The ward's audit trail: a whole visit recorded in order, locked entries joining at unlock, no
//! patient identifier anywhere on disk or in any entry, tampering with the export found, and a
//! failed audit write that loses no photo.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::sync::Arc;

use zeroize::Zeroizing;

use super::testing::{candidate, jpeg, verbal, FixedSpace, TestClock, BAND};
use super::*;
use crate::audit::{audit_dir, parse_export, verify_chain, BreakKind, Entry, Event as AuditEvent};
use crate::auth::KeyGate;
use crate::intake::{Rect, Redaction};
use crate::patient::NHS_NUMBER_SYSTEM;
use crate::review::{Label, Laterality};
use crate::session::{LockReason, Purpose, SessionPolicy};
use crate::vault::danger::MemoryKeyStore;

const PIN: &str = "482916";
const PACS: &str = "https://pacs/dicom-web/";
/// What `BAND` says, in every form it could be written: NHS number, name, date of birth.
const IDENTIFIERS: &[&str] = &[
    "9434765919",
    "943 476 5919",
    "943-476-5919",
    "SMITH",
    "Smith",
    "19800118",
    "1980-01-18",
    "18/01/1980",
];

struct Phone {
    _dir: tempfile::TempDir,
    path: PathBuf,
    ward: Ward,
}

fn pin(s: &str) -> Zeroizing<String> {
    Zeroizing::new(s.to_owned())
}

/// A phone behind the key gate (the product path: the vault shuts at every lock), set up.
fn phone() -> Phone {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vault");
    let ward = Ward::with(
        SessionPolicy {
            idle_timeout_ms: 600_000,
            allow_development_unlock: false,
        },
        Arc::new(TestClock::default()),
        Arc::new(FixedSpace(None)),
    );
    ward.use_key_gate(path.clone(), KeyGate::new(Arc::new(MemoryKeyStore::new())))
        .unwrap();
    ward.set_up(&pin(PIN), "Dr A Jones").unwrap();
    Phone {
        _dir: dir,
        path,
        ward,
    }
}

fn kinds(entries: &[Entry]) -> Vec<&'static str> {
    entries.iter().map(|e| e.event.kind()).collect()
}

/// Identify, consent, capture, redact, label, queue, end the visit; then the PACS stores the
/// photo and its copy reads back matched, so the phone's copy is shredded. Returns the photo.
fn whole_visit(p: &Phone) -> PhotoId {
    let w = &p.ward;
    w.identify(candidate(BAND)).unwrap();
    w.confirm().unwrap();
    w.record_consent(verbal()).unwrap();
    w.start_capture().unwrap();
    let photo = w.capture(&jpeg(1), Purpose::Care).unwrap().id;
    let cover = Redaction {
        crop: None,
        fills: vec![Rect {
            x: 0.0,
            y: 0.0,
            width: 0.5,
            height: 0.5,
        }],
    };
    w.redact(photo, &cover).unwrap();
    w.review().unwrap();
    w.label(photo, Label::new("14975008", Laterality::Left, "").unwrap())
        .unwrap();
    w.queue().unwrap();
    w.end_visit().unwrap();
    let sent = match w.begin_delivery(photo, PACS).unwrap() {
        Some(DeliveryJob::Send { sent, .. }) => sent,
        other => panic!("expected a send, got {other:?}"),
    };
    w.delivery_acknowledged(photo, sent).unwrap();
    assert!(w.delivery_verified(photo).unwrap());
    assert!(w.manifest(photo).unwrap().is_none(), "not shredded");
    photo
}

#[test]
fn a_whole_visit_is_recorded_step_by_step_and_its_chain_verifies() {
    let p = phone();
    let photo = whole_visit(&p);
    let entries = p.ward.audit_entries().unwrap();
    assert_eq!(
        kinds(&entries),
        [
            "unlocked",
            "patient_identified",
            "consent_recorded",
            "captured",
            "redacted",
            "queued",
            "delivered",
            "read_back_matched",
            "shredded",
        ]
    );
    let head = verify_chain(&entries, None, None).unwrap();
    let status = p.ward.audit_status().unwrap().unwrap();
    assert_eq!(status.head, head);
    assert!(status.broken.is_none() && status.lost == 0);
    let photo = photo.to_string();
    for e in &entries[3..] {
        assert_eq!(e.event.photo(), Some(photo.as_str()), "{:?}", e.event);
    }
    assert_eq!(
        entries[0].event,
        AuditEvent::Unlocked {
            method: "pin".into()
        }
    );
    let AuditEvent::PatientIdentified {
        visit,
        how,
        patient,
    } = &entries[1].event
    else {
        panic!("{:?}", entries[1].event);
    };
    assert_eq!(entries[3].event.visit(), Some(visit.as_str()));
    assert_eq!(how, "band_text_not_verified");
    // The patient is the phone's keyed hash of the NHS number, not the number.
    let expected = p
        .ward
        .inner
        .lock()
        .unwrap()
        .patient_hash(NHS_NUMBER_SYSTEM, "9434765919")
        .unwrap();
    assert_eq!(patient, &expected);
    assert_eq!(patient.len(), 64);
    assert!(matches!(
        &entries[2].event,
        AuditEvent::ConsentRecorded { how, .. } if how == "verbal"
    ));
    assert!(matches!(
        &entries[6].event,
        AuditEvent::Delivered { route, .. } if route == "pacs"
    ));

    // A lock is recorded before the vault shuts; the unlock after it.
    p.ward.lock_now(LockReason::User).unwrap();
    assert!(p.ward.audit_status().unwrap().is_none());
    assert_eq!(code(p.ward.audit_export()), "session.locked");
    p.ward.unlock_with_pin(&pin(PIN)).unwrap();
    let entries = p.ward.audit_entries().unwrap();
    assert_eq!(kinds(&entries[9..]), ["locked", "unlocked"]);
    assert_eq!(
        entries[9].event,
        AuditEvent::Locked {
            reason: "user".into()
        }
    );
    assert!(entries[9].made_while_locked.is_none());
    verify_chain(&entries, None, None).unwrap();
}

fn code<T: std::fmt::Debug>(r: Result<T, crate::Error>) -> &'static str {
    r.expect_err("refused").code()
}

#[test]
fn entries_made_while_locked_join_the_chain_at_the_next_unlock() {
    let p = phone();
    p.ward.lock_now(LockReason::Background).unwrap();
    // While locked the vault and the journal's keys are shut: a refused PIN and a policy
    // applied are sealed to the audit public key.
    assert_eq!(
        code(p.ward.unlock_with_pin(&pin("999999"))),
        "auth.wrong_pin"
    );
    p.ward
        .audit_event(AuditEvent::PolicyApplied {
            version: 7,
            source: "mdm".into(),
        })
        .unwrap();
    assert!(p.ward.audit_status().unwrap().is_none());
    let locked_file = audit_dir(&p.path).join("locked.log");
    assert!(locked_file.exists());
    let sealed = std::fs::read(&locked_file).unwrap();
    assert!(!String::from_utf8_lossy(&sealed).contains("wrong_pin"));

    p.ward.unlock_with_pin(&pin(PIN)).unwrap();
    let entries = p.ward.audit_entries().unwrap();
    assert_eq!(
        kinds(&entries),
        [
            "unlocked",
            "locked",
            "unlock_refused",
            "policy_applied",
            "unlocked"
        ]
    );
    assert_eq!(
        entries[2].event,
        AuditEvent::UnlockRefused {
            code: "auth.wrong_pin".into()
        }
    );
    // Made while locked, joined at the unlock, after what was already in the chain.
    for e in &entries[2..4] {
        let locked = e.made_while_locked.as_ref().expect("made while locked");
        assert!(locked.at < e.at);
        assert!(locked.at > entries[1].at);
    }
    assert!(entries[4].made_while_locked.is_none());
    assert!(!locked_file.exists());
    verify_chain(&entries, None, None).unwrap();
}

/// Every file under `dir`, recursively.
fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let path = e.unwrap().path();
        if path.is_dir() {
            out.extend(files(&path));
        } else {
            out.push(path);
        }
    }
    out
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

#[test]
fn no_patient_identifier_is_in_the_vault_folder_or_in_any_entry() {
    let p = phone();
    whole_visit(&p);
    // A second visit left mid-way (photo on the phone), with a refused PIN while locked.
    p.ward.identify(candidate(BAND)).unwrap();
    p.ward.confirm().unwrap();
    p.ward.record_consent(verbal()).unwrap();
    p.ward.start_capture().unwrap();
    p.ward.capture(&jpeg(2), Purpose::Care).unwrap();
    p.ward.withdraw(None).unwrap();
    p.ward.lock_now(LockReason::User).unwrap();
    let _ = p.ward.unlock_with_pin(&pin("999999"));
    // Scanned while locked too: the locked entries are on disk then.
    let scan = |when: &str| {
        let all = files(&p.path);
        assert!(all.iter().any(|f| f.starts_with(audit_dir(&p.path))));
        for f in all {
            let bytes = std::fs::read(&f).unwrap();
            for needle in IDENTIFIERS {
                assert!(!contains(&bytes, needle), "{needle} in {f:?} ({when})");
            }
        }
    };
    scan("locked");
    p.ward.unlock_with_pin(&pin(PIN)).unwrap();
    scan("unlocked");
    let entries = p.ward.audit_entries().unwrap();
    assert!(kinds(&entries).contains(&"consent_withdrawn"));
    assert!(kinds(&entries).contains(&"unlock_refused"));
    for e in &entries {
        let json = String::from_utf8(e.canonical()).unwrap().to_lowercase();
        for needle in IDENTIFIERS.iter().chain(&["john", "smith"]) {
            assert!(!json.contains(&needle.to_lowercase()), "{needle} in {json}");
        }
    }
    let export = p.ward.audit_export().unwrap().to_lowercase();
    assert!(!export.contains("9434765919") && !export.contains("smith"));
}

#[test]
fn deleting_editing_or_reordering_a_line_of_the_export_is_found() {
    let p = phone();
    whole_visit(&p);
    let export = p.ward.audit_export().unwrap();
    let head = p.ward.audit_status().unwrap().unwrap().head;
    let expected = Some((head.seq, head.hash.as_str()));
    let lines: Vec<&str> = export.lines().collect();
    assert_eq!(lines.len(), 9);
    let check = |lines: &[String]| -> Result<_, crate::audit::ChainBreak> {
        let entries = parse_export(&lines.join("\n"))?;
        verify_chain(&entries, None, expected)
    };
    let whole: Vec<String> = lines.iter().map(|l| (*l).to_owned()).collect();
    assert_eq!(check(&whole).unwrap(), head);

    // Each line deleted in turn: found, at the line after it or at the end.
    for i in 0..whole.len() {
        let mut cut = whole.clone();
        cut.remove(i);
        let b = check(&cut).expect_err("a deleted line passed");
        let end = i == whole.len() - 1;
        let want = if i == 0 {
            BreakKind::NotAtStart
        } else if end {
            BreakKind::Truncated
        } else {
            BreakKind::Gap
        };
        assert_eq!((b.index, b.what), (i, want), "deleted {i}");
    }
    // Two neighbours swapped.
    for i in 0..whole.len() - 1 {
        let mut swapped = whole.clone();
        swapped.swap(i, i + 1);
        let b = check(&swapped).expect_err("a reordering passed");
        assert_eq!(b.index, i, "swapped {i}");
    }
    // A field edited: the photo named in one entry, the time of another.
    let photo_line = whole
        .iter()
        .position(|l| l.contains("\"captured\""))
        .unwrap();
    let mut edited = whole.clone();
    edited[photo_line] = edited[photo_line].replace("\"photo\":\"", "\"photo\":\"0");
    let b = check(&edited).expect_err("an edit passed");
    assert_eq!((b.index, b.what), (photo_line + 1, BreakKind::PrevMismatch));
    let mut retimed = whole.clone();
    let last = whole.len() - 1;
    let at = parse_export(&whole[last]).unwrap()[0].at;
    retimed[last] = retimed[last].replace(&format!("\"at\":{at}"), &format!("\"at\":{}", at + 1));
    assert_ne!(retimed[last], whole[last]);
    let b = check(&retimed).expect_err("an edit of the last line passed");
    assert_eq!(b.what, BreakKind::HeadMismatch);
}

#[test]
fn a_failed_audit_write_keeps_the_photo_and_is_recorded_as_a_gap() {
    let p = phone();
    p.ward.identify(candidate(BAND)).unwrap();
    p.ward.confirm().unwrap();
    p.ward.record_consent(verbal()).unwrap();
    p.ward.start_capture().unwrap();
    // The log cannot be written: its file replaced by a folder.
    let chain = audit_dir(&p.path).join("chain.log");
    let saved = std::fs::read(&chain).unwrap();
    std::fs::remove_file(&chain).unwrap();
    std::fs::create_dir(&chain).unwrap();
    let photo = p.ward.capture(&jpeg(3), Purpose::Care).unwrap();
    assert!(p.ward.manifest(photo.id).unwrap().is_some(), "photo lost");
    assert_eq!(p.ward.audit_status().unwrap().unwrap().lost, 1);
    assert_eq!(p.ward.audit_problem().unwrap().unwrap().code(), "audit.io");
    std::fs::remove_dir(&chain).unwrap();
    std::fs::write(&chain, saved).unwrap();
    p.ward.discard(photo.id).unwrap();
    let entries = p.ward.audit_entries().unwrap();
    assert_eq!(
        kinds(&entries),
        [
            "unlocked",
            "patient_identified",
            "consent_recorded",
            "entries_lost",
            "discarded"
        ]
    );
    assert_eq!(
        entries[3].event,
        AuditEvent::EntriesLost {
            count: 1,
            why: "write_failed".into()
        }
    );
    assert!(p.ward.audit_problem().unwrap().is_none());
    assert_eq!(p.ward.audit_status().unwrap().unwrap().lost, 0);
    verify_chain(&entries, None, None).unwrap();
}
