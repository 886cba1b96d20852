// ACPI table builders: RSDP, RSDT/XSDT, FADT, FACS, MADT and a minimal DSDT.
export { buildAcpiTables, DEFAULT_FADT, DEFAULT_MADT } from './tables.ts';
export type { AcpiConfig, AcpiTables } from './tables.ts';
export { buildDsdt, PIIX4_SLP_TYP_S3, PIIX4_SLP_TYP_S5 } from './dsdt.ts';
export type { DsdtPlatform, PciRoute } from './dsdt.ts';
export { AcpiPm, PM_TIMER_FREQUENCY_HZ } from './pm.ts';
export type { AcpiPmOptions, SleepState } from './pm.ts';
export { buildFadt } from './fadt.ts';
export type { FadtConfig } from './fadt.ts';
export { buildFacs } from './facs.ts';
export { buildMadt } from './madt.ts';
export { buildMcfg } from './mcfg.ts';
export type { McfgAllocation } from './mcfg.ts';
export type { MadtConfig } from './madt.ts';
export { buildRsdp, buildRsdt, buildXsdt } from './root.ts';
export { checksum, DEFAULT_OEM_IDS } from './sdt.ts';
export type { AcpiOemIds } from './sdt.ts';
