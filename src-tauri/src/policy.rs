//! The session policy this build enforces. Provisioning will supply it on managed phones; until
//! then it is the core default, with development switches honoured only in debug builds.

use wardcam_core::session::SessionPolicy;

/// Whether this build offers the development unlock. Release builds never do.
pub(crate) fn development_unlock_allowed() -> bool {
    cfg!(debug_assertions)
}

/// The policy for this run. In debug builds `--dev-idle-timeout-ms=N` shortens the idle lock so
/// end-to-end tests can watch it happen; release builds ignore the flag.
pub(crate) fn session_policy(args: impl Iterator<Item = String>) -> SessionPolicy {
    let mut policy = SessionPolicy {
        allow_development_unlock: development_unlock_allowed(),
        ..SessionPolicy::default()
    };
    if development_unlock_allowed() {
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
/// only when `--dev-mock-camera` is given AND `honour_dev_switches` (debug builds). A release
/// build must never show a fake camera, whatever its command line.
pub(crate) fn mock_camera_requested(
    args: impl Iterator<Item = String>,
    honour_dev_switches: bool,
) -> bool {
    honour_dev_switches && args.into_iter().any(|a| a == "--dev-mock-camera")
}

/// [`mock_camera_requested`] for this build and run (WebKitGTK has the mock device: Linux only).
#[cfg(target_os = "linux")]
pub(crate) fn mock_camera() -> bool {
    mock_camera_requested(std::env::args(), development_unlock_allowed())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    #[test]
    fn idle_flag_is_honoured_only_in_debug_builds() {
        let policy =
            session_policy(["wardcam".into(), "--dev-idle-timeout-ms=3000".into()].into_iter());
        if cfg!(debug_assertions) {
            assert_eq!(policy.idle_timeout_ms, 3_000);
            assert!(policy.allow_development_unlock);
        } else {
            assert_eq!(
                policy.idle_timeout_ms,
                SessionPolicy::default().idle_timeout_ms
            );
            assert!(!policy.allow_development_unlock);
        }
    }

    #[test]
    fn idle_flag_cannot_disable_locking() {
        let policy = session_policy(["--dev-idle-timeout-ms=0".into()].into_iter());
        assert!(policy.idle_timeout_ms >= 1_000 || !cfg!(debug_assertions));
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
    fn this_build_honours_the_switch_exactly_when_it_allows_dev_unlock() {
        assert_eq!(
            mock_camera_requested(args(&["--dev-mock-camera"]), development_unlock_allowed()),
            cfg!(debug_assertions)
        );
    }
}
