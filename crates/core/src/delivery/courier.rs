//! The courier: drains the outbox to the trust's PACS, its FHIR record, or both. Each photo goes
//! through the ward's transactions (`crate::visit`'s outbox steps) around two requests per route:
//! STOW-RS then a WADO-RS read-back whose frame must match the digest sealed at acknowledgement,
//! or a FHIR transaction then a read-back of its Binary. The local copy is shredded only once
//! every configured route has read it back; a photo takes the routes one after another within
//! one delivery, and a route whose server is paused is passed over for the other.
//!
//! - **Runs on the async runtime and never blocks it**: every vault step (unseal, build, seal,
//!   shred) runs on the blocking pool.
//! - **Bounded**: at most [`CONCURRENCY`] photos in flight, over the endpoint's one connection
//!   pool.
//! - **Waits well**: a problem every photo would meet (unreachable, untrusted, overloaded) stops
//!   the drain and pauses the courier with exponential backoff and jitter, or for the server's
//!   `Retry-After`; a problem of one photo delays that photo alone. [`Courier::send_now`] lifts
//!   every wait.
//! - **Asks before sending**: photos of a visit whose patient must be checked again wait for the
//!   check, and are held if it blocks them.

use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::stream::{self, StreamExt};
use serde::Serialize;

use super::fhir::{FhirRecord, Filed, SentBinary, TransactionBundle, MAX_AUDIT_ENTRIES};
use super::outcome::Outcome;
use super::pacs::Pacs;
use crate::endpoint::RetryAfter;
use crate::patient::PatientLookup;
use crate::vault::{Timestamp, VaultError};
use crate::visit::{
    recheck_due_visits, Ack, ConsentCopyJob, DeliveryJob, Destinations, FiledRecord, ParcelState,
    ParcelStep, PhotoId, Problem, Route, Verified, VisitId, Ward,
};
use crate::Error;
use zeroize::Zeroizing;

/// Photos in flight at once: enough that one photo's local steps (unseal, build, the vault's
/// fsynced transactions) and read-back overlap others' uploads, few enough not to starve a
/// phone's uplink. On loopback 6 gave about 1.0x curl where 4 gave 0.90-0.95x and 2 gave 0.62x
/// (docs/delivery.md).
pub const CONCURRENCY: usize = 6;

/// The first wait after a failure.
pub const BACKOFF_BASE: Duration = Duration::from_secs(15);
/// The longest wait between tries.
pub const BACKOFF_CAP: Duration = Duration::from_secs(10 * 60);
/// The longest `Retry-After` honoured.
pub const RETRY_AFTER_CAP: Duration = Duration::from_secs(60 * 60);
/// Bundles of AuditEvents per drain: a long offline spell's entries go over a few drains rather
/// than holding one up.
pub const AUDIT_BUNDLES_PER_DRAIN: usize = 10;

/// Where a photo is in a drain, for the Outbox's progress bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Unsealing and building its DICOM object.
    Preparing,
    /// Being sent.
    Uploading,
    /// Its copy on the server is being read back.
    Verifying,
}

/// What the courier tells the Outbox as it goes.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum OutboxEvent {
    /// A photo moved on.
    Progress {
        /// The photo.
        photo: PhotoId,
        /// Its phase.
        phase: Phase,
        /// How far, 0 to 1.
        fraction: f32,
    },
    /// The outbox changed (a state, a problem, a retry time): read it again.
    Changed,
    /// A photo was delivered, verified and shredded here.
    Sent {
        /// The photo.
        photo: PhotoId,
    },
}

/// What one drain did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DrainReport {
    /// Photos delivered, verified and shredded.
    pub delivered: usize,
    /// Photos acknowledged but not yet verified (the read-back failed in a way that may pass).
    pub unverified: usize,
    /// Photos held for a person by this drain.
    pub held: usize,
    /// Photos that failed and wait to be tried again.
    pub waiting: usize,
    /// Photos due but not tried: no longer due when their turn came, or left when a problem every
    /// photo would meet stopped the drain.
    pub not_tried: usize,
    /// Consents sent to the PACS as their own copy and read back (a PACS-only trust).
    pub consents_copied: usize,
    /// Withdrawn consents the FHIR record now shows as inactive.
    pub consents_withdrawn: usize,
    /// Audit entries the FHIR record now holds as AuditEvents.
    pub audit_sent: usize,
    /// Why the audit log could not go this time, if it could not (it never holds a photo).
    pub audit_problem: Option<Problem>,
    /// A problem every photo would meet, which stopped the drain.
    pub server_problem: Option<Problem>,
    /// The app was locked: only parcels could go (`delivery.send_while_locked`), or nothing.
    pub locked: bool,
    /// Parcels packed at the end of this drain, to be sent while locked.
    pub packed: usize,
    /// Why nothing could be packed for sending while locked, if so (the photos wait for the
    /// next unlock; nothing is lost).
    pub outbound_problem: Option<Problem>,
    /// When the courier will try again, if anything waits.
    pub next_at: Option<Timestamp>,
}

/// The courier's memory between drains: in memory only, since a restart should try at once.
#[derive(Debug, Default)]
struct Pause {
    until: Option<Timestamp>,
    problem: Option<Problem>,
}

