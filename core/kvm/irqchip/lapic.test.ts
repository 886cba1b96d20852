import { describe, expect, it } from 'vitest';
import { ApicBus } from './apic-bus.ts';
import { Lvt } from './apic-regs.ts';
import { VirtualClock } from '../clock.ts';
import { Lapic, type LapicOptions } from './lapic.ts';

// Register offsets (SDM Vol. 3A Table 11-1) and x2APIC MSRs (Table 11-6), written as numbers
// so the tests read like the manual.
const ID = 0x20,
  LVR = 0x30,
  TPR = 0x80,
  PPR = 0xa0,
  EOI = 0xb0,
  LDR = 0xd0,
  DFR = 0xe0,
  SVR = 0xf0;
const ICR = 0x300,
  ICR2 = 0x310,
  LVTT = 0x320,
  LVT0 = 0x350,
  LVT1 = 0x360,
  LVTPC = 0x340,
  TMICT = 0x380,
  TDCR = 0x3e0;
const LVTS = [0x320, 0x330, 0x340, 0x350, 0x360, 0x370];
const IA32_APIC_BASE = 0x1b;

function setup(n: number, extra: Partial<LapicOptions> = {}) {
  const q = new VirtualClock();
  const bus = new ApicBus();
  const kicks: number[] = [];
  const apics = Array.from(
    { length: n },
    (_, id) => new Lapic({ id, bus, clock: q, timers: q, kick: () => kicks.push(id), ...extra }),
  );
  return { q, bus, apics, kicks };
}

/** SVR = 0x1FF: APIC software enable (bit 8), spurious vector 0xFF. */
function softwareEnable(...apics: Lapic[]): void {
  for (const a of apics) a.write(SVR, 4, 0x1ff);
}

/** Fixed, edge, assert, physical destination (ICR bits per SDM Vol. 3A Figure 11-12). */
function sendFixed(from: Lapic, destId: number, vector: number): void {
  from.write(ICR2, 4, destId << 24);
  from.write(ICR, 4, 0x4000 | vector);
}

describe('Lapic reset state (SDM Vol. 3A 11.4.7.1; KVM kvm_lapic_reset)', () => {
  it('has KVM version 0x14 with six LVT entries, masked LVTs, SVR 0xFF, flat DFR', () => {
    const { apics } = setup(2);
    const ap = apics[1]!;
    expect(ap.read(LVR, 4)).toBe(0x00050014);
    expect(ap.read(ID, 4)).toBe(0x01000000);
    expect(ap.read(SVR, 4)).toBe(0xff);
    expect(ap.read(DFR, 4)).toBe(0xffffffff);
    for (const lvt of LVTS) expect(ap.read(lvt, 4)).toBe(0x00010000);
    expect([ap.read(TPR, 4), ap.read(PPR, 4), ap.read(LDR, 4), ap.read(TMICT, 4), ap.read(TDCR, 4)]).toEqual([
      0, 0, 0, 0, 0,
    ]);
    // IA32_APIC_BASE: base FEE00000H, enable bit 11, BSP bit 8 only on the bootstrap processor (11.4.4).
    expect(apics[0]!.readMsr(IA32_APIC_BASE)).toBe(0xfee00900n);
    expect(ap.readMsr(IA32_APIC_BASE)).toBe(0xfee00800n);
  });

  it('leaves the BSP LVT0 in ExtINT as KVM_X86_QUIRK_LINT0_REENABLED does, so the 8259A reaches it', () => {
    const { apics } = setup(2);
    expect(apics[0]!.read(LVT0, 4)).toBe(0x700);
    expect(apics[0]!.acceptsPicInterrupt()).toBe(true);
    expect(apics[1]!.acceptsPicInterrupt()).toBe(false);
  });

  it('returns the 32-bit register for sub-dword reads and ignores unaligned or narrow writes', () => {
    const { apics } = setup(1);
    const a = apics[0]!;
    expect(a.read(LVR, 1)).toBe(0x14);
    expect(a.read(LVR + 2, 1)).toBe(0x05);
    a.write(TPR, 2, 0x20);
    a.write(TPR + 4, 4, 0x20);
    expect(a.read(TPR, 4)).toBe(0);
  });
});

