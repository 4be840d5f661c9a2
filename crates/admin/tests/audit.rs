//! `wardcam-admin audit verify`, the real binary, on logs a real journal wrote
//! (`wardcam_core::audit::Journal` on a vault in a temporary folder) and exported as the phone
//! does (`write_export`), then damaged the ways a log can be tampered with.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use wardcam_core::audit::{write_export, Entry, Event, Journal};
use wardcam_core::vault::danger::MemoryKeyStore;
use wardcam_core::vault::{Timestamp, Vault};

const BIN: &str = env!("CARGO_BIN_EXE_wardcam-admin");

fn run(args: &[&str]) -> Output {
    Command::new(BIN).args(args).output().unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Six entries from a journal: an unlock, a patient identified (by keyed hash), a capture, its
/// delivery and shred, a lock.
fn journal_entries() -> Vec<Entry> {
    let tmp = tempfile::tempdir().unwrap();
    let vault = Vault::create(&tmp.path().join("vault"), &MemoryKeyStore::new()).unwrap();
    let mut j = Journal::open(&vault, Timestamp(1_764_000_000_000)).unwrap();
    let patient = j.patient_hash("https://fhir.nhs.uk/Id/nhs-number", "9434765919");
    let events = [
        Event::Unlocked {
            method: "pin".into(),
        },
        Event::PatientIdentified {
            visit: "v-1".into(),
            how: "scan".into(),
            patient,
        },
        Event::Captured {
            visit: "v-1".into(),
            photo: "p-1".into(),
        },
        Event::Delivered {
            photo: "p-1".into(),
            route: "pacs".into(),
        },
        Event::Shredded {
            photo: "p-1".into(),
        },
        Event::Locked {
            reason: "idle".into(),
        },
    ];
    for (i, e) in events.into_iter().enumerate() {
        j.append(e, Timestamp(1_764_000_000_100 + i as u64))
            .unwrap();
    }
    let entries = j.entries().unwrap();
    assert_eq!(entries.len(), 6);
    entries
}

fn head_of(entries: &[Entry]) -> String {
    let last = entries.last().unwrap();
    format!("{}:{}", last.seq, last.hash())
}

/// Writes `text` to a file in `dir` and runs `audit verify` on it with `extra` arguments.
fn verify(dir: &Path, text: &str, extra: &[&str]) -> Output {
    let file = dir.join("audit.jsonl");
    std::fs::write(&file, text).unwrap();
    let mut args = vec!["audit", "verify", file.to_str().unwrap()];
    args.extend_from_slice(extra);
    run(&args)
}

/// The run failed with exit status 1 and its first line names `line`, `seq` and `code`.
fn assert_break(o: &Output, line: usize, seq: Option<u64>, code: &str) -> String {
    let err = stderr(o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(stdout(o).is_empty(), "{}", stdout(o));
    let first = err.lines().next().unwrap();
    let place = match seq {
        Some(seq) => format!("audit.jsonl:{line}: seq {seq}: "),
        None => format!("audit.jsonl:{line}: "),
    };
    assert!(first.contains(&place), "{place:?} not in {first:?}");
    assert!(first.ends_with(&format!("[{code}]")), "{first}");
    assert!(err.contains("NOT verified"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    err
}

#[test]
fn an_intact_chain_verifies_and_prints_its_head() {
    let tmp = tempfile::tempdir().unwrap();
    let entries = journal_entries();
    let head = head_of(&entries);
    let text = write_export(&entries);
    let o = verify(tmp.path(), &text, &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        stdout(&o).lines().next().unwrap(),
        format!("chain verified: 6 entries, head {head}")
    );
    assert!(stderr(&o).contains("--head"), "{}", stderr(&o));
    // With the phone's head, in either case, and with blank lines in the file.
    let spaced = text.replace('\n', "\n\n");
    let o = verify(tmp.path(), &spaced, &["--head", &head.to_uppercase()]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).starts_with(&format!("chain verified: 6 entries, head {head}\n")));
    assert!(stdout(&o).contains("nothing is missing from its end"));
}

#[test]
fn standard_input_is_read_for_a_dash() {
    let entries = journal_entries();
    let mut child = Command::new(BIN)
        .args(["audit", "verify", "-", "--head", &head_of(&entries)])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(write_export(&entries).as_bytes())
        .unwrap();
    let o = child.wait_with_output().unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).starts_with("chain verified: 6 entries, head 5:"));
}

#[test]
fn a_deleted_entry_is_a_gap_at_the_line_after_it() {
    let tmp = tempfile::tempdir().unwrap();
    let mut entries = journal_entries();
    entries.remove(2);
    let o = verify(tmp.path(), &write_export(&entries), &[]);
    let err = assert_break(&o, 3, Some(3), "audit.chain.gap");
    assert!(err.contains("entries are missing before this one"), "{err}");
    assert!(
        err.contains("line 2 holds seq 1: 1 entry (seq 2) is missing"),
        "{err}"
    );
    assert!(err.contains("lines 1 to 2 (seq 0 to 1)"), "{err}");
}

#[test]
fn a_deleted_entry_renumbered_is_an_edit_named_at_the_line_after_it() {
    let tmp = tempfile::tempdir().unwrap();
    let mut entries = journal_entries();
    entries.remove(2);
    for (i, e) in entries.iter_mut().enumerate() {
        e.seq = i as u64;
    }
    let o = verify(tmp.path(), &write_export(&entries), &[]);
    let err = assert_break(&o, 3, Some(2), "audit.chain.prev_mismatch");
    assert!(err.contains("was edited or removed"), "{err}");
    assert!(err.contains("only line 1 (seq 0) can be trusted"), "{err}");
}

#[test]
fn an_edited_entry_is_found_by_the_next_one() {
    let tmp = tempfile::tempdir().unwrap();
    let entries = journal_entries();
    let text = write_export(&entries);
    // Edited in the file, as someone with a text editor would: the photo's id changed.
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    assert!(lines[2].contains("\"p-1\""));
    lines[2] = lines[2].replace("\"p-1\"", "\"p-2\"");
    let o = verify(tmp.path(), &(lines.join("\n") + "\n"), &[]);
    let err = assert_break(&o, 4, Some(3), "audit.chain.prev_mismatch");
    assert!(err.contains("the entry on line 3 was edited"), "{err}");
    // The edited entry itself is not trusted.
    assert!(err.contains("lines 1 to 2 (seq 0 to 1)"), "{err}");
}

#[test]
fn reordered_entries_are_found_where_the_order_breaks() {
    let tmp = tempfile::tempdir().unwrap();
    let mut entries = journal_entries();
    entries.swap(3, 4);
    let o = verify(tmp.path(), &write_export(&entries), &[]);
    assert_break(&o, 4, Some(4), "audit.chain.gap");
    // An entry moved back after a later one: out of order.
    let mut entries = journal_entries();
    let moved = entries.remove(1);
    entries.insert(3, moved);
    let o = verify(tmp.path(), &write_export(&entries), &[]);
    assert_break(&o, 2, Some(2), "audit.chain.gap");
    let mut repeated = journal_entries();
    repeated.insert(4, repeated[2].clone());
    let o = verify(tmp.path(), &write_export(&repeated), &[]);
    let err = assert_break(&o, 5, Some(2), "audit.chain.out_of_order");
    assert!(err.contains("reordered or repeated"), "{err}");
    // The first entry removed: the log does not start at the start.
    let entries = journal_entries();
    let o = verify(tmp.path(), &write_export(&entries[1..]), &[]);
    let err = assert_break(&o, 1, Some(1), "audit.chain.not_at_start");
    assert!(err.contains("no entry of this log can be trusted"), "{err}");
}

#[test]
fn a_truncated_log_passes_alone_and_fails_against_the_phones_head() {
    let tmp = tempfile::tempdir().unwrap();
    let entries = journal_entries();
    let head = head_of(&entries);
    let cut = write_export(&entries[..4]);
    let o = verify(tmp.path(), &cut, &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).starts_with("chain verified: 4 entries, head 3:"));
    let o = verify(tmp.path(), &cut, &["--head", &head]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("[audit.chain.truncated]"), "{err}");
    assert!(err.contains("entries are missing from the end"), "{err}");
    assert!(err.contains("2 entries (seq 4 to 5)"), "{err}");
    // The last entry edited: the head differs.
    let mut last_edited = entries.clone();
    last_edited[5].at += 1;
    let o = verify(tmp.path(), &write_export(&last_edited), &["--head", &head]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("[audit.chain.head_mismatch]"), "{err}");
    assert!(
        err.contains("it was edited, or this log is from another phone"),
        "{err}"
    );
    // A log exported after the head was read holds that head and goes on: said so, still refused.
    let earlier = head_of(&entries[..5]);
    let o = verify(tmp.path(), &write_export(&entries), &["--head", &earlier]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("exported after the head was read"), "{err}");
}

