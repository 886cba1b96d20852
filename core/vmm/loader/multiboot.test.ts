import { describe, expect, it } from 'vitest';
import { loadMultiboot, type MultibootModule } from './multiboot.ts';
import { ascii, buildElf32, bytesWith, FakeRam, mbHeader } from './test-images.ts';

// What qemu-system-i386 7.2.22 (Debian 1:7.2+dfsg-7+deb12u18) with SeaBIOS 1.16.2 hands a
// Multiboot kernel, recorded by oracle/record.sh booting oracle/mbdump.asm with -accel tcg.
// These are facts about QEMU; the tests below rebuild the same kernels byte by byte and
// expect the same Multiboot information from loadMultiboot.
// Kernels: kernel.elf = one PT_LOAD at 0x100000, p_filesz 0x2b6, p_memsz 0x12c8, entry
// 0x10000c, header flags 0x3. kernel.aout = 778-byte flat image, header at file offset 0x40,
// flags 0x10003, header_addr 0x200040, load_addr 0x200000, load_end_addr 0x20030a,
// bss_end_addr 0x20131c, entry_addr 0x200060. mod1.bin = 5000 bytes (i*7+3)&0xff,
// mod2.bin = "HELLOMOD2!", empty.bin = 0 bytes.
const QEMU_RECORDED = `
== elf-mods: -m 128 -kernel kernel.elf -append console=ttyS0 foo=bar -initrd mod1.bin arg1 arg2,mod2.bin a,,b
EAX 2BADB002
EBX 00009500
CR0 00000011
EFLAGS 00000006
CS DS ES FS GS SS 00000008 00000010 00000010 00000010 00000010 00000010
MBI 0000024F 0000027F 0001FB80 8000FFFF 00102040 00000002 00102000 00000000 00000000 00000000 00000000 00000090 00009000 00000000 00000000 00000000 00102062 00000000 00000000 00000000 00000000 00000000
MMAP 00000014 00000000 00000000 0009FC00 00000000 00000001 00000014 0009FC00 00000000 00000400 00000000 00000002 00000014 000F0000 00000000 00010000 00000000 00000002 00000014 00100000 00000000 07EE0000 00000000 00000001 00000014 07FE0000 00000000 00020000 00000000 00000002 00000014 FFFC0000 00000000 00040000 00000000 00000002
CMDLINE "kernel.elf console=ttyS0 foo=bar"
LOADER "qemu"
MODS 00103000 00104388 00102020 00000000 00105000 0010500A 00102033 00000000
MODSTR "mod1.bin arg1 arg2"
MODHEAD 18110A03 342D261F 5049423B 6C655E57
MODSTR "mod2.bin a,b"
MODHEAD 4C4C4548 444F4D4F 00002132 00000000
== elf-bare: -m 64 -kernel kernel.elf
EAX 2BADB002
EBX 00009500
CR0 00000011
EFLAGS 00000006
CS DS ES FS GS SS 00000008 00000010 00000010 00000010 00000010 00000010
MBI 0000024F 0000027F 0000FB80 8000FFFF 00102000 00000000 00102000 00000000 00000000 00000000 00000000 00000090 00009000 00000000 00000000 00000000 0010200C 00000000 00000000 00000000 00000000 00000000
MMAP 00000014 00000000 00000000 0009FC00 00000000 00000001 00000014 0009FC00 00000000 00000400 00000000 00000002 00000014 000F0000 00000000 00010000 00000000 00000002 00000014 00100000 00000000 03EE0000 00000000 00000001 00000014 03FE0000 00000000 00020000 00000000 00000002 00000014 FFFC0000 00000000 00040000 00000000 00000002
CMDLINE "kernel.elf "
LOADER "qemu"
MODS
== aout-mod: -m 32 -kernel kernel.aout -append x -initrd mod2.bin
EAX 2BADB002
EBX 00009500
CR0 00000011
EFLAGS 00000006
CS DS ES FS GS SS 00000008 00000010 00000010 00000010 00000010 00000010
MBI 0000024F 0000027F 00007B80 8000FFFF 00202019 00000001 00202000 00000000 00000000 00000000 00000000 00000090 00009000 00000000 00000000 00000000 00202027 00000000 00000000 00000000 00000000 00000000
MMAP 00000014 00000000 00000000 0009FC00 00000000 00000001 00000014 0009FC00 00000000 00000400 00000000 00000002 00000014 000F0000 00000000 00010000 00000000 00000002 00000014 00100000 00000000 01EE0000 00000000 00000001 00000014 01FE0000 00000000 00020000 00000000 00000002 00000014 FFFC0000 00000000 00040000 00000000 00000002
CMDLINE "kernel.aout x"
LOADER "qemu"
MODS 00203000 0020300A 00202010 00000000
MODSTR "mod2.bin"
MODHEAD 4C4C4548 444F4D4F 00002132 00000000
== aout-empty-mod: -m 32 -kernel kernel.aout -initrd empty.bin,mod2.bin
EAX 2BADB002
EBX 00009500
CR0 00000011
EFLAGS 00000006
CS DS ES FS GS SS 00000008 00000010 00000010 00000010 00000010 00000010
MBI 0000024F 0000027F 00007B80 8000FFFF 00202033 00000002 00202000 00000000 00000000 00000000 00000000 00000090 00009000 00000000 00000000 00000000 00202040 00000000 00000000 00000000 00000000 00000000
MMAP 00000014 00000000 00000000 0009FC00 00000000 00000001 00000014 0009FC00 00000000 00000400 00000000 00000002 00000014 000F0000 00000000 00010000 00000000 00000002 00000014 00100000 00000000 01EE0000 00000000 00000001 00000014 01FE0000 00000000 00020000 00000000 00000002 00000014 FFFC0000 00000000 00040000 00000000 00000002
CMDLINE "kernel.aout "
LOADER "qemu"
MODS 00203000 00203000 00202020 00000000 00203000 0020300A 0020202A 00000000
MODSTR "empty.bin"
MODHEAD 4C4C4548 444F4D4F 00002132 00000000
MODSTR "mod2.bin"
MODHEAD 4C4C4548 444F4D4F 00002132 00000000
== aout-loadend0: -m 32 -kernel aout-loadend0.bin
EAX 2BADB002
EBX 00009500
CR0 00000011
EFLAGS 00000006
CS DS ES FS GS SS 00000008 00000010 00000010 00000010 00000010 00000010
MBI 0000024F 0000027F 00007B80 8000FFFF 00202000 00000000 00202000 00000000 00000000 00000000 00000000 00000090 00009000 00000000 00000000 00000000 00202013 00000000 00000000 00000000 00000000 00000000
MMAP 00000014 00000000 00000000 0009FC00 00000000 00000001 00000014 0009FC00 00000000 00000400 00000000 00000002 00000014 000F0000 00000000 00010000 00000000 00000002 00000014 00100000 00000000 01EE0000 00000000 00000001 00000014 01FE0000 00000000 00020000 00000000 00000002 00000014 FFFC0000 00000000 00040000 00000000 00000002
CMDLINE "aout-loadend0.bin "
LOADER "qemu"
MODS
== aout-bssend0: -m 32 -kernel aout-bssend0.bin
EAX 2BADB002
EBX 00009500
CR0 00000011
EFLAGS 00000006
CS DS ES FS GS SS 00000008 00000010 00000010 00000010 00000010 00000010
MBI 0000024F 0000027F 00007B80 8000FFFF 00201000 00000000 00201000 00000000 00000000 00000000 00000000 00000090 00009000 00000000 00000000 00000000 00201012 00000000 00000000 00000000 00000000 00000000
MMAP 00000014 00000000 00000000 0009FC00 00000000 00000001 00000014 0009FC00 00000000 00000400 00000000 00000002 00000014 000F0000 00000000 00010000 00000000 00000002 00000014 00100000 00000000 01EE0000 00000000 00000001 00000014 01FE0000 00000000 00020000 00000000 00000002 00000014 FFFC0000 00000000 00040000 00000000 00000002
CMDLINE "aout-bssend0.bin "
LOADER "qemu"
MODS
`;

