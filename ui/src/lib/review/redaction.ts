// Turning pointer drags on the displayed photo into the 0..1 rectangles core's redaction takes.
// The geometry is here; whether a rectangle is acceptable is core's decision.
import type { Rect } from '../types';

/** The rectangle between two points given in the displayed image's pixels, as fractions of its
 * size, clamped to the image. Returns null for a drag too small to mean anything (a tap). */
export function dragRect(
  from: { x: number; y: number },
  to: { x: number; y: number },
  size: { width: number; height: number },
  minPixels = 8,
): Rect | null {
  if (size.width <= 0 || size.height <= 0) return null;
  const clampX = (v: number) => Math.min(Math.max(v, 0), size.width);
  const clampY = (v: number) => Math.min(Math.max(v, 0), size.height);
  const x0 = clampX(Math.min(from.x, to.x));
  const x1 = clampX(Math.max(from.x, to.x));
  const y0 = clampY(Math.min(from.y, to.y));
  const y1 = clampY(Math.max(from.y, to.y));
  if (x1 - x0 < minPixels || y1 - y0 < minPixels) return null;
  return { x: x0 / size.width, y: y0 / size.height, width: (x1 - x0) / size.width, height: (y1 - y0) / size.height };
}

/** CSS for drawing `rect` over the displayed image. */
export function rectStyle(rect: Rect): string {
  const pct = (v: number) => `${(v * 100).toFixed(3)}%`;
  return `left:${pct(rect.x)};top:${pct(rect.y)};width:${pct(rect.width)};height:${pct(rect.height)}`;
}
