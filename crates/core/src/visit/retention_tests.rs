//! Retention: ages on a clock the user cannot wind forward, no purge of an undelivered photo
//! unless the policy says so, and then only after a warning on an earlier pass, audited.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use zeroize::Zeroizing;

use super::testing::{candidate, jpeg, verbal, BAND};
use super::*;
use crate::audit::Event;
use crate::policy::RetentionSettings;
use crate::review::{Label, Laterality};
use crate::session::{Millis, Purpose, SessionPolicy, UnlockMethod};
use crate::vault::danger::MemoryKeyStore;
use crate::vault::{ItemKind, Timestamp, Vault};

const HOUR: u64 = 60 * 60 * 1_000;
const BOOT_A: &str = "6f1c3a52-0d4e-4b7a-9c1e-2a3b4c5d6e7f";
const BOOT_B: &str = "0b9e8d7c-6b5a-4f3e-8d2c-1b0a9f8e7d6c";

/// A clock whose three readings the test moves on their own: the session (kept still so the
/// idle lock never falls), the wall clock (which the user can set) and the since-boot clock.
#[derive(Debug)]
struct MovableClock {
    wall: AtomicU64,
    boot: Mutex<BootReading>,
}

impl MovableClock {
    fn new() -> Arc<MovableClock> {
        Arc::new(MovableClock {
            wall: AtomicU64::new(1_790_000_000_000),
            boot: Mutex::new(BootReading {
                boot_id: Some(BOOT_A.to_owned()),
                since_boot_ms: 5 * 60_000,
            }),
        })
    }

    /// The user sets the phone's clock.
    fn set_wall(&self, ms: u64) {
        self.wall.store(ms, Ordering::SeqCst);
    }

    /// Time passes: both clocks move.
    fn pass(&self, ms: u64) {
        self.wall.fetch_add(ms, Ordering::SeqCst);
        self.boot.lock().unwrap().since_boot_ms += ms;
    }

    /// The phone restarted as boot `id`, `up` ms ago (the time it was off is not known).
    fn reboot(&self, id: Option<&str>, up: u64) {
        *self.boot.lock().unwrap() = BootReading {
            boot_id: id.map(str::to_owned),
            since_boot_ms: up,
        };
    }
}

impl Clock for MovableClock {
    fn session(&self) -> Millis {
        Millis(0)
    }
    fn wall(&self) -> Timestamp {
        Timestamp(self.wall.load(Ordering::SeqCst))
    }
    fn boot(&self) -> BootReading {
        self.boot.lock().unwrap().clone()
    }
}

#[derive(Debug)]
struct Room;

impl Storage for Room {
    fn available(&self, _dir: &Path) -> Option<u64> {
        None
    }
}

struct Fixture {
    _dir: tempfile::TempDir,
    keys: MemoryKeyStore,
    path: std::path::PathBuf,
    clock: Arc<MovableClock>,
    policy: RetentionSettings,
    ward: Ward,
}

fn ward_on(
    path: &Path,
    keys: &MemoryKeyStore,
    clock: Arc<MovableClock>,
    policy: RetentionSettings,
) -> Ward {
    let mut ward = Ward::with(
        SessionPolicy {
            idle_timeout_ms: 60_000,
            allow_development_unlock: true,
        },
        clock,
        Arc::new(Room),
    );
    ward.retention_policy = policy;
    let vault = Vault::open_or_create(path, keys).unwrap();
    ward.attach_vault(Arc::new(vault)).unwrap();
    ward.unlock(UnlockMethod::Development).unwrap();
    ward
}

fn fixture(policy: RetentionSettings) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vault");
    let keys = MemoryKeyStore::new();
    let clock = MovableClock::new();
    let ward = ward_on(&path, &keys, clock.clone(), policy);
    ward.set_pin(&Zeroizing::new("482916".to_owned()), "Dr A Jones", None)
        .unwrap();
    Fixture {
        _dir: dir,
        keys,
        path,
        clock,
        policy,
        ward,
    }
}

/// The trust's default: warn after 24 hours, never purge an undelivered photo.
fn never_purge() -> RetentionSettings {
    RetentionSettings::default()
}

