//! Consent in the app: the text to show, the record sealed in the vault (with the signature PNG),
//! kiosk hand-over and hand-back with the clinician PIN, decline and withdrawal.
//!
//! Core decides everything (`wardcam_core::consent`, `auth`, `session`); this module only gathers
//! what the screen cannot know (who the patient and clinician are, the time), seals what core
//! produces, and applies the session events. Heavy work (PBKDF2, PNG rendering, sealing) runs on
//! blocking threads so the window never freezes.
//!
//! The clinician PIN is kept only as core's salted PBKDF2 [`PinHash`], sealed in the vault with the
//! clinician's name and the [`PinLimiter`]; the limiter is sealed again after every attempt, so
//! restarting the app does not reset the count of wrong PINs.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use serde::{Deserialize, Serialize};
use serde_json::Value;
use tauri::State;
use wardcam_core::auth::{AuthError, PinHash, PinLimiter, MAX_ATTEMPTS};
use wardcam_core::consent::{
    fhir, Clinician, ConsentError, ConsentForm, ConsentId, ConsentPatient, ConsentRecord,
    ConsentText, ConsentedBy, Decision, Method, RecordContext, MAX_NAME_CHARS,
};
use wardcam_core::session::{
    ConsentRef, Event, Millis, Purposes, SessionError, SessionView, State as Stage, UnlockMethod,
};
use wardcam_core::vault::{ItemId, ItemKind, PatientFields, Timestamp, Vault, VaultError};
use zeroize::Zeroizing;

use crate::background::blocking;
use crate::error::CommandError;
use crate::state::AppState;
use crate::vault::VaultSlot;

fn core(e: impl Into<wardcam_core::Error>) -> CommandError {
    CommandError::from(e.into())
}

fn pin_not_set() -> CommandError {
    CommandError::new(
        "auth.pin_not_set",
        "No clinician PIN is set on this device. Set one before handing the phone to a patient.",
    )
}

fn debug_only() -> CommandError {
    CommandError::new(
        "app.debug_only",
        "This is a development check, not available in this build.",
    )
}

/// What is sealed for the clinician PIN: never the PIN itself.
#[derive(Clone, Serialize, Deserialize)]
struct StoredPin {
    hash: PinHash,
    clinician: String,
    limiter: PinLimiter,
}

/// The PIN as loaded from the vault (lazily: the vault opens in the background).
#[derive(Default)]
pub(crate) struct PinBook {
    loaded: bool,
    stored: Option<StoredPin>,
    item: Option<ItemId>,
}

impl PinBook {
    /// Reads the newest sealed PIN item once; older leftovers (a crash between sealing the new
    /// item and deleting the old) are shredded.
    fn load(&mut self, vault: &Vault) -> Result<(), CommandError> {
        if self.loaded {
            return Ok(());
        }
        let mut items: Vec<_> = vault
            .list()
            .map_err(core)?
            .into_iter()
            .filter(|m| m.kind == ItemKind::ClinicianPin)
            .collect();
        items.sort_by_key(|m| m.created_at);
        if let Some(newest) = items.pop() {
            let bytes = vault.unseal(newest.id).map_err(core)?;
            let stored: StoredPin =
                serde_json::from_slice(&bytes).map_err(|_| core(AuthError::HashInvalid))?;
            self.stored = Some(stored);
            self.item = Some(newest.id);
        }
        for old in items {
            vault.delete(old.id).map_err(core)?;
        }
        self.loaded = true;
        Ok(())
    }

    /// Seals `stored` as the new PIN item, then shreds the previous one.
    fn save(&mut self, vault: &Vault, stored: StoredPin) -> Result<(), CommandError> {
        let json = Zeroizing::new(
            serde_json::to_vec(&stored).map_err(|_| CommandError::unexpected("PIN encoding"))?,
        );
        let id = vault
            .seal(ItemKind::ClinicianPin, &json, None, Timestamp::now())
            .map_err(core)?;
        self.stored = Some(stored);
        if let Some(old) = self.item.replace(id) {
            match vault.delete(old) {
                Ok(()) | Err(VaultError::NotFound) => {}
                Err(e) => return Err(core(e)),
            }
        }
        Ok(())
    }

    /// Sets (or replaces) the PIN and the clinician's name; clears the count of wrong attempts.
    pub(crate) fn set(
        &mut self,
        vault: &Vault,
        pin: &Zeroizing<String>,
        name: &str,
    ) -> Result<(), CommandError> {
        let name = clinician_name(name)?;
        self.load(vault)?;
        let hash = PinHash::create(pin).map_err(core)?;
        self.save(
            vault,
            StoredPin {
                hash,
                clinician: name,
                limiter: PinLimiter::new(),
            },
        )
    }

