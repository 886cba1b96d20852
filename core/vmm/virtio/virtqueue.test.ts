// Split virtqueue behaviour from Virtio 1.2, 2.7; each malformed-chain case is one test.
import { describe, expect, it } from 'vitest';
import {
  MAX_INDIRECT_DESCRIPTORS,
  VIRTQ_DESC_F_INDIRECT,
  VIRTQ_DESC_F_NEXT,
  VIRTQ_DESC_F_WRITE,
} from './descriptor-chain.ts';
import { VirtioMetrics } from './errors.ts';
import type { GuestMemory } from './guest-memory.ts';
import { FlatMemory, ringLayout, SplitRingDriver, type RingLayout } from './testing/fake-guest.ts';
import { VIRTQ_AVAIL_F_NO_INTERRUPT, Virtqueue } from './virtqueue.ts';

const RAM = 0x20000;
const DATA = 0x1000;

function setup(
  size = 8,
  opts: {
    indirect?: boolean;
    eventIdx?: boolean;
    wrap?: (flat: FlatMemory) => GuestMemory;
    layout?: RingLayout;
  } = {},
) {
  const flat = new FlatMemory(RAM);
  const mem = opts.wrap?.(flat) ?? flat;
  const layout = opts.layout ?? ringLayout(0x10000, size);
  const metrics = new VirtioMetrics();
  const q = new Virtqueue(0, 256, mem, metrics);
  q.size = size;
  q.descLo = layout.desc;
  q.driverLo = layout.avail;
  q.deviceLo = layout.used;
  q.indirect = opts.indirect ?? false;
  q.eventIdx = opts.eventIdx ?? false;
  const driver = new SplitRingDriver(flat, layout);
  return { q, metrics, driver, flat, enable: () => q.enable() };
}

function ready(size = 8, opts: Parameters<typeof setup>[1] = {}) {
  const s = setup(size, opts);
  expect(s.enable()).toBeUndefined();
  return s;
}

describe('queue configuration checks at queue_enable (2.7)', () => {
  it('accepts a power-of-two size with aligned rings in RAM', () => {
    const { q, enable } = setup(8);
    expect(enable()).toBeUndefined();
    expect(q.enabled).toBe(true);
  });

  it('rejects sizes that are zero, not a power of two, or above the maximum', () => {
    for (const size of [0, 3, 6, 512]) {
      const { q, enable } = setup(8);
      q.size = size;
      expect(enable()).toEqual({ kind: 'queue-invalid-size', queue: 0, size });
      expect(q.enabled).toBe(false);
    }
  });

  it('rejects misaligned rings: descriptor table 16, available 2, used 4 bytes', () => {
    const cases = [
      ['descLo', 0x10008, 'descriptor'],
      ['driverLo', 0x10801, 'available'],
      ['deviceLo', 0x10902, 'used'],
    ] as const;
    for (const [field, addr, ring] of cases) {
      const { q, enable } = setup(8);
      q[field] = addr;
      expect(enable()).toEqual({ kind: 'queue-misaligned', queue: 0, ring });
    }
  });

  it('rejects rings outside guest RAM, including addresses above 2^53', () => {
    const { q, enable } = setup(8);
    q.deviceLo = RAM - 16;
    expect(enable()).toEqual({ kind: 'ring-out-of-memory', ring: 'used' });
    const high = setup(8);
    high.q.descHi = 0xffffffff;
    expect(high.enable()).toEqual({ kind: 'ring-out-of-memory', ring: 'descriptor' });
  });
});

describe('available and used rings (2.7.6, 2.7.8)', () => {
  it('pops a chain as readable then writable streams and returns it on the used ring', () => {
    const { q, driver, flat } = ready();
    flat.bytes.set([1, 2, 3, 4, 5], DATA);
    const head = driver.add([
      { addr: DATA, len: 3 },
      { addr: DATA + 3, len: 2 },
      { addr: DATA + 0x100, len: 4, write: true },
    ]);
    const popped = q.pop();
    expect(popped?.ok).toBe(true);
    if (!popped?.ok) return;
    const chain = popped.chain;
    expect(chain.head).toBe(head);
    expect([chain.readableLength, chain.writableLength]).toEqual([5, 4]);
    expect([...(chain.read(flat, 1, 4) ?? [])]).toEqual([2, 3, 4, 5]);
    expect(chain.write(flat, 1, Uint8Array.of(9, 9))).toBe(true);
    expect(chain.write(flat, 3, Uint8Array.of(9, 9))).toBe(false); // past the writable stream
    expect([...flat.bytes.subarray(DATA + 0x100, DATA + 0x104)]).toEqual([0, 9, 9, 0]);
    q.push(chain.head, 3);
    expect(driver.usedIdx()).toBe(1);
    expect(driver.used(0)).toEqual({ id: head, len: 3 });
    expect(q.pop()).toBeUndefined();
  });

  it('wraps ring slots modulo the queue size', () => {
    const { q, driver } = ready(4);
    for (let n = 0; n < 10; n++) {
      const head = driver.add([{ addr: DATA, len: 1 }]);
      const popped = q.pop();
      expect(popped?.ok && popped.chain.head).toBe(head);
      q.push(head, n);
      expect(driver.used(n)).toEqual({ id: head, len: n });
    }
    expect(driver.usedIdx()).toBe(10);
  });

  it('a driver moving avail idx by more than the queue size breaks the queue', () => {
    const { q, driver, metrics } = ready(4);
    driver.setAvailIdx(5);
    expect(q.pop()).toBeUndefined();
    expect(q.needsReset).toBe(true);
    expect(metrics.count('available-index-jump')).toBe(1);
    expect(metrics.last).toEqual({ kind: 'available-index-jump', pending: 5, size: 4 });
  });
});

