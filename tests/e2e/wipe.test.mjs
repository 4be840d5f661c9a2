// Remote wipe in the real app: a provisioned, unlocked phone holding a photo is handed signed
// `WCW1:` commands made by `wardcam-admin wipe` on its Device screen. A command signed by a key the
// phone does not trust, and a genuine one changed after signing, are refused and destroy nothing;
// the genuine one wipes: the wiped screen shows, the vault folder keeps only the wipe's record (no
// openable item, no patient detail), the wipe's audit entry joins the chain saved just before
// (the Audit log card's file, which `wardcam-admin audit verify` accepts) and survives a restart, the key gate's record is gone (set-up, not unlock) and the policy stays.
// Its own data folder, so the run's shared vault is not wiped.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  startApp, startDriver, visible, tap, type, text, waitText, screenshot, invoke,
  unlockWithPin, recordVerbalConsentInUi, openMockCamera, failureEvidence, CLINICIAN_PIN,
} from './support.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const admin = process.env.WARDCAM_ADMIN ?? join(root, 'target', 'debug', 'wardcam-admin');
const testKey = join(root, 'target', 'provisioning-test', 'provisioning.key');
const NHS = '9434765919';

/** Every file under `dir`, relative to it. */
function files(dir) {
  const out = [];
  const walk = (d) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.push(relative(dir, p));
    }
  };
  walk(dir);
  return out.sort();
}

function run(args) {
  const r = spawnSync(admin, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`wardcam-admin ${args[0]} failed: ${r.stderr}`);
  return r.stdout;
}

/** A wipe command for `installation` signed with `key`, as a device manager makes one. */
function wipeCommand(key, installation, scratch, name) {
  const out = join(scratch, name);
  run(['wipe', '--key', key, '--ods-code', 'RX1', '--installation', installation, '--out', out]);
  return readFileSync(join(out, 'wipe.txt'), 'utf8').trim();
}

/** The genuine command with its order changed after signing (an hour more of validity). */
function tampered(code) {
  const [order, signature] = code.slice('WCW1:'.length).split('.');
  const json = JSON.parse(Buffer.from(order, 'base64url').toString('utf8'));
  json.expires_at += 3600;
  return `WCW1:${Buffer.from(JSON.stringify(json)).toString('base64url')}.${signature}`;
}

/** Pastes `code` into the Device screen's wipe box (one input event) and confirms it. */
async function applyWipe(driver, code) {
  const box = await visible(driver, 'wipe-code');
  await driver.executeScript(
    `arguments[0].scrollIntoView({ block: 'center' });
     arguments[0].value = arguments[1];
     arguments[0].dispatchEvent(new Event('input', { bubbles: true }));`,
    box,
    code,
  );
  await tap(driver, 'wipe-apply');
  await tap(driver, 'wipe-confirm');
}

async function vaultItems(driver) {
  const status = (await invoke(driver, 'vault_status')).ok;
  assert.equal(status?.state, 'open', JSON.stringify(status));
  return status.items;
}

