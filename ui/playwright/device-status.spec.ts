// The device status on the Device screen at phone sizes: the photos waiting and for how long, the
// last delivery, the policy, the app version and the audit chain's head, as core reports them;
// while locked only what core says needs no vault key; a remote wipe when there was one.
import { expect, test } from '@playwright/test';
import type { DeviceStatus } from '../src/lib/types';
import { fixtures, offscreen, open, overflowX, sent, shots, smallTargets } from './fixtures';

const HOUR = 3_600_000;
const NOW = 1_790_000_000_000;

const unlocked: DeviceStatus = {
  reported_at: NOW,
  app_version: '1.4.2',
  locked: false,
  policy: { version: 7, trust: 'Example Hospitals NHS Foundation Trust', ods_code: 'RX1', sha256: 'a1b2c3d4e5f6'.repeat(5), source: 'managed' },
  passcode: null,
  queue: { total: 3, captured: 0, queued: 2, sending: 0, uploaded: 0, held: 1, withdrawn: 0 },
  oldest_undelivered_age_ms: 26 * HOUR,
  last_delivery_at: NOW - 2 * HOUR,
  audit: { entries: 42, seq: 41, hash: '3f2a9c1b7d0e5a6b'.repeat(4), intact: true, lost: 0 },
  audit_problem: null,
  wipe: null,
  wipe_problem: null,
};

test('the Device screen shows the device status core reports', async ({ page }, info) => {
  await open(page, { ...fixtures.device, deviceStatus: unlocked });
  const health = page.getByTestId('device-health');
  await expect(health).toBeVisible({ timeout: 20_000 });
  await expect(page.getByTestId('device-health-queue')).toContainText('3 photos waiting: 2 queued, 1 held');
  await expect(page.getByTestId('device-health-oldest')).toHaveText('Oldest has waited at least 1 day 2 hours');
  await expect(page.getByTestId('device-health-last-delivery')).toHaveText('2 hours ago');
  await expect(page.getByTestId('device-health-policy')).toHaveText('Version 7 from MDM (RX1), a1b2c3d4e5f6…');
  await expect(page.getByTestId('device-health-version')).toHaveText('1.4.2');
  await expect(page.getByTestId('device-health-audit')).toHaveText('42 entries, head #41 3f2a9c1b7d0e…, intact');
  await expect(page.getByTestId('device-health-wipe')).toHaveCount(0);
  // The placeholder it replaces is gone.
  await expect(page.getByText('Device health report')).toHaveCount(0);
  expect((await sent(page, 'device_status')).length).toBeGreaterThan(0);
  await health.scrollIntoViewIfNeeded();
  expect(await overflowX(page)).toBeLessThanOrEqual(0);
  expect(await offscreen(page)).toEqual([]);
  expect(await smallTargets(page)).toEqual([]);
  await page.screenshot({ scale: 'css', path: `${shots}${info.project.name}-device-status.png`, fullPage: true });
});

test('a broken audit chain and a wipe still finishing are flagged', async ({ page }) => {
  await open(page, {
    ...fixtures.device,
    deviceStatus: {
      ...unlocked,
      audit: { ...unlocked.audit!, intact: false },
      wipe: { source: 'signed_command', started_at: NOW - HOUR, finished_at: null, items: 0 },
    },
  });
  const audit = page.getByTestId('device-health-audit');
  await expect(audit).toContainText('BROKEN: tell IT', { timeout: 20_000 });
  await expect(audit).toHaveClass(/bad/);
  await expect(page.getByTestId('device-health-wipe')).toHaveText('A remote wipe by a signed command is still finishing');
});

test("without the vault's facts it says to unlock, not zero", async ({ page }) => {
  // What core answers while locked (the Device screen can be open as the idle lock comes).
  await open(page, {
    ...fixtures.device,
    deviceStatus: { ...unlocked, locked: true, queue: null, oldest_undelivered_age_ms: null, last_delivery_at: null, audit: null },
  });
  await expect(page.getByTestId('device-health-queue')).toHaveText('Unlock to see the photos waiting', { timeout: 20_000 });
  await expect(page.getByTestId('device-health-oldest')).toHaveCount(0);
  await expect(page.getByTestId('device-health-last-delivery')).toHaveText('Unlock to see the last delivery');
  await expect(page.getByTestId('device-health-audit')).toHaveText('Unlock to see the audit chain');
  // What needs no vault key is still shown.
  await expect(page.getByTestId('device-health-policy')).toContainText('Version 7');
});

test('a failed status is said, not hidden', async ({ page }) => {
  await open(page, { ...fixtures.device, errors: { device_status: { code: 'app.unexpected', message: 'boom' } } });
  await expect(page.getByTestId('device-health-error')).toContainText('boom', { timeout: 20_000 });
  await expect(page.getByTestId('device-health')).toHaveCount(0);
});
