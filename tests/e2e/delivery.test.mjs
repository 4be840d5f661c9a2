// Delivery in the real app: wristband (checked against the FHIR record), confirmation, verbal
// consent, a mock-camera photo labelled and queued; the courier sends it to Orthanc (DICOMweb over
// the pinned TLS front, basic auth) and files it in the FHIR record (a transaction), reads both
// copies back, and only then shreds it. The Outbox says "Sent" to both, the photo is gone from the
// phone (listing, thumbnail), Orthanc holds exactly one instance of it with the patient, site and
// side, and the record was posted one transaction and read the Binary back.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startApp,
  quitApp,
  unlockWithPin,
  labelHeelLeft,
  failureEvidence,
  visible,
  invoke,
  screenshot,
  tap,
  type,
  text,
  waitText,
  wristband,
  startFhirServer,
  startPacsServer,
  recordVerbalConsentInUi,
  shootAndReview,
} from './support.mjs';

const NHS = '9434765919';
let fhir;
let pacs;

before(async () => {
  [fhir, pacs] = await Promise.all([startFhirServer(), startPacsServer()]);
});
after(() => {
  fhir?.stop();
  pacs?.stop();
});

/** Orthanc's instances of the SOP Instance UID `uid`, with their tags. */
async function instancesOf(uid) {
  const all = await pacs.orthanc('/instances?expand');
  return all.filter((i) => i.MainDicomTags.SOPInstanceUID === uid);
}

test('a queued photo is delivered to Orthanc and the record, verified, shredded here and shown as Sent', async () => {
  const driver = await startApp(['--dev-mock-camera', ...fhir.args(), '--e2e-record-delivery', ...pacs.args()]);
  try {
    await unlockWithPin(driver);
    await type(driver, 'scan-text', wristband(NHS, 'SMITH/JOHN/19800118'));
    await tap(driver, 'scan-read');
    await waitText(driver, 'patient-candidate-name', /SMITH/i);
    await tap(driver, 'patient-confirm');
    await visible(driver, 'screen-consent');
    assert.equal((await invoke(driver, 'patient_current')).ok?.status, 'verified');
    await recordVerbalConsentInUi(driver);

    const [photo] = await shootAndReview(driver);
    assert.ok(photo, 'no photo listed');
    await labelHeelLeft(driver, photo.id);

    const status = (await invoke(driver, 'outbox_status')).ok;
    assert.equal(status?.configured, true, JSON.stringify(status));
    assert.equal(status.destination, pacs.base);
    assert.deepEqual(status.destinations, [pacs.base, fhir.base]);

    await tap(driver, 'queue');
    await visible(driver, 'screen-outbox');
    // Delivered, read back and shredded: it moves to "Sent".
    await visible(driver, `outbox-sent-${photo.id}`, 30000);
    assert.match(await text(driver, `outbox-sent-label-${photo.id}`), /Heel/);
    assert.match(await text(driver, `outbox-sent-line-${photo.id}`), /Sent to 127\.0\.0\.1/);
    await screenshot(driver, '70-outbox-sent');

    // Gone from the phone: not listed, its thumbnail no longer served.
    const listed = (await invoke(driver, 'outbox_list')).ok;
    assert.equal(listed.some((p) => p.id === photo.id), false, 'still in the outbox');
    const thumb = await driver.executeAsyncScript(
      `const done = arguments[arguments.length - 1];
       const url = window.__TAURI_INTERNALS__.convertFileSrc(arguments[0], 'thumb');
       fetch(url).then((r) => done(r.status), (e) => done(String(e)));`,
      photo.id,
    );
    assert.notEqual(thumb, 200, 'the thumbnail is still served');
    const after = (await invoke(driver, 'outbox_status')).ok;
    const sent = after.sent.find((s) => s.photo === photo.id);
    assert.ok(sent, JSON.stringify(after));
    assert.match(sent.sop_uid, /^2\.25\.\d+$/);
    assert.deepEqual(sent.servers, [pacs.base, fhir.base]);
    assert.match(sent.document_reference ?? '', /^DocumentReference\/[^/]+/);
    assert.equal(after.last_problem, null, JSON.stringify(after));

    // Orthanc holds exactly one instance of it, filed under the patient with the site and side.
    const [instance, ...more] = await instancesOf(sent.sop_uid);
    assert.ok(instance, 'Orthanc has no instance of the photo');
    assert.equal(more.length, 0, 'more than one instance of the photo');
    const tags = await pacs.orthanc(`/instances/${instance.ID}/simplified-tags`);
    assert.equal(tags.PatientID, NHS);
    assert.equal(tags.Modality, 'XC');
    assert.equal(tags.ImageLaterality, 'L');
    assert.equal(tags.AnatomicRegionSequence?.[0]?.CodeValue, '76853006');
    assert.equal(tags.BurnedInAnnotation, 'NO');
    assert.match(tags.PatientName, /^Smith\^John/i);
    // The front saw the STOW-RS and the read-back of this photo's instance.
    const log = pacs.requests();
    assert.ok(log.some((r) => r.method === 'POST' && r.url === '/dicom-web/studies'), JSON.stringify(log));
    assert.ok(log.some((r) => r.method === 'GET' && r.url.endsWith(`/instances/${sent.sop_uid}`)), JSON.stringify(log));
    // The record was posted one transaction for it, and its Binary read back.
    const record = fhir.requests();
    const basePath = new URL(fhir.base).pathname;
    assert.equal(record.filter((r) => r.method === 'POST' && (r.url === basePath || r.url === `${basePath}/`)).length, 1, JSON.stringify(record));
    assert.ok(record.some((r) => r.method === 'GET' && r.url.startsWith(`${basePath}/Binary/`)), JSON.stringify(record));
  } catch (e) {
    console.error(await failureEvidence(driver, '79-delivery-failure'));
    throw e;
  } finally {
    await quitApp(driver);
  }
});
