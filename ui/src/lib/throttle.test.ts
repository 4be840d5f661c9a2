import { describe, expect, it } from 'vitest';
import { throttle } from './throttle';

describe('throttle', () => {
  it('runs at once, then at most once per interval', () => {
    let t = 0;
    let calls = 0;
    const f = throttle(() => calls++, 5000, () => t);
    f();
    f();
    expect(calls).toBe(1);
    t = 4999;
    f();
    expect(calls).toBe(1);
    t = 5000;
    f();
    expect(calls).toBe(2);
  });
});