interface Recorded {
  words: Map<string, number[]>;
  strings: Map<string, string[]>;
  modHeads: number[][];
}

function parseRecorded(): Map<string, Recorded> {
  const cases = new Map<string, Recorded>();
  let cur: Recorded | undefined;
  for (const line of QEMU_RECORDED.split('\n')) {
    const head = /^== ([\w-]+):/.exec(line);
    if (head) {
      cur = { words: new Map(), strings: new Map(), modHeads: [] };
      cases.set(head[1]!, cur);
      continue;
    }
    if (!cur || line === '') continue;
    const quoted = /^(\w+) "(.*)"$/.exec(line);
    if (quoted) {
      cur.strings.set(quoted[1]!, [...(cur.strings.get(quoted[1]!) ?? []), quoted[2]!]);
      continue;
    }
    const parts = line.split(' ');
    const key = parts[0] === 'CS' ? 'SEGS' : parts[0]!;
    const words = parts.filter((p) => /^[0-9A-F]{8}$/.test(p)).map((p) => parseInt(p, 16));
    if (key === 'MODHEAD') cur.modHeads.push(words);
    else cur.words.set(key, words);
  }
  return cases;
}

const QEMU = parseRecorded();
const rec = (name: string): Recorded => QEMU.get(name)!;
const MiB = 1024 * 1024;

