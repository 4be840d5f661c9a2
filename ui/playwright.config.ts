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

export default defineConfig({
  testDir: './playwright',
  outputDir: '../target/playwright/results',
  fullyParallel: false,
  workers: 1,
  forbidOnly: !!process.env.CI,
  retries: 0,
  reporter: [['list']],
  use: { baseURL: 'http://127.0.0.1:1421', trace: 'off' },
  webServer: {
    command: 'npx vite --config ui/vite.config.ts --port 1421 --strictPort',
    cwd: '..',
    url: 'http://127.0.0.1:1421/harness.html',
    reuseExistingServer: false,
    timeout: 60_000,
  },
  projects: [
    {
      name: 'pixel-7',
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
    },
  ],
});
