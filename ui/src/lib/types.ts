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

/** How a patient was identified: the phone's camera read the wristband, a keyboard-wedge scanner
 * (or pasted text) gave the band's barcode text, or the clinician typed the NHS number twice. */
export type IdentifiedBy = 'camera_scan' | 'band_text' | 'typed_twice';

/** Whether the record vouched for the patient. `needs_override`: no such patient in the record, or
 * the record system is not answering properly; confirmed only once an override is recorded.
 * `blocked`: the patient cannot be confirmed at all. */
export type VerificationStatus = 'verified' | 'not_verified' | 'needs_override' | 'blocked';

/** Why a clinician went on despite the record check (core's `OverrideReason`). */
export type OverrideReason = 'new_admission_not_registered' | 'record_system_down';

/** A recorded override of the record check. */
export interface OverrideSummary {
  reason: OverrideReason;
  /** The clinician's own words. */
  detail: string;
  /** Who recorded it (the name set with the clinician PIN). */
  by: string;
  /** When, Unix milliseconds. */
  at: number;
  /** The code of the outcome that was overridden. */
  overrode: string;
}

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
  /** How the patient was identified. */
  source: IdentifiedBy;
  status: VerificationStatus;
  reason: ErrorPayload | null;
  record: RecordSummary | null;
  verified: boolean;
  /** The override of the record check, once recorded. */
  override: OverrideSummary | null;
  /** For a patient awaiting confirmation, what core would accept now; null once confirmed. */
  offers: CandidateOffers | null;
}

/** What core would accept for a patient awaiting confirmation: the card shows only these. */
export interface CandidateOffers {
  confirm: boolean;
  override: boolean;
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
  /** The build's development switches: `release` has none. */
  build: string;
  development_unlock: boolean;
  idle_timeout_ms: number;
  platform: string;
  /** Whether the phone's camera can scan wristbands (mobile builds). */
  barcode_scanner: boolean;
  /** The trust's patient record endpoint, if provisioned. */
  record: RecordStatus;
  /** The PACS photos are delivered to, if provisioned (same shape as the record's). */
  pacs: RecordStatus;
  /** The trust's policy in force, and why nothing may unlock (absent in old fixtures: provisioned). */
  provision?: ProvisionStatus;
}

/** What start-up found about the trust's policy (`provision.rs`). */
export interface ProvisionStatus {
  provisioned: boolean;
  trust: string | null;
  ods_code: string | null;
  version: number | null;
  /** `managed` (MDM) or `code` (a signed provisioning code). */
  source: 'managed' | 'code' | null;
  /** Why nothing unlocks: no policy, a suspended trust, a too-old app, an unreadable policy. */
  blocked: ErrorPayload | null;
  /** Why the policy offered at this start was refused (the one in force stays). */
  refused: ErrorPayload | null;
  /** A provisioning code can be pasted (this build trusts a provisioning key). */
  accepts_codes: boolean;
  /** A code was kept since start: restart to use it. */
  restart_needed: boolean;
}

/** The pinned server certificate's expiry, once a connection has been made. */
export interface CertificateStatus {
  /** `notAfter`, Unix seconds. */
  not_after: number;
  /** Within 30 days, or past. */
  expires_soon: boolean;
}

/** The patient record endpoint as the Device screen shows it. */
export interface RecordStatus {
  base_url: string | null;
  /** Why the configured endpoint cannot be used: every patient is blocked. */
  problem: ErrorPayload | null;
  /** How many server keys are pinned. */
  pins: number;
  /** Fewer than two pins: no backup key. */
  no_backup_pin: boolean;
  certificate: CertificateStatus | null;
}

/** What a later check against the record did to one visit (core's `RecheckOutcome`). */
export type RecheckOutcome = 'verified' | 'override_stands' | 'still_due' | 'held';

/** What `record_recheck` did. */
export interface RecheckSummary {
  outcomes: { visit_id: string; outcome: RecheckOutcome }[];
  /** Visits whose photos this check held. */
  held: number;
  /** Visits still waiting for an answer from the record. */
  still_due: number;
}

