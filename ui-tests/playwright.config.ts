import { defineConfig } from '@playwright/test';

/**
 * One shared stack (hub, endpoints, JupyterLab) started by global-setup.ts; specs run one at a time against it.
 * Screenshots are kept for every test, passed or failed, in test-results/.
 */
export default defineConfig({
  testDir: './tests',
  // FUNCX_UI_RESULTS: a separate folder, for running two sets of specs at once (each run empties its own).
  outputDir: process.env.FUNCX_UI_RESULTS ?? './test-results',
  globalSetup: './global-setup.ts',
  timeout: 120_000,
  expect: { timeout: 30_000 },
  workers: 1,
  fullyParallel: false,
  retries: 0,
  forbidOnly: !!process.env.CI,
  reporter: 'list',
  use: {
    browserName: 'chromium',
    headless: true,
    viewport: { width: 1400, height: 900 },
    video: 'off',
    trace: 'retain-on-failure',
    screenshot: 'on',
    launchOptions: {
      executablePath: '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-dev-shm-usage',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    },
  },
});
