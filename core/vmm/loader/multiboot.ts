// Multiboot v1 loading that behaves like `qemu-system-x86_64 -kernel K -append A -initrd M`
// (QEMU hw/i386/multiboot.c, load_multiboot, plus its option ROM
// pc-bios/optionrom/multiboot.S), per the Multiboot Specification 0.6.96.
//
// Guest-physical layout, as QEMU makes it:
//   0x9000            memory map (§3.3 mmap_addr; QEMU ADDR_E820_MAP)
//   0x9500            Multiboot information, 88 bytes (QEMU ADDR_MBI; EBX)
//   0x9560            a copy of QEMU's boot GDT (ours; QEMU's lives in its option ROM)
//   load_addr ...     the kernel, size = mb_kernel_size (bss included)
//   + page_align(size) module list, 16 bytes per module (QEMU offset_mbinfo)
//                     module strings, then "<kernel path> <append>" (offset_cmdlines)
//                     boot loader name (offset_bootloader)
//   next page         each module, page aligned (flags bit 0 is honoured always, as QEMU)
// QEMU builds all of this from load_addr up in one buffer (mb_buf) that its option ROM
// copies into RAM after it wrote the memory map and the MBI; here it is written straight into
// guest RAM in the same order, so a kernel linked below 0x9588 overwrites the boot information.

import { ok, fail, hex, type GpaRange, type LoaderError, type LoaderResult } from './errors.ts';
import { identifyElf } from './elf.ts';
import { BOOT_GDT, multibootEntryState, type MultibootEntryState } from './entry-state.ts';
import { joinInitrdList } from './initrd-list.ts';
import { kernelFromAout, kernelFromElf, type KernelImage } from './kernel-image.ts';
import {
  encodeMemoryMap,
  HIGH_MEMORY_START,
  memLowerKiB,
  memUpperKiB,
  PC_HOLE_START,
  pcMemoryMap,
  type MemoryMapEntry,
} from './memory-map.ts';
import { findMultibootHeader, headerWarnings, MULTIBOOT_AOUT_KLUDGE } from './multiboot-header.ts';
import { encodeUtf8 } from './utf8.ts';

/** Guest RAM as the loader sees it: [0, ramSize), of which the PC hole 0xA0000-0xFFFFF is off limits. */
export interface GuestPhysWriter {
  /** Bytes of RAM from guest-physical 0, at most 4 GiB. */
  readonly ramSize: number;
  write(gpa: number, bytes: Uint8Array): void;
}

export interface MultibootModule {
  /** The module's string in the MBI: its path and arguments, e.g. "initrd.img root=/dev/sda". */
  readonly name: string;
  readonly data: Uint8Array;
}

export interface MultibootOptions {
  readonly ram: GuestPhysWriter;
  /** The kernel command line (QEMU -append); "" when none. */
  readonly cmdline: string;
  /** The kernel's path as the user gave it: argv[0] of the Multiboot command line. */
  readonly kernelName: string;
  readonly modules: readonly MultibootModule[];
  /** §3.3 boot_loader_name. Default "wasmkvm" (QEMU says "qemu"). */
  readonly bootloaderName?: string;
}

export interface LoadedModule {
  readonly start: number;
  /** One past the last byte, as QEMU and GRUB legacy write mod_end. */
  readonly end: number;
  readonly stringAddr: number;
  readonly string: string;
}

