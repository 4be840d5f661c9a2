//! The device status: what a device manager needs to see that a phone is healthy, on the Device
//! screen and in iOS managed feedback (`com.apple.feedback.managed`, [`DeviceStatus::feedback`]).
//!
//! - **The photos waiting**: how many, by state ([`QueueDepth`]), how long the longest-waiting
//!   one has waited (on retention's trusted clock, never the wall clock: `retention.rs`), and when
//!   a photo last reached the record (its deletion receipt).
//! - **The phone**: the app's version, the policy in force (version, trust, where it came from),
//!   the passcode gate's decision, the audit chain's head, and the last remote wipe, if any.
//!
//! **While locked it fails closed**: only what needs no vault key is reported (the app version,
//! the policy, the passcode gate, the audit trail's last failure, the wipe record, which is a
//! plain file by design). The queue, the oldest photo's age, the last delivery and the audit
//! chain's head are read from the vault, so they are `None`: this never opens the vault, and
//! nothing read from it is kept past a lock to report later. [`DeviceStatus::feedback`] then leaves
//! their keys out, so the phone's managed feedback keeps the values last reported while unlocked,
//! with `vault_status_at` saying when they were measured.
//!
//! No patient data: counts, times, versions and hashes only.

use std::collections::BTreeMap;

use serde::Serialize;

use super::manifest::{LocalState, ReceiptRecord};
use super::ward::Ward;
use crate::audit::AuditStatus;
use crate::device::{PasscodeDecision, PasscodeStatus};
use crate::policy::{payload::sha256_hex, Policy, Source};
use crate::session::State;
use crate::vault::Timestamp;
use crate::wipe::WipeReport;
use crate::Error;

/// What only the shell knows, handed to [`Ward::device_status`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusFacts {
    /// The running app's version (Tauri's package version).
    pub app_version: String,
    /// The passcode gate's decision on a fresh platform report (`Ward::report_lock_screen`);
    /// `None`: the ward's last decision is reported.
    pub passcode: Option<PasscodeStatus>,
    /// The wall-clock time of the report (Unix ms): when the status was taken, not an age.
    pub now: Timestamp,
}

/// The policy the ward runs under.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PolicyInForce {
    /// Its version (only ever goes up).
    pub version: u64,
    /// The trust's name.
    pub trust: String,
    /// The trust's ODS code.
    pub ods_code: String,
    /// SHA-256 (hex) of its canonical JSON, as `wardcam-admin show` prints it; `None` if it could
    /// not be written (it was read from that JSON, so this does not happen).
    pub sha256: Option<String>,
    /// Where it came from; `None` if the shell did not say ([`Ward::policy_came_from`]).
    pub source: Option<Source>,
}

impl PolicyInForce {
    pub(super) fn of(policy: &Policy) -> PolicyInForce {
        PolicyInForce {
            version: policy.version,
            trust: policy.trust.name.clone(),
            ods_code: policy.trust.ods_code.clone(),
            sha256: policy.canonical_json().ok().map(|j| sha256_hex(&j)),
            source: None,
        }
    }
}

/// Photos on the phone not yet delivered, by their local state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct QueueDepth {
    /// Every photo on the phone not yet delivered.
    pub total: u64,
    /// Taken, not yet queued (their visit is still being reviewed).
    pub captured: u64,
    /// Queued, waiting to be sent.
    pub queued: u64,
    /// Being sent.
    pub sending: u64,
    /// Stored by the server, waiting for the read-back.
    pub uploaded: u64,
    /// Stopped until a person acts.
    pub held: u64,
    /// Consent withdrawn, being shredded.
    pub withdrawn: u64,
}

impl QueueDepth {
    fn count(&mut self, state: LocalState) {
        self.total += 1;
        let slot = match state {
            LocalState::Captured => &mut self.captured,
            LocalState::Queued => &mut self.queued,
            LocalState::Sending => &mut self.sending,
            LocalState::Uploaded => &mut self.uploaded,
            LocalState::Held => &mut self.held,
            LocalState::Withdrawn => &mut self.withdrawn,
        };
        *slot += 1;
    }
}

/// The audit chain's head, as [`Ward::audit_status`] gives it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditHead {
    /// Entries in the chain.
    pub entries: u64,
    /// The last entry's sequence number.
    pub seq: u64,
    /// The last entry's hash (hex): what the trust compares with the log it received.
    pub hash: String,
    /// The chain on the phone verifies from its first entry to this one.
    pub intact: bool,
    /// Entries lost since the log opened (counted in the chain as gaps).
    pub lost: u64,
}

