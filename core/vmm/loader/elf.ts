// ELF32 little-endian i386 executables, as far as a boot loader needs them: the file
// header and the PT_LOAD program headers. Layouts: System V ABI (gABI) "ELF Header" and
// "Program Header"; TIS ELF 1.2, Book I, Figures 1-3 and 2-1.

import { fail, hex, ok, truncated, type LoaderResult } from './errors.ts';

export const ELF_MAGIC = [0x7f, 0x45, 0x4c, 0x46] as const; // "\x7fELF"
export const ELFCLASS32 = 1;
export const ELFCLASS64 = 2;
export const ELFDATA2LSB = 1;
export const EM_386 = 3;
export const EM_X86_64 = 62;
export const PT_LOAD = 1;
export const PF_X = 1;
export const PF_W = 2;
export const PF_R = 4;

/** sizeof(Elf32_Ehdr) and sizeof(Elf32_Phdr). */
export const ELF32_EHDR_SIZE = 52;
export const ELF32_PHDR_SIZE = 32;

export interface Elf32Header {
  readonly type: number; // e_type
  readonly machine: number; // e_machine
  readonly version: number; // e_version
  readonly entry: number; // e_entry (a virtual address)
  readonly phoff: number;
  readonly shoff: number;
  readonly flags: number;
  readonly ehsize: number;
  readonly phentsize: number;
  readonly phnum: number;
}

export interface Elf32ProgramHeader {
  readonly index: number; // position in the program header table
  readonly type: number; // p_type
  readonly offset: number; // p_offset
  readonly vaddr: number; // p_vaddr
  readonly paddr: number; // p_paddr
  readonly filesz: number; // p_filesz
  readonly memsz: number; // p_memsz
  readonly flags: number; // p_flags (PF_X | PF_W | PF_R)
  readonly align: number; // p_align
}

export interface Elf32Image {
  readonly header: Elf32Header;
  /** Every program header, in table order. */
  readonly programHeaders: readonly Elf32ProgramHeader[];
  /** The PT_LOAD ones. */
  readonly loadSegments: readonly Elf32ProgramHeader[];
}

export type ElfIdentity =
  | { readonly format: 'not-elf' }
  | {
      readonly format: 'elf32' | 'elf64' | 'elf-unknown-class';
      readonly elfClass: number;
      readonly encoding: number;
      readonly machine: number;
    };

/** Looks only at e_ident and e_machine, so callers can name the file before parsing it. */
export function identifyElf(image: Uint8Array): ElfIdentity {
  if (image.length < 16 || ELF_MAGIC.some((b, i) => image[i] !== b)) return { format: 'not-elf' };
  const elfClass = image[4]!;
  const encoding = image[5]!;
  // e_machine sits at offset 18 in both classes; read it in the file's own byte order.
  const machine =
    image.length >= 20
      ? encoding === 2
        ? (image[18]! << 8) | image[19]!
        : image[18]! | (image[19]! << 8)
      : 0;
  const format = elfClass === ELFCLASS32 ? 'elf32' : elfClass === ELFCLASS64 ? 'elf64' : 'elf-unknown-class';
  return { format, elfClass, encoding, machine };
}

function view(image: Uint8Array): DataView {
  return new DataView(image.buffer, image.byteOffset, image.byteLength);
}

export function parseElf32(image: Uint8Array): LoaderResult<Elf32Image> {
  const id = identifyElf(image);
  if (id.format === 'not-elf') {
    return fail({ kind: 'not-elf', message: 'not an ELF file (no \\x7fELF magic)' });
  }
  if (id.format === 'elf64') {
    return fail({
      kind: 'elf64',
      machine: id.machine,
      message: `this is an ELF64 kernel: not a multiboot v1 image (e_machine ${id.machine}); give a 32-bit (ELFCLASS32, EM_386) one`,
    });
  }
  if (id.format === 'elf-unknown-class') {
    return fail({
      kind: 'bad-elf-class',
      elfClass: id.elfClass,
      message: `unknown ELF class ${id.elfClass} (expected 1, ELFCLASS32)`,
    });
  }
  if (id.encoding !== ELFDATA2LSB) {
    return fail({
      kind: 'bad-elf-encoding',
      encoding: id.encoding,
      message: `ELF data encoding ${id.encoding} is not ELFDATA2LSB (1): i386 kernels are little-endian`,
    });
  }
  if (image.length < ELF32_EHDR_SIZE)
    return fail(truncated('the ELF32 file header', ELF32_EHDR_SIZE, image.length));
  const dv = view(image);
  const header: Elf32Header = {
    type: dv.getUint16(16, true),
    machine: dv.getUint16(18, true),
    version: dv.getUint32(20, true),
    entry: dv.getUint32(24, true),
    phoff: dv.getUint32(28, true),
    shoff: dv.getUint32(32, true),
    flags: dv.getUint32(36, true),
    ehsize: dv.getUint16(40, true),
    phentsize: dv.getUint16(42, true),
    phnum: dv.getUint16(44, true),
  };
  if (header.machine !== EM_386) {
    return fail({
      kind: 'bad-elf-machine',
      machine: header.machine,
      message: `ELF e_machine ${header.machine} is not EM_386 (3)`,
    });
  }
  if (header.phnum > 0 && header.phentsize !== ELF32_PHDR_SIZE) {
    return fail({
      kind: 'bad-elf',
      message: `e_phentsize is ${header.phentsize}, expected ${ELF32_PHDR_SIZE} for ELF32`,
    });
  }
  const tableEnd = header.phoff + header.phnum * ELF32_PHDR_SIZE;
  if (tableEnd > image.length) return fail(truncated('the ELF program header table', tableEnd, image.length));

  const programHeaders: Elf32ProgramHeader[] = [];
  for (let i = 0; i < header.phnum; i++) {
    const at = header.phoff + i * ELF32_PHDR_SIZE;
    programHeaders.push({
      index: i,
      type: dv.getUint32(at, true),
      offset: dv.getUint32(at + 4, true),
      vaddr: dv.getUint32(at + 8, true),
      paddr: dv.getUint32(at + 12, true),
      filesz: dv.getUint32(at + 16, true),
      memsz: dv.getUint32(at + 20, true),
      flags: dv.getUint32(at + 24, true),
      align: dv.getUint32(at + 28, true),
    });
  }
  const loadSegments = programHeaders.filter((ph) => ph.type === PT_LOAD);
  for (const ph of loadSegments) {
    // gABI: "The file size may not be larger than the memory size."
    if (ph.filesz > ph.memsz) {
      return fail({
        kind: 'bad-elf',
        message: `program header ${ph.index}: p_filesz ${hex(ph.filesz)} is larger than p_memsz ${hex(ph.memsz)}`,
      });
    }
    if (ph.offset + ph.filesz > image.length) {
      return fail(truncated(`the data of program header ${ph.index}`, ph.offset + ph.filesz, image.length));
    }
  }
  return ok({ header, programHeaders, loadSegments });
}
