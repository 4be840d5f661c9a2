//! Why a platform call could not be made. What the platform's answers mean is `wardcam-core`'s
//! business (`wardcam_core::device`), and a platform that cannot answer is reported as such (an
//! unknown lock screen, an unavailable key release), not as an error.

/// The plugin's result type.
pub type Result<T> = std::result::Result<T, Error>;

/// A failure to ask the platform.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// [`crate::init`] was not registered with the app.
    #[error("The device plugin is not registered. Report this to your ward's IT contact.")]
    NotRegistered,
    /// A key name that is not 1 to 64 of `A-Z a-z 0-9 . _ -` (not starting with `.`): it becomes
    /// a Keystore alias, a file name and a Keychain account.
    #[error("WardCam asked the phone for a key under an unusable name. Report this to your ward's IT contact.")]
    BadAlias,
    /// The mobile bridge failed, or the native side rejected the call.
    #[error("The phone could not do what WardCam asked ({detail}). Restart WardCam; if it keeps failing, tell your ward's IT contact.")]
    Bridge {
        /// The bridge's own description (never holds a key).
        detail: String,
    },
}

impl Error {
    /// A stable dotted code for logs and the UI's list of known errors.
    pub fn code(&self) -> &'static str {
        match self {
            Error::NotRegistered => "device.not_registered",
            Error::BadAlias => "device.bad_alias",
            Error::Bridge { .. } => "device.bridge",
        }
    }
}

#[cfg(mobile)]
impl From<tauri::plugin::mobile::PluginInvokeError> for Error {
    fn from(e: tauri::plugin::mobile::PluginInvokeError) -> Self {
        use tauri::plugin::mobile::PluginInvokeError;
        match e {
            // serde's message could quote the answer (a key): say only what went wrong.
            PluginInvokeError::CannotDeserializeResponse(_) => Error::Bridge {
                detail: "the answer has the wrong shape".into(),
            },
            PluginInvokeError::InvokeRejected(r) => Error::Bridge {
                detail: r.message.unwrap_or_else(|| "rejected".into()),
            },
            other => Error::Bridge {
                detail: other.to_string(),
            },
        }
    }
}
