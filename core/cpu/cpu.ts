// One vCPU's execution engine: finds or compiles the block at CS:RIP, runs it, and serves
// what generated code cannot do alone (TLB misses, MMIO, faults, cold instructions).
// The KVM_RUN semantics around it (exits, completions, injection) are in core/kvm/vcpu-core.ts.
import { CodeCache, MAX_MODULE_BLOCKS, blockKey, type Block, type BlockSource } from '../../jit/cache.ts';
import { successorIps, translateBlock, type Translation } from '../../jit/translate.ts';
import type { HelperFn } from '../../jit/context.ts';
import { JitHash, buildDispatcher, type DispatchResult } from '../../jit/dispatcher.ts';
import { buildFlagResolver } from '../../jit/lazy-flags.ts';
import { buildX87Runtime } from '../../jit/emit/x87-runtime.ts';
import { ExitReason } from '../kvm/exit-reason.ts';
import { ExitSignal, GuestFault, InternalError } from './faults.ts';
import { Access, Mmu } from './mmu.ts';
import { decodeMode, refreshMode, type CpuMode } from './mode.ts';
import { PhysicalMemory } from './physmem.ts';
import { Cr0, Cr4, Seg, SegAttr, Vector } from './registers.ts';
import { isCanonical, linearFromHalves } from './paging/canonical.ts';
import { ACCESS_SIZE_MASK, PROBE_ACCESS, STACK_ACCESS } from '../../jit/context.ts';
import { VcpuState } from './state.ts';

const MAX_BLOCK_INSTRUCTIONS = 64;

/** A completed MMIO access the instruction being replayed may consume (KVM's emulator read cache). */
interface MmioRecord {
  gpa: number;
  len: number;
  isWrite: boolean;
  lo: number;
  hi: number;
  done: boolean;
}

export class Cpu {
  readonly state: VcpuState;
  readonly phys: PhysicalMemory;
  readonly mmu: Mmu;
  readonly cache: CodeCache;
  /** MMIO accesses of the instruction being re-executed after an MMIO exit. */
  mmioLog: MmioRecord[] = [];
  /** An INS element read from its port and being stored to MMIO (core/cpu/io.ts stringInToMmio). */
  insToMmio: { lin: number; rip: number; value: number } | undefined;
  /** Runs the next block as a single instruction (interrupt shadow, MMIO replay, single-step). */
  singleStepNext = false;
  /** Models the cold path consults (CPUID, MSRs) and the owning vCPU, set by VcpuCore. */
  env!: CpuEnv;
  /** MMIO served inside the vCPU without an exit (the in-kernel local APIC page). */
  localMmio: LocalMmio | undefined;
  /** Port reads served inside the vCPU without an exit (port 0x61, the PM timer: core/cpu/io.ts portIn). */
  localPio: LocalPio | undefined;

  constructor(
    readonly memory: WebAssembly.Memory,
    readonly id: number,
  ) {
    this.state = new VcpuState(memory.buffer, id);
    this.phys = new PhysicalMemory(memory);
    this.mmu = new Mmu(this.state, this.phys);
    this.resolveFlags = buildFlagResolver(memory, id);
    this.cache = new CodeCache(memory, { read: this.readSlow, write: this.writeSlow, raise: this.raise, resolveFlags: this.resolveFlags, x87: buildX87Runtime(memory, id) });
    this.dispatch = buildDispatcher(memory, this.cache.table, id);
    this.jitHash = new JitHash(this.state.u32, id);
    this.mmu.onFlush = () => {
      this.fetchTag.fill(NaN);
      this.clearJitHash();
    };
    this.mmu.onInvalidatePage = (lin) => {
      this.dropFetchPage(lin);
      this.jitHash.dropPage(lin);
    };
    this.mmu.onFlushNonGlobal = () => {
      for (let i = 0; i < FETCH_ENTRIES; i++) if (!this.fetchGlobal[i]) this.fetchTag[i] = NaN;
      this.jitHash.dropNonGlobal();
    };
    this.cache.onInvalidate = (slots) => (slots === undefined ? this.clearJitHash() : this.jitHash.dropSlots(slots));
  }

