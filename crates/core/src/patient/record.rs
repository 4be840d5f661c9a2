//! Comparing a wristband with the patient record: pure functions over a FHIR R4 `Patient` search
//! result (a `Bundle` of type `searchset`, as returned by
//! `GET Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|NNNNNNNNNN`, IHE PDQm).
//!
//! Only `Patient` entries that carry the searched NHS number under [`NHS_NUMBER_SYSTEM`] count: a
//! server that answers loosely cannot make a different patient look like a match. Entries included
//! for other reasons (`search.mode` `include` or `outcome`) are skipped.
//!
//! Names are compared on their letters only, ignoring case, spaces, hyphens and apostrophes
//! (`O'Brien` = `OBRIEN`, `Smith-Jones` = `SMITH JONES`); accented letters must match exactly, so
//! `Zoë` on the record and `ZOE` on a band is a mismatch for a person to resolve. Names whose `use`
//! is `old` or `maiden` are not current and never match. The band's given name matches any one of
//! the record's given names, or all of them run together. A record date of birth that is missing
//! or partial (`1980`) cannot confirm the band's and counts as a mismatch.
//!
//! This module does not decide whether an inactive or merged record (`active: false`, `link`) is
//! acceptable: it compares what it is given.

use std::fmt;

use serde_json::Value;

use super::{BirthDate, NhsNumber, PatientError, WristbandData};

/// The FHIR identifier system of the NHS number.
pub const NHS_NUMBER_SYSTEM: &str = "https://fhir.nhs.uk/Id/nhs-number";

/// A set of patient details: which ones were compared, or which ones differ.
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct RecordFields {
    /// The family name.
    pub family_name: bool,
    /// The given name.
    pub given_name: bool,
    /// The date of birth.
    pub birth_date: bool,
}

impl RecordFields {
    /// True when no detail is in the set.
    pub fn is_empty(&self) -> bool {
        !(self.family_name || self.given_name || self.birth_date)
    }
}

impl fmt::Display for RecordFields {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names = [
            (self.family_name, "family name"),
            (self.given_name, "given name"),
            (self.birth_date, "date of birth"),
        ];
        let mut first = true;
        for (_, name) in names.iter().filter(|(set, _)| *set) {
            if !first {
                f.write_str(", ")?;
            }
            f.write_str(name)?;
            first = false;
        }
        if first {
            f.write_str("no details")?;
        }
        Ok(())
    }
}

impl fmt::Debug for RecordFields {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RecordFields({self})")
    }
}

/// The patient as the record has them, for the confirmation screen. `Debug` hides the details.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RecordPatient {
    /// The record's logical id (`Patient/<id>`), if it had one.
    pub id: Option<String>,
    /// The current family name shown (official, else usual, else the first current name).
    pub family_name: Option<String>,
    /// The given names of that name, in order.
    pub given_names: Vec<String>,
    /// The date of birth, if the record has a full one.
    pub birth_date: Option<BirthDate>,
}

impl fmt::Debug for RecordPatient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RecordPatient")
            .field("id", &self.id.as_ref().map(|_| "<redacted>"))
            .field(
                "family_name",
                &self.family_name.as_ref().map(|_| "<redacted>"),
            )
            .field("given_names", &self.given_names.len())
            .field("birth_date", &self.birth_date)
            .finish()
    }
}

/// What the record says about the band.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RecordCheck {
    /// One record carries the NHS number and every detail the band has agrees with it.
    /// `compared` says which details the band had; when it is empty (a typed NHS number) the
    /// clinician must compare the record's details with the patient.
    Match {
        /// The record, to show.
        record: RecordPatient,
        /// The details that were compared.
        compared: RecordFields,
    },
    /// One record carries the NHS number and some details differ: **the session must not go on**.
    Mismatch {
        /// The record, to show.
        record: RecordPatient,
        /// The details that differ.
        fields: RecordFields,
    },
    /// No record carries the NHS number.
    NotFound,
    /// Several records carry the NHS number: **the session must not go on**.
    Ambiguous {
        /// How many.
        count: usize,
    },
}

impl RecordCheck {
    /// True for every outcome but a match: a mismatch or several records stop the session, and a
    /// missing record stops it unless the clinician records an override.
    pub fn blocks_session(&self) -> bool {
        !matches!(self, RecordCheck::Match { .. })
    }

    /// The outcome as an error to show, or `None` for a match. [`PatientError::RecordNotFound`]
    /// blocks unless the clinician records an override; the other two block.
    pub fn to_error(&self) -> Option<PatientError> {
        match self {
            RecordCheck::Match { .. } => None,
            RecordCheck::Mismatch { fields, .. } => {
                Some(PatientError::RecordMismatch { fields: *fields })
            }
            RecordCheck::NotFound => Some(PatientError::RecordNotFound),
            RecordCheck::Ambiguous { .. } => Some(PatientError::RecordAmbiguous),
        }
    }
}

