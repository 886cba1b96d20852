// The KVM-shaped API: what core/vmm (and any VMM) imports. Nothing here imports core/vmm.
export { Kvm, KVM_API_VERSION, type KvmPlatform } from './kvm.ts';
export { Vm } from './vm.ts';
export { Vcpu } from './vcpu.ts';
export { Cap } from './cap.ts';
export { KvmError } from './errors.ts';
export { type VcpuExit, type KvmRunMsr } from './exit.ts';
export { MsrExitReason } from '../cpu/msr-exit.ts';
export { type VcpuBackend, type VcpuSpawner } from './backend.ts';
export { type RunResult } from './vcpu-core.ts';
export {
  ExitReason,
  EXIT_REASON_NAMES,
  KVM_EXIT_IO_IN,
  KVM_EXIT_IO_OUT,
  KVM_INTERNAL_ERROR_EMULATION,
  KVM_SYSTEM_EVENT_SHUTDOWN,
  KVM_SYSTEM_EVENT_RESET,
} from './exit-reason.ts';
export { KVM_MEM_READONLY, KVM_MEM_LOG_DIRTY_PAGES } from '../cpu/physmem.ts';
export * from './types.ts';
