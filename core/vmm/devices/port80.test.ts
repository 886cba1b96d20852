import { describe, expect, it } from 'vitest';
import { PortIoBus } from '../bus.ts';
import { PORT80_IOBASE, Port80, type Port80State } from './port80.ts';

function setup() {
  const codes: number[] = [];
  const dev = new Port80((c) => codes.push(c));
  const bus = new PortIoBus();
  bus.register(PORT80_IOBASE, 1, dev, 'post');
  return { codes, dev, bus };
}

describe('Port80', () => {
  it('remembers and reports each POST code', () => {
    const { codes, dev, bus } = setup();
    expect(dev.lastCode).toBeUndefined();
    bus.write(0x80, 1, 0x55);
    bus.write(0x80, 1, 0xaa);
    expect(codes).toEqual([0x55, 0xaa]);
    expect(dev.lastCode).toBe(0xaa);
  });

  it('reads back the last code, 0xff before any write', () => {
    const { bus } = setup();
    expect(bus.read(0x80, 1)).toBe(0xff);
    bus.write(0x80, 1, 0x12);
    expect(bus.read(0x80, 1)).toBe(0x12);
  });

  it('is one byte wide: a word write stores the low byte, the high byte goes to 0x81', () => {
    const { dev, bus } = setup();
    bus.write(0x80, 2, 0xbeef);
    expect(dev.lastCode).toBe(0xef);
    expect(bus.unmappedWrites).toBe(1);
  });

  it('works without a callback', () => {
    const dev = new Port80();
    dev.write(0, 1, 0x01);
    expect(dev.read(0, 1)).toBe(0x01);
  });

  it('round-trips its state and rejects a non-byte code', () => {
    const { dev, bus } = setup();
    bus.write(0x80, 1, 0x42);
    const loaded = Port80.fromState(structuredClone(dev.saveState()));
    expect(loaded.ok && loaded.port80.lastCode).toBe(0x42);
    expect(Port80.fromState({ lastCode: undefined }).ok).toBe(true);
    expect(Port80.fromState({ lastCode: 0x100 })).toEqual({
      ok: false,
      error: { kind: 'bad-field', field: 'lastCode', value: 0x100 },
    });
    expect(Port80.fromState(null as unknown as Port80State).ok).toBe(false);
  });
});
