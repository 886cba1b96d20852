// What the user sees when a guest ends badly: the exit reason, where (CS:RIP), status 1.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { mmioFetchKernel, MMIO_FETCH_RIP, tripleFaultKernel, TRIPLE_FAULT_RIP } from '../lib/tiny-kernels.ts';
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

  it('code the CPU cannot execute (a fetch from MMIO) exits 1 naming KVM_EXIT_INTERNAL_ERROR, the reason and CS:RIP', async () => {
    const r = await runCli(['run', '--kernel', file('mmio-fetch.elf', mmioFetchKernel())], '');
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('KVM_EXIT_INTERNAL_ERROR');
    expect(r.stderr).toContain(`instruction fetch from MMIO at physical 0x${MMIO_FETCH_RIP.toString(16)}`);
    expect(r.stderr).toContain(`CS:RIP 8:${MMIO_FETCH_RIP.toString(16)}`);
  });
});