  /**
   * Computes lazily stored status flags into RFLAGS (jit/lazy-flags.ts). Generated code does
   * it before it calls into JS; the run loop does it whenever Wasm returns or throws.
   */
  readonly resolveFlags: () => void;

  /** Runs cached blocks in Wasm until a miss or an event (jit/dispatcher.ts). */
  readonly dispatch: () => DispatchResult;

  /** The dispatcher's (linear RIP, mode) -> block hash, kept by lookup() and the flush callbacks. */
  private readonly jitHash: JitHash;

  /** Forgets every (linear RIP, mode) -> block entry. */
  clearJitHash(): void {
    this.jitHash.clear();
  }

  private insertJitHash(lin: number, mode: number, block: Block, fetched: { pageSize: number; global: boolean }): void {
    this.jitHash.insert(lin, mode, block.tableIndex, fetched.pageSize, fetched.global, block.pages.length === 1);
  }

  get user(): boolean {
    return this.state.getU32('cpl') === 3;
  }

  // ---- slow paths called from generated code ------------------------------------------------

  readonly raise = (vector: number, errorCode: number, delta: number): void => {
    throw new GuestFault(vector, errorCode, delta);
  };

  readonly readSlow = (lo: number, hi: number, sizeAndKind: number, delta: number): void => {
    try {
      const lin = linearFromHalves(lo, hi);
      const size = sizeAndKind & ACCESS_SIZE_MASK;
      this.checkCanonical(lin, size, sizeAndKind);
      const [vlo, vhi] = this.readLinear(lin, size);
      const a = this.state.addr('scratch') >>> 2;
      this.state.u32[a] = vlo;
      this.state.u32[a + 1] = vhi;
    } catch (e) {
      throw withDelta(e, delta);
    }
  };

  readonly writeSlow = (lo: number, hi: number, sizeAndKind: number, vlo: number, vhi: number, delta: number): void => {
    try {
      const lin = linearFromHalves(lo, hi);
      const size = sizeAndKind & ACCESS_SIZE_MASK;
      this.checkCanonical(lin, size, sizeAndKind);
      if (sizeAndKind & PROBE_ACCESS) this.probeWrite(lin, size);
      else this.writeLinear(lin, size, vlo >>> 0, vhi >>> 0);
    } catch (e) {
      throw withDelta(e, delta);
    }
  };

  /** Translates every page of a `size`-byte store at `lin` for writing (faults as the store would), writing nothing. */
  private probeWrite(lin: number, size: number): void {
    const user = this.user;
    this.mmu.translate(lin, Access.Write, user);
    if (pageOffset(lin) + size > PAGE_SIZE) this.mmu.translate(lin + size - 1, Access.Write, user);
  }

  /**
   * A data access from generated code whose first or last byte is not canonical: #SS(0) when
   * it is SS-relative, else #GP(0) (SDM Vol. 3A 3.3.7.1, 6.15 Interrupts 12 and 13). Outside
   * 64-bit mode linear addresses are below 2^32 and always canonical.
   */
  private checkCanonical(lin: number, size: number, sizeAndKind: number): void {
    const bits = this.state.getLo('cr4') & Cr4.LA57 ? 57 : 48;
    if (isCanonical(lin, bits) && isCanonical(lin + size - 1, bits)) return;
    throw new GuestFault(sizeAndKind & STACK_ACCESS ? Vector.SS : Vector.GP, 0);
  }

  // ---- memory for the cold path --------------------------------------------------------------

