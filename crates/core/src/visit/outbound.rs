//! Delivery while locked: the outbound store.
//!
//! Every lock shuts the vault and its key leaves memory, so a phone in a pocket cannot send what
//! waits. Where the trust opts in (`delivery.send_while_locked`), the courier packs, at the end of
//! each drain while unlocked, the exact bytes each route will receive for each waiting photo (its
//! DICOM Part-10 file or its FHIR transaction Bundle, built as [`super::outbox`] builds them) into
//! a second vault, the **outbound store** (`<vault>/outbound/`), whose master key is the
//! **delivery key**: a key the platform releases without the clinician once the phone itself has
//! been unlocked since it started (iOS after-first-unlock, an Android Keystore key with no user
//! authentication; desktop: the Secret Service). The vault's own key never leaves the key gate.
//!
//! - **A parcel** ([`ItemKind::Parcel`]) is the body alone; **its state** ([`ItemKind::ParcelState`],
//!   [`ParcelState`]) names the photo, the route, the server, the digests to read back and how
//!   far it got: packed, begun, waiting, stopped, verified. Each step replaces the state in one
//!   commit; the verified step shreds the parcel in the same commit.
//! - **While locked** the courier sends parcels and reads each back (`crate::delivery::Courier`);
//!   its audit entries go through the locked path and join the chain at the next unlock. Only
//!   "verified" shreds a parcel; a transient failure waits; anything else stops the parcel and
//!   leaves the photo to the unlocked courier, which classifies it with every rule it has.
//! - **At every unlock** ([`Inner::reconcile_outbound`], straight after recovery) each state is
//!   applied to its photo's sealed manifest (attempts, proof, verified routes, problem); a photo
//!   every route has verified is shredded with its deletion receipt as the courier would. Then the
//!   whole store and its key are destroyed: a captured delivery key never opens a later parcel.
//! - **A parcel exists only for a photo that may be sent now**: queued, its patient check clear,
//!   tried at least once (so never redactable), its content as packed. Any change to a packed
//!   photo that breaks this destroys its parcels before the change is committed
//!   ([`Inner::unparcel`], from `save_photo`, `shred_photo`, delivery's receipt and withdrawal).

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use ring::digest::{digest, SHA256};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::audit::route_name;
use super::identity::DeliveryGate;
use super::manifest::{
    decode, encode, FiledRecord, LocalState, PhotoManifest, Problem, Record, Route,
};
use super::outbox::{build_job, DeliveryJob, Destinations};
use super::ward::Inner;
use super::{Ack, PhotoId, Ward};
use crate::audit::Event as AuditEvent;
use crate::delivery::fhir::EntryKind;
use crate::session::State;
use crate::vault::{ItemId, ItemKind, KeyStore, Scrub, Timestamp, Vault, VaultError};
use crate::Error;

/// The outbound store's folder inside the vault's (a wipe removes it with the rest).
pub const OUTBOUND_DIR: &str = "outbound";

/// Beside the store's folder while a store the last unlock could not destroy is still there: the
/// locked courier sends nothing from it (its parcels may be stale), and the next pack destroys it.
const STALE_MARKER: &str = "outbound.stale";

fn stale_marker(dir: &Path) -> PathBuf {
    dir.with_file_name(STALE_MARKER)
}

/// Where the outbound store lives and the keystore holding its delivery key (the shell's choice,
/// [`Ward::use_outbound`]).
#[derive(Debug, Clone)]
pub(super) struct OutboundSlot {
    dir: PathBuf,
    keys: Arc<dyn KeyStore>,
}

/// How far a parcel got.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "step")]
pub enum ParcelStep {
    /// Sealed, not yet sent.
    Packed,
    /// Sent (or being sent) while locked; it may be on the server.
    Begun,
    /// A failure that may pass: try again after `retry_at`.
    Waiting {
        /// What went wrong.
        problem: Problem,
        /// Not before this.
        retry_at: Timestamp,
    },
    /// Anything else (refused, a reply that does not read, a copy that differs): the parcel is
    /// gone and the photo waits for the unlocked courier, which decides.
    Stopped {
        /// What went wrong.
        problem: Problem,
    },
    /// Read back and matched: the parcel is gone; the next unlock records the route verified.
    Verified,
}