// The recorded kernels, rebuilt. Only the addresses and sizes matter to the layout.
function oracleElf(): Uint8Array {
  const text = bytesWith(mbHeader(0x3), 0x2b6);
  return buildElf32({ entry: 0x10000c, segments: [{ paddr: 0x100000, data: text, memsz: 0x12c8 }] });
}

function oracleAout(fields: { loadEndAddr?: number; bssEndAddr?: number } = {}): Uint8Array {
  const header = mbHeader(0x10003, {
    headerAddr: 0x200040,
    loadAddr: 0x200000,
    loadEndAddr: fields.loadEndAddr ?? 0x20030a,
    bssEndAddr: fields.bssEndAddr ?? 0x20131c,
    entryAddr: 0x200060,
  });
  const image = new Uint8Array(778).fill(0x90);
  image.set(header, 0x40);
  return image;
}

const mod1 = Uint8Array.from({ length: 5000 }, (_, i) => (i * 7 + 3) & 0xff);
const mod2 = ascii('HELLOMOD2!');

function load(
  image: Uint8Array,
  ramMiB: number,
  kernelName: string,
  cmdline: string,
  modules: MultibootModule[],
) {
  const ram = new FakeRam(ramMiB * MiB);
  const r = loadMultiboot(image, { ram, cmdline, kernelName, modules, bootloaderName: 'qemu' });
  if (!r.ok) throw new Error(r.error.message);
  return { ram, ...r };
}

/**
 * Every MBI word (§3.3 offsets) must equal QEMU's, except the two that describe SeaBIOS:
 * its map has two more entries (mmap_length 0x90 vs 0x60) and it reserves the top 128 KiB
 * of RAM, so QEMU's mem_upper is 128 smaller than ours.
 */
function expectQemuMbi(ram: FakeRam, r: Recorded, ramMiB: number): void {
  const qemu = r.words.get('MBI')!;
  const ours = Array.from({ length: 22 }, (_, i) => ram.u32(0x9500 + 4 * i));
  const seabiosReservedKiB = 0x20000 / 1024;
  expect(qemu[2]).toBe((ramMiB * MiB - MiB) / 1024 - seabiosReservedKiB);
  expect(ours[2]).toBe((ramMiB * MiB - MiB) / 1024);
  expect(qemu[11]).toBe(6 * 24);
  expect(ours[11]).toBe(4 * 24);
  expect(ours).toEqual(qemu.map((w, i) => (i === 2 ? ours[2] : i === 11 ? ours[11] : w)));
}

/** Our memory map is QEMU's first four entries, the fourth running to the end of RAM. */
function expectQemuMmap(ram: FakeRam, r: Recorded, ramMiB: number): void {
  const qemu = r.words.get('MMAP')!;
  const ours = Array.from({ length: 4 * 6 }, (_, i) => ram.u32(0x9000 + 4 * i));
  expect(qemu.slice(18, 24)).toEqual([20, 0x100000, 0, ramMiB * MiB - MiB - 0x20000, 0, 1]);
  expect(ours).toEqual([...qemu.slice(0, 18), 20, 0x100000, 0, ramMiB * MiB - MiB, 0, 1]);
}

