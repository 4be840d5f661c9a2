// The Outbox: every photo on the phone not yet delivered, of any visit (ended ones and visits from
// before a restart included), as core lists them with their patient. Withdrawal of consent for a
// listed photo goes to core, which decides which photos it covers and shreds them.
import { toWardcamError, type call, type WardcamError } from '../ipc';
import { LATERALITY_LABELS } from '../review/laterality';
import type { PatientLine, PhotoSummary, SessionView } from '../types';

/** What the store needs from the outside world; tests pass fakes. */
export interface OutboxBackend {
  call: typeof call;
  /** Shows an error in the app's banner. */
  report: (error: WardcamError) => void;
  /** Runs a command that returns a new session view, as the session's own commands do; resolves
   * to whether it succeeded (the session reports a failure). */
  apply: (action: () => Promise<SessionView>) => Promise<boolean>;
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

  async load(): Promise<void> {
    const ask = ++this.#asked;
    try {
      const list = await this.#backend.call('outbox_list');
      if (ask === this.#asked) this.list = list;
    } catch (e) {
      this.#backend.report(toWardcamError(e));
    } finally {
      if (ask === this.#asked) this.loaded = true;
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

/** Where a photo is, in words. */
export function stateText(photo: PhotoSummary): string {
  switch (photo.state) {
    case 'queued':
      return 'Waiting to send';
    case 'captured':
      return photo.current_visit ? 'Not yet labelled/queued: finish it on Review' : 'Not yet labelled/queued';
    case 'withdrawn':
      return 'Consent withdrawn: being deleted';
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
