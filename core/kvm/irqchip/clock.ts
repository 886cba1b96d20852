// Time for the in-"kernel" timers (the LAPIC timer, the IOAPIC's interrupt-storm delay).
// KVM arms hrtimers on the host's CLOCK_MONOTONIC; ours take the clock and the timer queue
// as injected interfaces, so tests drive virtual time deterministically and a worker can
// back them with performance.now() and setTimeout, or with guest-instruction time.

/** A monotonic clock in nanoseconds (ktime_get()). */
export interface VirtualClock {
  nowNs(): number;
}

export interface TimerHandle {
  readonly id: number;
}

/** Absolute-time one-shot timers (hrtimer_start(..., HRTIMER_MODE_ABS)). */
export interface TimerQueue {
  /** Runs `callback` once the clock reaches `atNs` (at once if that is already past). */
  schedule(atNs: number, callback: () => void): TimerHandle;
  /** Cancelling a timer that has fired or was cancelled does nothing. */
  cancel(handle: TimerHandle): void;
}

interface Pending {
  readonly id: number;
  readonly atNs: number;
  readonly callback: () => void;
}

/**
 * A clock that moves only when told to, with its timer queue: `advanceTo` fires every timer
 * due by then in deadline order (ties in scheduling order), with `nowNs()` reading each
 * timer's own deadline while its callback runs, as an hrtimer callback sees ktime_get()
 * at expiry on an idle host. Timers scheduled by a callback fire in the same advance when due.
 */
export class VirtualTimerQueue implements VirtualClock, TimerQueue {
  private now = 0;
  private nextId = 1;
  private pending: Pending[] = [];

  constructor(startNs = 0) {
    this.now = startNs;
  }

  nowNs(): number {
    return this.now;
  }

  schedule(atNs: number, callback: () => void): TimerHandle {
    const id = this.nextId++;
    this.pending.push({ id, atNs, callback });
    return { id };
  }

  cancel(handle: TimerHandle): void {
    this.pending = this.pending.filter((p) => p.id !== handle.id);
  }

  /** Timers not yet fired, for tests and the UI. */
  get scheduled(): number {
    return this.pending.length;
  }

  /** The earliest deadline, or undefined when nothing is scheduled. */
  nextDeadline(): number | undefined {
    const p = this.earliest();
    return p?.atNs;
  }

  advanceBy(ns: number): void {
    this.advanceTo(this.now + ns);
  }

  advanceTo(ns: number): void {
    if (ns < this.now)
      throw new RangeError(`VirtualTimerQueue: time moves forward only (${ns} < ${this.now})`);
    for (;;) {
      const p = this.earliest();
      if (p === undefined || p.atNs > ns) break;
      this.pending = this.pending.filter((q) => q !== p);
      if (p.atNs > this.now) this.now = p.atNs;
      p.callback();
    }
    this.now = ns;
  }

  private earliest(): Pending | undefined {
    let best: Pending | undefined;
    for (const p of this.pending)
      if (best === undefined || p.atNs < best.atNs || (p.atNs === best.atNs && p.id < best.id)) best = p;
    return best;
  }
}
