// Linear-to-physical translation and the software TLB (SDM Vol. 3A chapter 4).
//
// The walk runs on TLB misses only; generated code checks the TLB inline. Every paging mode
// is here: paging off, 32-bit paging with 4 MiB pages and PSE-36 (paging/walk32.ts), PAE
// paging with its PDPTE registers and 4-level paging with 2 MiB and 1 GiB pages
// (paging/walk64.ts) and 5-level paging (CR4.LA57); NX, SMEP, SMAP, CR0.WP and protection
// keys (PKRU with CR4.PKE, IA32_PKRS with CR4.PKS; paging/rights.ts); accessed and dirty bits;
// global pages that survive CR3 writes. The TLB is not tagged by PCID: a MOV to CR3 drops
// every non-global entry whatever its bit 63 says, which the SDM allows (4.10.4.1).
//
// 5-level linear addresses travel as JS numbers (paging/canonical.ts): exact up to 2^53, so
// an address whose bits 56:53 differ from bit 63 loses its low bits on the way here.
//
// The TLB holds 4 KiB entries only: a large page is filled one 4 KiB piece at a time, and
// the Mmu remembers which entries came from which large page so that INVLPG anywhere in it
// drops them all. Every flush also clears the dispatcher's linear-RIP hash (onFlush); MOV to
// CR3 keeps the entries of global pages (onFlushNonGlobal), INVLPG drops only those its page
// may affect (onInvalidatePage).
import { TLB_ENTRIES } from './layout.ts';
import { Cr0, Cr4, Efer, Flag, Vector } from './registers.ts';
import { GuestFault } from './faults.ts';
import type { PhysicalMemory } from './physmem.ts';
import type { VcpuState } from './state.ts';
import type { DataWatch } from './debug.ts';
import { Access, PAGE_4K, PfErr, Pte, type Walk, type WalkFault } from './paging/entry.ts';
import { isCanonical, signedLinear } from './paging/canonical.ts';
import { accessAllowed, keyRights, pageFaultCode } from './paging/rights.ts';
import { Msr, msrSpec } from './msr.ts';
import { walk32 } from './paging/walk32.ts';
import { PDPTE_COUNT, readPdptes, walk4Level, walkPae } from './paging/walk64.ts';

export { Access, MAXPHYADDR, PfErr, Pte } from './paging/entry.ts';
export { isCanonical, linearFromHalves, signedLinear } from './paging/canonical.ts';

export interface Translation {
  phys: number;
  /** A write at this privilege is allowed now (the TLB may take a write entry once the page is dirty). */
  writable: boolean;
  /** The entry that maps the page is dirty (after this access). */
  dirty: boolean;
  /** Mapped by an entry with G = 1 while CR4.PGE = 1: survives CR3 writes (SDM Vol. 3A 4.10.2.4). */
  global: boolean;
  /** Size of the page that maps the address: 4 KiB, 2 MiB, 4 MiB or 1 GiB. */
  pageSize: number;
  /**
   * The TLB may keep it. False for a supervisor access to a user-mode page under SMAP: its
   * outcome depends on EFLAGS.AC, which STAC, CLAC and POPF change without a TLB flush.
   */
  cacheable: boolean;
}

export const enum PagingMode {
  Off = 0,
  /** 32-bit paging (SDM Vol. 3A 4.3). */
  Bits32 = 1,
  /** PAE paging (4.4). */
  Pae = 2,
  /** 4-level paging, or 5-level with CR4.LA57 (4.5). */
  Level4 = 3,
}

const TWO_32 = 0x1_0000_0000;
/** Linear address bits 56:32, as the high half a 5-level walk indexes with. */
const LIN_HI_57 = 0x1ffffff;
/** The slot of IA32_PKRS in layout.ts `msr`. */
const PKRS_SLOT = msrSpec(Msr.PKRS)?.slot ?? -1;

export class Mmu {
  /** Called on every flush: linear-address caches built on the TLB (the dispatcher's hash) go too. */
  onFlush: () => void = () => {};
  /** Called on MOV to CR3: those caches drop what non-global pages map. */
  onFlushNonGlobal: () => void = () => this.onFlush();
  /** Called on INVLPG of the page holding `lin` (signed form): those caches drop what that page maps. */
  onInvalidatePage: (lin: number) => void = () => this.onFlush();
  /**
   * Data breakpoints (core/cpu/debug.ts). Pages holding a watched byte never enter the TLB,
   * so every access to them passes through Cpu.readLinear / writeLinear, which call noteAccess.
   */
  watch: DataWatch | undefined;

