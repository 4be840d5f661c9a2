//! Provisioning: the trust's policy, from MDM's managed configuration (phones), a signed
//! provisioning code handed to the app at start (`--provision=FILE`, the code as
//! `wardcam-admin sign` writes it) or pasted on the set-up screen, or the policy kept from before.
//! Core decides all of it (`wardcam_core::policy`); this module fetches the inputs and keeps what
//! core decided for the screens.
//!
//! The policy is read once, at start: the ward, the record look-up and the courier are built from
//! it. A code pasted later is checked and kept at once, and takes effect when WardCam restarts
//! (the set-up screen offers the restart).

use std::time::{SystemTime, UNIX_EPOCH};

use serde::Serialize;
use tauri::{AppHandle, Manager, Runtime};
use wardcam_core::policy::{
    Policy, PolicyError, Provisioned, Provisioning, ProvisioningKey, Source,
};
use wardcam_core::visit::{PolicyOrigin, Ward};

use crate::background::blocking;
use crate::error::CommandError;

/// The keystore entry of the policy: one per installation. A phone's app has a keystore of its
/// own; a desktop's Secret Service is shared by the user's apps, so the entry is named for the
/// app's private data folder (two installations keep two policies).
pub(crate) fn entry<R: Runtime>(app: &AppHandle<R>) -> String {
    let folder = app
        .path()
        .app_local_data_dir()
        .map(|d| d.to_string_lossy().into_owned())
        .unwrap_or_default();
    let digest = wardcam_core::policy::payload::sha256_hex(folder.as_bytes());
    wardcam_core::policy::store::entry_name(&format!("wardcam.{}", &digest[..16]))
}

/// The start-up argument naming a file that holds a provisioning code (every part, one per line).
/// It is a product path, not a development switch: the code is checked exactly as a pasted one.
const CODE_FLAG: &str = "--provision=";

/// The provisioning public keys this build trusts, from `WARDCAM_PROVISIONING_KEYS_FILE` at build
/// time (`build.rs`): a trust's own build names its key; the test builds name the test key made by
/// `scripts/provisioning-test-key`; a build without it trusts no code (MDM still works).
pub(crate) fn built_in_keys() -> Vec<ProvisioningKey> {
    option_env!("WARDCAM_PROVISIONING_KEYS")
        .and_then(ProvisioningKey::parse_list)
        .unwrap_or_default()
}

/// Unix seconds now (a code's expiry is judged on the wall clock: it is checked once, when given).
fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// What start-up found, for the screens.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct ProvisionStatus {
    /// A policy is in force.
    provisioned: bool,
    /// The trust, its ODS code and the policy version in force.
    trust: Option<String>,
    ods_code: Option<String>,
    version: Option<u64>,
    /// `managed` or `code`.
    source: Option<Source>,
    /// Why nothing unlocks (no policy, a suspended trust, a too-old app, an unreadable policy).
    blocked: Option<CommandError>,
    /// Why the policy offered at this start (MDM's or a code's) was refused; the one in force
    /// (if any) stays.
    refused: Option<CommandError>,
    /// The build trusts at least one provisioning key (a code can be pasted).
    accepts_codes: bool,
    /// A code was accepted since start: restart to apply it.
    restart_needed: bool,
}

impl ProvisionStatus {
    fn of(
        p: Option<&Provisioned>,
        blocked: Option<&PolicyError>,
        refused: Option<&PolicyError>,
    ) -> Self {
        ProvisionStatus {
            provisioned: p.is_some(),
            trust: p.map(|p| p.policy.trust.name.clone()),
            ods_code: p.map(|p| p.policy.trust.ods_code.clone()),
            version: p.map(|p| p.policy.version),
            source: p.map(|p| p.source),
            blocked: blocked.map(|e| wardcam_core::Error::from(e.clone()).into()),
            refused: refused.map(|e| wardcam_core::Error::from(e.clone()).into()),
            accepts_codes: !built_in_keys().is_empty()
                || p.is_some_and(|p| !p.policy.provisioning.public_keys.is_empty()),
            restart_needed: false,
        }
    }

    /// Where the policy in force came from, if one is.
    pub(crate) fn source(&self) -> Option<Source> {
        self.source
    }

