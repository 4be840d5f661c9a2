// Development-only entry for Playwright: installs a mocked backend from `@tauri-apps/api/mocks`
// answering with the fixture the test put on `window.__WARDCAM_FIXTURE__`, then starts the real UI.
// It holds no clinical rules: each test states the exact view core would return.
import { mockIPC } from '@tauri-apps/api/mocks';
import type { DeviceInfo, ErrorPayload, PatientSummary, SessionView } from './lib/types';

export interface Fixture {
  view: SessionView;
  patient: PatientSummary | null;
  device: DeviceInfo;
  /** Commands that reject, with the error the backend would return. */
  errors?: Record<string, ErrorPayload>;
}

declare global {
  interface Window {
    __WARDCAM_FIXTURE__?: Fixture;
  }
}

const fixture = window.__WARDCAM_FIXTURE__;
if (!fixture) throw new Error('harness: no __WARDCAM_FIXTURE__ set');

mockIPC(
  (cmd) => {
    const error = fixture.errors?.[cmd];
    if (error) throw error;
    switch (cmd) {
      case 'session_view':
        return fixture.view;
      case 'patient_current':
        return fixture.patient;
      case 'device_info':
        return fixture.device;
      case 'session_touch':
        return null;
      case 'patient_check_nhs_number':
        return { valid: false, formatted: null, error: { code: 'patient.wrong_length', message: 'An NHS number has 10 digits.' } };
      default:
        throw { code: 'app.unexpected', message: `harness: no answer for ${cmd}` };
    }
  },
  { shouldMockEvents: true },
);

await import('./main');
