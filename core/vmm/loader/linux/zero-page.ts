// struct boot_params, "the zero page" (Documentation/arch/x86/zero-page.rst and boot.rst):
// the 4 KiB block the 32- and 64-bit boot protocols hand the kernel in %esi/%rsi. The
// setup header is copied from the image to 0x1f1, then the loader writes the fields
// boot.rst marks "write" (type_of_loader, loadflags, heap_end_ptr, cmd_line_ptr,
// ramdisk_*, vid_mode, hardware_subarch) plus the e820 table and acpi_rsdp_addr.

import { encodeE820, E820_MAX_ENTRIES, type E820Entry } from './e820.ts';
import {
  CAN_USE_HEAP,
  CMD_LINE_PTR,
  CODE32_START,
  HARDWARE_SUBARCH,
  HEAP_END_PTR,
  LOADFLAGS,
  PROTOCOL_ACPI_RSDP,
  RAMDISK_IMAGE,
  RAMDISK_SIZE,
  SETUP_SECTS,
  TYPE_OF_LOADER,
  VID_MODE,
  type SetupHeader,
} from './setup-header.ts';

export const ZERO_PAGE_SIZE = 0x1000;
// boot_params offsets outside the setup header (zero-page.rst).
export const BP_ACPI_RSDP_ADDR = 0x070; // u64, protocol 2.14+
export const BP_E820_ENTRIES = 0x1e8; // u8
export const BP_E820_TABLE = 0x2d0; // 128 x struct boot_e820_entry

/** boot.rst: "If your boot loader does not have an assigned ID, enter 0xFF here." */
export const LOADER_TYPE_UNDEFINED = 0xff;
/** vid_mode 0xffff: "normal", the BIOS text mode as it is (boot.rst, "vid_mode"). */
export const VID_MODE_NORMAL = 0xffff;
/** hardware_subarch 0: X86_SUBARCH_PC, the default x86 PC environment. */
export const X86_SUBARCH_PC = 0;

export interface ZeroPageFields {
  readonly cmdLinePtr: number;
  /** heap_end_ptr: offset from the setup code of the end of its heap, minus 0x200. */
  readonly heapEndPtr: number;
  /** code32_start: where the protected-mode kernel actually is. */
  readonly code32Start: number;
  readonly ramdisk?: { readonly image: number; readonly size: number };
  readonly e820: readonly E820Entry[];
  readonly acpiRsdpAddr?: number;
}

export function buildZeroPage(image: Uint8Array, header: SetupHeader, f: ZeroPageFields): Uint8Array {
  if (f.e820.length > E820_MAX_ENTRIES) throw new RangeError(`zero page: ${f.e820.length} e820 entries`);
  const bp = new Uint8Array(ZERO_PAGE_SIZE);
  bp.set(image.subarray(SETUP_SECTS, header.headerEnd), SETUP_SECTS);
  const dv = new DataView(bp.buffer);
  dv.setUint16(VID_MODE, VID_MODE_NORMAL, true);
  dv.setUint8(TYPE_OF_LOADER, LOADER_TYPE_UNDEFINED);
  dv.setUint8(LOADFLAGS, header.loadflags | CAN_USE_HEAP);
  dv.setUint32(CODE32_START, f.code32Start, true);
  dv.setUint16(HEAP_END_PTR, f.heapEndPtr, true);
  dv.setUint32(CMD_LINE_PTR, f.cmdLinePtr, true);
  dv.setUint32(RAMDISK_IMAGE, f.ramdisk?.image ?? 0, true);
  dv.setUint32(RAMDISK_SIZE, f.ramdisk?.size ?? 0, true);
  dv.setUint32(HARDWARE_SUBARCH, X86_SUBARCH_PC, true);
  if (f.acpiRsdpAddr !== undefined && header.version >= PROTOCOL_ACPI_RSDP) {
    dv.setUint32(BP_ACPI_RSDP_ADDR, f.acpiRsdpAddr % 2 ** 32, true);
    dv.setUint32(BP_ACPI_RSDP_ADDR + 4, Math.floor(f.acpiRsdpAddr / 2 ** 32), true);
  }
  dv.setUint8(BP_E820_ENTRIES, f.e820.length);
  bp.set(encodeE820(f.e820), BP_E820_TABLE);
  return bp;
}
