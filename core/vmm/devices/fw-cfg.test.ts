// fw_cfg answers as QEMU's (docs/specs/fw_cfg.rst): select at 0x510, bytes from 0x511.
import { describe, expect, it } from 'vitest';
import { PortIoBus } from '../bus.ts';
import { FwCfg, FW_CFG_IOBASE, FW_CFG_PORTS } from './fw-cfg.ts';

function bus() {
  const pio = new PortIoBus();
  pio.register(FW_CFG_IOBASE, FW_CFG_PORTS, new FwCfg({ ramSize: 256 * 1024 * 1024, cpus: 3 }), 'fw_cfg');
  /** What kvm-unit-tests' fwcfg_get_u does: outw the key, then inb `bytes` times. */
  const get = (key: number, bytes: number) => {
    pio.write(0x510, 2, key);
    let r = 0;
    for (let i = 0; i < bytes; i++) r += pio.read(0x511, 1) * 2 ** (8 * i);
    return r;
  };
  return { pio, get };
}

describe('fw_cfg (QEMU docs/specs/fw_cfg.rst)', () => {
  it('signature "QEMU", ID with only the traditional interface', () => {
    const { get } = bus();
    expect(get(0x00, 4)).toBe(0x554d4551);
    expect(get(0x01, 4)).toBe(1);
  });

  it('NB_CPUS (0x05), RAM_SIZE (0x03) and the RAM limit at 0x11 as little-endian integers', () => {
    const { get } = bus();
    expect(get(0x05, 2)).toBe(3);
    expect(get(0x03, 8)).toBe(256 * 1024 * 1024);
    expect(get(0x11, 8)).toBe(256 * 1024 * 1024);
  });

  it('reads 0 past an item and for a key that does not exist; selecting again restarts', () => {
    const { pio, get } = bus();
    expect(get(0x05, 4)).toBe(3); // bytes 2 and 3 are past the u16
    expect(get(0x1234, 4)).toBe(0);
    pio.write(0x510, 2, 0x00);
    expect(pio.read(0x511, 1)).toBe(0x51); // 'Q'
    pio.write(0x511, 1, 0xff); // data writes are ignored
    expect(pio.read(0x511, 1)).toBe(0x45); // 'E'
  });

  it('an empty file directory, count big-endian', () => {
    expect(bus().get(0x19, 4)).toBe(0);
  });
});
