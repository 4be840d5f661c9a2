//! The audit log on disk, in the vault's folder under `audit/`:
//!
//! - `chain.log`: one entry per line, sealed under the chain key ([`super::sealed::seal_line`]),
//!   base64. Appended and fsynced after the operation it records has committed; a line torn by a
//!   crash is cut off at the next open. (A crash between an operation's commit and its entry loses
//!   that entry; the chain itself stays whole.)
//! - `locked.log`: entries made while the app was locked, sealed to the audit public key; folded
//!   into the chain, in order, at the next unlock, then removed. Each carries a random id, so a
//!   crash mid-fold never folds one twice.
//! - `subjects.log`: for the trust's AuditEvents only, how its record names the patient of each
//!   visit (a FHIR reference by NHS number or local number), sealed under the chain key with its
//!   own associated data; a line is forgotten once every entry about its visit is on the trust's
//!   record and the phone holds nothing more of the visit ([`Journal::keep_subjects`]).
//! - `sent`: how far the trust's record holds the chain (sequence number and hash), sealed; lost or
//!   damaged, everything is sent again, which the record takes as the same resources.
//! - `checkpoint`: how many lines of `chain.log` were verified as one unbroken chain, and its head
//!   then, sealed; written at each open and lock. An open verifies only the lines after it (and
//!   that the line it names still opens to that head), so unlocking does not grow slower as the
//!   log grows; without a usable checkpoint it verifies the whole chain. The export, and so
//!   `wardcam-admin` and the trust's record, always carry and check every entry.
//! - `public.key`: the audit public key (hex; not a secret). If someone swaps it, the entries sealed
//!   to their key cannot be folded: the chain records them as lost rather than dropping them.
//!
//! The keys (chain key, patient-hash key, X25519 secret) are one sealed vault item of kind
//! [`ItemKind::AuditKey`]; a wipe shreds it, and with it every line.

use std::collections::{BTreeMap, HashSet};
use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use base64::engine::general_purpose::STANDARD_NO_PAD;
use base64::Engine as _;
use ring::hmac;
use serde::{Deserialize, Serialize};
use x25519_dalek::{PublicKey, StaticSecret};
use zeroize::Zeroizing;

use super::entry::{verify_chain, ChainBreak, Entry, Event, Head, GENESIS};
use super::error::AuditError;
use super::sealed::{
    fresh_key, open_for, open_line, open_sealed, seal_for, seal_line, seal_to, CHECKPOINT_AAD,
    SENT_AAD, SUBJECT_AAD,
};
use crate::vault::{make_private_dir, ItemKind, Timestamp, Vault};

const CHAIN: &str = "chain.log";
const LOCKED: &str = "locked.log";
const PUBLIC: &str = "public.key";
const SUBJECTS: &str = "subjects.log";
const SENT: &str = "sent";
const CHECKPOINT: &str = "checkpoint";

/// The audit folder of the vault in `vault_dir`.
pub fn audit_dir(vault_dir: &Path) -> PathBuf {
    vault_dir.join("audit")
}

/// The keys, as sealed in the vault.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyRecord {
    v: u8,
    chain: Zeroizing<String>,
    patient: Zeroizing<String>,
    secret: Zeroizing<String>,
}

struct Keys {
    chain: Zeroizing<[u8; 32]>,
    patient: hmac::Key,
    secret: StaticSecret,
    public: [u8; 32],
}

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Keys(..)")
    }
}

fn hex32(s: &str) -> Result<Zeroizing<[u8; 32]>, AuditError> {
    let mut out = Zeroizing::new([0u8; 32]);
    hex::decode_to_slice(s, out.as_mut()).map_err(|_| AuditError::KeyDamaged)?;
    Ok(out)
}

impl Keys {
    fn from_record(r: &KeyRecord) -> Result<Keys, AuditError> {
        if r.v != 1 {
            return Err(AuditError::KeyDamaged);
        }
        let chain = hex32(&r.chain)?;
        let patient = hmac::Key::new(hmac::HMAC_SHA256, hex32(&r.patient)?.as_ref());
        let secret = StaticSecret::from(*hex32(&r.secret)?);
        let public = *PublicKey::from(&secret).as_bytes();
        Ok(Keys {
            chain,
            patient,
            secret,
            public,
        })
    }

