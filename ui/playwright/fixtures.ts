// Shared fixtures for the Playwright tests: the views core would return, and page helpers.
import { expect, type Page } from '@playwright/test';
import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';
import type { Fixture, OutboxScript, Sent } from '../src/harness';
import type { ConsentText, DeviceInfo, OutboxEvent, PatientSummary, PhotoSummary, Screen, SessionView } from '../src/lib/types';
import { outboxPhoto, photoPatient, SACRUM, typedPatient, unlockedView } from '../src/lib/testing/views';

/** Screenshots go to the repo's target/playwright/, whatever the working directory. */
export const shots = fileURLToPath(new URL('../../target/playwright/', import.meta.url));

export const device: DeviceInfo = {
  app_version: '0.1.0',
  build: 'debug',
  development_unlock: true,
  idle_timeout_ms: 120000,
  platform: 'linux',
  barcode_scanner: false,
  record: { base_url: null, problem: null, pins: 0, no_backup_pin: false, certificate: null },
  pacs: { base_url: null, problem: null, pins: 0, no_backup_pin: false, certificate: null },
};
export const base: SessionView = unlockedView;
/** A patient typed by hand on a device with no record endpoint: not verified. */
export const patient: PatientSummary = typedPatient;

/** A wristband read and matched by the trust's record. */
export const verifiedPatient: PatientSummary = {
  ...patient,
  family_name: 'SMITH',
  given_name: 'JOHN',
  date_of_birth: '18-Jan-1980',
  source: 'band_text',
  status: 'verified',
  record: { family_name: 'Smith', given_names: ['John', 'Paul'], date_of_birth: '18-Jan-1980' },
  verified: true,
  offers: { confirm: true, override: false },
};

/** A wristband the record contradicts: the session is blocked. */
export const blockedPatient: PatientSummary = {
  ...patient,
  nhs_number: '999 000 0018',
  family_name: "O'BRIEN",
  given_name: 'SINEAD',
  date_of_birth: '03-Mar-1975',
  source: 'band_text',
  status: 'blocked',
  reason: {
    code: 'patient.record_mismatch',
    message: 'The wristband does not match the patient record (given name, date of birth). Do not continue.',
  },
  record: { family_name: "O'Brien", given_names: ['Siobhan'], date_of_birth: '02-Mar-1975' },
  offers: { confirm: false, override: false },
};

/** Core's bundled consent text, exactly as `consent_text` returns it. */
export const consentText: ConsentText = JSON.parse(
  readFileSync(fileURLToPath(new URL('../../crates/core/resources/consent/en-GB-v1.json', import.meta.url)), 'utf8'),
) as ConsentText;

/** An ended visit's patient (before a restart, say) and the visit open now: the Outbox lists both. */
export const EARLIER_VISIT = '5d0e4a9c-7b1f-4c3e-9d2a-6f8b1c0e2a41';
export const OPEN_VISIT = '9a3c5e7f-1b2d-4f6a-8c0e-2d4f6a8c0e13';
const earlierPatient = { ...photoPatient, name: "O'SULLIVAN-FITZGERALD, Bartholomew Alexander", nhs_number: '401 023 2137' };
/** The open visit's patient, as `patient` (typed twice, not verified) gives them. */
const openPatient = { ...photoPatient, name: null, identified_by: 'typed_twice' as const, verified: false };
export const outboxPhotos: PhotoSummary[] = [
  outboxPhoto('1c9a0b7e-2d4f-4e6a-8b1c-3d5f7a9b1c01', {
    visit_id: EARLIER_VISIT,
    current_visit: false,
    captured_at: 1_764_450_000_000,
    patient: earlierPatient,
  }),
  outboxPhoto('1c9a0b7e-2d4f-4e6a-8b1c-3d5f7a9b1c02', {
    visit_id: EARLIER_VISIT,
    current_visit: false,
    state: 'captured',
    body_site: null,
    laterality: null,
    captured_at: 1_764_450_060_000,
    patient: earlierPatient,
  }),
  outboxPhoto('1c9a0b7e-2d4f-4e6a-8b1c-3d5f7a9b1c03', {
    visit_id: OPEN_VISIT,
    body_site: SACRUM,
    laterality: 'not_applicable',
    captured_at: 1_764_460_000_000,
    patient: openPatient,
  }),
];

/** One fixture per screen: the view core would return when that screen is home. */
export const fixtures: Record<Screen, Fixture> = {
  lock: { view: { ...base, state: 'locked', lock_reason: 'idle', screens: ['lock'], home: 'lock' }, patient: null, device },
  patient: { view: base, patient: null, device },
  consent: {
    view: { ...base, state: 'patient_confirmed', patient: 1, screens: ['patient', 'consent', 'outbox', 'device'], home: 'consent' },
    patient,
    device,
    consentText,
  },
  capture: {
    view: { ...base, state: 'consented', patient: 1, consented_purposes: ['care'], screens: ['patient', 'consent', 'capture', 'outbox', 'device'], home: 'capture' },
    patient,
    device,
  },
  review: {
    view: { ...base, state: 'reviewing', patient: 1, consented_purposes: ['care'], pending_photos: 2, screens: ['patient', 'consent', 'capture', 'review', 'outbox', 'device'], home: 'review' },
    patient,
    device,
  },
  outbox: {
    view: { ...base, state: 'queued', patient: 1, consented_purposes: ['care'], queued_photos: 1, screens: ['patient', 'consent', 'capture', 'outbox', 'device'], home: 'outbox' },
    patient,
    device,
    photos: outboxPhotos,
  },
  device: { view: { ...base, home: 'device' }, patient: null, device },
};

