//! The ward behind the key gate ([`crate::auth::gate`]): the shell's product path.
//!
//! With a gate in place the vault is open only while the session is unlocked. Unlocking with the
//! clinician's credential releases the master key, opens the vault and reads everything back from
//! it, as after a restart ([`Ward::attach_vault`]); any lock (the Lock button, idle, background)
//! shuts it again and forgets what was read ([`Inner::forget_if_locked`](super::ward)). So a lost
//! or borrowed phone holds neither the key nor a patient's details in memory once locked, and no
//! command that needs the vault can run: each gets [`SessionError::Locked`].
//!
//! Delivery pauses with it: a photo in flight when the app locks finishes the step it is in (its
//! call holds the vault for that step), then the courier finds the vault shut and waits; after the
//! next unlock each photo resumes from its sealed state, exactly as after a crash.

use std::path::PathBuf;
use std::sync::Arc;

use zeroize::Zeroizing;

use super::ward::Ward;
use crate::audit::Event as AuditEvent;
use crate::auth::{GateStatus, KeyGate};
use crate::device::{PlatformRelease, ReleaseAction, ReleaseContext};
use crate::session::{SessionError, SessionView};
use crate::vault::hazmat::MasterKey;
use crate::vault::{Vault, VaultError};
use crate::Error;

/// Where the gated vault lives and the gate over its key.
#[derive(Debug)]
pub(crate) struct GateSlot {
    pub(super) dir: PathBuf,
    pub(super) gate: KeyGate,
}

impl Ward {
    /// Puts the vault in `dir` behind `gate`, once, before anything opens it: from now on it opens
    /// only with [`Ward::set_up`] or [`Ward::unlock_with_pin`] and shuts at every lock.
    pub fn use_key_gate(&self, dir: PathBuf, gate: KeyGate) -> Result<(), Error> {
        let mut inner = self
            .inner
            .lock()
            .map_err(|_| misuse("the ward's lock was poisoned"))?;
        if inner.vault().is_ok() {
            return Err(misuse("the key gate is set before the vault opens"));
        }
        self.gate
            .set(GateSlot { dir, gate })
            .map_err(|_| misuse("the key gate is set once"))?;
        inner.gated = true;
        // Locked entries (a refused unlock) have somewhere to go before the first unlock.
        if let Some(slot) = self.gate.get() {
            inner.trail.set_dir(&slot.dir);
        }
        Ok(())
    }

    /// What every way of unlocking checks first: a phone without a passcode, or without a trust's
    /// policy, neither spends an attempt nor releases the key; and only a locked session unlocks.
    fn before_unlock(&self) -> Result<(), Error> {
        self.check_policy_gate()?;
        self.check_wipe_gate()?;
        self.check_passcode_gate()?;
        if !self.is_locked()? {
            return Err(SessionError::AlreadyUnlocked.into());
        }
        Ok(())
    }

    fn slot(&self) -> Result<&GateSlot, Error> {
        self.gate.get().ok_or(misuse("no key gate in this ward"))
    }

    /// Whether a credential is set, and how long before the next attempt is taken.
    pub fn gate_status(&self) -> Result<GateStatus, Error> {
        let slot = self.slot()?;
        slot.gate.status(&slot.dir, self.clock.wall())
    }

    /// The first start (or the first since the gate came): sets the clinician's credential and
    /// name, opens (or creates) the vault and unlocks. Refused once a credential is set.
    pub fn set_up(&self, pin: &Zeroizing<String>, name: &str) -> Result<SessionView, Error> {
        // The name is checked first, so a bad one does not leave a vault without it.
        super::pins::clinician_name(name)?;
        self.before_unlock()?;
        let slot = self.slot()?;
        let vault = Arc::new(slot.gate.set_up(&slot.dir, pin)?);
        self.open_with(vault, "pin", |ward, vault| {
            ward.pins()?.replace(vault, pin, name, ward.clock.wall())
        })
    }

    /// Unlocks with the clinician's credential: the gate releases the key (or refuses, or says
    /// how long to wait), the vault opens and is read back, and the session unlocks.
    pub fn unlock_with_pin(&self, pin: &Zeroizing<String>) -> Result<SessionView, Error> {
        self.before_unlock()?;
        let slot = self.slot()?;
        let vault = slot
            .gate
            .unlock(&slot.dir, pin, self.clock.wall())
            .inspect_err(|e| self.unlock_refused(e))?;
        self.open_with(Arc::new(vault), "pin", |_, _| Ok(()))
    }