    /// Reads the vault's audit keys, making them the first time.
    fn load_or_create(vault: &Vault, now: Timestamp) -> Result<Keys, AuditError> {
        let mut items: Vec<_> = vault
            .list()?
            .into_iter()
            .filter(|m| m.kind == ItemKind::AuditKey)
            .collect();
        // One is ever made; should a crash have left two, the oldest is the one lines were
        // sealed under.
        items.sort_by_key(|m| (m.created_at, m.id));
        if let Some(first) = items.first() {
            let bytes = vault.unseal(first.id)?;
            let record: KeyRecord =
                serde_json::from_slice(&bytes).map_err(|_| AuditError::KeyDamaged)?;
            return Keys::from_record(&record);
        }
        let record = KeyRecord {
            v: 1,
            chain: Zeroizing::new(hex::encode(*fresh_key()?)),
            patient: Zeroizing::new(hex::encode(*fresh_key()?)),
            secret: Zeroizing::new(hex::encode(*fresh_key()?)),
        };
        let json = Zeroizing::new(
            serde_json::to_vec(&record).map_err(|_| AuditError::Crypto("encode the audit keys"))?,
        );
        vault.seal(ItemKind::AuditKey, &json, None, now)?;
        Keys::from_record(&record)
    }
}

/// What the phone reports of its audit log (Device screen, managed feedback).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditStatus {
    /// The chain's head: entries, last sequence number and hash.
    pub head: Head,
    /// Where the chain on the phone breaks, if it does (a damaged or edited line).
    pub broken: Option<ChainBreak>,
    /// Entries lost since the log opened (writes that failed, locked entries unreadable).
    pub lost: u64,
}

/// How the trust's record names a visit's patient, as `subjects.log` holds it.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SubjectRecord {
    visit: String,
    reference: serde_json::Value,
}

/// The last entry the trust's record holds.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SentRecord {
    seq: u64,
    hash: String,
}

/// The chain's first `lines` lines verified as one unbroken chain ending at `seq`/`hash`, and
/// the SHA-256 of those lines as they were ([`prefix_digest`]): any change to them since (a line
/// edited, damaged, removed, moved or added) sends the next open back to verifying everything.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Checkpoint {
    lines: u64,
    digest: String,
    seq: u64,
    hash: String,
}

/// SHA-256 over `lines` (each length-prefixed), hex. Hashing the sealed bytes is far cheaper than
/// opening, parsing and re-hashing each entry, which is what a full verification does.
fn prefix_digest(lines: &[Vec<u8>]) -> String {
    let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
    for line in lines {
        ctx.update(&(line.len() as u64).to_le_bytes());
        ctx.update(line);
    }
    hex::encode(ctx.finish().as_ref())
}

/// A locked entry, before it joins the chain.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct LockedRecord {
    id: String,
    at: u64,
    event: Event,
}

/// The open audit log: the vault is open, its keys in memory.
#[derive(Debug)]
pub struct Journal {
    dir: PathBuf,
    keys: Keys,
    head: Option<(u64, String)>,
    entries: u64,
    /// Complete lines in `chain.log` (readable or not).
    lines: u64,
    /// The line the last open verified from (after its checkpoint), 0 for the whole chain.
    checked_from: u64,
    broken: Option<ChainBreak>,
    lost: u64,
}

