// pc-testdev and pci-testdev behave as QEMU's hw/misc/pc-testdev.c and pci-testdev.c.
import { describe, expect, it } from 'vitest';
import { MmioBus, PortIoBus } from '../bus.ts';
import { PciHost } from '../pci/host.ts';
import { PCI_BASE_ADDRESS_0, PCI_CLASS_PROG, PCI_INTERRUPT_PIN, PCI_VENDOR_ID } from '../pci/regs.ts';
import { PcTestdev, PC_TESTDEV_IOMEM, PC_TESTDEV_IOMEM_LEN } from './pc-testdev.ts';
import { PciTestdev } from './pci-testdev.ts';

describe('pc-testdev', () => {
  function setup() {
    const levels: [number, boolean][] = [];
    const dev = new PcTestdev((n) => ({ setLevel: (l) => levels.push([n, l]) }));
    const pio = new PortIoBus();
    pio.register(0xe0, 4, dev.ioport, 'io');
    pio.register(0xe4, 4, dev.flush, 'flush');
    pio.register(0xe8, 4, dev.ioportByte, 'io-byte');
    pio.register(0x2000, 24, dev.irqLines, 'irq');
    const mmio = new MmioBus();
    mmio.register(PC_TESTDEV_IOMEM, PC_TESTDEV_IOMEM_LEN, dev.iomem, 'iomem');
    return { pio, mmio, levels };
  }

  it('0xe0 and 0xe8 are one 32-bit register with byte lanes by port', () => {
    const { pio } = setup();
    pio.write(0xe0, 4, 0x12345678);
    expect(pio.read(0xe1, 1)).toBe(0x56);
    expect(pio.read(0xe2, 2)).toBe(0x1234);
    pio.write(0xeb, 1, 0xab);
    expect(pio.read(0xe0, 4)).toBe(0xab345678);
    expect(pio.read(0xe8, 4)).toBe(0xab345678); // split into four byte reads
  });

  it('a byte to 0x2000 + n sets ISA IRQ n to (value != 0)', () => {
    const { pio, levels } = setup();
    pio.write(0x2000 + 10, 1, 1);
    pio.write(0x2000 + 10, 1, 0);
    pio.write(0x2000 + 4, 1, 0x80);
    expect(levels).toEqual([
      [10, true],
      [10, false],
      [4, true],
    ]);
  });

  it('64 KiB of MMIO memory at 0xff000000', () => {
    const { mmio } = setup();
    mmio.write(PC_TESTDEV_IOMEM + 0xfffc, 4, 0xdeadbeef);
    expect(mmio.read(PC_TESTDEV_IOMEM + 0xfffd, 2)).toBe(0xadbe);
  });
});

describe('pci-testdev', () => {
  function setup() {
    const host = new PciHost({
      route: () => {
        throw new Error('no INTx');
      },
    });
    const dev = new PciTestdev();
    host.attach(3, 0, dev);
    host.assignResources({
      io: { base: 0xc000, limit: 0x10000 },
      mem: { base: 0xe0000000, limit: 0xfec00000 },
    });
    const mem = host.mmioWindow(0);
    const io = host.ioWindow(0);
    const bar = (i: number) => dev.barAddress(i);
    return { dev, mem, io, bar };
  }

  it('is 1b36:0005, class ff, no interrupt pin, BAR0 4 KiB memory and BAR1 256 ports', () => {
    const { dev } = setup();
    expect(dev.readConfig(PCI_VENDOR_ID, 4)).toBe(0x00051b36);
    expect(dev.readConfig(PCI_CLASS_PROG, 4) >>> 8).toBe(0xff0000 >>> 8);
    expect(dev.readConfig(PCI_INTERRUPT_PIN, 1)).toBe(0);
    dev.writeConfig(PCI_BASE_ADDRESS_0, 4, 0xffffffff);
    expect(dev.readConfig(PCI_BASE_ADDRESS_0, 4) >>> 0).toBe(0xfffff000);
    dev.writeConfig(PCI_BASE_ADDRESS_0 + 4, 4, 0xffffffff);
    expect(dev.readConfig(PCI_BASE_ADDRESS_0 + 4, 4) >>> 0).toBe(0xffffff01);
  });

  it('runs the portio datamatch test: header, name, and a count of matching byte writes', () => {
    const { io, bar } = setup();
    const base = bar(1);
    io.write(base, 1, 2); // portio-datamatch-eventfd = test 5
    const byte = (o: number) => io.read(base + o, 1);
    expect(byte(0)).toBe(5);
    expect(byte(1)).toBe(1);
    const offset = byte(4) | (byte(5) << 8);
    expect(offset).toBe(128 + 5);
    expect(byte(8)).toBe(0xfa);
    const name = Array.from({ length: 24 }, (_, i) => byte(16 + i))
      .filter((c) => c)
      .map((c) => String.fromCharCode(c))
      .join('');
    expect(name).toBe('portio-datamatch-eventfd');
    io.write(base + offset, 1, 0xfa);
    io.write(base + offset, 1, 0x01); // data does not match: not counted
    io.write(base + offset, 1, 0xfa);
    expect(byte(12)).toBe(2);
  });

  it('the mmio wildcard test counts any byte', () => {
    const { mem, bar } = setup();
    const base = bar(0);
    mem.write(base, 1, 1); // mmio-wildcard-eventfd = test 1
    mem.write(base + 2048 + 1, 1, 0x33);
    expect(mem.read(base + 12, 1)).toBe(1);
    expect(mem.read(base + 8, 1)).toBe(0xce);
  });
});
