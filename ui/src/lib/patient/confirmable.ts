// What the confirmation card offers. Core decides (its `offers`, from the verdict, any override
// and the trust's policy) and refuses `patient_confirm` whatever the UI shows; this only reads it.
import type { OverrideReason, PatientSummary } from '../types';

/** Whether to offer "confirm": only when core says it would accept it now. */
export function confirmOffered(patient: PatientSummary): boolean {
  return patient.offers?.confirm === true;
}

/** Whether to show the override form: only when core says it would accept an override now. */
export function overrideOffered(patient: PatientSummary): boolean {
  return patient.offers?.override === true;
}

/** The override reasons core accepts, in the words the form shows. */
export const OVERRIDE_REASONS: Readonly<Record<OverrideReason, string>> = {
  new_admission_not_registered: 'New admission, not yet registered in the record',
  record_system_down: 'The record system is down (ward downtime procedure)',
};
