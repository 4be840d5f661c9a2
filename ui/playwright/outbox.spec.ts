// The Outbox over the mocked backend: every undelivered photo of any visit with its patient, label
// and state, with or without an open visit; withdrawal from a row sends that photo's id to core.
// The Device screen's ward status and the clinician PIN change.
import { expect, test } from '@playwright/test';
import type { SessionView } from '../src/lib/types';
import { device, fixtures, offscreen, open, outboxPhotos, overflowX, sent, shots, smallTargets } from './fixtures';

const [earlierQueued, earlierCaptured, current] = outboxPhotos as [
  (typeof outboxPhotos)[number],
  (typeof outboxPhotos)[number],
  (typeof outboxPhotos)[number],
];

/** No visit open (after a restart, or after the visit ended): only the earlier visit's photos. */
const noVisit = {
  view: fixtures.patient.view,
  patient: null,
  device,
  photos: [earlierQueued, earlierCaptured].map((p) => ({ ...p, current_visit: false })),
};

test('with no visit open, the Outbox lists an earlier visit\'s photos with patient, label and state', async ({ page }, info) => {
  await open(page, noVisit);
  await page.getByTestId('nav-outbox').click();
  await expect(page.getByTestId('screen-outbox')).toBeVisible();
  await expect(page.getByTestId('outbox-count')).toHaveText('2');
  await expect(page.getByTestId('queued-count')).toHaveCount(0);
  // Oldest first, as core lists them.
  const rows = page.locator('[data-testid^="outbox-"][data-state]');
  await expect(rows).toHaveCount(2);
  expect(await rows.evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.testid))).toEqual([
    `outbox-${earlierQueued.id}`,
    `outbox-${earlierCaptured.id}`,
  ]);
  await expect(page.getByTestId(`outbox-patient-${earlierQueued.id}`)).toHaveText("O'SULLIVAN-FITZGERALD, Bartholomew Alexander");
  await expect(page.getByTestId(`outbox-number-${earlierQueued.id}`)).toHaveText('NHS 401 023 2137');
  await expect(page.getByTestId(`outbox-site-${earlierQueued.id}`)).toHaveText('Heel (left)');
  await expect(page.getByTestId(`outbox-state-${earlierQueued.id}`)).toHaveText('Waiting to send');
  await expect(page.getByTestId(`outbox-site-${earlierCaptured.id}`)).toHaveText('No body site yet');
  await expect(page.getByTestId(`outbox-state-${earlierCaptured.id}`)).toHaveText('Not yet labelled/queued');
  await expect(page.getByTestId(`outbox-thumb-${earlierQueued.id}`)).toHaveAttribute(
    'src',
    `thumb://localhost/${earlierQueued.id}?v=1`,
  );
  expect(await sent(page, 'outbox_list')).toHaveLength(1);
  expect(await overflowX(page)).toBeLessThanOrEqual(0);
  expect(await smallTargets(page)).toEqual([]);
  await page.screenshot({ path: `${shots}${info.project.name}-outbox-no-visit.png`, fullPage: true });
});

test('the Outbox lists two visits, the open one marked, and fits the narrowest phone', async ({ page }, info) => {
  await open(page, fixtures.outbox);
  await expect(page.getByTestId('outbox-count')).toHaveText('3');
  await expect(page.getByTestId('queued-count')).toHaveText('1');
  await expect(page.getByTestId(`outbox-patient-${current.id}`)).toHaveText('Name not recorded');
  await expect(page.getByTestId(`outbox-number-${current.id}`)).toHaveText('NHS 943 476 5919');
  await expect(page.getByTestId(`outbox-site-${current.id}`)).toHaveText('Sacral region');
  await expect(page.getByTestId(`outbox-state-${current.id}`)).toHaveText('Waiting to send');
  await expect(page.getByTestId(`outbox-current-${current.id}`)).toHaveText('This visit');
  await expect(page.getByTestId(`outbox-state-${earlierQueued.id}`)).toHaveText('Waiting to send');
  await expect(page.getByTestId(`outbox-current-${earlierQueued.id}`)).toHaveCount(0);
  await page.setViewportSize({ width: 360, height: 740 });
  expect(await overflowX(page)).toBeLessThanOrEqual(0);
  expect(await offscreen(page)).toEqual([]);
  await page.screenshot({ path: `${shots}${info.project.name}-outbox-two-visits.png`, fullPage: true });
});

test('withdrawing from a row asks first, then sends that photo\'s id and lists again', async ({ page }, info) => {
  await open(page, fixtures.outbox);
  const withdraw = page.getByTestId(`outbox-withdraw-${earlierQueued.id}`);
  await withdraw.click();
  const confirm = page.getByTestId(`outbox-withdraw-confirm-${earlierQueued.id}`);
  await expect(confirm).toContainText('This deletes every photo of this visit not yet sent. Continue?');
  expect(await smallTargets(page)).toEqual([]);
  await page.screenshot({ path: `${shots}${info.project.name}-outbox-withdraw-confirm.png`, fullPage: true });
  // "No" sends nothing.
  await page.getByTestId(`outbox-withdraw-no-${earlierQueued.id}`).click();
  await expect(confirm).toHaveCount(0);
  expect(await sent(page, 'consent_withdraw')).toEqual([]);

  await withdraw.click();
  await page.getByTestId(`outbox-withdraw-yes-${earlierQueued.id}`).click();
  await expect(page.getByTestId('outbox-withdrawn')).toBeVisible();
  expect(await sent(page, 'consent_withdraw')).toEqual([{ cmd: 'consent_withdraw', args: { photo: earlierQueued.id } }]);
  // The list is asked for again: the earlier visit's photos are gone, the open visit's remain.
  expect(await sent(page, 'outbox_list')).toHaveLength(2);
  await expect(page.getByTestId(`outbox-${earlierQueued.id}`)).toHaveCount(0);
  await expect(page.getByTestId(`outbox-${earlierCaptured.id}`)).toHaveCount(0);
  await expect(page.getByTestId(`outbox-${current.id}`)).toBeVisible();
  await expect(page.getByTestId('outbox-count')).toHaveText('1');
});

