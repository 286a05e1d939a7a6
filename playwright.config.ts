/**
 * Browser tests run against the production build served by `npm start` on a loopback port of
 * their own, in Debian's Chromium (never a downloaded browser), so they see exactly what readers get.
 */
import { defineConfig, devices } from '@playwright/test';

/** Overridable so two runs in one working tree never share (and kill) each other's server. */
const PORT = Number(process.env.E2E_PORT ?? 4329);
/** The build under test; set E2E_DIST to test a private copy while others rebuild dist/. */
const DIST = process.env.E2E_DIST ?? 'dist';
export const CHROMIUM_FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
  '--no-first-run',
];

export default defineConfig({
  testDir: 'tests/e2e',
  forbidOnly: !!process.env.CI,
  retries: 0,
  workers: process.env.CI ? 2 : 4,
  timeout: 60_000,
  reporter: process.env.CI ? [['list'], ['html', { open: 'never' }]] : 'list',
  // Overridable so parallel runs in one working tree do not delete each other's artifacts.
  outputDir: process.env.E2E_OUTPUT ?? 'test-results',
  use: {
    baseURL: `http://127.0.0.1:${PORT}`,
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
  },
  projects: [
    {
      name: 'chromium',
      use: {
        ...devices['Desktop Chrome'],
        channel: undefined,
        launchOptions: { executablePath: '/usr/bin/chromium', args: CHROMIUM_FLAGS },
      },
    },
  ],
  webServer: {
    // start.ts rebuilds only when the build is older than data/ or src/, then serves on loopback.
    command: `node scripts/start.ts --port ${PORT} --dist ${DIST}`,
    url: `http://127.0.0.1:${PORT}/`,
    reuseExistingServer: !process.env.CI,
    timeout: 300_000,
    stdout: 'ignore',
    stderr: 'pipe',
  },
});
