//! Looking a patient up in the trust's FHIR record: `GET [base]/Patient?identifier=
//! https://fhir.nhs.uk/Id/nhs-number|NNNNNNNNNN` (IHE PDQm), then [`check_record`].
//!
//! The only network code in the patient module, and deliberately narrow:
//! - HTTPS only, trusting **only** the certificate(s) provisioned for the endpoint (a private CA or
//!   the server's own self-signed certificate). No built-in or system roots are compiled in or
//!   consulted, so a certificate from any other authority, public or not, is refused
//!   ([`PatientError::RecordUntrusted`]).
//! - No proxies from the environment, no redirects, short timeouts (5 s to connect, 10 s in all),
//!   answers over 1 MiB refused.
//! - Unreachable, refused or timed out is [`PatientError::RecordOffline`]: the UI says "not
//!   verified against the record" and the band's details stand.
//! - Nothing is logged; the NHS number travels only in the request to the pinned server.
//!
//! The client is async (reqwest on tokio): call it from the shell's runtime (Tauri's async
//! commands run on tokio).

use std::future::Future;
use std::time::Duration;

use serde_json::Value;

use super::record::{check_record, RecordCheck, NHS_NUMBER_SYSTEM};
use super::{NhsNumber, PatientError, WristbandData};

/// The largest search answer read.
const MAX_RESPONSE_BYTES: usize = 1024 * 1024;
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
const TOTAL_TIMEOUT: Duration = Duration::from_secs(10);

/// Something that can search the patient record by NHS number and return the FHIR search
/// `Bundle`. [`FhirPatientLookup`] does it over HTTPS; tests and an offline device can stand in.
pub trait PatientLookup {
    /// Searches for patients carrying `nhs_number`, returning the FHIR `Bundle` as JSON.
    fn search_by_nhs_number(
        &self,
        nhs_number: &NhsNumber,
    ) -> impl Future<Output = Result<Value, PatientError>> + Send;
}

/// The FHIR record endpoint a device was provisioned with.
#[derive(Clone)]
pub struct FhirPatientLookup {
    client: reqwest::Client,
    base_url: String,
}

impl std::fmt::Debug for FhirPatientLookup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FhirPatientLookup")
            .field("base_url", &self.base_url)
            .finish_non_exhaustive()
    }
}

impl FhirPatientLookup {
    /// A client for the FHIR server at `base_url` (`https://…/fhir/R4`, no trailing `/Patient`)
    /// that trusts only the PEM certificate(s) in `trusted_pem`: the server's CA, or the server's
    /// own certificate when it is self-signed.
    ///
    /// Refuses ([`PatientError::LookupConfigInvalid`]) a URL that is not `https://`, PEM with no
    /// certificate in it, and any certificate the TLS library cannot use.
    pub fn new(base_url: &str, trusted_pem: &[u8]) -> Result<FhirPatientLookup, PatientError> {
        let base_url = base_url.trim().trim_end_matches('/');
        fn invalid<E>(_: E) -> PatientError {
            PatientError::LookupConfigInvalid
        }
        let url = reqwest::Url::parse(base_url).map_err(invalid)?;
        if url.scheme() != "https" || url.host_str().is_none() {
            return Err(PatientError::LookupConfigInvalid);
        }
        let certs = reqwest::Certificate::from_pem_bundle(trusted_pem).map_err(invalid)?;
        if certs.is_empty() {
            return Err(PatientError::LookupConfigInvalid);
        }
        let mut builder = reqwest::Client::builder()
            .use_rustls_tls()
            .tls_built_in_root_certs(false)
            .https_only(true)
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(TOTAL_TIMEOUT);
        for cert in certs {
            builder = builder.add_root_certificate(cert);
        }
        let client = builder.build().map_err(invalid)?;
        Ok(FhirPatientLookup {
            client,
            base_url: base_url.to_owned(),
        })
    }

    async fn search(&self, nhs_number: &NhsNumber) -> Result<Value, PatientError> {
        let identifier = format!("{NHS_NUMBER_SYSTEM}|{}", nhs_number.digits());
        let mut response = self
            .client
            .get(format!("{}/Patient", self.base_url))
            .query(&[("identifier", identifier.as_str())])
            .header(reqwest::header::ACCEPT, "application/fhir+json")
            .send()
            .await
            .map_err(|e| classify(&e))?;
        let status = response.status();
        if !status.is_success() {
            return Err(PatientError::RecordServerError {
                status: status.as_u16(),
            });
        }
        if response
            .content_length()
            .is_some_and(|n| n > MAX_RESPONSE_BYTES as u64)
        {
            return Err(PatientError::RecordMalformed);
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| classify(&e))? {
            if body.len() + chunk.len() > MAX_RESPONSE_BYTES {
                return Err(PatientError::RecordMalformed);
            }
            body.extend_from_slice(&chunk);
        }
        serde_json::from_slice(&body).map_err(|_| PatientError::RecordMalformed)
    }
}

impl PatientLookup for FhirPatientLookup {
    fn search_by_nhs_number(
        &self,
        nhs_number: &NhsNumber,
    ) -> impl Future<Output = Result<Value, PatientError>> + Send {
        self.search(nhs_number)
    }
}

/// Looks `band`'s NHS number up with `lookup` and compares the record with the band.
///
/// `Err` means the record could not vouch for the patient: see
/// [`PatientError::is_unverified_but_usable`] for which errors leave the band's details standing
/// (marked "not verified against the record"). `Ok` may still block the session: see
/// [`RecordCheck::blocks_session`].
pub async fn verify_against_record<L: PatientLookup + ?Sized>(
    lookup: &L,
    band: &WristbandData,
) -> Result<RecordCheck, PatientError> {
    let nhs = band
        .nhs_number
        .as_ref()
        .ok_or(PatientError::LookupNeedsNhsNumber)?;
    let bundle = lookup.search_by_nhs_number(nhs).await?;
    check_record(&bundle, band)
}

/// Sorts a failed request into "the server is not the one we trust" and "we could not reach it".
fn classify(e: &reqwest::Error) -> PatientError {
    if is_tls_failure(e) {
        PatientError::RecordUntrusted
    } else if e.is_decode() {
        PatientError::RecordMalformed
    } else {
        // Connect, timeout, reset, DNS: all mean the record is out of reach right now.
        PatientError::RecordOffline
    }
}

/// Whether a rustls error (a certificate the pinned roots do not vouch for, a handshake failure)
/// is anywhere in the error's chain. `io::Error` hides its payload from `source()`, so it is
/// opened explicitly.
fn is_tls_failure(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut next: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = next {
        if err.is::<rustls::Error>() {
            return true;
        }
        if let Some(io) = err.downcast_ref::<std::io::Error>() {
            if let Some(inner) = io.get_ref() {
                if is_tls_failure(inner) {
                    return true;
                }
            }
        }
        next = err.source();
    }
    false
}