    /// Unlocks with what the platform answered when asked to release the key (phones): core
    /// decides ([`ReleaseAction::decide`]) whether that unlocks, needs the first set-up, stays
    /// locked with a word for the clinician, falls back to the PIN, or blocks. The native side
    /// only answers; a key that does not open the vault is refused by the vault itself.
    pub fn unlock_with_platform(&self, answer: PlatformRelease) -> Result<PlatformUnlock, Error> {
        self.before_unlock()?;
        let slot = self.slot()?;
        let status = slot.gate.status(&slot.dir, self.clock.wall())?;
        let context = ReleaseContext {
            vault_exists: Vault::keystore_name_in(&slot.dir)?.is_some(),
            // The clinician's PIN stays the way back while the gate holds one.
            pin_fallback: status.set_up,
        };
        Ok(match ReleaseAction::decide(answer, context) {
            ReleaseAction::Unlock(master) => {
                let vault = slot
                    .gate
                    .open_released(&slot.dir, master)
                    .inspect_err(|e| self.unlock_refused(e))?;
                PlatformUnlock::Unlocked(
                    self.open_with(Arc::new(vault), "platform", |_, _| Ok(()))?,
                )
            }
            ReleaseAction::SetUp => PlatformUnlock::SetUp,
            ReleaseAction::StayLocked(notice) => PlatformUnlock::StayLocked {
                message: notice.message(),
            },
            ReleaseAction::FallBackToPin { notice, re_enrol } => PlatformUnlock::UsePin {
                message: notice.message(),
                re_enrol,
            },
            ReleaseAction::Block(notice) => PlatformUnlock::Blocked {
                message: notice.message(),
            },
        })
    }

    /// The master key, released with the clinician's PIN (the same limiter as an unlock), for the
    /// shell to hand to the platform's keystore so the phone's own lock can release it next time.
    /// Only while unlocked: enrolment follows a PIN unlock.
    pub fn release_for_platform(&self, pin: &Zeroizing<String>) -> Result<MasterKey, Error> {
        if self.is_locked()? {
            return Err(SessionError::Locked.into());
        }
        let slot = self.slot()?;
        slot.gate
            .release_for_enrolment(&slot.dir, pin, self.clock.wall())
    }

    /// Attaches the released vault, runs `then` on it, and unlocks the session; on any failure
    /// the vault is shut again. The unlock is audited as `method` (after the locked entries the
    /// journal folds in as it opens).
    fn open_with(
        &self,
        vault: Arc<Vault>,
        method: &'static str,
        then: impl FnOnce(&Ward, &Vault) -> Result<(), Error>,
    ) -> Result<SessionView, Error> {
        let result = self
            .attach_vault(Arc::clone(&vault))
            .and_then(|_| then(self, &vault))
            .and_then(|()| self.unlock_released());
        drop(vault);
        match &result {
            Ok(_) => {
                if let Ok(mut inner) = self.inner.lock() {
                    inner.audit(AuditEvent::Unlocked {
                        method: method.to_owned(),
                    });
                }
            }
            Err(_) => {
                if let Ok(mut inner) = self.inner.lock() {
                    self.forget_if_locked(&mut inner);
                }
            }
        }
        result
    }

    /// A credential the gate refused (wrong PIN, a wait, a key that does not open the vault):
    /// recorded by its code, sealed to the audit public key while the vault is shut.
    fn unlock_refused(&self, e: &Error) {
        if let Ok(mut inner) = self.inner.lock() {
            inner.audit(AuditEvent::UnlockRefused {
                code: e.code().to_owned(),
            });
        }
    }
}

/// What an unlock through the platform came to, for the lock screen.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum PlatformUnlock {
    /// The platform released the key and the session is unlocked.
    Unlocked(SessionView),
    /// No vault yet: the first start sets the clinician's PIN and name.
    SetUp,
    /// Still locked (cancelled, not recognised, paused by the platform): try again.
    StayLocked {
        /// What to tell the clinician.
        message: &'static str,
    },
    /// The platform cannot release the key now: unlock with the PIN (and, with `re_enrol`, hand
    /// the key to the platform again afterwards).
    UsePin {
        /// What to tell the clinician.
        message: &'static str,
        /// Store the key with the platform again after the PIN unlock.
        re_enrol: bool,
    },
    /// Nothing can unlock this way, and there is no PIN to fall back on.
    Blocked {
        /// What to tell the clinician.
        message: &'static str,
    },
}

fn misuse(what: &'static str) -> Error {
    Error::Vault(VaultError::ApiMisuse(what))
}
