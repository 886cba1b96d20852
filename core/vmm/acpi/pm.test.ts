// ACPI PM1 and PM timer registers (ACPI 6.5, 4.8.3) as OSPM and kvm-unit-tests' s3 use them.
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../kvm/clock.ts';
import { PortIoBus } from '../bus.ts';
import { AcpiPm, pmTimerTicks, pmTimerTickTimeNs, type SleepState } from './pm.ts';

function setup() {
  const clock = new VirtualClock();
  const sci: boolean[] = [];
  const slept: SleepState[] = [];
  const pm = new AcpiPm({
    sci: { setLevel: (l) => sci.push(l) },
    clock,
    timers: clock,
    slpTyp: { S3: 1, S5: 0 },
    onSleep: (s) => slept.push(s),
  });
  const pio = new PortIoBus();
  pio.register(0x600, 4, pm.eventBlock, 'pm1a_evt');
  pio.register(0x604, 2, pm.controlBlock, 'pm1a_cnt');
  pio.register(0x608, 4, pm.timerBlock, 'pm_tmr');
  return { clock, sci, slept, pm, pio };
}

describe('PM timer (4.8.3.3)', () => {
  it('counts at 3.579545 MHz in 24 bits', () => {
    const { clock, pio } = setup();
    clock.advanceTo(1_000_000_000);
    expect(pio.read(0x608, 4)).toBe(3_579_545);
    clock.advanceTo(5_000_000_000); // 17897725 ticks wrap at 2^24
    expect(pio.read(0x608, 4)).toBe(17_897_725 - 2 ** 24);
    expect(pmTimerTicks(2 ** 52)).toBe(Math.floor((2 ** 52 / 1e9) * 3_579_545)); // no precision loss at 52 days
    expect(pmTimerTicks(pmTimerTickTimeNs(123_456_789))).toBe(123_456_789);
  });

  it('TMR_STS with TMR_EN raises the SCI when bit 23 changes; writing 1 clears it', () => {
    const { clock, pio, sci } = setup();
    pio.write(0x602, 2, 0x0001); // PM1_EN.TMR_EN
    clock.advanceTo(pmTimerTickTimeNs(2 ** 23));
    expect(sci).toEqual([true]);
    expect(pio.read(0x600, 2) & 1).toBe(1);
    pio.write(0x600, 2, 0x0001);
    expect(sci).toEqual([true, false]);
    expect(pio.read(0x600, 2) & 1).toBe(0);
  });
});

describe('PM1 control (4.8.3.2)', () => {
  it('reads SCI_EN as 1 (no SMM) and SLP_EN as 0', () => {
    const { pio } = setup();
    pio.write(0x604, 2, 0x0400);
    expect(pio.read(0x604, 2)).toBe(0x0401);
  });

  it('SLP_EN with SLP_TYP 0 is S5, with 1 is S3 (s3.c writes 0x2400), other types do nothing', () => {
    const { pio, slept } = setup();
    pio.write(0x604, 2, 0x2000 | (3 << 10));
    pio.write(0x604, 2, 0x2400);
    pio.write(0x604, 2, 0x2000);
    expect(slept).toEqual(['S3', 'S5']);
  });

  it('an RTC alarm with RTC_EN wakes, and the resume sets WAK_STS', () => {
    const { pio, pm, sci } = setup();
    expect(pm.wakeEvent('rtc')).toBe(false); // RTC_EN clear
    pio.write(0x600, 2, 0x0400);
    pio.write(0x602, 2, 0x0400); // s3.c: outw(0x400, pm1a_evt_blk + 2)
    expect(pm.wakeEvent('rtc')).toBe(true);
    expect(sci.at(-1)).toBe(true);
    pm.resumed();
    expect(pio.read(0x600, 2)).toBe(0x8400);
  });
});
