//! The body of the `audit_export` fuzz target (`fuzz/fuzz_targets/audit_export.rs`), kept here so
//! a unit test runs it over random and damaged exports too (`audit::tests::the_fuzz_body_*`).

use super::entry::{parse_export, verify_chain, write_export, BreakKind};

/// Reads `data` as an exported audit log and verifies its chain, as `wardcam-admin audit verify`
/// does. Panics only if an invariant breaks:
///
/// - a refused line is named by its place among the log's non-blank lines, as unreadable;
/// - a log that reads writes back to text that reads the same (so its hashes are stable);
/// - a chain that verifies reports as many entries as it has, and verifies again against its own
///   head (and not against a different one), and from its first entry onwards;
/// - a break is at an entry of the log, and everything before it verifies.
pub fn audit_export(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let entries = match parse_export(&text) {
        Ok(entries) => entries,
        Err(b) => {
            let lines = text.lines().filter(|l| !l.trim().is_empty()).count();
            assert!(b.index < lines, "a refused line past the end");
            assert_eq!(
                b.what,
                BreakKind::Unreadable,
                "a refusal that is not unreadable"
            );
            assert_eq!(b.seq, None, "an unreadable line with a sequence number");
            return;
        }
    };
    let again = parse_export(&write_export(&entries));
    assert!(
        again.as_ref() == Ok(&entries),
        "an export does not read back the same"
    );
    match verify_chain(&entries, None, None) {
        Ok(head) => {
            assert_eq!(head.entries, entries.len() as u64, "entries miscounted");
            let Some(first) = entries.first() else {
                return;
            };
            let own = verify_chain(&entries, None, Some((head.seq, &head.hash)));
            assert!(own.as_ref() == Ok(&head), "a chain fails its own head");
            let mut other = head.hash.clone();
            other.push('0');
            let refused = verify_chain(&entries, None, Some((head.seq, &other)));
            assert!(refused.is_err(), "a chain passes a head it does not end at");
            let rest = verify_chain(&entries[1..], Some((first.seq, &first.hash())), None);
            assert!(
                rest.as_ref().map(|h| (h.seq, &h.hash)) == Ok((head.seq, &head.hash)),
                "a chain does not verify from its first entry on"
            );
        }
        Err(b) => {
            assert!(b.index < entries.len(), "a break past the end");
            assert_eq!(
                b.seq,
                Some(entries[b.index].seq),
                "a break names another entry"
            );
            assert!(
                verify_chain(&entries[..b.index], None, None).is_ok(),
                "the entries before the first break do not verify"
            );
        }
    }
}
