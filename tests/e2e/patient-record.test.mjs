// Patient identification against a real FHIR engine: the app started with a record endpoint (the
// medplum test server under tests/servers/fhir, HTTPS, its endpoint file naming its CA and pinning
// its keys) reads wristband text, shows the record's name, and blocks a band the record contradicts.
// record-trust.test.mjs covers untrusted servers, overrides and the second entry.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startApp, quitApp, visible, present, invoke, screenshot, tap, type, text, waitText, wristband as band, startFhirServer, unlockWithPin } from './support.mjs';

let ready;

before(async () => {
  ready = await startFhirServer();
});

after(() => ready?.stop());

const withRecord = () => ready.args();

async function unlock(driver) {
  await unlockWithPin(driver);
  await visible(driver, 'screen-patient');
}

test('a wristband the record matches shows the record\'s name and can be confirmed', async () => {
  const driver = await startApp(withRecord());
  try {
    await unlock(driver);
    await type(driver, 'scan-text', band('9434765919', 'SMITH/JOHN/19800118'));
    await tap(driver, 'scan-read');
    await waitText(driver, 'patient-candidate-record-name', /^Smith, John Paul$/);
    assert.equal(await text(driver, 'patient-candidate-name'), 'SMITH, JOHN');
    assert.equal(await text(driver, 'patient-candidate-dob'), '18-Jan-1980');
    assert.equal(await text(driver, 'patient-candidate-nhs'), '943 476 5919');
    assert.match(await text(driver, 'patient-candidate-record'), /Matches the trust's record/);
    assert.equal(await text(driver, 'patient-candidate-source'), 'Wristband barcode text');
    await screenshot(driver, '20-patient-record-match');
    await tap(driver, 'patient-confirm');
    await visible(driver, 'screen-consent');
    const current = (await invoke(driver, 'patient_current')).ok;
    assert.equal(current.status, 'verified');
    assert.equal(current.source, 'band_text');
    assert.equal(current.record.family_name, 'Smith');
    await tap(driver, 'nav-device');
    await waitText(driver, 'record-status', new RegExp(ready.base.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')));
  } finally {
    await quitApp(driver);
  }
});

test('a wristband the record contradicts blocks the session', async () => {
  const driver = await startApp(withRecord());
  try {
    await unlock(driver);
    await type(driver, 'scan-text', band('9990000018', "O'BRIEN/SINEAD/19750303"));
    await tap(driver, 'scan-read');
    await waitText(driver, 'patient-candidate-blocked', /Do not photograph this patient yet/);
    assert.match(await text(driver, 'patient-candidate-blocked'), /given name.*date of birth|date of birth.*given name/i);
    assert.equal(await text(driver, 'patient-candidate-record-name'), "O'Brien, Siobhan");
    assert.equal(await present(driver, 'patient-confirm'), false, 'confirm offered for a blocked patient');
    await screenshot(driver, '21-patient-record-mismatch');
    // Core refuses the confirmation even when asked directly, and the session stays without a patient.
    const confirm = await invoke(driver, 'patient_confirm');
    assert.equal(confirm.err?.code, 'patient.record_mismatch', JSON.stringify(confirm));
    assert.equal((await invoke(driver, 'session_view')).ok.state, 'unlocked');
    assert.equal(await present(driver, 'nav-consent'), false);
    await tap(driver, 'patient-discard');
    await visible(driver, 'scan-text');
  } finally {
    await quitApp(driver);
  }
});

test('with the record out of reach the band stands, marked not verified', async () => {
  // The trust anchor and pins are real, but nothing listens on port 9: the record is out of reach.
  const driver = await startApp(ready.argsFor(ready.endpointAt('https://127.0.0.1:9/fhir/R4')));
  try {
    await unlock(driver);
    await type(driver, 'nhs-first', '943 476 5919');
    await type(driver, 'nhs-second', '9434765919');
    await tap(driver, 'patient-identify');
    await waitText(driver, 'patient-candidate-unverified', /Not verified against the record/);
    assert.match(await text(driver, 'patient-candidate-unverified'), /record|reach|offline|connect/i);
    assert.equal(await text(driver, 'patient-candidate-source'), 'NHS number typed twice');
    await screenshot(driver, '22-patient-record-offline');
    await tap(driver, 'patient-confirm');
    await visible(driver, 'screen-consent');
    const current = (await invoke(driver, 'patient_current')).ok;
    assert.equal(current.status, 'not_verified');
    assert.equal(current.source, 'typed_twice');
  } finally {
    await quitApp(driver);
  }
});
