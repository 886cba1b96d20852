import { describe, expect, it } from 'vitest';
import { ApicBus } from './apic-bus.ts';
import { VirtualClock } from '../clock.ts';
import { IOAPIC_SUCCESSIVE_IRQ_MAX_COUNT, Ioapic } from './ioapic.ts';
import { Lapic } from './lapic.ts';

// Intel 82093AA I/O APIC datasheet: IOREGSEL at offset 00h, IOWIN at 10h (3.1); IOAPICID
// (index 00h, ID in bits 27:24), IOAPICVER (01h), IOAPICARB (02h), IOREDTBL0..23 at 10h-3Fh,
// two registers per entry (3.2). Entry bits: 7:0 vector, 10:8 delivery mode, 11 destination
// mode, 12 delivery status, 13 polarity, 14 remote IRR, 15 trigger mode, 16 mask, 63:56 destination.
const SEL = 0x00,
  WIN = 0x10;
const LEVEL = 1 << 15,
  MASK = 1 << 16,
  REMOTE_IRR = 1 << 14,
  LOGICAL = 1 << 11;
const EOI = 0xb0,
  SVR = 0xf0;

function setup(n = 2) {
  const q = new VirtualClock();
  const bus = new ApicBus();
  const apics = Array.from({ length: n }, (_, id) => new Lapic({ id, bus, clock: q, timers: q }));
  for (const a of apics) a.write(SVR, 4, 0x1ff);
  const io = new Ioapic({ bus, clock: q, timers: q });
  const reg = (index: number): number => {
    io.write(SEL, 4, index);
    return io.read(WIN, 4);
  };
  const setReg = (index: number, value: number): void => {
    io.write(SEL, 4, index);
    io.write(WIN, 4, value);
  };
  const route = (pin: number, low: number, dest = 0): void => {
    setReg(0x11 + 2 * pin, dest << 24);
    setReg(0x10 + 2 * pin, low);
  };
  /** The CPU takes the interrupt and its handler writes EOI. */
  const handle = (a: Lapic, vector: number): void => {
    expect(a.acknowledge()).toBe(vector);
    a.write(EOI, 4, 0);
  };
  return { q, bus, apics, io, reg, setReg, route, handle };
}

describe('registers', () => {
  it('reports version 11h with 24 entries (maximum redirection entry 17h in bits 23:16)', () => {
    const { reg } = setup();
    expect(reg(0x01)).toBe(0x00170011);
  });

  it('keeps the 4-bit ID in bits 27:24, and IOREGSEL is 8 bits', () => {
    const { reg, setReg, io } = setup();
    setReg(0x00, 0xffffffff);
    expect(reg(0x00)).toBe(0x0f000000);
    io.write(SEL, 4, 0x1234);
    expect(io.read(SEL, 4)).toBe(0x34);
  });

  it('resets every entry masked', () => {
    const { reg } = setup();
    for (let pin = 0; pin < 24; pin++) {
      expect(reg(0x10 + 2 * pin)).toBe(MASK);
      expect(reg(0x11 + 2 * pin)).toBe(0);
    }
  });

  it('keeps remote IRR and delivery status read-only and stores polarity', () => {
    const { reg, setReg } = setup();
    setReg(0x12, MASK | REMOTE_IRR | (1 << 12) | (1 << 13) | LEVEL | 0x30);
    expect(reg(0x12)).toBe(MASK | (1 << 13) | LEVEL | 0x30);
  });
});

describe('edge-triggered entries', () => {
  it('deliver once per rising edge', () => {
    const { io, apics, route, handle } = setup();
    route(4, 0x34, 1);
    expect(io.setIrq(4, true)).toBe(1);
    expect(apics[1]!.irr.test(0x34)).toBe(true);
    handle(apics[1]!, 0x34);
    expect(io.setIrq(4, true)).toBe(0); // line already high: no new edge
    expect(apics[1]!.hasInterrupt()).toBe(false);
    io.setIrq(4, false);
    io.setIrq(4, true);
    expect(apics[1]!.irr.test(0x34)).toBe(true);
  });

  it('ignore an edge on a masked pin, even after unmasking (82093AA 3.2.4, interrupt mask)', () => {
    const { io, apics, route } = setup();
    route(3, MASK | 0x33, 0);
    expect(io.setIrq(3, true)).toBe(-1);
    route(3, 0x33, 0);
    expect(apics[0]!.irr.test(0x33)).toBe(false);
  });
});

