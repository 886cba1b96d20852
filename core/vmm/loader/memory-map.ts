// The physical memory map a multiboot kernel is told about (Multiboot 0.6.96 §3.3,
// mem_lower / mem_upper / mmap_*), shaped like the one a QEMU guest gets.
//
// Under `qemu -kernel`, QEMU's multiboot option ROM (pc-bios/optionrom/multiboot.S) asks the
// BIOS: mem_lower = int 0x12, the mmap = the int 0x15/E820 list, mem_upper = the usable RAM
// that runs contiguously from 1 MiB. QEMU's own e820 table (hw/i386/pc.c) has one RAM
// entry; SeaBIOS splits it. Recorded from qemu-system-i386 7.2 + SeaBIOS 1.16.2 (-m 128):
//   0x0        - 0x9fc00     usable    (conventional memory up to the EBDA)
//   0x9fc00    - 0xa0000     reserved  (EBDA, 1 KiB)
//   0xf0000    - 0x100000    reserved  (BIOS ROM)
//   0x100000   - 0x7fe0000   usable
//   0x7fe0000  - 0x8000000   reserved  (SeaBIOS's own tables at the top of RAM)
//   0xfffc0000 - 0x100000000 reserved (BIOS flash)
// wasmkvm has no BIOS, so the last two have nothing to describe and are left out: usable
// RAM runs from 1 MiB to the end of RAM. We keep the EBDA and BIOS entries so low memory
// reads the same as on QEMU (kernels that scan for the MP table or RSDP expect them).

export const MULTIBOOT_MEMORY_AVAILABLE = 1;
export const MULTIBOOT_MEMORY_RESERVED = 2;

export const EBDA_START = 0x9fc00;
/** The PC hole: VGA window, option ROMs and BIOS. Nothing is loaded into [0xA0000, 0x100000). */
export const PC_HOLE_START = 0xa0000;
export const BIOS_ROM_START = 0xf0000;
export const HIGH_MEMORY_START = 0x100000;

/** One entry of §3.3's memory map, without the leading `size` field. */
export interface MemoryMapEntry {
  readonly base: number;
  readonly length: number;
  readonly type: number;
}

/** §3.3: each entry is a u32 size (of the rest: 20) then base_addr u64, length u64, type u32. */
export const MMAP_ENTRY_SIZE = 20;
export const MMAP_ENTRY_STRIDE = MMAP_ENTRY_SIZE + 4;

export function pcMemoryMap(ramSize: number): MemoryMapEntry[] {
  const map: MemoryMapEntry[] = [];
  const lowEnd = Math.min(ramSize, EBDA_START);
  if (lowEnd > 0) map.push({ base: 0, length: lowEnd, type: MULTIBOOT_MEMORY_AVAILABLE });
  map.push({ base: EBDA_START, length: PC_HOLE_START - EBDA_START, type: MULTIBOOT_MEMORY_RESERVED });
  map.push({
    base: BIOS_ROM_START,
    length: HIGH_MEMORY_START - BIOS_ROM_START,
    type: MULTIBOOT_MEMORY_RESERVED,
  });
  if (ramSize > HIGH_MEMORY_START) {
    map.push({
      base: HIGH_MEMORY_START,
      length: ramSize - HIGH_MEMORY_START,
      type: MULTIBOOT_MEMORY_AVAILABLE,
    });
  }
  return map;
}

/**
 * mem_lower in KiB. The option ROM stores int 0x12's answer, which is the conventional
 * memory below the EBDA: 639 on QEMU, not the 640 §3.3 allows as a maximum. We derive it
 * from our map the same way, so the two fields never disagree.
 */
export function memLowerKiB(map: readonly MemoryMapEntry[]): number {
  const low = map.find((e) => e.base === 0 && e.type === MULTIBOOT_MEMORY_AVAILABLE);
  return low ? Math.floor(Math.min(low.length, PC_HOLE_START) / 1024) : 0;
}

/**
 * mem_upper in KiB, computed as multiboot.S does: start at 1 MiB and extend through any
 * usable entry below 4 GiB that contains the current end (rescanning, since the map need
 * not be sorted), then (end - 1 MiB) >> 10. §3.3: "the address of the first upper memory
 * hole minus 1 megabyte".
 */
export function memUpperKiB(map: readonly MemoryMapEntry[]): number {
  let end = HIGH_MEMORY_START;
  for (let grown = true; grown;) {
    grown = false;
    for (const e of map) {
      if (e.type !== MULTIBOOT_MEMORY_AVAILABLE || e.base >= 0x1_0000_0000) continue;
      if (e.base <= end && end < e.base + e.length) {
        end = e.base + e.length;
        grown = true;
      }
    }
  }
  return Math.floor((end - HIGH_MEMORY_START) / 1024);
}

/** The map as §3.3 lays it out in memory; its length is mmap_length. */
export function encodeMemoryMap(map: readonly MemoryMapEntry[]): Uint8Array {
  const bytes = new Uint8Array(map.length * MMAP_ENTRY_STRIDE);
  const dv = new DataView(bytes.buffer);
  map.forEach((e, i) => {
    const at = i * MMAP_ENTRY_STRIDE;
    dv.setUint32(at, MMAP_ENTRY_SIZE, true);
    setU64(dv, at + 4, e.base);
    setU64(dv, at + 12, e.length);
    dv.setUint32(at + 20, e.type, true);
  });
  return bytes;
}

function setU64(dv: DataView, at: number, value: number): void {
  dv.setUint32(at, value % 0x1_0000_0000, true);
  dv.setUint32(at + 4, Math.floor(value / 0x1_0000_0000), true);
}
