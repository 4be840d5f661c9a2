// Capture in the real app: a frame from WebKitGTK's mock camera (`--dev-mock-camera`, debug builds
// only) goes through core's intake into the vault, is reviewed with a body site and laterality,
// redacted, and queued to the Outbox; withdrawing consent then shreds it. No file outside the
// vault folder appears in the app's data, cache or config folders, and no image file in /tmp.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { tmpdir } from 'node:os';
import { startApp, quitApp, visible, invoke, screenshot, tap, type, waitText, recordConsent, openMockCamera, labelHeelLeft, unlockWithPin } from './support.mjs';

const home = process.env.WARDCAM_E2E_HOME;

/** Every file under `dir` (recursively, up to `depth`), with its size and modification time. */
function snapshot(dir, depth = 8) {
  const out = new Map();
  const walk = (d, level) => {
    let entries = [];
    try {
      entries = readdirSync(d, { withFileTypes: true });
    } catch {
      return; // another user's or a vanished folder
    }
    for (const e of entries) {
      const p = join(d, e.name);
      if (e.isDirectory() && level < depth) walk(p, level + 1);
      else if (e.isFile()) {
        try {
          const s = statSync(p);
          out.set(p, `${s.size}:${s.mtimeMs}`);
        } catch {
          /* vanished */
        }
      }
    }
  };
  walk(dir, 0);
  return out;
}

function changed(before, after) {
  return [...after.keys()].filter((p) => before.get(p) !== after.get(p));
}

async function naturalWidth(driver, id) {
  const el = await visible(driver, id);
  await driver.wait(async () => (await driver.executeScript('return arguments[0].complete', el)) === true, 10000);
  return driver.executeScript('return arguments[0].naturalWidth', el);
}

async function vaultItems(driver) {
  const status = (await invoke(driver, 'vault_status')).ok;
  assert.equal(status.state, 'open', JSON.stringify(status));
  return status.items;
}

