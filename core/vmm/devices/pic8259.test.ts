// Expected values from the Intel 8259A datasheet (ICW/OCW formats, priority rules, the
// interrupt sequence and the poll word) and the PIIX4 ELCR register descriptions.
import { describe, expect, it } from 'vitest';
import { PortIoBus } from '../bus.ts';
import { Pic8259Pair, PIC8259_PORTS, type Pic8259State } from './pic8259.ts';

const M0 = 0x20;
const M1 = 0x21;
const S0 = 0xa0;
const S1 = 0xa1;
const ELCR1 = 0x4d0;
const ELCR2 = 0x4d1;

/** The pair on a bus, initialised as a PC BIOS does: vectors 0x20/0x28, all unmasked. */
function setup(icw4 = 0x01) {
  const pic = new Pic8259Pair();
  const bus = new PortIoBus();
  bus.register(PIC8259_PORTS.master, 2, pic.master, 'pic1');
  bus.register(PIC8259_PORTS.slave, 2, pic.slave, 'pic2');
  bus.register(PIC8259_PORTS.elcr, 2, pic.elcr, 'elcr');
  const out = (port: number, value: number) => bus.write(port, 1, value);
  const inb = (port: number) => bus.read(port, 1);
  // ICW1: edge, cascade, IC4; ICW2: vector base; ICW3: slave on IR2 / slave ID 2; ICW4: 8086 mode.
  for (const [p0, p1, base, icw3] of [
    [M0, M1, 0x20, 0x04],
    [S0, S1, 0x28, 0x02],
  ]) {
    out(p0, 0x11);
    out(p1, base);
    out(p1, icw3);
    out(p1, icw4);
  }
  const isr = (p0: number) => (out(p0, 0x0b), inb(p0));
  const irr = (p0: number) => (out(p0, 0x0a), inb(p0));
  return { pic, bus, out, inb, isr, irr };
}

/** Raise an edge on `irq`. */
function pulse(pic: Pic8259Pair, irq: number) {
  pic.setIrq(irq, true);
  pic.setIrq(irq, false);
}

describe('Pic8259Pair initialisation', () => {
  it('clears IMR on ICW1 and then takes OCW1 at the odd port', () => {
    const { out, inb } = setup();
    expect(inb(M1)).toBe(0x00);
    out(M1, 0xfb);
    out(S1, 0xff);
    expect([inb(M1), inb(S1)]).toEqual([0xfb, 0xff]);
    out(M0, 0x11);
    expect(inb(M1)).toBe(0x00);
  });

  it('vectors IRQ0 to ICW2 and ignores ICW2 bits 2:0', () => {
    const { pic, out } = setup();
    out(M0, 0x11);
    out(M1, 0x37); // T7-T3 = 0x30
    out(M1, 0x04);
    out(M1, 0x01);
    pulse(pic, 1);
    expect(pic.acknowledge()).toBe(0x31);
  });

  it('skips ICW3 in single mode and ICW4 when IC4 is 0', () => {
    const { pic, out, inb } = setup();
    out(M0, 0x12); // SNGL, no IC4
    out(M1, 0x40); // ICW2
    out(M1, 0x55); // already OCW1
    expect(inb(M1)).toBe(0x55);
    out(M0, 0x13); // SNGL, IC4
    out(M1, 0x40);
    out(M1, 0x01); // ICW4
    out(M1, 0x00); // OCW1
    pulse(pic, 3);
    expect(pic.acknowledge()).toBe(0x43);
  });

  it('requires a fresh rising edge after ICW1 for an IR already high', () => {
    const { pic, out } = setup();
    pic.setIrq(4, true);
    out(M0, 0x11);
    out(M1, 0x20);
    out(M1, 0x04);
    out(M1, 0x01);
    expect(pic.hasInterrupt()).toBe(false);
    pic.setIrq(4, true);
    expect(pic.hasInterrupt()).toBe(false);
    pic.setIrq(4, false);
    pic.setIrq(4, true);
    expect(pic.acknowledge()).toBe(0x24);
  });
});

