// PCI bus 0 behind a host bridge, as the CPU sees it:
//  - configuration mechanism #1 (PCI Local Bus Specification 3.0, 3.2.2.3.2): CONFIG_ADDRESS,
//    a dword register at 0xCF8, selects bus/device/function/register; CONFIG_DATA at
//    0xCFC-0xCFF carries the byte, word or dword access to that register;
//  - the BARs the functions decode, reached through address windows the machine maps
//    on its buses (`ioWindow`, `mmioWindow`): the host bridge forwards the window to PCI
//    and a function claims the cycle when its BAR matches (positive decode, 3.2.2);
//  - INTx#: each function's pin is routed by the platform to an interrupt line; functions
//    sharing a line are wire-ORed, as open-drain INTx# signals are (2.2.6).
//
// Nothing the guest does throws: a cycle no function claims ends in master abort, which
// reads all ones and drops writes (3.2.2.3.2, 6.1), and bumps a counter.

import type { AccessSize, IrqLine, MmioDevice, PioDevice } from '../bus.ts';
import type { DecodedBar, PciFunction } from './function.ts';
import {
  PCI_BASE_ADDRESS_0,
  PCI_COMMAND,
  PCI_COMMAND_IO,
  PCI_COMMAND_MEMORY,
  PCI_CONFIG_ADDRESS_MASK,
  PCI_CONFIG_ENABLE,
  PCI_CONFIG_SPACE_SIZE,
  PCI_DEVICES_PER_BUS,
  PCI_FUNCTIONS_PER_DEVICE,
  PCI_INTERRUPT_LINE,
  PCI_INTERRUPT_PIN_A,
} from './regs.ts';

/** Where the platform wires a function's INTx# pin, and the number firmware writes to Interrupt Line. */
export interface IntxRoute {
  readonly line: IrqLine;
  /** The ISA IRQ / GSI the OS should use (PCI_INTERRUPT_LINE, 6.2.4). */
  readonly irq: number;
}

/** The platform's interrupt routing: device number and pin (1 = INTA#) to a line. */
export type IntxRouter = (device: number, pin: number) => IntxRoute;

/** Address ranges firmware hands out to BARs (`assignResources`). */
export interface PciResourceWindows {
  readonly io: { readonly base: number; readonly limit: number }; // limit exclusive
  readonly mem: { readonly base: number; readonly limit: number };
}

export interface PciHostMetrics {
  /** Configuration cycles to a bus, device or function that does not exist. */
  configMasterAborts: number;
  /** I/O or memory cycles in a window that no BAR claims (or that straddle a BAR's end). */
  ioMasterAborts: number;
  memMasterAborts: number;
  /** Accesses to 0xCF8-0xCFB other than a dword at 0xCF8 that no pass-through device took. */
  configAddressIgnored: number;
}

export interface PciHostOptions {
  readonly route: IntxRouter;
  /**
   * Byte accesses to 0xCF9 are not configuration cycles (3.2.2.3.2: only a dword access
   * to 0xCF8 reaches CONFIG_ADDRESS); on a PIIX they reach the Reset Control Register.
   */
  readonly resetControl?: PioDevice;
}

/** Open-drain sharing of one interrupt line: asserted while any source asserts (2.2.6). */
class WireOr {
  private readonly asserted = new Set<object>();
  constructor(private readonly line: IrqLine) {}
  set(source: object, level: boolean): void {
    const before = this.asserted.size > 0;
    if (level) this.asserted.add(source);
    else this.asserted.delete(source);
    const after = this.asserted.size > 0;
    if (before !== after) this.line.setLevel(after);
  }
}

interface Slot {
  readonly device: number;
  readonly fn: number;
  readonly func: PciFunction;
  readonly irq: number | undefined;
}

/** ECAM: 4 KiB of configuration space per function, 1 MiB per bus (PCIe Base 4.0, 7.2.2). */
export const PCIE_ECAM_FUNCTION_SIZE = 0x1000;
export const PCIE_ECAM_BUS_SIZE = 0x100000;

