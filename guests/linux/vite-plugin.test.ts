import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { guestImageManifest } from './vite-plugin.ts';

describe('guest image manifest', () => {
  it('lists each architecture that has both a kernel and an initrd, named by the release in its config', () => {
    const dir = mkdtempSync(join(tmpdir(), 'guests-'));
    mkdirSync(join(dir, 'amd64'));
    writeFileSync(join(dir, 'amd64', 'vmlinuz'), 'k');
    writeFileSync(join(dir, 'amd64', 'initrd.img'), 'i');
    writeFileSync(join(dir, 'amd64', 'config'), '#\n# Automatically generated file; DO NOT EDIT.\n# Linux/x86 6.1.192 Kernel Configuration\n');
    mkdirSync(join(dir, 'i386'));
    writeFileSync(join(dir, 'i386', 'vmlinuz'), 'k'); // no initrd: not listed
    expect(guestImageManifest(dir)).toEqual([
      {
        name: 'Debian amd64 Linux 6.1.192 + busybox',
        kernel: 'guest-images/amd64/vmlinuz',
        initrd: 'guest-images/amd64/initrd.img',
        append: 'console=ttyS0',
        memMiB: 256,
      },
    ]);
  });

  it('is empty when nothing was built', () => {
    expect(guestImageManifest(join(tmpdir(), 'no-such-guest-cache'))).toEqual([]);
  });
});
