// Intel 8254 Programmable Interval Timer, after the Intel "8254 Programmable Interval
// Timer" datasheet (order no. 231164): three 16-bit down counters clocked at 1.193182 MHz,
// modes 0-5, binary or BCD counts, counter latch and read-back commands. Wired as on the
// PC/AT: counter 0's OUT drives ISA IRQ 0, counters 0 and 1 have GATE tied high, and
// counter 2's GATE and OUT go to port 0x61 (`port61.ts`).
//
// No timer runs per CLK pulse. Each counter's state is kept at a CLK tick (`tick`) and
// advanced in closed form to the current tick whenever the guest touches it; the only
// callback scheduled is for the next transition of OUT0, so IRQ 0 sees every edge. The
// datasheet's behaviour per pulse, which `advance()` computes for k pulses at once:
//  - A count written to CR reaches the counting element (CE) on the next CLK pulse, and
//    that pulse does not decrement it ("Operation Common to All Modes"); modes 1 and 5
//    load on the pulse after a GATE trigger instead.
//  - Modes 0, 1, 4, 5 wrap from 0 to FFFFh (9999 in BCD) and keep counting; modes 2 and
//    3 reload CR at the end of each period (mode 3 counts down by two per pulse).
//  - GATE low stops counting in modes 0, 2, 3, 4; in modes 2 and 3 it also forces OUT
//    high; a GATE rising edge retriggers modes 1, 2, 3, 5 ("Gate Pin Operations Summary").
//
// Choices where the datasheet leaves the behaviour undefined:
//  - Power-on state: as QEMU's pit_reset(): every counter in mode 3, LSB-then-MSB,
//    binary, count 65536 already loaded, so counter 0 ticks at 18.2 Hz as firmware would
//    have left it; counter 2's gate starts low (port 0x61 bit 0 = 0).
//  - A count of 1 in modes 2 and 3 ("illegal"): OUT stays high and CE holds 1 until a
//    legal count is loaded (as QEMU, whose OUT stays constant then too).
//  - BCD digits above 9 count as their nibble value.
//  - A counter latch command resets the read sequence to the LSB (as Bochs).
//  - Reading the control word port returns all ones: the datasheet lists that access as
//    "No-Operation (3-State)", so the ISA bus floats.

import type { AccessSize, IrqLine, PioDevice } from './io-device.ts';
import type { Clock, TimerHandle, TimerQueue } from '../clock.ts';

/** Ports 0x40-0x42: counters 0-2; port 0x43: control word. */
export const PIT8254_IOBASE = 0x40;
export const PIT8254_PORTS = 4;
/** The ISA IRQ that counter 0's OUT drives. */
export const PIT8254_IRQ = 0;
/** CLK input of all three counters: the 14.31818 MHz system oscillator divided by 12 (Linux PIT_TICK_RATE). */
export const PIT_CLOCK_HZ = 1_193_182;

const NS_PER_S = 1_000_000_000;
const CONTROL_PORT = 3;

// Control word ("Control Word Format"): SC1 SC0 RW1 RW0 M2 M1 M0 BCD.
const SC_READ_BACK = 3;
const RW_LATCH = 0;
const RW_LSB = 1;
const RW_MSB = 2;
const RW_LSB_MSB = 3;
const CW_BCD = 0x01;
const CW_PROGRAM_BITS = 0x3f; // RW, M, BCD: also the low bits of the status byte
const CW_RW_SHIFT = 4;
const CW_MODE_SHIFT = 1;
/** What QEMU's pit_reset() leaves in every counter: LSB then MSB, mode 3, binary. */
const POWER_ON_CONTROL = (RW_LSB_MSB << CW_RW_SHIFT) | (3 << CW_MODE_SHIFT);
// Read-back command ("Read-Back Command Format"): 1 1 /COUNT /STATUS CNT2 CNT1 CNT0 0.
const RB_NOT_COUNT = 0x20;
const RB_NOT_STATUS = 0x10;
// Status byte ("Status Byte"): OUTPUT, NULL COUNT, then RW1 RW0 M2 M1 M0 BCD as programmed.
const STATUS_OUTPUT = 0x80;
const STATUS_NULL_COUNT = 0x40;