/// One parcel's state, sealed in the outbound store. No patient identifier in it: ids, digests,
/// the server's address, the problem in words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParcelState {
    /// The parcel (the body), while it exists.
    pub parcel: Option<ItemId>,
    /// The photo.
    pub photo: PhotoId,
    /// The route this parcel goes by.
    pub route: Route,
    /// Every route the photo must reach before it is shredded, in order.
    pub required: Vec<Route>,
    /// SHA-256 of what of the photo's manifest went into the body ([`content_key`]).
    pub content: String,
    /// The server's base address it was built for.
    pub server: String,
    /// What the PACS will be asked to hold (its read-back digests), for the PACS route.
    pub sent: Option<super::SentRecord>,
    /// What the record will file, for the record route.
    pub filed: Option<FiledRecord>,
    /// The Bundle's entries (the record route), to read its answer.
    #[serde(default)]
    pub entries: Vec<EntryKind>,
    /// The photo's attempts, counting this parcel's.
    pub attempts: u32,
    /// How far it got.
    #[serde(flatten)]
    pub step: ParcelStep,
    /// When this step was sealed.
    pub at: Timestamp,
}

impl Record for ParcelState {
    const FORMAT: &'static str = "wardcam.parcel-state";
}

/// A parcel the locked courier may send now: its state's item and the state.
#[derive(Debug, Clone)]
pub struct DueParcel {
    /// The state's item (replaced at each step).
    pub item: ItemId,
    /// The state.
    pub state: ParcelState,
}

/// What the locked courier works from: the outbound store, opened for this drain only (the
/// delivery key leaves memory with it), and the parcels due.
#[derive(Debug)]
pub struct LockedBatch {
    vault: Arc<Vault>,
    generation: u64,
    /// The parcels due now, oldest first.
    pub due: Vec<DueParcel>,
    /// When the next waiting parcel is due, if one waits.
    pub next_at: Option<Timestamp>,
}

impl LockedBatch {
    /// The body of `state`'s parcel, wiped on drop.
    pub fn body(&self, state: &ParcelState) -> Result<Zeroizing<Vec<u8>>, Error> {
        let item = state.parcel.ok_or(VaultError::ApiMisuse(
            "a parcel state without its parcel was sent",
        ))?;
        Ok(self.vault.unseal(item)?)
    }
}

/// SHA-256 (hex) of everything in `m` a parcel's body is built from: all of it but its place in
/// the outbox (state, delivery, revision). A parcel whose photo no longer gives the same key is
/// stale.
pub(super) fn content_key(m: &PhotoManifest) -> Result<String, Error> {
    let mut c = m.clone();
    c.revision = 0;
    c.state = LocalState::Queued;
    c.delivery = Default::default();
    Ok(hex::encode(digest(&SHA256, &encode(&c)?)))
}

/// Whether a photo may be packed now: waiting after an attempt (so never redactable), its
/// patient check clear.
fn packable(m: &PhotoManifest) -> bool {
    m.state == LocalState::Queued && may_keep(m)
}

/// Whether a packed photo may keep its parcels: still on its way (the courier's own attempts
/// while unlocked move it through sending and uploaded and back), its patient check clear. A
/// photo held, withdrawn, delivered or purged may not.
fn may_keep(m: &PhotoManifest) -> bool {
    matches!(
        m.state,
        LocalState::Queued | LocalState::Sending | LocalState::Uploaded
    ) && m.patient.delivery_gate() == DeliveryGate::Ready
        && m.delivery.attempts >= 1
}

fn read_state(vault: &Vault, item: ItemId) -> Result<ParcelState, Error> {
    Ok(decode(&vault.unseal(item)?)?)
}

