// Accessibility (WCAG 2.2 AA) at both phone sizes, over the mocked backend: axe-core over every screen
// and state the harness can show, in the light and the dark theme; text at 200% without loss; focus
// order, names and where focus lands after a screen change, as a screen reader user meets them.
//
// One test per screen walks it through its states, by taps where the harness allows (a new page
// only where the backend's answer must differ), and checks each state in both themes: the theme
// follows prefers-color-scheme live (light-dark() in app.css), so no reload between the two.
import AxeBuilder from '@axe-core/playwright';
import { expect, test, type Page } from '@playwright/test';
import type { Fixture } from '../src/harness';
import type { DeviceStatus, ErrorPayload, PasscodeStatus, PhotoSummary, SentView, WipeStatus } from '../src/lib/types';
import { HEEL, SACRUM, photo, sharp } from '../src/lib/testing/views';
import {
  blockedPatient,
  device,
  drawSignature,
  fixtures,
  handOver,
  offscreen,
  open,
  outboxPhotos,
  overflowX,
  patient,
  verifiedPatient,
  consentViews,
} from './fixtures';

const WCAG = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'];
const SCHEMES = ['light', 'dark'] as const;

// Many states per test on a shared, busy machine: more time than the default 30 s.
test.describe.configure({ timeout: 120_000 });

/** Only colours change between the themes (each colour is a light-dark() pair in app.css), so the
 * second theme re-runs only the rules that read colours. */
const COLOUR_RULES = ['color-contrast', 'link-in-text-block'];

/** The serious and critical axe violations on the page as it stands, one line per rule and element. */
async function axeProblems(page: Page, rules?: string[]): Promise<string[]> {
  // Legacy mode runs axe in the page itself: the harness has no frames, and the default mode's blank
  // page for gathering frame results tripled the time of each run.
  const axe = new AxeBuilder({ page }).setLegacyMode(true).options({ resultTypes: ['violations', 'incomplete'] });
  const { violations, incomplete } = await (rules ? axe.withRules(rules) : axe.withTags(WCAG)).analyze();
  const serious = (v: { impact?: string | null }) => v.impact === 'serious' || v.impact === 'critical';
  // A contrast axe could not measure (text over an image, an overlapping element) is not a pass:
  // it is listed too, so that nothing is skipped silently.
  const unmeasured = incomplete.filter((v) => v.id === 'color-contrast' && serious(v));
  return [
    ...violations.filter(serious).flatMap((v) => v.nodes.map((n) => `${v.id} (${v.impact}) at ${n.target.join(' ')}`)),
    ...unmeasured.flatMap((v) => v.nodes.map((n) => `${v.id} not measurable at ${n.target.join(' ')}: ${n.any[0]?.message ?? ''}`)),
  ];
}

/** Runs axe over the whole page in both themes and records what fails under the state's name.
 * The window is made as tall as the page while axe runs: otherwise whatever the sticky top bar and
 * bottom navigation happen to cover at this scroll position counts as an obscured target
 * (target-size), though the user scrolls it clear. */
async function audit(page: Page, state: string, problems: string[]) {
  const phone = page.viewportSize()!;
  // Sized again until the page stops growing: the camera preview is sized from the viewport's
  // height (vh), so a taller window makes a taller page.
  let height = phone.height;
  for (let i = 0; i < 4; i++) {
    const needed = await page.evaluate(() => document.documentElement.scrollHeight);
    if (needed <= height) break;
    height = needed;
    await page.setViewportSize({ width: phone.width, height });
  }
  // From the top, as the whole page now fits: a tap lower down may have scrolled it.
  await page.evaluate(() => window.scrollTo(0, 0));
  for (const scheme of SCHEMES) {
    await page.emulateMedia({ colorScheme: scheme });
    const found = await axeProblems(page, scheme === SCHEMES[0] ? undefined : COLOUR_RULES);
    for (const p of found) problems.push(`${state} [${scheme}]: ${p}`);
  }
  if (height > phone.height) await page.setViewportSize(phone);
}

/** Fails with every state's violations listed (rule id and element), not just the first. */
function noProblems(problems: string[]) {
  expect(problems, `serious or critical axe violations:\n${problems.join('\n')}`).toEqual([]);
}

