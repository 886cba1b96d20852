// Issue 5's browser test: the page lists the Debian amd64 image `npm run guest:linux` built
// (guests/linux/vite-plugin.ts), boots it in the vCPU worker, and a command typed into the
// xterm console answers; `poweroff -f` ends the run through ACPI S5.
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KERNEL_BANNER, linuxImage, SHELL_PROMPT } from '../lib/linux-guest.ts';
import {
  consoleText,
  openPage,
  POLL,
  shots,
  startPageServer,
  statusText,
  typeLine,
  waitForOutput,
  type PageServer,
} from '../lib/browser-page.ts';

/** Kernel start to prompt takes minutes (tests/boot/linux.test.ts); the page adds chromium to the load. */
const BOOT_TIMEOUT_MS = 20 * 60_000;

let server: PageServer;

beforeAll(async () => {
  server = await startPageServer();
}, 60_000);

afterAll(async () => {
  await server?.close();
});

describe('Debian amd64 in the page', () => {
  it(
    'boots from the picker to the busybox shell, answers uname -m typed into the console, and powers off',
    async () => {
      const image = linuxImage('amd64');
      if (typeof image === 'string') throw new Error(image);
      const page = await openPage(server);
      try {
        const picker = page.getByTestId('guest-picker');
        // The page adds the built images once it has fetched guest-images/index.json.
        const debian = async () =>
          (await picker.locator('option').allTextContents()).find((t) => t.startsWith('Debian amd64'));
        await expect.poll(debian, POLL).toBeDefined();
        const t0 = performance.now();
        await picker.selectOption({ label: (await debian())! });
        await waitForOutput(page, KERNEL_BANNER, BOOT_TIMEOUT_MS);
        const kernelStart = performance.now();
        await waitForOutput(page, SHELL_PROMPT, BOOT_TIMEOUT_MS);
        const prompt = performance.now();
        await typeLine(page, 'dmesg -n 1'); // kernel messages off the console
        const from = (await consoleText(page)).length;
        await typeLine(page, 'uname -m');
        await waitForOutput(page, '\nx86_64\r\n', 60_000, from);
        await page.screenshot({ path: resolve(shots, 'linux-amd64-shell.png') });
        await typeLine(page, 'poweroff -f');
        await expect
          .poll(statusText(page), { timeout: 120_000 })
          .toMatch(/guest powered off \(KVM_SYSTEM_EVENT_SHUTDOWN\)$/);
        console.log(
          `amd64 in the page: kernel start ${((kernelStart - t0) / 1000).toFixed(1)} s after boot, ` +
            `kernel start to shell prompt ${((prompt - kernelStart) / 1000).toFixed(1)} s`,
        );
      } finally {
        await page.screenshot({ path: resolve(shots, 'linux-amd64-end.png') });
        await page.close();
      }
    },
    BOOT_TIMEOUT_MS * 2,
  );
});
