//! The short path from the camera: Send labels and queues in one step without skipping a rule,
//! and the suggestions under the preview come from this phone's labels and the common sites.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use zeroize::Zeroizing;

use super::testing::{self, candidate, verbal, FixedSpace, TestClock, BAND};
use super::*;
use crate::review::{find, Label, Laterality, COMMON_SITES};
use crate::session::{Purpose, SessionPolicy, State, UnlockMethod};
use crate::vault::danger::MemoryKeyStore;
use crate::vault::Vault;
use crate::Error;

const HEEL: &str = "76853006"; // paired
const SACRUM: &str = "54735007"; // midline
const FOREARM: &str = "14975008"; // paired, not a common site

struct Fixture {
    dir: tempfile::TempDir,
    keys: MemoryKeyStore,
    clock: Arc<TestClock>,
    ward: Ward,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let keys = MemoryKeyStore::new();
    let clock = Arc::new(TestClock::default());
    let ward = ward_on(&dir, &keys, &clock);
    ward.set_pin(&Zeroizing::new("482916".to_owned()), "Dr A Jones", None)
        .unwrap();
    Fixture {
        dir,
        keys,
        clock,
        ward,
    }
}

/// A ward over the vault in `dir`, unlocked: a fresh start of the app.
fn ward_on(dir: &tempfile::TempDir, keys: &MemoryKeyStore, clock: &Arc<TestClock>) -> Ward {
    let ward = Ward::with(
        SessionPolicy {
            idle_timeout_ms: 60_000,
            allow_development_unlock: true,
        },
        clock.clone(),
        Arc::new(FixedSpace(None)),
    );
    let vault = Vault::open_or_create(&dir.path().join("vault"), keys).unwrap();
    ward.attach_vault(Arc::new(vault)).unwrap();
    ward.unlock(UnlockMethod::Development).unwrap();
    ward
}

/// Identified, confirmed, consented verbally, camera open.
fn consented(f: &Fixture) {
    f.ward.identify(candidate(BAND)).unwrap();
    f.ward.confirm().unwrap();
    f.ward.record_consent(verbal()).unwrap();
    f.ward.start_capture().unwrap();
}

fn shot(f: &Fixture, seed: u64) -> PhotoId {
    // Photos taken a second apart, so "newest" is well defined.
    f.clock.advance(1_000);
    f.ward
        .capture(&testing::jpeg(seed), Purpose::Care)
        .unwrap()
        .id
}

fn label(code: &str, side: Laterality) -> Label {
    Label::new(code, side, "").unwrap()
}

fn code<T: std::fmt::Debug>(r: Result<T, Error>) -> &'static str {
    r.unwrap_err().code()
}

fn states(f: &Fixture) -> Vec<LocalState> {
    f.ward.photos().unwrap().iter().map(|p| p.state).collect()
}

#[test]
fn send_labels_and_queues_the_photo_from_the_camera() {
    let f = fixture();
    consented(&f);
    let p = shot(&f, 1);
    let view = f.ward.send(p, label(HEEL, Laterality::Left)).unwrap();
    assert_eq!(view.state, State::Queued);
    assert_eq!(view.queued_photos, 1);
    let photo = &f.ward.photos().unwrap()[0];
    assert_eq!(photo.state, LocalState::Queued);
    assert_eq!(photo.body_site.unwrap().code, HEEL);
    assert_eq!(photo.laterality, Some(Laterality::Left));
}

#[test]
fn send_with_another_photo_unlabelled_queues_nothing_and_goes_to_review() {
    let f = fixture();
    consented(&f);
    let first = shot(&f, 1);
    let second = shot(&f, 2);
    let view = f
        .ward
        .send(second, label(SACRUM, Laterality::NotApplicable))
        .unwrap();
    assert_eq!(view.state, State::Reviewing);
    assert_eq!(view.queued_photos, 0);
    assert_eq!(states(&f), [LocalState::Captured, LocalState::Captured]);
    // Labelling the other one on Review and sending it then queues both.
    let view = f.ward.send(first, label(HEEL, Laterality::Right)).unwrap();
    assert_eq!(view.state, State::Queued);
    assert_eq!(states(&f), [LocalState::Queued, LocalState::Queued]);
}

#[test]
fn send_keeps_every_rule_of_labelling_and_queueing() {
    let f = fixture();
    consented(&f);
    let p = shot(&f, 1);
    // The side is still required for a paired site, and refused for a midline one: Label checks
    // before anything reaches the ward.
    assert_eq!(
        Label::new(HEEL, Laterality::NotApplicable, "")
            .unwrap_err()
            .code(),
        "review.laterality_required"
    );
    // Not a photo of this visit.
    assert_eq!(
        code(f.ward.send(PhotoId([7; 16]), label(HEEL, Laterality::Left))),
        "visit.unknown_photo"
    );
    // Locked: refused, nothing queued.
    f.ward.lock_now(crate::session::LockReason::User).unwrap();
    assert_eq!(
        code(f.ward.send(p, label(HEEL, Laterality::Left))),
        "session.locked"
    );
    f.ward.unlock(UnlockMethod::Development).unwrap();
    assert_eq!(states(&f), [LocalState::Captured]);
    // Sent once; sending again cannot relabel a queued photo.
    f.ward.send(p, label(HEEL, Laterality::Left)).unwrap();
    assert_eq!(
        code(f.ward.send(p, label(SACRUM, Laterality::NotApplicable))),
        "visit.photo_queued"
    );
    assert_eq!(
        f.ward.photos().unwrap()[0].body_site.unwrap().code,
        HEEL,
        "the queued label changed"
    );
}