    /// Tries `pin` at `now` through the rate limiter; the limiter is sealed again whenever it
    /// changed, before the answer is given, so a restart cannot reset it.
    pub(crate) fn attempt(
        &mut self,
        vault: &Vault,
        pin: &Zeroizing<String>,
        now: Millis,
    ) -> Result<(), CommandError> {
        self.load(vault)?;
        let mut stored = self.stored.clone().ok_or_else(pin_not_set)?;
        let before = stored.limiter.clone();
        let outcome = stored.limiter.attempt(&stored.hash, pin, now);
        if stored.limiter != before {
            self.save(vault, stored)?;
        }
        outcome.map_err(core)
    }

    /// What the screens may know about the PIN.
    fn status(&self, development_unlock: bool) -> PinStatus {
        let stored = self.stored.as_ref();
        PinStatus {
            ready: self.loaded,
            set: stored.is_some(),
            clinician: stored.map(|s| s.clinician.clone()),
            failures: stored.map_or(0, |s| s.limiter.failures()),
            disabled: stored.is_some_and(|s| s.limiter.failures() >= MAX_ATTEMPTS),
            development_unlock,
        }
    }

    fn clinician(&self) -> Option<String> {
        self.stored.as_ref().map(|s| s.clinician.clone())
    }
}

/// The clinician's name as typed, trimmed and checked like the record will check it.
fn clinician_name(name: &str) -> Result<String, CommandError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(core(ConsentError::ClinicianMissing));
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(core(ConsentError::FieldTooLong {
            field: "clinician's name",
            max: MAX_NAME_CHARS,
        }));
    }
    Ok(name.to_owned())
}

/// The clinician PIN as the UI sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct PinStatus {
    /// False while the vault is still opening (ask again shortly).
    ready: bool,
    /// Whether a PIN is set on this device.
    set: bool,
    /// The clinician's name (shown only while unlocked).
    clinician: Option<String>,
    /// Wrong attempts since the last right one.
    failures: u32,
    /// Too many wrong attempts: the PIN no longer unlocks until it is set again.
    disabled: bool,
    /// Whether this build lets the development unlock hand the phone back.
    development_unlock: bool,
}

/// A consent (or refusal) recorded for the current patient, kept in memory for the upload work.
#[derive(Debug, Clone)]
pub(crate) struct RecordedConsent {
    reference: ConsentRef,
    record: ConsentRecord,
    /// The sealed record and signature, for the upload work to send.
    #[allow(dead_code)]
    record_item: ItemId,
    #[allow(dead_code)]
    signature_item: Option<ItemId>,
    withdrawn_at: Option<Timestamp>,
}

impl RecordedConsent {
    /// The record as a FHIR R4 `Consent`; `inactive` once withdrawn.
    pub(crate) fn fhir(&self) -> Result<Value, CommandError> {
        let mut resource = fhir::consent_resource(&self.record).map_err(core)?;
        if self.withdrawn_at.is_some() {
            resource["status"] = Value::from("inactive");
        }
        Ok(resource)
    }
}

/// The consent side of the shell's state.
pub(crate) struct ConsentState {
    text: Result<Arc<ConsentText>, ConsentError>,
    pins: Arc<Mutex<PinBook>>,
    recorded: Mutex<Option<RecordedConsent>>,
    next_ref: AtomicU64,
}

impl Default for ConsentState {
    fn default() -> Self {
        ConsentState {
            // Provisioning will supply the trust's text (`ConsentText::from_provisioned`).
            text: ConsentText::default_text().map(Arc::new),
            pins: Arc::default(),
            recorded: Mutex::default(),
            next_ref: AtomicU64::new(1),
        }
    }
}

fn guard<T>(m: &Mutex<T>) -> Result<MutexGuard<'_, T>, CommandError> {
    m.lock()
        .map_err(|_| CommandError::unexpected("consent lock poisoned"))
}

impl ConsentState {
    fn text(&self) -> Result<Arc<ConsentText>, CommandError> {
        self.text.clone().map_err(core)
    }

    /// The consent recorded in this visit, if it is still the one in force or was withdrawn.
    #[allow(dead_code)] // the upload work reads the FHIR form from here
    pub(crate) fn recorded(&self) -> Result<Option<RecordedConsent>, CommandError> {
        Ok(guard(&self.recorded)?.clone())
    }

