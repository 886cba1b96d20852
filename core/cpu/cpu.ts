// One vCPU's execution engine: finds or compiles the block at CS:RIP, runs it, and serves
// what generated code cannot do alone (TLB misses, MMIO, faults, cold instructions).
// The KVM_RUN semantics around it (exits, completions, injection) are in core/kvm/vcpu-core.ts.
import { CodeCache, MAX_MODULE_BLOCKS, blockKey, type Block, type BlockSource } from '../../jit/cache.ts';
import { successorIps, translateBlock, type Translation } from '../../jit/translate.ts';
import type { HelperFn } from '../../jit/context.ts';
import { buildDispatcher, jitHashIndex, type DispatchResult } from '../../jit/dispatcher.ts';
import { JIT_HASH_ENTRIES } from './layout.ts';
import { buildFlagResolver } from '../../jit/lazy-flags.ts';
import { ExitReason } from '../kvm/exit-reason.ts';
import { ExitSignal, GuestFault, InternalError } from './faults.ts';
import { Access, Mmu } from './mmu.ts';
import { decodeMode, refreshMode, type CpuMode } from './mode.ts';
import { PhysicalMemory } from './physmem.ts';
import { Cr0, Cr4, Seg, SegAttr, Vector } from './registers.ts';
import { isCanonical, linearFromHalves } from './paging/canonical.ts';
import { ACCESS_SIZE_MASK, STACK_ACCESS } from '../../jit/context.ts';
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
    this.cache = new CodeCache(memory, { read: this.readSlow, write: this.writeSlow, raise: this.raise, resolveFlags: this.resolveFlags });
    this.dispatch = buildDispatcher(memory, this.cache.table, id);
    this.mmu.onFlush = () => {
      this.fetchTag.fill(NaN);
      this.clearJitHash();
    };
    this.mmu.onInvalidatePage = (lin) => {
      this.fetchTag.fill(NaN);
      this.dropJitHashPage(lin);
    };
    this.mmu.onFlushNonGlobal = () => {
      for (let i = 0; i < FETCH_ENTRIES; i++) if (!this.fetchGlobal[i]) this.fetchTag[i] = NaN;
      this.dropJitHashNonGlobal();
    };
    this.cache.onInvalidate = (slots) => (slots === undefined ? this.clearJitHash() : this.dropJitHashSlots(slots));
    this.clearJitHash();
  }

  /**
   * Computes lazily stored status flags into RFLAGS (jit/lazy-flags.ts). Generated code does
   * it before it calls into JS; the run loop does it whenever Wasm returns or throws.
   */
  readonly resolveFlags: () => void;

  /** Runs cached blocks in Wasm until a miss or an event (jit/dispatcher.ts). */
  readonly dispatch: () => DispatchResult;

  /** Forgets every (linear RIP, mode) -> block entry; an invalid mode never matches. */
  clearJitHash(): void {
    const a = this.state.addr('jitKeyMode') >>> 2;
    this.state.u32.fill(NO_MODE, a, a + JIT_HASH_ENTRIES);
  }

  /**
   * Per dispatcher-hash entry: the size of the page its block was fetched from, which an
   * INVLPG anywhere in it must drop (SDM Vol. 2A INVLPG: the whole large page); LARGEST_PAGE
   * when the block spans two pages.
   */
  private readonly jitPageSize = new Float64Array(JIT_HASH_ENTRIES);
  /** Per dispatcher-hash entry: its block was fetched from one global page, so MOV to CR3 keeps it (SDM Vol. 3A 4.10.4.1). */
  private readonly jitGlobal = new Uint8Array(JIT_HASH_ENTRIES);

  private insertJitHash(lin: number, mode: number, block: Block, fetched: { pageSize: number; global: boolean }): void {
    const s = this.state;
    const h = jitHashIndex(lin >>> 0, mode);
    s.setNum('jitKeyLin', lin, h);
    s.setU32('jitKeyMode', mode, h);
    s.setU32('jitIndex', block.tableIndex, h);
    const onePage = block.pages.length === 1;
    this.jitPageSize[h] = onePage ? fetched.pageSize : LARGEST_PAGE;
    this.jitGlobal[h] = onePage && fetched.global ? 1 : 0;
  }

  /** MOV to CR3: forgets the entries of blocks not fetched from a global page. */
  private dropJitHashNonGlobal(): void {
    const u32 = this.state.u32;
    const keyMode = this.state.addr('jitKeyMode') >>> 2;
    for (let h = 0; h < JIT_HASH_ENTRIES; h++) if (!this.jitGlobal[h]) u32[keyMode + h] = NO_MODE;
  }

  /**
   * INVLPG of the page holding `lin` (signed form): forgets the entries whose block was
   * fetched from that page (of its size), and those of the 4 KiB page before it, whose last
   * instruction may extend onto it.
   */
  private dropJitHashPage(lin: number): void {
    const u32 = this.state.u32;
    const keyLin = this.state.addr('jitKeyLin') >>> 2;
    const keyMode = this.state.addr('jitKeyMode') >>> 2;
    for (let h = 0; h < JIT_HASH_ENTRIES; h++) {
      if (u32[keyMode + h] === NO_MODE) continue;
      const entry = u32[keyLin + 2 * h] + (u32[keyLin + 2 * h + 1] | 0) * 0x1_0000_0000;
      const size = this.jitPageSize[h];
      const region = Math.floor(lin / size);
      if (Math.floor(entry / size) === region || Math.floor((entry + PAGE_SIZE) / size) === region) u32[keyMode + h] = NO_MODE;
    }
  }

  /** Forgets the entries that call the function-table slots of dropped blocks. */
  private dropJitHashSlots(slots: readonly number[]): void {
    const u32 = this.state.u32;
    const index = this.state.addr('jitIndex') >>> 2;
    const keyMode = this.state.addr('jitKeyMode') >>> 2;
    const dropped = new Set(slots);
    for (let h = 0; h < JIT_HASH_ENTRIES; h++) if (dropped.has(u32[index + h])) u32[keyMode + h] = NO_MODE;
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
      this.writeLinear(lin, size, vlo >>> 0, vhi >>> 0);
    } catch (e) {
      throw withDelta(e, delta);
    }
  };

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

  /** Reads `size` (1-8) bytes at a linear address; returns [lo, hi] 32-bit halves. */
  readLinear(lin: number, size: number, user = this.user, implicit = false): [number, number] {
    this.state.set64('statTlbMisses', this.state.get64('statTlbMisses') + 1n);
    this.mmu.noteAccess(lin, size, false);
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

  writeLinear(lin: number, size: number, lo: number, hi: number, user = this.user, implicit = false): void {
    this.mmu.noteAccess(lin, size, true);
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
    this.invalidateCode(t.phys);
    this.mmu.fill(lin, t, host, user, true, true);
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

  /** Translates each byte of a page-crossing access up front: [gpa, host or -1]. */
  private bytesAt(lin: number, size: number, access: Access, user: boolean, implicit: boolean): [number, number][] {
    const out: [number, number][] = [];
    let t = this.mmu.translate(lin, access, user, implicit);
    for (let i = 0; i < size; i++) {
      const a = lin + i;
      if (i > 0 && pageOffset(a) === 0) t = this.mmu.translate(a, access, user, implicit);
      const gpa = t.phys - (t.phys % 4096) + pageOffset(a);
      out.push([gpa, this.phys.host(gpa, access === Access.Write)]);
    }
    return out;
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
    const fetch = (offset: number): number => {
      const a = lin + offset;
      if (a - pageLin >= 4096 || a < pageLin) {
        if (!crossPages) throw new InternalError('successor block crosses its page');
        pageLin = a - pageOffset(a);
        pagePhys = this.mmu.translate(pageLin, Access.Fetch, user).phys;
        pages.add(Math.floor(pagePhys / 4096));
      }
      const host = this.phys.host(pagePhys + (a - pageLin), false);
      if (host < 0) throw new InternalError(`instruction fetch from MMIO at physical 0x${(pagePhys + (a - pageLin)).toString(16)}`);
      return this.phys.u8[host];
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
/** The largest page a translation can use (1 GiB, SDM Vol. 3A 4.5.4): every smaller page lies in one. */
const LARGEST_PAGE = 0x4000_0000;
/** Entries of Cpu's fetch-translation cache. */
const FETCH_ENTRIES = 256;
/** A dispatcher-hash mode no translation mode equals: the entry is empty. */
const NO_MODE = 0xffffffff;

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

function byteOf(lo: number, hi: number, i: number): number {
  return (i < 4 ? lo >>> (8 * i) : hi >>> (8 * (i - 4))) & 0xff;
}

function packBytes(bytes: number[]): [number, number] {
  const u8 = new Uint8Array(8);
  bytes.forEach((b, i) => (u8[i] = b));
  return loadHalves(u8, 0, bytes.length);
}
