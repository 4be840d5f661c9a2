//! The one HTTPS client every connection to the trust uses (record look-up, delivery).
//!
//! - rustls with the ring provider, TLS 1.2 and 1.3 only, from a preconfigured `ClientConfig`:
//!   the provisioned authorities **and** SPKI pins ([`super::verifier`]); no system roots.
//! - Optional client certificate (mutual TLS) and HTTP credential (marked sensitive, never logged).
//! - No redirects, no proxy from the environment, `https` only, and every request stays below the
//!   configured base address.
//! - A connect timeout (which covers the TLS handshake), a total timeout per request and a cap on
//!   the reply's size.
//! - Failures sorted by [`classify`] into [`EndpointError`]'s classes.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use rustls::client::WebPkiServerVerifier;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::{AlertDescription, CertificateError, ClientConfig, RootCertStore};
use zeroize::Zeroizing;

use super::config::{Credential, EndpointConfig};
use super::error::{EndpointError, TrustProblem};
use super::verifier::{PinnedVerifier, Seen};

/// Time allowed to connect and complete the TLS handshake.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// A pinned certificate this close to expiry is reported on the Device screen.
pub const EXPIRY_WARNING_SECS: i64 = 30 * 24 * 60 * 60;

/// The HTTP methods WardCam uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// GET.
    Get,
    /// POST.
    Post,
    /// PUT.
    Put,
}

/// One request, relative to the endpoint's base address.
#[derive(Debug)]
pub struct Request<'a> {
    /// The method.
    pub method: Method,
    /// The path below the base, without a leading `/` (`Patient/_search`); empty for the base.
    pub path: &'a str,
    /// The body's media type, when there is a body.
    pub content_type: Option<&'a str>,
    /// The media type(s) accepted.
    pub accept: &'a str,
    /// The body. Wiped on drop if it is never sent; `send` moves it into the HTTP client, which
    /// frees it without wiping.
    pub body: Zeroizing<Vec<u8>>,
    /// The time allowed for the whole request, connection included.
    pub timeout: Duration,
    /// The largest reply body read; a longer one is [`EndpointError::Malformed`].
    pub max_reply: usize,
}

/// A 2xx reply.
#[derive(Debug)]
pub struct Reply {
    /// The HTTP status.
    pub status: u16,
    /// The reply's `Content-Type`, if any.
    pub content_type: Option<String>,
    /// The body, wiped on drop.
    pub body: Zeroizing<Vec<u8>>,
}

/// Any final reply (see [`Endpoint::exchange`]).
#[derive(Debug)]
pub struct Answer {
    /// The HTTP status (never 1xx or 3xx).
    pub status: u16,
    /// The reply's `Content-Type`, if any.
    pub content_type: Option<String>,
    /// `Retry-After` in seconds, when the server sent one WardCam could read.
    pub retry_after: Option<RetryAfter>,
    /// The body, wiped on drop.
    pub body: Zeroizing<Vec<u8>>,
}

/// A server's `Retry-After`: a delay, or a moment (HTTP date) the caller turns into one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryAfter {
    /// Seconds to wait.
    Seconds(u64),
    /// Unix seconds to wait until.
    At(i64),
}

/// Reads `Retry-After`: delay-seconds, or an IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`, the
/// only date form RFC 9110 lets servers send). Anything else is ignored (the caller's own backoff
/// applies).
pub fn parse_retry_after(text: &str) -> Option<RetryAfter> {
    let text = text.trim();
    if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
        return text.parse().ok().map(RetryAfter::Seconds);
    }
    parse_http_date(text).map(RetryAfter::At)
}

/// Reads an IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`) as Unix seconds: the form of
/// `Retry-After` dates and of every `Date` header (RFC 9110 section 5.6.7). Its year is four
/// digits, so years 0000 to 9999 only.
pub fn parse_http_date(text: &str) -> Option<i64> {
    let text = text.trim();
    // `time`'s `[year]` takes an optional sign (`-1994` is 1995 BC, which the `http_date` fuzz
    // target found); an IMF-fixdate has no sign anywhere.
    if text.contains(['+', '-']) {
        return None;
    }
    let format = time::macros::format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    time::PrimitiveDateTime::parse(text, &format)
        .ok()
        .map(|t| t.assume_utc().unix_timestamp())
}

