//! The ward visit under crashes (issue 11): a child process drives a [`Ward`] through random
//! operations and is killed with SIGKILL at random points; after each kill the parent recovers a
//! copy of the vault with a fresh [`Ward`] and checks that every acknowledged photo is there once,
//! as last acknowledged, and that nothing unreferenced or withdrawn survives. Then focused tests
//! build each intermediate state a crash can leave by hand and check what recovery rebuilds.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeSet, HashMap, HashSet};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use zeroize::Zeroizing;

use crate::crash_child::kill_at_random_moment;

use super::testing::{self, jpeg, BAND};
use super::{
    decode, encode, read_manifest, Candidate, Clock, LocalState, PhotoId, PhotoManifest, PhotoView,
    RecoveryReport, Storage, VisitRecord, Ward, WithdrawalRecord,
};
use crate::consent::{ConsentForm, ConsentText, ConsentedBy, Decision, Method};
use crate::intake::{Rect, Redaction};
use crate::review::{Label, Laterality, BODY_SITES};
use crate::session::{Millis, Purpose, SessionPolicy, State, UnlockMethod};
use crate::vault::danger::MemoryKeyStore;
use crate::vault::tests::FileKeyStore;
use crate::vault::{ItemId, ItemKind, KeyStore, Timestamp, Vault, VaultError};
use crate::Error;

// ---- fixtures ----------------------------------------------------------------------------------

/// A session clock that counts from its start and a wall clock that only moves forward, one
/// millisecond per reading at least (so capture times order photos even within a millisecond).
#[derive(Debug)]
struct TestClock {
    started: Instant,
    last_wall: AtomicU64,
}

impl TestClock {
    fn new() -> TestClock {
        TestClock {
            started: Instant::now(),
            last_wall: AtomicU64::new(0),
        }
    }
}

impl Clock for TestClock {
    fn session(&self) -> Millis {
        Millis(u64::try_from(self.started.elapsed().as_millis()).unwrap())
    }
    fn wall(&self) -> Timestamp {
        let now = Timestamp::now().0;
        let prev = self
            .last_wall
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |l| Some(now.max(l + 1)))
            .unwrap();
        Timestamp(now.max(prev + 1))
    }
}

/// Storage with room for anything.
#[derive(Debug)]
struct Roomy;

impl Storage for Roomy {
    fn available(&self, _dir: &Path) -> Option<u64> {
        Some(u64::MAX)
    }
}

fn new_ward() -> Ward {
    Ward::with(
        SessionPolicy {
            idle_timeout_ms: 24 * 3_600_000,
            allow_development_unlock: true,
        },
        Arc::new(TestClock::new()),
        Arc::new(Roomy),
    )
}

const PIN: &str = "270513";

/// Sets the clinician PIN (consent records need the clinician's name) unless one is set.
fn set_pin(ward: &Ward) -> Result<(), Error> {
    if !ward.pin_status()?.set {
        ward.set_pin(&Zeroizing::new(PIN.to_owned()), "Dr A Jones", None)?;
    }
    Ok(())
}

fn candidate() -> Candidate {
    testing::candidate(BAND)
}

fn consent_form() -> ConsentForm {
    testing::verbal()
}

/// Identifies the test patient, confirms and records verbal consent.
fn open_visit(ward: &Ward) -> Result<(), Error> {
    ward.identify(candidate())?;
    ward.confirm()?;
    ward.record_consent(consent_form())?;
    Ok(())
}

/// Opens the camera (if it is not open) and takes a photo.
fn capture(ward: &Ward, seed: u64) -> Result<PhotoView, Error> {
    if ward.view()?.state != State::Capturing {
        ward.start_capture()?;
    }
    ward.capture(&jpeg(seed), Purpose::Care)
}

const LATERALITIES: [Laterality; 4] = [
    Laterality::Left,
    Laterality::Right,
    Laterality::Bilateral,
    Laterality::NotApplicable,
];

/// A valid label chosen by `x`: a body site and a side it allows.
fn label_for(x: u64) -> (String, usize, Label) {
    let site = BODY_SITES[(x % BODY_SITES.len() as u64) as usize];
    let side = if site.paired {
        ((x >> 16) % 3) as usize
    } else {
        3
    };
    let label = Label::new(site.code, LATERALITIES[side], "wound").unwrap();
    (site.code.to_owned(), side, label)
}

fn redaction() -> Redaction {
    Redaction {
        crop: None,
        fills: vec![Rect {
            x: 0.25,
            y: 0.25,
            width: 0.5,
            height: 0.5,
        }],
    }
}

/// Every live record of one kind in `vault`, decoded, with its item.
fn records<T: super::Record>(vault: &Vault, kind: ItemKind) -> Vec<(ItemId, T)> {
    vault
        .list()
        .unwrap()
        .iter()
        .filter(|m| m.kind == kind)
        .map(|m| (m.id, decode::<T>(&vault.unseal(m.id).unwrap()).unwrap()))
        .collect()
}

fn exists(vault: &Vault, id: ItemId) -> bool {
    match vault.meta(id) {
        Ok(_) => true,
        Err(VaultError::NotFound) => false,
        Err(e) => panic!("{id}: {e:?}"),
    }
}

