// Expected values: the 8254 datasheet's mode 0 (a count N written at tick 0 loads on pulse 1,
// OUT goes high N pulses later, at tick N + 1), the NMI Status and Control register layout
// (port61.ts: bit 5 OUT2, bits 3:0 as written) and ACPI 6.5 4.8.3.3 (a 24-bit count at
// 3.579545 MHz). The count is Linux's CALIBRATE_LATCH (asm/mach_timer.h, 30 ms: 35795)
// programmed as mach_prepare_counter() does.
import { describe, expect, it } from 'vitest';
import { VM_AREA_SIZE, vmField } from '../../cpu/layout.ts';
import { VirtualClock } from '../clock.ts';
import { Pit8254, pitTickTimeNs } from './i8254.ts';
import { LocalTimerPorts, TimerMirror } from './local-timers.ts';
import { Port61 } from './port61.ts';

const CALIBRATE_LATCH = 35795;
const PM_PORT = 0x608;
const OUT2 = 0x20;
const REFRESH_TOGGLE = 0x10;

/** The VMM thread's PIT and port 0x61 on one clock, a vCPU's reader on another. */
function setup() {
  const buffer = new SharedArrayBuffer(VM_AREA_SIZE);
  const vmmClock = new VirtualClock();
  const vcpuClock = new VirtualClock();
  const pit = new Pit8254({ setLevel: () => {} }, vmmClock, vmmClock);
  const port61 = new Port61(pit, vmmClock);
  const mirror = new TimerMirror(buffer);
  pit.onCounter2Change = (state) => mirror.publishCounter2(state, port61.controlBits);
  pit.counter2Rebased = () => mirror.takeRebasedTick();
  const local = new LocalTimerPorts(buffer, vcpuClock);
  // mach_prepare_counter(): GATE2 on, speaker off; counter 2 LSB then MSB, mode 0, binary.
  const prepare = () => {
    port61.write(0, 1, (port61.read(0, 1) & ~0x02) | 0x01);
    pit.write(3, 1, 0xb0);
    pit.write(2, 1, CALIBRATE_LATCH & 0xff);
    pit.write(2, 1, CALIBRATE_LATCH >> 8);
  };
  return { buffer, vmmClock, vcpuClock, pit, port61, mirror, local, prepare };
}

