// Development-only entry for Playwright: installs a mocked backend from `@tauri-apps/api/mocks`
// answering with the fixture the test put on `window.__WARDCAM_FIXTURE__`, then starts the real UI.
// It holds no clinical rules: each test states the exact views core would return. Never built or
// shipped: `vite build` builds index.html only.
import { mockConvertFileSrc, mockIPC } from '@tauri-apps/api/mocks';
import { emit } from '@tauri-apps/api/event';
import type { Channel } from '@tauri-apps/api/core';
import { channelSender } from './lib/testing/channel';
import type {
  BodySite,
  ConsentText,
  PinStatus,
  DeviceInfo,
  DeviceStatus,
  ErrorPayload,
  LabelInput,
  LabelSuggestions,
  NhsNumberCheck,
  PasscodeStatus,
  OutboxEvent,
  OutboxStatus,
  PatientSummary,
  PhotoSummary,
  RecheckSummary,
  SessionView,
  VaultStatus,
  WardStatus,
  WithdrawnView,
  GateStatus,
  WipeStatus,
  AuditExport,
} from './lib/types';

/** What the backend holds after a command: the view it returns and the patient it then reports. */
export interface Answer {
  view: SessionView;
  patient?: PatientSummary | null;
}

export interface Fixture {
  view: SessionView;
  patient: PatientSummary | null;
  device: DeviceInfo;
  /** The passcode gate's answer (`device_passcode`); when not given, the desktop build's:
   * unknown, development platform, allowed. */
  passcode?: PasscodeStatus;
  /** Commands that reject, with the error the backend would return. */
  errors?: Record<string, ErrorPayload>;
  /** Commands that return a new view (unlock, lock, confirm, end, capture), by command name. */
  answers?: Record<string, Answer>;
  /** `patient_check_nhs_number` answers by exact input; anything else is "wrong length". */
  checks?: Record<string, NhsNumberCheck>;
  /** The vault's health; an open, empty vault when not given. */
  vault?: VaultStatus;
  /** What `patient_identify_manual` / `patient_identify_scan` return, by command name; the answer
   * becomes the candidate `patient_candidate` reports until `patient_discard` or a confirm. */
  identify?: Record<string, PatientSummary>;
  /** A candidate the backend already holds when the page opens. */
  candidate?: PatientSummary | null;
  /** What `patient_override` returns (the candidate with its override); it becomes the candidate. */
  overridden?: PatientSummary;
  /** What `record_recheck` returns, and the photos the Outbox lists afterwards (core reseals
   * their manifests with the answer); nothing checked when not given. */
  recheck?: { summary: RecheckSummary; photos?: PhotoSummary[] };
  /** Every photo on the phone not yet delivered, of any visit (`outbox_list`); `photos_list` gives
   * those of the visit open now (`current_visit`). Label, delete, redact and withdraw update it. */
  photos?: PhotoSummary[];
  /** Phones: what `session_unlock_platform` answers (core's outcome); "use the PIN" when not given. */
  platformUnlock?: { outcome: string; message?: string };
  /** Phones: whether the platform kept the key (`session_enrol_platform`); kept when not given. */
  enrolled?: boolean;
  /** What `ward_status` returns; when not given, the photo count and nothing else. */
  ward?: WardStatus;
  /** What `device_status` returns; when not given, an unlocked phone with the listed photos queued,
   * no policy, nothing delivered and an empty audit chain (locked: core's locked answer). */
  deviceStatus?: DeviceStatus;
  /** The body-site list `body_sites` searches (by display name, as a stand-in for core's search). */
  sites?: BodySite[];
  /** What `label_suggestions` returns; the listed `sites`, nothing to repeat, when not given. */
  suggestions?: LabelSuggestions;
  /** The key gate for the lock screen; a PIN set, no failures, when not given. */
  gate?: GateStatus;
  /** The clinician PIN's status; a PIN set by "Dr Test" (development unlock allowed) when not given. */
  pin?: PinStatus;
  /** What `consent_text` returns (tests pass core's bundled text). */
  consentText?: ConsentText;
  /** Delivery's status (`outbox_status`, `outbox_send_now`). When not given: a hospital server is
   * set up, nothing is being sent, nothing was sent lately, and the counts are the listed photos'
   * (queued, sending and uploaded ones waiting; held ones held). Fields given replace those. */
  outbox?: Partial<OutboxStatus>;
  /** What `wipe_status` returns; never wiped, no installation yet, when not given. `wipe_acknowledge`
   * clears `wiped`; `wipe_apply` answers with `wipeApply` (an error payload is thrown). */
  wipe?: WipeStatus;
  wipeApply?: WipeStatus | ErrorPayload;
  /** What `audit_export` returns; when not given, a two-line log (core's locked refusal while
   * locked). Use `errors` for a failure. */
  auditExport?: AuditExport;
}

