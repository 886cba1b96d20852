// The /dev/kvm object: the system ioctls (KVM_GET_API_VERSION, KVM_CREATE_VM,
// KVM_CHECK_EXTENSION, KVM_GET_SUPPORTED_CPUID, KVM_GET_MSR_INDEX_LIST).
import { supportedCpuid } from '../cpu/cpuid.ts';
import { MSRS } from '../cpu/msr.ts';
import type { VcpuSpawner } from './backend.ts';
import { checkExtension } from './cap.ts';
import type { KvmCpuidEntry2 } from './types.ts';
import { Vm } from './vm.ts';

/** KVM_API_VERSION (stable since Linux 2.6.22). */
export const KVM_API_VERSION = 12;

export interface KvmPlatform {
  /** Starts a vCPU engine: workers/node.ts, workers/browser.ts, or core/kvm/inline.ts. */
  spawnVcpu: VcpuSpawner;
}

export class Kvm {
  private constructor(private readonly spawn: VcpuSpawner) {}

  /** Opens the "device" on a platform that says where vCPUs run. */
  static open(platform: KvmPlatform): Kvm {
    return new Kvm(platform.spawnVcpu);
  }

  getApiVersion(): number {
    return KVM_API_VERSION;
  }

  createVm(): Vm {
    return new Vm(this.spawn);
  }

  checkExtension(cap: number): number {
    return checkExtension(cap);
  }

  getSupportedCpuid(): KvmCpuidEntry2[] {
    return supportedCpuid();
  }

  getMsrIndexList(): number[] {
    return MSRS.map((m) => m.index);
  }
}
