// Remote wipe at phone sizes: once core reports the phone wiped, the app is one screen saying so
// (how, when, how much, the installation) until it is dismissed; the Device screen shows this
// installation's id and takes a signed wipe command only after a confirmation.
import { expect, test } from '@playwright/test';
import type { WipeReport, WipeStatus } from '../src/lib/types';
import { fixtures, offscreen, open, overflowX, sent, shots, smallTargets } from './fixtures';

const INSTALLATION = '0123456789abcdef0123456789abcdef';
const report: WipeReport = {
  source: 'signed_command',
  request: 'ab'.repeat(16),
  installation: INSTALLATION,
  started_at: 1_790_000_000_000,
  finished_at: 1_790_000_000_500,
  items: 12,
  audit: { seq: 41, at: 1_790_000_000_100, event: { type: 'wiped', source: 'signed_command', items: 12 }, prev: '0'.repeat(64) },
  acknowledged: false,
};
const wiped: WipeStatus = { installation: null, report, wiped: true };

test('a wiped phone shows only the wiped screen until it is dismissed', async ({ page }, info) => {
  await open(page, { ...fixtures.lock, wipe: wiped });
  await expect(page.getByTestId('screen-wiped')).toBeVisible({ timeout: 20_000 });
  await expect(page.locator('[data-testid^="nav-"]')).toHaveCount(0);
  await expect(page.locator('[data-testid^="screen-"]')).toHaveCount(1);
  await expect(page.getByTestId('wiped-summary')).toContainText('12 items crypto-shredded');
  await expect(page.getByTestId('wiped-installation')).toHaveText('01234567-89ab-cdef-0123-456789abcdef');
  await expect(page.getByTestId('wiped-audit')).toContainText('entry 41');
  expect(await overflowX(page)).toBeLessThanOrEqual(0);
  expect(await offscreen(page)).toEqual([]);
  expect(await smallTargets(page)).toEqual([]);
  await page.screenshot({ scale: 'css', path: `${shots}${info.project.name}-wiped.png`, fullPage: true });

  await page.getByTestId('wiped-set-up-again').click();
  await expect(page.getByTestId('screen-wiped')).toHaveCount(0);
  await expect(page.getByTestId('screen-lock')).toBeVisible();
  expect((await sent(page, 'wipe_acknowledge')).length).toBe(1);
});

test('an unfinished wipe offers no way past it', async ({ page }) => {
  await open(page, { ...fixtures.lock, wipe: { ...wiped, report: { ...report, finished_at: null, audit: null } } });
  await expect(page.getByTestId('screen-wiped')).toBeVisible({ timeout: 20_000 });
  await expect(page.getByTestId('wiped-set-up-again')).toHaveCount(0);
  await expect(page.getByText('Restart WardCam to finish the wipe.')).toBeVisible();
});

test('the Device screen names the installation and applies a command only when confirmed', async ({ page }) => {
  await open(page, {
    ...fixtures.device,
    wipe: { installation: INSTALLATION, report: null, wiped: false },
    wipeApply: { code: 'wipe.replayed', message: 'This wipe command was already used on this phone.' },
  });
  const card = page.getByTestId('wipe-command');
  await expect(card).toBeVisible({ timeout: 20_000 });
  await expect(page.getByTestId('wipe-installation')).toHaveText('01234567-89ab-cdef-0123-456789abcdef');
  await expect(page.getByTestId('wipe-apply')).toBeDisabled();
  await page.getByTestId('wipe-code').fill('WCW1:abc.def');
  await page.getByTestId('wipe-apply').click();
  expect(await sent(page, 'wipe_apply')).toEqual([]);
  await page.getByTestId('wipe-confirm').click();
  await expect(page.getByTestId('wipe-error')).toContainText('wipe.replayed');
  expect((await sent(page, 'wipe_apply')).length).toBe(1);
});
