// The in-kernel devices' address decoding (KVM's kvm_io_bus for KVM_PIO_BUS and
// KVM_MMIO_BUS): port ranges for the 8259A pair, ELCR, 8254 and port 0x61, and the IOAPIC's
// MMIO window. An access wider than a device implements is split into little-endian pieces
// at consecutive offsets, as the VMM's bus does (core/vmm/bus.ts).
import type { AccessSize, PioDevice } from './io-device.ts';

interface Range {
  readonly base: number;
  readonly end: number;
  readonly device: PioDevice;
}

export class KernelIoBus {
  private readonly ports: Range[] = [];
  private readonly mmio: Range[] = [];

  registerPorts(base: number, length: number, device: PioDevice): void {
    this.ports.push({ base, end: base + length, device });
  }

  registerMmio(base: number, length: number, device: PioDevice): void {
    this.mmio.push({ base, end: base + length, device });
  }

  private find(list: Range[], addr: number): Range | undefined {
    for (const r of list) if (addr >= r.base && addr < r.end) return r;
    return undefined;
  }

  claimsPort(port: number): boolean {
    return this.find(this.ports, port) !== undefined;
  }

  claimsMmio(gpa: number): boolean {
    return this.find(this.mmio, gpa) !== undefined;
  }

  /** A port read of `size` bytes; the caller checked `claimsPort`. */
  readPort(port: number, size: AccessSize): number {
    return this.access(this.ports, port, size, undefined);
  }

  writePort(port: number, size: AccessSize, value: number): void {
    this.access(this.ports, port, size, value);
  }

  readMmio(gpa: number, size: AccessSize): number {
    return this.access(this.mmio, gpa, size, undefined);
  }

  writeMmio(gpa: number, size: AccessSize, value: number): void {
    this.access(this.mmio, gpa, size, value);
  }

  private access(list: Range[], addr: number, size: AccessSize, value: number | undefined): number {
    const r = this.find(list, addr);
    if (!r) return value === undefined ? 2 ** (8 * size) - 1 : 0;
    const max = r.device.maxAccessSize ?? 4;
    if (size <= max) {
      if (value === undefined) return r.device.read(addr - r.base, size) >>> 0;
      r.device.write(addr - r.base, size, value >>> 0);
      return 0;
    }
    // Split into bytes (the in-kernel devices are 8-bit or 32-bit).
    let out = 0;
    for (let i = 0; i < size; i++) {
      const a = addr + i;
      const inside = a < r.end;
      if (value === undefined) {
        const b = inside ? r.device.read(a - r.base, 1) & 0xff : 0xff;
        out += b * 2 ** (8 * i);
      } else if (inside) {
        r.device.write(a - r.base, 1, Math.floor(value / 2 ** (8 * i)) & 0xff);
      }
    }
    return out;
  }
}