/** Whether who the patient is lets a photo be delivered (core's `DeliveryGate`). */
export type DeliveryGate =
  | { gate: 'ready' }
  | { gate: 'needs_recheck' }
  | { gate: 'held'; reason: ErrorPayload };

/** What opening the vault found and did (core's `RecoveryReport`). */
export interface RecoveryReport {
  /** Photos listed again. */
  photos: number;
  /** Visit records kept. */
  visits: number;
  /** Whether the visit the app was in when it stopped was resumed. */
  resumed_visit: boolean;
  stale_revisions: number;
  withdrawn_photos_shredded: number;
  unreferenced_items_shredded: number;
  /** Records that could not be read (left in place). */
  unreadable_records: number;
}

/** The ward's storage, from `ward_status`, for the Device screen. */
export interface WardStatus {
  /** Null until the vault is open. */
  recovery: RecoveryReport | null;
  /** Photos on the phone not yet delivered. */
  photos: number;
  /** Deletions that will finish at the next start. */
  cleanup_pending: number;
}

/** The sealed vault's health, from `vault_status`. */
/** The key gate, for the lock screen: whether a PIN is set, and any wait before the next try. */
export interface GateStatus {
  set_up: boolean;
  failures: number;
  wait_ms: number;
}

export type VaultStatus =
  | { state: 'opening' }
  | { state: 'locked'; keystore: string; set_up: boolean }
  | { state: 'open'; keystore: string; items: number; repaired: number }
  | { state: 'unavailable'; error: ErrorPayload };

/** What intake said about a photo's sharpness and exposure. */
export interface Quality {
  /** Percent of edges with fine detail at full resolution (from the JPEG's coefficients); null if not measured. */
  fine_detail: number | null;
  /** How alike the two directions' fine detail is (0..1); low means motion blur. */
  detail_balance: number | null;
  sharpness: number;
  blurred: boolean;
  dark_fraction: number;
  bright_fraction: number;
  too_dark: boolean;
  too_bright: boolean;
}

/** A body site from core's SNOMED CT list. */
export interface BodySite {
  code: string;
  display: string;
  /** Paired sites need left, right or both; the others have no side. */
  paired: boolean;
}

export type Laterality = 'left' | 'right' | 'bilateral' | 'not_applicable';

/** What the label under the camera's preview offers one tap away (core's `LabelSuggestions`). */
export interface LabelSuggestions {
  /** The site and side of this visit's last labelled photo, for "the same wound again". */
  same: { site: BodySite; laterality: Laterality } | null;
  /** Sites used lately on this phone, then the common ones; at most eight. */
  sites: BodySite[];
}

/** A patient as one line of the Outbox shows them (core's `PatientLine`). */
export interface PatientLine {
  /** `SMITH, John Paul`, or null when nothing gives a name. */
  name: string | null;
  /** Grouped 3-3-4. */
  nhs_number: string | null;
  /** `RX1: A1234567`. */
  local_id: string | null;
  /** `18-Jan-1980`. */
  birth_date: string | null;
  identified_by: IdentifiedBy;
  verified: boolean;
  /** Whether the clinician overrode the record check. */
  overridden: boolean;
}

/** Where a photo is in its life on the phone (core's `LocalState`): taken; in the outbox waiting
 * to be sent (again); being sent; sent, with the server's copy being checked; held until a person
 * acts (`delivery.hold` says why); or being shredded after a withdrawal. A delivered photo is no
 * longer listed: it appears in `OutboxStatus.sent`. */
export type LocalState = 'captured' | 'queued' | 'sending' | 'uploaded' | 'held' | 'withdrawn';

/** A photo's delivery so far, as core reports it. The UI words it; it never decides it. */
export interface Delivery {
  /** Attempts made so far. */
  attempts: number;
  /** When core will try again, Unix milliseconds; null when no retry is scheduled. */
  retry_at: number | null;
  /** Why the last attempt failed, in words from core; null when it did not fail. */
  problem: ErrorPayload | null;
  /** Why the photo is held (it needs a person); null unless its state is `held`. */
  hold: ErrorPayload | null;
  /** The route it is being sent or checked on: the PACS, or the FHIR record. Optional: a core
   * from before the record route gives none. */
  route?: DeliveryRoute;
  /** The routes that already hold a checked copy (with two routes, it waits for the other). */
  verified?: DeliveryRoute[];
}

