// The root of the ACPI tables: the RSDP (ACPI 6.5, 5.2.5.3, Table 5.3), which OSPM finds
// by its signature on a 16-byte boundary in the BIOS area (5.2.5.1) or through the boot
// protocol, and the RSDT/XSDT (5.2.7, 5.2.8) listing the other tables by 32- and 64-bit
// address. A revision 2 RSDP carries both; OSPM uses the XSDT when it is there.

import { ByteWriter, checksum, DEFAULT_OEM_IDS, sdt, type AcpiOemIds } from './sdt.ts';

export const RSDP_SIZE = 36;
export const RSDP_REVISION = 2; // ACPI 2.0 and later
export const RSDP_ALIGN = 16;
// Field offsets (Table 5.3).
export const RSDP_CHECKSUM = 8; // over the first 20 bytes (the ACPI 1.0 structure)
export const RSDP_OEM_ID = 9;
export const RSDP_REVISION_OFFSET = 15;
export const RSDP_RSDT_ADDRESS = 16;
export const RSDP_LENGTH = 20;
export const RSDP_XSDT_ADDRESS = 24;
export const RSDP_EXTENDED_CHECKSUM = 32; // over all 36 bytes
export const RSDP_V1_SIZE = 20;

export const RSDT_REVISION = 1;
export const XSDT_REVISION = 1;

export function buildRsdp(
  rsdtAddress: number,
  xsdtAddress: number,
  ids: AcpiOemIds = DEFAULT_OEM_IDS,
): Uint8Array {
  const rsdp = new ByteWriter()
    .ascii('RSD PTR ', 8)
    .u8(0) // checksum
    .ascii(ids.oemId, 6)
    .u8(RSDP_REVISION)
    .u32(rsdtAddress)
    .u32(RSDP_SIZE)
    .u64(xsdtAddress)
    .u8(0) // extended checksum
    .zeros(3)
    .finish();
  rsdp[RSDP_CHECKSUM] = checksum(rsdp.subarray(0, RSDP_V1_SIZE));
  rsdp[RSDP_EXTENDED_CHECKSUM] = checksum(rsdp);
  return rsdp;
}

/** RSDT: 32-bit addresses of the tables (every table must then lie below 4 GiB). */
export function buildRsdt(tables: readonly number[], ids: AcpiOemIds = DEFAULT_OEM_IDS): Uint8Array {
  const w = new ByteWriter();
  for (const a of tables) {
    if (a >= 2 ** 32) throw new RangeError(`acpi: RSDT entry 0x${a.toString(16)} above 4 GiB`);
    w.u32(a);
  }
  return sdt('RSDT', RSDT_REVISION, w.finish(), ids);
}

/** XSDT: 64-bit addresses of the tables. */
export function buildXsdt(tables: readonly number[], ids: AcpiOemIds = DEFAULT_OEM_IDS): Uint8Array {
  const w = new ByteWriter();
  for (const a of tables) w.u64(a);
  return sdt('XSDT', XSDT_REVISION, w.finish(), ids);
}
