// Linear-to-physical translation and the software TLB (SDM Vol. 3A chapter 4).
//
// The walk runs on TLB misses only; generated code checks the TLB inline. Implemented:
// paging off, and 32-bit paging (4.3) with 4 MiB pages under CR4.PSE. PAE and 4-level
// paging belong to the long-mode milestone; CPUID does not advertise PAE until then, and a
// guest that sets CR4.PAE with paging on stops with an internal error naming it.
import { TLB_ENTRIES } from './layout.ts';
import { Cr0, Cr4 } from './registers.ts';
import { GuestFault, InternalError } from './faults.ts';
import type { PhysicalMemory } from './physmem.ts';
import type { VcpuState } from './state.ts';

/** Page-table entry bits (SDM Vol. 3A Table 4-6). */
export const enum Pte {
  P = 1 << 0, RW = 1 << 1, US = 1 << 2, PWT = 1 << 3, PCD = 1 << 4, A = 1 << 5, D = 1 << 6,
  PS = 1 << 7, G = 1 << 8,
}

/** #PF error code bits (SDM Vol. 3A 4.7). */
export const enum PfErr {
  P = 1 << 0, W = 1 << 1, U = 1 << 2, RSVD = 1 << 3, I = 1 << 4,
}

export const enum Access {
  Read = 0,
  Write = 1,
  Fetch = 2,
}

export interface Translation {
  phys: number;
  /** The final entry allows writes at this privilege (and is dirty after this walk when written). */
  writable: boolean;
  dirty: boolean;
}

export class Mmu {
  /** Called on every flush: linear-address caches built on the TLB (the dispatcher's hash) go too. */
  onFlush: () => void = () => {};

  constructor(
    private readonly s: VcpuState,
    private readonly phys: PhysicalMemory,
  ) {}

  /**
   * Translates `lin` for an access at privilege `user` (CPL 3). Sets accessed and dirty bits
   * as the hardware does; throws GuestFault(#PF) with CR2 on failure.
   */
  translate(lin: number, access: Access, user: boolean): Translation {
    const s = this.s;
    const cr0 = s.getLo('cr0');
    // With paging off, linear = physical, through the A20 gate mask (0xffefffff when A20 is off).
    if (!(cr0 & Cr0.PG)) return { phys: (lin & s.getU32('a20Mask')) >>> 0, writable: true, dirty: true };
    const cr4 = s.getLo('cr4');
    if (cr4 & Cr4.PAE) throw new InternalError('PAE / 4-level paging is not implemented in this CPU model yet');
    lin >>>= 0;
    const write = access === Access.Write;
    const wp = (cr0 & Cr0.WP) !== 0;
    const fail = (present: boolean): never => {
      const code = (present ? PfErr.P : 0) | (write ? PfErr.W : 0) | (user ? PfErr.U : 0);
      throw new GuestFault(14, code, -1, lin);
    };
    // 32-bit paging: PDE at CR3[31:12] + 4 * lin[31:22] (SDM Vol. 3A 4.3).
    const pdeAddr = (s.getLo('cr3') & 0xfffff000) + ((lin >>> 22) << 2);
    const pde = this.phys.read(pdeAddr >>> 0, 4);
    if (!(pde & Pte.P)) fail(false);
    let entryAddr: number;
    let entry: number;
    let phys: number;
    let allowUser = (pde & Pte.US) !== 0;
    let allowWrite = (pde & Pte.RW) !== 0;
    if (pde & Pte.PS && cr4 & Cr4.PSE) {
      // 4 MiB page; bits 20:13 hold physical address bits 39:32 (PSE-36), which we do not model.
      entryAddr = pdeAddr;
      entry = pde;
      phys = ((pde & 0xffc00000) >>> 0) + (lin & 0x3fffff);
    } else {
      const pteAddr = ((pde & 0xfffff000) >>> 0) + (((lin >>> 12) & 0x3ff) << 2);
      const pte = this.phys.read(pteAddr, 4);
      if (!(pte & Pte.P)) fail(false);
      allowUser &&= (pte & Pte.US) !== 0;
      allowWrite &&= (pte & Pte.RW) !== 0;
      // The PDE's accessed bit is set once the walk got through it (SDM Vol. 3A 4.8).
      if (!(pde & Pte.A)) this.phys.write(pdeAddr, 4, pde | Pte.A);
      entryAddr = pteAddr;
      entry = pte;
      phys = ((pte & 0xfffff000) >>> 0) + (lin & 0xfff);
    }
    // Access rights (SDM Vol. 3A 4.6): user accesses need U/S everywhere; writes need R/W
    // everywhere, except supervisor writes when CR0.WP = 0.
    if (user && !allowUser) fail(true);
    if (write && !allowWrite && (user || wp)) fail(true);
    const writable = allowWrite || (!user && !wp);
    let newEntry = entry | Pte.A;
    if (write) newEntry |= Pte.D;
    if (newEntry !== entry) this.phys.write(entryAddr, 4, newEntry >>> 0);
    if (entryAddr !== pdeAddr && !(pde & Pte.A)) this.phys.write(pdeAddr, 4, pde | Pte.A);
    return { phys, writable, dirty: (newEntry & Pte.D) !== 0 };
  }

  /** Drops every TLB entry (MOV CR3, CR0/CR4 paging bits, memory slot changes). */
  flush(): void {
    const s = this.s;
    const r = s.addr('tlbRead') >>> 3;
    const w = s.addr('tlbWrite') >>> 3;
    s.u64.fill(0n, r, r + TLB_ENTRIES);
    s.u64.fill(0n, w, w + TLB_ENTRIES);
    this.onFlush();
  }

  /** INVLPG: drops the entry for one linear page. */
  flushPage(lin: number): void {
    const idx = (lin >>> 12) & (TLB_ENTRIES - 1);
    this.s.set64('tlbRead', 0n, idx);
    this.s.set64('tlbWrite', 0n, idx);
    this.onFlush();
  }

  /** Drops write entries that map physical page `page` (it now holds translated code). */
  protectPage(page: number): void {
    const s = this.s;
    for (let i = 0; i < TLB_ENTRIES; i++) {
      if (s.getNum('tlbPhys', i) === page * 4096 && s.getLo('tlbWrite', i) !== 0) s.set64('tlbWrite', 0n, i);
    }
  }

  /** Fills the TLB entry of `lin`'s page after a walk. */
  fill(lin: number, t: Translation, host: number, user: boolean, allowWrite: boolean): void {
    const s = this.s;
    const idx = (lin >>> 12) & (TLB_ENTRIES - 1);
    const page = Math.floor(lin / 4096) * 4096;
    const tagLo = (page % 0x1_0000_0000) + (user ? 3 : 1);
    const tagHi = Math.floor(page / 0x1_0000_0000);
    const readAddr = s.addr('tlbRead', idx) >>> 2;
    const writeAddr = s.addr('tlbWrite', idx) >>> 2;
    s.u32[readAddr] = tagLo >>> 0;
    s.u32[readAddr + 1] = tagHi;
    if (allowWrite && t.writable && t.dirty) {
      s.u32[writeAddr] = tagLo >>> 0;
      s.u32[writeAddr + 1] = tagHi;
    } else s.set64('tlbWrite', 0n, idx);
    s.setNum('tlbPhys', Math.floor(t.phys / 4096) * 4096, idx);
    s.setU32('tlbHost', host - (t.phys % 4096), idx);
  }
}
