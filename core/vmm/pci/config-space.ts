// One function's 256-byte configuration space (PCI Local Bus Specification 3.0, 6.1) as
// three byte arrays, the shape QEMU's hw/pci/pci.c uses: the register contents, a write
// mask (1 = software may change the bit) and a write-1-to-clear mask. Every read-only
// field, the BAR flag bits and the hardwired-zero low address bits of a BAR fall out of
// the masks, so BAR sizing (write all ones, read back) needs no special case.
//
// Offsets and sizes come from a bus adapter that already checked them; the init helpers
// (set8/16/32, setWritable, addCapability) are for the device model, which ignores masks.

import {
  PCI_CAP_LIST_NEXT,
  PCI_CAPABILITY_LIST,
  PCI_CAPABILITY_START,
  PCI_CONFIG_SPACE_SIZE,
  PCI_STATUS,
  PCI_STATUS_CAP_LIST,
} from './regs.ts';

export class PciConfigSpace {
  private readonly bytes = new Uint8Array(PCI_CONFIG_SPACE_SIZE);
  private readonly wmask = new Uint8Array(PCI_CONFIG_SPACE_SIZE);
  private readonly w1cmask = new Uint8Array(PCI_CONFIG_SPACE_SIZE);
  private nextFree = PCI_CAPABILITY_START;
  private lastCapability = 0;

  /** Guest read: `size` bytes little-endian from `offset` (offset + size <= 256). */
  read(offset: number, size: number): number {
    let value = 0;
    for (let i = size - 1; i >= 0; i--) value = value * 256 + this.bytes[offset + i];
    return value;
  }

  /** Guest write: bits outside the write mask keep their value; W1C bits written as 1 clear. */
  write(offset: number, size: number, value: number): void {
    for (let i = 0; i < size; i++) {
      const at = offset + i;
      const v = Math.floor(value / 2 ** (8 * i)) & 0xff;
      const kept = this.bytes[at] & ~this.wmask[at];
      this.bytes[at] = (kept | (v & this.wmask[at])) & ~(v & this.w1cmask[at]);
    }
  }

  get8(offset: number): number {
    return this.bytes[offset];
  }
  get16(offset: number): number {
    return this.read(offset, 2);
  }
  get32(offset: number): number {
    return this.read(offset, 4);
  }

  /** Device-side store, ignoring the masks (power-on values, read-only status bits). */
  set8(offset: number, value: number): void {
    this.bytes[offset] = value;
  }
  set16(offset: number, value: number): void {
    this.bytes[offset] = value & 0xff;
    this.bytes[offset + 1] = (value >>> 8) & 0xff;
  }
  set32(offset: number, value: number): void {
    for (let i = 0; i < 4; i++) this.bytes[offset + i] = (value >>> (8 * i)) & 0xff;
  }

  /** Which bits of the `size`-byte field at `offset` the guest may write. */
  setWritable(offset: number, size: number, mask: number): void {
    for (let i = 0; i < size; i++) this.wmask[offset + i] = Math.floor(mask / 2 ** (8 * i)) & 0xff;
  }

  /** Which bits of the field are write-1-to-clear (status error bits, 6.2.3). */
  setWriteOneToClear(offset: number, size: number, mask: number): void {
    for (let i = 0; i < size; i++) this.w1cmask[offset + i] = Math.floor(mask / 2 ** (8 * i)) & 0xff;
  }

  /**
   * Appends a capability of `length` bytes (including its ID and next-pointer bytes) to the
   * list at 0x34 and returns its offset. Capabilities are dword aligned in 0x40-0xff and the
   * last one's next pointer is 0 (6.7). Running out of room is a device-model bug.
   */
  addCapability(id: number, length: number): number {
    if (length < 2) throw new RangeError(`pci: capability 0x${id.toString(16)} length ${length}`);
    const offset = this.nextFree;
    if (offset + length > PCI_CONFIG_SPACE_SIZE) {
      throw new RangeError(`pci: no room for capability 0x${id.toString(16)} (${length} bytes)`);
    }
    this.bytes[offset] = id;
    this.bytes[offset + PCI_CAP_LIST_NEXT] = 0;
    if (this.lastCapability === 0) this.bytes[PCI_CAPABILITY_LIST] = offset;
    else this.bytes[this.lastCapability + PCI_CAP_LIST_NEXT] = offset;
    this.lastCapability = offset;
    this.nextFree = (offset + length + 3) & ~3;
    this.set16(PCI_STATUS, this.get16(PCI_STATUS) | PCI_STATUS_CAP_LIST);
    return offset;
  }

  /** A copy of the register contents (for power-on reset and snapshots). */
  snapshot(): Uint8Array {
    return this.bytes.slice();
  }

  /** Restores register contents taken by `snapshot()`; the masks never change after setup. */
  restore(bytes: Uint8Array): void {
    this.bytes.set(bytes);
  }
}
