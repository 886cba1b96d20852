// The demo page end to end: the Vite dev server with the repo's config, Debian's chromium
// through playwright-core (never a downloaded browser), the default guest's shell typed at
// through the terminal, and the error paths the page must survive.
import { resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  consoleText,
  counter,
  openPage as open,
  POLL,
  shots,
  startPageServer,
  statusOf,
  statusText,
  typeLine,
  upload,
  waitForOutput,
  type PageServer,
} from '../lib/browser-page.ts';
import { TINY_BANNER, TINY_EXIT_STATUS, tinyKernel, tripleFaultKernel } from './tiny-kernel.ts';

let server: PageServer;

beforeAll(async () => {
  server = await startPageServer();
}, 60_000);

afterAll(async () => {
  await server?.close();
});

const openPage = (): Promise<Page> => open(server);

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
    const page = await server.browser.newPage();
    try {
      // Serve everything without COOP/COEP.
      await page.route('**/*', async (route) => {
        const response = await route.fetch();
        const headers = { ...response.headers() };
        delete headers['cross-origin-opener-policy'];
        delete headers['cross-origin-embedder-policy'];
        await route.fulfill({ response, headers });
      });
      await page.goto(server.url);
      expect(await page.evaluate(() => crossOriginIsolated)).toBe(false);
      await expect.poll(statusText(page), POLL).toContain('Cross-Origin-Embedder-Policy');
      expect(await page.getByTestId('start').isDisabled()).toBe(true);
    } finally {
      await page.close();
    }
  });
});
