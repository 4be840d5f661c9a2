// What to tell a clinician for each error code the backend can return. Codes mirror the Rust
// `code()` functions in crates/core; a code missing here falls back to the backend's own message,
// which is written to be actionable too.
import type { WardcamError } from '../ipc';

export const KNOWN_ERRORS: Readonly<Record<string, string>> = {
  'session.locked': 'WardCam is locked. Unlock it to continue.',
  'session.already_unlocked': 'WardCam is already unlocked.',
  'session.development_unlock_refused':
    'This build does not allow the development unlock. Unlock with the device passcode.',
  'session.no_patient': 'No patient confirmed yet. Identify the patient first.',
  'session.patient_in_session':
    "Another patient's session is open. End it on the Patient screen before starting a new one.",
  'session.wrong_patient':
    'This belongs to a different patient, so it was not added. Check the wristband and start again.',
  'session.consent_required':
    'Consent has not been recorded for this patient. Record consent before taking photos.',
  'session.consent_already_recorded': 'Consent is already recorded for this patient.',
  'session.no_purpose': 'Choose at least one use the patient agrees to.',
  'session.purpose_not_covered':
    "The patient's consent does not cover this use. Record consent for it or choose another use.",
  'session.not_capturing': 'The camera is not open. Open Capture to take photos.',
  'session.duplicate_photo': 'This photo is already in the session.',
  'session.no_photos': 'There are no photos yet. Take a photo first.',
  'session.not_reviewing': 'Review the photos before sending them.',
  'session.unknown_photo': 'That photo is no longer in this session.',
  'session.photos_not_queued':
    "Some photos have not been sent yet. Send or delete them before ending this patient's session.",
  'patient.empty': "Enter the patient's NHS number.",
  'patient.not_digits': 'An NHS number has only digits. Check the wristband and type it again.',
  'patient.wrong_length': 'An NHS number has 10 digits. Check the number and type it again.',
  'patient.check_digit_impossible':
    'This is not a valid NHS number. Check the number and type it again.',
  'patient.check_digit_wrong':
    'Check digit wrong: one digit is probably mistyped. Check it against the wristband.',
  'patient.entries_differ': 'The two entries do not match. Type the NHS number again in both boxes.',
  'app.unexpected': 'WardCam hit an internal problem. Close and reopen the app; nothing stored is lost.',
};

/** The advice to show for an error: the known text for its code, else the backend's message. */
export function describeError(error: WardcamError): string {
  return KNOWN_ERRORS[error.code] ?? error.message;
}
