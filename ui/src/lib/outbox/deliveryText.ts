// Delivery in words: where a photo is on its way to the hospital's server, the last problem and when
// core will try again, what was sent and where. Core decides every state, problem and retry time;
// this only words them, and says how long it is until a time core gave.
import { LATERALITY_LABELS } from '../review/laterality';
import type { BodySite, Delivery, DeliveryPhase, DeliveryRoute, ErrorPayload, Laterality, OutboxStatus, PhotoSummary, RetentionView, SentView } from '../types';

/** A photo's delivery before its first attempt. */
export const NOT_SENT: Delivery = { attempts: 0, retry_at: null, problem: null, hold: null };

/** `photo` as listed, with a delivery record even from a core that gives none yet (one from before
 * delivery): it has not been sent. */
export function withDelivery(photo: PhotoSummary): PhotoSummary {
  return (photo.delivery as Delivery | undefined) ? photo : { ...photo, delivery: NOT_SENT };
}

/** How far one photo's sending has got, from core's last progress event for it. */
export interface Progress {
  phase: DeliveryPhase;
  /** 0..1. */
  fraction: number;
}

/** How often times relative to now ("will retry in 2 min") are worded again. */
export const TICK_MS = 15_000;

export const PHASE_LABELS: Readonly<Record<DeliveryPhase, string>> = {
  preparing: 'Preparing',
  uploading: 'Uploading',
  verifying: "Checking the hospital's copy",
};

/** "in less than a minute", "in 2 min", "in 1 h 5 min"; null once the time has come. */
export function untilText(at: number, now: number): string | null {
  const ms = at - now;
  if (ms <= 0) return null;
  if (ms < 60_000) return 'in less than a minute';
  const minutes = Math.round(ms / 60_000);
  if (minutes < 60) return `in ${minutes} min`;
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  return rest === 0 ? `in ${hours} h` : `in ${hours} h ${rest} min`;
}

/** "will retry in 2 min", or "retrying now" once the retry time has passed. */
export function retryText(retryAt: number, now: number): string {
  const until = untilText(retryAt, now);
  return until ? `will retry ${until}` : 'retrying now';
}

/** A failed attempt in core's words, with when core tries again: "<message> — will retry in 2 min";
 * the message alone when no retry is scheduled. */
export function problemText(problem: ErrorPayload, retryAt: number | null, now: number): string {
  return retryAt === null ? problem.message : `${problem.message} — ${retryText(retryAt, now)}`;
}

/** Whether a photo is on its way: queued (and not held by the patient check), sending, or sent and
 * being checked. Only these show progress or a delivery problem. */
function onItsWay(photo: PhotoSummary): boolean {
  if (photo.state === 'queued') return photo.identity.gate !== 'held';
  return photo.state === 'sending' || photo.state === 'uploaded';
}

/** Where a photo is, in words. A progress event may arrive before the list shows the photo as
 * sending: core's event is shown at once. */
export function stateText(photo: PhotoSummary, progress: Progress | null = null): string {
  switch (photo.state) {
    case 'queued':
      if (photo.identity.gate === 'held') return 'Held: will not be sent';
      if (progress) return sendingText(progress);
      return partlySentText(photo) ?? 'Waiting to send';
    case 'sending':
      return progress ? sendingText(progress) : 'Sending…';
    case 'uploaded':
      return "Checking the hospital's copy…";
    case 'held':
      return `Held — ${photo.delivery.hold?.message ?? 'someone needs to look at this photo before it can be sent.'}`;
    case 'captured':
      return photo.current_visit ? 'Not yet labelled/queued: finish it on Review' : 'Not yet labelled/queued';
    case 'withdrawn':
      return 'Consent withdrawn: being deleted';
  }
}

export const ROUTE_NAMES: Readonly<Record<DeliveryRoute, string>> = {
  pacs: 'hospital image server',
  record: 'hospital record',
};

/** A queued photo one route already holds: "Saved in the hospital record; waiting to send to the
 * hospital image server". Null when no route holds it yet. */
function partlySentText(photo: PhotoSummary): string | null {
  const verified = photo.delivery.verified ?? [];
  if (verified.length === 0) return null;
  const held = verified.map((r) => ROUTE_NAMES[r]).join(' and ');
  const other = (['pacs', 'record'] as const).find((r) => !verified.includes(r));
  return other ? `Saved in the ${held}; waiting to send to the ${ROUTE_NAMES[other]}` : `Saved in the ${held}`;
}

function sendingText(progress: Progress): string {
  return progress.phase === 'verifying' ? "Checking the hospital's copy…" : 'Sending…';
}

/** The progress bar of a photo on its way: the phase and percentage core last reported, or an
 * indeterminate bar (`fraction` null) while it is sending and no progress has come yet. */
export function progressBar(photo: PhotoSummary, progress: Progress | null): { label: string; fraction: number | null } | null {
  if (!onItsWay(photo)) return null;
  if (progress) {
    return { label: `${PHASE_LABELS[progress.phase]} — ${Math.round(progress.fraction * 100)}%`, fraction: progress.fraction };
  }
  return photo.state === 'sending' ? { label: 'Sending', fraction: null } : null;
}

