//! Delivery to the trust's PACS: the shell runs core's [`Courier`] in one task on the async runtime
//! and tells the Outbox what happens through a Tauri channel. Core decides every step, every
//! wait and what is shredded; this module only decides *when to wake*: once the vault is open, on
//! unlock, on "Send now", when the UI says the app is in the foreground or the network is back,
//! and when core's next retry time comes.
//!
//! The routes come from the trust's policy (`provision.rs`): the PACS endpoint (`pacs`, an
//! `EndpointConfig` like the record's) and whether photos are filed in the FHIR record too
//! (`delivery.file_photos_in_record`, through the `record` endpoint). Without a policy photos stay
//! on the phone. A configured endpoint core refuses keeps them too, and the Outbox and Device
//! screens say why.
//!
//! While the app is locked the key gate has shut the vault (its key leaves memory). Unless the
//! trust's policy says `delivery.send_while_locked`, the courier then waits for the next unlock,
//! which wakes it; with it, the courier sends what core packed for that while unlocked (the
//! outbound store, under a delivery key of its own: docs/delivery.md "While locked"), and a
//! background wake from the platform waits for that drain before it tells the platform it is
//! done.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Serialize;
use tauri::ipc::Channel;
use tauri::{AppHandle, Manager, Runtime, State};
use wardcam_core::delivery::fhir::FhirRecord;
use wardcam_core::delivery::Pacs;
use wardcam_core::delivery::{Courier, OutboxEvent};
use wardcam_core::endpoint::CertificateStatus;
use wardcam_core::endpoint::EndpointError;
use wardcam_core::policy::Policy;
use wardcam_core::vault::Timestamp;
use wardcam_core::visit::{PhotoId, Problem, RetentionView, SentView, WithdrawnView};

use crate::error::CommandError;
use crate::record::{RecordEndpoint, RecordStatus};
use crate::SharedWard;

/// How far back the Outbox's "Sent" list reaches.
const SENT_LIST_SPAN: Duration = Duration::from_secs(24 * 60 * 60);

/// The longest sleep between drains when nothing is due (a safety net: every change wakes it).
const IDLE_WAKE: Duration = Duration::from_secs(15 * 60);

/// How this device reaches the PACS.
#[derive(Debug)]
enum Configured {
    /// No endpoint: photos stay in the outbox.
    None,
    /// A usable endpoint.
    Usable(Arc<Courier>),
    /// An endpoint was configured and cannot be used: photos stay, and the screens say why.
    Unusable {
        base_url: Option<String>,
        problem: CommandError,
    },
}

/// The shell's delivery state: when to wake the courier, and where its events go.
pub(crate) struct Delivery {
    configured: Configured,
    wake: tokio::sync::Notify,
    /// Told after every drain (a background wake waits for one).
    drained: tokio::sync::Notify,
    force: AtomicBool,
    active: AtomicBool,
    started: AtomicBool,
    channel: Mutex<Option<Channel<OutboxEvent>>>,
}

/// What the Outbox's header shows about delivery.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct OutboxStatus {
    /// A usable route is set up.
    configured: bool,
    /// The first route's base address (or the configured one, when unusable).
    destination: Option<String>,
    /// Every route's base address, PACS first.
    destinations: Vec<String>,
    /// Why the configured endpoint cannot be used.
    config_problem: Option<CommandError>,
    /// Photos in the outbox and not held.
    waiting: usize,
    /// Photos held until a person acts.
    held: usize,
    /// A drain is running.
    active: bool,
    /// When delivery tries again (Unix ms), if something waits.
    next_retry_at: Option<u64>,
    /// A problem every photo met, which stopped the last drain.
    last_problem: Option<Problem>,
    /// Photos delivered in the last day, newest first.
    sent: Vec<SentView>,
    /// Consents withdrawn after some of their photos were delivered, newest first: what the
    /// record team must remove, and whether the record's Consent is marked withdrawn.
    withdrawals: Vec<WithdrawnView>,
    /// The pinned certificate's expiry, once a connection was made.
    certificate: Option<CertificateStatus>,
    /// Photos waiting too long undelivered, as the last retention pass found them.
    retention: Option<RetentionView>,
}

