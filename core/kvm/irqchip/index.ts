// The in-"kernel" interrupt controllers (KVM_CREATE_IRQCHIP's IOAPIC and local APICs) and
// the APIC bus between them. The 8259A pair is a VMM device (core/vmm/devices/pic8259.ts).
export {
  ApicBus,
  DestMode,
  TriggerMode,
  type ApicMessage,
  type ApicTarget,
  type EoiListener,
} from './apic-bus.ts';
export {
  DeliveryMode,
  Lvt,
  Shorthand,
  TimerMode,
  APIC_DEFAULT_PHYS_BASE,
  LAPIC_MMIO_LENGTH,
  MSR_IA32_APICBASE,
  MSR_IA32_TSC_DEADLINE,
} from './apic-regs.ts';
export { VirtualClock, type TimerHandle, type TimerQueue, type Clock } from '../clock.ts';
export {
  Ioapic,
  IOAPIC_DEFAULT_BASE_ADDRESS,
  IOAPIC_MEM_LENGTH,
  IOAPIC_NUM_PINS,
  type IoapicOptions,
  type IoapicState,
  type IoapicStateError,
} from './ioapic.ts';
export {
  Lapic,
  ApicMode,
  apicMode,
  type LapicOptions,
  type LapicState,
  type LapicStateError,
} from './lapic.ts';
export { type TscSource } from './lapic-timer.ts';
export { type ApicEvents, type PendingInterrupt } from './pending-interrupt.ts';
