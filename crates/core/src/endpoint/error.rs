//! Why a request to the trust's endpoint failed, sorted into the classes the record check and
//! delivery decide on. Only [`EndpointError::Unreachable`] means "the server could not be reached";
//! every other class is an answer (or a refusal) from something that did answer.

/// What was wrong with the server's certificate or the TLS handshake.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum TrustProblem {
    /// Not issued by an authority this device was provisioned to trust.
    UnknownIssuer,
    /// Expired, or not valid yet.
    Expired,
    /// Issued for another server name.
    WrongHost,
    /// The server offered only a TLS version or cipher older than this device accepts.
    OldProtocol,
    /// The server refused this device's client certificate (or asked for one it does not have).
    ClientCertificateRefused,
    /// Any other certificate or handshake failure.
    Other,
}

impl TrustProblem {
    fn words(self) -> &'static str {
        match self {
            TrustProblem::UnknownIssuer => {
                "its certificate is not from the authority this device trusts"
            }
            TrustProblem::Expired => "its certificate has expired or is not valid yet",
            TrustProblem::WrongHost => "its certificate is for another server",
            TrustProblem::OldProtocol => "it offers only an outdated, insecure connection",
            TrustProblem::ClientCertificateRefused => "it refused this device's certificate",
            TrustProblem::Other => "the secure connection failed",
        }
    }
}

impl std::fmt::Display for TrustProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.words())
    }
}

/// A request to the trust's endpoint that did not give a usable answer. `Copy` and free of any
/// request or reply content, so it can be kept in a sealed record or shown without leaking.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum EndpointError {
    /// No route, connection refused, DNS failure, or a timeout before the TLS handshake completed.
    #[error("The hospital server could not be reached. Check the phone's Wi-Fi; WardCam will try again.")]
    Unreachable,
    /// The server's certificate or handshake failed validation against the provisioned anchors.
    #[error("Hospital server not trusted - tell IT ({problem}). Nothing was sent.")]
    NotTrusted {
        /// What failed.
        problem: TrustProblem,
    },
    /// A certificate from a trusted authority, but not for a key this device was provisioned to pin.
    #[error("Hospital server not trusted - tell IT (its key is not one this device was set up for). Nothing was sent.")]
    PinMismatch,
    /// The server answered 5xx or 429, or stopped answering after the connection was made.
    #[error("The hospital server is not answering properly right now{}. Try again shortly; tell IT if it persists.", status_words(.status))]
    Unavailable {
        /// The HTTP status, when there was one (none for a stall or a broken connection).
        status: Option<u16>,
    },
    /// The server sent something that is not a reply WardCam can read (or one too large).
    #[error("The hospital server sent a reply WardCam cannot read, so it was not used. Tell IT.")]
    Malformed,
    /// The server refused the request (4xx other than 429): usually this device's settings or
    /// credentials.
    #[error("The hospital server refused WardCam's request (HTTP {status}). Tell IT: this device's settings may be wrong.")]
    Rejected {
        /// The HTTP status.
        status: u16,
    },
    /// The server tried to send WardCam to another address; WardCam only talks to the one it was
    /// provisioned with.
    #[error("The hospital server tried to redirect WardCam elsewhere (HTTP {status}), so nothing was sent there. Tell IT.")]
    Redirected {
        /// The HTTP status.
        status: u16,
    },
    /// The endpoint configuration cannot be used.
    #[error("This device's hospital server settings are invalid ({field}). Ask IT to check the device's configuration.")]
    ConfigInvalid {
        /// Which setting is at fault.
        field: &'static str,
    },
}

/// " (HTTP 503)", or nothing when there was no status; for messages.
pub(crate) fn status_words(status: &Option<u16>) -> String {
    status.map(|s| format!(" (HTTP {s})")).unwrap_or_default()
}

impl EndpointError {
    /// A stable, dotted machine code.
    pub fn code(&self) -> &'static str {
        match self {
            EndpointError::Unreachable => "endpoint.unreachable",
            EndpointError::NotTrusted { .. } => "endpoint.not_trusted",
            EndpointError::PinMismatch => "endpoint.pin_mismatch",
            EndpointError::Unavailable { .. } => "endpoint.unavailable",
            EndpointError::Malformed => "endpoint.malformed",
            EndpointError::Rejected { .. } => "endpoint.rejected",
            EndpointError::Redirected { .. } => "endpoint.redirected",
            EndpointError::ConfigInvalid { .. } => "endpoint.config_invalid",
        }
    }

    /// Every code [`Self::code`] returns, for the list the shell sends the UI (checked against
    /// `ui/src/lib/errors/codes.ts`); a test builds every variant and finds its code here.
    pub const CODES: &'static [&'static str] = &[
        "endpoint.unreachable",
        "endpoint.not_trusted",
        "endpoint.pin_mismatch",
        "endpoint.unavailable",
        "endpoint.malformed",
        "endpoint.rejected",
        "endpoint.redirected",
        "endpoint.config_invalid",
    ];

    /// Sorts a non-2xx HTTP status.
    pub(crate) fn from_status(status: u16) -> EndpointError {
        match status {
            300..=399 => EndpointError::Redirected { status },
            429 | 500..=599 => EndpointError::Unavailable {
                status: Some(status),
            },
            400..=499 => EndpointError::Rejected { status },
            // 1xx that is not an interim reply, or a status HTTP does not define.
            _ => EndpointError::Malformed,
        }
    }
}