describe('software enable (SVR bit 8, SDM Vol. 3A 11.4.7.2)', () => {
  it('refuses fixed interrupts while disabled but accepts NMI, INIT and SIPI', () => {
    const { apics } = setup(2);
    softwareEnable(apics[0]!);
    sendFixed(apics[0]!, 1, 0x41);
    expect(apics[1]!.irr.test(0x41)).toBe(false);
    apics[0]!.write(ICR, 4, 0x4400); // NMI
    expect(apics[1]!.takeNmi()).toBe(true);
    apics[0]!.write(ICR, 4, 0x4500); // INIT
    apics[0]!.write(ICR, 4, 0x4608); // SIPI, vector 08H
    expect(apics[1]!.takeInit()).toBe(true);
    expect(apics[1]!.takeSipi()).toBe(0x08);
  });

  it('forces the mask bit in every LVT while disabled, and sets them all on disable', () => {
    const { apics } = setup(2);
    const a = apics[1]!;
    a.write(LVT1, 4, 0x400);
    expect(a.read(LVT1, 4)).toBe(0x10400);
    softwareEnable(a);
    a.write(LVT1, 4, 0x400);
    a.write(LVTT, 4, 0xee);
    expect([a.read(LVT1, 4), a.read(LVTT, 4)]).toEqual([0x400, 0xee]);
    a.write(SVR, 4, 0xff);
    expect([a.read(LVT1, 4), a.read(LVTT, 4)]).toEqual([0x10400, 0x100ee]);
  });
});

describe('priorities, acknowledge and EOI (SDM Vol. 3A 11.8.3-11.8.5)', () => {
  it('computes PPR from TPR and the highest in-service class', () => {
    const { apics } = setup(1);
    const a = apics[0]!;
    softwareEnable(a);
    sendFixed(a, 0, 0x45);
    expect(a.acknowledge()).toBe(0x45);
    a.write(TPR, 4, 0x30);
    expect(a.read(PPR, 4)).toBe(0x40); // TPR class 3 < ISRV class 4: PPR = ISRV[7:4], 0
    a.write(TPR, 4, 0x5a);
    expect(a.read(PPR, 4)).toBe(0x5a); // TPR class 5 >= 4: PPR = TPR
  });

  it('delivers only a class above the PPR class', () => {
    const { apics } = setup(1);
    const a = apics[0]!;
    softwareEnable(a);
    sendFixed(a, 0, 0x45);
    a.write(TPR, 4, 0x40);
    expect(a.hasInterrupt()).toBe(false);
    expect(a.acknowledge()).toBe(-1);
    a.write(TPR, 4, 0x3f);
    expect(a.hasInterrupt()).toBe(true);
  });

  it('nests a higher class, and each EOI clears the highest ISR bit', () => {
    const { apics } = setup(1);
    const a = apics[0]!;
    softwareEnable(a);
    sendFixed(a, 0, 0x31);
    expect(a.acknowledge()).toBe(0x31);
    sendFixed(a, 0, 0x35); // same class as the one in service: held in IRR
    expect(a.hasInterrupt()).toBe(false);
    sendFixed(a, 0, 0x45);
    expect(a.acknowledge()).toBe(0x45);
    expect([a.isr.test(0x31), a.isr.test(0x45), a.read(PPR, 4)]).toEqual([true, true, 0x40]);
    a.write(EOI, 4, 0);
    expect([a.isr.test(0x45), a.isr.test(0x31), a.read(PPR, 4)]).toEqual([false, true, 0x30]);
    a.write(EOI, 4, 0);
    expect(a.isr.highest()).toBe(-1);
    expect(a.acknowledge()).toBe(0x35);
  });

  it('maps CR8 to TPR bits 7:4 (SDM Vol. 3A 11.8.6)', () => {
    const { apics } = setup(1);
    const a = apics[0]!;
    a.setCr8(0xa);
    expect(a.read(TPR, 4)).toBe(0xa0);
    a.write(TPR, 4, 0x5f);
    expect(a.getCr8()).toBe(0x5);
  });

  it('records the trigger mode in TMR', () => {
    const { apics } = setup(1);
    const a = apics[0]!;
    softwareEnable(a);
    a.write(ICR, 4, 0x4000 | 0x8000 | 0x40000 | 0x61); // self, level, assert
    expect(a.tmr.test(0x61)).toBe(true);
    a.write(ICR, 4, 0x4000 | 0x40000 | 0x61); // self, edge
    expect(a.tmr.test(0x61)).toBe(false);
  });
});

