import { describe, expect, it } from 'vitest';
import type { LoaderError, LoaderErrorKind } from './errors.ts';
import { loadMultiboot, type MultibootModule } from './multiboot.ts';
import { buildElf32, bytesWith, concat, FakeRam, mbHeader, type AoutFields } from './test-images.ts';

const MiB = 1024 * 1024;

function tryLoad(
  image: Uint8Array,
  o: { ramMiB?: number; modules?: MultibootModule[]; cmdline?: string; kernelName?: string } = {},
) {
  const ram = new FakeRam((o.ramMiB ?? 16) * MiB);
  const r = loadMultiboot(image, {
    ram,
    cmdline: o.cmdline ?? '',
    kernelName: o.kernelName ?? 'k',
    modules: o.modules ?? [],
  });
  return { r, ram };
}

/** Loads, expects an error of `kind`, and checks nothing reached guest RAM. */
function expectError<K extends LoaderErrorKind>(
  kind: K,
  image: Uint8Array,
  o: Parameters<typeof tryLoad>[1] = {},
) {
  const { r, ram } = tryLoad(image, o);
  if (r.ok) throw new Error(`expected ${kind}, got a successful load`);
  expect(r.error.kind).toBe(kind);
  expect(r.error.message.length).toBeGreaterThan(10);
  expect(ram.writes).toEqual([]);
  return r.error as Extract<LoaderError, { kind: K }>;
}

const elfAt = (paddr: number, size = 0x100, memsz?: number) =>
  buildElf32({ entry: paddr, segments: [{ paddr, data: bytesWith(mbHeader(0x3), size), memsz }] });

function aoutImage(fields: Partial<AoutFields>, length = 0x400, headerAt = 0x40): Uint8Array {
  const a: AoutFields = {
    headerAddr: 0x200040,
    loadAddr: 0x200000,
    loadEndAddr: 0,
    bssEndAddr: 0,
    entryAddr: 0x200060,
    ...fields,
  };
  const image = new Uint8Array(length);
  image.set(mbHeader(0x10000, a), headerAt);
  return image;
}

describe('loader errors: the header', () => {
  it('no-multiboot-header', () => {
    expectError('no-multiboot-header', new Uint8Array(16384));
  });

  it('bad-checksum, naming the offset and the checksum found', () => {
    const image = new Uint8Array(0x100);
    image.set(mbHeader(0x3, undefined, true), 0x20);
    const e = expectError('bad-checksum', image);
    expect(e).toMatchObject({ offset: 0x20, flags: 3, checksum: (-(0x1badb002 + 3) + 1) >>> 0 });
  });

  it('a bad header is skipped when a good one follows (QEMU keeps scanning)', () => {
    const text = bytesWith(concat(mbHeader(0x3, undefined, true), mbHeader(0x3)), 0x100);
    const { r } = tryLoad(buildElf32({ entry: 0x100000, segments: [{ paddr: 0x100000, data: text }] }));
    expect(r.ok && r.info.kernel.headerOffset).toBe(52 + 32 + 12);
  });

  it('nul-in-string for the command line and for a module string', () => {
    expect(expectError('nul-in-string', elfAt(0x100000), { cmdline: 'a\0b' }).what).toBe(
      'the kernel command line',
    );
    const modules = [{ name: 'm\0', data: new Uint8Array(1) }];
    expect(expectError('nul-in-string', elfAt(0x100000), { modules }).what).toBe('the string of module 0');
  });
});

describe('loader errors: ELF kernels (flags bit 16 clear)', () => {
  it('not-elf: a multiboot header without the a.out kludge in a file that is not ELF', () => {
    expectError('not-elf', bytesWith(mbHeader(0x3), 0x200));
  });

  it('elf64 with a multiboot header (QEMU: "Cannot load x86-64 image, give a 32bit one.")', () => {
    const image = new Uint8Array(0x200);
    image.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1], 0);
    image[18] = 62; // EM_X86_64
    image.set(mbHeader(0x3), 0x40);
    const e = expectError('elf64', image);
    expect(e.machine).toBe(62);
    expect(e.message).toMatch(/ELF64 kernel: not a multiboot v1 image/);
  });

  it('elf64 without any multiboot header says it is not a multiboot v1 image', () => {
    const image = new Uint8Array(0x200);
    image.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1], 0);
    image[18] = 62;
    expect(expectError('elf64', image).message).toMatch(
      /ELF64 kernel without a multiboot v1 header: not a multiboot v1 image/,
    );
  });

  it('truncated: an ELF header cut short', () => {
    const image = new Uint8Array(44);
    image.set([0x7f, 0x45, 0x4c, 0x46, 1, 1, 1], 0);
    image.set(mbHeader(0x3), 32);
    expect(expectError('truncated', image)).toMatchObject({ needed: 52, size: 44 });
  });

  it('truncated: segment data past the end of the file', () => {
    const image = elfAt(0x100000, 0x100);
    expect(expectError('truncated', image.subarray(0, image.length - 1)).what).toMatch(/program header 0/);
  });

  it('bad-elf-class, bad-elf-encoding, bad-elf-machine', () => {
    const image = elfAt(0x100000);
    const patched = (at: number, v: number) => {
      const copy = new Uint8Array(image);
      copy[at] = v;
      return copy;
    };
    expect(expectError('bad-elf-class', patched(4, 3)).elfClass).toBe(3);
    expect(expectError('bad-elf-encoding', patched(5, 2)).encoding).toBe(2);
    expect(expectError('bad-elf-machine', patched(18, 40)).machine).toBe(40); // EM_ARM
  });

  it('bad-elf: p_filesz > p_memsz, overlapping segments', () => {
    expectError('bad-elf', elfAt(0x100000, 0x100, 0x80));
    const overlapping = buildElf32({
      entry: 0x100000,
      segments: [
        { paddr: 0x100000, data: bytesWith(mbHeader(0x3), 0x100), memsz: 0x2000 },
        { paddr: 0x101000, data: new Uint8Array(0x10) },
      ],
    });
    expect(expectError('bad-elf', overlapping).message).toMatch(/overlap/);
  });

  it('no-load-segments', () => {
    const image = buildElf32({
      entry: 0,
      segments: [{ paddr: 0x100000, data: bytesWith(mbHeader(0x3), 0x40), type: 4 }],
    });
    expectError('no-load-segments', image);
  });
});

