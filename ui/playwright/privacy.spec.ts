// Keyboards and clipboard (issue 16, item 6): every field that can hold patient or clinician data
// tells the keyboard not to learn, correct or suggest (autocomplete, autocorrect, autocapitalize
// off, no spellcheck), PIN fields take passphrases too (no digits-only keyboard), and the patient's
// identifiers on screen cannot be selected or copied.
import { expect, test, type Page } from '@playwright/test';
import type { Fixture } from '../src/harness';
import type { PatientSummary, Screen, SessionView } from '../src/lib/types';
import { HEEL, photo } from '../src/lib/testing/views';
import { consentText, fixtures, open, outboxPhotos, patient, verifiedPatient } from './fixtures';

const ID1 = '6f1d7a52-0c3e-4b8e-9a41-000000000001';
const confirmed = fixtures.consent.view;
const kioskSigned: SessionView = {
  ...confirmed,
  state: 'consented',
  consented_purposes: ['care'],
  kiosk: true,
  screens: ['consent'],
  home: 'consent',
};
const pinNotSet = { ready: true, set: false, clinician: null, failures: 0, disabled: false, development_unlock: false };
/** A patient the record does not know, with a hospital number too: every identifier on the card. */
const notFound: PatientSummary = {
  ...verifiedPatient,
  local_id: 'RX1 0012345',
  status: 'needs_override',
  reason: { code: 'patient.record_not_found', message: 'No patient with this NHS number was found in the record.' },
  verified: false,
  offers: { confirm: false, override: true },
};

/** Opens the harness and waits for `testid`; longer than the default wait, since when this file
 * runs alone its first page waits for Vite's first build. */
async function openAt(page: Page, fixture: Fixture, testid: string) {
  await open(page, fixture);
  await expect(page.getByTestId(testid)).toBeVisible({ timeout: 20_000 });
}

/** A place in the UI with fields: how to get there, and the fields it must show. */
interface Place {
  name: string;
  fixture: Fixture;
  screen: Screen;
  then?: (page: Page) => Promise<void>;
  fields: string[];
}

const places: Place[] = [
  { name: 'identify the patient', fixture: fixtures.patient, screen: 'patient', fields: ['nhs-first', 'nhs-second', 'scan-text'] },
  {
    name: 'override the record check',
    fixture: { ...fixtures.patient, candidate: notFound },
    screen: 'patient',
    fields: ['override-detail', 'override-reason-record_system_down'],
  },
  {
    name: 'a representative consents',
    fixture: { ...fixtures.consent, consentText },
    screen: 'consent',
    then: (page) => page.getByTestId('consent-who-representative').click(),
    fields: ['consent-rep-name', 'consent-rep-relationship'],
  },
  {
    name: 'best interests, verbal and witnessed',
    fixture: { ...fixtures.consent, consentText },
    screen: 'consent',
    then: async (page) => {
      await page.getByTestId('consent-who-best_interests').click();
      await page.getByTestId('consent-how-verbal').click();
    },
    fields: ['consent-bi-reason', 'consent-witness'],
  },
  {
    name: 'the clinician takes the phone back',
    fixture: { ...fixtures.consent, view: kioskSigned, consentText },
    screen: 'consent',
    fields: ['hand-back-pin'],
  },
  {
    name: 'the first PIN and the clinician name',
    fixture: { ...fixtures.patient, pin: pinNotSet },
    screen: 'patient',
    fields: ['pin-name', 'pin-first', 'pin-second', 'nhs-first', 'nhs-second', 'scan-text'],
  },
  {
    name: 'changing the PIN',
    fixture: fixtures.device,
    screen: 'device',
    then: (page) => page.getByTestId('pin-change').click(),
    fields: ['pin-name', 'pin-old', 'pin-first', 'pin-second'],
  },
  {
    name: 'labelling a photo',
    fixture: { ...fixtures.review, photos: [photo(ID1)], sites: [HEEL] },
    screen: 'review',
    fields: [`site-search-${ID1}`, `desc-${ID1}`],
  },
  ...(Object.entries(fixtures) as [Screen, Fixture][]).map(([screen, fixture]) => ({
    name: `the ${screen} screen`,
    fixture,
    screen,
    fields: [],
  })),
];

/** Every <input> and <textarea> on the page, by test id, with what is wrong with it. Radio buttons
 * and the like hold no typed text, so the keyboard never sees them. */
async function fieldProblems(page: Page): Promise<{ seen: string[]; problems: string[] }> {
  return page.evaluate(() => {
    const notText = new Set(['radio', 'checkbox', 'button', 'submit', 'reset', 'hidden', 'range', 'color', 'file', 'image']);
    const want: Record<string, string> = { autocomplete: 'off', autocorrect: 'off', autocapitalize: 'off', spellcheck: 'false' };
    const seen: string[] = [];
    const problems: string[] = [];
    for (const el of document.querySelectorAll<HTMLInputElement | HTMLTextAreaElement>('input, textarea')) {
      const name = el.dataset.testid ?? el.id ?? el.outerHTML;
      seen.push(name);
      if (el instanceof HTMLInputElement && notText.has(el.type)) continue;
      for (const [attr, value] of Object.entries(want)) {
        if (el.getAttribute(attr) !== value) problems.push(`${name}: ${attr}=${el.getAttribute(attr)}`);
      }
      // PINs may be passphrases (core's policy): a digits-only keyboard would lock letters out.
      if (el.type === 'password' && el.getAttribute('inputmode') === 'numeric') problems.push(`${name}: inputmode=numeric`);
    }
    return { seen, problems };
  });
}