describe('Pic8259Pair interrupt sequence', () => {
  it('moves an acknowledged request from IRR to ISR', () => {
    const { pic, isr, irr } = setup();
    pic.setIrq(0, true);
    expect(irr(M0)).toBe(0x01);
    expect(pic.hasInterrupt()).toBe(true);
    expect(pic.acknowledge()).toBe(0x20);
    expect(irr(M0)).toBe(0x00);
    expect(isr(M0)).toBe(0x01);
    expect(pic.hasInterrupt()).toBe(false);
  });

  it('serves IR0 highest, IR7 lowest, and blocks lower levels until EOI', () => {
    const { pic, out, isr } = setup();
    pulse(pic, 3);
    pulse(pic, 1);
    expect(pic.acknowledge()).toBe(0x21);
    expect(pic.hasInterrupt()).toBe(false); // IR3 waits behind IR1 in service
    out(M0, 0x20); // non-specific EOI
    expect(isr(M0)).toBe(0x00);
    expect(pic.acknowledge()).toBe(0x23);
  });

  it('lets a higher level interrupt one in service, and a non-specific EOI ends the highest', () => {
    const { pic, out, isr } = setup();
    pulse(pic, 3);
    expect(pic.acknowledge()).toBe(0x23);
    pulse(pic, 1);
    expect(pic.hasInterrupt()).toBe(true);
    expect(pic.acknowledge()).toBe(0x21);
    expect(isr(M0)).toBe(0x0a);
    out(M0, 0x20);
    expect(isr(M0)).toBe(0x08);
    out(M0, 0x63); // specific EOI, level 3
    expect(isr(M0)).toBe(0x00);
  });

  it('holds masked requests in IRR until OCW1 unmasks them', () => {
    const { pic, out, irr } = setup();
    out(M1, 0x01);
    pulse(pic, 0);
    expect(pic.hasInterrupt()).toBe(false);
    expect(irr(M0)).toBe(0x01);
    out(M1, 0x00);
    expect(pic.acknowledge()).toBe(0x20);
  });

  it('reports the INT rising edge through onInterruptChange', () => {
    const { pic, out } = setup();
    let kicks = 0;
    pic.onInterruptChange = () => kicks++;
    pulse(pic, 5);
    expect(kicks).toBe(1);
    pulse(pic, 6); // INT already high
    expect(kicks).toBe(1);
    pic.acknowledge(); // IR5 in service blocks IR6: INT falls
    out(M0, 0x20); // EOI: IR6 raises INT again
    expect(kicks).toBe(2);
  });
});

describe('Pic8259Pair cascade', () => {
  it('acknowledges a slave IRQ through master IR2', () => {
    const { pic, out, isr } = setup();
    pulse(pic, 12);
    expect(pic.hasInterrupt()).toBe(true);
    expect(pic.acknowledge()).toBe(0x2c);
    expect(isr(M0)).toBe(0x04);
    expect(isr(S0)).toBe(0x10);
    out(S0, 0x20);
    out(M0, 0x20);
    expect([isr(M0), isr(S0)]).toEqual([0, 0]);
  });

  it('keeps further slave IRQs out while master IR2 is in service (fully nested mode)', () => {
    const { pic, out } = setup();
    pulse(pic, 12);
    expect(pic.acknowledge()).toBe(0x2c);
    out(S0, 0x20);
    pulse(pic, 8);
    expect(pic.hasInterrupt()).toBe(false);
    out(M0, 0x20);
    expect(pic.acknowledge()).toBe(0x28);
  });

  it('lets a higher slave IRQ through in special fully nested mode (ICW4 SFNM)', () => {
    const { pic } = setup(0x11);
    pulse(pic, 12);
    expect(pic.acknowledge()).toBe(0x2c);
    pulse(pic, 8);
    expect(pic.hasInterrupt()).toBe(true);
    expect(pic.acknowledge()).toBe(0x28);
  });

  it('gives master IR0/IR1 priority over the whole slave', () => {
    const { pic } = setup();
    pulse(pic, 8);
    pulse(pic, 1);
    expect(pic.acknowledge()).toBe(0x21);
    pulse(pic, 3);
    expect(pic.hasInterrupt()).toBe(false);
  });
});