/// Checks the vault after recovery against the outbox `listed`: one manifest per listed photo and
/// none for another; one record per visit; every photo, thumbnail, consent and signature item named
/// by a live manifest or visit record; every listed photo's image and thumbnail open; no photo of a
/// withdrawn consent left; each photo's consent still held by its visit.
fn check_vault(vault: &Vault, listed: &HashMap<PhotoId, PhotoView>, when: &str) {
    let manifests: Vec<(ItemId, PhotoManifest)> = records(vault, ItemKind::Manifest);
    let visits: Vec<(ItemId, VisitRecord)> = records(vault, ItemKind::Visit);
    let withdrawals: Vec<(ItemId, WithdrawalRecord)> = records(vault, ItemKind::Withdrawal);
    let mut named: HashSet<ItemId> = HashSet::new();
    let mut photos = HashSet::new();
    for (_, m) in &manifests {
        assert!(
            photos.insert(m.photo_id),
            "{when}: two manifests for {}",
            m.photo_id
        );
        assert!(
            listed.contains_key(&m.photo_id),
            "{when}: {} has a manifest but is not listed",
            m.photo_id
        );
        named.extend(m.items());
        assert!(
            !vault.unseal(m.image).unwrap().is_empty(),
            "{when}: empty image"
        );
    }
    assert_eq!(
        photos.len(),
        listed.len(),
        "{when}: listed photos without a manifest"
    );
    let mut by_visit = HashMap::new();
    for (_, v) in &visits {
        assert!(
            by_visit.insert(v.visit_id, v).is_none(),
            "{when}: two records for visit {}",
            v.visit_id
        );
        named.extend(v.items());
    }
    for (_, m) in &manifests {
        let v = by_visit
            .get(&m.visit_id)
            .unwrap_or_else(|| panic!("{when}: {} has no visit record", m.photo_id));
        assert_eq!(
            v.consent.as_ref().map(|c| c.consent_id),
            Some(m.consent.consent_id),
            "{when}: {} survives but its consent is not the visit's consent in force",
            m.photo_id
        );
        assert!(
            exists(vault, m.consent.record_item),
            "{when}: consent record of {} gone",
            m.photo_id
        );
    }
    for (_, w) in &withdrawals {
        for p in &w.photos {
            assert!(
                !listed.contains_key(p),
                "{when}: withdrawn photo {p} survives"
            );
        }
        for (_, m) in &manifests {
            assert!(
                !(m.visit_id == w.visit_id && m.consent.consent_id == w.consent_id),
                "{when}: a photo of a withdrawn consent survives: {}",
                m.photo_id
            );
        }
    }
    let pins = vault
        .list()
        .unwrap()
        .iter()
        .filter(|m| m.kind == ItemKind::ClinicianPin)
        .count();
    assert!(pins <= 1, "{when}: {pins} PIN items after recovery");
    for meta in vault.list().unwrap() {
        match meta.kind {
            ItemKind::Photo | ItemKind::Thumbnail | ItemKind::Consent | ItemKind::Signature => {
                assert!(
                    named.contains(&meta.id),
                    "{when}: unreferenced {:?} item {} after recovery",
                    meta.kind,
                    meta.id
                );
            }
            ItemKind::Manifest
            | ItemKind::Visit
            | ItemKind::Withdrawal
            | ItemKind::ClinicianPin
            | ItemKind::Receipt
            | ItemKind::AuditKey
            | ItemKind::Retention => {}
            // Parcels live only in the outbound vault, never beside the photos.
            ItemKind::Parcel | ItemKind::ParcelState => {
                panic!("a {:?} item in the main vault", meta.kind)
            }
        }
    }
}

/// Opens the vault in `dir`, recovers it with a fresh ward, unlocks and lists the outbox; checks
/// that nothing is listed twice and that every thumbnail opens.
fn recover_and_list(
    dir: &Path,
    keys: &dyn KeyStore,
    when: &str,
) -> (
    Arc<Vault>,
    Ward,
    RecoveryReport,
    HashMap<PhotoId, PhotoView>,
) {
    let vault = Arc::new(Vault::open(dir, keys).unwrap());
    let ward = new_ward();
    let report = ward
        .attach_vault(vault.clone())
        .unwrap_or_else(|e| panic!("{when}: recovery failed: {e:?}"));
    ward.unlock(UnlockMethod::Development).unwrap();
    let outbox = ward.outbox().unwrap();
    let mut listed = HashMap::new();
    for p in outbox {
        let thumb = ward
            .thumbnail(p.id)
            .unwrap_or_else(|e| panic!("{when}: thumbnail of {} fails: {e:?}", p.id));
        assert_eq!(
            &thumb[..2],
            &[0xff, 0xd8],
            "{when}: thumbnail is not a JPEG"
        );
        let id = p.id;
        assert!(listed.insert(id, p).is_none(), "{when}: {id} listed twice");
    }
    (vault, ward, report, listed)
}

// ---- the crash campaign ------------------------------------------------------------------------

const CRASH_ENV: &str = "WARDCAM_VISIT_CRASH_CHILD";
const READY: &str = "WARDCAM-VISIT-CRASH-CHILD-READY";

/// Appends whole lines to the child's log (no fsync: only the process is killed, not the machine).
#[derive(Debug)]
struct Log(fs::File);

impl Log {
    fn line(&mut self, s: &str) {
        self.0.write_all(format!("{s}\n").as_bytes()).unwrap();
    }

    /// Logs `try <what>`, runs `f`, and on success logs `ok <what><suffix(result)>`.
    fn op<T>(
        &mut self,
        what: &str,
        f: impl FnOnce() -> Result<T, Error>,
        suffix: impl FnOnce(&T) -> String,
    ) -> Result<T, Error> {
        self.line(&format!("try {what}"));
        let t = f()?;
        let s = suffix(&t);
        self.line(&format!("ok {what}{s}"));
        Ok(t)
    }
}

