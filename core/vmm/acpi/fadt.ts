// The Fixed ACPI Description Table, revision 6.5 layout (ACPI 6.5, 5.2.9, Table 5.9; 276
// bytes, signature "FACP"). It points at the FACS and the DSDT and describes the fixed
// hardware: the SCI, the PM1a event and control blocks, the PM timer, the reset register.
// Both the 32-bit block fields and their X_ Generic Address twins are filled with the same
// values, so ACPICA's "32/64X address mismatch" check is quiet.
//
// SMI_CMD is 0: the platform is always in ACPI mode and has no SMM to hand over from
// (5.2.9: SMI_CMD "... zero on systems that do not support System Management mode"); the
// PM device must therefore read SCI_EN as 1 in PM1_CNT.

import {
  ACPI_ACCESS_BYTE,
  ACPI_ACCESS_DWORD,
  ACPI_ACCESS_WORD,
  ioBlock,
  writeGas,
  type GenericAddress,
} from './gas.ts';
import { ByteWriter, DEFAULT_OEM_IDS, sdt, type AcpiOemIds } from './sdt.ts';

export const FADT_REVISION = 6;
export const FADT_MINOR_REVISION = 5;
export const FADT_SIZE = 276;

// Field offsets from the start of the table (Table 5.9).
export const FADT_FIRMWARE_CTRL = 36;
export const FADT_DSDT = 40;
export const FADT_PREFERRED_PM_PROFILE = 45;
export const FADT_SCI_INT = 46;
export const FADT_SMI_CMD = 48;
export const FADT_PM1A_EVT_BLK = 56;
export const FADT_PM1A_CNT_BLK = 64;
export const FADT_PM_TMR_BLK = 76;
export const FADT_GPE0_BLK = 80;
export const FADT_PM1_EVT_LEN = 88;
export const FADT_PM1_CNT_LEN = 89;
export const FADT_PM_TMR_LEN = 91;
export const FADT_P_LVL2_LAT = 96;
export const FADT_P_LVL3_LAT = 98;
export const FADT_CENTURY = 108;
export const FADT_IAPC_BOOT_ARCH = 109;
export const FADT_FLAGS = 112;
export const FADT_RESET_REG = 116;
export const FADT_RESET_VALUE = 128;
export const FADT_MINOR_VERSION = 131;
export const FADT_X_FIRMWARE_CTRL = 132;
export const FADT_X_DSDT = 140;
export const FADT_X_PM1A_EVT_BLK = 148;
export const FADT_X_PM1A_CNT_BLK = 172;
export const FADT_X_PM_TMR_BLK = 208;
export const FADT_HYPERVISOR_VENDOR_ID = 268;

// Fixed feature flags (Table 5.10).
export const ACPI_FADT_WBINVD = 1 << 0;
export const ACPI_FADT_C1_SUPPORTED = 1 << 2;
export const ACPI_FADT_SLEEP_BUTTON = 1 << 5; // set: no fixed-feature sleep button
export const ACPI_FADT_S4_RTC_WAKE = 1 << 7;
export const ACPI_FADT_32BIT_TIMER = 1 << 8; // TMR_VAL_EXT
export const ACPI_FADT_RESET_REGISTER = 1 << 10; // RESET_REG_SUP
export const ACPI_FADT_PLATFORM_CLOCK = 1 << 15;

// IA-PC boot architecture flags (Table 5.11).
export const ACPI_FADT_LEGACY_DEVICES = 1 << 0;
export const ACPI_FADT_8042 = 1 << 1;
export const ACPI_FADT_NO_VGA = 1 << 2;
export const ACPI_FADT_NO_MSI = 1 << 3;

/** P_LVL2_LAT > 100 and P_LVL3_LAT > 1000 mean "C2/C3 not supported" (Table 5.9). */
const C2_NOT_SUPPORTED = 0x0fff;
const C3_NOT_SUPPORTED = 0x0fff;

// Block lengths (4.8.3.1 PM1 event: status + enable, 2 bytes each; 4.8.3.2 PM1 control: 2; PM timer: 4).
const PM1_EVT_LEN = 4;
const PM1_CNT_LEN = 2;
const PM_TMR_LEN = 4;

export interface FadtConfig {
  /** ISA IRQ of the SCI (QEMU: 9). */
  readonly sciIrq: number;
  /** I/O ports of the PM1a event block (4 bytes), PM1a control block (2), PM timer (4). */
  readonly pm1aEvtBlk: number;
  readonly pm1aCntBlk: number;
  readonly pmTmrBlk: number;
  /** The PM timer counts 32 bits (TMR_VAL_EXT) rather than 24. */
  readonly pmTimer32Bit: boolean;
  /** Reset register: a byte in system I/O space and the value that resets. */
  readonly resetPort: number;
  readonly resetValue: number;
  /** CMOS index of the RTC century byte (0: none). */
  readonly rtcCentury: number;
  /** IA-PC boot flags: an i8042, a VGA, MSI support. */
  readonly has8042: boolean;
  readonly hasVga: boolean;
  readonly msiSupported: boolean;
  /** 8 bytes identifying the hypervisor vendor. */
  readonly hypervisorVendor: string;
}

