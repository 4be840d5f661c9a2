//! What the outbox does after one request to a destination (the PACS, the FHIR record), and the
//! sorting both clients share: timeouts by size, and the HTTP answers that mean the same whatever
//! was sent (this device's settings, the server's load).

use std::marker::PhantomData;
use std::time::Duration;

use zeroize::Zeroizing;

use crate::endpoint::{
    Answer, Endpoint, EndpointConfig, EndpointError, Method, Request, RetryAfter,
};
use crate::visit::Problem;

/// How long a request may take: `base`, plus `per_mib` for each MiB sent or read back (a phone on
/// a weak ward Wi-Fi may manage 1 Mbit/s).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// For any request.
    pub base: Duration,
    /// Added per MiB of body.
    pub per_mib: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            base: Duration::from_secs(30),
            per_mib: Duration::from_secs(10),
        }
    }
}

impl Timeouts {
    /// The timeout for a request moving `len` bytes.
    pub(crate) fn for_len(&self, len: usize) -> Duration {
        let mib = u32::try_from(len.div_ceil(1 << 20)).unwrap_or(u32::MAX);
        self.base.saturating_add(self.per_mib.saturating_mul(mib))
    }
}

/// A delivery destination reached through the pinned endpoint client: its endpoint and timeouts.
/// `K` is the protocol, and each protocol adds its own requests: [`crate::delivery::Pacs`]
/// (DICOMweb) and [`crate::delivery::fhir::FhirRecord`] (FHIR R4).
#[derive(Debug, Clone)]
pub struct Destination<K> {
    pub(crate) endpoint: Endpoint,
    pub(crate) timeouts: Timeouts,
    protocol: PhantomData<K>,
}

/// DICOMweb: the PACS.
#[derive(Debug, Clone, Copy)]
pub struct Dicomweb;

/// FHIR R4: the record.
#[derive(Debug, Clone, Copy)]
pub struct Fhir;

impl<K> Destination<K> {
    /// A destination at `endpoint` (its base address: the DICOMweb root, or the FHIR base such as
    /// `…/fhir/R4`) with the default [`Timeouts`].
    pub fn new(endpoint: Endpoint) -> Self {
        Destination {
            endpoint,
            timeouts: Timeouts::default(),
            protocol: PhantomData,
        }
    }

    /// A destination from a provisioned endpoint configuration.
    pub fn from_config(config: &EndpointConfig) -> Result<Self, EndpointError> {
        Ok(Self::new(Endpoint::new(config)?))
    }

    /// The same destination with other timeouts (tests of a stalling server use short ones).
    pub fn with_timeouts(mut self, timeouts: Timeouts) -> Self {
        self.timeouts = timeouts;
        self
    }

    /// The base address.
    pub fn base_url(&self) -> &str {
        self.endpoint.base_url()
    }

    /// The endpoint (for the Device screen's pin and certificate lines).
    pub fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    /// POSTs `body` to `path` (below the base), with a timeout for its size, and returns the
    /// answer, or the outcome when it is one every photo would meet (a failed exchange, this
    /// device's settings, the server's load: see [`server_wide`]).
    pub(crate) async fn post<T>(
        &self,
        path: &str,
        content_type: &str,
        accept: &str,
        body: Zeroizing<Vec<u8>>,
        max_reply: usize,
    ) -> Result<Answer, Outcome<T>> {
        self.send(Method::Post, path, content_type, accept, body, max_reply)
            .await
    }

    /// Sends `body` to `path` with `method` (POST, PUT), as [`Destination::post`] does.
    pub(crate) async fn send<T>(
        &self,
        method: Method,
        path: &str,
        content_type: &str,
        accept: &str,
        body: Zeroizing<Vec<u8>>,
        max_reply: usize,
    ) -> Result<Answer, Outcome<T>> {
        let timeout = self.timeouts.for_len(body.len());
        let answer = self
            .endpoint
            .exchange(Request {
                method,
                path,
                content_type: Some(content_type),
                accept,
                body,
                timeout,
                max_reply,
            })
            .await
            .map_err(|e| endpoint_retry(e, None))?;
        match server_wide(answer.status, answer.retry_after) {
            Some(wait) => Err(wait),
            None => Ok(answer),
        }
    }

