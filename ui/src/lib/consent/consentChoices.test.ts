import { describe, expect, it } from 'vitest';
import { ConsentChoices } from './consentChoices.svelte';
import type { Signature } from '../types';

const sig: Signature = { width: 300, height: 100, strokes: [[{ x: 1, y: 2, t: 0 }]] };

describe('ConsentChoices', () => {
  it('ticks the clinical record whenever another use is ticked', () => {
    const c = new ConsentChoices();
    c.toggle('care');
    expect(c.purposes).toEqual([]);
    c.toggle('teaching');
    expect(c.purposes).toEqual(['care', 'teaching']);
    c.toggle('second_opinion');
    expect(c.purposes).toEqual(['care', 'second_opinion', 'teaching']);
  });

  it('unticking the clinical record unticks every other use', () => {
    const c = new ConsentChoices();
    c.toggle('publication');
    c.toggle('care');
    expect(c.purposes).toEqual([]);
    expect(c.missing()).toContain('Tick at least one use.');
  });

  it('builds a signed permit for a representative with their name and relationship', () => {
    const c = new ConsentChoices();
    c.who = 'representative';
    expect(c.missing()).toHaveLength(2);
    c.representativeName = 'Ann Smith';
    c.relationship = 'mother';
    expect(c.missing()).toEqual([]);
    expect(c.handsToPatient()).toBe(true);
    expect(c.permit('en-GB-v1', sig)).toEqual({
      decision: 'permit',
      purposes: ['care'],
      consented_by: { kind: 'representative', name: 'Ann Smith', relationship: 'mother' },
      method: { kind: 'signature', signature: sig },
      text_version: 'en-GB-v1',
    });
  });

  it('a verbal consent names the witness and never carries a signature', () => {
    const c = new ConsentChoices();
    c.how = 'verbal';
    expect(c.missing()).toEqual(["Enter the witness's name."]);
    c.witness = 'Nurse B';
    expect(c.handsToPatient()).toBe(false);
    expect(c.permit('v', sig).method).toEqual({ kind: 'verbal', witness: 'Nurse B' });
  });

  it('a best-interests decision is signed by the clinician, not handed to the patient', () => {
    const c = new ConsentChoices();
    c.who = 'best_interests';
    expect(c.missing()).toEqual(['Enter the best-interests reason.']);
    c.reason = 'Unconscious; photos guide treatment.';
    expect(c.handsToPatient()).toBe(false);
    expect(c.consentedBy()).toEqual({ kind: 'best_interests', reason: 'Unconscious; photos guide treatment.' });
  });

  it('a decline lists the purposes discussed and who declined', () => {
    const c = new ConsentChoices();
    c.toggle('teaching');
    expect(c.decline('en-GB-v1')).toEqual({
      purposes: ['care', 'teaching'],
      consented_by: { kind: 'patient' },
      text_version: 'en-GB-v1',
    });
  });

  it('starts afresh for another patient but keeps choices for the same one', () => {
    const c = new ConsentChoices();
    c.forPatient(1);
    c.toggle('teaching');
    c.forPatient(1);
    expect(c.purposes).toEqual(['care', 'teaching']);
    c.forPatient(2);
    expect(c.purposes).toEqual(['care']);
  });
});