function expectQemuStringsAndModules(ram: FakeRam, r: Recorded): void {
  const mbi = (off: number) => ram.u32(0x9500 + off);
  expect(ram.cstr(mbi(16))).toBe(r.strings.get('CMDLINE')![0]);
  expect(ram.cstr(mbi(64))).toBe(r.strings.get('LOADER')![0]);
  const count = mbi(20);
  const mods = Array.from({ length: count * 4 }, (_, i) => ram.u32(mbi(24) + 4 * i));
  expect(mods).toEqual(r.words.get('MODS'));
  for (let m = 0; m < count; m++) {
    expect(ram.cstr(mods[4 * m + 2]!)).toBe(r.strings.get('MODSTR')![m]);
    const head = Array.from({ length: 4 }, (_, i) => ram.u32(mods[4 * m]! + 4 * i));
    expect(head).toEqual(r.modHeads[m]);
  }
}

describe('loadMultiboot matches qemu-system-i386 -kernel', () => {
  it('ELF kernel, -append, two modules (one with an escaped comma), 128 MiB', () => {
    const r = rec('elf-mods');
    const { ram, entry, info } = load(oracleElf(), 128, 'kernel.elf', 'console=ttyS0 foo=bar', [
      { name: 'mod1.bin arg1 arg2', data: mod1 },
      { name: 'mod2.bin a,b', data: mod2 },
    ]);
    expectQemuMbi(ram, r, 128);
    expectQemuMmap(ram, r, 128);
    expectQemuStringsAndModules(ram, r);
    expect(entry.eax).toBe(r.words.get('EAX')![0]);
    expect(entry.ebx).toBe(r.words.get('EBX')![0]);
    expect(entry.cr0).toBe(r.words.get('CR0')![0]);
    const segs = entry.segments;
    expect([segs.cs, segs.ds, segs.es, segs.fs, segs.gs, segs.ss].map((s) => s.selector)).toEqual(
      r.words.get('SEGS'),
    );
    // QEMU's EFLAGS has leftover arithmetic flags; §3.2 only fixes VM (bit 17) and IF (bit 9) = 0.
    for (const eflags of [entry.eflags, r.words.get('EFLAGS')![0]!])
      expect(eflags & ((1 << 17) | (1 << 9))).toBe(0);
    expect(entry.eip).toBe(0x10000c);
    expect(info.end).toBe(0x106000); // mod2 ends at 0x10500a, page aligned
  });

  it('ELF kernel, no -append, no modules: cmdline is "path " and the module list is empty', () => {
    const r = rec('elf-bare');
    const { ram } = load(oracleElf(), 64, 'kernel.elf', '', []);
    expectQemuMbi(ram, r, 64);
    expectQemuMmap(ram, r, 64);
    expectQemuStringsAndModules(ram, r);
  });

  it('a.out kludge kernel with one module, 32 MiB', () => {
    const r = rec('aout-mod');
    const { ram, entry, info } = load(oracleAout(), 32, 'kernel.aout', 'x', [
      { name: 'mod2.bin', data: mod2 },
    ]);
    expectQemuMbi(ram, r, 32);
    expectQemuMmap(ram, r, 32);
    expectQemuStringsAndModules(ram, r);
    expect(entry.eip).toBe(0x200060);
    expect(info.kernel).toMatchObject({
      source: 'aout-kludge',
      headerOffset: 0x40,
      loadAddr: 0x200000,
      end: 0x20131c,
    });
  });

  it('an empty module takes no space: the next one starts at the same page', () => {
    const r = rec('aout-empty-mod');
    const { ram } = load(oracleAout(), 32, 'kernel.aout', '', [
      { name: 'empty.bin', data: new Uint8Array(0) },
      { name: 'mod2.bin', data: mod2 },
    ]);
    expectQemuMbi(ram, r, 32);
    expectQemuStringsAndModules(ram, r);
  });

  it('a.out load_end_addr = 0 loads the rest of the file (§3.1.3)', () => {
    const r = rec('aout-loadend0');
    const { ram } = load(oracleAout({ loadEndAddr: 0 }), 32, 'aout-loadend0.bin', '', []);
    expectQemuMbi(ram, r, 32);
    expectQemuStringsAndModules(ram, r);
  });

  it('a.out bss_end_addr = 0 means no bss (§3.1.3)', () => {
    const r = rec('aout-bssend0');
    const { ram } = load(oracleAout({ bssEndAddr: 0 }), 32, 'aout-bssend0.bin', '', []);
    expectQemuMbi(ram, r, 32);
    expectQemuStringsAndModules(ram, r);
  });
});