/// One configured route: its server, its pause and its failures in a row.
#[derive(Debug)]
struct Lane {
    route: Route,
    pause: Mutex<Pause>,
    /// Server-wide failures in a row, for the backoff.
    failures: AtomicU32,
}

impl Lane {
    fn new(route: Route) -> Lane {
        Lane {
            route,
            pause: Mutex::new(Pause::default()),
            failures: AtomicU32::new(0),
        }
    }

    fn paused_at(&self, now: Timestamp) -> bool {
        self.pause
            .lock()
            .map(|p| p.until.is_some_and(|u| u > now))
            .unwrap_or(true)
    }
}

/// Drains the outbox to the trust's PACS, its FHIR record, or both. See the module
/// documentation.
#[derive(Debug)]
pub struct Courier {
    pacs: Option<Pacs>,
    record: Option<FhirRecord>,
    lanes: Vec<Lane>,
    /// The trust's `delivery.send_while_locked`: pack parcels while unlocked, send them locked.
    while_locked: bool,
}

/// What became of one photo.
enum Done {
    Delivered,
    Unverified,
    Held,
    Waiting,
    Skipped,
}

/// Runs `work` on the blocking pool.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, Error> + Send + 'static,
) -> Result<T, Error> {
    tokio::task::spawn_blocking(work).await.map_err(|_| {
        Error::Vault(VaultError::ApiMisuse(
            "a delivery step stopped unexpectedly",
        ))
    })?
}

/// The wait after `failures` failures in a row: doubling from [`BACKOFF_BASE`] to [`BACKOFF_CAP`],
/// then a random point in its upper half (so a ward of phones does not retry in step), or the
/// server's `Retry-After` (capped) when it gave one.
pub fn backoff(
    failures: u32,
    retry_after: Option<RetryAfter>,
    now: Timestamp,
    random: u16,
) -> Timestamp {
    let wait = match retry_after {
        Some(RetryAfter::Seconds(s)) => Duration::from_secs(s).min(RETRY_AFTER_CAP),
        Some(RetryAfter::At(unix)) => {
            let at_ms = u64::try_from(unix).unwrap_or(0).saturating_mul(1000);
            Duration::from_millis(at_ms.saturating_sub(now.0)).min(RETRY_AFTER_CAP)
        }
        None => {
            let doubled = BACKOFF_BASE.saturating_mul(1u32 << failures.saturating_sub(1).min(16));
            let full = doubled.min(BACKOFF_CAP);
            let half = full / 2;
            half + half.mul_f64(f64::from(random) / f64::from(u16::MAX))
        }
    };
    let ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX);
    Timestamp(now.0.saturating_add(ms))
}

fn random_u16() -> u16 {
    use ring::rand::{SecureRandom, SystemRandom};
    let mut b = [0u8; 2];
    // Without randomness the jitter is the midpoint: still a valid wait.
    match SystemRandom::new().fill(&mut b) {
        Ok(()) => u16::from_le_bytes(b),
        Err(_) => u16::MAX / 2,
    }
}

fn readback_mismatch(route: Route) -> Problem {
    let (code, server) = match route {
        Route::Pacs => ("delivery.readback_mismatch", "hospital image server's"),
        Route::Record => ("delivery.fhir_readback_mismatch", "hospital record's"),
    };
    Problem {
        code: code.to_owned(),
        message: format!("The {server} copy of this photo is not the same as the one sent, so the photo was kept on the phone. Tell IT; do not retake it."),
    }
}

/// The read-back's view of what the record filed.
fn sent_binary(filed: &FiledRecord) -> Option<SentBinary> {
    let mut sha256 = [0u8; 32];
    hex::decode_to_slice(&filed.sha256, &mut sha256).ok()?;
    Some(SentBinary {
        id: filed.binary_id.clone(),
        sha256,
        len: filed.len,
    })
}

/// `filed` with where the record put the DocumentReference and the Consent.
fn with_locations(mut filed: FiledRecord, answer: &Filed) -> FiledRecord {
    use super::fhir::EntryKind;
    let location = |kind: EntryKind| {
        answer
            .entries
            .iter()
            .find(|e| e.kind == kind)
            .and_then(|e| e.location.clone())
    };
    filed.document_reference = location(EntryKind::DocumentReference);
    filed.consent = location(EntryKind::Consent);
    filed
}

impl Courier {
    /// A courier for `pacs` alone.
    pub fn new(pacs: Pacs) -> Courier {
        Courier::with_routes(Some(pacs), None)
    }

    /// A courier for the trust's PACS, its FHIR record, or both: a photo is shredded only once
    /// every one given has read it back. With neither it delivers nothing.
    pub fn with_routes(pacs: Option<Pacs>, record: Option<FhirRecord>) -> Courier {
        let mut lanes = Vec::new();
        if pacs.is_some() {
            lanes.push(Lane::new(Route::Pacs));
        }
        if record.is_some() {
            lanes.push(Lane::new(Route::Record));
        }
        Courier {
            pacs,
            record,
            lanes,
            while_locked: false,
        }
    }