  /** The PDPTE registers of PAE paging as lo, hi pairs (SDM Vol. 3A 4.4.1), as KVM keeps mmu->pdptrs. */
  private readonly pdptes: number[] = new Array<number>(2 * PDPTE_COUNT).fill(0);
  /**
   * CR3 the PDPTE registers were loaded from. MOV to CR0/CR3/CR4 load them (loadPdptes);
   * a CR3 changed any other way (KVM_SET_SREGS, a task switch) loads them at the next walk.
   */
  private pdpteCr3 = -1;
  /**
   * Per TLB entry, read entries at [0, TLB_ENTRIES) and write entries at [TLB_ENTRIES, 2 *
   * TLB_ENTRIES) (the two entries of an index may map different pages): filled from a global page.
   */
  private readonly globalEntry = new Uint8Array(2 * TLB_ENTRIES);
  /** Per TLB entry, as globalEntry: the large page it is a piece of (base linear address and size; size 0 for 4 KiB pages). */
  private readonly largeBase = new Float64Array(2 * TLB_ENTRIES);
  private readonly largeSize = new Float64Array(2 * TLB_ENTRIES);
  private anyLarge = false;

  constructor(
    private readonly s: VcpuState,
    private readonly phys: PhysicalMemory,
  ) {}

  /** The paging mode CR0.PG, CR4.PAE and EFER.LMA select (SDM Vol. 3A 4.1.1, Table 4-1). */
  pagingMode(): PagingMode {
    const s = this.s;
    if (!(s.getLo('cr0') & Cr0.PG)) return PagingMode.Off;
    if (!(s.getLo('cr4') & Cr4.PAE)) return PagingMode.Bits32;
    return s.getLo('efer') & Efer.LMA ? PagingMode.Level4 : PagingMode.Pae;
  }

  /**
   * Loads the PDPTE registers from CR3 (MOV to CR3, or MOV to CR0/CR4 that makes or keeps
   * PAE paging active; SDM Vol. 3A 4.4.1). Returns false, loading nothing, when a present
   * PDPTE sets a reserved bit: the caller raises #GP(0).
   */
  loadPdptes(cr3: number): boolean {
    const { entries, valid } = readPdptes(this.phys, cr3);
    if (!valid) return false;
    for (let i = 0; i < entries.length; i++) this.pdptes[i] = entries[i];
    this.pdpteCr3 = cr3 >>> 0;
    return true;
  }

  /**
   * Translates `lin` for an access at privilege `user` (an explicit CPL 3 access). A
   * supervisor access at CPL 3 is implicit (descriptor tables, TSS); `implicit` marks one at
   * CPL < 3. 64-bit addresses come in signed form (paging/canonical.ts). Sets accessed and
   * dirty bits as the hardware does; throws GuestFault(#PF) with CR2 on failure, and #GP(0)
   * for a non-canonical address under 4-level paging (callers that owe #SS check first).
   */
  translate(lin: number, access: Access, user: boolean, implicit = false): Translation {
    const s = this.s;
    const cr0 = s.getLo('cr0');
    // With paging off, linear = physical, through the A20 gate mask (0xffefffff when A20 is off).
    if (!(cr0 & Cr0.PG)) {
      return { phys: (lin & s.getU32('a20Mask')) >>> 0, writable: true, dirty: true, global: false, pageSize: PAGE_4K, cacheable: true };
    }
    const cr4 = s.getLo('cr4');
    const efer = s.getLo('efer');
    const cr3 = s.getLo('cr3');
    lin = signedLinear(lin);
    let nx = false;
    let w: Walk | WalkFault;
    if (!(cr4 & Cr4.PAE)) {
      lin >>>= 0;
      w = walk32(this.phys, cr3, lin, (cr4 & Cr4.PSE) !== 0);
    } else if (efer & Efer.LMA) {
      const la57 = (cr4 & Cr4.LA57) !== 0;
      if (!isCanonical(lin, la57 ? 57 : 48)) throw new GuestFault(Vector.GP, 0);
      nx = (efer & Efer.NXE) !== 0;
      const cr3Hi = s.u32[(s.addr('cr3') >>> 2) + 1];
      w = walk4Level(this.phys, cr3, cr3Hi, lin >>> 0, Math.floor(lin / TWO_32) & LIN_HI_57, nx, la57 ? 5 : 4);
    } else {
      lin >>>= 0;
      nx = (efer & Efer.NXE) !== 0;
      if (this.pdpteCr3 !== cr3) this.reloadPdptes(cr3);
      w = walkPae(this.phys, this.pdptes, lin, nx);
    }
    const smep = (cr4 & Cr4.SMEP) !== 0;
    if (typeof w === 'number') throw new GuestFault(Vector.PF, pageFaultCode(w, access, user, smep, nx), -1, lin);
    const wp = (cr0 & Cr0.WP) !== 0;
    const smap = (cr4 & Cr4.SMAP) !== 0;
    const ac = (s.getLo('rflags') & Flag.AC) !== 0;
    implicit ||= !user && s.getU32('cpl') === 3;
    if (!accessAllowed(w, access, user, implicit, { wp, smep, smap, ac, nx }))
      throw new GuestFault(Vector.PF, pageFaultCode(PfErr.P, access, user, smep, nx), -1, lin);
    // Protection keys, in IA-32e mode only, once the paging rights allow the access (SDM Vol. 3A 4.6.2).
    let keyWrite = true;
    if (efer & Efer.LMA && access !== Access.Fetch) {
      const k = keyRights(w.key, this.keyRegister(w.user, cr4), user, wp);
      if (!k.read || (access === Access.Write && !k.write))
        throw new GuestFault(Vector.PF, pageFaultCode(PfErr.P | PfErr.PK, access, user, smep, nx), -1, lin);
      keyWrite = k.write;
    }
    const dirty = this.setAccessedDirty(w, access === Access.Write);
    return {
      phys: w.phys,
      writable: keyWrite && (user ? w.writable : w.writable || !wp),
      dirty,
      global: (cr4 & Cr4.PGE) !== 0 && w.global,
      pageSize: w.pageSize,
      cacheable: user || !(w.user && smap),
    };
  }