describe('the Multiboot information structure (spec §3.3)', () => {
  const load128 = (image: Uint8Array, modules: MultibootModule[] = [], cmdline = '') => {
    const ram = new FakeRam(128 * MiB);
    const r = loadMultiboot(image, { ram, cmdline, kernelName: '/boot/kernel', modules });
    if (!r.ok) throw new Error(r.error.message);
    return { ram, ...r };
  };

  it("sets exactly QEMU's flags: mem (0), boot_device (1), cmdline (2), mods (3), mmap (6), boot_loader_name (9)", () => {
    const { ram, info } = load128(oracleElf());
    expect(ram.u32(0x9500)).toBe(0b10_0100_1111);
    expect(info.flags).toBe(0x24f);
  });

  it('mem_lower is 639 KiB (below the EBDA, as int 0x12 says on QEMU) and mem_upper runs from 1 MiB to the end of RAM', () => {
    const { ram } = load128(oracleElf());
    expect(ram.u32(0x9504)).toBe(639);
    expect(ram.u32(0x9508)).toBe(127 * 1024);
  });

  it("boot_device is 0x8000FFFF: drive 0x80, part1 0, part2 and part3 unused (QEMU's fixed value)", () => {
    const { ram } = load128(oracleElf());
    expect(ram.u32(0x950c)).toBe(0x8000ffff);
  });

  it('the memory map has 20-byte entries behind a size field, at mmap_addr 0x9000', () => {
    const { ram, info } = load128(oracleElf());
    expect(ram.u32(0x9530)).toBe(0x9000); // mmap_addr, offset 48
    expect(ram.u32(0x952c)).toBe(96); // mmap_length, offset 44
    const entry = (i: number) => {
      const at = 0x9000 + 24 * i;
      return [
        ram.u32(at),
        ram.u32(at + 4) + ram.u32(at + 8) * 2 ** 32,
        ram.u32(at + 12) + ram.u32(at + 16) * 2 ** 32,
        ram.u32(at + 20),
      ];
    };
    expect([0, 1, 2, 3].map(entry)).toEqual([
      [20, 0, 0x9fc00, 1],
      [20, 0x9fc00, 0x400, 2],
      [20, 0xf0000, 0x10000, 2],
      [20, 0x100000, 127 * MiB, 1],
    ]);
    expect(info.memoryMap).toEqual([
      { base: 0, length: 0x9fc00, type: 1 },
      { base: 0x9fc00, length: 0x400, type: 2 },
      { base: 0xf0000, length: 0x10000, type: 2 },
      { base: 0x100000, length: 127 * MiB, type: 1 },
    ]);
  });

  it('boot_loader_name defaults to "wasmkvm"; the unused fields (syms, drives, config, apm, vbe) are 0', () => {
    const { ram, info } = load128(oracleElf());
    expect(ram.cstr(ram.u32(0x9540))).toBe('wasmkvm');
    expect(info.bootloaderName.value).toBe('wasmkvm');
    for (const off of [28, 32, 36, 40, 52, 56, 60, 68, 72, 76, 80, 84]) expect(ram.u32(0x9500 + off)).toBe(0);
  });

  it('the command line is "<kernel path> <append>", UTF-8 encoded', () => {
    const { ram, info } = load128(oracleElf(), [], 'root=/dev/vda é');
    expect(info.cmdline.value).toBe('/boot/kernel root=/dev/vda é');
    const addr = ram.u32(0x9510);
    expect(addr).toBe(info.cmdline.addr);
    expect(ram.bytes(addr + 27, 3)).toEqual(Uint8Array.from([0xc3, 0xa9, 0]));
  });

  it('modules are page aligned (header flag bit 0, which QEMU honours always), mod_end is exclusive, reserved is 0', () => {
    const sizes = [1, 4096, 4097];
    const modules = sizes.map((n, i) => ({ name: `m${i}`, data: new Uint8Array(n).fill(0x41 + i) }));
    const { ram, info } = load128(oracleElf(), modules);
    expect(ram.u32(0x9514)).toBe(3); // mods_count
    const list = ram.u32(0x9518); // mods_addr
    expect(list).toBe(0x102000); // page_align(0x100000 + 0x12c8)
    let expectStart = 0x103000; // the module list and strings take one page
    sizes.forEach((n, i) => {
      const at = list + 16 * i;
      expect([ram.u32(at), ram.u32(at + 4), ram.u32(at + 12)]).toEqual([expectStart, expectStart + n, 0]);
      expect(ram.cstr(ram.u32(at + 8))).toBe(`m${i}`);
      expect(ram.u8(expectStart)).toBe(0x41 + i);
      expect(ram.u8(expectStart + n - 1)).toBe(0x41 + i);
      expectStart += Math.ceil(n / 4096) * 4096;
    });
    expect(info.modules.map((m) => m.start)).toEqual([0x103000, 0x104000, 0x105000]);
    expect(info.end).toBe(0x107000);
  });

  it('writes the kernel segments and zeroes their bss', () => {
    const text = bytesWith(mbHeader(0x3), 0x100, 0xcc);
    const image = buildElf32({ entry: 0x100010, segments: [{ paddr: 0x100000, data: text, memsz: 0x3000 }] });
    const ram = new FakeRam(16 * MiB);
    ram.write(0x100100, new Uint8Array(0x2f00).fill(0xee)); // stale bytes where bss goes
    const r = loadMultiboot(image, { ram, cmdline: '', kernelName: 'k', modules: [] });
    expect(r.ok).toBe(true);
    expect(ram.bytes(0x100000, 0x100)).toEqual(text);
    expect(ram.bytes(0x100100, 0x2f00).every((b) => b === 0)).toBe(true);
  });

  it('lays out from the lowest segment: two ELF segments with a gap', () => {
    const image = buildElf32({
      entry: 0x100000,
      segments: [
        { paddr: 0x100000, data: bytesWith(mbHeader(0x2), 0x80), flags: 5 },
        { paddr: 0x180000, data: new Uint8Array(0x10).fill(1), memsz: 0x20, flags: 6 },
      ],
    });
    const { info, ram } = load128(image);
    expect(info.kernel).toMatchObject({ source: 'elf', loadAddr: 0x100000, end: 0x180020 });
    expect(ram.u32(0x9518)).toBe(0x181000);
  });

  it('places the information after a kernel loaded below the PC hole', () => {
    const image = buildElf32({
      entry: 0x10000,
      segments: [{ paddr: 0x10000, data: bytesWith(mbHeader(0x3), 0x200) }],
    });
    const { info } = load128(image, [{ name: 'm', data: new Uint8Array(10) }]);
    expect(info.modsAddr).toBe(0x11000);
    expect(info.modules[0]!.start).toBe(0x12000);
  });
});

