// Reports user activity to the backend without calling it on every tap.

/** Returns a function that runs `fn` at most once per `intervalMs` (the first call runs at once). */
export function throttle(fn: () => void, intervalMs: number, now: () => number = Date.now) {
  let last = Number.NEGATIVE_INFINITY;
  return () => {
    const t = now();
    if (t - last >= intervalMs) {
      last = t;
      fn();
    }
  };
}
