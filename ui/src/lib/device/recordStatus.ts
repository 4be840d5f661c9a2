// The patient record endpoint on the Device screen, in words. Core and the shell decide what is
// wrong (the configuration, the number of pinned keys, the certificate's expiry); this only words it.
import type { RecordStatus } from '../types';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `18 Jan 2027` for Unix seconds, in UTC (certificate times are UTC). */
export function certificateDate(unixSeconds: number): string {
  const d = new Date(unixSeconds * 1000);
  return `${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()}`;
}

/** What an endpoint's status means for the clinician, for `endpointSummary`. */
interface EndpointWords {
  /** The line when nothing is provisioned. */
  unprovisioned: string;
  /** What cannot happen while the configuration is unusable. */
  blocked: string;
  /** What the phone cannot do once the server's key changes with no backup pin. */
  keyChange: string;
}

/** One line about an endpoint, and the warnings for IT. */
function endpointSummary(
  status: RecordStatus,
  words: EndpointWords,
): { line: string; bad: boolean; warnings: string[] } {
  if (status.problem) {
    const where = status.base_url ? `${status.base_url}: ` : '';
    return { line: `${where}${status.problem.message} ${words.blocked}`, bad: true, warnings: [] };
  }
  if (!status.base_url) return { line: words.unprovisioned, bad: false, warnings: [] };
  const warnings: string[] = [];
  if (status.no_backup_pin) {
    warnings.push(
      `Only ${status.pins} server key pinned, with no backup: when the hospital server's key changes, ${words.keyChange}. Tell IT.`,
    );
  }
  if (status.certificate?.expires_soon) {
    warnings.push(`The hospital server's certificate expires on ${certificateDate(status.certificate.not_after)}: tell IT.`);
  }
  return { line: status.base_url, bad: false, warnings };
}

/** What the Device screen says about the patient record endpoint: one line, and the warnings for IT. */
export function recordSummary(record: RecordStatus): { line: string; bad: boolean; warnings: string[] } {
  return endpointSummary(record, {
    unprovisioned: 'Not provisioned: patients are not verified against a record',
    blocked: 'No patient can be confirmed until this is fixed.',
    keyChange: 'this phone cannot check patients',
  });
}

/** What the Device screen says about the PACS photos are sent to (same shape as the record's). */
export function pacsSummary(pacs: RecordStatus): { line: string; bad: boolean; warnings: string[] } {
  return endpointSummary(pacs, {
    unprovisioned: 'Not provisioned: photos stay on this phone until IT sets up the image server',
    blocked: 'No photo can be sent until this is fixed; they stay on the phone.',
    keyChange: 'this phone cannot send photos',
  });
}
