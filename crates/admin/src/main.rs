//! `wardcam-admin`: the device manager's tool for provisioning WardCam phones.
//!
//! - `keygen --out DIR`: a trust's Ed25519 provisioning key pair (`provisioning.key`, PKCS#8 DER,
//!   mode 0600; `provisioning.pub`, base64). Never overwrites a key.
//! - `validate POLICY.toml`: reads the policy (the TOML form of `wardcam_core::policy::Policy`)
//!   and prints every problem as `POLICY.toml:LINE: field: message`.
//! - `sign POLICY.toml --key KEY --out DIR`: a signed provisioning code: `code.txt` (its parts,
//!   one per line, for pasting into the desktop app) and `part-K-of-N.png` (one QR code per part,
//!   error correction M, with quiet zone); `--terminal` prints the QR codes too.
//! - `show CODE.txt [--public-key KEY.pub]`: what a code says, and whether it verifies.
//! - `managed POLICY.toml [--android-json F] [--android-xml F] [--ios-plist F]`: the MDM forms of
//!   the same policy. The formats are described in [`managed`]: the Android Management API
//!   `managedConfiguration` JSON object; Android's `<restrictions>` bundle XML (`<entry key type>`
//!   with types `s`, `i`, `b` and nested `B` bundles, as `UserManagerService` and Test DPC use);
//!   the iOS AppConfig managed-configuration plist (a dict; integers, booleans, strings, nested
//!   dicts).
//! - `wipe --key KEY --ods-code ODS (--installation ID | --fleet) --out DIR`: a signed remote-wipe
//!   command (`WCW1:`, one line and one QR code), valid 24 hours by default, at most 7 days.
//! - `audit verify FILE [--head SEQ:HASH]`: verifies a phone's exported audit log (`-` for standard
//!   input) with the phone's own chain check and names the first break by line and sequence
//!   number; with the head the phone's Device screen shows, entries cut from the end are found too.
//!   FILE may also be the trust record's AuditEvents (a FHIR search Bundle): the same check runs
//!   on the entries they carry.
//!
//! No output quotes a policy value other than the trust, its endpoints' addresses and pins:
//! values may be credentials. Exit status: 0 on success, 1 when anything is refused, 2 for a
//! command-line mistake.

#![forbid(unsafe_code)]
// A command-line tool's output is its standard output; nothing printed is patient data or a secret.
#![allow(clippy::print_stdout)]

mod audit;
mod keys;
mod managed;
mod qr;
mod source;
mod wipe;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{SystemTime, UNIX_EPOCH};

use clap::{Args, Parser, Subcommand};
use wardcam_core::policy::{payload, Policy, PolicyError};

use source::{LoadError, PolicySource};

