import { describe, expect, it } from 'vitest';
import {
  badge,
  deliveryProblemText,
  heldText,
  labelText,
  NOT_SENT,
  problemText,
  progressBar,
  retentionText,
  retryText,
  sentText,
  sentTimeText,
  serverHost,
  stateText,
  statusText,
  untilText,
  withDelivery,
} from './deliveryText';
import { HEEL, outboxPhoto, SACRUM } from '../testing/views';
import type { OutboxStatus, PhotoSummary } from '../types';

const NOW = 1_764_500_000_000;
const MIN = 60_000;
const unreachable = { code: 'endpoint.unreachable', message: 'The hospital server did not answer.' };
const queued = outboxPhoto('11111111-1111-4111-8111-111111111111');
const status: OutboxStatus = {
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

describe('times relative to now', () => {
  it('words how long until a time core gave', () => {
    expect(untilText(NOW + 2 * MIN, NOW)).toBe('in 2 min');
    expect(untilText(NOW + 2 * MIN + 20_000, NOW)).toBe('in 2 min');
    expect(untilText(NOW + 90_000, NOW)).toBe('in 2 min');
    expect(untilText(NOW + 61_000, NOW)).toBe('in 1 min');
    expect(untilText(NOW + 59_000, NOW)).toBe('in less than a minute');
    expect(untilText(NOW + 1, NOW)).toBe('in less than a minute');
    expect(untilText(NOW + 65 * MIN, NOW)).toBe('in 1 h 5 min');
    expect(untilText(NOW + 120 * MIN, NOW)).toBe('in 2 h');
    expect(untilText(NOW, NOW)).toBeNull();
    expect(untilText(NOW - MIN, NOW)).toBeNull();
  });

  it('says "retrying now" once the retry time has passed', () => {
    expect(retryText(NOW + 2 * MIN, NOW)).toBe('will retry in 2 min');
    expect(retryText(NOW, NOW)).toBe('retrying now');
    expect(retryText(NOW - 5 * MIN, NOW)).toBe('retrying now');
    // The same retry time, worded again as the clock moves on.
    expect(retryText(NOW + 2 * MIN, NOW + 15_000)).toBe('will retry in 2 min');
    expect(retryText(NOW + 2 * MIN, NOW + 45_000)).toBe('will retry in 1 min');
    expect(retryText(NOW + 2 * MIN, NOW + 105_000)).toBe('will retry in less than a minute');
  });

  it("puts core's words first, then the retry", () => {
    expect(problemText(unreachable, NOW + 2 * MIN, NOW)).toBe('The hospital server did not answer. — will retry in 2 min');
    expect(problemText(unreachable, null, NOW)).toBe('The hospital server did not answer.');
  });
});

describe('a photo on its way', () => {
  it('says where it is, from its state', () => {
    expect(stateText(queued)).toBe('Waiting to send');
    expect(stateText({ ...queued, state: 'sending' })).toBe('Sending…');
    expect(stateText({ ...queued, state: 'uploaded' })).toBe("Checking the hospital's copy…");
    const hold = { code: 'delivery.readback_mismatch', message: "The hospital's copy differs from the photo sent: tell IT." };
    expect(stateText({ ...queued, state: 'held', delivery: { ...NOT_SENT, hold } })).toBe(`Held — ${hold.message}`);
    expect(stateText({ ...queued, state: 'held' })).toMatch(/^Held — someone needs to look/);
    expect(stateText({ ...queued, state: 'withdrawn' })).toBe('Consent withdrawn: being deleted');
    // One route holds it, the other not yet.
    expect(stateText({ ...queued, delivery: { ...NOT_SENT, verified: ['record'] } })).toBe(
      'Saved in the hospital record; waiting to send to the hospital image server',
    );
    expect(stateText({ ...queued, delivery: { ...NOT_SENT, verified: ['pacs'] } })).toBe(
      'Saved in the hospital image server; waiting to send to the hospital record',
    );
  });

  it('says sending as soon as a progress event comes, before the list shows it', () => {
    expect(stateText(queued, { phase: 'uploading', fraction: 0.2 })).toBe('Sending…');
    expect(stateText({ ...queued, state: 'sending' }, { phase: 'verifying', fraction: 0.5 })).toBe("Checking the hospital's copy…");
    // A photo held by the patient check is never sent, whatever arrives.
    const heldByRecord: PhotoSummary = { ...queued, identity: { gate: 'held', reason: unreachable } };
    expect(stateText(heldByRecord, { phase: 'uploading', fraction: 0.2 })).toBe('Held: will not be sent');
  });

  it('shows a progress bar with the phase and percentage core reported', () => {
    expect(progressBar(queued, null)).toBeNull();
    expect(progressBar({ ...queued, state: 'sending' }, null)).toEqual({ label: 'Sending', fraction: null });
    expect(progressBar(queued, { phase: 'preparing', fraction: 0 })).toEqual({ label: 'Preparing — 0%', fraction: 0 });
    expect(progressBar({ ...queued, state: 'sending' }, { phase: 'uploading', fraction: 0.426 })).toEqual({
      label: 'Uploading — 43%',
      fraction: 0.426,
    });
    expect(progressBar({ ...queued, state: 'uploaded' }, { phase: 'verifying', fraction: 1 })).toEqual({
      label: "Checking the hospital's copy — 100%",
      fraction: 1,
    });
    expect(progressBar({ ...queued, state: 'held' }, { phase: 'uploading', fraction: 0.5 })).toBeNull();
    expect(progressBar({ ...queued, state: 'captured' }, { phase: 'uploading', fraction: 0.5 })).toBeNull();
  });

  it("words the last problem with core's retry time", () => {
    expect(deliveryProblemText(queued, NOW)).toBeNull();
    const failed: PhotoSummary = { ...queued, delivery: { attempts: 3, retry_at: NOW + 2 * MIN, problem: unreachable, hold: null } };
    expect(deliveryProblemText(failed, NOW)).toBe('The hospital server did not answer. — will retry in 2 min');
    expect(deliveryProblemText(failed, NOW + 3 * MIN)).toBe('The hospital server did not answer. — retrying now');
    expect(deliveryProblemText({ ...failed, delivery: { ...failed.delivery, retry_at: null } }, NOW)).toBe(
      'The hospital server did not answer.',
    );
    expect(deliveryProblemText({ ...failed, delivery: { ...NOT_SENT, retry_at: NOW + 2 * MIN } }, NOW)).toBe('Next try in 2 min');
    // Held: the hold says it all.
    expect(deliveryProblemText({ ...failed, state: 'held' }, NOW)).toBeNull();
  });

  it('fills in a delivery for a photo from a core that lists none', () => {
    const old = { ...queued } as Partial<PhotoSummary>;
    delete old.delivery;
    expect(withDelivery(old as PhotoSummary).delivery).toEqual(NOT_SENT);
    expect(withDelivery(queued)).toBe(queued);
  });
});

describe('sent photos', () => {
  it('name the body site and side', () => {
    expect(labelText(HEEL, 'left')).toBe('Heel (left)');
    expect(labelText(HEEL, 'bilateral')).toBe('Heel (both sides)');
    expect(labelText(SACRUM, 'not_applicable')).toBe('Sacral region');
    expect(labelText(SACRUM, null)).toBe('Sacral region');
    expect(labelText(HEEL, 'upper')).toBe('Heel (upper)');
    expect(labelText(null, null)).toBe('No body site');
  });

  it("say where they went: the server's host", () => {
    expect(serverHost('https://pacs.example.nhs.uk/dicom-web')).toBe('pacs.example.nhs.uk');
    expect(serverHost('https://127.0.0.1:8443/dicom-web/')).toBe('127.0.0.1:8443');
    expect(serverHost('not a url')).toBe('not a url');
  });

  it("say when, in the phone's time", () => {
    const now = new Date(2026, 10, 30, 16, 0).getTime();
    expect(sentTimeText(new Date(2026, 10, 30, 14, 5).getTime(), now)).toBe('at 14:05');
    expect(sentTimeText(new Date(2026, 10, 29, 9, 7).getTime(), now)).toBe('yesterday at 09:07');
    expect(sentTimeText(new Date(2026, 10, 3, 23, 59).getTime(), now)).toBe('on 3 Nov at 23:59');
    expect(sentTimeText(new Date(2026, 11, 1, 0, 30).getTime(), new Date(2026, 11, 1, 8, 0).getTime())).toBe('at 00:30');
    expect(sentTimeText(new Date(2026, 10, 30, 23, 30).getTime(), new Date(2026, 11, 1, 8, 0).getTime())).toBe(
      'yesterday at 23:30',
    );
    expect(
      sentText(
        { photo: queued.id, sent_at: new Date(2026, 10, 30, 14, 5).getTime(), body_site: HEEL, laterality: 'right', server: status.destination!, servers: [status.destination!], sop_uid: '2.25.1', document_reference: null },
        now,
      ),
    ).toEqual({ label: 'Heel (right)', line: 'Sent to pacs.example.nhs.uk at 14:05' });
    // Both routes: both hosts, each once.
    expect(
      sentText(
        {
          photo: queued.id,
          sent_at: new Date(2026, 10, 30, 14, 5).getTime(),
          body_site: HEEL,
          laterality: 'right',
          server: status.destination!,
          servers: [status.destination!, 'https://epr.example.nhs.uk/fhir/R4'],
          sop_uid: '2.25.1',
          document_reference: 'DocumentReference/7',
        },
        now,
      ).line,
    ).toBe('Sent to pacs.example.nhs.uk and epr.example.nhs.uk at 14:05');
  });
});

describe('delivery as a whole', () => {
  it('gives the top bar a count of photos waiting and held, with its label', () => {
    expect(badge(status)).toEqual({ count: 2, held: 0, label: '2 photos waiting to send' });
    expect(badge({ ...status, waiting: 1 })).toEqual({ count: 1, held: 0, label: '1 photo waiting to send' });
    expect(badge({ ...status, waiting: 2, held: 1 })).toEqual({ count: 3, held: 1, label: '3 photos waiting to send, 1 held' });
    expect(badge({ ...status, waiting: 0 })).toEqual({ count: 0, held: 0, label: '0 photos waiting to send' });
  });

  it('says when no server is set up, when it is sending, and the last problem with the next retry', () => {
    expect(statusText({ ...status, configured: false, destination: null }, NOW)).toBe(
      'No hospital server set up on this phone — photos stay here until IT sets one up',
    );
    const invalid = { code: 'endpoint.config_invalid', message: 'This device\'s hospital server settings are invalid (spki_pins_sha256).' };
    expect(statusText({ ...status, configured: false, config_problem: invalid }, NOW)).toBe(
      `This phone's hospital server settings cannot be used, so photos stay here — tell IT: ${invalid.message}`,
    );
    expect(statusText({ ...status, active: true }, NOW)).toBe('Sending to the hospital now…');
    expect(statusText({ ...status, last_problem: unreachable, next_retry_at: NOW + 2 * MIN }, NOW)).toBe(
      'The hospital server did not answer. — will retry in 2 min',
    );
    expect(statusText({ ...status, next_retry_at: NOW + 5 * MIN }, NOW)).toBe('Next try in 5 min');
    expect(statusText({ ...status, waiting: 0, next_retry_at: NOW + 5 * MIN }, NOW)).toBeNull();
    expect(statusText(status, NOW)).toBeNull();
    expect(heldText(status)).toBeNull();
    expect(heldText({ ...status, held: 1 })).toBe('1 photo is held and will not be sent until someone looks at it');
    expect(heldText({ ...status, held: 2 })).toMatch(/^2 photos are held/);
  });
});

describe('retentionText', () => {
  const view = { waiting_too_long: 0, warn_after_hours: 24, to_be_purged: 0, purge_after_hours: null, last_vouched: null };

  it('says nothing when no photo waits too long, or before core made a pass', () => {
    expect(retentionText(view)).toBeNull();
    expect(retentionText(null)).toBeNull();
    expect(retentionText(undefined)).toBeNull();
  });

  it('counts the photos waiting longer than core\'s warning age and says what to do', () => {
    expect(retentionText({ ...view, waiting_too_long: 3 })).toBe(
      '3 photos waiting longer than 24 hours — connect to the trust network to send them.',
    );
    expect(retentionText({ ...view, waiting_too_long: 1 })).toBe(
      '1 photo waiting longer than 24 hours — connect to the trust network to send it.',
    );
  });

  it('says which will be deleted only when the trust\'s policy deletes unsent photos', () => {
    expect(retentionText({ ...view, waiting_too_long: 2, to_be_purged: 1, purge_after_hours: 48 })).toBe(
      '2 photos waiting longer than 24 hours — connect to the trust network to send them. The trust deletes unsent photos after 48 hours: 1 photo will be deleted from this phone unless sent.',
    );
  });
});
