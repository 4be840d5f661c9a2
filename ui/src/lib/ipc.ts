// The one door to the Rust backend: every command goes through `call`, and every failure comes
// back as a WardcamError with a stable code.
import { invoke, type Channel } from '@tauri-apps/api/core';
import type {
  AuditExport,
  BodySite,
  ConsentForm,
  ConsentText,
  DeclineForm,
  PinStatus,
  DeviceInfo,
  DeviceStatus,
  ProvisionStatus,
  WipeStatus,
  LabelInput,
  LabelSuggestions,
  PhotoChange,
  Redaction,
  ErrorPayload,
  NhsNumberCheck,
  PasscodeStatus,
  OutboxEvent,
  OutboxStatus,
  OverrideReason,
  PatientSummary,
  PhotoSummary,
  RecheckSummary,
  Purpose,
  SessionView,
  VaultStatus,
  WardStatus,
  GateStatus,
} from './types';

/** Each command the UI may call, with its arguments and result. */
export interface Commands {
  session_view: { args: undefined; result: SessionView };
  session_gate: { args: undefined; result: GateStatus };
  /** The clinician's PIN or passphrase releases the vault's key (core's key gate). */
  session_unlock: { args: { pin: string }; result: SessionView };
  /** First start: the clinician's PIN or passphrase and name. */
  session_set_up: { args: { pin: string; name: string }; result: SessionView };
  session_lock: { args: { reason: 'user' | 'background' }; result: SessionView };
  session_touch: { args: undefined; result: null };
  session_end_patient: { args: undefined; result: SessionView };
  session_start_capture: { args: undefined; result: SessionView };
  patient_check_nhs_number: { args: { input: string }; result: NhsNumberCheck };
  patient_identify_manual: { args: { first: string; second: string }; result: PatientSummary };
  /** `viaCamera`: the text came from the phone's camera scanner, not a wedge scanner or paste. */
  patient_identify_scan: { args: { payload: string; viaCamera: boolean }; result: PatientSummary };
  patient_candidate: { args: undefined; result: PatientSummary | null };
  patient_confirm: { args: undefined; result: SessionView };
  patient_discard: { args: undefined; result: null };
  patient_current: { args: undefined; result: PatientSummary | null };
  /** Records why the clinician goes on although the record check needs an override. */
  patient_override: { args: { reason: OverrideReason; detail: string }; result: PatientSummary };
  /** Checks again, against the record, every visit confirmed unverified or overridden. */
  record_recheck: { args: undefined; result: RecheckSummary };
  /** Discards every photo of a held visit (core refuses one not held, or the visit open now). */
  photos_discard_held: { args: { id: string }; result: null };
  device_info: { args: undefined; result: DeviceInfo };
  /** Queue, oldest photo, last delivery, policy, passcode, audit head and wipe, for the Device
   * screen (also pushed to iOS managed feedback). */
  device_status: { args: undefined; result: DeviceStatus };
  /** The audit log as JSON lines, for `wardcam-admin audit verify`; refused while locked. */
  audit_export: { args: undefined; result: AuditExport };
  vault_status: { args: undefined; result: VaultStatus };
  ward_status: { args: undefined; result: WardStatus };
  /** The passcode gate: whether this phone's lock screen lets WardCam unlock at all. */
  device_passcode: { args: undefined; result: PasscodeStatus };
  /** The photos of the visit open now, oldest first. */
  photos_list: { args: undefined; result: PhotoSummary[] };
  /** Every photo on the phone not yet delivered, of any visit, oldest first. */
  outbox_list: { args: undefined; result: PhotoSummary[] };
  /** Delivery as a whole: the hospital server, counts, the next retry and recent deliveries. */
  outbox_status: { args: undefined; result: OutboxStatus };
  /** Wakes delivery at once, resetting its backoff. */
  outbox_send_now: { args: undefined; result: OutboxStatus };
  /** Sends again a photo the hospital server stopped (core refuses any other). */
  outbox_send_again: { args: { photo: string }; result: OutboxStatus };
  /** The patient withdraws consent for a photo already delivered: core records it, deletes the
   * visit's photos still waiting, and names what the record team must remove. */
  outbox_withdraw_sent: { args: { photo: string }; result: OutboxStatus };
  /** Subscribes to delivery's progress and changes; the newest channel wins, so subscribing again
   * is harmless. */
  outbox_watch: { args: { onEvent: Channel<OutboxEvent> }; result: null };
  capture_native: { args: { purpose: Purpose }; result: PhotoChange };
  body_sites: { args: { query: string }; result: BodySite[] };
  photo_label: { args: { id: string; label: LabelInput }; result: PhotoSummary };
  /** Labels a photo and sends it from the camera: core queues the visit's photos when none is left
   * without a label, or moves to Review. */
  photo_send: { args: { id: string; label: LabelInput }; result: SessionView };
  label_suggestions: { args: undefined; result: LabelSuggestions };
  photo_delete: { args: { id: string }; result: PhotoChange };
  photo_redact: { args: { id: string; redaction: Redaction }; result: PhotoChange };
  session_review: { args: undefined; result: SessionView };
  session_queue: { args: undefined; result: SessionView };
  consent_text: { args: undefined; result: ConsentText };
  clinician_pin_status: { args: undefined; result: PinStatus };
  /** `oldPin` is needed to change a PIN that is set and still works; null for the first PIN. */
  clinician_pin_set: { args: { pin: string; name: string; oldPin: string | null }; result: PinStatus };
  consent_hand_to_patient: { args: undefined; result: SessionView };
  consent_record: { args: { form: ConsentForm }; result: SessionView };
  consent_decline: { args: { form: DeclineForm }; result: SessionView };
  consent_hand_back: { args: { pin: string | null }; result: SessionView };
  /** With no photo, the open visit's consent; with a photo (from the Outbox), the consent of the
   * visit that took it, whichever visit that was. */
  consent_withdraw: { args: { photo: string | null }; result: SessionView };
  /** Phones: the platform releases the vault's key; core says what came of it. */
  session_unlock_platform: { args: undefined; result: { outcome: string; message?: string } };
  /** Phones, after a PIN unlock: hand the key to the platform's keystore; whether it kept it. */
  session_enrol_platform: { args: { pin: string }; result: boolean };
  /** A pasted provisioning code (every part, one per line): core checks and keeps it. */
  provision_apply: { args: { code: string }; result: ProvisionStatus };
  /** Restarts WardCam so a kept policy takes effect. */
  provision_restart: { args: undefined; result: null };
  /** Remote wipe: the installation id and the last wipe's report. */
  wipe_status: { args: undefined; result: WipeStatus };
  /** A scanned or pasted `WCW1:` command: core checks it and wipes this phone if it is for it. */
  wipe_apply: { args: { code: string }; result: WipeStatus };
  /** The wiped screen was dismissed: WardCam may be set up again. */
  wipe_acknowledge: { args: undefined; result: WipeStatus };
}

