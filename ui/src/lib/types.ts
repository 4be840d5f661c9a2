// Shapes of what the Rust commands return. Field names follow the Rust structs (snake_case).

export type State =
  | 'locked'
  | 'unlocked'
  | 'patient_confirmed'
  | 'consented'
  | 'capturing'
  | 'reviewing'
  | 'queued';

export type Screen = 'lock' | 'patient' | 'consent' | 'capture' | 'review' | 'outbox' | 'device';

export type LockReason = 'start' | 'user' | 'idle' | 'background';

export type Purpose = 'care' | 'second_opinion' | 'teaching' | 'publication';

/** The core session as the UI may see it: no patient identifiers. */
export interface SessionView {
  state: State;
  lock_reason: LockReason | null;
  patient: number | null;
  consented_purposes: Purpose[] | null;
  pending_photos: number;
  queued_photos: number;
  screens: Screen[];
  home: Screen;
  idle_timeout_ms: number;
  /** The phone is with the patient: only the Consent screen, until the clinician takes it back. */
  kiosk: boolean;
  /** The patient declined consent in kiosk mode; the session ends when the phone is handed back. */
  consent_declined: boolean;
}

/** The record's details for a patient, as the trust's FHIR server holds them. */
export interface RecordSummary {
  family_name: string | null;
  given_names: string[];
  date_of_birth: string | null;
}

/** Whether the record vouched for the patient; `blocked` means the patient cannot be confirmed. */
export type VerificationStatus = 'verified' | 'not_verified' | 'blocked';

/** A patient being identified or confirmed, for display; the backend returns null while locked. */
export interface PatientSummary {
  /** Grouped 3-3-4. */
  nhs_number: string | null;
  /** `RX1: A1234567`. */
  local_id: string | null;
  family_name: string | null;
  given_name: string | null;
  /** `18-Jan-1980`. */
  date_of_birth: string | null;
  source: 'wristband' | 'manual_entry';
  status: VerificationStatus;
  reason: ErrorPayload | null;
  record: RecordSummary | null;
  verified: boolean;
}

export interface ErrorPayload {
  code: string;
  message: string;
}

/** Live validation of one NHS number entry, decided in Rust. */
export interface NhsNumberCheck {
  valid: boolean;
  formatted: string | null;
  error: ErrorPayload | null;
}

export interface DeviceInfo {
  app_version: string;
  build: 'debug' | 'release';
  development_unlock: boolean;
  idle_timeout_ms: number;
  platform: string;
  /** Whether the phone's camera can scan wristbands (mobile builds). */
  barcode_scanner: boolean;
  /** The trust's patient record endpoint, if provisioned. */
  record: { base_url: string | null; problem: ErrorPayload | null };
}

/** The sealed vault's health, from `vault_status`. */
export type VaultStatus =
  | { state: 'opening' }
  | { state: 'open'; keystore: string; items: number; repaired: number }
  | { state: 'unavailable'; error: ErrorPayload };
