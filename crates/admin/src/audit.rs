//! `audit verify`: checks a phone's exported audit log (one entry's canonical JSON per line, as
//! `wardcam_core::audit::write_export` writes it) with the phone's own check,
//! `wardcam_core::audit::verify_chain`, and names the first break by the file's line and the
//! entry's sequence number. Core decides what is a break; this module only finds the words and the
//! lines.
//!
//! A line that is not UTF-8 or not an entry is a break at that line, but only after everything
//! before it has been checked: the first break in the file is the one reported.
//!
//! The file may instead be a FHIR search result (a `Bundle`) of the AuditEvents the phones sent
//! the trust's record (`GET [base]/AuditEvent?_count=1000`): each carries its chain entry, so the
//! same check runs on the record's copy. The entries of one phone's chain are taken in sequence
//! order (a search answers in any order) and checked as an export is, line N being the Nth entry;
//! with several phones' chains in the Bundle, `--head` picks the one it ends.

use std::io::Read;
use std::path::Path;

use wardcam_core::audit::{parse_export, verify_chain, write_export, BreakKind, ChainBreak, Entry};
use wardcam_core::delivery::fhir::entries_in_bundle;

use crate::Failure;

/// The chain head the phone shows on its Device screen: `SEQ:HASH`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportedHead {
    /// The last entry's sequence number.
    pub seq: u64,
    /// The last entry's hash (lower-case hex SHA-256).
    pub hash: String,
}

/// Reads `--head`: a sequence number, a colon and 64 hex digits (either case).
pub fn parse_head(text: &str) -> Result<ReportedHead, String> {
    let bad = || {
        format!(
            "must be SEQ:HASH as the phone's Device screen shows it (a sequence number, a colon, \
             64 hex digits); got {text:?}"
        )
    };
    let (seq, hash) = text.trim().split_once(':').ok_or_else(bad)?;
    let seq: u64 = seq.trim().parse().map_err(|_| bad())?;
    let hash = hash.trim();
    if hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(bad());
    }
    Ok(ReportedHead {
        seq,
        hash: hash.to_ascii_lowercase(),
    })
}

/// The entries read from a log, each with its line in the file, and the first line that is not
/// an entry (nothing after it is read).
struct ReadLog {
    entries: Vec<Entry>,
    lines: Vec<usize>,
    unreadable: Option<usize>,
}

fn read_log(bytes: &[u8]) -> ReadLog {
    // Text up to the first line that is not UTF-8; that line, if any, is unreadable.
    let (text, mut unreadable) = match std::str::from_utf8(bytes) {
        Ok(text) => (text, None),
        Err(e) => {
            let valid = &bytes[..e.valid_up_to()];
            let start = valid.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
            let line = valid[..start].iter().filter(|&&b| b == b'\n').count() + 1;
            (
                std::str::from_utf8(&valid[..start]).unwrap_or(""),
                Some(line),
            )
        }
    };
    // The lines `parse_export` reads (it skips blank ones), with their 1-based line numbers.
    let numbered: Vec<(usize, &str)> = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| (i + 1, l))
        .collect();
    let entries = match parse_export(text) {
        Ok(entries) => entries,
        Err(b) => {
            let readable = numbered.get(..b.index).unwrap_or(&numbered);
            if let Some((line, _)) = numbered.get(b.index) {
                unreadable = Some(*line);
            }
            let prefix: Vec<&str> = readable.iter().map(|(_, l)| *l).collect();
            parse_export(&prefix.join("\n")).unwrap_or_default()
        }
    };
    let lines = numbered
        .iter()
        .take(entries.len())
        .map(|(n, _)| *n)
        .collect();
    ReadLog {
        entries,
        lines,
        unreadable,
    }
}

/// The largest log read: a phone's audit log is some hundred bytes an entry.
const MAX_LOG_BYTES: u64 = 1 << 30;

fn read_input(file: &Path) -> Result<(String, Vec<u8>), Failure> {
    let mut bytes = Vec::new();
    if file == Path::new("-") {
        std::io::stdin()
            .lock()
            .take(MAX_LOG_BYTES + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| Failure::refused(format!("standard input: {e}")))?;
        return Ok(("(standard input)".to_owned(), bytes));
    }
    let f = std::fs::File::open(file).map_err(|e| Failure::io(file, &e))?;
    f.take(MAX_LOG_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Failure::io(file, &e))?;
    Ok((file.display().to_string(), bytes))
}

