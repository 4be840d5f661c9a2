//! Starting the project's test servers (`tests/servers/fhir/server.mjs`, the FHIR engine, and
//! `tests/servers/orthanc/server.mjs`, Orthanc behind its TLS front) for the core's tests and
//! benches: one place for the prerequisites, the spawn, the ready line and the
//! `WARDCAM_REQUIRE_SERVERS` rule. Included by path (`#[path]`) from the library's tests, the
//! integration tests and the benches, which cannot share a module otherwise.
//!
//! Every server is started with `--exit-with-stdin`: it goes when the process holding its stdin
//! does, even if that process is killed.

#![allow(dead_code, clippy::print_stdout)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// Which test server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// The FHIR R4 engine, seeded with `tests/servers/fhir/seed-patients.json`.
    Fhir,
    /// Orthanc with DICOMweb behind the TLS front.
    Orthanc,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Fhir => "FHIR",
            Kind::Orthanc => "Orthanc",
        }
    }
}

/// A started server: its ready line (addresses, endpoint files, log) and its process.
#[derive(Debug)]
pub struct Started {
    /// The JSON object the server printed when ready.
    pub ready: serde_json::Value,
    /// The server process; its stdin is held, so it exits with this process.
    pub child: Child,
}

/// The endpoint file (provisioning format) a server's ready line names for its good listener
/// (`mode` "good") or for fault `mode`.
pub fn endpoint_file(ready: &serde_json::Value, mode: &str) -> String {
    let path = if mode == "good" {
        &ready["endpoint"]
    } else {
        &ready["faults"][mode]["endpoint"]
    };
    match path.as_str() {
        Some(path) => path.to_owned(),
        None => panic!("the test server has no fault mode {mode}"),
    }
}

/// The repository's root.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Why `kind` cannot run on this machine, if it cannot.
pub fn missing_prerequisite(kind: Kind) -> Option<String> {
    for (tool, arg) in [("node", "--version"), ("openssl", "version")] {
        let ok = Command::new(tool)
            .arg(arg)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            return Some(format!("`{tool}` is not installed"));
        }
    }
    match kind {
        Kind::Fhir
            if !repo_root()
                .join("node_modules/@medplum/fhir-router")
                .is_dir() =>
        {
            Some("node_modules/@medplum/fhir-router is missing (run `npm ci`)".into())
        }
        Kind::Orthanc if !Path::new("/usr/sbin/Orthanc").exists() => {
            Some("Orthanc is missing (the Debian packages orthanc and orthanc-dicomweb)".into())
        }
        _ => None,
    }
}

/// Starts `kind` with `args` (the FHIR server also gets its seed), its stderr going to `stderr`,
/// and waits up to 90 s for its ready line.
pub fn start(kind: Kind, args: &[&str], stderr: Stdio) -> Result<Started, String> {
    if let Some(why) = missing_prerequisite(kind) {
        return Err(why);
    }
    let root = repo_root();
    let mut command = Command::new("node");
    match kind {
        Kind::Fhir => command
            .arg(root.join("tests/servers/fhir/server.mjs"))
            .arg("--seed")
            .arg(root.join("tests/servers/fhir/seed-patients.json")),
        Kind::Orthanc => command.arg(root.join("tests/servers/orthanc/server.mjs")),
    };
    let mut child = command
        .args(args)
        .arg("--exit-with-stdin")
        .current_dir(&root)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(stderr)
        .spawn()
        .map_err(|e| format!("could not start node: {e}"))?;
    let stdout = child
        .stdout
        .take()
        .ok_or_else(|| "the server's stdout was not captured".to_owned())?;
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = tx.send(line);
    });
    let name = kind.name();
    let line = rx
        .recv_timeout(Duration::from_secs(90))
        .map_err(|_| format!("the {name} test server did not report ready within 90 s"))?;
    let ready: serde_json::Value = serde_json::from_str(line.trim())
        .map_err(|_| format!("the {name} test server did not start: {line:?}"))?;
    Ok(Started { ready, child })
}

/// A shared server from `cell`, or `None` (with the reason printed) where it cannot run and need
/// not: with `WARDCAM_REQUIRE_SERVERS` set (as `scripts/test` does), an unavailable server fails
/// the test instead, so CI cannot skip it.
pub fn shared<T>(
    cell: &'static std::sync::OnceLock<Result<T, String>>,
    kind: Kind,
    start: fn() -> Result<T, String>,
) -> Option<&'static T> {
    match cell.get_or_init(start) {
        Ok(s) => Some(s),
        Err(why) => {
            let name = kind.name();
            assert!(
                std::env::var_os("WARDCAM_REQUIRE_SERVERS").is_none(),
                "{name} test server required but unavailable: {why}"
            );
            println!("skipped: {name} test server unavailable: {why}");
            None
        }
    }
}
