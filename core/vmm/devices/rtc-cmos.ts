// Motorola MC146818A real-time clock plus RAM, as the PC/AT's CMOS: the index port 0x70
// (bit 7 of every write masks NMI, bits 6:0 select one of 128 bytes) and the data port
// 0x71, IRQ 8. Register names and bits follow the datasheet and Linux
// include/linux/mc146818rtc.h.
//
// Time model. The divider chain is a phase: `phaseRefNs` is a guest-clock instant at which
// a second began, so seconds begin every 1e9 ns after it and the periodic taps fire at
// multiples of their period in 32.768 kHz cycles counted from it. While time runs (SET = 0
// and the divider on), the clock bytes are derived from `baseSec` (the time in seconds
// since 1970, UTC calendar, at `phaseRefNs`) and never stored; when SET = 1 or the divider
// is held in reset, they are materialized into the RAM image and the guest edits them
// there, and time restarts from whatever they then hold. The calendar is UTC, as Linux and
// QEMU (-rtc base=utc) expect.
//
// Update cycles (datasheet "Update Cycle", Table 6 for 32.768 kHz): UIP is 1 from
// tBUC = 244 us before a second begins until the tUC = 1984 us update cycle ends; the
// clock bytes change as the cycle starts (they are "not accessible" during it, so any value
// is right), and UF, and AF when the new time matches the alarm bytes, are set as it ends.
// Flags are computed when the guest looks; a callback is scheduled only for the next event
// whose interrupt is enabled and not already pending, so a guest polling with interrupts
// off costs nothing.
//
// Choices where the datasheet is silent or the PC differs:
//  - Reset values A = 0x26, B = 0x02, D = 0x80, as QEMU's mc146818rtc realize.
//  - DV = 000 and 001 (4.19 MHz and 1.05 MHz time bases) run as if the crystal matched, as
//    QEMU does; 011-101 (test modes) and 11x (reset) stop the chain. Leaving any of those
//    starts the first update half a second later ("Divider Reset").
//  - A write of B with SET = 1 clears UIE ("the SET bit going high clears the UIE bit";
//    QEMU clears it on every such write).
//  - DSE (daylight saving) is stored but has no effect, as in QEMU: PCs keep it 0.
//  - Changing DM or 24/12 while time runs re-encodes the clock bytes (the chip would leave
//    them in the old format until rewritten).
//  - The day-of-week byte counts on from whatever the guest wrote: it is kept as an offset
//    from the calendar's weekday.

import type { AccessSize, IrqLine, PioDevice } from '../bus.ts';
import type { Clock, TimerHandle, TimerQueue } from '../../kvm/clock.ts';

export const RTC_IOBASE = 0x70;
export const RTC_PORTS = 2;
export const RTC_IRQ = 8;

// Address map ("Address Map" figure).
export const RTC_SECONDS = 0x00;
export const RTC_SECONDS_ALARM = 0x01;
export const RTC_MINUTES = 0x02;
export const RTC_MINUTES_ALARM = 0x03;
export const RTC_HOURS = 0x04;
export const RTC_HOURS_ALARM = 0x05;
export const RTC_DAY_OF_WEEK = 0x06;
export const RTC_DAY_OF_MONTH = 0x07;
export const RTC_MONTH = 0x08;
export const RTC_YEAR = 0x09;
export const RTC_REG_A = 0x0a;
export const RTC_REG_B = 0x0b;
export const RTC_REG_C = 0x0c;
export const RTC_REG_D = 0x0d;
/** PC CMOS: the century, in the clock's BCD or binary format (the ACPI FADT CENTURY field names it). */
export const CMOS_CENTURY = 0x32;
/** 14 clock bytes plus 114 bytes of RAM on the PC (QEMU: 128). */
export const CMOS_SIZE = 128;
const FIRST_RAM_BYTE = 0x0e;

