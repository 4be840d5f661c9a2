// The UI driven by touch over the mocked backend: what it sends to core and how it follows core's
// answers. The views come from the fixtures; the UI decides nothing clinical by itself.
import { expect, test } from '@playwright/test';
import type { Fixture } from '../src/harness';
import type { NhsNumberCheck, SessionView } from '../src/lib/types';
import { base, blockedPatient, device, fixtures, offscreen, open, overflowX, patient, sent, shots, smallTargets, verifiedPatient } from './fixtures';

const locked = fixtures.lock.view;
const confirmed = fixtures.consent.view;

const VALID: NhsNumberCheck = { valid: true, formatted: '943 476 5919', error: null };
const CHECK_DIGIT_WRONG: NhsNumberCheck = {
  valid: false,
  formatted: null,
  error: { code: 'patient.check_digit_wrong', message: 'Check digit wrong (backend reason): check the last digit.' },
};

test('PIN unlock, then manual NHS entry checked by core, then confirmation', async ({ page }, info) => {
  const fixture: Fixture = {
    view: { ...locked, lock_reason: 'start' },
    patient: null,
    device,
    answers: {
      session_unlock: { view: base },
      patient_confirm: { view: confirmed, patient },
    },
    identify: { patient_identify_manual: patient },
    checks: { '943 476 5918': CHECK_DIGIT_WRONG, '943 476 5919': VALID, '9434765919': VALID },
  };
  await open(page, fixture);
  await expect(page.getByTestId('lock-reason')).toHaveText('Unlock to start.');
  await page.getByTestId('unlock-pin').fill('482916');
  await page.getByTestId('unlock-submit').click();
  await expect(page.getByTestId('screen-patient')).toBeVisible();
  // The PIN goes to core as typed; the field is emptied at once.
  expect(await sent(page, 'session_unlock')).toEqual([{ cmd: 'session_unlock', args: { pin: '482916' } }]);
  await expect(page.getByTestId('header-patient')).toHaveText('No patient');
  await expect(page.getByTestId('nav-capture')).toHaveCount(0);

  // The backend's reason is shown as typed, and the button stays off.
  const confirm = page.getByTestId('patient-identify');
  await page.getByTestId('nhs-first').fill('943 476 5918');
  await expect(page.getByTestId('nhs-feedback')).toHaveText(CHECK_DIGIT_WRONG.error!.message);
  await expect(confirm).toBeDisabled();
  expect(await sent(page, 'patient_check_nhs_number')).toContainEqual({
    cmd: 'patient_check_nhs_number',
    args: { input: '943 476 5918' },
  });

  await page.getByTestId('nhs-first').fill('943 476 5919');
  await expect(page.getByTestId('nhs-feedback')).toHaveText('Valid NHS number: 943 476 5919');
  await expect(confirm).toBeDisabled();
  await page.getByTestId('nhs-second').fill('12');
  await expect(page.getByTestId('nhs-feedback-second')).toHaveText('An NHS number has 10 digits.');
  await expect(confirm).toBeDisabled();
  await page.getByTestId('nhs-second').fill('9434765919');
  await expect(confirm).toBeEnabled();
  expect(await overflowX(page)).toBeLessThanOrEqual(0);
  expect(await smallTargets(page)).toEqual([]);
  await page.screenshot({ scale: 'css', path: `${shots}${info.project.name}-patient-entry.png`, fullPage: true });

  // Both entries go to core exactly as typed; the patient is shown for confirmation, not yet confirmed.
  await confirm.click();
  await expect(page.getByTestId('patient-candidate-nhs')).toHaveText('943 476 5919');
  await expect(page.getByTestId('patient-candidate-unverified')).toContainText('Not verified against the record.');
  expect(await sent(page, 'patient_identify_manual')).toEqual([
    { cmd: 'patient_identify_manual', args: { first: '943 476 5919', second: '9434765919' } },
  ]);
  await expect(page.getByTestId('header-patient')).toHaveText('No patient');
  expect(await smallTargets(page)).toEqual([]);
  await page.screenshot({ scale: 'css', path: `${shots}${info.project.name}-patient-confirm.png`, fullPage: true });

  // Confirming goes to core; core answers with the next state's home screen.
  await page.getByTestId('patient-confirm').click();
  await expect(page.getByTestId('screen-consent')).toBeVisible();
  expect(await sent(page, 'patient_confirm')).toHaveLength(1);
  await expect(page.getByTestId('header-patient')).toHaveText('943 476 5919');
  await expect(page.getByTestId('nav-capture')).toHaveCount(0);
});

