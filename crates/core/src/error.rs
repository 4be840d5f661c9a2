//! The crate-wide error: one enum wrapping each module's errors, as rustls does.

use crate::audit::AuditError;
use crate::auth::AuthError;
use crate::consent::ConsentError;
use crate::delivery::DeliveryError;
use crate::intake::IntakeError;
use crate::patient::PatientError;
use crate::policy::PolicyError;
use crate::review::ReviewError;
use crate::session::SessionError;
use crate::vault::VaultError;
use crate::visit::VisitError;
use crate::wipe::WipeError;

/// Any error `wardcam-core` returns. Each variant wraps a module's own error; [`Error::code`] gives
/// a stable dotted code (`session.consent_required`) that the UI maps to advice for the clinician.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The clinical flow refused an action (see [`SessionError`]).
    #[error(transparent)]
    Session(#[from] SessionError),
    /// A patient identifier was refused (see [`PatientError`]).
    #[error(transparent)]
    Patient(#[from] PatientError),
    /// The vault failed or refused (see [`VaultError`]).
    #[error(transparent)]
    Vault(#[from] VaultError),
    /// A captured image was refused at intake (see [`IntakeError`]).
    #[error(transparent)]
    Intake(#[from] IntakeError),
    /// A photo's label was refused (see [`ReviewError`]).
    #[error(transparent)]
    Review(#[from] ReviewError),
    /// A consent record or consent text was refused (see [`ConsentError`]).
    #[error(transparent)]
    Consent(#[from] ConsentError),
    /// A clinician PIN was refused (see [`AuthError`]).
    #[error(transparent)]
    Auth(#[from] AuthError),
    /// The visit refused an action (see [`VisitError`]).
    #[error(transparent)]
    Visit(#[from] VisitError),
    /// A photo could not be made ready for the record (see [`DeliveryError`]).
    #[error(transparent)]
    Delivery(#[from] DeliveryError),
    /// The trust's policy refused, or is missing (see [`PolicyError`]).
    #[error(transparent)]
    Policy(#[from] PolicyError),
    /// The audit log could not be read or written (see [`AuditError`]).
    #[error(transparent)]
    Audit(#[from] AuditError),
    /// A remote wipe was refused or could not finish (see [`WipeError`]).
    #[error(transparent)]
    Wipe(#[from] WipeError),
}

impl Error {
    /// A stable, dotted machine code for this error, shared with the UI's list of known errors.
    pub fn code(&self) -> &'static str {
        match self {
            Error::Session(e) => e.code(),
            Error::Patient(e) => e.code(),
            Error::Vault(e) => e.code(),
            Error::Intake(e) => e.code(),
            Error::Review(e) => e.code(),
            Error::Consent(e) => e.code(),
            Error::Auth(e) => e.code(),
            Error::Visit(e) => e.code(),
            Error::Delivery(e) => e.code(),
            Error::Policy(e) => e.code(),
            Error::Audit(e) => e.code(),
            Error::Wipe(e) => e.code(),
        }
    }
}

impl Error {
    /// Every code [`Error::code`] can return, sorted and without repeats: what the shell sends the
    /// UI from core, checked against `ui/src/lib/errors/codes.ts` by the shell's test. Each module's
    /// `CODES` is proven complete by `error_codes_tests`.
    pub fn all_codes() -> Vec<&'static str> {
        let mut codes = [
            SessionError::CODES,
            PatientError::CODES,
            VaultError::CODES,
            IntakeError::CODES,
            ReviewError::CODES,
            ConsentError::CODES,
            AuthError::CODES,
            VisitError::CODES,
            DeliveryError::CODES,
            PolicyError::CODES,
            AuditError::CODES,
            WipeError::CODES,
        ]
        .concat();
        codes.sort_unstable();
        codes.dedup();
        codes
    }
}

#[cfg(test)]
#[path = "error_codes_tests.rs"]
mod codes_tests;
