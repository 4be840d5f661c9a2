// The Device screen's "Audit log" card: the chain's head in words, the export's file name, and
// saving the export as a file (a Blob download from the web view). Core exports the log and
// refuses while locked; no entry holds a patient identifier (core's promise).
import type { AuditExport, AuditHead } from '../types';

/** `wardcam-audit-<seq>.jsonl`: named for the head it ends at, so two saves are told apart. */
export function auditFileName(seq: number): string {
  return `wardcam-audit-${seq}.jsonl`;
}

/** "42 entries, head #41" and the head's whole hash (what the trust compares), or why not shown. */
export function auditHeadText(head: AuditHead | null, locked: boolean): { line: string; hash: string | null } {
  if (!head) return { line: locked ? 'Unlock to see the audit log' : 'The audit log is not open', hash: null };
  const n = head.entries === 1 ? '1 entry' : `${head.entries} entries`;
  return { line: head.entries === 0 ? 'No entries yet' : `${n}, head #${head.seq}`, hash: head.hash };
}

/** Hands `text` to the web view as a download named `name`. */
export function downloadText(name: string, text: string, doc: Document = document): void {
  const url = URL.createObjectURL(new Blob([text], { type: 'application/jsonl' }));
  try {
    const a = doc.createElement('a');
    a.href = url;
    a.download = name;
    a.rel = 'noopener';
    doc.body.appendChild(a);
    a.click();
    a.remove();
  } finally {
    // After the click has started the download; a later revoke would keep the log in memory.
    setTimeout(() => URL.revokeObjectURL(url), 0);
  }
}

/** Saves an export as `wardcam-audit-<seq>.jsonl`; returns the name used. */
export function saveAuditExport(exported: AuditExport, save: (name: string, text: string) => void = downloadText): string {
  const name = auditFileName(exported.seq);
  save(name, exported.jsonl);
  return name;
}
