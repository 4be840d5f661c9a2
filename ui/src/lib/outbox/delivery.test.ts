import { afterEach, describe, expect, it, vi } from 'vitest';
import { clearMocks, mockIPC } from '@tauri-apps/api/mocks';
import type { Channel } from '@tauri-apps/api/core';
import { Clock, DeliveryStore } from './delivery.svelte';
import { Outbox } from './outbox.svelte';
import { call, WardcamError } from '../ipc';
import { channelSender } from '../testing/channel';
import { outboxPhoto } from '../testing/views';
import type { OutboxEvent, OutboxStatus } from '../types';

afterEach(() => {
  clearMocks();
  vi.useRealTimers();
});

const A = '11111111-1111-4111-8111-111111111111';
const B = '22222222-2222-4222-8222-222222222222';
const idle: OutboxStatus = {
  configured: true,
  config_problem: null,
  certificate: null,
  destination: 'https://pacs.example.nhs.uk/dicom-web',
  waiting: 2,
  held: 0,
  active: false,
  next_retry_at: null,
  last_problem: null,
  sent: [],
};

/** A store over the real `call` and a real `Channel`, with core's answers faked over mocked IPC;
 * `send` delivers an event on the newest channel, as core does. */
function setup(answers: Record<string, (args: unknown) => unknown>) {
  const sent: [string, unknown][] = [];
  const reported: WardcamError[] = [];
  let send: ((event: OutboxEvent) => void) | null = null;
  mockIPC((cmd, args) => {
    sent.push([cmd, args]);
    if (cmd === 'outbox_watch') {
      const { onEvent } = args as { onEvent: Channel<OutboxEvent> };
      send = channelSender(onEvent);
      if (!answers[cmd]) return null;
    }
    const answer = answers[cmd];
    if (!answer) throw { code: 'app.unexpected', message: cmd };
    return answer(args);
  });
  const store = new DeliveryStore({ call, report: (e) => reported.push(e) });
  return {
    store,
    sent,
    reported,
    commands: () => sent.map(([cmd]) => cmd),
    send: (event: OutboxEvent) => {
      if (!send) throw new Error('not watching');
      send(event);
    },
  };
}

