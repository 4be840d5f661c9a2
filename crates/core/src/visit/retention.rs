//! Retention: how long an undelivered photo may wait on the phone, decided per photo here in the
//! ward, on a clock the user cannot wind forward (`docs/retention.md`).
//!
//! Promise 6 is that a photo is never lost before it reaches the record. So:
//! - **Undelivered photos are never shredded by age** unless the trust's policy says so
//!   explicitly (`retention.shred_undelivered_after_days`), and then only after the clinician
//!   was warned on an earlier pass ([`Ward::retention`]) at least a day of trusted time before,
//!   with an audit entry per photo ([`Event::Purged`]). Delivered photos are already gone (shredded at delivery); the clinician
//!   credential, the policy, the audit log and this record are never purged.
//! - **Ages are lower bounds on the real time a photo has waited**, measured on the since-boot
//!   clock ([`Clock::boot`]) and on the time trust servers vouch for in their `Date` headers
//!   ([`Ward::vouch_time`]). The wall clock is never read here, so setting it a year ahead ages
//!   nothing. Every rule below can only under-count an age:
//!   - The record keeps a **floor**: a time the real time was at least, at a since-boot reading.
//!     Within one boot it moves with the since-boot clock; after a reboot only the time since the
//!     new boot is added (the phone may have been off for any time, which is not counted), so a
//!     reboot never lowers it and never invents time.
//!   - A server's time moves the floor forward (never back). The gap it closes (the floor's lag)
//!     is added to the birth of every photo first seen before it, because that lag may have
//!     accrued after the photo was seen; such births are then upper bounds of when the photo was
//!     seen, in real time, and stay put ("pinned").
//!   - A photo's birth is the floor when a pass first sees it, so its age counts from that pass:
//!     the capture time the manifest holds is a wall-clock reading and is not trusted.
//!
//! The record ([`ItemKind::Retention`]) is sealed like the PIN: a new revision is sealed, then
//! the old one shredded; if a crash leaves two, the higher revision wins.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::clock::BootReading;
use super::error::VisitError;
use super::ids::PhotoId;
use super::manifest::LocalState;
use super::ward::{Inner, Ward};
use crate::audit::Event;
use crate::policy::RetentionSettings;
use crate::vault::{ItemId, ItemKind, Timestamp, Vault, VaultError};
use crate::Error;

const HOUR_MS: u64 = 60 * 60 * 1_000;
/// The notice a purge gives: a photo the policy would purge at `N` hours is warned about from
/// `N - 24` hours (or from the policy's warning age, if earlier), and is purged no sooner than
/// 24 hours of trusted time after the warning, whenever a pass first saw it.
const PURGE_NOTICE_MS: u64 = 24 * HOUR_MS;

/// A trust server's word on the time: its `Date`, and the since-boot reading it was taken at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Vouch {
    /// The server's time, Unix ms.
    pub(crate) server: Timestamp,
    /// When it came.
    pub(crate) at: BootReading,
}

/// What retention knows of one waiting photo.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct PhotoAge {
    /// On the floor's scale: when a pass first saw the photo (see the module documentation).
    birth_ms: u64,
    /// Whether `birth_ms` is already an upper bound of when it was seen (a server vouched since).
    pinned: bool,
    /// The pass that warned the clinician about it, if one did.
    warned_in: Option<u64>,
    /// The floor when it did: a purge waits [`PURGE_NOTICE_MS`] past it.
    #[serde(default)]
    warned_at_ms: u64,
}

/// What is sealed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct RetentionRecord {
    /// Bumped on every save; the highest wins after a crash.
    revision: u64,
    /// Passes made, so a purge can tell that its warning came on an earlier one.
    passes: u64,
    /// The real time was at least this (Unix ms once a server vouched; before that, time counted
    /// from the first pass) at `at`.
    floor_ms: u64,
    /// The since-boot reading of `floor_ms`.
    at: BootReading,
    /// The last server's word, kept for the Device screen and the docs' promise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    vouched: Option<Vouch>,
    /// Every photo a pass has seen and that was still waiting then.
    photos: BTreeMap<PhotoId, PhotoAge>,
}

/// One photo purged by retention.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PurgedPhoto {
    /// The photo (now shredded).
    pub photo: PhotoId,
    /// Its age on the trusted clock, in whole hours.
    pub age_hours: u64,
}

