import { expect, test } from '@playwright/test';
import type { Fixture } from '../src/harness';
import type { Screen } from '../src/lib/types';
import { device, fixtures, offscreen, open, overflowX, shots, smallTargets } from './fixtures';

for (const scheme of ['light', 'dark'] as const) {
  for (const [screen, fixture] of Object.entries(fixtures) as [Screen, Fixture][]) {
    test(`${screen} screen fits the phone in ${scheme} theme`, async ({ page }, info) => {
      await page.emulateMedia({ colorScheme: scheme });
      await open(page, fixture);
      await expect(page.getByTestId(`screen-${screen}`)).toBeVisible();

      // Nothing scrolls sideways.
      expect(await overflowX(page)).toBeLessThanOrEqual(0);
      expect(await offscreen(page)).toEqual([]);

      // Gloved fingers: every target at least 48 x 48 CSS px.
      expect(await smallTargets(page)).toEqual([]);

      // The navigation offers exactly the screens core listed.
      const nav = await page.locator('[data-testid^="nav-"]').evaluateAll((els) =>
        els.map((e) => (e as HTMLElement).dataset.testid!.slice(4)).sort(),
      );
      expect(nav).toEqual(fixture.view.state === 'locked' ? [] : [...fixture.view.screens].sort());

      // The header says which patient is in session, and never while locked.
      const header = page.getByTestId('header-patient');
      if (fixture.view.state === 'locked') await expect(header).toHaveText('Locked');
      else await expect(header).toHaveText(fixture.patient?.nhs_number ?? 'No patient');

      // What is still on the phone comes straight from the view; nothing is shown while locked.
      if (fixture.view.state === 'locked') {
        await expect(page.getByTestId('header-pending')).toHaveCount(0);
        await expect(page.getByTestId('lock-button')).toHaveCount(0);
      } else {
        await expect(page.getByTestId('header-pending-count')).toHaveText(String(fixture.view.pending_photos));
        await expect(page.getByTestId('header-queued-count')).toHaveText(String(fixture.view.queued_photos));
        await expect(page.getByTestId('lock-button')).toBeVisible();
      }

      // The theme really applies: dark background in dark mode, light in light mode.
      const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
      const [r = 0, g = 0, b = 0] = bg.match(/\d+/g)!.map(Number);
      const luminance = (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255;
      if (scheme === 'dark') expect(luminance).toBeLessThan(0.3);
      else expect(luminance).toBeGreaterThan(0.7);

      await page.screenshot({ scale: 'css', path: `${shots}${info.project.name}-${screen}-${scheme}.png`, fullPage: true });
    });
  }
}

// The narrowest and widest phones in use: nothing scrolls sideways, every target stays large.
for (const [screen, fixture] of Object.entries(fixtures) as [Screen, Fixture][]) {
  test(`${screen} screen fits 360 and 430 px wide phones`, async ({ page }) => {
    await open(page, fixture);
    await expect(page.getByTestId(`screen-${screen}`)).toBeVisible();
    for (const width of [360, 430]) {
      await page.setViewportSize({ width, height: 740 });
      expect(await overflowX(page), `overflow at ${width}px`).toBeLessThanOrEqual(0);
      expect(await offscreen(page), `off screen at ${width}px`).toEqual([]);
      expect(await smallTargets(page), `small targets at ${width}px`).toEqual([]);
    }
  });
}

test('a refusal from core is shown with advice a clinician can act on', async ({ page }) => {
  await open(page, {
    ...fixtures.consent,
    view: { ...fixtures.consent.view, screens: ['patient', 'consent', 'capture', 'outbox', 'device'], home: 'capture' },
    errors: { session_start_capture: { code: 'session.consent_required', message: 'backend text' } },
  });
  await page.getByTestId('open-camera').click();
  const banner = page.getByTestId('error-banner');
  await expect(banner).toBeVisible();
  await expect(banner).toHaveAttribute('data-code', 'session.consent_required');
  await expect(banner).toContainText('Record consent before taking photos');
  expect(await smallTargets(page)).toEqual([]);
  await page.setViewportSize({ width: 360, height: 740 });
  expect(await overflowX(page)).toBeLessThanOrEqual(0);
  expect(await offscreen(page)).toEqual([]);
});

test('the Lock screen shows no patient data and asks for the PIN, or for a first PIN', async ({ page }) => {
  await open(page, { ...fixtures.lock, device: { ...device, development_unlock: false, build: 'release' } });
  await expect(page.getByTestId('screen-lock')).toBeVisible();
  await expect(page.getByTestId('unlock-development')).toHaveCount(0);
  await expect(page.getByTestId('unlock-pin')).toBeVisible();
  await expect(page.getByTestId('unlock-pin')).toHaveAttribute('type', 'password');
  await expect(page.getByTestId('lock-setup')).toHaveCount(0);
  await expect(page.getByTestId('lock-reason')).toHaveText('Locked after 2 minutes without use.');
  expect(await page.content()).not.toContain('943 476 5919');
  expect(await smallTargets(page)).toEqual([]);

  // A wait after wrong attempts is said, in seconds.
  await open(page, { ...fixtures.lock, gate: { set_up: true, failures: 4, wait_ms: 59_500 } });
  await expect(page.getByTestId('unlock-wait')).toHaveText('Too many wrong attempts. Wait 60 second(s) before trying again.');

  // The first start: name and the PIN twice.
  await open(page, { ...fixtures.lock, gate: { set_up: false, failures: 0, wait_ms: 0 } });
  await expect(page.getByTestId('lock-setup')).toBeVisible();
  await expect(page.getByTestId('unlock-pin')).toHaveCount(0);
  expect(await smallTargets(page)).toEqual([]);
});

test('the Device screen shows where the vault key is, or why the vault cannot open', async ({ page }) => {
  await open(page, fixtures.device);
  await expect(page.getByTestId('vault-status')).toHaveText('Open: 0 items, key in Secret Service store');
  await open(page, {
    ...fixtures.device,
    vault: {
      state: 'unavailable',
      error: { code: 'vault.keystore_missing', message: 'No keystore answered. Ask your device manager to check the phone.' },
    },
  });
  await expect(page.getByTestId('vault-status')).toHaveText(
    'Unavailable: No keystore answered. Ask your device manager to check the phone.',
  );
  expect(await overflowX(page)).toBeLessThanOrEqual(0);
});