fn append_line(path: &Path, line: &[u8]) -> Result<(), AuditError> {
    let mut o = OpenOptions::new();
    o.create(true).append(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    let mut file = o.open(path).map_err(AuditError::io("open its file"))?;
    let mut buf = STANDARD_NO_PAD.encode(line).into_bytes();
    buf.push(b'\n');
    file.write_all(&buf)
        .and_then(|()| file.sync_data())
        .map_err(AuditError::io("write an entry"))
}

/// The complete lines of `path` (a torn last line is cut off the file); none if it is absent.
fn read_lines(path: &Path) -> Result<Vec<Vec<u8>>, AuditError> {
    let bytes = match fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(AuditError::Io("read its file", e.kind())),
    };
    let complete = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    if complete < bytes.len() {
        let file = OpenOptions::new()
            .write(true)
            .open(path)
            .map_err(AuditError::io("repair its file"))?;
        file.set_len(complete as u64)
            .and_then(|()| file.sync_all())
            .map_err(AuditError::io("repair its file"))?;
    }
    Ok(bytes[..complete]
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| STANDARD_NO_PAD.decode(l).unwrap_or_default())
        .collect())
}

impl Journal {
    /// Opens the vault's audit log (making its keys the first time), checks its chain and folds in
    /// the entries made while locked. `now` stamps what joins the chain.
    pub fn open(vault: &Vault, now: Timestamp) -> Result<Journal, AuditError> {
        let dir = audit_dir(vault.dir());
        // Private to the app, as the vault's own folders are.
        make_private_dir(&dir)?;
        let keys = Keys::load_or_create(vault, now)?;
        let public_hex = hex::encode(keys.public);
        let public_path = dir.join(PUBLIC);
        if fs::read_to_string(&public_path).ok().as_deref() != Some(public_hex.as_str()) {
            write_atomically(&public_path, public_hex.as_bytes(), "write its public key")?;
        }
        let mut journal = Journal {
            dir,
            keys,
            head: None,
            entries: 0,
            lines: 0,
            checked_from: 0,
            broken: None,
            lost: 0,
        };
        let lines = read_lines(&journal.dir.join(CHAIN))?;
        journal.lines = lines.len() as u64;
        // From the checkpoint when it still holds, else from the start.
        let (entries, broken, before) = match journal.after_checkpoint(&lines) {
            Some((cp, entries, broken)) => (entries, broken, Some(cp)),
            None => {
                let (entries, broken) = journal.chain_of(&lines, 0, None);
                (entries, broken, None)
            }
        };
        journal.checked_from = before.as_ref().map_or(0, |cp| cp.lines);
        journal.entries = journal.checked_from + entries.len() as u64;
        journal.head = entries
            .last()
            .map(|e| (e.seq, e.hash()))
            .or_else(|| before.as_ref().map(|cp| (cp.seq, cp.hash.clone())));
        journal.broken = broken;
        let ids = |entries: &[Entry]| -> Vec<String> {
            entries
                .iter()
                .filter_map(|e| e.made_while_locked.as_ref().map(|l| l.id.clone()))
                .collect()
        };
        let mut folded: HashSet<String> = ids(&entries).into_iter().collect();
        // A fold is finished (its file removed) before a checkpoint is written, so ids before it
        // should not come back; should they (a file put back), the whole chain is asked.
        if before.is_some() && journal.dir.join(LOCKED).exists() {
            folded.extend(ids(&journal.read_chain()?.0));
        }
        journal.fold_locked(&folded, now)?;
        if journal.lines != journal.checked_from {
            journal.save_checkpoint();
        }
        Ok(journal)
    }

    /// The entries after a usable checkpoint, and the first break among them: `None` when there
    /// is no checkpoint, it cannot be opened, the chain is shorter than it says, or the line it
    /// names no longer opens to its head (the file was cut or changed before it).
    fn after_checkpoint(
        &self,
        lines: &[Vec<u8>],
    ) -> Option<(Checkpoint, Vec<Entry>, Option<ChainBreak>)> {
        let sealed = fs::read(self.dir.join(CHECKPOINT)).ok()?;
        let plain = open_for(&self.keys.chain, CHECKPOINT_AAD, &sealed)?;
        let cp: Checkpoint = serde_json::from_slice(&plain).ok()?;
        let last = usize::try_from(cp.lines).ok()?.checked_sub(1)?;
        if prefix_digest(lines.get(..=last)?) != cp.digest {
            return None;
        }
        let at = open_line(&self.keys.chain, &lines[last])
            .and_then(|plain| serde_json::from_slice::<Entry>(&plain).ok())?;
        if at.seq != cp.seq || at.hash() != cp.hash {
            return None;
        }
        let (entries, broken) = self.chain_of(
            &lines[last + 1..],
            last + 1,
            Some((cp.seq, cp.hash.as_str())),
        );
        Some((cp, entries, broken))
    }

