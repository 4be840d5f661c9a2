//! The error every command returns to the UI: a stable code and a message a clinician can act on.

use std::borrow::Cow;

use serde::Serialize;

/// Serialized as `{ "code": "session.consent_required", "message": "..." }`; the UI maps codes to
/// advice in `ui/src/lib/errors/knownErrors.ts`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct CommandError {
    code: Cow<'static, str>,
    message: String,
}

impl CommandError {
    /// An error that is the app's fault, not the user's (a poisoned lock, a missing window).
    pub(crate) fn unexpected(what: &str) -> Self {
        CommandError {
            code: Cow::Borrowed("app.unexpected"),
            message: format!("WardCam hit an internal problem ({what}). Close and reopen the app; nothing stored has been lost."),
        }
    }
}

impl CommandError {
    /// A request the UI should never send (a missing body or header): a bug, not a user error.
    pub(crate) fn bad_request(what: &str) -> Self {
        CommandError {
            code: Cow::Borrowed("app.bad_request"),
            message: format!(
                "WardCam could not read that request ({what}). Nothing was stored; try again."
            ),
        }
    }

    /// An error whose code was kept as text (a reason sealed with the visit).
    pub(crate) fn coded(code: String, message: String) -> Self {
        CommandError {
            code: Cow::Owned(code),
            message,
        }
    }
}

impl From<wardcam_core::Error> for CommandError {
    fn from(e: wardcam_core::Error) -> Self {
        CommandError {
            code: Cow::Borrowed(e.code()),
            message: e.to_string(),
        }
    }
}

impl From<wardcam_core::session::SessionError> for CommandError {
    fn from(e: wardcam_core::session::SessionError) -> Self {
        wardcam_core::Error::from(e).into()
    }
}

impl From<wardcam_core::visit::VisitError> for CommandError {
    fn from(e: wardcam_core::visit::VisitError) -> Self {
        wardcam_core::Error::from(e).into()
    }
}

impl From<wardcam_core::patient::PatientError> for CommandError {
    fn from(e: wardcam_core::patient::PatientError) -> Self {
        wardcam_core::Error::from(e).into()
    }
}

impl From<wardcam_core::vault::VaultError> for CommandError {
    fn from(e: wardcam_core::vault::VaultError) -> Self {
        wardcam_core::Error::from(e).into()
    }
}

impl From<wardcam_core::intake::IntakeError> for CommandError {
    fn from(e: wardcam_core::intake::IntakeError) -> Self {
        wardcam_core::Error::from(e).into()
    }
}

impl From<wardcam_core::review::ReviewError> for CommandError {
    fn from(e: wardcam_core::review::ReviewError) -> Self {
        wardcam_core::Error::from(e).into()
    }
}

impl From<wardcam_core::endpoint::EndpointError> for CommandError {
    fn from(e: wardcam_core::endpoint::EndpointError) -> Self {
        CommandError {
            code: Cow::Borrowed(e.code()),
            message: e.to_string(),
        }
    }
}

impl From<tauri_plugin_wardcam_camera::Error> for CommandError {
    fn from(e: tauri_plugin_wardcam_camera::Error) -> Self {
        CommandError {
            code: Cow::Borrowed(e.code()),
            message: e.to_string(),
        }
    }
}
