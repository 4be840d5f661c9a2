//! The bodies of the `audit_export` and `audit_record_bundle` fuzz targets
//! (`fuzz/fuzz_targets/`), kept here so unit tests run them over random and damaged inputs too
//! (`audit::tests::the_fuzz_body_*`, `delivery::audit_tests`).

use serde_json::{json, Value};

use super::entry::{parse_export, verify_chain, write_export, BreakKind};
use crate::delivery::fhir::{audit_event, entries_in_bundle, AuditContext};

/// Reads `data` as a FHIR Bundle of the record's AuditEvents, as `wardcam-admin audit verify`
/// does with a search result. Panics only if an invariant breaks:
///
/// - a refusal names an entry of the Bundle;
/// - every chain read is in sequence order;
/// - the entries of each chain, sent again as AuditEvents, read back as the same chains, and the
///   chain check reads them as it reads them from an export.
pub fn audit_record_bundle(data: &[u8]) {
    let Ok(bundle) = serde_json::from_slice::<Value>(data) else {
        return;
    };
    let chains = match entries_in_bundle(&bundle) {
        Ok(chains) => chains,
        Err(index) => {
            let n = bundle
                .get("entry")
                .and_then(Value::as_array)
                .map_or(0, Vec::len);
            assert!(index < n, "a refusal past the Bundle's end");
            return;
        }
    };
    let mut again = Vec::new();
    for (chain, entries) in &chains {
        assert!(
            entries.windows(2).all(|w| w[0].seq <= w[1].seq),
            "a chain out of sequence order"
        );
        let ctx = AuditContext {
            chain: chain.clone(),
            ..AuditContext::default()
        };
        again.extend(
            entries
                .iter()
                .map(|e| json!({ "resource": audit_event(e, &ctx) })),
        );
        let export = parse_export(&write_export(entries));
        assert!(
            export.as_ref().map(|x| verify_chain(x, None, None))
                == Ok(verify_chain(entries, None, None)),
            "the record's chain reads otherwise as an export"
        );
    }
    let rebuilt = json!({ "resourceType": "Bundle", "type": "searchset", "entry": again });
    assert!(
        entries_in_bundle(&rebuilt).as_ref() == Ok(&chains),
        "AuditEvents sent again read back otherwise"
    );
}

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
