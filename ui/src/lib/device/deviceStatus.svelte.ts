// The device status for the Device screen: what a device manager checks (the photos waiting and
// for how long, the last delivery, the policy, the audit chain's head, a remote wipe). Core takes
// it and decides what may be said while locked; this store only asks, and the functions below only
// word what core returned.
import { call, toWardcamError, type WardcamError } from '../ipc';
import type { DeviceStatus, QueueDepth } from '../types';

export class DeviceStatusStore {
  status = $state<DeviceStatus | null>(null);
  error = $state<WardcamError | null>(null);
  #asked = 0;

  /** Asks core again; an answer overtaken by a newer question is dropped. */
  async load(ask: () => Promise<DeviceStatus> = () => call('device_status')): Promise<void> {
    const asked = ++this.#asked;
    try {
      const status = await ask();
      if (asked !== this.#asked) return;
      this.status = status;
      this.error = null;
    } catch (e) {
      if (asked !== this.#asked) return;
      this.error = toWardcamError(e);
    }
  }
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** "under a minute", "5 minutes", "3 hours 20 minutes", "2 days 4 hours". */
export function ageText(ms: number): string {
  if (ms < MINUTE) return 'under a minute';
  if (ms < HOUR) return plural(Math.floor(ms / MINUTE), 'minute');
  if (ms < DAY) {
    const minutes = Math.floor((ms % HOUR) / MINUTE);
    return plural(Math.floor(ms / HOUR), 'hour') + (minutes > 0 ? ` ${plural(minutes, 'minute')}` : '');
  }
  const hours = Math.floor((ms % DAY) / HOUR);
  return plural(Math.floor(ms / DAY), 'day') + (hours > 0 ? ` ${plural(hours, 'hour')}` : '');
}

const LOCKED = 'Unlock to see';

/** "3 photos waiting: 1 captured, 1 queued, 1 held", "No photos waiting", or why it is not shown. */
export function queueText(status: DeviceStatus): string {
  const q = status.queue;
  if (!q) return `${LOCKED} the photos waiting`;
  if (q.total === 0) return 'No photos waiting';
  const parts: [keyof QueueDepth, string][] = [
    ['captured', 'not yet queued'],
    ['queued', 'queued'],
    ['sending', 'sending'],
    ['uploaded', 'being checked'],
    ['held', 'held'],
    ['withdrawn', 'being deleted (consent withdrawn)'],
  ];
  const words = parts.filter(([k]) => q[k] > 0).map(([k, w]) => `${q[k]} ${w}`);
  return `${plural(q.total, 'photo')} waiting: ${words.join(', ')}`;
}

/** How long the longest-waiting photo has waited (core's trusted clock), or null when none waits. */
export function oldestText(status: DeviceStatus): string | null {
  if (!status.queue) return null;
  if (status.oldest_undelivered_age_ms === null || status.queue.total === 0) return null;
  return `Oldest has waited at least ${ageText(status.oldest_undelivered_age_ms)}`;
}

/** "2 hours ago", measured against the time the status was taken. */
export function lastDeliveryText(status: DeviceStatus): string {
  if (status.locked || !status.queue) return `${LOCKED} the last delivery`;
  if (status.last_delivery_at === null) return 'None on this phone';
  const ago = Math.max(0, status.reported_at - status.last_delivery_at);
  return ago < MINUTE ? 'Just now' : `${ageText(ago)} ago`;
}

/** "Version 7 from MDM (RX1), a1b2c3d4…", or "No policy". */
export function policyText(status: DeviceStatus): string {
  const p = status.policy;
  if (!p) return 'No policy: not set up by a trust';
  const from = p.source === 'managed' ? ' from MDM' : p.source === 'code' ? ' from a provisioning code' : '';
  const digest = p.sha256 ? `, ${p.sha256.slice(0, 12)}…` : '';
  return `Version ${p.version}${from} (${p.ods_code})${digest}`;
}

/** "42 entries, head #41 3f2a9c1b7d0e…, intact", or why it is not shown. */
export function auditText(status: DeviceStatus): { line: string; bad: boolean } {
  const problem = status.audit_problem ? ` (last problem: ${status.audit_problem})` : '';
  const a = status.audit;
  if (!a) {
    if (status.locked) return { line: `${LOCKED} the audit chain${problem}`, bad: false };
    return { line: `The audit log is not open${problem}`, bad: true };
  }
  const state = a.intact ? 'intact' : 'BROKEN: tell IT';
  const lost = a.lost > 0 ? `, ${plural(a.lost, 'entry', 'entries')} lost` : '';
  return {
    line: `${plural(a.entries, 'entry', 'entries')}, head #${a.seq} ${a.hash.slice(0, 12)}…, ${state}${lost}${problem}`,
    bad: !a.intact || a.lost > 0 || status.audit_problem !== null,
  };
}

/** The last remote wipe in words, or null when there was none. */
export function wipeText(status: DeviceStatus): string | null {
  if (status.wipe_problem) return `The wipe record could not be read (${status.wipe_problem}): tell IT`;
  const w = status.wipe;
  if (!w) return null;
  const by = w.source === 'mdm' ? 'by MDM' : 'by a signed command';
  if (w.finished_at === null) return `A remote wipe ${by} is still finishing`;
  const ago = Math.max(0, status.reported_at - w.finished_at);
  return `Wiped remotely ${by} ${ago < MINUTE ? 'just now' : `${ageText(ago)} ago`}: ${plural(w.items, 'item')} destroyed`;
}