impl Delivery {
    /// The routes the trust's policy names (none without a policy).
    pub(crate) fn from_policy(policy: Option<&Policy>) -> Delivery {
        Delivery {
            configured: policy.map_or(Configured::None, configured_from),
            wake: tokio::sync::Notify::new(),
            drained: tokio::sync::Notify::new(),
            force: AtomicBool::new(false),
            active: AtomicBool::new(false),
            started: AtomicBool::new(false),
            channel: Mutex::new(None),
        }
    }

    /// The PACS endpoint for the Device screen: address, pins, certificate, or why it is unusable.
    pub(crate) fn endpoint_status(&self, now_secs: i64) -> RecordStatus {
        match &self.configured {
            Configured::None => RecordStatus::unconfigured(),
            Configured::Usable(c) => match c.pacs() {
                Some(pacs) => RecordStatus::usable(pacs.endpoint(), now_secs),
                None => RecordStatus::unconfigured(),
            },
            Configured::Unusable { base_url, problem } => {
                RecordStatus::unusable(base_url.clone(), problem.clone())
            }
        }
    }

    fn courier(&self) -> Option<Arc<Courier>> {
        match &self.configured {
            Configured::Usable(c) => Some(Arc::clone(c)),
            _ => None,
        }
    }

    /// Wakes the courier; `force` lifts every wait (the clinician's "Send now").
    pub(crate) fn nudge(&self, force: bool) {
        if force {
            self.force.store(true, Ordering::Relaxed);
        }
        self.wake.notify_one();
    }

    fn emit(&self, event: OutboxEvent) {
        if let Ok(channel) = self.channel.lock() {
            if let Some(channel) = channel.as_ref() {
                // A closed page is not an error: the next `outbox_watch` gives a new channel.
                let _ = channel.send(event);
            }
        }
    }

    fn status(&self, ward: &SharedWard) -> Result<OutboxStatus, CommandError> {
        let now = Timestamp::now();
        let plan = ward.delivery_plan(now)?;
        let since = now.minus(SENT_LIST_SPAN);
        let destinations: Vec<String> = match &self.configured {
            Configured::Usable(c) => c
                .pacs()
                .map(|p| p.base_url().to_owned())
                .into_iter()
                .chain(c.record().map(|r| r.base_url().to_owned()))
                .collect(),
            _ => Vec::new(),
        };
        let (destination, config_problem, paused, certificate) = match &self.configured {
            Configured::None => (None, None, (None, None), None),
            Configured::Usable(c) => (
                destinations.first().cloned(),
                None,
                c.paused(),
                c.pacs().and_then(|p| {
                    p.endpoint()
                        .certificate_status(i64::try_from(now.0 / 1000).unwrap_or(i64::MAX))
                }),
            ),
            Configured::Unusable { base_url, problem } => {
                (base_url.clone(), Some(problem.clone()), (None, None), None)
            }
        };
        let (paused_until, last_problem) = paused;
        let next = match (paused_until, plan.next_at) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
        Ok(OutboxStatus {
            configured: matches!(self.configured, Configured::Usable(_)),
            destination,
            destinations,
            config_problem,
            waiting: plan.waiting,
            held: plan.held,
            active: self.active.load(Ordering::Relaxed),
            next_retry_at: next.map(|t| t.0),
            last_problem,
            sent: ward.sent_since(since)?,
            withdrawals: ward.withdrawals_after_delivery()?,
            certificate,
            retention: ward.retention_view()?,
        })
    }
}

impl std::fmt::Debug for Delivery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Delivery")
            .field("configured", &self.configured)
            .field("active", &self.active)
            .finish_non_exhaustive()
    }
}