/// No suffix for the `ok` line.
fn none<T>(_: &T) -> String {
    String::new()
}

fn ids(photos: &[PhotoId]) -> String {
    photos.iter().map(|p| format!(" {p}")).collect()
}

/// One random operation, valid in the ward's current state.
fn child_step(ward: &Ward, log: &mut Log, x: u64) -> Result<(), Error> {
    let view = ward.view()?;
    let outbox = ward.outbox()?;
    let mine: Vec<&PhotoView> = outbox.iter().filter(|p| p.current_visit).collect();
    let pending: Vec<PhotoId> = mine
        .iter()
        .filter(|p| p.state == LocalState::Captured)
        .map(|p| p.id)
        .collect();
    let others: Vec<&PhotoView> = outbox.iter().filter(|p| !p.current_visit).collect();
    let r = x % 100;
    let pick = |n: usize| ((x >> 8) % n as u64) as usize;

    // A withdrawal from the Outbox for an ended visit (often enough to keep the outbox small).
    if others.len() > 30 || (r < 6 && !others.is_empty()) {
        let p = others[pick(others.len())];
        let gone: Vec<PhotoId> = outbox
            .iter()
            .filter(|q| q.visit_id == p.visit_id)
            .map(|q| q.id)
            .collect();
        log.op(
            &format!("withdraw{}", ids(&gone)),
            || ward.withdraw(Some(p.id)),
            none,
        )?;
        return Ok(());
    }
    if view.patient.is_none() {
        if r < 20 && !outbox.is_empty() {
            let p = outbox[pick(outbox.len())].id;
            log.op(
                &format!("redact {p}"),
                || ward.redact(p, &redaction()),
                none,
            )?;
        } else {
            log.op("visit open", || open_visit(ward), none)?;
        }
        return Ok(());
    }
    if view.consented_purposes.is_none() {
        // Consent withdrawn (or the app died before it was recorded): consent again, or end.
        if r < 50 {
            log.op(
                "visit consent",
                || ward.record_consent(consent_form()),
                none,
            )?;
        } else {
            log.op("visit end", || ward.end_visit(), none)?;
        }
        return Ok(());
    }
    let queue_all = |log: &mut Log| -> Result<(), Error> {
        for (i, p) in mine.iter().enumerate() {
            if p.state == LocalState::Captured && p.body_site.is_none() {
                let (code, side, label) = label_for(x >> (i % 8));
                log.op(
                    &format!("label {} {code} {side}", p.id),
                    || ward.label(p.id, label),
                    none,
                )?;
            }
        }
        if ward.view()?.state != State::Reviewing {
            log.op("visit review", || ward.review(), none)?;
        }
        log.op(&format!("queue{}", ids(&pending)), || ward.queue(), none)?;
        Ok(())
    };
    if r < 40 && mine.len() < 12 {
        log.op(
            "capture",
            || capture(ward, x),
            |v: &PhotoView| format!(" {}", v.id),
        )?;
    } else if r < 54 && !pending.is_empty() {
        let p = pending[pick(pending.len())];
        let (code, side, label) = label_for(x >> 20);
        log.op(
            &format!("label {p} {code} {side}"),
            || ward.label(p, label),
            none,
        )?;
    } else if r < 62 && !mine.is_empty() {
        let p = mine[pick(mine.len())].id;
        log.op(
            &format!("redact {p}"),
            || ward.redact(p, &redaction()),
            none,
        )?;
    } else if r < 67 && !pending.is_empty() {
        let p = pending[pick(pending.len())];
        log.op(&format!("discard {p}"), || ward.discard(p), none)?;
    } else if r < 72 {
        let gone: Vec<PhotoId> = mine.iter().map(|p| p.id).collect();
        let target = if r.is_multiple_of(2) {
            None
        } else {
            gone.first().copied()
        };
        log.op(
            &format!("withdraw{}", ids(&gone)),
            || ward.withdraw(target),
            none,
        )?;
    } else if r < 86 && !pending.is_empty() {
        queue_all(log)?;
    } else {
        if !pending.is_empty() {
            queue_all(log)?;
        }
        log.op("visit end", || ward.end_visit(), none)?;
    }
    Ok(())
}

/// The child side of the crash campaign: recovers the vault, then runs random operations until
/// killed, logging each before (`try`) and after it returned Ok (`ok`). Does nothing unless
/// re-executed by `crash_at_random_points_loses_no_acknowledged_photo`.
#[test]
fn crash_child() {
    let Some(root) = std::env::var_os(CRASH_ENV) else {
        return;
    };
    let root = PathBuf::from(root);
    let keys = FileKeyStore(root.join("keys"));
    let vault = Arc::new(Vault::open_or_create(&root.join("vault"), &keys).unwrap());
    let ward = new_ward();
    ward.attach_vault(vault).unwrap();
    ward.unlock(UnlockMethod::Development).unwrap();
    let mut log = Log(fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(root.join("log"))
        .unwrap());
    log.op("visit pin", || set_pin(&ward), none).unwrap();
    let mut x = u64::from(std::process::id()) << 20 | 0x9e37;
    eprintln!("{READY}");
    loop {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        if let Err(e) = child_step(&ward, &mut log, x) {
            log.line(&format!("err {e:?}"));
            panic!("operation refused: {e:?}");
        }
    }
}

