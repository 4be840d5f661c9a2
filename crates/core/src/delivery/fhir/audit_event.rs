//! The phone's audit trail as the trust's record keeps it: each chain entry
//! ([`crate::audit::Entry`]) becomes one R4 `AuditEvent` in the style of IHE Basic Audit Log
//! Patterns (BALP), sent in transaction Bundles of at most [`MAX_AUDIT_ENTRIES`].
//!
//! - **The same resource every time**: `PUT AuditEvent/<id>`, the id being SHA-256 (hex, 64
//!   characters: a valid FHIR id) over the chain's id and the entry's hash. A retry after a lost
//!   answer, or everything sent again after the phone lost its `sent` mark, files the same
//!   resources again and adds none.
//! - **The chain travels with it**: an entity of type "WardCam audit entry" holds the entry's
//!   canonical JSON (base64, `detail`), so `wardcam-admin audit verify` checks the chain from the
//!   record's AuditEvents alone and finds any gap or edit there as it would on the phone.
//! - **The patient as the record names them**: an entry about a visit, or about a photo taken in
//!   it, carries a patient entity (`role` 1 Patient) whose `what` is the same reference by NHS
//!   number (or local number) the photo's `DocumentReference` has, and a photo's entry names its
//!   `DocumentReference` by its identifier. On the phone the entries hold neither: the patient is
//!   added here, from the sealed subjects the journal kept ([`crate::audit::Journal::subjects`]).
//! - **Who and where**: the clinician (by name, as the Provenance does) is the requesting agent,
//!   WardCam the other; `source.site` is the trust's ODS code and `source.observer` the phone's
//!   chain.

use std::collections::BTreeMap;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use serde_json::{json, Value};
use zeroize::Zeroizing;

use super::ids::{document_identifier, URN_SYSTEM};
use super::DEVICE_NAME;
use crate::audit::{Entry, Event};
use crate::consent::canonical::sha256_hex;
use crate::vault::Timestamp;
use crate::visit::PhotoId;

/// Entries per Bundle: under the 50 updates a transaction may hold on the servers we test with,
/// and small enough (about 2 KB each) to go in one short request.
pub const MAX_AUDIT_ENTRIES: usize = 40;
// The servers we test with take at most 50 updates per transaction.
const _: () = assert!(MAX_AUDIT_ENTRIES <= 50);

/// DICOM's audit codes (the `type` of every AuditEvent, as BALP uses them).
const DCM: &str = "http://dicom.nema.org/resources/ontology/DCM";
/// WardCam's own subtypes: the entry's `type`, as the chain names it.
pub const AUDIT_SUBTYPE_SYSTEM: &str = "https://wardcam.nhs.uk/fhir/CodeSystem/audit-event";
/// The entity `type` and `detail.type` that carry a chain entry.
pub const AUDIT_ENTRY_TYPE: &str = "wardcam-audit-entry";
/// The identifier system naming a phone's chain (`urn:wardcam:audit:<chain id>`).
const CHAIN_PREFIX: &str = "urn:wardcam:audit:";
const OBJECT_ROLE: &str = "http://terminology.hl7.org/CodeSystem/object-role";
const ENTITY_TYPE: &str = "http://terminology.hl7.org/CodeSystem/audit-entity-type";
const SOURCE_TYPE: &str = "http://terminology.hl7.org/CodeSystem/security-source-type";
const PARTICIPATION: &str = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType";

/// What the AuditEvents say beyond the entries themselves.
#[derive(Debug, Clone, Default)]
pub struct AuditContext {
    /// The phone's chain ([`crate::audit::Journal::chain_id`]).
    pub chain: String,
    /// The trust's ODS code, if a policy is in force.
    pub site: Option<String>,
    /// The clinician's name, if set.
    pub clinician: Option<String>,
    /// How the record names each visit's patient (a FHIR reference by identifier).
    pub subjects: BTreeMap<String, Value>,
    /// The visit each photo was taken in (from the chain's `captured` entries).
    pub photo_visits: BTreeMap<String, String>,
}

impl AuditContext {
    /// Learns from `entries` which visit each photo belongs to.
    pub fn learn(&mut self, entries: &[Entry]) {
        for e in entries {
            if let Event::Captured { visit, photo } = &e.event {
                self.photo_visits.insert(photo.clone(), visit.clone());
            }
        }
    }

