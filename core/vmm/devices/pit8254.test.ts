// Expected values come from the Intel 8254 datasheet (231164): "Control Word Format",
// "Read-Back Command", "Status Byte", the mode descriptions (when a count is loaded, how many
// CLK pulses until OUT changes, mode 3's (N+1)/2 high and (N-1)/2 low for odd N) and the
// gate summary. Tick T is the T-th CLK rising edge of the 1.193182 MHz input; a count
// written between ticks T and T+1 is loaded by pulse T+1.
import { describe, expect, it } from 'vitest';
import { VirtualClock, type TimerQueue } from '../../kvm/clock.ts';
import { PIT_CLOCK_HZ, Pit8254, pitTickTimeNs, pitTicksAt, type Pit8254State } from './pit8254.ts';

const CONTROL = 3;
// Control words: SC1 SC0 RW1 RW0 M2 M1 M0 BCD.
const CH0_LSB_MSB = (mode: number, bcd = 0) => 0x30 | (mode << 1) | bcd;
const CH2_LSB_MSB = (mode: number) => 0xb0 | (mode << 1);

function setup(timers?: TimerQueue) {
  const clock = new VirtualClock();
  const rising: number[] = []; // ticks of IRQ0 rising edges
  const falling: number[] = [];
  const irq = {
    setLevel: (l: boolean) => (l ? rising : falling).push(pitTicksAt(clock.nowNs())),
  };
  const pit = new Pit8254(irq, clock, timers ?? clock);
  return {
    clock,
    pit,
    rising,
    falling,
    at: (tick: number) => clock.advanceTo(pitTickTimeNs(tick)),
    out: (port: number, v: number) => pit.write(port, 1, v),
    inb: (port: number) => pit.read(port, 1),
    count16: (port: number, n: number) => {
      pit.write(port, 1, n & 0xff);
      pit.write(port, 1, n >> 8);
    },
    /** Counter latch command, then LSB and MSB. */
    latched: (ch: number) => {
      pit.write(CONTROL, 1, ch << 6);
      return pit.read(ch, 1) | (pit.read(ch, 1) << 8);
    },
  };
}

describe('Pit8254 clock', () => {
  it('runs at 1.193182 MHz: tick/ns conversions are exact inverses at tick boundaries', () => {
    expect(pitTicksAt(1_000_000_000)).toBe(PIT_CLOCK_HZ);
    for (const t of [1, 2, 1193, PIT_CLOCK_HZ - 1, PIT_CLOCK_HZ + 7, 123_456_789_012]) {
      const ns = pitTickTimeNs(t);
      expect(pitTicksAt(ns)).toBe(t);
      expect(pitTicksAt(ns - 1)).toBe(t - 1);
    }
  });
});

describe('Pit8254 mode 0: interrupt on terminal count', () => {
  it('holds OUT low for N+1 pulses after the count is written, then high until rewritten', () => {
    const { at, out, count16, rising, falling, latched, pit } = setup();
    out(CONTROL, CH0_LSB_MSB(0));
    expect(falling).toEqual([0]); // "OUT will be initially low"
    count16(0, 5);
    at(1);
    expect(latched(0)).toBe(5); // loaded on the first pulse, not decremented
    at(2);
    expect(latched(0)).toBe(4);
    at(5);
    expect(pit.output(0)).toBe(false);
    at(6);
    expect(rising).toEqual([6]); // N+1 = 6 pulses after the write
    at(100);
    expect(pit.output(0)).toBe(true);
    expect(latched(0)).toBe(0x10000 - 94); // wrapped past 0 to FFFFh and kept counting
    count16(0, 2); // a new count sets OUT low at once
    expect(falling).toEqual([0, 100]);
    at(103);
    expect(rising).toEqual([6, 103]);
  });

  it('stops counting after the first byte of a two-byte count until the second arrives', () => {
    const { at, out, latched, pit } = setup();
    out(CONTROL, CH0_LSB_MSB(0));
    out(0, 10);
    out(0, 0);
    at(3);
    expect(latched(0)).toBe(8);
    out(0, 4); // first byte
    at(10);
    expect(latched(0)).toBe(8); // "Writing the first byte disables counting"
    expect(pit.output(0)).toBe(false);
    out(0, 0); // second byte: 4 is loaded on the next pulse
    at(14);
    expect(pit.output(0)).toBe(false);
    at(15);
    expect(pit.output(0)).toBe(true);
  });

  it('counts in BCD: decades of 0..9, wrapping from 0000 to 9999', () => {
    const { at, out, count16, latched, rising } = setup();
    out(CONTROL, CH0_LSB_MSB(0, 1));
    count16(0, 0x0100); // 100 decimal
    at(2);
    expect(latched(0)).toBe(0x0099);
    at(101);
    expect(rising).toEqual([101]);
    at(102);
    expect(latched(0)).toBe(0x9999);
  });
});

