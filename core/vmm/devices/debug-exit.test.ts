// Expected statuses from QEMU hw/misc/debugexit.c: exit((val << 1) | 1).
import { describe, expect, it } from 'vitest';
import { PortIoBus } from '../bus.ts';
import { DEBUG_EXIT_IOBASE, DebugExit } from './debug-exit.ts';

function setup(iosize?: 1 | 2 | 4) {
  const statuses: number[] = [];
  const dev = new DebugExit((s) => statuses.push(s), iosize);
  const bus = new PortIoBus();
  bus.register(DEBUG_EXIT_IOBASE, dev.iosize, dev, 'isa-debug-exit');
  return { statuses, bus };
}

describe('DebugExit', () => {
  it('sits at port 0xf4 with one port by default', () => {
    expect(DEBUG_EXIT_IOBASE).toBe(0xf4);
    expect(new DebugExit(() => {}).iosize).toBe(1);
  });

  it('ends the run with (v << 1) | 1', () => {
    const { statuses, bus } = setup();
    bus.write(0xf4, 1, 0);
    bus.write(0xf4, 1, 1);
    bus.write(0xf4, 1, 0x7f);
    expect(statuses).toEqual([1, 3, 0xff]);
  });

  it('sees only the low byte of an outl when iosize is 1', () => {
    const { statuses, bus } = setup(1);
    bus.write(0xf4, 4, 0x12345603);
    expect(statuses).toEqual([7]);
  });

  it('takes a whole dword when iosize is 4, without 32-bit overflow', () => {
    const { statuses, bus } = setup(4);
    bus.write(0xf4, 4, 0xffffffff);
    bus.write(0xf4, 2, 0x1234);
    expect(statuses).toEqual([0x1ffffffff, 0x2469]);
  });

  it('reads all ones at every size', () => {
    const { bus } = setup(4);
    expect([bus.read(0xf4, 1), bus.read(0xf4, 2), bus.read(0xf4, 4)]).toEqual([0xff, 0xffff, 0xffffffff]);
  });

  it('throws on an iosize QEMU would not accept (a host bug)', () => {
    expect(() => new DebugExit(() => {}, 3 as 1)).toThrow(RangeError);
  });
});
