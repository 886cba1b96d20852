// Time as every timer sees it — the in-"kernel" LAPIC timer and IOAPIC, and the VMM's 8254 PIT
// and MC146818 RTC: a monotonic guest clock in nanoseconds and a queue of one-shot callbacks
// (KVM: ktime_get() and hrtimers; QEMU: QEMU_CLOCK_VIRTUAL and timer_mod()). Devices compute
// counter values from `nowNs()` when the guest looks and schedule a callback only for the next
// edge of an interrupt line. One definition here; core/vmm imports it from the "kernel" side.
//
// Nanoseconds are plain numbers: exact up to 2^53 ns (about 104 days of guest time), so no
// BigInt on the device paths (DESIGN.md). The machine supplies the real implementation;
// tests and deterministic runs use `VirtualClock`, which moves only when told to.

/** Monotonic guest time in nanoseconds; never decreases. */
export interface Clock {
  nowNs(): number;
}

/** An opaque token for one scheduled callback. */
export interface TimerHandle {
  readonly timerId: number;
}

/** One-shot callbacks on the guest clock. */
export interface TimerQueue {
  /** Run `callback` once the clock reaches `atNs` (at once if it already has). */
  schedule(atNs: number, callback: () => void): TimerHandle;
  /** Drop a callback that has not run yet; a handle that already ran or was cancelled is ignored. */
  cancel(handle: TimerHandle): void;
}

interface PendingTimer {
  readonly timerId: number;
  readonly atNs: number;
  readonly callback: () => void;
}

/**
 * A clock that advances only through `advanceTo`/`advanceBy`, firing due callbacks in
 * time order (ties in scheduling order) with `nowNs()` equal to each callback's due time.
 */
export class VirtualClock implements Clock, TimerQueue {
  private now: number;
  private nextId = 1;
  private timers: PendingTimer[] = []; // sorted by atNs, then timerId

  constructor(startNs = 0) {
    if (!Number.isSafeInteger(startNs) || startNs < 0) throw new RangeError(`VirtualClock: start ${startNs}`);
    this.now = startNs;
  }

  nowNs(): number {
    return this.now;
  }

  schedule(atNs: number, callback: () => void): TimerHandle {
    if (!Number.isFinite(atNs)) throw new RangeError(`VirtualClock: timer at ${atNs}`);
    const timer: PendingTimer = { timerId: this.nextId++, atNs, callback };
    let i = this.timers.length;
    while (i > 0 && this.timers[i - 1].atNs > atNs) i--;
    this.timers.splice(i, 0, timer);
    return { timerId: timer.timerId };
  }

  cancel(handle: TimerHandle): void {
    const i = this.timers.findIndex((t) => t.timerId === handle.timerId);
    if (i >= 0) this.timers.splice(i, 1);
  }

  /** Callbacks not yet run. */
  get pendingTimers(): number {
    return this.timers.length;
  }

  /** Due time of the earliest pending callback, or undefined. */
  get nextDueNs(): number | undefined {
    return this.timers[0]?.atNs;
  }

  /** Move the clock to `targetNs`, running every callback due on the way (including ones they schedule). */
  advanceTo(targetNs: number): void {
    if (!Number.isSafeInteger(targetNs) || targetNs < this.now) {
      throw new RangeError(`VirtualClock: cannot move from ${this.now} to ${targetNs}`);
    }
    for (;;) {
      const next = this.timers[0];
      if (next === undefined || next.atNs > targetNs) break;
      this.timers.shift();
      this.now = Math.max(this.now, Math.ceil(next.atNs));
      next.callback();
    }
    this.now = targetNs;
  }

  advanceBy(deltaNs: number): void {
    this.advanceTo(this.now + deltaNs);
  }
}
