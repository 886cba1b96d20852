// Expected values from the PCI Local Bus Specification 3.0 (section numbers in each test)
// and, for the host bridge identity, from QEMU's i440FX (vendor 8086, device 1237, rev 02).
import { describe, expect, it } from 'vitest';
import { MmioBus, PortIoBus, type AccessSize, type IrqLine, type PioDevice } from '../bus.ts';
import { PciFunction } from './function.ts';
import { I440fxHostBridge } from './host-bridge.ts';
import { PciHost } from './host.ts';
import { ResetControl } from './reset-control.ts';

function line(): IrqLine & { level: boolean; changes: number } {
  return {
    level: false,
    changes: 0,
    setLevel(l) {
      this.level = l;
      this.changes++;
    },
  };
}

function recorder(): PioDevice & { log: string[] } {
  const log: string[] = [];
  return {
    log,
    read: (offset, size) => {
      log.push(`r${size}@${offset.toString(16)}`);
      return 0x12345678 & (size === 4 ? 0xffffffff : size === 2 ? 0xffff : 0xff);
    },
    write: (offset, size, value) => {
      log.push(`w${size}@${offset.toString(16)}=${value.toString(16)}`);
    },
  };
}

function testFunction(
  bars: ConstructorParameters<typeof PciFunction>[1] = [],
  interruptPin = 1,
): PciFunction {
  return new PciFunction(
    { vendorId: 0x1af4, deviceId: 0x1042, revision: 1, classCode: 0x010000, interruptPin },
    bars,
  );
}

/** A PC port bus with mechanism #1 at 0xCF8/0xCFC, the host bridge at 00:00.0. */
function platform(options: { resetControl?: PioDevice } = {}) {
  const irq10 = line();
  const irq11 = line();
  const host = new PciHost({
    route: (device, pin) => ((device + pin) % 2 === 0 ? { line: irq10, irq: 10 } : { line: irq11, irq: 11 }),
    ...options,
  });
  host.attach(0, 0, new I440fxHostBridge());
  const pio = new PortIoBus();
  pio.register(0xcf8, 4, host.configAddressPort, 'pci-config-address');
  pio.register(0xcfc, 4, host.configDataPort, 'pci-config-data');
  const cfg = (dev: number, fn: number, reg: number) => 0x80000000 | (dev << 11) | (fn << 8) | reg;
  const read = (dev: number, fn: number, reg: number, size: AccessSize = 4) => {
    pio.write(0xcf8, 4, cfg(dev, fn, reg & 0xfc));
    return pio.read(0xcfc + (reg & 3), size);
  };
  const write = (dev: number, fn: number, reg: number, size: AccessSize, value: number) => {
    pio.write(0xcf8, 4, cfg(dev, fn, reg & 0xfc));
    pio.write(0xcfc + (reg & 3), size, value);
  };
  return { host, pio, irq10, irq11, read, write };
}

describe('configuration mechanism #1 (3.2.2.3.2)', () => {
  it('CONFIG_ADDRESS keeps bit 31 and bits 23:2; reserved 30:24 and 1:0 read 0', () => {
    const { pio } = platform();
    pio.write(0xcf8, 4, 0xffffffff);
    expect(pio.read(0xcf8, 4)).toBe(0x80fffffc);
    pio.write(0xcf8, 4, 0x80000000); // Linux pci_check_type1() writes this and expects it back
    expect(pio.read(0xcf8, 4)).toBe(0x80000000);
  });

  it('only a dword access reaches CONFIG_ADDRESS', () => {
    const { pio, host } = platform();
    pio.write(0xcf8, 4, 0x80000000);
    pio.write(0xcf8, 2, 0x1234);
    pio.write(0xcfb, 1, 0x01); // Linux's type-1 probe pokes 0xCFB with a byte first
    expect(pio.read(0xcf8, 4)).toBe(0x80000000);
    expect(pio.read(0xcf8, 1)).toBe(0xff);
    expect(host.metrics.configAddressIgnored).toBe(3);
  });

  it('reads the host bridge header at 00:00.0 (6.1 layout)', () => {
    const { read } = platform();
    expect(read(0, 0, 0x00)).toBe(0x12378086); // device ID << 16 | vendor ID
    expect(read(0, 0, 0x08)).toBe(0x06000002); // class 06 (bridge), 00 (host), prog-if 00, revision 02
    expect(read(0, 0, 0x0c)).toBe(0x00000000); // header type 0, single function
    expect(read(0, 0, 0x2c)).toBe(0x11001af4); // subsystem ID << 16 | subsystem vendor ID
  });

  it('CONFIG_DATA byte lanes select bytes of the addressed dword', () => {
    const { read } = platform();
    expect(read(0, 0, 0x02, 1)).toBe(0x37);
    expect(read(0, 0, 0x03, 1)).toBe(0x12);
    expect(read(0, 0, 0x02, 2)).toBe(0x1237);
    expect(read(0, 0, 0x01, 2)).toBe(0x3780);
  });

  it('a non-existent device, another bus, or the enable bit clear reads all ones (6.1)', () => {
    const { pio, read, write, host } = platform();
    expect(read(1, 0, 0x00)).toBe(0xffffffff);
    expect(read(0, 1, 0x00, 2)).toBe(0xffff);
    pio.write(0xcf8, 4, 0x80010000); // bus 1
    expect(pio.read(0xcfc, 4)).toBe(0xffffffff);
    pio.write(0xcf8, 4, 0x00000000); // enable clear: no configuration cycle
    expect(pio.read(0xcfc, 4)).toBe(0xffffffff);
    write(5, 0, 0x04, 2, 0xffff); // dropped
    expect(host.metrics.configMasterAborts).toBe(5);
  });
});