describe('which headers load the kernel', () => {
  it("with flags bit 16 the a.out kludge wins over the ELF program headers (QEMU's order)", () => {
    const aout = {
      headerAddr: 0x300000 + 0x54,
      loadAddr: 0x300000,
      loadEndAddr: 0,
      bssEndAddr: 0,
      entryAddr: 0x300054,
    };
    // The ELF says 0x100000; the kludge says the file itself goes to 0x300000.
    const image = buildElf32({
      entry: 0x100000,
      segments: [{ paddr: 0x100000, data: mbHeader(0x10000, aout) }],
    });
    expect(image.length).toBe(0x54 + 32); // one program header: the segment data starts at 0x54
    const ram = new FakeRam(16 * MiB);
    const r = loadMultiboot(image, { ram, cmdline: '', kernelName: 'k', modules: [] });
    if (!r.ok) throw new Error(r.error.message);
    expect(r.entry.eip).toBe(0x300054);
    expect(ram.bytes(0x300000, image.length)).toEqual(image);
    expect(ram.u32(0x100000)).toBe(0);
  });

  it('an ELF64 file with the a.out kludge loads (QEMU only refuses ELF64 on the ELF path)', () => {
    const image = new Uint8Array(0x200);
    image.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1], 0);
    image[18] = 62;
    const aout = {
      headerAddr: 0x100040,
      loadAddr: 0x100000,
      loadEndAddr: 0,
      bssEndAddr: 0x101000,
      entryAddr: 0x100060,
    };
    image.set(mbHeader(0x10000, aout), 0x40);
    const r = loadMultiboot(image, { ram: new FakeRam(16 * MiB), cmdline: '', kernelName: 'k', modules: [] });
    expect(r.ok && r.entry.eip).toBe(0x100060);
  });

  it('a higher-half ELF enters at the physical address of e_entry (QEMU elf_ops.h)', () => {
    const text = bytesWith(mbHeader(0x3), 0x100);
    const image = buildElf32({
      entry: 0xc010000c,
      segments: [{ paddr: 0x100000, vaddr: 0xc0100000, data: text, flags: 5 }],
    });
    const r = loadMultiboot(image, { ram: new FakeRam(16 * MiB), cmdline: '', kernelName: 'k', modules: [] });
    expect(r.ok && r.entry.eip).toBe(0x10000c);
  });

  it('translates e_entry only through an executable segment', () => {
    const text = bytesWith(mbHeader(0x3), 0x100);
    const image = buildElf32({
      entry: 0xc010000c,
      segments: [{ paddr: 0x100000, vaddr: 0xc0100000, data: text, flags: 6 }],
    });
    const r = loadMultiboot(image, { ram: new FakeRam(16 * MiB), cmdline: '', kernelName: 'k', modules: [] });
    expect(r.ok && r.entry.eip).toBe(0xc010000c);
    expect(r.ok && r.info.warnings).toEqual(['ELF entry point 0xc010000c is outside every loaded segment']);
  });

  it('warns about a video mode request and unknown required flags, and boots anyway like QEMU', () => {
    const image = buildElf32({
      entry: 0x100000,
      segments: [{ paddr: 0x100000, data: bytesWith(mbHeader(0x0000000f), 0x40) }],
    });
    const r = loadMultiboot(image, { ram: new FakeRam(16 * MiB), cmdline: '', kernelName: 'k', modules: [] });
    expect(r.ok).toBe(true);
    expect(r.ok && r.info.warnings.length).toBe(2);
    expect(r.ok && r.info.warnings[0]).toMatch(/video mode/);
    expect(r.ok && r.info.warnings[1]).toMatch(/unknown required flags 0x8/);
  });
});