/** The consent screen's views, as core gives them: the patient confirmed, the phone handed to the
 * patient, signed in kiosk mode (care and teaching), and taken back consented. */
export const consentViews = (() => {
  const confirmed = fixtures.consent.view;
  const kiosk: SessionView = { ...confirmed, kiosk: true, screens: ['consent'], home: 'consent' };
  const signedInKiosk: SessionView = { ...kiosk, state: 'consented', consented_purposes: ['care', 'teaching'] };
  const consented: SessionView = {
    ...confirmed,
    state: 'consented',
    consented_purposes: ['care', 'teaching'],
    screens: ['patient', 'consent', 'capture', 'outbox', 'device'],
    home: 'capture',
  };
  return { confirmed, kiosk, signedInKiosk, consented };
})();

export async function open(page: Page, fixture: Fixture) {
  await page.addInitScript((f) => {
    (window as unknown as { __WARDCAM_FIXTURE__: unknown }).__WARDCAM_FIXTURE__ = f;
  }, fixture);
  await page.goto('/harness.html');
}

/** Every visible control a finger must hit, with its size. */
export async function smallTargets(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const small: string[] = [];
    for (const el of document.querySelectorAll<HTMLElement>('button, input, a, [role="button"]')) {
      const r = el.getBoundingClientRect();
      if (r.width === 0 && r.height === 0) continue;
      if (r.width < 48 || r.height < 48) {
        small.push(`${el.tagName} ${el.dataset.testid ?? el.textContent?.trim()} ${r.width}x${r.height}`);
      }
    }
    return small;
  });
}

/** The commands the UI has sent to the mocked backend so far. */
export async function sent(page: Page, cmd?: string): Promise<Sent[]> {
  const all = await page.evaluate(() => window.__WARDCAM_SENT__ ?? []);
  return cmd ? all.filter((s) => s.cmd === cmd) : all;
}

/** Horizontal overflow of the page in CSS px (0 when nothing scrolls sideways). Measured against the
 * device width too: under mobile emulation Chromium widens `innerWidth` to fit overflowing content
 * (as a phone browser zooms out), so `scrollWidth <= innerWidth` alone would always hold. */
export async function overflowX(page: Page): Promise<number> {
  return page.evaluate(() => {
    const width = Math.min(window.innerWidth, document.documentElement.clientWidth);
    return document.scrollingElement!.scrollWidth - width;
  });
}

/** Elements that stick out past either side of the viewport (even if something clips them). */
export async function offscreen(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const out: string[] = [];
    for (const el of document.body.querySelectorAll<HTMLElement>('*')) {
      const r = el.getBoundingClientRect();
      if (r.width === 0 && r.height === 0) continue;
      if (r.left < -0.5 || r.right > document.documentElement.clientWidth + 0.5) {
        out.push(`${el.tagName} ${el.dataset.testid ?? el.className} ${r.left}..${r.right}`);
      }
    }
    return out;
  });
}

/** Sends a delivery event as core does, on the channel the UI gave `outbox_watch` (waiting until it
 * has subscribed). */
export async function outboxEvent(page: Page, event: OutboxEvent) {
  await page.waitForFunction(() => window.__WARDCAM_OUTBOX__?.watching() === true);
  await page.evaluate((e) => window.__WARDCAM_OUTBOX__!.send(e), event);
}

/** Changes what core lists and reports about delivery; follow with a `changed` event, as core does. */
export async function outboxUpdate(page: Page, change: Parameters<OutboxScript['update']>[0]) {
  await page.evaluate((c) => window.__WARDCAM_OUTBOX__!.update(c), change);
}

/** Consent: chooses care + teaching and hands the phone over (the kiosk view with its pad). */
export async function handOver(page: Page) {
  await expect(page.getByTestId('screen-consent')).toBeVisible();
  await page.getByTestId('consent-purpose-teaching').click();
  await expect(page.getByTestId('consent-purpose-care')).toHaveAttribute('aria-pressed', 'true');
  await page.getByTestId('consent-hand-to-patient').click();
  await expect(page.getByTestId('signature-pad')).toBeVisible();
}

/** Draws a zigzag across the pad with the mouse. */
export async function drawSignature(page: Page) {
  // The pad sits below the text: bring it into view, or the mouse lands outside the window.
  await page.getByTestId('signature-pad').scrollIntoViewIfNeeded();
  const box = (await page.getByTestId('signature-pad').boundingBox())!;
  await page.mouse.move(box.x + box.width * 0.1, box.y + box.height * 0.3);
  await page.mouse.down();
  for (let i = 1; i <= 12; i++) {
    await page.mouse.move(box.x + box.width * (0.1 + i * 0.06), box.y + box.height * (i % 2 ? 0.7 : 0.3), { steps: 3 });
  }
  await page.mouse.up();
}
