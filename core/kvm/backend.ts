// The boundary between the VMM-side Vcpu handle and the vCPU's engine (VcpuCore). In a
// browser or Node the engine runs in its own worker behind comlink (workers/); for tests and
// simple tools it can run in the same thread (inline.ts). Both look the same: async.
import type { RunResult } from './vcpu-core.ts';
import type { KvmCpuidEntry2, KvmMsrEntry, KvmRegs, KvmSregs } from './types.ts';

export interface VcpuBackend {
  run(): Promise<RunResult>;
  getRegs(): Promise<KvmRegs>;
  setRegs(r: KvmRegs): Promise<void>;
  getSregs(): Promise<KvmSregs>;
  setSregs(r: KvmSregs): Promise<void>;
  getMsrs(indices: number[]): Promise<KvmMsrEntry[]>;
  setMsrs(entries: KvmMsrEntry[]): Promise<number>;
  setCpuid2(entries: KvmCpuidEntry2[]): Promise<void>;
  interrupt(vector: number): Promise<void>;
  /** KVM_CREATE_IRQCHIP, vCPU side: the local APIC and sleeping HLT (VcpuCore.enableIrqchip). */
  enableIrqchip(): Promise<void>;
  /** KVM_GET_LAPIC / KVM_SET_LAPIC (in-kernel irqchip): the 1 KiB register page; set returns why it refused, if it did. */
  getLapic(): Promise<Uint8Array>;
  setLapic(regs: Uint8Array): Promise<string | undefined>;
  reset(): Promise<void>;
  /** Ends the worker (KVM: closing the vcpu fd). */
  destroy(): Promise<void>;
}

/** How a platform starts a vCPU engine over the VM's shared memory. */
export type VcpuSpawner = (memory: WebAssembly.Memory, id: number) => Promise<VcpuBackend>;