  /**
   * Reads `size` (1-8) bytes at a linear address; returns [lo, hi] 32-bit halves. A TLB hit
   * within one page reads through the entry as generated code does (mmu.ts says why that is
   * safe for implicit accesses too); a miss walks the page tables and fills the TLB.
   */
  readLinear(lin: number, size: number, user = this.user, implicit = false): [number, number] {
    this.mmu.noteAccess(lin, size, false);
    if (pageOffset(lin) + size <= PAGE_SIZE) {
      const hit = this.mmu.lookup(lin, user, false);
      if (hit >= 0) return loadHalves(this.phys.u8, hit, size);
    }
    this.countTlbMiss();
    if (pageOffset(lin) + size > PAGE_SIZE) {
      // Crosses a page: translate both pages (both may fault) before reading anything.
      const bytes = this.bytesAt(lin, size, Access.Read, user, implicit);
      return packBytes(bytes.map(([gpa, host]) => (host >= 0 ? this.phys.u8[host] : this.mmioByte(gpa))));
    }
    const t = this.mmu.translate(lin, Access.Read, user, implicit);
    const host = this.phys.host(t.phys, false);
    if (host < 0) return this.mmioRead(t.phys, size);
    this.mmu.fill(lin, t, host, user, this.phys.host(t.phys, true) >= 0 && !this.cache.hasCode(Math.floor(t.phys / 4096)));
    return loadHalves(this.phys.u8, host, size);
  }

  /**
   * Writes `size` (1-8) bytes at a linear address. A write-entry hit stores through it: such
   * a page is dirty, writable at this privilege and holds no translated code (mmu.ts).
   */
  writeLinear(lin: number, size: number, lo: number, hi: number, user = this.user, implicit = false): void {
    this.mmu.noteAccess(lin, size, true);
    if (pageOffset(lin) + size <= PAGE_SIZE) {
      const hit = this.mmu.lookup(lin, user, true);
      if (hit >= 0) return storeHalves(this.phys.u8, hit, size, lo, hi);
    }
    this.countTlbMiss();
    if (pageOffset(lin) + size > PAGE_SIZE) {
      const bytes = this.bytesAt(lin, size, Access.Write, user, implicit);
      bytes.forEach(([gpa, host], i) => {
        const b = byteOf(lo, hi, i);
        this.invalidateCode(gpa);
        if (host >= 0) this.phys.u8[host] = b;
        else this.mmioWrite(gpa, 1, b, 0);
      });
      return;
    }
    const t = this.mmu.translate(lin, Access.Write, user, implicit);
    const host = this.phys.host(t.phys, true);
    if (host < 0) return this.mmioWrite(t.phys, size, lo, hi);
    // A store that leaves every byte as it was modifies no instruction (SDM Vol. 3A 11.6 is
    // about writes that change code), so the page keeps its blocks, and stays out of the
    // TLB's write entries so the next store is checked again.
    const keepsCode = this.cache.hasCode(Math.floor(t.phys / 4096)) && sameBytes(this.phys.u8, host, size, lo, hi);
    if (!keepsCode) this.invalidateCode(t.phys);
    this.mmu.fill(lin, t, host, user, !keepsCode, true);
    storeHalves(this.phys.u8, host, size, lo, hi);
  }

  /**
   * Number-valued read for the cold path (exact for sizes up to 4). `user` defaults to
   * CPL 3; implicit supervisor accesses (descriptor tables, TSS) use readSystem.
   */
  read(lin: number, size: 1 | 2 | 4, user = this.user): number {
    return this.readLinear(lin, size, user)[0] >>> 0;
  }

  write(lin: number, size: 1 | 2 | 4, value: number, user = this.user): void {
    this.writeLinear(lin, size, value >>> 0, 0, user);
  }

  /**
   * Implicit supervisor-mode accesses to system structures (GDT, LDT, IDT, TSS): supervisor
   * accesses at any CPL, which SMAP never lets reach a user-mode page, whatever EFLAGS.AC
   * (SDM Vol. 3A 4.6).
   */
  readSystem(lin: number, size: 1 | 2 | 4): number {
    return this.readLinear(lin, size, false, true)[0] >>> 0;
  }

