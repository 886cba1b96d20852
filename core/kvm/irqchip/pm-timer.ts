// The ACPI power management timer's count as a function of time (ACPI 6.5, 4.8.3.3 "Power
// Management Timer"): a free-running 24-bit counter at 3.579545 MHz. The register block is
// the VMM's device (core/vmm/acpi/pm.ts); the arithmetic lives on the kernel side because
// a vCPU worker also answers PM timer reads itself (local-timers.ts), and core/kvm never
// imports core/vmm (DESIGN.md, STYLE.md rule 4).

/** 4.8.3.3: the PM timer runs at 3.579545 MHz. */
export const PM_TIMER_FREQUENCY_HZ = 3_579_545;
/** A 24-bit timer (FADT TMR_VAL_EXT clear); TMR_STS is set each time bit 23 changes. */
export const PM_TIMER_BITS = 24;
/** PM_TMR_BLK is one 32-bit register (4.8.3.3: PM_TMR_LEN = 4). */
export const PM_TIMER_BLOCK_LENGTH = 4;

const NS_PER_S = 1_000_000_000;

/** PM timer ticks since clock 0, exact for any 2^53 ns clock. */
export function pmTimerTicks(ns: number): number {
  const s = Math.floor(ns / NS_PER_S);
  return s * PM_TIMER_FREQUENCY_HZ + Math.floor(((ns - s * NS_PER_S) * PM_TIMER_FREQUENCY_HZ) / NS_PER_S);
}

/** The first clock time at which pmTimerTicks(ns) >= ticks. */
export function pmTimerTickTimeNs(ticks: number): number {
  const s = Math.floor(ticks / PM_TIMER_FREQUENCY_HZ);
  const rem = ticks - s * PM_TIMER_FREQUENCY_HZ;
  return s * NS_PER_S + Math.ceil((rem * NS_PER_S) / PM_TIMER_FREQUENCY_HZ);
}

/** A read of `size` bytes at `offset` in PM_TMR_BLK at clock time `ns`: the count in bits 23:0, 31:24 zero. */
export function pmTimerRead(ns: number, offset: number, size: number): number {
  const v = pmTimerTicks(ns) % 2 ** PM_TIMER_BITS;
  return size === 4 ? v : Math.floor(v / 2 ** (8 * offset)) % 2 ** (8 * size);
}