describe('IPIs through the ICR (SDM Vol. 3A 11.6.1)', () => {
  it('sends fixed IPIs by physical ID, reads delivery status 0 and kicks the target', () => {
    const { apics, kicks } = setup(2);
    softwareEnable(...apics);
    sendFixed(apics[0]!, 1, 0xf1);
    expect(apics[1]!.irr.test(0xf1)).toBe(true);
    expect(kicks).toEqual([1]);
    expect(apics[0]!.read(ICR, 4) & 0x1000).toBe(0);
    expect(apics[0]!.read(ICR2, 4)).toBe(0x01000000);
  });

  it('honours the self, all-including-self and all-excluding-self shorthands', () => {
    const { apics } = setup(3);
    softwareEnable(...apics);
    apics[0]!.write(ICR, 4, 0x40000 | 0x4000 | 0x51);
    expect(apics.map((a) => a.irr.test(0x51))).toEqual([true, false, false]);
    apics[0]!.write(ICR, 4, 0x80000 | 0x4000 | 0x52);
    expect(apics.map((a) => a.irr.test(0x52))).toEqual([true, true, true]);
    apics[0]!.write(ICR, 4, 0xc0000 | 0x4000 | 0x53);
    expect(apics.map((a) => a.irr.test(0x53))).toEqual([false, true, true]);
  });

  it('does not INIT on a level-triggered de-assert message', () => {
    const { apics } = setup(2);
    apics[0]!.write(ICR2, 4, 1 << 24);
    apics[0]!.write(ICR, 4, 0x8500); // INIT, level, de-assert
    expect(apics[1]!.takeInit()).toBe(false);
  });

  it('delivers through LINT1 in NMI mode and masks LVTPC after a PMI', () => {
    const { apics } = setup(1);
    const a = apics[0]!;
    softwareEnable(a);
    a.write(LVT1, 4, 0x400);
    expect(a.deliverLocal(Lvt.Lint1)).toBe(true);
    expect(a.takeNmi()).toBe(true);
    a.write(LVTPC, 4, 0xf0);
    a.deliverLocal(Lvt.Perf);
    expect(a.irr.test(0xf0)).toBe(true);
    expect(a.read(LVTPC, 4)).toBe(0x100f0);
  });
});

describe('x2APIC mode (SDM Vol. 3A 11.12)', () => {
  function x2(n = 20) {
    const env = setup(n);
    for (const a of env.apics)
      expect(a.writeMsr(IA32_APIC_BASE, a.readMsr(IA32_APIC_BASE)! | 0x400n)).toBe(true);
    return env;
  }

  it('reads the 32-bit x2APIC ID and the LDR derived from it (11.12.10.2)', () => {
    const { apics } = x2();
    expect(apics[5]!.readMsr(0x802)).toBe(5n);
    expect(apics[5]!.readMsr(0x80d)).toBe(0x20n); // cluster 0, bit 5
    expect(apics[19]!.readMsr(0x80d)).toBe(0x10008n); // cluster 1, bit 3
    expect(apics[5]!.readMsr(0x803)).toBe(0x50014n);
  });

  it('raises #GP for read-only, write-only and absent registers and for reserved bits', () => {
    const { apics } = x2(1);
    const a = apics[0]!;
    expect(a.writeMsr(0x802, 0n)).toBe(false); // ID is read-only
    expect(a.readMsr(0x80b)).toBeUndefined(); // EOI is write-only
    expect(a.readMsr(0x809)).toBeUndefined(); // no ARBPRI
    expect(a.readMsr(0x80e)).toBeUndefined(); // no DFR
    expect(a.readMsr(0x831)).toBeUndefined(); // no ICR2: ICR is 64-bit
    expect(a.writeMsr(0x808, 1n << 32n)).toBe(false); // bits 63:32 reserved
    expect(a.writeMsr(0x828, 1n)).toBe(false); // ESR accepts only 0
    expect(a.writeMsr(0x828, 0n)).toBe(true);
    expect(a.writeMsr(0x830, 1n << 20n)).toBe(false); // ICR bit 20 reserved
    expect(a.writeMsr(0x83f, 0x100n)).toBe(false); // SELF IPI bits 31:8 reserved
  });

  it('sends IPIs through the 64-bit ICR with a 32-bit destination, and self IPIs', () => {
    const { apics } = x2();
    for (const a of apics) a.writeMsr(0x80f, 0x1ffn); // SVR
    expect(apics[0]!.writeMsr(0x830, (17n << 32n) | 0x40f2n)).toBe(true);
    expect(apics[17]!.irr.test(0xf2)).toBe(true);
    expect(apics[0]!.readMsr(0x830)).toBe((17n << 32n) | 0x40f2n);
    expect(apics[3]!.writeMsr(0x83f, 0x77n)).toBe(true);
    expect(apics[3]!.irr.test(0x77)).toBe(true);
  });

  it('hides the MMIO page (reads all ones) and xAPIC mode hides the x2APIC MSRs', () => {
    const { apics } = setup(1);
    expect(apics[0]!.readMsr(0x803)).toBeUndefined();
    apics[0]!.writeMsr(IA32_APIC_BASE, 0xfee00d00n);
    expect(apics[0]!.read(LVR, 4)).toBe(0xffffffff);
  });

  it('logical x2APIC IPIs select by cluster and bit', () => {
    const { apics } = x2();
    for (const a of apics) a.writeMsr(0x80f, 0x1ffn);
    apics[0]!.writeMsr(0x830, (0x0001_0009n << 32n) | 0x800n | 0x4000n | 0x66n); // cluster 1, bits 0 and 3
    expect(apics.flatMap((a, i) => (a.irr.test(0x66) ? [i] : []))).toEqual([16, 19]);
  });
});

