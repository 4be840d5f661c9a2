// Consent in the real app: the clinician sets a PIN, identifies a patient (name from the medplum
// record server), hands the phone over; in kiosk mode nothing else is reachable and core refuses
// other commands; an empty signature is refused, a drawn one unlocks Capture after the clinician
// takes the phone back with the PIN; a wrong PIN is refused; a decline ends the session at
// hand-back; the recorded consent's FHIR form validates.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  byTestId,
  invoke,
  present,
  screenshot,
  startApp,
  quitApp,
  tap,
  type,
  visible,
  waitText,
  startFhirServer,
  unlockWithPin,
  CLINICIAN_PIN as PIN,
  drawSignature,
} from './support.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
let ready;

before(async () => {
  ready = await startFhirServer();
});

after(() => ready?.stop());

const withRecord = () => ready.args();

/** Types the NHS number twice; the record server supplies the name the consent record needs. */
async function identify(driver) {
  await type(driver, 'nhs-first', '943 476 5919');
  await type(driver, 'nhs-second', '9434765919');
  await tap(driver, 'patient-identify');
  await tap(driver, 'patient-confirm');
  await visible(driver, 'screen-consent');
}

async function handOver(driver) {
  await tap(driver, 'consent-purpose-teaching');
  await tap(driver, 'consent-hand-to-patient');
  await visible(driver, 'signature-pad');
  assert.equal((await invoke(driver, 'session_view')).ok.kiosk, true);
}

async function errorCode(driver) {
  const banner = await visible(driver, 'error-banner');
  return banner.getAttribute('data-code');
}

test('a drawn signature records consent and unlocks Capture; kiosk mode holds until the right PIN', async () => {
  const driver = await startApp(withRecord());
  try {
    await unlockWithPin(driver);
    await identify(driver);
    await handOver(driver);

    // Kiosk: no navigation or Lock on screen, and core refuses everything but consent.
    assert.equal(await present(driver, 'nav-patient'), false);
    assert.equal(await present(driver, 'nav-consent'), false);
    assert.equal(await present(driver, 'lock-button'), false);
    for (const [cmd, args] of [
      ['session_start_capture', {}],
      ['session_end_patient', {}],
      ['consent_withdraw', { photo: null }],
      ['outbox_list', null],
      ['clinician_pin_set', { pin: '135792', name: 'Patient', oldPin: PIN }],
    ]) {
      const r = await invoke(driver, cmd, args ?? {});
      // The Outbox is not refused but empty: it lists other patients.
      if (args === null) assert.deepEqual(r.ok, [], `${cmd}: ${JSON.stringify(r)}`);
      else assert.equal(r.err?.code, 'session.kiosk_active', `${cmd}: ${JSON.stringify(r)}`);
    }
    await screenshot(driver, '40-consent-kiosk');

    // An empty pad is refused by core, with its message.
    await tap(driver, 'consent-sign');
    assert.equal(await errorCode(driver), 'consent.signature_empty');
    assert.equal((await invoke(driver, 'session_view')).ok.state, 'patient_confirmed');

    await drawSignature(driver);
    await tap(driver, 'consent-sign');
    await waitText(driver, 'consent-hand-back', /Please hand the phone back/);
    await screenshot(driver, '41-consent-hand-back');
    let view = (await invoke(driver, 'session_view')).ok;
    assert.equal(view.state, 'consented');
    assert.equal(view.kiosk, true);
    assert.deepEqual(view.screens, ['consent']);

    // A wrong PIN is refused and the phone stays with the patient.
    await type(driver, 'hand-back-pin', '111111');
    await tap(driver, 'hand-back-submit');
    assert.equal(await errorCode(driver), 'auth.wrong_pin');
    assert.equal((await invoke(driver, 'session_view')).ok.kiosk, true);
    assert.equal((await invoke(driver, 'clinician_pin_status')).ok.failures, 1);

    await type(driver, 'hand-back-pin', PIN);
    await tap(driver, 'hand-back-submit');
    // Taken back: the app goes on to Capture, where the camera opens by itself.
    await visible(driver, 'screen-capture');
    await visible(driver, 'nav-capture');
    view = (await invoke(driver, 'session_view')).ok;
    assert.ok(['consented', 'capturing'].includes(view.state), view.state);
    assert.equal(view.kiosk, false);
    assert.deepEqual(view.consented_purposes, ['care', 'teaching']);
    assert.equal((await invoke(driver, 'clinician_pin_status')).ok.failures, 0);
    await tap(driver, 'nav-consent');
    await visible(driver, 'consent-recorded');
    await screenshot(driver, '42-consent-recorded');

    // Its FHIR form is validated against R4 by core's tests (visit::tests, tests/consent_fhir.rs)
    // and by the record server on delivery (delivery.test.mjs).

    // Capture opens now that consent is recorded.
    assert.equal((await invoke(driver, 'session_start_capture')).ok?.state, 'capturing');
  } finally {
    await quitApp(driver);
  }
});

test('a decline ends the patient session when the clinician takes the phone back', async () => {
  const driver = await startApp(withRecord());
  try {
    await unlockWithPin(driver);
    await identify(driver);
    await handOver(driver);
    await tap(driver, 'consent-decline');
    await waitText(driver, 'consent-hand-back', /You said no/);
    // Still with the patient: the session waits for the clinician.
    assert.equal((await invoke(driver, 'session_view')).ok.consent_declined, true);
    await type(driver, 'hand-back-pin', PIN);
    await tap(driver, 'hand-back-submit');
    await visible(driver, 'screen-patient');
    const view = (await invoke(driver, 'session_view')).ok;
    assert.equal(view.state, 'unlocked');
    assert.equal(view.patient, null);
    assert.equal((await invoke(driver, 'patient_current')).ok, null);
    assert.equal(await present(driver, 'nav-consent'), false);
    await screenshot(driver, '43-consent-declined');
  } finally {
    await quitApp(driver);
  }
});

test('withdrawing consent returns the patient to consent not yet given', async () => {
  const driver = await startApp(withRecord());
  try {
    await unlockWithPin(driver);
    await identify(driver);
    // Verbal consent before a witness: recorded by the clinician, no hand-over.
    await tap(driver, 'consent-how-verbal');
    await type(driver, 'consent-witness', 'Nurse Bo Smith');
    await tap(driver, 'consent-record-verbal');
    // Consent recorded: core's home is Capture; the withdrawal is on the Consent screen.
    await visible(driver, 'screen-capture');
    await tap(driver, 'nav-consent');
    await visible(driver, 'consent-recorded');
    await tap(driver, 'consent-withdraw');
    await tap(driver, 'consent-withdraw-yes');
    await visible(driver, 'consent-withdrawn');
    const view = (await invoke(driver, 'session_view')).ok;
    assert.equal(view.state, 'patient_confirmed');
    assert.equal(view.consented_purposes, null);
    assert.equal((await invoke(driver, 'session_start_capture')).err?.code, 'session.consent_required');
    assert.equal(await driver.findElements(byTestId('nav-capture')).then((l) => l.length), 0);
  } finally {
    await quitApp(driver);
  }
});
