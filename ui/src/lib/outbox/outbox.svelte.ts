// The Outbox: every photo on the phone not yet delivered, of any visit (ended ones and visits from
// before a restart included), as core lists them with their patient. Withdrawal of consent for a
// listed photo goes to core, which decides which photos it covers and shreds them. Visits confirmed
// unverified or overridden are checked against the record again (`record_recheck`) when the Outbox
// opens and when the network comes back; core decides what each answer does, and a photo it holds
// can only be discarded. Delivery (delivery.svelte.ts) says when to list again.
import { toWardcamError, type call, type WardcamError } from '../ipc';
import { LATERALITY_LABELS } from '../review/laterality';
import type { PatientLine, PhotoSummary, SessionView } from '../types';

import { withDelivery } from './deliveryText';

export { stateText } from './deliveryText';

/** What the store needs from the outside world; tests pass fakes. */
export interface OutboxBackend {
  call: typeof call;
  /** Shows an error in the app's banner. */
  report: (error: WardcamError) => void;
  /** Runs a command that returns a new session view, as the session's own commands do; resolves
   * to whether it succeeded (the session reports a failure). */
  apply: (action: () => Promise<SessionView>) => Promise<boolean>;
  /** Delivery's progress, settled against each list core returns (stale progress dropped). */
  delivery?: { mark: () => number; settle: (list: readonly PhotoSummary[], mark: number) => void };
}

export class Outbox {
  list = $state<PhotoSummary[]>([]);
  busy = $state(false);
  /** Whether the list has been asked for at least once. */
  loaded = $state(false);

  readonly #backend: OutboxBackend;
  #asked = 0;

  constructor(backend: OutboxBackend) {
    this.#backend = backend;
  }

  /** True while the record is being asked about visits that are due a check. */
  rechecking = $state(false);

  async load(): Promise<void> {
    const ask = ++this.#asked;
    const mark = this.#backend.delivery?.mark() ?? 0;
    try {
      const list = await this.#backend.call('outbox_list');
      if (ask === this.#asked) {
        this.list = list.map(withDelivery);
        this.#backend.delivery?.settle(this.list, mark);
      }
    } catch (e) {
      this.#backend.report(toWardcamError(e));
    } finally {
      if (ask === this.#asked) this.loaded = true;
    }
  }

  /** Asks core to check due visits against the record again; lists again when any visit was
   * checked (verified, override confirmed, or held). Resolves to how many visits were checked. */
  async recheck(): Promise<number> {
    this.rechecking = true;
    try {
      const summary = await this.#backend.call('record_recheck');
      if (summary.outcomes.some((o) => o.outcome !== 'still_due')) await this.load();
      return summary.outcomes.length;
    } catch (e) {
      this.#backend.report(toWardcamError(e));
      return 0;
    } finally {
      this.rechecking = false;
    }
  }

  /** Discards a held photo: the only thing a clinician may do with one (it is never sent). A photo
   * of the visit open now not yet queued is deleted on its own (`photo_delete`); any other goes
   * through the Outbox's withdrawal (`consent_withdraw`), which deletes every photo of its visit not
   * yet sent, all held with it (core holds a whole visit). Core decides what each command may
   * delete; this only picks the command. */
  async discardHeld(photo: PhotoSummary): Promise<boolean> {
    this.busy = true;
    try {
      // Core shreds every photo of the held visit, and refuses while that visit is still open.
      let ok = true;
      try {
        await this.#backend.call('photos_discard_held', { id: photo.id });
      } catch (e) {
        this.#backend.report(toWardcamError(e));
        ok = false;
      }
      await this.load();
      return ok;
    } finally {
      this.busy = false;
    }
  }

  /** The clinician asks for a photo the hospital server stopped (refused, or its copy differed) to
   * be sent again, after IT has looked. Core refuses any photo it does not hold that way. Resolves
   * to whether core accepted; the list is asked for again either way. */
  async sendAgain(photo: PhotoSummary): Promise<boolean> {
    this.busy = true;
    try {
      let ok = true;
      try {
        await this.#backend.call('outbox_send_again', { photo: photo.id });
      } catch (e) {
        this.#backend.report(toWardcamError(e));
        ok = false;
      }
      await this.load();
      return ok;
    } finally {
      this.busy = false;
    }
  }

  /** The patient withdraws the consent under which `photo` was taken: core shreds every photo of
   * that visit not yet sent. The list is asked for again either way. */
  async withdraw(photo: string): Promise<boolean> {
    this.busy = true;
    try {
      const ok = await this.#backend.apply(() => this.#backend.call('consent_withdraw', { photo }));
      await this.load();
      return ok;
    } finally {
      this.busy = false;
    }
  }
}

/** What who the patient is means for sending: an alarm for a held photo, a note while the record
 * is still to be checked again, nothing when it may go. */
export function identityText(photo: PhotoSummary): { alarm: boolean; text: string } | null {
  switch (photo.identity.gate) {
    case 'held':
      return { alarm: true, text: `Held: ${photo.identity.reason.message} — this photo will not be sent` };
    case 'needs_recheck':
      return { alarm: false, text: 'Waiting to check the patient against the record' };
    case 'ready':
      return null;
  }
}

/** The patient's name, or "Name not recorded" when the band gave none. */
export function patientName(patient: PatientLine): string {
  return patient.name ?? 'Name not recorded';
}

/** The patient's identifier: the NHS number, else the hospital number. */
export function patientNumber(patient: PatientLine): string | null {
  if (patient.nhs_number) return `NHS ${patient.nhs_number}`;
  return patient.local_id;
}

/** "Heel (left)", "Sacral region", or "No body site yet". */
export function siteText(photo: PhotoSummary): string {
  if (!photo.body_site) return 'No body site yet';
  const side = photo.laterality && photo.laterality !== 'not_applicable' ? LATERALITY_LABELS[photo.laterality] : null;
  return side ? `${photo.body_site.display} (${side})` : photo.body_site.display;
}
