//! The server certificate check: the provisioned authorities vouch for the chain, name and dates
//! (rustls's WebPKI verifier), and then the leaf's key must be one of the pinned keys. Either
//! alone is not enough: an authority can sign for a TLS-inspection box, and a pin alone would
//! accept an expired or misnamed certificate.

use std::sync::{Arc, Mutex};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, SignatureScheme};

use super::config::SpkiPin;

/// What the last successful handshake showed of the pinned certificate.
#[derive(Debug, Default)]
pub(crate) struct Seen {
    /// The leaf's `notAfter`, Unix seconds.
    pub(crate) not_after: Option<i64>,
}

#[derive(Debug)]
pub(crate) struct PinnedVerifier {
    pub(crate) chain: Arc<WebPkiServerVerifier>,
    pub(crate) pins: Vec<SpkiPin>,
    pub(crate) seen: Arc<Mutex<Seen>>,
}

impl ServerCertVerifier for PinnedVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        self.chain.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        )?;
        // Only the leaf is pinned: the server's current key and its backup. Pinning the
        // authority would let anything it signs through, which is what pins are here to stop.
        let pin = SpkiPin::of_certificate(end_entity).ok_or(rustls::Error::InvalidCertificate(
            CertificateError::BadEncoding,
        ))?;
        if !self.pins.contains(&pin) {
            // Only this verifier raises ApplicationVerificationFailure, so the client can tell a
            // pin mismatch from every other certificate fault.
            return Err(rustls::Error::InvalidCertificate(
                CertificateError::ApplicationVerificationFailure,
            ));
        }
        if let Ok((_, cert)) = x509_parser::parse_x509_certificate(end_entity) {
            if let Ok(mut seen) = self.seen.lock() {
                seen.not_after = Some(cert.validity().not_after.timestamp());
            }
        }
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.chain.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.chain.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.chain.supported_verify_schemes()
    }
}
