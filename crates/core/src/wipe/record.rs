//! The wipe itself and its record, `wipe.json` in the vault's folder: the one file a wipe
//! leaves, and the only one WardCam writes unsealed.
//!
//! **Why unsealed is safe here.** The record holds no patient data and nothing secret: which way
//! the wipe came (`mdm`, `signed_command`), the command's random nonce (or a digest of MDM's
//! request), when it started and finished, how many items it shredded, the installation id it
//! wiped (the vault's random id, shown on the Device screen anyway), and the audit entry of the
//! wipe, which carries only the same counts and the previous entry's SHA-256. It cannot be sealed:
//! the wipe destroys every key that could seal it, and it must be readable afterwards (the wiped
//! screen, the Device screen, iOS managed feedback). Editing it can neither undo a wipe (the keys
//! are gone) nor make one happen (a wipe needs MDM or a signed command).
//!
//! **Order**, each step safe to repeat, so a wipe killed midway finishes at the next start
//! ([`finish`]):
//! 1. the request is checked and recorded as begun, with its nonce (never applied twice) — fsynced
//!    before anything is destroyed;
//! 2. (the ward, if the vault is open: the wipe's entry joins the audit chain, and its items are
//!    shredded through the open vault);
//! 3. every item's wrapped key is overwritten in the index ([`Vault::erase_keys_in`]);
//! 4. the master key and its key-gate record are removed from the keystore;
//! 5. every other file of the folder (blobs, index and its log, the sealed audit log) is removed;
//! 6. the record is marked finished.
//!
//! The policy is untouched: it lives in the keystore under its own name (`crate::policy::store`).

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::command::{verify, Order, Target};
use super::error::WipeError;
use crate::audit::Entry;
use crate::auth::gate::GATE_SUFFIX;
use crate::policy::payload::sha256_hex;
use crate::policy::{Policy, ProvisioningKey};
use crate::vault::{KeyStore, Timestamp, Vault};

/// The record's file in the vault's folder.
pub const RECORD_FILE: &str = "wipe.json";
/// How many applied requests the record remembers (each a nonce or digest); older ones are also
/// refused by their issue time ([`Record::newest_issued_at`]) or their expiry.
const REMEMBERED: usize = 64;
/// MDM's key asking for a wipe (`MANAGED_KEYS`): any text the device manager chooses; each new
/// value wipes once.
pub const MANAGED_KEY: &str = "remote_wipe";

/// Where a wipe came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WipeSource {
    /// MDM's managed configuration ([`MANAGED_KEY`]).
    Mdm,
    /// A signed `WCW1:` command, scanned or pasted.
    SignedCommand,
}

impl WipeSource {
    /// As the audit entry names it.
    pub fn as_str(self) -> &'static str {
        match self {
            WipeSource::Mdm => "mdm",
            WipeSource::SignedCommand => "signed_command",
        }
    }
}

/// What a wipe did: for the wiped screen, the Device screen and iOS managed feedback. No patient
/// data (see the module documentation).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WipeReport {
    /// Where it came from.
    pub source: WipeSource,
    /// The command's nonce, or `mdm:` and a digest of MDM's request.
    pub request: String,
    /// The installation it wiped (`None`: there was no vault yet).
    pub installation: Option<String>,
    /// Begun at (wall clock, Unix ms).
    pub started_at: u64,
    /// Finished at; `None` while it is still to finish (it resumes at the next start).
    pub finished_at: Option<u64>,
    /// Vault items shredded.
    pub items: u64,
    /// The wipe's audit entry as it joined the chain (when the vault was open): it names the
    /// previous entry's hash, so the trust can join it to the chain it already holds. `None`
    /// when the phone was locked: the chain's key was shut in the vault, and this report is the
    /// wipe's only record.
    pub audit: Option<Entry>,
    /// The wiped screen was dismissed (someone set WardCam up again).
    #[serde(default)]
    pub acknowledged: bool,
}

impl WipeReport {
    /// The wipe has finished.
    pub fn finished(&self) -> bool {
        self.finished_at.is_some()
    }
}

/// `wipe.json`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Record {
    /// The last wipe.
    last: Option<WipeReport>,
    /// Requests applied (nonces; `mdm:` digests), oldest first.
    applied: Vec<String>,
    /// The issue time of the newest signed command applied: an older one is refused.
    newest_issued_at: u64,
}

fn load(dir: &Path) -> Result<Record, WipeError> {
    match fs::read(dir.join(RECORD_FILE)) {
        Ok(bytes) => serde_json::from_slice(&bytes).map_err(|_| WipeError::RecordDamaged),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Record::default()),
        Err(e) => Err(WipeError::Io("read its record", e.kind())),
    }
}