test('the confirmed patient is shown large, with the not-verified note, and can be ended', async ({ page }) => {
  await open(page, {
    ...fixtures.consent,
    answers: { session_end_patient: { view: base, patient: null } },
  });
  await page.getByTestId('nav-patient').click();
  await expect(page.getByTestId('screen-patient')).toBeVisible();
  await expect(page.getByTestId('patient-current-nhs')).toHaveText('943 476 5919');
  await expect(page.getByText('Not verified against the record.')).toBeVisible();
  const size = await page.getByTestId('patient-current-nhs').evaluate((el) => parseFloat(getComputedStyle(el).fontSize));
  expect(size).toBeGreaterThanOrEqual(26);

  await page.getByTestId('end-patient').click();
  await expect(page.getByTestId('nhs-first')).toBeVisible();
  await expect(page.getByTestId('end-patient')).toHaveCount(0);
  await expect(page.getByTestId('header-patient')).toHaveText('No patient');
  expect((await sent(page)).map((s) => s.cmd)).toContain('session_end_patient');
});

test('wristband text is read by core and the record\'s name is shown before confirming', async ({ page }, info) => {
  const band = ']d2801850000009434765919493SMITH/JOHN/19800118';
  await open(page, {
    ...fixtures.patient,
    identify: { patient_identify_scan: verifiedPatient },
    answers: { patient_confirm: { view: confirmed, patient: verifiedPatient } },
  });
  const read = page.getByTestId('scan-read');
  await expect(read).toBeDisabled();
  // No camera scanner on desktop: the button is only offered where the plugin exists.
  await expect(page.getByTestId('scan-wristband')).toHaveCount(0);
  await page.getByTestId('scan-text').fill(band);
  await read.click();
  // Typed or wedge-scanned text is band text: only the phone's camera scanner sends viaCamera.
  expect(await sent(page, 'patient_identify_scan')).toEqual([
    { cmd: 'patient_identify_scan', args: { payload: band, viaCamera: false } },
  ]);
  await expect(page.getByTestId('patient-candidate-source')).toHaveText('Wristband barcode text');
  await expect(page.getByTestId('patient-candidate-name')).toHaveText('SMITH, JOHN');
  await expect(page.getByTestId('patient-candidate-dob')).toHaveText('18-Jan-1980');
  await expect(page.getByTestId('patient-candidate-record-name')).toHaveText('Smith, John Paul');
  await expect(page.getByTestId('patient-candidate-record')).toContainText("Matches the trust's record.");
  expect(await overflowX(page)).toBeLessThanOrEqual(0);
  await page.screenshot({ scale: 'css', path: `${shots}${info.project.name}-patient-verified.png`, fullPage: true });
  await page.getByTestId('patient-confirm').click();
  await expect(page.getByTestId('screen-consent')).toBeVisible();
  await expect(page.getByTestId('header-patient')).toHaveText('943 476 5919');
});

