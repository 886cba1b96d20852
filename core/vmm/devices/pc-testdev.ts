// QEMU's pc-testdev (hw/misc/pc-testdev.c), the ISA device kvm-unit-tests expect for
// emulation, interrupt routing and MMIO tests:
//   ports 0xe0-0xe3  a 32-bit scratch register, any access width, byte lanes by port
//   ports 0xe4-0xe7  "flush page": QEMU mprotects the host page to make KVM refault it;
//                    the guest sees no effect, and here there is no host mapping to drop
//   ports 0xe8-0xeb  the same scratch register, but wider accesses are split into bytes
//   ports 0x2000-0x2017  byte writes set ISA IRQ line n (port 0x2000 + n) to (value != 0)
//   0xff000000 + 64 KiB  plain read/write MMIO memory
import type { AccessSize, IrqLine, MmioDevice, PioDevice } from '../bus.ts';

export const PC_TESTDEV_IOPORT = 0xe0;
export const PC_TESTDEV_FLUSH = 0xe4;
export const PC_TESTDEV_IOPORT_BYTE = 0xe8;
export const PC_TESTDEV_PORT_LEN = 4;
export const PC_TESTDEV_IRQ_BASE = 0x2000;
export const PC_TESTDEV_IRQ_LINES = 24;
export const PC_TESTDEV_IOMEM = 0xff000000;
export const PC_TESTDEV_IOMEM_LEN = 0x10000;

export class PcTestdev {
  private ioportData = 0;
  private readonly iomemBuf = new Uint8Array(PC_TESTDEV_IOMEM_LEN);

  /** `irq(n)` is ISA IRQ line n as the machine wires it (PIC and IOAPIC pin n). */
  constructor(private readonly irq: (n: number) => IrqLine) {}

  readonly ioport: PioDevice = {
    read: (offset, size) => this.readLanes(offset, size),
    write: (offset, size, value) => this.writeLanes(offset, size, value),
  };

  readonly ioportByte: PioDevice = { ...this.ioport, maxAccessSize: 1 };

  readonly flush: PioDevice = {
    read: () => 0xffffffff,
    write: () => {},
  };

  readonly irqLines: PioDevice = {
    maxAccessSize: 1,
    read: () => 0xff,
    write: (offset, _size, value) => this.irq(offset).setLevel(value !== 0),
  };

  readonly iomem: MmioDevice = {
    read: (offset, size) => {
      let v = 0;
      for (let i = 0; i < size; i++) v += this.iomemBuf[offset + i] * 2 ** (8 * i);
      return v;
    },
    write: (offset, size, value) => {
      for (let i = 0; i < size; i++) this.iomemBuf[offset + i] = Math.floor(value / 2 ** (8 * i)) & 0xff;
    },
  };

  private readLanes(offset: number, size: AccessSize): number {
    const shift = 8 * (offset & 3);
    const bits = 8 * size;
    return Math.floor(this.ioportData / 2 ** shift) % 2 ** bits;
  }

  private writeLanes(offset: number, size: AccessSize, value: number): void {
    const shift = 8 * (offset & 3);
    const mask = (size === 4 ? 0xffffffff : ((1 << (8 * size)) - 1) << shift) >>> 0;
    this.ioportData = ((this.ioportData & ~mask) | ((value << shift) & mask)) >>> 0;
  }
}
