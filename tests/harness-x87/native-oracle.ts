// Builds a native oracle of tests/harness-x87/native/ (gcc, on the CPU the fixtures come from)
// and runs it on lines of input: the measurement scripts beside this file share it.
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const NATIVE = new URL('native/', import.meta.url).pathname;

/** Compiles native/<name>.c into a temporary directory and returns a runner for it. */
export function nativeOracle(name: string): (input: string, args?: string[]) => string[] {
  const exe = join(mkdtempSync(join(tmpdir(), `${name}-`)), name);
  execFileSync('gcc', ['-O1', '-o', exe, join(NATIVE, `${name}.c`)]);
  return (input, args = []) =>
    execFileSync(exe, args, { input, maxBuffer: 1 << 28 })
      .toString()
      .trim()
      .split('\n');
}
