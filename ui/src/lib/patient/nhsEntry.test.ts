import { describe, expect, it } from 'vitest';
import { NhsEntry, NhsField } from './nhsEntry.svelte';
import type { NhsNumberCheck } from '../types';

const valid = (formatted: string): NhsNumberCheck => ({ valid: true, formatted, error: null });
const wrong: NhsNumberCheck = {
  valid: false,
  formatted: null,
  error: { code: 'patient.check_digit_wrong', message: 'Check digit wrong (backend).' },
};

/** A checker whose answers the test releases one by one, in any order. */
function controlledChecker() {
  const pending: { input: string; resolve: (c: NhsNumberCheck) => void; reject: (e: unknown) => void }[] = [];
  const checker = (input: string) =>
    new Promise<NhsNumberCheck>((resolve, reject) => pending.push({ input, resolve, reject }));
  return { checker, pending };
}

describe('NhsField', () => {
  it("shows core's answer for the value typed", async () => {
    const field = new NhsField(async (input) => (input === '9434765919' ? valid('943 476 5919') : wrong));
    await field.set('9434765918');
    expect(field.check).toEqual(wrong);
    await field.set('9434765919');
    expect(field.check?.formatted).toBe('943 476 5919');
  });

  it('does not ask core about an empty box, and clears the old verdict', async () => {
    let asked = 0;
    const field = new NhsField(async () => {
      asked++;
      return wrong;
    });
    await field.set('12');
    await field.set('   ');
    expect(asked).toBe(1);
    expect(field.check).toBeNull();
  });

  it('drops a late answer to an older keystroke', async () => {
    const { checker, pending } = controlledChecker();
    const field = new NhsField(checker);
    const older = field.set('9434765919');
    const newer = field.set('9434765918');
    // The answer for the newer, wrong number arrives first; then the old "valid" one.
    pending[1]!.resolve(wrong);
    await newer;
    pending[0]!.resolve(valid('943 476 5919'));
    await older;
    expect(field.value).toBe('9434765918');
    expect(field.check?.valid).toBe(false);
  });

  it('reports a failure to reach core as not valid, with advice', async () => {
    const field = new NhsField(async () => {
      throw { code: 'session.locked', message: 'backend text' };
    });
    await field.set('9434765919');
    expect(field.check?.valid).toBe(false);
    expect(field.check?.error?.code).toBe('session.locked');
    expect(field.check?.error?.message).toMatch(/Unlock/);
  });

  it('forgets an answer still on its way when cleared', async () => {
    const { checker, pending } = controlledChecker();
    const field = new NhsField(checker);
    const asked = field.set('9434765919');
    field.clear();
    pending[0]!.resolve(valid('943 476 5919'));
    await asked;
    expect(field.check).toBeNull();
    expect(field.value).toBe('');
  });
});

describe('NhsEntry', () => {
  it('is ready only when core has accepted both boxes', async () => {
    const entry = new NhsEntry(async (input) => (input.replace(/\s/g, '') === '9434765919' ? valid('943 476 5919') : wrong));
    expect(entry.ready).toBe(false);
    await entry.first.set('943 476 5919');
    expect(entry.ready).toBe(false);
    await entry.second.set('9434765918');
    expect(entry.ready).toBe(false);
    await entry.second.set('9434765919');
    expect(entry.ready).toBe(true);
    entry.clear();
    expect(entry.ready).toBe(false);
  });
});