/// What the Outbox shows about photos waiting too long.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RetentionView {
    /// Photos waiting at least `warn_after_hours` (the Outbox says: "N photos waiting longer than
    /// X hours: connect to the trust network").
    pub waiting_too_long: usize,
    /// The age that warns, in hours.
    pub warn_after_hours: u64,
    /// Of those, photos the trust's policy will purge at a later pass unless they are delivered.
    pub to_be_purged: usize,
    /// The age at which the policy purges an undelivered photo, in hours; `None`: never.
    pub purge_after_hours: Option<u64>,
    /// When a trust server last vouched for the time (its own clock, Unix ms), if one ever did.
    pub last_vouched: Option<Timestamp>,
}

/// What one pass of [`Ward::retention`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RetentionReport {
    /// Photos the clinician is warned about now, for the first time.
    pub warned: Vec<PhotoId>,
    /// Photos purged now (each with its audit entry).
    pub purged: Vec<PurgedPhoto>,
    /// What the Outbox shows.
    pub view: RetentionView,
}

/// Whether `to` is certainly in the same boot as `from`: the same boot id, or, with no id, a
/// clock that did not go back (which may hide a reboot: see [`elapsed`]).
fn same_boot(from: &BootReading, to: &BootReading) -> bool {
    match (&from.boot_id, &to.boot_id) {
        (Some(a), Some(b)) => a == b && to.since_boot_ms >= from.since_boot_ms,
        _ => to.since_boot_ms >= from.since_boot_ms,
    }
}

/// Milliseconds known to have passed from `from` to `to`: within one boot, the difference; after
/// a reboot (another boot id, or the clock gone back), only the time since the new boot. With no
/// boot id a clock gone forward may hide a reboot; the difference then under-counts, never over.
fn elapsed(from: &BootReading, to: &BootReading) -> u64 {
    if same_boot(from, to) {
        to.since_boot_ms - from.since_boot_ms
    } else {
        to.since_boot_ms
    }
}

fn invalid() -> Error {
    Error::Visit(VisitError::ManifestInvalid {
        detail: "the retention record did not read",
    })
}

/// The record as found: the newest revision and its item, and the items it supersedes (older
/// revisions a crash left, and any that did not read).
struct Loaded {
    best: Option<(ItemId, RetentionRecord)>,
    older: Vec<ItemId>,
}

impl RetentionRecord {
    fn new(at: BootReading) -> RetentionRecord {
        RetentionRecord {
            revision: 0,
            passes: 0,
            floor_ms: 0,
            at,
            vouched: None,
            photos: BTreeMap::new(),
        }
    }

    /// Reads the record (the highest revision, if a crash left two) and the items to shred.
    fn load(vault: &Vault) -> Result<Loaded, Error> {
        let mut best: Option<(ItemId, RetentionRecord)> = None;
        let mut older = Vec::new();
        for meta in vault
            .list()?
            .iter()
            .filter(|m| m.kind == ItemKind::Retention)
        {
            let bytes = vault.unseal(meta.id)?;
            // A record that does not read is retired and the clock starts again from this pass:
            // ages restart at zero, which can only delay a warning or a purge, never hasten one.
            let Ok(record) = serde_json::from_slice::<RetentionRecord>(&bytes) else {
                older.push(meta.id);
                continue;
            };
            match &best {
                Some((_, b)) if b.revision >= record.revision => older.push(meta.id),
                _ => {
                    if let Some((old, _)) = best.replace((meta.id, record)) {
                        older.push(old);
                    }
                }
            }
        }
        Ok(Loaded { best, older })
    }

