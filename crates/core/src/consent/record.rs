//! The consent record: who agreed (or refused) to what, how, before whom, under which text.

use std::fmt;

use ring::rand::{SecureRandom, SystemRandom};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::canonical::canonical_json;
use super::{ConsentError, ConsentText, Signature};
use crate::patient::{BirthDate, NhsNumber, WristbandData};
pub use crate::session::ConsentDigest;
use crate::session::{Consent, ConsentRef, PatientRef, Purpose, Purposes};
use crate::vault::Timestamp;

/// Longest name, relationship or witness, in characters.
pub const MAX_NAME_CHARS: usize = 200;
/// Longest best-interests reason, in characters.
pub const MAX_REASON_CHARS: usize = 2_000;

/// A consent record's id: a random (version 4) UUID, as FHIR and DICOM reference it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ConsentId(uuid::Uuid);

impl ConsentId {
    /// A fresh id from the system's secure random source.
    pub fn random() -> Result<ConsentId, ConsentError> {
        let mut bytes = [0u8; 16];
        SystemRandom::new()
            .fill(&mut bytes)
            .map_err(|_| ConsentError::Random)?;
        Ok(ConsentId::from_random_bytes(bytes))
    }

    /// The id's 16 bytes.
    pub fn as_bytes(&self) -> &[u8; 16] {
        self.0.as_bytes()
    }

    /// The id made from 16 random bytes (version and variant bits are set here).
    pub fn from_random_bytes(bytes: [u8; 16]) -> ConsentId {
        ConsentId(uuid::Builder::from_random_bytes(bytes).into_uuid())
    }
}

impl fmt::Display for ConsentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.hyphenated().fmt(f)
    }
}

impl Serialize for ConsentId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ConsentId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        uuid::Uuid::parse_str(&s)
            .map(ConsentId)
            .map_err(serde::de::Error::custom)
    }
}

/// How the patient was identified on the record: the NHS number, or a hospital number with its
/// issuer (at least one), with the name and date of birth as confirmed. `Debug` hides them all.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "PatientWire", into = "PatientWire")]
pub struct ConsentPatient {
    nhs_number: Option<NhsNumber>,
    local_id: Option<(String, String)>,
    family_name: String,
    given_name: String,
    birth_date: Option<BirthDate>,
}

impl ConsentPatient {
    /// The patient as confirmed from a wristband or manual entry, with the name as confirmed
    /// (from the band, or from the record when the band had none).
    pub fn new(
        band: &WristbandData,
        family_name: &str,
        given_name: &str,
        birth_date: Option<BirthDate>,
    ) -> Result<ConsentPatient, ConsentError> {
        let patient = ConsentPatient {
            nhs_number: band.nhs_number,
            local_id: band
                .local_id
                .as_ref()
                .map(|l| (l.issuer().to_owned(), l.value().to_owned())),
            family_name: family_name.trim().to_owned(),
            given_name: given_name.trim().to_owned(),
            birth_date: birth_date.or(band.date_of_birth),
        };
        patient.check()?;
        Ok(patient)
    }

    /// The patient from identifiers kept by the visit (an NHS number and/or a hospital number as
    /// (issuer, number)), with the name and date of birth as confirmed. Checked like [`Self::new`].
    pub fn from_identifiers(
        nhs_number: Option<NhsNumber>,
        local_id: Option<(String, String)>,
        family_name: &str,
        given_name: &str,
        birth_date: Option<BirthDate>,
    ) -> Result<ConsentPatient, ConsentError> {
        let patient = ConsentPatient {
            nhs_number,
            local_id,
            family_name: family_name.trim().to_owned(),
            given_name: given_name.trim().to_owned(),
            birth_date,
        };
        patient.check()?;
        Ok(patient)
    }

    /// The NHS number, if the patient was identified by one.
    pub fn nhs_number(&self) -> Option<NhsNumber> {
        self.nhs_number
    }

    /// The hospital number as (issuer, number), if any.
    pub fn local_id(&self) -> Option<(&str, &str)> {
        self.local_id
            .as_ref()
            .map(|(i, v)| (i.as_str(), v.as_str()))
    }

    /// The family name as confirmed.
    pub fn family_name(&self) -> &str {
        &self.family_name
    }

    /// The given name as confirmed.
    pub fn given_name(&self) -> &str {
        &self.given_name
    }

