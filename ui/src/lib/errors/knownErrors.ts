// What to tell a clinician or a device manager for each error code the backend can return: what
// happened and what to do next, in plain words. `Record<ErrorCode, string>` makes svelte-check fail
// when a code in `codes.ts` (itself checked against Rust by a Rust test) has no advice here. The
// Rust message for the code is the source of truth for what it means.
import type { WardcamError } from '../ipc';
import { isErrorCode, type ErrorCode } from './codes';

export const KNOWN_ERRORS: Readonly<Record<ErrorCode, string>> = {
  'app.bad_request':
    'WardCam could not read that request, and nothing was stored. Try again; if it repeats, close and reopen WardCam.',
  'app.unexpected': 'WardCam hit an internal problem. Close and reopen the app; nothing stored is lost.',

  'audit.crypto': 'The audit log could not be secured. Restart WardCam; if this repeats, tell the device manager.',
  'audit.io':
    'The audit log could not be read or written. Check that the phone has free storage, then restart WardCam.',
  'audit.key_damaged': "The audit log's key is damaged, so the log cannot continue its chain. Tell the device manager.",

  'auth.already_set_up': 'A PIN is already set on this phone. Unlock with it, then change it on the Device screen.',
  'auth.hash_invalid': 'The stored PIN is not valid. Ask your device manager to reset WardCam on this phone.',
  'auth.not_set_up': 'No PIN is set on this phone yet. Choose a PIN or passphrase to start.',
  'auth.old_pin_required': 'Enter your current PIN to change it.',
  'auth.pin_disabled': 'The PIN is disabled. Unlock with your device password, then set a new PIN.',
  'auth.pin_not_set': 'No clinician PIN is set on this device. Set one before handing the phone to a patient.',
  'auth.pin_too_short': 'A PIN or passphrase must be at least 6 characters. Choose a longer one.',
  'auth.pin_too_simple': 'This PIN is too easy to guess. Choose another PIN.',
  'auth.random': 'The PIN could not be saved. Try again.',
  'auth.try_later': 'Too many wrong PINs. Wait, then try again.',
  'auth.wrong_pin': 'Wrong PIN. Try again.',

  'camera.bad_response':
    'The camera returned an unusable answer. Try again; if it keeps failing, tell your device manager.',
  'camera.bridge': 'The camera could not be reached. Close and reopen the camera.',
  'camera.busy': 'A photo is already being taken. Wait a moment, then try again.',
  'camera.capture_failed': 'The photo could not be taken. Try again; if it keeps failing, restart WardCam.',
  'camera.invalid_argument': 'WardCam sent the camera an invalid request. Close and reopen the camera.',
  'camera.native_unavailable':
    'The built-in camera works on Android and iOS only. On a computer, use the webcam shown on the Capture screen.',
  'camera.no_camera':
    'No camera was found on this device. Use a phone with a working camera, or ask the device manager to check this one.',
  'camera.permission_denied':
    "WardCam may not use the camera. Allow camera access for WardCam in the phone's Settings, then try again.",
  'camera.photo_too_large': 'The photo is too large. Lower the camera resolution and try again.',
  'camera.preview_not_open': 'The camera is not open. Open the camera on the Capture screen first.',
  'camera.torch_unavailable': 'This camera has no torch. Improve the lighting or use the flash.',
  'camera.usage_description_missing':
    'This build of WardCam cannot ask for the camera (its camera usage description is missing). Report this to your device manager.',

  'consent.best_interests_reason_missing':
    'Enter why the patient lacks capacity and why photos are in their best interests.',
  'consent.care_required':
    "Every photo goes into the patient's record. Tick the clinical record whenever another use is ticked.",
  'consent.clinician_missing': 'Your name is missing. Unlock WardCam again so your name is known.',
  'consent.encoding': 'The consent record could not be written out. Try again.',
  'consent.field_too_long': 'One of the typed fields is too long. Shorten it.',
  'consent.method_mismatch': 'Consent needs a signature or a witnessed verbal consent. Choose how, and complete it.',
  'consent.no_patient_identifier': 'Confirm the patient from their wristband before recording consent.',
  'consent.no_patient_name': "The patient's name is missing. Confirm the patient from their wristband first.",
  'consent.no_purpose': 'Tick at least one use the patient agrees to.',
  'consent.random': 'WardCam could not make a record id. Try again.',
  'consent.refused':
    'The patient declined, so no photo can be taken. Do not photograph this patient unless they change their mind and consent is recorded.',
  'consent.representative_name_missing': 'Enter the name of the person consenting for the patient.',
  'consent.representative_relationship_missing':
    'Enter how the person consenting is related to the patient (parent, guardian, attorney).',
  'consent.signature_empty': 'No signature was drawn. Ask the patient to sign in the box.',
  'consent.signature_malformed': 'The signature pad sent bad points. Clear the signature and sign again.',
  'consent.signature_render': 'The signature image could not be made. Clear the signature and sign again.',
  'consent.signature_too_large': 'The signature is too complex to store. Clear it and sign again.',
  'consent.signature_too_small':
    'That is too small to be a signature. Clear it and ask the patient to sign across the box.',
  'consent.text_invalid': "The trust's consent text could not be read. Ask IT to check it.",
  'consent.text_markup': "The trust's consent text contains HTML. Ask IT to provide plain text.",
  'consent.text_purpose_missing': "The trust's consent text is missing a purpose. Ask IT to add it.",
  'consent.text_too_long': "The trust's consent text is too long. Ask IT to shorten it.",
  'consent.text_version_mismatch': 'The consent text changed. Show the consent screen again and ask again.',
  'consent.witness_missing': 'Verbal consent needs a witness. Enter the name of the colleague who witnessed it.',

  'delivery.consent_pdf_consent_mismatch':
    'The consent record found for this visit is not the one the visit sealed, so it was not sent and is kept on the phone. Tell IT.',
  'delivery.consent_pdf_encode_failed':
    'WardCam could not build the consent document, so the consent is kept on the phone. Tell IT.',
  'delivery.consent_pdf_signature_unreadable':
    'The signature on this consent could not be read, so the consent document could not be made; the consent is kept. Tell IT.',
  'delivery.consent_pdf_text_mismatch':
    'The consent text this patient was shown is no longer on this phone, so the consent document could not be made; the consent is kept. Tell IT.',
  'delivery.consent_pdf_wrong_patient':
    "This consent record is for another patient than the visit's, so it was not sent and is kept on the phone. Tell IT.",
  'delivery.encode_failed':
    'WardCam could not build the file to send for this photo, so it is kept on the phone. Tell IT.',
  'delivery.image_damaged': "This photo's image is damaged, so it is kept on the phone. Tell IT.",
  'delivery.image_too_large':
    'This photo is too large to prepare for the image server, so it is kept on the phone. Tell IT.',
  'delivery.no_patient_id':
    'This photo has no NHS or hospital number, so the image server could not file it and it is kept on the phone. Tell IT.',
  'delivery.unlabelled': 'This photo has no body site yet. Set its body site before sending it.',
  'delivery.unsupported_jpeg':
    "This photo's JPEG encoding cannot be sent to the image server yet, so it is kept on the phone. Tell IT.",
  'delivery.withdrawn':
    'Consent for this photo was withdrawn, so it cannot be sent. Leave it: WardCam will not send it.',

  'endpoint.config_invalid':
    "This phone's hospital server settings are invalid. Ask IT to check the phone's configuration.",
  'endpoint.malformed': 'The hospital server sent a reply WardCam cannot read, so it was not used. Tell IT.',
  'endpoint.not_trusted': 'The hospital server is not trusted, so nothing was sent. Tell IT.',
  'endpoint.pin_mismatch':
    'The hospital server is not the one this phone was set up for, so nothing was sent. Tell IT.',
  'endpoint.redirected': 'The hospital server tried to send WardCam elsewhere, so nothing was sent there. Tell IT.',
  'endpoint.rejected': "The hospital server refused WardCam's request. Tell IT: this phone's settings may be wrong.",
  'endpoint.unavailable':
    'The hospital server is not answering properly right now. Try again shortly; tell IT if it persists.',
  'endpoint.unreachable': "The hospital server could not be reached. Check the phone's Wi-Fi; WardCam will try again.",

  'intake.bad_redaction': 'That redaction cannot be applied. Redraw the rectangle inside the picture.',
  'intake.decompression_bomb':
    "The picture's size makes no sense for a camera, so it was refused as unsafe. Retake the photo; if this repeats, tell the device manager.",
  'intake.empty': 'The camera returned an empty picture. Retake the photo.',
  'intake.encode_failed':
    'WardCam could not save the picture. Retake the photo; if this repeats, tell the device manager.',
  'intake.malformed': 'The picture is damaged and cannot be used. Retake the photo.',
  'intake.not_an_image':
    'What the camera sent is not a picture. Retake the photo; if this keeps happening, tell the device manager.',
  'intake.too_large': 'The picture is too large. Lower the camera resolution and retake the photo.',
  'intake.too_many_pixels': 'The picture has too many pixels. Lower the camera resolution and retake the photo.',
  'intake.truncated': 'The picture is incomplete. Retake the photo.',
  'intake.unsupported_encoding':
    'The picture uses an encoding WardCam cannot read. Set the camera to standard JPEG and retake the photo.',
  'intake.unsupported_format':
    'The camera sent a picture format WardCam does not accept. Set the camera to JPEG (on iPhone: Settings > Camera > Formats > Most Compatible) and retake the photo.',

  'patient.check_digit_impossible': 'This is not a valid NHS number. Check the number and type it again.',
  'patient.check_digit_wrong': 'Check digit wrong: one digit is probably mistyped. Check it against the wristband.',
  'patient.duplicate_field':
    "The wristband barcode carries the same detail twice, so it cannot be trusted. Do not use this band: check the patient's identity and report the band.",
  'patient.empty': "Enter the patient's NHS number.",
  'patient.entries_differ': 'The two entries do not match. Type the NHS number again in both boxes.',
  'patient.entry_not_allowed':
    "Your trust allows only a scanned wristband on this phone. Scan the patient's wristband; if it cannot be scanned, follow your trust's procedure.",
  'patient.field_invalid':
    'Part of the wristband barcode is unreadable or damaged. Rescan it; if it fails again, type the NHS number and report the band.',
  'patient.gsrn_check_digit_wrong':
    'The wristband barcode was misread or is damaged. Rescan it; if it fails again, type the NHS number.',
  'patient.local_id_invalid':
    'This hospital number does not have the format this trust uses. Check it against the wristband, or type the NHS number.',
  'patient.lookup_config_invalid':
    "This phone's patient record settings are invalid, so no patient can be confirmed. Ask IT to check the phone's configuration.",
  'patient.lookup_needs_nhs_number':
    'The record is searched by NHS number and this patient has only a hospital number, so photos will be marked not verified. Type the NHS number if the patient has one.',
  'patient.missing_issuer':
    "The wristband's hospital number does not say which hospital issued it. Type the NHS number instead.",
  'patient.no_identifier':
    "This wristband has no NHS number or hospital number. Check the patient's identity and type their NHS number.",
  'patient.not_a_wristband':
    "This barcode is not a patient wristband (it looks like a drug or device label). Scan the patient's wristband.",
  'patient.not_ascii':
    'The scan has characters a wristband cannot hold, so it was misread or is not a wristband. Rescan the wristband, or type the NHS number.',
  'patient.not_digits': 'An NHS number has only digits. Check the wristband and type it again.',
  'patient.not_nhs_wristband':
    "This is not an NHS wristband: its service number was not issued by the NHS. Check the patient's identity and type their NHS number if they have one.",
  'patient.not_recognised':
    "This is not an NHS wristband, an NHS number or a hospital number this trust uses. Scan the patient's wristband again, or type the NHS number.",
  'patient.override_incomplete':
    'The reason for going on is incomplete. Say in your own words why you are going on, and make sure your name is set on the Device screen.',
  'patient.override_not_allowed':
    'This result cannot be overridden. Do not take photographs of this patient; check their identity, or tell IT.',
  'patient.policy_invalid':
    "This phone's patient identification settings are invalid. Ask IT or the device manager to check the phone's configuration.",
  'patient.record_ambiguous':
    'More than one patient record has this NHS number, so the record cannot confirm the patient. Do not take photographs; tell the records team.',
  'patient.record_malformed':
    'The patient record server sent an answer WardCam cannot read, so this patient cannot be confirmed. Tell IT.',
  'patient.record_mismatch':
    "The wristband does not match the patient record (the name or date of birth differ). Do not take photographs: check the patient's identity and their wristband.",
  'patient.record_not_found':
    'No patient with this NHS number is in the record. Check the number against the wristband; to go on, record why (for example, a new admission not yet registered).',
  'patient.record_not_trusted':
    'The hospital record server is not trusted, so its answer was not used. Do not photograph this patient until IT has fixed it; tell IT now.',
  'patient.record_pin_mismatch':
    'The hospital record server is not the one this phone was set up for, so its answer was not used. Do not photograph this patient until IT has fixed it; tell IT now.',
  'patient.record_redirected':
    'The patient record server tried to send WardCam to another address, so this patient cannot be confirmed. Tell IT.',
  'patient.record_rejected':
    "The patient record server refused the search, so this patient cannot be confirmed. Tell IT: this phone's settings may be wrong.",
  'patient.record_unavailable':
    'The patient record system is not answering properly, so this patient cannot be checked. Try again; to go on without it, record why (for example, the record system is down).',
  'patient.record_unreachable':
    'The patient record could not be reached, so this patient is not verified against it. Check the wristband carefully; the photos are checked against the record before they are sent.',
  'patient.second_entry_needed':
    'This looks like a typed NHS number, not a scanned wristband. Type it again in the second box to confirm it.',
  'patient.too_long':
    "This barcode is far too long to be a patient wristband. Scan the patient's wristband, not another label.",
  'patient.truncated':
    'The wristband barcode was cut short. Rescan the whole barcode; if it fails again, type the NHS number.',
  'patient.unreadable':
    'The wristband barcode could not be read completely. Rescan it; if it fails again, type the NHS number.',
  'patient.unverified_not_allowed':
    'Your trust requires every patient to be checked against the record before photographs. Try again when the record can be reached.',
  'patient.wrong_length': 'An NHS number has 10 digits. Check the number and type it again.',

  'policy.app_too_old': "Your trust requires a newer WardCam. Update it from the trust's app store.",
  'policy.bad_signature':
    'This provisioning code has been altered since it was signed, so it was not used. Ask the device manager for a new one.',
  'policy.expired': 'This provisioning code has expired. Ask the device manager for a new one.',
  'policy.hash_mismatch':
    "The provisioning code's parts do not belong together, so nothing was used. Scan every part of the same code.",
  'policy.invalid':
    "Your trust's policy was refused because some of its settings are wrong. Correct the policy with wardcam-admin and provision the phone again.",
  'policy.malformed':
    "Your trust's policy cannot be read. Make it again with wardcam-admin and provision the phone again.",
  'policy.no_provisioning_keys':
    'This phone has no provisioning key to check a code against. Provision it through MDM, or use a build made for your trust.',
  'policy.not_provisioned': 'This phone has not been set up by your trust. Ask the device manager to provision it.',
  'policy.older':
    'This provisioning code carries an older policy than the one already on this phone, so it was not used. Ask the device manager for the current code.',
  'policy.parts_missing': 'Some parts of the provisioning code are missing. Scan or paste every part.',
  'policy.secret_in_payload':
    'A provisioning code may not carry a password, token or private key. Give those through MDM and make the code again without them.',
  'policy.store_failed':
    "The policy could not be kept in this phone's keystore. Restart WardCam; if it persists, tell IT.",
  'policy.suspended': "Your trust has suspended WardCam on this phone. Use the trust's other way of recording photos.",
  'policy.unknown_key':
    "This provisioning code was not made by a provisioning key this phone trusts. Ask the device manager for your trust's code.",
  'policy.version_reused':
    'This policy reuses a version number with different settings. Raise the policy version with wardcam-admin and make the code again.',

  'review.description_invalid': 'The description is too long or is not plain text. Shorten it to plain words.',
  'review.label_missing': 'Some photos have no body site yet. Set the body site of every photo before sending.',
  'review.laterality_not_applicable': 'This body site has no left or right. Choose "not applicable" for the side.',
  'review.laterality_required': 'This body site has two sides. Choose left, right or both.',
  'review.unknown_body_site': "That body site is not in WardCam's list. Choose the body site from the list.",

  'session.already_unlocked': 'WardCam is already unlocked. Carry on where you were.',
  'session.consent_already_recorded': 'Consent is already recorded for this patient. Carry on to the camera.',
  'session.consent_declined': 'The patient declined. Please hand the phone back to the clinician.',
  'session.consent_required': 'Consent has not been recorded for this patient. Record consent before taking photos.',
  'session.development_unlock_refused':
    'This build does not allow the development unlock. Unlock with the device passcode.',
  'session.duplicate_photo': 'This photo is already in the session, so it was not added twice. Carry on.',
  'session.kiosk_active': 'The phone is with the patient for consent. Take it back and unlock to continue.',
  'session.locked': 'WardCam is locked. Unlock it to continue.',
  'session.no_consent_to_withdraw':
    'No consent is recorded for this patient, so there is nothing to withdraw. Carry on.',
  'session.no_patient': 'No patient confirmed yet. Identify the patient first.',
  'session.no_photos': 'There are no photos yet. Take a photo first.',
  'session.no_purpose': 'Choose at least one use the patient agrees to.',
  'session.not_capturing': 'The camera is not open. Open Capture to take photos.',
  'session.not_in_kiosk': 'The phone is not in patient mode, so there is nothing to hand back. Carry on.',
  'session.not_reviewing': 'Review the photos before sending them.',
  'session.passcode_required':
    "This phone has no screen lock passcode that WardCam accepts. Set one in the phone's Settings, then open WardCam again.",
  'session.patient_in_session':
    "Another patient's session is open. End it on the Patient screen before starting a new one.",
  'session.photos_not_queued':
    "Some photos have not been sent yet. Send or delete them before ending this patient's session.",
  'session.purpose_not_covered':
    "The patient's consent does not cover this use. Record consent for it or choose another use.",
  'session.unknown_photo': 'That photo is no longer in this session. Refresh the list and carry on.',
  'session.wrong_patient':
    'This belongs to a different patient, so it was not added. Check the wristband and start again.',

  'vault.already_exists': "WardCam's secure store already exists on this phone. Close and reopen WardCam to open it.",
  'vault.api_misuse':
    'WardCam made an invalid request to its secure store. Close and reopen WardCam, and report this to IT.',
  'vault.index':
    "WardCam's list of stored items could not be read or written. Restart WardCam; if this repeats, tell the device manager.",
  'vault.io':
    'WardCam could not read or write its stored files. Check that the phone has free storage, then restart WardCam.',
  'vault.key_unavailable':
    "The key to WardCam's stored photos is missing from the phone (after the passcode was removed or the phone restored), so they cannot be opened. Ask the device manager to set WardCam up again.",
  'vault.keystore_corrupt':
    "The phone's secure keystore holds a damaged key, so stored photos cannot be opened. Ask the device manager to set WardCam up again.",
  'vault.keystore_locked':
    "The phone's secure keystore refused access. Unlock the phone (on a computer, the login keyring) and try again.",
  'vault.keystore_missing':
    "The phone's secure keystore is not available, so WardCam will not take photos. Set a screen lock passcode (on a computer, unlock the login keyring), then restart WardCam.",
  'vault.no_vault':
    "WardCam's secure store has not been created on this phone. Ask the device manager to set WardCam up.",
  'vault.not_a_vault': "Something other than WardCam wrote to WardCam's private folder. Tell the device manager.",
  'vault.not_found':
    'That item is no longer stored on this phone (deleted, or removed by the retention policy). Refresh the screen and carry on.',
  'vault.opening': 'The secure store is still opening. Wait a few seconds and try again.',
  'vault.tampered':
    'A stored item has been altered or damaged and cannot be opened (it is not exposed). Retake the photo if it was not sent, and tell the device manager.',
  'vault.truncated':
    'A stored item is incomplete and cannot be opened. Retake the photo if it was not sent, and check that the phone has free storage.',
  'vault.unknown_version':
    "This phone's photos were stored by a newer version of WardCam. Update WardCam; do not reset the phone, or unsent photos will be lost.",

  'visit.held_in_open_visit':
    "The record check blocked the patient who is open now. Stop taking photos, end this patient's visit, then discard the held photos from the Outbox.",
  'visit.manifest_invalid': 'A stored photo record could not be read; nothing was deleted. Tell IT.',
  'visit.manifest_version':
    'A stored photo record is from a newer version of WardCam. Update the app; nothing was deleted.',
  'visit.not_held':
    'This photo is not held, so it cannot be discarded from here. Withdraw consent for it, or let it send.',
  'visit.not_held_by_server':
    'This photo is not stopped by the hospital server, so there is nothing to send again. Refresh the Outbox.',
  'visit.patient_changed':
    'The patient or their consent changed while this photo was being saved, so it was not kept. Take it again.',
  'visit.photo_queued':
    'This photo is already in the outbox, so its label cannot change. Withdraw consent from the Outbox or let it send.',
  'visit.photo_sending':
    'This photo is already being sent (or was), so it can no longer be redacted. If it must not reach the record, withdraw consent for it and tell IT.',
  'visit.random': 'WardCam could not make a new identifier. Try again.',
  'visit.storage_full': 'Phone storage is full. Send or delete photos first.',
  'visit.unknown_photo': 'That photo is no longer on this phone (sent, deleted or withdrawn). Refresh the list.',

  'wipe.bad_signature':
    'This wipe command has been altered since it was signed, so nothing was wiped. Make a new one with wardcam-admin wipe.',
  'wipe.expired': 'This wipe command has expired, so nothing was wiped. Make a new one with wardcam-admin wipe.',
  'wipe.io':
    'The wipe could not finish writing its files; it resumes when WardCam next starts. Restart WardCam; if this persists, reset the phone through MDM.',
  'wipe.malformed': 'This is not a WardCam wipe command, so nothing was wiped. Make it again with wardcam-admin wipe.',
  'wipe.no_provisioning_keys':
    'This phone has no provisioning key to check a wipe command against. Wipe it through MDM instead.',
  'wipe.not_provisioned':
    'This phone was never provisioned by a trust, so it holds no patient data and takes no wipe command. Provision it before use.',
  'wipe.not_this_phone':
    "This wipe command names another installation of WardCam, so nothing was wiped. Make it for the installation id shown on this phone's Device screen.",
  'wipe.other_trust':
    "This wipe command is for another trust's phones, so nothing was wiped. Use a command made for your trust.",
  'wipe.record_damaged':
    "WardCam's record of remote wipes is damaged. Wipe the phone through MDM, or reinstall WardCam.",
  'wipe.replayed':
    'This wipe command was already used on this phone, or is older than one that was. Make a new one with wardcam-admin wipe if the phone must be wiped again.',
  'wipe.unfinished':
    'A remote wipe of this phone has not finished, and nothing can be opened until it does. Restart WardCam to finish it.',
  'wipe.unknown_key':
    "This wipe command was not made by a provisioning key this phone trusts, so nothing was wiped. Make it with your trust's key (wardcam-admin wipe).",
  'wipe.wiped':
    'Your trust wiped this phone; its photos and records are destroyed. Set WardCam up again from the wiped screen if the trust gave the phone back to you.',
};

/** What to say when nothing better is known (a code from a newer backend with no message). */
export const UNKNOWN_ERROR_ADVICE = 'WardCam could not do that. Try again; if it keeps happening, tell IT.';

/** The advice to show for an error: the known text for its code. A code this UI does not know (a
 * newer backend) keeps the backend's own message, which is written to be actionable too, or a
 * generic one, and shows the code so IT can look it up. */
export function describeError(error: WardcamError): string {
  if (isErrorCode(error.code)) return KNOWN_ERRORS[error.code];
  const message = error.message.trim() || UNKNOWN_ERROR_ADVICE;
  return `${message} (error code ${error.code})`;
}
