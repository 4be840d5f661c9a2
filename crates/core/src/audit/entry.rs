//! An audit entry, its hash and the chain's check. Pure: the device manager's CLI verifies an
//! exported log with [`verify_chain`] and nothing else.
//!
//! Each entry holds its sequence number and the SHA-256 of the entry before it (hex, over that
//! entry's canonical JSON), so from the entries alone one can tell an entry removed (a sequence
//! gap, or a `prev` that does not match), two swapped (sequence out of order) or one edited (the
//! next entry's `prev` no longer matches). Truncating the end is told against a head the device
//! reports (its Device screen and managed feedback) with [`verify_chain`]'s `expected_head`.
//!
//! No entry holds a patient identifier in clear: visits and photos are named by their random ids,
//! and a patient by a keyed hash ([`Event::PatientIdentified`]) only the phone's audit key makes.

use serde::{Deserialize, Serialize};

use crate::consent::canonical::{canonical_json, sha256_hex};

/// The `prev` of the first entry: 64 zeros.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// What happened. Tagged by `type`; every field is an opaque id, a code or a count.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Event {
    /// The app unlocked (`method`: `pin`, `platform`, `kiosk_hand_back`).
    Unlocked {
        /// How.
        method: String,
    },
    /// An unlock was refused (the error's stable code).
    UnlockRefused {
        /// The refusal's code.
        code: String,
    },
    /// The app locked (`reason`: `idle`, `background`, `user`...).
    Locked {
        /// Why.
        reason: String,
    },
    /// A patient was confirmed for a visit.
    PatientIdentified {
        /// The visit's random id.
        visit: String,
        /// How the patient was identified (`scan`, `typed`) and whether the record vouched.
        how: String,
        /// HMAC-SHA256 of the identifier under the phone's audit key, hex (not reversible
        /// without the key, which never leaves the vault).
        patient: String,
    },
    /// The record check was overridden (its reason's code).
    RecordCheckOverridden {
        /// The visit.
        visit: String,
        /// The reason's code.
        reason: String,
    },
    /// Consent was recorded.
    ConsentRecorded {
        /// The visit.
        visit: String,
        /// The consent record's id.
        consent: String,
        /// `verbal` or `signed`; `declined` for a recorded refusal.
        how: String,
    },
    /// Consent was withdrawn; `photos` local copies were shredded with it.
    ConsentWithdrawn {
        /// The visit.
        visit: String,
        /// Photos shredded.
        photos: u64,
    },
    /// A photo was taken and sealed.
    Captured {
        /// The visit.
        visit: String,
        /// The photo's random id.
        photo: String,
    },
    /// A photo was redacted (a new sealed copy replaced it).
    Redacted {
        /// The photo.
        photo: String,
    },
    /// A photo went to the outbox.
    Queued {
        /// The photo.
        photo: String,
    },
    /// A photo was discarded by the clinician before delivery.
    Discarded {
        /// The photo.
        photo: String,
    },
    /// The server acknowledged a photo (`route`: `pacs`, `record`).
    Delivered {
        /// The photo.
        photo: String,
        /// Where.
        route: String,
    },
    /// A sealed copy of a waiting photo was packed for `route`, to be sent while the app is
    /// locked (`delivery.send_while_locked`): the trail shows a second copy exists until the
    /// next unlock destroys it.
    Packed {
        /// The photo.
        photo: String,
        /// Where it will go.
        route: String,
    },
    /// The server's copy was read back and matched the bytes sent.
    ReadBackMatched {
        /// The photo.
        photo: String,
        /// Where.
        route: String,
    },
    /// A delivered photo's local copy was destroyed (key shredded, file removed), per its deletion
    /// receipt.
    Shredded {
        /// The photo.
        photo: String,
    },
    /// An undelivered photo was shredded by the trust's retention policy.
    Purged {
        /// The photo.
        photo: String,
        /// Its age on the trusted clock, in hours.
        age_hours: u64,
    },
    /// The clinician was warned that photos have waited too long undelivered.
    RetentionWarned {
        /// How many.
        photos: u64,
    },
    /// The vault was wiped.
    Wiped {
        /// `mdm` or `signed_command`.
        source: String,
        /// Items shredded.
        items: u64,
    },
    /// A provisioning policy came into force.
    PolicyApplied {
        /// Its version.
        version: u64,
        /// `mdm`, `code`, `file`.
        source: String,
    },
    /// Entries that could not be written (`count`) or, made while locked, could not be read back
    /// at unlock: the gap is recorded, not hidden.
    EntriesLost {
        /// How many.
        count: u64,
        /// `write_failed`, `locked_unreadable`.
        why: String,
    },
}

