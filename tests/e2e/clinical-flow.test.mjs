// The clinical flow in the real app: lock, development unlock, manual NHS number entry, and the
// core refusing capture before consent. Every step calls the real Rust commands.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startApp, quitApp, vaultStatus, visible, present, gone, invoke, screenshot, type, text, waitText, unlockWithPin } from './support.mjs';

const VALID = '943 476 5919';

test('capture cannot be reached before consent, and the lock hides the patient', async () => {
  const driver = await startApp();
  try {
    await visible(driver, 'screen-lock');
    await screenshot(driver, '01-lock');
    // Core answers for the patient once the key gate is ready; the vault stays shut behind it
    // until the PIN opens it.
    assert.equal((await vaultStatus(driver)).state, 'locked');

    // While locked, core refuses to identify or confirm a patient even when called directly.
    const locked = await invoke(driver, 'patient_identify_manual', { first: VALID, second: VALID });
    assert.equal(locked.err?.code, 'session.locked', JSON.stringify(locked));
    // Behind the key gate the vault is shut: refused as locked before anything else is asked.
    assert.equal((await invoke(driver, 'patient_confirm')).err?.code, 'session.locked');

    await unlockWithPin(driver);
    await visible(driver, 'screen-patient');
    assert.equal(await present(driver, 'nav-capture'), false, 'Capture offered with no patient');
    await screenshot(driver, '02-patient');

    // A mistyped number is refused with the reason, before anything is confirmed.
    await type(driver, 'nhs-first', '943 476 5918');
    await waitText(driver, 'nhs-feedback', /check digit wrong/i);
    await screenshot(driver, '03-patient-invalid');
    const refused = await invoke(driver, 'patient_identify_manual', { first: '9434765918', second: '9434765918' });
    assert.equal(refused.err?.code, 'patient.check_digit_wrong');

    await type(driver, 'nhs-first', VALID);
    await type(driver, 'nhs-second', '9434765919');
    await (await visible(driver, 'patient-identify')).click();
    // No record endpoint in this run: the typed number stands, marked not verified.
    await waitText(driver, 'patient-candidate-nhs', /^943 476 5919$/);
    await waitText(driver, 'patient-candidate-unverified', /Not verified against the record/);
    await screenshot(driver, '03b-patient-confirm');
    await (await visible(driver, 'patient-confirm')).click();
    await visible(driver, 'screen-consent');
    await waitText(driver, 'header-patient', /943 476 5919/);
    await screenshot(driver, '04-consent-pending');

    // Capture is not offered, and core refuses it when asked directly.
    assert.equal(await present(driver, 'nav-capture'), false, 'Capture offered before consent');
    const capture = await invoke(driver, 'session_start_capture');
    assert.equal(capture.err?.code, 'session.consent_required', JSON.stringify(capture));
    const view = await invoke(driver, 'session_view');
    assert.equal(view.ok.state, 'patient_confirmed');

    // A second patient cannot be started inside this one's session.
    const second = await invoke(driver, 'patient_identify_manual', { first: '4010232137', second: '4010232137' });
    assert.equal(second.err?.code, 'session.patient_in_session');

    await (await visible(driver, 'nav-outbox')).click();
    await visible(driver, 'screen-outbox');
    await visible(driver, 'outbox-unconfigured');
    await screenshot(driver, '05-outbox');
    await (await visible(driver, 'nav-device')).click();
    await visible(driver, 'screen-device');
    await waitText(driver, 'device-version', /^0\.1\.0$/);
    await screenshot(driver, '06-device');

    // Locking hides the patient: the NHS number is nowhere in the page.
    await (await visible(driver, 'lock-button')).click();
    await visible(driver, 'screen-lock');
    const source = await driver.getPageSource();
    assert.equal(source.includes('943 476 5919'), false, 'NHS number visible while locked');
    assert.equal((await invoke(driver, 'patient_current')).ok, null);
    await screenshot(driver, '07-locked-again');

    // Unlocking resumes the same patient's session.
    await unlockWithPin(driver);
    await visible(driver, 'screen-consent');
    await waitText(driver, 'header-patient', /943 476 5919/);

    await (await visible(driver, 'nav-patient')).click();
    await (await visible(driver, 'end-patient')).click();
    await visible(driver, 'nhs-first');
    await gone(driver, 'end-patient');
    assert.equal((await invoke(driver, 'session_view')).ok.state, 'unlocked');
    await screenshot(driver, '08-patient-ended');
  } finally {
    await quitApp(driver);
  }
});
