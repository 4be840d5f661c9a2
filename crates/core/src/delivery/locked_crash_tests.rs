//! Delivery while locked under crashes, the third delivery campaign. Each round the parent, behind
//! the key gate as a release build runs, queues a few photos, has each tried once while the PACS
//! "could not be reached", packs their parcels and locks. A child process (this test binary,
//! re-executed) then starts **locked** (it never has the vault's key) and drains the parcels to the
//! real Orthanc test server; the parent kills it with SIGKILL at random moments. After every kill
//! the parent checks a copy of everything the phone holds (vault, outbound store, both keystores):
//!
//! - before the unlock: no photo is on the PACS twice; a parcel whose state says verified is
//!   gone and its photo on the PACS; a photo with a parcel still there is whole in the vault;
//! - after the copy's unlock (which applies the states and destroys the store and its key): every
//!   photo is either whole in the vault, waiting, or shredded with exactly one deletion receipt and
//!   on the PACS once; the store is gone.
//!
//! After a few kills the parent unlocks the original, drains it unlocked to completion and checks
//! every photo arrived exactly once.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, HashMap};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use zeroize::Zeroizing;

use super::crash_tests::copy_dir;
use super::orthanc_tests::{block_on, server, shared, Server};
use super::{uids, Courier, Pacs};
use crate::crash_child::kill_at_random_moment;
use crate::endpoint::EndpointConfig;
use crate::patient::testing::Canned;
use crate::session::LockReason;
use crate::vault::tests::FileKeyStore;
use crate::vault::{ItemKind, Timestamp, Vault};
use crate::visit::testing::{gated_ward, queue_photos, GATED_PIN};
use crate::visit::{
    decode, outbound_store_gone, FileSystemStorage, LocalState, ParcelState, ParcelStep, PhotoId,
    Problem, ReceiptRecord, Route, SystemClock, Ward, OUTBOUND_DIR,
};

const CHILD_ENV: &str = "WARDCAM_LOCKED_CRASH_CHILD";
const ENDPOINT_ENV: &str = "WARDCAM_LOCKED_CRASH_ENDPOINT";
const READY: &str = "WARDCAM-LOCKED-CRASH-CHILD-READY";

/// Kills at least this many children.
const MIN_KILLS: usize = 50;
/// And more while time allows or the floors are not met, up to this many.
const MAX_KILLS: usize = 200;
/// No new round starts after this once `MIN_KILLS` is reached and the floors are met.
const BUDGET: Duration = Duration::from_secs(30);
/// The kills must land inside the locked drain: at least this many with a parcel begun and not
/// finished, and this many after a parcel was verified but before its photo is shredded (which
/// only the unlock does).
const MIN_MID_SEND: usize = 3;
const MIN_AFTER_VERIFIED: usize = 3;

/// A ward behind the key gate over `root`'s vault and keystores, its outbound store given: locked.
fn gated(root: &Path) -> Ward {
    gated_ward(
        &root.join("vault"),
        Arc::new(FileKeyStore(root.join("keys"))),
        Arc::new(FileKeyStore(root.join("delivery"))),
        Arc::new(SystemClock::new()),
        Arc::new(FileSystemStorage),
    )
}

/// The child: starts locked (never unlocks), then drains parcels until none is left, logging each
/// drain, then idles until killed. Does nothing unless re-executed by the campaign.
#[test]
fn locked_crash_child() {
    let Some(root) = std::env::var_os(CHILD_ENV) else {
        return;
    };
    let root = PathBuf::from(root);
    let endpoint = std::env::var_os(ENDPOINT_ENV).unwrap();
    let log = Mutex::new(
        fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(root.join("log"))
            .unwrap(),
    );
    let line = |s: &str| {
        log.lock()
            .unwrap()
            .write_all(format!("{s}\n").as_bytes())
            .unwrap()
    };
    let ward = Arc::new(gated(&root));
    let config = EndpointConfig::from_json(&fs::read(endpoint).unwrap()).unwrap();
    let courier = Courier::new(Pacs::from_config(&config).unwrap()).sending_while_locked(true);
    line("ready");
    eprintln!("{READY}");
    loop {
        let report = block_on(courier.drain::<Canned>(&ward, None, true, &|_| {})).unwrap();
        assert!(report.locked, "the child never unlocks");
        assert_eq!(report.held, 0, "a parcel stopped against the good endpoint");
        line(&format!("drained {} {}", report.delivered, report.waiting));
        if report.delivered == 0 && report.waiting == 0 {
            line("idle");
            loop {
                std::thread::sleep(Duration::from_secs(1));
            }
        }
    }
}