    /// The date of birth, if known.
    pub fn birth_date(&self) -> Option<BirthDate> {
        self.birth_date
    }

    fn check(&self) -> Result<(), ConsentError> {
        if self.nhs_number.is_none() && self.local_id.is_none() {
            return Err(ConsentError::NoPatientIdentifier);
        }
        // An NHS number identifies the patient on its own (a number typed twice while the record
        // is out of reach has no name to show); a hospital number alone needs the name beside it.
        if self.nhs_number.is_none() && (self.family_name.is_empty() || self.given_name.is_empty())
        {
            return Err(ConsentError::NoPatientName);
        }
        check_len(&self.family_name, "patient's name", MAX_NAME_CHARS)?;
        check_len(&self.given_name, "patient's name", MAX_NAME_CHARS)
    }
}

impl fmt::Debug for ConsentPatient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ConsentPatient(<redacted>)")
    }
}

/// The serialized form of [`ConsentPatient`]: identifiers as the strings record systems use.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct PatientWire {
    nhs_number: Option<String>,
    local_id_issuer: Option<String>,
    local_id: Option<String>,
    family_name: String,
    given_name: String,
    birth_date: Option<String>,
}

impl From<ConsentPatient> for PatientWire {
    fn from(p: ConsentPatient) -> Self {
        let (issuer, value) = p.local_id.unzip();
        PatientWire {
            nhs_number: p.nhs_number.map(|n| n.digits()),
            local_id_issuer: issuer,
            local_id: value,
            family_name: p.family_name,
            given_name: p.given_name,
            birth_date: p.birth_date.map(|d| d.iso()),
        }
    }
}

impl TryFrom<PatientWire> for ConsentPatient {
    type Error = ConsentError;

    fn try_from(w: PatientWire) -> Result<Self, Self::Error> {
        let bad = || ConsentError::NoPatientIdentifier;
        let patient = ConsentPatient {
            nhs_number: w
                .nhs_number
                .map(|n| NhsNumber::parse(&n))
                .transpose()
                .map_err(|_| bad())?,
            local_id: match (w.local_id_issuer, w.local_id) {
                (Some(i), Some(v)) => Some((i, v)),
                (None, None) => None,
                _ => return Err(bad()),
            },
            family_name: w.family_name,
            given_name: w.given_name,
            birth_date: w
                .birth_date
                .map(|d| BirthDate::parse_iso(&d).ok_or(ConsentError::Encoding))
                .transpose()?,
        };
        patient.check()?;
        Ok(patient)
    }
}

/// Who gave (or refused) consent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum ConsentedBy {
    /// The patient, with capacity.
    Patient,
    /// A parent, guardian or other representative (lasting power of attorney, deputy).
    Representative {
        /// Their name.
        name: String,
        /// Their relationship to the patient, in their words ("mother", "LPA for health").
        relationship: String,
    },
    /// The patient lacks capacity and nobody can consent for them: the clinician decided the
    /// photos are in the patient's best interests (Mental Capacity Act 2005, s.4).
    BestInterests {
        /// Why the patient lacks capacity and why photos are in their best interests.
        reason: String,
    },
}

/// How consent was given or refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Method {
    /// Signed on screen by whoever consented (the clinician, for a best-interests decision).
    Signature {
        /// The strokes as drawn.
        signature: Signature,
    },
    /// Given aloud, attested by the clinician before a witness.
    Verbal {
        /// The witness's name.
        witness: String,
    },
    /// The patient pressed Decline on the consent screen. Only for a refusal.
    Declined,
}

/// What was decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// Photos may be taken for the purposes listed.
    Permit,
    /// The patient declined; no photo may be taken. Recorded when the trust's policy asks.
    Refuse,
}

/// The clinician who took consent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Clinician {
    /// Their name as the app knows it.
    pub name: String,
    /// A professional identifier (GMC or NMC number, staff number), if known.
    pub identifier: Option<String>,
}

/// What the consent screen sends: the choices made on it. Everything else (who the patient is,
/// who the clinician is, the time, the text in force) comes from the app, not the screen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsentForm {
    /// Permit or refuse.
    pub decision: Decision,
    /// The purposes agreed to (or, for a refusal, discussed and declined; may be empty).
    pub purposes: Purposes,
    /// Who decided.
    pub consented_by: ConsentedBy,
    /// How.
    pub method: Method,
    /// The version of the consent text the screen showed.
    pub text_version: String,
}

