//! The courier with two routes, against both real servers: Orthanc (DICOMweb, `orthanc_tests`) and
//! the FHIR test server (`fhir::server_tests`). A photo is shredded only once every configured
//! route has read it back; a route read back is sealed as verified and never sent again; a route
//! whose server is down is passed over for the other; a record-only trust files and shreds.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::{Arc, Mutex};

use serde_json::Value;
use zeroize::Zeroizing;

use super::fhir::server_tests::{self as fhir_server, gate};
use super::fhir::{document_identifier, URN_SYSTEM};
use super::orthanc_tests::{self as orthanc, block_on, queued, shared, Queued};
use super::{Courier, DrainReport, OutboxEvent};
use crate::endpoint::{Endpoint, Method, Request};
use crate::visit::{
    Ack, DeliveryJob, Destinations, LocalState, PhotoId, ReceiptRecord, Route, Verified,
};

fn drain(q: &Queued, courier: &Courier) -> (DrainReport, Vec<OutboxEvent>) {
    let events = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&events);
    let report = block_on(courier.drain(
        &q.ward,
        None::<&crate::patient::FhirPatientLookup>,
        true,
        &move |e| sink.lock().unwrap().push(e),
    ))
    .unwrap();
    let events = events.lock().unwrap().clone();
    (report, events)
}

fn both(pacs_mode: &str, record_mode: &str) -> Option<Courier> {
    let o = orthanc::server()?;
    let f = fhir_server::server()?;
    Some(Courier::with_routes(
        Some(o.pacs(pacs_mode)),
        Some(f.record(record_mode)),
    ))
}

/// The deletion receipts of `p`.
fn receipts_of(q: &Queued, p: PhotoId) -> Vec<ReceiptRecord> {
    q.ward
        .receipts()
        .unwrap()
        .into_iter()
        .filter(|r| matches!(r, ReceiptRecord::Deletion { photo_id, .. } if *photo_id == p))
        .collect()
}

/// How many DocumentReferences the record holds for `p`.
fn documents(p: PhotoId) -> u64 {
    fhir_server::server()
        .unwrap()
        .with_identifier("DocumentReference", &document_identifier(p))
}

#[test]
fn both_routes_file_every_photo_and_shred_it_once_both_read_it_back() {
    let Some(courier) = both("good", "good") else {
        return;
    };
    let o = orthanc::server().unwrap();
    let q = queued(2, 9_100);
    let (report, events) = {
        let _o = shared();
        let _f = gate();
        drain(&q, &courier)
    };
    assert_eq!(report.delivered, 2, "{report:?}");
    for &p in &q.photos {
        assert!(q.ward.manifest(p).unwrap().is_none(), "{p} not shredded");
        assert!(events.contains(&OutboxEvent::Sent { photo: p }));
        let receipts = receipts_of(&q, p);
        assert_eq!(receipts.len(), 1);
        let ReceiptRecord::Deletion {
            sent: Some(sent),
            filed: Some(filed),
            ..
        } = &receipts[0]
        else {
            panic!("a receipt without both routes: {:?}", receipts[0])
        };
        assert_eq!(o.copies(&sent.sop_uid), 1);
        assert_eq!(documents(p), 1);
        assert_eq!(filed.document_identifier, document_identifier(p));
        assert!(
            filed
                .document_reference
                .as_deref()
                .is_some_and(|l| l.starts_with("DocumentReference/")),
            "{filed:?}"
        );
        assert!(filed
            .consent
            .as_deref()
            .is_some_and(|l| l.starts_with("Consent/")));
    }
    // The visit ended with its last photo: its consent receipt names both routes' copies.
    let consent = q
        .ward
        .receipts()
        .unwrap()
        .into_iter()
        .find_map(|r| match r {
            ReceiptRecord::Consent {
                delivered, filed, ..
            } => Some((delivered.len(), filed.len())),
            _ => None,
        })
        .expect("no consent receipt");
    assert_eq!(consent, (2, 2));
    // The Sent list names both servers and both references.
    let sent = q.ward.sent_since(crate::vault::Timestamp(0)).unwrap();
    assert_eq!(sent.len(), 2);
    for v in &sent {
        assert_eq!(v.servers.len(), 2, "{v:?}");
        assert!(v.sop_uid.is_some() && v.document_reference.is_some());
    }
}

