import { defineConfig } from 'vitest/config';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('.', import.meta.url));

// The UI lives in ui/; Tauri serves ui/dist in builds and http://localhost:1420 in `tauri dev`.
export default defineConfig({
  root,
  plugins: [svelte()],
  clearScreen: false,
  server: { port: 1420, strictPort: true, host: '127.0.0.1' },
  build: {
    outDir: `${root}/dist`,
    emptyOutDir: true,
    target: 'safari15',
    // No source maps in the bundle: the app ships only what it runs.
    sourcemap: false,
  },
  // Svelte's browser build under Vitest, so components mount in jsdom.
  ...(process.env.VITEST ? { resolve: { conditions: ['browser'] } } : {}),
  test: {
    root,
    include: ['src/**/*.test.ts'],
    environment: 'jsdom',
  },
});
