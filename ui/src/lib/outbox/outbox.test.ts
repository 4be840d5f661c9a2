import { afterEach, describe, expect, it } from 'vitest';
import { clearMocks, mockIPC } from '@tauri-apps/api/mocks';
import { identityText, Outbox, patientName, patientNumber, siteText, stateText, type OutboxBackend } from './outbox.svelte';
import { call, toWardcamError, WardcamError } from '../ipc';
import { outboxPhoto, unlockedView } from '../testing/views';
import type { PhotoSummary, SessionView } from '../types';

afterEach(() => clearMocks());

/** Real `call` over mocked IPC, so argument names are checked as the Rust commands declare them. */
function setup(answers: Record<string, (args: unknown) => unknown>) {
  const sent: [string, unknown][] = [];
  const reported: WardcamError[] = [];
  const views: SessionView[] = [];
  mockIPC((cmd, args) => {
    sent.push([cmd, args]);
    const answer = answers[cmd];
    if (!answer) throw { code: 'app.unexpected', message: cmd };
    return answer(args);
  });
  const backend: OutboxBackend = {
    call,
    report: (e) => reported.push(e),
    apply: async (action) => {
      try {
        views.push(await action());
        return true;
      } catch (e) {
        reported.push(toWardcamError(e));
        return false;
      }
    },
  };
  return { outbox: new Outbox(backend), sent, reported, views };
}

const earlier = outboxPhoto('11111111-1111-4111-8111-111111111111', {
  visit_id: 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa',
  current_visit: false,
});
const alsoEarlier = outboxPhoto('22222222-2222-4222-8222-222222222222', {
  visit_id: 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa',
  current_visit: false,
  state: 'captured',
  body_site: null,
  laterality: null,
});
const now = outboxPhoto('33333333-3333-4333-8333-333333333333', {
  visit_id: 'bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb',
  patient: { ...earlier.patient, name: 'JONES, Mary', nhs_number: '401 023 2137' },
});

describe('Outbox', () => {
  it('lists every undelivered photo of any visit, as core returns them', async () => {
    const { outbox, sent } = setup({ outbox_list: () => [earlier, alsoEarlier, now] });
    expect(outbox.loaded).toBe(false);
    await outbox.load();
    expect(sent).toEqual([['outbox_list', {}]]);
    expect(outbox.list.map((p) => p.id)).toEqual([earlier.id, alsoEarlier.id, now.id]);
    expect(outbox.loaded).toBe(true);
  });

  it('withdraws the consent of the photo\'s visit by photo id, then lists again', async () => {
    let list = [earlier, alsoEarlier, now];
    const { outbox, sent, views } = setup({
      outbox_list: () => list,
      consent_withdraw: (args) => {
        const { photo } = args as { photo: string };
        const visit = list.find((p) => p.id === photo)?.visit_id;
        list = list.filter((p) => p.visit_id !== visit);
        return unlockedView;
      },
    });
    await outbox.load();
    expect(await outbox.withdraw(earlier.id)).toBe(true);
    expect(sent).toEqual([
      ['outbox_list', {}],
      ['consent_withdraw', { photo: earlier.id }],
      ['outbox_list', {}],
    ]);
    expect(views).toEqual([unlockedView]);
    expect(outbox.list.map((p) => p.id)).toEqual([now.id]);
    expect(outbox.busy).toBe(false);
  });

  it('reports a refused withdrawal and keeps what core still lists', async () => {
    const { outbox, reported } = setup({
      outbox_list: () => [now],
      consent_withdraw: () => {
        throw { code: 'session.kiosk_active', message: 'The phone is with the patient.' };
      },
    });
    expect(await outbox.withdraw(now.id)).toBe(false);
    expect(reported.map((e) => e.code)).toEqual(['session.kiosk_active']);
    expect(outbox.list).toEqual([now]);
  });

  it('reports a failed list', async () => {
    const { outbox, reported } = setup({
      outbox_list: () => {
        throw { code: 'vault.opening', message: 'opening' };
      },
    });
    await outbox.load();
    expect(outbox.list).toEqual([]);
    expect(reported.map((e) => e.code)).toEqual(['vault.opening']);
  });
});

const heldReason = {
  code: 'patient.record_mismatch',
  message: 'The wristband does not match the patient record (date of birth differ).',
};