#[test]
fn a_photo_read_back_by_the_pacs_but_not_by_the_record_is_kept_and_not_sent_twice() {
    let Some(courier) = both("good", "status503") else {
        return;
    };
    let o = orthanc::server().unwrap();
    let q = queued(1, 9_200);
    let p = q.photos[0];
    let image = q.images().remove(0);
    let (report, _) = {
        let _o = shared();
        drain(&q, &courier)
    };
    assert_eq!(report.delivered, 0, "{report:?}");
    let m = q.manifest(p);
    // Kept whole: the PACS's copy is proved, the record's is not.
    assert_eq!(m.delivery.verified, vec![Route::Pacs]);
    assert_eq!(m.state, LocalState::Queued);
    assert_eq!(
        &q.ward.vault().unwrap().unseal(m.image).unwrap()[..],
        &image[..]
    );
    assert!(receipts_of(&q, p).is_empty());
    assert_eq!(
        m.delivery.problem.as_ref().map(|p| p.code.as_str()),
        Some("endpoint.unavailable")
    );
    // The record's route waits for its server; the PACS's does not.
    assert!(courier.paused_on(Route::Record).0.is_some());
    assert!(courier.paused_on(Route::Pacs).0.is_none());
    let sent = m.delivery.sent.clone().unwrap();
    assert_eq!(o.copies(&sent.sop_uid), 1);

    // The record comes back: the photo is filed there, and the PACS is not sent to again (the
    // receipt keeps the first acknowledgement).
    let courier = both("good", "good").unwrap();
    let (report, _) = {
        let _o = shared();
        let _f = gate();
        drain(&q, &courier)
    };
    assert_eq!(report.delivered, 1, "{report:?}");
    let receipts = receipts_of(&q, p);
    let ReceiptRecord::Deletion {
        sent: Some(kept),
        filed: Some(_),
        ..
    } = &receipts[0]
    else {
        panic!("{receipts:?}")
    };
    assert_eq!(kept, &sent, "the PACS was sent to again");
    assert_eq!(o.copies(&sent.sop_uid), 1);
    assert_eq!(documents(p), 1);
}

#[test]
fn a_pacs_that_is_down_does_not_keep_photos_from_the_record() {
    let Some(courier) = both("status503", "good") else {
        return;
    };
    let o = orthanc::server().unwrap();
    let q = queued(2, 9_300);
    let (report, _) = {
        let _f = gate();
        drain(&q, &courier)
    };
    assert_eq!(report.delivered, 0, "{report:?}");
    for &p in &q.photos {
        let m = q.manifest(p);
        assert_eq!(m.delivery.verified, vec![Route::Record], "{p}");
        assert_eq!(documents(p), 1);
        assert_eq!(o.copies(&crate::delivery::uids::sop_instance_uid(p)), 0);
    }
    assert!(courier.paused_on(Route::Pacs).0.is_some());
    // The PACS is back: each photo goes there once, then is shredded; the record is not posted
    // to again (one DocumentReference each).
    let courier = both("good", "good").unwrap();
    let (report, _) = {
        let _o = shared();
        let _f = gate();
        drain(&q, &courier)
    };
    assert_eq!(report.delivered, 2, "{report:?}");
    for &p in &q.photos {
        assert!(q.ward.manifest(p).unwrap().is_none());
        assert_eq!(documents(p), 1);
        assert_eq!(o.copies(&crate::delivery::uids::sop_instance_uid(p)), 1);
    }
}

/// PUT different bytes under the photo's Binary id, as a record that changed it would hold.
fn overwrite_binary(id: &str) {
    let f = fhir_server::server().unwrap();
    let endpoint = Endpoint::new(&f.config("good")).unwrap();
    let body = serde_json::json!({
        "resourceType": "Binary",
        "id": id,
        "contentType": "image/jpeg",
        "data": "AAECAwQ=",
    });
    let reply = block_on(endpoint.send(Request {
        method: Method::Put,
        path: &format!("Binary/{id}"),
        content_type: Some("application/fhir+json"),
        accept: "application/fhir+json",
        body: Zeroizing::new(serde_json::to_vec(&body).unwrap()),
        timeout: std::time::Duration::from_secs(20),
        max_reply: 1 << 20,
    }))
    .unwrap();
    assert!(
        (200..300).contains(&reply.status),
        "PUT Binary: {}",
        reply.status
    );
}

