// The Firmware ACPI Control Structure (ACPI 6.5, 5.2.10, Table 5.14): 64 bytes, 64-byte
// aligned, no checksum. OSPM keeps the waking vector and the global lock here; an S3
// resume (kvm-unit-tests' s3 test) jumps to Firmware Waking Vector.

import { ByteWriter } from './sdt.ts';

export const FACS_SIZE = 64;
export const FACS_ALIGN = 64;
export const FACS_VERSION = 2;
// Field offsets.
export const FACS_HARDWARE_SIGNATURE = 8;
export const FACS_FIRMWARE_WAKING_VECTOR = 12;
export const FACS_GLOBAL_LOCK = 16;
export const FACS_FLAGS = 20;
export const FACS_X_FIRMWARE_WAKING_VECTOR = 24;
export const FACS_VERSION_OFFSET = 32;

/** `hardwareSignature` changes when the hardware configuration changes (OSPM compares it on resume). */
export function buildFacs(hardwareSignature = 0): Uint8Array {
  return new ByteWriter()
    .ascii('FACS', 4)
    .u32(FACS_SIZE)
    .u32(hardwareSignature)
    .u32(0) // Firmware Waking Vector: OSPM writes it before sleeping
    .u32(0) // Global Lock
    .u32(0) // Flags: no S4BIOS, no 64-bit wake
    .u64(0) // X_Firmware Waking Vector
    .u8(FACS_VERSION)
    .zeros(3)
    .u32(0) // OSPM Flags
    .zeros(24)
    .finish();
}
