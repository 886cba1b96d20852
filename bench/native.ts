// The native baseline: guests/bench/workloads.asm assembled for Linux i386 and linked with
// bench/native/driver.c and the float workloads' objects (guests/bench/float-objects.sh, the
// same objects the guest links), built into a temporary directory and run on the host CPU. Also
// rebuilds the guest there, to tell whether the committed bench/guests/bench.elf is stale.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { EngineResult } from './result.ts';

const run = promisify(execFile);

export const REPO = fileURLToPath(new URL('..', import.meta.url));
export const GUEST_ELF = join(REPO, 'bench/guests/bench.elf');

async function tool(cmd: string, args: string[], what: string, install: string): Promise<string | undefined> {
  try {
    await run(cmd, args, { cwd: REPO });
    return undefined;
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { stderr?: string };
    const why = err.code === 'ENOENT' ? `${cmd} not found` : (err.stderr || err.message).trim();
    return `${what} failed: ${why}\n  (install with: ${install})`;
  }
}

export interface NativeOptions {
  runs: number;
}

/** Builds and runs the native driver; `staleGuest` says whether the committed ELF differs from a fresh build. */
export async function runNative(o: NativeOptions): Promise<{ result: EngineResult; staleGuest?: boolean }> {
  const dir = await mkdtemp(join(tmpdir(), 'wasmkvm-bench-'));
  const fail = (error: string): { result: EngineResult } => ({
    result: { engine: 'native', ok: false, error, workloads: [] },
  });
  try {
    const obj = join(dir, 'workloads.o');
    const exe = join(dir, 'driver');
    const asm = await tool(
      'nasm',
      ['-f', 'elf32', '-Werror', '-I', 'guests/lib/', '-o', obj, 'guests/bench/workloads.asm'],
      'nasm',
      'apt-get install -y nasm',
    );
    if (asm) return fail(asm);
    const floats = await tool(
      'bash',
      ['guests/bench/float-objects.sh', dir],
      'guests/bench/float-objects.sh',
      'apt-get install -y gcc-multilib',
    );
    if (floats) return fail(floats);
    const cc = await tool(
      'gcc',
      [
        '-m32',
        '-O2',
        '-no-pie',
        '-Wall',
        '-Wextra',
        '-Werror',
        '-z',
        'noexecstack',
        '-o',
        exe,
        'bench/native/driver.c',
        obj,
        join(dir, 'float-sse2.o'),
        join(dir, 'float-x87.o'),
      ],
      'gcc -m32',
      'apt-get install -y gcc-multilib',
    );
    if (cc) return fail(cc);

    // The same build as guests/bench/build.sh, into the temporary directory.
    let staleGuest: boolean | undefined;
    const fresh = join(dir, 'bench.elf');
    if (
      !(await tool(
        'bash',
        ['guests/bench/build.sh', fresh],
        'guests/bench/build.sh',
        'apt-get install -y nasm binutils',
      ))
    ) {
      const [a, b] = await Promise.all([readFile(fresh), readFile(GUEST_ELF).catch(() => Buffer.alloc(0))]);
      staleGuest = !a.equals(b);
    }

    const { stdout } = await run(exe, [String(o.runs)], { maxBuffer: 1 << 20 }).catch(
      (e: { stdout?: string; stderr?: string; message: string }) => {
        throw new Error(`native driver failed: ${(e.stderr || e.message).trim()}`);
      },
    );
    const workloads = stdout
      .trim()
      .split('\n')
      .map((line) => {
        const [name, kind, checksum, ...ns] = line.trim().split(/\s+/);
        return { name, kind, checksum, samplesMs: ns.map((x) => Number(x) / 1e6) };
      });
    return { result: { engine: 'native', ok: true, workloads }, staleGuest };
  } catch (e) {
    return fail((e as Error).message);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