// Register A.
export const RTC_UIP = 0x80;
const RTC_DIV_CTL = 0x70;
const RTC_REF_CLCK_32KHZ = 0x20;
const RTC_RATE_SELECT = 0x0f;
// Register B.
export const RTC_SET = 0x80;
export const RTC_PIE = 0x40;
export const RTC_AIE = 0x20;
export const RTC_UIE = 0x10;
export const RTC_DM_BINARY = 0x04;
export const RTC_24H = 0x02;
// Register C: each flag sits at the bit position of its enable in register B.
export const RTC_IRQF = 0x80;
export const RTC_PF = 0x40;
export const RTC_AF = 0x20;
export const RTC_UF = 0x10;
const RTC_INT_FLAGS = RTC_PF | RTC_AF | RTC_UF;
// Register D.
export const RTC_VRT = 0x80;

const NMI_DISABLE = 0x80;
const INDEX_MASK = 0x7f;
const ALARM_DONT_CARE = 0xc0; // "don't care" codes: 11xxxxxx
const PM_BIT = 0x80; // hours byte in 12-hour mode

const NS_PER_S = 1_000_000_000;
const TIME_BASE_HZ = 32_768;
/** tUC at 32.768 kHz (Table 6). */
const UPDATE_CYCLE_NS = 1_984_000;
/** tBUC: eight cycles of the 32.768 kHz time base, the datasheet's "244 us". */
const UIP_LEAD_NS = (8 * NS_PER_S) / TIME_BASE_HZ;
const HALF_SECOND_NS = NS_PER_S / 2;
const SECONDS_PER_DAY = 86_400;

/** The clock bytes, in the order they are materialized. */
const TIME_REGISTERS = [
  RTC_SECONDS,
  RTC_MINUTES,
  RTC_HOURS,
  RTC_DAY_OF_WEEK,
  RTC_DAY_OF_MONTH,
  RTC_MONTH,
  RTC_YEAR,
  CMOS_CENTURY,
] as const;

function mod(a: number, m: number): number {
  return ((a % m) + m) % m;
}

function toBcd(v: number): number {
  return ((Math.floor(v / 10) % 10) << 4) | (v % 10);
}

function fromBcd(b: number): number {
  return (b >> 4) * 10 + (b & 0xf);
}

/** The CMOS bytes QEMU's pc_cmos_init() writes for the memory size, which BIOS-less guests read. */
export function pcCmosMemoryBytes(belowFourGiB: number, aboveFourGiB: number): [number, number][] {
  const KiB = 1024;
  const MiB = 1024 * KiB;
  const base = Math.min(Math.floor(belowFourGiB / KiB), 640);
  const extended = Math.min(belowFourGiB > MiB ? Math.floor((belowFourGiB - MiB) / KiB) : 0, 0xffff);
  const above16M = Math.min(
    belowFourGiB > 16 * MiB ? Math.floor((belowFourGiB - 16 * MiB) / (64 * KiB)) : 0,
    0xffff,
  );
  const high = Math.floor(aboveFourGiB / (64 * KiB));
  return [
    [0x15, base & 0xff], // base memory in KiB
    [0x16, base >> 8],
    [0x17, extended & 0xff], // memory above 1 MiB in KiB (capped)
    [0x18, extended >> 8],
    [0x30, extended & 0xff], // the same, where POST reports it
    [0x31, extended >> 8],
    [0x34, above16M & 0xff], // memory above 16 MiB in 64 KiB units (capped)
    [0x35, above16M >> 8],
    [0x5b, high & 0xff], // memory above 4 GiB in 64 KiB units
    [0x5c, (high >> 8) & 0xff],
    [0x5d, (high >> 16) & 0xff],
  ];
}

export interface RtcCmosOptions {
  /** Wall-clock time at construction in ms since the Unix epoch; default: the host's `Date.now()`. */
  startTimeMs?: number;
}

/** Snapshot of an `RtcCmos`: plain data (STYLE.md rule 2). */
export interface RtcCmosState {
  /** All 128 bytes; the clock bytes as of the snapshot. */
  cmos: number[];
  index: number;
  nmiDisabled: boolean;
  /** PF, AF, UF as register C holds them. */
  flags: number;
  baseSec: number;
  phaseRefNs: number;
  dowOffset: number;
  lastSyncNs: number;
}

export type RtcCmosStateError = { kind: 'bad-field'; field: string; value: unknown };

export type RtcCmosFromState = { ok: true; rtc: RtcCmos } | { ok: false; error: RtcCmosStateError };

