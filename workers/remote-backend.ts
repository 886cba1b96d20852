// A VcpuBackend over a comlink proxy to a vCPU worker. If the worker dies (an exception that
// escaped, out of memory, terminated), every pending and later call rejects with what
// happened instead of hanging, and the VMM reports it.
import type { Remote } from 'comlink';
import type { VcpuBackend } from '../core/kvm/backend.ts';
import type { VcpuApi } from './vcpu-api.ts';

export class WorkerDiedError extends Error {}

export function remoteBackend(api: Remote<VcpuApi>, died: Promise<string>, terminate: () => void): VcpuBackend {
  let deathReason: string | undefined;
  // The calls in flight, to reject when the worker dies. Not Promise.race against one
  // long-lived death promise: each race would leave a reaction on it until the worker dies,
  // a leak of one closure per KVM_RUN (out of memory after a few million exits).
  const inFlight = new Set<(e: Error) => void>();
  void died.then((why) => {
    deathReason = why;
    const e = new WorkerDiedError(`vCPU worker died: ${why}`);
    for (const reject of inFlight) reject(e);
    inFlight.clear();
  });
  const call = <T>(p: () => Promise<T>): Promise<T> => {
    if (deathReason !== undefined) return Promise.reject(new WorkerDiedError(`vCPU worker died: ${deathReason}`));
    return new Promise<T>((resolve, reject) => {
      inFlight.add(reject);
      p().then(resolve, reject).finally(() => inFlight.delete(reject));
    });
  };
  return {
    run: () => call(() => api.run()),
    getRegs: () => call(() => api.getRegs()),
    setRegs: (r) => call(() => api.setRegs(r)),
    getSregs: () => call(() => api.getSregs()),
    setSregs: (r) => call(() => api.setSregs(r)),
    getMsrs: (i) => call(() => api.getMsrs(i)),
    setMsrs: (e) => call(() => api.setMsrs(e)),
    setCpuid2: (e) => call(() => api.setCpuid2(e)),
    interrupt: (v) => call(() => api.interrupt(v)),
    enableIrqchip: () => call(() => api.enableIrqchip()),
    getLapic: () => call(() => api.getLapic()),
    setLapic: (regs) => call(() => api.setLapic(regs)),
    reset: () => call(() => api.reset()),
    destroy: async () => terminate(),
  };
}
