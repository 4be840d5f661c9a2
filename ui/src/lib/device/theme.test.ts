import { describe, expect, it } from 'vitest';
import { applyTheme, nextTheme, storedTheme } from './theme';

describe('theme', () => {
  it('cycles system, light, dark', () => {
    expect(nextTheme('system')).toBe('light');
    expect(nextTheme('light')).toBe('dark');
    expect(nextTheme('dark')).toBe('system');
  });

  it('ignores unknown stored values', () => {
    expect(storedTheme({ getItem: () => 'purple' })).toBe('system');
    expect(storedTheme({ getItem: () => 'dark' })).toBe('dark');
  });

  it('sets or clears data-theme', () => {
    const el = document.createElement('html');
    applyTheme('dark', el);
    expect(el.dataset.theme).toBe('dark');
    applyTheme('system', el);
    expect(el.dataset.theme).toBeUndefined();
  });
});
