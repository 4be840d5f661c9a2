// The photos of the visit open now, as core lists them. Thumbnails are never held here: the
// WebView loads them from the `thumb` protocol (unsealed in memory, `Cache-Control: no-store`).
import { convertFileSrc } from '@tauri-apps/api/core';
import { toWardcamError, type call, type WardcamError } from '../ipc';
import type { LabelInput, PhotoChange, PhotoSummary, Redaction, SessionView } from '../types';

/** What the store needs from the outside world; tests pass fakes. */
export interface PhotosBackend {
  call: typeof call;
  /** Shows an error in the app's banner. */
  report: (error: WardcamError) => void;
  /** Follows the session view a photo command returned. */
  follow: (view: SessionView) => Promise<void>;
}

/** Where the WebView fetches a photo's thumbnail; the version changes after a redaction. */
export function thumbnailUrl(photo: PhotoSummary): string {
  return `${convertFileSrc(photo.id, 'thumb')}?v=${photo.version}`;
}

export class Photos {
  list = $state<PhotoSummary[]>([]);
  busy = $state(false);
  /** Taken, not yet in the outbox: the Review screen's list. */
  readonly pending = $derived(this.list.filter((p) => p.state === 'captured'));
  readonly queued = $derived(this.list.filter((p) => p.state === 'queued'));
  readonly unlabelled = $derived(this.pending.filter((p) => p.body_site === null).length);
  /** The newest photo still without a label: the one the camera's label asks about. */
  readonly toLabel = $derived(this.pending.filter((p) => p.body_site === null).at(-1) ?? null);

  readonly #backend: PhotosBackend;

  constructor(backend: PhotosBackend) {
    this.#backend = backend;
  }

  async load(): Promise<void> {
    try {
      this.list = await this.#backend.call('photos_list');
    } catch (e) {
      this.#backend.report(toWardcamError(e));
    }
  }

  /** A photo the camera just delivered. */
  async captured(change: PhotoChange): Promise<void> {
    if (change.photo) this.#put(change.photo);
    await this.#backend.follow(change.view);
  }

  label = (id: string, label: LabelInput) =>
    this.#act(async () => this.#put(await this.#backend.call('photo_label', { id, label })));

  /** Labels a photo and sends it (the camera's short path); the session follows where core goes
   * next: the Outbox once queued, or Review while another photo needs its label. */
  send = (id: string, label: LabelInput) =>
    this.#act(async () => {
      const view = await this.#backend.call('photo_send', { id, label });
      this.list = await this.#backend.call('photos_list');
      await this.#backend.follow(view);
    });

  remove = (id: string) =>
    this.#act(async () => {
      const change = await this.#backend.call('photo_delete', { id });
      this.list = this.list.filter((p) => p.id !== id);
      await this.#backend.follow(change.view);
    });

  redact = (id: string, redaction: Redaction) =>
    this.#act(async () => {
      const change = await this.#backend.call('photo_redact', { id, redaction });
      if (change.photo) this.#put(change.photo);
    });

  #put(photo: PhotoSummary): void {
    const at = this.list.findIndex((p) => p.id === photo.id);
    this.list = at < 0 ? [...this.list, photo] : this.list.map((p) => (p.id === photo.id ? photo : p));
  }

  async #act(action: () => Promise<void>): Promise<boolean> {
    this.busy = true;
    try {
      await action();
      return true;
    } catch (e) {
      this.#backend.report(toWardcamError(e));
      return false;
    } finally {
      this.busy = false;
    }
  }
}