// ---------------------------------------------------------------------------------------------
// The states, screen by screen.

const ID1 = '6f1d7a52-0c3e-4b8e-9a41-000000000001';
const ID2 = '6f1d7a52-0c3e-4b8e-9a41-000000000002';
const [earlierQueued, , current] = outboxPhotos as [PhotoSummary, PhotoSummary, PhotoSummary];

function passcodeBlocked(): PasscodeStatus {
  return {
    report: { platform: 'android', lock_screen: 'insecure', complexity: 'none', development_platform: false },
    decision: 'no_passcode',
    allowed: false,
    required: 'low',
  };
}

const wiped: WipeStatus = {
  installation: null,
  wiped: true,
  report: {
    source: 'signed_command',
    request: 'ab'.repeat(16),
    installation: '0123456789abcdef0123456789abcdef',
    started_at: 1_790_000_000_000,
    finished_at: 1_790_000_000_500,
    items: 12,
    audit: { seq: 41, at: 1_790_000_000_100, event: { type: 'wiped', source: 'signed_command', items: 12 }, prev: '0'.repeat(64) },
    acknowledged: false,
  },
};

test('lock, PIN set-up, provisioning, no passcode and wiped pass axe in both themes', async ({ page }) => {
  const problems: string[] = [];
  await open(page, { ...fixtures.lock, gate: { set_up: true, failures: 4, wait_ms: 30_000 } });
  await expect(page.getByTestId('unlock-wait')).toBeVisible();
  await audit(page, 'lock: PIN, wait after wrong attempts', problems);

  await open(page, { ...fixtures.lock, gate: { set_up: false, failures: 0, wait_ms: 0 } });
  await page.getByTestId('pin-first').fill('123456');
  await page.getByTestId('pin-second').fill('654321');
  await page.getByTestId('pin-name').fill('Dr A');
  await page.getByTestId('pin-save').click();
  await expect(page.getByTestId('pin-mismatch')).toBeVisible();
  await audit(page, 'lock: PIN set-up, mismatch', problems);

  await open(page, {
    ...fixtures.lock,
    device: {
      ...device,
      provision: {
        provisioned: false,
        trust: null,
        ods_code: null,
        version: null,
        source: null,
        blocked: { code: 'provision.none', message: 'This phone has no policy from a trust. Ask your device manager.' },
        refused: { code: 'provision.bad_signature', message: 'The code is not signed by a trusted key.' },
        accepts_codes: true,
        restart_needed: false,
      },
    },
  });
  await expect(page.getByTestId('provision-panel')).toBeVisible();
  await audit(page, 'lock: provisioning', problems);

  await open(page, { ...fixtures.lock, passcode: passcodeBlocked() });
  await expect(page.getByTestId('screen-no-passcode')).toBeVisible();
  await audit(page, 'no passcode', problems);

  await open(page, { ...fixtures.lock, wipe: wiped });
  await expect(page.getByTestId('screen-wiped')).toBeVisible();
  await audit(page, 'wiped', problems);
  noProblems(problems);
});

test('the patient screen passes axe in every state, in both themes', async ({ page }) => {
  const problems: string[] = [];
  await open(page, {
    ...fixtures.patient,
    pin: { ready: true, set: false, clinician: null, failures: 0, disabled: false, development_unlock: true },
  });
  await expect(page.getByTestId('pin-setup')).toBeVisible();
  await audit(page, 'patient: empty, clinician PIN set-up below', problems);

  await open(page, fixtures.patient);
  await page.getByTestId('nhs-first').fill('943 476');
  await expect(page.getByTestId('nhs-feedback')).toContainText('10 digits');
  await page.getByTestId('scan-text').fill('x');
  await audit(page, 'patient: invalid number feedback', problems);

  await open(page, { ...fixtures.patient, candidate: verifiedPatient });
  await expect(page.getByTestId('patient-confirm')).toBeVisible();
  await audit(page, 'patient: verified candidate to confirm', problems);

  await open(page, { ...fixtures.patient, candidate: patient });
  await expect(page.getByTestId('patient-candidate-unverified')).toBeVisible();
  await audit(page, 'patient: unverified candidate', problems);

  await open(page, { ...fixtures.patient, candidate: blockedPatient });
  await expect(page.getByTestId('patient-candidate-blocked')).toBeVisible();
  await audit(page, 'patient: blocked candidate', problems);

  await open(page, {
    ...fixtures.patient,
    errors: { patient_identify_scan: { code: 'patient.unreadable_band', message: 'The band could not be read.' } },
  });
  await page.getByTestId('scan-text').fill('garbage');
  await page.getByTestId('scan-read').click();
  await expect(page.getByTestId('error-banner')).toBeVisible();
  await audit(page, 'patient: error banner', problems);

  await open(page, fixtures.consent);
  await page.getByTestId('nav-patient').click();
  await expect(page.getByTestId('patient-current')).toBeVisible();
  await audit(page, 'patient: in session', problems);
  noProblems(problems);
});

