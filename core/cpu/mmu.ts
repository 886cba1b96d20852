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
// may affect (onInvalidatePage). Maintenance costs what was filled, not TLB_ENTRIES: the Mmu
// lists the entries it filled (global ones apart, so that MOV to CR3 visits only the
// others), groups the pieces of each large page and chains the write entries of each
// physical page, so a TLB as large as a guest's working set (layout.ts) is cheap to flush.
//
// The cold path's own accesses (Cpu.readLinear/writeLinear) hit the TLB too (lookup). That
// is safe for the implicit supervisor accesses (descriptor tables, TSS), whose rights differ
// from an explicit supervisor access's only under SMAP to a user-mode page (paging/rights.ts):
// such a translation is never cacheable for a supervisor access (Translation.cacheable), so
// a supervisor entry maps a supervisor-mode page or was filled with CR4.SMAP = 0, and a CR4.SMAP
// change flushes the TLB. A write entry never maps a page that holds translated code
// (protectPage drops it, fill skips such pages), so a write hit needs no code invalidation.
import { TLB_ENTRIES, TLB_USER, TLB_VALID } from './layout.ts';
import { Cr0, Cr4, Efer, Flag, Vector } from './registers.ts';
import { GuestFault } from './faults.ts';
import type { PhysicalMemory } from './physmem.ts';
import type { VcpuState } from './state.ts';
import type { DataWatch } from './debug.ts';
import { Access, PAGE_1G, PAGE_2M, PAGE_4K, PAGE_4M, PfErr, Pte, type Walk, type WalkFault } from './paging/entry.ts';
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

  constructor(
    private readonly s: VcpuState,
    private readonly phys: PhysicalMemory,
  ) {
    this.readTag = s.addr('tlbRead') >>> 2;
    this.writeTag = s.addr('tlbWrite') >>> 2;
    this.readHost = s.addr('tlbHost') >>> 2;
    this.writeHost = s.addr('tlbWriteHost') >>> 2;
    // The TLB starts empty, whatever the state area held: only what this Mmu fills is listed.
    s.u32.fill(0, this.readTag, this.readTag + 2 * TLB_ENTRIES);
    s.u32.fill(0, this.writeTag, this.writeTag + 2 * TLB_ENTRIES);
  }

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
    // Protection keys govern data accesses in IA-32e mode only (SDM Vol. 3A 4.6.2). The PK bit
    // of the error code reports the key's verdict whatever the paging rights say (4.7: PK is
    // set when the key denies, even if the paging rights deny too), as KVM's permission_fault.
    let keyWrite = true;
    let keyDenies = false;
    if (efer & Efer.LMA && access !== Access.Fetch) {
      const k = keyRights(w.key, this.keyRegister(w.user, cr4), user, wp);
      keyDenies = !k.read || (access === Access.Write && !k.write);
      keyWrite = k.write;
    }
    if (keyDenies || !accessAllowed(w, access, user, implicit, { wp, smep, smap, ac, nx }))
      throw new GuestFault(Vector.PF, pageFaultCode(keyDenies ? PfErr.P | PfErr.PK : PfErr.P, access, user, smep, nx), -1, lin);
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
  //
  // Entries are numbered 0 .. 2 * TLB_ENTRIES: read entry `idx` is `idx`, write entry `idx`
  // is TLB_ENTRIES + idx. Maintenance visits only what was filled: the lists of filled
  // entries (flush; MOV to CR3 the non-global list only), the pieces of each large page
  // (INVLPG), the write entries of each physical page (protectPage). `visited` counts the
  // entries each one examined.

  /** Entries the TLB maintenance (flushes, INVLPG, protectPage) has examined, for tests that check its cost. */
  visited = 0;

  /** u32 indexes of the tags and host addresses in the state (layout.ts). */
  private readonly readTag: number;
  private readonly writeTag: number;
  private readonly readHost: number;
  private readonly writeHost: number;
  /** Per entry: filled from a global page (SDM Vol. 3A 4.10.2.4). */
  private readonly globalEntry = new Uint8Array(2 * TLB_ENTRIES);
  /** Per entry: the physical address of its 4 KiB page. */
  private readonly physPage = new Float64Array(2 * TLB_ENTRIES);
  /**
   * Entries filled from global pages since the last flush, and from other pages since the last
   * flush or MOV to CR3. Some may have been dropped or refilled since: an entry refilled from
   * the other kind of page is on both lists.
   */
  private readonly filledGlobal = new EntryList();
  private readonly filledLocal = new EntryList();
  /**
   * Per entry: the large page it was last filled from (base linear address in signed form,
   * size; size 0 for a 4 KiB page), and whether it sits in that page's group in `large`.
   * Dropping an entry keeps them: a group may hold stale members, which INVLPG checks.
   */
  private readonly largeBase = new Float64Array(2 * TLB_ENTRIES);
  private readonly largeSize = new Float64Array(2 * TLB_ENTRIES);
  private readonly inGroup = new Uint8Array(2 * TLB_ENTRIES);
  /** Per large page size (LARGE_PAGE_SIZES order), the entries filled from each large page, by base. */
  private readonly large: Map<number, number[]>[] = LARGE_PAGE_SIZES.map(() => new Map<number, number[]>());
  /** Members of all groups; past LARGE_REFS_LIMIT the groups are rebuilt without stale members. */
  private largeRefs = 0;
  /**
   * Write entries by physical page: a hash of doubly linked chains (head per bucket of the
   * physical page number, next/prev per write entry index, -1 ends; `chained` marks members).
   */
  private readonly chainHead = new Int32Array(TLB_ENTRIES).fill(-1);
  private readonly chainNext = new Int32Array(TLB_ENTRIES);
  private readonly chainPrev = new Int32Array(TLB_ENTRIES);
  private readonly chained = new Uint8Array(TLB_ENTRIES);

  /**
   * The host address of `lin` when the TLB maps its page for this access: the check
   * generated code makes (jit/context.ts tlbHit), tag = linear page | TLB_VALID | TLB_USER
   * for CPL 3. -1 on a miss. `lin` as translate takes it (paging/canonical.ts).
   */
  lookup(lin: number, user: boolean, write: boolean): number {
    const i = this.entryOf(lin, user, write);
    return i < 0 ? -1 : this.s.u32[(i < TLB_ENTRIES ? this.readHost : this.writeHost - TLB_ENTRIES) + i] + (lin & PAGE_OFFSET);
  }

  /** The physical address of `lin` when the TLB maps its page for this access, else -1. */
  lookupPhys(lin: number, user: boolean, write: boolean): number {
    const i = this.entryOf(lin, user, write);
    return i < 0 ? -1 : this.physPage[i] + (lin & PAGE_OFFSET);
  }

  /** The entry that maps `lin` for this access, or -1. */
  private entryOf(lin: number, user: boolean, write: boolean): number {
    lin = signedLinear(lin);
    const idx = (lin >>> 12) & (TLB_ENTRIES - 1);
    const a = (write ? this.writeTag : this.readTag) + 2 * idx;
    const u32 = this.s.u32;
    if (u32[a] !== ((lin & ~PAGE_OFFSET) | (user ? TAG_USER : TAG_SUPERVISOR)) >>> 0 || u32[a + 1] !== Math.floor(lin / TWO_32) >>> 0) return -1;
    return write ? TLB_ENTRIES + idx : idx;
  }

  /** Drops every TLB entry, global ones too (CR4 paging bits, CR0.PG/WP, EFER, memory slot changes). */
  flush(): void {
    this.visited += this.filledGlobal.length + this.filledLocal.length;
    this.filledGlobal.drain((i) => this.dropEntry(i));
    this.filledLocal.drain((i) => this.dropEntry(i));
    for (const groups of this.large) {
      for (const members of groups.values()) for (const i of members) this.inGroup[i] = 0;
      groups.clear();
    }
    this.visited += this.largeRefs;
    this.largeRefs = 0;
    this.onFlush();
  }

  /** MOV to CR3: drops every entry but those of global pages (SDM Vol. 3A 4.10.4.1). */
  flushNonGlobal(): void {
    this.visited += this.filledLocal.length;
    // An entry refilled from a global page since it was listed here is on the global list too.
    this.filledLocal.drain((i) => {
      if (!this.globalEntry[i]) this.dropEntry(i);
    });
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
    this.visited += 2;
    if (this.largeRefs > 0) {
      for (let k = 0; k < LARGE_PAGE_SIZES.length; k++) {
        const size = LARGE_PAGE_SIZES[k];
        const groups = this.large[k];
        const base = Math.floor(lin / size) * size;
        const members = groups.get(base);
        if (members === undefined) continue;
        for (const i of members) {
          if (this.largeBase[i] !== base || this.largeSize[i] !== size) continue;
          this.dropEntry(i);
          this.inGroup[i] = 0;
        }
        this.visited += members.length;
        this.largeRefs -= members.length;
        groups.delete(base);
      }
    }
    this.onInvalidatePage(lin);
  }

  /** Drops write entries that map physical page `page` (it now holds translated code). */
  protectPage(page: number): void {
    const phys = page * PAGE_4K;
    for (let w = this.chainHead[page & (TLB_ENTRIES - 1)]; w >= 0; ) {
      const next = this.chainNext[w];
      if (this.physPage[TLB_ENTRIES + w] === phys) this.dropEntry(TLB_ENTRIES + w);
      this.visited++;
      w = next;
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
    lin = signedLinear(lin);
    const idx = (lin >>> 12) & (TLB_ENTRIES - 1);
    const tagLo = ((lin & ~PAGE_OFFSET) | (user ? TAG_USER : TAG_SUPERVISOR)) >>> 0;
    const tagHi = Math.floor(lin / TWO_32) >>> 0;
    const readAddr = this.readTag + 2 * idx;
    const writeAddr = this.writeTag + 2 * idx;
    const hostBase = host - (t.phys % PAGE_4K);
    const phys = t.phys - (t.phys % PAGE_4K);
    const u32 = this.s.u32;
    const sameRead = u32[readAddr] === tagLo && u32[readAddr + 1] === tagHi;
    const sameWrite = u32[writeAddr] === tagLo && u32[writeAddr + 1] === tagHi;
    if (!write || sameRead || u32[readAddr] === 0) {
      u32[readAddr] = tagLo;
      u32[readAddr + 1] = tagHi;
      u32[this.readHost + idx] = hostBase;
      this.note(idx, lin, t, phys);
    }
    const writable = allowWrite && t.writable && t.dirty;
    if (writable && (write || sameWrite || u32[writeAddr] === 0)) {
      u32[writeAddr] = tagLo;
      u32[writeAddr + 1] = tagHi;
      u32[this.writeHost + idx] = hostBase;
      this.unchain(idx);
      this.note(TLB_ENTRIES + idx, lin, t, phys);
      this.chain(idx, phys / PAGE_4K);
    } else if (!writable && sameWrite) this.dropEntry(TLB_ENTRIES + idx);
  }

  /** Records what maintenance needs of entry `i`, just filled for `lin` from `t` (physical page `phys`). */
  private note(i: number, lin: number, t: Translation, phys: number): void {
    (t.global ? this.filledGlobal : this.filledLocal).add(i);
    this.globalEntry[i] = t.global ? 1 : 0;
    this.physPage[i] = phys;
    const size = t.pageSize;
    if (size === PAGE_4K) {
      this.largeSize[i] = 0;
      this.inGroup[i] = 0;
      return;
    }
    const base = Math.floor(lin / size) * size;
    if (this.inGroup[i] && this.largeBase[i] === base && this.largeSize[i] === size) return;
    this.largeBase[i] = base;
    this.largeSize[i] = size;
    this.group(i, size, base);
    if (this.largeRefs > LARGE_REFS_LIMIT) this.regroup();
  }

  /** Rebuilds the large-page groups from the valid entries, without stale members. */
  private regroup(): void {
    for (const groups of this.large) groups.clear();
    this.inGroup.fill(0);
    this.largeRefs = 0;
    const u32 = this.s.u32;
    for (let i = 0; i < 2 * TLB_ENTRIES; i++) {
      const size = this.largeSize[i];
      const a = i < TLB_ENTRIES ? this.readTag + 2 * i : this.writeTag + 2 * (i - TLB_ENTRIES);
      if (size !== 0 && u32[a] !== 0) this.group(i, size, this.largeBase[i]);
    }
  }

  /** Adds entry `i` to the group of the large page at `base` of `size` bytes. */
  private group(i: number, size: number, base: number): void {
    const groups = this.large[LARGE_PAGE_SIZES.indexOf(size)];
    const members = groups.get(base);
    if (members === undefined) groups.set(base, [i]);
    else members.push(i);
    this.inGroup[i] = 1;
    this.largeRefs++;
  }

  /** Drops entry `i` (read entry i, or write entry i - TLB_ENTRIES). */
  private dropEntry(i: number): void {
    const u32 = this.s.u32;
    if (i < TLB_ENTRIES) {
      u32[this.readTag + 2 * i] = 0;
      u32[this.readTag + 2 * i + 1] = 0;
    } else {
      const w = i - TLB_ENTRIES;
      u32[this.writeTag + 2 * w] = 0;
      u32[this.writeTag + 2 * w + 1] = 0;
      this.unchain(w);
    }
    this.globalEntry[i] = 0;
  }

  /** Puts write entry `w` on the chain of physical page number `page`. */
  private chain(w: number, page: number): void {
    const b = page & (TLB_ENTRIES - 1);
    const head = this.chainHead[b];
    this.chainNext[w] = head;
    this.chainPrev[w] = -1;
    if (head >= 0) this.chainPrev[head] = w;
    this.chainHead[b] = w;
    this.chained[w] = 1;
  }

  /** Takes write entry `w` off its chain, if it is on one. */
  private unchain(w: number): void {
    if (!this.chained[w]) return;
    this.chained[w] = 0;
    const next = this.chainNext[w];
    const prev = this.chainPrev[w];
    if (next >= 0) this.chainPrev[next] = prev;
    if (prev >= 0) this.chainNext[prev] = next;
    else this.chainHead[(this.physPage[TLB_ENTRIES + w] / PAGE_4K) & (TLB_ENTRIES - 1)] = next;
  }
}

