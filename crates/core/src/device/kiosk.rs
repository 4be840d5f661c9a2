//! Kiosk mode on the platform: what the phone's answer to "confine the phone to WardCam" means.
//!
//! While the patient holds the phone the session is in kiosk mode ([`crate::session`]): only the
//! consent screen is reachable and leaving needs the clinician. That holds inside WardCam whatever
//! the platform says. The platform can also confine the whole phone to WardCam, so Home and
//! Recents do nothing: Android lock task mode (`Activity.startLockTask`, seamless when the device
//! owner allow-lists WardCam, otherwise a screen-pinning question to the user) and iOS Guided
//! Access (`UIAccessibility.requestGuidedAccessSession`, granted only on supervised phones). The
//! device plugin reports one [`PinAnswer`]; [`KioskPinning::decide`] says how the kiosk holds and
//! what to tell the clinician.
//!
//! | platform | answer | hold | notice |
//! |---|---|---|---|
//! | any | locked | [`KioskHold::Platform`] | none |
//! | Android | pinning requested | [`KioskHold::AskedUser`] | [`KioskNotice::ConfirmPinning`] |
//! | Android | refused, unavailable | [`KioskHold::InAppOnly`] | [`KioskNotice::AndroidNotLocked`] |
//! | iOS | refused, unavailable, pinning requested | [`KioskHold::InAppOnly`] | [`KioskNotice::GuidedAccessRefused`] |
//! | desktop | anything but locked | [`KioskHold::InAppOnly`] | none (no platform kiosk on a development machine) |

use serde::{Deserialize, Serialize};

use super::Platform;

/// What the platform answered when asked to confine the phone to WardCam.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PinAnswer {
    /// The platform confines the phone to WardCam (Android lock task mode of an allow-listed app,
    /// iOS Guided Access granted).
    Locked,
    /// Android asked the user whether to pin WardCam (screen pinning; the app is not allow-listed).
    /// The answer is not reported, and nothing is asked when App pinning is off in Settings.
    PinningRequested,
    /// The platform declined.
    Refused,
    /// The platform has no such mode, or asking failed.
    Unavailable,
}

/// How the kiosk holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KioskHold {
    /// The phone is confined to WardCam by the platform as well.
    Platform,
    /// The platform asked the clinician to confirm pinning; it holds once they do.
    AskedUser,
    /// Only WardCam's own screens hold: Home and Recents still work.
    InAppOnly,
}

/// What the clinician is told before handing the phone over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KioskNotice {
    /// Android is asking to pin WardCam.
    ConfirmPinning,
    /// Android did not lock the phone to WardCam.
    AndroidNotLocked,
    /// iOS did not start Guided Access.
    GuidedAccessRefused,
}

impl KioskNotice {
    /// The clinician's instruction.
    pub fn message(self) -> &'static str {
        match self {
            KioskNotice::ConfirmPinning => {
                "Android is asking to pin WardCam: confirm it before handing the phone over. If \
                 no question appeared, App pinning is off in the phone's Settings: keep the phone \
                 in sight. WardCam stays on the consent form until you unlock it."
            }
            KioskNotice::AndroidNotLocked => {
                "Android did not lock the phone to WardCam, so Home and Recents still work. Keep \
                 the phone in sight; WardCam stays on the consent form until you unlock it. Ask \
                 your device manager to allow WardCam's lock task mode to make this automatic."
            }
            KioskNotice::GuidedAccessRefused => {
                "iOS did not start Guided Access (only phones supervised by your trust allow it \
                 automatically). Keep the phone in sight, or start Guided Access yourself with a \
                 triple-click of the side button. WardCam stays on the consent form until you \
                 unlock it."
            }
        }
    }
}

/// How the kiosk holds after the platform's answer, and what to tell the clinician.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct KioskPinning {
    /// How the kiosk holds. In-app kiosk mode holds in every case.
    pub hold: KioskHold,
    /// What to tell the clinician, if anything.
    pub notice: Option<KioskNotice>,
    /// The notice's text, so the UI does not repeat it.
    pub message: Option<&'static str>,
}

impl KioskPinning {
    /// Judges `answer` from `platform` (see the module's table). A pure function.
    pub fn decide(platform: Platform, answer: PinAnswer) -> KioskPinning {
        let (hold, notice) = match (platform, answer) {
            (_, PinAnswer::Locked) => (KioskHold::Platform, None),
            (Platform::Android, PinAnswer::PinningRequested) => {
                (KioskHold::AskedUser, Some(KioskNotice::ConfirmPinning))
            }
            (Platform::Android, PinAnswer::Refused | PinAnswer::Unavailable) => {
                (KioskHold::InAppOnly, Some(KioskNotice::AndroidNotLocked))
            }
            (Platform::Ios, _) => (KioskHold::InAppOnly, Some(KioskNotice::GuidedAccessRefused)),
            (Platform::Desktop, _) => (KioskHold::InAppOnly, None),
        };
        KioskPinning {
            hold,
            notice,
            message: notice.map(KioskNotice::message),
        }
    }
}
