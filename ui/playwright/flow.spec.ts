// The ward flow moves forward by itself (patient -> consent -> camera -> label -> Send -> Take
// another) without skipping a rule: each shortcut a hurried clinician might try is tried here, and
// the UI never gets past consent, a missing site or a missing side. Core refuses all of them again
// (crates/core/src/visit/send_tests.rs, tests/e2e/tap-count.test.mjs); this checks the screens never
// ask it to.
import { expect, test } from '@playwright/test';
import { HEEL, SACRUM, photo } from '../src/lib/testing/views';
import type { SessionView } from '../src/lib/types';
import { fixtures, open, overflowX, sent, shots, smallTargets } from './fixtures';

const ID1 = '6f1d7a52-0c3e-4b8e-9a41-000000000001';
const ID2 = '6f1d7a52-0c3e-4b8e-9a41-000000000002';
const capturing: SessionView = { ...fixtures.capture.view, state: 'capturing', pending_photos: 1, home: 'capture' };
const queued: SessionView = { ...fixtures.outbox.view, queued_photos: 1 };

test('before consent no way leads to the camera', async ({ page }) => {
  await open(page, fixtures.consent);
  await expect(page.getByTestId('screen-consent')).toBeVisible();
  await expect(page.getByTestId('nav-capture')).toHaveCount(0);
  await expect(page.getByTestId('camera-view')).toHaveCount(0);
  // Every control on the screen, and the navigation, leaves the camera shut and never asks core.
  for (const nav of ['nav-patient', 'nav-outbox', 'nav-device', 'nav-consent']) {
    await page.getByTestId(nav).click();
    await expect(page.getByTestId('camera-view')).toHaveCount(0);
  }
  expect(await sent(page, 'session_start_capture')).toEqual([]);
  expect(await sent(page, 'photo_send')).toEqual([]);
});

test('consent recorded: the camera opens by itself, but not while the patient holds the phone', async ({ page }) => {
  // With the patient (kiosk): consent recorded, the hand-back comes first; no camera.
  await open(page, { ...fixtures.consent, answers: { session_start_capture: { view: { ...capturing, pending_photos: 0 } } } });
  await expect(page.getByTestId('screen-consent')).toBeVisible();
  const kioskDone: SessionView = { ...fixtures.capture.view, kiosk: true, screens: ['consent'], home: 'consent' };
  await page.evaluate((v) => window.__WARDCAM_EMIT__!('session://changed', v), kioskDone);
  await expect(page.getByTestId('consent-hand-back')).toBeVisible();
  expect(await sent(page, 'session_start_capture')).toEqual([]);
  // Handed back (core's view: consented, not kiosk): Capture, and the camera opens untapped.
  await page.evaluate((v) => window.__WARDCAM_EMIT__!('session://changed', v), fixtures.capture.view);
  await expect(page.getByTestId('camera-view')).toBeVisible();
  expect(await sent(page, 'session_start_capture')).toHaveLength(1);
});

test('Send waits for a site, and for a side when the site has one', async ({ page }, info) => {
  await open(page, { ...fixtures.capture, view: capturing, photos: [photo(ID1)], sites: [HEEL, SACRUM] });
  const send = page.getByTestId('quick-send');
  await expect(page.getByTestId('quick-label')).toHaveAttribute('data-photo', ID1);
  await expect(send).toBeDisabled();
  await expect(send).toHaveText('Choose the site to send');
  await page.getByTestId(`quick-site-${HEEL.code}`).click();
  // A paired site: no side is chosen for the clinician.
  await expect(send).toBeDisabled();
  await expect(send).toHaveText('Choose the side to send');
  for (const side of ['left', 'right', 'bilateral']) {
    await expect(page.getByTestId(`quick-side-${side}`)).toHaveAttribute('aria-pressed', 'false');
  }
  // Changing the site drops the side chosen before it.
  await page.getByTestId('quick-side-right').click();
  await page.getByTestId('quick-change').click();
  await page.getByTestId(`quick-site-${HEEL.code}`).click();
  await expect(send).toBeDisabled();
  await page.getByTestId('quick-side-left').click();
  await expect(send).toHaveText('Send: Heel, left');
  expect(await smallTargets(page)).toEqual([]);
  expect(await overflowX(page)).toBeLessThanOrEqual(0);
  await page.screenshot({ scale: 'css', path: `${shots}${info.project.name}-quick-label.png`, fullPage: true });
  expect(await sent(page, 'photo_send')).toEqual([]);
});

