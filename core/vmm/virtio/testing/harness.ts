// Runs a virtio device without the PCI transport: every queue enabled at a fixed layout
// in a FlatMemory, features chosen by the test, interrupts counted. Not used outside tests.

import type { VirtioDevice, VirtioDeviceContext } from '../device.ts';
import { VirtioMetrics } from '../errors.ts';
import { Virtqueue } from '../virtqueue.ts';
import { FlatMemory, ringLayout, SplitRingDriver } from './fake-guest.ts';

export const HARNESS_RAM = 0x100000;
const RING_AREA = 0x80000; // queue i's rings at RING_AREA + i * 0x10000; data below

export interface Harness {
  readonly mem: FlatMemory;
  readonly metrics: VirtioMetrics;
  readonly drivers: SplitRingDriver[];
  readonly queues: Virtqueue[];
  /** Interrupts raised per queue. */
  readonly interrupts: number[];
  configChanges: number;
}

export function activate(device: VirtioDevice, features: readonly number[] = []): Harness {
  const mem = new FlatMemory(HARNESS_RAM);
  const metrics = new VirtioMetrics();
  const queues: Virtqueue[] = [];
  const drivers: SplitRingDriver[] = [];
  device.queueSizes.forEach((max, i) => {
    const layout = ringLayout(RING_AREA + i * 0x10000, max);
    const q = new Virtqueue(i, max, mem, metrics);
    q.descLo = layout.desc;
    q.driverLo = layout.avail;
    q.deviceLo = layout.used;
    const error = q.enable();
    if (error !== undefined) throw new Error(`harness: queue ${i}: ${error.kind}`);
    queues.push(q);
    drivers.push(new SplitRingDriver(mem, layout));
  });
  const h: Harness = { mem, metrics, drivers, queues, interrupts: queues.map(() => 0), configChanges: 0 };
  const ctx: VirtioDeviceContext = {
    memory: mem,
    metrics,
    queue: (i) => queues[i],
    hasFeature: (bit) => features.includes(bit),
    signalUsed: (i) => {
      if (queues[i].needsInterrupt()) h.interrupts[i]++;
    },
    configChanged: () => {
      h.configChanges++;
    },
  };
  device.activate(ctx);
  return h;
}
