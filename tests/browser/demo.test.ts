// The demo page end to end: the Vite dev server with the repo's config, Debian's chromium
// through playwright-core (never a downloaded browser), the default guest's shell typed at
// through the terminal, and the error paths the page must survive.
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { createServer, type ViteDevServer } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TINY_BANNER, TINY_EXIT_STATUS, tinyKernel, tripleFaultKernel } from './tiny-kernel.ts';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
/** Screenshots for a human to look at; .cache/ is ignored by git and eslint. */
const shots = resolve(repo, '.cache/browser');

/** The page polls; the machine may be busy (2 cores shared with the vCPU worker and chromium). */
const POLL = { timeout: 10_000 };

let server: ViteDevServer;
let browser: Browser;
let url: string;

beforeAll(async () => {
  server = await createServer({
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
  url = `http://127.0.0.1:${address.port}/`;
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  mkdirSync(shots, { recursive: true });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

async function openPage(): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1200, height: 720 } });
  page.on('pageerror', (e) => console.error(`page error: ${e.message}`));
  await page.goto(url);
  return page;
}

const statusOf = (page: Page) => page.getByTestId('status');
const statusText = (page: Page) => () => statusOf(page).textContent();
const consoleText = (page: Page) => page.evaluate(() => window.__wasmkvm?.consoleText() ?? '');
/** A counter's raw value (data-value), 0 while it shows none. */
const counter = (page: Page, testId: string) => async () =>
  Number((await page.getByTestId(testId).getAttribute('data-value')) ?? 0);
const upload = (page: Page, name: string, data: Uint8Array) =>
  page
    .getByTestId('kernel-file')
    .setInputFiles({ name, mimeType: 'application/octet-stream', buffer: Buffer.from(data) });

/** Waits until the console shows `text`; fails at once with the status line if the run ends. */
async function waitForOutput(page: Page, text: string, timeout = 30_000): Promise<void> {
  await page
    .waitForFunction(
      (t) =>
        (window.__wasmkvm?.consoleText() ?? '').includes(t) ||
        ['error', 'exited'].includes(document.getElementById('status')?.dataset.state ?? ''),
      text,
      { timeout },
    )
    .catch(() => {}); // timed out: say what the page shows instead
  const out = await consoleText(page);
  if (!out.includes(text))
    throw new Error(
      `guest never printed ${JSON.stringify(text)}; status: ${await statusText(page)()}\nconsole:\n${JSON.stringify(out)}`,
    );
}

async function typeLine(page: Page, line: string): Promise<void> {
  await page.locator('.xterm-helper-textarea').focus();
  await page.keyboard.type(line);
  await page.keyboard.press('Enter');
}

describe('demo page', () => {
  it('boots the demo shell, answers cpuid, counts exits, and reports the exit status', async () => {
    const page = await openPage();
    try {
      expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
      await waitForOutput(page, 'wasmkvm> ');
      await typeLine(page, 'cpuid');
      await waitForOutput(page, 'vendor: GenuineIntel');
      // The counters refresh four times a second.
      await expect.poll(counter(page, 'counter-instructions'), POLL).toBeGreaterThan(0);
      await expect.poll(counter(page, 'exit-IO'), POLL).toBeGreaterThan(0);
      await page.screenshot({ path: resolve(shots, 'demo-cpuid.png') });
      await typeLine(page, 'exit 3');
      await expect
        .poll(statusText(page), POLL)
        .toBe('demo shell: guest exited with status 7 (isa-debug-exit)');
    } finally {
      await page.screenshot({ path: resolve(shots, 'demo-end.png') });
      await page.close();
    }
  });

  it('boots a user-supplied kernel, echoes keys through COM1, and survives stop, resume, reset and exit', async () => {
    const page = await openPage();
    const banners = async () => (await consoleText(page)).split(TINY_BANNER).length - 1;
    try {
      await upload(page, 'tiny.elf', tinyKernel());
      await waitForOutput(page, TINY_BANNER);
      await typeLine(page, 'ab');
      await waitForOutput(page, `${TINY_BANNER}ab\r`);
      await expect.poll(counter(page, 'counter-instructions'), POLL).toBeGreaterThan(0);
      await expect.poll(counter(page, 'exit-IO'), POLL).toBeGreaterThan(0);

      await page.getByTestId('stop').click();
      await expect.poll(() => statusOf(page).getAttribute('data-state'), POLL).toBe('stopped');
      await page.getByTestId('start').click(); // labelled "Resume" now
      await expect.poll(statusText(page), POLL).toMatch(/^resumed tiny\.elf/);
      await typeLine(page, 'c');
      await waitForOutput(page, 'ab\rc\r');

      await page.getByTestId('reset').click();
      await expect.poll(banners, POLL).toBe(2);
      await typeLine(page, 'q');
      await expect
        .poll(statusText(page), POLL)
        .toBe(`tiny.elf: guest exited with status ${TINY_EXIT_STATUS} (isa-debug-exit)`);
      await page.screenshot({ path: resolve(shots, 'tiny-exited.png') });

      await page.getByTestId('start').click(); // a run that ended boots afresh
      await expect.poll(banners, POLL).toBe(3);
      expect(await statusOf(page).getAttribute('data-state')).toBe('running');
    } finally {
      await page.close();
    }
  });

  it('reports a file that is not a kernel and a triple fault in the status line, and boots again afterwards', async () => {
    const page = await openPage();
    try {
      await upload(page, 'not-a-kernel.bin', new TextEncoder().encode('hello, not an ELF'));
      await expect.poll(statusText(page), POLL).toMatch(/^cannot boot not-a-kernel\.bin: no multiboot/);
      expect(await statusOf(page).getAttribute('data-state')).toBe('error');
      await page.screenshot({ path: resolve(shots, 'bad-image.png') });

      await upload(page, 'triple.elf', tripleFaultKernel());
      await expect
        .poll(statusText(page), POLL)
        .toMatch(/^triple\.elf: triple fault \(KVM_EXIT_SHUTDOWN\): .*RIP/);
      expect(await statusOf(page).getAttribute('data-state')).toBe('error');
      await page.screenshot({ path: resolve(shots, 'triple-fault.png') });

      // The page survives: the demo guest boots again from the picker.
      await page.getByTestId('guest-picker').selectOption({ label: 'demo shell' });
      await expect.poll(statusText(page), POLL).toMatch(/^(running|booting) demo shell|^demo shell: /);
    } finally {
      await page.close();
    }
  });

  it('explains the missing cross-origin isolation instead of failing obscurely', async () => {
    const page = await browser.newPage();
    try {
      // Serve everything without COOP/COEP.
      await page.route('**/*', async (route) => {
        const response = await route.fetch();
        const headers = { ...response.headers() };
        delete headers['cross-origin-opener-policy'];
        delete headers['cross-origin-embedder-policy'];
        await route.fulfill({ response, headers });
      });
      await page.goto(url);
      expect(await page.evaluate(() => crossOriginIsolated)).toBe(false);
      await expect.poll(statusText(page), POLL).toContain('Cross-Origin-Embedder-Policy');
      expect(await page.getByTestId('start').isDisabled()).toBe(true);
    } finally {
      await page.close();
    }
  });
});
