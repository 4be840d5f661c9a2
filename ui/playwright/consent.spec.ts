// The consent screen at phone sizes over the mocked backend: the clinician's choices, the kiosk
// view the patient reads and signs (readable, nothing to escape through), and what is sent to core.
import { expect, test } from '@playwright/test';
import type { Fixture } from '../src/harness';
import type { ConsentForm } from '../src/lib/types';
import { consentViews, device, drawSignature, fixtures, handOver, offscreen, open, overflowX, patient, sent, shots, smallTargets, consentText } from './fixtures';

const { confirmed, kiosk, signedInKiosk, consented } = consentViews;

function fixture(extra: Partial<Fixture> = {}): Fixture {
  return {
    view: confirmed,
    patient,
    device,
    consentText,
    answers: {
      consent_hand_to_patient: { view: kiosk },
      consent_record: { view: signedInKiosk },
      consent_hand_back: { view: consented },
    },
    ...extra,
  };
}

test('kiosk view: the patient reads large text, with no navigation, Lock or sideways scrolling', async ({ page }, info) => {
  await open(page, fixture());
  await expect(page.getByTestId('nav-consent')).toBeVisible();
  await handOver(page);
  // Nothing to escape through: no navigation, no Lock (lock-then-unlock would skip the PIN).
  await expect(page.locator('nav')).toHaveCount(0);
  await expect(page.getByTestId('lock-button')).toHaveCount(0);
  // The text for exactly the chosen purposes, from core's text.
  await expect(page.getByTestId('consent-text-care')).toContainText(consentText.purposes.care!.stored);
  await expect(page.getByTestId('consent-text-teaching')).toContainText(consentText.purposes.teaching!.who_sees);
  await expect(page.getByTestId('consent-text-publication')).toHaveCount(0);
  const sizes = await page
    .getByTestId('consent-text')
    .locator('p, dd, dt')
    .evaluateAll((els) => els.map((e) => parseFloat(getComputedStyle(e).fontSize)));
  expect(sizes.length).toBeGreaterThan(5);
  expect(Math.min(...sizes)).toBeGreaterThanOrEqual(20);
  expect(await overflowX(page)).toBeLessThanOrEqual(0);
  expect(await offscreen(page)).toEqual([]);
  expect(await smallTargets(page)).toEqual([]);
  await page.screenshot({ scale: 'css', path: `${shots}${info.project.name}-consent-kiosk.png`, fullPage: true });
  // The Back gesture does nothing in kiosk mode.
  await page.goBack();
  await expect(page.getByTestId('signature-pad')).toBeVisible();
  await expect(page.locator('nav')).toHaveCount(0);
});

test('a signature drawn with the mouse is sent as integer strokes, then the PIN takes the phone back', async ({ page }, info) => {
  await open(page, fixture());
  await handOver(page);
  await drawSignature(page);
  await page.getByTestId('consent-sign').click();
  await expect(page.getByTestId('consent-hand-back')).toContainText('Please hand the phone back');
  const records = await sent(page, 'consent_record');
  expect(records).toHaveLength(1);
  const form = (records[0]!.args as { form: ConsentForm }).form;
  expect(form.decision).toBe('permit');
  expect(form.purposes).toEqual(['care', 'teaching']);
  expect(form.text_version).toBe(consentText.version);
  if (form.method.kind !== 'signature') throw new Error('not a signature');
  const sig = form.method.signature;
  const points = sig.strokes.flat();
  expect(sig.strokes.length).toBe(1);
  expect(points.length).toBeGreaterThan(10);
  for (const v of [sig.width, sig.height, ...points.flatMap((p) => [p.x, p.y, p.t])]) {
    expect(Number.isInteger(v)).toBe(true);
  }
  for (const p of points) {
    expect(p.x).toBeLessThanOrEqual(sig.width);
    expect(p.y).toBeLessThanOrEqual(sig.height);
  }
  // The ink spans most of the pad, as drawn.
  const xs = points.map((p) => p.x);
  expect(Math.max(...xs) - Math.min(...xs)).toBeGreaterThan(sig.width * 0.5);
  expect(await smallTargets(page)).toEqual([]);
  await page.screenshot({ scale: 'css', path: `${shots}${info.project.name}-consent-hand-back.png`, fullPage: true });

  await page.getByTestId('hand-back-pin').fill('246810');
  await page.getByTestId('hand-back-submit').click();
  // Taken back: on to Capture, where the camera opens by itself (core's answer decides).
  await expect(page.getByTestId('screen-capture')).toBeVisible();
  expect(await sent(page, 'consent_hand_back')).toEqual([{ cmd: 'consent_hand_back', args: { pin: '246810' } }]);
  await expect.poll(async () => (await sent(page, 'session_start_capture')).length).toBe(1);
  await page.getByTestId('nav-consent').click();
  await expect(page.getByTestId('consent-recorded')).toContainText('their own care and teaching');
  await expect(page.getByTestId('consent-withdraw')).toBeVisible();
});

