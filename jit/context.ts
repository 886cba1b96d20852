// The emission context of one compiled block: how generated Wasm reads and writes guest
// registers, memory (through the software TLB) and flags, and how it calls the cold path.
//
// Conventions every emitter follows:
// - Values are i64 on the Wasm stack, zero-extended from the operand size.
// - RIP in memory stays the block's entry RIP until the block ends; instruction addresses are
//   `rip0 + delta`. Slow paths receive `delta`, so a fault reports the right RIP at no cost
//   on the fast path.
// - An instruction performs every memory access (each of which may fault) before it writes
//   any register, so a faulting instruction has no architectural effect and restarts cleanly.
// - Before any call that may leave the block (slow paths, helpers), pending flags are
//   materialized (jit/flags.ts) and XMM registers held in locals are stored (jit/xmm-cache.ts).
import { VCPU_STATE, TLB_ENTRIES, vcpuField, type VcpuFieldName } from '../core/cpu/layout.ts';
import type { CpuMode } from '../core/cpu/mode.ts';
import type { Instr, MemOperand } from '../core/cpu/decoder.ts';
import { Cr4, Seg, Vector } from '../core/cpu/registers.ts';
import type { Cpu } from '../core/cpu/cpu.ts';
import { ExitSignal, GuestFault, InternalError } from '../core/cpu/faults.ts';
import { ExitReason } from '../core/kvm/exit-reason.ts';
import { DeferredFlags, sizeMask } from './flags.ts';
import { XmmCache, type XmmEffect } from './xmm-cache.ts';
import type { LockedRmw } from './locked-rmw.ts';
import { FunctionBuilder, Op, ValType } from './wasm/encoder.ts';

/** Indices of the functions every block module imports (see jit/imports.ts). */
export const enum Import {
  ReadSlow = 0,
  WriteSlow = 1,
  Helper = 2,
  Raise = 3,
  ResolveFlags = 4,
}

export type Size = 1 | 2 | 4 | 8;

const FIXED_SEGMENTS: readonly string[] = ['ES', 'CS', 'SS', 'DS', 'FS', 'GS'];

/** Bits above the linear-address width, shifted out and back: 64 - 48, or 64 - 57 with CR4.LA57. */
const NON_LINEAR_BITS = 16;
const NON_LINEAR_BITS_LA57 = 7;

/**
 * Flag in the size argument of the ReadSlow/WriteSlow imports: the access is SS-relative, so
 * a non-canonical address is #SS(0) rather than #GP(0) (SDM Vol. 3A 6.15, Interrupt 12).
 */
export const STACK_ACCESS = 0x100;
/** The access size in that argument. */
export const ACCESS_SIZE_MASK = 0xff;
/**
 * Flag in the size argument of WriteSlow: check that the bytes may be written (canonical,
 * mapped, writable: the faults a store would raise) and write nothing (probeWrite).
 */
export const PROBE_ACCESS = 0x200;

/** A cold-path operation bound at compile time: returns true when the block must end. */
export type HelperFn = () => boolean | void;

/** Where the instruction a helper runs for sits: its RIP and the next instruction's RIP. */
export interface InsnSite {
  /** In 64-bit mode in the signed form of paging/canonical.ts (exact; VcpuState.setNum stores it). */
  readonly rip: number;
  readonly next: number;
  /** Offset from the block's entry RIP, for GuestFault(vector, code, delta). */
  readonly delta: number;
}

/** Where an operand lives, resolved once per instruction. */
export type Location =
  | { kind: 'reg'; reg: number; size: Size; high8: boolean }
  | { kind: 'mem'; seg: Seg; offset: number /* i64 local with the effective address */; size: Size }
  | { kind: 'imm'; value: bigint; size: Size };

export class BlockContext {
  readonly fb = new FunctionBuilder(0);
  readonly flags: DeferredFlags;
  /** XMM registers in v128 locals within the block. */
  readonly xmm: XmmCache;
  /** i64 local: RIP at block entry. */
  readonly rip0: number;
  private current!: Instr;
  /** The instruction being translated and its offset from the block start. */
  get instr(): Instr {
    return this.current;
  }
  set instr(i: Instr) {
    this.current = i;
    this.xmm.beginInstruction();
  }
  delta = 0;
  /** Set by an emitter when it wrote RIP and the block ends with it. */
  ended = false;
  /** The current instruction stores to memory (inline or through a helper); reset per instruction. */
  wroteMemory = false;
  /** Set by translate.ts while a locked instruction is emitted: its store is atomic (jit/locked-rmw.ts). */
  locked: LockedRmw | null = null;
  /** i32 local: a cold-path store of this block invalidated translated code (state smcHit), or -1 before first use. */
  private smcLocal = -1;
  private scratch: number[] = [];

