// Test-only: the session views core returns, for Vitest and Playwright fixtures. Never imported by
// the app, so never bundled.
import type { SessionView } from '../types';

/** Unlocked, no patient: the view after the development unlock. */
export const unlockedView: SessionView = {
  state: 'unlocked',
  lock_reason: null,
  patient: null,
  consented_purposes: null,
  pending_photos: 0,
  queued_photos: 0,
  screens: ['patient', 'outbox', 'device'],
  home: 'patient',
  idle_timeout_ms: 120000,
  kiosk: false,
  consent_declined: false,
};

/** `unlockedView` with the given fields changed. */
export function view(partial: Partial<SessionView>): SessionView {
  return { ...unlockedView, ...partial };
}
