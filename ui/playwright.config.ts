import { defineConfig, devices } from '@playwright/test';

// The UI in Debian's Chromium at two phone sizes, over a mocked backend (ui/harness.html).
// No browser download: PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 and Debian's binary.
const launchOptions = {
  executablePath: '/usr/lib/chromium/chromium',
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
  ],
};

// The camera tests get a real getUserMedia stream from Chromium's fake device (a moving test
// pattern), or no device at all; the fake UI flag answers the permission prompt.
const fakeCamera = {
  ...launchOptions,
  args: [...launchOptions.args, '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream'],
};
const noCamera = { ...launchOptions, args: [...launchOptions.args, '--use-fake-ui-for-media-stream'] };
const cameraSpec = /camera\.spec\.ts/;

export default defineConfig({
  testDir: './playwright',
  outputDir: '../target/playwright/results',
  fullyParallel: false,
  // Two workers, one per core of the CI machine: the suite's pages are independent (each test
  // loads its own harness page over its own mocked backend); 3.7 min against 4.4 with one.
  workers: 2,
  forbidOnly: !!process.env.CI,
  retries: 0,
  reporter: [['list']],
  use: { baseURL: 'http://127.0.0.1:1421', trace: 'off' },
  // The harness pages are built once (a development build: Svelte's dev-time checks stay on) and
  // served by `vite preview`: each test's page then loads a few bundles instead of the dev server's
  // hundreds of on-demand modules, which made most of the suite's time. WARDCAM_PW_DEV_SERVER=1 uses
  // the dev server instead (no build step, for a quick look while editing).
  webServer: process.env.WARDCAM_PW_DEV_SERVER
    ? {
        command: 'npx vite --config ui/vite.config.ts --port 1421 --strictPort',
        cwd: '..',
        url: 'http://127.0.0.1:1421/harness.html',
        reuseExistingServer: false,
        timeout: 60_000,
      }
    : {
        command:
          'npx vite build --config ui/vite.config.ts --mode development --logLevel warn && ' +
          'npx vite preview --config ui/vite.config.ts --host 127.0.0.1 --port 1421 --strictPort',
        cwd: '..',
        env: { WARDCAM_HARNESS: '1', NODE_ENV: 'development' },
        url: 'http://127.0.0.1:1421/harness.html',
        reuseExistingServer: false,
        // The build first: some 10 s, longer on a busy machine.
        timeout: 120_000,
      },
  projects: [
    {
      name: 'pixel-7',
      testIgnore: cameraSpec,
      use: { ...devices['Pixel 7'], browserName: 'chromium', launchOptions },
    },
    {
      name: 'iphone-14',
      use: {
        ...devices['iPhone 14'],
        browserName: 'chromium',
        defaultBrowserType: 'chromium',
        launchOptions,
      },
      // The field attributes and copy blocking (privacy.spec) do not depend on the screen's size:
      // checked once, at the Pixel 7's.
      testIgnore: [cameraSpec, /privacy\.spec\.ts$/],
    },
    {
      // Desktop camera (the WebView's getUserMedia) with Chromium's fake device.
      name: 'camera-fake',
      testMatch: cameraSpec,
      grep: /@live/,
      use: { ...devices['Desktop Chrome'], browserName: 'chromium', launchOptions: fakeCamera },
    },
    {
      // The same with no camera at all (assumes the test machine has none, as CI machines do).
      name: 'camera-none',
      testMatch: cameraSpec,
      grep: /@none/,
      use: { ...devices['Desktop Chrome'], browserName: 'chromium', launchOptions: noCamera },
    },
  ],
});