  constructor(
    readonly cpu: Cpu,
    readonly mode: CpuMode,
    /** Cold-path closures referenced by `Helper` calls, by index (shared by the blocks of one module). */
    readonly helpers: HelperFn[] = [],
  ) {
    this.flags = new DeferredFlags(this.fb, vcpuField(cpu.id, 'rflags'));
    this.xmm = new XmmCache(this.fb, (reg) => vcpuField(cpu.id, 'xmm', 2 * reg));
    this.rip0 = this.fb.local(ValType.i64);
    this.fb.i32Const(0).mem(Op.i64_load, this.addr('rip')).set(this.rip0);
  }

  /** Absolute address of a vCPU state field (all state access uses `i32.const 0` + this offset). */
  get vcpuId(): number {
    return this.cpu.id;
  }

  addr(name: VcpuFieldName, index = 0): number {
    if (name === 'rflags') this.flags.memoryTouched = true;
    return vcpuField(this.cpu.id, name, index);
  }

  /** Emits: if status flags are lazy in the state (lazy-flags.ts), compute them into RFLAGS. */
  resolveLazyFlags(): void {
    this.fb.i32Const(0).mem(Op.i32_load, vcpuField(this.cpu.id, 'lazyKind'));
    this.fb.if_().call(Import.ResolveFlags).end();
  }

  i64(): number {
    return this.fb.local(ValType.i64);
  }
  i32(): number {
    return this.fb.local(ValType.i32);
  }

  /** Pushes the i64 state field. */
  loadField(name: VcpuFieldName, index = 0): void {
    const f = VCPU_STATE.fields[name];
    const op = f.size === 8 ? Op.i64_load : f.size === 4 ? Op.i64_load32_u : f.size === 2 ? Op.i64_load16_u : Op.i64_load8_u;
    this.fb.i32Const(0).mem(op, this.addr(name, index));
  }

  /** Stores the i64 in `local` into a state field (truncating to its width). */
  storeField(name: VcpuFieldName, local: number, index = 0): void {
    const f = VCPU_STATE.fields[name];
    const op = f.size === 8 ? Op.i64_store : f.size === 4 ? Op.i64_store32 : f.size === 2 ? Op.i64_store16 : Op.i64_store8;
    this.fb.i32Const(0).get(local).mem(op, this.addr(name, index));
  }

  // ---- general-purpose registers -------------------------------------------------------

  /** Byte registers 4-7 are AH, CH, DH, BH unless a REX prefix is present (SDM Vol. 2A 3.7.2.1). */
  isHigh8(reg: number, size: Size): boolean {
    return size === 1 && this.instr.rex === 0 && reg >= 4 && reg < 8;
  }

  /** Pushes register `reg` as an i64 zero-extended from `size`. */
  readReg(reg: number, size: Size): void {
    const fb = this.fb;
    if (this.isHigh8(reg, size)) {
      fb.i32Const(0).mem(Op.i64_load8_u, this.addr('gpr', reg - 4) + 1);
      return;
    }
    const a = this.addr('gpr', reg);
    const op = size === 8 ? Op.i64_load : size === 4 ? Op.i64_load32_u : size === 2 ? Op.i64_load16_u : Op.i64_load8_u;
    fb.i32Const(0).mem(op, a);
  }

  /**
   * Writes `local` (i64) to register `reg`. 32-bit writes zero-extend to 64 bits; 8- and
   * 16-bit writes leave the other bits alone (SDM Vol. 1 3.4.1.1).
   */
  writeReg(reg: number, size: Size, local: number): void {
    const fb = this.fb;
    if (this.isHigh8(reg, size)) {
      fb.i32Const(0).get(local).mem(Op.i64_store8, this.addr('gpr', reg - 4) + 1);
      return;
    }
    const a = this.addr('gpr', reg);
    fb.i32Const(0).get(local);
    if (size === 8) fb.mem(Op.i64_store, a);
    else if (size === 4) fb.i64Const(0xffffffffn).op(Op.i64_and).mem(Op.i64_store, a);
    else fb.mem(size === 2 ? Op.i64_store16 : Op.i64_store8, a);
  }

