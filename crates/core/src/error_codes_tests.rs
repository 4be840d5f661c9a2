//! Every error code core can return is listed in its enum's `CODES`, so the shell can give the UI
//! one complete list (`ui/src/lib/errors/codes.ts`, checked by the shell's test against
//! [`Error::all_codes`]). Each test builds one of every variant; a variant added without being
//! added here does not compile (the exhaustive matches below), and one added here without its code
//! in `CODES` fails the test with the code it misses.

use std::collections::BTreeSet;

use super::*;
use crate::endpoint::{EndpointError, TrustProblem};
use crate::session::Purpose;

/// Fails, naming the differences, unless the codes `built` from every variant of `name` are
/// exactly the codes `listed`.
fn assert_listed<'a>(name: &str, built: impl IntoIterator<Item = &'a str>, listed: &[&[&'a str]]) {
    let built: BTreeSet<&str> = built.into_iter().collect();
    let listed: BTreeSet<&str> = listed.iter().flat_map(|l| l.iter().copied()).collect();
    let unlisted: Vec<_> = built.difference(&listed).collect();
    let never_returned: Vec<_> = listed.difference(&built).collect();
    assert!(
        unlisted.is_empty() && never_returned.is_empty(),
        "{name}: codes returned but not in CODES: {unlisted:?}; in CODES but never returned: {never_returned:?}"
    );
}

#[test]
fn every_patient_code_is_listed() {
    // `every_kind` is kept complete by `every_kind_is_listed` in patient/error.rs.
    assert_listed(
        "PatientError",
        PatientError::every_kind().iter().map(PatientError::code),
        &[PatientError::CODES],
    );
}

/// One of every [`SessionError`] variant. The match has no wildcard, so a new variant stops this
/// compiling until it is added here too; the test then finds its code missing from `CODES`.
fn every_session() -> Vec<SessionError> {
    use SessionError as E;
    let every = vec![
        E::Locked,
        E::AlreadyUnlocked,
        E::PasscodeRequired,
        E::DevelopmentUnlockRefused,
        E::NoPatient,
        E::PatientInSession,
        E::WrongPatient,
        E::ConsentRequired,
        E::ConsentAlreadyRecorded,
        E::NoPurpose,
        E::PurposeNotCovered {
            purpose: Purpose::Care,
        },
        E::NotCapturing,
        E::DuplicatePhoto,
        E::NoPhotos,
        E::NotReviewing,
        E::UnknownPhoto,
        E::PhotosNotQueued { count: 1 },
        E::KioskActive,
        E::NotInKiosk,
        E::ConsentDeclined,
        E::NoConsentToWithdraw,
    ];
    for e in &every {
        match e {
            E::Locked
            | E::AlreadyUnlocked
            | E::PasscodeRequired
            | E::DevelopmentUnlockRefused
            | E::NoPatient
            | E::PatientInSession
            | E::WrongPatient
            | E::ConsentRequired
            | E::ConsentAlreadyRecorded
            | E::NoPurpose
            | E::PurposeNotCovered { .. }
            | E::NotCapturing
            | E::DuplicatePhoto
            | E::NoPhotos
            | E::NotReviewing
            | E::UnknownPhoto
            | E::PhotosNotQueued { .. }
            | E::KioskActive
            | E::NotInKiosk
            | E::ConsentDeclined
            | E::NoConsentToWithdraw => {}
        }
    }
    every
}

#[test]
fn every_session_code_is_listed() {
    assert_listed(
        "SessionError",
        every_session().iter().map(SessionError::code),
        &[SessionError::CODES],
    );
}

/// One of every [`VaultError`] variant. The match has no wildcard, so a new variant stops this
/// compiling until it is added here too; the test then finds its code missing from `CODES`.
fn every_vault() -> Vec<VaultError> {
    use VaultError as E;
    let every = vec![
        E::Tampered,
        E::Truncated,
        E::UnknownVersion {
            found: 1,
            supported: 1,
        },
        E::NotAVault,
        E::KeyUnavailable,
        E::KeystoreMissing {
            reason: String::new(),
        },
        E::KeystoreLocked {
            reason: String::new(),
        },
        E::KeystoreCorrupt,
        E::NotFound,
        E::AlreadyExists,
        E::NoVault,
        E::Io {
            action: "x",
            kind: std::io::ErrorKind::Other,
        },
        E::Index {
            detail: String::new(),
        },
        E::ApiMisuse("x"),
    ];
    for e in &every {
        match e {
            E::Tampered
            | E::Truncated
            | E::UnknownVersion { .. }
            | E::NotAVault
            | E::KeyUnavailable
            | E::KeystoreMissing { .. }
            | E::KeystoreLocked { .. }
            | E::KeystoreCorrupt
            | E::NotFound
            | E::AlreadyExists
            | E::NoVault
            | E::Io { .. }
            | E::Index { .. }
            | E::ApiMisuse(..) => {}
        }
    }
    every
}

#[test]
fn every_vault_code_is_listed() {
    assert_listed(
        "VaultError",
        every_vault().iter().map(VaultError::code),
        &[VaultError::CODES],
    );
}

/// One of every [`IntakeError`] variant. The match has no wildcard, so a new variant stops this
/// compiling until it is added here too; the test then finds its code missing from `CODES`.
fn every_intake() -> Vec<IntakeError> {
    use IntakeError as E;
    let every = vec![
        E::Empty,
        E::NotAnImage,
        E::UnsupportedFormat { format: "x" },
        E::TooLarge { bytes: 1, max: 1 },
        E::TooManyPixels {
            width: 1,
            height: 1,
            max_pixels: 1,
        },
        E::DecompressionBomb {
            width: 1,
            height: 1,
            bytes: 1,
        },
        E::Truncated,
        E::Malformed {
            reason: String::new(),
        },
        E::UnsupportedEncoding {
            feature: String::new(),
        },
        E::BadRedaction {
            reason: String::new(),
        },
        E::Encode {
            reason: String::new(),
        },
    ];
    for e in &every {
        match e {
            E::Empty
            | E::NotAnImage
            | E::UnsupportedFormat { .. }
            | E::TooLarge { .. }
            | E::TooManyPixels { .. }
            | E::DecompressionBomb { .. }
            | E::Truncated
            | E::Malformed { .. }
            | E::UnsupportedEncoding { .. }
            | E::BadRedaction { .. }
            | E::Encode { .. } => {}
        }
    }
    every
}

#[test]
fn every_intake_code_is_listed() {
    assert_listed(
        "IntakeError",
        every_intake().iter().map(IntakeError::code),
        &[IntakeError::CODES],
    );
}

/// One of every [`ReviewError`] variant. The match has no wildcard, so a new variant stops this
/// compiling until it is added here too; the test then finds its code missing from `CODES`.
fn every_review() -> Vec<ReviewError> {
    use ReviewError as E;
    let every = vec![
        E::UnknownBodySite,
        E::LateralityRequired,
        E::LateralityNotApplicable,
        E::DescriptionInvalid { max: 1 },
        E::LabelMissing { count: 1 },
    ];
    for e in &every {
        match e {
            E::UnknownBodySite
            | E::LateralityRequired
            | E::LateralityNotApplicable
            | E::DescriptionInvalid { .. }
            | E::LabelMissing { .. } => {}
        }
    }
    every
}

#[test]
fn every_review_code_is_listed() {
    assert_listed(
        "ReviewError",
        every_review().iter().map(ReviewError::code),
        &[ReviewError::CODES],
    );
}

/// One of every [`ConsentError`] variant. The match has no wildcard, so a new variant stops this
/// compiling until it is added here too; the test then finds its code missing from `CODES`.
fn every_consent() -> Vec<ConsentError> {
    use ConsentError as E;
    let every = vec![
        E::NoPurpose,
        E::CareRequired,
        E::NoPatientIdentifier,
        E::NoPatientName,
        E::RepresentativeNameMissing,
        E::RepresentativeRelationshipMissing,
        E::BestInterestsReasonMissing,
        E::WitnessMissing,
        E::ClinicianMissing,
        E::FieldTooLong { field: "x", max: 1 },
        E::TextVersionMismatch {
            shown: String::new(),
            current: String::new(),
        },
        E::SignatureEmpty,
        E::SignatureTooSmall,
        E::SignatureTooLarge,
        E::SignatureMalformed,
        E::SignatureRender,
        E::MethodMismatch,
        E::Refused,
        E::TextInvalid {
            detail: String::new(),
        },
        E::TextPurposeMissing { purpose: "x" },
        E::TextMarkup,
        E::TextTooLong { max: 1 },
        E::Random,
        E::Encoding,
    ];
    for e in &every {
        match e {
            E::NoPurpose
            | E::CareRequired
            | E::NoPatientIdentifier
            | E::NoPatientName
            | E::RepresentativeNameMissing
            | E::RepresentativeRelationshipMissing
            | E::BestInterestsReasonMissing
            | E::WitnessMissing
            | E::ClinicianMissing
            | E::FieldTooLong { .. }
            | E::TextVersionMismatch { .. }
            | E::SignatureEmpty
            | E::SignatureTooSmall
            | E::SignatureTooLarge
            | E::SignatureMalformed
            | E::SignatureRender
            | E::MethodMismatch
            | E::Refused
            | E::TextInvalid { .. }
            | E::TextPurposeMissing { .. }
            | E::TextMarkup
            | E::TextTooLong { .. }
            | E::Random
            | E::Encoding => {}
        }
    }
    every
}

#[test]
fn every_consent_code_is_listed() {
    assert_listed(
        "ConsentError",
        every_consent().iter().map(ConsentError::code),
        &[ConsentError::CODES],
    );
}

/// One of every [`AuthError`] variant. The match has no wildcard, so a new variant stops this
/// compiling until it is added here too; the test then finds its code missing from `CODES`.
fn every_auth() -> Vec<AuthError> {
    use AuthError as E;
    let every = vec![
        E::PinTooShort { min: 1 },
        E::PinTooSimple,
        E::WrongPin { remaining: 1 },
        E::TryLater { wait_ms: 1 },
        E::PinDisabled,
        E::HashInvalid,
        E::NotSetUp,
        E::AlreadySetUp,
        E::Random,
    ];
    for e in &every {
        match e {
            E::PinTooShort { .. }
            | E::PinTooSimple
            | E::WrongPin { .. }
            | E::TryLater { .. }
            | E::PinDisabled
            | E::HashInvalid
            | E::NotSetUp
            | E::AlreadySetUp
            | E::Random => {}
        }
    }
    every
}

#[test]
fn every_auth_code_is_listed() {
    assert_listed(
        "AuthError",
        every_auth().iter().map(AuthError::code),
        &[AuthError::CODES],
    );
}

/// One of every [`VisitError`] variant. The match has no wildcard, so a new variant stops this
/// compiling until it is added here too; the test then finds its code missing from `CODES`.
fn every_visit() -> Vec<VisitError> {
    use VisitError as E;
    let every = vec![
        E::VaultOpening,
        E::UnknownPhoto,
        E::PhotoQueued,
        E::PatientChanged,
        E::StorageFull,
        E::PinNotSet,
        E::OldPinRequired,
        E::ManifestInvalid { detail: "x" },
        E::ManifestVersion { version: 1 },
        E::NotHeld,
        E::HeldInOpenVisit,
        E::PhotoSending,
        E::NotHeldByServer,
        E::Random,
    ];
    for e in &every {
        match e {
            E::VaultOpening
            | E::UnknownPhoto
            | E::PhotoQueued
            | E::PatientChanged
            | E::StorageFull
            | E::PinNotSet
            | E::OldPinRequired
            | E::ManifestInvalid { .. }
            | E::ManifestVersion { .. }
            | E::NotHeld
            | E::HeldInOpenVisit
            | E::PhotoSending
            | E::NotHeldByServer
            | E::Random => {}
        }
    }
    every
}

#[test]
fn every_visit_code_is_listed() {
    assert_listed(
        "VisitError",
        every_visit().iter().map(VisitError::code),
        &[VisitError::CODES],
    );
}

/// One of every [`DeliveryError`] variant. The match has no wildcard, so a new variant stops this
/// compiling until it is added here too; the test then finds its code missing from `CODES`.
fn every_delivery() -> Vec<DeliveryError> {
    use DeliveryError as E;
    let every = vec![
        E::Unlabelled,
        E::Withdrawn,
        E::NoPatientId,
        E::UnsupportedJpeg { detail: "x" },
        E::ImageTooLarge,
        E::ImageDamaged { detail: "x" },
        E::Encode { detail: "x" },
        E::ConsentPdfMismatch,
        E::ConsentPdfWrongPatient,
        E::ConsentPdfTextMismatch,
        E::ConsentPdfSignature,
        E::ConsentPdfEncode { detail: "x" },
    ];
    for e in &every {
        match e {
            E::Unlabelled
            | E::Withdrawn
            | E::NoPatientId
            | E::UnsupportedJpeg { .. }
            | E::ImageTooLarge
            | E::ImageDamaged { .. }
            | E::Encode { .. }
            | E::ConsentPdfMismatch
            | E::ConsentPdfWrongPatient
            | E::ConsentPdfTextMismatch
            | E::ConsentPdfSignature
            | E::ConsentPdfEncode { .. } => {}
        }
    }
    every
}

#[test]
fn every_delivery_code_is_listed() {
    assert_listed(
        "DeliveryError",
        every_delivery().iter().map(DeliveryError::code),
        &[DeliveryError::CODES],
    );
}

/// One of every [`PolicyError`] variant. The match has no wildcard, so a new variant stops this
/// compiling until it is added here too; the test then finds its code missing from `CODES`.
fn every_policy() -> Vec<PolicyError> {
    use PolicyError as E;
    let every = vec![
        E::invalid(vec![]),
        E::Malformed {
            detail: String::new(),
        },
        E::UnknownKey,
        E::BadSignature,
        E::Expired,
        E::Older {
            current: 1,
            offered: 1,
        },
        E::VersionReused { version: 1 },
        E::HashMismatch,
        E::PartsMissing { have: 1, need: 1 },
        E::SecretInPayload,
        E::NoProvisioningKeys,
        E::Store {
            reason: String::new(),
        },
        E::NotProvisioned,
        E::Suspended,
        E::AppTooOld {
            minimum: String::new(),
            running: String::new(),
        },
    ];
    for e in &every {
        match e {
            E::Invalid { .. }
            | E::Malformed { .. }
            | E::UnknownKey
            | E::BadSignature
            | E::Expired
            | E::Older { .. }
            | E::VersionReused { .. }
            | E::HashMismatch
            | E::PartsMissing { .. }
            | E::SecretInPayload
            | E::NoProvisioningKeys
            | E::Store { .. }
            | E::NotProvisioned
            | E::Suspended
            | E::AppTooOld { .. } => {}
        }
    }
    every
}

#[test]
fn every_policy_code_is_listed() {
    assert_listed(
        "PolicyError",
        every_policy().iter().map(PolicyError::code),
        &[PolicyError::CODES],
    );
}

/// One of every [`AuditError`] variant. The match has no wildcard, so a new variant stops this
/// compiling until it is added here too; the test then finds its code missing from `CODES`.
fn every_audit() -> Vec<AuditError> {
    use AuditError as E;
    let every = vec![
        E::Io("x", std::io::ErrorKind::Other),
        E::Crypto("x"),
        E::KeyDamaged,
        E::Vault(VaultError::NotFound),
    ];
    for e in &every {
        match e {
            E::Io(..) | E::Crypto(..) | E::KeyDamaged | E::Vault(..) => {}
        }
    }
    every
}

#[test]
fn every_audit_code_is_listed() {
    // Its vault errors pass the vault's codes through: build one of each.
    let mut every = every_audit();
    every.extend(every_vault().into_iter().map(AuditError::Vault));
    assert_listed(
        "AuditError",
        every.iter().map(AuditError::code),
        &[AuditError::CODES, VaultError::CODES],
    );
}

/// One of every [`WipeError`] variant. The match has no wildcard, so a new variant stops this
/// compiling until it is added here too; the test then finds its code missing from `CODES`.
fn every_wipe() -> Vec<WipeError> {
    use WipeError as E;
    let every = vec![
        E::Malformed {
            detail: String::new(),
        },
        E::UnknownKey,
        E::BadSignature,
        E::Expired,
        E::OtherTrust,
        E::NotThisPhone,
        E::Replayed,
        E::NoProvisioningKeys,
        E::NotProvisioned,
        E::Unfinished,
        E::Wiped,
        E::RecordDamaged,
        E::Io("x", std::io::ErrorKind::Other),
        E::Vault(VaultError::NotFound),
    ];
    for e in &every {
        match e {
            E::Malformed { .. }
            | E::UnknownKey
            | E::BadSignature
            | E::Expired
            | E::OtherTrust
            | E::NotThisPhone
            | E::Replayed
            | E::NoProvisioningKeys
            | E::NotProvisioned
            | E::Unfinished
            | E::Wiped
            | E::RecordDamaged
            | E::Io(..)
            | E::Vault(..) => {}
        }
    }
    every
}

#[test]
fn every_wipe_code_is_listed() {
    // Its vault errors pass the vault's codes through: build one of each.
    let mut every = every_wipe();
    every.extend(every_vault().into_iter().map(WipeError::Vault));
    assert_listed(
        "WipeError",
        every.iter().map(WipeError::code),
        &[WipeError::CODES, VaultError::CODES],
    );
}

/// One of every [`EndpointError`] variant. The match has no wildcard, so a new variant stops this
/// compiling until it is added here too; the test then finds its code missing from `CODES`.
fn every_endpoint() -> Vec<EndpointError> {
    use EndpointError as E;
    let every = vec![
        E::Unreachable,
        E::NotTrusted {
            problem: TrustProblem::Other,
        },
        E::PinMismatch,
        E::Unavailable { status: None },
        E::Malformed,
        E::Rejected { status: 1 },
        E::Redirected { status: 1 },
        E::ConfigInvalid { field: "x" },
    ];
    for e in &every {
        match e {
            E::Unreachable
            | E::NotTrusted { .. }
            | E::PinMismatch
            | E::Unavailable { .. }
            | E::Malformed
            | E::Rejected { .. }
            | E::Redirected { .. }
            | E::ConfigInvalid { .. } => {}
        }
    }
    every
}

#[test]
fn every_endpoint_code_is_listed() {
    assert_listed(
        "EndpointError",
        every_endpoint().iter().map(EndpointError::code),
        &[EndpointError::CODES],
    );
}
/// One error of each module, wrapped: the match has no wildcard, so a module added to [`Error`]
/// stops this compiling until its codes join [`Error::all_codes`] and a sample joins this list.
fn one_of_each_module() -> Vec<Error> {
    let every = vec![
        Error::Session(SessionError::Locked),
        Error::Patient(PatientError::Empty),
        Error::Vault(VaultError::NotFound),
        Error::Intake(IntakeError::Empty),
        Error::Review(ReviewError::UnknownBodySite),
        Error::Consent(ConsentError::NoPurpose),
        Error::Auth(AuthError::PinTooSimple),
        Error::Visit(VisitError::UnknownPhoto),
        Error::Delivery(DeliveryError::Unlabelled),
        Error::Policy(PolicyError::Expired),
        Error::Audit(AuditError::KeyDamaged),
        Error::Wipe(WipeError::Expired),
    ];
    for e in &every {
        match e {
            Error::Session(_)
            | Error::Patient(_)
            | Error::Vault(_)
            | Error::Intake(_)
            | Error::Review(_)
            | Error::Consent(_)
            | Error::Auth(_)
            | Error::Visit(_)
            | Error::Delivery(_)
            | Error::Policy(_)
            | Error::Audit(_)
            | Error::Wipe(_) => {}
        }
    }
    every
}

#[test]
fn all_codes_hold_every_code_of_every_module() {
    let all = Error::all_codes();
    let mut built: Vec<&str> = Vec::new();
    built.extend(every_session().iter().map(SessionError::code));
    built.extend(PatientError::every_kind().iter().map(PatientError::code));
    built.extend(every_vault().iter().map(VaultError::code));
    built.extend(every_intake().iter().map(IntakeError::code));
    built.extend(every_review().iter().map(ReviewError::code));
    built.extend(every_consent().iter().map(ConsentError::code));
    built.extend(every_auth().iter().map(AuthError::code));
    built.extend(every_visit().iter().map(VisitError::code));
    built.extend(every_delivery().iter().map(DeliveryError::code));
    built.extend(every_policy().iter().map(PolicyError::code));
    built.extend(every_audit().iter().map(AuditError::code));
    built.extend(every_wipe().iter().map(WipeError::code));
    built.extend(one_of_each_module().iter().map(Error::code));
    assert_listed("Error", built, &[&all]);
    // Sorted and unique, so the shell's list and its diff read plainly.
    assert!(all.windows(2).all(|w| w[0] < w[1]), "{all:?}");
}

#[test]
fn codes_are_dotted_lowercase() {
    for code in Error::all_codes()
        .into_iter()
        .chain(EndpointError::CODES.iter().copied())
    {
        let (module, name) = code.split_once('.').unwrap_or(("", ""));
        let ok = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_lowercase() || c == '_');
        assert!(ok(module) && ok(name), "{code}");
    }
}
