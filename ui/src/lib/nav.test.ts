import { describe, expect, it } from 'vitest';
import { durationText, lockReasonText, navItems, nextScreen } from './nav';
import { view } from './testing/views';

describe('navItems', () => {
  it('lists exactly the reachable screens, in a fixed order', () => {
    const items = navItems(view({ screens: ['device', 'patient', 'outbox'] }));
    expect(items.map((i) => i.screen)).toEqual(['patient', 'outbox', 'device']);
    expect(items.map((i) => i.label)).toEqual(['Patient', 'Outbox', 'Device']);
  });

  it('offers no navigation at all while the phone is with the patient (kiosk)', () => {
    expect(navItems(view({ state: 'patient_confirmed', screens: ['consent'], home: 'consent', kiosk: true }))).toEqual([]);
    expect(navItems(view({ state: 'patient_confirmed', screens: ['consent'], home: 'consent' }))).toHaveLength(1);
  });

  it('offers nothing while locked or before the first view', () => {
    expect(navItems(null)).toEqual([]);
    expect(navItems(view({ state: 'locked', screens: ['lock'], home: 'lock' }))).toEqual([]);
  });

  it('never offers Capture unless core lists it', () => {
    const confirmed = view({ state: 'patient_confirmed', screens: ['patient', 'consent', 'outbox', 'device'] });
    expect(navItems(confirmed).some((i) => i.screen === 'capture')).toBe(false);
  });
});

describe('nextScreen', () => {
  it('goes to the home screen when the state changes', () => {
    const before = view({});
    const after = view({ state: 'patient_confirmed', home: 'consent', screens: ['patient', 'consent', 'outbox', 'device'] });
    expect(nextScreen('patient', before, after)).toBe('consent');
  });

  it('stays put when the state is unchanged and the screen still reachable', () => {
    expect(nextScreen('device', view({}), view({}))).toBe('device');
  });

  it('goes on to the home screen when the phone is handed back in the same state', () => {
    const consented = { state: 'consented' as const, consented_purposes: ['care' as const] };
    const withPatient = view({ ...consented, kiosk: true, screens: ['consent'], home: 'consent' });
    const handedBack = view({ ...consented, screens: ['patient', 'consent', 'capture', 'outbox', 'device'], home: 'capture' });
    expect(nextScreen('consent', withPatient, handedBack)).toBe('capture');
  });

  it('leaves a screen that is no longer reachable', () => {
    const locked = view({ state: 'locked', screens: ['lock'], home: 'lock' });
    expect(nextScreen('device', view({}), locked)).toBe('lock');
    expect(nextScreen('capture', view({}), view({}))).toBe('patient');
  });
});

describe('lock reason and durations', () => {
  it('says why the app is locked', () => {
    expect(lockReasonText('idle', 120000)).toBe('Locked after 2 minutes without use.');
    expect(lockReasonText('idle', 3000)).toBe('Locked after 3 seconds without use.');
    expect(lockReasonText('background', 120000)).toMatch(/left the screen/);
    expect(lockReasonText('start', 120000)).toBe('Unlock to start.');
  });

  it('formats durations', () => {
    expect(durationText(60000)).toBe('1 minute');
    expect(durationText(1000)).toBe('1 second');
  });
});