    /// The clinician's name, loading the PIN item if needed.
    fn clinician(&self, vault: &Vault) -> Result<Option<String>, CommandError> {
        let mut book = guard(&self.pins)?;
        book.load(vault)?;
        Ok(book.clinician())
    }
}

/// The patient fields sealed with consent items, so shredding the item shreds them too.
fn patient_fields(patient: &ConsentPatient) -> PatientFields {
    PatientFields {
        nhs_number: patient.nhs_number().map(|n| n.digits()),
        family_name: Some(patient.family_name().to_owned()),
        given_names: Some(patient.given_name().to_owned()),
        date_of_birth: patient.birth_date().map(|d| d.iso()),
        note: None,
    }
}

/// The record built and sealed: record JSON and signature PNG in the vault.
#[derive(Debug)]
pub(crate) struct Sealed {
    record: ConsentRecord,
    record_item: ItemId,
    signature_item: Option<ItemId>,
}

/// Builds the record from the screen's form and what the app knows, renders the signature, and
/// seals both. Nothing is sealed unless the record passes core's rules; if the signature cannot be
/// sealed the record item is shredded again.
pub(crate) fn seal_consent(
    vault: &Vault,
    form: ConsentForm,
    ctx: RecordContext<'_>,
) -> Result<Sealed, CommandError> {
    let record = ConsentRecord::build(form, ctx).map_err(core)?;
    let canonical = Zeroizing::new(record.canonical_bytes().map_err(core)?);
    let png = record.signature_png().map_err(core)?.map(Zeroizing::new);
    let fields = patient_fields(&record.patient);
    let record_item = vault
        .seal(
            ItemKind::Consent,
            &canonical,
            Some(&fields),
            record.recorded_at,
        )
        .map_err(core)?;
    let signature_item = match png {
        None => None,
        Some(png) => {
            match vault.seal(ItemKind::Signature, &png, Some(&fields), record.recorded_at) {
                Ok(id) => Some(id),
                Err(e) => {
                    let _ = vault.delete(record_item);
                    return Err(core(e));
                }
            }
        }
    };
    Ok(Sealed {
        record,
        record_item,
        signature_item,
    })
}

/// The session event a sealed record leads to: consent, or (for a refusal) the decline.
pub(crate) fn consent_event(
    record: &ConsentRecord,
    reference: ConsentRef,
    patient: wardcam_core::session::PatientRef,
) -> Result<Event, CommandError> {
    Ok(match record.decision {
        Decision::Permit => {
            Event::RecordConsent(record.session_consent(reference, patient).map_err(core)?)
        }
        Decision::Refuse => Event::DeclineConsent,
    })
}

/// Shreds each item (one already gone counts as shredded); returns how many were shredded.
fn shred(vault: &Vault, items: &[ItemId]) -> Result<usize, CommandError> {
    for &id in items {
        match vault.delete(id) {
            Ok(()) | Err(VaultError::NotFound) => {}
            Err(e) => return Err(core(e)),
        }
    }
    Ok(items.len())
}

/// What is sealed when consent is withdrawn: which record, when, by whom, and what was shredded.
#[derive(Serialize)]
struct Withdrawal<'a> {
    withdrawal_of: String,
    consent_sha256: String,
    withdrawn_at: Timestamp,
    clinician: &'a str,
    photos_shredded: usize,
    photos_not_found: usize,
}

/// The consent text in force, for the consent screen.
#[tauri::command]
pub(crate) async fn consent_text(
    consent: State<'_, ConsentState>,
) -> Result<ConsentText, CommandError> {
    Ok(consent.text()?.as_ref().clone())
}

/// Whether a clinician PIN is set, and whose.
#[tauri::command]
pub(crate) async fn clinician_pin_status(
    state: State<'_, AppState>,
    consent: State<'_, ConsentState>,
    vault: State<'_, VaultSlot>,
) -> Result<PinStatus, CommandError> {
    let locked = state.view()?.state == Stage::Locked;
    let development_unlock = !locked && crate::policy::development_unlock_allowed();
    let vault = match vault.get() {
        Ok(v) => v,
        Err(e) if e.code() == "vault.opening" => {
            return Ok(PinBook::default().status(development_unlock))
        }
        Err(e) => return Err(e),
    };
    let pins = Arc::clone(&consent.pins);
    let mut status = blocking(move || {
        let mut book = guard(&pins)?;
        book.load(&vault)?;
        Ok(book.status(development_unlock))
    })
    .await?;
    if locked {
        status.clinician = None;
    }
    Ok(status)
}

