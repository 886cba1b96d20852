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
//
// With a `DsdtPlatform` the block also holds what a PC with a PCI bus declares:
//   Name (_S3, Package (4) { 1, 1, 0, 0 })     PIIX4 suspend-to-RAM SLP_TYP, as QEMU's DSDT
//   Scope (\_SB) { Device (PCI0) {
//     Name (_HID, EisaId ("PNP0A03"))  Name (_UID, 0)  Name (_ADR, 0)
//     Name (_CRS, ResourceTemplate () { bus 0-0xff, CONFIG_ADDRESS/DATA 0xCF8-0xCFF,
//       I/O 0-0xCF7 and 0xD00-0xFFFF, the VGA window, the PCI memory window })
//     Name (_PRT, Package () { Package () { 0xSSSSFFFF, pin, Zero, GSI }, ... })
//   } }
// and, when the platform has an ECAM (PCI Express MMCONFIG, described by the MCFG table),
// a motherboard-resources device that reserves it, which Linux requires before it uses
// the MCFG range (arch/x86/pci/mmconfig-shared.c is_acpi_reserved):
//   Scope (\_SB.PCI0) { Device (PDRC) { Name (_HID, EisaId ("PNP0C02"))  Name (_UID, 1)
//     Name (_CRS, ResourceTemplate () { Memory32Fixed (ReadWrite, ECAM base, ECAM size) }) } }
// _PRT entries use the "GSI" form (6.2.13: Source Zero, Source Index the GSI), one per
// device slot and INTx pin the platform routes.

import { buffer, defName, device, eisaId, integer, packageOf, scope } from './aml.ts';
import {
  ACPI_BUS_NUMBER_RANGE,
  ACPI_IO_RANGE,
  dwordMemory,
  endTag,
  fixedMemory32,
  ioPorts,
  wordAddress,
} from './resources.ts';
import { DEFAULT_OEM_IDS, sdt, type AcpiOemIds } from './sdt.ts';

/** Revision 2: integers in this definition block are 64-bit (5.2.11.1). */
export const DSDT_REVISION = 2;
/** PIIX4 PM1_CNT.SLP_TYP for soft-off (S5). */
export const PIIX4_SLP_TYP_S5 = 0;

/** The AML body: Name (_S5, Package (4) { typ, typ, 0, 0 }) at the root scope. */
export function s5Object(slpTyp: number): number[] {
  return defName('_S5', packageOf([integer(slpTyp), integer(slpTyp), integer(0), integer(0)]));
}

/** PIIX4 PM1_CNT.SLP_TYP for suspend to RAM (S3), QEMU's _S3 = {1, 1, 0, 0}. */
export const PIIX4_SLP_TYP_S3 = 1;

/** One _PRT row: `slot`'s INTx pin (1 = INTA#) is wired to `gsi`. */
export interface PciRoute {
  readonly slot: number;
  readonly pin: number;
  readonly gsi: number;
}

export interface DsdtPlatform {
  readonly slpTypS3: number;
  readonly pci: {
    /** The 32-bit memory window BARs are assigned from, [base, limit). */
    readonly memWindow: { readonly base: number; readonly limit: number };
    readonly routes: readonly PciRoute[];
    /** The ECAM window, [base, limit), and the buses it covers; without it no MCFG table. */
    readonly ecam?: {
      readonly base: number;
      readonly limit: number;
      readonly startBus: number;
      readonly endBus: number;
    };
  };
}

const PCI_CONFIG_PORTS = 0xcf8;
const PCI_CONFIG_PORT_COUNT = 8;
const VGA_WINDOW = { base: 0xa0000, limit: 0xc0000 };
/** _PRT Address: the device in the high word, 0xFFFF for "any function" (6.2.13). */
const ANY_FUNCTION = 0xffff;

function pci0(p: DsdtPlatform['pci']): number[] {
  const crs = [
    ...wordAddress(ACPI_BUS_NUMBER_RANGE, 0, 0xff),
    ...ioPorts(PCI_CONFIG_PORTS, PCI_CONFIG_PORT_COUNT),
    ...wordAddress(ACPI_IO_RANGE, 0, PCI_CONFIG_PORTS - 1),
    ...wordAddress(ACPI_IO_RANGE, PCI_CONFIG_PORTS + PCI_CONFIG_PORT_COUNT, 0xffff),
    ...dwordMemory(VGA_WINDOW.base, VGA_WINDOW.limit - 1),
    ...dwordMemory(p.memWindow.base, p.memWindow.limit - 1),
    ...endTag(),
  ];
  const prt = p.routes.map((r) =>
    packageOf([
      integer(((r.slot << 16) | ANY_FUNCTION) >>> 0),
      integer(r.pin - 1),
      integer(0),
      integer(r.gsi),
    ]),
  );
  const motherboard =
    p.ecam === undefined
      ? []
      : [
          device('PDRC', [
            defName('_HID', eisaId('PNP0C02')),
            defName('_UID', integer(1)),
            defName('_CRS', buffer([...fixedMemory32(p.ecam.base, p.ecam.limit - p.ecam.base), ...endTag()])),
          ]),
        ];
  return scope('\\_SB', [
    device('PCI0', [
      defName('_HID', eisaId('PNP0A03')),
      defName('_UID', integer(0)),
      defName('_ADR', integer(0)),
      defName('_CRS', buffer(crs)),
      defName('_PRT', packageOf(prt)),
      ...motherboard,
    ]),
  ]);
}

export function buildDsdt(
  slpTypS5 = PIIX4_SLP_TYP_S5,
  ids: AcpiOemIds = DEFAULT_OEM_IDS,
  platform?: DsdtPlatform,
): Uint8Array {
  const body = s5Object(slpTypS5);
  if (platform !== undefined) {
    const t = platform.slpTypS3;
    body.push(
      ...defName('_S3', packageOf([integer(t), integer(t), integer(0), integer(0)])),
      ...pci0(platform.pci),
    );
  }
  return sdt('DSDT', DSDT_REVISION, Uint8Array.from(body), ids);
}