/// The time a trust server last vouched for in its `Date` header, and the since-boot reading it
/// came at. Only a pinned, authenticated server's answer sets it.
#[derive(Debug, Clone, Copy)]
struct ServerDate {
    unix_secs: i64,
    received: Duration,
}

/// The pinned certificate's expiry, for the Device screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct CertificateStatus {
    /// `notAfter` of the certificate seen at the last handshake, Unix seconds.
    pub not_after: i64,
    /// Whether that is within 30 days of `now` (or past).
    pub expires_soon: bool,
}

/// A configured trust endpoint. Cheap to clone (the connection pool is shared).
#[derive(Clone)]
pub struct Endpoint {
    client: reqwest::Client,
    base: reqwest::Url,
    credential: Option<Credential>,
    seen: Arc<Mutex<Seen>>,
    pins: usize,
    /// The last server `Date` (shared by clones, as the connection pool is).
    date: Arc<Mutex<Option<ServerDate>>>,
}

impl std::fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Endpoint")
            .field("base", &self.base.as_str())
            .field("pins", &self.pins)
            .field("credential", &self.credential)
            .finish_non_exhaustive()
    }
}

fn invalid(field: &'static str) -> EndpointError {
    EndpointError::ConfigInvalid { field }
}

impl Endpoint {
    /// Builds the client for `config`, refusing ([`EndpointError::ConfigInvalid`]) a base address
    /// that is not plain `https://host[:port]/path`, no trust anchor, no valid pin, half a client
    /// certificate, or anything rustls cannot use.
    pub fn new(config: &EndpointConfig) -> Result<Endpoint, EndpointError> {
        let base = parse_base(&config.base_url)?;
        let pins = config.pins()?;
        let provider = Arc::new(rustls::crypto::ring::default_provider());

        let mut roots = RootCertStore::empty();
        for cert in CertificateDer::pem_slice_iter(config.trust_anchors_pem.as_bytes()) {
            let cert = cert.map_err(|_| invalid("trust_anchors_pem"))?;
            roots.add(cert).map_err(|_| invalid("trust_anchors_pem"))?;
        }
        if roots.is_empty() {
            return Err(invalid("trust_anchors_pem"));
        }
        let chain = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
            .build()
            .map_err(|_| invalid("trust_anchors_pem"))?;
        let seen = Arc::new(Mutex::new(Seen::default()));
        let verifier = Arc::new(PinnedVerifier {
            chain,
            pins: pins.clone(),
            seen: seen.clone(),
        });

        let builder = ClientConfig::builder_with_provider(provider)
            .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
            .map_err(|_| invalid("tls"))?
            .dangerous()
            .with_custom_certificate_verifier(verifier);
        let tls = match (&config.client_certificate_pem, &config.client_key_pem) {
            (None, None) => builder.with_no_client_auth(),
            (Some(chain), Some(key)) => {
                let chain = CertificateDer::pem_slice_iter(chain.as_bytes())
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|_| invalid("client_certificate_pem"))?;
                if chain.is_empty() {
                    return Err(invalid("client_certificate_pem"));
                }
                let key = PrivateKeyDer::from_pem_slice(key.as_bytes())
                    .map_err(|_| invalid("client_key_pem"))?;
                builder
                    .with_client_auth_cert(chain, key)
                    .map_err(|_| invalid("client_key_pem"))?
            }
            (Some(_), None) => return Err(invalid("client_key_pem")),
            (None, Some(_)) => return Err(invalid("client_certificate_pem")),
        };