export type Command = keyof Commands;

/** An error from the backend (or from reaching it), with a code the UI can map to advice. */
export class WardcamError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = 'WardcamError';
    this.code = code;
  }
}

function isErrorPayload(value: unknown): value is ErrorPayload {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as ErrorPayload).code === 'string' &&
    typeof (value as ErrorPayload).message === 'string'
  );
}

/** Turns whatever a rejected invoke produced into a WardcamError. */
export function toWardcamError(error: unknown): WardcamError {
  if (error instanceof WardcamError) return error;
  if (isErrorPayload(error)) return new WardcamError(error.code, error.message);
  const message =
    error instanceof Error ? error.message : typeof error === 'string' ? error : 'Unknown error';
  return new WardcamError('app.unexpected', message);
}

/** Calls a backend command; rejects only with WardcamError. */
export async function call<C extends Command>(
  command: C,
  ...args: Commands[C]['args'] extends undefined ? [] : [Commands[C]['args']]
): Promise<Commands[C]['result']> {
  try {
    return await invoke<Commands[C]['result']>(command, args[0] ?? {});
  } catch (error) {
    throw toWardcamError(error);
  }
}

/** Commands that take raw bytes as their body instead of JSON arguments (desktop only: Android
 * has no raw IPC bodies, so the mobile path goes through the native camera plugin). */
export interface RawCommands {
  capture_photo: { result: PhotoChange };
}

/** Sends `body` as the raw request body of `command`, with `headers` (e.g. the photo's purpose);
 * rejects only with WardcamError. */
export async function callRaw<C extends keyof RawCommands>(
  command: C,
  body: Uint8Array,
  headers: Record<string, string>,
): Promise<RawCommands[C]['result']> {
  try {
    return await invoke<RawCommands[C]['result']>(command, body, { headers });
  } catch (error) {
    throw toWardcamError(error);
  }
}