/** Where a photo goes: the trust's PACS (DICOMweb) or its electronic record (FHIR). */
export type DeliveryRoute = 'pacs' | 'record';

/** A photo delivered, verified and shredded on the phone (core's receipt, for the Outbox). */
export interface SentView {
  /** The photo's id (a UUID). */
  photo: string;
  /** When it was sent, Unix milliseconds. */
  sent_at: number;
  body_site: BodySite | null;
  /** `left`, `right`, `bilateral`, `not_applicable` (core's laterality), or null. */
  laterality: string | null;
  /** The first server it went to (the PACS's DICOMweb base URL when it went there). */
  server: string;
  /** Every server it went to, PACS first. */
  servers: string[];
  /** The SOP Instance UID it is stored under in the PACS, for IT to find it. */
  sop_uid: string | null;
  /** Where the FHIR record filed its DocumentReference, for IT to find it. */
  document_reference: string | null;
}

/** A consent withdrawn after some of its photos reached the hospital's record (core's receipt):
 * what the record team must remove, and whether the record's Consent is marked withdrawn. */
export interface WithdrawnView {
  consent_id: string;
  /** Unix milliseconds. */
  withdrawn_at: number;
  /** Photos that had reached the record. */
  photos: number;
  /** Where they are, for the record team, in core's words. */
  references: string[];
  /** The record's Consent: `pending`, `done`, `held` (a person must act) or `none`. */
  record_consent: 'pending' | 'done' | 'held' | 'none';
  /** Why the last attempt to mark it withdrawn failed. */
  problem: ErrorPayload | null;
  /** What the clinician should do now, in core's words. */
  advice: string;
}

/** Delivery as a whole, from `outbox_status` and `outbox_send_now`. */
export interface OutboxStatus {
  /** Whether a hospital server (PACS endpoint) is set up on this phone. */
  configured: boolean;
  /** Its base URL (or the configured one, when it cannot be used). */
  destination: string | null;
  /** Every route's base URL, PACS first (optional: a core from before the record route). */
  destinations?: string[];
  /** Consents withdrawn after delivery, newest first (optional: an older core gives none). */
  withdrawals?: WithdrawnView[];
  /** Why the configured hospital server settings cannot be used: photos stay on the phone. */
  config_problem: ErrorPayload | null;
  /** The pinned server certificate's expiry, once a connection was made. */
  certificate: CertificateStatus | null;
  /** Photos queued, being sent or being checked. */
  waiting: number;
  /** Photos held until a person acts. */
  held: number;
  /** Whether a delivery run is going on now. */
  active: boolean;
  /** When core will next try, Unix milliseconds. */
  next_retry_at: number | null;
  /** Why the last attempt failed, in core's words. */
  last_problem: ErrorPayload | null;
  /** Recent deliveries, newest first. */
  sent: SentView[];
  /** Photos waiting too long, as core's last retention pass found them (optional: none before a
   * pass, or from an older core). */
  retention?: RetentionView | null;
}

/** What core's retention pass says about photos waiting undelivered (docs/retention.md). */
export interface RetentionView {
  /** Photos that have waited at least `warn_after_hours` on core's trusted clock. */
  waiting_too_long: number;
  /** The age that warns, in hours. */
  warn_after_hours: number;
  /** Of those, photos the trust's policy will delete unless they are sent. */
  to_be_purged: number;
  /** The age at which the policy deletes an unsent photo, in hours; null: never. */
  purge_after_hours: number | null;
  /** When a hospital server last vouched for the time, Unix milliseconds. */
  last_vouched: number | null;
}

/** How far a photo's sending has got. */
export type DeliveryPhase = 'preparing' | 'uploading' | 'verifying';

/** What core reports on the channel given to `outbox_watch`. */
export type OutboxEvent =
  | { kind: 'progress'; photo: string; phase: DeliveryPhase; fraction: number }
  /** The outbox changed (a state, a problem, a retry time): list it and its status again. */
  | { kind: 'changed' }
  /** Delivered, verified and shredded on the phone. */
  | { kind: 'sent'; photo: string };