/// What the app knows when a form arrives.
#[derive(Debug, Clone)]
pub struct RecordContext<'a> {
    /// The new record's id ([`ConsentId::random`]).
    pub id: ConsentId,
    /// The confirmed patient.
    pub patient: ConsentPatient,
    /// The clinician signed in.
    pub clinician: Clinician,
    /// The ODS code of the trust, if provisioned.
    pub organization: Option<String>,
    /// The consent text in force.
    pub text: &'a ConsentText,
    /// Now, by the wall clock.
    pub recorded_at: Timestamp,
}

/// A complete consent (or refusal) record, as sealed in the vault and sent to the record system.
///
/// Rules checked by [`ConsentRecord::build`]:
/// - a permit covers at least one purpose, and **care whenever any other purpose is chosen**:
///   every photo WardCam takes is sent to the patient's clinical record, so a photo cannot be
///   for teaching or publication without also being in the record;
/// - a permit is signed or verbal with a witness; `Declined` is only for a refusal;
/// - a representative has a name and relationship; a best-interests decision has a reason;
/// - a signature passes [`Signature::validate`];
/// - the form's text version is the version in force.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsentRecord {
    /// The record's id.
    pub id: ConsentId,
    /// The patient.
    pub patient: ConsentPatient,
    /// Permit or refuse.
    pub decision: Decision,
    /// The purposes agreed to or declined.
    pub purposes: Purposes,
    /// Who decided.
    pub consented_by: ConsentedBy,
    /// How.
    pub method: Method,
    /// The clinician who took consent.
    pub clinician: Clinician,
    /// The trust's ODS code, if known.
    pub organization: Option<String>,
    /// When, by the wall clock.
    pub recorded_at: Timestamp,
    /// The consent text version shown.
    pub text_version: String,
    /// SHA-256 (hex) of that text ([`ConsentText::sha256`]).
    pub text_sha256: String,
}

impl ConsentRecord {
    /// Checks the form against the rules above and builds the record.
    pub fn build(form: ConsentForm, ctx: RecordContext<'_>) -> Result<ConsentRecord, ConsentError> {
        if form.text_version != ctx.text.version {
            return Err(ConsentError::TextVersionMismatch {
                shown: form.text_version.chars().take(MAX_NAME_CHARS).collect(),
                current: ctx.text.version.clone(),
            });
        }
        let clinician = Clinician {
            name: ctx.clinician.name.trim().to_owned(),
            identifier: ctx
                .clinician
                .identifier
                .map(|i| i.trim().to_owned())
                .filter(|i| !i.is_empty()),
        };
        let record = ConsentRecord {
            id: ctx.id,
            patient: ctx.patient,
            decision: form.decision,
            purposes: form.purposes,
            consented_by: trim_by(form.consented_by),
            method: match form.method {
                Method::Verbal { witness } => Method::Verbal {
                    witness: witness.trim().to_owned(),
                },
                other => other,
            },
            clinician,
            organization: ctx.organization,
            recorded_at: ctx.recorded_at,
            text_version: ctx.text.version.clone(),
            text_sha256: ctx.text.sha256()?,
        };
        record.validate()?;
        Ok(record)
    }

    /// Checks the rules listed on the type (all but the text version, which needs the text).
    pub fn validate(&self) -> Result<(), ConsentError> {
        self.patient.check()?;
        if self.decision == Decision::Permit {
            if self.purposes.is_empty() {
                return Err(ConsentError::NoPurpose);
            }
            if !self.purposes.contains(Purpose::Care) {
                return Err(ConsentError::CareRequired);
            }
        }
        match &self.consented_by {
            ConsentedBy::Patient => {}
            ConsentedBy::Representative { name, relationship } => {
                if name.trim().is_empty() {
                    return Err(ConsentError::RepresentativeNameMissing);
                }
                if relationship.trim().is_empty() {
                    return Err(ConsentError::RepresentativeRelationshipMissing);
                }
                check_len(name, "representative's name", MAX_NAME_CHARS)?;
                check_len(relationship, "relationship", MAX_NAME_CHARS)?;
            }
            ConsentedBy::BestInterests { reason } => {
                if reason.trim().is_empty() {
                    return Err(ConsentError::BestInterestsReasonMissing);
                }
                check_len(reason, "best-interests reason", MAX_REASON_CHARS)?;
            }
        }
        match (&self.method, self.decision) {
            (Method::Signature { signature }, _) => signature.validate()?,
            (Method::Verbal { witness }, _) => {
                if witness.trim().is_empty() {
                    return Err(ConsentError::WitnessMissing);
                }
                check_len(witness, "witness's name", MAX_NAME_CHARS)?;
            }
            (Method::Declined, Decision::Refuse) => {}
            (Method::Declined, Decision::Permit) => return Err(ConsentError::MethodMismatch),
        }
        if self.clinician.name.trim().is_empty() {
            return Err(ConsentError::ClinicianMissing);
        }
        check_len(&self.clinician.name, "clinician's name", MAX_NAME_CHARS)?;
        if let Some(id) = &self.clinician.identifier {
            check_len(id, "clinician's identifier", MAX_NAME_CHARS)?;
        }
        Ok(())
    }

