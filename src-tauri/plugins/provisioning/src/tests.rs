#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::json;

use crate::config::{from_response, ManagedConfigResponse};
use crate::{nest_dotted_keys, Error};

fn response(config: serde_json::Value) -> ManagedConfigResponse {
    serde_json::from_value(json!({ "config": config })).unwrap()
}

#[test]
fn nothing_set_is_none() {
    assert_eq!(from_response(response(json!(null))).unwrap(), None);
    assert_eq!(from_response(response(json!({}))).unwrap(), None);
    let missing: ManagedConfigResponse = serde_json::from_value(json!({})).unwrap();
    assert_eq!(from_response(missing).unwrap(), None);
}

#[test]
fn values_pass_through_unvalidated() {
    // Wrong kinds are core's to refuse, with the key's name: the plugin hands them on.
    let raw = json!({
        "policy_version": "seven",
        "suspended": 1,
        "record_endpoint": { "base_url": "http://insecure" },
        "not_a_wardcam_key": true,
    });
    assert_eq!(from_response(response(raw.clone())).unwrap(), Some(raw));
}

#[test]
fn a_non_object_is_refused() {
    for bad in [json!("text"), json!(3), json!([1, 2]), json!(true)] {
        let e = from_response(response(bad)).unwrap_err();
        assert!(matches!(e, Error::BadResponse { .. }), "{e:?}");
        assert_eq!(e.code(), "provisioning.bad_response");
    }
}

#[test]
fn appconfig_flat_endpoint_keys_are_nested() {
    let flat = json!({
        "policy_version": 3,
        "record_endpoint.base_url": "https://fhir.example.nhs.uk/R4",
        "record_endpoint.credential_scheme": "bearer",
        "pacs_endpoint.base_url": "https://pacs.example.nhs.uk/dicom-web",
    });
    let nested = json!({
        "policy_version": 3,
        "record_endpoint": {
            "base_url": "https://fhir.example.nhs.uk/R4",
            "credential_scheme": "bearer",
        },
        "pacs_endpoint": { "base_url": "https://pacs.example.nhs.uk/dicom-web" },
    });
    assert_eq!(from_response(response(flat)).unwrap(), Some(nested));
}

#[test]
fn nested_bundles_pass_unchanged() {
    let nested = json!({
        "trust_name": "Example NHS Trust",
        "record_endpoint": { "base_url": "https://x.example", "spki_pins_sha256": "a\nb" },
    });
    assert_eq!(nest_dotted_keys(nested.clone()), nested);
}

#[test]
fn flat_and_nested_merge_without_overwriting() {
    let mixed = json!({
        "record_endpoint": { "base_url": "https://nested.example" },
        "record_endpoint.base_url": "https://flat.example",
        "record_endpoint.trust_anchors_pem": "PEM",
    });
    // The clash stays as a dotted key for core to name; the rest is merged.
    assert_eq!(
        nest_dotted_keys(mixed),
        json!({
            "record_endpoint": { "base_url": "https://nested.example", "trust_anchors_pem": "PEM" },
            "record_endpoint.base_url": "https://flat.example",
        })
    );
}

#[test]
fn odd_dotted_keys_are_left_for_core_to_name() {
    let odd = json!({
        ".base_url": 1,
        "record_endpoint.": 2,
        "trust_name": "T",
        "trust_name.x": 3,
        "a.b.c": 4,
    });
    assert_eq!(
        nest_dotted_keys(odd),
        json!({
            ".base_url": 1,
            "record_endpoint.": 2,
            "trust_name": "T",
            "trust_name.x": 3,
            "a": { "b.c": 4 },
        })
    );
}

#[test]
fn errors_have_stable_codes() {
    assert_eq!(Error::NotRegistered.code(), "provisioning.not_registered");
    let bridge = Error::Bridge { detail: "x".into() };
    assert_eq!(bridge.code(), "provisioning.bridge");
}

#[cfg(desktop)]
#[test]
fn desktop_reads_nothing() {
    let p = crate::desktop::Provisioning::<tauri::Wry>::unavailable();
    assert_eq!(p.managed_config().unwrap(), None);
    p.on_managed_config_changed(|| {}).unwrap();
}

/// Rust, Kotlin and Swift agree on the command, the event and the native entry points.
#[test]
fn native_names_agree() {
    let kotlin = include_str!("../android/src/main/java/ProvisioningPlugin.kt");
    let swift = include_str!("../ios/Sources/ProvisioningPlugin.swift");
    let gradle = include_str!("../android/build.gradle.kts");
    let event = format!("\"{}\"", crate::MANAGED_CONFIG_CHANGED);
    assert!(kotlin.contains(&format!("MANAGED_CONFIG_CHANGED = {event}")));
    assert!(swift.contains(&format!("managedConfigChanged = {event}")));
    // `run_mobile_plugin("managedConfig", …)` in mobile.rs.
    assert!(kotlin.contains("@Command\n    fun managedConfig(invoke: Invoke)"));
    assert!(swift.contains("@objc public func managedConfig(_ invoke: Invoke)"));
    // PLUGIN_IDENTIFIER and ios_plugin_binding! in mobile.rs.
    assert!(kotlin.contains("package org.wardcam.provisioning\n"));
    assert!(gradle.contains("namespace = \"org.wardcam.provisioning\""));
    assert!(kotlin.contains("class ProvisioningPlugin("));
    assert!(swift.contains("@_cdecl(\"init_plugin_wardcam_provisioning\")"));
    // Both resolve `{ "config": … }`, what config::ManagedConfigResponse reads.
    assert!(kotlin.contains("result.put(\"config\""));
    assert!(swift.contains("invoke.resolve([\"config\": config])"));
}
