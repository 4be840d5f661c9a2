//! A consent withdrawn after some of its photos reached the record. The photos on the servers are
//! not WardCam's to delete: a sealed withdrawal receipt names them (PACS SOP Instance UIDs, FHIR
//! DocumentReferences, the consent's own PDF copy) so the clinician can give the record team the
//! references, and, where the consent was filed in the FHIR record, the courier makes that
//! `Consent` inactive there and records when the record said so.
//!
//! A withdrawal is recorded from the Outbox's Sent list (any delivered photo of the consent), or by
//! the usual withdrawal of a visit some of whose photos were already delivered. Either way the
//! receipt is sealed before anything else changes, and recorded once per consent.

use serde::Serialize;

use super::error::VisitError;
use super::ids::{PhotoId, VisitId};
use super::manifest::{
    ConsentLink, FiledRecord, Problem, ReceiptRecord, RecordUpdate, SentRecord, VisitRecord,
};
use super::recover::Stored;
use super::Ward;
use crate::consent::ConsentId;
use crate::session::SessionError;
use crate::vault::Timestamp;
use crate::Error;

/// A withdrawal after delivery, as the Outbox shows it: no patient identifier, only what the
/// record team needs to find the copies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WithdrawnView {
    /// The consent withdrawn.
    pub consent_id: String,
    /// When.
    pub withdrawn_at: Timestamp,
    /// Photos that reached the record before it.
    pub photos: usize,
    /// Where they are, for the record team: `PACS <server>: SOP Instance UID <uid>`, `Record
    /// <server>: DocumentReference/<id>`, and the consent form's own copy.
    pub references: Vec<String>,
    /// The record's Consent: `pending`, `done`, `held` (a person must act) or `none` (it never
    /// went to a FHIR record).
    pub record_consent: &'static str,
    /// Why the last attempt to mark it inactive failed, if it did.
    pub problem: Option<Problem>,
    /// What the clinician should do now, in words.
    pub advice: String,
}

/// The withdrawal receipt of `consent_id` of `visit_id`: what reached the record, and the record's
/// Consent to make inactive when it was filed there.
pub(super) fn withdrawn(
    visit_id: VisitId,
    consent_id: ConsentId,
    delivered: Vec<SentRecord>,
    filed: Vec<FiledRecord>,
    consent_copy: Option<SentRecord>,
    clinician: Option<String>,
    now: Timestamp,
) -> ReceiptRecord {
    let record_update = filed
        .iter()
        .find(|f| f.consent.is_some())
        .or(filed.first())
        .map(|f| RecordUpdate {
            server: f.server.clone(),
            attempts: 0,
            next_attempt_at: None,
            problem: None,
            held: false,
            done: None,
            done_at: None,
        });
    ReceiptRecord::Withdrawn {
        visit_id,
        consent_id,
        withdrawn_at: now,
        clinician,
        delivered,
        filed,
        consent_copy,
        record_update,
    }
}

/// The withdrawal receipt for `link` of a visit not yet retired: its delivered photos from their
/// deletion receipts, its consent copy from the visit record.
pub(super) fn withdrawn_receipt(
    visit: &VisitRecord,
    link: &ConsentLink,
    receipts: &[Stored<ReceiptRecord>],
    _stub: Option<&ReceiptRecord>,
    clinician: Option<String>,
    now: Timestamp,
) -> ReceiptRecord {
    let mut delivered = Vec::new();
    let mut filed = Vec::new();
    for r in receipts {
        if let ReceiptRecord::Deletion {
            visit_id,
            consent_id,
            sent,
            filed: f,
            ..
        } = &r.record
        {
            if *visit_id == visit.visit_id && *consent_id == link.consent_id {
                delivered.extend(sent.clone());
                filed.extend(f.clone());
            }
        }
    }
    let copy = visit
        .consent_copy
        .as_ref()
        .filter(|c| c.consent_id == link.consent_id && c.verified_at.is_some())
        .and_then(|c| c.sent.clone());
    withdrawn(
        visit.visit_id,
        link.consent_id,
        delivered,
        filed,
        copy,
        clinician,
        now,
    )
}

