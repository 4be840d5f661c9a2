import { afterEach, describe, expect, it, vi } from 'vitest';
import { clearMocks, mockIPC } from '@tauri-apps/api/mocks';
import { emit, listen } from '@tauri-apps/api/event';
import { SESSION_CHANGED, SessionService, type Backend } from './sessionService.svelte';
import { call, WardcamError } from '../ipc';
import { KNOWN_ERRORS } from '../errors/knownErrors';
import { typedPatient, view } from '../testing/views';
import type { SessionView } from '../types';

const locked: SessionView = view({ state: 'locked', lock_reason: 'start', screens: ['lock'], home: 'lock' });
const unlocked: SessionView = view({});
const confirmed: SessionView = { ...unlocked, state: 'patient_confirmed', patient: 1, screens: ['patient', 'consent', 'outbox', 'device'], home: 'consent' };


/** A fake backend that records calls and answers from a table. */
function fakeBackend(answers: Record<string, (args: unknown) => unknown>) {
  const calls: string[] = [];
  let emit: ((v: SessionView) => void) | null = null;
  const backend = {
    call: async (cmd: string, args?: unknown) => {
      calls.push(cmd);
      const answer = answers[cmd];
      if (!answer) throw new Error(`unexpected ${cmd}`);
      return answer(args);
    },
    listen: async (_event: string, handler: (v: SessionView) => void) => {
      emit = handler;
      return () => {
        emit = null;
      };
    },
  } as unknown as Backend;
  return { backend, calls, emit: (v: SessionView) => emit?.(v) };
}

const device = () => ({ app_version: '0.1.0', build: 'debug', development_unlock: true, idle_timeout_ms: 120000, platform: 'linux' });

describe('SessionService', () => {
  it("unlocks with the phone's lock when core says so, and otherwise passes on core's words", async () => {
    let outcome: unknown = { outcome: 'use_pin', message: 'The phone cannot check your screen lock now.', re_enrol: false };
    const { backend } = fakeBackend({
      session_view: () => locked,
      device_info: device,
      session_gate: () => ({ set_up: true, failures: 0, wait_ms: 0 }),
      session_unlock_platform: () => outcome,
      patient_current: () => null,
    });
    const s = new SessionService(backend);
    await s.start();
    expect(await s.unlockWithPhone()).toBe('The phone cannot check your screen lock now.');
    expect(s.view?.state).toBe('locked');
    outcome = { outcome: 'unlocked', ...unlocked };
    expect(await s.unlockWithPhone()).toBeNull();
    expect(s.view?.state).toBe('unlocked');
    expect(s.screen).toBe('patient');
  });

  it('starts on the Lock screen and does not ask for the patient while locked', async () => {
    const { backend, calls } = fakeBackend({ session_view: () => locked, device_info: device });
    const s = new SessionService(backend);
    await s.start();
    expect(s.screen).toBe('lock');
    expect(calls).not.toContain('patient_current');
  });

  it('follows core to the home screen of each new state and fetches the patient', async () => {
    const { backend } = fakeBackend({
      session_view: () => locked,
      device_info: device,
      session_unlock: () => unlocked,
      patient_confirm: () => confirmed,
      patient_current: () => null,
    });
    const s = new SessionService(backend);
    await s.start();
    await s.unlock('482916');
    expect(s.screen).toBe('patient');
    await s.confirmPatient();
    expect(s.screen).toBe('consent');
  });

  it('reads the gate again after a refused PIN, and sets up on the first start', async () => {
    let failures = 0;
    let setUp = false;
    const { backend, calls } = fakeBackend({
      session_view: () => locked,
      device_info: device,
      session_unlock: () => {
        failures += 1;
        throw { code: 'auth.wrong_pin', message: 'Wrong PIN.' };
      },
      session_set_up: (args) => {
        expect(args).toEqual({ pin: 'correct horse', name: 'Dr A Jones' });
        setUp = true;
        return unlocked;
      },
      session_gate: () => ({ set_up: setUp, failures, wait_ms: 0 }),
      patient_current: () => null,
    });
    const s = new SessionService(backend);
    await s.start();
    expect((await s.refreshGate())?.set_up).toBe(false);
    expect(await s.unlock('000000')).toBe(false);
    expect(s.errorCode).toBe('auth.wrong_pin');
    expect(s.gate?.failures).toBe(1);
    expect(s.screen).toBe('lock');
    expect(await s.setUp('correct horse', 'Dr A Jones')).toBe(true);
    expect(s.gate?.set_up).toBe(true);
    expect(s.screen).toBe('patient');
    expect(calls.filter((c) => c === 'session_gate').length).toBe(3);
  });

  it('shows known advice when core refuses, and keeps the view', async () => {
    const { backend } = fakeBackend({
      session_view: () => confirmed,
      device_info: device,
      patient_current: () => typedPatient,
      session_start_capture: () => {
        throw new WardcamError('session.consent_required', 'backend');
      },
    });
    const s = new SessionService(backend);
    await s.start();
    const ok = await s.startCapture();
    expect(ok).toBe(false);
    expect(s.errorCode).toBe('session.consent_required');
    expect(s.error).toMatch(/Record consent before taking photos/);
    expect(s.view?.state).toBe('patient_confirmed');
  });

  it('locks the screen and forgets the patient when the backend locks on idle', async () => {
    const { backend, emit } = fakeBackend({
      session_view: () => confirmed,
      device_info: device,
      patient_current: () => typedPatient,
    });
    const s = new SessionService(backend);
    await s.start();
    expect(s.patient?.nhs_number).toBe('943 476 5919');
    emit({ ...locked, lock_reason: 'idle' });
    await Promise.resolve();
    expect(s.screen).toBe('lock');
    expect(s.patient).toBeNull();
  });

  it('opens only screens core lists', async () => {
    const { backend } = fakeBackend({ session_view: () => unlocked, device_info: device, patient_current: () => null });
    const s = new SessionService(backend);
    await s.start();
    s.open('capture');
    expect(s.screen).toBe('patient');
    s.open('device');
    expect(s.screen).toBe('device');
  });
});