    /// The visit an entry is about, directly or through its photo.
    pub fn visit_of<'a>(&'a self, event: &'a Event) -> Option<&'a str> {
        event.visit().or_else(|| {
            event
                .photo()
                .and_then(|p| self.photo_visits.get(p))
                .map(String::as_str)
        })
    }
}

/// A Bundle of AuditEvents ready to post, and the last entry it holds.
pub struct AuditBundle {
    pub(crate) body: Zeroizing<Vec<u8>>,
    /// Entries in it.
    pub count: usize,
    /// The last entry's sequence number and hash: the `sent` mark once the record holds them.
    pub last: (u64, String),
}

/// Sizes only: the body names patients.
impl std::fmt::Debug for AuditBundle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuditBundle")
            .field("body_len", &self.body.len())
            .field("count", &self.count)
            .field("last", &self.last)
            .finish()
    }
}

/// The logical id of an entry's AuditEvent on the record.
pub fn audit_event_id(chain: &str, entry: &Entry) -> String {
    sha256_hex(format!("{chain}\0{}", entry.hash()).as_bytes())
}

/// DICOM `type`, FHIR `action` and whether the entry records a failure.
fn classify(event: &Event) -> ((&'static str, &'static str), &'static str, bool) {
    const AUTH: (&str, &str) = ("110114", "User Authentication");
    const RECORD: (&str, &str) = ("110110", "Patient Record");
    const EXPORT: (&str, &str) = ("110106", "Export");
    const ALERT: (&str, &str) = ("110113", "Security Alert");
    const APP: (&str, &str) = ("110100", "Application Activity");
    match event {
        Event::Unlocked { .. } | Event::Locked { .. } => (AUTH, "E", false),
        Event::UnlockRefused { .. } => (AUTH, "E", true),
        Event::PatientIdentified { .. } => (RECORD, "R", false),
        Event::RecordCheckOverridden { .. } => (ALERT, "E", false),
        Event::ConsentRecorded { .. } | Event::Captured { .. } | Event::Packed { .. } => {
            (RECORD, "C", false)
        }
        Event::ConsentWithdrawn { .. } | Event::Redacted { .. } | Event::Queued { .. } => {
            (RECORD, "U", false)
        }
        Event::Discarded { .. } | Event::Shredded { .. } | Event::Purged { .. } => {
            (RECORD, "D", false)
        }
        Event::Delivered { .. } | Event::ReadBackMatched { .. } => (EXPORT, "R", false),
        Event::RetentionWarned { .. } | Event::PolicyApplied { .. } => (APP, "E", false),
        Event::Wiped { .. } => (APP, "D", false),
        Event::EntriesLost { .. } => (ALERT, "E", true),
    }
}

fn instant(ms: u64) -> String {
    crate::consent::time::utc(Timestamp(ms)).fhir()
}

/// One entry as an AuditEvent.
pub fn audit_event(entry: &Entry, ctx: &AuditContext) -> Value {
    let ((code, display), action, failed) = classify(&entry.event);
    let kind = entry.event.kind();
    let mut agents = Vec::new();
    if let Some(name) = &ctx.clinician {
        agents.push(json!({
            "type": { "coding": [{ "system": PARTICIPATION, "code": "AUT", "display": "author (originator)" }] },
            "who": { "display": name },
            "requestor": true,
        }));
    }
    agents.push(json!({
        "type": { "coding": [{ "system": DCM, "code": "110150", "display": "Application" }] },
        "who": { "identifier": { "system": URN_SYSTEM, "value": format!("{CHAIN_PREFIX}{}", ctx.chain) }, "display": DEVICE_NAME },
        "requestor": ctx.clinician.is_none(),
    }));
    let mut source = json!({
        "observer": {
            "identifier": { "system": URN_SYSTEM, "value": format!("{CHAIN_PREFIX}{}", ctx.chain) },
            "display": format!("{DEVICE_NAME} {}", env!("CARGO_PKG_VERSION")),
        },
        "type": [{ "system": SOURCE_TYPE, "code": "4", "display": "Application Server" }],
    });
    if let Some(site) = &ctx.site {
        source["site"] = json!(site);
    }
    let mut entities = vec![json!({
        "what": { "identifier": {
            "system": URN_SYSTEM,
            "value": format!("{CHAIN_PREFIX}{}:{}", ctx.chain, entry.seq),
        } },
        "type": { "system": ENTITY_TYPE, "code": "4", "display": "Other" },
        "name": "WardCam audit entry",
        "detail": [{
            "type": AUDIT_ENTRY_TYPE,
            "valueBase64Binary": STANDARD.encode(entry.canonical()),
        }],
    })];
    if let Some(reference) = ctx.visit_of(&entry.event).and_then(|v| ctx.subjects.get(v)) {
        entities.push(json!({
            "what": reference,
            "type": { "system": ENTITY_TYPE, "code": "1", "display": "Person" },
            "role": { "system": OBJECT_ROLE, "code": "1", "display": "Patient" },
        }));
    }
    if let Some(photo) = entry.event.photo().and_then(|p| p.parse::<PhotoId>().ok()) {
        entities.push(json!({
            "what": {
                "type": "DocumentReference",
                "identifier": { "system": URN_SYSTEM, "value": document_identifier(photo) },
            },
            "type": { "system": ENTITY_TYPE, "code": "2", "display": "System Object" },
            "role": { "system": OBJECT_ROLE, "code": "3", "display": "Report" },
        }));
    }
    json!({
        "resourceType": "AuditEvent",
        "id": audit_event_id(&ctx.chain, entry),
        "type": { "system": DCM, "code": code, "display": display },
        "subtype": [{ "system": AUDIT_SUBTYPE_SYSTEM, "code": kind }],
        "action": action,
        "recorded": instant(entry.at),
        "outcome": if failed { "4" } else { "0" },
        "agent": agents,
        "source": source,
        "entity": entities,
    })
}

