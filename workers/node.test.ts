// vCPU workers under Node: a worker that dies makes every call fail with what happened,
// never a promise that hangs.
import { describe, expect, it } from 'vitest';
import { Kvm } from '../core/kvm/index.ts';
import { nodePlatform } from './node.ts';

describe('Node vCPU workers', () => {
  it('run() rejects with "vCPU worker died" when the worker is terminated mid-run', async () => {
    const vm = Kvm.open(nodePlatform).createVm();
    const host = vm.allocateGuestMemory(0x10000);
    vm.setUserMemoryRegion({ slot: 0, flags: 0, guestPhysAddr: 0, memorySize: 0x10000, userspaceAddr: host });
    vm.guestView(0x1000, 2).set([0xeb, 0xfe]); // jmp $
    const vcpu = await vm.createVcpu(0);
    const sregs = await vcpu.getSregs();
    sregs.cs.base = 0n;
    sregs.cs.selector = 0;
    await vcpu.setSregs(sregs);
    await vcpu.setRegs({ ...(await vcpu.getRegs()), rip: 0x1000n });
    const running = vcpu.run();
    setTimeout(() => void vcpu.destroy(), 100);
    await expect(running).rejects.toThrow(/vCPU worker died: exited with code/);
    await expect(vcpu.getRegs()).rejects.toThrow(/vCPU worker died/);
  });
});