/// Provision WardCam phones: provisioning keys, policy checks, signed provisioning QR codes, and
/// MDM managed configuration.
#[derive(Debug, Parser)]
#[command(name = "wardcam-admin", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Make a provisioning key pair: DIR/provisioning.key (private, mode 0600) and
    /// DIR/provisioning.pub (base64). Prints the public key. Never overwrites a key.
    Keygen {
        /// Directory to write the key pair to (created if missing).
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
    },
    /// Check a policy file and print every problem as FILE:LINE: field: message.
    Validate(PolicyArg),
    /// Sign a policy into a provisioning code: DIR/code.txt (to paste) and DIR/part-K-of-N.png
    /// (QR codes to scan). Refuses a policy with a credential or private key (give those through
    /// MDM).
    Sign {
        #[command(flatten)]
        policy: PolicyArg,
        /// The provisioning private key (provisioning.key from keygen, or a PEM PKCS#8 Ed25519 key).
        #[arg(long, value_name = "KEY")]
        key: PathBuf,
        /// How long the code stays valid: Nd (days) or Nh (hours), at most 90d.
        #[arg(long, value_name = "DURATION", default_value = "14d")]
        valid_for: String,
        /// Directory to write code.txt and the QR PNGs to (created if missing; must not already hold a code).
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// Also print each QR code in the terminal (Unicode half blocks, for a dark background).
        #[arg(long)]
        terminal: bool,
        /// Let an HTTP credential or client private key into the code (refused otherwise). Anyone
        /// who sees the code or its printout can read them: prefer MDM for secrets.
        #[arg(long)]
        include_secrets: bool,
    },
    /// Print what a provisioning code says (trust, ODS code, version, expiry, endpoints, parts);
    /// with --public-key also verify it.
    Show {
        /// The code: its parts, one per line (code.txt from sign).
        #[arg(value_name = "CODE.txt")]
        code: PathBuf,
        /// Verify the signature, expiry and policy against this public key (provisioning.pub).
        #[arg(long, value_name = "KEY.pub")]
        public_key: Option<PathBuf>,
    },
    /// Write the policy as MDM managed configuration: Android (JSON or XML) and iOS (AppConfig
    /// plist). The files carry any credential the policy has; they are written mode 0600.
    Managed(ManagedArgs),
    /// Check a phone's audit log.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Sign a remote-wipe command: DIR/wipe.txt (to paste) and DIR/wipe.png (a QR code to scan).
    /// The phone crypto-shreds its vault and deletes its key; the policy and the wipe's record stay.
    Wipe {
        /// The provisioning private key (provisioning.key from keygen).
        #[arg(long, value_name = "KEY")]
        key: PathBuf,
        /// The trust's ODS code (phones of another trust refuse the command).
        #[arg(long, value_name = "ODS")]
        ods_code: String,
        /// The installation id the phone's Device screen shows: wipe that phone only.
        #[arg(
            long,
            value_name = "ID",
            required_unless_present = "fleet",
            conflicts_with = "fleet"
        )]
        installation: Option<String>,
        /// Wipe every phone of the trust that scans or is given the command.
        #[arg(long)]
        fleet: bool,
        /// How long the command stays valid: Nh (hours) or Nd (days), at most 7d.
        #[arg(long, value_name = "DURATION", default_value = "24h")]
        valid_for: String,
        /// Directory to write wipe.txt and wipe.png to (created if missing; must not hold them yet).
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// Also print the QR code in the terminal.
        #[arg(long)]
        terminal: bool,
    },
}

#[derive(Debug, Subcommand)]
enum AuditCommand {
    /// Verify an exported audit log's hash chain and print its head, or the first break (line,
    /// sequence number and what is wrong).
    Verify {
        /// The exported log (one entry per line, JSON), or a FHIR Bundle of the record's
        /// AuditEvents, or - for standard input.
        #[arg(value_name = "FILE")]
        file: PathBuf,
        /// The chain head the phone's Device screen shows (SEQ:HASH): entries removed from the
        /// end of the log are found only against it.
        #[arg(long, value_name = "SEQ:HASH", value_parser = audit::parse_head)]
        head: Option<audit::ReportedHead>,
    },
}

#[derive(Debug, Args)]
struct PolicyArg {
    /// The policy file (TOML, see examples/policy.toml; or its canonical JSON form, *.json).
    #[arg(value_name = "POLICY.toml")]
    policy: PathBuf,
}

#[derive(Debug, Args)]
#[group(id = "outputs", required = true, multiple = true, args = ["android_json", "android_xml", "ios_plist"])]
struct ManagedArgs {
    #[command(flatten)]
    policy: PolicyArg,
    /// Android Management API managedConfiguration JSON (key to value, bundles as objects).
    #[arg(long, value_name = "FILE")]
    android_json: Option<PathBuf>,
    /// Android <restrictions> bundle XML (as Test DPC and adb tooling read it).
    #[arg(long, value_name = "FILE")]
    android_xml: Option<PathBuf>,
    /// iOS AppConfig managed app configuration (XML plist).
    #[arg(long, value_name = "FILE")]
    ios_plist: Option<PathBuf>,
}

/// Why a command did not do what was asked. The message is complete; `main` prints it.
#[derive(Debug)]
pub struct Failure {
    lines: Vec<String>,
}

impl Failure {
    /// A refusal with one message.
    pub fn refused(message: impl Into<String>) -> Failure {
        Failure {
            lines: vec![message.into()],
        }
    }

    /// A file that could not be read or written.
    pub fn io(path: &Path, e: &std::io::Error) -> Failure {
        Failure::refused(format!("{}: {e}", path.display()))
    }

