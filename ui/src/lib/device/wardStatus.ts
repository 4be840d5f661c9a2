// The ward's storage for the Device screen: how many photos wait on this phone, deletions left for
// the next start, and what the last start recovered. Counts are core's; this only words them.
import type { RecoveryReport, WardStatus } from '../types';

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** "Photos waiting on this phone: 2". */
export function waitingText(status: WardStatus): string {
  return `Photos waiting on this phone: ${status.photos}`;
}

/** "3 deletions will finish at next start", or null when none is pending. */
export function cleanupText(status: WardStatus): string | null {
  if (status.cleanup_pending <= 0) return null;
  return `${plural(status.cleanup_pending, 'deletion')} will finish at next start`;
}

/** What the last start found and did, or null when there is nothing to say (a clean start with
 * nothing waiting, or the vault not open yet). */
export function recoveryText(report: RecoveryReport | null): string | null {
  if (!report) return null;
  const parts: string[] = [];
  if (report.photos > 0) parts.push(`${plural(report.photos, 'photo')} of ${plural(report.visits, 'visit')} found again`);
  if (report.resumed_visit) parts.push('the open visit was resumed');
  const shredded = report.withdrawn_photos_shredded + report.unreferenced_items_shredded + report.stale_revisions;
  if (report.withdrawn_photos_shredded > 0) {
    parts.push(`${plural(report.withdrawn_photos_shredded, 'withdrawn photo')} deleted`);
  }
  if (shredded - report.withdrawn_photos_shredded > 0) {
    parts.push(`${plural(shredded - report.withdrawn_photos_shredded, 'leftover item')} cleaned up`);
  }
  if (report.unreadable_records > 0) {
    parts.push(`${plural(report.unreadable_records, 'record')} could not be read (kept; tell IT)`);
  }
  if (parts.length === 0) return null;
  const text = parts.join('; ');
  return `At start: ${text.charAt(0).toLowerCase()}${text.slice(1)}.`;
}