export interface MultibootInfo {
  readonly mbiAddr: number;
  readonly flags: number;
  readonly memLower: number;
  readonly memUpper: number;
  readonly bootDevice: number;
  readonly cmdline: { readonly addr: number; readonly value: string };
  readonly bootloaderName: { readonly addr: number; readonly value: string };
  readonly modsAddr: number;
  readonly modules: readonly LoadedModule[];
  readonly mmapAddr: number;
  readonly mmapLength: number;
  readonly memoryMap: readonly MemoryMapEntry[];
  readonly gdtAddr: number;
  readonly kernel: {
    readonly source: 'elf' | 'aout-kludge';
    readonly headerOffset: number;
    readonly headerFlags: number;
    readonly loadAddr: number;
    /** loadAddr + mb_kernel_size. */
    readonly end: number;
    readonly entry: number;
  };
  /** First byte after everything placed from the kernel up (the last module, page aligned). */
  readonly end: number;
  /** Header flags QEMU ignores, entry point oddities. */
  readonly warnings: readonly string[];
}

export type MultibootLoadResult =
  | { readonly ok: true; readonly entry: MultibootEntryState; readonly info: MultibootInfo }
  | { readonly ok: false; readonly error: LoaderError };

/** QEMU MULTIBOOT_STRUCT_ADDR / ADDR_E820_MAP: below 1 MiB so its real-mode option ROM can fill it. */
export const MULTIBOOT_MMAP_ADDR = 0x9000;
/** QEMU ADDR_MBI = ADDR_E820_MAP + 0x500. */
export const MULTIBOOT_INFO_ADDR = 0x9500;
/** §3.3: the information structure runs to vbe_interface_len at offset 86. */
export const MBI_SIZE = 88;
export const BOOT_GDT_ADDR = 0x9560;
const BOOT_INFO_AREA: GpaRange = { start: MULTIBOOT_MMAP_ADDR, end: BOOT_GDT_ADDR + BOOT_GDT.length };
const MMAP_MAX_BYTES = MULTIBOOT_INFO_ADDR - MULTIBOOT_MMAP_ADDR;

/** §3.3 "flags" bits of the information structure. */
export const MULTIBOOT_INFO_MEMORY = 1 << 0;
export const MULTIBOOT_INFO_BOOTDEV = 1 << 1;
export const MULTIBOOT_INFO_CMDLINE = 1 << 2;
export const MULTIBOOT_INFO_MODS = 1 << 3;
export const MULTIBOOT_INFO_MEM_MAP = 1 << 6;
export const MULTIBOOT_INFO_BOOT_LOADER_NAME = 1 << 9;
/** The set QEMU passes: "MEMORY | BOOT_DEVICE | CMDLINE | MODULES | MMAP | BOOTLOADER". */
export const QEMU_MBI_FLAGS =
  MULTIBOOT_INFO_MEMORY |
  MULTIBOOT_INFO_BOOTDEV |
  MULTIBOOT_INFO_CMDLINE |
  MULTIBOOT_INFO_MODS |
  MULTIBOOT_INFO_MEM_MAP |
  MULTIBOOT_INFO_BOOT_LOADER_NAME;
/** §3.3 boot_device = drive 0x80 (first hard disk), part1 0, part2 and part3 unused; QEMU's fixed value. */
export const QEMU_BOOT_DEVICE = 0x8000ffff;
/** §3.3 module structure: mod_start, mod_end, string, reserved. */
const MB_MOD_SIZE = 16;
const PAGE_SIZE = 4096;

const pageAlign = (n: number): number => Math.ceil(n / PAGE_SIZE) * PAGE_SIZE;