    /// The trust's `delivery.send_while_locked`: with it, each drain while unlocked ends by
    /// packing what still waits, and a drain while locked sends those parcels
    /// (`crate::visit`'s outbound store). Without it a locked drain does nothing.
    pub fn sending_while_locked(mut self, on: bool) -> Courier {
        self.while_locked = on;
        self
    }

    /// Every configured route with its server, in the order a photo takes them.
    fn configured(&self) -> Vec<(Route, String)> {
        self.lanes
            .iter()
            .filter_map(|l| self.server(l.route).map(|s| (l.route, s.to_owned())))
            .collect()
    }

    /// The PACS it delivers to, if any.
    pub fn pacs(&self) -> Option<&Pacs> {
        self.pacs.as_ref()
    }

    /// The FHIR record it delivers to, if any.
    pub fn record(&self) -> Option<&FhirRecord> {
        self.record.as_ref()
    }

    /// The routes configured, PACS first.
    pub fn routes(&self) -> Vec<Route> {
        self.lanes.iter().map(|l| l.route).collect()
    }

    fn lane(&self, route: Route) -> Option<&Lane> {
        self.lanes.iter().find(|l| l.route == route)
    }

    fn server(&self, route: Route) -> Option<&str> {
        match route {
            Route::Pacs => self.pacs.as_ref().map(Pacs::base_url),
            Route::Record => self.record.as_ref().map(FhirRecord::base_url),
        }
    }

    /// Every configured route, and those not paused at `now` with their servers.
    fn destinations(&self, now: Timestamp) -> Destinations {
        Destinations {
            required: self.routes(),
            open: self
                .lanes
                .iter()
                .filter(|l| !l.paused_at(now))
                .filter_map(|l| self.server(l.route).map(|s| (l.route, s.to_owned())))
                .collect(),
        }
    }

    /// Lifts every wait: the next drain tries the servers and every photo at once.
    pub fn send_now(&self) {
        for lane in &self.lanes {
            if let Ok(mut p) = lane.pause.lock() {
                p.until = None;
            }
        }
    }

    /// Until when the courier waits, and why (a problem every photo met on a route). With two
    /// routes paused, the one paused longest; with one, that one.
    pub fn paused(&self) -> (Option<Timestamp>, Option<Problem>) {
        let mut worst: (Option<Timestamp>, Option<Problem>) = (None, None);
        for lane in &self.lanes {
            let (until, problem) = self.paused_on(lane.route);
            if until.is_some() && (worst.0.is_none() || until > worst.0) {
                worst = (until, problem);
            }
        }
        worst
    }

    /// Until when `route` waits, and why.
    pub fn paused_on(&self, route: Route) -> (Option<Timestamp>, Option<Problem>) {
        self.lane(route)
            .and_then(|l| l.pause.lock().ok().map(|p| (p.until, p.problem.clone())))
            .unwrap_or((None, None))
    }

    fn pause_until(&self, route: Route, until: Timestamp, problem: Problem) {
        if let Some(Ok(mut p)) = self.lane(route).map(|l| l.pause.lock()) {
            p.until = Some(until);
            p.problem = Some(problem);
        }
    }

    fn clear_pause(&self, route: Route) {
        if let Some(lane) = self.lane(route) {
            lane.failures.store(0, Ordering::Relaxed);
            if let Ok(mut p) = lane.pause.lock() {
                *p = Pause::default();
            }
        }
    }

    /// When to try again after a failure on `route`: a problem every photo would meet
    /// (`server_wide`) counts against the route and pauses it until then, with `problem` shown;
    /// one of this item alone waits by its own `attempts`.
    fn retry_at(
        &self,
        route: Route,
        server_wide: bool,
        after: Option<RetryAfter>,
        attempts: u32,
        problem: &Problem,
    ) -> Timestamp {
        let failures = match self.lane(route).filter(|_| server_wide) {
            Some(lane) => lane
                .failures
                .fetch_add(1, Ordering::Relaxed)
                .saturating_add(1),
            None => attempts,
        };
        let at = backoff(failures, after, Timestamp::now(), random_u16());
        if server_wide {
            self.pause_until(route, at, problem.clone());
        }
        at
    }

    /// Whether every configured route waits at `now`.
    fn all_paused(&self, now: Timestamp) -> bool {
        !self.lanes.is_empty() && self.lanes.iter().all(|l| l.paused_at(now))
    }

