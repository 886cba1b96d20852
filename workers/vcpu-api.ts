// What a vCPU worker exposes over comlink: one VcpuCore, created by init() with the VM's
// shared memory. The same object serves browser Workers and Node worker_threads.
import { VcpuCore } from '../core/kvm/vcpu-core.ts';
import type { KvmCpuidEntry2, KvmMsrEntry, KvmRegs, KvmSregs } from '../core/kvm/types.ts';

export function createVcpuApi(onDestroy: () => void) {
  let core: VcpuCore | undefined;
  const need = (): VcpuCore => {
    if (!core) throw new Error('vCPU worker used before init()');
    return core;
  };
  return {
    init(memory: WebAssembly.Memory, id: number): void {
      core = new VcpuCore(memory, id);
      // A worker may sleep in HLT (Atomics.wait) until an interrupt or a kick.
      core.canBlock = true;
    },
    run: () => need().run(),
    getRegs: () => need().getRegs(),
    setRegs: (r: KvmRegs) => need().setRegs(r),
    getSregs: () => need().getSregs(),
    setSregs: (r: KvmSregs) => need().setSregs(r),
    getMsrs: (i: number[]) => need().getMsrs(i),
    setMsrs: (e: KvmMsrEntry[]) => need().setMsrs(e),
    setCpuid2: (e: KvmCpuidEntry2[]) => need().setCpuid2(e),
    interrupt: (v: number) => need().interrupt(v),
    enableIrqchip: () => need().enableIrqchip(),
    getLapic: () => need().getLapic(),
    setLapic: (regs: Uint8Array) => need().setLapic(regs),
    reset: () => need().reset(),
    destroy: () => onDestroy(),
  };
}

export type VcpuApi = ReturnType<typeof createVcpuApi>;
