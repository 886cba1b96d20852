// Runs probe.c on the host CPU: builds it with gcc and returns the RCPPS/RSQRTPS results of a
// range of single-precision inputs. Used by gen-table.ts (which derives core/simd/rcp-table.ts)
// and check.ts (which compares core/simd/rcp.ts with the host). Needs an x86-64 host and gcc.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = fileURLToPath(new URL('.', import.meta.url));

export type Approx = 'rcp' | 'rsqrt';

export class HostProbe {
  private readonly exe: string;

  constructor() {
    this.exe = join(mkdtempSync(join(tmpdir(), 'rcp-probe-')), 'probe');
    execFileSync('gcc', ['-O2', '-Wall', '-o', this.exe, join(HERE, 'probe.c')]);
  }

  /** The host's results for the inputs first, first+1, ... (count a multiple of 4, at most 2^26). */
  run(op: Approx, first: number, count: number, mxcsr = 0x1f80): Uint32Array {
    const out = execFileSync(this.exe, [op, first.toString(16), String(count), mxcsr.toString(16)], { maxBuffer: 4 * count + 1024 });
    if (out.length !== 4 * count) throw new Error(`probe ${op} ${first.toString(16)}: ${out.length} bytes for ${count} inputs`);
    return new Uint32Array(out.buffer.slice(out.byteOffset, out.byteOffset + out.length));
  }
}

/** The host CPU as /proc/cpuinfo names it (vendor, model name, family, model, stepping, microcode). */
export function hostCpu(): string {
  const block = readFileSync('/proc/cpuinfo', 'utf8').split('\n\n')[0] ?? '';
  const field = (name: string): string => new RegExp(`^${name}\\s*:\\s*(.*)$`, 'm').exec(block)?.[1]?.trim() ?? '?';
  const family = Number(field('cpu family'));
  return `${field('vendor_id')} ${field('model name')}, family ${family} (${family.toString(16).toUpperCase()}h), model ${field('model')}, stepping ${field('stepping')}, microcode ${field('microcode')}`;
}
