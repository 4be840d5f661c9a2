// Delivery while locked in the real app (docs/delivery.md, "While locked"): the trust's policy
// says `delivery.send_while_locked`. A photo is queued while the PACS cannot be reached (its
// address is a port this test opens and closes in front of the Orthanc test server's TLS front;
// TLS passes through untouched, so the pins are the real ones). The clinician locks the app; the
// PACS comes back; the courier sends the photo while the app is still locked and shows nothing of
// the patient, and Orthanc holds it once. At the unlock core records the read-back, shreds the
// photo and the Outbox shows it Sent. With the switch off (the default), nothing goes until the
// unlock.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, connect } from 'node:net';
import {
  startApp,
  quitApp,
  unlockWithPin,
  endVisit,
  failureEvidence,
  visible,
  invoke,
  screenshot,
  tap,
  type,
  waitText,
  wristband,
  startPacsServer,
  recordVerbalConsentInUi,
  shootAndReview,
  labelHeelLeft,
} from './support.mjs';

const NHS = '9434765919';
let pacs;

before(async () => {
  pacs = await startPacsServer();
});
after(() => pacs?.stop());

/** A TCP door in front of `target` (host:port): `open()` forwards connections byte for byte,
 * `close()` stops listening, so a client is refused as by a server out of reach. */
