// virtio-console with a single port and no multiport (Virtio 1.2, 5.3 "Console Device";
// kvmtool virtio/console.c is the same shape). Queue 0 (receiveq) carries host input to
// the guest, queue 1 (transmitq) guest output to the host sink. Emergency write
// (VIRTIO_CONSOLE_F_EMERG_WRITE) lets a driver print a byte through the configuration
// space before its queues exist.

import { PCI_CLASS_COMMUNICATION_OTHER } from '../pci/regs.ts';
import { serviceQueue, VIRTIO_ID_CONSOLE, type VirtioDevice, type VirtioDeviceContext } from './device.ts';

// Feature bits (5.3.3).
export const VIRTIO_CONSOLE_F_SIZE = 0;
export const VIRTIO_CONSOLE_F_MULTIPORT = 1;
export const VIRTIO_CONSOLE_F_EMERG_WRITE = 2;

// struct virtio_console_config (5.3.4): le16 cols; le16 rows; le32 max_nr_ports; le32 emerg_wr.
export const VIRTIO_CONSOLE_CONFIG_COLS = 0;
export const VIRTIO_CONSOLE_CONFIG_ROWS = 2;
export const VIRTIO_CONSOLE_CONFIG_MAX_NR_PORTS = 4;
export const VIRTIO_CONSOLE_CONFIG_EMERG_WR = 8;
const CONFIG_SIZE = 12;

export const VIRTIO_CONSOLE_RECEIVEQ = 0;
export const VIRTIO_CONSOLE_TRANSMITQ = 1;
/**
 * Largest transmit chain passed to the sink; Linux's hvc driver sends at most a page at a
 * time. The bound keeps a hostile chain from making the host allocate gigabytes.
 */
export const VIRTIO_CONSOLE_MAX_TX_BYTES = 1024 * 1024;
/** Ring size offered for both queues (QEMU's virtio-serial uses 128 as well). */
export const VIRTIO_CONSOLE_QUEUE_SIZE = 128;

export class VirtioConsole implements VirtioDevice {
  readonly deviceType = VIRTIO_ID_CONSOLE;
  readonly pciClass = PCI_CLASS_COMMUNICATION_OTHER;
  readonly features = [VIRTIO_CONSOLE_F_EMERG_WRITE];
  readonly queueSizes = [VIRTIO_CONSOLE_QUEUE_SIZE, VIRTIO_CONSOLE_QUEUE_SIZE];
  readonly configSize = CONFIG_SIZE;
  private ctx: VirtioDeviceContext | undefined;
  /** Host input not yet placed in a receive buffer, oldest first. */
  private pending: number[] = [];

  /** @param output receives every byte the guest transmits, in order. */
  constructor(private readonly output: (bytes: Uint8Array) => void) {}

  /** Bytes typed on the host side; delivered as soon as the guest has receive buffers. */
  enqueueInput(bytes: Uint8Array): void {
    for (const b of bytes) this.pending.push(b);
    this.fillReceiveBuffers();
  }

  /** A driver has set DRIVER_OK and not reset the device since. */
  get active(): boolean {
    return this.ctx !== undefined;
  }

  /** Host input still waiting for a receive buffer. */
  get pendingInput(): number {
    return this.pending.length;
  }

  readConfig(_offset: number, _size: number): number {
    // cols/rows need VIRTIO_CONSOLE_F_SIZE, max_nr_ports MULTIPORT; emerg_wr is write-only.
    return 0;
  }

  writeConfig(offset: number, size: number, value: number): void {
    // 5.3.6: "the driver can use emergency write to output a single character".
    if (offset === VIRTIO_CONSOLE_CONFIG_EMERG_WR && size === 4) this.output(Uint8Array.of(value & 0xff));
  }

  activate(ctx: VirtioDeviceContext): void {
    this.ctx = ctx;
  }

  notify(index: number): void {
    if (index === VIRTIO_CONSOLE_RECEIVEQ) this.fillReceiveBuffers();
    else if (index === VIRTIO_CONSOLE_TRANSMITQ) this.transmit();
  }

  reset(): void {
    this.ctx = undefined;
  }

  /** 5.3.6.1: each transmit chain is device-readable output; a writable part is a driver error. */
  private transmit(): void {
    const ctx = this.ctx;
    if (ctx === undefined) return;
    serviceQueue(ctx, VIRTIO_CONSOLE_TRANSMITQ, (chain) => {
      if (chain.writable.length > 0) {
        ctx.metrics.record(
          chain.readable.length === 0
            ? { kind: 'write-only-descriptor', need: 1, have: 0 }
            : { kind: 'unexpected-writable-data', len: chain.writableLength },
        );
        return 0;
      }
      if (chain.readableLength > VIRTIO_CONSOLE_MAX_TX_BYTES) {
        ctx.metrics.record({
          kind: 'request-too-large',
          len: chain.readableLength,
          max: VIRTIO_CONSOLE_MAX_TX_BYTES,
        });
        return 0;
      }
      const bytes = chain.read(ctx.memory, 0, chain.readableLength);
      if (bytes === undefined) ctx.metrics.record({ kind: 'guest-memory-error', op: 'read' });
      else if (bytes.length > 0) this.output(bytes);
      return 0;
    });
  }

  /** 5.3.6.1: receive chains are device-writable; input goes in as it fits, in order. */
  private fillReceiveBuffers(): void {
    const ctx = this.ctx;
    if (ctx === undefined) return;
    const q = ctx.queue(VIRTIO_CONSOLE_RECEIVEQ);
    if (!q.enabled) return;
    while (this.pending.length > 0) {
      const popped = q.pop();
      if (popped === undefined) break;
      if (!popped.ok) {
        q.push(popped.head, 0);
        continue;
      }
      const chain = popped.chain;
      if (chain.readable.length > 0 || chain.writableLength === 0) {
        ctx.metrics.record(
          chain.readable.length > 0
            ? { kind: 'unexpected-readable-data', len: chain.readableLength }
            : { kind: 'read-only-descriptor', need: 1, have: 0 },
        );
        q.push(chain.head, 0);
        continue;
      }
      const n = Math.min(chain.writableLength, this.pending.length);
      if (chain.write(ctx.memory, 0, Uint8Array.from(this.pending.slice(0, n)))) {
        this.pending = this.pending.slice(n);
        q.push(chain.head, n);
      } else {
        ctx.metrics.record({ kind: 'guest-memory-error', op: 'write' });
        q.push(chain.head, 0);
      }
    }
    ctx.signalUsed(VIRTIO_CONSOLE_RECEIVEQ);
  }
}