    /// A policy error from core, with its stable code.
    pub fn policy(e: PolicyError) -> Failure {
        Failure::refused(format!("{e} [{}]", e.code()))
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Keygen { out } => keygen(&out),
        Command::Validate(p) => validate(&p.policy),
        Command::Sign {
            policy,
            key,
            valid_for,
            out,
            terminal,
            include_secrets,
        } => sign(
            &policy.policy,
            &key,
            &valid_for,
            &out,
            terminal,
            include_secrets,
        ),
        Command::Show { code, public_key } => show(&code, public_key.as_deref()),
        Command::Managed(args) => managed(&args),
        Command::Audit(AuditCommand::Verify { file, head }) => audit::verify(&file, head.as_ref()),
        Command::Wipe {
            key,
            ods_code,
            installation,
            fleet: _,
            valid_for,
            out,
            terminal,
        } => now().and_then(|now| {
            wipe::make(
                &wipe::Request {
                    key: &key,
                    ods_code: &ods_code,
                    installation: installation.as_deref(),
                    valid_for: Some(&valid_for),
                    out: &out,
                    terminal,
                },
                now,
            )
        }),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            for line in failure.lines {
                eprintln!("{line}");
            }
            ExitCode::FAILURE
        }
    }
}

fn keygen(out: &Path) -> Result<(), Failure> {
    let (key, private, public) = keys::keygen(out)?;
    eprintln!(
        "Wrote {} (private: keep it offline, mode 0600) and {}.",
        private.display(),
        public.display()
    );
    eprintln!("Provisioning public key (build it into the app or give it through MDM):");
    println!("{}", key.to_base64());
    Ok(())
}

/// Reads and checks a policy file; every problem becomes a line `FILE:LINE: field: message`.
fn load(path: &Path) -> Result<Policy, Failure> {
    match PolicySource::load(path) {
        Ok(policy) => Ok(policy),
        Err(LoadError::Io(e)) => Err(Failure::io(path, &e)),
        Err(LoadError::Problems(problems)) => {
            let file = path.display().to_string();
            let mut lines: Vec<String> = problems.iter().map(|d| d.render(&file)).collect();
            lines.push(format!(
                "{file}: refused: {} problem{}",
                problems.len(),
                if problems.len() == 1 { "" } else { "s" }
            ));
            Err(Failure { lines })
        }
    }
}

fn validate(path: &Path) -> Result<(), Failure> {
    let policy = load(path)?;
    println!(
        "{}: valid: policy version {} for {} ({}){}",
        path.display(),
        policy.version,
        policy.trust.name,
        policy.trust.ods_code,
        if policy.has_secrets() {
            "; it carries a credential or private key, so it can go through MDM only"
        } else {
            ""
        }
    );
    Ok(())
}

/// The longest a code may be valid.
const MAX_VALID_SECONDS: u64 = 90 * 86_400;

/// `14d`, `36h`: seconds, at most 90 days.
fn parse_valid_for(text: &str) -> Result<u64, Failure> {
    parse_period(
        text,
        MAX_VALID_SECONDS,
        "a number of days (14d) or hours (36h), at most 90d",
    )
}

/// `--valid-for`'s reader for every command: `N` days (`Nd`) or hours (`Nh`), more than nothing
/// and at most `max` seconds; `expected` says what it wants in the refusal.
pub(crate) fn parse_period(text: &str, max: u64, expected: &str) -> Result<u64, Failure> {
    let bad = || Failure::refused(format!("--valid-for: must be {expected}; got {text:?}"));
    let trimmed = text.trim();
    let (number, unit) = trimmed.split_at(trimmed.len().saturating_sub(1));
    let per = match unit {
        "d" => 86_400,
        "h" => 3_600,
        _ => return Err(bad()),
    };
    let n: u64 = number.parse().map_err(|_| bad())?;
    match n.checked_mul(per) {
        Some(s) if s > 0 && s <= max => Ok(s),
        _ => Err(bad()),
    }
}

fn now() -> Result<u64, Failure> {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .map_err(|_| Failure::refused("the system clock is before 1970"))
}

