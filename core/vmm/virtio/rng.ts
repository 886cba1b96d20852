// virtio-rng, the entropy device (Virtio 1.2, 5.4): one request queue whose chains are
// device-writable buffers the device fills with random bytes. No features, no config.

import { PCI_CLASS_OTHERS } from '../pci/regs.ts';
import { serviceQueue, VIRTIO_ID_RNG, type VirtioDevice, type VirtioDeviceContext } from './device.ts';

export const VIRTIO_RNG_REQUESTQ = 0;
export const VIRTIO_RNG_QUEUE_SIZE = 64;
/**
 * Most bytes given per request: the limit of Web Crypto's getRandomValues(), the source
 * the browser and Node machines inject. The driver asks again for more.
 */
export const VIRTIO_RNG_MAX_CHUNK = 65536;

/** Fills `buffer` with random bytes (e.g. `crypto.getRandomValues`). */
export type EntropySource = (buffer: Uint8Array) => void;

export class VirtioRng implements VirtioDevice {
  readonly deviceType = VIRTIO_ID_RNG;
  readonly pciClass = PCI_CLASS_OTHERS;
  readonly features: readonly number[] = [];
  readonly queueSizes = [VIRTIO_RNG_QUEUE_SIZE];
  readonly configSize = 0;
  private ctx: VirtioDeviceContext | undefined;

  constructor(private readonly entropy: EntropySource) {}

  readConfig(): number {
    return 0;
  }
  writeConfig(): void {}

  activate(ctx: VirtioDeviceContext): void {
    this.ctx = ctx;
  }

  reset(): void {
    this.ctx = undefined;
  }

  notify(index: number): void {
    const ctx = this.ctx;
    if (ctx === undefined || index !== VIRTIO_RNG_REQUESTQ) return;
    serviceQueue(ctx, VIRTIO_RNG_REQUESTQ, (chain) => {
      // 5.4.6.1: "The driver MUST NOT place driver-readable buffers into the queue."
      if (chain.readable.length > 0) {
        ctx.metrics.record({ kind: 'unexpected-readable-data', len: chain.readableLength });
        return 0;
      }
      const bytes = new Uint8Array(Math.min(chain.writableLength, VIRTIO_RNG_MAX_CHUNK));
      this.entropy(bytes);
      if (!chain.write(ctx.memory, 0, bytes)) {
        ctx.metrics.record({ kind: 'guest-memory-error', op: 'write' });
        return 0;
      }
      return bytes.length;
    });
  }
}
