// The boundary between the virtio transport and a device type (kvmtool's `virtio_ops`
// between virtio/pci.c and virtio/console.c): the device declares its type, features,
// queues and configuration layout; the transport owns feature negotiation, status, queue
// configuration and interrupts, and hands the device a context once the driver is ready.

import type { VirtioMetrics } from './errors.ts';
import type { GuestMemory } from './guest-memory.ts';
import type { Virtqueue } from './virtqueue.ts';
import type { DescriptorChain } from './descriptor-chain.ts';

// Device status bits (Virtio 1.2, 2.1 "Device Status Field"; Linux VIRTIO_CONFIG_S_*).
export const VIRTIO_CONFIG_S_ACKNOWLEDGE = 1;
export const VIRTIO_CONFIG_S_DRIVER = 2;
export const VIRTIO_CONFIG_S_DRIVER_OK = 4;
export const VIRTIO_CONFIG_S_FEATURES_OK = 8;
export const VIRTIO_CONFIG_S_NEEDS_RESET = 0x40;
export const VIRTIO_CONFIG_S_FAILED = 0x80;

// Reserved feature bits the transport offers (6 "Reserved Feature Bits").
export const VIRTIO_F_INDIRECT_DESC = 28;
export const VIRTIO_F_EVENT_IDX = 29;
export const VIRTIO_F_VERSION_1 = 32;

// Device IDs (5 "Device Types").
export const VIRTIO_ID_BLOCK = 2;
export const VIRTIO_ID_CONSOLE = 3;
export const VIRTIO_ID_RNG = 4;

/** What an active device may use: its queues, guest memory, the negotiated features. */
export interface VirtioDeviceContext {
  readonly memory: GuestMemory;
  readonly metrics: VirtioMetrics;
  queue(index: number): Virtqueue;
  hasFeature(bit: number): boolean;
  /** After pushing completions: interrupt the driver if the queue's suppression allows. */
  signalUsed(queue: number): void;
  /** The device configuration changed: new generation and a configuration interrupt (4.1.4.3, 4.1.5.3). */
  configChanged(): void;
}

export interface VirtioDevice {
  /** The virtio device ID; the PCI device ID is 0x1040 plus this (4.1.2). */
  readonly deviceType: number;
  /** PCI class code (base << 16 | sub << 8 | interface) the function reports. */
  readonly pciClass: number;
  /** Device-specific feature bits offered, as bit numbers. */
  readonly features: readonly number[];
  /** Maximum size of each virtqueue, in queue-index order. */
  readonly queueSizes: readonly number[];
  /** Bytes of device-specific configuration. */
  readonly configSize: number;
  readConfig(offset: number, size: number): number;
  writeConfig(offset: number, size: number, value: number): void;
  /** DRIVER_OK: the device may use its queues through `ctx` until `reset()`. */
  activate(ctx: VirtioDeviceContext): void;
  /** The driver notified queue `index` (available buffers). Called only while active. */
  notify(index: number): void;
  /** Device reset (2.4): drop the context and any in-flight state. */
  reset(): void;
}

/**
 * Takes every available chain of queue `index`, lets `handle` serve it and returns it with
 * the byte count `handle` reports; malformed chains are returned with 0 (already counted
 * by the queue). Interrupts once at the end if the driver asked for one.
 */
export function serviceQueue(
  ctx: VirtioDeviceContext,
  index: number,
  handle: (chain: DescriptorChain) => number,
): void {
  const q = ctx.queue(index);
  for (let popped = q.pop(); popped !== undefined; popped = q.pop()) {
    if (popped.ok) q.push(popped.chain.head, handle(popped.chain));
    else q.push(popped.head, 0);
  }
  ctx.signalUsed(index);
}