    /// Delivers what is due. `force` tries every photo now, whatever its own wait (the clinician's
    /// "Send now"). `lookup` re-checks patients first where a photo waits for that; with `None`
    /// such photos keep waiting. `events` hears of every step.
    pub async fn drain<L: PatientLookup + Sync + ?Sized>(
        &self,
        ward: &Arc<Ward>,
        lookup: Option<&L>,
        force: bool,
        events: &(dyn Fn(OutboxEvent) + Send + Sync),
    ) -> Result<DrainReport, Error> {
        let now = Timestamp::now();
        let mut report = DrainReport::default();
        if ward.is_locked()? {
            // The vault is shut: only what was packed for this can go, and only if the trust
            // said so. Nothing else is tried (no error: the next unlock wakes the courier).
            report.locked = true;
            if self.while_locked {
                self.drain_parcels(ward, &mut report, events).await?;
            }
            return Ok(report);
        }
        if !force && self.all_paused(now) {
            let (until, problem) = self.paused();
            report.server_problem = problem;
            report.next_at = until;
            return Ok(report);
        }
        if force {
            self.send_now();
        }
        if ward.delivery_plan(now)?.rechecks_due {
            let done = recheck_due_visits(ward, lookup).await?;
            if !done.is_empty() {
                events(OutboxEvent::Changed);
            }
        }
        let plan_at = if force { Timestamp(u64::MAX) } else { now };
        let to = self.destinations(Timestamp::now());
        let w = Arc::clone(ward);
        let t = to.clone();
        if blocking(move || w.retire_delivered_visits(&t)).await? > 0 {
            events(OutboxEvent::Changed);
        }
        let plan = ward.delivery_plan(plan_at)?;
        let stop = AtomicBool::new(false);
        let results: Vec<Result<Done, Error>> = stream::iter(plan.due)
            .map(|photo| self.deliver(ward, photo, &stop, events))
            .buffer_unordered(CONCURRENCY)
            .collect()
            .await;
        // After the photos, so a server every photo would fail on is met (and shown) by them first;
        // a consent whose copy is not yet read back keeps its visit from being retired meanwhile.
        self.copy_consents(ward, plan_at, &mut report, events)
            .await?;
        self.withdraw_in_record(ward, plan_at, &mut report, events)
            .await?;
        // Last: the entries of this drain's own deliveries and shreds go with it.
        self.send_audit(ward, &mut report).await;
        // One truncation of the vault's index log for every photo shredded by this drain.
        let w = Arc::clone(ward);
        blocking(move || w.scrub_delivered()).await?;
        for r in results {
            match r? {
                Done::Delivered => report.delivered += 1,
                Done::Unverified => report.unverified += 1,
                Done::Held => report.held += 1,
                Done::Waiting => report.waiting += 1,
                Done::Skipped => report.not_tried += 1,
            }
        }
        let (until, problem) = self.paused();
        report.server_problem = problem;
        let later = ward.delivery_plan(Timestamp::now())?.next_at;
        report.next_at = match (until, later) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
        if stop.load(Ordering::Relaxed) && until.is_none() && report.not_tried > 0 {
            // A problem stopped the drain, then a photo already in flight got through and lifted
            // the pause: the server answers again, so the photos left behind go at once rather
            // than at the failed photo's retry time.
            report.next_at = Some(Timestamp::now().plus(Duration::from_secs(1)));
        }
        self.vouch_time(ward)?;
        if self.while_locked {
            // Last, so only what this drain could not deliver is packed.
            let w = Arc::clone(ward);
            let routes = self.configured();
            match blocking(move || w.pack_parcels(&routes)).await {
                Ok(n) => report.packed = n,
                // Locked during the drain: what waits was packed by an earlier drain, or goes
                // after the unlock.
                Err(e) if e.code() == "session.locked" => {}
                Err(e) => {
                    report.outbound_problem = Some(Problem {
                        code: e.code().to_owned(),
                        message: format!(
                            "WardCam could not prepare the waiting photos to go while locked \
                             ({e}). They will go once WardCam is unlocked."
                        ),
                    })
                }
            }
        }
        Ok(report)
    }