const { kiosk, signedInKiosk, consented } = consentViews;
const consentFlow: Fixture = {
  ...fixtures.consent,
  answers: {
    consent_hand_to_patient: { view: kiosk },
    consent_record: { view: signedInKiosk },
    consent_hand_back: { view: consented },
  },
};

test('the consent screen passes axe in every state, in both themes', async ({ page }) => {
  const problems: string[] = [];
  await open(page, consentFlow);
  await expect(page.getByTestId('screen-consent')).toBeVisible();
  await audit(page, 'consent: choices', problems);

  await page.getByTestId('consent-how-verbal').click();
  await expect(page.getByTestId('consent-witness')).toBeVisible();
  await audit(page, 'consent: verbal', problems);

  await page.getByTestId('consent-who-representative').click();
  await expect(page.getByTestId('consent-rep-name')).toBeVisible();
  await audit(page, 'consent: representative', problems);

  await page.getByTestId('consent-who-best_interests').click();
  await page.getByTestId('consent-how-signature').click();
  await expect(page.getByTestId('consent-bi-reason')).toBeVisible();
  await audit(page, 'consent: best interests', problems);

  await page.getByTestId('consent-who-patient').click();
  await handOver(page);
  await audit(page, 'consent: kiosk reading and signing', problems);

  await drawSignature(page);
  await page.getByTestId('consent-sign').click();
  await expect(page.getByTestId('consent-hand-back')).toBeVisible();
  await audit(page, 'consent: hand-back', problems);

  await page.getByTestId('hand-back-pin').fill('246810');
  await page.getByTestId('hand-back-submit').click();
  // Taken back: the app goes on to the camera; the record of consent is on the Consent screen.
  await expect(page.getByTestId('screen-capture')).toBeVisible();
  await page.getByTestId('nav-consent').click();
  await expect(page.getByTestId('consent-recorded')).toBeVisible();
  await audit(page, 'consent: recorded', problems);

  await page.getByTestId('consent-withdraw').click();
  await expect(page.getByTestId('consent-withdraw-confirm')).toBeVisible();
  await audit(page, 'consent: withdraw confirm', problems);
  noProblems(problems);
});

