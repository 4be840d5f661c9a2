//! The real `wardcam-admin` binary, end to end: what it writes is read back with the app's own
//! code (`wardcam_core::policy`) and an independent QR decoder.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{Map, Value};
use wardcam_core::policy::{payload, Policy, ProvisioningKey};

const BIN: &str = env!("CARGO_BIN_EXE_wardcam-admin");

fn sample_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/policy.toml")
}

fn sample() -> String {
    std::fs::read_to_string(sample_path()).unwrap()
}

fn run(args: &[&str]) -> Output {
    Command::new(BIN).args(args).output().unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
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

/// The sample with `from` replaced by `to` (exactly once).
fn sample_with(from: &str, to: &str) -> String {
    let text = sample();
    assert_eq!(
        text.matches(from).count(),
        1,
        "{from:?} must occur once in the sample"
    );
    text.replacen(from, to, 1)
}

/// The sample with a bearer token on the record endpoint.
fn sample_with_credential() -> String {
    sample_with(
        "# credential = { scheme = \"bearer\", token = \"...\" }",
        "credential = { scheme = \"bearer\", token = \"s3cret-token\" }",
    )
}

/// 1-based line of the first line of `text` containing `needle`.
fn line_of(text: &str, needle: &str) -> usize {
    text.lines().position(|l| l.contains(needle)).unwrap() + 1
}

fn keygen(dir: &Path) -> (PathBuf, PathBuf, ProvisioningKey) {
    let o = run(&["keygen", "--out", path(dir)]);
    assert!(o.status.success(), "{}", stderr(&o));
    let printed = ProvisioningKey::parse(stdout(&o).trim()).expect("keygen prints the public key");
    let private = dir.join("provisioning.key");
    let public = dir.join("provisioning.pub");
    let file_key =
        ProvisioningKey::parse(&std::fs::read_to_string(&public).unwrap()).expect("a .pub line");
    assert_eq!(printed, file_key);
    (private, public, printed)
}

#[cfg(unix)]
fn mode(p: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

/// Decodes the one QR code in a PNG.
fn decode_qr(png_path: &Path) -> String {
    let file = std::io::BufReader::new(std::fs::File::open(png_path).unwrap());
    let mut decoder = png::Decoder::new(file);
    decoder.set_transformations(png::Transformations::EXPAND);
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    assert_eq!(info.color_type, png::ColorType::Grayscale);
    let (w, h, line) = (info.width as usize, info.height as usize, info.line_size);
    let mut image = rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| {
        if buf[y * line + x] > 127 {
            255
        } else {
            0
        }
    });
    let grids = image.detect_grids();
    assert_eq!(grids.len(), 1, "{}: one QR code", png_path.display());
    let (meta, content) = grids[0].decode().unwrap();
    // The format information's level bits: M is 00.
    assert_eq!(meta.ecc_level, 0, "error correction level M");
    content
}

#[test]
fn every_command_has_help() {
    for args in [
        &["--help"][..],
        &["keygen", "--help"],
        &["validate", "--help"],
        &["sign", "--help"],
        &["show", "--help"],
        &["managed", "--help"],
        &["help", "sign"],
    ] {
        let o = run(args);
        assert!(o.status.success(), "{args:?}: {}", stderr(&o));
        assert!(stdout(&o).contains("Usage: wardcam-admin"), "{args:?}");
    }
    let o = run(&["sign"]);
    assert_eq!(
        o.status.code(),
        Some(2),
        "a missing argument is a usage error"
    );
}

#[test]
fn the_sample_policy_validates() {
    let o = run(&["validate", path(&sample_path())]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("valid: policy version 1"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn keygen_sign_and_the_app_accepts_the_code() {
    let dir = tempfile::tempdir().unwrap();
    let (private, public, key) = keygen(&dir.path().join("keys"));
    #[cfg(unix)]
    assert_eq!(
        mode(&private),
        0o600,
        "the private key is readable by its owner only"
    );

    let out = dir.path().join("code");
    let o = run(&[
        "sign",
        path(&sample_path()),
        "--key",
        path(&private),
        "--valid-for",
        "30d",
        "--out",
        path(&out),
        "--terminal",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o).contains('\u{2588}'),
        "--terminal prints the QR codes"
    );

    // The app's own check accepts the pasted code with the public key keygen printed.
    let code = std::fs::read_to_string(out.join("code.txt")).unwrap();
    let accepted = payload::verify(&code, &[key], now(), None).unwrap();
    assert_eq!(accepted.signed_by, key);
    let expected: Policy = toml::from_str(&sample()).unwrap();
    assert_eq!(accepted.bytes, expected.canonical_json().unwrap());
    let summary = payload::read_summary(&code).unwrap();
    let valid = summary.expires_at - summary.issued_at;
    assert_eq!(valid, 30 * 86_400);

    // Each PNG decodes to its line of code.txt, and there is one per part.
    let lines: Vec<&str> = code.lines().collect();
    assert_eq!(lines.len(), summary.parts);
    assert!(
        lines.len() >= 2,
        "the sample's certificates need a second part"
    );
    for (i, line) in lines.iter().enumerate() {
        assert!(line.starts_with(payload::PART_PREFIX));
        let png = out.join(format!("part-{}-of-{}.png", i + 1, lines.len()));
        assert_eq!(decode_qr(&png), *line, "{}", png.display());
    }

    // show: the summary, and "verified" with the right key.
    let o = run(&[
        "show",
        path(&out.join("code.txt")),
        "--public-key",
        path(&public),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let shown = stdout(&o);
    for expected in [
        "Example Hospitals NHS Foundation Trust",
        "RX1",
        "Version:    1",
        "record https://records.example.nhs.uk/fhir/R4",
        "pacs https://pacs.example.nhs.uk/dicom-web",
        &format!("Parts:      {}", lines.len()),
        "verified",
    ] {
        assert!(shown.contains(expected), "{expected:?} in {shown}");
    }

    // show with another trust's key: refused, with the app's reason.
    let (_, other_public, _) = keygen(&dir.path().join("other"));
    let o = run(&[
        "show",
        path(&out.join("code.txt")),
        "--public-key",
        path(&other_public),
    ]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("NOT verified") && stderr(&o).contains("policy.unknown_key"));

    // A tampered part: refused by show.
    let mut tampered: Vec<String> = lines.iter().map(|l| (*l).to_owned()).collect();
    let flipped = if tampered[1].as_bytes()[40] == b'A' {
        "B"
    } else {
        "A"
    };
    tampered[1].replace_range(40..41, flipped);
    let tampered = tampered.join("\n");
    let tampered_path = dir.path().join("tampered.txt");
    std::fs::write(&tampered_path, tampered).unwrap();
    let o = run(&["show", path(&tampered_path), "--public-key", path(&public)]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("NOT verified"), "{}", stderr(&o));

    // The same directory again: refused rather than mixing two codes.
    let o = run(&[
        "sign",
        path(&sample_path()),
        "--key",
        path(&private),
        "--out",
        path(&out),
    ]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("already holds a provisioning code"));
}

#[test]
fn keygen_refuses_to_overwrite_a_key() {
    let dir = tempfile::tempdir().unwrap();
    let (private, public, _) = keygen(dir.path());
    let before = (
        std::fs::read(&private).unwrap(),
        std::fs::read(&public).unwrap(),
    );
    let o = run(&["keygen", "--out", path(dir.path())]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("already exists"), "{}", stderr(&o));
    assert!(o.stdout.is_empty(), "no new public key is printed");
    let after = (
        std::fs::read(&private).unwrap(),
        std::fs::read(&public).unwrap(),
    );
    assert_eq!(before, after);
}

#[test]
fn sign_refuses_a_policy_with_a_credential() {
    let dir = tempfile::tempdir().unwrap();
    let (private, _, _) = keygen(&dir.path().join("keys"));
    let policy = dir.path().join("policy.toml");
    std::fs::write(&policy, sample_with_credential()).unwrap();
    // It is a valid policy (for MDM)...
    assert!(run(&["validate", path(&policy)]).status.success());
    // ...but never goes into a code.
    let out = dir.path().join("code");
    let o = run(&[
        "sign",
        path(&policy),
        "--key",
        path(&private),
        "--out",
        path(&out),
    ]);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("policy.secret_in_payload"),
        "{}",
        stderr(&o)
    );
    assert!(!stderr(&o).contains("s3cret"));
    assert!(!out.exists(), "nothing is written");
    // Only when asked for, with a warning, and marked in the signed summary; the canonical JSON
    // form signs the same way.
    for (source, dir_name) in [
        (policy.clone(), "with-secrets"),
        (json_of(&policy, &dir), "json"),
    ] {
        let out = dir.path().join(dir_name);
        let o = run(&[
            "sign",
            path(&source),
            "--key",
            path(&private),
            "--out",
            path(&out),
            "--include-secrets",
        ]);
        assert!(o.status.success(), "{}", stderr(&o));
        assert!(stderr(&o).contains("warning"), "{}", stderr(&o));
        let code = std::fs::read_to_string(out.join("code.txt")).unwrap();
        assert!(
            wardcam_core::policy::payload::read_summary(&code)
                .unwrap()
                .carries_secrets
        );
    }
}

/// The canonical JSON form of a TOML policy, written beside it.
fn json_of(toml_path: &std::path::Path, dir: &tempfile::TempDir) -> std::path::PathBuf {
    let text = std::fs::read_to_string(toml_path).unwrap();
    let policy: wardcam_core::policy::Policy = toml::from_str(&text).unwrap();
    let json = dir.path().join("policy.json");
    std::fs::write(&json, policy.canonical_json().unwrap()).unwrap();
    json
}

#[test]
fn sign_refuses_a_validity_over_90_days_and_a_bad_policy() {
    let dir = tempfile::tempdir().unwrap();
    let (private, _, _) = keygen(dir.path());
    let out = dir.path().join("code");
    for valid_for in ["91d", "2161h", "0d", "2w"] {
        let o = run(&[
            "sign",
            path(&sample_path()),
            "--key",
            path(&private),
            "--valid-for",
            valid_for,
            "--out",
            path(&out),
        ]);
        assert!(!o.status.success(), "{valid_for}");
        assert!(stderr(&o).contains("--valid-for"), "{valid_for}");
    }
    let policy = dir.path().join("bad.toml");
    let text = sample_with("ods_code = \"RX1\"", "ods_code = \"rx1\"");
    std::fs::write(&policy, &text).unwrap();
    let o = run(&[
        "sign",
        path(&policy),
        "--key",
        path(&private),
        "--out",
        path(&out),
    ]);
    assert!(!o.status.success());
    let line = line_of(&text, "ods_code = \"rx1\"");
    assert!(
        stderr(&o).contains(&format!("bad.toml:{line}: trust.ods_code: ")),
        "{}",
        stderr(&o)
    );
    assert!(!out.exists());
}

#[test]
fn validate_names_the_field_and_its_line() {
    // (name, policy text, marker on the expected line, expected "field: message" start)
    let cases: Vec<(&str, String, &str, &str)> = vec![
        (
            "bad ODS code",
            sample_with("ods_code = \"RX1\"", "ods_code = \"rx1\""),
            "ods_code = \"rx1\"",
            "trust.ods_code: must be the trust's ODS code",
        ),
        (
            "http base_url",
            sample_with(
                "base_url = \"https://records.example.nhs.uk/fhir/R4\"",
                "base_url = \"http://records.example.nhs.uk/fhir/R4\"",
            ),
            "http://records",
            "record.base_url: must be an https:// address",
        ),
        (
            "bad pin",
            {
                let text = sample();
                let pacs = text.find("\n[pacs]\n").unwrap();
                let pin = text[pacs..].find("spki_pins_sha256 = [").unwrap() + pacs;
                format!(
                    "{}spki_pins_sha256 = [\"not-a-pin\"]{}",
                    &text[..pin],
                    &text[pin + text[pin..].find('\n').unwrap()..]
                )
            },
            "not-a-pin",
            "pacs.spki_pins_sha256: must list at least one pin",
        ),
        (
            "unknown field",
            sample_with(
                "idle_lock_seconds = 120",
                "idle_lock_seconds = 120\nidle_lock_minutes = 2",
            ),
            "idle_lock_minutes",
            "session.idle_lock_minutes: unknown field `idle_lock_minutes`",
        ),
        (
            "wrong type (the value is never printed)",
            sample_with("idle_lock_seconds = 120", "idle_lock_seconds = \"s3cret\""),
            "s3cret",
            "session.idle_lock_seconds: invalid type: expected u32",
        ),
        (
            "missing field",
            sample_with("ods_code = \"RX1\"\n", ""),
            "[trust]",
            "trust.ods_code: missing field `ods_code`",
        ),
        (
            "idle lock out of range",
            sample_with("idle_lock_seconds = 120", "idle_lock_seconds = 5"),
            "idle_lock_seconds = 5",
            "session.idle_lock_seconds: must be 10 to 1800 seconds",
        ),
        (
            "TOML syntax error",
            sample_with(
                "name = \"Example Hospitals NHS Foundation Trust\"",
                "name = Example Hospitals",
            ),
            "name = Example",
            "TOML syntax error",
        ),
    ];
    let dir = tempfile::tempdir().unwrap();
    for (name, text, marker, expected) in cases {
        let file = dir.path().join("policy.toml");
        std::fs::write(&file, &text).unwrap();
        let o = run(&["validate", path(&file)]);
        assert_eq!(o.status.code(), Some(1), "{name}");
        let err = stderr(&o);
        let line = line_of(&text, marker);
        let prefix = format!("{}:{line}:", path(&file));
        let found = err
            .lines()
            .find(|l| l.starts_with(&prefix))
            .unwrap_or_else(|| panic!("{name}: no diagnostic at line {line}: {err}"));
        // FILE:LINE[:COL]: field: message
        let rest =
            found[prefix.len()..].trim_start_matches(|c: char| c.is_ascii_digit() || c == ':');
        assert!(rest.trim_start().starts_with(expected), "{name}: {found}");
        assert!(
            !err.contains("s3cret"),
            "{name}: a value was printed: {err}"
        );
        assert!(err.contains("refused: 1 problem"), "{name}: {err}");
    }

    // Several problems at once, each at its own line.
    let text = sample_with("version = 1", "version = 0").replacen(
        "gsrn_prefix = \"5000000\"",
        "gsrn_prefix = \"123\"",
        1,
    );
    let file = dir.path().join("two.toml");
    std::fs::write(&file, &text).unwrap();
    let err = stderr(&run(&["validate", path(&file)]));
    for (field, marker) in [
        ("version", "version = 0"),
        ("wristband.gsrn_prefix", "gsrn_prefix = \"123\""),
    ] {
        let expected = format!("{}:{}: {field}: ", path(&file), line_of(&text, marker));
        assert!(err.contains(&expected), "{expected} in {err}");
    }
    assert!(err.contains("refused: 2 problems"));

    // A problem with a field absent from the file points at its table's header.
    let text = sample_with("# local_id_pattern = ", "local_id_pattern = ");
    std::fs::write(&file, &text).unwrap();
    let err = stderr(&run(&["validate", path(&file)]));
    let expected = format!(
        "{}:{}: wristband.local_id_issuer: ",
        path(&file),
        line_of(&text, "[wristband]")
    );
    assert!(err.contains(&expected), "{expected} in {err}");
}

fn read_android_xml(xml: &str) -> Value {
    use quick_xml::events::Event;
    struct Frame {
        key: String,
        kind: String,
        map: Map<String, Value>,
        text: String,
    }
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut stack: Vec<Frame> = Vec::new();
    let mut root = None;
    loop {
        match reader.read_event().unwrap() {
            Event::Start(e) => {
                let (key, kind) = match e.name().as_ref() {
                    "restrictions" => (String::new(), "B".to_owned()),
                    "entry" => {
                        let attr = |name: &str| {
                            e.try_get_attribute(name)
                                .unwrap()
                                .unwrap()
                                .normalized_value(quick_xml::XmlVersion::default())
                                .unwrap()
                                .into_owned()
                        };
                        (attr("key"), attr("type"))
                    }
                    other => panic!("unexpected element {other:?}"),
                };
                stack.push(Frame {
                    key,
                    kind,
                    map: Map::new(),
                    text: String::new(),
                });
            }
            Event::Text(t) => {
                if let Some(frame) = stack.last_mut() {
                    frame.text.push_str(&t.xml10_content());
                }
            }
            Event::GeneralRef(r) => {
                let c = match &*r {
                    "amp" => '&',
                    "lt" => '<',
                    "gt" => '>',
                    "quot" => '"',
                    "apos" => '\'',
                    _ => r.resolve_char_ref().unwrap().unwrap(),
                };
                stack.last_mut().unwrap().text.push(c);
            }
            Event::End(_) => {
                let f = stack.pop().unwrap();
                let value = match f.kind.as_str() {
                    "s" => Value::String(f.text),
                    "i" => Value::from(f.text.trim().parse::<i64>().unwrap()),
                    "b" => Value::Bool(match f.text.trim() {
                        "true" => true,
                        "false" => false,
                        other => panic!("boolean {other:?}"),
                    }),
                    "B" => Value::Object(f.map),
                    other => panic!("type {other:?}"),
                };
                match stack.last_mut() {
                    Some(parent) => {
                        parent.map.insert(f.key, value);
                    }
                    None => root = Some(value),
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    root.unwrap()
}

#[test]
fn managed_outputs_read_back_to_the_same_policy() {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in [
        ("sample", sample()),
        ("with-credential", sample_with_credential()),
    ] {
        let policy_file = dir.path().join(format!("{name}.toml"));
        std::fs::write(&policy_file, &text).unwrap();
        let expected = toml::from_str::<Policy>(&text)
            .unwrap()
            .canonical_json()
            .unwrap();
        let json = dir.path().join(format!("{name}.json"));
        let xml = dir.path().join(format!("{name}.xml"));
        let plist_file = dir.path().join(format!("{name}.plist"));
        let o = run(&[
            "managed",
            path(&policy_file),
            "--android-json",
            path(&json),
            "--android-xml",
            path(&xml),
            "--ios-plist",
            path(&plist_file),
        ]);
        assert!(o.status.success(), "{name}: {}", stderr(&o));
        assert_eq!(
            stdout(&o).contains("keep them secret"),
            name == "with-credential",
            "{name}: says when the files hold a secret"
        );

        let values: [(&str, Value); 3] = [
            (
                "json",
                serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap(),
            ),
            (
                "xml",
                read_android_xml(&std::fs::read_to_string(&xml).unwrap()),
            ),
            ("plist", plist::from_file(&plist_file).unwrap()),
        ];
        for (form, value) in values {
            assert!(
                value["record_endpoint"].is_object(),
                "{name} {form}: bundles nest"
            );
            assert!(
                value["policy_version"].is_u64(),
                "{name} {form}: integers stay integers"
            );
            assert!(
                value["suspended"].is_boolean(),
                "{name} {form}: booleans stay booleans"
            );
            let policy = Policy::from_managed(&value)
                .unwrap_or_else(|e| panic!("{name} {form}: {:?}", e.problems()));
            assert_eq!(policy.canonical_json().unwrap(), expected, "{name} {form}");
        }
        #[cfg(unix)]
        for file in [&json, &xml, &plist_file] {
            assert_eq!(mode(file), 0o600, "{}", file.display());
        }
    }

    // At least one output is required; a bad policy writes nothing.
    let o = run(&["managed", path(&sample_path())]);
    assert_eq!(o.status.code(), Some(2));
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, sample_with("version = 1", "version = 0")).unwrap();
    let out = dir.path().join("bad.json");
    let o = run(&["managed", path(&bad), "--android-json", path(&out)]);
    assert!(!o.status.success());
    assert!(!out.exists());
}
