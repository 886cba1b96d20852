// A PCI function with a type 0 header (PCI Local Bus Specification 3.0, 6.1-6.2): identity
// registers, up to six I/O or 32-bit memory BARs, the command register's decode enables,
// and one INTx# pin. Device models (the host bridge, the virtio transport) build on it;
// `PciHost` reaches it only through `readConfig`/`writeConfig` and the two hooks below.

import type { PioDevice } from '../bus.ts';
import { PciConfigSpace } from './config-space.ts';
import {
  PCI_BAR_MIN_IO_SIZE,
  PCI_BAR_MIN_MEM_SIZE,
  PCI_BASE_ADDRESS_0,
  PCI_BASE_ADDRESS_IO_MASK,
  PCI_BASE_ADDRESS_MEM_MASK,
  PCI_BASE_ADDRESS_MEM_PREFETCH,
  PCI_BASE_ADDRESS_MEM_TYPE_32,
  PCI_BASE_ADDRESS_SPACE_IO,
  PCI_CACHE_LINE_SIZE,
  PCI_CLASS_PROG,
  PCI_COMMAND,
  PCI_COMMAND_INTX_DISABLE,
  PCI_COMMAND_IO,
  PCI_COMMAND_MASTER,
  PCI_COMMAND_MEMORY,
  PCI_COMMAND_PARITY,
  PCI_COMMAND_SERR,
  PCI_DEVICE_ID,
  PCI_HEADER_TYPE,
  PCI_HEADER_TYPE_MULTI_FUNCTION,
  PCI_HEADER_TYPE_NORMAL,
  PCI_INTERRUPT_LINE,
  PCI_INTERRUPT_PIN,
  PCI_INTERRUPT_PIN_D,
  PCI_INTERRUPT_PIN_NONE,
  PCI_NUM_BARS,
  PCI_REVISION_ID,
  PCI_STATUS,
  PCI_STATUS_INTERRUPT,
  PCI_STATUS_W1C,
  PCI_SUBSYSTEM_ID,
  PCI_SUBSYSTEM_VENDOR_ID,
  PCI_VENDOR_ID,
} from './regs.ts';

export type PciBarKind = 'io' | 'mem32';

/** One BAR as the device model declares it; `region` gets offsets from the BAR's base. */
export interface PciBarSpec {
  readonly kind: PciBarKind;
  /** A power of two: at least 4 for I/O, 16 for memory (6.2.5.1). */
  readonly size: number;
  readonly prefetchable?: boolean;
  readonly region: PioDevice;
}

/** A BAR the function currently decodes: enabled in the command register and assigned. */
export interface DecodedBar {
  readonly index: number;
  readonly kind: PciBarKind;
  readonly base: number;
  readonly size: number;
  readonly region: PioDevice;
}

export interface PciFunctionIdentity {
  readonly vendorId: number;
  readonly deviceId: number;
  readonly revision: number;
  /** Base class << 16 | subclass << 8 | programming interface. */
  readonly classCode: number;
  readonly subsystemVendorId?: number;
  readonly subsystemId?: number;
  /** Header type bit 7 on function 0 of a multi-function device (6.2.1). */
  readonly multiFunction?: boolean;
  /** 0 = no interrupt, 1-4 = INTA#-INTD# (6.2.4). */
  readonly interruptPin?: number;
}

/**
 * Command bits a guest may set (6.2.2). Special cycles, memory write and invalidate, VGA
 * snoop and fast back-to-back are hardwired to 0, as QEMU's pci_init_wmask() leaves them.
 */
const COMMAND_WRITABLE =
  PCI_COMMAND_IO |
  PCI_COMMAND_MEMORY |
  PCI_COMMAND_MASTER |
  PCI_COMMAND_PARITY |
  PCI_COMMAND_SERR |
  PCI_COMMAND_INTX_DISABLE;