test("core's refusal of an empty signature and of a wrong PIN is shown to the user", async ({ page }) => {
  await open(
    page,
    fixture({
      errors: {
        consent_record: {
          code: 'consent.signature_empty',
          message: 'No signature was drawn. Ask the patient to sign in the box.',
        },
      },
    }),
  );
  await handOver(page);
  await page.getByTestId('consent-sign').click();
  const banner = page.getByTestId('error-banner');
  await expect(banner).toHaveAttribute('data-code', 'consent.signature_empty');
  await expect(banner).toContainText('No signature was drawn');
  // Still the patient's view: nothing was recorded.
  await expect(page.getByTestId('signature-pad')).toBeVisible();
  await expect(page.locator('nav')).toHaveCount(0);
});

test('a wrong PIN keeps the phone in kiosk mode', async ({ page }) => {
  await open(
    page,
    fixture({
      view: signedInKiosk,
      errors: { consent_hand_back: { code: 'auth.wrong_pin', message: 'Wrong PIN. 9 attempt(s) left.' } },
    }),
  );
  await page.getByTestId('hand-back-pin').fill('111111');
  await page.getByTestId('hand-back-submit').click();
  await expect(page.getByTestId('error-banner')).toHaveAttribute('data-code', 'auth.wrong_pin');
  await expect(page.getByTestId('consent-hand-back')).toBeVisible();
  await expect(page.locator('nav')).toHaveCount(0);
  // The PIN box is emptied after every attempt.
  await expect(page.getByTestId('hand-back-pin')).toHaveValue('');
});

test('the first unlock asks the clinician to set a PIN and their name', async ({ page }) => {
  await open(
    page,
    fixture({
      view: fixtures.patient.view,
      patient: null,
      pin: { ready: true, set: false, clinician: null, failures: 0, disabled: false, development_unlock: false },
      errors: { clinician_pin_set: { code: 'auth.pin_too_simple', message: 'too simple' } },
    }),
  );
  await expect(page.getByTestId('pin-setup')).toBeVisible();
  // Asked below the screen: the patient can be identified meanwhile, consent cannot be recorded.
  await expect(page.getByTestId('screen-patient')).toBeVisible();
  await page.getByTestId('pin-name').fill('Dr A Jones');
  await page.getByTestId('pin-first').fill('123456');
  await page.getByTestId('pin-second').fill('123457');
  await page.getByTestId('pin-save').click();
  await expect(page.getByTestId('pin-mismatch')).toBeVisible();
  expect(await sent(page, 'clinician_pin_set')).toEqual([]);
  await page.getByTestId('pin-second').fill('123456');
  await page.getByTestId('pin-save').click();
  await expect(page.getByTestId('pin-error')).toHaveAttribute('data-code', 'auth.pin_too_simple');
  expect(await sent(page, 'clinician_pin_set')).toEqual([
    { cmd: 'clinician_pin_set', args: { pin: '123456', name: 'Dr A Jones', oldPin: null } },
  ]);
  expect(await overflowX(page)).toBeLessThanOrEqual(0);
  expect(await smallTargets(page)).toEqual([]);
});

test('without a PIN and name the consent cannot be handed over or recorded', async ({ page }) => {
  await open(page, fixture({ pin: { ready: true, set: false, clinician: null, failures: 0, disabled: false, development_unlock: true } }));
  await expect(page.getByTestId('pin-setup')).toBeVisible();
  await expect(page.getByTestId('consent-missing')).toContainText('Set your clinician PIN');
  await expect(page.getByTestId('consent-hand-to-patient')).toBeDisabled();
  await expect(page.getByTestId('consent-decline-clinician')).toBeDisabled();
});
