// Where the kernel's bytes go: from ELF program headers, or from the multiboot header's
// a.out kludge addresses. Both follow QEMU's hw/i386/multiboot.c (load_multiboot) and,
// for ELF, QEMU's include/hw/elf_ops.h (load_elf), which that function calls.

import { parseElf32, identifyElf, PF_X, type Elf32Image } from './elf.ts';
import { fail, hex, ok, type LoaderResult } from './errors.ts';
import type { MultibootAoutFields } from './multiboot-header.ts';

/** `data` goes to `gpa`, followed by `zeroBytes` zeros (bss). */
export interface KernelPiece {
  readonly what: string;
  readonly gpa: number;
  readonly data: Uint8Array;
  readonly zeroBytes: number;
}

export interface KernelImage {
  readonly source: 'elf' | 'aout-kludge';
  /** QEMU's mh_load_addr: the lowest loaded address; the MBI area is laid out from here. */
  readonly loadAddr: number;
  /** QEMU's mb_kernel_size: bytes from loadAddr to the end of the image (bss included). */
  readonly size: number;
  /** Physical entry point (QEMU's mh_entry_addr). */
  readonly entry: number;
  readonly pieces: readonly KernelPiece[];
  readonly warnings: readonly string[];
}

const FOUR_GIB = 0x1_0000_0000;

/**
 * The a.out kludge (Multiboot 0.6.96 §3.1.3), with QEMU's checks in QEMU's order and
 * QEMU's error wording in the messages:
 *   header_addr < load_addr                  -> "invalid load_addr address"
 *   header_addr - load_addr > header offset  -> "invalid header_addr address"
 *   load_end_addr != 0 && < load_addr        -> "invalid load_end_addr address"
 *   load size > 0xffffffff - load_addr       -> "kernel does not fit in address space"
 *   bss_end_addr != 0 && < load end          -> "invalid bss_end_addr address"
 *   load size past the end of the file       -> "fread() failed"
 * load_end_addr = 0 loads to the end of the file; bss_end_addr = 0 means no bss (§3.1.3).
 */
export function kernelFromAout(
  image: Uint8Array,
  headerOffset: number,
  a: MultibootAoutFields,
  ramSize: number,
): LoaderResult<KernelImage> {
  if (a.headerAddr < a.loadAddr) {
    return fail({
      kind: 'bad-aout-header',
      field: 'load_addr',
      message: `invalid load_addr address: load_addr ${hex(a.loadAddr)} is above header_addr ${hex(a.headerAddr)}`,
    });
  }
  if (a.headerAddr - a.loadAddr > headerOffset) {
    return fail({
      kind: 'bad-aout-header',
      field: 'header_addr',
      message:
        `invalid header_addr address: header_addr - load_addr = ${hex(a.headerAddr - a.loadAddr)} ` +
        `but the header is at file offset ${hex(headerOffset)}, so the text would start before the file`,
    });
  }
  // The file offset that load_addr corresponds to (QEMU's mb_kernel_text_offset).
  const textOffset = headerOffset - (a.headerAddr - a.loadAddr);
  let loadSize: number;
  if (a.loadEndAddr !== 0) {
    if (a.loadEndAddr < a.loadAddr) {
      return fail({
        kind: 'bad-aout-header',
        field: 'load_end_addr',
        message: `invalid load_end_addr address: ${hex(a.loadEndAddr)} is below load_addr ${hex(a.loadAddr)}`,
      });
    }
    loadSize = a.loadEndAddr - a.loadAddr;
  } else {
    loadSize = image.length - textOffset;
  }
  if (a.loadAddr + loadSize > FOUR_GIB) {
    const range = { start: a.loadAddr, end: a.loadAddr + loadSize };
    return fail({
      kind: 'does-not-fit',
      what: 'kernel',
      range,
      ramSize,
      message: 'kernel does not fit in the 32-bit address space',
    });
  }
  let size = loadSize;
  if (a.bssEndAddr !== 0) {
    if (a.bssEndAddr < a.loadAddr + loadSize) {
      return fail({
        kind: 'bad-aout-header',
        field: 'bss_end_addr',
        message: `invalid bss_end_addr address: ${hex(a.bssEndAddr)} is below the end of the loaded text ${hex(a.loadAddr + loadSize)}`,
      });
    }
    size = a.bssEndAddr - a.loadAddr;
  }
  if (textOffset + loadSize > image.length) {
    return fail({
      kind: 'truncated',
      what: 'the kernel text (load_end_addr - load_addr bytes from the a.out kludge)',
      needed: textOffset + loadSize,
      size: image.length,
      message: `truncated image: load_end_addr asks for ${hex(loadSize)} bytes from file offset ${hex(textOffset)} but the file has ${image.length} bytes`,
    });
  }
  const data = image.subarray(textOffset, textOffset + loadSize);
  return ok({
    source: 'aout-kludge',
    loadAddr: a.loadAddr,
    size,
    entry: a.entryAddr,
    pieces: [{ what: 'kernel', gpa: a.loadAddr, data, zeroBytes: size - loadSize }],
    warnings: [],
  });
}