const BAR_END = PCI_BASE_ADDRESS_0 + 4 * PCI_NUM_BARS;
const IO_SPACE_END = 0x10000; // x86 I/O space (SDM Vol. 1, "I/O Address Space")
const MEM32_SPACE_END = 2 ** 32;

function isPowerOfTwo(n: number): boolean {
  return Number.isSafeInteger(n) && n > 0 && (n & (n - 1)) === 0;
}

function overlaps(offset: number, size: number, start: number, end: number): boolean {
  return offset < end && start < offset + size;
}

export class PciFunction {
  readonly config = new PciConfigSpace();
  private readonly bars: readonly (PciBarSpec | undefined)[];
  private powerOn: Uint8Array | undefined;
  private intxLevel = false;
  private intxOutput = false;

  /** Set by the host: the BARs this function decodes may have changed. */
  onDecodeChange: () => void = () => {};
  /** Set by the host: the function's INTx# output changed (after the Interrupt Disable bit). */
  onIntxChange: (asserted: boolean) => void = () => {};

  constructor(id: PciFunctionIdentity, bars: readonly (PciBarSpec | undefined)[] = []) {
    if (bars.length > PCI_NUM_BARS) throw new RangeError(`pci: ${bars.length} BARs`);
    const pin = id.interruptPin ?? PCI_INTERRUPT_PIN_NONE;
    if (!Number.isInteger(pin) || pin < PCI_INTERRUPT_PIN_NONE || pin > PCI_INTERRUPT_PIN_D) {
      throw new RangeError(`pci: interrupt pin ${pin}`);
    }
    this.bars = bars;
    const c = this.config;
    c.set16(PCI_VENDOR_ID, id.vendorId);
    c.set16(PCI_DEVICE_ID, id.deviceId);
    c.set8(PCI_REVISION_ID, id.revision);
    c.set8(PCI_CLASS_PROG, id.classCode & 0xff);
    c.set16(PCI_CLASS_PROG + 1, id.classCode >>> 8);
    c.set8(PCI_HEADER_TYPE, PCI_HEADER_TYPE_NORMAL | (id.multiFunction ? PCI_HEADER_TYPE_MULTI_FUNCTION : 0));
    c.set16(PCI_SUBSYSTEM_VENDOR_ID, id.subsystemVendorId ?? 0);
    c.set16(PCI_SUBSYSTEM_ID, id.subsystemId ?? 0);
    c.set8(PCI_INTERRUPT_PIN, pin);
    c.setWritable(PCI_COMMAND, 2, COMMAND_WRITABLE);
    c.setWriteOneToClear(PCI_STATUS, 2, PCI_STATUS_W1C);
    c.setWritable(PCI_CACHE_LINE_SIZE, 1, 0xff);
    // Interrupt Line is a scratch register for the OS and firmware (6.2.4).
    if (pin !== PCI_INTERRUPT_PIN_NONE) c.setWritable(PCI_INTERRUPT_LINE, 1, 0xff);
    bars.forEach((bar, i) => {
      if (bar !== undefined) this.declareBar(i, bar);
    });
  }

  /** INTx# pin: 0 for none, 1-4 for INTA#-INTD#. */
  get interruptPin(): number {
    return this.config.get8(PCI_INTERRUPT_PIN);
  }

  /** Configuration read by the host; offset + size <= 256. Subclasses may intercept ranges. */
  readConfig(offset: number, size: number): number {
    return this.config.read(offset, size);
  }

  /** Configuration write by the host; offset + size <= 256. */
  writeConfig(offset: number, size: number, value: number): void {
    this.config.write(offset, size, value);
    if (
      overlaps(offset, size, PCI_COMMAND, PCI_COMMAND + 2) ||
      overlaps(offset, size, PCI_BASE_ADDRESS_0, BAR_END)
    ) {
      this.onDecodeChange();
    }
    if (overlaps(offset, size, PCI_COMMAND, PCI_COMMAND + 2)) this.updateIntx();
  }

  get command(): number {
    return this.config.get16(PCI_COMMAND);
  }