export class RtcCmos implements PioDevice {
  readonly maxAccessSize = 1;
  private readonly cmos = new Uint8Array(CMOS_SIZE);
  private index = 0;
  private nmiMask = false;
  private flags = 0;
  private baseSec: number;
  private phaseRefNs: number;
  private dowOffset = 0;
  private lastSyncNs: number;
  private irqLevel = false;
  private timer: TimerHandle | undefined;

  constructor(
    private readonly irq: IrqLine,
    private readonly clock: Clock,
    private readonly timers: TimerQueue,
    options: RtcCmosOptions = {},
  ) {
    const now = clock.nowNs();
    const startMs = Math.floor(options.startTimeMs ?? Date.now());
    this.baseSec = Math.floor(startMs / 1000);
    this.phaseRefNs = now - mod(startMs, 1000) * 1_000_000; // seconds turn over with the host's
    this.lastSyncNs = now;
    this.cmos[RTC_REG_A] = RTC_REF_CLCK_32KHZ | 0x06; // 32.768 kHz, 1024 Hz periodic rate
    this.cmos[RTC_REG_B] = RTC_24H; // BCD, 24-hour, all interrupts off
  }

  /** Port 0x70's bit 7 as last written: NMI is masked at the CPU's NMI input. */
  get nmiDisabled(): boolean {
    return this.nmiMask;
  }

  read(offset: number, _size: AccessSize): number {
    if (offset === 0) return 0xff; // the index port is write-only (as QEMU)
    const now = this.clock.nowNs();
    this.sync(now);
    const i = this.index;
    switch (i) {
      case RTC_REG_A:
        return this.cmos[RTC_REG_A] | (this.updateInProgress(now) ? RTC_UIP : 0);
      case RTC_REG_C: {
        // "All flag bits are cleared after Register C is read".
        const c = this.registerC();
        this.flags = 0;
        this.update();
        return c;
      }
      case RTC_REG_D:
        return RTC_VRT;
      default:
        if (this.isTimeRegister(i) && this.running()) return this.timeBytes(this.secondsAt(now))[i];
        return this.cmos[i];
    }
  }

  write(offset: number, _size: AccessSize, value: number): void {
    const v = value & 0xff;
    if (offset === 0) {
      this.index = v & INDEX_MASK;
      this.nmiMask = (v & NMI_DISABLE) !== 0;
      return;
    }
    const now = this.clock.nowNs();
    this.sync(now);
    const i = this.index;
    if (this.isTimeRegister(i)) {
      if (this.running()) {
        this.materialize(now);
        this.cmos[i] = v;
        this.rebase(now);
      } else {
        this.cmos[i] = v;
      }
    } else if (i === RTC_REG_A) {
      this.writeA(v, now);
    } else if (i === RTC_REG_B) {
      this.writeB(v, now);
    } else if (i !== RTC_REG_C && i !== RTC_REG_D) {
      this.cmos[i] = v; // alarm bytes and RAM; C and D are read-only
    }
    this.update();
  }

  /** Host side: fill a RAM byte as firmware would (e.g. from `pcCmosMemoryBytes`). */
  setCmosByte(index: number, value: number): void {
    if (!Number.isInteger(index) || index < FIRST_RAM_BYTE || index >= CMOS_SIZE || index === CMOS_CENTURY) {
      throw new RangeError(`rtc: ${index} is not a CMOS RAM byte`);
    }
    this.cmos[index] = value & 0xff;
  }

  private writeA(v: number, now: number): void {
    const dividerWasRunning = this.dividerRunning();
    if (this.running()) this.materialize(now);
    this.cmos[RTC_REG_A] = v & ~RTC_UIP; // UIP is read-only
    if (!dividerWasRunning && this.dividerRunning()) {
      // "When the divider reset is removed, the first update cycle begins one-half second later."
      this.phaseRefNs = now - HALF_SECOND_NS;
      if (this.running()) this.loadTime();
    }
  }

  private writeB(v: number, now: number): void {
    const wasRunning = this.running();
    const b = v & RTC_SET ? v & ~RTC_UIE : v;
    if (wasRunning && b & RTC_SET) this.materialize(now); // in the old DM/24h format
    this.cmos[RTC_REG_B] = b;
    if (!wasRunning && this.running()) this.rebase(now); // SET cleared: count on from the bytes
  }

