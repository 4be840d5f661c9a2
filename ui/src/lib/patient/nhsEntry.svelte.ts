// Manual NHS number entry, typed twice. Each box is checked by core as it is typed
// (`patient_check_nhs_number`); this file holds no NHS number rules, only the bookkeeping of which
// answer belongs to which keystroke.
import { toWardcamError } from '../ipc';
import { describeError } from '../errors/knownErrors';
import type { NhsNumberCheck } from '../types';

/** Asks core whether `input` is a valid NHS number. */
export type NhsChecker = (input: string) => Promise<NhsNumberCheck>;

/** One entry box and core's latest verdict on what it holds. */
export class NhsField {
  value = $state('');
  /** Core's answer for the current value; null while empty or before the first answer. */
  check = $state<NhsNumberCheck | null>(null);

  readonly #checker: NhsChecker;
  #asked = 0;

  constructor(checker: NhsChecker) {
    this.#checker = checker;
  }

  /** Sets the box's text and asks core about it. An answer to an older keystroke is dropped, so a
   * slow reply can never mark a newer, different number as valid. */
  async set(value: string): Promise<void> {
    this.value = value;
    const ask = ++this.#asked;
    if (value.trim() === '') {
      this.check = null;
      return;
    }
    let answer: NhsNumberCheck;
    try {
      answer = await this.#checker(value);
    } catch (e) {
      // Reaching core failed (for example, the app locked meanwhile): say so, never "valid".
      const error = toWardcamError(e);
      answer = { valid: false, formatted: null, error: { code: error.code, message: describeError(error) } };
    }
    if (ask === this.#asked) this.check = answer;
  }

  clear(): void {
    this.#asked++;
    this.value = '';
    this.check = null;
  }
}

/** Both boxes. Whether the two entries match is core's decision at confirmation
 * (`patient.entries_differ`); the UI only waits until core has accepted each one. */
export class NhsEntry {
  readonly first: NhsField;
  readonly second: NhsField;
  readonly ready = $derived.by(() => this.first.check?.valid === true && this.second.check?.valid === true);

  constructor(checker: NhsChecker) {
    this.first = new NhsField(checker);
    this.second = new NhsField(checker);
  }

  clear(): void {
    this.first.clear();
    this.second.clear();
  }
}
