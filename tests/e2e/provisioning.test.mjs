// Provisioning in the real app: a fresh installation (its own data folder, so no policy kept) is
// stopped on the lock screen until a device manager pastes a provisioning code made by
// `wardcam-admin sign`; a tampered code is refused with its reason; the kept policy applies at the
// next start, the Device screen names the trust, and wristbands are checked against its record.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  startApp, startDriver, quitApp, visible, tap, type, waitText, screenshot, invoke, unlockWithPin,
  wristband as band, startFhirServer, provisionFor, byTestId,
} from './support.mjs';

let fhir;
before(async () => {
  fhir = await startFhirServer();
});
after(() => fhir?.stop());

/** Puts `code` in the paste box as a paste would (one input event), and submits it. */
async function paste(driver, code) {
  const box = await visible(driver, 'provision-code');
  await driver.executeScript(
    `arguments[0].value = arguments[1];
     arguments[0].dispatchEvent(new Event('input', { bubbles: true }));`,
    box,
    code,
  );
  await tap(driver, 'provision-apply');
}

test('a pasted provisioning code sets the phone up for its trust', async () => {
  const home = mkdtempSync(join(tmpdir(), 'wardcam-e2e-fresh-'));
  const server = await startDriver({ env: { XDG_DATA_HOME: join(home, 'data') } });
  const [provision] = provisionFor(fhir.args(), { trust: 'Pasted Test Trust' });
  const code = readFileSync(provision.slice('--provision='.length), 'utf8');
  let driver;
  try {
    driver = await startApp([], server, { provision: false });
    await visible(driver, 'provision-panel');
    const blocked = await driver.findElement(byTestId('provision-blocked'));
    assert.equal(await blocked.getAttribute('data-code'), 'policy.not_provisioned');
    // Nothing unlocks meanwhile, whatever asks.
    const refused = await invoke(driver, 'session_set_up', { pin: '135792', name: 'Dr Ada Jones' });
    assert.equal(refused.err?.code, 'policy.not_provisioned');

    // One character of the policy changed after signing: refused, nothing kept.
    const lines = code.trim().split('\n');
    const at = lines[1].length - 10;
    lines[1] = lines[1].slice(0, at) + (lines[1][at] === 'A' ? 'B' : 'A') + lines[1].slice(at + 1);
    await paste(driver, lines.join('\n'));
    const error = await visible(driver, 'provision-error');
    assert.equal(await error.getAttribute('data-code'), 'policy.hash_mismatch');
    await screenshot(driver, '70-provision-tampered');

    await paste(driver, code);
    await waitText(driver, 'provision-result', /Kept: Pasted Test Trust \(RX1\), policy version \d+/);
    await screenshot(driver, '71-provision-kept');
    await quitApp(driver);

    // The next start applies it: the lock screen takes a PIN, the Device screen names the trust,
    // and a wristband is checked against the record the policy names.
    driver = await startApp([], server, { provision: false });
    await unlockWithPin(driver);
    await visible(driver, 'screen-patient');
    await type(driver, 'scan-text', band('9434765919', 'SMITH/JOHN/19800118'));
    await tap(driver, 'scan-read');
    await waitText(driver, 'patient-candidate-record-name', /^Smith, John Paul$/);
    await tap(driver, 'patient-discard');
    await tap(driver, 'nav-device');
    await waitText(driver, 'device-trust', /^Pasted Test Trust \(RX1\), policy version \d+, from a provisioning code$/);
    await waitText(driver, 'record-status', new RegExp(fhir.base.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')));
    await screenshot(driver, '72-provisioned-device');
    assert.ok(
      fhir.requests().some((r) => String(r.path ?? r.url ?? '').includes('Patient')),
      'the record was asked',
    );
  } finally {
    if (driver) await quitApp(driver);
    await server.stop();
    rmSync(home, { recursive: true, force: true });
  }
});
