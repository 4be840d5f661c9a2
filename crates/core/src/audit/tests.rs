//! The audit log: its chain, its files, its locked entries, tampering with each.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fs;

use super::*;
use crate::vault::danger::MemoryKeyStore;
use crate::vault::{Timestamp, Vault};

fn ev(n: u64) -> Event {
    Event::Captured {
        visit: format!("visit-{n}"),
        photo: format!("photo-{n}"),
    }
}

fn chain(n: u64) -> Vec<Entry> {
    let mut out: Vec<Entry> = Vec::new();
    for i in 0..n {
        let prev = out.last().map_or(GENESIS.to_owned(), Entry::hash);
        out.push(Entry {
            seq: i,
            at: 1_000 + i,
            made_while_locked: None,
            event: ev(i),
            prev,
        });
    }
    out
}

fn broken_at(entries: &[Entry]) -> (usize, BreakKind) {
    let b = verify_chain(entries, None, None).unwrap_err();
    (b.index, b.what)
}

#[test]
fn a_whole_chain_verifies_and_reports_its_head() {
    let c = chain(5);
    let head = verify_chain(&c, None, None).unwrap();
    assert_eq!((head.entries, head.seq), (5, 4));
    assert_eq!(head.hash, c[4].hash());
    assert_eq!(
        verify_chain(&c, None, Some((4, &c[4].hash()))).unwrap(),
        head
    );
    // A later slice verifies from a known entry.
    verify_chain(&c[2..], Some((1, &c[1].hash())), None).unwrap();
}

#[test]
fn deleting_reordering_or_editing_an_entry_is_found_where_it_happened() {
    let c = chain(6);
    let mut deleted = c.clone();
    deleted.remove(3);
    assert_eq!(broken_at(&deleted), (3, BreakKind::Gap));
    let mut swapped = c.clone();
    swapped.swap(2, 3);
    assert_eq!(broken_at(&swapped), (2, BreakKind::Gap));
    let mut swapped_end = c.clone();
    swapped_end.swap(4, 5);
    assert_eq!(broken_at(&swapped_end), (4, BreakKind::Gap));
    let mut repeated = c.clone();
    repeated.insert(3, c[2].clone());
    assert_eq!(broken_at(&repeated), (3, BreakKind::OutOfOrder));
    let mut edited = c.clone();
    edited[2].event = ev(99);
    assert_eq!(broken_at(&edited), (3, BreakKind::PrevMismatch));
    let mut retimed = c.clone();
    retimed[4].at += 1;
    assert_eq!(broken_at(&retimed), (5, BreakKind::PrevMismatch));
    // Renumbering after a deletion does not hide it: the hash named is the deleted entry's.
    let mut renumbered = deleted.clone();
    for (i, e) in renumbered.iter_mut().enumerate() {
        e.seq = i as u64;
    }
    assert_eq!(broken_at(&renumbered), (3, BreakKind::PrevMismatch));
    // Dropping the first entry.
    assert_eq!(broken_at(&c[1..]), (0, BreakKind::NotAtStart));
    // Cutting the end is found against the head the phone reported.
    let head = (5, c[5].hash());
    let cut = verify_chain(&c[..5], None, Some((head.0, &head.1))).unwrap_err();
    assert_eq!((cut.index, cut.what), (5, BreakKind::Truncated));
    let mut last_edited = c.clone();
    last_edited[5].at += 1;
    let b = verify_chain(&last_edited, None, Some((head.0, &head.1))).unwrap_err();
    assert_eq!(b.what, BreakKind::HeadMismatch);
}

#[test]
fn an_export_reads_back_and_a_damaged_line_is_named() {
    let c = chain(3);
    let text = write_export(&c);
    assert_eq!(parse_export(&text).unwrap(), c);
    let mut lines: Vec<&str> = text.lines().collect();
    lines[1] = "{\"seq\":1,\"not\":\"an entry\"}";
    let b = parse_export(&lines.join("\n")).unwrap_err();
    assert_eq!((b.index, b.what), (1, BreakKind::Unreadable));
    // Every break kind has words for the device manager.
    for k in [
        BreakKind::Unreadable,
        BreakKind::NotAtStart,
        BreakKind::Gap,
        BreakKind::OutOfOrder,
        BreakKind::PrevMismatch,
        BreakKind::Truncated,
        BreakKind::HeadMismatch,
    ] {
        assert!(k.message().len() > 20);
    }
}

