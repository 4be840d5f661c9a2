//! Sealing for the audit files.
//!
//! - **While unlocked** each chain line is AES-256-GCM under the chain key, which lives sealed in
//!   the vault ([`crate::vault::ItemKind::AuditKey`]).
//! - **While locked** the chain key is not in memory, yet some things still happen (a refused
//!   unlock, a policy applied at start). Such an entry is sealed to the audit public key, which
//!   sits in the clear beside the log: an ephemeral X25519 key (ring) agrees a secret with it, HKDF-
//!   SHA256 turns that into a one-time AES-256-GCM key, and only the static secret in the vault
//!   (x25519-dalek, as ring has no static X25519 keys) can open it at the next unlock.

use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM, NONCE_LEN};
use ring::agreement::{self, EphemeralPrivateKey, UnparsedPublicKey, X25519};
use ring::hkdf::{Salt, HKDF_SHA256};
use ring::rand::{SecureRandom, SystemRandom};
use x25519_dalek::{PublicKey, StaticSecret};
use zeroize::Zeroizing;

use super::error::AuditError;

/// What a sealed line is for, bound into its tag so that a line of one file cannot pass for a
/// line of another (a subject moved into the chain, a cursor moved back).
pub(super) const CHAIN_AAD: &[u8] = b"wardcam audit chain v1";
/// A patient reference kept for the trust's AuditEvents (`subjects.log`).
pub(super) const SUBJECT_AAD: &[u8] = b"wardcam audit subject v1";
/// How far the trust's record holds the chain (`sent`).
pub(super) const SENT_AAD: &[u8] = b"wardcam audit sent v1";
/// How far the chain was verified (`checkpoint`).
pub(super) const CHECKPOINT_AAD: &[u8] = b"wardcam audit checkpoint v1";
const LOCKED_INFO: &[u8] = b"wardcam audit locked entry v1";
/// Ephemeral public key, nonce, tag.
const LOCKED_OVERHEAD: usize = 32 + NONCE_LEN + 16;

fn aes(key: &[u8]) -> Result<LessSafeKey, AuditError> {
    UnboundKey::new(&AES_256_GCM, key)
        .map(LessSafeKey::new)
        .map_err(|_| AuditError::Crypto("make an audit key"))
}

fn random<const N: usize>(rng: &SystemRandom) -> Result<[u8; N], AuditError> {
    let mut out = [0u8; N];
    rng.fill(&mut out)
        .map_err(|_| AuditError::Crypto("read the system's random numbers"))?;
    Ok(out)
}

/// A fresh 32-byte secret.
pub(super) fn fresh_key() -> Result<Zeroizing<[u8; 32]>, AuditError> {
    Ok(Zeroizing::new(random::<32>(&SystemRandom::new())?))
}

/// `plain` sealed under the chain key: nonce, then ciphertext and tag.
pub(super) fn seal_line(key: &[u8; 32], plain: &[u8]) -> Result<Vec<u8>, AuditError> {
    seal_for(key, CHAIN_AAD, plain)
}

/// `plain` sealed under the chain key for the file `aad` names.
pub(super) fn seal_for(key: &[u8; 32], aad: &[u8], plain: &[u8]) -> Result<Vec<u8>, AuditError> {
    let nonce = random::<NONCE_LEN>(&SystemRandom::new())?;
    // Sealed in place: once sealed the buffer holds ciphertext only; wiped should sealing fail.
    let mut buf = Zeroizing::new(plain.to_vec());
    aes(key)?
        .seal_in_place_append_tag(
            Nonce::assume_unique_for_key(nonce),
            Aad::from(aad),
            &mut *buf,
        )
        .map_err(|_| AuditError::Crypto("seal an audit entry"))?;
    let mut out = nonce.to_vec();
    out.extend_from_slice(&buf);
    Ok(out)
}

/// Opens [`seal_line`]'s output; `None` if it is not one (damaged, edited, another key).
pub(super) fn open_line(key: &[u8; 32], sealed: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
    open_for(key, CHAIN_AAD, sealed)
}

/// Opens [`seal_for`]'s output for the same `aad`; `None` otherwise.
pub(super) fn open_for(key: &[u8; 32], aad: &[u8], sealed: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
    if sealed.len() < NONCE_LEN + 16 {
        return None;
    }
    let (nonce, body) = sealed.split_at(NONCE_LEN);
    let nonce = Nonce::try_assume_unique_for_key(nonce).ok()?;
    let mut buf = Zeroizing::new(body.to_vec());
    let len = aes(key)
        .ok()?
        .open_in_place(nonce, Aad::from(aad), &mut buf)
        .ok()?
        .len();
    buf.truncate(len);
    Some(buf)
}

