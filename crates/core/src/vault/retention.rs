//! Retention: crypto-shredding what policy says is too old, with a record of what went.
//!
//! [`Vault::purge_expired`] removes every item created `max_age` or longer before `now`, **whatever
//! its kind or state**, and returns the items it shredded (ids, kinds, times and states; no patient
//! data) for the audit log. Nothing calls it yet. It is a blunt instrument: it would shred photos
//! not yet delivered, their manifests, and the clinician PIN, and it trusts a wall clock the user
//! can wind forward. The retention work must decide per kind and per photo state (from the visit's
//! manifests, never from this function alone), exclude the PIN, and measure age on a clock the user
//! cannot move, before anything calls it.

use std::time::Duration;

use super::error::VaultError;
use super::model::{ItemMeta, Timestamp};
use super::store::Vault;

impl Vault {
    /// Crypto-shreds every item created at or before `now - max_age` (keys in one transaction, then
    /// blobs, rows and the index log) and returns what it shredded, oldest first. Items sealed
    /// after `now` are never touched.
    pub fn purge_expired(
        &self,
        max_age: Duration,
        now: Timestamp,
    ) -> Result<Vec<ItemMeta>, VaultError> {
        let cutoff = now.minus(max_age);
        let expired = self
            .index()?
            .created_before(i64::try_from(cutoff.0).unwrap_or(i64::MAX))?;
        let metas = expired
            .iter()
            .map(super::store::meta_of)
            .collect::<Result<Vec<_>, _>>()?;
        if metas.is_empty() {
            return Ok(metas);
        }
        let ids: Vec<_> = metas.iter().map(|m| m.id).collect();
        self.shred_all(&ids)?;
        Ok(metas)
    }
}