describe('Pit8254 mode 2: rate generator', () => {
  it('pulses OUT low for one clock every N clocks (Linux HZ=1000: N = 1193)', () => {
    const { at, out, count16, rising, falling } = setup();
    out(CONTROL, CH0_LSB_MSB(2));
    count16(0, 1193);
    at(PIT_CLOCK_HZ);
    // Low when CE reaches 1, N pulses after the write; high again on the reload pulse.
    expect(falling.slice(0, 3)).toEqual([1193, 2386, 3579]);
    expect(rising.slice(0, 3)).toEqual([1194, 2387, 3580]);
    expect(rising.length).toBe(1000);
  });

  it('loads a new count at the end of the current period', () => {
    const { at, out, count16, falling, latched } = setup();
    out(CONTROL, CH0_LSB_MSB(2));
    count16(0, 10);
    at(4);
    count16(0, 20);
    expect(latched(0)).toBe(7);
    at(40);
    expect(falling).toEqual([10, 30]);
  });

  it('forces OUT high while GATE is low and restarts the period on the rising edge', () => {
    const { at, out, count16, pit } = setup();
    out(CONTROL, CH2_LSB_MSB(2));
    pit.setGate(2, true);
    count16(2, 10);
    at(10);
    expect(pit.output(2)).toBe(false);
    pit.setGate(2, false);
    expect(pit.output(2)).toBe(true);
    at(50);
    pit.setGate(2, true); // trigger: reload on the next pulse, low N pulses later
    at(59);
    expect(pit.output(2)).toBe(true);
    at(60);
    expect(pit.output(2)).toBe(false);
  });
});

describe('Pit8254 mode 3: square wave', () => {
  it('divides an even count into equal halves', () => {
    const { at, out, count16, rising, falling } = setup();
    out(CONTROL, CH0_LSB_MSB(3));
    count16(0, 4);
    at(13);
    expect(falling.slice(-3)).toEqual([3, 7, 11]);
    expect(rising).toEqual([5, 9, 13]);
  });

  it('keeps OUT high (N+1)/2 and low (N-1)/2 pulses for an odd count', () => {
    const { at, out, count16, rising, falling } = setup();
    out(CONTROL, CH0_LSB_MSB(3));
    count16(0, 5);
    at(16);
    expect(falling.slice(-3)).toEqual([4, 9, 14]); // high for 3 pulses from the load at 1
    expect(rising).toEqual([6, 11, 16]); // low for 2
  });

  it('reads back even counts decreasing by two', () => {
    const { at, out, count16, latched } = setup();
    out(CONTROL, CH0_LSB_MSB(3));
    count16(0, 8);
    at(1);
    expect(latched(0)).toBe(8);
    at(2);
    expect(latched(0)).toBe(6);
    at(3);
    expect(latched(0)).toBe(4);
  });
});

describe('Pit8254 strobe and one-shot modes', () => {
  it('mode 4 strobes OUT low for one clock N+1 pulses after the write, once', () => {
    const { at, out, count16, falling, rising } = setup();
    out(CONTROL, CH0_LSB_MSB(4));
    count16(0, 3);
    at(200_000);
    expect(falling.slice(-1)).toEqual([4]);
    expect(rising).toEqual([5]);
  });

  it('mode 1 drives OUT low for N clocks from the pulse after a GATE trigger, and retriggers', () => {
    const { at, out, count16, pit } = setup();
    out(CONTROL, CH2_LSB_MSB(1));
    count16(2, 3);
    at(10);
    expect(pit.output(2)).toBe(true);
    pit.setGate(2, true);
    at(11);
    expect(pit.output(2)).toBe(false);
    at(13);
    pit.setGate(2, false);
    pit.setGate(2, true); // retrigger: the one-shot restarts at pulse 14
    at(16);
    expect(pit.output(2)).toBe(false);
    at(17);
    expect(pit.output(2)).toBe(true);
  });

  it('mode 5 strobes N+1 pulses after the GATE trigger', () => {
    const { at, out, count16, pit } = setup();
    out(CONTROL, CH2_LSB_MSB(5));
    count16(2, 3);
    at(10);
    pit.setGate(2, true);
    at(13);
    expect(pit.output(2)).toBe(true);
    at(14);
    expect(pit.output(2)).toBe(false);
    at(15);
    expect(pit.output(2)).toBe(true);
  });
});