describe('malformed chains are values, completed with length 0 (2.7.5)', () => {
  function rejected(q: Virtqueue) {
    const popped = q.pop();
    expect(popped?.ok).toBe(false);
    return popped?.ok === false ? popped : undefined;
  }

  it('head index beyond the queue size', () => {
    const { q, driver, metrics } = ready(8);
    driver.offer(8);
    const r = rejected(q);
    expect(r?.error).toEqual({ kind: 'head-out-of-range', index: 8, size: 8 });
    expect(r?.head).toBe(8);
    q.push(8, 0);
    expect(driver.used(0)).toEqual({ id: 8, len: 0 });
    expect(metrics.count('head-out-of-range')).toBe(1);
  });

  it('next index beyond the queue size', () => {
    const { q, driver } = ready(8);
    driver.writeDesc(0, DATA, 4, VIRTQ_DESC_F_NEXT, 9);
    driver.offer(0);
    expect(rejected(q)?.error).toEqual({ kind: 'next-out-of-range', index: 9, size: 8 });
  });

  it('a descriptor loop', () => {
    const { q, driver, metrics } = ready(8);
    driver.writeDesc(0, DATA, 4, VIRTQ_DESC_F_NEXT, 1);
    driver.writeDesc(1, DATA, 4, VIRTQ_DESC_F_NEXT, 0);
    driver.offer(0);
    expect(rejected(q)?.error).toEqual({ kind: 'descriptor-loop', limit: 8 });
    expect(metrics.count('descriptor-loop')).toBe(1);
  });

  it('a buffer outside guest RAM, or at an address above 2^53', () => {
    const { q, driver } = ready(8);
    driver.add([{ addr: RAM - 2, len: 4 }]);
    expect(rejected(q)?.error).toEqual({ kind: 'descriptor-out-of-memory', addr: RAM - 2, len: 4 });
    driver.add([{ addr: 2 ** 60, len: 4 }]);
    expect(rejected(q)?.error).toMatchObject({ kind: 'descriptor-out-of-memory', len: 4 });
  });

  it('a device-readable descriptor after a device-writable one (2.7.5.2)', () => {
    const { q, driver } = ready(8);
    driver.add([
      { addr: DATA, len: 4, write: true },
      { addr: DATA + 4, len: 4 },
    ]);
    expect(rejected(q)?.error).toEqual({ kind: 'readable-after-writable', index: 1 });
  });

  it('a chain of 2^32 bytes or more (2.7.5.2)', () => {
    // Memory that calls everything RAM, so only the length rule can fail.
    const everything = (flat: FlatMemory): GuestMemory => ({
      read: (gpa, len) => (gpa + len <= RAM ? flat.read(gpa, len) : new Uint8Array(0)),
      write: (gpa, bytes) => flat.write(gpa, bytes),
    });
    const { q, driver } = ready(8, { wrap: everything });
    driver.add([
      { addr: 0x100000000, len: 0x80000000 },
      { addr: 0x200000000, len: 0x80000000, write: true },
    ]);
    expect(rejected(q)?.error).toEqual({ kind: 'chain-too-large', bytes: 2 ** 32 });
  });
});