  /** PKRU for user-mode pages under CR4.PKE, IA32_PKRS for supervisor-mode pages under CR4.PKS (SDM Vol. 3A 4.6.2). */
  private keyRegister(userPage: boolean, cr4: number): number | undefined {
    if (userPage) return cr4 & Cr4.PKE ? this.s.getU32('pkru') : undefined;
    return cr4 & Cr4.PKS ? this.s.getU32('msr', PKRS_SLOT) : undefined;
  }

  /**
   * Sets A in every entry of a successful walk and D in the one that maps the page on a write
   * (SDM Vol. 3A 4.8). Only successful walks set them, as KVM's walker does (kvm-unit-tests
   * access.c expects no A/D change in the mapping entry of a faulting access). Returns the D bit.
   */
  private setAccessedDirty(w: Walk, write: boolean): boolean {
    const last = w.entries.length - 1;
    for (let i = 0; i <= last; i++) {
      const v = w.values[i];
      const nv = v | Pte.A | (i === last && write ? Pte.D : 0);
      if (nv !== v) this.phys.write(w.entries[i], 4, nv >>> 0);
    }
    return write || (w.values[last] & Pte.D) !== 0;
  }

  /** A CR3 changed without a MOV to CR3: load what is there, reserved bits and all (they fault at use). */
  private reloadPdptes(cr3: number): void {
    const { entries } = readPdptes(this.phys, cr3);
    for (let i = 0; i < entries.length; i++) this.pdptes[i] = entries[i];
    this.pdpteCr3 = cr3 >>> 0;
  }

  // ---- the software TLB ------------------------------------------------------------------

  /** Drops every TLB entry, global ones too (CR4 paging bits, CR0.PG/WP, EFER, memory slot changes). */
  flush(): void {
    const s = this.s;
    const r = s.addr('tlbRead') >>> 3;
    const w = s.addr('tlbWrite') >>> 3;
    s.u64.fill(0n, r, r + TLB_ENTRIES);
    s.u64.fill(0n, w, w + TLB_ENTRIES);
    this.globalEntry.fill(0);
    this.largeSize.fill(0);
    this.anyLarge = false;
    this.onFlush();
  }

  /** MOV to CR3: drops every entry but those of global pages (SDM Vol. 3A 4.10.4.1). */
  flushNonGlobal(): void {
    for (let i = 0; i < 2 * TLB_ENTRIES; i++) if (!this.globalEntry[i]) this.dropEntry(i);
    this.onFlushNonGlobal();
  }

