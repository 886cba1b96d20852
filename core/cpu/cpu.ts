// One vCPU's execution engine: finds or compiles the block at CS:RIP, runs it, and serves
// what generated code cannot do alone (TLB misses, MMIO, faults, cold instructions).
// The KVM_RUN semantics around it (exits, completions, injection) are in core/kvm/vcpu-core.ts.
import { CodeCache, blockKey, type Block } from '../../jit/cache.ts';
import { translateBlock } from '../../jit/translate.ts';
import { buildDispatcher, jitHashIndex, type DispatchResult } from '../../jit/dispatcher.ts';
import { JIT_HASH_ENTRIES } from './layout.ts';
import { buildFlagResolver } from '../../jit/lazy-flags.ts';
import { ExitReason } from '../kvm/exit-reason.ts';
import { ExitSignal, GuestFault, InternalError } from './faults.ts';
import { Access, Mmu } from './mmu.ts';
import { decodeMode, refreshMode } from './mode.ts';
import { PhysicalMemory } from './physmem.ts';
import { Cr4, Seg, SegAttr, Vector } from './registers.ts';
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
    this.mmu.onFlush = () => this.clearJitHash();
    this.cache.onInvalidate = () => this.clearJitHash();
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
    this.state.u32.fill(0xffffffff, a, a + JIT_HASH_ENTRIES);
  }

  private insertJitHash(lin: number, mode: number, tableIndex: number): void {
    const s = this.state;
    const h = jitHashIndex(lin >>> 0, mode);
    s.setNum('jitKeyLin', lin, h);
    s.setU32('jitKeyMode', mode, h);
    s.setU32('jitIndex', tableIndex, h);
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
    this.mmu.fill(lin, t, host, user, true);
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
    const mode = decodeMode(s.getU32('mode'));
    if (mode.codeSize === 8) return s.getLinear('rip');
    return (s.getNum('segBase', Seg.CS) + s.getNum('rip')) % 0x1_0000_0000;
  }

  /** The block at CS:RIP, compiled on first use. Throws GuestFault on fetch faults. */
  lookup(single: boolean): Block {
    const s = this.state;
    const modeBits = s.getU32('mode');
    const mode = decodeMode(modeBits);
    if (mode.codeSize !== 8 && s.getNum('rip') > s.getU32('segLimit', Seg.CS)) throw new GuestFault(Vector.GP, 0);
    const lin = this.ripLinear();
    const user = mode.cpl === 3;
    const t = this.mmu.translate(lin, Access.Fetch, user);
    const key = blockKey(t.phys, modeBits, single);
    const hit = this.cache.get(key);
    if (hit) {
      if (!single) this.insertJitHash(lin, modeBits, hit.tableIndex);
      return hit;
    }
    const pages = new Set<number>([Math.floor(t.phys / 4096)]);
    let pageLin = lin - pageOffset(lin);
    let pagePhys = t.phys - (t.phys % 4096);
    const fetch = (offset: number): number => {
      const a = lin + offset;
      if (a - pageLin >= 4096 || a < pageLin) {
        pageLin = a - pageOffset(a);
        pagePhys = this.mmu.translate(pageLin, Access.Fetch, user).phys;
        pages.add(Math.floor(pagePhys / 4096));
      }
      const host = this.phys.host(pagePhys + (a - pageLin), false);
      if (host < 0) throw new InternalError(`instruction fetch from MMIO at physical 0x${(pagePhys + (a - pageLin)).toString(16)}`);
      return this.phys.u8[host];
    };
    const translation = translateBlock({
      cpu: this,
      mode,
      fetch,
      bytesLeftOnPage: 4096 - (t.phys % 4096),
      maxInstructions: single ? 1 : MAX_BLOCK_INSTRUCTIONS,
    });
    const pageList = [...pages];
    for (const p of pageList) this.mmu.protectPage(p);
    s.set64('statBlocksCompiled', s.get64('statBlocksCompiled') + 1n);
    const block = this.cache.install(key, translation, pageList);
    if (!single) this.insertJitHash(lin, modeBits, block.tableIndex);
    return block;
  }

  /** Recomputes the translation mode after CS, SS, CR0, EFER or EFLAGS.VM changed. */
  refreshMode(): void {
    refreshMode(this.state);
  }

  codeSize(): 2 | 4 | 8 {
    return decodeMode(this.state.getU32('mode')).codeSize;
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
    s.setNum('segLo', lo, seg);
    s.setNum('segHi', hi, seg);
  }
}

/** An MMIO region the vCPU serves itself (KVM's in-kernel kvm_io_device on the MMIO bus). */
export interface LocalMmio {
  claims(gpa: number): boolean;
  mmioRead(gpa: number, size: number): number;
  mmioWrite(gpa: number, size: number, value: number): void;
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
