// The record check over the mocked backend: an untrusted server blocks, a missing record needs an
// override (recorded through the card, then confirm), a bare number in the band-text field asks for
// the second entry, the Outbox re-checks and sounds an alarm for held photos, and the Device screen
// warns about the pins and the certificate. Every verdict is the fixture's (core's), never the UI's.
import { expect, test } from '@playwright/test';
import type { PatientSummary, PhotoSummary } from '../src/lib/types';
import { device, fixtures, offscreen, open, outboxPhotos, overflowX, patient, sent, shots, smallTargets } from './fixtures';

const confirmed = fixtures.consent.view;

const notTrusted: PatientSummary = {
  ...patient,
  nhs_number: '999 000 0018',
  family_name: "O'BRIEN",
  given_name: 'SINEAD',
  date_of_birth: '03-Mar-1975',
  source: 'band_text',
  status: 'blocked',
  reason: {
    code: 'patient.record_not_trusted',
    message:
      'Hospital server not trusted - tell IT (its certificate is not from the authority this device trusts). Its answer was not used: do not take photographs of this patient until IT has fixed it.',
  },
  offers: { confirm: false, override: false },
};

const notFound: PatientSummary = {
  ...patient,
  nhs_number: '999 000 0034',
  status: 'needs_override',
  reason: {
    code: 'patient.record_not_found',
    message: 'No patient with this NHS number was found in the record. Check the number against the wristband.',
  },
  offers: { confirm: false, override: true },
};

const overridden: PatientSummary = {
  ...notFound,
  override: {
    reason: 'new_admission_not_registered',
    detail: 'Admitted tonight via ED',
    by: 'Dr Test',
    at: 1_764_460_800_000,
    overrode: 'patient.record_not_found',
  },
  offers: { confirm: true, override: false },
};

test('an untrusted record server blocks the patient with core\'s words, and offers no override', async ({ page }, info) => {
  await open(page, { ...fixtures.patient, candidate: notTrusted });
  const blocked = page.getByTestId('patient-candidate-blocked');
  await expect(blocked).toContainText('Do not photograph this patient yet.');
  await expect(page.getByTestId('patient-candidate-reason')).toHaveText(notTrusted.reason!.message);
  await expect(page.getByTestId('patient-candidate-reason')).toHaveAttribute('data-code', 'patient.record_not_trusted');
  await expect(blocked).not.toContainText(/offline|could not be reached/i);
  await expect(page.getByTestId('patient-confirm')).toHaveCount(0);
  await expect(page.getByTestId('override-form')).toHaveCount(0);
  await expect(page.getByTestId('patient-candidate-source')).toHaveText('Wristband barcode text');
  expect(await overflowX(page)).toBeLessThanOrEqual(0);
  await page.screenshot({ scale: 'css', path: `${shots}${info.project.name}-patient-not-trusted.png`, fullPage: true });
});

test('a patient the record does not know needs an override before confirm', async ({ page }, info) => {
  await open(page, {
    ...fixtures.patient,
    candidate: notFound,
    overridden,
    answers: { patient_confirm: { view: confirmed, patient: overridden } },
  });
  await expect(page.getByTestId('patient-candidate-needs-override')).toContainText('Not confirmed by the record.');
  await expect(page.getByTestId('patient-candidate-reason')).toHaveText(notFound.reason!.message);
  await expect(page.getByTestId('patient-confirm')).toHaveCount(0);
  const record = page.getByTestId('override-record');
  await expect(record).toBeDisabled();
  await page.getByTestId('override-reason-new_admission_not_registered').check();
  await expect(record).toBeDisabled(); // words are needed too
  await page.getByTestId('override-detail').fill('Admitted tonight via ED');
  await expect(record).toBeEnabled();
  expect(await smallTargets(page)).toEqual([]);
  expect(await overflowX(page)).toBeLessThanOrEqual(0);
  await page.screenshot({ scale: 'css', path: `${shots}${info.project.name}-patient-needs-override.png`, fullPage: true });
  await record.click();
  expect(await sent(page, 'patient_override')).toEqual([
    { cmd: 'patient_override', args: { reason: 'new_admission_not_registered', detail: 'Admitted tonight via ED' } },
  ]);
  // The card shows the recorded override; the form goes and confirm appears.
  await expect(page.getByTestId('patient-candidate-override')).toContainText('Override by Dr Test');
  await expect(page.getByTestId('patient-candidate-override')).toContainText('New admission, not yet registered in the record');
  await expect(page.getByTestId('patient-candidate-override')).toContainText('Admitted tonight via ED');
  await expect(page.getByTestId('override-form')).toHaveCount(0);
  await page.setViewportSize({ width: 360, height: 740 });
  expect(await overflowX(page)).toBeLessThanOrEqual(0);
  expect(await offscreen(page)).toEqual([]);
  await page.screenshot({ scale: 'css', path: `${shots}${info.project.name}-patient-overridden.png`, fullPage: true });
  await page.getByTestId('patient-confirm').click();
  await expect(page.getByTestId('screen-consent')).toBeVisible();
});

