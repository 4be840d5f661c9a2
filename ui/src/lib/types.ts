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
}

/** The confirmed patient for display; the backend returns null while locked. */
export interface PatientSummary {
  nhs_number: string;
  source: 'manual_entry';
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
}

/** The sealed vault's health, from `vault_status`. */
export type VaultStatus =
  | { state: 'opening' }
  | { state: 'open'; keystore: string; items: number; repaired: number }
  | { state: 'unavailable'; error: ErrorPayload };
