// The patient being identified: what the band (or the typed number) said and what the record said,
// held by the backend until the clinician confirms. This store keeps only the latest answer; core
// decides validity, verification and whether confirming is allowed.
import { toWardcamError, type call, type WardcamError } from '../ipc';
import type { OverrideReason, PatientSummary } from '../types';

/** Core's answer when a bare NHS number came through the band-text field: it may have been typed,
 * so it must be typed a second time. */
export const SECOND_ENTRY_NEEDED = 'patient.second_entry_needed';

/** A number from the band-text field that core wants typed a second time. */
export interface SecondEntry {
  /** What was in the field, to move into the first NHS number box. */
  number: string;
  /** Core's words. */
  message: string;
}

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
  /** Set when core asked for a band-text number to be typed again; cleared by the next attempt. */
  secondEntry = $state<SecondEntry | null>(null);
  /** True while an override is being recorded. */
  overriding = $state(false);

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
   * scanner read it; a keyboard-wedge scanner or pasted text is band text. When core asks for the
   * number to be typed again (`patient.second_entry_needed`), this resolves false and sets
   * `secondEntry` instead of reporting an error: that is the type-it-twice flow, not a fault. */
  identifyScan = (payload: string, viaCamera = false) =>
    this.#identify(() => this.#backend.call('patient_identify_scan', { payload, viaCamera }), payload);

  /** Records why the clinician goes on although the record check needs an override; core
   * refuses any other outcome, and words too short or no clinician name. */
  async override(reason: OverrideReason, detail: string): Promise<boolean> {
    const ask = this.#asked;
    this.overriding = true;
    try {
      const candidate = await this.#backend.call('patient_override', { reason, detail });
      if (ask === this.#asked) this.candidate = candidate;
      return ask === this.#asked;
    } catch (e) {
      if (ask === this.#asked) this.#backend.report(toWardcamError(e));
      return false;
    } finally {
      this.overriding = false;
    }
  }

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
    this.secondEntry = null;
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

  async #identify(action: () => Promise<PatientSummary>, bandText?: string): Promise<boolean> {
    const ask = ++this.#asked;
    this.checking = true;
    this.secondEntry = null;
    try {
      const candidate = await action();
      if (ask === this.#asked) this.candidate = candidate;
      return true;
    } catch (e) {
      if (ask !== this.#asked) return false;
      const error = toWardcamError(e);
      if (error.code === SECOND_ENTRY_NEEDED && bandText !== undefined) {
        this.secondEntry = { number: bandText.trim(), message: error.message };
      } else {
        this.#backend.report(error);
      }
      return false;
    } finally {
      if (ask === this.#asked) this.checking = false;
    }
  }
}