fn pin() -> Zeroizing<String> {
    Zeroizing::new(GATED_PIN.to_owned())
}

/// A new visit in `root`'s vault with `n` photos queued, each tried once and waiting, packed,
/// then locked: what a phone holds when it goes into a pocket with the PACS out of reach.
fn new_round(root: &Path, base: &str, n: usize, seed: u64) -> Vec<PhotoId> {
    let ward = gated(root);
    let photos = queue_photos(&ward, n, seed, true);
    let unreachable = Problem {
        code: "endpoint.unreachable".into(),
        message: "The hospital image server could not be reached.".into(),
    };
    for p in &photos {
        assert!(ward.begin_delivery(*p, base).unwrap().is_some());
        ward.delivery_failed(*p, unreachable.clone(), Timestamp::now(), false)
            .unwrap();
    }
    let packed = ward
        .pack_parcels(&[(Route::Pacs, base.to_owned())])
        .unwrap();
    assert_eq!(packed, n);
    ward.lock_now(LockReason::User).unwrap();
    photos
}

/// Each photo's parcel states in `root`'s outbound store, read with its delivery key, and whether
/// each still has its parcel.
fn parcel_states(root: &Path) -> BTreeMap<PhotoId, (ParcelStep, bool)> {
    let dir = root.join("vault").join(OUTBOUND_DIR);
    let Ok(store) = Vault::open(&dir, &FileKeyStore(root.join("delivery"))) else {
        return BTreeMap::new();
    };
    store
        .list()
        .unwrap()
        .into_iter()
        .filter(|m| m.kind == ItemKind::ParcelState)
        .map(|m| {
            let state: ParcelState = decode(&store.unseal(m.id).unwrap()).unwrap();
            let parcel_live = state.parcel.is_some_and(|p| store.unseal(p).is_ok());
            (state.photo, (state.step, parcel_live))
        })
        .collect()
}

/// How many copies of each photo the PACS holds.
fn on_server(s: &Server, photos: &[PhotoId]) -> HashMap<PhotoId, usize> {
    let stored = s.stored_sop_uids();
    photos
        .iter()
        .map(|p| {
            let sop = uids::sop_instance_uid(*p);
            (*p, stored.iter().filter(|u| **u == sop).count())
        })
        .collect()
}

/// Deletion receipts per photo.
fn receipts(ward: &Ward) -> HashMap<PhotoId, usize> {
    let mut n = HashMap::new();
    for r in ward.receipts().unwrap() {
        if let ReceiptRecord::Deletion { photo_id, .. } = r {
            *n.entry(photo_id).or_default() += 1;
        }
    }
    n
}

#[derive(Debug, Default)]
struct Stats {
    rounds: usize,
    photos: usize,
    kills: usize,
    kills_mid_send: usize,
    kills_after_verified: usize,
    shredded_at_check_unlock: usize,
    delivered_by_parent: usize,
}

