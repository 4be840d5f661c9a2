//! When a trust's policy counts as newly in force, for the audit trail: the phone keeps a policy
//! of a version other than the one it kept before (the first policy, or a higher version). The
//! same version read again (MDM's values at every start, the kept policy) is not a new policy,
//! and a refused one leaves the kept policy, and so its version, in force: neither is recorded.
//! So each version that comes into force is recorded once, as [`Event::PolicyApplied`]; and a new
//! log (the phone's first, or the first after a wipe) begins by naming the policy in force.

use super::ward::Ward;
use crate::audit::Event;
use crate::Error;

/// How the policy reached the phone, as the audit trail names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyOrigin {
    /// MDM's managed configuration (Android restrictions, iOS AppConfig): `mdm`.
    Mdm,
    /// A signed provisioning code pasted or scanned on the set-up screen: `code`.
    Code,
    /// A signed provisioning code in a file named at start (`--provision=FILE`): `file`.
    File,
}

impl PolicyOrigin {
    /// Its name in the trail.
    pub fn as_str(self) -> &'static str {
        match self {
            PolicyOrigin::Mdm => "mdm",
            PolicyOrigin::Code => "code",
            PolicyOrigin::File => "file",
        }
    }
}

/// The version that came into force, if one did: `now` is in force and is not the version kept
/// before the offer (`before`). Versions only go up (`crate::policy::store`), so "other" is "new".
pub fn newly_in_force(before: Option<u64>, now: Option<u64>) -> Option<u64> {
    now.filter(|&v| before != Some(v))
}

impl Ward {
    /// Records [`Event::PolicyApplied`] if a new policy came into force ([`newly_in_force`]):
    /// `before` is the version kept before a policy was offered, `now` the version in force after
    /// (`Provisioning::kept_version` and `Provisioning::version`). Returns whether it recorded.
    /// Works locked, and before the phone's first vault (the entry waits for its log). Call it
    /// for every offer, new or not: the policy in force also begins every new log (the first
    /// set-up, or the one after a wipe), so it is named even if WardCam stopped before a waiting
    /// entry could join a log.
    pub fn policy_applied(
        &self,
        before: Option<u64>,
        now: Option<u64>,
        origin: PolicyOrigin,
    ) -> Result<bool, Error> {
        if let Some(v) = now {
            self.lock()?.trail.note_policy(v, origin);
        }
        let Some(version) = newly_in_force(before, now) else {
            return Ok(false);
        };
        self.audit_event(Event::PolicyApplied {
            version,
            source: origin.as_str().to_owned(),
        })?;
        Ok(true)
    }
}
