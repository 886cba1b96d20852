// The local APIC timer (SDM Vol. 3A 11.5.4 "APIC Timer"): one-shot and periodic modes
// count the initial count down at the bus clock divided by TDCR; TSC-deadline mode
// (11.5.4.1) fires when the TSC reaches IA32_TSC_DEADLINE. The model is KVM's software
// timer (arch/x86/kvm/lapic.c: set_target_expiration, start_sw_period, apic_timer_fn,
// start_sw_tscdeadline): the counter is never stored, it is derived from the expiry time.

import { ApicReg, TimerMode } from './apic-regs.ts';
import type { TimerHandle, TimerQueue, Clock } from '../clock.ts';

/** KVM's APIC_BUS_CYCLE_NS_DEFAULT: the APIC timer's input clock runs at 1 GHz. */
export const APIC_BUS_CYCLE_NS_DEFAULT = 1;
/** KVM's min_timer_period_us (200): the shortest periodic period it arms. */
export const MIN_TIMER_PERIOD_NS = 200_000;

/** The guest's time-stamp counter, for TSC-deadline mode. */
export interface TscSource {
  guestTsc(): bigint;
  readonly tscHz: number;
}

/** What the timer needs of its APIC. */
export interface TimerHost {
  /** The APIC page as 32-bit words (LVTT, TMICT, TMCCT and TDCR live there). */
  readonly regs: Uint32Array;
  /** The timer reached zero or the deadline: deliver through LVTT (kvm_apic_local_deliver). */
  timerExpired(): void;
}

export interface LapicTimerOptions {
  clock: Clock;
  queue: TimerQueue;
  /** Present when the CPU has the TSC-deadline timer (CPUID.01H:ECX[24]). */
  tsc?: TscSource;
  busCycleNs?: number;
  minPeriodicNs?: number;
}

/** TDCR bits 3, 1:0 to the divisor (SDM Vol. 3A Figure 11-10); bit 2 is reserved. */
export function divideCount(tdcr: number): number {
  const bits = ((tdcr & 3) | ((tdcr & 8) >>> 1)) + 1;
  return 1 << (bits & 7);
}

export class LapicTimer {
  mode: TimerMode = TimerMode.OneShot;
  divide = 2;
  /** The period in ns; 0 when the initial count is 0. */
  periodNs = 0;
  /** When the count reaches 0 (KVM's target_expiration; 0 once a one-shot has fired). */
  targetNs = 0;
  /** IA32_TSC_DEADLINE; 0 = disarmed (cleared when it fires). */
  tscDeadline = 0n;
  private handle: TimerHandle | undefined;
  private readonly busCycleNs: number;
  private readonly minPeriodicNs: number;

  constructor(
    private readonly host: TimerHost,
    private readonly opts: LapicTimerOptions,
  ) {
    this.busCycleNs = opts.busCycleNs ?? APIC_BUS_CYCLE_NS_DEFAULT;
    this.minPeriodicNs = opts.minPeriodicNs ?? MIN_TIMER_PERIOD_NS;
  }

  /** The LVT timer-mode bits a guest may write: TSC-deadline only when the CPU has it. */
  get modeMask(): number {
    return this.opts.tsc ? TimerMode.Periodic | TimerMode.TscDeadline : TimerMode.Periodic;
  }

  /** Whether the host side holds an armed timer (for tests and the UI). */
  get armed(): boolean {
    return this.handle !== undefined;
  }

  private reg(offset: ApicReg): number {
    return this.host.regs[offset >>> 2]!;
  }

  private setReg(offset: ApicReg, value: number): void {
    this.host.regs[offset >>> 2] = value;
  }

  private nsFromCount(count: number): number {
    return count * this.busCycleNs * this.divide;
  }

  reset(): void {
    this.cancel();
    this.mode = TimerMode.OneShot;
    this.periodNs = 0;
    this.targetNs = 0;
    this.tscDeadline = 0n;
    this.divide = divideCount(this.reg(ApicReg.TDCR));
  }

  cancel(): void {
    if (this.handle) this.opts.queue.cancel(this.handle);
    this.handle = undefined;
  }

  /** TMCCT (apic_get_tmcct): what is left of the current period, in timer ticks. */
  currentCount(): number {
    if (this.mode === TimerMode.TscDeadline) return 0;
    if (this.reg(ApicReg.TMICT) === 0 || this.periodNs === 0) return 0;
    const remaining = Math.max(0, this.targetNs - this.opts.clock.nowNs());
    return Math.floor((remaining % this.periodNs) / (this.busCycleNs * this.divide));
  }

  /** apic_update_lvtt(): a switch into or out of TSC-deadline mode stops the timer. */
  updateLvtt(lvtt: number): void {
    const mode = (lvtt & this.modeMask) as TimerMode;
    if (mode === this.mode) return;
    if ((this.mode === TimerMode.TscDeadline) !== (mode === TimerMode.TscDeadline)) {
      this.cancel();
      this.setReg(ApicReg.TMICT, 0);
      this.periodNs = 0;
      this.tscDeadline = 0n;
    }
    this.mode = mode;
    this.limitPeriodic();
  }