const BINARY_MODULUS = 0x10000;
const BCD_MODULUS = 10000;
/** Transitions reported one by one when a sync covers several; the rest are coalesced (edge-triggered IRQ). */
const MAX_REPORTED_STEPS = 4;

/** CLK rising edges in (0, ns]: the tick the counters have reached at guest time `ns`. */
export function pitTicksAt(ns: number): number {
  const t = Math.floor(ns);
  const s = Math.floor(t / NS_PER_S);
  const r = t - s * NS_PER_S;
  return s * PIT_CLOCK_HZ + Math.floor((r * PIT_CLOCK_HZ) / NS_PER_S);
}

/** The first whole nanosecond at which `pitTicksAt` reaches `tick`. */
export function pitTickTimeNs(tick: number): number {
  const s = Math.floor(tick / PIT_CLOCK_HZ);
  const b = tick - s * PIT_CLOCK_HZ;
  return s * NS_PER_S + Math.ceil((b * NS_PER_S) / PIT_CLOCK_HZ);
}

function fromBcd(v: number): number {
  return ((v >> 12) & 0xf) * 1000 + ((v >> 8) & 0xf) * 100 + ((v >> 4) & 0xf) * 10 + (v & 0xf);
}

function toBcd(n: number): number {
  const digit = (place: number): number => Math.floor(n / place) % 10;
  return (digit(1000) << 12) | (digit(100) << 8) | (digit(10) << 4) | digit(1);
}

function mod(a: number, m: number): number {
  return ((a % m) + m) % m;
}

/** One counter's registers and sequencing state: plain data (STYLE.md rule 2). */
export interface Pit8254CounterState {
  /** Bits 5:0 of the last control word programming this counter: RW1 RW0 M2 M1 M0 BCD. */
  control: number;
  /** The count register (CR) as written, raw 16 bits (BCD digits when BCD = 1). */
  cr: number;
  /** LSB waiting for its MSB in LSB-then-MSB mode. */
  crLsb: number;
  writeMsbNext: boolean;
  readMsbNext: boolean;
  /** Counter latch output (OL), raw 16 bits, or null when not latched. */
  latchedCount: number | null;
  latchedStatus: number | null;
  /** Counting element as a count: 1..65536 (10000 in BCD) after a load, 0..65535 after wrapping. */
  ce: number;
  out: boolean;
  gate: boolean;
  nullCount: boolean;
  /** A complete count has been written since the control word. */
  countWritten: boolean;
  /** CR goes to CE on the next CLK pulse (modes 0, 2, 3, 4). */
  loadPending: boolean;
  /** A GATE rising edge waits for the next CLK pulse (modes 1, 5). */
  triggerPending: boolean;
  /** Modes 1, 4, 5: the terminal count of the loaded count has not happened yet. */
  armed: boolean;
  /** Mode 3: the half cycle in progress started from an odd count. */
  odd: boolean;
  /** The CLK tick this state describes. */
  tick: number;
}

export interface Pit8254State {
  counters: Pit8254CounterState[];
}

export type Pit8254StateError =
  | { kind: 'bad-field'; counter: number; field: string; value: unknown }
  | { kind: 'bad-counters'; value: unknown };

export type Pit8254FromState = { ok: true; pit: Pit8254 } | { ok: false; error: Pit8254StateError };

class Counter implements Pit8254CounterState {
  control = 0;
  cr = 0;
  crLsb = 0;
  writeMsbNext = false;
  readMsbNext = false;
  latchedCount: number | null = null;
  latchedStatus: number | null = null;
  ce = 0;
  out = false;
  gate = true;
  nullCount = false;
  countWritten = false;
  loadPending = false;
  triggerPending = false;
  armed = false;
  odd = false;
  tick = 0;

  private get rw(): number {
    return (this.control >> CW_RW_SHIFT) & 3;
  }

  private get bcd(): boolean {
    return (this.control & CW_BCD) !== 0;
  }

