// The peer: the same bench.elf in v86 (npm package `v86`), in this Node process.
//
// v86 boots multiboot kernels through a BIOS option ROM: its `multiboot` option makes the
// CPU model register port 0xf4, whose 32-bit read (from the ROM, which the BIOS runs)
// loads the ELF and enters it in the multiboot machine state; a write to 0xf4 is its
// kvm-unit-tests exit and throws "HALT" out of the main loop, which in Node is an
// uncaught exception. So the BIOS is needed (the npm package has none: Debian's SeaBIOS)
// and we replace that write handler with our own isa-debug-exit before the guest runs.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { V86 } from 'v86';
import { MarkerParser, type WorkloadTiming } from './markers.ts';

export const SEABIOS = '/usr/share/seabios/bios.bin';
export const SEAVGABIOS = '/usr/share/seabios/vgabios-stdvga.bin';

/** The part of v86's internals we touch: its port I/O table (src/io.js). */
interface V86Internals {
  v86: {
    cpu: {
      io: {
        register_write(
          port: number,
          device: object,
          w8: (v: number) => void,
          w16: (v: number) => void,
          w32: (v: number) => void,
        ): void;
      };
    };
  };
}

export interface V86RunResult {
  workloads: WorkloadTiming[];
  error?: string;
}

export function v86Missing(): string | undefined {
  const missing = [SEABIOS, SEAVGABIOS].filter((p) => !existsSync(p));
  if (missing.length === 0) return undefined;
  return `v86 needs a BIOS, and the npm package ships none: ${missing.join(', ')} missing\n  (install Debian's SeaBIOS with: apt-get install -y seabios)`;
}

export function v86Version(): string {
  const require = createRequire(import.meta.url);
  return (require('v86/package.json') as { version: string }).version;
}

function arrayBuffer(b: Buffer): ArrayBuffer {
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
}

export async function runV86(
  elf: Uint8Array,
  o: { memBytes: number; timeoutMs: number; onWorkload?: (w: WorkloadTiming) => void },
): Promise<V86RunResult> {
  const wasmPath = join(dirname(createRequire(import.meta.url).resolve('v86')), 'v86.wasm');
  const [bios, vgaBios] = await Promise.all([readFile(SEABIOS), readFile(SEAVGABIOS)]);
  const markers = new MarkerParser(undefined, undefined, o.onWorkload);
  const emulator = new V86({
    wasm_path: wasmPath,
    bios: { buffer: arrayBuffer(bios) },
    vga_bios: { buffer: arrayBuffer(vgaBios) },
    multiboot: { buffer: arrayBuffer(Buffer.from(elf)) },
    memory_size: o.memBytes,
    autostart: true,
    disable_speaker: true,
    disable_keyboard: true,
    disable_mouse: true,
  });
  return new Promise<V86RunResult>((resolve) => {
    let finished = false;
    const finish = (error?: string): void => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      void emulator.stop().then(() => emulator.destroy());
      resolve({ workloads: markers.workloads, error });
    };
    const timer = setTimeout(
      () =>
        finish(`timed out after ${o.timeoutMs / 1000} s${markers.running ? ` in ${markers.running}` : ''}`),
      o.timeoutMs,
    );
    emulator.add_listener('emulator-ready', () => {
      const exit = (v: number): void =>
        finish(
          !markers.done
            ? `guest wrote ${v} to isa-debug-exit before BENCH DONE${markers.running ? ` (in ${markers.running})` : ''}`
            : v !== 0
              ? `guest exited with value ${v}`
              : undefined,
        );
      (emulator as unknown as V86Internals).v86.cpu.io.register_write(0xf4, {}, exit, exit, exit);
    });
    emulator.add_listener('serial0-output-byte', (b: number) => markers.byte(b));
  });
}
