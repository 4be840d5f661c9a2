import { describe, expect, it } from 'vitest';
import { PasscodeStore, blockedReason, lockScreenLine, passcodeSettingsPath } from './passcode.svelte';
import { KNOWN_ERRORS } from '../errors/knownErrors';
import { WardcamError } from '../ipc';
import type { PasscodeDecision, PasscodeStatus } from '../types';

function status(decision: PasscodeDecision, over: Partial<PasscodeStatus['report']> = {}): PasscodeStatus {
  return {
    report: { platform: 'android', lock_screen: 'unknown', complexity: null, development_platform: false, ...over },
    decision,
    allowed: decision === 'secure' || decision === 'development_platform',
    required: 'low',
  };
}

describe('PasscodeStore', () => {
  it('is closed until core has answered, then follows its verdict', async () => {
    const store = new PasscodeStore();
    expect(store.gate).toBe('checking');
    await store.check(async () => status('no_passcode', { lock_screen: 'insecure' }));
    expect(store.gate).toBe('blocked');
    await store.check(async () => status('secure', { lock_screen: 'secure', complexity: 'medium' }));
    expect(store.gate).toBe('allowed');
  });

  it("takes core's allowed flag, not its own reading of the decision", async () => {
    const store = new PasscodeStore();
    await store.check(async () => ({ ...status('secure'), allowed: false }));
    expect(store.gate).toBe('blocked');
  });

  it('fails closed when the check fails, and opens once it succeeds', async () => {
    const store = new PasscodeStore();
    await store.check(async () => status('development_platform', { platform: 'desktop', development_platform: true }));
    expect(store.gate).toBe('allowed');
    await store.check(async () => {
      throw { code: 'app.unexpected', message: 'boom' };
    });
    expect(store.gate).toBe('blocked');
    expect(store.error?.code).toBe('app.unexpected');
    expect(blockedReason(store.status, store.error)).toMatch(/could not check.*boom/);
    await store.check(async () => status('secure', { lock_screen: 'secure' }));
    expect(store.gate).toBe('allowed');
    expect(store.error).toBeNull();
  });

  it('drops an answer overtaken by a newer check', async () => {
    const store = new PasscodeStore();
    let answerFirst: (s: PasscodeStatus) => void = () => undefined;
    const first = store.check(() => new Promise((resolve) => (answerFirst = resolve)));
    await store.check(async () => status('no_passcode', { lock_screen: 'insecure' }));
    answerFirst(status('secure', { lock_screen: 'secure' }));
    await first;
    expect(store.gate).toBe('blocked');
  });
});

describe('passcode wording', () => {
  it('says where each phone sets its passcode', () => {
    expect(passcodeSettingsPath('android')).toBe('Settings > Security > Screen lock');
    expect(passcodeSettingsPath('ios')).toMatch(/^Settings > Face ID & Passcode/);
    expect(passcodeSettingsPath(null)).toMatch(/Android.*iPhone/);
  });

  it('explains every blocking decision', () => {
    for (const d of ['no_passcode', 'unknown', 'too_simple', 'complexity_unknown'] as const) {
      expect(blockedReason(status(d), null).length).toBeGreaterThan(20);
    }
    expect(blockedReason(status('unknown'), null)).toMatch(/could not confirm/);
  });

  it('tells the Device screen that the desktop build is a development platform', () => {
    expect(lockScreenLine(status('development_platform', { platform: 'desktop', development_platform: true }))).toBe(
      'Unknown: development platform (allowed on this build only)',
    );
    expect(lockScreenLine(status('secure', { lock_screen: 'secure', complexity: 'high' }))).toBe(
      'Passcode set (high strength)',
    );
    expect(lockScreenLine(null)).toBe('Checking…');
  });

  it("has advice for core's refusal", () => {
    expect(KNOWN_ERRORS['session.passcode_required']).toMatch(/Settings/);
    expect(new WardcamError('session.passcode_required', 'x').code).toBe('session.passcode_required');
  });
});
