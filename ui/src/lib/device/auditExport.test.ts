import { describe, expect, it } from 'vitest';
import { auditFileName, auditHeadText, saveAuditExport } from './auditExport';

const head = { entries: 42, seq: 41, hash: '3f2a'.repeat(16), intact: true, lost: 0 };

describe('audit log card', () => {
  it('names the file for the head it ends at', () => {
    expect(auditFileName(41)).toBe('wardcam-audit-41.jsonl');
    expect(auditFileName(0)).toBe('wardcam-audit-0.jsonl');
  });

  it('words the head, or why it is not shown', () => {
    expect(auditHeadText(head, false)).toEqual({ line: '42 entries, head #41', hash: head.hash });
    expect(auditHeadText({ ...head, entries: 1, seq: 0 }, false).line).toBe('1 entry, head #0');
    expect(auditHeadText({ ...head, entries: 0, seq: 0 }, false).line).toBe('No entries yet');
    expect(auditHeadText(null, true)).toEqual({ line: 'Unlock to see the audit log', hash: null });
    expect(auditHeadText(null, false).line).toBe('The audit log is not open');
  });

  it('saves exactly the exported lines under that name', () => {
    const saved: [string, string][] = [];
    const name = saveAuditExport({ entries: 2, seq: 1, hash: 'ab', jsonl: 'a\nb\n' }, (n, t) => saved.push([n, t]));
    expect(name).toBe('wardcam-audit-1.jsonl');
    expect(saved).toEqual([['wardcam-audit-1.jsonl', 'a\nb\n']]);
  });
});
