import { describe, expect, it } from 'vitest';
import { findMultibootHeader, headerWarnings } from './multiboot-header.ts';
import { mbHeader } from './test-images.ts';

function imageWithHeaderAt(offset: number, header = mbHeader(0x3), length = 16384): Uint8Array {
  const image = new Uint8Array(length);
  image.set(header, offset);
  return image;
}

describe('findMultibootHeader', () => {
  it('finds a header at offset 0 and reads magic, flags, checksum (spec §3.1.1)', () => {
    const r = findMultibootHeader(imageWithHeaderAt(0));
    expect(r.ok && r.value).toEqual({
      offset: 0,
      flags: 3,
      checksum: 0xe4524ffb,
      aout: undefined,
      video: undefined,
    });
  });

  it('searches only 4-byte aligned offsets', () => {
    const r = findMultibootHeader(imageWithHeaderAt(0x102));
    expect(!r.ok && r.error.kind).toBe('no-multiboot-header');
  });

  it('finds a header starting at 8140 but not at 8144 (QEMU scans i < 8192 - 48)', () => {
    expect(findMultibootHeader(imageWithHeaderAt(8140)).ok).toBe(true);
    const r = findMultibootHeader(imageWithHeaderAt(8144));
    expect(!r.ok && r.error.kind).toBe('no-multiboot-header');
  });

  it('handles files shorter than the search area', () => {
    expect(findMultibootHeader(imageWithHeaderAt(4, mbHeader(0x3), 16)).ok).toBe(true);
    expect(findMultibootHeader(new Uint8Array(3)).ok).toBe(false);
  });

  it('reads the a.out kludge fields at offsets 12..28 when flags bit 16 is set (spec §3.1.3)', () => {
    const aout = {
      headerAddr: 0x100020,
      loadAddr: 0x100000,
      loadEndAddr: 0x101000,
      bssEndAddr: 0x102000,
      entryAddr: 0x100040,
    };
    const r = findMultibootHeader(imageWithHeaderAt(0x20, mbHeader(0x10003, aout)));
    expect(r.ok && r.value.aout).toEqual(aout);
  });

  it('ignores a.out fields when bit 16 is clear', () => {
    const aout = { headerAddr: 1, loadAddr: 2, loadEndAddr: 3, bssEndAddr: 4, entryAddr: 5 };
    const header = mbHeader(0x3, aout);
    const r = findMultibootHeader(imageWithHeaderAt(0, header));
    expect(r.ok && r.value.aout).toBeUndefined();
  });

  it('reads the video fields at offsets 32..44 when flags bit 2 is set (spec §3.1.4)', () => {
    const header = new Uint8Array(48);
    header.set(mbHeader(0x4));
    header.set([1, 0, 0, 0, 0x20, 3, 0, 0, 0x58, 2, 0, 0, 32, 0, 0, 0], 32);
    const r = findMultibootHeader(imageWithHeaderAt(0, header));
    expect(r.ok && r.value.video).toEqual({ modeType: 1, width: 800, height: 600, depth: 32 });
  });

  it('reports the first bad checksum when no header is valid', () => {
    const image = imageWithHeaderAt(0x40, mbHeader(0x3, undefined, true));
    image.set(mbHeader(0x2, undefined, true), 0x80);
    const r = findMultibootHeader(image);
    expect(!r.ok && r.error).toMatchObject({ kind: 'bad-checksum', offset: 0x40, flags: 3 });
    expect(!r.ok && r.error.message).toMatch(/expected 0xe4524ffb/);
  });
});

describe('headerWarnings', () => {
  it('is silent for the flags QEMU handles', () => {
    expect(headerWarnings(0x10003)).toEqual([]);
  });

  it('mentions the video mode (bit 2) and unknown required bits 3..15, not optional bits 17..31', () => {
    expect(headerWarnings(0x4)).toHaveLength(1);
    expect(headerWarnings(0x8008)).toEqual([expect.stringMatching(/unknown required flags 0x8008/)]);
    expect(headerWarnings(0x80000000)).toEqual([]);
  });
});
