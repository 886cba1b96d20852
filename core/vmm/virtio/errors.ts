// What a guest can get wrong, as values (STYLE.md rule 6, after Firecracker's virtio
// `QueueError`/pmem errors). Each is answered on the ring (an error status or a
// zero-length completion), counted in `VirtioMetrics`, and never thrown.

/** Faults in the split virtqueue itself (Virtio 1.2, 2.7). */
export type VirtqError =
  | { kind: 'head-out-of-range'; index: number; size: number }
  | { kind: 'next-out-of-range'; index: number; size: number }
  /** More descriptors than the table holds: the chain loops (2.7.5.2: loops are forbidden). */
  | { kind: 'descriptor-loop'; limit: number }
  | { kind: 'descriptor-out-of-memory'; addr: number; len: number }
  /** 2.7.5.2: device-writable descriptors must follow all device-readable ones. */
  | { kind: 'readable-after-writable'; index: number }
  | { kind: 'indirect-not-negotiated'; index: number }
  /** 2.7.5.3.1: INDIRECT and NEXT together. */
  | { kind: 'indirect-with-next'; index: number }
  /** 2.7.5.3.1: an indirect table may not refer to another. */
  | { kind: 'nested-indirect'; index: number }
  /** The table length must be a non-zero multiple of 16 (2.7.5.3). */
  | { kind: 'indirect-bad-length'; len: number }
  /** 2.7.5.2: a chain may not describe 2^32 bytes or more. */
  | { kind: 'chain-too-large'; bytes: number }
  | { kind: 'ring-out-of-memory'; ring: 'descriptor' | 'available' | 'used' }
  /** The driver's idx moved by more than the queue size since the device last looked. */
  | { kind: 'available-index-jump'; pending: number; size: number };

/** Faults in a request's contents that a device type detects. */
export type VirtioRequestError =
  /** A device-readable buffer was needed and the chain has none (or not enough). */
  | { kind: 'write-only-descriptor'; need: number; have: number }
  /** A device-writable buffer was needed and the chain has none (or not enough). */
  | { kind: 'read-only-descriptor'; need: number; have: number }
  | { kind: 'unexpected-readable-data'; len: number }
  | { kind: 'unexpected-writable-data'; len: number }
  /** More data in one request than the device handles at once (a bound on host memory per request). */
  | { kind: 'request-too-large'; len: number; max: number }
  | { kind: 'blk-data-length'; len: number }
  | { kind: 'blk-sector-out-of-range'; sector: number; bytes: number; capacity: number }
  | { kind: 'blk-unsupported-request'; type: number }
  | { kind: 'blk-write-to-read-only' }
  | { kind: 'blk-backing-error'; op: 'read' | 'write' | 'flush' }
  | { kind: 'guest-memory-error'; op: 'read' | 'write' };

/** Faults in how the driver drives the PCI transport (Virtio 1.2, 4.1). */
export type VirtioTransportError =
  | { kind: 'common-cfg-bad-access'; offset: number; size: number; write: boolean }
  | { kind: 'notify-bad-queue'; queue: number }
  | { kind: 'notify-misaligned'; offset: number }
  | { kind: 'queue-config-while-enabled'; queue: number }
  | { kind: 'queue-invalid-size'; queue: number; size: number }
  | { kind: 'queue-misaligned'; queue: number; ring: 'descriptor' | 'available' | 'used' }
  | { kind: 'features-rejected'; lo: number; hi: number }
  | { kind: 'features-after-features-ok' }
  | { kind: 'queue-enable-zero'; queue: number }
  | { kind: 'pci-cfg-bad-access'; bar: number; offset: number; length: number }
  | { kind: 'dma-without-bus-master'; queue: number };

export type VirtioError = VirtqError | VirtioRequestError | VirtioTransportError;

/** Per-device counters of each error kind, plus the last error for a debugging view. */
export class VirtioMetrics {
  private readonly counts = new Map<VirtioError['kind'], number>();
  last: VirtioError | undefined;

  constructor(private readonly onError?: (error: VirtioError) => void) {}

  record(error: VirtioError): void {
    this.counts.set(error.kind, (this.counts.get(error.kind) ?? 0) + 1);
    this.last = error;
    this.onError?.(error);
  }

  count(kind: VirtioError['kind']): number {
    return this.counts.get(kind) ?? 0;
  }

  /** Every non-zero counter, as plain data. */
  snapshot(): Record<string, number> {
    return Object.fromEntries(this.counts);
  }
}
