// Turns what signature_pad recorded into the integer strokes core's `Signature` expects: whole pad
// pixels (rounded, kept inside the pad) and whole milliseconds since the first touch. Core decides
// whether the result is a signature; nothing here judges it.
import type { Signature, SignaturePoint } from '../types';

/** What signature_pad's `toData()` gives: one group per stroke, points in CSS pixels of the pad. */
export interface PadStroke {
  points: readonly { x: number; y: number; time: number }[];
}

const clamp = (v: number, max: number) => Math.min(max, Math.max(0, Math.round(v)));

/** The strokes drawn on a `width` × `height` pad (CSS pixels), as core's Signature. */
export function toSignature(strokes: readonly PadStroke[], width: number, height: number): Signature {
  const w = Math.round(width);
  const h = Math.round(height);
  const first = strokes.find((s) => s.points.length > 0)?.points[0]?.time ?? 0;
  const out: SignaturePoint[][] = strokes
    .filter((s) => s.points.length > 0)
    .map((s) =>
      s.points.map((p) => ({
        x: clamp(p.x, w),
        y: clamp(p.y, h),
        t: Math.max(0, Math.round(p.time - first)),
      })),
    );
  return { width: w, height: h, strokes: out };
}
