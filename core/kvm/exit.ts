// struct kvm_run as the VMM sees it after Vcpu.run(): a discriminated union on `reason` with
// the payload fields of the matching kvm_run union member. I/O and MMIO data are views into
// the shared kvm_run area, so the VMM fills IN and MMIO-read data in place before the next
// run(), exactly as with KVM's mmap'ed kvm_run.
import { VcpuState } from '../cpu/state.ts';
import { ExitReason } from './exit-reason.ts';

export type VcpuExit =
  | { reason: ExitReason.IO; io: { direction: number; size: number; port: number; count: number; data: Uint8Array } }
  | { reason: ExitReason.MMIO; mmio: { physAddr: number; data: Uint8Array; len: number; isWrite: boolean } }
  | { reason: ExitReason.INTERNAL_ERROR; internal: { suberror: number; data: bigint[] }; detail: string }
  | { reason: ExitReason.SYSTEM_EVENT; systemEvent: { type: number } }
  | { reason: ExitReason.SHUTDOWN; detail: string }
  | { reason: ExitReason.X86_RDMSR | ExitReason.X86_WRMSR; msr: KvmRunMsr }
  | {
      reason: Exclude<
        ExitReason,
        ExitReason.IO | ExitReason.MMIO | ExitReason.INTERNAL_ERROR | ExitReason.SYSTEM_EVENT | ExitReason.SHUTDOWN | ExitReason.X86_RDMSR | ExitReason.X86_WRMSR
      >;
      detail?: string;
    };

/**
 * kvm_run.msr of KVM_EXIT_X86_RDMSR/WRMSR (core/cpu/msr-exit.ts): `index`, `reason`
 * (KVM_MSR_EXIT_REASON_*) and, for WRMSR, `data` come from the vCPU; the VMM sets `error`
 * (nonzero: #GP(0) in the guest) and, for RDMSR, `data` before the next run(). The fields
 * live in the shared kvm_run area, as KVM's do.
 */
export class KvmRunMsr {
  constructor(private readonly s: VcpuState) {}

  get index(): number {
    return this.s.getU32('runMsrIndex');
  }
  get reason(): number {
    return this.s.getU32('runMsrReason');
  }
  get error(): number {
    return this.s.getU8('runMsrError');
  }
  set error(v: number) {
    this.s.setU8('runMsrError', v & 0xff);
  }
  get data(): bigint {
    return this.s.get64('runMsrData');
  }
  set data(v: bigint) {
    this.s.set64('runMsrData', v);
  }
}

/** Decodes the exit the vCPU left in its kvm_run area. */
export function decodeExit(s: VcpuState, detail?: string): VcpuExit {
  const reason = s.getU32('runExitReason') as ExitReason;
  switch (reason) {
    case ExitReason.IO: {
      const size = s.getU32('runIoSize');
      const count = s.getU32('runIoCount');
      return {
        reason,
        io: {
          direction: s.getU32('runIoDirection'),
          size,
          port: s.getU32('runIoPort'),
          count,
          data: new Uint8Array(s.buffer, s.addr('runData'), size * count),
        },
      };
    }
    case ExitReason.MMIO: {
      const len = s.getU32('runMmioLen');
      return {
        reason,
        mmio: { physAddr: s.getNum('runMmioPhysAddr'), data: new Uint8Array(s.buffer, s.addr('runMmioData'), len), len, isWrite: s.getU32('runMmioIsWrite') !== 0 },
      };
    }
    case ExitReason.INTERNAL_ERROR: {
      const n = s.getU32('runInternalNdata');
      return {
        reason,
        internal: { suberror: s.getU32('runInternalSuberror'), data: Array.from({ length: n }, (_, i) => s.get64('runInternalData', i)) },
        detail: detail ?? 'internal error',
      };
    }
    case ExitReason.SYSTEM_EVENT:
      return { reason, systemEvent: { type: s.getU32('runSystemEventType') } };
    case ExitReason.SHUTDOWN:
      return { reason, detail: detail ?? 'shutdown' };
    case ExitReason.X86_RDMSR:
    case ExitReason.X86_WRMSR:
      return { reason, msr: new KvmRunMsr(s) };
    default:
      return detail === undefined ? { reason } : { reason, detail };
  }
}