export function loadMultiboot(image: Uint8Array, opts: MultibootOptions): MultibootLoadResult {
  const { ram } = opts;
  if (!Number.isInteger(ram.ramSize) || ram.ramSize <= 0 || ram.ramSize > 0x1_0000_0000) {
    throw new RangeError(`GuestPhysWriter.ramSize must be an integer in (0, 4 GiB], got ${ram.ramSize}`);
  }
  const bootloaderName = opts.bootloaderName ?? 'wasmkvm';
  const strings: [string, string][] = [
    ['the kernel path', opts.kernelName],
    ['the kernel command line', opts.cmdline],
    ['the boot loader name', bootloaderName],
    ...opts.modules.map((m, i): [string, string] => [`the string of module ${i}`, m.name]),
  ];
  for (const [what, s] of strings) {
    if (s.includes('\0')) {
      const message = `${what} contains a NUL character, which a C string in the MBI cannot hold`;
      return { ok: false, error: { kind: 'nul-in-string', what, message } };
    }
  }

  const found = findMultibootHeader(image);
  if (!found.ok) {
    const id = identifyElf(image);
    if (found.error.kind === 'no-multiboot-header' && id.format === 'elf64') {
      const message = 'this is an ELF64 kernel without a multiboot v1 header: not a multiboot v1 image';
      return { ok: false, error: { kind: 'elf64', machine: id.machine, message } };
    }
    return found;
  }
  const header = found.value;
  // QEMU's order: the a.out kludge, when flags bit 16 is set, wins over any ELF headers
  // ("if (!(flags & 0x00010000)) { ... load_elf ... } else { ... header_addr ... }").
  const kernel =
    header.flags & MULTIBOOT_AOUT_KLUDGE && header.aout
      ? kernelFromAout(image, header.offset, header.aout, ram.ramSize)
      : kernelFromElf(image);
  if (!kernel.ok) return kernel;

  const layout = layOut(kernel.value, opts, bootloaderName);
  const memoryMap = pcMemoryMap(ram.ramSize);
  const mmap = encodeMemoryMap(memoryMap);
  if (mmap.length > MMAP_MAX_BYTES) throw new Error('memory map does not fit below the MBI'); // host bug: pcMemoryMap has 4 entries

  const placed = checkPlacement(kernel.value, layout, ram.ramSize);
  if (!placed.ok) return placed;

  const info: MultibootInfo = {
    mbiAddr: MULTIBOOT_INFO_ADDR,
    flags: QEMU_MBI_FLAGS,
    memLower: memLowerKiB(memoryMap),
    memUpper: memUpperKiB(memoryMap),
    bootDevice: QEMU_BOOT_DEVICE,
    cmdline: layout.cmdline,
    bootloaderName: layout.bootloaderName,
    modsAddr: layout.modsAddr,
    modules: layout.modules,
    mmapAddr: MULTIBOOT_MMAP_ADDR,
    mmapLength: mmap.length,
    memoryMap,
    gdtAddr: BOOT_GDT_ADDR,
    kernel: {
      source: kernel.value.source,
      headerOffset: header.offset,
      headerFlags: header.flags,
      loadAddr: kernel.value.loadAddr,
      end: kernel.value.loadAddr + kernel.value.size,
      entry: kernel.value.entry,
    },
    end: layout.end,
    warnings: [...headerWarnings(header.flags), ...kernel.value.warnings, ...placed.value],
  };

  // QEMU's order: the option ROM fills the memory map and the MBI first, then copies the
  // kernel (mb_buf: kernel, module list, strings, modules) over RAM, so a kernel loaded
  // across 0x9000 (kvm-unit-tests' realmode.flat, linked at 0x8000) overwrites them.
  ram.write(MULTIBOOT_MMAP_ADDR, mmap);
  ram.write(MULTIBOOT_INFO_ADDR, encodeMbi(info));
  ram.write(BOOT_GDT_ADDR, BOOT_GDT);
  for (const piece of kernel.value.pieces) {
    ram.write(piece.gpa, piece.data);
    writeZeros(ram, piece.gpa + piece.data.length, piece.zeroBytes);
  }
  ram.write(layout.infoBlock.gpa, layout.infoBlock.bytes);
  opts.modules.forEach((m, i) => ram.write(layout.modules[i]!.start, m.data));

  return {
    ok: true,
    entry: multibootEntryState(kernel.value.entry, MULTIBOOT_INFO_ADDR, BOOT_GDT_ADDR),
    info,
  };
}