test('a refused override shows core\'s reason and keeps the form', async ({ page }) => {
  await open(page, {
    ...fixtures.patient,
    candidate: notFound,
    errors: { patient_override: { code: 'patient.override_incomplete', message: 'Say in your own words why you are going on.' } },
  });
  await page.getByTestId('override-reason-record_system_down').check();
  await page.getByTestId('override-detail').fill('x');
  await page.getByTestId('override-record').click();
  await expect(page.getByTestId('error-banner')).toHaveAttribute('data-code', 'patient.override_incomplete');
  await expect(page.getByTestId('override-form')).toBeVisible();
  await expect(page.getByTestId('patient-confirm')).toHaveCount(0);
});

test('a bare number in the band-text field moves to the first box and asks for the second entry', async ({ page }, info) => {
  const typed: PatientSummary = { ...patient, source: 'typed_twice' };
  await open(page, {
    ...fixtures.patient,
    errors: {
      patient_identify_scan: {
        code: 'patient.second_entry_needed',
        message: 'This looks like a typed NHS number, not a scanned wristband. Type it again in the second box to confirm it.',
      },
    },
    identify: { patient_identify_manual: typed },
    checks: {
      '9434765919': { valid: true, formatted: '943 476 5919', error: null },
      '943 476 5919': { valid: true, formatted: '943 476 5919', error: null },
    },
  });
  await page.getByTestId('scan-text').fill('9434765919');
  await page.getByTestId('scan-read').click();
  await expect(page.getByTestId('second-entry-needed')).toContainText('Type it again in the second box');
  await expect(page.getByTestId('error-banner')).toHaveCount(0);
  await expect(page.getByTestId('nhs-first')).toHaveValue('9434765919');
  await expect(page.getByTestId('nhs-feedback')).toHaveText('Valid NHS number: 943 476 5919');
  await expect(page.getByTestId('scan-text')).toHaveValue('');
  await expect(page.getByTestId('nhs-second')).toBeFocused();
  await expect(page.getByTestId('patient-identify')).toBeDisabled();
  await page.screenshot({ scale: 'css', path: `${shots}${info.project.name}-patient-second-entry.png`, fullPage: true });
  await page.getByTestId('nhs-second').fill('943 476 5919');
  await page.getByTestId('patient-identify').click();
  expect(await sent(page, 'patient_identify_manual')).toEqual([
    { cmd: 'patient_identify_manual', args: { first: '9434765919', second: '943 476 5919' } },
  ]);
  await expect(page.getByTestId('patient-candidate-source')).toHaveText('NHS number typed twice');
});

const [queued, , current] = outboxPhotos as [PhotoSummary, PhotoSummary, PhotoSummary];
const mismatch = {
  code: 'patient.record_mismatch',
  message: 'The wristband does not match the patient record (date of birth differ).',
};

test('the Outbox re-checks due visits on opening and when the network returns, and holds what core holds', async ({ page }, info) => {
  const due = { ...queued, identity: { gate: 'needs_recheck' as const } };
  const held = { ...queued, identity: { gate: 'held' as const, reason: mismatch } };
  await open(page, {
    ...fixtures.outbox,
    photos: [due, current],
    recheck: {
      summary: { outcomes: [{ visit_id: queued.visit_id, outcome: 'held' }], held: 1, still_due: 0 },
      photos: [held, current],
    },
  });
  // On opening: listed, re-checked, listed again with core's answer.
  const alarm = page.getByTestId(`outbox-identity-${queued.id}`);
  await expect(alarm).toHaveText(`Held: ${mismatch.message} — this photo will not be sent`);
  await expect(alarm).toHaveAttribute('data-gate', 'held');
  await expect(alarm).toHaveAttribute('role', 'alert');
  expect((await sent(page)).map((s) => s.cmd).filter((c) => c === 'outbox_list' || c === 'record_recheck')).toEqual([
    'outbox_list',
    'record_recheck',
    'outbox_list',
  ]);
  await expect(page.getByTestId(`outbox-state-${queued.id}`)).toHaveText('Held: will not be sent');
  // A held photo offers discard only: no withdrawal, no reassignment.
  await expect(page.getByTestId(`outbox-withdraw-${queued.id}`)).toHaveCount(0);
  await expect(page.getByTestId(`outbox-discard-${queued.id}`)).toBeVisible();
  await expect(page.getByTestId(`outbox-withdraw-${current.id}`)).toBeVisible();
  await expect(page.getByTestId(`outbox-identity-${current.id}`)).toHaveCount(0);
  expect(await smallTargets(page)).toEqual([]);
  await page.setViewportSize({ width: 360, height: 740 });
  expect(await overflowX(page)).toBeLessThanOrEqual(0);
  expect(await offscreen(page)).toEqual([]);
  await page.screenshot({ scale: 'css', path: `${shots}${info.project.name}-outbox-held.png`, fullPage: true });

  // The network comes back: core is asked again.
  await page.evaluate(() => window.dispatchEvent(new Event('online')));
  await expect.poll(async () => (await sent(page, 'record_recheck')).length).toBe(2);

  // Discard asks first; "keep them held" sends nothing; yes asks core to discard the held visit's
  // photos, never as a withdrawal of consent.
  await page.getByTestId(`outbox-discard-${queued.id}`).click();
  await expect(page.getByTestId(`outbox-discard-confirm-${queued.id}`)).toContainText('not yet sent');
  await page.getByTestId(`outbox-discard-no-${queued.id}`).click();
  expect(await sent(page, 'photos_discard_held')).toEqual([]);
  await page.getByTestId(`outbox-discard-${queued.id}`).click();
  await page.getByTestId(`outbox-discard-yes-${queued.id}`).click();
  await expect(page.getByTestId('outbox-discarded')).toBeVisible();
  expect(await sent(page, 'photos_discard_held')).toEqual([{ cmd: 'photos_discard_held', args: { id: queued.id } }]);
  expect(await sent(page, 'consent_withdraw')).toEqual([]);
  await expect(page.getByTestId(`outbox-${queued.id}`)).toHaveCount(0);
});

