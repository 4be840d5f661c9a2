// The app lock in the real app (issue 16): the typed PIN releases the vault's key; a wrong one is
// refused and counted; after a lock the page holds nothing of the patient and nothing that needs
// the vault runs (thumbnails, redaction, consent); the kiosk hand-back takes the same PIN.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CLINICIAN_PIN,
  startApp,
  quitApp,
  endVisit,
  vaultStatus,
  visible,
  invoke,
  screenshot,
  tap,
  type,
  waitText,
  recordVerbalConsentInUi,
  shootAndReview,
  unlockWithPin,
  startDriver,
} from './support.mjs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Identifiers of this test's patient, as typed and as shown. */
const NHS = '9434765919';
const NHS_SHOWN = '943 476 5919';

/** Whether the thumbnail at `src` loads as an image now (a fresh request each time: the query is
 * ignored by the thumb:// handler but defeats WebKit's image cache). */
async function loads(driver, src) {
  return driver.executeAsyncScript(
    `const done = arguments[arguments.length - 1];
     const img = new Image();
     img.onload = () => done(img.naturalWidth > 0);
     img.onerror = () => done(false);
     img.src = arguments[0] + (arguments[0].includes('?') ? '&' : '?') + 'fresh=' + Date.now();`,
    src,
  );
}

test('the PIN opens the vault, a lock shuts it and the page forgets the patient', async () => {
  const driver = await startApp(['--dev-mock-camera']);
  try {
    // Sets the PIN if this is the run's first start; then no visit is left open and the test
    // starts from the lock screen.
    await unlockWithPin(driver);
    await endVisit(driver);
    await tap(driver, 'lock-button');
    await visible(driver, 'screen-lock');
    const before = await vaultStatus(driver);
    assert.deepEqual([before.state, before.set_up], ['locked', true], JSON.stringify(before));
    // Nothing that needs the vault answers while it is shut.
    assert.equal((await invoke(driver, 'ward_status')).ok?.photos ?? 0, 0);

    // A wrong PIN is refused, counted, and said; the vault stays shut.
    await type(driver, 'unlock-pin', '999999');
    await tap(driver, 'unlock-submit');
    await waitText(driver, 'unlock-error', /Wrong PIN/);
    const gate = (await invoke(driver, 'session_gate')).ok;
    assert.equal(gate.failures, 1, JSON.stringify(gate));
    assert.equal((await vaultStatus(driver)).state, 'locked');
    await screenshot(driver, '60-wrong-pin');

    // The right PIN opens it and clears the count.
    await unlockWithPin(driver);
    assert.equal((await vaultStatus(driver)).state, 'open');
    assert.equal((await invoke(driver, 'session_gate')).ok.failures, 0);

    // A patient, consent, a photo.
    await type(driver, 'nhs-first', NHS_SHOWN);
    await type(driver, 'nhs-second', NHS);
    await tap(driver, 'patient-identify');
    await tap(driver, 'patient-confirm');
    await visible(driver, 'screen-consent');
    // Before consent, behind the screen: the kiosk hand-back takes the same PIN, and a wrong one
    // is refused and counted by the same gate.
    const handed = await invoke(driver, 'consent_hand_to_patient');
    assert.ok(handed.ok?.kiosk, JSON.stringify(handed));
    const wrong = await invoke(driver, 'consent_hand_back', { pin: '999999' });
    assert.equal(wrong.err?.code, 'auth.wrong_pin', JSON.stringify(wrong));
    assert.equal((await invoke(driver, 'session_gate')).ok.failures, 1);
    const back = await invoke(driver, 'consent_hand_back', { pin: CLINICIAN_PIN });
    assert.equal(back.ok?.kiosk, false, JSON.stringify(back));
    assert.equal((await invoke(driver, 'session_gate')).ok.failures, 0);

    await recordVerbalConsentInUi(driver);
    const [photo] = await shootAndReview(driver);
    const thumb = await visible(driver, `thumb-${photo.id}`);
    const src = await thumb.getAttribute('src');
    assert.equal(await loads(driver, src), true, 'the thumbnail did not load while unlocked');

    // Lock: the vault shuts, the page holds nothing of the patient, and nothing that needs the
    // vault runs, even called directly.
    await tap(driver, 'lock-button');
    await visible(driver, 'screen-lock');
    assert.equal((await vaultStatus(driver)).state, 'locked');
    const html = await driver.executeScript('return document.body.innerHTML');
    for (const needle of [NHS, NHS_SHOWN, photo.id]) {
      assert.equal(html.includes(needle), false, `${needle} in the page after the lock`);
    }
    assert.equal(await loads(driver, src), false, 'a thumbnail was served while locked');
    const redact = await invoke(driver, 'photo_redact', {
      id: photo.id,
      redaction: { fills: [{ x: 0, y: 0, width: 0.25, height: 0.25 }], crop: null },
    });
    assert.ok(redact.err, JSON.stringify(redact));
    assert.equal((await invoke(driver, 'patient_current')).ok, null);
    assert.deepEqual((await invoke(driver, 'photos_list')).ok, []);
    await screenshot(driver, '61-locked-after-photo');

    // The PIN reads it all back: the visit and its photo.
    await unlockWithPin(driver);
    const photos = (await invoke(driver, 'photos_list')).ok;
    assert.deepEqual(photos.map((p) => p.id), [photo.id]);
    assert.equal(await loads(driver, src), true, 'the thumbnail did not load while unlocked');
    await endVisit(driver);
  } finally {
    await quitApp(driver);
  }
});