#[test]
fn a_garbage_line_fails_cleanly_at_its_line() {
    let tmp = tempfile::tempdir().unwrap();
    let entries = journal_entries();
    let text = write_export(&entries);
    let mut lines: Vec<&str> = text.lines().collect();
    lines[3] = "this is not { an entry";
    let o = verify(
        tmp.path(),
        &(lines.join("\n") + "\n"),
        &["--head", &head_of(&entries)],
    );
    let err = assert_break(&o, 4, None, "audit.chain.unreadable");
    assert!(err.contains("lines 1 to 3 (seq 0 to 2)"), "{err}");
    // Bytes that are not UTF-8.
    let mut bytes = text.clone().into_bytes();
    let second = text.find('\n').unwrap() + 5;
    bytes[second] = 0xff;
    let file = tmp.path().join("audit.jsonl");
    std::fs::write(&file, &bytes).unwrap();
    let o = run(&["audit", "verify", file.to_str().unwrap()]);
    assert_break(&o, 2, None, "audit.chain.unreadable");
    // A break before a garbage line is the one reported: the first.
    let mut entries = journal_entries();
    entries.remove(1);
    let text = write_export(&entries) + "garbage\n";
    let o = verify(tmp.path(), &text, &[]);
    assert_break(&o, 2, Some(2), "audit.chain.gap");
    // Nothing but garbage, an empty file.
    let o = verify(tmp.path(), "\u{0}\u{1}{{{{\n", &[]);
    assert_break(&o, 1, None, "audit.chain.unreadable");
    let o = verify(tmp.path(), "", &[]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("[audit.chain.empty]"), "{}", stderr(&o));
}

