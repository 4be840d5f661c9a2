import { describe, expect, it } from 'vitest';
import { confirmOffered, OVERRIDE_REASONS, overrideOffered } from './confirmable';
import { typedPatient } from '../testing/views';
import type { PatientSummary } from '../types';

const reason = { code: 'patient.record_not_found', message: 'No patient with this NHS number was found in the record.' };
const needsOverride: PatientSummary = { ...typedPatient, status: 'needs_override', reason, offers: { confirm: false, override: true } };
const overridden: PatientSummary = {
  ...needsOverride,
  override: { reason: 'record_system_down', detail: 'PAS down since 09:00', by: 'Dr Ada Jones', at: 0, overrode: reason.code },
  offers: { confirm: true, override: false },
};

describe('the confirmation card', () => {
  it('offers confirm only when core says it would accept it', () => {
    expect(confirmOffered(typedPatient)).toBe(true);
    expect(confirmOffered({ ...typedPatient, status: 'blocked', reason, offers: { confirm: false, override: false } })).toBe(false);
    // A trust that forbids unverified visits: core offers nothing for a not-verified patient.
    expect(confirmOffered({ ...typedPatient, offers: { confirm: false, override: false } })).toBe(false);
    // A confirmed patient (no offers) is never offered confirm again.
    expect(confirmOffered({ ...typedPatient, offers: null })).toBe(false);
  });

  it('offers the override form only while core would take one, then confirm', () => {
    expect(overrideOffered(needsOverride)).toBe(true);
    expect(confirmOffered(needsOverride)).toBe(false);
    expect(overrideOffered(overridden)).toBe(false);
    expect(confirmOffered(overridden)).toBe(true);
    expect(overrideOffered({ ...needsOverride, offers: null })).toBe(false);
  });

  it('words both reasons core accepts', () => {
    expect(Object.keys(OVERRIDE_REASONS).sort()).toEqual(['new_admission_not_registered', 'record_system_down']);
  });
});
