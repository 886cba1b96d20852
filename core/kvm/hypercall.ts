// KVM's hypercall ABI as a guest sees it (Documentation/virt/kvm/x86/hypercalls.rst,
// arch/x86/kvm/x86.c kvm_emulate_hypercall): VMCALL or VMMCALL with the number in RAX and
// arguments in RBX, RCX, RDX, RSI; the result in RAX. KVM accepts both instructions on
// either vendor (it patches or emulates the other one), and so do we.
import { Reg } from '../cpu/registers.ts';
import type { Cpu } from '../cpu/cpu.ts';

/** Hypercall numbers (include/uapi/linux/kvm_para.h). */
export const enum KvmHypercall {
  VAPIC_POLL_IRQ = 1,
  // KICK_CPU (5) belongs to PV spinlocks, which CPUID 0x40000001 does not offer
  // (KVM_FEATURE_PV_UNHALT): it answers -KVM_ENOSYS like every number not listed here.
  SEND_IPI = 10,
  SCHED_YIELD = 11,
}

/** Error returns, negated in RAX (include/uapi/linux/kvm_para.h). */
export const enum KvmHypercallError {
  ENOSYS = 1000,
  EPERM = 1,
  EINVAL = 22,
}

/** What a hypercall may do to the rest of the machine. */
export interface HypercallTarget {
  /**
   * KVM_HC_SEND_IPI to one physical APIC ID with the ICR's vector, delivery mode, level
   * and trigger; returns how many vCPUs took it (0 when no vCPU has that ID).
   */
  sendIpi(icrLow: number, apicId: number): number;
  /** Highest APIC ID in the VM (KVM's map->max_apic_id). */
  maxApicId(): number;
}

/** APIC_DEST_MASK | APIC_SHORT_MASK of the ICR: a PV IPI names its destinations itself. */
const ICR_DEST_AND_SHORTHAND = 0x800 | 0xc0000;

/**
 * Executes the hypercall of the current VMCALL/VMMCALL: reads RAX/RBX/RCX/RDX/RSI and
 * writes RAX. Outside 64-bit mode the number, arguments and result are 32-bit
 * (is_64_bit_hypercall). CPL > 0 gets -KVM_EPERM.
 */
export function emulateHypercall(cpu: Cpu, long: boolean, target: HypercallTarget | undefined): void {
  const s = cpu.state;
  const width = long ? 64 : 32;
  const arg = (r: Reg): bigint => BigInt.asUintN(width, s.get64('gpr', r));
  const nr = arg(Reg.RAX);
  let ret: bigint;
  if (s.getU32('cpl') !== 0) ret = -BigInt(KvmHypercallError.EPERM);
  else {
    switch (nr) {
      case BigInt(KvmHypercall.VAPIC_POLL_IRQ):
        ret = 0n;
        break;
      case BigInt(KvmHypercall.SEND_IPI):
        ret = target ? sendIpi(target, arg(Reg.RBX), arg(Reg.RCX), arg(Reg.RDX), arg(Reg.RSI), width) : -BigInt(KvmHypercallError.ENOSYS);
        break;
      case BigInt(KvmHypercall.SCHED_YIELD):
        ret = 0n;
        break;
      default:
        ret = -BigInt(KvmHypercallError.ENOSYS);
    }
  }
  // A 32-bit hypercall returns a 32-bit value, zero-extended (ret = (u32)ret).
  s.set64('gpr', long ? BigInt.asUintN(64, ret) : BigInt.asUintN(32, ret), Reg.RAX);
}

/** kvm_pv_send_ipi (arch/x86/kvm/lapic.c): two bitmaps of `width` APIC IDs from `min`. */
function sendIpi(target: HypercallTarget, low: bigint, high: bigint, min: bigint, icr: bigint, width: number): bigint {
  const icrLow = Number(icr & 0xffffffffn);
  if (icrLow & ICR_DEST_AND_SHORTHAND) return -BigInt(KvmHypercallError.EINVAL);
  const max = BigInt(target.maxApicId());
  let count = 0;
  for (const [bitmap, base] of [
    [low, min],
    [high, min + BigInt(width)],
  ] as const) {
    if (base > max) continue;
    const n = Number(max - base + 1n < BigInt(width) ? max - base + 1n : BigInt(width));
    for (let i = 0; i < n; i++) if ((bitmap >> BigInt(i)) & 1n) count += target.sendIpi(icrLow, Number(base) + i);
  }
  return BigInt(count);
}