interface Layout {
  /** Module list, strings and boot loader name: one zero-padded block from page_align(kernel end). */
  readonly infoBlock: { readonly gpa: number; readonly bytes: Uint8Array };
  readonly modsAddr: number;
  readonly modules: readonly LoadedModule[];
  readonly cmdline: { readonly addr: number; readonly value: string };
  readonly bootloaderName: { readonly addr: number; readonly value: string };
  readonly end: number;
}

/**
 * QEMU's offsets, step by step (load_multiboot, "Calculate space for cmdlines, bootloader
 * name, and mb_mods"). The space reserved for strings is strlen(kernel path) + 1 +
 * strlen(append) + 1 + strlen(raw -initrd option) + 1, and the boot loader name goes at
 * the end of that reservation, not right after the last string: we reproduce that, taking
 * the raw option as joinInitrdList(module names), so addresses match QEMU's byte for byte.
 */
function layOut(kernel: KernelImage, opts: MultibootOptions, bootloaderName: string): Layout {
  const base = kernel.loadAddr; // mb_buf_phys
  const count = opts.modules.length; // mb_mods_avail
  const offsetMbinfo = pageAlign(kernel.size);
  const moduleStrings = opts.modules.map((m) => encodeUtf8(m.name));
  const kernelCmdline = `${opts.kernelName} ${opts.cmdline}`; // snprintf("%s %s") even when append is ""
  const kernelCmdlineBytes = encodeUtf8(kernelCmdline);
  const loaderBytes = encodeUtf8(bootloaderName);
  let cmdlineLen = encodeUtf8(opts.kernelName).length + 1 + encodeUtf8(opts.cmdline).length + 1;
  if (count > 0) cmdlineLen += encodeUtf8(joinInitrdList(opts.modules.map((m) => m.name))).length + 1;
  const infoEnd = pageAlign(offsetMbinfo + cmdlineLen + MB_MOD_SIZE * count + loaderBytes.length + 1);
  const offsetBootloader = offsetMbinfo + MB_MOD_SIZE * count + cmdlineLen;

  const block = new Uint8Array(infoEnd - offsetMbinfo);
  const dv = new DataView(block.buffer);
  let offsetCmdlines = offsetMbinfo + MB_MOD_SIZE * count;
  const addString = (bytes: Uint8Array): number => {
    const at = offsetCmdlines;
    block.set(bytes, at - offsetMbinfo); // NUL terminator: the block is zero-filled
    offsetCmdlines += bytes.length + 1;
    return base + at;
  };

  let bufSize = infoEnd; // mb_buf_size
  const modules: LoadedModule[] = opts.modules.map((m, i) => {
    const stringAddr = addString(moduleStrings[i]!);
    const offs = bufSize;
    bufSize = pageAlign(offs + m.data.length);
    const mod = { start: base + offs, end: base + offs + m.data.length, stringAddr, string: m.name };
    const at = MB_MOD_SIZE * i;
    dv.setUint32(at, mod.start, true); // mod_start
    dv.setUint32(at + 4, mod.end, true); // mod_end
    dv.setUint32(at + 8, mod.stringAddr, true); // string; reserved (at + 12) stays 0
    return mod;
  });
  const cmdlineAddr = addString(kernelCmdlineBytes);
  block.set(loaderBytes, offsetBootloader - offsetMbinfo);
  return {
    infoBlock: { gpa: base + offsetMbinfo, bytes: block },
    modsAddr: base + offsetMbinfo,
    modules,
    cmdline: { addr: cmdlineAddr, value: kernelCmdline },
    bootloaderName: { addr: base + offsetBootloader, value: bootloaderName },
    end: base + bufSize,
  };
}

/**
 * Refuses anything that would leave RAM or land in the PC hole. The kernel may cover the boot
 * information area, as under QEMU, where it then overwrites the memory map, the MBI and (ours
 * only) the GDT copy: the result is a warning. The module list, strings and modules may not,
 * because the kernel would then read an MBI that points into garbage.
 */
