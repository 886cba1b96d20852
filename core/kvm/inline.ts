// A vCPU engine in the calling thread: for tests and tools that need no workers. Kept out of
// backend.ts so that a page, whose vCPUs run in workers, does not bundle the CPU itself.
import type { VcpuBackend, VcpuSpawner } from './backend.ts';
import { VcpuCore } from './vcpu-core.ts';

/** Runs the vCPU engine in the calling thread. */
export function inlineVcpuBackend(core: VcpuCore): VcpuBackend {
  return {
    run: async () => core.run(),
    getRegs: async () => core.getRegs(),
    setRegs: async (r) => core.setRegs(r),
    getSregs: async () => core.getSregs(),
    setSregs: async (r) => core.setSregs(r),
    getMsrs: async (i) => core.getMsrs(i),
    setMsrs: async (e) => core.setMsrs(e),
    setCpuid2: async (e) => core.setCpuid2(e),
    interrupt: async (v) => core.interrupt(v),
    enableIrqchip: async () => core.enableIrqchip(),
    getLapic: async () => core.getLapic(),
    setLapic: async (regs) => core.setLapic(regs),
    reset: async () => core.reset(),
    destroy: async () => {},
  };
}

export const inlineSpawner: VcpuSpawner = async (memory, id) => inlineVcpuBackend(new VcpuCore(memory, id));
