// Development-only entry for Playwright: mounts CameraView over a mocked backend whose
// `capture_photo` records what arrived (size, first bytes, headers; never the whole photo) on
// `window.__WARDCAM_CAPTURES__`. Never built or shipped: `vite build` builds index.html only.
import { mount } from 'svelte';
import { mockIPC } from '@tauri-apps/api/mocks';
import './app.css';
import CameraView from './components/CameraView.svelte';

/** One `capture_photo` call as the backend received it. */
export interface Captured {
  raw: boolean;
  length: number;
  head: number[];
  headers: Record<string, string> | null;
}

declare global {
  interface Window {
    __WARDCAM_CAPTURES__?: Captured[];
    __WARDCAM_CAMERA_FIXTURE__?: { purpose?: string; platform?: string };
  }
}

const captures: Captured[] = [];
window.__WARDCAM_CAPTURES__ = captures;
const fixture = window.__WARDCAM_CAMERA_FIXTURE__ ?? {};

mockIPC((cmd) => {
  if (cmd === 'capture_photo') return { stored: true };
  throw { code: 'app.unexpected', message: `camera harness: no answer for ${cmd}` };
});

// mockIPC drops invoke's options; wrap it to see the headers the UI sent with the body.
type Invoke = (cmd: string, args?: unknown, options?: { headers?: Record<string, string> }) => Promise<unknown>;
const internals = (window as unknown as { __TAURI_INTERNALS__: { invoke: Invoke } }).__TAURI_INTERNALS__;
const inner = internals.invoke;
internals.invoke = (cmd, args, options) => {
  if (cmd === 'capture_photo') {
    const raw = args instanceof Uint8Array;
    const bytes = raw ? (args as Uint8Array) : new Uint8Array();
    captures.push({ raw, length: bytes.length, head: Array.from(bytes.slice(0, 4)), headers: options?.headers ?? null });
  }
  return inner(cmd, args, options);
};

const target = document.getElementById('app');
if (!target) throw new Error('#app missing');
mount(CameraView, {
  target,
  props: {
    purpose: fixture.purpose ?? 'care',
    platform: fixture.platform ?? 'linux',
    ontorch: () => undefined,
    onflash: () => undefined,
  },
});