/**
 * An ELF32 kernel, loaded the way QEMU's load_elf does for multiboot: each PT_LOAD at its
 * p_paddr, p_filesz bytes from the file, zeros up to p_memsz. The range [lowest p_paddr,
 * highest p_paddr + p_memsz) is the kernel for the MBI layout (mh_load_addr, mb_kernel_size).
 */
export function kernelFromElf(image: Uint8Array): LoaderResult<KernelImage> {
  const id = identifyElf(image);
  if (id.format === 'not-elf') {
    return fail({
      kind: 'not-elf',
      message:
        'the multiboot header has no a.out kludge (flags bit 16), so the kernel must be ELF, but this file is not ELF',
    });
  }
  const parsed = parseElf32(image);
  if (!parsed.ok) return parsed;
  const elf = parsed.value;
  // QEMU's load_elf skips segments of zero size ("Some ELF files really do have segments
  // of zero size; just ignore them"); we keep them out of low/high too, so an empty
  // segment at address 0 cannot drag the MBI layout down to 0.
  const segments = elf.loadSegments.filter((ph) => ph.memsz !== 0).sort((x, y) => x.paddr - y.paddr);
  if (segments.length === 0) {
    return fail({
      kind: 'no-load-segments',
      message: 'the ELF kernel has no PT_LOAD segment with a non-zero p_memsz',
    });
  }
  for (let i = 1; i < segments.length; i++) {
    const prev = segments[i - 1]!;
    const cur = segments[i]!;
    // QEMU refuses overlapping ROM blobs at machine reset ("rom: requested regions overlap").
    if (prev.paddr + prev.memsz > cur.paddr) {
      return fail({
        kind: 'bad-elf',
        message: `program headers ${prev.index} and ${cur.index} overlap in physical memory at ${hex(cur.paddr)}`,
      });
    }
  }
  const low = segments[0]!.paddr;
  const high = Math.max(...segments.map((ph) => ph.paddr + ph.memsz));
  const entry = elfEntry(elf);
  const warnings: string[] = [];
  if (!segments.some((ph) => entry >= ph.paddr && entry < ph.paddr + ph.memsz)) {
    warnings.push(`ELF entry point ${hex(entry)} is outside every loaded segment`);
  }
  const pieces = segments.map((ph) => ({
    what: `kernel segment ${ph.index}`,
    gpa: ph.paddr,
    data: image.subarray(ph.offset, ph.offset + ph.filesz),
    zeroBytes: ph.memsz - ph.filesz,
  }));
  return ok({ source: 'elf', loadAddr: low, size: high - low, entry, pieces, warnings });
}

/**
 * e_entry is a virtual address. QEMU's load_elf: "if the text segments paddr and vaddr
 * differ we need to adjust the entry": for an executable (PF_X) segment whose
 * [p_vaddr, p_vaddr + p_filesz) holds e_entry, entry = e_entry - p_vaddr + p_paddr.
 * This is what lets a higher-half kernel (vaddr 0xC0100000, paddr 0x100000) start.
 * The last matching program header wins, as in QEMU's loop.
 */
function elfEntry(elf: Elf32Image): number {
  const e = elf.header.entry;
  let entry = e;
  for (const ph of elf.loadSegments) {
    if (ph.vaddr !== ph.paddr && e >= ph.vaddr && e < ph.vaddr + ph.filesz && ph.flags & PF_X) {
      entry = (e - ph.vaddr + ph.paddr) >>> 0;
    }
  }
  return entry;
}
