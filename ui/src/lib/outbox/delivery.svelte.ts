// Delivery to the hospital's server as core reports it, for the whole app: the status (whether a
// server is set up, counts, the next retry, recent deliveries) behind the Outbox and the top bar's
// badge, and each photo's sending progress from the events core sends on the channel given to
// `outbox_watch`. Core decides every state, problem and retry time; this keeps the latest of each,
// and tells whoever lists the photos (the Outbox screen) when core says the outbox changed.
import { getContext, setContext } from 'svelte';
import { Channel } from '@tauri-apps/api/core';
import { toWardcamError, type call, type WardcamError } from '../ipc';
import type { OutboxEvent, OutboxStatus, PhotoSummary } from '../types';
import { badge, TICK_MS, type Progress } from './deliveryText';

/** What the store needs from the outside world; tests pass fakes. */
export interface DeliveryBackend {
  call: typeof call;
  /** Shows an error in the app's banner: for what the clinician asked for (Send now). */
  report: (error: WardcamError) => void;
}

/** A progress event as kept: `seq` orders it against list answers (see `settle`). */
interface Kept extends Progress {
  seq: number;
}

export class DeliveryStore {
  /** The latest status from core; null until the first answer. */
  status = $state<OutboxStatus | null>(null);
  /** Why the status could not be had (core refused, or this build has no delivery yet); null once
   * an answer came. Not shown in the banner: nobody asked. */
  unavailable = $state<WardcamError | null>(null);
  /** True while a Send now the clinician asked for is on its way to core. */
  waking = $state(false);
  #progress = $state<Record<string, Kept>>({});

  /** The top bar's badge, once the status is known. */
  readonly badge = $derived(this.status ? badge(this.status) : null);

  readonly #backend: DeliveryBackend;
  readonly #listeners = new Set<() => void>();
  #seq = 0;
  /** Status answers are numbered as asked; an older answer never replaces a newer one. */
  #asked = 0;
  #shown = 0;
  #refreshing: Promise<void> | null = null;
  #again = false;

  constructor(backend: DeliveryBackend) {
    this.#backend = backend;
  }

  /** Subscribes to core's delivery events (a new channel each time: the newest wins, so calling
   * this again, after each unlock, is harmless), then asks for the status. */
  async watch(): Promise<void> {
    const channel = new Channel<OutboxEvent>((event) => this.handle(event));
    try {
      await this.#backend.call('outbox_watch', { onEvent: channel });
    } catch (e) {
      // Without events the Outbox still lists what core says when it opens and on each action.
      this.unavailable = toWardcamError(e);
    }
    await this.refresh();
  }

  /** One event from core. */
  handle(event: OutboxEvent): void {
    switch (event.kind) {
      case 'progress':
        this.#progress = {
          ...this.#progress,
          [event.photo]: { phase: event.phase, fraction: clamp(event.fraction), seq: ++this.#seq },
        };
        break;
      case 'sent':
        this.#progress = without(this.#progress, event.photo);
        this.#changed();
        break;
      case 'changed':
        this.#changed();
        break;
      default:
        // A kind this UI does not know (a newer core): nothing to show.
        break;
    }
  }

  /** How far `photo`'s sending has got, from core's last progress event for it. */
  progress(photo: string): Progress | null {
    const kept = this.#progress[photo];
    return kept ? { phase: kept.phase, fraction: kept.fraction } : null;
  }