  writeSystem(lin: number, size: 1 | 2 | 4, value: number): void {
    this.writeLinear(lin, size, value >>> 0, 0, false, true);
  }

  /**
   * Translates each byte of a page-crossing access up front, the first page then the second
   * (both may fault), each through the TLB when it maps the page: [gpa, host or -1].
   */
  private bytesAt(lin: number, size: number, access: Access, user: boolean, implicit: boolean): [number, number][] {
    const out: [number, number][] = [];
    let phys = this.physicalPage(lin, access, user, implicit);
    for (let i = 0; i < size; i++) {
      const a = lin + i;
      if (i > 0 && pageOffset(a) === 0) phys = this.physicalPage(a, access, user, implicit);
      const gpa = phys + pageOffset(a);
      out.push([gpa, this.phys.host(gpa, access === Access.Write)]);
    }
    return out;
  }

  /** The physical address of `lin`'s 4 KiB page for this access: the TLB's when it maps it, else a walk's. */
  private physicalPage(lin: number, access: Access, user: boolean, implicit: boolean): number {
    const phys = access === Access.Fetch ? -1 : this.mmu.lookupPhys(lin, user, access === Access.Write);
    const p = phys >= 0 ? phys : this.mmu.translate(lin, access, user, implicit).phys;
    return p - (p % PAGE_SIZE);
  }

  /** statTlbMisses counts the cold path's accesses that walked the page tables. */
  private countTlbMiss(): void {
    const u32 = this.state.u32;
    const a = this.state.addr('statTlbMisses') >>> 2;
    u32[a] = (u32[a] + 1) >>> 0;
    if (u32[a] === 0) u32[a + 1]++;
  }

  /**
   * Drops translated code on the page of `gpa` and tells the running block to stop after
   * this instruction: the stored-over bytes may be its own next instructions, which must
   * execute as modified (SDM Vol. 3A 11.6 "Self-Modifying Code").
   */
  private invalidateCode(gpa: number): void {
    const page = Math.floor(gpa / 4096);
    if (!this.cache.hasCode(page)) return;
    this.cache.invalidatePage(page);
    this.state.setU32('smcHit', 1);
  }

  // ---- MMIO: exit to the VMM, then replay the instruction with the completed data ------------

  private mmioByte(gpa: number): number {
    return this.mmioRead(gpa, 1)[0] & 0xff;
  }

  private mmioRead(gpa: number, size: number): [number, number] {
    if (this.localMmio?.claims(gpa)) return [this.localMmio.mmioRead(gpa, size) >>> 0, 0];
    const rec = this.mmioLog.find((r) => !r.done && !r.isWrite && r.gpa === gpa && r.len === size);
    if (rec) {
      rec.done = true;
      return [rec.lo, rec.hi];
    }
    this.mmioExit(gpa, size, false, 0, 0);
  }

  private mmioWrite(gpa: number, size: number, lo: number, hi: number): void {
    if (this.localMmio?.claims(gpa)) return this.localMmio.mmioWrite(gpa, size, lo);
    const rec = this.mmioLog.find((r) => !r.done && r.isWrite && r.gpa === gpa && r.len === size);
    if (rec) {
      rec.done = true;
      return;
    }
    this.mmioExit(gpa, size, true, lo, hi);
  }

  private mmioExit(gpa: number, size: number, isWrite: boolean, lo: number, hi: number): never {
    const s = this.state;
    s.setNum('runMmioPhysAddr', gpa);
    s.setU32('runMmioLen', size);
    s.setU32('runMmioIsWrite', isWrite ? 1 : 0);
    const d = s.addr('runMmioData');
    s.u8.fill(0, d, d + 8);
    storeHalves(s.u8, d, size, lo, hi);
    // Earlier accesses of this instruction stay in the log so the replay consumes them again.
    for (const r of this.mmioLog) r.done = false;
    this.mmioLog.push({ gpa, len: size, isWrite, lo, hi, done: false });
    throw new ExitSignal(ExitReason.MMIO);
  }

