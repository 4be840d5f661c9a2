//! The visit's own identifiers: random, fixed when made, never reused. Delivery derives its DICOM
//! and FHIR identifiers from them, so a retry or a redaction never makes a second record.

use std::fmt;
use std::str::FromStr;

use ring::rand::{SecureRandom, SystemRandom};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::error::VisitError;

macro_rules! random_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(pub [u8; 16]);

        impl $name {
            /// A new random id (122 random bits, formatted as a UUID version 4).
            pub fn random() -> Result<$name, VisitError> {
                let mut bytes = [0u8; 16];
                SystemRandom::new()
                    .fill(&mut bytes)
                    .map_err(|_| VisitError::Random)?;
                Ok($name(*uuid::Builder::from_random_bytes(bytes).as_uuid().as_bytes()))
            }

            /// The session's handle for this id: its first 53 bits, so the number survives the
            /// trip to JavaScript exactly. The session only compares handles, and 53 random bits
            /// do not collide among one phone's visits and photos.
            pub fn handle(&self) -> u64 {
                let mut first = [0u8; 8];
                first.copy_from_slice(&self.0[..8]);
                u64::from_be_bytes(first) >> 11
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                uuid::Uuid::from_bytes(self.0).hyphenated().fmt(f)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!(stringify!($name), "({})"), self)
            }
        }

        impl FromStr for $name {
            type Err = VisitError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                uuid::Uuid::try_parse(s)
                    .map(|u| $name(*u.as_bytes()))
                    .map_err(|_| VisitError::UnknownPhoto)
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                uuid::Uuid::try_parse(&s)
                    .map(|u| $name(*u.as_bytes()))
                    .map_err(serde::de::Error::custom)
            }
        }
    };
}

random_id!(
    /// One confirmed patient's visit: from confirmation until the clinician ends it. A new consent
    /// after a withdrawal stays in the same visit.
    VisitId
);

random_id!(
    /// One photo, from the shutter until it is delivered or shredded. It survives redaction and
    /// every manifest update.
    PhotoId
);
