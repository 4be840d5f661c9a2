// The sealed vault in the real app: it opens with the real Secret Service (gnome-keyring in this
// run's D-Bus session), reopens with the same key after a restart, and nothing the app wrote to
// disk during a patient session contains the patient's NHS number in plaintext.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { appsStopped, startApp, quitApp, endVisit, vaultStatus, visible, invoke, tap, type, screenshot, waitText, wristband, unlockWithPin } from './support.mjs';

const home = process.env.WARDCAM_E2E_HOME;
const NHS = '9434765919';
/** A family name no file would hold by chance. */
const FAMILY = 'XYLOPHONE';

/** Every file under `dir`, recursively. */
function files(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return files(p);
    return e.isFile() ? [p] : [];
  });
}

test('the vault opens with the Secret Service behind the PIN and survives a restart', async () => {
  assert.ok(home, 'WARDCAM_E2E_HOME is not set: run through scripts/e2e');
  let driver = await startApp();
  try {
    // Shut behind the key gate until the PIN opens it.
    const status = await vaultStatus(driver);
    assert.equal(status.state, 'locked', JSON.stringify(status));
    assert.match(status.keystore, /secret/i);
    const vaultDir = join(home, 'data', 'org.wardcam.app', 'vault');
    assert.ok(existsSync(vaultDir) && statSync(vaultDir).isDirectory(), `no vault at ${vaultDir}`);
    await unlockWithPin(driver);
    await (await visible(driver, 'nav-device')).click();
    await visible(driver, 'screen-device');
    await waitText(driver, 'vault-status', /^Open: \d+ items?, key in .*secret/i);
    await waitText(driver, 'ward-photos', /^Photos waiting on this phone: \d+$/);
    await screenshot(driver, '10-device-vault-open');
  } finally {
    await quitApp(driver);
  }
  driver = await startApp();
  try {
    // Same folder, same keyring: the wrapped key must be found, never replaced, and only the
    // PIN opens it.
    const status = await vaultStatus(driver);
    assert.deepEqual([status.state, status.set_up], ['locked', true], JSON.stringify(status));
    await unlockWithPin(driver);
    assert.equal((await vaultStatus(driver)).state, 'open');
  } finally {
    await quitApp(driver);
  }
});

test('no plaintext NHS number reaches the disk during a patient session', async () => {
  assert.ok(home, 'WARDCAM_E2E_HOME is not set: run through scripts/e2e');
  const driver = await startApp();
  try {
    await unlockWithPin(driver);
    // Identified from a wristband carrying a name, so the name is searched for on disk too.
    await type(driver, 'scan-text', wristband(NHS, `${FAMILY}/QUENTIN/19800118`));
    await tap(driver, 'scan-read');
    await waitText(driver, 'patient-candidate-name', new RegExp(FAMILY));
    await tap(driver, 'patient-confirm');
    await waitText(driver, 'header-patient', /943 476 5919/);
    assert.equal((await invoke(driver, 'patient_current')).ok?.source, 'band_text');
  } finally {
    // No clean-up before the scan: the open visit stays sealed on disk, and is scanned too.
    await driver.quit();
  }
  await appsStopped();
  const needles = [NHS, '943 476 5919', '943-476-5919', FAMILY].flatMap((s) => [
    Buffer.from(s, 'utf8'),
    Buffer.from(s, 'utf16le'),
  ]);
  const written = files(home);
  assert.ok(written.length > 0, 'the app wrote nothing at all: the scan would prove nothing');
  let scanned = 0;
  for (const file of written) {
    let bytes;
    try {
      bytes = readFileSync(file);
    } catch (e) {
      // Something outside the app (a desktop service sharing XDG folders) removed it meanwhile.
      if (e.code === 'ENOENT') continue;
      throw e;
    }
    scanned += 1;
    for (const needle of needles) {
      assert.equal(bytes.includes(needle), false, `${file} holds the NHS number in plaintext`);
    }
  }
  assert.ok(scanned > 0, 'every file vanished before it was read: the scan proved nothing');
  // The visit is resumed at the next start: end it, so no later test inherits it.
  const after = await startApp();
  try {
    await endVisit(after);
  } finally {
    await after.quit();
  }
});
