// Port 0x61 and PM timer reads answered by the vCPU itself, at the time it executes the IN.
//
// Why: Linux times one clock against another by polling. acpi_pm.c verify_pmtmr_rate() runs
// mach_prepare_counter() (asm/mach_timer.h: GATE2 on through port 0x61, PIT counter 2 in
// mode 0 with a CALIBRATE_LATCH count, 50 ms), reads the PM timer, runs mach_countup()
// (polls port 0x61 bit 5, OUT2, until terminal count), reads the PM timer again and
// rejects the PM timer ("PM-Timer running at invalid rate") unless the two agree within 5%.
// arch/x86/kernel/tsc.c pit_calibrate_tsc() polls the same bit against the TSC.
//
// Served by exits, every poll is a round trip to the VMM thread (KernelIrqchip, machine.ts)
// and back, and on a loaded host either thread may be descheduled for milliseconds inside
// it. Stamping the exit with the IN's time does not help: a stall during the last poll
// that still sees OUT2 low delays the next IN, so the poll that sees it high, and the PM
// read after it, both execute late, whatever time the device computes them at. The guest
// measures a stall of its own instruction stream, which only a round trip that is not
// there avoids. So the vCPU computes these two registers itself, from state the VMM
// thread publishes here whenever it changes (the guest changes it only with OUT exits that
// complete before the vCPU runs on, so the copy is current when the vCPU reads it):
//  - counter 2 of the 8254 (i8254.ts), after each write to its count, control word or
//    GATE, with port 0x61's bits 3:0 (port61.ts); OUT2 at the IN's CLK tick is computed in
//    closed form from that state, as the VMM thread would have;
//  - the PM timer's port, whose count is a function of time only (pm-timer.ts).
// One stall is left after that: between the OUT that writes counter 2's count and the
// guest's next instruction (mach_prepare_counter's last outb, then value1), the VMM thread
// serves the write and the vCPU waits to be resumed. A count the counter has not yet loaded
// (it loads on the first CLK pulse after the write, or after a GATE trigger in modes 1 and
// 5) is therefore taken to be written when the vCPU resumes: `outCompleted` moves its tick
// to that time, no pulses counted in between, and the VMM thread's 8254 adopts the moved
// tick before it next touches counter 2 (`takeRebasedTick`). For the guest the OUT simply
// took that long and its write landed at its end; a counter that is already counting is
// never moved.
// Every thread's clock is host time since the VM's epoch (host-clock.ts), so the values
// are those the VMM thread would compute at the same instant. Counter reads through ports
// 0x40-0x42 have side effects (read sequence, latches) and still exit.
//
// Writers (the VMM thread publishing, a vCPU moving the tick) take a lock word; readers
// read under a sequence count (odd while a write is in progress), and a reader that keeps
// losing the race takes the exit path instead.
import { vmField } from '../../cpu/layout.ts';
import type { LocalPio } from '../../cpu/cpu.ts';
import type { Clock } from '../clock.ts';
import { BOOLEAN_FIELDS, counterOutAt, pitTicksAt, type Pit8254CounterState } from './i8254.ts';
import { port61Value, PORT61_IOBASE } from './port61.ts';
import { PM_TIMER_BLOCK_LENGTH, pmTimerRead } from './pm-timer.ts';

// Words of the VM area's `timerMirror`.
const SEQ = 0;
const FLAGS = 1;
const CONTROL = 2;
const CR = 3;
const CR_LSB = 4;
const CE = 5;
const TICK_LO = 6;
const TICK_HI = 7;
const PORT61_CONTROL = 8;
/** The PM_TMR_BLK port plus one; 0 while no PM timer is published. */
const PM_TIMER_PORT = 9;
/** Writers' lock: 0 free, 1 held. */
const LOCK = 10;
/** 1 when a vCPU moved the tick and the VMM thread's 8254 has not adopted it yet. */
const REBASED = 11;
const WORDS = 12;
/** Ports whose writes reach counter 2: its count, the control word, GATE2 through port 0x61. */
const COUNTER2_WRITE_PORTS = [0x42, 0x43, PORT61_IOBASE];

/** FLAGS bit 0: counter 2 is published; the counter's booleans follow from bit 1. */
const COUNTER2_PUBLISHED = 1;

/** FLAGS bits of loadPending and triggerPending: a count the counting element has not taken yet. */
const UNLOADED = (2 << BOOLEAN_FIELDS.indexOf('loadPending')) | (2 << BOOLEAN_FIELDS.indexOf('triggerPending'));

/** Reads that lose this many races with the writer exit instead. */
const MAX_READ_ATTEMPTS = 64;
const TWO_32 = 2 ** 32;

/** The VMM thread's side: publishes what the vCPUs need. */
export class TimerMirror {
  private readonly u32: Uint32Array;
  private readonly base: number;

  constructor(buffer: ArrayBufferLike) {
    this.u32 = new Uint32Array(buffer);
    this.base = vmField('timerMirror') >>> 2;
  }

  /** Counter 2's state (at its tick) and port 0x61 bits 3:0. */
  publishCounter2(c: Pit8254CounterState, port61Control: number): void {
    let flags = COUNTER2_PUBLISHED;
    BOOLEAN_FIELDS.forEach((name, i) => {
      if (c[name]) flags |= 2 << i;
    });
    this.write([
      [FLAGS, flags],
      [CONTROL, c.control],
      [CR, c.cr],
      [CR_LSB, c.crLsb],
      [CE, c.ce],
      [TICK_LO, c.tick % TWO_32],
      [TICK_HI, Math.floor(c.tick / TWO_32)],
      [PORT61_CONTROL, port61Control],
    ]);
  }

