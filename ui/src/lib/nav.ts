// The bottom navigation is derived from what core says is reachable; the UI adds only labels.
import type { Screen, SessionView, LockReason } from './types';

export const SCREEN_ORDER: readonly Screen[] = [
  'patient',
  'consent',
  'capture',
  'review',
  'outbox',
  'device',
];

export const SCREEN_LABELS: Readonly<Record<Screen, string>> = {
  lock: 'Lock',
  patient: 'Patient',
  consent: 'Consent',
  capture: 'Capture',
  review: 'Review',
  outbox: 'Outbox',
  device: 'Device',
};

/** The navigation items for `view`: exactly the reachable screens, in a fixed order. */
export function navItems(view: SessionView | null): { screen: Screen; label: string }[] {
  // Kiosk mode: the patient holds the phone; no navigation at all, only the consent screen.
  if (!view || view.state === 'locked' || view.kiosk) return [];
  return SCREEN_ORDER.filter((s) => view.screens.includes(s)).map((screen) => ({
    screen,
    label: SCREEN_LABELS[screen],
  }));
}

/** The screen to show after a new view arrives: stay where the user is if still reachable and
 * neither the state nor kiosk mode changed; otherwise go to the state's home screen (so the phone
 * handed back after consent goes on to the camera). */
export function nextScreen(current: Screen, previous: SessionView | null, view: SessionView): Screen {
  const same = previous && previous.state === view.state && previous.kiosk === view.kiosk;
  if (same && view.screens.includes(current)) return current;
  return view.home;
}

/** Why the app is locked, for the Lock screen. */
export function lockReasonText(reason: LockReason | null, idleTimeoutMs: number): string {
  switch (reason) {
    case 'idle':
      return `Locked after ${durationText(idleTimeoutMs)} without use.`;
    case 'background':
      return 'Locked because WardCam left the screen.';
    case 'user':
      return 'Locked with the Lock button.';
    default:
      return 'Unlock to start.';
  }
}

/** "2 minutes", "1 minute", "30 seconds". */
export function durationText(ms: number): string {
  if (ms < 60000) {
    const seconds = Math.max(1, Math.round(ms / 1000));
    return `${seconds} second${seconds === 1 ? '' : 's'}`;
  }
  const minutes = Math.round(ms / 60000);
  return `${minutes} minute${minutes === 1 ? '' : 's'}`;
}
