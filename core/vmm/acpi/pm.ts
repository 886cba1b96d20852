// The ACPI fixed-hardware power management registers the FADT points at (ACPI 6.5, 4.8
// "ACPI Hardware Features"; PM1 event and control 4.8.3.1-4.8.3.2, PM timer 4.8.3.3):
//   PM1a_EVT_BLK  +0 PM1_STS (write 1 to clear)  +2 PM1_EN
//   PM1a_CNT_BLK  PM1_CNT: SCI_EN, BM_RLD, GBL_RLS, SLP_TYP (12:10), SLP_EN (13)
//   PM_TMR_BLK    the 24-bit power management timer at 3.579545 MHz
// The SCI is level-triggered and active while any status bit is set with its enable bit.
// The platform has no SMM (FADT SMI_CMD = 0), so SCI_EN always reads 1.
//
// Writing SLP_EN with a SLP_TYP the DSDT declares puts the machine to sleep at once
// (4.8.3.2.1): S5 powers off, S3 suspends to RAM until a wake event (RTC alarm with
// RTC_EN, power button), after which the waking code starts at the FACS waking vector
// with WAK_STS set (7.4.2, 16.3).

import type { IrqLine, PioDevice } from '../bus.ts';
import type { Clock, TimerHandle, TimerQueue } from '../../kvm/clock.ts';
import { PM_TIMER_BITS, pmTimerRead, pmTimerTicks, pmTimerTickTimeNs } from '../../kvm/irqchip/pm-timer.ts';

export { PM_TIMER_FREQUENCY_HZ, pmTimerTicks, pmTimerTickTimeNs } from '../../kvm/irqchip/pm-timer.ts';

// PM1_STS / PM1_EN bits (Tables 4.16, 4.17).
export const ACPI_BITMASK_TIMER_STATUS = 0x0001;
export const ACPI_BITMASK_BUS_MASTER_STATUS = 0x0010;
export const ACPI_BITMASK_GLOBAL_LOCK_STATUS = 0x0020;
export const ACPI_BITMASK_POWER_BUTTON_STATUS = 0x0100;
export const ACPI_BITMASK_SLEEP_BUTTON_STATUS = 0x0200;
export const ACPI_BITMASK_RT_CLOCK_STATUS = 0x0400;
export const ACPI_BITMASK_WAKE_STATUS = 0x8000;
// PM1_CNT bits (Table 4.19).
export const ACPI_BITMASK_SCI_ENABLE = 0x0001;
export const ACPI_BITMASK_BUS_MASTER_RLD = 0x0002;
export const ACPI_BITMASK_GLOBAL_LOCK_RELEASE = 0x0004;
export const ACPI_BITPOSITION_SLEEP_TYPE = 10;
export const ACPI_BITMASK_SLEEP_TYPE = 0x1c00;
export const ACPI_BITMASK_SLEEP_ENABLE = 0x2000;

const PM_TIMER_HALF = 2 ** (PM_TIMER_BITS - 1);

/** Status bits that have an enable bit at the same position and raise the SCI. */
const SCI_SOURCES =
  ACPI_BITMASK_TIMER_STATUS |
  ACPI_BITMASK_GLOBAL_LOCK_STATUS |
  ACPI_BITMASK_POWER_BUTTON_STATUS |
  ACPI_BITMASK_SLEEP_BUTTON_STATUS |
  ACPI_BITMASK_RT_CLOCK_STATUS;
const STS_W1C = SCI_SOURCES | ACPI_BITMASK_BUS_MASTER_STATUS | ACPI_BITMASK_WAKE_STATUS;
/** Bits of PM1_CNT that hold what was written (SLP_EN reads 0, SCI_EN reads 1). */
const CNT_STORED = ACPI_BITMASK_BUS_MASTER_RLD | ACPI_BITMASK_SLEEP_TYPE;

export type SleepState = 'S3' | 'S5';

export interface AcpiPmOptions {
  readonly sci: IrqLine;
  readonly clock: Clock;
  /** Without a timer queue the PM timer still counts, but its overflow raises no SCI until PM1_STS is read. */
  readonly timers?: TimerQueue;
  /** SLP_TYP values the DSDT's \_S3 and \_S5 packages give. */
  readonly slpTyp: { readonly S3?: number; readonly S5: number };
  /** The guest wrote SLP_EN: the machine powers off (S5) or suspends (S3). */
  readonly onSleep: (state: SleepState) => void;
}

export class AcpiPm {
  private sts = 0;
  private en = 0;
  private cnt = 0;
  /** Which half-period of the timer TMR_STS was last brought up to date for. */
  private timerEpoch: number;
  private timerHandle: TimerHandle | undefined;
  private sciLevel = false;

  constructor(private readonly o: AcpiPmOptions) {
    this.timerEpoch = this.epochNow();
  }