  private dividerRunning(): boolean {
    return (this.cmos[RTC_REG_A] & RTC_DIV_CTL) <= RTC_REF_CLCK_32KHZ;
  }

  private running(): boolean {
    return (this.cmos[RTC_REG_B] & RTC_SET) === 0 && this.dividerRunning();
  }

  private isTimeRegister(i: number): boolean {
    return (TIME_REGISTERS as readonly number[]).includes(i);
  }

  private secondsAt(now: number): number {
    return this.baseSec + Math.floor((now - this.phaseRefNs) / NS_PER_S);
  }

  /** Index k of the last update cycle ended by `t`; cycle k ends tUC after second k begins. */
  private updateIndex(t: number): number {
    return Math.floor((t - this.phaseRefNs - UPDATE_CYCLE_NS) / NS_PER_S);
  }

  private updateEndNs(k: number): number {
    return this.phaseRefNs + k * NS_PER_S + UPDATE_CYCLE_NS;
  }

  private updateInProgress(now: number): boolean {
    if (!this.running()) return false;
    const elapsed = now - this.phaseRefNs;
    const phase = mod(elapsed, NS_PER_S);
    // Second 0 began before time started (construction, SET or divider restart): no cycle ran.
    return phase >= NS_PER_S - UIP_LEAD_NS || (phase < UPDATE_CYCLE_NS && elapsed >= NS_PER_S);
  }

  /** Periodic rate in 32.768 kHz cycles (Table "Periodic Interrupt Rate"), 0 for none. */
  private periodCycles(): number {
    const rs = this.cmos[RTC_REG_A] & RTC_RATE_SELECT;
    if (rs === 0) return 0;
    return 2 ** ((rs <= 2 ? rs + 7 : rs) - 1);
  }

  private cycles(t: number): number {
    const e = t - this.phaseRefNs;
    const s = Math.floor(e / NS_PER_S);
    return s * TIME_BASE_HZ + Math.floor(((e - s * NS_PER_S) * TIME_BASE_HZ) / NS_PER_S);
  }

  private cycleTimeNs(c: number): number {
    const s = Math.floor(c / TIME_BASE_HZ);
    return this.phaseRefNs + s * NS_PER_S + Math.ceil(((c - s * TIME_BASE_HZ) * NS_PER_S) / TIME_BASE_HZ);
  }

  /** Set the flags for everything that happened since the last sync. */
  private sync(now: number): void {
    const from = this.lastSyncNs;
    if (now <= from) return;
    this.lastSyncNs = now;
    if (!this.dividerRunning()) return;
    const p = this.periodCycles();
    // "PF is set to a one independent of the state of the PIE bit."
    if (p > 0 && Math.floor(this.cycles(now) / p) > Math.floor(this.cycles(from) / p)) this.flags |= RTC_PF;
    if (!this.running()) return;
    const first = Math.max(1, this.updateIndex(from) + 1);
    const last = this.updateIndex(now);
    if (last < first) return;
    this.flags |= RTC_UF;
    const d = this.secondsToAlarm(this.baseSec + first);
    if (d >= 0 && first + d <= last) this.flags |= RTC_AF;
  }

  private registerC(): number {
    return this.flags | (this.flags & this.cmos[RTC_REG_B] & RTC_INT_FLAGS ? RTC_IRQF : 0);
  }

  /** IRQF drives IRQ 8 (the chip's active-low IRQ pin, inverted on the PC); then reschedule. */
  private update(): void {
    const level = (this.registerC() & RTC_IRQF) !== 0;
    if (level !== this.irqLevel) {
      this.irqLevel = level;
      this.irq.setLevel(level);
    }
    this.reschedule();
  }

