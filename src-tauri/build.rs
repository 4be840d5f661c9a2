//! Registers the app's commands with Tauri's access control, so the main window can call only
//! those its capability grants (`permissions/wardcam-commands.toml`).

/// Every `#[tauri::command]` the shell registers; must equal the `generate_handler!` list in
/// `src/lib.rs` and the set in `permissions/wardcam-commands.toml` (a unit test checks both).
const COMMANDS: &[&str] = &[
    "session_view",
    "session_gate",
    "session_unlock",
    "session_set_up",
    "session_unlock_platform",
    "session_enrol_platform",
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
    "device_status",
    "audit_export",
    "provision_apply",
    "provision_restart",
    "wipe_status",
    "wipe_apply",
    "wipe_acknowledge",
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
    "photo_send",
    "label_suggestions",
    "consent_text",
    "clinician_pin_status",
    "clinician_pin_set",
    "consent_hand_to_patient",
    "consent_record",
    "consent_decline",
    "consent_hand_back",
    "consent_withdraw",
];

/// The provisioning public keys this build trusts: the file `WARDCAM_PROVISIONING_KEYS_FILE` names
/// (one base64 Ed25519 key per line, as `wardcam-admin keygen` writes `provisioning.pub`), compiled
/// in as `WARDCAM_PROVISIONING_KEYS`. A trust builds with its own; the test builds with the test
/// key; without it a build accepts no provisioning code (MDM still provisions it).
fn provisioning_keys() {
    println!("cargo:rerun-if-env-changed=WARDCAM_PROVISIONING_KEYS_FILE");
    let Some(path) = std::env::var_os("WARDCAM_PROVISIONING_KEYS_FILE") else {
        return;
    };
    println!("cargo:rerun-if-changed={}", path.to_string_lossy());
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("WARDCAM_PROVISIONING_KEYS_FILE cannot be read: {e}"));
    let keys: Vec<&str> = text.split_whitespace().collect();
    if keys.is_empty() {
        panic!("WARDCAM_PROVISIONING_KEYS_FILE names no key");
    }
    println!(
        "cargo:rustc-env=WARDCAM_PROVISIONING_KEYS={}",
        keys.join(",")
    );
}

fn main() {
    println!("cargo:rerun-if-changed=permissions");
    provisioning_keys();
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS)),
    )
    .unwrap_or_else(|e| panic!("tauri-build failed: {e:#}"));
}