impl AuditHead {
    fn of(status: AuditStatus) -> AuditHead {
        AuditHead {
            entries: status.head.entries,
            seq: status.head.seq,
            hash: status.head.hash,
            intact: status.broken.is_none(),
            lost: status.lost,
        }
    }
}

/// The device status. See the module documentation for what is `None` while locked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeviceStatus {
    /// When it was taken (wall clock, Unix ms; [`StatusFacts::now`]).
    pub reported_at: Timestamp,
    /// The running app's version.
    pub app_version: String,
    /// The session is locked: the vault's facts below are `None`.
    pub locked: bool,
    /// The policy in force; `None` when no trust has provisioned the phone.
    pub policy: Option<PolicyInForce>,
    /// The passcode gate's decision; `None` before the platform has reported.
    pub passcode: Option<PasscodeStatus>,
    /// Photos not yet delivered, by state (`None` while locked).
    pub queue: Option<QueueDepth>,
    /// How long the longest-waiting photo has waited, in ms, on retention's trusted clock: a
    /// lower bound, counted from the first retention pass that saw it (`None` while locked or
    /// with nothing waiting).
    pub oldest_undelivered_age_ms: Option<u64>,
    /// When a photo last reached the record and was shredded here (its deletion receipt's time,
    /// wall clock); `None` while locked or if none is on record.
    pub last_delivery_at: Option<Timestamp>,
    /// The audit chain's head (`None` while locked, or when the log could not open: see
    /// `audit_problem`).
    pub audit: Option<AuditHead>,
    /// The audit trail's last failure (its stable code), until a write succeeds again.
    pub audit_problem: Option<&'static str>,
    /// The last remote wipe (finished, or still to finish at the next start), read from its
    /// record, which needs no key.
    pub wipe: Option<WipeReport>,
    /// The wipe record could not be read (its stable code): a wipe may have happened.
    pub wipe_problem: Option<&'static str>,
}

/// One value of the managed feedback map.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum FeedbackValue {
    /// A string.
    Text(String),
    /// A whole number (counts, Unix ms, seconds).
    Number(u64),
    /// A boolean.
    Flag(bool),
}

fn decision_word(d: PasscodeDecision) -> &'static str {
    match d {
        PasscodeDecision::Secure => "secure",
        PasscodeDecision::DevelopmentPlatform => "development_platform",
        PasscodeDecision::NoPasscode => "no_passcode",
        PasscodeDecision::Unknown => "unknown",
        PasscodeDecision::TooSimple => "too_simple",
        PasscodeDecision::ComplexityUnknown => "complexity_unknown",
    }
}

impl DeviceStatus {
    /// The flat key/value map for iOS managed feedback (`com.apple.feedback.managed`), documented
    /// in `docs/provisioning.md` ("Device status"). Keys that need no vault key are always
    /// present, with an explicit "none" value rather than left out, so a merge on the phone never
    /// keeps a stale one; the vault's keys are present only when unlocked (see the module
    /// documentation). No patient data: counts, times, versions and hashes.
    pub fn feedback(&self) -> BTreeMap<&'static str, FeedbackValue> {
        use FeedbackValue::{Flag, Number, Text};
        let mut m = BTreeMap::new();
        m.insert("status_at", Number(self.reported_at.0));
        m.insert("app_version", Text(self.app_version.clone()));
        m.insert("locked", Flag(self.locked));

        let p = self.policy.as_ref();
        m.insert("policy_version", Number(p.map_or(0, |p| p.version)));
        let source = match p {
            None => "none",
            Some(p) => match p.source {
                Some(Source::Managed) => "managed",
                Some(Source::Code) => "code",
                None => "unknown",
            },
        };
        m.insert("policy_source", Text(source.into()));
        m.insert(
            "policy_sha256",
            Text(p.and_then(|p| p.sha256.clone()).unwrap_or_default()),
        );
        m.insert(
            "trust_ods_code",
            Text(p.map(|p| p.ods_code.clone()).unwrap_or_default()),
        );

        let passcode = self
            .passcode
            .map_or("not_reported", |s| decision_word(s.decision()));
        m.insert("passcode", Text(passcode.into()));
        m.insert(
            "passcode_allows_unlock",
            Flag(self.passcode.is_some_and(|s| s.allows_unlock())),
        );
        m.insert(
            "audit_problem",
            Text(self.audit_problem.unwrap_or_default().into()),
        );