describe('Pic8259Pair spurious interrupts', () => {
  it('answers IR7 without setting ISR when the request vanished before INTA', () => {
    const { pic, out, isr } = setup();
    out(ELCR1, 0x20); // IRQ5 level triggered
    pic.setIrq(5, true);
    expect(pic.hasInterrupt()).toBe(true);
    pic.setIrq(5, false);
    expect(pic.hasInterrupt()).toBe(false);
    expect(pic.acknowledge()).toBe(0x27);
    expect(isr(M0)).toBe(0x00);
  });

  it('answers IR7 for a request masked between INT and INTA', () => {
    const { pic, out } = setup();
    pulse(pic, 4);
    out(M1, 0x10);
    expect(pic.acknowledge()).toBe(0x27);
  });

  it('answers IRQ15 from the slave but puts master IR2 in service', () => {
    const { pic, out, isr } = setup();
    out(ELCR2, 0x04); // IRQ10 level triggered
    pic.setIrq(10, true);
    pic.setIrq(10, false);
    expect(pic.acknowledge()).toBe(0x2f);
    expect(isr(S0)).toBe(0x00);
    expect(isr(M0)).toBe(0x04);
  });
});

describe('Pic8259Pair trigger modes', () => {
  it('edge mode: one interrupt per rising edge, a held line does not repeat', () => {
    const { pic, out } = setup();
    pic.setIrq(4, true);
    expect(pic.acknowledge()).toBe(0x24);
    out(M0, 0x20);
    expect(pic.hasInterrupt()).toBe(false);
    pic.setIrq(4, true);
    expect(pic.hasInterrupt()).toBe(false);
    pic.setIrq(4, false);
    pic.setIrq(4, true);
    expect(pic.hasInterrupt()).toBe(true);
  });

  it('level mode via ELCR: a line still high after EOI interrupts again', () => {
    const { pic, out, irr } = setup();
    out(ELCR1, 0x20);
    pic.setIrq(5, true);
    expect(pic.acknowledge()).toBe(0x25);
    expect(irr(M0)).toBe(0x20); // level requests stay in IRR
    out(M0, 0x20);
    expect(pic.hasInterrupt()).toBe(true);
    pic.setIrq(5, false);
    expect(pic.hasInterrupt()).toBe(false);
  });

  it('level mode via ICW1 LTIM applies to every IR', () => {
    const { pic, out } = setup();
    out(M0, 0x19);
    out(M1, 0x20);
    out(M1, 0x04);
    out(M1, 0x01);
    pic.setIrq(1, true);
    expect(pic.acknowledge()).toBe(0x21);
    out(M0, 0x20);
    expect(pic.acknowledge()).toBe(0x21);
  });

  it('samples the line when ELCR switches an IR to level', () => {
    const { pic, out } = setup();
    pic.setIrq(9, true);
    expect(pic.acknowledge()).toBe(0x29);
    out(S0, 0x20);
    out(M0, 0x20);
    expect(pic.hasInterrupt()).toBe(false);
    out(ELCR2, 0x02);
    expect(pic.acknowledge()).toBe(0x29);
  });

  it('keeps the reserved ELCR bits (IRQ0-2, 8, 13) at zero', () => {
    const { out, inb, bus } = setup();
    out(ELCR1, 0xff);
    out(ELCR2, 0xff);
    expect([inb(ELCR1), inb(ELCR2)]).toEqual([0xf8, 0xde]);
    bus.write(ELCR1, 2, 0x0c20);
    expect(bus.read(ELCR1, 2)).toBe(0x0c20);
  });
});