test('a band the record contradicts cannot be confirmed; starting again clears it', async ({ page }, info) => {
  await open(page, { ...fixtures.patient, candidate: blockedPatient });
  const blocked = page.getByTestId('patient-candidate-blocked');
  await expect(blocked).toContainText('Do not photograph this patient yet.');
  await expect(blocked).toContainText(blockedPatient.reason!.message);
  await expect(page.getByTestId('patient-candidate-record-name')).toHaveText("O'Brien, Siobhan");
  await expect(page.getByTestId('patient-confirm')).toHaveCount(0);
  expect(await overflowX(page)).toBeLessThanOrEqual(0);
  expect(await smallTargets(page)).toEqual([]);
  await page.screenshot({ scale: 'css', path: `${shots}${info.project.name}-patient-blocked.png`, fullPage: true });
  // The narrowest phones we support: the NHS number stays on one line and nothing sticks out.
  await page.setViewportSize({ width: 360, height: 740 });
  expect(await overflowX(page)).toBeLessThanOrEqual(0);
  expect(await offscreen(page)).toEqual([]);
  await page.getByTestId('patient-discard').click();
  await expect(page.getByTestId('nhs-first')).toBeVisible();
  expect(await sent(page, 'patient_discard')).toHaveLength(1);
  expect(await page.content()).not.toContain('SINEAD');
});

test('a refused wristband shows core\'s reason and keeps the entry screen', async ({ page }) => {
  await open(page, {
    ...fixtures.patient,
    errors: {
      patient_identify_scan: { code: 'patient.not_nhs_wristband', message: 'This barcode is not an NHS wristband.' },
    },
  });
  await page.getByTestId('scan-text').fill('(01)09506000134352');
  await page.getByTestId('scan-read').click();
  await expect(page.getByTestId('error-banner')).toHaveAttribute('data-code', 'patient.not_nhs_wristband');
  await expect(page.getByTestId('scan-text')).toHaveValue('(01)09506000134352');
  await expect(page.getByTestId('patient-confirm')).toHaveCount(0);
});

test('the navigation opens only the screens core lists, and follows home when the state changes', async ({ page }) => {
  await open(page, fixtures.consent);
  await expect(page.getByTestId('screen-consent')).toBeVisible();
  await page.getByTestId('nav-device').click();
  await expect(page.getByTestId('screen-device')).toBeVisible();
  await expect(page.getByTestId('nav-device')).toHaveAttribute('aria-current', 'page');
  await page.getByTestId('nav-outbox').click();
  await expect(page.getByTestId('screen-outbox')).toBeVisible();

  // Core moves the session on (here: consent recorded elsewhere): the UI goes to the new home.
  const consented: SessionView = fixtures.capture.view;
  await page.evaluate((v) => window.__WARDCAM_EMIT__!('session://changed', v), consented);
  await expect(page.getByTestId('screen-capture')).toBeVisible();
  await expect(page.getByTestId('nav-capture')).toBeVisible();
});

test('once consent is recorded the camera opens by itself, through core, and never a file picker', async ({ page }) => {
  await open(page, {
    ...fixtures.capture,
    answers: { session_start_capture: { view: { ...fixtures.capture.view, state: 'capturing' } } },
  });
  // No tap: the Capture screen in the consented state asks core to open the camera.
  await expect(page.getByTestId('camera-view')).toBeVisible();
  await expect(page.getByTestId('open-camera')).toHaveCount(0);
  await expect(page.getByTestId('go-review')).toBeDisabled();
  await expect(page.locator('input[type="file"]')).toHaveCount(0);
  expect(await sent(page, 'session_start_capture')).toHaveLength(1);
  await expect(page.getByTestId('error-banner')).toHaveCount(0);
});

test('the idle lock from the backend hides the patient at once', async ({ page }) => {
  await open(page, fixtures.consent);
  await expect(page.getByTestId('header-patient')).toHaveText('943 476 5919');
  await page.evaluate((v) => window.__WARDCAM_EMIT__!('session://changed', v), locked);
  await expect(page.getByTestId('screen-lock')).toBeVisible();
  await expect(page.getByTestId('lock-reason')).toHaveText('Locked after 2 minutes without use.');
  await expect(page.getByTestId('header-patient')).toHaveText('Locked');
  await expect(page.locator('[data-testid^="nav-"]')).toHaveCount(0);
  expect(await page.content()).not.toContain('943 476 5919');
});