    /// A drain while locked: each parcel due (`Ward::parcels_due`) is marked begun, sent, read
    /// back and, when its copy matched, marked verified with its parcel shredded in the same
    /// commit. A failure that may pass waits (a server-wide one pauses the route and ends the
    /// drain, as unlocked); any other stops the parcel and leaves the photo to the unlocked
    /// courier, which classifies it with every rule it has. Stops at once if the app is unlocked
    /// meanwhile (the unlock takes the store over).
    async fn drain_parcels(
        &self,
        ward: &Arc<Ward>,
        report: &mut DrainReport,
        events: &(dyn Fn(OutboxEvent) + Send + Sync),
    ) -> Result<(), Error> {
        let w = Arc::clone(ward);
        let now = Timestamp::now();
        let Some(batch) = blocking(move || w.parcels_due(now)).await? else {
            return Ok(());
        };
        let batch = Arc::new(batch);
        let mut next_at = batch.next_at;
        for parcel in batch.due.clone() {
            let route = parcel.state.route;
            // Built for another server (the policy changed): the next unlock packs it afresh.
            if self.server(route) != Some(parcel.state.server.as_str()) {
                continue;
            }
            if self
                .lane(route)
                .is_some_and(|l| l.paused_at(Timestamp::now()))
            {
                report.not_tried += 1;
                continue;
            }
            let (w, b) = (Arc::clone(ward), Arc::clone(&batch));
            let begun = blocking(move || w.parcel_step(&b, &parcel, ParcelStep::Begun, None));
            let Some(begun) = begun.await? else {
                return Ok(());
            };
            let b = Arc::clone(&batch);
            let state = begun.state.clone();
            let body = blocking(move || b.body(&state)).await;
            let sent = match body {
                Ok(body) => self.send_parcel(&begun.state, body).await,
                Err(e) => Outcome::Hold(Problem {
                    code: e.code().to_owned(),
                    message: format!("The copy prepared to go while locked did not open ({e})."),
                }),
            };
            let outcome = match sent {
                Outcome::Done(proof) => match self.verify(&proof).await {
                    Outcome::Done(true) => Outcome::Done(proof),
                    Outcome::Done(false) => Outcome::Hold(readback_mismatch(route)),
                    other => other.map(|_| proof),
                },
                other => other,
            };
            let (step, proof, server_wide) = match outcome {
                Outcome::Done(proof) => {
                    self.clear_pause(route);
                    report.delivered += 1;
                    (ParcelStep::Verified, Some(proof), false)
                }
                Outcome::Retry {
                    problem,
                    after,
                    server_wide,
                } => {
                    let attempts = begun.state.attempts;
                    let at = self.retry_at(route, server_wide, after, attempts, &problem);
                    next_at = Some(next_at.map_or(at, |n| n.min(at)));
                    report.waiting += 1;
                    let step = ParcelStep::Waiting {
                        problem,
                        retry_at: at,
                    };
                    (step, None, server_wide)
                }
                // Refused, a copy that differs, or one the server no longer has: not for a
                // locked phone to judge. The unlocked courier sends it again and decides.
                Outcome::Hold(problem) => {
                    report.held += 1;
                    (ParcelStep::Stopped { problem }, None, false)
                }
                Outcome::NotOnServer => {
                    let problem = Problem {
                        code: "delivery.not_on_server".to_owned(),
                        message: format!(
                            "The {} did not have this photo after all. WardCam will send it again \
                             once unlocked.",
                            route.words()
                        ),
                    };
                    (ParcelStep::Stopped { problem }, None, false)
                }
            };
            let (w, b) = (Arc::clone(ward), Arc::clone(&batch));
            let done = blocking(move || w.parcel_step(&b, &begun, step, proof)).await?;
            if done.is_none() {
                return Ok(());
            }
            events(OutboxEvent::Changed);
            if server_wide {
                break;
            }
        }
        let (until, problem) = self.paused();
        report.server_problem = problem;
        report.next_at = match (until, next_at) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
        Ok(())
    }

    /// Sends one parcel's body on its route: its proof once the server answered.
    async fn send_parcel(&self, state: &ParcelState, body: Zeroizing<Vec<u8>>) -> Outcome<Ack> {
        let damaged = || {
            Outcome::Hold(Problem {
                code: "delivery.parcel_damaged".to_owned(),
                message: "The copy prepared to go while locked is incomplete. WardCam will send \
                          the photo once unlocked."
                    .to_owned(),
            })
        };
        match state.route {
            Route::Pacs => {
                let (Some(pacs), Some(sent)) = (&self.pacs, state.sent.clone()) else {
                    return damaged();
                };
                pacs.store(body, &sent.sop_uid)
                    .await
                    .map(|()| Ack::Pacs(sent))
            }
            Route::Record => {
                let (Some(record), Some(filed)) = (&self.record, state.filed.clone()) else {
                    return damaged();
                };
                let Some(binary) = sent_binary(&filed) else {
                    return damaged();
                };
                let bundle = TransactionBundle::from_parts(body, state.entries.clone(), binary);
                record
                    .post_bundle(bundle)
                    .await
                    .map(|answer| Ack::Record(with_locations(filed, &answer)))
            }
        }
    }

    /// Tells the ward the time the trust's servers last answered with (their `Date`), the clock
    /// retention measures ages on where the phone's own could be wound forward.
    fn vouch_time(&self, ward: &Ward) -> Result<(), Error> {
        let endpoints = [
            self.pacs.as_ref().map(|p| &p.endpoint),
            self.record.as_ref().map(|r| &r.endpoint),
        ];
        match endpoints
            .into_iter()
            .flatten()
            .filter_map(|e| e.server_time())
            .max()
        {
            Some(time) => ward.vouch_time(time),
            None => Ok(()),
        }
    }

    /// Sends each due visit's consent to the PACS as its own copy (an Encapsulated PDF in the
    /// visit's study) and reads it back, where the PACS is the only route; see
    /// [`Destinations::requires_consent_copy`]. One visit at a time: there are few.
    async fn copy_consents(
        &self,
        ward: &Arc<Ward>,
        plan_at: Timestamp,
        report: &mut DrainReport,
        events: &(dyn Fn(OutboxEvent) + Send + Sync),
    ) -> Result<(), Error> {
        let Some(pacs) = &self.pacs else {
            return Ok(());
        };
        let to = self.destinations(Timestamp::now());
        for visit in ward.consent_copies_due(plan_at, &to)? {
            let to = self.destinations(Timestamp::now());
            let w = Arc::clone(ward);
            let t = to.clone();
            let Some(job) = blocking(move || w.begin_consent_copy(visit, &t)).await? else {
                continue;
            };
            let sent = match job {
                ConsentCopyJob::Verify { sent, .. } => sent,
                ConsentCopyJob::Send { part10, sent, .. } => {
                    match pacs.store(part10, &sent.sop_uid).await {
                        Outcome::Done(()) => {
                            self.clear_pause(Route::Pacs);
                            let w = Arc::clone(ward);
                            let s = sent.clone();
                            blocking(move || w.consent_copy_acked(visit, s)).await?;
                            sent
                        }
                        other => {
                            if self.settle_copy(ward, visit, other).await? {
                                return Ok(());
                            }
                            continue;
                        }
                    }
                }
            };
            match pacs.verify(&sent).await {
                Outcome::Done(true) => {
                    self.clear_pause(Route::Pacs);
                    let w = Arc::clone(ward);
                    blocking(move || w.consent_copy_verified(visit, &to)).await?;
                    report.consents_copied += 1;
                    events(OutboxEvent::Changed);
                }
                other => {
                    let other = match other {
                        Outcome::Done(_) => Outcome::Hold(Problem {
                            code: "delivery.consent_readback_mismatch".to_owned(),
                            message: "The hospital image server's copy of the consent form is not the same as the one sent; it stays on the phone and will be sent again. Tell IT if this goes on.".to_owned(),
                        }),
                        other => other,
                    };
                    if self.settle_copy(ward, visit, other).await? {
                        return Ok(());
                    }
                }
            }
        }
        Ok(())
    }