test('a midline site needs no side; searching finds the rest', async ({ page }) => {
  await open(page, {
    ...fixtures.capture,
    view: capturing,
    photos: [photo(ID1)],
    sites: [HEEL, SACRUM],
    suggestions: { same: null, sites: [HEEL] },
    answers: { photo_send: { view: queued } },
  });
  await expect(page.getByTestId(`quick-site-${SACRUM.code}`)).toHaveCount(0);
  await page.getByTestId('quick-site-search').fill('sacr');
  await page.getByTestId(`quick-found-${SACRUM.code}`).click();
  await expect(page.getByTestId('quick-side-left')).toHaveCount(0);
  await page.getByTestId('quick-send').click();
  expect(await sent(page, 'photo_send')).toEqual([
    { cmd: 'photo_send', args: { id: ID1, label: { body_site: SACRUM.code, laterality: 'not_applicable', description: '' } } },
  ]);
  await expect(page.getByTestId('screen-outbox')).toBeVisible();
});

test('Send queues through core; then Take another opens the camera for the next photo', async ({ page }) => {
  await open(page, {
    ...fixtures.capture,
    view: capturing,
    photos: [photo(ID1)],
    sites: [HEEL, SACRUM],
    answers: { photo_send: { view: queued } },
  });
  await page.getByTestId(`quick-site-${HEEL.code}`).click();
  await page.getByTestId('quick-side-left').click();
  await page.getByTestId('quick-send').click();
  await expect(page.getByTestId('screen-outbox')).toBeVisible();
  await expect(page.getByTestId('outbox-queued-note')).toBeVisible();
  // No photo left unsent by the UI: only core's command ran, once.
  expect(await sent(page, 'photo_send')).toHaveLength(1);
  expect(await sent(page, 'session_queue')).toEqual([]);

  // Take another: core opens the camera; a new photo arrives with its label still to choose.
  await page.getByTestId('take-another').click();
  expect(await sent(page, 'session_start_capture')).toHaveLength(1);
  await expect(page.getByTestId('camera-view')).toBeVisible();
  // The sent photo is not asked about again.
  await expect(page.getByTestId('quick-label')).toHaveCount(0);
});

test('the same wound again: nothing pre-chosen, one tap on Same chooses site and side', async ({ page }) => {
  await open(page, {
    ...fixtures.capture,
    view: capturing,
    photos: [photo(ID1, { state: 'queued', body_site: HEEL, laterality: 'left' }), photo(ID2)],
    sites: [HEEL, SACRUM],
    suggestions: { same: { site: HEEL, laterality: 'left' }, sites: [HEEL, SACRUM] },
    answers: { photo_send: { view: { ...queued, queued_photos: 2 } } },
  });
  await expect(page.getByTestId('quick-label')).toHaveAttribute('data-photo', ID2);
  await expect(page.getByTestId('quick-send')).toBeDisabled();
  await page.getByTestId('quick-same').click();
  await expect(page.getByTestId('quick-send')).toHaveText('Send: Heel, left');
  await page.getByTestId('quick-send').click();
  expect((await sent(page, 'photo_send'))[0]?.args).toEqual({
    id: ID2,
    label: { body_site: HEEL.code, laterality: 'left', description: '' },
  });
});

test('another photo still unlabelled: core sends the clinician to Review, nothing is queued', async ({ page }) => {
  const reviewing: SessionView = { ...fixtures.review.view, pending_photos: 2 };
  await open(page, {
    ...fixtures.capture,
    view: { ...capturing, pending_photos: 2 },
    photos: [photo(ID1), photo(ID2)],
    sites: [HEEL, SACRUM],
    answers: { photo_send: { view: reviewing } },
  });
  // The newest photo is the one asked about.
  await expect(page.getByTestId('quick-label')).toHaveAttribute('data-photo', ID2);
  await page.getByTestId(`quick-site-${SACRUM.code}`).click();
  await page.getByTestId('quick-send').click();
  await expect(page.getByTestId('screen-review')).toBeVisible();
  await expect(page.getByTestId('unlabelled')).toHaveText('1 still need a body site.');
  await expect(page.getByTestId(`photo-${ID1}`)).toBeVisible();
});

test('a refusal from core leaves the photo where it was, with the reason', async ({ page }) => {
  await open(page, {
    ...fixtures.capture,
    view: capturing,
    photos: [photo(ID1)],
    sites: [HEEL, SACRUM],
    errors: { photo_send: { code: 'session.locked', message: 'backend text' } },
  });
  await page.getByTestId(`quick-site-${SACRUM.code}`).click();
  await page.getByTestId('quick-send').click();
  await expect(page.getByTestId('error-banner')).toHaveAttribute('data-code', 'session.locked');
  await expect(page.getByTestId('screen-capture')).toBeVisible();
  await expect(page.getByTestId('quick-label')).toHaveAttribute('data-photo', ID1);
});