  /** M2 M1 M0, with X10 and X11 meaning modes 2 and 3 ("Mode" field of the control word). */
  get mode(): number {
    const m = (this.control >> CW_MODE_SHIFT) & 7;
    return m > 5 ? m & 3 : m;
  }

  private get modulus(): number {
    return this.bcd ? BCD_MODULUS : BINARY_MODULUS;
  }

  /** CR as a count; 0 is the maximum, 2^16 in binary and 10^4 in BCD. */
  private initialCount(): number {
    const n = this.bcd ? fromBcd(this.cr) : this.cr;
    return n === 0 ? this.modulus : n;
  }

  /** The control word (RW != 0) for this counter: "all Control Logic is immediately reset". */
  program(controlWord: number): void {
    this.control = controlWord & CW_PROGRAM_BITS;
    this.writeMsbNext = false;
    this.readMsbNext = false;
    this.latchedCount = null;
    this.latchedStatus = null;
    this.nullCount = true;
    this.countWritten = false;
    this.loadPending = false;
    this.triggerPending = false;
    this.armed = false;
    this.out = this.mode !== 0; // "OUT will be initially low" in mode 0, high in the others
  }

  writeCount(v: number): void {
    switch (this.rw) {
      case RW_LSB:
        this.countComplete(v);
        return;
      case RW_MSB:
        this.countComplete(v << 8);
        return;
      default:
        if (!this.writeMsbNext) {
          this.crLsb = v;
          this.writeMsbNext = true;
          // Mode 0: "Writing the first byte disables counting. OUT is set low immediately."
          if (this.mode === 0) this.out = false;
          return;
        }
        this.writeMsbNext = false;
        this.countComplete(this.crLsb | (v << 8));
    }
  }

  private countComplete(cr: number): void {
    this.cr = cr;
    this.nullCount = true;
    const first = !this.countWritten;
    this.countWritten = true;
    switch (this.mode) {
      case 0:
        this.out = false;
        this.loadPending = true;
        break;
      case 4:
        this.loadPending = true;
        break;
      case 2:
      case 3:
        // A new count during counting waits for the end of the period (or a trigger).
        if (first) this.loadPending = true;
        break;
      default: // modes 1 and 5 load on a GATE trigger
        break;
    }
  }

  private rawCount(): number {
    const v = this.ce % this.modulus;
    return this.bcd ? toBcd(v) : v;
  }

  status(): number {
    return (this.out ? STATUS_OUTPUT : 0) | (this.nullCount ? STATUS_NULL_COUNT : 0) | this.control;
  }

  /** Counter latch command: a second latch before the count is read is ignored. */
  latchCount(): void {
    if (this.latchedCount !== null) return;
    this.latchedCount = this.rawCount();
    this.readMsbNext = false;
  }

  latchStatus(): void {
    if (this.latchedStatus === null) this.latchedStatus = this.status();
  }

  /** "the first read operation of that counter will return latched status", then the count. */
  read(): number {
    if (this.latchedStatus !== null) {
      const s = this.latchedStatus;
      this.latchedStatus = null;
      return s;
    }
    const value = this.latchedCount ?? this.rawCount();
    switch (this.rw) {
      case RW_LSB:
        this.latchedCount = null;
        return value & 0xff;
      case RW_MSB:
        this.latchedCount = null;
        return value >> 8;
      default:
        if (!this.readMsbNext) {
          this.readMsbNext = true;
          return value & 0xff;
        }
        this.readMsbNext = false;
        this.latchedCount = null;
        return value >> 8;
    }
  }

  setGate(level: boolean): void {
    if (level === this.gate) return;
    this.gate = level;
    const m = this.mode;
    if (!level) {
      if (m === 2 || m === 3) this.out = true; // "sets output high immediately"
      return;
    }
    if (!this.countWritten) return; // a trigger before the count is ignored
    if (m === 1 || m === 5) this.triggerPending = true;
    else if (m === 2 || m === 3) this.loadPending = true;
  }

