//! Labelling photos before they leave the Review screen: the body site (SNOMED CT), its laterality
//! and a short description. A photo without a body site cannot be queued: the record needs to say
//! what it shows, and "left" or "right" must never be guessed from the picture.

mod body_site;
mod error;
mod label;

pub use body_site::{find, search, BodySite, BODY_SITES, COMMON_SITES};
pub use error::ReviewError;
pub use label::{check_ready_to_queue, Label, Laterality, MAX_DESCRIPTION_CHARS};
