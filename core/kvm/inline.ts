// A vCPU engine in the calling thread: for tests and tools that need no workers. Kept out of
// backend.ts so that a page, whose vCPUs run in workers, does not bundle the CPU itself.
import type { VcpuBackend, VcpuSpawner } from './backend.ts';
import { RUN_PREEMPTED, VcpuCore, type RunResult } from './vcpu-core.ts';

/** Milliseconds an inline vCPU runs the guest before it lets the thread's event loop run. */
const INLINE_SLICE_MS = 10;

/** The next turn of the thread's event loop (Node's setImmediate skips setTimeout's 1 ms clamp). */
const nextTurn = (): Promise<void> =>
  new Promise((resolve) => ((globalThis as { setImmediate?: (f: () => void) => void }).setImmediate ?? setTimeout)(resolve));

/**
 * KVM_RUN in the calling thread. The guest runs in slices (VcpuCore.run returns RUN_PREEMPTED
 * when one ends): between them the thread's event loop runs the VMM's timers and the
 * irqchip pump, which a guest spinning in Wasm would otherwise starve.
 */
async function runInline(core: VcpuCore): Promise<RunResult> {
  let r = core.run();
  while (r.reason === RUN_PREEMPTED) {
    await nextTurn();
    r = core.resume();
  }
  return r;
}

/** Runs the vCPU engine in the calling thread. */
export function inlineVcpuBackend(core: VcpuCore): VcpuBackend {
  core.sliceMs = INLINE_SLICE_MS;
  return {
    run: () => runInline(core),
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
