//! What the platform reports, taken by the [`Ward`]: the lock-screen report the passcode gate
//! judges ([`crate::device`]), held in the session so that every unlock, whichever way it comes,
//! is refused while the gate blocks.

use super::ward::Ward;
use crate::device::{LockScreenReport, PasscodeStatus};
use crate::session::LockReason;
use crate::Error;

impl Ward {
    /// Judges the platform's lock-screen report against the passcode policy and hands the decision
    /// to the session. **The shell reports at start, before it serves any command, and again each
    /// time the app returns to the foreground** (the passcode may have been removed meanwhile).
    ///
    /// A report that blocks locks the session at once and forgets a half-identified patient, as
    /// any lock does; while it blocks, every unlock is refused
    /// ([`SessionError::PasscodeRequired`](crate::session::SessionError::PasscodeRequired)), and
    /// so is everything that needs the session unlocked: the camera, the patient, the vault's
    /// photos. A later report that allows it leaves the session locked: the clinician unlocks.
    pub fn report_lock_screen(&self, report: LockScreenReport) -> Result<PasscodeStatus, Error> {
        // The trust's minimum (the default requires any passcode).
        let status = PasscodeStatus::decide(report, &self.passcode_policy);
        self.lock()?.session.report_passcode(status);
        if !status.allows_unlock() {
            // The session is locked already; this clears what the ward keeps beside it.
            self.lock_now(LockReason::Background)?;
        }
        Ok(status)
    }

    /// The passcode gate's latest decision, for the UI; `None` before the platform has reported.
    pub fn passcode(&self) -> Result<Option<PasscodeStatus>, Error> {
        Ok(self.lock()?.session.passcode())
    }

    /// Refuses with [`SessionError::PasscodeRequired`](crate::session::SessionError::PasscodeRequired)
    /// while the passcode gate blocks. The session refuses the unlock itself; this lets an unlock
    /// with a credential refuse before the slow part (deriving the key, opening the vault), so a
    /// blocked phone neither releases the key nor spends an attempt.
    pub fn check_passcode_gate(&self) -> Result<(), Error> {
        match self.passcode()? {
            Some(status) if !status.allows_unlock() => {
                Err(crate::session::SessionError::PasscodeRequired.into())
            }
            _ => Ok(()),
        }
    }
}