fn vault() -> (tempfile::TempDir, Vault) {
    let tmp = tempfile::tempdir().unwrap();
    let v = Vault::create(&tmp.path().join("v"), &MemoryKeyStore::new()).unwrap();
    (tmp, v)
}

#[test]
fn the_journal_appends_survives_a_reopen_and_keeps_its_files_sealed() {
    let (_tmp, v) = vault();
    let mut j = Journal::open(&v, Timestamp(1)).unwrap();
    let patient = j.patient_hash("https://fhir.nhs.uk/Id/nhs-number", "9434765919");
    for i in 0..3 {
        j.append(ev(i), Timestamp(10 + i)).unwrap();
    }
    j.append(
        Event::PatientIdentified {
            visit: "visit-1".into(),
            how: "scan".into(),
            patient: patient.clone(),
        },
        Timestamp(20),
    )
    .unwrap();
    let status = j.status();
    assert_eq!((status.head.entries, status.head.seq), (4, 3));
    assert!(status.broken.is_none());
    drop(j);
    let mut j = Journal::open(&v, Timestamp(30)).unwrap();
    assert_eq!(j.status(), status);
    j.append(ev(9), Timestamp(31)).unwrap();
    let entries = j.entries().unwrap();
    assert_eq!(entries.len(), 5);
    verify_chain(&entries, None, None).unwrap();
    // The same patient hashes the same; another differs; the hash is not the number.
    assert_eq!(
        j.patient_hash("https://fhir.nhs.uk/Id/nhs-number", "9434765919"),
        patient
    );
    assert_ne!(
        j.patient_hash("https://fhir.nhs.uk/Id/nhs-number", "9434765920"),
        patient
    );
    // Nothing in the audit folder reads in clear: no identifier, no event name, no id.
    for f in fs::read_dir(audit_dir(v.dir())).unwrap() {
        let bytes = fs::read(f.unwrap().path()).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        for needle in ["9434765919", "captured", "visit-1", "photo-", &patient] {
            assert!(!text.contains(needle), "{needle} in clear");
        }
    }
    // Another vault's journal cannot read this one's lines.
    let (_t2, other) = vault();
    let chain_file = audit_dir(v.dir()).join("chain.log");
    fs::create_dir_all(audit_dir(other.dir())).unwrap();
    fs::copy(&chain_file, audit_dir(other.dir()).join("chain.log")).unwrap();
    let j2 = Journal::open(&other, Timestamp(40)).unwrap();
    assert_eq!(j2.status().broken.unwrap().what, BreakKind::Unreadable);
}

#[test]
fn a_torn_last_line_is_cut_and_an_edited_line_breaks_the_chain_where_it_is() {
    let (_tmp, v) = vault();
    let mut j = Journal::open(&v, Timestamp(1)).unwrap();
    for i in 0..4 {
        j.append(ev(i), Timestamp(10 + i)).unwrap();
    }
    drop(j);
    let path = audit_dir(v.dir()).join("chain.log");
    let good = fs::read(&path).unwrap();
    // A crash mid-append: half a line.
    let mut torn = good.clone();
    torn.extend_from_slice(b"AAAAbbbbCCCC");
    fs::write(&path, &torn).unwrap();
    let mut j = Journal::open(&v, Timestamp(20)).unwrap();
    assert!(j.status().broken.is_none());
    assert_eq!(fs::read(&path).unwrap(), good);
    j.append(ev(4), Timestamp(21)).unwrap();
    drop(j);
    // One line's ciphertext altered: unreadable at its place; new entries still chain after the
    // last readable one, and the break stays visible.
    let text = String::from_utf8(fs::read(&path).unwrap()).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    let mut b = lines[2].clone().into_bytes();
    b[20] = if b[20] == b'A' { b'B' } else { b'A' };
    lines[2] = String::from_utf8(b).unwrap();
    fs::write(&path, lines.join("\n") + "\n").unwrap();
    let j = Journal::open(&v, Timestamp(30)).unwrap();
    let broken = j.status().broken.unwrap();
    assert_eq!((broken.index, broken.what), (2, BreakKind::Unreadable));
    // Lines removed from the file: the gap shows.
    lines.remove(2);
    fs::write(&path, lines.join("\n") + "\n").unwrap();
    let j = Journal::open(&v, Timestamp(40)).unwrap();
    assert_eq!(j.status().broken.unwrap().what, BreakKind::Gap);
}

