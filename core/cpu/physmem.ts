// Guest-physical memory as the memory slots describe it (KVM_SET_USER_MEMORY_REGION):
// each slot maps [gpa, gpa + size) to host bytes of the shared memory. An address in no
// slot is MMIO (the access exits to the VMM); a write to a KVM_MEM_READONLY slot is MMIO too.
import { MAX_MEMORY_SLOTS, VM_STATE, vmField } from './layout.ts';

export const KVM_MEM_LOG_DIRTY_PAGES = 1 << 0;
export const KVM_MEM_READONLY = 1 << 1;

export interface SlotView {
  readonly slot: number;
  readonly flags: number;
  readonly gpa: number;
  readonly size: number;
  readonly host: number;
}

export class PhysicalMemory {
  private slots: SlotView[] = [];
  /** The slot the last find() returned (accesses cluster in guest RAM). */
  private lastFound: SlotView | undefined;
  private generation = -1;
  u8: Uint8Array;
  private u32: Uint32Array;

  constructor(private readonly memory: WebAssembly.Memory) {
    this.u8 = new Uint8Array(memory.buffer);
    this.u32 = new Uint32Array(memory.buffer);
  }

  /** Re-reads the slot table when the VMM changed it; returns true when it did. */
  refresh(): boolean {
    // The VMM may have grown the shared memory for new RAM: views over the old buffer stop short.
    if (this.memory.buffer.byteLength !== this.u8.byteLength) {
      this.u8 = new Uint8Array(this.memory.buffer);
      this.u32 = new Uint32Array(this.memory.buffer);
    }
    const gen = Atomics.load(this.u32, vmField('slotGeneration') >>> 2);
    if (gen === this.generation) return false;
    this.generation = gen;
    const slots: SlotView[] = [];
    const num = (name: 'slotGpa' | 'slotSize' | 'slotHost', i: number): number => {
      const a = vmField(name, i) >>> 2;
      return this.u32[a] + this.u32[a + 1] * 0x1_0000_0000;
    };
    for (let i = 0; i < MAX_MEMORY_SLOTS; i++) {
      const size = num('slotSize', i);
      if (size === 0) continue;
      slots.push({ slot: i, flags: this.u32[vmField('slotFlags', i) >>> 2], gpa: num('slotGpa', i), size, host: num('slotHost', i) });
    }
    this.slots = slots;
    this.lastFound = undefined;
    return true;
  }

  /** The slot holding `gpa`, or undefined (MMIO). */
  find(gpa: number): SlotView | undefined {
    const last = this.lastFound;
    if (last !== undefined && gpa >= last.gpa && gpa < last.gpa + last.size) return last;
    for (const s of this.slots) {
      if (gpa >= s.gpa && gpa < s.gpa + s.size) {
        this.lastFound = s;
        return s;
      }
    }
    return undefined;
  }

  /** Host byte offset of `gpa` for a RAM access, or -1 when it is MMIO (or a write to ROM). */
  host(gpa: number, write: boolean): number {
    const s = this.find(gpa);
    if (s === undefined || (write && s.flags & KVM_MEM_READONLY)) return -1;
    return s.host + (gpa - s.gpa);
  }

  /** Little-endian read of RAM (page walks, descriptor tables); MMIO reads as all ones. */
  read(gpa: number, size: 1 | 2 | 4): number {
    // Page walks read every entry here: one slot lookup when the access lies in one slot.
    const slot = this.find(gpa);
    if (slot !== undefined && gpa + size <= slot.gpa + slot.size) {
      const h = slot.host + (gpa - slot.gpa);
      const u8 = this.u8;
      if (size === 1) return u8[h];
      if (size === 2) return u8[h] | (u8[h + 1] << 8);
      return (u8[h] | (u8[h + 1] << 8) | (u8[h + 2] << 16) | (u8[h + 3] << 24)) >>> 0;
    }
    let v = 0;
    for (let i = 0; i < size; i++) {
      const h = this.host(gpa + i, false);
      v += (h < 0 ? 0xff : this.u8[h]) * 2 ** (8 * i);
    }
    return v;
  }

  write(gpa: number, size: 1 | 2 | 4, value: number): void {
    for (let i = 0; i < size; i++) {
      const h = this.host(gpa + i, true);
      if (h >= 0) this.u8[h] = (value >>> (8 * i)) & 0xff;
    }
  }
}

export const SLOT_FIELDS = VM_STATE.fields;
