// Expected values come from the Motorola MC146818A datasheet: the address map, registers
// A-D and their bits, BCD/binary and 12/24-hour formats, the periodic rate table (RS = 0110:
// 976.5625 us), Table 6 (tBUC = 244 us before an update, tUC = 1984 us), "don't care"
// alarm codes, the divider reset's half second; calendar facts (29 Feb 2024 was a
// Thursday: day of week 5 with Sunday = 1); and for the CMOS memory bytes, the formulas of
// QEMU hw/i386/pc.c pc_cmos_init().
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../kvm/clock.ts';
import { RtcCmos, pcCmosMemoryBytes, type RtcCmosState } from './rtc-cmos.ts';

// Register indices (datasheet "Address Map").
const SEC = 0x00;
const SEC_ALARM = 0x01;
const MIN = 0x02;
const MIN_ALARM = 0x03;
const HOUR = 0x04;
const HOUR_ALARM = 0x05;
const DOW = 0x06;
const DOM = 0x07;
const MONTH = 0x08;
const YEAR = 0x09;
const A = 0x0a;
const B = 0x0b;
const C = 0x0c;
const D = 0x0d;
const CENTURY = 0x32;
const S = 1_000_000_000;
const UPDATE_END = 1_984_000; // tUC

function setup(startTimeMs = Date.UTC(2024, 1, 29, 13, 45, 30)) {
  const clock = new VirtualClock();
  const levels: boolean[] = [];
  const rtc = new RtcCmos({ setLevel: (l) => levels.push(l) }, clock, clock, { startTimeMs });
  const rd = (i: number) => {
    rtc.write(0, 1, i);
    return rtc.read(1, 1);
  };
  const wr = (i: number, v: number) => {
    rtc.write(0, 1, i);
    rtc.write(1, 1, v);
  };
  return {
    rtc,
    clock,
    levels,
    rd,
    wr,
    irq: () => levels.at(-1) ?? false,
    at: (ns: number) => clock.advanceTo(ns),
    date: () => [SEC, MIN, HOUR, DOW, DOM, MONTH, YEAR, CENTURY].map(rd),
  };
}

describe('RtcCmos registers', () => {
  it('powers on with a 32.768 kHz time base, BCD 24-hour, no interrupts, valid RAM', () => {
    const { rd } = setup();
    expect([rd(A), rd(B), rd(C), rd(D)]).toEqual([0x26, 0x02, 0x00, 0x80]);
  });

  it('shows the injected wall-clock time in BCD, 24-hour', () => {
    const { date } = setup();
    expect(date()).toEqual([0x30, 0x45, 0x13, 0x05, 0x29, 0x02, 0x24, 0x20]);
  });

  it('encodes binary and 12-hour formats as register B selects', () => {
    const { date, wr, rd } = setup();
    wr(B, 0x06); // binary, 24-hour
    expect(date()).toEqual([30, 45, 13, 5, 29, 2, 24, 20]);
    wr(B, 0x00); // BCD, 12-hour: 1 PM
    expect(rd(HOUR)).toBe(0x81);
    wr(B, 0x04); // binary, 12-hour
    expect(rd(HOUR)).toBe(0x81);
    const midnight = setup(Date.UTC(2024, 0, 1, 0, 5));
    midnight.wr(B, 0x00);
    expect(midnight.rd(HOUR)).toBe(0x12); // 12 AM
  });

  it('keeps RAM bytes 0x0e-0x7f and ignores writes to C and D', () => {
    const { rd, wr } = setup();
    for (let i = 0x0e; i < 0x80; i++) if (i !== CENTURY) wr(i, i ^ 0x5a);
    for (let i = 0x0e; i < 0x80; i++) if (i !== CENTURY) expect(rd(i)).toBe(i ^ 0x5a);
    wr(C, 0xff);
    wr(D, 0x00);
    expect([rd(C), rd(D)]).toEqual([0x00, 0x80]);
  });

  it('takes NMI disable from bit 7 of the index and reads the index port as 0xff', () => {
    const { rtc, rd } = setup();
    rtc.write(0, 1, 0x8e);
    expect(rtc.nmiDisabled).toBe(true);
    expect(rtc.read(0, 1)).toBe(0xff);
    rtc.write(1, 1, 0x77);
    expect(rd(0x0e)).toBe(0x77); // bits 6:0 selected 0x0e
    expect(rtc.nmiDisabled).toBe(false);
  });
});