  /** The PM_TMR_BLK port (the machine's FADT), or undefined to withdraw it. */
  publishPmTimer(port: number | undefined): void {
    this.write([[PM_TIMER_PORT, port === undefined ? 0 : port + 1]]);
  }

  /** The tick a vCPU moved counter 2's unloaded count to, once; undefined when none is pending. */
  takeRebasedTick(): number | undefined {
    if (Atomics.load(this.u32, this.base + REBASED) === 0) return undefined;
    let tick: number | undefined;
    writeLocked(this.u32, this.base, () => {
      if (Atomics.load(this.u32, this.base + REBASED) === 0) return;
      Atomics.store(this.u32, this.base + REBASED, 0);
      tick = readTick(this.u32, this.base);
    });
    return tick;
  }

  private write(words: [number, number][]): void {
    writeLocked(this.u32, this.base, () => {
      Atomics.store(this.u32, this.base + REBASED, 0);
      for (const [w, v] of words) Atomics.store(this.u32, this.base + w, v);
    });
  }
}

function readTick(u32: Uint32Array, base: number): number {
  return Atomics.load(u32, base + TICK_LO) + Atomics.load(u32, base + TICK_HI) * TWO_32;
}

/** Runs `fn` holding the writers' lock, with the sequence count odd. */
function writeLocked(u32: Uint32Array, base: number, fn: () => void): void {
  while (Atomics.compareExchange(u32, base + LOCK, 0, 1) !== 0);
  Atomics.add(u32, base + SEQ, 1);
  try {
    fn();
  } finally {
    Atomics.add(u32, base + SEQ, 1);
    Atomics.store(u32, base + LOCK, 0);
  }
}

/** A vCPU's side: `Cpu.localPio`. */
export class LocalTimerPorts implements LocalPio {
  private readonly u32: Uint32Array;
  private readonly base: number;
  private readonly words = new Uint32Array(WORDS);
  /** Counter 2 as last read from the mirror (reused: a poll loop reads it very often). */
  private readonly state: Pit8254CounterState = {
    control: 0,
    cr: 0,
    crLsb: 0,
    ce: 0,
    tick: 0,
    latchedCount: null,
    latchedStatus: null,
    writeMsbNext: false,
    readMsbNext: false,
    out: false,
    gate: false,
    nullCount: false,
    countWritten: false,
    loadPending: false,
    triggerPending: false,
    armed: false,
    odd: false,
  };

  constructor(
    buffer: ArrayBufferLike,
    private readonly clock: Clock,
  ) {
    this.u32 = new Uint32Array(buffer);
    this.base = vmField('timerMirror') >>> 2;
  }

  portIn(port: number, size: number): number | undefined {
    const pm = Atomics.load(this.u32, this.base + PM_TIMER_PORT) - 1;
    const pmOffset = port - pm;
    if (pm >= 0 && pmOffset >= 0 && pmOffset + size <= PM_TIMER_BLOCK_LENGTH) {
      return pmTimerRead(this.clock.nowNs(), pmOffset, size);
    }
    // Port 0x61 is one byte wide: a wider read also covers other devices' ports, so it exits.
    if (port !== PORT61_IOBASE || size !== 1 || !this.snapshot()) return undefined;
    const w = this.words;
    if ((w[FLAGS]! & COUNTER2_PUBLISHED) === 0) return undefined;
    const state = this.state;
    state.control = w[CONTROL]!;
    state.cr = w[CR]!;
    state.crLsb = w[CR_LSB]!;
    state.ce = w[CE]!;
    state.tick = w[TICK_LO]! + w[TICK_HI]! * TWO_32;
    for (let i = 0; i < BOOLEAN_FIELDS.length; i++) state[BOOLEAN_FIELDS[i]!] = (w[FLAGS]! & (2 << i)) !== 0;
    const now = this.clock.nowNs();
    return port61Value(counterOutAt(state, pitTicksAt(now)), now, w[PORT61_CONTROL]!);
  }

  /**
   * The vCPU resumes after an OUT exit to `port`: a count of counter 2 that is still waiting
   * to be loaded is taken to be written now (see the header).
   */
  outCompleted(port: number): void {
    if (!COUNTER2_WRITE_PORTS.includes(port)) return;
    const u32 = this.u32;
    const base = this.base;
    const flags = Atomics.load(u32, base + FLAGS);
    if ((flags & COUNTER2_PUBLISHED) === 0 || (flags & UNLOADED) === 0) return;
    const now = pitTicksAt(this.clock.nowNs());
    writeLocked(u32, base, () => {
      const f = Atomics.load(u32, base + FLAGS);
      if ((f & UNLOADED) === 0 || readTick(u32, base) >= now) return;
      Atomics.store(u32, base + TICK_LO, now % TWO_32);
      Atomics.store(u32, base + TICK_HI, Math.floor(now / TWO_32));
      Atomics.store(u32, base + REBASED, 1);
    });
  }

  /** Copies the mirror into `words` under the sequence count; false when the writer kept it busy. */
  private snapshot(): boolean {
    const u32 = this.u32;
    const seq = this.base + SEQ;
    for (let attempt = 0; attempt < MAX_READ_ATTEMPTS; attempt++) {
      const before = Atomics.load(u32, seq);
      if (before & 1) continue;
      for (let i = 0; i < WORDS; i++) this.words[i] = Atomics.load(u32, this.base + i);
      if (Atomics.load(u32, seq) === before) return true;
    }
    return false;
  }
}
