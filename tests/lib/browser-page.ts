// The demo page under test, for the browser end-to-end tests (tests/browser/): the Vite dev
// server with the repo's config, Debian's chromium through playwright-core (never a
// downloaded browser), and what the tests read from and type into the page.
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { createServer, type ViteDevServer } from 'vite';

export const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
/** Screenshots for a human to look at; .cache/ is ignored by git and eslint. */
export const shots = resolve(repo, '.cache/browser');

/** The page polls; the machine may be busy (2 cores shared with the vCPU worker and chromium). */
export const POLL = { timeout: 10_000 };

export interface PageServer {
  url: string;
  browser: Browser;
  close(): Promise<void>;
}

/** Starts Vite on a free port and chromium; `close()` stops both. */
export async function startPageServer(): Promise<PageServer> {
  const server: ViteDevServer = await createServer({
    configFile: resolve(repo, 'vite.config.ts'),
    root: resolve(repo, 'web'),
    // No HMR: an edit elsewhere in the repo must not reload the page under test.
    server: { host: '127.0.0.1', port: 0, strictPort: false, hmr: false },
    logLevel: 'warn',
    clearScreen: false,
  });
  await server.listen();
  const address = server.httpServer?.address();
  if (!address || typeof address === 'string') throw new Error('vite did not listen on a TCP port');
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  mkdirSync(shots, { recursive: true });
  return {
    url: `http://127.0.0.1:${address.port}/`,
    browser,
    close: async () => {
      await browser.close();
      await server.close();
    },
  };
}

export async function openPage(s: PageServer): Promise<Page> {
  const page = await s.browser.newPage({ viewport: { width: 1200, height: 720 } });
  page.on('pageerror', (e) => console.error(`page error: ${e.message}`));
  await page.goto(s.url);
  return page;
}

export const statusOf = (page: Page) => page.getByTestId('status');
export const statusText = (page: Page) => () => statusOf(page).textContent();
export const consoleText = (page: Page) => page.evaluate(() => window.__wasmkvm?.consoleText() ?? '');
/** A counter's raw value (data-value), 0 while it shows none. */
export const counter = (page: Page, testId: string) => async () =>
  Number((await page.getByTestId(testId).getAttribute('data-value')) ?? 0);
export const upload = (page: Page, name: string, data: Uint8Array) =>
  page
    .getByTestId('kernel-file')
    .setInputFiles({ name, mimeType: 'application/octet-stream', buffer: Buffer.from(data) });

/**
 * Waits until the console shows `text` (after the first `from` characters); fails at once
 * with the status line if the run ends.
 */
export async function waitForOutput(page: Page, text: string, timeout = 30_000, from = 0): Promise<void> {
  await page
    .waitForFunction(
      ([t, f]) =>
        (window.__wasmkvm?.consoleText() ?? '').indexOf(t, f) >= 0 ||
        ['error', 'exited'].includes(document.getElementById('status')?.dataset.state ?? ''),
      [text, from] as const,
      { timeout, polling: 100 },
    )
    .catch(() => {}); // timed out: say what the page shows instead
  const out = await consoleText(page);
  if (out.indexOf(text, from) < 0)
    throw new Error(
      `guest never printed ${JSON.stringify(text)}; status: ${await statusText(page)()}\nconsole:\n${JSON.stringify(out.slice(-3000))}`,
    );
}

export async function typeLine(page: Page, line: string): Promise<void> {
  await page.locator('.xterm-helper-textarea').focus();
  await page.keyboard.type(line);
  await page.keyboard.press('Enter');
}