impl Event {
    /// The entry's type, as it is tagged.
    pub fn kind(&self) -> &'static str {
        match self {
            Event::Unlocked { .. } => "unlocked",
            Event::UnlockRefused { .. } => "unlock_refused",
            Event::Locked { .. } => "locked",
            Event::PatientIdentified { .. } => "patient_identified",
            Event::RecordCheckOverridden { .. } => "record_check_overridden",
            Event::ConsentRecorded { .. } => "consent_recorded",
            Event::ConsentWithdrawn { .. } => "consent_withdrawn",
            Event::Captured { .. } => "captured",
            Event::Redacted { .. } => "redacted",
            Event::Queued { .. } => "queued",
            Event::Discarded { .. } => "discarded",
            Event::Delivered { .. } => "delivered",
            Event::Packed { .. } => "packed",
            Event::ReadBackMatched { .. } => "read_back_matched",
            Event::Shredded { .. } => "shredded",
            Event::Purged { .. } => "purged",
            Event::RetentionWarned { .. } => "retention_warned",
            Event::Wiped { .. } => "wiped",
            Event::PolicyApplied { .. } => "policy_applied",
            Event::EntriesLost { .. } => "entries_lost",
        }
    }

    /// The photo the entry is about, if any.
    pub fn photo(&self) -> Option<&str> {
        match self {
            Event::Captured { photo, .. }
            | Event::Redacted { photo }
            | Event::Queued { photo }
            | Event::Discarded { photo }
            | Event::Delivered { photo, .. }
            | Event::Packed { photo, .. }
            | Event::ReadBackMatched { photo, .. }
            | Event::Shredded { photo }
            | Event::Purged { photo, .. } => Some(photo),
            _ => None,
        }
    }

    /// The visit the entry is about, if any.
    pub fn visit(&self) -> Option<&str> {
        match self {
            Event::PatientIdentified { visit, .. }
            | Event::RecordCheckOverridden { visit, .. }
            | Event::ConsentRecorded { visit, .. }
            | Event::ConsentWithdrawn { visit, .. }
            | Event::Captured { visit, .. } => Some(visit),
            _ => None,
        }
    }
}

/// When and under which random id an entry was made while the app was locked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MadeWhileLocked {
    /// Unix milliseconds.
    pub at: u64,
    /// Random; tells a fold repeated after a crash.
    pub id: String,
}

/// One link of the chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    /// 0 for the first entry, then one more each time.
    pub seq: u64,
    /// When it joined the chain (Unix milliseconds, the phone's wall clock).
    pub at: u64,
    /// For an entry made while the app was locked: when it was made (it joined at the unlock).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub made_while_locked: Option<MadeWhileLocked>,
    /// What happened.
    pub event: Event,
    /// The previous entry's [`Entry::hash`], or [`GENESIS`].
    pub prev: String,
}

impl Entry {
    /// The entry as canonical JSON: what is hashed, sealed and exported.
    pub fn canonical(&self) -> Vec<u8> {
        // Serialising these plain structs cannot fail; a failure would hash as `null`, which no
        // successor names, so the chain check would report it rather than pass it.
        let value = serde_json::to_value(self).unwrap_or(serde_json::Value::Null);
        canonical_json(&value)
    }

    /// Lower-case hex SHA-256 of [`Entry::canonical`].
    pub fn hash(&self) -> String {
        sha256_hex(&self.canonical())
    }
}

/// The end of a verified chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Head {
    /// Entries checked.
    pub entries: u64,
    /// The last entry's sequence number.
    pub seq: u64,
    /// The last entry's hash.
    pub hash: String,
}

/// Where and how a chain breaks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChainBreak {
    /// The position (0-based) in the list of the first entry that does not follow.
    pub index: usize,
    /// Its sequence number, when it has one.
    pub seq: Option<u64>,
    /// What is wrong, for the device manager.
    pub what: BreakKind,
}

/// The kinds of break.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BreakKind {
    /// The entry is not a readable audit entry.
    Unreadable,
    /// The first entry checked does not start a chain (and no starting point was given).
    NotAtStart,
    /// Sequence numbers skip: entries are missing before this one.
    Gap,
    /// Sequence numbers go back or repeat: entries reordered or duplicated.
    OutOfOrder,
    /// The entry does not name the one before it: that one was edited, or one was removed.
    PrevMismatch,
    /// The chain ends before the head the phone reported: entries removed from its end.
    Truncated,
    /// The chain's last entry is not the head the phone reported.
    HeadMismatch,
}