  // ---- addresses and memory -----------------------------------------------------------

  /** Pushes the effective address (offset within the segment), masked to the address size. */
  effectiveAddress(m: MemOperand, addrSize: Size = this.instr.addrSize): void {
    const fb = this.fb;
    if (m.ripRelative) {
      fb.get(this.rip0).i64Const(this.delta + this.instr.length + m.disp).op(Op.i64_add);
    } else {
      fb.i64Const(m.disp);
      if (m.base >= 0) {
        this.readReg(m.base, 8);
        fb.op(Op.i64_add);
      }
      if (m.index >= 0) {
        this.readReg(m.index, 8);
        if (m.scale > 1) fb.i64Const(Math.log2(m.scale)).op(Op.i64_shl);
        fb.op(Op.i64_add);
      }
    }
    if (addrSize !== 8) fb.i64Const(sizeMask(addrSize)).op(Op.i64_and);
  }

  /**
   * Pushes the linear address of `offset` (i64 local) in `seg` after the segment limit check
   * (#GP(0), or #SS(0) for SS; SDM Vol. 3A 5.3); with `write`, against the write bounds, which
   * are empty for code and read-only data segments (5.4.1). In 64-bit mode only FS/GS add a base and
   * no limit applies; the canonical check costs nothing here: the TLB holds canonical pages
   * only, so a non-canonical address always misses and the slow path raises #GP(0) or, for
   * an SS-relative access, #SS(0) (Cpu.readSlow).
   */
  linear(seg: Seg, offset: number, size: Size | 16, write = false): void {
    const fb = this.fb;
    if (this.mode.codeSize === 8) {
      fb.get(offset);
      if (seg === Seg.FS || seg === Seg.GS) {
        this.loadField('segBase', seg);
        fb.op(Op.i64_add);
      }
      return;
    }
    // lo <= offset && offset + size - 1 <= hi, else fault.
    fb.get(offset);
    this.loadField(write ? 'segWriteLo' : 'segLo', seg);
    fb.op(Op.i64_lt_u);
    fb.get(offset).i64Const(size - 1).op(Op.i64_add);
    this.loadField(write ? 'segWriteHi' : 'segHi', seg);
    fb.op(Op.i64_gt_u).op(Op.i32_or);
    fb.if_();
    this.raise(seg === Seg.SS ? Vector.SS : Vector.GP, 0);
    fb.end();
    this.loadField('segBase', seg);
    fb.get(offset).op(Op.i64_add).i64Const(0xffffffffn).op(Op.i64_and);
  }

  /**
   * Pushes i32 1 when the i64 in `value` is not a canonical address: bits 63:47 (63:56 with
   * CR4.LA57) not all equal (SDM Vol. 1 3.3.7.1).
   */
  nonCanonical(value: number): void {
    const fb = this.fb;
    const shift = this.i64();
    fb.i64Const(NON_LINEAR_BITS).i64Const(NON_LINEAR_BITS_LA57);
    this.loadField('cr4');
    fb.i64Const(Cr4.LA57).op(Op.i64_and).op(Op.i64_eqz).op(Op.select).set(shift);
    fb.get(value).get(shift).op(Op.i64_shl).get(shift).op(Op.i64_shr_s).get(value).op(Op.i64_ne);
  }

  /**
   * Checks the target of a near branch (i64 local) before anything is committed: #GP(0) at
   * the branch when it is not canonical in 64-bit mode, or beyond the CS limit elsewhere
   * (SDM Vol. 2A JMP, CALL, Jcc, LOOP; Vol. 2B RET: "If the target offset is non-canonical",
   * "If the instruction pointer is not within code segment limits").
   */
  checkBranchTarget(target: number): void {
    const fb = this.fb;
    if (this.mode.codeSize === 8) this.nonCanonical(target);
    else {
      fb.get(target);
      this.loadField('segLimit', Seg.CS);
      fb.op(Op.i64_gt_u);
    }
    fb.if_();
    this.raise(Vector.GP, 0);
    fb.end();
  }

