// `wasmkvm run` names what is wrong with a kernel it cannot boot, and exits 1.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../tests/lib/cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'wasmkvm-cli-'));

/** A bzImage header (boot.rst) with the given protocol version and init_size. */
function bzImage(version: number, initSize: number): string {
  const img = new Uint8Array(2 * 512 + 512);
  const dv = new DataView(img.buffer);
  dv.setUint8(0x1f1, 1);
  dv.setUint16(0x1fe, 0xaa55, true);
  dv.setUint16(0x200, 0x66eb, true);
  dv.setUint32(0x202, 0x53726448, true);
  dv.setUint16(0x206, version, true);
  dv.setUint8(0x211, 0x01);
  dv.setUint32(0x238, 2047, true);
  dv.setUint32(0x260, initSize, true);
  const path = join(dir, `bz-${version.toString(16)}-${initSize}`);
  writeFileSync(path, img);
  return path;
}

describe('wasmkvm run: kernels it cannot boot', () => {
  it('a file that is neither a bzImage nor a multiboot kernel', async () => {
    const path = join(dir, 'junk');
    writeFileSync(path, new Uint8Array(16384).fill(0x90));
    const r = await runCli(['run', '--kernel', path], '');
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('and not a Linux bzImage either');
  });

  it('a boot protocol older than 2.06', async () => {
    const r = await runCli(['run', '--kernel', bzImage(0x0204, 0)], '');
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('Linux boot protocol 2.04 is older than 2.06');
  });

  it('a kernel that does not fit in --mem, with the sizes', async () => {
    const r = await runCli(['run', '--kernel', bzImage(0x020f, 100 * 1024 * 1024), '--mem', '64M'], '');
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(
      /init_size 104857600\) needs RAM up to 0x6500000 \(101\.0 MiB\), but --mem is 64\.0 MiB/,
    );
  });

  it('an initrd that does not fit', async () => {
    const initrd = join(dir, 'big-initrd');
    writeFileSync(initrd, new Uint8Array(40 * 1024 * 1024));
    const r = await runCli(
      ['run', '--kernel', bzImage(0x020f, 0x10000), '--initrd', initrd, '--mem', '32M'],
      '',
    );
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('the initrd (41943040 bytes, 40.0 MiB) does not fit');
  });
});