  /** Process `k` CLK pulses (k >= 0). */
  advance(k: number): void {
    if (k <= 0 || !this.countWritten) return;
    switch (this.mode) {
      case 0:
        this.advanceMode0(k);
        break;
      case 1:
        this.advanceMode1(k);
        break;
      case 2:
        this.advanceMode2(k);
        break;
      case 3:
        this.advanceMode3(k);
        break;
      default:
        this.advanceStrobe(k);
        break;
    }
  }

  /** Mode 0, interrupt on terminal count: OUT goes high when CE reaches 0 and stays high. */
  private advanceMode0(k: number): void {
    if (this.loadPending) {
      this.load();
      k--;
    }
    if (k === 0 || !this.gate || this.writeMsbNext) return;
    if (k >= this.pulsesToZero()) this.out = true;
    this.ce = mod(this.ce - k, this.modulus);
  }

  /** Mode 1, hardware retriggerable one-shot: OUT low from the pulse after a trigger until CE reaches 0. */
  private advanceMode1(k: number): void {
    if (this.triggerPending) {
      this.triggerPending = false;
      this.load();
      this.out = false;
      this.armed = true;
      k--;
    }
    if (k === 0) return;
    if (this.armed && k >= this.pulsesToZero()) {
      this.out = true;
      this.armed = false;
    }
    this.ce = mod(this.ce - k, this.modulus);
  }

  /** Mode 2, rate generator: OUT low for the one pulse CE holds 1, then CE reloads from CR. */
  private advanceMode2(k: number): void {
    if (this.loadPending) {
      this.load();
      this.out = true;
      k--;
    }
    if (k === 0 || !this.gate) return;
    const c = this.ce; // 1..modulus: the reload happens on the pulse after CE = 1
    if (k < c) {
      this.ce = c - k;
      this.out = this.ce !== 1;
      return;
    }
    k -= c;
    const period = this.initialCount();
    this.nullCount = false;
    if (period === 1) {
      this.ce = 1;
      this.out = true;
      return;
    }
    this.ce = period - (k % period);
    this.out = this.ce !== 1;
  }

  /**
   * Mode 3, square wave: CE counts down by two from the even part of the count; OUT
   * toggles and CE reloads when it expires, except that with an odd count OUT stays
   * high one pulse longer ("Mode 3": (N+1)/2 pulses high, (N-1)/2 low).
   */
  private advanceMode3(k: number): void {
    if (this.loadPending) {
      this.loadPending = false;
      this.loadHalf();
      k--;
    }
    if (k === 0 || !this.gate) return;
    let r = this.halfRemaining();
    if (k < r) {
      this.ce -= 2 * k;
      return;
    }
    k -= r;
    this.endHalf();
    if (this.ce === 1) return; // illegal count 1: see the header
    k %= this.initialCount(); // a whole period leaves the phase where it was
    for (;;) {
      r = this.halfRemaining();
      if (k < r) {
        this.ce -= 2 * k;
        return;
      }
      k -= r;
      this.endHalf();
    }
  }

  /** Modes 4 and 5, software and hardware triggered strobe: OUT low for the one pulse CE holds 0. */
  private advanceStrobe(k: number): void {
    this.out = true; // a strobe lasts one pulse
    const hardware = this.mode === 5;
    if (hardware ? this.triggerPending : this.loadPending) {
      this.triggerPending = false;
      this.loadPending = false;
      this.load();
      this.armed = true;
      k--;
    }
    if (k === 0 || (!hardware && !this.gate)) return;
    if (this.armed) {
      const d = this.pulsesToZero();
      if (k >= d) {
        this.armed = false;
        this.out = k > d;
      }
    }
    this.ce = mod(this.ce - k, this.modulus);
  }

  private load(): void {
    this.ce = this.initialCount();
    this.loadPending = false;
    this.nullCount = false;
  }

  private loadHalf(): void {
    const n = this.initialCount();
    this.nullCount = false;
    this.odd = (n & 1) === 1;
    this.ce = n === 1 ? 1 : n - (n & 1);
  }

  private endHalf(): void {
    const wasIllegal = this.ce === 1;
    this.loadHalf();
    if (this.ce === 1) this.out = true;
    else if (!wasIllegal) this.out = !this.out;
  }

