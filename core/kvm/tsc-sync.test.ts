// One TSC for the VM: every vCPU's TSC counts from the VM's clock epoch, whichever worker it
// runs in and whenever it was created, as KVM synchronizes the TSC write of 0 that creates
// (or resets) each vCPU with the others (arch/x86/kvm/x86.c kvm_synchronize_tsc). So a TSC
// read on vCPU 1 after one on vCPU 0 is never the smaller, and both track host time.
import { describe, expect, it } from 'vitest';
import { ExitReason, type Vcpu } from './index.ts';
import { nodePlatform } from '../../workers/node.ts';
import { DATA, irqGuest, movMemR32, outAl } from '../../tests/unit/irqchip-guest.ts';

const DONE_PORT = 0xf0;
const RDTSC = [0x0f, 0x31];

async function readTsc(g: Awaited<ReturnType<typeof irqGuest>>, vcpu: Vcpu): Promise<bigint> {
  const exit = await vcpu.run();
  expect(exit.reason).toBe(ExitReason.IO);
  return (BigInt(g.u32(DATA + 4)) << 32n) | BigInt(g.u32(DATA));
}

describe('TSC across vCPU workers', () => {
  it('a TSC read on vCPU 1 after one on vCPU 0 is not smaller, and the gap is the host time between them', async () => {
    const g = await irqGuest(0x1000, { platform: nodePlatform, vcpus: 2 });
    // rdtsc; mov [DATA], eax; mov [DATA + 4], edx; out DONE_PORT, al
    g.load(0x1000, [...RDTSC, ...movMemR32(DATA, 0), ...movMemR32(DATA + 4, 2), ...outAl(DONE_PORT)]);
    const [bsp, ap] = g.vcpus as [Vcpu, Vcpu];
    await ap.setSregs(await bsp.getSregs());
    const start = await bsp.getRegs();
    await ap.setRegs(start);
    ap.setMpState(0); // KVM_MP_STATE_RUNNABLE
    try {
      const t0 = await readTsc(g, bsp);
      const host0 = performance.now();
      await new Promise((r) => setTimeout(r, 20));
      const host1 = performance.now();
      const t1 = await readTsc(g, ap);
      // The TSC counts nanoseconds (msr.ts TSC_HZ = 1 GHz).
      expect(t1 - t0).toBeGreaterThanOrEqual(BigInt(Math.floor((host1 - host0) * 1e6)));
      expect(t1 - t0).toBeLessThan(5_000_000_000n);
    } finally {
      await g.vm.destroy();
    }
  }, 30_000);
});
