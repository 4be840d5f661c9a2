// The patient record endpoint on the Device screen, in words. Core and the shell decide what is
// wrong (the configuration, the number of pinned keys, the certificate's expiry); this only words it.
import type { RecordStatus } from '../types';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `18 Jan 2027` for Unix seconds, in UTC (certificate times are UTC). */
export function certificateDate(unixSeconds: number): string {
  const d = new Date(unixSeconds * 1000);
  return `${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()}`;
}

/** What the Device screen says about the endpoint: one line, and the warnings for IT. */
export function recordSummary(record: RecordStatus): { line: string; bad: boolean; warnings: string[] } {
  if (record.problem) {
    const where = record.base_url ? `${record.base_url}: ` : '';
    return {
      line: `${where}${record.problem.message} No patient can be confirmed until this is fixed.`,
      bad: true,
      warnings: [],
    };
  }
  if (!record.base_url) {
    return { line: 'Not provisioned: patients are not verified against a record', bad: false, warnings: [] };
  }
  const warnings: string[] = [];
  if (record.no_backup_pin) {
    warnings.push(
      `Only ${record.pins} server key pinned, with no backup: when the hospital server's key changes, this phone cannot check patients. Tell IT.`,
    );
  }
  if (record.certificate?.expires_soon) {
    warnings.push(`The hospital server's certificate expires on ${certificateDate(record.certificate.not_after)}: tell IT.`);
  }
  return { line: record.base_url, bad: false, warnings };
}