#[test]
fn a_record_copy_that_differs_holds_the_photo_though_the_pacs_holds_it() {
    let Some(courier) = both("good", "good") else {
        return;
    };
    let f = fhir_server::server().unwrap();
    let q = queued(1, 9_400);
    let p = q.photos[0];
    let to = Destinations {
        required: vec![Route::Pacs, Route::Record],
        open: vec![(Route::Record, f.config("good").base_url.clone())],
    };
    // Filed by hand on the record route, then changed on the server before the read-back.
    let job = q.ward.begin_delivery_to(p, &to).unwrap();
    let Some(DeliveryJob::File { bundle, filed, .. }) = job else {
        panic!("not a filing: {job:?}")
    };
    {
        let _g = gate();
        let answer = block_on(courier.record().unwrap().post_bundle(bundle));
        assert!(matches!(answer, super::Outcome::Done(_)), "{answer:?}");
    }
    let binary_id = filed.binary_id.clone();
    q.ward.delivery_acked(p, Ack::Record(filed)).unwrap();
    assert_eq!(q.manifest(p).state, LocalState::Uploaded);
    overwrite_binary(&binary_id);
    let (report, _) = {
        let _o = shared();
        let _g = gate();
        drain(&q, &courier)
    };
    assert_eq!(report.held, 1, "{report:?}");
    let m = q.manifest(p);
    assert_eq!(m.state, LocalState::Held);
    assert_eq!(
        m.delivery.hold.as_ref().map(|h| h.code.as_str()),
        Some("delivery.fhir_readback_mismatch")
    );
    assert!(m.delivery.verified.is_empty());
    assert!(receipts_of(&q, p).is_empty());
    // Held means held: a second drain sends it nowhere.
    let (report, _) = drain(&q, &courier);
    assert_eq!(report, DrainReport::default());
}

#[test]
fn a_trust_that_files_to_its_record_only_shreds_after_the_record_reads_back() {
    let Some(f) = fhir_server::server() else {
        return;
    };
    let courier = Courier::with_routes(None, Some(f.record("good")));
    let q = queued(1, 9_500);
    let p = q.photos[0];
    let (report, _) = {
        let _g = gate();
        drain(&q, &courier)
    };
    assert_eq!(report.delivered, 1, "{report:?}");
    let receipts = receipts_of(&q, p);
    assert!(
        matches!(
            &receipts[..],
            [ReceiptRecord::Deletion {
                sent: None,
                filed: Some(_),
                ..
            }]
        ),
        "{receipts:?}"
    );
    let document = f.document(&document_identifier(p));
    assert_eq!(
        document["identifier"][0]["system"],
        Value::from(URN_SYSTEM),
        "{document}"
    );
    let sent = q.ward.sent_since(crate::vault::Timestamp(0)).unwrap();
    assert_eq!(sent[0].servers, vec![f.config("good").base_url.clone()]);
    assert_eq!(sent[0].sop_uid, None);
}

#[test]
fn a_route_dropped_from_the_configuration_no_longer_keeps_a_photo() {
    let Some(courier) = both("good", "status503") else {
        return;
    };
    let q = queued(1, 9_600);
    let p = q.photos[0];
    {
        let _o = shared();
        drain(&q, &courier);
    }
    assert_eq!(q.manifest(p).delivery.verified, vec![Route::Pacs]);
    // The trust now files to its PACS only: the photo is shredded without another request.
    let o = orthanc::server().unwrap();
    let to = Destinations::pacs(o.pacs("good").base_url());
    let job = q.ward.begin_delivery_to(p, &to).unwrap();
    assert!(matches!(job, Some(DeliveryJob::Finished { photo }) if photo == p));
    assert!(q.ward.manifest(p).unwrap().is_none());
    let receipts = receipts_of(&q, p);
    assert!(matches!(
        &receipts[..],
        [ReceiptRecord::Deletion {
            sent: Some(_),
            filed: None,
            ..
        }]
    ));
    // A verify for a photo already gone does nothing.
    assert_eq!(
        q.ward.delivery_verified_on(p, Route::Pacs, &to).unwrap(),
        Verified::NotWaiting
    );
}

