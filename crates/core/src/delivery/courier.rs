//! The courier: drains the outbox to the PACS. Each photo goes through the ward's transactions
//! (`crate::visit`'s outbox steps) around two requests: STOW-RS, then a WADO-RS read-back whose
//! frame must match the digest sealed at acknowledgement before the local copy is shredded.
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

use super::outcome::Outcome;
use super::pacs::Pacs;
use crate::endpoint::RetryAfter;
use crate::patient::PatientLookup;
use crate::vault::{Timestamp, VaultError};
use crate::visit::{recheck_due_visits, DeliveryJob, PhotoId, Problem, SentRecord, Ward};
use crate::Error;

/// Photos in flight at once: enough that one photo's local steps (unseal, build, the vault's
/// fsynced transactions) and read-back overlap others' uploads, few enough not to starve a
/// phone's uplink. On loopback 4 gave 0.81x curl where 2 gave 0.62x (docs/delivery.md).
pub const CONCURRENCY: usize = 4;

/// The first wait after a failure.
pub const BACKOFF_BASE: Duration = Duration::from_secs(15);
/// The longest wait between tries.
pub const BACKOFF_CAP: Duration = Duration::from_secs(10 * 60);
/// The longest `Retry-After` honoured.
pub const RETRY_AFTER_CAP: Duration = Duration::from_secs(60 * 60);

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
    /// A problem every photo would meet, which stopped the drain.
    pub server_problem: Option<Problem>,
    /// When the courier will try again, if anything waits.
    pub next_at: Option<Timestamp>,
}

/// The courier's memory between drains: in memory only, since a restart should try at once.
#[derive(Debug, Default)]
struct Pause {
    until: Option<Timestamp>,
    problem: Option<Problem>,
}

/// Drains the outbox to one PACS. See the module documentation.
#[derive(Debug)]
pub struct Courier {
    pacs: Pacs,
    pause: Mutex<Pause>,
    /// Server-wide failures in a row, for the backoff.
    failures: AtomicU32,
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

fn readback_mismatch() -> Problem {
    Problem {
        code: "delivery.readback_mismatch".to_owned(),
        message: "The hospital image server's copy of this photo is not the same as the one sent, so the photo was kept on the phone. Tell IT; do not retake it.".to_owned(),
    }
}

impl Courier {
    /// A courier for `pacs`.
    pub fn new(pacs: Pacs) -> Courier {
        Courier {
            pacs,
            pause: Mutex::new(Pause::default()),
            failures: AtomicU32::new(0),
        }
    }

    /// The PACS it delivers to.
    pub fn pacs(&self) -> &Pacs {
        &self.pacs
    }

    /// Lifts every wait: the next drain tries the server and every photo at once.
    pub fn send_now(&self) {
        if let Ok(mut p) = self.pause.lock() {
            p.until = None;
        }
    }

    /// Until when the courier waits, and why (a problem every photo met).
    pub fn paused(&self) -> (Option<Timestamp>, Option<Problem>) {
        self.pause
            .lock()
            .map(|p| (p.until, p.problem.clone()))
            .unwrap_or((None, None))
    }

    fn pause_until(&self, until: Timestamp, problem: Problem) {
        if let Ok(mut p) = self.pause.lock() {
            p.until = Some(until);
            p.problem = Some(problem);
        }
    }

    fn clear_pause(&self) {
        self.failures.store(0, Ordering::Relaxed);
        if let Ok(mut p) = self.pause.lock() {
            *p = Pause::default();
        }
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
        let (until, problem) = self.paused();
        if !force && until.is_some_and(|u| u > now) {
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
        let plan = ward.delivery_plan(plan_at)?;
        let stop = AtomicBool::new(false);
        let results: Vec<Result<Done, Error>> = stream::iter(plan.due)
            .map(|photo| self.deliver(ward, photo, &stop, events))
            .buffer_unordered(CONCURRENCY)
            .collect()
            .await;
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
        Ok(report)
    }

    /// One photo: build, send, acknowledge, read back, shred, each step sealed before the next.
    async fn deliver(
        &self,
        ward: &Arc<Ward>,
        photo: PhotoId,
        stop: &AtomicBool,
        events: &(dyn Fn(OutboxEvent) + Send + Sync),
    ) -> Result<Done, Error> {
        if stop.load(Ordering::Relaxed) {
            return Ok(Done::Skipped);
        }
        let progress = |phase, fraction| {
            events(OutboxEvent::Progress {
                photo,
                phase,
                fraction,
            })
        };
        progress(Phase::Preparing, 0.05);
        let server = self.pacs.base_url().to_owned();
        let w = Arc::clone(ward);
        let Some(job) = blocking(move || w.begin_delivery(photo, &server)).await? else {
            events(OutboxEvent::Changed);
            return Ok(Done::Skipped);
        };
        let sent = match job {
            DeliveryJob::Verify { sent, .. } => sent,
            DeliveryJob::Send { part10, sent, .. } => {
                events(OutboxEvent::Changed);
                progress(Phase::Uploading, 0.2);
                match self.pacs.store(part10, &sent.sop_uid).await {
                    Outcome::Done(()) => {
                        self.clear_pause();
                        let w = Arc::clone(ward);
                        let s = sent.clone();
                        blocking(move || w.delivery_acknowledged(photo, s)).await?;
                        events(OutboxEvent::Changed);
                        sent
                    }
                    other => return self.settle(ward, photo, other, stop, events).await,
                }
            }
        };
        progress(Phase::Verifying, 0.8);
        self.verify(ward, photo, &sent, stop, events).await
    }

    async fn verify(
        &self,
        ward: &Arc<Ward>,
        photo: PhotoId,
        sent: &SentRecord,
        stop: &AtomicBool,
        events: &(dyn Fn(OutboxEvent) + Send + Sync),
    ) -> Result<Done, Error> {
        match self.pacs.verify(sent).await {
            Outcome::Done(true) => {
                self.clear_pause();
                let w = Arc::clone(ward);
                let shredded = blocking(move || w.delivery_verified(photo)).await?;
                events(OutboxEvent::Sent { photo });
                events(OutboxEvent::Changed);
                Ok(if shredded {
                    Done::Delivered
                } else {
                    Done::Skipped
                })
            }
            Outcome::Done(false) => {
                self.settle(
                    ward,
                    photo,
                    Outcome::<()>::Hold(readback_mismatch()),
                    stop,
                    events,
                )
                .await
            }
            other @ Outcome::Retry { .. } => {
                // Acknowledged, but its copy could not be read yet: it stays uploaded.
                self.settle(ward, photo, other, stop, events).await?;
                Ok(Done::Unverified)
            }
            other => self.settle(ward, photo, other, stop, events).await,
        }
    }

    /// Seals what a failed step means for the photo.
    async fn settle<T>(
        &self,
        ward: &Arc<Ward>,
        photo: PhotoId,
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
                    message: "The hospital image server did not have this photo after all. WardCam is sending it again.".to_owned(),
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
                let failures = if server_wide {
                    stop.store(true, Ordering::Relaxed);
                    self.failures
                        .fetch_add(1, Ordering::Relaxed)
                        .saturating_add(1)
                } else {
                    attempts
                };
                let at = backoff(failures, after, now, random_u16());
                if server_wide {
                    self.pause_until(at, problem.clone());
                }
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