/// Sets the clinician PIN and name (first unlock, or to replace a disabled PIN). Only while
/// unlocked and never in kiosk mode, so a patient holding the phone cannot set their own PIN.
#[tauri::command]
pub(crate) async fn clinician_pin_set(
    state: State<'_, AppState>,
    consent: State<'_, ConsentState>,
    vault: State<'_, VaultSlot>,
    pin: String,
    name: String,
) -> Result<PinStatus, CommandError> {
    let pin = Zeroizing::new(pin);
    let view = state.view()?;
    if view.state == Stage::Locked {
        return Err(core(SessionError::Locked));
    }
    if view.kiosk {
        return Err(core(SessionError::KioskActive));
    }
    let vault = vault.get()?;
    let pins = Arc::clone(&consent.pins);
    let development_unlock = crate::policy::development_unlock_allowed();
    blocking(move || {
        let mut book = guard(&pins)?;
        book.set(&vault, &pin, &name)?;
        Ok(book.status(development_unlock))
    })
    .await
}

/// The clinician hands the phone to the patient: kiosk mode. Refused with no way back (no PIN set
/// and no development unlock).
#[tauri::command]
pub(crate) async fn consent_hand_to_patient(
    state: State<'_, AppState>,
    consent: State<'_, ConsentState>,
    vault: State<'_, VaultSlot>,
) -> Result<SessionView, CommandError> {
    if !crate::policy::development_unlock_allowed() {
        let vault = vault.get()?;
        if consent.clinician(&vault)?.is_none() {
            return Err(pin_not_set());
        }
    }
    state.apply(Event::HandToPatient)
}

/// Records consent from the screen's form: builds the record with the confirmed patient, the
/// clinician and the time, seals it and the signature, then applies it to the session (a refusal
/// applies the decline). If core refuses the event, the sealed items are shredded again.
#[tauri::command]
pub(crate) async fn consent_record(
    state: State<'_, AppState>,
    consent: State<'_, ConsentState>,
    vault: State<'_, VaultSlot>,
    form: ConsentForm,
) -> Result<SessionView, CommandError> {
    record(&state, &consent, &vault, form).await
}

/// What the screen sends when the patient presses Decline.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct DeclineForm {
    purposes: Purposes,
    consented_by: ConsentedBy,
    text_version: String,
}

impl From<DeclineForm> for ConsentForm {
    fn from(d: DeclineForm) -> Self {
        ConsentForm {
            decision: Decision::Refuse,
            purposes: d.purposes,
            consented_by: d.consented_by,
            method: Method::Declined,
            text_version: d.text_version,
        }
    }
}

/// The patient declined: the refusal is recorded and sealed, and the session ends (at hand-back
/// in kiosk mode).
#[tauri::command]
pub(crate) async fn consent_decline(
    state: State<'_, AppState>,
    consent: State<'_, ConsentState>,
    vault: State<'_, VaultSlot>,
    form: DeclineForm,
) -> Result<SessionView, CommandError> {
    record(&state, &consent, &vault, form.into()).await
}

async fn record(
    state: &AppState,
    consent: &ConsentState,
    vault: &VaultSlot,
    form: ConsentForm,
) -> Result<SessionView, CommandError> {
    let (patient_ref, patient) = state.consent_patient()?;
    let vault = vault.get()?;
    let text = consent.text()?;
    let name = consent.clinician(&vault)?.unwrap_or_default();
    let id = ConsentId::random().map_err(core)?;
    let sealer = Arc::clone(&vault);
    let sealed = blocking(move || {
        let ctx = RecordContext {
            id,
            patient,
            clinician: Clinician {
                name,
                identifier: None,
            },
            // Provisioning will supply the trust's ODS code.
            organization: None,
            text: &text,
            recorded_at: Timestamp::now(),
        };
        seal_consent(&sealer, form, ctx)
    })
    .await?;
    let reference = ConsentRef(consent.next_ref.fetch_add(1, Ordering::Relaxed));
    let applied = consent_event(&sealed.record, reference, patient_ref)
        .and_then(|event| state.apply_forgetting_ended(event));
    match applied {
        Ok(view) => {
            *guard(&consent.recorded)? = Some(RecordedConsent {
                reference,
                record: sealed.record,
                record_item: sealed.record_item,
                signature_item: sealed.signature_item,
                withdrawn_at: None,
            });
            Ok(view)
        }
        Err(e) => {
            let items: Vec<ItemId> = std::iter::once(sealed.record_item)
                .chain(sealed.signature_item)
                .collect();
            // Best effort: the refusal stands whatever happens to the orphaned items.
            let _ = blocking(move || shred(&vault, &items)).await;
            Err(e)
        }
    }
}