function allOnes(size: AccessSize): number {
  return size === 4 ? 0xffffffff : size === 2 ? 0xffff : 0xff;
}

/**
 * A BAR access wider than the region implements (`maxAccessSize`) becomes little-endian
 * pieces at consecutive offsets, as the buses split them (bus.ts; QEMU
 * access_with_adjusted_size), so a byte-wide device answers a dword read with four bytes.
 */
function regionRead(region: PioDevice, offset: number, size: AccessSize): number {
  const max = region.maxAccessSize ?? 4;
  if (size <= max) return region.read(offset, size);
  let value = 0;
  for (let i = 0; i < size; i += max) value += region.read(offset + i, max) * 2 ** (8 * i);
  return value;
}

function regionWrite(region: PioDevice, offset: number, size: AccessSize, value: number): void {
  const max = region.maxAccessSize ?? 4;
  if (size <= max) return region.write(offset, size, value);
  for (let i = 0; i < size; i += max)
    region.write(offset + i, max, Math.floor(value / 2 ** (8 * i)) % 2 ** (8 * max));
}

export class PciHost {
  private configAddress = 0;
  /**
   * Bits 1:0 of the last CONFIG_ADDRESS write. They read back as 0, but QEMU's host bridge
   * (hw/pci/pci_host.c: config_reg | (addr & 3)) ORs them into the register number of the
   * data access, and kvm-unit-tests' pci_config_readw(dev, 2) + inw(0xCFC) relies on it.
   */
  private configLowBits = 0;
  private readonly slots = new Map<number, Slot>(); // key: device << 3 | function
  private readonly wires = new Map<IrqLine, WireOr>();
  private decoded: DecodedBar[] = [];
  private decodeStale = true;
  private firmware: PciResourceWindows | undefined;
  readonly metrics: PciHostMetrics = {
    configMasterAborts: 0,
    ioMasterAborts: 0,
    memMasterAborts: 0,
    configAddressIgnored: 0,
  };

  constructor(private readonly options: PciHostOptions) {}

  /** Plugs `func` in as device `device`, function `fn` of bus 0. A clash is a host bug. */
  attach(device: number, fn: number, func: PciFunction): void {
    if (!Number.isInteger(device) || device < 0 || device >= PCI_DEVICES_PER_BUS) {
      throw new RangeError(`pci: device ${device}`);
    }
    if (!Number.isInteger(fn) || fn < 0 || fn >= PCI_FUNCTIONS_PER_DEVICE)
      throw new RangeError(`pci: function ${fn}`);
    const key = (device << 3) | fn;
    if (this.slots.has(key)) throw new Error(`pci: 00:${device.toString(16)}.${fn} is taken`);
    let irq: number | undefined;
    const pin = func.interruptPin;
    if (pin >= PCI_INTERRUPT_PIN_A) {
      const route = this.options.route(device, pin);
      irq = route.irq;
      let wire = this.wires.get(route.line);
      if (wire === undefined) {
        wire = new WireOr(route.line);
        this.wires.set(route.line, wire);
      }
      const w = wire;
      func.onIntxChange = (asserted) => w.set(func, asserted);
    }
    func.onDecodeChange = () => {
      this.decodeStale = true;
    };
    func.capturePowerOnState();
    this.slots.set(key, { device, fn, func, irq });
    this.initSlot(this.slots.get(key) as Slot);
  }

  /** The function at `device`.`fn` of bus 0, if any. */
  functionAt(device: number, fn: number): PciFunction | undefined {
    return this.slots.get((device << 3) | fn)?.func;
  }

  /** CONFIG_ADDRESS at 0xCF8 (4 ports). */
  readonly configAddressPort: PioDevice = {
    read: (offset, size) => {
      if (offset === 0 && size === 4) return this.configAddress;
      return this.passThroughRead(offset, size);
    },
    write: (offset, size, value) => {
      if (offset === 0 && size === 4) {
        this.configAddress = (value & PCI_CONFIG_ADDRESS_MASK) >>> 0;
        this.configLowBits = value & 3;
      } else this.passThroughWrite(offset, size, value);
    },
  };

