// Delivery in the real app: wristband (checked against the FHIR record), confirmation, verbal
// consent, a mock-camera photo labelled and queued; the courier sends it to Orthanc (DICOMweb over
// the pinned TLS front, basic auth) and files it in the FHIR record (a transaction), reads both
// copies back, and only then shreds it. The Outbox says "Sent" to both, the photo is gone from the
// phone (listing, thumbnail), Orthanc holds exactly one instance of it with the patient, site and
// side, and the record was posted one transaction and read the Binary back. The phone's audit trail
// reached the record too, as AuditEvents that validate against R4, name the patient as the photo's
// DocumentReference does, and whose chain `wardcam-admin audit verify` checks against the head the
// Device screen shows.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
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
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const admin = process.env.WARDCAM_ADMIN ?? join(root, 'target', 'debug', 'wardcam-admin');

/** A search of the record (`search` below its base), as the Bundle it answers. */
function recordSearch(search) {
  const out = execFileSync('curl', ['-sS', '--fail', '--cacert', fhir.ca, `${fhir.base}/${search}`]);
  return JSON.parse(out.toString('utf8'));
}

/** The record's AuditEvents, as a FHIR search Bundle (the way a trust would export them). */
const recordAuditEvents = () => recordSearch('AuditEvent?_count=1000');

/** `wardcam-admin audit verify` on `bundle` against the phone's `head` (`SEQ:HASH`). */
function adminVerify(bundle, head) {
  const dir = mkdtempSync(join(tmpdir(), 'wardcam-e2e-audit-'));
  try {
    const file = join(dir, 'audit-events.json');
    writeFileSync(file, JSON.stringify(bundle));
    return spawnSync(admin, ['audit', 'verify', file, '--head', head], { encoding: 'utf8' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
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
    // The record filed it once (the server is this file's alone; the other transactions posted
    // are the audit trail's), and its Binary was read back.
    const record = fhir.requests();
    const basePath = new URL(fhir.base).pathname;
    assert.ok(record.some((r) => r.method === 'POST' && (r.url === basePath || r.url === `${basePath}/`)), JSON.stringify(record));
    const documents = recordSearch('DocumentReference?_count=100');
    assert.equal(documents.entry?.length, 1, JSON.stringify(documents));
    assert.equal(`DocumentReference/${documents.entry[0].resource.id}`, sent.document_reference.split('/_history')[0]);
    assert.ok(record.some((r) => r.method === 'GET' && r.url.startsWith(`${basePath}/Binary/`)), JSON.stringify(record));

    // The audit trail is on the record: its chain verifies up to the head the Device screen shows
    // (waiting for the drain that carries the last entries).
    let verified;
    let head;
    let bundle;
    for (let tries = 0; tries < 30; tries += 1) {
      const device = (await invoke(driver, 'device_status')).ok;
      assert.ok(device?.audit, JSON.stringify(device));
      assert.equal(device.audit.intact, true, JSON.stringify(device.audit));
      head = `${device.audit.seq}:${device.audit.hash}`;
      bundle = recordAuditEvents();
      verified = adminVerify(bundle, head);
      if (verified.status === 0) break;
      await invoke(driver, 'outbox_send_now');
      await new Promise((r) => setTimeout(r, 1000));
    }
    assert.equal(verified.status, 0, `${verified.stdout}\n${verified.stderr}`);
    assert.match(verified.stdout, new RegExp(`head ${head}`));
    const events = bundle.entry.map((e) => e.resource);
    const kinds = events.map((e) => e.subtype?.[0]?.code);
    for (const kind of ['unlocked', 'patient_identified', 'consent_recorded', 'captured', 'queued', 'delivered', 'read_back_matched', 'shredded']) {
      assert.ok(kinds.includes(kind), `${kind} not among ${kinds}`);
    }
    // Each validates against R4 with the server's own validator (the server also checked them
    // when it filed them), and the shredded photo's names the patient as its DocumentReference.
    const validated = spawnSync('node', [join(root, 'tests/servers/fhir/validate.mjs')], {
      input: JSON.stringify(events),
      encoding: 'utf8',
    });
    assert.equal(validated.status, 0, validated.stdout);
    const shredded = events.find((e) => e.subtype?.[0]?.code === 'shredded');
    const patient = shredded.entity.find((x) => x.role?.code === '1');
    assert.deepEqual(patient?.what?.identifier, { system: 'https://fhir.nhs.uk/Id/nhs-number', value: NHS });
    // On the phone the log names no patient: the export the Device screen saves holds no NHS number.
    const exported = (await invoke(driver, 'audit_export')).ok;
    assert.ok(exported?.jsonl?.includes('"shredded"'), JSON.stringify(exported));
    assert.equal(exported.jsonl.includes(NHS), false, 'an NHS number in the export');
  } catch (e) {
    console.error(await failureEvidence(driver, '79-delivery-failure'));
    throw e;
  } finally {
    await quitApp(driver);
  }
});
