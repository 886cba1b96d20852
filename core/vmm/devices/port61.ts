// The in-kernel device (KVM_CREATE_IRQCHIP / KVM_CREATE_PIT2) lives in core/kvm/irqchip/port61.ts;
// this name stays for the VMM's device list and its tests.
export * from '../../kvm/irqchip/port61.ts';