#[test]
fn send_is_refused_with_no_patient_and_for_another_visits_photo() {
    let f = fixture();
    assert_eq!(
        code(f.ward.send(PhotoId([1; 16]), label(HEEL, Laterality::Left))),
        "session.no_patient"
    );
    consented(&f);
    let p = shot(&f, 1);
    f.ward.send(p, label(HEEL, Laterality::Left)).unwrap();
    f.ward.end_visit().unwrap();
    f.ward.identify(candidate(BAND)).unwrap();
    f.ward.confirm().unwrap();
    f.ward.record_consent(verbal()).unwrap();
    f.ward.start_capture().unwrap();
    // The last visit's photo is not this visit's, even for the same patient.
    assert_eq!(
        code(f.ward.send(p, label(HEEL, Laterality::Left))),
        "visit.unknown_photo"
    );
}

#[test]
fn suggestions_offer_this_visits_last_site_then_recent_then_common_sites() {
    let f = fixture();
    // No patient, nothing labelled yet: the common sites, nothing to repeat.
    let first = f.ward.label_suggestions().unwrap();
    assert_eq!(first.same, None);
    let codes = |s: &LabelSuggestions| s.sites.iter().map(|s| s.code).collect::<Vec<_>>();
    assert_eq!(codes(&first), COMMON_SITES);

    consented(&f);
    let a = shot(&f, 1);
    f.ward.send(a, label(FOREARM, Laterality::Right)).unwrap();
    f.ward.start_capture().unwrap();
    let b = shot(&f, 2);
    f.ward.send(b, label(HEEL, Laterality::Left)).unwrap();
    let s = f.ward.label_suggestions().unwrap();
    // "Take another" of the last wound: its site and side in one tap.
    let same = s.same.unwrap();
    assert_eq!((same.site.code, same.laterality), (HEEL, Laterality::Left));
    assert_eq!(&codes(&s)[..2], [HEEL, FOREARM]);

    // The next patient: nothing of this visit to repeat, but the recent sites stay first.
    f.ward.end_visit().unwrap();
    f.ward.identify(candidate(BAND)).unwrap();
    f.ward.confirm().unwrap();
    let next = f.ward.label_suggestions().unwrap();
    assert_eq!(next.same, None);
    assert_eq!(&codes(&next)[..2], [HEEL, FOREARM]);

    // Locked: nothing offered.
    f.ward.lock_now(crate::session::LockReason::User).unwrap();
    assert_eq!(code(f.ward.label_suggestions()), "session.locked");
}

#[test]
fn the_same_wound_is_offered_after_its_photo_is_gone_and_after_a_restart() {
    let mut f = fixture();
    consented(&f);
    let a = shot(&f, 1);
    f.ward.send(a, label(HEEL, Laterality::Left)).unwrap();
    f.ward.start_capture().unwrap();
    // The next photo is deleted: nothing of the visit is on the phone but the queued one.
    let b = shot(&f, 2);
    f.ward.discard(b).unwrap();
    // The app restarts (Android killed it): the visit's last label is sealed with the visit.
    f.ward = ward_on(&f.dir, &f.keys, &f.clock);
    let same = f.ward.label_suggestions().unwrap().same.unwrap();
    assert_eq!((same.site.code, same.laterality), (HEEL, Laterality::Left));
    // A label given on Review counts as much as one sent from the camera.
    f.ward.start_capture().unwrap();
    let c = shot(&f, 3);
    f.ward
        .label(c, label(SACRUM, Laterality::NotApplicable))
        .unwrap();
    let same = f.ward.label_suggestions().unwrap().same.unwrap();
    assert_eq!(same.site.code, SACRUM);
}

#[test]
fn suggested_sites_put_recent_first_and_fill_with_common_ones() {
    let common: Vec<&str> = COMMON_SITES.to_vec();
    // Nothing recent: the common sites.
    let none: Vec<&str> = suggested_sites([]).iter().map(|s| s.code).collect();
    assert_eq!(none, common);
    // Recent first, newest first, no repeats, unknown codes skipped, at most eight.
    let got: Vec<&str> = suggested_sites([FOREARM, "12345", HEEL, FOREARM])
        .iter()
        .map(|s| s.code)
        .collect();
    assert_eq!(got.len(), MAX_SUGGESTED_SITES);
    assert_eq!(&got[..2], [FOREARM, HEEL]);
    assert_eq!(got.iter().filter(|c| **c == HEEL).count(), 1);
    assert!(got.iter().all(|c| find(c).is_some()));
}
