import { afterEach, describe, expect, it, vi } from 'vitest';
import { PinService } from './pinService.svelte';
import { WardcamError, type call } from '../ipc';
import type { PinStatus } from '../types';

const status = (over: Partial<PinStatus> = {}): PinStatus => ({
  ready: true,
  set: false,
  clinician: null,
  failures: 0,
  disabled: false,
  development_unlock: false,
  ...over,
});

function backend(answers: Record<string, (args: unknown) => unknown>) {
  const calls: { cmd: string; args: unknown }[] = [];
  const fn = (async (cmd: string, args?: unknown) => {
    calls.push({ cmd, args });
    const answer = answers[cmd];
    if (!answer) throw new Error(`unexpected ${cmd}`);
    return answer(args);
  }) as unknown as typeof call;
  return { fn, calls };
}

afterEach(() => vi.useRealTimers());

describe('PinService', () => {
  it('asks for setup only once the vault has answered and no PIN is set', async () => {
    const b = backend({ clinician_pin_status: () => status() });
    const pin = new PinService(b.fn);
    expect(pin.needsSetup).toBe(false);
    await pin.load();
    expect(pin.needsSetup).toBe(true);
  });

  it('a disabled PIN must be set again', async () => {
    const pin = new PinService(backend({ clinician_pin_status: () => status({ set: true, disabled: true }) }).fn);
    await pin.load();
    expect(pin.needsSetup).toBe(true);
  });

  it('asks again while the vault is still opening', async () => {
    vi.useFakeTimers();
    let n = 0;
    const b = backend({ clinician_pin_status: () => status({ ready: ++n > 1, set: true }) });
    const pin = new PinService(b.fn);
    await pin.load();
    expect(pin.needsSetup).toBe(false);
    expect(pin.status?.ready).toBe(false);
    await vi.advanceTimersByTimeAsync(1000);
    expect(b.calls).toHaveLength(2);
    expect(pin.status?.ready).toBe(true);
    pin.stop();
  });

  it('sends the PIN and name, and keeps core refusal for the screen', async () => {
    const b = backend({
      clinician_pin_set: (args) => {
        const { pin } = args as { pin: string };
        if (pin === '123456') throw new WardcamError('auth.pin_too_simple', 'too simple');
        return status({ set: true, clinician: 'Dr A' });
      },
    });
    const pin = new PinService(b.fn);
    expect(await pin.set('123456', 'Dr A')).toBe(false);
    expect(pin.error?.code).toBe('auth.pin_too_simple');
    expect(await pin.set('246810', 'Dr A')).toBe(true);
    expect(pin.error).toBeNull();
    expect(pin.status?.clinician).toBe('Dr A');
    expect(b.calls.at(-1)).toEqual({ cmd: 'clinician_pin_set', args: { pin: '246810', name: 'Dr A', oldPin: null } });
  });

  it('changing a working PIN sends the current one; core says when it is missing or wrong', async () => {
    const b = backend({
      clinician_pin_status: () => status({ set: true, clinician: 'Dr A' }),
      clinician_pin_set: (args) => {
        const { oldPin } = args as { oldPin: string | null };
        if (oldPin === null) throw new WardcamError('auth.old_pin_required', 'Enter the current PIN to change it.');
        if (oldPin !== '246810') throw new WardcamError('auth.wrong_pin', 'Wrong PIN.');
        return status({ set: true, clinician: 'Dr B' });
      },
    });
    const pin = new PinService(b.fn);
    await pin.load();
    expect(pin.needsSetup).toBe(false);
    expect(pin.changeable).toBe(true);
    expect(await pin.set('135792', 'Dr B')).toBe(false);
    expect(pin.error?.code).toBe('auth.old_pin_required');
    expect(await pin.set('135792', 'Dr B', '111111')).toBe(false);
    expect(pin.error?.code).toBe('auth.wrong_pin');
    expect(await pin.set('135792', 'Dr B', '246810')).toBe(true);
    expect(b.calls.at(-1)).toEqual({ cmd: 'clinician_pin_set', args: { pin: '135792', name: 'Dr B', oldPin: '246810' } });
    expect(pin.status?.clinician).toBe('Dr B');
  });

  it('a disabled PIN is not changeable: it is set again without the old one', async () => {
    const pin = new PinService(backend({ clinician_pin_status: () => status({ set: true, disabled: true }) }).fn);
    await pin.load();
    expect(pin.changeable).toBe(false);
  });
});
