// The clinician PIN as the UI knows it: whether one is set and whose it is. The PIN is checked,
// hashed and rate-limited in Rust; the UI never keeps it beyond the input box.
import { getContext, setContext } from 'svelte';
import { toWardcamError, type WardcamError, type call } from '../ipc';
import type { PinStatus } from '../types';

export class PinService {
  status = $state<PinStatus | null>(null);
  error = $state<WardcamError | null>(null);
  busy = $state(false);

  readonly #call: typeof call;
  #retry: ReturnType<typeof setTimeout> | null = null;

  constructor(callBackend: typeof call) {
    this.#call = callBackend;
  }

  /** Whether the clinician must set a PIN (and name) before going on. */
  get needsSetup(): boolean {
    return this.status !== null && this.status.ready && (!this.status.set || this.status.disabled);
  }

  /** Asks the backend; while the vault is still opening, asks again shortly. */
  async load(): Promise<void> {
    try {
      this.status = await this.#call('clinician_pin_status');
      this.error = null;
      if (!this.status.ready && this.#retry === null) {
        this.#retry = setTimeout(() => {
          this.#retry = null;
          void this.load();
        }, 1000);
      }
    } catch (e) {
      this.error = toWardcamError(e);
    }
  }

  stop(): void {
    if (this.#retry !== null) clearTimeout(this.#retry);
    this.#retry = null;
  }

  /** Whether a PIN is set and still works: changing it then needs the current one. */
  get changeable(): boolean {
    return this.status !== null && this.status.set && !this.status.disabled;
  }

  /** Sets the PIN and name; resolves to whether it was accepted (else `error` says why). `oldPin`
   * is the current PIN when changing one that works; null for the first PIN (or a disabled one). */
  async set(pin: string, name: string, oldPin: string | null = null): Promise<boolean> {
    this.busy = true;
    try {
      this.status = await this.#call('clinician_pin_set', { pin, name, oldPin });
      this.error = null;
      return true;
    } catch (e) {
      this.error = toWardcamError(e);
      return false;
    } finally {
      this.busy = false;
    }
  }
}

const KEY = Symbol('pin-service');

export function providePin(service: PinService): void {
  setContext(KEY, service);
}

export function usePin(): PinService {
  const service = getContext<PinService | undefined>(KEY);
  if (!service) throw new Error('PinService not provided');
  return service;
}
