//! The ward visit: one owner for the patient, the consent and the photos, persisted in the vault
//! so nothing is lost when the app is killed, crashes or restarts.
//!
//! [`Ward`] owns the [`Session`](crate::session::Session), the patient being confirmed and the
//! confirmed one, the consent record and its sealed items, every photo's items, label and intended
//! use, and the clinician PIN. It hands out the visit, patient, consent and photo identifiers
//! itself. The app shell only translates arguments and results.
//!
//! Promises kept here:
//! - **Every photo has a sealed manifest** ([`PhotoManifest`]): whose it is, how they were
//!   identified and what the record said, the clinician, the consent (item and digest), the
//!   intended use, the label, capture time, intake's findings, the thumbnail, redaction lineage
//!   and its local state. A photo is acknowledged only once its manifest is sealed.
//! - **Nothing is lost on restart or crash.** [`Ward::attach_vault`] rebuilds, from the vault
//!   alone, the visit the app died in (resumed behind the lock) and the outbox: every photo not yet
//!   delivered, of any visit, with its patient, label and state ([`recover`](self) rules in
//!   `recover.rs`).
//! - **One shred policy.** Photos go whole (manifest, image, thumbnail in one key transaction). A
//!   shred that fails after the keys are gone is counted ([`WardStatus::cleanup_pending`]) and
//!   finished by the vault's sweep at the next open; one that fails before leaves everything in
//!   place and returns the error. Leftovers that no record names are shredded at the next open.
//! - **Withdrawal is all or nothing**: the withdrawal is sealed first, naming its photos; an
//!   interruption is finished at the next open; a withdrawn photo can never be queued or delivered.
//! - **Bound at the shutter**: a capture is tied to the visit and consent when it starts; if either
//!   changed by the time intake is done, the photo is shredded and the clinician told.
//!
//! - **Delivery steps are transactions too** (`outbox.rs`): queued, sending, uploaded, held, each
//!   sealed; a photo is shredded only in [`Ward::delivery_verified`], after its deletion receipt is
//!   sealed.
//!
//! What it does not do: talk to servers (`crate::delivery::Courier` drives delivery), look the
//! patient up (the shell calls the record endpoint, then [`Ward::identify`]).

mod after_delivery;
mod audit;
#[cfg(test)]
mod audit_tests;
mod clock;
#[cfg(test)]
mod crash_tests;
mod error;
mod gate;
#[cfg(test)]
mod gate_tests;
mod identity;
mod ids;
mod manifest;
mod outbound;
#[cfg(test)]
mod outbound_tests;
mod outbox;
#[cfg(test)]
mod outbox_tests;
mod pins;
mod platform;
#[cfg(test)]
mod platform_tests;
mod policy_applied;
#[cfg(test)]
mod policy_applied_tests;
mod recheck;
mod recover;
mod retention;
#[cfg(test)]
mod retention_tests;
mod send;
#[cfg(test)]
mod send_tests;
pub(crate) mod since_boot;
mod status;
#[cfg(test)]
mod status_tests;
#[cfg(test)]
pub(crate) mod testing;
#[cfg(test)]
mod tests;
mod trust;
#[cfg(test)]
mod trust_tests;
mod views;
mod ward;
mod wipe;

pub use after_delivery::WithdrawnView;
pub use clock::{space_needed, BootReading, Clock, FileSystemStorage, Storage, SystemClock};
pub use error::VisitError;
pub use gate::PlatformUnlock;
pub use identity::{
    Candidate, DeliveryGate, Demographics, Hold, IdentifiedBy, LocalIdentifier, Override,
    PatientIdentity, Reason, Recheck, RecheckOutcome, Verdict,
};
pub use ids::{PhotoId, VisitId};
pub use manifest::{
    decode, encode, ConsentCopy, ConsentLink, DeliveryRecord, FiledRecord, LabelRecord, LocalState,
    PhotoManifest, Problem, ReceiptRecord, Record, RecordUpdate, RedactionStep, Route, SentFile,
    SentRecord, VisitRecord, WithdrawalRecord, MANIFEST_VERSION,
};
pub use outbound::{
    outbound_store_gone, DueParcel, LockedBatch, ParcelState, ParcelStep, OUTBOUND_DIR,
};
pub use outbox::{
    Ack, ConsentCopyJob, DeliveryJob, DeliveryPlan, Destinations, SentView, Verified,
};
pub use pins::PinStatus;
pub use policy_applied::{newly_in_force, PolicyOrigin};
pub use recheck::recheck_due_visits;
pub use recover::RecoveryReport;
pub use retention::{PurgedPhoto, RetentionReport, RetentionView};
pub use send::{suggested_sites, LabelSuggestions, SiteAndSide, MAX_SUGGESTED_SITES};
pub use status::{AuditHead, DeviceStatus, FeedbackValue, PolicyInForce, QueueDepth, StatusFacts};
pub use views::{DeliveryView, PatientLine, PhotoView};
pub use ward::{read_manifest, CandidateOffers, Ward, WardStatus};
pub use wipe::WipeRequest;