function door(target) {
  const [host, port] = [target.hostname, Number(target.port)];
  const sockets = new Set();
  let server;
  let at;
  const listen = () =>
    new Promise((resolve, reject) => {
      server = createServer((inbound) => {
        const outbound = connect(port, host);
        for (const s of [inbound, outbound]) {
          sockets.add(s);
          s.on('close', () => sockets.delete(s));
          s.on('error', () => s.destroy());
        }
        inbound.pipe(outbound).pipe(inbound);
      });
      server.once('error', reject);
      server.listen(at ?? 0, '127.0.0.1', () => {
        at = server.address().port;
        resolve(at);
      });
    });
  return {
    listen,
    port: () => at,
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** The tags of every photo Orthanc holds for the test patient (this file's own Orthanc: only
 * these tests send; the consent's own copy, an Encapsulated PDF, is not a photo). */
async function instancesOfPatient() {
  const all = await pacs.orthanc('/instances?expand');
  const mine = [];
  for (const i of all) {
    const tags = await pacs.orthanc(`/instances/${i.ID}/simplified-tags`);
    if (tags.PatientID === NHS && tags.Modality === 'XC') mine.push(tags);
  }
  return mine;
}

/** Scan, confirm, verbal consent, one photo labelled Heel (left), queued; returns the photo. */
async function queueOnePhoto(driver) {
  await type(driver, 'scan-text', wristband(NHS, 'SMITH/JOHN/19800118'));
  await tap(driver, 'scan-read');
  await waitText(driver, 'patient-candidate-name', /SMITH/i);
  await tap(driver, 'patient-confirm');
  await visible(driver, 'screen-consent');
  await recordVerbalConsentInUi(driver);
  const [photo] = await shootAndReview(driver);
  assert.ok(photo, 'no photo listed');
  await labelHeelLeft(driver, photo.id);
  await tap(driver, 'queue');
  await visible(driver, 'screen-outbox');
  await visible(driver, `outbox-${photo.id}`);
  return photo;
}

/** Waits (up to `ms`) until `check()` is truthy; returns its last value. */
async function eventually(check, ms, what) {
  const until = Date.now() + ms;
  let value;
  while (Date.now() < until) {
    value = await check();
    if (value) return value;
    await new Promise((r) => setTimeout(r, 1000));
  }
  throw new Error(`timed out: ${what}`);
}

test('with send_while_locked, a photo queued offline goes while the app is locked and is shredded at the unlock', async () => {
  const front = new URL(pacs.base);
  const gate = door(front);
  await gate.listen();
  await gate.close();
  const base = `https://127.0.0.1:${gate.port()}${front.pathname}`;
  const driver = await startApp(['--dev-mock-camera', `--e2e-pacs=${pacs.endpointAt(base)}`, '--e2e-send-while-locked']);
  try {
    await unlockWithPin(driver);
    const photo = await queueOnePhoto(driver);
    // The PACS is out of reach: the photo waits, whole, and was tried.
    const waiting = await eventually(async () => {
      const [row] = (await invoke(driver, 'outbox_list')).ok.filter((p) => p.id === photo.id);
      return row?.delivery?.problem ? row : null;
    }, 30000, 'the courier never tried the photo');
    assert.equal(waiting.state, 'queued', JSON.stringify(waiting));
    assert.deepEqual(await instancesOfPatient(), []);
    await screenshot(driver, '80-locked-delivery-waiting');

    // The clinician locks the app; then the PACS comes back.
    await tap(driver, 'lock-button');
    await visible(driver, 'screen-lock');
    await gate.listen();
    const stored = await eventually(async () => {
      const mine = await instancesOfPatient();
      return mine.length > 0 ? mine : null;
    }, 90000, 'the photo never reached Orthanc while locked');
    // It went while the app was locked, once, and the page still shows nothing of the patient.
    assert.equal(stored.length, 1, JSON.stringify(stored));
    assert.equal(stored[0].ImageLaterality, 'L');
    assert.equal((await invoke(driver, 'session_view')).ok.state, 'locked');
    const source = await driver.getPageSource();
    for (const needle of [NHS, '943 476 5919', 'SMITH', 'Smith']) {
      assert.equal(source.includes(needle), false, `${needle} in the page while locked`);
    }
    assert.deepEqual((await invoke(driver, 'outbox_list')).ok, []);
    await screenshot(driver, '81-locked-delivery-sent-while-locked');

    // The unlock applies what was sent: shredded here, listed as Sent, never sent again.
    await unlockWithPin(driver);
    await tap(driver, 'nav-outbox');
    await visible(driver, `outbox-sent-${photo.id}`, 20000);
    const status = (await invoke(driver, 'outbox_status')).ok;
    const sent = status.sent.find((s) => s.photo === photo.id);
    assert.ok(sent, JSON.stringify(status));
    assert.equal((await invoke(driver, 'outbox_list')).ok.some((p) => p.id === photo.id), false);
    await screenshot(driver, '82-locked-delivery-unlocked-sent');
    // The audit trail recorded the delivery as made while locked, in an intact chain.
    const device = (await invoke(driver, 'device_status')).ok;
    assert.equal(device.audit.intact, true, JSON.stringify(device.audit));
    assert.equal((await instancesOfPatient()).length, 1, 'sent again after the unlock');
    await endVisit(driver);
  } catch (e) {
    console.error(await failureEvidence(driver, '89-locked-delivery-failure'));
    throw e;
  } finally {
    await quitApp(driver);
    await gate.close().catch(() => undefined);
  }
});

test('without send_while_locked, a locked app sends nothing until the unlock', async () => {
  const front = new URL(pacs.base);
  const gate = door(front);
  await gate.listen();
  await gate.close();
  const base = `https://127.0.0.1:${gate.port()}${front.pathname}`;
  const driver = await startApp(['--dev-mock-camera', `--e2e-pacs=${pacs.endpointAt(base)}`]);
  try {
    await unlockWithPin(driver);
    const before = (await instancesOfPatient()).length;
    const photo = await queueOnePhoto(driver);
    await eventually(async () => {
      const [row] = (await invoke(driver, 'outbox_list')).ok.filter((p) => p.id === photo.id);
      return row?.delivery?.problem ? row : null;
    }, 30000, 'the courier never tried the photo');
    await tap(driver, 'lock-button');
    await visible(driver, 'screen-lock');
    await gate.listen();
    // Longer than the courier's first retry (7.5-15 s after the failure): nothing arrives while
    // locked.
    await new Promise((r) => setTimeout(r, 20000));
    assert.equal((await instancesOfPatient()).length, before, 'sent while locked without the switch');
    // The unlock wakes the courier: it goes now.
    await unlockWithPin(driver);
    await invoke(driver, 'outbox_send_now');
    await tap(driver, 'nav-outbox');
    await visible(driver, `outbox-sent-${photo.id}`, 30000);
    assert.equal((await instancesOfPatient()).length, before + 1);
    await endVisit(driver);
  } catch (e) {
    console.error(await failureEvidence(driver, '89-locked-delivery-off-failure'));
    throw e;
  } finally {
    await quitApp(driver);
    await gate.close().catch(() => undefined);
  }
});
