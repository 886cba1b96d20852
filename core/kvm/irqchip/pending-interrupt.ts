// What a vCPU's run loop polls before each block: the interface between the in-"kernel"
// local APIC and the CPU's event injection (KVM's kvm_cpu_has_interrupt /
// kvm_cpu_get_interrupt and kvm_apic_accept_events, arch/x86/kvm/irq.c and lapic.c).
// The local APIC implements both halves; the vCPU owns when IF, the interrupt shadow and
// the NMI-blocking state let it deliver.

/** Maskable interrupts from the APIC (SDM Vol. 3A 11.8.3 "Interrupt, Task, and Processor Priority"). */
export interface PendingInterrupt {
  /** An IRR vector whose priority class is above the processor-priority class (PPR). */
  hasInterrupt(): boolean;
  /**
   * The INTA cycle: moves the highest such vector from IRR to ISR, raises PPR and returns
   * the vector; -1 when nothing is deliverable (call hasInterrupt() first).
   */
  acknowledge(): number;
}

/** The other events an APIC raises in its vCPU (SDM Vol. 3A 11.6.1 delivery modes). */
export interface ApicEvents {
  /** Takes one queued NMI (NMI IPIs, LVT entries in NMI mode); the vCPU limits nesting. */
  takeNmi(): boolean;
  /** Takes a pending INIT: the vCPU does an INIT reset (including `Lapic.reset(true)`). */
  takeInit(): boolean;
  /** Takes a pending start-up IPI's vector, or -1; honoured only in wait-for-SIPI state. */
  takeSipi(): number;
  /**
   * Whether the 8259A's INTR output reaches this CPU (kvm_apic_accept_pic_intr): the APIC
   * is hardware-disabled (its LINT0 pin is then the INTR pin) or LVT0 is unmasked ExtINT,
   * or an ExtINT message from the IOAPIC is waiting for its INTA cycle.
   */
  acceptsPicInterrupt(): boolean;
  /** The vCPU ran the 8259A INTA cycle that an ExtINT message asked for. */
  extIntAcknowledged(): void;
}