  /** Called at the next KVM_RUN: takes the read data the VMM wrote into kvm_run. */
  completeMmio(): void {
    const last = this.mmioLog[this.mmioLog.length - 1];
    if (last && !last.isWrite) [last.lo, last.hi] = loadHalves(this.state.u8, this.state.addr('runMmioData'), last.len);
    this.singleStepNext = true;
  }

  // ---- blocks ---------------------------------------------------------------------------------

  /**
   * Linear address of CS:RIP. In 64-bit mode RIP is canonical, so its signed form
   * (paging/canonical.ts) is exact even at the top of the address space.
   */
  ripLinear(): number {
    const s = this.state;
    const mode = this.modeOf(s.getU32('mode'));
    if (mode.codeSize === 8) return s.getLinear('rip');
    return (s.getNum('segBase', Seg.CS) + s.getNum('rip')) % 0x1_0000_0000;
  }

  /**
   * The block at CS:RIP, compiled on first use. Throws GuestFault on fetch faults. A miss
   * also translates the block's statically known successors on the same page (fall-through
   * and relative branch targets, breadth-first) and compiles them all into one module:
   * V8's cost per module is shared.
   */
  lookup(single: boolean): Block {
    const s = this.state;
    const modeBits = s.getU32('mode');
    const mode = this.modeOf(modeBits);
    if (mode.codeSize !== 8 && s.getNum('rip') > s.getU32('segLimit', Seg.CS)) throw new GuestFault(Vector.GP, 0);
    const lin = this.ripLinear();
    const user = mode.cpl === 3;
    const t = this.translateFetch(lin, user);
    const key = blockKey(t.phys, modeBits, single);
    let hit = this.cache.get(key);
    if (hit && hit.pages.length > 1 && !this.samePages(lin, user, hit.pages)) {
      // The page its last instruction extends onto is mapped elsewhere now (or not at all).
      this.cache.invalidatePage(hit.pages[1]);
      hit = undefined;
    }
    if (hit) {
      if (!single) this.insertJitHash(lin, modeBits, hit, t);
      return hit;
    }
    const helpers: HelperFn[] = [];
    const first = this.translateAt(lin, t.phys, mode, user, single ? 1 : MAX_BLOCK_INSTRUCTIONS, helpers, true);
    const sources: BlockSource[] = [{ key, translation: first.translation, pages: first.pages }];
    const ips: number[] = [mode.codeSize === 8 ? lin : s.getNum('rip')];
    if (!single) this.addSuccessors(sources, ips, lin, t.phys, modeBits, mode, user, helpers);
    const pages = new Set(sources.flatMap((b) => b.pages));
    for (const p of pages) this.mmu.protectPage(p);
    s.set64('statBlocksCompiled', s.get64('statBlocksCompiled') + BigInt(sources.length));
    const blocks = this.cache.installAll(sources);
    // Successors enter the dispatcher's hash at their first lookup, like any cached block:
    // each block's first run starts from here (tests watch faults there).
    if (!single) this.insertJitHash(lin, modeBits, blocks[0], t);
    return blocks[0];
  }

  /** Whether the page after `lin`'s still translates to `pages[1]` for a fetch. */
  private samePages(lin: number, user: boolean, pages: readonly number[]): boolean {
    try {
      return Math.floor(this.mmu.translate(lin - pageOffset(lin) + PAGE_SIZE, Access.Fetch, user).phys / PAGE_SIZE) === pages[1];
    } catch (e) {
      if (e instanceof GuestFault) return false;
      throw e;
    }
  }

