// The Multiple APIC Description Table (ACPI 6.5, 5.2.12, signature "APIC"): where the
// local APICs and the I/O APIC are, and how ISA IRQs map to GSIs. Entries follow QEMU's
// pc machine (hw/i386/acpi-common.c): one Processor Local APIC per vCPU, one I/O APIC at
// GSI base 0, IRQ0 -> GSI2 (the PIT is wired to IOAPIC pin 2), the PCI and SCI IRQs
// level-triggered active-high, and LINT1 as NMI on every processor.

import { ByteWriter, DEFAULT_OEM_IDS, sdt, type AcpiOemIds } from './sdt.ts';

export const MADT_REVISION = 6; // ACPI 6.5
export const MADT_LOCAL_APIC_ADDRESS = 36;
export const MADT_FLAGS = 40;
export const MADT_ENTRIES = 44;
export const ACPI_MADT_PCAT_COMPAT = 1; // dual 8259s present (Table 5.20)

// Interrupt Controller Structure types (Table 5.21) and lengths.
export const ACPI_MADT_TYPE_LOCAL_APIC = 0;
export const ACPI_MADT_TYPE_IO_APIC = 1;
export const ACPI_MADT_TYPE_INTERRUPT_OVERRIDE = 2;
export const ACPI_MADT_TYPE_LOCAL_APIC_NMI = 4;
const LOCAL_APIC_LEN = 8;
const IO_APIC_LEN = 12;
const INTERRUPT_OVERRIDE_LEN = 10;
const LOCAL_APIC_NMI_LEN = 6;

export const ACPI_MADT_ENABLED = 1; // Local APIC Flags bit 0 (Table 5.23)

// MPS INTI flags (Table 5.26): polarity bits 1:0, trigger mode bits 3:2.
export const ACPI_MADT_POLARITY_CONFORMS = 0;
export const ACPI_MADT_POLARITY_ACTIVE_HIGH = 1;
export const ACPI_MADT_POLARITY_ACTIVE_LOW = 3;
export const ACPI_MADT_TRIGGER_CONFORMS = 0 << 2;
export const ACPI_MADT_TRIGGER_EDGE = 1 << 2;
export const ACPI_MADT_TRIGGER_LEVEL = 3 << 2;

export const ACPI_ALL_PROCESSORS = 0xff; // Local APIC NMI: applies to every processor
const ISA_BUS = 0;
const PIT_IRQ = 0;
const PIT_GSI = 2;

export interface MadtConfig {
  /** Local APIC IDs of the vCPUs, in processor-UID order (UID = index). */
  readonly apicIds: readonly number[];
  readonly localApicAddress: number;
  readonly ioApicId: number;
  readonly ioApicAddress: number;
  readonly ioApicGsiBase: number;
  /** ISA IRQs to declare level-triggered, active-high (QEMU: 5, 9, 10, 11). */
  readonly levelIrqs: readonly number[];
}

export function buildMadt(c: MadtConfig, ids: AcpiOemIds = DEFAULT_OEM_IDS): Uint8Array {
  const w = new ByteWriter().u32(c.localApicAddress).u32(ACPI_MADT_PCAT_COMPAT);
  c.apicIds.forEach((apicId, uid) => {
    if (apicId > 0xfe || uid > 0xfe) throw new RangeError(`acpi: APIC ID ${apicId} needs an x2APIC entry`);
    w.u8(ACPI_MADT_TYPE_LOCAL_APIC).u8(LOCAL_APIC_LEN).u8(uid).u8(apicId).u32(ACPI_MADT_ENABLED);
  });
  w.u8(ACPI_MADT_TYPE_IO_APIC).u8(IO_APIC_LEN).u8(c.ioApicId).u8(0).u32(c.ioApicAddress).u32(c.ioApicGsiBase);
  const override = (irq: number, gsi: number, flags: number) =>
    w
      .u8(ACPI_MADT_TYPE_INTERRUPT_OVERRIDE)
      .u8(INTERRUPT_OVERRIDE_LEN)
      .u8(ISA_BUS)
      .u8(irq)
      .u32(gsi)
      .u16(flags);
  override(PIT_IRQ, c.ioApicGsiBase + PIT_GSI, ACPI_MADT_POLARITY_CONFORMS | ACPI_MADT_TRIGGER_CONFORMS);
  for (const irq of [...c.levelIrqs].sort((a, b) => a - b)) {
    override(irq, c.ioApicGsiBase + irq, ACPI_MADT_POLARITY_ACTIVE_HIGH | ACPI_MADT_TRIGGER_LEVEL);
  }
  w.u8(ACPI_MADT_TYPE_LOCAL_APIC_NMI).u8(LOCAL_APIC_NMI_LEN).u8(ACPI_ALL_PROCESSORS).u16(0).u8(1); // LINT1
  return sdt('APIC', MADT_REVISION, w.finish(), ids);
}