test('capture passes axe before and with the camera open, and with the label under it, in both themes', async ({ page }) => {
  const problems: string[] = [];
  const purposes = { consented_purposes: ['care' as const, 'teaching' as const] };
  const capture: Fixture = {
    ...fixtures.capture,
    view: { ...fixtures.capture.view, ...purposes },
    answers: { session_start_capture: { view: { ...fixtures.capture.view, ...purposes, state: 'capturing' } } },
  };
  // "Open camera" shows where the camera does not open by itself: after photos were queued.
  await open(page, { ...capture, view: { ...capture.view, state: 'queued', queued_photos: 1 } });
  await expect(page.getByTestId('open-camera')).toBeVisible();
  await audit(page, 'capture: before the camera', problems);
  // The phone projects have no camera: the camera's own message first.
  await page.getByTestId('open-camera').click();
  await expect(page.getByTestId('camera-message')).toBeVisible();
  await audit(page, 'capture: camera open, no camera found', problems);

  // Then a live preview, from a canvas standing in for the camera, with the shutter enabled:
  // consent recorded, the camera opens by itself.
  await page.addInitScript(() => {
    navigator.mediaDevices.getUserMedia = async () => {
      const canvas = Object.assign(document.createElement('canvas'), { width: 640, height: 480 });
      const ctx = canvas.getContext('2d')!;
      ctx.fillStyle = '#a0522d';
      ctx.fillRect(0, 0, 640, 480);
      return canvas.captureStream(5);
    };
  });
  await open(page, capture);
  await expect(page.getByTestId('camera-shutter')).toBeEnabled();
  await audit(page, 'capture: camera open, live preview', problems);

  // A photo taken: its label under the preview, with the sides of a paired site.
  await open(page, {
    ...capture,
    view: { ...capture.view, state: 'capturing', pending_photos: 1 },
    photos: [photo(ID1)],
    sites: [HEEL, SACRUM],
    suggestions: { same: { site: SACRUM, laterality: 'not_applicable' }, sites: [HEEL, SACRUM] },
  });
  await expect(page.getByTestId('quick-label')).toBeVisible();
  await audit(page, 'capture: label under the preview', problems);
  await page.getByTestId(`quick-site-${HEEL.code}`).click();
  await expect(page.getByTestId('quick-side-left')).toBeVisible();
  await audit(page, 'capture: paired site, side to choose', problems);
  noProblems(problems);
});

test('review passes axe with a photo to label and in the redaction editor, in both themes', async ({ page }) => {
  const problems: string[] = [];
  await open(page, {
    ...fixtures.review,
    photos: [photo(ID1), photo(ID2, { quality: { ...sharp, sharpness: 7, blurred: true } })],
    sites: [HEEL, SACRUM],
  });
  await expect(page.getByTestId(`photo-${ID1}`)).toBeVisible();
  await page.getByTestId(`site-search-${ID2}`).fill('e');
  await expect(page.getByTestId(`site-option-${HEEL.code}`)).toBeVisible();
  await audit(page, 'review: photos to label, search results', problems);

  await page.getByTestId(`site-option-${HEEL.code}`).click();
  await expect(page.getByTestId(`side-left-${ID2}`)).toBeVisible();
  await audit(page, 'review: paired site, side to choose', problems);

  await page.getByTestId(`redact-${ID1}`).click();
  await expect(page.getByTestId('redact-frame')).toBeVisible();
  await audit(page, 'review: redaction editor', problems);
  noProblems(problems);
});

const unreachable: ErrorPayload = { code: 'endpoint.unreachable', message: 'The hospital server did not answer.' };
const refused: ErrorPayload = {
  code: 'delivery.server_refused',
  message: 'The hospital server refused this photo. Tell IT; it stays on this phone.',
};
const SENT_ID = 'd2a6f0c4-6b1e-4c55-9a3e-0f7b2c9d4e10';
const receipt: SentView = {
  photo: SENT_ID,
  sent_at: Date.now(),
  body_site: HEEL,
  laterality: 'left',
  server: 'https://pacs.example.nhs.uk/dicom-web',
  servers: ['https://pacs.example.nhs.uk/dicom-web'],
  sop_uid: '2.25.123456789012345678901234567890',
  document_reference: null,
};

test('the outbox passes axe empty, queued, delivered and failed, in both themes', async ({ page }) => {
  const problems: string[] = [];
  await open(page, { ...fixtures.patient, photos: [] });
  await page.getByTestId('nav-outbox').click();
  await expect(page.getByTestId('outbox-empty')).toBeVisible();
  await audit(page, 'outbox: empty', problems);

  await open(page, fixtures.outbox);
  await expect(page.getByTestId('outbox-count')).toHaveText('3');
  await audit(page, 'outbox: queued', problems);
  await page.getByTestId(`outbox-withdraw-${earlierQueued.id}`).click();
  await expect(page.getByTestId(`outbox-withdraw-confirm-${earlierQueued.id}`)).toBeVisible();
  await audit(page, 'outbox: withdraw confirm', problems);

  const failed: PhotoSummary = {
    ...current,
    delivery: { attempts: 3, retry_at: Date.now() + 120_000, problem: unreachable, hold: null },
  };
  const held: PhotoSummary = {
    ...earlierQueued,
    state: 'held',
    delivery: { attempts: 1, retry_at: null, problem: refused, hold: refused },
  };
  await open(page, {
    ...fixtures.outbox,
    photos: [held, failed],
    outbox: { last_problem: unreachable, next_retry_at: Date.now() + 120_000, sent: [receipt] },
  });
  await expect(page.getByTestId(`outbox-problem-${failed.id}`)).toBeVisible();
  await expect(page.getByTestId(`outbox-sent-${SENT_ID}`)).toBeVisible();
  await audit(page, 'outbox: delivered, failed and held', problems);
  noProblems(problems);
});

