// 32-bit paging (SDM Vol. 3A 4.3): CR0.PG = 1 and CR4.PAE = 0. Two levels of 32-bit entries;
// with CR4.PSE a PDE with PS = 1 maps a 4 MiB page, whose bits 16:13 hold physical address
// bits 35:32 (PSE-36, Table 4-4) and bits 21:17 are reserved (MAXPHYADDR is 36).
import type { PhysicalMemory } from '../physmem.ts';
import { NOT_PRESENT, PAGE_4K, PAGE_4M, Pte, RESERVED, type Walk, type WalkFault } from './entry.ts';

/** Bits 21:(MAXPHYADDR-19) of a 4 MiB PDE (SDM Vol. 3A Table 4-4). */
const PDE_4M_RESERVED = 0x003e0000;
/** Bits 31:22 of a 4 MiB PDE: physical address bits 31:22. */
const PDE_4M_ADDR = 0xffc00000;
/** Position of physical address bits 35:32 in a 4 MiB PDE (bits 16:13). */
const PSE36_SHIFT = 13;
const PSE36_MASK = 0xf;
const FRAME = 0xfffff000;

export function walk32(phys: PhysicalMemory, cr3: number, lin: number, pse: boolean): Walk | WalkFault {
  // PDE at CR3[31:12] + 4 * lin[31:22].
  const pdeAddr = ((cr3 & FRAME) >>> 0) + ((lin >>> 22) << 2);
  const pde = phys.read(pdeAddr, 4);
  if (!(pde & Pte.P)) return NOT_PRESENT;
  if (pde & Pte.PS && pse) {
    if (pde & PDE_4M_RESERVED) return RESERVED;
    const base = ((pde >>> PSE36_SHIFT) & PSE36_MASK) * 0x1_0000_0000 + ((pde & PDE_4M_ADDR) >>> 0);
    return {
      phys: base + (lin & (PAGE_4M - 1)),
      pageSize: PAGE_4M,
      writable: (pde & Pte.RW) !== 0,
      user: (pde & Pte.US) !== 0,
      noExec: false,
      global: (pde & Pte.G) !== 0,
      key: 0,
      entries: [pdeAddr],
      values: [pde],
    };
  }
  // PTE at PDE[31:12] + 4 * lin[21:12]; a PTE has no reserved bits in 32-bit paging.
  const pteAddr = ((pde & FRAME) >>> 0) + (((lin >>> 12) & 0x3ff) << 2);
  const pte = phys.read(pteAddr, 4);
  if (!(pte & Pte.P)) return NOT_PRESENT;
  return {
    phys: ((pte & FRAME) >>> 0) + (lin & (PAGE_4K - 1)),
    pageSize: PAGE_4K,
    writable: (pde & pte & Pte.RW) !== 0,
    user: (pde & pte & Pte.US) !== 0,
    noExec: false,
    global: (pte & Pte.G) !== 0,
    key: 0,
    entries: [pdeAddr, pteAddr],
    values: [pde, pte],
  };
}