  /**
   * Breadth-first from `sources[0]`: translates successors whose first byte is on the same
   * linear page (so `phys`'s page maps them) and that lie wholly on it, up to
   * MAX_MODULE_BLOCKS blocks. A successor that cannot be translated (a fetch beyond the page,
   * an undecodable or unimplemented first instruction) is left for when execution reaches it.
   */
  private addSuccessors(sources: BlockSource[], ips: number[], lin: number, phys: number, modeBits: number, mode: CpuMode, user: boolean, helpers: HelperFn[]): void {
    const s = this.state;
    const csBase = mode.codeSize === 8 ? 0 : s.getNum('segBase', Seg.CS);
    const csLimit = s.getU32('segLimit', Seg.CS);
    const pageLin = lin - pageOffset(lin);
    const pagePhys = phys - pageOffset(phys);
    const seen = new Set<number>([ips[0]]);
    for (let i = 0; i < sources.length && sources.length < MAX_MODULE_BLOCKS; i++) {
      for (const ip of successorIps(sources[i].translation, ips[i], mode.codeSize)) {
        if (sources.length >= MAX_MODULE_BLOCKS) break;
        if (seen.has(ip)) continue;
        seen.add(ip);
        if (mode.codeSize !== 8 && ip > csLimit) continue;
        const at = mode.codeSize === 8 ? ip : (csBase + ip) % 0x1_0000_0000;
        if (at - pageOffset(at) !== pageLin) continue;
        const atPhys = pagePhys + pageOffset(at);
        const key = blockKey(atPhys, modeBits, false);
        if (this.cache.get(key) !== undefined) continue;
        let translated;
        try {
          translated = this.translateAt(at, atPhys, mode, user, MAX_BLOCK_INSTRUCTIONS, helpers, false);
        } catch {
          continue;
        }
        if (translated.translation.instructions.length === 0) continue;
        sources.push({ key, translation: translated.translation, pages: translated.pages });
        ips.push(ip);
      }
    }
  }

  /**
   * Translates the block at linear `lin` (physical `phys`). With `crossPages` its last
   * instruction may extend onto the next page (translated for fetch, faults and all);
   * without, the block ends before an instruction that would.
   */
  private translateAt(lin: number, phys: number, mode: CpuMode, user: boolean, maxInstructions: number, helpers: HelperFn[], crossPages: boolean): { translation: Translation; pages: number[] } {
    const pages = new Set<number>([Math.floor(phys / 4096)]);
    let pageLin = lin - pageOffset(lin);
    let pagePhys = phys - pageOffset(phys);
    // Memory slots are page-aligned (KVM_SET_USER_MEMORY_REGION), so a page is RAM or MMIO as a whole.
    let pageHost = this.phys.host(pagePhys, false);
    const fetch = (offset: number): number => {
      const a = lin + offset;
      if (a - pageLin >= 4096 || a < pageLin) {
        if (!crossPages) throw new InternalError('successor block crosses its page');
        pageLin = a - pageOffset(a);
        pagePhys = this.mmu.translate(pageLin, Access.Fetch, user).phys;
        pages.add(Math.floor(pagePhys / 4096));
        pageHost = this.phys.host(pagePhys, false);
      }
      if (pageHost < 0) throw new InternalError(`instruction fetch from MMIO at physical 0x${(pagePhys + (a - pageLin)).toString(16)}`);
      return this.phys.u8[pageHost + (a - pageLin)];
    };
    const translation = translateBlock({ cpu: this, mode, fetch, bytesLeftOnPage: 4096 - pageOffset(phys), maxInstructions, helpers });
    return { translation, pages: [...pages] };
  }

  /**
   * Fetch translations of the pages blocks were looked up on, a TLB for lookup() (dispatcher
   * misses come back to the same pages): direct-mapped by linear page, tagged with page * 2 +
   * CPL 3. Dropped as the TLB is (the Mmu's flush callbacks); paging off is not cached (the
   * A20 gate).
   */
  private readonly fetchTag = new Float64Array(FETCH_ENTRIES).fill(NaN);
  private readonly fetchPhys = new Float64Array(FETCH_ENTRIES);
  private readonly fetchSize = new Float64Array(FETCH_ENTRIES);
  private readonly fetchGlobal = new Uint8Array(FETCH_ENTRIES);

