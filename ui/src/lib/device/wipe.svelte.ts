// Remote wipe (core's `wipe` module): whether the app shows the wiped screen, and the lines the
// wiped and Device screens show. Asked at start, again when the vault finishes opening (the wipe
// record is read once the key gate knows its folder), and when the backend says it wiped.
import { call, toWardcamError } from '../ipc';
import type { WipeReport, WipeStatus } from '../types';

export const WIPED = 'wipe://wiped';
const VAULT_CHANGED = 'vault://changed';

type Listen = (event: string, handler: () => void) => Promise<() => void>;
type Call = (command: 'wipe_status' | 'wipe_acknowledge') => Promise<WipeStatus>;

export class WipeStore {
  status = $state<WipeStatus | null>(null);
  #unlisten: (() => void)[] = [];
  #call: Call;

  constructor(callBackend: Call = (c) => (c === 'wipe_status' ? call('wipe_status') : call('wipe_acknowledge'))) {
    this.#call = callBackend;
  }

  /** The wiped screen is shown instead of the app. */
  get wiped(): boolean {
    return this.status?.wiped === true;
  }

  async start(listen: Listen) {
    for (const event of [WIPED, VAULT_CHANGED]) {
      this.#unlisten.push(await listen(event, () => void this.check()));
    }
    await this.check();
  }

  async check() {
    try {
      this.status = await this.#call('wipe_status');
    } catch {
      // Before the key gate knows its folder there is nothing to read yet; the vault's
      // "changed" event asks again.
    }
  }

  /** Dismisses the wiped screen; the lock screen then offers a fresh set-up. */
  async acknowledge() {
    try {
      this.status = await this.#call('wipe_acknowledge');
    } catch (e) {
      throw toWardcamError(e);
    }
  }

  stop() {
    for (const u of this.#unlisten) u();
    this.#unlisten = [];
  }
}

function when(ms: number): string {
  return new Date(ms).toLocaleString('en-GB', { dateStyle: 'medium', timeStyle: 'short' });
}

/** One sentence for the wiped and Device screens. */
export function wipeSummary(report: WipeReport | null): string {
  if (!report) return 'Never wiped.';
  const how = report.source === 'mdm' ? 'by MDM' : 'by a signed wipe command';
  const items = `${report.items} item${report.items === 1 ? '' : 's'}`;
  if (report.finished_at === null) {
    return `A wipe ${how} began ${when(report.started_at)} and finishes when WardCam restarts.`;
  }
  return `Wiped ${how} on ${when(report.finished_at)}: ${items} crypto-shredded and the vault key deleted.`;
}

/** The installation id grouped for reading aloud: 8-4-4-4-12, as the admin tool accepts it. */
export function groupedInstallation(id: string | null): string {
  if (!id) return 'None yet (set up first)';
  const parts = [id.slice(0, 8), id.slice(8, 12), id.slice(12, 16), id.slice(16, 20), id.slice(20)];
  return parts.filter((p) => p.length > 0).join('-');
}
