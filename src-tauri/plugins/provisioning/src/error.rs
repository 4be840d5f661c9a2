//! Why the managed configuration could not be read. Whether its values are acceptable is
//! `wardcam-core`'s business (`PolicyError`), not this plugin's.

/// The plugin's result type.
pub type Result<T> = std::result::Result<T, Error>;

/// A failure to read the managed configuration.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// [`crate::init`] was not registered with the app.
    #[error("The provisioning plugin is not registered. Report this to your device manager.")]
    NotRegistered,
    /// The native side answered with something that is not a set of keys.
    #[error("The device's managed configuration came back in an unusable form ({what}). Report this to your device manager.")]
    BadResponse {
        /// What was wrong.
        what: &'static str,
    },
    /// The mobile bridge failed, or the native side rejected the call.
    #[error("The device's managed configuration could not be read ({detail}). Restart WardCam; if it keeps failing, report it to your device manager.")]
    Bridge {
        /// The bridge's own description (never contains configuration values).
        detail: String,
    },
}

impl Error {
    /// A stable dotted code for logs and the UI's list of known errors.
    pub fn code(&self) -> &'static str {
        match self {
            Error::NotRegistered => "provisioning.not_registered",
            Error::BadResponse { .. } => "provisioning.bad_response",
            Error::Bridge { .. } => "provisioning.bridge",
        }
    }
}

#[cfg(mobile)]
impl From<tauri::plugin::mobile::PluginInvokeError> for Error {
    fn from(e: tauri::plugin::mobile::PluginInvokeError) -> Self {
        use tauri::plugin::mobile::PluginInvokeError;
        match e {
            // serde's message could quote a configuration value: say only what went wrong.
            PluginInvokeError::CannotDeserializeResponse(_) => Error::BadResponse {
                what: "the answer has the wrong shape",
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
