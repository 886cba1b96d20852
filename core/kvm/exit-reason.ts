// KVM exit reasons with Linux's numbers (include/uapi/linux/kvm.h, KVM_EXIT_*).
export const enum ExitReason {
  UNKNOWN = 0,
  EXCEPTION = 1,
  IO = 2,
  HYPERCALL = 3,
  DEBUG = 4,
  HLT = 5,
  MMIO = 6,
  IRQ_WINDOW_OPEN = 7,
  SHUTDOWN = 8,
  FAIL_ENTRY = 9,
  INTR = 10,
  SET_TPR = 11,
  TPR_ACCESS = 12,
  NMI = 16,
  INTERNAL_ERROR = 17,
  SYSTEM_EVENT = 24,
  X86_RDMSR = 29,
  X86_WRMSR = 30,
  MEMORY_FAULT = 39,
}

export const EXIT_REASON_NAMES: Readonly<Record<number, string>> = {
  0: 'UNKNOWN', 1: 'EXCEPTION', 2: 'IO', 3: 'HYPERCALL', 4: 'DEBUG', 5: 'HLT', 6: 'MMIO',
  7: 'IRQ_WINDOW_OPEN', 8: 'SHUTDOWN', 9: 'FAIL_ENTRY', 10: 'INTR', 11: 'SET_TPR',
  12: 'TPR_ACCESS', 16: 'NMI', 17: 'INTERNAL_ERROR', 24: 'SYSTEM_EVENT', 29: 'X86_RDMSR',
  30: 'X86_WRMSR', 39: 'MEMORY_FAULT',
};

/** kvm_run.io.direction (KVM_EXIT_IO_IN / KVM_EXIT_IO_OUT). */
export const KVM_EXIT_IO_IN = 0;
export const KVM_EXIT_IO_OUT = 1;

/** kvm_run.internal.suberror (KVM_INTERNAL_ERROR_*). */
export const KVM_INTERNAL_ERROR_EMULATION = 1;
export const KVM_INTERNAL_ERROR_SIMUL_EX = 2;

/** kvm_run.system_event.type (KVM_SYSTEM_EVENT_*). */
export const KVM_SYSTEM_EVENT_SHUTDOWN = 1;
export const KVM_SYSTEM_EVENT_RESET = 2;