    /// Makes the record's `Consent` inactive for each consent withdrawn after delivery whose
    /// receipt asks for it, and seals the outcome. A refusal, or a record holding the consent
    /// twice or not at all, stops until a person acts; the clinician already has the references.
    async fn withdraw_in_record(
        &self,
        ward: &Arc<Ward>,
        plan_at: Timestamp,
        report: &mut DrainReport,
        events: &(dyn Fn(OutboxEvent) + Send + Sync),
    ) -> Result<(), Error> {
        let Some(record) = &self.record else {
            return Ok(());
        };
        for consent in ward.record_withdrawals_due(plan_at, record.base_url())? {
            if self
                .lane(Route::Record)
                .is_some_and(|l| l.paused_at(Timestamp::now()))
            {
                return Ok(());
            }
            let w = Arc::clone(ward);
            match record.make_consent_inactive(consent).await {
                Outcome::Done(location) => {
                    self.clear_pause(Route::Record);
                    blocking(move || w.record_withdrawal_done(consent, location)).await?;
                    report.consents_withdrawn += 1;
                }
                Outcome::NotOnServer => {
                    let problem = Problem {
                        code: "delivery.fhir_consent_not_found".to_owned(),
                        message: "The hospital record does not hold this consent, so WardCam could not mark it withdrawn. Tell the record team, with the references shown.".to_owned(),
                    };
                    blocking(move || w.record_withdrawal_failed(consent, problem, None)).await?;
                }
                Outcome::Hold(problem) => {
                    blocking(move || w.record_withdrawal_failed(consent, problem, None)).await?;
                }
                Outcome::Retry {
                    problem,
                    after,
                    server_wide,
                } => {
                    let at = self.retry_at(Route::Record, server_wide, after, 1, &problem);
                    blocking(move || w.record_withdrawal_failed(consent, problem, Some(at)))
                        .await?;
                }
            }
            events(OutboxEvent::Changed);
        }
        Ok(())
    }

    /// Sends the audit entries the FHIR record does not hold yet as AuditEvents, a Bundle at a
    /// time, while the record is not paused. Never fails the drain nor holds a photo: a problem is
    /// reported and the entries wait on the phone for the next drain.
    async fn send_audit(&self, ward: &Arc<Ward>, report: &mut DrainReport) {
        let Some(record) = &self.record else {
            return;
        };
        for _ in 0..AUDIT_BUNDLES_PER_DRAIN {
            if self
                .lane(Route::Record)
                .is_some_and(|l| l.paused_at(Timestamp::now()))
            {
                return;
            }
            let w = Arc::clone(ward);
            let bundle = match blocking(move || w.audit_due(MAX_AUDIT_ENTRIES)).await {
                Ok(Some(bundle)) => bundle,
                Ok(None) => return,
                Err(e) => {
                    report.audit_problem = Some(Problem {
                        code: e.code().to_owned(),
                        message: e.to_string(),
                    });
                    return;
                }
            };
            let (seq, hash) = bundle.last.clone();
            let count = bundle.count;
            match record.post_audit(bundle).await {
                Outcome::Done(()) => {
                    self.clear_pause(Route::Record);
                    let w = Arc::clone(ward);
                    if let Err(e) = blocking(move || w.audit_sent(seq, &hash)).await {
                        // The record holds them; without the mark they go again, as the same
                        // resources.
                        report.audit_problem = Some(Problem {
                            code: e.code().to_owned(),
                            message: e.to_string(),
                        });
                        return;
                    }
                    report.audit_sent += count;
                }
                Outcome::Retry {
                    problem,
                    after,
                    server_wide,
                } => {
                    if server_wide {
                        self.retry_at(Route::Record, true, after, 1, &problem);
                    }
                    report.audit_problem = Some(problem);
                    return;
                }
                Outcome::Hold(problem) => {
                    report.audit_problem = Some(problem);
                    return;
                }
                Outcome::NotOnServer => return,
            }
        }
    }

