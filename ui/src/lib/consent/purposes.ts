// Plain-English names for the uses a patient can consent to. The purposes themselves, and which
// are recorded, come from core.
import type { Purpose } from '../types';

export const PURPOSE_LABELS: Readonly<Record<Purpose, string>> = {
  care: 'their own care',
  second_opinion: 'a second opinion',
  teaching: 'teaching',
  publication: 'publication',
};

/** "their own care and teaching", in the order core gave. */
export function purposesText(purposes: readonly Purpose[]): string {
  const names = purposes.map((p) => PURPOSE_LABELS[p]);
  if (names.length <= 1) return names[0] ?? 'nothing';
  return `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
}