describe('Pic8259Pair OCW2 rotation and auto-EOI', () => {
  it('auto-EOI leaves ISR clear', () => {
    const { pic, isr } = setup(0x03);
    pulse(pic, 3);
    expect(pic.acknowledge()).toBe(0x23);
    expect(isr(M0)).toBe(0x00);
    pulse(pic, 5);
    expect(pic.acknowledge()).toBe(0x25);
  });

  it('rotate on non-specific EOI makes the served level the lowest', () => {
    const { pic, out } = setup();
    pulse(pic, 1);
    expect(pic.acknowledge()).toBe(0x21);
    out(M0, 0xa0);
    pulse(pic, 0);
    pulse(pic, 3);
    expect(pic.acknowledge()).toBe(0x23); // order is now 2,3,...,7,0,1
  });

  it('set priority makes level L the lowest', () => {
    const { pic, out } = setup();
    out(M0, 0xc4);
    pulse(pic, 3);
    pulse(pic, 6);
    expect(pic.acknowledge()).toBe(0x26); // order is now 5,6,7,0,1,2,3,4
  });

  it('rotate on specific EOI clears that level and makes it the lowest', () => {
    const { pic, out, isr } = setup();
    pulse(pic, 6);
    expect(pic.acknowledge()).toBe(0x26);
    out(M0, 0xe6);
    expect(isr(M0)).toBe(0x00);
    pulse(pic, 0);
    pulse(pic, 7);
    expect(pic.acknowledge()).toBe(0x27);
  });

  it('rotate in auto-EOI mode rotates on each acknowledge until cleared', () => {
    const { pic, out } = setup(0x03);
    out(M0, 0x80);
    pulse(pic, 1);
    expect(pic.acknowledge()).toBe(0x21);
    pulse(pic, 0);
    pulse(pic, 3);
    expect(pic.acknowledge()).toBe(0x23);
    out(M0, 0x00); // clear rotate in AEOI; priority stays where it is
    expect(pic.acknowledge()).toBe(0x20);
  });

  it('treats OCW2 0x40 as a no-op', () => {
    const { pic, out, isr } = setup();
    pulse(pic, 3);
    pic.acknowledge();
    out(M0, 0x40);
    expect(isr(M0)).toBe(0x08);
  });
});

describe('Pic8259Pair OCW3', () => {
  it('polls: the next read returns I and the level, and acts as INTA', () => {
    const { pic, out, inb, isr } = setup();
    pulse(pic, 5);
    out(M0, 0x0c);
    expect(inb(M0)).toBe(0x85);
    expect(isr(M0)).toBe(0x20);
    out(M0, 0x0c);
    expect(inb(M1)).toBe(0x00); // nothing left: I = 0
  });

  it('special mask mode lets lower levels in while a masked level is in service', () => {
    const { pic, out, isr } = setup();
    pulse(pic, 3);
    expect(pic.acknowledge()).toBe(0x23);
    pulse(pic, 5);
    expect(pic.hasInterrupt()).toBe(false);
    out(M1, 0x08);
    out(M0, 0x68); // ESMM + SMM
    expect(pic.acknowledge()).toBe(0x25);
    out(M0, 0x20); // non-specific EOI skips masked IR3
    expect(isr(M0)).toBe(0x08);
    out(M0, 0x48); // ESMM, SMM off
    out(M0, 0x63);
    expect(isr(M0)).toBe(0x00);
  });

  it('keeps the read register selection when RR is 0', () => {
    const { pic, out, inb } = setup();
    pulse(pic, 4);
    out(M0, 0x0b);
    out(M0, 0x08); // OCW3 with RR = 0: still ISR
    expect(inb(M0)).toBe(0x00);
    pic.acknowledge();
    expect(inb(M0)).toBe(0x10);
  });
});