    /// Seals what a failed step of a consent copy means; `true` when the PACS is paused now (a
    /// problem every copy and photo would meet). A refusal or a copy that differs is sent again an
    /// hour later: the consent stays on the phone meanwhile, so nothing is lost, and the photos
    /// are not held by it.
    async fn settle_copy<T>(
        &self,
        ward: &Arc<Ward>,
        visit: VisitId,
        outcome: Outcome<T>,
    ) -> Result<bool, Error> {
        let now = Timestamp::now();
        let (problem, at, resend, paused) = match outcome {
            Outcome::Done(_) => return Ok(false),
            Outcome::Hold(problem) => (
                problem,
                now.plus(Duration::from_secs(60 * 60)),
                true,
                false,
            ),
            Outcome::NotOnServer => (
                Problem {
                    code: "delivery.not_on_server".to_owned(),
                    message: "The hospital image server did not have the consent form after all. WardCam is sending it again.".to_owned(),
                },
                now,
                true,
                false,
            ),
            Outcome::Retry {
                problem,
                after,
                server_wide,
            } => {
                let at = self.retry_at(Route::Pacs, server_wide, after, 1, &problem);
                (problem, at, false, server_wide)
            }
        };
        let w = Arc::clone(ward);
        blocking(move || w.consent_copy_failed(visit, problem, at, resend)).await?;
        Ok(paused)
    }

    /// One photo: on each configured route in turn, build, send, acknowledge, read back; then
    /// shred. Each step is sealed before the next.
    async fn deliver(
        &self,
        ward: &Arc<Ward>,
        photo: PhotoId,
        stop: &AtomicBool,
        events: &(dyn Fn(OutboxEvent) + Send + Sync),
    ) -> Result<Done, Error> {
        if stop.load(Ordering::Relaxed) && self.all_paused(Timestamp::now()) {
            return Ok(Done::Skipped);
        }
        let progress = |phase, fraction| {
            events(OutboxEvent::Progress {
                photo,
                phase,
                fraction,
            })
        };
        // At most one step per route and one finishing step: a photo never loops.
        let mut last = Done::Skipped;
        for _ in 0..=self.lanes.len() * 2 {
            progress(Phase::Preparing, 0.05);
            let to = self.destinations(Timestamp::now());
            if to.open.is_empty() {
                return Ok(last);
            }
            let w = Arc::clone(ward);
            let job = blocking(move || w.begin_delivery_to(photo, &to)).await?;
            // The server's answer, sealed only if its copy cannot be read back at once.
            let (proof, answered) = match job {
                None => {
                    events(OutboxEvent::Changed);
                    return Ok(last);
                }
                Some(DeliveryJob::Finished { .. }) => {
                    events(OutboxEvent::Sent { photo });
                    events(OutboxEvent::Changed);
                    return Ok(Done::Delivered);
                }
                Some(DeliveryJob::Verify { sent, .. }) => (Ack::Pacs(sent), false),
                Some(DeliveryJob::VerifyFiled { filed, .. }) => (Ack::Record(filed), false),
                Some(job) => {
                    events(OutboxEvent::Changed);
                    progress(Phase::Uploading, 0.2);
                    match self.send(job).await {
                        Ok(proof) => (proof, true),
                        Err((route, failed)) => {
                            last = self
                                .settle(ward, photo, route, failed, stop, events)
                                .await?;
                            if self.go_on(route, &last) {
                                continue;
                            }
                            return Ok(last);
                        }
                    }
                }
            };
            let route = proof.route();
            progress(Phase::Verifying, 0.8);
            let verified = self.verify(&proof).await;
            let mut answered = answered.then_some(proof);
            match verified {
                Outcome::Done(true) => {
                    self.clear_pause(route);
                    let w = Arc::clone(ward);
                    let to = self.destinations(Timestamp::now());
                    let to = Destinations {
                        required: to.required,
                        open: Vec::new(),
                    };
                    let ack = answered.take();
                    match blocking(move || w.delivery_verified_with(photo, route, ack, &to)).await?
                    {
                        Verified::Shredded => {
                            events(OutboxEvent::Sent { photo });
                            events(OutboxEvent::Changed);
                            return Ok(Done::Delivered);
                        }
                        Verified::NextRoute => {
                            events(OutboxEvent::Changed);
                            last = Done::Waiting;
                        }
                        Verified::NotWaiting => return Ok(Done::Skipped),
                    }
                }
                Outcome::Done(false) => {
                    return self
                        .settle(
                            ward,
                            photo,
                            route,
                            Outcome::<()>::Hold(readback_mismatch(route)),
                            stop,
                            events,
                        )
                        .await;
                }
                other @ Outcome::Retry { .. } => {
                    // Acknowledged, but its copy could not be read yet: sealed as uploaded, to be
                    // read back (not sent again) next time.
                    if let Some(ack) = answered.take() {
                        let w = Arc::clone(ward);
                        blocking(move || w.delivery_acked(photo, ack)).await?;
                    }
                    self.settle(ward, photo, route, other, stop, events).await?;
                    return Ok(Done::Unverified);
                }
                other => return self.settle(ward, photo, route, other, stop, events).await,
            }
        }
        Ok(last)
    }

    /// After a failed send on `route`: whether the photo may go on to another route now (the
    /// failure was the server's, so `route` is paused now, and another route is open). A failure
    /// of this photo alone waits for its own retry time on every route.
    fn go_on(&self, route: Route, done: &Done) -> bool {
        let now = Timestamp::now();
        matches!(done, Done::Waiting)
            && self.lane(route).is_some_and(|l| l.paused_at(now))
            && !self.destinations(now).open.is_empty()
    }