test('wrong PINs beyond the free ones make the lock screen wait, and the wait outlives a restart', async () => {
  // A fresh installation (its own data folder, so its own vault and key gate record): its attempt
  // count cannot slow the other tests' unlocks.
  const home = mkdtempSync(join(tmpdir(), 'wardcam-e2e-limiter-'));
  const server = await startDriver({ env: { XDG_DATA_HOME: join(home, 'data') } });
  let driver;
  try {
    driver = await startApp([], server);
    await unlockWithPin(driver);
    await tap(driver, 'lock-button');
    await visible(driver, 'lock-unlock');
    // The first wrong PINs are refused at once, with no wait.
    for (let i = 0; i < 2; i++) {
      await type(driver, 'unlock-pin', '111111');
      await tap(driver, 'unlock-submit');
      await waitText(driver, 'unlock-error', /Wrong PIN/);
    }
    const gate = (await invoke(driver, 'session_gate')).ok;
    assert.equal(gate.wait_ms, 0, JSON.stringify(gate));
    // The phone's own lock cannot release the key on a desktop: core says use the PIN, and it
    // spends no attempt.
    const platform = (await invoke(driver, 'session_unlock_platform')).ok;
    assert.equal(platform?.outcome, 'use_pin', JSON.stringify(platform));
    // The third uses up the free attempts: the next must wait, and the screen says how long.
    await type(driver, 'unlock-pin', '111111');
    await tap(driver, 'unlock-submit');
    await waitText(driver, 'unlock-wait', /Wait (2\d|30) second/);
    await screenshot(driver, '61-pin-slowed');
    // Even the right PIN is not tried until the wait is over.
    const early = await invoke(driver, 'session_unlock', { pin: CLINICIAN_PIN });
    assert.equal(early.err?.code, 'auth.try_later', JSON.stringify(early));
    await quitApp(driver);
    // A restart does not reset it: the count lives in the keystore record beside the wrapped key.
    driver = await startApp([], server);
    let after;
    await driver.wait(async () => {
      after = (await invoke(driver, 'session_gate')).ok;
      return after != null;
    }, 20000);
    assert.ok(after.wait_ms > 15000, JSON.stringify(after));
  } finally {
    if (driver) await quitApp(driver);
    await server.stop();
    rmSync(home, { recursive: true, force: true });
  }
});