  /** Mode 3: pulses until the half cycle in progress ends. */
  private halfRemaining(): number {
    if (this.ce === 1) return 1; // illegal count: CR is looked at again on every pulse
    return this.ce / 2 + (this.odd && this.out ? 1 : 0);
  }

  private pulsesToZero(): number {
    return this.ce === 0 ? this.modulus : this.ce;
  }

  /** Pulses until OUT next changes with no further guest action, or Infinity. */
  pulsesToOutChange(): number {
    if (!this.countWritten) return Infinity;
    switch (this.mode) {
      case 0: {
        if (this.out || !this.gate || this.writeMsbNext) return Infinity;
        return this.loadPending ? 1 + this.initialCount() : this.pulsesToZero();
      }
      case 1:
        if (this.triggerPending) return this.out ? 1 : 1 + this.initialCount();
        return this.armed ? this.pulsesToZero() : Infinity;
      case 2: {
        if (!this.gate) return Infinity;
        if (this.loadPending || (this.out && this.ce === 1)) {
          // Load (or illegal-count reload) on the next pulse, low when CE reaches 1.
          const p = this.initialCount();
          return p === 1 ? Infinity : p;
        }
        return this.out ? this.ce - 1 : 1;
      }
      case 3: {
        if (!this.gate) return Infinity;
        if (this.loadPending || this.ce === 1) {
          const n = this.initialCount();
          if (n === 1) return Infinity;
          return 1 + (n - (n & 1)) / 2 + ((n & 1) === 1 && this.out ? 1 : 0);
        }
        return this.halfRemaining();
      }
      default: {
        if (!this.out) return 1;
        const hardware = this.mode === 5;
        if (hardware ? this.triggerPending : this.loadPending) {
          return hardware || this.gate ? 1 + this.initialCount() : Infinity;
        }
        if (!this.armed || (!hardware && !this.gate)) return Infinity;
        return this.pulsesToZero();
      }
    }
  }

  /**
   * Advance to `tick`. With `onOut`, stop at each OUT transition for the first few and
   * report it, so an edge-triggered interrupt controller sees at least one rising edge
   * when a late sync covers several periods; later ones coalesce, as they would in IRR.
   */
  syncTo(tick: number, onOut?: (out: boolean) => void): void {
    let remaining = tick - this.tick;
    if (remaining <= 0) return;
    if (onOut === undefined) {
      this.advance(remaining);
      this.tick = tick;
      return;
    }
    for (let steps = 0; remaining > 0; steps++) {
      // At least one pulse per step, so even an inconsistent restored state makes progress.
      const k =
        steps < MAX_REPORTED_STEPS ? Math.max(1, Math.min(remaining, this.pulsesToOutChange())) : remaining;
      this.advance(k);
      this.tick += k;
      remaining -= k;
      onOut(this.out);
    }
  }

  save(): Pit8254CounterState {
    return {
      control: this.control,
      cr: this.cr,
      crLsb: this.crLsb,
      writeMsbNext: this.writeMsbNext,
      readMsbNext: this.readMsbNext,
      latchedCount: this.latchedCount,
      latchedStatus: this.latchedStatus,
      ce: this.ce,
      out: this.out,
      gate: this.gate,
      nullCount: this.nullCount,
      countWritten: this.countWritten,
      loadPending: this.loadPending,
      triggerPending: this.triggerPending,
      armed: this.armed,
      odd: this.odd,
      tick: this.tick,
    };
  }

  restore(s: Pit8254CounterState): void {
    this.control = s.control;
    this.cr = s.cr;
    this.crLsb = s.crLsb;
    this.writeMsbNext = s.writeMsbNext;
    this.readMsbNext = s.readMsbNext;
    this.latchedCount = s.latchedCount;
    this.latchedStatus = s.latchedStatus;
    this.ce = s.ce;
    this.out = s.out;
    this.gate = s.gate;
    this.nullCount = s.nullCount;
    this.countWritten = s.countWritten;
    this.loadPending = s.loadPending;
    this.triggerPending = s.triggerPending;
    this.armed = s.armed;
    this.odd = s.odd;
    this.tick = s.tick;
  }
}