  private reschedule(): void {
    if (this.timer !== undefined) {
      this.timers.cancel(this.timer);
      this.timer = undefined;
    }
    if (!this.dividerRunning()) return;
    const now = this.lastSyncNs;
    const waiting = this.cmos[RTC_REG_B] & ~this.flags; // enabled, not yet flagged
    let at = Infinity;
    const p = this.periodCycles();
    if (waiting & RTC_PIE && p > 0) at = this.cycleTimeNs((Math.floor(this.cycles(now) / p) + 1) * p);
    if (this.running() && waiting & (RTC_UIE | RTC_AIE)) {
      const next = Math.max(1, this.updateIndex(now) + 1);
      if (waiting & RTC_UIE) at = Math.min(at, this.updateEndNs(next));
      const d = waiting & RTC_AIE ? this.secondsToAlarm(this.baseSec + next) : -1;
      if (d >= 0) at = Math.min(at, this.updateEndNs(next + d));
    }
    if (at === Infinity) return;
    this.timer = this.timers.schedule(at, () => {
      this.timer = undefined;
      this.sync(this.clock.nowNs());
      this.update();
    });
  }

  private encode(v: number): number {
    return this.cmos[RTC_REG_B] & RTC_DM_BINARY ? v : toBcd(v);
  }

  private decode(b: number): number {
    return this.cmos[RTC_REG_B] & RTC_DM_BINARY ? b : fromBcd(b);
  }

  private encodeHour(h: number): number {
    if (this.cmos[RTC_REG_B] & RTC_24H) return this.encode(h);
    return this.encode(h % 12 === 0 ? 12 : h % 12) | (h >= 12 ? PM_BIT : 0);
  }

  private decodeHour(b: number): number {
    if (this.cmos[RTC_REG_B] & RTC_24H) return this.decode(b);
    return (this.decode(b & ~PM_BIT) % 12) + (b & PM_BIT ? 12 : 0);
  }

  /** The clock bytes for a time in seconds since 1970. */
  private timeBytes(sec: number): Record<number, number> {
    const d = new Date(sec * 1000);
    const year = d.getUTCFullYear();
    return {
      [RTC_SECONDS]: this.encode(d.getUTCSeconds()),
      [RTC_MINUTES]: this.encode(d.getUTCMinutes()),
      [RTC_HOURS]: this.encodeHour(d.getUTCHours()),
      [RTC_DAY_OF_WEEK]: this.encode(mod(d.getUTCDay() + this.dowOffset, 7) + 1), // 1 = Sunday
      [RTC_DAY_OF_MONTH]: this.encode(d.getUTCDate()),
      [RTC_MONTH]: this.encode(d.getUTCMonth() + 1),
      [RTC_YEAR]: this.encode(mod(year, 100)),
      [CMOS_CENTURY]: this.encode(mod(Math.floor(year / 100), 100)),
    };
  }

  /** Freeze the running time into the RAM image. */
  private materialize(now: number): void {
    const bytes = this.timeBytes(this.secondsAt(now));
    for (const i of TIME_REGISTERS) this.cmos[i] = bytes[i];
  }

  /** Time runs on from the clock bytes; the second in progress keeps its phase. */
  private rebase(now: number): void {
    this.phaseRefNs += Math.floor((now - this.phaseRefNs) / NS_PER_S) * NS_PER_S;
    this.loadTime();
  }

  /** `baseSec` from the clock bytes (out-of-range fields carry, as Date does). */
  private loadTime(): void {
    const c = this.cmos;
    const d = new Date(0);
    d.setUTCFullYear(
      this.decode(c[CMOS_CENTURY]) * 100 + this.decode(c[RTC_YEAR]),
      this.decode(c[RTC_MONTH]) - 1,
      this.decode(c[RTC_DAY_OF_MONTH]),
    );
    d.setUTCHours(this.decodeHour(c[RTC_HOURS]), this.decode(c[RTC_MINUTES]), this.decode(c[RTC_SECONDS]), 0);
    const sec = Math.floor(d.getTime() / 1000);
    this.baseSec = Number.isFinite(sec) ? sec : 0;
    this.dowOffset = mod(this.decode(c[RTC_DAY_OF_WEEK]) - 1 - new Date(this.baseSec * 1000).getUTCDay(), 7);
  }

