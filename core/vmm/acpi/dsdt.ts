// A minimal Differentiated System Description Table (ACPI 6.5, 5.2.11.1): a definition
// block whose only object is \_S5, the soft-off sleep package (7.4.2 "\_Sx (System
// States)"): Package { SLP_TYPa, SLP_TYPb, reserved, reserved }. OSPM writes SLP_TYPa with
// SLP_EN to PM1a_CNT to power off; the value is chipset-defined, and for the PIIX4 power
// management function QEMU emulates, soft-off is SLP_TYP 0 (QEMU's DSDT: _S5 = {0,0,0,0}).
//
// Equivalent ASL (iasl -d of our output prints this; recompiling it with iasl 20200925
// gives the same AML body, 08 5F 53 35 5F 12 06 04 00 00 00 00):
//   DefinitionBlock ("", "DSDT", 2, "WASMKV", "WASMKVM ", 1) {
//     Name (_S5, Package (0x04) { Zero, Zero, Zero, Zero })
//   }
// A definition block's top level is the root scope, so _S5 here is \_S5.

import { defName, integer, packageOf } from './aml.ts';
import { DEFAULT_OEM_IDS, sdt, type AcpiOemIds } from './sdt.ts';

/** Revision 2: integers in this definition block are 64-bit (5.2.11.1). */
export const DSDT_REVISION = 2;
/** PIIX4 PM1_CNT.SLP_TYP for soft-off (S5). */
export const PIIX4_SLP_TYP_S5 = 0;

/** The AML body: Name (_S5, Package (4) { typ, typ, 0, 0 }) at the root scope. */
export function s5Object(slpTyp: number): number[] {
  return defName('_S5', packageOf([integer(slpTyp), integer(slpTyp), integer(0), integer(0)]));
}

export function buildDsdt(slpTypS5 = PIIX4_SLP_TYP_S5, ids: AcpiOemIds = DEFAULT_OEM_IDS): Uint8Array {
  return sdt('DSDT', DSDT_REVISION, Uint8Array.from(s5Object(slpTypS5)), ids);
}
