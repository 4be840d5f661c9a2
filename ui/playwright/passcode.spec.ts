// The passcode gate at phone sizes: while core says the phone's lock screen is not good enough, the
// app is one screen saying how to set a passcode, and nothing else is reachable or asked for.
import { expect, test, type Page } from '@playwright/test';
import type { PasscodeDecision, PasscodeStatus } from '../src/lib/types';
import { fixtures, offscreen, open, overflowX, sent, shots, smallTargets } from './fixtures';

function passcode(
  decision: PasscodeDecision,
  report: Partial<PasscodeStatus['report']> = {},
): PasscodeStatus {
  return {
    report: { platform: 'android', lock_screen: 'unknown', complexity: null, development_platform: false, ...report },
    decision,
    allowed: decision === 'secure' || decision === 'development_platform',
    required: 'low',
  };
}

/** Nothing of the app behind the blocked screen: no navigation, header, screen or camera. */
async function onlyTheBlockedScreen(page: Page) {
  // Generous: run alone, this file's first page load also waits for the dev server's first build.
  await expect(page.getByTestId('screen-no-passcode')).toBeVisible({ timeout: 20_000 });
  await expect(page.locator('[data-testid^="nav-"]')).toHaveCount(0);
  await expect(page.locator('[data-testid^="screen-"]')).toHaveCount(1);
  await expect(page.getByTestId('header-patient')).toHaveCount(0);
  await expect(page.locator('video')).toHaveCount(0);
}

test('an Android phone without a passcode shows only how to set one', async ({ page }, info) => {
  await open(page, { ...fixtures.lock, passcode: passcode('no_passcode', { lock_screen: 'insecure', complexity: 'none' }) });
  await onlyTheBlockedScreen(page);
  await expect(page.getByTestId('no-passcode-path')).toHaveText('Settings > Security > Screen lock');
  await expect(page.getByTestId('no-passcode-reason')).toContainText('no screen lock passcode');
  expect(await overflowX(page)).toBeLessThanOrEqual(0);
  expect(await offscreen(page)).toEqual([]);
  expect(await smallTargets(page)).toEqual([]);
  // The gate is the one question asked: not the session, the patient, the photos or the camera.
  expect(new Set((await sent(page)).map((s) => s.cmd))).toEqual(new Set(['device_passcode']));
  await page.screenshot({ scale: 'css', path: `${shots}${info.project.name}-no-passcode.png`, fullPage: true });
});

test('an iPhone is sent to Face ID & Passcode', async ({ page }) => {
  await open(page, { ...fixtures.lock, passcode: passcode('no_passcode', { platform: 'ios', lock_screen: 'insecure' }) });
  await onlyTheBlockedScreen(page);
  await expect(page.getByTestId('no-passcode-path')).toContainText('Settings > Face ID & Passcode');
});

test('a phone that cannot say stays closed (fail closed)', async ({ page }) => {
  await open(page, { ...fixtures.lock, passcode: passcode('unknown') });
  await onlyTheBlockedScreen(page);
  await expect(page.getByTestId('no-passcode-reason')).toContainText('could not confirm');
});

test('a failed check stays closed too', async ({ page }) => {
  await open(page, { ...fixtures.lock, errors: { device_passcode: { code: 'app.unexpected', message: 'boom' } } });
  await onlyTheBlockedScreen(page);
  await expect(page.getByTestId('no-passcode-reason')).toContainText('could not check');
});

test('once a passcode is set, checking again opens the app', async ({ page }) => {
  await open(page, { ...fixtures.lock, passcode: passcode('no_passcode', { lock_screen: 'insecure' }) });
  await onlyTheBlockedScreen(page);
  const secure = passcode('secure', { lock_screen: 'secure', complexity: 'medium' });
  await page.evaluate((s) => {
    window.__WARDCAM_FIXTURE__!.passcode = s;
  }, secure);
  await page.getByTestId('no-passcode-check').click();
  await expect(page.getByTestId('screen-lock')).toBeVisible();
  await expect(page.getByTestId('screen-no-passcode')).toHaveCount(0);
});

test('the Device screen says the desktop build is a development platform', async ({ page }) => {
  await open(page, fixtures.device);
  await expect(page.getByTestId('screen-device')).toBeVisible();
  await expect(page.getByTestId('passcode-status')).toHaveText('Unknown: development platform (allowed on this build only)');
});