describe('IA32_APIC_BASE (SDM Vol. 3A 11.4.4, 11.12.5)', () => {
  it('follows the mode transitions of Figure 11-28', () => {
    const { apics } = setup(2);
    const a = apics[1]!;
    expect(a.writeMsr(IA32_APIC_BASE, 0xfee00400n)).toBe(false); // EXTD without EN: invalid
    expect(a.writeMsr(IA32_APIC_BASE, 0xfee00c00n)).toBe(true); // xAPIC -> x2APIC
    expect(a.writeMsr(IA32_APIC_BASE, 0xfee00800n)).toBe(false); // x2APIC -> xAPIC
    expect(a.writeMsr(IA32_APIC_BASE, 0xfee00000n)).toBe(true); // x2APIC -> disabled
    expect(a.writeMsr(IA32_APIC_BASE, 0xfee00c00n)).toBe(false); // disabled -> x2APIC
    expect(a.writeMsr(IA32_APIC_BASE, 0xfee00400n)).toBe(false); // disabled -> invalid
    expect(a.writeMsr(IA32_APIC_BASE, 0xfee00800n)).toBe(true); // disabled -> xAPIC
    expect(a.writeMsr(IA32_APIC_BASE, 0xfee00c00n)).toBe(true);
    expect(a.writeMsr(IA32_APIC_BASE, 0xfee00800n, true)).toBe(true); // the host may
  });

  it('rejects reserved bits: bits 7:0, bit 9, bits at and above MAXPHYADDR, EXTD without x2APIC', () => {
    const { apics } = setup(1);
    const a = apics[0]!;
    expect(a.writeMsr(IA32_APIC_BASE, 0xfee00901n)).toBe(false);
    expect(a.writeMsr(IA32_APIC_BASE, 0xfee00b00n)).toBe(false);
    expect(a.writeMsr(IA32_APIC_BASE, 0xfee00900n | (1n << 36n))).toBe(false);
    const noX2 = setup(1, { x2apic: false }).apics[0]!;
    expect(noX2.writeMsr(IA32_APIC_BASE, 0xfee00d00n)).toBe(false);
  });

  it('relocates the page', () => {
    const { apics } = setup(1);
    const a = apics[0]!;
    expect(a.writeMsr(IA32_APIC_BASE, 0xfed40900n)).toBe(true);
    expect(a.mmioBase).toBe(0xfed40000);
    expect(a.read(LVR, 4)).toBe(0x00050014);
  });

  it('disables (page reads all ones, no IPIs) and re-enables with the initial APIC ID, as kvm-unit-tests apic expects', () => {
    const { apics } = setup(2);
    const a = apics[1]!;
    softwareEnable(...apics);
    a.write(ID, 4, 0x07000000);
    expect(a.read(ID, 4)).toBe(0x07000000);
    expect(a.writeMsr(IA32_APIC_BASE, 0xfee00000n)).toBe(true);
    expect(a.read(LVR, 4)).toBe(0xffffffff);
    a.write(TPR, 4, 0x20);
    sendFixed(apics[0]!, 1, 0x42);
    expect(a.irr.test(0x42)).toBe(false);
    expect(a.acceptsPicInterrupt()).toBe(true); // LINT0 is the INTR pin again
    expect(a.writeMsr(IA32_APIC_BASE, 0xfee00800n)).toBe(true);
    expect(a.read(ID, 4)).toBe(0x01000000);
    expect(a.read(TPR, 4)).toBe(0);
  });
});

describe('state', () => {
  it('round-trips KVM_GET_LAPIC/KVM_SET_LAPIC and rejects a bad page', () => {
    const { apics, q } = setup(1);
    const a = apics[0]!;
    softwareEnable(a);
    a.write(LVTT, 4, 0xee);
    a.write(TDCR, 4, 0xb);
    a.write(TMICT, 4, 1000);
    q.advanceBy(400);
    const s = a.getState();
    expect(s.regs[0x390 >>> 2]).toBe(600);
    const b = new Lapic({ id: 0, bus: new ApicBus(), clock: q, timers: q });
    expect(b.setState(s)).toBeUndefined();
    expect(b.read(0x390, 4)).toBe(600);
    q.advanceBy(600);
    expect(b.irr.test(0xee)).toBe(true);
    expect(b.setState({ ...s, regs: new Uint32Array(4) })).toEqual({ kind: 'bad-regs-length', length: 4 });
  });
});
