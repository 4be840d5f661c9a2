import { defineConfig } from 'vitest/config';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('.', import.meta.url));
// WARDCAM_HARNESS=1: Playwright's mocked-backend pages (harness.html, camera-harness.html) are built
// and previewed instead of the app, into target/playwright/harness (never ui/dist, never shipped).
// One bundle per page loads far faster than the dev server's hundreds of modules per test.
const harness = !!process.env.WARDCAM_HARNESS;

// The UI lives in ui/; Tauri serves ui/dist in builds and http://localhost:1420 in `tauri dev`.
export default defineConfig({
  root,
  plugins: [svelte()],
  clearScreen: false,
  server: { port: 1420, strictPort: true, host: '127.0.0.1' },
  build: {
    outDir: harness ? `${root}/../target/playwright/harness` : `${root}/dist`,
    emptyOutDir: true,
    target: 'safari15',
    // No source maps in the bundle: the app ships only what it runs.
    sourcemap: false,
    ...(harness
      ? { minify: false, rollupOptions: { input: [`${root}/harness.html`, `${root}/camera-harness.html`] } }
      : {}),
  },
  // Svelte's browser build under Vitest, so components mount in jsdom.
  ...(process.env.VITEST ? { resolve: { conditions: ['browser'] } } : {}),
  test: {
    root,
    include: ['src/**/*.test.ts'],
    environment: 'jsdom',
  },
});