#[test]
fn entries_made_while_locked_join_the_chain_at_unlock_once() {
    let (_tmp, v) = vault();
    let dir = v.dir().to_path_buf();
    // Before any journal was opened there is no key to seal to.
    assert!(!append_locked(&dir, ev(0), Timestamp(1)).unwrap());
    let mut j = Journal::open(&v, Timestamp(2)).unwrap();
    j.append(ev(1), Timestamp(3)).unwrap();
    drop(j); // locked: the keys leave memory
    let refused = Event::UnlockRefused {
        code: "auth.wrong_pin".into(),
    };
    assert!(append_locked(&dir, refused.clone(), Timestamp(4)).unwrap());
    assert!(append_locked(&dir, ev(2), Timestamp(5)).unwrap());
    let locked_file = audit_dir(&dir).join("locked.log");
    let sealed = fs::read(&locked_file).unwrap();
    assert!(!String::from_utf8_lossy(&sealed).contains("auth.wrong_pin"));
    // A crash after the fold wrote the chain but before it removed the file: keep a copy.
    let j = Journal::open(&v, Timestamp(10)).unwrap();
    let entries = j.entries().unwrap();
    assert_eq!(entries.len(), 3);
    assert_eq!(entries[1].event, refused);
    let locked = entries[1].made_while_locked.as_ref().unwrap();
    assert_eq!((locked.at, entries[1].at), (4, 10));
    assert_eq!(entries[2].made_while_locked.as_ref().unwrap().at, 5);
    verify_chain(&entries, None, None).unwrap();
    assert!(!locked_file.exists());
    drop(j);
    fs::write(&locked_file, &sealed).unwrap();
    let j = Journal::open(&v, Timestamp(20)).unwrap();
    assert_eq!(j.entries().unwrap().len(), 3, "folded twice");
    drop(j);
    // A swapped public key: what is sealed to it cannot be folded, and the loss is recorded.
    let public = audit_dir(&dir).join("public.key");
    fs::write(&public, hex::encode([9u8; 32])).unwrap();
    assert!(append_locked(&dir, ev(3), Timestamp(30)).unwrap());
    let j = Journal::open(&v, Timestamp(31)).unwrap();
    let entries = j.entries().unwrap();
    assert_eq!(
        entries.last().unwrap().event,
        Event::EntriesLost {
            count: 1,
            why: "locked_unreadable".into()
        }
    );
    // The public key is put back.
    assert_ne!(fs::read_to_string(&public).unwrap(), hex::encode([9u8; 32]));
    verify_chain(&entries, None, None).unwrap();
}