/** counterOutAt's working copy: a poll loop calls it tens of thousands of times (restore sets every field). */
const scratchCounter = new Counter();

/**
 * OUT of a counter whose state was `state` at its tick, at the later CLK tick `tick`: the
 * closed form `Counter.advance` computes, for a thread holding a copy of the state
 * (local-timers.ts: a vCPU worker reading counter 2's OUT through port 0x61).
 */
export function counterOutAt(state: Pit8254CounterState, tick: number): boolean {
  const c = scratchCounter;
  c.restore(state);
  c.syncTo(tick);
  return c.out;
}

export class Pit8254 implements PioDevice {
  readonly maxAccessSize = 1; // 8-bit ports
  private readonly counters: readonly [Counter, Counter, Counter];
  private timer: TimerHandle | undefined;
  /**
   * Called after each guest write to counter 2's count, to the control word and to GATE2,
   * with counter 2's state as of the write (not synced further: a count written but not
   * yet loaded shows as such): whatever copies it to another thread (local-timers.ts)
   * copies it again.
   */
  onCounter2Change: ((state: Pit8254CounterState) => void) | undefined;
  /**
   * A later tick for counter 2's state, when another thread moved a count that had not
   * been loaded yet to the time its writer resumed (local-timers.ts); asked before each
   * use of counter 2.
   */
  counter2Rebased: (() => number | undefined) | undefined;
  /** The level last given to IRQ 0; the line is assumed to start at OUT0's level. */
  private irqLevel: boolean;

  constructor(
    private readonly irq0: IrqLine,
    private readonly clock: Clock,
    private readonly timers: TimerQueue,
  ) {
    const tick = this.nowTick();
    const make = (gate: boolean): Counter => {
      const c = new Counter();
      c.program(POWER_ON_CONTROL); // see the header
      c.cr = 0;
      c.countWritten = true;
      c.gate = gate;
      c.nullCount = false;
      c.ce = BINARY_MODULUS;
      c.odd = false;
      c.tick = tick;
      return c;
    };
    this.counters = [make(true), make(true), make(false)];
    this.irqLevel = this.counters[0].out;
    this.reschedule();
  }

  read(offset: number, _size: AccessSize): number {
    if (offset >= CONTROL_PORT) return 0xff;
    const c = this.sync(offset);
    return c.read();
  }

  write(offset: number, _size: AccessSize, value: number): void {
    const v = value & 0xff;
    if (offset < CONTROL_PORT) {
      this.sync(offset).writeCount(v);
      this.changed(offset);
      if (offset === 2) this.onCounter2Change?.(this.counters[2].save());
      return;
    }
    if (offset !== CONTROL_PORT) return;
    const sc = v >> 6;
    if (sc === SC_READ_BACK) {
      for (let n = 0; n < 3; n++) {
        if ((v & (2 << n)) === 0) continue;
        const c = this.sync(n);
        if ((v & RB_NOT_COUNT) === 0) c.latchCount();
        if ((v & RB_NOT_STATUS) === 0) c.latchStatus();
      }
    } else {
      const c = this.sync(sc);
      if (((v >> CW_RW_SHIFT) & 3) === RW_LATCH) c.latchCount();
      else c.program(v);
      this.changed(sc);
    }
    // Every control word: the copy's state then says whether a count is still unloaded now.
    if (this.onCounter2Change) this.onCounter2Change(this.sync(2).save());
  }

  /** Drive counter `n`'s GATE input (on the PC only counter 2's is not tied high). */
  setGate(n: number, level: boolean): void {
    this.sync(this.check(n)).setGate(level);
    this.changed(n);
    if (n === 2) this.onCounter2Change?.(this.counters[2].save());
  }

  /** Counter `n`'s registers and sequencing state as of now. */
  counterState(n: number): Pit8254CounterState {
    return this.sync(this.check(n)).save();
  }

  gate(n: number): boolean {
    return this.counters[this.check(n)].gate;
  }

  /** Counter `n`'s OUT pin now. */
  output(n: number): boolean {
    return this.sync(this.check(n)).out;
  }