describe('header registers (6.2)', () => {
  it('identity registers are read-only', () => {
    const { read, write } = platform();
    write(0, 0, 0x00, 4, 0);
    write(0, 0, 0x08, 4, 0);
    expect(read(0, 0, 0x00)).toBe(0x12378086);
    expect(read(0, 0, 0x08)).toBe(0x06000002);
  });

  it('command keeps only implemented bits: I/O, memory, master, parity, SERR#, INTx disable (6.2.2)', () => {
    const { host, read, write } = platform();
    host.attach(3, 0, testFunction());
    write(3, 0, 0x04, 2, 0xffff);
    expect(read(3, 0, 0x04, 2)).toBe(0x0547);
    write(3, 0, 0x04, 2, 0);
    expect(read(3, 0, 0x04, 2)).toBe(0);
  });

  it('status error bits are write-one-to-clear; other status bits ignore writes (6.2.3)', () => {
    const { host, read, write } = platform();
    const f = testFunction();
    host.attach(3, 0, f);
    f.config.set16(0x06, 0x2000 | 0x0100); // received master abort, master data parity error
    write(3, 0, 0x06, 2, 0x0000);
    expect(read(3, 0, 0x06, 2)).toBe(0x2100);
    write(3, 0, 0x06, 2, 0x2000);
    expect(read(3, 0, 0x06, 2)).toBe(0x0100);
  });

  it('interrupt pin is read-only; firmware fills interrupt line from the routing; the OS may rewrite it (6.2.4)', () => {
    const { host, read, write } = platform();
    host.attach(3, 0, testFunction([], 1));
    expect(read(3, 0, 0x3c, 2)).toBe(0x010a); // pin INTA#, line 10 (the test router: device 3 + pin 1 is even)
    write(3, 0, 0x3c, 2, 0x0405);
    expect(read(3, 0, 0x3c, 2)).toBe(0x0105);
  });
});

describe('BARs (6.2.5.1)', () => {
  const bars = () => {
    const mem = recorder();
    const io = recorder();
    return {
      mem,
      io,
      f: testFunction([
        { kind: 'mem32', size: 0x100000, region: mem },
        { kind: 'io', size: 0x40, region: io },
        undefined,
        { kind: 'mem32', size: 0x1000, prefetchable: true, region: recorder() },
      ]),
    };
  };

  it('writing all ones reads back the size mask with the type bits', () => {
    const { host, read, write } = platform();
    host.attach(4, 0, bars().f);
    expect(read(4, 0, 0x10)).toBe(0x00000000); // memory, 32-bit, not prefetchable
    expect(read(4, 0, 0x14)).toBe(0x00000001); // I/O
    for (const reg of [0x10, 0x14, 0x18, 0x1c, 0x20, 0x24]) write(4, 0, reg, 4, 0xffffffff);
    expect(read(4, 0, 0x10)).toBe(0xfff00000); // 1 MiB: ~(0xfff00000) + 1 = 0x100000
    expect(read(4, 0, 0x14)).toBe(0xffffffc1); // 64 bytes of I/O
    expect(read(4, 0, 0x18)).toBe(0x00000000); // unimplemented BAR: hardwired 0
    expect(read(4, 0, 0x1c)).toBe(0xfffff008); // 4 KiB prefetchable memory
    expect(read(4, 0, 0x30)).toBe(0x00000000); // no expansion ROM
  });

  it('address bits below the size are hardwired to zero', () => {
    const { host, read, write } = platform();
    host.attach(4, 0, bars().f);
    write(4, 0, 0x10, 4, 0xfebc1234);
    write(4, 0, 0x14, 4, 0x0000c07f);
    expect(read(4, 0, 0x10)).toBe(0xfeb00000);
    expect(read(4, 0, 0x14)).toBe(0x0000c041);
  });

  it('a function answers its BARs only when the command register enables the space (6.2.2)', () => {
    const { host, write } = platform();
    const { f, mem, io } = bars();
    host.attach(4, 0, f);
    const pio = new PortIoBus();
    pio.register(0x1000, 0xf000, host.ioWindow(0x1000), 'pci-io');
    const mmio = new MmioBus();
    mmio.register(0xc0000000, 0x3ec00000, host.mmioWindow(0xc0000000), 'pci-mem');
    write(4, 0, 0x10, 4, 0xc0100000);
    write(4, 0, 0x14, 4, 0xc040);
    expect(mmio.read(0xc0100010, 4)).toBe(0xffffffff);
    expect(pio.read(0xc044, 2)).toBe(0xffff);
    expect(host.metrics).toMatchObject({ ioMasterAborts: 1, memMasterAborts: 1 });
    write(4, 0, 0x04, 2, 0x0002); // memory space only
    expect(mmio.read(0xc0100010, 4)).toBe(0x12345678);
    expect(pio.read(0xc044, 2)).toBe(0xffff);
    write(4, 0, 0x04, 2, 0x0003);
    expect(pio.read(0xc044, 2)).toBe(0x5678);
    pio.write(0xc07f, 1, 0xaa);
    expect(mem.log).toEqual(['r4@10']);
    expect(io.log).toEqual(['r2@4', 'w1@3f=aa']);
    write(4, 0, 0x04, 2, 0x0000); // Linux clears decode while it sizes BARs
    expect(mmio.read(0xc0100010, 4)).toBe(0xffffffff);
  });

  it('firmware assignment aligns each BAR to its size and enables decode; reset repeats it', () => {
    const { host, read, write } = platform();
    host.attach(4, 0, bars().f);
    host.assignResources({
      io: { base: 0xc000, limit: 0x10000 },
      mem: { base: 0xc0000000, limit: 0xfec00000 },
    });
    expect(read(4, 0, 0x10)).toBe(0xc0000000);
    expect(read(4, 0, 0x1c)).toBe(0xc0100008);
    expect(read(4, 0, 0x14)).toBe(0x0000c001);
    expect(read(4, 0, 0x04, 2) & 0x3).toBe(0x3);
    write(4, 0, 0x10, 4, 0xd0000000);
    write(4, 0, 0x04, 2, 0x0004);
    host.reset();
    expect(read(4, 0, 0x10)).toBe(0xc0000000);
    expect(read(4, 0, 0x04, 2)).toBe(0x0003); // bus master is off again after RST#
    expect(host.decodedBars().map((b) => b.base)).toEqual([0xc000, 0xc0000000, 0xc0100000]);
  });
});

