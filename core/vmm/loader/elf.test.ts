import { describe, expect, it } from 'vitest';
import { identifyElf, parseElf32 } from './elf.ts';
import { buildElf32 } from './test-images.ts';

describe('parseElf32', () => {
  const image = buildElf32({
    entry: 0xc010000c,
    segments: [
      { paddr: 0x100000, vaddr: 0xc0100000, data: new Uint8Array(0x30).fill(1), memsz: 0x1000, flags: 5 },
      { paddr: 0x200000, data: new Uint8Array(0x10), flags: 6, type: 4 }, // PT_NOTE
      { paddr: 0x300000, data: new Uint8Array(0x8), memsz: 0x8, flags: 6 },
    ],
  });

  it('reads the file header fields at their gABI offsets', () => {
    const r = parseElf32(image);
    if (!r.ok) throw new Error(r.error.message);
    expect(r.value.header).toMatchObject({
      type: 2,
      machine: 3,
      version: 1,
      entry: 0xc010000c,
      phoff: 52,
      ehsize: 52,
      phentsize: 32,
      phnum: 3,
    });
  });

  it('reads every program header and keeps the PT_LOAD ones apart', () => {
    const r = parseElf32(image);
    if (!r.ok) throw new Error(r.error.message);
    expect(r.value.programHeaders.map((p) => p.type)).toEqual([1, 4, 1]);
    expect(r.value.loadSegments).toHaveLength(2);
    // buildElf32 puts segment data after the 52 + 3*32 = 148 header bytes, 4-aligned.
    expect(r.value.loadSegments[0]).toEqual({
      index: 0,
      type: 1,
      offset: 148,
      vaddr: 0xc0100000,
      paddr: 0x100000,
      filesz: 0x30,
      memsz: 0x1000,
      flags: 5,
      align: 0x1000,
    });
    expect(r.value.loadSegments[1]).toMatchObject({
      index: 2,
      offset: 148 + 0x30 + 0x10,
      paddr: 0x300000,
      filesz: 8,
      memsz: 8,
    });
  });

  it('does not read a Uint8Array view from the start of its buffer', () => {
    const padded = new Uint8Array(image.length + 7);
    padded.set(image, 7);
    const r = parseElf32(padded.subarray(7));
    expect(r.ok && r.value.header.entry).toBe(0xc010000c);
  });

  it('rejects a wrong e_phentsize', () => {
    const bad = buildElf32({ entry: 0, phentsize: 40, segments: [{ paddr: 0, data: new Uint8Array(4) }] });
    const r = parseElf32(bad);
    expect(!r.ok && r.error.kind).toBe('bad-elf');
  });

  it('reports a program header table past the end of the file as truncated', () => {
    const r = parseElf32(image.subarray(0, 100));
    expect(!r.ok && r.error).toMatchObject({ kind: 'truncated', needed: 148, size: 100 });
  });

  it('says not-elf for anything without the magic, and elf64 for ELFCLASS64', () => {
    const r1 = parseElf32(Uint8Array.from([0x7f, 0x45, 0x4c]));
    expect(!r1.ok && r1.error.kind).toBe('not-elf');
    const e64 = new Uint8Array(64);
    e64.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]);
    e64[18] = 62;
    const r2 = parseElf32(e64);
    expect(!r2.ok && r2.error).toMatchObject({ kind: 'elf64', machine: 62 });
  });
});

describe('identifyElf', () => {
  it('names the class and machine from e_ident and e_machine', () => {
    const e = new Uint8Array(20);
    e.set([0x7f, 0x45, 0x4c, 0x46, 2, 1]);
    e[18] = 62;
    expect(identifyElf(e)).toEqual({ format: 'elf64', elfClass: 2, encoding: 1, machine: 62 });
    e[4] = 1;
    e[18] = 3;
    expect(identifyElf(e)).toMatchObject({ format: 'elf32', machine: 3 });
    e[4] = 9;
    expect(identifyElf(e).format).toBe('elf-unknown-class');
    expect(identifyElf(new Uint8Array(20)).format).toBe('not-elf');
  });

  it('reads e_machine big-endian for ELFDATA2MSB files', () => {
    const e = new Uint8Array(20);
    e.set([0x7f, 0x45, 0x4c, 0x46, 1, 2]);
    e[19] = 20; // EM_PPC, stored big-endian
    expect(identifyElf(e)).toMatchObject({ encoding: 2, machine: 20 });
  });
});
