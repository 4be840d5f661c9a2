import { describe, expect, it } from 'vitest';
import { certificateDate, pacsSummary, recordSummary } from './recordStatus';
import type { RecordStatus } from '../types';

const good: RecordStatus = {
  base_url: 'https://records.example.nhs.uk/fhir/R4',
  problem: null,
  pins: 2,
  no_backup_pin: false,
  certificate: { not_after: 1_800_000_000, expires_soon: false },
};

describe('the record endpoint on the Device screen', () => {
  it('shows the address and no warning for a healthy endpoint', () => {
    expect(recordSummary(good)).toEqual({ line: good.base_url, bad: false, warnings: [] });
  });

  it('warns when there is no backup pin, and when the certificate expires soon', () => {
    const s = recordSummary({ ...good, pins: 1, no_backup_pin: true, certificate: { not_after: 1_800_000_000, expires_soon: true } });
    expect(s.bad).toBe(false);
    expect(s.warnings).toHaveLength(2);
    expect(s.warnings[0]).toMatch(/^Only 1 server key pinned, with no backup/);
    expect(s.warnings[1]).toBe("The hospital server's certificate expires on 15 Jan 2027: tell IT.");
  });

  it('says why a configured endpoint cannot be used, and that patients are blocked', () => {
    const s = recordSummary({
      ...good,
      pins: 0,
      certificate: null,
      problem: { code: 'endpoint.config_invalid', message: "This device's hospital server settings are invalid (format)." },
    });
    expect(s.bad).toBe(true);
    expect(s.line).toMatch(/^https:\/\/records\.example\.nhs\.uk\/fhir\/R4: This device's hospital server settings are invalid/);
    expect(s.line).toMatch(/No patient can be confirmed/);
    expect(recordSummary({ ...good, base_url: null, problem: { code: 'endpoint.config_invalid', message: 'bad.' } }).line).toBe(
      'bad. No patient can be confirmed until this is fixed.',
    );
  });

  it('says so when there is no endpoint', () => {
    expect(recordSummary({ base_url: null, problem: null, pins: 0, no_backup_pin: false, certificate: null }).line).toMatch(
      /^Not provisioned/,
    );
  });

  it('dates certificates in UTC', () => {
    expect(certificateDate(0)).toBe('1 Jan 1970');
    expect(certificateDate(1_800_000_000)).toBe('15 Jan 2027');
    expect(certificateDate(1_800_000_000 - 86_400 * 365)).toBe('15 Jan 2026');
  });
});

describe('the PACS endpoint on the Device screen', () => {
  const pacs: RecordStatus = { ...good, base_url: 'https://pacs.example.nhs.uk/dicom-web' };

  it('shows the address, and the same warnings in words about photos', () => {
    expect(pacsSummary(pacs)).toEqual({ line: pacs.base_url, bad: false, warnings: [] });
    const s = pacsSummary({ ...pacs, pins: 1, no_backup_pin: true });
    expect(s.warnings).toEqual([
      "Only 1 server key pinned, with no backup: when the hospital server's key changes, this phone cannot send photos. Tell IT.",
    ]);
  });

  it('says photos stay on the phone while unprovisioned or unusable', () => {
    expect(pacsSummary({ ...pacs, base_url: null }).line).toBe(
      'Not provisioned: photos stay on this phone until IT sets up the image server',
    );
    const s = pacsSummary({ ...pacs, problem: { code: 'endpoint.config_invalid', message: 'bad.' } });
    expect(s).toEqual({
      line: 'https://pacs.example.nhs.uk/dicom-web: bad. No photo can be sent until this is fixed; they stay on the phone.',
      bad: true,
      warnings: [],
    });
  });
});