/// Warn after 24 hours; purge undelivered photos after 2 days.
fn purge_after_two_days() -> RetentionSettings {
    RetentionSettings {
        warn_undelivered_after_hours: 24,
        shred_undelivered_after_days: Some(2),
    }
}

impl Fixture {
    /// The app restarted (after a reboot or not): a new ward over the same vault, unlocked.
    fn restart(&mut self) {
        self.ward = ward_on(&self.path, &self.keys, self.clock.clone(), self.policy);
    }

    fn vault(&self) -> Arc<Vault> {
        self.ward.vault().unwrap()
    }

    /// Takes `n` photos of one patient, labels and queues them, and ends the visit: they wait in
    /// the outbox, undelivered.
    fn queued_photos(&self, n: usize) -> Vec<PhotoView> {
        self.ward.identify(candidate(BAND)).unwrap();
        self.ward.confirm().unwrap();
        self.ward.record_consent(verbal()).unwrap();
        self.ward.start_capture().unwrap();
        let photos: Vec<PhotoView> = (0..n)
            .map(|i| self.ward.capture(&jpeg(i as u64), Purpose::Care).unwrap())
            .collect();
        self.ward.review().unwrap();
        for p in &photos {
            self.ward
                .label(
                    p.id,
                    Label::new("14975008", Laterality::Left, "graze").unwrap(),
                )
                .unwrap();
        }
        self.ward.queue().unwrap();
        self.ward.end_visit().unwrap();
        photos
    }

    fn outbox_ids(&self) -> Vec<PhotoId> {
        sorted(self.ward.outbox().unwrap().iter().map(|p| p.id).collect())
    }

    fn audit_events(&self) -> Vec<Event> {
        self.ward
            .audit_entries()
            .unwrap()
            .into_iter()
            .map(|e| e.event)
            .collect()
    }

    fn kinds(&self) -> Vec<ItemKind> {
        self.vault()
            .list()
            .unwrap()
            .iter()
            .map(|m| m.kind)
            .collect()
    }
}

/// The photos' ids, in order (the outbox and the reports order photos by capture time and id; these
/// compare as sets).
fn ids(photos: &[PhotoView]) -> Vec<PhotoId> {
    sorted(photos.iter().map(|p| p.id).collect())
}

fn sorted(mut ids: Vec<PhotoId>) -> Vec<PhotoId> {
    ids.sort();
    ids
}

#[test]
fn winding_the_wall_clock_a_year_ahead_purges_and_ages_nothing() {
    let f = fixture(purge_after_two_days());
    let photos = f.queued_photos(2);
    assert!(f.ward.retention().unwrap().warned.is_empty());
    // The user sets the phone a year ahead, and passes follow: the since-boot clock has not moved.
    f.clock.set_wall(f.clock.wall().0 + 366 * 24 * HOUR);
    for _ in 0..3 {
        let report = f.ward.retention().unwrap();
        assert!(report.purged.is_empty(), "{report:?}");
        assert!(report.warned.is_empty(), "{report:?}");
        assert_eq!(report.view.waiting_too_long, 0);
    }
    assert_eq!(f.outbox_ids(), ids(&photos));
}

#[test]
fn the_default_policy_warns_but_never_purges_an_undelivered_photo() {
    let f = fixture(never_purge());
    let photos = f.queued_photos(2);
    f.ward.retention().unwrap();
    f.clock.pass(23 * HOUR);
    let report = f.ward.retention().unwrap();
    assert!(report.warned.is_empty());
    f.clock.pass(2 * HOUR);
    let report = f.ward.retention().unwrap();
    assert_eq!(sorted(report.warned.clone()), ids(&photos));
    assert_eq!(report.view.waiting_too_long, 2);
    assert_eq!(report.view.warn_after_hours, 24);
    assert_eq!(report.view.purge_after_hours, None);
    assert_eq!(report.view.to_be_purged, 0);
    // A year of real time later, with a server vouching for it: warned once, never purged.
    f.clock.pass(365 * 24 * HOUR);
    f.ward
        .vouch_time(Timestamp(f.clock.wall().0 + 365 * 24 * HOUR))
        .unwrap();
    for _ in 0..3 {
        let report = f.ward.retention().unwrap();
        assert!(report.purged.is_empty());
        assert!(report.warned.is_empty(), "warned again: {report:?}");
        assert_eq!(report.view.waiting_too_long, 2);
    }
    assert_eq!(f.outbox_ids(), ids(&photos));
    let warnings = f
        .audit_events()
        .into_iter()
        .filter(|e| matches!(e, Event::RetentionWarned { .. }))
        .collect::<Vec<_>>();
    assert_eq!(warnings, vec![Event::RetentionWarned { photos: 2 }]);
    assert!(!f
        .audit_events()
        .iter()
        .any(|e| matches!(e, Event::Purged { .. })));
}

