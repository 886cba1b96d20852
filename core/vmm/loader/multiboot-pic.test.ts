import { describe, expect, it } from 'vitest';
import { Pic8259Pair } from '../../kvm/irqchip/i8259.ts';
import { MULTIBOOT_PIC_INIT, PIC_MASTER_CMD } from './multiboot-pic.ts';

function biosProgrammedPic(): Pic8259Pair {
  const pic = new Pic8259Pair();
  for (const { port, value } of MULTIBOOT_PIC_INIT) {
    ((port & ~1) === PIC_MASTER_CMD ? pic.master : pic.slave).write(port & 1, 1, value);
  }
  return pic;
}

describe('the 8259A pair as a multiboot kernel finds it', () => {
  it('IRQ 1 arrives at vector 0x09 and IRQ 11 at 0x73 (PC/AT bases 0x08 and 0x70)', () => {
    const pic = biosProgrammedPic();
    pic.setIrq(1, true);
    expect(pic.acknowledge()).toBe(0x09);
    pic.setIrq(11, true);
    pic.setIrq(11, false); // edge triggered: the request stays latched in IRR
    pic.master.write(0, 1, 0x20); // non-specific EOI for IRQ 1
    expect(pic.acknowledge()).toBe(0x73);
  });

  it('IRQ 0 is masked: no BIOS INT 08h handler services the timer', () => {
    const pic = biosProgrammedPic();
    pic.setIrq(0, true);
    expect(pic.hasInterrupt()).toBe(false);
    expect(pic.master.read(1, 1)).toBe(0x01);
    expect(pic.slave.read(1, 1)).toBe(0x00);
  });
});