test('a photo waiting for the record check says so', async ({ page }) => {
  const due = { ...queued, identity: { gate: 'needs_recheck' as const } };
  await open(page, { ...fixtures.outbox, photos: [due, current] });
  await expect(page.getByTestId(`outbox-identity-${queued.id}`)).toHaveText('Waiting to check the patient against the record');
  await expect(page.getByTestId(`outbox-identity-${queued.id}`)).toHaveAttribute('data-gate', 'needs_recheck');
  await expect(page.getByTestId(`outbox-withdraw-${queued.id}`)).toBeVisible();
  await expect(page.getByTestId(`outbox-discard-${queued.id}`)).toHaveCount(0);
});

test('the Device screen warns about a missing backup pin and an expiring certificate, and a broken endpoint', async ({ page }, info) => {
  const record = {
    base_url: 'https://127.0.0.1:8443/fhir/R4',
    problem: null,
    pins: 1,
    no_backup_pin: true,
    certificate: { not_after: 1_800_000_000, expires_soon: true },
  };
  await open(page, { ...fixtures.device, device: { ...device, record } });
  await expect(page.getByTestId('record-status')).toContainText('https://127.0.0.1:8443/fhir/R4');
  const warnings = page.getByTestId('record-warning');
  await expect(warnings).toHaveCount(2);
  await expect(warnings.nth(0)).toContainText('Only 1 server key pinned, with no backup');
  await expect(warnings.nth(1)).toHaveText("The hospital server's certificate expires on 15 Jan 2027: tell IT.");
  expect(await sent(page, 'device_info')).toHaveLength(2);
  expect(await overflowX(page)).toBeLessThanOrEqual(0);
  await page.screenshot({ scale: 'css', path: `${shots}${info.project.name}-device-record-warnings.png`, fullPage: true });

  await open(page, {
    ...fixtures.device,
    device: {
      ...device,
      record: {
        base_url: null,
        problem: { code: 'endpoint.config_invalid', message: "This device's hospital server settings are invalid (format)." },
        pins: 0,
        no_backup_pin: false,
        certificate: null,
      },
    },
  });
  await expect(page.getByTestId('record-status')).toHaveText(
    "This device's hospital server settings are invalid (format). No patient can be confirmed until this is fixed.",
  );
  await expect(page.getByTestId('record-warning')).toHaveCount(0);
  // The image server has its own line, unprovisioned here.
  await expect(page.getByTestId('pacs-status')).toHaveText(
    'Not provisioned: photos stay on this phone until IT sets up the image server',
  );
});

test('the Device screen shows the image server and its warnings', async ({ page }) => {
  const pacs = {
    base_url: 'https://127.0.0.1:8443/dicom-web',
    problem: null,
    pins: 2,
    no_backup_pin: false,
    certificate: { not_after: 1_800_000_000, expires_soon: true },
  };
  await open(page, { ...fixtures.device, device: { ...device, pacs } });
  await expect(page.getByTestId('pacs-status')).toContainText('https://127.0.0.1:8443/dicom-web');
  await expect(page.getByTestId('pacs-warning')).toHaveText("The hospital server's certificate expires on 15 Jan 2027: tell IT.");
  expect(await overflowX(page)).toBeLessThanOrEqual(0);
});