  /**
   * INVLPG: drops the entries of the page that contains `lin`, global or not, and of the
   * whole large page when it was one (SDM Vol. 2A INVLPG). A non-canonical address under
   * 4-level paging invalidates nothing.
   */
  invalidatePage(lin: number): void {
    lin = signedLinear(lin);
    if (this.pagingMode() === PagingMode.Level4 && !isCanonical(lin, this.s.getLo('cr4') & Cr4.LA57 ? 57 : 48)) return;
    const idx = (lin >>> 12) & (TLB_ENTRIES - 1);
    this.dropEntry(idx);
    this.dropEntry(TLB_ENTRIES + idx);
    if (this.anyLarge) {
      for (let i = 0; i < 2 * TLB_ENTRIES; i++) {
        const size = this.largeSize[i];
        if (size !== 0 && lin >= this.largeBase[i] && lin < this.largeBase[i] + size) this.dropEntry(i);
      }
    }
    this.onInvalidatePage(lin);
  }

  /** Drops read entry `i` (< TLB_ENTRIES) or write entry `i - TLB_ENTRIES`. */
  private dropEntry(i: number): void {
    const s = this.s;
    const a = i < TLB_ENTRIES ? s.addr('tlbRead', i) >>> 2 : s.addr('tlbWrite', i - TLB_ENTRIES) >>> 2;
    s.u32[a] = 0;
    s.u32[a + 1] = 0;
    this.globalEntry[i] = 0;
    this.largeSize[i] = 0;
  }

  /** Drops write entries that map physical page `page` (it now holds translated code). */
  protectPage(page: number): void {
    const u32 = this.s.u32;
    const phys = this.s.addr('tlbPhys') >>> 2;
    const write = this.s.addr('tlbWrite') >>> 2;
    const lo = (page * 4096) >>> 0;
    const hi = Math.floor(page / 0x100000);
    for (let i = 0; i < TLB_ENTRIES; i++) {
      if (u32[phys + 2 * i] === lo && u32[phys + 2 * i + 1] === hi && u32[write + 2 * i] !== 0) this.dropEntry(TLB_ENTRIES + i);
    }
  }

  /** A data access of `size` bytes at `lin` that missed the TLB, for the data breakpoints. */
  noteAccess(lin: number, size: number, write: boolean): void {
    this.watch?.access(lin, size, write);
  }

  /**
   * Fills the TLB entry of `lin`'s page after a walk (nothing when the translation is not
   * cacheable or the page is watched). A read fills the read entry, and the write entry too
   * when `allowWrite` and the page is writable and dirty; a write fills the write entry, and
   * the read entry too. The other entry of the index is replaced only when it is empty or
   * maps this page: a copy between two pages with the same index then hits both entries.
   */
  fill(lin: number, t: Translation, host: number, user: boolean, allowWrite: boolean, write = false): void {
    if (!t.cacheable || this.watch?.watches(lin)) return;
    const s = this.s;
    lin = signedLinear(lin);
    const idx = (lin >>> 12) & (TLB_ENTRIES - 1);
    const page = Math.floor(lin / 4096) * 4096;
    const tagLo = ((page % TWO_32) + (user ? 3 : 1)) >>> 0;
    const tagHi = Math.floor(page / TWO_32) >>> 0;
    const readAddr = s.addr('tlbRead', idx) >>> 2;
    const writeAddr = s.addr('tlbWrite', idx) >>> 2;
    const hostBase = host - (t.phys % 4096);
    const u32 = s.u32;
    const sameRead = u32[readAddr] === tagLo && u32[readAddr + 1] === tagHi;
    const sameWrite = u32[writeAddr] === tagLo && u32[writeAddr + 1] === tagHi;
    if (!write || sameRead || u32[readAddr] === 0) {
      u32[readAddr] = tagLo;
      u32[readAddr + 1] = tagHi;
      s.setU32('tlbHost', hostBase, idx);
      this.note(idx, lin, t);
    }
    const writable = allowWrite && t.writable && t.dirty;
    if (writable && (write || sameWrite || u32[writeAddr] === 0)) {
      u32[writeAddr] = tagLo;
      u32[writeAddr + 1] = tagHi;
      s.setU32('tlbWriteHost', hostBase, idx);
      s.setNum('tlbPhys', Math.floor(t.phys / 4096) * 4096, idx);
      this.note(TLB_ENTRIES + idx, lin, t);
    } else if (!writable && sameWrite) this.dropEntry(TLB_ENTRIES + idx);
  }

  /** Records entry `i`'s global bit and large page (see globalEntry). */
  private note(i: number, lin: number, t: Translation): void {
    this.globalEntry[i] = t.global ? 1 : 0;
    if (t.pageSize > PAGE_4K) {
      this.largeBase[i] = Math.floor(lin / t.pageSize) * t.pageSize;
      this.largeSize[i] = t.pageSize;
      this.anyLarge = true;
    } else this.largeSize[i] = 0;
  }
}