/// The clinician takes the phone back: with their PIN (rate-limited, the count sealed after each
/// attempt), or with no PIN the development unlock where this build allows it.
#[tauri::command]
pub(crate) async fn consent_hand_back(
    state: State<'_, AppState>,
    consent: State<'_, ConsentState>,
    vault: State<'_, VaultSlot>,
    pin: Option<String>,
) -> Result<SessionView, CommandError> {
    let pin = pin.map(Zeroizing::new);
    let view = state.view()?;
    // Checked before the PIN, so PIN guesses are possible only where a hand-back is.
    if view.state == Stage::Locked {
        return Err(core(SessionError::Locked));
    }
    if !view.kiosk {
        return Err(core(SessionError::NotInKiosk));
    }
    let method = match pin {
        None => UnlockMethod::Development,
        Some(pin) => {
            let vault = vault.get()?;
            let pins = Arc::clone(&consent.pins);
            let now = state.now();
            blocking(move || {
                let mut book = guard(&pins)?;
                book.attempt(&vault, &pin, now)
            })
            .await?;
            UnlockMethod::ClinicianPin
        }
    };
    state.apply_forgetting_ended(Event::HandBack(method))
}

/// The patient withdraws consent: core removes it and hands over every photo of the visit, which
/// is crypto-shredded here; the withdrawal is sealed next to the record.
#[tauri::command]
pub(crate) async fn consent_withdraw(
    state: State<'_, AppState>,
    consent: State<'_, ConsentState>,
    vault: State<'_, VaultSlot>,
    photo_book: State<'_, crate::photos::Photos>,
) -> Result<SessionView, CommandError> {
    // The vault first: a withdrawal that cannot shred must not be half done.
    let vault = vault.get()?;
    let in_force = state.consent_in_force()?;
    let (view, photos) = state.withdraw_consent()?;
    // Each photo's image and thumbnail, from the capture bookkeeping (`crate::photos`).
    let mut items: Vec<ItemId> = Vec::new();
    let mut not_found = 0;
    for photo in &photos {
        match photo_book.remove(*photo) {
            Ok(pair) => items.extend(pair),
            Err(_) => not_found += 1,
        }
    }
    let now = Timestamp::now();
    let (record, fields) = {
        let mut recorded = guard(&consent.recorded)?;
        match recorded
            .as_mut()
            .filter(|r| in_force.is_some_and(|c| c.id == r.reference))
        {
            Some(r) => {
                r.withdrawn_at = Some(now);
                (
                    Some(r.record.clone()),
                    Some(patient_fields(&r.record.patient)),
                )
            }
            None => (None, None),
        }
    };
    blocking(move || {
        let shredded = shred(&vault, &items)?;
        if let Some(record) = record {
            let note = Withdrawal {
                withdrawal_of: record.id.to_string(),
                consent_sha256: record.sha256().map_err(core)?.hex(),
                withdrawn_at: now,
                clinician: &record.clinician.name,
                photos_shredded: shredded,
                photos_not_found: not_found,
            };
            let json = serde_json::to_vec(&note)
                .map_err(|_| CommandError::unexpected("withdrawal encoding"))?;
            vault
                .seal(ItemKind::Consent, &json, fields.as_ref(), now)
                .map_err(core)?;
        }
        Ok(())
    })
    .await?;
    Ok(view)
}

/// Development check: the FHIR `Consent` of the consent recorded in this visit, so end-to-end
/// tests can validate it. Refused in release builds (it carries the patient's identifiers), while
/// locked and in kiosk mode.
#[tauri::command]
pub(crate) async fn consent_fhir(
    state: State<'_, AppState>,
    consent: State<'_, ConsentState>,
) -> Result<Option<Value>, CommandError> {
    if !cfg!(debug_assertions) {
        return Err(debug_only());
    }
    let view = state.view()?;
    if view.state == Stage::Locked {
        return Err(core(SessionError::Locked));
    }
    if view.kiosk {
        return Err(core(SessionError::KioskActive));
    }
    // Only the current patient's record: identifiers of an earlier patient are not handed out.
    let (_, patient) = state.consent_patient()?;
    guard(&consent.recorded)?
        .as_ref()
        .filter(|r| r.record.patient == patient)
        .map(RecordedConsent::fhir)
        .transpose()
}

#[cfg(test)]
mod tests;
