import { describe, expect, it } from 'vitest';
import { groupedInstallation, wipeSummary, WipeStore } from './wipe.svelte';
import type { WipeReport, WipeStatus } from '../types';

const report: WipeReport = {
  source: 'signed_command',
  request: 'ab'.repeat(16),
  installation: '0123456789abcdef0123456789abcdef',
  started_at: Date.UTC(2026, 11, 1, 9, 30),
  finished_at: Date.UTC(2026, 11, 1, 9, 30),
  items: 7,
  audit: null,
  acknowledged: false,
};

describe('wipe lines', () => {
  it('says how, when and how much', () => {
    const line = wipeSummary(report);
    expect(line).toContain('signed wipe command');
    expect(line).toContain('7 items');
    expect(wipeSummary({ ...report, items: 1, source: 'mdm' })).toContain('by MDM');
    expect(wipeSummary({ ...report, items: 1 })).toContain('1 item crypto-shredded');
    expect(wipeSummary({ ...report, finished_at: null })).toContain('finishes when WardCam restarts');
    expect(wipeSummary(null)).toBe('Never wiped.');
  });

  it('groups the installation id as the admin tool reads it', () => {
    expect(groupedInstallation(report.installation)).toBe('01234567-89ab-cdef-0123-456789abcdef');
    expect(groupedInstallation(null)).toContain('None yet');
  });
});

describe('WipeStore', () => {
  it('shows the wiped screen until it is acknowledged', async () => {
    let status: WipeStatus = { installation: null, report, wiped: true };
    const calls: string[] = [];
    const store = new WipeStore(async (c) => {
      calls.push(c);
      if (c === 'wipe_acknowledge') status = { ...status, wiped: false };
      return status;
    });
    const handlers: (() => void)[] = [];
    await store.start(async (_e, h) => {
      handlers.push(h);
      return () => {};
    });
    expect(store.wiped).toBe(true);
    await store.acknowledge();
    expect(store.wiped).toBe(false);
    expect(calls).toEqual(['wipe_status', 'wipe_acknowledge']);
    expect(handlers).toHaveLength(2);
  });

  it('keeps the app going when the wipe record cannot be read yet', async () => {
    const store = new WipeStore(async () => {
      throw { code: 'vault.api_misuse', message: 'not yet' };
    });
    await store.check();
    expect(store.wiped).toBe(false);
  });
});