test('the Lock button locks through core', async ({ page }) => {
  await open(page, {
    ...fixtures.consent,
    answers: { session_lock: { view: { ...locked, lock_reason: 'user' } } },
  });
  await page.getByTestId('lock-button').click();
  await expect(page.getByTestId('screen-lock')).toBeVisible();
  await expect(page.getByTestId('lock-reason')).toHaveText('Locked with the Lock button.');
  expect(await sent(page, 'session_lock')).toEqual([{ cmd: 'session_lock', args: { reason: 'user' } }]);
  expect(await page.content()).not.toContain('943 476 5919');
});

test('leaving the screen asks core to lock, with reason "background"', async ({ page }) => {
  await open(page, {
    ...fixtures.consent,
    answers: { session_lock: { view: { ...locked, lock_reason: 'background' } } },
  });
  await expect(page.getByTestId('screen-consent')).toBeVisible();
  await page.evaluate(() => {
    Object.defineProperty(document, 'visibilityState', { value: 'hidden', configurable: true });
    document.dispatchEvent(new Event('visibilitychange'));
  });
  await expect(page.getByTestId('screen-lock')).toBeVisible();
  await expect(page.getByTestId('lock-reason')).toHaveText('Locked because WardCam left the screen.');
  expect(await sent(page, 'session_lock')).toEqual([{ cmd: 'session_lock', args: { reason: 'background' } }]);
});

test('taps report activity to core at most once every 5 seconds', async ({ page }) => {
  await page.clock.install();
  await open(page, fixtures.device);
  await expect(page.getByTestId('screen-device')).toBeVisible();
  const heading = page.getByRole('heading', { name: 'Device', exact: true });
  await heading.click();
  await heading.click();
  await page.keyboard.press('Tab');
  expect(await sent(page, 'session_touch')).toHaveLength(1);
  await page.clock.fastForward(5000);
  await heading.click();
  expect(await sent(page, 'session_touch')).toHaveLength(2);
});

test('the theme toggle overrides the system theme and is remembered', async ({ page }) => {
  await page.emulateMedia({ colorScheme: 'light' });
  await open(page, fixtures.device);
  const luminance = () =>
    page.evaluate(() => {
      const [r = 0, g = 0, b = 0] = getComputedStyle(document.body).backgroundColor.match(/\d+/g)!.map(Number);
      return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255;
    });
  const toggle = page.getByTestId('theme-toggle');
  await expect(toggle).toHaveText('Theme: system');
  expect(await luminance()).toBeGreaterThan(0.7);
  await toggle.click();
  await expect(toggle).toHaveText('Theme: light');
  await toggle.click();
  await expect(toggle).toHaveText('Theme: dark');
  expect(await luminance()).toBeLessThan(0.3);

  // Only the theme is stored: nothing clinical reaches localStorage.
  expect(await page.evaluate(() => ({ ...localStorage }))).toEqual({ 'wardcam.theme': 'dark' });
  await page.reload();
  await page.getByTestId('nav-device').click();
  await expect(page.getByTestId('theme-toggle')).toHaveText('Theme: dark');
  expect(await luminance()).toBeLessThan(0.3);
});

test('an unknown error code shows the backend message', async ({ page }) => {
  await open(page, {
    ...fixtures.capture,
    errors: { session_start_capture: { code: 'camera.future_code', message: 'Backend says: try again.' } },
  });
  await page.getByTestId('open-camera').click();
  await expect(page.getByTestId('error-banner')).toContainText('Backend says: try again.');
  await expect(page.getByRole('alert')).toBeVisible();
  await page.getByRole('button', { name: 'Dismiss' }).click();
  await expect(page.getByTestId('error-banner')).toHaveCount(0);
});
