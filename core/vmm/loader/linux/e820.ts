// The BIOS-style memory map a Linux guest gets in boot_params.e820_table (boot.rst "zero
// page" 0x2d0, struct boot_e820_entry: u64 addr, u64 size, u32 type). There is no BIOS, so
// the map describes what the VMM put where, as QEMU + SeaBIOS would report it:
//   0        - 0x9fc00    RAM        conventional memory up to the EBDA
//   0x9fc00  - 0xa0000    reserved   EBDA (1 KiB)
//   0xe0000  - 0x100000   reserved   BIOS area: the ACPI tables, where OSPM scans for the RSDP
//   0x100000 - top of RAM RAM
//   the PCI ECAM (MMCONFIG), reserved, as SeaBIOS reserves q35's; Linux uses the MCFG
//   range only if this map reserves it (pci/pc-layout.ts)
//   IOAPIC and LAPIC register pages, reserved (QEMU marks them the same way)
// Linux must not allocate the MMIO pages, and it reserves the ACPI tables through this map.

import { EBDA_START, HIGH_MEMORY_START, PC_HOLE_START } from '../memory-map.ts';
import { PCI_ECAM_WINDOW } from '../../pci/pc-layout.ts';

export const E820_RAM = 1;
export const E820_RESERVED = 2;
export const E820_ACPI = 3;

/** struct boot_e820_entry is packed: 8 + 8 + 4 bytes. */
export const E820_ENTRY_SIZE = 20;
/** E820_MAX_ENTRIES_ZEROPAGE. */
export const E820_MAX_ENTRIES = 128;

/** Where the VMM keeps its firmware tables: the upper BIOS area (ACPI 6.5, 5.2.5.1). */
export const BIOS_AREA_START = 0xe0000;
export const IOAPIC_PAGE = 0xfec00000;
export const LAPIC_PAGE = 0xfee00000;
const PAGE = 0x1000;

export interface E820Entry {
  readonly addr: number;
  readonly size: number;
  readonly type: number;
}

export function linuxE820(ramSize: number): E820Entry[] {
  const map: E820Entry[] = [
    { addr: 0, size: Math.min(ramSize, EBDA_START), type: E820_RAM },
    { addr: EBDA_START, size: PC_HOLE_START - EBDA_START, type: E820_RESERVED },
    { addr: BIOS_AREA_START, size: HIGH_MEMORY_START - BIOS_AREA_START, type: E820_RESERVED },
  ];
  if (ramSize > HIGH_MEMORY_START)
    map.push({ addr: HIGH_MEMORY_START, size: ramSize - HIGH_MEMORY_START, type: E820_RAM });
  map.push({
    addr: PCI_ECAM_WINDOW.base,
    size: PCI_ECAM_WINDOW.limit - PCI_ECAM_WINDOW.base,
    type: E820_RESERVED,
  });
  map.push({ addr: IOAPIC_PAGE, size: PAGE, type: E820_RESERVED });
  map.push({ addr: LAPIC_PAGE, size: PAGE, type: E820_RESERVED });
  return map;
}

export function encodeE820(map: readonly E820Entry[]): Uint8Array {
  const out = new Uint8Array(map.length * E820_ENTRY_SIZE);
  const dv = new DataView(out.buffer);
  map.forEach((e, i) => {
    const at = i * E820_ENTRY_SIZE;
    dv.setUint32(at, e.addr % 2 ** 32, true);
    dv.setUint32(at + 4, Math.floor(e.addr / 2 ** 32), true);
    dv.setUint32(at + 8, e.size % 2 ** 32, true);
    dv.setUint32(at + 12, Math.floor(e.size / 2 ** 32), true);
    dv.setUint32(at + 16, e.type, true);
  });
  return out;
}