describe('SessionService with a late patient answer', () => {
  it('does not bring the patient back after the idle lock', async () => {
    let release: (p: unknown) => void = () => undefined;
    const { backend, emit } = fakeBackend({
      session_view: () => confirmed,
      device_info: device,
      patient_current: () => new Promise((resolve) => (release = resolve)),
    });
    const s = new SessionService(backend);
    const started = s.start();
    await new Promise((r) => setTimeout(r, 0));
    // The lock arrives while patient_current is still on its way.
    emit({ ...locked, lock_reason: 'idle' });
    release(typedPatient);
    await started;
    expect(s.view?.state).toBe('locked');
    expect(s.patient).toBeNull();
  });
});

describe('SessionService over the real IPC layer (mockIPC)', () => {
  afterEach(() => clearMocks());

  function realBackend(): Backend {
    return { call, listen: (event, handler) => listen<SessionView>(event, (e) => handler(e.payload)) };
  }

  it('sends the argument names the Rust commands declare', async () => {
    const sent: [string, unknown][] = [];
    mockIPC(
      (cmd, args) => {
        sent.push([cmd, args]);
        switch (cmd) {
          case 'device_info':
            return device();
          case 'session_view':
          case 'session_unlock':
            return unlocked;
          case 'patient_confirm':
            return confirmed;
          case 'session_lock':
            return { ...locked, lock_reason: (args as { reason: 'user' | 'background' }).reason };
          case 'patient_current':
            return null;
          default:
            throw { code: 'app.unexpected', message: cmd };
        }
      },
      { shouldMockEvents: true },
    );
    const s = new SessionService(realBackend());
    await s.start();
    await s.confirmPatient();
    await s.lock('background');
    expect(sent.map(([cmd]) => cmd)).toContain('patient_confirm');
    expect(sent).toContainEqual(['session_lock', { reason: 'background' }]);
    expect(s.view?.lock_reason).toBe('background');
    expect(s.screen).toBe('lock');
  });

  it('follows a session://changed event from the backend', async () => {
    mockIPC(
      (cmd) => {
        if (cmd === 'device_info') return device();
        if (cmd === 'session_view') return unlocked;
        if (cmd === 'patient_current') return null;
        throw { code: 'app.unexpected', message: cmd };
      },
      { shouldMockEvents: true },
    );
    const s = new SessionService(realBackend());
    await s.start();
    expect(s.screen).toBe('patient');
    await emit(SESSION_CHANGED, { ...locked, lock_reason: 'idle' });
    await vi.waitFor(() => expect(s.screen).toBe('lock'));
    expect(s.view?.lock_reason).toBe('idle');
    s.stop();
  });

  it('shows the error when core refuses, in clinician words', async () => {
    mockIPC(
      (cmd) => {
        if (cmd === 'device_info') return device();
        if (cmd === 'session_view') return confirmed;
        if (cmd === 'patient_current') return null;
        if (cmd === 'session_start_capture') throw { code: 'session.consent_required', message: 'backend' };
        throw { code: 'app.unexpected', message: cmd };
      },
      { shouldMockEvents: true },
    );
    const s = new SessionService(realBackend());
    await s.start();
    expect(await s.startCapture()).toBe(false);
    expect(s.errorCode).toBe('session.consent_required');
    expect(s.error).toBe(KNOWN_ERRORS['session.consent_required']);
  });

  it('an applied view may keep the screen shown, if core still lists it', async () => {
    const queued: SessionView = { ...confirmed, state: 'queued', queued_photos: 1, screens: ['patient', 'consent', 'capture', 'outbox', 'device'], home: 'outbox' };
    const { backend } = fakeBackend({
      session_view: () => queued,
      device_info: device,
      patient_current: () => null,
    });
    const s = new SessionService(backend);
    await s.start();
    s.open('device');
    // Withdrawal from the Outbox: the state changes (queued to confirmed), the screen stays.
    s.open('outbox');
    expect(await s.apply(async () => confirmed, { stay: true })).toBe(true);
    expect(s.view?.state).toBe('patient_confirmed');
    expect(s.screen).toBe('outbox');
    // Without `stay`, a new state goes to its home.
    expect(await s.apply(async () => ({ ...queued }))).toBe(true);
    expect(s.screen).toBe('outbox');
    s.open('device');
    expect(await s.apply(async () => confirmed)).toBe(true);
    expect(s.screen).toBe('consent');
    // A screen the new view no longer lists is left for its home even with `stay`.
    expect(await s.apply(async () => queued)).toBe(true);
    s.open('capture');
    expect(s.screen).toBe('capture');
    expect(await s.apply(async () => confirmed, { stay: true })).toBe(true);
    expect(s.screen).toBe('consent');
  });
});
