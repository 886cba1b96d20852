// The raw-image virtio-blk backend reads and writes the file at byte offsets.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDisk } from './disk.ts';

describe('openDisk', () => {
  it('reads, writes and flushes the image in place', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'disk-')), 'disk.img');
    writeFileSync(
      path,
      new Uint8Array(1024).map((_, i) => i & 0xff),
    );
    const d = openDisk(path);
    if (typeof d === 'string') throw new Error(d);
    expect(d.size).toBe(1024);
    expect(Array.from(d.read(510, 3) ?? [])).toEqual([254, 255, 0]);
    expect(d.write(512, Uint8Array.of(0xaa, 0xbb))).toBe(true);
    expect(d.flush?.()).toBe(true);
    expect(d.read(1020, 8)).toBeUndefined(); // past the end: an I/O error for the device to report
    d.close();
    expect(Array.from(readFileSync(path).subarray(512, 514))).toEqual([0xaa, 0xbb]);
  });

  it('names a file it cannot open', () => {
    expect(openDisk('/nonexistent/disk.img')).toBe('cannot open disk /nonexistent/disk.img: ENOENT');
  });
});
