// The peer of bench/linux-boot.ts: the same i386 Debian kernel, initramfs and command line
// booted in v86 (npm package `v86`, 32-bit only) in this Node process, timed with the same
// marks: kernel start (the first "Linux version" line on COM1) and busybox's shell prompt.
//
// v86 loads a bzImage itself (its `bzimage`, `initrd` and `cmdline` options) after SeaBIOS
// has run; the npm package ships no BIOS, so it uses Debian's (bench/v86.ts SEABIOS).
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { V86 } from 'v86';
import { KERNEL_BANNER, SHELL_PROMPT, type BootTimes, type LinuxImage } from '../tests/lib/linux-guest.ts';
import { SEABIOS, SEAVGABIOS } from './v86.ts';

const arrayBuffer = (b: Buffer): ArrayBuffer => b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;

/** Boots `image` in v86 to the shell prompt; seconds since the emulator was created. */
export async function bootV86(image: LinuxImage, o: { memMiB: number; append: string; timeoutMs: number }): Promise<BootTimes> {
  const wasmPath = join(dirname(createRequire(import.meta.url).resolve('v86')), 'v86.wasm');
  const [bios, vgaBios, kernel, initrd] = await Promise.all([SEABIOS, SEAVGABIOS, image.kernel, image.initrd].map((p) => readFile(p)));
  const t0 = performance.now();
  const emulator = new V86({
    wasm_path: wasmPath,
    bios: { buffer: arrayBuffer(bios) },
    vga_bios: { buffer: arrayBuffer(vgaBios) },
    bzimage: { buffer: arrayBuffer(kernel) },
    initrd: { buffer: arrayBuffer(initrd) },
    cmdline: o.append,
    memory_size: o.memMiB << 20,
    autostart: true,
    disable_speaker: true,
    disable_keyboard: true,
    disable_mouse: true,
  });
  const times: BootTimes = { kernelStartS: NaN, promptS: NaN };
  let output = '';
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`v86: no shell prompt after ${o.timeoutMs / 1000} s; console ends:\n${output.slice(-2000)}`)), o.timeoutMs);
      emulator.add_listener('serial0-output-byte', (b: number) => {
        output += String.fromCharCode(b);
        const now = (performance.now() - t0) / 1000;
        if (Number.isNaN(times.kernelStartS) && output.includes(KERNEL_BANNER)) times.kernelStartS = now;
        if (output.endsWith(SHELL_PROMPT)) {
          times.promptS = now;
          clearTimeout(timer);
          resolve();
        }
      });
    });
  } finally {
    await emulator.stop();
    emulator.destroy();
  }
  return times;
}