const status: DeviceStatus = {
  reported_at: 1_790_000_000_000,
  app_version: '1.4.2',
  locked: false,
  policy: { version: 7, trust: 'Example Hospitals NHS Foundation Trust', ods_code: 'RX1', sha256: 'a1b2c3d4e5f6'.repeat(5), source: 'managed' },
  passcode: null,
  queue: { total: 3, captured: 0, queued: 2, sending: 0, uploaded: 0, held: 1, withdrawn: 0 },
  oldest_undelivered_age_ms: 26 * 3_600_000,
  last_delivery_at: 1_790_000_000_000 - 7_200_000,
  audit: { entries: 42, seq: 41, hash: '3f2a9c1b7d0e5a6b'.repeat(4), intact: false, lost: 0 },
  audit_problem: null,
  wipe: null,
  wipe_problem: null,
};

test('the device screen passes axe with its status, audit log, PIN change and wipe, in both themes', async ({ page }) => {
  const problems: string[] = [];
  await open(page, {
    ...fixtures.device,
    deviceStatus: status,
    wipe: { installation: '0123456789abcdef0123456789abcdef', report: null, wiped: false },
  });
  await expect(page.getByTestId('device-health')).toBeVisible();
  await expect(page.getByTestId('audit-log')).toBeVisible();
  await audit(page, 'device: status and audit log', problems);

  await page.getByTestId('pin-change').click();
  await expect(page.getByTestId('pin-old')).toBeVisible();
  await page.getByTestId('wipe-code').fill('WCW1:abc.def');
  await page.getByTestId('wipe-apply').click();
  await expect(page.getByTestId('wipe-confirm')).toBeVisible();
  await audit(page, 'device: PIN change and wipe confirm', problems);
  noProblems(problems);
});

// ---------------------------------------------------------------------------------------------
// Text at 200% (WCAG 1.4.4, 1.4.10): the app's sizes are in rem from the root's 18 px, so doubling
// the root doubles the text, as the phone's largest text setting does.

/** Doubles the root font size the app's rem sizes follow. */
async function doubleText(page: Page) {
  await page.evaluate(() => {
    const root = document.documentElement;
    root.style.fontSize = `${parseFloat(getComputedStyle(root).fontSize) * 2}px`;
  });
}

/** Elements whose content is cut off: wider or taller than their box while their overflow is
 * hidden or clipped (an ellipsis included). Fields scroll their own text, so they are left out. */
async function clipped(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const out: string[] = [];
    for (const el of document.body.querySelectorAll<HTMLElement>('*')) {
      if (el.matches('input, textarea, select, img, video, canvas')) continue;
      if (el.getClientRects().length === 0) continue;
      const s = getComputedStyle(el);
      const hides = (o: string) => o === 'hidden' || o === 'clip';
      const x = hides(s.overflowX) && el.scrollWidth > el.clientWidth + 1;
      const y = hides(s.overflowY) && el.scrollHeight > el.clientHeight + 1;
      if (x || y) {
        out.push(`${el.tagName} ${el.dataset.testid ?? el.className}: ${el.scrollWidth}x${el.scrollHeight} in ${el.clientWidth}x${el.clientHeight}`);
      }
    }
    return out;
  });
}

/** Doubles the text and records what no longer fits: sideways scrolling, anything past the
 * window's edges, and clipped text. */