/// Every parcel state in `vault`, by photo.
fn states_in(vault: &Vault) -> Result<BTreeMap<PhotoId, Vec<DueParcel>>, Error> {
    let mut by_photo: BTreeMap<PhotoId, Vec<DueParcel>> = BTreeMap::new();
    for meta in vault.list()? {
        if meta.kind != ItemKind::ParcelState {
            continue;
        }
        let state = read_state(vault, meta.id)?;
        by_photo.entry(state.photo).or_default().push(DueParcel {
            item: meta.id,
            state,
        });
    }
    Ok(by_photo)
}

/// Destroys the outbound store in `dir` without its key (every item's key overwritten, then the
/// delivery key removed from `keys` and the folder deleted). Idempotent.
pub(super) fn destroy_store(dir: &Path, keys: &dyn KeyStore) -> Result<usize, Error> {
    let erased = Vault::erase_keys_in(dir)?;
    if let Some(name) = &erased.keystore_name {
        keys.remove(name)?;
    }
    // The folder itself stays: on iOS the shell gives it a file protection class a locked phone
    // can read (after first unlock), which the files created in it later inherit.
    empty_folder(dir).map_err(VaultError::io("remove the outbound store"))?;
    match fs::remove_file(stale_marker(dir)) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        done => done.map_err(VaultError::io("remove the outbound store's marker"))?,
    }
    Ok(erased.items)
}

/// Removes everything in `dir` (not `dir`); nothing to do if it does not exist.
fn empty_folder(dir: &Path) -> std::io::Result<()> {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    for entry in entries {
        let entry = entry?;
        let removed = if entry.file_type()?.is_dir() {
            fs::remove_dir_all(entry.path())
        } else {
            fs::remove_file(entry.path())
        };
        match removed {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
            _ => {}
        }
    }
    Ok(())
}

/// Whether `dir` holds no outbound store (no index, no item): what every unlock leaves.
pub fn outbound_store_gone(dir: &Path) -> bool {
    fs::read_dir(dir).map_or(true, |mut entries| entries.next().is_none())
}

