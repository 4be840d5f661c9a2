//! The trust's policy, taken by the [`Ward`] once at start: the session's idle lock, the passcode
//! minimum, how identifiers may be entered, whether unverified visits may go on, the consent
//! text; and whether anything may unlock at all (no policy yet, a suspended trust, an app older
//! than the trust allows). A new policy takes effect at the next start (`docs/provisioning.md`).

use super::ward::Ward;
use crate::patient::{confirm_manual_entry, read_scan, NhsNumber, PatientPolicy, WristbandData};
use crate::policy::{Policy, PolicyError};
use crate::Error;

impl Ward {
    /// Applies a checked `policy` to a new ward (before it is shared), for an app of version
    /// `running`. A suspended policy, or one needing a newer app, lets nothing unlock.
    ///
    /// The session's idle lock comes from [`Policy::session_policy`], given to [`Ward::new`].
    pub fn under_policy(mut self, policy: &Policy, running: &str) -> Result<Ward, PolicyError> {
        self.patient_policy = policy.patient_policy()?;
        self.passcode_policy = policy.passcode_policy();
        self.retention_policy = policy.retention;
        self.policy_in_force = Some(super::status::PolicyInForce::of(policy));
        if let Some(text) = policy.consent_text() {
            self.text = Ok(text);
        }
        if let Ok(inner) = self.inner.get_mut() {
            inner.record_policy = policy.record_policy();
        }
        self.admission = policy.admits_app(running).err();
        Ok(self)
    }

    /// A ward that must not unlock, and why: no trust has provisioned the phone
    /// ([`PolicyError::NotProvisioned`]), or its stored policy cannot be used.
    pub fn refusing(mut self, why: PolicyError) -> Ward {
        self.admission = Some(why);
        self
    }

    /// Why the trust's policy lets nothing unlock, if it does not.
    pub fn policy_block(&self) -> Option<&PolicyError> {
        self.admission.as_ref()
    }

    /// Refuses every unlock while the policy blocks (checked before the key gate spends an
    /// attempt or derives a key).
    pub fn check_policy_gate(&self) -> Result<(), Error> {
        match &self.admission {
            Some(why) => Err(why.clone().into()),
            None => Ok(()),
        }
    }

    /// The trust's rules for reading identifiers.
    pub fn patient_policy(&self) -> &PatientPolicy {
        &self.patient_policy
    }

    /// Reads a scanned (or pasted) wristband under the trust's rules
    /// ([`read_scan`](crate::patient::read_scan)).
    pub fn read_scan(&self, payload: &str, via_camera: bool) -> Result<WristbandData, Error> {
        Ok(read_scan(payload, &self.patient_policy, via_camera)?)
    }

    /// Reads an NHS number typed twice, where the trust allows typing one.
    pub fn read_typed(&self, first: &str, second: &str) -> Result<NhsNumber, Error> {
        self.patient_policy.check_typed_entry()?;
        Ok(confirm_manual_entry(first, second)?)
    }
}