    /// The line the last open verified from (0: the whole chain).
    #[cfg(test)]
    pub(super) fn checked_from(&self) -> u64 {
        self.checked_from
    }

    /// Records how far the chain is verified, when it is unbroken (a broken chain is verified
    /// whole at every open, so its break stays in the status). Best effort: without it the next
    /// open verifies everything.
    pub(crate) fn save_checkpoint(&self) {
        let (Some((seq, hash)), None) = (&self.head, &self.broken) else {
            return;
        };
        let Ok(lines) = read_lines(&self.dir.join(CHAIN)) else {
            return;
        };
        // The head is the last line: this journal is the only writer while it is open.
        if lines.len() as u64 != self.lines {
            return;
        }
        let cp = Checkpoint {
            lines: self.lines,
            digest: prefix_digest(&lines),
            seq: *seq,
            hash: hash.clone(),
        };
        let sealed = serde_json::to_vec(&cp)
            .ok()
            .and_then(|plain| seal_for(&self.keys.chain, CHECKPOINT_AAD, &plain).ok());
        if let Some(sealed) = sealed {
            let _ = write_atomically(
                &self.dir.join(CHECKPOINT),
                &sealed,
                "record how far it is verified",
            );
        }
    }

    /// Every readable entry in order, and the first break (unreadable line or broken link).
    fn read_chain(&self) -> Result<(Vec<Entry>, Option<ChainBreak>), AuditError> {
        Ok(self.chain_of(&read_lines(&self.dir.join(CHAIN))?, 0, None))
    }

    /// The readable entries of `lines` (the file's lines from `first`), and their first break,
    /// checked from `start` (the entry before them) or from the chain's start.
    fn chain_of(
        &self,
        lines: &[Vec<u8>],
        first: usize,
        start: Option<(u64, &str)>,
    ) -> (Vec<Entry>, Option<ChainBreak>) {
        let mut entries = Vec::new();
        let mut broken = None;
        for (index, line) in lines.iter().enumerate() {
            let entry = open_line(&self.keys.chain, line)
                .and_then(|plain| serde_json::from_slice::<Entry>(&plain).ok());
            match entry {
                Some(e) => entries.push(e),
                None => {
                    broken.get_or_insert(ChainBreak {
                        index: first + index,
                        seq: None,
                        what: super::entry::BreakKind::Unreadable,
                    });
                }
            }
        }
        if broken.is_none() {
            broken = verify_chain(&entries, start, None)
                .err()
                .map(|b| ChainBreak {
                    index: first + b.index,
                    ..b
                });
        }
        (entries, broken)
    }

    fn fold_locked(&mut self, folded: &HashSet<String>, now: Timestamp) -> Result<(), AuditError> {
        let path = self.dir.join(LOCKED);
        let lines = read_lines(&path)?;
        if lines.is_empty() {
            return Ok(());
        }
        let mut unreadable = 0u64;
        for line in &lines {
            let record = open_sealed(&self.keys.secret, line)
                .and_then(|plain| serde_json::from_slice::<LockedRecord>(&plain).ok());
            match record {
                Some(r) if folded.contains(&r.id) => {}
                Some(r) => {
                    let locked = super::entry::MadeWhileLocked { at: r.at, id: r.id };
                    self.write(r.event, now, Some(locked))?;
                }
                None => unreadable += 1,
            }
        }
        if unreadable > 0 {
            self.write(
                Event::EntriesLost {
                    count: unreadable,
                    why: "locked_unreadable".to_owned(),
                },
                now,
                None,
            )?;
        }
        fs::remove_file(&path).map_err(AuditError::io("clear the locked entries"))?;
        Ok(())
    }