export function buildFadt(
  facsAddress: number,
  dsdtAddress: number,
  c: FadtConfig,
  ids: AcpiOemIds = DEFAULT_OEM_IDS,
): Uint8Array {
  const flags =
    ACPI_FADT_WBINVD |
    ACPI_FADT_C1_SUPPORTED |
    ACPI_FADT_SLEEP_BUTTON |
    ACPI_FADT_S4_RTC_WAKE |
    ACPI_FADT_RESET_REGISTER |
    ACPI_FADT_PLATFORM_CLOCK |
    (c.pmTimer32Bit ? ACPI_FADT_32BIT_TIMER : 0);
  const bootArch =
    ACPI_FADT_LEGACY_DEVICES |
    (c.has8042 ? ACPI_FADT_8042 : 0) |
    (c.hasVga ? 0 : ACPI_FADT_NO_VGA) |
    (c.msiSupported ? 0 : ACPI_FADT_NO_MSI);
  const none: GenericAddress = ioBlock(0, 0, 0);
  const w = new ByteWriter()
    .u32(facsAddress < 2 ** 32 ? facsAddress : 0) // FIRMWARE_CTRL
    .u32(dsdtAddress) // DSDT
    .u8(0) // reserved (INT_MODEL in ACPI 1.0)
    .u8(0) // Preferred_PM_Profile: unspecified
    .u16(c.sciIrq)
    .u32(0) // SMI_CMD: no SMM, always in ACPI mode
    .u8(0) // ACPI_ENABLE
    .u8(0) // ACPI_DISABLE
    .u8(0) // S4BIOS_REQ
    .u8(0) // PSTATE_CNT
    .u32(c.pm1aEvtBlk)
    .u32(0) // PM1b_EVT_BLK
    .u32(c.pm1aCntBlk)
    .u32(0) // PM1b_CNT_BLK
    .u32(0) // PM2_CNT_BLK
    .u32(c.pmTmrBlk)
    .u32(0) // GPE0_BLK
    .u32(0) // GPE1_BLK
    .u8(PM1_EVT_LEN)
    .u8(PM1_CNT_LEN)
    .u8(0) // PM2_CNT_LEN
    .u8(PM_TMR_LEN)
    .u8(0) // GPE0_BLK_LEN
    .u8(0) // GPE1_BLK_LEN
    .u8(0) // GPE1_BASE
    .u8(0) // CST_CNT
    .u16(C2_NOT_SUPPORTED)
    .u16(C3_NOT_SUPPORTED)
    .u16(0) // FLUSH_SIZE
    .u16(0) // FLUSH_STRIDE
    .u8(0) // DUTY_OFFSET
    .u8(0) // DUTY_WIDTH
    .u8(0) // DAY_ALRM
    .u8(0) // MON_ALRM
    .u8(c.rtcCentury)
    .u16(bootArch)
    .u8(0) // reserved
    .u32(flags);
  writeGas(w, ioBlock(c.resetPort, 1, ACPI_ACCESS_BYTE));
  w.u8(c.resetValue)
    .u16(0) // ARM_BOOT_ARCH
    .u8(FADT_MINOR_REVISION)
    // X_FIRMWARE_CTRL: "If the FIRMWARE_CTRL field contains a non zero value then this field
    // must be zero" (Table 5.9); OSPM would otherwise see the FACS twice.
    .u64(facsAddress < 2 ** 32 ? 0 : facsAddress)
    .u64(dsdtAddress); // X_DSDT
  writeGas(w, ioBlock(c.pm1aEvtBlk, PM1_EVT_LEN, ACPI_ACCESS_WORD));
  writeGas(w, none); // X_PM1b_EVT_BLK
  writeGas(w, ioBlock(c.pm1aCntBlk, PM1_CNT_LEN, ACPI_ACCESS_WORD));
  writeGas(w, none); // X_PM1b_CNT_BLK
  writeGas(w, none); // X_PM2_CNT_BLK
  writeGas(w, ioBlock(c.pmTmrBlk, PM_TMR_LEN, ACPI_ACCESS_DWORD));
  writeGas(w, none); // X_GPE0_BLK
  writeGas(w, none); // X_GPE1_BLK
  writeGas(w, none); // SLEEP_CONTROL_REG (HW-reduced only)
  writeGas(w, none); // SLEEP_STATUS_REG
  w.ascii(c.hypervisorVendor, 8);
  return sdt('FACP', FADT_REVISION, w.finish(), ids);
}