  /** CONFIG_DATA at 0xCFC (4 ports): the byte lanes of the selected dword. */
  readonly configDataPort: PioDevice = {
    read: (offset, size) => {
      const target = this.configTarget(offset);
      if (target === undefined) return allOnes(size);
      return target.func.readConfig(target.register, size);
    },
    write: (offset, size, value) => {
      const target = this.configTarget(offset);
      if (target !== undefined) target.func.writeConfig(target.register, size, value);
    },
  };

  /**
   * The Enhanced Configuration Access Mechanism as an MMIO device (PCI Express Base
   * Specification 4.0, 7.2.2, Table 7-1): address bits 27:20 select the bus, 19:15 the
   * device, 14:12 the function and 11:0 the register, so each function has a 4 KiB page.
   * Only bus 0 exists. A function here is conventional PCI with 256 bytes of configuration
   * space; its extended registers (256-4095) and absent functions read all ones and drop
   * writes, as QEMU's pcie_mmcfg_data_read/write do for a conventional device. An access
   * that is not naturally aligned, or wider than a dword, is unsupported (7.2.2.1) and is
   * dropped the same way.
   */
  ecamWindow(): MmioDevice {
    return {
      read: (offset, size) => {
        const target = this.ecamTarget(offset, size);
        return target === undefined ? allOnes(size) : target.func.readConfig(target.register, size);
      },
      write: (offset, size, value) => {
        const target = this.ecamTarget(offset, size);
        if (target !== undefined) target.func.writeConfig(target.register, size, value);
      },
    };
  }

  private ecamTarget(offset: number, size: AccessSize): { func: PciFunction; register: number } | undefined {
    const bus = Math.floor(offset / PCIE_ECAM_BUS_SIZE);
    const key = Math.floor(offset / PCIE_ECAM_FUNCTION_SIZE) & 0xff; // device << 3 | function
    const register = offset & (PCIE_ECAM_FUNCTION_SIZE - 1);
    const slot = bus === 0 ? this.slots.get(key) : undefined;
    if (slot === undefined || register % size !== 0 || register + size > PCI_CONFIG_SPACE_SIZE) {
      this.metrics.configMasterAborts++;
      return undefined;
    }
    return { func: slot.func, register };
  }

  /** The PCI I/O window as a port-bus device registered at port `base`. */
  ioWindow(base: number): PioDevice {
    return {
      read: (offset, size) => this.cycleRead('io', base + offset, size),
      write: (offset, size, value) => this.cycleWrite('io', base + offset, size, value),
    };
  }

  /** The PCI memory window as an MMIO device registered at guest-physical `base`. */
  mmioWindow(base: number): MmioDevice {
    return {
      read: (offset, size) => this.cycleRead('mem32', base + offset, size),
      write: (offset, size, value) => this.cycleWrite('mem32', base + offset, size, value),
    };
  }

  /**
   * Does what PC firmware does before the OS starts (kvmtool and Firecracker do it in the
   * VMM): each BAR gets a naturally aligned address from the windows, largest first, and
   * the function's I/O and memory decode is enabled. Repeated after every `reset()`.
   * Running out of window space is a machine-configuration bug and throws.
   */
  assignResources(windows: PciResourceWindows): void {
    this.firmware = windows;
    const requests: { slot: Slot; index: number; kind: 'io' | 'mem32'; size: number }[] = [];
    for (const slot of this.sortedSlots()) {
      for (let index = 0; index < 6; index++) {
        const bar = slot.func.barSpec(index);
        if (bar !== undefined) requests.push({ slot, index, kind: bar.kind, size: bar.size });
      }
    }
    requests.sort((a, b) => b.size - a.size); // largest first keeps natural alignment dense
    const next = { io: windows.io.base, mem32: windows.mem.base };
    const limit = { io: windows.io.limit, mem32: windows.mem.limit };
    for (const r of requests) {
      const base = Math.ceil(next[r.kind] / r.size) * r.size;
      if (base + r.size > limit[r.kind])
        throw new RangeError(`pci: ${r.kind} window too small for BAR ${r.index}`);
      next[r.kind] = base + r.size;
      r.slot.func.writeConfig(PCI_BASE_ADDRESS_0 + 4 * r.index, 4, base);
      const enable = r.kind === 'io' ? PCI_COMMAND_IO : PCI_COMMAND_MEMORY;
      r.slot.func.writeConfig(PCI_COMMAND, 2, r.slot.func.command | enable);
    }
  }

