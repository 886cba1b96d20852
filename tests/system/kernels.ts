// The system test kernels (tests/system/*.asm): building them with NASM and reading their
// COM1 output. Shared by the vitest test (wasmkvm) and cross-run.ts (QEMU TCG, Bochs).
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

export const SYSTEM_DIR = new URL('.', import.meta.url).pathname;
const INCLUDES = ['-I', join(SYSTEM_DIR, 'lib/'), '-I', join(SYSTEM_DIR, '../../guests/lib/')];

/** The kernels, by name: every tests/system/<name>.asm. */
export function kernelNames(): string[] {
  return readdirSync(SYSTEM_DIR)
    .filter((f) => f.endsWith('.asm'))
    .map((f) => f.slice(0, -'.asm'.length))
    .sort();
}

/** Assembles tests/system/<name>.asm (or lib/<name>.asm) into `outDir`; returns the path. */
export function buildKernel(name: string, outDir: string, source = join(SYSTEM_DIR, `${name}.asm`)): string {
  mkdirSync(outDir, { recursive: true });
  const out = join(outDir, `${name}.bin`);
  try {
    execFileSync('nasm', ['-f', 'bin', ...INCLUDES, '-o', out, source], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (e) {
    throw new Error(`nasm ${source}: ${(e as { stderr?: Buffer }).stderr?.toString() ?? String(e)}`, { cause: e });
  }
  return out;
}

export interface CheckResult {
  readonly name: string;
  readonly pass: boolean;
  /** The rest of a FAIL line: ": got 0x..., expected 0x...". */
  readonly detail: string;
}

export interface KernelOutput {
  readonly checks: CheckResult[];
  /** The SUMMARY line was printed: the kernel ran to its end. */
  readonly finished: boolean;
  /** FAIL lines that are not checks (an unexpected exception). */
  readonly errors: string[];
}

/** Parses "PASS: name", "FAIL: name: got ..., expected ..." and "SUMMARY: ..." lines. */
export function parseOutput(text: string): KernelOutput {
  const checks: CheckResult[] = [];
  const errors: string[] = [];
  let finished = false;
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\r$/, '');
    if (line.startsWith('PASS: ')) checks.push({ name: line.slice(6), pass: true, detail: '' });
    else if (line.startsWith('FAIL: unexpected exception')) errors.push(line.slice(6));
    else if (line.startsWith('FAIL: ')) {
      const rest = line.slice(6);
      const at = rest.lastIndexOf(': got ');
      checks.push({ name: at < 0 ? rest : rest.slice(0, at), pass: false, detail: at < 0 ? '' : rest.slice(at + 2) });
    } else if (line.startsWith('SUMMARY: ')) finished = true;
  }
  return { checks, finished, errors };
}