/** A photo on the phone (core's `PhotoView`); its thumbnail is fetched through the `thumb` protocol. */
export interface PhotoSummary {
  /** A UUID, stable for the photo's life. */
  id: string;
  /** The visit that took it. */
  visit_id: string;
  /** Whether it belongs to the visit open now. */
  current_visit: boolean;
  width: number;
  height: number;
  quality: Quality;
  intended_use: Purpose;
  body_site: BodySite | null;
  laterality: Laterality | null;
  description: string;
  state: LocalState;
  redacted: boolean;
  /** Changes when the thumbnail does (after redaction). */
  version: number;
  /** When it was taken, Unix milliseconds. */
  captured_at: number;
  /** Whose it is. */
  patient: PatientLine;
  /** Whether who the patient is lets it be delivered: held photos are never sent. */
  identity: DeliveryGate;
  /** Its delivery so far. */
  delivery: Delivery;
}

/** The session after a photo command, and the photo concerned. */
export interface PhotoChange {
  view: SessionView;
  photo: PhotoSummary | null;
}

/** A rectangle in 0..1 coordinates of the upright photo. */
export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** Solid rectangles to paint over, and an optional crop. */
export interface Redaction {
  crop: Rect | null;
  fills: Rect[];
}

/** A label as the Review screen sends it; core checks it. */
export interface LabelInput {
  body_site: string;
  laterality: Laterality;
  description: string;
}

/** What the consent screen explains about one purpose (core's `PurposeText`). */
export interface PurposeText {
  title: string;
  stored: string;
  where: string;
  who_sees: string;
  how_long: string;
  withdraw: string;
}

/** The versioned consent text in force, from `consent_text`. */
export interface ConsentText {
  version: string;
  language: string;
  title: string;
  introduction: string;
  purposes: Record<Purpose, PurposeText | null>;
  declining: string;
}

/** One pen position in whole pad pixels, `t` ms since the first touch (core's `Point`). */
export interface SignaturePoint {
  x: number;
  y: number;
  t: number;
}

/** A signature as core checks it: the pad's size and the strokes, pen down to pen up. */
export interface Signature {
  width: number;
  height: number;
  strokes: SignaturePoint[][];
}

export type ConsentedBy =
  | { kind: 'patient' }
  | { kind: 'representative'; name: string; relationship: string }
  | { kind: 'best_interests'; reason: string };

export type ConsentMethod =
  | { kind: 'signature'; signature: Signature }
  | { kind: 'verbal'; witness: string }
  | { kind: 'declined' };

/** What the consent screen sends to `consent_record` (core's `ConsentForm`). */
export interface ConsentForm {
  decision: 'permit' | 'refuse';
  purposes: Purpose[];
  consented_by: ConsentedBy;
  method: ConsentMethod;
  text_version: string;
}

/** What the screen sends to `consent_decline`. */
export interface DeclineForm {
  purposes: Purpose[];
  consented_by: ConsentedBy;
  text_version: string;
}

/** The clinician PIN, from `clinician_pin_status` / `clinician_pin_set`. */
export interface PinStatus {
  /** False while the vault is still opening. */
  ready: boolean;
  set: boolean;
  clinician: string | null;
  failures: number;
  disabled: boolean;
  /** Whether the development unlock may hand the phone back (debug builds). */
  development_unlock: boolean;
}

/** Who reported the lock screen (core's `device::Platform`). */
export type PasscodePlatform = 'android' | 'ios' | 'desktop';
/** Android's `DevicePolicyManager` complexity buckets, weakest first. */
export type PasscodeComplexity = 'none' | 'low' | 'medium' | 'high';
/** What the passcode gate decided; only `secure` and `development_platform` allow unlocking. */
export type PasscodeDecision =
  | 'secure'
  | 'development_platform'
  | 'no_passcode'
  | 'unknown'
  | 'too_simple'
  | 'complexity_unknown';

