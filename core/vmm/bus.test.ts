import { describe, expect, it } from 'vitest';
import { MmioBus, PortIoBus, type AccessSize, type PioDevice } from './bus.ts';

/** A device that records every access and reads back `offset + 0x10` in each byte. */
function recorder(maxAccessSize?: AccessSize) {
  const log: string[] = [];
  const device: PioDevice = {
    maxAccessSize,
    read(offset, size) {
      log.push(`r${size}@${offset}`);
      let v = 0;
      for (let i = 0; i < size; i++) v += (offset + i + 0x10) * 2 ** (8 * i);
      return v;
    },
    write(offset, size, value) {
      log.push(`w${size}@${offset}=${value.toString(16)}`);
    },
  };
  return { device, log };
}

describe('PortIoBus', () => {
  it('passes offsets, not ports, to the device', () => {
    const bus = new PortIoBus();
    const { device, log } = recorder();
    bus.register(0x3f8, 8, device, 'com1');
    bus.write(0x3fb, 1, 0x83);
    expect(bus.read(0x3fd, 1)).toBe(0x15);
    expect(log).toEqual(['w1@3=83', 'r1@5']);
  });

  it('reads all ones of the access size from an unmapped port and counts it', () => {
    const bus = new PortIoBus();
    expect(bus.read(0x1234, 1)).toBe(0xff);
    expect(bus.read(0x1234, 2)).toBe(0xffff);
    expect(bus.read(0x1234, 4)).toBe(0xffffffff);
    expect(bus.unmappedReads).toBe(3);
    expect(bus.unmappedWrites).toBe(0);
  });

  it('drops and counts writes to unmapped ports', () => {
    const bus = new PortIoBus();
    bus.write(0x80, 1, 0x55);
    bus.write(0xfffc, 4, 0xdeadbeef);
    expect(bus.unmappedWrites).toBe(2);
  });

  it('throws on overlapping registrations (a host bug)', () => {
    const bus = new PortIoBus();
    bus.register(0x20, 2, recorder().device, 'pic1');
    expect(() => bus.register(0x21, 1, recorder().device, 'x')).toThrow(/overlaps pic1/);
    expect(() => bus.register(0x1f, 2, recorder().device, 'x')).toThrow(/overlaps/);
    expect(() => bus.register(0x10, 0x20, recorder().device, 'x')).toThrow(/overlaps/);
    bus.register(0x1f, 1, recorder().device, 'below');
    bus.register(0x22, 1, recorder().device, 'above');
    expect(bus.mappings().map((m) => m.name)).toEqual(['below', 'pic1', 'above']);
  });

  it('throws on registrations outside the 64 KiB port space', () => {
    const bus = new PortIoBus();
    expect(() => bus.register(0xffff, 2, recorder().device, 'x')).toThrow(RangeError);
    expect(() => bus.register(-1, 1, recorder().device, 'x')).toThrow(RangeError);
    expect(() => bus.register(0x10, 0, recorder().device, 'x')).toThrow(RangeError);
    bus.register(0xffff, 1, recorder().device, 'last');
  });

  it('throws on a port the CPU cannot produce (a host bug)', () => {
    const bus = new PortIoBus();
    expect(() => bus.read(0x10000, 1)).toThrow(RangeError);
    expect(() => bus.write(-1, 1, 0)).toThrow(RangeError);
    expect(() => bus.read(0x10, 3 as AccessSize)).toThrow(RangeError);
  });

  it('splits accesses wider than the device implements into little-endian pieces', () => {
    const bus = new PortIoBus();
    const { device, log } = recorder(1);
    bus.register(0x3f8, 8, device, 'com1');
    expect(bus.read(0x3f8, 2)).toBe(0x1110);
    bus.write(0x3f9, 4, 0x04030201);
    expect(log).toEqual(['r1@0', 'r1@1', 'w1@1=1', 'w1@2=2', 'w1@3=3', 'w1@4=4']);
  });

  it('continues an access past the end of a device at the next port', () => {
    // outl 0xf4 with a 1-port device: the low byte reaches it, the rest is unmapped.
    const bus = new PortIoBus();
    const { device, log } = recorder();
    bus.register(0xf4, 1, device, 'debug-exit');
    bus.write(0xf4, 4, 0x11223344);
    expect(log).toEqual(['w1@0=44']);
    expect(bus.unmappedWrites).toBe(1);
    expect(bus.read(0xf3, 4)).toBe(0xffff10ff);
    expect(bus.unmappedReads).toBe(1);
  });

  it('routes one access across two adjacent devices', () => {
    const bus = new PortIoBus();
    const a = recorder();
    const b = recorder();
    bus.register(0x100, 2, a.device, 'a');
    bus.register(0x102, 2, b.device, 'b');
    expect(bus.read(0x101, 2)).toBe(0x1011);
    expect(a.log).toEqual(['r1@1']);
    expect(b.log).toEqual(['r1@0']);
    expect(bus.unmappedReads).toBe(0);
  });

  it('treats bytes past port 0xffff as unmapped', () => {
    const bus = new PortIoBus();
    const { device } = recorder();
    bus.register(0xfffe, 2, device, 'top');
    expect(bus.read(0xfffe, 4)).toBe(0xffff1110);
    expect(bus.unmappedReads).toBe(1);
  });

  it('truncates written values to the access size, accepting int32 input', () => {
    const bus = new PortIoBus();
    const { device, log } = recorder();
    bus.register(0x60, 4, device, 'dev');
    bus.write(0x60, 1, 0x1ff);
    bus.write(0x60, 2, -1);
    bus.write(0x60, 4, -2);
    expect(log).toEqual(['w1@0=ff', 'w2@0=ffff', 'w4@0=fffffffe']);
  });

  it('masks what a device returns to the access size and makes dwords unsigned', () => {
    const bus = new PortIoBus();
    bus.register(0x60, 4, { read: () => -1, write: () => {} }, 'dev');
    expect(bus.read(0x60, 1)).toBe(0xff);
    expect(bus.read(0x60, 4)).toBe(0xffffffff);
  });
});

describe('MmioBus', () => {
  it('maps guest-physical addresses above 4 GiB', () => {
    const bus = new MmioBus();
    const { device, log } = recorder();
    bus.register(0xfee00000, 0x1000, device, 'lapic');
    bus.register(2 ** 40, 0x1000, recorder().device, 'high');
    expect(bus.read(0xfee00020, 4)).toBe(0x33323130);
    expect(log).toEqual(['r4@32']);
    expect(bus.read(2 ** 40 + 4, 1)).toBe(0x14);
  });

  it('reads all ones from unmapped addresses and counts', () => {
    const bus = new MmioBus();
    expect(bus.read(0xd0000000, 4)).toBe(0xffffffff);
    bus.write(0xd0000000, 4, 1);
    expect([bus.unmappedReads, bus.unmappedWrites]).toEqual([1, 1]);
  });

  it('splits 8-byte accesses into two dwords, low first', () => {
    const bus = new MmioBus();
    const { device, log } = recorder();
    bus.register(0x1000, 0x10, device, 'dev');
    expect(bus.read64(0x1000)).toBe(0x1716151413121110n);
    bus.write64(0x1008, 0x8877665544332211n);
    expect(log).toEqual(['r4@0', 'r4@4', 'w4@8=44332211', 'w4@12=88776655']);
  });

  it('throws on overlaps', () => {
    const bus = new MmioBus();
    bus.register(0x1000, 0x1000, recorder().device, 'a');
    expect(() => bus.register(0x1fff, 1, recorder().device, 'b')).toThrow(/overlaps a/);
  });
});