/// `entries` (at most [`MAX_AUDIT_ENTRIES`], in chain order, not empty) as one transaction
/// Bundle of `PUT AuditEvent/<id>`; `None` for no entries.
pub fn audit_bundle(entries: &[Entry], ctx: &AuditContext) -> Option<AuditBundle> {
    let last = entries.last()?;
    let entry: Vec<Value> = entries
        .iter()
        .map(|e| {
            let resource = audit_event(e, ctx);
            let id = audit_event_id(&ctx.chain, e);
            json!({
                "resource": resource,
                "request": { "method": "PUT", "url": format!("AuditEvent/{id}") },
            })
        })
        .collect();
    let bundle = json!({ "resourceType": "Bundle", "type": "transaction", "entry": entry });
    // Serialising a Value cannot fail.
    let body = Zeroizing::new(serde_json::to_vec(&bundle).unwrap_or_default());
    Some(AuditBundle {
        body,
        count: entries.len(),
        last: (last.seq, last.hash()),
    })
}

/// The chain entries carried by a Bundle of AuditEvents (a search result, as `wardcam-admin audit
/// verify` reads it), grouped by chain id and sorted by sequence number. An AuditEvent that is not
/// WardCam's is passed over; one whose entry cannot be read is an `Err` with its position.
pub fn entries_in_bundle(bundle: &Value) -> Result<BTreeMap<String, Vec<Entry>>, usize> {
    let mut chains: BTreeMap<String, Vec<Entry>> = BTreeMap::new();
    let resources = bundle
        .get("entry")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    for (index, item) in resources.iter().enumerate() {
        let Some(resource) = item.get("resource") else {
            continue;
        };
        if resource.get("resourceType").and_then(Value::as_str) != Some("AuditEvent") {
            continue;
        }
        let entities = resource
            .get("entity")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or_default();
        for entity in entities {
            let Some(detail) = entity
                .get("detail")
                .and_then(Value::as_array)
                .and_then(|d| {
                    d.iter()
                        .find(|x| x.get("type").and_then(Value::as_str) == Some(AUDIT_ENTRY_TYPE))
                })
            else {
                continue;
            };
            let identifier = entity
                .pointer("/what/identifier/value")
                .and_then(Value::as_str)
                .and_then(|v| v.strip_prefix(CHAIN_PREFIX))
                .and_then(|v| v.rsplit_once(':'))
                .map(|(chain, _)| chain.to_owned())
                .ok_or(index)?;
            let entry: Entry = detail
                .get("valueBase64Binary")
                .and_then(Value::as_str)
                .and_then(|b| STANDARD.decode(b).ok())
                .and_then(|bytes| serde_json::from_slice(&bytes).ok())
                .ok_or(index)?;
            chains.entry(identifier).or_default().push(entry);
        }
    }
    for entries in chains.values_mut() {
        entries.sort_by_key(|e| e.seq);
    }
    Ok(chains)
}
