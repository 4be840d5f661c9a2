//! WardCam's domain logic, free of any UI or platform framework.
//!
//! The Tauri shell (`src-tauri`) and the device manager's CLI call into this crate; it never calls
//! out to them. Everything a clinician can or cannot do is decided here, so it can be tested,
//! fuzzed and benchmarked without a window, a phone or a WebView.
//!
//! # Tour
//!
//! - [`session`]: the clinical flow's spine. A [`session::Session`] moves
//!   Locked → Unlocked → PatientConfirmed → Consented → Capturing → Reviewing → Queued and refuses
//!   anything out of order (a photo before consent, a photo of another patient) with a
//!   [`session::SessionError`]. Idle time and app backgrounding lock it from any state.
//! - [`patient`]: identifiers read from wristbands (GS1 DataMatrix as NHS bands carry them) or typed
//!   by hand, checked before a patient can be confirmed (NHS number Modulus 11, GSRN check digits),
//!   and compared with the trust's FHIR record (IHE PDQm look-up over pinned TLS).
//! - [`vault`]: the sealed vault. [`vault::Vault`] seals photos, thumbnails, manifests, consent
//!   records and signatures with a key per item under a master key from the platform keystore,
//!   writes them crash-safely, and crypto-shreds them on delete.
//! - [`intake`]: every captured image passes [`intake::intake`] before sealing: format and size
//!   checked from the header, metadata stripped without re-encoding, a DCT-scaled thumbnail and a
//!   blur/exposure check; [`intake::seal_photo`] seals the result; [`intake::redact`] paints solid
//!   rectangles and crops.
//! - [`visit`]: the one owner of the ward visit. [`visit::Ward`] holds the session, the patient,
//!   the consent and every photo, seals a manifest per photo and a record per visit, and rebuilds
//!   all of it from the vault after a crash or restart.
//! - [`review`]: the body site (SNOMED CT), laterality and description a photo needs before it can
//!   be queued.
//! - [`consent`]: the consent record (who agreed to which purposes, how, under which text), the
//!   signature checked and rendered from its strokes, the record's digest bound into each photo,
//!   and its FHIR `Consent` form.
//! - [`auth`]: the clinician PIN for handing back from kiosk mode on desktop (salted PBKDF2 hash,
//!   rate-limited attempts).
//! - [`device`]: what the platform reports about the phone, judged here: the passcode gate (no
//!   unlock without a lock screen that meets the policy) and what leaving the foreground means.
//! - [`Error`]: every module's error, with a stable [`Error::code`] the UI maps to advice.
//!
//! # What this crate does not do
//!
//! The session does no I/O and reads no clock: time comes in as a [`session::Millis`] reading from
//! the caller, so behaviour is reproducible in tests. The patient module's only I/O is the record
//! look-up, behind the [`patient::PatientLookup`] trait; parsing and comparison are pure functions.

#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![deny(rustdoc::broken_intra_doc_links)]

pub mod audit;
pub mod auth;
pub mod consent;
#[cfg(test)]
mod crash_child;
pub mod delivery;
pub mod device;
pub mod endpoint;
mod error;
pub mod intake;
pub mod patient;
pub mod policy;
pub mod review;
pub mod session;
#[cfg(test)]
#[path = "../tests/support/servers.rs"]
mod test_servers;
pub mod vault;
pub mod visit;
pub mod wipe;
mod wiping;

pub use error::Error;
