import { describe, expect, it } from 'vitest';
import { purposesText } from './purposes';

describe('purposesText', () => {
  it('names each recorded purpose in plain English', () => {
    expect(purposesText(['care'])).toBe('their own care');
    expect(purposesText(['care', 'teaching'])).toBe('their own care and teaching');
    expect(purposesText(['care', 'second_opinion', 'publication'])).toBe(
      'their own care, a second opinion and publication',
    );
  });

  it('never claims consent that is not there', () => {
    expect(purposesText([])).toBe('nothing');
  });
});