/** The last failed attempt of a photo on its way and when core tries again, or when core will
 * next try when there was no problem; null when there is nothing to say. */
export function deliveryProblemText(photo: PhotoSummary, now: number): string | null {
  if (!onItsWay(photo)) return null;
  const { problem, retry_at } = photo.delivery;
  if (problem) return problemText(problem, retry_at, now);
  if (retry_at !== null && photo.state === 'queued') {
    const until = untilText(retry_at, now);
    return until ? `Next try ${until}` : 'Trying now';
  }
  return null;
}

/** "Heel (left)", "Sacral region", or "No body site". */
export function labelText(site: BodySite | null, laterality: string | null): string {
  if (!site) return 'No body site';
  const side =
    laterality && laterality !== 'not_applicable'
      ? (LATERALITY_LABELS[laterality as Laterality] as string | undefined) ?? laterality
      : null;
  return side ? `${site.display} (${side})` : site.display;
}

/** The host of a server's base URL (`pacs.example.nhs.uk`), or the text as given if it is not one. */
export function serverHost(url: string): string {
  try {
    return new URL(url).host || url;
  } catch {
    return url;
  }
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad = (n: number) => String(n).padStart(2, '0');

function sameDay(a: Date, b: Date): boolean {
  return a.getFullYear() === b.getFullYear() && a.getMonth() === b.getMonth() && a.getDate() === b.getDate();
}

/** When a photo was sent, in the phone's time: "at 14:05" today, "yesterday at 14:05", else
 * "on 3 Dec at 14:05". */
export function sentTimeText(at: number, now: number): string {
  const when = new Date(at);
  const time = `at ${pad(when.getHours())}:${pad(when.getMinutes())}`;
  const today = new Date(now);
  if (sameDay(when, today)) return time;
  const yesterday = new Date(today.getFullYear(), today.getMonth(), today.getDate() - 1);
  if (sameDay(when, yesterday)) return `yesterday ${time}`;
  return `on ${when.getDate()} ${MONTHS[when.getMonth()]} ${time}`;
}

/** The hosts a photo went to: "pacs.example.nhs.uk and epr.example.nhs.uk". */
function sentServers(sent: SentView): string {
  const servers = (sent.servers as string[] | undefined) ?? [sent.server];
  const hosts = [...new Set(servers.map(serverHost))];
  return hosts.length > 0 ? hosts.join(' and ') : serverHost(sent.server);
}

/** One delivered photo: what it shows, and where and when it went ("Sent to pacs.example.nhs.uk
 * at 14:05"). */
export function sentText(sent: SentView, now: number): { label: string; line: string } {
  return {
    label: labelText(sent.body_site, sent.laterality),
    line: `Sent to ${sentServers(sent)} ${sentTimeText(sent.sent_at, now)}`,
  };
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** The top bar's badge: photos still to go (waiting and held), and its accessible label
 * ("3 photos waiting to send", with ", 1 held" when core holds any). */
export function badge(status: OutboxStatus): { count: number; held: number; label: string } {
  const count = status.waiting + status.held;
  const label = `${plural(count, 'photo')} waiting to send${status.held > 0 ? `, ${status.held} held` : ''}`;
  return { count, held: status.held, label };
}

/** The Outbox's summary of delivery as a whole, in words; null when there is nothing to say. */
export function statusText(status: OutboxStatus, now: number): string | null {
  if (!status.configured && status.config_problem) {
    return `This phone's hospital server settings cannot be used, so photos stay here — tell IT: ${status.config_problem.message}`;
  }
  if (!status.configured) return 'No hospital server set up on this phone — photos stay here until IT sets one up';
  if (status.active) return 'Sending to the hospital now…';
  if (status.last_problem) return problemText(status.last_problem, status.next_retry_at, now);
  if (status.waiting > 0 && status.next_retry_at !== null) {
    const until = untilText(status.next_retry_at, now);
    return until ? `Next try ${until}` : 'Trying now';
  }
  return null;
}

/** "1 photo is held: someone needs to look at it", or null when none is. */
export function heldText(status: OutboxStatus): string | null {
  if (status.held <= 0) return null;
  return status.held === 1
    ? '1 photo is held and will not be sent until someone looks at it'
    : `${status.held} photos are held and will not be sent until someone looks at them`;
}

/** The Outbox's warning about photos waiting too long, in words; null when none do. Core decides
 * which photos and whether any will be deleted; this only words it. */
export function retentionText(view: RetentionView | null | undefined): string | null {
  if (!view || view.waiting_too_long === 0) return null;
  const n = view.waiting_too_long;
  const photos = n === 1 ? '1 photo' : `${n} photos`;
  let text = `${photos} waiting longer than ${view.warn_after_hours} hours — connect to the trust network to send ${n === 1 ? 'it' : 'them'}.`;
  if (view.to_be_purged > 0 && view.purge_after_hours !== null) {
    const which = view.to_be_purged === 1 ? '1 photo' : `${view.to_be_purged} photos`;
    text += ` The trust deletes unsent photos after ${view.purge_after_hours} hours: ${which} will be deleted from this phone unless sent.`;
  }
  return text;
}
