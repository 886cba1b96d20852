// The Multiboot v1 header in the OS image: Multiboot Specification 0.6.96, section 3.1
// "OS image format", and how QEMU's hw/i386/multiboot.c (load_multiboot) finds it.

import { fail, hex, ok, truncated, type LoaderResult } from './errors.ts';

/** §3.1.1: magic of the header in the OS image. */
export const MULTIBOOT_HEADER_MAGIC = 0x1badb002;
/** §3.1.1: the header must lie within the first 8192 bytes, 32-bit aligned. */
export const MULTIBOOT_SEARCH = 8192;
/** §3.1.2 flags. */
export const MULTIBOOT_PAGE_ALIGN = 1 << 0;
export const MULTIBOOT_MEMORY_INFO = 1 << 1;
export const MULTIBOOT_VIDEO_MODE = 1 << 2;
export const MULTIBOOT_AOUT_KLUDGE = 1 << 16;
/** §3.1.2: bits 0-15 are requirements a boot loader must understand or refuse. */
const MULTIBOOT_MUST_KNOW = 0x0000ffff;
const MULTIBOOT_KNOWN = MULTIBOOT_PAGE_ALIGN | MULTIBOOT_MEMORY_INFO | MULTIBOOT_VIDEO_MODE;

/**
 * QEMU scans `for (i = 0; i < (8192 - 48); i += 4)`: "The header is 12x32bit long, so the
 * latest entry may be 8192 - 48." A header must therefore start at or before 8140, which is
 * stricter than §3.1.1 for headers without video fields; we follow QEMU.
 */
const QEMU_SCAN_END = MULTIBOOT_SEARCH - 48;

/** §3.1.3 address fields, valid when flags bit 16 is set. */
export interface MultibootAoutFields {
  readonly headerAddr: number;
  readonly loadAddr: number;
  readonly loadEndAddr: number;
  readonly bssEndAddr: number;
  readonly entryAddr: number;
}

/** §3.1.4 graphics fields, valid when flags bit 2 is set (QEMU ignores them). */
export interface MultibootVideoFields {
  readonly modeType: number;
  readonly width: number;
  readonly height: number;
  readonly depth: number;
}

export interface MultibootHeader {
  /** File offset of the magic. */
  readonly offset: number;
  readonly flags: number;
  readonly checksum: number;
  readonly aout: MultibootAoutFields | undefined;
  readonly video: MultibootVideoFields | undefined;
}

function u32(image: Uint8Array, at: number): number {
  return (image[at]! | (image[at + 1]! << 8) | (image[at + 2]! << 16) | (image[at + 3]! << 24)) >>> 0;
}

/**
 * Finds the first header whose checksum is right, as QEMU does: a magic with a wrong
 * checksum is skipped and the scan goes on. Only when no valid header exists do we say
 * 'bad-checksum' (pointing at the first bad one) rather than 'no-multiboot-header'.
 */
export function findMultibootHeader(image: Uint8Array): LoaderResult<MultibootHeader> {
  let firstBad: { offset: number; flags: number; checksum: number } | undefined;
  for (let i = 0; i < QEMU_SCAN_END && i + 12 <= image.length; i += 4) {
    if (u32(image, i) !== MULTIBOOT_HEADER_MAGIC) continue;
    const flags = u32(image, i + 4);
    const checksum = u32(image, i + 8);
    // §3.1.2 "checksum": magic + flags + checksum must be 0 as a u32 sum.
    if ((MULTIBOOT_HEADER_MAGIC + flags + checksum) >>> 0 !== 0) {
      firstBad ??= { offset: i, flags, checksum };
      continue;
    }
    let aout: MultibootAoutFields | undefined;
    let video: MultibootVideoFields | undefined;
    if (flags & MULTIBOOT_AOUT_KLUDGE) {
      // QEMU reads past the file end as zeros (its header buffer is zero-filled); a kludge
      // header cut off by the end of the file is a broken image, so we say so.
      if (i + 32 > image.length)
        return fail(truncated('the multiboot a.out kludge fields', i + 32, image.length));
      aout = {
        headerAddr: u32(image, i + 12),
        loadAddr: u32(image, i + 16),
        loadEndAddr: u32(image, i + 20),
        bssEndAddr: u32(image, i + 24),
        entryAddr: u32(image, i + 28),
      };
    }
    if (flags & MULTIBOOT_VIDEO_MODE && i + 48 <= image.length) {
      video = {
        modeType: u32(image, i + 32),
        width: u32(image, i + 36),
        height: u32(image, i + 40),
        depth: u32(image, i + 44),
      };
    }
    return ok({ offset: i, flags, checksum, aout, video });
  }
  if (firstBad) {
    const want = (0x100000000 - ((MULTIBOOT_HEADER_MAGIC + firstBad.flags) >>> 0)) >>> 0;
    return fail({
      kind: 'bad-checksum',
      ...firstBad,
      message:
        `multiboot header at file offset ${hex(firstBad.offset)} has checksum ${hex(firstBad.checksum)}, ` +
        `expected ${hex(want)} (magic + flags + checksum must be 0 mod 2^32)`,
    });
  }
  return fail({
    kind: 'no-multiboot-header',
    message: `no multiboot v1 header (magic 0x1badb002, 4-byte aligned) in the first ${QEMU_SCAN_END} bytes`,
  });
}

/**
 * What QEMU says about header flags it does not act on. QEMU prints "multiboot knows VBE.
 * we don't" for bit 2 and boots anyway; it ignores other unknown bits 0-15 even though
 * §3.1.2 says a boot loader must refuse them. We boot like QEMU and report both.
 */
export function headerWarnings(flags: number): string[] {
  const warnings: string[] = [];
  if (flags & MULTIBOOT_VIDEO_MODE) {
    warnings.push(
      'multiboot header requests a video mode (flags bit 2): not supported, ignored as QEMU does',
    );
  }
  const unknown = flags & MULTIBOOT_MUST_KNOW & ~MULTIBOOT_KNOWN;
  if (unknown) {
    warnings.push(
      `multiboot header sets unknown required flags ${hex(unknown)}: the spec (3.1.2) says to refuse the image; QEMU boots it, so do we`,
    );
  }
  return warnings;
}