/// An operation as the log names it.
#[derive(Debug, Clone, PartialEq)]
enum Op {
    Capture,
    Label(PhotoId, String, Laterality),
    Queue(Vec<PhotoId>),
    Redact(PhotoId),
    Discard(PhotoId),
    Withdraw(Vec<PhotoId>),
    Visit,
}

fn parse_op(words: &[&str]) -> Op {
    let id = |i: usize| words[i].parse::<PhotoId>().unwrap();
    let all = || words[1..].iter().map(|w| w.parse().unwrap()).collect();
    match words[0] {
        "capture" => Op::Capture,
        "label" => Op::Label(
            id(1),
            words[2].to_owned(),
            LATERALITIES[words[3].parse::<usize>().unwrap()],
        ),
        "queue" => Op::Queue(all()),
        "redact" => Op::Redact(id(1)),
        "discard" => Op::Discard(id(1)),
        "withdraw" => Op::Withdraw(all()),
        "visit" => Op::Visit,
        other => panic!("unknown operation {other}"),
    }
}

impl Op {
    fn touches(&self, p: PhotoId) -> bool {
        match self {
            Op::Label(q, ..) | Op::Redact(q) | Op::Discard(q) => *q == p,
            Op::Queue(qs) | Op::Withdraw(qs) => qs.contains(&p),
            Op::Capture | Op::Visit => false,
        }
    }
}

/// What the parent expects of a photo in the outbox.
#[derive(Debug, Clone, PartialEq)]
struct Expect {
    label: Option<(String, Laterality)>,
    queued: bool,
    redacted: bool,
    version: u32,
}

impl Expect {
    fn captured() -> Expect {
        Expect {
            label: None,
            queued: false,
            redacted: false,
            version: 1,
        }
    }

    fn seen(p: &PhotoView) -> Expect {
        assert!(p.state != LocalState::Withdrawn, "a withdrawn photo listed");
        Expect {
            label: p
                .body_site
                .map(|s| (s.code.to_owned(), p.laterality.unwrap())),
            queued: p.state == LocalState::Queued,
            redacted: p.redacted,
            version: p.version,
        }
    }

    /// This photo after `op` (which touches it and does not remove it).
    fn after(&self, op: &Op) -> Expect {
        let mut e = self.clone();
        e.version += 1;
        match op {
            Op::Label(_, code, side) => e.label = Some((code.clone(), *side)),
            Op::Queue(_) => e.queued = true,
            Op::Redact(_) => e.redacted = true,
            _ => unreachable!("{op:?} does not update a photo"),
        }
        e
    }
}

#[derive(Debug, Default)]
struct CrashStats {
    kills: usize,
    kills_before_ready: usize,
    kills_mid_operation: usize,
    in_flight_landed: usize,
    acknowledged_ops: usize,
    acknowledged_captures: usize,
    withdrawals_acknowledged: usize,
    recoveries_with_stale_revisions: usize,
    stale_revisions: usize,
    recoveries_finishing_withdrawals: usize,
    withdrawn_photos_shredded: usize,
    recoveries_shredding_unreferenced: usize,
    unreferenced_items_shredded: usize,
    resumed_visits: usize,
    orphan_blobs_swept: usize,
    max_listed: usize,
}

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), target).unwrap();
        }
    }
}

const MIN_KILLS: usize = 120;
const MAX_KILLS: usize = 200;
const BUDGET: Duration = Duration::from_secs(150);

impl CrashStats {
    /// Whether the kills have landed where the test needs them (the floors asserted at its end).
    fn floors_met(&self) -> bool {
        self.acknowledged_captures >= 30
            && self.kills_mid_operation >= 100
            && self.in_flight_landed >= 15
            && self.recoveries_finishing_withdrawals >= 4
            && self.recoveries_shredding_unreferenced >= 12
            && self.kills_before_ready >= 10
    }
}

