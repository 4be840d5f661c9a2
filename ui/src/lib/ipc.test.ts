import { afterEach, describe, expect, it } from 'vitest';
import { clearMocks, mockIPC } from '@tauri-apps/api/mocks';
import { call, toWardcamError, WardcamError } from './ipc';

afterEach(() => clearMocks());

describe('toWardcamError', () => {
  it('keeps the code and message of a backend error', () => {
    const e = toWardcamError({ code: 'session.consent_required', message: 'Record consent first.' });
    expect(e).toBeInstanceOf(WardcamError);
    expect(e.code).toBe('session.consent_required');
    expect(e.message).toBe('Record consent first.');
  });

  it('turns anything else into app.unexpected with its text', () => {
    expect(toWardcamError('boom').code).toBe('app.unexpected');
    expect(toWardcamError('boom').message).toBe('boom');
    expect(toWardcamError(new Error('x')).message).toBe('x');
    expect(toWardcamError({ code: 1, message: 'not a code' }).code).toBe('app.unexpected');
    expect(toWardcamError(null).code).toBe('app.unexpected');
  });
});

describe('call', () => {
  it('passes arguments and returns the result', async () => {
    mockIPC((cmd, args) => {
      if (cmd === 'patient_check_nhs_number') {
        return { valid: (args as { input: string }).input === 'ok', formatted: null, error: null };
      }
      throw new Error(`unexpected ${cmd}`);
    });
    await expect(call('patient_check_nhs_number', { input: 'ok' })).resolves.toMatchObject({ valid: true });
  });

  it('rejects with a WardcamError carrying the backend code', async () => {
    mockIPC(() => {
      throw { code: 'session.locked', message: 'Locked.' };
    });
    await expect(call('session_start_capture')).rejects.toMatchObject({
      name: 'WardcamError',
      code: 'session.locked',
    });
  });
});