  /** Bus master enable: a device must not start DMA without it (6.2.2, bit 2). */
  get busMaster(): boolean {
    return (this.command & PCI_COMMAND_MASTER) !== 0;
  }

  barSpec(index: number): PciBarSpec | undefined {
    return this.bars[index];
  }

  /** The address programmed in BAR `index`, without the flag bits. */
  barAddress(index: number): number {
    const raw = this.config.get32(PCI_BASE_ADDRESS_0 + 4 * index);
    const bar = this.bars[index];
    if (bar === undefined) return 0;
    return (raw & (bar.kind === 'io' ? PCI_BASE_ADDRESS_IO_MASK : PCI_BASE_ADDRESS_MEM_MASK)) >>> 0;
  }

  /**
   * The BARs this function answers now: the command register enables the space and the
   * BAR holds an address that is not 0 (unassigned, as Linux and QEMU treat it) and does
   * not run past the end of its address space (the all-ones sizing pattern).
   */
  decodedBars(): DecodedBar[] {
    const out: DecodedBar[] = [];
    const command = this.command;
    this.bars.forEach((bar, index) => {
      if (bar === undefined) return;
      const enabled = bar.kind === 'io' ? command & PCI_COMMAND_IO : command & PCI_COMMAND_MEMORY;
      const base = this.barAddress(index);
      const end = bar.kind === 'io' ? IO_SPACE_END : MEM32_SPACE_END;
      if (enabled && base !== 0 && base + bar.size <= end) {
        out.push({ index, kind: bar.kind, base, size: bar.size, region: bar.region });
      }
    });
    return out;
  }

  /** The device drives its INTx# request (a level); the pin follows it unless INTx is disabled. */
  setIntx(level: boolean): void {
    this.intxLevel = level;
    const status = this.config.get16(PCI_STATUS);
    this.config.set16(PCI_STATUS, level ? status | PCI_STATUS_INTERRUPT : status & ~PCI_STATUS_INTERRUPT);
    this.updateIntx();
  }

  /** Whether INTx# is asserted on the wire now. */
  get intxAsserted(): boolean {
    return this.intxOutput;
  }

  /** Called by the host once the device model is complete: the image `reset()` returns to. */
  capturePowerOnState(): void {
    this.powerOn = this.config.snapshot();
  }

  /** PCI RST#: registers return to their power-on values and INTx# is released (6.2). */
  reset(): void {
    if (this.powerOn !== undefined) this.config.restore(this.powerOn);
    this.setIntx(false);
    this.onDecodeChange();
  }

  private declareBar(index: number, bar: PciBarSpec): void {
    const min = bar.kind === 'io' ? PCI_BAR_MIN_IO_SIZE : PCI_BAR_MIN_MEM_SIZE;
    if (!isPowerOfTwo(bar.size) || bar.size < min || bar.size > 2 ** 31) {
      throw new RangeError(`pci: BAR ${index} ${bar.kind} size ${bar.size}`);
    }
    const offset = PCI_BASE_ADDRESS_0 + 4 * index;
    // Bits below the size are hardwired: address bits read 0, the low bits are the type
    // (6.2.5.1 "Address Maps"); everything above is writable, so all ones reads ~(size-1).
    const flags =
      bar.kind === 'io'
        ? PCI_BASE_ADDRESS_SPACE_IO
        : PCI_BASE_ADDRESS_MEM_TYPE_32 | (bar.prefetchable ? PCI_BASE_ADDRESS_MEM_PREFETCH : 0);
    this.config.set32(offset, flags);
    this.config.setWritable(offset, 4, ~(bar.size - 1) >>> 0);
  }

  private updateIntx(): void {
    const asserted =
      this.intxLevel && (this.command & PCI_COMMAND_INTX_DISABLE) === 0 && this.interruptPin !== 0;
    if (asserted === this.intxOutput) return;
    this.intxOutput = asserted;
    this.onIntxChange(asserted);
  }
}