/** Delivery as a test drives it, in place of core: what it lists and reports, and its events. */
export interface OutboxScript {
  /** Whether the UI has subscribed (`outbox_watch`). */
  watching: () => boolean;
  /** Sends an event on the newest channel given to `outbox_watch`, as core does. */
  send: (event: OutboxEvent) => void;
  /** Changes what core lists (`outbox_list`) and its status; send `changed` to tell the UI. */
  update: (change: { photos?: PhotoSummary[]; status?: Partial<OutboxStatus> }) => void;
}

/** `device_status` when the test does not give one: what core would say of the fixture's photos. */
function defaultDeviceStatus(): DeviceStatus {
  const locked = view.state === 'locked';
  const count = (state: string) => photos.filter((p) => p.state === state).length;
  return {
    reported_at: Date.now(),
    app_version: fixture?.device.app_version ?? '0.1.0',
    locked,
    policy: null,
    passcode: null,
    queue: locked
      ? null
      : {
          total: photos.length,
          captured: count('captured'),
          queued: count('queued'),
          sending: count('sending'),
          uploaded: count('uploaded'),
          held: count('held'),
          withdrawn: 0,
        },
    oldest_undelivered_age_ms: locked || photos.length === 0 ? null : 0,
    last_delivery_at: null,
    audit: locked ? null : { entries: 0, seq: 0, hash: '0'.repeat(64), intact: true, lost: 0 },
    audit_problem: null,
    wipe: null,
    wipe_problem: null,
  };
}

/** One command the UI sent, as the backend received it. */
export interface Sent {
  cmd: string;
  args: unknown;
}

declare global {
  interface Window {
    __WARDCAM_FIXTURE__?: Fixture;
    /** Every command the UI sent, in order (event plumbing excluded). */
    __WARDCAM_SENT__?: Sent[];
    /** Emits a backend event, as the Rust side does for `session://changed`. */
    __WARDCAM_EMIT__?: (event: string, payload: unknown) => Promise<void>;
    /** Drives delivery in place of core. */
    __WARDCAM_OUTBOX__?: OutboxScript;
  }
}

const fixture = window.__WARDCAM_FIXTURE__;
if (!fixture) throw new Error('harness: no __WARDCAM_FIXTURE__ set');

let view = fixture.view;
let patient = fixture.patient;
let candidate = fixture.candidate ?? null;
let photos = fixture.photos ?? [];
const sent: Sent[] = [];
window.__WARDCAM_SENT__ = sent;
window.__WARDCAM_EMIT__ = (event, payload) => emit(event, payload);

// Delivery: the newest channel wins, as in core.
let outboxStatus: Partial<OutboxStatus> = fixture.outbox ?? {};
let sendOutbox: ((event: OutboxEvent) => void) | null = null;
let wipe: WipeStatus = fixture.wipe ?? { installation: null, report: null, wiped: false };
function deliveryStatus(): OutboxStatus {
  return {
    configured: true,
    destination: 'https://pacs.example.nhs.uk/dicom-web',
    config_problem: null,
    certificate: null,
    waiting: photos.filter((p) => p.state === 'queued' || p.state === 'sending' || p.state === 'uploaded').length,
    held: photos.filter((p) => p.state === 'held').length,
    active: false,
    next_retry_at: null,
    last_problem: null,
    sent: [],
    ...outboxStatus,
  };
}
window.__WARDCAM_OUTBOX__ = {
  watching: () => sendOutbox !== null,
  send: (event) => {
    if (!sendOutbox) throw new Error('harness: outbox_watch was not called');
    sendOutbox(event);
  },
  update: (change) => {
    if (change.photos) photos = change.photos;
    if (change.status) outboxStatus = { ...outboxStatus, ...change.status };
  },
};

const WRONG_LENGTH: NhsNumberCheck = {
  valid: false,
  formatted: null,
  error: { code: 'patient.wrong_length', message: 'An NHS number has 10 digits.' },
};

/** What the desktop build's passcode gate says (core's decision on "unknown, development platform"). */
const DEVELOPMENT_PLATFORM: PasscodeStatus = {
  report: { platform: 'desktop', lock_screen: 'unknown', complexity: null, development_platform: true },
  decision: 'development_platform',
  allowed: true,
  required: 'low',
};

mockConvertFileSrc('linux');
const PIN_SET: PinStatus = {
  ready: true,
  set: true,
  clinician: 'Dr Test',
  failures: 0,
  disabled: false,
  development_unlock: true,
};