describe('RtcCmos time keeping', () => {
  it('counts seconds, minutes and hours', () => {
    const { at, date } = setup();
    at(30 * S);
    expect(date().slice(0, 3)).toEqual([0x00, 0x46, 0x13]);
    at(30 * S + 14 * 60 * S + 59 * S);
    expect(date().slice(0, 3)).toEqual([0x59, 0x00, 0x14]);
  });

  it('rolls over the year and century, with the day of week, and knows leap years', () => {
    const nye = setup(Date.UTC(1999, 11, 31, 23, 59, 59)); // a Friday
    nye.at(S);
    expect(nye.date()).toEqual([0x00, 0x00, 0x00, 0x07, 0x01, 0x01, 0x00, 0x20]); // Saturday 1 Jan 2000
    const leap = setup(Date.UTC(2024, 1, 28, 23, 59, 59));
    leap.at(S);
    expect(leap.date().slice(4, 6)).toEqual([0x29, 0x02]);
    const common = setup(Date.UTC(2023, 1, 28, 23, 59, 59));
    common.at(S);
    expect(common.date().slice(4, 6)).toEqual([0x01, 0x03]);
  });

  it('sets UIP 244 us before each update and clears it when the 1984 us cycle ends', () => {
    const { at, rd } = setup();
    at(1000);
    expect(rd(A) & 0x80).toBe(0);
    at(S - 245_000);
    expect(rd(A) & 0x80).toBe(0);
    at(S - 244_000);
    expect(rd(A) & 0x80).toBe(0x80);
    at(S + UPDATE_END - 1000);
    expect(rd(A) & 0x80).toBe(0x80);
    at(S + UPDATE_END);
    expect(rd(A) & 0x80).toBe(0);
  });

  it('stops updates while SET = 1 and counts on from the bytes written', () => {
    const { at, rd, wr, date } = setup();
    wr(B, 0x92); // SET, UIE, 24-hour: SET clears UIE
    expect(rd(B)).toBe(0x82);
    at(5 * S);
    expect(rd(SEC)).toBe(0x30);
    const bytes: [number, number][] = [
      [SEC, 0x59],
      [MIN, 0x59],
      [HOUR, 0x23],
      [DOW, 0x06],
      [DOM, 0x31],
      [MONTH, 0x12],
      [YEAR, 0x99],
      [CENTURY, 0x19],
    ];
    for (const [i, v] of bytes) wr(i, v);
    at(5 * S + 300_000_000);
    wr(B, 0x02); // the divider kept running: the next second starts at 6 s
    at(6 * S - 1);
    expect(rd(SEC)).toBe(0x59);
    at(6 * S);
    expect(date()).toEqual([0x00, 0x00, 0x00, 0x07, 0x01, 0x01, 0x00, 0x20]);
  });

  it('holds the time while the divider is in reset and updates half a second after release', () => {
    const { at, rd, wr } = setup();
    at(2 * S + 300_000_000);
    wr(A, 0x66); // DV = 110: divider reset
    at(10 * S);
    expect(rd(SEC)).toBe(0x32);
    expect(rd(A)).toBe(0x66);
    wr(A, 0x26);
    at(10 * S + 500_000_000 - 1);
    expect(rd(SEC)).toBe(0x32);
    at(10 * S + 500_000_000);
    expect(rd(SEC)).toBe(0x33);
  });

  it('accepts time writes while running', () => {
    const { at, rd, wr } = setup();
    at(400_000_000);
    wr(MIN, 0x10);
    expect([rd(SEC), rd(MIN), rd(HOUR)]).toEqual([0x30, 0x10, 0x13]);
    at(S);
    expect([rd(SEC), rd(MIN)]).toEqual([0x31, 0x10]);
  });
});

