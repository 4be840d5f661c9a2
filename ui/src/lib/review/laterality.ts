// A body site's side, in the words a row or a label shows ("Heel (left)").
import type { Laterality } from '../types';

export const LATERALITY_LABELS: Readonly<Record<Laterality, string>> = {
  left: 'left',
  right: 'right',
  bilateral: 'both sides',
  not_applicable: 'no side',
};
