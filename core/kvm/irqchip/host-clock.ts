// Real time for the in-kernel devices (KVM: ktime_get() and hrtimers). Every thread of a VM
// reads the same clock: host wall-clock milliseconds (performance.timeOrigin + now(), which
// is monotonic within a thread and shared across workers) minus an epoch the VM stores in
// shared memory when it creates its irqchip, so nanoseconds stay below 2^53 (clock.ts).
//
// Two timer queues on it:
//   - `HostTimerQueue` on the VMM thread, whose event loop is free: setTimeout callbacks
//     (the PIT, the IOAPIC's EOI-storm delay);
//   - `PolledTimerQueue` in a vCPU worker, whose thread is inside Wasm while the guest runs:
//     nothing fires by itself; the run loop calls `runDue()` when the dispatcher returns
//     (the VMM thread's pump raises ApicEvent.Timer at the deadline the worker publishes)
//     and sleeps in HLT only until `nextDueNs`.
import { vmField } from '../../cpu/layout.ts';
import type { Clock, TimerHandle, TimerQueue } from '../clock.ts';

/** Host milliseconds since the Unix epoch, with sub-millisecond resolution. */
export function hostNowMs(): number {
  return performance.timeOrigin + performance.now();
}

/**
 * The VM's clock epoch (`clockEpochMs` in the shared VM area): whichever thread asks first
 * sets it to now, so the VMM thread and every vCPU worker agree on guest time 0.
 */
export function vmClockEpochMs(buffer: ArrayBufferLike): number {
  const u64 = new BigInt64Array(buffer);
  const at = vmField('clockEpochMs') >>> 3;
  const now = BigInt(Math.floor(hostNowMs()));
  const old = Atomics.compareExchange(u64, at, 0n, now);
  return Number(old === 0n ? now : old);
}

export class HostClock implements Clock {
  private last = 0;

  /** `epochMs`: host milliseconds that are guest time 0 (the VM's `clockEpochMs`). */
  constructor(readonly epochMs: number) {}

  nowNs(): number {
    const ns = Math.round((hostNowMs() - this.epochMs) * 1e6);
    // Monotonic even if two threads' time origins disagree by a rounding step.
    if (ns > this.last) this.last = ns;
    return this.last;
  }

  /** Guest nanoseconds `ns` as host epoch microseconds (the unit of `timerDeadlineUs`). */
  toHostUs(ns: number): number {
    return Math.ceil(this.epochMs * 1000 + ns / 1000);
  }
}

interface Pending {
  readonly timerId: number;
  readonly atNs: number;
  readonly callback: () => void;
}

/** A timer queue nobody runs but its owner: `runDue()` fires what the clock has passed. */
export class PolledTimerQueue implements TimerQueue {
  private nextId = 1;
  private timers: Pending[] = [];

  constructor(private readonly clock: Clock) {}

  schedule(atNs: number, callback: () => void): TimerHandle {
    const timer: Pending = { timerId: this.nextId++, atNs, callback };
    let i = this.timers.length;
    while (i > 0 && this.timers[i - 1]!.atNs > atNs) i--;
    this.timers.splice(i, 0, timer);
    return { timerId: timer.timerId };
  }

  cancel(handle: TimerHandle): void {
    const i = this.timers.findIndex((t) => t.timerId === handle.timerId);
    if (i >= 0) this.timers.splice(i, 1);
  }

  /** Due time of the earliest callback, or undefined. */
  get nextDueNs(): number | undefined {
    return this.timers[0]?.atNs;
  }

  /** Runs every callback due by now (including ones they schedule for the past); returns how many. */
  runDue(): number {
    let n = 0;
    for (;;) {
      const t = this.timers[0];
      if (t === undefined || t.atNs > this.clock.nowNs()) return n;
      this.timers.shift();
      n++;
      t.callback();
    }
  }
}

/** Timers on the VMM thread's event loop. */
export class HostTimerQueue implements TimerQueue {
  private nextId = 1;
  private readonly handles = new Map<number, ReturnType<typeof setTimeout>>();

  constructor(private readonly clock: Clock) {}

  schedule(atNs: number, callback: () => void): TimerHandle {
    const timerId = this.nextId++;
    const delayMs = Math.max(0, (atNs - this.clock.nowNs()) / 1e6);
    this.handles.set(
      timerId,
      setTimeout(() => {
        this.handles.delete(timerId);
        callback();
      }, delayMs),
    );
    return { timerId };
  }

  cancel(handle: TimerHandle): void {
    const h = this.handles.get(handle.timerId);
    if (h === undefined) return;
    clearTimeout(h);
    this.handles.delete(handle.timerId);
  }

  /** Drops every pending timer (the VM is going away). */
  cancelAll(): void {
    for (const h of this.handles.values()) clearTimeout(h);
    this.handles.clear();
  }
}
