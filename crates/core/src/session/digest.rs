//! The digest that ties a photo to the consent it was taken under. It lives with the session's
//! vocabulary (the session carries it) so that `session` does not depend on `consent`; `consent`
//! computes it and re-exports it.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// SHA-256 of a consent record's canonical form
/// ([`ConsentRecord::sha256`](crate::consent::ConsentRecord::sha256)). Bound into every photo taken
/// under the consent, so the record system can tell which consent covers which photo. Written as
/// 64 lower-case hex digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct ConsentDigest(pub [u8; 32]);

impl ConsentDigest {
    /// The digest as 64 lower-case hex digits.
    pub fn hex(&self) -> String {
        hex::encode(self.0)
    }
}

impl fmt::Display for ConsentDigest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.hex())
    }
}

impl fmt::Debug for ConsentDigest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ConsentDigest({})", self.hex())
    }
}

impl Serialize for ConsentDigest {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.hex())
    }
}

impl<'de> Deserialize<'de> for ConsentDigest {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        let mut out = [0u8; 32];
        hex::decode_to_slice(&s, &mut out).map_err(serde::de::Error::custom)?;
        Ok(ConsentDigest(out))
    }
}
