// The passcode gate as the UI sees it: core decides from the platform's report whether this phone's
// lock screen lets WardCam unlock at all; the UI asks at start and whenever it comes back on screen,
// and while the answer is not "allowed" shows only how to set a passcode. Core refuses everything
// else anyway (`session.passcode_required`); this store holds no rule, only core's verdict.
import { getContext, setContext } from 'svelte';
import { call, toWardcamError, type WardcamError } from '../ipc';
import type { PasscodePlatform, PasscodeStatus } from '../types';

/** What App.svelte shows: the app, the blocked screen, or nothing yet. */
export type PasscodeGate = 'checking' | 'allowed' | 'blocked';

export class PasscodeStore {
  status = $state<PasscodeStatus | null>(null);
  /** The last check failed: the UI cannot tell, so it stays closed (fail closed) and says why. */
  error = $state<WardcamError | null>(null);
  #asked = 0;

  /** Closed until core has said "allowed"; a failed check closes it again. */
  get gate(): PasscodeGate {
    if (this.error) return 'blocked';
    if (!this.status) return 'checking';
    return this.status.allowed ? 'allowed' : 'blocked';
  }

  /** Asks core again. An answer overtaken by a newer question is dropped. */
  async check(ask: () => Promise<PasscodeStatus> = () => call('device_passcode')): Promise<void> {
    const asked = ++this.#asked;
    try {
      const status = await ask();
      if (asked !== this.#asked) return;
      this.status = status;
      this.error = null;
    } catch (e) {
      if (asked !== this.#asked) return;
      this.error = toWardcamError(e);
    }
  }
}

/** Where to set a passcode, in the phone's own words. */
export function passcodeSettingsPath(platform: PasscodePlatform | null): string {
  switch (platform) {
    case 'android':
      return 'Settings > Security > Screen lock';
    case 'ios':
      return 'Settings > Face ID & Passcode (Touch ID & Passcode on phones with a Home button)';
    case 'desktop':
      return "your computer's settings (screen lock or sign-in password)";
    default:
      return "the phone's Settings (Android: Settings > Security > Screen lock; iPhone: Settings > Face ID & Passcode)";
  }
}

/** Why the app is closed, for the blocked screen. */
export function blockedReason(status: PasscodeStatus | null, error: WardcamError | null): string {
  if (error || !status) {
    return `WardCam could not check this phone's screen lock (${error?.message ?? 'no answer'}), so it stays closed.`;
  }
  switch (status.decision) {
    case 'no_passcode':
      return 'This phone has no screen lock passcode. Without one, anyone who picks it up could open WardCam.';
    case 'unknown':
      return 'WardCam could not confirm that this phone has a screen lock passcode, so it stays closed. If one is set, ask IT: the phone could not say so.';
    case 'too_simple':
      return `This phone's passcode is simpler than your trust allows (at least "${status.required}" strength). Choose a longer PIN without repeats or runs, or a password.`;
    case 'complexity_unknown':
      return 'Your trust requires a passcode of a certain strength, and this phone cannot report it. Ask IT.';
    default:
      return 'This phone has no screen lock that WardCam accepts.';
  }
}

/** One line for the Device screen. */
export function lockScreenLine(status: PasscodeStatus | null): string {
  if (!status) return 'Checking…';
  const strength = status.report.complexity ? ` (${status.report.complexity} strength)` : '';
  switch (status.decision) {
    case 'secure':
      return `Passcode set${strength}`;
    case 'development_platform':
      return 'Unknown: development platform (allowed on this build only)';
    case 'no_passcode':
      return 'No passcode: WardCam stays closed';
    case 'unknown':
      return 'Unknown: WardCam stays closed';
    case 'too_simple':
      return `Passcode too simple${strength}: WardCam stays closed`;
    case 'complexity_unknown':
      return 'Passcode strength unknown: WardCam stays closed';
  }
}

const KEY = Symbol('passcode-store');

export function providePasscode(store: PasscodeStore): void {
  setContext(KEY, store);
}

export function usePasscode(): PasscodeStore {
  const store = getContext<PasscodeStore | undefined>(KEY);
  if (!store) throw new Error('PasscodeStore not provided');
  return store;
}
