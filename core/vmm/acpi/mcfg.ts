// The PCI Express memory-mapped configuration table (signature "MCFG"; PCI Firmware
// Specification 3.0, 4.1.2, Tables 4-2 and 4-3; ACPI 6.5, 5.2.6 lists the signature): the
// header, 8 reserved bytes, then one 16-byte allocation per ECAM range:
//   u64 base address, u16 PCI segment group, u8 start bus, u8 end bus, u32 reserved.
// The base is the address of bus 0's configuration space even when the range starts at a
// higher bus. Linux (arch/x86/pci/mmconfig-shared.c) uses a range only if firmware also
// reserves it, in the e820 map and as a motherboard resource (dsdt.ts, PNP0C02).

import { ByteWriter, DEFAULT_OEM_IDS, sdt, type AcpiOemIds } from './sdt.ts';

export const MCFG_REVISION = 1;
/** Offset of the first allocation: the 36-byte header and 8 reserved bytes. */
export const MCFG_ALLOCATIONS = 44;
export const MCFG_ALLOCATION_SIZE = 16;

/** One ECAM range (Table 4-3). */
export interface McfgAllocation {
  readonly base: number;
  readonly segment: number;
  readonly startBus: number;
  readonly endBus: number;
}

export function buildMcfg(
  allocations: readonly McfgAllocation[],
  ids: AcpiOemIds = DEFAULT_OEM_IDS,
): Uint8Array {
  const w = new ByteWriter().u64(0);
  for (const a of allocations) {
    if (a.startBus > a.endBus || a.endBus > 0xff)
      throw new RangeError(`acpi: MCFG buses ${a.startBus}-${a.endBus}`);
    w.u64(a.base).u16(a.segment).u8(a.startBus).u8(a.endBus).u32(0);
  }
  return sdt('MCFG', MCFG_REVISION, w.finish(), ids);
}
