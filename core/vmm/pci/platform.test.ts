// PCI bus 0 of the PC machine as a guest enumerates it through configuration mechanism #1
// (PCI Local Bus Specification 3.0, 3.2.2.3.2): identities, assigned BARs, Interrupt Line.
import { describe, expect, it } from 'vitest';
import { MmioBus, PortIoBus } from '../bus.ts';
import { PcPciBus, PCI_ECAM_WINDOW, PCI_MEM_WINDOW } from './platform.ts';

function setup(withDisk: boolean) {
  const pio = new PortIoBus();
  const mmio = new MmioBus();
  const resets: string[] = [];
  const bus = new PcPciBus({
    memory: { read: () => undefined, write: () => false },
    isaIrq: () => ({ setLevel: () => {} }),
    consoleOutput: () => {},
    entropy: (b) => b.fill(4),
    disk: withDisk ? { size: 4096, read: () => new Uint8Array(0), write: () => true } : undefined,
    onReset: (kind) => resets.push(kind),
  });
  bus.register(pio, mmio);
  const cfg = (dev: number, reg: number) => {
    pio.write(0xcf8, 4, (0x80000000 | (dev << 11) | reg) >>> 0);
    return pio.read(0xcfc, 4) >>> 0;
  };
  return { pio, mmio, cfg, resets, bus };
}

describe('PC PCI bus 0', () => {
  it('has the i440FX, virtio-console, virtio-rng, pci-testdev and, with a disk, virtio-blk', () => {
    const { cfg } = setup(true);
    // Vendor/device: 8086:1237; virtio 1.x modern IDs 0x1040 + type (console 3, rng 4, blk 2); Red Hat test device 1b36:0005.
    expect([0, 1, 2, 3, 4, 5].map((d) => cfg(d, 0).toString(16))).toEqual([
      '12378086',
      '10431af4',
      '10441af4',
      '51b36',
      '10421af4',
      'ffffffff',
    ]);
    expect(setup(false).cfg(4, 0)).toBe(0xffffffff);
  });

  it('assigns BARs in the PCI memory window and reports INTA# on the swizzled IRQ', () => {
    const { cfg } = setup(true);
    const bar0 = (cfg(1, 0x10) & ~0xf) >>> 0;
    expect(bar0).toBeGreaterThanOrEqual(PCI_MEM_WINDOW.base);
    expect(bar0 + 0x4000).toBeLessThanOrEqual(PCI_MEM_WINDOW.limit);
    expect(cfg(1, 0x04) & 0x2).toBe(0x2); // memory decode enabled
    // Interrupt Pin 1 (INTA#); Interrupt Line: slot 1 -> IRQ 11, slot 2 -> 10, slot 4 -> 10.
    expect([1, 2, 4].map((d) => [(cfg(d, 0x3c) >>> 8) & 0xff, cfg(d, 0x3c) & 0xff])).toEqual([
      [1, 11],
      [1, 10],
      [1, 10],
    ]);
  });

  it('0xCF9 = 6 asks for a hard reset (FADT RESET_REG)', () => {
    const { pio, resets } = setup(false);
    pio.write(0xcf9, 1, 0x06);
    expect(resets).toEqual(['hard']);
  });

  it('the _PRT routes cover each virtio slot and pin', () => {
    const { bus } = setup(true);
    expect(bus.routes.filter((r) => r.pin === 1)).toEqual([
      { slot: 1, pin: 1, gsi: 11 },
      { slot: 2, pin: 1, gsi: 10 },
      { slot: 4, pin: 1, gsi: 10 },
    ]);
    expect(bus.routes).toHaveLength(12);
  });
});

describe('CONFIG_ADDRESS bits 1:0 (QEMU hw/pci/pci_host.c)', () => {
  it('read back as 0 but select the bytes of the data access, as kvm-unit-tests pci_config_readw expects', () => {
    const { pio } = setup(false);
    pio.write(0xcf8, 4, 0x80001802); // 00:03.0 (pci-testdev), register 2
    expect(pio.read(0xcf8, 4) >>> 0).toBe(0x80001800);
    expect(pio.read(0xcfc, 2)).toBe(0x0005); // Device ID, not the Vendor ID at 0
  });
});

describe('BAR accesses wider than the device implements', () => {
  it('a dword read of byte-wide pci-testdev returns four header bytes (mmio-no-eventfd offset 2048)', () => {
    const { mmio, cfg } = setup(false);
    const bar0 = (cfg(3, 0x10) & ~0xf) >>> 0;
    mmio.write(bar0, 1, 0); // start test 0
    expect(mmio.read(bar0 + 4, 4)).toBe(2048);
  });
});

describe('ECAM, PCI Express MMCONFIG (PCIe Base 4.0, 7.2.2)', () => {
  // Bus in address bits 27:20, device 19:15, function 14:12, register 11:0 (Table 7-1).
  const ecam = (dev: number, fn: number, reg: number) =>
    PCI_ECAM_WINDOW.base + (dev << 15) + (fn << 12) + reg;

  it('reaches the same registers as mechanism #1, reads and writes', () => {
    const { mmio, cfg } = setup(true);
    expect(mmio.read(ecam(0, 0, 0), 4) >>> 0).toBe(0x12378086);
    expect(mmio.read(ecam(4, 0, 2), 2)).toBe(0x1042);
    expect(mmio.read(ecam(1, 0, 0x3d), 1)).toBe(1); // Interrupt Pin: INTA#
    mmio.write(ecam(1, 0, 0x3c), 1, 0x55); // Interrupt Line is read/write (6.2.4)
    expect(cfg(1, 0x3c) & 0xff).toBe(0x55);
  });

  it("absent functions, other buses and a conventional function's registers 256-4095 read all ones", () => {
    const { mmio } = setup(false);
    expect(mmio.read(ecam(9, 0, 0), 4) >>> 0).toBe(0xffffffff);
    expect(mmio.read(ecam(0, 1, 0), 2)).toBe(0xffff);
    expect(mmio.read(PCI_ECAM_WINDOW.base + (1 << 20), 4) >>> 0).toBe(0xffffffff); // bus 1
    expect(mmio.read(ecam(0, 0, 0x100), 4) >>> 0).toBe(0xffffffff);
  });

  it('covers 256 buses in 256 MiB, below the BAR window', () => {
    expect(PCI_ECAM_WINDOW.limit - PCI_ECAM_WINDOW.base).toBe(256 << 20);
    expect(PCI_ECAM_WINDOW.limit).toBeLessThanOrEqual(PCI_MEM_WINDOW.base);
  });
});
