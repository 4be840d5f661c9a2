//! A policy coming into force is audited once per version: not when the same version is read
//! again, not when an offer is refused, and not lost when it comes before the phone's first vault
//! or before the key gate's folder is known at start.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::json;
use zeroize::Zeroizing;

use super::testing::{FixedSpace, TestClock};
use super::*;
use crate::audit::{audit_dir, verify_chain, Entry, Event as AuditEvent};
use crate::auth::KeyGate;
use crate::policy::{store, Policy, Provisioning};
use crate::session::{LockReason, SessionPolicy};
use crate::vault::danger::MemoryKeyStore;
use crate::vault::KeyStore;

const PIN: &str = "482916";

fn pin() -> Zeroizing<String> {
    Zeroizing::new(PIN.to_owned())
}

fn ward() -> Ward {
    Ward::with(
        SessionPolicy {
            idle_timeout_ms: 600_000,
            allow_development_unlock: false,
        },
        Arc::new(TestClock::default()),
        Arc::new(FixedSpace(None)),
    )
}

fn gate(w: &Ward, path: &Path, keys: &Arc<MemoryKeyStore>) {
    let keys: Arc<dyn KeyStore> = keys.clone();
    w.use_key_gate(path.to_path_buf(), KeyGate::new(keys))
        .unwrap();
}

/// MDM's values for a minimal policy of `version`.
fn managed(version: u64) -> serde_json::Value {
    let p: Policy = serde_json::from_value(json!({
        "version": version,
        "trust": {"name": "Example Hospitals NHS Foundation Trust", "ods_code": "RX1"},
    }))
    .unwrap();
    p.to_managed()
}

/// What a start with MDM's `values` keeps, and whether the ward audited it.
fn start_with(w: &Ward, keys: &MemoryKeyStore, values: &serde_json::Value) -> (Provisioning, bool) {
    let name = store::entry_name("wardcam-test");
    let p = Provisioning::at_launch(keys, &name, Some(values), None, &[], 1_800_000_000).unwrap();
    let recorded = w
        .policy_applied(p.kept_version, p.version(), PolicyOrigin::Mdm)
        .unwrap();
    (p, recorded)
}

fn applied(entries: &[Entry]) -> Vec<(u64, String)> {
    entries
        .iter()
        .filter_map(|e| match &e.event {
            AuditEvent::PolicyApplied { version, source } => Some((*version, source.clone())),
            _ => None,
        })
        .collect()
}

struct Phone {
    _dir: tempfile::TempDir,
    path: PathBuf,
    keys: Arc<MemoryKeyStore>,
}

fn phone() -> Phone {
    let dir = tempfile::tempdir().unwrap();
    Phone {
        path: dir.path().join("vault"),
        _dir: dir,
        keys: Arc::new(MemoryKeyStore::new()),
    }
}

#[test]
fn the_rule_counts_a_version_other_than_the_kept_one() {
    assert_eq!(newly_in_force(None, Some(3)), Some(3), "the first policy");
    assert_eq!(newly_in_force(Some(3), Some(4)), Some(4), "a newer one");
    assert_eq!(newly_in_force(Some(3), Some(3)), None, "read again");
    assert_eq!(newly_in_force(Some(3), None), None, "none in force");
    assert_eq!(newly_in_force(None, None), None);
    assert_eq!(PolicyOrigin::Mdm.as_str(), "mdm");
    assert_eq!(PolicyOrigin::Code.as_str(), "code");
    assert_eq!(PolicyOrigin::File.as_str(), "file");
}

