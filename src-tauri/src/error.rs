//! The error every command returns to the UI: a stable code and a message a clinician can act on.

use std::borrow::Cow;

use serde::Serialize;

/// The shell's own codes: the app's fault, or a request the UI should never send.
const UNEXPECTED: &str = "app.unexpected";
const BAD_REQUEST: &str = "app.bad_request";
#[cfg(test)]
const APP_CODES: &[&str] = &[UNEXPECTED, BAD_REQUEST];

/// Every code a command can reject with, sorted: core's (including patient reasons kept as text
/// by [`CommandError::coded`]), the endpoint's, the camera plugin's and the shell's own, following
/// the `From` impls below. The UI's `ERROR_CODES` in `ui/src/lib/errors/codes.ts` must be exactly
/// this list (the test below); add a `From` impl here and its codes here together.
#[cfg(test)]
pub(crate) fn ui_error_codes() -> Vec<&'static str> {
    let mut codes = wardcam_core::Error::all_codes();
    codes.extend_from_slice(wardcam_core::endpoint::EndpointError::CODES);
    codes.extend_from_slice(tauri_plugin_wardcam_camera::Error::CODES);
    codes.extend_from_slice(APP_CODES);
    codes.sort_unstable();
    codes.dedup();
    codes
}

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
            code: Cow::Borrowed(UNEXPECTED),
            message: format!("WardCam hit an internal problem ({what}). Close and reopen the app; nothing stored has been lost."),
        }
    }
}

impl CommandError {
    /// A request the UI should never send (a missing body or header): a bug, not a user error.
    pub(crate) fn bad_request(what: &str) -> Self {
        CommandError {
            code: Cow::Borrowed(BAD_REQUEST),
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use std::collections::BTreeSet;

    use super::*;

    /// The quoted codes inside `export const ERROR_CODES = [ ... ] as const;` of the UI.
    fn ts_error_codes() -> Vec<String> {
        let ts = include_str!("../../ui/src/lib/errors/codes.ts");
        let start = ts
            .find("export const ERROR_CODES = [")
            .expect("codes.ts has no ERROR_CODES");
        let end = start
            + ts[start..]
                .find("] as const")
                .expect("ERROR_CODES is not `as const`");
        ts[start..end]
            .lines()
            .map(|l| l.split("//").next().unwrap_or_default())
            .flat_map(|l| l.split('\'').skip(1).step_by(2))
            .map(str::to_owned)
            .collect()
    }

    #[test]
    fn the_ui_error_codes_are_exactly_the_codes_the_shell_sends() {
        let rust: BTreeSet<String> = ui_error_codes().into_iter().map(str::to_owned).collect();
        let ts_list = ts_error_codes();
        let ts: BTreeSet<String> = ts_list.iter().cloned().collect();
        assert_eq!(ts.len(), ts_list.len(), "codes.ts lists a code twice");
        let missing: Vec<_> = rust.difference(&ts).collect();
        let stale: Vec<_> = ts.difference(&rust).collect();
        assert!(
            missing.is_empty() && stale.is_empty(),
            "ui/src/lib/errors/codes.ts differs from the codes Rust sends.\n\
             Sent by Rust but missing from ERROR_CODES (add them, with a message in knownErrors.ts): {missing:?}\n\
             In ERROR_CODES but no longer sent by Rust (remove them): {stale:?}"
        );
    }

    #[test]
    fn the_shells_own_errors_use_listed_codes() {
        let codes = ui_error_codes();
        for e in [
            CommandError::unexpected("x"),
            CommandError::bad_request("x"),
        ] {
            assert!(codes.contains(&e.code.as_ref()), "{}", e.code);
        }
    }
}
