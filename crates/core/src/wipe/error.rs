//! Why a wipe command was refused, or a wipe could not finish. Each variant has a stable code and
//! a message a device manager can act on. A refused command has wiped nothing.

use thiserror::Error;

use crate::vault::VaultError;

/// A wipe refused or unfinished.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum WipeError {
    /// Not a WardCam wipe command at all.
    #[error("This is not a WardCam wipe command ({detail}). Nothing was wiped. Make it again with wardcam-admin wipe.")]
    Malformed {
        /// Where reading stopped (never a value).
        detail: String,
    },
    /// Signed by a key this phone does not trust.
    #[error("This wipe command was not made by a provisioning key this phone trusts. Nothing was wiped.")]
    UnknownKey,
    /// Changed after it was signed.
    #[error("This wipe command has been altered since it was signed. Nothing was wiped. Make a new one with wardcam-admin wipe.")]
    BadSignature,
    /// Its validity has ended.
    #[error(
        "This wipe command has expired. Nothing was wiped. Make a new one with wardcam-admin wipe."
    )]
    Expired,
    /// Made for another trust's phones.
    #[error("This wipe command is for another trust's phones. Nothing was wiped.")]
    OtherTrust,
    /// Made for another installation of WardCam.
    #[error("This wipe command names another installation of WardCam (see the Device screen's installation id). Nothing was wiped.")]
    NotThisPhone,
    /// Already applied on this phone, or older than one that was.
    #[error("This wipe command was already used on this phone, or is older than one that was. Nothing was wiped again.")]
    Replayed,
    /// No provisioning key to check it against.
    #[error("This phone has no provisioning key to check a wipe command against. Wipe it through MDM instead.")]
    NoProvisioningKeys,
    /// No trust's policy is in force, so no command can name this phone's trust.
    #[error("This phone has not been provisioned by a trust, so it takes no wipe command. It holds no patient data.")]
    NotProvisioned,
    /// A wipe began and has not finished: nothing unlocks until it does.
    #[error("A remote wipe of this phone has not finished. Restart WardCam to finish it; nothing can be opened meanwhile.")]
    Unfinished,
    /// The phone was wiped: nothing unlocks until the wiped screen is dismissed.
    #[error("This phone was wiped by your trust. Its photos and records are destroyed. Set WardCam up again from the wiped screen if the trust gave it back to you.")]
    Wiped,
    /// The wipe's own record in the app folder is damaged.
    #[error("WardCam's record of remote wipes is damaged. Wipe the phone through MDM, or reinstall WardCam.")]
    RecordDamaged,
    /// A file could not be written or removed.
    #[error("The wipe could not {0} ({1:?}). It resumes when WardCam next starts; if this persists, reset the phone through MDM.")]
    Io(&'static str, std::io::ErrorKind),
    /// The vault or the keystore refused (the wipe resumes at the next start).
    #[error(transparent)]
    Vault(#[from] VaultError),
}

impl WipeError {
    /// The stable code.
    pub fn code(&self) -> &'static str {
        match self {
            WipeError::Malformed { .. } => "wipe.malformed",
            WipeError::UnknownKey => "wipe.unknown_key",
            WipeError::BadSignature => "wipe.bad_signature",
            WipeError::Expired => "wipe.expired",
            WipeError::OtherTrust => "wipe.other_trust",
            WipeError::NotThisPhone => "wipe.not_this_phone",
            WipeError::Replayed => "wipe.replayed",
            WipeError::NoProvisioningKeys => "wipe.no_provisioning_keys",
            WipeError::NotProvisioned => "wipe.not_provisioned",
            WipeError::Unfinished => "wipe.unfinished",
            WipeError::Wiped => "wipe.wiped",
            WipeError::RecordDamaged => "wipe.record_damaged",
            WipeError::Io(..) => "wipe.io",
            WipeError::Vault(e) => e.code(),
        }
    }

    /// Every code [`Self::code`] returns itself, for the list the shell sends the UI (checked
    /// against `ui/src/lib/errors/codes.ts`); the vault's codes come from [`VaultError::CODES`].
    pub const CODES: &'static [&'static str] = &[
        "wipe.malformed",
        "wipe.unknown_key",
        "wipe.bad_signature",
        "wipe.expired",
        "wipe.other_trust",
        "wipe.not_this_phone",
        "wipe.replayed",
        "wipe.no_provisioning_keys",
        "wipe.not_provisioned",
        "wipe.unfinished",
        "wipe.wiped",
        "wipe.record_damaged",
        "wipe.io",
    ];

    pub(super) fn io(what: &'static str) -> impl FnOnce(std::io::Error) -> WipeError {
        move |e| WipeError::Io(what, e.kind())
    }

    pub(super) fn malformed(detail: &str) -> WipeError {
        WipeError::Malformed {
            detail: detail.to_owned(),
        }
    }
}