test('withdrawing for the open visit stays on the Outbox although the session moves on', async ({ page }) => {
  const withdrawnView: SessionView = {
    ...fixtures.consent.view,
    screens: ['patient', 'consent', 'outbox', 'device'],
    home: 'consent',
  };
  await open(page, { ...fixtures.outbox, answers: { consent_withdraw: { view: withdrawnView } } });
  await page.getByTestId(`outbox-withdraw-${current.id}`).click();
  await page.getByTestId(`outbox-withdraw-yes-${current.id}`).click();
  await expect(page.getByTestId('outbox-withdrawn')).toBeVisible();
  await expect(page.getByTestId('screen-outbox')).toBeVisible();
  await expect(page.getByTestId(`outbox-${current.id}`)).toHaveCount(0);
  await expect(page.getByTestId('nav-capture')).toHaveCount(0);
  expect(await sent(page, 'consent_withdraw')).toEqual([{ cmd: 'consent_withdraw', args: { photo: current.id } }]);
});

test('a refused withdrawal shows core\'s reason and keeps the row', async ({ page }) => {
  await open(page, {
    ...fixtures.outbox,
    errors: {
      consent_withdraw: { code: 'session.no_consent_to_withdraw', message: 'No consent is recorded for this patient.' },
    },
  });
  await page.getByTestId(`outbox-withdraw-${earlierQueued.id}`).click();
  await page.getByTestId(`outbox-withdraw-yes-${earlierQueued.id}`).click();
  await expect(page.getByTestId('error-banner')).toHaveAttribute('data-code', 'session.no_consent_to_withdraw');
  await expect(page.getByTestId(`outbox-${earlierQueued.id}`)).toBeVisible();
  await expect(page.getByTestId('outbox-withdrawn')).toHaveCount(0);
});

test('an empty Outbox says so', async ({ page }) => {
  await open(page, { ...fixtures.patient, photos: [] });
  await page.getByTestId('nav-outbox').click();
  await expect(page.getByTestId('outbox-empty')).toHaveText('No photos are waiting on this phone.');
  await expect(page.getByTestId('outbox-count')).toHaveText('0');
});

test('the Device screen shows the photos waiting, deletions pending and what the start recovered', async ({ page }, info) => {
  await open(page, {
    ...fixtures.device,
    ward: {
      recovery: {
        photos: 2,
        visits: 1,
        resumed_visit: true,
        stale_revisions: 1,
        withdrawn_photos_shredded: 0,
        unreferenced_items_shredded: 0,
        unreadable_records: 0,
      },
      photos: 2,
      cleanup_pending: 3,
    },
  });
  await expect(page.getByTestId('ward-photos')).toHaveText('Photos waiting on this phone: 2');
  await expect(page.getByTestId('ward-cleanup')).toHaveText('3 deletions will finish at next start');
  await expect(page.getByTestId('ward-recovery')).toHaveText(
    'At start: 2 photos of 1 visit found again; the open visit was resumed; 1 leftover item cleaned up.',
  );
  expect(await sent(page, 'ward_status')).not.toHaveLength(0);
  expect(await overflowX(page)).toBeLessThanOrEqual(0);
  await page.screenshot({ path: `${shots}${info.project.name}-device-ward.png`, fullPage: true });

  // Nothing pending: no deletion line; a clean start says nothing about recovery.
  await open(page, { ...fixtures.device, ward: { recovery: null, photos: 0, cleanup_pending: 0 } });
  await expect(page.getByTestId('ward-photos')).toHaveText('Photos waiting on this phone: 0');
  await expect(page.getByTestId('ward-cleanup')).toHaveCount(0);
  await expect(page.getByTestId('ward-recovery')).toHaveCount(0);
});

test('changing a working PIN on the Device screen sends the current PIN', async ({ page }) => {
  await open(page, fixtures.device);
  await page.getByTestId('pin-change').click();
  await expect(page.getByTestId('pin-setup')).toContainText('Change your clinician PIN');
  const save = page.getByTestId('pin-save');
  await page.getByTestId('pin-first').fill('135792');
  await page.getByTestId('pin-second').fill('135792');
  await expect(save).toBeDisabled(); // the current PIN is needed
  await page.getByTestId('pin-old').fill('246810');
  await save.click();
  await expect(page.getByTestId('pin-setup')).toHaveCount(0);
  await expect(page.getByTestId('pin-change')).toBeVisible();
  expect(await sent(page, 'clinician_pin_set')).toEqual([
    { cmd: 'clinician_pin_set', args: { pin: '135792', name: 'Dr Test', oldPin: '246810' } },
  ]);
  expect(await smallTargets(page)).toEqual([]);
});
