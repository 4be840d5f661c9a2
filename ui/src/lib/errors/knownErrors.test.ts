import { describe, expect, it } from 'vitest';
import { describeError, KNOWN_ERRORS } from './knownErrors';
import { WardcamError } from '../ipc';

describe('describeError', () => {
  it('uses the known advice for a known code', () => {
    const text = describeError(new WardcamError('session.consent_required', 'backend text'));
    expect(text).toBe(KNOWN_ERRORS['session.consent_required']);
    expect(text).toMatch(/consent/i);
  });

  it("falls back to the backend's message for an unknown code", () => {
    expect(describeError(new WardcamError('vault.future_code', 'Do this.'))).toBe('Do this.');
  });

  it('has advice for the visit and PIN-change codes core added', () => {
    for (const code of [
      'visit.unknown_photo',
      'visit.photo_queued',
      'visit.patient_changed',
      'visit.storage_full',
      'visit.manifest_invalid',
      'visit.manifest_version',
      'visit.random',
      'auth.old_pin_required',
    ]) {
      expect(KNOWN_ERRORS[code], code).toBeDefined();
    }
    expect(KNOWN_ERRORS['visit.storage_full']).toBe('Phone storage is full: send or delete photos first.');
  });

  it('gives advice ending in a full stop for every code', () => {
    for (const [code, text] of Object.entries(KNOWN_ERRORS)) {
      expect(code).toMatch(/^[a-z]+\.[a-z_]+$/);
      expect(text.trim().endsWith('.')).toBe(true);
    }
  });
});