#[test]
fn an_open_checks_what_follows_its_checkpoint_and_everything_when_a_line_before_changed() {
    let (_tmp, v) = vault();
    let path = audit_dir(v.dir()).join("chain.log");
    let cp_path = audit_dir(v.dir()).join("checkpoint");
    let mut j = Journal::open(&v, Timestamp(1)).unwrap();
    assert_eq!(j.checked_from(), 0);
    for i in 0..6 {
        j.append(ev(i), Timestamp(10 + i)).unwrap();
    }
    j.save_checkpoint();
    let status = j.status();
    drop(j);
    // From the checkpoint: the same head, and new entries chain on.
    let mut j = Journal::open(&v, Timestamp(20)).unwrap();
    assert_eq!(j.checked_from(), 6);
    assert_eq!(j.status(), status);
    j.append(ev(6), Timestamp(21)).unwrap();
    verify_chain(&j.entries().unwrap(), None, None).unwrap();
    drop(j);
    let good = fs::read(&path).unwrap();
    let lines = |bytes: &[u8]| -> Vec<String> {
        String::from_utf8(bytes.to_vec())
            .unwrap()
            .lines()
            .map(str::to_owned)
            .collect()
    };
    let damage = |lines: &mut Vec<String>, i: usize| {
        let mut b = lines[i].clone().into_bytes();
        b[20] = if b[20] == b'A' { b'B' } else { b'A' };
        lines[i] = String::from_utf8(b).unwrap();
    };
    // A line after the checkpoint damaged: found where it is, from the checkpoint.
    let mut after = lines(&good);
    damage(&mut after, 6);
    fs::write(&path, after.join("\n") + "\n").unwrap();
    let j = Journal::open(&v, Timestamp(30)).unwrap();
    assert_eq!(j.checked_from(), 6);
    let broken = j.status().broken.unwrap();
    assert_eq!((broken.index, broken.what), (6, BreakKind::Unreadable));
    drop(j);
    // A line before it damaged, removed, or two swapped: the whole chain is checked again.
    let mut before = lines(&good);
    damage(&mut before, 2);
    let mut removed = lines(&good);
    removed.remove(2);
    let mut swapped = lines(&good);
    swapped.swap(1, 2);
    for (changed, index, what) in [
        (before, 2, BreakKind::Unreadable),
        (removed, 2, BreakKind::Gap),
        (swapped, 1, BreakKind::Gap),
    ] {
        fs::write(&path, changed.join("\n") + "\n").unwrap();
        let j = Journal::open(&v, Timestamp(40)).unwrap();
        assert_eq!(j.checked_from(), 0);
        let broken = j.status().broken.unwrap();
        assert_eq!((broken.index, broken.what), (index, what));
    }
    // The lines put back as they were: the checkpoint holds again (broken opens left it).
    fs::write(&path, &good).unwrap();
    let whole = Journal::open(&v, Timestamp(50)).unwrap();
    assert_eq!(whole.checked_from(), 6);
    let status = whole.status();
    assert!(status.broken.is_none());
    drop(whole);
    // A damaged or missing checkpoint: everything is checked, and the status is the same.
    let mut sealed = fs::read(&cp_path).unwrap();
    sealed[5] ^= 1;
    fs::write(&cp_path, &sealed).unwrap();
    let j = Journal::open(&v, Timestamp(60)).unwrap();
    assert_eq!(j.checked_from(), 0);
    assert_eq!(j.status(), status);
    drop(j);
    fs::remove_file(&cp_path).unwrap();
    let j = Journal::open(&v, Timestamp(70)).unwrap();
    assert_eq!((j.checked_from(), j.status()), (0, status));
}

#[test]
fn a_write_that_fails_is_recorded_as_a_gap_by_the_next() {
    let (_tmp, v) = vault();
    let mut j = Journal::open(&v, Timestamp(1)).unwrap();
    j.append(ev(0), Timestamp(2)).unwrap();
    let dir = audit_dir(v.dir());
    // The log's folder made unwritable: the chain file replaced by a folder.
    let path = dir.join("chain.log");
    let saved = fs::read(&path).unwrap();
    fs::remove_file(&path).unwrap();
    fs::create_dir(&path).unwrap();
    assert_eq!(
        j.append(ev(1), Timestamp(3)).unwrap_err().code(),
        "audit.io"
    );
    assert_eq!(j.status().lost, 1);
    fs::remove_dir(&path).unwrap();
    fs::write(&path, saved).unwrap();
    j.append(ev(2), Timestamp(4)).unwrap();
    let entries = j.entries().unwrap();
    assert_eq!(
        entries[1].event,
        Event::EntriesLost {
            count: 1,
            why: "write_failed".into()
        }
    );
    assert_eq!(entries[2].event, ev(2));
    assert_eq!(j.status().lost, 0);
}