mockIPC(
  (cmd, args) => {
    sent.push({ cmd, args });
    const error = fixture.errors?.[cmd];
    if (error) throw error;
    if (cmd === 'consent_withdraw') {
      // A stand-in for core's shredding: the photos of the withdrawn visit leave the list (the
      // open visit's when no photo is named). The view returned is the fixture's answer, if any.
      const { photo } = (args ?? {}) as { photo?: string | null };
      const visit = photo ? photos.find((p) => p.id === photo)?.visit_id : photos.find((p) => p.current_visit)?.visit_id;
      if (photo && !visit) throw { code: 'visit.unknown_photo', message: 'That photo is no longer on this phone.' };
      photos = photos.filter((p) => p.visit_id !== visit);
      if (!fixture.answers?.[cmd]) return view;
    }
    if (cmd === 'outbox_send_again') {
      // A stand-in for core: a photo held by delivery goes back to waiting.
      const { photo } = (args ?? {}) as { photo?: string };
      const held = photos.find((p) => p.id === photo);
      if (!held || held.state !== 'held') throw { code: 'visit.not_held_by_server', message: 'This photo is not stopped by the hospital server.' };
      photos = photos.map((p) =>
        p.id === photo ? { ...p, state: 'queued', delivery: { ...p.delivery, hold: null, problem: p.delivery.hold } } : p,
      );
    }
    if (cmd === 'outbox_withdraw_sent') {
      // A stand-in for core: the delivered photo's visit loses its photos still waiting, and a
      // withdrawal naming the copies in the record appears.
      const { photo } = (args ?? {}) as { photo?: string };
      const sent = (outboxStatus.sent ?? []).find((s) => s.photo === photo);
      if (!sent) throw { code: 'visit.unknown_photo', message: 'That photo is no longer on this phone.' };
      const withdrawal: WithdrawnView = {
        consent_id: '7d3c1f7e-2b44-4a57-9b0a-4c1d1c6f0a11',
        withdrawn_at: Date.now(),
        photos: 1,
        references: [`PACS ${sent.server}: SOP Instance UID ${sent.sop_uid ?? ''}`],
        record_consent: 'none',
        problem: null,
        advice:
          '1 photo had already reached the hospital\'s record. WardCam cannot delete them there: ask the record team to remove them, with the references below.',
      };
      outboxStatus = { ...outboxStatus, withdrawals: [withdrawal, ...(outboxStatus.withdrawals ?? [])] };
    }
    if (cmd === 'photos_discard_held') {
      // A stand-in for core: the held visit's photos leave the list.
      const { id } = (args ?? {}) as { id?: string };
      const held = photos.find((p) => p.id === id);
      if (!held || held.identity.gate !== 'held') throw { code: 'visit.not_held', message: 'This photo is not held.' };
      photos = photos.filter((p) => p.visit_id !== held.visit_id);
      return null;
    }
    if (cmd === 'photo_send') {
      // A stand-in for core: the photo takes its label; the view returned is the fixture's answer
      // (queued, or reviewing when the test has another photo unlabelled), and a queued answer
      // queues the visit's photos.
      const { id, label } = (args ?? {}) as { id?: string; label?: LabelInput };
      if (!label || !photos.some((p) => p.id === id)) throw { code: 'visit.unknown_photo', message: 'That photo is no longer in this session.' };
      const site = (fixture.sites ?? []).find((s) => s.code === label.body_site) ?? null;
      const queued = fixture.answers?.[cmd]?.view.state === 'queued';
      photos = photos.map((p) =>
        p.id === id || (queued && p.current_visit && p.state === 'captured')
          ? {
              ...p,
              ...(p.id === id ? { body_site: site, laterality: label.laterality, description: label.description } : {}),
              state: queued ? 'queued' : p.state,
            }
          : p,
      );
    }
    const answer = fixture.answers?.[cmd];
    if (answer) {
      view = answer.view;
      if (answer.patient !== undefined) patient = answer.patient;
      if (cmd === 'patient_confirm') candidate = null;
      return view;
    }
    const identified = fixture.identify?.[cmd];
    if (identified) {
      candidate = identified;
      return identified;
    }
    switch (cmd) {
      case 'session_view':
        return view;
      case 'patient_current':
        return view.state === 'locked' ? null : patient;
      case 'device_info':
        return fixture.device;
      case 'device_passcode':
        return fixture.passcode ?? DEVELOPMENT_PLATFORM;
      case 'vault_status':
        return fixture.vault ?? { state: 'open', keystore: 'Secret Service store', items: 0, repaired: 0 };
      case 'session_touch':
        return null;
      case 'patient_candidate':
        return view.state === 'locked' ? null : candidate;
      case 'patient_discard':
        candidate = null;
        return null;
      case 'patient_override':
        if (!fixture.overridden) throw { code: 'patient.override_not_allowed', message: 'This result cannot be overridden.' };
        candidate = fixture.overridden;
        return candidate;
      case 'record_recheck':
        if (fixture.recheck?.photos) photos = fixture.recheck.photos;
        return fixture.recheck?.summary ?? { outcomes: [], held: 0, still_due: 0 };
      case 'photos_list':
        return view.state === 'locked' ? [] : photos.filter((p) => p.current_visit);
      case 'outbox_list':
        return view.state === 'locked' || view.kiosk ? [] : photos;
      case 'outbox_status':
      case 'outbox_send_now':
      case 'outbox_send_again':
      case 'outbox_withdraw_sent':
        return deliveryStatus();
      case 'outbox_watch':
        sendOutbox = channelSender((args as { onEvent: Channel<OutboxEvent> }).onEvent);
        return null;
      case 'device_status':
        return fixture.deviceStatus ?? defaultDeviceStatus();
      case 'audit_export':
        if (view.state === 'locked') throw { code: 'session.locked', message: 'WardCam is locked. Unlock to continue.' };
        return (
          fixture.auditExport ?? {
            entries: 2,
            seq: 1,
            hash: 'ab'.repeat(32),
            jsonl: '{"at":1,"event":{"type":"unlocked"},"prev":"00","seq":0}\n{"at":2,"event":{"type":"locked"},"prev":"cd","seq":1}\n',
          }
        );
      case 'wipe_status':
        return wipe;
      case 'wipe_acknowledge':
        wipe = { ...wipe, wiped: false, report: wipe.report && { ...wipe.report, acknowledged: true } };
        return wipe;
      case 'wipe_apply': {
        const answer = fixture.wipeApply;
        if (!answer || 'code' in answer) throw answer ?? { code: 'wipe.malformed', message: 'no answer' };
        wipe = answer;
        void emit('wipe://wiped', wipe);
        return wipe;
      }
      case 'ward_status':
        return fixture.ward ?? { recovery: null, photos: photos.length, cleanup_pending: 0 };
      case 'body_sites': {
        const query = String((args as { query?: unknown }).query ?? '').toLowerCase();
        return (fixture.sites ?? []).filter((s) => s.display.toLowerCase().includes(query));
      }
      case 'session_start_capture':
        // A stand-in for core: the camera opens only under a recorded consent.
        if (view.state === 'locked') throw { code: 'session.locked', message: 'WardCam is locked.' };
        if (!view.consented_purposes) throw { code: 'session.consent_required', message: 'Record consent first.' };
        view = { ...view, state: 'capturing', home: 'capture', screens: ['patient', 'consent', 'capture', 'outbox', 'device'] };
        return view;
      case 'label_suggestions':
        return fixture.suggestions ?? { same: null, sites: fixture.sites ?? [] };
      case 'photo_label': {
        const { id, label } = args as { id: string; label: LabelInput };
        const site = (fixture.sites ?? []).find((s) => s.code === label.body_site) ?? null;
        photos = photos.map((p) =>
          p.id === id ? { ...p, body_site: site, laterality: label.laterality, description: label.description } : p,
        );
        return photos.find((p) => p.id === id);
      }
      case 'photo_delete': {
        const { id } = args as { id: string };
        photos = photos.filter((p) => p.id !== id);
        view = { ...view, pending_photos: photos.filter((p) => p.current_visit && p.state === 'captured').length };
        return { view, photo: null };
      }
      case 'photo_redact': {
        const { id } = args as { id: string };
        photos = photos.map((p) => (p.id === id ? { ...p, redacted: true, version: p.version + 1 } : p));
        return { view, photo: photos.find((p) => p.id === id) };
      }
      case 'session_unlock_platform':
        return fixture.platformUnlock ?? { outcome: 'use_pin', message: 'The phone cannot check your screen lock now.', re_enrol: false };
      case 'session_enrol_platform':
        return fixture.enrolled ?? true;
      case 'session_gate':
        return fixture.gate ?? { set_up: true, failures: 0, wait_ms: 0 };
      case 'clinician_pin_status':
        return fixture.pin ?? PIN_SET;
      case 'clinician_pin_set': {
        const { name } = args as { name: string };
        return { ...(fixture.pin ?? PIN_SET), set: true, disabled: false, failures: 0, clinician: name };
      }
      case 'consent_text':
        if (fixture.consentText) return fixture.consentText;
        throw { code: 'app.unexpected', message: 'harness: no consent text in the fixture' };
      case 'patient_check_nhs_number': {
        const input = (args as { input?: unknown } | undefined)?.input;
        return (typeof input === 'string' && fixture.checks?.[input]) || WRONG_LENGTH;
      }
      default:
        throw { code: 'app.unexpected', message: `harness: no answer for ${cmd}` };
    }
  },
  { shouldMockEvents: true },
);

await import('./main');
