//! A withdrawal after delivery, in the record: the `Consent` WardCam filed with a visit's photos is
//! made `inactive`. The phone no longer holds the consent record (it went with the last photo), so
//! the server's own copy is read, its status changed and written back, then read again to prove
//! the change. The photos themselves stay in the record: only the record team may remove them, and
//! the clinician is told so with the references to give them.

use serde_json::Value;
use zeroize::Zeroizing;

use super::client::{fhir_id, FHIR_JSON};
use super::ids::URN_SYSTEM;
use crate::consent::ConsentId;
use crate::delivery::outcome::{self, problem, Destination, Fhir, Outcome};
use crate::endpoint::Method;

/// The largest Consent search or read accepted: a Consent carries its signature image, small.
const MAX_CONSENT_REPLY: usize = 8 << 20;

fn unreadable<T>(code: &str, detail: impl std::fmt::Display) -> Outcome<T> {
    outcome::unreadable("hospital record", code, detail)
}

/// A read-back's outcome as another step's: a reply too long to be a Consent is unreadable.
fn as_step(o: Outcome<bool>) -> Outcome<String> {
    match o {
        Outcome::Done(_) => unreadable("delivery.fhir_consent_reply", "a reply too long"),
        other => other.map(|_| String::new()),
    }
}

/// Whether `resource` is a Consent carrying WardCam's identifier `value`.
fn is_ours(resource: &Value, value: &str) -> bool {
    resource["resourceType"] == "Consent"
        && resource["identifier"].as_array().is_some_and(|ids| {
            ids.iter()
                .any(|i| i["system"] == URN_SYSTEM && i["value"] == value)
        })
}

impl Destination<Fhir> {
    /// Makes the record's `Consent` for `consent` (found by WardCam's identifier,
    /// `urn:ietf:rfc:3986|urn:uuid:<consent id>`) `inactive`, and reads it back to prove it.
    /// `Done` with its reference (`Consent/<id>`), also when it was inactive already;
    /// `NotOnServer` when the record holds none; held when it holds more than one, or refuses the
    /// change; waits for everything a delivery waits for.
    pub async fn make_consent_inactive(&self, consent: ConsentId) -> Outcome<String> {
        let value = format!("urn:uuid:{consent}");
        let token: String =
            form_urlencoded::byte_serialize(format!("{URN_SYSTEM}|{value}").as_bytes()).collect();
        let found = match self
            .fetch_copy(
                &format!("Consent?identifier={token}"),
                FHIR_JSON,
                MAX_CONSENT_REPLY,
                &[],
            )
            .await
        {
            Ok(answer) => answer,
            Err(o) => return as_step(o),
        };
        let Ok(bundle) = serde_json::from_slice::<Value>(&found.body) else {
            return unreadable("fhir_reply.not_json", "not JSON");
        };
        if bundle["resourceType"] != "Bundle" {
            return unreadable("delivery.fhir_consent_reply", "not a search result");
        }
        let matches: Vec<&Value> = bundle["entry"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|e| &e["resource"])
            .filter(|r| is_ours(r, &value))
            .collect();
        let mut resource = match matches.as_slice() {
            [] => return Outcome::NotOnServer,
            [one] => Value::clone(one),
            _ => {
                return Outcome::Hold(problem(
                    "delivery.fhir_consent_ambiguous",
                    "The hospital record holds more than one copy of this consent, so WardCam could not mark it withdrawn. Tell the record team, with the references shown.",
                ))
            }
        };
        let Some(id) = resource["id"]
            .as_str()
            .filter(|i| fhir_id(i))
            .map(str::to_owned)
        else {
            return unreadable(
                "delivery.fhir_consent_reply",
                "a Consent without a usable id",
            );
        };
        let location = format!("Consent/{id}");
        if resource["status"] == "inactive" {
            return Outcome::Done(location);
        }
        resource["status"] = Value::from("inactive");
        let body = match serde_json::to_vec(&resource) {
            Ok(b) => Zeroizing::new(b),
            Err(_) => return unreadable("delivery.fhir_consent_reply", "it did not encode"),
        };
        drop(resource);
        let answer = match self
            .send(
                Method::Put,
                &location,
                FHIR_JSON,
                FHIR_JSON,
                body,
                MAX_CONSENT_REPLY,
            )
            .await
        {
            Ok(answer) => answer,
            Err(wait) => return wait,
        };
        match answer.status {
            200 | 201 => {}
            400..=499 => {
                return Outcome::Hold(problem(
                    "delivery.fhir_consent_refused",
                    format_args!(
                        "The hospital record refused to mark the consent withdrawn (HTTP {}). Tell the record team, with the references shown.",
                        answer.status
                    ),
                ))
            }
            other => {
                return unreadable("delivery.fhir_reply_status", format_args!("HTTP {other}"))
            }
        }
        // Read again: only a Consent the record now says is inactive proves the withdrawal.
        let back = match self
            .fetch_copy(&location, FHIR_JSON, MAX_CONSENT_REPLY, &[404, 410])
            .await
        {
            Ok(answer) => answer,
            Err(o) => return as_step(o),
        };
        match serde_json::from_slice::<Value>(&back.body) {
            Ok(v) if is_ours(&v, &value) && v["status"] == "inactive" => Outcome::Done(location),
            Ok(_) => Outcome::Hold(problem(
                "delivery.fhir_consent_not_changed",
                "The hospital record did not keep the consent marked withdrawn. Tell the record team, with the references shown.",
            )),
            Err(_) => unreadable("fhir_reply.not_json", "not JSON"),
        }
    }
}
