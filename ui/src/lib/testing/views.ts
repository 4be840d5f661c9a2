// Test-only: the session views and patients core returns, for Vitest and Playwright fixtures.
// Never imported by the app, so never bundled.
import { NOT_SENT } from '../outbox/deliveryText';
import type { BodySite, PatientLine, PatientSummary, PhotoSummary, Quality, SessionView } from '../types';

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
  source: 'typed_twice',
  status: 'not_verified',
  reason: null,
  record: null,
  verified: false,
  override: null,
  offers: { confirm: true, override: false },
};

export const HEEL: BodySite = { code: '76853006', display: 'Heel', paired: true };
export const SACRUM: BodySite = { code: '54735007', display: 'Sacral region', paired: false };
export const sharp: Quality = { fine_detail: 90, detail_balance: 0.95, sharpness: 320, blurred: false, dark_fraction: 0, bright_fraction: 0, too_dark: false, too_bright: false };

/** The patient line core gives a photo of a wristband-identified, record-verified patient. */
export const photoPatient: PatientLine = {
  name: 'SMITH, John',
  nhs_number: '943 476 5919',
  local_id: null,
  birth_date: '18-Jan-1980',
  identified_by: 'band_text',
  verified: true,
  overridden: false,
};

/** A photo just taken in the visit open now: no label yet. */
export function photo(id: string, extra: Partial<PhotoSummary> = {}): PhotoSummary {
  return {
    id,
    visit_id: '0b7c1d2e-3f40-4a5b-8c6d-7e8f90a1b2c3',
    current_visit: true,
    width: 3000,
    height: 4000,
    quality: sharp,
    intended_use: 'care',
    body_site: null,
    laterality: null,
    description: '',
    state: 'captured',
    redacted: false,
    version: 1,
    captured_at: 1_764_460_800_000,
    patient: photoPatient,
    identity: { gate: 'ready' },
    delivery: NOT_SENT,
    ...extra,
  };
}

/** A labelled photo waiting in the outbox. */
export function outboxPhoto(id: string, extra: Partial<PhotoSummary> = {}): PhotoSummary {
  return photo(id, { body_site: HEEL, laterality: 'left', state: 'queued', ...extra });
}
