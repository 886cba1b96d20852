// The KVM-shaped API against Documentation/virt/kvm/api.rst: capabilities, memory slots
// (holes and KVM_MEM_READONLY exit as MMIO), immediate_exit, KVM_INTERRUPT with the
// interrupt window, and registers. vCPUs run in this thread (the inline spawner) except
// where a test is about workers.
import { describe, expect, it } from 'vitest';
import { Cap, ExitReason, Kvm, KvmError, KVM_MEM_READONLY, type Vcpu, type Vm } from './index.ts';
import { nodePlatform } from '../../workers/node.ts';
import { inlineSpawner } from './inline.ts';

const inlinePlatform = { spawnVcpu: inlineSpawner };

async function realModeVm(code: number[], kvm = Kvm.open(inlinePlatform)): Promise<{ vm: Vm; vcpu: Vcpu }> {
  const vm = kvm.createVm();
  const host = vm.allocateGuestMemory(0x10000);
  vm.setUserMemoryRegion({ slot: 0, flags: 0, guestPhysAddr: 0, memorySize: 0x10000, userspaceAddr: host });
  vm.guestView(0x1000, code.length).set(code);
  const vcpu = await vm.createVcpu(0);
  const sregs = await vcpu.getSregs();
  sregs.cs.base = 0n;
  sregs.cs.selector = 0;
  await vcpu.setSregs(sregs);
  await vcpu.setRegs({ ...(await vcpu.getRegs()), rip: 0x1000n, rsp: 0x8000n, rflags: 2n });
  return { vm, vcpu };
}

describe('Kvm', () => {
  it('reports API version 12 and the capabilities it has, 0 for the rest', () => {
    const kvm = Kvm.open(inlinePlatform);
    expect(kvm.getApiVersion()).toBe(12);
    expect(kvm.checkExtension(Cap.USER_MEMORY)).toBe(1);
    expect(kvm.checkExtension(Cap.READONLY_MEM)).toBe(1);
    expect(kvm.checkExtension(Cap.IMMEDIATE_EXIT)).toBe(1);
    expect(kvm.checkExtension(Cap.NR_MEMSLOTS)).toBeGreaterThanOrEqual(32);
    expect(kvm.checkExtension(Cap.IRQCHIP)).toBe(1); // KVM_CREATE_IRQCHIP (tests/unit/irqchip.test.ts)
    expect(kvm.checkExtension(9999)).toBe(0);
  });

  it('refuses overlapping and unaligned slots with EINVAL, and duplicate vCPU ids with EEXIST', async () => {
    const vm = Kvm.open(inlinePlatform).createVm();
    const a = vm.allocateGuestMemory(0x4000);
    vm.setUserMemoryRegion({ slot: 0, flags: 0, guestPhysAddr: 0, memorySize: 0x2000, userspaceAddr: a });
    expect(() => vm.setUserMemoryRegion({ slot: 1, flags: 0, guestPhysAddr: 0x1000, memorySize: 0x1000, userspaceAddr: a + 0x2000 })).toThrow(KvmError);
    expect(() => vm.setUserMemoryRegion({ slot: 1, flags: 0, guestPhysAddr: 0x2800, memorySize: 0x1000, userspaceAddr: a + 0x2000 })).toThrow(/EINVAL/);
    await vm.createVcpu(0);
    await expect(vm.createVcpu(0)).rejects.toThrow(/EEXIST/);
  });
});

describe('memory slots', () => {
  it('an access to a hole between slots exits as MMIO; a write to a read-only slot exits as an MMIO write', async () => {
    // mov al, [0x3000] (hole) ; mov [0x2000], al (read-only slot) ; hlt
    const { vm, vcpu } = await realModeVm([0xa0, 0x00, 0x30, 0xa2, 0x00, 0x20, 0xf4]);
    // Re-map: slot 0 covers 0..0x2000 (code), slot 1 is a read-only page at 0x2000, 0x3000 is a hole.
    const rom = vm.allocateGuestMemory(0x1000);
    vm.setUserMemoryRegion({ slot: 0, flags: 0, guestPhysAddr: 0, memorySize: 0, userspaceAddr: 0 });
    const ram = vm.allocateGuestMemory(0x2000);
    vm.setUserMemoryRegion({ slot: 0, flags: 0, guestPhysAddr: 0, memorySize: 0x2000, userspaceAddr: ram });
    vm.setUserMemoryRegion({ slot: 1, flags: KVM_MEM_READONLY, guestPhysAddr: 0x2000, memorySize: 0x1000, userspaceAddr: rom });
    vm.guestView(0x1000, 7).set([0xa0, 0x00, 0x30, 0xa2, 0x00, 0x20, 0xf4]);
    const e1 = await vcpu.run();
    expect(e1.reason).toBe(ExitReason.MMIO);
    if (e1.reason !== ExitReason.MMIO) return;
    expect(e1.mmio).toMatchObject({ physAddr: 0x3000, len: 1, isWrite: false });
    e1.mmio.data[0] = 0x5a;
    const e2 = await vcpu.run();
    expect(e2.reason).toBe(ExitReason.MMIO);
    if (e2.reason !== ExitReason.MMIO) return;
    expect(e2.mmio).toMatchObject({ physAddr: 0x2000, len: 1, isWrite: true });
    expect(e2.mmio.data[0]).toBe(0x5a);
    expect((await vcpu.run()).reason).toBe(ExitReason.HLT);
    expect(vm.guestView(0x2000, 1)[0]).toBe(0); // the ROM byte is unchanged
  });
});