    /// A new policy was kept while WardCam runs: the screens name it, say a restart applies it,
    /// and keep saying why nothing unlocks until then.
    fn kept_until_restart(&mut self, taken: &Provisioned) {
        let blocked = self.blocked.take();
        *self = ProvisionStatus::of(Some(taken), None, None);
        self.blocked = blocked;
        self.restart_needed = true;
    }
}

/// The status kept for the screens, updated when a code is pasted or MDM changes its values.
#[derive(Debug)]
pub(crate) struct ProvisionSlot(std::sync::Mutex<ProvisionStatus>);

impl ProvisionSlot {
    pub(crate) fn new(status: ProvisionStatus) -> ProvisionSlot {
        ProvisionSlot(std::sync::Mutex::new(status))
    }

    fn lock(&self) -> Result<std::sync::MutexGuard<'_, ProvisionStatus>, CommandError> {
        self.0
            .lock()
            .map_err(|_| CommandError::unexpected("the provisioning status was poisoned"))
    }

    /// The status now, for the Device and lock screens (`device_info`).
    pub(crate) fn snapshot(&self) -> Result<ProvisionStatus, CommandError> {
        self.lock().map(|s| s.clone())
    }
}

/// This platform's keystore, its failure as the policy's (the policy cannot be kept or read).
fn keystore() -> Result<wardcam_core::vault::KeyringKeyStore, PolicyError> {
    crate::vault::platform_keystore().map_err(|e| PolicyError::Store {
        reason: e.to_string(),
    })
}

/// The code file named on the command line, read; `Err` with a device manager's message when it
/// cannot be read.
fn code_from_args(args: impl Iterator<Item = String>) -> Result<Option<String>, PolicyError> {
    let Some(path) = args
        .filter_map(|a| a.strip_prefix(CODE_FLAG).map(str::to_owned))
        .last()
    else {
        return Ok(None);
    };
    std::fs::read_to_string(&path)
        .map(Some)
        .map_err(|_| PolicyError::Malformed {
            detail: "the provisioning code file given at start cannot be read".into(),
        })
}

/// What an offer did to the version in force, for the audit trail: core decides from it whether
/// a new policy came into force ([`Ward::policy_applied`]).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Offered {
    before: Option<u64>,
    now: Option<u64>,
    origin: PolicyOrigin,
}

impl Offered {
    fn of(p: &Provisioning, origin: PolicyOrigin) -> Offered {
        Offered {
            before: p.kept_version,
            now: p.version(),
            origin,
        }
    }

    /// Has core record the policy if it is new; a failed write is counted in the chain as a gap.
    pub(crate) fn audit(self, ward: &Ward) {
        if let Err(e) = ward.policy_applied(self.before, self.now, self.origin) {
            eprintln!("WardCam: the policy change was not written to the audit log: {e}");
        }
    }
}

/// Decides the policy at start: MDM's values (phones), else a code given at start, else the kept
/// policy. Returns the policy in force (if any), why nothing may unlock (if so), the status and
/// what the start did to the version in force (for the audit trail).
pub(crate) fn at_launch<R: Runtime>(
    app: &AppHandle<R>,
) -> (
    Option<Policy>,
    Option<PolicyError>,
    ProvisionStatus,
    Option<Offered>,
) {
    let managed = managed_config(app);
    let name = entry(app);
    let outcome = keystore().and_then(|keys| {
        let code = code_from_args(std::env::args());
        let mut p = Provisioning::at_launch(
            &keys,
            &name,
            managed.as_ref(),
            code.as_ref().ok().and_then(Option::as_deref),
            &built_in_keys(),
            now_secs(),
        )?;
        if let Err(e) = code {
            p.refused = Some(e);
        }
        Ok(p)
    });
    match outcome {
        Err(e) => {
            let status = ProvisionStatus::of(None, Some(&e), None);
            (None, Some(e), status, None)
        }
        Ok(p) => {
            let running = app.package_info().version.to_string();
            let blocked = match &p.in_force {
                None => Some(PolicyError::NotProvisioned),
                Some(kept) => kept.policy.admits_app(&running).err(),
            };
            let status =
                ProvisionStatus::of(p.in_force.as_ref(), blocked.as_ref(), p.refused.as_ref());
            // At start a new code comes only from the file named on the command line; a kept
            // one may have been pasted.
            let from_file = std::env::args().any(|a| a.starts_with(CODE_FLAG));
            let origin = match p.in_force.as_ref().map(|k| k.source) {
                Some(Source::Managed) => PolicyOrigin::Mdm,
                _ if from_file => PolicyOrigin::File,
                _ => PolicyOrigin::Code,
            };
            let offered = Offered::of(&p, origin);
            (p.in_force.map(|k| k.policy), blocked, status, Some(offered))
        }
    }
}

