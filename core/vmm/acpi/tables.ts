// The machine's whole set of ACPI tables laid out in one blob for guest memory:
//   RSDP -> RSDT and XSDT -> FADT ("FACP"), MADT ("APIC") and, when the platform has an
//   ECAM, MCFG; FADT -> FACS and DSDT.
// The VMM copies `bytes` to guest-physical `address` (a reserved region in the e820 map,
// or the BIOS area 0xE0000-0xFFFFF where OSPM scans for the RSDP, 5.2.5.1) and may pass
// `rsdpAddress` through the boot protocol (boot_params.acpi_rsdp_addr).

import { buildDsdt, PIIX4_SLP_TYP_S5, type DsdtPlatform } from './dsdt.ts';
import { buildFacs, FACS_ALIGN } from './facs.ts';
import { buildFadt, FADT_SIZE, type FadtConfig } from './fadt.ts';
import { buildMadt, type MadtConfig } from './madt.ts';
import { buildMcfg } from './mcfg.ts';
import { buildRsdp, buildRsdt, buildXsdt, RSDP_ALIGN, RSDP_SIZE } from './root.ts';
import { DEFAULT_OEM_IDS, SDT_HEADER_SIZE, type AcpiOemIds } from './sdt.ts';

export interface AcpiConfig {
  /** vCPU count; local APIC IDs 0..cpus-1 unless `apicIds` is given. */
  readonly cpus: number;
  readonly apicIds?: readonly number[];
  readonly madt?: Partial<Omit<MadtConfig, 'apicIds'>>;
  readonly fadt?: Partial<FadtConfig>;
  /** PM1_CNT.SLP_TYP value for S5 in \_S5 (PIIX4: 0). */
  readonly slpTypS5?: number;
  readonly oem?: AcpiOemIds;
  /** \_S3 and the PCI root bridge (PCI0 with _CRS and _PRT); without it the DSDT holds \_S5 only. */
  readonly platform?: DsdtPlatform;
}

/** QEMU's pc machine values: IOAPIC at 0xFEC00000, GSI base 0, ID 0; LAPIC at 0xFEE00000. */
export const DEFAULT_MADT: Omit<MadtConfig, 'apicIds'> = {
  localApicAddress: 0xfee00000,
  ioApicId: 0,
  ioApicAddress: 0xfec00000,
  ioApicGsiBase: 0,
  levelIrqs: [5, 9, 10, 11],
};

/**
 * SCI on IRQ 9; PM blocks at the ICH9-style PMBASE 0x600 that QEMU's q35 also uses
 * (PM1a_EVT 0x600, PM1a_CNT 0x604, PM_TMR 0x608); reset through the PIIX reset control
 * register 0xCF9 with 0x06 (hard reset); CMOS century at 0x32.
 */
export const DEFAULT_FADT: FadtConfig = {
  sciIrq: 9,
  pm1aEvtBlk: 0x600,
  pm1aCntBlk: 0x604,
  pmTmrBlk: 0x608,
  pmTimer32Bit: false,
  resetPort: 0xcf9,
  resetValue: 0x06,
  rtcCentury: 0x32,
  has8042: true,
  hasVga: false,
  msiSupported: false,
  hypervisorVendor: 'WASMKVM\0',
};

export interface AcpiTables {
  /** Guest-physical address the blob is built for. */
  readonly address: number;
  readonly bytes: Uint8Array;
  readonly rsdpAddress: number;
  /** Where each table landed, for the e820 map and for debugging views. */
  readonly tables: readonly {
    readonly signature: string;
    readonly address: number;
    readonly length: number;
  }[];
}

function align(n: number, to: number): number {
  return Math.ceil(n / to) * to;
}

/** Builds every table for the blob at `address` (16-byte aligned; below 4 GiB for the RSDT). */
export function buildAcpiTables(address: number, config: AcpiConfig): AcpiTables {
  if (address % RSDP_ALIGN !== 0)
    throw new RangeError(`acpi: RSDP address 0x${address.toString(16)} is not 16-byte aligned`);
  const ids = config.oem ?? DEFAULT_OEM_IDS;
  const apicIds = config.apicIds ?? Array.from({ length: config.cpus }, (_, i) => i);
  if (apicIds.length !== config.cpus || config.cpus < 1) throw new RangeError(`acpi: ${config.cpus} CPUs`);
  const fadtConfig: FadtConfig = { ...DEFAULT_FADT, ...config.fadt };
  const madt = buildMadt({ ...DEFAULT_MADT, ...config.madt, apicIds }, ids);
  const dsdt = buildDsdt(config.slpTypS5 ?? PIIX4_SLP_TYP_S5, ids, config.platform);
  const facs = buildFacs();
  const ecam = config.platform?.pci.ecam;
  // PCI segment group 0 is the only one (the DSDT's PCI0 has no _SEG).
  const mcfg =
    ecam === undefined
      ? undefined
      : buildMcfg([{ base: ecam.base, segment: 0, startBus: ecam.startBus, endBus: ecam.endBus }], ids);

  // Offsets: the RSDP first, the FACS on its 64-byte boundary, then 16-byte aligned tables.
  const rsdpAt = 0;
  const facsAt = align(rsdpAt + RSDP_SIZE, FACS_ALIGN);
  const dsdtAt = align(facsAt + facs.length, 16);
  const fadtAt = align(dsdtAt + dsdt.length, 16);
  const madtAt = align(fadtAt + FADT_SIZE, 16);
  const mcfgAt = align(madtAt + madt.length, 16);
  const rsdtAt = align(mcfgAt + (mcfg?.length ?? 0), 16);
  const listedCount = mcfg === undefined ? 2 : 3; // FADT, MADT, MCFG
  const rsdtLength = SDT_HEADER_SIZE + 4 * listedCount;
  const xsdtAt = align(rsdtAt + rsdtLength, 16);
  const xsdtLength = SDT_HEADER_SIZE + 8 * listedCount;
  const end = xsdtAt + xsdtLength;

  const fadt = buildFadt(address + facsAt, address + dsdtAt, fadtConfig, ids);
  const listed = [address + fadtAt, address + madtAt, ...(mcfg === undefined ? [] : [address + mcfgAt])];
  const rsdt = buildRsdt(listed, ids);
  const xsdt = buildXsdt(listed, ids);
  const rsdp = buildRsdp(address + rsdtAt, address + xsdtAt, ids);

  const bytes = new Uint8Array(end);
  const placed = [
    ['RSD PTR ', rsdpAt, rsdp],
    ['FACS', facsAt, facs],
    ['DSDT', dsdtAt, dsdt],
    ['FACP', fadtAt, fadt],
    ['APIC', madtAt, madt],
    ...(mcfg === undefined ? [] : [['MCFG', mcfgAt, mcfg] as const]),
    ['RSDT', rsdtAt, rsdt],
    ['XSDT', xsdtAt, xsdt],
  ] as const;
  for (const [, at, table] of placed) bytes.set(table, at);
  return {
    address,
    bytes,
    rsdpAddress: address + rsdpAt,
    tables: placed.map(([signature, at, table]) => ({
      signature,
      address: address + at,
      length: table.length,
    })),
  };
}
