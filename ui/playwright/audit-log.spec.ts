// The Device screen's audit log card at phone sizes: the chain's head as core reports it, and
// "Save audit log" saving core's JSON-lines export as `wardcam-audit-<seq>.jsonl`, byte for byte;
// while locked it offers nothing to save; a refused export is said, with its code.
import { readFileSync } from 'node:fs';
import { expect, test } from '@playwright/test';
import type { AuditExport, DeviceStatus } from '../src/lib/types';
import { fixtures, offscreen, open, overflowX, sent, shots, smallTargets } from './fixtures';

const HASH = '3f2a9c1b7d0e5a6b'.repeat(4);
const status: DeviceStatus = {
  reported_at: 1_790_000_000_000,
  app_version: '1.4.2',
  locked: false,
  policy: null,
  passcode: null,
  queue: { total: 0, captured: 0, queued: 0, sending: 0, uploaded: 0, held: 0, withdrawn: 0 },
  oldest_undelivered_age_ms: null,
  last_delivery_at: null,
  audit: { entries: 42, seq: 41, hash: HASH, intact: true, lost: 0 },
  audit_problem: null,
  wipe: null,
  wipe_problem: null,
};
const exported: AuditExport = {
  entries: 43,
  seq: 42,
  hash: 'c0ffee'.repeat(10) + 'abcd',
  jsonl: '{"at":1,"event":{"type":"unlocked","method":"pin"},"prev":"0","seq":0}\n{"at":2,"event":{"type":"policy_applied","source":"code","version":3},"prev":"1","seq":1}\n',
};

test('the card shows the head and saves the export as wardcam-audit-<seq>.jsonl', async ({ page }, info) => {
  await open(page, { ...fixtures.device, deviceStatus: status, auditExport: exported });
  const card = page.getByTestId('audit-log');
  await expect(card).toBeVisible({ timeout: 20_000 });
  await expect(page.getByTestId('audit-log-head')).toHaveText('42 entries, head #41');
  await expect(page.getByTestId('audit-log-hash')).toHaveText(HASH);
  await expect(page.getByTestId('audit-log-help')).toHaveText(
    'The saved log holds no patient details; check it with wardcam-admin audit verify.',
  );
  await card.scrollIntoViewIfNeeded();
  expect(await overflowX(page)).toBeLessThanOrEqual(0);
  expect(await offscreen(page)).toEqual([]);
  expect(await smallTargets(page)).toEqual([]);
  await page.screenshot({ scale: 'css', path: `${shots}${info.project.name}-audit-log.png`, fullPage: true });

  const download = page.waitForEvent('download');
  await page.getByTestId('audit-log-save').click();
  const file = await download;
  // Named for the export's own head (it may have grown since the status was read).
  expect(file.suggestedFilename()).toBe('wardcam-audit-42.jsonl');
  expect(readFileSync(await file.path(), 'utf8')).toBe(exported.jsonl);
  await expect(page.getByTestId('audit-log-saved')).toHaveText(
    `Saved wardcam-audit-42.jsonl (43 entries); verify it with --head 42:${exported.hash}`,
  );
  expect((await sent(page, 'audit_export')).length).toBe(1);
});

test('while locked there is nothing to save', async ({ page }) => {
  await open(page, {
    ...fixtures.device,
    deviceStatus: { ...status, locked: true, queue: null, audit: null },
  });
  await expect(page.getByTestId('audit-log-head')).toHaveText('Unlock to see the audit log', { timeout: 20_000 });
  await expect(page.getByTestId('audit-log-hash')).toHaveCount(0);
  await expect(page.getByTestId('audit-log-save')).toBeDisabled();
});

test('a refused export is said with its code and saves nothing', async ({ page }) => {
  await open(page, {
    ...fixtures.device,
    deviceStatus: status,
    errors: { audit_export: { code: 'session.locked', message: 'WardCam is locked. Unlock to continue.' } },
  });
  let downloads = 0;
  page.on('download', () => downloads++);
  await page.getByTestId('audit-log-save').click({ timeout: 20_000 });
  await expect(page.getByTestId('audit-log-error')).toHaveText('WardCam is locked. Unlock to continue. (session.locked)');
  await expect(page.getByTestId('audit-log-saved')).toHaveCount(0);
  expect(downloads).toBe(0);
});