impl BreakKind {
    /// The stable code (`wardcam-admin audit verify` prints it with the words).
    pub fn code(self) -> &'static str {
        match self {
            BreakKind::Unreadable => "audit.chain.unreadable",
            BreakKind::NotAtStart => "audit.chain.not_at_start",
            BreakKind::Gap => "audit.chain.gap",
            BreakKind::OutOfOrder => "audit.chain.out_of_order",
            BreakKind::PrevMismatch => "audit.chain.prev_mismatch",
            BreakKind::Truncated => "audit.chain.truncated",
            BreakKind::HeadMismatch => "audit.chain.head_mismatch",
        }
    }

    /// The device manager's words.
    pub fn message(self) -> &'static str {
        match self {
            BreakKind::Unreadable => "this line is not an audit entry (damaged or edited)",
            BreakKind::NotAtStart => {
                "the log does not start at the first entry (seq 0): entries before it are missing"
            }
            BreakKind::Gap => "entries are missing before this one (its sequence number skips)",
            BreakKind::OutOfOrder => {
                "this entry is out of order or repeated (its sequence number does not follow)"
            }
            BreakKind::PrevMismatch => {
                "the entry before this one was edited or removed (the hash it names differs)"
            }
            BreakKind::Truncated => "entries are missing from the end (the phone's head is later)",
            BreakKind::HeadMismatch => "the last entry is not the head the phone reported",
        }
    }
}

/// Checks that `entries` form one unbroken chain from the first entry (or, with `start`, from
/// after the entry with that sequence number and hash), and, with `expected_head`, that it ends
/// at the head the phone reported. Returns the head, or the first break.
pub fn verify_chain(
    entries: &[Entry],
    start: Option<(u64, &str)>,
    expected_head: Option<(u64, &str)>,
) -> Result<Head, ChainBreak> {
    let mut prev: Option<(u64, String)> = start.map(|(seq, hash)| (seq, hash.to_owned()));
    for (index, entry) in entries.iter().enumerate() {
        let at = |what| ChainBreak {
            index,
            seq: Some(entry.seq),
            what,
        };
        match &prev {
            None => {
                if entry.seq != 0 || entry.prev != GENESIS {
                    return Err(at(BreakKind::NotAtStart));
                }
            }
            Some((seq, hash)) => {
                if entry.seq <= *seq {
                    return Err(at(BreakKind::OutOfOrder));
                }
                if entry.seq != seq + 1 {
                    return Err(at(BreakKind::Gap));
                }
                if &entry.prev != hash {
                    return Err(at(BreakKind::PrevMismatch));
                }
            }
        }
        prev = Some((entry.seq, entry.hash()));
    }
    let head = match prev {
        Some((seq, hash)) => Head {
            entries: entries.len() as u64,
            seq,
            hash,
        },
        None => Head {
            entries: 0,
            seq: 0,
            hash: GENESIS.to_owned(),
        },
    };
    if let Some((seq, hash)) = expected_head {
        let end = ChainBreak {
            index: entries.len(),
            seq: Some(head.seq),
            what: BreakKind::Truncated,
        };
        if head.seq < seq || (entries.is_empty() && start.is_none()) {
            return Err(end);
        }
        if head.seq != seq || head.hash != hash {
            return Err(ChainBreak {
                what: BreakKind::HeadMismatch,
                ..end
            });
        }
    }
    Ok(head)
}

/// Reads an exported log: one entry's canonical JSON per line (blank lines ignored). A line that
/// is not an entry is a break of kind [`BreakKind::Unreadable`] at its position.
pub fn parse_export(text: &str) -> Result<Vec<Entry>, ChainBreak> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .enumerate()
        .map(|(index, line)| {
            serde_json::from_str(line).map_err(|_| ChainBreak {
                index,
                seq: None,
                what: BreakKind::Unreadable,
            })
        })
        .collect()
}

/// Writes entries as [`parse_export`] reads them.
pub fn write_export(entries: &[Entry]) -> String {
    let mut out = String::new();
    for e in entries {
        out.push_str(&String::from_utf8_lossy(&e.canonical()));
        out.push('\n');
    }
    out
}
