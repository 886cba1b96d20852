import { describe, expect, it } from 'vitest';
import { ApicBus } from './apic-bus.ts';
import { VirtualClock } from '../clock.ts';
import { Lapic } from './lapic.ts';
import { divideCount } from './lapic-timer.ts';

// SDM Vol. 3A 11.5.4 "APIC Timer". The timer input is KVM's 1 ns APIC bus cycle
// (APIC_BUS_CYCLE_NS_DEFAULT), so a count of N at divide-by-D lasts N*D ns.
const SVR = 0xf0,
  LVTT = 0x320,
  TMICT = 0x380,
  TMCCT = 0x390,
  TDCR = 0x3e0,
  EOI = 0xb0;
const ONE_SHOT = 0,
  PERIODIC = 1 << 17,
  TSC_DEADLINE = 2 << 17,
  MASKED = 1 << 16;
const IA32_TSC_DEADLINE = 0x6e0;
const VEC = 0xee;

function setup(withTsc = true) {
  const q = new VirtualClock();
  const tscOffset = 5000n;
  const tsc = { guestTsc: () => BigInt(q.nowNs()) + tscOffset, tscHz: 1_000_000_000 };
  const a = new Lapic({ id: 0, bus: new ApicBus(), clock: q, timers: q, ...(withTsc ? { tsc } : {}) });
  a.write(SVR, 4, 0x1ff);
  /** Takes the timer interrupt if one is pending, as the CPU and its handler would. */
  const take = (): boolean => {
    if (!a.irr.test(VEC)) return false;
    expect(a.acknowledge()).toBe(VEC);
    a.write(EOI, 4, 0);
    return true;
  };
  return { q, a, tsc, take };
}

describe('divide configuration (SDM Vol. 3A Figure 11-10)', () => {
  it('maps TDCR bits 3,1:0 to the divisor', () => {
    const table: [number, number][] = [
      [0b0000, 2],
      [0b0001, 4],
      [0b0010, 8],
      [0b0011, 16],
      [0b1000, 32],
      [0b1001, 64],
      [0b1010, 128],
      [0b1011, 1],
    ];
    for (const [tdcr, div] of table) expect(divideCount(tdcr)).toBe(div);
    expect(divideCount(0b0100)).toBe(2); // bit 2 is reserved
  });
});

describe('one-shot mode', () => {
  it('counts down from the initial count, interrupts once at 0 and stays at 0', () => {
    const { q, a, take } = setup();
    a.write(LVTT, 4, ONE_SHOT | VEC);
    a.write(TDCR, 4, 0b1011);
    a.write(TMICT, 4, 1000);
    q.advanceBy(250);
    expect(a.read(TMCCT, 4)).toBe(750);
    q.advanceTo(999);
    expect(take()).toBe(false);
    q.advanceTo(1000);
    expect(take()).toBe(true);
    expect(a.read(TMCCT, 4)).toBe(0);
    q.advanceBy(10_000);
    expect(take()).toBe(false);
    expect(a.read(TMICT, 4)).toBe(1000);
  });

  it('runs at bus clock / divide', () => {
    const { q, a, take } = setup();
    a.write(LVTT, 4, VEC);
    a.write(TDCR, 4, 0b0011); // divide by 16
    a.write(TMICT, 4, 100);
    q.advanceTo(160);
    expect(a.read(TMCCT, 4)).toBe(90);
    q.advanceTo(1599);
    expect(take()).toBe(false);
    q.advanceTo(1600);
    expect(take()).toBe(true);
  });

  it('restarts on a TMICT write and stops on a write of 0', () => {
    const { q, a, take } = setup();
    a.write(LVTT, 4, VEC);
    a.write(TDCR, 4, 0b1011);
    a.write(TMICT, 4, 1000);
    q.advanceTo(600);
    a.write(TMICT, 4, 1000);
    q.advanceTo(1500);
    expect(take()).toBe(false);
    q.advanceTo(1600);
    expect(take()).toBe(true);
    a.write(TMICT, 4, 1000);
    q.advanceBy(100);
    a.write(TMICT, 4, 0);
    q.advanceBy(5000);
    expect(take()).toBe(false);
    expect(a.read(TMCCT, 4)).toBe(0);
  });

  it('keeps counting but does not interrupt while LVTT is masked', () => {
    const { q, a, take } = setup();
    a.write(LVTT, 4, MASKED | VEC);
    a.write(TDCR, 4, 0b1011);
    a.write(TMICT, 4, 1000);
    q.advanceTo(300);
    expect(a.read(TMCCT, 4)).toBe(700);
    q.advanceTo(2000);
    expect(take()).toBe(false);
  });

  it('continues from the current count at the new rate after a TDCR change', () => {
    const { q, a, take } = setup();
    a.write(LVTT, 4, VEC);
    a.write(TDCR, 4, 0b1011); // divide by 1
    a.write(TMICT, 4, 1000);
    q.advanceTo(400);
    a.write(TDCR, 4, 0b0000); // divide by 2: 600 ticks left take 1200 ns
    expect(a.read(TMCCT, 4)).toBe(600);
    q.advanceTo(1599);
    expect(take()).toBe(false);
    q.advanceTo(1600);
    expect(take()).toBe(true);
    a.write(TDCR, 4, 0b1011); // a finished one-shot count stays at 0
    q.advanceBy(10_000);
    expect(take()).toBe(false);
    expect(a.read(TMCCT, 4)).toBe(0);
  });
});

