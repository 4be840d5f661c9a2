//! The session policy this build enforces, and which development switches it has. Provisioning
//! will supply the policy on managed phones; until then it is the core default.
//!
//! Development switches exist only in builds with an explicit cargo feature, never because of a
//! profile setting: `dev-tools` (the `--dev-*` endpoint switches, a shorter idle lock) and
//! `mock-camera` (WebKitGTK's mock device). A build without them (every release) has none, and CI
//! checks its binary for their flags. There is no development unlock in any
//! build: the key gate opens the vault only with the clinician's PIN (`wardcam_core::auth::gate`).

use wardcam_core::session::SessionPolicy;

/// Whether this build has the `dev-tools` switches.
pub(crate) fn dev_tools() -> bool {
    cfg!(feature = "dev-tools")
}

/// The policy for this run. With `dev-tools`, `--dev-idle-timeout-ms=N` shortens the idle lock so
/// end-to-end tests can watch it happen; other builds ignore the flag.
pub(crate) fn session_policy(args: impl Iterator<Item = String>) -> SessionPolicy {
    #[cfg_attr(not(feature = "dev-tools"), allow(unused_mut))]
    let mut policy = SessionPolicy {
        allow_development_unlock: false,
        ..SessionPolicy::default()
    };
    #[cfg(not(feature = "dev-tools"))]
    drop(args);
    #[cfg(feature = "dev-tools")]
    {
        for arg in args {
            if let Some(ms) = arg
                .strip_prefix("--dev-idle-timeout-ms=")
                .and_then(|v| v.parse::<u64>().ok())
            {
                policy.idle_timeout_ms = ms.max(1_000);
            }
        }
    }
    policy
}

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

    #[test]
    fn idle_flag_is_honoured_only_with_dev_tools() {
        let policy =
            session_policy(["wardcam".into(), "--dev-idle-timeout-ms=3000".into()].into_iter());
        assert!(!policy.allow_development_unlock);
        if cfg!(feature = "dev-tools") {
            assert_eq!(policy.idle_timeout_ms, 3_000);
        } else {
            assert_eq!(
                policy.idle_timeout_ms,
                SessionPolicy::default().idle_timeout_ms
            );
        }
    }

    #[test]
    fn idle_flag_cannot_disable_locking() {
        let policy = session_policy(["--dev-idle-timeout-ms=0".into()].into_iter());
        assert!(policy.idle_timeout_ms >= 1_000);
    }

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