/// The consent receipts sealed so far: (photos delivered, filed, the consent copy).
fn consent_receipts(q: &Queued) -> Vec<(usize, usize, Option<crate::visit::SentRecord>)> {
    q.ward
        .receipts()
        .unwrap()
        .into_iter()
        .filter_map(|r| match r {
            ReceiptRecord::Consent {
                delivered,
                filed,
                consent_copy,
                ..
            } => Some((delivered.len(), filed.len(), consent_copy)),
            _ => None,
        })
        .collect()
}

/// Consent records still sealed in the vault.
fn consents_kept(q: &Queued) -> usize {
    q.ward
        .vault()
        .unwrap()
        .list()
        .unwrap()
        .iter()
        .filter(|m| m.kind == crate::vault::ItemKind::Consent)
        .count()
}

#[test]
fn a_pacs_only_trust_gets_the_consent_as_its_own_copy_before_the_consent_is_shredded() {
    let Some(o) = orthanc::server() else { return };
    let courier = Courier::new(o.pacs("good"));
    let q = queued(2, 9_700);
    let visit = q.manifest(q.photos[0]).visit_id;
    let (report, _) = {
        let _o = shared();
        drain(&q, &courier)
    };
    assert_eq!(
        (report.delivered, report.consents_copied),
        (2, 1),
        "{report:?}"
    );
    let receipts = consent_receipts(&q);
    assert_eq!(receipts.len(), 1, "{receipts:?}");
    let (delivered, filed, copy) = &receipts[0];
    assert_eq!((*delivered, *filed), (2, 0));
    let copy = copy.clone().expect("the consent receipt names no copy");
    // The PDF instance is in the photos' study, once, and reads back byte for byte.
    assert_eq!(o.copies(&copy.sop_uid), 1);
    let photo_study = crate::delivery::uids::study_uid(visit);
    assert_eq!(copy.study_uid, photo_study);
    assert_eq!(
        block_on(o.pacs("good").verify(&copy)),
        super::Outcome::Done(true)
    );
    assert_eq!(consents_kept(&q), 0);
    // A second drain sends nothing more.
    let (report, _) = drain(&q, &courier);
    assert_eq!(report.consents_copied, 0);
    assert_eq!(o.copies(&copy.sop_uid), 1);
}

#[test]
fn a_consent_whose_copy_has_not_reached_the_pacs_outlives_its_photos_and_a_restart() {
    let Some(o) = orthanc::server() else { return };
    let mut q = queued(1, 9_800);
    let p = q.photos[0];
    let pacs = o.pacs("good");
    // The photo goes by hand, as a courier killed before the consent step would leave it.
    let job = q.ward.begin_delivery(p, pacs.base_url()).unwrap();
    let Some(DeliveryJob::Send { part10, sent, .. }) = job else {
        panic!("{job:?}")
    };
    {
        let _o = shared();
        assert_eq!(
            block_on(pacs.store(part10, &sent.sop_uid)),
            super::Outcome::Done(())
        );
    }
    q.ward.delivery_acknowledged(p, sent).unwrap();
    assert_eq!(
        q.ward
            .delivery_verified_on(p, Route::Pacs, &Destinations::pacs(pacs.base_url()))
            .unwrap(),
        Verified::Shredded
    );
    // The photo has gone; the consent has not, since nothing of it reached the record.
    assert!(q.ward.manifest(p).unwrap().is_none());
    assert!(consent_receipts(&q).is_empty());
    assert_eq!(consents_kept(&q), 1);
    // Nor does a restart retire it.
    let report = q.reopen();
    assert_eq!(report.visits_retired, 0, "{report:?}");
    assert_eq!(consents_kept(&q), 1);
    // A PACS that fails keeps it too.
    let failing = Courier::new(o.pacs("status503"));
    let (report, _) = drain(&q, &failing);
    assert_eq!(report.consents_copied, 0, "{report:?}");
    assert_eq!(consents_kept(&q), 1);
    // The next drain to a good PACS sends the copy, then retires the visit.
    let courier = Courier::new(o.pacs("good"));
    let (report, _) = {
        let _o = shared();
        drain(&q, &courier)
    };
    assert_eq!(report.consents_copied, 1, "{report:?}");
    assert_eq!(consents_kept(&q), 0);
    let receipts = consent_receipts(&q);
    assert!(matches!(&receipts[..], [(1, 0, Some(_))]), "{receipts:?}");
}

