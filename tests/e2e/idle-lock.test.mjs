// The idle lock in the real app: with no activity the backend locks and the window shows the
// Lock screen on its own, without a tap. (The test trust's policy sets the shortest idle lock, 10 s.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startApp, quitApp, visible, invoke, screenshot, gone, unlockWithPin } from './support.mjs';

test('the app re-locks by itself when idle', async () => {
  const driver = await startApp(['--e2e-idle-seconds=10']);
  try {
    await unlockWithPin(driver);
    await visible(driver, 'screen-patient');
    await gone(driver, 'screen-lock');
    // No interaction: the backend's idle watcher must lock and tell the window.
    await visible(driver, 'screen-lock', 20000);
    const view = await invoke(driver, 'session_view');
    assert.equal(view.ok.state, 'locked');
    assert.equal(view.ok.lock_reason, 'idle');
    await screenshot(driver, '09-idle-locked');
  } finally {
    await quitApp(driver);
  }
});
