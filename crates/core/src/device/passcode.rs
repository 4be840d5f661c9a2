//! The passcode gate: the platform's lock-screen report judged against the policy's minimum.

use serde::{Deserialize, Serialize};

/// The kind of platform that sent a report; the blocked screen's instructions depend on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Platform {
    /// An Android phone.
    Android,
    /// An iPhone.
    Ios,
    /// The desktop build (Linux, macOS, Windows).
    Desktop,
}

/// Whether the phone has a secure lock screen: a PIN, pattern or password (biometrics always sit
/// on top of one).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LockScreen {
    /// One is set (Android `KeyguardManager.isDeviceSecure`, iOS
    /// `LAContext.canEvaluatePolicy(.deviceOwnerAuthentication)`).
    Secure,
    /// None is set: swipe, or nothing.
    Insecure,
    /// The platform could not say, or the shell has no way to ask yet.
    Unknown,
}

/// How hard the passcode is to guess, in Android's `DevicePolicyManager.getPasswordComplexity`
/// buckets, weakest first. iOS does not tell apps this.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Complexity {
    /// No passcode (`PASSWORD_COMPLEXITY_NONE`).
    None,
    /// A pattern, or a PIN with repeating or ordered digits (`PASSWORD_COMPLEXITY_LOW`).
    Low,
    /// A PIN of 4 or more without repeats or runs, or a 4+ character password
    /// (`PASSWORD_COMPLEXITY_MEDIUM`).
    Medium,
    /// A PIN of 8 or more without repeats or runs, or a 6+ character password
    /// (`PASSWORD_COMPLEXITY_HIGH`).
    High,
}

/// What the platform says about its lock screen. The shell fills it in and decides nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockScreenReport {
    /// Who is reporting.
    pub platform: Platform,
    /// Whether a secure lock screen is set.
    pub lock_screen: LockScreen,
    /// The passcode's complexity, where the platform tells it (Android); `None` elsewhere.
    pub complexity: Option<Complexity>,
    /// The platform says it is a development machine (the desktop build), not a clinical phone.
    pub development_platform: bool,
}

impl LockScreenReport {
    /// What a development machine reports: it cannot say, and says it is for development.
    pub const fn development(platform: Platform) -> LockScreenReport {
        LockScreenReport {
            platform,
            lock_screen: LockScreen::Unknown,
            complexity: None,
            development_platform: true,
        }
    }
}

/// The minimum a phone's lock screen must meet: the trust's policy sets `min_complexity`
/// (`session.passcode_minimum`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasscodePolicy {
    /// The weakest passcode accepted. A secure lock screen is always required, so `None` and `Low`
    /// both mean "any passcode". Above `Low`, a platform that does not report complexity (iOS) is
    /// refused: the gate cannot check what it is not told.
    pub min_complexity: Complexity,
    /// Whether a platform that says it is for development may report "unknown" and still unlock.
    pub allow_unknown_on_development_platform: bool,
}

impl PasscodePolicy {
    /// Without a policy: any passcode, and "unknown" only from a development platform.
    pub const DEFAULT: PasscodePolicy = PasscodePolicy {
        min_complexity: Complexity::Low,
        allow_unknown_on_development_platform: true,
    };
}

impl Default for PasscodePolicy {
    fn default() -> Self {
        PasscodePolicy::DEFAULT
    }
}

/// What the gate decided about one report. The first two allow unlocking; the rest block it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PasscodeDecision {
    /// A secure lock screen that meets the policy.
    Secure,
    /// The platform cannot say, but it is a development platform and the policy excuses it.
    DevelopmentPlatform,
    /// No passcode is set (or the platform reports no complexity at all).
    NoPasscode,
    /// The platform cannot say and is not a development platform: blocked, since a phone that
    /// cannot show it has a passcode must be treated as having none.
    Unknown,
    /// A passcode is set but is weaker than the policy's minimum.
    TooSimple,
    /// The policy needs more than "any passcode" and the platform does not report complexity.
    ComplexityUnknown,
}

impl PasscodeDecision {
    /// Whether the session may be unlocked.
    pub fn allows_unlock(self) -> bool {
        matches!(
            self,
            PasscodeDecision::Secure | PasscodeDecision::DevelopmentPlatform
        )
    }
}

/// A report and what the gate made of it, for the session and the UI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PasscodeStatus {
    report: LockScreenReport,
    decision: PasscodeDecision,
    /// Whether the session may be unlocked; serialized so the UI does not repeat the rule.
    allowed: bool,
    /// The policy's minimum, for the blocked screen's wording.
    required: Complexity,
}

impl PasscodeStatus {
    /// Judges `report` against `policy`. A pure function: the decision table is tested over every
    /// combination.
    pub fn decide(report: LockScreenReport, policy: &PasscodePolicy) -> PasscodeStatus {
        let decision = decide(&report, policy);
        PasscodeStatus {
            report,
            decision,
            allowed: decision.allows_unlock(),
            required: policy.min_complexity.max(Complexity::Low),
        }
    }

    /// The report judged.
    pub fn report(&self) -> LockScreenReport {
        self.report
    }

    /// The decision.
    pub fn decision(&self) -> PasscodeDecision {
        self.decision
    }

    /// Whether the session may be unlocked.
    pub fn allows_unlock(&self) -> bool {
        self.allowed
    }

    /// The weakest passcode the policy accepts.
    pub fn required(&self) -> Complexity {
        self.required
    }
}

fn decide(report: &LockScreenReport, policy: &PasscodePolicy) -> PasscodeDecision {
    // "No passcode" from either answer wins: a platform that says so is believed, whatever else
    // it says, and a development platform is not excused from it.
    if report.complexity == Some(Complexity::None) {
        return PasscodeDecision::NoPasscode;
    }
    match report.lock_screen {
        LockScreen::Insecure => PasscodeDecision::NoPasscode,
        // Complexity alone is not taken as proof of a lock screen: the lock-screen answer is the
        // one every platform gives, and a report missing it is a shell or platform fault.
        LockScreen::Unknown => {
            if report.development_platform && policy.allow_unknown_on_development_platform {
                PasscodeDecision::DevelopmentPlatform
            } else {
                PasscodeDecision::Unknown
            }
        }
        LockScreen::Secure if policy.min_complexity <= Complexity::Low => PasscodeDecision::Secure,
        LockScreen::Secure => match report.complexity {
            Some(c) if c >= policy.min_complexity => PasscodeDecision::Secure,
            Some(_) => PasscodeDecision::TooSimple,
            None => PasscodeDecision::ComplexityUnknown,
        },
    }
}