  /** Emits a call that raises `vector` with `errorCode` at this instruction (never returns). */
  raise(vector: number, errorCode: number): void {
    this.resolveLazyFlags();
    this.flags.materializeKeeping();
    this.xmm.spillForFault();
    this.fb.i32Const(vector).i32Const(errorCode).i32Const(this.delta).call(Import.Raise).op(Op.unreachable);
  }

  /** TLB tag bits the current privilege level uses (layout.ts TLB_VALID | TLB_USER). */
  private tlbKey(): bigint {
    return this.mode.cpl === 3 ? 3n : 1n;
  }

  /**
   * Pushes the value (i64, zero-extended) of `size` bytes at linear address `lin` (i64 local).
   * Fast path: direct-mapped TLB hit within one page. Slow path: Import.ReadSlow.
   */
  readLinear(lin: number, size: Size, stack = false): void {
    const fb = this.fb;
    const idx = this.tlbIndex(lin);
    this.tlbHit(lin, idx, size, 'tlbRead');
    fb.if_(ValType.i64);
    this.hostAddress(lin, idx, 'tlbHost');
    this.locked?.fastLoad(size);
    fb.mem(size === 8 ? Op.i64_load : size === 4 ? Op.i64_load32_u : size === 2 ? Op.i64_load16_u : Op.i64_load8_u, 0);
    fb.else_();
    this.resolveLazyFlags();
    this.flags.materializeKeeping();
    this.xmm.spillForFault();
    this.pushLinearHalves(lin);
    fb.i32Const(size | (stack ? STACK_ACCESS : 0)).i32Const(this.delta).call(Import.ReadSlow);
    this.locked?.slowLoad(lin, idx, size);
    fb.i32Const(0).mem(Op.i64_load, this.addr('scratch'));
    fb.end();
    this.locked?.loaded();
  }

  /** Writes `value` (i64 local) as `size` bytes at linear address `lin` (i64 local). */
  writeLinear(lin: number, size: Size, value: number, stack = false): void {
    const fb = this.fb;
    this.wroteMemory = true;
    const idx = this.tlbIndex(lin);
    this.tlbHit(lin, idx, size, 'tlbWrite');
    fb.if_();
    this.hostAddress(lin, idx, 'tlbWriteHost');
    if (!this.locked?.store(size, value))
      fb.get(value).mem(size === 8 ? Op.i64_store : size === 4 ? Op.i64_store32 : size === 2 ? Op.i64_store16 : Op.i64_store8, 0);
    fb.else_();
    this.resolveLazyFlags();
    this.flags.materializeKeeping();
    this.xmm.spillForFault();
    this.pushLinearHalves(lin);
    fb.i32Const(size | (stack ? STACK_ACCESS : 0));
    fb.get(value).op(Op.i32_wrap_i64).get(value).i64Const(32).op(Op.i64_shr_u).op(Op.i32_wrap_i64);
    fb.i32Const(this.delta).call(Import.WriteSlow);
    this.noteCodeModified();
    fb.end();
  }

  /**
   * Raises the fault a `size`-byte store at `lin` (i64 local) would raise, writing nothing.
   * An access wider than the cold path's 8 bytes (a 16-byte vector store) probes both
   * halves before storing either, so a fault on the second page leaves memory unchanged
   * (SDM Vol. 3A 6.5: a fault is reported before the instruction's effects).
   */
  probeWrite(lin: number, size: Size, stack = false): void {
    const fb = this.fb;
    this.resolveLazyFlags();
    this.flags.materializeKeeping();
    this.xmm.spillForFault();
    this.pushLinearHalves(lin);
    fb.i32Const(size | PROBE_ACCESS | (stack ? STACK_ACCESS : 0)).i32Const(0).i32Const(0);
    fb.i32Const(this.delta).call(Import.WriteSlow);
  }

  /**
   * After a cold-path store: copies the state's smcHit into a block local. Code pages never
   * sit in the TLB's write entries, so only cold-path stores can modify code, and the
   * end-of-instruction check costs a local read on the hot path.
   */
  private noteCodeModified(): void {
    if (this.smcLocal < 0) this.smcLocal = this.i32();
    this.fb.i32Const(0).mem(Op.i32_load, this.addr('smcHit')).set(this.smcLocal);
  }

