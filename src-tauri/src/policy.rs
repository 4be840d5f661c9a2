//! The one development switch: WardCam's builds have it only with the explicit cargo feature
//! `mock-camera` (WebKitGTK's mock device, for machines without a camera), never because of a
//! profile setting. A build without it (every release) has none, and CI checks its binary.
//! Everything a trust decides (endpoints, idle lock, passcode minimum, identifier rules, consent
//! text) comes from its policy (`provision.rs`), in every build. There is no development unlock in
//! any build: the key gate opens the vault only with the clinician's PIN
//! (`wardcam_core::auth::gate`).

/// Whether to turn on WebKitGTK's mock camera ("Mock video device 1") for end-to-end tests:
/// only when `--dev-mock-camera` is given AND `honour_dev_switches` (a `mock-camera` build). A
/// release build must never show a fake camera, whatever its command line (nor hold the switch).
#[cfg(any(feature = "mock-camera", test))]
pub(crate) fn mock_camera_requested(
    args: impl Iterator<Item = String>,
    honour_dev_switches: bool,
) -> bool {
    honour_dev_switches && args.into_iter().any(|a| a == "--dev-mock-camera")
}

/// [`mock_camera_requested`] for this build and run (WebKitGTK has the mock device: Linux only).
#[cfg(target_os = "linux")]
pub(crate) fn mock_camera() -> bool {
    #[cfg(feature = "mock-camera")]
    return mock_camera_requested(std::env::args(), true);
    #[cfg(not(feature = "mock-camera"))]
    false
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A command line, as `std::env::args` gives it.
    pub(crate) fn args(list: &[&str]) -> impl Iterator<Item = String> {
        list.iter()
            .map(|s| (*s).to_owned())
            .collect::<Vec<_>>()
            .into_iter()
    }

    #[test]
    fn mock_camera_only_with_the_switch_in_a_debug_build() {
        assert!(mock_camera_requested(
            args(&["wardcam", "--dev-mock-camera"]),
            true
        ));
        assert!(!mock_camera_requested(args(&["wardcam"]), true));
    }

    #[test]
    fn release_builds_ignore_the_mock_camera_switch() {
        assert!(!mock_camera_requested(
            args(&["wardcam", "--dev-mock-camera"]),
            false
        ));
    }

    #[test]
    fn mock_camera_switch_must_match_exactly() {
        for near in [
            "--dev-mock-camera=1",
            "--dev-mock-cameras",
            "dev-mock-camera",
            "--DEV-MOCK-CAMERA",
        ] {
            assert!(
                !mock_camera_requested(args(&["wardcam", near]), true),
                "{near}"
            );
        }
    }

    #[test]
    fn this_build_honours_the_switch_exactly_when_built_with_mock_camera() {
        assert_eq!(
            mock_camera_requested(args(&["--dev-mock-camera"]), cfg!(feature = "mock-camera")),
            cfg!(feature = "mock-camera")
        );
    }
}
