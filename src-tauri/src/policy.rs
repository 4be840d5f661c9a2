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

#[cfg(test)]
mod tests {
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
}
