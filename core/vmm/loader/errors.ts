// Typed loader errors (STYLE.md rule 6: guest input never crashes the host). A bad kernel
// or module file is guest input, so every way it can be wrong is a value here; `throw` is
// kept for host bugs (e.g. a GuestPhysWriter that reports an impossible ramSize).

/** A byte range in guest-physical memory, [start, end). */
export interface GpaRange {
  readonly start: number;
  readonly end: number;
}

export type LoaderError =
  /** The file does not start with the ELF magic, and no a.out kludge says where to load it. */
  | { readonly kind: 'not-elf'; readonly message: string }
  /**
   * An ELF64 file. QEMU refuses it on the ELF path ("Cannot load x86-64 image, give a 32bit
   * one.", hw/i386/multiboot.c); without any multiboot header it is not a multiboot v1
   * image at all (a 64-bit Linux vmlinux boots through PVH or the Linux boot protocol).
   */
  | { readonly kind: 'elf64'; readonly machine: number; readonly message: string }
  /** The file ends before a structure it declares (ELF header, program headers, segment data, multiboot header fields). */
  | {
      readonly kind: 'truncated';
      readonly what: string;
      readonly needed: number;
      readonly size: number;
      readonly message: string;
    }
  /** EI_CLASS is neither ELFCLASS32 (1) nor ELFCLASS64 (2). */
  | { readonly kind: 'bad-elf-class'; readonly elfClass: number; readonly message: string }
  /** EI_DATA is not ELFDATA2LSB (1): i386 is little-endian. */
  | { readonly kind: 'bad-elf-encoding'; readonly encoding: number; readonly message: string }
  /** e_machine is not EM_386 (3), the only machine QEMU's multiboot ELF path accepts. */
  | { readonly kind: 'bad-elf-machine'; readonly machine: number; readonly message: string }
  /** Structurally inconsistent ELF (program header size, p_filesz > p_memsz, overlapping segments). */
  | { readonly kind: 'bad-elf'; readonly message: string }
  /** An ELF32 file with no PT_LOAD segment of non-zero size: nothing to boot. */
  | { readonly kind: 'no-load-segments'; readonly message: string }
  /** No 0x1BADB002 magic at a 4-byte aligned offset in the searched area. */
  | { readonly kind: 'no-multiboot-header'; readonly message: string }
  /** A magic was found, but magic + flags + checksum != 0 (mod 2^32) everywhere it was. */
  | {
      readonly kind: 'bad-checksum';
      readonly offset: number;
      readonly flags: number;
      readonly checksum: number;
      readonly message: string;
    }
  /** The a.out kludge addresses are inconsistent; `field` names the one QEMU rejects. */
  | {
      readonly kind: 'bad-aout-header';
      readonly field: 'header_addr' | 'load_addr' | 'load_end_addr' | 'bss_end_addr';
      readonly message: string;
    }
  /** Something would land beyond the end of guest RAM (or beyond 4 GiB). */
  | {
      readonly kind: 'does-not-fit';
      readonly what: string;
      readonly range: GpaRange;
      readonly ramSize: number;
      readonly message: string;
    }
  /** Something would land in the PC hole 0xA0000-0xFFFFF (VGA window, option ROMs, BIOS). */
  | {
      readonly kind: 'overlaps-hole';
      readonly what: string;
      readonly range: GpaRange;
      readonly message: string;
    }
  /** The module list, its strings or a module would overwrite the fixed boot information area (memory map, MBI, GDT); a kernel may, as under QEMU. */
  | {
      readonly kind: 'overlaps-boot-info';
      readonly what: string;
      readonly range: GpaRange;
      readonly message: string;
    }
  /** A command line or module string contains NUL: the MBI carries C strings. */
  | { readonly kind: 'nul-in-string'; readonly what: string; readonly message: string };

export type LoaderErrorKind = LoaderError['kind'];

export type LoaderResult<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: LoaderError };

export function ok<T>(value: T): LoaderResult<T> {
  return { ok: true, value };
}

export function fail<T>(error: LoaderError): LoaderResult<T> {
  return { ok: false, error };
}

export function hex(n: number): string {
  return '0x' + n.toString(16);
}

export function truncated(what: string, needed: number, size: number): LoaderError {
  return {
    kind: 'truncated',
    what,
    needed,
    size,
    message: `truncated image: ${what} needs ${needed} bytes but the file has ${size}`,
  };
}
