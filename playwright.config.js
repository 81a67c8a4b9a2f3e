/// <reference types="node" />
// Page tests: the real pages in Debian's headless Chromium (no browser download), against
// the development tree and against the dist/ build served under a sub-path.
import { defineConfig } from '@playwright/test';

// Ports may be moved (LAB_TEST_PORT, LAB_TEST_PORT + 1) so that two checkouts can run their
// page tests at once.
const DEV_PORT = Number(process.env.LAB_TEST_PORT || 8090);
const DIST_PORT = DEV_PORT + 1;

export default defineConfig({
  testDir: 'tests/e2e',
  outputDir: 'test-results',
  timeout: 60_000,
  expect: { timeout: 15_000 },
  fullyParallel: false,
  workers: 2,
  retries: 0,
  reporter: [['list']],
  use: {
    viewport: { width: 1280, height: 720 },
    screenshot: 'on',
    launchOptions: {
      executablePath: '/usr/bin/chromium',
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    },
  },
  projects: [
    { name: 'dev', use: { baseURL: `http://127.0.0.1:${DEV_PORT}/` } },
    { name: 'dist', use: { baseURL: `http://127.0.0.1:${DIST_PORT}/courses/lab/` } },
  ],
  webServer: [
    {
      command: `node scripts/serve.mjs --root . --port ${DEV_PORT}`,
      url: `http://127.0.0.1:${DEV_PORT}/index.html`,
      reuseExistingServer: false,
    },
    {
      command: `node scripts/serve.mjs --root dist --port ${DIST_PORT} --prefix /courses/lab/`,
      url: `http://127.0.0.1:${DIST_PORT}/courses/lab/index.html`,
      reuseExistingServer: false,
    },
  ],
});