        let client = reqwest::Client::builder()
            .use_preconfigured_tls(tls)
            .https_only(true)
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(CONNECT_TIMEOUT)
            .build()
            .map_err(|_| invalid("tls"))?;
        Ok(Endpoint {
            client,
            base,
            credential: config.credential.clone(),
            seen,
            pins: pins.len(),
            date: Arc::new(Mutex::new(None)),
        })
    }

    /// The base address.
    pub fn base_url(&self) -> &str {
        self.base.as_str().trim_end_matches('/')
    }

    /// How many keys are pinned. One works, but strands every phone when the server's key changes.
    pub fn pin_count(&self) -> usize {
        self.pins
    }

    /// The pinned certificate's expiry as seen at the last handshake, judged at `now_secs`.
    pub fn certificate_status(&self, now_secs: i64) -> Option<CertificateStatus> {
        let not_after = self.seen.lock().ok()?.not_after?;
        Some(CertificateStatus {
            not_after,
            expires_soon: not_after - now_secs <= EXPIRY_WARNING_SECS,
        })
    }

    /// The time now by the trust server's clock: the `Date` of its last answer (any final status:
    /// the TLS connection it came on was pinned to the trust's key) plus the since-boot time since
    /// it came. `None` before any answer carried one. Retention takes it as the time a trust
    /// server vouched for ([`crate::visit::Ward::vouch_time`]), which the user cannot wind
    /// forward as they can the phone's clock.
    pub fn server_time(&self) -> Option<crate::vault::Timestamp> {
        let date = (*self.date.lock().ok()?)?;
        let secs = u64::try_from(date.unix_secs).ok()?;
        let since = crate::visit::since_boot::now().saturating_sub(date.received);
        Some(crate::vault::Timestamp(secs.saturating_mul(1_000)).plus(since))
    }

    /// Sends `request`. `Ok` only for a 2xx reply read in full within the limits; every other
    /// outcome is sorted into an [`EndpointError`].
    pub async fn send(&self, request: Request<'_>) -> Result<Reply, EndpointError> {
        let answer = self.exchange(request).await?;
        if !(200..300).contains(&answer.status) {
            return Err(EndpointError::from_status(answer.status));
        }
        Ok(Reply {
            status: answer.status,
            content_type: answer.content_type,
            body: answer.body,
        })
    }

    /// Sends `request` and returns the server's answer whatever its final status, for protocols
    /// whose error replies carry a body the caller must read (DICOMweb STOW-RS reports refused
    /// instances in a 409's body) or a `Retry-After`. A redirect is still
    /// [`EndpointError::Redirected`] (WardCam never follows one), and a failure to get an answer
    /// at all is sorted as [`Endpoint::send`] sorts it.
    pub async fn exchange(&self, mut request: Request<'_>) -> Result<Answer, EndpointError> {
        let url = self.url(request.path)?;
        let method = match request.method {
            Method::Get => reqwest::Method::GET,
            Method::Post => reqwest::Method::POST,
            Method::Put => reqwest::Method::PUT,
        };
        let mut builder = self
            .client
            .request(method, url)
            .timeout(request.timeout)
            .header(reqwest::header::ACCEPT, request.accept);
        if let Some(kind) = request.content_type {
            builder = builder.header(reqwest::header::CONTENT_TYPE, kind);
        }
        if let Some(credential) = &self.credential {
            let mut value = reqwest::header::HeaderValue::from_str(&credential.header_value())
                .map_err(|_| invalid("credential"))?;
            // Sensitive headers are left out of hyper's and reqwest's Debug output.
            value.set_sensitive(true);
            builder = builder.header(reqwest::header::AUTHORIZATION, value);
        }
        // The body moves into the request rather than being copied (a photo can be tens of MB).
        // From here reqwest owns it and frees it without wiping: memory the app cannot wipe.
        let body: Vec<u8> = std::mem::take(&mut *request.body);
        let mut response = builder.body(body).send().await.map_err(|e| classify(&e))?;
        let status = response.status().as_u16();
        if (300..400).contains(&status) || status < 200 {
            return Err(EndpointError::from_status(status));
        }
        if response
            .content_length()
            .is_some_and(|n| n > request.max_reply as u64)
        {
            return Err(EndpointError::Malformed);
        }
        let header = |name: reqwest::header::HeaderName| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let content_type = header(reqwest::header::CONTENT_TYPE);
        if let Some(unix_secs) = header(reqwest::header::DATE)
            .as_deref()
            .and_then(parse_http_date)
        {
            let received = crate::visit::since_boot::now();
            if let Ok(mut date) = self.date.lock() {
                *date = Some(ServerDate {
                    unix_secs,
                    received,
                });
            }
        }
        let retry_after = header(reqwest::header::RETRY_AFTER)
            .as_deref()
            .and_then(parse_retry_after);
        let mut body = Zeroizing::new(Vec::new());
        while let Some(chunk) = response.chunk().await.map_err(|e| classify(&e))? {
            if body.len() + chunk.len() > request.max_reply {
                return Err(EndpointError::Malformed);
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Answer {
            status,
            content_type,
            retry_after,
            body,
        })
    }

    /// `path` below the base; anything that would leave the base's origin is refused.
    fn url(&self, path: &str) -> Result<reqwest::Url, EndpointError> {
        let bad = EndpointError::ConfigInvalid { field: "path" };
        if path.starts_with('/') || path.contains("://") || path.split('/').any(|s| s == "..") {
            return Err(bad);
        }
        let url = self.base.join(path).map_err(|_| bad)?;
        if url.origin() != self.base.origin() || !url.path().starts_with(self.base.path()) {
            return Err(bad);
        }
        Ok(url)
    }
}