async function at200(page: Page, state: string, problems: string[]) {
  await doubleText(page);
  const over = await overflowX(page);
  if (over > 1) problems.push(`${state}: the page scrolls sideways by ${over}px`);
  // The outermost few are enough to find the cause; their children follow them off screen.
  const out = await offscreen(page);
  if (out.length > 0) problems.push(`${state}: ${out.length} element(s) off screen, first: ${out.slice(0, 3).join('; ')}`);
  for (const c of await clipped(page)) problems.push(`${state}: clipped: ${c}`);
}

function fits(problems: string[]) {
  expect(problems, `content lost at 200% text:\n${problems.join('\n')}`).toEqual([]);
}

test('text at 200%: lock, no passcode, wiped, patient, consent and device lose nothing', async ({ page }) => {
  const problems: string[] = [];
  await open(page, fixtures.lock);
  await expect(page.getByTestId('unlock-pin')).toBeVisible();
  await at200(page, 'lock', problems);
  await open(page, { ...fixtures.lock, gate: { set_up: false, failures: 0, wait_ms: 0 } });
  await expect(page.getByTestId('lock-setup')).toBeVisible();
  await at200(page, 'lock: PIN set-up', problems);
  await open(page, { ...fixtures.lock, passcode: passcodeBlocked() });
  await expect(page.getByTestId('screen-no-passcode')).toBeVisible();
  await at200(page, 'no passcode', problems);
  await open(page, { ...fixtures.lock, wipe: wiped });
  await expect(page.getByTestId('screen-wiped')).toBeVisible();
  await at200(page, 'wiped', problems);

  await open(page, fixtures.patient);
  await expect(page.getByTestId('nhs-first')).toBeVisible();
  await at200(page, 'patient: identify', problems);
  await open(page, { ...fixtures.patient, candidate: verifiedPatient });
  await expect(page.getByTestId('patient-confirm')).toBeVisible();
  await at200(page, 'patient: candidate', problems);

  await open(page, consentFlow);
  await expect(page.getByTestId('screen-consent')).toBeVisible();
  await at200(page, 'consent: choices', problems);
  await page.evaluate(() => document.documentElement.style.removeProperty('font-size'));
  await handOver(page);
  await at200(page, 'consent: kiosk', problems);

  await open(page, { ...fixtures.device, deviceStatus: status });
  await expect(page.getByTestId('device-health')).toBeVisible();
  await at200(page, 'device', problems);
  fits(problems);
});

test('text at 200%: capture and review lose nothing', async ({ page }) => {
  const problems: string[] = [];
  await open(page, { ...fixtures.capture, view: { ...fixtures.capture.view, state: 'capturing', pending_photos: 1 }, photos: [photo(ID1)], sites: [HEEL, SACRUM] });
  await expect(page.getByTestId('quick-label')).toBeVisible();
  await page.getByTestId(`quick-site-${HEEL.code}`).click();
  await at200(page, 'capture', problems);
  await open(page, { ...fixtures.review, photos: [photo(ID1)], sites: [HEEL] });
  await expect(page.getByTestId(`photo-${ID1}`)).toBeVisible();
  await at200(page, 'review', problems);
  fits(problems);
});

test('text at 200%: the outbox loses nothing', async ({ page }) => {
  const problems: string[] = [];
  await open(page, { ...fixtures.outbox, outbox: { sent: [receipt] } });
  await expect(page.getByTestId('outbox-count')).toHaveText('3');
  await at200(page, 'outbox', problems);
  fits(problems);
});

// ---------------------------------------------------------------------------------------------
// Focus order and names, as a keyboard or screen reader user meets them.

/** What can take focus with Tab, before the hidden ones are left out. */
const TABBABLE = 'a[href], button:not(:disabled), input:not(:disabled), select:not(:disabled), textarea:not(:disabled), [tabindex]:not([tabindex="-1"])';

/** Marks each tab stop (visible, in DOM order) with data-tab-stop="n" and says where each is drawn
 * (page coordinates, the window as tall as the page so the sticky bars sit where they are in the
 * flow) and what it is called in messages (its test id, id or text). */
