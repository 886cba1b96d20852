// virtio-rng (Virtio 1.2, 5.4): writable buffers filled from the injected source.
import { describe, expect, it } from 'vitest';
import { VIRTIO_RNG_MAX_CHUNK, VirtioRng } from './rng.ts';
import { activate } from './testing/harness.ts';

const BUF = 0x1000;

function setup() {
  let next = 1;
  const rng = new VirtioRng((buffer) => {
    for (let i = 0; i < buffer.length; i++) buffer[i] = next++ & 0xff;
  });
  const h = activate(rng);
  return { rng, h, q: h.drivers[0] };
}

describe('virtio-rng', () => {
  it('fills each writable chain with entropy and reports the length', () => {
    const { rng, h, q } = setup();
    const head = q.add([
      { addr: BUF, len: 3, write: true },
      { addr: BUF + 0x10, len: 2, write: true },
    ]);
    rng.notify(0);
    expect(q.usedAll()).toEqual([{ id: head, len: 5 }]);
    expect([...h.mem.bytes.subarray(BUF, BUF + 3), ...h.mem.bytes.subarray(BUF + 0x10, BUF + 0x12)]).toEqual([
      1, 2, 3, 4, 5,
    ]);
    expect(h.interrupts[0]).toBe(1);
  });

  it('gives at most 64 KiB per request', () => {
    const { rng, q } = setup();
    q.add([{ addr: 0x10000, len: VIRTIO_RNG_MAX_CHUNK + 0x1000, write: true }]);
    rng.notify(0);
    expect(q.used(0).len).toBe(VIRTIO_RNG_MAX_CHUNK);
  });

  it('a driver-readable buffer (5.4.6.1) gets a zero-length completion and is counted', () => {
    const { rng, h, q } = setup();
    h.mem.bytes.fill(0xcc, BUF, BUF + 8);
    const head = q.add([
      { addr: BUF, len: 4 },
      { addr: BUF + 4, len: 4, write: true },
    ]);
    rng.notify(0);
    expect(q.usedAll()).toEqual([{ id: head, len: 0 }]);
    expect(h.mem.bytes[BUF + 4]).toBe(0xcc);
    expect(h.metrics.count('unexpected-readable-data')).toBe(1);
  });
});