#[test]
fn each_version_is_audited_once_and_refusals_and_re_reads_not_at_all() {
    let p = phone();
    let policies = MemoryKeyStore::new();
    let w = ward();
    gate(&w, &p.path, &p.keys);
    // A new phone is provisioned before its first set-up: no vault, no log yet.
    let (first, recorded) = start_with(&w, &policies, &managed(3));
    assert!(recorded && first.kept_version.is_none());
    // The same values at every start, an older policy refused, then a newer one.
    let (again, recorded) = start_with(&w, &policies, &managed(3));
    assert!(!recorded && again.refused.is_none());
    let (older, recorded) = start_with(&w, &policies, &managed(2));
    assert!(!recorded);
    assert_eq!(older.refused.as_ref().unwrap().code(), "policy.older");
    assert_eq!(older.version(), Some(3));
    let (_, recorded) = start_with(&w, &policies, &managed(5));
    assert!(recorded);
    let (_, recorded) = start_with(&w, &policies, &managed(5));
    assert!(!recorded);

    w.set_up(&pin(), "Dr A Jones").unwrap();
    let entries = w.audit_entries().unwrap();
    assert_eq!(
        applied(&entries),
        [(3, "mdm".to_owned()), (5, "mdm".to_owned())]
    );
    verify_chain(&entries, None, None).unwrap();
}

#[test]
fn a_policy_applied_at_start_before_the_gate_reaches_the_log_across_a_restart() {
    let p = phone();
    let first = ward();
    gate(&first, &p.path, &p.keys);
    first.set_up(&pin(), "Dr A Jones").unwrap();
    first.lock_now(LockReason::User).unwrap();
    drop(first);

    // The next start: the shell records the new policy before the key gate's folder is known.
    let second = ward();
    assert!(second
        .policy_applied(Some(3), Some(4), PolicyOrigin::File)
        .unwrap());
    gate(&second, &p.path, &p.keys);
    // Sealed to the log as soon as the folder is known, so quitting before any unlock keeps it.
    assert!(audit_dir(&p.path).join("locked.log").exists());
    drop(second);

    let third = ward();
    gate(&third, &p.path, &p.keys);
    third.unlock_with_pin(&pin()).unwrap();
    let entries = third.audit_entries().unwrap();
    assert_eq!(applied(&entries), [(4, "file".to_owned())]);
    verify_chain(&entries, None, None).unwrap();
}

#[test]
fn a_code_kept_while_unlocked_joins_the_chain_at_once() {
    let p = phone();
    let w = ward();
    gate(&w, &p.path, &p.keys);
    w.set_up(&pin(), "Dr A Jones").unwrap();
    assert!(w.policy_applied(None, Some(7), PolicyOrigin::Code).unwrap());
    let entries = w.audit_entries().unwrap();
    assert_eq!(applied(&entries), [(7, "code".to_owned())]);
    assert_eq!(entries.last().unwrap().event.kind(), "policy_applied");
}

#[test]
fn a_policy_whose_entry_was_lost_before_the_first_set_up_begins_the_first_log() {
    let p = phone();
    // The first start takes MDM's policy and stops before anyone sets the phone up: the entry was
    // waiting for a log in memory, and goes with the process.
    let first = ward();
    assert!(first
        .policy_applied(None, Some(3), PolicyOrigin::Mdm)
        .unwrap());
    drop(first);
    // The next start reads the same version: not new, but it is the policy in force.
    let second = ward();
    assert!(!second
        .policy_applied(Some(3), Some(3), PolicyOrigin::Mdm)
        .unwrap());
    gate(&second, &p.path, &p.keys);
    second.set_up(&pin(), "Dr A Jones").unwrap();
    let entries = second.audit_entries().unwrap();
    assert_eq!(applied(&entries), [(3, "mdm".to_owned())]);
    assert_eq!(
        entries[0].event.kind(),
        "policy_applied",
        "the log begins with it"
    );
    // A later start with the same policy adds nothing to the log that exists.
    second.lock_now(LockReason::User).unwrap();
    drop(second);
    let third = ward();
    assert!(!third
        .policy_applied(Some(3), Some(3), PolicyOrigin::Mdm)
        .unwrap());
    gate(&third, &p.path, &p.keys);
    third.unlock_with_pin(&pin()).unwrap();
    assert_eq!(applied(&third.audit_entries().unwrap()).len(), 1);
}