#[test]
fn with_the_record_route_the_consent_goes_as_fhir_and_no_pdf_copy_is_made() {
    let Some(courier) = both("good", "good") else {
        return;
    };
    let o = orthanc::server().unwrap();
    let q = queued(1, 9_900);
    let (report, _) = {
        let _o = shared();
        let _f = gate();
        drain(&q, &courier)
    };
    assert_eq!(
        (report.delivered, report.consents_copied),
        (1, 0),
        "{report:?}"
    );
    let receipts = consent_receipts(&q);
    assert!(matches!(&receipts[..], [(1, 1, None)]), "{receipts:?}");
    // No instance of the consent's copy in the PACS.
    let consent_id = q
        .ward
        .receipts()
        .unwrap()
        .into_iter()
        .find_map(|r| match r {
            ReceiptRecord::Consent { consent_id, .. } => Some(consent_id),
            _ => None,
        })
        .unwrap();
    assert_eq!(
        o.copies(&crate::delivery::uids::consent_sop_instance_uid(consent_id)),
        0
    );
}

/// The record's Consent for `consent`'s id, as the server holds it.
fn record_consent(consent_id: &str) -> Value {
    let f = fhir_server::server().unwrap();
    let token: String =
        form_urlencoded::byte_serialize(format!("{URN_SYSTEM}|urn:uuid:{consent_id}").as_bytes())
            .collect();
    let found = f.get(&format!("Consent?identifier={token}"));
    assert_eq!(found["total"], 1, "{found}");
    found["entry"][0]["resource"].clone()
}

#[test]
fn a_withdrawal_after_delivery_marks_the_records_consent_inactive_and_names_the_copies() {
    let Some(courier) = both("good", "good") else {
        return;
    };
    let q = queued(2, 10_100);
    {
        let _o = shared();
        let _f = gate();
        drain(&q, &courier);
    }
    assert_eq!(consents_kept(&q), 0, "the visit was not retired");
    // From the Sent list: the consent of a delivered photo is withdrawn.
    let view = q.ward.withdraw_delivered(q.photos[0]).unwrap();
    assert_eq!(view.photos, 2);
    assert_eq!(view.record_consent, "pending");
    assert_eq!(view.references.len(), 4, "{:?}", view.references);
    assert!(view
        .references
        .iter()
        .any(|r| r.contains("SOP Instance UID 2.25.")));
    assert!(view
        .references
        .iter()
        .any(|r| r.contains("DocumentReference/")));
    assert!(view.advice.contains("record team"), "{}", view.advice);
    assert!(!view.advice.contains("9434765919"));
    assert_eq!(record_consent(&view.consent_id)["status"], "active");
    // Asking again records nothing more.
    assert_eq!(q.ward.withdraw_delivered(q.photos[1]).unwrap(), view);
    // The courier marks it inactive in the record, and reads it back so.
    let (report, _) = {
        let _f = gate();
        drain(&q, &courier)
    };
    assert_eq!(report.consents_withdrawn, 1, "{report:?}");
    assert_eq!(record_consent(&view.consent_id)["status"], "inactive");
    let after = q.ward.withdrawals_after_delivery().unwrap();
    assert_eq!(after.len(), 1);
    assert_eq!(after[0].record_consent, "done");
    // Done once: the next drain leaves it.
    let (report, _) = drain(&q, &courier);
    assert_eq!(report.consents_withdrawn, 0);
}

