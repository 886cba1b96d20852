// The float workloads' checksums on the host CPU: with the x87 precision control at double
// (guests/bench/float.c), the x87 and SSE2 builds of the same C round every operation alike,
// so they must agree for the same number of passes; and a run repeats its checksum.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO } from './native.ts';

const MAIN = String.raw`
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
uint32_t bench_matmul_sse2(uint32_t), bench_fft_sse2(uint32_t);
uint32_t bench_matmul_x87(uint32_t), bench_fft_x87(uint32_t);
int main(int argc, char **argv) {
    uint32_t reps = (uint32_t)atoi(argv[argc - 1]);
    printf("%08x %08x %08x %08x %08x\n", bench_matmul_sse2(reps), bench_matmul_x87(reps),
           bench_fft_sse2(reps), bench_fft_x87(reps), bench_fft_x87(reps));
    return 0;
}`;

describe.skipIf(!existsSync('/usr/bin/gcc'))('float workloads on the host CPU', () => {
  it('the x87 build (precision control double) returns the SSE2 build checksum', () => {
    const dir = mkdtempSync(join(tmpdir(), 'wasmkvm-float-'));
    try {
      execFileSync('bash', [join(REPO, 'guests/bench/float-objects.sh'), dir]);
      writeFileSync(join(dir, 'main.c'), MAIN);
      const exe = join(dir, 'float');
      execFileSync('gcc', [
        '-m32',
        '-O2',
        '-no-pie',
        '-o',
        exe,
        join(dir, 'main.c'),
        join(dir, 'float-sse2.o'),
        join(dir, 'float-x87.o'),
      ]);
      const [matSse, matX87, fftSse, fftX87, fftAgain] = execFileSync(exe, ['3'], { encoding: 'utf8' })
        .trim()
        .split(' ');
      expect(matX87).toBe(matSse);
      expect(fftX87).toBe(fftSse);
      expect(fftAgain).toBe(fftX87);
      expect(matSse).not.toBe(fftSse);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