describe('Outbox record check', () => {
  it('asks core to check due visits again, and lists again when a visit was settled', async () => {
    let list: PhotoSummary[] = [{ ...earlier, identity: { gate: 'needs_recheck' } }];
    const { outbox, sent } = setup({
      outbox_list: () => list,
      record_recheck: () => {
        list = [{ ...earlier, identity: { gate: 'held' as const, reason: heldReason } }];
        return { outcomes: [{ visit_id: earlier.visit_id, outcome: 'held' }], held: 1, still_due: 0 };
      },
    });
    await outbox.load();
    expect(await outbox.recheck()).toBe(1);
    expect(sent).toEqual([
      ['outbox_list', {}],
      ['record_recheck', {}],
      ['outbox_list', {}],
    ]);
    expect(outbox.list[0]?.identity).toEqual({ gate: 'held', reason: heldReason });
    expect(outbox.rechecking).toBe(false);
  });

  it('does not list again when every visit is still due, and reports a failed check', async () => {
    const { outbox, sent, reported } = setup({
      outbox_list: () => [earlier],
      record_recheck: () => ({ outcomes: [{ visit_id: earlier.visit_id, outcome: 'still_due' }], held: 0, still_due: 1 }),
    });
    expect(await outbox.recheck()).toBe(1);
    expect(sent).toEqual([['record_recheck', {}]]);
    const failing = setup({
      record_recheck: () => {
        throw { code: 'vault.opening', message: 'opening' };
      },
    });
    expect(await failing.outbox.recheck()).toBe(0);
    expect(failing.reported.map((e) => e.code)).toEqual(['vault.opening']);
    expect(reported).toEqual([]);
  });

  it('discards a held visit\'s photos through core, never as a withdrawal of consent', async () => {
    const heldQueued = { ...earlier, identity: { gate: 'held' as const, reason: heldReason } };
    let list: PhotoSummary[] = [heldQueued];
    const { outbox, sent, reported } = setup({
      outbox_list: () => list,
      photos_discard_held: () => {
        list = [];
        return null;
      },
    });
    expect(await outbox.discardHeld(heldQueued)).toBe(true);
    expect(sent).toEqual([
      ['photos_discard_held', { id: heldQueued.id }],
      ['outbox_list', {}],
    ]);
    expect(outbox.list).toEqual([]);
    expect(reported).toEqual([]);
    // Core refuses while the held visit is the one open: the refusal is shown, nothing else sent.
    const open = setup({
      outbox_list: () => [heldQueued],
      photos_discard_held: () => {
        throw { code: 'visit.held_in_open_visit', message: 'End this patient\'s visit first.' };
      },
    });
    expect(await open.outbox.discardHeld(heldQueued)).toBe(false);
    expect(open.reported.map((e) => e.code)).toEqual(['visit.held_in_open_visit']);
  });
});

describe('Outbox rows', () => {
  it('sound an alarm for a held photo and note one waiting for the record', () => {
    expect(identityText(earlier)).toBeNull();
    expect(identityText({ ...earlier, identity: { gate: 'needs_recheck' } })).toEqual({
      alarm: false,
      text: 'Waiting to check the patient against the record',
    });
    expect(identityText({ ...earlier, identity: { gate: 'held', reason: heldReason } })).toEqual({
      alarm: true,
      text: `Held: ${heldReason.message} — this photo will not be sent`,
    });
    expect(stateText({ ...earlier, identity: { gate: 'held', reason: heldReason } })).toBe('Held: will not be sent');
  });

  it('say where each photo is', () => {
    expect(stateText(earlier)).toBe('Waiting to send');
    expect(stateText(alsoEarlier)).toBe('Not yet labelled/queued');
    expect(stateText({ ...alsoEarlier, current_visit: true })).toMatch(/^Not yet labelled\/queued: finish it on Review$/);
    expect(stateText({ ...earlier, state: 'withdrawn' })).toMatch(/withdrawn/);
  });

  it('name the patient and the body site with its side', () => {
    expect(patientName(earlier.patient)).toBe('SMITH, John');
    expect(patientName({ ...earlier.patient, name: null })).toBe('Name not recorded');
    expect(patientNumber(earlier.patient)).toBe('NHS 943 476 5919');
    expect(patientNumber({ ...earlier.patient, nhs_number: null, local_id: 'RX1: A1234567' })).toBe('RX1: A1234567');
    expect(siteText(earlier)).toBe('Heel (left)');
    expect(siteText({ ...earlier, laterality: 'not_applicable', body_site: { code: '54735007', display: 'Sacral region', paired: false } })).toBe(
      'Sacral region',
    );
    expect(siteText(alsoEarlier)).toBe('No body site yet');
  });
});
