// The patient being identified: what the band (or the typed number) said and what the record said,
// held by the backend until the clinician confirms. This store keeps only the latest answer; core
// decides validity, verification and whether confirming is allowed.
import { toWardcamError, type call, type WardcamError } from '../ipc';
import type { PatientSummary } from '../types';

/** What identification needs from the outside world; tests pass fakes. */
export interface IdentifyBackend {
  call: typeof call;
  /** Reads a wristband with the phone's camera; null when the clinician cancelled. */
  scanBarcode: () => Promise<string | null>;
  /** Shows an error in the app's banner. */
  report: (error: WardcamError) => void;
}

export class Identification {
  /** The patient awaiting confirmation; null until a band is read or a number typed. */
  candidate = $state<PatientSummary | null>(null);
  /** True while the backend parses and checks the record (the look-up can take seconds). */
  checking = $state(false);

  readonly #backend: IdentifyBackend;
  #asked = 0;

  constructor(backend: IdentifyBackend) {
    this.#backend = backend;
  }

  /** Restores a candidate held by the backend (after a screen change). */
  async load(): Promise<void> {
    const ask = ++this.#asked;
    try {
      const candidate = await this.#backend.call('patient_candidate');
      if (ask === this.#asked) this.candidate = candidate;
    } catch (e) {
      this.#backend.report(toWardcamError(e));
    }
  }

  identifyManual = (first: string, second: string) =>
    this.#identify(() => this.#backend.call('patient_identify_manual', { first, second }));

  /** Identifies from a wristband's barcode text: `viaCamera` only when the phone's own camera
   * scanner read it; a keyboard-wedge scanner or pasted text is band text. */
  identifyScan = (payload: string, viaCamera = false) =>
    this.#identify(() => this.#backend.call('patient_identify_scan', { payload, viaCamera }));

  /** Scans the wristband with the camera (mobile), then identifies from what it read. */
  async scan(): Promise<boolean> {
    let payload: string | null;
    try {
      payload = await this.#backend.scanBarcode();
    } catch (e) {
      this.#backend.report(toWardcamError(e));
      return false;
    }
    return payload === null ? false : this.identifyScan(payload, true);
  }

  /** Forgets the candidate, here and in the backend, to scan or type again. */
  async discard(): Promise<void> {
    this.#asked++;
    this.candidate = null;
    try {
      await this.#backend.call('patient_discard');
    } catch (e) {
      this.#backend.report(toWardcamError(e));
    }
  }

  /** After the session accepted the patient, the candidate is theirs: forget it here. */
  confirmed(): void {
    this.#asked++;
    this.candidate = null;
  }

  async #identify(action: () => Promise<PatientSummary>): Promise<boolean> {
    const ask = ++this.#asked;
    this.checking = true;
    try {
      const candidate = await action();
      if (ask === this.#asked) this.candidate = candidate;
      return true;
    } catch (e) {
      if (ask === this.#asked) this.#backend.report(toWardcamError(e));
      return false;
    } finally {
      if (ask === this.#asked) this.checking = false;
    }
  }
}