test('a mock-camera frame is captured, reviewed, redacted and queued; nothing escapes the vault', async () => {
  assert.ok(home, 'WARDCAM_E2E_HOME is not set: run through scripts/e2e');
  const driver = await startApp(['--dev-mock-camera']);
  try {
    await unlockWithPin(driver);
    await type(driver, 'nhs-first', '943 476 5919');
    await type(driver, 'nhs-second', '9434765919');
    await tap(driver, 'patient-identify');
    await tap(driver, 'patient-confirm');
    await visible(driver, 'screen-consent');
    await recordConsent(driver);
    // Consent was recorded behind the UI's back (the consent screen has its own test): lock and
    // unlock, and the UI follows core to the consented state's home, Capture.
    await tap(driver, 'lock-button');
    await unlockWithPin(driver);
    await visible(driver, 'screen-capture');
    await openMockCamera(driver);
    await screenshot(driver, '30-capture-live');

    const itemsBefore = await vaultItems(driver);
    const homeBefore = snapshot(home);
    const tmpBefore = snapshot(tmpdir(), 2);

    await tap(driver, 'camera-shutter');
    await waitText(driver, 'capture-status', /Photo kept/);
    assert.equal((await invoke(driver, 'session_view')).ok.pending_photos, 1);
    assert.equal(await vaultItems(driver), itemsBefore + 3, 'photo, thumbnail and manifest sealed');
    await screenshot(driver, '31-captured');

    await tap(driver, 'go-review');
    await visible(driver, 'screen-review');
    const [photo] = (await invoke(driver, 'photos_list')).ok;
    assert.ok(photo && photo.width > 0, JSON.stringify(photo));
    assert.equal(typeof photo.id, 'string');
    assert.equal(photo.state, 'captured');
    // The thumbnail really decodes: served in memory by the thumb:// protocol.
    assert.ok((await naturalWidth(driver, `thumb-${photo.id}`)) > 0, 'thumbnail did not load');

    // Queueing without a body site is refused by core.
    const early = await invoke(driver, 'session_queue');
    assert.equal(early.err?.code, 'review.label_missing', JSON.stringify(early));

    await labelHeelLeft(driver, photo.id);
    const [labelled] = (await invoke(driver, 'photos_list')).ok;
    await screenshot(driver, '32-review-labelled');

    // Redact: drag over the top-left quarter; the original's photo and thumbnail and the old
    // manifest are shredded, the redacted photo, thumbnail and new manifest sealed: the count
    // stays the same.
    await tap(driver, `redact-${photo.id}`);
    const frame = await visible(driver, 'redact-frame');
    await driver.executeScript("arguments[0].scrollIntoView({ block: 'center' })", frame);
    const rect = await frame.getRect();
    const w = Math.floor(rect.width);
    const h = Math.floor(rect.height);
    await driver
      .actions({ bridge: true })
      .move({ origin: frame, x: -Math.floor(w / 2) + 5, y: -Math.floor(h / 2) + 5 })
      .press()
      .move({ origin: frame, x: 0, y: 0, duration: 200 })
      .release()
      .perform();
    await visible(driver, 'fill');
    await tap(driver, 'redact-apply');
    await visible(driver, `photo-${photo.id}`);
    const [redacted] = (await invoke(driver, 'photos_list')).ok;
    assert.equal(redacted.redacted, true);
    // The version changes whenever the thumbnail does, so the WebView fetches it anew.
    assert.ok(redacted.version > labelled.version, `${redacted.version} after ${labelled.version}`);
    assert.equal(redacted.id, photo.id, 'a redacted photo keeps its id');
    assert.equal(await vaultItems(driver), itemsBefore + 3, 'the original was not shredded');
    assert.ok((await naturalWidth(driver, `thumb-${photo.id}`)) > 0, 'redacted thumbnail did not load');
    await screenshot(driver, '33-redacted');

    await tap(driver, 'queue');
    await visible(driver, 'screen-outbox');
    await waitText(driver, 'queued-count', /^1$/);
    await screenshot(driver, '34-outbox');

    // Nothing but the vault changed in the app's folders; no image appeared in /tmp.
    const vaultDir = join(home, 'data', 'org.wardcam.app', 'vault');
    // Mesa (the software GL driver under Xvfb) caches compiled shaders there: GPU programs, no pixels.
    const shaders = join(home, 'cache', 'mesa_shader_cache') + '/';
    const outside = changed(homeBefore, snapshot(home)).filter(
      (p) => !p.startsWith(vaultDir + '/') && !p.startsWith(shaders),
    );
    assert.deepEqual(outside.map((p) => relative(home, p)), [], 'files written outside the vault');
    const images = changed(tmpBefore, snapshot(tmpdir(), 2)).filter((p) => {
      try {
        const head = readFileSync(p).subarray(0, 8);
        return (head[0] === 0xff && head[1] === 0xd8) || head.toString('latin1', 1, 4) === 'PNG';
      } catch {
        return false;
      }
    });
    assert.deepEqual(images, [], 'image files appeared in /tmp');

    // A queued photo's label cannot change any more.
    const relabel = await invoke(driver, 'photo_label', {
      id: photo.id,
      label: { body_site: '76853006', laterality: 'right', description: '' },
    });
    assert.equal(relabel.err?.code, 'visit.photo_queued', JSON.stringify(relabel));

    // The patient withdraws consent before upload: every photo of the visit is crypto-shredded (its
    // photo, thumbnail and manifest leave the vault) and the withdrawal itself is sealed (the visit
    // record's new revision replaces the old one).
    const beforeWithdrawal = await vaultItems(driver);
    const withdrawn = await invoke(driver, 'consent_withdraw', { photo: null });
    assert.equal(withdrawn.ok?.state, 'patient_confirmed', JSON.stringify(withdrawn));
    assert.deepEqual((await invoke(driver, 'photos_list')).ok, []);
    assert.equal((await invoke(driver, 'outbox_list')).ok.some((p) => p.id === photo.id), false);
    assert.equal(await vaultItems(driver), beforeWithdrawal - 3 + 1);

    // Locked, the thumbnail protocol serves nothing.
    await tap(driver, 'lock-button');
    await visible(driver, 'screen-lock');
    assert.deepEqual((await invoke(driver, 'photos_list')).ok, []);
    assert.deepEqual((await invoke(driver, 'outbox_list')).ok, []);
  } finally {
    await quitApp(driver);
  }
});