impl Inner {
    /// The outbound store, opened (created if `create`) and kept while unlocked.
    fn outbound_vault(&mut self, create: bool) -> Result<Option<Arc<Vault>>, Error> {
        if let Some(v) = &self.outbound_vault {
            return Ok(Some(Arc::clone(v)));
        }
        let Some(slot) = &self.outbound else {
            return Ok(None);
        };
        let opened = if create {
            Vault::open_or_create(&slot.dir, slot.keys.as_ref())
        } else {
            Vault::open(&slot.dir, slot.keys.as_ref())
        };
        let vault = match opened {
            Ok(v) => Arc::new(v),
            Err(VaultError::NoVault) => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        self.outbound_vault = Some(Arc::clone(&vault));
        Ok(Some(vault))
    }

    /// Destroys every parcel of `photo` (before a change that makes them stale is committed). If
    /// one cannot be shredded, the whole store goes; if even that fails, the change is refused:
    /// a parcel that outlives its photo's right to be sent must never be sent.
    pub(super) fn unparcel(&mut self, photo: PhotoId) -> Result<(), Error> {
        let Some(entries) = self.parceled.remove(&photo) else {
            return Ok(());
        };
        let items: Vec<ItemId> = entries
            .iter()
            .flat_map(|e| std::iter::once(e.item).chain(e.state.parcel))
            .collect();
        let shredded = match self.outbound_vault(false) {
            Ok(Some(v)) => v.shred_all(&items).is_ok(),
            Ok(None) => true,
            Err(_) => false,
        };
        if !shredded {
            self.destroy_outbound()?;
        }
        Ok(())
    }

    /// Destroys the whole outbound store now (its key too).
    pub(super) fn destroy_outbound(&mut self) -> Result<usize, Error> {
        self.outbound_vault = None;
        self.parceled.clear();
        let Some(slot) = self.outbound.clone() else {
            return Ok(0);
        };
        destroy_store(&slot.dir, slot.keys.as_ref())
    }

    /// Whether `m` (about to be sealed) leaves any parcel of its photo stale.
    pub(super) fn parcels_stale_after(&self, m: &PhotoManifest) -> Result<bool, Error> {
        let Some(entries) = self.parceled.get(&m.photo_id) else {
            return Ok(false);
        };
        if !may_keep(m) {
            return Ok(true);
        }
        let key = content_key(m)?;
        Ok(entries
            .iter()
            .any(|e| e.state.content != key || m.delivery.is_verified(e.state.route)))
    }

    /// Applies what the locked courier did (see the module documentation), then destroys the
    /// store and its key. Runs at every unlock, after recovery and with the journal open, under
    /// the ward's lock: a locked drain still in flight finds its generation gone and stops.
    pub(super) fn reconcile_outbound(&mut self, vault: &Vault, now: Timestamp) -> usize {
        self.outbound_generation = self.outbound_generation.wrapping_add(1);
        self.outbound_vault = None;
        self.parceled.clear();
        let Some(slot) = self.outbound.clone() else {
            return 0;
        };
        let by_photo = match Vault::open(&slot.dir, slot.keys.as_ref()) {
            Ok(ob) => states_in(&ob).unwrap_or_default(),
            // No store, or one whose key is gone: nothing it did can be read; the photos are
            // still in the vault and go (again) by the courier. Same identifiers: replaced,
            // not duplicated.
            Err(_) => BTreeMap::new(),
        };
        let mut applied = 0;
        for (photo, states) in by_photo {
            if self.apply_parcels(vault, photo, &states, now).is_ok() {
                applied += states.len();
            }
        }
        // A store that cannot be destroyed now is marked stale: the locked courier sends nothing
        // from it, and the next pack destroys it first.
        if destroy_store(&slot.dir, slot.keys.as_ref()).is_err() {
            let _ = fs::write(stale_marker(&slot.dir), b"");
        }
        applied
    }

    fn apply_parcels(
        &mut self,
        vault: &Vault,
        photo: PhotoId,
        states: &[DueParcel],
        now: Timestamp,
    ) -> Result<(), Error> {
        let Some(old) = self.photos.get(&photo).map(|s| s.record.clone()) else {
            // Delivered, withdrawn or purged meanwhile: nothing to record.
            return Ok(());
        };
        let mut m = old.clone();
        let mut required: Vec<Route> = Vec::new();
        let key = content_key(&m)?;
        for DueParcel { state, .. } in states {
            m.delivery.attempts = m.delivery.attempts.max(state.attempts);
            if state.content != key || m.delivery.is_verified(state.route) {
                continue;
            }
            required.clone_from(&state.required);
            match &state.step {
                ParcelStep::Packed | ParcelStep::Begun => {}
                ParcelStep::Waiting { problem, retry_at } => {
                    m.delivery.problem = Some(problem.clone());
                    m.delivery.next_attempt_at = Some(*retry_at);
                }
                ParcelStep::Stopped { problem } => {
                    m.delivery.problem = Some(problem.clone());
                    m.delivery.next_attempt_at = None;
                }
                ParcelStep::Verified => {
                    match state.route {
                        Route::Pacs => m.delivery.sent.clone_from(&state.sent),
                        Route::Record => m.delivery.filed.clone_from(&state.filed),
                    }
                    m.delivery.route = state.route;
                    m.delivery.verified.push(state.route);
                    m.delivery.problem = None;
                    m.delivery.next_attempt_at = None;
                }
            }
        }
        if m == old {
            return Ok(());
        }
        if !required.is_empty() && required.iter().all(|r| m.delivery.is_verified(*r)) {
            // Every route read it back while locked: shredded with its receipt now, as the
            // courier would have (the receipt is the only record of the verification).
            self.photos.entry(photo).and_modify(|s| s.record = m);
            let to = Destinations {
                required,
                open: Vec::new(),
            };
            return self.finish_delivery(vault, photo, &to, now);
        }
        if matches!(m.state, LocalState::Sending | LocalState::Uploaded) {
            m.state = LocalState::Queued;
        }
        self.save_photo(vault, m, &[], now)
    }
}

impl Ward {
    /// Where the outbound store lives and which keystore keeps its delivery key (the shell's
    /// product path; see the module documentation). Without it nothing is packed.
    pub fn use_outbound(&self, dir: PathBuf, keys: Arc<dyn KeyStore>) -> Result<(), Error> {
        self.lock()?.outbound = Some(OutboundSlot { dir, keys });
        Ok(())
    }