#[test]
fn a_reboot_makes_photos_neither_younger_than_the_floor_nor_older() {
    let mut f = fixture(never_purge());
    f.queued_photos(1);
    f.ward.vouch_time(Timestamp(1_800_000_000_000)).unwrap();
    f.ward.retention().unwrap();
    f.clock.pass(20 * HOUR);
    let report = f.ward.retention().unwrap();
    assert_eq!(report.view.last_vouched, Some(Timestamp(1_800_000_000_000)));
    assert!(report.warned.is_empty());

    // The phone reboots and is up one hour; its wall clock says a week went by. The floor keeps
    // the 20 hours and adds only the hour since boot: 21 hours, not 0 (younger) and not a week.
    f.clock.reboot(Some(BOOT_B), HOUR);
    f.clock.set_wall(f.clock.wall().0 + 7 * 24 * HOUR);
    f.restart();
    let report = f.ward.retention().unwrap();
    assert!(
        report.warned.is_empty(),
        "aged by the wall clock: {report:?}"
    );
    assert_eq!(report.view.waiting_too_long, 0);
    // Three more hours reach 24: not older than the clocks prove, and not younger either.
    f.clock.pass(2 * HOUR);
    assert!(f.ward.retention().unwrap().warned.is_empty());
    f.clock.pass(HOUR);
    assert_eq!(f.ward.retention().unwrap().warned.len(), 1);
}

#[test]
fn without_a_boot_id_a_clock_gone_back_is_a_reboot_and_counts_from_it() {
    let mut f = fixture(never_purge());
    f.clock.reboot(None, 10 * HOUR);
    f.queued_photos(1);
    f.ward.retention().unwrap();
    f.clock.pass(22 * HOUR);
    assert!(f.ward.retention().unwrap().warned.is_empty());
    // Back to 30 minutes since boot: the 22 hours stay, and 30 minutes are added, not more.
    f.clock.reboot(None, 30 * 60_000);
    f.restart();
    assert!(f.ward.retention().unwrap().warned.is_empty());
    f.clock.pass(90 * 60_000 - 1);
    assert!(f.ward.retention().unwrap().warned.is_empty());
    f.clock.pass(1);
    assert_eq!(f.ward.retention().unwrap().warned.len(), 1);
}

#[test]
fn a_server_vouching_after_a_reboot_counts_the_time_off_only_from_a_pinned_birth() {
    let mut f = fixture(never_purge());
    let t0 = 1_800_000_000_000;
    // Seen while a server's word is exact: its birth is pinned to that time.
    f.ward.vouch_time(Timestamp(t0)).unwrap();
    f.ward.retention().unwrap();
    f.queued_photos(1);
    f.ward.retention().unwrap();
    // Off for two days, then up an hour; a server says so.
    f.clock.reboot(Some(BOOT_B), HOUR);
    f.restart();
    assert!(f.ward.retention().unwrap().warned.is_empty());
    f.ward.vouch_time(Timestamp(t0 + 49 * HOUR)).unwrap();
    assert_eq!(f.ward.retention().unwrap().warned.len(), 1);

    // A photo first seen after another reboot, before any server's word in this boot: the lag
    // the next word reveals (the phone was off a month) may have come after it was seen, so its
    // age does not jump with it.
    f.clock.reboot(Some(BOOT_A), HOUR);
    f.restart();
    f.queued_photos(1);
    assert!(f.ward.retention().unwrap().warned.is_empty());
    f.ward.vouch_time(Timestamp(t0 + 30 * 24 * HOUR)).unwrap();
    let report = f.ward.retention().unwrap();
    assert!(report.warned.is_empty(), "aged by the lag: {report:?}");
    // From now on its birth is pinned: real time counts, and a day later it is warned about.
    f.clock.pass(24 * HOUR);
    assert_eq!(f.ward.retention().unwrap().warned.len(), 1);
}

