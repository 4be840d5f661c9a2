import { describe, expect, it } from 'vitest';
import { toSignature } from './signature';

describe('toSignature', () => {
  it('rounds points to whole pad pixels and times to ms since the first touch', () => {
    const sig = toSignature(
      [
        { points: [{ x: 10.4, y: 20.6, time: 1000.2 }, { x: 50.5, y: 21.49, time: 1016.7 }] },
        { points: [{ x: 70, y: 30, time: 1200 }] },
      ],
      300.4,
      99.6,
    );
    expect(sig).toEqual({
      width: 300,
      height: 100,
      strokes: [
        [
          { x: 10, y: 21, t: 0 },
          { x: 51, y: 21, t: 17 },
        ],
        [{ x: 70, y: 30, t: 200 }],
      ],
    });
    for (const p of sig.strokes.flat()) {
      expect(Number.isInteger(p.x) && Number.isInteger(p.y) && Number.isInteger(p.t)).toBe(true);
    }
  });

  it('keeps points inside the pad (a finger sliding off the edge)', () => {
    const sig = toSignature([{ points: [{ x: -3, y: 120, time: 5 }, { x: 400, y: -1, time: 6 }] }], 300, 100);
    expect(sig.strokes[0]).toEqual([
      { x: 0, y: 100, t: 0 },
      { x: 300, y: 0, t: 1 },
    ]);
  });

  it('drops empty strokes and gives an empty signature for an untouched pad', () => {
    expect(toSignature([], 300, 100).strokes).toEqual([]);
    expect(toSignature([{ points: [] }], 300, 100).strokes).toEqual([]);
  });
});