async function tabStops(page: Page) {
  const phone = page.viewportSize()!;
  const height = await page.evaluate(() => document.documentElement.scrollHeight);
  await page.setViewportSize({ width: phone.width, height: Math.max(phone.height, height) });
  const stops = await page.evaluate((selector) =>
    [...document.querySelectorAll<HTMLElement>(selector)]
      .filter((el) => el.tabIndex >= 0 && el.getClientRects().length > 0)
      .map((el, i) => {
        el.dataset.tabStop = String(i);
        const r = el.getBoundingClientRect();
        const name = el.dataset.testid || el.id || (el.textContent ?? '').trim().slice(0, 30) || el.tagName;
        return { name, top: r.top + scrollY, bottom: r.bottom + scrollY, left: r.left };
      }),
  TABBABLE);
  await page.setViewportSize(phone);
  return stops;
}

/** Tabs from the first stop through every one: each must be the next in DOM order, the DOM order
 * must be the visual order (top to bottom; left to right on one line), and each control must have
 * an accessible name. */
async function tabsInOrder(page: Page) {
  const stops = await tabStops(page);
  expect(stops.length).toBeGreaterThan(3);
  for (let i = 1; i < stops.length; i++) {
    const [a, b] = [stops[i - 1]!, stops[i]!];
    const sameLine = b.top < a.bottom && a.top < b.bottom;
    expect(sameLine ? b.left >= a.left : b.top >= a.top, `${b.name} is drawn before ${a.name} but comes after it`).toBe(true);
  }
  // Focus the first stop itself: a blur would leave Chromium's starting point where focus was.
  await page.locator('[data-tab-stop="0"]').focus();
  const reached: string[] = [];
  for (let i = 0; i < stops.length; i++) {
    if (i > 0) await page.keyboard.press('Tab');
    const focused = page.locator(':focus');
    await expect(focused, `tab stop ${i + 1} (${stops[i]!.name}) has no accessible name`).toHaveAccessibleName(/\S/);
    const at = await focused.getAttribute('data-tab-stop');
    reached.push(at === null ? 'something that is not a tab stop' : stops[Number(at)]!.name);
  }
  expect(reached).toEqual(stops.map((s) => s.name));
}

/** The bottom navigation marks the screen shown, and only it, as the current page. */
async function currentInNav(page: Page, screen: string) {
  await expect(page.getByTestId(`nav-${screen}`)).toHaveAttribute('aria-current', 'page');
  await expect(page.locator('nav [aria-current]')).toHaveCount(1);
}

test('the patient and consent screens tab in visual order through named controls', async ({ page }) => {
  await open(page, fixtures.patient);
  await expect(page.getByTestId('nhs-first')).toBeVisible();
  await page.getByTestId('scan-text').fill('x');
  await currentInNav(page, 'patient');
  await tabsInOrder(page);

  await open(page, consentFlow);
  await expect(page.getByTestId('screen-consent')).toBeVisible();
  await page.getByTestId('consent-how-verbal').click();
  await page.getByTestId('consent-who-representative').click();
  await currentInNav(page, 'consent');
  await tabsInOrder(page);
});

test('after a screen change focus moves to the new screen\'s heading', async ({ page }) => {
  await open(page, { ...fixtures.lock, answers: { session_unlock: { view: fixtures.patient.view } } });
  await page.getByTestId('unlock-pin').fill('482916');
  await page.keyboard.press('Enter');
  // Unlocked by core: the Patient screen, announced by its heading.
  await expect(page.getByRole('heading', { level: 1, name: 'Identify the patient' })).toBeFocused();
  await currentInNav(page, 'patient');

  // From the navigation with the keyboard, as a screen reader user moves.
  await page.getByTestId('nav-outbox').focus();
  await page.keyboard.press('Enter');
  await expect(page.getByRole('heading', { level: 1, name: 'Outbox' })).toBeFocused();
  await currentInNav(page, 'outbox');
  await page.getByTestId('nav-device').click();
  await expect(page.getByRole('heading', { level: 1, name: 'Device' })).toBeFocused();
  await currentInNav(page, 'device');
  // The heading is focusable from script only: no extra tab stop.
  await expect(page.getByRole('heading', { level: 1, name: 'Device' })).toHaveAttribute('tabindex', '-1');
});