describe('the machine state at entry (spec §3.2)', () => {
  const r = loadMultiboot(oracleElf(), {
    ram: new FakeRam(64 * MiB),
    cmdline: '',
    kernelName: 'k',
    modules: [],
  });
  if (!r.ok) throw new Error(r.error.message);
  const { entry, info } = r;

  it('EAX = 0x2BADB002, EBX = the MBI address, EIP = the entry point', () => {
    expect(entry).toMatchObject({ eax: 0x2badb002, ebx: 0x9500, eip: 0x10000c });
    expect(info.mbiAddr).toBe(0x9500);
  });

  it('CR0: PE set, PG clear; EFLAGS: VM and IF clear; A20 on', () => {
    expect(entry.cr0 & 1).toBe(1);
    expect(entry.cr0 & 0x80000000).toBe(0);
    expect(entry.eflags & ((1 << 17) | (1 << 9))).toBe(0);
    expect(entry.eflags & 2).toBe(2);
    expect(entry.a20Enabled).toBe(true);
  });

  it('CS is 32-bit execute/read, the data segments 32-bit read/write, all base 0 limit 0xFFFFFFFF', () => {
    const { cs, ...data } = entry.segments;
    const flat = { base: 0, limit: 0xffffffff, present: 1, dpl: 0, db: 1, s: 1, l: 0, g: 1 };
    expect(cs).toMatchObject({ ...flat, selector: 8 });
    expect(cs.type & 0b1010).toBe(0b1010); // code, readable
    for (const seg of Object.values(data)) {
      expect(seg).toMatchObject({ ...flat, selector: 0x10 });
      expect(seg.type & 0b1010).toBe(0b0010); // data, writable
    }
  });

  it('GDTR points at a GDT in RAM whose 0x08 and 0x10 descriptors match the segment registers', () => {
    expect(entry.gdtr).toEqual({ base: info.gdtAddr, limit: 39 });
    const ram = new FakeRam(64 * MiB);
    loadMultiboot(oracleElf(), { ram, cmdline: '', kernelName: 'k', modules: [] });
    // SDM Vol. 3A §3.4.5: limit 0xFFFFF, base 0, access 0x9A / 0x92, flags G=1 D=1.
    expect(ram.bytes(entry.gdtr.base + 8, 8)).toEqual(Uint8Array.from([0xff, 0xff, 0, 0, 0, 0x9a, 0xcf, 0]));
    expect(ram.bytes(entry.gdtr.base + 16, 8)).toEqual(Uint8Array.from([0xff, 0xff, 0, 0, 0, 0x92, 0xcf, 0]));
  });
});
