// The paging modes with 64-bit entries: PAE paging (SDM Vol. 3A 4.4: CR4.PAE = 1 outside
// IA-32e mode; four PDPTE registers loaded from CR3, then a page directory with 2 MiB pages
// and page tables), 4-level and 5-level paging (4.5: IA-32e mode; with CR4.LA57 a PML5 table
// above the PML4, then page-directory-pointer table with 1 GiB pages, page directory with
// 2 MiB pages, page table). Entries are [lo, hi] halves.
import type { PhysicalMemory } from '../physmem.ts';
import {
  HI_ADDR_MASK, NOT_PRESENT, PAGE_1G, PAGE_2M, PAGE_4K, PKEY_MASK, PTE_HI_PKEY_SHIFT, PTE_HI_XD, Pte, RESERVED, entryAddress, readEntry,
  type Walk, type WalkFault,
} from './entry.ts';

const FRAME = 0xfffff000;
const FRAME_2M = 0xffe00000;
const FRAME_1G = 0xc0000000;

/** PAE PDE and PTE: bits 62:MAXPHYADDR reserved (Tables 4-9 to 4-11). */
const PAE_RESERVED_HI = 0x7fffffff & ~HI_ADDR_MASK;
/** PAE PDPTE: bits 2:1 and 8:5 (Table 4-8)... */
const PDPTE_PAE_RESERVED_LO = 0x1e6;
/** ...and 63:MAXPHYADDR, XD included. */
const PDPTE_PAE_RESERVED_HI = 0xffffffff & ~HI_ADDR_MASK;
/** 4-level entries: bits 51:MAXPHYADDR reserved (Tables 4-14 to 4-19); 62:52 are ignored. */
const L4_RESERVED_HI = 0x000fffff & ~HI_ADDR_MASK;
/** A PDE that maps a 2 MiB page: bits 20:13 reserved (bit 12 is PAT; Tables 4-9 and 4-17). */
const PDE_2M_RESERVED_LO = 0x001fe000;
/** A PDPTE that maps a 1 GiB page: bits 29:13 reserved (Table 4-15). */
const PDPTE_1G_RESERVED_LO = 0x3fffe000;
/** PS is reserved in a PML5E and a PML4E (Tables 4-14 and 4-15). */
const PML4E_RESERVED_LO = Pte.PS;

/** Number of PDPTE registers in PAE paging. */
export const PDPTE_COUNT = 4;

/**
 * Reads the four PDPTEs at CR3[31:5] (SDM Vol. 3A 4.4.1) as lo, hi pairs. `valid` is false
 * when one is present and sets a reserved bit: the MOV to CR0, CR3 or CR4 that loads them
 * then raises #GP(0) and loads nothing.
 */
export function readPdptes(phys: PhysicalMemory, cr3: number): { entries: number[]; valid: boolean } {
  const base = (cr3 & 0xffffffe0) >>> 0;
  const entries: number[] = [];
  let valid = true;
  for (let i = 0; i < PDPTE_COUNT; i++) {
    const [lo, hi] = readEntry(phys, base + 8 * i);
    if (lo & Pte.P && (lo & PDPTE_PAE_RESERVED_LO || hi & PDPTE_PAE_RESERVED_HI)) valid = false;
    entries.push(lo, hi);
  }
  return { entries, valid };
}

/** Builds the Walk of a page mapped by the last of `entries` (whose high half `hi` holds the protection key in IA-32e mode). */
function leaf(base: number, offset: number, pageSize: number, rights: Rights, lo: number, entries: number[], values: number[], key = 0): Walk {
  return {
    phys: base + offset, pageSize, writable: rights.writable, user: rights.user, noExec: rights.noExec, global: (lo & Pte.G) !== 0,
    key, entries, values,
  };
}

interface Rights {
  writable: boolean;
  user: boolean;
  noExec: boolean;
}

/**
 * PAE paging. `pdptes` are the PDPTE registers (lo, hi pairs). With EFER.NXE = 0 the XD bit
 * is reserved (SDM Vol. 3A 4.4.2). PDPTEs carry no access rights.
 */