    fn write(
        &mut self,
        event: Event,
        now: Timestamp,
        made_while_locked: Option<super::entry::MadeWhileLocked>,
    ) -> Result<Entry, AuditError> {
        let (seq, prev) = match &self.head {
            Some((seq, hash)) => (seq + 1, hash.clone()),
            None => (0, GENESIS.to_owned()),
        };
        let entry = Entry {
            seq,
            at: now.0,
            made_while_locked,
            event,
            prev,
        };
        let sealed = seal_line(&self.keys.chain, &entry.canonical())?;
        append_line(&self.dir.join(CHAIN), &sealed)?;
        self.head = Some((seq, entry.hash()));
        self.entries += 1;
        self.lines += 1;
        Ok(entry)
    }

    /// Appends `event`. A failed write is counted, and the next entry that can be written is
    /// preceded by one saying how many were lost.
    pub fn append(&mut self, event: Event, now: Timestamp) -> Result<Entry, AuditError> {
        if self.lost > 0 {
            let lost = Event::EntriesLost {
                count: self.lost,
                why: "write_failed".to_owned(),
            };
            if let Err(e) = self.write(lost, now, None) {
                self.lost += 1;
                return Err(e);
            }
            self.lost = 0;
        }
        self.write(event, now, None).inspect_err(|_| self.lost += 1)
    }

    /// Every entry, for export (a device manager's `wardcam-admin audit verify`, the trust's
    /// AuditEvents).
    pub fn entries(&self) -> Result<Vec<Entry>, AuditError> {
        Ok(self.read_chain()?.0)
    }

    /// The head and health of the chain.
    pub fn status(&self) -> AuditStatus {
        let head = match &self.head {
            Some((seq, hash)) => Head {
                entries: self.entries,
                seq: *seq,
                hash: hash.clone(),
            },
            None => Head {
                entries: 0,
                seq: 0,
                hash: GENESIS.to_owned(),
            },
        };
        AuditStatus {
            head,
            broken: self.broken.clone(),
            lost: self.lost,
        }
    }

    /// The keyed hash that names a patient in the log: HMAC-SHA256 under the phone's audit key of
    /// the identifier's system and value, hex. The same patient hashes the same on this phone, and
    /// differently on another; without the key it cannot be reversed by trying NHS numbers.
    pub fn patient_hash(&self, system: &str, value: &str) -> String {
        let mut msg = Vec::with_capacity(system.len() + value.len() + 1);
        msg.extend_from_slice(system.as_bytes());
        msg.push(0);
        msg.extend_from_slice(value.as_bytes());
        hex::encode(hmac::sign(&self.keys.patient, &msg).as_ref())
    }

    /// Names this phone's chain among others on the trust's record: the audit public key, hex
    /// (not a secret; it changes only with a new vault).
    pub fn chain_id(&self) -> String {
        hex::encode(self.keys.public)
    }

    /// Keeps, sealed, how the trust's record names the patient of `visit` (`reference`, a FHIR
    /// reference by identifier), so the AuditEvents about the visit can name them as the record
    /// does after the visit itself has left the phone.
    pub fn note_subject(
        &self,
        visit: &str,
        reference: &serde_json::Value,
    ) -> Result<(), AuditError> {
        let record = SubjectRecord {
            visit: visit.to_owned(),
            reference: reference.clone(),
        };
        let plain = Zeroizing::new(
            serde_json::to_vec(&record).map_err(|_| AuditError::Crypto("encode a subject"))?,
        );
        let sealed = seal_for(&self.keys.chain, SUBJECT_AAD, &plain)?;
        append_line(&self.dir.join(SUBJECTS), &sealed)
    }

    /// The patients noted, by visit. A line that cannot be opened is passed over: its visit's
    /// AuditEvents then go without the patient, never with another's.
    pub fn subjects(&self) -> Result<BTreeMap<String, serde_json::Value>, AuditError> {
        let mut out = BTreeMap::new();
        for line in read_lines(&self.dir.join(SUBJECTS))? {
            let record = open_for(&self.keys.chain, SUBJECT_AAD, &line)
                .and_then(|plain| serde_json::from_slice::<SubjectRecord>(&plain).ok());
            if let Some(r) = record {
                out.insert(r.visit, r.reference);
            }
        }
        Ok(out)
    }