describe('indirect descriptors (2.7.5.3)', () => {
  const TABLE = 0x3000;

  it('follows a table after zero or more direct descriptors; its WRITE flag is ignored', () => {
    const { q, driver } = ready(8, { indirect: true });
    driver.writeDesc(0, DATA + 0x20, 2, VIRTQ_DESC_F_NEXT, 1);
    driver.writeDesc(1, TABLE, 32, VIRTQ_DESC_F_INDIRECT | VIRTQ_DESC_F_WRITE, 0);
    // A two-entry table whose entries chain 0 -> 1 -> 1: a loop inside the table.
    driver.writeDesc(0, DATA + 0x18, 4, VIRTQ_DESC_F_NEXT, 1, TABLE);
    driver.writeDesc(1, DATA + 0x10, 8, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 1, TABLE);
    driver.offer(0);
    expect(q.pop()).toMatchObject({ ok: false, error: { kind: 'descriptor-loop', limit: 2 } });
    driver.writeDesc(1, DATA + 0x10, 8, VIRTQ_DESC_F_WRITE, 0, TABLE);
    driver.offer(0);
    const popped = q.pop();
    expect(popped?.ok).toBe(true);
    if (popped?.ok) {
      expect(popped.chain.readable).toEqual([
        { addr: DATA + 0x20, len: 2 },
        { addr: DATA + 0x18, len: 4 },
      ]);
      expect(popped.chain.writable).toEqual([{ addr: DATA + 0x10, len: 8 }]);
    }
  });

  it('rejects INDIRECT when VIRTIO_F_INDIRECT_DESC was not negotiated', () => {
    const { q, driver } = ready(8, { indirect: false });
    driver.writeDesc(0, TABLE, 16, VIRTQ_DESC_F_INDIRECT, 0);
    driver.offer(0);
    expect(q.pop()).toMatchObject({ ok: false, error: { kind: 'indirect-not-negotiated', index: 0 } });
  });

  it('rejects INDIRECT together with NEXT (2.7.5.3.1)', () => {
    const { q, driver } = ready(8, { indirect: true });
    driver.writeDesc(0, TABLE, 16, VIRTQ_DESC_F_INDIRECT | VIRTQ_DESC_F_NEXT, 1);
    driver.offer(0);
    expect(q.pop()).toMatchObject({ ok: false, error: { kind: 'indirect-with-next' } });
  });

  it('rejects a table that refers to another table (2.7.5.3.1)', () => {
    const { q, driver } = ready(8, { indirect: true });
    driver.writeDesc(0, TABLE + 0x100, 16, VIRTQ_DESC_F_INDIRECT, 0, TABLE);
    driver.writeDesc(0, TABLE, 16, VIRTQ_DESC_F_INDIRECT, 0);
    driver.offer(0);
    expect(q.pop()).toMatchObject({ ok: false, error: { kind: 'nested-indirect', index: 0 } });
  });

  it('rejects table lengths that are zero, not a multiple of 16, or too long', () => {
    for (const len of [0, 24, (MAX_INDIRECT_DESCRIPTORS + 1) * 16]) {
      const { q, driver } = ready(8, { indirect: true });
      driver.writeDesc(0, TABLE, len, VIRTQ_DESC_F_INDIRECT, 0);
      driver.offer(0);
      expect(q.pop()).toMatchObject({ ok: false, error: { kind: 'indirect-bad-length', len } });
    }
  });

  it('rejects a table outside guest RAM', () => {
    const { q, driver } = ready(8, { indirect: true });
    driver.writeDesc(0, RAM - 16, 32, VIRTQ_DESC_F_INDIRECT, 0);
    driver.offer(0);
    expect(q.pop()).toMatchObject({ ok: false, error: { kind: 'descriptor-out-of-memory', addr: RAM - 16 } });
  });
});

describe('notification suppression (2.7.7, 2.7.10)', () => {
  it('without event idx: interrupt unless the driver set VIRTQ_AVAIL_F_NO_INTERRUPT', () => {
    const { q, driver } = ready(8);
    expect(q.needsInterrupt()).toBe(false); // nothing used yet
    q.push(driver.add([{ addr: DATA, len: 1 }]), 0);
    expect(q.needsInterrupt()).toBe(true);
    driver.setAvailFlags(VIRTQ_AVAIL_F_NO_INTERRUPT);
    q.push(0, 0);
    expect(q.needsInterrupt()).toBe(false);
  });

  it('with event idx: interrupt when used idx passes used_event (vring_need_event)', () => {
    const { q, driver } = ready(8, { eventIdx: true });
    driver.setUsedEvent(1); // "interrupt me when the entry after index 1 is used"
    q.push(0, 0); // used idx 0 -> 1
    expect(q.needsInterrupt()).toBe(false);
    q.push(0, 0); // 1 -> 2: passes used_event = 1
    expect(q.needsInterrupt()).toBe(true);
    q.push(0, 0);
    q.push(0, 0); // 2 -> 4, used_event still 1: already signalled past it
    expect(q.needsInterrupt()).toBe(false);
  });

  it('with event idx: the device publishes avail_event = its next available index', () => {
    const { q, driver } = ready(8, { eventIdx: true });
    driver.add([{ addr: DATA, len: 1 }]);
    driver.add([{ addr: DATA, len: 1 }]);
    expect(q.pop()?.ok).toBe(true);
    expect(q.pop()?.ok).toBe(true);
    expect(q.pop()).toBeUndefined();
    expect(driver.availEvent()).toBe(2);
  });
});