export function walkPae(phys: PhysicalMemory, pdptes: readonly number[], lin: number, nxe: boolean): Walk | WalkFault {
  const i = lin >>> 30;
  const plo = pdptes[2 * i];
  const phi = pdptes[2 * i + 1];
  if (!(plo & Pte.P)) return NOT_PRESENT;
  if (plo & PDPTE_PAE_RESERVED_LO || phi & PDPTE_PAE_RESERVED_HI) return RESERVED;
  const reservedHi = PAE_RESERVED_HI | (nxe ? 0 : PTE_HI_XD);
  const pdeAddr = entryAddress(plo, phi, FRAME) + ((lin >>> 21) & 0x1ff) * 8;
  const [dlo, dhi] = readEntry(phys, pdeAddr);
  if (!(dlo & Pte.P)) return NOT_PRESENT;
  if (dhi & reservedHi) return RESERVED;
  const rights: Rights = { writable: (dlo & Pte.RW) !== 0, user: (dlo & Pte.US) !== 0, noExec: (dhi & PTE_HI_XD) !== 0 };
  if (dlo & Pte.PS) {
    if (dlo & PDE_2M_RESERVED_LO) return RESERVED;
    return leaf(entryAddress(dlo, dhi, FRAME_2M), lin & (PAGE_2M - 1), PAGE_2M, rights, dlo, [pdeAddr], [dlo]);
  }
  const pteAddr = entryAddress(dlo, dhi, FRAME) + ((lin >>> 12) & 0x1ff) * 8;
  const [tlo, thi] = readEntry(phys, pteAddr);
  if (!(tlo & Pte.P)) return NOT_PRESENT;
  if (thi & reservedHi) return RESERVED;
  rights.writable &&= (tlo & Pte.RW) !== 0;
  rights.user &&= (tlo & Pte.US) !== 0;
  rights.noExec ||= (thi & PTE_HI_XD) !== 0;
  return leaf(entryAddress(tlo, thi, FRAME), lin & (PAGE_4K - 1), PAGE_4K, rights, tlo, [pdeAddr, pteAddr], [dlo, tlo]);
}

/**
 * Index into the table of paging-structure level `level` (5 = PML5 ... 1 = page table):
 * linear bits 56:48, 47:39, 38:30, 29:21, 20:12, from `linLo` (bits 31:0) and `linHi` (bits 56:32).
 */
function tableIndex(linLo: number, linHi: number, level: number): number {
  switch (level) {
    case 5:
      return (linHi >>> 16) & 0x1ff;
    case 4:
      return (linHi >>> 7) & 0x1ff;
    case 3:
      return ((linHi & 0x7f) << 2) | (linLo >>> 30);
    case 2:
      return (linLo >>> 21) & 0x1ff;
    default:
      return (linLo >>> 12) & 0x1ff;
  }
}

/**
 * 4-level or 5-level paging (`levels` 4 or 5). `linLo` holds linear address bits 31:0 and
 * `linHi` bits 56:32 (the caller checked that the address is canonical). CR3 bits
 * (MAXPHYADDR-1):12 locate the PML4 (PML5). The leaf's bits 62:59 are its protection key.
 * (Runs on every TLB miss: entries are read as two halves, without intermediate arrays.)
 */
export function walk4Level(phys: PhysicalMemory, cr3Lo: number, cr3Hi: number, linLo: number, linHi: number, nxe: boolean, levels: 4 | 5 = 4): Walk | WalkFault {
  const reservedHi = L4_RESERVED_HI | (nxe ? 0 : PTE_HI_XD);
  const rights: Rights = { writable: true, user: true, noExec: false };
  const entries: number[] = [];
  const values: number[] = [];
  let table = entryAddress(cr3Lo, cr3Hi, FRAME);
  for (let level: number = levels; level >= 1; level--) {
    const addr = table + tableIndex(linLo, linHi, level) * 8;
    const lo = phys.read(addr, 4);
    const hi = phys.read(addr + 4, 4);
    if (!(lo & Pte.P)) return NOT_PRESENT;
    if (hi & reservedHi || (level >= 4 && lo & PML4E_RESERVED_LO)) return RESERVED;
    rights.writable &&= (lo & Pte.RW) !== 0;
    rights.user &&= (lo & Pte.US) !== 0;
    rights.noExec ||= (hi & PTE_HI_XD) !== 0;
    entries.push(addr);
    values.push(lo);
    const key = (hi >>> PTE_HI_PKEY_SHIFT) & PKEY_MASK;
    if (level === 3 && lo & Pte.PS) {
      if (lo & PDPTE_1G_RESERVED_LO) return RESERVED;
      return leaf(entryAddress(lo, hi, FRAME_1G), linLo & (PAGE_1G - 1), PAGE_1G, rights, lo, entries, values, key);
    }
    if (level === 2 && lo & Pte.PS) {
      if (lo & PDE_2M_RESERVED_LO) return RESERVED;
      return leaf(entryAddress(lo, hi, FRAME_2M), linLo & (PAGE_2M - 1), PAGE_2M, rights, lo, entries, values, key);
    }
    if (level === 1) return leaf(entryAddress(lo, hi, FRAME), linLo & (PAGE_4K - 1), PAGE_4K, rights, lo, entries, values, key);
    table = entryAddress(lo, hi, FRAME);
  }
  throw new Error('unreachable: a 4-level walk ends at level 1');
}
