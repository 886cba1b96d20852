// The committed demo guest image is exactly what guests/demo/build.sh makes from this repo's
// sources (nasm and binutils from Debian; .ci/run installs them).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

describe('guests/demo', () => {
  it('rebuilds public/guests/demo.elf byte for byte', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'wasmkvm-demo-')), 'demo.elf');
    execFileSync('bash', [new URL('../../guests/demo/build.sh', import.meta.url).pathname], { env: { ...process.env, OUT: out }, stdio: 'pipe' });
    const committed = readFileSync(new URL('../../public/guests/demo.elf', import.meta.url));
    expect(Buffer.compare(readFileSync(out), committed)).toBe(0);
  });
});