#[test]
fn crash_at_random_points_loses_no_acknowledged_photo() {
    static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());
    let _guard = ONE_AT_A_TIME.lock().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let keys = FileKeyStore(root.join("keys"));
    let dir = root.join("vault");
    let check = root.join("check");
    let log_path = root.join("log");
    let mut stats = CrashStats::default();
    let mut next = crate::crash_child::xorshift(0x2545_f491_4f6c_dd1du64);
    let started = Instant::now();
    // Every photo the parent knows is there, as it expects it.
    let mut model: HashMap<PhotoId, Expect> = HashMap::new();
    // At least `MIN_KILLS`; past them, rounds go on while time allows (`BUDGET`) and until every
    // floor asserted below is met, never beyond `MAX_KILLS`. A fixed 200 took five minutes once
    // each unlock also verified the audit chain, most of a CI run's margin.
    while stats.kills < MIN_KILLS
        || (stats.kills < MAX_KILLS && (started.elapsed() < BUDGET || !stats.floors_met()))
    {
        // Anywhere from start-up on (opening the vault, recovery), or a random moment once it
        // runs operations.
        let killed = kill_at_random_moment(
            "visit::crash_tests::crash_child",
            &[(CRASH_ENV, root)],
            READY,
            next(),
            Duration::from_millis(40),
            Duration::from_millis(400),
        );
        stats.kills += 1;
        stats.kills_before_ready += usize::from(!killed.ready);

        // What the child did: acknowledged operations, and the one in flight (a `try` with no
        // `ok`; a torn last line is ignored and cut off so the next child starts a fresh line).
        let log = fs::read_to_string(&log_path).unwrap_or_default();
        let complete = log.rfind('\n').map_or(0, |i| i + 1);
        let mut in_flight: Option<Op> = None;
        for line in log[..complete].lines() {
            let words: Vec<&str> = line.split(' ').collect();
            match words[0] {
                "try" => in_flight = Some(parse_op(&words[1..])),
                "ok" => {
                    let op = parse_op(&words[1..]);
                    stats.acknowledged_ops += 1;
                    match &op {
                        Op::Capture => {
                            let id: PhotoId = words[2].parse().unwrap();
                            assert!(model.insert(id, Expect::captured()).is_none());
                            stats.acknowledged_captures += 1;
                        }
                        Op::Label(p, ..) | Op::Redact(p) => {
                            let e = model.get_mut(p).expect("acknowledged for an unknown photo");
                            *e = e.after(&op);
                        }
                        Op::Queue(ps) => {
                            for p in ps {
                                let e = model.get_mut(p).expect("queued an unknown photo");
                                *e = e.after(&op);
                            }
                        }
                        Op::Discard(p) => {
                            model.remove(p).expect("discarded an unknown photo");
                        }
                        Op::Withdraw(ps) => {
                            stats.withdrawals_acknowledged += 1;
                            for p in ps {
                                model.remove(p).expect("withdrew an unknown photo");
                            }
                        }
                        Op::Visit => {}
                    }
                    in_flight = None;
                }
                _ => panic!("the child reported: {line}"),
            }
        }
        fs::OpenOptions::new()
            .write(true)
            .open(&log_path)
            .map(|f| f.set_len(0).unwrap())
            .ok();
        if in_flight.is_some() {
            stats.kills_mid_operation += 1;
        }

        if !dir.join("index.sqlite").exists() {
            assert!(model.is_empty());
            continue;
        }
        // Recover a copy, so the next child recovers the original itself (and may be killed
        // doing it).
        let _ = fs::remove_dir_all(&check);
        copy_dir(&dir, &check);
        let when = format!("after kill {} (in flight: {in_flight:?})", stats.kills);
        let vault = match Vault::open(&check, &keys) {
            Ok(v) => v,
            // Killed while creating the vault: nothing was done in it yet.
            Err(VaultError::NoVault) | Err(VaultError::KeyUnavailable) if model.is_empty() => {
                continue
            }
            Err(e) => panic!("{when}: reopen: {e:?}"),
        };
        stats.orphan_blobs_swept += vault.last_sweep().orphan_blobs_removed.len();
        drop(vault);
        let (vault, ward, report, listed) = recover_and_list(&check, &keys, &when);
        check_vault(&vault, &listed, &when);
        stats.max_listed = stats.max_listed.max(listed.len());
        if report.stale_revisions > 0 {
            stats.recoveries_with_stale_revisions += 1;
            stats.stale_revisions += report.stale_revisions;
        }
        if report.withdrawn_photos_shredded > 0 {
            stats.recoveries_finishing_withdrawals += 1;
            stats.withdrawn_photos_shredded += report.withdrawn_photos_shredded;
        }
        if report.unreferenced_items_shredded > 0 {
            stats.recoveries_shredding_unreferenced += 1;
            stats.unreferenced_items_shredded += report.unreferenced_items_shredded;
        }
        stats.resumed_visits += usize::from(report.resumed_visit);
        assert_eq!(report.unreadable_records, 0, "{when}");

        // Every photo expected is there as expected, or as the operation in flight left it.
        let mut landed = false;
        for (id, want) in &model {
            let touched = in_flight.as_ref().filter(|op| op.touches(*id));
            match (listed.get(id), touched) {
                (Some(p), touched) => {
                    let got = Expect::seen(p);
                    if got == *want {
                        continue;
                    }
                    match touched {
                        Some(op @ (Op::Label(..) | Op::Queue(_) | Op::Redact(_)))
                            if got == want.after(op) =>
                        {
                            landed = true;
                        }
                        _ => panic!("{when}: {id} is {got:?}, expected {want:?}"),
                    }
                }
                (None, Some(Op::Discard(_) | Op::Withdraw(_))) => landed = true,
                (None, _) => panic!("{when}: acknowledged photo {id} ({want:?}) lost"),
            }
        }
        // A withdrawal is all or nothing.
        if let Some(Op::Withdraw(ps)) = &in_flight {
            let left = ps.iter().filter(|p| listed.contains_key(p)).count();
            assert!(
                left == 0 || left == ps.len(),
                "{when}: {left} of {} photos of a withdrawal left",
                ps.len()
            );
        }
        // Nothing listed that was never acknowledged, but for the capture in flight.
        let unknown: Vec<&PhotoView> = listed
            .values()
            .filter(|p| !model.contains_key(&p.id))
            .collect();
        match (unknown.as_slice(), &in_flight) {
            ([], _) => {}
            ([p], Some(Op::Capture)) => {
                assert_eq!(Expect::seen(p), Expect::captured(), "{when}");
                assert!(
                    p.current_visit,
                    "{when}: a capture landed outside its visit"
                );
                landed = true;
            }
            _ => panic!("{when}: photos listed that were never acknowledged: {unknown:?}"),
        }
        if landed {
            stats.in_flight_landed += 1;
        }
        // From here on, what recovery found is what the next child starts from.
        model = listed.values().map(|p| (p.id, Expect::seen(p))).collect();
        drop(ward);
        drop(vault);
    }
    let stats_line = format!("{stats:?}");
    eprintln!(
        "visit crash test: {} kills ({} before the child was ready, {} mid-operation, {} with \
         the operation in flight landed), {} acknowledged operations ({} captures, {} \
         withdrawals); recoveries: {} with stale revisions ({} shredded), {} finishing \
         withdrawals ({} photos), {} shredding unreferenced items ({} items), {} resumed visits; \
         {} orphan blobs swept; at most {} photos listed; {:.1} s",
        stats.kills,
        stats.kills_before_ready,
        stats.kills_mid_operation,
        stats.in_flight_landed,
        stats.acknowledged_ops,
        stats.acknowledged_captures,
        stats.withdrawals_acknowledged,
        stats.recoveries_with_stale_revisions,
        stats.stale_revisions,
        stats.recoveries_finishing_withdrawals,
        stats.withdrawn_photos_shredded,
        stats.recoveries_shredding_unreferenced,
        stats.unreferenced_items_shredded,
        stats.resumed_visits,
        stats.orphan_blobs_swept,
        stats.max_listed,
        started.elapsed().as_secs_f64()
    );
    // The kills must have landed inside operations, or the test proves nothing. (Two runs on a
    // loaded 2-core machine gave 83 captures, 163 kills mid-operation with 51 landed, 18
    // finishing withdrawals, 39 shredding leftovers and 36 kills before the child was ready; the
    // floors are about a third of that.)
    assert!(stats.acknowledged_captures >= 30, "{stats_line}");
    assert!(stats.kills_mid_operation >= 100, "{stats_line}");
    assert!(stats.in_flight_landed >= 15, "{stats_line}");
    // A record's next revision retires the old one in the same commit, so a kill can never leave
    // two (recovery still handles them, for vaults written before: the by-hand test below).
    assert_eq!(stats.stale_revisions, 0, "{stats_line}");
    assert!(stats.recoveries_finishing_withdrawals >= 4, "{stats_line}");
    assert!(
        stats.recoveries_shredding_unreferenced >= 12,
        "{stats_line}"
    );
    assert!(stats.kills_before_ready >= 10, "{stats_line}");
}