/** Lets pending promises (the IPC mock's answers) settle. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('DeliveryStore', () => {
  it('subscribes with a channel named onEvent, then asks for the status', async () => {
    const { store, sent, commands } = setup({ outbox_status: () => idle });
    expect(store.badge).toBeNull();
    await store.watch();
    expect(commands()).toEqual(['outbox_watch', 'outbox_status']);
    expect(Object.keys(sent[0]?.[1] as object)).toEqual(['onEvent']);
    expect(store.status).toEqual(idle);
    expect(store.badge).toEqual({ count: 2, held: 0, label: '2 photos waiting to send' });
  });

  it('keeps the latest progress of each photo, clamped to 0..1', async () => {
    const { store, send } = setup({ outbox_status: () => idle });
    await store.watch();
    expect(store.progress(A)).toBeNull();
    send({ kind: 'progress', photo: A, phase: 'preparing', fraction: 0 });
    expect(store.progress(A)).toEqual({ phase: 'preparing', fraction: 0 });
    send({ kind: 'progress', photo: A, phase: 'uploading', fraction: 0.4 });
    send({ kind: 'progress', photo: B, phase: 'uploading', fraction: 1.7 });
    expect(store.progress(A)).toEqual({ phase: 'uploading', fraction: 0.4 });
    expect(store.progress(B)).toEqual({ phase: 'uploading', fraction: 1 });
    send({ kind: 'progress', photo: B, phase: 'verifying', fraction: Number.NaN });
    expect(store.progress(B)).toEqual({ phase: 'verifying', fraction: 0 });
  });

  it('on "changed", asks for the status again and tells the list to ask again', async () => {
    let status = idle;
    const { store, send, commands } = setup({ outbox_status: () => status });
    await store.watch();
    const listed = vi.fn();
    const stop = store.onChange(listed);
    status = { ...idle, waiting: 1, held: 1 };
    send({ kind: 'changed' });
    expect(listed).toHaveBeenCalledTimes(1);
    await settle();
    expect(commands()).toEqual(['outbox_watch', 'outbox_status', 'outbox_status']);
    expect(store.badge).toEqual({ count: 2, held: 1, label: '2 photos waiting to send, 1 held' });
    stop();
    send({ kind: 'changed' });
    expect(listed).toHaveBeenCalledTimes(1);
  });

  it('on "sent", forgets the photo\'s progress and asks again', async () => {
    const { store, send, commands } = setup({ outbox_status: () => idle });
    await store.watch();
    const listed = vi.fn();
    store.onChange(listed);
    send({ kind: 'progress', photo: A, phase: 'verifying', fraction: 0.9 });
    send({ kind: 'progress', photo: B, phase: 'preparing', fraction: 0.1 });
    send({ kind: 'sent', photo: A });
    expect(store.progress(A)).toBeNull();
    expect(store.progress(B)).not.toBeNull();
    expect(listed).toHaveBeenCalledTimes(1);
    await settle();
    expect(commands().filter((c) => c === 'outbox_status')).toHaveLength(2);
  });

  it('ignores an event kind it does not know', async () => {
    const { store, send, commands } = setup({ outbox_status: () => idle });
    await store.watch();
    send({ kind: 'paused' } as unknown as OutboxEvent);
    await settle();
    expect(commands()).toEqual(['outbox_watch', 'outbox_status']);
    expect(store.status).toEqual(idle);
  });

  it('folds a burst of changes into one more ask', async () => {
    let release: () => void = () => undefined;
    let asks = 0;
    const { store, send } = setup({
      outbox_status: () => {
        asks++;
        return asks === 2 ? new Promise((resolve) => (release = () => resolve(idle))) : idle;
      },
    });
    await store.watch();
    for (let i = 0; i < 5; i++) send({ kind: 'changed' });
    await settle();
    expect(asks).toBe(2);
    release();
    await settle();
    await settle();
    expect(asks).toBe(3);
  });

  it('never lets an older status answer replace a newer one', async () => {
    let release: (s: OutboxStatus) => void = () => undefined;
    const { store } = setup({
      outbox_status: () => new Promise((resolve) => (release = resolve)),
      outbox_send_now: () => ({ ...idle, active: true }),
    });
    const refreshing = store.refresh();
    await settle();
    expect(await store.sendNow()).toBe(true);
    expect(store.status?.active).toBe(true);
    release({ ...idle, waiting: 7 });
    await refreshing;
    expect(store.status).toEqual({ ...idle, active: true });
  });

  it('Send now shows core\'s refusal; a wake nobody asked for does not', async () => {
    const { store, reported, commands } = setup({
      outbox_status: () => idle,
      outbox_send_now: () => {
        throw { code: 'session.locked', message: 'Locked.' };
      },
    });
    await store.wake();
    expect(reported).toEqual([]);
    expect(await store.sendNow()).toBe(false);
    expect(reported.map((e) => e.code)).toEqual(['session.locked']);
    expect(store.waking).toBe(false);
    expect(commands()).toEqual(['outbox_send_now', 'outbox_send_now']);
  });

  it('takes the status Send now returns', async () => {
    const { store } = setup({ outbox_send_now: () => ({ ...idle, active: true }) });
    const sending = store.sendNow();
    expect(store.waking).toBe(true);
    expect(await sending).toBe(true);
    expect(store.status).toEqual({ ...idle, active: true });
    expect(store.waking).toBe(false);
  });

  it('withdraws consent for a delivered photo, shows what core lists for the record team, and tells the list', async () => {
    const withdrawal = {
      consent_id: 'c1',
      withdrawn_at: 1,
      photos: 1,
      references: ['PACS https://pacs: SOP Instance UID 2.25.9'],
      record_consent: 'pending' as const,
      problem: null,
      advice: 'Ask the record team to remove them.',
    };
    const { store, sent } = setup({ outbox_withdraw_sent: () => ({ ...idle, withdrawals: [withdrawal] }) });
    let told = 0;
    store.onChange(() => told++);
    expect(await store.withdrawSent(A)).toBe(true);
    expect(sent).toEqual([['outbox_withdraw_sent', { photo: A }]]);
    expect(store.status?.withdrawals).toEqual([withdrawal]);
    expect(told).toBe(1);
  });

  it("shows core's refusal of a withdrawal after delivery in the banner", async () => {
    const { store, reported } = setup({
      outbox_withdraw_sent: () => {
        throw { code: 'visit.unknown_photo', message: 'That photo is no longer on this phone.' };
      },
    });
    expect(await store.withdrawSent(B)).toBe(false);
    expect(reported.map((e) => e.code)).toEqual(['visit.unknown_photo']);
    expect(store.status).toBeNull();
  });

  it('says why there is no status (a core without delivery), without the banner', async () => {
    const { store, reported } = setup({});
    await store.watch();
    expect(store.status).toBeNull();
    expect(store.unavailable?.code).toBe('app.unexpected');
    expect(reported).toEqual([]);
  });

  it('drops progress the list shows is over, but not progress newer than the list', async () => {
    const { store, send } = setup({ outbox_status: () => idle });
    await store.watch();
    send({ kind: 'progress', photo: A, phase: 'uploading', fraction: 0.5 });
    send({ kind: 'progress', photo: B, phase: 'uploading', fraction: 0.5 });
    const mark = store.mark();
    // Progress for A arrives while the list is on its way; the list (older) says A is queued.
    send({ kind: 'progress', photo: A, phase: 'uploading', fraction: 0.6 });
    store.settle([outboxPhoto(A), outboxPhoto(B, { state: 'sending' })], mark);
    expect(store.progress(A)).toEqual({ phase: 'uploading', fraction: 0.6 });
    expect(store.progress(B)).toEqual({ phase: 'uploading', fraction: 0.5 });
    // A later list: A back in the queue (the attempt failed), B gone (sent).
    store.settle([outboxPhoto(A)], store.mark());
    expect(store.progress(A)).toBeNull();
    expect(store.progress(B)).toBeNull();
  });
});

describe('the Outbox list with delivery', () => {
  it('lists again when core says the outbox changed, settling progress with each list', async () => {
    let list = [outboxPhoto(A, { state: 'sending' }), outboxPhoto(B)];
    const { store, send, commands } = setup({ outbox_status: () => idle, outbox_list: () => list });
    const outbox = new Outbox({ call, report: () => undefined, apply: async () => true, delivery: store });
    store.onChange(() => void outbox.load());
    await store.watch();
    await outbox.load();
    send({ kind: 'progress', photo: A, phase: 'uploading', fraction: 0.3 });
    list = [outboxPhoto(B)];
    send({ kind: 'sent', photo: A });
    await settle();
    expect(outbox.list.map((p) => p.id)).toEqual([B]);
    expect(store.progress(A)).toBeNull();
    expect(commands().filter((c) => c === 'outbox_list')).toHaveLength(2);
  });
});

describe('Clock', () => {
  it('moves on every 15 seconds while started', () => {
    vi.useFakeTimers({ now: 1_000_000 });
    const clock = new Clock();
    clock.start();
    expect(clock.now).toBe(1_000_000);
    vi.advanceTimersByTime(14_999);
    expect(clock.now).toBe(1_000_000);
    vi.advanceTimersByTime(1);
    expect(clock.now).toBe(1_015_000);
    clock.stop();
    vi.advanceTimersByTime(60_000);
    expect(clock.now).toBe(1_015_000);
  });
});
