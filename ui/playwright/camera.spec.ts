// The desktop camera in Chromium with a real getUserMedia stream from Chromium's fake device
// (project "camera-fake") or with no camera at all (project "camera-none"). The backend is mocked:
// it records what `capture_photo` received.
import { expect, test, type Page } from '@playwright/test';
import type { Captured } from '../src/cameraHarness';
import { shots, smallTargets } from './fixtures';

async function openCamera(page: Page, fixture: { purpose?: string; platform?: string } = {}) {
  await page.addInitScript((f) => {
    (window as unknown as { __WARDCAM_CAMERA_FIXTURE__: unknown }).__WARDCAM_CAMERA_FIXTURE__ = f;
  }, fixture);
  await page.goto('/camera-harness.html');
}

async function captures(page: Page): Promise<Captured[]> {
  return page.evaluate(() => window.__WARDCAM_CAPTURES__ ?? []);
}

test('@live shows a live preview and the shutter sends a JPEG with its purpose', async ({ page }, info) => {
  await openCamera(page, { purpose: 'care' });
  const view = page.getByTestId('camera-view');
  await expect(view).toHaveAttribute('data-state', 'live');
  const video = page.getByTestId('camera-video');
  await expect(video).toBeVisible();
  // The stream really plays: frames have a size and the clock moves.
  await expect
    .poll(() => video.evaluate((v: HTMLVideoElement) => v.videoWidth * v.videoHeight))
    .toBeGreaterThan(0);
  await expect.poll(() => video.evaluate((v: HTMLVideoElement) => v.currentTime)).toBeGreaterThan(0);

  // Desktop: no torch or flash, and the shutter is big enough for a gloved finger.
  await expect(page.getByTestId('camera-torch')).toHaveCount(0);
  await expect(page.getByTestId('camera-flash')).toHaveCount(0);
  const box = await page.getByTestId('camera-shutter').boundingBox();
  expect(box!.width).toBeGreaterThanOrEqual(48);
  expect(box!.height).toBeGreaterThanOrEqual(48);
  expect(await smallTargets(page)).toEqual([]);
  await page.screenshot({ scale: 'css', path: `${shots}${info.project.name}-camera-live.png` });

  expect(await captures(page)).toEqual([]);
  await page.getByTestId('camera-shutter').click();
  await expect.poll(async () => (await captures(page)).length).toBe(1);
  const [sent] = await captures(page);
  expect(sent!.raw).toBe(true);
  expect(sent!.head.slice(0, 2)).toEqual([0xff, 0xd8]);
  expect(sent!.length).toBeGreaterThan(1000);
  expect(sent!.headers).toEqual({ 'x-wardcam-purpose': 'care' });
  await expect(page.getByTestId('camera-failure')).toHaveCount(0);
});

test('@live no file input and no download link anywhere', async ({ page }) => {
  await openCamera(page);
  await expect(page.getByTestId('camera-view')).toHaveAttribute('data-state', 'live');
  await expect(page.locator('input[type=file], input[capture], a[download]')).toHaveCount(0);
});

test('@live torch and flash appear only on phones', async ({ page }) => {
  await openCamera(page, { platform: 'android' });
  await expect(page.getByTestId('camera-torch')).toBeVisible();
  await expect(page.getByTestId('camera-flash')).toBeVisible();
});

test('@none says so when the device has no camera', async ({ page }, info) => {
  await openCamera(page);
  await expect(page.getByTestId('camera-view')).toHaveAttribute('data-state', 'no-camera');
  await expect(page.getByTestId('camera-message')).toHaveText('No camera found on this device.');
  await expect(page.getByTestId('camera-shutter')).toBeDisabled();
  await expect(page.getByTestId('camera-video')).toBeHidden();
  await page.screenshot({ scale: 'css', path: `${shots}${info.project.name}-camera-none.png` });
  expect(await captures(page)).toEqual([]);
});