#[test]
fn a_withdrawal_with_photos_still_waiting_shreds_them_and_names_those_delivered() {
    let Some(f) = fhir_server::server() else {
        return;
    };
    let q = queued(2, 10_200);
    let (first, second) = (q.photos[0], q.photos[1]);
    // The first photo goes to the record by hand; the second still waits.
    let to = Destinations {
        required: vec![Route::Record],
        open: vec![(Route::Record, f.config("good").base_url.clone())],
    };
    let record = f.record("good");
    let Some(DeliveryJob::File { bundle, filed, .. }) =
        q.ward.begin_delivery_to(first, &to).unwrap()
    else {
        panic!("not a filing")
    };
    {
        let _g = gate();
        assert!(matches!(
            block_on(record.post_bundle(bundle)),
            super::Outcome::Done(_)
        ));
    }
    let mut filed = filed;
    filed.consent = Some("Consent/whatever".into());
    q.ward.delivery_acked(first, Ack::Record(filed)).unwrap();
    assert_eq!(
        q.ward
            .delivery_verified_on(first, Route::Record, &to)
            .unwrap(),
        Verified::Shredded
    );
    let view = q.ward.withdraw_delivered(first).unwrap();
    assert_eq!(view.photos, 1);
    assert_eq!(view.record_consent, "pending");
    // The photo still waiting was shredded: the consent no longer allows it.
    assert!(q.ward.manifest(second).unwrap().is_none());
    assert_eq!(
        q.ward
            .delivery_plan(crate::vault::Timestamp(u64::MAX))
            .unwrap()
            .waiting,
        0
    );
    // A record that is down answers the change with a wait, server-wide (the client alone: the
    // fault listener is another address, and a withdrawal goes only to the record that filed).
    let consent = q.ward.receipts().unwrap().iter().find_map(|r| match r {
        ReceiptRecord::Withdrawn { consent_id, .. } => Some(*consent_id),
        _ => None,
    });
    assert!(matches!(
        block_on(
            f.record("status503")
                .make_consent_inactive(consent.unwrap())
        ),
        super::Outcome::Retry {
            server_wide: true,
            ..
        }
    ));
    let elsewhere = Courier::with_routes(None, Some(f.record("status503")));
    let (report, _) = drain(&q, &elsewhere);
    assert_eq!(report.consents_withdrawn, 0, "{report:?}");
    assert_eq!(
        q.ward.withdrawals_after_delivery().unwrap()[0].record_consent,
        "pending"
    );
    let up = Courier::with_routes(None, Some(f.record("good")));
    let (report, _) = {
        let _g = gate();
        drain(&q, &up)
    };
    assert_eq!(report.consents_withdrawn, 1, "{report:?}");
    assert_eq!(record_consent(&view.consent_id)["status"], "inactive");
}

#[test]
fn a_withdrawal_in_a_pacs_only_trust_names_the_photos_and_the_consent_form_for_the_record_team() {
    let Some(o) = orthanc::server() else { return };
    let courier = Courier::new(o.pacs("good"));
    let q = queued(1, 10_300);
    {
        let _o = shared();
        drain(&q, &courier);
    }
    let view = q.ward.withdraw_delivered(q.photos[0]).unwrap();
    assert_eq!(view.record_consent, "none");
    assert_eq!(view.photos, 1);
    assert!(
        view.references.iter().any(|r| r.contains("consent form")),
        "{:?}",
        view.references
    );
    assert!(view.advice.contains("record team"));
    // Nothing to do in a record: a drain does nothing with it.
    let (report, _) = drain(&q, &courier);
    assert_eq!(report.consents_withdrawn, 0);
    // A photo that never reached the record has no withdrawal to record here.
    assert!(q
        .ward
        .withdraw_delivered(PhotoId::random().unwrap())
        .is_err());
}

#[test]
fn a_consent_copy_stored_but_never_acknowledged_is_sent_again_and_proved() {
    let Some(o) = orthanc::server() else { return };
    let pacs = o.pacs("good");
    let q = queued(1, 10_400);
    let visit = q.manifest(q.photos[0]).visit_id;
    let to = Destinations::pacs(pacs.base_url());
    // The copy reaches Orthanc, then the app dies before sealing the answer.
    let job = q.ward.begin_consent_copy(visit, &to).unwrap();
    let Some(crate::visit::ConsentCopyJob::Send { part10, sent, .. }) = job else {
        panic!("{job:?}")
    };
    {
        let _o = shared();
        assert_eq!(
            block_on(pacs.store(part10, &sent.sop_uid)),
            super::Outcome::Done(())
        );
    }
    // Some time later (so a copy stamped "now" would differ), the courier sends it again: the
    // PACS keeps its first copy, which must still prove the same bytes.
    std::thread::sleep(std::time::Duration::from_millis(1_100));
    let (report, _) = {
        let _o = shared();
        drain(&q, &Courier::new(pacs))
    };
    assert_eq!(
        (report.delivered, report.consents_copied),
        (1, 1),
        "{report:?}"
    );
    assert_eq!(o.copies(&sent.sop_uid), 1);
    assert_eq!(consents_kept(&q), 0);
}
