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
});