describe('periodic mode', () => {
  it('reloads from the initial count at each expiry', () => {
    const { q, a, take } = setup();
    a.write(LVTT, 4, PERIODIC | VEC);
    a.write(TDCR, 4, 0b1011);
    a.write(TMICT, 4, 300_000);
    q.advanceTo(300_000);
    expect(take()).toBe(true);
    q.advanceTo(450_000);
    expect(a.read(TMCCT, 4)).toBe(150_000);
    q.advanceTo(599_999);
    expect(take()).toBe(false);
    q.advanceTo(600_000);
    expect(take()).toBe(true);
    q.advanceTo(900_000);
    expect(take()).toBe(true);
  });

  it('switching one-shot to periodic mid-count keeps the count and then reloads (kvm-unit-tests apic change mode)', () => {
    const { q, a, take } = setup();
    a.write(LVTT, 4, ONE_SHOT | VEC);
    a.write(TDCR, 4, 0b1011);
    a.write(TMICT, 4, 400_000);
    q.advanceTo(250_000);
    a.write(LVTT, 4, PERIODIC | VEC);
    expect(a.read(TMCCT, 4)).toBe(150_000);
    q.advanceTo(400_000);
    expect(take()).toBe(true);
    q.advanceTo(500_000);
    expect(a.read(TMCCT, 4)).toBe(300_000);
  });
});

describe('TSC-deadline mode (SDM Vol. 3A 11.5.4.1)', () => {
  it('fires when the TSC reaches IA32_TSC_DEADLINE and then reads the MSR as 0', () => {
    const { q, a, tsc, take } = setup();
    a.write(LVTT, 4, TSC_DEADLINE | VEC);
    expect(a.read(LVTT, 4)).toBe(TSC_DEADLINE | VEC);
    a.writeMsr(IA32_TSC_DEADLINE, tsc.guestTsc() + 1000n);
    expect(a.readMsr(IA32_TSC_DEADLINE)).toBe(6000n);
    q.advanceTo(999);
    expect(take()).toBe(false);
    q.advanceTo(1000);
    expect(take()).toBe(true);
    expect(a.readMsr(IA32_TSC_DEADLINE)).toBe(0n);
  });

  it('fires at once for a deadline already passed, and a write of 0 disarms', () => {
    const { q, a, tsc, take } = setup();
    a.write(LVTT, 4, TSC_DEADLINE | VEC);
    q.advanceTo(100);
    a.writeMsr(IA32_TSC_DEADLINE, tsc.guestTsc() - 1n);
    expect(take()).toBe(true);
    a.writeMsr(IA32_TSC_DEADLINE, tsc.guestTsc() + 50n);
    a.writeMsr(IA32_TSC_DEADLINE, 0n);
    q.advanceBy(1000);
    expect(take()).toBe(false);
  });

  it('ignores TMICT writes and reads TMCCT as 0; leaving the mode disarms the timer', () => {
    const { q, a, tsc, take } = setup();
    a.write(LVTT, 4, TSC_DEADLINE | VEC);
    a.write(TMICT, 4, 1000);
    expect([a.read(TMICT, 4), a.read(TMCCT, 4)]).toEqual([0, 0]);
    a.writeMsr(IA32_TSC_DEADLINE, tsc.guestTsc() + 500n);
    a.write(LVTT, 4, ONE_SHOT | VEC);
    q.advanceBy(1000);
    expect(take()).toBe(false);
  });

  it('is not a mode without CPUID.01H:ECX.TSC_Deadline: LVTT bit 18 is reserved', () => {
    const { a } = setup(false);
    a.write(LVTT, 4, TSC_DEADLINE | VEC);
    expect(a.read(LVTT, 4)).toBe(VEC);
  });
});