describe('Pit8254 reading counts', () => {
  it('keeps a latched count until it is read; a second latch is ignored', () => {
    const { at, out, count16, inb } = setup();
    out(CONTROL, CH0_LSB_MSB(0));
    count16(0, 1000);
    at(11);
    out(CONTROL, 0x00); // latch counter 0: 990
    at(500);
    out(CONTROL, 0x00); // ignored
    expect(inb(0) | (inb(0) << 8)).toBe(990);
    expect(inb(0) | (inb(0) << 8)).toBe(501); // unlatched: the live count, 1000 - 499
  });

  it('reads and writes LSB-only and MSB-only counts', () => {
    const { at, out, inb } = setup();
    out(CONTROL, 0x10); // counter 0, LSB only, mode 0
    out(0, 0x20);
    at(1);
    expect(inb(0)).toBe(0x20);
    out(CONTROL, 0x20); // MSB only: 0x0100
    out(0, 0x01);
    at(3);
    expect(inb(0)).toBe(0x00); // MSB of 0x00FF
  });

  it('allows reads and writes of the same counter to interleave', () => {
    // Datasheet "Read Operations": read LSB, write LSB, read MSB, write MSB is valid.
    const { at, out, inb, count16, latched } = setup();
    out(CONTROL, CH0_LSB_MSB(0));
    count16(0, 0x1234);
    at(1);
    out(CONTROL, 0x00);
    expect(inb(0)).toBe(0x34);
    out(0, 0x10);
    expect(inb(0)).toBe(0x12);
    out(0, 0x00);
    at(2);
    expect(latched(0)).toBe(0x0010);
  });

  it('returns the latched status first, then the latched count (read-back command)', () => {
    const { at, out, count16, inb } = setup();
    out(CONTROL, CH0_LSB_MSB(2)); // 0x34
    count16(0, 100);
    out(CONTROL, 0xe2); // read-back: latch status of counter 0 (/COUNT = 1)
    // OUTPUT = 1 (mode 2 starts high), NULL COUNT = 1 (not loaded yet), then 0x34's low six bits.
    expect(inb(0)).toBe(0xf4);
    at(5);
    out(CONTROL, 0xc2); // latch count and status
    at(50);
    expect(inb(0)).toBe(0xb4); // loaded: null count 0
    expect(inb(0) | (inb(0) << 8)).toBe(96);
  });

  it('latches several counters with one read-back command', () => {
    const { at, out, count16, inb } = setup();
    out(CONTROL, CH0_LSB_MSB(0));
    count16(0, 300);
    out(CONTROL, CH2_LSB_MSB(0)); // gate 2 is low: counter 2 holds its count
    count16(2, 200);
    at(21);
    out(CONTROL, 0xda); // latch count of counters 0 and 2 (CNT0, CNT2)
    at(60);
    expect(inb(0) | (inb(0) << 8)).toBe(280);
    expect(inb(2) | (inb(2) << 8)).toBe(200);
  });

  it('reads the control word port as a floating bus', () => {
    const { inb } = setup();
    expect(inb(CONTROL)).toBe(0xff);
  });
});