  private translateFetch(lin: number, user: boolean): { phys: number; pageSize: number; global: boolean } {
    const page = Math.floor(lin / PAGE_SIZE);
    const tag = page * 2 + (user ? 1 : 0);
    const i = page & (FETCH_ENTRIES - 1);
    if (this.fetchTag[i] === tag) return { phys: this.fetchPhys[i] + pageOffset(lin), pageSize: this.fetchSize[i], global: this.fetchGlobal[i] === 1 };
    const t = this.mmu.translate(lin, Access.Fetch, user);
    if (this.state.getLo('cr0') & Cr0.PG) {
      this.fetchTag[i] = tag;
      this.fetchPhys[i] = t.phys - pageOffset(t.phys);
      this.fetchSize[i] = t.pageSize;
      this.fetchGlobal[i] = t.global ? 1 : 0;
    }
    return t;
  }

  /**
   * INVLPG of the page holding `lin` (signed form): drops the fetch translations it may
   * change, that of its 4 KiB page and those taken from a large page holding it (SDM Vol. 2A
   * INVLPG).
   */
  private dropFetchPage(lin: number): void {
    const page = Math.floor(lin / PAGE_SIZE);
    const i = page & (FETCH_ENTRIES - 1);
    if (Math.floor(this.fetchTag[i] / 2) === page) this.fetchTag[i] = NaN;
    for (let j = 0; j < FETCH_ENTRIES; j++) {
      const pages = this.fetchSize[j] / PAGE_SIZE;
      if (pages > 1 && Math.floor(Math.floor(this.fetchTag[j] / 2) / pages) === Math.floor(page / pages)) this.fetchTag[j] = NaN;
    }
  }

  /** Decoded translation modes by their state bits (mode.ts), decoded once: every miss needs one. */
  private readonly modes: (CpuMode | undefined)[] = [];

  private modeOf(bits: number): CpuMode {
    return (this.modes[bits] ??= decodeMode(bits));
  }

  /** Recomputes the translation mode after CS, SS, CR0, EFER or EFLAGS.VM changed. */
  refreshMode(): void {
    refreshMode(this.state);
  }

  codeSize(): 2 | 4 | 8 {
    return this.modeOf(this.state.getU32('mode')).codeSize;
  }

  /**
   * Loads a segment register's visible and hidden parts and the bounds the JIT checks
   * offsets against (SDM Vol. 3A 5.3): [0, limit] normally; [limit + 1, 0xffff or 0xffffffff
   * by the B flag] for expand-down data segments; nothing valid for an unusable (null) one.
   * Callers refresh the mode after changing CS or SS.
   */
  setSegment(seg: Seg, selector: number, base: number, limit: number, attr: number): void {
    const s = this.state;
    s.setU32('segSel', selector & 0xffff, seg);
    s.setNum('segBase', base, seg);
    s.setU32('segLimit', limit >>> 0, seg);
    s.setU32('segAttr', attr >>> 0, seg);
    let lo = 0;
    let hi = limit >>> 0;
    const expandDown = (attr & (SegAttr.S | SegAttr.CODE | SegAttr.DC)) === (SegAttr.S | SegAttr.DC);
    if (attr & SegAttr.UNUSABLE) {
      lo = 1;
      hi = 0;
    } else if (expandDown) {
      lo = (limit >>> 0) + 1;
      hi = attr & SegAttr.DB ? 0xffffffff : 0xffff;
    }
    // SDM Vol. 3A 5.4.1: a write through a code segment or a read-only data segment is
    // #GP(0) (#SS(0) cannot arise: SS only ever holds writable data). In 64-bit mode these
    // checks do not apply (5.4.1.1); linear() skips limits there altogether.
    const writable = (attr & (SegAttr.S | SegAttr.CODE | SegAttr.RW)) === (SegAttr.S | SegAttr.RW);
    s.setNum('segWriteLo', writable ? lo : 1, seg);
    s.setNum('segWriteHi', writable ? hi : 0, seg);
    // ... and a read through an execute-only code segment (instruction fetches check segLimit).
    const executeOnly = (attr & (SegAttr.S | SegAttr.CODE | SegAttr.RW)) === (SegAttr.S | SegAttr.CODE);
    s.setNum('segLo', executeOnly ? 1 : lo, seg);
    s.setNum('segHi', executeOnly ? 0 : hi, seg);
  }
}