  /** Slow paths take 64-bit values as two i32 halves so that no BigInt is created in JS. */
  private pushLinearHalves(lin: number): void {
    this.fb.get(lin).op(Op.i32_wrap_i64).get(lin).i64Const(32).op(Op.i64_shr_u).op(Op.i32_wrap_i64);
  }

  tlbIndex(lin: number): number {
    const fb = this.fb;
    const idx = this.i32();
    fb.get(lin).i64Const(12).op(Op.i64_shr_u).op(Op.i32_wrap_i64).i32Const(TLB_ENTRIES - 1).op(Op.i32_and).set(idx);
    return idx;
  }

  /** Pushes i32: the tag matches and the access does not cross the page. */
  tlbHit(lin: number, idx: number, size: Size | 16, table: 'tlbRead' | 'tlbWrite'): void {
    const fb = this.fb;
    fb.get(idx).i32Const(3).op(Op.i32_shl).mem(Op.i64_load, this.addr(table));
    fb.get(lin).i64Const(~0xfffn).op(Op.i64_and).i64Const(this.tlbKey()).op(Op.i64_or).op(Op.i64_eq);
    if (size > 1) {
      fb.get(lin).op(Op.i32_wrap_i64).i32Const(0xfff).op(Op.i32_and).i32Const(4096 - size).op(Op.i32_le_u);
      fb.op(Op.i32_and);
    }
  }

  hostAddress(lin: number, idx: number, table: 'tlbHost' | 'tlbWriteHost'): void {
    const fb = this.fb;
    fb.get(idx).i32Const(2).op(Op.i32_shl).mem(Op.i32_load, this.addr(table));
    fb.get(lin).op(Op.i32_wrap_i64).i32Const(0xfff).op(Op.i32_and).op(Op.i32_add);
  }

  /** Reads `size` bytes at seg:offset (offset: i64 local) and pushes the value. */
  readMem(seg: Seg, offset: number, size: Size): void {
    const lin = this.i64();
    this.linear(seg, offset, size);
    this.fb.set(lin);
    this.readLinear(lin, size, seg === Seg.SS);
  }

  writeMem(seg: Seg, offset: number, size: Size, value: number): void {
    const lin = this.i64();
    this.linear(seg, offset, size, true);
    this.fb.set(lin);
    this.writeLinear(lin, size, value, seg === Seg.SS);
  }

  // ---- operands -------------------------------------------------------------------------

  /** The size in bytes of an operand of the SDM table (b, w, d, v, z ...). */
  operandSize(op: string): Size {
    const i = this.instr;
    if (op === 'AL' || op === 'CL' || op.endsWith('b') || op === 'Zb') return 1;
    if (op.endsWith('w') || op === 'DX' || op === 'Sw') return 2;
    if (op.endsWith('d')) return 4;
    if (op.endsWith('q')) return 8;
    if (op.endsWith('z')) return i.opSize === 2 ? 2 : 4;
    // y: 32 bits, or 64 with REX.W / VEX.W in 64-bit mode; 66h does not make it 16 (SDM Vol. 2D A.2.2).
    if (op.endsWith('y')) return i.opSize === 8 ? 8 : 4;
    if (op === 'eAX') return i.opSize === 2 ? 2 : 4;
    return i.opSize;
  }

