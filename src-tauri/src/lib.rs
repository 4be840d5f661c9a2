//! WardCam's Tauri shell: it wires the WebView to `wardcam-core` and to the platform, and decides
//! nothing itself. Every command translates its arguments for core's [`Ward`], the one owner of the
//! session, the patient, the consent and the photos; the shell keeps no clinical state of its own.

mod audit_export;
mod background;
mod capture;
mod commands;
mod consent;
mod delivery;
mod device_status;
mod error;
mod idle;
mod lifecycle;
mod passcode;
mod policy;
mod provision;
mod record;
mod state;
mod thumbs;
mod vault;
// Only Linux installs the handler; elsewhere the decision is compiled for its tests alone.
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
mod webview_media;
mod wipe;

use std::sync::Arc;

use tauri::{AppHandle, Manager, Runtime};
use wardcam_core::visit::Ward;

/// Core's ward, shared: commands ask it, and the delivery task holds it across awaits.
pub(crate) type SharedWard = Arc<Ward>;

/// Core's ward, which every command asks.
pub(crate) fn ward<R: Runtime>(app: &AppHandle<R>) -> tauri::State<'_, SharedWard> {
    app.state::<SharedWard>()
}

/// Starts the app. On Android and iOS the platform calls this through the mobile entry point.
#[cfg_attr(mobile, tauri::mobile_entry_point)]
pub fn run() {
    // The native camera: on Android and iOS it takes photos into memory for `capture_photo`; on
    // desktop it is registered but answers "unavailable" (desktop uses the WebView's camera).
    let builder = tauri::Builder::default().plugin(tauri_plugin_wardcam_camera::init());
    // MDM's managed configuration (Android restrictions, iOS AppConfig); desktops have none.
    let builder = builder.plugin(tauri_plugin_wardcam_provisioning::init());
    // The platform's facts: the lock screen, the kiosk's lock task, backup exclusion, background
    // wakes (desktop answers as a development machine).
    let builder = builder.plugin(tauri_plugin_wardcam_device::init());
    // The wristband scanner is mobile-only: declared under the mobile target in Cargo.toml, so
    // desktop builds never compile it.
    #[cfg(mobile)]
    let builder = builder.plugin(tauri_plugin_barcode_scanner::init());
    let result = builder
        // Leaving the screen locks from Rust too, not only from the page's JavaScript.
        .on_window_event(lifecycle::on_window_event)
        .manage(vault::VaultSlot::default())
        .register_asynchronous_uri_scheme_protocol(thumbs::SCHEME, |ctx, request, responder| {
            let app = ctx.app_handle().clone();
            let path = request.uri().path().to_owned();
            tauri::async_runtime::spawn_blocking(move || {
                responder.respond(thumbs::respond(&app, &path));
            });
        })
        .invoke_handler(tauri::generate_handler![
            commands::session_view,
            commands::session_gate,
            commands::session_unlock,
            commands::session_set_up,
            commands::session_unlock_platform,
            commands::session_enrol_platform,
            commands::session_lock,
            commands::session_touch,
            commands::session_end_patient,
            commands::session_start_capture,
            commands::patient_check_nhs_number,
            commands::patient_identify_manual,
            commands::patient_identify_scan,
            commands::patient_candidate,
            commands::patient_confirm,
            commands::patient_discard,
            commands::patient_current,
            commands::patient_override,
            commands::record_recheck,
            capture::photos_discard_held,
            commands::device_info,
            device_status::device_status,
            audit_export::audit_export,
            provision::provision_apply,
            provision::provision_restart,
            wipe::wipe_status,
            wipe::wipe_apply,
            wipe::wipe_acknowledge,
            commands::vault_status,
            commands::ward_status,
            passcode::device_passcode,
            capture::capture_photo,
            capture::capture_native,
            capture::photos_list,
            capture::outbox_list,
            capture::body_sites,
            capture::photo_label,
            capture::photo_send,
            capture::label_suggestions,
            capture::photo_delete,
            capture::photo_redact,
            capture::session_review,
            capture::session_queue,
            consent::consent_text,
            consent::clinician_pin_status,
            consent::clinician_pin_set,
            consent::consent_hand_to_patient,
            consent::consent_record,
            consent::consent_decline,
            consent::consent_hand_back,
            consent::consent_withdraw,
            delivery::outbox_status,
            delivery::outbox_send_now,
            delivery::outbox_watch,
            delivery::outbox_send_again,
            delivery::outbox_withdraw_sent,
        ])
        .setup(|app| {
            // The trust's policy decides the ward, the record look-up and the courier; without
            // one the ward refuses every unlock and the lock screen offers provisioning.
            let (policy, blocked, status, offered) = provision::at_launch(app.handle());
            let mut ward = match &policy {
                Some(p) => Ward::new(p.session_policy())
                    .under_policy(p, &app.package_info().version.to_string())?,
                None => Ward::new(Default::default()),
            };
            // Where the policy in force came from, for the device status (MDM or a code).
            if let Some(source) = status.source() {
                ward = ward.policy_came_from(source);
            }
            if let Some(why) = blocked {
                ward = ward.refusing(why);
            }
            // A policy that came into force at this start is audited (once per version; the entry
            // waits for the log until the key gate's folder is known).
            if let Some(offered) = offered {
                offered.audit(&ward);
            }
            // The passcode gate is judged before the window exists, so no command ever meets a
            // session that could unlock on a phone without a passcode.
            passcode::report(app.handle(), &ward);
            app.manage(SharedWard::new(ward));
            app.manage(record::RecordEndpoint::from_policy(policy.as_ref()));
            app.manage(delivery::Delivery::from_policy(policy.as_ref()));
            app.manage(provision::ProvisionSlot::new(status));
            provision::watch_managed(app.handle());
            // MDM sees the phone's status from its start (locked: what needs no vault key).
            device_status::report_in_background(app.handle());
            idle::watch(app.handle().clone());
            delivery::wake_in_background(app.handle());
            vault::prepare_in_background(app.handle().clone());
            #[cfg(target_os = "linux")]
            webview_media::install_on_main(app, policy::mock_camera())?;
            Ok(())
        })
        .run(tauri::generate_context!());
    if let Err(e) = result {
        eprintln!("WardCam could not start: {e}");
        std::process::exit(1);
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    /// Names between double quotes in `text` after `marker`, up to the closing `]`.
    fn quoted_names(text: &str, marker: &str) -> Vec<String> {
        let start = text.find(marker).unwrap() + marker.len();
        let end = start + text[start..].find(']').unwrap();
        let mut names: Vec<String> = text[start..end]
            .split('"')
            .skip(1)
            .step_by(2)
            .map(str::to_owned)
            .collect();
        names.sort();
        names
    }

    #[test]
    fn command_lists_agree() {
        // The handler list, build.rs's ACL manifest and the capability's permission set must name
        // the same commands, or a command is either unreachable or granted without being meant to be.
        let lib = include_str!("lib.rs");
        let start = lib.find("generate_handler![").unwrap();
        let end = start + lib[start..].find(']').unwrap();
        let mut handlers: Vec<String> = lib[start..end]
            .split(|c: char| c.is_whitespace() || c == ',')
            .filter_map(|s| s.rsplit_once("::").map(|(_, name)| name))
            .filter(|s| !s.is_empty())
            .map(|s| {
                s.trim_end_matches(|c: char| !c.is_alphanumeric() && c != '_')
                    .to_owned()
            })
            .collect();
        handlers.sort();
        let build = quoted_names(include_str!("../build.rs"), "COMMANDS: &[&str] = &[");
        let toml = quoted_names(
            include_str!("../permissions/wardcam-commands.toml"),
            "commands.allow = [",
        );
        assert_eq!(handlers, build);
        assert_eq!(handlers, toml);
        // Guards the parsing above: an empty list would agree with itself.
        assert!(handlers.len() >= 15, "{handlers:?}");
    }
}