  /** A TMICT write: restarts the count (ignored in TSC-deadline mode). */
  writeInitialCount(value: number): void {
    if (this.mode === TimerMode.TscDeadline) return;
    this.cancel();
    this.setReg(ApicReg.TMICT, value >>> 0);
    this.start(ApicReg.TMICT);
  }

  /**
   * A TDCR write: a running count continues at the new rate from where it is. Unlike KVM,
   * which re-arms a one-shot timer that has already fired (its target is then "now"), a
   * finished one-shot count stays at 0 until TMICT is written (SDM Vol. 3A 11.5.4).
   */
  writeDivideConfig(value: number): void {
    const old = this.divide;
    this.setReg(ApicReg.TDCR, value & 0xb);
    this.divide = divideCount(value);
    if (this.divide === old || this.periodNs === 0 || !this.armed) return;
    this.cancel();
    // update_target_expiration(): the remaining time scales with the divisor.
    this.periodNs = this.nsFromCount(this.reg(ApicReg.TMICT));
    this.limitPeriodic();
    const now = this.opts.clock.nowNs();
    const remaining = Math.max(0, this.targetNs - now);
    this.targetNs = now + Math.floor((remaining * this.divide) / old);
    this.restart();
  }

  /** IA32_TSC_DEADLINE write: arms, re-arms or (with 0) disarms; only in TSC-deadline mode. */
  writeTscDeadline(value: bigint): void {
    if (this.mode !== TimerMode.TscDeadline) return;
    this.cancel();
    this.tscDeadline = BigInt.asUintN(64, value);
    this.restart();
  }

  readTscDeadline(): bigint {
    return this.mode === TimerMode.TscDeadline ? this.tscDeadline : 0n;
  }

  /**
   * Starts the count from TMICT, or from TMCCT when restoring state (__start_apic_timer):
   * a restored count above the initial count restarts a full period.
   */
  start(countReg: ApicReg.TMICT | ApicReg.TMCCT): void {
    if (this.mode !== TimerMode.TscDeadline && !this.setTargetExpiration(countReg)) return;
    this.restart();
  }

  private setTargetExpiration(countReg: ApicReg.TMICT | ApicReg.TMCCT): boolean {
    this.periodNs = this.nsFromCount(this.reg(ApicReg.TMICT));
    if (this.periodNs === 0) return false;
    this.limitPeriodic();
    let deadline = this.periodNs;
    if (countReg !== ApicReg.TMICT) {
      deadline = this.nsFromCount(this.reg(countReg));
      if (deadline <= 0) deadline = this.mode === TimerMode.Periodic ? this.periodNs : 0;
      else if (deadline > this.periodNs) {
        this.setReg(countReg, 0);
        deadline = this.periodNs;
      }
    }
    this.targetNs = this.opts.clock.nowNs() + deadline;
    return true;
  }

  /** Periodic timers cannot run faster than the host allows (limit_periodic_timer_frequency). */
  private limitPeriodic(): void {
    if (this.mode === TimerMode.Periodic && this.periodNs !== 0 && this.periodNs < this.minPeriodicNs)
      this.periodNs = this.minPeriodicNs;
  }

  private restart(): void {
    if (this.mode === TimerMode.TscDeadline) this.startTscDeadline();
    else this.startPeriod();
  }

  /** start_sw_period(). */
  private startPeriod(): void {
    if (this.periodNs === 0) return;
    if (this.opts.clock.nowNs() > this.targetNs) {
      this.expired();
      if (this.mode === TimerMode.OneShot) return;
      this.targetNs += this.periodNs;
    }
    this.arm(this.targetNs);
  }

  /** start_sw_tscdeadline(): a deadline already passed fires at once. */
  private startTscDeadline(): void {
    const tsc = this.opts.tsc;
    if (this.tscDeadline === 0n || tsc === undefined) return;
    const now = tsc.guestTsc();
    if (this.tscDeadline > now) {
      const ns = Number(((this.tscDeadline - now) * 1_000_000_000n) / BigInt(tsc.tscHz));
      if (ns > 0) {
        this.arm(this.opts.clock.nowNs() + ns);
        return;
      }
    }
    this.expired();
  }

  private arm(atNs: number): void {
    this.handle = this.opts.queue.schedule(atNs, () => this.fire());
  }

  /** apic_timer_fn(): a periodic timer re-arms one period after its previous expiry. */
  private fire(): void {
    this.handle = undefined;
    this.expired();
    if (this.mode === TimerMode.Periodic && this.periodNs !== 0) {
      this.targetNs += this.periodNs;
      this.arm(this.targetNs);
    }
  }

  /** apic_timer_expired() + kvm_apic_inject_pending_timer_irqs(). */
  private expired(): void {
    this.host.timerExpired();
    if (this.mode === TimerMode.TscDeadline) this.tscDeadline = 0n;
    else if (this.mode === TimerMode.OneShot) this.targetNs = 0;
  }
}
