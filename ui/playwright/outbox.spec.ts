// The Outbox over the mocked backend: every undelivered photo of any visit with its patient, label
// and state, with or without an open visit; withdrawal from a row sends that photo's id to core.
// Delivery to the hospital's server as core reports it (status, progress events, problems and
// retries, holds, sent photos, Send now) and the top bar's count of photos still to go.
// The Device screen's ward status and the clinician PIN change.
import { expect, test } from '@playwright/test';
import type { ErrorPayload, PhotoSummary, SentView, SessionView } from '../src/lib/types';
import {
  device,
  fixtures,
  offscreen,
  open,
  outboxEvent,
  outboxPhotos,
  outboxUpdate,
  overflowX,
  sent,
  shots,
  smallTargets,
} from './fixtures';

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
  await page.screenshot({ scale: 'css', path: `${shots}${info.project.name}-outbox-no-visit.png`, fullPage: true });
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
  await page.screenshot({ scale: 'css', path: `${shots}${info.project.name}-outbox-two-visits.png`, fullPage: true });
});

test('withdrawing from a row asks first, then sends that photo\'s id and lists again', async ({ page }, info) => {
  await open(page, fixtures.outbox);
  const withdraw = page.getByTestId(`outbox-withdraw-${earlierQueued.id}`);
  await withdraw.click();
  const confirm = page.getByTestId(`outbox-withdraw-confirm-${earlierQueued.id}`);
  await expect(confirm).toContainText('This deletes every photo of this visit not yet sent. Continue?');
  expect(await smallTargets(page)).toEqual([]);
  await page.screenshot({ scale: 'css', path: `${shots}${info.project.name}-outbox-withdraw-confirm.png`, fullPage: true });
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
  await page.screenshot({ scale: 'css', path: `${shots}${info.project.name}-device-ward.png`, fullPage: true });

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

// Delivery to the hospital's server. The harness stands in for core: each test states what core
// lists and reports, and sends core's events on the channel the UI gave `outbox_watch`.

const unreachable: ErrorPayload = { code: 'endpoint.unreachable', message: 'The hospital server did not answer.' };
const refused: ErrorPayload = {
  code: 'delivery.server_refused',
  message: 'The hospital server refused this photo. Tell IT; it stays on this phone.',
};

test('a photo being sent shows a progress bar that follows core\'s progress events', async ({ page }, info) => {
  await open(page, fixtures.outbox);
  const id = earlierQueued.id;
  await expect(page.getByTestId(`outbox-state-${id}`)).toHaveText('Waiting to send');
  await expect(page.getByTestId(`outbox-progress-${id}`)).toHaveCount(0);
  expect(await sent(page, 'outbox_watch')).toHaveLength(1);

  await outboxEvent(page, { kind: 'progress', photo: id, phase: 'preparing', fraction: 0 });
  const bar = page.getByTestId(`outbox-progress-${id}`).locator('progress');
  await expect(bar).toHaveJSProperty('value', 0);
  await expect(page.getByTestId(`outbox-state-${id}`)).toHaveText('Sending…');
  await expect(page.getByTestId(`outbox-phase-${id}`)).toHaveText('Preparing — 0%');

  // Core marks it sending and says so: the list is asked for again, the bar stays.
  await outboxUpdate(page, { photos: outboxPhotos.map((p) => (p.id === id ? { ...p, state: 'sending' as const } : p)) });
  await outboxEvent(page, { kind: 'changed' });
  await expect.poll(async () => (await sent(page, 'outbox_list')).length).toBe(2);
  await outboxEvent(page, { kind: 'progress', photo: id, phase: 'uploading', fraction: 0.4 });
  await expect(bar).toHaveJSProperty('value', 0.4);
  await expect(page.getByRole('progressbar', { name: 'Uploading — 40%' })).toBeVisible();
  await expect(page.getByTestId(`outbox-state-${id}`)).toHaveText('Sending…');
  expect(await overflowX(page)).toBeLessThanOrEqual(0);
  await page.screenshot({ scale: 'css', path: `${shots}${info.project.name}-outbox-sending.png`, fullPage: true });

  await outboxEvent(page, { kind: 'progress', photo: id, phase: 'uploading', fraction: 0.85 });
  await expect(bar).toHaveJSProperty('value', 0.85);
  await outboxEvent(page, { kind: 'progress', photo: id, phase: 'verifying', fraction: 0.5 });
  await expect(page.getByTestId(`outbox-state-${id}`)).toHaveText("Checking the hospital's copy…");
  await expect(page.getByRole('progressbar', { name: "Checking the hospital's copy — 50%" })).toBeVisible();
  // Other photos are untouched.
  await expect(page.getByTestId(`outbox-progress-${current.id}`)).toHaveCount(0);
  await expect(page.getByTestId(`outbox-state-${current.id}`)).toHaveText('Waiting to send');
});

test('a failed attempt shows core\'s words and when it will retry, worded again as time passes', async ({ page }, info) => {
  const t0 = new Date('2026-11-30T10:00:00Z').getTime();
  await page.clock.install({ time: t0 });
  const retryAt = t0 + 2 * 60_000 + 10_000;
  const failed: PhotoSummary = {
    ...earlierQueued,
    delivery: { attempts: 3, retry_at: retryAt, problem: unreachable, hold: null },
  };
  await open(page, {
    ...fixtures.outbox,
    photos: [failed, current],
    outbox: { last_problem: unreachable, next_retry_at: retryAt },
  });
  const problem = page.getByTestId(`outbox-problem-${failed.id}`);
  await expect(problem).toHaveText('The hospital server did not answer. — will retry in 2 min');
  await expect(page.getByTestId(`outbox-state-${failed.id}`)).toHaveText('Waiting to send');
  await expect(page.getByTestId('outbox-status-line')).toHaveText('The hospital server did not answer. — will retry in 2 min');
  await expect(page.getByTestId(`outbox-problem-${current.id}`)).toHaveCount(0);
  expect(await overflowX(page)).toBeLessThanOrEqual(0);
  await page.screenshot({ scale: 'css', path: `${shots}${info.project.name}-outbox-retry.png`, fullPage: true });

  await page.clock.fastForward(60_000);
  await expect(problem).toHaveText('The hospital server did not answer. — will retry in 1 min');
  await page.clock.fastForward(90_000);
  await expect(problem).toHaveText('The hospital server did not answer. — retrying now');
  await expect(page.getByTestId('outbox-status-line')).toHaveText('The hospital server did not answer. — retrying now');
});

test('a photo core holds shows the alarm with the reason, and the top bar counts it in the alarm colour', async ({ page }, info) => {
  const held: PhotoSummary = {
    ...earlierQueued,
    state: 'held',
    delivery: { attempts: 1, retry_at: null, problem: refused, hold: refused },
  };
  await open(page, { ...fixtures.outbox, photos: [held, current] });
  const line = page.getByTestId(`outbox-state-${held.id}`);
  await expect(line).toHaveText(`Held — ${refused.message}`);
  await expect(line).toHaveAttribute('role', 'alert');
  await expect(line).toHaveClass(/\balarm\b/);
  // The same alarm as the patient-check hold.
  const style = await line.evaluate((el) => {
    const s = getComputedStyle(el);
    return { color: s.color, background: s.backgroundColor, border: s.borderLeftColor };
  });
  const danger = await page.evaluate(() => {
    const probe = document.createElement('div');
    probe.style.color = 'var(--danger)';
    probe.style.backgroundColor = 'var(--danger-bg)';
    document.body.append(probe);
    const s = getComputedStyle(probe);
    const out = { color: s.color, background: s.backgroundColor };
    probe.remove();
    return out;
  });
  expect(style).toEqual({ color: danger.color, background: danger.background, border: danger.color });
  await expect(page.getByTestId(`outbox-problem-${held.id}`)).toHaveCount(0);
  await expect(page.getByTestId(`outbox-progress-${held.id}`)).toHaveCount(0);
  await expect(page.getByTestId('outbox-held-summary')).toHaveText('1 photo is held and will not be sent until someone looks at it');
  // A held photo can still have its consent withdrawn.
  await expect(page.getByTestId(`outbox-withdraw-${held.id}`)).toBeVisible();
  // Only a held photo offers "Send again"; the waiting one does not.
  await expect(page.getByTestId(`outbox-send-again-${current.id}`)).toHaveCount(0);

  const badge = page.getByRole('status', { name: '2 photos waiting to send, 1 held' });
  await expect(badge).toBeVisible();
  await expect(badge).toHaveAttribute('data-held', '1');
  await expect(page.getByTestId('header-outbox-count')).toHaveText('2');
  await expect(page.getByTestId('header-outbox-held')).toHaveText('· 1 held');
  expect(await badge.evaluate((el) => getComputedStyle(el).color)).toBe(danger.color);
  expect(await overflowX(page)).toBeLessThanOrEqual(0);
  expect(await smallTargets(page)).toEqual([]);
  await page.screenshot({ scale: 'css', path: `${shots}${info.project.name}-outbox-held.png`, fullPage: true });
});

test('a photo held by the server is sent again only when the clinician asks', async ({ page }) => {
  const held: PhotoSummary = {
    ...earlierQueued,
    state: 'held',
    delivery: { attempts: 1, retry_at: null, problem: refused, hold: refused },
  };
  await open(page, { ...fixtures.outbox, photos: [held, current] });
  await page.getByTestId(`outbox-send-again-${held.id}`).click();
  await expect(page.getByTestId(`outbox-state-${held.id}`)).not.toHaveText(/Held/);
  await expect(page.getByTestId(`outbox-send-again-${held.id}`)).toHaveCount(0);
  // The server's reason stays on the row as the last problem.
  await expect(page.getByTestId(`outbox-problem-${held.id}`)).toContainText(refused.message);
  expect(await sent(page, 'outbox_send_again')).toEqual([{ cmd: 'outbox_send_again', args: { photo: held.id } }]);
});

test('a sent event moves the photo from the list to Sent, with where and when it went', async ({ page }, info) => {
  await open(page, fixtures.outbox);
  const id = earlierQueued.id;
  await outboxEvent(page, { kind: 'progress', photo: id, phase: 'verifying', fraction: 0.9 });
  await expect(page.getByTestId(`outbox-progress-${id}`)).toBeVisible();
  await expect(page.getByTestId('outbox-sent')).toHaveCount(0);

  const receipt: SentView = {
    photo: id,
    sent_at: Date.now(),
    body_site: earlierQueued.body_site,
    laterality: earlierQueued.laterality,
    server: 'https://pacs.example.nhs.uk/dicom-web',
    servers: ['https://pacs.example.nhs.uk/dicom-web'],
    sop_uid: '2.25.3',
    document_reference: null,
  };
  await outboxUpdate(page, { photos: outboxPhotos.filter((p) => p.id !== id), status: { sent: [receipt] } });
  await outboxEvent(page, { kind: 'sent', photo: id });
  await expect(page.getByTestId(`outbox-${id}`)).toHaveCount(0);
  await expect(page.getByTestId('outbox-count')).toHaveText('2');
  const item = page.getByTestId(`outbox-sent-${id}`);
  await expect(item).toBeVisible();
  await expect(page.getByRole('heading', { name: 'Sent' })).toBeVisible();
  await expect(page.getByTestId(`outbox-sent-label-${id}`)).toHaveText('Heel (left)');
  await expect(page.getByTestId(`outbox-sent-line-${id}`)).toHaveText(/^Sent to pacs\.example\.nhs\.uk at \d\d:\d\d$/);
  await expect(page.getByTestId('outbox-destination')).toHaveText('Hospital server: pacs.example.nhs.uk');
  await expect(page.getByRole('status', { name: '1 photo waiting to send' })).toBeVisible();
  expect(await overflowX(page)).toBeLessThanOrEqual(0);
  await page.screenshot({ scale: 'css', path: `${shots}${info.project.name}-outbox-sent.png`, fullPage: true });
});

test('Send now wakes delivery; so do coming back on screen and the network coming back', async ({ page }) => {
  await open(page, fixtures.outbox);
  const send = page.getByTestId('outbox-send-now');
  await expect(send).toBeEnabled();
  await expect(send).toHaveText('Send now');
  expect(await sent(page, 'outbox_send_now')).toEqual([]);
  await send.click();
  await expect.poll(() => sent(page, 'outbox_send_now')).toEqual([{ cmd: 'outbox_send_now', args: {} }]);

  await page.evaluate(() => document.dispatchEvent(new Event('visibilitychange')));
  await expect.poll(async () => (await sent(page, 'outbox_send_now')).length).toBe(2);
  const rechecks = (await sent(page, 'record_recheck')).length;
  await page.evaluate(() => window.dispatchEvent(new Event('online')));
  await expect.poll(async () => (await sent(page, 'outbox_send_now')).length).toBe(3);
  // The Outbox still checks the record again when the network comes back.
  await expect.poll(async () => (await sent(page, 'record_recheck')).length).toBe(rechecks + 1);

  // Core refuses: its reason is shown.
  await open(page, {
    ...fixtures.outbox,
    errors: { outbox_send_now: { code: 'endpoint.not_configured', message: 'No hospital server is set up.' } },
  });
  await page.getByTestId('outbox-send-now').click();
  await expect(page.getByTestId('error-banner')).toHaveAttribute('data-code', 'endpoint.not_configured');
});

test('Send now is off while nothing waits, and a phone with no hospital server says so', async ({ page }, info) => {
  await open(page, { ...fixtures.outbox, outbox: { waiting: 0 } });
  await expect(page.getByTestId('outbox-send-now')).toBeDisabled();
  await expect(page.getByTestId('outbox-unconfigured')).toHaveCount(0);

  await open(page, { ...fixtures.outbox, outbox: { configured: false, destination: null } });
  await expect(page.getByTestId('outbox-unconfigured')).toHaveText(
    'No hospital server set up on this phone — photos stay here until IT sets one up',
  );
  await expect(page.getByTestId('outbox-send-now')).toBeDisabled();
  await expect(page.getByTestId('outbox-destination')).toHaveCount(0);
  await expect(page.getByTestId('outbox-waiting')).toHaveCount(0);
  // The photos stay listed, and still count in the top bar.
  await expect(page.getByTestId(`outbox-state-${current.id}`)).toHaveText('Waiting to send');
  await expect(page.getByRole('status', { name: '2 photos waiting to send' })).toBeVisible();
  expect(await overflowX(page)).toBeLessThanOrEqual(0);
  await page.screenshot({ scale: 'css', path: `${shots}${info.project.name}-outbox-unconfigured.png`, fullPage: true });
});

test('the top bar counts the photos still to go on every screen, and follows core\'s changes', async ({ page }) => {
  await open(page, fixtures.outbox);
  const count = page.getByTestId('header-outbox-count');
  await expect(count).toHaveText('2');
  await expect(page.getByRole('status', { name: '2 photos waiting to send' })).toBeVisible();
  await expect(page.getByTestId('header-outbox-badge')).toHaveAttribute('data-held', '0');
  await expect(page.getByTestId('header-outbox-held')).toHaveCount(0);

  await page.getByTestId('nav-patient').click();
  await expect(page.getByTestId('screen-patient')).toBeVisible();
  await expect(count).toHaveText('2');
  // Core reports a change while the Outbox is not open: the count follows.
  await outboxUpdate(page, { status: { waiting: 4, held: 1 } });
  await outboxEvent(page, { kind: 'changed' });
  await expect(page.getByRole('status', { name: '5 photos waiting to send, 1 held' })).toBeVisible();
  await expect(count).toHaveText('5');
  await expect(page.getByTestId('header-outbox-held')).toHaveText('· 1 held');

  // Locked: no count.
  await open(page, fixtures.lock);
  await expect(page.getByTestId('screen-lock')).toBeVisible();
  await expect(page.getByTestId('header-outbox-badge')).toHaveCount(0);
  expect(await sent(page, 'outbox_watch')).toEqual([]);
});

test('the delivery section and a long server name fit the narrowest phone', async ({ page }, info) => {
  await page.setViewportSize({ width: 360, height: 740 });
  const server = 'https://pacs-dicomweb-gateway.radiology.longhospitalname-nhs-foundation-trust.nhs.uk:8443/dicom-web';
  await open(page, {
    ...fixtures.outbox,
    photos: [
      { ...earlierQueued, state: 'sending' },
      { ...current, delivery: { attempts: 4, retry_at: Date.now() + 20 * 60_000, problem: unreachable, hold: null } },
    ],
    outbox: {
      destination: server,
      sent: [{ photo: earlierCaptured.id, sent_at: Date.now(), body_site: current.body_site, laterality: null, server, servers: [server], sop_uid: '2.25.2', document_reference: null }],
    },
  });
  await expect(page.getByTestId(`outbox-progress-${earlierQueued.id}`)).toBeVisible();
  await expect(page.getByTestId(`outbox-problem-${current.id}`)).toContainText('will retry in 20 min');
  await expect(page.getByTestId(`outbox-sent-${earlierCaptured.id}`)).toBeVisible();
  expect(await overflowX(page)).toBeLessThanOrEqual(0);
  expect(await offscreen(page)).toEqual([]);
  expect(await smallTargets(page)).toEqual([]);
  await page.screenshot({ scale: 'css', path: `${shots}${info.project.name}-outbox-delivery-narrow.png`, fullPage: true });
});

test('the patient withdraws consent for a photo already sent: asked first, then what the record team needs', async ({ page }, info) => {
  const id = 'd2a6f0c4-6b1e-4c55-9a3e-0f7b2c9d4e10';
  const receipt: SentView = {
    photo: id,
    sent_at: Date.now(),
    body_site: earlierQueued.body_site,
    laterality: earlierQueued.laterality,
    server: 'https://pacs.example.nhs.uk/dicom-web',
    servers: ['https://pacs.example.nhs.uk/dicom-web'],
    sop_uid: '2.25.123456789012345678901234567890',
    document_reference: null,
  };
  await open(page, { ...fixtures.outbox, outbox: { sent: [receipt] } });
  await expect(page.getByTestId('outbox-withdrawals')).toHaveCount(0);
  await page.getByTestId(`outbox-sent-withdraw-${id}`).click();
  await expect(page.getByTestId(`outbox-sent-withdraw-confirm-${id}`)).toContainText("stay in the hospital's record");
  // "No" keeps the consent: nothing is sent to core.
  await page.getByTestId(`outbox-sent-withdraw-no-${id}`).click();
  await expect(page.getByTestId(`outbox-sent-withdraw-confirm-${id}`)).toHaveCount(0);
  expect(await sent(page, 'outbox_withdraw_sent')).toEqual([]);

  await page.getByTestId(`outbox-sent-withdraw-${id}`).click();
  await page.getByTestId(`outbox-sent-withdraw-yes-${id}`).click();
  expect(await sent(page, 'outbox_withdraw_sent')).toEqual([{ cmd: 'outbox_withdraw_sent', args: { photo: id } }]);
  const section = page.getByTestId('outbox-withdrawals');
  await expect(section).toBeVisible();
  await expect(page.getByRole('heading', { name: 'Consent withdrawn after sending' })).toBeVisible();
  await expect(section).toContainText('ask the record team to remove them');
  await expect(section.locator('[data-testid^="outbox-withdrawal-references-"] li')).toHaveText([
    'PACS https://pacs.example.nhs.uk/dicom-web: SOP Instance UID 2.25.123456789012345678901234567890',
  ]);
  expect(await overflowX(page)).toBeLessThanOrEqual(0);
  expect(await smallTargets(page)).toEqual([]);
  await page.screenshot({ scale: 'css', path: `${shots}${info.project.name}-outbox-withdrawn-after-sending.png`, fullPage: true });
});
