// The CLI boots the demo guest as a user would: a child process, COM1 on stdio, the exit
// status from isa-debug-exit.
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../lib/cli.ts';

const DEMO = new URL('../../public/guests/demo.elf', import.meta.url).pathname;

describe('wasmkvm run', () => {
  it('boots the demo guest, answers commands and exits with its status', async () => {
    const r = await runCli(['run', '--kernel', DEMO, '--append', 'hello=world'], 'echo ping-42\rcpuid\rexit 3\r');
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('wasmkvm demo guest');
    expect(r.stdout).toContain('hello=world');
    expect(r.stdout).toContain('ping-42');
    expect(r.stdout).toContain('vendor: GenuineIntel');
    // isa-debug-exit: (3 << 1) | 1
    expect(r.status).toBe(7);
  });

  it('rejects a file that is not a kernel with a clear message and status 1', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wasmkvm-'));
    const bogus = join(dir, 'notakernel.bin');
    writeFileSync(bogus, Buffer.from('this is not an ELF file at all, just text\n'.repeat(10)));
    const r = await runCli(['run', '--kernel', bogus], '');
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/notakernel\.bin: .*multiboot/i);
  });

  it('reports a missing kernel file', async () => {
    const r = await runCli(['run', '--kernel', '/nonexistent/kernel.elf'], '');
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('cannot read /nonexistent/kernel.elf: ENOENT');
  });

  it('prints usage for bad arguments', async () => {
    const r = await runCli(['run', '--mem', 'lots'], '');
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('--mem lots: not a size');
    expect(r.stderr).toContain('usage: wasmkvm run');
  });
});
