// KVM capabilities with Linux's numbers (include/uapi/linux/kvm.h, KVM_CAP_*), and what
// KVM_CHECK_EXTENSION answers for each here. 0 means "not supported".
import { MAX_MEMORY_SLOTS, MAX_VCPUS } from '../cpu/layout.ts';

export const enum Cap {
  IRQCHIP = 0,
  HLT = 1,
  USER_MEMORY = 3,
  SET_TSS_ADDR = 4,
  EXT_CPUID = 7,
  NR_VCPUS = 9,
  NR_MEMSLOTS = 10,
  PIT = 11,
  MP_STATE = 14,
  IRQ_INJECT_STATUS = 26,
  PIT2 = 33,
  TSC_DEADLINE_TIMER = 72,
  INTERNAL_ERROR_DATA = 40,
  MAX_VCPUS = 66,
  READONLY_MEM = 81,
  IMMEDIATE_EXIT = 136,
  X86_USER_SPACE_MSR = 188,
}

/** Answers of KVM_CHECK_EXTENSION. */
export function checkExtension(cap: number): number {
  switch (cap) {
    // HLT exits to user space only without KVM_CREATE_IRQCHIP; with it the vCPU sleeps.
    case Cap.HLT:
    case Cap.IRQCHIP: // KVM_CREATE_IRQCHIP, KVM_IRQ_LINE (Vm.createIrqchip, Vm.irqLine)
    case Cap.IRQ_INJECT_STATUS: // KVM_IRQ_LINE answers delivered / coalesced / masked
    case Cap.PIT: // KVM_CREATE_PIT2 (Vm.createPit2)
    case Cap.PIT2:
    case Cap.MP_STATE: // Vcpu.getMpState / setMpState
    case Cap.TSC_DEADLINE_TIMER:
    case Cap.USER_MEMORY:
    case Cap.EXT_CPUID:
    case Cap.INTERNAL_ERROR_DATA:
    case Cap.READONLY_MEM:
    case Cap.IMMEDIATE_EXIT:
    case Cap.X86_USER_SPACE_MSR: // enabled per VM with KVM_ENABLE_CAP (Vm.enableCap)
      return 1;
    case Cap.NR_VCPUS:
    case Cap.MAX_VCPUS:
      return MAX_VCPUS;
    case Cap.NR_MEMSLOTS:
      return MAX_MEMORY_SLOTS;
    default:
      return 0;
  }
}