    /// Seals this as the next revision, then shreds `retire` (the previous ones).
    fn save(&mut self, vault: &Vault, retire: &[ItemId], now: Timestamp) -> Result<ItemId, Error> {
        self.revision += 1;
        let json = serde_json::to_vec(self).map_err(|_| invalid())?;
        let id = vault.seal(ItemKind::Retention, &json, None, now)?;
        for old in retire {
            match vault.delete(*old) {
                Ok(()) | Err(VaultError::NotFound) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(id)
    }

    /// Moves the floor to `now` by the time known to have passed.
    fn advance(&mut self, now: &BootReading) {
        self.floor_ms = self.floor_ms.saturating_add(elapsed(&self.at, now));
        self.at = now.clone();
    }

    /// Takes a server's word: the floor rises to it (never falls), and every birth not yet pinned
    /// moves by the same gap, since the floor's lag may have accrued after that photo was seen.
    fn vouch(&mut self, vouch: Vouch) {
        self.advance(&vouch.at);
        let server = vouch.server.0;
        if server > self.floor_ms {
            let lag = server - self.floor_ms;
            self.floor_ms = server;
            for age in self.photos.values_mut().filter(|a| !a.pinned) {
                age.birth_ms = age.birth_ms.saturating_add(lag);
            }
        }
        // Once the floor is a server's time, every birth is an upper bound of when its photo was
        // seen: the ones moved above, and the ones seen at an exact floor.
        for age in self.photos.values_mut() {
            age.pinned = true;
        }
        self.vouched = Some(vouch);
    }

    fn age_ms(&self, photo: &PhotoAge) -> u64 {
        self.floor_ms.saturating_sub(photo.birth_ms)
    }
}

/// The ages at which the policy warns and purges, in ms.
struct Thresholds {
    warn_ms: u64,
    purge_ms: Option<u64>,
}

impl Thresholds {
    fn of(policy: &RetentionSettings) -> Thresholds {
        let warn_ms = u64::from(policy.warn_undelivered_after_hours) * HOUR_MS;
        let purge_ms = policy
            .shred_undelivered_after_days
            .map(|d| u64::from(d) * 24 * HOUR_MS);
        let warn_ms = match purge_ms {
            Some(p) => warn_ms.min(p.saturating_sub(PURGE_NOTICE_MS)),
            None => warn_ms,
        };
        Thresholds { warn_ms, purge_ms }
    }
}

/// Whether a photo in `state` may be purged at all: not while a send is under way (`Sending`,
/// `Uploaded`: the courier finishes or returns it), nor once withdrawn (already going).
fn purgeable(state: LocalState) -> bool {
    matches!(
        state,
        LocalState::Captured | LocalState::Queued | LocalState::Held
    )
}

impl Ward {
    /// A trust server vouched for the time: `server` is its `Date` (advanced by the since-boot
    /// time since it came, see [`crate::endpoint::Endpoint::server_time`]). Kept in memory and
    /// sealed at the next [`Ward::retention`] pass, locked or not.
    pub fn vouch_time(&self, server: Timestamp) -> Result<(), Error> {
        let at = self.clock.boot();
        self.lock()?.vouched = Some(Vouch { server, at });
        Ok(())
    }

    /// What the last [`Ward::retention`] pass found, for the Outbox's banner (`None` before one).
    pub fn retention_view(&self) -> Result<Option<RetentionView>, Error> {
        Ok(self.lock()?.retention_view.clone())
    }

    /// One retention pass, which the shell runs at unlock and when the Outbox is shown: the
    /// trusted clock moves on (with any server's word since the last pass), photos not seen
    /// before are noted, photos waiting too long are warned about (recorded, and audited as one
    /// [`Event::RetentionWarned`]), and, only where the policy purges undelivered photos, photos
    /// past its age that were warned about on an earlier pass are shredded whole, each audited as
    /// [`Event::Purged`]. Photos of the visit open now, and photos being sent, are never purged.
    /// Refused while locked or while the patient holds the phone.
    pub fn retention(&self) -> Result<RetentionReport, Error> {
        let mut inner = self.lock()?;
        inner.clinician_holds()?;
        let vault = inner.vault()?;
        let now = self.clock.boot();
        let wall = self.clock.wall();
        let Loaded { best: found, older } = RetentionRecord::load(&vault)?;
        let (mut record, mut retire) = match found {
            Some((item, record)) => (record, vec![item]),
            // The first record starts at the oldest reading it is given: a server's word waiting
            // since before this pass must not look like a reboot (the clock gone back).
            None => {
                let start = inner.vouched.as_ref().map_or(&now, |v| &v.at);
                (RetentionRecord::new(start.clone()), Vec::new())
            }
        };
        retire.extend(older);
        if let Some(vouch) = inner.vouched.take() {
            record.vouch(vouch);
        }
        record.advance(&now);
        record.passes += 1;
        let pass = record.passes;

        // Photos no longer waiting leave the record; new ones are born at the floor.
        record.photos.retain(|id, _| inner.photos.contains_key(id));
        let floor = record.floor_ms;
        // A floor is exact (so a birth at it is an upper bound of when the photo was seen) only
        // while no reboot has come since a server vouched: downtime would be uncounted lag.
        let pinned = record
            .vouched
            .as_ref()
            .is_some_and(|v| same_boot(&v.at, &now));
        for id in inner.photos.keys() {
            record.photos.entry(*id).or_insert(PhotoAge {
                birth_ms: floor,
                pinned,
                warned_in: None,
                warned_at_ms: 0,
            });
        }

        let limits = Thresholds::of(&self.retention_policy);
        let mut warned = Vec::new();
        let mut purge = Vec::new();
        for (id, age) in &record.photos {
            let ms = record.age_ms(age);
            let Some(stored) = inner.photos.get(id) else {
                continue;
            };
            let eligible = limits.purge_ms.is_some_and(|p| ms >= p)
                && age.warned_in.is_some_and(|w| w < pass)
                && floor.saturating_sub(age.warned_at_ms) >= PURGE_NOTICE_MS
                && purgeable(stored.record.state)
                && !inner.is_current(stored.record.visit_id);
            if eligible {
                purge.push(PurgedPhoto {
                    photo: *id,
                    age_hours: ms / HOUR_MS,
                });
            } else if age.warned_in.is_none() && ms >= limits.warn_ms {
                warned.push(*id);
            }
        }
        for id in &warned {
            if let Some(age) = record.photos.get_mut(id) {
                age.warned_in = Some(pass);
                age.warned_at_ms = floor;
            }
        }
        // Sealed before anything is shown or shredded: a warning is on record before the pass
        // that may purge, and the floor survives a crash in what follows.
        record.save(&vault, &retire, wall)?;
        if !warned.is_empty() {
            inner.audit(Event::RetentionWarned {
                photos: warned.len() as u64,
            });
        }

        let mut purged = Vec::new();
        let mut visits = Vec::new();
        for p in purge {
            let Some(visit) = inner.photos.get(&p.photo).map(|s| s.record.visit_id) else {
                continue;
            };
            inner.shred_photo(&vault, p.photo)?;
            inner.audit(Event::Purged {
                photo: p.photo.to_string(),
                age_hours: p.age_hours,
            });
            if !visits.contains(&visit) {
                visits.push(visit);
            }
            purged.push(p);
        }
        // Never the open visit's: its record goes, or stays ended, as after any shred.
        for visit in visits {
            inner.end_visit_record(&vault, visit, wall)?;
        }

        let view = view_of(&record, &inner, &limits);
        inner.retention_view = Some(view.clone());
        Ok(RetentionReport {
            warned,
            purged,
            view,
        })
    }
}

fn view_of(record: &RetentionRecord, inner: &Inner, limits: &Thresholds) -> RetentionView {
    let waiting: Vec<&PhotoAge> = record
        .photos
        .iter()
        .filter(|(id, _)| inner.photos.contains_key(id))
        .map(|(_, a)| a)
        .filter(|a| record.age_ms(a) >= limits.warn_ms)
        .collect();
    RetentionView {
        waiting_too_long: waiting.len(),
        warn_after_hours: limits.warn_ms / HOUR_MS,
        to_be_purged: if limits.purge_ms.is_some() {
            waiting.iter().filter(|a| a.warned_in.is_some()).count()
        } else {
            0
        },
        purge_after_hours: limits.purge_ms.map(|p| p / HOUR_MS),
        last_vouched: record.vouched.as_ref().map(|v| v.server),
    }
}

impl Inner {
    /// How long the longest-waiting photo has waited, on the same trusted clock as a pass and
    /// with the same lower bounds, without making a pass (nothing is sealed): for the device
    /// status (`status.rs`). A photo no pass has seen yet counts as just born. `None` when no
    /// photo waits. Needs the open vault (the record is sealed in it).
    pub(super) fn oldest_waiting_ms(
        &self,
        vault: &Vault,
        now: &BootReading,
    ) -> Result<Option<u64>, Error> {
        if self.photos.is_empty() {
            return Ok(None);
        }
        let Loaded { best, .. } = RetentionRecord::load(vault)?;
        let mut record = match best {
            Some((_, record)) => record,
            // As a first pass starts it (see `Ward::retention`).
            None => RetentionRecord::new(self.vouched.as_ref().map_or(now, |v| &v.at).clone()),
        };
        // A copy: the server's word is folded into the sealed record by the next pass only.
        if let Some(vouch) = self.vouched.clone() {
            record.vouch(vouch);
        }
        record.advance(now);
        Ok(self
            .photos
            .keys()
            .map(|id| record.photos.get(id).map_or(0, |age| record.age_ms(age)))
            .max())
    }
}
