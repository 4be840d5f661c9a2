import { expect, test, type Page } from '@playwright/test';
import { fileURLToPath } from 'node:url';
import type { Fixture } from '../src/harness';
import type { Screen, SessionView } from '../src/lib/types';

/** Screenshots go to the repo's target/playwright/, whatever the working directory. */
const shots = fileURLToPath(new URL('../../target/playwright/', import.meta.url));

const device = { app_version: '0.1.0', build: 'debug' as const, development_unlock: true, idle_timeout_ms: 120000, platform: 'linux' };
const base: SessionView = {
  state: 'unlocked',
  lock_reason: null,
  patient: null,
  consented_purposes: null,
  pending_photos: 0,
  queued_photos: 0,
  screens: ['patient', 'outbox', 'device'],
  home: 'patient',
  idle_timeout_ms: 120000,
};
const patient = { nhs_number: '943 476 5919', source: 'manual_entry' as const, verified: false };

/** One fixture per screen: the view core would return when that screen is home. */
const fixtures: Record<Screen, Fixture> = {
  lock: { view: { ...base, state: 'locked', lock_reason: 'idle', screens: ['lock'], home: 'lock' }, patient: null, device },
  patient: { view: base, patient: null, device },
  consent: {
    view: { ...base, state: 'patient_confirmed', patient: 1, screens: ['patient', 'consent', 'outbox', 'device'], home: 'consent' },
    patient,
    device,
  },
  capture: {
    view: { ...base, state: 'consented', patient: 1, consented_purposes: ['care'], screens: ['patient', 'consent', 'capture', 'outbox', 'device'], home: 'capture' },
    patient,
    device,
  },
  review: {
    view: { ...base, state: 'reviewing', patient: 1, consented_purposes: ['care'], pending_photos: 2, screens: ['patient', 'consent', 'capture', 'review', 'outbox', 'device'], home: 'review' },
    patient,
    device,
  },
  outbox: {
    view: { ...base, state: 'queued', patient: 1, consented_purposes: ['care'], queued_photos: 3, screens: ['patient', 'consent', 'capture', 'outbox', 'device'], home: 'outbox' },
    patient,
    device,
  },
  device: { view: { ...base, home: 'device' }, patient: null, device },
};

async function open(page: Page, fixture: Fixture) {
  await page.addInitScript((f) => {
    (window as unknown as { __WARDCAM_FIXTURE__: unknown }).__WARDCAM_FIXTURE__ = f;
  }, fixture);
  await page.goto('/harness.html');
}

/** Every visible control a finger must hit, with its size. */
async function smallTargets(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const small: string[] = [];
    for (const el of document.querySelectorAll<HTMLElement>('button, input, a, [role="button"]')) {
      const r = el.getBoundingClientRect();
      if (r.width === 0 && r.height === 0) continue;
      if (r.width < 48 || r.height < 48) {
        small.push(`${el.tagName} ${el.dataset.testid ?? el.textContent?.trim()} ${r.width}x${r.height}`);
      }
    }
    return small;
  });
}

for (const scheme of ['light', 'dark'] as const) {
  for (const [screen, fixture] of Object.entries(fixtures) as [Screen, Fixture][]) {
    test(`${screen} screen fits the phone in ${scheme} theme`, async ({ page }, info) => {
      await page.emulateMedia({ colorScheme: scheme });
      await open(page, fixture);
      await expect(page.getByTestId(`screen-${screen}`)).toBeVisible();

      // Nothing scrolls sideways.
      const overflow = await page.evaluate(() => document.scrollingElement!.scrollWidth - window.innerWidth);
      expect(overflow).toBeLessThanOrEqual(0);

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

      // The theme really applies: dark background in dark mode, light in light mode.
      const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
      const [r = 0, g = 0, b = 0] = bg.match(/\d+/g)!.map(Number);
      const luminance = (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255;
      if (scheme === 'dark') expect(luminance).toBeLessThan(0.3);
      else expect(luminance).toBeGreaterThan(0.7);

      await page.screenshot({ path: `${shots}${info.project.name}-${screen}-${scheme}.png`, fullPage: true });
    });
  }
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
});

test('the Lock screen shows no patient data and offers the development unlock only when allowed', async ({ page }) => {
  await open(page, { ...fixtures.lock, device: { ...device, development_unlock: false, build: 'release' } });
  await expect(page.getByTestId('screen-lock')).toBeVisible();
  await expect(page.getByTestId('unlock-development')).toHaveCount(0);
  await expect(page.getByTestId('lock-reason')).toHaveText('Locked after 2 minutes without use.');
  expect(await page.content()).not.toContain('943 476 5919');
});