describe("loader errors: a.out kludge kernels (flags bit 16 set), in QEMU's order", () => {
  it('bad-aout-header load_addr: header_addr below load_addr', () => {
    expect(expectError('bad-aout-header', aoutImage({ headerAddr: 0x1fffff })).field).toBe('load_addr');
  });

  it('bad-aout-header header_addr: the text would start before the file', () => {
    expect(expectError('bad-aout-header', aoutImage({ loadAddr: 0x1fff00 })).field).toBe('header_addr');
  });

  it('bad-aout-header load_end_addr: below load_addr', () => {
    expect(expectError('bad-aout-header', aoutImage({ loadEndAddr: 0x1ff000 })).field).toBe('load_end_addr');
  });

  it('bad-aout-header bss_end_addr: below the end of the loaded text', () => {
    expect(
      expectError('bad-aout-header', aoutImage({ loadEndAddr: 0x200200, bssEndAddr: 0x200100 })).field,
    ).toBe('bss_end_addr');
  });

  it('truncated: load_end_addr beyond the end of the file (QEMU: "fread() failed")', () => {
    expect(expectError('truncated', aoutImage({ loadEndAddr: 0x200401 }))).toMatchObject({
      needed: 0x401,
      size: 0x400,
    });
  });

  it('truncated: kludge fields cut off by the end of the file', () => {
    const image = new Uint8Array(0x50);
    image.set(
      mbHeader(0x10000, { headerAddr: 0, loadAddr: 0, loadEndAddr: 0, bssEndAddr: 0, entryAddr: 0 }).subarray(
        0,
        16,
      ),
      0x40,
    );
    expectError('truncated', image);
  });

  it('does-not-fit: the text would pass 4 GiB', () => {
    const e = expectError('does-not-fit', aoutImage({ headerAddr: 0xfffffe40, loadAddr: 0xfffffe00 }));
    expect(e.range).toEqual({ start: 0xfffffe00, end: 0x100000200 });
  });
});

describe('loader errors: placement in guest RAM', () => {
  it('does-not-fit: a kernel beyond the end of RAM', () => {
    const e = expectError('does-not-fit', elfAt(0x1000000), { ramMiB: 16 });
    expect(e).toMatchObject({
      what: 'kernel segment 0',
      range: { start: 0x1000000, end: 0x1000100 },
      ramSize: 16 * MiB,
    });
  });

  it('does-not-fit: bss beyond the end of RAM', () => {
    expectError('does-not-fit', elfAt(0x100000, 0x100, 16 * MiB));
  });

  it('does-not-fit: a module beyond the end of RAM', () => {
    const e = expectError('does-not-fit', elfAt(0x100000), {
      ramMiB: 2,
      modules: [{ name: 'big', data: new Uint8Array(MiB) }],
    });
    expect(e.what).toBe('module 0 (big)');
  });

  it('overlaps-hole: a kernel in 0xA0000-0xFFFFF', () => {
    expectError('overlaps-hole', elfAt(0xf0000));
    expectError('overlaps-hole', aoutImage({ headerAddr: 0xa0040, loadAddr: 0xa0000 }));
  });

  it('overlaps-hole: a kernel whose bss runs into the hole', () => {
    expectError('overlaps-hole', elfAt(0x90000, 0x100, 0x10001));
  });

  it('overlaps-hole: modules after a low kernel that reach the hole', () => {
    const image = elfAt(0x10000);
    const e = expectError('overlaps-hole', image, {
      modules: [{ name: 'm', data: new Uint8Array(0x90000) }],
    });
    expect(e.range).toEqual({ start: 0x12000, end: 0xa2000 });
  });

  it('overlaps-boot-info: a module list over the MBI and memory map at 0x9000', () => {
    const e = expectError('overlaps-boot-info', elfAt(0x8000, 0x100));
    expect(e.range).toEqual({ start: 0x9000, end: 0xa000 });
  });

  it('a kernel over the MBI loads last and overwrites it, as QEMU (kvm-unit-tests realmode.flat)', () => {
    const image = elfAt(0x8000, 0x1100);
    const { r, ram } = tryLoad(image, { modules: [{ name: 'm', data: new Uint8Array(1) }] });
    if (!r.ok) throw new Error(r.error.message);
    expect(r.info.warnings.some((w) => w.includes('overwrites the boot information'))).toBe(true);
    const last = ram.writes.findIndex((w) => w.gpa === 0x8000);
    expect(ram.writes.findIndex((w) => w.gpa === 0x9500)).toBeLessThan(last);
  });

  it('does-not-fit: RAM too small for the boot information itself', () => {
    expectError('does-not-fit', elfAt(0x1000), { ramMiB: 0.03125 }); // 32 KiB
  });
});

describe('host bugs throw', () => {
  it('a GuestPhysWriter with an impossible ramSize', () => {
    const ram = { ramSize: 5 * 2 ** 30, write: () => {} };
    expect(() => loadMultiboot(elfAt(0x100000), { ram, cmdline: '', kernelName: 'k', modules: [] })).toThrow(
      RangeError,
    );
  });
});
