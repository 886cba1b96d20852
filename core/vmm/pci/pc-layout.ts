// Where the PC machine's PCI host bridge decodes, below 4 GiB (guest-physical; I/O ports):
//   0xE0000000 - 0xEFFFFFFF  ECAM (PCI Express MMCONFIG) for buses 0-255, as the MCFG
//                            table describes it (PCI Firmware Specification 3.0, 4.1.2)
//   0xF0000000 - 0xFEBFFFFF  the 32-bit memory window BARs are assigned from
//   0xFEC00000 -             IOAPIC, LAPIC (not PCI)
// Guest RAM ends below the ECAM (LINUX_MAX_RAM). QEMU's q35 puts its 256 MiB ECAM at
// 0xB0000000 below a PCI hole; ours sits at the start of the hole instead, so RAM can
// grow to 3.5 GiB. Firmware reserves the ECAM in the e820 map and as an ACPI motherboard
// resource (a PNP0C02 device), which Linux checks before it uses MMCONFIG.

import { PCIE_ECAM_BUS_SIZE } from './host.ts';

/** Buses the ECAM covers (MCFG start and end bus numbers). */
export const PCI_ECAM_BUSES = { first: 0, last: 0xff } as const;
/** The ECAM window, [base, limit). */
export const PCI_ECAM_WINDOW = {
  base: 0xe0000000,
  limit: 0xe0000000 + (PCI_ECAM_BUSES.last - PCI_ECAM_BUSES.first + 1) * PCIE_ECAM_BUS_SIZE,
} as const;
/** I/O ports handed to BARs (QEMU's pc machine starts PCI I/O at 0xC000 as well). */
export const PCI_IO_WINDOW = { base: 0xc000, limit: 0x10000 } as const;
/** 32-bit MMIO for BARs: from the end of the ECAM up to the IOAPIC page. */
export const PCI_MEM_WINDOW = { base: 0xf0000000, limit: 0xfec00000 } as const;
