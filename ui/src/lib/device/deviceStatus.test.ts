import { describe, expect, it } from 'vitest';
import {
  DeviceStatusStore,
  ageText,
  auditText,
  lastDeliveryText,
  oldestText,
  policyText,
  queueText,
  wipeText,
} from './deviceStatus.svelte';
import type { DeviceStatus } from '../types';

const HOUR = 3_600_000;
const NOW = 1_790_000_000_000;

const empty = { total: 0, captured: 0, queued: 0, sending: 0, uploaded: 0, held: 0, withdrawn: 0 };

const unlocked: DeviceStatus = {
  reported_at: NOW,
  app_version: '1.4.2',
  locked: false,
  policy: { version: 7, trust: 'Example Hospitals', ods_code: 'RX1', sha256: 'a1b2c3d4e5f6a7b8c9d0', source: 'managed' },
  passcode: null,
  queue: { ...empty, total: 3, captured: 1, queued: 1, held: 1 },
  oldest_undelivered_age_ms: 26 * HOUR,
  last_delivery_at: NOW - 2 * HOUR,
  audit: { entries: 42, seq: 41, hash: '3f2a9c1b7d0e5a6b'.repeat(4), intact: true, lost: 0 },
  audit_problem: null,
  wipe: null,
  wipe_problem: null,
};

const locked: DeviceStatus = {
  ...unlocked,
  locked: true,
  queue: null,
  oldest_undelivered_age_ms: null,
  last_delivery_at: null,
  audit: null,
};

describe('device status text', () => {
  it('words ages from minutes to days', () => {
    expect(ageText(30_000)).toBe('under a minute');
    expect(ageText(60_000)).toBe('1 minute');
    expect(ageText(5 * 60_000)).toBe('5 minutes');
    expect(ageText(HOUR)).toBe('1 hour');
    expect(ageText(3 * HOUR + 20 * 60_000)).toBe('3 hours 20 minutes');
    expect(ageText(26 * HOUR)).toBe('1 day 2 hours');
    expect(ageText(48 * HOUR)).toBe('2 days');
  });

  it('counts the queue by state, and says nothing from the vault while locked', () => {
    expect(queueText(unlocked)).toBe('3 photos waiting: 1 not yet queued, 1 queued, 1 held');
    expect(queueText({ ...unlocked, queue: { ...empty, total: 1, uploaded: 1 } })).toBe('1 photo waiting: 1 being checked');
    expect(queueText({ ...unlocked, queue: empty })).toBe('No photos waiting');
    expect(queueText(locked)).toBe('Unlock to see the photos waiting');
  });

  it("gives the oldest photo's age only when one waits", () => {
    expect(oldestText(unlocked)).toBe('Oldest has waited at least 1 day 2 hours');
    expect(oldestText({ ...unlocked, queue: empty, oldest_undelivered_age_ms: null })).toBeNull();
    expect(oldestText(locked)).toBeNull();
  });

  it('measures the last delivery against the time the status was taken', () => {
    expect(lastDeliveryText(unlocked)).toBe('2 hours ago');
    expect(lastDeliveryText({ ...unlocked, last_delivery_at: NOW - 10_000 })).toBe('Just now');
    expect(lastDeliveryText({ ...unlocked, last_delivery_at: null })).toBe('None on this phone');
    expect(lastDeliveryText(locked)).toBe('Unlock to see the last delivery');
  });

  it('names the policy, where it came from and its digest', () => {
    expect(policyText(unlocked)).toBe('Version 7 from MDM (RX1), a1b2c3d4e5f6…');
    const code = { ...unlocked.policy!, source: 'code' as const, sha256: null };
    expect(policyText({ ...unlocked, policy: code })).toBe('Version 7 from a provisioning code (RX1)');
    expect(policyText({ ...unlocked, policy: null })).toBe('No policy: not set up by a trust');
  });

  it('shows the audit head and flags a broken chain, lost entries or a failure', () => {
    expect(auditText(unlocked)).toEqual({ line: '42 entries, head #41 3f2a9c1b7d0e…, intact', bad: false });
    const broken = auditText({ ...unlocked, audit: { ...unlocked.audit!, intact: false, lost: 2 } });
    expect(broken.line).toBe('42 entries, head #41 3f2a9c1b7d0e…, BROKEN: tell IT, 2 entries lost');
    expect(broken.bad).toBe(true);
    expect(auditText({ ...unlocked, audit_problem: 'audit.io' }).bad).toBe(true);
    expect(auditText(locked)).toEqual({ line: 'Unlock to see the audit chain', bad: false });
    expect(auditText({ ...unlocked, audit: null, audit_problem: 'audit.io' })).toEqual({
      line: 'The audit log is not open (last problem: audit.io)',
      bad: true,
    });
  });

  it('reports a remote wipe, one still finishing, and an unreadable record', () => {
    expect(wipeText(unlocked)).toBeNull();
    const wipe = { source: 'mdm' as const, started_at: NOW - 3 * HOUR, finished_at: NOW - 3 * HOUR, items: 12 };
    expect(wipeText({ ...locked, wipe })).toBe('Wiped remotely by MDM 3 hours ago: 12 items destroyed');
    expect(wipeText({ ...locked, wipe: { ...wipe, source: 'signed_command', finished_at: null } })).toBe(
      'A remote wipe by a signed command is still finishing',
    );
    expect(wipeText({ ...locked, wipe_problem: 'wipe.record_damaged' })).toBe(
      'The wipe record could not be read (wipe.record_damaged): tell IT',
    );
  });
});

describe('DeviceStatusStore', () => {
  it("keeps core's answer, and an error in its place when asking fails", async () => {
    const store = new DeviceStatusStore();
    await store.load(async () => unlocked);
    expect(store.status).toEqual(unlocked);
    await store.load(async () => {
      throw { code: 'session.locked', message: 'Locked.' };
    });
    expect(store.error?.code).toBe('session.locked');
  });

  it('drops an answer overtaken by a newer question', async () => {
    const store = new DeviceStatusStore();
    let release: (s: DeviceStatus) => void = () => {};
    const slow = store.load(() => new Promise<DeviceStatus>((r) => (release = r)));
    await store.load(async () => locked);
    release(unlocked);
    await slow;
    expect(store.status).toEqual(locked);
  });
});