fn view_of(r: &ReceiptRecord) -> Option<WithdrawnView> {
    let ReceiptRecord::Withdrawn {
        consent_id,
        withdrawn_at,
        delivered,
        filed,
        consent_copy,
        record_update,
        ..
    } = r
    else {
        return None;
    };
    let mut references: Vec<String> = delivered
        .iter()
        .map(|s| format!("PACS {}: SOP Instance UID {}", s.server, s.sop_uid))
        .collect();
    references.extend(filed.iter().map(|f| {
        format!(
            "Record {}: {}",
            f.server,
            f.document_reference.clone().unwrap_or_else(|| format!(
                "DocumentReference with identifier {}",
                f.document_identifier
            ))
        )
    }));
    if let Some(c) = consent_copy {
        references.push(format!(
            "PACS {}: consent form, SOP Instance UID {}",
            c.server, c.sop_uid
        ));
    }
    let photos = delivered.len().max(filed.len());
    let (record_consent, problem) = match record_update {
        None => ("none", None),
        Some(u) if u.done.is_some() => ("done", None),
        Some(u) if u.held => ("held", u.problem.clone()),
        Some(u) => ("pending", u.problem.clone()),
    };
    let consent_words = match record_consent {
        "done" => " The hospital record now shows the consent as withdrawn.",
        "pending" => " WardCam will mark the consent as withdrawn in the hospital record.",
        "held" => " WardCam could not mark the consent as withdrawn in the hospital record: give the record team the consent's references too.",
        _ => "",
    };
    let advice = format!(
        "{photos} photo{} had already reached the hospital's record. WardCam cannot delete them there: ask the record team to remove them, with the references below.{consent_words}",
        if photos == 1 { "" } else { "s" }
    );
    Some(WithdrawnView {
        consent_id: consent_id.to_string(),
        withdrawn_at: *withdrawn_at,
        photos,
        references,
        record_consent,
        problem,
        advice,
    })
}

impl Ward {
    /// Withdraws the consent a delivered photo (from the Outbox's Sent list) was taken under. If
    /// the visit is still here (some photos wait), this is the usual withdrawal: its photos not yet
    /// delivered are shredded. Either way a withdrawal receipt names what reached the record.
    /// Recorded once: asking again gives the same answer. Refused while the patient holds the
    /// phone.
    pub fn withdraw_delivered(&self, photo: PhotoId) -> Result<WithdrawnView, Error> {
        let (visit_id, consent_id) = {
            let inner = self.lock()?;
            inner.clinician_holds()?;
            inner
                .receipts
                .iter()
                .find_map(|r| match &r.record {
                    ReceiptRecord::Deletion {
                        photo_id,
                        visit_id,
                        consent_id,
                        ..
                    } if *photo_id == photo => Some((*visit_id, *consent_id)),
                    _ => None,
                })
                .ok_or(VisitError::UnknownPhoto)?
        };
        if let Some(done) = self.withdrawn_view(consent_id)? {
            return Ok(done);
        }
        let in_force = self.lock()?.visits.get(&visit_id).is_some_and(|v| {
            v.record
                .consent
                .as_ref()
                .is_some_and(|l| l.consent_id == consent_id)
        });
        if in_force {
            self.withdraw_visit(Some(visit_id))?;
        } else {
            let clinician = self.pins()?.clinician();
            let mut inner = self.lock()?;
            let vault = inner.vault()?;
            let now = self.clock.wall();
            let receipt = inner
                .receipts
                .iter()
                .find_map(|r| match &r.record {
                    ReceiptRecord::Consent {
                        visit_id: v,
                        consent_id: c,
                        delivered,
                        filed,
                        consent_copy,
                        ..
                    } if *v == visit_id && *c == consent_id => Some(withdrawn(
                        visit_id,
                        consent_id,
                        delivered.clone(),
                        filed.clone(),
                        consent_copy.clone(),
                        clinician.clone(),
                        now,
                    )),
                    _ => None,
                })
                .ok_or(SessionError::NoConsentToWithdraw)?;
            inner.seal_receipt(&vault, receipt, &[], now)?;
            // Every photo already left the phone: nothing more to shred here.
            inner.audit(crate::audit::Event::ConsentWithdrawn {
                visit: visit_id.to_string(),
                photos: 0,
            });
        }
        self.withdrawn_view(consent_id)?
            .ok_or_else(|| SessionError::NoConsentToWithdraw.into())
    }

