import { describe, expect, it } from 'vitest';
import { ApicBus, DestMode, TriggerMode, type ApicMessage } from './apic-bus.ts';
import { DeliveryMode, Shorthand } from './apic-regs.ts';
import { VirtualClock } from '../clock.ts';
import { Lapic } from './lapic.ts';

const LDR = 0xd0,
  DFR = 0xe0,
  SVR = 0xf0;

function setup(n: number) {
  const q = new VirtualClock();
  const bus = new ApicBus();
  const apics = Array.from({ length: n }, (_, id) => new Lapic({ id, bus, clock: q, timers: q }));
  for (const a of apics) a.write(SVR, 4, 0x1ff);
  return { bus, apics };
}

function msg(over: Partial<ApicMessage>): ApicMessage {
  return {
    vector: 0x40,
    deliveryMode: DeliveryMode.Fixed,
    destMode: DestMode.Physical,
    dest: 0,
    level: true,
    trigger: TriggerMode.Edge,
    shorthand: Shorthand.None,
    ...over,
  };
}

const receivers = (apics: Lapic[], vector: number) =>
  apics.flatMap((a, i) => (a.irr.test(vector) ? [i] : []));

describe('destination matching (SDM Vol. 3A 11.6.2)', () => {
  it('physical mode: the APIC ID, or all on the broadcast ID 0xFF', () => {
    const { bus, apics } = setup(4);
    expect(bus.deliver(msg({ dest: 2, vector: 0x41 }))).toBe(1);
    expect(receivers(apics, 0x41)).toEqual([2]);
    expect(bus.deliver(msg({ dest: 0xff, vector: 0x42 }))).toBe(4);
    expect(bus.deliver(msg({ dest: 9, vector: 0x43 }))).toBe(-1);
  });

  it('logical flat model: LDR bits 31:24 ANDed with the 8-bit destination', () => {
    const { bus, apics } = setup(3);
    apics.forEach((a, i) => a.write(LDR, 4, (1 << i) << 24));
    bus.deliver(msg({ destMode: DestMode.Logical, dest: 0b101, vector: 0x44 }));
    expect(receivers(apics, 0x44)).toEqual([0, 2]);
  });

  it('logical cluster model: cluster in bits 7:4 must equal, member bits 3:0 must overlap', () => {
    const { bus, apics } = setup(4);
    const ldrs = [0x11, 0x12, 0x21, 0x22];
    apics.forEach((a, i) => {
      a.write(DFR, 4, 0x0fffffff);
      a.write(LDR, 4, ldrs[i]! << 24);
    });
    bus.deliver(msg({ destMode: DestMode.Logical, dest: 0x23, vector: 0x45 }));
    expect(receivers(apics, 0x45)).toEqual([2, 3]);
  });

  it('skips hardware-disabled APICs', () => {
    const { bus, apics } = setup(2);
    apics[1]!.writeMsr(0x1b, 0xfee00000n);
    expect(bus.deliver(msg({ dest: 0xff, vector: 0x46 }))).toBe(1);
    expect(receivers(apics, 0x46)).toEqual([0]);
  });

  it('delivers an IOAPIC broadcast (0xFF) to x2APIC-mode APICs (KVM x2APIC broadcast quirk)', () => {
    const { bus, apics } = setup(2);
    apics[1]!.writeMsr(0x1b, 0xfee00c00n);
    bus.deliver(msg({ dest: 0xff, vector: 0x47 }));
    expect(receivers(apics, 0x47)).toEqual([0, 1]);
  });
});

describe('lowest-priority arbitration (KVM kvm_irq_delivery_to_apic)', () => {
  it('with vector hashing (KVM default): destination number vector mod count, among software-enabled matches', () => {
    const { bus, apics } = setup(3);
    apics.forEach((a) => a.write(LDR, 4, 0x01000000));
    const lp = (vector: number) =>
      msg({ deliveryMode: DeliveryMode.LowestPriority, destMode: DestMode.Logical, dest: 1, vector });
    expect(bus.deliver(lp(0x50))).toBe(1); // 0x50 % 3 = 2
    expect(receivers(apics, 0x50)).toEqual([2]);
    bus.deliver(lp(0x51)); // 0x51 % 3 = 0
    expect(receivers(apics, 0x51)).toEqual([0]);
    apics[0]!.write(SVR, 4, 0xff); // software-disabled: no longer a candidate
    bus.deliver(lp(0x52)); // 0x52 % 2 = 0 -> the first of [1, 2]
    expect(receivers(apics, 0x52)).toEqual([1]);
  });

  it('without hashing: the APIC that has taken the fewest lowest-priority messages, first on ties', () => {
    const { bus, apics } = setup(3);
    bus.vectorHashing = false;
    apics.forEach((a) => a.write(LDR, 4, 0x01000000));
    const lp = (vector: number) =>
      msg({ deliveryMode: DeliveryMode.LowestPriority, destMode: DestMode.Logical, dest: 1, vector });
    bus.deliver(lp(0x60));
    bus.deliver(lp(0x61));
    bus.deliver(lp(0x62));
    bus.deliver(lp(0x63));
    expect([0x60, 0x61, 0x62, 0x63].map((v) => receivers(apics, v))).toEqual([[0], [1], [2], [0]]);
  });

  it('turns a lowest-priority physical broadcast into a fixed broadcast', () => {
    const { bus, apics } = setup(3);
    expect(bus.deliver(msg({ deliveryMode: DeliveryMode.LowestPriority, dest: 0xff, vector: 0x64 }))).toBe(3);
    expect(receivers(apics, 0x64)).toEqual([0, 1, 2]);
  });
});

describe('MSI (SDM Vol. 3A 11.11)', () => {
  it('decodes destination ID, destination mode, redirection hint, vector, delivery and trigger mode', () => {
    const { bus, apics } = setup(4);
    // Address FEE0_2000H: destination ID 2, physical. Data: vector 0x71, fixed, edge.
    expect(bus.deliverMsi(0xfee02000, 0x0071)).toBe(1);
    expect(receivers(apics, 0x71)).toEqual([2]);
    // Data 0xC072: level trigger (bit 15), assert (bit 14), fixed, vector 0x72.
    bus.deliverMsi(0xfee03000, 0xc072);
    expect(apics[3]!.tmr.test(0x72)).toBe(true);
    // NMI delivery mode (100b in bits 10:8).
    bus.deliverMsi(0xfee01000, 0x0400);
    expect(apics[1]!.takeNmi()).toBe(true);
    // Logical destination 0x0C (bit 2) with redirection hint (bit 3): one of APICs 2, 3.
    apics.forEach((a, i) => a.write(LDR, 4, (1 << i) << 24));
    expect(bus.deliverMsi(0xfee0c00c, 0x0073)).toBe(1);
    expect(receivers(apics, 0x73)).toHaveLength(1);
  });
});
