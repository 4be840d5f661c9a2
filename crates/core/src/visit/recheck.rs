//! Checking not-verified visits against the record again: when the network returns, and always
//! before any of their photos is delivered. This is what stops a reset connection at confirmation
//! from turning a record mismatch into a delivered photo.

use super::identity::RecheckOutcome;
use super::ids::VisitId;
use super::ward::Ward;
use crate::patient::{verify_against_record, PatientLookup, Verification};
use crate::Error;

/// Checks every visit that is due again with `lookup` and applies each answer. With no record
/// endpoint (`None`) nothing is checked and every such visit stays due, so its photos wait. A
/// visit that went while the record was asked is left out of the answer.
pub async fn recheck_due_visits<L: PatientLookup + ?Sized>(
    ward: &Ward,
    lookup: Option<&L>,
) -> Result<Vec<(VisitId, RecheckOutcome)>, Error> {
    let Some(lookup) = lookup else {
        return Ok(Vec::new());
    };
    let mut done = Vec::new();
    for (visit, band) in ward.rechecks_due()? {
        let verification = Verification::from_outcome(verify_against_record(lookup, &band).await);
        if let Some(outcome) = ward.apply_recheck(visit, &verification)? {
            done.push((visit, outcome));
        }
    }
    Ok(done)
}