  /** Resolves operand `n` of the current instruction, computing the effective address once. */
  operand(n: number, sizeOverride?: Size): Location {
    const i = this.instr;
    const op = i.form.operands[n];
    const size = sizeOverride ?? this.operandSize(op);
    // Fixed registers first: 'ES', 'DX', 'CL' would otherwise look like E/D/C ModRM forms.
    if (op === 'AL' || op === 'eAX' || op === 'rAX') return { kind: 'reg', reg: 0, size, high8: false };
    if (op === 'CL') return { kind: 'reg', reg: 1, size: 1, high8: false };
    if (op === 'DX') return { kind: 'reg', reg: 2, size: 2, high8: false };
    if (FIXED_SEGMENTS.includes(op)) throw new Error(`segment operand ${op} has no generic location`);
    switch (op[0]) {
      case 'E':
      case 'M':
      case 'R':
        if (i.mem === null) return { kind: 'reg', reg: i.rm, size, high8: this.isHigh8(i.rm, size) };
        return this.memLocation(i.mem, size);
      case 'G':
        return { kind: 'reg', reg: i.reg, size, high8: this.isHigh8(i.reg, size) };
      case 'B':
        // The general register in VEX.vvvv (BMI1/BMI2; SDM Vol. 2A 2.3.6.1).
        if (i.vex === null) throw new Error(`operand ${op} without a VEX prefix`);
        return { kind: 'reg', reg: i.vex.vvvv, size, high8: false };
      case 'Z':
        return { kind: 'reg', reg: i.reg, size, high8: this.isHigh8(i.reg, size) };
      case 'I':
        return { kind: 'imm', value: BigInt.asUintN(size * 8, op === 'Iv' && size === 8 ? i.imm64 : BigInt(i.imm)), size };
      case '1':
        return { kind: 'imm', value: 1n, size: 1 };
      case 'O': {
        const off = this.i64();
        this.fb.i64Const(i.moffs).set(off);
        return { kind: 'mem', seg: i.segOverride >= 0 ? i.segOverride : Seg.DS, offset: off, size };
      }
    }
    throw new Error(`operand ${op} has no generic location`);
  }

  memLocation(m: MemOperand, size: Size): Location {
    const off = this.i64();
    this.effectiveAddress(m);
    this.fb.set(off);
    return { kind: 'mem', seg: m.seg, offset: off, size };
  }

  /** Pushes the operand's value (i64, zero-extended). Memory operands may fault here. */
  read(loc: Location): void {
    if (loc.kind === 'reg') this.readReg(loc.reg, loc.size);
    else if (loc.kind === 'imm') this.fb.i64Const(loc.value);
    else this.readMem(loc.seg, loc.offset, loc.size);
  }

  /** Reads into a fresh local and returns it. */
  readTo(loc: Location): number {
    const l = this.i64();
    this.read(loc);
    this.fb.set(l);
    return l;
  }

  write(loc: Location, value: number): void {
    if (loc.kind === 'reg') this.writeReg(loc.reg, loc.size, value);
    else if (loc.kind === 'mem') this.writeMem(loc.seg, loc.offset, loc.size, value);
    else throw new Error('write to an immediate');
  }

  /** Sign-extends the i64 on the stack from `size` bytes. */
  signExtend(size: Size): void {
    const fb = this.fb;
    if (size === 1) fb.op(Op.i64_extend8_s);
    else if (size === 2) fb.op(Op.i64_extend16_s);
    else if (size === 4) fb.op(Op.i64_extend32_s);
  }

  /** Masks the i64 on the stack to `size` bytes. */
  mask(size: Size): void {
    if (size !== 8) this.fb.i64Const(sizeMask(size)).op(Op.i64_and);
  }

  // ---- cold path and block end ---------------------------------------------------------

  /**
   * Calls a cold-path closure. All pending flags are written first (the helper may read them
   * or fault). When the helper returns true the block ends at once (it has set RIP).
   */
  callHelper(fn: HelperFn, mayEndBlock = true, xmm: XmmEffect = 'all'): void {
    const fb = this.fb;
    this.wroteMemory = true; // a helper may store (FXSAVE, far calls, string I/O...)
    this.resolveLazyFlags();
    this.flags.materialize();
    this.xmm.spillForFault();
    const id = this.helpers.length;
    this.helpers.push(fn);
    fb.i32Const(id).call(Import.Helper);
    this.xmm.afterHelper(xmm);
    this.noteCodeModified();
    if (mayEndBlock) {
      fb.if_();
      this.leave();
      fb.end();
    } else fb.op(Op.drop);
  }

