// PCI: configuration space, functions with BARs and INTx, bus 0 behind the host bridge.
export { PciConfigSpace } from './config-space.ts';
export { PciFunction } from './function.ts';
export type { DecodedBar, PciBarKind, PciBarSpec, PciFunctionIdentity } from './function.ts';
export { PciHost } from './host.ts';
export type { IntxRoute, IntxRouter, PciHostMetrics, PciHostOptions, PciResourceWindows } from './host.ts';
export { I440fxHostBridge, PCI_DEVICE_ID_INTEL_82441 } from './host-bridge.ts';
export { ResetControl, RESET_CONTROL_PORT, RCR_HARD_RESET } from './reset-control.ts';
export type { ResetKind } from './reset-control.ts';
export * from './regs.ts';
