// virtio 1.x over PCI: split virtqueues, the modern PCI transport, console, block and rng.
export type { GuestMemory } from './guest-memory.ts';
export { VirtioMetrics } from './errors.ts';
export type { VirtioError, VirtqError, VirtioRequestError, VirtioTransportError } from './errors.ts';
export { DescriptorChain, walkChain } from './descriptor-chain.ts';
export { Virtqueue } from './virtqueue.ts';
export type { VirtioDevice, VirtioDeviceContext } from './device.ts';
export { VirtioPciFunction } from './pci-transport.ts';
export type { VirtioPciOptions } from './pci-transport.ts';
export { VirtioConsole } from './console.ts';
export { VirtioBlk } from './blk.ts';
export type { BlockBackend, VirtioBlkOptions } from './blk.ts';
export { VirtioRng } from './rng.ts';
export type { EntropySource } from './rng.ts';