// ---- intermediate states built by hand ---------------------------------------------------------

/// A vault with a ward attached and unlocked, in a temporary folder with an in-memory keystore.
struct Fixture {
    _tmp: tempfile::TempDir,
    dir: PathBuf,
    keys: MemoryKeyStore,
}

impl Fixture {
    fn new() -> (Fixture, Arc<Vault>, Ward) {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("vault");
        let keys = MemoryKeyStore::new();
        let vault = Arc::new(Vault::create(&dir, &keys).unwrap());
        let ward = new_ward();
        ward.attach_vault(vault.clone()).unwrap();
        ward.unlock(UnlockMethod::Development).unwrap();
        set_pin(&ward).unwrap();
        (
            Fixture {
                _tmp: tmp,
                dir,
                keys,
            },
            vault,
            ward,
        )
    }

    /// As the app restarting: opens the vault again and recovers it with a new ward.
    fn reopen(
        &self,
    ) -> (
        Arc<Vault>,
        Ward,
        RecoveryReport,
        HashMap<PhotoId, PhotoView>,
    ) {
        recover_and_list(&self.dir, &self.keys, "reopened")
    }
}

fn manifest_of(vault: &Vault, photo: PhotoId) -> (ItemId, PhotoManifest) {
    let all: Vec<(ItemId, PhotoManifest)> = vault
        .list()
        .unwrap()
        .iter()
        .filter(|m| m.kind == ItemKind::Manifest)
        .map(|m| (m.id, read_manifest(vault, m.id).unwrap()))
        .filter(|(_, m)| m.photo_id == photo)
        .collect();
    assert_eq!(all.len(), 1, "one manifest per photo");
    all.into_iter().next().unwrap()
}

fn seal_record<T: super::Record>(vault: &Vault, kind: ItemKind, record: &T) -> ItemId {
    vault
        .seal(kind, &encode(record).unwrap(), None, Timestamp::now())
        .unwrap()
}

#[test]
fn a_photo_sealed_without_its_manifest_is_shredded_at_the_next_open() {
    let (fx, vault, ward) = Fixture::new();
    open_visit(&ward).unwrap();
    let kept = capture(&ward, 1).unwrap();
    // A capture killed after intake sealed its image and thumbnail, before the manifest; and a
    // redaction killed after sealing the redacted image.
    let image = vault
        .seal(ItemKind::Photo, &jpeg(2), None, Timestamp::now())
        .unwrap();
    let thumbnail = vault
        .seal(ItemKind::Thumbnail, &jpeg(3), None, Timestamp::now())
        .unwrap();
    let redacted = vault
        .seal(ItemKind::Photo, &jpeg(4), None, Timestamp::now())
        .unwrap();
    drop(ward);
    drop(vault);

    let (vault, ward, report, listed) = fx.reopen();
    assert_eq!(report.unreferenced_items_shredded, 3, "{report:?}");
    assert_eq!(report.stale_revisions, 0);
    assert!(report.resumed_visit);
    for id in [image, thumbnail, redacted] {
        assert!(!exists(&vault, id), "{id} survived");
    }
    assert_eq!(listed.keys().copied().collect::<Vec<_>>(), vec![kept.id]);
    assert_eq!(Expect::seen(&listed[&kept.id]), Expect::captured());
    check_vault(&vault, &listed, "after an interrupted capture");
    // The resumed visit goes on: the photo is pending review.
    assert_eq!(ward.view().unwrap().state, State::Reviewing);
    assert_eq!(ward.photos().unwrap().len(), 1);

    // A second open finds nothing more to do.
    drop(ward);
    drop(vault);
    let (_, _, again, listed_again) = fx.reopen();
    assert_eq!(again.unreferenced_items_shredded, 0);
    assert_eq!(listed_again.len(), 1);
}