/// `https://host[:port][/path]` with no credentials, query or fragment; kept with a trailing `/`
/// so relative paths join below it.
fn parse_base(text: &str) -> Result<reqwest::Url, EndpointError> {
    let bad = invalid("base_url");
    let mut url = reqwest::Url::parse(text.trim()).map_err(|_| bad)?;
    if url.scheme() != "https"
        || url.host_str().is_none()
        || !url.username().is_empty()
        || url.password().is_some()
        || url.query().is_some()
        || url.fragment().is_some()
    {
        return Err(bad);
    }
    if !url.path().ends_with('/') {
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    Ok(url)
}

/// Sorts a failed request. A TLS failure anywhere in the chain is about trust, whenever it
/// happened; otherwise a failure while connecting (the TLS handshake included) means the server
/// was not reached, and one after it was reached means it stopped answering.
pub(crate) fn classify(e: &reqwest::Error) -> EndpointError {
    if let Some(tls) = find_tls_error(e) {
        return from_tls(tls);
    }
    if e.is_connect() {
        EndpointError::Unreachable
    } else if e.is_decode() {
        EndpointError::Malformed
    } else {
        // A timeout, a reset or a closed connection after the handshake, or a body cut short.
        EndpointError::Unavailable { status: None }
    }
}

fn from_tls(e: &rustls::Error) -> EndpointError {
    let problem = match e {
        rustls::Error::InvalidCertificate(CertificateError::ApplicationVerificationFailure) => {
            return EndpointError::PinMismatch
        }
        rustls::Error::InvalidCertificate(c) => match c {
            CertificateError::Expired
            | CertificateError::ExpiredContext { .. }
            | CertificateError::NotValidYet
            | CertificateError::NotValidYetContext { .. } => TrustProblem::Expired,
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
                TrustProblem::WrongHost
            }
            CertificateError::UnknownIssuer => TrustProblem::UnknownIssuer,
            _ => TrustProblem::Other,
        },
        rustls::Error::PeerIncompatible(_) => TrustProblem::OldProtocol,
        rustls::Error::AlertReceived(alert) => match alert {
            AlertDescription::ProtocolVersion
            | AlertDescription::InsufficientSecurity
            | AlertDescription::HandshakeFailure => TrustProblem::OldProtocol,
            AlertDescription::CertificateRequired
            | AlertDescription::BadCertificate
            | AlertDescription::UnknownCA
            | AlertDescription::CertificateUnknown
            | AlertDescription::AccessDenied => TrustProblem::ClientCertificateRefused,
            _ => TrustProblem::Other,
        },
        _ => TrustProblem::Other,
    };
    EndpointError::NotTrusted { problem }
}

/// The rustls error anywhere in `e`'s chain. `io::Error` hides its payload from `source()`, so
/// it is opened explicitly.
fn find_tls_error<'a>(e: &'a (dyn std::error::Error + 'static)) -> Option<&'a rustls::Error> {
    let mut next: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = next {
        if let Some(tls) = err.downcast_ref::<rustls::Error>() {
            return Some(tls);
        }
        if let Some(io) = err.downcast_ref::<std::io::Error>() {
            if let Some(inner) = io.get_ref() {
                if let Some(tls) = find_tls_error(inner) {
                    return Some(tls);
                }
            }
        }
        next = err.source();
    }
    None
}

#[cfg(test)]
pub(crate) fn classify_tls_for_tests(e: &rustls::Error) -> EndpointError {
    from_tls(e)
}

#[cfg(test)]
impl Endpoint {
    pub(crate) fn url_for_tests(&self, path: &str) -> Result<reqwest::Url, EndpointError> {
        self.url(path)
    }
}