/// The routes the policy names: the PACS, the record (the look-up's endpoint), or both. Either
/// route configured and unusable stops delivery, and the screens say why.
fn configured_from(policy: &Policy) -> Configured {
    let pacs = match &policy.pacs {
        None => None,
        Some(config) => match Pacs::from_config(config) {
            Ok(pacs) => Some(pacs),
            Err(e) => return unusable(Some(config.base_url.clone()), e),
        },
    };
    let record = if policy.delivery.file_photos_in_record {
        match &policy.record {
            // A checked policy never asks for this; kept so a change there cannot go silent.
            None => {
                return unusable(
                    None,
                    EndpointError::ConfigInvalid {
                        field: "record delivery without a record endpoint",
                    },
                )
            }
            Some(config) => match FhirRecord::from_config(config) {
                Ok(record) => Some(record),
                Err(e) => return unusable(Some(config.base_url.clone()), e),
            },
        }
    } else {
        None
    };
    if pacs.is_none() && record.is_none() {
        return Configured::None;
    }
    Configured::Usable(Arc::new(
        Courier::with_routes(pacs, record).sending_while_locked(policy.delivery.send_while_locked),
    ))
}

fn unusable(base_url: Option<String>, problem: EndpointError) -> Configured {
    Configured::Unusable {
        base_url,
        problem: problem.into(),
    }
}

/// How long a background wake waits for the drain it started: inside iOS's budget for a
/// `BGProcessingTask` (the plugin's `wakeBudgetSeconds`, 25 s) and WorkManager's.
const WAKE_BUDGET: Duration = Duration::from_secs(20);

/// A background wake from the platform (Android WorkManager, iOS `BGProcessingTask`, network
/// required) wakes the courier as "Send now" would and waits (within [`WAKE_BUDGET`]) for that
/// drain to end before it tells the platform whether it could send. Core decides what a drain
/// does while locked: nothing, or the parcels the trust allowed (docs/delivery.md, "While
/// locked").
pub(crate) fn wake_in_background<R: Runtime>(app: &AppHandle<R>) {
    use tauri_plugin_wardcam_device::DeviceExt;
    let handle = app.clone();
    let watched = app.device().on_background_wake(move |wake| {
        let handle = handle.clone();
        tauri::async_runtime::spawn(async move {
            let delivery = handle.state::<Delivery>();
            let sent = wake_and_wait(&delivery, WAKE_BUDGET).await;
            wake.done(sent);
        });
    });
    if let Err(e) = watched {
        eprintln!("WardCam: cannot take background wakes: {e}");
    }
}

/// Nudges the courier and waits up to `budget` for the next drain to end. `false` without a
/// courier, or when no drain ended in time (the platform then reschedules).
async fn wake_and_wait(delivery: &Delivery, budget: Duration) -> bool {
    if delivery.courier().is_none() {
        return false;
    }
    // Registered before the nudge, so a drain that ends at once is not missed.
    let drained = delivery.drained.notified();
    tokio::pin!(drained);
    drained.as_mut().enable();
    delivery.nudge(false);
    tokio::time::timeout(budget, drained).await.is_ok()
}