describe('Vcpu.run', () => {
  it('returns KVM_EXIT_INTR at once when immediate_exit is set, and runs when cleared', async () => {
    const { vcpu } = await realModeVm([0xf4]);
    vcpu.immediateExit = true;
    expect((await vcpu.run()).reason).toBe(ExitReason.INTR);
    vcpu.immediateExit = false;
    expect((await vcpu.run()).reason).toBe(ExitReason.HLT);
  });

  it('kick() stops a guest spinning in a loop', async () => {
    const { vcpu } = await realModeVm([0xeb, 0xfe], Kvm.open(nodePlatform)); // jmp $ in a worker
    const running = vcpu.run();
    setTimeout(() => vcpu.kick(), 50);
    expect((await running).reason).toBe(ExitReason.INTR);
    await vcpu.destroy();
  });

  it('KVM_INTERRUPT is delivered only when IF=1, after IRQ_WINDOW_OPEN was requested', async () => {
    // IVT entry 0x20 -> 0:0x1100 (handler: mov bx, 0x77 ; hlt). Code: cli ; nop ; sti ; nop ; jmp $
    const { vm, vcpu } = await realModeVm([0xfa, 0x90, 0xfb, 0x90, 0xeb, 0xfe]);
    vm.guestView(0x20 * 4, 4).set([0x00, 0x11, 0x00, 0x00]);
    vm.guestView(0x1100, 4).set([0xbb, 0x77, 0x00, 0xf4]);
    vcpu.requestInterruptWindow = true;
    const e = await vcpu.run();
    // After CLI the window is closed; it opens after STI plus one instruction (the STI shadow).
    expect(e.reason).toBe(ExitReason.IRQ_WINDOW_OPEN);
    expect(vcpu.readyForInterruptInjection).toBe(true);
    expect((await vcpu.getRegs()).rip).toBe(0x1004n);
    vcpu.requestInterruptWindow = false;
    await vcpu.interrupt(0x20);
    expect((await vcpu.run()).reason).toBe(ExitReason.HLT);
    const r = await vcpu.getRegs();
    expect(r.rbx & 0xffffn).toBe(0x77n);
    // The real-mode interrupt pushed FLAGS (IF set), CS 0 and IP 0x1004 (SDM Vol. 3A 20.1.4).
    expect(Array.from(vm.guestView(0x8000 - 6, 6))).toEqual([0x04, 0x10, 0x00, 0x00, 0x02, 0x02]);
  });

  it('get/setRegs round-trip all 64 bits; setRegs keeps EFLAGS bit 1 set', async () => {
    const { vcpu } = await realModeVm([0xf4]);
    const r = await vcpu.getRegs();
    await vcpu.setRegs({ ...r, r15: 0xfedcba9876543210n, rflags: 0n });
    const back = await vcpu.getRegs();
    expect(back.r15).toBe(0xfedcba9876543210n);
    expect(back.rflags).toBe(2n);
  });

  it('the reset state is the SDM power-on state: CS F000 base FFFF0000, IP FFF0, CR0 60000010', async () => {
    const vm = Kvm.open(inlinePlatform).createVm();
    const vcpu = await vm.createVcpu(0);
    const s = await vcpu.getSregs();
    const r = await vcpu.getRegs();
    expect(s.cs.selector).toBe(0xf000);
    expect(s.cs.base).toBe(0xffff0000n);
    expect(r.rip).toBe(0xfff0n);
    expect(s.cr0).toBe(0x60000010n);
    expect(r.rflags).toBe(2n);
  });
});