#[test]
fn command_line_mistakes_exit_2() {
    let tmp = tempfile::tempdir().unwrap();
    let entries = journal_entries();
    for bad in ["5", "5:abc", "x:00", &format!("5:{}z", &"0".repeat(63))] {
        let o = verify(tmp.path(), &write_export(&entries), &["--head", bad]);
        assert_eq!(o.status.code(), Some(2), "{bad}: {}", stderr(&o));
        assert!(stderr(&o).contains("SEQ:HASH"), "{}", stderr(&o));
    }
    let o = run(&["audit", "verify"]);
    assert_eq!(o.status.code(), Some(2));
    for args in [&["audit", "verify", "--help"][..], &["audit", "--help"]] {
        let o = run(args);
        assert!(o.status.success(), "{args:?}: {}", stderr(&o));
        assert!(
            stdout(&o).contains("Usage: wardcam-admin audit"),
            "{args:?}"
        );
        assert!(stdout(&o).contains("verify") || stdout(&o).contains("--head"));
    }
    let missing = tmp.path().join("absent.jsonl");
    let o = run(&["audit", "verify", missing.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("absent.jsonl"), "{}", stderr(&o));
}

/// A FHIR search result holding the AuditEvents of `chains` (each a chain id and its entries), in
/// reverse order as a search may answer.
fn record_bundle(chains: &[(&str, &[Entry])]) -> String {
    use wardcam_core::delivery::fhir::{audit_event, AuditContext};
    let mut resources = Vec::new();
    for (chain, entries) in chains {
        let ctx = AuditContext {
            chain: (*chain).to_owned(),
            ..AuditContext::default()
        };
        resources.extend(
            entries
                .iter()
                .map(|e| serde_json::json!({ "resource": audit_event(e, &ctx) })),
        );
    }
    resources.reverse();
    serde_json::json!({ "resourceType": "Bundle", "type": "searchset", "entry": resources })
        .to_string()
}

#[test]
fn the_records_audit_events_verify_as_the_export_does_and_a_removed_one_is_found() {
    let tmp = tempfile::tempdir().unwrap();
    let entries = journal_entries();
    let head = head_of(&entries);
    let chain = "ab".repeat(32);
    let o = verify(
        tmp.path(),
        &record_bundle(&[(&chain, &entries)]),
        &["--head", &head],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o).starts_with(&format!("chain verified: 6 entries, head {head}\n")),
        "{}",
        stdout(&o)
    );
    // One AuditEvent deleted from the record: a gap at the entry after it.
    let mut cut = entries.clone();
    cut.remove(2);
    let o = verify(
        tmp.path(),
        &record_bundle(&[(&chain, &cut)]),
        &["--head", &head],
    );
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.lines().next().unwrap().contains("seq 3: "), "{err}");
    assert!(err.contains("[audit.chain.gap]"), "{err}");
    // Two phones: --head picks the one it ends; without it the tool asks.
    let other = journal_entries();
    let both = record_bundle(&[(&chain, &entries), (&"cd".repeat(32), &other)]);
    let o = verify(tmp.path(), &both, &["--head", &head_of(&other)]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains(&head_of(&other)), "{}", stdout(&o));
    let o = verify(tmp.path(), &both, &[]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("[audit.chain.several]"),
        "{}",
        stderr(&o)
    );
    // A Bundle with no WardCam AuditEvent.
    let o = verify(
        tmp.path(),
        r#"{"resourceType":"Bundle","type":"searchset","entry":[{"resource":{"resourceType":"Patient"}}]}"#,
        &[],
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("[audit.chain.empty]"), "{}", stderr(&o));
}