  /** PM1a_EVT_BLK: 4 bytes, PM1_STS then PM1_EN. */
  readonly eventBlock: PioDevice = {
    maxAccessSize: 2,
    read: (offset, size) => {
      this.syncTimerStatus();
      const v = offset < 2 ? this.sts : this.en;
      return (size === 1 ? v >>> (8 * (offset & 1)) : v) & (size === 1 ? 0xff : 0xffff);
    },
    write: (offset, size, value) => {
      this.syncTimerStatus();
      const shift = size === 1 ? 8 * (offset & 1) : 0;
      const bits = (value << shift) & (size === 1 ? 0xff << shift : 0xffff);
      if (offset < 2) this.sts &= ~(bits & STS_W1C);
      else this.en = size === 1 ? (this.en & ~(0xff << shift)) | bits : bits;
      this.update();
    },
  };

  /** PM1a_CNT_BLK: 2 bytes. */
  readonly controlBlock: PioDevice = {
    maxAccessSize: 2,
    read: (offset, size) => {
      const v = this.cnt | ACPI_BITMASK_SCI_ENABLE;
      return size === 1 ? (v >>> (8 * (offset & 1))) & 0xff : v;
    },
    write: (offset, size, value) => {
      const shift = size === 1 ? 8 * (offset & 1) : 0;
      const mask = size === 1 ? 0xff << shift : 0xffff;
      const v = ((this.cnt & ~mask) | ((value << shift) & mask)) & 0xffff;
      this.cnt = v & CNT_STORED;
      if (v & ACPI_BITMASK_SLEEP_ENABLE)
        this.sleep((v & ACPI_BITMASK_SLEEP_TYPE) >>> ACPI_BITPOSITION_SLEEP_TYPE);
    },
  };

  /** PM_TMR_BLK: a read-only 32-bit register, the count in bits 23:0. */
  readonly timerBlock: PioDevice = {
    // A vCPU worker answers these reads itself once the machine publishes the block's port
    // (core/kvm/irqchip/local-timers.ts); this path serves the rest (inline vCPUs, tests).
    read: (offset, size) => pmTimerRead(this.o.clock.nowNs(), offset, size),
    write: () => {},
  };

  /** A wake event source fired (4.8.3.1.1): RTC alarm or power button. Returns true if it wakes an S3 sleep. */
  wakeEvent(source: 'rtc' | 'power-button'): boolean {
    const bit = source === 'rtc' ? ACPI_BITMASK_RT_CLOCK_STATUS : ACPI_BITMASK_POWER_BUTTON_STATUS;
    this.sts |= bit;
    const wakes = (this.en & bit) !== 0 || source === 'power-button';
    this.update();
    return wakes;
  }

  /** Back from S3: WAK_STS set, SLP_TYP cleared (16.3 "Waking"). */
  resumed(): void {
    this.sts |= ACPI_BITMASK_WAKE_STATUS;
    this.cnt &= ~ACPI_BITMASK_SLEEP_TYPE;
    this.update();
  }

  /** Power-on state: everything clear. */
  reset(): void {
    this.sts = 0;
    this.en = 0;
    this.cnt = 0;
    this.timerEpoch = this.epochNow();
    this.update();
  }

  private sleep(typ: number): void {
    if (typ === this.o.slpTyp.S5) this.o.onSleep('S5');
    else if (this.o.slpTyp.S3 !== undefined && typ === this.o.slpTyp.S3) this.o.onSleep('S3');
    // Other SLP_TYP values name no state in our DSDT: nothing happens, as on a PIIX4.
  }

  private epochNow(): number {
    return Math.floor(pmTimerTicks(this.o.clock.nowNs()) / PM_TIMER_HALF);
  }

  /** TMR_STS: set when bit 23 of the counter has changed since it was last seen (4.8.3.3). */
  private syncTimerStatus(): void {
    const epoch = this.epochNow();
    if (epoch !== this.timerEpoch) {
      this.timerEpoch = epoch;
      this.sts |= ACPI_BITMASK_TIMER_STATUS;
    }
  }

  private update(): void {
    const level = (this.sts & this.en & SCI_SOURCES) !== 0;
    if (level !== this.sciLevel) {
      this.sciLevel = level;
      this.o.sci.setLevel(level);
    }
    this.armTimer();
  }

  /** With TMR_EN set and TMR_STS clear, the next bit-23 change must raise the SCI on time. */
  private armTimer(): void {
    const timers = this.o.timers;
    if (timers === undefined) return;
    if (this.timerHandle !== undefined) timers.cancel(this.timerHandle);
    this.timerHandle = undefined;
    if (!(this.en & ACPI_BITMASK_TIMER_STATUS) || this.sts & ACPI_BITMASK_TIMER_STATUS) return;
    this.timerHandle = timers.schedule(pmTimerTickTimeNs((this.timerEpoch + 1) * PM_TIMER_HALF), () => {
      this.timerHandle = undefined;
      this.syncTimerStatus();
      this.update();
    });
  }
}