describe('Pit8254 interrupts and state', () => {
  it('still shows IRQ0 a rising edge when timer callbacks ran late', () => {
    const never: TimerQueue = { schedule: () => ({ timerId: 0 }), cancel: () => {} };
    const clock = new VirtualClock();
    const levels: boolean[] = [];
    const pit = new Pit8254({ setLevel: (l) => levels.push(l) }, clock, never);
    pit.write(CONTROL, 1, CH0_LSB_MSB(2));
    pit.write(0, 1, 100);
    pit.write(0, 1, 0);
    clock.advanceTo(pitTickTimeNs(100_050)); // a thousand periods with no callback
    expect(pit.output(0)).toBe(true); // any access brings the counter up to date
    expect(levels.slice(0, 2)).toEqual([false, true]); // at least one whole pulse reaches the PIC
    expect(levels.length).toBeLessThanOrEqual(4);
  });

  it('starts in mode 3 with count 65536 on counter 0, as firmware leaves it', () => {
    const { at, rising, out, inb } = setup();
    at(0x10000 * 2);
    expect(rising).toEqual([0x10000, 0x20000]);
    out(CONTROL, 0xe2);
    expect(inb(0)).toBe(0xb6); // OUT high, count loaded, LSB/MSB, mode 3, binary
  });

  it('round-trips its state and rejects malformed snapshots', () => {
    const a = setup();
    a.out(CONTROL, CH0_LSB_MSB(2));
    a.count16(0, 50);
    a.at(7);
    const state = structuredClone(a.pit.saveState());
    const b = setup();
    b.at(7);
    const restored = Pit8254.fromState(state, { setLevel: () => {} }, b.clock, b.clock);
    expect(restored.ok).toBe(true);
    if (!restored.ok) return;
    a.at(30);
    b.at(30);
    expect(restored.pit.saveState()).toEqual(a.pit.saveState());

    const bad: Pit8254State = structuredClone(state);
    bad.counters[1].cr = 0x10000;
    expect(Pit8254.fromState(bad, { setLevel: () => {} }, b.clock, b.clock)).toEqual({
      ok: false,
      error: { kind: 'bad-field', counter: 1, field: 'cr', value: 0x10000 },
    });
    expect(Pit8254.fromState({ counters: [] }, { setLevel: () => {} }, b.clock, b.clock).ok).toBe(false);
  });

  it('answers every port without throwing', () => {
    const { pit, at } = setup();
    let widest = 0;
    for (let v = 0; v < 256; v++) {
      at(v * 3);
      for (let port = 0; port < 4; port++) {
        pit.write(port, 1, v);
        widest = Math.max(widest, pit.read(port, 1));
      }
    }
    expect(widest).toBeLessThanOrEqual(0xff);
  });

  it('jumps in closed form to the same OUT edges and counts as pulse-by-pulse stepping', () => {
    // Not a datasheet value: a cross-check of two ways of computing the same waveform.
    let seed = 12345;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return Math.floor(seed / 0x10000) % n; // the high bits: an LCG's low bits cycle quickly
    };
    for (let scenario = 0; scenario < 60; scenario++) {
      const mode = [0, 2, 3, 4][random(4)];
      const bcd = random(4) === 0 ? 1 : 0;
      const writes = [0, 1 + random(40), 50 + random(60)].map((tick) => ({ tick, count: 1 + random(12) }));
      const probes = new Set([random(150), random(150), random(150)]);
      const run = (stepEveryTick: boolean) => {
        const clock = new VirtualClock();
        const edges: string[] = [];
        const counts: number[] = [];
        const pit = new Pit8254(
          { setLevel: (l) => edges.push(`${pitTicksAt(clock.nowNs())}:${l}`) },
          clock,
          clock,
        );
        pit.write(CONTROL, 1, CH0_LSB_MSB(mode, bcd));
        for (let t = 0; t <= 150; t++) {
          if (stepEveryTick || probes.has(t) || writes.some((w) => w.tick === t)) {
            clock.advanceTo(pitTickTimeNs(t));
            pit.output(0);
          }
          for (const w of writes.filter((x) => x.tick === t)) {
            pit.write(0, 1, w.count);
            pit.write(0, 1, 0);
          }
          if (probes.has(t)) {
            pit.write(CONTROL, 1, 0);
            counts.push(pit.read(0, 1) | (pit.read(0, 1) << 8));
          }
        }
        clock.advanceTo(pitTickTimeNs(150));
        return { edges, counts };
      };
      expect(run(false), `mode ${mode} bcd ${bcd} ${JSON.stringify(writes)}`).toEqual(run(true));
    }
  });
});
