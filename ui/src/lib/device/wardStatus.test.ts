import { describe, expect, it } from 'vitest';
import { cleanupText, recoveryText, waitingText } from './wardStatus';
import type { RecoveryReport } from '../types';

const clean: RecoveryReport = {
  photos: 0,
  visits: 0,
  resumed_visit: false,
  stale_revisions: 0,
  withdrawn_photos_shredded: 0,
  unreferenced_items_shredded: 0,
  unreadable_records: 0,
};

describe('ward status on the Device screen', () => {
  it('says how many photos wait, and deletions only when some are pending', () => {
    expect(waitingText({ recovery: null, photos: 2, cleanup_pending: 0 })).toBe('Photos waiting on this phone: 2');
    expect(cleanupText({ recovery: null, photos: 0, cleanup_pending: 0 })).toBeNull();
    expect(cleanupText({ recovery: null, photos: 0, cleanup_pending: 1 })).toBe('1 deletion will finish at next start');
    expect(cleanupText({ recovery: null, photos: 0, cleanup_pending: 3 })).toBe('3 deletions will finish at next start');
  });

  it('words what the start recovered, and says nothing after a clean start', () => {
    expect(recoveryText(null)).toBeNull();
    expect(recoveryText(clean)).toBeNull();
    expect(recoveryText({ ...clean, photos: 1, visits: 1, resumed_visit: true })).toBe(
      'At start: 1 photo of 1 visit found again; the open visit was resumed.',
    );
    expect(
      recoveryText({ ...clean, withdrawn_photos_shredded: 2, unreferenced_items_shredded: 1, stale_revisions: 1, unreadable_records: 1 }),
    ).toBe('At start: 2 withdrawn photos deleted; 2 leftover items cleaned up; 1 record could not be read (kept; tell IT).');
  });
});
