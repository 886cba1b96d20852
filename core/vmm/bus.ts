// The VMM's two address spaces for device accesses that leave the vCPU as exits:
// port I/O (KVM_EXIT_IO, 64 KiB of ports) and MMIO (KVM_EXIT_MMIO, guest-physical).
//
// A device never learns where it is mapped: the bus passes an offset from the base it was
// registered at (vm-superio's `Serial::read(offset)`, Firecracker's `BusDevice`).
//
// Splitting follows QEMU's memory core (softmmu/physmem.c flatview_read/write and
// memory.c access_with_adjusted_size), which is what an ISA bridge does in hardware:
//  - an access that runs past the end of a device continues at the next address, so
//    `outl 0xf4` on a 1-byte device delivers the low byte to it and the rest to 0xf5..;
//  - an access wider than the device implements (`maxAccessSize`) is split into
//    little-endian pieces at consecutive offsets (`inw 0x3f8` reads RBR, then IER).
// Unmapped bytes read as all ones (the floating ISA data bus / PCI master abort) and
// writes to them are dropped; each bus access that touched one bumps a counter once.
//
// Invalid arguments from the host (a port above 0xffff, overlapping registrations) are
// host bugs and throw. Nothing a guest can do through read/write throws.

export type AccessSize = 1 | 2 | 4;

/** An ISA/PCI interrupt line as a device drives it: a level, not an event. */
export interface IrqLine {
  setLevel(level: boolean): void;
}

/** A device on the port-I/O bus. `value` and the returned number are unsigned, < 2^(8*size). */
export interface PioDevice {
  read(offset: number, size: AccessSize): number;
  write(offset: number, size: AccessSize, value: number): void;
  /** Widest access the device implements (QEMU `MemoryRegionOps.impl.max_access_size`); default 4. */
  readonly maxAccessSize?: AccessSize;
}

/**
 * A device on the MMIO bus. 8-byte guest accesses never reach a device: `MmioBus.read64`
 * and `write64` split them into two 4-byte accesses, low dword first, as a 32-bit
 * device bus does, so device code never handles BigInt (DESIGN.md: no BigInt on hot paths).
 */
export type MmioDevice = PioDevice;

interface Mapping {
  readonly base: number;
  readonly end: number; // exclusive
  readonly name: string;
  readonly device: PioDevice;
  readonly max: AccessSize;
}

/** One registration, as `mappings()` lists it for the UI and for debugging. */
export interface MappingInfo {
  readonly base: number;
  readonly length: number;
  readonly name: string;
}

function checkSize(size: number): asserts size is AccessSize {
  if (size !== 1 && size !== 2 && size !== 4) throw new RangeError(`bus: access size ${size}`);
}

function largestPiece(limit: number): AccessSize {
  return limit >= 4 ? 4 : limit >= 2 ? 2 : 1;
}

/** Address space shared by both buses; `limit` is one past the highest address. */
class AddressSpace {
  private readonly map: Mapping[] = []; // sorted by base, never overlapping
  private missed = false;
  unmappedReads = 0;
  unmappedWrites = 0;

  constructor(
    private readonly kind: string,
    private readonly limit: number,
  ) {}

  register(base: number, length: number, device: PioDevice, name: string): void {
    if (!Number.isSafeInteger(base) || !Number.isSafeInteger(length) || base < 0 || length < 1) {
      throw new RangeError(`${this.kind}: bad range base=${base} length=${length} for ${name}`);
    }
    const end = base + length;
    if (end > this.limit) throw new RangeError(`${this.kind}: ${name} ends past ${this.limit}`);
    const max = device.maxAccessSize ?? 4;
    checkSize(max);
    const i = this.indexAfter(base);
    const before = this.map[i - 1];
    const after = this.map[i];
    for (const other of [before, after]) {
      if (other !== undefined && base < other.end && other.base < end) {
        throw new Error(`${this.kind}: ${name} overlaps ${other.name} at 0x${other.base.toString(16)}`);
      }
    }
    this.map.splice(i, 0, { base, end, name, device, max });
  }

  mappings(): MappingInfo[] {
    return this.map.map((m) => ({ base: m.base, length: m.end - m.base, name: m.name }));
  }

  read(addr: number, size: AccessSize): number {
    this.checkAccess(addr, size);
    const m = this.find(addr);
    if (m !== undefined && addr + size <= m.end && size <= m.max) {
      return truncate(m.device.read(addr - m.base, size), size);
    }
    this.missed = false;
    const value = this.readPieces(addr, size);
    if (this.missed) this.unmappedReads++;
    return value;
  }

