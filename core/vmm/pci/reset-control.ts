// The PIIX3/PIIX4 Reset Control Register at I/O port 0xCF9 (Intel 82371AB PIIX4 datasheet,
// "RC - Reset Control Register (I/O)"): bit 1 SRST picks a hard (1) or soft (0) reset,
// bit 2 RCPU starts it. The FADT's RESET_REG points here with RESET_VALUE 0x06, and Linux's
// `reboot=pci` writes it directly.
//
// As in QEMU (hw/isa/piix.c rcr_write), RCPU does not stick: every write with bit 2 set
// starts a reset, so a second 0x06 after a reset that the guest did not see still works.
// The register shares its dword with CONFIG_ADDRESS; `PciHost` passes byte accesses to
// 0xCF9 here (its `resetControl` option).

import type { AccessSize, PioDevice } from '../bus.ts';

export const RESET_CONTROL_PORT = 0xcf9;
export const RCR_SRST = 0x02; // System Reset: 1 = hard reset
export const RCR_RCPU = 0x04; // Reset CPU
/** The value a FADT RESET_VALUE names for a full hard reset through this register. */
export const RCR_HARD_RESET = RCR_SRST | RCR_RCPU;

export type ResetKind = 'hard' | 'soft';

export class ResetControl implements PioDevice {
  readonly maxAccessSize = 1;
  private rcr = 0;

  constructor(private readonly onReset: (kind: ResetKind) => void) {}

  read(_offset: number, _size: AccessSize): number {
    return this.rcr;
  }

  write(_offset: number, _size: AccessSize, value: number): void {
    if (value & RCR_RCPU) {
      this.onReset(value & RCR_SRST ? 'hard' : 'soft');
      return;
    }
    this.rcr = value & RCR_SRST;
  }

  /** Power-on value: 0 (the datasheet's default). */
  reset(): void {
    this.rcr = 0;
  }
}