#[test]
fn an_explicit_purge_warns_first_then_purges_on_a_later_pass_with_audit_entries() {
    let f = fixture(purge_after_two_days());
    let photos = f.queued_photos(2);
    let items: Vec<crate::vault::ItemId> = photos
        .iter()
        .flat_map(|p| {
            let vault = f.vault();
            let manifests: Vec<_> = vault
                .list()
                .unwrap()
                .into_iter()
                .filter(|m| m.kind == ItemKind::Manifest)
                .filter_map(|m| {
                    let record = read_manifest(&vault, m.id).ok()?;
                    (record.photo_id == p.id).then_some([m.id, record.image, record.thumbnail])
                })
                .collect();
            manifests.into_iter().flatten()
        })
        .collect();
    assert_eq!(items.len(), 6);
    f.ward.retention().unwrap();

    // Three days on, past the purge age: this pass only warns.
    f.clock.pass(72 * HOUR);
    let report = f.ward.retention().unwrap();
    assert!(report.purged.is_empty(), "purged without a warning");
    assert_eq!(sorted(report.warned.clone()), ids(&photos));
    assert_eq!(report.view.to_be_purged, 2);
    assert_eq!(report.view.purge_after_hours, Some(48));
    assert_eq!(f.outbox_ids(), ids(&photos));
    for item in &items {
        assert!(f.vault().unseal(*item).is_ok());
    }

    // A pass straight after (the Outbox opened after the unlock) still purges nothing: the
    // warning gives a day's notice of trusted time.
    let report = f.ward.retention().unwrap();
    assert!(report.purged.is_empty(), "purged without notice");
    assert!(report.warned.is_empty(), "warned twice");
    f.clock.pass(24 * HOUR - 1);
    assert!(f.ward.retention().unwrap().purged.is_empty());

    // A day after the warning, a pass purges, each photo audited with its age.
    f.clock.pass(1);
    let report = f.ward.retention().unwrap();
    assert_eq!(
        sorted(report.purged.iter().map(|p| p.photo).collect()),
        ids(&photos)
    );
    assert!(report.purged.iter().all(|p| p.age_hours == 96));
    assert!(f.outbox_ids().is_empty());
    for item in &items {
        assert!(f.vault().unseal(*item).is_err(), "{item} still opens");
    }
    let events = f.audit_events();
    for p in &photos {
        assert!(events.contains(&Event::Purged {
            photo: p.id.to_string(),
            age_hours: 96,
        }));
    }
    let warned_at = events
        .iter()
        .position(|e| matches!(e, Event::RetentionWarned { photos: 2 }))
        .unwrap();
    let purged_at = events
        .iter()
        .position(|e| matches!(e, Event::Purged { .. }))
        .unwrap();
    assert!(warned_at < purged_at);

    // The PIN, the audit key and the retention record survive; no photo, manifest or visit
    // remains (the visit's consent went with its last photo).
    let kinds = f.kinds();
    assert!(kinds.contains(&ItemKind::ClinicianPin), "{kinds:?}");
    assert!(kinds.contains(&ItemKind::Retention), "{kinds:?}");
    assert!(kinds.contains(&ItemKind::AuditKey), "{kinds:?}");
    assert!(!kinds.iter().any(|k| matches!(
        k,
        ItemKind::Photo | ItemKind::Thumbnail | ItemKind::Manifest
    )));
    assert!(f.ward.pin_status().unwrap().set);
}

#[test]
fn the_purge_warning_survives_a_restart_and_the_open_visit_is_never_purged() {
    let mut f = fixture(purge_after_two_days());
    let waiting = f.queued_photos(1);
    f.ward.retention().unwrap();
    // A visit left open with a photo not yet queued.
    f.ward.identify(candidate(BAND)).unwrap();
    f.ward.confirm().unwrap();
    f.ward.record_consent(verbal()).unwrap();
    f.ward.start_capture().unwrap();
    let open = f.ward.capture(&jpeg(9), Purpose::Care).unwrap();
    f.ward.retention().unwrap();
    f.clock.pass(72 * HOUR);
    let report = f.ward.retention().unwrap();
    assert_eq!(report.warned.len(), 2);
    assert!(report.purged.is_empty());
    f.restart();
    f.clock.pass(24 * HOUR);
    let report = f.ward.retention().unwrap();
    assert_eq!(
        report.purged.iter().map(|p| p.photo).collect::<Vec<_>>(),
        ids(&waiting)
    );
    assert!(f.ward.thumbnail(open.id).is_ok());
    assert_eq!(f.outbox_ids(), vec![open.id]);
}

