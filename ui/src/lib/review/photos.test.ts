import { afterEach, describe, expect, it } from 'vitest';
import { clearMocks, mockConvertFileSrc, mockIPC } from '@tauri-apps/api/mocks';
import { Photos, thumbnailUrl } from './photos.svelte';
import { call, WardcamError } from '../ipc';
import { HEEL, outboxPhoto, photo, unlockedView } from '../testing/views';
import type { SessionView } from '../types';

afterEach(() => clearMocks());

const A = '0f0e0d0c-0b0a-4908-8706-050403020101';
const B = '0f0e0d0c-0b0a-4908-8706-050403020102';

function setup(answers: Record<string, (args: unknown) => unknown>) {
  const sent: [string, unknown][] = [];
  const reported: WardcamError[] = [];
  const followed: SessionView[] = [];
  mockIPC((cmd, args) => {
    sent.push([cmd, args]);
    const answer = answers[cmd];
    if (!answer) throw { code: 'app.unexpected', message: cmd };
    return answer(args);
  });
  const photos = new Photos({ call, report: (e) => reported.push(e), follow: async (v) => void followed.push(v) });
  return { photos, sent, reported, followed };
}

describe('Photos', () => {
  it('splits the open visit\'s photos by core\'s state: captured ones are reviewed, queued ones wait', async () => {
    const { photos } = setup({ photos_list: () => [photo(A), outboxPhoto(B)] });
    await photos.load();
    expect(photos.pending.map((p) => p.id)).toEqual([A]);
    expect(photos.queued.map((p) => p.id)).toEqual([B]);
    expect(photos.unlabelled).toBe(1);
  });

  it('labels, redacts and deletes by the photo\'s UUID', async () => {
    const { photos, sent, followed } = setup({
      photos_list: () => [photo(A)],
      photo_label: () => photo(A, { body_site: HEEL, laterality: 'left', version: 2 }),
      photo_redact: () => ({ view: unlockedView, photo: photo(A, { body_site: HEEL, laterality: 'left', redacted: true, version: 3 }) }),
      photo_delete: () => ({ view: unlockedView, photo: null }),
    });
    await photos.load();
    expect(await photos.label(A, { body_site: HEEL.code, laterality: 'left', description: '' })).toBe(true);
    expect(photos.unlabelled).toBe(0);
    expect(await photos.redact(A, { crop: null, fills: [] })).toBe(true);
    expect(photos.list[0]?.redacted).toBe(true);
    expect(await photos.remove(A)).toBe(true);
    expect(photos.list).toEqual([]);
    expect(sent.slice(1)).toEqual([
      ['photo_label', { id: A, label: { body_site: HEEL.code, laterality: 'left', description: '' } }],
      ['photo_redact', { id: A, redaction: { crop: null, fills: [] } }],
      ['photo_delete', { id: A }],
    ]);
    expect(followed).toEqual([unlockedView]);
  });

  it('reports core\'s refusal to relabel a queued photo', async () => {
    const { photos, reported } = setup({
      photo_label: () => {
        throw { code: 'visit.photo_queued', message: 'This photo is already in the outbox.' };
      },
    });
    expect(await photos.label(B, { body_site: HEEL.code, laterality: 'left', description: '' })).toBe(false);
    expect(reported.map((e) => e.code)).toEqual(['visit.photo_queued']);
  });

  it('fetches the thumbnail by UUID from the thumb protocol, fresh for each version', () => {
    mockConvertFileSrc('linux');
    expect(thumbnailUrl(photo(A, { version: 4 }))).toBe(`thumb://localhost/${A}?v=4`);
  });
});