#[test]
fn two_manifest_revisions_keep_the_newer_and_shred_what_only_the_older_named() {
    let (fx, vault, ward) = Fixture::new();
    open_visit(&ward).unwrap();
    let labelled = capture(&ward, 1).unwrap().id;
    let redacted = capture(&ward, 2).unwrap().id;

    // Label update: the new revision sealed, the old one not yet shredded (twice over: revisions
    // 1, 2 and 3 all live).
    let (_, m1) = manifest_of(&vault, labelled);
    let (code, side, label) = label_for(7);
    ward.label(labelled, label).unwrap();
    let (_, m2) = manifest_of(&vault, labelled);
    let (_, _, label) = label_for(7);
    ward.label(labelled, label).unwrap();
    seal_record(&vault, ItemKind::Manifest, &m1);
    seal_record(&vault, ItemKind::Manifest, &m2);

    // Redaction: the redacted image, thumbnail and manifest sealed, the original's not yet
    // shredded (exactly what `save_photo` leaves if killed before its shred).
    let (_, r1) = manifest_of(&vault, redacted);
    let mut r2 = r1.clone();
    r2.revision = 2;
    r2.image = vault
        .seal(ItemKind::Photo, &jpeg(5), None, Timestamp::now())
        .unwrap();
    r2.thumbnail = vault
        .seal(ItemKind::Thumbnail, &jpeg(6), None, Timestamp::now())
        .unwrap();
    r2.redactions.push(super::RedactionStep {
        at: Timestamp::now(),
        replaced: r1.image,
        fills: 1,
        cropped: false,
    });
    seal_record(&vault, ItemKind::Manifest, &r2);
    drop(ward);
    drop(vault);

    let (vault, _ward, report, listed) = fx.reopen();
    assert_eq!(report.stale_revisions, 3, "{report:?}");
    assert_eq!(report.unreferenced_items_shredded, 0, "{report:?}");
    assert_eq!(
        Expect::seen(&listed[&labelled]),
        Expect {
            label: Some((code, LATERALITIES[side])),
            queued: false,
            redacted: false,
            version: 3,
        }
    );
    let r = &listed[&redacted];
    assert!(r.redacted);
    assert_eq!(r.version, 2);
    assert!(!exists(&vault, r1.image), "the original image survived");
    assert!(
        !exists(&vault, r1.thumbnail),
        "the original thumbnail survived"
    );
    assert!(exists(&vault, r2.image));
    assert!(
        exists(&vault, m1.image),
        "the labelled photo's image was shredded"
    );
    check_vault(&vault, &listed, "after interrupted updates");
}

#[test]
fn a_sealed_withdrawal_is_finished_at_the_next_open() {
    let (fx, vault, ward) = Fixture::new();
    // An ended visit with two queued photos, then the open visit with one pending photo.
    open_visit(&ward).unwrap();
    let ended: Vec<PhotoId> = (0..2).map(|i| capture(&ward, i).unwrap().id).collect();
    for (i, p) in ended.iter().enumerate() {
        ward.label(*p, label_for(i as u64).2).unwrap();
    }
    ward.review().unwrap();
    ward.queue().unwrap();
    ward.end_visit().unwrap();
    open_visit(&ward).unwrap();
    let open = capture(&ward, 9).unwrap().id;
    let other = capture(&ward, 10).unwrap().id;

    // Withdrawals killed right after their records were sealed: one for the ended visit (from the
    // Outbox), one for the open visit.
    let visits: Vec<(ItemId, VisitRecord)> = records(&vault, ItemKind::Visit);
    assert_eq!(visits.len(), 2);
    for (_, v) in &visits {
        let link = v.consent.clone().unwrap();
        let photos: Vec<PhotoId> = if v.ended {
            ended.clone()
        } else {
            vec![open, other]
        };
        seal_record(
            &vault,
            ItemKind::Withdrawal,
            &WithdrawalRecord {
                visit_id: v.visit_id,
                consent_id: link.consent_id,
                consent_sha256: link.digest,
                withdrawn_at: Timestamp::now(),
                clinician: None,
                photos,
            },
        );
    }
    drop(ward);
    drop(vault);

    let (vault, ward, report, listed) = fx.reopen();
    assert_eq!(report.withdrawn_photos_shredded, 4, "{report:?}");
    assert!(listed.is_empty(), "withdrawn photos listed: {listed:?}");
    assert!(report.resumed_visit);
    check_vault(&vault, &listed, "after interrupted withdrawals");
    // Both visits now hold their consent as withdrawn; its record is kept with the withdrawal.
    let visits: Vec<(ItemId, VisitRecord)> = records(&vault, ItemKind::Visit);
    assert_eq!(visits.len(), 2);
    for (_, v) in &visits {
        assert!(v.consent.is_none());
        assert_eq!(v.withdrawn.len(), 1);
        assert!(exists(&vault, v.withdrawn[0].record_item));
    }
    // The open visit is resumed without consent: no capture until consent is recorded again.
    let view = ward.view().unwrap();
    assert!(view.patient.is_some());
    assert!(view.consented_purposes.is_none());
    assert!(ward.start_capture().is_err());
    ward.record_consent(consent_form()).unwrap();
    let again = capture(&ward, 11).unwrap().id;
    drop(ward);
    drop(vault);

    // The new consent's photo is not caught by the old withdrawal.
    let (vault, _ward, report, listed) = fx.reopen();
    assert_eq!(report.withdrawn_photos_shredded, 0, "{report:?}");
    assert_eq!(listed.keys().copied().collect::<Vec<_>>(), vec![again]);
    check_vault(&vault, &listed, "after consenting again");
}

