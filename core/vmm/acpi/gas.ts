// The Generic Address Structure (ACPI 6.5, 5.2.3.2, Table 5.1): 12 bytes naming a
// register in some address space. The FADT uses it for the reset register and the
// X_ power-management blocks.

import type { ByteWriter } from './sdt.ts';

// Address Space ID (Table 5.1).
export const ACPI_ADR_SPACE_SYSTEM_MEMORY = 0;
export const ACPI_ADR_SPACE_SYSTEM_IO = 1;
// Access Size.
export const ACPI_ACCESS_UNDEFINED = 0;
export const ACPI_ACCESS_BYTE = 1;
export const ACPI_ACCESS_WORD = 2;
export const ACPI_ACCESS_DWORD = 3;
export const GAS_SIZE = 12;

export interface GenericAddress {
  readonly spaceId: number;
  readonly bitWidth: number;
  readonly bitOffset: number;
  readonly accessSize: number;
  readonly address: number;
}

/** A register block of `length` bytes in system I/O space at `port` (0: not present). */
export function ioBlock(port: number, length: number, accessSize: number): GenericAddress {
  if (port === 0) return { spaceId: 0, bitWidth: 0, bitOffset: 0, accessSize: 0, address: 0 };
  return { spaceId: ACPI_ADR_SPACE_SYSTEM_IO, bitWidth: 8 * length, bitOffset: 0, accessSize, address: port };
}

export function writeGas(w: ByteWriter, gas: GenericAddress): void {
  w.u8(gas.spaceId).u8(gas.bitWidth).u8(gas.bitOffset).u8(gas.accessSize).u64(gas.address);
}
