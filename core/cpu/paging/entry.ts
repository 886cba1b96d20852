// Paging-structure entries, #PF error codes and what a page walk yields (SDM Vol. 3A 4.3-4.7).
// 64-bit entries (PAE and 4-level paging) are handled as two 32-bit halves, lo and hi, so no
// BigInt is made on the walk.
import type { PhysicalMemory } from '../physmem.ts';

/**
 * MAXPHYADDR. This CPU has no CPUID leaf 80000008H, so it is 36 because PAE is supported
 * (SDM Vol. 3A 4.1.4); bits 51:36 of 4-level entries are therefore reserved, as are 62:36
 * of PAE entries. A CPUID leaf 80000008H added later must report 36 in EAX[7:0].
 */
export const MAXPHYADDR = 36;

/** Entry bits common to every paging mode (SDM Vol. 3A Tables 4-4 to 4-20). */
export const enum Pte {
  P = 1 << 0, RW = 1 << 1, US = 1 << 2, PWT = 1 << 3, PCD = 1 << 4, A = 1 << 5, D = 1 << 6,
  PS = 1 << 7, G = 1 << 8,
}

/** XD (execute-disable) is bit 63 of a 64-bit entry: bit 31 of its high half. */
export const PTE_HI_XD = 0x80000000;
/** The protection key of a 4-/5-level leaf entry is in bits 62:59: bits 30:27 of its high half (SDM Vol. 3A 4.6.2). */
export const PTE_HI_PKEY_SHIFT = 27;
export const PKEY_MASK = 0xf;

/** #PF error code bits (SDM Vol. 3A 4.7, Figure 4-12). */
export const enum PfErr {
  P = 1 << 0, W = 1 << 1, U = 1 << 2, RSVD = 1 << 3, I = 1 << 4, PK = 1 << 5,
}

export const enum Access {
  Read = 0,
  Write = 1,
  Fetch = 2,
}

export const PAGE_4K = 0x1000;
export const PAGE_2M = 0x20_0000;
export const PAGE_4M = 0x40_0000;
export const PAGE_1G = 0x4000_0000;

/** Address bits of an entry's high half below MAXPHYADDR: bits (MAXPHYADDR-1):32. */
export const HI_ADDR_MASK = (1 << (MAXPHYADDR - 32)) - 1;

/**
 * A successful walk: the physical address and the rights the entries that controlled it
 * grant (SDM Vol. 3A 4.6: R/W and U/S must be 1 in every entry; XD set in any disables
 * fetches). `entries` are the guest-physical addresses of the entries to mark accessed, root
 * first, the last being the one that maps the page; `values` are their low halves.
 */
export interface Walk {
  phys: number;
  pageSize: number;
  writable: boolean;
  user: boolean;
  noExec: boolean;
  /** G in the entry that maps the page (meaningful with CR4.PGE only). */
  global: boolean;
  /** Protection key of the entry that maps the page (4- and 5-level paging; 0 in the other modes). */
  key: number;
  entries: number[];
  values: number[];
}

/** Why a walk stopped: an entry was not present (0), or had a reserved bit set (P | RSVD). */
export type WalkFault = 0 | (PfErr.P | PfErr.RSVD);
export const NOT_PRESENT: WalkFault = 0;
export const RESERVED: WalkFault = PfErr.P | PfErr.RSVD;

/** Reads a 64-bit entry at `gpa` as [lo, hi]. */
export function readEntry(phys: PhysicalMemory, gpa: number): [number, number] {
  return [phys.read(gpa, 4), phys.read(gpa + 4, 4)];
}

/** The physical address in a 64-bit entry: bits (MAXPHYADDR-1):32 from hi, `loMask` of lo. */
export function entryAddress(lo: number, hi: number, loMask: number): number {
  return (hi & HI_ADDR_MASK) * 0x1_0000_0000 + ((lo & loMask) >>> 0);
}