  /** Platform reset (RST#): every function to power-on state, then firmware setup again. */
  reset(): void {
    this.configAddress = 0;
    this.configLowBits = 0;
    for (const slot of this.slots.values()) {
      slot.func.reset();
      this.initSlot(slot);
    }
    if (this.firmware !== undefined) this.assignResources(this.firmware);
  }

  /** The BARs decoded now, lowest address first within each space (for the UI and tests). */
  decodedBars(): DecodedBar[] {
    return [...this.currentDecode()];
  }

  private initSlot(slot: Slot): void {
    // Firmware tells the OS which IRQ the pin reaches (6.2.4, "Interrupt Line").
    if (slot.irq !== undefined) slot.func.writeConfig(PCI_INTERRUPT_LINE, 1, slot.irq);
  }

  private sortedSlots(): Slot[] {
    return [...this.slots.entries()].sort((a, b) => a[0] - b[0]).map(([, s]) => s);
  }

  private configTarget(dataOffset: number): { func: PciFunction; register: number } | undefined {
    const address = this.configAddress;
    if ((address & PCI_CONFIG_ENABLE) === 0) {
      // With the enable bit clear, CONFIG_DATA is an ordinary I/O port nobody claims.
      this.metrics.configMasterAborts++;
      return undefined;
    }
    const bus = (address >>> 16) & 0xff;
    const key = (address >>> 8) & 0xff; // device << 3 | function
    const slot = bus === 0 ? this.slots.get(key) : undefined;
    const register = (address & 0xfc) | this.configLowBits | dataOffset;
    if (slot === undefined || register >= PCI_CONFIG_SPACE_SIZE) {
      this.metrics.configMasterAborts++;
      return undefined;
    }
    return { func: slot.func, register };
  }

  private passThroughRead(offset: number, size: AccessSize): number {
    const rc = this.options.resetControl;
    if (rc !== undefined && offset === 1 && size === 1) return rc.read(0, 1);
    this.metrics.configAddressIgnored++;
    return allOnes(size);
  }

  private passThroughWrite(offset: number, size: AccessSize, value: number): void {
    const rc = this.options.resetControl;
    if (rc !== undefined && offset === 1 && size === 1) rc.write(0, 1, value);
    else this.metrics.configAddressIgnored++;
  }

  private currentDecode(): DecodedBar[] {
    if (this.decodeStale) {
      this.decoded = this.sortedSlots().flatMap((s) => s.func.decodedBars());
      this.decoded.sort((a, b) => a.base - b.base);
      this.decodeStale = false;
    }
    return this.decoded;
  }

  /** The BAR wholly containing [addr, addr + size) in `kind` space; first match if BARs overlap. */
  private claim(kind: 'io' | 'mem32', addr: number, size: number): DecodedBar | undefined {
    for (const bar of this.currentDecode()) {
      if (bar.kind === kind && addr >= bar.base && addr + size <= bar.base + bar.size) return bar;
    }
    return undefined;
  }

  private cycleRead(kind: 'io' | 'mem32', addr: number, size: AccessSize): number {
    const bar = this.claim(kind, addr, size);
    if (bar === undefined) {
      this.countAbort(kind);
      return allOnes(size);
    }
    return regionRead(bar.region, addr - bar.base, size);
  }

  private cycleWrite(kind: 'io' | 'mem32', addr: number, size: AccessSize, value: number): void {
    const bar = this.claim(kind, addr, size);
    if (bar === undefined) this.countAbort(kind);
    else regionWrite(bar.region, addr - bar.base, size, value);
  }

  private countAbort(kind: 'io' | 'mem32'): void {
    if (kind === 'io') this.metrics.ioMasterAborts++;
    else this.metrics.memMasterAborts++;
  }
}
