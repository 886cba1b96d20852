// virtio-console, single port (Virtio 1.2, 5.3): transmitq to the host sink, receiveq from
// host input, emergency write; malformed chains answered with zero-length completions.
import { describe, expect, it } from 'vitest';
import {
  VIRTIO_CONSOLE_CONFIG_EMERG_WR,
  VIRTIO_CONSOLE_F_EMERG_WRITE,
  VIRTIO_CONSOLE_RECEIVEQ,
  VIRTIO_CONSOLE_TRANSMITQ,
  VirtioConsole,
} from './console.ts';
import { activate } from './testing/harness.ts';

const BUF = 0x1000;

function setup() {
  const out: number[] = [];
  const con = new VirtioConsole((bytes) => out.push(...bytes));
  const h = activate(con);
  return { con, out, h, rx: h.drivers[VIRTIO_CONSOLE_RECEIVEQ], tx: h.drivers[VIRTIO_CONSOLE_TRANSMITQ] };
}

describe('virtio-console', () => {
  it('offers emergency write only: no size, no multiport (5.3.3)', () => {
    expect(new VirtioConsole(() => {}).features).toEqual([VIRTIO_CONSOLE_F_EMERG_WRITE]);
  });

  it('transmits the readable bytes of each chain in order; used length 0', () => {
    const { con, out, h, tx } = setup();
    h.mem.bytes.set(new TextEncoder().encode('hello, world'), BUF);
    const a = tx.add([{ addr: BUF, len: 5 }]);
    const b = tx.add([
      { addr: BUF + 5, len: 2 },
      { addr: BUF + 7, len: 5 },
    ]);
    con.notify(VIRTIO_CONSOLE_TRANSMITQ);
    expect(new TextDecoder().decode(Uint8Array.from(out))).toBe('hello, world');
    expect(tx.usedAll()).toEqual([
      { id: a, len: 0 },
      { id: b, len: 0 },
    ]);
    expect(h.interrupts[VIRTIO_CONSOLE_TRANSMITQ]).toBe(1);
  });

  it('holds host input until the guest offers receive buffers, then fills them in order', () => {
    const { con, h, rx } = setup();
    con.enqueueInput(new TextEncoder().encode('ls -l\n'));
    expect(con.pendingInput).toBe(6);
    const a = rx.add([{ addr: BUF, len: 4, write: true }]);
    const b = rx.add([{ addr: BUF + 0x100, len: 64, write: true }]);
    con.notify(VIRTIO_CONSOLE_RECEIVEQ);
    expect(rx.usedAll()).toEqual([
      { id: a, len: 4 },
      { id: b, len: 2 },
    ]);
    expect(new TextDecoder().decode(h.mem.bytes.subarray(BUF, BUF + 4))).toBe('ls -');
    expect(new TextDecoder().decode(h.mem.bytes.subarray(BUF + 0x100, BUF + 0x102))).toBe('l\n');
    expect(con.pendingInput).toBe(0);
    expect(h.interrupts[VIRTIO_CONSOLE_RECEIVEQ]).toBe(1);
  });

  it('leaves receive buffers in the ring while there is no input', () => {
    const { con, rx, h } = setup();
    rx.add([{ addr: BUF, len: 16, write: true }]);
    con.notify(VIRTIO_CONSOLE_RECEIVEQ);
    expect(rx.usedIdx()).toBe(0);
    con.enqueueInput(Uint8Array.of(0x41));
    expect(rx.used(0).len).toBe(1);
    expect(h.mem.bytes[BUF]).toBe(0x41);
  });

  it('a transmit chain with a write-only descriptor is dropped: zero-length completion, counted', () => {
    const { con, out, h, tx } = setup();
    const a = tx.add([{ addr: BUF, len: 8, write: true }]);
    const b = tx.add([
      { addr: BUF, len: 8 },
      { addr: BUF + 8, len: 8, write: true },
    ]);
    con.notify(VIRTIO_CONSOLE_TRANSMITQ);
    expect(out).toEqual([]);
    expect(tx.usedAll()).toEqual([
      { id: a, len: 0 },
      { id: b, len: 0 },
    ]);
    expect(h.metrics.snapshot()).toEqual({ 'write-only-descriptor': 1, 'unexpected-writable-data': 1 });
  });

  it('a transmit chain over 1 MiB is dropped and counted', () => {
    const { con, out, h, tx } = setup();
    tx.add(Array.from({ length: 3 }, () => ({ addr: 0x4000, len: 0x70000 })));
    con.notify(VIRTIO_CONSOLE_TRANSMITQ);
    expect(out).toEqual([]);
    expect(tx.used(0).len).toBe(0);
    expect(h.metrics.count('request-too-large')).toBe(1);
  });

  it('a receive chain with a readable descriptor gets no input and a zero-length completion', () => {
    const { con, h, rx } = setup();
    const bad = rx.add([{ addr: BUF, len: 8 }]);
    const good = rx.add([{ addr: BUF + 0x100, len: 8, write: true }]);
    con.enqueueInput(Uint8Array.of(1, 2, 3));
    expect(rx.usedAll()).toEqual([
      { id: bad, len: 0 },
      { id: good, len: 3 },
    ]);
    expect(h.metrics.count('unexpected-readable-data')).toBe(1);
  });

  it('emergency write prints one byte through the configuration space (5.3.6)', () => {
    const out: number[] = [];
    const con = new VirtioConsole((bytes) => out.push(...bytes));
    con.writeConfig(VIRTIO_CONSOLE_CONFIG_EMERG_WR, 4, 0x121);
    expect(out).toEqual([0x21]);
    expect(con.readConfig(VIRTIO_CONSOLE_CONFIG_EMERG_WR, 4)).toBe(0);
  });
});