describe('level-triggered entries (SDM Vol. 3A 11.8.5 EOI broadcast)', () => {
  it('set remote IRR on delivery and re-deliver after EOI while the line stays asserted', () => {
    const { io, apics, reg, route, handle } = setup();
    route(9, LEVEL | 0x39, 0);
    io.setIrq(9, true);
    expect(reg(0x10 + 18) & REMOTE_IRR).toBe(REMOTE_IRR);
    expect(apics[0]!.tmr.test(0x39)).toBe(true);
    handle(apics[0]!, 0x39); // EOI with the line still high
    expect(apics[0]!.irr.test(0x39)).toBe(true);
    expect(reg(0x10 + 18) & REMOTE_IRR).toBe(REMOTE_IRR);
    io.setIrq(9, false); // the device is serviced
    handle(apics[0]!, 0x39);
    expect(reg(0x10 + 18) & REMOTE_IRR).toBe(0);
    expect(apics[0]!.hasInterrupt()).toBe(false);
  });

  it('do not re-deliver while remote IRR is set', () => {
    const { io, apics, route } = setup();
    route(9, LEVEL | 0x39, 0);
    io.setIrq(9, true);
    expect(apics[0]!.acknowledge()).toBe(0x39);
    io.setIrq(9, false);
    expect(io.setIrq(9, true)).toBe(-1);
    expect(apics[0]!.irr.test(0x39)).toBe(false);
  });

  it('deliver when unmasked with the line asserted', () => {
    const { io, apics, route } = setup();
    route(10, MASK | LEVEL | 0x3a, 1);
    io.setIrq(10, true);
    expect(apics[1]!.irr.test(0x3a)).toBe(false);
    route(10, LEVEL | 0x3a, 1);
    expect(apics[1]!.irr.test(0x3a)).toBe(true);
  });

  it('clear remote IRR when the entry is made edge-triggered (Linux relies on it, KVM does it)', () => {
    const { io, reg, route } = setup();
    route(11, LEVEL | 0x3b, 0);
    io.setIrq(11, true);
    expect(reg(0x10 + 22) & REMOTE_IRR).toBe(REMOTE_IRR);
    route(11, 0x3b, 0);
    expect(reg(0x10 + 22) & REMOTE_IRR).toBe(0);
  });

  it('OR the sources sharing a pin', () => {
    const { io, apics, route, handle } = setup();
    route(16, LEVEL | 0x50, 0);
    io.setIrq(16, true, 0);
    io.setIrq(16, true, 1);
    io.setIrq(16, false, 0);
    handle(apics[0]!, 0x50);
    expect(apics[0]!.irr.test(0x50)).toBe(true); // source 1 still holds the line
  });

  it('delay the re-delivery after 10000 EOIs in a row, as KVM does against interrupt storms', () => {
    const { io, apics, route, handle, q } = setup();
    route(5, LEVEL | 0x45, 0);
    io.setIrq(5, true);
    for (let i = 1; i < IOAPIC_SUCCESSIVE_IRQ_MAX_COUNT; i++) handle(apics[0]!, 0x45);
    expect(apics[0]!.irr.test(0x45)).toBe(true);
    handle(apics[0]!, 0x45);
    expect(apics[0]!.irr.test(0x45)).toBe(false);
    q.advanceBy(10_000_000);
    expect(apics[0]!.irr.test(0x45)).toBe(true);
  });
});

describe('delivery and destination modes', () => {
  it('sends NMI, INIT and ExtINT, and logical destinations', () => {
    const { io, apics, route } = setup(3);
    route(1, (4 << 8) | 0, 2); // NMI
    io.setIrq(1, true);
    expect(apics[2]!.takeNmi()).toBe(true);
    route(2, 5 << 8, 1); // INIT
    io.setIrq(2, true);
    expect(apics[1]!.takeInit()).toBe(true);
    route(0, 7 << 8, 1); // ExtINT: the CPU asks the 8259A for the vector
    io.setIrq(0, true);
    expect(apics[1]!.acceptsPicInterrupt()).toBe(true);
    apics[1]!.extIntAcknowledged();
    expect(apics[1]!.acceptsPicInterrupt()).toBe(false);
    apics.forEach((a, i) => a.write(0xd0, 4, (1 << i) << 24));
    route(6, LOGICAL | 0x46, 0b110);
    expect(io.setIrq(6, true)).toBe(2);
    expect(apics.map((a) => a.irr.test(0x46))).toEqual([false, true, true]);
  });

  it('sends lowest priority to one of the logical destinations', () => {
    const { io, apics, route } = setup(3);
    apics.forEach((a) => a.write(0xd0, 4, 0x01000000));
    route(7, (1 << 8) | LOGICAL | 0x47, 0x01);
    expect(io.setIrq(7, true)).toBe(1);
    expect(apics.filter((a) => a.irr.test(0x47))).toHaveLength(1);
  });
});

describe('state', () => {
  it('round-trips KVM_GET_IRQCHIP/KVM_SET_IRQCHIP and re-asserts saved lines', () => {
    const a = setup();
    a.route(12, LEVEL | MASK | 0x4c, 1);
    a.io.setIrq(12, true);
    const s = a.io.getState();
    expect(s.irr).toBe(1 << 12);
    const b = setup();
    expect(b.io.setState(s)).toBeUndefined();
    expect(b.reg(0x10 + 24)).toBe(LEVEL | MASK | 0x4c);
    b.route(12, LEVEL | 0x4c, 1);
    expect(b.apics[1]!.irr.test(0x4c)).toBe(true);
    expect(b.io.setState({ ...s, id: 16 })).toEqual({ kind: 'bad-field', field: 'id', value: 16 });
  });
});
