// The system test kernels (tests/system/*.asm, issue 3 "How it is proven") under wasmkvm, on
// the inline vCPU: each must print only PASS lines on COM1 and end through isa-debug-exit with
// value 0, status (0 << 1) | 1. tests/system/cross-run.ts runs the same kernels under QEMU TCG
// and Bochs, and through the wasmkvm command.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { inlineSpawner } from '../../core/kvm/inline.ts';
import { Machine } from '../../core/vmm/machine.ts';
import { buildKernel, kernelNames, parseOutput } from './kernels.ts';

const out = mkdtempSync(join(tmpdir(), 'wasmkvm-system-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

async function runKernel(path: string): Promise<{ result: unknown; serial: string }> {
  let serial = '';
  const decoder = new TextDecoder();
  const created = await Machine.create({
    kernel: { name: path, data: readFileSync(path) },
    memBytes: 64 * 1024 * 1024,
    platform: { spawnVcpu: inlineSpawner },
    onSerialOutput: (bytes) => (serial += decoder.decode(bytes, { stream: true })),
  });
  if (!created.ok) throw new Error(created.error);
  const result = await created.machine.run();
  await created.machine.destroy();
  return { result, serial };
}

describe('system test kernels under wasmkvm', () => {
  for (const name of kernelNames()) {
    it(name, async () => {
      const { result, serial } = await runKernel(buildKernel(name, out));
      const parsed = parseOutput(serial);
      expect(parsed.errors).toEqual([]);
      expect(parsed.checks.filter((c) => !c.pass)).toEqual([]);
      expect(parsed.checks.length).toBeGreaterThan(0);
      expect(parsed.finished).toBe(true);
      expect(result).toEqual({ kind: 'debug-exit', status: 1 });
    });
  }
});