/// MDM's raw values on a phone (core validates them); desktops have no MDM and answer `None`.
fn managed_config<R: Runtime>(app: &AppHandle<R>) -> Option<serde_json::Value> {
    match tauri_plugin_wardcam_provisioning::managed_config(app) {
        Ok(values) => values,
        Err(e) => {
            eprintln!("WardCam: could not read the managed configuration: {e}");
            None
        }
    }
}

/// When MDM changes the managed configuration while WardCam runs (Android's
/// `ACTION_APPLICATION_RESTRICTIONS_CHANGED`, iOS's defaults change), core checks and keeps the
/// new policy as at start; the screens then say a restart applies it, or why it was refused.
pub(crate) fn watch_managed<R: Runtime>(app: &AppHandle<R>) {
    use tauri_plugin_wardcam_provisioning::ProvisioningExt;
    let handle = app.clone();
    let watched = app.provisioning().on_managed_config_changed(move || {
        let app = handle.clone();
        // The handler runs on the platform's callback thread: the keystore work goes elsewhere.
        std::thread::spawn(move || managed_changed(&app));
    });
    if let Err(e) = watched {
        eprintln!("WardCam: cannot watch the managed configuration: {e}");
    }
}

fn managed_changed<R: Runtime>(app: &AppHandle<R>) {
    let Some(values) = managed_config(app) else {
        return;
    };
    // MDM's `remote_wipe` is not a policy field: a new value wipes now (`wipe.rs`).
    crate::wipe::managed_changed(app, &values);
    let name = entry(app);
    let outcome = keystore().and_then(|keys| {
        let mut p = Provisioning::kept(&keys, &name)?;
        let before = p.in_force.as_ref().map(|k| k.sha256.clone());
        let taken = p.take_managed(&keys, &name, &values)?.clone();
        let offered = Offered::of(&p, PolicyOrigin::Mdm);
        Ok((before != Some(taken.sha256.clone()), taken, offered))
    });
    if let Ok((_, _, offered)) = &outcome {
        offered.audit(&crate::ward(app));
    }
    let slot = app.state::<ProvisionSlot>();
    let Ok(mut status) = slot.lock() else {
        return;
    };
    match outcome {
        Ok((true, taken, _)) => status.kept_until_restart(&taken),
        Ok((false, _, _)) => {}
        Err(e) => status.refused = Some(wardcam_core::Error::from(e).into()),
    }
}

/// A device manager pasted a provisioning code: core checks it against this build's keys and the
/// policy in force and keeps it; WardCam applies it at the next start.
#[tauri::command]
pub(crate) async fn provision_apply(
    app: AppHandle,
    code: String,
) -> Result<ProvisionStatus, CommandError> {
    let name = entry(&app);
    let ward = crate::ward(&app).inner().clone();
    let accepted = blocking(move || {
        let keys = keystore().map_err(wardcam_core::Error::from)?;
        let mut p = Provisioning::kept(&keys, &name).map_err(wardcam_core::Error::from)?;
        let taken = p
            .take_code(&keys, &name, &code, &built_in_keys(), now_secs())
            .map_err(wardcam_core::Error::from)?
            .clone();
        Offered::of(&p, PolicyOrigin::Code).audit(&ward);
        Ok(taken)
    })
    .await?;
    let slot = app.state::<ProvisionSlot>();
    let mut status = slot.lock()?;
    status.kept_until_restart(&accepted);
    Ok(status.clone())
}

/// Restarts WardCam so a newly kept policy takes effect (the set-up screen's button).
#[tauri::command]
pub(crate) async fn provision_restart(app: AppHandle) -> Result<(), CommandError> {
    app.restart()
}