describe('port 0x61 and PM timer reads in the vCPU (local-timers.ts)', () => {
  it('OUT2 rises at the IN time N + 1 ticks after the count, however long the VMM thread is away', () => {
    const t = setup();
    t.prepare();
    // The VMM thread is descheduled from here on: its clock stays at 0.
    t.vcpuClock.advanceTo(pitTickTimeNs(CALIBRATE_LATCH));
    expect(t.local.portIn(0x61, 1)! & ~REFRESH_TOGGLE).toBe(0x01);
    t.vcpuClock.advanceTo(pitTickTimeNs(CALIBRATE_LATCH + 1));
    expect(t.local.portIn(0x61, 1)! & ~REFRESH_TOGGLE).toBe(OUT2 | 0x01);
    // What the VMM thread's own device answers at the same instant.
    t.vmmClock.advanceTo(t.vcpuClock.nowNs());
    expect(t.local.portIn(0x61, 1)).toBe(t.port61.read(0, 1));
  });

  it('PM timer reads give the count at the IN time; bytes of the register, bits 31:24 zero', () => {
    const t = setup();
    expect(t.local.portIn(PM_PORT, 4)).toBeUndefined(); // not published yet: the exit path
    t.mirror.publishPmTimer(PM_PORT);
    // 2^24 + 0x123456 ticks at 3.579545 MHz: the 24-bit count wraps to 0x123456.
    const ticks = 2 ** 24 + 0x123456;
    t.vcpuClock.advanceTo(Math.ceil((ticks * 1e9) / 3_579_545));
    expect(t.local.portIn(PM_PORT, 4)).toBe(0x123456);
    expect(t.local.portIn(PM_PORT + 1, 1)).toBe(0x34);
    expect(t.local.portIn(PM_PORT + 2, 2)).toBe(0x0012);
    expect(t.local.portIn(PM_PORT + 2, 4)).toBeUndefined(); // runs past the block
    t.mirror.publishPmTimer(undefined);
    expect(t.local.portIn(PM_PORT, 4)).toBeUndefined();
  });

  it('a count written by an OUT starts when the vCPU resumes; the VMM thread adopts that; a counting counter stays', () => {
    const t = setup();
    t.prepare(); // served at VMM time 0
    const resumed = 1000; // the vCPU runs again 1000 ticks later
    t.vcpuClock.advanceTo(pitTickTimeNs(resumed));
    t.local.outCompleted(0x42);
    t.vcpuClock.advanceTo(pitTickTimeNs(resumed + CALIBRATE_LATCH));
    expect(t.local.portIn(0x61, 1)! & OUT2).toBe(0);
    t.vcpuClock.advanceTo(pitTickTimeNs(resumed + CALIBRATE_LATCH + 1));
    expect(t.local.portIn(0x61, 1)! & OUT2).toBe(OUT2);
    t.vmmClock.advanceTo(pitTickTimeNs(resumed + CALIBRATE_LATCH));
    expect(t.port61.read(0, 1) & OUT2).toBe(0);
    t.vmmClock.advanceTo(pitTickTimeNs(resumed + CALIBRATE_LATCH + 1));
    expect(t.port61.read(0, 1) & OUT2).toBe(OUT2);
    // Speaker on (an OUT 0x61) while counter 2 counts: nothing moves.
    t.port61.write(0, 1, 0x03);
    t.vcpuClock.advanceTo(pitTickTimeNs(resumed + CALIBRATE_LATCH + 5000));
    t.local.outCompleted(0x61);
    t.vmmClock.advanceTo(t.vcpuClock.nowNs());
    expect(t.pit.counterState(2).ce).toBe((0x10000 - 4999) % 0x10000); // wrapped 5000 ticks after terminal count
    expect(t.local.portIn(0x61, 1)).toBe(t.port61.read(0, 1));
  });

  it('mach_countup() against the PM timer: the PIT interval (100%), the VMM thread late to resume the vCPU and then away', () => {
    const t = setup();
    t.mirror.publishPmTimer(PM_PORT);
    t.prepare();
    // The last outb of mach_prepare_counter() resumes 2.4 ms after the VMM served it.
    t.vcpuClock.advanceTo(2_400_000);
    t.local.outCompleted(0x42);
    const value1 = t.local.portIn(PM_PORT, 4)!;
    // Poll every 10 us of vCPU time; the VMM thread, which used to serve each poll, is away.
    let ns = t.vcpuClock.nowNs();
    while ((t.local.portIn(0x61, 1)! & OUT2) === 0) t.vcpuClock.advanceTo((ns += 10_000));
    t.vmmClock.advanceTo(ns + 20_000_000);
    const value2 = t.local.portIn(PM_PORT, 4)!;
    // acpi_pm.c PMTMR_EXPECTED_RATE: CALIBRATE_LATCH * (3579545 >> 10) / (1193182 >> 10).
    const expected = Math.floor((CALIBRATE_LATCH * (3_579_545 >> 10)) / (1_193_182 >> 10));
    const delta = (value2 - value1) % 2 ** 24;
    expect(delta).toBeGreaterThanOrEqual(Math.floor((expected * 19) / 20));
    expect(delta).toBeLessThanOrEqual(Math.floor((expected * 21) / 20));
  });

  it('a port 0x61 read exits while nothing is published, for wider reads, and while the writer holds the sequence', () => {
    const t = setup();
    expect(t.local.portIn(0x61, 1)).toBeUndefined();
    t.prepare();
    expect(t.local.portIn(0x61, 2)).toBeUndefined();
    expect(t.local.portIn(0x60, 1)).toBeUndefined();
    const seq = vmField('timerMirror') >>> 2;
    const u32 = new Uint32Array(t.buffer);
    Atomics.add(u32, seq, 1); // a write in progress
    expect(t.local.portIn(0x61, 1)).toBeUndefined();
    Atomics.add(u32, seq, 1);
    expect(t.local.portIn(0x61, 1)).toBeDefined();
  });
});
