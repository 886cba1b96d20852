// Walking a descriptor chain of a split virtqueue (Virtio 1.2, 2.7.5 "The Virtqueue
// Descriptor Table" and 2.7.5.3 "Indirect Descriptors"). The walk checks everything a
// driver can get wrong before the device touches a byte, so a request either runs whole
// or not at all:
//   struct virtq_desc { le64 addr; le32 len; le16 flags; le16 next; }  (16 bytes)
// A chain may end in one descriptor with VIRTQ_DESC_F_INDIRECT whose buffer is a table of
// further descriptors (2.7.5.3.2: "zero or more normal chained descriptors followed by a
// single descriptor with flags&VIRTQ_DESC_F_INDIRECT"); that descriptor's WRITE flag is
// ignored.
//
// Message framing (2.7.4): descriptor boundaries mean nothing, so a chain is presented as
// two byte streams, device-readable and device-writable, that devices gather from and
// scatter into.

import type { VirtqError } from './errors.ts';
import { le64ToNumber, type GuestMemory } from './guest-memory.ts';

export const VIRTQ_DESC_F_NEXT = 1;
export const VIRTQ_DESC_F_WRITE = 2;
export const VIRTQ_DESC_F_INDIRECT = 4;
export const VIRTQ_DESC_SIZE = 16;

/**
 * Largest indirect table we follow. The spec sets no number; QEMU rejects chains of more
 * than VIRTQUEUE_MAX_SIZE (1024) segments, and so do we, which bounds the work per request.
 */
export const MAX_INDIRECT_DESCRIPTORS = 1024;

/** 2.7.5.2: "Drivers MUST NOT add a descriptor chain longer than 2^32 bytes in total". */
const MAX_CHAIN_BYTES = 0xffffffff;

export interface Segment {
  readonly addr: number;
  readonly len: number;
}

function streamLength(segments: readonly Segment[]): number {
  let n = 0;
  for (const s of segments) n += s.len;
  return n;
}

/** A validated chain: its head index (the id the used ring returns) and its two streams. */
export class DescriptorChain {
  readonly readableLength: number;
  readonly writableLength: number;

  constructor(
    readonly head: number,
    readonly readable: readonly Segment[],
    readonly writable: readonly Segment[],
  ) {
    this.readableLength = streamLength(readable);
    this.writableLength = streamLength(writable);
  }

  /** `len` bytes of the device-readable stream from `offset`; undefined if it is shorter. */
  read(mem: GuestMemory, offset: number, len: number): Uint8Array | undefined {
    if (offset + len > this.readableLength) return undefined;
    const out = new Uint8Array(len);
    let done = 0;
    let skip = offset;
    for (const s of this.readable) {
      if (done === len) break;
      if (skip >= s.len) {
        skip -= s.len;
        continue;
      }
      const n = Math.min(s.len - skip, len - done);
      const bytes = mem.read(s.addr + skip, n);
      if (bytes === undefined) return undefined;
      out.set(bytes, done);
      done += n;
      skip = 0;
    }
    return out;
  }

  /** Stores `bytes` in the device-writable stream at `offset`; false if it does not fit. */
  write(mem: GuestMemory, offset: number, bytes: Uint8Array): boolean {
    if (offset + bytes.length > this.writableLength) return false;
    let done = 0;
    let skip = offset;
    for (const s of this.writable) {
      if (done === bytes.length) break;
      if (skip >= s.len) {
        skip -= s.len;
        continue;
      }
      const n = Math.min(s.len - skip, bytes.length - done);
      if (!mem.write(s.addr + skip, bytes.subarray(done, done + n))) return false;
      done += n;
      skip = 0;
    }
    return true;
  }
}

export type ChainResult = { ok: true; chain: DescriptorChain } | { ok: false; error: VirtqError };

interface Descriptor {
  addr: number | undefined;
  len: number;
  flags: number;
  next: number;
}

function decode(b: Uint8Array): Descriptor {
  const dv = new DataView(b.buffer, b.byteOffset, VIRTQ_DESC_SIZE);
  return {
    addr: le64ToNumber(dv.getUint32(0, true), dv.getUint32(4, true)),
    len: dv.getUint32(8, true),
    flags: dv.getUint16(12, true),
    next: dv.getUint16(14, true),
  };
}

/** Whether [addr, addr + len) is guest RAM; a zero-length buffer is accepted anywhere. */
function inMemory(mem: GuestMemory, addr: number | undefined, len: number): addr is number {
  if (addr === undefined) return false;
  return len === 0 || mem.read(addr, len) !== undefined;
}

/**
 * Follows the chain starting at `head` in the descriptor table at `table` (`queueSize`
 * entries). `indirect`: VIRTIO_F_INDIRECT_DESC was negotiated.
 */
export function walkChain(
  mem: GuestMemory,
  table: number,
  queueSize: number,
  head: number,
  indirect: boolean,
): ChainResult {
  if (head >= queueSize)
    return { ok: false, error: { kind: 'head-out-of-range', index: head, size: queueSize } };
  const readable: Segment[] = [];
  const writable: Segment[] = [];
  let base = table;
  let size = queueSize;
  let inIndirect = false;
  let index = head;
  let seen = 0;
  let total = 0;
  for (;;) {
    if (seen === size) return { ok: false, error: { kind: 'descriptor-loop', limit: size } };
    seen++;
    const raw = mem.read(base + index * VIRTQ_DESC_SIZE, VIRTQ_DESC_SIZE);
    if (raw === undefined) return { ok: false, error: { kind: 'ring-out-of-memory', ring: 'descriptor' } };
    const d = decode(raw);
    if (d.flags & VIRTQ_DESC_F_INDIRECT) {
      if (inIndirect) return { ok: false, error: { kind: 'nested-indirect', index } };
      if (!indirect) return { ok: false, error: { kind: 'indirect-not-negotiated', index } };
      if (d.flags & VIRTQ_DESC_F_NEXT) return { ok: false, error: { kind: 'indirect-with-next', index } };
      const entries = d.len / VIRTQ_DESC_SIZE;
      if (!Number.isInteger(entries) || entries === 0 || entries > MAX_INDIRECT_DESCRIPTORS) {
        return { ok: false, error: { kind: 'indirect-bad-length', len: d.len } };
      }
      if (!inMemory(mem, d.addr, d.len)) {
        return { ok: false, error: { kind: 'descriptor-out-of-memory', addr: d.addr ?? -1, len: d.len } };
      }
      base = d.addr;
      size = entries;
      inIndirect = true;
      index = 0;
      seen = 0;
      continue;
    }
    if (!inMemory(mem, d.addr, d.len)) {
      return { ok: false, error: { kind: 'descriptor-out-of-memory', addr: d.addr ?? -1, len: d.len } };
    }
    if (d.flags & VIRTQ_DESC_F_WRITE) {
      writable.push({ addr: d.addr, len: d.len });
    } else {
      if (writable.length > 0) return { ok: false, error: { kind: 'readable-after-writable', index } };
      readable.push({ addr: d.addr, len: d.len });
    }
    total += d.len;
    if (total > MAX_CHAIN_BYTES) return { ok: false, error: { kind: 'chain-too-large', bytes: total } };
    if ((d.flags & VIRTQ_DESC_F_NEXT) === 0) break;
    if (d.next >= size) return { ok: false, error: { kind: 'next-out-of-range', index: d.next, size } };
    index = d.next;
  }
  return { ok: true, chain: new DescriptorChain(head, readable, writable) };
}