function checkPlacement(kernel: KernelImage, layout: Layout, ramSize: number): LoaderResult<string[]> {
  const ranges: { what: string; range: GpaRange; isKernel: boolean }[] = [
    { what: 'the boot information (memory map, MBI, GDT)', range: BOOT_INFO_AREA, isKernel: true },
    ...kernel.pieces.map((p) => ({
      what: p.what,
      range: { start: p.gpa, end: p.gpa + p.data.length + p.zeroBytes },
      isKernel: true,
    })),
    {
      what: 'the module list and command lines',
      range: { start: layout.infoBlock.gpa, end: layout.infoBlock.gpa + layout.infoBlock.bytes.length },
      isKernel: false,
    },
    ...layout.modules.map((m, i) => ({
      what: `module ${i} (${m.string})`,
      range: { start: m.start, end: m.end },
      isKernel: false,
    })),
  ];
  const warnings: string[] = [];
  const area = `${hex(BOOT_INFO_AREA.start)}-${hex(BOOT_INFO_AREA.end)}`;
  for (const { what, range, isKernel } of ranges) {
    if (range.end === range.start) continue;
    const where = `${hex(range.start)}-${hex(range.end)}`;
    if (range.start < HIGH_MEMORY_START && range.end > PC_HOLE_START) {
      const message = `${what} at ${where} overlaps the PC hole 0xa0000-0x100000 (VGA, option ROMs, BIOS)`;
      return fail({ kind: 'overlaps-hole', what, range, message });
    }
    if (range.end > ramSize) {
      const message = `${what} at ${where} does not fit in ${ramSize / 1048576} MiB of guest RAM (ends at ${hex(ramSize)})`;
      return fail({ kind: 'does-not-fit', what, range, ramSize, message });
    }
    if (range === BOOT_INFO_AREA || range.start >= BOOT_INFO_AREA.end || range.end <= BOOT_INFO_AREA.start) continue;
    if (!isKernel) {
      const message = `${what} at ${where} overlaps the boot information at ${area} (QEMU's fixed MBI and memory map addresses)`;
      return fail({ kind: 'overlaps-boot-info', what, range, message });
    }
    warnings.push(`${what} at ${where} overwrites the boot information at ${area} (memory map, MBI, boot GDT), as QEMU's loader does`);
  }
  return ok(warnings);
}

/** §3.3 "Boot information format": the fields QEMU fills; the rest stay 0. */
function encodeMbi(info: MultibootInfo): Uint8Array {
  const mbi = new Uint8Array(MBI_SIZE);
  const dv = new DataView(mbi.buffer);
  dv.setUint32(0, info.flags, true);
  dv.setUint32(4, info.memLower, true); // mem_lower
  dv.setUint32(8, info.memUpper, true); // mem_upper
  dv.setUint32(12, info.bootDevice, true); // boot_device
  dv.setUint32(16, info.cmdline.addr, true); // cmdline
  dv.setUint32(20, info.modules.length, true); // mods_count
  dv.setUint32(24, info.modsAddr, true); // mods_addr
  // 28..43: syms (a.out symbol table or ELF section headers): flags bits 4/5 clear, as QEMU.
  dv.setUint32(44, info.mmapLength, true); // mmap_length
  dv.setUint32(48, info.mmapAddr, true); // mmap_addr
  // 52..63: drives_length, drives_addr, config_table: flags bits 7/8 clear.
  dv.setUint32(64, info.bootloaderName.addr, true); // boot_loader_name
  // 68..87: apm_table, vbe_*: flags bits 10/11 clear.
  return mbi;
}

const ZEROS = new Uint8Array(64 * 1024);

function writeZeros(ram: GuestPhysWriter, gpa: number, length: number): void {
  for (let done = 0; done < length; done += ZEROS.length) {
    ram.write(gpa + done, ZEROS.subarray(0, Math.min(ZEROS.length, length - done)));
  }
}