    /// GETs a copy read back from `path`, at most `max_reply` bytes, and returns a 200 answer, or
    /// the outcome when there is none to compare: a reply over `max_reply` cannot be what was sent
    /// (`Done(false)`), a status in `gone` means the server does not hold it (`NotOnServer`), and
    /// any other status or failure waits, server-wide.
    pub(crate) async fn fetch_copy(
        &self,
        path: &str,
        accept: &str,
        max_reply: usize,
        gone: &[u16],
    ) -> Result<Answer, Outcome<bool>> {
        let answer = self
            .endpoint
            .exchange(Request {
                method: Method::Get,
                path,
                content_type: None,
                accept,
                body: Zeroizing::new(Vec::new()),
                timeout: self.timeouts.for_len(max_reply),
                max_reply,
            })
            .await
            .map_err(|e| match e {
                EndpointError::Malformed => Outcome::Done(false),
                e => endpoint_retry(e, None),
            })?;
        match answer.status {
            200 => Ok(answer),
            status if gone.contains(&status) => Err(Outcome::NotOnServer),
            status => Err(server_wide(status, answer.retry_after)
                .unwrap_or_else(|| endpoint_retry(EndpointError::from_status(status), None))),
        }
    }
}

/// What the outbox does after one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome<T> {
    /// It worked.
    Done(T),
    /// Try again later. `server_wide` problems (unreachable, untrusted, overloaded, this
    /// device's settings) stop the rest of the drain too: every photo would meet them.
    Retry {
        /// Why, in words.
        problem: Problem,
        /// The server's `Retry-After`, if it gave one.
        after: Option<RetryAfter>,
        /// Whether every photo would meet it.
        server_wide: bool,
    },
    /// The server does not hold the photo after all (read-back found nothing): send it again.
    NotOnServer,
    /// Stop this photo until a person acts.
    Hold(Problem),
}

impl<T> Outcome<T> {
    /// The same outcome, what `Done` carries changed by `f`.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Outcome<U> {
        match self {
            Outcome::Done(t) => Outcome::Done(f(t)),
            Outcome::Retry {
                problem,
                after,
                server_wide,
            } => Outcome::Retry {
                problem,
                after,
                server_wide,
            },
            Outcome::NotOnServer => Outcome::NotOnServer,
            Outcome::Hold(p) => Outcome::Hold(p),
        }
    }
}

pub(crate) fn problem(code: &str, message: impl std::fmt::Display) -> Problem {
    Problem {
        code: code.to_owned(),
        message: message.to_string(),
    }
}

/// An endpoint failure: nothing is held for these, since none is about the photo itself.
pub(crate) fn endpoint_retry<T>(e: EndpointError, after: Option<RetryAfter>) -> Outcome<T> {
    Outcome::Retry {
        problem: problem(e.code(), e),
        after,
        server_wide: true,
    }
}

/// A reply WardCam cannot use from `server` ("hospital image server", "hospital record"):
/// nothing is deleted, and every photo would meet it.
pub(crate) fn unreadable<T>(
    server: &str,
    code: &str,
    detail: impl std::fmt::Display,
) -> Outcome<T> {
    Outcome::Retry {
        problem: problem(code, format_args!("The {server}'s reply could not be read ({detail}). Nothing was deleted; WardCam will try again. Tell IT if it persists.")),
        after: None,
        server_wide: true,
    }
}

/// The answers that mean the same to every destination, whatever was sent: 401, 403, 404 and 405
/// are this device's credential or address, 408, 429 and 5xx the server's load (with its
/// `Retry-After`). Both wait, server-wide. `None` for any other status: the caller's to read.
pub(crate) fn server_wide<T>(status: u16, retry_after: Option<RetryAfter>) -> Option<Outcome<T>> {
    match status {
        401 | 403 | 404 | 405 => Some(endpoint_retry(EndpointError::from_status(status), None)),
        408 | 429 | 500..=599 => Some(endpoint_retry(
            EndpointError::Unavailable {
                status: Some(status),
            },
            retry_after,
        )),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    #[test]
    fn timeouts_grow_with_the_body() {
        let t = Timeouts {
            base: Duration::from_secs(3),
            per_mib: Duration::from_secs(2),
        };
        assert_eq!(t.for_len(0), Duration::from_secs(3));
        assert_eq!(t.for_len(1), Duration::from_secs(5));
        assert_eq!(t.for_len(5 << 20), Duration::from_secs(13));
    }

    #[test]
    fn settings_and_load_wait_server_wide_and_the_rest_is_the_callers() {
        let after = Some(RetryAfter::Seconds(7));
        for status in [401, 403, 404, 405] {
            match server_wide::<()>(status, after) {
                Some(Outcome::Retry {
                    after: None,
                    server_wide: true,
                    problem,
                }) => assert_eq!(problem.code, EndpointError::from_status(status).code()),
                other => panic!("{status}: {other:?}"),
            }
        }
        for status in [408, 429, 500, 503, 599] {
            match server_wide::<()>(status, after) {
                Some(Outcome::Retry {
                    after: Some(RetryAfter::Seconds(7)),
                    server_wide: true,
                    problem,
                }) => assert_eq!(problem.code, "endpoint.unavailable"),
                other => panic!("{status}: {other:?}"),
            }
        }
        for status in [200, 201, 202, 204, 400, 409, 410, 413, 415, 422] {
            assert!(server_wide::<()>(status, after).is_none(), "{status}");
        }
    }
}