fn sync_dir(dir: &Path) -> Result<(), WipeError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(WipeError::io("write its record"))
}

/// Replaces the record durably: written beside, fsynced, renamed over, folder fsynced.
fn save(dir: &Path, record: &Record) -> Result<(), WipeError> {
    crate::vault::make_private_dir(dir)?;
    let json = serde_json::to_vec_pretty(record).map_err(|_| WipeError::RecordDamaged)?;
    let tmp = dir.join(format!("{RECORD_FILE}.tmp"));
    let mut o = OpenOptions::new();
    o.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    o.open(&tmp)
        .and_then(|mut f| f.write_all(&json).and_then(|()| f.sync_all()))
        .and_then(|()| fs::rename(&tmp, dir.join(RECORD_FILE)))
        .map_err(WipeError::io("write its record"))?;
    sync_dir(dir)
}

/// The last wipe of the vault folder `dir`, if any (finished or still to finish).
pub fn report(dir: &Path) -> Result<Option<WipeReport>, WipeError> {
    Ok(load(dir)?.last)
}

/// This installation's id, which a command for this phone alone names: the vault's random id
/// (its keystore name). `None` before the first set-up, when there is nothing to wipe.
pub fn installation_id(dir: &Path) -> Result<Option<String>, WipeError> {
    Ok(Vault::keystore_name_in(dir)?)
}

/// Who may sign a wipe command for this phone: the trust in force (its ODS code) and the keys a
/// provisioning code would be checked against (the build's and the policy's).
#[derive(Debug, Clone)]
pub struct Authority {
    /// The trust's ODS code.
    pub ods_code: String,
    /// The trusted provisioning keys.
    pub keys: Vec<ProvisioningKey>,
}

impl Authority {
    /// The authority of the policy in force; refused without one.
    pub fn of(
        policy: Option<&Policy>,
        built_in: &[ProvisioningKey],
    ) -> Result<Authority, WipeError> {
        let policy = policy.ok_or(WipeError::NotProvisioned)?;
        let mut keys = built_in.to_vec();
        keys.extend(policy.provisioning_keys());
        Ok(Authority {
            ods_code: policy.trust.ods_code.clone(),
            keys,
        })
    }
}

/// A request checked and found to be for this phone and new: what [`begin`] records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Admitted {
    source: WipeSource,
    request: String,
    issued_at: u64,
}

impl Admitted {
    /// Where it came from.
    pub fn source(&self) -> WipeSource {
        self.source
    }
}

fn seen(record: &Record, request: &str) -> bool {
    record.applied.iter().any(|r| r == request)
        || record.last.as_ref().is_some_and(|l| l.request == request)
}

/// Checks a signed command for the vault folder `dir`: signed by a key `authority` trusts, not
/// expired at `now` (Unix seconds), for this trust and this installation (or the fleet), and
/// neither applied here before nor older than one that was. A refusal wipes nothing.
pub fn admit_code(
    dir: &Path,
    code: &str,
    authority: &Authority,
    now: u64,
) -> Result<Admitted, WipeError> {
    let order: Order = verify(code, &authority.keys, now)?;
    if order.ods_code != authority.ods_code {
        return Err(WipeError::OtherTrust);
    }
    // Replay first: a command scanned again after its wipe names an installation that is gone,
    // and "already used" is what the device manager needs to hear.
    let record = load(dir)?;
    if seen(&record, &order.nonce) || order.issued_at <= record.newest_issued_at {
        return Err(WipeError::Replayed);
    }
    if let Target::Installation(id) = &order.target {
        if installation_id(dir)?.as_deref() != Some(id.as_str()) {
            return Err(WipeError::NotThisPhone);
        }
    }
    Ok(Admitted {
        source: WipeSource::SignedCommand,
        request: order.nonce,
        issued_at: order.issued_at,
    })
}

/// Reads MDM's request (the value of [`MANAGED_KEY`]): `None` when there is none, or when this
/// value was applied already (MDM keeps its values; each new one wipes once).
pub fn admit_managed(dir: &Path, value: Option<&str>) -> Result<Option<Admitted>, WipeError> {
    let Some(value) = value.map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    // A digest, not the value: the record is unsealed, and the value is whatever the device
    // manager typed.
    let request = format!("mdm:{}", &sha256_hex(value.as_bytes())[..32]);
    if seen(&load(dir)?, &request) {
        return Ok(None);
    }
    Ok(Some(Admitted {
        source: WipeSource::Mdm,
        request,
        issued_at: 0,
    }))
}

