// Test-only: the session views and patients core returns, for Vitest and Playwright fixtures.
// Never imported by the app, so never bundled.
import type { PatientSummary, SessionView } from '../types';

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

/** A patient whose NHS number was typed by hand on a device with no record endpoint: not verified. */
export const typedPatient: PatientSummary = {
  nhs_number: '943 476 5919',
  local_id: null,
  family_name: null,
  given_name: null,
  date_of_birth: null,
  source: 'manual_entry',
  status: 'not_verified',
  reason: null,
  record: null,
  verified: false,
};