  /**
   * Seconds from `fromSec` to the first time of day that matches the alarm bytes, 0 if
   * `fromSec` itself does, or -1 if none can. "The alarm bytes are compared with the
   * corresponding time bytes" on each update; 11xxxxxx in an alarm byte matches anything.
   */
  private secondsToAlarm(fromSec: number): number {
    const matching = (alarmIndex: number, n: number, enc: (v: number) => number): number[] => {
      const a = this.cmos[alarmIndex];
      const all = Array.from({ length: n }, (_, v) => v);
      return (a & ALARM_DONT_CARE) === ALARM_DONT_CARE ? all : all.filter((v) => enc(v) === a);
    };
    const hours = matching(RTC_HOURS_ALARM, 24, (h) => this.encodeHour(h));
    const minutes = matching(RTC_MINUTES_ALARM, 60, (m) => this.encode(m));
    const seconds = matching(RTC_SECONDS_ALARM, 60, (s) => this.encode(s));
    const start = mod(fromSec, SECONDS_PER_DAY);
    for (const day of [0, SECONDS_PER_DAY]) {
      for (const h of hours) {
        const hour = day + h * 3600;
        if (hour + 3599 < start) continue;
        for (const m of minutes) {
          const minute = hour + m * 60;
          if (minute + 59 < start) continue;
          for (const s of seconds) {
            if (minute + s >= start) return minute + s - start;
          }
        }
      }
    }
    return -1;
  }

  /** As of now, with the clock bytes current. */
  saveState(): RtcCmosState {
    const now = this.clock.nowNs();
    this.sync(now);
    const cmos = Array.from(this.cmos);
    if (this.running()) {
      const bytes = this.timeBytes(this.secondsAt(now));
      for (const i of TIME_REGISTERS) cmos[i] = bytes[i];
    }
    return {
      cmos,
      index: this.index,
      nmiDisabled: this.nmiMask,
      flags: this.flags,
      baseSec: this.baseSec,
      phaseRefNs: this.phaseRefNs,
      dowOffset: this.dowOffset,
      lastSyncNs: this.lastSyncNs,
    };
  }

  /** Rebuild from a snapshot taken on the same guest clock; IRQ 8 is assumed to be at the snapshot's level. */
  static fromState(state: RtcCmosState, irq: IrqLine, clock: Clock, timers: TimerQueue): RtcCmosFromState {
    const error = validate(state);
    if (error !== undefined) return { ok: false, error };
    const rtc = new RtcCmos(irq, clock, timers, { startTimeMs: 0 });
    rtc.cmos.set(state.cmos);
    rtc.index = state.index;
    rtc.nmiMask = state.nmiDisabled;
    rtc.flags = state.flags;
    rtc.baseSec = state.baseSec;
    rtc.phaseRefNs = state.phaseRefNs;
    rtc.dowOffset = state.dowOffset;
    rtc.lastSyncNs = state.lastSyncNs;
    rtc.irqLevel = (rtc.registerC() & RTC_IRQF) !== 0;
    rtc.reschedule();
    return { ok: true, rtc };
  }
}

function validate(s: RtcCmosState): RtcCmosStateError | undefined {
  if (typeof s !== 'object' || s === null) return { kind: 'bad-field', field: 'state', value: s };
  const cmos: unknown = s.cmos;
  if (
    !Array.isArray(cmos) ||
    cmos.length !== CMOS_SIZE ||
    !cmos.every((b) => typeof b === 'number' && Number.isInteger(b) && b >= 0 && b <= 0xff)
  ) {
    return { kind: 'bad-field', field: 'cmos', value: cmos };
  }
  const ints: [keyof RtcCmosState, number, number][] = [
    ['index', 0, INDEX_MASK],
    ['flags', 0, RTC_INT_FLAGS],
    ['dowOffset', 0, 6],
    ['baseSec', -Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
    ['phaseRefNs', -Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
    ['lastSyncNs', -Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
  ];
  for (const [field, min, max] of ints) {
    const v = s[field];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
      return { kind: 'bad-field', field, value: v };
  }
  if ((s.flags & ~RTC_INT_FLAGS) !== 0) return { kind: 'bad-field', field: 'flags', value: s.flags };
  if (typeof s.nmiDisabled !== 'boolean')
    return { kind: 'bad-field', field: 'nmiDisabled', value: s.nmiDisabled };
  return undefined;
}