    /// The record's canonical JSON (sorted keys, no whitespace): what [`ConsentRecord::sha256`]
    /// hashes and what the vault seals.
    pub fn canonical_bytes(&self) -> Result<Vec<u8>, ConsentError> {
        let value = serde_json::to_value(self).map_err(|_| ConsentError::Encoding)?;
        Ok(canonical_json(&value))
    }

    /// SHA-256 of [`ConsentRecord::canonical_bytes`]: changes if any field changes.
    pub fn sha256(&self) -> Result<ConsentDigest, ConsentError> {
        let bytes = self.canonical_bytes()?;
        let d = ring::digest::digest(&ring::digest::SHA256, &bytes);
        let mut out = [0u8; 32];
        out.copy_from_slice(d.as_ref());
        Ok(ConsentDigest(out))
    }

    /// The session's view of this consent, once the app has sealed the record as vault item
    /// `id` for the session's patient `patient`. A refusal gives [`ConsentError::Refused`]: the
    /// app applies [`Event::DeclineConsent`](crate::session::Event::DeclineConsent) instead.
    pub fn session_consent(
        &self,
        id: ConsentRef,
        patient: PatientRef,
    ) -> Result<Consent, ConsentError> {
        if self.decision == Decision::Refuse {
            return Err(ConsentError::Refused);
        }
        Ok(Consent {
            id,
            patient,
            purposes: self.purposes,
            digest: self.sha256()?,
        })
    }

    /// What the DICOM writer needs to reference this consent.
    pub fn reference(&self) -> Result<ConsentReference, ConsentError> {
        let at = super::time::utc(self.recorded_at);
        Ok(ConsentReference {
            consent_id: self.id.to_string(),
            digest: self.sha256()?,
            date: at.dicom_date(),
            time: at.dicom_time(),
            purposes: self.purposes,
        })
    }

    /// The PNG of the signature, if the record has one (rendered from the strokes).
    pub fn signature_png(&self) -> Result<Option<Vec<u8>>, ConsentError> {
        match &self.method {
            Method::Signature { signature } => signature.render_png().map(Some),
            _ => Ok(None),
        }
    }
}

/// The consent as the DICOM writer references it (e.g. in a private block or the
/// Referenced Document Sequence of each image).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsentReference {
    /// The record's UUID, as in the FHIR `Consent.identifier`.
    pub consent_id: String,
    /// The record's digest.
    pub digest: ConsentDigest,
    /// The date recorded, DICOM DA (`YYYYMMDD`, UTC).
    pub date: String,
    /// The time recorded, DICOM TM (`HHMMSS`, UTC).
    pub time: String,
    /// The purposes covered.
    pub purposes: Purposes,
}

fn trim_by(by: ConsentedBy) -> ConsentedBy {
    match by {
        ConsentedBy::Representative { name, relationship } => ConsentedBy::Representative {
            name: name.trim().to_owned(),
            relationship: relationship.trim().to_owned(),
        },
        ConsentedBy::BestInterests { reason } => ConsentedBy::BestInterests {
            reason: reason.trim().to_owned(),
        },
        ConsentedBy::Patient => ConsentedBy::Patient,
    }
}

fn check_len(value: &str, field: &'static str, max: usize) -> Result<(), ConsentError> {
    if value.chars().count() > max {
        return Err(ConsentError::FieldTooLong { field, max });
    }
    Ok(())
}
