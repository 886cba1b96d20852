// Expected values come from the PIIX4/ICH "NMI Status and Control Register" bit layout,
// the 8254 datasheet's mode 0 (OUT high N+1 pulses after the count) and the sequence Linux
// arch/x86/kernel/tsc.c pit_calibrate_tsc() runs: gate 2 on and speaker off through port
// 0x61, counter 2 in mode 0 with a 50 ms count (1193182 / 20 = 59659), then poll bit 5.
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../kvm/clock.ts';
import { Pit8254, pitTickTimeNs } from './pit8254.ts';
import { Port61 } from './port61.ts';

function setup() {
  const clock = new VirtualClock();
  const pit = new Pit8254({ setLevel: () => {} }, clock, clock);
  const port61 = new Port61(pit, clock);
  return {
    clock,
    pit,
    port61,
    at: (tick: number) => clock.advanceTo(pitTickTimeNs(tick)),
    in61: () => port61.read(0, 1),
    out61: (v: number) => port61.write(0, 1, v),
  };
}

describe('Port61', () => {
  it('drives GATE2 from bit 0 and reports OUT2 in bit 5 (Linux pit_calibrate_tsc)', () => {
    const { pit, at, in61, out61 } = setup();
    out61((in61() & ~0x02) | 0x01);
    expect(pit.gate(2)).toBe(true);
    pit.write(3, 1, 0xb0); // counter 2, LSB then MSB, mode 0, binary
    pit.write(2, 1, 59659 & 0xff);
    pit.write(2, 1, 59659 >> 8);
    expect(in61() & 0x20).toBe(0);
    at(59659);
    expect(in61() & 0x20).toBe(0);
    at(59660);
    expect(in61() & 0x20).toBe(0x20);
    expect(in61() & 0x0f).toBe(0x01);
  });

  it('stops counter 2 while bit 0 is clear', () => {
    const { pit, at, out61 } = setup();
    pit.write(3, 1, 0xb0);
    pit.write(2, 1, 0x00);
    pit.write(2, 1, 0x10); // 4096
    at(100);
    pit.write(3, 1, 0x80); // latch counter 2
    expect(pit.read(2, 1) | (pit.read(2, 1) << 8)).toBe(4096);
    out61(0x01);
    at(200);
    pit.write(3, 1, 0x80);
    expect(pit.read(2, 1) | (pit.read(2, 1) << 8)).toBe(4096 - 100);
  });

  it('keeps bits 3:0, ignores writes to the status bits and has no NMI sources', () => {
    const { in61, out61 } = setup();
    out61(0xfe);
    expect(in61() & 0xcf).toBe(0x0e);
  });

  it('toggles the refresh bit every 18 PIT clocks', () => {
    const { at, in61 } = setup();
    const refresh: number[] = [];
    for (const tick of [0, 17, 18, 35, 36]) {
      at(tick);
      refresh.push(in61() & 0x10);
    }
    expect(refresh).toEqual([0, 0, 0x10, 0x10, 0]);
  });

  it('sounds the speaker only with bit 1 set and OUT2 high', () => {
    const { port61, pit, out61 } = setup();
    pit.write(3, 1, 0xb6); // counter 2, mode 3: OUT2 starts high
    out61(0x01);
    expect(port61.speakerOn()).toBe(false);
    out61(0x03);
    expect(port61.speakerOn()).toBe(true);
  });

  it('round-trips its state and rejects malformed snapshots', () => {
    const { port61, pit, clock, out61 } = setup();
    out61(0x0b);
    const restored = Port61.fromState(structuredClone(port61.saveState()), pit, clock);
    expect(restored.ok && restored.port61.saveState()).toEqual({ control: 0x0b });
    expect(Port61.fromState({ control: 0x10 }, pit, clock)).toEqual({
      ok: false,
      error: { kind: 'bad-field', field: 'control', value: 0x10 },
    });
  });
});
