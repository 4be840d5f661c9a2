// Phones: the phone's own lock can release WardCam's key. The lock screen offers it only on a phone
// and shows core's words when it does not unlock; the Device screen hands the key to the platform
// after the PIN. Desktop shows neither.
import { expect, test } from '@playwright/test';
import { device, fixtures, open, overflowX, sent, shots, smallTargets } from './fixtures';

const android = { ...device, platform: 'android' };

test('the lock screen offers the phone\'s lock on a phone and says why it did not unlock', async ({ page }, info) => {
  await open(page, { ...fixtures.lock, device: android });
  await expect(page.getByTestId('unlock-phone')).toBeVisible();
  await page.getByTestId('unlock-phone').click();
  await expect(page.getByTestId('unlock-phone-said')).toHaveText('The phone cannot check your screen lock now.');
  await expect(page.getByTestId('screen-lock')).toBeVisible();
  expect((await sent(page, 'session_unlock_platform')).length).toBe(1);
  expect(await overflowX(page)).toBeLessThanOrEqual(0);
  expect(await smallTargets(page)).toEqual([]);
  await page.screenshot({ scale: 'css', path: `${shots}${info.project.name}-lock-phone.png`, fullPage: true });
});

test('the phone\'s lock unlocks when core says so', async ({ page }) => {
  const unlocked = fixtures.patient.view;
  await open(page, { ...fixtures.lock, device: android, platformUnlock: { outcome: 'unlocked', ...unlocked } });
  await page.getByTestId('unlock-phone').click();
  await expect(page.getByTestId('screen-lock')).toHaveCount(0);
});

test('the Device screen hands the key to the platform after the PIN, on a phone only', async ({ page }) => {
  await open(page, { ...fixtures.device, device: android, enrolled: false });
  await page.getByTestId('enrol-pin').fill('482916');
  await page.getByTestId('enrol-submit').click();
  await expect(page.getByTestId('enrol-result')).toContainText('did not keep the key');
  expect(await sent(page, 'session_enrol_platform')).toEqual([
    { cmd: 'session_enrol_platform', args: { pin: '482916' } },
  ]);
  await expect(page.getByTestId('enrol-pin')).toHaveValue('');
});

test('a desktop shows neither', async ({ page }) => {
  await open(page, fixtures.lock);
  await expect(page.getByTestId('screen-lock')).toBeVisible();
  await expect(page.getByTestId('unlock-phone')).toHaveCount(0);
  await open(page, fixtures.device);
  await expect(page.getByTestId('screen-device')).toBeVisible();
  await expect(page.getByTestId('enrol-phone')).toHaveCount(0);
});
