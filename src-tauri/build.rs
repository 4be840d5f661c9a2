//! Registers the app's commands with Tauri's access control, so the main window can call only
//! those its capability grants (`permissions/wardcam-commands.toml`).

/// Every `#[tauri::command]` the shell registers; must equal the `generate_handler!` list in
/// `src/lib.rs` and the set in `permissions/wardcam-commands.toml` (a unit test checks both).
const COMMANDS: &[&str] = &[
    "session_view",
    "session_gate",
    "session_unlock",
    "session_set_up",
    "session_lock",
    "session_touch",
    "session_end_patient",
    "session_start_capture",
    "patient_check_nhs_number",
    "patient_identify_manual",
    "patient_identify_scan",
    "patient_candidate",
    "patient_confirm",
    "patient_discard",
    "patient_current",
    "patient_override",
    "record_recheck",
    "outbox_status",
    "outbox_send_now",
    "outbox_watch",
    "outbox_send_again",
    "outbox_withdraw_sent",
    "photos_discard_held",
    "device_info",
    "vault_status",
    "ward_status",
    "device_passcode",
    "capture_photo",
    "capture_native",
    "photos_list",
    "outbox_list",
    "body_sites",
    "photo_label",
    "photo_delete",
    "photo_redact",
    "session_review",
    "session_queue",
    "consent_text",
    "clinician_pin_status",
    "clinician_pin_set",
    "consent_hand_to_patient",
    "consent_record",
    "consent_decline",
    "consent_hand_back",
    "consent_withdraw",
    "consent_fhir",
];

fn main() {
    println!("cargo:rerun-if-changed=permissions");
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS)),
    )
    .unwrap_or_else(|e| panic!("tauri-build failed: {e:#}"));
}
