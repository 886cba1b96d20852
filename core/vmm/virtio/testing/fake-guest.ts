// A guest's side of split virtqueues for tests: flat RAM and a driver that lays out
// descriptors and rings exactly as Virtio 1.2, 2.7 describes them, so device tests check
// the bytes a real driver would see. Not used outside tests.

import { VIRTQ_DESC_F_NEXT, VIRTQ_DESC_F_WRITE, VIRTQ_DESC_SIZE } from '../descriptor-chain.ts';
import type { GuestMemory } from '../guest-memory.ts';

/** `size` bytes of RAM at guest-physical 0; anything else is not RAM. */
export class FlatMemory implements GuestMemory {
  readonly bytes: Uint8Array;
  readonly view: DataView;

  constructor(size: number) {
    this.bytes = new Uint8Array(size);
    this.view = new DataView(this.bytes.buffer);
  }

  read(gpa: number, len: number): Uint8Array | undefined {
    if (!Number.isSafeInteger(gpa) || gpa < 0 || len < 0 || gpa + len > this.bytes.length) return undefined;
    return this.bytes.subarray(gpa, gpa + len);
  }

  write(gpa: number, bytes: Uint8Array): boolean {
    if (!Number.isSafeInteger(gpa) || gpa < 0 || gpa + bytes.length > this.bytes.length) return false;
    this.bytes.set(bytes, gpa);
    return true;
  }
}

export interface Buffer {
  readonly addr: number;
  readonly len: number;
  /** Device-writable (VIRTQ_DESC_F_WRITE). */
  readonly write?: boolean;
}

export interface RingLayout {
  readonly size: number;
  readonly desc: number;
  readonly avail: number;
  readonly used: number;
}

/** The standard layout of one queue at `base`: table, then available ring, then used ring. */
export function ringLayout(base: number, size: number): RingLayout {
  const avail = base + VIRTQ_DESC_SIZE * size;
  const used = (avail + 6 + 2 * size + 3) & ~3;
  return { size, desc: base, avail, used };
}

export class SplitRingDriver {
  private nextDesc = 0;
  private availIdx = 0;

  constructor(
    readonly mem: FlatMemory,
    readonly ring: RingLayout,
  ) {}

  /** Raw descriptor `i` of the table at `table` (default: the queue's table). */
  writeDesc(i: number, addr: number, len: number, flags: number, next: number, table = this.ring.desc): void {
    const at = table + VIRTQ_DESC_SIZE * i;
    this.mem.view.setUint32(at, addr % 2 ** 32, true);
    this.mem.view.setUint32(at + 4, Math.floor(addr / 2 ** 32), true);
    this.mem.view.setUint32(at + 8, len, true);
    this.mem.view.setUint16(at + 12, flags, true);
    this.mem.view.setUint16(at + 14, next, true);
  }

  /** Writes `buffers` as a chain in free table slots and returns its head (not yet offered). */
  chain(buffers: readonly Buffer[]): number {
    const head = this.nextDesc % this.ring.size;
    buffers.forEach((b, k) => {
      const i = (head + k) % this.ring.size;
      const last = k === buffers.length - 1;
      const flags = (b.write ? VIRTQ_DESC_F_WRITE : 0) | (last ? 0 : VIRTQ_DESC_F_NEXT);
      this.writeDesc(i, b.addr, b.len, flags, last ? 0 : (i + 1) % this.ring.size);
    });
    this.nextDesc += buffers.length;
    return head;
  }

  /** Puts `head` in the available ring and publishes the new idx. */
  offer(head: number): void {
    const slot = this.ring.avail + 4 + 2 * (this.availIdx % this.ring.size);
    this.mem.view.setUint16(slot, head, true);
    this.availIdx = (this.availIdx + 1) & 0xffff;
    this.mem.view.setUint16(this.ring.avail + 2, this.availIdx, true);
  }

  /** chain() then offer(). */
  add(buffers: readonly Buffer[]): number {
    const head = this.chain(buffers);
    this.offer(head);
    return head;
  }

  /** Sets avail->idx directly (for a driver that moves it too far). */
  setAvailIdx(idx: number): void {
    this.availIdx = idx & 0xffff;
    this.mem.view.setUint16(this.ring.avail + 2, this.availIdx, true);
  }

  setAvailFlags(flags: number): void {
    this.mem.view.setUint16(this.ring.avail, flags, true);
  }

  /** used_event, the last field of the available ring (2.7.10). */
  setUsedEvent(idx: number): void {
    this.mem.view.setUint16(this.ring.avail + 4 + 2 * this.ring.size, idx, true);
  }

  /** avail_event, the last field of the used ring (2.7.10). */
  availEvent(): number {
    return this.mem.view.getUint16(this.ring.used + 4 + 8 * this.ring.size, true);
  }

  usedIdx(): number {
    return this.mem.view.getUint16(this.ring.used + 2, true);
  }

  /** Used element `n` (counting from 0 since the queue started): {id, len}. */
  used(n: number): { id: number; len: number } {
    const at = this.ring.used + 4 + 8 * (n % this.ring.size);
    return { id: this.mem.view.getUint32(at, true), len: this.mem.view.getUint32(at + 4, true) };
  }

  /** All used elements so far (at most one ring's worth). */
  usedAll(): { id: number; len: number }[] {
    const out = [];
    for (let n = 0; n < this.usedIdx(); n++) out.push(this.used(n));
    return out;
  }
}