describe('RtcCmos interrupts', () => {
  it('raises the periodic interrupt every 976.5625 us at rate 0110 and C clears it', () => {
    const { at, rd, wr, irq } = setup();
    wr(B, 0x42); // PIE
    for (let j = 1; j <= 1024; j++) {
      const edge = Math.ceil(j * 976_562.5);
      at(edge - 1);
      expect(irq()).toBe(false);
      at(edge);
      expect(irq()).toBe(true);
      expect(rd(C)).toBe(0xc0); // IRQF, PF
      expect(irq()).toBe(false);
    }
  });

  it('sets PF and UF without their enables, and raises IRQ when an enable finds its flag set', () => {
    const { at, rd, wr, irq, levels } = setup();
    at(1_000_000);
    expect(rd(C)).toBe(0x40);
    expect(rd(C)).toBe(0x00);
    at(S + UPDATE_END);
    expect(rd(C)).toBe(0x50); // PF, UF
    at(S + 2 * UPDATE_END);
    expect(levels).toEqual([]);
    wr(B, 0x42);
    expect(irq()).toBe(true);
    expect(rd(C)).toBe(0xc0);
  });

  it('raises the update-ended interrupt as each update cycle ends', () => {
    const { at, rd, wr, irq } = setup();
    wr(A, 0x20); // no periodic rate
    wr(B, 0x12); // UIE
    at(S + UPDATE_END - 1);
    expect(irq()).toBe(false);
    at(S + UPDATE_END);
    expect(irq()).toBe(true);
    expect(rd(C)).toBe(0x90);
    at(2 * S + UPDATE_END);
    expect(rd(C)).toBe(0x90);
  });

  it('raises the alarm interrupt when the time matches the alarm bytes', () => {
    const { at, rd, wr, irq } = setup();
    wr(A, 0x20);
    wr(SEC_ALARM, 0x00);
    wr(MIN_ALARM, 0x46);
    wr(HOUR_ALARM, 0x13);
    wr(B, 0x22); // AIE
    at(30 * S + UPDATE_END - 1);
    expect(irq()).toBe(false);
    at(30 * S + UPDATE_END); // 13:46:00
    expect(irq()).toBe(true);
    expect(rd(C)).toBe(0xb0); // IRQF, AF, UF
  });

  it('treats alarm bytes 11xxxxxx as matching any value', () => {
    const { at, rd, wr, irq } = setup();
    wr(A, 0x20);
    wr(SEC_ALARM, 0x40);
    wr(MIN_ALARM, 0xc0);
    wr(HOUR_ALARM, 0xff);
    wr(B, 0x22);
    at(10 * S + UPDATE_END); // hh:mm:40
    expect(irq()).toBe(true);
    expect(rd(C)).toBe(0xb0);
    at(69 * S);
    expect(irq()).toBe(false);
    at(70 * S + UPDATE_END); // 13:47:40
    expect(irq()).toBe(true);
  });
});

describe('RtcCmos CMOS contents and state', () => {
  it('fills the memory-size bytes as QEMU does', () => {
    const MiB = 1024 * 1024;
    expect(pcCmosMemoryBytes(256 * MiB, 0)).toEqual([
      [0x15, 0x80],
      [0x16, 0x02], // 640 KiB base memory
      [0x17, 0xff],
      [0x18, 0xff],
      [0x30, 0xff],
      [0x31, 0xff], // 261120 KiB, capped at 65535
      [0x34, 0x00],
      [0x35, 0x0f], // 240 MiB in 64 KiB units = 3840
      [0x5b, 0x00],
      [0x5c, 0x00],
      [0x5d, 0x00],
    ]);
    const big = new Map(pcCmosMemoryBytes(3072 * MiB, 1024 * MiB));
    expect([big.get(0x34), big.get(0x35)]).toEqual([0x00, 0xbf]); // 3056 MiB / 64 KiB = 48896
    expect([big.get(0x5b), big.get(0x5c), big.get(0x5d)]).toEqual([0x00, 0x40, 0x00]); // 16384
    const { rtc, rd } = setup();
    for (const [i, v] of pcCmosMemoryBytes(256 * MiB, 0)) rtc.setCmosByte(i, v);
    expect([rd(0x34), rd(0x35)]).toEqual([0x00, 0x0f]);
    expect(() => rtc.setCmosByte(SEC, 0)).toThrow(RangeError); // a clock byte, not RAM
  });

  it('round-trips its state and rejects malformed snapshots', () => {
    const a = setup();
    a.wr(B, 0x42);
    a.at(3 * S + 123_456);
    const state = structuredClone(a.rtc.saveState());
    const b = setup(0);
    b.at(3 * S + 123_456);
    const restored = RtcCmos.fromState(state, { setLevel: () => {} }, b.clock, b.clock);
    expect(restored.ok).toBe(true);
    if (!restored.ok) return;
    a.at(5 * S);
    b.at(5 * S);
    expect(restored.rtc.saveState()).toEqual(a.rtc.saveState());

    const bad: RtcCmosState = structuredClone(state);
    bad.cmos[5] = 256;
    expect(RtcCmos.fromState(bad, { setLevel: () => {} }, b.clock, b.clock).ok).toBe(false);
    expect(RtcCmos.fromState({ ...state, flags: 0x80 }, { setLevel: () => {} }, b.clock, b.clock)).toEqual({
      ok: false,
      error: { kind: 'bad-field', field: 'flags', value: 0x80 },
    });
  });

  it('answers every index and value without throwing', () => {
    const { rtc, at } = setup();
    let widest = 0;
    for (let i = 0; i < 0x100; i++) {
      at(i * 7_000_000);
      for (const v of [0x00, 0x5a, 0xa5, 0xff, i]) {
        rtc.write(0, 1, i);
        rtc.write(1, 1, v);
        widest = Math.max(widest, rtc.read(1, 1));
      }
    }
    expect(widest).toBeLessThanOrEqual(0xff);
  });
});