/// Exports made by a real journal, for the `audit_export` fuzz target's seeds and its body's
/// tests: every kind of field (a keyed patient hash, an entry made while locked, a lost-entries
/// entry), a short plain chain, and the first with one entry edited.
fn fuzz_seeds() -> Vec<(&'static str, Vec<u8>)> {
    let (_tmp, v) = vault();
    let mut j = Journal::open(&v, Timestamp(1_764_000_000_000)).unwrap();
    let patient = j.patient_hash("https://fhir.nhs.uk/Id/nhs-number", "9434765919");
    let events = [
        Event::Unlocked {
            method: "pin".into(),
        },
        Event::PatientIdentified {
            visit: "v-1a2b".into(),
            how: "scan_vouched".into(),
            patient,
        },
        Event::ConsentRecorded {
            visit: "v-1a2b".into(),
            consent: "c-77".into(),
            how: "verbal".into(),
        },
        ev(1),
        Event::Delivered {
            photo: "photo-1".into(),
            route: "pacs".into(),
        },
        Event::ReadBackMatched {
            photo: "photo-1".into(),
            route: "pacs".into(),
        },
        Event::Shredded {
            photo: "photo-1".into(),
        },
        Event::Locked {
            reason: "idle".into(),
        },
    ];
    for (i, e) in events.into_iter().enumerate() {
        j.append(e, Timestamp(1_764_000_000_100 + i as u64))
            .unwrap();
    }
    drop(j);
    append_locked(
        v.dir(),
        Event::UnlockRefused {
            code: "auth.wrong_pin".into(),
        },
        Timestamp(1_764_000_001_000),
    )
    .unwrap();
    let mut j = Journal::open(&v, Timestamp(1_764_000_002_000)).unwrap();
    j.append(
        Event::EntriesLost {
            count: 2,
            why: "write_failed".into(),
        },
        Timestamp(1_764_000_002_001),
    )
    .unwrap();
    let full = write_export(&j.entries().unwrap());
    let mut edited = j.entries().unwrap();
    edited[3].event = ev(9);
    vec![
        ("journal_all_kinds.jsonl", full.into_bytes()),
        ("chain_of_three.jsonl", write_export(&chain(3)).into_bytes()),
        ("edited_entry.jsonl", write_export(&edited).into_bytes()),
    ]
}

#[test]
fn the_fuzz_body_holds_for_the_seeds() {
    for (name, seed) in fuzz_seeds() {
        fuzzing::audit_export(&seed);
        let entries = parse_export(std::str::from_utf8(&seed).unwrap()).unwrap();
        let verified = verify_chain(&entries, None, None);
        assert_eq!(verified.is_ok(), name != "edited_entry.jsonl", "{name}");
    }
    // The edge cases by hand: nothing, blank lines, one entry, a number that cannot follow.
    for text in ["", "\n\n  \n", "{}", "[]\n{\"seq\":0}"] {
        fuzzing::audit_export(text.as_bytes());
    }
    let mut last = chain(2);
    last[1].seq = u64::MAX;
    fuzzing::audit_export(write_export(&last).as_bytes());
    last[0].seq = u64::MAX;
    fuzzing::audit_export(write_export(&last).as_bytes());
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(128))]

    #[test]
    fn the_fuzz_body_survives_random_input(
        b in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..400),
    ) {
        fuzzing::audit_export(&b);
        // Behind a whole entry, random bytes reach the chain check.
        fuzzing::audit_export(&[write_export(&chain(1)).as_bytes(), &b].concat());
    }

    #[test]
    fn the_fuzz_body_survives_damaged_exports(
        flips in proptest::collection::vec(
            (proptest::prelude::any::<proptest::sample::Index>(), 1u8..=255),
            0..4,
        ),
        swap in proptest::prelude::any::<(proptest::sample::Index, proptest::sample::Index)>(),
        cut in proptest::prelude::any::<proptest::sample::Index>(),
    ) {
        let text = write_export(&chain(5));
        let mut bytes = text.clone().into_bytes();
        for (at, x) in flips {
            let i = at.index(bytes.len());
            bytes[i] ^= x;
        }
        fuzzing::audit_export(&bytes);
        fuzzing::audit_export(&bytes[..cut.index(bytes.len() + 1)]);
        let mut lines: Vec<&str> = text.lines().collect();
        let n = lines.len();
        lines.swap(swap.0.index(n), swap.1.index(n));
        fuzzing::audit_export(lines.join("\n").as_bytes());
    }
}

/// Writes the `audit_export` fuzz target's seeds:
/// `cargo test -p wardcam-core --lib audit::tests::write_fuzz_corpus -- --ignored`.
#[test]
#[ignore = "writes fuzz/corpus/audit_export"]
fn write_fuzz_corpus() {
    let dir =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus/audit_export");
    fs::create_dir_all(&dir).unwrap();
    for (name, seed) in fuzz_seeds() {
        fs::write(dir.join(name), seed).unwrap();
    }
}