/// Step 1: records the wipe as begun (durably, before anything is destroyed), with the items it
/// is about to shred and the installation. Finishes an earlier wipe still in progress first.
pub fn begin(
    dir: &Path,
    keys: &dyn KeyStore,
    admitted: &Admitted,
    now: Timestamp,
) -> Result<WipeReport, WipeError> {
    finish(dir, keys, now)?;
    let mut record = load(dir)?;
    let report = WipeReport {
        source: admitted.source,
        request: admitted.request.clone(),
        installation: installation_id(dir)?,
        started_at: now.0,
        finished_at: None,
        items: Vault::live_items_in(dir)? as u64,
        audit: None,
        acknowledged: false,
    };
    if let Some(previous) = record.last.take() {
        record.applied.push(previous.request);
    }
    let excess = record.applied.len().saturating_sub(REMEMBERED - 1);
    record.applied.drain(..excess);
    record.newest_issued_at = record.newest_issued_at.max(admitted.issued_at);
    record.last = Some(report.clone());
    save(dir, &record)?;
    Ok(report)
}

/// Step 2's record: the wipe's audit entry, as it joined the chain.
pub fn record_audit(dir: &Path, entry: Entry) -> Result<(), WipeError> {
    let mut record = load(dir)?;
    if let Some(last) = record.last.as_mut() {
        last.audit = Some(entry);
        save(dir, &record)?;
    }
    Ok(())
}

/// Steps 3 to 6: finishes the wipe in progress, if any (idempotent; what a start runs to resume
/// a wipe that was killed midway). Returns the last wipe's report.
pub fn finish(
    dir: &Path,
    keys: &dyn KeyStore,
    now: Timestamp,
) -> Result<Option<WipeReport>, WipeError> {
    let mut record = load(dir)?;
    let Some(last) = record.last.as_mut() else {
        return Ok(None);
    };
    if last.finished() {
        return Ok(Some(last.clone()));
    }
    // The outbound store first (parcels of waiting photos under the delivery key, docs/delivery.md
    // "While locked"): its items' keys, then its key. Run again on a resume, it finds the same
    // name in its index until the folder goes below.
    let outbound = Vault::erase_keys_in(&dir.join(crate::visit::OUTBOUND_DIR))?;
    if let Some(name) = &outbound.keystore_name {
        keys.remove(name)?;
    }
    let erased = Vault::erase_keys_in(dir)?;
    // Both names: the one recorded at the start (the index may already be gone on a resume) and
    // the one the index names now.
    let mut names: Vec<String> = last.installation.iter().cloned().collect();
    names.extend(erased.keystore_name);
    names.dedup();
    for name in &names {
        keys.remove(&format!("{name}{GATE_SUFFIX}"))?;
        keys.remove(name)?;
    }
    remove_all_but(dir, RECORD_FILE)?;
    last.finished_at = Some(now.0);
    let report = last.clone();
    save(dir, &record)?;
    Ok(Some(report))
}

/// Removes everything in `dir` but `keep` (and its temporary file), and makes it durable.
fn remove_all_but(dir: &Path, keep: &str) -> Result<(), WipeError> {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(WipeError::Io("read the vault folder", e.kind())),
    };
    for entry in entries {
        let entry = entry.map_err(WipeError::io("read the vault folder"))?;
        if entry.file_name() == keep {
            continue;
        }
        let path = entry.path();
        let is_dir = entry
            .file_type()
            .map_err(WipeError::io("read the vault folder"))?
            .is_dir();
        let removed = if is_dir {
            fs::remove_dir_all(&path)
        } else {
            fs::remove_file(&path)
        };
        match removed {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(WipeError::Io("remove the vault's files", e.kind())),
        }
    }
    sync_dir(dir)
}

/// The wiped screen was dismissed: someone is setting WardCam up again. The record (and the
/// requests it remembers) stays.
pub fn acknowledge(dir: &Path) -> Result<(), WipeError> {
    let mut record = load(dir)?;
    match record.last.as_mut() {
        Some(last) if last.finished() && !last.acknowledged => {
            last.acknowledged = true;
            save(dir, &record)
        }
        _ => Ok(()),
    }
}

/// The whole wipe for a caller without an open vault (the app locked; a start acting on MDM):
/// [`begin`], then [`finish`]. The audit entry cannot join the chain (its key is shut in the
/// vault), so the report is the wipe's record.
pub fn wipe(
    dir: &Path,
    keys: &dyn KeyStore,
    admitted: &Admitted,
    now: Timestamp,
) -> Result<WipeReport, WipeError> {
    begin(dir, keys, admitted, now)?;
    finish(dir, keys, now)?.ok_or(WipeError::RecordDamaged)
}