    /// Packs a parcel for every route in `routes` (configured routes and their servers, in
    /// order) that each waiting photo has not yet been read back on, unless one is packed for
    /// that photo's content already. Refused while locked. Returns how many were packed.
    pub fn pack_parcels(&self, routes: &[(Route, String)]) -> Result<usize, Error> {
        let required: Vec<Route> = routes.iter().map(|(r, _)| *r).collect();
        let (vault, waiting) = {
            let inner = self.lock()?;
            inner.unlocked()?;
            let vault = inner.vault()?;
            if inner.outbound.is_none() {
                return Ok(0);
            }
            let mut waiting = Vec::new();
            for s in inner.photos.values() {
                let m = &s.record;
                if !packable(m) {
                    continue;
                }
                let key = content_key(m)?;
                for (route, server) in routes {
                    let packed = inner.parceled.get(&m.photo_id).is_some_and(|e| {
                        e.iter().any(|p| {
                            p.state.route == *route
                                && p.state.content == key
                                && &p.state.server == server
                        })
                    });
                    if !m.delivery.is_verified(*route) && !packed {
                        waiting.push((m.clone(), key.clone(), *route, server.clone()));
                    }
                }
            }
            (vault, waiting)
        };
        let mut packed = 0;
        for (m, key, route, server) in waiting {
            let now = self.clock.wall();
            // Built outside the lock, as for the courier.
            let Ok(job) = build_job(&vault, &m, route, &server, now) else {
                // The courier holds a photo whose object cannot be built; nothing to pack.
                continue;
            };
            let (body, sent, filed, entries) = match job {
                DeliveryJob::Send { part10, sent, .. } => (part10, Some(sent), None, Vec::new()),
                DeliveryJob::File { bundle, filed, .. } => {
                    let (body, entries) = bundle.into_parts();
                    (body, None, Some(filed), entries)
                }
                _ => continue,
            };
            let mut inner = self.lock()?;
            inner.unlocked()?;
            if inner.parceled.is_empty() && inner.outbound_vault.is_none() {
                // Whatever is there was left by an unlock that could not destroy it: it is stale
                // (its photos may have changed since), so it goes before anything is packed.
                inner.destroy_outbound()?;
            }
            let Some(ob) = inner.outbound_vault(true)? else {
                return Ok(packed);
            };
            // Checked again under the lock: a photo changed while it was built is not packed.
            let current = inner.photos.get(&m.photo_id).map(|s| &s.record);
            if current.is_none_or(|c| c.revision != m.revision) {
                continue;
            }
            let parcel = ob.seal(ItemKind::Parcel, &body, None, now)?;
            let state = ParcelState {
                parcel: Some(parcel),
                photo: m.photo_id,
                route,
                required: required.clone(),
                content: key,
                server,
                sent,
                filed,
                entries,
                attempts: m.delivery.attempts,
                step: ParcelStep::Packed,
                at: now,
            };
            // A crash between the two seals leaves a parcel no state names: destroyed with the
            // store at the next unlock.
            let item = match ob.seal(ItemKind::ParcelState, &encode(&state)?, None, now) {
                Ok(item) => item,
                Err(e) => {
                    let _ = ob.shred_all(&[parcel]);
                    return Err(e.into());
                }
            };
            inner.audit(AuditEvent::Packed {
                photo: m.photo_id.to_string(),
                route: route_name(route),
            });
            inner
                .parceled
                .entry(m.photo_id)
                .or_default()
                .push(DueParcel { item, state });
            packed += 1;
        }
        Ok(packed)
    }