for (const place of places) {
  test(`keyboards learn nothing: ${place.name}`, async ({ page }) => {
    await openAt(page, place.fixture, `screen-${place.screen}`);
    await place.then?.(page);
    for (const id of place.fields) await expect(page.getByTestId(id)).toBeVisible();
    const { seen, problems } = await fieldProblems(page);
    expect(seen).toEqual(expect.arrayContaining(place.fields));
    expect(problems).toEqual([]);
  });
}

/** What a copy (a real Ctrl+C) would take after the user selects the element, or a stretch of the
 * page from `from` to the element: nothing if the page cancelled the copy, else the selected text.
 * The selection is made by script, as thoroughly as any gesture could; Chromium then leaves out
 * text that cannot be selected (WebKit may not, hence the cancelled copy). Also the element's
 * `user-select`, and whether the copy was cancelled. */
async function copyAttempt(page: Page, testid: string, from?: string) {
  const target = page.getByTestId(testid).first();
  await target.scrollIntoViewIfNeeded();
  const userSelect = await target.evaluate((node, fromId) => {
    const selection = document.getSelection()!;
    selection.removeAllRanges();
    const range = document.createRange();
    const start = fromId ? document.querySelector(`[data-testid="${fromId}"]`) : null;
    range.setStartBefore(start ?? node);
    range.setEndAfter(node);
    selection.addRange(range);
    const w = window as unknown as { __copies?: { prevented: boolean; text: string }[] };
    if (!w.__copies) {
      // Last in line (bubbling, on window): sees whether anything earlier cancelled the copy.
      window.addEventListener('copy', (e) =>
        w.__copies!.push({ prevented: e.defaultPrevented, text: document.getSelection()?.toString() ?? '' }),
      );
    }
    w.__copies = [];
    const style = getComputedStyle(node);
    return style.userSelect || style.webkitUserSelect;
  }, from ?? null);
  await page.keyboard.press('Control+C');
  const copies = await page.evaluate(() => (window as unknown as { __copies: { prevented: boolean; text: string }[] }).__copies);
  expect(copies, 'one copy event').toHaveLength(1);
  const { prevented, text } = copies[0]!;
  return { userSelect, prevented, taken: prevented ? '' : text };
}

/** Where identifiers are shown, and the text each must hold (so the test sees the right element). */
const identifierPlaces: { name: string; fixture: Fixture; screen: Screen; ids: [string, string][]; from?: string }[] = [
  {
    name: 'the patient to confirm',
    fixture: { ...fixtures.patient, candidate: notFound },
    screen: 'patient',
    ids: [
      ['patient-candidate-name', 'SMITH, JOHN'],
      ['patient-candidate-dob', '18-Jan-1980'],
      ['patient-candidate-nhs', notFound.nhs_number!],
      ['patient-candidate-local-id', 'RX1 0012345'],
    ],
  },
  {
    name: 'the patient in session and the header',
    fixture: { ...fixtures.consent, view: { ...confirmed, home: 'patient' }, patient: verifiedPatient },
    screen: 'patient',
    ids: [
      ['patient-current-name', 'SMITH, JOHN'],
      ['patient-current-record-name', 'Smith, John Paul'],
      ['patient-current-nhs', patient.nhs_number!],
      ['header-patient', patient.nhs_number!],
    ],
  },
  {
    name: 'the outbox',
    fixture: fixtures.outbox,
    screen: 'outbox',
    ids: [
      [`outbox-patient-${outboxPhotos[0]!.id}`, "O'SULLIVAN-FITZGERALD"],
      [`outbox-number-${outboxPhotos[0]!.id}`, '401 023 2137'],
    ],
  },
];

for (const place of identifierPlaces) {
  test(`identifiers cannot be selected or copied: ${place.name}`, async ({ page }) => {
    await openAt(page, place.fixture, `screen-${place.screen}`);
    for (const [id, text] of place.ids) {
      await expect(page.getByTestId(id).first()).toContainText(text);
      const attempt = await copyAttempt(page, id);
      expect(attempt.userSelect, id).toBe('none');
      expect(attempt.taken, id).not.toContain(text);
    }
  });
}

test('a selection that only reaches into an identifier cannot be copied either', async ({ page }) => {
  await openAt(page, { ...fixtures.patient, candidate: notFound }, 'patient-candidate-nhs');
  // From the top of the screen down to the NHS number.
  const attempt = await copyAttempt(page, 'patient-candidate-nhs', 'screen-patient');
  // Cancelled outright: not every engine leaves unselectable text out of a copy.
  expect(attempt.prevented).toBe(true);
  expect(attempt.taken).not.toContain(notFound.nhs_number!);
  expect(attempt.taken).not.toContain('18-Jan-1980');
});

test('a double or triple click on an identifier selects nothing', async ({ page }) => {
  await openAt(page, { ...fixtures.patient, candidate: notFound }, 'patient-candidate-nhs');
  const selected = () => page.evaluate(() => document.getSelection()?.toString() ?? '');
  for (const id of ['patient-candidate-nhs', 'patient-candidate-name']) {
    await page.getByTestId(id).dblclick();
    expect(await selected(), id).toBe('');
    await page.getByTestId(id).click({ clickCount: 3 });
    expect(await selected(), id).toBe('');
  }
});

test('text that identifies no one can still be selected', async ({ page }) => {
  // The guard is on identifiers only: the record check's reason stays copyable for IT.
  await openAt(page, { ...fixtures.patient, candidate: notFound }, 'patient-candidate-reason');
  const attempt = await copyAttempt(page, 'patient-candidate-reason');
  expect(attempt.userSelect).toBe('auto');
  expect(attempt.prevented).toBe(false);
  expect(attempt.taken).toContain('No patient with this NHS number was found');
});
