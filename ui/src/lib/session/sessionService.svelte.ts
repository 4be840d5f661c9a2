// The UI's one store of clinical state: the latest view from core, the patient to display, and the
// screen shown. It holds no rules: every change comes back from a Rust command.
import { getContext, setContext } from 'svelte';
import { call, toWardcamError, type WardcamError } from '../ipc';
import { describeError } from '../errors/knownErrors';
import { nextScreen } from '../nav';
import type { DeviceInfo, GateStatus, PatientSummary, Screen, SessionView } from '../types';

/** The event the backend emits when it changes the session on its own (the idle lock). */
export const SESSION_CHANGED = 'session://changed';

/** What the service needs from the outside world; tests pass fakes. */
export interface Backend {
  call: typeof call;
  listen: (event: string, handler: (payload: SessionView) => void) => Promise<() => void>;
}

export class SessionService {
  view = $state<SessionView | null>(null);
  patient = $state<PatientSummary | null>(null);
  device = $state<DeviceInfo | null>(null);
  /** The key gate, for the lock screen; null until the keystore answered. */
  gate = $state<GateStatus | null>(null);
  screen = $state<Screen>('lock');
  error = $state<string | null>(null);
  errorCode = $state<string | null>(null);
  busy = $state(false);

  readonly #backend: Backend;
  #unlisten: (() => void) | null = null;
  #shown = 0;

  constructor(backend: Backend) {
    this.#backend = backend;
  }

  /** Loads the first view and starts listening for changes the backend makes by itself. */
  async start(): Promise<void> {
    try {
      this.#unlisten = await this.#backend.listen(SESSION_CHANGED, (view) => {
        void this.#show(view).catch((e: unknown) => this.#fail(toWardcamError(e)));
      });
      this.device = await this.#backend.call('device_info');
      await this.#show(await this.#backend.call('session_view'));
    } catch (e) {
      this.#fail(toWardcamError(e));
    }
  }

  stop(): void {
    this.#unlisten?.();
    this.#unlisten = null;
  }

  /** Opens `screen` if core lists it as reachable; otherwise stays put. */
  open(screen: Screen): void {
    if (this.view?.screens.includes(screen)) {
      this.screen = screen;
      this.clearError();
    }
  }

  /** Shows an error from outside the session's own commands (identification, scanning). */
  report(error: WardcamError): void {
    this.#fail(error);
  }

  clearError(): void {
    this.error = null;
    this.errorCode = null;
  }

  /** Asks core whether a PIN is set and how long to wait; null while the keystore is not ready. */
  async refreshGate(): Promise<GateStatus | null> {
    try {
      this.gate = await this.#backend.call('session_gate');
    } catch {
      this.gate = null;
    }
    return this.gate;
  }

  /** Unlocks with the PIN or passphrase; on a refusal the gate's count and wait are read again. */
  unlock = async (pin: string) => {
    const ok = await this.#run(() => this.#backend.call('session_unlock', { pin }));
    if (!ok) await this.refreshGate();
    return ok;
  };
  /** Phones: the phone's own lock releases the key. Core says what came of it; anything but an
   * unlock is returned as the clinician's words (use the PIN, try again). */
  unlockWithPhone = async (): Promise<string | null> => {
    let said: string | null = null;
    await this.#run(async () => {
      const outcome = await this.#backend.call('session_unlock_platform');
      if (outcome.outcome === 'unlocked') return outcome as unknown as SessionView;
      said = outcome.message ?? null;
      return this.#backend.call('session_view');
    });
    await this.refreshGate();
    return said;
  };
  /** The first start: sets the clinician's PIN or passphrase and name, and unlocks. */
  setUp = async (pin: string, name: string) => {
    const ok = await this.#run(() => this.#backend.call('session_set_up', { pin, name }));
    await this.refreshGate();
    return ok;
  };
  lock = (reason: 'user' | 'background' = 'user') =>
    this.#run(() => this.#backend.call('session_lock', { reason }));
  confirmPatient = () => this.#run(() => this.#backend.call('patient_confirm'));
  endPatient = () => this.#run(() => this.#backend.call('session_end_patient'));
  startCapture = () => this.#run(() => this.#backend.call('session_start_capture'));
  review = () => this.#run(() => this.#backend.call('session_review'));
  queue = () => this.#run(() => this.#backend.call('session_queue'));

  /** Follows a view another command returned (a photo taken, deleted or redacted). */
  follow(view: SessionView): Promise<void> {
    this.clearError();
    return this.#show(view);
  }

  /** Runs another feature's command that returns a new view (consent, hand-back), showing its
   * result or its error like the session's own commands; resolves to whether it succeeded. With
   * `stay`, the screen shown stays while the new view still lists it (an Outbox withdrawal),
   * instead of following the new state's home. */
  apply = (action: () => Promise<SessionView>, options: { stay?: boolean } = {}) =>
    this.#run(action, options.stay === true);

  /** Reports activity so the idle lock is postponed; failures are not the user's concern. */
  touch(): void {
    this.#backend.call('session_touch').catch(() => undefined);
  }

  async #run(action: () => Promise<SessionView>, stay = false): Promise<boolean> {
    this.busy = true;
    try {
      const view = await action();
      this.clearError();
      await this.#show(view, stay);
      return true;
    } catch (e) {
      this.#fail(toWardcamError(e));
      return false;
    } finally {
      this.busy = false;
    }
  }

  async #show(view: SessionView, stay = false): Promise<void> {
    const shown = ++this.#shown;
    this.screen = stay && view.screens.includes(this.screen) ? this.screen : nextScreen(this.screen, this.view, view);
    this.view = view;
    if (view.state === 'locked') {
      this.patient = null;
      return;
    }
    // The patient is fetched, never derived: the backend returns nothing while locked. An answer
    // that arrives after a newer view (say, the idle lock) is dropped, so it cannot reappear.
    const patient = await this.#backend.call('patient_current');
    if (shown === this.#shown) this.patient = patient;
  }

  #fail(error: WardcamError): void {
    this.error = describeError(error);
    this.errorCode = error.code;
  }
}

const KEY = Symbol('session-service');

export function provideSession(service: SessionService): void {
  setContext(KEY, service);
}

export function useSession(): SessionService {
  const service = getContext<SessionService | undefined>(KEY);
  if (!service) throw new Error('SessionService not provided');
  return service;
}