    /// The parcels the courier may send now, while locked: `None` when the session is unlocked
    /// (the courier's own drain runs then) or there is no outbound store. Opens the store for this
    /// batch only.
    pub fn parcels_due(&self, now: Timestamp) -> Result<Option<LockedBatch>, Error> {
        let (slot, generation) = {
            let inner = self.lock()?;
            if inner.session.state() != State::Locked {
                return Ok(None);
            }
            let Some(slot) = inner.outbound.clone() else {
                return Ok(None);
            };
            (slot, inner.outbound_generation)
        };
        if stale_marker(&slot.dir).exists() {
            return Ok(None);
        }
        let vault = match Vault::open(&slot.dir, slot.keys.as_ref()) {
            Ok(v) => Arc::new(v),
            Err(VaultError::NoVault) => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        let mut due = Vec::new();
        let mut next_at: Option<Timestamp> = None;
        for (_, states) in states_in(&vault)? {
            for p in states {
                match &p.state.step {
                    ParcelStep::Packed | ParcelStep::Begun => due.push(p),
                    ParcelStep::Waiting { retry_at, .. } if *retry_at <= now => due.push(p),
                    ParcelStep::Waiting { retry_at, .. } => {
                        next_at = Some(next_at.map_or(*retry_at, |n| n.min(*retry_at)));
                    }
                    ParcelStep::Stopped { .. } | ParcelStep::Verified => {}
                }
            }
        }
        // Photo by photo, each photo's routes in order.
        due.sort_by_key(|p| (p.state.at, p.state.photo, p.state.route));
        Ok(Some(LockedBatch {
            vault,
            generation,
            due,
            next_at,
        }))
    }

    /// Seals a parcel's next step while locked, replacing its state (and shredding the parcel in
    /// the same commit when the step ends it). `None` when the app was unlocked meanwhile: the
    /// unlock has taken the store over, and the courier stops. A verified step is audited as the
    /// courier's own delivery is (`Delivered`, `ReadBackMatched`), through the locked path.
    pub fn parcel_step(
        &self,
        batch: &LockedBatch,
        parcel: &DueParcel,
        step: ParcelStep,
        proof: Option<Ack>,
    ) -> Result<Option<DueParcel>, Error> {
        let mut inner = self.lock()?;
        if inner.session.state() != State::Locked || inner.outbound_generation != batch.generation {
            return Ok(None);
        }
        let now = self.clock.wall();
        let mut state = parcel.state.clone();
        let ends = matches!(step, ParcelStep::Verified | ParcelStep::Stopped { .. });
        if step == ParcelStep::Begun {
            state.attempts = state.attempts.saturating_add(1);
        }
        match proof {
            Some(Ack::Pacs(sent)) => state.sent = Some(sent),
            Some(Ack::Record(filed)) => state.filed = Some(filed),
            None => {}
        }
        let mut retire = vec![parcel.item];
        if ends {
            retire.extend(state.parcel.take());
        }
        let verified = step == ParcelStep::Verified;
        state.step = step;
        state.at = now;
        let scrub = if ends { Scrub::Now } else { Scrub::Later };
        let replaced = batch.vault.seal_replacing(
            ItemKind::ParcelState,
            &encode(&state)?,
            None,
            now,
            &retire,
            scrub,
        )?;
        if verified {
            let route = route_name(state.route);
            inner.audit(AuditEvent::Delivered {
                photo: state.photo.to_string(),
                route: route.clone(),
            });
            inner.audit(AuditEvent::ReadBackMatched {
                photo: state.photo.to_string(),
                route,
            });
        }
        Ok(Some(DueParcel {
            item: replaced.id,
            state,
        }))
    }
}