  /** Calls `listener` whenever core says the outbox changed or a photo was sent: the photo list
   * must be asked for again. Returns the unsubscribe function. */
  onChange(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** A mark to take just before asking for the photo list; pass it to `settle` with the answer. */
  mark(): number {
    return this.#seq;
  }

  /** Drops the progress of photos the list (asked for after `mark`) shows as no longer sending:
   * delivered, back in the queue after a failure, held or withdrawn. Progress that arrived after
   * the list was asked for is kept: the list may predate it. */
  settle(list: readonly PhotoSummary[], mark: number): void {
    const sending = new Set(list.filter((p) => p.state === 'sending' || p.state === 'uploaded').map((p) => p.id));
    const kept: Record<string, Kept> = {};
    let dropped = false;
    for (const [photo, progress] of Object.entries(this.#progress)) {
      if (progress.seq > mark || sending.has(photo)) kept[photo] = progress;
      else dropped = true;
    }
    if (dropped) this.#progress = kept;
  }

  /** Asks core for the status. Calls made while one is on its way are folded into one more ask
   * after it, so a burst of events costs two asks, not one each. */
  refresh(): Promise<void> {
    if (this.#refreshing) {
      this.#again = true;
      return this.#refreshing;
    }
    this.#refreshing = (async () => {
      do {
        this.#again = false;
        const ask = ++this.#asked;
        try {
          this.#show(ask, await this.#backend.call('outbox_status'));
        } catch (e) {
          if (ask > this.#shown) this.unavailable = toWardcamError(e);
        }
      } while (this.#again);
    })().finally(() => {
      this.#refreshing = null;
    });
    return this.#refreshing;
  }

  /** The clinician's Send now: wakes delivery at once (core also resets its backoff). A refusal is
   * shown in the banner. Resolves to whether core took it. */
  async sendNow(): Promise<boolean> {
    this.waking = true;
    try {
      return await this.#wake(true);
    } finally {
      this.waking = false;
    }
  }

  /** The patient withdraws consent for a delivered photo (from the Sent list). Core records it and
   * answers with the status, whose `withdrawals` say what the record team must remove. A refusal is
   * shown in the banner. Resolves to whether core took it. */
  async withdrawSent(photo: string): Promise<boolean> {
    const ask = ++this.#asked;
    try {
      this.#show(ask, await this.#backend.call('outbox_withdraw_sent', { photo }));
      for (const listener of [...this.#listeners]) listener();
      return true;
    } catch (e) {
      this.#backend.report(toWardcamError(e));
      return false;
    }
  }

  /** Wakes delivery without the clinician asking (the app is back on screen, the network is back):
   * a refusal is not shown, since nobody asked. */
  async wake(): Promise<void> {
    await this.#wake(false);
  }

  async #wake(asked: boolean): Promise<boolean> {
    const ask = ++this.#asked;
    try {
      this.#show(ask, await this.#backend.call('outbox_send_now'));
      return true;
    } catch (e) {
      if (asked) this.#backend.report(toWardcamError(e));
      return false;
    }
  }

  #show(ask: number, status: OutboxStatus): void {
    if (ask < this.#shown) return;
    this.#shown = ask;
    this.status = status;
    this.unavailable = null;
  }

  #changed(): void {
    void this.refresh();
    for (const listener of [...this.#listeners]) listener();
  }
}

function clamp(fraction: number): number {
  return Number.isFinite(fraction) ? Math.min(1, Math.max(0, fraction)) : 0;
}

function without<T>(record: Record<string, T>, key: string): Record<string, T> {
  if (!(key in record)) return record;
  const copy = { ...record };
  delete copy[key];
  return copy;
}

/** The time now, updated every `TICK_MS` while started: times relative to now are worded again. */
export class Clock {
  now = $state(Date.now());
  #timer: ReturnType<typeof setInterval> | null = null;

  start(every = TICK_MS): void {
    this.stop();
    this.now = Date.now();
    this.#timer = setInterval(() => {
      this.now = Date.now();
    }, every);
  }

  stop(): void {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
  }
}

const KEY = Symbol('delivery-store');

export function provideDelivery(store: DeliveryStore): void {
  setContext(KEY, store);
}

export function useDelivery(): DeliveryStore {
  const store = getContext<DeliveryStore | undefined>(KEY);
  if (!store) throw new Error('DeliveryStore not provided');
  return store;
}
