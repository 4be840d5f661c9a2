//! The ward flow's short path, decided here so the screens only follow: a photo is labelled and
//! sent in one step, straight from the camera, and the body sites the clinician is most likely to
//! pick next are offered one tap away.
//!
//! Nothing a rule requires is skipped. Sending labels the photo through [`Ward::label`] (the same
//! checks as the Review screen) and queues through [`Ward::queue`] (which refuses any unlabelled
//! photo again). If another photo of the visit still lacks its label, nothing is queued: the
//! session moves to Review, where every photo waiting is shown.

use serde::Serialize;

use super::ids::PhotoId;
use super::ids::VisitId;
use super::manifest::{LabelRecord, LocalState, VisitRecord};
use super::ward::{Inner, Ward};
use super::VisitError;
use crate::review::{find, BodySite, Label, Laterality, COMMON_SITES};
use crate::session::SessionView;
use crate::vault::{Timestamp, Vault};
use crate::Error;

/// How many sites [`Ward::label_suggestions`] offers: one row of chips on a phone.
pub const MAX_SUGGESTED_SITES: usize = 8;

/// A body site and side offered as one tap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct SiteAndSide {
    /// The site.
    pub site: BodySite,
    /// Its side ([`Laterality::NotApplicable`] for a midline site).
    pub laterality: Laterality,
}

/// What the label under the camera's preview offers before anything is typed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LabelSuggestions {
    /// The site and side of this visit's last labelled photo: "Take another" of the same wound.
    pub same: Option<SiteAndSide>,
    /// Sites used lately on this phone, newest first, then the common ones; no site twice, at most
    /// [`MAX_SUGGESTED_SITES`].
    pub sites: Vec<BodySite>,
}

/// The recent sites (codes, newest first; unknown or repeated ones skipped) followed by the common
/// ones, at most [`MAX_SUGGESTED_SITES`] in all.
pub fn suggested_sites<'a>(recent: impl IntoIterator<Item = &'a str>) -> Vec<BodySite> {
    let mut out: Vec<BodySite> = Vec::with_capacity(MAX_SUGGESTED_SITES);
    for code in recent.into_iter().chain(COMMON_SITES.iter().copied()) {
        if out.len() == MAX_SUGGESTED_SITES {
            break;
        }
        if let Some(site) = find(code) {
            if !out.iter().any(|s| s.code == site.code) {
                out.push(*site);
            }
        }
    }
    out
}

impl Inner {
    /// Keeps `label` as the last one given in `visit` ([`VisitRecord::last_label`]), sealed with
    /// the visit, so "the same wound again" outlives the photo's delivery and a restart.
    pub(super) fn remember_label(
        &mut self,
        vault: &Vault,
        visit: VisitId,
        label: &Label,
        now: Timestamp,
    ) -> Result<(), Error> {
        let kept = LabelRecord::from(label);
        let Some(stored) = self.visits.get(&visit) else {
            return Ok(());
        };
        if stored.record.last_label.as_ref() == Some(&kept) {
            return Ok(());
        }
        let mut record: VisitRecord = stored.record.clone();
        record.last_label = Some(kept);
        self.save_visit(vault, record, now)
    }
}

impl Ward {
    /// Labels `photo` and sends it: when no photo of the open visit is left without a label, every
    /// photo waiting is queued for the record (each was labelled, so reviewed, one by one); if
    /// another still needs its label, the session moves to Review instead and nothing is queued.
    /// Refused for a photo of another visit, and wherever [`Ward::label`] or [`Ward::queue`]
    /// refuse (locked, with the patient, unknown site, side missing).
    pub fn send(&self, photo: PhotoId, label: Label) -> Result<SessionView, Error> {
        {
            let inner = self.lock()?;
            let (visit, _) = inner.open_visit()?;
            let of_this_visit = inner
                .photos
                .get(&photo)
                .is_some_and(|s| s.record.visit_id == visit);
            if !of_this_visit {
                return Err(VisitError::UnknownPhoto.into());
            }
        }
        self.label(photo, label)?;
        let all_labelled = {
            let inner = self.lock()?;
            let (visit, _) = inner.open_visit()?;
            let all = inner
                .photos_of(visit)
                .filter(|m| m.state == LocalState::Captured)
                .all(|m| m.label.is_some());
            all
        };
        let reviewing = self.review()?;
        if all_labelled {
            self.queue()
        } else {
            Ok(reviewing)
        }
    }

    /// The sites to offer under the preview ([`LabelSuggestions`]). Refused while locked or with
    /// the patient, as every label is.
    pub fn label_suggestions(&self) -> Result<LabelSuggestions, Error> {
        let inner = self.lock()?;
        inner.vault()?;
        inner.clinician_holds()?;
        let same = inner
            .open_visit()
            .ok()
            .and_then(|(_, visit)| visit.last_label.as_ref())
            .and_then(LabelRecord::label)
            .map(|l| SiteAndSide {
                site: l.site,
                laterality: l.laterality,
            });
        let mut labelled: Vec<_> = inner
            .photos
            .values()
            .filter_map(|s| s.record.label.as_ref().map(|l| (s.record.captured_at, l)))
            .collect();
        labelled.sort_by_key(|l| std::cmp::Reverse(l.0));
        // This visit's last site leads even once its photos have gone to the record.
        let recent = same
            .iter()
            .map(|s| s.site.code)
            .chain(labelled.iter().map(|(_, l)| l.body_site.as_str()));
        let sites = suggested_sites(recent);
        Ok(LabelSuggestions { same, sites })
    }
}
