// The device side of a split virtqueue (Virtio 1.2, 2.7 "Split Virtqueues"):
//   descriptor table  16 * size bytes, 16-byte aligned
//   available ring    le16 flags; le16 idx; le16 ring[size]; le16 used_event   (2-aligned)
//   used ring         le16 flags; le16 idx; {le32 id; le32 len} ring[size]; le16 avail_event (4-aligned)
// The transport writes the driver's configuration (size, three ring addresses) and calls
// `enable()`; devices `pop()` chains and `push()` completions; the transport asks
// `needsInterrupt()` after a batch (2.7.7 / 2.7.10, with VIRTIO_F_EVENT_IDX when negotiated).
//
// Every avail entry the device consumes gets exactly one used entry: a chain the walk
// rejects is completed with length 0 under the head index the driver gave, so the driver
// gets its buffers back (or, for a bogus head, can see the id is bad) and the queue goes on.

import { walkChain, type DescriptorChain, VIRTQ_DESC_SIZE } from './descriptor-chain.ts';
import type { VirtioMetrics, VirtqError, VirtioTransportError } from './errors.ts';
import { le64ToNumber, readLe16, writeLe16, writeLe32, type GuestMemory } from './guest-memory.ts';

export const VIRTQ_AVAIL_F_NO_INTERRUPT = 1;
export const VIRTQ_USED_F_NO_NOTIFY = 1;
/** 2.7: "The maximum Queue Size value is 32768". */
export const VIRTQ_MAX_SIZE = 32768;
// 2.7 "Virtqueue Part Alignment" table.
export const VIRTQ_DESC_ALIGN = 16;
export const VIRTQ_AVAIL_ALIGN = 2;
export const VIRTQ_USED_ALIGN = 4;

const RING_HEADER = 4; // flags + idx
const USED_ELEM_SIZE = 8;

export type PopResult = { ok: true; chain: DescriptorChain } | { ok: false; head: number; error: VirtqError };

export class Virtqueue {
  // Driver-written configuration (common configuration registers, 4.1.4.3).
  size: number;
  descLo = 0;
  descHi = 0;
  driverLo = 0;
  driverHi = 0;
  deviceLo = 0;
  deviceHi = 0;
  /** Negotiated VIRTIO_F_INDIRECT_DESC / VIRTIO_F_EVENT_IDX; the transport sets them. */
  indirect = false;
  eventIdx = false;

  private isEnabled = false;
  private desc = 0;
  private avail = 0;
  private used = 0;
  private lastAvail = 0;
  private usedIdx = 0;
  private signalledUsed = 0;
  private broken = false;

  constructor(
    readonly index: number,
    readonly maxSize: number,
    private readonly mem: GuestMemory,
    private readonly metrics: VirtioMetrics,
  ) {
    this.size = maxSize;
  }

  get enabled(): boolean {
    return this.isEnabled;
  }

  /** Set when the driver broke the ring beyond recovery (the transport asks for a reset). */
  get needsReset(): boolean {
    return this.broken;
  }

  /**
   * queue_enable = 1: checks the configuration the driver wrote (size a power of two up to
   * the maximum, 2.7; alignment and every ring inside guest RAM, 2.7 "Virtqueue Part
   * Alignment") and starts the queue; on failure returns the error and stays disabled.
   */
  enable(): VirtioTransportError | VirtqError | undefined {
    const size = this.size;
    if (size === 0 || size > this.maxSize || (size & (size - 1)) !== 0) {
      return { kind: 'queue-invalid-size', queue: this.index, size };
    }
    const desc = le64ToNumber(this.descLo, this.descHi);
    const avail = le64ToNumber(this.driverLo, this.driverHi);
    const used = le64ToNumber(this.deviceLo, this.deviceHi);
    const rings = [
      ['descriptor', desc, VIRTQ_DESC_ALIGN, VIRTQ_DESC_SIZE * size],
      ['available', avail, VIRTQ_AVAIL_ALIGN, RING_HEADER + 2 * size + 2],
      ['used', used, VIRTQ_USED_ALIGN, RING_HEADER + USED_ELEM_SIZE * size + 2],
    ] as const;
    for (const [ring, addr, align, len] of rings) {
      if (addr !== undefined && addr % align !== 0)
        return { kind: 'queue-misaligned', queue: this.index, ring };
      if (addr === undefined || this.mem.read(addr, len) === undefined)
        return { kind: 'ring-out-of-memory', ring };
    }
    this.desc = desc as number;
    this.avail = avail as number;
    this.used = used as number;
    this.lastAvail = 0;
    this.usedIdx = 0;
    this.signalledUsed = 0;
    this.broken = false;
    this.isEnabled = true;
    return undefined;
  }