const PAGE_OFFSET = PAGE_4K - 1;
/** Tag bits: TLB_VALID, plus TLB_USER for an entry filled for CPL 3 (layout.ts). */
const TAG_SUPERVISOR = Number(TLB_VALID);
const TAG_USER = Number(TLB_VALID | TLB_USER);
/** The large page sizes (SDM Vol. 3A 4.3, 4.4, 4.5): 2 MiB (PAE, 4-level), 4 MiB (32-bit paging), 1 GiB (4-level). */
const LARGE_PAGE_SIZES = [PAGE_2M, PAGE_4M, PAGE_1G];
/** Group members (stale ones included) past which the groups are rebuilt: O(TLB_ENTRIES) work per as many fills. */
const LARGE_REFS_LIMIT = 4 * TLB_ENTRIES;

/** TLB entry numbers, each listed once, emptied in time proportional to their count. */
class EntryList {
  private readonly items = new Int32Array(2 * TLB_ENTRIES);
  private readonly member = new Uint8Array(2 * TLB_ENTRIES);
  length = 0;

  add(i: number): void {
    if (this.member[i]) return;
    this.member[i] = 1;
    this.items[this.length++] = i;
  }

  /** Empties the list, calling `f` on each entry. */
  drain(f: (i: number) => void): void {
    for (let k = 0; k < this.length; k++) {
      const i = this.items[k];
      this.member[i] = 0;
      f(i);
    }
    this.length = 0;
  }
}