#[test]
fn retention_is_refused_while_locked_and_in_kiosk_mode() {
    let f = fixture(never_purge());
    f.ward.identify(candidate(BAND)).unwrap();
    f.ward.confirm().unwrap();
    f.ward.hand_to_patient().unwrap();
    assert_eq!(
        f.ward.retention().unwrap_err().code(),
        "session.kiosk_active"
    );
    f.ward.lock_now(crate::session::LockReason::User).unwrap();
    assert_eq!(f.ward.retention().unwrap_err().code(), "session.locked");
}

#[test]
fn the_trusted_time_record_is_sealed() {
    let f = fixture(never_purge());
    let photos = f.queued_photos(1);
    f.ward.vouch_time(Timestamp(1_800_000_000_000)).unwrap();
    f.ward.retention().unwrap();
    f.clock.pass(30 * HOUR);
    f.ward.retention().unwrap();
    assert_eq!(
        f.kinds()
            .iter()
            .filter(|k| **k == ItemKind::Retention)
            .count(),
        1,
        "older revisions are shredded"
    );
    let needles: Vec<Vec<u8>> = vec![
        BOOT_A.as_bytes().to_vec(),
        b"floor_ms".to_vec(),
        b"since_boot_ms".to_vec(),
        b"1800000000000".to_vec(),
        photos[0].id.to_string().into_bytes(),
    ];
    let mut files = Vec::new();
    let mut dirs = vec![f.path.clone()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else {
                files.push(path);
            }
        }
    }
    assert!(!files.is_empty());
    for file in files {
        let bytes = std::fs::read(&file).unwrap();
        for needle in &needles {
            assert!(
                !bytes.windows(needle.len()).any(|w| w == &needle[..]),
                "{} holds {:?} in clear",
                file.display(),
                String::from_utf8_lossy(needle)
            );
        }
    }
}

#[test]
fn an_http_date_reads_as_unix_seconds() {
    use crate::endpoint::parse_http_date;
    assert_eq!(
        parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"),
        Some(784_111_777)
    );
    assert_eq!(
        parse_http_date(" Tue, 01 Dec 2026 03:14:56 GMT "),
        Some(1_796_094_896)
    );
    for bad in [
        "",
        "yesterday",
        "Sunday, 06-Nov-94 08:49:37 GMT",
        "06 Nov 1994 08:49:37",
    ] {
        assert_eq!(parse_http_date(bad), None, "{bad}");
    }
}

/// The pinned endpoint keeps the `Date` of the trust server's answer as the time it vouches for
/// (needs the FHIR test server: `WARDCAM_REQUIRE_SERVERS=1`).
#[test]
fn the_endpoint_keeps_the_trust_servers_date() {
    use crate::delivery::orthanc_tests::block_on;
    use crate::endpoint::{Endpoint, Method, Request};
    let Some(server) = crate::delivery::fhir::server_tests::server() else {
        return;
    };
    let endpoint = Endpoint::new(&server.config("good")).unwrap();
    assert_eq!(endpoint.server_time(), None);
    block_on(endpoint.exchange(Request {
        method: Method::Get,
        path: "metadata",
        content_type: None,
        accept: "application/fhir+json",
        body: Zeroizing::new(Vec::new()),
        timeout: std::time::Duration::from_secs(20),
        max_reply: 16 << 20,
    }))
    .unwrap();
    let vouched = endpoint.server_time().unwrap();
    // The test server runs on this machine, so its clock is this one's (to the second).
    let now = Timestamp::now();
    assert!(vouched.0.abs_diff(now.0) < 60_000, "{vouched:?} vs {now:?}");
    // Clones share the connection pool, and so the server's word.
    assert!(endpoint.clone().server_time().is_some());
}