describe('INTx# (2.2.6, 6.2.2 bit 10, 6.2.3 bit 3)', () => {
  it('status bit 3 follows the request; Interrupt Disable gates only the pin', () => {
    const { host, irq11, read, write } = platform();
    const f = testFunction([], 1);
    host.attach(4, 0, f); // 4 + 1 is odd: IRQ 11
    f.setIntx(true);
    expect(irq11.level).toBe(true);
    expect(read(4, 0, 0x06, 2) & 0x08).toBe(0x08);
    write(4, 0, 0x04, 2, 0x0400);
    expect(irq11.level).toBe(false);
    expect(read(4, 0, 0x06, 2) & 0x08).toBe(0x08);
    write(4, 0, 0x04, 2, 0x0000);
    expect(irq11.level).toBe(true);
    f.setIntx(false);
    expect(irq11.level).toBe(false);
    expect(read(4, 0, 0x06, 2) & 0x08).toBe(0);
  });

  it('functions sharing a line are wire-ORed', () => {
    const { host, irq10 } = platform();
    const a = testFunction([], 1);
    const b = testFunction([], 1);
    host.attach(3, 0, a); // the test router sends both (3 + 1, 5 + 1 even) to IRQ 10
    host.attach(5, 0, b);
    a.setIntx(true);
    b.setIntx(true);
    a.setIntx(false);
    expect(irq10).toMatchObject({ level: true, changes: 1 });
    b.setIntx(false);
    expect(irq10).toMatchObject({ level: false, changes: 2 });
  });
});

describe('capability list (6.7)', () => {
  it('links capabilities from 0x34 with dword alignment and sets status bit 4', () => {
    const { host, read } = platform();
    const f = testFunction();
    const first = f.config.addCapability(0x09, 0x10);
    const second = f.config.addCapability(0x09, 0x0e);
    f.config.addCapability(0x05, 0x0a);
    host.attach(3, 0, f);
    expect(first).toBe(0x40);
    expect(second).toBe(0x50);
    expect(read(3, 0, 0x34, 1)).toBe(0x40);
    expect(read(3, 0, 0x06, 2) & 0x10).toBe(0x10);
    expect(read(3, 0, 0x40, 2)).toBe(0x5009);
    expect(read(3, 0, 0x50, 2)).toBe(0x6009); // 0x50 + 0x0e rounded up to a dword
    expect(read(3, 0, 0x60, 2)).toBe(0x0005); // last: next = 0
  });
});

describe('PIIX reset control register at 0xCF9', () => {
  it('a byte write with RCPU resets; SRST picks hard or soft; CONFIG_ADDRESS is untouched', () => {
    const resets: string[] = [];
    const rcr = new ResetControl((kind) => resets.push(kind));
    const { pio } = platform({ resetControl: rcr });
    pio.write(0xcf8, 4, 0x80000010);
    pio.write(0xcf9, 1, 0x02);
    expect(pio.read(0xcf9, 1)).toBe(0x02);
    pio.write(0xcf9, 1, 0x06);
    pio.write(0xcf9, 1, 0x04);
    expect(resets).toEqual(['hard', 'soft']);
    expect(pio.read(0xcf8, 4)).toBe(0x80000010);
  });
});
