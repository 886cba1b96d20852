// The CLI boots the demo guest as a user would: a child process, COM1 on stdio, the exit
// status from isa-debug-exit.
import { spawn } from 'node:child_process';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const BIN = new URL('../../bin/wasmkvm.mjs', import.meta.url).pathname;
const DEMO = new URL('../../public/guests/demo.elf', import.meta.url).pathname;

function runCli(args: string[], input: string, timeoutMs = 60_000): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
    child.stdin.end(input);
  });
}

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
