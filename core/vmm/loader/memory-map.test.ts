import { describe, expect, it } from 'vitest';
import { encodeMemoryMap, memLowerKiB, memUpperKiB, pcMemoryMap } from './memory-map.ts';

const MiB = 1024 * 1024;

describe('pcMemoryMap', () => {
  it('is the QEMU/SeaBIOS map up to the end of RAM', () => {
    expect(pcMemoryMap(256 * MiB)).toEqual([
      { base: 0, length: 0x9fc00, type: 1 },
      { base: 0x9fc00, length: 0x400, type: 2 },
      { base: 0xf0000, length: 0x10000, type: 2 },
      { base: 0x100000, length: 255 * MiB, type: 1 },
    ]);
  });

  it('has no high RAM entry with 1 MiB or less', () => {
    expect(pcMemoryMap(MiB).map((e) => e.base)).toEqual([0, 0x9fc00, 0xf0000]);
    expect(pcMemoryMap(0x8000)[0]).toEqual({ base: 0, length: 0x8000, type: 1 });
  });
});

describe('mem_lower and mem_upper (spec §3.3, QEMU multiboot.S)', () => {
  it('mem_lower is the usable memory below the EBDA: 639 KiB', () => {
    expect(memLowerKiB(pcMemoryMap(64 * MiB))).toBe(639);
    expect(memLowerKiB(pcMemoryMap(0x8000))).toBe(32);
  });

  it('mem_upper follows contiguous usable entries from 1 MiB, in any order', () => {
    expect(memUpperKiB(pcMemoryMap(4096 * MiB))).toBe(4095 * 1024);
    const split = [
      { base: 0x300000, length: 0x100000, type: 1 },
      { base: 0x100000, length: 0x200000, type: 1 },
      { base: 0x500000, length: 0x100000, type: 1 }, // after a gap: not counted
    ];
    expect(memUpperKiB(split)).toBe(3 * 1024);
    expect(memUpperKiB([{ base: 0x100000, length: MiB, type: 2 }])).toBe(0);
  });
});

describe('encodeMemoryMap', () => {
  it('writes size = 20, base and length as u64, type, 24 bytes apart', () => {
    const bytes = encodeMemoryMap([
      { base: 0x100000, length: 0x1_2345_6000, type: 1 },
      { base: 0xfffc0000, length: 0x40000, type: 2 },
    ]);
    const dv = new DataView(bytes.buffer);
    expect(bytes.length).toBe(48);
    expect([0, 4, 8, 12, 16, 20].map((o) => dv.getUint32(o, true))).toEqual([
      20, 0x100000, 0, 0x23456000, 1, 1,
    ]);
    expect([24, 28, 32, 36, 40, 44].map((o) => dv.getUint32(o, true))).toEqual([
      20, 0xfffc0000, 0, 0x40000, 0, 2,
    ]);
  });
});
