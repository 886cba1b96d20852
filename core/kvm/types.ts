// The KVM API's data structures (include/uapi/asm-x86/kvm.h), as plain structured-cloneable
// objects. Register values are bigint because KVM's fields are __u64.
import type { I8259State } from './irqchip/i8259.ts';
import type { IoapicState } from './irqchip/ioapic.ts';

/** struct kvm_regs */
export interface KvmRegs {
  rax: bigint; rbx: bigint; rcx: bigint; rdx: bigint; rsi: bigint; rdi: bigint; rsp: bigint; rbp: bigint;
  r8: bigint; r9: bigint; r10: bigint; r11: bigint; r12: bigint; r13: bigint; r14: bigint; r15: bigint;
  rip: bigint; rflags: bigint;
}

/** struct kvm_segment */
export interface KvmSegment {
  base: bigint;
  limit: number;
  selector: number;
  type: number;
  present: number;
  dpl: number;
  db: number;
  s: number;
  l: number;
  g: number;
  avl: number;
  unusable: number;
}

/** struct kvm_dtable */
export interface KvmDtable {
  base: bigint;
  limit: number;
}

/** struct kvm_sregs (interrupt_bitmap omitted: pending interrupts go through KVM_INTERRUPT). */
export interface KvmSregs {
  cs: KvmSegment; ds: KvmSegment; es: KvmSegment; fs: KvmSegment; gs: KvmSegment; ss: KvmSegment;
  tr: KvmSegment; ldt: KvmSegment;
  gdt: KvmDtable; idt: KvmDtable;
  cr0: bigint; cr2: bigint; cr3: bigint; cr4: bigint; cr8: bigint; efer: bigint; apicBase: bigint;
}

/** struct kvm_msr_entry */
export interface KvmMsrEntry {
  index: number;
  data: bigint;
}

/** struct kvm_cpuid_entry2 */
export interface KvmCpuidEntry2 {
  function: number;
  index: number;
  flags: number;
  eax: number;
  ebx: number;
  ecx: number;
  edx: number;
}

/** KVM_CPUID_FLAG_SIGNIFCANT_INDEX: the entry applies to one sub-leaf (ECX = index). */
export const KVM_CPUID_FLAG_SIGNIFCANT_INDEX = 1;

/** struct kvm_userspace_memory_region */
export interface KvmUserspaceMemoryRegion {
  slot: number;
  flags: number;
  guestPhysAddr: number;
  memorySize: number;
  /** Offset of the backing bytes in the shared memory (Vm.allocateGuestMemory). */
  userspaceAddr: number;
}

export const REG_NAMES = ['rax', 'rcx', 'rdx', 'rbx', 'rsp', 'rbp', 'rsi', 'rdi', 'r8', 'r9', 'r10', 'r11', 'r12', 'r13', 'r14', 'r15'] as const;

/** struct kvm_irqchip chip_id values (include/uapi/linux/kvm.h). */
export const KVM_IRQCHIP_PIC_MASTER = 0;
export const KVM_IRQCHIP_PIC_SLAVE = 1;
export const KVM_IRQCHIP_IOAPIC = 2;

/** struct kvm_irqchip (KVM_GET_IRQCHIP / KVM_SET_IRQCHIP): one 8259A (kvm_pic_state) or the IOAPIC (kvm_ioapic_state). */
export type KvmIrqchip =
  | { chipId: typeof KVM_IRQCHIP_PIC_MASTER | typeof KVM_IRQCHIP_PIC_SLAVE; pic: I8259State }
  | { chipId: typeof KVM_IRQCHIP_IOAPIC; ioapic: IoapicState };