/// `audit verify FILE [--head SEQ:HASH]`.
pub fn verify(file: &Path, head: Option<&ReportedHead>) -> Result<(), Failure> {
    let (name, bytes) = read_input(file)?;
    if bytes.len() as u64 > MAX_LOG_BYTES {
        return Err(Failure::refused(format!(
            "{name}: longer than 1 GiB, far longer than a phone's audit log [audit.chain.too_long]"
        )));
    }
    let (name, bytes) = match from_record(&name, &bytes, head)? {
        Some(chain) => chain,
        None => (name, bytes),
    };
    let log = read_log(&bytes);
    // Past an unreadable line nothing is read, so the phone's head cannot be compared.
    let expected = match (&log.unreadable, head) {
        (None, Some(h)) => Some((h.seq, h.hash.as_str())),
        _ => None,
    };
    let report = Report {
        name: &name,
        log: &log,
        head,
    };
    match verify_chain(&log.entries, None, expected) {
        Err(b) => Err(report.broken(&b)),
        Ok(_) if log.unreadable.is_some() => Err(report.unreadable()),
        Ok(h) if h.entries == 0 => Err(Failure::refused(format!(
            "{name}: holds no audit entries: nothing to verify (export the log again from the \
             phone) [audit.chain.empty]"
        ))),
        Ok(h) => {
            println!(
                "chain verified: {} entries, head {}:{}",
                h.entries, h.seq, h.hash
            );
            if head.is_some() {
                println!("it ends at the head the phone reported: nothing is missing from its end");
            } else {
                eprintln!(
                    "note: without --head, entries removed from the end cannot be seen; give \
                     --head SEQ:HASH as the phone's Device screen shows it"
                );
            }
            Ok(())
        }
    }
}

/// When `bytes` is a FHIR Bundle, the entries of the chain it holds (or of the one `head` ends)
/// as an export, and the name to report them under; `None` for anything else (an export).
fn from_record(
    name: &str,
    bytes: &[u8],
    head: Option<&ReportedHead>,
) -> Result<Option<(String, Vec<u8>)>, Failure> {
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(bytes) else {
        return Ok(None);
    };
    if value.get("resourceType").and_then(|v| v.as_str()) != Some("Bundle") {
        return Ok(None);
    }
    let chains = entries_in_bundle(&value).map_err(|i| {
        Failure::refused(format!(
            "{name}: Bundle.entry[{i}] is a WardCam AuditEvent whose audit entry cannot be read \
             (damaged or edited) [{}]",
            BreakKind::Unreadable.code()
        ))
    })?;
    let ends = |entries: &Vec<Entry>| {
        head.is_some_and(|h| entries.iter().any(|e| e.seq == h.seq && e.hash() == h.hash))
    };
    let (chain, entries) = match chains.len() {
        0 => {
            return Err(Failure::refused(format!(
                "{name}: a FHIR Bundle with no WardCam AuditEvent in it: nothing to verify \
                 (search the record for AuditEvent) [audit.chain.empty]"
            )))
        }
        1 => chains.into_iter().next(),
        _ => chains.into_iter().find(|(_, entries)| ends(entries)),
    }
    .ok_or_else(|| {
        Failure::refused(format!(
            "{name}: holds the audit logs of several phones; give --head SEQ:HASH as the \
             phone's Device screen shows it to pick one [audit.chain.several]"
        ))
    })?;
    Ok(Some((
        format!(
            "{name} (phone {}, AuditEvents in sequence order)",
            short(&chain)
        ),
        write_export(&entries).into_bytes(),
    )))
}

/// The words for a break.
struct Report<'a> {
    name: &'a str,
    log: &'a ReadLog,
    head: Option<&'a ReportedHead>,
}

/// The first 16 hex digits of a hash, enough to tell two apart when reading.
fn short(hash: &str) -> &str {
    hash.get(..16).unwrap_or(hash)
}

