//! The one client for every connection to the trust: the record look-up now, delivery next.
//!
//! [`EndpointConfig`] is what provisioning supplies (address, trust anchors, SPKI pins, optional
//! client certificate and credential); [`Endpoint`] is the client built from it; [`EndpointError`]
//! sorts every failure into the classes the callers decide on. Nothing here logs, and no error
//! carries request or reply content.

mod client;
mod config;
mod error;
#[cfg(test)]
mod tests;
mod verifier;

pub use client::{
    CertificateStatus, Endpoint, Method, Reply, Request, CONNECT_TIMEOUT, EXPIRY_WARNING_SECS,
};
pub use config::{Credential, EndpointConfig, SpkiPin};
pub use error::{EndpointError, TrustProblem};