fn sign(
    policy_path: &Path,
    key_path: &Path,
    valid_for: &str,
    out: &Path,
    terminal: bool,
    include_secrets: bool,
) -> Result<(), Failure> {
    let seconds = parse_valid_for(valid_for)?;
    let policy = load(policy_path)?;
    let (pkcs8, public) = keys::read_private(key_path)?;
    let issued_at = now()?;
    let expires_at = issued_at + seconds;
    let signer = if include_secrets {
        if policy.has_secrets() {
            eprintln!(
                "wardcam-admin: warning: this code carries a credential or private key; anyone who sees it can read them"
            );
        }
        payload::sign_with_secrets
    } else {
        payload::sign
    };
    let parts = signer(&policy, &pkcs8, issued_at, expires_at).map_err(|e| {
        let mut f = Failure::policy(e);
        f.lines[0] = format!("{}: {}", policy_path.display(), f.lines[0]);
        f
    })?;
    drop(pkcs8);
    // What the phone will do: a code this tool made must pass the app's own check.
    let text = parts.join("\n") + "\n";
    payload::verify(&text, &[public], issued_at, None).map_err(|e| {
        Failure::refused(format!(
            "the signed code does not verify ({e}); this is a bug in wardcam-admin"
        ))
    })?;

    std::fs::create_dir_all(out).map_err(|e| Failure::io(out, &e))?;
    refuse_existing_code(out)?;
    let n = parts.len();
    let mut codes = Vec::with_capacity(n);
    for part in &parts {
        codes.push(qr::encode(part)?);
    }
    let code_path = out.join("code.txt");
    std::fs::write(&code_path, &text).map_err(|e| Failure::io(&code_path, &e))?;
    let mut written = vec![code_path.display().to_string()];
    for (i, code) in codes.iter().enumerate() {
        let path = out.join(format!("part-{}-of-{n}.png", i + 1));
        qr::write_png(code, &path)?;
        written.push(path.display().to_string());
    }

    println!(
        "Signed policy version {} for {} ({}) with key {}.",
        policy.version,
        policy.trust.name,
        policy.trust.ods_code,
        public.to_base64()
    );
    println!(
        "Valid until {} ({} part{}).",
        utc(expires_at),
        n,
        if n == 1 { "" } else { "s" }
    );
    for w in &written {
        println!("  wrote {w}");
    }
    if terminal {
        for (i, code) in codes.iter().enumerate() {
            println!();
            println!("Part {} of {n}:", i + 1);
            println!("{}", qr::terminal(code));
        }
    }
    Ok(())
}

/// A directory that already holds a code would mix old parts with new ones.
fn refuse_existing_code(out: &Path) -> Result<(), Failure> {
    let entries = std::fs::read_dir(out).map_err(|e| Failure::io(out, &e))?;
    for entry in entries {
        let entry = entry.map_err(|e| Failure::io(out, &e))?;
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name == "code.txt" || (name.starts_with("part-") && name.ends_with(".png")) {
            return Err(Failure::refused(format!(
                "{} already holds a provisioning code ({name}); choose an empty --out directory",
                out.display()
            )));
        }
    }
    Ok(())
}

/// The largest code file read (64 parts of about 2 KB).
const MAX_CODE_FILE_BYTES: u64 = 1024 * 1024;

fn show(code: &Path, public_key: Option<&Path>) -> Result<(), Failure> {
    let size = std::fs::metadata(code)
        .map_err(|e| Failure::io(code, &e))?
        .len();
    if size > MAX_CODE_FILE_BYTES {
        return Err(Failure::refused(format!(
            "{}: far longer than a provisioning code",
            code.display()
        )));
    }
    let text = std::fs::read_to_string(code).map_err(|e| Failure::io(code, &e))?;
    let summary = payload::read_summary(&text)
        .map_err(|e| Failure::refused(format!("{}: {e} [{}]", code.display(), e.code())))?;
    let now = now()?;
    println!("Trust:      {}", summary.trust);
    println!("ODS code:   {}", summary.ods_code);
    println!("Version:    {}", summary.version);
    println!("Issued:     {}", utc(summary.issued_at));
    println!(
        "Expires:    {}{}",
        utc(summary.expires_at),
        if now > summary.expires_at {
            " (EXPIRED)"
        } else {
            ""
        }
    );
    println!("Signed by:  {}", summary.key);
    println!(
        "Policy:     SHA-256 {} ({} bytes)",
        summary.policy_sha256, summary.policy_len
    );
    println!("Parts:      {}", summary.parts);
    for e in &summary.endpoints {
        println!("Endpoint:   {} {}", e.role, e.url);
        for pin in &e.pins {
            println!("            pin {pin}");
        }
    }
    if summary.carries_secrets {
        println!("Secrets:    this code carries a credential or private key");
    }
    let Some(path) = public_key else {
        println!("Not verified: give --public-key provisioning.pub to check the signature.");
        return Ok(());
    };
    let key = keys::read_public(path)?;
    match payload::verify(&text, &[key], now, None) {
        Ok(_) => {
            println!("verified: signed by {}", key.to_base64());
            Ok(())
        }
        Err(e) => Err(Failure::refused(format!(
            "NOT verified: {e} [{}]",
            e.code()
        ))),
    }
}

