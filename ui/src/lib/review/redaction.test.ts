import { describe, expect, it } from 'vitest';
import { dragRect, rectStyle } from './redaction';

const size = { width: 200, height: 100 };

describe('dragRect', () => {
  it('gives fractions of the displayed size whichever way the drag went', () => {
    expect(dragRect({ x: 150, y: 80 }, { x: 50, y: 30 }, size)).toEqual({ x: 0.25, y: 0.3, width: 0.5, height: 0.5 });
  });

  it('clamps to the image and ignores taps', () => {
    expect(dragRect({ x: -20, y: -5 }, { x: 400, y: 300 }, size)).toEqual({ x: 0, y: 0, width: 1, height: 1 });
    expect(dragRect({ x: 10, y: 10 }, { x: 14, y: 60 }, size)).toBeNull();
    expect(dragRect({ x: 10, y: 10 }, { x: 60, y: 60 }, { width: 0, height: 0 })).toBeNull();
  });

  it('styles a rectangle in percentages', () => {
    expect(rectStyle({ x: 0.25, y: 0.5, width: 0.5, height: 0.25 })).toBe('left:25.000%;top:50.000%;width:50.000%;height:25.000%');
  });
});