        let wipe_state = match (&self.wipe, self.wipe_problem) {
            (_, Some(_)) => "unreadable",
            (None, None) => "none",
            (Some(w), None) if w.finished() => "finished",
            (Some(_), None) => "in_progress",
        };
        m.insert("wipe_state", Text(wipe_state.into()));
        let w = self.wipe.as_ref();
        m.insert(
            "wipe_source",
            Text(w.map(|w| w.source.as_str()).unwrap_or_default().into()),
        );
        m.insert(
            "wipe_request",
            Text(w.map(|w| w.request.clone()).unwrap_or_default()),
        );
        m.insert("wipe_started_at", Number(w.map_or(0, |w| w.started_at)));
        m.insert(
            "wipe_finished_at",
            Number(w.and_then(|w| w.finished_at).unwrap_or(0)),
        );
        m.insert("wipe_items", Number(w.map_or(0, |w| w.items)));

        // The vault's facts: only when they were read now (unlocked).
        if let Some(q) = &self.queue {
            m.insert("vault_status_at", Number(self.reported_at.0));
            m.insert("queue_total", Number(q.total));
            m.insert("queue_captured", Number(q.captured));
            m.insert("queue_queued", Number(q.queued));
            m.insert("queue_sending", Number(q.sending));
            m.insert("queue_uploaded", Number(q.uploaded));
            m.insert("queue_held", Number(q.held));
            m.insert("queue_withdrawn", Number(q.withdrawn));
            m.insert(
                "oldest_undelivered_age_s",
                Number(self.oldest_undelivered_age_ms.unwrap_or(0) / 1_000),
            );
            m.insert(
                "last_delivery_at",
                Number(self.last_delivery_at.map_or(0, |t| t.0)),
            );
            // Unlocked with no head: the log did not open (`audit_problem` says why). Said as an
            // empty head, not left out, so no earlier head stands in for it.
            let a = self.audit.as_ref();
            m.insert("audit_entries", Number(a.map_or(0, |a| a.entries)));
            m.insert("audit_head_seq", Number(a.map_or(0, |a| a.seq)));
            m.insert(
                "audit_head_sha256",
                Text(a.map(|a| a.hash.clone()).unwrap_or_default()),
            );
            m.insert("audit_chain_intact", Flag(a.is_some_and(|a| a.intact)));
            m.insert("audit_lost", Number(a.map_or(0, |a| a.lost)));
        }
        m
    }
}

impl Ward {
    /// Records where the policy in force came from (the shell knows: MDM or a code), for the
    /// device status. Call after [`Ward::under_policy`]; without a policy it does nothing.
    pub fn policy_came_from(mut self, source: Source) -> Ward {
        if let Some(p) = self.policy_in_force.as_mut() {
            p.source = Some(source);
        }
        self
    }

    /// The device status (see the module documentation): locked, only what needs no vault key.
    pub fn device_status(&self, facts: &StatusFacts) -> Result<DeviceStatus, Error> {
        // Each takes the ward's lock itself, so before it is taken here.
        let passcode = match facts.passcode {
            Some(p) => Some(p),
            None => self.passcode()?,
        };
        let audit = self.audit_status()?;
        let audit_problem = self.audit_problem()?.map(|e| e.code());

        let inner = self.lock()?;
        let locked = inner.session.state() == State::Locked;
        let vault = if locked { None } else { inner.vault().ok() };
        // The wipe's record is a plain file in the key gate's folder (`Ward::wipe_report`); a
        // ward without a gate (tests that attach a vault) reads it beside the open vault.
        let report = match (self.gate.get(), &vault) {
            (Some(_), _) => Some(self.wipe_report()),
            (None, Some(v)) => Some(crate::wipe::report(v.dir()).map_err(Error::from)),
            (None, None) => None,
        };
        let (wipe, wipe_problem) = match report {
            None | Some(Ok(None)) => (None, None),
            Some(Ok(Some(report))) => (Some(report), None),
            Some(Err(e)) => (None, Some(e.code())),
        };

        let mut status = DeviceStatus {
            reported_at: facts.now,
            app_version: facts.app_version.clone(),
            locked,
            policy: self.policy_in_force.clone(),
            passcode,
            queue: None,
            oldest_undelivered_age_ms: None,
            last_delivery_at: None,
            audit: None,
            audit_problem,
            wipe,
            wipe_problem,
        };
        // Fail closed: nothing from the vault unless it is open for an unlocked session.
        let Some(vault) = vault else {
            return Ok(status);
        };
        let mut queue = QueueDepth::default();
        for stored in inner.photos.values() {
            queue.count(stored.record.state);
        }
        status.queue = Some(queue);
        status.oldest_undelivered_age_ms = inner.oldest_waiting_ms(&vault, &self.clock.boot())?;
        status.last_delivery_at = inner
            .receipts
            .iter()
            .filter_map(|r| match &r.record {
                ReceiptRecord::Deletion { shredded_at, .. } => Some(*shredded_at),
                _ => None,
            })
            .max();
        status.audit = audit.map(AuditHead::of);
        Ok(status)
    }
}
