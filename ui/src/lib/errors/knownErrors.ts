// What to tell a clinician for each error code the backend can return. Codes mirror the Rust
// `code()` functions in crates/core; a code missing here falls back to the backend's own message,
// which is written to be actionable too.
import type { WardcamError } from '../ipc';

export const KNOWN_ERRORS: Readonly<Record<string, string>> = {
  'session.locked': 'WardCam is locked. Unlock it to continue.',
  'policy.not_provisioned': 'This phone has not been set up by your trust. Ask the device manager to provision it.',
  'policy.suspended': 'Your trust has suspended WardCam on this phone. Use the trust\'s other way of recording photos.',
  'policy.app_too_old': 'Your trust requires a newer WardCam. Update it from the trust\'s app store.',
  'patient.entry_not_allowed':
    "Your trust allows only a scanned wristband on this phone. Scan the patient's wristband; if it cannot be scanned, follow your trust's procedure.",
  'session.already_unlocked': 'WardCam is already unlocked.',
  'session.passcode_required':
    "This phone has no screen lock passcode that WardCam accepts. Set one in the phone's Settings, then open WardCam again.",
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
  'session.kiosk_active': 'The phone is with the patient for consent. Take it back and unlock to continue.',
  'session.not_in_kiosk': 'The phone is not in patient mode, so there is nothing to hand back.',
  'session.consent_declined': 'The patient declined. Please hand the phone back to the clinician.',
  'session.no_consent_to_withdraw': 'No consent is recorded for this patient, so there is nothing to withdraw.',
  'consent.no_purpose': 'Tick at least one use the patient agrees to.',
  'consent.care_required':
    "Every photo goes into the patient's record: tick the clinical record whenever another use is ticked.",
  'consent.no_patient_identifier': 'Confirm the patient from their wristband before recording consent.',
  'consent.no_patient_name': "The patient's name is missing. Confirm the patient from their wristband first.",
  'consent.representative_name_missing': 'Enter the name of the person consenting for the patient.',
  'consent.representative_relationship_missing':
    'Enter how the person consenting is related to the patient (parent, guardian, attorney).',
  'consent.best_interests_reason_missing':
    'Enter why the patient lacks capacity and why photos are in their best interests.',
  'consent.witness_missing': 'Verbal consent needs a witness. Enter the name of the colleague who witnessed it.',
  'consent.clinician_missing': 'Your name is missing. Unlock WardCam again so your name is known.',
  'consent.field_too_long': 'One of the typed fields is too long. Shorten it.',
  'consent.text_version_mismatch': 'The consent text changed. Show the consent screen again and ask again.',
  'consent.signature_empty': 'No signature was drawn. Ask the patient to sign in the box.',
  'consent.signature_too_small':
    'That is too small to be a signature. Clear it and ask the patient to sign across the box.',
  'consent.signature_too_large': 'The signature is too complex to store. Clear it and sign again.',
  'consent.signature_malformed': 'The signature pad sent bad points. Clear the signature and sign again.',
  'consent.signature_render': 'The signature image could not be made. Clear the signature and sign again.',
  'consent.method_mismatch': 'Consent needs a signature or a witnessed verbal consent.',
  'consent.refused': 'The patient declined, so no photo can be taken.',
  'consent.text_invalid': "The trust's consent text could not be read. Ask IT to check it.",
  'consent.text_purpose_missing': "The trust's consent text is missing a purpose. Ask IT to add it.",
  'consent.text_markup': "The trust's consent text contains HTML. Ask IT to provide plain text.",
  'consent.text_too_long': "The trust's consent text is too long. Ask IT to shorten it.",
  'consent.random': 'WardCam could not make a record id. Try again.',
  'consent.encoding': 'The consent record could not be written out. Try again.',
  'auth.pin_too_short': 'A PIN or passphrase must be at least 6 characters.',
  'auth.pin_too_simple': 'This PIN is too easy to guess. Choose another PIN.',
  'auth.wrong_pin': 'Wrong PIN. Try again.',
  'auth.try_later': 'Too many wrong PINs. Wait, then try again.',
  'auth.pin_disabled': 'The PIN is disabled. Unlock with your device password, then set a new PIN.',
  'auth.hash_invalid': 'The stored PIN is not valid. Ask your device manager to reset WardCam on this phone.',
  'auth.not_set_up': 'No PIN is set on this phone yet. Choose a PIN or passphrase to start.',
  'auth.already_set_up': 'A PIN is already set on this phone. Unlock with it, then change it on the Device screen.',
  'auth.random': 'The PIN could not be saved. Try again.',
  'auth.pin_not_set': 'No clinician PIN is set on this device. Set one before handing the phone to a patient.',
  'auth.old_pin_required': 'Enter your current PIN to change it.',
  'visit.unknown_photo': 'That photo is no longer on this phone (sent, deleted or withdrawn). Refresh the list.',
  'visit.photo_queued':
    'This photo is already in the outbox, so its label cannot change. Withdraw consent from the Outbox or let it send.',
  'visit.patient_changed':
    'The patient or their consent changed while this photo was being saved, so it was not kept. Take it again.',
  'visit.storage_full': 'Phone storage is full: send or delete photos first.',
  'visit.manifest_invalid': 'A stored photo record could not be read. Nothing was deleted; tell IT.',
  'visit.manifest_version': 'A stored photo record is from a newer version of WardCam. Update the app; nothing was deleted.',
  'visit.random': 'WardCam could not make a new identifier. Try again.',
  'visit.photo_sending':
    'This photo is already being sent (or was), so it can no longer be redacted. If it must not reach the record, withdraw consent for it and tell IT.',
  'visit.not_held_by_server': 'This photo is not stopped by the hospital server, so there is nothing to send again. Refresh the Outbox.',
  'vault.opening': 'The secure store is still opening. Wait a few seconds and try again.',
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