/// Starts the delivery task once (after the vault is open). Without a usable endpoint there is
/// nothing to start.
pub(crate) fn start<R: Runtime>(app: &AppHandle<R>) {
    let delivery = app.state::<Delivery>();
    let Some(courier) = delivery.courier() else {
        return;
    };
    if delivery.started.swap(true, Ordering::SeqCst) {
        delivery.nudge(false);
        return;
    }
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        loop {
            let delivery = app.state::<Delivery>();
            let ward = app.state::<SharedWard>().inner().clone();
            let record = app.state::<RecordEndpoint>();
            let force = delivery.force.swap(false, Ordering::Relaxed);
            delivery.active.store(true, Ordering::Relaxed);
            delivery.emit(OutboxEvent::Changed);
            let report = courier
                .drain(&ward, record.lookup(), force, &|e| delivery.emit(e))
                .await;
            delivery.active.store(false, Ordering::Relaxed);
            delivery.drained.notify_waiters();
            delivery.emit(OutboxEvent::Changed);
            let next_at = match report {
                Ok(r) => r.next_at,
                // A vault failure: try again later rather than spin; the Outbox shows the photos.
                Err(_) => Some(Timestamp::now().plus(Duration::from_secs(60))),
            };
            let sleep = next_at.map_or(IDLE_WAKE, |at| {
                Duration::from_millis(at.0.saturating_sub(Timestamp::now().0)).min(IDLE_WAKE)
            });
            tokio::select! {
                () = delivery.wake.notified() => {}
                () = tokio::time::sleep(sleep.max(Duration::from_millis(200))) => {}
            }
        }
    });
}

/// What the Outbox's header shows: destination, counts, the next retry, recent deliveries.
#[tauri::command]
pub(crate) async fn outbox_status(
    ward: State<'_, SharedWard>,
    delivery: State<'_, Delivery>,
) -> Result<OutboxStatus, CommandError> {
    delivery.status(&ward)
}

/// "Send now", the app coming to the foreground, or the network coming back: try at once.
#[tauri::command]
pub(crate) async fn outbox_send_now(
    ward: State<'_, SharedWard>,
    delivery: State<'_, Delivery>,
) -> Result<OutboxStatus, CommandError> {
    delivery.nudge(true);
    delivery.status(&ward)
}

/// The Outbox subscribes to delivery events; the newest channel replaces any earlier one.
#[tauri::command]
pub(crate) async fn outbox_watch(
    delivery: State<'_, Delivery>,
    on_event: Channel<OutboxEvent>,
) -> Result<(), CommandError> {
    let mut slot = delivery
        .channel
        .lock()
        .map_err(|_| CommandError::unexpected("delivery events"))?;
    *slot = Some(on_event);
    Ok(())
}

/// A held photo is sent again at the clinician's request (after IT fixed the server).
#[tauri::command]
pub(crate) async fn outbox_send_again(
    ward: State<'_, SharedWard>,
    delivery: State<'_, Delivery>,
    photo: String,
) -> Result<OutboxStatus, CommandError> {
    let id: PhotoId = photo.parse()?;
    let w = ward.inner().clone();
    crate::background::blocking(move || Ok(w.send_again(id)?)).await?;
    delivery.nudge(true);
    delivery.status(&ward)
}