    /// Forgets every noted patient whose visit `keep` does not want any more (rewritten whole,
    /// atomically).
    pub fn keep_subjects(&self, keep: impl Fn(&str) -> bool) -> Result<(), AuditError> {
        let path = self.dir.join(SUBJECTS);
        let lines = read_lines(&path)?;
        let mut kept = Vec::new();
        let mut dropped = false;
        for line in lines {
            let visit = open_for(&self.keys.chain, SUBJECT_AAD, &line)
                .and_then(|plain| serde_json::from_slice::<SubjectRecord>(&plain).ok())
                .map(|r| r.visit);
            match visit {
                Some(v) if keep(&v) => {
                    kept.extend_from_slice(STANDARD_NO_PAD.encode(&line).as_bytes());
                    kept.push(b'\n');
                }
                // Unreadable lines go too: nothing can use them.
                _ => dropped = true,
            }
        }
        if !dropped {
            return Ok(());
        }
        if kept.is_empty() {
            return match fs::remove_file(&path) {
                Ok(()) => Ok(()),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
                Err(e) => Err(AuditError::Io("forget delivered subjects", e.kind())),
            };
        }
        write_atomically(&path, &kept, "forget delivered subjects")
    }

    /// The last entry the trust's record is known to hold (sequence number and hash); `None`
    /// when nothing was sent or the record of it cannot be read (everything goes again).
    pub fn sent(&self) -> Option<(u64, String)> {
        let bytes = fs::read(self.dir.join(SENT)).ok()?;
        let plain = open_for(&self.keys.chain, SENT_AAD, &bytes)?;
        let r: SentRecord = serde_json::from_slice(&plain).ok()?;
        Some((r.seq, r.hash))
    }

    /// Records that the trust's record holds every entry up to `seq` (whose hash is `hash`).
    pub fn mark_sent(&self, seq: u64, hash: &str) -> Result<(), AuditError> {
        let record = SentRecord {
            seq,
            hash: hash.to_owned(),
        };
        let plain =
            serde_json::to_vec(&record).map_err(|_| AuditError::Crypto("encode the sent mark"))?;
        let sealed = seal_for(&self.keys.chain, SENT_AAD, &plain)?;
        write_atomically(&self.dir.join(SENT), &sealed, "record what the trust holds")
    }
}

fn write_atomically(path: &Path, bytes: &[u8], what: &'static str) -> Result<(), AuditError> {
    let tmp = path.with_extension("tmp");
    let mut o = OpenOptions::new();
    o.create(true).write(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    let mut f = o.open(&tmp).map_err(AuditError::io(what))?;
    f.write_all(bytes)
        .and_then(|()| f.sync_all())
        .and_then(|()| fs::rename(&tmp, path))
        .map_err(AuditError::io(what))
}

/// Records `event` while the app is locked (no chain key in memory): sealed to the public key in
/// `audit_dir(vault_dir)`, folded into the chain at the next unlock. Returns `false` when there is
/// no log yet to add to (no vault has been opened on this phone).
pub fn append_locked(vault_dir: &Path, event: Event, now: Timestamp) -> Result<bool, AuditError> {
    let dir = audit_dir(vault_dir);
    let public = match fs::read_to_string(dir.join(PUBLIC)) {
        Ok(s) => s,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(AuditError::Io("read its public key", e.kind())),
    };
    let mut key = [0u8; 32];
    hex::decode_to_slice(public.trim(), &mut key).map_err(|_| AuditError::KeyDamaged)?;
    let mut id = [0u8; 16];
    ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut id)
        .map_err(|_| AuditError::Crypto("read the system's random numbers"))?;
    let record = LockedRecord {
        id: hex::encode(id),
        at: now.0,
        event,
    };
    let plain =
        serde_json::to_vec(&record).map_err(|_| AuditError::Crypto("encode a locked entry"))?;
    append_line(&dir.join(LOCKED), &seal_to(&key, &plain)?)?;
    Ok(true)
}
