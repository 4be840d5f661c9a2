import { describe, expect, it } from 'vitest';
import { describeError, KNOWN_ERRORS, UNKNOWN_ERROR_ADVICE } from './knownErrors';
import { ERROR_CODES, isErrorCode } from './codes';
import { WardcamError } from '../ipc';

/** Verbs a sentence telling someone what to do can start with. A message's last sentence must
 * start with one (after an opening "If ...," or "On a computer,"), so every message ends by saying
 * what to do next rather than only what went wrong. */
const ACTIONS = new Set([
  'allow', 'ask', 'carry', 'check', 'choose', 'clear', 'close', 'confirm', 'correct', 'do', 'end', 'enter', 'give', 'hand',
  'identify', 'improve', 'leave', 'lower', 'make', 'open', 'please', 'provision', 'raise', 'record',
  'redraw', 'refresh', 'reinstall', 'report', 'rescan', 'restart', 'retake', 'review', 'say', 'scan',
  'send', 'set', 'shorten', 'show', 'stop', 'take', 'tell', 'tick', 'try', 'type', 'unlock', 'update', 'use',
  'wait', 'wipe', 'withdraw',
]);

function lastSentence(text: string): string {
  const sentences = text.trim().split(/(?<=[.!?])\s+(?=[A-Z])/);
  return sentences[sentences.length - 1] ?? '';
}

/** Whether `sentence` reads as an instruction: it starts with an action verb, or does so after
 * one opening clause ("If it fails again, type ...", "On a computer, use ..."). */
function instructs(sentence: string): boolean {
  const firstWord = (s: string) => (s.trim().match(/^[A-Za-z]+/)?.[0] ?? '').toLowerCase();
  if (ACTIONS.has(firstWord(sentence))) return true;
  const comma = sentence.indexOf(', ');
  return comma > 0 && ACTIONS.has(firstWord(sentence.slice(comma + 2)));
}

describe('describeError', () => {
  it('uses the known advice for a known code', () => {
    const text = describeError(new WardcamError('session.consent_required', 'backend text'));
    expect(text).toBe(KNOWN_ERRORS['session.consent_required']);
    expect(text).toMatch(/consent/i);
  });

  it("shows an unknown code's backend message with the code, so it is visible", () => {
    expect(describeError(new WardcamError('vault.future_code', 'Do this.'))).toBe(
      'Do this. (error code vault.future_code)',
    );
  });

  it('gives generic advice and the code when an unknown code comes with no message', () => {
    expect(describeError(new WardcamError('vault.future_code', '  '))).toBe(
      `${UNKNOWN_ERROR_ADVICE} (error code vault.future_code)`,
    );
  });
});

describe('KNOWN_ERRORS', () => {
  it('has advice for exactly the codes Rust sends', () => {
    // The type makes a missing code a compile error; this also catches extra keys at runtime.
    expect(Object.keys(KNOWN_ERRORS).sort()).toEqual([...ERROR_CODES].sort());
    expect(new Set(ERROR_CODES).size).toBe(ERROR_CODES.length);
    expect(isErrorCode('session.locked')).toBe(true);
    expect(isErrorCode('session.not_a_code')).toBe(false);
  });

  it.each(ERROR_CODES.map((code) => [code]))('%s: says what happened and what to do next', (code) => {
    const text = KNOWN_ERRORS[code];
    expect(code).toMatch(/^[a-z]+\.[a-z_]+$/);
    expect(text.trim().length).toBeGreaterThan(15);
    // Not the code itself, nor the code in words ("session locked").
    expect(text.toLowerCase()).not.toContain(code);
    expect(text.toLowerCase().replace(/[^a-z]+/g, ' ').trim()).not.toBe(code.replace(/[._]/g, ' '));
    expect(text.trim().endsWith('.')).toBe(true);
    expect(instructs(lastSentence(text)), `last sentence: "${lastSentence(text)}"`).toBe(true);
  });

  it('the instruction check rejects a message that only says what went wrong', () => {
    expect(instructs(lastSentence('The photo is too large.'))).toBe(false);
    expect(instructs(lastSentence('Nothing was wiped. It holds no patient data.'))).toBe(false);
    expect(instructs(lastSentence('The photo is too large. Lower the resolution.'))).toBe(true);
    expect(instructs(lastSentence('Rescan it. If it fails again, type the NHS number.'))).toBe(true);
  });
});