#[test]
fn a_visit_confirmed_before_consent_is_resumed_without_consent() {
    let (fx, vault, ward) = Fixture::new();
    ward.identify(candidate()).unwrap();
    ward.confirm().unwrap();
    drop(ward);
    drop(vault);
    let (vault, ward, report, listed) = fx.reopen();
    assert!(report.resumed_visit);
    assert!(listed.is_empty());
    assert_eq!(ward.view().unwrap().state, State::PatientConfirmed);
    ward.record_consent(consent_form()).unwrap();
    let p = capture(&ward, 1).unwrap().id;
    check_vault(
        &vault,
        &HashMap::from([(p, ward.outbox().unwrap()[0].clone())]),
        "resumed",
    );
    // The set of visits is the one visit.
    let visits: BTreeSet<_> = records::<VisitRecord>(&vault, ItemKind::Visit)
        .into_iter()
        .map(|(_, v)| v.visit_id)
        .collect();
    assert_eq!(visits.len(), 1);
}

// ---- findings: states a crash leaves that recovery rebuilds wrongly ----------------------------

/// A patient who declined in kiosk mode keeps the visit open until the clinician takes the phone
/// back (the visit record names the refusal but is not ended yet). If the app dies before the
/// hand-back, the visit is resumed as if no decision had been made: the clinician can record a
/// consent over the refusal and take photos. The session refuses that (`ConsentDeclined`) before
/// the restart; after it, nothing does.
#[test]
fn a_refusal_made_in_kiosk_mode_survives_a_restart() {
    let (fx, vault, ward) = Fixture::new();
    ward.identify(candidate()).unwrap();
    ward.confirm().unwrap();
    ward.hand_to_patient().unwrap();
    ward.record_consent(ConsentForm {
        decision: Decision::Refuse,
        purposes: [Purpose::Care].into_iter().collect(),
        consented_by: ConsentedBy::Patient,
        method: Method::Declined,
        text_version: ConsentText::default_text().unwrap().version,
    })
    .unwrap();
    assert!(ward.view().unwrap().consent_declined);
    // Before a restart, consent cannot be recorded over the refusal.
    assert!(ward.record_consent(consent_form()).is_err());
    drop(ward);
    drop(vault);

    // The app is killed with the phone in the patient's hands, then restarted and unlocked.
    let (_vault, ward, _report, _listed) = fx.reopen();
    let resumed = ward.view().unwrap();
    let consented = ward.record_consent(consent_form());
    assert!(
        resumed.patient.is_none() || consented.is_err(),
        "after a restart, a consent was recorded over the patient's refusal (resumed as {:?})",
        resumed.state
    );
}

/// Recovery keeps the clinician PIN item with the latest `created_at` (wall clock) when a crash
/// leaves two. A wrong attempt seals the limiter again, then deletes the previous item; if the
/// wall clock was set back since the previous save and the app dies between the two steps,
/// recovery keeps the *older* item and the count of wrong PINs goes back.
#[test]
fn a_crash_after_a_wrong_pin_never_resets_the_count_even_if_the_clock_went_back() {
    #[derive(Debug)]
    struct SettableClock(AtomicU64);
    impl Clock for SettableClock {
        fn session(&self) -> Millis {
            Millis(1_000_000)
        }
        fn wall(&self) -> Timestamp {
            Timestamp(self.0.load(Ordering::SeqCst))
        }
    }
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("vault");
    let keys = MemoryKeyStore::new();
    let vault = Arc::new(Vault::create(&dir, &keys).unwrap());
    let clock = Arc::new(SettableClock(AtomicU64::new(1_800_000_000_000)));
    let policy = SessionPolicy {
        idle_timeout_ms: 24 * 3_600_000,
        allow_development_unlock: true,
    };
    let ward = Ward::with(policy, clock.clone(), Arc::new(Roomy));
    ward.attach_vault(vault.clone()).unwrap();
    ward.unlock(UnlockMethod::Development).unwrap();
    set_pin(&ward).unwrap();
    ward.identify(candidate()).unwrap();
    ward.confirm().unwrap();
    ward.hand_to_patient().unwrap();
    let pin_item = |v: &Vault| {
        v.list()
            .unwrap()
            .into_iter()
            .find(|m| m.kind == ItemKind::ClinicianPin)
            .unwrap()
    };
    let before = pin_item(&vault);
    let before_bytes = vault.unseal(before.id).unwrap();
    // The phone's clock is corrected back an hour, then a wrong PIN is tried.
    clock
        .0
        .store(1_800_000_000_000 - 3_600_000, Ordering::SeqCst);
    assert!(ward
        .hand_back(Some(&Zeroizing::new("111222".to_owned())))
        .is_err());
    assert_eq!(ward.pin_status().unwrap().failures, 1);
    // The crash: the new limiter is sealed, the previous item not yet deleted.
    vault
        .seal(
            ItemKind::ClinicianPin,
            &before_bytes,
            None,
            before.created_at,
        )
        .unwrap();
    drop(ward);
    drop(vault);

    let vault = Arc::new(Vault::open(&dir, &keys).unwrap());
    let ward = Ward::with(policy, clock, Arc::new(Roomy));
    ward.attach_vault(vault).unwrap();
    assert_eq!(
        ward.pin_status().unwrap().failures,
        1,
        "the count of wrong PINs went back after a crash"
    );
}