  private check(n: number): number {
    if (n !== 0 && n !== 1 && n !== 2) throw new RangeError(`pit8254: no counter ${n}`);
    return n;
  }

  private nowTick(): number {
    return pitTicksAt(this.clock.nowNs());
  }

  private sync(n: number): Counter {
    const c = this.counters[n];
    if (n === 2) {
      const tick = this.counter2Rebased?.();
      // Only a count not loaded yet moves, and only forward: no pulses are counted for it.
      if (tick !== undefined && tick > c.tick && (c.loadPending || c.triggerPending)) c.tick = tick;
    }
    c.syncTo(this.nowTick(), n === 0 ? (out) => this.setIrq(out) : undefined);
    return c;
  }

  private changed(n: number): void {
    if (n !== 0) return;
    this.setIrq(this.counters[0].out);
    this.reschedule();
  }

  private setIrq(level: boolean): void {
    if (level === this.irqLevel) return;
    this.irqLevel = level;
    this.irq0.setLevel(level);
  }

  private reschedule(): void {
    if (this.timer !== undefined) {
      this.timers.cancel(this.timer);
      this.timer = undefined;
    }
    const c = this.counters[0];
    const k = c.pulsesToOutChange();
    if (k === Infinity) return;
    this.timer = this.timers.schedule(pitTickTimeNs(c.tick + Math.max(1, k)), () => {
      this.timer = undefined;
      this.sync(0);
      this.reschedule();
    });
  }

  /** The counters as of now. */
  saveState(): Pit8254State {
    return { counters: [0, 1, 2].map((n) => this.sync(n).save()) };
  }

  /** Rebuild a PIT from a snapshot; IRQ 0 is assumed to be at the snapshot's OUT0 level already. */
  static fromState(state: Pit8254State, irq0: IrqLine, clock: Clock, timers: TimerQueue): Pit8254FromState {
    const error = validate(state);
    if (error !== undefined) return { ok: false, error };
    const pit = new Pit8254(irq0, clock, timers);
    state.counters.forEach((s, i) => pit.counters[i].restore(s));
    pit.irqLevel = pit.counters[0].out;
    pit.reschedule();
    return { ok: true, pit };
  }
}

/** The boolean fields of a counter's saved state (validated on restore, mirrored for the vCPU by local-timers.ts). */
export const BOOLEAN_FIELDS = [
  'writeMsbNext',
  'readMsbNext',
  'out',
  'gate',
  'nullCount',
  'countWritten',
  'loadPending',
  'triggerPending',
  'armed',
  'odd',
] as const;

function isInt(v: unknown, max: number): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= max;
}

function validate(state: Pit8254State): Pit8254StateError | undefined {
  const counters: unknown = typeof state === 'object' && state !== null ? state.counters : undefined;
  if (!Array.isArray(counters) || counters.length !== 3) return { kind: 'bad-counters', value: counters };
  for (let counter = 0; counter < 3; counter++) {
    const s: unknown = counters[counter];
    if (typeof s !== 'object' || s === null) return { kind: 'bad-field', counter, field: 'state', value: s };
    const c = s as Record<string, unknown>;
    const ranges: [string, number][] = [
      ['control', CW_PROGRAM_BITS],
      ['cr', 0xffff],
      ['crLsb', 0xff],
      ['ce', BINARY_MODULUS],
      ['tick', Number.MAX_SAFE_INTEGER],
    ];
    for (const [field, max] of ranges) {
      if (!isInt(c[field], max)) return { kind: 'bad-field', counter, field, value: c[field] };
    }
    if ((c.control as number) >> CW_RW_SHIFT === RW_LATCH)
      return { kind: 'bad-field', counter, field: 'control', value: c.control };
    for (const field of ['latchedCount', 'latchedStatus'] as const) {
      const v = c[field];
      if (v !== null && !isInt(v, field === 'latchedCount' ? 0xffff : 0xff)) {
        return { kind: 'bad-field', counter, field, value: v };
      }
    }
    for (const field of BOOLEAN_FIELDS) {
      if (typeof c[field] !== 'boolean') return { kind: 'bad-field', counter, field, value: c[field] };
    }
  }
  return undefined;
}