  /**
   * Calls `fn` on the cold path with the Cpu and this instruction's site. RIP in the state
   * is still the block's entry RIP while it runs: a helper that transfers control writes
   * RIP (and calls cpu.refreshMode() if CS/SS/CR0/EFLAGS.VM changed) and returns true, which
   * ends the block. A helper that throws GuestFault(vector, code, site.delta) faults at this
   * instruction with no other effect. `xmm` names the XMM registers it may write in the
   * state (default: any), which the block reloads into its locals afterwards.
   */
  helper(fn: (cpu: Cpu, site: InsnSite) => boolean | void, mayEndBlock = true, xmm: XmmEffect = 'all'): void {
    const cpu = this.cpu;
    const delta = this.delta;
    const length = this.instr.length;
    // In 64-bit mode RIP is canonical and travels in the signed form of paging/canonical.ts
    // (exact up to 0xffffffff_ffffffff; setNum stores it back); elsewhere it wraps at 16/32 bits.
    const long = this.mode.codeSize === 8;
    const wrap = this.mode.codeSize === 4 ? 0x1_0000_0000 : 0x10000;
    const at = (v: number): number => (long ? v : v % wrap);
    this.callHelper(() => {
      const base = long ? cpu.state.getLinear('rip') : cpu.state.getNum('rip');
      try {
        return fn(cpu, { rip: at(base + delta), next: at(base + delta + length), delta });
      } catch (e) {
        // A fault, internal error or exit from below the helper (a page walk, a descriptor
        // read, an MMIO access) belongs to this instruction: nothing was committed, so RIP
        // goes back to the block entry (INT n may have moved it already) plus this delta.
        // A fault whose delta is pinned (task-switch.ts TaskContextFault: it belongs to the
        // new task, whose RIP is already loaded) refuses the assignment and keeps its RIP.
        // (I/O and HLT exits are thrown with RIP already final; only MMIO exits restart.)
        const restarts = e instanceof GuestFault || e instanceof InternalError || (e instanceof ExitSignal && e.reason === ExitReason.MMIO);
        if (restarts && e.delta < 0) {
          e.delta = delta;
          if (e.delta >= 0) cpu.state.setNum('rip', base);
        }
        throw e;
      }
    }, mayEndBlock, xmm);
  }

  /** Pushes the i64 RIP of the instruction after the current one, wrapped to the code size. */
  nextRip(): void {
    this.fb.get(this.rip0).i64Const(this.delta + this.instr.length).op(Op.i64_add);
    this.wrapIp();
  }

  /** Wraps the i64 on the stack to the code size (IP/EIP wrap around; SDM Vol. 3A 5.3). */
  wrapIp(): void {
    if (this.mode.codeSize !== 8) this.mask(this.mode.codeSize);
  }

  /** Stores the i64 on the stack top... into RIP. */
  setRipFromStack(): void {
    const l = this.i64();
    this.fb.set(l);
    this.storeField('rip', l);
  }

  /** Stores the next instruction's RIP and ends the block (events are looked at between blocks). */
  /**
   * Ends the block after the current instruction if one of its stores invalidated
   * translated code (cpu.ts sets smcHit), so that modified instructions run as written.
   */
  endIfCodeModified(): void {
    if (!this.wroteMemory || this.ended || this.smcLocal < 0) return;
    const fb = this.fb;
    fb.get(this.smcLocal).if_();
    fb.i32Const(0).i32Const(0).mem(Op.i32_store, this.addr('smcHit'));
    this.resolveLazyFlags();
    this.flags.materializeKeeping();
    const next = this.i64();
    this.nextRip();
    fb.set(next);
    this.storeField('rip', next);
    this.leave();
    fb.end();
  }

  endAtNext(): void {
    const next = this.i64();
    this.nextRip();
    this.fb.set(next);
    this.storeField('rip', next);
    this.ended = true;
  }

  /** Returns from the block function (counters are updated by the caller loop), XMM locals stored first. */
  leave(): void {
    this.xmm.spill();
    this.fb.op(Op.return_);
  }

  /**
   * Ends the block with RIP at the current instruction, which has had no effect and runs again
   * from the run loop (a string instruction's next iteration, a locked RMW that lost a race).
   */
  leaveAtThisInstruction(): void {
    const fb = this.fb;
    this.flags.materializeKeeping();
    const rip = this.i64();
    fb.get(this.rip0).i64Const(this.delta).op(Op.i64_add);
    this.wrapIp();
    fb.set(rip);
    this.storeField('rip', rip);
    this.leave();
  }

  /** A scratch i64 local that emitters may reuse within one instruction. */
  tmp(): number {
    const l = this.scratch.pop() ?? this.i64();
    return l;
  }
}
