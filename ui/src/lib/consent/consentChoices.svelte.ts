// The clinician's choices on the consent screen, kept until the patient changes so they survive
// the screen being redrawn while the phone is with the patient. Rules (care required with other
// purposes, who needs what) are core's; the only rule mirrored here is ticking the clinical record
// when another use is ticked, so the screen never offers a choice core would refuse.
import type {
  ConsentForm,
  ConsentedBy,
  DeclineForm,
  Purpose,
  Signature,
} from '../types';

export type Who = ConsentedBy['kind'];
export type How = 'signature' | 'verbal';

export const PURPOSE_ORDER: readonly Purpose[] = ['care', 'second_opinion', 'teaching', 'publication'];

export class ConsentChoices {
  purposes = $state<Purpose[]>(['care']);
  who = $state<Who>('patient');
  representativeName = $state('');
  relationship = $state('');
  reason = $state('');
  how = $state<How>('signature');
  witness = $state('');
  /** The patient (session reference) these choices are for. */
  patient = $state<number | null>(null);

  /** Starts afresh when the session's patient is another one. */
  forPatient(patient: number | null): void {
    if (patient !== this.patient) {
      this.reset();
      this.patient = patient;
    }
  }

  reset(): void {
    this.purposes = ['care'];
    this.who = 'patient';
    this.representativeName = '';
    this.relationship = '';
    this.reason = '';
    this.how = 'signature';
    this.witness = '';
  }

  has(purpose: Purpose): boolean {
    return this.purposes.includes(purpose);
  }

  /** Ticks or unticks `purpose`. Every photo goes into the clinical record, so ticking another use
   * ticks care too, and unticking care unticks every other use. */
  toggle(purpose: Purpose): void {
    const on = new Set(this.purposes);
    if (on.has(purpose)) {
      if (purpose === 'care') on.clear();
      else on.delete(purpose);
    } else {
      on.add(purpose);
      on.add('care');
    }
    this.purposes = PURPOSE_ORDER.filter((p) => on.has(p));
  }

  /** Who consents, as core's ConsentedBy. */
  consentedBy(): ConsentedBy {
    switch (this.who) {
      case 'representative':
        return { kind: 'representative', name: this.representativeName, relationship: this.relationship };
      case 'best_interests':
        return { kind: 'best_interests', reason: this.reason };
      default:
        return { kind: 'patient' };
    }
  }

  /** What still needs typing before the form can be sent (core checks it all again). */
  missing(): string[] {
    const out: string[] = [];
    if (this.purposes.length === 0) out.push('Tick at least one use.');
    if (this.who === 'representative') {
      if (!this.representativeName.trim()) out.push("Enter the representative's name.");
      if (!this.relationship.trim()) out.push('Enter their relationship to the patient.');
    }
    if (this.who === 'best_interests' && !this.reason.trim()) out.push('Enter the best-interests reason.');
    if (this.how === 'verbal' && !this.witness.trim()) out.push("Enter the witness's name.");
    return out;
  }

  /** Whether the phone goes to the patient to sign: a signature by the patient or a representative.
   * A best-interests decision is signed by the clinician, on the clinician's screen. */
  handsToPatient(): boolean {
    return this.how === 'signature' && this.who !== 'best_interests';
  }

  /** The form for a consent given: signed with `signature`, or verbal before the witness. */
  permit(textVersion: string, signature: Signature | null): ConsentForm {
    return {
      decision: 'permit',
      purposes: [...this.purposes],
      consented_by: this.consentedBy(),
      method:
        this.how === 'verbal' || signature === null
          ? { kind: 'verbal', witness: this.witness }
          : { kind: 'signature', signature },
      text_version: textVersion,
    };
  }

  /** The form for a refusal of the purposes discussed. */
  decline(textVersion: string): DeclineForm {
    return { purposes: [...this.purposes], consented_by: this.consentedBy(), text_version: textVersion };
  }
}

/** One set of choices for the app: the consent screen is the only writer. */
export const consentChoices = new ConsentChoices();