/** The passcode gate, from `device_passcode`: the platform's report and core's decision on it. */
export interface PasscodeStatus {
  report: {
    platform: PasscodePlatform;
    lock_screen: 'secure' | 'insecure' | 'unknown';
    complexity: PasscodeComplexity | null;
    development_platform: boolean;
  };
  decision: PasscodeDecision;
  /** Core's verdict: whether the session may be unlocked at all. */
  allowed: boolean;
  /** The weakest passcode the policy accepts. */
  required: PasscodeComplexity;
}

/** Photos on the phone not yet delivered, by local state (core's `QueueDepth`). */
export interface QueueDepth {
  total: number;
  captured: number;
  queued: number;
  sending: number;
  uploaded: number;
  held: number;
  withdrawn: number;
}

/** The policy the app runs under (core's `PolicyInForce`). */
export interface PolicyInForce {
  version: number;
  trust: string;
  ods_code: string;
  /** SHA-256 (hex) of its canonical JSON, as `wardcam-admin show` prints it. */
  sha256: string | null;
  /** Null when the app did not say (it always does). */
  source: 'managed' | 'code' | null;
}

/** The audit chain's head (core's `AuditHead`). */
export interface AuditHead {
  entries: number;
  seq: number;
  /** The last entry's hash, hex. */
  hash: string;
  /** The chain on the phone verifies up to this entry. */
  intact: boolean;
  /** Entries lost since the log opened (recorded in the chain as gaps). */
  lost: number;
}

/** The audit log exported for `wardcam-admin audit verify` (`audit_export`): JSON lines and the
 * head they end at. No entry holds a patient identifier (core's promise). */
export interface AuditExport {
  entries: number;
  /** The last entry's sequence number (0 for an empty log). */
  seq: number;
  /** The last entry's hash, hex. */
  hash: string;
  /** One entry per line, canonical JSON. */
  jsonl: string;
}

/** The last remote wipe, as the device status carries it (the fields the Device screen uses). */
export interface DeviceWipe {
  source: 'mdm' | 'signed_command';
  started_at: number;
  /** Null while it is still to finish (it resumes at the next start). */
  finished_at: number | null;
  items: number;
}

/** The device status, from `device_status` (core's `DeviceStatus`). While locked, everything read
 * from the vault (queue, oldest age, last delivery, audit head) is null: core never opens it. */
export interface DeviceStatus {
  /** Wall clock, Unix ms. */
  reported_at: number;
  app_version: string;
  locked: boolean;
  policy: PolicyInForce | null;
  passcode: PasscodeStatus | null;
  queue: QueueDepth | null;
  /** On core's trusted clock (a lower bound); null while locked or with nothing waiting. */
  oldest_undelivered_age_ms: number | null;
  /** Unix ms of the last photo delivered and shredded here; null while locked or if none. */
  last_delivery_at: number | null;
  audit: AuditHead | null;
  /** The audit trail's last failure (a stable code). */
  audit_problem: string | null;
  wipe: DeviceWipe | null;
  /** The wipe record could not be read (a stable code). */
  wipe_problem: string | null;
}

/** The audit entry of a wipe, as it joined the chain (no patient data). */
export interface WipeAuditEntry {
  seq: number;
  at: number;
  event: { type: 'wiped'; source: string; items: number };
  prev: string;
}

/** What a remote wipe did (`wardcam_core::wipe::WipeReport`): no patient data. */
export interface WipeReport {
  /** `mdm` or `signed_command`. */
  source: 'mdm' | 'signed_command';
  /** The command's nonce, or `mdm:` and a digest of MDM's request. */
  request: string;
  installation: string | null;
  /** Unix ms. */
  started_at: number;
  finished_at: number | null;
  items: number;
  /** Present when the wipe's entry joined the audit chain (the phone was unlocked). */
  audit: WipeAuditEntry | null;
  acknowledged: boolean;
}

/** The wiped and Device screens' view of remote wipe (`wipe.rs`). */
export interface WipeStatus {
  /** The id a command for this phone alone names; null before the first set-up. */
  installation: string | null;
  report: WipeReport | null;
  /** Show the wiped screen. */
  wiped: boolean;
}
