import { afterEach, describe, expect, it } from 'vitest';
import { clearMocks, mockIPC } from '@tauri-apps/api/mocks';
import { Identification, type IdentifyBackend } from './identification.svelte';
import { call, WardcamError } from '../ipc';
import type { PatientSummary } from '../types';

const candidate: PatientSummary = {
  nhs_number: '943 476 5919',
  local_id: null,
  family_name: 'SMITH',
  given_name: 'JOHN',
  date_of_birth: '18-Jan-1980',
  source: 'band_text',
  status: 'verified',
  reason: null,
  record: { family_name: 'Smith', given_names: ['John'], date_of_birth: '18-Jan-1980' },
  verified: true,
  override: null,
  offers: { confirm: true, override: false },
};

const notFound: PatientSummary = {
  ...candidate,
  nhs_number: '999 000 0034',
  family_name: null,
  given_name: null,
  date_of_birth: null,
  source: 'typed_twice',
  status: 'needs_override',
  reason: { code: 'patient.record_not_found', message: 'No patient with this NHS number was found in the record.' },
  record: null,
  verified: false,
  offers: { confirm: false, override: true },
};

afterEach(() => clearMocks());

/** Real `call` over mocked IPC, so argument names are checked as the Rust commands declare them. */
function setup(answers: Record<string, (args: unknown) => unknown>, scanBarcode: () => Promise<string | null> = async () => null) {
  const sent: [string, unknown][] = [];
  const reported: WardcamError[] = [];
  mockIPC((cmd, args) => {
    sent.push([cmd, args]);
    const answer = answers[cmd];
    if (!answer) throw { code: 'app.unexpected', message: cmd };
    return answer(args);
  });
  const backend: IdentifyBackend = { call, scanBarcode, report: (e) => reported.push(e) };
  return { ident: new Identification(backend), sent, reported };
}

describe('Identification', () => {
  it('sends typed entries and wristband text to core with the declared argument names', async () => {
    const { ident, sent } = setup({
      patient_identify_manual: () => candidate,
      patient_identify_scan: () => candidate,
    });
    expect(await ident.identifyManual('943 476 5919', '9434765919')).toBe(true);
    expect(await ident.identifyScan(']d28018...')).toBe(true);
    expect(sent).toEqual([
      ['patient_identify_manual', { first: '943 476 5919', second: '9434765919' }],
      ['patient_identify_scan', { payload: ']d28018...', viaCamera: false }],
    ]);
    expect(ident.candidate).toEqual(candidate);
    expect(ident.checking).toBe(false);
  });

  it('reports core\'s refusal and holds no candidate', async () => {
    const { ident, reported } = setup({
      patient_identify_scan: () => {
        throw { code: 'patient.gsrn_check_digit_wrong', message: 'The wristband check digit is wrong.' };
      },
    });
    expect(await ident.identifyScan('(8018)500000094347659190')).toBe(false);
    expect(ident.candidate).toBeNull();
    expect(reported.map((e) => e.code)).toEqual(['patient.gsrn_check_digit_wrong']);
  });

  it('a camera scan is identified as read by the camera; a cancelled scan sends nothing', async () => {
    let next: string | null = null;
    const { ident, sent } = setup({ patient_identify_scan: () => candidate }, async () => next);
    expect(await ident.scan()).toBe(false);
    expect(sent).toEqual([]);
    next = ']d2801850000009434765919493SMITH/JOHN/19800118';
    expect(await ident.scan()).toBe(true);
    expect(sent).toEqual([['patient_identify_scan', { payload: next, viaCamera: true }]]);
  });

  it('an answer that arrives after "start again" is dropped', async () => {
    let release: (v: PatientSummary) => void = () => undefined;
    const { ident } = setup({
      patient_identify_scan: () => new Promise<PatientSummary>((r) => (release = r)),
      patient_discard: () => null,
    });
    const pending = ident.identifyScan('x');
    await Promise.resolve();
    await ident.discard();
    release(candidate);
    await pending;
    expect(ident.candidate).toBeNull();
  });

  it('loads a candidate the backend still holds, and forgets it once confirmed', async () => {
    const { ident } = setup({ patient_candidate: () => candidate });
    await ident.load();
    expect(ident.candidate?.nhs_number).toBe('943 476 5919');
    ident.confirmed();
    expect(ident.candidate).toBeNull();
  });

  it('a bare number in the band text asks for a second entry instead of reporting an error', async () => {
    const { ident, reported, sent } = setup({
      patient_identify_scan: () => {
        throw { code: 'patient.second_entry_needed', message: 'Type it again in the second box to confirm it.' };
      },
      patient_identify_manual: () => ({ ...candidate, source: 'typed_twice' }),
    });
    expect(await ident.identifyScan('  9434765919 ')).toBe(false);
    expect(reported).toEqual([]);
    expect(ident.secondEntry).toEqual({ number: '9434765919', message: 'Type it again in the second box to confirm it.' });
    expect(ident.candidate).toBeNull();
    // The second entry goes through the type-it-twice command, and the request is cleared.
    expect(await ident.identifyManual('9434765919', '943 476 5919')).toBe(true);
    expect(ident.secondEntry).toBeNull();
    expect(ident.candidate?.source).toBe('typed_twice');
    expect(sent.map(([cmd]) => cmd)).toEqual(['patient_identify_scan', 'patient_identify_manual']);
  });

  it('the second-entry code from a typed entry is an ordinary error, and starting again clears the request', async () => {
    const { ident, reported } = setup({
      patient_identify_manual: () => {
        throw { code: 'patient.second_entry_needed', message: 'again' };
      },
      patient_identify_scan: () => {
        throw { code: 'patient.second_entry_needed', message: 'again' };
      },
      patient_discard: () => null,
    });
    expect(await ident.identifyManual('1', '1')).toBe(false);
    expect(ident.secondEntry).toBeNull();
    expect(reported.map((e) => e.code)).toEqual(['patient.second_entry_needed']);
    await ident.identifyScan('9434765919');
    expect(ident.secondEntry?.number).toBe('9434765919');
    await ident.discard();
    expect(ident.secondEntry).toBeNull();
  });

  it('records an override with the declared argument names and shows core\'s answer', async () => {
    const overridden: PatientSummary = {
      ...notFound,
      override: { reason: 'new_admission_not_registered', detail: 'Admitted tonight', by: 'Dr Ada Jones', at: 1, overrode: 'patient.record_not_found' },
      offers: { confirm: true, override: false },
    };
    const { ident, sent, reported } = setup({ patient_candidate: () => notFound, patient_override: () => overridden });
    await ident.load();
    expect(await ident.override('new_admission_not_registered', 'Admitted tonight')).toBe(true);
    expect(sent).toContainEqual(['patient_override', { reason: 'new_admission_not_registered', detail: 'Admitted tonight' }]);
    expect(ident.candidate).toEqual(overridden);
    expect(ident.overriding).toBe(false);
    expect(reported).toEqual([]);
  });

  it('reports a refused override and keeps the candidate as it was', async () => {
    const { ident, reported } = setup({
      patient_candidate: () => notFound,
      patient_override: () => {
        throw { code: 'patient.override_incomplete', message: 'Say in your own words why.' };
      },
    });
    await ident.load();
    expect(await ident.override('record_system_down', 'x')).toBe(false);
    expect(reported.map((e) => e.code)).toEqual(['patient.override_incomplete']);
    expect(ident.candidate).toEqual(notFound);
  });
});