    fn withdrawn_view(&self, consent: ConsentId) -> Result<Option<WithdrawnView>, Error> {
        let inner = self.lock()?;
        Ok(inner
            .receipts
            .iter()
            .filter(|r| {
                matches!(&r.record, ReceiptRecord::Withdrawn { consent_id, .. } if *consent_id == consent)
            })
            .find_map(|r| view_of(&r.record)))
    }

    /// Every withdrawal after delivery, newest first (none while locked or while the patient
    /// holds the phone).
    pub fn withdrawals_after_delivery(&self) -> Result<Vec<WithdrawnView>, Error> {
        let inner = self.lock()?;
        if inner.clinician_holds().is_err() {
            return Ok(Vec::new());
        }
        let mut all: Vec<WithdrawnView> = inner
            .receipts
            .iter()
            .filter_map(|r| view_of(&r.record))
            .collect();
        all.sort_by_key(|v| std::cmp::Reverse(v.withdrawn_at));
        Ok(all)
    }

    /// Consents whose record copy at `server` is to be made inactive now.
    pub fn record_withdrawals_due(
        &self,
        now: Timestamp,
        server: &str,
    ) -> Result<Vec<ConsentId>, Error> {
        let inner = self.lock()?;
        Ok(inner
            .receipts
            .iter()
            .filter_map(|r| match &r.record {
                ReceiptRecord::Withdrawn {
                    consent_id,
                    record_update: Some(u),
                    ..
                } if u.server == server
                    && u.done.is_none()
                    && !u.held
                    && u.next_attempt_at.is_none_or(|at| at <= now) =>
                {
                    Some(*consent_id)
                }
                _ => None,
            })
            .collect())
    }

    /// Seals `change` into the record update of `consent`'s withdrawal receipt.
    fn update_record_withdrawal(
        &self,
        consent: ConsentId,
        change: impl FnOnce(&mut RecordUpdate, Timestamp),
    ) -> Result<(), Error> {
        let mut inner = self.lock()?;
        let vault = inner.vault()?;
        let Some(index) = inner.receipts.iter().position(|r| {
            matches!(&r.record, ReceiptRecord::Withdrawn { consent_id, record_update: Some(_), .. } if *consent_id == consent)
        }) else {
            return Ok(());
        };
        let mut receipt = inner.receipts[index].record.clone();
        let now = self.clock.wall();
        if let ReceiptRecord::Withdrawn {
            record_update: Some(u),
            ..
        } = &mut receipt
        {
            change(u, now);
        }
        inner.replace_receipt(&vault, index, receipt, now)
    }

    /// The record now says `consent` is inactive, at `location`.
    pub fn record_withdrawal_done(
        &self,
        consent: ConsentId,
        location: String,
    ) -> Result<(), Error> {
        self.update_record_withdrawal(consent, |u, now| {
            u.done = Some(location);
            u.done_at = Some(now);
            u.problem = None;
            u.next_attempt_at = None;
        })
    }

    /// Marking `consent` inactive failed: tried again at `retry_at`, or, with `None`, held until
    /// a person acts.
    pub fn record_withdrawal_failed(
        &self,
        consent: ConsentId,
        problem: Problem,
        retry_at: Option<Timestamp>,
    ) -> Result<(), Error> {
        self.update_record_withdrawal(consent, |u, _| {
            u.attempts = u.attempts.saturating_add(1);
            u.problem = Some(problem);
            u.next_attempt_at = retry_at;
            u.held = retry_at.is_none();
        })
    }
}
