import { describe, expect, it } from 'vitest';
import { memoryDisk } from './memory-disk.ts';

describe('memoryDisk', () => {
  it('reads and writes inside the image and refuses accesses past its end', () => {
    const disk = memoryDisk(new Uint8Array(1024));
    expect(disk.write(512, new Uint8Array([1, 2, 3]))).toBe(true);
    expect([...(disk.read(512, 4) ?? [])]).toEqual([1, 2, 3, 0]);
    expect(disk.read(1022, 4)).toBeUndefined();
    expect(disk.write(1023, new Uint8Array(2))).toBe(false);
  });

  it('a read-only image refuses writes and keeps its bytes', () => {
    const disk = memoryDisk(new Uint8Array([9, 9]), true);
    expect(disk.write(0, new Uint8Array([1]))).toBe(false);
    expect([...(disk.read(0, 2) ?? [])]).toEqual([9, 9]);
  });
});
