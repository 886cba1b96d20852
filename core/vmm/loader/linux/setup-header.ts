// The real-mode kernel header of a Linux bzImage (Documentation/arch/x86/boot.rst, "THE
// REAL-MODE KERNEL HEADER"): the fields a boot loader reads, at their file offsets, which
// are also their offsets in struct boot_params (the header is copied to 0x1f1 of the zero
// page). Parsing never throws: a file that is not a bzImage is an error value.

export const SETUP_SECTS = 0x1f1; // u8; 0 means 4
export const BOOT_FLAG = 0x1fe; // u16 0xAA55
export const SETUP_JUMP = 0x200; // u16: the jump; byte 0x201 gives the header's end
export const HEADER = 0x202; // u32 "HdrS"
export const VERSION = 0x206; // u16 protocol version
export const TYPE_OF_LOADER = 0x210; // u8 (write)
export const LOADFLAGS = 0x211; // u8
export const CODE32_START = 0x214; // u32
export const RAMDISK_IMAGE = 0x218; // u32 (write)
export const RAMDISK_SIZE = 0x21c; // u32 (write)
export const HEAP_END_PTR = 0x224; // u16 (write)
export const CMD_LINE_PTR = 0x228; // u32 (write)
export const INITRD_ADDR_MAX = 0x22c; // u32, 2.03+
export const KERNEL_ALIGNMENT = 0x230; // u32, 2.05+
export const RELOCATABLE_KERNEL = 0x234; // u8, 2.05+
export const XLOADFLAGS = 0x236; // u16, 2.12+
export const CMDLINE_SIZE = 0x238; // u32, 2.06+
export const HARDWARE_SUBARCH = 0x23c; // u32, 2.07+ (write)
export const PREF_ADDRESS = 0x258; // u64, 2.10+
export const INIT_SIZE = 0x260; // u32, 2.10+
export const VID_MODE = 0x1fa; // u16 (write)

export const HDRS_MAGIC = 0x53726448; // "HdrS" little-endian
export const BOOT_FLAG_MAGIC = 0xaa55;

// loadflags bits.
export const LOADED_HIGH = 0x01; // protected-mode code at 0x100000 (bzImage)
export const KEEP_SEGMENTS = 0x40;
export const CAN_USE_HEAP = 0x80;

// xloadflags bits (2.12+).
export const XLF_KERNEL_64 = 1 << 0; // has the legacy 64-bit entry at load address + 0x200
export const XLF_CAN_BE_LOADED_ABOVE_4G = 1 << 1;

/** 2.06: cmdline_size exists; the oldest protocol this loader speaks (kernels since 2.6.22). */
export const MIN_PROTOCOL = 0x0206;
/** 2.14: boot_params.acpi_rsdp_addr is honoured. */
export const PROTOCOL_ACPI_RSDP = 0x020e;
/** boot.rst: setup_sects 0 means 4 sectors. */
const DEFAULT_SETUP_SECTS = 4;
const SECTOR = 512;

export interface SetupHeader {
  /** Protocol version, e.g. 0x020f for 2.15. */
  readonly version: number;
  /** Real-mode setup code: the boot sector plus setup_sects sectors. */
  readonly setupSize: number;
  /** One past the header's last byte: 0x202 + the byte at 0x201. */
  readonly headerEnd: number;
  readonly loadflags: number;
  readonly code32Start: number;
  readonly initrdAddrMax: number;
  readonly kernelAlignment: number;
  readonly relocatable: boolean;
  readonly xloadflags: number;
  readonly cmdlineSize: number;
  readonly prefAddress: number;
  /** Bytes from the load address the kernel needs to decompress and run (2.10+). */
  readonly initSize: number;
}

export type SetupHeaderError =
  | { readonly kind: 'not-bzimage'; readonly message: string }
  | { readonly kind: 'old-protocol'; readonly version: number; readonly message: string }
  | { readonly kind: 'truncated'; readonly message: string };

export function hasHdrS(image: Uint8Array): boolean {
  return (
    image.length >= HEADER + 4 &&
    new DataView(image.buffer, image.byteOffset).getUint32(HEADER, true) === HDRS_MAGIC
  );
}

export function protocolString(v: number): string {
  return `${v >> 8}.${(v & 0xff).toString().padStart(2, '0')}`;
}

export function parseSetupHeader(
  image: Uint8Array,
): { ok: true; header: SetupHeader } | { ok: false; error: SetupHeaderError } {
  if (!hasHdrS(image))
    return {
      ok: false,
      error: { kind: 'not-bzimage', message: 'no "HdrS" signature at offset 0x202: not a Linux bzImage' },
    };
  const dv = new DataView(image.buffer, image.byteOffset, image.byteLength);
  const version = dv.getUint16(VERSION, true);
  if (version < MIN_PROTOCOL) {
    const message = `Linux boot protocol ${protocolString(version)} is older than ${protocolString(MIN_PROTOCOL)} (kernels before 2.6.22): not supported`;
    return { ok: false, error: { kind: 'old-protocol', version, message } };
  }
  const loadflags = dv.getUint8(LOADFLAGS);
  if (!(loadflags & LOADED_HIGH))
    return {
      ok: false,
      error: {
        kind: 'not-bzimage',
        message: 'loadflags.LOADED_HIGH is clear: a zImage (loads at 0x10000), not a bzImage',
      },
    };
  const sects = dv.getUint8(SETUP_SECTS) || DEFAULT_SETUP_SECTS;
  const setupSize = (sects + 1) * SECTOR;
  const headerEnd = SETUP_JUMP + 2 + dv.getUint8(SETUP_JUMP + 1);
  if (image.length < Math.max(setupSize, headerEnd, INIT_SIZE + 4))
    return {
      ok: false,
      error: {
        kind: 'truncated',
        message: `truncated bzImage: ${image.length} bytes, the setup code alone is ${setupSize}`,
      },
    };
  const prefLo = dv.getUint32(PREF_ADDRESS, true);
  const prefHi = dv.getUint32(PREF_ADDRESS + 4, true);
  return {
    ok: true,
    header: {
      version,
      setupSize,
      headerEnd,
      loadflags,
      code32Start: dv.getUint32(CODE32_START, true),
      initrdAddrMax: dv.getUint32(INITRD_ADDR_MAX, true),
      kernelAlignment: dv.getUint32(KERNEL_ALIGNMENT, true),
      relocatable: dv.getUint8(RELOCATABLE_KERNEL) !== 0,
      xloadflags: version >= 0x020c ? dv.getUint16(XLOADFLAGS, true) : 0,
      cmdlineSize: dv.getUint32(CMDLINE_SIZE, true),
      prefAddress: version >= 0x020a ? prefHi * 2 ** 32 + prefLo : 0,
      initSize: version >= 0x020a ? dv.getUint32(INIT_SIZE, true) : 0,
    },
  };
}
