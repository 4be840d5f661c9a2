//! The clinician PIN as the visit keeps it: core's salted PBKDF2 [`PinHash`], the clinician's
//! name and the [`PinLimiter`], sealed together in one vault item. The limiter is sealed again
//! after every attempt that changed it, before the answer is given, so a restart never resets the
//! count of wrong PINs. The PIN itself is never stored.

use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::error::VisitError;
use crate::auth::{AuthError, PinHash, PinLimiter, MAX_ATTEMPTS};
use crate::consent::{ConsentError, MAX_NAME_CHARS};
use crate::session::Millis;
use crate::vault::{ItemId, ItemKind, Timestamp, Vault, VaultError};
use crate::Error;

/// What is sealed for the clinician PIN.
#[derive(Clone, Serialize, Deserialize)]
struct StoredPin {
    hash: PinHash,
    clinician: String,
    limiter: PinLimiter,
    /// Bumped on every save: if a crash leaves two items, the higher wins, whatever the wall
    /// clock said when each was sealed (a clock set back must not bring back an older count).
    #[serde(default)]
    revision: u64,
}

/// What the screens may know about the PIN.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PinStatus {
    /// False while the vault is still opening.
    pub ready: bool,
    /// Whether a PIN is set on this device.
    pub set: bool,
    /// The clinician's name (`None` while locked).
    pub clinician: Option<String>,
    /// Wrong attempts since the last right one.
    pub failures: u32,
    /// Too many wrong attempts: the PIN no longer unlocks until it is set again.
    pub disabled: bool,
    /// Whether the session policy lets the development unlock hand the phone back.
    pub development_unlock: bool,
}

/// The PIN as loaded from the vault.
#[derive(Default)]
pub(crate) struct Pins {
    stored: Option<StoredPin>,
    item: Option<ItemId>,
}

impl std::fmt::Debug for Pins {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pins")
            .field("set", &self.stored.is_some())
            .finish_non_exhaustive()
    }
}

/// The clinician's name as typed, trimmed and checked like the consent record will check it.
pub(crate) fn clinician_name(name: &str) -> Result<String, Error> {
    let name = name.trim();
    if name.is_empty() {
        return Err(ConsentError::ClinicianMissing.into());
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(ConsentError::FieldTooLong {
            field: "clinician's name",
            max: MAX_NAME_CHARS,
        }
        .into());
    }
    Ok(name.to_owned())
}

impl Pins {
    /// Reads the PIN items in `items` and keeps the highest revision (a crash between sealing a
    /// new one and shredding the old leaves two); returns the others for the caller to shred.
    pub(crate) fn load(
        vault: &Vault,
        items: Vec<(ItemId, Timestamp)>,
    ) -> Result<(Pins, Vec<ItemId>), Error> {
        let mut best: Option<(u64, ItemId, StoredPin)> = None;
        let mut older = Vec::new();
        for (id, _) in items {
            let bytes = vault.unseal(id)?;
            let stored: StoredPin =
                serde_json::from_slice(&bytes).map_err(|_| Error::from(AuthError::HashInvalid))?;
            match &best {
                Some((r, _, _)) if *r >= stored.revision => older.push(id),
                _ => {
                    if let Some((_, old, _)) = best.replace((stored.revision, id, stored)) {
                        older.push(old);
                    }
                }
            }
        }
        let pins = match best {
            Some((_, item, stored)) => Pins {
                stored: Some(stored),
                item: Some(item),
            },
            None => Pins::default(),
        };
        Ok((pins, older))
    }

    /// The item holding the PIN, which recovery must not treat as unreferenced.
    pub(crate) fn item(&self) -> Option<ItemId> {
        self.item
    }

    /// Seals `stored` as the new PIN item, then shreds the previous one.
    fn save(&mut self, vault: &Vault, mut stored: StoredPin, now: Timestamp) -> Result<(), Error> {
        stored.revision = self.stored.as_ref().map_or(0, |s| s.revision) + 1;
        let json = Zeroizing::new(
            serde_json::to_vec(&stored).map_err(|_| Error::from(AuthError::HashInvalid))?,
        );
        let id = vault.seal(ItemKind::ClinicianPin, &json, None, now)?;
        self.stored = Some(stored);
        if let Some(old) = self.item.replace(id) {
            match vault.delete(old) {
                Ok(()) | Err(VaultError::NotFound) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(())
    }

    /// Sets or replaces the PIN and the clinician's name. Replacing a PIN that still works needs
    /// the current one (checked through the limiter); a disabled PIN may be replaced after the
    /// clinician unlocked the app.
    pub(crate) fn set(
        &mut self,
        vault: &Vault,
        pin: &Zeroizing<String>,
        name: &str,
        old_pin: Option<&Zeroizing<String>>,
        now: Millis,
        wall: Timestamp,
    ) -> Result<(), Error> {
        let name = clinician_name(name)?;
        let working = self
            .stored
            .as_ref()
            .is_some_and(|s| s.limiter.failures() < MAX_ATTEMPTS);
        if working {
            let old = old_pin.ok_or(Error::Visit(VisitError::OldPinRequired))?;
            self.attempt(vault, old, now, wall)?;
        }
        self.replace(vault, pin, &name, wall)
    }

    /// Seals `pin` and the clinician's `name` without asking for the current PIN: for callers
    /// that have just checked the credential themselves (the key gate released the key with it).
    pub(crate) fn replace(
        &mut self,
        vault: &Vault,
        pin: &Zeroizing<String>,
        name: &str,
        wall: Timestamp,
    ) -> Result<(), Error> {
        let name = clinician_name(name)?;
        let hash = PinHash::create(pin)?;
        self.save(
            vault,
            StoredPin {
                hash,
                clinician: name,
                limiter: PinLimiter::new(),
                revision: 0,
            },
            wall,
        )
    }

    /// Tries `pin` at `now` through the rate limiter, sealing the limiter again when it changed.
    pub(crate) fn attempt(
        &mut self,
        vault: &Vault,
        pin: &Zeroizing<String>,
        now: Millis,
        wall: Timestamp,
    ) -> Result<(), Error> {
        let mut stored = self
            .stored
            .clone()
            .ok_or(Error::Visit(VisitError::PinNotSet))?;
        let before = stored.limiter.clone();
        let outcome = stored.limiter.attempt(&stored.hash, pin, now);
        if stored.limiter != before {
            self.save(vault, stored, wall)?;
        }
        outcome.map_err(Error::from)
    }

    /// Whether a PIN is set.
    pub(crate) fn is_set(&self) -> bool {
        self.stored.is_some()
    }

    /// The clinician's name, the one name every record of this phone uses.
    pub(crate) fn clinician(&self) -> Option<String> {
        self.stored.as_ref().map(|s| s.clinician.clone())
    }

    pub(crate) fn status(&self, ready: bool, development_unlock: bool) -> PinStatus {
        let stored = self.stored.as_ref();
        PinStatus {
            ready,
            set: stored.is_some(),
            clinician: stored.map(|s| s.clinician.clone()),
            failures: stored.map_or(0, |s| s.limiter.failures()),
            disabled: stored.is_some_and(|s| s.limiter.failures() >= MAX_ATTEMPTS),
            development_unlock,
        }
    }
}