/// The patient withdraws consent for a photo already delivered (from the Sent list): core records
/// the withdrawal, shreds the visit's photos still waiting, and lists what the record team must
/// remove; the courier then marks the record's Consent withdrawn.
#[tauri::command]
pub(crate) async fn outbox_withdraw_sent(
    ward: State<'_, SharedWard>,
    delivery: State<'_, Delivery>,
    photo: String,
) -> Result<OutboxStatus, CommandError> {
    let id: PhotoId = photo.parse()?;
    let w = ward.inner().clone();
    crate::background::blocking(move || Ok(w.withdraw_delivered(id).map(|_| ())?)).await?;
    delivery.nudge(false);
    delivery.status(&ward)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    /// A self-signed CA certificate, as a trust anchor the endpoint builder accepts.
    const ANCHOR: &str = include_str!("../testdata/record-anchor.pem");
    /// A valid base64 SHA-256 pin (never met, which these tests do not need).
    const PIN: &str = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";

    fn policy(record: bool, pacs: bool, file_in_record: bool, pacs_base: &str) -> Policy {
        let endpoint = |base: &str| {
            serde_json::json!({"base_url": base, "trust_anchors_pem": ANCHOR,
                               "spki_pins_sha256": [PIN, PIN]})
        };
        let mut v = serde_json::json!({
            "version": 1,
            "trust": {"name": "Test Trust", "ods_code": "RX1"},
            "delivery": {"file_photos_in_record": file_in_record},
        });
        if record {
            v["record"] = endpoint("https://127.0.0.1:2/fhir/R4");
        }
        if pacs {
            v["pacs"] = endpoint(pacs_base);
        }
        // Not checked: these tests also build policies a check would refuse.
        serde_json::from_value(v).unwrap()
    }

    fn problem_code(d: &Delivery) -> Option<String> {
        d.endpoint_status(0).problem.map(|p| {
            serde_json::to_value(p).unwrap()["code"]
                .as_str()
                .unwrap()
                .to_owned()
        })
    }

    #[test]
    fn a_background_wake_waits_for_the_drain_it_started() {
        let p = policy(false, true, false, "https://127.0.0.1:1/dicom-web");
        tauri::async_runtime::block_on(async {
            // No drain ends within the budget: the platform is told nothing was done.
            let idle = Delivery::from_policy(Some(&p));
            assert!(!wake_and_wait(&idle, Duration::from_millis(100)).await);
            // The courier's loop ends a drain after the nudge: the wake says so.
            let d = Arc::new(Delivery::from_policy(Some(&p)));
            let courier = Arc::clone(&d);
            let drain = tokio::spawn(async move {
                courier.wake.notified().await;
                courier.drained.notify_waiters();
            });
            assert!(wake_and_wait(&d, Duration::from_secs(10)).await);
            drain.await.unwrap();
        });
        // Without a courier there is nothing to wait for.
        let none = Delivery::from_policy(None);
        assert!(!tauri::async_runtime::block_on(wake_and_wait(
            &none,
            Duration::from_secs(10)
        )));
    }

    #[test]
    fn no_policy_means_no_delivery() {
        let d = Delivery::from_policy(None);
        assert!(d.courier().is_none());
        assert_eq!(d.endpoint_status(0).base_url, None);
        assert_eq!(problem_code(&d), None);
    }

    #[test]
    fn the_policys_pacs_makes_a_courier() {
        let p = policy(false, true, false, "https://127.0.0.1:1/dicom-web");
        let d = Delivery::from_policy(Some(&p));
        assert!(d.courier().is_some());
        let status = d.endpoint_status(0);
        assert_eq!(
            status.base_url.as_deref(),
            Some("https://127.0.0.1:1/dicom-web")
        );
        assert_eq!(status.pins, 2);
    }

    #[test]
    fn record_delivery_files_in_the_look_up_endpoint_alone_or_with_the_pacs() {
        use wardcam_core::visit::Route;
        let routes = |record, pacs, file| {
            Delivery::from_policy(Some(&policy(
                record,
                pacs,
                file,
                "https://127.0.0.1:1/dicom-web",
            )))
            .courier()
            .map(|c| c.routes())
        };
        // The look-up endpoint alone files nothing: a trust asks for record delivery.
        assert_eq!(routes(true, false, false), None);
        assert_eq!(routes(true, false, true), Some(vec![Route::Record]));
        assert_eq!(
            routes(true, true, true),
            Some(vec![Route::Pacs, Route::Record])
        );
        // Record delivery with no record endpoint is a configuration to fix, not a silent PACS only.
        let d = Delivery::from_policy(Some(&policy(false, true, true, "https://127.0.0.1:1/d")));
        assert!(d.courier().is_none());
        assert_eq!(problem_code(&d).as_deref(), Some("endpoint.config_invalid"));
    }

    #[test]
    fn an_unusable_endpoint_keeps_photos_and_says_why() {
        let d = Delivery::from_policy(Some(&policy(
            false,
            true,
            false,
            "http://127.0.0.1:1/dicom-web",
        )));
        assert!(d.courier().is_none());
        assert_eq!(problem_code(&d).as_deref(), Some("endpoint.config_invalid"));
    }
}
