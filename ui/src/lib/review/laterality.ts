// A body site's side, in the words a row or a label shows ("Heel (left)").
import type { BodySite, Laterality } from '../types';

export const LATERALITY_LABELS: Readonly<Record<Laterality, string>> = {
  left: 'left',
  right: 'right',
  bilateral: 'both sides',
  not_applicable: 'no side',
};

/** The side to hold once `site` is picked: the one chosen for a paired site (none yet unless the
 * clinician chose it, as the "Same" chip does), and "no side" for a midline one, as core requires. */
export function sideFor(site: BodySite, chosen: Laterality | null = null): Laterality | null {
  return site.paired ? chosen : 'not_applicable';
}
