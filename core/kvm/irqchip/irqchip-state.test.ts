// KVM_GET_IRQCHIP / KVM_SET_IRQCHIP (Documentation/virt/kvm/api.rst; struct kvm_irqchip with
// kvm_pic_state or kvm_ioapic_state). An IOAPIC redirection entry set from the VMM routes an
// edge on its pin to the vector it names (82093AA datasheet 3.2.4); an IMR set from the VMM is
// what the guest reads back at port 0x21 (8259A datasheet: a read of A0 = 1 returns the IMR).
import { describe, expect, it } from 'vitest';
import { ExitReason, Kvm, KvmError, KVM_IRQCHIP_IOAPIC, KVM_IRQCHIP_PIC_MASTER, KVM_IRQCHIP_PIC_SLAVE } from '../index.ts';
import { inlineSpawner } from '../inline.ts';
import { DATA, HLT, IRETD, STI, irqGuest, movAl, movEaxMem, movMemImm, outAl } from '../../../tests/unit/irqchip-guest.ts';

const inline = { spawnVcpu: inlineSpawner };
const APIC = 0xfee00000;
const SVR = APIC + 0xf0;
const EOI = APIC + 0xb0;
const DONE_PORT = 0xf0;
const VECTOR = 0x44;
/** in al, imm8 (E4 ib). */
const inAl = (port: number): number[] => [0xe4, port];

describe('KVM_GET_IRQCHIP / KVM_SET_IRQCHIP', () => {
  it('an IOAPIC redirection entry loaded from the VMM delivers its vector; GET returns the table as set', async () => {
    const g = await irqGuest(0x1000, { platform: inline });
    g.load(0x1000, [
      // Mask both 8259As (OCW1), which would otherwise pass GSI 4 as IRQ4 through LINT0.
      ...movAl(0xff), ...outAl(0x21), ...outAl(0xa1), ...movMemImm(SVR, 0x1ff),
      ...STI, ...HLT, ...movEaxMem(DATA), ...outAl(DONE_PORT),
    ]);
    g.load(0x1100, [...movMemImm(DATA, VECTOR), ...movMemImm(EOI, 0), ...IRETD]);
    g.gate(VECTOR, 0x1100);
    const chip = g.vm.getIrqchip(KVM_IRQCHIP_IOAPIC);
    if (chip.chipId !== KVM_IRQCHIP_IOAPIC) throw new Error('not the IOAPIC');
    // Reset: every entry masked (82093AA 3.2.4, bit 16).
    expect(chip.ioapic.redirectionTable.every(([lo]) => (lo & (1 << 16)) !== 0)).toBe(true);
    // Pin 4: vector 0x44, fixed, physical destination APIC 0, edge, unmasked.
    chip.ioapic.redirectionTable[4] = [VECTOR, 0];
    g.vm.setIrqchip(chip);
    const back = g.vm.getIrqchip(KVM_IRQCHIP_IOAPIC);
    expect(back.chipId === KVM_IRQCHIP_IOAPIC && back.ioapic.redirectionTable[4]).toEqual([VECTOR, 0]);
    const vcpu = g.vcpus[0]!;
    expect((await vcpu.run()).reason).toBe(ExitReason.HLT);
    expect(g.vm.irqLine(4, true)).toBe(1);
    g.vm.irqLine(4, false);
    const exit = await vcpu.run();
    expect(exit.reason === ExitReason.IO && [exit.io.port, exit.io.data[0]]).toEqual([DONE_PORT, VECTOR]);
    await g.vm.destroy();
  });

  it('an 8259A IMR loaded from the VMM is what the guest reads at port 0x21; bad chips and fields are EINVAL, no irqchip ENXIO', async () => {
    const g = await irqGuest(0x1000, { platform: inline });
    g.load(0x1000, [...inAl(0x21), ...outAl(DONE_PORT)]);
    const master = g.vm.getIrqchip(KVM_IRQCHIP_PIC_MASTER);
    if (master.chipId === KVM_IRQCHIP_IOAPIC) throw new Error('not an 8259A');
    g.vm.setIrqchip({ chipId: KVM_IRQCHIP_PIC_MASTER, pic: { ...master.pic, imr: 0xa5 } });
    const exit = await g.vcpus[0]!.run();
    expect(exit.reason === ExitReason.IO && exit.io.data[0]).toBe(0xa5);
    const slave = g.vm.getIrqchip(KVM_IRQCHIP_PIC_SLAVE);
    if (slave.chipId === KVM_IRQCHIP_IOAPIC) throw new Error('not an 8259A');
    expect(() => g.vm.setIrqchip({ chipId: KVM_IRQCHIP_PIC_SLAVE, pic: { ...slave.pic, irqBase: 0x71 } })).toThrow(KvmError);
    expect(() => g.vm.getIrqchip(3)).toThrow(KvmError);
    await g.vm.destroy();
    const vm = Kvm.open(inline).createVm();
    expect(() => vm.getIrqchip(KVM_IRQCHIP_IOAPIC)).toThrow(/ENXIO/);
    await vm.destroy();
  });
});
