// The VM-wide part of the shared memory: creating it, the memory slot table
// (KVM_SET_USER_MEMORY_REGION) and the guest RAM allocator (the "mmap" of a VMM).
import { GUEST_RAM_BASE, MAX_MEMORY_SLOTS, MAX_VCPUS, VM_STATE, WASM_PAGE, vmField } from '../cpu/layout.ts';
import { KVM_MEM_LOG_DIRTY_PAGES, KVM_MEM_READONLY } from '../cpu/physmem.ts';
import type { KvmUserspaceMemoryRegion } from './types.ts';

const MAGIC = 0x4d564b57; // "WKVM"
/** A shared WebAssembly.Memory can reach 4 GiB (65,536 pages) without Memory64. */
const MAX_PAGES = 65536;

export type MemoryRegionError =
  | { kind: 'bad-slot'; slot: number }
  | { kind: 'unaligned'; what: string }
  | { kind: 'overlap'; slot: number; other: number }
  | { kind: 'bad-flags'; flags: number }
  | { kind: 'outside-allocation' };

export class GuestMemory {
  readonly memory: WebAssembly.Memory;

  constructor(memory?: WebAssembly.Memory) {
    this.memory = memory ?? new WebAssembly.Memory({ initial: GUEST_RAM_BASE / WASM_PAGE, maximum: MAX_PAGES, shared: true });
    const u32 = new Uint32Array(this.memory.buffer);
    if (u32[vmField('magic') >>> 2] !== MAGIC) {
      u32[vmField('magic') >>> 2] = MAGIC;
      u32[vmField('ramAllocTop') >>> 2] = GUEST_RAM_BASE;
    }
  }

  private get u32(): Uint32Array {
    return new Uint32Array(this.memory.buffer);
  }

  /**
   * Reserves `size` bytes of backing store for guest RAM (like the VMM's mmap) and returns
   * the "userspace address": its offset in the shared memory. The memory grows as needed.
   */
  allocate(size: number): number {
    const u32 = this.u32;
    const top = u32[vmField('ramAllocTop') >>> 2];
    const aligned = Math.ceil(size / WASM_PAGE) * WASM_PAGE;
    const end = top + aligned;
    if (end > MAX_PAGES * WASM_PAGE) throw new RangeError(`guest memory of ${size} bytes does not fit in a 4 GiB shared memory`);
    const have = this.memory.buffer.byteLength;
    if (end > have) this.memory.grow((end - have) / WASM_PAGE);
    new Uint32Array(this.memory.buffer)[vmField('ramAllocTop') >>> 2] = end;
    return top;
  }

  /** KVM_SET_USER_MEMORY_REGION: create, move, resize or (memorySize 0) delete a slot. */
  setUserMemoryRegion(r: KvmUserspaceMemoryRegion): MemoryRegionError | undefined {
    if (r.slot < 0 || r.slot >= MAX_MEMORY_SLOTS) return { kind: 'bad-slot', slot: r.slot };
    if (r.flags & ~(KVM_MEM_LOG_DIRTY_PAGES | KVM_MEM_READONLY)) return { kind: 'bad-flags', flags: r.flags };
    for (const [what, v] of [['guestPhysAddr', r.guestPhysAddr], ['memorySize', r.memorySize], ['userspaceAddr', r.userspaceAddr]] as const)
      if (v % 4096 !== 0) return { kind: 'unaligned', what };
    const u32 = this.u32;
    const num = (name: 'slotGpa' | 'slotSize', i: number): number => {
      const a = vmField(name, i) >>> 2;
      return u32[a] + u32[a + 1] * 0x1_0000_0000;
    };
    if (r.memorySize > 0) {
      if (r.userspaceAddr < GUEST_RAM_BASE || r.userspaceAddr + r.memorySize > u32[vmField('ramAllocTop') >>> 2])
        return { kind: 'outside-allocation' };
      for (let i = 0; i < MAX_MEMORY_SLOTS; i++) {
        if (i === r.slot || num('slotSize', i) === 0) continue;
        const g = num('slotGpa', i);
        if (r.guestPhysAddr < g + num('slotSize', i) && g < r.guestPhysAddr + r.memorySize) return { kind: 'overlap', slot: r.slot, other: i };
      }
    }
    const set = (name: 'slotGpa' | 'slotSize' | 'slotHost', v: number): void => {
      const a = vmField(name, r.slot) >>> 2;
      u32[a] = v >>> 0;
      u32[a + 1] = Math.floor(v / 0x1_0000_0000);
    };
    u32[vmField('slotFlags', r.slot) >>> 2] = r.flags;
    set('slotGpa', r.guestPhysAddr);
    set('slotHost', r.userspaceAddr);
    set('slotSize', r.memorySize);
    Atomics.add(u32, vmField('slotGeneration') >>> 2, 1);
    return undefined;
  }

  /** Bytes of guest-physical memory (RAM slots only) for loaders: a view into the shared memory. */
  view(gpa: number, length: number): Uint8Array {
    const u32 = this.u32;
    for (let i = 0; i < MAX_MEMORY_SLOTS; i++) {
      const a = (name: 'slotGpa' | 'slotSize' | 'slotHost'): number => {
        const x = vmField(name, i) >>> 2;
        return u32[x] + u32[x + 1] * 0x1_0000_0000;
      };
      const size = a('slotSize');
      const g = a('slotGpa');
      if (size > 0 && gpa >= g && gpa + length <= g + size) return new Uint8Array(this.memory.buffer, a('slotHost') + (gpa - g), length);
    }
    throw new RangeError(`guest-physical range 0x${gpa.toString(16)}+${length} is not inside one RAM slot`);
  }
}

export const VM_LIMITS = { maxVcpus: MAX_VCPUS, maxMemorySlots: MAX_MEMORY_SLOTS, vmStateSize: VM_STATE.size };
