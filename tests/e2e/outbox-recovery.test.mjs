// A photo queued for a patient survives the app being killed (SIGKILL, as a crash or the phone
// reclaiming memory would): after a restart with the same vault, nothing of the patient shows
// before unlock; once unlocked the Outbox lists the photo with its body site and the patient's
// name and NHS number, and the patient's withdrawal from the Outbox crypto-shreds it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  startApp,
  startDriver,
  killApp,
  quitApp,
  unlockWithPin,
  labelHeelLeft,
  failureEvidence,
  visible,
  gone,
  invoke,
  screenshot,
  tap,
  type,
  text,
  waitText,
  wristband,
  recordVerbalConsentInUi,
  shootAndReview,
} from './support.mjs';

const NHS = '9434765919';
/** A family name that only this test's patient has. */
const FAMILY = 'KESTREL';
const GIVEN = 'ROSA';

async function vaultItems(driver) {
  const status = (await invoke(driver, 'vault_status')).ok;
  assert.equal(status?.state, 'open', JSON.stringify(status));
  return status.items;
}

test('a queued photo survives a hard kill and is listed and withdrawn from the Outbox', async () => {
  // The first run of the app is on a private tauri-driver: its session dies with the app.
  const server = await startDriver();
  let driver = await startApp(['--dev-mock-camera'], server);
  let photo;
  try {
    await unlockWithPin(driver);
    await type(driver, 'scan-text', wristband(NHS, `${FAMILY}/${GIVEN}/19800118`));
    await tap(driver, 'scan-read');
    await waitText(driver, 'patient-candidate-name', new RegExp(FAMILY));
    assert.equal(await text(driver, 'patient-candidate-source'), 'Wristband barcode text');
    await tap(driver, 'patient-confirm');
    await visible(driver, 'screen-consent');
    assert.equal((await invoke(driver, 'patient_current')).ok?.source, 'band_text');

    // Verbal consent before a witness, recorded by the clinician.
    await recordVerbalConsentInUi(driver);

    const listed = await shootAndReview(driver);
    assert.equal(listed?.length, 1, JSON.stringify(listed));
    photo = listed[0];
    assert.match(photo.id, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    assert.equal(photo.state, 'captured');
    assert.equal(photo.current_visit, true);
    await labelHeelLeft(driver, photo.id);
    await tap(driver, 'queue');
    await visible(driver, 'screen-outbox');
    await visible(driver, `outbox-${photo.id}`);
    const view = (await invoke(driver, 'session_view')).ok;
    assert.equal(view.state, 'queued');
    assert.equal(view.queued_photos, 1);
    await screenshot(driver, '50-outbox-before-kill');

    // No clean quit: the app process is killed outright, and the private driver with its dead
    // session stopped.
    await killApp(driver, server);
  } catch (e) {
    console.error(`before the kill: ${await failureEvidence(driver, '59-outbox-recovery-failure')}`);
    await quitApp(driver).catch(() => undefined);
    throw e;
  } finally {
    await server.stop();
  }

  // Started again with the same data folder and keyring: the same vault.
  driver = await startApp();
  try {
    await visible(driver, 'screen-lock');
    // Before unlock nothing of the patient is in the page, and core lists nothing.
    const source = await driver.getPageSource();
    for (const needle of [NHS, '943 476 5919', FAMILY, GIVEN, 'Kestrel', 'Rosa']) {
      assert.equal(source.includes(needle), false, `${needle} in the page before unlock`);
    }
    assert.deepEqual((await invoke(driver, 'outbox_list')).ok, []);
    assert.deepEqual((await invoke(driver, 'photos_list')).ok, []);
    assert.equal((await invoke(driver, 'patient_current')).ok, null);
    await screenshot(driver, '51-restarted-locked');

    await unlockWithPin(driver);
    await visible(driver, 'nav-outbox');
    const ward = (await invoke(driver, 'ward_status')).ok;
    assert.ok(ward?.recovery, JSON.stringify(ward));
    assert.equal(ward.recovery.resumed_visit, true, JSON.stringify(ward));
    assert.ok(ward.recovery.photos >= 1, JSON.stringify(ward));
    assert.equal(ward.recovery.unreadable_records, 0, JSON.stringify(ward));

    await tap(driver, 'nav-outbox');
    await visible(driver, 'screen-outbox');
    await visible(driver, `outbox-${photo.id}`);
    assert.equal(await text(driver, `outbox-site-${photo.id}`), 'Heel (left)');
    assert.equal(await text(driver, `outbox-state-${photo.id}`), 'Waiting to send');
    assert.match(await text(driver, `outbox-patient-${photo.id}`), new RegExp(FAMILY, 'i'));
    assert.match(await text(driver, `outbox-patient-${photo.id}`), new RegExp(GIVEN, 'i'));
    assert.equal(await text(driver, `outbox-number-${photo.id}`), 'NHS 943 476 5919');
    // The thumbnail is served again, by the photo's id, from the reopened vault.
    const thumb = await visible(driver, `outbox-thumb-${photo.id}`);
    await driver.wait(async () => (await driver.executeScript('return arguments[0].complete', thumb)) === true, 10000);
    assert.ok((await driver.executeScript('return arguments[0].naturalWidth', thumb)) > 0, 'thumbnail did not load');
    const [row] = (await invoke(driver, 'outbox_list')).ok.filter((p) => p.id === photo.id);
    assert.equal(row?.state, 'queued', JSON.stringify(row));
    assert.equal(row.visit_id, photo.visit_id);
    assert.equal(row.patient.nhs_number, '943 476 5919');
    assert.equal(row.patient.identified_by, 'band_text');
    assert.deepEqual([row.body_site?.code, row.laterality], ['76853006', 'left']);
    await screenshot(driver, '52-outbox-after-restart');

    // The patient withdraws consent, from the Outbox row.
    const itemsBefore = await vaultItems(driver);
    const waitingBefore = ward.photos;
    await tap(driver, `outbox-withdraw-${photo.id}`);
    await waitText(driver, `outbox-withdraw-confirm-${photo.id}`, /This deletes every photo of this visit not yet sent\. Continue\?/);
    await tap(driver, `outbox-withdraw-yes-${photo.id}`);
    await visible(driver, 'outbox-withdrawn');
    await gone(driver, `outbox-${photo.id}`);
    await visible(driver, 'screen-outbox');
    assert.equal((await invoke(driver, 'outbox_list')).ok.some((p) => p.id === photo.id), false);
    // Photo, thumbnail and manifest shredded; the withdrawal record sealed (the visit record is
    // resealed as a new revision, which replaces the old one).
    assert.equal(await vaultItems(driver), itemsBefore - 3 + 1);
    assert.equal((await invoke(driver, 'ward_status')).ok.photos, waitingBefore - 1);
    const after = (await invoke(driver, 'session_view')).ok;
    assert.equal(after.state, 'patient_confirmed', JSON.stringify(after));
    assert.equal(after.queued_photos, 0);
    await screenshot(driver, '53-outbox-withdrawn');

    await tap(driver, 'nav-device');
    await waitText(driver, 'ward-photos', new RegExp(`^Photos waiting on this phone: ${waitingBefore - 1}$`));
  } catch (e) {
    console.error(`after the restart: ${await failureEvidence(driver, '59-outbox-recovery-failure')}`);
    throw e;
  } finally {
    await quitApp(driver);
  }
});