    /// Sends a photo's object on its route: its proof (with the record's locations from the
    /// answer) once the server answered, or the route and what went wrong.
    async fn send(&self, job: DeliveryJob) -> Result<Ack, (Route, Outcome<()>)> {
        match job {
            DeliveryJob::Send { part10, sent, .. } => {
                let Some(pacs) = &self.pacs else {
                    return Err((Route::Pacs, Outcome::Done(())));
                };
                match pacs.store(part10, &sent.sop_uid).await {
                    Outcome::Done(()) => {
                        self.clear_pause(Route::Pacs);
                        Ok(Ack::Pacs(sent))
                    }
                    other => Err((Route::Pacs, other)),
                }
            }
            DeliveryJob::File { bundle, filed, .. } => {
                let Some(record) = &self.record else {
                    return Err((Route::Record, Outcome::Done(())));
                };
                match record.post_bundle(bundle).await {
                    Outcome::Done(answer) => {
                        self.clear_pause(Route::Record);
                        Ok(Ack::Record(with_locations(filed, &answer)))
                    }
                    other => Err((Route::Record, other.map(|_| ()))),
                }
            }
            // Nothing to send: settled as "not tried".
            _ => Err((Route::Pacs, Outcome::Done(()))),
        }
    }

    /// Reads back the copy `proof` names on its route and says whether it is what was sent.
    async fn verify(&self, proof: &Ack) -> Outcome<bool> {
        match proof {
            Ack::Pacs(sent) => match &self.pacs {
                Some(pacs) => pacs.verify(sent).await,
                None => Outcome::Done(false),
            },
            Ack::Record(filed) => match (&self.record, sent_binary(filed)) {
                (Some(record), Some(binary)) => record.read_back(&binary).await,
                // A sealed digest that is not hex: the copy cannot be proved.
                _ => Outcome::Done(false),
            },
        }
    }

    /// Seals what a failed step means for the photo.
    async fn settle<T>(
        &self,
        ward: &Arc<Ward>,
        photo: PhotoId,
        route: Route,
        outcome: Outcome<T>,
        stop: &AtomicBool,
        events: &(dyn Fn(OutboxEvent) + Send + Sync),
    ) -> Result<Done, Error> {
        let now = Timestamp::now();
        let w = Arc::clone(ward);
        let done = match outcome {
            Outcome::Done(_) => return Ok(Done::Skipped),
            Outcome::Hold(reason) => {
                blocking(move || w.delivery_hold(photo, reason)).await?;
                Done::Held
            }
            Outcome::NotOnServer => {
                let problem = Problem {
                    code: "delivery.not_on_server".to_owned(),
                    message: format!(
                        "The {} did not have this photo after all. WardCam is sending it again.",
                        route.words()
                    ),
                };
                blocking(move || w.delivery_failed(photo, problem, now, true)).await?;
                Done::Waiting
            }
            Outcome::Retry {
                problem,
                after,
                server_wide,
            } => {
                let attempts = ward
                    .manifest(photo)?
                    .map_or(1, |m| m.delivery.attempts.max(1));
                if server_wide {
                    stop.store(true, Ordering::Relaxed);
                }
                let at = self.retry_at(route, server_wide, after, attempts, &problem);
                blocking(move || w.delivery_failed(photo, problem, at, false)).await?;
                Done::Waiting
            }
        };
        events(OutboxEvent::Changed);
        Ok(done)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_to_the_cap_with_jitter_in_the_upper_half() {
        let now = Timestamp(1_000_000);
        let wait = |n, r| Duration::from_millis(backoff(n, None, now, r).0 - now.0);
        assert_eq!(wait(1, u16::MAX), BACKOFF_BASE);
        assert_eq!(wait(1, 0), BACKOFF_BASE / 2);
        assert_eq!(wait(2, u16::MAX), BACKOFF_BASE * 2);
        assert_eq!(wait(3, u16::MAX), BACKOFF_BASE * 4);
        assert_eq!(wait(30, u16::MAX), BACKOFF_CAP);
        assert_eq!(wait(u32::MAX, 0), BACKOFF_CAP / 2);
        for n in 1..20 {
            assert!(wait(n, 1) <= wait(n, u16::MAX));
            assert!(wait(n + 1, u16::MAX) >= wait(n, u16::MAX));
        }
    }

    #[test]
    fn retry_after_is_honoured_and_capped() {
        let now = Timestamp(10_000_000);
        let at = |r| backoff(1, Some(r), now, 0).0 - now.0;
        assert_eq!(at(RetryAfter::Seconds(120)), 120_000);
        assert_eq!(at(RetryAfter::Seconds(0)), 0);
        assert_eq!(
            u128::from(at(RetryAfter::Seconds(u64::MAX))),
            RETRY_AFTER_CAP.as_millis()
        );
        // A date: 30 s after now; one in the past means now.
        assert_eq!(at(RetryAfter::At(10_000 + 30)), 30_000);
        assert_eq!(at(RetryAfter::At(1)), 0);
    }
}