impl Report<'_> {
    fn line(&self, index: usize) -> usize {
        self.log.lines.get(index).copied().unwrap_or(0)
    }

    /// What can still be trusted: the entries before the break.
    fn trusted(&self, good: usize) -> String {
        let name = self.name;
        match good.checked_sub(1).and_then(|i| self.log.entries.get(i)) {
            None => format!("{name}: NOT verified: no entry of this log can be trusted."),
            Some(last) if good == 1 => format!(
                "{name}: NOT verified: only line {} (seq {}) can be trusted. Keep this file as \
                 evidence and compare it with a fresh export from the phone.",
                self.line(0),
                last.seq,
            ),
            Some(last) => format!(
                "{name}: NOT verified: lines 1 to {} (seq 0 to {}) form an unbroken chain; \
                 nothing after line {} can be trusted. Keep this file as evidence and compare it \
                 with a fresh export from the phone.",
                self.line(good - 1),
                last.seq,
                self.line(good - 1),
            ),
        }
    }

    fn unreadable(&self) -> Failure {
        let kind = BreakKind::Unreadable;
        let line = self.log.unreadable.unwrap_or(0);
        Failure {
            lines: vec![
                format!("{}:{line}: {} [{}]", self.name, kind.message(), kind.code()),
                self.trusted(self.log.entries.len()),
            ],
        }
    }

    fn broken(&self, b: &ChainBreak) -> Failure {
        let name = self.name;
        let (message, code) = (b.what.message(), b.what.code());
        let entries = &self.log.entries;
        let before = b
            .index
            .checked_sub(1)
            .and_then(|i| entries.get(i).map(|e| (self.line(i), e)));
        let mut lines = Vec::new();
        match (b.what, entries.get(b.index)) {
            (BreakKind::Truncated | BreakKind::HeadMismatch, _) => {
                lines.push(format!("{name}: at its end: {message} [{code}]"));
                if let Some(detail) = self.end_detail(b.what) {
                    lines.push(detail);
                }
                lines.push(format!(
                    "{name}: NOT verified: its entries form an unbroken chain, but not the one \
                     the phone reported."
                ));
                return Failure { lines };
            }
            (_, Some(entry)) => {
                let line = self.line(b.index);
                lines.push(format!(
                    "{name}:{line}: seq {}: {message} [{code}]",
                    entry.seq
                ));
                if let Some(detail) = detail(b.what, entry, before) {
                    lines.push(format!("  {detail}"));
                }
            }
            (_, None) => lines.push(format!("{name}: {message} [{code}]")),
        }
        // A hash that does not match puts the entry before in doubt too.
        let good = match b.what {
            BreakKind::PrevMismatch => b.index.saturating_sub(1),
            _ => b.index,
        };
        lines.push(self.trusted(good));
        Failure { lines }
    }

    /// Why the end differs from the phone's head.
    fn end_detail(&self, kind: BreakKind) -> Option<String> {
        let entries = &self.log.entries;
        let head = self.head?;
        let Some(last) = entries.last() else {
            return Some(format!(
                "  the log holds no entries, but the phone reported head {}:{}",
                head.seq, head.hash
            ));
        };
        let last_line = self.line(entries.len() - 1);
        let ends = format!(
            "the log ends at line {last_line} with {}:{}",
            last.seq,
            last.hash()
        );
        if kind == BreakKind::Truncated {
            let missing = head.seq - last.seq;
            return Some(format!(
                "  {ends}, but the phone reported head {}:{}: {missing} entr{} (seq {} to {}) \
                 removed from the end, or the head was read after this export was made",
                head.seq,
                head.hash,
                if missing == 1 { "y" } else { "ies" },
                last.seq + 1,
                head.seq
            ));
        }
        // The same or a later sequence number with another hash.
        let at = entries.iter().position(|e| e.seq == head.seq);
        Some(match at {
            Some(i) if entries[i].hash() == head.hash => format!(
                "  {ends}; the phone's head {}:{} is line {} of the log, which goes on past it: \
                 it was exported after the head was read. Read the head again and re-run.",
                head.seq,
                head.hash,
                self.line(i)
            ),
            Some(i) => format!(
                "  {ends}; the entry with seq {} (line {}) hashes to {}, not to the phone's {}: \
                 it was edited, or this log is from another phone",
                head.seq,
                self.line(i),
                entries[i].hash(),
                head.hash
            ),
            None => format!(
                "  {ends}; the phone reported {}:{}: this log is not that phone's",
                head.seq, head.hash
            ),
        })
    }
}

/// What the entry before a break says about it.
fn detail(kind: BreakKind, entry: &Entry, before: Option<(usize, &Entry)>) -> Option<String> {
    let (line, prev) = before?;
    Some(match kind {
        BreakKind::Gap => {
            let missing = entry.seq - prev.seq - 1;
            let which = if missing == 1 {
                format!("1 entry (seq {}) is", prev.seq + 1)
            } else {
                format!(
                    "{missing} entries (seq {} to {}) are",
                    prev.seq + 1,
                    entry.seq - 1
                )
            };
            format!(
                "line {line} holds seq {}: {which} missing between them",
                prev.seq
            )
        }
        BreakKind::OutOfOrder => format!(
            "line {line} holds seq {}, the same or later: entries were reordered or repeated",
            prev.seq
        ),
        BreakKind::PrevMismatch => format!(
            "it names the hash {}…, but line {line} (seq {}) hashes to {}…: the entry on line \
             {line} was edited, or entries between them were removed and the rest renumbered",
            short(&entry.prev),
            prev.seq,
            short(&prev.hash())
        ),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    #[test]
    fn a_head_is_a_sequence_number_and_a_whole_hash() {
        let hash = "ab".repeat(32);
        let h = parse_head(&format!("12:{}", hash.to_uppercase())).unwrap();
        assert_eq!((h.seq, h.hash.as_str()), (12, hash.as_str()));
        for bad in [
            "",
            "12",
            &format!("12:{}", &hash[1..]),
            &format!("x:{hash}"),
            &format!("-1:{hash}"),
            &format!("12:{}g", &hash[1..]),
            &format!("12:{hash}0"),
        ] {
            assert!(parse_head(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn lines_are_counted_in_the_file_blank_lines_included() {
        let log = read_log(b"\n\n{}\n");
        assert_eq!((log.entries.len(), log.unreadable), (0, Some(3)));
        let log = read_log(b"\n\xff\xfe\n");
        assert_eq!((log.entries.len(), log.unreadable), (0, Some(2)));
    }
}