  /** Device reset (2.4): back to the state before the driver configured the queue. */
  reset(): void {
    this.size = this.maxSize;
    this.descLo = this.descHi = this.driverLo = this.driverHi = this.deviceLo = this.deviceHi = 0;
    this.indirect = false;
    this.eventIdx = false;
    this.isEnabled = false;
    this.broken = false;
    this.lastAvail = this.usedIdx = this.signalledUsed = 0;
  }

  /** Whether the driver has made buffers available that the device has not taken. */
  hasAvailable(): boolean {
    const idx = this.availIdx();
    return idx !== undefined && idx !== this.lastAvail;
  }

  /**
   * Takes the next available chain: undefined when there is none (or the queue is not
   * running); `ok: false` for an entry whose chain is malformed, which the caller must
   * still `push(head, 0)`.
   */
  pop(): PopResult | undefined {
    let idx = this.availIdx();
    if (idx === undefined) return undefined;
    if (idx === this.lastAvail && this.eventIdx) {
      // 2.7.10: ask to be notified at the next entry, then look again so a buffer the
      // driver added before seeing avail_event is not stranded.
      this.writeOrBreak(writeLe16(this.mem, this.availEventAddr(), this.lastAvail), 'used');
      idx = this.availIdx();
      if (idx === undefined) return undefined;
    }
    if (idx === this.lastAvail) return undefined;
    const slot = this.avail + RING_HEADER + 2 * (this.lastAvail % this.size);
    const head = readLe16(this.mem, slot);
    if (head === undefined) {
      this.fail({ kind: 'ring-out-of-memory', ring: 'available' });
      return undefined;
    }
    this.lastAvail = (this.lastAvail + 1) & 0xffff;
    const walked = walkChain(this.mem, this.desc, this.size, head, this.indirect);
    if (!walked.ok) {
      this.metrics.record(walked.error);
      return { ok: false, head, error: walked.error };
    }
    return walked;
  }

  /** Returns chain `head` to the driver with `len` bytes written into its writable part. */
  push(head: number, len: number): void {
    if (!this.isEnabled || this.broken) return;
    const elem = this.used + RING_HEADER + USED_ELEM_SIZE * (this.usedIdx % this.size);
    if (!this.writeOrBreak(writeLe32(this.mem, elem, head) && writeLe32(this.mem, elem + 4, len), 'used'))
      return;
    this.usedIdx = (this.usedIdx + 1) & 0xffff;
    // The element is written before idx moves past it (2.7.8 "The Virtqueue Used Ring").
    this.writeOrBreak(writeLe16(this.mem, this.used + 2, this.usedIdx), 'used');
  }

  /**
   * Whether the driver wants an interrupt for the entries pushed since the last call
   * (2.7.7 "Used Buffer Notification Suppression": without event idx, unless avail.flags has
   * VIRTQ_AVAIL_F_NO_INTERRUPT; with it, when used idx passes used_event, vring_need_event()).
   */
  needsInterrupt(): boolean {
    const now = this.usedIdx;
    const old = this.signalledUsed;
    this.signalledUsed = now;
    if (!this.isEnabled || now === old) return false;
    if (this.eventIdx) {
      const usedEvent = readLe16(this.mem, this.avail + RING_HEADER + 2 * this.size);
      if (usedEvent === undefined) return true;
      return ((now - usedEvent - 1) & 0xffff) < ((now - old) & 0xffff);
    }
    const flags = readLe16(this.mem, this.avail);
    return flags === undefined || (flags & VIRTQ_AVAIL_F_NO_INTERRUPT) === 0;
  }

  private availIdx(): number | undefined {
    if (!this.isEnabled || this.broken) return undefined;
    const idx = readLe16(this.mem, this.avail + 2);
    if (idx === undefined) {
      this.fail({ kind: 'ring-out-of-memory', ring: 'available' });
      return undefined;
    }
    const pending = (idx - this.lastAvail) & 0xffff;
    if (pending > this.size) {
      this.fail({ kind: 'available-index-jump', pending, size: this.size });
      return undefined;
    }
    return idx;
  }

  private availEventAddr(): number {
    return this.used + RING_HEADER + USED_ELEM_SIZE * this.size;
  }

  private writeOrBreak(ok: boolean, ring: 'used'): boolean {
    if (!ok) this.fail({ kind: 'ring-out-of-memory', ring });
    return ok;
  }

  private fail(error: VirtqError): void {
    this.broken = true;
    this.metrics.record(error);
  }
}