test('a signed wipe command wipes the phone; a forged or tampered one destroys nothing', async () => {
  const home = mkdtempSync(join(tmpdir(), 'wardcam-e2e-wipe-'));
  const scratch = mkdtempSync(join(tmpdir(), 'wardcam-e2e-wipe-cmd-'));
  const vaultDir = join(home, 'data', 'org.wardcam.app', 'vault');
  // WebKitGTK saves a download in the user's download folder: this home's, for the saved log.
  const downloads = join(home, 'downloads');
  mkdirSync(join(home, 'config'), { recursive: true });
  mkdirSync(downloads);
  writeFileSync(join(home, 'config', 'user-dirs.dirs'), `XDG_DOWNLOAD_DIR="${downloads}"\n`);
  const server = await startDriver({ env: { XDG_DATA_HOME: join(home, 'data'), XDG_CONFIG_HOME: join(home, 'config') } });
  let driver;
  try {
    driver = await startApp(['--dev-mock-camera'], server);
    try {
      // Provisioned by a code file at start (`provisionFor`), set up, a patient, consent, a photo.
      await unlockWithPin(driver);
      await type(driver, 'nhs-first', '943 476 5919');
      await type(driver, 'nhs-second', NHS);
      await tap(driver, 'patient-identify');
      await tap(driver, 'patient-confirm');
      await visible(driver, 'screen-consent');
      await recordVerbalConsentInUi(driver);
      await openMockCamera(driver);
      await tap(driver, 'camera-shutter');
      await waitText(driver, 'capture-status', /Photo kept/);
      const [photo] = (await invoke(driver, 'photos_list')).ok;
      assert.ok(photo?.id, 'a photo was taken');
      const items = await vaultItems(driver);
      assert.ok(items >= 3, `photo, thumbnail and manifest sealed: ${items}`);
      const before = files(vaultDir);

      await tap(driver, 'nav-device');
      await visible(driver, 'audit-log');
      const installation = await waitText(driver, 'wipe-installation', /^[0-9a-f]{8}-/);
      const genuine = wipeCommand(testKey, installation, scratch, 'genuine');
      run(['keygen', '--out', join(scratch, 'other-key')]);
      const forged = wipeCommand(join(scratch, 'other-key', 'provisioning.key'), installation, scratch, 'forged');

      // Refused first, each with its reason, and nothing destroyed or begun.
      for (const [code, reason] of [
        [forged, 'wipe.unknown_key'],
        [tampered(genuine), 'wipe.bad_signature'],
      ]) {
        await applyWipe(driver, code);
        await waitText(driver, 'wipe-error', new RegExp(`\\(${reason.replace('.', '\\.')}\\)$`));
      }
      await screenshot(driver, '90-wipe-refused');
      assert.equal(await vaultItems(driver), items, 'a refused command shredded nothing');
      assert.deepEqual(files(vaultDir).filter((f) => before.includes(f)), before, 'no vault file went');
      assert.ok(!files(vaultDir).includes('wipe.json'), 'no wipe was begun');
      assert.equal((await invoke(driver, 'photos_list')).ok?.[0]?.id, photo.id);
      assert.equal((await invoke(driver, 'wipe_status')).ok?.wiped, false);

      // The audit log as a device manager saves it (Audit log card): the file verifies with
      // wardcam-admin against the head the app names, holds the policy the code file brought,
      // and no patient detail.
      await tap(driver, 'audit-log-save');
      const said = await waitText(driver, 'audit-log-saved', /--head \d+:[0-9a-f]{64}$/);
      const [, seqText, hash] = said.match(/--head (\d+):([0-9a-f]{64})$/);
      const exported = { seq: Number(seqText), hash };
      const saved = join(downloads, `wardcam-audit-${exported.seq}.jsonl`);
      await driver.wait(() => existsSync(saved) && statSync(saved).size > 0, 15000, `${saved} never appeared`);
      const jsonl = readFileSync(saved, 'utf8');
      const verified = run(['audit', 'verify', saved, '--head', `${exported.seq}:${exported.hash}`]);
      assert.match(verified, /chain verified/);
      const entries = jsonl.trim().split('\n').map((l) => JSON.parse(l));
      assert.equal(entries.at(-1).seq, exported.seq);
      assert.ok(
        entries.some((e) => e.event.type === 'policy_applied' && e.event.source === 'file'),
        `no policy_applied entry: ${entries.map((e) => e.event.type).join(', ')}`,
      );
      for (const word of [NHS, '943 476 5919']) assert.ok(!jsonl.includes(word), `${word} in the export`);

      // The genuine command wipes.
      await applyWipe(driver, genuine);
      await visible(driver, 'screen-wiped', 30000);
      await waitText(driver, 'wiped-summary', /crypto-shredded/);
      await waitText(driver, 'wiped-audit', new RegExp(`entry ${exported.seq + 1}\\.$`));
      await screenshot(driver, '91-wiped');
      const report = (await invoke(driver, 'wipe_status')).ok?.report;
      assert.equal(report?.source, 'signed_command');
      assert.ok(report.items >= items, `${report.items} items shredded of ${items}`);
      // The wipe's entry follows the head exported just before it: the chain continues.
      assert.equal(report.audit?.event?.type, 'wiped');
      assert.equal(report.audit.seq, exported.seq + 1);
      assert.equal(report.audit.prev, exported.hash);

      // Only the wipe's record is left, and it names no patient.
      assert.deepEqual(files(vaultDir), ['wipe.json']);
      const record = readFileSync(join(vaultDir, 'wipe.json'), 'utf8');
      for (const word of [NHS, '943 476 5919']) assert.ok(!record.includes(word), `${word} in wipe.json`);
      assert.ok(statSync(join(vaultDir, 'wipe.json')).size > 0);
      // Nothing unlocks until the wiped screen is dismissed.
      const refused = await invoke(driver, 'session_unlock', { pin: CLINICIAN_PIN });
      assert.equal(refused.err?.code, 'wipe.wiped', JSON.stringify(refused));
    } catch (e) {
      throw new Error(`${e.message}\n  (${await failureEvidence(driver, '99-wipe-failure')})`, { cause: e });
    }
    await driver.quit();

    // The next start: the wipe and its audit entry survive; dismissed, the phone asks to be set up
    // afresh (its key gate's record left the keystore) under the policy it kept.
    driver = await startApp([], server, { provision: false });
    await visible(driver, 'screen-wiped', 30000);
    await waitText(driver, 'wiped-audit', /entry \d+\.$/);
    await tap(driver, 'wiped-set-up-again');
    await visible(driver, 'screen-lock');
    await visible(driver, 'lock-setup', 20000);
    const gate = (await invoke(driver, 'session_gate')).ok;
    assert.equal(gate?.set_up, false, JSON.stringify(gate));
    assert.ok((await text(driver, 'screen-lock')).length > 0);
    await screenshot(driver, '92-wiped-set-up-again');
  } finally {
    if (driver) await driver.quit().catch(() => {});
    await server.stop();
    rmSync(home, { recursive: true, force: true });
    rmSync(scratch, { recursive: true, force: true });
  }
});