describe('Pic8259Pair host and guest input', () => {
  it('throws on IRQ lines that do not exist, including the IR2 cascade', () => {
    const { pic } = setup();
    for (const irq of [-1, 2, 16, 1.5]) expect(() => pic.setIrq(irq, true)).toThrow(RangeError);
  });

  it('exposes lines for devices', () => {
    const { pic } = setup();
    pic.line(14).setLevel(true);
    expect(pic.acknowledge()).toBe(0x2e);
  });

  it('accepts any byte at every port, in any width, without throwing', () => {
    const { bus } = setup();
    for (const port of [M0, M1, S0, S1, ELCR1, ELCR2]) {
      for (const size of [1, 2, 4] as const) {
        for (const v of [0x00, 0xff, 0x10, 0x08, 0x0c]) {
          expect(() => bus.write(port, size, v)).not.toThrow();
          expect(() => bus.read(port, size)).not.toThrow();
        }
      }
    }
  });
});

describe('Pic8259Pair state', () => {
  it('round-trips through structured clone mid-interrupt', () => {
    const { pic, out } = setup();
    out(ELCR2, 0x08); // IRQ11 level triggered
    pic.setIrq(11, true);
    pulse(pic, 4);
    expect(pic.acknowledge()).toBe(0x2b); // IR2 (the slave) outranks IR4
    const state = structuredClone(pic.saveState());
    const loaded = Pic8259Pair.fromState(state);
    if (!loaded.ok) throw new Error(loaded.error.kind);
    const copy = loaded.pic;
    expect(copy.saveState()).toEqual(state);
    expect(copy.hasInterrupt()).toBe(false); // IR4 waits behind IR2 in service
    const eoi = () => (copy.slave.write(0, 1, 0x20), copy.master.write(0, 1, 0x20));
    eoi();
    expect(copy.acknowledge()).toBe(0x2b); // IRQ11 is level triggered and still high
    copy.setIrq(11, false);
    eoi();
    expect(copy.acknowledge()).toBe(0x24); // the IR4 edge survived the snapshot
  });

  it('rejects fields out of range', () => {
    const good = new Pic8259Pair().saveState();
    const bad = (patch: object, chip: 'master' | 'slave' = 'master'): Pic8259State => ({
      ...good,
      [chip]: { ...good[chip], ...patch },
    });
    expect(Pic8259Pair.fromState(bad({ irqBase: 0x21 }))).toMatchObject({
      ok: false,
      error: { kind: 'bad-field', chip: 'master', field: 'irqBase' },
    });
    expect(Pic8259Pair.fromState(bad({ imr: 0x100 }, 'slave'))).toMatchObject({
      ok: false,
      error: { kind: 'bad-field', chip: 'slave', field: 'imr' },
    });
    expect(Pic8259Pair.fromState(bad({ elcr: 0x01 }))).toMatchObject({ ok: false, error: { field: 'elcr' } });
    expect(Pic8259Pair.fromState(bad({ elcr: 0x20 }, 'slave'))).toMatchObject({
      ok: false,
      error: { field: 'elcr' },
    });
    expect(Pic8259Pair.fromState(bad({ initState: 4 }))).toMatchObject({
      ok: false,
      error: { field: 'initState' },
    });
    expect(Pic8259Pair.fromState(bad({ priorityAdd: 8 }))).toMatchObject({
      ok: false,
      error: { field: 'priorityAdd' },
    });
    expect(Pic8259Pair.fromState(bad({ poll: 1 }))).toMatchObject({ ok: false, error: { field: 'poll' } });
    expect(Pic8259Pair.fromState(null as unknown as Pic8259State).ok).toBe(false);
  });

  it('rejects a master IR2 line that disagrees with the slave output', () => {
    const good = new Pic8259Pair().saveState();
    const state = { ...good, slave: { ...good.slave, irr: 0x01 } };
    expect(Pic8259Pair.fromState(state)).toEqual({
      ok: false,
      error: { kind: 'cascade-mismatch', masterLine: false, slaveOutput: true },
    });
  });
});
