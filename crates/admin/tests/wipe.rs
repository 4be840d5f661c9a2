//! `wardcam-admin wipe`, end to end: the command it writes is checked with the app's own code
//! (`wardcam_core::wipe`), its QR code decodes to the same line, and bad requests are refused.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{SystemTime, UNIX_EPOCH};

use wardcam_core::policy::ProvisioningKey;
use wardcam_core::wipe::command::{read_order, verify};
use wardcam_core::wipe::{Target, WipeError, MAX_VALIDITY_SECS};

const BIN: &str = env!("CARGO_BIN_EXE_wardcam-admin");
const INSTALLATION: &str = "0123456789abcdef0123456789abcdef";

fn run(args: &[&str]) -> Output {
    Command::new(BIN).args(args).output().unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn keygen(dir: &Path) -> (PathBuf, ProvisioningKey) {
    let o = run(&["keygen", "--out", path(dir)]);
    assert!(o.status.success(), "{}", stderr(&o));
    let public = ProvisioningKey::parse(String::from_utf8_lossy(&o.stdout).trim()).unwrap();
    (dir.join("provisioning.key"), public)
}

/// Decodes the one QR code in a PNG.
fn decode_qr(png_path: &Path) -> String {
    let file = std::io::BufReader::new(std::fs::File::open(png_path).unwrap());
    let mut decoder = png::Decoder::new(file);
    decoder.set_transformations(png::Transformations::EXPAND);
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    let (w, h, line) = (info.width as usize, info.height as usize, info.line_size);
    let mut image = rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| {
        if buf[y * line + x] > 127 {
            255
        } else {
            0
        }
    });
    let grids = image.detect_grids();
    assert_eq!(grids.len(), 1, "one QR code");
    grids[0].decode().unwrap().1
}

#[test]
fn wipe_writes_a_command_the_app_accepts_and_its_qr_code() {
    let tmp = tempfile::tempdir().unwrap();
    let (key, public) = keygen(&tmp.path().join("keys"));
    let out = tmp.path().join("wipe-one");
    let o = run(&[
        "wipe",
        "--key",
        path(&key),
        "--ods-code",
        "rx1",
        "--installation",
        "01234567-89AB-CDEF-0123-456789ABCDEF",
        "--out",
        path(&out),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = std::fs::read_to_string(out.join("wipe.txt")).unwrap();
    let line = text.trim_end();
    assert!(line.starts_with("WCW1:") && !line.contains('\n'));
    assert_eq!(decode_qr(&out.join("wipe.png")), line);

    let order = verify(line, &[public], now()).unwrap();
    assert_eq!(order.ods_code, "RX1");
    assert_eq!(order.target, Target::Installation(INSTALLATION.into()));
    assert_eq!(order.expires_at - order.issued_at, 24 * 3_600);
    assert!(String::from_utf8_lossy(&o.stdout).contains(&order.nonce));

    // Another key does not verify it.
    let (_, other) = keygen(&tmp.path().join("other"));
    assert_eq!(verify(line, &[other], now()), Err(WipeError::UnknownKey));

    // The same directory again is refused rather than overwritten.
    let again = run(&[
        "wipe",
        "--key",
        path(&key),
        "--ods-code",
        "RX1",
        "--fleet",
        "--out",
        path(&out),
    ]);
    assert_eq!(again.status.code(), Some(1));
    assert!(
        stderr(&again).contains("already exists"),
        "{}",
        stderr(&again)
    );
    assert_eq!(std::fs::read_to_string(out.join("wipe.txt")).unwrap(), text);
}

#[test]
fn a_fleet_command_names_no_installation_and_keeps_its_validity() {
    let tmp = tempfile::tempdir().unwrap();
    let (key, public) = keygen(&tmp.path().join("keys"));
    let out = tmp.path().join("fleet");
    let o = run(&[
        "wipe",
        "--key",
        path(&key),
        "--ods-code",
        "RX1",
        "--fleet",
        "--valid-for",
        "7d",
        "--out",
        path(&out),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let line = std::fs::read_to_string(out.join("wipe.txt")).unwrap();
    let order = read_order(line.trim()).unwrap();
    assert_eq!(order.target, Target::Fleet);
    assert_eq!(order.expires_at - order.issued_at, MAX_VALIDITY_SECS);
    assert!(verify(line.trim(), &[public], now()).is_ok());
    assert!(String::from_utf8_lossy(&o.stdout).contains("EVERY phone"));
}

#[test]
fn wipe_refuses_bad_requests() {
    let tmp = tempfile::tempdir().unwrap();
    let (key, _) = keygen(&tmp.path().join("keys"));
    let out = tmp.path().join("out");
    let k = path(&key);
    let o = path(&out);
    // Usage errors: no target, both targets.
    for args in [
        &["wipe", "--key", k, "--ods-code", "RX1", "--out", o][..],
        &[
            "wipe",
            "--key",
            k,
            "--ods-code",
            "RX1",
            "--fleet",
            "--installation",
            INSTALLATION,
            "--out",
            o,
        ],
    ] {
        assert_eq!(run(args).status.code(), Some(2), "{args:?}");
    }
    // Refusals: longer than 7 days, a malformed installation id, a bad ODS code, no key.
    for (args, needle) in [
        (
            vec!["--fleet", "--valid-for", "8d", "--ods-code", "RX1"],
            "at most 7d",
        ),
        (
            vec!["--installation", "not-an-id", "--ods-code", "RX1"],
            "wipe.malformed",
        ),
        (vec!["--fleet", "--ods-code", "R X;1"], "wipe.malformed"),
    ] {
        let mut full = vec!["wipe", "--key", k, "--out", o];
        full.extend(args);
        let r = run(&full);
        assert_eq!(r.status.code(), Some(1), "{full:?}");
        assert!(stderr(&r).contains(needle), "{full:?}: {}", stderr(&r));
        assert!(!out.join("wipe.txt").exists(), "nothing written");
    }
    let missing = tmp.path().join("none.key");
    let r = run(&[
        "wipe",
        "--key",
        path(&missing),
        "--ods-code",
        "RX1",
        "--fleet",
        "--out",
        o,
    ]);
    assert_eq!(r.status.code(), Some(1));
}
