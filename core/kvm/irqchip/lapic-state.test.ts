// KVM_GET_LAPIC / KVM_SET_LAPIC (Documentation/virt/kvm/api.rst, struct kvm_lapic_state: the
// 1 KiB APIC register page). Reset values: SDM Vol. 3A 11.4.7.1 and Table 11-1 (ID in bits
// 31:24 = the vCPU's APIC ID, SVR 0xff, DFR all ones, LVT entries masked); PPR: SDM Vol. 3A
// 11.8.3.1 (with no vector in service, PPR = TPR).
import { describe, expect, it } from 'vitest';
import { ExitReason, Kvm, KvmError } from '../index.ts';
import { inlineSpawner } from '../inline.ts';
import { DATA, irqGuest, movEaxMem, movMemEax, outAl } from '../../../tests/unit/irqchip-guest.ts';
import { ApicReg, KVM_APIC_REG_SIZE } from './apic-regs.ts';

const inline = { spawnVcpu: inlineSpawner };
const APIC = 0xfee00000;
const DONE_PORT = 0xf0;
const APIC_LVT_MASKED = 1 << 16;

const word = (page: Uint8Array, reg: number): number => new DataView(page.buffer, page.byteOffset).getUint32(reg, true);
const setWord = (page: Uint8Array, reg: number, v: number): void => new DataView(page.buffer, page.byteOffset).setUint32(reg, v, true);

describe('KVM_GET_LAPIC / KVM_SET_LAPIC', () => {
  it('GET gives the power-on register page; SET loads TPR and SVR, which the guest then reads, with PPR recomputed', async () => {
    const g = await irqGuest(0x1000, { platform: inline, vcpus: 2 });
    const [bsp, ap] = g.vcpus;
    const apPage = await ap!.getLapic();
    expect(apPage.length).toBe(KVM_APIC_REG_SIZE);
    expect(word(apPage, ApicReg.ID)).toBe(1 << 24);
    expect(word(apPage, ApicReg.SPIV)).toBe(0xff);
    expect(word(apPage, ApicReg.DFR)).toBe(0xffffffff);
    for (const lvt of [ApicReg.LVTT, ApicReg.LVT0, ApicReg.LVT1, ApicReg.LVTERR]) expect(word(apPage, lvt) & APIC_LVT_MASKED).toBe(APIC_LVT_MASKED);

    const page = await bsp!.getLapic();
    setWord(page, ApicReg.TASKPRI, 0x50);
    setWord(page, ApicReg.SPIV, 0x1ff);
    await bsp!.setLapic(page);
    expect(word(await bsp!.getLapic(), ApicReg.TASKPRI)).toBe(0x50);
    g.load(0x1000, [
      ...movEaxMem(APIC + ApicReg.TASKPRI), ...movMemEax(DATA),
      ...movEaxMem(APIC + ApicReg.SPIV), ...movMemEax(DATA + 4),
      ...movEaxMem(APIC + ApicReg.PROCPRI), ...movMemEax(DATA + 8),
      ...outAl(DONE_PORT),
    ]);
    const exit = await bsp!.run();
    expect(exit.reason).toBe(ExitReason.IO);
    expect([g.u32(DATA), g.u32(DATA + 4), g.u32(DATA + 8)]).toEqual([0x50, 0x1ff, 0x50]);
    await g.vm.destroy();
  });

  it('a page of the wrong size is EINVAL; without KVM_CREATE_IRQCHIP both are ENXIO', async () => {
    const g = await irqGuest(0x1000, { platform: inline });
    await expect(g.vcpus[0]!.setLapic(new Uint8Array(16))).rejects.toMatchObject({ errno: 'EINVAL' });
    await g.vm.destroy();
    const vm = Kvm.open(inline).createVm();
    const vcpu = await vm.createVcpu(0);
    await expect(vcpu.getLapic()).rejects.toBeInstanceOf(KvmError);
    await expect(vcpu.setLapic(new Uint8Array(KVM_APIC_REG_SIZE))).rejects.toMatchObject({ errno: 'ENXIO' });
    await vm.destroy();
  });
});