  write(addr: number, size: AccessSize, value: number): void {
    this.checkAccess(addr, size);
    const v = truncate(value, size);
    const m = this.find(addr);
    if (m !== undefined && addr + size <= m.end && size <= m.max) {
      m.device.write(addr - m.base, size, v);
      return;
    }
    this.missed = false;
    this.writePieces(addr, size, v);
    if (this.missed) this.unmappedWrites++;
  }

  private readPieces(addr: number, size: number): number {
    let value = 0;
    for (let done = 0; done < size;) {
      const a = addr + done;
      const m = a < this.limit ? this.find(a) : undefined;
      let piece: AccessSize = 1;
      let part = 0xff;
      if (m === undefined) {
        this.missed = true;
      } else {
        piece = largestPiece(Math.min(size - done, m.end - a, m.max));
        part = truncate(m.device.read(a - m.base, piece), piece);
      }
      value += part * 2 ** (8 * done);
      done += piece;
    }
    return value;
  }

  private writePieces(addr: number, size: number, value: number): void {
    for (let done = 0; done < size;) {
      const a = addr + done;
      const m = a < this.limit ? this.find(a) : undefined;
      if (m === undefined) {
        this.missed = true;
        done += 1;
        continue;
      }
      const piece = largestPiece(Math.min(size - done, m.end - a, m.max));
      m.device.write(a - m.base, piece, truncate(Math.floor(value / 2 ** (8 * done)), piece));
      done += piece;
    }
  }

  private checkAccess(addr: number, size: number): void {
    checkSize(size);
    if (!Number.isSafeInteger(addr) || addr < 0 || addr >= this.limit) {
      throw new RangeError(`${this.kind}: address ${addr} out of range`);
    }
  }

  /** Index of the first mapping whose base is above `addr`. */
  private indexAfter(addr: number): number {
    let lo = 0;
    let hi = this.map.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.map[mid].base <= addr) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private find(addr: number): Mapping | undefined {
    const m = this.map[this.indexAfter(addr) - 1];
    return m !== undefined && addr < m.end ? m : undefined;
  }
}

/** The low `size` bytes of `value` as an unsigned number (ToInt32 semantics, so int32 input works). */
function truncate(value: number, size: AccessSize): number {
  return size === 4 ? value >>> 0 : value & (size === 2 ? 0xffff : 0xff);
}

/** The x86 I/O address space: ports 0x0000-0xffff (SDM Vol. 1, 18.3 "I/O Address Space"). */
export class PortIoBus {
  private readonly space = new AddressSpace('pio', 0x10000);

  get unmappedReads(): number {
    return this.space.unmappedReads;
  }
  get unmappedWrites(): number {
    return this.space.unmappedWrites;
  }

  register(base: number, length: number, device: PioDevice, name: string): void {
    this.space.register(base, length, device, name);
  }
  mappings(): MappingInfo[] {
    return this.space.mappings();
  }
  /** `in`: bytes past 0xffff or without a device read as 0xff. */
  read(port: number, size: AccessSize): number {
    return this.space.read(port, size);
  }
  /** `out`: `value` may be signed (an int32 from Wasm); it is truncated to `size`. */
  write(port: number, size: AccessSize, value: number): void {
    this.space.write(port, size, value);
  }
}

/** Guest-physical MMIO space; addresses are numbers below 2^53. */
export class MmioBus {
  private readonly space = new AddressSpace('mmio', Number.MAX_SAFE_INTEGER);

  get unmappedReads(): number {
    return this.space.unmappedReads;
  }
  get unmappedWrites(): number {
    return this.space.unmappedWrites;
  }

  register(base: number, length: number, device: MmioDevice, name: string): void {
    this.space.register(base, length, device, name);
  }
  mappings(): MappingInfo[] {
    return this.space.mappings();
  }
  read(addr: number, size: AccessSize): number {
    return this.space.read(addr, size);
  }
  write(addr: number, size: AccessSize, value: number): void {
    this.space.write(addr, size, value);
  }
  /** An 8-byte access (`mov rax, [mmio]`): two dword accesses, low first. */
  read64(addr: number): bigint {
    const lo = this.space.read(addr, 4);
    const hi = this.space.read(addr + 4, 4);
    return (BigInt(hi) << 32n) | BigInt(lo);
  }
  write64(addr: number, value: bigint): void {
    this.space.write(addr, 4, Number(BigInt.asUintN(32, value)));
    this.space.write(addr + 4, 4, Number(BigInt.asUintN(32, value >> 32n)));
  }
}
