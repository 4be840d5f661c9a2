//! The ward's remote wipe ([`crate::wipe`]): checks the request, records the wipe's entry in the
//! audit chain while the chain is open, shreds through the open vault, shuts it, and destroys the
//! rest (keys first, then files) from the key gate's folder and keystore. Locked or unlocked alike.
//!
//! While a wipe is unfinished, or finished and not yet acknowledged on the wiped screen, nothing
//! unlocks or sets up ([`Ward::check_wipe_gate`]): fail closed, and the app shows the wiped state.

use super::pins::Pins;
use super::ward::Ward;
use crate::audit::Event;
use crate::session::LockReason;
use crate::vault::{ItemId, VaultError};
use crate::wipe::{self, Admitted, Authority, WipeError, WipeReport};
use crate::Error;

/// What asks for a wipe.
#[derive(Debug, Clone, Copy)]
pub enum WipeRequest<'a> {
    /// MDM's value of [`wipe::MANAGED_KEY`] (`None` or blank: nothing asked). A value already
    /// applied is not applied again.
    Managed(Option<&'a str>),
    /// A signed `WCW1:` command (scanned or pasted), checked against `authority` (the trust in
    /// force and the provisioning keys) at `now` (Unix seconds).
    Code {
        /// The command.
        code: &'a str,
        /// Who may sign it.
        authority: &'a Authority,
        /// Unix seconds, for its expiry.
        now: u64,
    },
}

fn misuse(what: &'static str) -> Error {
    Error::Vault(VaultError::ApiMisuse(what))
}

impl Ward {
    fn wipe_slot(&self) -> Result<&super::gate::GateSlot, Error> {
        self.gate.get().ok_or(misuse(
            "a remote wipe needs the key gate's folder and keystore",
        ))
    }

    /// At start, once the key gate is set ([`Ward::use_key_gate`]): finishes a wipe that was
    /// killed midway, then applies MDM's request if it is new. Returns the last wipe's report
    /// (`None`: this installation was never wiped).
    pub fn wipe_at_start(&self, managed: Option<&str>) -> Result<Option<WipeReport>, Error> {
        let slot = self.wipe_slot()?;
        wipe::finish(&slot.dir, slot.gate.keystore(), self.clock.wall())?;
        self.wipe(WipeRequest::Managed(managed))?;
        self.wipe_report()
    }

    /// Checks `request` and, if it is for this phone and new, wipes: the vault's every item is
    /// crypto-shredded and its master key removed from the keystore; the policy stays. Returns
    /// the wipe's report, or `None` when MDM asked nothing new. A refused command changes
    /// nothing.
    pub fn wipe(&self, request: WipeRequest<'_>) -> Result<Option<WipeReport>, Error> {
        let slot = self.wipe_slot()?;
        let admitted = match request {
            WipeRequest::Managed(value) => match wipe::admit_managed(&slot.dir, value)? {
                Some(a) => a,
                None => return Ok(None),
            },
            WipeRequest::Code {
                code,
                authority,
                now,
            } => wipe::admit_code(&slot.dir, code, authority, now)?,
        };
        self.run_wipe(&admitted).map(Some)
    }

    fn run_wipe(&self, admitted: &Admitted) -> Result<WipeReport, Error> {
        let slot = self.wipe_slot()?;
        let keys = slot.gate.keystore();
        let report = wipe::begin(&slot.dir, keys, admitted, self.clock.wall())?;
        let open = self.lock()?.vault().ok();
        if let Some(vault) = &open {
            // The chain's key is in memory only while the vault is open: the entry joins the
            // chain now, before the key is destroyed, and the report keeps a copy in clear.
            let event = Event::Wiped {
                source: admitted.source().as_str().to_owned(),
                items: report.items,
            };
            if self.audit_event(event.clone()).is_ok() {
                let entry = self
                    .audit_entries()
                    .ok()
                    .and_then(|entries| entries.into_iter().last())
                    .filter(|e| e.event == event);
                if let Some(entry) = entry {
                    wipe::record_audit(&slot.dir, entry)?;
                }
            }
            // Shredded through the open vault's own connection first, so its log is truncated
            // by the connection that wrote it. Any failure here is made good by `finish`, which
            // destroys the keys without the vault.
            if let Ok(items) = vault.list() {
                let ids: Vec<ItemId> = items.iter().map(|m| m.id).collect();
                let _ = vault.shred_all(&ids);
            }
        }
        drop(open);
        self.lock_now(LockReason::User)?;
        {
            let mut inner = self.lock()?;
            inner.shut_for_wipe();
            *self.pins()? = Pins::default();
        }
        wipe::finish(&slot.dir, keys, self.clock.wall())?
            .ok_or(Error::Wipe(WipeError::RecordDamaged))
    }

    /// The last wipe's report (`None`: never wiped), for the wiped and Device screens and iOS
    /// managed feedback.
    pub fn wipe_report(&self) -> Result<Option<WipeReport>, Error> {
        Ok(wipe::report(&self.wipe_slot()?.dir)?)
    }

    /// This installation's id, which a command for this phone alone names (`None` before the
    /// first set-up).
    pub fn installation_id(&self) -> Result<Option<String>, Error> {
        Ok(wipe::installation_id(&self.wipe_slot()?.dir)?)
    }

    /// The wiped screen was dismissed: WardCam may be set up again (by a new clinician).
    pub fn acknowledge_wipe(&self) -> Result<(), Error> {
        Ok(wipe::acknowledge(&self.wipe_slot()?.dir)?)
    }

    /// Refuses every unlock and set-up while a wipe is unfinished (it resumes at the next start)
    /// or finished and not yet acknowledged (the app shows the wiped state). A ward without a
    /// key gate has nothing to check.
    pub fn check_wipe_gate(&self) -> Result<(), Error> {
        let Some(slot) = self.gate.get() else {
            return Ok(());
        };
        match wipe::report(&slot.dir)? {
            Some(r) if !r.finished() => Err(WipeError::Unfinished.into()),
            Some(r) if !r.acknowledged => Err(WipeError::Wiped.into()),
            _ => Ok(()),
        }
    }
}
