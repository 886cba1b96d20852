// What the user sees when a guest ends badly: the exit reason, where (CS:RIP), status 1.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fpuKernel, FPU_RIP, tripleFaultKernel, TRIPLE_FAULT_RIP } from '../lib/tiny-kernels.ts';
import { runCli } from '../lib/cli.ts';

function file(name: string, bytes: Uint8Array): string {
  const p = join(mkdtempSync(join(tmpdir(), 'wasmkvm-')), name);
  writeFileSync(p, bytes);
  return p;
}

describe('wasmkvm run: failures are reported, not hidden', () => {
  it('a triple fault exits 1 naming KVM_EXIT_SHUTDOWN and the RIP', async () => {
    const r = await runCli(['run', '--kernel', file('triple.elf', tripleFaultKernel())], '');
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('KVM_EXIT_SHUTDOWN');
    expect(r.stderr).toContain(`triple fault at RIP 0x${TRIPLE_FAULT_RIP.toString(16)}`);
  });

  it('an instruction the CPU cannot execute exits 1 naming KVM_EXIT_INTERNAL_ERROR, the opcode and CS:RIP', async () => {
    const r = await runCli(['run', '--kernel', file('fpu.elf', fpuKernel())], '');
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('KVM_EXIT_INTERNAL_ERROR');
    expect(r.stderr).toContain('x87 instruction not implemented (opcode db ModRM e3)');
    expect(r.stderr).toContain(`CS:RIP 8:${FPU_RIP.toString(16)}`);
  });
});
