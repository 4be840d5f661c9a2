// How a patient was identified, in the words the confirmation card and the Outbox use.
import type { IdentifiedBy } from '../types';

export const IDENTIFIED_BY: Readonly<Record<IdentifiedBy, string>> = {
  camera_scan: 'Wristband scanned with the camera',
  band_text: 'Wristband barcode text',
  typed_twice: 'NHS number typed twice',
};
