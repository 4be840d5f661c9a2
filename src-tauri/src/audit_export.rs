//! The audit log's export, for the Device screen's "Save audit log": core's chain as JSON lines
//! (`Ward::audit_export`'s format, what `wardcam-admin audit verify` reads) with the head it ends
//! at, so the file can be named for it and checked against the status. It translates only: core
//! refuses it while locked, and no entry holds a patient identifier (core's promise).

use serde::Serialize;
use tauri::State;
use wardcam_core::audit::{write_export, GENESIS};

use crate::background::blocking;
use crate::error::CommandError;
use crate::SharedWard;

/// The exported log and its head.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct AuditExport {
    /// Entries in the file.
    entries: u64,
    /// The last entry's sequence number (0 for an empty log).
    seq: u64,
    /// The last entry's hash (hex), or the genesis hash for an empty log.
    hash: String,
    /// One entry per line, canonical JSON.
    jsonl: String,
}

/// Exports the chain. Refused while locked (`session.locked`).
#[tauri::command]
pub(crate) async fn audit_export(ward: State<'_, SharedWard>) -> Result<AuditExport, CommandError> {
    let ward = SharedWard::clone(&ward);
    blocking(move || {
        // One read gives both the lines and their head, so the name matches the content.
        let entries = ward.audit_entries()?;
        let (seq, hash) = entries
            .last()
            .map_or((0, GENESIS.to_owned()), |e| (e.seq, e.hash()));
        Ok(AuditExport {
            entries: entries.len() as u64,
            seq,
            hash,
            jsonl: write_export(&entries),
        })
    })
    .await
}