/// Compares `band` with a FHIR `Patient` search `bundle` for its NHS number.
///
/// Errors: [`PatientError::LookupNeedsNhsNumber`] when the band has no NHS number,
/// [`PatientError::RecordMalformed`] when `bundle` is not a FHIR `Bundle` (an `OperationOutcome`,
/// say) or an entry is not an object.
pub fn check_record(bundle: &Value, band: &WristbandData) -> Result<RecordCheck, PatientError> {
    let nhs = band
        .nhs_number
        .as_ref()
        .ok_or(PatientError::LookupNeedsNhsNumber)?;
    let candidates = matching_patients(bundle, nhs)?;
    let patient = match candidates.as_slice() {
        [] => return Ok(RecordCheck::NotFound),
        [one] => *one,
        many => return Ok(RecordCheck::Ambiguous { count: many.len() }),
    };
    let names = current_names(patient);
    let birth_date = patient
        .get("birthDate")
        .and_then(Value::as_str)
        .and_then(BirthDate::parse_iso);

    let mut compared = RecordFields::default();
    let mut differ = RecordFields::default();
    let family = band.family_name.as_deref().map(letters);
    let given = band.given_name.as_deref().map(letters);
    if family.is_some() {
        compared.family_name = true;
    }
    if given.is_some() {
        compared.given_name = true;
    }
    let family_ok = |n: &Name| family.as_ref().is_none_or(|f| *f == letters(&n.family));
    let given_ok = |n: &Name| given.as_ref().is_none_or(|g| given_matches(g, &n.given));
    if !names.iter().any(|n| family_ok(n) && given_ok(n)) {
        // Say which part fails to find a partner in any current name; if each matches a
        // different name, both are wrong together.
        let f = names.iter().any(&family_ok);
        let g = names.iter().any(&given_ok);
        differ.family_name = family.is_some() && (!f || g);
        differ.given_name = given.is_some() && (!g || f);
    }
    if let Some(dob) = band.date_of_birth {
        compared.birth_date = true;
        differ.birth_date = birth_date != Some(dob);
    }

    let shown = names
        .iter()
        .find(|n| n.use_ == "official")
        .or_else(|| names.iter().find(|n| n.use_ == "usual"))
        .or_else(|| names.first());
    let record = RecordPatient {
        id: patient.get("id").and_then(Value::as_str).map(str::to_owned),
        family_name: shown.map(|n| n.family.clone()).filter(|f| !f.is_empty()),
        given_names: shown.map(|n| n.given.clone()).unwrap_or_default(),
        birth_date,
    };
    Ok(if differ.is_empty() {
        RecordCheck::Match { record, compared }
    } else {
        RecordCheck::Mismatch {
            record,
            fields: differ,
        }
    })
}

/// The `Patient` resources in `bundle` carrying `nhs` under the NHS number system.
fn matching_patients<'a>(
    bundle: &'a Value,
    nhs: &NhsNumber,
) -> Result<Vec<&'a Value>, PatientError> {
    if bundle.get("resourceType").and_then(Value::as_str) != Some("Bundle") {
        return Err(PatientError::RecordMalformed);
    }
    let entries = match bundle.get("entry") {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(a)) => a,
        Some(_) => return Err(PatientError::RecordMalformed),
    };
    let digits = nhs.digits();
    let mut out = Vec::new();
    for entry in entries {
        if !entry.is_object() {
            return Err(PatientError::RecordMalformed);
        }
        let mode = entry.pointer("/search/mode").and_then(Value::as_str);
        if matches!(mode, Some("include") | Some("outcome")) {
            continue;
        }
        let Some(resource) = entry.get("resource") else {
            continue;
        };
        if resource.get("resourceType").and_then(Value::as_str) != Some("Patient") {
            continue;
        }
        let carries = resource
            .get("identifier")
            .and_then(Value::as_array)
            .is_some_and(|ids| {
                ids.iter().any(|id| {
                    id.get("system").and_then(Value::as_str) == Some(NHS_NUMBER_SYSTEM)
                        && id
                            .get("value")
                            .and_then(Value::as_str)
                            .is_some_and(|v| v.replace([' ', '-'], "") == digits)
                })
            });
        if carries {
            out.push(resource);
        }
    }
    Ok(out)
}

/// A current HumanName, reduced to what is compared.
struct Name {
    use_: String,
    family: String,
    given: Vec<String>,
}

fn current_names(patient: &Value) -> Vec<Name> {
    let Some(names) = patient.get("name").and_then(Value::as_array) else {
        return Vec::new();
    };
    names
        .iter()
        .filter_map(|n| {
            let use_ = n.get("use").and_then(Value::as_str).unwrap_or("");
            if matches!(use_, "old" | "maiden") {
                return None;
            }
            let family = n.get("family").and_then(Value::as_str).unwrap_or("");
            let given = n
                .get("given")
                .and_then(Value::as_array)
                .map(|g| {
                    g.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default();
            Some(Name {
                use_: use_.to_owned(),
                family: family.to_owned(),
                given,
            })
        })
        .collect()
}

/// A name reduced to its letters, upper-cased.
fn letters(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_alphabetic())
        .flat_map(char::to_uppercase)
        .collect()
}

fn given_matches(band: &str, record: &[String]) -> bool {
    if band.is_empty() {
        return false;
    }
    record.iter().any(|g| letters(g) == band)
        || record.iter().map(|g| letters(g)).collect::<String>() == band
}