#[test]
fn delivery_while_locked_survives_kills_at_random_points() {
    let Some(s) = server() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("phone");
    let check = tmp.path().join("check");
    fs::create_dir_all(&root).unwrap();
    let endpoint = s.ready["endpoint"].as_str().unwrap().to_owned();
    let base = s.pacs("good").base_url().to_owned();
    let mut next = crate::crash_child::xorshift(0x2545_f491_4f6c_dd1du64);
    let started = Instant::now();
    let mut stats = Stats::default();
    let mut created: Vec<PhotoId> = Vec::new();
    let covered = |st: &Stats| {
        st.kills_mid_send >= MIN_MID_SEND && st.kills_after_verified >= MIN_AFTER_VERIFIED
    };
    while stats.kills < MIN_KILLS
        || (stats.kills < MAX_KILLS && (started.elapsed() < BUDGET || !covered(&stats)))
    {
        stats.rounds += 1;
        let n = 3 + (next() % 3) as usize;
        let round = new_round(&root, &base, n, next() % 1_000_000);
        stats.photos += round.len();
        created.extend(&round);
        for _ in 0..1 + next() % 4 {
            {
                let _gate = shared();
                kill_at_random_moment(
                    "delivery::locked_crash_tests::locked_crash_child",
                    &[(CHILD_ENV, &root), (ENDPOINT_ENV, Path::new(&endpoint))],
                    READY,
                    next(),
                    Duration::from_millis(40),
                    Duration::from_millis(250),
                );
            }
            stats.kills += 1;
            let _ = fs::write(root.join("log"), "");
            let when = format!("after kill {} (round {})", stats.kills, stats.rounds);
            let _ = fs::remove_dir_all(&check);
            copy_dir(&root, &check);

            // What the locked phone holds, before any unlock.
            let states = parcel_states(&check);
            let copies = on_server(s, &round);
            for (p, (step, parcel_live)) in &states {
                assert!(copies[p] <= 1, "{when}: {p} on the PACS twice");
                match step {
                    ParcelStep::Verified => {
                        assert_eq!(copies[p], 1, "{when}: {p} verified, not on the PACS");
                        assert!(!parcel_live, "{when}: {p} verified, its parcel kept");
                    }
                    ParcelStep::Stopped { problem } => {
                        panic!("{when}: {p} stopped against the good PACS: {problem:?}")
                    }
                    _ => assert!(parcel_live, "{when}: {p} waiting without its parcel"),
                }
            }
            stats.kills_mid_send +=
                usize::from(states.values().any(|(step, _)| *step == ParcelStep::Begun));
            stats.kills_after_verified += usize::from(
                states
                    .values()
                    .any(|(step, _)| *step == ParcelStep::Verified),
            );

            // The copy unlocks: what was verified is shredded with its receipt, the rest waits.
            let ward = gated(&check);
            ward.unlock_with_pin(&pin()).unwrap();
            let receipted = receipts(&ward);
            for p in &round {
                let verified = matches!(states.get(p), Some((ParcelStep::Verified, _)));
                match ward.manifest(*p).unwrap() {
                    Some(m) => {
                        assert!(!verified, "{when}: {p} verified, not shredded");
                        assert_eq!(m.state, LocalState::Queued, "{when}: {p}");
                        let vault = ward.vault().unwrap();
                        assert!(!vault.unseal(m.image).unwrap().is_empty(), "{when}: {p}");
                        assert!(!receipted.contains_key(p), "{when}: {p} both");
                    }
                    None => {
                        assert!(verified, "{when}: {p} shredded without a verification");
                        assert_eq!(receipted.get(p), Some(&1), "{when}: {p} receipts");
                        assert_eq!(copies[p], 1, "{when}: {p} shredded, not on the PACS");
                        stats.shredded_at_check_unlock += 1;
                    }
                }
            }
            assert!(
                outbound_store_gone(&check.join("vault").join(OUTBOUND_DIR)),
                "{when}: the store outlived the unlock"
            );
            drop(ward);
        }
        // The parent takes over: unlocks the phone and drains it to completion, unlocked.
        let when = format!("after round {}", stats.rounds);
        let ward = Arc::new(gated(&root));
        ward.unlock_with_pin(&pin()).unwrap();
        {
            let _gate = shared();
            let courier = Courier::new(s.pacs("good")).sending_while_locked(true);
            for _ in 0..5 {
                if ward.delivery_plan(Timestamp(u64::MAX)).unwrap().waiting == 0 {
                    break;
                }
                let report = block_on(courier.drain::<Canned>(&ward, None, true, &|_| {})).unwrap();
                stats.delivered_by_parent += report.delivered;
            }
        }
        let receipted = receipts(&ward);
        let copies = on_server(s, &created);
        for p in &created {
            assert!(ward.manifest(*p).unwrap().is_none(), "{when}: {p} left");
            assert_eq!(receipted.get(p), Some(&1), "{when}: {p} receipts");
            assert_eq!(copies[p], 1, "{when}: {p} on the PACS");
        }
        assert!(
            outbound_store_gone(&root.join("vault").join(OUTBOUND_DIR)),
            "{when}"
        );
    }
    let line = format!("{stats:?}");
    eprintln!(
        "delivery while locked crash test: {} kills over {} rounds of {} photos; with a parcel \
         begun and not finished {}, after a verification {}; shredded at a check's unlock {}, \
         delivered by the parent {}; {:.1} s",
        stats.kills,
        stats.rounds,
        stats.photos,
        stats.kills_mid_send,
        stats.kills_after_verified,
        stats.shredded_at_check_unlock,
        stats.delivered_by_parent,
        started.elapsed().as_secs_f64()
    );
    assert!(stats.kills >= MIN_KILLS, "{line}");
    assert!(covered(&stats), "{line}");
}