/** An MMIO region the vCPU serves itself (KVM's in-kernel kvm_io_device on the MMIO bus). */
export interface LocalMmio {
  claims(gpa: number): boolean;
  mmioRead(gpa: number, size: number): number;
  mmioWrite(gpa: number, size: number, value: number): void;
}

/** Port reads a vCPU answers itself (core/kvm/irqchip/local-timers.ts); undefined: exit to the VMM as usual. */
export interface LocalPio {
  portIn(port: number, size: number): number | undefined;
  /** The vCPU resumes after an OUT exit to `port` (its write has been served). */
  outCompleted(port: number): void;
}

/** What the cold path needs from the vCPU around the CPU (an interface, against import cycles). */
export interface CpuEnv {
  cpuid: { query(leaf: number, subleaf: number): [number, number, number, number] };
  /** MSR access; `host` is the VMM's view (KVM_GET/SET_MSRS), which sees MSRs the guest's CPUID hides. */
  msrs: { get(index: number, host?: boolean): bigint | undefined; set(index: number, value: bigint, host: boolean): boolean; tsc(): bigint };
  vcpu: {
    pendingCompletion: (() => void) | null;
    /** VMCALL/VMMCALL: KVM's hypercall ABI (core/kvm/hypercall.ts); `long` = 64-bit mode. */
    hypercall(long: boolean): void;
  };
}

const PAGE_SIZE = 4096;
/** Entries of Cpu's fetch-translation cache. */
const FETCH_ENTRIES = 256;

/**
 * Offset within its 4 KiB page of a linear address, also in the signed form of
 * paging/canonical.ts (a negative number: `%` would give a negative remainder; `&` works
 * modulo 2^32 on every integer below 2^53 in magnitude).
 */
function pageOffset(lin: number): number {
  return lin & (PAGE_SIZE - 1);
}

/** Attaches the faulting instruction's offset to a fault thrown below a slow path. */
function withDelta(e: unknown, delta: number): unknown {
  if ((e instanceof GuestFault || e instanceof InternalError || e instanceof ExitSignal) && e.delta < 0) e.delta = delta;
  return e;
}

function loadHalves(u8: Uint8Array, at: number, size: number): [number, number] {
  let lo = 0;
  let hi = 0;
  for (let i = 0; i < size; i++) {
    if (i < 4) lo |= u8[at + i] << (8 * i);
    else hi |= u8[at + i] << (8 * (i - 4));
  }
  return [lo >>> 0, hi >>> 0];
}

function storeHalves(u8: Uint8Array, at: number, size: number, lo: number, hi: number): void {
  for (let i = 0; i < size; i++) u8[at + i] = byteOf(lo, hi, i);
}

/** The `size` bytes at `host` already hold the value (lo, hi). */
function sameBytes(u8: Uint8Array, host: number, size: number, lo: number, hi: number): boolean {
  for (let i = 0; i < size; i++) if (u8[host + i] !== byteOf(lo, hi, i)) return false;
  return true;
}

function byteOf(lo: number, hi: number, i: number): number {
  return (i < 4 ? lo >>> (8 * i) : hi >>> (8 * (i - 4))) & 0xff;
}

function packBytes(bytes: number[]): [number, number] {
  const u8 = new Uint8Array(8);
  bytes.forEach((b, i) => (u8[i] = b));
  return loadHalves(u8, 0, bytes.length);
}
