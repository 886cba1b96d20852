// RDMSR and WRMSR that the MSR model refuses, and KVM's user-space MSR exits
// (Documentation/virt/kvm/api.rst, KVM_CAP_X86_USER_SPACE_MSR and KVM_EXIT_X86_RDMSR/WRMSR).
// Without the capability such an access raises #GP(0) in the guest, as on hardware. With
// it, and the access's reason enabled, the vCPU exits instead: kvm_run.msr holds the index,
// the reason and, for WRMSR, the value; the VMM sets `error` (and `data` for RDMSR) and the
// next KVM_RUN completes the instruction, or injects #GP(0) when error is nonzero.
import type { InsnSite } from '../../jit/context.ts';
import { ExitReason } from '../kvm/exit-reason.ts';
import type { Cpu } from './cpu.ts';
import { ExitSignal, GuestFault } from './faults.ts';
import { msrSpec } from './msr.ts';
import { Reg, Vector } from './registers.ts';

/** kvm_run.msr.reason and the bits of KVM_CAP_X86_USER_SPACE_MSR's args[0] (KVM_MSR_EXIT_REASON_*). */
export const enum MsrExitReason {
  /** The MSR exists but the access is invalid (a reserved bit, a value it refuses, a CPUID feature the guest lacks). */
  INVAL = 1 << 0,
  /** KVM does not know the MSR at all. */
  UNKNOWN = 1 << 1,
  /** An MSR filter denied the access (KVM_X86_SET_MSR_FILTER; there are no filters here, so it never happens). */
  FILTER = 1 << 2,
}

/** Every reason KVM accepts in args[0] (KVM_MSR_EXIT_REASON_VALID_MASK). */
export const MSR_EXIT_REASONS_VALID = MsrExitReason.INVAL | MsrExitReason.UNKNOWN | MsrExitReason.FILTER;

/** Why the model refused an access to `index`, as KVM tells the two apart (kvm_msr_reason). */
function refusalReason(index: number): MsrExitReason {
  return msrSpec(index) === undefined ? MsrExitReason.UNKNOWN : MsrExitReason.INVAL;
}

/** EDX:EAX = value, upper halves cleared (SDM Vol. 2B RDMSR). */
export function setEdxEax(cpu: Cpu, value: bigint): void {
  cpu.state.setLo('gpr', Number(value & 0xffffffffn), Reg.RAX);
  cpu.state.setLo('gpr', Number((value >> 32n) & 0xffffffffn), Reg.RDX);
}

/**
 * The model refused RDMSR (`value` undefined) or WRMSR of `value` at `index`: #GP(0) at the
 * instruction, or KVM_EXIT_X86_RDMSR/WRMSR when the VM asked for this reason. Never returns.
 */
export function refuseMsrAccess(cpu: Cpu, site: InsnSite, index: number, write: boolean, value = 0n): never {
  const s = cpu.state;
  const reason = refusalReason(index);
  if ((s.getU32('msrExitReasons') & reason) === 0) throw new GuestFault(Vector.GP, 0, site.delta);
  s.setU8('runMsrError', 0);
  s.setU32('runMsrReason', reason);
  s.setU32('runMsrIndex', index >>> 0);
  s.set64('runMsrData', write ? value : 0n);
  // The instruction is completed by the next KVM_RUN, from what the VMM left in kvm_run.msr.
  s.setNum('rip', site.rip);
  cpu.env.vcpu.pendingCompletion = () => {
    if (s.getU8('runMsrError') !== 0) throw new GuestFault(Vector.GP, 0);
    if (!write) setEdxEax(cpu, s.get64('runMsrData'));
    s.setNum('rip', site.next);
  };
  throw new ExitSignal(write ? ExitReason.X86_WRMSR : ExitReason.X86_RDMSR);
}