fn managed(args: &ManagedArgs) -> Result<(), Failure> {
    let policy = load(&args.policy.policy)?;
    let values = policy.to_managed();
    // What the phone will do with these values: they must read back to this very policy.
    let same = Policy::from_managed(&values)
        .ok()
        .and_then(|p| p.canonical_json().ok())
        .zip(policy.canonical_json().ok())
        .is_some_and(|(a, b)| a == b);
    if !same {
        return Err(Failure::refused(
            "the managed configuration does not read back to the same policy; this is a bug in WardCam",
        ));
    }
    let serde_json::Value::Object(map) = &values else {
        return Err(Failure::refused(
            "the managed configuration is not a set of keys; this is a bug in WardCam",
        ));
    };
    if args.android_json.is_some() || args.android_xml.is_some() {
        managed::check_android(map, "")?;
    }
    let mut outputs: Vec<(&Path, Vec<u8>, &str)> = Vec::new();
    if let Some(p) = &args.android_json {
        outputs.push((
            p,
            managed::android_json(&values)?,
            "Android managedConfiguration JSON",
        ));
    }
    if let Some(p) = &args.android_xml {
        outputs.push((p, managed::android_xml(map)?, "Android restrictions XML"));
    }
    if let Some(p) = &args.ios_plist {
        outputs.push((p, managed::ios_plist(map)?, "iOS AppConfig plist"));
    }
    for (path, bytes, what) in &outputs {
        write_private(path, bytes)?;
        println!("wrote {} ({what}, mode 0600)", path.display());
    }
    if policy.has_secrets() {
        println!(
            "These files hold the policy's credential or private key: keep them secret, \
             upload them to the MDM only, and delete them afterwards."
        );
    }
    Ok(())
}

/// Writes `bytes` to `path` through a 0600 temporary file in the same directory, renamed into
/// place: the file is never readable by others, not even for a moment.
fn write_private(path: &Path, bytes: &[u8]) -> Result<(), Failure> {
    use std::io::Write;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let mut file = tempfile::NamedTempFile::new_in(dir).map_err(|e| Failure::io(dir, &e))?;
    file.write_all(bytes)
        .and_then(|()| file.as_file().sync_all())
        .map_err(|e| Failure::io(path, &e))?;
    file.persist(path)
        .map_err(|e| Failure::io(path, &e.error))?;
    Ok(())
}

/// Unix seconds as `YYYY-MM-DD HH:MM UTC`.
fn utc(seconds: u64) -> String {
    let days = i64::try_from(seconds / 86_400).unwrap_or(i64::MAX / 2);
    let rem = seconds % 86_400;
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02} UTC",
        rem / 3_600,
        rem % 3_600 / 60
    )
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    #[test]
    fn valid_for_takes_days_or_hours_up_to_90_days() {
        assert_eq!(parse_valid_for("14d").unwrap(), 14 * 86_400);
        assert_eq!(parse_valid_for("36h").unwrap(), 36 * 3_600);
        assert_eq!(parse_valid_for("90d").unwrap(), 90 * 86_400);
        assert_eq!(parse_valid_for("2160h").unwrap(), 90 * 86_400);
        for bad in [
            "91d",
            "2161h",
            "0d",
            "d",
            "14",
            "14w",
            "-1d",
            "1.5d",
            "",
            "99999999999999999d",
        ] {
            assert!(parse_valid_for(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn utc_dates_are_civil() {
        assert_eq!(utc(0), "1970-01-01 00:00 UTC");
        assert_eq!(utc(951_782_400), "2000-02-29 00:00 UTC");
        assert_eq!(utc(1_800_000_000), "2027-01-15 08:00 UTC");
    }

    #[test]
    fn the_command_line_is_well_formed() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