fn locked_key(
    shared: &[u8],
    ephemeral: &[u8],
    recipient: &[u8],
) -> Result<LessSafeKey, AuditError> {
    let mut salt = ephemeral.to_vec();
    salt.extend_from_slice(recipient);
    let mut key = Zeroizing::new([0u8; 32]);
    Salt::new(HKDF_SHA256, &salt)
        .extract(shared)
        .expand(&[LOCKED_INFO], HKDF_SHA256)
        .and_then(|okm| okm.fill(key.as_mut()))
        .map_err(|_| AuditError::Crypto("derive a locked entry's key"))?;
    aes(key.as_ref())
}

/// `plain` sealed to `recipient` (an X25519 public key): ephemeral public key, nonce, ciphertext
/// and tag.
pub(super) fn seal_to(recipient: &[u8; 32], plain: &[u8]) -> Result<Vec<u8>, AuditError> {
    let rng = SystemRandom::new();
    let ephemeral = EphemeralPrivateKey::generate(&X25519, &rng)
        .map_err(|_| AuditError::Crypto("make an ephemeral key"))?;
    let ephemeral_public = ephemeral
        .compute_public_key()
        .map_err(|_| AuditError::Crypto("make an ephemeral key"))?;
    let epk = ephemeral_public.as_ref().to_vec();
    let key = agreement::agree_ephemeral(
        ephemeral,
        &UnparsedPublicKey::new(&X25519, recipient),
        |shared| locked_key(shared, &epk, recipient),
    )
    .map_err(|_| AuditError::Crypto("agree a key with the audit public key"))??;
    let nonce = random::<NONCE_LEN>(&rng)?;
    let mut buf = plain.to_vec();
    key.seal_in_place_append_tag(
        Nonce::assume_unique_for_key(nonce),
        Aad::from(LOCKED_INFO),
        &mut buf,
    )
    .map_err(|_| AuditError::Crypto("seal a locked entry"))?;
    let mut out = epk;
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&buf);
    Ok(out)
}

/// Opens [`seal_to`]'s output with the static secret; `None` if it cannot (another key, damaged).
pub(super) fn open_sealed(secret: &StaticSecret, sealed: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
    if sealed.len() < LOCKED_OVERHEAD {
        return None;
    }
    let (epk, rest) = sealed.split_at(32);
    let (nonce, body) = rest.split_at(NONCE_LEN);
    let mut ephemeral = [0u8; 32];
    ephemeral.copy_from_slice(epk);
    let shared = secret.diffie_hellman(&PublicKey::from(ephemeral));
    // A low-order point agrees an all-zero secret, which anyone could compute: refuse it, as ring
    // does on the sealing side.
    if !shared.was_contributory() {
        return None;
    }
    let recipient = PublicKey::from(secret);
    let key = locked_key(shared.as_bytes(), epk, recipient.as_bytes()).ok()?;
    let mut buf = Zeroizing::new(body.to_vec());
    let len = key
        .open_in_place(
            Nonce::try_assume_unique_for_key(nonce).ok()?,
            Aad::from(LOCKED_INFO),
            &mut buf,
        )
        .ok()?
        .len();
    buf.truncate(len);
    Some(buf)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn pair() -> (StaticSecret, [u8; 32]) {
        let secret = StaticSecret::from(*fresh_key().unwrap());
        let public = *PublicKey::from(&secret).as_bytes();
        (secret, public)
    }

    #[test]
    fn a_locked_entry_opens_only_with_its_secret_and_unaltered() {
        let (secret, public) = pair();
        let sealed = seal_to(&public, b"entry").unwrap();
        assert_eq!(open_sealed(&secret, &sealed).unwrap().as_slice(), b"entry");
        let (other, _) = pair();
        assert!(open_sealed(&other, &sealed).is_none());
        for i in [0, 33, 50, sealed.len() - 1] {
            let mut bad = sealed.clone();
            bad[i] ^= 1;
            assert!(open_sealed(&secret, &bad).is_none(), "flip at {i}");
        }
        assert!(open_sealed(&secret, &sealed[..LOCKED_OVERHEAD - 1]).is_none());
        // A low-order ephemeral key (all zeros) is refused.
        let mut zero = sealed.clone();
        zero[..32].fill(0);
        assert!(open_sealed(&secret, &zero).is_none());
        // Two seals of the same entry differ (fresh ephemeral key and nonce).
        assert_ne!(seal_to(&public, b"entry").unwrap(), sealed);
    }

    #[test]
    fn a_chain_line_opens_only_with_its_key_and_unaltered() {
        let key = fresh_key().unwrap();
        let sealed = seal_line(&key, b"line").unwrap();
        assert_eq!(open_line(&key, &sealed).unwrap().as_slice(), b"line");
        assert!(open_line(&fresh_key().unwrap(), &sealed).is_none());
        let mut bad = sealed.clone();
        bad[NONCE_LEN] ^= 1;
        assert!(open_line(&key, &bad).is_none());
        assert!(open_line(&key, &sealed[..10]).is_none());
    }
}
